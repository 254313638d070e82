"""Saliency crops against centre crops: object pixels kept (synthetic study), or real observers' fixations kept (OSIE).

Writes a synthetic study (`saliency synth`), builds human saliency maps from
its raw gaze samples (`saliency ingest`, I-VT), and for every scene compares
two crops of the same size and aspect ratio: the saliency crop (the largest
window keeping the most saliency, `saliency.crop.saliency_crop`) and the
centre crop. The figure is the share of the scene's ground-truth object
pixels (masks/) inside the crop, averaged over scenes. With `--maps DIR` the
saliency comes from that folder instead (e.g. a model's predictions from
`saliency predict`).

    python benchmarks/crop.py [--scenes 100] [--subjects 10] [--aspects 1:1 16:9] [--maps DIR]

With ``--osie`` the thumbnails are judged by real eyes: on the 200 test images
of OSIE (Xu et al., JoV 2014; the split of ``eval/splits/osie.json``), the
figure is the share of all 15 observers' fixations (each fixation counted,
repeats included) that fall inside the crop. Every crop of one aspect has the
same size, ``--area`` of the image (default 0.5): the centre crop, the
saliency crop of each ``--maps NAME=DIR`` (e.g. the trained model's
predictions from ``benchmarks/osie.py``) and of the human map itself (all
observers' fixations blurred with OSIE's sigma of 24 px: the ceiling, since
it is made of the fixations it is judged on). A second table measures the
rule-of-thirds composition (``saliency crop --compose thirds``, keeping
``--keep`` of the saliency, default 0.8) the same way, beside a centre crop of
the same size.

    python benchmarks/crop.py --osie [--root ../shared/data] [--maps model=W/pred/cbam_s0]
        [--aspects 1:1 4:3 16:9] [--area 0.5] [--keep 0.8]
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np


HUMAN = "human map (ceiling)"
RESERVED = {HUMAN: "human map's", "centre": "centre crop's"}
"""The rows of the ``--osie`` tables that are not a ``--maps``: a ``--maps`` of one of these names is refused."""


def fixed_window(img_w: int, img_h: int, aspect: float, area: float) -> tuple[int, int]:
    """``(w, h)`` of the window of ``aspect`` covering ``area`` of the image, shrunk to fit inside it."""
    h = np.sqrt(area * img_w * img_h / aspect)
    h = min(h, img_h, img_w / aspect)
    return max(1, int(round(h * aspect))), max(1, int(round(h)))


def share_inside(points: np.ndarray, box) -> float:
    """Share of the (row, col) points inside the box (x, y, w, h)."""
    r, c = points[:, 0], points[:, 1]
    inside = (c >= box.x) & (c < box.x + box.w) & (r >= box.y) & (r < box.y + box.h)
    return float(inside.mean()) if len(points) else float("nan")


def osie_crops(args) -> int:
    """The OSIE tables: fixations kept by saliency, human-map and centre crops; then the thirds composition."""
    from saliency.crop import CropBox, best_placement, integral, parse_aspect, thirds_crop
    from saliency.eval.datasets import osie
    from saliency.eval.fixation import resize_to
    from saliency.eval.io import PRED_EXTS, index_folder
    from saliency.eval.runner import human_map, read_prediction

    from saliency.base.errors import UserError, cli_flag

    from scratch import refuse

    try:
        ds = osie(args.root, "test")
    except UserError as exc:
        refuse(f"{exc.render(cli_flag)}; give --root the folder holding osie/ (eye/fixations.mat, stimuli/)")
    if args.limit:
        ds.items = ds.items[:args.limit]
    sources = {}
    for spec in args.maps or []:
        name, _, folder = spec.rpartition("=")
        index = index_folder(folder, PRED_EXTS, param="maps", prefix=f"{name}=" if name else "")
        missing = [it.key for it in ds.items if it.key not in index]
        if missing:  # every row of the tables is a mean over the same images, the centre crop's included
            refuse(f"--maps {spec}: no map for {len(missing)} of the {len(ds.items)} test images "
                   f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); give a folder with a map of "
                   "every test image")
        sources[name or Path(folder).name] = index
    sources[HUMAN] = None
    aspects = [(t, parse_aspect(t)) for t in args.aspects]
    kept = {(t, src): [] for t, _ in aspects for src in ["centre", *sources]}
    thirds = {(t, src): [] for t, _ in aspects for src in sources}  # (fixations kept, area share, centre same size)
    for it in ds.items:
        H, W = it.size
        pts = np.asarray(it.points, dtype=np.int64).reshape(-1, 2)
        maps = {}
        for name, index in sources.items():
            if index is None:
                maps[name] = human_map(it.points, it.size, it.sigma_px)
            else:  # every image has a map (checked above)
                a, is_log = read_prediction(index[it.key])
                maps[name] = np.clip(resize_to(np.exp(a) if is_log else a, (H, W)), 0, None)
        for text, aspect in aspects:
            w, h = fixed_window(W, H, aspect, args.area)
            kept[(text, "centre")].append(share_inside(pts, CropBox((W - w) // 2, (H - h) // 2, w, h, 0.0)))
            for name, sal in maps.items():
                x, y, _ = best_placement(integral(sal), w, h)
                kept[(text, name)].append(share_inside(pts, CropBox(x, y, w, h, 0.0)))
                tb = thirds_crop(sal, aspect, keep=args.keep)
                centre = CropBox((W - tb.w) // 2, (H - tb.h) // 2, tb.w, tb.h, 0.0)
                thirds[(text, name)].append((share_inside(pts, tb), tb.w * tb.h / (W * H), share_inside(pts, centre)))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"OSIE test split: {len(ds.items)} images, {sum(len(it.points) for it in ds.items):,} fixations of "
          f"15 observers; crops cover {args.area:.0%} of the image; mean share of fixations inside the crop")
    names = list(sources)
    cols = ["aspect", "crop (px)", "centre crop", *(f"saliency crop: {n}" for n in names),
            *(f"images better / worse than centre: {n}" for n in names[:-1])]
    print("\n| " + " | ".join(cols) + " |")
    print("|---|---|" + "---:|" * (len(cols) - 2))
    for text, aspect in aspects:
        w, h = fixed_window(800, 600, aspect, args.area)
        c = np.array(kept[(text, "centre")])
        cells = [f"{np.mean(kept[(text, n)]):.1%}" for n in names]
        vs = []
        for n in names[:-1]:
            k = np.array(kept[(text, n)])
            vs.append(f"{(k > c + 1e-9).mean():.0%} / {(k < c - 1e-9).mean():.0%}")
        print("| " + " | ".join([text, f"{w}x{h}", f"{c.mean():.1%}", *cells, *vs]) + " |")
    print(f"\nRule-of-thirds composition (`saliency crop --compose thirds --keep {args.keep:g}`): the window keeping "
          f"at least {args.keep:.0%} of the saliency with the saliency centroid nearest a thirds point")
    print("\n| aspect | saliency | fixations kept, thirds crop | crop area (share of image) "
          "| centre crop of the same size |")
    print("|---|---|---:|---:|---:|")
    for text, _ in aspects:
        for n in names:
            arr = np.array(thirds[(text, n)])
            print(f"| {text} | {n} | {arr[:, 0].mean():.1%} | {arr[:, 1].mean():.1%} | {arr[:, 2].mean():.1%} |")
    return 0


def main() -> int:
    """Run the comparison and print a markdown table."""
    from saliency.commands._args import aspect, non_negative_int, open_fraction, positive_int, seed

    from scratch import ArgumentParser, refuse

    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--osie", action="store_true",
                    help="judge the crops by OSIE's real fixations (test split) instead of the synthetic study")
    ap.add_argument("--root", default=None,
                    help="with --osie: folder holding osie/ (default: ../shared/data)")
    ap.add_argument("--area", type=open_fraction, default=None,
                    help="with --osie: crop area as a share of the image (0.5)")
    ap.add_argument("--keep", type=open_fraction, default=None,
                    help="with --osie: saliency share of the thirds crops (0.8)")
    ap.add_argument("--limit", type=non_negative_int, default=None,
                    help="with --osie: only the first N test images (development)")
    ap.add_argument("--scenes", type=positive_int, default=None, help="scenes in the study (default: 100)")
    ap.add_argument("--subjects", type=positive_int, default=None, help="simulated observers (default: 10)")
    ap.add_argument("--seed", type=seed, default=None, help="study seed (default: 7)")
    ap.add_argument("--aspects", nargs="+", type=aspect, default=None,
                    help="aspect ratios W:H (default: 1:1 16:9; with --osie 1:1 4:3 16:9)")
    ap.add_argument("--maps", default=None, action="append",
                    help="saliency maps instead of the ingested human maps; with --osie: NAME=DIR, repeatable")
    ap.add_argument("--study", default=None,
                    help="an existing saliency synth study folder (default: write a new one)")
    args = ap.parse_args()
    # an option of the other mode would be ignored: refused instead (one line, exit 2, nothing run)
    given = [f"--{k}" for k in ("study", "scenes", "subjects", "seed") if getattr(args, k) is not None]
    if args.osie and given:
        ap.error(f"{given[0]}: a synthetic-study option; leave it out with --osie (OSIE's test split is used)")
    given = [f"--{k}" for k in ("scenes", "subjects", "seed") if getattr(args, k) is not None]
    if args.study and given:
        ap.error(f"{given[0]}: it makes a new study; leave it out with --study (that study is used as it is)")
    given = [f"--{k}" for k in ("root", "area", "keep", "limit") if getattr(args, k) is not None]
    if not args.osie and given:
        ap.error(f"{given[0]}: an --osie option; add --osie, or leave it out for the synthetic study")
    for k, v in (("root", str(Path(__file__).resolve().parents[2] / "shared" / "data")), ("area", 0.5),
                 ("keep", 0.8), ("limit", 0), ("scenes", 100), ("subjects", 10), ("seed", 7)):
        if getattr(args, k) is None:
            setattr(args, k, v)
    if args.osie:
        args.aspects = args.aspects or ["1:1", "4:3", "16:9"]
        # each --maps is a row of its own, named NAME or its folder's name: a name twice kept only the last folder,
        # the human map's name hid the user's maps behind it, and "centre" shared the centre crop's figures
        seen = {}
        for spec in args.maps or []:
            name, _, folder = spec.rpartition("=")
            name = name or Path(folder).name
            if name in seen:
                refuse(f"--maps {spec}: the name {name!r} is also that of --maps {seen[name]}; give each a name of "
                       "its own (NAME=DIR)")
            if name in RESERVED:
                refuse(f"--maps {spec}: the name {name!r} is that of the {RESERVED[name]} row; give another NAME "
                       "(NAME=DIR)")
            seen[name] = spec
        return osie_crops(args)
    args.aspects = args.aspects or ["1:1", "16:9"]
    if args.maps and len(args.maps) > 1:
        ap.error("--maps: one folder without --osie")
    args.maps = args.maps[0] if args.maps else None
    if args.study and not (Path(args.study) / "study.json").is_file():  # before a study is ingested or scored
        refuse(f"--study {args.study}: {'folder not found' if not Path(args.study).is_dir() else 'no study.json in it'}"
               "; give a saliency synth folder, or leave --study out to write one")

    from saliency.base.errors import UserError, cli_flag
    from saliency.eval.io import index_folder, read_map
    from saliency.crop import center_crop, parse_aspect, saliency_crop

    maps = None
    if args.maps:  # a missing or empty folder: refused before a study is written
        try:
            maps = index_folder(args.maps, param="maps")
        except UserError as exc:
            refuse(exc.render(cli_flag))

    from scratch import run_child, temporary_folder

    with temporary_folder() as tmp:
        study = Path(args.study) if args.study else Path(tmp) / "study"
        cli = [sys.executable, "-m", "saliency"]
        if not args.study:
            run_child(cli + ["synth", "--out", str(study), "--scenes", str(args.scenes), "--subjects",
                                  str(args.subjects), "--seed", str(args.seed), "--quiet"], check=True,
                           stdout=subprocess.DEVNULL, quiet_stop=True)
        maps_dir = args.maps
        source = f"maps from {args.maps}"
        if maps_dir is None:
            ds = Path(tmp) / "ingested"
            run_child(cli + ["ingest", str(study / "logs" / "samples.csv"), "--stimuli", str(study / "stimuli"),
                                  "--geometry", str(study / "screen.json"), "--detector", "ivt", "--out", str(ds)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            maps_dir = ds / "maps"
            source = "human maps ingested from the raw samples (I-VT, sigma 1 deg)"
        if maps is None:
            maps = index_folder(maps_dir, param="maps")
        masks = index_folder(study / "masks", label="masks")
        missing = sorted(n for n in masks if n not in maps)
        if missing:  # a mean over fewer scenes (or none: a table of nan) is not the study's figure
            refuse(f"--maps {args.maps}: no map for {len(missing)} of the {len(masks)} scenes "
                   f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); give a folder with a map of "
                   "every scene")
        names = sorted(masks)
        rows = []
        for text in args.aspects:
            aspect = parse_aspect(text)
            ours, centre = [], []
            for n in names:
                gt = cv2.imread(str(masks[n]), cv2.IMREAD_GRAYSCALE) > 128
                sal = read_map(maps[n])
                if sal.shape != gt.shape:
                    sal = cv2.resize(sal.astype(np.float32), gt.shape[::-1], interpolation=cv2.INTER_LINEAR)
                total = gt.sum()
                for box, acc in ((saliency_crop(sal, aspect), ours), (center_crop(*gt.shape[::-1], aspect), centre)):
                    acc.append(gt[box.y:box.y + box.h, box.x:box.x + box.w].sum() / total)
            ours, centre = np.array(ours), np.array(centre)
            rows.append((text, ours.mean(), centre.mean(), (ours > centre + 1e-9).mean(),
                         (ours < centre - 1e-9).mean()))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{len(names)} scenes; saliency: {source}")
    print("| aspect | object pixels kept, saliency crop | centre crop | scenes better | scenes worse |")
    print("|---|---|---|---|---|")
    for text, a, b, better, worse in rows:
        print(f"| {text} | {a:.1%} | {b:.1%} | {better:.0%} | {worse:.0%} |")
    return 0


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

"""Real data: the default fixation recipe on 80 of the 100 MIT1003 images of ``../shared/data/mit1003_subset100``.

The folder holds stimuli and continuous human maps only (no raw fixations),
so the binary fixation map of an image is taken as the top ``--top`` fraction
(default 2 %) of its human map's pixels -- the same rule training uses for such
data (``data.fixation_top``). 80 images (seeded split) train
``saliency train --task fixation`` with the default recipe (plus ``--epochs``
when given); the other 20 are predicted with ``saliency predict`` and scored
with :class:`eval.FixationMetrics` (MIT definitions: CC, NSS, KLD, SIM,
AUC-Judd) against two baselines: the Gaussian centre bias (sigma = 1/4 of
width and height) and the dataset's centre bias (mean of the 80 training
human maps).

  python benchmarks/mit1003_subset.py --work /tmp/mit_bench [--epochs E]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "mit1003_subset100"
METRICS = ("CC", "NSS", "KLD", "SIM", "AUC_Judd")


TOP = (1e-5, 0.5)
"""The range of ``--top``: saliency train's ``data.fixation_top`` (a value outside would stop the run after set-up)."""


def top_share(text: str) -> float:
    """``--top``: a share of a map's pixels in :data:`TOP` (an argparse type; one usage line otherwise)."""
    import argparse

    from saliency.commands._args import finite_float

    v = finite_float(text)
    if not TOP[0] <= v <= TOP[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: must be between {TOP[0]:g} and {TOP[1]:g} (saliency train's "
                                         "data.fixation_top)")
    return v


def main() -> int:
    """Train, predict and score; print the table."""
    from saliency.commands._args import positive_int, seed

    from scratch import ArgumentParser, refuse

    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True,
                    help="scratch folder (made, or replaced when a benchmark made it; never inside the inputs)")
    ap.add_argument("--data", default=str(DATA), help="mit1003_subset100 folder (stimuli/ + maps/)")
    ap.add_argument("--epochs", type=positive_int, default=None, help="epochs (default: the recipe's)")
    ap.add_argument("--top", type=top_share, default=0.02,
                    help=f"fixated share of each human map, {TOP[0]:g} to {TOP[1]:g} (default 0.02)")
    ap.add_argument("--seed", type=seed, default=0, help="split seed (default 0)")
    args = ap.parse_args()
    data = Path(args.data)
    if not ((data / "stimuli").is_dir() and (data / "maps").is_dir()):
        refuse(f"--data {args.data}: {'folder not found' if not data.is_dir() else 'needs stimuli/ and maps/'}; "
               "give the mit1003_subset100 folder (../shared/data/mit1003_subset100)")
    # the saliency commands run in the repository: absolute paths (--work not resolved, so that fresh_work sees a link)
    args.work, args.data = str(Path(args.work).absolute()), str(data.resolve())
    data = Path(args.data)
    sys.path.insert(0, str(REPO))
    from saliency.eval.fixation import FixationMetrics, gaussian_center_bias
    from saliency.eval.io import read_map
    from saliency.datasets import split_keys, top_fraction

    from scratch import fresh_work

    work = fresh_work(args.work, {"--data": args.data})
    keys = sorted(p.stem for p in (data / "stimuli").iterdir())
    train, test = split_keys(keys, 0.2, args.seed)
    # training folder: the 80 images (links), with the run's own 20 % validation split inside them
    tdir = work / "train"
    for sub in ("stimuli", "maps"):
        (tdir / sub).mkdir(parents=True)
        for k in train:
            src = next((data / sub).glob(f"{k}.*"))
            (tdir / sub / src.name).symlink_to(src.resolve())
    run = work / "run"
    cmd = [sys.executable, "-m", "saliency", "train", "--data", str(tdir), "--task", "fixation", "--out", str(run),
           "--device", "cpu", "--quiet", "--set", f"data.fixation_top={args.top}"]
    if args.epochs is not None:
        cmd += ["--epochs", str(args.epochs)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO)
    t_train = time.perf_counter() - t0
    lst = work / "test.txt"
    lst.write_text("\n".join(test) + "\n")
    pred = work / "pred"
    subprocess.run([sys.executable, "-m", "saliency", "predict", "--checkpoint", str(run / "checkpoints" / "best.pt"),
                    "--images", str(data / "stimuli"), "--list", str(lst), "--out", str(pred), "--quiet"],
                   check=True, cwd=REPO)
    dens = {k: read_map(next((data / "maps").glob(f"{k}.*"))) for k in keys}
    import cv2

    # images are landscape or portrait: average the maps at one size, resized back per image when scored
    mean_map = np.mean([cv2.resize(dens[k] / max(dens[k].max(), 1e-12), (1024, 768), interpolation=cv2.INTER_AREA)
                        for k in train], axis=0)
    methods = {"trained (default recipe)": lambda k, shape: read_map(pred / f"{k}.png"),
               "Gaussian centre bias": lambda k, shape: gaussian_center_bias(shape),
               "dataset centre bias (mean train map)": lambda k, shape: mean_map}
    rows = {}
    for name, fn in methods.items():
        acc = FixationMetrics(metrics=METRICS)
        for k in test:
            d = dens[k]
            acc.step(fn(k, d.shape), top_fraction(d, args.top), d)
        rows[name] = acc.results()
    print(f"MIT1003 subset: {len(train)} train (of which 20 % validation), {len(test)} test, "
          f"training {t_train:.0f} s; fixations = top {args.top:.0%} of each human map")
    print("| method | " + " | ".join(METRICS) + " |")
    print("|---|" + "---:|" * len(METRICS))
    for name, r in rows.items():
        print(f"| {name} | " + " | ".join(f"{r[m]:.3f}" for m in METRICS) + " |")
    return 0


if __name__ == "__main__":
    from scratch import run_main

    raise SystemExit(run_main(main))

"""Ground-truth folders: the project's own layouts and the published benchmark layouts.

Layouts follow ``../shared/REFERENCES.md`` section 4 (as the datasets are
distributed) and the fixation dataset folder of the project contract
(``saliency ingest --out D``: ``D/fixations/<id>.png``, ``D/maps/<id>.png|.npy``,
``D/center_bias.png``).

SOD: DUTS-TE, DUTS-TR, ECSSD, HKU-IS, PASCAL-S, DUT-OMRON. Fixation: MIT1003
(``ALLFIXATIONMAPS/<name>_fixPts.jpg`` binary, ``<name>_fixMap.jpg``
continuous), CAT2000 (``trainSet/FIXATIONLOCS/<cat>/*.mat``,
``trainSet/FIXATIONMAPS/<cat>/*.jpg``), SALICON val (``maps/val/*.png`` and the
COCO-style fixations JSON, points ``[row, col]`` 1-based). ``root`` may be the
dataset folder itself or the folder that contains it. Errors name the
parameters ``gt``, ``root`` and ``dataset`` (the command line's ``--gt``,
``--root``, ``--dataset``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from saliency.base.errors import UserError, expect_type
from saliency.base.images import IMAGE_EXTS, MAX_SIDE

from saliency.eval.io import PRED_EXTS, index_folder

CENTER_BIAS_GAUSSIAN = "Gaussian centre bias (sigma = 1/4 of width and height)"


@dataclass(frozen=True)
class GTItem:
    """One ground-truth image: ``key`` matches a prediction's stem."""

    key: str
    gt: str = ""                       # SOD mask, or fixation map (.png/.jpg/.mat)
    density: str | None = None         # continuous human map (fixation task)
    baseline: str | None = None        # per-image IG baseline (e.g. MIT FIXATIONHISTOGRAM)
    points: tuple | None = None        # SALICON: ((row, col), ...) 0-based
    size: tuple | None = None          # SALICON: (height, width) of the map


@dataclass
class GTDataset:
    """A list of ground-truth items plus how the IG baseline is chosen."""

    name: str
    task: str
    items: list[GTItem]
    baseline: str | None = None        # dataset-wide IG baseline map
    baseline_note: str = CENTER_BIAS_GAUSSIAN
    layout: str = ""
    notes: list = field(default_factory=list)


# name -> (task, folder name, [(image dir, GT dir), ...] candidates, description)
PUBLISHED = {
    "DUTS-TE": ("sod", "DUTS-TE", [("DUTS-TE-Image", "DUTS-TE-Mask")], "5,019 test images (DUTS)"),
    "DUTS-TR": ("sod", "DUTS-TR", [("DUTS-TR-Image", "DUTS-TR-Mask")], "10,553 training images (DUTS)"),
    "ECSSD": ("sod", "ECSSD", [("images", "ground_truth_mask")], "1,000 images"),
    "HKU-IS": ("sod", "HKU-IS", [("imgs", "gt"), ("images", "masks"), ("Imgs", "GT"), ("Image", "Mask")],
               "4,447 images (png/png)"),
    "PASCAL-S": ("sod", "PASCAL-S", [("Imgs", "Masks"), ("images", "masks"), ("Imgs", "GT"), ("Image", "Mask")],
                 "850 images, graded masks"),
    "DUT-OMRON": ("sod", "DUT-OMRON", [("DUT-OMRON-image", "pixelwiseGT-new-PNG")], "5,168 images"),
    "MIT1003": ("fixation", "MIT1003", [("ALLSTIMULI", "ALLFIXATIONMAPS")],
                "1,003 images; ALLFIXATIONMAPS/<name>_fixPts.jpg + _fixMap.jpg"),
    "CAT2000": ("fixation", "CAT2000", [("trainSet/Stimuli", "trainSet/FIXATIONLOCS")],
                "2,000 training images in 20 categories; FIXATIONLOCS .mat + FIXATIONMAPS"),
    "SALICON": ("fixation", "SALICON", [("images/val", "maps/val")],
                "5,000 val images (640x480); maps/val + fixations JSON"),
}


def list_datasets() -> list[tuple[str, str, str]]:
    """(name, task, description) of every published layout."""
    return [(k, v[0], v[3]) for k, v in PUBLISHED.items()]


def _find_root(name: str, root: Path) -> Path:
    """The dataset folder: ``root`` itself or ``root/<name>`` (case-insensitive)."""
    if not root.is_dir():
        raise UserError(f"`root` {root}: folder not found")
    task, folder, cands, _ = PUBLISHED[name]
    for base in (root, root / folder):
        for _, gt_dir in cands:
            if (base / gt_dir).is_dir():
                return base
    for child in root.iterdir():
        if child.is_dir() and child.name.lower() == folder.lower():
            return child
    return root


def sod_folder(gt_dir: str | Path, name: str | None = None) -> GTDataset:
    """SOD ground truth from a folder of masks (matched to predictions by stem)."""
    gt_dir = Path(gt_dir)
    files = index_folder(gt_dir, IMAGE_EXTS, param="gt")
    items = [GTItem(key=k, gt=str(p)) for k, p in files.items()
             if k == p.relative_to(gt_dir).with_suffix("").as_posix()]  # skip bare-stem aliases
    return GTDataset(name or gt_dir.name, "sod", items, layout="masks folder")


def _stems(folder: Path, exts) -> dict[str, Path]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.suffix.lower() in exts and not p.name.startswith("."):
            out[p.relative_to(folder).with_suffix("").as_posix()] = p
    return out


def _find_json(d: Path) -> Path | None:
    for pat in ("fixations_val*.json", "fixations/fixations_val*.json", "annotations/fixations_val*.json",
                "fixations*.json", "fixations/*.json"):
        hits = sorted(d.glob(pat))
        if hits:
            return hits[0]
    return None


def salicon_items(json_path: Path, maps_dir: Path | None) -> list[GTItem]:
    """Items from a SALICON (COCO-style) fixations JSON; points are [row, col], 1-based.

    A file of the wrong shape (not an object, an image without a text
    ``file_name`` or whole ``width``/``height``, a fixation that is not two
    whole numbers) raises one UserError naming the file and the entry.
    """
    try:
        data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{json_path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UserError(f"{json_path}: not UTF-8 text; save the SALICON fixations JSON as UTF-8") from None
    except ValueError as exc:
        raise UserError(f"{json_path}: not valid JSON ({exc}); fix or replace the file") from None
    where = str(json_path)
    expect_type(data, dict, where, "a SALICON fixations JSON object with 'images' and 'annotations'")
    for key in ("images", "annotations"):
        if key not in data:
            raise UserError(f"{where}: not a SALICON fixations JSON (no {key!r} list); fix or replace the file")
        expect_type(data[key], list, f"{where}: {key!r}", "a list")

    def whole(v, what: str) -> int:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise UserError(f"{where}: {what} {v!r} is not a finite number; fix or replace the file")
        return int(v)

    images: dict = {}
    for i, im in enumerate(data["images"]):
        expect_type(im, dict, f"{where}: images[{i}]", "an object")
        for key in ("id", "file_name", "width", "height"):
            if key not in im:
                raise UserError(f"{where}: images[{i}] has no {key!r}; fix or replace the file")
        expect_type(im["file_name"], str, f"{where}: images[{i}].file_name", "a file name (text)")
        h, w = whole(im["height"], f"images[{i}].height"), whole(im["width"], f"images[{i}].width")
        if not (0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
            raise UserError(f"{where}: images[{i}] size {w}x{h} is outside 1..{MAX_SIDE}; fix or replace the file")
        try:
            images[im["id"]] = (im["file_name"], h, w)
        except TypeError:  # an unhashable id (a list, an object)
            raise UserError(f"{where}: images[{i}].id {im['id']!r} is not a number or text") from None
    points: dict = {}
    for i, ann in enumerate(data["annotations"]):
        expect_type(ann, dict, f"{where}: annotations[{i}]", "an object")
        if "image_id" not in ann or "fixations" not in ann:
            raise UserError(f"{where}: annotations[{i}] needs 'image_id' and 'fixations'; fix or replace the file")
        fix = expect_type(ann["fixations"], list, f"{where}: annotations[{i}].fixations", "a list of [row, col]")
        pts = []
        for p in fix:
            if not isinstance(p, (list, tuple)) or len(p) != 2:
                raise UserError(f"{where}: annotations[{i}].fixations has {p!r}, not [row, col]; "
                                "fix or replace the file")
            pts.append((whole(p[0], f"annotations[{i}] row") - 1, whole(p[1], f"annotations[{i}] col") - 1))
        try:
            points.setdefault(ann["image_id"], []).extend(pts)
        except TypeError:
            raise UserError(f"{where}: annotations[{i}].image_id {ann['image_id']!r} is not a number or text") from None
    maps = _stems(maps_dir, PRED_EXTS) if maps_dir and maps_dir.is_dir() else {}
    items = []
    for iid, (file_name, h, w) in sorted(images.items(), key=lambda kv: kv[1][0]):
        key = Path(file_name).stem
        dens = str(maps[key]) if key in maps else None
        items.append(GTItem(key=key, points=tuple(points.get(iid, [])), size=(h, w), density=dens))
    return items


def fixation_folder(d: str | Path, name: str | None = None) -> GTDataset:
    """Fixation ground truth from a folder in one of the known layouts (see module docstring)."""
    d = Path(d)
    if not d.is_dir():
        raise UserError(f"`gt` {d}: folder not found")
    cb = d / "center_bias.png"
    baseline = str(cb) if cb.is_file() else None
    note = f"centre bias from {cb}" if baseline else CENTER_BIAS_GAUSSIAN
    nm = name or d.name
    if (d / "fixations").is_dir() and (d / "maps").is_dir():
        fix = _stems(d / "fixations", IMAGE_EXTS)
        maps = _stems(d / "maps", PRED_EXTS)
        items = [GTItem(key=k, gt=str(p), density=str(maps[k]) if k in maps else None) for k, p in fix.items()]
        layout = "saliency ingest folder (fixations/ + maps/)"
    elif (d / "trainSet" / "FIXATIONLOCS").is_dir() or (d / "FIXATIONLOCS").is_dir():
        base = d / "trainSet" if (d / "trainSet" / "FIXATIONLOCS").is_dir() else d
        locs = _stems(base / "FIXATIONLOCS", (".mat",))
        maps = _stems(base / "FIXATIONMAPS", IMAGE_EXTS) if (base / "FIXATIONMAPS").is_dir() else {}
        hist = _stems(base / "FIXATIONHISTOGRAM", IMAGE_EXTS) if (base / "FIXATIONHISTOGRAM").is_dir() else {}
        items = [GTItem(key=k, gt=str(p), density=str(maps[k]) if k in maps else None,
                        baseline=str(hist[k]) if k in hist else None) for k, p in locs.items()]
        layout = "MIT/CAT2000 (FIXATIONLOCS/*.mat + FIXATIONMAPS/)"
        if hist:
            note = "per-image fixation histogram (FIXATIONHISTOGRAM/)"
    elif (d / "ALLFIXATIONMAPS").is_dir():
        allm = d / "ALLFIXATIONMAPS"
        pts = {p.stem[: -len("_fixPts")]: p for p in sorted(allm.glob("*_fixPts.*"))}
        maps = {p.stem[: -len("_fixMap")]: p for p in sorted(allm.glob("*_fixMap.*"))}
        items = [GTItem(key=k, gt=str(p), density=str(maps[k]) if k in maps else None) for k, p in pts.items()]
        layout = "MIT1003 (ALLFIXATIONMAPS/*_fixPts + *_fixMap)"
    elif _find_json(d) is not None:
        maps_dir = d / "maps" / "val" if (d / "maps" / "val").is_dir() else d / "maps"
        items = salicon_items(_find_json(d), maps_dir)
        layout = "SALICON (fixations JSON + maps/)"
    else:
        raise UserError(f"`gt` {d}: not a fixation dataset folder; expected fixations/ + maps/ (saliency ingest), "
                        "FIXATIONLOCS/ (MIT, CAT2000), ALLFIXATIONMAPS/ (MIT1003) or a SALICON fixations JSON")
    if not items:
        raise UserError(f"`gt` {d}: no fixation maps found ({layout})")
    return GTDataset(nm, "fixation", items, baseline=baseline, baseline_note=note, layout=layout)


def published(name: str, root: str | Path) -> GTDataset:
    """Ground truth of the published dataset ``name`` under ``root`` (the folder holding it, or the dataset itself)."""
    canon = {k.lower(): k for k in PUBLISHED}
    key = canon.get(name.lower())
    if key is None:
        raise UserError(f"`dataset` {name}: unknown dataset; choose from {', '.join(PUBLISHED)} "
                        "(saliency eval `list_datasets`)")
    task, folder, cands, _ = PUBLISHED[key]
    base = _find_root(key, Path(root))
    if task == "sod":
        for _, gt_dir in cands:
            if (base / gt_dir).is_dir():
                ds = sod_folder(base / gt_dir, key)
                ds.layout = f"{key} ({gt_dir}/)"
                return ds
        raise UserError(f"`root` {root}: no {key} mask folder ({' or '.join(c[1] for c in cands)}) found "
                        f"in it or in {Path(root) / folder}")
    if key == "SALICON":
        js = _find_json(base)
        if js is None or not (base / "maps" / "val").is_dir():
            raise UserError(f"`root` {root}: SALICON needs maps/val/ and a fixations_val*.json")
        items = salicon_items(js, base / "maps" / "val")
        return GTDataset(key, "fixation", items, layout="SALICON val")
    ds = fixation_folder(base, key)
    return ds

"""Ground-truth folders: the project's own layouts and the published benchmark layouts.

Layouts follow ``../shared/REFERENCES.md`` section 4 (as the datasets are
distributed) and the fixation dataset folder of the project contract
(``saliency ingest --out D``: ``D/fixations/<id>.png``, ``D/maps/<id>.png|.npy``,
``D/center_bias.png``).

SOD: DUTS-TE, DUTS-TR, ECSSD, HKU-IS, PASCAL-S, DUT-OMRON. Fixation: MIT1003
(``ALLFIXATIONMAPS/<name>_fixPts.jpg`` binary, ``<name>_fixMap.jpg``
continuous), CAT2000 (``trainSet/FIXATIONLOCS/<cat>/*.mat``,
``trainSet/FIXATIONMAPS/<cat>/*.jpg``), SALICON val (``maps/val/*.png`` and the
COCO-style fixations JSON, points ``[row, col]`` 1-based), OSIE (Xu, Jiang,
Wang, Kankanhalli & Zhao, "Predicting human gaze beyond pixels", JoV 2014:
``stimuli/<id>.jpg`` and the raw fixations of 15 observers per image in
``eye/fixations.mat``, read here directly, see :func:`read_osie`). A folder of
continuous human maps only (``maps/`` beside ``stimuli/``, as
``mit1003_subset100``, or ``ALLFIXATIONMAPS`` with ``_fixMap`` files only) is
scored with the metrics that need only maps (CC, KLD, SIM); the others are
reported as skipped. So is, image by image, a human map whose image has no
fixation points in a folder that has them (ingest ``maps/c.png`` without
``fixations/c.png``, a ``_fixMap`` without its ``_fixPts``, FIXATIONMAPS
without FIXATIONLOCS, a SALICON ``maps/`` file the fixations JSON does not
list): the image is kept, its other metrics are counted as left out on it,
and a note names it. Files of other extensions in the folders read
(``zz_fixMap.txt`` among them) are counted in a note per folder, as in an
SOD mask folder, as are the files in sub-folders of MIT1003's
``ALLFIXATIONMAPS`` (read flat), and two files of one name in one (``maps/a.jpg`` and
``maps/a.png``, ``a_fixMap.jpg`` and ``a_fixMap.png``) are refused, both named.
``root`` may be the dataset folder itself or the folder
that contains it. ``split`` restricts a dataset with a documented split
(OSIE: ``eval/splits/osie.json``, 500 train / 200 test) to one part. Errors
name the parameters ``gt``, ``root``, ``dataset`` and ``split`` (the command
line's ``--gt``, ``--root``, ``--dataset``, ``--split``).

OSIE's maps, as the authors build them (NUS-VIP/predicting-human-gaze-beyond-pixels,
``src/dataset/computeFixationMaps.m`` and ``src/common/config.m``): each
fixation ``(fix_x, fix_y)`` (1-based image pixels) is rounded to the nearest
pixel (MATLAB ``round``, halves away from zero) and clipped to the image; the
binary fixation map has a 1 at every fixated pixel of all 15 observers; the
continuous map is that binary map filtered with a Gaussian of sigma 24 px
(``params.eye.radius``; ``fspecial`` window 168 px; ``imfilter`` with zero
padding), then min-max normalised. The authors' code gives sigma in pixels
only; the images are 800x600 shown in 3 s of free viewing (pysaliency's
``get_OSIE``). Here the filter is ``scipy.ndimage.gaussian_filter`` with zero
padding and a 169 px window (3.5 sigma each side): the same Gaussian, without
the half-pixel shift of MATLAB's even-sized window. Fixations are kept with
their multiplicity for LL and IG (a count map), and each observer's own for
the gold standard (:func:`saliency.eval.runner.gold_standard_scores`). A
fixation with a non-finite ``fix_x`` or ``fix_y`` is left out, counted in a
note that names the first (:func:`osie_nonfinite`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError, expect_type
from saliency.base.fsutil import read_json
from saliency.base.images import IMAGE_EXTS, MAX_SIDE, shown_path
from saliency.base.names import nfc

from saliency.eval.io import PRED_EXTS, FolderIndex, index_folder, key_of, left_out_note, own_keys, walk_files

CENTER_BIAS_GAUSSIAN = "Gaussian centre bias (sigma = 1/4 of width and height)"


@dataclass(frozen=True)
class GTItem:
    """One ground-truth image: ``key`` matches a prediction's stem."""

    key: str
    gt: str = ""                       # SOD mask, or fixation map (.png/.jpg/.mat)
    density: str | None = None         # continuous human map (fixation task)
    baseline: str | None = None        # per-image IG baseline (e.g. MIT FIXATIONHISTOGRAM)
    points: tuple | None = None        # SALICON, OSIE: ((row, col), ...) 0-based
    size: tuple | None = None          # SALICON, OSIE: (height, width) of the map
    subjects: tuple | None = None      # OSIE: one ((row, col), ...) per observer (gold standard, count maps)
    sigma_px: float | None = None      # human map built from the points with this blur (OSIE: 24)


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
    baseline_logp: object = None       # dataset-wide IG baseline as a log-density array (OSIE: train centre bias)
    sigma_px: float = 0.0              # blur of the human maps (metric-specific maps for CC, KLD, SIM)
    split: str | None = None           # the documented split this is restricted to, if any
    images_dir: str | None = None      # the stimuli of a dataset read from raw fixations (OSIE: stimuli/)
    blur: tuple | None = None          # (border, truncate) of its human maps' blur when stated (ingest, SALICON)

    @property
    def has_points(self) -> bool:
        """Whether any image has fixation points (else only CC, KLD and SIM can be scored)."""
        return any(it.gt or it.points is not None for it in self.items)

    @property
    def has_subjects(self) -> bool:
        """Whether the images carry per-observer fixations (the gold standard needs them)."""
        return any(it.subjects for it in self.items)


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
    "OSIE": ("fixation", "osie", [("stimuli", "eye")],
             "700 images (800x600), raw fixations of 15 observers (eye/fixations.mat); split 500 train / 200 test"),
}

MAP_ONLY_METRICS = ("CC", "KLD", "SIM")
"""The fixation metrics a dataset of human maps without fixation points can score."""

OSIE_SIGMA_PX = 24.0
"""OSIE's blur of the human map (``params.eye.radius`` in the authors' ``config.m``)."""

SPLITS_DIR = Path(__file__).resolve().parent / "splits"
SPLITS = {"OSIE": "osie.json"}
"""Datasets with a documented split kept in the repository (package data ``saliency/eval/splits``)."""


def canonical_name(name: str) -> str | None:
    """The :data:`PUBLISHED` key that ``name`` spells, case-insensitively; None for an unknown name."""
    return {k.lower(): k for k in PUBLISHED}.get(str(name).lower())


def list_datasets() -> list[tuple[str, str, str]]:
    """(name, task, description) of every published layout."""
    return [(k, v[0], v[3]) for k, v in PUBLISHED.items()]


#: target folders that also mark a published dataset (SALICON for training: maps/train)
_MARKERS = {"SALICON": ("maps/train",), "CAT2000": ("FIXATIONLOCS",)}  # CAT2000's trainSet/ given as the root


def find_root(name: str, root: Path) -> Path:
    """The dataset folder: ``root`` itself or ``root/<name>`` (case-insensitive), holding ``name``'s own layout.

    Refused when neither holds it: another dataset's folders under ``root``
    were taken instead (``--dataset DUTS-TR`` trained on DUTS-TE, ``--dataset
    MIT1003`` scored any folder of maps as MIT1003).
    """
    if not root.is_dir():
        raise UserError(f"`root` {root}: folder not found")
    task, folder, cands, _ = PUBLISHED[name]
    markers = [gt_dir for _, gt_dir in cands] + list(_MARKERS.get(name, ()))
    bases = [root, root / folder] + [c for c in sorted(root.iterdir())
                                     if c.is_dir() and c.name.lower() == folder.lower() and c.name != folder]
    for base in bases:
        for gt_dir in markers:
            if (base / gt_dir).is_dir():
                return base
    want = " or ".join(f"{a}/ + {b}/" for a, b in cands)
    raise UserError(f"`root` {root}: no {name} here ({want}, in it or in {folder}/); give the folder that holds "
                    f"{name}, or name what it holds with `dataset`")


def sod_folder(gt_dir: str | Path, name: str | None = None) -> GTDataset:
    """SOD ground truth from a folder of masks (matched to predictions by stem)."""
    gt_dir = Path(gt_dir)
    files = index_folder(gt_dir, IMAGE_EXTS, param="gt")
    items = [GTItem(key=k, gt=str(files[k])) for k in own_keys(files, gt_dir)]  # bare-stem aliases skipped
    note = left_out_note(files, gt_dir)  # files of other extensions: counted and named, never dropped unsaid
    return GTDataset(name or gt_dir.name, "sod", items, layout="masks folder",
                     notes=[f"--gt {gt_dir}: {note}"] if note else [])


def _same_stem(label: str, first: Path, second: Path, key: str) -> UserError:
    """The error of two ground-truth files of one name (``a.jpg`` and ``a.png``), as :func:`eval.io.index_folder`'s."""
    return UserError(f"{label}: {first.name} and {second.name} share the name {key!r}, so which one is meant cannot "
                     "be told; rename or move one of them")


def _stems(folder: Path, exts, notes: list | None = None, param: str | None = None) -> dict[str, Path]:
    """Relative stem -> file under ``folder`` (:func:`eval.io.walk_files`: linked sub-folders followed).

    ``notes``, when given, receives one line counting the files of other
    extensions left out (:func:`eval.io.left_out_note`, named by ``folder``).
    Two files of one stem (``maps/a.jpg`` and ``maps/a.png``) are refused,
    both named, as in an SOD mask folder: one silently replaced the other.
    ``param`` names the parameter that gave the dataset in that error.
    """
    left_out: list = []
    found: dict[str, Path] = {}
    for p in walk_files(folder, exts, str(folder), left_out):
        key = key_of(p, folder)
        if key in found:
            raise _same_stem(f"`{param}` {folder}" if param else str(folder), found[key], p, key)
        found[key] = p
    if notes is not None:
        note = left_out_note(FolderIndex(found, left_out=left_out, exts=exts), folder)
        if note and tuple(exts) == (".mat",):
            note = note.replace("not an image extension", "not a .mat file", 1)
        if note:
            notes.append(f"{folder}: {note}")
    return found


def _with_maps_only(points: dict, maps: dict) -> list[str]:
    """The keys of the images with fixation points, then those with a human map only (a map is never dropped).

    The images with points keep their order, so their indices (which seed the
    sAUC and AUC-Borji draws) are those of the folder without the others.
    """
    return list(points) + [k for k in maps if k not in points]


def _find_json(d: Path) -> Path | None:
    for pat in ("fixations_val*.json", "fixations/fixations_val*.json", "annotations/fixations_val*.json",
                "fixations*.json", "fixations/*.json"):
        hits = sorted(d.glob(pat))
        if hits:
            return hits[0]
    return None


def salicon_items(json_path: Path, maps_dir: Path | None, notes: list | None = None,
                  param: str | None = None) -> list[GTItem]:
    """Items from a SALICON (COCO-style) fixations JSON; points are [row, col], 1-based.

    ``notes``, when given, receives the count of the files of ``maps_dir``
    left out (not an image or ``.npy`` extension). A human map of
    ``maps_dir`` whose image the JSON does not list is an item of its own,
    after the JSON's, with the map and no points (``points`` None), as a map
    without fixations in the other layouts: scored with CC, KLD and SIM (it
    was ignored unsaid). Two maps of one stem are refused (``param`` names
    the parameter that gave the folder).

    A file of the wrong shape (not an object, an image without a text
    ``file_name`` or whole ``width``/``height``, a fixation that is not two
    whole numbers, an annotation of an image the file does not list, a point
    outside its image) raises one UserError naming the file and the entry.
    """
    data = read_json(json_path, hint="save the SALICON fixations JSON as UTF-8 JSON or replace it")
    where = str(json_path)
    expect_type(data, dict, where, "a SALICON fixations JSON object with 'images' and 'annotations'")
    for key in ("images", "annotations"):
        if key not in data:
            raise UserError(f"{where}: not a SALICON fixations JSON (no {key!r} list); fix or replace the file")
        expect_type(data[key], list, f"{where}: {key!r}", "a list")

    def whole(v, what: str) -> int:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise UserError(f"{where}: {what} {v!r} is not a finite number; fix or replace the file")
        if v != int(v):  # int() truncated 10.7 to 10: never moved unsaid
            raise UserError(f"{where}: {what} {v!r} is not a whole number; fix or replace the file")
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
            for axis, v in zip(("row", "col"), p):  # 10.7 was truncated to 10: refused, named as written
                if isinstance(v, float) and math.isfinite(v) and v != int(v):
                    try:
                        img = images.get(ann["image_id"])
                    except TypeError:
                        img = None
                    of = f"image {img[0]}" if img else f"image_id {ann['image_id']!r}"
                    raise UserError(f"{where}: annotations[{i}] ({of}) has the point {p!r}, whose {axis} {v!r} "
                                    "is not a whole number (points are 1-based [row, col] pixels); "
                                    "fix or replace the file")
            pts.append((whole(p[0], f"annotations[{i}] row") - 1, whole(p[1], f"annotations[{i}] col") - 1))
        try:
            size = images.get(ann["image_id"])
        except TypeError:
            raise UserError(f"{where}: annotations[{i}].image_id {ann['image_id']!r} is not a number or text") from None
        if size is None:  # its fixations would belong to no image: never dropped unsaid
            raise UserError(f"{where}: annotations[{i}].image_id {ann['image_id']!r} names no entry of 'images'; "
                            "fix or replace the file")
        h, w = size[1], size[2]
        for r, c in pts:
            if not (0 <= r < h and 0 <= c < w):  # the API's map would fail or wrap; never dropped unsaid
                raise UserError(f"{where}: annotations[{i}] has the point [{r + 1}, {c + 1}], outside the {w}x{h} "
                                "image (points are 1-based [row, col]); fix or replace the file")
        points.setdefault(ann["image_id"], []).extend(pts)
    maps = _stems(maps_dir, PRED_EXTS, notes, param) if maps_dir and maps_dir.is_dir() else {}
    items = []
    for iid, (file_name, h, w) in sorted(images.items(), key=lambda kv: kv[1][0]):
        key = nfc(Path(file_name).stem)  # one Unicode form, as index_folder's keys
        dens = str(maps[key]) if key in maps else None
        items.append(GTItem(key=key, points=tuple(points.get(iid, [])), size=(h, w), density=dens))
    listed = {it.key for it in items}  # after the JSON's images: their indices (sAUC/AUC-Borji draws) are kept
    items += [GTItem(key=k, density=str(p)) for k, p in maps.items() if k not in listed]
    return items


def fixation_folder(d: str | Path, name: str | None = None, param: str = "gt") -> GTDataset:
    """Fixation ground truth from a folder in one of the known layouts (see module docstring).

    ``param``: the parameter that gave the folder, named in errors (``data`` for training).
    """
    d = Path(d)
    if not d.is_dir():
        raise UserError(f"`{param}` {d}: folder not found")
    cb = d / "center_bias.png"
    baseline = str(cb) if cb.is_file() else None
    note = f"centre bias from {cb}" if baseline else CENTER_BIAS_GAUSSIAN
    nm = name or d.name
    notes: list[str] = []  # files left out of the folders read, one line each
    if (d / "fixations").is_dir() and (d / "maps").is_dir():
        fix = _stems(d / "fixations", IMAGE_EXTS, notes, param)
        maps = _stems(d / "maps", PRED_EXTS, notes, param)
        items = [GTItem(key=k, gt=str(fix[k]) if k in fix else "", density=str(maps[k]) if k in maps else None)
                 for k in _with_maps_only(fix, maps)]
        layout = "saliency ingest folder (fixations/ + maps/)"
    elif (d / "trainSet" / "FIXATIONLOCS").is_dir() or (d / "FIXATIONLOCS").is_dir():
        base = d / "trainSet" if (d / "trainSet" / "FIXATIONLOCS").is_dir() else d
        locs = _stems(base / "FIXATIONLOCS", (".mat",), notes, param)
        maps = _stems(base / "FIXATIONMAPS", IMAGE_EXTS, notes, param) if (base / "FIXATIONMAPS").is_dir() else {}
        hist = (_stems(base / "FIXATIONHISTOGRAM", IMAGE_EXTS, notes, param)
                if (base / "FIXATIONHISTOGRAM").is_dir() else {})
        items = [GTItem(key=k, gt=str(locs[k]) if k in locs else "", density=str(maps[k]) if k in maps else None,
                        baseline=str(hist[k]) if k in hist else None) for k in _with_maps_only(locs, maps)]
        layout = "MIT/CAT2000 (FIXATIONLOCS/*.mat + FIXATIONMAPS/)"
        if hist:
            note = "per-image fixation histogram (FIXATIONHISTOGRAM/)"
    elif (d / "ALLFIXATIONMAPS").is_dir():
        allm = d / "ALLFIXATIONMAPS"
        pts, maps, other, wrong_ext = _mit1003_files(allm, param)
        if not pts and not maps:
            raise UserError(f"`{param}` {d}: ALLFIXATIONMAPS/ holds no <name>_fixPts / <name>_fixMap images "
                            "(MIT1003's layout)")
        items = [GTItem(key=k, gt=str(pts[k]) if k in pts else "", density=str(maps[k]) if k in maps else None)
                 for k in _with_maps_only(pts, maps)]
        layout = ("MIT1003 (ALLFIXATIONMAPS/*_fixPts + *_fixMap)" if pts else
                  "MIT1003 (ALLFIXATIONMAPS/*_fixMap only: human maps, no fixation points)")
        if other:  # never dropped unsaid
            notes.append(f"{allm}: {len(other)} file(s) left out: not <name>_fixPts or <name>_fixMap "
                         f"(e.g. {shown_path(other[0].name)})")
        ext_note = left_out_note(FolderIndex({}, left_out=wrong_ext, exts=IMAGE_EXTS), allm)
        if ext_note:  # zz_fixMap.txt: named as a map, not one (it was read as one)
            notes.append(f"{allm}: {ext_note} (and .mat for _fixPts, .npy for _fixMap)")
        notes += _mit1003_sub_folders(allm, param)
    elif (d / "maps").is_dir() and _find_json(d) is None:
        maps = _stems(d / "maps", PRED_EXTS, notes, param)
        items = [GTItem(key=k, density=str(p)) for k, p in maps.items()]
        layout = "human maps only (maps/, no fixation points)"
    elif _find_json(d) is not None:
        maps_dir = d / "maps" / "val" if (d / "maps" / "val").is_dir() else d / "maps"
        items = salicon_items(_find_json(d), maps_dir, notes, param)
        layout = "SALICON (fixations JSON + maps/)"
    else:
        raise UserError(f"`{param}` {d}: not a fixation dataset folder; expected fixations/ + maps/ (saliency "
                        "ingest), FIXATIONLOCS/ (MIT, CAT2000), ALLFIXATIONMAPS/ (MIT1003) or a SALICON fixations JSON")
    if not items:
        raise UserError(f"`{param}` {d}: no fixation maps found ({layout})")
    ds = GTDataset(nm, "fixation", items, baseline=baseline, baseline_note=note, layout=layout, notes=notes)
    if layout.startswith("saliency ingest"):
        ds.sigma_px, why = _ingest_sigma(d / "dataset.json")
        ds.blur = _ingest_blur(d / "dataset.json")
        if why:
            ds.notes.append(why)
    if layout.startswith("SALICON"):
        salicon_maps(ds)
    return _map_only_notes(ds)


def _map_only_notes(ds: GTDataset) -> GTDataset:
    """Add the note of a dataset without fixation points, or naming its images with a human map only."""
    if not ds.has_points:
        ds.notes.append("no fixation points (human maps only): only " + ", ".join(MAP_ONLY_METRICS)
                        + " are scored; the other metrics are skipped (n/a)")
    else:
        bare = [it.key for it in ds.items if not it.gt and it.points is None]
        if bare:  # kept and scored where a map suffices, never dropped unsaid
            ds.notes.append(f"{len(bare)} image(s) have a human map but no fixation points (e.g. "
                            f"{', '.join(shown_path(k) for k in bare[:3])}): only " + ", ".join(MAP_ONLY_METRICS)
                            + " are scored on them; the other metrics are left out on them")
    return ds


def _mit1003_files(allm: Path, param: str) -> tuple[dict, dict, list, list]:
    """MIT1003's ``ALLFIXATIONMAPS``: (name -> ``_fixPts`` file, name -> ``_fixMap`` file, files of neither
    pattern, pattern files of another extension).

    A ``_fixPts`` file is an image or ``.mat`` (:func:`eval.io.read_fixations`),
    a ``_fixMap`` one an image or ``.npy``; ``zz_fixMap.txt`` was read as a
    map. Two files of one name (``i1_fixMap.jpg`` and ``i1_fixMap.png``) are
    refused, both named: one silently replaced the other.
    """
    pts: dict[str, Path] = {}
    maps: dict[str, Path] = {}
    other, wrong_ext = [], []
    for p in sorted(allm.iterdir()):
        if p.name.startswith(".") or not p.is_file():
            continue
        if p.stem.endswith("_fixPts"):
            found, exts, cut = pts, IMAGE_EXTS + (".mat",), len("_fixPts")
        elif p.stem.endswith("_fixMap"):
            found, exts, cut = maps, PRED_EXTS, len("_fixMap")
        else:
            other.append(p)
            continue
        if p.suffix.lower() not in exts:
            wrong_ext.append(p)
            continue
        key = nfc(p.stem[:-cut])
        if key in found:
            raise _same_stem(f"`{param}` {allm}", found[key], p, p.stem)
        found[key] = p
    return pts, maps, other, wrong_ext


def _mit1003_sub_folders(allm: Path, param: str) -> list[str]:
    """The note counting the files in sub-folders of MIT1003's ``ALLFIXATIONMAPS``, which is read flat; [] if none.

    ``ALLFIXATIONMAPS/sub/k_fixPts.png`` was skipped without a word. The
    files under its (not hidden) sub-folders are counted as the other files
    left out of the folder are, one named, and so are the sub-folders, an
    empty one included (:func:`eval.io.walk_files`: hidden folders skipped,
    linked ones followed once).
    """
    subs = sorted(p.name for p in allm.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subs:
        return []
    found: list = []
    walk_files(allm, (), f"`{param}` {allm}", found)  # no extension kept: every file walked is in ``found``
    nested = sorted(p.relative_to(allm).as_posix() for p in found if p.parent != allm)
    names = ", ".join(f"{shown_path(n)}/" for n in subs[:3]) + (", ..." if len(subs) > 3 else "")
    eg = f"; e.g. {shown_path(nested[0])}" if nested else ""
    return [f"{allm}: {len(nested)} file(s) left out: in {len(subs)} sub-folder(s) ({names}{eg}); MIT1003's "
            "ALLFIXATIONMAPS is read flat (<name>_fixPts and <name>_fixMap side by side): move them up, or out of it"]


#: the SALICON API's human map: the image's points merged (a pixel once), ``gaussian_filter(sigma=19)`` with its
#: default border (``reflect``) and reach (4 sigma), min-max (``../shared/REFERENCES.md``; salicon-api)
SALICON_SIGMA_PX = 19.0
SALICON_BLUR = ("reflect", 4.0)


def salicon_maps(ds: GTDataset) -> GTDataset:
    """A SALICON dataset's human maps are the API's: built from the points where no map file is given.

    Its blur is also the one the metric-specific maps use. Without a map
    folder, CC, KLD and SIM were left out (n/a) though the construction is
    fully specified; now each missing map is built as the API builds it.
    """
    from dataclasses import replace

    ds.sigma_px, ds.blur = SALICON_SIGMA_PX, SALICON_BLUR
    built = sum(it.density is None and it.points is not None for it in ds.items)
    ds.items = [replace(it, sigma_px=SALICON_SIGMA_PX) if it.density is None and it.points is not None else it
                for it in ds.items]
    if built:
        ds.notes.append(f"{built} human map(s) built from the fixations as the SALICON API builds them (points merged, "
                        "gaussian_filter sigma 19 px, reflect border, min-max)")
    return ds


def _ingest_blur(path: Path) -> tuple | None:
    """(border, truncate) of a ``saliency ingest`` folder's human maps from its dataset.json; None if unknown."""
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
        border = rec["policies"]["border"]
        truncate = float(rec["sigma"].get("truncate", 4.0))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return (border, truncate) if border in ("constant", "reflect", "nearest") and truncate > 0 else None


def _ingest_sigma(path: Path) -> tuple[float, str | None]:
    """The blur (px) of a ``saliency ingest`` folder's human maps from its dataset.json, and a note when unknown.

    One value when every stimulus size got the same sigma, isotropic or nearly
    so (the usual case: a sigma in degrees gives the two axes of a real screen
    sigmas 0.1 % apart, whose mean is taken when they differ by at most 1 %);
    0 with a note when the blur differs between sizes or axes; 0 without one
    when the record cannot be read (the benchmark's notes then say the blur is
    not known). Metric-specific maps of a dataset with 0 use the unblurred density.
    """
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
        sizes = rec["sigma"]["px_by_stimulus_size"]
        pairs = {(float(v[0]), float(v[1])) for v in sizes.values()}
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return 0.0, None
    if len(pairs) == 1:
        sx, sy = next(iter(pairs))
        if sx > 0 and sy > 0 and abs(sx - sy) <= 0.01 * max(sx, sy):
            return (sx + sy) / 2, None
    if len(pairs) == 1:
        sx, sy = next(iter(pairs))
        what = f"differs between the axes ({path.name}: {sx:.4g} x {sy:.4g} px)"
    else:
        what = f"differs between stimulus sizes ({path.name}: {len(pairs)} sigmas)"
    return 0.0, f"the blur of its human maps {what}; CC/KLD/SIM metric maps use the unblurred density"


def split_stems(name: str, split: str) -> list[str]:
    """The image stems of part ``split`` ("train" or "test") of dataset ``name``'s documented split file."""
    if name not in SPLITS:
        raise UserError(f"`split` {split}: {name} has no documented split (datasets with one: {', '.join(SPLITS)})")
    path = SPLITS_DIR / SPLITS[name]
    data = json.loads(path.read_text(encoding="utf-8"))
    if split not in ("train", "test"):
        raise UserError(f"`split` {split}: choose train or test")
    return list(data[split])


def read_osie(path: str | Path, entries: dict | None = None) -> dict[str, list[np.ndarray]]:
    """OSIE's ``eye/fixations.mat``: image stem -> one (n, 2) array of (x, y) per observer (1-based pixels).

    The file holds ``fixations[i].img`` (the image's file name) and
    ``fixations[i].subjects[j].fix_x / fix_y / fix_duration``
    (``../shared/data/README.md``). A file of another structure raises one
    UserError naming it. The arrays are the file's values, non-finite ones
    included (:func:`osie_nonfinite` counts them). ``entries``, when given,
    receives image stem -> the 1-based position ``i`` of its entry, as
    ``fixations(i)`` (the name ``saliency ingest`` gives it).
    """
    import scipy.io

    path = Path(path)
    try:
        m = scipy.io.loadmat(str(path), squeeze_me=True, struct_as_record=False)
    except Exception as exc:  # noqa: BLE001 - any failure to parse is the file's fault
        raise UserError(f"{path}: not a readable MATLAB file ({exc})") from None
    if "fixations" not in m:
        raise UserError(f"{path}: no 'fixations' array inside; not OSIE's eye/fixations.mat")
    out: dict[str, list[np.ndarray]] = {}
    seen: dict[str, int] = {}  # image stem -> its entry's 1-based position
    for i, entry in enumerate(np.atleast_1d(m["fixations"])):
        try:
            img = str(entry.img)
            subjects = np.atleast_1d(entry.subjects)
            per = []
            for sub in subjects:
                x = np.atleast_1d(np.asarray(sub.fix_x, dtype=np.float64)).ravel()
                y = np.atleast_1d(np.asarray(sub.fix_y, dtype=np.float64)).ravel()
                if x.shape != y.shape:
                    raise ValueError("fix_x and fix_y differ in length")
                per.append(np.stack([x, y], axis=1))
        except (AttributeError, TypeError, ValueError) as exc:
            raise UserError(f"{path}: fixations[{i}] is not an OSIE entry (img, subjects[].fix_x/fix_y): "
                            f"{exc}") from None
        key = nfc(Path(img).stem)
        if key in out:  # never one entry silently replaced by another
            raise UserError(f"{path}: fixations({i + 1}) names the image {img} again (also fixations("
                            f"{seen[key]})); OSIE lists each image once: fix or replace the file")
        out[key], seen[key] = per, i + 1
        if entries is not None:
            entries[key] = i + 1
    if not out:
        raise UserError(f"{path}: no images in 'fixations'")
    return out


def osie_points(xy: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """OSIE (x, y) 1-based fixations to 0-based (row, col) pixels, as the authors' ``computeFixationMaps.m``.

    Rounded to the nearest pixel (halves away from zero, MATLAB ``round``),
    clipped to 1..W and 1..H, then shifted to 0-based. Non-finite points are dropped here;
    :func:`osie` counts them in a note (:func:`osie_nonfinite`).
    """
    h, w = int(shape[0]), int(shape[1])
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    r = np.floor(xy + 0.5)  # MATLAB round for the positive pixel coordinates
    x = np.clip(r[:, 0], 1, w).astype(np.int64) - 1
    y = np.clip(r[:, 1], 1, h).astype(np.int64) - 1
    return np.stack([y, x], axis=1)


def osie_nonfinite(fixations: dict, keys, entries: dict | None = None) -> tuple[int, int, int, str]:
    """The fixations of images ``keys`` with a non-finite ``fix_x`` or ``fix_y`` (:func:`osie_points` leaves them out).

    Returns (fixations left out, images with one, fixations in all, the first
    one named as in the file: ``fixations(i).subjects(j).fix_x(k)``, 1-based,
    ``fix_y`` when only it is non-finite, followed by the image; "" when none).
    ``entries``: stem -> ``i`` (:func:`read_osie`); without it the image's
    stem stands for ``fixations(i)``.
    """
    bad = images = total = 0
    example = ""
    for k in keys:
        n_img = 0
        for j, xy in enumerate(fixations[k], start=1):
            xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
            fin = np.isfinite(xy)
            off = np.flatnonzero(~fin.all(axis=1))
            total += len(xy)
            n_img += len(off)
            if len(off) and not example:
                f = int(off[0])
                coord = "fix_x" if not fin[f, 0] else "fix_y"
                where = f"fixations({entries[k]})" if entries and k in entries else f"fixations({k})"
                example = f"{where}.subjects({j}).{coord}({f + 1}), image {k}"
        bad += n_img
        images += n_img > 0
    return bad, images, total, example


def _nonfinite_note(fixations: dict, keys, entries: dict, what: str, use: str) -> list[str]:
    """One note counting the non-finite fixations of ``keys`` left out (none when every one is finite)."""
    bad, images, total, example = osie_nonfinite(fixations, keys, entries)
    if not bad:
        return []
    one = bad == 1
    return [f"eye/fixations.mat: {bad} of the {total} fixations of {what} {'has' if one else 'have'} a non-finite "
            f"fix_x or fix_y (on {images} image{'' if images == 1 else 's'}, e.g. {example}): left out of {use}, as "
            f"saliency ingest quarantines {'it' if one else 'them'} (bad_coordinates)"]


def osie(root: str | Path, split: str | None = None, name: str = "OSIE", baseline: bool = True) -> GTDataset:
    """The OSIE dataset under ``root`` (``root/osie`` or ``root`` itself), optionally one part of its split.

    Items carry every observer's fixations (``subjects``) and the pooled
    points; the human map is built on the fly with OSIE's sigma (module
    docstring). The IG baseline is the dataset centre bias fitted on the
    training split (:func:`saliency.eval.baselines.fit_centre_bias`), also
    when scoring the test split, so that no test fixation enters it;
    ``baseline=False`` skips that fit (training needs only the items).
    """
    from saliency.base.images import image_size

    root = Path(root)
    if not root.is_dir():
        raise UserError(f"`root` {root}: folder not found")
    base = None
    for cand in (root, root / "osie", root / "OSIE"):
        if (cand / "eye" / "fixations.mat").is_file():
            base = cand
            break
    if base is None:
        raise UserError(f"`root` {root}: no OSIE eye/fixations.mat in it or in {root / 'osie'}")
    entries: dict[str, int] = {}
    fixations = read_osie(base / "eye" / "fixations.mat", entries)
    stim = base / "stimuli"
    keys = sorted(fixations)
    notes = []
    if split is not None:
        want = split_stems("OSIE", split)
        keys = [k for k in want if k in fixations]
        if not keys:
            raise UserError(f"`root` {root}: none of the OSIE {split} images has fixations in "
                            f"{base / 'eye' / 'fixations.mat'}")
        if len(keys) < len(want):
            miss = [k for k in want if k not in fixations]
            notes.append(f"{len(miss)} of the {len(want)} {split} images are not in eye/fixations.mat "
                         f"(e.g. {', '.join(miss[:3])}); the other {len(keys)} are scored")
    items, train_pts = [], []
    sizes: dict[str, tuple[int, int]] = {}
    files = osie_images(stim)
    for k in sorted(set(keys) | (set(split_stems("OSIE", "train")) if baseline else set())):
        img = files.get(k)
        wh = image_size(img) if img is not None else None
        sizes[k] = (wh[1], wh[0]) if wh else (600, 800)  # OSIE's stimuli are all 800x600
    for k in keys:
        shape = sizes[k]
        subs = tuple(tuple(map(tuple, osie_points(xy, shape).tolist())) for xy in fixations[k])
        pooled = tuple(p for s in subs for p in s)
        items.append(GTItem(key=k, points=pooled, size=shape, subjects=subs, sigma_px=OSIE_SIGMA_PX))
    what = f"the {len(keys)} {split + ' ' if split else ''}image{'' if len(keys) == 1 else 's'}"
    notes += _nonfinite_note(fixations, keys, entries, what,
                             "the fixations scored" if baseline else "the fixations and human maps")
    label = f"{name} ({split})" if split else name
    layout = f"OSIE (eye/fixations.mat, {len(items)} images" + (f", {split} split of eval/splits/osie.json)"
                                                                 if split else ")")
    if not baseline:
        return GTDataset(label, "fixation", items, layout=layout, sigma_px=OSIE_SIGMA_PX, split=split, notes=notes,
                         images_dir=str(stim))
    train = [k for k in split_stems("OSIE", "train") if k in fixations]
    if not train:
        raise UserError(f"`root` {root}: none of OSIE's training images is in {base / 'eye' / 'fixations.mat'}; "
                        "the centre bias (the IG baseline) is fitted to them")
    what = f"the {len(train)} training image{'' if len(train) == 1 else 's'}"
    notes += _nonfinite_note(fixations, train, entries, what,
                             "the centre bias (the IG baseline) fitted to them")
    cb_shape = sizes[train[0]]  # OSIE's images share one size; the centre bias is resized to any other
    for k in train:
        xy = [osie_points(a, sizes[k]) for a in fixations[k]]
        pts = np.concatenate(xy) if xy else np.zeros((0, 2), np.int64)
        if sizes[k] != cb_shape:  # map into the centre bias's frame
            pts = np.floor((pts + 0.5) * np.array(cb_shape) / np.array(sizes[k])).astype(np.int64)
        train_pts.append(pts)
    from saliency.eval.baselines import fit_centre_bias

    cb = fit_centre_bias(train_pts, cb_shape)
    ds = GTDataset(label, "fixation", items, layout=layout, baseline_logp=cb.logp, sigma_px=OSIE_SIGMA_PX,
                   split=split, notes=notes, images_dir=str(stim),
                   baseline_note=f"dataset centre bias of the OSIE training images ({cb.describe()})")
    return ds


def osie_images(stim: Path) -> dict[str, Path]:
    """The ``.jpg`` stimuli of an OSIE-format ``stim`` folder by NFC stem (the keys of :func:`read_osie`)."""
    stim = Path(stim)
    return {nfc(p.stem): p for p in sorted(stim.iterdir()) if p.suffix.lower() == ".jpg"} if stim.is_dir() else {}


def published(name: str, root: str | Path, split: str | None = None, baseline: bool = True) -> GTDataset:
    """Ground truth of the published dataset ``name`` under ``root`` (the folder holding it, or the dataset itself).

    ``split``: "train" or "test" of the dataset's documented split (OSIE).
    ``baseline=False``: leave out a dataset-wide IG baseline that has to be
    fitted (OSIE's centre bias); for training, which does not score.
    """
    key = canonical_name(name)
    if key is None:
        raise UserError(f"`dataset` {name}: unknown dataset; choose from {', '.join(PUBLISHED)} "
                        "(saliency eval `list_datasets`)")
    if key == "OSIE":
        return osie(root, split, baseline=baseline)
    if split is not None:
        split_stems(key, split)  # raises: no documented split
    task, folder, cands, _ = PUBLISHED[key]
    base = find_root(key, Path(root))
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
        notes: list[str] = []
        items = salicon_items(js, base / "maps" / "val", notes, "root")
        return _map_only_notes(salicon_maps(GTDataset(key, "fixation", items, layout="SALICON val", notes=notes)))
    ds = fixation_folder(base, key)
    return ds

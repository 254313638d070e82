"""Fixation ground-truth folders: the layouts a fixation dataset is read from, for ``saliency eval`` and training.

Layouts follow ``../shared/REFERENCES.md`` section 4 (as the datasets are
distributed) and the fixation dataset folder of the project contract
(``saliency ingest --out D``: ``D/fixations/<id>.png``, ``D/maps/<id>.png|.npy``,
``D/center_bias.png``; the IG baseline is read from ``D/center_bias.npy``, float, when
there is one and the PNG is its 8-bit rounding): MIT1003 (``ALLFIXATIONMAPS/<name>_fixPts.jpg``
binary, ``<name>_fixMap.jpg`` continuous), MIT and CAT2000
(``trainSet/FIXATIONLOCS/<cat>/*.mat``, ``trainSet/FIXATIONMAPS/<cat>/*.jpg``),
SALICON (``maps/val/*.png`` and the COCO-style fixations JSON, points
``[row, col]`` 1-based; :func:`salicon_val` reads its published validation
set; a ``fixations_train*.json`` reads ``maps/train``, the training layout,
and a flat ``maps/`` serves either; it is found where training finds it,
one folder down too, as ``annotations/fixations_train*.json``; the files
under ``maps/`` outside the split folder read are counted in one note). A
folder of continuous human maps only (``maps/`` beside ``stimuli/``, as
``mit1003_subset100``, or ``ALLFIXATIONMAPS`` with ``_fixMap`` files only)
is scored with the metrics that need only maps (CC, KLD, SIM); the others are
reported as skipped. So is, image by image, a human map whose image has no
fixation points in a folder that has them (ingest ``maps/c.png`` without
``fixations/c.png``, a ``_fixMap`` without its ``_fixPts``, FIXATIONMAPS
without FIXATIONLOCS, a SALICON ``maps/`` file the fixations JSON does not
list): the image is kept, its other metrics are counted as left out on it,
and a note names it. Files of other extensions in the folders read
(``zz_fixMap.txt`` among them) are counted in a note per folder, as in an
SOD mask folder, as are the files in sub-folders of MIT1003's
``ALLFIXATIONMAPS`` (read flat), and two files of one name in one
(``maps/a.jpg`` and ``maps/a.png``, ``a_fixMap.jpg`` and ``a_fixMap.png``)
are refused, both named. Errors name the parameter that gave the folder
(``param``: ``gt``, or ``data`` for training; ``root`` for SALICON's
published layout).

:mod:`saliency.eval.datasets` re-exports every name it defined before they
moved here, so the imports written before this module existed keep working.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from saliency.base.errors import UserError, expect_type
from saliency.base.fsutil import read_json
from saliency.base.images import IMAGE_EXTS, MAX_SIDE, shown_path
from saliency.base.names import nfc

from saliency.eval.ground_truth import CENTER_BIAS_GAUSSIAN, MAP_ONLY_METRICS, GTDataset, GTItem
from saliency.eval.io import PRED_EXTS, FolderIndex, key_of, left_out_note, read_map, walk_files


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


def salicon_train_json(d: Path) -> Path | None:
    """The ``fixations_train*.json`` of a SALICON training folder ``d``, where ``saliency train --data`` finds it.

    In ``d`` itself, else one folder down (``annotations/``, ``json/``, ...), the first by sorted name; None
    when there is none. The lookup of training's SALICON layout (``images/train`` + ``maps/train``), which
    :func:`fixation_folder` makes after the places :func:`_find_json` knows, so that ``saliency eval --gt``
    reads such a folder with that JSON as training does.
    """
    hits = sorted(d.glob("fixations_train*.json")) + sorted(d.glob("*/fixations_train*.json"))
    return hits[0] if hits else None


def _salicon_json(d: Path) -> Path | None:
    """The fixations JSON :func:`fixation_folder` reads a SALICON folder ``d`` by; None if it has none.

    :func:`_find_json`'s (a validation JSON first), else :func:`salicon_train_json`'s: without it,
    ``annotations/fixations_train*.json`` was not found and the folder was read as human maps only (keys
    ``train/<stem>``, no fixation points), though training reads it as SALICON.
    """
    return _find_json(d) or salicon_train_json(d)


def salicon_files(d: Path) -> tuple[Path, Path] | None:
    """(fixations JSON, human-map folder) by which :func:`fixation_folder` reads ``d`` as SALICON; None without a JSON.

    :func:`_salicon_json` and :func:`_salicon_maps_dir`, for ``saliency train``: a folder of ``images/`` + a flat
    ``maps/`` + ``fixations_train*.json`` was read by training as human maps only (targets from the top of each
    map), by ``saliency eval`` as SALICON with the JSON's points.
    """
    js = _salicon_json(d)
    return (js, _salicon_maps_dir(d, js)) if js is not None else None


def _salicon_maps_dir(d: Path, json_path: Path) -> Path:
    """The folder of a SALICON folder ``d``'s human maps for its fixations JSON ``json_path``.

    ``maps/train`` for a ``fixations_train*.json``, ``maps/val`` for a
    ``fixations_val*.json`` (another name: ``maps/val``, else ``maps/train``),
    and ``maps/`` itself when that split's folder is not there. ``maps/``
    was read whole when ``maps/val`` was missing: the training layout's
    ``maps/train/<stem>.png`` got the keys ``train/<stem>``, which the JSON
    does not list, so every image was counted twice (the image with a map
    built from its points, and the map alone).
    """
    name = json_path.name.lower()
    splits = [s for s in ("train", "val") if name.startswith(f"fixations_{s}")] or ["val", "train"]
    for split in splits:
        if (d / "maps" / split).is_dir():
            return d / "maps" / split
    return d / "maps"


def _listed_maps(maps: dict[str, Path], listed: set, folder: Path, param: str | None) -> dict[str, Path]:
    """``maps`` (relative key -> file) keyed by the JSON's stems: ``sub/<stem>`` is the map of the listed ``<stem>``.

    A map in a sub-folder whose own name the JSON lists is that image's map,
    never a second, map-only item of the image; two maps of one listed image
    (``x.png`` and ``sub/x.png``) are refused, both named. A map whose name
    the JSON does not list keeps its relative key.
    """
    out: dict[str, Path] = {}
    for key, path in maps.items():
        stem = key.rsplit("/", 1)[-1]
        if key not in listed and stem in listed:
            key = stem
        if key in out:
            label = f"`{param}` {folder}" if param else str(folder)
            raise UserError(f"{label}: {out[key].relative_to(folder).as_posix()} and "
                            f"{path.relative_to(folder).as_posix()} are both maps of the image {key!r} of the "
                            "fixations JSON, so which one is meant cannot be told; rename or move one of them")
        out[key] = path
    return out


def _other_maps_note(maps_dir: Path, json_path: Path, param: str | None) -> str | None:
    """The note counting the files under ``maps/`` that reading its split folder ``maps_dir`` leaves out; or None.

    When ``maps_dir`` is ``maps/train`` or ``maps/val`` (the fixations JSON's split), the other files under
    ``maps/`` are not read: maps beside it (``maps/a.png``) or in another sub-folder than the two splits. They
    were left out without a word; now one line counts them (the other split's folder, ``maps/val`` beside a
    train JSON, is SALICON's published layout and not counted: a full download would list 10,000 maps),
    by where they lie, and names one (:func:`eval.io.walk_files`: hidden names skipped, linked folders
    outside followed). None for any other ``maps_dir`` (a flat ``maps/`` is read whole).
    """
    top = maps_dir.parent
    if top.name != "maps" or maps_dir.name not in ("train", "val"):
        return None
    found: list = []
    walk_files(top, (), f"`{param}` {top}" if param else str(top), found)  # no extension kept: every file
    # the other split's folder (maps/val beside maps/train) is the published layout, not a stray: left unsaid
    other = {"train": "val", "val": "train"}[maps_dir.name]
    rel = [p.relative_to(top) for p in found if p.relative_to(top).parts[0] not in (maps_dir.name, other)
           or len(p.relative_to(top).parts) == 1]
    if not rel:
        return None
    where: dict[str, int] = {}
    for r in rel:
        at = f"in {shown_path(r.parts[0])}/" if len(r.parts) > 1 else f"beside {maps_dir.name}/"
        where[at] = where.get(at, 0) + 1
    places = ", ".join(f"{n} {at}" for at, n in list(where.items())[:3]) + (", ..." if len(where) > 3 else "")
    return (f"{top}: {len(rel)} file(s) left out: not the JSON's split (maps/{maps_dir.name} is read for "
            f"{shown_path(json_path.name)}; {places}; e.g. {shown_path(rel[0].as_posix())})")


def salicon_items(json_path: Path, maps_dir: Path | None, notes: list | None = None,
                  param: str | None = None) -> list[GTItem]:
    """Items from a SALICON (COCO-style) fixations JSON; points are [row, col], 1-based.

    ``notes``, when given, receives the count of the files of ``maps_dir``
    left out (not an image or ``.npy`` extension), and, when ``maps_dir``
    is ``maps/train`` or ``maps/val``, that of the other files under
    ``maps/``, which are not read (:func:`_other_maps_note`). A human map of
    ``maps_dir`` whose image the JSON does not list is an item of its own,
    after the JSON's, with the map and no points (``points`` None), as a map
    without fixations in the other layouts: scored with CC, KLD and SIM (it
    was ignored unsaid). Maps are matched to the JSON's images by the
    JSON's stems (:func:`_listed_maps`: ``sub/<stem>`` is ``<stem>``'s map),
    so no image is made twice. Two maps of one stem are refused (``param``
    names the parameter that gave the folder).

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
    if notes is not None and maps_dir and maps_dir.is_dir():
        other = _other_maps_note(maps_dir, json_path, param)
        if other:
            notes.append(other)
    maps = _listed_maps(maps, {nfc(Path(v[0]).stem) for v in images.values()}, maps_dir, param) if maps else maps
    items = []
    for iid, (file_name, h, w) in sorted(images.items(), key=lambda kv: kv[1][0]):
        key = nfc(Path(file_name).stem)  # one Unicode form, as index_folder's keys
        dens = str(maps[key]) if key in maps else None
        items.append(GTItem(key=key, points=tuple(points.get(iid, [])), size=(h, w), density=dens))
    listed = {it.key for it in items}  # after the JSON's images: their indices (sAUC/AUC-Borji draws) are kept
    items += [GTItem(key=k, density=str(p)) for k, p in maps.items() if k not in listed]
    return items


def _center_bias_file(d: Path) -> Path | None:
    """The IG baseline file of a folder: ``center_bias.npy`` (float, as ingest writes it beside the PNG) when it
    agrees with ``center_bias.png`` (its 8-bit rounding, within one level), else the PNG; None without either.

    Ingest writes the two together; a PNG that differs was put there afterwards (a lab's own baseline), and a
    stale npy beside it must not silently win over it (review RR13). A folder without the PNG reads the npy.
    """
    import numpy as np

    npy, png = d / "center_bias.npy", d / "center_bias.png"
    if not npy.is_file():
        return png if png.is_file() else None
    if not png.is_file():
        return npy
    a, b = read_map(npy), read_map(png)
    hi = float(a.max())  # data_tools.maps.to_uint's rounding, written out: eval may not import data_tools
    same = a.shape == b.shape and hi > 0 and float(np.abs(np.rint(a * (255 / hi)) - b).max()) <= 1
    return npy if same else png


def fixation_folder(d: str | Path, name: str | None = None, param: str = "gt") -> GTDataset:
    """Fixation ground truth from a folder in one of the known layouts (see module docstring).

    ``param``: the parameter that gave the folder, named in errors (``data`` for training).
    """
    d = Path(d)
    if not d.is_dir():
        raise UserError(f"`{param}` {d}: folder not found")
    # the IG baseline: center_bias.npy (float) before center_bias.png, whose 8 bits round the faint edges of a
    # narrow blur to 0, where a fixation cost log2(eps) = -52 bits (a folder without the .npy reads the PNG)
    cb = _center_bias_file(d)
    baseline = str(cb) if cb is not None else None
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
    elif (js := _salicon_json(d)) is not None:  # looked for once (up to seven globs)
        items = salicon_items(js, _salicon_maps_dir(d, js), notes, param)
        layout = "SALICON (fixations JSON + maps/)"
    elif (d / "maps").is_dir():  # no fixations JSON
        maps = _stems(d / "maps", PRED_EXTS, notes, param)
        items = [GTItem(key=k, density=str(p)) for k, p in maps.items()]
        layout = "human maps only (maps/, no fixation points)"
    else:
        raise UserError(f"`{param}` {d}: not a fixation dataset folder; expected fixations/ + maps/ (saliency "
                        "ingest), FIXATIONLOCS/ (MIT, CAT2000), ALLFIXATIONMAPS/ (MIT1003) or a SALICON fixations JSON")
    if not items:
        raise UserError(f"`{param}` {d}: no fixation maps found ({layout})")
    ds = GTDataset(nm, "fixation", items, baseline=baseline, baseline_note=note, layout=layout, notes=notes)
    if layout.startswith("saliency ingest"):
        ds.sigma_px, why = _ingest_sigma_note(d / "dataset.json")
        ds.blur = _ingest_blur(d / "dataset.json")
        if why:  # true whatever is scored; what it does to metric maps is said where they are (benchmark.note_lines)
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
        bare = [it.key for it in ds.items if not it.fixated]
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
    refused, both named: one silently replaced the other. So is a link of
    either pattern whose target is missing (``a_fixMap.png -> gone.png``),
    named as :func:`eval.io.walk_files` names one in the other folders: it
    was skipped without a word, its image then scored or trained without it.
    """
    import os

    pts: dict[str, Path] = {}
    maps: dict[str, Path] = {}
    other, wrong_ext = [], []
    for p in sorted(allm.iterdir()):
        dangling = p.is_symlink() and not p.exists()
        if p.name.startswith(".") or not (p.is_file() or dangling):
            continue  # a sub-folder (linked or not) is _mit1003_sub_folders' to count
        if p.stem.endswith("_fixPts"):
            found, exts, cut = pts, IMAGE_EXTS + (".mat",), len("_fixPts")
        elif p.stem.endswith("_fixMap"):
            found, exts, cut = maps, PRED_EXTS, len("_fixMap")
        else:
            if not dangling:  # a dangling link of another name holds no data: skipped, as walk_files skips it
                other.append(p)
            continue
        if p.suffix.lower() not in exts:
            if not dangling:
                wrong_ext.append(p)
            continue
        if dangling:  # a_fixMap.png -> gone.png: refused as walk_files refuses one (it was skipped unsaid)
            raise UserError(f"`{param}` {allm}: {p} is a link to {os.readlink(p)}, which does not exist; fix or "
                            "remove the link")
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


def salicon_val(base: Path, root: str | Path, name: str = "SALICON") -> GTDataset:
    """SALICON's validation set in its published layout under ``base`` (``maps/val/`` and a fixations_val*.json).

    ``root``: the folder the parameter ``root`` gave (``base`` or the folder
    holding it), named in errors.
    """
    js = _find_json(base)
    if js is not None and js.name.startswith("fixations_train"):  # the fallback pattern found a training JSON
        raise UserError(f"`root` {root}: SALICON needs maps/val/ and a fixations_val*.json (only {js.name}, a "
                        "training JSON, is there: it would be scored against maps/val); give the validation JSON, "
                        "or evaluate the training folder with `gt`")
    if js is None or not (base / "maps" / "val").is_dir():
        raise UserError(f"`root` {root}: SALICON needs maps/val/ and a fixations_val*.json")
    notes: list[str] = []
    items = salicon_items(js, base / "maps" / "val", notes, "root")
    return _map_only_notes(salicon_maps(GTDataset(name, "fixation", items, layout="SALICON val", notes=notes)))


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
    """:func:`_ingest_sigma_note`, the note naming what no one sigma does to CC/KLD/SIM metric maps."""
    sigma, why = _ingest_sigma_note(path)
    return sigma, why and f"{why}; CC/KLD/SIM metric maps use the unblurred density"


def _ingest_sigma_note(path: Path) -> tuple[float, str | None]:
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
    return 0.0, f"the blur of its human maps {what}"


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
``eye/fixations.mat``, read here directly, see :func:`read_osie`). The
fixation folders (their layouts, the human maps without fixation points,
what a folder leaves out and what it refuses) are read by
:mod:`saliency.eval.fixation_folders`, and the items and datasets every
reader returns are :mod:`saliency.eval.ground_truth`'s; this module
re-exports the names this module defined before they moved (``fixation_folder``,
``salicon_items``, ``GTItem``, ``GTDataset``, ...), so every import of one of them keeps working.
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
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError
from saliency.base.images import IMAGE_EXTS
from saliency.base.names import nfc

# the fixation folders and the ground-truth records have modules of their own; every name this module defined
# before they moved (the private ones too) is still importable from it, not the names it only imported
# (PRED_EXTS, walk_files, math, dataclass, ...): import those from where they are defined
from saliency.eval.fixation_folders import (  # noqa: F401
    SALICON_BLUR, SALICON_SIGMA_PX, _find_json, _ingest_blur, _ingest_sigma, _map_only_notes, _mit1003_files,
    _mit1003_sub_folders, _same_stem, _stems, _with_maps_only, fixation_folder, salicon_items, salicon_maps,
    salicon_val)
from saliency.eval.ground_truth import CENTER_BIAS_GAUSSIAN, MAP_ONLY_METRICS, GTDataset, GTItem  # noqa: F401
from saliency.eval.io import index_folder, left_out_note, own_keys
from saliency.eval.tables import counted


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
    holding = []  # (folder, its first marker folder) of each base that holds a layout of `name`
    for base in bases:
        gt_dir = next((m for m in markers if (base / m).is_dir()), None)
        if gt_dir is not None:
            holding.append((base, gt_dir))
    if len(holding) > 1 and holding[0][0] == root:  # a generic layout in root beside the dataset's own folder
        (here, a), (sub, b) = holding[0], holding[1]
        raise UserError(f"`root` {root}: both {here} ({a}/) and {sub} ({b}/) hold a {name} layout; give `root` "
                        f"{sub} to read that one, or move the other folders out of {here}")
    if holding:
        return holding[0][0]
    want = " or ".join(f"{a}/ + {b}/" for a, b in cands)
    raise UserError(f"`root` {root}: no {name} here ({want}, in it or in {folder}/); give the folder that holds "
                    f"{name}, or name what it holds with `dataset`")


def sod_folder(gt_dir: str | Path, name: str | None = None) -> GTDataset:
    """SOD ground truth from a folder of masks (matched to predictions by stem)."""
    gt_dir = Path(gt_dir)
    if (gt_dir / "dataset.json").is_file() and (gt_dir / "fixations").is_dir() and (gt_dir / "maps").is_dir():
        # its fixation maps, human maps and center_bias.png were read as masks with no prediction
        raise UserError(f"`gt` {gt_dir}: a fixation dataset written by saliency ingest (dataset.json, fixations/, "
                        "maps/), not a folder of SOD masks; evaluate it with `task` fixation")
    files = index_folder(gt_dir, IMAGE_EXTS, param="gt")
    items = [GTItem(key=k, gt=str(files[k])) for k in own_keys(files, gt_dir)]  # bare-stem aliases skipped
    note = left_out_note(files, gt_dir)  # files of other extensions: counted and named, never dropped unsaid
    name = name or gt_dir.name
    # the folder as given (by --gt, --root or --config), unless the dataset's name already says it (gt: gt: ...)
    where = "" if str(gt_dir) == name else f"{gt_dir}: "
    return GTDataset(name, "sod", items, layout="masks folder", notes=[f"{where}{note}"] if note else [])


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
    seen = entries if entries is not None else {}  # image stem -> its entry's 1-based position
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


def osie_nonfinite(fixations: dict, keys, entries: dict) -> tuple[int, int, int, str]:
    """The fixations of images ``keys`` with a non-finite ``fix_x`` or ``fix_y`` (:func:`osie_points` leaves them out).

    Returns (fixations left out, images with one, fixations in all, the first
    one named as in the file: ``fixations(i).subjects(j).fix_x(k)``, 1-based,
    ``fix_y`` when only it is non-finite, followed by the image; "" when none).
    ``entries``: stem -> ``i`` (:func:`read_osie`).
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
                example = f"fixations({entries[k]}).subjects({j}).{coord}({f + 1}), image {k}"
        bad += n_img
        images += n_img > 0
    return bad, images, total, example


def _nonfinite_note(fixations: dict, keys, entries: dict, what: str, use: str) -> list[str]:
    """One note counting the non-finite fixations of ``keys`` left out (none when every one is finite)."""
    bad, images, total, example = osie_nonfinite(fixations, keys, entries)
    if not bad:
        return []
    one = bad == 1
    return [f"eye/fixations.mat: {bad} of the {counted(total, 'fixation')} of {what} {'has' if one else 'have'} a "
            f"non-finite fix_x or fix_y (on {counted(images, 'image')}, e.g. {example}): left out of {use}, as "
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
            one = len(miss) == 1
            notes.append(f"{len(miss)} of the {len(want)} {split} images {'is' if one else 'are'} not in "
                         f"eye/fixations.mat (e.g. {', '.join(miss[:3])}); the other {len(keys)} "
                         f"{'is' if len(keys) == 1 else 'are'} scored")
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
    what = f"the {counted(len(keys), (split + ' ' if split else '') + 'image')}"
    notes += _nonfinite_note(fixations, keys, entries, what,
                             "the fixations scored" if baseline else "the fixations and human maps")
    label = f"{name} ({split})" if split else name
    layout = f"OSIE (eye/fixations.mat, {counted(len(items), 'image')}" + (
        f", {split} split of eval/splits/osie.json)" if split else ")")
    if not baseline:
        return GTDataset(label, "fixation", items, layout=layout, sigma_px=OSIE_SIGMA_PX, split=split, notes=notes,
                         images_dir=str(stim))
    train = [k for k in split_stems("OSIE", "train") if k in fixations]
    if not train:
        raise UserError(f"`root` {root}: none of OSIE's training images is in {base / 'eye' / 'fixations.mat'}; "
                        "the centre bias (the IG baseline) is fitted to them")
    what = f"the {counted(len(train), 'training image')}"
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
                ds.notes.insert(0, f"masks read from {base / gt_dir}")  # the folder a `root` led to, said
                return ds
        raise UserError(f"`root` {root}: no {key} mask folder ({' or '.join(c[1] for c in cands)}) found "
                        f"in it or in {Path(root) / folder}")
    if key == "SALICON":
        return salicon_val(base, root, key)
    ds = fixation_folder(base, key)
    return ds

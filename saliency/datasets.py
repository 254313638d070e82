"""Datasets for torch: SOD image/mask folders and fixation dataset folders.

File discovery reuses the evaluation layouts (:mod:`eval.datasets`,
:mod:`eval.io`; ``../shared/REFERENCES.md`` section 4) so that training and
``saliency eval`` agree on what a dataset is:

SOD (images and 0/255 masks matched by file stem; GT binarised as > 128):
  the synthetic study (``stimuli/`` + ``masks/``), the published layouts of
  :data:`eval.datasets.PUBLISHED` (DUTS-TR/TE, ECSSD, HKU-IS, PASCAL-S,
  DUT-OMRON), or a folder with ``images/`` + ``masks/`` (also ``Image/Mask``,
  ``imgs/gt``).
Fixation (image, continuous human map, binary fixation map):
  a ``saliency ingest`` folder (``stimuli/`` + ``maps/`` + ``fixations/``),
  MIT1003 (``ALLSTIMULI/`` + ``ALLFIXATIONMAPS/``), CAT2000 (``trainSet/``),
  SALICON (``images/train`` + ``maps/train`` [+ ``fixations_train*.json``],
  or ``images/`` + a flat ``maps/`` with a fixations JSON where ``saliency
  eval`` finds one, read with its points as eval reads it; an image of the
  JSON without a map file gets the SALICON API's map, built as ``saliency
  eval`` builds it), or ``stimuli/`` + ``maps/`` alone; without
  binary fixations the fixated pixels are taken as the top
  ``data.fixation_top`` fraction of the map (stated in the run's log).
  Beside images with fixation points, one with a human map only (no fixation
  file or, outside a ``data.val`` folder, one without a fixated pixel) is left
  out and named (its target would be made up among measured ones), as is a file
  of the folder without an image; the files its target folders leave out
  (another extension, a sub-folder of MIT1003's flat ``ALLFIXATIONMAPS``)
  are counted in the lines ``saliency eval`` gives them.

An image file is used once: a target pairs with it through its bare name
(``masks/x.png`` with ``images/a/x.png``) only when no target has its own
key (``masks/a/x.png``); one left over is named in a note, as ``saliency
eval`` matches (an alias never takes a file another item names exactly).
An image is paired only through its own file: ``images/a/x.jpg`` beside
``images/x.jpg`` (whose ``masks/x.png`` it is) is named as left out.

Every folder read, of either task (the image folder, ``masks/`` or a
published SOD layout's mask folder, ``maps/`` with or without a fixations
JSON), counts and names its files of other extensions in one note, in
``saliency eval``'s words (:func:`saliency.eval.io.left_out_note`): a file is
used or named, never left out unsaid. A link with a data extension whose
target is missing is refused, naming it (:func:`saliency.eval.io.walk_files`;
MIT1003's ``ALLFIXATIONMAPS`` too).

Samples are decoded with OpenCV, resized to the network size and optionally
kept in memory (:class:`SaliencyDataset`); a dataset without a split is split
by a seeded permutation (:func:`split_keys`).
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError
from saliency.transforms import augment, rasterise_points, resize_image, scale_points

SOD_PAIRS = (("stimuli", "masks"), ("images", "masks"), ("Image", "Mask"), ("Images", "Masks"),
             ("imgs", "gt"), ("Imgs", "GT"), ("img", "gt"))


@dataclass(frozen=True)
class Record:
    """One sample on disk: ``image`` plus the SOD ``mask`` or the fixation ``density`` / ``fixations``."""

    key: str
    image: str
    mask: str | None = None
    density: str | None = None
    fixations: str | None = None       # binary map image or .mat
    points: tuple | None = None        # SALICON, OSIE: ((row, col), ...) 0-based
    size: tuple | None = None          # SALICON, OSIE: (height, width)
    sigma_px: float | None = None      # OSIE, SALICON: the human map is built from ``points`` with this blur
    blur: tuple | None = None          # SALICON: (border, truncate) of that blur (eval.runner.human_map)


@dataclass
class DatasetIndex:
    """Records of one folder, its layout name and notes for the log."""

    records: list
    layout: str
    notes: list
    split: str | None = None           # the documented split of a named dataset these records are
    #: key -> (the image's own key, what): targets that match only the bare name of an image paired with its own
    #: target (:func:`_one_each`), so that a resume can name them apart from images gone from the folder
    taken: dict = field(default_factory=dict)
    #: keys of images left out because their fixation map holds no fixated pixel (:func:`find_fixation`; a run
    #: begun before 9f0f59c trained on them, masked out of the loss), so that a resume names them as such
    blank: set = field(default_factory=set)


@contextmanager
def _shown_as(option: str):
    """The eval readers' refusals, which name the folder's parameter ``data`` in backticks, naming ``option`` instead
    when it is no flag (a config key such as ``data.val``; the command line would show that parameter as --data)."""
    try:
        yield
    except UserError as e:
        if option.startswith("--") or not e.args:
            raise
        e.args = (str(e.args[0]).replace("`data`", option), *e.args[1:])
        raise


def _param(option: str) -> str:
    """The parameter the eval readers name in backticks for ``option``: a flag's own (``--root`` -> ``root``, printed
    by the command as that flag), or ``data`` for a config key (:func:`_shown_as` puts the key in its place)."""
    return option[2:].replace("-", "_") if option.startswith("--") else "data"


def _index(folder: Path, option: str, notes: list | None = None, exts=None) -> dict:
    """:func:`saliency.eval.io.index_folder` of ``folder`` (image files, or ``exts``); ``notes``, when given,
    receives the line counting its files of other extensions (:func:`saliency.eval.io.left_out_note`, as
    ``saliency eval`` words it), so that no file of a folder training reads is left out unsaid. ``option``: the
    option that gave the folder, as a refusal names it (``--data``, or a config key such as ``data.val``)."""
    from saliency.eval.io import IMAGE_EXTS, index_folder, left_out_note

    flag = option.startswith("--")  # a flag is passed as its parameter (the command spells it), a key as is
    index = index_folder(folder, exts or IMAGE_EXTS, param=_param(option),
                         label=None if flag else option)
    note = left_out_note(index, folder) if notes is not None else None
    if note:
        notes.append(f"{folder}: {note}")
    return index


MAP_FROM_FIXATIONS = ("some images have no continuous map: it is made from their fixations (Gaussian, sigma = "
                      "1/30 of the width)")
"""The note of a fixation dataset some of whose images get their human map from their fixations."""


def _real_keys(index: dict, folder: Path) -> set:
    """The keys of an :func:`saliency.eval.io.index_folder` index that are files' own (not bare-stem aliases)."""
    from saliency.eval.io import own_keys

    return set(own_keys(index, folder))


def _one_each(target_keys, images: dict, img_dir: Path, what: str, sink: dict | None) -> tuple[set, list]:
    """The ``target_keys`` that pair with an image of ``images`` (the index of ``img_dir``), each image file once;
    and, as (key, the image's own key), the others that name an image only by an alias it is not paired through,
    also recorded in ``sink`` (:attr:`DatasetIndex.taken`: key -> (own key, ``what``)) when given.

    A target pairs with the image of its key, through a bare-stem alias (target ``x`` finding ``a/x.png``) only
    when no target has that image's own key (``a/x``): the one picture was trained on with two masks, one of them
    another picture's, and could be in training and validation at once. ``saliency eval`` matches so too (an alias
    never takes a file that another item names exactly: eval.runner._match).
    """
    from saliency.eval.io import key_of

    targets = set(target_keys)
    kept, taken = set(), []
    for k in sorted(targets):
        if k in images:
            own = key_of(images[k], img_dir)
            if own != k and own in targets:
                taken.append((k, own))
            else:
                kept.add(k)
    if sink is not None:
        sink.update((k, (own, what)) for k, own in taken)
    return kept, taken


def taken_notes(taken, what: str) -> list[str]:
    """The note naming the targets :func:`_one_each` left out: they match only the bare name of an image that is
    paired with its own target (they were paired with it too; now counted and named, never dropped unsaid)."""
    if not taken:
        return []
    eg = ", ".join(f"{k} (image {own})" for k, own in taken[:5])
    return [f"{len(taken)} {what}(s) match only the bare name of an image that has its own {what} and are left out "
            f"(an image is used once; e.g. {eg}): rename or move them"]


def _pair(images: dict, targets: dict, tgt_dir: Path, root: Path, what: str, notes: list | None,
          img_dir: Path, taken_to: dict | None = None, option: str = "--data") -> list:
    """Keys present in both indexes (bare-stem aliases of nested targets skipped, an image used once:
    :func:`_one_each`, its left-out targets in ``taken_to``); the unpaired ones in ``notes``; ``option``: the
    option that gave ``root``, named in the refusal."""
    own = _real_keys(targets, tgt_dir)
    kept, taken = _one_each(own, images, img_dir, what, taken_to)
    keys = sorted(kept)
    if not keys:
        raise UserError(f"{option} {root}: no {what} in {tgt_dir} matches an image by file stem; check the folders")
    if notes is not None:
        notes += unpaired_notes(_real_keys(images, img_dir), kept, what, own - {k for k, _ in taken}, images)
        notes += taken_notes(taken, what)
    return keys


def unpaired_notes(image_keys, kept, what: str, target_keys=(), images: dict | None = None) -> list[str]:
    """Notes naming the images left out for want of a ``what``, and the ``target_keys`` without an image.

    Each note counts and names up to five, so that training says what it left
    out rather than only "trained on N images" (an image without its mask was
    dropped without a word). With ``images`` (the image folder's index, key ->
    file), an image is paired only when its own file is the file of a kept key:
    ``images/a/x.jpg`` beside ``images/x.jpg`` is left out and named when the
    kept key ``x`` is ``images/x.jpg`` (its bare name was counted as paired), as
    ``saliency eval`` names a file that no ground-truth item takes. A flat
    target whose bare name is that of two or more nested images (``masks/x``
    with ``images/a/x`` and ``images/b/x``) pairs with none: it is named with
    those images in a note of its own, not as a target without an image.
    """
    kept = set(kept)
    if images is not None:
        used = {images[k] for k in kept if k in images}
        left = sorted(k for k in set(image_keys) if images.get(k) not in used)
    else:  # an image of key cat/x is paired when cat/x or its bare name x (a flat target) is kept
        left = sorted(k for k in set(image_keys) if k not in kept and k.rsplit("/", 1)[-1] not in kept)
    orphans = sorted(set(target_keys) - kept)
    # a flat target whose bare name is that of two or more nested images (masks/x with images/a/x and images/b/x)
    # pairs with none of them: it has images, and they a target, so it is named as such, not as unmatched
    by_name: dict = {}
    for k in sorted(set(image_keys)):
        if "/" in k:
            by_name.setdefault(k.rsplit("/", 1)[1], []).append(k)
    amb = {t: by_name[t] for t in orphans if "/" not in t and len(by_name.get(t, ())) > 1
           and (images is None or t not in images)}
    with_amb = {k for ks in amb.values() for k in ks}
    amb_left = [k for k in left if k in with_amb]
    left = [k for k in left if k not in with_amb]
    orphans = [t for t in orphans if t not in amb]
    n = len(set(image_keys))
    out = []
    if left:
        out.append(f"{len(left)} of {n} images have no {what} and are left out (e.g. {', '.join(left[:5])})")
    if orphans:
        out.append(f"{len(orphans)} {what}(s) have no image and are left out (e.g. {', '.join(orphans[:5])})")
    if amb and amb_left:  # the example is an image left without a target, not one that has its own
        t = next(t for t in amb if any(k in amb_left for k in amb[t]))
        ex = next(k for k in amb[t] if k in amb_left)
        out.append(f"{len(amb)} {what}(s) match more than one image by bare name and are left out, and "
                   f"{len(amb_left)} of {n} images with them (e.g. {what} {t} matches {', '.join(amb[t][:5])}): "
                   f"put a {what} at each image's own path (e.g. {ex}) or rename the images apart")
    elif amb:  # every image of those names has its own target: the flat one is simply not used
        t = next(iter(amb))
        out.append(f"{len(amb)} {what}(s) match more than one image by bare name and are left out (e.g. {what} {t} "
                   f"matches {', '.join(amb[t][:5])}): those images each have their own {what}, so the flat "
                   f"{what}(s) are unused beside them; remove them if they are not meant")
    return out


def map_only_notes(keys, n_images: int, why: str) -> list[str]:
    """The note naming the images ``keys`` left out of training that have a human map but ``why`` (no fixations).

    Beside images with measured fixations, such an image's fixation target
    would be made up from its map; it is left out, and said to have a map
    (it was counted among the images with "no fixation map").
    """
    keys = sorted(keys)
    if not keys:
        return []
    return [f"{len(keys)} of {n_images} images have a human map but {why} and are left out of training (e.g. "
            f"{', '.join(keys[:5])})"]


def _same_dir(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` are one folder (a link, or names that differ in case where case is ignored)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _is_dir(p: Path) -> bool:
    """Whether ``p`` is a folder; one that cannot be looked at (an unreadable folder above it: PermissionError) counts
    as not there, as a candidate layout that is absent does."""
    try:
        return p.is_dir()
    except OSError:
        return False


def _one_pair(img_dir: Path, cands, root: Path, option: str) -> None:
    """Refuse when another (image folder, mask folder) pair of the candidate layouts ``cands`` (img, gt, layout) is
    beside ``img_dir`` in its folder (``root`` itself, or one published dataset's folder under it) with other
    folders: the first in layout order was taken and the other never read nor named (``stimuli/`` + ``masks/``
    beside ``imgs/`` + ``gt/``; ``images/`` with both ``masks/`` and ``ground_truth_mask/``), so which is meant is
    asked instead of guessed. Pairs in different dataset folders under ``root`` (``DUTS-TR/`` and ``DUTS-TE/``)
    are no rivals: the layout order picks one, as before; two names of one folder (a link, case) are one."""
    pairs: list = []
    for i, g, _ in cands:
        if i.parent != img_dir.parent or not (_is_dir(i) and _is_dir(g)):
            continue
        if not any(_same_dir(i, a) and _same_dir(g, b) for a, b in pairs):
            pairs.append((i, g))
    if len(pairs) > 1:
        raise UserError(f"{option} {root}: {' and '.join(f'{a} + {b}' for a, b in pairs)} are each a pair of "
                        f"image and mask folders, so which one is meant cannot be told; move or remove all but one, "
                        f"or point {option} at a folder holding only the one meant")


def find_sod(root: str | Path, only: str | None = None, option: str = "--data") -> DatasetIndex:
    """Images and masks of an SOD folder (see module docstring); ``only``: just that published layout;
    ``option``: the option that gave ``root``, as refusals name it (``data.val`` for a validation folder).

    A pair of folders found at ``root`` itself takes a published dataset's
    name only when ``root`` is named as that dataset's folder; otherwise its
    own (``images/ + masks/``: any such folder was recorded as HKU-IS).
    Two pairs of these layouts side by side (``stimuli/`` and ``images/``
    with ``masks/``, ``stimuli/ + masks/`` beside ``imgs/ + gt/``, ``images/``
    with ``masks/`` and ``ground_truth_mask/``) are refused (:func:`_one_pair`).
    """
    from saliency.eval.datasets import PUBLISHED

    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{option} {root}: folder not found")
    cands = []
    names = [only] if only else sorted((k for k, v in PUBLISHED.items() if v[0] == "sod"),
                                       key=lambda n: n != "DUTS-TR")
    for name in names:
        _, folder, pairs, _ = PUBLISHED[name]
        for img_dir, gt_dir in pairs:
            here = name if (only or root.name.lower() == folder.lower()) else f"{img_dir}/ + {gt_dir}/"
            cands += [(root / img_dir, root / gt_dir, here), (root / folder / img_dir, root / folder / gt_dir, name)]
    if not only:
        cands += [(root / a, root / b, f"{a}/ + {b}/") for a, b in SOD_PAIRS]
    for img_dir, gt_dir, layout in cands:
        if _is_dir(img_dir) and _is_dir(gt_dir):
            _one_pair(img_dir, cands, root, option)
            notes: list = []  # the files of other extensions in either folder, then the unpaired ones
            images = _index(img_dir, option, notes)
            masks = _index(gt_dir, option, notes)
            taken: dict = {}
            keys = _pair(images, masks, gt_dir, root, "mask", notes, img_dir, taken, option)
            recs = [Record(key=k, image=str(images[k]), mask=str(masks[k])) for k in keys]
            return DatasetIndex(recs, layout, notes, taken=taken)
    half = [(i, g) for i, g, _ in cands if _is_dir(i) and not _is_dir(g)]
    if half:  # the images of a layout are there, its masks are not
        raise UserError(f"{option} {root}: {half[0][0]} is there but not its masks folder {half[0][1]}")
    if only:
        pairs = " or ".join(f"{a}/ + {b}/" for a, b in PUBLISHED[only][2])
        raise UserError(f"--root {root}: no {only} folders ({pairs})")
    raise UserError(f"{option} {root}: not an SOD dataset; expected stimuli/ + masks/ (saliency synth), "
                    "images/ + masks/, or a published layout (DUTS-TR, ECSSD, ...; saliency eval --list-datasets)")


def _stimuli_for(root: Path) -> Path | None:
    for sub in ("stimuli", "ALLSTIMULI", "trainSet/Stimuli", "Stimuli", "images/train", "images"):
        if (root / sub).is_dir():
            return root / sub
    return None


def _salicon(root: Path, img_dir: Path, js: Path, maps_dir: Path, notes: list, taken_to: dict,
             option: str = "--data") -> list:
    """The records of a SALICON folder: the images of ``img_dir``, the fixations JSON ``js`` and the human maps of
    ``maps_dir``, read as ``saliency eval`` reads them (:func:`saliency.eval.fixation_folders.salicon_items`);
    the targets left out to use an image once in ``taken_to``; ``option`` gave ``root`` (:func:`find_fixation`)."""
    from saliency.eval.datasets import GTDataset, salicon_items, salicon_maps

    images = _index(img_dir, option, notes)
    left_out: list[str] = []  # files of other extensions in the maps folder, one line as eval says it
    with _shown_as(option):
        items = salicon_items(js, maps_dir, left_out, param=_param(option))
    kept, taken = _one_each({it.key for it in items}, images, img_dir, "map or fixation", taken_to)  # used once
    # an image with fixations but no map file is kept: its map is the SALICON API's, as `saliency eval`
    # builds it (eval.fixation_folders.salicon_maps: points merged, gaussian_filter sigma 19, reflect, min-max);
    # one with a map but no entry in the JSON (points None) is left out and named, as in the other layouts
    gt = salicon_maps(GTDataset("SALICON", "fixation", [it for it in items if it.key in kept
                                                        and it.points is not None
                                                        and (it.density or it.points)]))
    recs = [Record(key=it.key, image=str(images[it.key]), density=it.density, points=it.points,
                   size=it.size, sigma_px=it.sigma_px, blur=gt.blur if it.sigma_px else None)
            for it in gt.items]
    map_only = sorted(it.key for it in items if it.points is None and it.key in kept)
    real = _real_keys(images, img_dir)
    notes += unpaired_notes(real, {r.key for r in recs} | set(map_only), "map or fixation",
                            {it.key for it in items if it.density or it.points} - {k for k, _ in taken}, images)
    notes += taken_notes(taken, "map or fixation")
    notes += map_only_notes(map_only, len(real), "no entry in the fixations JSON")
    notes += gt.notes + left_out
    bare = sorted(r.key for r in recs if not r.points)
    if bare:
        notes.append(f"{len(bare)} images have a map but no fixation in the JSON (e.g. "
                     f"{', '.join(bare[:5])}): their fixation target is empty")
    return recs


def _empty_fixations(ds, kept: set) -> set:
    """The keys of ``kept`` whose fixation file (an item's ``gt``: a binary map image or ``.mat``) holds no fixated
    pixel, read as :func:`load_fixation_gt` reads it (:func:`saliency.eval.io.read_fixations`).

    Cost: every such file is decoded once more while the folder is indexed (the cache, ``data.cache``, is filled
    later, from the records this index decides): about 3 ms for a 640x480 PNG on one core, some 30 s for a
    SALICON-size folder of 10,000 images.
    """
    from saliency.eval.io import read_fixations

    return {it.key for it in ds.items
            if it.key in kept and it.gt and it.points is None and not read_fixations(it.gt).any()}


def find_fixation(root: str | Path, option: str = "--data") -> DatasetIndex:
    """Images, human maps and fixations of a fixation folder (see module docstring); ``option``: the option that
    gave ``root``, as refusals name it (``data.val`` for a validation folder)."""
    from saliency.eval.datasets import fixation_folder
    from saliency.eval.fixation_folders import salicon_files, salicon_train_json

    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{option} {root}: folder not found")
    notes = []
    taken: dict = {}  # targets left out to use an image once (DatasetIndex.taken)
    blank: set = set()  # images left out for a fixation map without a fixated pixel (DatasetIndex.blank)
    if (root / "images" / "train").is_dir() and (root / "maps" / "train").is_dir():
        js = salicon_train_json(root)  # the same lookup as eval's (eval.fixation_folders)
        if js:
            recs = _salicon(root, root / "images" / "train", js, root / "maps" / "train", notes, taken, option)
        else:
            from saliency.eval.io import PRED_EXTS

            images = _index(root / "images" / "train", option, notes)
            maps = _index(root / "maps" / "train", option, notes, PRED_EXTS)  # .npy too, as with a JSON
            keys = _pair(images, maps, root / "maps" / "train", root, "map", notes, root / "images" / "train",
                         taken, option)
            recs = [Record(key=k, image=str(images[k]), density=str(maps[k])) for k in keys]
            notes.append("no fixations JSON: fixated pixels = top of each map")
        return DatasetIndex(recs, "SALICON (images/train + maps/train)", notes, taken=taken)
    stim = _stimuli_for(root)
    if stim is None:
        raise UserError(f"{option} {root}: no stimulus folder (stimuli/, ALLSTIMULI/, trainSet/Stimuli/, images/)")
    images = _index(stim, option, notes)
    has_fix = ((root / "fixations").is_dir() or (root / "ALLFIXATIONMAPS").is_dir()
               or (root / "FIXATIONLOCS").is_dir() or (root / "trainSet" / "FIXATIONLOCS").is_dir())
    with _shown_as(option):
        ds = fixation_folder(root, param=_param(option)) if has_fix else None
    # SALICON as eval reads it (its JSON's points; fixation_folder's layout): images/ + a flat maps/ + the JSON,
    # or a JSON in fixations/ without maps/ (read with fixations=it.gt only, its points were dropped)
    found = salicon_files(root) if ds is None or ds.layout.startswith("SALICON") else None
    if found is not None:
        js, maps_dir = found
        notes = []  # the image folder's note is _salicon's
        recs = _salicon(root, stim, js, maps_dir, notes, taken, option)
        parts = [stim, maps_dir] if maps_dir.is_dir() else [stim]  # only the folders there (no maps/: none named)
        layout = f"SALICON ({' + '.join(f'{p.relative_to(root).as_posix()}/' for p in parts)} + " \
                 f"{js.relative_to(root).as_posix()})"
    elif ds is not None:
        kept, left = _one_each({it.key for it in ds.items}, images, stim, "fixation map", taken)  # used once
        # a fixation map without a fixated pixel is no fixation map: in training it would be masked out of the whole
        # loss beside a non-zero NSS weight (models.losses), yet counted as trained on. A data.val folder keeps it,
        # as saliency eval does: scored where its human map suffices, NSS and AUC_Judd left out on it (in a note)
        empty = _empty_fixations(ds, kept) if option != "data.val" else set()
        if empty:
            ds.items = [replace(it, gt="") if it.key in empty else it for it in ds.items]
        no_target = sorted(it.key for it in ds.items if it.key in empty and not it.density)
        # beside images with fixations, one with a human map only (eval scores its maps) is left out and named:
        # its fixation target would be made up from the map (data.fixation_top) among measured ones
        items = ([it for it in ds.items if it.fixated] if ds.has_points
                 else [it for it in ds.items if it.density])
        recs = []
        for it in items:
            if it.key in kept:
                recs.append(Record(key=it.key, image=str(images[it.key]), density=it.density, fixations=it.gt))
        map_only = sorted(it.key for it in ds.items if it.key in kept and not it.fixated
                          and it.density) if ds.has_points else []
        # every file of the folder without an image is named (the map-only ones too: 47c2a5d named only the
        # kept items'), an image with a map but no fixations apart from one with neither
        real = _real_keys(images, stim)
        notes += unpaired_notes(real, {r.key for r in recs} | set(map_only) | set(no_target), "fixation map",
                                {it.key for it in ds.items} - {k for k, _ in left}, images)
        notes += taken_notes(left, "fixation map")
        notes += map_only_notes(map_only, len(real), "no fixation points")
        if no_target:
            notes.append(f"{len(no_target)} of {len(real)} images have a fixation map without a fixated pixel and "
                         f"no human map and are left out of training (e.g. {', '.join(no_target[:5])})")
        notes += [n for n in ds.notes if "file(s) left out" in n]  # files of other extensions in its folders
        layout = ds.layout
        if any(r.density is None for r in recs):
            notes.append(MAP_FROM_FIXATIONS)
        if not ds.has_points:  # e.g. an empty fixations/: every target is made from the maps, said as below
            notes.append(f"no fixation points in {root} (human maps only): fixated pixels = top of each human map "
                         "(data.fixation_top)")
        blank = empty - {r.key for r in recs}  # kept when no map has a point (trained on the maps' top)
    elif (root / "maps").is_dir():
        from saliency.eval.io import PRED_EXTS

        maps = _index(root / "maps", option, notes, PRED_EXTS)
        keys = _pair(images, maps, root / "maps", root, "map", notes, stim, taken, option)
        recs = [Record(key=k, image=str(images[k]), density=str(maps[k])) for k in keys]
        layout = "stimuli/ + maps/ (no binary fixations)"
        notes.append("no binary fixation maps: fixated pixels = top of each human map (data.fixation_top)")
    else:
        raise UserError(f"{option} {root}: not a fixation dataset; expected a saliency ingest folder (stimuli/ + "
                        "maps/ + fixations/), MIT1003, CAT2000, SALICON or stimuli/ + maps/")
    if not recs:
        raise UserError(f"{option} {root}: no stimulus matches a fixation map by file stem")
    return DatasetIndex(recs, layout, notes, taken=taken, blank=blank)


def _sod_pairs(layout: str) -> set | None:
    """The (image folder, mask folder) pairs an SOD layout name stands for; None when it is not one."""
    from saliency.eval.datasets import PUBLISHED

    if layout in PUBLISHED and PUBLISHED[layout][0] == "sod":
        return {tuple(p) for p in PUBLISHED[layout][2]}
    m = re.fullmatch(r"([^/]+)/ \+ ([^/]+)/", layout)
    return {(m[1], m[2])} if m else None


def same_reading(old: str, new: str) -> bool:
    """Whether the layout ``new`` (:attr:`DatasetIndex.layout`) reads a folder as ``old``, recorded in a run's
    split.json, did: the same name, or the same pair of SOD folders named by the folder's own name or not
    (``DUTS-TR`` for a folder called DUTS-TR, ``DUTS-TR-Image/ + DUTS-TR-Mask/`` once it is moved or renamed), or
    the name fcffdee gave a SALICON folder without ``maps/`` (``images/ + maps/ + J``, maps/ not there)."""
    if old == new:
        return True
    a, b = _sod_pairs(old), _sod_pairs(new)
    if a and b:
        return bool(a & b)
    m = re.fullmatch(r"SALICON \(([^+]+/) \+ ([^+]+\.json)\)", new)
    return bool(m) and old == f"SALICON ({m[1]} + maps/ + {m[2]})"


def find_named(name: str, root: str | Path, task: str, split: str | None = None) -> DatasetIndex:
    """The samples of the published dataset ``name`` under ``root`` (``data.dataset``, ``data.root``).

    OSIE is read from its raw fixations (``eye/fixations.mat``, restricted to
    ``split`` of ``eval/splits/osie.json``, "train" when not given) and its
    human maps are built as its authors build them (every fixated pixel of all
    observers, Gaussian sigma 24 px, min-max), exactly as ``saliency eval
    --dataset OSIE`` scores them; the other names are found by their folder
    layout, as ``data.root`` pointing at the dataset folder would be.
    """
    from saliency.eval import datasets as E

    key = E.canonical_name(name)
    if key is None:
        raise UserError(f"config data.dataset: {name!r} is not a published dataset; choose from "
                        f"{', '.join(E.PUBLISHED)} (saliency eval --list-datasets), or give --data DIR instead")
    if E.PUBLISHED[key][0] != task:
        raise UserError(f"config data.dataset: {key} is a {E.PUBLISHED[key][0]} dataset but the task is {task}; "
                        f"add --task {E.PUBLISHED[key][0]}")
    if key in E.SPLITS:
        gt = E.published(key, root, split or "train", baseline=False)
        recs, missing = [], []
        files = E.osie_images(Path(gt.images_dir))
        for it in gt.items:
            img = files.get(it.key, Path(gt.images_dir) / f"{it.key}.jpg")
            if img.is_file():
                recs.append(Record(key=it.key, image=str(img), points=it.points, size=it.size, sigma_px=it.sigma_px))
            else:
                missing.append(it.key)
        if missing:
            raise UserError(f"--root {root}: {len(missing)} {key} stimuli are missing from {gt.images_dir} "
                            f"(e.g. {missing[0]}.jpg); restore them")
        return DatasetIndex(recs, gt.layout, list(gt.notes), gt.split)
    if split is not None:
        E.split_stems(key, split)  # raises: no documented split
    folder = E.find_root(key, Path(root))  # refused when the root holds no layout of this name
    # the folder was found under --root (data.root), so its refusals name that option, as find_root's do
    return find_sod(folder, only=key, option="--root") if task == "sod" else find_fixation(folder, "--root")


def find_dataset(root: str | Path, task: str, dataset: str | None = None, split: str | None = None,
                 option: str = "--data") -> DatasetIndex:
    """Discover the samples of ``root`` for ``task`` ("sod" or "fixation"); a named ``dataset`` under it if given.
    ``option``: the option that gave ``root``, as refusals name it (``data.val`` for a validation folder)."""
    if dataset:
        index = find_named(dataset, root, task, split)
    else:
        index = find_sod(root, option=option) if task == "sod" else find_fixation(root, option)
    index.notes += frames_notes(index.records, root)
    return index


#: The attributes of a :class:`Record` that name a file of the sample (None where it has none)
FILE_ROLES = ("image", "mask", "density", "fixations")


def record_files(records) -> list:
    """The files of ``records`` (their :data:`FILE_ROLES` that are paths), in order."""
    return [f for r in records for f in (getattr(r, role) for role in FILE_ROLES)
            if isinstance(f, (str, os.PathLike))]


def frames_notes(records, root: str | Path) -> list[str]:
    """One line naming the files of ``records`` (images, masks, human maps, fixation maps) of several frames (a
    multi-page TIFF, an animated PNG or WebP), of which training reads the first alone (OpenCV's decoding), in
    ``saliency predict``'s and ``saliency eval``'s words (:func:`saliency.eval.io.several_frames_note`); none when
    there are none. Each file's first bytes are read (:func:`saliency.eval.io.frame_count`); names are shown
    relative to ``root`` where they are under it."""
    from saliency.eval.io import frame_count, several_frames_note

    found = []
    for path in dict.fromkeys(f for f in record_files(records) if f):  # each file once, in order
        if (k := frame_count(path)) > 1:
            try:
                name = Path(path).relative_to(root).as_posix()
            except ValueError:
                name = str(path)
            found.append((name, k))
    note = several_frames_note(found, "file")
    return [note] if note else []


def split_keys(keys, val_fraction: float, seed: int) -> tuple[list, list]:
    """Seeded train/validation split: a permutation of the sorted keys, the first share held out."""
    keys = sorted(keys)
    n_val = int(round(len(keys) * val_fraction))
    if val_fraction > 0:
        n_val = max(1, n_val)
    if n_val >= len(keys):
        raise UserError(f"data.val_fraction {val_fraction}: leaves no training images out of {len(keys)}")
    perm = np.random.default_rng(seed).permutation(len(keys))
    val = sorted(keys[i] for i in perm[:n_val])
    vs = set(val)
    return [k for k in keys if k not in vs], val


# ------------------------------------------------------------------ decoding
def read_rgb(path: str) -> np.ndarray:
    """Decode an image file as RGB uint8 (H x W x 3); UserError naming the file when it cannot be read.

    An image whose header declares more pixels than the limit is refused before decoding.
    """
    import cv2

    from saliency.eval.io import read_image

    return cv2.cvtColor(read_image(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _gaussian_from_points(points: np.ndarray, hw) -> np.ndarray:
    import cv2

    m = rasterise_points(points, hw)
    sigma = max(1.0, hw[1] / 30.0)
    return cv2.GaussianBlur(m, (0, 0), sigma)


def load_fixation_gt(rec: Record, top: float, image_hw=None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Original-size (fixation bool map, density float32 or None, points (x, y)) of a fixation record.

    ``image_hw``: the (height, width) of the record's image; the human map
    file and the fixation grid are then each checked against it
    (:func:`check_map_shape`) before the map is scaled to the grid, so a map
    turned 90 degrees is refused even when the fixations match the image.
    """
    from saliency.eval.fixation import points_to_mask
    from saliency.eval.io import read_fixations, read_map

    density = None
    if rec.density:
        density = read_map(rec.density).astype(np.float32)
        if image_hw is not None:
            check_map_shape(density.shape, image_hw, rec, src=rec.density)
    elif rec.points is not None and rec.sigma_px:
        from saliency.eval.runner import human_map

        density = human_map(rec.points, rec.size, rec.sigma_px, rec.blur).astype(np.float32)
    if rec.points is not None:
        fix = points_to_mask(rec.points, rec.size)
    elif rec.fixations:
        fix = read_fixations(rec.fixations)
    elif density is not None:
        fix = top_fraction(density, top)
    else:
        raise UserError(f"{rec.image}: no human map and no fixations")
    if image_hw is not None and rec.points is not None:  # the grid of the size declared with the points
        check_map_shape(fix.shape, image_hw, rec, src=f"the fixations of {rec.key}", what="fixation grid")
    elif image_hw is not None and rec.fixations:
        check_map_shape(fix.shape, image_hw, rec, src=rec.fixations, what="fixation map")
    ys, xs = np.nonzero(fix)
    points = np.stack([xs, ys], 1).astype(np.float32)
    if density is not None and density.shape != fix.shape:
        density = resize_image(density, fix.shape)
    if density is None:
        density = _gaussian_from_points(points, fix.shape)
    return fix, density, points


def check_map_shape(map_hw, image_hw, rec: Record, src: str | None = None, what: str = "human map") -> None:
    """Refuse a human map (or fixation grid) whose shape is not its image's at any scale.

    A map at another resolution of the same picture is scaled to it (the rule
    of :func:`saliency.base.images.same_shape_scaled`: within 1 % in aspect
    ratio, or sides rounded at one scale, as a small image's half-size map);
    one of another shape, e.g. turned 90 degrees, belongs to another picture or
    orientation and would be stretched onto this one without a word. ``src``
    and ``what`` name the file and the kind of map in the message (default: the
    record's map file, "human map").
    """
    from saliency.base.images import same_shape_scaled

    (mh, mw), (ih, iw) = map_hw, image_hw
    if same_shape_scaled(map_hw, image_hw):
        return
    src = src or rec.density or rec.fixations or "its fixations"
    raise UserError(f"{src}: the {what} is {mw}x{mh} but its image {rec.image} is {iw}x{ih}, another "
                    f"shape; they must show the same picture at the same orientation")


def top_fraction(density: np.ndarray, top: float) -> np.ndarray:
    """Binary map of the ``top`` fraction of pixels with the highest values (at least one pixel)."""
    flat = density.ravel()
    k = max(1, int(round(flat.size * top)))
    thr = np.partition(flat, flat.size - k)[flat.size - k]
    m = density >= thr
    if thr <= 0:
        m &= density > 0
    return m


def _unit(a: np.ndarray) -> np.ndarray:
    mx = float(a.max()) if a.size else 0.0
    return (a / mx).astype(np.float32) if mx > 0 else np.zeros_like(a, dtype=np.float32)


class SaliencyDataset:
    """A torch map-style dataset of resized samples, optionally cached in memory.

    Indexed by ``(index, seed)`` pairs from :class:`saliency.sampling.SeededSampler`
    (or a plain index: no augmentation). Returns a dict with ``image`` (3 x H x W
    float in [0, 1]), ``target`` (1 x H x W: SOD mask 0/1, fixation human map
    scaled to max 1), ``fixations`` (1 x H x W binary, fixation task) and
    ``index``.
    """

    def __init__(self, records, task: str, size, transform=None, cache: bool = True, top: float = 0.02):
        self.records = list(records)
        self.task = task
        self.size = tuple(size)
        self.transform = transform
        self.top = top
        self.cache = {} if cache else None
        #: ``(ids, label)``: the folders the records were indexed from (:func:`saliency.base.fsutil.folder_identity`,
        #: the dataset's root first) and the option naming it (``data``); None: not checked
        self.source = None
        #: how a refusal names the folder of :attr:`source` (``saliency.runtime.data_names``: where its value came
        #: from, e.g. ```overrides` data.val``); None: the backticked label
        self.who = None

    def __len__(self) -> int:
        return len(self.records)

    def check_source(self) -> None:
        """Refuse (:func:`saliency.base.fsutil.check_unchanged`) when a folder of :attr:`source` was replaced since
        it was indexed: the samples read since could come from two datasets. Nothing without a ``source``."""
        if self.source is not None:
            from saliency.base.fsutil import check_unchanged

            check_unchanged(*self.source, who=self.who)

    def check_files(self, records=None) -> None:
        """:meth:`check_source`, refusing too when a file of ``records`` (default: every record) is gone (indexed,
        so there then)."""
        if self.source is not None:
            from saliency.base.fsutil import check_unchanged

            files = record_files(self.records if records is None else records)
            check_unchanged(*self.source, files=files, who=self.who)

    def load(self, i: int):
        """Decode and resize sample ``i``: (image uint8 HxWx3, target, points or None).

        With a :attr:`source`, a file of the record that is gone when it cannot be read (indexed, so there then),
        or a source folder replaced, is the refusal of :meth:`check_source` (another run rewrote the dataset), not
        "file not found".
        """
        if self.cache is not None and i in self.cache:
            return self.cache[i]
        rec = self.records[i]
        try:
            sample = self._decode(rec)
        except (UserError, FileNotFoundError):
            try:
                self.check_files([rec])
            except UserError as refusal:  # what the failed read meant, not its "file not found"
                raise refusal from None
            raise
        if self.cache is not None:
            self.cache[i] = sample
        return sample

    def _decode(self, rec: Record):
        """(image uint8 HxWx3, target, points or None) of ``rec``, read from its files and resized."""
        img = read_rgb(rec.image)
        if self.task == "sod":
            from saliency.eval.io import read_mask

            m = read_mask(rec.mask)  # refuses a 0/1 mask: all background at > 128
            if m.shape != img.shape[:2]:
                raise UserError(f"{rec.mask}: mask is {m.shape[1]}x{m.shape[0]} but its image {rec.image} is "
                                f"{img.shape[1]}x{img.shape[0]}; they must have the same size")
            t = np.where(resize_image((m > 128).astype(np.float32), self.size) >= 0.5, 255, 0).astype(np.uint8)
            pts = None
        else:
            # the human map and the fixation grid, each against the image, before either is scaled
            fix, dens, pts_full = load_fixation_gt(rec, self.top, img.shape[:2])
            t = _unit(resize_image(dens, self.size))
            pts = scale_points(pts_full, fix.shape, self.size)
        return resize_image(img, self.size), t, pts

    def fill_cache(self, progress: bool = False, desc: str = "caching") -> None:
        """Decode every sample now (main process), so that workers inherit the cache.

        Progress goes through :func:`saliency.base.progress.progress`: a bar on a
        terminal, plain lines in a log, nothing unless ``progress``.
        """
        if self.cache is None:
            return
        from saliency.base.progress import progress as progress_bar

        with progress_bar(total=len(self), desc=desc, unit="img", enabled=progress) as bar:
            for i in range(len(self)):
                self.load(i)
                bar.update(1)

    def __getitem__(self, item):
        import torch

        i, seed = item if isinstance(item, tuple) else (item, None)
        img, t, pts = self.load(i)
        if seed is not None and self.transform is not None:
            img, t, pts = augment(self.transform, seed, img, t, pts)
        out = {"image": torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div_(255),
               "index": i}
        if self.task == "sod":
            out["target"] = torch.from_numpy((t > 127).astype(np.float32))[None]
        else:
            out["target"] = torch.from_numpy(np.ascontiguousarray(t, dtype=np.float32))[None]
            out["fixations"] = torch.from_numpy(rasterise_points(pts, self.size))[None]
        return out

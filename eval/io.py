"""Reading ground truth and predictions for evaluation: one place for every input convention.

Conventions (``../shared/REFERENCES.md`` sections 1, 2 and 4; PySODEvalToolkit):

- SOD ground truth: a single-channel 8-bit image, binarised later as ``gt > 128``.
  A lossless mask whose values are only 0 and 1 (object pixels 1, not 255) is
  refused: at > 128 it would be all background, without a word.
  A grey mask saved as RGB(A) with equal colour channels is read as grey (some
  published masks are stored so); a GT whose channels differ is an error.
- Predictions: 8-bit grey images matched by file stem; a 3- or 4-channel image
  whose colour channels are equal is accepted as grey. Fixation predictions may
  also be ``.npy`` 2-D arrays of real numbers (integer or float; non-negative,
  not empty; complex values are refused). A prediction whose size differs from
  its GT is resized to the GT by bilinear interpolation (the caller counts it, and
  notes one of another aspect ratio, :func:`other_aspect`: likely turned 90 degrees).
- Every file is read as stored; a ground-truth file's EXIF orientation tag is only
  said (:func:`orientation_tag`, read from the header). Of a file of several frames (a
  multi-page TIFF, an animated PNG or WebP) the first is read: the caller counts it
  (:func:`frame_count`, :func:`saliency.base.images.frame_count`) and says so (:func:`several_frames_note`).
- Fixation maps: binary, nonzero = fixated (a lossless image such as ``.png``
  nonzero, as MIT's ``fixationMap > 0``, so 0/1 and 0/255 maps alike; a
  ``.jpg``/``.webp`` thresholded at > 128 to remove compression ringing; or
  MATLAB ``.mat`` with a ``fixations`` / ``fixLocs`` array as in MIT1003 /
  CAT2000).

Every failure raises :class:`saliency.base.errors.UserError` naming the file,
including an image whose header declares more pixels than the limit
(:func:`saliency.base.images.check_image_size`, checked before decoding).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from saliency.base.errors import UserError
from saliency.base.names import nfc
from saliency.base.images import (IMAGE_EXTS, check_image_size, decode, frame_count, open_header,
                                   same_shape_scaled, shown_path, stimulus_orientation, tiff_sample_format)

PRED_EXTS = IMAGE_EXTS + (".npy",)
"""Prediction files: every image extension of :data:`saliency.base.images.IMAGE_EXTS` and ``.npy`` arrays."""

__all__ = ["IMAGE_EXTS", "PRED_EXTS", "read_mask", "read_pred_u8", "read_map", "read_fixations", "index_folder",
           "FolderIndex", "left_out_note", "drop_extra_axes", "other_aspect", "orientation_tag", "frame_count",
           "several_frames_note", "sample_format_error"]

def other_aspect(map_hw, gt_hw) -> bool:
    """Whether a map of ``map_hw`` (rows, columns) is not its ground truth's ``gt_hw`` at another resolution by
    the rule by which training refuses a human map (:func:`saliency.base.images.same_shape_scaled`: aspect ratio
    within :data:`saliency.base.images.ASPECT_TOL`, 1 %, or sides rounded at one scale): not a rescaled copy of the same picture but,
    say, one turned 90 degrees or another picture, which resizing stretches onto the ground truth (eval resizes
    it as PySODMetrics' examples do and says so). A side of 0 or less: False."""
    (mh, mw), (gh, gw) = tuple(map_hw)[:2], tuple(gt_hw)[:2]
    if min(mh, mw, gh, gw) <= 0:
        return False
    return not same_shape_scaled((mh, mw), (gh, gw))


def orientation_tag(path: str | Path) -> int:
    """The EXIF orientation tag (1-8) of a ground-truth file, 1 when it has none, read from its header only.

    :func:`saliency.base.images.stimulus_orientation`, the toolkit's one orientation reading: the format is
    told by the file's first bytes, not its name; in a PNG or WebP the chunk headers are walked to the ``eXIf``
    / ``EXIF`` chunk, whose TIFF block alone is parsed; a JPEG or TIFF is asked through PIL, which parses its
    markers or first IFD and decodes no pixel. A file without a tag (BMP, PGM, ``.mat``, ``.npy``), an
    unreadable one or a bad tag: 1. Eval reads every file as stored; the tag is only said (a viewer shows such
    a file turned).
    """
    return stimulus_orientation(path)


def several_frames_note(multi_frame, what: str = "image") -> str | None:
    """One line naming the files of several frames of which only the first was used, or None.

    ``multi_frame``: ``(path or name, frames)`` pairs; ``what``: the noun for one file (``image``, ``prediction``,
    ``ground-truth file``). E.g. ``1 image has several frames (TIFF pages, animation frames): the first was used:
    a.tif (2 frames)``.
    """
    if not multi_frame:
        return None
    n = len(multi_frame)
    ex = ", ".join(f"{shown_path(p)} ({k} frames)" for p, k in multi_frame[:3]) + (", ..." if n > 3 else "")
    return (f"{n} {what}{'s have' if n > 1 else ' has'} several frames (TIFF pages, animation frames): "
            f"the first was used: {ex}")


def sample_format_error(path: str | Path, what: str = "an image") -> UserError | None:
    """The refusal of a TIFF whose samples are floating point or signed integers (which OpenCV's colour and grey
    decoding refuse) naming its sample format, or None when ``path`` is no such TIFF
    (:func:`saliency.base.images.tiff_sample_format`). ``what``: what it cannot be read as (``a photo`` for a
    stimulus; a prediction, map or mask is ``an image``)."""
    fmt = tiff_sample_format(path)
    if fmt is None:
        return None
    return UserError(f"{shown_path(path)}: its samples are {fmt}, a sample format that cannot be read as {what} "
                     "(8- or 16-bit unsigned integers); save it as an 8- or 16-bit image")


def read_image(path: str | Path, flags: int | None = None, *, orientation: int | None = None) -> np.ndarray:
    """Decode an image file with OpenCV ``flags`` (default ``IMREAD_UNCHANGED``); the one image reader.

    The declared size is checked against the pixel limit before decoding; a missing,
    unreadable or undecodable file raises one UserError naming it: a TIFF whose samples are floating point or
    signed integers, which OpenCV decodes only unchanged, as such (:func:`sample_format_error`), not as corrupt.
    ``orientation``: the file's tag as :func:`saliency.base.images.read_header` read it, passed to
    :func:`saliency.base.images.decode`.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{shown_path(path)}: file not found")
    check_image_size(path)  # refuse a declared size above the pixel limit before decoding
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise UserError(f"{shown_path(path)}: cannot read the file ({exc.strerror or exc}); replace or remove it") \
            from None
    img = decode(data, cv2.IMREAD_UNCHANGED if flags is None else flags, orientation)
    if img is None:  # decoded in colour: a photo (predict's, train's and report's stimuli); else a map or mask
        err = sample_format_error(path, "a photo" if flags == cv2.IMREAD_COLOR else "an image")
        if err is not None:
            raise err
        raise UserError(f"{shown_path(path)}: not a readable image (corrupt or unsupported); replace or remove it")
    return img


def read_mask(path: str | Path, *, allow01: bool = False) -> np.ndarray:
    """Read a single-channel 8-bit ground-truth mask (SOD GT, binary fixation map image).

    A lossless SOD mask whose values are only 0 and 1, with at least one 1, is
    refused, and so is a lossy (JPEG) one whose values are all at most
    :data:`LOSSY_01_MAX` and not all equal (a 0/1 mask's compression ringing;
    an empty mask's JPEG is one value, 0-3, and is kept): binarised at > 128 its objects vanish and it would train and score
    as all background. ``allow01``: a binary fixation map, for which 0/1 is a
    convention (MIT's ``fixationMap > 0``).
    """
    img = read_image(Path(path))
    if img.ndim == 3:
        c = img[..., :3]
        if not all(np.array_equal(c[..., 0], c[..., i]) for i in range(1, c.shape[2])):
            if _is_palette(path):  # one indexed channel, which OpenCV expands to its palette's colours
                raise UserError(f"{path}: ground truth is a palette image whose colours are not grey; save it as "
                                "8-bit grey " + ("(nonzero where fixated)" if allow01 else "with 0 and 255"))
            raise UserError(f"{path}: ground truth has {img.shape[2]} channels that differ; save it as a "
                            "single-channel (greyscale) 8-bit image")
        img = np.ascontiguousarray(c[..., 0])  # grey stored as RGB(A): the channels agree
    if img.dtype != np.uint8:
        raise UserError(f"{path}: ground truth is {img.dtype}; an 8-bit image is expected: save it as an 8-bit PNG"
                        + ("" if allow01 else " (masks 0/255)"))
    if not allow01 and Path(path).suffix.lower() not in LOSSY_EXTS and img.size and img.max() == 1:
        raise UserError(f"{path}: its values are 0 and 1; SOD masks are 0/255 (binarised at > 128), so every "
                        "pixel would be background: save it as 0/255")
    if (not allow01 and Path(path).suffix.lower() in LOSSY_EXTS and img.size and 0 < img.max() <= LOSSY_01_MAX
            and img.min() < img.max()):
        # a 0/1 mask saved as JPEG decodes to 0..2 (ringing): the same mistake, which max() == 1 did not see; an
        # empty mask saved as JPEG decodes to one value of 1-3 at many qualities: constant, it is kept (empty)
        raise UserError(f"{path}: its values are 0 to {int(img.max())} (a 0/1 mask saved lossy?); SOD masks are "
                        "0/255 (binarised at > 128), so every pixel would be background: save it as 0/255, "
                        "preferably as PNG")
    return img


def _is_palette(path) -> bool:
    """Whether the image file ``path`` stores palette indices (PIL mode P or PA: an indexed PNG, BMP, TIFF or GIF),
    read from its header; False when PIL cannot open it."""
    try:
        with open_header(path) as im:
            return im.mode in ("P", "PA")
    except Exception:  # noqa: BLE001 - only said in a refusal: a header PIL cannot read is no palette it can tell
        return False


def _to_grey(img: np.ndarray, path) -> np.ndarray:
    if img.ndim == 3:
        c = img[..., :3] if img.shape[2] >= 3 else img
        if not all(np.array_equal(c[..., 0], c[..., i]) for i in range(1, c.shape[2])):
            raise UserError(f"{path}: its colour channels differ (a map is one grey channel); save it as an 8-bit grey "
                            "image")
        img = np.ascontiguousarray(c[..., 0])
    return img


def read_pred_u8(path: str | Path) -> np.ndarray:
    """Read an 8-bit grey prediction (SOD)."""
    img = _to_grey(read_image(Path(path)), path)
    if img.dtype != np.uint8:
        raise UserError(f"{path}: prediction is {img.dtype}; SOD predictions must be 8-bit grey images: save it as an "
                        "8-bit grey PNG (0-255)")
    return img


def drop_extra_axes(a: np.ndarray) -> np.ndarray:
    """A map array without its extra size-1 axes: (H, W, 1), (1, H, W), (1, 1, H, W) -> (H, W).

    Only axes beyond the two of the map are dropped (trailing ones first, as a
    channel axis, then leading ones, as a batch axis): a 2-D array is kept as
    it is, so a map one pixel high or wide ((1, W), (H, 1), (1, 1)) keeps its
    size-1 axes; ``np.squeeze`` made them 1-D or 0-D and they were refused.
    Any other shape is returned unchanged for the caller to refuse.
    """
    shape = list(a.shape)
    while len(shape) > 2 and shape[-1] == 1:
        shape.pop()
    while len(shape) > 2 and shape[0] == 1:
        shape.pop(0)
    if len(shape) > 2 and sum(n != 1 for n in shape) == 2:
        shape = [n for n in shape if n != 1]  # size-1 axes between the two map axes, e.g. (H, 1, W)
    return a.reshape(shape) if len(shape) < a.ndim else a


NPY_MAGIC = b"\x93NUMPY"
"""The first bytes of every file :func:`numpy.save` writes."""


def load_npy(path: str | Path) -> np.ndarray:
    """The array of a ``.npy`` file the user gave (a prediction, a density, an IG baseline), read without pickle.

    The one place for the refusals of a file that is not one (any other content, such as text or a ``.npz``),
    one of Python objects (a pickled object array), or one cut short: each a line saying so and to save the map
    with ``numpy.save``, never numpy's own text (whose hint names ``allow_pickle``, a keyword no command has).
    """
    path = Path(path)
    advice = "save the map with numpy.save"
    try:
        with open(path, "rb") as f:
            if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
                raise UserError(f"{path}: not a .npy array (NumPy format); {advice}")
            f.seek(0)
            try:
                major, _ = np.lib.format.read_magic(f)
                read_header = (np.lib.format.read_array_header_1_0 if major == 1 else
                               np.lib.format.read_array_header_2_0)
                dtype = read_header(f)[2]
            except Exception:  # noqa: BLE001 - a header numpy cannot parse: the file's fault
                dtype = None
            if dtype is not None and dtype.hasobject:
                raise UserError(f"{path}: the .npy holds Python objects, not numbers; {advice}")
            f.seek(0)
            return np.load(f, allow_pickle=False)  # from the file checked, not opened again
    except UserError:
        raise
    except OSError as exc:  # the file could not be opened or read (not its content)
        if exc.strerror:
            raise UserError(f"{path}: cannot read the file ({exc.strerror}); check that it is a readable file") \
                from None
        raise UserError(f"{path}: a .npy array cut short or damaged (NumPy format); {advice} again") from None
    except Exception:  # noqa: BLE001 - any failure to parse is the file's fault
        raise UserError(f"{path}: a .npy array cut short or damaged (NumPy format); {advice} again") from None


def read_map(path: str | Path) -> np.ndarray:
    """Read a continuous map (fixation prediction or human density): 8-bit/16-bit image or ``.npy``, as float64."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        a = drop_extra_axes(load_npy(path))  # extra size-1 axes only: a (1, W) map stays 2-D
        # complex values are refused, not silently cut to their real part; bool and strings are not numbers
        real = np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
        if a.ndim != 2 or not real:
            raise UserError(f"{path}: expected a 2-D array of real numbers, got shape {a.shape} {a.dtype}")
        if a.size == 0:
            raise UserError(f"{path}: empty array (shape {a.shape}); save a map with at least one pixel")
        a = a.astype(np.float64)
        if not np.isfinite(a).all():
            raise UserError(f"{path}: contains NaN or infinite values; save finite numbers")
        if a.min() < 0:
            raise UserError(f"{path}: contains negative values; save a non-negative saliency map")
        return a
    img = _to_grey(read_image(path), path)
    if img.dtype not in (np.uint8, np.uint16):
        raise UserError(f"{path}: unsupported pixel type {img.dtype}; use 8- or 16-bit grey")
    return img.astype(np.float64)


def read_fixations(path: str | Path) -> np.ndarray:
    """Read a binary fixation map (a lossless image nonzero, a lossy one > 128, or MATLAB ``.mat``) as bool."""
    path = Path(path)
    if path.suffix.lower() == ".mat":
        import scipy.io

        try:
            m = scipy.io.loadmat(str(path))
        except Exception as exc:  # noqa: BLE001
            raise UserError(f"{path}: not a readable MATLAB file ({exc})") from None
        for key in ("fixations", "fixLocs", "fixationPts", "fixPts"):
            if key in m and getattr(m[key], "ndim", 0) == 2:
                return _fixation_map_array(path, key, m[key]) > 0
        raise UserError(f"{path}: no 2-D 'fixations' or 'fixLocs' array inside")
    m = read_mask(path, allow01=True)
    # lossy formats ring around each fixated pixel: threshold at > 128; a lossless map is MIT's nonzero
    # (fixationMap > 0), so a 0/1 PNG keeps its fixations
    return m > 128 if path.suffix.lower() in LOSSY_EXTS else m > 0


def _fixation_map_array(path: Path, key: str, a) -> np.ndarray:
    """A ``.mat`` fixation map as read: refused when it is not a map of 0/1 (or fixation counts) but, say, a list of
    (x, y) points, which ``> 0`` would turn into a map with every pixel fixated."""
    a = np.asarray(a)
    what = f"{path}: '{key}' is a {a.shape[0]}x{a.shape[1]} array"
    want = "; eval reads a fixation map: 0/1 (or counts) at the image's size, nonzero where a fixation fell"
    if a.dtype == bool:
        pass
    elif not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise UserError(f"{what} of {a.dtype}{want}")
    elif not np.isfinite(a).all() or (a < 0).any() or (a != np.round(a)).any():
        bad = a[~np.isfinite(a) | (a < 0) | (a != np.round(a))].flat[0]
        raise UserError(f"{what} holding {bad:g}, not a 0/1 map or a count{want}")
    if min(a.shape) <= 3 and a.size > 0:
        raise UserError(f"{what}: a list of points, not a map{want} (convert the points to a map first)")
    return a


LOSSY_EXTS = (".jpg", ".jpeg", ".webp")
"""Image formats whose binary fixation maps are thresholded at > 128 (compression ringing), not > 0."""

LOSSY_01_MAX = 8
"""The highest value of a lossy SOD mask refused as a 0/1 mask (JPEG quality 95 rings a 0/1 mask to 0..2; a
0/255 mask reaches ~255, and anything at most 8 is all background at > 128 whatever it was meant to be)."""


def walk_files(folder: str | Path, exts, label: str, left_out: list | None = None) -> list[Path]:
    """The files under ``folder`` whose suffix is in ``exts`` (hidden names skipped), sorted, recursively.

    ``left_out``, when given, receives the other regular files walked (not
    hidden, suffix not in ``exts``), so that a caller can count them. A
    hidden file is never data: the mark of a folder a saliency command wrote
    (``.saliency-output.json``, :data:`saliency.base.fsutil.OUTPUT_MARK`) is
    neither read nor left out when that folder is given as input.

    Hidden sub-folders are not entered: they hold what is not the user's data,
    such as the staging folders a killed command leaves (``.NAME.*.partial``,
    ``.NAME.old-*``); a half-made output there was read as images and
    predictions (6 of 14 maps were of half-made thumbnails).

    Links to folders outside ``folder`` are followed (a dataset organised
    with linked sub-folders is searched whole), in sorted order, each such
    folder once; a link to a folder inside ``folder`` (an alias: the folder
    keeps its own name) or up to one enclosing it is not followed. A link
    with one of ``exts`` whose target is missing is an error naming it
    (``label`` names the folder), not a file left out; so is a folder that
    cannot be listed (permission denied).
    """
    import os

    folder = Path(folder)
    top = Path(os.path.realpath(folder))
    seen, found = set(), []

    def unreadable(err: OSError):
        """A folder the walk cannot list: an error naming it, never a folder left out (os.walk's default)."""
        import errno

        where = label if err.filename is None or Path(err.filename) == folder else f"{label}: {err.filename}"
        if err.errno in (errno.EACCES, errno.EPERM):
            raise UserError(f"{where}: permission denied; check its permissions or choose another path") from None
        raise err

    for root, dirs, files in os.walk(folder, followlinks=True, onerror=unreadable):
        real = Path(os.path.realpath(root))
        if real in seen:  # a link cycle, or a second link to a folder outside
            dirs[:] = []
            continue
        seen.add(real)
        keep = []
        for d in sorted(dirs):  # the same walk on every file system
            if d.startswith("."):
                continue
            p = os.path.join(root, d)
            if os.path.islink(p):
                t = Path(os.path.realpath(p))
                if t == top or top in t.parents or t in top.parents:
                    continue  # an alias of a folder inside (walked under its own name) or a link up: not followed
            keep.append(d)
        dirs[:] = keep
        for name in files:
            p = Path(root) / name
            if name.startswith("."):
                continue
            if p.suffix.lower() not in exts:
                if left_out is not None and p.is_file():
                    left_out.append(p)
                continue
            if p.is_symlink() and not p.exists():
                raise UserError(f"{label}: {p} is a link to {os.readlink(p)}, which does not exist; fix or "
                                "remove the link")
            if p.is_file():
                found.append(p)
    return sorted(found)


def key_of(path: Path, folder: str | Path) -> str:
    """The key :func:`index_folder` gives ``path`` under ``folder``: its relative path without extension,
    '/'-separated, in Unicode NFC (a mask folder written on macOS, NFD, pairs with images named in NFC)."""
    return nfc(Path(path).relative_to(folder).with_suffix("").as_posix())


def own_keys(index: dict, folder: str | Path) -> list[str]:
    """The keys of an :func:`index_folder` index of ``folder`` that are files' own, in index order (bare-stem
    aliases left out)."""
    return [k for k, p in index.items() if key_of(p, folder) == k]


class FolderIndex(dict):
    """What :func:`index_folder` returns: stem -> file, and in ``left_out`` the regular files it left out
    (sorted; not hidden, an extension not in ``exts``), for :func:`left_out_note`."""

    def __init__(self, *args, left_out=(), exts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.left_out: list[Path] = sorted(left_out)
        self.exts: tuple = tuple(exts)


def left_out_note(index: FolderIndex, folder: str | Path) -> str | None:
    """One line counting the files of ``folder`` that ``index`` (its :func:`index_folder`) left out, or None.

    E.g. ``2 file(s) left out: not an image extension (.gif, .jfif; e.g. b.gif); accepted: .png .jpg ...``;
    names are shown with :func:`saliency.base.images.shown_path` (a newline never splits the line).
    """
    paths = getattr(index, "left_out", None)
    if not paths:
        return None
    sufs = sorted({p.suffix.lower() for p in paths})
    kinds = ", ".join(shown_path(x) if x else "no extension" for x in sufs[:5]) + (", ..." if len(sufs) > 5 else "")
    try:
        eg = paths[0].relative_to(folder).as_posix()
    except ValueError:
        eg = paths[0].name
    return (f"{len(paths)} file(s) left out: not an image extension ({kinds}; e.g. {shown_path(eg)}); "
            f"accepted: {' '.join(index.exts)}")


def refuse_output_twins(items, folder: Path, label: str) -> None:
    """Refuse keys of ``items`` (key, path) whose outputs, one file per key (``<key>.png``), would be one file on a
    file system that ignores case (macOS, Windows): keys equal ignoring case whose file names differ beyond case
    (``Img.png`` and ``img.jpg``). Names that differ only in case (``Dog.png`` and ``DOG.png``) can only be side by
    side where case counts, and their outputs mirror them: accepted. A command checks the keys it will write
    (after ``list``), not the whole folder."""
    folded: dict[str, list[Path]] = {}
    for rel, p in items:
        group = folded.setdefault(rel.casefold(), [])
        name = nfc(p.relative_to(folder).as_posix()).casefold()
        twin = next((q for q in group if nfc(q.relative_to(folder).as_posix()).casefold() != name), None)
        if twin is not None:
            a, b = (shown_path(q.relative_to(folder).as_posix()) for q in (twin, p))
            raise UserError(f"{label}: {a} and {b} have names that differ only in case once the extension is "
                            f"dropped; outputs are named so, and a file system that ignores case (macOS, Windows) "
                            f"holds their two outputs as one file; rename one of them")
        group.append(p)


def index_folder(folder: str | Path, exts=IMAGE_EXTS, param: str = "pred", *, prefix: str = "",
                 label: str | None = None) -> FolderIndex:
    """Map file stems (relative path without extension, '/'-separated) to files, recursively.

    A file's bare stem is also a key when no other file has it and no file
    sits at that path, so a flat key ``name`` finds ``cat/name.png``. Keys
    are in Unicode NFC (:func:`key_of`). Raises UserError for a missing folder or one without
    matching files; the message names the parameter ``param`` that gave the
    folder (in backticks, so the command line shows its flag), followed by
    ``prefix`` (e.g. ``"NAME="`` for a method's folder) and the folder.
    A folder that no parameter gave (e.g. a study's ``masks``) is named by a
    plain ``label`` instead, printed as is; a label is never a flag string.
    Two files of one stem (``a.jpg`` and ``a.png``) are refused, both named:
    which one is meant cannot be told, and keeping either pairs the other's
    mask or map with the wrong picture, or leaves it out unsaid.
    Keys that differ only in case are indexed apart and matched by the exact
    key; a command writing one file per key refuses those whose outputs would
    be one file where case is ignored (:func:`refuse_output_twins`, predict).
    The other regular files (not hidden, an extension not in ``exts``, e.g.
    ``b.gif``) are not errors: they are listed in the index's ``left_out``
    (:class:`FolderIndex`), for the command to count (:func:`left_out_note`).
    """
    folder = Path(folder)
    if not param.isidentifier():
        raise ValueError(f"index_folder: param {param!r} is not a parameter name (no leading dashes)")
    if label is not None:
        if label.startswith("-"):
            raise ValueError(f"index_folder: label {label!r} is a flag; pass the parameter name as param")
        label = f"{label} {shown_path(f'{prefix}{folder}')}"
    else:  # shown_path: a newline or tab in a name never splits the one-line message
        label = f"`{param}` {shown_path(f'{prefix}{folder}')}"
    if not folder.is_dir():
        raise UserError(f"{label}: folder not found")
    out: dict[str, Path] = {}
    bare: dict[str, list[Path]] = {}
    left: list[Path] = []
    for p in walk_files(folder, exts, label, left):
        rel = key_of(p, folder)
        if rel in out:
            raise UserError(f"{label}: {shown_path(out[rel].name)} and {shown_path(p.name)} share the name "
                            f"{rel!r}, so which one is meant cannot be told; rename or move one of them")
        out[rel] = p
        bare.setdefault(nfc(p.stem), []).append(p)
    if not out:
        raise UserError(f"{label}: no image files ({', '.join(exts)}) in the folder")
    for stem, paths in bare.items():
        if len(paths) == 1 and stem not in out:
            out[stem] = paths[0]
    return FolderIndex(out, left_out=left, exts=exts)

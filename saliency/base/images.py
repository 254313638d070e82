"""Image file extensions and size limits: one place for every reader of stimuli, masks, maps and predictions.

The union of what OpenCV's ``imread`` decodes in the opencv-python-headless
wheels and what the benchmark distributions ship (MIT1003 ``.jpeg``, CAT2000
``.jpg``, DUTS ``.png``, netpbm ``.pgm``/``.ppm`` in older SOD sets).

Limits: an image is refused before decoding when its header declares more
than :data:`DEFAULT_MAX_PIXELS` pixels (100 megapixels; ``--max-pixels`` on
the commands that read images, or ``SALIENCY_MAX_PIXELS``) or a side longer
than :data:`MAX_SIDE` (:func:`check_image_size`).
"""

from __future__ import annotations

import contextlib as _contextlib
import itertools as _itertools
import os as _os
import struct as _struct
import threading as _threading

from dataclasses import dataclass as _dataclass

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
"""Lower-case suffixes (with the dot) of the image files the toolkit reads."""


def is_image(name: str) -> bool:
    """Whether a file name has one of :data:`IMAGE_EXTS` (case-insensitive), hidden files excluded."""
    lower = name.lower()
    return not name.startswith(".") and any(lower.endswith(e) for e in IMAGE_EXTS)


def shown_path(path) -> str:
    """``path`` as text for a one-line message: as is, or quoted with escapes (``repr``) when it holds a
    character that is not printable (a newline, a tab, a byte that is not UTF-8), so a name never splits a line."""
    text = _os.fspath(path) if isinstance(path, _os.PathLike) else str(path)
    if isinstance(text, bytes):
        text = _os.fsdecode(text)
    return text if text.isprintable() else repr(text)


# ------------------------------------------------------------------ bounded sizes (issue 16, deliverable 3)
# A tiny file can declare an enormous image (a 372-byte PNG of 100000x1, a
# 389 KB PNG of 20000x20000): decoding it would ask for gigabytes. Readers
# therefore read the declared width and height from the file header first
# (:func:`image_size`, a few hundred bytes, no decoder) and refuse an image
# above the limit (:func:`check_image_size`) before decoding it.

DEFAULT_MAX_PIXELS = 100_000_000
"""Default limit on an image's declared pixels (width x height): 100 megapixels."""

MAX_SIDE = 65_535
"""Limit on either side of an image, in pixels (JPEG's and WebP's own limit; OpenCV's maps fit in memory)."""

NETWORK_SIZE_RANGE = (16, 4096)
"""The sides a network input ``size`` may have, in pixels (``saliency predict --size`` and ``saliency crop --size``:
16x16 to 4096x4096; :data:`saliency.predict.SIZE_RANGE` is this range). Kept here, in a module that imports only the
standard library, so the command line's argument types read it without importing numpy while a help screen is
built."""

_limit: list[int] = []  # the limit set by pixel_limit(), innermost last


def max_pixels() -> int:
    """The pixel limit in force: :func:`pixel_limit`'s, else ``SALIENCY_MAX_PIXELS``, else the default."""
    if _limit:
        return _limit[-1]
    return _env_max_pixels()


def _env_max_pixels() -> int:
    """``SALIENCY_MAX_PIXELS`` as a whole number of pixels, else the default; a value set but not a whole number
    above 0 (``1e3``, ``1,000``, ``-5``) is refused naming it (it was the default, unsaid)."""
    raw = _os.environ.get("SALIENCY_MAX_PIXELS")
    env = (raw or "").strip()
    if not env:  # empty (``SALIENCY_MAX_PIXELS=``) counts as unset, as a shell's ``VAR= command`` means
        return DEFAULT_MAX_PIXELS
    if env.isascii() and env.isdigit() and int(env) > 0:
        return int(env)
    from saliency.base.errors import UserError

    raise UserError(f"SALIENCY_MAX_PIXELS={raw!r}: needs a whole number of pixels above 0 (e.g. 200000000, no "
                    f"commas or exponent); set it so, or unset it for the default {DEFAULT_MAX_PIXELS:,}")


@_contextlib.contextmanager
def pixel_limit(n: int | None):
    """Context in which :func:`check_image_size` refuses images above ``n`` pixels (None: keep the limit).

    Also sets ``SALIENCY_MAX_PIXELS`` for the context, so that worker processes started inside it agree.
    """
    if n is None:
        _env_max_pixels()  # a bad SALIENCY_MAX_PIXELS is refused here, before any work, not at the first image
        yield
        return
    old = _os.environ.get("SALIENCY_MAX_PIXELS")
    _limit.append(int(n))
    _os.environ["SALIENCY_MAX_PIXELS"] = str(int(n))  # worker processes (fork or spawn) see it too
    try:
        yield
    finally:
        _limit.pop()
        if old is None:
            _os.environ.pop("SALIENCY_MAX_PIXELS", None)
        else:
            _os.environ["SALIENCY_MAX_PIXELS"] = old


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_GIF_MAGIC = (b"GIF87a", b"GIF89a")


def _png(h: bytes):
    if h[:8] == _PNG_MAGIC and h[12:16] == b"IHDR":
        return _struct.unpack(">II", h[16:24])
    return None


def _bmp(h: bytes):
    if h[:2] != b"BM" or len(h) < 26:
        return None
    size = _struct.unpack("<I", h[14:18])[0]
    if size == 12:  # OS/2 BITMAPCOREHEADER
        w, hh = _struct.unpack("<HH", h[18:22])
    else:
        w, hh = _struct.unpack("<ii", h[18:26])
    return abs(w), abs(hh)


def _gif(h: bytes):
    if h[:6] in _GIF_MAGIC:
        return _struct.unpack("<HH", h[6:10])
    return None


def _webp(h: bytes):
    if h[:4] != b"RIFF" or h[8:12] != b"WEBP":
        return None
    kind = h[12:16]
    if kind == b"VP8 " and len(h) >= 30:
        w, hh = _struct.unpack("<HH", h[26:30])
        return w & 0x3FFF, hh & 0x3FFF
    if kind == b"VP8L" and len(h) >= 25:
        b = h[21:25]
        w = 1 + (((b[1] & 0x3F) << 8) | b[0])
        hh = 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
        return w, hh
    if kind == b"VP8X" and len(h) >= 30:
        w = 1 + int.from_bytes(h[24:27], "little")
        hh = 1 + int.from_bytes(h[27:30], "little")
        return w, hh
    return None


def _pnm(h: bytes):
    if len(h) < 3 or h[0:1] != b"P" or h[1:2] not in b"123456":
        return None
    tokens: list[bytes] = []
    i = 2
    while len(tokens) < 2 and i < len(h):
        c = h[i:i + 1]
        if c == b"#":
            while i < len(h) and h[i:i + 1] not in (b"\n", b"\r"):
                i += 1
        elif c.isspace():
            i += 1
        else:
            j = i
            while j < len(h) and h[j:j + 1].isdigit():
                j += 1
            if j == i:
                return None
            tokens.append(h[i:j])
            i = j
    return (int(tokens[0]), int(tokens[1])) if len(tokens) == 2 else None


def _jpeg(f):
    f.seek(2)
    while True:
        b = f.read(1)
        while b and b != b"\xff":  # skip to the next marker
            b = f.read(1)
        while b == b"\xff":
            b = f.read(1)
        if not b:
            return None
        marker = b[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker == 0xD9:
            return None
        seg = f.read(2)
        if len(seg) < 2:
            return None
        length = _struct.unpack(">H", seg)[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            data = f.read(5)
            if len(data) < 5:
                return None
            hh, w = _struct.unpack(">HH", data[1:5])
            return w, hh
        f.seek(length - 2, 1)


def _tiff(f, h: bytes):
    if h[:4] == b"II*\x00":
        e = "<"
    elif h[:4] == b"MM\x00*":
        e = ">"
    else:
        return None
    f.seek(_struct.unpack(e + "I", h[4:8])[0])
    n = f.read(2)
    if len(n) < 2:
        return None
    size: dict[int, int] = {}
    for _ in range(min(_struct.unpack(e + "H", n)[0], 4096)):
        entry = f.read(12)
        if len(entry) < 12:
            break
        tag, typ = _struct.unpack(e + "HH", entry[:4])
        if tag in (256, 257):
            size[tag] = _struct.unpack(e + ("H" if typ == 3 else "I"), entry[8:10] if typ == 3 else entry[8:12])[0]
    if 256 in size and 257 in size:
        return size[256], size[257]
    return None


def image_size(path) -> tuple[int, int] | None:
    """Declared ``(width, height)`` of an image file, read from its header without decoding; None if unknown.

    Reads PNG, JPEG, BMP, TIFF, WebP, GIF and netpbm (PGM/PPM/PBM) headers;
    OSError when the file cannot be opened.
    """
    with open(path, "rb") as f:
        h = f.read(64)
        for parse in (_png, _bmp, _gif, _webp, _pnm):
            try:
                size = parse(h)
            except (_struct.error, ValueError):
                size = None
            if size is not None:
                return int(size[0]), int(size[1])
        try:
            if h[:2] == b"\xff\xd8":
                size = _jpeg(f)
            else:
                size = _tiff(f, h)
        except (_struct.error, ValueError, OSError):
            size = None
    return (int(size[0]), int(size[1])) if size is not None else None


def oversized(size: tuple[int, int] | None, limit: int | None = None) -> str | None:
    """Why a declared ``(width, height)`` is over the limits (a phrase), or None when it is within them."""
    if size is None:
        return None
    w, h = size
    limit = max_pixels() if limit is None else limit
    if w * h > limit:
        return f"declares {w}x{h} = {w * h:,} pixels, above the limit of {limit:,}"
    if max(w, h) > MAX_SIDE:
        return f"declares {w}x{h}, a side above the limit of {MAX_SIDE:,} pixels"
    return None


def check_image_size(path, limit: int | None = None) -> tuple[int, int] | None:
    """Refuse (UserError naming the file) an image whose header declares more than the pixel limit.

    Returns the declared ``(width, height)`` (None when the header is not
    recognised: the decoder then decides). Call before decoding.
    """
    from saliency.base.errors import UserError

    try:
        size = image_size(path)
    except OSError as exc:
        raise UserError(f"{shown_path(path)}: cannot read the file ({exc.strerror or exc}); replace or remove it") \
            from None
    why = oversized(size, limit)
    if why:  # a side above MAX_SIDE: no pixel limit lets it through, so raising one alone is no advice
        limit = max_pixels() if limit is None else limit
        if max(size) > MAX_SIDE and size[0] * size[1] > limit:  # both: shrinking to the side bound is not enough
            fix = (f"shrink it to at most {MAX_SIDE:,} pixels a side and {limit:,} pixels in all (or raise "
                   f"`max_pixels`), or remove it")
        elif max(size) > MAX_SIDE:
            fix = f"shrink it to at most {MAX_SIDE:,} pixels a side, or remove it"
        else:
            fix = "shrink or remove it, or raise `max_pixels`"
        raise UserError(f"{shown_path(path)}: image {why}; {fix}")
    return size


# ------------------------------------------------------------------ decoding without C-level noise
# libpng prints "libpng error: ..." / "libpng warning: ..." straight to file
# descriptor 2 for a corrupt PNG, past OpenCV's log level; with the toolkit's
# own one-line error that made two stderr lines (found by benchmarks/fuzz.py).

_FD2_LOCK = _threading.Lock()


@_contextlib.contextmanager
def _fd2_silenced():
    """File descriptor 2 goes to the null device meanwhile (one holder at a time; restored on every exit)."""
    with _FD2_LOCK:
        try:
            saved = _os.dup(2)
        except OSError:  # pragma: no cover - no stderr at all
            yield
            return
        try:
            null = _os.open(_os.devnull, _os.O_WRONLY)
            try:
                _os.dup2(null, 2)
            finally:
                _os.close(null)
            yield
        finally:
            _os.dup2(saved, 2)
            _os.close(saved)


_PIL_LIMIT_LOCK = _threading.RLock()  # re-entrant: a header read inside another (API callers) never hangs


@_contextlib.contextmanager
def open_header(source):
    """``PIL.Image.open(source)`` (a path or a file object) with PIL's decompression-bomb limit lifted meanwhile.

    Only a header is meant to be read: PIL's limit (about 179 M pixels, which raised and so read as "no tag",
    "no profile", "one frame") would refuse what the toolkit's own pixel limit (:func:`max_pixels`) guards at
    decoding. The limit is lifted under one lock (``Image.MAX_IMAGE_PIXELS`` is PIL's global) and put back on
    every exit; PIL's errors propagate to the caller.
    """
    from PIL import Image

    with _PIL_LIMIT_LOCK:
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(source) as im:
                yield im
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _valid_tag(tag) -> int:
    tag = int(tag)
    return tag if 1 <= tag <= 8 else 1


def _pil_orientation(im) -> int:
    """The orientation tag (1-8) of the open PIL image ``im``; 1 when absent or unreadable."""
    try:
        return _valid_tag(im.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - no tag to read is the usual case: the pixels as stored
        return 1


def _orientation_tag(source) -> int:
    """The orientation tag (1-8) PIL reads from ``source`` (a path or a file object); 1 when absent or unreadable.

    Only the header is read (:func:`open_header`): the toolkit's own pixel limit guards decoding.
    """
    try:
        with open_header(source) as im:
            return _pil_orientation(im)
    except Exception:  # noqa: BLE001 - a file PIL cannot open carries no tag it could read
        return 1


def _exif_block_tag(block: bytes) -> int:
    """The orientation tag (1-8) of an EXIF block (a TIFF header and IFD, maybe after ``Exif\\0\\0``); 1 if none."""
    try:
        from PIL import Image

        ex = Image.Exif()
        ex.load(block)
        return _valid_tag(ex.get(0x0112, 1))
    except Exception:  # noqa: BLE001 - a block PIL cannot parse carries no tag to say
        return 1


def _png_chunks(fh):
    """The chunks of the PNG open as ``fh`` before its ``IEND``, walked by their headers alone (length, big-endian;
    type; data; CRC): ``(type, length)`` of each, ``fh`` at the chunk's data when yielded (read or not: the walk
    goes on from the chunk's end)."""
    pos = 8
    fh.seek(pos)
    while len(chunk := fh.read(8)) == 8 and chunk[4:] != b"IEND":
        size = int.from_bytes(chunk[:4], "big")
        yield chunk[4:], size
        pos += size + 12
        fh.seek(pos)


def _chunk_orientation(fh) -> int | None:
    """The orientation tag of the PNG or WebP open as ``fh`` (told by its first bytes), read from its ``eXIf`` /
    ``EXIF`` chunk found by walking the chunk headers (no pixel decoded; 1 without one); None for another format
    (ask PIL: it reads a JPEG's, TIFF's ... header only). PIL decodes a whole PNG whose ``eXIf`` follows its
    pixels, and its WebP reader demuxes the whole file."""
    fh.seek(0)
    head = fh.read(12)
    if head[:8] == _PNG_MAGIC:
        for kind, size in _png_chunks(fh):
            if kind == b"eXIf":
                return _exif_block_tag(fh.read(size))
        return 1
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":  # chunks: type, length (little-endian), even-padded
        while len(chunk := fh.read(8)) == 8:
            size = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"EXIF":
                return _exif_block_tag(fh.read(size))
            fh.seek(size + (size & 1), 1)
        return 1
    return None


def _file_orientation(path, im=None) -> int:
    """The one reading of a file's orientation tag (1-8; 1 when absent or unreadable): a PNG's or WebP's by
    :func:`_chunk_orientation`, any other file's through PIL (``im``: ``path`` already open with
    :func:`open_header`; None: opened here; False: PIL could not open it, so 1)."""
    try:
        with open(path, "rb") as fh:
            tag = _chunk_orientation(fh)
    except OSError:
        return 1
    if tag is not None:
        return tag
    if im is False:
        return 1
    return _orientation_tag(path) if im is None else _pil_orientation(im)


#: the formats whose frames are pictures of their own; an MPO (a camera's JPEG with an MPF preview, gain or depth
#: map) is one photo, whatever its frame count
_FRAME_FORMATS = frozenset({"TIFF", "WEBP", "PNG", "GIF"})


def _frames_of(im) -> int:
    if im.format not in _FRAME_FORMATS:
        return 1
    return max(1, int(getattr(im, "n_frames", 1) or 1))


@_dataclass(frozen=True)
class ImageHeader:
    """What :func:`read_header` reads of an image file without decoding its pixels."""

    orientation: int = 1
    """The EXIF orientation tag, 1-8 (:func:`stimulus_orientation`); 1 when absent or unreadable."""
    icc: bytes | None = None
    """The ICC colour profile PIL reads from the file (``info["icc_profile"]``), or None."""
    frames: int = 1
    """How many frames (TIFF pages, animated WebP, PNG or GIF frames) the file holds, read from its header and
    frame index; 1 for a still image, a JPEG carrying an MPF second image (PIL's MPO: a preview, gain or depth
    map, not another picture) or one PIL cannot open. OpenCV's ``imdecode`` reads the first frame only."""


def read_header(path) -> ImageHeader:
    """The orientation tag, ICC profile and frame count of the image file ``path``, from one PIL open of its header
    (:func:`open_header`; a PNG's or WebP's tag from its EXIF chunk, read by a walk of its chunk headers): what
    ``saliency crop`` and ``saliency predict`` ask of each image (the tag as :func:`stimulus_orientation` reads
    it). A file PIL cannot open: its tag if a PNG or WebP chunk holds one, no profile, one frame. PIL's warnings
    on a damaged file ("Corrupt EXIF data") are silenced: the decode's own reading stands."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with open_header(path) as im:
                try:
                    frames = _frames_of(im)
                except Exception:  # noqa: BLE001 - a frame index PIL cannot read: OpenCV's first frame stands
                    frames = 1
                icc = im.info.get("icc_profile")
                return ImageHeader(_file_orientation(path, im), bytes(icc) if icc else None, frames)
        except Exception:  # noqa: BLE001 - a file PIL cannot read: one frame, no profile (OpenCV's reading stands)
            return ImageHeader(_file_orientation(path, False))


def _may_hold_frames(fh) -> bool:
    """Whether the file open as ``fh`` can hold several frames, told by its first bytes: a format of
    :data:`_FRAME_FORMATS`; of a PNG, an ``acTL`` chunk before its first ``IDAT`` (where APNG puts it; chunk headers
    only, the first 10 000); of a WebP, the animation bit of its VP8X flags."""
    h = fh.read(21)
    fmt = ("PNG" if h[:8] == _PNG_MAGIC else "WEBP" if h[:4] == b"RIFF" and h[8:12] == b"WEBP"
           else "TIFF" if h[:4] in _TIFF_MAGIC else "GIF" if h[:6] in _GIF_MAGIC else None)
    if fmt not in _FRAME_FORMATS:
        return False
    if fmt == "PNG":
        for kind, _ in _itertools.islice(_png_chunks(fh), 10_000):
            if kind in (b"acTL", b"IDAT"):
                return kind == b"acTL"
        return False
    if fmt == "WEBP":
        return h[12:16] == b"VP8X" and len(h) > 20 and bool(h[20] & 0x02)
    return True


def frame_count(path) -> int:
    """How many frames (TIFF pages, animated PNG, WebP or GIF frames) the image file ``path`` holds; OpenCV decodes
    the first alone. 1 for a still image and for a file that cannot be read.

    Cheap for the common still file: its first bytes (and a PNG's chunk headers up to its pixels) tell whether it
    can hold several frames at all; only a TIFF, a GIF, an animated WebP or an APNG is asked through
    :func:`read_header` (PIL, the header and frame index only), the frame count predict and crop read.
    """
    try:
        with open(path, "rb") as fh:
            maybe = _may_hold_frames(fh)
    except OSError:
        return 1
    return read_header(path).frames if maybe else 1


_TIFF_SAMPLE_FORMATS = {2: "signed integer", 3: "floating point"}


def tiff_sample_format(path) -> str | None:
    """The sample format of a TIFF file's first page when it is not unsigned integer: ``"float32"``,
    ``"float64"``, ``"signed integer 16-bit"`` ...; None for unsigned integers, another format or an unreadable
    header (SampleFormat, tag 339; BitsPerSample, tag 258; the first channel's). Classic TIFF and BigTIFF (8-byte
    offsets, 20-byte entries); a file too short for what its header promises reads as unreadable (None)."""
    try:
        with open(path, "rb") as f:
            h = f.read(16)
            if h[:4] not in _TIFF_MAGIC:
                return None
            e = "<" if h[:2] == b"II" else ">"
            big = h[2:4] in (b"+\x00", b"\x00+")
            if big:  # BigTIFF: offset size 8 (bytes 4-5), 0 (6-7), then the first IFD's 8-byte offset
                if len(h) < 16 or _struct.unpack(e + "HH", h[4:8]) != (8, 0):
                    return None
                off, n_fmt, field, inline = _struct.unpack(e + "Q", h[8:16])[0], "Q", "Q", 4
            else:
                if len(h) < 8:
                    return None
                off, n_fmt, field, inline = _struct.unpack(e + "I", h[4:8])[0], "H", "I", 2
            f.seek(off)
            n = f.read(_struct.calcsize(e + n_fmt))  # the number of entries of the first IFD
            if len(n) < _struct.calcsize(e + n_fmt):
                return None
            tags: dict[int, int] = {}
            head = _struct.calcsize(e + "HH" + field)  # tag, type, count; then the value or its offset (a field)
            entry_size = head + _struct.calcsize(e + field)
            for _ in range(min(_struct.unpack(e + n_fmt, n)[0], 4096)):
                entry = f.read(entry_size)
                if len(entry) < entry_size:
                    break
                tag, typ, count = _struct.unpack(e + "HH" + field, entry[:head])
                if tag in (258, 339) and typ == 3 and count:  # SHORTs: the first value (one per channel)
                    tags[tag] = (entry[head:head + 2] if count <= inline
                                 else _struct.unpack(e + field, entry[head:])[0])
            for tag, v in tags.items():  # more values than fit in the entry are stored at the offset it gives
                if isinstance(v, int):
                    f.seek(v)
                    v = f.read(2)
                tags[tag] = _struct.unpack(e + "H", v)[0] if len(v) == 2 else 0
    except (OSError, ValueError, OverflowError, _struct.error):  # an offset past what a file can hold
        return None
    kind, bits = _TIFF_SAMPLE_FORMATS.get(tags.get(339, 1)), tags.get(258)
    if kind is None:
        return None
    if kind == "floating point":
        return f"float{bits}" if bits else kind
    return f"{kind} {bits}-bit" if bits else kind


def exif_orientation(path) -> int:
    """The EXIF orientation tag of an image file (1-8; 1 when absent or unreadable), read with PIL."""
    return _orientation_tag(path)


def stimulus_orientation(path) -> int:
    """:func:`exif_orientation` of a stimulus, cheaply and from its header only: a PNG or WebP (by its signature,
    whatever its name) by walking its chunk headers to its ``eXIf`` / ``EXIF`` chunk, whose EXIF block alone is
    parsed (PIL decodes a whole PNG whose ``eXIf`` follows its pixels); any other file through PIL, which reads a
    JPEG's or TIFF's header only. The one orientation reading of ingest, eval (``saliency.eval.io.orientation_tag``),
    crop and predict (:func:`read_header`)."""
    return _file_orientation(path)


def to_display(a, tag: int):
    """``a`` (rows, columns[, channels]) turned as EXIF orientation ``tag`` says an image is shown.

    The moves of PIL's ``ImageOps.exif_transpose`` (2 mirror, 3 half turn, 4
    flip, 5 transpose, 6 quarter turn clockwise, 7 transverse, 8 quarter turn
    anticlockwise); 1 or an unknown tag leaves ``a`` as it is.
    """
    import numpy as np

    moves = {2: lambda v: v[:, ::-1], 3: lambda v: v[::-1, ::-1], 4: lambda v: v[::-1],
             5: lambda v: v.swapaxes(0, 1), 6: lambda v: np.rot90(v, -1),
             7: lambda v: np.rot90(v, 2).swapaxes(0, 1), 8: lambda v: np.rot90(v, 1)}
    move = moves.get(int(tag))
    return a if move is None else np.ascontiguousarray(move(a))


def from_display(a, tag: int):
    """The inverse of :func:`to_display`: ``a`` as shown under EXIF orientation ``tag``, back as stored."""
    return to_display(a, {6: 8, 8: 6}.get(int(tag), int(tag)))


ASPECT_TOL = 0.01
"""How far (relative) a map's aspect ratio may differ from its image's and still be the same picture at another
resolution (:func:`same_shape_scaled`)."""


def same_shape_scaled(map_hw, image_hw) -> bool:
    """Whether a map of ``map_hw`` (rows, columns) can be the picture of ``image_hw`` at another resolution.

    The one rule by which training refuses a human map (``saliency.datasets.check_map_shape``), ``saliency crop``
    refuses a map and eval notes a prediction of another shape, e.g. turned 90 degrees. True when the shapes are
    equal, when their aspect ratios differ by at most :data:`ASPECT_TOL` (1 %), or when the smaller of the two
    (fewer pixels; for two of as many pixels, either) is the larger scaled by one factor with both sides rounded
    alike: both down, both up or both to the nearest (:func:`_rounded_scale`). Below ~100 pixels a rounded side
    is off by more than 1 % (6x3 is 11x5 halved and rounded, 13.6 % off; 1x25 is 1x50 halved; 33x3 is 101x11
    divided by 3, rounded down), while a turned shape is still refused (5x11 is not 11x5; 60x80 not 80x60), as
    is 10x6 for 200x100 (no one rounding gives 10 and 6 from 10 and 5). A side of 0 or less: only its own shape.
    """
    (mh, mw), (ih, iw) = (tuple(int(v) for v in tuple(hw)[:2]) for hw in (map_hw, image_hw))
    if (mh, mw) == (ih, iw):
        return True
    if min(mh, mw, ih, iw) <= 0:
        return False
    if abs((mw / mh) / (iw / ih) - 1) <= ASPECT_TOL:
        return True
    if mh * mw == ih * iw:
        return _rounded_scale((mh, mw), (ih, iw)) or _rounded_scale((ih, iw), (mh, mw))
    small, large = sorted([(mh, mw), (ih, iw)], key=lambda s: s[0] * s[1])
    return _rounded_scale(small, large)


def _rounded_scale(small, large) -> bool:
    """Whether some factor ``s`` > 0 makes ``small`` (h, w) the sides of ``large`` (H, W) times ``s``, each rounded
    down (``h <= s*H < h + 1``, likewise ``w``), each rounded up (``h - 1 < s*H <= h``) or each rounded to the
    nearest (``|s*H - h| <= 1/2``): the intervals of ``s`` the two sides allow meet (in integers: exact)."""
    (h, w), (big_h, big_w) = small, large
    down = w * big_h < (h + 1) * big_w and h * big_w < (w + 1) * big_h
    up = (w - 1) * big_h < h * big_w and (h - 1) * big_w < w * big_h
    nearest = (2 * w - 1) * big_h <= (2 * h + 1) * big_w and (2 * h - 1) * big_w <= (2 * w + 1) * big_h
    return down or up or nearest


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, both byte orders


def _tiff_orientation(data) -> int:
    """The orientation tag (1-8) of TIFF bytes ``data``; 1 for other formats, no tag or an unreadable one."""
    head = bytes(data[:4])
    if head not in _TIFF_MAGIC:
        return 1
    import io

    return _orientation_tag(io.BytesIO(memoryview(data).cast("B")))  # a TIFF PIL cannot read: OpenCV's stands


def decode(data, flags, orientation: int | None = None):
    """``cv2.imdecode(data, flags)`` for the bytes ``data`` (a uint8 array), None when they are not an image.

    The pixels as stored: an EXIF orientation tag (a phone's "rotate 90") is
    ignored whatever ``flags`` say, as ``IMREAD_UNCHANGED`` (masks, maps),
    PIL (``ingest``'s stimulus sizes) and the header readers ignore it. OpenCV
    applies the tag for ``IMREAD_COLOR`` and ``IMREAD_GRAYSCALE``, which turned
    a photo 90 degrees against its own mask, map and fixations. Its TIFF
    decoder applies a TIFF's orientation tag whatever the flags (OpenCV 4.14,
    ``IMREAD_UNCHANGED`` and ``IMREAD_IGNORE_ORIENTATION`` included), so a
    TIFF's pixels are turned back as stored here. The C decoders' own messages
    on stderr are suppressed: the caller turns None into its one-line error.
    ``orientation``: the tag :func:`read_header` read from the file of ``data``, so that a TIFF's is not read
    again (None: read from ``data``).
    """
    import cv2

    if data is None or not getattr(data, "size", len(data)):
        return None
    if flags != cv2.IMREAD_UNCHANGED:
        flags |= cv2.IMREAD_IGNORE_ORIENTATION
    with _fd2_silenced():
        img = cv2.imdecode(data, flags)
    if img is not None:
        if orientation is None:
            tag = _tiff_orientation(data)
        else:
            tag = orientation if bytes(data[:4]) in _TIFF_MAGIC else 1
        if tag != 1:
            img = from_display(img, tag)
    return img


# ------------------------------------------------------------------ encoding without handing OpenCV the path
# ``cv2.imwrite(path, ...)`` (and ``imread``) crash the process (SIGSEGV, OpenCV 4.14) when ``path`` holds a
# byte that is not UTF-8 (a surrogate-escaped ``str``, e.g. a folder ``b'caf\xe9'``); and libpng prints
# "libpng error: Write Error" on stderr when the disk is full. The image is therefore encoded in memory
# (``cv2.imencode``: the same bytes as ``imwrite`` with the same parameters) and written by Python, which
# takes any path and raises an OSError naming it.


def encode(img, ext: str, params=()) -> bytes:
    """The bytes of ``img`` encoded as ``ext`` (``".png"``, ``".jpg"``, ...; any case) with OpenCV ``params``.

    Raises UserError naming the format when OpenCV cannot encode the array in it (e.g. colour as ``.pgm``).
    """
    import cv2

    from saliency.base.errors import UserError

    ext = str(ext)
    if not ext.startswith(".") or not ext[1:].isalnum() or not ext.isascii():
        raise UserError(f"{ext!r}: not an image file extension; choose one of {', '.join(IMAGE_EXTS)}")
    try:
        ok, buf = cv2.imencode(ext, img, list(params))
    except cv2.error:  # e.g. an array type the codec cannot take
        ok = False
    if not ok:
        shape = "x".join(str(n) for n in getattr(img, "shape", ()))
        raise UserError(f"cannot encode a {shape} {getattr(img, 'dtype', '')} image as {ext.lower()}")
    return buf.tobytes()


def write_image(path, img, params=()) -> None:
    """``cv2.imwrite(path, img, params)`` with the same bytes, for any path (the format from its suffix).

    The file is written in place (callers write into a staging folder or through
    ``fsutil.atomic_path``). UserError naming ``path`` when the image cannot be
    encoded in that format; an OSError naming ``path`` when it cannot be written.
    """
    from saliency.base.errors import UserError

    path = _os.fspath(path)
    try:
        data = encode(img, _os.path.splitext(path)[1], params)
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as exc:  # a failed write or close (a full disk, a file-size limit) names no file: name it
        if exc.filename is not None or exc.filename2 is not None or exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror, path) from exc

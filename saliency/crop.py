"""Saliency-aware cropping: the window of a given aspect ratio that keeps the most saliency.

Automatic thumbnailing and image re-composition were among the first
applications of saliency maps (Suh et al., "Automatic thumbnail cropping and
its effectiveness", UIST 2003; Santella et al., "Gaze-based interaction for
semi-automatic photo cropping", CHI 2006; Ardizzone et al., "Saliency based
image cropping", ICIAP 2013; Twitter's saliency cropping, 2018). Given a
saliency map ``S`` and an aspect ratio ``a = w / h``:

- default: the largest window of aspect ``a`` that fits in the image,
  placed where it keeps the most saliency;
- ``keep=f``: the smallest window of aspect ``a`` (not smaller than
  ``min_size`` on its shorter side) whose best placement keeps at least the
  fraction ``f`` of the image's total saliency.

With ``compose="thirds"`` (:func:`thirds_crop`) the window is the one,
among those keeping at least ``f`` of the saliency, that puts the saliency
centroid nearest a rule-of-thirds point.

Both searches are exact: the saliency inside every placement of a window is
read from a summed-area table (Crow, SIGGRAPH 1984) in O(1), so one window
size costs O(H W); the best kept saliency never decreases with the window's
size (a larger window contains the best smaller one), so the smallest size
reaching ``f`` is found by bisection over window heights. Ties between
placements go to the one closest to the image centre. Torch-free (a
``checkpoint`` given to :func:`crop_folder` is run by :mod:`saliency.predict`).

:func:`crop_folder` is the whole of ``saliency crop``: every image of a folder
cropped with maps read from a folder (or predicted by a checkpoint), the
crops and ``crops.json`` written into a staged output folder.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class CropBox:
    """A crop window in pixels (``x, y`` top-left, ``w x h``) and the share of saliency it keeps."""

    x: int
    y: int
    w: int
    h: int
    kept: float

    def as_dict(self) -> dict:
        """JSON-able form."""
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h, "kept": round(self.kept, 6)}


ASPECT_MAX = 100.0  # the widest (and tallest) crop accepted: 100:1


def parse_aspect(text: str) -> float:
    """``"16:9"`` -> 16/9; also accepts a plain positive number; finite, between 1:100 and 100:1."""
    try:
        if ":" in text:
            a, b = (float(v) for v in text.split(":"))
        else:
            a, b = float(text), 1.0
    except ValueError:
        raise ValueError(f"{text!r}: expected W:H such as 16:9 or 1:1") from None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise ValueError(f"{text!r}: both sides must be positive finite numbers, e.g. 16:9")
    if not 1 / ASPECT_MAX <= a / b <= ASPECT_MAX:
        raise ValueError(f"{text!r}: the ratio must lie between 1:{ASPECT_MAX:g} and {ASPECT_MAX:g}:1")
    return a / b


def width_of(height: int, aspect: float) -> int:
    """The width of a window of ``aspect`` and ``height``: ``height * aspect`` rounded (the toolkit's one rule)."""
    return int(round(height * aspect))


def window_size(img_w: int, img_h: int, aspect: float, height: int) -> tuple[int, int]:
    """Window ``(w, h)`` of the given aspect and height, rounded to whole pixels, clipped to the image."""
    w = width_of(height, aspect)
    return max(1, min(img_w, w)), max(1, min(img_h, height))


def max_height(img_w: int, img_h: int, aspect: float) -> int:
    """Height of the largest window of ``aspect`` that fits in the image.

    The largest ``h <= img_h`` whose width ``round(h * aspect)`` (the rule of
    :func:`window_size` and :func:`of_aspect`) is at most ``img_w``: a 1025x769
    image is a 4:3 window itself (``round(769 * 4 / 3)`` is 1025), though
    ``floor(1025 * 3 / 4)`` is 768. Where no window of ``aspect`` fits, 1 (too
    narrow) or ``img_h`` (too short).
    """
    h = max(1, min(img_h, int((img_w + 1) / aspect) + 1))  # every h >= (img_w + 1) / aspect is too wide
    while h > 1 and width_of(h, aspect) > img_w:
        h -= 1
    return h


def min_height(aspect: float, min_size: int) -> int:
    """Height of the smallest window of ``aspect`` (:func:`of_aspect`) whose shorter side is ``min_size`` or more.

    For ``aspect < 1`` the shorter side is the width ``round(h * aspect)``: a
    9:16 window 32 pixels wide is 32x56 (``round(56 * 9 / 16)`` is 32), though
    ``ceil(32 * 16 / 9)`` is 57.
    """
    min_size = max(1, int(min_size))
    if aspect >= 1:
        return min_size
    sh = smallest_window(aspect)[1]
    h = max(sh, int((min_size - 1) / aspect))  # every h < (min_size - 0.5) / aspect is too narrow
    while width_of(h, aspect) < min_size:
        h += 1
    return h


def of_aspect(w: int, h: int, aspect: float) -> bool:
    """Whether a ``w x h`` window is of ``aspect`` up to rounding: ``w`` is ``h * aspect`` rounded.

    Every window :func:`window_size` makes is so, except where no window of
    ``aspect`` fits in the image (a 1:100 window needs 100 rows): its width is
    then raised to 1 pixel or cut to the image's, and the window is of another
    aspect (1 x 40 in a 60 x 40 image, 1:40; 1 x 61 in a 97 x 61 image too,
    though ``round(61 / 100)`` is 1: a window smaller than
    :func:`smallest_window` on either side is never of the aspect).
    """
    sw, sh = smallest_window(aspect)
    return width_of(h, aspect) == w and w >= sw and h >= sh


def smallest_window(aspect: float) -> tuple[int, int]:
    """``(w, h)`` of the smallest window of ``aspect``: 1 pixel on its shorter side."""
    return (int(round(aspect)), 1) if aspect >= 1 else (1, int(round(1 / aspect)))


def integral(saliency: np.ndarray) -> np.ndarray:
    """Summed-area table with a zero first row and column (float64)."""
    s = np.asarray(saliency, dtype=np.float64)
    table = np.zeros((s.shape[0] + 1, s.shape[1] + 1))
    np.cumsum(np.cumsum(s, axis=0), axis=1, out=table[1:, 1:])
    return table


def _unit_peak(saliency) -> np.ndarray:
    """``saliency`` as float64, negatives clipped to 0, divided by its peak.

    Every crop depends only on ratios of sums, so the division changes none;
    it keeps the summed-area table finite for a map of huge values (1e306 a
    pixel overflowed to inf) and the tie tolerance meaningful for tiny ones.
    """
    s = np.clip(np.asarray(saliency, dtype=np.float64), 0, None)
    peak = float(s.max()) if s.size else 0.0
    return s / peak if peak > 0 else s


def best_placement(table: np.ndarray, w: int, h: int) -> tuple[int, int, float]:
    """Top-left ``(x, y)`` and saliency sum of the best ``w x h`` window (ties: closest to the centre)."""
    H, W = table.shape[0] - 1, table.shape[1] - 1
    sums = table[h:, w:] - table[:-h, w:] - table[h:, :-w] + table[:-h, :-w]  # (H-h+1, W-w+1)
    best = sums.max()
    # sums are built from float64 cumulative sums: compare with a tolerance relative to the total (a map
    # scaled by any positive constant gives the same crop; an absolute floor made every window of a map
    # summing to 1e-12 a tie)
    tol = 1e-9 * abs(table[-1, -1])
    ys, xs = np.nonzero(sums >= best - tol)
    cy, cx = (H - h) / 2, (W - w) / 2
    i = int(np.argmin((ys - cy) ** 2 + (xs - cx) ** 2))
    return int(xs[i]), int(ys[i]), float(sums[ys[i], xs[i]])


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _check_keep(keep, allow_none: bool) -> None:
    """Refuse (UserError naming it) a ``keep`` that is not a fraction in (0, 1] (None too where ``allow_none``)."""
    from saliency.base.errors import UserError

    if keep is None and allow_none:
        return
    if not (_is_number(keep) and 0 < keep <= 1):
        raise UserError(f"`keep` {keep!r}: must be a fraction in (0, 1] of the saliency to keep"
                        f"{', or None' if allow_none else ''}")


def _check_min_size(min_size) -> None:
    """Refuse (UserError naming it) a ``min_size`` that is not a finite number: NaN or infinite pixels."""
    from saliency.base.errors import UserError

    if not (_is_number(min_size) and math.isfinite(min_size)):
        raise UserError(f"`min_size` {min_size!r}: must be a finite number of pixels (the crop's shortest side), "
                        "e.g. 32")


def saliency_crop(saliency: np.ndarray, aspect: float, keep: float | None = None, min_size: int = 1) -> CropBox:
    """The crop of ``aspect`` that keeps the most saliency (see the module docstring).

    ``saliency``: a 2-D map of numbers (negatives, -inf too, count as 0; NaN and +inf are refused);
    ``aspect``: width / height, a positive finite number; ``keep``: None or a fraction in (0, 1]. Anything
    else is refused (UserError naming it).
    """
    from saliency.base.errors import UserError

    if not (isinstance(aspect, (int, float, np.integer, np.floating)) and 0 < aspect < math.inf):
        raise UserError(f"`aspect` {aspect!r}: must be a positive finite number (width / height), e.g. 1.5")
    _check_keep(keep, allow_none=True)
    _check_min_size(min_size)
    arr = np.asarray(saliency)
    if arr.ndim != 2:
        raise UserError(f"`saliency`: a map of shape {arr.shape}; give a 2-D map (height, width)")
    if not (arr < np.inf).all():  # NaN or +inf (-inf is a negative, counted as 0 like any other)
        raise UserError("`saliency`: holds NaN or +inf values; replace them with finite numbers")
    s = _unit_peak(saliency)
    H, W = s.shape
    table = integral(s)
    total = table[-1, -1]
    hmax = max_height(W, H, aspect)
    if keep is None or total <= 0:
        w, h = window_size(W, H, aspect, hmax)
        x, y, kept = best_placement(table, w, h)
        return CropBox(x, y, w, h, float(kept / total) if total > 0 else 1.0)
    shortest = min_height(aspect, min_size)
    lo, hi = min(hmax, max(1, shortest)), hmax

    def place(height):
        w, h = window_size(W, H, aspect, height)
        return (w, h) + best_placement(table, w, h)

    target = keep * total * (1 - 1e-12)  # float64 sums: do not miss an exact hit by rounding
    if place(hi)[4] >= target:
        while lo < hi:  # bisection: the best kept saliency is non-decreasing in the window height
            mid = (lo + hi) // 2
            if place(mid)[4] >= target:
                hi = mid
            else:
                lo = mid + 1
    w, h, x, y, kept = place(hi)
    return CropBox(x, y, w, h, float(kept / total))


THIRDS = ((1 / 3, 1 / 3), (2 / 3, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 2 / 3))
"""The four rule-of-thirds points of a window, as fractions of its width and height."""

MIN_SIZE = 32
"""Default shortest side (pixels) of a crop chosen with ``keep`` or ``compose`` in :func:`crop_folder`."""

COMPOSE_KEEP = 0.8
"""Default share of the saliency a composed (rule-of-thirds) crop must keep."""

COMPOSITIONS = (None, "thirds")
"""Values of ``compose`` in :func:`crop_folder`: None (most saliency) or ``"thirds"`` (:func:`thirds_crop`)."""


def thirds_crop(saliency: np.ndarray, aspect: float, keep: float = COMPOSE_KEEP, min_size: int = 1,
                sizes: int = 12, tolerance: float = 0.01) -> CropBox:
    """Rule-of-thirds composition: of the windows keeping ``keep`` of the saliency, the centroid nearest a third.

    The photographic rule of thirds puts the subject on a crossing of the
    lines dividing the frame in thirds (applied to automatic cropping by
    Zhang et al., "Auto cropping for digital photographs", ICME 2005, and
    Liu et al., "Optimizing photo composition", Eurographics 2010). Candidates
    are windows of ``aspect`` at ``sizes`` heights evenly spaced from the
    smallest window that keeps ``keep`` of the saliency
    (:func:`saliency_crop`) to the largest that fits, in every placement that
    keeps at least ``keep``. For each, the saliency centroid inside the
    window is read from summed-area tables of ``S``, ``x S`` and ``y S``
    (exact, O(H W) per height); its distance to the nearest of the four
    :data:`THIRDS` points is measured in units of the window's diagonal. The
    window with the smallest distance wins; among windows within
    ``tolerance`` of it the one keeping the most saliency, then the one
    closest to the image centre. An all-zero map gives the centre crop. ``keep`` and ``min_size`` are
    checked as :func:`saliency_crop` checks them; ``tolerance`` must be a finite number >= 0 and ``sizes`` a
    whole number >= 1 (UserError naming it).
    """
    from saliency.base.errors import UserError

    _check_keep(keep, allow_none=False)
    _check_min_size(min_size)
    if not (_is_number(tolerance) and math.isfinite(tolerance) and tolerance >= 0):
        raise UserError(f"`tolerance` {tolerance!r}: must be a finite number >= 0 (a fraction of the window's "
                        "diagonal), e.g. 0.01")
    if not (isinstance(sizes, (int, np.integer)) and not isinstance(sizes, bool) and sizes >= 1):
        raise UserError(f"`sizes` {sizes!r}: must be a whole number of window heights >= 1, e.g. 12")
    s = _unit_peak(saliency)
    H, W = s.shape
    total = float(s.sum())
    if total <= 0:
        c = center_crop(W, H, aspect)
        return CropBox(c.x, c.y, c.w, c.h, 1.0)
    ys, xs = np.mgrid[0:H, 0:W]
    t_s, t_x, t_y = integral(s), integral(s * (xs + 0.5)), integral(s * (ys + 0.5))  # pixel centres
    smallest = saliency_crop(s, aspect, keep=keep, min_size=min_size)
    hmax = max_height(W, H, aspect)
    heights = sorted({int(round(v)) for v in np.linspace(smallest.h, hmax, max(1, sizes))})
    target = keep * total * (1 - 1e-12)
    per_height = []
    for height in heights:
        w, h = window_size(W, H, aspect, height)

        def box_sums(t):
            return t[h:, w:] - t[:-h, w:] - t[h:, :-w] + t[:-h, :-w]

        mass = box_sums(t_s)
        yy, xx = np.nonzero(mass >= target)
        if not len(yy):
            continue
        m = mass[yy, xx]
        cx = (box_sums(t_x)[yy, xx] / m - xx) / w  # the centroid as a fraction of the window
        cy = (box_sums(t_y)[yy, xx] / m - yy) / h
        d = np.min([np.hypot((cx - tx) * w, (cy - ty) * h) for tx, ty in THIRDS], axis=0) / math.hypot(w, h)
        per_height.append((w, h, xx, yy, m, d))
    if not per_height:
        return smallest
    dmin = min(float(d.min()) for *_, d in per_height)
    best = None  # (kept, -distance from the image centre, x, y, w, h)
    for w, h, xx, yy, m, d in per_height:
        near = d <= dmin + tolerance
        if not near.any():
            continue
        centre = np.hypot(xx[near] - (W - w) / 2, yy[near] - (H - h) / 2)
        j = int(np.lexsort((centre, -m[near]))[0])
        cand = (float(m[near][j]), -float(centre[j]), int(xx[near][j]), int(yy[near][j]), w, h)
        if best is None or cand[:2] > best[:2]:
            best = cand
    return CropBox(best[2], best[3], best[4], best[5], best[0] / total)


def center_crop(img_w: int, img_h: int, aspect: float) -> CropBox:
    """The largest centred window of ``aspect`` (the baseline thumbnails use)."""
    w, h = window_size(img_w, img_h, aspect, max_height(img_w, img_h, aspect))
    return CropBox((img_w - w) // 2, (img_h - h) // 2, w, h, float("nan"))


# ------------------------------------------------------------------ a folder of images


@dataclass
class CropResult:
    """What :func:`crop_folder` wrote: the output folder, each image's boxes, the images it skipped, and the
    line counting the files of ``images`` left out for their extension (None when there are none)."""

    out: Path
    boxes: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    left_out: str | None = None
    multi_frame: list = field(default_factory=list)  # (name, frames) of the images of several frames (first cropped)
    blank_maps: list = field(default_factory=list)  # names of the images whose map is all zero (centre crop)


def _png_grey_alpha(data) -> bool:
    """Whether the bytes ``data`` are a PNG of grey + alpha (colour type 4), which OpenCV decodes as BGRA."""
    head = bytes(data[:26])
    return len(head) == 26 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and head[25] == 4


def _encode_png_grey_alpha(img) -> bytes:
    """A grey + alpha PNG (colour type 4, 8- or 16-bit) of a BGRA array whose B, G and R are equal.

    OpenCV writes no 2-channel PNG (and PIL none of 16 bits), so the file is
    built here: one IDAT of zlib-compressed rows, each with the Up filter.
    """
    import struct
    import zlib

    h, w = img.shape[:2]
    la = np.ascontiguousarray(img[..., [0, 3]])
    depth = 16 if la.dtype == np.uint16 else 8
    rows = (la.astype(">u2") if depth == 16 else la.astype(np.uint8)).view(np.uint8).reshape(h, -1)
    up = rows.copy()
    up[1:] -= rows[:-1]  # uint8: modulo 256, as PNG's Up filter
    raw = np.concatenate([np.full((h, 1), 2, np.uint8), up], axis=1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, 4, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b""))


def _bmp_icc(path) -> bytes | None:
    """The ICC profile embedded in a BMP file (told by its ``BM`` signature, whatever its name), or None.

    PIL's BMP reader does not give it: a ``BITMAPV5HEADER`` (124 bytes or
    more) whose ``bV5CSType`` is ``'MBED'`` holds it at ``bV5ProfileData``
    (from the header's start, 14 bytes in), ``bV5ProfileSize`` bytes long.
    """
    import struct

    try:
        with open(path, "rb") as fh:
            head = fh.read(14 + 124)
            if len(head) < 14 + 124 or head[:2] != b"BM" or struct.unpack("<I", head[14:18])[0] < 124:
                return None
            if head[70:74] != b"DEBM":  # bV5CSType PROFILE_EMBEDDED, 0x4D424544 ('MBED') little-endian
                return None
            offset, size = struct.unpack("<II", head[126:134])
            fh.seek(14 + offset)
            icc = fh.read(size) if size else b""
    except OSError:
        return None
    return icc or None


def _with_icc(data: bytes, ext: str, icc: bytes) -> bytes | None:
    """The encoded image ``data`` (``ext``) with the ICC profile ``icc`` embedded; None for a format without one.

    The profile is spliced into the encoded bytes (JPEG APP2 segments, a PNG
    iCCP chunk, a WebP ICCP chunk, a TIFF tag 34675), so the pixels are those
    OpenCV wrote, unchanged; OpenCV itself writes no profile.
    """
    import struct
    import zlib

    ext = ext.lower()
    if ext in (".jpg", ".jpeg") and data[:2] == b"\xff\xd8":
        pos = 2  # after SOI and the APP0 (JFIF) / APP1 (EXIF) segments, as the ICC specification places APP2
        while data[pos:pos + 1] == b"\xff" and data[pos + 1] in (0xE0, 0xE1):
            pos += 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        parts = [icc[i:i + 65519] for i in range(0, len(icc), 65519)]
        if len(parts) > 255:
            return None
        segs = b"".join(b"\xff\xe2" + struct.pack(">H", 16 + len(p)) + b"ICC_PROFILE\0" + bytes([i + 1, len(parts)])
                        + p for i, p in enumerate(parts))
        return data[:pos] + segs + data[pos:]
    if ext == ".png" and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        body = b"ICC Profile\0\0" + zlib.compress(icc)
        chunk = struct.pack(">I", len(body)) + b"iCCP" + body + struct.pack(">I", zlib.crc32(b"iCCP" + body))
        return data[:33] + chunk + data[33:]  # right after IHDR (13 bytes of data), before PLTE and IDAT
    if ext == ".webp" and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind, size = data[12:16], struct.unpack("<I", data[16:20])[0]
        iccp = b"ICCP" + struct.pack("<I", len(icc)) + icc + b"\0" * (len(icc) % 2)
        if kind == b"VP8X":  # the extended format: set its ICC flag, the ICCP chunk follows VP8X
            rest = data[20 + size:]
            head = bytes([data[20] | 0x20]) + data[21:20 + size]
            body = b"VP8X" + struct.pack("<I", size) + head + iccp + rest
        elif kind in (b"VP8 ", b"VP8L"):  # the simple format: made extended, the canvas size read from the frame
            frame = data[20:20 + size]
            if kind == b"VP8L":
                bits = int.from_bytes(frame[1:5], "little")
                w, h, alpha = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)
            else:
                w, h, alpha = (struct.unpack("<H", frame[6:8])[0] & 0x3FFF,
                               struct.unpack("<H", frame[8:10])[0] & 0x3FFF, False)
            head = bytes([0x20 | (0x10 if alpha else 0), 0, 0, 0]) + (w - 1).to_bytes(3, "little") \
                + (h - 1).to_bytes(3, "little")
            body = b"VP8X" + struct.pack("<I", 10) + head + iccp + data[12:]
        else:
            return None
        return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
    if ext in (".tif", ".tiff") and data[:4] in (b"II*\0", b"MM\0*"):
        e = "<" if data[:2] == b"II" else ">"
        ifd = struct.unpack(e + "I", data[4:8])[0]
        n = struct.unpack(e + "H", data[ifd:ifd + 2])[0]
        entries = [data[ifd + 2 + 12 * i:ifd + 14 + 12 * i] for i in range(n)]
        nxt = data[ifd + 2 + 12 * n:ifd + 6 + 12 * n]
        out = bytearray(data + b"\0" * (len(data) % 2))
        at = len(out)  # the profile appended, then a copy of the first IFD with tag 34675 pointing at it
        out += icc + b"\0" * (len(icc) % 2)
        entries = [x for x in entries if struct.unpack(e + "H", x[:2])[0] != 34675]
        entries.append(struct.pack(e + "HHII", 34675, 7, len(icc), at))
        entries.sort(key=lambda x: struct.unpack(e + "H", x[:2])[0])
        new_ifd = len(out)
        out += struct.pack(e + "H", len(entries)) + b"".join(entries) + nxt
        out[4:8] = struct.pack(e + "I", new_ifd)
        return bytes(out)
    return None


def _predict_reads(path, read_photo) -> bool:
    """Whether ``saliency predict`` can read the image ``path`` (its own check, :func:`saliency.predict.read_photo`),
    so that a map is expected for it."""
    from saliency.base.errors import UserError

    try:
        read_photo(path)
    except UserError:
        return False
    return True


def check_scale(scale):
    """``scale`` of :func:`crop_folder` checked: ``(width, height)`` in pixels, a positive factor, or None.

    The command line reads ``--scale WxH|F`` with the commands' one size parser
    (``saliency.commands._args``); the library takes the parsed value.
    """
    from saliency.base.errors import UserError

    if scale is None:
        return None
    if isinstance(scale, (tuple, list)) and len(scale) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in scale):
        return int(scale[0]), int(scale[1])
    if isinstance(scale, (int, float, np.integer, np.floating)) and not isinstance(scale, bool) \
            and 0 < scale < float("inf"):
        return float(scale)
    raise UserError(f"`scale` {scale!r}: expected (width, height) in pixels, e.g. (320, 180), "
                    f"or a positive factor, e.g. 0.5")


def crop_folder(images: str | Path, out: str | Path, aspect: str, *, maps: str | Path | None = None,
                checkpoint: str | Path | None = None, keep: float | None = None, min_size: int | None = None,
                compose: str | None = None,
                scale: tuple[int, int] | float | None = None, size: tuple[int, int] | None = None,
                device: str | None = None, overwrite: bool = False, progress: bool = True) -> CropResult:
    """Crop every image of ``images`` to ``aspect`` (``"W:H"``) keeping the most saliency; see the module docstring.

    The saliency comes from ``maps`` (a folder matched to the images by file
    stem, each map resized to its image by :func:`saliency.transforms.resize_image`, as
    predict and validate resize: area-averaged along an axis where it is larger,
    so that no salient spot falls between the samples, then bilinearly along
    one where it is smaller; a map that is not its image as stored at another resolution,
    e.g. turned 90 degrees, is refused, UserError, nothing written: the rule
    of :func:`saliency.base.images.same_shape_scaled`, aspect ratio within
    1 % or sides rounded at one scale) or is predicted by
    ``checkpoint`` first (exactly as ``saliency predict`` writes it). ``keep``
    and ``min_size`` are those of :func:`saliency_crop` (``min_size``, default
    :data:`MIN_SIZE`, applies with ``keep`` or ``compose`` only, and is refused
    without them, as ``size`` and ``device`` are without ``checkpoint``: ``device`` defaults to None,
    ``"auto"`` for a checkpoint, so that an explicit ``"auto"`` with ``maps`` is refused too); ``compose="thirds"``
    picks the rule-of-thirds window instead (:func:`thirds_crop`, keeping at
    least ``keep``, default :data:`COMPOSE_KEEP`); ``scale`` resizes each
    crop (``(width, height)`` in pixels or a factor; :func:`check_scale`).
    ``size`` is the network input size ``(height, width)`` of a ``checkpoint``
    (as in :func:`saliency.predict.predict_folder`; default: its training
    size). The crops (same file names, each a slice of the input's pixels:
    greyscale, grey + alpha, colour, alpha and 16 bits kept; a palette image
    is written as RGB, or RGBA when it has transparency, and 1-, 2- or 4-bit
    greyscale as 8-bit; lossy formats such as JPEG are
    encoded again, at OpenCV's default quality 95; the source's ICC colour
    profile is kept in JPEG, PNG, WebP and TIFF crops) and ``crops.json``
    (every box in the original image's pixels, upright for an EXIF-tagged photo,
    beside the centre crop's) are
    built in a staging folder and moved to ``out``; a non-empty ``out`` is
    refused unless ``overwrite``. Unreadable images are skipped and listed;
    when none of them decodes, UserError naming ``images`` (nothing written).
    An image without a map in ``maps`` is refused (UserError, nothing
    written) unless it does not decode either: then it is skipped as
    unreadable (``saliency predict`` writes no map for such an image). Files
    whose extension is not an image extension are left out and counted
    (``left_out``), never errors. An image too small for any window of
    ``aspect`` (a 1:100 window needs 100 rows) is cropped to the closest
    window (the full height or width, 1 pixel on the other side: of another
    aspect, :func:`of_aspect`) and its box says why (``"off_aspect"``); with
    a ``scale`` size that crop is resized by one factor to fit inside it,
    never stretched. An image whose largest window of ``aspect`` is shorter
    than ``min_size`` on its shorter side (a 160x120 image and ``min_size``
    200) gets that largest window, never refused (a folder may mix sizes),
    and its box says so (``"under_min_size"``).

    ``crops.json`` holds ``aspect``, ``compose``, ``keep``, ``min_size`` (None
    without ``keep`` and ``compose``), ``source``, ``scale`` (the factor, or
    ``[w, h]``; None when not given), ``size`` (the network input size ``[w, h]``
    a ``checkpoint`` ran at, given or its training size; None with ``maps``), ``skipped`` (the unreadable
    images) and ``boxes``: per image name, ``image`` (its path), ``size``
    ``[w, h]``, ``crop`` (``x, y, w, h, kept``), ``center`` (``x, y, w, h``),
    ``out_size`` ``[w, h]`` (the crop as written: its box's size, or as ``scale`` resized it),
    and only where they apply ``exif_orientation``, ``off_aspect``,
    ``under_min_size``, ``frames``, ``blank_map`` and ``icc_profile`` (each a sentence saying why;
    ``frames``: a multi-page TIFF or animated WebP, of which only the first frame is cropped;
    ``blank_map``: the map holds no saliency, so the largest centred window is used, ``keep`` and ``compose``
    cannot apply, and ``kept`` (1) measures nothing: leave such boxes out of a mean of ``kept``;
    ``icc_profile``: the source's colour profile was not kept, as the crop's
    format carries none or the profile is of another colour space than the
    crop's).
    """
    import contextlib
    import os
    import tempfile

    import cv2

    from saliency.base.errors import UserError
    from saliency.base.fsutil import (check_out_dir, link_or_copy, signals_held, staged_dir, terminate_raises,
                                      write_json)
    from saliency.base.images import (IMAGE_EXTS, MAX_SIDE, check_image_size, decode, encode, max_pixels,
                                       read_header, same_shape_scaled, shown_path, to_display)
    from saliency.base.progress import progress as progress_bar
    from saliency.eval.io import PRED_EXTS, index_folder, left_out_note
    from saliency.eval.runner import read_prediction
    from saliency.predict import none_decoded, read_photo  # torch-free at import: the model code runs when used
    from saliency.transforms import resize_image

    if (maps is None) == (checkpoint is None):
        raise UserError("give one source of saliency: `maps` (a folder) or `checkpoint` (a trained model)")
    aspect_text = aspect
    try:
        ratio = parse_aspect(aspect)
    except ValueError as exc:
        raise UserError(f"`aspect` {exc}") from None
    if keep is not None and not 0 < keep <= 1:
        raise UserError(f"`keep` {keep:g}: must be in (0, 1]")
    if min_size is not None and keep is None and compose is None:
        raise UserError(f"`min_size` {min_size}: applies only with `keep` or `compose`; leave it out")
    if checkpoint is None and (size is not None or device is not None):  # None: not given ("auto" is named)
        given = []
        if size is not None:  # (height, width) here: shown WxH, as --size is typed
            given.append(f"`size` {size[1]}x{size[0]}" if isinstance(size, (tuple, list)) and len(size) == 2
                         else f"`size` {size}")
        if device is not None:
            given.append(f"`device` {device}")
        it, verb = ("it", "applies") if len(given) == 1 else ("them", "apply")
        raise UserError(f"{', '.join(given)}: {verb} only with `checkpoint` "
                        f"(the maps come from `maps`); leave {it} out")
    device = "auto" if device is None else device
    min_size = MIN_SIZE if min_size is None else min_size
    _check_min_size(min_size)
    if min_size < 1:
        raise UserError(f"`min_size` {min_size}: must be at least 1 pixel")
    if compose not in COMPOSITIONS:
        raise UserError(f"`compose` {compose!r}: choose one of {', '.join(c for c in COMPOSITIONS if c)}")
    size_or_factor = check_scale(scale)
    if isinstance(size_or_factor, tuple):  # a size of another shape would stretch every crop
        sw, sh = size_or_factor
        if abs(sw - sh * ratio) > 1 and abs(sh - sw / ratio) > 1:
            raise UserError(f"`scale` {sw}x{sh}: not of the `aspect` {aspect} (the crops would be stretched); "
                            f"give a size of that aspect, e.g. {max(1, round(sh * ratio))}x{sh}, or a factor")
    inputs = {"images": images, "maps": maps, "checkpoint": checkpoint}
    out = check_out_dir(out, overwrite, inputs=inputs)
    found = index_folder(images, IMAGE_EXTS, param="images")  # crops keep each input's own file name
    first_key: dict = {}
    for key, path in found.items():  # index_folder adds bare stems as aliases: one name per file
        first_key.setdefault(path, key)
    names = sorted(first_key.values())
    for name in names:  # an image declaring too many pixels is refused before anything is decoded (issue 16)
        check_image_size(found[name])
    # SIGTERM raises while the temporary folder exists, so that it is removed (issue 16); the folder is made
    # with the signals held: tempfile's first use probes the temporary folder with a file of its own, and a
    # signal between that file's creation and its removal left it behind (a flaky test under load). It is made
    # beside the stage of `out` (checked apart from the inputs), not in $TMPDIR: a $TMPDIR inside `images` made
    # predict_folder refuse it as an `out` lying inside the images, naming a folder the user never gave
    with terminate_raises(), contextlib.ExitStack() as stack:
        stage = stack.enter_context(staged_dir(out, inputs=inputs))
        with signals_held():
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=".saliency-crop-", suffix=".tmp",
                                                                  dir=stage.parent))
        by_index: dict[str, str] = {}  # with links: the index a temporary map is named by -> its image's name
        maps_tmp = Path(tmp)
        if checkpoint is not None:
            from saliency.predict import predict_folder

            src = images
            if len({n.casefold() for n in names}) < len(names):
                # names equal ignoring case (Img.png, img.jpg): predict names its maps by key and refuses such keys
                # (one file where case is ignored); the crops keep each input's own name, so the temporary maps
                # are named by index instead: predicted from links (or copies) of the images named so
                src, maps_tmp = Path(tmp) / "images", Path(tmp) / "maps"
                src.mkdir()
                for i, name in enumerate(names):
                    by_index[f"{i:06d}"] = name
                    link_or_copy(found[name], src / f"{i:06d}{found[name].suffix}")
            predicted = predict_folder(checkpoint, src, maps_tmp, size=size, device=device, progress=progress)
            if not predicted.written:  # named as predict names it, not as the (hidden, empty) folder of maps
                skipped = [(str(found[by_index[Path(p).stem]]), r.replace(shown_path(p),
                                                                          shown_path(found[by_index[Path(p).stem]])))
                           for p, r in predicted.skipped] if by_index else predicted.skipped
                raise none_decoded(images, skipped)
            if size is None:  # the training size predict ran at (it refused a checkpoint without one)
                from saliency.models.registry import read_checkpoint

                size = read_checkpoint(checkpoint, map_location="cpu")["train_config"]["data"]["size"]
            net_size = [int(size[1]), int(size[0])]  # recorded [w, h], as --size WxH and each box's size
        else:
            net_size = None
        salmaps = index_folder(maps if maps is not None else maps_tmp, PRED_EXTS, param="maps")
        if by_index:  # the maps of the linked images, by their images' names
            salmaps = {by_index[k]: p for k, p in salmaps.items() if k in by_index}
        missing = [n for n in names if n not in salmaps]
        if missing and maps is not None:  # one predict cannot read either is skipped below as unreadable
            missing = [n for n in missing if _predict_reads(found[n], read_photo)]
            if missing:
                raise UserError(f"`maps` {maps}: no map for {len(missing)} image(s), e.g. "
                                f"{', '.join(shown_path(n) for n in missing[:3])}; maps are matched by file stem")
        result = CropResult(out, left_out=left_out_note(found, images))
        undecoded = []  # (path, reason) of the images that did not decode
        for name in progress_bar(names, total=len(names), desc="crop", unit="img", enabled=progress):
            path = found[name]
            # the pixels as stored, in their own format (alpha, greyscale, 16-bit, float kept): the crop is a
            # slice of the input, not of an 8-bit colour copy; only the shape is needed beside the map
            data = np.fromfile(str(path), np.uint8)
            header = read_header(path)  # its tag, colour profile and frame count: one read of its header
            img = decode(data, cv2.IMREAD_UNCHANGED, header.orientation)
            # OpenCV decodes a grey + alpha PNG as BGRA (B = G = R): written back as grey + alpha below
            grey_alpha = (img is not None and path.suffix.lower() == ".png" and _png_grey_alpha(data)
                          and img.ndim == 3 and img.shape[2] == 4
                          and bool((img[..., 0] == img[..., 1]).all() and (img[..., 0] == img[..., 2]).all()))
            if img is None or name not in salmaps:
                result.skipped.append(str(path))
                if img is None:
                    undecoded.append((str(path), f"{shown_path(path)}: not a readable image (corrupt or "
                                                 "unsupported); replace or remove it"))
                continue
            h, w = img.shape[:2]
            sal, log_density = read_prediction(salmaps[name])  # a map, or predict's --log-density .npy
            if log_density:  # its density is the map: the same crop as predict's PNG of it
                sal = np.exp(sal)
            mh, mw = sal.shape[:2]
            tag = header.orientation
            if not same_shape_scaled((mh, mw), (h, w)):  # train's rule: it would be stretched onto the image
                turned = " (turned 90 deg?)" if same_shape_scaled((mw, mh), (h, w)) else ""
                raise UserError(f"`maps` {shown_path(salmaps[name])}: the map is {mw}x{mh} but its image "
                                f"{shown_path(path)} is {w}x{h}{' as stored' if tag != 1 else ''}, another "
                                f"shape{turned}; give a map of "
                                + ("the image as stored (before its EXIF rotation)" if tag != 1 else
                                   "that image (its shape at any scale)"))
            if sal.shape != (h, w):  # predict's and validate's rule, axis by axis: area where the map is larger
                # (sampled bilinearly, small spots vanished), then bilinear where it is smaller
                sal = resize_image(sal.astype(np.float32), (h, w))
            # a thumbnail is for looking at: a phone photo's rotation tag is applied to the photo and to its
            # map together (both read as stored, so they stay aligned), and the crop is cut upright
            if tag != 1:
                img, sal = to_display(img, tag), to_display(sal, tag)
                h, w = img.shape[:2]
            blank = not bool((sal > 0).any())  # no saliency: the centre crop, whatever keep or compose ask
            if compose == "thirds":
                box = thirds_crop(sal, ratio, keep=COMPOSE_KEEP if keep is None else keep, min_size=min_size)
            else:
                box = saliency_crop(sal, ratio, keep=keep, min_size=min_size)
            crop = img[box.y:box.y + box.h, box.x:box.x + box.w]
            off_aspect = None
            if not of_aspect(box.w, box.h, ratio):  # never silently a window of another aspect
                sw, sh = smallest_window(ratio)
                off_aspect = (f"no {aspect_text} window fits in {w}x{h} pixels (the smallest is {sw}x{sh}): "
                              f"cropped {box.w}x{box.h} instead")
            if size_or_factor is not None:
                fsize = size_or_factor if isinstance(size_or_factor, tuple) else (
                    box.w * size_or_factor, box.h * size_or_factor)
                if off_aspect and isinstance(size_or_factor, tuple):  # one factor: fitted inside, not stretched
                    f = min(size_or_factor[0] / box.w, size_or_factor[1] / box.h)
                    fsize = (box.w * f, box.h * f)
                    off_aspect += (f", scaled to {max(1, round(fsize[0]))}x{max(1, round(fsize[1]))} to fit "
                                   f"in {size_or_factor[0]}x{size_or_factor[1]} (not stretched)")
                if fsize[0] * fsize[1] > max_pixels() or max(fsize) > MAX_SIDE:  # the option's fault
                    dsize = tuple(f"{v:.3g}" if v >= 1e6 else max(1, round(v)) for v in fsize)
                    raise UserError(f"`scale` {size_or_factor}: the crop of {shown_path(path)} would be "
                                    f"{dsize[0]}x{dsize[1]} pixels, above the limit of {max_pixels()} pixels "
                                    f"({MAX_SIDE} a side); choose a smaller `scale`")
                dsize = (max(1, round(fsize[0])), max(1, round(fsize[1])))
                crop = cv2.resize(crop, dsize,
                                  interpolation=cv2.INTER_AREA if dsize[0] < box.w else cv2.INTER_LINEAR)
            # the file's own name (not the NFC key: a macOS "cafe\u0301.png" stays as it was)
            target = stage / os.path.relpath(path, images)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:  # encoded here and written by Python: imwrite crashes on a path that is not UTF-8
                data = _encode_png_grey_alpha(crop) if grey_alpha else encode(crop, path.suffix)
            except UserError as exc:
                raise UserError(f"{shown_path(path)}: could not write its crop: {exc}") from None
            icc, icc_note = header.icc or _bmp_icc(path), None  # OpenCV writes none: the source's is added
            if icc:
                grey = grey_alpha or crop.ndim == 2 or crop.shape[2] < 3
                space = icc[16:20].decode("latin-1").strip() or "unknown"
                if space != ("GRAY" if grey else "RGB"):  # e.g. a CMYK JPEG, decoded (and written) as RGB
                    icc_note = (f"its {space} colour profile was not kept: the crop is written as "
                                f"{'greyscale' if grey else 'RGB'}")
                elif (tagged := _with_icc(data, path.suffix, icc)) is None:
                    icc_note = f"its colour profile was not kept: a {path.suffix.lower()} crop cannot carry one"
                else:
                    data = tagged
            target.write_bytes(data)
            centre = center_crop(w, h, ratio)
            result.boxes[name] = {"image": str(path), "size": [w, h], "crop": box.as_dict(),
                                  "center": {k: v for k, v in centre.as_dict().items() if k != "kept"},
                                  "out_size": [int(crop.shape[1]), int(crop.shape[0])]}  # as written (scale)
            if tag != 1:  # the size and boxes are of the image turned upright as its EXIF tag says
                result.boxes[name]["exif_orientation"] = tag
            if off_aspect:
                result.boxes[name]["off_aspect"] = off_aspect
            if icc_note:  # never silently without the source's colours
                result.boxes[name]["icc_profile"] = icc_note
            if (frames := header.frames) > 1:  # OpenCV decodes the first frame: never silently one of many
                result.multi_frame.append((name, frames))
                result.boxes[name]["frames"] = (f"the image has {frames} frames (TIFF pages or animation "
                                                "frames): the first was cropped, the crop holds it alone")
            if blank:  # never a silent 100 % kept: there was nothing to keep
                result.blank_maps.append(name)
                asked = " (keep and compose could not apply)" if keep is not None or compose else ""
                result.boxes[name]["blank_map"] = (
                    f"its map {shown_path(salmaps[name])} is all zero (no saliency): the largest centred "
                    f"window was used{asked}; 'kept' (1) measures nothing here, leave it out of a mean")
            if (keep is not None or compose) and min(box.w, box.h) < min_size:  # never silently smaller
                result.boxes[name]["under_min_size"] = (
                    f"no {aspect_text} window with a shorter side of {min_size} pixels fits in {w}x{h} pixels: "
                    f"the largest window was used, {box.w}x{box.h}")
        if not result.boxes and undecoded:
            raise none_decoded(images, undecoded)
        write_json(stage / "crops.json", {"aspect": aspect_text, "compose": compose,
                                          "keep": COMPOSE_KEEP if compose and keep is None else keep,
                                          "min_size": min_size if keep is not None or compose else None,
                                          "source": str(maps) if maps is not None else str(checkpoint),
                                          "scale": list(size_or_factor) if isinstance(size_or_factor, tuple)
                                          else size_or_factor, "size": net_size,
                                          "boxes": result.boxes, "skipped": result.skipped})
    return result

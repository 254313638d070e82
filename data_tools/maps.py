"""Fixation maps -> continuous 0..1 saliency maps by Gaussian aggregation.

A human saliency map is the sum of the fixations of all observers of one
stimulus, blurred with a Gaussian whose sigma is about one degree of visual
angle (Judd et al., "Learning to predict where humans look", ICCV 2009; the
MIT benchmark uses sigma = 1 deg ~ 35 px; the SALICON API uses
``scipy.ndimage.gaussian_filter(sigma=19)``, Jiang et al., CVPR 2015), then
scaled to 0..1 (MIT ``mat2gray``: min-max).

The blur is a product of two banded matrices built from the 1-D kernel of
``scipy.ndimage.gaussian_filter`` (same truncation, ``radius = int(4 sigma +
0.5)``, same normalisation): ``M = K_h @ F @ K_w^T``. Border modes are folded
into the matrices (``K[i, j]`` is the weight input pixel ``j`` gets in output
pixel ``i`` once the border is extended), so ``constant``, ``reflect``
(``d c b a | a b c d | d c b a``) and ``nearest`` equal scipy's result to
float64 rounding. A fixation map is sparse, so for ``n`` fixated pixels the
product is computed as ``(K_h[:, rows] * w) @ K_w[:, cols]^T``: O(H W n)
instead of O(H W (H + W)), far below a direct convolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from saliency.base.errors import UserError

BORDERS = ("constant", "reflect", "nearest")
NORMALIZATIONS = ("minmax", "max", "sum")
WEIGHTS = ("none", "duration")
TRUNCATE = 4.0


MAX_SIGMA_PX = 1024
"""The largest blur in pixels (a stimulus is at most 65535 pixels a side; fixation maps use 10-100)."""


def gaussian_kernel1d(sigma: float, truncate: float = TRUNCATE) -> np.ndarray:
    """The normalised 1-D Gaussian of ``scipy.ndimage.gaussian_filter`` (length ``2 r + 1``).

    ``sigma`` is in pixels; a non-positive one is reported as `sigma_px`, the
    ingest option it comes from (``--sigma-px`` on the command line).
    """
    if not sigma > 0:
        raise UserError(f"`sigma_px` {sigma}: must be a positive number of pixels")
    if sigma > MAX_SIGMA_PX:  # its matrices would not fit in memory, and it would flatten any stimulus
        raise UserError(f"a blur of sigma {float(sigma):.6g} px (`sigma_px`, or `sigma_deg` times the pixels per "
                        f"degree) is above the largest of {MAX_SIGMA_PX} px; give a smaller blur")
    radius = int(truncate * float(sigma) + 0.5)
    if radius == 0:  # sigma below 1 / (2 truncate): the kernel is the centre tap alone (for any sigma, however
        return np.ones(1)  # small: 1 / sigma**2 overflowed to a NaN kernel, or divided by zero)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 / float(sigma) ** 2 * x * x)
    return phi / phi.sum()


def _fold(idx: np.ndarray, n: int, border: str) -> np.ndarray:
    """Map extended indices onto ``0..n-1`` under ``border``; -1 marks a dropped (constant) tap."""
    if border == "nearest":
        return np.clip(idx, 0, n - 1)
    if border == "reflect":
        m = np.mod(idx, 2 * n)
        return np.where(m >= n, 2 * n - 1 - m, m)
    if border == "constant":
        return np.where((idx >= 0) & (idx < n), idx, -1)
    raise UserError(f"`border` {border!r}: choose one of {', '.join(BORDERS)}")


@lru_cache(maxsize=16)
def blur_matrix(n: int, sigma: float, border: str = "constant", truncate: float = TRUNCATE) -> np.ndarray:
    """``n x n`` matrix ``K`` with ``K @ v == scipy.ndimage.gaussian_filter1d(v, sigma, mode=border)``."""
    g = gaussian_kernel1d(sigma, truncate)
    r = (len(g) - 1) // 2
    out_idx = np.repeat(np.arange(n), len(g))
    src = _fold((np.arange(n)[:, None] + np.arange(-r, r + 1)[None, :]).ravel(), n, border)
    w = np.tile(g, n)
    keep = src >= 0
    K = np.zeros((n, n), dtype=np.float64)
    np.add.at(K, (out_idx[keep], src[keep]), w[keep])
    K.setflags(write=False)
    return K


def _sigmas(sigma) -> tuple[float, float]:
    if np.ndim(sigma) == 0:
        return float(sigma), float(sigma)
    sx, sy = sigma
    return float(sx), float(sy)


def blur(F: np.ndarray, sigma, border: str = "constant") -> np.ndarray:
    """Gaussian blur of a dense 2-D array; ``sigma`` is one number or ``(sigma_x, sigma_y)`` in pixels."""
    sx, sy = _sigmas(sigma)
    H, W = F.shape
    return blur_matrix(H, sy, border) @ np.asarray(F, dtype=np.float64) @ blur_matrix(W, sx, border).T


def _points(rows, cols, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` and ``cols`` checked as whole pixel indices of an ``h`` x ``w`` map, one column per row."""
    rows = _pixel_indices(rows, h, "rows", "height")
    cols = _pixel_indices(cols, w, "cols", "width")
    if cols.size != rows.size:
        raise UserError(f"`cols`: {cols.size} values for {rows.size} `rows`; give one column per row")
    return rows, cols


def blur_points(shape: tuple[int, int], rows, cols, weights, sigma, border: str = "constant") -> np.ndarray:
    """Blur of a map that is zero except ``weights`` at pixels ``(rows, cols)`` (duplicates add up).

    Equal to ``gaussian_filter(F, (sigma_y, sigma_x), mode=border)`` of that map ``F``. ``rows`` and
    ``cols`` are whole pixel indices inside ``shape`` and ``weights`` finite, one per point; anything else
    is refused naming it (a point off the map was moved to another row, or crashed).
    """
    H, W = shape
    rows, cols = _points(rows, cols, H, W)
    weights = _floats(weights, "weights").ravel()
    if weights.size != rows.size:
        raise UserError(f"`weights`: {weights.size} values for {rows.size} points; give one weight per point")
    if not np.isfinite(weights).all():
        raise UserError(f"`weights`: {int((~np.isfinite(weights)).sum())} of the {weights.size} are not finite "
                        f"numbers; give a finite weight for every point")
    if rows.size == 0:
        return np.zeros((H, W), dtype=np.float64)
    flat = rows * W + cols
    uniq, inv = np.unique(flat, return_inverse=True)
    w = np.bincount(inv, weights=weights, minlength=len(uniq))
    sx, sy = _sigmas(sigma)
    if len(uniq) < H + W:  # sparse product is cheaper than the dense one
        r, c = np.divmod(uniq, W)
        return _tiled_product(_columns(H, sy, border), _columns(W, sx, border), r, c, w, _radius(sy), _radius(sx))
    F = np.zeros(H * W, dtype=np.float64)
    F[uniq] = w
    return blur_matrix(H, sy, border) @ F.reshape(H, W) @ blur_matrix(W, sx, border).T


def _floats(v, name: str) -> np.ndarray:
    """``v`` as a float64 array, else a UserError naming ``name`` (text, ``None``, ragged lists)."""
    try:
        return np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise UserError(f"`{name}`: need numbers, one per point") from None


def _pixel_indices(v, n: int, name: str, side: str) -> np.ndarray:
    """``v`` as int64 pixel indices in ``0..n-1``, else a UserError naming ``name`` (one min/max check)."""
    a = np.asarray(v)
    if a.dtype.kind == "O":  # Python ints in an object array (a pandas object column's .to_numpy())
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError, OverflowError):
            raise UserError(f"`{name}`: need whole pixel indices (integers); some values are not numbers") from None
    if a.dtype.kind == "f":
        flat = a.ravel()
        bad = ~np.isfinite(flat) | (flat != np.floor(flat))
        if bad.any():
            raise UserError(f"`{name}` {float(flat[bad][0])!r}: need whole pixel indices (integers)")
    elif a.dtype.kind not in "iu":
        raise UserError(f"`{name}`: need whole pixel indices, got {a.dtype} values")
    if a.size:
        lo, hi = a.min(), a.max()
        if lo < 0 or hi >= n:
            raise UserError(f"`{name}` {int(lo if lo < 0 else hi)}: outside the map, whose {side} is {n} "
                            f"(indices 0..{n - 1}); drop or clip the points off the map first")
    return a.astype(np.int64, copy=False).ravel()


def _radius(sigma: float, truncate: float = TRUNCATE) -> int:
    return int(truncate * float(sigma) + 0.5)


def _columns(n: int, sigma: float, border: str) -> np.ndarray:
    """``blur_matrix(n, sigma, border).T`` in row-major order: column ``j`` of ``K`` is row ``j`` here.

    Under ``constant`` the matrix is symmetric (``K[i, j] = g[j - i + r]`` and
    the kernel is symmetric bit for bit), so it is its own transpose and no
    copy is kept.
    """
    if border == "constant":
        return blur_matrix(n, sigma, border)
    return _transposed(n, sigma, border)


@lru_cache(maxsize=16)
def _transposed(n: int, sigma: float, border: str) -> np.ndarray:
    kt = np.ascontiguousarray(blur_matrix(n, sigma, border).T)
    kt.setflags(write=False)
    return kt


def _tiled_product(kht, kwt, r, c, w, rad_h: int, rad_w: int, tile: int = 128) -> np.ndarray:
    """``(Kh[:, r] * w) @ Kw[:, c].T`` computed tile by tile, skipping fixations out of kernel reach.

    ``kht``, ``kwt`` are the blur matrices transposed (:func:`_columns`), so the kernel columns of
    the fixations are gathered once as contiguous rows, not strided. Column ``j`` of a blur matrix
    is zero outside ``j - radius .. j + radius`` (the border images of a pixel always lie farther
    away than the pixel itself), so an output tile only needs the fixations within one radius of
    it. ``r`` is ascending (row-major order), so a band of output rows takes a contiguous run of
    fixations. Every output pixel sums the same products in the same order as the plain product.
    """
    H, W = kht.shape[0], kwt.shape[0]
    if r.size > 1 and (r[1:] < r[:-1]).any():
        raise ValueError("_tiled_product: fixation rows must be ascending (row-major order)")
    out = np.empty((H, W), dtype=np.float64)
    ga = kht[r]
    ga *= w[:, None]  # row i: column r_i of Kh, weighted
    gb = kwt[c]  # row i: column c_i of Kw
    for a in range(0, H, tile):
        b = min(a + tile, H)
        lo, hi = np.searchsorted(r, (a - rad_h, b + rad_h))
        cs = c[lo:hi]
        band_a, band_b = ga[lo:hi, a:b], gb[lo:hi]
        for c0 in range(0, W, tile):
            c1 = min(c0 + tile, W)
            sub = np.flatnonzero((cs >= c0 - rad_w) & (cs < c1 + rad_w))
            if sub.size == 0:
                out[a:b, c0:c1] = 0.0
            else:
                np.matmul(band_a[sub].T, band_b[sub, c0:c1], out=out[a:b, c0:c1])
    return out


def normalize(m: np.ndarray, how: str = "minmax") -> np.ndarray:
    """Scale a map: ``minmax`` to 0..1 (MIT ``mat2gray``), ``max`` (divide by max), ``sum`` (sum to 1).

    An all-constant map becomes all zeros (``minmax``/``max``) or uniform (``sum``).
    """
    m = np.asarray(m, dtype=np.float64)
    if how == "minmax":
        lo, hi = m.min(), m.max()
        return (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
    if how == "max":
        hi = m.max()
        return m / hi if hi > 0 else np.zeros_like(m)
    if how == "sum":
        s = m.sum()
        return m / s if s > 0 else np.full_like(m, 1.0 / m.size)
    raise UserError(f"`normalize` {how!r}: choose one of {', '.join(NORMALIZATIONS)}")


@dataclass(frozen=True)
class MapPolicy:
    """How fixations become a map (every field is recorded in ``dataset.json``)."""

    sigma_px: tuple[float, float]  # (sigma_x, sigma_y) in stimulus pixels; one number is both
    border: str = "constant"
    binary: bool = False
    weight: str = "none"
    per_subject: bool = False
    normalize: str = "minmax"

    def __post_init__(self):
        if self.border not in BORDERS:
            raise UserError(f"`border` {self.border!r}: choose one of {', '.join(BORDERS)}")
        if self.weight not in WEIGHTS:
            raise UserError(f"`weight` {self.weight!r}: choose one of {', '.join(WEIGHTS)}")
        if self.normalize not in NORMALIZATIONS:
            raise UserError(f"`normalize` {self.normalize!r}: choose one of {', '.join(NORMALIZATIONS)}")
        if self.binary and (self.weight != "none" or self.per_subject):
            raise UserError("`binary_fixations` counts each fixated pixel once; it cannot be combined "
                            "with `weight` duration or `per_subject`")
        object.__setattr__(self, "sigma_px", _sigma_pair(self.sigma_px))


def _sigma_pair(sigma) -> tuple[float, float]:
    """``(sigma_x, sigma_y)`` from one number or two, each finite and positive, else a UserError naming `sigma_px`."""
    try:
        pair = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (2,)) if np.ndim(sigma) == 0 \
            else np.asarray(sigma, dtype=np.float64)
    except (TypeError, ValueError):
        pair = None
    if pair is None or pair.shape != (2,) or np.asarray(sigma).dtype.kind not in "iuf":
        raise UserError(f"`sigma_px` {sigma!r}: need one number of pixels, or two (sigma_x, sigma_y)")
    if not (pair > 0).all():
        raise UserError(f"`sigma_px` {sigma} px: must be positive")
    if not np.isfinite(pair).all():
        raise UserError(f"`sigma_px` {sigma} px: must be finite")
    return float(pair[0]), float(pair[1])


def _check_finite(x: np.ndarray, y: np.ndarray) -> None:
    """Refuse fixations whose ``x`` or ``y`` is NaN or infinite, ``x`` first, naming the axis, the count and the
    first: the one refusal of them by :func:`density` and :func:`check_inside` (so :func:`data_tools.qc.ioc_grid`),
    never called "off the map" (saliency ingest sets such rows aside under a reason of their own)."""
    for name, v in (("x", x), ("y", y)):
        bad = ~np.isfinite(v)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise UserError(f"`{name}`: {int(bad.sum())} of the {v.size} fixations are not finite numbers (the "
                            f"first: fixation {i + 1}, {v[i]}); drop them first")


def _check_points(x, y, subjects, durations, policy: MapPolicy) -> tuple[np.ndarray, np.ndarray]:
    """``x``, ``y`` as float arrays after checking them (finite, equal lengths) and the lengths of ``subjects``
    and ``durations`` (either may be ``None`` where ``policy`` does not use it), each refused naming it."""
    x, y = _floats(x, "x").ravel(), _floats(y, "y").ravel()
    if y.size != x.size:
        raise UserError(f"`y`: {y.size} values for {x.size} `x`; give one y per fixation")
    _check_finite(x, y)
    for name, v, used in (("subjects", subjects, not policy.binary), ("durations", durations,
                                                                         policy.weight == "duration")):
        if v is None and used:
            raise UserError(f"`{name}`: none given; give one per fixation")
        if v is not None and np.size(v) != x.size:
            raise UserError(f"`{name}`: {np.size(v)} values for {x.size} fixations; give one per fixation")
    return x, y


def _size(size) -> tuple[int, int]:
    """``size`` as ``(width, height)``: two positive whole numbers (an integral float such as ``160.0`` is taken
    as that integer), else a UserError naming `size`."""
    try:
        a = np.asarray(size)
    except (TypeError, ValueError):
        a = None
    ok = a is not None and a.shape == (2,) and a.dtype.kind in "iuf"
    if ok and a.dtype.kind == "f":
        ok = bool(np.isfinite(a).all() and (a == np.floor(a)).all())
    if not ok or not (a >= 1).all():
        raise UserError(f"`size` {size!r}: need (width, height) of the map as two positive whole numbers of pixels")
    return int(a[0]), int(a[1])


def inside(x, y, w, h) -> np.ndarray:
    """Mask of the points ``(x, y)`` that lie on a ``w`` x ``h`` map: a pixel's centre is at its integer index, so
    the map covers ``-0.5 <= x < w - 0.5`` and ``-0.5 <= y < h - 0.5`` (NaN: off). ``w`` and ``h`` may be one
    size per point. The one test by which ``saliency ingest`` sets fixations aside as ``off_stimulus`` and
    :func:`density` and :func:`data_tools.qc.ioc_grid` refuse them (:func:`check_inside`)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w, h = np.asarray(w, dtype=np.float64), np.asarray(h, dtype=np.float64)
    return (x >= -0.5) & (x < w - 0.5) & (y >= -0.5) & (y < h - 0.5)


def check_inside(x: np.ndarray, y: np.ndarray, w: int, h: int) -> None:
    """Refuse fixations off a ``w`` x ``h`` map (:func:`inside`, the test of ``saliency ingest``'s
    ``off_stimulus``), ``x`` first, naming the axis, the count and the first; NaN or infinite ones first, as not
    finite numbers (:func:`_check_finite`), not as off the map."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    _check_finite(x, y)
    for name, v, n, ok in (("x", x, w, inside(x, 0.0, w, 1)), ("y", y, h, inside(0.0, y, 1, h))):
        bad = ~ok
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise UserError(f"`{name}`: {int(bad.sum())} of the {v.size} fixations lie off the {w}x{h} map (the "
                            f"first: fixation {i + 1}, at x {x[i]:g}, y {y[i]:g}; the map covers -0.5 <= {name} < "
                            f"{n - 0.5:g}); drop them first, as saliency ingest sets them aside as off_stimulus")


def pixel_index(x, y, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel (row, col) holding continuous coordinates ``(x, y)`` (pixel centres at integers), clipped.

    The clip only moves points off the map (``x < -0.5`` or ``x >= w - 0.5``, likewise ``y``) onto its edge, or a
    point a rounding step below ``w - 0.5`` that ``x + 0.5`` rounds up to ``w``; :func:`density`,
    :func:`saliency_map` and :func:`quantized_map` refuse the former before it is called.
    """
    w, h = size
    col = np.clip(np.floor(np.asarray(x, dtype=np.float64) + 0.5), 0, w - 1).astype(np.int64)
    row = np.clip(np.floor(np.asarray(y, dtype=np.float64) + 0.5), 0, h - 1).astype(np.int64)
    return row, col


def unique_pixels(rows, cols, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each fixated pixel once: distinct ``(row, col)`` pairs, in row-major order, of an image ``width`` wide."""
    flat = np.unique(np.asarray(rows, dtype=np.int64) * width + np.asarray(cols, dtype=np.int64))
    return np.divmod(flat, width)


def fixation_weights(subjects, durations, policy: MapPolicy) -> np.ndarray:
    """Per-fixation weights under ``policy`` (1 or duration; per-subject rescaled to sum 1).

    Under ``weight`` duration every duration must be finite and above 0 ms, else a UserError names the count and
    the first fixation (a negative weight cut a hole in the map); under ``per_subject`` a subject whose durations
    add up to 0 ms or less is named first, as `per_subject`.
    """
    n = len(subjects)
    if policy.weight == "duration":
        w = np.asarray(durations, dtype=np.float64)
        bad = ~np.isfinite(w)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise UserError(f"`weight` duration: {int(bad.sum())} of the {n} fixations have no duration (the first: "
                            f"fixation {i + 1}, subject {str(np.asarray(subjects, dtype=object)[i])!r}); give the "
                            f"durations or use `weight` none")
    else:
        w = np.ones(n, dtype=np.float64)
    if policy.per_subject and n:
        codes, uniq = _codes(subjects)
        tot = np.bincount(codes, weights=w)
        if not (tot > 0).all():  # 0 / 0: the map was NaN
            i = int(np.flatnonzero(~(tot > 0))[0])
            raise UserError(f"`per_subject`: the fixations of subject {str(uniq[i])!r} last {tot[i]:g} ms in all, "
                            f"so they have no weight to share; drop them or use `weight` none")
    bad = ~(w > 0)  # a negative weight cut a hole in the map, a zero one dropped the fixation unsaid
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise UserError(f"`durations`: {int(bad.sum())} of the {n} fixations last 0 ms or less (the first: "
                        f"fixation {i + 1}, subject {str(np.asarray(subjects, dtype=object)[i])!r}, {w[i]:g} "
                        f"ms); drop them first, as saliency ingest sets them aside (bad_duration in a fixation list, "
                        "zero_duration when detected)")
    if policy.per_subject and n:
        w = w / tot[codes]
    return w


def _codes(values):
    uniq, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return codes, uniq


def fixation_map(size: tuple[int, int], rows, cols) -> np.ndarray:
    """Binary fixation map (uint8, 255 at fixated pixels), ``size = (w, h)``.

    ``rows`` and ``cols`` are whole pixel indices inside the map, one column per row, as :func:`blur_points`
    takes them (a -1 was numpy's last row or column: a fixation on the far edge); :func:`pixel_index` clips
    continuous coordinates to them.
    """
    w, h = size
    rows, cols = _points(rows, cols, h, w)
    F = np.zeros((h, w), dtype=np.uint8)
    F[rows, cols] = 255
    return F


def density(size: tuple[int, int], x, y, subjects, durations, policy: MapPolicy) -> np.ndarray:
    """Unnormalised blurred map of fixations at stimulus coordinates ``(x, y)`` under ``policy``.

    ``size`` is ``(width, height)``, two positive whole numbers (an integral float such as ``160.0`` is taken as
    that integer); durations of 0 ms or less are refused under ``weight`` duration. Fixations off the map
    (outside ``-0.5 <= x < w - 0.5``, ``-0.5 <= y < h - 0.5``: the test ``saliency ingest`` sets ``off_stimulus``
    rows aside by) are refused naming the first, never moved onto its edge (a false peak there).
    """
    w, h = size = _size(size)
    x, y = _check_points(x, y, subjects, durations, policy)
    check_inside(x, y, w, h)
    rows, cols = pixel_index(x, y, size)
    if policy.binary:
        rows, cols = unique_pixels(rows, cols, w)
        wts = np.ones(len(rows))
    else:
        wts = fixation_weights(subjects, durations, policy)
    return blur_points((h, w), rows, cols, wts, policy.sigma_px, policy.border)


def saliency_map(size: tuple[int, int], x, y, subjects, durations, policy: MapPolicy) -> np.ndarray:
    """Normalised human saliency map (float64, ``h x w``) of one stimulus' pooled fixations.

    ``size`` is ``(width, height)`` as :func:`density` takes it. Fixations off the map (outside ``-0.5 <= x <
    w - 0.5``, ``-0.5 <= y < h - 0.5``: the test ``saliency ingest`` sets ``off_stimulus`` rows aside by) are
    refused naming the first, never moved onto its edge; so are durations of 0 ms or less under ``weight``
    duration.
    """
    return normalize(density(size, x, y, subjects, durations, policy), policy.normalize)


def quantized_map(size: tuple[int, int], x, y, subjects, durations, policy: MapPolicy, bits: int = 8) -> np.ndarray:
    """``to_uint(saliency_map(...), bits)`` with the same arithmetic, done in place on one buffer.

    The density is normalised and scaled where it lies instead of in fresh
    arrays (each step is the same float64 operation in the same order, so the
    integers are identical); under ``minmax`` and ``max`` the normalised
    maximum is exactly 1 (``v / v == 1`` in IEEE arithmetic, and rounding is
    monotone), so the scale is ``2**bits - 1`` without another pass. Off-map fixations are refused, as
    :func:`saliency_map` refuses them.
    """
    m = density(size, x, y, subjects, durations, policy)
    how = policy.normalize
    if how in ("minmax", "max"):
        lo, hi = (m.min(), m.max()) if how == "minmax" else (0.0, m.max())
        if not hi > lo:
            return np.zeros(m.shape, dtype=np.uint8 if bits == 8 else np.uint16)
        if how == "minmax":
            np.subtract(m, lo, out=m)
            np.divide(m, hi - lo, out=m)
        else:
            np.divide(m, hi, out=m)
        scale = float(2 ** bits - 1)
    else:
        m = normalize(m, how)
        top = float(m.max()) if m.size else 0.0
        scale = (2 ** bits - 1) / top if top > 0 else 0.0
    np.multiply(m, scale, out=m)
    np.rint(m, out=m)
    return m.astype(np.uint8 if bits == 8 else np.uint16)


def to_uint(m: np.ndarray, bits: int = 8) -> np.ndarray:
    """Quantise a 0..1 map (scaled by its max when that is not 1) to 8- or 16-bit integers, rounding."""
    hi = float(m.max()) if m.size else 0.0
    scale = (2 ** bits - 1) / hi if hi > 0 else 0.0
    q = np.rint(np.asarray(m, dtype=np.float64) * scale)
    return q.astype(np.uint8 if bits == 8 else np.uint16)

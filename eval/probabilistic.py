"""Probabilistic evaluation of fixation models: log-densities, log-likelihood, information gain, metric maps.

References: Kümmerer, Wallis & Bethge, "Information-theoretic model
comparison unifies saliency metrics", PNAS 2015; Kümmerer, Wallis & Bethge,
"Saliency benchmarking made easy: separating models, maps and metrics", ECCV
2018 (the method of the MIT/Tübingen benchmark). The definitions follow
pysaliency (``Model.log_likelihoods``, ``information_gains``) and the
metric-specific maps of matthias-k/saliency-benchmarking
(``saliency_map_provider.py``); written from those definitions, not copied.

Conventions (``../shared/REFERENCES.md`` section 6):

- A *log-density* is a 2-D float array of natural logs of a probability
  distribution over the pixels of the image: ``logsumexp(logp) == 0``. It is
  what ``saliency predict --log-density`` writes (float32 ``.npy``).
- ``LL`` (bits per fixation, relative to a uniform model) of one image is
  ``mean over its fixations of log2 p(fixation) + log2(H * W)``. A uniform
  density scores 0; the true density of the fixations scores, in expectation,
  ``log2(H * W) - H(p)`` bits (its entropy gap). Fixations are weighted by
  their count on a pixel (a count map: a pixel fixated twice counts twice, as
  pysaliency's per-fixation average); a binary map weights each fixated pixel
  once. Per-image values are averaged over images (pysaliency's
  ``average="image"``).
- ``IG`` over a baseline density is ``LL(model) - LL(baseline)`` on the same
  fixations.
- A *plain saliency map* (not a density) is converted with MIT's
  ``InfoGain.m`` conversion: min-max to [0, 1], divided by its sum (a constant
  map becomes uniform), and ``log2(eps + p)`` with ``eps`` = 2.2204e-16. With
  it, :func:`info_gain_density` reproduces MIT's IG exactly, and a map that
  puts zero at a fixated pixel pays ~52 bits for it: convert a map to a real
  density (e.g. mix it with the centre bias) to be scored fairly.
- Metric-specific saliency maps of a density (ECCV 2018, Table 1): NSS, IG
  and LL: the density itself; AUC-Judd and AUC-Borji: the density,
  histogram-equalised (:func:`equalize`); sAUC: ``log p - log p_baseline``
  equalised (the ratio to the centre bias whose fixations serve as
  negatives); CC, KLD
  and SIM: the density blurred as the metric's empirical map is (a Gaussian
  of the dataset's ``sigma_px``, zero padding). For SIM the ECCV paper
  optimises the map numerically; the blurred density used here is close to,
  but not exactly, its optimum (stated in the tables' notes).
"""

from __future__ import annotations

import numpy as np

LOG2 = float(np.log(2.0))
EPS = float(np.finfo(np.float64).eps)  # MATLAB eps, as in MIT InfoGain.m
LOGSUMEXP_TOL = 1e-3
"""How far from 0 the logsumexp of a ``.npy`` may be for it to be read as a log-density."""


def logsumexp(a: np.ndarray) -> float:
    """log(sum(exp(a))) computed stably (float64)."""
    a = np.asarray(a, dtype=np.float64)
    m = float(np.max(a))
    if not np.isfinite(m):
        return m
    return m + float(np.log(np.exp(a - m).sum()))


def is_log_density(a: np.ndarray, tol: float = LOGSUMEXP_TOL) -> bool:
    """Whether ``a`` is a log-density: some value below 0 and ``|logsumexp(a)| <= tol``.

    A non-negative saliency map never passes (its values are >= 0, so its
    logsumexp is at least log(number of pixels) > 0 unless it has one pixel).
    """
    a = np.asarray(a)
    return bool(a.size > 1 and np.issubdtype(a.dtype, np.floating) and np.isfinite(a).all()
                and a.min() < 0 and abs(logsumexp(a)) <= tol)


def normalize_log_density(logp: np.ndarray) -> np.ndarray:
    """``logp`` shifted so that it sums to 1 in probability (float64)."""
    logp = np.asarray(logp, dtype=np.float64)
    return logp - logsumexp(logp)


def density_from_map(sal: np.ndarray) -> np.ndarray:
    """MIT's conversion of a plain saliency map to a distribution: min-max, then sum to 1 (constant -> uniform)."""
    s = np.asarray(sal, dtype=np.float64)
    mn, mx = s.min(), s.max()
    if mx == mn:
        return np.full(s.shape, 1.0 / s.size)
    s = (s - mn) / (mx - mn)
    return s / s.sum()


def log_density_from_map(sal: np.ndarray) -> np.ndarray:
    """Natural-log density of a plain map by :func:`density_from_map`, with MIT's ``eps`` added before the log."""
    return np.log(EPS + density_from_map(sal))


def log_density_from_density(density: np.ndarray, floor: float = 1e-30) -> np.ndarray:
    """Natural log of a non-negative map normalised to sum 1 (values below ``floor`` clipped to it)."""
    d = np.asarray(density, dtype=np.float64)
    total = d.sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(d.shape, -np.log(d.size))
    return normalize_log_density(np.log(np.maximum(d / total, floor)))


_TAIL = 1e-250
"""Probability (over the map's maximum) below which :func:`resize_log_density` works in the log domain."""


def resize_log_density(logp: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A log-density brought to ``shape``: its density resampled and renormalised (mass preserved).

    An axis that shrinks is resampled by area averaging (OpenCV
    ``INTER_AREA``'s weights): each new pixel gets the probability mass of the
    pixels it covers (for an integer factor k, the sum of each k x k block),
    so a fixation keeps the probability of where it falls. Bilinear sampling
    read only 1-2 fine pixels per new pixel when shrinking 3x or more and
    lost the mass between them (0.35 bits per fixation on a 4x finer
    density). An axis that grows is interpolated bilinearly (OpenCV
    ``INTER_LINEAR``'s half-pixel weights), as before.

    No floor: the log of the resampled probability is kept however small (it
    was clipped at 1e-30, so a pixel of log p = -129 given at 2x its size
    scored -69, 43 bits off). ``exp(logp - max)`` underflows below e^-745, so
    a new pixel under :data:`_TAIL` of the maximum is recomputed in the log
    domain, the same weights applied by log-sum-exp (:func:`_log_resample`).
    Only a pixel with no mass at all (``-inf`` pixels in) gets the log of the
    smallest normal float (-708.4).

    At its own size it is renormalised too: :func:`is_log_density` accepts a
    file whose log-sum-exp is within ``LOGSUMEXP_TOL`` of 0, and LL/IG are
    defined on the normalised density (a log-sum-exp of 9e-4 raised LL by
    9e-4 / ln 2 bits, but not once the same map was resized).
    """
    logp = np.asarray(logp, dtype=np.float64)
    if logp.shape == tuple(shape):
        return normalize_log_density(logp)
    h, w = int(shape[0]), int(shape[1])
    top = float(logp.max())
    if not np.isfinite(top):  # NaN, +inf or no mass: uniform, as before
        return np.full((h, w), -np.log(h * w))
    rows_t, cols_t = _axis_table(logp.shape[0], h), _axis_table(logp.shape[1], w)
    p = _resample(_resample(np.exp(logp - top), 0, *rows_t), 1, *cols_t)
    with np.errstate(divide="ignore"):
        out = np.log(p) + top
    rows = np.flatnonzero((p < _TAIL).any(axis=1))
    if rows.size:  # the far tail, underflowed or subnormal above: the same sums in the log domain
        exact = _log_resample(_log_resample(logp, 0, rows_t[0][rows], rows_t[1][rows]), 1, *cols_t)
        out[rows] = np.where(p[rows] < _TAIL, exact, out[rows])
    out = normalize_log_density(out)
    return np.where(np.isneginf(out), np.log(np.finfo(np.float64).tiny), out)  # no mass at all: not -inf


def _axis_table(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and weights of :func:`resize_log_density` along one axis: area, bilinear or the same."""
    if n_out < n_in:
        return _area_table(n_in, n_out)
    if n_out > n_in:
        return _bilinear_table(n_in, n_out)
    return np.arange(n_in)[:, None], np.ones((n_in, 1))


def _area_table(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and weights (each ``(n_out, k)``) of OpenCV ``INTER_AREA`` shrinking ``n_in`` -> ``n_out``.

    New pixel ``d`` covers ``[d * s, (d + 1) * s)`` of the old axis (``s =
    n_in / n_out``); an old pixel weighs the part of it covered, over ``s``
    (OpenCV's ``computeResizeAreaTab``, slivers under 1e-3 left out as there).
    """
    scale = n_in / n_out
    rows = []
    for d in range(n_out):
        f1 = d * scale
        f2 = f1 + scale
        s2 = min(int(np.floor(f2)), n_in - 1)
        s1 = min(int(np.ceil(f1)), s2)
        cell = min(scale, n_in - f1)
        row = []
        if s1 - f1 > 1e-3:
            row.append((s1 - 1, (s1 - f1) / cell))
        row += [(k, 1.0 / cell) for k in range(s1, s2)]
        if f2 - s2 > 1e-3:
            row.append((s2, min(f2 - s2, 1.0, cell) / cell))
        rows.append(row)
    return _pad_table(rows)


def _bilinear_table(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and weights (each ``(n_out, 2)``) of OpenCV ``INTER_LINEAR`` enlarging ``n_in`` -> ``n_out``.

    Half-pixel centres: new pixel ``d`` reads ``x = (d + 0.5) * n_in / n_out - 0.5``
    from its two neighbours, ``1 - frac(x)`` and ``frac(x)``; clamped to the
    first / last old pixel outside them (OpenCV's border replication).
    """
    x = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    lo = np.floor(x).astype(np.int64)
    fx = x - lo
    fx[lo < 0] = 0.0
    lo[lo < 0] = 0
    last = lo >= n_in - 1
    fx[last] = 0.0
    lo[last] = n_in - 1
    idx = np.stack([lo, np.minimum(lo + 1, n_in - 1)], axis=1)
    return idx, np.stack([1.0 - fx, fx], axis=1)


def _pad_table(rows: list) -> tuple[np.ndarray, np.ndarray]:
    """Lists of (index, weight) as two ``(len(rows), k)`` arrays, padded with index 0 and weight 0."""
    k = max(len(r) for r in rows)
    idx = np.zeros((len(rows), k), dtype=np.int64)
    w = np.zeros((len(rows), k))
    for d, r in enumerate(rows):
        for j, (i, v) in enumerate(r):
            idx[d, j], w[d, j] = i, v
    return idx, w


_RESAMPLE_CHUNK = 1 << 22  # values per block of _resample / _log_resample (memory bound)


def _resample(p: np.ndarray, axis: int, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_j w[d, j] * p[idx[d, j]]`` along ``axis`` (one row of ``idx`` / ``w`` per new pixel)."""
    if idx.shape[1] == 1 and np.array_equal(idx[:, 0], np.arange(p.shape[axis])) and (w == 1).all():
        return p  # the same size
    a = np.moveaxis(p, axis, 0)
    out = np.empty((idx.shape[0], *a.shape[1:]))
    step = max(1, _RESAMPLE_CHUNK // max(1, idx.shape[1] * a[0].size))
    for d0 in range(0, idx.shape[0], step):
        out[d0:d0 + step] = np.einsum("dj...,dj->d...", a[idx[d0:d0 + step]], w[d0:d0 + step])
    return np.moveaxis(out, 0, axis)


def _log_resample(logp: np.ndarray, axis: int, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``log(sum_j w[d, j] * exp(logp[idx[d, j]]))`` along ``axis``: a weighted resampling in the log domain.

    Each new value is shifted by its own largest term, so no probability
    underflows however far below the image's maximum it lies (weights of 0
    add nothing; a new pixel with no mass is ``-inf``). ``idx`` / ``w``: one
    row per new pixel (:func:`_axis_table`).
    """
    a = np.moveaxis(np.asarray(logp, dtype=np.float64), axis, 0)
    with np.errstate(divide="ignore"):
        lw = np.log(w)[:, :, None]
    out = np.empty((idx.shape[0], a.shape[1]))
    step = max(1, _RESAMPLE_CHUNK // max(1, idx.shape[1] * a.shape[1]))
    for d0 in range(0, idx.shape[0], step):
        t = a[idx[d0:d0 + step]] + lw[d0:d0 + step]  # (new pixels, terms, other axis)
        m = t.max(axis=1)
        m = np.where(np.isfinite(m), m, 0.0)
        with np.errstate(divide="ignore"):
            out[d0:d0 + step] = m + np.log(np.exp(t - m[:, None, :]).sum(axis=1))
    return np.moveaxis(out, 0, axis)


def log_likelihood(logp: np.ndarray, fixations: np.ndarray) -> float:
    """Bits per fixation of a log-density over the uniform model (see the module docstring); NaN without fixations.

    ``fixations``: a count map (a pixel's value = fixations on it) or a binary
    map (each fixated pixel once), of the log-density's shape.
    """
    logp = np.asarray(logp, dtype=np.float64)
    w = np.asarray(fixations).astype(np.float64)
    if w.shape != logp.shape:
        raise ValueError(f"log-density {logp.shape} and fixation map {w.shape} differ in size")
    w = np.clip(w, 0, None)
    n = w.sum()
    if n <= 0:
        return float("nan")
    return float((w * logp).sum() / n / LOG2 + np.log2(logp.size))


def info_gain_density(logp: np.ndarray, fixations: np.ndarray, baseline_logp: np.ndarray) -> float:
    """Information gain (bits per fixation) of a log-density over a baseline log-density: LL(model) - LL(baseline)."""
    return log_likelihood(logp, fixations) - log_likelihood(baseline_logp, fixations)


def entropy_bits(logp: np.ndarray) -> float:
    """Entropy (bits) of the distribution whose natural log is ``logp``."""
    logp = np.asarray(logp, dtype=np.float64)
    p = np.exp(logp)
    return float(-(p * logp).sum() / LOG2)


def blur_density(p: np.ndarray, sigma_px: float, border: str | None = None,
                 truncate: float | None = None) -> np.ndarray:
    """A map convolved with a Gaussian of ``sigma_px`` (zero padding, 3.5 sigma radius); unchanged if sigma <= 0.

    ``border`` / ``truncate``: the construction of a dataset whose human maps
    state theirs (a ``saliency ingest`` folder's dataset.json, the SALICON
    API: ``reflect``, 4 sigma): ``scipy.ndimage.gaussian_filter`` with that
    mode and truncation, as those maps were made. Without them, as follows.

    OpenCV's ``GaussianBlur`` (its kernel, ``getGaussianKernel``, of ``2 *
    ceil(3.5 sigma) + 1`` taps), except for a map whose nonzero pixels lie in
    at most half of its rows, such as a map of fixations:
    :func:`_blur_sparse_rows` then filters only those rows and spreads them
    down the columns with a matrix product, the same Gaussian summed in
    another order (differences of about 1e-15 of the map's maximum; 3-6 ms
    instead of 33 on OSIE's 800x600 human maps).
    """
    import cv2

    p = np.asarray(p, dtype=np.float64)
    if sigma_px <= 0:
        return p.copy()
    if border is not None:
        from scipy.ndimage import gaussian_filter

        return gaussian_filter(p, float(sigma_px), mode=border, truncate=4.0 if truncate is None else float(truncate))
    k = 2 * int(np.ceil(3.5 * float(sigma_px))) + 1
    if p.ndim == 2 and p.size:
        rows = np.flatnonzero(p.any(axis=1))
        if 2 * rows.size <= p.shape[0]:
            out = _blur_sparse_rows(p, rows, float(sigma_px), k)
            if out is not None:
                return out
    return cv2.GaussianBlur(p, (k, k), float(sigma_px), borderType=cv2.BORDER_CONSTANT)


_SPARSE_TILE = 96  # output rows per matrix product of _blur_sparse_rows


def _blur_sparse_rows(p: np.ndarray, rows: np.ndarray, sigma_px: float, k: int) -> np.ndarray | None:
    """``cv2.GaussianBlur(p, (k, k), sigma_px, BORDER_CONSTANT)`` for ``p`` nonzero only in ``rows`` (ascending).

    The row pass runs on those rows alone; the column pass is, for each tile
    of :data:`_SPARSE_TILE` output rows, the product of the banded kernel
    matrix (tile rows x the filtered rows within the kernel's reach) with
    those rows. None when that product would cost more multiply-adds than
    OpenCV's column pass (``H * W * k``): the caller then blurs as usual.
    """
    import cv2

    H, W = p.shape
    rad = k // 2
    if rows.size == 0:
        return np.zeros_like(p)
    starts = np.arange(0, H, _SPARSE_TILE)
    ends = np.minimum(starts + _SPARSE_TILE, H)
    lo = np.searchsorted(rows, starts - rad)
    hi = np.searchsorted(rows, ends + rad)
    if int(((ends - starts) * (hi - lo)).sum()) > H * k:
        return None
    g = cv2.getGaussianKernel(k, sigma_px, cv2.CV_64F).ravel()
    filtered = cv2.sepFilter2D(p[rows], cv2.CV_64F, g, np.ones(1), borderType=cv2.BORDER_CONSTANT)
    out = np.zeros((H, W))
    for y0, y1, a, b in zip(starts, ends, lo, hi):
        if a == b:
            continue
        off = np.arange(y0, y1)[:, None] - rows[None, a:b] + rad  # kernel tap of (output row, filtered row)
        inside = (off >= 0) & (off < k)
        band = np.where(inside, g[np.where(inside, off, 0)], 0.0)
        np.matmul(band, filtered[a:b], out=out[y0:y1])
    return out


def equalize(a: np.ndarray) -> np.ndarray:
    """Ranks of ``a`` scaled to (0, 1] (ties share their mean rank): a monotone map with a flat histogram.

    The AUCs with stepped thresholds (AUC-Borji, sAUC: 0, 0.1, ..., 1 on the
    min-max normalised map) depend on the histogram of the map, not only on
    its order; equalised, every threshold step holds a tenth of the pixels
    (pysaliency's ``EqualizedSaliencyMapModel`` in the ECCV 2018 benchmark).
    """
    from scipy.stats import rankdata

    a = np.asarray(a, dtype=np.float64)
    return (rankdata(a.ravel(), method="average") / a.size).reshape(a.shape)


def metric_map(logp: np.ndarray, metric: str, *, sigma_px: float = 0.0,
               baseline_logp: np.ndarray | None = None, blur=None) -> np.ndarray:
    """The saliency map of a log-density that maximises the expected score of ``metric`` (ECCV 2018).

    ``sigma_px``: the blur of the metric's empirical human map (CC, KLD, SIM),
    with its ``blur`` = (border, truncate) when the dataset states them
    (:func:`blur_density`; "blurred as the metric's empirical map is");
    ``baseline_logp``: the log-density whose fixations are sAUC's negatives
    (the centre bias; uniform when None, which makes sAUC's map the density).
    """
    logp = np.asarray(logp, dtype=np.float64)
    p = np.exp(logp)
    if metric in ("NSS", "IG", "LL"):
        return p
    if metric in ("AUC_Judd", "AUC_Borji"):
        return equalize(logp)
    if metric == "sAUC":
        return equalize(logp if baseline_logp is None else logp - np.asarray(baseline_logp, dtype=np.float64))
    if metric in ("CC", "KLD", "SIM"):
        return blur_density(p, sigma_px, *(blur or (None, None)))
    raise ValueError(f"no metric-specific map for {metric!r}")

"""Fixation-prediction metrics with the MIT Saliency Benchmark definitions.

Reference: Bylinskii, Judd, Oliva, Torralba, Durand, "What do different
evaluation metrics tell us about saliency models?", TPAMI 2019; code
cvzoya/saliency ``code_forMetrics`` (``AUC_Judd.m``, ``AUC_Borji.m``,
``AUC_shuffled.m``, ``NSS.m``, ``CC.m``, ``KLdiv.m``, ``similarity.m``,
``InfoGain.m``). Conventions in ``../shared/REFERENCES.md`` section 2.

LL (log-likelihood in bits per fixation over a uniform model) and IG are
computed by :mod:`saliency.eval.probabilistic` (Kümmerer et al., PNAS 2015):
for a plain map with MIT's conversion to a density, so IG equals MIT's
``InfoGain.m`` on a binary fixation map; a count map (OSIE) weights a pixel by
its fixations.

Where this module departs from the MATLAB code, and why:

- The prediction is resized to the fixation map's size with bilinear
  interpolation (OpenCV ``INTER_LINEAR``, float64), not MATLAB's bicubic
  ``imresize``.
- AUC-Judd: MIT adds ``rand/1e7`` jitter to break ties, so its score is random.
  Here every tie is scored by its expected contribution under that random
  tie-breaking, which is deterministic: a non-fixated pixel with ``a`` fixated
  values strictly above it and ``m`` fixated values equal to it scores the mean
  of MIT's per-pixel contribution ``g(k) = (k + 1/2) / Nfix`` (``g(Nfix) = 1``)
  over ``k = a .. a + m``. A constant map scores ``0.5 + 0.5 / (Nfix + 1)``.
- Constant maps, for which MATLAB divides 0 by 0 (NaN): NSS and CC are 0,
  AUC-Borji / sAUC treat the normalised map as all zeros (score 0.5), SIM and IG
  treat it as the uniform distribution. An all-zero map keeps MIT's handling in
  KLD and SIM (it stays zero). An all-zero human map (an image without
  fixations) leaves CC, KLD and SIM out (NaN, counted as left out), as AUC,
  NSS and IG are: MIT's per-call 0 would enter the means as a perfect KLD.
  AUC-Borji is NaN with fewer than two fixated pixels, as ``AUC_Borji.m``
  (``sum(fixationMap(:)>0)<=1``, cvzoya/saliency since commit 3c4d244).
- AUC-Borji and sAUC draw their negatives from ``numpy.random.default_rng``
  seeded with ``(seed, image index)``, so results do not depend on the order in
  which images are scored nor on the number of workers.
- sAUC: the other images' fixations (union of ``n_others`` = 10 random other
  images, as Borji et al.) are mapped to this image's size through normalised
  coordinates ``floor((y + 0.5) / H_other * H)``. The other images are drawn
  by one function, :func:`other_fixation_coords`, for the accumulator and the
  benchmark runner alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from saliency.base.errors import UserError
from saliency.eval.accumulator import MetricAccumulator
from saliency.eval.metrics import keys_for

EPS = np.finfo(np.float64).eps  # MATLAB eps = 2.2204e-16
FIX_KEYS = keys_for("fixation")
"""Keys of :meth:`FixationMetrics.results`, in table order (from :mod:`saliency.eval.metrics`)."""


# ----------------------------------------------------------------------------- helpers

def baseline_log_density(baseline: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The IG baseline (a log-density, or a plain map) as a natural-log density at ``shape``.

    A log-density is resized and renormalised; a plain map is MIT's
    conversion with ``eps`` before the log (:func:`probabilistic.log_density_from_map`).
    """
    from saliency.eval import probabilistic as P

    if P.is_log_density(baseline):
        return P.resize_log_density(baseline, shape)
    return P.log_density_from_map(resize_to(baseline, shape))


def resize_to(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Return ``a`` as float64 at ``shape`` (bilinear, OpenCV ``INTER_LINEAR``)."""
    import cv2

    a = np.asarray(a, dtype=np.float64)
    if a.shape != tuple(shape):
        if a.size and a.min() == a.max():  # constant stays exactly constant (OpenCV upsampling a single row
            return np.full(tuple(int(v) for v in shape), a.flat[0])  # or pixel adds ~1e-7 noise, which
        a = cv2.resize(a, (int(shape[1]), int(shape[0])), interpolation=cv2.INTER_LINEAR)  # min-max amplifies)
    return a


class MapInputError(UserError, ValueError):
    """A map given to the eval API that is not a usable 2-D map; the message names the parameter and what to do.

    Also a ValueError, as the shape checks of :func:`fixation_image_scores` and :func:`~saliency.eval.sod.check_pair`
    raised before, so that a caller catching that still catches it.
    """


def two_d_map(a, name: str) -> np.ndarray:
    """``a`` as a 2-D map: extra size-1 axes dropped as the command line drops them from a ``.npy`` (H x W x 1 ->
    H x W); any other shape, such as a colour H x W x 3 image, is a :class:`MapInputError` naming the parameter
    ``name``. Shared with :func:`saliency.eval.sod.check_pair`."""
    from saliency.eval.io import drop_extra_axes

    m = drop_extra_axes(np.asarray(a))
    if m.ndim != 2:
        what = " (a colour image?)" if m.ndim == 3 and m.shape[2] in (3, 4) else ""
        raise MapInputError(f"`{name}` has shape {m.shape}{what}; a map is 2-D (H x W): give one grey channel")
    return m


def _as_map(a, name: str) -> np.ndarray:
    """:func:`two_d_map`, and an empty map is a :class:`MapInputError` naming the parameter ``name``."""
    m = two_d_map(a, name)
    if m.size == 0:
        raise MapInputError(f"`{name}` is empty (shape {m.shape}); a map has at least one pixel")
    return m


def _metric_names(metrics) -> tuple[str, ...]:
    """``metrics`` checked as :class:`FixationMetrics` checks it: a tuple of known names (None: all of them)."""
    return FixationMetrics(metrics=metrics).metrics


def _refuse_bare_name(metrics, what: str = "metric names") -> None:
    """A bare string is not a collection of names (``set("NSS")`` is N, S): refused, naming ``metrics``."""
    if isinstance(metrics, str):
        raise UserError(f"`metrics` {metrics!r}: give a tuple of {what}, e.g. ({metrics!r},), not a bare string")


def _minmax(a: np.ndarray) -> np.ndarray | None:
    """Min-max normalise to [0, 1]; None when the map is constant."""
    mn, mx = a.min(), a.max()
    if mx == mn:
        return None
    return (a - mn) / (mx - mn)


def matlab_colon(a: float, d: float, b: float) -> np.ndarray:
    """MATLAB's ``a:d:b`` (the symmetric construction of ``colonop``), float64."""
    if d == 0 or (a < b and d < 0) or (b < a and d > 0):
        return np.zeros(0)
    tol = 2.0 * EPS * max(abs(a), abs(b))
    sig = np.sign(d)
    n = round((b - a) / d)
    if sig * (a + n * d - b) > tol:
        n -= 1
    last = a + n * d
    if sig * (last - b) >= -tol:
        last = b
    out = np.zeros(n + 1)
    k = np.arange(0, n // 2 + 1)
    out[k] = a + k * d
    out[n - k] = last - k * d
    if n % 2 == 0:
        out[n // 2] = (a + last) / 2
    return out


def gaussian_center_bias(shape: tuple[int, int], sigma_frac: float = 0.25) -> np.ndarray:
    """Anisotropic Gaussian centre-bias map (peak 1) with sigma = ``sigma_frac`` of each side.

    Used as the information-gain baseline when a dataset has no measured
    centre bias (no ``center_bias.png``).
    """
    h, w = int(shape[0]), int(shape[1])
    y = (np.arange(h) - (h - 1) / 2) / max(sigma_frac * h, 1e-9)
    x = (np.arange(w) - (w - 1) / 2) / max(sigma_frac * w, 1e-9)
    return np.exp(-0.5 * (y[:, None] ** 2 + x[None, :] ** 2))


def fixation_coords(fixations: np.ndarray) -> np.ndarray:
    """Normalised (y, x) centres in [0, 1) of the fixated pixels of a binary map, shape (n, 2)."""
    ys, xs = np.nonzero(fixations)
    h, w = fixations.shape
    return np.stack([(ys + 0.5) / h, (xs + 0.5) / w], axis=1)


def points_to_mask(points_rc, shape: tuple[int, int]) -> np.ndarray:
    """Binary map of ``shape`` with the integer (row, col) ``points`` set.

    Points outside the map are dropped; a pixel hit twice counts once. The one
    points-to-mask of the toolkit (SALICON fixation lists, sAUC negatives,
    training targets).
    """
    h, w = int(shape[0]), int(shape[1])
    m = np.zeros((h, w), bool)
    p = np.asarray(points_rc, dtype=np.int64).reshape(-1, 2)
    if len(p):
        r, c = p[:, 0], p[:, 1]
        ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        m[r[ok], c[ok]] = True
    return m


def coords_to_mask(coords: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Binary map of ``shape`` with the normalised ``coords`` set (a pixel hit twice counts once)."""
    h, w = shape
    if not len(coords):
        return points_to_mask(np.zeros((0, 2), np.int64), (h, w))
    r = np.clip(np.floor(coords[:, 0] * h).astype(np.int64), 0, h - 1)
    c = np.clip(np.floor(coords[:, 1] * w).astype(np.int64), 0, w - 1)
    return points_to_mask(np.stack([r, c], axis=1), (h, w))


def fixated_images(pool: list) -> np.ndarray:
    """Indices (ascending) of the images of ``pool`` with fixations: those :func:`other_fixation_coords` draws.

    Found once per pool (one ``len`` per entry) and passed to every draw, so drawing for all n images is O(n),
    not O(n^2).
    """
    return np.array([j for j, a in enumerate(pool) if len(a)], dtype=np.int64)


def other_fixation_coords(pool: list, index: int, seed: int = 0, n_others: int = 10,
                          fixated: np.ndarray | None = None) -> np.ndarray | None:
    """The sAUC negatives' source for image ``index``: the fixations of ``n_others`` random other images.

    ``pool`` holds one array of :func:`fixation_coords` per image (in image
    order; an empty one for an image without fixations, never drawn). The
    images are drawn without replacement by ``default_rng([seed, index, 2])``
    and their normalised coordinates concatenated in image order; None when no
    other image has fixations. Map them with :func:`coords_to_mask`.
    ``fixated``: :func:`fixated_images` of ``pool``, found once by a caller
    drawing for many images (default: found here, one pass over ``pool``).
    """
    if fixated is None:
        fixated = fixated_images(pool)
    n = len(fixated)
    pos = int(np.searchsorted(fixated, index))
    own = pos < n and int(fixated[pos]) == index  # the image itself is left out: later ones move down by one
    m = n - int(own)
    if m <= 0:
        return None
    rng = np.random.default_rng([seed, index, 2])
    pick = np.sort(rng.choice(m, size=min(n_others, m), replace=False))
    if own:
        pick = pick + (pick >= pos)
    return np.concatenate([pool[int(fixated[j])] for j in pick])


# ----------------------------------------------------------------------------- metrics

def auc_judd(sal: np.ndarray, fix: np.ndarray) -> float:
    """AUC-Judd (MIT trapezoid over fixated thresholds), ties by expectation; NaN without fixations.

    Each non-fixated pixel's share depends only on how many fixated values
    lie at or below its value (``hi``) and whether one equals it, so the
    pixels are counted per ``hi`` (one binary search each) and the shares
    computed once per count (``nf + 1`` of them), not once per pixel.
    """
    f = np.asarray(fix) > 0
    nf = int(np.count_nonzero(f))
    if nf == 0:
        return float("nan")
    s = np.asarray(sal, dtype=np.float64)
    fv = np.sort(s[f])
    neg = s[~f]
    nn = neg.size
    if nn == 0:
        return float("nan")
    hi = np.searchsorted(fv, neg, side="right")  # fixated values <= v
    tie = fv[hi - 1] == neg  # v equals a fixated value (hi = 0 wraps to the largest, never equal: masked below)
    tie &= hi > 0
    tied = np.bincount(hi[tie], minlength=nf + 1).astype(np.float64)
    plain = np.bincount(hi, minlength=nf + 1).astype(np.float64) - tied
    h = np.arange(nf + 1)
    a = (nf - h).astype(np.float64)  # fixated values strictly above v
    m_tied = (h - np.searchsorted(fv, fv[np.maximum(h - 1, 0)], side="left")).astype(np.float64)  # equal to v

    def share(m):  # mean of g(k) = (k + 0.5) / nf over k = a..a+m, with g(nf) = 1
        reach = (a + m) >= nf  # the tie block reaches the bottom fixated value
        mean_plain = (a + m / 2 + 0.5) / nf
        mean_reach = (m * a + m * m / 2) / nf / (m + 1) + 1 / (m + 1)
        return np.where(reach, mean_reach, mean_plain)

    return float((plain @ share(np.zeros(nf + 1)) + tied @ share(m_tied)) / nn)


def _auc_splits(sth: np.ndarray, negs: np.ndarray, n_pos_div: int, n_neg_div: int, step: float) -> float:
    """Mean over splits (columns of ``negs``) of MIT's stepped-threshold trapezoid AUC."""
    sth_sorted = np.sort(sth)
    smax = sth_sorted[-1] if sth_sorted.size else -np.inf
    aucs = np.empty(negs.shape[1])
    for s in range(negs.shape[1]):
        cur = np.sort(negs[:, s])
        top = max(smax, cur[-1] if cur.size else -np.inf)
        thr = matlab_colon(0.0, step, float(top))[::-1]
        tp = np.empty(thr.size + 2)
        fp = np.empty(thr.size + 2)
        tp[0] = fp[0] = 0.0
        tp[-1] = fp[-1] = 1.0
        tp[1:-1] = (sth_sorted.size - np.searchsorted(sth_sorted, thr, side="left")) / n_pos_div
        fp[1:-1] = (cur.size - np.searchsorted(cur, thr, side="left")) / n_neg_div
        aucs[s] = np.trapezoid(tp, fp)
    return float(aucs.mean())


def _norm01(s: np.ndarray) -> np.ndarray:
    n = _minmax(s)
    return np.zeros_like(s) if n is None else n


def auc_borji(sal: np.ndarray, fix: np.ndarray, rng: np.random.Generator,
              n_splits: int = 100, step: float = 0.1) -> float:
    """AUC-Borji: negatives drawn uniformly from all pixels (with replacement), NaN with under two fixated pixels."""
    f = np.asarray(fix) > 0
    if np.count_nonzero(f) <= 1:  # MIT's AUC_Borji.m (since 3c4d244): `if sum(fixationMap(:)>0)<=1, score=nan`
        return float("nan")
    S = _norm01(np.asarray(sal, dtype=np.float64)).ravel()
    fl = f.ravel()
    sth = S[fl]
    nf = sth.size
    r = rng.integers(0, S.size, size=(nf, n_splits))
    return _auc_splits(sth, S[r], nf, nf, step)


def auc_shuffled(sal: np.ndarray, fix: np.ndarray, other: np.ndarray, rng: np.random.Generator,
                 n_splits: int = 100, step: float = 0.1) -> float:
    """Shuffled AUC: negatives are fixated locations of other images (binary map ``other``)."""
    f = np.asarray(fix) > 0
    if not f.any():
        return float("nan")
    S = _norm01(np.asarray(sal, dtype=np.float64)).ravel()
    sth = S[f.ravel()]
    nf = sth.size
    ind = np.flatnonzero(np.asarray(other).ravel())
    n_oth = min(nf, ind.size)
    if n_oth == 0:
        return float("nan")
    negs = np.empty((n_oth, n_splits))
    for i in range(n_splits):
        negs[:, i] = S[ind[rng.permutation(ind.size)[:n_oth]]]
    return _auc_splits(sth, negs, nf, n_oth, step)


def _unit_scale(x: np.ndarray) -> np.ndarray:
    """``x`` times the power of two that brings its largest magnitude into [0.5, 1).

    NSS and CC do not change when a map is scaled, but their squares do overflow (a float map of ~1e160: the
    std is inf, NSS and CC 0) or underflow (~1e-170: the std is 0). A power of two scales every float exactly
    (outside the subnormal range), so a map of ordinary values scores bit for bit as it did unscaled.
    """
    top = float(np.abs(x).max()) if x.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return x
    return np.ldexp(x, -np.frexp(top)[1])


def nss(sal: np.ndarray, fix: np.ndarray) -> float:
    """Normalised scanpath saliency: z-score (ddof=1) of the map, mean at fixations (0 if constant)."""
    f = np.asarray(fix) > 0
    if not f.any():
        return float("nan")
    s = _unit_scale(np.asarray(sal, dtype=np.float64))
    if s.size < 2 or s.min() == s.max():  # constant: std is 0 (or rounding noise)
        return 0.0
    sd = s.std(ddof=1)
    return float(((s - s.mean()) / sd)[f].mean())


def cc(sal: np.ndarray, density: np.ndarray) -> float:
    """Pearson correlation (MATLAB ``corr2``) of the map and the human density (0 if either is constant)."""
    a = _unit_scale(np.asarray(sal, dtype=np.float64))
    b = _unit_scale(np.asarray(density, dtype=np.float64))
    if a.min() == a.max() or b.min() == b.max():
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    if den == 0:
        return 0.0
    return float((a * b).sum() / den)


def kld(sal: np.ndarray, density: np.ndarray) -> float:
    """KL divergence of the map from the density: sum(G log(eps + G / (S + eps))), both sum-normalised."""
    s = np.asarray(sal, dtype=np.float64)
    g = np.asarray(density, dtype=np.float64)
    if s.any():
        s = s / s.sum()
    if g.any():
        g = g / g.sum()
    return float((g * np.log(EPS + g / (s + EPS))).sum())


def _distribution(a: np.ndarray) -> np.ndarray:
    """MIT's min-max then sum-to-1 normalisation (zero map stays zero, constant map -> uniform)."""
    if not a.any():
        return a
    n = _minmax(a)
    if n is None:
        return np.full(a.shape, 1.0 / a.size)
    return n / n.sum()


def sim(sal: np.ndarray, density: np.ndarray) -> float:
    """Similarity (histogram intersection) of the min-max, sum-normalised maps."""
    a = _distribution(np.asarray(sal, dtype=np.float64))
    b = _distribution(np.asarray(density, dtype=np.float64))
    return float(np.minimum(a, b).sum())


def info_gain(sal: np.ndarray, fix: np.ndarray, baseline: np.ndarray) -> float:
    """Information gain (bits per fixation) of the map over ``baseline``, both min-max, sum-normalised."""
    f = np.asarray(fix) > 0
    if not f.any():
        return float("nan")

    def dist(a):
        n = _minmax(np.asarray(a, dtype=np.float64))
        if n is None:
            return np.full(a.shape, 1.0 / a.size)
        return n / n.sum()

    s = dist(sal)
    b = dist(baseline)
    return float((np.log2(EPS + s[f]) - np.log2(EPS + b[f])).mean())


NO_FIXATED_PIXEL = "no fixated pixel"
"""Why the metrics of the fixations (AUC_Judd, AUC_Borji, sAUC, NSS, LL, IG) are NaN on a map without fixations."""
EVERY_PIXEL_FIXATED = "every pixel fixated"
"""Why AUC_Judd is NaN when no pixel is left unfixated to rank (its negatives), as on a 1x1 image with its fixation."""
UNDER_TWO_FIXATED = "fewer than two fixated pixels"
"""Why AUC_Borji is NaN on one fixated pixel (MIT's ``AUC_Borji.m``: ``sum(fixationMap(:)>0)<=1``)."""
NO_OTHER_FIXATIONS = "no other image with fixations"
"""Why sAUC is NaN when no other image's fixations were given to draw its negatives from."""
BLANK_HUMAN_MAP = "a blank human map"
"""Why CC, KLD and SIM are NaN without a human map or on an all-zero one (an image without fixations)."""


def undefined_reason(metric: str, fixations: np.ndarray | None, human_map: np.ndarray | None,
                     other: np.ndarray | None = None) -> str | None:
    """Why ``metric`` is undefined (NaN) on an image, in the words of the constants above; None where it is defined.

    The rules of the metrics of this module and :func:`fixation_image_scores`,
    read off the image's maps: ``fixations`` (nonzero = fixated; None for
    human maps only), ``human_map`` (None when there is none) and, for sAUC,
    ``other`` (the other images' fixations, as passed to the scorer). A metric
    of the fixations has nothing to score without a fixated pixel
    (:data:`NO_FIXATED_PIXEL`); AUC_Judd also needs an unfixated pixel
    (:data:`EVERY_PIXEL_FIXATED`), AUC_Borji two fixated pixels
    (:data:`UNDER_TWO_FIXATED`), sAUC another image's fixations
    (:data:`NO_OTHER_FIXATIONS`); CC, KLD and SIM a human map that is not
    blank (:data:`BLANK_HUMAN_MAP`). A caller naming why an image left a
    metric's mean (``saliency train``'s validation note) says it with this.
    A name not of :data:`FIX_KEYS` is refused (ValueError).
    """
    if metric not in FIX_KEYS:
        raise ValueError(f"unknown fixation metric {metric!r}; one of {', '.join(FIX_KEYS)}")
    if metric in ("CC", "KLD", "SIM"):
        return BLANK_HUMAN_MAP if human_map is None or not np.asarray(human_map).any() else None
    f = None if fixations is None else np.asarray(fixations) > 0
    nf = 0 if f is None else int(np.count_nonzero(f))
    if nf == 0:
        return NO_FIXATED_PIXEL
    if metric == "AUC_Judd" and nf == f.size:
        return EVERY_PIXEL_FIXATED
    if metric == "AUC_Borji" and nf < 2:
        return UNDER_TWO_FIXATED
    if metric == "sAUC" and (other is None or not np.asarray(other).any()):
        return NO_OTHER_FIXATIONS
    return None


# ----------------------------------------------------------------------------- per image + accumulator

@dataclass
class FixationImageScores:
    """Per-image fixation metric values (NaN where undefined or not computed)."""

    values: dict


def fixation_image_scores(pred: np.ndarray, fixations: np.ndarray | None, density: np.ndarray | None = None,
                          baseline: np.ndarray | None = None, *, other: np.ndarray | None = None,
                          seed: int = 0, index: int = 0, metrics=FIX_KEYS,
                          n_splits: int = 100, step: float = 0.1, log_density: bool = False,
                          metric_maps: bool = False, sigma_px: float = 0.0, blur=None) -> FixationImageScores:
    """Score one image.

    ``pred`` (any size, resized bilinearly to the fixation map; non-negative unless ``log_density``), ``fixations``
    (binary map or count map, nonzero = fixated; None for a dataset with
    human maps only, which then scores CC, KLD and SIM and leaves the rest
    NaN), ``density`` (continuous human map of the fixation map's size, finite
    and non-negative; CC/KLD/SIM need it), ``baseline`` (IG; a plain map or a log-density;
    default: the Gaussian centre bias taken as a density, not min-maxed), ``other`` (binary map of other images'
    fixations at this size, for sAUC). Random draws use
    ``default_rng([seed, index])``. Maps are 2-D (an H x W x 1 array is taken
    as H x W; a colour image is refused); ``metrics`` is a tuple of names of
    :data:`FIX_KEYS`, checked as :class:`FixationMetrics` checks them.

    ``log_density``: ``pred`` is a natural-log density over its pixels
    (:mod:`saliency.eval.probabilistic`); the other metrics then score the
    density ``exp(pred)``, or with ``metric_maps`` the metric-specific map of
    it (ECCV 2018; CC/KLD/SIM blurred by ``sigma_px``). A plain map is
    converted to a density for LL and IG by MIT's conversion (min-max, sum to
    1, ``eps``), so that IG = LL - LL(baseline) in both cases and equals MIT's
    ``InfoGain.m`` on a binary fixation map.
    """
    from saliency.eval import probabilistic as P

    metrics = _metric_names(metrics)
    pred = _as_map(pred, "pred")
    if not log_density and pred.size and np.less(pred, 0).any():  # as eval's read_prediction refuses a file
        raise UserError(f"`pred` contains negative values (min {float(np.nanmin(pred)):g}); a saliency map is "
                        "non-negative: clip or shift it, or pass a natural-log density with `log_density`=True")
    if baseline is not None:
        baseline = _as_map(baseline, "baseline")
    if density is not None:
        density = _as_map(density, "density")
        if not np.isfinite(density).all():
            raise UserError("`density` contains NaN or infinite values; a human map holds finite, non-negative "
                            "values")
        if density.size and density.min() < 0:
            raise UserError(f"`density` contains negative values (min {float(density.min()):g}); a human map is "
                            "non-negative")
    if fixations is None:
        if density is None:
            raise ValueError("an image needs fixations or a human density map")
        shape = density.shape
        fix = None
    else:
        fix = _as_map(fixations, "fixations")
        shape = fix.shape
    if log_density:
        logp = P.resize_log_density(pred, shape)
        if not np.isfinite(logp).all():
            raise ValueError("log-density contains NaN or infinite values")
        s = np.exp(logp)
    else:
        s = resize_to(pred, shape)
        if not np.isfinite(s).all():
            raise ValueError("prediction contains NaN or infinite values")
        logp = None
    if density is not None and density.shape != shape:
        raise ValueError(f"density map {density.shape} and fixation map {shape} differ in size")
    want = set(metrics)
    base_logp = None
    if want & {"IG", "LL", "sAUC"} and (fix is not None or metric_maps):
        # the default Gaussian is a density as it stands: min-maxed as a map file is (MIT's InfoGain.m), its
        # corners would get probability 0 and one fixation there about 40 bits of information gain
        base_logp = P.log_density_from_density(gaussian_center_bias(shape)) if baseline is None \
            else baseline_log_density(baseline, shape)
    if metric_maps:
        dens_logp = logp if logp is not None else P.log_density_from_density(P.density_from_map(s))

        def smap(k):
            return P.metric_map(dens_logp, k, sigma_px=sigma_px, baseline_logp=base_logp, blur=blur)
    else:
        def smap(k):
            return s
    rng_b = np.random.default_rng([seed, index, 0])
    rng_s = np.random.default_rng([seed, index, 1])
    v = {}
    if fix is not None:
        if "AUC_Judd" in want:
            v["AUC_Judd"] = auc_judd(smap("AUC_Judd"), fix)
        if "AUC_Borji" in want:
            v["AUC_Borji"] = auc_borji(smap("AUC_Borji"), fix, rng_b, n_splits, step)
        if "sAUC" in want:
            v["sAUC"] = (auc_shuffled(smap("sAUC"), fix, other, rng_s, n_splits, step) if other is not None
                         else float("nan"))
        if "NSS" in want:
            v["NSS"] = nss(smap("NSS"), fix)
        if want & {"LL", "IG"}:
            model_logp = logp if logp is not None else P.log_density_from_map(s)
            ll = P.log_likelihood(model_logp, fix)
            if "LL" in want:
                v["LL"] = ll
            if "IG" in want:
                v["IG"] = ll - P.log_likelihood(base_logp, fix)
    if density is not None and density.any():  # an all-zero human map (no fixations): left out,
        d = np.asarray(density, dtype=np.float64)  # not a CC 0, KLD 0 (best) and SIM 0 in the means
        if "CC" in want:
            v["CC"] = cc(smap("CC"), d)
        if "KLD" in want:
            v["KLD"] = kld(smap("KLD"), d)
        if "SIM" in want:
            v["SIM"] = sim(smap("SIM"), d)
    return FixationImageScores({k: v.get(k, float("nan")) for k in metrics})


_NO_COORDS = np.zeros((0, 2))


@dataclass
class FixationMetrics(MetricAccumulator):
    """Accumulator for fixation metrics over a dataset (MIT benchmark definitions).

    ``step(pred, fixations, density=None)`` per image, or ``add`` of
    :func:`fixation_image_scores` values computed elsewhere, then
    ``results()`` (the protocol of :mod:`saliency.eval.accumulator`).
    ``baseline``: IG baseline map for every image (default: Gaussian centre
    bias). sAUC needs the fixations of the other images: pass
    ``fixation_pool`` (one array of :func:`fixation_coords` per image, in
    image order) to score it on the fly. The pool is read once, at the first
    step after it is given (made, assigned to ``fixation_pool``, or after
    ``reset()``): a copy of the list, whose images with fixations are found
    then (a pass over n images costs O(n), not O(n) a step), and every step
    draws from that one pool. A change made to the list afterwards is not seen
    (an entry replaced in place is not looked for: that would cost O(n) a
    step); one that changes its length is refused at the next step. To draw
    from a changed list, assign it again (``acc.fixation_pool = pool``:
    later steps draw from it) or ``reset()`` and step every image again.
    Without a pool sAUC of the stepped images
    is computed in ``results()`` from what ``step`` kept: the prediction as
    passed (its own size and dtype, never upcast: a uint8 map keeps one byte a
    pixel) and the fixated pixels. The other images drawn for it are then the
    stepped ones (an image brought by ``add`` has no fixations here and is
    never drawn), and each value lands on the image it was stepped as, however
    ``add`` and ``step`` calls interleave.

    Memory: with ``fixation_pool`` no map is kept at all (only the scores), and
    neither is one for images brought by ``add`` -- the benchmark runner
    computes sAUC in its workers from the pool and passes the scores to
    ``add``, so it holds no maps. Only deferred sAUC (``step`` without a pool)
    keeps one map per image, as given; every pixel of the map can be drawn
    later (the other images' fixations are known only in ``results()``), so
    nothing smaller would give the same numbers.
    """

    metrics: tuple[str, ...] | None = None
    baseline: np.ndarray | None = None
    fixation_pool: list | None = None
    seed: int = 0
    n_others: int = 10
    n_splits: int = 100
    _scores: list = field(default_factory=list, repr=False)
    _coords: list = field(default_factory=list, repr=False)     # per image: fixation_coords (deferred pool)
    _deferred: dict = field(default_factory=dict, repr=False)   # image index -> (pred, shape, fixated (row, col))
    _sauc_for: int = field(default=-1, repr=False)              # len(self) when deferred sAUC was filled in
    _fixated: tuple | None = field(default=None, repr=False)    # (fixation_pool, its copy, fixated_images)

    task = "fixation"
    _label = "fixation"

    def __post_init__(self):
        _refuse_bare_name(self.metrics)
        self._check_metrics()

    def __setattr__(self, name, value):
        if name == "fixation_pool":  # given (again): read at the next step, even the same list changed in place
            object.__setattr__(self, "_fixated", None)
        object.__setattr__(self, name, value)

    def reset(self) -> None:
        """Forget every image seen so far."""
        self._scores.clear()
        self._coords.clear()
        self._deferred.clear()
        self._sauc_for = -1
        self._fixated = None

    def other_fixations(self, index: int, shape: tuple[int, int], pool: list,
                        fixated: np.ndarray | None = None) -> np.ndarray | None:
        """Union of the fixations of ``n_others`` random other images of ``pool``, mapped to ``shape``.

        ``fixated``: :func:`fixated_images` of ``pool`` when known (default: for ``fixation_pool``, the pool as
        read at the first step, see the class docstring; for another list, found here).
        """
        if fixated is None and pool is self.fixation_pool:
            pool, fixated = self._pool_read()
        coords = other_fixation_coords(pool, index, self.seed, self.n_others, fixated)
        return None if coords is None else coords_to_mask(coords, shape)

    def _pool_read(self) -> tuple[tuple, np.ndarray]:
        """``fixation_pool`` as read at the first step after it was given (a copy of the list) and its
        :func:`fixated_images`; a list whose length has changed since is refused (UserError)."""
        pool, read = self.fixation_pool, self._fixated
        if read is None or read[0] is not pool:
            copy = tuple(pool)
            read = self._fixated = (pool, copy, fixated_images(copy))
        elif len(pool) != len(read[1]):
            raise UserError(f"`fixation_pool` changed from {len(read[1])} to {len(pool)} entries after it was read "
                            "(at the first step); give every image's fixations before stepping, or assign the "
                            "changed list again (fixation_pool = pool) for the later steps")
        return read[1], read[2]

    def step(self, pred: np.ndarray, fixations: np.ndarray, density: np.ndarray | None = None,
             baseline: np.ndarray | None = None) -> FixationImageScores:
        """Score one image and remember its values; returns them (sAUC filled in by ``results()`` when deferred)."""
        index = len(self._scores)
        pred = _as_map(pred, "pred")  # an H x W x 1 map is kept (deferred sAUC) as the H x W map it is
        fix = _as_map(fixations, "fixations")  # likewise: its shape places the other images' fixations
        other = None
        deferred = "sAUC" in self.metrics and self.fixation_pool is None
        if "sAUC" in self.metrics and self.fixation_pool is not None:
            pool, fixated = self._pool_read()
            if index >= len(pool):
                raise ValueError("more images stepped than entries in fixation_pool")
            other = self.other_fixations(index, fix.shape, pool, fixated)
        sc = fixation_image_scores(pred, fix, density, self.baseline if baseline is None else baseline,
                                   other=other, seed=self.seed, index=index, metrics=self.metrics,
                                   n_splits=self.n_splits)
        coords = _NO_COORDS
        if deferred:
            f = fix > 0
            coords = fixation_coords(f)
            self._deferred[index] = (np.array(pred, copy=True), f.shape, np.argwhere(f))
        self._scores.append(sc)
        self._coords.append(coords)
        return sc

    def add(self, scores: FixationImageScores) -> None:
        """Keep one image's values computed elsewhere by :func:`fixation_image_scores` (e.g. in a worker)."""
        self._scores.append(scores)
        self._coords.append(_NO_COORDS)

    def _finish_deferred(self) -> None:
        """Score sAUC of every stepped image whose sAUC waited for the other images' fixations."""
        if not self._deferred or self._sauc_for == len(self._scores):
            return
        fixated = fixated_images(self._coords)  # once for every image: the draws read it, not the pool
        for i, (pred, shape, points) in self._deferred.items():
            s = resize_to(pred, shape)
            f = points_to_mask(points, shape)
            other = self.other_fixations(i, shape, self._coords, fixated)
            rng = np.random.default_rng([self.seed, i, 1])
            self._scores[i].values["sAUC"] = (auc_shuffled(s, f, other, rng, self.n_splits)
                                              if other is not None else float("nan"))
        self._sauc_for = len(self._scores)

    def _aggregate(self) -> tuple[dict, dict, dict]:
        """Mean of each metric over the images where it is defined, and the images left out of each.

        Images are left out of a metric where it is undefined (no fixations,
        no density map, no other image for sAUC); a key no image could score
        is NaN.
        """
        self._finish_deferred()
        values, excluded = {}, {}
        for k in self.metrics:
            vals = np.array([s.values.get(k, np.nan) for s in self._scores], dtype=np.float64)
            ok = np.isfinite(vals)
            values[k] = float(vals[ok].mean()) if ok.any() else float("nan")
            excluded[k] = int((~ok).sum())
        return values, excluded, {}


def baseline_readers(keys, metric_maps: bool) -> list[str]:
    """The metrics of ``keys`` that read the IG baseline: IG, and sAUC when scored on its metric-specific map.

    With the gold standard (whose density mixes in the baseline) these are
    all that read it, and only on images with fixation points.
    """
    return [k for k in keys if k == "IG" or (metric_maps and k == "sAUC")]


def reads_baseline(keys, metric_maps: bool, gold_standard: bool, ds) -> bool:
    """Whether scoring ``keys`` (with ``metric_maps``, ``gold_standard``) reads the IG baseline on the dataset
    ``ds``: a metric of :func:`baseline_readers` or the gold standard, and ``ds`` has fixation points."""
    return bool(baseline_readers(keys, metric_maps) or gold_standard) and ds.has_points

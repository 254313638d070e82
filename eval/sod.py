"""Salient-object-detection metrics, numerically identical to PySODMetrics 1.6.2.

Implements, with PySODMetrics' exact conventions (``../shared/REFERENCES.md``
section 1; lartpang/PySODMetrics ``py_sod_metrics/sod_metrics.py``):

- MAE (Perazzi et al., "Saliency filters", CVPR 2012);
- F-measure, beta^2 = 0.3, adaptive / mean / max and the 256-threshold
  precision-recall curve (Achanta et al., "Frequency-tuned salient region
  detection", CVPR 2009);
- S-measure, alpha = 0.5 (Fan et al., "Structure-measure", ICCV 2017);
- E-measure, adaptive / mean / max and its curve (Fan et al., "Enhanced-alignment
  measure for binary foreground map evaluation", IJCAI 2018);
- weighted F-measure, beta^2 = 1 (Margolin et al., "How to evaluate foreground
  maps?", CVPR 2014);
- pixel ROC AUC of the quantised prediction (the same 256 levels as the curves).

Why it is faster than the reference while giving the same numbers: the
prediction is uint8, so its normalisation is a 256-entry lookup table and every
threshold metric (F, E, AUC, adaptive values, MAE, the object part of S) is a
function of the joint histogram of (level, GT) — one ``np.bincount`` per image
instead of a dozen passes. The four S-measure regions use one histogram per
region. The weighted F-measure uses OpenCV's exact Euclidean distance transform
(squared distances recovered exactly from its float32 output) and rebuilds
SciPy's nearest-feature choice (nearest GT pixel, ties to the smallest column,
then the smallest row; Maurer et al. 2003 as implemented in
``scipy.ndimage``) only in the 3-pixel band that the 7x7 Gaussian can reach; the
Gaussian itself runs separably in OpenCV with zero padding.

Departure: PySODMetrics returns NaN for the S-measure when the GT centroid falls
in the last row or column (a region of the split is empty, its weight is 0 and
``0 * NaN`` is NaN); here an empty region contributes 0, so the score is finite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from saliency.base.errors import UserError
from saliency.eval.accumulator import MetricAccumulator
from saliency.eval.fixation import MapInputError, two_d_map
from saliency.eval.metrics import families, keys_for

EPS = np.spacing(1)
BETA2_F = 0.3
ALPHA_S = 0.5

SOD_KEYS = keys_for("sod")
"""Keys of :meth:`SODMetrics.results`, in table order (from :mod:`saliency.eval.metrics`)."""

_LEVELS = np.arange(256)


def normalisation_lut(pred: np.ndarray) -> np.ndarray:
    """Return the 256-entry float64 table mapping a uint8 level to PySODMetrics' normalised value.

    ``pred / 255`` then min-max stretched unless constant (MATLAB
    ``mapminmax(im2double(pred))``), computed per level with the same float
    operations as ``py_sod_metrics.utils.prepare_data``, so ``lut[pred]`` is
    bit-identical to the reference's normalised prediction.
    """
    x = _LEVELS / 255
    mn, mx = int(pred.min()), int(pred.max())
    if mx != mn:
        x = (x - x[mn]) / (x[mx] - x[mn])
    return x


def _lut_apply(pred: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``lut[pred]`` for a uint8 ``pred`` and a 256-entry float64 ``lut`` (OpenCV's table lookup, same values)."""
    import cv2

    return cv2.LUT(np.ascontiguousarray(pred), lut)


def _as_u8_map(a, name: str) -> np.ndarray:
    """``a`` as a 2-D uint8 map (an H x W x 1 array taken as H x W, as :func:`fixation_image_scores` takes its
    maps); anything else is a :class:`MapInputError` naming ``name`` and saying how to make the uint8 map."""
    if not isinstance(a, np.ndarray):
        raise MapInputError(f"`{name}` is a {type(a).__name__}, not a numpy array: give a 2-D uint8 array "
                            "(H x W, levels 0-255), as saliency eval reads from a PNG")
    if a.dtype != np.uint8:
        if a.dtype == np.bool_:
            how = f"a binary mask: {name}.astype(np.uint8) * 255 (True as 255; 0/1 levels would all be background)"
        elif np.issubdtype(a.dtype, np.floating):
            how = (f"a float map in 0-1: multiply by 255 and round to uint8, np.round({name} * 255)"
                   ".astype(np.uint8), as saliency eval reads PNGs")
        else:
            how = f"levels already in 0-255: {name}.astype(np.uint8)"
        raise MapInputError(f"`{name}` is {a.dtype}; give uint8 levels 0-255 ({how})")
    return two_d_map(a, name)


def check_pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pred, gt)`` as 2-D uint8 arrays of one size (H x W x 1 taken as H x W), else a :class:`MapInputError`
    (a UserError and a ValueError) naming the parameter and what to do."""
    pred, gt = _as_u8_map(pred, "pred"), _as_u8_map(gt, "gt")
    if pred.shape != gt.shape:
        raise MapInputError(f"`pred` {pred.shape} and `gt` {gt.shape} differ in size; resize `pred` to the GT's "
                            "size first")
    if pred.size == 0:
        raise MapInputError(f"`pred` and `gt` are empty (shape {gt.shape}); give maps of at least one pixel")
    return pred, gt


# ----------------------------------------------------------------------------- per-image pieces

def _threshold_curves(h1: np.ndarray, h0: np.ndarray, qlut: np.ndarray, n_fg: int, n: int):
    """Cumulative fg/bg counts at the 256 thresholds, ">= 255" first (reference order)."""
    fg_hist = np.bincount(qlut, weights=h1, minlength=256).astype(np.int64)
    bg_hist = np.bincount(qlut, weights=h0, minlength=256).astype(np.int64)
    fg_w = np.cumsum(np.flip(fg_hist), axis=0)
    bg_w = np.cumsum(np.flip(bg_hist), axis=0)
    return fg_hist, bg_hist, fg_w, bg_w


def _f_curves(fg_w: np.ndarray, bg_w: np.ndarray, n_fg: int):
    """Precision, recall and F-measure per threshold, exactly as ``Fmeasure.cal_pr``."""
    TPs = fg_w
    Ps = fg_w + bg_w
    Ps[Ps == 0] = 1
    T = max(n_fg, 1)
    precisions = TPs / Ps
    recalls = TPs / T
    numerator = (1 + BETA2_F) * precisions * recalls
    denominator = np.where(numerator == 0, 1, BETA2_F * precisions + recalls)
    return precisions, recalls, numerator / denominator


def _em_parts(fg_fg, fg_bg, pred_fg, pred_bg, n_fg, n):
    """Enhanced-alignment sums, the reference's ``generate_parts_numel_combinations`` + sum."""
    bg_fg = n_fg - fg_fg
    bg_bg = pred_bg - bg_fg
    parts = [fg_fg, fg_bg, bg_fg, bg_bg]
    mean_pred = pred_fg / n
    mean_gt = n_fg / n
    dp_fg, dp_bg = 1 - mean_pred, 0 - mean_pred
    dg_fg, dg_bg = 1 - mean_gt, 0 - mean_gt
    combos = [(dp_fg, dg_fg), (dp_fg, dg_bg), (dp_bg, dg_fg), (dp_bg, dg_bg)]
    out = []
    for numel, (a, b) in zip(parts, combos):
        align = 2 * (a * b) / (a ** 2 + b ** 2 + EPS)
        out.append((align + 1) ** 2 / 4 * numel)
    return out


def _e_curve(fg_w: np.ndarray, bg_w: np.ndarray, n_fg: int, n: int) -> np.ndarray:
    """E-measure per threshold, exactly as ``Emeasure.cal_em_with_cumsumhistogram``."""
    pred_fg = fg_w + bg_w
    pred_bg = n - pred_fg
    if n_fg == 0:
        s = pred_bg
    elif n_fg == n:
        s = pred_fg
    else:
        parts = _em_parts(fg_w, bg_w, pred_fg, pred_bg, n_fg, n)
        res = np.empty((4, 256), dtype=np.float64)
        for i, p in enumerate(parts):
            res[i] = p
        s = res.sum(axis=0)
    return s / (n - 1 + EPS)


def _e_adaptive(fg_fg: int, fg_bg: int, n_fg: int, n: int) -> float:
    """E-measure of one binarisation, exactly as ``Emeasure.cal_em_with_threshold``."""
    pred_fg = fg_fg + fg_bg
    pred_bg = n - pred_fg
    if n_fg == 0:
        s = pred_bg
    elif n_fg == n:
        s = pred_fg
    else:
        s = sum(_em_parts(fg_fg, fg_bg, pred_fg, pred_bg, n_fg, n))
    return s / (n - 1 + EPS)


def _s_object(h: np.ndarray, vals: np.ndarray) -> float:
    """Object score of the values ``vals`` weighted by counts ``h`` (mean, std ddof=1)."""
    n = int(h.sum())
    mean = float(h @ vals) / n
    std = np.sqrt(float(h @ (vals - mean) ** 2) / (n - 1)) if n > 1 else 0
    return 2 * mean / (mean ** 2 + 1 + std + EPS)


def _ssim_region(h1: np.ndarray, h0: np.ndarray, lut: np.ndarray, P: np.ndarray, sl) -> float:
    """SSIM of one S-measure region from its (level, GT) histogram.

    Degenerate regions (constant GT) are decided exactly as the reference
    decides them; see the module docstring.
    """
    hp = h1 + h0
    N = int(hp.sum())
    if N == 0:
        return 0.0
    nf = int(h1.sum())
    y = nf / N
    if nf == 0 or nf == N:
        # Reference: sigma_xy = sigma_y = 0 exactly, so alpha = 0 and the score is
        # 1 iff beta = (x^2 + y^2) * sigma_x is exactly 0, i.e. iff the region's
        # prediction is one level c and numpy's mean of it is exactly c.
        nz = np.flatnonzero(hp)
        if nz.size != 1:
            return 0.0
        return 1.0 if P[sl].mean() == lut[nz[0]] else 0.0
    x = float(hp @ lut) / N
    d = lut - x
    denom = N - 1 + EPS
    sigma_x = float(hp @ (d * d)) / denom
    sigma_y = (nf * (1 - y) ** 2 + (N - nf) * y ** 2) / denom
    sigma_xy = (float(h1 @ d) * (1 - y) - float(h0 @ d) * y) / denom
    alpha = 4 * x * y * sigma_xy
    beta = (x ** 2 + y ** 2) * (sigma_x + sigma_y)
    if alpha != 0:
        return alpha / (beta + EPS)
    return 1.0 if beta == 0 else 0.0


def _gauss_1d(size: int = 7, sigma: float = 5.0) -> np.ndarray:
    """1-D factor of MATLAB ``fspecial('gaussian', size, sigma)`` (normalised)."""
    m = (size - 1) / 2
    x = np.arange(-m, m + 1)
    k = np.exp(-(x * x) / (2 * sigma * sigma))
    return k / k.sum()


_K1 = _gauss_1d()
# Candidate offsets (dy, dx) of the nearest GT pixel for each squared distance
# d2 <= 18 (the farthest a background pixel within the filter's reach, 3 pixels
# in each axis, can be from the GT), in SciPy's tie order: smallest column,
# then smallest row. Rows padded with the (0, 0) offset, which is never a GT
# pixel for a background pixel, so they never win.
_MAX_D2 = 18
_OFF_DY = np.zeros((_MAX_D2 + 1, 8), np.int64)
_OFF_DX = np.zeros((_MAX_D2 + 1, 8), np.int64)
for _d2 in range(1, _MAX_D2 + 1):
    _offs = sorted(((dy, dx) for dy in range(-4, 5) for dx in range(-4, 5) if dy * dy + dx * dx == _d2),
                   key=lambda o: (o[1], o[0]))
    for _i, (_dy, _dx) in enumerate(_offs):
        _OFF_DY[_d2, _i], _OFF_DX[_d2, _i] = _dy, _dx
_PAD = 4


def _edt32(bg: np.ndarray) -> np.ndarray:
    """OpenCV's exact (``DIST_MASK_PRECISE``) Euclidean distance to the nearest GT pixel, float32."""
    import cv2

    return cv2.distanceTransform(bg.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def _exact_d2(d32: np.ndarray) -> np.ndarray:
    """Exact integer squared distances (int32) from OpenCV's float32 distances.

    Squares are integers and OpenCV's float32 root is within 6e-8 relative, so
    the float32 square (one more 6e-8 rounding) rounded to the nearest integer
    recovers them exactly while distances stay below 1024 (error < 0.2); beyond
    that the caller falls back to SciPy.
    """
    import cv2

    return cv2.multiply(d32, d32, dtype=cv2.CV_32S)


_BG_WEIGHT = np.zeros(1)


def _bg_weight(max_d2: int) -> np.ndarray:
    """Table ``w[d2] = 2 - exp(log(0.5) / 5 * sqrt(d2))`` (``w[0] = 0``) up to at least ``max_d2``.

    The reference's background weight B at squared distance ``d2``, computed
    with the same float64 operations, so ``w[d2]`` is bit-identical to it; 0 at
    ``d2 = 0`` (GT pixels), which drops them from the background sum.
    """
    global _BG_WEIGHT
    if _BG_WEIGHT.size <= max_d2:
        n = max(max_d2 + 1, 2 * _BG_WEIGHT.size, 1 << 16)
        w = 2 - np.exp(np.log(0.5) / 5 * np.sqrt(np.arange(n, dtype=np.float64)))
        w[0] = 0.0
        _BG_WEIGHT = w
    return _BG_WEIGHT


def weighted_fmeasure(P: np.ndarray, g: np.ndarray, beta2: float = 1.0) -> float:
    """Weighted F-measure (Margolin et al. 2014) of normalised ``P`` against boolean ``g``.

    Same value as ``py_sod_metrics.WeightedFmeasure`` (empty GT -> 0). Only the
    background weight needs the distance transform over the whole image; the
    error map, its nearest-GT fill and the Gaussian run on the GT's bounding
    box grown by the filter's 3-pixel reach, the only pixels read on the GT.
    """
    import cv2

    if not g.any():
        return 0.0
    H, W = g.shape
    g8 = g.view(np.uint8)
    d32 = _edt32(~g)
    dmax = float(d32.max())
    if dmax > 1024:
        from scipy.ndimage import distance_transform_edt

        bg = ~g
        Dst_bg = distance_transform_edt(bg)[bg]
        FPw = float((P[bg] * (2 - np.exp(np.log(0.5) / 5 * Dst_bg))).sum())
        d2 = None
    else:
        d2 = _exact_d2(d32)
        # Off the GT: E = P, weight B = 2 - exp(log(0.5) / 5 * distance);
        # the table's 0 at d2 = 0 leaves the GT pixels out. Multiply and sum,
        # not a BLAS dot: a threaded BLAS on a busy machine was 10x slower.
        wb = _bg_weight(int(dmax * dmax) + 1).take(d2.ravel())
        FPw = float(np.multiply(P.ravel(), wb, out=wb).sum())
    # The GT's bounding box plus the 3-pixel reach of the 7x7 filter.
    bx, by, bw, bh = cv2.boundingRect(g8)
    y0, y1 = max(by - 3, 0), min(by + bh + 3, H)
    x0, x1 = max(bx - 3, 0), min(bx + bw + 3, W)
    gc = g[y0:y1, x0:x1]
    Pc = P[y0:y1, x0:x1]
    h, w = gc.shape
    # Et: E = |P - GT| = 1 - P on the GT; on background pixels within the
    # filter's reach, E at their nearest GT pixel (SciPy's choice among ties).
    # Farther pixels never reach a GT pixel through the filter and the
    # filtered map is only read on the GT, so they stay 0.
    Eg = 1 - Pc
    Et = np.where(gc, Eg, 0.0)
    gp = cv2.copyMakeBorder(gc.view(np.uint8), _PAD, _PAD, _PAD, _PAD, cv2.BORDER_CONSTANT, value=0)
    band = cv2.dilate(gp, np.ones((7, 7), np.uint8), borderType=cv2.BORDER_CONSTANT,
                      borderValue=0)[_PAD:-_PAD, _PAD:-_PAD].view(bool) & ~gc
    idx = np.flatnonzero(band)
    if idx.size:
        r, c = np.divmod(idx, w)
        if d2 is not None:
            bd2 = d2[y0:y1, x0:x1].ravel()[idx].astype(np.int64)
        else:
            bd2 = np.rint(d32[y0:y1, x0:x1].ravel()[idx].astype(np.float64) ** 2).astype(np.int64)
        Wp = w + 2 * _PAD
        pidx = (r + _PAD) * Wp + (c + _PAD)
        cand = pidx[:, None] + _OFF_DY[bd2] * Wp + _OFF_DX[bd2]
        first = gp.ravel()[cand].argmax(axis=1)
        sr, sc = np.divmod(cand[np.arange(idx.size), first], Wp)
        Et.ravel()[idx] = Eg[sr - _PAD, sc - _PAD]
    EA = cv2.sepFilter2D(Et, cv2.CV_64F, _K1, _K1, borderType=cv2.BORDER_CONSTANT)
    # On the GT: min(EA, E) (weight B = 1).
    ew_fg = float(np.minimum(EA, Eg).sum(where=gc))
    n_fg = int(np.count_nonzero(gc))
    TPw = n_fg - ew_fg
    R = 1 - ew_fg / n_fg
    Pw = TPw / (TPw + FPw + EPS)
    return (1 + beta2) * R * Pw / (R + beta2 * Pw + EPS)


@dataclass
class SODImageScores:
    """Per-image SOD values; ``SODMetrics`` averages these. NaN where not computed."""

    mae: float = np.nan
    fadp: float = np.nan
    smeasure: float = np.nan
    eadp: float = np.nan
    wf: float = np.nan
    auc: float = np.nan  # NaN also when the GT is empty or full (no ROC)
    precision: np.ndarray | None = None
    recall: np.ndarray | None = None
    fcurve: np.ndarray | None = None
    ecurve: np.ndarray | None = None
    auc_defined: bool = False


def _all_families() -> set[str]:
    return families(SOD_KEYS)


def _refuse_bare_name(names, param: str, what: str) -> None:
    """A bare string is not a collection of names (``set("mae")`` is m, a, e): refused, naming ``param``."""
    if isinstance(names, str):
        example = f"({names!r},)" if param == "metrics" else f"{{{names!r}}}"
        raise UserError(f"`{param}` {names!r}: give a collection of {what}, e.g. {example}, not a bare string")


def _family_set(fams) -> set[str]:
    """``fams`` as a set of known family names (None: all); unknown names are a UserError naming ``families``."""
    allowed = _all_families()
    if fams is None:
        return allowed
    _refuse_bare_name(fams, "families", "family names")
    fam = set(fams)
    bad = sorted(map(str, fam - allowed))
    if bad:
        order = [families((k,)).pop() for k in SOD_KEYS]
        choices = ", ".join(dict.fromkeys(order))
        raise UserError(f"`families` {bad}: unknown; choose from {choices} (families, not metric names: "
                        "SODMetrics takes metric names)")
    return fam


def sod_image_scores(pred: np.ndarray, gt: np.ndarray, families=None) -> SODImageScores:
    """Score one (pred, gt) pair of equal-size uint8 arrays (an H x W x 1 array taken as H x W).

    ``families`` is a set among {"mae", "f", "s", "e", "wf", "auc"} (default:
    all; another name or a bare string is refused). GT is binarised as ``gt > 128``; the prediction normalised as in
    :func:`normalisation_lut`.
    """
    pred, gt = check_pair(pred, gt)
    fam = _family_set(families)
    H, W = gt.shape
    n = H * W
    g = gt > 128
    lut = normalisation_lut(pred)
    out = SODImageScores()
    need_P = bool(fam & {"f", "e", "s", "wf"})
    P = _lut_apply(pred, lut) if need_P else None
    code = g.view(np.uint8).astype(np.uint16) << 8
    code |= pred
    n_fg = None

    # Joint (level, GT) histograms; per S-measure region when S is wanted.
    regions = None
    if "s" in fam:
        n_fg = int(np.count_nonzero(g))
        if 0 < n_fg < n:
            rows = np.count_nonzero(g, axis=1)
            cols = np.count_nonzero(g, axis=0)
            cy = np.round(int(rows @ np.arange(H)) / n_fg)
            cx = np.round(int(cols @ np.arange(W)) / n_fg)
            cy, cx = int(cy) + 1, int(cx) + 1
            sls = [(slice(0, cy), slice(0, cx)), (slice(0, cy), slice(cx, W)),
                   (slice(cy, H), slice(0, cx)), (slice(cy, H), slice(cx, W))]
            hists = [np.bincount(code[s].ravel(), minlength=512) for s in sls]
            regions = (cy, cx, sls, hists)
            hist = hists[0] + hists[1] + hists[2] + hists[3]
    if regions is None:
        hist = np.bincount(code.ravel(), minlength=512)
    h0, h1 = hist[:256], hist[256:]
    if n_fg is None:
        n_fg = int(h1.sum())

    if "mae" in fam:
        out.mae = float(h1 @ (1 - lut) + h0 @ lut) / n

    if fam & {"f", "e"}:
        thr = min(2 * P.mean(), 1)
        sel = lut >= thr
        fg_fg = int(h1[sel].sum())
        fg_bg = int(h0[sel].sum())
    if fam & {"f", "e", "auc"}:
        qlut = (lut * 255).astype(np.uint8)
        fg_hist, bg_hist, fg_w, bg_w = _threshold_curves(h1, h0, qlut, n_fg, n)
    if "f" in fam:
        out.precision, out.recall, out.fcurve = _f_curves(fg_w.copy(), bg_w, n_fg)
        if fg_fg == 0:
            out.fadp = 0.0
        else:
            pre = fg_fg / (fg_fg + fg_bg)
            rec = fg_fg / n_fg
            out.fadp = (1 + BETA2_F) * pre * rec / (BETA2_F * pre + rec)
    if "e" in fam:
        out.ecurve = _e_curve(fg_w, bg_w, n_fg, n)
        out.eadp = _e_adaptive(fg_fg, fg_bg, n_fg, n)
    if "auc" in fam:
        n_bg = n - n_fg
        if n_fg > 0 and n_bg > 0:
            below = np.cumsum(bg_hist) - bg_hist  # bg pixels at a strictly lower level
            out.auc = float(fg_hist @ (below + 0.5 * bg_hist)) / (n_fg * n_bg)
            out.auc_defined = True
    if "s" in fam:
        y = n_fg / n
        if y == 0:
            out.smeasure = 1 - P.mean()
        elif y == 1:
            out.smeasure = P.mean()
        else:
            obj = (_s_object(h1, lut) * y + _s_object(h0, 1 - lut) * (1 - y))
            cy, cx, sls, hists = regions
            area = n
            w_lt = cx * cy / area
            w_rt = cy * (W - cx) / area
            w_lb = (H - cy) * cx / area
            w_rb = 1 - w_lt - w_rt - w_lb
            reg = 0.0
            for wgt, s, h in zip((w_lt, w_rt, w_lb, w_rb), sls, hists):
                reg += _ssim_region(h[256:], h[:256], lut, P, s) * wgt
            out.smeasure = max(0.0, obj * ALPHA_S + reg * (1 - ALPHA_S))
    if "wf" in fam:
        out.wf = weighted_fmeasure(P, g)
    return out


@dataclass
class SODMetrics(MetricAccumulator):
    """Accumulator for SOD metrics over a dataset (PySODMetrics 1.6.2 conventions).

    ``step(pred, gt)`` per image (uint8 arrays of equal size) or ``add`` of
    :func:`sod_image_scores` values computed elsewhere, then ``results()``
    (the protocol of :mod:`saliency.eval.accumulator`). Curves are averaged
    over images first; max/mean F and E are the max/mean of that mean curve;
    the other values are plain means. Only AUC leaves images out (an empty or
    full GT has no ROC).
    """

    metrics: tuple[str, ...] | None = None
    _scores: list = field(default_factory=list, repr=False)

    task = "sod"
    _label = "SOD"

    def __post_init__(self):
        _refuse_bare_name(self.metrics, "metrics", "metric names")
        self._check_metrics()
        self.families = families(self.metrics)

    def step(self, pred: np.ndarray, gt: np.ndarray) -> SODImageScores:
        """Score one image and remember its values; returns them."""
        s = sod_image_scores(pred, gt, self.families)
        self._scores.append(s)
        return s

    def _aggregate(self) -> tuple[dict, dict, dict]:
        """The metric values, ``{"AUC": images without a ROC}`` and ``{"curves": mean curves}``."""
        S = self._scores
        res: dict = {}
        excluded: dict = {}
        f = self.families

        def mean_of(attr):
            return float(np.mean(np.array([getattr(s, attr) for s in S], dtype=np.float64)))

        curves = {}
        if "mae" in f:
            res["MAE"] = mean_of("mae")
        if "f" in f:
            fc = np.mean(np.array([s.fcurve for s in S], dtype=np.float64), axis=0)
            curves["precision"] = np.mean(np.array([s.precision for s in S], dtype=np.float64), axis=0)
            curves["recall"] = np.mean(np.array([s.recall for s in S], dtype=np.float64), axis=0)
            curves["F"] = fc
            res["Fmax"], res["Fmean"], res["Fadp"] = float(fc.max()), float(fc.mean()), mean_of("fadp")
        if "s" in f:
            res["Smeasure"] = mean_of("smeasure")
        if "e" in f:
            ec = np.mean(np.array([s.ecurve for s in S], dtype=np.float64), axis=0)
            curves["E"] = ec
            res["Emax"], res["Emean"], res["Eadp"] = float(ec.max()), float(ec.mean()), mean_of("eadp")
        if "wf" in f:
            res["wF"] = mean_of("wf")
        if "auc" in f:
            vals = [s.auc for s in S if s.auc_defined]
            res["AUC"] = float(np.mean(vals)) if vals else float("nan")
            excluded["AUC"] = len(S) - len(vals)
        return res, excluded, {"curves": curves}

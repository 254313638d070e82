"""Classic saliency models and centre biases: the baselines every fixation or SOD table should carry.

Torch-free (numpy, OpenCV, scipy), each written from its paper:

- ``centre-bias``: the dataset centre bias, a density fitted to the training
  split's fixations (:func:`fit_centre_bias`: a Gaussian kernel density of all
  training fixations mixed with the uniform density, bandwidth and mixture
  weight chosen by two-fold log-likelihood over the training images; as the
  centre-bias baseline of Kümmerer, Wallis & Bethge, PNAS 2015).
- ``gaussian-centre``: an anisotropic Gaussian at the image centre, sigma a
  quarter of each side (:func:`saliency.eval.fixation.gaussian_center_bias`).
- ``itti-koch``: Itti, Koch & Niebur, "A model of saliency-based visual
  attention for rapid scene analysis", IEEE TPAMI 1998: dyadic Gaussian
  pyramids of intensity, red-green and blue-yellow opponency and four Gabor
  orientations; centre-surround differences at centre scales 2-4 and surround
  scales c + 3, c + 4; the map normalisation operator N(.) (scale to [0, 1],
  multiply by (1 - mean of the other local maxima)^2); conspicuity maps summed
  at scale 4, the saliency map their normalised mean.
- ``spectral-residual``: Hou & Zhang, "Saliency detection: a spectral residual
  approach", CVPR 2007, as the authors' published code (SR.m) computes it: on
  the grey image shrunk to 64 px wide, the log amplitude spectrum minus its
  3x3 local mean (edges replicated), recombined with the phase, squared
  magnitude of the inverse transform, then ``imfilter(map, fspecial('gaussian',
  [10 10], 2.5))``: a 10 x 10 Gaussian window of sigma 2.5 with zeros past the
  map's edge, its even window anchored as MATLAB anchors it (offsets -4..5).
  The paper's text gives sigma 8; at 64 px with zero padding that blur is
  mostly a centre prior (OSIE: it beat the dataset centre bias), so the code's
  setting is followed. Departures from SR.m: the grey image is the channel
  mean and the shrink is OpenCV's area average (MATLAB: ``rgb2gray``,
  bicubic ``imresize``); the working height is ``round(64 * h / w)`` (SR.m's
  ``imresize`` gives the ceiling: one row fewer on e.g. 768 x 1024 portraits,
  85 rows, not 86), held within 8 .. 512 rows (SR.m has no bound): an image
  more than 8 times taller than wide is squeezed to 8:1 (a 1 x 8000 px column
  works at 64 x 512, not 64 x 512,000); every image within 1:8 .. 8:1 is unchanged.
- ``gbvs``: Harel, Koch & Perona, "Graph-based visual saliency", NIPS 2006:
  the same feature channels on a coarse grid; activation = the equilibrium of
  a Markov chain whose edge i->j weighs |log(M_i / M_j)| x a Gaussian of the
  distance (sigma 0.15 of the grid's longer side); normalisation = a second chain
  weighted by the activation at the target; the channels summed, blurred and
  brought back to the image size.
- ``frequency-tuned`` (salient objects): Achanta, Hemami, Estrada &
  Süsstrunk, "Frequency-tuned salient region detection", CVPR 2009: the
  Euclidean distance in CIE Lab between each pixel of the 5x5-binomial-blurred
  image and the image's mean colour.

Every model takes an RGB image (H x W x 3, uint8 or float in [0, 1]) and
returns a non-negative float64 map of the image's size. Registry:
:data:`BASELINES`, :func:`list_baselines`, :func:`compute_baseline`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from saliency.base.errors import UserError
from saliency.eval.tables import counted


# ----------------------------------------------------------------------------- helpers

def _float_rgb(img: np.ndarray) -> np.ndarray:
    a = np.asarray(img)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=2)
    if a.ndim != 3 or a.shape[2] < 3:
        raise ValueError(f"expected an RGB image (H x W x 3), got shape {a.shape}")
    a = a[..., :3]
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    return np.clip(a.astype(np.float32), 0.0, 1.0)


def _resize(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    import cv2

    a = np.asarray(a, dtype=np.float32)
    if a.shape[:2] == tuple(shape):
        return a
    return cv2.resize(a, (int(shape[1]), int(shape[0])), interpolation=cv2.INTER_LINEAR)


def _norm01(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    mn, mx = a.min(), a.max()
    return np.zeros_like(a) if mx <= mn else (a - mn) / (mx - mn)


def _pyramid(a: np.ndarray, levels: int) -> list[np.ndarray]:
    import cv2

    out = [a.astype(np.float32)]
    for _ in range(1, levels):
        prev = out[-1]
        if min(prev.shape[:2]) < 2:
            out.append(prev)
        else:
            out.append(cv2.pyrDown(prev))
    return out


def _gabor_kernels() -> list[np.ndarray]:
    import cv2

    # Itti et al. use Gabor pyramids at 0, 45, 90 and 135 degrees; a 9x9 kernel at pyramid scale.
    return [cv2.getGaborKernel((9, 9), 2.0, np.deg2rad(t), 5.0, 0.5, 0, ktype=cv2.CV_32F) for t in (0, 45, 90, 135)]


def _opponency(rgb: np.ndarray):
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    inten = (r + g + b) / 3.0
    # Hue is decoupled from intensity by dividing by I where I > 1/10 of its maximum (Itti et al. 1998).
    mask = inten > 0.1 * max(float(inten.max()), 1e-6)
    den = np.where(mask, inten, 1.0)
    rn, gn, bn = (np.where(mask, c / den, 0.0) for c in (r, g, b))
    R = np.clip(rn - (gn + bn) / 2, 0, None)
    G = np.clip(gn - (rn + bn) / 2, 0, None)
    B = np.clip(bn - (rn + gn) / 2, 0, None)
    Y = np.clip((rn + gn) / 2 - np.abs(rn - gn) / 2 - bn, 0, None)
    return inten.astype(np.float32), (R - G).astype(np.float32), (B - Y).astype(np.float32)


def itti_normalize(m: np.ndarray) -> np.ndarray:
    """Itti's N(.): scale to [0, 1], then multiply by (1 - mean of the other local maxima)^2.

    Local maxima are the pixels equal to the maximum of their 3x3
    neighbourhood and above 5% of the global maximum (a plateau counts once per pixel).
    """
    from scipy.ndimage import maximum_filter

    m = _norm01(m)
    if not m.any():
        return m
    peaks = (m == maximum_filter(m, size=3, mode="constant")) & (m > 0.05)
    vals = m[peaks]
    others = vals[vals < 1.0]
    mbar = float(others.mean()) if others.size else 0.0
    return m * (1.0 - mbar) ** 2


# ----------------------------------------------------------------------------- models

def gaussian_centre(img: np.ndarray) -> np.ndarray:
    """Gaussian centre bias of the image's size (sigma = 1/4 of each side), independent of content."""
    from saliency.eval.fixation import gaussian_center_bias

    h, w = np.asarray(img).shape[:2]
    return gaussian_center_bias((h, w))


#: a centre-surround map whose maximum is at most this fraction of the larger absolute value of its two
#: pyramid levels is float32 rounding, not contrast: it is taken as zero (on uniform images of any size and
#: colour the rounding stays below 5e-6 of it, Gabor sums included; on real photos the smallest is about 0.3)
ITTI_FLAT_TOLERANCE = 1e-4


def _centre_surround(centre: np.ndarray, surround: np.ndarray) -> np.ndarray:
    """``|centre - surround|`` (the surround upsampled to the centre's size), all zero when it is only rounding.

    Zero when its maximum is at most :data:`ITTI_FLAT_TOLERANCE` x the larger
    absolute value of the two levels: N(.) would otherwise stretch the float32
    rounding of a uniform image to a full-range map.
    """
    up = _resize(surround, centre.shape[:2])
    d = np.abs(centre - up)
    scale = max(float(np.abs(centre).max(initial=0.0)), float(np.abs(up).max(initial=0.0)))
    if float(d.max(initial=0.0)) <= ITTI_FLAT_TOLERANCE * scale:
        return np.zeros_like(d)
    return d


def itti_koch(img: np.ndarray) -> np.ndarray:
    """Itti, Koch & Niebur (1998) saliency map at the image's size (see the module docstring).

    A centre-surround map that is only float32 rounding (maximum at most
    :data:`ITTI_FLAT_TOLERANCE` = 1e-4 of its levels' magnitude) counts as zero
    before N(.) rescales it, so a uniform image gives an all-zero map.
    The Gabor kernels are OpenCV's ``getGaborKernel`` (9 x 9, sigma 2,
    lambda 5, gamma 0.5, psi 0), not made zero-mean: their DC response is
    0.909 at 0 and 90 degrees and 3.66 at 45 and 135 degrees, so the
    orientation channel also answers brightness (SaliencyToolbox's
    ``makeGaborFilter.m`` subtracts the mean).
    """
    import cv2

    rgb = _float_rgb(img)
    h, w = rgb.shape[:2]
    inten, rg, by = _opponency(rgb)
    levels = 9
    pyr_i, pyr_rg, pyr_by = (_pyramid(c, levels) for c in (inten, rg, by))
    kernels = _gabor_kernels()
    pyr_o = [[cv2.filter2D(p, -1, k) for p in pyr_i] for k in kernels]
    s4 = pyr_i[4].shape[:2]
    pairs = [(c, c + d) for c in (2, 3, 4) for d in (3, 4)]

    def cs(pyr, c, s):
        return _centre_surround(pyr[c], pyr[s])

    ibar = sum(_resize(itti_normalize(cs(pyr_i, c, s)), s4) for c, s in pairs)
    cbar = sum(_resize(itti_normalize(cs(pyr_rg, c, s)) + itti_normalize(cs(pyr_by, c, s)), s4) for c, s in pairs)
    obar = sum(itti_normalize(sum(_resize(itti_normalize(np.abs(cs(po, c, s))), s4) for c, s in pairs))
               for po in pyr_o)
    sal = (itti_normalize(ibar) + itti_normalize(cbar) + itti_normalize(obar)) / 3.0
    return np.clip(_resize(sal.astype(np.float32), (h, w)).astype(np.float64), 0, None)


def matlab_gaussian(size: int, sigma: float) -> np.ndarray:
    """MATLAB's ``fspecial('gaussian', [size size], sigma)``: exp(-(x^2 + y^2) / (2 sigma^2)) on the centred grid,
    sum 1."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2.0 * sigma * sigma))
    g[g < np.finfo(np.float64).eps * g.max()] = 0.0
    return g / g.sum()


#: the spectral residual's working image is at most this many times taller than wide, and at least 8 rows
SR_MAX_ASPECT = 8


def _sr_working_size(h: int, w: int, width: int = 64) -> tuple[int, int]:
    """The spectral residual's working size (rows, columns) for an ``h`` x ``w`` image shrunk to ``width`` columns.

    Rows: ``round(width * h / w)`` (SR.m: the ceiling), held within
    8 .. ``SR_MAX_ASPECT * width`` (512 at 64 px): an image more than 8 times
    taller than wide is squeezed to 8:1 so that its arrays stay bounded (SR.m has no bound).
    """
    return min(SR_MAX_ASPECT * width, max(8, int(round(width * h / w)))), width


def spectral_residual(img: np.ndarray, width: int = 64, sigma: float = 2.5, window: int = 10) -> np.ndarray:
    """Hou & Zhang (2007) spectral-residual saliency at the image's size, as their SR.m (see the module docstring).

    The working image is ``width`` columns and ``round(width * h / w)`` rows
    (SR.m's ``imresize`` gives the ceiling: one row fewer on e.g. 768 x 1024
    portraits), held within 8 .. 8 x ``width`` rows (:func:`_sr_working_size`;
    a departure from SR.m, which has no bound: a 1 x 8000 px column works at
    64 x 512 px, not 64 x 512,000; images within 1:8 .. 8:1 are unchanged).
    """
    import cv2

    rgb = _float_rgb(img)
    h, w = rgb.shape[:2]
    grey = rgb.mean(axis=2)
    sh, _ = _sr_working_size(h, w, width)
    small = cv2.resize(grey, (width, sh), interpolation=cv2.INTER_AREA).astype(np.float64)
    f = np.fft.fft2(small)
    amp = np.log(np.abs(f) + 1e-12)
    phase = np.angle(f)
    resid = amp - cv2.blur(amp, (3, 3), borderType=cv2.BORDER_REPLICATE)
    sal = np.abs(np.fft.ifft2(np.exp(resid + 1j * phase))) ** 2
    # imfilter: correlation, zero padding, anchor at floor((window + 1) / 2) (1-based), so an even window reaches
    # one pixel further right/down than left/up; OpenCV's anchor is 0-based
    anchor = (window + 1) // 2 - 1
    sal = cv2.filter2D(sal, -1, matlab_gaussian(window, sigma), anchor=(anchor, anchor),
                       borderType=cv2.BORDER_CONSTANT)
    return np.clip(_resize(sal.astype(np.float32), (h, w)).astype(np.float64), 0, None)


def _markov_equilibrium(weights: np.ndarray) -> np.ndarray:
    """Stationary distribution of the chain with transition weights ``weights[i, j]`` (rows normalised).

    Solved directly: ``pi (P - I) = 0`` with one equation replaced by ``sum(pi) = 1``.
    """
    P = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-300)
    n = P.shape[0]
    A = P.T - np.eye(n)
    A[-1, :] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    pi = np.linalg.solve(A, b)
    pi = np.clip(pi, 0, None)
    return pi / pi.sum()


def gbvs(img: np.ndarray, grid_width: int = 32, sigma_frac: float = 0.15) -> np.ndarray:
    """Harel, Koch & Perona (2006) graph-based visual saliency at the image's size (see the module docstring).

    The graph lives on a coarse grid whose longer side is ``grid_width`` cells
    (the shorter side in proportion, at least 4), so it has at most
    ``grid_width ** 2`` nodes whatever the aspect ratio; the distance Gaussian's
    sigma is ``sigma_frac`` of that longer side.
    """
    import cv2

    rgb = _float_rgb(img)
    h, w = rgb.shape[:2]
    # Cap the longer side: capping only the width made a tall image's graph
    # (grid_width * h / w) x grid_width nodes, its dense matrices O(aspect^2) in
    # memory and the solve O(aspect^3) in time (a 10 x 3000 px image asked for 1.4 TiB).
    if w >= h:
        gw, gh = grid_width, max(4, int(round(grid_width * h / w)))
    else:
        gw, gh = max(4, int(round(grid_width * w / h))), grid_width
    inten, rg, by = _opponency(rgb)
    feats = []
    for scale in (2, 3):  # two pyramid scales, each resampled to the grid
        pi, prg, pby = (_pyramid(c, scale + 1)[scale] for c in (inten, rg, by))
        feats += [pi, np.abs(prg), np.abs(pby)]
        feats += [np.abs(cv2.filter2D(pi, -1, k)) for k in _gabor_kernels()]
    ys, xs = np.mgrid[0:gh, 0:gw]
    pos = np.stack([ys.ravel(), xs.ravel()], axis=1).astype(np.float64)
    d2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(axis=2)
    sig = sigma_frac * grid_width
    F = np.exp(-d2 / (2 * sig * sig))
    total = np.zeros(gh * gw)
    for f in feats:
        M = cv2.resize(f.astype(np.float32), (gw, gh), interpolation=cv2.INTER_AREA).astype(np.float64).ravel()
        M = np.clip(M, 0, None) + 1e-6
        lm = np.log(M)
        A = _markov_equilibrium(np.abs(lm[:, None] - lm[None, :]) * F + 1e-12)
        N = _markov_equilibrium(F * A[None, :])
        total += N
    sal = total.reshape(gh, gw)
    sal = cv2.GaussianBlur(sal, (0, 0), 1.0, borderType=cv2.BORDER_REPLICATE)
    return np.clip(_resize(sal.astype(np.float32), (h, w)).astype(np.float64), 0, None)


def frequency_tuned(img: np.ndarray) -> np.ndarray:
    """Achanta et al. (2009) frequency-tuned salient-region map at the image's size (see the module docstring)."""
    import cv2

    rgb = _float_rgb(img)
    k = np.array([1, 4, 6, 4, 1], np.float32) / 16.0
    blurred = cv2.sepFilter2D(rgb, -1, k, k, borderType=cv2.BORDER_REPLICATE)
    lab = cv2.cvtColor(blurred, cv2.COLOR_RGB2Lab).astype(np.float64)
    mean = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3).astype(np.float64).mean(axis=0)
    return np.sqrt(((lab - mean) ** 2).sum(axis=2))


# ----------------------------------------------------------------------------- dataset centre bias

@dataclass
class CentreBias:
    """A centre-bias density fitted to fixations: its natural log (``logp``) and how it was made."""

    logp: np.ndarray
    sigma_px: float
    uniform_weight: float
    n_fixations: int
    n_images: int

    def describe(self) -> str:
        """One line: the fitted bandwidth and mixture weight, and the data it came from."""
        return (f"Gaussian KDE of {counted(self.n_fixations, 'fixation')} on {counted(self.n_images, 'image')}, "
                f"sigma {self.sigma_px:g} px, mixed with uniform at {self.uniform_weight:g}")

    def density(self, shape: tuple[int, int] | None = None) -> np.ndarray:
        """The density (sums to 1), resized to ``shape`` and renormalised if given."""
        from saliency.eval.probabilistic import resize_log_density

        logp = self.logp if shape is None else resize_log_density(self.logp, shape)
        return np.exp(logp)


def _counts(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    c = np.zeros(shape, np.float64)
    p = np.asarray(points, dtype=np.int64).reshape(-1, 2)
    if len(p):
        np.add.at(c, (np.clip(p[:, 0], 0, shape[0] - 1), np.clip(p[:, 1], 0, shape[1] - 1)), 1.0)
    return c


def _kde(counts: np.ndarray, sigma: float, weight: float) -> np.ndarray:
    from saliency.eval.probabilistic import blur_density

    d = blur_density(counts, sigma)
    d = d / max(d.sum(), 1e-300)
    return (1.0 - weight) * d + weight / d.size


def fit_centre_bias(points_per_image, shape: tuple[int, int],
                    sigmas=(12.0, 24.0, 36.0, 48.0, 72.0, 96.0),
                    weights=(0.001, 0.01, 0.05, 0.1)) -> CentreBias:
    """The dataset centre bias: a kernel density of every fixation of ``points_per_image`` on a map of ``shape``.

    ``points_per_image``: one (n, 2) array of 0-based (row, col) per training
    image (all at ``shape``). The bandwidth (``sigmas``, px) and the weight of
    the uniform component (``weights``) maximise the two-fold log-likelihood:
    even-numbered images predict the odd-numbered ones and vice versa.
    """
    pts = [np.asarray(p, dtype=np.int64).reshape(-1, 2) for p in points_per_image]
    if not pts or sum(len(p) for p in pts) == 0:
        raise UserError("`points_per_image`: no fixations to fit a centre bias to")
    fold_a = _counts(np.concatenate(pts[0::2]), shape)
    fold_b = _counts(np.concatenate(pts[1::2]) if len(pts) > 1 else np.zeros((0, 2)), shape)
    best = None
    for s in sigmas:
        folds = [(_kde(fit, s, 0.0), held) for fit, held in ((fold_a, fold_b), (fold_b, fold_a))
                 if fit.sum() > 0 and held.sum() > 0]
        for w in weights:
            ll = sum(float((held * np.log((1.0 - w) * d + w / d.size)).sum()) for d, held in folds)
            if best is None or ll > best[0]:
                best = (ll, s, w)
    _, s, w = best
    allc = fold_a + fold_b
    return CentreBias(np.log(_kde(allc, s, w)), float(s), float(w), int(allc.sum()), len(pts))


# ----------------------------------------------------------------------------- registry

BASELINES = {
    "centre-bias": ("fixation", "dataset centre bias fitted to the training split's fixations (needs a dataset)"),
    "gaussian-centre": ("fixation", "Gaussian centre bias, sigma 1/4 of width and height"),
    "itti-koch": ("fixation", "Itti, Koch & Niebur, TPAMI 1998"),
    "spectral-residual": ("fixation", "Hou & Zhang, CVPR 2007"),
    "gbvs": ("fixation", "Harel, Koch & Perona, NIPS 2006 (graph-based visual saliency)"),
    "frequency-tuned": ("sod", "Achanta, Hemami, Estrada & Süsstrunk, CVPR 2009 (salient objects)"),
}
"""Every baseline by name: (task it is made for, description)."""

_FUNCS = {"gaussian-centre": gaussian_centre, "itti-koch": itti_koch, "spectral-residual": spectral_residual,
          "gbvs": gbvs, "frequency-tuned": frequency_tuned}


def list_baselines() -> list[str]:
    """The baseline names, in table order."""
    return list(BASELINES)


def compute_baseline(name: str, img: np.ndarray, centre_bias: CentreBias | None = None) -> np.ndarray:
    """The map of baseline ``name`` for the RGB image ``img`` (float64, image size, non-negative).

    ``centre-bias`` needs ``centre_bias`` (a :class:`CentreBias`; its density
    is resized to the image). Unknown names raise a UserError naming ``baseline``.
    """
    if name not in BASELINES:
        raise UserError(f"`baseline` {name}: unknown; choose from {', '.join(BASELINES)}")
    if name == "centre-bias":
        if centre_bias is None:
            raise UserError("`baseline` centre-bias needs the dataset whose training split it is fitted to "
                            "(`dataset` NAME and `root` DIR)")
        return centre_bias.density(np.asarray(img).shape[:2])
    return _FUNCS[name](img)

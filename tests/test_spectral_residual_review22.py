"""Spectral residual (eval/baselines.py) against an independent port of Hou & Zhang's SR.m (review 22).

Oracle: the authors' published MATLAB code, step by step, written here with
numpy's FFT and scipy.ndimage (no OpenCV):

    myLogAmplitude = log(abs(fft2(inImg)))
    mySpectralResidual = myLogAmplitude - imfilter(myLogAmplitude, fspecial('average', 3), 'replicate')
    saliencyMap = abs(ifft2(exp(mySpectralResidual + i*myPhase))).^2
    saliencyMap = imfilter(saliencyMap, fspecial('gaussian', [10, 10], 2.5))   % zero padding

``imfilter`` correlates with its anchor at floor((n + 1) / 2) (1-based): for
the even 10 x 10 window the offsets are -4..5 (scipy's ``correlate`` centres
at n // 2, hence ``origin = (n + 1) // 2 - 1 - n // 2``, -1 here); an
impulse therefore spreads to rows 5..14 from row 10 (hand-worked below).
Images are 64 px wide, so the map is compared before any resize (the toolkit
shrinks to 64 px wide: a copy at that width).

Tolerance: 1e-5 of the map's maximum. The toolkit reads the image as float32
(about 6e-8 relative rounding) and returns the blurred map through float32;
the port works in float64 throughout; a replicated-edge blur differs by far
more (asserted below).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from saliency.eval import baselines as B

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _fspecial_gaussian(n: int, sigma: float) -> np.ndarray:
    """MATLAB's fspecial('gaussian', [n n], sigma), from its documented formula."""
    c = (n - 1) / 2.0
    y, x = np.mgrid[0:n, 0:n]
    h = np.exp(-((x - c) ** 2 + (y - c) ** 2) / (2 * sigma**2))
    return h / h.sum()


def _imfilter(a: np.ndarray, h: np.ndarray, mode: str = "constant") -> np.ndarray:
    """MATLAB's imfilter (correlation; anchor floor((n + 1) / 2), 1-based; zero padding by default)."""
    n = h.shape[0]
    return ndimage.correlate(a, h, mode=mode, cval=0.0, origin=(n + 1) // 2 - 1 - n // 2)


def _sr_port(grey: np.ndarray, sigma: float = 2.5, window: int = 10, blur_mode: str = "constant") -> np.ndarray:
    """SR.m's steps on a float64 grey image (blur_mode 'constant' = imfilter's zero padding)."""
    f = np.fft.fft2(grey)
    assert np.abs(f).min() > 1e-6  # SR.m takes log(abs(.)) with no epsilon: keep to images with no zero coefficient
    log_amp = np.log(np.abs(f))
    resid = log_amp - ndimage.uniform_filter(log_amp, size=3, mode="nearest")  # 'replicate'
    sal = np.abs(np.fft.ifft2(np.exp(resid + 1j * np.angle(f)))) ** 2
    return _imfilter(sal, _fspecial_gaussian(window, sigma), blur_mode)


def test_the_ports_anchor_is_matlabs():
    # hand-worked: imfilter's output at i is sum_k h(k) a(i + k - 5), k = 1..10 (1-based), so an impulse at
    # row/column 10 (0-based) reaches outputs 15 - k, i.e. 5..14; an odd window (7) stays centred (7..13)
    d = np.zeros((20, 20))
    d[10, 10] = 1.0
    for n, lo, hi in ((10, 5, 14), (7, 7, 13)):
        rows, cols = np.nonzero(_imfilter(d, _fspecial_gaussian(n, 2.5)) > 0)
        assert (rows.min(), rows.max(), cols.min(), cols.max()) == (lo, hi, lo, hi)


def _grey_rgb(grey_u8: np.ndarray) -> np.ndarray:
    return np.repeat(grey_u8[..., None], 3, axis=2)


def _synthetic(kind: str) -> np.ndarray:
    """64-px-wide uint8 RGB test images: noise texture plus a bright object (no zero Fourier coefficient)."""
    import cv2

    rng = np.random.default_rng(22)
    if kind == "centred-disc":
        g = np.clip(100 + rng.normal(0, 10, (48, 64)), 0, 255)
        cv2.circle(g, (32, 24), 6, 230, -1)
    elif kind == "corner-square-on-ramp":
        g = np.clip(np.linspace(40, 200, 64)[None, :] + rng.normal(0, 8, (64, 64)), 0, 255)
        g[6:16, 44:56] = 250
    else:  # "texture": a short image of blurred noise
        g = np.clip(128 + 60 * ndimage.gaussian_filter(rng.normal(0, 1, (40, 64)), 1.5), 0, 255)
    return _grey_rgb(np.round(g).astype(np.uint8))


@pytest.mark.parametrize("kind", ["centred-disc", "corner-square-on-ramp", "texture"])
@pytest.mark.parametrize("sigma,window", [(2.5, 10), (1.7, 7)])
def test_matches_sr_m_port_on_synthetic_images(kind, sigma, window):
    img = _synthetic(kind)
    got = B.spectral_residual(img, sigma=sigma, window=window)
    want = _sr_port(img[..., 0].astype(np.float64) / 255.0, sigma, window)
    assert got.shape == want.shape == img.shape[:2]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * want.max())


@pytest.mark.real_data
def test_matches_sr_m_port_on_a_mit1003_stimulus():
    import cv2

    stim = SHARED / "mit1003_subset100" / "stimuli" / "i05june05_static_street_boston_p1010764.jpg"
    if not stim.is_file():
        pytest.skip("../shared/data is absent")
    bgr = cv2.imread(str(stim))
    h, w = bgr.shape[:2]
    small = cv2.cvtColor(cv2.resize(bgr, (64, int(round(64 * h / w))), interpolation=cv2.INTER_AREA),
                         cv2.COLOR_BGR2RGB)
    got = B.spectral_residual(small)
    want = _sr_port(small.astype(np.float64).mean(axis=2) / 255.0)  # the toolkit's grey: the channel mean
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * want.max())


def test_border_is_not_inflated_like_a_replicated_edge_blur():
    # a centred object: the border should be quiet. With zeros past the edge, the border pixels' blur
    # averages in nothing from outside; a replicated-edge blur copies the FFT wrap-around artefacts
    # outward and keeps them strong (the reviewer's MIT1003 maps: border ~1.29x the inner pixels).
    img = _synthetic("centred-disc")
    got = B.spectral_residual(img)
    replicate = _sr_port(img[..., 0].astype(np.float64) / 255.0, blur_mode="nearest")
    ring = np.ones(got.shape, bool)
    ring[2:-2, 2:-2] = False
    centre = (slice(18, 31), slice(26, 39))  # the disc: radius 6 at (24, 32)

    def border_to_centre(m):
        return m[ring].mean() / m[centre].mean()

    assert border_to_centre(got) < 0.75 * border_to_centre(replicate)
    assert got[ring].max() < 0.5 * got[centre].mean()

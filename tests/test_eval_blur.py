"""``eval.probabilistic.blur_density``: the Gaussian of the human maps, fast on sparse maps, the same numbers.

Oracle: SciPy's ``correlate1d`` down the columns then along the rows, zero
padding (``mode="constant"``), with the normalised Gaussian of ``2 * ceil(3.5
sigma) + 1`` taps written out here (``exp(-x^2 / (2 sigma^2))`` over its sum,
as OpenCV's ``getGaussianKernel`` defines it). Tolerance 1e-12 of the map's
maximum: both sides add the same few hundred float64 products in different
orders (a few 1e-16 each).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.ndimage import correlate1d

from saliency.eval import probabilistic as P


def _oracle(p: np.ndarray, sigma: float) -> np.ndarray:
    r = int(np.ceil(3.5 * sigma))
    x = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-x * x / (2 * sigma * sigma))
    g /= g.sum()
    return correlate1d(correlate1d(p, g, axis=0, mode="constant"), g, axis=1, mode="constant")


def _points(shape, n, rng, weights=False):
    m = np.zeros(shape)
    r = rng.integers(0, shape[0], n)
    c = rng.integers(0, shape[1], n)
    np.add.at(m, (r, c), rng.integers(1, 4, n) if weights else 1.0)
    return np.minimum(m, 1.0) if not weights else m


def _no_opencv_blur(*a, **k):  # the sparse path must not fall back
    raise AssertionError("cv2.GaussianBlur called on a sparse map")


@pytest.mark.parametrize("shape,sigma,n,weights", [
    ((120, 160), 6.0, 25, False),   # OSIE-like: a binary map of a few fixations
    ((120, 160), 6.0, 40, True),    # counts (a pixel fixated several times)
    ((90, 70), 24.0, 12, False),    # kernel wider and taller than the image
    ((300, 40), 3.0, 60, True),     # narrow image, many rows
    ((200, 200), 0.6, 4, False),    # kernel of 7 taps, a few points (more would fall back)
])
def test_sparse_maps_match_the_separable_oracle(shape, sigma, n, weights, monkeypatch):
    rng = np.random.default_rng(n)
    m = _points(shape, n, rng, weights)
    assert 2 * np.count_nonzero(m.any(axis=1)) <= shape[0]
    monkeypatch.setattr(cv2, "GaussianBlur", _no_opencv_blur)
    got = P.blur_density(m, sigma)
    want = _oracle(m, sigma)
    assert got.shape == m.shape and got.dtype == np.float64
    assert np.abs(got - want).max() <= 1e-12 * want.max()


def test_points_on_every_border_and_corner():
    m = np.zeros((64, 96))
    for r, c in [(0, 0), (0, 95), (63, 0), (63, 95), (0, 40), (63, 40), (30, 0), (30, 95)]:
        m[r, c] = 1.0
    got = P.blur_density(m, 5.0)
    assert np.abs(got - _oracle(m, 5.0)).max() <= 1e-12 * got.max()
    # one point far from the borders: the outer product of the kernel, centred on it
    one = np.zeros((101, 101))
    one[50, 50] = 1.0
    g = cv2.getGaussianKernel(2 * int(np.ceil(3.5 * 4.0)) + 1, 4.0, cv2.CV_64F).ravel()
    want = np.zeros_like(one)
    want[50 - 14:50 + 15, 50 - 14:50 + 15] = np.outer(g, g)
    assert np.abs(P.blur_density(one, 4.0) - want).max() <= 1e-15


def test_an_empty_map_stays_zero_and_sigma_zero_copies():
    z = np.zeros((50, 60))
    assert np.array_equal(P.blur_density(z, 3.0), z)
    m = _points((50, 60), 5, np.random.default_rng(0))
    out = P.blur_density(m, 0.0)
    assert np.array_equal(out, m) and out is not m


def test_dense_maps_are_opencvs_blur_bit_for_bit():
    """Predictions (nonzero in most rows) keep OpenCV's blur: their metric maps are unchanged."""
    rng = np.random.default_rng(3)
    dense = rng.random((80, 120))
    k = 2 * int(np.ceil(3.5 * 5.0)) + 1
    assert np.array_equal(P.blur_density(dense, 5.0),
                          cv2.GaussianBlur(dense, (k, k), 5.0, borderType=cv2.BORDER_CONSTANT))


def test_rows_spread_too_widely_fall_back_to_opencv():
    """Half the rows nonzero, every other one, with a short kernel: the product would cost more than OpenCV."""
    m = np.zeros((400, 50))
    m[::2, 7] = 1.0
    k = 2 * int(np.ceil(3.5 * 1.0)) + 1
    assert P._blur_sparse_rows(m, np.flatnonzero(m.any(axis=1)), 1.0, k) is None
    assert np.array_equal(P.blur_density(m, 1.0), cv2.GaussianBlur(m, (k, k), 1.0, borderType=cv2.BORDER_CONSTANT))

"""Preprocessing (issue 12): Savitzky-Golay against scipy, gap bridging and eye choice by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import savgol_filter

from saliency.base.errors import UserError
from saliency.data_tools import smoothing as sm


@pytest.mark.parametrize("deriv", [0, 1, 2])
@pytest.mark.parametrize("window_ms,order", [(20.0, 2), (10.0, 3), (6.0, 2)])
def test_savgol_matches_scipy(deriv, window_ms, order):
    rng = np.random.default_rng(7)
    t = np.arange(300) * 2.0  # 500 Hz
    v = np.cumsum(rng.normal(0, 0.05, 300))
    w = sm.window_samples(window_ms, 2.0, order)
    ref = savgol_filter(v, w, order, deriv=deriv, delta=2.0, mode="interp")
    np.testing.assert_allclose(sm.savgol(t, v, window_ms, order, deriv), ref, rtol=1e-9, atol=1e-12)


def test_savgol_runs_never_cross_missing_samples():
    t = np.arange(100) * 2.0
    v = np.sin(t / 40.0)
    v[50] = np.nan
    out = sm.savgol(t, v, 20.0, 2, 1)
    assert np.isnan(out[50])
    # each side is filtered alone: equal to scipy on that side
    np.testing.assert_allclose(out[:50], savgol_filter(v[:50], 11, 2, deriv=1, delta=2.0), atol=1e-12)
    np.testing.assert_allclose(out[51:], savgol_filter(v[51:], 11, 2, deriv=1, delta=2.0), atol=1e-12)
    # a time gap splits a run too
    t2 = t.copy()
    t2[60:] += 100.0
    v2 = np.sin(t2 / 40.0)
    out2 = sm.savgol(t2, v2, 20.0, 2, 0)
    np.testing.assert_allclose(out2[60:], savgol_filter(v2[60:], 11, 2), atol=1e-12)


def test_savgol_window_lengths():
    assert sm.window_samples(20.0, 2.0) == 11  # 10 samples -> the next odd number
    assert sm.window_samples(6.0, 2.0) == 3
    assert sm.window_samples(20.0, 1000 / 120) == 3  # 2.4 samples at 120 Hz -> 3
    assert sm.window_samples(20.0, 1.0, order=3) == 21
    with pytest.raises(UserError, match="window_ms"):
        sm.savgol(np.arange(5.0), np.arange(5.0), 0.0)


def test_bridge_gaps_by_hand():
    t = np.arange(20) * 10.0  # 100 Hz
    x = np.arange(20, dtype=float)
    y = np.zeros(20)
    x[3:5] = np.nan  # 2 samples missing: unseen for 20 ms
    x[8:16] = np.nan  # 8 samples: 80 ms
    x[0] = np.nan  # at the start: never filled
    bx, by, filled = sm.bridge_gaps(t, x, y, 75.0)
    np.testing.assert_allclose(bx[3:5], [3.0, 4.0])  # linear between samples 2 and 5
    assert np.isnan(bx[8:16]).all() and np.isnan(bx[0])
    assert filled.tolist() == [i in (3, 4) for i in range(20)]
    bx, _, filled = sm.bridge_gaps(t, x, y, 80.0)
    np.testing.assert_allclose(bx[8:16], np.arange(8, 16))
    assert sm.bridge_gaps(t, x, y, 0.0)[2].sum() == 0


def test_combine_eyes():
    xl = np.array([1.0, np.nan, 3.0, np.nan])
    xr = np.array([3.0, 5.0, np.nan, np.nan])
    y = np.zeros(4)
    x, _ = sm.combine_eyes(xl, y, xr, y, "average")
    np.testing.assert_array_equal(x[:3], [2.0, 5.0, 3.0])
    assert np.isnan(x[3])
    np.testing.assert_array_equal(sm.combine_eyes(xl, y, xr, y, "right")[0][:2], [3.0, 5.0])
    with pytest.raises(UserError, match="eye 'both'"):
        sm.combine_eyes(xl, y, xr, y, "both")


def test_moving_median_by_hand():
    t = np.arange(7.0)
    v = np.array([0.0, 0.0, 9.0, 0.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(sm.moving_median(t, v, 3), [0, 0, 0, 1, 1, 1, 1])

"""I-VT / I-DT against pymovements (the oracle) and hand-worked cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from saliency.data_tools import detection as D
from saliency.data_tools.geometry import ScreenGeometry
from ingest_fakes import gaze_trial

GEOM = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)


def _pm_events(t, x, y, method, **kw):
    pm = pytest.importorskip("pymovements", reason="pymovements (test extra) is the I-VT/I-DT oracle")
    exp = pm.Experiment(1920, 1080, 53.1, 29.9, 65.0, "upper left", 500)
    gaze = pm.gaze.from_numpy(time=t, pixel=np.vstack([x, y]), experiment=exp)
    gaze.pix2deg()
    if method == "ivt":
        gaze.pos2vel(method="fivepoint")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no events detected" warnings
        gaze.detect(method, **kw)
    ev = gaze.events.frame
    return ev["onset"].to_numpy(), ev["offset"].to_numpy()


@pytest.mark.parametrize("method", ["ivt", "idt"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parity_with_pymovements(method, seed):
    rng = np.random.default_rng(seed)
    t, x, y, _ = gaze_trial(rng, n_fix=12, noise_px=0.6)
    t = np.round(t).astype(np.int64)  # 500 Hz, 2 ms steps
    on, off = _pm_events(t, x, y, method)
    ranges = D.detect(t, x, y, GEOM, method)
    ours = D.summarize(ranges, t, x, y)
    assert len(ranges) == len(on) >= 8
    step = 2.0
    np.testing.assert_allclose(ours["t_start_ms"], on, atol=step)  # onsets within one sample
    ends = t[[b for _, b in ranges]]
    np.testing.assert_allclose(ends, off, atol=step)
    # centroids of the pymovements fixations (mean of their samples) within 0.5 px
    for k, (a, b) in enumerate(zip(on, off)):
        sel = (t >= a) & (t <= b) & np.isfinite(x)
        assert abs(np.mean(x[sel]) - ours["x"][k]) <= 0.5
        assert abs(np.mean(y[sel]) - ours["y"][k]) <= 0.5


def test_ivt_hand_worked():
    # 1 kHz, a still eye for 150 samples, a jump of 10 deg, still for 50 samples (too short)
    t = np.arange(200, dtype=float)
    x = np.where(t < 150, 0.0, 10.0)
    y = np.zeros_like(x)
    r = D.ivt(t, x, y, threshold=20.0, min_duration_ms=100)
    # the five-point window of samples 148..151 sees the jump: speed > 20 deg/s there
    assert r == [(2, 147)]
    # a missing sample in the middle splits the fixation into two short pieces
    x2 = x.copy()
    x2[75] = np.nan
    assert D.ivt(t, x2, y, 20.0, 60) == [(2, 72), (78, 147)]
    assert D.ivt(t, x2, y, 20.0, 70) == [(2, 72)]  # 78..147 spans 69 ms


def test_idt_hand_worked():
    t = np.arange(0, 400, 2.0)  # 500 Hz
    x = np.concatenate([np.zeros(100), np.full(100, 5.0)])
    y = np.zeros(200)
    x[:100] += np.linspace(0, 0.9, 100)  # drift of 0.9 deg: still one fixation (<= 1 deg)
    r = D.idt(t, x, y, threshold=1.0, min_duration_ms=100)
    assert r == [(0, 99), (100, 199)]
    r = D.idt(t, x, y, threshold=0.5, min_duration_ms=100)
    # the drifting part reaches 0.5 deg after sample 55: first fixation [0, 55]
    assert r[0] == (0, int(np.floor(0.5 / (0.9 / 99)))) and r[-1] == (100, 199)


def test_speed_is_nan_next_to_missing_samples():
    t = np.arange(20.0)
    x = np.zeros(20)
    x[10] = np.nan
    s = D.fivepoint_speed(t, x, x * 0)
    assert np.isnan(s[[0, 1, 8, 9, 10, 11, 12, 18, 19]]).all()
    assert np.isfinite(s[[2, 7, 13, 17]]).all()

"""Review 24 of the detectors: nh on noise-free gaze, and a sampling rate that changes within a trial."""

import json

import numpy as np
import pandas as pd
import pytest

from saliency.data_tools import detection as D
from saliency.data_tools.detectors import FIXATION, PSO, SACCADE
from saliency.data_tools.geometry import ScreenGeometry
from saliency.detect import DetectOptions, detect_logs

G = ScreenGeometry((1024, 768), (38.0, 30.0), 67.0)


def _ramp():
    """500 Hz: 300 px until 200 ms, a linear 40 ms ramp to 600 px (~9.5 deg), then still; no noise at all."""
    t = np.arange(300) * 2.0
    x = np.where(t < 200, 300.0, 600.0)
    r = (t >= 200) & (t < 240)
    x[r] = 300 + (t[r] - 200) / 40 * 300
    return t, x, np.full(300, 384.0)


def test_nh_noise_free_ramp_is_two_fixations_around_one_saccade():
    # hand-worked: the gaze moves between samples 100 (t = 200, x = 300) and 120 (t = 240, x = 600); nh's 6 ms
    # window is 3 samples, whose order-2 Savitzky-Golay derivative is (x[i+1] - x[i-1]) / (2 dt): non-zero exactly
    # at samples 100..120, 0 at 99 and 121. The onset (offset) is the first sample below the onset (offset)
    # threshold searching backwards (forwards): sample 99 (198 ms) and 121 (242 ms), one sample beyond each end
    t, x, y = _ramp()
    c = D.classify(t, x, y, G, "nh")
    assert c.ranges(SACCADE) == [(99, 121)]
    assert t[121] - t[99] == 44.0  # the 40 ms ramp plus one sample on each side
    assert c.fixations == [(0, 98), (122, 299)]
    assert not (c.labels == PSO).any()
    assert (c.labels[:99] == FIXATION).all() and (c.labels[122:] == FIXATION).all()
    # the floor: NOISE_FREE_DEG_S (1e-3 deg/s), never 0, so a speed of exactly 0 (or ~1e-13) is below it
    assert c.params["onset_threshold"] == D.NOISE_FREE_DEG_S and c.params["peak_threshold"] == 10.0


def test_nh_noise_free_floor_does_not_follow_min_peak():
    t, x, y = _ramp()
    r = D.nh(t, *G.pixels_to_degrees(x, y), window_ms=6.0, min_peak=30.0)
    assert r.onset_threshold == D.NOISE_FREE_DEG_S and r.peak_threshold == 30.0
    lab = r.labels
    assert np.flatnonzero(lab == SACCADE).tolist() == list(range(99, 122))


@pytest.mark.parametrize("noise_px", [0.5, 0.02])
def test_nh_noisy_thresholds_untouched_by_the_floor(noise_px):
    # gaze noise of 0.5 px (thresholds of tens of deg/s) and of 0.02 px (under 5 deg/s, as a synthetic study at
    # 60-100 Hz gives: a floor of min_peak / 2 moved those): the floor does nothing to recorded gaze
    t, x, y = _ramp()
    rng = np.random.default_rng(0)
    xd, yd = G.pixels_to_degrees(x + rng.normal(0, noise_px, 300), y + rng.normal(0, noise_px, 300))
    r = D.nh(t, xd, yd, window_ms=6.0)
    if noise_px < 0.1:  # the peak threshold is min_peak (10 deg/s); onset = mean + 3 SD of its iteration: ~0.74
        assert D.NOISE_FREE_DEG_S < r.onset_threshold < 5.0
        return
    clean = r.speed[np.isfinite(r.speed) & (r.speed < r.peak_threshold)]
    # the published rule, recomputed: mean + 3 SD of the samples below the converged peak threshold
    assert abs(r.onset_threshold - (clean.mean() + 3 * clean.std())) < 1e-9


def _rate_change():
    """150 samples at 500 Hz, then 150 at 250 Hz (from 300 ms); the gaze jumps 300 -> 600 px at 400 ms."""
    t = np.concatenate([np.arange(150) * 2.0, 300 + np.arange(150) * 4.0])
    return t, np.where(t < 400, 300.0, 600.0), np.full(300, 384.0)


RATE_LINE = ("the sampling rate changes within the trial: 149 of 299 intervals (50 %) are 4 ms against a median of "
             "2 ms (250 Hz against 500 Hz), and each is read as rows absent from the log, which no event spans; "
             "split the trial where the interval changes (first at 300 ms) or check the time unit")


def test_rate_change_named_in_one_line():
    # hand-counted: 299 intervals; 149 of 2 ms within the first part plus the 298 -> 300 step (150), then 149 of
    # 4 ms from 300 ms; the median is 2 ms, so every 4 ms interval is a gap (> 3 ms)
    t, x, y = _rate_change()
    assert D.rate_change(t) == RATE_LINE
    for method in ("nh", "ivt", "idt", "tobii-ivt"):
        c = D.classify(t, x, y, G, method)
        assert c.params["warnings"] == [RATE_LINE], method
        assert "\n" not in c.params["warnings"][0]


def test_rate_change_silent_on_track_loss_and_steady_rates():
    t = np.arange(1000) * 2.0
    assert D.rate_change(t) is None
    assert D.rate_change(np.arange(180) * 1000 / 60) is None  # 60 Hz: 16.67 ms steps with rounding errors
    # rows absent here and there, of different lengths (track loss): 6 gaps of 299 intervals, not a rate change
    keep = np.ones(300, bool)
    for a, n in ((20, 1), (60, 3), (100, 7), (150, 2), (200, 12), (250, 5)):
        keep[a:a + n] = False
    assert D.rate_change(t[:300][keep]) is None
    # every other row absent in the last 15 %: a share of the intervals under 20 %
    tt = np.concatenate([np.arange(255) * 2.0, 510 + np.arange(45) * 4.0])
    assert D.rate_change(tt) is None
    c = D.classify(*_ramp(), G, "nh")
    assert "warnings" not in c.params
    # single rows lost at random, 35 % of a 500 Hz trial (review 24): about a fifth of the intervals are 4 ms, but
    # scattered among 2 ms ones: track loss at one rate, not a rate change
    t = np.arange(3000) * 2.0
    rows = np.random.default_rng(1).random(3000) > 0.35
    d = np.diff(t[rows])
    assert (d == 4.0).mean() > D.RATE_CHANGE_SHARE  # the share alone would have spoken
    assert D.rate_change(t[rows]) is None


def test_rate_change_in_detection_json(tmp_path):
    t, x, y = _rate_change()
    log = tmp_path / "rc.csv"
    pd.DataFrame({"subject": "p1", "trial": "ratechange", "stimulus": "s", "time_ms": t, "x": x, "y": y,
                  "valid": 1}).to_csv(log, index=False)
    detect_logs([log], tmp_path / "out", DetectOptions(geometry=G, detector="ivt", progress=False))
    tr = json.loads((tmp_path / "out" / "detection.json").read_text())["trials"]
    assert len(tr) == 1 and tr[0]["trial"] == "ratechange"
    assert tr[0]["params"]["warnings"] == [RATE_LINE]
    # and said where a user looks: detection.json's warnings, printed by the command, naming the file and trial
    assert json.loads((tmp_path / "out" / "detection.json").read_text())["warnings"] == [
        f"{log}: trial (subject 'p1', trial 'ratechange', stimulus 's'): {RATE_LINE}"]

"""Event detection across sampling rates: four defects a review reproduced (stop 22).

1. A blink swallowed every saccade, PSO and undefined sample around its
   missing run without limit (undefined includes fixations discarded as too
   short): a 100 ms gap in a 1000 Hz trace with 0.03 deg noise became one
   blink over the whole second. A blink now takes only the saccade and PSO
   samples (and samples the detector had no speed for) directly beside the
   run, at most 50 ms (``BLINK_REACH_MS``) on each side.
2. The smoothing / velocity windows are whole samples, so at low rates they
   span more than asked, while ``params`` recorded only the asked-for value;
   the applied window (samples and ms) is now recorded beside it.
3. ``nh`` (designed for high-speed trackers) below 200 Hz: ``rate_warning``
   gives one sentence saying what goes wrong and what to use instead.
4. ``discard_short`` compared durations exactly: 12 periods at 120 Hz sum to
   99.99999999999989 ms in floating point, so an exactly-100 ms fixation was
   dropped depending on its first sample.

Oracles: sample indices and times the traces were built with, worked by hand
in the comments; window sizes computed by hand from the rate; the exact
warning sentence.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from saliency.data_tools import detection as D
from saliency.data_tools.detectors import (BLINK, FIXATION, PSO, SACCADE, TRACK_LOSS, UNDEFINED, rate_warning)
from saliency.data_tools.geometry import ScreenGeometry

G = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)
PPD = 41.0  # pixels per degree near the centre of this screen (approximately; only the layout needs it)


# ---------------------------------------------------------------- 1: a blink's reach is bounded

def test_blink_takes_only_adjacent_saccade_and_pso_within_50_ms():
    # 100 Hz (10 ms apart), hand-built labels:
    #   0-4 fixation, 5-7 undefined (a discarded fixation), 8-15 saccade (80 ms), 16-21 missing (60 ms),
    #   22-23 PSO, 24-26 saccade, 27-28 undefined, 29-34 fixation
    t = np.arange(35) * 10.0
    lab = np.array([FIXATION] * 5 + [UNDEFINED] * 3 + [SACCADE] * 8 + [TRACK_LOSS] * 6 + [PSO] * 2
                   + [SACCADE] * 3 + [UNDEFINED] * 2 + [FIXATION] * 6, dtype=np.int8)
    D._blinks(lab, t, (10.0, 500.0))
    blink = np.flatnonzero(lab == BLINK).tolist()
    # before: the first missing sample is at 160 ms; samples 150..110 ms (indices 15..11) lie within 50 ms,
    # 100 ms (index 10) does not: the rest of the 80 ms saccade stays a saccade.
    # after: the last missing sample is at 210 ms; 220..260 ms (indices 22..26, PSO then saccade) are within
    # 50 ms; index 27 is undefined (a discarded fixation) and would be 60 ms away anyway.
    assert blink == list(range(11, 27))
    assert (lab[8:11] == SACCADE).all()
    assert (lab[5:8] == UNDEFINED).all() and (lab[27:29] == UNDEFINED).all()
    assert (lab[:5] == FIXATION).all() and (lab[29:] == FIXATION).all()


def test_blink_stops_at_an_undefined_sample_right_beside_the_gap():
    # 100 Hz: 0-2 saccade, 3-5 undefined (a fixation discarded as too short), 6-9 missing (40 ms), 10-12 saccade
    t = np.arange(13) * 10.0
    lab = np.array([SACCADE] * 3 + [UNDEFINED] * 3 + [TRACK_LOSS] * 4 + [SACCADE] * 3, dtype=np.int8)
    D._blinks(lab, t, (10.0, 500.0))
    assert np.flatnonzero(lab == BLINK).tolist() == [6, 7, 8, 9, 10, 11, 12]
    assert (lab[3:6] == UNDEFINED).all() and (lab[:3] == SACCADE).all()


def _trace(rate: float, noise_deg: float, seed: int = 2):
    """1 s: fixation 0-300 ms at x = 960, saccade 300-340 ms to +8 deg, fixation 340-650 ms, saccade 650-690 ms
    back 5 deg, fixation 690-1000 ms; samples in [450, 550) ms missing (a 100 ms blink)."""
    t = np.arange(0, 1000.0, 1000.0 / rate)
    x = np.full(len(t), 960.0)
    x[t >= 340] = 960 + 8 * PPD
    x[t >= 690] = 960 + 3 * PPD
    for a, b, p0, p1 in ((300, 340, 960.0, 960 + 8 * PPD), (650, 690, 960 + 8 * PPD, 960 + 3 * PPD)):
        m = (t >= a) & (t < b)
        tau = (t[m] - a) / (b - a)
        x[m] = p0 + (p1 - p0) * tau ** 3 * (10 - 15 * tau + 6 * tau ** 2)
    y = np.full(len(t), 540.0)
    if noise_deg:
        rng = np.random.default_rng(seed)
        x = x + rng.normal(0, noise_deg * PPD, len(t))
        y = y + rng.normal(0, noise_deg * PPD, len(t))
    gone = (t >= 450) & (t < 550)
    x[gone] = np.nan
    y[gone] = np.nan
    return t, x, y, gone


@pytest.mark.parametrize("rate", [60, 250, 1000])
@pytest.mark.parametrize("noise", [0.0, 0.03])
@pytest.mark.parametrize("method", ["nh", "ivt", "idt", "tobii-ivt"])
def test_blink_is_the_gap_plus_at_most_50_ms_each_side(rate, noise, method):
    t, x, y, gone = _trace(rate, noise)
    c = D.classify(t, x, y, G, method)
    blink = c.labels == BLINK
    assert blink[gone].all()  # the 100 ms missing run is a blink (10-500 ms)
    first, last = t[gone][0], t[gone][-1]
    # at most 50 ms before the first missing sample and after the last (e.g. 60 Hz: 3 samples each side)
    assert (t[blink] >= first - 50.0 - 1e-9).all() and (t[blink] <= last + 50.0 + 1e-9).all()
    assert blink.sum() <= gone.sum() + 2 * int(50.0 * rate / 1000.0 + 1e-9)
    # what the blink took beside the run was saccade, PSO or a sample without a speed, never a fixation
    # or an undefined sample the detector judged (a fixation discarded as too short)
    ref = D.classify(t, x, y, G, method, blink_ms=(1e6, 1e6))  # no missing run is a blink here
    took = blink & ~gone
    assert np.isin(ref.labels[took], [SACCADE, PSO, UNDEFINED]).all()
    assert not (took & (ref.labels == UNDEFINED) & np.isfinite(ref.speed)).any()
    assert (c.labels[~blink] == ref.labels[~blink]).all()


def test_reviewer_case_1000_hz_ivt_noise_is_not_a_whole_trial_blink():
    # the review: ivt on this trace gave one blink 0-999 ms; the gap is 450-549 ms, so the one blink starts
    # no earlier than 400 ms and ends no later than 599 ms
    t, x, y, gone = _trace(1000, 0.03)
    c = D.classify(t, x, y, G, "ivt")
    b = np.flatnonzero(c.labels == BLINK)
    assert t[b[0]] >= 400.0 and t[b[-1]] <= 599.0
    assert len(c.ranges(BLINK)) == 1


# ---------------------------------------------------------------- 2: the applied window is recorded

@pytest.mark.parametrize("rate, smooth, want", [
    # nh: samples = round(window / period), plus one when even, at least 3; ms = samples x period
    (60, 6.0, (3, 50.0, 3, 50.0)),      # 6 / 16.67 = 0.36 -> 0 -> 1 -> 3 = 50 ms; 20 / 16.67 = 1.2 -> 1 -> 3
    (250, 6.0, (3, 12.0, 5, 20.0)),     # 6 / 4 = 1.5 -> 2 -> 3 = 12 ms; 20 / 4 = 5 -> 5 = 20 ms
    (250, 0.5, (3, 12.0, 5, 20.0)),     # the review's --smooth-ms 0.5: 0.125 -> 0 -> 1 -> 3 = 12 ms
    (1000, 6.0, (7, 7.0, 21, 21.0)),    # 6 -> 7 = 7 ms; 20 -> 21 = 21 ms
])
def test_nh_records_the_applied_windows(rate, smooth, want):
    t, x, y, _ = _trace(rate, 0.0)
    p = D.classify(t, x, y, G, "nh", window_ms=smooth).params
    assert p["window_ms"] == smooth and p["noise_window_ms"] == 20.0
    got = (p["window_samples"], p["window_ms_applied"], p["noise_window_samples"], p["noise_window_ms_applied"])
    assert got[0] == want[0] and got[2] == want[2]
    assert got[1] == pytest.approx(want[1], abs=1e-6) and got[3] == pytest.approx(want[3], abs=1e-6)


@pytest.mark.parametrize("rate, want", [
    # tobii-ivt: h = max(1, round(10 ms / period)) each side: 2h + 1 samples spanning 2h periods
    (30, (3, 66.666667)),   # 10 / 33.3 = 0.3 -> 0 -> 1: 3 samples, 66.7 ms
    (300, (7, 20.0)),       # 10 / 3.33 = 3: 7 samples, 20 ms
    (500, (11, 20.0)),      # 10 / 2 = 5: 11 samples, 20 ms
])
def test_tobii_ivt_records_the_applied_window(rate, want):
    t, x, y, _ = _trace(rate, 0.0)
    p = D.classify(t, x, y, G, "tobii-ivt").params
    assert p["window_ms"] == 20.0
    assert p["window_samples"] == want[0]
    assert p["window_ms_applied"] == pytest.approx(want[1], abs=1e-6)


def test_detection_json_records_the_applied_window(tmp_path):
    # 60 Hz, nh's default 6 ms: 3 samples, 50 ms, recorded per trial in detection.json
    t, x, y, _ = _trace(60, 0.0)
    log = tmp_path / "log.csv"
    pd.DataFrame({"subject": "s", "stimulus": "a", "time_ms": t, "x": x, "y": y,
                  "valid": np.isfinite(x).astype(int)}).to_csv(log, index=False, na_rep="")
    try:
        rc = main(["detect", str(log), "--out", str(tmp_path / "out"), "--quiet", "--screen-px", "1920x1080",
                   "--screen-cm", "53.1x29.9", "--distance-cm", "65"])
    except SystemExit as exc:
        rc = exc.code
    assert rc == 0
    p = json.loads((tmp_path / "out" / "detection.json").read_text())["trials"][0]["params"]
    assert (p["window_ms"], p["window_samples"]) == (6.0, 3)
    assert p["window_ms_applied"] == pytest.approx(50.0, abs=1e-6)


# ---------------------------------------------------------------- 3: nh below 200 Hz warns

NH_60 = ("the nh detector (Nystrom & Holmqvist 2010) was designed for trackers of 200 Hz and more, and these "
         "samples are 60 Hz: its fixation onsets come 2-3 samples late, saccades whose peak speed stays under its "
         "adaptive threshold are missed and the fixations around them merged; for a 30-120 Hz tracker use "
         "--detector tobii-ivt or --detector idt")


def test_rate_warning_for_nh_below_200_hz():
    assert rate_warning("nh", 60.0) == NH_60
    assert "samples are 195.9 Hz" in rate_warning("nh", 195.9)  # 199.9 Hz is a 200 Hz clock's jitter: no warning


@pytest.mark.parametrize("detector, rate", [("nh", 500.0), ("nh", 200.0), ("nh", None), ("nh", float("nan")),
                                            ("ivt", 60.0), ("idt", 30.0), ("tobii-ivt", 60.0)])
def test_rate_warning_none(detector, rate):
    assert rate_warning(detector, rate) is None


# ---------------------------------------------------------------- 4: an exactly-minimum fixation is kept

def test_discard_short_keeps_12_periods_at_120_hz():
    t = np.arange(200) * (1000.0 / 120.0)
    # 12 periods of 1000/120 ms are 100 ms exactly; in floating point t[39] - t[27] = 99.99999999999997 or so
    assert t[39] - t[27] < 100.0
    assert D.discard_short([(27, 39), (0, 12)], t, 100.0) == [(27, 39), (0, 12)]
    assert D.discard_short([(27, 38)], t, 100.0) == []  # 11 periods, 91.7 ms: dropped

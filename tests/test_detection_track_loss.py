"""Track loss, blinks, merging and the options of ``saliency detect``: cases found by a review (stop 18).

- a glance off the screen (samples the tracker measured, outside it) was
  called a blink: only samples without a gaze (missing, or flagged invalid:
  the tracker lost the eye) make a blink (Lund 2013 TL48 "Europe": samples
  408-435 below the screen became a 56 ms blink);
- fixations were merged across a track loss, so a fixation's samples held
  track loss and blink labels;
- a fixation's position in degrees was averaged over bridged samples, in
  pixels over the samples seen;
- ``detect`` had no sampling-rate check (seconds read as ms gave 0 fixations, exit 0),
  accepted ``--plot-trial`` past the last trial (no plot, no word), recorded
  options the detector does not use (``--detector nh --threshold 500``) as
  applied, and failed with a TypeError when the screen resolution came from
  the file.

Oracles: the positions, times and labels the traces were built with, and the
screen geometry's own pixel-to-degree conversion on the samples seen.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from test_reliability_inputs import one_line  # the in-process command's one stderr line, no traceback
from saliency.data_tools import detection as D
from saliency.data_tools import events as E
from saliency.data_tools.detectors import BLINK, FIXATION, TRACK_LOSS
from saliency.data_tools.geometry import ScreenGeometry
from saliency.detect import DetectOptions, classify_trial

GEOM = ScreenGeometry((1000, 800), (40.0, 32.0), 60.0)
GEOM_ARGS = ["--screen-px", "1000x800", "--screen-cm", "40x32", "--distance-cm", "60"]


def _trial(gap_x, gap_valid, n_gap=28, rate=500.0):
    """300 ms at (300, 400), ``n_gap`` samples at ``gap_x`` (NaN = no gaze), 300 ms at (700, 400); 500 Hz."""
    rng = np.random.default_rng(2)
    n1, n2 = 150, 150
    t = np.arange(n1 + n_gap + n2) * (1000.0 / rate)
    x = np.concatenate([300 + rng.normal(0, 0.3, n1), np.full(n_gap, gap_x), 700 + rng.normal(0, 0.3, n2)])
    y = np.concatenate([400 + rng.normal(0, 0.3, n1), np.full(n_gap, 900.0 if np.isfinite(gap_x) else np.nan),
                        400 + rng.normal(0, 0.3, n2)])
    valid = np.concatenate([np.ones(n1, bool), np.full(n_gap, gap_valid), np.ones(n2, bool)])
    return pd.DataFrame({"time_ms": t, "x": x, "y": y, "valid": valid}), slice(n1, n1 + n_gap)


@pytest.mark.parametrize("method", ["nh", "ivt", "tobii-ivt"])
def test_a_glance_off_the_screen_is_track_loss_not_a_blink(method):
    o = DetectOptions(geometry=GEOM, detector=method, max_gap_ms=0.0)  # tobii-ivt would bridge up to 75 ms
    df, gap = _trial(500.0, True)  # 56 ms measured at y = 900, below the screen
    _, c, _, _ = classify_trial(df, o)
    assert not (c.labels == BLINK).any(), method
    assert (c.labels[gap] == TRACK_LOSS).all()
    # the same 56 ms without a gaze (missing, or flagged invalid: the tracker lost the eye) is a blink
    for gap_x, valid in ((np.nan, False), (500.0, False)):
        _, c, _, _ = classify_trial(_trial(gap_x, valid)[0], o)
        assert (c.labels[gap] == BLINK).all(), (method, gap_x, valid)


def test_off_screen_samples_next_to_a_blink_join_it():
    df, gap = _trial(np.nan, False, n_gap=30)
    df.loc[gap.start:gap.start + 2, ["x", "y", "valid"]] = [500.0, 900.0, True]  # the lid drags the gaze off
    _, c, _, _ = classify_trial(df, DetectOptions(geometry=GEOM, detector="ivt"))
    assert (c.labels[gap] == BLINK).all()


@pytest.mark.parametrize("method", ["ivt", "nh"])
def test_fixations_are_not_merged_across_a_track_loss(method):
    # one place, 20 ms without gaze in the middle (not bridged: --max-gap 0)
    df, gap = _trial(np.nan, False, n_gap=10)
    df.loc[gap.stop:, "x"] -= 400.0
    t, x, y = (df[k].to_numpy(np.float64) for k in ("time_ms", "x", "y"))
    c = D.classify(t, x, y, GEOM, method, merge_ms=75.0, merge_deg=1.0, max_gap_ms=0.0)
    assert len(c.fixations) == 2, c.fixations
    for a, b in c.fixations:  # a fixation's samples are all labelled fixation
        assert (c.labels[a:b + 1] == FIXATION).all()
    assert (c.labels[gap] == BLINK).all()
    # bridged (20 ms <= --max-gap 75), the samples are no longer missing: one fixation over all 310 samples
    c = D.classify(t, x, y, GEOM, method, merge_ms=75.0, merge_deg=1.0, max_gap_ms=75.0)
    assert len(c.fixations) == 1 and (c.labels == FIXATION).sum() >= 300


def test_merge_fixations_hand_worked():
    t = np.arange(10) * 10.0
    x = np.array([0, 0, 0, 5, np.nan, 5, 0, 0, 0, 0], float) * 0.01
    y = np.zeros(10)
    # fixations (0-2) and (6-9), 40 ms apart, the same place; between them a missing sample
    assert D.merge_fixations([(0, 2), (6, 9)], t, x, y, 75.0, 1.0) == [(0, 2), (6, 9)]
    x[4] = 0.05
    assert D.merge_fixations([(0, 2), (6, 9)], t, x, y, 75.0, 1.0) == [(0, 9)]


def test_fixation_position_in_degrees_uses_the_samples_seen():
    t = np.arange(240) * 2.0
    x = np.full(240, 500.0)
    x[200:] = 560.0  # the last 40 samples sit 60 px to the right
    x[100:130] = np.nan  # 60 ms lost, bridged with max_gap 75 ms
    y = np.full(240, 400.0)
    c = D.classify(t, x, y, GEOM, "ivt", max_gap_ms=75.0, min_duration_ms=0.0, threshold=1000.0)
    assert len(c.fixations) == 1
    a, b = c.fixations[0]  # the five-point speed is undefined at the first and last two samples
    assert a <= 2 and b >= 237
    row = E.fixation_table(c, x, y)
    xs, ys = x[a:b + 1], y[a:b + 1]
    seen = np.isfinite(xs)
    xd, yd = GEOM.pixels_to_degrees(xs[seen], ys[seen])
    assert row["x"][0] == pytest.approx(xs[seen].mean(), abs=1e-9)
    # the same samples in degrees: the geometry's conversion of the samples seen, averaged
    # (bridged samples, at the midpoint of the gap's ends, pulled the old mean 0.02 deg to the left)
    assert row["x_deg"][0] == pytest.approx(float(np.mean(xd)), abs=1e-9)
    assert row["y_deg"][0] == pytest.approx(float(np.mean(yd)), abs=1e-9)
    assert row["samples"][0] == b - a + 1


def _samples_csv(path, scale=1.0):
    t = np.arange(600) * 2.0 * scale
    x = np.where(np.arange(600) < 300, 300.0, 700.0) + np.random.default_rng(0).normal(0, 0.3, 600)
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time": t, "x": x, "y": 400.0}).to_csv(path, index=False)
    return path



def test_detect_refuses_a_wrong_time_unit(tmp_path, capsys):
    log = _samples_csv(tmp_path / "secs.csv", scale=0.001)  # seconds in a column read as ms
    rc = main(["detect", str(log), "--out", str(tmp_path / "o"), "--quiet", *GEOM_ARGS])
    err = one_line(capsys, 2, rc)
    assert "secs.csv" in err and "500000 Hz" in err and "--time-unit s" in err and "500 Hz" in err
    assert not (tmp_path / "o").exists()
    rc = main(["detect", str(log), "--out", str(tmp_path / "o"), "--quiet", "--time-unit", "s", *GEOM_ARGS])
    assert rc == 0 and json.loads((tmp_path / "o" / "detection.json").read_text())["counts"]["fixations"] == 2


def test_plot_trial_past_the_last_trial_is_refused(tmp_path, capsys):
    log = _samples_csv(tmp_path / "a.csv")
    rc = main(["detect", str(log), "--out", str(tmp_path / "o"), "--quiet", "--plot-trial", "1", *GEOM_ARGS])
    err = one_line(capsys, 2, rc)
    assert "--plot-trial 1" in err and "1 trial" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra", [["--detector", "nh", "--threshold", "500"],
                                   ["--detector", "ivt", "--smooth-ms", "10"],
                                   ["--detector", "idt", "--smooth-ms", "10"]])
def test_detect_refuses_an_option_its_detector_does_not_use(tmp_path, capsys, extra):
    log = _samples_csv(tmp_path / "a.csv")
    rc = main(["detect", str(log), "--out", str(tmp_path / "o"), "--quiet", *extra, *GEOM_ARGS])
    err = one_line(capsys, 2, rc)
    assert extra[2] in err and extra[1] in err and not (tmp_path / "o").exists()
    with pytest.raises(Exception, match="not used by"):  # the library says the same
        D.classify(np.arange(10.0), np.zeros(10), np.zeros(10), GEOM, extra[1],
                   **({"threshold": 500.0} if extra[2] == "--threshold" else {"window_ms": 10.0}))


@pytest.mark.parametrize("extra", [["--detector", "nh", "--velocity-threshold", "50"],
                                   ["--detector", "ivt", "--dispersion-threshold", "1"],
                                   ["--detector", "idt", "--smooth-ms", "10"]])
def test_ingest_refuses_an_option_its_detector_does_not_use(tmp_path, capsys, extra):
    import cv2

    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "a.png"), np.zeros((800, 1000, 3), np.uint8))
    log = _samples_csv(tmp_path / "a.csv")
    rc = main(["ingest", str(log), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "o"), "--quiet",
               *extra, *GEOM_ARGS])
    err = one_line(capsys, 2, rc)
    assert extra[2] in err and extra[1] in err and not (tmp_path / "o").exists()


def test_detect_takes_the_screen_resolution_from_the_file(tmp_path, capsys):
    from saliency.data_tools.readers import eyelink_asc

    log = tmp_path / "sub01.asc"
    eyelink_asc.example_file(log, np.random.default_rng(1), 900)  # declares DISPLAY_COORDS 0 0 1919 1079
    rc = main(["detect", str(log), "--out", str(tmp_path / "o"), "--quiet", "--screen-cm", "53x30",
               "--distance-cm", "65"])
    assert rc == 0, capsys.readouterr().err
    s = json.loads((tmp_path / "o" / "detection.json").read_text())
    assert s["geometry"]["screen_px"] == [1920, 1080] and s["counts"]["fixations"] >= 5
    rc = main(["detect", str(log), "--out", str(tmp_path / "o2"), "--quiet", "--screen-px", "1280x1024",
               "--screen-cm", "53x30", "--distance-cm", "65"])
    err = one_line(capsys, 2, rc)
    assert "sub01.asc" in err and "1920x1080" in err
    rc = main(["detect", str(log), "--out", str(tmp_path / "o3"), "--quiet", "--screen-px", "1920x1080"])
    err = one_line(capsys, 2, rc)
    assert "--screen-cm" in err and "--distance-cm" in err

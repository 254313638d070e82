"""Detection on hand-worked traces found by a read-through: each gave one fixation where the eye was at two places.

- ``nh`` ran a fixation across a gap in the time stamps (rows absent), so a
  100 ms gap between two places became one fixation at their midpoint;
- a fixation holding bridged missing samples was averaged with them as
  (0, 0) in ``ingest`` (:func:`detection.summarize`);
- ``nh`` left a too-short saccade candidate (a step of the gaze) as fixation,
  joining the fixations on both sides.

Oracles: the positions and times the traces were built with.
"""

from __future__ import annotations

import numpy as np
import pytest

from saliency.data_tools import detection as D
from saliency.data_tools.geometry import ScreenGeometry

GEOM = ScreenGeometry((1024, 768), (38.0, 30.0), 67.0)  # the Lund 2013 set-up
RNG = np.random.default_rng(4)


def _fix(t0, t1, x, y, rate=500.0):
    t = np.arange(t0, t1, 1000.0 / rate)
    return t, x + RNG.normal(0, 0.3, len(t)), y + RNG.normal(0, 0.3, len(t))


def _cat(*parts):
    return tuple(np.concatenate(p) for p in zip(*parts))


@pytest.mark.parametrize("method", ["nh", "ivt", "idt", "tobii-ivt"])
def test_a_gap_in_the_time_stamps_ends_the_fixation(method):
    t, x, y = _cat(_fix(0, 200, 312, 384), _fix(300, 502, 712, 384))  # 100 ms of rows absent, the eye moved
    c = D.classify(t, x, y, GEOM, method)
    xs = sorted(float(np.mean(x[a:b + 1])) for a, b in c.fixations)
    assert len(xs) == 2 and abs(xs[0] - 312) < 1 and abs(xs[1] - 712) < 1, (method, xs)
    for a, b in c.fixations:  # no fixation spans the gap
        assert not (t[a] < 250 < t[b])


def test_summarize_averages_the_samples_seen():
    x = np.array([10.0, 12.0, np.nan, np.nan, 14.0, 500.0])
    y = np.array([20.0, 22.0, np.nan, np.nan, 24.0, 500.0])
    t = np.arange(6) * 2.0
    s = D.summarize([(0, 4)], t, x, y)
    assert s["x"].tolist() == [12.0] and s["y"].tolist() == [22.0]  # (10 + 12 + 14) / 3, not / 5
    assert s["duration_ms"].tolist() == [8.0] and s["t_start_ms"].tolist() == [0.0]


def test_bridged_track_loss_keeps_the_fixation_where_it_was():
    t, x, y = _fix(0, 400, 712, 484)
    x[100:120], y[100:120] = np.nan, np.nan  # 40 ms lost, bridged by tobii-ivt's 75 ms default
    c = D.classify(t, x, y, GEOM, "tobii-ivt")
    assert len(c.fixations) == 1
    s = D.summarize(c.fixations, t, x, y)
    assert abs(float(s["x"][0]) - 712) < 0.5 and abs(float(s["y"][0]) - 484) < 0.5


def test_a_step_of_the_gaze_splits_the_nh_fixation():
    t = np.arange(0, 800, 2.0)
    x = np.where(t < 400, 500.0, 700.0) + RNG.normal(0, 0.3, len(t))  # an instant jump of 6.3 deg
    y = 384 + RNG.normal(0, 0.3, len(t))
    c = D.classify(t, x, y, GEOM, "nh")
    xs = sorted(float(np.mean(x[a:b + 1])) for a, b in c.fixations)
    assert len(xs) == 2 and abs(xs[0] - 500) < 1 and abs(xs[1] - 700) < 1, xs


@pytest.mark.parametrize("method", ["nh", "ivt", "tobii-ivt"])
def test_rows_written_twice_give_the_same_events(method):
    """Every row written twice halved every speed (a 324 deg/s saccade peaked at 166): a zero interval
    between the copies. Repeated time stamps are now classified once and take their first row's label."""
    t, x, y = _cat(_fix(0, 500, 312, 384), (np.arange(500, 540, 2.0), np.linspace(322, 702, 20), np.full(20, 384.0)),
                   _fix(540, 1040, 712, 384))
    once = D.classify(t, x, y, GEOM, method)
    twice = D.classify(np.repeat(t, 2), np.repeat(x, 2), np.repeat(y, 2), GEOM, method)
    assert np.nanmax(twice.speed) == np.nanmax(once.speed) > 300
    np.testing.assert_array_equal(twice.labels, np.repeat(once.labels, 2))
    assert twice.fixations == [(2 * a, 2 * b + 1) for a, b in once.fixations]
    assert twice.params["duplicate_times"] == len(t)
    r = D.detect(np.repeat(t, 2), np.repeat(x, 2), np.repeat(y, 2), GEOM, method)  # ingest's path
    s1 = D.summarize(once.fixations, t, x, y)
    s2 = D.summarize(r, np.repeat(t, 2), np.repeat(x, 2), np.repeat(y, 2))
    np.testing.assert_allclose(s2["x"], s1["x"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(s2["t_start_ms"], s1["t_start_ms"])

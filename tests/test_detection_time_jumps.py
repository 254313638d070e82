"""Events next to a jump in the time stamps (rows absent from the log) and rows that repeat a time stamp.

README: a jump ends every event and is neither bridged nor a blink; a blink is
a run of samples without gaze lasting 10-500 ms; an event's position in pixels
and in degrees is the mean of the same samples. Oracles: hand-built traces
(a 2 ms dropout beside a 300 ms jump, two saccades either side of a 100 ms
jump, each time stamp written twice 20 px apart) and the geometry's own
pixel-to-degree conversion.
"""

from __future__ import annotations

import numpy as np

from saliency.data_tools import detection as D
from saliency.data_tools import events as E
from saliency.data_tools.detectors import BLINK, SACCADE, TRACK_LOSS
from saliency.data_tools.geometry import ScreenGeometry

GEOM = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)


def test_a_one_row_dropout_beside_a_jump_is_track_loss_not_a_blink_spanning_the_jump():
    # before: the unseen time reached across the 300 ms jump, a 302-306 ms blink that took the far side's samples
    t = np.concatenate([np.arange(0, 400, 2.0), [400.0], np.arange(700, 1100, 2.0)])
    rng = np.random.default_rng(0)
    x = 960 + rng.normal(0, 0.3, len(t))
    y = 540 + rng.normal(0, 0.3, len(t))
    x[200] = y[200] = np.nan
    for method in ("ivt", "nh"):
        c = D.classify(t, x, y, GEOM, method)
        assert c.labels[200] == TRACK_LOSS and not (c.labels == BLINK).any(), method
        assert len(E.blink_table(c)["onset_ms"]) == 0


def test_saccades_on_either_side_of_a_jump_are_two_rows():
    dpx = 65.0 * 1920 / 53.1

    def px(deg):
        return np.tan(np.radians(deg)) * dpx + 959.5

    def mj(a, b, n):  # minimum-jerk a -> b over n samples
        s = np.linspace(0, 1, n)
        return a + (b - a) * (10 * s**3 - 15 * s**4 + 6 * s**5)

    rng = np.random.default_rng(1)
    xa = np.concatenate([np.full(150, -8.0), mj(-8, 2, 21)[:11]])  # cut mid-flight by the jump
    xb = np.concatenate([mj(4, 8, 21)[10:], np.full(150, 8.0)])
    ta = np.arange(len(xa)) * 2.0
    tb = ta[-1] + 100 + np.arange(len(xb)) * 2.0
    t = np.concatenate([ta, tb])
    x = px(np.concatenate([xa, xb]) + rng.normal(0, 0.01, len(t)))
    y = 539.5 + rng.normal(0, 0.3, len(t))
    c = D.classify(t, x, y, GEOM, "nh")
    tab = E.saccade_table(c, x, y)
    assert all(off <= ta[-1] or on >= tb[0] for on, off in zip(tab["onset_ms"], tab["offset_ms"])), tab
    assert any(off == ta[-1] for off in tab["offset_ms"]) and any(on == tb[0] for on in tab["onset_ms"])
    for a, b in c.ranges(SACCADE):
        assert not (c.t[a] <= ta[-1] < c.t[b])


def test_repeated_time_stamps_give_pixels_and_degrees_of_the_same_rows():
    t = np.repeat(np.arange(0, 400, 2.0), 2)
    x = np.tile([700.0, 720.0], 200)  # the second row of each time stamp 20 px right (one row per eye)
    y = np.full(400, 540.0)
    c = D.classify(t, x, y, GEOM, "ivt")
    f = E.fixation_table(c, x, y)
    assert len(f["x"]) == 1 and abs(f["x"][0] - 710.0) < 1e-9
    xd, _ = GEOM.pixels_to_degrees(np.array([700.0, 720.0]), np.array([540.0, 540.0]))
    # the mean of the rows' degrees (before: the first rows' only, -6.30 against -6.06 for the pixel centroid)
    assert abs(f["x_deg"][0] - xd.mean()) < 1e-9
    assert abs(f["dispersion_deg"][0] - (xd[1] - xd[0])) < 1e-9

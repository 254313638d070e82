"""Rows that share a time stamp and a position are real samples and count in the event tables.

A tracker faster than its time column's precision (1200 Hz exported in whole
milliseconds, gaze in whole pixels) writes two samples with one stamp, often
at the same pixel during a fixation. Commit bd41995 counted such rows once (to
undo logs that write rows twice) and so dropped real samples from the
fixations' ``samples`` column and centroid (review RR4: 3,440 of 3,540
fixation samples left, against the command's own count); it was reverted. The
oracle here is the rows themselves: a fixation's ``samples`` is its number of
rows, its centroid their plain mean.
"""

from __future__ import annotations

import numpy as np

from saliency.data_tools import detection as D
from saliency.data_tools import events as ev
from saliency.data_tools.geometry import ScreenGeometry


def test_samples_at_one_stamp_and_pixel_all_count():
    g = ScreenGeometry((1920, 1080), (53.0, 30.0), 65.0)
    rng = np.random.default_rng(0)
    n = 3600
    tt = np.arange(n) / 1.2  # 1200 Hz
    t = np.round(tt)  # whole milliseconds: one stamp in six is shared by two samples
    x = np.where(tt < 1000, 600, np.where(tt < 1040, 600 + (tt - 1000) * 10, 1000)) + rng.normal(0, 0.6, n)
    y = 500 + rng.normal(0, 0.6, n)
    x, y = np.round(x), np.round(y)  # whole pixels: many shared stamps also share a position
    c = D.classify(t, x, y, g, "ivt")
    assert c.params["duplicate_times"] > 0
    table = ev.fixation_table(c, x, y)
    rows = [(a, b) for a, b in c.fixations]
    assert list(table["samples"]) == [b - a + 1 for a, b in rows]
    assert np.allclose(table["x"], [x[a:b + 1].mean() for a, b in rows], rtol=0, atol=1e-9)
    assert np.allclose(table["y"], [y[a:b + 1].mean() for a, b in rows], rtol=0, atol=1e-9)

"""Review 26, round 10: a saccade's peak velocity is measured, never the filter's edge extrapolation; the main
sequence says which saccades it leaves out.

On the Lund trials, 3 of ``nh``'s 174 saccades started on the first sample of a run of valid samples, where the
Savitzky-Golay speed is the polynomial of the run's first window evaluated at its edge, not measured: 403 deg/s
where pymovements and the central difference give 241, 1159 vs 758, 400 vs 304.
"""

from __future__ import annotations

import matplotlib.axes
import numpy as np
import pandas as pd
import pytest

from saliency.data_tools import detection as D
from saliency.data_tools import events as ev
from saliency.data_tools import smoothing as sm
from saliency.data_tools.detectors import SACCADE
from saliency.data_tools.geometry import ScreenGeometry
from saliency.detect import main_sequence_plot

from cli_fakes import run_cli

GEOM = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)
GEOM_ARGS = ["--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65"]
DT = 2.0  # 500 Hz: nh's 6 ms window is 3 samples, its speed the central difference (x[i+1] - x[i-1]) / 2 dt


def _to_px(xd, yd):
    """Degrees -> screen pixels, the exact inverse of the geometry's per-axis conversion."""
    cx, cy = (1920 - 1) / 2, (1080 - 1) / 2
    return cx + 65.0 * 1920 / 53.1 * np.tan(np.radians(xd)), cy + 65.0 * 1080 / 29.9 * np.tan(np.radians(yd))


def _trace():
    """(t, x deg, y deg): a fixation at 0 deg, 3 samples missing, a run starting inside a saccade (4.0, 5.2, 5.9, ...
    deg), a fixation at 6.62 deg, and a saccade ending on the trial's last sample (..., 6.92, 7.32, 8.12 deg)."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.01, 100), [np.nan] * 3, [4.0, 5.2, 5.9, 6.3, 6.5, 6.6, 6.62],
                        6.62 + rng.normal(0, 0.01, 100), [6.63, 6.66, 6.72, 6.92, 7.32, 8.12]])
    y = np.where(np.isfinite(x), 0.0, np.nan)
    return np.arange(len(x)) * DT, x, y


# closed form, deg/s: the first saccade's measured peak is the central difference at its second sample,
# (5.9 - 4.0) / 4 ms; the edge fit at its first sample gives (-3 * 4.0 + 4 * 5.2 - 5.9) / 4 ms = 725. The last
# saccade's is (8.12 - 6.92) / 4 ms at the trial's last sample but one; the edge fit at the last sample gives
# (6.92 - 4 * 7.32 + 3 * 8.12) / 4 ms = 500.
PEAKS = [475.0, 300.0]
EDGE = [725.0, 500.0]


def test_nh_peak_velocity_is_measured_not_the_edge_fit():
    t, x, y = _trace()
    px, py = _to_px(x, y)
    c = D.classify(t, px, py, GEOM, "nh")
    sac = c.ranges(SACCADE)
    assert [a for a, _ in sac] == [103, 207] and sac[1][1] == len(t) - 1  # the run's first sample, the trial's last
    # the per-sample speed (and so the labels) stays what the filter gives: the edge fit at the runs' ends
    assert c.speed[103] == pytest.approx(EDGE[0], rel=1e-9) and c.speed[-1] == pytest.approx(EDGE[1], rel=1e-9)
    tab = ev.saccade_table(c, px, py)
    np.testing.assert_allclose(tab["peak_velocity_deg_s"], PEAKS, rtol=1e-9)
    assert not c.measured[103] and not c.measured[-1] and c.measured[104] and c.measured[-2]


def test_detect_cli_writes_the_measured_peak(tmp_path, capsys):
    t, x, y = _trace()
    px, py = _to_px(x, y)
    log = tmp_path / "samples.csv"
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time_ms": t, "x": px, "y": py}).to_csv(
        log, index=False, na_rep="", float_format="%.10f")
    rc, out, err = run_cli(capsys, ["detect", log, "--out", tmp_path / "E", "--quiet", *GEOM_ARGS])
    assert rc == 0, err
    sac = pd.read_csv(tmp_path / "E" / "saccades.csv")
    np.testing.assert_allclose(sac["peak_velocity_deg_s"], PEAKS, rtol=1e-6)


def test_peak_undefined_without_a_measured_sample():
    # a saccade of edge samples only has no peak velocity (NaN, an empty cell, as an unseen end's amplitude)
    n = 12
    labels = np.zeros(n, dtype=np.int8)
    labels[:3] = SACCADE
    speed = np.array([900.0, 700.0, 300.0] + [5.0] * (n - 3))
    c = D.Classification("nh", np.arange(n) * DT, np.arange(n) * 0.1, np.zeros(n), labels, speed, [], {})
    c.measured = np.arange(n) >= 3
    tab = ev.saccade_table(c, *_to_px(c.xdeg, c.ydeg))
    assert len(tab["peak_velocity_deg_s"]) == 1 and np.isnan(tab["peak_velocity_deg_s"][0])
    c.measured = np.arange(n) >= 1  # one measured sample: its speed
    assert ev.saccade_table(c, *_to_px(c.xdeg, c.ydeg))["peak_velocity_deg_s"][0] == 700.0


def test_savgol_centred_marks_the_samples_whose_window_is_centred():
    # oracle by perturbation: the smoothed derivative at sample i depends on the samples j in its window; it is
    # centred on i when that window reaches as far before i as after (edge samples take the run's first window)
    rng = np.random.default_rng(3)
    lens = [1, 2, 3, 4, 5, 6, 7, 9, 14]
    v = np.concatenate([np.r_[rng.normal(0, 1, k), np.nan] for k in lens])
    t = np.arange(len(v)) * DT
    runs = sm.valid_runs(t, v)
    base = sm.savgol(t, v, 10.0, 2, 1, runs)  # 5 samples, shrunk to 3 on runs of 3-4 samples
    support = [[] for _ in v]
    for j in np.flatnonzero(np.isfinite(v)):
        w = v.copy()
        w[j] += 1.0
        for i in np.flatnonzero(np.abs(sm.savgol(t, w, 10.0, 2, 1, runs) - base) > 1e-12):
            support[i].append(j)
    want = np.array([bool(s) and min(s) + max(s) == 2 * i for i, s in enumerate(support)])
    got = D.savgol_centred(t, runs, 10.0)
    np.testing.assert_array_equal(got, want)
    assert want.sum() == 0 + 0 + 1 + 2 + 1 + 2 + 3 + 5 + 10  # the runs' centred samples, counted by hand


def test_main_sequence_title_counts_the_saccades_left_out(tmp_path, monkeypatch):
    titles = []
    real = matplotlib.axes.Axes.set_title

    def spy(self, label, *a, **k):
        titles.append(label)
        return real(self, label, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_title", spy)
    sac = pd.DataFrame({"amplitude_deg": [0.0, 1.0, 0.0, 2.0, np.nan, 3.0],
                        "peak_velocity_deg_s": [40.0, 100.0, 30.0, 150.0, 200.0, np.nan]})
    main_sequence_plot(sac, tmp_path / "m.png")
    assert titles[-1] == ("main sequence: 2 of 6 saccades\nnot drawn: 2 of zero amplitude, 1 without amplitude, "
                          "1 without peak velocity")
    main_sequence_plot(sac.iloc[[1, 3]], tmp_path / "m2.png")  # all drawn: the count alone
    assert titles[-1] == "main sequence (2 saccades)"
    assert (tmp_path / "m.png").stat().st_size > 0

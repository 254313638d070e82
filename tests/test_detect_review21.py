"""``saliency detect``: four defects a review reproduced (stop 21).

1. Gap fill-in (``--max-gap``; ``tobii-ivt`` 75 ms by default) interpolated
   over samples the tracker measured off the screen, so a glance away (and a
   blink next to it) became part of a fixation. A measured off-screen gaze is
   not missing data (Olsen 2012 fills in data "missing for reasons other than
   blinks or looking away"): a run holding one stays track loss and ends the
   events around it; a short run without a gaze is still filled in, as Tobii
   does (neither a blink nor track loss).
2. ``--merge-ms`` without ``--merge-deg`` (or either 0 with the other above
   0) merged nothing yet was recorded in ``detection.json`` as applied.
3. A saccade's amplitude came from interpolated positions while its start and
   end columns show the samples seen (NaN where an end was filled in).
4. ``velocity.png`` left pursuit and track-loss samples uncoloured.

Oracles: the positions, times and labels the traces were built with, worked
by hand in each test's comments; the published pixel-to-degree formula
``atan2(px - (res - 1) / 2, distance * res / size)`` computed here.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from test_reliability_inputs import one_line  # the in-process command's one stderr line, no traceback
from saliency.data_tools.detectors import LABEL_NAMES

RES, SIZE, DIST = (1024, 768), (38.0, 30.0), 67.0
GEOM_ARGS = ["--screen-px", "1024x768", "--screen-cm", "38x30", "--distance-cm", "67"]


def _deg(px: float, axis: int) -> float:
    """Degrees of one pixel coordinate by the published formula (independent of the package)."""
    return math.degrees(math.atan2(px - (RES[axis] - 1) / 2.0, DIST * RES[axis] / SIZE[axis]))


def _detect(tmp_path, df: pd.DataFrame, *extra: str, out: str = "out"):
    """Exit code of in-process ``saliency detect`` on ``df`` written as a samples CSV (subject s, stimulus a)."""
    log = tmp_path / "log.csv"
    df.assign(subject="s", stimulus="a")[["subject", "stimulus", "time_ms", "x", "y", "valid"]] \
        .to_csv(log, index=False, na_rep="")
    try:
        return main(["detect", str(log), "--out", str(tmp_path / out), "--quiet", "--overwrite", *GEOM_ARGS, *extra])
    except SystemExit as exc:
        return exc.code


# ---------------------------------------------------------------- 1: off-screen samples are never filled in

def _offscreen_trace() -> pd.DataFrame:
    """The review's trace, 600 samples at 500 Hz round (500, 384), with three holes (indices):

    - 150-169: measured at x = 1100, off the 1024 px screen, flagged valid (a glance away, 40 ms);
    - 300-309: no gaze (flagged invalid), then 310-314 measured at x = -50 (off the left edge);
    - 450-459: no gaze (invalid), 20 ms, the eye seen on both sides at the same place.
    """
    rng = np.random.default_rng(1)
    n = 600
    x = 500 + rng.normal(0, 0.3, n)
    y = 384 + rng.normal(0, 0.3, n)
    v = np.ones(n, bool)
    x[150:170] = 1100.0
    x[300:310] = np.nan
    y[300:310] = np.nan
    v[300:310] = False
    x[310:315] = -50.0
    x[450:460] = np.nan
    y[450:460] = np.nan
    v[450:460] = False
    return pd.DataFrame({"time_ms": np.arange(n) * 2.0, "x": x, "y": y, "valid": v})


@pytest.mark.parametrize("extra, reach", [(["--detector", "tobii-ivt"], 5),
                                          (["--detector", "ivt", "--max-gap", "75"], 2)])
def test_gap_fill_in_never_bridges_off_screen_samples(tmp_path, extra, reach):
    """``reach``: samples on each side of a missing one without a speed (tobii-ivt: 20 ms window = 5 samples
    each side at 500 Hz; ivt: the five-point differentiator, 2): undefined, so they join an adjacent blink."""
    assert _detect(tmp_path, _offscreen_trace(), *extra) == 0
    s = pd.read_csv(tmp_path / "out" / "samples.csv")
    lab = s["label"].to_numpy()
    # the glance away (40 ms off screen, eye seen): track loss, as if the gap fill-in were off
    assert set(lab[150:170]) == {"track_loss"}
    # 300-309 unseen: the time between the seen samples around it (t[299] = 598, t[310] = 620) less one
    # period is 20 ms, within 10-500 ms: a blink; the off-screen samples 310-314 next to it join it, and so do
    # the ``reach`` samples on either side whose speed window holds a missing sample (undefined)
    assert set(lab[300 - reach:315 + reach]) == {"blink"}
    blinks = pd.read_csv(tmp_path / "out" / "blinks.csv")
    assert blinks[["onset_ms", "offset_ms"]].values.tolist() == [[2.0 * (300 - reach), 2.0 * (314 + reach)]]
    # no fixation reaches over a measured off-screen sample or the blink
    fx = pd.read_csv(tmp_path / "out" / "fixations.csv")
    t = s["time_ms"].to_numpy()
    for i in [*range(150, 170), *range(300, 315)]:
        assert not ((fx["onset_ms"] <= t[i]) & (fx["offset_ms"] >= t[i])).any(), i
    # 450-459 (20 ms without a gaze, no off-screen sample) is filled in, as Tobii does: inside one fixation,
    # neither a blink nor track loss
    assert set(lab[440:470]) == {"fixation"}
    assert ((fx["onset_ms"] <= t[440]) & (fx["offset_ms"] >= t[469])).sum() == 1


def test_bridge_gaps_keeps_marked_runs_missing():
    from saliency.data_tools.smoothing import bridge_gaps

    t = np.arange(10) * 2.0
    x = np.array([0.0, 1, 2, np.nan, np.nan, 5, 6, np.nan, 8, 9])
    keep = np.zeros(10, bool)
    keep[4] = True  # index 4 was measured off the screen: the run 3-4 holds it and stays missing
    bx, by, filled = bridge_gaps(t, x, x, 75.0, keep_missing=keep)
    assert np.isnan(bx[3]) and np.isnan(bx[4]) and np.isnan(by[3])
    assert bx[7] == 7.0 and by[7] == 7.0  # halfway between 6 (t 12) and 8 (t 16)
    assert filled.tolist() == [False] * 7 + [True] + [False] * 2


# ---------------------------------------------------------------- 2: a merge setting that merges nothing

@pytest.mark.parametrize("extra", [
    ["--merge-ms", "50"],  # nh: merge_deg 0 by default
    ["--detector", "ivt", "--merge-deg", "0.5"],  # ivt: merge_ms 0 by default
    ["--detector", "tobii-ivt", "--merge-deg", "0"],  # the preset's 75 ms with 0 deg
    ["--detector", "tobii-ivt", "--merge-ms", "0"],  # the preset's 0.5 deg with 0 ms
])
def test_half_a_merge_setting_is_refused(tmp_path, capsys, extra):
    rc = _detect(tmp_path, _offscreen_trace(), *extra)
    line = one_line(capsys, 2, rc)
    assert "--merge-ms" in line and "--merge-deg" in line and "both 0" in line, line
    assert not (tmp_path / "out").exists()


def _blip_trace() -> pd.DataFrame:
    """Two halves at (500, 384) split by one sample at x = 560 (index 150); 400 samples at 500 Hz, no noise.

    Tobii I-VT speed over 20 ms (5 samples each side; none for the first and last 5 samples): only samples
    145 and 155 see the blip at a window end, 60 px in 20 ms (about 95 deg/s > 30): saccade. Fixation
    candidates 5-144, 146-154, 156-394; 146-154 is 4 ms after 5-144 with its centroid
    (8 x 500 + 560) / 9 = 506.7 px, 0.2 deg away: merged; so is 156-394 (4 ms later, 0.2 deg from the merged
    centroid): one fixation 10-788 ms. Without merging, 146-154 (16 ms) is shorter than 60 ms and discarded:
    two fixations, 10-288 and 312-788 ms.
    """
    n = 400
    x = np.full(n, 500.0)
    x[150] = 560.0
    return pd.DataFrame({"time_ms": np.arange(n) * 2.0, "x": x, "y": np.full(n, 384.0), "valid": True})


@pytest.mark.parametrize("extra, merge, fixations", [
    ([], (75.0, 0.5), [[10.0, 788.0]]),
    (["--merge-ms", "0", "--merge-deg", "0"], (0.0, 0.0), [[10.0, 288.0], [312.0, 788.0]]),
    (["--merge-ms", "10", "--merge-deg", "1"], (10.0, 1.0), [[10.0, 788.0]]),
])
def test_merge_settings_that_apply_are_recorded_as_applied(tmp_path, extra, merge, fixations):
    assert _detect(tmp_path, _blip_trace(), "--detector", "tobii-ivt", *extra) == 0
    fx = pd.read_csv(tmp_path / "out" / "fixations.csv")
    assert fx[["onset_ms", "offset_ms"]].values.tolist() == fixations
    d = json.loads((tmp_path / "out" / "detection.json").read_text())
    p = d["trials"][0]["params"]
    assert (p["merge_ms"], p["merge_deg"]) == merge


def test_check_options_accepts_merging_turned_off():
    from saliency.base.errors import UserError
    from saliency.detect import DetectOptions, check_options

    check_options(DetectOptions(detector="nh", merge_ms=0.0))  # 0 with the default 0: merging off, true
    check_options(DetectOptions(detector="tobii-ivt", merge_ms=0.0, merge_deg=0.0))
    with pytest.raises(UserError, match="merge_deg"):
        check_options(DetectOptions(detector="idt", merge_ms=75.0))


# ---------------------------------------------------------------- 3: amplitude from the samples the table shows

def test_saccade_amplitude_is_between_the_start_and_end_shown(tmp_path):
    """A 400 px saccade (cosine profile, indices 150-169) whose last 4 samples and the 20 after are unseen.

    ``--max-gap 75`` fills 166-189 in (t[190] - t[165] - 2 = 48 ms); the I-VT speed stays above 20 deg/s
    over the filled samples, so the saccade ends on one: its end was not seen (x_end NaN), and its
    amplitude must not come from the interpolated line either. Without gap fill-in (nh) the saccade
    ends on a seen sample at 700 px: amplitude = deg(700) - deg(300) by the published formula.
    """
    n1, ns, n2 = 150, 20, 200
    s = (1 - np.cos(np.linspace(0, np.pi, ns + 2)[1:-1])) / 2
    x = np.concatenate([np.full(n1, 300.0), 300 + 400 * s, np.full(n2, 700.0)])
    y = np.full(len(x), 384.0)
    v = np.ones(len(x), bool)
    x[166:190] = np.nan
    y[166:190] = np.nan
    v[166:190] = False
    df = pd.DataFrame({"time_ms": np.arange(len(x)) * 2.0, "x": x, "y": y, "valid": v})
    assert _detect(tmp_path, df, "--detector", "ivt", "--max-gap", "75", out="ivt") == 0
    sc = pd.read_csv(tmp_path / "ivt" / "saccades.csv")
    assert len(sc) == 1 and sc["x_start"][0] == 300.0 and np.isnan(sc["x_end"][0])
    assert np.isnan(sc["amplitude_deg"][0])
    assert _detect(tmp_path, df, "--detector", "nh", out="nh") == 0
    sc = pd.read_csv(tmp_path / "nh" / "saccades.csv")
    for r in sc.itertuples():
        seen = all(np.isfinite([r.x_start, r.y_start, r.x_end, r.y_end]))
        want = math.hypot(_deg(r.x_end, 0) - _deg(r.x_start, 0), _deg(r.y_end, 1) - _deg(r.y_start, 1)) \
            if seen else float("nan")
        assert (np.isnan(r.amplitude_deg) and np.isnan(want)) or r.amplitude_deg == pytest.approx(want, abs=1e-9)


# ---------------------------------------------------------------- 4: velocity.png colours every label

def test_velocity_plot_colours_every_label(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from saliency.data_tools.detection import Classification
    from saliency.detect import velocity_plot

    codes = sorted(LABEL_NAMES)
    labels = np.repeat(np.array(codes, dtype=np.int8), 10)  # 10 samples of every label, 2 ms apart: 0.14 s
    n = len(labels)
    speed = np.where(np.isin(labels, [0, 5]), np.nan, np.linspace(1.0, 300.0, n))  # no speed in track loss, blink
    c = Classification("ivt", np.arange(n) * 2.0, np.zeros(n), np.zeros(n), labels, speed, [], {"threshold": 20.0})
    figs = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figs.append(fig))
    velocity_plot(c, tmp_path / "v.png")
    assert (tmp_path / "v.png").stat().st_size > 0
    ax = figs[0].axes[0]
    _, names = ax.get_legend_handles_labels()
    assert sorted(names) == sorted(LABEL_NAMES.values())  # a legend entry per label
    drawn = {col.get_label(): col for col in ax.collections}
    assert sum(len(col.get_offsets()) for col in drawn.values()) == n  # every sample drawn once
    colours = {k: tuple(np.round(col.get_facecolor()[0], 3)) for k, col in drawn.items()}
    assert len(set(colours.values())) == len(LABEL_NAMES)  # each label its own colour
    real_close(figs[0])

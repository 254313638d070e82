"""``saliency detect`` on samples outside any trial (review R12, low).

An EyeLink ASC with samples before, between and after its two trials: the
ingest quarantines those samples (``outside_trial``); ``detect`` labels them
as runs of their own with an empty trial and stimulus, so their events are
listed. ``velocity.png`` drew the pre-trial run by default (titled only with
the subject): ``--plot-trial K`` counts the trials, never the runs outside
any trial.

Oracle: the hand-written log (its trial messages, their time stamps and the
image each loads).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import saliency.detect as detect_mod
from cli_fakes import refusal, run_cli

GEOM_ARGS = ["--screen-cm", "40x30", "--distance-cm", "60"]  # the resolution comes from DISPLAY_COORDS


def _gaze(n, rng):
    """``n`` 500 Hz samples: fixations of 100 samples (200 ms) at spots 200 px apart, then a jump."""
    spots = [(200.0, 300.0), (400.0, 300.0), (600.0, 300.0), (400.0, 500.0)]
    k = np.arange(n) // 100
    x = np.array([spots[i % 4][0] for i in k]) + rng.normal(0, 0.3, n)
    y = np.array([spots[i % 4][1] for i in k]) + rng.normal(0, 0.3, n)
    return x, y


def _asc(path):
    """Pre-trial (400 ms), trial 1 on a.png (1 s), between (200 ms), trial 2 on b.png (1 s), after (200 ms)."""
    rng = np.random.default_rng(3)
    lines = ["** CONVERTED FROM s1.edf using edf2asc", "MSG\t0 DISPLAY_COORDS 0 0 1023 767",
             "START\t0 \tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tRIGHT\tRATE\t 500.00\tTRACKING\tCR"]
    t = 0

    def samples(n):
        nonlocal t
        x, y = _gaze(n, rng)
        for i in range(n):
            lines.append(f"{t}\t{x[i]:.1f}\t{y[i]:.1f}\t1000.0\t...")
            t += 2

    samples(200)  # 0..398: before the first TRIALID (calibration, drift check)
    lines += [f"MSG\t{t} TRIALID 1", f"MSG\t{t} !V IMGLOAD FILL a.png"]  # t = 400
    samples(500)
    lines.append(f"MSG\t{t} TRIAL_RESULT 0")  # t = 1400
    samples(100)
    lines += [f"MSG\t{t} TRIALID 2", f"MSG\t{t} !V IMGLOAD FILL b.png"]  # t = 1600
    samples(500)
    lines.append(f"MSG\t{t} TRIAL_RESULT 0")
    samples(100)
    lines.append(f"END\t{t} \tSAMPLES\tEVENTS")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def plotted(monkeypatch):
    """The (title, first sample time) of every velocity.png drawn; the plot is still written."""
    seen = []
    real = detect_mod.velocity_plot

    def spy(c, path, title="", **kw):
        seen.append((title, float(c.t[0])))
        return real(c, path, title=title, **kw)

    monkeypatch.setattr(detect_mod, "velocity_plot", spy)
    return seen


def test_runs_outside_any_trial_are_labelled_and_velocity_png_draws_the_first_trial(tmp_path, capsys, plotted):
    log = _asc(tmp_path / "s1.asc")
    rc, out, err = run_cli(capsys, ["detect", log, "--out", tmp_path / "o", "--quiet", *GEOM_ARGS])
    assert rc == 0, err
    s = json.loads((tmp_path / "o" / "detection.json").read_text())
    keys = [(t["trial"], t["stimulus"]) for t in s["trials"]]
    # every sample keeps a label: the runs before, between and after the trials are their own, with empty keys
    assert keys == [("", ""), ("1", "a.png"), ("", ""), ("2", "b.png"), ("", "")]
    assert [t["samples"] for t in s["trials"]] == [200, 500, 100, 500, 100]
    fx = pd.read_csv(tmp_path / "o" / "fixations.csv", keep_default_na=False, dtype=str)
    assert ((fx["trial"] == "") & (fx["stimulus"] == "")).any()  # their events are listed
    # the default plot is trial 1 (it starts at its TRIALID, 400 ms), not the pre-trial run titled only "s1"
    assert plotted == [("s1 / 1 / a.png", 400.0)]
    assert (tmp_path / "o" / "velocity.png").is_file()


def test_plot_trial_counts_the_trials_not_the_runs_outside_them(tmp_path, capsys, plotted):
    log = _asc(tmp_path / "s1.asc")
    rc, out, err = run_cli(capsys, ["detect", log, "--out", tmp_path / "o", "--quiet", "--plot-trial", "1",
                                    *GEOM_ARGS])
    assert rc == 0, err
    assert plotted == [("s1 / 2 / b.png", 1600.0)]  # the second trial, TRIALID 2 at 1600 ms
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "o2", "--quiet", "--plot-trial", "2",
                                     *GEOM_ARGS]))
    assert "--plot-trial 2" in line and "2 trial(s)" in line and "3 run(s) of samples outside any trial" in line
    assert "0..1" in line and not (tmp_path / "o2").exists()


def test_a_samples_file_without_trials_still_plots_its_first_run(tmp_path, capsys, plotted):
    """A generic samples file does not mark trials: its runs (one per subject here) are the trials."""
    rng = np.random.default_rng(4)
    x, y = _gaze(400, rng)
    pd.DataFrame({"subject": ["p1"] * 200 + ["p2"] * 200, "time": np.arange(400) * 2.0, "x": x, "y": y}).to_csv(
        tmp_path / "g.csv", index=False)
    rc, out, err = run_cli(capsys, ["detect", tmp_path / "g.csv", "--out", tmp_path / "o", "--quiet",
                                    "--screen-px", "1024x768", "--plot-trial", "1", *GEOM_ARGS])
    assert rc == 0, err
    assert plotted == [("p2", 400.0)]

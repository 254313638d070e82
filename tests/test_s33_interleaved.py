"""Raw samples of two trials interleaved by time are refused (review M2, HIGH: silent loss).

A trial is a run of consecutive rows with the same subject, stimulus and
trial. Two recordings merged and sorted by time stamp (or one export of
concurrent recordings) made one-row "trials" with no sampling interval: no
fixation, the rows booked "kept", rc 0 and no word (the whole synthetic study
sorted by time ended in a misleading "no usable fixations"). Ingest and detect
now refuse such a file in one line naming the file, the trial, the line where
its rows resume and the line of its previous row, and what to do.

Oracle: hand-built logs whose lines are known (header = line 1): two trials
of 500 Hz samples from the same start time merged by time put subject sub01's
first row on line 2, sub02's on line 3, and sub01's second row (2 ms later) on
line 4. Legitimate layouts (a stimulus viewed again later in the session, each
trial on its own clock) are still read.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cli_fakes import refusal, run_cli
from ingest_fakes import gaze_trial, grey_stimuli, study  # noqa: F401 (study: a module fixture)

W, H = 1920, 1080
GEOM = ["--screen-px", f"{W}x{H}", "--screen-cm", "53x30", "--distance-cm", "65"]
ADVICE = "sort the rows by subject, trial and time"


def _trial(subject, stimulus, seed, t0=1000.0, n_fix=6) -> pd.DataFrame:
    t, x, y, _ = gaze_trial(np.random.default_rng(seed), n_fix=n_fix, t0=t0, blink_prob=0.0)
    return pd.DataFrame({"subject": subject, "stimulus": stimulus, "time_ms": t, "x": x.round(2), "y": y.round(2),
                         "valid": 1})


def _merged_by_time(path, *trials) -> pd.DataFrame:
    """The trials' rows merged by time (a stable sort: on a tie, the earlier trial's row first)."""
    df = pd.concat(trials, ignore_index=True)
    df = df.iloc[np.argsort(df["time_ms"].to_numpy(), kind="stable")]
    df.to_csv(path, index=False)
    return df


def _ingest(capsys, tmp_path, log, stim, out="out"):
    return run_cli(capsys, ["ingest", log, "--stimuli", stim, "--out", tmp_path / out, *GEOM, "--quiet"])


def test_two_subjects_merged_by_time_are_refused_by_ingest_and_detect(tmp_path, capsys):
    log = tmp_path / "merged.csv"
    df = _merged_by_time(log, _trial("sub01", "img1", 1), _trial("sub02", "img1", 2))
    assert df["subject"].iloc[:3].tolist() == ["sub01", "sub02", "sub01"]  # lines 2, 3, 4
    stim = grey_stimuli(tmp_path, ("img1",), (W, H))
    line = refusal(*_ingest(capsys, tmp_path, log, stim))
    assert line.startswith(f"saliency ingest: error: {log}: line 4: "), line
    assert "subject 'sub01', stimulus 'img1' resume 2 ms after their previous row (line 2)" in line, line
    assert "after rows of subject 'sub02', stimulus 'img1'" in line and line.endswith(ADVICE), line
    assert not (tmp_path / "out").exists()
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "det", *GEOM]))
    assert f"{log}: line 4: the rows of subject 'sub01', stimulus 'img1' resume 2 ms" in line, line
    assert "(line 2)" in line and line.endswith(ADVICE), line
    assert not (tmp_path / "det").exists()


def test_the_same_rows_one_trial_after_the_other_are_read(tmp_path, capsys):
    """The control: the two trials of the test above, not merged: both give fixations."""
    log = tmp_path / "ordered.csv"
    pd.concat([_trial("sub01", "img1", 1), _trial("sub02", "img1", 2)]).to_csv(log, index=False)
    rc, out, err = _ingest(capsys, tmp_path, log, grey_stimuli(tmp_path, ("img1",), (W, H)))
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "out" / "fixations.csv")
    assert (fix["subject"].value_counts() >= 4).all() and set(fix["subject"]) == {"sub01", "sub02"}


def test_blocks_interleaved_across_a_chunk_boundary(tmp_path):
    """Concurrent recordings exported in 1 s blocks (500 rows): sub01's rows resume on line 1002, 2 ms after
    its previous row on line 501; read 500 rows a time, the resumption is the first row of the third chunk."""
    from saliency.base.errors import UserError
    from saliency.data_tools import ingest as ing
    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.detect import DetectOptions, detect_logs

    a, b = _trial("sub01", "img1", 3, n_fix=10), _trial("sub02", "img1", 4, n_fix=10)
    assert len(a) > 1000 and len(b) > 1000 and a["time_ms"].iloc[499] == b["time_ms"].iloc[499] == 1998.0
    blocks = [f.iloc[k:k + 500] for k in range(0, 1000, 500) for f in (a, b)]
    log = tmp_path / "blocks.csv"
    pd.concat(blocks).to_csv(log, index=False)
    g = ScreenGeometry(screen_px=(W, H), screen_cm=(53.0, 30.0), distance_cm=65.0)
    want = re.escape("line 1002: the rows of subject 'sub01', stimulus 'img1' resume 2 ms after their previous row "
                     "(line 501)")
    with pytest.raises(UserError, match=want):
        ing.ingest([log], grey_stimuli(tmp_path, ("img1",), (W, H)), tmp_path / "o", ing.IngestOptions(
            geometry=g, sigma_px=20.0, ioc=False, progress=False, chunk_rows=500))
    with pytest.raises(UserError, match=want):
        detect_logs([log], tmp_path / "d", DetectOptions(geometry=g, chunk_rows=500))
    assert not (tmp_path / "o").exists() and not (tmp_path / "d").exists()


def test_a_synthetic_study_sorted_by_time_is_refused_not_said_to_give_no_fixation(study, tmp_path, capsys):
    """The whole samples table and the Tobii Pro Lab export sorted by time (every subject's first trial starts at
    1000 ms): refused at sub01's second row, line 4, rather than 'no usable fixations'."""
    for name, sep in (("samples.csv", ","), ("tobii.tsv", "\t")):
        df = pd.read_csv(study / "logs" / name, sep=sep, dtype=str, keep_default_na=False)
        t = pd.to_numeric(df.iloc[:, 0] if sep == "\t" else df["time_ms"])
        log = tmp_path / f"sorted_{name}"
        df.iloc[np.argsort(t.to_numpy(), kind="stable")].to_csv(log, sep=sep, index=False)
        for cmd in (["ingest", log, "--stimuli", study / "stimuli"], ["detect", log]):
            line = refusal(*run_cli(capsys, [*cmd, "--geometry", study / "screen.json", "--out",
                                             tmp_path / f"o_{cmd[0]}_{name}"]))
            assert f"{log}: line 4: the rows of subject 'sub01', " in line and "stimulus 's0" in line, line
            assert " resume 2 ms after their previous row (line 2), after rows of subject 'sub02'" in line, line
            assert line.endswith(ADVICE), line


def test_a_stimulus_viewed_again_later_is_read(tmp_path, capsys):
    """No trial column: sub01 sees img1, then img2, then img1 again (the same key resumes, seconds after its
    previous row); and a file whose trials each start their own clock at 0 (the key resumes earlier than it
    ended). Neither is interleaving: both are read, with the fixations of both viewings of img1."""
    v1 = _trial("sub01", "img1", 5, t0=1000.0)
    v2 = _trial("sub01", "img2", 6, t0=v1["time_ms"].iloc[-1] + 2.0)
    v3 = _trial("sub01", "img1", 7, t0=v2["time_ms"].iloc[-1] + 2.0)
    assert v3["time_ms"].iloc[0] - v1["time_ms"].iloc[-1] > 1000  # a whole trial between
    stim = grey_stimuli(tmp_path, ("img1", "img2"), (W, H))
    for name, parts in (("later.csv", [v1, v2, v3]),
                        ("own_clocks.csv", [f.assign(time_ms=f["time_ms"] - f["time_ms"].iloc[0]) for f in
                                            (v1, v2, v3)])):
        log = tmp_path / name
        pd.concat(parts).to_csv(log, index=False)
        rc, out, err = _ingest(capsys, tmp_path, log, stim, out=f"o_{name}")
        assert rc == 0, err
        fix = pd.read_csv(tmp_path / f"o_{name}" / "fixations.csv")
        t1 = fix.loc[fix["stimulus"] == "img1", "t_start_ms"]
        assert len(t1) >= 8, (name, len(t1))  # 6 fixations a viewing
        if name == "later.csv":
            assert t1.between(v1["time_ms"].iloc[0], v1["time_ms"].iloc[-1]).sum() >= 4
            assert t1.between(v3["time_ms"].iloc[0], v3["time_ms"].iloc[-1]).sum() >= 4
        rc, out, err = run_cli(capsys, ["detect", log, "--out", tmp_path / f"d_{name}", *GEOM])
        assert rc == 0 and "3 trials" in out, (out, err)

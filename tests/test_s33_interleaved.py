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


# ---------------------------------------------------------------- review s33 RR2: false refusals of time-ordered files
# A row or run with no stimulus (a message-like row, a blank between two showings, an EyeLink ASC's rows between
# trials) neither ends nor interrupts a trial, so detect (which sees those rows) judges what ingest (which sets
# them aside first) judges; a trial's resumption is measured in its own sampling interval (1.5 of them), 100 ms
# only where none is known; ingest names the stimulus as the file writes it.

def _steady(subject, stimulus, t0, n, dt=2.0, seed=0) -> pd.DataFrame:
    """``n`` samples every ``dt`` ms from ``t0``: the gaze holds still 150 samples (300 ms at 500 Hz) at a time."""
    rng = np.random.default_rng(seed)
    k = np.arange(n) // 150
    cx, cy = rng.uniform(200, 1700, k.max() + 1), rng.uniform(200, 900, k.max() + 1)
    return pd.DataFrame({"subject": subject, "stimulus": stimulus, "time_ms": t0 + dt * np.arange(n),
                         "x": (cx[k] + rng.normal(0, 1, n)).round(2), "y": (cy[k] + rng.normal(0, 1, n)).round(2),
                         "valid": 1})


def _read_by_both(capsys, tmp_path, log, stim, tag):
    """ingest and detect both read ``log`` (rc 0); the two fixation tables."""
    rc, out, err = _ingest(capsys, tmp_path, log, stim, out=f"i_{tag}")
    assert rc == 0, err
    rc, out, err = run_cli(capsys, ["detect", log, "--out", tmp_path / f"d_{tag}", *GEOM, "--quiet"])
    assert rc == 0, err
    return pd.read_csv(tmp_path / f"i_{tag}" / "fixations.csv"), pd.read_csv(tmp_path / f"d_{tag}" / "fixations.csv")


def test_a_row_or_run_without_a_stimulus_neither_ends_nor_interrupts_a_trial(tmp_path, capsys):
    """One subject viewing img1 at 500 Hz, in time order: (a) line 702 a message-like row, stimulus, x and y empty
    (img1's rows resume on line 703, 4 ms after line 701); (b) 20 rows of no stimulus (40 ms) between two showings
    of img1. Before: detect refused both ('resume 4 ms / 42 ms after their previous row ... after rows of subject
    'sub01''), where ingest (setting those rows aside) read them. Both read now, with the fixations of every part:
    the gaze holds still 300 ms at a time, so each 3 s showing gives 10 of them."""
    stim = grey_stimuli(tmp_path, ("img1",), (W, H))
    a = _steady("sub01", "img1", 1000.0, 1500).astype(object)
    a.loc[700, ["stimulus", "x", "y"]] = ""  # data row 701 is file line 702
    msg = tmp_path / "msgrow.csv"
    a.to_csv(msg, index=False)
    fi, fd = _read_by_both(capsys, tmp_path, msg, stim, "msg")
    for f, start in ((fi, "t_start_ms"), (fd, "onset_ms")):
        assert len(f) >= 9 and (f[start] < 2400).sum() >= 4 and (f[start] > 2404).sum() >= 4, f

    one = _steady("sub01", "img1", 1000.0, 1500)
    blank = _steady("sub01", "", one["time_ms"].iloc[-1] + 2, 20, seed=1)
    two = _steady("sub01", "img1", blank["time_ms"].iloc[-1] + 2, 1500, seed=2)
    log = tmp_path / "blankgap.csv"
    pd.concat([one, blank, two]).to_csv(log, index=False)
    fi, fd = _read_by_both(capsys, tmp_path, log, stim, "blank")
    for f, start in ((fi, "t_start_ms"), (fd, "onset_ms")):
        assert (f[start] < 3998).sum() >= 9 and (f[start] > 4040).sum() >= 9, f


def _asc(path, events, t_end, step=2):
    """A binocular EyeLink ASC at 500 Hz (its header says so) from 1000 ms to ``t_end``: ``events`` (time,
    message) before the samples of their time; the gaze holds still 300 ms at a time."""
    head = ["** CONVERTED FROM x.edf using edf2asc", "MSG\t900 DISPLAY_COORDS 0 0 1919 1079",
            "START\t1000 \tLEFT\tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRIGHT\tRATE\t 500.00\tTRACKING\tCR"]
    rng, ev, lines = np.random.default_rng(0), sorted(events), []
    for t in range(1000, t_end, step):
        while ev and ev[0][0] <= t:
            lines.append(f"MSG\t{ev[0][0]} {ev[0][1]}")
            ev.pop(0)
        k = t // 300
        x, y = 300 + (k * 397) % 1300 + rng.normal(), 200 + (k * 211) % 700 + rng.normal()
        lines.append(f"{t}\t{x:.1f}\t{y:.1f}\t1000.0\t{x + 2:.1f}\t{y:.1f}\t1000.0\t.....")
    path.write_text("\n".join(head + lines + [f"END\t{t_end}"]) + "\n")


def test_an_asc_trial_id_given_again_60_ms_after_the_trial_ended_is_read(tmp_path, capsys):
    """TRIALID 1 (img1) ends at 3000 ms and TRIALID 1 (img1) begins again at 3060: between them 30 samples outside
    any trial, and the new trial's first sample (3060) before its image (3061) has no stimulus. Before: detect
    refused ('resume 64 ms after their previous row ... after rows of ... trial '1''). Read now by both, with
    fixations in both trials."""
    log = tmp_path / "repeat.asc"
    _asc(log, [(1000, "TRIALID 1"), (1001, "!V IMGLOAD FILL img1.png"), (3000, "TRIAL_RESULT 0"),
               (3060, "TRIALID 1"), (3061, "!V IMGLOAD FILL img1.png"), (5000, "TRIAL_RESULT 0")], 5100)
    fi, fd = _read_by_both(capsys, tmp_path, log, grey_stimuli(tmp_path, ("img1",), (W, H)), "repeat")
    for f, start in ((fi, "t_start_ms"), (fd, "onset_ms")):
        assert (f[start] < 3000).sum() >= 5 and (f[start] > 3060).sum() >= 5, f


@pytest.mark.parametrize("first_ms", [1999, 2])
def test_an_image_shown_again_after_a_flash_shorter_than_100_ms_is_read(tmp_path, capsys, first_ms):
    """One trial of an ASC at 500 Hz: img1 from 1001 ms, blank.png at 1001 + ``first_ms``, img1 again 50 ms later.
    img1 resumes ~52 ms after its previous row, far above 1.5 of its own interval (2 ms: of its first run; with a
    first run of one sample, of the header's RATE 500). Before: refused by ingest and detect (bound 100 ms)."""
    log = tmp_path / "flash.asc"
    t1 = 1001 + first_ms
    _asc(log, [(1000, "TRIALID 1"), (1001, "!V IMGLOAD FILL img1.png"), (t1, "!V IMGLOAD FILL blank.png"),
               (t1 + 50, "!V IMGLOAD FILL img1.png"), (5000, "TRIAL_RESULT 0")], 5100)
    fi, fd = _read_by_both(capsys, tmp_path, log, grey_stimuli(tmp_path, ("img1", "blank"), (W, H)), "flash")
    for f, start, img in ((fi, "t_start_ms", "img1"), (fd, "onset_ms", "img1.png")):
        assert (f.loc[f["stimulus"] == img, start] > t1 + 50).sum() >= 5, f


def test_the_resume_bound_is_one_and_a_half_of_the_trials_own_interval(tmp_path, capsys):
    """500 Hz in time order, img1 400 rows, then ONE row of img2, then img1 again: img1 resumes 4 ms (2 intervals)
    after its previous row, as in any single recording where another stimulus's sample lies between. Before:
    refused (4 ms within 100 ms); now read. The merge this bound is for resumes 1 interval on: img1's and img2's
    blocks of 400 rows from two concurrent 500 Hz recordings, img1 resuming 2 ms after line 401, are refused."""
    stim = grey_stimuli(tmp_path, ("img1", "img2"), (W, H))
    a = _steady("sub01", "img1", 1000.0, 400)
    b = _steady("sub01", "img2", 1800.0, 1)
    c = _steady("sub01", "img1", 1802.0, 400, seed=3)
    log = tmp_path / "one_between.csv"
    pd.concat([a, b, c]).to_csv(log, index=False)
    fi, fd = _read_by_both(capsys, tmp_path, log, stim, "one")
    assert (fi["stimulus"] == "img1").sum() >= 4 and (fd["stimulus"] == "img1").sum() >= 4

    a2, b2 = _steady("sub01", "img1", 1000.0, 800), _steady("sub02", "img2", 1000.0, 800, seed=4)
    log = tmp_path / "blocks400.csv"
    pd.concat([a2.iloc[:400], b2.iloc[:400], a2.iloc[400:], b2.iloc[400:]]).to_csv(log, index=False)
    want = ("line 802: the rows of subject 'sub01', stimulus 'img1' resume 2 ms after their previous row "
            "(line 401), after rows of subject 'sub02', stimulus 'img2'")
    line = refusal(*_ingest(capsys, tmp_path, log, stim, out="i_blocks"))
    assert want in line and line.endswith(ADVICE), line
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "d_blocks", *GEOM]))
    assert "line 802: the rows of subject 'sub01', " in line and "resume 2 ms after their previous row (line 401)" \
        in line and line.endswith(ADVICE), line


def test_ingest_names_the_stimulus_as_the_file_writes_it(tmp_path, capsys):
    """Two subjects' img1.png rows merged by time: ingest's refusal names 'img1.png', as detect's does (before:
    the resolved stem 'img1')."""
    log = tmp_path / "merged_png.csv"
    _merged_by_time(log, _trial("sub01", "img1.png", 1), _trial("sub02", "img1.png", 2))
    line = refusal(*_ingest(capsys, tmp_path, log, grey_stimuli(tmp_path, ("img1",), (W, H))))
    assert f"{log}: line 4: the rows of subject 'sub01', stimulus 'img1.png' resume 2 ms" in line, line
    assert "after rows of subject 'sub02', stimulus 'img1.png'" in line, line
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "det", *GEOM]))
    assert "the rows of subject 'sub01', stimulus 'img1.png' resume 2 ms" in line, line


def test_subjects_merged_by_time_with_no_stimulus_column_are_still_refused_by_detect(tmp_path, capsys):
    """Rows with no stimulus are judged among themselves: a file with no stimulus column, two subjects merged
    row by row, is refused as before."""
    log = tmp_path / "nostim.csv"
    _merged_by_time(log, _trial("sub01", "", 1).drop(columns="stimulus"), _trial("sub02", "", 2).drop(
        columns="stimulus"))
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "det", *GEOM]))
    assert f"{log}: line 4: the rows of subject 'sub01' resume 2 ms after their previous row (line 2)" in line, line


# ---------------------------------------------------------------- review s33 RR8: another subject's rows with no
# stimulus; a run's interval whatever the chunk size
# (1) 8910471 let every run with no stimulus pass through a trial, so two subjects merged by time where one's
# stimulus cells are empty were read by detect (rc 0, one-row trials, no fixation). Such a run now passes only when
# its subject and trial are the current trial's; otherwise it interrupts as any other rows do.
# (2) The trial's interval was fixed by its first chunk's rows: a first run cut by the chunk boundary after 2 rows
# (one interval, over 3 lost samples) set a bound of 1.5 x 66.7 ms, and the file was refused at chunk_rows 1000,
# read at 1001. A run's interval is now the median of all its intervals, whatever the chunks.

def test_another_subjects_rows_with_no_stimulus_interrupt_a_trial(tmp_path, capsys):
    """sub01's img1 rows merged by time with sub02's rows whose stimulus cells are empty: sub01's second row
    (line 4) resumes 2 ms after its first (line 2), after sub02's row on line 3. Before: detect read it (rc 0,
    '0 fixations' for a file of one-row trials)."""
    log = tmp_path / "merged_blankstim.csv"
    df = _merged_by_time(log, _trial("sub01", "img1", 1), _trial("sub02", "", 2))
    assert df["subject"].iloc[:3].tolist() == ["sub01", "sub02", "sub01"]
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "det", *GEOM]))
    assert f"{log}: line 4: the rows of subject 'sub01', stimulus 'img1' resume 2 ms after their previous row " \
           "(line 2), after rows of subject 'sub02': " in line and line.endswith(ADVICE), line
    assert not (tmp_path / "det").exists()


def test_rows_with_no_stimulus_of_another_trial_interrupt_and_of_the_same_trial_do_not():
    """The check itself, with a trial column, 500 Hz: sub01 trial 1's img1 rows every 2 ms, and between each two
    of them a row with no stimulus 1 ms later, of trial 2 (interleaved: refused at the third row, line 4, 2 ms after
    line 2), or of trial 1 itself (a message-like row in its own recording: read)."""
    from saliency.base.errors import UserError
    from saliency.data_tools.ingest import TRIAL_KEYS, Interleaving

    t = 1000.0 + np.arange(40)  # even ms: img1's samples; odd ms: the rows with no stimulus
    for other, refused in (("2", True), ("1", False)):
        df = pd.DataFrame({"subject": "sub01", "stimulus": np.where(np.arange(40) % 2, "", "img1"),
                           "trial": np.where(np.arange(40) % 2, other, "1"), "time_ms": t,
                           "line": np.arange(2, 42)})
        check = Interleaving("log.csv", TRIAL_KEYS)
        if refused:
            with pytest.raises(UserError, match=re.escape(
                    "log.csv: line 4: the rows of subject 'sub01', stimulus 'img1', trial '1' resume 2 ms after "
                    "their previous row (line 2), after rows of subject 'sub01', trial '2'")):
                check.check(df)
        else:
            check.check(df)


def _flash60_long() -> pd.DataFrame:
    """sc/gen60.py of the review, by hand: 60 Hz (dt = 16.667 ms), 998 rows of img2; img1 from 1000 ms with 3
    samples lost after its first row (its first interval 4 dt = 66.7 ms, then dt); 3 rows of blank.png (50 ms);
    img1 again one dt after the blank. img1 resumes 4 dt = 66.7 ms after its previous row, beyond 1.5 of its own
    interval (25 ms), as any recording flashing an image for 50 ms: read. Data rows 999 and 1000 are img1's first
    two, so a first chunk of 1000 rows held one interval of img1's first run, 66.7 ms (bound 100 ms: refused)."""
    dt = 1000 / 60

    def seg(stim, t0, n, lost=0):
        t = t0 + dt * np.arange(n)
        t[1:] += lost * dt
        k = np.arange(n) // 20  # the gaze holds still 20 samples (333 ms) at a time
        rng = np.random.default_rng(n)
        cx, cy = rng.uniform(300, 1600, k.max() + 1), rng.uniform(300, 800, k.max() + 1)
        return pd.DataFrame({"subject": "s1", "stimulus": stim, "trial": 1, "time_ms": t.round(3),
                             "x": (cx[k] + rng.normal(0, 1, n)).round(2), "y": (cy[k] + rng.normal(0, 1, n)).round(2)})

    a = seg("img1.png", 1000.0, 120, lost=3)
    b = seg("blank.png", a["time_ms"].iloc[-1] + dt, 3)
    c = seg("img1.png", b["time_ms"].iloc[-1] + dt, 120)
    return pd.concat([seg("img2.png", 1000.0 - 998 * dt - 500, 998), a, b, c], ignore_index=True)


def test_a_runs_interval_is_the_same_at_every_chunk_size():
    """The check fed the flash file in chunks of every size from 1 to all its rows: read at each (before: refused
    at 1000, where img1's first run is cut after 2 rows, and read at 999 and 1001). The control, the same two
    images' 60 Hz rows of two subjects merged by time, is refused at every size at the same line."""
    from saliency.base.errors import UserError
    from saliency.data_tools.ingest import TRIAL_KEYS, Interleaving

    df = _flash60_long().astype({"trial": str}).assign(line=lambda d: np.arange(2, len(d) + 2))
    df = df[[*TRIAL_KEYS, "time_ms", "line"]]
    assert df["stimulus"].iloc[998:1000].eq("img1.png").all() and df["stimulus"].iloc[997] == "img2.png"
    assert df["time_ms"].iloc[999] - df["time_ms"].iloc[998] == pytest.approx(4000 / 60, abs=1e-3)
    merged = df.iloc[:300].assign(subject="s2", time_ms=lambda d: d["time_ms"] + 1000 / 120)
    merged = pd.concat([df.iloc[:300], merged]).sort_values("time_ms", kind="stable")
    merged = merged.assign(line=np.arange(2, len(merged) + 2))
    for size in range(1, len(df) + 1):
        check = Interleaving("flash60_long.csv", TRIAL_KEYS)
        for lo in range(0, len(df), size):
            check.check(df.iloc[lo:lo + size])
    refused_at = []
    for size in range(1, len(merged) + 1):
        try:
            check = Interleaving("merged.csv", TRIAL_KEYS)
            for lo in range(0, len(merged), size):
                check.check(merged.iloc[lo:lo + size])
        except UserError as e:
            refused_at.append(str(e).split(": the rows")[0])
    assert refused_at == ["merged.csv: line 4"] * len(merged), set(refused_at)


@pytest.mark.parametrize("chunk_rows", [999, 1000, 1001])
def test_the_flash_file_reads_alike_around_the_chunk_boundary(tmp_path, chunk_rows):
    """ingest and detect read the flash file at chunk_rows 999, 1000 and 1001 alike (before: refused at 1000):
    img1's second showing gives fixations after the blank (the gaze holds still 333 ms at a time: 6 in its 2 s)."""
    from saliency.data_tools import ingest as ing
    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.detect import DetectOptions, detect_logs

    log = tmp_path / "flash60_long.csv"
    df = _flash60_long()
    df.to_csv(log, index=False)
    again = df["time_ms"].iloc[998 + 120 + 3]  # img1's second showing
    g = ScreenGeometry(screen_px=(W, H), screen_cm=(53.0, 30.0), distance_cm=65.0)
    ing.ingest([log], grey_stimuli(tmp_path, ("img1", "img2", "blank"), (W, H)), tmp_path / "o", ing.IngestOptions(
        geometry=g, sigma_px=20.0, ioc=False, progress=False, chunk_rows=chunk_rows))
    detect_logs([log], tmp_path / "d", DetectOptions(geometry=g, chunk_rows=chunk_rows, progress=False))
    fi, fd = pd.read_csv(tmp_path / "o" / "fixations.csv"), pd.read_csv(tmp_path / "d" / "fixations.csv")
    assert ((fi["stimulus"] == "img1") & (fi["t_start_ms"] >= again)).sum() >= 5, fi
    assert ((fd["stimulus"] == "img1.png") & (fd["onset_ms"] >= again)).sum() >= 5, fd

"""Review stop 30 (R7, a lab's workflow): --trials across sessions, tracker QC, a repeat's summary row.

- the same subject id in two inputs (two sessions' reports, two labs' exports) was pooled as one observer with no
  word: now one warning line (printed and in ``dataset.json`` ``warnings``) gives the count, the ids and the files.
- with ``--trials`` a second input's (subject, trial) silently took the first input's stimulus (the table names one
  stimulus per subject and trial and has no input column): now refused in one line naming both files; a
  byte-for-byte repeat is still read once.
- ``--qc-min-valid`` with ``--detector tracker`` on a Tobii Pro Lab sample export was refused saying no input holds
  raw samples: now the true reason (the export's own fixations are read, its samples not counted).
- a skipped duplicate's summary row ran into its label ("...s2.csvduplicate: read once"): now "duplicate of LABEL".

Oracles: the tables are written here by hand (which subject, trial and image each row has); the expected stimulus of
each fixation is read off the hand-written trials table.
"""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd

from cli_fakes import refusal, run_cli
from ingest_fakes import grey_stimuli

REPORT = "RECORDING_SESSION_LABEL,TRIAL_INDEX,CURRENT_FIX_START,CURRENT_FIX_END,CURRENT_FIX_DURATION,CURRENT_FIX_X," \
         "CURRENT_FIX_Y\n"


def _report(path, rows):
    """An EyeLink Data Viewer fixation report of ``rows`` (subject, trial, x, y), 200 ms fixations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{s},{t},{i * 300},{i * 300 + 199},200,{x},{y}" for i, (s, t, x, y) in enumerate(rows)]
    path.write_text(REPORT + "\n".join(lines) + "\n", "utf-8")
    return path


def _fixations(path, rows):
    """A generic fixation table of ``rows`` (subject, x, y) on img1, 250 ms each."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{s},img1,{x},{y},{i * 300},250\n" for i, (s, x, y) in enumerate(rows))
    path.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n" + body, "utf-8")
    return path


def _warnings(err):
    return [ln for ln in err.splitlines() if ln.startswith("saliency ingest: warning:")]


def _ingest(capsys, tmp_path, logs, *extra, out="out", quiet=True):
    stim = grey_stimuli(tmp_path, ("img1", "img2"))
    out = tmp_path / out
    rc, stdout, err = run_cli(capsys, ["ingest", *logs, "--stimuli", stim, "--screen-px", "1920x1080",
                                       "--sigma-px", "10", "--no-ioc", "--out", out, *(["--quiet"] if quiet else []),
                                       *extra])
    return out, rc, stdout, err


# ------------------------------------------------------------------ one subject id in two inputs

def test_subject_ids_shared_by_two_inputs_are_named_in_one_warning(tmp_path, capsys):
    a = _fixations(tmp_path / "labA" / "lab_a.csv", [("P1", 500, 500), ("P2", 600, 500), ("P1", 700, 500)])
    b = _fixations(tmp_path / "labB" / "lab_b.csv", [("P2", 900, 500), ("P1", 800, 500), ("P3", 1000, 500)])
    out, rc, _, err = _ingest(capsys, tmp_path, [a, b])
    assert rc == 0, err
    w = _warnings(err)
    assert len(w) == 1, err
    line = w[0]
    assert "2 subject ids ('P1', 'P2')" in line and "P3" not in line, line
    assert f"({a}, {b})" in line and "pooled as one observer each" in line, line
    assert "rename the subject in one file" in line and "--columns subject=COLUMN" in line, line
    m = json.loads((out / "dataset.json").read_text("utf-8"))
    recorded = [x.replace("`columns`", "--columns") for x in m["warnings"] if "pooled as one observer" in x]
    assert recorded == [line.split("warning: ", 1)[1]]  # dataset.json spells the option as the API names it
    assert m["counts"]["subjects"] == 3  # P1, P2 pooled across the files, P3: as the warning says


def test_inputs_with_subjects_of_their_own_get_no_pooling_warning(tmp_path, capsys):
    a = _fixations(tmp_path / "a.csv", [("P1", 500, 500), ("P2", 600, 500)])
    b = _fixations(tmp_path / "b.csv", [("P3", 900, 500), ("P4", 800, 500)])
    out, rc, _, err = _ingest(capsys, tmp_path, [a, b])
    assert rc == 0, err
    assert not [x for x in json.loads((out / "dataset.json").read_text("utf-8"))["warnings"] if "pooled" in x]


def test_files_named_alike_keep_their_own_single_warning(tmp_path, capsys):
    """``s1/fix.csv`` and ``s2/fix.csv`` without a subject column: the file-name line only, not a second one."""
    for k in (1, 2):
        d = tmp_path / f"s{k}"
        d.mkdir()
        (d / "fix.csv").write_text(f"stimulus,x,y,duration_ms\nimg1,{400 + k},500,250\nimg1,700,{500 + k},250\n")
    out, rc, _, err = _ingest(capsys, tmp_path, [tmp_path / "s1" / "fix.csv", tmp_path / "s2" / "fix.csv"])
    assert rc == 0, err
    pooled = [x for x in json.loads((out / "dataset.json").read_text("utf-8"))["warnings"] if "pooled" in x]
    assert len(pooled) == 1 and pooled[0].startswith("subject 'fix': 2 different inputs"), pooled


# ------------------------------------------------------------------ --trials across two inputs

TRIALS = "subject,trial,stimulus\nS1,1,img1\nS1,2,img2\n"


def test_one_subject_and_trial_in_two_inputs_with_trials_is_refused(tmp_path, capsys):
    """Session 2's trial 1 showed img2; the table says img1 for (S1, 1): its rows would be mapped to img1."""
    s1 = _report(tmp_path / "sess1" / "report.csv", [("S1", 1, 500, 500), ("S1", 1, 600, 500)])
    s2 = _report(tmp_path / "sess2" / "report_s2.csv", [("S1", 1, 900, 400), ("S1", 1, 950, 450)])
    (tmp_path / "trials.csv").write_text(TRIALS)
    out, *res = _ingest(capsys, tmp_path, [s1, s2], "--trials", tmp_path / "trials.csv")
    line = refusal(*res)
    assert line.startswith(f"saliency ingest: error: --trials {tmp_path / 'trials.csv'}: subject 'S1' trial '1' is "
                           f"in two inputs, {s1} and {s2}"), line
    assert "ingest each session on its own" in line and "distinct trial numbers or subject ids" in line, line
    assert not out.exists()


def test_distinct_trials_in_two_inputs_each_take_the_tables_stimulus(tmp_path, capsys):
    s1 = _report(tmp_path / "sess1" / "report.csv", [("S1", 1, 500, 500), ("S1", 1, 600, 500)])
    s2 = _report(tmp_path / "sess2" / "report_s2.csv", [("S1", 2, 900, 400), ("S1", 2, 950, 450)])
    (tmp_path / "trials.csv").write_text(TRIALS)
    out, rc, _, err = _ingest(capsys, tmp_path, [s1, s2], "--trials", tmp_path / "trials.csv")
    assert rc == 0, err
    fx = pd.read_csv(out / "fixations.csv", dtype={"stimulus": str})
    assert fx.groupby("source")["stimulus"].unique().map(list).to_dict() == {str(s1): ["img1"], str(s2): ["img2"]}


def test_a_byte_for_byte_repeat_with_trials_is_read_once_not_refused(tmp_path, capsys):
    s1 = _report(tmp_path / "sess1" / "report.csv", [("S1", 1, 500, 500), ("S1", 2, 600, 500)])
    copy = tmp_path / "copy" / "report_again.csv"
    copy.parent.mkdir()
    shutil.copyfile(s1, copy)
    (tmp_path / "trials.csv").write_text(TRIALS)
    out, rc, stdout, err = _ingest(capsys, tmp_path, [s1, copy], "--trials", tmp_path / "trials.csv", quiet=False)
    assert rc == 0, err
    # the summary row of the repeat: its label, a gap, and the input it repeats
    assert re.search(r"^  report_again\.csv +duplicate of report\.csv: read once$", stdout, re.M), stdout
    assert "csvduplicate" not in stdout


# ------------------------------------------------------------------ --qc-min-valid with --detector tracker

TOBII = ("Recording timestamp [μs]\tParticipant name\tRecording name\tPresented Media name\tGaze point X [DACS px]\t"
         "Gaze point Y [DACS px]\tValidity left\tValidity right\tEye movement type\tGaze event duration [ms]\t"
         "Eye movement type index\tFixation point X [DACS px]\tFixation point Y [DACS px]\n")


def _tobii(path):
    """A Pro Lab sample export: 2 fixations of 100 samples each at 500 Hz, with a saccade between."""
    rows = []
    t = 1_000_000
    for k, (kind, fx, fy) in enumerate([("Fixation", 700, 500), ("Saccade", "", ""), ("Fixation", 1100, 600)]):
        for _ in range(100 if kind == "Fixation" else 10):
            rows.append(f"{t}\tP1\tRecording1\timg1.png\t{fx or 900}\t{fy or 550}\tValid\tValid\t{kind}\t"
                        f"{200 if kind == 'Fixation' else 20}\t{k // 2 + 1}\t{fx}\t{fy}")
            t += 2000
    path.write_text(TOBII + "\n".join(rows) + "\n", "utf-8")
    return path


def test_qc_min_valid_under_tracker_is_refused_for_the_true_reason(tmp_path, capsys):
    log = _tobii(tmp_path / "tobii.tsv")
    out, rc, _, err = _ingest(capsys, tmp_path, [log], "--detector", "tracker")
    assert rc == 0, err  # the export is read: its two fixations
    assert len(pd.read_csv(out / "fixations.csv")) == 2
    out2, *res = _ingest(capsys, tmp_path, [log], "--detector", "tracker", "--qc-min-valid", "0.8", out="out2")
    line = refusal(*res)
    assert line.startswith("saliency ingest: error: --qc-min-valid 0.8: not used with --detector tracker (the "
                           "exports' own fixations are read and their samples are not counted for QC"), line
    assert "no input holds raw samples" not in line and "--detector ivt or idt or nh or tobii-ivt" in line, line
    assert not out2.exists()

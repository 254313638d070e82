"""Review stop 30 (R7, a lab's workflow): --trials across sessions, tracker QC, a repeat's summary row.

- the same subject id on the same stimulus in two inputs (two sessions repeating an image, two labs' exports) was
  pooled as one observer's with no word: now one warning line (printed and in ``dataset.json`` ``warnings``) gives
  the count of such (subject, stimulus) pairs, the first ones and the files, with advice fitting what names the
  subject (its column, or MIT1003's folder). One subject's files on different images (MIT1003's
  ``DATA/<subject>/<image>.mat``) get no line (review RRf: it fired on every MIT1003 ingest).
- files whose subject column is blank on every row (read under their file name) get the file-name line (rename the
  files), not advice to rename a subject no cell holds (review RRf).
- with ``--trials`` a second input's (subject, trial) silently took the first input's stimulus (the table names one
  stimulus per subject and trial and has no input column): now refused in one line naming both files; a
  byte-for-byte repeat is still read once. Only a table row naming the subject counts: a table without subjects
  names one stimulus per trial for everyone, so one subject's sessions reusing its trial numbers are read (review
  RRf: they were refused, while two subjects were not).
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

import numpy as np
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

def test_subject_ids_shared_on_one_stimulus_by_two_inputs_are_named_in_one_warning(tmp_path, capsys):
    """P1 and P2 are in both labs' tables, on img1 both times: their fixations on img1 are pooled (P3: one file)."""
    a = _fixations(tmp_path / "labA" / "lab_a.csv", [("P1", 500, 500), ("P2", 600, 500), ("P1", 700, 500)])
    b = _fixations(tmp_path / "labB" / "lab_b.csv", [("P2", 900, 500), ("P1", 800, 500), ("P3", 1000, 500)])
    out, rc, _, err = _ingest(capsys, tmp_path, [a, b])
    assert rc == 0, err
    w = _warnings(err)
    assert len(w) == 1, err
    line = w[0]
    assert "2 (subject, stimulus) pairs ('P1' on 'img1', 'P2' on 'img1')" in line and "P3" not in line, line
    assert f"({a}, {b})" in line and "pooled as one observer's" in line, line
    assert line.endswith("rename the subject in one file's subject column (or map another with --columns "
                         "subject=COLUMN)"), line
    m = json.loads((out / "dataset.json").read_text("utf-8"))
    recorded = [x.replace("`columns`", "--columns") for x in m["warnings"] if "pooled as one observer" in x]
    assert recorded == [line.split("warning: ", 1)[1]]  # dataset.json spells the option as the API names it
    assert m["counts"]["subjects"] == 3  # P1, P2 pooled across the files, P3: as the warning says


def test_one_subjects_sessions_on_different_stimuli_get_no_pooling_warning(tmp_path, capsys):
    """Session 1 showed img1, session 2 img2 to the same P1 and P2: pooled as they should be, nothing to say."""
    a = _fixations(tmp_path / "ses1.csv", [("P1", 500, 500), ("P2", 600, 500)])
    b = tmp_path / "ses2.csv"
    b.write_text(a.read_text("utf-8").replace(",img1,", ",img2,").replace(",500,", ",510,"), "utf-8")
    out, rc, _, err = _ingest(capsys, tmp_path, [a, b])
    assert rc == 0, err
    assert not [x for x in json.loads((out / "dataset.json").read_text("utf-8"))["warnings"] if "pooled" in x]
    fx = pd.read_csv(out / "fixations.csv")
    assert sorted(set(zip(fx["subject"], fx["stimulus"]))) == [("P1", "img1"), ("P1", "img2"), ("P2", "img1"),
                                                               ("P2", "img2")]


def _mit(path, x, y):
    """An MIT1003 ``DATA/<subject>/<image>.mat``: 240 samples (one second at 240 Hz) at the 1-based (x, y)."""
    from scipy.io import savemat

    rec = np.zeros((1, 1), dtype=[("eyeData", "O")])
    rec[0, 0]["eyeData"] = np.tile([float(x), float(y)], (240, 1))
    top = np.zeros((1, 1), dtype=[("DATA", "O")])
    top[0, 0]["DATA"] = rec
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(path, {path.stem: top})
    return path


MIT_GEOMETRY = ("--screen-cm", "53x30", "--distance-cm", "65", "--display", "native")


def test_mit1003_layout_one_file_per_subject_and_image_gets_no_pooling_warning(tmp_path, capsys):
    """DATA/<subject>/<image>.mat, as MIT1003 ships it: each subject in two files, one per image; no warning."""
    logs = [_mit(tmp_path / "DATA" / s / f"{img}.mat", 500 + k, 400) for k, s in enumerate(("ajs", "emb"))
            for img in ("img1", "img2")]
    out, rc, _, err = _ingest(capsys, tmp_path, logs, *MIT_GEOMETRY)
    assert rc == 0, err
    assert not [ln for ln in _warnings(err) if "pooled" in ln], err
    fx = pd.read_csv(out / "fixations.csv")
    assert sorted(set(zip(fx["subject"], fx["stimulus"]))) == [("ajs", "img1"), ("ajs", "img2"), ("emb", "img1"),
                                                               ("emb", "img2")]


def test_mit1003_subject_on_one_image_in_two_folders_is_told_to_rename_a_folder(tmp_path, capsys):
    """ajs's img1 in the main DATA and in a second session's DATA: pooled; the folder names the subject."""
    first = _mit(tmp_path / "DATA" / "ajs" / "img1.mat", 500, 400)
    again = _mit(tmp_path / "DATA2" / "ajs" / "img1.mat", 900, 600)
    other = _mit(tmp_path / "DATA" / "ajs" / "img2.mat", 700, 400)
    out, rc, _, err = _ingest(capsys, tmp_path, [first, other, again], *MIT_GEOMETRY)
    assert rc == 0, err
    w = [ln for ln in _warnings(err) if "pooled" in ln]
    assert w == [f"saliency ingest: warning: 1 (subject, stimulus) pair ('ajs' on 'img1') is recorded in two or more "
                 f"inputs ({first}, {again}): the subject's fixations on that stimulus in each are pooled as one "
                 f"observer's; if they are different people or sessions to keep apart, rename one of the folders "
                 f"(the folder names the subject)"], err
    assert "columns" not in w[0]  # the format has no subject column to map


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


def test_files_with_a_blank_subject_column_named_alike_are_told_to_rename_the_files(tmp_path, capsys):
    """a/fix.csv and b/fix.csv, their subject column blank on every row: both read as subject 'fix' (the file name,
    ``subject_column_blank``), so the file-name line, not one telling to rename a subject no cell holds."""
    logs = []
    for k in ("a", "b"):
        p = tmp_path / k / "fix.csv"
        p.parent.mkdir()
        p.write_text(f"subject,stimulus,x,y,t_start_ms,duration_ms\n,img1,{500 + len(logs)},500,0,250\n"
                     f",img1,700,{500 + len(logs)},300,250\n", "utf-8")
        logs.append(p)
    out, rc, _, err = _ingest(capsys, tmp_path, logs)
    assert rc == 0, err
    m = json.loads((out / "dataset.json").read_text("utf-8"))
    assert all(i.get("subject_column_blank") for i in m["inputs"]), m["inputs"]
    assert [x for x in m["warnings"] if "pooled" in x] == [
        f"subject 'fix': 2 different inputs without a subject column (or with one blank on every row) are named "
        f"after their file ({logs[0]}, {logs[1]}) and pooled as one observer; if they are different people, fill in "
        f"the subject column of each (or map another with `columns` subject=COLUMN) or rename the files"]


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


def test_a_table_without_subjects_takes_one_subjects_sessions_reusing_trial_numbers(tmp_path, capsys):
    """trial,stimulus: one stimulus per trial for every subject. S1's two sessions both have trials 1 and 2: each
    row takes the table's stimulus (as two subjects' rows would), not a refusal; S1 on img1 and img2 in both
    sessions is then pooled, which the pooling warning says."""
    s1 = _report(tmp_path / "ses1.csv", [("S1", 1, 500, 500), ("S1", 2, 600, 500)])
    s2 = _report(tmp_path / "ses2.csv", [("S1", 1, 900, 400), ("S1", 2, 950, 450)])
    (tmp_path / "trials.csv").write_text("trial,stimulus\n1,img1\n2,img2\n")
    out, rc, _, err = _ingest(capsys, tmp_path, [s1, s2], "--trials", tmp_path / "trials.csv")
    assert rc == 0, err
    fx = pd.read_csv(out / "fixations.csv")
    assert sorted(zip(fx["source"], fx["x"], fx["stimulus"])) == [
        (str(s1), 500, "img1"), (str(s1), 600, "img2"), (str(s2), 900, "img1"), (str(s2), 950, "img2")]
    w = [ln for ln in _warnings(err) if "pooled" in ln]
    assert len(w) == 1 and "2 (subject, stimulus) pairs ('S1' on 'img1', 'S1' on 'img2')" in w[0], err


def test_trials_refuses_only_a_trial_whose_table_row_names_the_subject(tmp_path, capsys):
    """S1's row for trial 1 names S1; trial 2's row has a blank subject (any subject's). Both sessions reusing
    trial 2 is read; both reusing trial 1 is refused, naming the subject's row."""
    (tmp_path / "trials.csv").write_text("subject,trial,stimulus\nS1,1,img1\n,2,img2\n")
    s1 = _report(tmp_path / "ses1.csv", [("S1", 2, 500, 500)])
    s2 = _report(tmp_path / "ses2.csv", [("S1", 2, 900, 400)])
    out, rc, _, err = _ingest(capsys, tmp_path, [s1, s2], "--trials", tmp_path / "trials.csv")
    assert rc == 0, err
    assert pd.read_csv(out / "fixations.csv")["stimulus"].tolist() == ["img2", "img2"]
    s1 = _report(tmp_path / "ses1b.csv", [("S1", 1, 500, 500), ("S1", 2, 600, 500)])
    s2 = _report(tmp_path / "ses2b.csv", [("S1", 2, 900, 400), ("S1", 1, 950, 450)])
    out, *res = _ingest(capsys, tmp_path, [s1, s2], "--trials", tmp_path / "trials.csv", out="out2")
    line = refusal(*res)
    assert line.startswith(f"saliency ingest: error: --trials {tmp_path / 'trials.csv'}: subject 'S1' trial '1' is "
                           f"in two inputs, {s1} and {s2}"), line
    assert not out.exists()


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

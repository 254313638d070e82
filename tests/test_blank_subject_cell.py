"""A blank cell in a table's subject column is quarantined ``no_subject``, not filed under the file's name.

Oracles: hand-worked rows. The file-name subject (the stem, or the folder of a generic ``samples.csv``) is for a
table without a subject column; given to the one row of a table that names its subjects whose cell was blank, it
made up an observer: ingest counted 3 subjects for 2 (inter-observer n 3 for 2), and detect split one trial of 300
samples into three (sub01 149, the made-up subject 1, sub01 150). Now that row is quarantined with its line and
``no_subject``, every row is accounted for (read = kept + quarantined), and the subjects are the file's own. A file
without a subject column still takes its name as the subject.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_fakes import run_cli

W, H = 1920, 1080


def _stimuli(root):
    import cv2

    d = root / "stim"
    d.mkdir()
    cv2.imwrite(str(d / "img0.png"), np.zeros((H, W, 3), np.uint8))
    return d


def _ingest(capsys, tmp_path, log, *extra):
    stim = tmp_path / "stim" if (tmp_path / "stim").exists() else _stimuli(tmp_path)
    rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--screen-px", f"{W}x{H}", "--sigma-px", "20",
                                  "--out", tmp_path / "o", "--quiet", "--workers", "1", *extra])
    assert rc == 0 and "Traceback" not in err, err
    o = tmp_path / "o"
    return (json.loads((o / "dataset.json").read_text()), pd.read_csv(o / "fixations.csv", keep_default_na=False),
            pd.read_csv(o / "quarantine.csv", keep_default_na=False))


# observers A and B, three fixations each on img0; line 5 (the header is line 1) has a blank subject
FIXATIONS = ("subject,stimulus,x,y,duration_ms\n"
             "A,img0,100,100,250\nA,img0,900,500,250\nA,img0,1500,800,250\n"
             "{blank},img0,1000,500,250\n"
             "B,img0,120,110,250\nB,img0,910,520,250\nB,img0,1490,790,250\n")


def test_ingest_quarantines_a_blank_subject_cell_instead_of_making_up_a_subject(tmp_path, capsys):
    log = tmp_path / "study1.csv"
    log.write_text(FIXATIONS.format(blank=""))
    ds, fix, q = _ingest(capsys, tmp_path, log)
    assert sorted(set(fix["subject"])) == ["A", "B"]  # not "study1" for line 5
    assert fix["line"].tolist() == [2, 3, 4, 6, 7, 8]
    assert q[["line", "reason", "subject", "stimulus"]].values.tolist() == [[5, "no_subject", "", "img0"]]
    assert (q["x"].tolist(), q["y"].tolist()) == ([1000.0], [500.0])
    rows = ds["inputs"][0]["rows"]
    assert rows == {"read": 7, "kept": 6, "quarantined": {"no_subject": 1}, "counted": {}}
    assert ds["inter_observer"]["nss"]["n"] == 2  # one score per observer of img0: A and B, no third


def test_a_missing_marker_in_the_subject_column_is_blank_too_and_NA_stays_a_name(tmp_path, capsys):
    log = tmp_path / "study1.csv"
    log.write_text(FIXATIONS.format(blank=".").replace("B,", "NA,"))  # NA: someone's initials (ID_MISSING)
    _, fix, q = _ingest(capsys, tmp_path, log, "--no-ioc")
    assert sorted(set(fix["subject"])) == ["A", "NA"]
    assert q[["line", "reason"]].values.tolist() == [[5, "no_subject"]]


def test_a_mapped_subject_column_with_a_blank_cell_quarantines_the_row(tmp_path, capsys):
    log = tmp_path / "study1.csv"
    log.write_text(FIXATIONS.format(blank="").replace("subject,", "Observer,"))
    _, fix, q = _ingest(capsys, tmp_path, log, "--no-ioc", "--columns", "subject=Observer")
    assert sorted(set(fix["subject"])) == ["A", "B"]
    assert q[["line", "reason"]].values.tolist() == [[5, "no_subject"]]


def test_eyelink_report_blank_session_label_is_quarantined(tmp_path, capsys):
    log = tmp_path / "el.csv"
    log.write_text("RECORDING_SESSION_LABEL,TRIAL_INDEX,CURRENT_FIX_START,CURRENT_FIX_END,CURRENT_FIX_DURATION,"
                   "CURRENT_FIX_X,CURRENT_FIX_Y\n"
                   "A,1,0,250,250,100,100\nA,1,300,550,250,900,500\n,1,600,850,250,1000,500\n"
                   "B,1,0,250,250,120,110\nB,1,300,550,250,910,520\n")
    ds, fix, q = _ingest(capsys, tmp_path, log, "--no-ioc", "--format", "eyelink-report", "--stimulus", "img0")
    assert sorted(set(fix["subject"])) == ["A", "B"]
    assert q[["line", "reason"]].values.tolist() == [[4, "no_subject"]]
    assert ds["inputs"][0]["rows"] == {"read": 5, "kept": 4, "quarantined": {"no_subject": 1}, "counted": {}}


def test_a_file_without_a_subject_column_still_takes_its_name(tmp_path, capsys):
    log = tmp_path / "alice.csv"
    log.write_text("stimulus,x,y,duration_ms\nimg0,100,100,250\nimg0,900,500,250\n")
    ds, fix, q = _ingest(capsys, tmp_path, log, "--no-ioc")
    assert fix["subject"].tolist() == ["alice", "alice"]
    assert len(q) == 0 and ds["inputs"][0]["rows"]["kept"] == 2


def _samples(path, blank_line=None, subject_column=True):
    # one trial of 300 samples at 500 Hz: fixations at x = 500, 800, 1100 (100 samples each)
    rows = ["subject,stimulus,trial,time_ms,x,y" if subject_column else "stimulus,trial,time_ms,x,y"]
    for i in range(300):
        subj = "" if i + 2 == blank_line else "sub01"
        rows.append((f"{subj}," if subject_column else "") + f"img0,1,{2 * i}.0,{500 + 300 * (i // 100)}.0,400.0")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return path


def _detect(capsys, tmp_path, log):
    rc, _, err = run_cli(capsys, ["detect", log, "--out", tmp_path / "d", "--screen-px", f"{W}x{H}",
                                  "--screen-cm", "53.1x29.9", "--distance-cm", "65", "--quiet", "--workers", "1"])
    assert rc == 0 and "Traceback" not in err, err
    d = tmp_path / "d"
    return json.loads((d / "detection.json").read_text()), pd.read_csv(d / "quarantine.csv", keep_default_na=False)


def test_detect_quarantines_a_blank_subject_cell_and_keeps_the_trial_whole(tmp_path, capsys):
    log = _samples(tmp_path / "s1subj" / "samples.csv", blank_line=151)
    det, q = _detect(capsys, tmp_path, log)
    assert [(t["subject"], t["trial"], t["samples"]) for t in det["trials"]] == [("sub01", "1", 299)]
    assert q[["line", "reason", "subject", "stimulus"]].values.tolist() == [[151, "no_subject", "", "img0"]]
    rows = det["inputs"][0]["rows"]
    assert rows == {"read": 300, "labelled": 299, "quarantined": {"no_subject": 1}, "counted": {}}


def test_detect_names_a_table_without_a_subject_column_after_its_folder(tmp_path, capsys):
    log = _samples(tmp_path / "s1subj" / "samples.csv", subject_column=False)
    det, q = _detect(capsys, tmp_path, log)
    assert [(t["subject"], t["samples"]) for t in det["trials"]] == [("s1subj", 300)]
    assert len(q) == 0


# ---------------------------------------------------------------- a subject column blank on every row (unused)
# Regression of the rule above (review RRc): a table whose `subject` column is empty on every row (a script wrote the
# column and never filled it) was read under the file name; every row became no_subject and ingest stopped ("no
# usable fixations in the 300 rows read (reasons: no_subject 300)"). The column is judged on the file's first chunk:
# blank on every row there, the file is read as one without it (file-name subject, said once in the input's record);
# a later row naming a subject then refuses the file (its earlier rows would be a made-up observer beside it).

def _unused_column(path, named_line=None, name="A"):
    """300 samples of a still gaze at (400, 300) px on img.png, 4 ms apart; subject blank but on ``named_line``."""
    rows = ["subject,stimulus,time,x,y"]
    rows += [f"{name if i + 2 == named_line else ''},img.png,{4 * i},400,300" for i in range(300)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_subject_column_blank_on_every_row_reads_the_file_under_its_name_with_a_note(tmp_path, capsys):
    import cv2

    log = _unused_column(tmp_path / "logs" / "p01.csv")
    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "img.png"), np.zeros((600, 800, 3), np.uint8))
    rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", tmp_path / "stim", "--out", tmp_path / "o",
                                  "--format", "samples", "--screen-px", "800x600", "--screen-cm", "40x30",
                                  "--distance-cm", "60", "--quiet", "--workers", "1", "--no-ioc"])
    assert rc == 0 and "Traceback" not in err, err  # it stopped: no usable fixations (no_subject 300)
    ds = json.loads((tmp_path / "o" / "dataset.json").read_text())
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv", keep_default_na=False)
    assert fix[["subject", "stimulus", "x", "y"]].values.tolist() == [["p01", "img", 400.0, 300.0]]
    inp = ds["inputs"][0]
    assert inp["rows"]["read"] == 300 and inp["rows"]["kept"] == 300 and inp["rows"]["quarantined"] == {}
    assert inp["subject_column_blank"] == ("column 'subject' is blank on every row of lines 2-301, the first read: "
                                           "the file is read as one without a subject column, its rows under 'p01'")


def test_a_blank_first_chunk_then_a_named_row_refuses_the_file_naming_line_and_column(tmp_path):
    from saliency.base.errors import UserError
    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.data_tools.ingest import IngestOptions, ingest
    from ingest_fakes import grey_stimuli

    log = _unused_column(tmp_path / "logs" / "p01.csv", named_line=152)  # chunks of 100: lines 2-101 blank
    with pytest.raises(UserError) as exc:
        ingest([log], grey_stimuli(tmp_path, ("img",), (800, 600)), tmp_path / "o",
               IngestOptions(geometry=ScreenGeometry((800, 600), (40.0, 30.0), 60.0), sigma_px=10.0, sigma_deg=None,
                             ioc=False, chunk_rows=100))
    assert exc.value.args[0] == (
        f"{log}: line 152: column 'subject' names subject 'A', but it is blank on lines 2-101, read under 'p01' as a "
        "file without a subject column (a made-up observer beside the named ones); fill the column on every row, or "
        "map another with `columns` subject=COLUMN")


def test_a_column_naming_someone_on_its_first_chunk_keeps_the_no_subject_rule_in_later_blank_chunks(tmp_path):
    from saliency.data_tools.readers import open_log

    log = _unused_column(tmp_path / "logs" / "p01.csv", named_line=2)  # line 2 names A; lines 3-301 blank
    rd = open_log(log, "samples", chunk_rows=100)
    chunks = list(rd.chunks())
    assert [s for ch in chunks for s in ch.df["subject"]] == ["A"]
    q = pd.concat([ch.quarantine for ch in chunks])
    assert q["line"].tolist() == list(range(3, 302)) and set(q["reason"]) == {"no_subject"}
    assert "subject_column_blank" not in rd.notes

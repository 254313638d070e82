"""Vendor readers (Pro Lab, Pupil, Tobii Pro SDK, Studio 3.x): a blank cell in the file's subject column is
quarantined ``no_subject``, not filed under the file's name (or the recording folder's).

Oracles: hand-worked rows, as in ``test_blank_subject_cell.py`` for the generic tables. The file-name subject is for
a file without a subject column; given to the one row of a file that names its subjects whose cell was blank, it
made up an observer: detect split one trial of 300 samples into three (149, 1, 150), ingest counted a third
observer. Now that row is quarantined with its line and ``no_subject``, every row is accounted for (read = kept
+ quarantined + counted), the subjects are the file's own, and rows counted by design (an event row whose
participant cell is blank too) stay counted. A file without a subject column still takes its name.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_fakes import run_cli

W, H = 1920, 1080
BLANK = 151  # the line (the column line is line 1) whose subject cell is blank in the sample files


def _detect(capsys, tmp_path, log, *extra):
    rc, _, err = run_cli(capsys, ["detect", log, "--out", tmp_path / "d", "--screen-px", f"{W}x{H}",
                                  "--screen-cm", "53.1x29.9", "--distance-cm", "65", "--quiet", "--workers", "1",
                                  *extra])
    assert rc == 0 and "Traceback" not in err, err
    d = tmp_path / "d"
    return json.loads((d / "detection.json").read_text()), pd.read_csv(d / "quarantine.csv", keep_default_na=False)


def _ingest(capsys, tmp_path, log, *extra):
    import cv2

    stim = tmp_path / "stim"
    stim.mkdir()
    cv2.imwrite(str(stim / "img0.png"), np.zeros((H, W, 3), np.uint8))
    rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--screen-px", f"{W}x{H}", "--sigma-px", "20",
                                  "--out", tmp_path / "o", "--quiet", "--workers", "1", "--no-ioc", *extra])
    assert rc == 0 and "Traceback" not in err, err
    o = tmp_path / "o"
    return (json.loads((o / "dataset.json").read_text()), pd.read_csv(o / "fixations.csv", keep_default_na=False),
            pd.read_csv(o / "quarantine.csv", keep_default_na=False))


def _x(i):
    """Sample i (0..299) of every sample file: three still fixations of 100 samples at x = 500, 800, 1100 px."""
    return 500 + 300 * (i // 100)


# ---------------------------------------------------------------- Tobii Pro Lab

PRO_LAB = ["Recording timestamp", "Sensor", "Participant name", "Recording name", "Presented Media name", "Event",
           "Gaze point X", "Gaze point Y", "Validity left", "Validity right"]


def test_pro_lab_blank_participant_sample_is_quarantined_and_the_event_row_stays_counted(tmp_path, capsys):
    # line 2: an event row (no gaze) whose participant cell is blank too: counted event_row, as before;
    # lines 3..302: 300 samples at 500 Hz (2000 us apart) of P01; line 152 (sample 149) has a blank participant
    rows = ["\t".join(PRO_LAB), "0\t\t\tRec 1\timg0.png\tImageStimulusStart\t\t\t\t"]
    for i in range(300):
        subj = "" if i + 3 == BLANK + 1 else "P01"
        rows.append(f"{2000 * i}\tEye Tracker\t{subj}\tRec 1\timg0.png\t\t{_x(i)}\t400\tValid\tValid")
    log = tmp_path / "prolab.tsv"
    log.write_text("\n".join(rows) + "\n")
    det, q = _detect(capsys, tmp_path, log, "--format", "tobii")
    assert [(t["subject"], t["trial"], t["samples"]) for t in det["trials"]] == [("P01", "Rec 1", 299)]
    assert q[["line", "reason", "subject", "stimulus"]].values.tolist() == [[BLANK + 1, "no_subject", "",
                                                                             "img0.png"]]
    rows = det["inputs"][0]["rows"]
    assert rows == {"read": 301, "labelled": 299, "quarantined": {"no_subject": 1}, "counted": {"event_row": 1}}


def test_pro_lab_fixations_a_blank_participant_row_leaves_its_fixation_whole(tmp_path, capsys):
    # Tobii's fixations (--detector tracker): fixation 1 of A on lines 2-4, line 3's participant blank; a
    # saccade row (line 5, blank participant) is counted not_fixation as before; fixation 2 of B on lines 6-7
    head = PRO_LAB[:6] + ["Eye movement type", "Eye movement type index", "Gaze event duration",
                          "Fixation point X", "Fixation point Y"]
    body = ["0\tEye Tracker\tA\tRec 1\timg0\t\tFixation\t1\t250\t100\t100",
            "2000\tEye Tracker\t\tRec 1\timg0\t\tFixation\t1\t250\t100\t100",
            "4000\tEye Tracker\tA\tRec 1\timg0\t\tFixation\t1\t250\t100\t100",
            "6000\tEye Tracker\t\tRec 1\timg0\t\tSaccade\t1\t40\t\t",
            "8000\tEye Tracker\tB\tRec 1\timg0\t\tFixation\t2\t250\t900\t500",
            "10000\tEye Tracker\tB\tRec 1\timg0\t\tFixation\t2\t250\t900\t500"]
    log = tmp_path / "prolab.tsv"
    log.write_text("\n".join(["\t".join(head)] + body) + "\n")
    ds, fix, q = _ingest(capsys, tmp_path, log, "--format", "tobii", "--detector", "tracker")
    # A's fixation once, under line 2 (line 4 continues it: not a second fixation of A); B's under line 6
    assert fix[["subject", "line"]].values.tolist() == [["A", 2], ["B", 6]]
    assert q[["line", "reason"]].values.tolist() == [[3, "no_subject"]]
    assert ds["inputs"][0]["rows"] == {"read": 6, "kept": 2, "quarantined": {"no_subject": 1},
                                       "counted": {"fixation_sample": 2, "not_fixation": 1}}


# ---------------------------------------------------------------- Pupil Labs

def test_pupil_blank_subject_cell_is_quarantined_not_the_recording_folder(tmp_path, capsys):
    # <recording>/exports/000/fixations.csv with a subject column: observers A, B; line 4's subject is blank
    log = tmp_path / "rec1" / "exports" / "000" / "fixations.csv"
    log.parent.mkdir(parents=True)
    log.write_text("id,start_timestamp,duration,norm_pos_x,norm_pos_y,confidence,subject,stimulus\n"
                   "1,10.0,250,0.1,0.9,0.9,A,img0\n2,10.3,250,0.5,0.5,0.9,A,img0\n"
                   "3,10.6,250,0.52,0.5,0.9,,img0\n"
                   "4,20.0,250,0.1,0.88,0.9,B,img0\n5,20.3,250,0.5,0.52,0.9,B,img0\n")
    ds, fix, q = _ingest(capsys, tmp_path, log, "--format", "pupil")
    assert sorted(set(fix["subject"])) == ["A", "B"]  # not "rec1" for line 4
    assert fix["line"].tolist() == [2, 3, 5, 6]
    assert q[["line", "reason", "subject", "stimulus"]].values.tolist() == [[4, "no_subject", "", "img0"]]
    assert ds["inputs"][0]["rows"] == {"read": 5, "kept": 4, "quarantined": {"no_subject": 1}, "counted": {}}


def test_pupil_without_a_subject_column_is_still_the_recording_folder(tmp_path, capsys):
    log = tmp_path / "rec1" / "exports" / "000" / "fixations.csv"
    log.parent.mkdir(parents=True)
    log.write_text("id,start_timestamp,duration,norm_pos_x,norm_pos_y,confidence,stimulus\n"
                   "1,10.0,250,0.1,0.9,0.9,img0\n2,10.3,250,0.5,0.5,0.9,img0\n")
    _, fix, q = _ingest(capsys, tmp_path, log, "--format", "pupil")
    assert fix["subject"].tolist() == ["rec1", "rec1"] and len(q) == 0


# ---------------------------------------------------------------- Tobii Pro SDK / Titta

def _sdk(path, subject_column=True):
    head = "system_time_stamp,left_gaze_point_on_display_area_x,left_gaze_point_on_display_area_y," \
           "left_gaze_point_validity,stimulus" + (",subject" if subject_column else "")
    rows = [head]
    for i in range(300):  # 500 Hz: 2000 us apart; x as a fraction of the 1920 px display
        subj = ("" if i + 2 == BLANK else "s01") if subject_column else None
        rows.append(f"{1_000_000 + 2000 * i},{_x(i) / W:.6f},{400 / H:.6f},1,img0"
                    + (f",{subj}" if subject_column else ""))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_tobii_sdk_blank_subject_cell_is_quarantined_and_the_trial_stays_whole(tmp_path, capsys):
    det, q = _detect(capsys, tmp_path, _sdk(tmp_path / "titta.csv"), "--format", "tobii-sdk")
    assert [(t["subject"], t["samples"]) for t in det["trials"]] == [("s01", 299)]  # not s01 149, titta 1, s01 150
    assert q[["line", "reason", "subject", "stimulus"]].values.tolist() == [[BLANK, "no_subject", "", "img0"]]
    assert det["inputs"][0]["rows"] == {"read": 300, "labelled": 299, "quarantined": {"no_subject": 1},
                                        "counted": {}}


def test_tobii_sdk_without_a_subject_column_takes_the_file_stem(tmp_path, capsys):
    det, q = _detect(capsys, tmp_path, _sdk(tmp_path / "titta.csv", subject_column=False), "--format", "tobii-sdk")
    assert [(t["subject"], t["samples"]) for t in det["trials"]] == [("titta", 300)] and len(q) == 0


# ---------------------------------------------------------------- Tobii Studio 3.x Data Export

STUDIO = ["ParticipantName", "RecordingName", "MediaName", "RecordingTimestamp", "StudioEvent",
          "GazePointX (ADCSpx)", "GazePointY (ADCSpx)", "ValidityLeft", "ValidityRight"]


def test_studio_3x_blank_participant_sample_is_quarantined_not_the_file_stem(tmp_path, capsys):
    # line 2: an event row (no gaze) with a blank ParticipantName: counted event_row, as before;
    # lines 3..302: 300 samples of P01 at 500 Hz (2 ms apart); line 152 (sample 149) has a blank ParticipantName
    rows = ["\t".join(STUDIO), "\tRec 01\timg0.png\t0\tImageStart\t\t\t\t"]
    for i in range(300):
        subj = "" if i + 3 == BLANK + 1 else "P01"
        rows.append(f"{subj}\tRec 01\timg0.png\t{2 * i}\t\t{_x(i)}\t400\t0\t0")
    log = tmp_path / "study_export.tsv"
    log.write_text("\n".join(rows) + "\n")
    det, q = _detect(capsys, tmp_path, log, "--format", "tobii-studio")
    assert [(t["subject"], t["trial"], t["samples"]) for t in det["trials"]] == [("P01", "Rec 01", 299)]
    assert q[["line", "reason", "subject", "stimulus"]].values.tolist() == [[BLANK + 1, "no_subject", "",
                                                                             "img0.png"]]
    assert det["inputs"][0]["rows"] == {"read": 301, "labelled": 299, "quarantined": {"no_subject": 1},
                                        "counted": {"event_row": 1}}


def test_studio_3x_fixations_a_blank_participant_row_leaves_its_fixation_whole(tmp_path, capsys):
    head = ["ParticipantName", "RecordingName", "MediaName", "RecordingTimestamp", "FixationIndex", "GazeEventType",
            "GazeEventDuration", "FixationPointX (MCSpx)", "FixationPointY (MCSpx)"]
    body = ["A\tRec 01\timg0\t0\t1\tFixation\t250\t100\t100",
            "\tRec 01\timg0\t2\t1\tFixation\t250\t100\t100",
            "A\tRec 01\timg0\t4\t1\tFixation\t250\t100\t100",
            "\tRec 01\timg0\t6\t\tSaccade\t40\t\t",
            "B\tRec 01\timg0\t8\t2\tFixation\t250\t900\t500",
            "B\tRec 01\timg0\t10\t2\tFixation\t250\t900\t500"]
    log = tmp_path / "study_export.tsv"
    log.write_text("\n".join(["\t".join(head)] + body) + "\n")
    ds, fix, q = _ingest(capsys, tmp_path, log, "--format", "tobii-studio", "--detector", "tracker")
    assert fix[["subject", "line"]].values.tolist() == [["A", 2], ["B", 6]]  # no "study_export", no second A
    assert q[["line", "reason"]].values.tolist() == [[3, "no_subject"]]
    assert ds["inputs"][0]["rows"] == {"read": 6, "kept": 2, "quarantined": {"no_subject": 1},
                                       "counted": {"fixation_sample": 2, "not_fixation": 1}}


# ---------------------------------------------------------------- a subject column blank on every row (unused)
# Regression of the rule above (review RRc): a file whose subject column is blank on every row (a column no one
# filled) had all its rows quarantined no_subject and ingest stopped. As in the generic tables
# (test_blank_subject_cell.py): judged on the file's first chunk, a column blank on every row there is unused and the
# file is read under its file (or recording folder) name, said once in its notes; a later row naming a subject then
# refuses the file, naming the file, line and column. Each file: 300 rows, the subject blank but on ``named``.

def _pro_lab_file(tmp_path, named=None, tracker=False):
    # line 2: an event row (blank participant); lines 3..302: samples, or Fixation rows of 3 fixations (tracker)
    if tracker:
        head = PRO_LAB[:6] + ["Eye movement type", "Eye movement type index", "Gaze event duration",
                              "Fixation point X", "Fixation point Y"]
    else:
        head = PRO_LAB
    rows = ["\t".join(head), "\t".join(["0", "", "", "Rec 1", "img0.png", "ImageStimulusStart"]
                                       + [""] * (len(head) - 6))]
    for i in range(300):
        subj = "P01" if i + 3 == named else ""
        tail = f"Fixation\t{i // 100 + 1}\t200\t{_x(i)}\t400" if tracker else f"{_x(i)}\t400\tValid\tValid"
        rows.append(f"{2000 * i}\tEye Tracker\t{subj}\tRec 1\timg0.png\t\t{tail}")
    log = tmp_path / "prolab.tsv"
    log.write_text("\n".join(rows) + "\n")
    return log


def _studio_file(tmp_path, named=None, tracker=False):
    # line 2: an event row (blank ParticipantName); lines 3..302: samples, or Fixation rows of 3 fixations (tracker)
    if tracker:
        head = ["ParticipantName", "RecordingName", "MediaName", "RecordingTimestamp", "FixationIndex",
                "GazeEventType", "GazeEventDuration", "FixationPointX (MCSpx)", "FixationPointY (MCSpx)"]
        rows = ["\t".join(head), "\tRec 01\timg0.png\t0\t\tUnclassified\t2\t\t"]
    else:
        head = STUDIO
        rows = ["\t".join(head), "\tRec 01\timg0.png\t0\tImageStart\t\t\t\t"]
    for i in range(300):
        subj = "P01" if i + 3 == named else ""
        if tracker:
            rows.append(f"{subj}\tRec 01\timg0.png\t{2 * i}\t{i // 100 + 1}\tFixation\t200\t{_x(i)}\t400")
        else:
            rows.append(f"{subj}\tRec 01\timg0.png\t{2 * i}\t\t{_x(i)}\t400\t0\t0")
    log = tmp_path / "study_export.tsv"
    log.write_text("\n".join(rows) + "\n")
    return log


def _sdk_file(tmp_path, named=None, tracker=False):
    rows = ["system_time_stamp,left_gaze_point_on_display_area_x,left_gaze_point_on_display_area_y,"
            "left_gaze_point_validity,stimulus,subject"]
    rows += [f"{1_000_000 + 2000 * i},{_x(i) / W:.6f},{400 / H:.6f},1,img0,{'s01' if i + 2 == named else ''}"
             for i in range(300)]
    log = tmp_path / "titta.csv"
    log.write_text("\n".join(rows) + "\n")
    return log


def _pupil_file(tmp_path, named=None, tracker=False):
    log = tmp_path / "rec1" / "exports" / "000" / "fixations.csv"
    log.parent.mkdir(parents=True, exist_ok=True)
    rows = ["id,start_timestamp,duration,norm_pos_x,norm_pos_y,confidence,subject,stimulus"]
    rows += [f"{i + 1},{10 + 0.3 * i:.1f},250,0.5,0.5,0.9,{'A' if i + 2 == named else ''},img0" for i in range(300)]
    log.write_text("\n".join(rows) + "\n")
    return log


# (file, format, tracker fixations, subject column, file-name subject, last line, kept rows read whole)
UNUSED = {"pro-lab": (_pro_lab_file, "tobii", False, "Participant name", "prolab", 302, 300),
          "pro-lab-tracker": (_pro_lab_file, "tobii", True, "Participant name", "prolab", 302, 3),
          "studio-3x": (_studio_file, "tobii-studio", False, "ParticipantName", "study_export", 302, 300),
          "studio-3x-tracker": (_studio_file, "tobii-studio", True, "ParticipantName", "study_export", 302, 3),
          "tobii-sdk": (_sdk_file, "tobii-sdk", False, "subject", "titta", 301, 300),
          "pupil": (_pupil_file, "pupil", False, "subject", "rec1", 301, 300)}


@pytest.mark.parametrize("case", list(UNUSED))
def test_a_subject_column_blank_on_every_row_is_read_under_the_file_name_with_a_note(tmp_path, case):
    from saliency.data_tools.readers import open_log

    make, fmt, tracker, column, name, last, kept = UNUSED[case]
    rd = open_log(make(tmp_path, tracker=tracker), fmt, tracker_events=tracker)
    chunks = list(rd.chunks())
    assert sorted({s for ch in chunks for s in ch.df["subject"]}) == [name]  # no row quarantined no_subject
    assert sum(len(ch.df) for ch in chunks) == kept
    assert all(len(ch.quarantine) == 0 for ch in chunks)
    assert rd.notes["subject_column_blank"] == (f"column {column!r} is blank on every row of lines 2-{last}, the "
                                                f"first read: the file is read as one without a subject column, "
                                                f"its rows under {name!r}")


@pytest.mark.parametrize("case", list(UNUSED))
def test_a_blank_first_chunk_then_a_named_row_refuses_the_file(tmp_path, case):
    from saliency.base.errors import UserError
    from saliency.data_tools.readers import open_log

    make, fmt, tracker, column, name, _, _ = UNUSED[case]
    log = make(tmp_path, named=152, tracker=tracker)  # chunks of 100 rows: lines 2-101 blank
    rd = open_log(log, fmt, tracker_events=tracker, chunk_rows=100)
    with pytest.raises(UserError) as exc:
        list(rd.chunks())
    who = {"prolab": "P01", "study_export": "P01", "titta": "s01", "rec1": "A"}[name]
    assert exc.value.args[0] == (
        f"{log}: line 152: column {column!r} names subject {who!r}, but it is blank on lines 2-101, read under "
        f"{name!r} as a file without a subject column (a made-up observer beside the named ones); fill the column "
        "on every row, or map another with `columns` subject=COLUMN")

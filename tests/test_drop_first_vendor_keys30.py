"""``--drop-first`` after an unreadable first fixation of a vendor's fixation list (review RRf).

Since 068ddba a quarantined fixation row spares its scanpath's second fixation only when it carries the row's
trial and eye (``QUAR_KEYS``), in a file whose kept rows have them. The vendor readers built their quarantine
rows without them, so an unreadable first fixation (a start that is not a number) cost the scanpath its real
second one again: Gazepoint (MEDIA_ID is the trial), BeGaze (Trial, the eye of ``Fixation L``), EyeLink ASC
EFIX lines (``--detector tracker``: the eye, the trial of the start time) and Tobii Pro Lab Fixation rows.

Oracles: the lines of the tiny files written here that a reader keeps, worked by hand.
"""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from cli_fakes import run_cli

W, H = 1920, 1080


def _study(tmp_path, *names):
    stim = tmp_path / "stim"
    stim.mkdir()
    for nm in names:
        cv2.imwrite(str(stim / nm), np.zeros((H, W, 3), np.uint8))
    return stim


def _ingest(capsys, tmp_path, log, *extra):
    out = tmp_path / "o"
    rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", tmp_path / "stim", "--screen-px", f"{W}x{H}",
                                  "--sigma-px", "20", "--out", out, "--quiet", "--workers", "1", "--no-ioc",
                                  "--drop-first", *extra])
    assert rc == 0 and "Traceback" not in err, err

    def rows(name):
        with open(out / name, newline="") as fh:
            return [(int(r["line"]), r.get("reason", "")) for r in csv.DictReader(fh)]
    return sorted(line for line, _ in rows("fixations.csv")), sorted(rows("quarantine.csv"))


GP_HEAD = "MEDIA_ID,MEDIA_NAME,CNT,TIME(2023/03/08 09:25:20.493),FPOGX,FPOGY,FPOGS,FPOGD,FPOGID,FPOGV"


def test_gazepoint_unreadable_first_fixation_spares_the_second(capsys, tmp_path):
    _study(tmp_path, "img1.jpg", "img2.jpg")
    # a fixation's last valid row stands for it (FPOGID runs): lines 4, 7, 10 of media 0; 13, 16 of media 1
    body = []
    for media, name, fids in ((0, "img1.jpg", (1, 2, 3)), (1, "img2.jpg", (4, 5))):
        for fid in fids:
            start = "abc" if fid == 1 else f"{fid * 0.5:.1f}"  # fixation 1 (media 0's first): start unreadable
            body += [f"{media},{name},{3 * fid + k},{fid + k * 0.05:.2f},0.5,0.5,{start},{0.05 * (k + 1):.2f},"
                     f"{fid},1" for k in range(3)]
    log = tmp_path / "User 0_fixations.csv"
    log.write_text("\n".join([GP_HEAD] + body) + "\n")
    kept, quar = _ingest(capsys, tmp_path, log)
    # media 0: line 4 unreadable was its first, so line 7 stays; media 1 (another trial): its first, 13, goes
    assert quar == [(4, "bad_time"), (13, "first_fixation")]
    assert kept == [7, 10, 16]


BG_HEAD = """[BeGaze]
Converted from:\tC:\\data\\P01.idf
Sample Rate:\t500
[Run]
Subject:\tP01
[Calibration]
Calibration Area:\t1920\t1080

Table Header for Fixations:
Event Type\tTrial\tNumber\tStart\tEnd\tDuration\tLocation X\tLocation Y\tDispersion X\tDispersion Y\tPlane\t\
Avg. Pupil Size X\tAvg. Pupil Size Y

Table Header for User Events:
Event Type\tTrial\tNumber\tStart\tDescription

"""


def _bg(eye, trial, num, start, x):
    s = "abc" if start is None else str(3382450000000 + start * 1000)
    return f"Fixation {eye}\t{trial}\t{num}\t{s}\t{3382450000000 + (start or 0) * 1000 + 200000}\t200000\t" \
           f"{x}\t500.0\t22\t69\t-1\t17.16\t17.16"


def test_begaze_unreadable_first_fixation_of_one_eye_spares_its_second(capsys, tmp_path):
    _study(tmp_path, "img1.jpg")
    body = ["UserEvent\t1\t1\t3382450000000\t# Message: img1.jpg",  # line 15
            _bg("L", 1, 1, None, 600.0),  # line 16: L's first, start unreadable
            _bg("R", 1, 1, 100, 610.0),  # line 17: R's first: dropped
            _bg("L", 1, 2, 400, 700.0),  # line 18: L's second: kept
            _bg("R", 1, 2, 400, 710.0),
            _bg("L", 1, 3, 800, 800.0),
            _bg("R", 1, 3, 800, 810.0)]
    log = tmp_path / "ev1.txt"
    log.write_text(BG_HEAD + "\n".join(body) + "\n")
    assert log.read_text().splitlines()[14].startswith("UserEvent")
    kept, quar = _ingest(capsys, tmp_path, log)
    assert quar == [(16, "bad_time"), (17, "first_fixation")]
    assert kept == [18, 19, 20, 21]


ASC_HEAD = ["** CONVERTED FROM sub01.edf using edf2asc", "MSG\t900 DISPLAY_COORDS 0 0 1919 1079",
            "MSG\t1000 TRIALID 1", "MSG\t1001 !V IMGLOAD FILL images/img0.jpg",
            "MSG\t3000 TRIALID 2", "MSG\t3001 !V IMGLOAD FILL images/img1.jpg",
            "START\t1000 \tLEFT\tRIGHT\tEVENTS"]


def test_asc_tracker_unreadable_efix_spares_its_own_eyes_and_trials_second(capsys, tmp_path):
    _study(tmp_path, "img0.jpg", "img1.jpg")
    efix = ["EFIX\tR\t1100\t1300\t200\tabc\t500.0\t1000",  # line 8: trial 1, R's first, x unreadable
            "EFIX\tL\t1100\t1300\t200\t900.0\t500.0\t1000",  # line 9: trial 1, L's first: dropped
            "EFIX\tR\t1400\t1600\t200\t910.0\t510.0\t1000",  # line 10: R's second: kept
            "EFIX\tL\t1400\t1600\t200\t900.0\t510.0\t1000",
            "EFIX\tR\t2800\t2900\t100\t920.0\t520.0\t1000",
            "EFIX\tL\t2800\t2900",  # line 13: trial 1, L's last, cut short: spares not trial 2's first
            "EFIX\tL\t3100\t3300\t200\t930.0\t530.0\t1000",  # line 14: trial 2, L's first: dropped
            "EFIX\tR\t3100\t3300\t200\t940.0\t530.0\t1000",  # line 15: trial 2, R's first: dropped
            "EFIX\tL\t3400\t3600\t200\t950.0\t540.0\t1000",
            "EFIX\tR\t3400\t3600\t200\t960.0\t540.0\t1000"]
    log = tmp_path / "sub01.asc"
    log.write_text("\n".join(ASC_HEAD + efix) + "\n")
    kept, quar = _ingest(capsys, tmp_path, log, "--detector", "tracker")
    assert quar == [(8, "non_numeric"), (9, "first_fixation"), (13, "malformed_row"), (14, "first_fixation"),
                    (15, "first_fixation")]
    assert kept == [10, 11, 12, 16, 17]


PRO_LAB = ["Recording timestamp", "Sensor", "Participant name", "Recording name", "Presented Media name", "Event",
           "Eye movement type", "Eye movement type index", "Gaze event duration", "Fixation point X",
           "Fixation point Y"]


def _pro_lab(tmp_path, times):
    # three Fixation rows (samples) of each of fixations 1, 2, 3 of A on img0: lines 2-4, 5-7, 8-10
    body = [f"{t}\tEye Tracker\tA\tRec 1\timg0\t\tFixation\t{i // 3 + 1}\t200\t{100 + 300 * (i // 3)}\t400"
            for i, t in enumerate(times)]
    log = tmp_path / "prolab.tsv"
    log.write_text("\n".join(["\t".join(PRO_LAB)] + body) + "\n")
    return log


def test_pro_lab_tracker_unreadable_first_fixation_spares_the_second(capsys, tmp_path):
    _study(tmp_path, "img0.png")
    times = ["abc", "abc", "abc"] + [str(250000 + 2000 * k) for k in range(6)]  # fixation 1: no start read
    kept, quar = _ingest(capsys, tmp_path, _pro_lab(tmp_path, times), "--format", "tobii", "--detector", "tracker")
    assert quar == [(2, "bad_time"), (3, "bad_time"), (4, "bad_time")]
    assert kept == [5, 8]


def test_pro_lab_tracker_unreadable_row_of_a_read_fixation_spares_nothing(capsys, tmp_path):
    _study(tmp_path, "img0.png")
    # line 2 is a sample of fixation 1, which lines 3-4 read: fixation 1 is still the first, and goes
    times = ["abc"] + [str(2000 * k) for k in range(1, 9)]
    kept, quar = _ingest(capsys, tmp_path, _pro_lab(tmp_path, times), "--format", "tobii", "--detector", "tracker")
    assert quar == [(2, "bad_time"), (3, "first_fixation")]
    assert kept == [5, 8]


STUDIO = ["ParticipantName", "RecordingName", "MediaName", "RecordingTimestamp", "GazeEventType",
          "GazeEventDuration", "FixationIndex", "FixationPointX (MCSpx)", "FixationPointY (MCSpx)"]


def _studio(tmp_path, rows):
    # a Studio 3.x Data Export: Fixation rows are samples, one fixation a run of rows with the same FixationIndex
    log = tmp_path / "studio.tsv"
    log.write_text("\n".join("\t".join(map(str, r)) for r in [STUDIO] + rows) + "\n", encoding="utf-8")
    return log


def _studio_rows(times, rec="Rec 01", first=1):
    # three Fixation rows (samples) of each of fixations first, first+1, ... of P01 on img0.png
    return [["P01", rec, "img0.png", t, "Fixation", 200, first + i // 3, 100 + 300 * (i // 3), 400]
            for i, t in enumerate(times)]


@pytest.mark.parametrize("bad,reason", [("abc", "bad_time"), ("inf", "non_finite_time")])
def test_studio_tracker_unreadable_first_fixation_spares_the_second(capsys, tmp_path, bad, reason):
    _study(tmp_path, "img0.png")
    # fixation 1 (lines 2-4): no start read; fixation 2 (lines 5-7) is the first read, and stays; then 3 (8-10)
    times = [bad] * 3 + [str(250 + 17 * k) for k in range(6)]
    kept, quar = _ingest(capsys, tmp_path, _studio(tmp_path, _studio_rows(times)), "--detector", "tracker")
    assert quar == [(2, reason), (3, reason), (4, reason)]
    assert kept == [5, 8]


def test_studio_tracker_unreadable_last_fixation_spares_not_the_next_recordings_first(capsys, tmp_path):
    _study(tmp_path, "img0.png")
    # Rec 01: fixation 1 (lines 2-4) unreadable: 2 (5-7) stays; its last, 3 (8-10), unreadable too: a fixation of
    # Rec 01, so Rec 02's first (11-13) still goes, and Rec 02's second (14-16) stays
    rows = _studio_rows(["abc"] * 3 + ["300", "317", "333"] + ["abc"] * 3) \
        + _studio_rows([str(100 + 17 * k) for k in range(6)], rec="Rec 02")
    kept, quar = _ingest(capsys, tmp_path, _studio(tmp_path, rows), "--detector", "tracker")
    assert quar == [(2, "bad_time"), (3, "bad_time"), (4, "bad_time"), (8, "bad_time"), (9, "bad_time"),
                    (10, "bad_time"), (11, "first_fixation")]
    assert kept == [5, 14]


def test_studio_tracker_unreadable_row_of_a_read_fixation_spares_nothing(capsys, tmp_path):
    _study(tmp_path, "img0.png")
    # line 2 is a sample of fixation 1, which lines 3-4 read: fixation 1 is still the first, and goes
    times = ["abc"] + [str(17 * k) for k in range(1, 9)]
    kept, quar = _ingest(capsys, tmp_path, _studio(tmp_path, _studio_rows(times)), "--detector", "tracker")
    assert quar == [(2, "bad_time"), (3, "first_fixation")]
    assert kept == [5, 8]

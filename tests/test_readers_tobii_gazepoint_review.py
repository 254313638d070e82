"""Review fixes in the Tobii Pro Lab, Tobii Studio, Gazepoint and generic readers (data_tools/readers).

- Pro Lab point columns are placed by their unit suffix: ``[DACS px]`` screen
  pixels (preferred), ``[MCS px]`` stimulus pixels, ``[MCS norm]`` fractions of
  the stimulus; a point only in another unit (``[DACS mm]``) is refused;
- a Gazepoint ``*_fixations.csv`` export is read as fixations, although it
  carries ``BPOG`` columns;
- a Gazepoint fixation without ``FPOGS`` starts at its kept row's time less
  its ``FPOGD`` (where the fixation began), not at that row's time;
- the Tobii Studio 3.x Data Export (``RecordingTimestamp``, ``GazeEventType``,
  ``FixationPointX (MCSpx)``, ``GazePointX (ADCSpx)``, ...) is read;
- with ``decimal`` comma, a validity ``0,0`` marks a sample invalid as ``0.0``.

Every file is written here in the vendor's layout; the expected values are
worked out by hand from the lines written.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools.ingest import open_reader
from saliency.data_tools.readers import account_rows, detect_format, open_log
from saliency.data_tools.readers.base import ReadOptions

from ingest_fakes import assert_rows_accounted, corrupt_lines


def read_all(path, **kw):
    """Every chunk of ``path`` (auto-detected) joined: (reader, kept rows, quarantine, counted, spaces)."""
    rd = open_log(path, **kw)
    chunks = list(rd.chunks())
    for ch in chunks:
        assert ch.balance() == 0
    counted = {}
    for ch in chunks:
        for k, v in ch.counted.items():
            counted[k] = counted.get(k, 0) + v
    df = pd.concat([ch.df for ch in chunks], ignore_index=True)
    q = pd.concat([ch.quarantine for ch in chunks], ignore_index=True)
    return rd, df, q, counted, {ch.space for ch in chunks}


def grey(folder, names, size=(800, 600)):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        Image.new("RGB", size, (128, 128, 128)).save(folder / n)
    return folder


# ------------------------------------------------------------------ Tobii Pro Lab: units of the point columns

PL_HEAD = ["Recording timestamp [μs]", "Sensor", "Participant name", "Recording name", "Presented Media name",
           "Validity left", "Validity right", "Eye movement type", "Gaze event duration [ms]",
           "Eye movement type index"]


def prolab(path, points: dict[str, list], n_fix=(3, 2)):
    """A Pro Lab export: fixation 1 of ``n_fix[0]`` rows, a 1-row saccade, fixation 2 of ``n_fix[1]`` rows,
    8333 µs apart; ``points``: column name -> the value of each of its rows (fixation columns empty on the
    saccade row by the caller)."""
    types = ["Fixation"] * n_fix[0] + ["Saccade"] + ["Fixation"] * n_fix[1]
    idx = ["1"] * n_fix[0] + ["1"] + ["2"] * n_fix[1]
    dur = ["100"] * n_fix[0] + ["17"] + ["50"] * n_fix[1]
    rows = []
    for k, (ty, ix, du) in enumerate(zip(types, idx, dur)):
        base = [str(1_000_000 + 8333 * k), "Eye Tracker", "P01", "Rec1", "img1.png", "Valid", "Valid", ty, du, ix]
        rows.append("\t".join(base + [str(v[k]) for v in points.values()]))
    path.write_text("\t".join(PL_HEAD + list(points)) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return len(rows)


def _fix_vals(a, b, n_fix=(3, 2)):
    return [a] * n_fix[0] + [""] + [b] * n_fix[1]


def test_prolab_mcs_norm_columns_are_fractions_of_the_stimulus(tmp_path):
    p = tmp_path / "p.tsv"
    gx = [0.25, 0.26, 0.27, 0.5, 0.75, 0.76]
    gy = [0.5, 0.5, 0.5, 0.4, 0.25, 0.25]
    prolab(p, {"Gaze point X [MCS norm]": gx, "Gaze point Y [MCS norm]": gy,
               "Fixation point X [MCS norm]": _fix_vals(0.26, 0.755),
               "Fixation point Y [MCS norm]": _fix_vals(0.5, 0.25)})
    assert detect_format(p) == "tobii"
    rd, df, q, counted, spaces = read_all(p)
    assert spaces == {"stimulus_norm"} and rd.notes["coordinates"] == "MCS norm"
    assert df["x"].tolist() == gx and df["y"].tolist() == gy and len(q) == 0
    rd, df, q, counted, spaces = read_all(p, tracker_events=True)
    assert spaces == {"stimulus_norm"} and rd.kind == "fixations"
    assert df[["x", "y", "t_start_ms", "duration_ms"]].values.tolist() == [[0.26, 0.5, 1000.0, 100.0],
                                                                         [0.755, 0.25, 1033.332, 50.0]]
    assert counted == {"fixation_sample": 3, "not_fixation": 1}


def test_prolab_mcs_norm_fixations_end_to_end_in_stimulus_pixels(tmp_path):
    p = tmp_path / "p.tsv"
    prolab(p, {"Fixation point X [MCS norm]": _fix_vals(0.5, 0.25),
               "Fixation point Y [MCS norm]": _fix_vals(0.25, 0.75), "Gaze point X [MCS norm]": [0.5] * 6,
               "Gaze point Y [MCS norm]": [0.5] * 6})
    stim = grey(tmp_path / "stim", ["img1.png"], size=(800, 600))
    out = tmp_path / "out"
    assert main(["ingest", str(p), "--stimuli", str(stim), "--out", str(out), "--detector", "tracker",
                 "--sigma-px", "5", "--quiet", "--no-ioc", "--min-duration", "0"]) == 0
    fix = pd.read_csv(out / "fixations.csv")
    # a fraction f of a 800 x 600 image is pixel f * size - 0.5 (pixel centres at 0, 1, ...)
    assert fix[["x", "y", "duration_ms"]].values.tolist() == [[399.5, 149.5, 100.0], [199.5, 449.5, 50.0]]
    d = json.loads((out / "dataset.json").read_text())
    assert d["inputs"][0]["coordinates"] == "MCS norm" and d["inputs"][0]["rows"]["read"] == 6


def test_prolab_prefers_dacs_px_then_mcs_px_whatever_the_column_order(tmp_path):
    p = tmp_path / "p.tsv"
    prolab(p, {"Gaze point X [MCS norm]": [0.5] * 6, "Gaze point Y [MCS norm]": [0.5] * 6,
               "Gaze point X [MCS px]": [400] * 6, "Gaze point Y [MCS px]": [300] * 6,
               "Gaze point X [DACS px]": [960] * 6, "Gaze point Y [DACS px]": [540] * 6,
               "Fixation point X [MCS norm]": _fix_vals(0.5, 0.5), "Fixation point Y [MCS norm]": _fix_vals(0.5, 0.5),
               "Fixation point X [MCS px]": _fix_vals(401, 402), "Fixation point Y [MCS px]": _fix_vals(301, 302)})
    rd, df, _, _, spaces = read_all(p)
    assert spaces == {"screen"} and set(df["x"]) == {960.0} and set(df["y"]) == {540.0}
    assert rd.notes["coordinates"] == "DACS px"
    rd, df, _, _, spaces = read_all(p, tracker_events=True)
    assert spaces == {"stimulus"} and df["x"].tolist() == [401.0, 402.0] and df["y"].tolist() == [301.0, 302.0]
    # the older spelling: 'Gaze point X' (DACS px, no suffix) after 'Gaze point X (MCSnorm)'
    p2 = tmp_path / "old.tsv"
    prolab(p2, {"Gaze point X (MCSnorm)": [0.5] * 6, "Gaze point Y (MCSnorm)": [0.5] * 6,
                "Gaze point X": [100] * 6, "Gaze point Y": [200] * 6})
    _, df, _, _, spaces = read_all(p2)
    assert spaces == {"screen"} and set(df["x"]) == {100.0} and set(df["y"]) == {200.0}


def test_prolab_per_eye_columns_honour_their_unit(tmp_path):
    p = tmp_path / "p.tsv"
    prolab(p, {"Gaze point left X [DACS mm]": [10] * 6, "Gaze point left Y [DACS mm]": [20] * 6,
               "Gaze point left X [MCS norm]": [0.1] * 6, "Gaze point left Y [MCS norm]": [0.2] * 6,
               "Gaze point right X [MCS norm]": [0.3] * 6, "Gaze point right Y [MCS norm]": [0.4] * 6,
               "Gaze point X [MCS norm]": [0.2] * 6, "Gaze point Y [MCS norm]": [0.3] * 6})
    rd = open_reader(p, "auto", ReadOptions(eye="left"))
    chunks = list(rd.chunks())
    assert {ch.space for ch in chunks} == {"stimulus_norm"}
    assert set(chunks[0].df["x"]) == {0.1} and set(chunks[0].df["y"]) == {0.2}


@pytest.mark.parametrize("cols, tracker, expected", [
    ({"Gaze point X [DACS mm]": [1] * 6, "Gaze point Y [DACS mm]": [1] * 6}, False,
     "'Gaze point X [DACS mm]', 'Gaze point Y [DACS mm]'"),
    ({"Gaze point X [DACS px]": [1] * 6, "Gaze point Y [DACS px]": [1] * 6,
      "Fixation point X [HUCS mm]": [1] * 6, "Fixation point Y [HUCS mm]": [1] * 6}, True,
     "'Fixation point X [HUCS mm]', 'Fixation point Y [HUCS mm]'"),
    ({"Gaze point X [DACS px]": [1] * 6, "Gaze point Y [MCS norm]": [1] * 6}, False,
     "'Gaze point X [DACS px]', 'Gaze point Y [MCS norm]'"),
])
def test_prolab_point_in_a_unit_not_placed_is_refused_in_one_line(tmp_path, capsys, cols, tracker, expected):
    p = tmp_path / "p.tsv"
    prolab(p, cols)
    with pytest.raises(UserError) as exc:
        account_rows(open_log(p, tracker_events=tracker))
    msg = str(exc.value)
    assert str(p) in msg and expected in msg and "DACS px, MCS px or MCS norm" in msg and "\n" not in msg
    grey(tmp_path / "stim", ["img1.png"])
    rc = main(["ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "o"), "--quiet",
               "--sigma-px", "5", "--screen-px", "1920x1080", *(["--detector", "tracker"] if tracker else [])])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and expected in err


# ------------------------------------------------------------------ Gazepoint

GP_FIX_HEAD = ("MEDIA_ID,MEDIA_NAME,CNT,TIME(2023/03/08 09:25:20.493),TIMETICK(f=10000000),FPOGX,FPOGY,FPOGS,FPOGD,"
               "FPOGID,FPOGV,BPOGX,BPOGY,BPOGV,CX,CY,CS,USER,")
GP_FIX_ROWS = ["0,img1.jpg,45,0.72363,696216388878,0.45224,0.33879,0.01794,0.70569,2,1,0.46134,0.26619,1,0.5,0.5,0,,",
               "0,img1.jpg,68,1.09607,696220113269,0.44419,0.28933,0.73987,0.35620,3,1,0.37864,0.21775,1,0.5,0.5,0,,",
               "1,img2.jpg,30,0.50000,696233021482,0.60000,0.50000,0.10000,0.40000,1,1,0.61000,0.51000,1,0.5,0.5,0,,"]


def test_gazepoint_fixations_export_is_read_as_fixations(tmp_path):
    p = tmp_path / "User 0_fixations.csv"
    p.write_text(GP_FIX_HEAD + "\n" + "\n".join(GP_FIX_ROWS) + "\n")
    rd, df, q, counted, spaces = read_all(p)
    assert rd.kind == "fixations" and spaces == {"screen_norm"} and len(q) == 0 and counted == {}
    # one fixation per row: FPOGX/Y, start FPOGS (s), duration FPOGD (s); BPOG (the last frame) is not read
    got = df[["subject", "stimulus", "trial", "x", "y", "t_start_ms", "duration_ms", "line"]].values.tolist()
    assert got == [["User 0", "img1.jpg", "0", 0.45224, 0.33879, 17.94, 705.69, 2],
                   ["User 0", "img1.jpg", "0", 0.44419, 0.28933, 739.87, 356.2, 3],
                   ["User 0", "img2.jpg", "1", 0.6, 0.5, 100.0, 400.0, 4]]
    # the same rows in a file named as a gaze export: samples (BPOG), as before
    p2 = tmp_path / "User 0_all_gaze.csv"
    p2.write_text(p.read_text())
    rd, df, _, _, _ = read_all(p2)
    assert rd.kind == "samples" and df["x"].tolist() == [0.46134, 0.37864, 0.61]


GP_NOS = ["MEDIA_ID,MEDIA_NAME,CNT,TIME(2023/03/08 09:25:20.493),FPOGX,FPOGY,FPOGD,FPOGID,FPOGV,",
          "0,img1.jpg,1,0.00000,0.50000,0.50000,0.00000,1,1,",
          "0,img1.jpg,2,0.02000,0.50000,0.50000,0.02000,1,1,",
          "0,img1.jpg,3,0.04000,0.50000,0.50000,0.04000,1,1,",
          "0,img1.jpg,4,0.06000,0.50000,0.50000,0.06000,1,1,",
          "0,img1.jpg,5,0.08000,0.50000,0.50000,0.06000,1,0,",
          "0,img1.jpg,6,0.10000,0.30000,0.30000,0.00000,2,1,",
          "0,img1.jpg,7,0.12000,0.30000,0.30000,0.02000,2,1,",
          "0,img1.jpg,8,0.14000,0.30000,0.30000,0.04000,2,1,"]


@pytest.mark.parametrize("chunk_rows", [500_000, 2, 3])
def test_gazepoint_fixation_without_fpogs_starts_where_it_began(tmp_path, chunk_rows):
    p = tmp_path / "User 2_all_gaze.csv"
    p.write_text("\n".join(GP_NOS) + "\n")
    rd, df, q, counted, _ = read_all(p, chunk_rows=chunk_rows)
    # fixation 1: kept from its last valid row (CNT 4, TIME 0.06 s, FPOGD 0.06 s): starts 0.06 - 0.06 = 0 ms;
    # fixation 2: kept from CNT 8 (0.14 s, FPOGD 0.04 s): starts 100 ms, the time of its first row
    assert rd.kind == "fixations"
    assert df[["t_start_ms", "duration_ms", "line"]].values.tolist() == [[0.0, 60.0, 5], [100.0, 40.0, 9]]
    assert counted == {"fixation_sample": 5, "not_fixation": 1} and len(q) == 0


def test_gazepoint_fixation_without_fpogs_on_the_tick_clock(tmp_path):
    p = tmp_path / "User 3_all_gaze.csv"
    p.write_text("MEDIA_ID,MEDIA_NAME,CNT,TIMETICK(f=1000),FPOGX,FPOGY,FPOGD,FPOGID,FPOGV,\n"
                 "0,img1.jpg,1,5000,0.1,0.2,0.25,7,0,\n"  # FPOGV 0: not a fixation row
                 "0,img1.jpg,2,5100,0.1,0.2,0.35,7,1,\n"
                 "0,img1.jpg,3,5200,0.1,0.2,0.45,7,1,\n")
    _, df, _, counted, _ = read_all(p)
    # the last valid row: tick 5200 at 1000 ticks/s = 5200 ms, less FPOGD 450 ms = 4750 ms
    assert df[["t_start_ms", "duration_ms"]].values.tolist() == [[4750.0, 450.0]]
    assert counted == {"fixation_sample": 1, "not_fixation": 1}


# ------------------------------------------------------------------ Tobii Studio 3.x Data Export

S3_HEAD = ["ExportDate", "StudioVersionRec", "ParticipantName", "RecordingName", "RecordingResolution",
           "MediaName", "RecordingTimestamp", "EyeTrackerTimestamp", "StudioEvent", "FixationIndex", "SaccadeIndex",
           "GazeEventType", "GazeEventDuration", "FixationPointX (MCSpx)", "FixationPointY (MCSpx)",
           "GazePointIndex", "GazePointLeftX (ADCSpx)", "GazePointLeftY (ADCSpx)", "GazePointRightX (ADCSpx)",
           "GazePointRightY (ADCSpx)", "GazePointX (ADCSpx)", "GazePointY (ADCSpx)", "GazePointX (MCSpx)",
           "GazePointY (MCSpx)", "ValidityLeft", "ValidityRight"]


def s3_row(t, media, typ, fix, sac, dur, fxy, gxy, val=(0, 0), event="", subject="P01", rec="Rec 01"):
    fx, fy = fxy if fxy else ("", "")
    gx, gy = gxy if gxy else ("", "")
    mx, my = (gx - 112, gy - 84) if gxy else ("", "")  # the media shown at (112, 84) on the screen
    vl, vr = val
    return [ "1/1/2020", "3.4.8", subject, rec, "1024 x 768", media, t, "" if event else 5_000_000 + 1000 * t,
             event, fix, sac, typ, dur, fx, fy, "" if event else t // 17, gx, gy, gx, gy, gx, gy, mx, my,
             "" if event else vl, "" if event else vr]


S3_ROWS = [
    s3_row(0, "", "", "", "", "", None, None, event="ImageStart"),         # 2: an event row, no gaze
    s3_row(17, "img1.jpg", "Fixation", 1, "", 51, (400, 300), (512, 384)),  # 3: fixation 1 starts
    s3_row(34, "img1.jpg", "Fixation", 1, "", 51, (400, 300), (514, 386)),  # 4
    s3_row(51, "img1.jpg", "Fixation", 1, "", 51, (400, 300), (510, 382), val=(4, 1)),  # 5: right eye 1: valid
    s3_row(68, "img1.jpg", "Saccade", "", 1, 17, None, (600, 400)),          # 6
    s3_row(85, "img1.jpg", "Unclassified", "", "", "", None, (700, 500), val=(4, 4)),  # 7: eyes not found
    s3_row(102, "img1.jpg", "Fixation", 2, "", 34, (620, 450), (732, 534)),  # 8: fixation 2
    s3_row(119, "img1.jpg", "Fixation", 2, "", 34, (620, 450), (733, 535)),  # 9
    s3_row(136, "img2.jpg", "Fixation", 1, "", 17, (10, 20), (122, 104)),   # 10: next media, index restarts
]


def studio3(path, rows=S3_ROWS):
    path.write_text("\t".join(S3_HEAD) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows) + "\n",
                    encoding="utf-8")
    return len(rows)


def test_studio3_data_export_samples(tmp_path):
    p = tmp_path / "P01 export.tsv"
    n = studio3(p)
    assert detect_format(p) == "tobii-studio"
    rd, df, q, counted, spaces = read_all(p)
    assert rd.kind == "samples" and spaces == {"screen"} and rd.notes["coordinates"] == "ADCS px" and rd.trials
    assert counted == {"event_row": 1} and len(q) == 0 and len(df) == n - 1
    assert df["line"].tolist() == [3, 4, 5, 6, 7, 8, 9, 10]
    assert df["time_ms"].tolist() == [17.0, 34.0, 51.0, 68.0, 85.0, 102.0, 119.0, 136.0]
    # validity codes: one eye 0 or 1 = valid; both 4 (eyes not found) = invalid
    assert df["valid"].tolist() == [True, True, True, True, False, True, True, True]
    assert df["x"].tolist()[:4] == [512.0, 514.0, 510.0, 600.0] and np.isnan(df["x"].iloc[4])
    assert set(df["subject"]) == {"P01"} and df["stimulus"].tolist()[-1] == "img2.jpg"
    assert set(df["trial"]) == {"Rec 01"}


@pytest.mark.parametrize("chunk_rows", [500_000, 2])
def test_studio3_data_export_tracker_fixations(tmp_path, chunk_rows):
    p = tmp_path / "P01 export.tsv"
    n = studio3(p)
    rc = assert_rows_accounted(p, n, tracker_events=True, chunk_rows=chunk_rows)
    # 3 fixations (img1 #1 of 3 rows, img1 #2 of 2 rows, img2 #1 of 1 row); 3 further fixation rows;
    # the event row, the saccade and the unclassified row are not fixations
    assert (rc.kept, rc.quarantined, rc.counted) == (3, {}, {"fixation_sample": 3, "not_fixation": 3})
    rd, df, _, _, spaces = read_all(p, tracker_events=True, chunk_rows=chunk_rows)
    assert rd.kind == "fixations" and spaces == {"stimulus"} and rd.notes["coordinates"] == "MCS px"
    got = df[["subject", "stimulus", "trial", "x", "y", "t_start_ms", "duration_ms", "line"]].values.tolist()
    assert got == [["P01", "img1.jpg", "Rec 01", 400.0, 300.0, 17.0, 51.0, 3],
                   ["P01", "img1.jpg", "Rec 01", 620.0, 450.0, 102.0, 34.0, 8],
                   ["P01", "img2.jpg", "Rec 01", 10.0, 20.0, 136.0, 17.0, 10]]


def test_studio3_data_export_bad_rows_are_accounted(tmp_path):
    rows = [list(r) for r in S3_ROWS]
    rows[2][6] = "abc"  # line 4: a fixation row's timestamp is not a number
    rows[6][12] = ""    # line 8: fixation 2 without its duration
    p = tmp_path / "e.tsv"
    n = studio3(p, rows)
    rc = assert_rows_accounted(p, n, tracker_events=True)
    assert rc.kept == 2 and rc.quarantined == {"bad_time": 1, "bad_duration": 1}
    assert rc.counted == {"fixation_sample": 2, "not_fixation": 3}
    rc = assert_rows_accounted(p, n)
    assert rc.kept == 7 and rc.quarantined == {"bad_time": 1} and rc.counted == {"event_row": 1}


@pytest.mark.parametrize("seed", range(3))
def test_new_layouts_account_for_every_row_under_corruption(tmp_path, seed):
    rng = np.random.default_rng(seed)
    p = tmp_path / "s3.tsv"
    n = studio3(p, S3_ROWS * 3)
    corrupt_lines(p, n, rng)
    q = tmp_path / "pl.tsv"
    m = prolab(q, {"Gaze point X [MCS norm]": [0.5] * 6, "Gaze point Y [MCS norm]": [0.5] * 6,
                   "Fixation point X [MCS norm]": _fix_vals(0.5, 0.4),
                   "Fixation point Y [MCS norm]": _fix_vals(0.5, 0.4)})
    corrupt_lines(q, m, rng)
    for path, k in ((p, n), (q, m)):
        for events in (False, True):
            for chunk_rows in (8, 500_000):
                assert_rows_accounted(path, k, tracker_events=events, chunk_rows=chunk_rows)


def test_studio3_data_export_end_to_end(tmp_path):
    p = tmp_path / "P01 export.tsv"
    studio3(p)
    stim = grey(tmp_path / "stim", ["img1.jpg", "img2.jpg"])
    out = tmp_path / "out"
    assert main(["ingest", str(p), "--stimuli", str(stim), "--out", str(out), "--detector", "tracker",
                 "--sigma-px", "5", "--quiet", "--no-ioc", "--min-duration", "0"]) == 0
    fix = pd.read_csv(out / "fixations.csv")
    # MCS px are stimulus pixels: no screen geometry needed, no placement applied
    assert fix[["stimulus", "x", "y", "t_start_ms"]].values.tolist() == [["img1", 400.0, 300.0, 17.0],
                                                                        ["img1", 620.0, 450.0, 102.0],
                                                                        ["img2", 10.0, 20.0, 136.0]]


def test_studio3_export_only_in_mm_is_refused_in_one_line(tmp_path):
    p = tmp_path / "mm.tsv"
    p.write_text("ParticipantName\tMediaName\tRecordingTimestamp\tGazePointX (ADCSmm)\tGazePointY (ADCSmm)\n"
                 "P01\timg1.jpg\t0\t10\t20\n")
    with pytest.raises(UserError) as exc:
        account_rows(open_log(p))
    assert "3.x Data Export" in str(exc.value) and "'GazePointX (ADCSmm)'" in str(exc.value)


# ------------------------------------------------------------------ decimal comma in a validity column

def test_valid_column_zero_with_a_decimal_comma_is_invalid(tmp_path):
    pc = tmp_path / "valid_comma.csv"
    pc.write_text("subject;stimulus;time_ms;x;y;valid\n"
                  "p1;img1.jpg;0,0;100,5;200,5;1,0\n"
                  "p1;img1.jpg;2,0;100,5;200,5;0,0\n"
                  "p1;img1.jpg;4,0;100,5;200,5;0\n"
                  "p1;img1.jpg;6,0;100,5;200,5;0,5\n")
    pp = tmp_path / "valid_point.csv"
    pp.write_text(pc.read_text().replace(",", ".").replace(";", ","))
    got = {}
    for name, p, dec in (("comma", pc, "comma"), ("point", pp, "point")):
        rd = open_reader(p, "auto", ReadOptions(decimal=dec))
        df = pd.concat([ch.df for ch in rd.chunks()], ignore_index=True)
        got[name] = df["valid"].tolist()
        assert df["x"].tolist()[0] == 100.5
    assert got["comma"] == got["point"] == [True, False, False, True]


def test_gazepoint_fixation_without_fpogs_uses_the_time_clock_beside_a_tick_clock(tmp_path):
    """TIME = FPOGS + FPOGD is on the TIME clock: with both clocks, the start is TIME - FPOGD (it was TIMETICK's,
    another origin: 9900 ms for a fixation FPOGS would put at 400 ms); found by the stop-20 docs review."""
    p = tmp_path / "User 2_fixations.csv"
    p.write_text("MEDIA_ID,MEDIA_NAME,CNT,TIME(2020/01/01 10:00:00.000),TIMETICK(f=10000000),FPOGX,FPOGY,FPOGD,"
                 "FPOGID,FPOGV,USER,\n"
                 "0,a.jpg,1,0.5,100000000,0.5,0.5,0.1,1,1,,\n"
                 "0,a.jpg,2,0.516,100160000,0.52,0.52,0.116,1,1,,\n")
    _, df, _, _, _ = read_all(p)
    # hand-worked: the last valid row, 0.516 s less 0.116 s = 400 ms, lasting 116 ms
    assert df[["t_start_ms", "duration_ms"]].values.tolist() == [[pytest.approx(400.0, abs=1e-9), pytest.approx(116.0)]]

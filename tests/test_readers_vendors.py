"""Vendor text exports: SMI BeGaze, Tobii Studio, Gazepoint, Tobii Pro SDK / Titta (data_tools/readers).

Each reader is checked on files written in the vendor's published layout
(header blocks included), against values worked out by hand from the lines
written here; on deviating files (one-line errors naming the vendor, the line
and what is missing); on the row accounting identity (every data row kept,
quarantined or counted) under corruption; and end to end through
``saliency ingest``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools.readers import account_rows, begaze, detect_format, gazepoint, open_log, tobii_sdk, \
    tobii_studio

from ingest_fakes import assert_rows_accounted, single_chunk


# ------------------------------------------------------------------ SMI BeGaze

BEGAZE_RAW = """## [BeGaze]
## Converted from:\tC:\\data\\P07.idf
## Date:\t08.03.2023 09:25:20
## Version:\tBeGaze 3.7.40
## Sample Rate:\t500
## [Run]
## Subject:\tP07
## Description:\tRun1
## [Calibration]
## Calibration Area:\t1680\t1050
## [Geometry]
## Stimulus Dimension [mm]:\t474\t297
## Head Distance [mm]:\t700
##
Time\tType\tTrial\tL POR X [px]\tL POR Y [px]\tR POR X [px]\tR POR Y [px]\tL Event Info\tR Event Info
10000000000\tMSG\t1\t# Message: kitchen.jpg
10000002000\tSMP\t1\t100.0\t200.0\t110.0\t210.0\tFixation\tFixation
10000004000\tSMP\t1\t100.0\t200.0\t120.0\t220.0\tBlink\tFixation
10000006000\tSMP\t1\t0.00\t0.00\t0.00\t0.00\t-\t-
10000008000\tSMP\t2\t300.5\t400.5\t300.5\t400.5\tFixation\tFixation
10000010000\tMSG\t2\t# Message: street.png
10000012000\tSMP\t2\tabc\t400.5\t300.5\t400.5\tFixation\tFixation
10000014000\tXYZ\t2
"""


def test_begaze_raw_samples_hand_worked(tmp_path):
    p = tmp_path / "P07 Samples.txt"
    p.write_text(BEGAZE_RAW)
    assert detect_format(p) == "begaze"
    rd, ch = single_chunk(p)
    assert (rd.kind, rd.screen_px, rd.notes["distance_mm"]) == ("samples", (1680, 1050), "700")
    df = ch.df
    assert df["line"].tolist() == [17, 18, 19, 20]
    assert df["time_ms"].tolist() == [10000002.0, 10000004.0, 10000006.0, 10000008.0]  # µs -> ms
    assert df["subject"].unique().tolist() == ["P07"]
    # both eyes averaged; left blinking -> right eye only; 0/0 = eye lost
    assert df["x"].tolist()[:2] == [105.0, 120.0] and df["y"].tolist()[:2] == [205.0, 220.0]
    assert df["valid"].tolist() == [True, True, False, True]
    # the message names the stimulus for the rest of its trial; a new trial starts without one
    assert df["stimulus"].tolist() == ["kitchen.jpg", "kitchen.jpg", "kitchen.jpg", ""]
    assert df["trial"].tolist() == ["1", "1", "1", "2"]
    q = dict(zip(ch.quarantine["line"], ch.quarantine["reason"]))
    assert q == {22: "non_numeric", 23: "malformed_row"}
    assert ch.counted == {"message_row": 2} and ch.rows_read == 8 and ch.balance() == 0


BEGAZE_EVENTS = """[BeGaze]
Converted from:\tC:\\data\\P07.idf
Date:\t08.03.2023 09:25:20
Version:\tBeGaze 3.7.40
Sample Rate:\t250
[Run]
Subject:\tP07
[Calibration]
Calibration Area:\t1280\t1024

Table Header for Fixations:
Event Type{s}Trial{s}Number{s}Start{s}End{s}Duration{s}Location X{s}Location Y{s}Dispersion X{s}Dispersion Y{s}Plane{s}Avg. Pupil Size X{s}Avg. Pupil Size Y

Table Header for Saccades:
Event Type{s}Trial{s}Number{s}Start{s}End{s}Duration{s}Start Loc.X{s}Start Loc.Y{s}End Loc.X{s}End Loc.Y{s}Amplitude{s}Peak Speed{s}Peak Speed At{s}Average Speed{s}Peak Accel.{s}Peak Decel.{s}Average Accel.

Table Header for Blinks:
Event Type{s}Trial{s}Number{s}Start{s}End{s}Duration

Table Header for User Events:
Event Type{s}Trial{s}Number{s}Start{s}Description

UserEvent{s}1{s}1{s}3382450700000{s}# Message: kitchen.jpg
Saccade L{s}1{s}13{s}3382450786556{s}3382450806427{s}19871{s}1009.68{s}587.24{s}1000.98{s}583.28{s}0.11{s}9.00{s}1.00{s}5.74{s}94.46{s}-203.67{s}137.37
Fixation L{s}1{s}14{s}3382450806427{s}3382450965523{s}159096{s}996.68{s}569.56{s}22{s}69{s}-1{s}17.16{s}17.16
Fixation R{s}1{s}14{s}3382450806427{s}3382450965523{s}159096{s}990.00{s}560.00{s}22{s}69{s}-1{s}17.16{s}17.16
Blink L{s}1{s}1{s}3382451084874{s}3382451164475{s}79601
Fixation L{s}2{s}15{s}3382451806427{s}3382451965523{s}-{s}500{s}569.56{s}22{s}69{s}-1{s}17.16{s}17.16
Fixation L{s}2{s}16{s}3382452806427{s}3382452965523{s}159096{s}-{s}569.56{s}22{s}69{s}-1{s}17.16{s}17.16
Trigger{s}2{s}1{s}3382452806427
"""


@pytest.mark.parametrize("sep", ["\t", ", "])
def test_begaze_event_export_hand_worked(tmp_path, sep):
    p = tmp_path / "P07 Events.txt"
    p.write_text(BEGAZE_EVENTS.replace("{s}", sep))
    assert detect_format(p) == "begaze"
    rd, ch = single_chunk(p)
    assert (rd.kind, rd.screen_px, rd.notes["sample_rate_hz"]) == ("fixations", (1280, 1024), "250")
    df = ch.df
    assert df["line"].tolist() == [25, 26] and df["eye"].tolist() == ["L", "R"]
    assert df["t_start_ms"].tolist() == [3382450806.427] * 2  # µs -> ms
    assert df["duration_ms"].tolist() == [159.096] * 2
    assert df[["x", "y"]].to_numpy().tolist() == [[996.68, 569.56], [990.0, 560.0]]
    assert df["stimulus"].tolist() == ["kitchen.jpg"] * 2 and df["subject"].unique().tolist() == ["P07"]
    q = dict(zip(ch.quarantine["line"], ch.quarantine["reason"]))
    assert q == {28: "bad_duration", 29: "bad_coordinates", 30: "malformed_row"}
    assert ch.counted == {"message_row": 1, "not_fixation": 2}
    assert ch.rows_read == 8 and ch.balance() == 0


@pytest.mark.parametrize("text, expected", [
    ("## [BeGaze]\n## Date:\t08.03.2023 09:25:20\n## Sample Rate:\t500\n",
     "read as a SMI BeGaze export, but its header block ends at line 3 without a table"),
    ("[BeGaze]\nSubject:\tP07\n\nTable Header for Fixations:\n",
     "the file ends after 'Table Header for Fixations:' on line 4 (no column line)"),
    ("[BeGaze]\nTable Header for Fixations:\nEvent Type\tTrial\tStart\tEnd\tDuration\tLocation Y\n"
     "Fixation L\t1\t1\t2\t1\t5\n",
     "column line 3 lacks 'location x' (screen px)"),
    ("[BeGaze]\nTable Header for Saccades:\nEvent Type\tTrial\tStart\nSaccade L\t1\t1\n",
     "has no 'Table Header for Fixations:'"),
    ("## [BeGaze]\nTime\tType\tTrial\tL Raw X [px]\n1\tSMP\t1\t3\n",
     "column line 2 has no point of regard in pixels ('L POR X [px]'"),
])
def test_begaze_deviating_files_name_vendor_line_and_what_is_missing(tmp_path, text, expected):
    p = tmp_path / "x.txt"
    p.write_text(text)
    with pytest.raises(UserError) as exc:
        account_rows(open_log(p, "begaze"))
    assert expected in str(exc.value) and str(p) in str(exc.value)


def test_begaze_example_layouts_read_and_balance(tmp_path):
    rng = np.random.default_rng(3)
    p = tmp_path / "raw.txt"
    n = begaze.example_file(p, rng, 1000)
    rc = assert_rows_accounted(p, n)
    assert rc.counted == {"message_row": 4} and rc.kept == 996  # one MSG row opens each trial of 250
    p = tmp_path / "ev.txt"
    n = begaze.example_events_file(p, rng, 300)
    rc = assert_rows_accounted(p, n, tracker_events=True)
    lines = p.read_text().splitlines()[-n:]
    assert rc.kept == sum(ln.startswith("Fixation") for ln in lines)
    assert rc.counted["not_fixation"] == sum(ln.startswith(("Saccade", "Blink")) for ln in lines)


# ------------------------------------------------------------------ Tobii Studio

STUDIO_HEAD = ("Data properties:\n\nRecording date: 3/21/2011\nRecording time: 13:32:49:000 (corresponds to time 0)\n"
               "Study: Pilot6\nSubject: P08\nRecording: Pilot07\nScreen resolution: 1280 x 1024\n"
               "Coordinate unit: Pixels\n\n\nFilter settings:\n\nEye: Average\nValidity: Normal\n"
               "Fixation filter: Tobii fixation filter\nFixation radius: 35\n\n")
# the first rows of EMDAT's PrimeClimbData/Pilot07-Fixation-Data.tsv, a real Tobii Studio export (lines end in a tab)
STUDIO_FIX = ("FixationIndex\tTimestamp\tFixationDuration\tMappedFixationPointX\tMappedFixationPointY\t\n"
              "1\t92\t117\t571\t453\t\n2\t209\t316\t516\t451\t\n3\t525\t333\t582\t462\t\n"
              "9\t2107\t1032\t71\t-19\t\n10\t3140\tabc\t361\t743\t\n")


def test_tobii_studio_fixation_export_hand_worked(tmp_path):
    p = tmp_path / "Pilot07-Fixation-Data.tsv"
    p.write_text(STUDIO_HEAD + STUDIO_FIX)
    assert detect_format(p) == "tobii-studio"
    rd, ch = single_chunk(p)
    assert (rd.kind, rd.screen_px) == ("fixations", (1280, 1024))
    df = ch.df
    assert df["line"].tolist() == [20, 21, 22, 23] and df["subject"].unique().tolist() == ["P08"]
    assert df["t_start_ms"].tolist() == [92, 209, 525, 2107] and df["duration_ms"].tolist() == [117, 316, 333, 1032]
    assert df[["x", "y"]].to_numpy().tolist()[-1] == [71, -19]  # off screen stays: the ingest decides
    assert ch.quarantine[["line", "reason"]].values.tolist() == [[24, "bad_duration"]]
    assert ch.rows_read == 5 and ch.balance() == 0


ALL_COLS = tobii_studio.ALL_DATA_COLUMNS


def all_row(**kw):
    """One All-Data line: the named columns filled, the rest empty, a tab at the end (as Tobii Studio writes)."""
    return "\t".join(str(kw.get(c, "")) for c in ALL_COLS) + "\t"


def test_tobii_studio_all_data_samples_and_tracker_fixations(tmp_path):
    g = dict(StimuliName="kitchen.jpg", StimuliID=3)
    rows = [all_row(Timestamp=0, Event="ImageStart", Descriptor="kitchen.jpg", **g),
            all_row(Timestamp=17, Number=1, GazePointXLeft=500, GazePointYLeft=400, ValidityLeft=0, GazePointXRight=510,
                    GazePointYRight=404, ValidityRight=1, GazePointX=505, GazePointY=402, FixationIndex=1,
                    MappedFixationPointX=506, MappedFixationPointY=401, FixationDuration=50, **g),
            all_row(Timestamp=33, Number=2, GazePointXLeft=502, GazePointYLeft=400, ValidityLeft=0, GazePointXRight=-1,
                    GazePointYRight=-1, ValidityRight=4, GazePointX=502, GazePointY=400, FixationIndex=1,
                    MappedFixationPointX=506, MappedFixationPointY=401, FixationDuration=50, **g),
            all_row(Timestamp=50, Number=3, GazePointXLeft=-1, GazePointYLeft=-1, ValidityLeft=4, GazePointXRight=-1,
                    GazePointYRight=-1, ValidityRight=4, GazePointX=-1, GazePointY=-1, **g),
            all_row(Timestamp=67, Number=4, GazePointXLeft=800, GazePointYLeft=90, ValidityLeft=2, GazePointXRight=800,
                    GazePointYRight=90, ValidityRight=2, GazePointX=800, GazePointY=90, FixationIndex=2,
                    MappedFixationPointX=800, MappedFixationPointY=90, FixationDuration=17, **g)]
    p = tmp_path / "Rec 07-All-Data.tsv"
    p.write_text(STUDIO_HEAD + "\t".join(ALL_COLS) + "\t\n" + "\n".join(rows) + "\n")
    rd, ch = single_chunk(p)
    assert rd.kind == "samples" and rd.screen_px == (1280, 1024)
    df = ch.df
    assert df["line"].tolist() == [21, 22, 23, 24] and df["time_ms"].tolist() == [17, 33, 50, 67]
    assert df["x"].tolist()[:2] == [505, 502]  # Tobii's averaged point
    assert df["valid"].tolist() == [True, True, False, False]  # validity 4 (lost), 2 (uncertain) are not valid
    assert (df["stimulus"] == "kitchen.jpg").all() and (df["trial"] == "3").all()
    assert ch.counted == {"event_row": 1} and ch.rows_read == 5 and ch.balance() == 0
    rd, ch = single_chunk(p, tracker_events=True)
    assert rd.kind == "fixations"
    assert ch.df[["line", "t_start_ms", "duration_ms", "x", "y"]].values.tolist() == [[21, 17, 50, 506, 401],
                                                                                  [24, 67, 17, 800, 90]]
    assert ch.counted == {"fixation_sample": 1, "not_fixation": 2} and ch.balance() == 0


def test_tobii_studio_fixations_spanning_chunks_are_kept_once(tmp_path):
    p = tmp_path / "all.tsv"
    n = tobii_studio.example_file(p, np.random.default_rng(5), 900)
    big = assert_rows_accounted(p, n, tracker_events=True)
    small = assert_rows_accounted(p, n, tracker_events=True, chunk_rows=7)
    assert (small.kept, small.counted) == (big.kept, big.counted)
    cols = p.read_text().splitlines()[18].split("\t")
    fixed = [ln.split("\t") for ln in p.read_text().splitlines()[-n:]]
    i_fix, i_stim = cols.index("FixationIndex"), cols.index("StimuliName")
    runs = {(f[i_stim], f[i_fix]) for f in fixed if f[i_fix]}  # fixation numbers never repeat within a media here
    assert big.kept == len(runs) and big.counted["fixation_sample"] == sum(bool(f[i_fix]) for f in fixed) - len(runs)


@pytest.mark.parametrize("text, expected", [
    ("Data properties:\n\nSubject: P08\nScreen resolution: 1280 x 1024\n",
     "read as a Tobii Studio export, but its header block ends at line 4 without a column line"),
    ("Data properties:\n\nSubject: P08\nthis is not a key value line\n",
     "line 4 is neither a 'Key: value' line"),
    ("Data properties:\n\nSubject: P08\n\nFixationIndex\tTimestamp\tFixationDuration\tMappedFixationPointX\t\n1\t2\t3\t4\t\n",
     "its column line 5 lacks 'MappedFixationPointY' (screen px)"),
    ("Data properties:\n\nCoordinate unit: Percent\n\nFixationIndex\tTimestamp\n1\t2\n",
     "'Coordinate unit: Percent'; export in pixels"),
])
def test_tobii_studio_deviating_files(tmp_path, text, expected):
    p = tmp_path / "x.tsv"
    p.write_text(text)
    with pytest.raises(UserError) as exc:
        account_rows(open_log(p))
    assert expected in str(exc.value)


# ------------------------------------------------------------------ Gazepoint

GP_COLS = "MEDIA_ID,MEDIA_NAME,CNT,TIME(2023/01/01 12:00:00.000),TIMETICK(f=10000000),FPOGX,FPOGY,FPOGS,FPOGD,FPOGID," \
          "FPOGV,BPOGX,BPOGY,BPOGV,USER,"
GP_ROWS = ["0,img1.jpg,1,0.00000,100000000,0.5,0.5,0.0,0.00,1,1,0.5,0.5,1,,",
           "0,img1.jpg,2,0.01667,100166700,0.5,0.5,0.0,0.017,1,1,0.51,0.5,1,,",
           "0,img1.jpg,3,0.03333,100333300,0.5,0.5,0.0,0.033,1,1,0.49,0.5,1,,",
           "0,img1.jpg,4,0.05000,100500000,0.2,0.5,0.05,0.00,2,0,0.2,0.5,0,,",
           "0,img1.jpg,5,0.06667,100666700,0.2,0.3,0.05,0.017,2,1,0.2,0.3,1,,",
           "1,img2.jpg,6,0.00000,100833300,0.7,0.1,0.0,0.02,1,1,0.7,0.1,1,,"]


@pytest.mark.parametrize("chunk_rows", [500_000, 2])
def test_gazepoint_samples_and_fixations_hand_worked(tmp_path, chunk_rows):
    p = tmp_path / "User 0_all_gaze.csv"
    p.write_text(GP_COLS + "\n" + "\n".join(GP_ROWS) + "\n")
    assert detect_format(p) == "gazepoint"
    rd = open_log(p, chunk_rows=chunk_rows)
    rc = account_rows(rd)
    assert rd.kind == "samples" and rc.balanced and rc.read == rc.kept == 6
    import pandas as pd
    df = pd.concat([c.df for c in rd.chunks()], ignore_index=True)
    assert df["time_ms"].tolist() == pytest.approx([10000.0, 10016.67, 10033.33, 10050.0, 10066.67, 10083.33])
    assert df["valid"].tolist() == [True, True, True, False, True, True]
    assert (df["subject"] == "User 0").all() and df["stimulus"].tolist()[-1] == "img2.jpg"
    assert next(iter(rd.chunks())).space == "screen_norm"
    rd = open_log(p, tracker_events=True, chunk_rows=chunk_rows)
    chunks = list(rd.chunks())
    fx = pd.concat([c.df for c in chunks], ignore_index=True)
    # each fixation once, from its last valid row: final FPOGD, start FPOGS; FPOGID restarts with the media
    assert fx[["line", "x", "y", "t_start_ms", "duration_ms", "trial"]].values.tolist() == [
        [4, 0.5, 0.5, 0.0, 33.0, "0"], [6, 0.2, 0.3, 50.0, 17.0, "0"], [7, 0.7, 0.1, 0.0, 20.0, "1"]]
    counted = {}
    for c in chunks:
        assert c.balance() == 0 and c.space == "screen_norm"
        for k, v in c.counted.items():
            counted[k] = counted.get(k, 0) + v
    assert counted == {"fixation_sample": 2, "not_fixation": 1}


def test_gazepoint_fixation_export_and_missing_columns(tmp_path):
    p = tmp_path / "User 3_fixations.csv"
    p.write_text("MEDIA_ID,MEDIA_NAME,CNT,TIME(2023/01/01 12:00:00.000),FPOGX,FPOGY,FPOGS,FPOGD,FPOGID,FPOGV,\n"
                 "0,img1.jpg,12,0.2,0.25,0.75,0.10,0.30,1,1,\n0,img1.jpg,40,0.7,0.5,0.5,0.60,0.25,2,1,\n")
    rd = open_log(p)
    assert rd.kind == "fixations" and assert_rows_accounted(p, 2).kept == 2
    import pandas as pd
    df = pd.concat([c.df for c in rd.chunks()], ignore_index=True)
    assert df["subject"].unique().tolist() == ["User 3"]
    assert df[["t_start_ms", "duration_ms"]].values.tolist() == [[100.0, 300.0], [600.0, 250.0]]
    q = tmp_path / "b.csv"
    q.write_text("TIME(2023/01/01),BPOGX,BPOGY,BPOGV,FPOGX,FPOGY\n0.1,0.5,0.5,1,0.5,0.5\n")
    with pytest.raises(UserError, match="read as a Gazepoint export, but its column line 1 lacks 'FPOGD'"):
        open_log(q, tracker_events=True)


# ------------------------------------------------------------------ Tobii Pro SDK / Titta

def test_tobii_sdk_split_and_tuple_columns(tmp_path):
    p = tmp_path / "titta.tsv"
    p.write_text("system_time_stamp\tleft_gaze_point_on_display_area_x\tleft_gaze_point_on_display_area_y\t"
                 "left_gaze_point_validity\tright_gaze_point_on_display_area_x\tright_gaze_point_on_display_area_y\t"
                 "right_gaze_point_validity\n"
                 "1000000\t0.40\t0.50\t1\t0.50\t0.60\t1\n"
                 "1001667\tnan\tnan\t0\t0.50\t0.60\t1\n"
                 "1003333\tnan\tnan\t0\tnan\tnan\t0\n"
                 "abc\t0.40\t0.50\t1\t0.50\t0.60\t1\n")
    assert detect_format(p) == "tobii-sdk"
    rd, ch = single_chunk(p)
    assert rd.kind == "samples" and ch.space == "screen_norm"
    assert ch.df["time_ms"].tolist() == [1000.0, 1001.667, 1003.333]
    assert ch.df["x"].tolist()[:2] == pytest.approx([0.45, 0.5]) and ch.df["y"].tolist()[:2] == pytest.approx([0.55, 0.6])
    assert ch.df["valid"].tolist() == [True, True, False]
    assert ch.quarantine[["line", "reason"]].values.tolist() == [[5, "bad_time"]] and ch.balance() == 0
    q = tmp_path / "sdk.csv"  # the SDK's dict saved as is: one "(x, y)" column per eye, True/False validity
    q.write_text('device_time_stamp,system_time_stamp,left_gaze_point_on_display_area,left_gaze_point_valid,'
                 'right_gaze_point_on_display_area,right_gaze_point_valid\n'
                 '5,2000000,"(0.25, 0.75)",True,"(0.35, 0.85)",True\n'
                 '6,2001000,"(nan, nan)",False,"(0.35, 0.85)",True\n'
                 '7,2002000,"(0.25; 0.75)",True,"(0.35, 0.85)",True\n')
    rd, ch = single_chunk(q)
    assert ch.df["x"].tolist() == pytest.approx([0.3, 0.35]) and ch.df["y"].tolist() == pytest.approx([0.8, 0.85])
    assert ch.quarantine[["line", "reason"]].values.tolist() == [[4, "non_numeric"]] and ch.balance() == 0


def test_tobii_sdk_without_time_or_gaze_columns(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("device_time_stamp,left_gaze_point_on_display_area_x\n1,0.5\n")
    with pytest.raises(UserError, match="Tobii Pro SDK / Titta gaze file, but its column line 1 has no "
                                        "left/right_gaze_point_on_display_area"):
        open_log(p, "tobii-sdk")
    p.write_text("left_gaze_point_on_display_area_x,left_gaze_point_on_display_area_y\n0.5,0.5\n")
    with pytest.raises(UserError, match="has no system_time_stamp or device_time_stamp"):
        open_log(p, "tobii-sdk")


# ------------------------------------------------------------------ row accounting under corruption

MODULES = {"begaze": begaze, "tobii-studio": tobii_studio, "gazepoint": gazepoint, "tobii-sdk": tobii_sdk}
GARBAGE = ["abc", "nan", "inf", "", '"open', "-"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(sorted(MODULES)), events=st.booleans(), seed=st.integers(0, 2 ** 16),
       edits=st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 40), st.sampled_from(GARBAGE + ["cut"])),
                      max_size=8), chunk_rows=st.sampled_from([3, 50, 500_000]))
def test_every_row_accounted_for_under_corruption(tmp_path_factory, fmt, events, seed, edits, chunk_rows):
    mod = MODULES[fmt]
    write = getattr(mod, "example_events_file", None) if events else mod.example_file
    if write is None:
        events, write = False, mod.example_file
    p = tmp_path_factory.mktemp("acc") / ("User 0_all_gaze.csv" if fmt == "gazepoint" else "f.txt")
    k = write(p, np.random.default_rng(seed), 60)
    lines = p.read_text().split("\n")
    body = len(lines) - 1 - k  # the last k non-blank lines are the data rows (the file ends with a newline)
    sep = "," if fmt in ("gazepoint", "tobii-sdk") else "\t"
    for row, field, junk in edits:
        i = body + row % k
        f = lines[i].split(sep)
        f = f[:1 + field % 3] if junk == "cut" else f[:field % len(f)] + [junk] + f[field % len(f) + 1:]
        new = sep.join(f)
        lines[i] = new if new.strip(sep + ' \t"') else "x"  # a corrupted row is still a row
    p.write_text("\n".join(lines))
    assert_rows_accounted(p, k, tracker_events=events, chunk_rows=chunk_rows)


# ------------------------------------------------------------------ end to end: saliency ingest

def stimuli(folder: Path, names, size=(800, 600)) -> Path:
    """Grey stimulus images of ``size`` (w, h) named ``names``."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        Image.new("RGB", size, (128, 128, 128)).save(folder / n)
    return folder


def ingest(tmp_path, log, stim, *extra) -> dict:
    out = tmp_path / "out"
    assert main(["ingest", str(log), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "5", "--quiet",
                 "--no-ioc", *extra]) == 0
    return json.loads((out / "dataset.json").read_text())


def test_ingest_begaze_event_export_end_to_end(tmp_path):
    p = tmp_path / "P07 Events.txt"
    n = begaze.example_events_file(p, np.random.default_rng(11), 200)
    st_ = stimuli(tmp_path / "stim", [f"img{i}.jpg" for i in range(1, 6)])
    d = ingest(tmp_path, p, st_, "--detector", "tracker", "--screen-px", "1680x1050", "--min-duration", "0")
    rows = d["inputs"][0]["rows"]
    lines = p.read_text().splitlines()[-n:]
    assert rows["read"] == n and rows["counted"]["not_fixation"] == sum(ln.startswith(("Sacc", "Blink")) for ln in lines)
    import pandas as pd
    fix = pd.read_csv(tmp_path / "out" / "fixations.csv")
    written = [ln.split("\t") for ln in lines if ln.startswith("Fixation")]
    assert len(fix) + rows["quarantined"].get("off_screen", 0) + rows["quarantined"].get("off_stimulus", 0) == \
        len(written)
    assert set(fix["eye"]) <= {"L", "R"} and set(fix["subject"]) == {"P01"}


def test_ingest_begaze_raw_samples_end_to_end(tmp_path):
    p = tmp_path / "P01 Samples.txt"
    n = begaze.example_file(p, np.random.default_rng(2), 3000)
    st_ = stimuli(tmp_path / "stim", [f"img{i}.jpg" for i in range(1, 21)], size=(1680, 1050))
    d = ingest(tmp_path, p, st_, "--screen-px", "1680x1050", "--screen-cm", "47.4x29.7", "--distance-cm", "70")
    assert d["inputs"][0]["format"] == "begaze" and d["inputs"][0]["rows"]["read"] == n
    assert d["inputs"][0]["rows"]["counted"] == {"message_row": 12}


def test_ingest_tobii_studio_fixation_export_end_to_end(tmp_path):
    p = tmp_path / "Rec 07-Fixation-Data.tsv"
    n = tobii_studio.example_fixation_file(p, np.random.default_rng(4), 120)
    st_ = stimuli(tmp_path / "stim", ["scene.jpg"], size=(1280, 1024))
    d = ingest(tmp_path, p, st_, "--stimulus", "scene.jpg", "--detector", "tracker", "--min-duration", "0",
               "--screen-px", "1280x1024")
    import pandas as pd
    fix = pd.read_csv(tmp_path / "out" / "fixations.csv")
    rows = [ln.split("\t") for ln in p.read_text().splitlines()[-n:]]
    inside = sum(0 <= int(r[3]) < 1280 and 0 <= int(r[4]) < 1024 for r in rows)  # 0-based pixel centres
    assert d["inputs"][0]["rows"]["read"] == n and len(fix) == inside


def test_ingest_uses_the_screen_the_export_declares(tmp_path):
    p = tmp_path / "Rec 07-Fixation-Data.tsv"
    tobii_studio.example_fixation_file(p, np.random.default_rng(4), 40)
    q = tmp_path / "P07 Events.txt"
    begaze.example_events_file(q, np.random.default_rng(4), 40)
    for log, screen in ((p, [1280, 1024]), (q, [1680, 1050])):
        st_ = stimuli(tmp_path / f"stim{screen[0]}", ["scene.jpg"], size=tuple(screen))
        out = tmp_path / f"out{screen[0]}"
        assert main(["ingest", str(log), "--stimuli", str(st_), "--out", str(out), "--sigma-px", "5", "--quiet",
                     "--no-ioc", "--stimulus", "scene.jpg", "--detector", "tracker"]) == 0  # no --screen-px
        d = json.loads((out / "dataset.json").read_text())
        assert d["geometry"]["screen_px"] == screen


def test_ingest_tobii_studio_all_data_samples_end_to_end(tmp_path):
    p = tmp_path / "Rec 07-All-Data.tsv"
    n = tobii_studio.example_file(p, np.random.default_rng(6), 3000)
    st_ = stimuli(tmp_path / "stim", [f"img{i}.jpg" for i in range(1, 21)], size=(1280, 1024))
    d = ingest(tmp_path, p, st_, "--screen-cm", "37.6x30.1", "--distance-cm", "65")
    rows = d["inputs"][0]["rows"]
    assert rows["read"] == n and rows["counted"] == {"event_row": 10} and d["geometry"]["screen_px"] == [1280, 1024]
    import pandas as pd
    fix = pd.read_csv(tmp_path / "out" / "fixations.csv")
    assert len(fix) > 100 and fix["x"].between(-0.5, 1279.5).all()


def test_ingest_tobii_studio_all_data_tracker_end_to_end(tmp_path):
    p = tmp_path / "Rec 07-All-Data.tsv"
    n = tobii_studio.example_file(p, np.random.default_rng(6), 1200)
    st_ = stimuli(tmp_path / "stim", [f"img{i}.jpg" for i in range(1, 21)], size=(1280, 1024))
    d = ingest(tmp_path, p, st_, "--detector", "tracker", "--min-duration", "0", "--screen-px", "1280x1024")
    rows = d["inputs"][0]["rows"]
    assert rows["read"] == n and rows["counted"]["fixation_sample"] > rows["kept"] > 0


def test_ingest_gazepoint_fixations_end_to_end(tmp_path):
    p = tmp_path / "User 0_all_gaze.csv"
    n = gazepoint.example_file(p, np.random.default_rng(8), 1800)
    st_ = stimuli(tmp_path / "stim", [f"img{i}.jpg" for i in range(1, 11)], size=(1920, 1080))
    d = ingest(tmp_path, p, st_, "--detector", "tracker", "--min-duration", "0", "--screen-px", "1920x1080")
    import pandas as pd
    fix = pd.read_csv(tmp_path / "out" / "fixations.csv")
    assert d["inputs"][0]["rows"]["read"] == n and len(fix) == 10 * 10  # 10 media x 10 fixations of 18 rows
    # fractions of the screen -> pixel centres: x * 1920 - 0.5, the image filling the screen
    first = p.read_text().splitlines()[15].split(",")  # the 15th data row: last valid row of fixation 1
    x0 = float(first[5]) * 1920 - 0.5
    assert fix.sort_values("line")["x"].iloc[0] == pytest.approx(x0, abs=1e-3)  # fixations.csv keeps 3 decimals


@pytest.mark.parametrize("fmt", ["gazepoint", "tobii-sdk"])
def test_ingest_normalised_samples_end_to_end(tmp_path, fmt):
    mod = MODULES[fmt]
    p = tmp_path / ("User 0_all_gaze.csv" if fmt == "gazepoint" else "titta.csv")
    n = mod.example_file(p, np.random.default_rng(9), 3000)
    st_ = stimuli(tmp_path / "stim", [f"img{i}.jpg" for i in range(1, 11)] + ["scene.jpg"], size=(1920, 1080))
    extra = [] if fmt == "gazepoint" else ["--stimulus", "scene.jpg"]
    d = ingest(tmp_path, p, st_, "--screen-px", "1920x1080", "--screen-cm", "52.7x29.6", "--distance-cm", "65",
               *extra)
    import pandas as pd
    fix = pd.read_csv(tmp_path / "out" / "fixations.csv")
    assert d["inputs"][0]["rows"]["read"] == n
    assert fix["x"].between(0.05 * 1920 - 30, 0.95 * 1920 + 30).all()  # pixels, not fractions
    assert fix["x"].max() > 100

"""Review 18 of the eye-tracker readers: four reproduced bugs, each checked on a small file written here.

Every file below is written by hand in the vendor's layout and the expected
values are worked out by hand from its lines (stated next to each assert):

1. EyeLink ASC ``MSG <time> <offset> <text>``: the event happened at
   ``time - offset`` (SR Research FAQ on message offsets, Data Viewer's rule);
   trial starts/ends and stimulus onsets follow the corrected time.
2. Pupil Player ``fixations_on_surface_<name>.csv``: one row per world frame x
   fixation; each ``fixation_id`` is kept once, its other frame rows counted
   (``fixation_frame``), a fixation never ``on_surf`` quarantined
   (``off_surface``).
3. ``--format pupil`` on a Pupil gaze export (``gaze_positions.csv``): one
   error line, exit code 2, no fixations made up from gaze samples.
4. SMI BeGaze raw samples: ``B POR`` (binocular point of regard) is not
   averaged in as a third eye next to ``L`` and ``R``; it is read only when
   the export has no ``L``/``R`` POR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools.readers import account_rows, detect_format, eyelink_asc, open_log, pupil
from saliency.data_tools.readers.base import ReadOptions


def _read(reader):
    """(df, quarantine, counted, rows_read) over every chunk of ``reader``."""
    dfs, qs, counted, read = [], [], {}, 0
    for ch in reader.chunks():
        assert ch.balance() == 0
        dfs.append(ch.df)
        qs.append(ch.quarantine)
        read += ch.rows_read
        for k, v in ch.counted.items():
            counted[k] = counted.get(k, 0) + v
    return (pd.concat(dfs, ignore_index=True), pd.concat(qs, ignore_index=True), counted, read)


# ------------------------------------------------------------------ 1. EyeLink ASC message offsets

def _asc_offsets() -> str:
    head = ["** CONVERTED FROM sub01.edf using edf2asc",
            "**",
            "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00",          # line 3
            "START\t990 \tLEFT\tSAMPLES\tEVENTS",                       # line 4
            "SAMPLES\tGAZE\tLEFT\tRATE\t1000.00\tTRACKING\tCR",         # line 5
            "MSG\t990 -10 TRIALID 1",                                    # line 6: trial 1 starts at 990+10 = 1000
            "MSG\t1000 !V IMGLOAD CENTER a.jpg 960 540"]                 # line 7: a.jpg at 1000
    samples = [f"{t}\t{100 + t - 998:.1f}\t500.0\t1000.0\t..." for t in range(998, 1012)]  # lines 8-21
    tail = ["EFIX L   1006\t1009\t4\t  500.0\t  400.0\t   1000",       # line 22: starts at 1006 (b.jpg)
            "MSG\t1008 3 !V IMGLOAD CENTER b.jpg 960 540",               # line 23: b.jpg at 1008-3 = 1005
            "MSG\t1013 3 TRIAL_RESULT 0",                                # line 24: trial ends at 1010
            "END\t1013 \tSAMPLES\tEVENTS\tRES\t38.2\t35.1"]
    return "\n".join(head + samples + tail) + "\n"


def test_asc_message_offset_is_subtracted_from_trial_and_stimulus_times(tmp_path):
    p = tmp_path / "sub01.asc"
    p.write_text(_asc_offsets())
    df, q, counted, read = _read(open_log(p))
    # 14 sample lines (998..1011), all kept, none quarantined
    assert (read, len(df), len(q), counted) == (14, 14, 0, {})
    assert df["time_ms"].tolist() == list(range(998, 1012))
    # 998, 999: before the trial (TRIALID 990 - (-10) = 1000); 1000-1004: a.jpg; 1005-1009: b.jpg (1008 - 3);
    # 1010, 1011: after TRIAL_RESULT (1013 - 3 = 1010, end excluded)
    assert df["stimulus"].tolist() == [""] * 2 + ["a.jpg"] * 5 + ["b.jpg"] * 5 + [""] * 2
    assert df["trial"].tolist() == [""] * 2 + ["1"] * 10 + [""] * 2
    assert df["line"].tolist() == list(range(8, 22))


def test_asc_message_offset_applies_to_tracker_events(tmp_path):
    p = tmp_path / "sub01.asc"
    p.write_text(_asc_offsets())
    df, q, counted, read = _read(open_log(p, tracker_events=True))
    # the one EFIX starts at 1006: after b.jpg's onset 1005 (without the offset it would be 1008: a.jpg)
    assert (read, len(df), len(q)) == (1, 1, 0)
    assert df[["stimulus", "trial", "t_start_ms", "duration_ms", "line"]].values.tolist() == \
        [["b.jpg", "1", 1006.0, 4.0, 22]]


def test_asc_offset_is_the_integer_token_right_after_the_time(tmp_path):
    p = tmp_path / "m.asc"
    p.write_text("\n".join([
        "** CONVERTED FROM m.edf using edf2asc",
        "MSG\t1234 1 2 3",              # line 2: offset 1, text "2 3", at 1233
        "MSG\t1000 1.5 TRIAL_VAR x",    # line 3: 1.5 is not an integer: no offset
        "MSG\t1000 12ab TRIAL_VAR y",   # line 4: 12ab is not an integer: no offset
        "MSG\t2000.5 +20 DISPLAY_ON",   # line 5: a signed offset on a 2 kHz (half-ms) time stamp: 1980.5
        "MSG\t3000 TRIALID 4",          # line 6: no offset
    ]) + "\n")
    assert eyelink_asc.scan(p)["messages"] == [
        (1233.0, 2, "2 3"), (1000.0, 3, "1.5 TRIAL_VAR x"), (1000.0, 4, "12ab TRIAL_VAR y"),
        (1980.5, 5, "DISPLAY_ON"), (3000.0, 6, "TRIALID 4")]


# ------------------------------------------------------------------ 2. Pupil Player surface fixations

SURFACE_HEADER = ("world_timestamp,world_index,fixation_id,start_timestamp,duration,dispersion,norm_pos_x,"
                  "norm_pos_y,x_scaled,y_scaled,on_surf")
SURFACE_ROWS = [
    "10.000000,0,1,10.000000,300.0,1.1,0.25,0.75,480.0,810.0,True",    # line 2: fixation 1, on
    "10.033333,1,1,10.000000,300.0,1.1,0.27,0.73,518.4,788.4,True",    # line 3: fixation 1, on
    "10.066667,2,1,10.000000,300.0,1.1,0.26,0.74,499.2,799.2,True",    # line 4: fixation 1, on
    "10.066667,2,2,10.050000,100.0,1.1,1.05,0.5,2016.0,540.0,False",   # line 5: fixation 2, off
    "10.100000,3,2,10.050000,100.0,1.1,0.9,0.5,1728.0,540.0,True",     # line 6: fixation 2, on
    "10.133333,4,3,10.120000,250.0,1.1,1.3,0.5,2496.0,540.0,False",    # line 7: fixation 3, off
    "10.166667,5,3,10.120000,250.0,1.1,1.3,0.5,2496.0,540.0,False",    # line 8: fixation 3, off
]


def _surface_file(tmp_path):
    p = tmp_path / "rec7" / "exports" / "000" / "surfaces" / "fixations_on_surface_Screen.csv"
    p.parent.mkdir(parents=True)
    p.write_text(SURFACE_HEADER + "\n" + "\n".join(SURFACE_ROWS) + "\n")
    return p


@pytest.mark.parametrize("chunk_rows", [500_000, 2])
def test_pupil_surface_export_keeps_each_fixation_once(tmp_path, chunk_rows):
    p = _surface_file(tmp_path)
    assert detect_format(p) == "pupil"
    df, q, counted, read = _read(pupil.read(p, ReadOptions(chunk_rows=chunk_rows)))
    # 7 rows = 2 kept + 1 quarantined + 4 counted (lines 3, 4, 5, 8: further frames of fixations 1, 2, 3)
    assert (read, len(df), len(q), counted) == (7, 2, 1, {"fixation_frame": 4})
    # fixation 1: mean of its 3 on-surface frames: x (0.25+0.27+0.26)/3 = 0.26, y 1 - (0.75+0.73+0.74)/3 = 0.26
    # fixation 2: its one on-surface frame (line 6): x 0.9, y 1 - 0.5 = 0.5; start s -> ms, duration ms
    assert df["line"].tolist() == [2, 6]
    assert np.allclose(df["x"], [0.26, 0.9]) and np.allclose(df["y"], [0.26, 0.5])
    assert np.allclose(df["t_start_ms"], [10000.0, 10050.0]) and df["duration_ms"].tolist() == [300.0, 100.0]
    assert set(df["subject"]) == {"rec7"}  # <recording>/exports/000/surfaces/
    # fixation 3 never on the surface: quarantined once, at its first line
    assert q[["line", "reason"]].values.tolist() == [[7, "off_surface"]]


def test_pupil_surface_export_bad_on_surf_is_quarantined(tmp_path):
    p = tmp_path / "fixations_on_surface_S.csv"
    p.write_text(SURFACE_HEADER + "\n" + "\n".join([
        "1.0,0,5,1.0,200.0,1.0,0.5,0.5,1,1,True",       # line 2: kept
        "1.1,1,5,1.0,200.0,1.0,0.5,0.5,1,1,maybe",      # line 3: bad_on_surf
        "1.2,2,,1.0,200.0,1.0,0.5,0.5,1,1,True",        # line 4: no_fixation_id
    ]) + "\n")
    rc = account_rows(open_log(p))
    assert rc.balanced and (rc.read, rc.kept) == (3, 1)
    _, q, counted, _ = _read(open_log(p))
    assert q[["line", "reason"]].values.tolist() == [[3, "bad_on_surf"], [4, "no_fixation_id"]] and counted == {}


# ------------------------------------------------------------------ 3. Pupil gaze export given as fixations

GAZE_HEADER = ("gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data,gaze_point_3d_x,"
               "gaze_point_3d_y,gaze_point_3d_z")


def _gaze_file(tmp_path):
    p = tmp_path / "gaze_positions.csv"
    p.write_text(GAZE_HEADER + "\n" + "\n".join(
        f"{5123.456789 + 0.005 * k:.6f},0,0.95,0.30,0.80,{5123.456789 + 0.005 * k:.6f}-0,0.1,0.1,0.1"
        for k in range(6)) + "\n")
    return p


@pytest.mark.parametrize("fmt", ["pupil", "auto"])
def test_pupil_gaze_export_is_refused(tmp_path, fmt):
    p = _gaze_file(tmp_path)
    with pytest.raises(UserError) as exc:
        open_log(p, fmt)
    msg = str(exc.value)
    assert msg.startswith(f"{p}: a Pupil Labs gaze export") and "not a fixation export" in msg
    assert "fixations.csv" in msg and "\n" not in msg


def test_pupil_gaze_export_cli_exit_2_one_line(tmp_path, capsys):
    p = _gaze_file(tmp_path)
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.new("RGB", (8, 6)).save(stim / "a.png")
    out = tmp_path / "d"
    rc = main(["ingest", str(p), "--format", "pupil", "--stimuli", str(stim), "--out", str(out),
               "--sigma-px", "3", "--screen-px", "1920x1080"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and str(p) in err and "gaze export" in err
    assert "Traceback" not in err and not out.exists()


# ------------------------------------------------------------------ 4. SMI BeGaze B POR

BEGAZE_HEAD = """## [BeGaze]
## Converted from:\tC:\\data\\s11.idf
## Sample Rate:\t60
## [Run]
## Subject:\ts11
## [Calibration]
## Calibration Area:\t1280\t960
##
"""


def test_begaze_binocular_por_is_not_a_third_eye(tmp_path):
    p = tmp_path / "s11 Samples.txt"
    cols = ["Time", "Type", "Trial", "B POR X [px]", "B POR Y [px]", "L POR X [px]", "L POR Y [px]",
            "R POR X [px]", "R POR Y [px]", "B Event Info", "Stimulus"]
    rows = [["1000000", "SMP", "1", "655.0", "280.0", "600.0", "300.0", "700.0", "320.0", "Fixation", "a.jpg"],
            ["1016000", "SMP", "1", "690.0", "330.0", "0.00", "0.00", "700.0", "320.0", "Fixation", "a.jpg"],
            ["1033000", "SMP", "1", "640.0", "300.0", "0.00", "0.00", "0.00", "0.00", "Fixation", "a.jpg"]]
    p.write_text(BEGAZE_HEAD + "\n".join("\t".join(r) for r in [cols] + rows) + "\n")
    df, q, counted, read = _read(open_log(p))
    assert (read, len(df), len(q)) == (3, 3, 0)
    # line 10: L and R valid: ((600+700)/2, (300+320)/2) = (650, 310), B (655, 280) not averaged in
    # line 11: L lost (0/0): R alone (700, 320), not the mean of R and B (695, 325)
    # line 12: L and R lost: invalid, though B has a value
    assert df["line"].tolist() == [10, 11, 12]
    assert df["x"].tolist()[:2] == [650.0, 700.0] and df["y"].tolist()[:2] == [310.0, 320.0]
    assert df["valid"].tolist() == [True, True, False]
    assert df["time_ms"].tolist() == [1000.0, 1016.0, 1033.0]


def test_begaze_binocular_por_alone_is_read(tmp_path):
    p = tmp_path / "s12 Samples.txt"
    cols = ["Time", "Type", "Trial", "B POR X [px]", "B POR Y [px]", "B Event Info"]
    rows = [["1000000", "SMP", "1", "655.0", "280.0", "Fixation"],
            ["1016000", "SMP", "1", "0.00", "0.00", "Blink"]]
    p.write_text(BEGAZE_HEAD + "\n".join("\t".join(r) for r in [cols] + rows) + "\n")
    df, q, counted, read = _read(open_log(p))
    # no L/R POR: B is the gaze; 0/0 (and its Blink) is a lost sample
    assert (read, len(df), len(q)) == (2, 2, 0)
    assert df["x"].tolist()[0] == 655.0 and df["y"].tolist()[0] == 280.0 and df["valid"].tolist() == [True, False]


def test_begaze_events_blank_quote_line_and_wide_event_rows(tmp_path):
    """A line of only ``""`` is blank (the shared rule: spaces, quotes, separators), not a malformed data row;
    a Blink row with more fields than the Blink table's column line is malformed, not counted as not_fixation
    (the module docstring's rule, applied to fixation rows only). Oracle: the rows the example writer wrote."""
    from saliency.data_tools.readers import begaze

    p = tmp_path / "P07 Events.txt"
    n = begaze.example_events_file(p, np.random.default_rng(0), 20)
    lines = p.read_text().split("\n")
    lines.insert(len(lines) - 5, '""')
    p.write_text("\n".join(lines))
    rc = account_rows(open_log(p))
    assert rc.read == n and not rc.quarantined, rc
    lines = p.read_text().split("\n")
    i = next(j for j, ln in enumerate(lines) if ln.startswith("Blink L"))
    lines[i] += "\tEXTRA\tMORE\tFIELDS"
    p.write_text("\n".join(lines))
    rd = open_log(p)
    rc = account_rows(rd)
    assert rc.read == n and rc.quarantined == {"malformed_row": 1}, rc
    q = next(c.quarantine for c in rd.chunks() if len(c.quarantine))
    assert q["line"].tolist() == [i + 1]

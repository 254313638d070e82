"""Review 28 (F4-F6): a Gazepoint fixation export is told by its rows whatever its name; Pupil Player's pre-1.0
fixations.csv has durations in seconds; the Gazepoint column refusal quotes the column line as written.

Expectations are worked by hand from the rows below: a point at screen fraction ``f`` on a 1600 x 1200 screen
filled by a 1600 x 1200 stimulus lies at pixel ``f * 1600 - 0.5`` (pixel centres), Pupil's ``y`` counted from the
bottom (``(1 - f) * 1200 - 0.5``); times in s become ms (x 1000).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli
from saliency.data_tools.readers import open_log


def _setup(tmp_path, names):
    stim = tmp_path / "stim"
    stim.mkdir()
    for n in names:
        Image.new("RGB", (1600, 1200), (128, 128, 128)).save(stim / n)
    geo = tmp_path / "geo.json"
    geo.write_text(json.dumps({"screen_px": [1600, 1200], "screen_cm": [40, 30], "distance_cm": 60}))
    return stim, geo


def _ingest(capsys, tmp_path, log, stim, geo, *extra):
    out = tmp_path / "out"
    rc, o, e = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--geometry", geo, "--out", out, "--overwrite",
                                *extra])
    return rc, o, e, out


# ------------------------------------------------------------------ F4: Gazepoint fixation export by content

# the first 14 columns of a Gazepoint Analysis 7.2 fixation export (one row per fixation; FPOGID new on each row)
GP_FIX = ["MEDIA_ID,MEDIA_NAME,CNT,TIME(2026/02/20 01:26:38.946),TIMETICK(f=10000000),FPOGX,FPOGY,FPOGS,FPOGD,"
          "FPOGID,FPOGV,BPOGX,BPOGY,BPOGV",
          "0,NewMedia0,22,0.36139,50362626523,0.48233,0.05846,0.0,0.36138,2,1,0.33407,0.28296,1",
          "0,NewMedia0,46,0.75562,50366568488,0.34801,0.34173,0.42902,0.3266,3,1,0.64108,0.3062,1",
          "0,NewMedia0,72,1.18311,50370843811,0.68343,0.43488,0.82135,0.36176,4,1,0.66847,0.3295,1",
          "1,NewMedia1,3,0.04883,50460213714,0.58669,0.36833,0.0,0.04883,1,1,0.5594,0.38232,1",
          "1,NewMedia1,24,0.39435,50463669111,0.32622,0.36909,0.11511,0.27924,2,1,0.45052,0.52942,1",
          "1,NewMedia1,44,0.72235,50466949012,0.46727,0.46929,0.45941,0.26294,3,1,0.52296,0.40989,1"]


def test_gazepoint_fixation_export_named_fixations_csv_is_read_as_fixations(tmp_path, capsys):
    stim, geo = _setup(tmp_path, ["NewMedia0.png", "NewMedia1.png"])
    log = tmp_path / "fixations.csv"  # REFLACX's name, or a renamed "User 3_fixations.csv"
    log.write_text("\n".join(GP_FIX) + "\n")
    rc, _, err, out = _ingest(capsys, tmp_path, log, stim, geo)
    assert rc == 0, err
    df = pd.read_csv(out / "fixations.csv")
    # FPOGX/FPOGY (not BPOG), start FPOGS, duration FPOGD, one fixation per row
    want = [("NewMedia0", 0.48233 * 1600 - 0.5, 0.05846 * 1200 - 0.5, 0.0, 361.38),
            ("NewMedia0", 0.34801 * 1600 - 0.5, 0.34173 * 1200 - 0.5, 429.02, 326.6),
            ("NewMedia0", 0.68343 * 1600 - 0.5, 0.43488 * 1200 - 0.5, 821.35, 361.76),
            ("NewMedia1", 0.58669 * 1600 - 0.5, 0.36833 * 1200 - 0.5, 0.0, 48.83),
            ("NewMedia1", 0.32622 * 1600 - 0.5, 0.36909 * 1200 - 0.5, 115.11, 279.24),
            ("NewMedia1", 0.46727 * 1600 - 0.5, 0.46929 * 1200 - 0.5, 459.41, 262.94)]
    assert df["stimulus"].tolist() == [w[0] for w in want] and df["line"].tolist() == [2, 3, 4, 5, 6, 7]
    for col, k in (("x", 1), ("y", 2), ("t_start_ms", 3), ("duration_ms", 4)):
        assert df[col].tolist() == pytest.approx([w[k] for w in want], abs=1e-6), col


def test_gazepoint_rows_named_all_gaze_stay_samples(tmp_path):
    p = tmp_path / "User 3_all_gaze.csv"  # Gazepoint's samples name: read as samples whatever its rows
    p.write_text("\n".join(GP_FIX) + "\n")
    assert open_log(p).kind == "samples"


def test_gazepoint_sample_stream_under_another_name_stays_samples(tmp_path):
    # 60 Hz frames: FPOGID 1 on three valid frames, a saccade frame (FPOGV 0), FPOGID 2 on two frames
    rows = [(1, 1, 0.0), (1, 1, 0.01667), (1, 1, 0.03333), (1, 0, 0.03333), (2, 1, 0.0), (2, 1, 0.01667)]
    lines = ["MEDIA_ID,MEDIA_NAME,CNT,TIME(2023/03/08 09:25:20.493),FPOGX,FPOGY,FPOGS,FPOGD,FPOGID,FPOGV,"
             "BPOGX,BPOGY,BPOGV,"]
    for k, (fid, v, d) in enumerate(rows):
        lines.append(f"0,img1.jpg,{k + 1},{k / 60:.5f},0.5,0.5,0.0,{d},{fid},{v},0.5,0.5,1,")
    p = tmp_path / "recording.csv"
    p.write_text("\n".join(lines) + "\n")
    rd = open_log(p)
    assert rd.kind == "samples"
    assert sum(len(ch.df) for ch in rd.chunks()) == 6


# ------------------------------------------------------------------ F6: the refusal quotes the header as written

def test_gazepoint_column_refusal_quotes_the_header_as_written(tmp_path, capsys):
    stim, geo = _setup(tmp_path, ["img1.png"])
    log = tmp_path / "P01.csv"  # FPOGD and FPOGID missing; TIME(...) keeps its date
    log.write_text("MEDIA_ID,MEDIA_NAME,TIME(2023/03/08 09:25:20.493),FPOGX,FPOGY,FPOGV\n0,img1.png,0.1,0.5,0.5,1\n")
    line = refusal(*_ingest(capsys, tmp_path, log, stim, geo)[:3])
    assert "lacks 'FPOGD' (fixation duration, s), 'FPOGID' (fixation number);" in line
    assert "'FPOGX'" not in line
    assert line.endswith("the line has: MEDIA_ID, MEDIA_NAME, TIME(2023/03/08 09:25:20.493), FPOGX, FPOGY, FPOGV")


def test_pupil_file_forced_as_gazepoint_is_quoted_in_its_own_case(tmp_path, capsys):
    stim, geo = _setup(tmp_path, ["img1.png"])
    log = tmp_path / "fixations.csv"
    log.write_text("id,start_timestamp,duration,norm_pos_x,norm_pos_y\n0,1.0,200,0.5,0.5\n")
    line = refusal(*_ingest(capsys, tmp_path, log, stim, geo, "--format", "gazepoint")[:3])
    assert line.endswith("the line has: id, start_timestamp, duration, norm_pos_x, norm_pos_y")


# ------------------------------------------------------------------ F5: Pupil Player before v1.0: duration in s

OLD_ROWS = [("0", "100.5", "0.25", "10", "20", "0.25", "0.75"), ("1", "101.0", "0.31", "21", "30", "0.5", "0.5")]


@pytest.mark.parametrize("sep,head", [
    ("\t", "id start_timestamp duration start_frame end_frame norm_pos_x norm_pos_y dispersion avg_pupil_size "
           "confidence"),  # v0.7-v0.8.6 (tab-separated)
    (",", "id start_timestamp duration start_index end_frame norm_pos_x norm_pos_y dispersion avg_pupil_size "
          "confidence"),  # v0.8.7-v0.9 (2D detector; comma-separated)
])
def test_pupil_pre_1_0_fixations_duration_is_seconds(tmp_path, capsys, sep, head):
    stim, geo = _setup(tmp_path, ["img1.jpg"])
    d = tmp_path / "rec" / "exports" / "000"
    d.mkdir(parents=True)
    log = d / "fixations.csv"
    log.write_text(sep.join(head.split()) + "\n"
                   + "\n".join(sep.join(r + ("1.2", "30.1", "0.95")) for r in OLD_ROWS) + "\n")
    rc, _, err, out = _ingest(capsys, tmp_path, log, stim, geo, "--stimulus", "img1.jpg")
    assert rc == 0, err
    df = pd.read_csv(out / "fixations.csv")
    assert df["duration_ms"].tolist() == pytest.approx([250.0, 310.0])  # 0.25 s, 0.31 s
    assert df["t_start_ms"].tolist() == pytest.approx([100500.0, 101000.0])
    assert df["x"].tolist() == pytest.approx([0.25 * 1600 - 0.5, 0.5 * 1600 - 0.5])
    assert df["y"].tolist() == pytest.approx([(1 - 0.75) * 1200 - 0.5, (1 - 0.5) * 1200 - 0.5])


def test_pupil_3d_detector_pre_1_0_layout_duration_is_seconds(tmp_path):
    p = tmp_path / "fixations.csv"  # v0.9's Pupil Angle 3D detector: eye_id, start_index
    p.write_text("id,eye_id,start_timestamp,duration,start_index,end_frame,norm_pos_x,norm_pos_y,dispersion,"
                 "avg_pupil_size,confidence\n0,0,5.0,0.2,1,9,0.5,0.5,1.0,30.0,0.9\n")
    df = pd.concat([ch.df for ch in open_log(p).chunks()])
    assert df["duration_ms"].tolist() == [200.0]


@pytest.mark.parametrize("head,row", [
    # v1.0 and later: start_frame_index, duration in ms
    ("id,start_timestamp,duration,start_frame_index,end_frame_index,norm_pos_x,norm_pos_y,dispersion,confidence",
     "0,5.0,250,1,9,0.5,0.5,1.0,0.9"),
    # a Surface Tracker export of v1.x keeps start_frame, with ms
    ("id,start_timestamp,duration,start_frame,end_frame,norm_pos_x,norm_pos_y,x_scaled,y_scaled,on_srf",
     "0,5.0,250,1,9,0.5,0.5,0.5,0.5,True"),
])
def test_pupil_1_x_durations_stay_ms(tmp_path, head, row):
    p = tmp_path / "fixations.csv"
    p.write_text(head + "\n" + row + "\n")
    df = pd.concat([ch.df for ch in open_log(p).chunks()])
    assert df["duration_ms"].tolist() == [250.0]

"""Review 28 (F5): a vendor reader's column refusal says the file was *read as* that vendor's export, never that it
"looks like" one: under a forced ``--format`` the file may be another vendor's export entirely, and the same words
stay true under ``--format auto``. The rest of each message (what is missing, what the line has) is unchanged.

Expected lines are written out by hand from the file's first line and the reader's column needs.
"""

from __future__ import annotations

import json

import pytest
from PIL import Image

from cli_fakes import refusal, run_cli

SDK = ("device_time_stamp,system_time_stamp,left_gaze_point_on_display_area_x,left_gaze_point_on_display_area_y,"
       "left_gaze_point_validity\n5,2000000,0.25,0.75,1\n6,2001000,0.30,0.70,1\n")
PUPIL = "id,start_timestamp,duration,norm_pos_x,norm_pos_y\n0,1.0,200,0.5,0.5\n"
GAZEPOINT = "MEDIA_ID,MEDIA_NAME,TIME(2023/03/08 09:25:20.493),FPOGX,FPOGY,FPOGV\n0,img1.png,0.1,0.5,0.5,1\n"
STUDIO = "Data properties:\n\nSubject: P08\nScreen resolution: 1280 x 1024\n"


def _ingest(capsys, tmp_path, name, text, fmt):
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.new("RGB", (1600, 1200), (128, 128, 128)).save(stim / "img1.png")
    geo = tmp_path / "geo.json"
    geo.write_text(json.dumps({"screen_px": [1600, 1200], "screen_cm": [40, 30], "distance_cm": 60}))
    log = tmp_path / name
    log.write_text(text)
    rc, out, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--geometry", geo, "--out", tmp_path / "out",
                                    "--format", fmt])
    return log, refusal(rc, out, err)


@pytest.mark.parametrize("name, text, fmt, rest", [
    # a Tobii Pro SDK csv forced as Tobii Studio: its first line is no 'Key: value' line and not tab-separated
    ("sdk.csv", SDK, "tobii-studio",
     "read as a Tobii Studio export, but line 1 is neither a 'Key: value' line of its header block nor a "
     "tab-separated column line: 'device_time_stamp,system_time_stamp,left_gaze_point_on_display_area_x,"
     "left_gaze_'"),
    # a Pupil Player fixations.csv forced as Gazepoint: none of the FPOG columns a fixation export needs
    ("fixations.csv", PUPIL, "gazepoint",
     "read as a Gazepoint export, but its column line 1 lacks 'FPOGX' (fixation x, fraction of the screen), "
     "'FPOGY' (fixation y, fraction of the screen), 'FPOGD' (fixation duration, s), 'FPOGID' (fixation number); "
     "the line has: id, start_timestamp, duration, norm_pos_x, norm_pos_y"),
    # a Gazepoint csv forced as Tobii Pro SDK, and as SMI BeGaze (require_columns of vendor.py)
    ("gp.csv", GAZEPOINT, "tobii-sdk",
     "read as a Tobii Pro SDK / Titta gaze file, but its column line 1 has no system_time_stamp or "
     "device_time_stamp (µs)"),
    ("gp.csv", GAZEPOINT, "begaze",
     "read as a SMI BeGaze export, but its column line 1 lacks 'Time' (µs), 'Type' (SMP or MSG); the line has: "
     "MEDIA_ID, MEDIA_NAME, TIME(2023/03/08 09:25:20.493), FPOGX, FPOGY, FPOGV"),
], ids=["sdk-as-tobii-studio", "pupil-as-gazepoint", "gazepoint-as-tobii-sdk", "gazepoint-as-begaze"])
def test_forced_format_refusal_says_read_as(tmp_path, capsys, name, text, fmt, rest):
    log, line = _ingest(capsys, tmp_path, name, text, fmt)
    assert "looks like" not in line
    assert line == f"saliency ingest: error: {log}: {rest}"


@pytest.mark.parametrize("name, text, rest", [
    ("P01.csv", GAZEPOINT,
     "read as a Gazepoint export, but its column line 1 lacks 'FPOGD' (fixation duration, s), 'FPOGID' (fixation "
     "number); the line has: MEDIA_ID, MEDIA_NAME, TIME(2023/03/08 09:25:20.493), FPOGX, FPOGY, FPOGV"),
    ("studio.tsv", STUDIO,
     "read as a Tobii Studio export, but its header block ends at line 4 without a column line (FixationIndex, "
     "Timestamp, ... or Timestamp, GazePointX, ...)"),
], ids=["gazepoint", "tobii-studio"])
def test_auto_detected_refusal_says_read_as_too(tmp_path, capsys, name, text, rest):
    log, line = _ingest(capsys, tmp_path, name, text, "auto")
    assert line == f"saliency ingest: error: {log}: {rest}"

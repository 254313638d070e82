"""A vendor export's stimulus name '1.0' keeps its text (a folder may hold 1.png and 1.0.png), as the generic
tables' does since 4ad1417; trial numbers and subjects still read '1.0' as '1' (an Excel-saved column).

Oracle: hand-written exports in the published layouts (Titta's SDK columns with a stimulus column; Gazepoint's
MEDIA_NAME / MEDIA_ID), whose names are compared as written.
"""

from __future__ import annotations

from ingest_fakes import single_chunk


def test_tobii_sdk_stimulus_column_keeps_1_0(tmp_path):
    p = tmp_path / "sdk.tsv"
    p.write_text("system_time_stamp\tleft_gaze_point_on_display_area_x\tleft_gaze_point_on_display_area_y\t"
                 "left_gaze_point_validity\tstimulus\ttrial\n"
                 "1000000\t0.40\t0.50\t1\t1.0\t2.0\n"
                 "1001667\t0.40\t0.50\t1\t1\t2\n")
    _, ch = single_chunk(p)
    assert ch.df["stimulus"].tolist() == ["1.0", "1"]
    assert ch.df["trial"].tolist() == ["2", "2"]


def test_gazepoint_media_name_keeps_1_0(tmp_path):
    p = tmp_path / "user1_all_gaze.csv"
    p.write_text("MEDIA_ID,MEDIA_NAME,CNT,TIME(2023/03/08 09:25:20.493),BPOGX,BPOGY,BPOGV\n"
                 "1.0,1.0,1,0.000,0.5,0.5,1\n"
                 "1,1,2,0.016,0.5,0.5,1\n")
    _, ch = single_chunk(p)
    assert ch.df["stimulus"].tolist() == ["1.0", "1"]
    assert ch.df["trial"].tolist() == ["1", "1"]

"""A file cut short (review 27, R17 findings 1 and 3): its last line, without a line end, cut anywhere.

Vendor exports end every line (``csv_chunks(cut_last="any")``): their last line without a line end is
``malformed_row`` whatever its length, never kept with a cut number (Pro Lab 'Fixation point Y' 520 cut to 52,
Studio's fixation list, Titta/SDK, Gazepoint, Pupil). A generic table (``samples``, ``fixations``) often lacks its
final line end by hand: its last line is quarantined when it has fewer fields than the header, kept when whole, and
a kept last line without its line end is recorded (``notes["last_line_unended"]``, ``dataset.json`` inputs) so
the user can check that row. Each file is rebuilt here from the repro's shape; the expectations are counted by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from saliency.cli import main
from saliency.data_tools.readers import chunks, open_log
from saliency.data_tools.readers import fixations, gazepoint, pupil, samples, tobii, tobii_sdk, tobii_studio


def _read(p, fmt, **kw):
    """(kept rows, quarantine, rows read, rows counted, notes) of the whole file."""
    rd = open_log(p, fmt, **kw)
    ch = list(rd.chunks())
    df = pd.concat([c.df for c in ch], ignore_index=True)
    q = pd.concat([c.quarantine for c in ch], ignore_index=True)
    for c in ch:
        assert c.balance() == 0
    return df, q, sum(c.rows_read for c in ch), sum(sum(c.counted.values()) for c in ch), rd.notes


def _malformed(q):
    return q.loc[q["reason"] == "malformed_row", "line"].tolist()


PROLAB_HEAD = ["Recording timestamp [μs]", "Participant name", "Recording name", "Presented Media name",
               "Gaze point X", "Gaze point Y", "Validity left", "Validity right", "Eye movement type",
               "Gaze event duration [ms]", "Eye movement type index", "Fixation point X", "Fixation point Y"]


def _prolab(tmp_path, cut: bool):
    """Pro Lab: fixation 1 (6 samples at 400,300), a saccade, fixation 2 (one sample at 600,520) last."""
    rows = [[1_000_000 + 8333 * k, "p1", "rec1", "img1.jpg", 400, 300, "Valid", "Valid", "Fixation", 50, 1, 400, 300]
            for k in range(6)]
    rows.append([1_050_000, "p1", "rec1", "img1.jpg", 500, 300, "Valid", "Valid", "Saccade", 17, 1, "", ""])
    rows.append([1_058_331, "p1", "rec1", "img1.jpg", 600, 520, "Valid", "Valid", "Fixation", 50, 2, 600, 520])
    text = "\t".join(PROLAB_HEAD) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows)
    p = tmp_path / "prolab.tsv"
    p.write_text(text[:-1] if cut else text, encoding="utf-8")  # '520' cut to '52', or whole without a line end
    return p


def test_prolab_fixation_point_cut_in_the_last_line_is_malformed(tmp_path):
    df, q, read, counted, _ = _read(_prolab(tmp_path, cut=True), "tobii", tracker_events=True)
    assert _malformed(q) == [9]  # header line 1, data lines 2-9
    assert df[["x", "y"]].values.tolist() == [[400.0, 300.0]]  # the cut fixation (600, 52) not kept
    assert 52.0 not in df["y"].tolist()
    assert read == 8 and read == len(df) + len(q) + counted


def test_prolab_last_line_without_line_end_is_malformed_even_when_whole(tmp_path):
    # a Pro Lab export ends every line: one without its line end was cut, wherever; counted, not kept
    df, q, read, counted, _ = _read(_prolab(tmp_path, cut=False), "tobii", tracker_events=True)
    assert _malformed(q) == [9] and len(df) == 1 and read == len(df) + len(q) + counted == 8


STUDIO_HEAD = ("Data properties:\n\nRecording date: 3/21/2011\nRecording time: 13:32:49:000 (corresponds to time 0)\n"
               "Study: Pilot6\nSubject: P08\nRecording: Pilot07\nScreen resolution: 1280 x 1024\nCoordinate unit: "
               "Pixels\n\n\nFilter settings:\n\nEye: Average\nValidity: Normal\nFixation filter: Tobii fixation "
               "filter\nFixation radius: 35\n\n")


def test_studio_fixation_list_cut_in_the_last_line_is_malformed(tmp_path):
    # every Studio line ends with a tab: '462\t' cut to '46' still has the fields read
    rows = ["1\t92\t117\t571\t453\t", "2\t209\t316\t516\t451\t", "3\t525\t333\t582\t462\t", "4\t900\t250\t582\t46"]
    p = tmp_path / "studio_fix.tsv"
    p.write_text(STUDIO_HEAD + "FixationIndex\tTimestamp\tFixationDuration\tMappedFixationPointX\t"
                 "MappedFixationPointY\t\n" + "\n".join(rows), encoding="utf-8")
    df, q, read, counted, _ = _read(p, "tobii-studio")
    assert _malformed(q) == [23]  # 18 header-block lines, the column line 19, data lines 20-23
    assert df["y"].tolist() == [453.0, 451.0, 462.0]
    assert read == 4 == len(df) + len(q) + counted


def test_tobii_sdk_right_eye_y_cut_is_malformed(tmp_path):
    head = ("system_time_stamp,left_gaze_point_validity,right_gaze_point_validity,left_gaze_point_on_display_area_x,"
            "left_gaze_point_on_display_area_y,right_gaze_point_on_display_area_x,right_gaze_point_on_display_area_y")
    rows = [f"{1_480_000 + 1667 * k},1,1,0.6000,0.5000,0.6000,0.5125" for k in range(5)]
    p = tmp_path / "sdk.csv"
    p.write_text(head + "\n" + "\n".join(rows)[:-5])  # the last right-eye y '0.5125' cut to '0'
    df, q, read, counted, _ = _read(p, "tobii-sdk")
    assert _malformed(q) == [6]
    assert len(df) == 4 and np.allclose(df["y"], (0.5 + 0.5125) / 2)  # both eyes averaged, no cut value
    assert read == 5 == len(df) + len(q) + counted


GP_HEAD = ("MEDIA_ID,MEDIA_NAME,CNT,TIME(2023/01/01 12:00:00.000),TIMETICK(f=10000000),FPOGX,FPOGY,FPOGS,FPOGD,"
           "FPOGID,FPOGV,BPOGX,BPOGY,BPOGV,USER,")


def test_gazepoint_line_cut_after_its_gaze_is_malformed_not_an_invalid_sample(tmp_path):
    rows = [f"0,img1.jpg,{k},{k / 60:.5f},{100_000_000 + 166_667 * k},0.6,0.5,0.0,0.0,1,1,0.6,0.5,1,,"
            for k in range(6)]
    text = GP_HEAD + "\n" + "\n".join(rows)
    p = tmp_path / "User 1_all_gaze.csv"
    p.write_text(text[:text.rfind("0.6,0.5,") + len("0.6,0.5,")])  # cut after the last line's '...,0.6,0.5,'
    df, q, read, counted, _ = _read(p, "gazepoint")
    assert _malformed(q) == [7]
    assert len(df) == 5 and df["valid"].all()  # no invalid sample (a false blink) from the cut line
    assert read == 6 == len(df) + len(q) + counted


def test_pupil_last_line_without_line_end_is_malformed(tmp_path):
    p = tmp_path / "rec" / "exports" / "000" / "fixations.csv"
    p.parent.mkdir(parents=True)
    n = pupil.example_file(p, np.random.default_rng(1), 6)
    whole, _, _, _, _ = _read(p, "pupil")
    p.write_bytes(p.read_bytes().rstrip(b"\n")[:-1])  # the last field (the stimulus name) loses a character
    df, q, read, counted, _ = _read(p, "pupil")
    assert _malformed(q) == [n + 1]
    assert df.equals(whole[whole["line"] != n + 1].reset_index(drop=True))
    assert read == n == len(df) + len(q) + counted


def test_generic_row_short_of_the_header_without_line_end_is_malformed(tmp_path):
    # the reader reads up to y; a column after it (pupil) shows the line was cut: y '300.75' cut to '3'
    p = tmp_path / "samp.csv"
    rows = [f"s1,img1.jpg,{2 * k},600.25,300.75,3.1" for k in range(4)]
    p.write_text("subject,stimulus,time_ms,x,y,pupil\n" + "\n".join(rows)[:-len("00.75,3.1")])
    df, q, read, counted, notes = _read(p, "samples")
    assert _malformed(q) == [5] and df["y"].tolist() == [300.75] * 3
    assert read == 4 == len(df) + len(q) + counted and "last_line_unended" not in notes


def test_generic_whole_last_line_without_line_end_is_kept_and_recorded(tmp_path):
    # fixcut's and stimcut's shapes: y '520' cut to '52' or 'img12.jpg' to 'img1' in the last column reads whole:
    # kept, as a hand-written table's last line, and the reader records which line to check
    p = tmp_path / "fix.csv"
    p.write_text("subject,stimulus,t_start_ms,duration_ms,x,y\ns1,img1.jpg,0,200,400,300\n"
                 "s1,img1.jpg,250,300,410,310\ns1,img1.jpg,900,250,100,52")
    df, q, read, counted, notes = _read(p, "fixations")
    assert len(q) == 0 and df["y"].tolist() == [300.0, 310.0, 52.0]
    assert notes["last_line_unended"] == 4 and read == 3
    p.write_text(p.read_text() + "\n")  # the same file ended: nothing to say
    df2, _, _, _, notes = _read(p, "fixations")
    assert df2.equals(df) and "last_line_unended" not in notes


def test_ingest_records_the_unended_last_line_of_a_generic_table(tmp_path, capsys):
    import cv2

    stim = tmp_path / "stim"
    stim.mkdir()
    for nm in ("img1.jpg", "img12.jpg"):
        cv2.imwrite(str(stim / nm), np.full((48, 64, 3), 128, np.uint8))
    p = tmp_path / "stimcut.csv"
    p.write_text("subject,t_start_ms,duration_ms,x,y,stimulus\ns1,0,200,40,30,img1.jpg\n"
                 "s1,250,300,41,31,img12.jpg\ns1,600,250,10,50,img12.jpg\ns1,900,250,70,50,img1")
    o = tmp_path / "o"
    rc = main(["ingest", str(p), "--stimuli", str(stim), "--out", str(o), "--screen-px", "64x48",
               "--screen-cm", "53x30", "--distance-cm", "60", "--quiet"])
    assert rc == 0, capsys.readouterr().err
    doc = json.loads((o / "dataset.json").read_text())
    (inp,) = doc["inputs"]
    assert inp["last_line_unended"] == 5 and inp["rows"]["read"] == 4
    line = (f"{p}: its last line (5) has no line end and was read as a whole row; if the file was cut short, "
            "check that row")
    assert f"saliency ingest: warning: {line}" in capsys.readouterr().err.splitlines()
    assert line in doc["warnings"]


def test_detect_says_the_unended_last_line_of_a_samples_table(tmp_path, capsys):
    rows = [f"{2 * k},{300 + (k % 3) * 0.1:.1f},200.0" for k in range(100)]
    p = tmp_path / "samp.csv"
    p.write_text("time,x,y\n" + "\n".join(rows))  # the last sample without its line end
    o = tmp_path / "d"
    rc = main(["detect", str(p), "--out", str(o), "--screen-px", "800x600", "--screen-cm", "53x30",
               "--distance-cm", "60", "--detector", "ivt", "--quiet"])
    assert rc == 0, capsys.readouterr().err
    line = (f"{p}: its last line (101) has no line end and was read as a whole row; if the file was cut short, "
            "check that row")
    assert f"saliency detect: warning: {line}" in capsys.readouterr().err.splitlines()
    assert line in json.loads((o / "detection.json").read_text())["warnings"]


def test_files_ending_their_last_line_read_as_before(tmp_path):
    # every format's example file (each line ended): no row quarantined, nothing recorded
    cases = [(tobii.example_file, "tobii", {}, "t.tsv"),
             (tobii.example_file, "tobii", {"tracker_events": True}, "t.tsv"),
             (tobii_studio.example_file, "tobii-studio", {}, "s.tsv"),
             (tobii_studio.example_fixation_file, "tobii-studio", {}, "sf.tsv"),
             (tobii_sdk.example_file, "tobii-sdk", {}, "k.csv"),
             (gazepoint.example_file, "gazepoint", {}, "User 1_all_gaze.csv"),
             (samples.example_file, "samples", {}, "g.csv"), (fixations.example_file, "fixations", {}, "f.csv")]
    for k, (ex, fmt, kw, name) in enumerate(cases):
        p = tmp_path / str(k) / name
        p.parent.mkdir()
        ex(p, np.random.default_rng(k), 12)
        assert p.read_bytes().endswith(b"\n")
        df, q, read, counted, notes = _read(p, fmt, **kw)
        assert "malformed_row" not in q["reason"].tolist(), fmt
        assert read == 12 == len(df) + len(q) + counted and "last_line_unended" not in notes, fmt


def test_vendor_files_without_final_line_end_lose_only_their_last_row(tmp_path):
    cases = [(tobii.example_file, "tobii", "t.tsv"), (tobii_studio.example_file, "tobii-studio", "s.tsv"),
             (tobii_sdk.example_file, "tobii-sdk", "k.csv"),
             (gazepoint.example_file, "gazepoint", "User 1_all_gaze.csv")]
    for k, (ex, fmt, name) in enumerate(cases):
        p = tmp_path / str(k) / name
        p.parent.mkdir()
        n = ex(p, np.random.default_rng(k), 12)
        whole, _, _, _, _ = _read(p, fmt)
        last = whole["line"].max()
        p.write_bytes(p.read_bytes().rstrip(b"\n"))
        df, q, read, counted, _ = _read(p, fmt)
        assert _malformed(q) == [last], fmt
        assert df.equals(whole[whole["line"] != last].reset_index(drop=True)), fmt
        assert read == n == len(df) + len(q) + counted, fmt


def test_generic_files_without_final_line_end_read_as_before(tmp_path):
    for k, (ex, fmt) in enumerate([(samples.example_file, "samples"), (fixations.example_file, "fixations")]):
        p = tmp_path / f"{fmt}.csv"
        n = ex(p, np.random.default_rng(k), 12)
        whole, _, _, _, _ = _read(p, fmt)
        p.write_bytes(p.read_bytes().rstrip(b"\n"))
        df, q, read, counted, notes = _read(p, fmt)
        assert len(q) == 0 and df.equals(whole) and read == n
        assert notes["last_line_unended"] == n + 1


def test_csv_chunks_cut_last_modes(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b,c\n1,2,3\n4,5")  # short of the header by one field
    seen = []
    got = [(df["a"].tolist(), bad.tolist()) for df, _, bad in chunks.csv_chunks(p, ",", ["a"], unended=seen.append)]
    assert got == [(["1"], [3])] and seen == []
    p.write_text("a,b,c\n1,2,3\n4,5,6")  # whole: kept ("short"), malformed ("any")
    assert [bad.tolist() for *_, bad in chunks.csv_chunks(p, ",", ["a"], unended=seen.append)] == [[]]
    assert seen == [3]
    assert [bad.tolist() for *_, bad in chunks.csv_chunks(p, ",", ["a"], cut_last="any")] == [[3]]
    p.write_text("a,b,c\n1,2,3\n  ")  # a blank last line is no row, whatever the mode
    assert [(len(df), bad.tolist()) for df, _, bad in chunks.csv_chunks(p, ",", ["a"], cut_last="any")] == [(1, [])]

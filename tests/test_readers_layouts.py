"""Vendor layouts a reader must read as the vendor writes them: each case a bug found by reading real exports.

- ``detect`` on gaze in fractions of the screen (Tobii SDK/Titta, Gazepoint):
  the same events as the same gaze written in pixels (the oracle);
- EyeLink ASC: the indented tables of ``!CAL`` messages are not samples; a
  byte-order mark does not hide the first line;
- Tobii Pro Lab: rows of other sensors and event rows are counted, and do not
  cut fixations (the oracle: the same export without them);
- generic tables: ``FALSE`` marks an invalid sample; a header's unit wins over
  ``--time-unit`` in every column; quoted column names (R's ``write.csv``);
- Pupil Player: the subject of ``<recording>/exports/000/fixations.csv`` is
  the recording.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from saliency.cli import main
from saliency.data_tools.readers import ReadOptions, account_rows
from saliency.data_tools.readers import eyelink_asc, pupil
from saliency.data_tools.readers.tobii_sdk import TITTA_COLUMNS
from saliency.data_tools.readers.vendor import write_table
from ingest_fakes import gaze_trial

W, H = 1920, 1080
GEOM = ["--screen-px", f"{W}x{H}", "--screen-cm", "53x30", "--distance-cm", "60"]


def _cli(*args):
    try:
        return main(list(args))
    except SystemExit as exc:
        return exc.code


def _trial(seed=3):
    t, x, y, _ = gaze_trial(np.random.default_rng(seed), n_fix=8, rate_hz=600.0, noise_px=1.0, blink_prob=0.0)
    return t, x, y


def test_detect_scales_fractions_of_the_screen_to_pixels(tmp_path):
    t, x, y = _trial()
    px = tmp_path / "px.csv"
    pd.DataFrame({"time_ms": t, "x": x, "y": y}).to_csv(px, index=False, na_rep="")
    # the same gaze as Titta writes it: fractions of the display area, pixel centres at (i + 0.5) / W
    fx, fy = (x + 0.5) / W, (y + 0.5) / H
    f = lambda a: np.where(np.isnan(a), "nan", np.char.mod("%.17g", a))  # noqa: E731  (exact round trip)
    v = np.where(np.isnan(x), "0", "1")
    sdk = tmp_path / "sdk.csv"
    write_table(sdk, "", TITTA_COLUMNS, {
        "device_time_stamp": np.char.mod("%.0f", t * 1000), "system_time_stamp": np.char.mod("%.0f", t * 1000),
        "left_gaze_point_on_display_area_x": f(fx), "left_gaze_point_on_display_area_y": f(fy),
        "left_gaze_point_validity": v, "right_gaze_point_on_display_area_x": f(fx),
        "right_gaze_point_on_display_area_y": f(fy), "right_gaze_point_validity": v}, sep=",")
    assert _cli("detect", str(px), "--out", str(tmp_path / "a"), "--quiet", *GEOM) == 0
    assert _cli("detect", str(sdk), "--out", str(tmp_path / "b"), "--quiet", *GEOM) == 0
    fa = pd.read_csv(tmp_path / "a" / "fixations.csv")
    fb = pd.read_csv(tmp_path / "b" / "fixations.csv")
    assert len(fa) >= 6 and len(fb) == len(fa)
    # (x + 0.5) / W * W - 0.5 gives x back within a few ulps (< 1e-9 px); times were written in whole
    # microseconds, as Titta stores them, so durations agree within 1 us
    for c in ("x", "y", "x_deg", "y_deg"):
        np.testing.assert_allclose(fb[c], fa[c], rtol=0, atol=1e-6)
    np.testing.assert_allclose(fb["duration_ms"], fa["duration_ms"], rtol=0, atol=1e-3)
    s = pd.read_csv(tmp_path / "b" / "samples.csv")
    assert s["x"].max() > 100  # pixels, not fractions


def _asc(path, bom=False):
    """An edf2asc file with a calibration block (indented tables, as edf2asc writes them) and 300 samples."""
    head = ["MSG\t1000 TRIALID 1", "** CONVERTED FROM s1.edf using edf2asc", "**",
            "MSG\t1001 !CAL", ">>>>>>> CALIBRATION (HV9,P-CR) FOR LEFT: <<<<<<<<<",
            "MSG\t1001 !CAL eye check box: (L,R,T,B)", "\t  -63     7   -44     4",
            "MSG\t1001 !CAL Cal coeff:(X=a+bx+cy+dxx+eyy,Y=f+gx+goaly+ixx+jyy)",
            "     -0  187.55  7.0443  0.53469  0.55406", "   132.75 -13.023  242.52 -0.051945  1.6939",
            "MSG\t1002 GAZE_COORDS 0.00 0.00 1919.00 1079.00", "MSG\t1003 !V IMGLOAD FILL img0.jpg",
            "START\t1004 \tLEFT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRATE\t1000.00\tTRACKING\tCR"]
    rows = [f"{1004 + k}\t{900 + (k // 100) * 50:.1f}\t540.0\t1000.0\t..." for k in range(300)]
    text = "\n".join(head + rows + ["END\t1304 \tSAMPLES\tEVENTS", "MSG\t1305 TRIAL_RESULT 0"]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def test_asc_calibration_tables_are_not_samples(tmp_path):
    p = _asc(tmp_path / "s1.asc")
    books = account_rows(eyelink_asc.read(p, ReadOptions()))
    assert (books.read, books.kept, books.quarantined) == (300, 300, {})
    assert _cli("detect", str(p), "--out", str(tmp_path / "d"), "--quiet", *GEOM) == 0
    summary = json.loads((tmp_path / "d" / "detection.json").read_text())
    assert summary["counts"]["trials"] == 1 and summary["counts"]["samples"] == 300
    assert summary["counts"]["blinks"] == 0


def test_asc_byte_order_mark_keeps_the_first_line(tmp_path):
    p = _asc(tmp_path / "s1.asc", bom=True)  # its first line is the TRIALID message
    rd = eyelink_asc.read(p, ReadOptions())
    books = account_rows(rd)
    assert (books.read, books.kept) == (300, 300)
    df = pd.concat(ch.df for ch in eyelink_asc.read(p, ReadOptions()).chunks())
    assert set(df["trial"]) == {"1"} and set(df["stimulus"]) == {"img0.jpg"}


PROLAB = ["Recording timestamp [μs]", "Sensor", "Participant name", "Recording name", "Presented Media name",
          "Event", "Event value", "Gaze point X", "Gaze point Y", "Validity left", "Validity right"]


def _prolab(path, t, x, y, extra: bool):
    """A Pro Lab export of one trial; ``extra``: a keyboard event row and two gyroscope rows inside each fixation."""
    rows = []
    for k, (tk, xk, yk) in enumerate(zip(t, x, y)):
        ok = np.isfinite(xk)
        rows.append([f"{tk * 1000:.0f}", "Eye Tracker", "p1", "rec1", "img0.jpg", "", "",
                     f"{xk:.3f}" if ok else "", f"{yk:.3f}" if ok else "", "Valid" if ok else "Invalid",
                     "Valid" if ok else "Invalid"])
        if extra and k % 150 == 75:
            rows.append([f"{tk * 1000 + 500:.0f}", "", "p1", "rec1", "img0.jpg", "KeyboardEvent", "space",
                         "", "", "", ""])
            rows += [[f"{tk * 1000 + 700:.0f}", s, "p1", "rec1", "img0.jpg", "", "", "", "", "", ""]
                     for s in ("Gyroscope", "Accelerometer")]
    path.write_text("\t".join(PROLAB) + "\n" + "\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    return sum(extra and k % 150 == 75 for k in range(len(t)))


def test_prolab_event_and_sensor_rows_are_counted_not_samples(tmp_path):
    t, x, y = _trial(5)
    a, b = tmp_path / "a.tsv", tmp_path / "b.tsv"
    _prolab(a, t, x, y, False)
    n_ev = _prolab(b, t, x, y, True)
    assert n_ev >= 5
    for name in ("a", "b"):
        assert _cli("detect", str(tmp_path / f"{name}.tsv"), "--out", str(tmp_path / f"d{name}"), "--quiet",
                    *GEOM) == 0
    fa = pd.read_csv(tmp_path / "da" / "fixations.csv")
    fb = pd.read_csv(tmp_path / "db" / "fixations.csv")
    pd.testing.assert_frame_equal(fa.drop(columns="source"), fb.drop(columns="source"))
    rows = json.loads((tmp_path / "db" / "detection.json").read_text())["inputs"][0]["rows"]
    assert rows["counted"] == {"event_row": n_ev, "other_sensor": 2 * n_ev}
    assert rows["read"] == len(t) + 3 * n_ev and rows["labelled"] == len(t)


def _stimuli(root):
    import cv2

    d = root / "stim"
    d.mkdir()
    cv2.imwrite(str(d / "img0.png"), np.zeros((H, W, 3), np.uint8))
    return d


def test_generic_valid_false_in_any_case_is_invalid(tmp_path):
    t, x, y = _trial(7)
    ok = np.isfinite(x)
    lost = np.zeros(len(t), bool)
    lost[200:230] = True  # a track loss written as 0, 0 with valid FALSE (R, Excel)
    df = pd.DataFrame({"stimulus": "img0", "time_ms": t, "x": np.where(lost, 0, x), "y": np.where(lost, 0, y),
                       "valid": np.where(lost, "FALSE", "TRUE")})
    p = tmp_path / "g.csv"
    df[ok | lost].to_csv(p, index=False)
    assert _cli("detect", str(p), "--out", str(tmp_path / "d"), "--quiet", *GEOM) == 0
    s = pd.read_csv(tmp_path / "d" / "samples.csv").set_index("line")
    gone = s.loc[np.flatnonzero(lost) + 2]  # file lines of the lost samples (line 1 is the header)
    assert gone["x"].isna().all() and gone["label"].isin(["track_loss", "blink"]).all()
    assert s["x"].notna().sum() == len(s) - lost.sum()
    f = pd.read_csv(tmp_path / "d" / "fixations.csv")
    assert (f["x"] > 10).all()  # no fixation drawn towards (0, 0)


def test_header_unit_wins_over_time_unit_in_every_column(tmp_path):
    stim = _stimuli(tmp_path)
    p = tmp_path / "f.csv"
    pd.DataFrame({"stimulus": "img0", "x": [100, 500, 900], "y": [100, 500, 900], "start [s]": [1.0, 1.5, 2.0],
                  "duration [s]": [0.25, 0.3, 0.2]}).to_csv(p, index=False)
    args = ["ingest", str(p), "--stimuli", str(stim), "--screen-px", f"{W}x{H}", "--sigma-px", "20", "--quiet"]
    assert _cli(*args, "--out", str(tmp_path / "a")) == 0
    # every column states its unit, so --time-unit is used nowhere: refused, never recorded as applied
    assert _cli(*args, "--out", str(tmp_path / "b"), "--time-unit", "ms") == 2
    assert not (tmp_path / "b").exists()
    f = pd.read_csv(tmp_path / "a" / "fixations.csv")
    assert f["t_start_ms"].tolist() == [1000.0, 1500.0, 2000.0]
    assert f["duration_ms"].tolist() == [250.0, 300.0, 200.0]


def test_quoted_column_names_are_read(tmp_path):
    t, x, y = _trial(9)
    ok = np.isfinite(x)
    df = pd.DataFrame({"stimulus": "img0", "time": t[ok], "x": x[ok], "y": y[ok]})
    plain, quoted = tmp_path / "plain.csv", tmp_path / "quoted.csv"
    df.to_csv(plain, index=False)
    df.to_csv(quoted, index=True, quoting=1)  # QUOTE_ALL, with R's unnamed row-number column
    assert quoted.read_text().startswith('"","stimulus","time"')
    for p in (plain, quoted):
        assert _cli("detect", str(p), "--out", str(tmp_path / p.stem), "--quiet", *GEOM) == 0
    fa = pd.read_csv(tmp_path / "plain" / "fixations.csv").drop(columns=["source", "subject"])
    fb = pd.read_csv(tmp_path / "quoted" / "fixations.csv").drop(columns=["source", "subject"])
    assert len(fa) >= 6
    pd.testing.assert_frame_equal(fa, fb)


def test_pupil_player_export_subject_is_the_recording(tmp_path):
    subjects = set()
    for rec in ("alice_2024", "bob_2024"):
        p = tmp_path / rec / "exports" / "000" / "fixations.csv"
        p.parent.mkdir(parents=True)
        pupil.example_file(p, np.random.default_rng(0), 20)
        for ch in pupil.read(p, ReadOptions()).chunks():
            subjects |= set(ch.df["subject"])
    assert subjects == {"alice_2024", "bob_2024"}
    p = tmp_path / "carol" / "fixations.csv"  # a file in its own folder: that folder
    p.parent.mkdir()
    pupil.example_file(p, np.random.default_rng(0), 20)
    assert {s for ch in pupil.read(p, ReadOptions()).chunks() for s in ch.df["subject"]} == {"carol"}


def test_decimal_comma_reads_european_locale_exports(tmp_path):
    """``500,13`` in a semicolon-separated export: every row was quarantined (``non_numeric``) with no hint.
    With ``--decimal comma`` the numbers read as the same export written with points (the oracle)."""
    t, x, y = _trial(11)
    ok = np.isfinite(x)
    df = pd.DataFrame({"stimulus": "img0", "time_ms": t[ok], "x": x[ok], "y": y[ok]})
    point = tmp_path / "point.csv"
    df.to_csv(point, index=False, sep=";", float_format="%.4f")
    comma = tmp_path / "comma.csv"
    comma.write_text(point.read_text().replace(".", ","))
    bad = tmp_path / "both.csv"  # a thousands point beside the decimal comma is never guessed
    bad.write_text(comma.read_text().replace("\nimg0;", "\nimg0;1.", 1))
    assert _cli("detect", str(point), "--out", str(tmp_path / "p"), "--quiet", *GEOM) == 0
    assert _cli("detect", str(comma), "--out", str(tmp_path / "c"), "--quiet", "--decimal", "comma", *GEOM) == 0
    fp = pd.read_csv(tmp_path / "p" / "fixations.csv").drop(columns="source")
    fc = pd.read_csv(tmp_path / "c" / "fixations.csv").drop(columns="source")
    assert len(fp) >= 6
    pd.testing.assert_frame_equal(fp.drop(columns="subject"), fc.drop(columns="subject"))
    assert _cli("detect", str(bad), "--out", str(tmp_path / "b"), "--quiet", "--decimal", "comma", *GEOM) == 0
    rows = json.loads((tmp_path / "b" / "detection.json").read_text())["inputs"][0]["rows"]
    assert rows["quarantined"] == {"bad_time": 1} and rows["read"] == ok.sum()


def test_decimal_comma_is_named_when_every_number_fails(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    p = tmp_path / "f.csv"
    p.write_text("stimulus;x;y;duration_ms\nimg0;500,5;400,25;250\nimg0;900,75;300,5;300\n")
    args = ["ingest", str(p), "--stimuli", str(stim), "--screen-px", f"{W}x{H}", "--sigma-px", "20", "--quiet"]
    assert _cli(*args, "--out", str(tmp_path / "a")) == 2
    err = capsys.readouterr().err
    assert "bad_coordinates 2" in err and "--decimal comma" in err and err.count("\n") == 1
    assert _cli(*args, "--out", str(tmp_path / "b"), "--decimal", "comma") == 0
    f = pd.read_csv(tmp_path / "b" / "fixations.csv")
    assert f[["x", "y"]].to_numpy().tolist() == [[500.5, 400.25], [900.75, 300.5]]


def test_names_in_windows_1252_stay_apart(tmp_path):
    """An export in the Windows code page: 'J\\xf6rg' and 'J\\xfcrg' were both read as 'J\\ufffdrg' (errors
    "replace"), two subjects merged into one without a word. Oracle: the same rows written as UTF-8."""
    import cv2
    import pandas as pd

    from saliency.cli import main

    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "a.png"), np.full((30, 40, 3), 128, np.uint8))
    text = "subject,stimulus,x,y,duration_ms\nJörg,a.png,5,5,200\nJürg,a.png,6,6,200\nJürg,a.png,30,20,200\n"
    out = {}
    for enc in ("cp1252", "utf-8"):
        p = tmp_path / f"{enc}.csv"
        p.write_bytes(text.encode(enc))
        assert main(["ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / enc),
                     "--coords", "stimulus", "--sigma-px", "3", "--quiet"]) == 0
        out[enc] = pd.read_csv(tmp_path / enc / "fixations.csv")[["subject", "x", "y"]]
    assert out["cp1252"].equals(out["utf-8"])
    assert out["utf-8"]["subject"].tolist() == ["Jörg", "Jürg", "Jürg"]


def _begaze_events(subject: str, stim: str, xs) -> str:
    head = ("[BeGaze]\nConverted from:\tC:\\\\data\\\\x.idf\nSample Rate:\t500\n[Run]\nSubject:\t" + subject +
            "\nDescription:\tRun1\n[Calibration]\nCalibration Area:\t1920\t1080\n\n"
            "Table Header for Fixations:\nEvent Type\tTrial\tNumber\tStart\tEnd\tDuration\tLocation X\tLocation Y\n\n"
            "Table Header for User Events:\nEvent Type\tTrial\tNumber\tStart\tDescription\n\n")
    rows = [f"UserEvent\t1\t0\t999000\t# Message: {stim}"]
    rows += [f"Fixation L\t1\t{i + 1}\t{1000000 + 300000 * i}\t{1250000 + 300000 * i}\t250000\t{x}\t500"
             for i, x in enumerate(xs)]
    return head + "\n".join(rows) + "\n"


def test_begaze_exports_concatenated_keep_their_subjects(tmp_path):
    """Two event exports pasted into one file: the second block's fixations were kept under the first
    subject (one subject reported). Oracle: the two exports read as two files."""
    import cv2

    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "a.png"), np.full((1080, 1920, 3), 128, np.uint8))
    one, two = _begaze_events("sub01", "a.png", [300, 900]), _begaze_events("sub02", "a.png", [600, 1200, 1500])
    (tmp_path / "both_Events.txt").write_text(one + two)
    (tmp_path / "s1_Events.txt").write_text(one)
    (tmp_path / "s2_Events.txt").write_text(two)
    out = {}
    for name, files in (("both", ["both_Events.txt"]), ("apart", ["s1_Events.txt", "s2_Events.txt"])):
        assert main(["ingest", *[str(tmp_path / f) for f in files], "--stimuli", str(tmp_path / "stim"),
                     "--detector", "tracker", "--sigma-px", "20", "--out", str(tmp_path / name), "--quiet"]) == 0
        out[name] = pd.read_csv(tmp_path / name / "fixations.csv")[["subject", "x"]].sort_values(["subject", "x"])
    assert out["both"].reset_index(drop=True).equals(out["apart"].reset_index(drop=True))
    assert out["both"]["subject"].value_counts().to_dict() == {"sub02": 3, "sub01": 2}

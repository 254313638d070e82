"""Vendor raw samples: one eye, ``--columns`` x/y, decimal commas, a cut BeGaze row (review 21).

1. Gazepoint, SMI BeGaze, Tobii Studio and Tobii Pro SDK / Titta export each
   eye's gaze, yet ``--eye left/right`` was refused ("no eye to choose ... or
   --columns x=..,y=.. naming one eye's columns"), and that ``--columns`` was
   ignored without a word (the two-eye average used, recorded as applied).
   Now ``--eye left/right`` reads that eye's columns with that eye's validity,
   and ``--columns`` x/y on a format whose reader reads its own columns is
   refused in one line.
2. ``saliency detect`` on decimal-comma exports gave no hint (Pro Lab: exit 0
   with 375 of 400 rows quarantined ``non_numeric``; BeGaze: "no raw
   samples"): now one line suggesting ``--decimal comma``.
3. A BeGaze ``SMP`` row cut short (a file copied while iView wrote it) was
   kept as a lost sample in a trial of its own: now ``malformed_row``.

Oracles: one gaze trace written in each vendor's layout (as the reviewer's
``gen.py``): the left eye 10 px left of the right one (left x 390, right
410, both 400 averaged for the first 400 ms at y 300), both eyes lost for
800-900 ms, the left eye alone lost for 1400-1440 ms (20 ms later the gaze
rests at 900, 500). Pixels of fractions are ``f * width - 0.5`` (pixel
centres at integers). Every message is checked whole.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools.ingest import open_reader
from saliency.data_tools.readers import ReadOptions, account_rows
from test_reliability_inputs import one_line  # the in-process command's one stderr line, no traceback

W, H = 1920, 1080
GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53x30", "--distance-cm", "65"]
N, DT = 400, 4.0  # 1600 ms at 250 Hz
T0_US = 5_000_000
STIM = "img1.png"


def _trace():
    """Both eyes' x, y, validity: 0-400 ms at 400 +- 10 (left/right), a saccade, 440-1200 ms at 1500 +- 10, a
    saccade, 1240-1600 ms at 900 +- 10; both lost 800-900 ms, the left eye alone lost 1400-1440 ms."""
    t = np.arange(N) * DT
    gx, gy = np.zeros(N), np.zeros(N)
    for a, b, p, q in [(0, 400, (400, 300), (400, 300)), (400, 440, (400, 300), (1500, 800)),
                       (440, 1200, (1500, 800), (1500, 800)), (1200, 1240, (1500, 800), (900, 500)),
                       (1240, 1600, (900, 500), (900, 500))]:
        m = (t >= a) & (t < b)
        f = (t[m] - a) / (b - a)
        gx[m], gy[m] = p[0] + (q[0] - p[0]) * f, p[1] + (q[1] - p[1]) * f
    gx, gy = gx.round(1), gy.round(1)
    blink = (t >= 800) & (t < 900)
    left_lost = (t >= 1400) & (t < 1440)
    return {"t": t, "lx": gx - 10, "ly": gy, "lv": ~(blink | left_lost), "rx": gx + 10, "ry": gy.copy(),
            "rv": ~blink}


def _both(tr):
    """The tracker's combined point: the mean of the valid eyes."""
    lv, rv = tr["lv"], tr["rv"]
    bx = np.where(lv & rv, (tr["lx"] + tr["rx"]) / 2, np.where(rv, tr["rx"], tr["lx"]))
    by = np.where(lv & rv, (tr["ly"] + tr["ry"]) / 2, np.where(rv, tr["ry"], tr["ly"]))
    return bx, by, lv | rv


def _f1(v, ok=True, lost=""):
    return f"{v:.1f}" if ok else lost


def gazepoint(d, tr, drop=None, name="User 0_all_gaze.csv"):
    cols = ["MEDIA_ID", "MEDIA_NAME", "CNT", "TIME(2023/03/08 09:25:20.493)", "TIMETICK(f=10000000)", "FPOGX",
            "FPOGY", "FPOGS", "FPOGD", "FPOGID", "FPOGV", "BPOGX", "BPOGY", "BPOGV", "LPOGX", "LPOGY", "LPOGV",
            "RPOGX", "RPOGY", "RPOGV", "USER"]
    bx, by, bv = _both(tr)
    rows = []
    for i in range(N):
        r = {"MEDIA_ID": "0", "MEDIA_NAME": STIM, "CNT": str(i + 1), cols[3]: f"{tr['t'][i] / 1000:.5f}",
             cols[4]: str(123_456_789_000 + int(round(tr["t"][i] * 10_000))), "FPOGX": "0.5", "FPOGY": "0.5",
             "FPOGS": "0", "FPOGD": "0", "FPOGID": "1", "FPOGV": "0", "BPOGX": f"{bx[i] / W if bv[i] else 0:.6f}",
             "BPOGY": f"{by[i] / H if bv[i] else 0:.6f}", "BPOGV": str(int(bv[i])), "USER": ""}
        for e in ("L", "R"):
            ok = tr[f"{e.lower()}v"][i]
            r[f"{e}POGX"] = f"{tr[e.lower() + 'x'][i] / W if ok else 0:.6f}"
            r[f"{e}POGY"] = f"{tr[e.lower() + 'y'][i] / H if ok else 0:.6f}"
            r[f"{e}POGV"] = str(int(ok))
        rows.append(r)
    cols = [c for c in cols if not (drop and c.startswith(drop[0].upper() + "POG"))]
    p = d / name
    p.write_text("\n".join([",".join(cols) + ","] + [",".join(r[c] for c in cols) + "," for r in rows]) + "\n")
    return p


BEGAZE_HEAD = ("## [BeGaze]\n## Converted from:\tC:\\data\\p1.idf\n## Sample Rate:\t250\n## [Run]\n## Subject:\tp1\n"
               "## [Calibration]\n## Calibration Area:\t1920\t1080\n## [Geometry]\n"
               "## Stimulus Dimension [mm]:\t530\t300\n## Head Distance [mm]:\t650\n##\n")


def begaze(d, tr, drop=None, name="p1 Samples.txt", comma=False, tail=""):
    cols = ["Time", "Type", "Trial", "L POR X [px]", "L POR Y [px]", "R POR X [px]", "R POR Y [px]",
            "L Event Info", "R Event Info", "Stimulus"]
    rows = []
    for i in range(N):
        r = {"Time": str(T0_US + int(tr["t"][i] * 1000)), "Type": "SMP", "Trial": "1", "Stimulus": STIM}
        for e in ("L", "R"):
            ok = tr[f"{e.lower()}v"][i]
            r[f"{e} POR X [px]"] = f"{tr[e.lower() + 'x'][i]:.2f}" if ok else "0.00"
            r[f"{e} POR Y [px]"] = f"{tr[e.lower() + 'y'][i]:.2f}" if ok else "0.00"
            r[f"{e} Event Info"] = "Fixation" if ok else "Blink"
        rows.append(r)
    cols = [c for c in cols if not (drop and c.startswith(drop[0].upper() + " "))]
    lines = ["\t".join(cols), "\t".join([str(T0_US - 500), "MSG", "1", f"# Message: {STIM}"])]
    for r in rows:
        line = "\t".join(r[c] for c in cols)
        lines.append(line.replace(".", ",") if comma else line)
    p = d / name
    p.write_text(BEGAZE_HEAD + "\n".join(lines) + "\n" + tail)
    return p


STUDIO_HEAD = ("Data properties:\nRecording date: 3/8/2023\nRecording time: 09:25:20.493\nSubject: p1\n"
               "Recording: Rec 01\nScreen resolution: 1920 x 1080\nCoordinate unit: Pixels\n\n")


def studio(d, tr, drop=None, name="studio_alldata.tsv"):
    cols = ["Timestamp", "Number", "GazePointXLeft", "GazePointYLeft", "ValidityLeft", "GazePointXRight",
            "GazePointYRight", "ValidityRight", "GazePointX", "GazePointY", "Event", "StimuliName", "StimuliID"]
    bx, by, bv = _both(tr)
    rows = []
    for i in range(N):
        r = {"Timestamp": str(int(T0_US / 1000 + tr["t"][i])), "Number": str(i + 1), "GazePointX":
             _f1(bx[i], bv[i], "-1"), "GazePointY": _f1(by[i], bv[i], "-1"), "Event": "", "StimuliName": STIM,
             "StimuliID": "1"}
        for e, E in (("l", "Left"), ("r", "Right")):
            ok = tr[f"{e}v"][i]
            r[f"GazePointX{E}"], r[f"GazePointY{E}"] = _f1(tr[e + "x"][i], ok, "-1"), _f1(tr[e + "y"][i], ok, "-1")
            r[f"Validity{E}"] = "0" if ok else "4"
        rows.append(r)
    cols = [c for c in cols if not (drop and c.endswith(drop.capitalize()))]
    p = d / name
    p.write_text(STUDIO_HEAD + "\n".join(["\t".join(cols) + "\t"] + ["\t".join(r[c] for c in cols) + "\t"
                                                                     for r in rows]) + "\n")
    return p


def titta(d, tr, drop=None, name="titta_p1.csv", left_lost=False):
    cols = ["device_time_stamp", "system_time_stamp", "left_gaze_point_on_display_area_x",
            "left_gaze_point_on_display_area_y", "left_gaze_point_validity", "right_gaze_point_on_display_area_x",
            "right_gaze_point_on_display_area_y", "right_gaze_point_validity", "stimulus"]
    rows = []
    for i in range(N):
        tu = T0_US + int(tr["t"][i] * 1000)
        r = {"device_time_stamp": str(tu + 77), "system_time_stamp": str(tu), "stimulus": STIM}
        for e in ("left", "right"):
            ok = tr[f"{e[0]}v"][i] and not (left_lost and e == "left")
            r[f"{e}_gaze_point_on_display_area_x"] = f"{tr[e[0] + 'x'][i] / W:.7f}" if ok else "nan"
            r[f"{e}_gaze_point_on_display_area_y"] = f"{tr[e[0] + 'y'][i] / H:.7f}" if ok else "nan"
            r[f"{e}_gaze_point_validity"] = str(int(ok))
        rows.append(r)
    cols = [c for c in cols if not (drop and c.startswith(drop + "_"))]
    p = d / name
    p.write_text("\n".join([",".join(cols)] + [",".join(r[c] for c in cols) for r in rows]) + "\n")
    return p


def prolab(d, tr, name="tobii_prolab.tsv", comma=False):
    cols = ["Recording timestamp [μs]", "Participant name", "Recording name", "Presented Media name",
            "Gaze point X [DACS px]", "Gaze point Y [DACS px]", "Gaze point left X [DACS px]",
            "Gaze point left Y [DACS px]", "Gaze point right X [DACS px]", "Gaze point right Y [DACS px]",
            "Validity left", "Validity right"]
    bx, by, bv = _both(tr)
    lines = ["\t".join(cols)]
    for i in range(N):
        lv, rv = tr["lv"][i], tr["rv"][i]
        line = "\t".join([str(T0_US + int(tr["t"][i] * 1000)), "p1", "Recording1", STIM, _f1(bx[i], bv[i]),
                          _f1(by[i], bv[i]), _f1(tr["lx"][i], lv), _f1(tr["ly"][i], lv), _f1(tr["rx"][i], rv),
                          _f1(tr["ry"][i], rv), "Valid" if lv else "Invalid", "Valid" if rv else "Invalid"])
        lines.append(line.replace(".", ",") if comma else line)
    p = d / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


WRITERS = {"gazepoint": gazepoint, "begaze": begaze, "tobii-studio": studio, "tobii-sdk": titta}
NORM = {"gazepoint", "tobii-sdk"}  # fractions of the screen: pixel = f * W - 0.5


def _detect(capsys, log, out, *extra):
    try:
        code = main(["detect", str(log), "--out", str(out), "--quiet", "--overwrite", *GEOM, *extra])
    except SystemExit as exc:
        code = exc.code
    return code


def _ok(capsys, log, out, *extra):
    code = _detect(capsys, log, out, *extra)
    assert code == 0, capsys.readouterr().err[-2000:]
    return json.loads((out / "detection.json").read_text()), pd.read_csv(out / "fixations.csv"), \
        pd.read_csv(out / "samples.csv", keep_default_na=True)


# ---------------------------------------------------------------- 1: --eye left/right read that eye

@pytest.mark.parametrize("fmt", [*WRITERS, "tobii"])
def test_eye_left_right_read_that_eye(tmp_path, capsys, fmt):
    tr = _trace()
    log = (WRITERS.get(fmt) or prolab)(tmp_path, tr)
    shift = -0.5 if fmt in NORM else 0.0
    seen = {}
    for eye, x0 in (("average", 400.0), ("left", 390.0), ("right", 410.0)):
        info, fix, smp = _ok(capsys, log, tmp_path / eye, "--eye", eye)
        rows = info["inputs"][0]["rows"]
        assert rows["read"] == N + (fmt == "begaze") == rows["labelled"] + sum(rows["quarantined"].values()) + \
            sum(rows["counted"].values())  # BeGaze: its MSG row, counted message_row
        assert rows["labelled"] == N and info["counts"]["trials"] == 1
        first = fix.sort_values("onset_ms").iloc[0]
        assert first["x"] == pytest.approx(x0 + shift, abs=0.01) and first["y"] == pytest.approx(
            300.0 + (-0.5 if fmt in NORM else 0.0), abs=0.01)
        # 1400-1440 ms: the left eye alone is lost; its own validity makes those samples missing with --eye left
        t = smp["time_ms"].to_numpy() - smp["time_ms"].min()  # Gazepoint's clock is its own TIMETICK
        lost = (t >= 1400) & (t < 1440)
        assert lost.sum() == 10
        xs = smp.loc[lost, "x"].to_numpy(float)
        if eye == "left":
            assert np.isnan(xs).all()
        else:
            assert xs == pytest.approx(np.full(10, 910.0 + shift), abs=0.01)  # the right eye (average: the valid one)
        seen[eye] = first["x"]
    assert seen["left"] < seen["average"] < seen["right"]
    # the default is --eye average, unchanged
    info, fix, _ = _ok(capsys, log, tmp_path / "default")
    assert fix.sort_values("onset_ms").iloc[0]["x"] == seen["average"]


MISSING = {
    "gazepoint": ("{p}: line 1 (the header): --eye left needs the Gazepoint per-eye columns 'LPOGX', 'LPOGY', "
                  "'LPOGV', which this export lacks; its gaze columns are 'FPOGX', 'FPOGY', 'FPOGS', 'FPOGD', "
                  "'FPOGID', 'FPOGV', 'BPOGX', 'BPOGY', 'BPOGV', 'RPOGX', 'RPOGY', 'RPOGV'; use --eye average "
                  "(BPOGX/BPOGY)"),
    "begaze": ("{p}: line 12 (the header): --eye left needs the SMI BeGaze per-eye columns 'L POR X [px]', "
               "'L POR Y [px]', which this export lacks; its gaze columns are 'R POR X [px]', 'R POR Y [px]'; "
               "use --eye average (R POR X/Y [px])"),
    "tobii-studio": ("{p}: line 9 (the header): --eye left needs the Tobii Studio per-eye columns "
                     "'GazePointXLeft', 'GazePointYLeft', which this export lacks; its gaze columns are "
                     "'GazePointXRight', 'GazePointYRight', 'GazePointX', 'GazePointY'; use --eye average "
                     "(GazePointX/Y)"),
    "tobii-sdk": ("{p}: line 1 (the header): --eye left needs the Tobii Pro SDK / Titta per-eye columns "
                  "'left_gaze_point_on_display_area_x', 'left_gaze_point_on_display_area_y', which this export "
                  "lacks; its gaze columns are 'right_gaze_point_on_display_area_x', "
                  "'right_gaze_point_on_display_area_y', 'right_gaze_point_validity'; use --eye average"),
}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_eye_without_its_columns_is_refused_in_one_line(tmp_path, capsys, fmt):
    log = WRITERS[fmt](tmp_path, _trace(), drop="left")
    code = _detect(capsys, log, tmp_path / "out", "--eye", "left")
    assert one_line(capsys, 2, code) == "saliency detect: error: " + MISSING[fmt].format(p=log)
    info, fix, _ = _ok(capsys, log, tmp_path / "r", "--eye", "right")  # the eye it has still reads
    assert fix.sort_values("onset_ms").iloc[0]["x"] == pytest.approx(410.0 - (0.5 if fmt in NORM else 0), abs=0.01)


def test_a_recording_of_the_other_eye_only_is_refused_after_reading(tmp_path, capsys):
    log = titta(tmp_path, _trace(), left_lost=True)
    code = _detect(capsys, log, tmp_path / "out", "--eye", "left")
    assert one_line(capsys, 2, code) == (
        f"saliency detect: error: {log}: --eye left: no valid left-eye sample, but 375 of the right eye: a "
        f"recording of the right eye only; use --eye right or average")


@pytest.mark.parametrize("fmt,spec", [
    ("gazepoint", "x=LPOGX,y=LPOGY"), ("begaze", "x=L POR X [px],y=L POR Y [px]"),
    ("tobii-studio", "x=GazePointXLeft,y=GazePointYLeft"),
    ("tobii-sdk", "x=left_gaze_point_on_display_area_x,y=left_gaze_point_on_display_area_y"),
    ("gazepoint", "x=NO_SUCH,y=NOPE")])
def test_columns_x_y_on_a_vendor_format_are_refused_not_ignored(tmp_path, capsys, fmt, spec):
    log = WRITERS[fmt](tmp_path, _trace())
    code = _detect(capsys, log, tmp_path / "out", "--columns", spec)
    assert one_line(capsys, 2, code) == (f"saliency detect: error: {log}: --columns x/y: the {fmt} reader reads "
                                         f"the format's own columns; use --eye left/right to choose an eye")
    assert not (tmp_path / "out").exists()
    from saliency.data_tools.ingest import check_columns_used

    rd = open_reader(log, "auto", ReadOptions(columns={"x": "LPOGX"}))
    with pytest.raises(UserError, match=r"^.*: columns x/y: the .* reader reads the format's own columns; use eye "
                                        r"left/right to choose an eye$"):
        check_columns_used([log], [rd], {"x": "LPOGX"})


def test_columns_x_y_still_apply_where_the_reader_places_them(tmp_path, capsys):
    # Pro Lab places `columns` x/y: the left eye mapped by hand gives the left eye's fixations
    log = prolab(tmp_path, _trace())
    info, fix, _ = _ok(capsys, log, tmp_path / "o", "--columns",
                       "x=Gaze point left X [DACS px],y=Gaze point left Y [DACS px]")
    assert fix.sort_values("onset_ms").iloc[0]["x"] == pytest.approx(390.0, abs=0.01)
    # a generic samples file has no eye to choose: the refusal still points to --columns
    p = tmp_path / "s.csv"
    p.write_text("subject,stimulus,time_ms,x,y\ns1,img1,0,1,2\n")
    with pytest.raises(UserError) as e:
        open_reader(p, "auto", ReadOptions(eye="left"))
    assert str(e.value) == (f"{p}: eye left: a file in the samples format gives one gaze point per row, with no eye "
                            f"to choose; use eye average (or columns x=..,y=.. naming one eye's columns)")


def test_tracker_fixations_without_an_eye_refuse_a_choice(tmp_path):
    log = gazepoint(tmp_path, _trace())
    with pytest.raises(UserError) as e:
        open_reader(log, "auto", ReadOptions(eye="left", tracker_events=True))
    assert str(e.value) == (f"{log}: eye left: Gazepoint's fixations (FPOGX/FPOGY) are of both eyes together, "
                            f"with no eye to choose; use eye average")


BEGAZE_EVENTS = ("[BeGaze]\nSubject:\tp1\nCalibration Area:\t1920\t1080\n\n"
                 "Table Header for Fixations:\nEvent Type\tTrial\tNumber\tStart\tEnd\tDuration\tLocation X\t"
                 "Location Y\tDispersion X\tDispersion Y\tPlane\tAvg. Pupil Size X\tAvg. Pupil Size Y\n\n"
                 "Table Header for User Events:\nEvent Type\tTrial\tNumber\tStart\tDescription\n\n"
                 "UserEvent\t1\t1\t4999000\t# Message: img1.png\n"
                 "Fixation L\t1\t1\t5000000\t5400000\t400000\t390.00\t300.00\t5\t5\t-1\t3\t3\n"
                 "Fixation R\t1\t1\t5000000\t5400000\t400000\t410.00\t300.00\t5\t5\t-1\t3\t3\n"
                 "Fixation L\t1\t2\t5440000\t6200000\t760000\t1490.00\t800.00\t5\t5\t-1\t3\t3\n"
                 "Fixation R\t1\t2\t5440000\t6200000\t760000\t1510.00\t800.00\t5\t5\t-1\t3\t3\n")


def test_begaze_events_keep_the_chosen_eye_and_count_the_other(tmp_path):
    p = tmp_path / "p1 Events.txt"
    p.write_text(BEGAZE_EVENTS)
    for eye, xs, other in (("average", [390.0, 410.0, 1490.0, 1510.0], 0), ("left", [390.0, 1490.0], 2),
                           ("right", [410.0, 1510.0], 2)):
        rd = open_reader(p, "auto", ReadOptions(eye=eye, tracker_events=True))
        chunks = list(rd.chunks())
        assert sorted(pd.concat([c.df for c in chunks])["x"].tolist()) == xs
        books = account_rows(open_reader(p, "auto", ReadOptions(eye=eye, tracker_events=True)))
        assert books.balanced and books.read == 5 and books.kept == len(xs)
        assert books.counted.get("other_eye", 0) == other and books.counted["message_row"] == 1
    right_only = tmp_path / "right.txt"
    right_only.write_text("\n".join(ln for ln in BEGAZE_EVENTS.split("\n") if not ln.startswith("Fixation L")))
    with pytest.raises(UserError) as e:
        list(open_reader(right_only, "auto", ReadOptions(eye="left", tracker_events=True)).chunks())
    assert str(e.value) == (f"{right_only}: eye left: no left-eye fixation, but 2 of the right eye: a recording of "
                            f"the right eye only; use eye right or average")


# ---------------------------------------------------------------- 2: detect on decimal commas says so

def test_detect_on_decimal_commas_stops_with_the_hint(tmp_path, capsys):
    tr = _trace()
    pl = prolab(tmp_path, tr, name="prolab_comma.tsv", comma=True)
    code = _detect(capsys, pl, tmp_path / "o1")
    # 25 rows of the blink have no gaze (kept, invalid); the other 375 hold 400,0-style numbers
    assert one_line(capsys, 2, code) == (
        f"saliency detect: error: {pl}: 375 of the 400 rows read hold numbers that do not parse (non_numeric 375); "
        f"if the numbers are written with a decimal comma (500,13), give --decimal comma")
    assert not (tmp_path / "o1").exists()
    bg = begaze(tmp_path, tr, name="begaze_comma.txt", comma=True)
    code = _detect(capsys, bg, tmp_path / "o2")
    assert one_line(capsys, 2, code) == (
        f"saliency detect: error: {bg}: 400 of the 401 rows read hold numbers that do not parse (non_numeric 400); "
        f"if the numbers are written with a decimal comma (500,13), give --decimal comma")
    for log in (pl, bg):  # with --decimal comma both read, the average at 400 px
        info, fix, _ = _ok(capsys, log, tmp_path / f"c_{log.stem}", "--decimal", "comma")
        assert fix.sort_values("onset_ms").iloc[0]["x"] == pytest.approx(400.0, abs=0.01)


# ---------------------------------------------------------------- 3: a cut BeGaze SMP row is malformed

def test_begaze_cut_sample_row_is_malformed_not_a_lost_sample(tmp_path, capsys):
    tr = _trace()
    log = begaze(tmp_path, tr, name="cut.txt", tail="6600000\tSMP\t1\t889.")  # cut, no newline at the end
    last = 12 + 1 + N + 1  # header block 11 lines, column line 12, the MSG row, N samples, the cut row
    info, fix, smp = _ok(capsys, log, tmp_path / "o")
    rows = info["inputs"][0]["rows"]
    assert rows == {"read": N + 2, "labelled": N, "quarantined": {"malformed_row": 1},
                    "counted": {"message_row": 1}}
    assert info["counts"]["trials"] == 1 and set(smp["stimulus"]) == {STIM}
    q = pd.read_csv(tmp_path / "o" / "quarantine.csv")
    assert q[["line", "reason"]].values.tolist() == [[last, "malformed_row"]]
    # a row cut in the middle of the file too; a complete row with an empty Stimulus field stays a sample,
    # and a MSG row (four fields by design) stays a message
    text = log.read_text().split("\n")
    k = 12 + 1 + 50  # the 50th sample
    text[k - 1] = "\t".join(text[k - 1].split("\t")[:3])
    text[k] = text[k].rsplit("\t", 1)[0] + "\t"
    mid = tmp_path / "mid.txt"
    mid.write_text("\n".join(text))
    books = account_rows(open_reader(mid, "auto", ReadOptions()))
    assert books.balanced and books.read == N + 2 and books.kept == N - 1
    assert books.quarantined == {"malformed_row": 2} and books.counted == {"message_row": 1}
    for rows in (500_000, 7):  # in one chunk, and in many (the file's lines looked up in one pass)
        rd = open_reader(mid, "auto", ReadOptions(chunk_rows=rows))
        q = pd.concat([c.quarantine for c in rd.chunks()])
        assert sorted(q["line"].tolist()) == [k, last] and set(q["reason"]) == {"malformed_row"}


# ---------------------------------------------------------------- regressions the second review found (stop 21)

def test_columns_x_y_with_mixed_inputs_apply_where_they_can(tmp_path, capsys):
    """A generic table beside a vendor export: the mapping places the table's x/y and the vendor file reads its
    own columns (refusing the run made it impossible in one run); each input records whether it applied."""
    tr = _trace()
    bx, by, bv = _both(tr)
    gen = tmp_path / "gen.csv"
    pd.DataFrame({"subject": "p2", "stimulus": "img1", "time_ms": tr["t"], "GX": np.where(bv, bx, np.nan),
                  "GY": np.where(bv, by, np.nan)}).to_csv(gen, index=False)
    log = titta(tmp_path, tr)
    out = tmp_path / "o"
    code = main(["detect", str(gen), str(log), "--out", str(out), "--quiet", *GEOM, "--columns", "x=GX,y=GY"])
    assert code == 0, capsys.readouterr().err[-2000:]
    info = json.loads((out / "detection.json").read_text())
    assert [(i["format"], i["columns_applied"]) for i in info["inputs"]] == [("samples", True), ("tobii-sdk", False)]
    fix = pd.read_csv(out / "fixations.csv")
    for subject in ("p2", fix["subject"][fix["subject"] != "p2"].iloc[0]):  # the same trace, the same first place
        first = fix[fix["subject"] == subject].sort_values("onset_ms").iloc[0]
        assert first["x"] == pytest.approx(400.0 if subject == "p2" else 399.5, abs=0.01)


def test_lost_samples_written_as_text_do_not_stop_detect(tmp_path, capsys):
    """'#N/A' for 55 % of the rows (a spreadsheet's mark for lost tracking) and valid gaze elsewhere: not a decimal
    comma; the decimal stop is for an input that gave no valid gaze at all, as ingest's hint."""
    tr = _trace()
    bx, by, bv = _both(tr)
    lost = np.arange(N) % 20 < 11
    p = tmp_path / "na.csv"
    xs = np.where(lost, "#N/A", np.char.mod("%.1f", bx)).astype(object)
    ys = np.where(lost, "#N/A", np.char.mod("%.1f", by)).astype(object)
    pd.DataFrame({"subject": "p1", "stimulus": "img1", "time_ms": tr["t"], "x": xs, "y": ys}).to_csv(p, index=False)
    info, fix, _ = _ok(capsys, p, tmp_path / "o")
    assert info["inputs"][0]["rows"]["quarantined"] == {"non_numeric": int(lost.sum())}


def test_begaze_rows_without_their_empty_last_fields_are_samples(tmp_path, capsys):
    """Sample rows whose empty trailing Stimulus is left out (as spreadsheets re-save text files) hold every gaze
    column: samples, not malformed_row (every row was quarantined and detect said 'no raw samples')."""
    full = begaze(tmp_path, _trace(), name="full.txt")
    text = full.read_text().splitlines()
    trimmed = [ln[: -len("\t" + STIM)] if ln.endswith("\t" + STIM) and "\tSMP\t" in ln else ln for ln in text]
    p = tmp_path / "trim.txt"
    p.write_text("\n".join(trimmed) + "\n")
    info_full, fix_full, _ = _ok(capsys, full, tmp_path / "a")
    info_trim, fix_trim, _ = _ok(capsys, p, tmp_path / "b")  # the same samples, without their stimulus name
    assert info_trim["inputs"][0]["rows"]["labelled"] == N
    keep = [c for c in fix_full.columns if c not in ("stimulus", "source")]
    pd.testing.assert_frame_equal(fix_full[keep], fix_trim[keep])


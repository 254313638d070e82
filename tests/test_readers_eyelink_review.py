"""EyeLink readers against the EyeLink 1000 Plus user manual, sections 4.8-4.9 (``edf2asc`` output).

Each test writes a tiny ``.asc`` file (or Data Viewer report) whose answer is
the manual's rule worked out by hand:

- 4.9.4: the ``SAMPLES`` / ``EVENTS`` lines name the data type, ``GAZE``
  (screen pixels), ``HREF`` or ``PUPIL`` (``edf2asc -sh`` / ``-sp``); only GAZE
  is screen pixels, so HREF/PUPIL files are refused in one line naming the line;
- 4.9.1 / 4.9.2: a samples-only file (``edf2asc -s`` / ``-ne``) has no line naming
  the eyes; the sample line layouts (monocular ``time x y p``, binocular ``time
  xl yl pl xr yr pr``, then velocity / resolution, then the CR flags ``...`` /
  ``.....``) tell them apart; a shape fitting neither layout is refused;
- 4.9.2: at 2000 Hz with integer stamps two consecutive rows share a stamp,
  the second sampled 0.5 ms later;
- 4.9: comment lines start with ``#``, ``/`` or ``;``: not rows;
- Data Viewer fixation report ``EYE_USED``: ``--eye left/right`` keep that
  eye's rows and count the other's (``other_eye``), as the ASC reader's EFIX
  path does; ``average`` keeps both eyes' fixations, as the ASC path does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from saliency.base.errors import UserError
from saliency.data_tools.ingest import open_reader
from saliency.data_tools.readers import ReadOptions, eyelink_asc

HEAD = ["** CONVERTED FROM sub01.edf using edf2asc", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00",
        "MSG\t1000 TRIALID 1", "MSG\t1000 !V IMGLOAD FILL img1.png"]


def _write(tmp_path, lines, name="sub01.asc"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def _block(eyes="LEFT\tRIGHT", rate="500.00", kind="GAZE", ev_kind="GAZE"):
    return [f"START\t1000 \t{eyes}\tSAMPLES\tEVENTS", "PRESCALER\t1", "VPRESCALER\t1", "PUPIL\tAREA",
            f"EVENTS\t{ev_kind}\t{eyes}\tRATE\t {rate}\tTRACKING\tCR\tFILTER\t2",
            f"SAMPLES\t{kind}\t{eyes}\tRATE\t {rate}\tTRACKING\tCR\tFILTER\t2"]


def _read(path, eye="average", block=None, **kw):
    """All chunks of ``path``: (reader, kept rows, quarantine, counted, rows read); every row accounted for."""
    opts = ReadOptions(eye=eye, **kw)
    rd = eyelink_asc.read(path, opts, block=block) if block else open_reader(path, "auto", opts)
    chunks = list(rd.chunks())
    counted: dict = {}
    for ch in chunks:
        assert ch.balance() == 0  # read = kept + quarantined + counted
        for k, v in ch.counted.items():
            counted[k] = counted.get(k, 0) + v
    return (rd, pd.concat([c.df for c in chunks], ignore_index=True),
            pd.concat([c.quarantine for c in chunks], ignore_index=True), counted,
            sum(c.rows_read for c in chunks))


MONO = ["1004\t300.0\t400.0\t900.0\t...", "1006\t301.0\t401.0\t900.0\t..."]


# ------------------------------------------------------------------ 1. HREF / PUPIL are not screen pixels

@pytest.mark.parametrize("kind", ["HREF", "PUPIL"])
def test_asc_href_or_pupil_samples_are_refused_in_one_line(tmp_path, kind):
    p = _write(tmp_path, HEAD + _block("RIGHT", kind=kind, ev_kind=kind) + MONO)
    with pytest.raises(UserError) as e:
        open_reader(p, "auto", ReadOptions())
    msg = str(e.value)
    # line 10 is the SAMPLES line (4 head lines, START, PRESCALER, VPRESCALER, PUPIL, EVENTS, SAMPLES)
    assert str(p) in msg and "line 10" in msg and f"SAMPLES {kind}" in msg and "GAZE" in msg and "-sg" in msg
    assert "\n" not in msg
    with pytest.raises(UserError, match=f"line 9: `EVENTS {kind}`"):  # the EFIX positions: the EVENTS line
        open_reader(p, "auto", ReadOptions(tracker_events=True))


def test_asc_href_refusal_follows_the_data_read_and_gaze_files_still_read(tmp_path):
    # GAZE samples, HREF events: the samples are screen pixels, the EFIX positions are not
    p = _write(tmp_path, HEAD + _block("RIGHT", ev_kind="HREF") + MONO)
    assert _read(p)[1]["x"].tolist() == [300.0, 301.0]
    with pytest.raises(UserError, match="line 9: `EVENTS HREF`"):
        open_reader(p, "auto", ReadOptions(tracker_events=True))
    # no SAMPLES / EVENTS line at all: read as now (screen pixels)
    q = _write(tmp_path, HEAD + MONO, name="bare.asc")
    assert _read(q)[1]["x"].tolist() == [300.0, 301.0]


def test_asc_href_file_ingest_exits_2_with_one_line(tmp_path, capsys):
    import cv2

    from saliency.cli import main

    p = _write(tmp_path, HEAD + _block("RIGHT", kind="HREF") + MONO)
    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "img1.png"), np.full((108, 192), 128, np.uint8))
    rc = main(["ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--quiet",
               "--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "SAMPLES HREF" in err and "line 10" in err


# ------------------------------------------------------------------ 2. samples-only files: eyes from the line shape

# edf2asc -s: no START / SAMPLES line. time xl yl pl xr yr pr flags; the eyes 20 px apart in x, 10 in y;
# line 3 loses the left eye, line 4 the right one
NE_BINO = ["1000\t100.0\t200.0\t900.0\t120.0\t210.0\t900.0\t.....",
           "1002\t101.0\t201.0\t900.0\t121.0\t211.0\t900.0\t.....",
           "1004\t   .\t   .\t    0.0\t122.0\t212.0\t900.0\t.....",
           "1006\t103.0\t203.0\t900.0\t   .\t   .\t    0.0\t....."]


@pytest.mark.parametrize("eye,xs,ys", [
    ("average", [110.0, 111.0, 122.0, 103.0], [205.0, 206.0, 212.0, 203.0]),
    ("left", [100.0, 101.0, np.nan, 103.0], [200.0, 201.0, np.nan, 203.0]),
    ("right", [120.0, 121.0, 122.0, np.nan], [210.0, 211.0, 212.0, np.nan]),
])
def test_asc_samples_only_binocular_eyes_from_the_line_shape(tmp_path, eye, xs, ys):
    rd, df, q, counted, n = _read(_write(tmp_path, NE_BINO, name="ne.asc"), eye)
    assert rd.notes["eyes_recorded"] == "both"
    np.testing.assert_array_equal(df["x"].to_numpy(), xs)
    np.testing.assert_array_equal(df["y"].to_numpy(), ys)
    assert df["valid"].tolist() == [bool(np.isfinite(v)) for v in xs]
    assert len(q) == 0 and n == 4


@pytest.mark.parametrize("lines,x", [
    # binocular, velocity and resolution (13 fields: xl yl pl xr yr pr xvl yvl xvr yvr xr yr), CR flags
    (["1000\t100.0\t200.0\t900.0\t120.0\t210.0\t900.0\t1.5\t-2.0\t3.0\t4.0\t38.0\t36.0\t....."], 110.0),
    # binocular with resolution (9), no CR flags (pupil-only tracking)
    (["1000\t100.0\t200.0\t900.0\t120.0\t210.0\t900.0\t38.0\t36.0"], 110.0),
    # binocular, velocity (11), then EyeLink Remote's target fields after the CR flags (4.9.3.2)
    (["1000\t100.0\t200.0\t900.0\t120.0\t210.0\t900.0\t1.5\t-2.0\t3.0\t4.0\t.....\t3174\t-46\t575.6\t.............."],
     110.0),
    # monocular with velocity (6) and with velocity and resolution (8): one eye, its own x
    (["1000\t300.0\t400.0\t900.0\t1.5\t-2.0\t..."], 300.0),
    (["1000\t300.0\t400.0\t900.0\t1.5\t-2.0\t38.0\t36.0\t..."], 300.0),
    # monocular, Remote: target x, y, distance and 13 flags after the CR flags
    (["1000\t300.0\t400.0\t900.0\t...\t3174\t-46\t575.6\t............."], 300.0),
])
def test_asc_samples_only_layouts_with_extra_columns(tmp_path, lines, x):
    rd, df, q, _, _ = _read(_write(tmp_path, lines, name="ne.asc"))
    assert df["x"].tolist() == [x] and len(q) == 0
    assert rd.notes["eyes_recorded"] == ("both" if x == 110.0 else "unknown")


def test_asc_samples_only_monocular_cannot_choose_an_eye(tmp_path):
    p = _write(tmp_path, MONO, name="ne.asc")
    assert _read(p)[1]["x"].tolist() == [300.0, 301.0]
    with pytest.raises(UserError, match="does not say which eye"):
        open_reader(p, "auto", ReadOptions(eye="left"))


@pytest.mark.parametrize("lines,where", [
    (["1000\t100.0\t200.0\t900.0\t120.0\t....."] * 3, "line 1: 5 numeric fields"),  # 5: no layout of the manual
    ([NE_BINO[0], MONO[0], NE_BINO[1]], "line 2"),  # both shapes among the first lines
])
def test_asc_samples_only_ambiguous_shape_is_refused_in_one_line(tmp_path, lines, where):
    p = _write(tmp_path, lines, name="ne.asc")
    with pytest.raises(UserError) as e:
        open_reader(p, "auto", ReadOptions())
    msg = str(e.value)
    assert str(p) in msg and where in msg and "-s/-ne" in msg and "\n" not in msg


def test_asc_samples_only_line_of_the_other_shape_later_is_quarantined(tmp_path):
    n = eyelink_asc.SHAPE_LINES + 5
    lines = [f"{1000 + 2 * k}\t100.0\t200.0\t900.0\t120.0\t210.0\t900.0\t....." for k in range(n)]
    lines.append("3000\t300.0\t400.0\t900.0\t...")  # a monocular line in a binocular file: not read as the left eye
    _, df, q, _, read = _read(_write(tmp_path, lines, name="ne.asc"))
    assert set(df["x"]) == {110.0} and len(df) == n and read == n + 1
    assert q[["line", "reason"]].values.tolist() == [[n + 1, "malformed_row"]]


# ------------------------------------------------------------------ 3. 2000 Hz, integer time stamps

def _stamps(n):  # 2000 Hz without -ftime: each integer stamp twice
    return [1004 + k // 2 for k in range(n)]


@pytest.mark.parametrize("block", [1, 2, 3, 1000])
def test_asc_2000hz_second_row_of_a_stamp_is_half_a_ms_later(tmp_path, block):
    rows = [f"{t}\t{300.0 + k:.1f}\t400.0\t900.0\t..." for k, t in enumerate(_stamps(6))]
    rows.append("1007\t1.0\t1.0\t900.0\t...")
    rows.append("1007\t1.0\t1.0\t900.0\t...")
    rows.append("1007\t1.0\t1.0\t900.0\t...")  # a third row on one stamp: not a 2000 Hz pair, left as written
    p = _write(tmp_path, HEAD + _block("RIGHT", rate="2000.00") + rows)
    _, df, _, _, _ = _read(p, block=block)
    assert df["time_ms"].tolist() == [1004.0, 1004.5, 1005.0, 1005.5, 1006.0, 1006.5, 1007.0, 1007.5, 1007.0]


def test_asc_shared_stamps_not_moved_below_2000hz_or_with_float_times(tmp_path):
    rows = ["1004\t300.0\t400.0\t900.0\t...", "1004\t301.0\t400.0\t900.0\t..."]
    p = _write(tmp_path, HEAD + _block("RIGHT", rate="1000.00") + rows)
    assert _read(p)[1]["time_ms"].tolist() == [1004.0, 1004.0]  # a real duplicate: the detector's to count
    ftime = ["1004.0\t300.0\t400.0\t900.0\t...", "1004.5\t301.0\t400.0\t900.0\t..."]  # edf2asc -ftime
    q = _write(tmp_path, HEAD + _block("RIGHT", rate="2000.00") + ftime, name="f.asc")
    assert _read(q)[1]["time_ms"].tolist() == [1004.0, 1004.5]


# ------------------------------------------------------------------ 4. comments: '#', '/' and ';'

def test_asc_slash_comment_lines_are_not_rows(tmp_path):
    lines = HEAD + _block("RIGHT") + [MONO[0], "// operator note: subject blinked", "/ comment", "; semicolon",
                                      "# hash", "  / indented slash", MONO[1]]
    _, df, q, counted, n = _read(_write(tmp_path, lines))
    assert df["x"].tolist() == [300.0, 301.0] and len(q) == 0 and counted == {} and n == 2


# ------------------------------------------------------------------ 5. Data Viewer report: EYE_USED

REP_HEAD = ["RECORDING_SESSION_LABEL", "TRIAL_INDEX", "CURRENT_FIX_START", "CURRENT_FIX_DURATION", "CURRENT_FIX_X",
            "CURRENT_FIX_Y", "EYE_USED", "IMAGE"]
# a binocular recording: each fixation once per eye; line 4 (left) has no x; line 6 says no eye
REP = [["s01", 1, 10, 200, 640.5, 512.0, "LEFT", "img0.jpg"],
       ["s01", 1, 10, 200, 650.5, 522.0, "RIGHT", "img0.jpg"],
       ["s01", 1, 250, 200, ".", 512.0, "LEFT", "img0.jpg"],
       ["s01", 1, 250, 200, 660.5, 532.0, "RIGHT", "img0.jpg"],
       ["s01", 2, 12, 289, 100.5, 200.0, ".", "img1.jpg"]]


def _report(tmp_path, rows=REP, head=REP_HEAD, name="rep.txt"):
    p = tmp_path / name
    p.write_text("\t".join(head) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows) + "\n")
    return p


@pytest.mark.parametrize("eye,xy,lines,other", [
    ("left", [[640.5, 512.0]], [2], 2),  # line 4, the left eye's row without x: still the left eye's, quarantined
    ("right", [[650.5, 522.0], [660.5, 532.0]], [3, 5], 2),  # the left eye's bad row counted with its eye
])
def test_report_eye_left_or_right_keeps_that_eye(tmp_path, eye, xy, lines, other):
    rd, df, q, counted, n = _read(_report(tmp_path), eye, columns={"stimulus": "IMAGE"})
    assert rd.format == "eyelink-report"
    assert df[["x", "y"]].values.tolist() == xy and df["line"].tolist() == lines
    assert counted == {"other_eye": other} and n == 5
    expect = ([[4, "bad_coordinates"]] if eye == "left" else []) + [[6, "unknown_eye"]]
    assert q[["line", "reason"]].values.tolist() == expect


def test_report_average_keeps_both_eyes_as_the_asc_efix_path(tmp_path):
    _, df, q, counted, _ = _read(_report(tmp_path), "average", columns={"stimulus": "IMAGE"})
    assert df["line"].tolist() == [2, 3, 5, 6] and counted == {}
    assert q[["line", "reason"]].values.tolist() == [[4, "bad_coordinates"]]
    # the ASC reader with `eye` average: both eyes' EFIX lines of one binocular fixation kept, too
    ev = ["EFIX L   1000\t1200\t200\t  640.5\t  512.0\t   900", "EFIX R   1000\t1200\t200\t  650.5\t  522.0\t   900"]
    p = _write(tmp_path, HEAD + _block() + ev)
    assert _read(p, "average", tracker_events=True)[1]["eye"].tolist() == ["L", "R"]


def test_report_eye_choice_refused_without_eye_used_or_for_the_missing_eye(tmp_path):
    p = _report(tmp_path, [r[:6] + r[7:] for r in REP], REP_HEAD[:6] + REP_HEAD[7:], name="noeye.txt")
    with pytest.raises(UserError) as e:
        open_reader(p, "auto", ReadOptions(eye="left"))
    assert str(p) in str(e.value) and "EYE_USED" in str(e.value) and "average" in str(e.value)
    q = _report(tmp_path, [r for r in REP if r[6] == "RIGHT"], name="right.txt")
    with pytest.raises(UserError) as e:
        open_reader(q, "auto", ReadOptions(eye="left"))
    assert "right eye only" in str(e.value) and "eye right or average" in str(e.value) and "\n" not in str(e.value)

"""``--eye`` (issue 12, deliverable 1): binocular samples averaged, or one eye chosen, end to end.

Oracles: hand-written EyeLink ASC and Tobii Pro Lab files whose left and right
eyes sit at known, different places, so that each choice has one answer worked
out by hand (the mean of the two eyes, the valid eye where one is missing, one
eye's own values); a monocular file asked for the eye it lacks must stop with
one line naming that eye.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools import choices, smoothing
from saliency.data_tools.ingest import open_reader
from saliency.data_tools.readers import ReadOptions


def _rows(path, eye="average", **kw):
    rd = open_reader(path, "auto", ReadOptions(eye=eye, **kw))
    chunks = list(rd.chunks())
    for ch in chunks:
        assert ch.balance() == 0  # every row kept, quarantined or counted
    return rd, pd.concat([c.df for c in chunks], ignore_index=True), \
        pd.concat([c.quarantine for c in chunks], ignore_index=True), chunks


HEAD = ["** CONVERTED FROM sub01.edf using edf2asc", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00",
        "MSG\t1000 TRIALID 1", "MSG\t1000 !V IMGLOAD FILL img1.png"]


def _asc(tmp_path, samples, eyes="LEFT\tRIGHT", events=(), start=True, name="sub01.asc"):
    lines = list(HEAD)
    if start:
        lines += [f"START\t1000 \t{eyes}\tSAMPLES\tEVENTS", f"SAMPLES\tGAZE\t{eyes}\tRATE\t 500.00"]
    lines += samples + list(events)
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


# time xl yl pl xr yr pr: the two eyes 20 px apart in x, 10 in y; line 9 loses the left eye, line 10 the right,
# line 11 both, line 12 is cut short (6 fields)
BINO = ["1000\t100.0\t200.0\t900.0\t120.0\t210.0\t900.0\t.....",
        "1002\t101.0\t201.0\t900.0\t121.0\t211.0\t900.0\t.....",
        "1004\t   .\t   .\t    0.0\t122.0\t212.0\t900.0\t.....",
        "1006\t103.0\t203.0\t900.0\t   .\t   .\t    0.0\t.....",
        "1008\t   .\t   .\t    0.0\t   .\t   .\t    0.0\t.....",
        "1010\t105.0\t205.0\t900.0\t125.0\t215.0"]


@pytest.mark.parametrize("eye,xs,ys", [
    ("average", [110.0, 111.0, 122.0, 103.0, np.nan], [205.0, 206.0, 212.0, 203.0, np.nan]),
    ("left", [100.0, 101.0, np.nan, 103.0, np.nan], [200.0, 201.0, np.nan, 203.0, np.nan]),
    ("right", [120.0, 121.0, 122.0, np.nan, np.nan], [210.0, 211.0, 212.0, np.nan, np.nan]),
])
def test_asc_binocular_samples_by_eye(tmp_path, eye, xs, ys):
    rd, df, q, _ = _rows(_asc(tmp_path, BINO), eye)
    assert rd.notes["eyes_recorded"] == "both" and rd.notes["eye"] == eye
    np.testing.assert_array_equal(df["x"].to_numpy(), xs)
    np.testing.assert_array_equal(df["y"].to_numpy(), ys)
    assert df["valid"].tolist() == [bool(np.isfinite(v)) for v in xs]
    assert df["line"].tolist() == [7, 8, 9, 10, 11]
    assert q[["line", "reason"]].values.tolist() == [[12, "malformed_row"]]  # the short line: not lost


def test_default_is_the_average_and_matches_combine_eyes(tmp_path):
    assert choices.EYES == smoothing.EYES and choices.IngestOptions().eye == "average"
    _, df, _, _ = _rows(_asc(tmp_path, BINO[:5]))
    xl = np.array([100, 101, np.nan, 103, np.nan])
    xr = np.array([120, 121, 122, np.nan, np.nan])
    x, _ = smoothing.combine_eyes(xl, xl, xr, xr, "average")
    np.testing.assert_array_equal(df["x"].to_numpy(), x)


MONO = ["1000\t300.0\t400.0\t900.0\t.....", "1002\t301.0\t401.0\t900.0\t....."]


def test_asc_monocular_file_and_the_eye_it_lacks(tmp_path):
    p = _asc(tmp_path, MONO, eyes="LEFT")
    for eye in ("average", "left"):
        rd, df, _, _ = _rows(p, eye)
        assert rd.notes["eyes_recorded"] == "left" and df["x"].tolist() == [300.0, 301.0]
    with pytest.raises(UserError) as e:
        open_reader(p, "auto", ReadOptions(eye="right"))
    msg = str(e.value)
    assert "line 5" in msg and "left eye only" in msg and "eye right" in msg and "\n" not in msg
    # a file that never names its eye: the average reads it, a choice of eye is refused
    q = _asc(tmp_path, MONO, start=False, name="bare.asc")
    assert _rows(q)[1]["x"].tolist() == [300.0, 301.0]
    with pytest.raises(UserError, match="does not say which eye"):
        open_reader(q, "auto", ReadOptions(eye="left"))


def test_asc_tracker_events_of_one_eye(tmp_path):
    ev = ["EFIX L   1000\t1200\t200\t  100.0\t  200.0\t   900", "EFIX R   1000\t1200\t200\t  120.0\t  210.0\t   900",
          "EFIX L   1300\t1500\t200\t  500.0\t  600.0\t   900", "EFIX R   1300\t1500\t200\t  520.0\t  610.0\t   900"]
    p = _asc(tmp_path, BINO[:2], events=ev)
    _, df, _, chunks = _rows(p, "right", tracker_events=True)
    assert df[["x", "y"]].values.tolist() == [[120.0, 210.0], [520.0, 610.0]] and df["eye"].tolist() == ["R", "R"]
    assert sum(c.counted.get("other_eye", 0) for c in chunks) == 2
    assert len(_rows(p, "average", tracker_events=True)[1]) == 4  # both eyes' events, as the tracker reports


TOBII = ["Recording timestamp [ms]", "Participant name", "Recording name", "Presented Media name", "Gaze point X",
         "Gaze point Y", "Gaze point left X", "Gaze point left Y", "Gaze point right X", "Gaze point right Y",
         "Gaze point left X (DACSmm)", "Validity left", "Validity right"]


def _tobii(tmp_path, rows, head=TOBII, name="rec.tsv"):
    p = tmp_path / name
    p.write_text("\t".join(head) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return p


# combined gaze (Pro Lab's own), then left, right; the DACSmm column (millimetres) must not be taken for pixels
T_ROWS = [[0, "p1", "r1", "img1.png", 510, 305, 500, 300, 520, 310, 99.0, "Valid", "Valid"],
          [10, "p1", "r1", "img1.png", 520, 310, "", "", 520, 310, "", "Invalid", "Valid"],
          [20, "p1", "r1", "img1.png", 501, 301, 501, 301, 540, 330, 98.0, "Valid", "Invalid"]]


@pytest.mark.parametrize("eye,xs,valid", [("average", [510, 520, 501], [True, True, True]),
                                          ("left", [500, np.nan, 501], [True, False, True]),
                                          ("right", [520, 520, np.nan], [True, True, False])])
def test_tobii_per_eye_columns(tmp_path, eye, xs, valid):
    rd, df, _, _ = _rows(_tobii(tmp_path, T_ROWS), eye)
    np.testing.assert_array_equal(df["x"].to_numpy(), np.array(xs, float))
    assert df["valid"].tolist() == valid and rd.notes["eye"] == eye


def test_tobii_refusals(tmp_path):
    # no per-eye pixel columns: refused when opened, naming the columns
    no_eyes = [h for h in TOBII if not h.startswith("Gaze point left") and not h.startswith("Gaze point right")]
    p = _tobii(tmp_path, [[0, "p1", "r1", "img1.png", 510, 305, "Valid", "Valid"]], no_eyes, "plain.tsv")
    with pytest.raises(UserError, match="'Gaze point left X'"):
        open_reader(p, "auto", ReadOptions(eye="left"))
    # a recording of the left eye only, read for the right one: one line after reading
    mono = [[t, "p1", "r1", "img1.png", 500, 300, 500, 300, "", "", 9.0, "Valid", "Invalid"] for t in (0, 10, 20)]
    p = _tobii(tmp_path, mono, name="mono.tsv")
    with pytest.raises(UserError) as e:
        _rows(p, "right")
    assert "left eye only" in str(e.value) and "3 of the left eye" in str(e.value)
    assert _rows(p, "left")[1]["x"].tolist() == [500.0] * 3


def test_formats_without_eyes_refuse_a_choice(tmp_path):
    p = tmp_path / "samples.csv"
    p.write_text("subject,stimulus,time_ms,x,y\ns1,img1,0,1,2\n")
    assert len(_rows(p)[1]) == 1
    with pytest.raises(UserError, match="no eye to choose"):
        open_reader(p, "auto", ReadOptions(eye="left"))


def _stim(tmp_path):
    import cv2

    d = tmp_path / "stim"
    d.mkdir()
    cv2.imwrite(str(d / "img1.png"), np.full((1080, 1920), 128, np.uint8))
    return d


def _fixating_asc(tmp_path, eyes="LEFT\tRIGHT"):
    """600 ms at (left 800, right 840; y 500, 520), a 10-sample saccade, 600 ms at (left 1200, right 1240)."""
    samples, t = [], 1000
    for k in range(310):
        xl, yl = (800.0, 500.0) if k < 150 else (1200.0, 500.0) if k >= 160 else (800 + 40 * (k - 149), 500.0)
        if eyes == "LEFT":
            samples.append(f"{t}\t{xl:.1f}\t{yl:.1f}\t900.0\t.....")
        else:
            samples.append(f"{t}\t{xl:.1f}\t{yl:.1f}\t900.0\t{xl + 40:.1f}\t{yl + 20:.1f}\t900.0\t.....")
        t += 2
    return _asc(tmp_path, samples, eyes=eyes, name=f"sub_{len(eyes)}.asc")


@pytest.mark.parametrize("eye,x0,y0", [("average", 820.0, 510.0), ("left", 800.0, 500.0), ("right", 840.0, 520.0)])
def test_ingest_end_to_end(tmp_path, capsys, eye, x0, y0):
    _stim(tmp_path)
    p = _fixating_asc(tmp_path)
    rc = main(["ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--no-ioc",
               "--quiet", "--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65",
               "--detector", "ivt", "--eye", eye])
    assert rc == 0, capsys.readouterr().err
    fx = pd.read_csv(tmp_path / "d" / "fixations.csv")
    # a 1920x1080 stimulus on a 1920x1080 screen: stimulus pixels are screen pixels
    assert len(fx) == 2
    np.testing.assert_allclose(fx[["x", "y"]].values, [[x0, y0], [x0 + 400, y0]], atol=1e-9)
    assert '"eye": "' + eye + '"' in (tmp_path / "d" / "dataset.json").read_text()


def test_ingest_monocular_file_asked_for_the_other_eye(tmp_path, capsys):
    _stim(tmp_path)
    p = _fixating_asc(tmp_path, "LEFT")
    rc = main(["ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--quiet",
               "--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65", "--eye", "right"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "left eye only" in err and "--eye right" in err and not (tmp_path / "d").exists()

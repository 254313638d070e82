"""Readers review 22: detect's refusals, FIGRIM N x 3, non-numeric times, Pupil confidence.

- ``saliency detect`` on samples in stimulus pixels (MIT1003) refuses with
  advice a MIT1003 user can follow (``saliency ingest --stimuli``), not the
  Tobii export advice; a Tobii MCS export keeps its own (DACS px);
- ``saliency detect`` on a Pupil gaze export says why detect cannot use it and
  sends the fixations.csv to ``saliency ingest`` (detect refuses that file too);
- FIGRIM: an N x 3 ``enc`` array is N rows ``malformed_row``, not kept with its
  first two columns;
- a fixation start or duration that is not a number (``abc``) is quarantined
  ``bad_time`` / ``bad_duration`` (Pupil and the generic ``fixations`` table);
  a missing one (empty, ``.``, ``NA``) stays kept, unknown;
- Pupil: a missing confidence is unknown, not low (kept, also with
  ``min_confidence`` 0); a non-numeric one is ``bad_confidence``.

All inputs are tiny files written here; the oracles are hand-worked lines,
reasons, positions and messages.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.io import savemat

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools.readers.osie import struct_array
from tests.ingest_fakes import assert_rows_accounted, single_chunk

GEOM = ["--screen-px", "1280x1024", "--screen-cm", "37.5x30", "--distance-cm", "75"]


def _err_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


# ------------------------------------------------------------------ 1. detect on MIT1003 stimulus pixels

def _mit(path, eye):
    rec = np.zeros((1, 1), dtype=[("eyeData", "O")])
    rec[0, 0]["eyeData"] = eye
    top = np.zeros((1, 1), dtype=[("DATA", "O")])
    top[0, 0]["DATA"] = rec
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(path, {path.stem: top})


def test_detect_refuses_mit1003_with_advice_it_can_follow(tmp_path, capsys):
    p = tmp_path / "DATA" / "jw" / "street.mat"
    _mit(p, np.tile([513.0, 385.0], (240, 1)))  # one second on the image's pixel (512, 384), 0-based
    rc = main(["detect", str(p), "--out", str(tmp_path / "det"), "--quiet", *GEOM, "--display", "native"])
    err = _err_line(capsys)
    assert rc == 2
    for part in (str(p), "mit1003 samples are in pixels of the stimulus image", "saliency detect cannot place them",
                 "saliency ingest with --stimuli", "--display"):
        assert part in err, (part, err)
    assert "DACS" not in err and "Tobii" not in err  # the Tobii export advice is not for a MIT1003 user
    assert not (tmp_path / "det").exists()
    # the advice works: ingest places the image (1024 x 768, native, centred) and detects the one fixation
    stim = tmp_path / "ALLSTIMULI"
    stim.mkdir()
    Image.fromarray(np.full((768, 1024, 3), 128, np.uint8)).save(stim / "street.jpeg")
    rc = main(["ingest", str(p), "--stimuli", str(stim), "--out", str(tmp_path / "ing"), "--quiet", *GEOM,
               "--display", "native", "--sigma-px", "20"])
    capsys.readouterr()
    assert rc == 0
    f = pd.read_csv(tmp_path / "ing" / "fixations.csv")
    assert len(f) == 1 and f[["x", "y"]].values.tolist() == [[512.0, 384.0]]


def test_detect_keeps_the_tobii_export_advice_for_mcs_samples():
    from saliency.detect import _to_screen

    ch = SimpleNamespace(space="stimulus_norm", df=pd.DataFrame({"x": [0.5], "y": [0.5]}))
    with pytest.raises(UserError) as e:
        _to_screen(ch, "rec.tsv", None, "tobii")
    msg = str(e.value)
    assert msg.startswith("rec.tsv: tobii samples are in fractions of the stimulus image")
    assert "export screen coordinates (Tobii Pro Lab: DACS px), or give the file to saliency ingest" in msg


# ------------------------------------------------------------------ 2. detect on a Pupil gaze export

GAZE = ("gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data,gaze_point_3d_x,gaze_point_3d_y,"
        "gaze_point_3d_z\n" + "".join(f"{100 + k / 200:.3f},{k},0.9,0.5,0.5,x,1,2,3\n" for k in range(10)))


def test_detect_words_the_pupil_gaze_refusal_for_itself(tmp_path, capsys):
    p = tmp_path / "rec" / "exports" / "000" / "gaze_positions.csv"
    p.parent.mkdir(parents=True)
    p.write_text(GAZE)
    rc = main(["detect", str(p), "--out", str(tmp_path / "det"), "--quiet", *GEOM])
    err = _err_line(capsys)
    assert rc == 2
    for part in (str(p), "a Pupil Labs gaze export (column gaze_timestamp)",
                 "saliency detect needs raw samples in screen pixels",
                 "no reader for Pupil gaze samples", "origin bottom-left", "--format samples would read them as pixels",
                 "give its fixations.csv to saliency ingest"):
        assert part in err, (part, err)
    # ingest keeps its own line: the fixations.csv is what it reads
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.full((10, 10, 3), 128, np.uint8)).save(stim / "img.png")
    rc = main(["ingest", str(p), "--stimuli", str(stim), "--out", str(tmp_path / "ing"), "--quiet",
               "--screen-px", "1920x1080", "--sigma-px", "20"])
    err = _err_line(capsys)
    assert rc == 2
    assert "the toolkit reads Pupil fixations only" in err and "give its fixations.csv (or surfaces/" in err
    assert "saliency detect" not in err


# ------------------------------------------------------------------ 3. FIGRIM N x 3 enc

def test_figrim_enc_n_by_3_is_malformed_and_counted(tmp_path):
    p = tmp_path / "allImages_release.mat"
    views = lambda enc: {"enc": enc, "rec": np.zeros((0, 2)), "rec2": np.zeros((0, 2))}  # noqa: E731
    users = struct_array([{"trial": 1.0, "fixations": views(np.array([[101.0, 201.0], [501.0, 501.0]]))},
                          {"trial": 1.0, "fixations": views(np.array([[11.0, 21.0, 5.0], [31.0, 41.0, 5.0],
                                                                      [51.0, 61.0, 5.0]]))}])
    savemat(p, {"allImages": struct_array([{"filename": "a.jpg", "userdata": users}])})
    rc = assert_rows_accounted(p, 5)
    assert rc.kept == 2 and rc.quarantined == {"malformed_row": 3} and rc.counted == {}
    _, ch = single_chunk(p)
    assert ch.df[["subject", "x", "y", "line"]].values.tolist() == [["s01", 100.0, 200.0, 1],
                                                                     ["s01", 500.0, 500.0, 2]]
    assert ch.quarantine["line"].tolist() == [3, 4, 5]


# ------------------------------------------------------------------ 4. non-numeric start / duration

PUPIL_HEAD = "id,start_timestamp,duration,norm_pos_x,norm_pos_y,dispersion,confidence,method\n"


def _pupil(tmp_path, rows, name="rec"):
    p = tmp_path / name / "exports" / "000" / "fixations.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(PUPIL_HEAD + "".join(r + "\n" for r in rows))
    return p


def test_pupil_start_or_duration_not_a_number_is_quarantined(tmp_path):
    p = _pupil(tmp_path, ["1,100.5,250.0,0.25,0.25,1.0,0.9,3d",   # line 2: kept
                          "2,101.0,abc,0.5,0.5,1.0,0.9,3d",       # line 3: bad_duration
                          "3,xyz,150.0,0.1,0.1,1.0,0.9,3d",       # line 4: bad_time
                          "4,102.0,,0.75,0.5,1.0,0.9,3d",         # line 5: duration missing: kept, unknown
                          "5,.,200.0,0.5,0.75,1.0,0.9,3d"])       # line 6: start missing: kept, unknown
    rc = assert_rows_accounted(p, 5)
    assert rc.kept == 3 and rc.quarantined == {"bad_duration": 1, "bad_time": 1}
    _, ch = single_chunk(p)
    q = ch.quarantine.sort_values("line")
    assert list(zip(q["line"], q["reason"])) == [(3, "bad_duration"), (4, "bad_time")]
    df = ch.df
    assert df["line"].tolist() == [2, 5, 6]
    assert df[["x", "y"]].values.tolist() == [[0.25, 0.75], [0.75, 0.5], [0.5, 0.25]]  # y flipped
    assert df["t_start_ms"].tolist()[:2] == [100500.0, 102000.0] and np.isnan(df["t_start_ms"].iloc[2])
    assert df["duration_ms"].tolist()[0] == 250.0 and np.isnan(df["duration_ms"].iloc[1])


def test_generic_fixations_start_end_or_duration_not_a_number_is_quarantined(tmp_path):
    p = tmp_path / "fix.csv"
    p.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                 "p1,img,100,100,0,abc\n"      # line 2: bad_duration
                 "p1,img,200,200,xyz,200\n"    # line 3: bad_time
                 "p1,img,300,300,500,\n"       # line 4: kept, duration unknown
                 "p1,img,400,400,NA,100\n")    # line 5: kept, start unknown
    rc = assert_rows_accounted(p, 4)
    assert rc.kept == 2 and rc.quarantined == {"bad_duration": 1, "bad_time": 1}
    _, ch = single_chunk(p)
    assert list(zip(ch.quarantine["line"], ch.quarantine["reason"])) == [(2, "bad_duration"), (3, "bad_time")]
    assert ch.df[["x", "y", "line"]].values.tolist() == [[300.0, 300.0, 4], [400.0, 400.0, 5]]
    e = tmp_path / "fix_end.csv"  # start and end: an end that is not a number is a bad time too
    e.write_text("subject,stimulus,x,y,t_start_ms,t_end_ms\np1,img,100,100,0,abc\np1,img,200,200,10,60\n")
    rc = assert_rows_accounted(e, 2)
    assert rc.kept == 1 and rc.quarantined == {"bad_time": 1}
    _, ch = single_chunk(e)
    assert ch.df["duration_ms"].tolist() == [50.0] and ch.quarantine["line"].tolist() == [2]


# ------------------------------------------------------------------ 5. Pupil confidence: missing vs not a number

CONF_ROWS = ["1,100.5,250.0,0.25,0.25,1.0,0.95,3d",   # line 2: kept
             "2,101.0,300.0,0.5,0.5,1.0,0.30,3d",     # line 3: low_confidence (unless min 0)
             "3,101.5,200.0,0.75,0.9,1.0,,3d",        # line 4: missing: kept
             "4,102.0,150.0,0.1,0.1,1.0,abc,3d",      # line 5: bad_confidence
             "5,102.5,150.0,0.2,0.2,1.0,NA,3d"]       # line 6: missing: kept


def test_pupil_missing_confidence_is_kept_and_non_numeric_is_bad(tmp_path):
    p = _pupil(tmp_path, CONF_ROWS)
    rc = assert_rows_accounted(p, 5)
    assert rc.kept == 3 and rc.quarantined == {"low_confidence": 1, "bad_confidence": 1}
    _, ch = single_chunk(p)
    assert ch.df["line"].tolist() == [2, 4, 6]
    assert sorted(zip(ch.quarantine["line"], ch.quarantine["reason"])) == [(3, "low_confidence"),
                                                                           (5, "bad_confidence")]
    rc = assert_rows_accounted(p, 5, min_confidence=0.0)
    assert rc.kept == 4 and rc.quarantined == {"bad_confidence": 1}


def test_pupil_min_confidence_zero_through_the_cli(tmp_path, capsys):
    p = _pupil(tmp_path, CONF_ROWS)
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.full((100, 100, 3), 128, np.uint8)).save(stim / "img.png")
    out = tmp_path / "out"
    rc = main(["ingest", str(p), "--min-confidence", "0", "--stimuli", str(stim), "--stimulus", "img.png",
               "--screen-px", "100x100", "--sigma-px", "5", "--out", str(out), "--quiet"])
    capsys.readouterr()
    assert rc == 0
    rows = json.loads((out / "dataset.json").read_text())["inputs"][0]["rows"]
    assert (rows["read"], rows["kept"], rows["quarantined"], rows["counted"]) == (5, 4, {"bad_confidence": 1}, {})
    q = pd.read_csv(out / "quarantine.csv")
    assert q[["line", "reason"]].values.tolist() == [[5, "bad_confidence"]]
    assert pd.read_csv(out / "fixations.csv")["line"].tolist() == [2, 3, 4, 6]


def test_pupil_surface_export_confidence(tmp_path):
    p = tmp_path / "rec" / "exports" / "000" / "surfaces" / "fixations_on_surface_Screen.csv"
    p.parent.mkdir(parents=True)
    head = "world_timestamp,world_index,fixation_id,start_timestamp,duration,norm_pos_x,norm_pos_y,on_surf,confidence\n"
    p.write_text(head + "100.5,1,1,100.5,250,0.25,0.25,True,\n"    # line 2: confidence missing: kept
                        "101.0,2,2,101.0,250,0.5,0.5,True,abc\n"   # line 3: bad_confidence
                        "101.5,3,3,101.5,250,0.5,0.5,True,0.2\n")  # line 4: low_confidence
    rc = assert_rows_accounted(p, 3)
    assert rc.kept == 1 and rc.quarantined == {"bad_confidence": 1, "low_confidence": 1}
    _, ch = single_chunk(p)
    assert ch.df[["x", "y", "line"]].values.tolist() == [[0.25, 0.75, 2]]
    assert list(zip(ch.quarantine["line"], ch.quarantine["reason"])) == [(3, "bad_confidence"),
                                                                         (4, "low_confidence")]

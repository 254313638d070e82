"""Published dataset readers, review 27 (``saliency ingest``).

1. OSIE: a ``fixations.mat`` that lists one image twice is refused with the
   line ``saliency eval --dataset OSIE`` gives (its entries were pooled);
2. CAT2000 FIXATIONLOCS: two different maps of one file name (two
   categories) are refused before anything is written (they were pooled
   under one stimulus); a byte-for-byte repeat is still read once;
3. FIGRIM: a viewing that is one malformed row (1 x 3, 1 x 7) is one
   ``malformed_row``, not one per number (an N x 1 column stays N rows);
4. ``quarantine.csv`` lists a fixation detected in stimulus-pixel samples
   (MIT1003 DATA, ``--display native`` letter-boxed) at its position in the
   file, not on the screen; so are its off-screen samples and, for screen
   coordinates, a ``--drop-first`` fixation (the screen's, not the stimulus').

Every input is a tiny file written here; the expected values are worked by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.io import savemat

from cli_fakes import refusal, run_cli
from ingest_fakes import assert_rows_accounted, single_chunk


def _grey(folder, names, size):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        Image.new("RGB", size, (128, 128, 128)).save(folder / n)
    return folder


def _struct_array(dicts):
    """A 1 x n MATLAB struct array for savemat (written here, not the reader's helper)."""
    keys = list(dicts[0])
    a = np.zeros((1, len(dicts)), dtype=[(k, "O") for k in keys])
    for i, d in enumerate(dicts):
        for k in keys:
            a[0, i][k] = d[k]
    return a


# ------------------------------------------------------------------ 1. OSIE image listed twice

def _osie(path, names):
    cell = np.empty((len(names), 1), dtype=object)  # a cell array of structs, as the published file
    for i, name in enumerate(names):
        subs = _struct_array([{"fix_x": np.array([10.0, 20.0]), "fix_y": np.array([5.0, 6.0]),
                               "fix_duration": np.array([100.0, 200.0])}])
        cell[i, 0] = {"img": name, "subjects": subs}
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(path, {"fixations": cell})


def test_osie_image_listed_twice_is_refused_as_eval_refuses_it(tmp_path, capsys):
    p = tmp_path / "osr" / "eye" / "fixations.mat"
    _osie(p, ["1001.jpg", "1002.jpg", "1001.jpg"])
    stim = _grey(tmp_path / "stim", ["1001.jpg", "1002.jpg"], (80, 60))
    out = tmp_path / "out"
    line = refusal(*run_cli(capsys, ["ingest", p, "--stimuli", stim, "--out", out, "--sigma-px", "5", "--quiet"]))
    want = (f"{p}: fixations(3) names the image 1001.jpg again (also fixations(1)); OSIE lists each image once: "
            "fix or replace the file")
    assert line == f"saliency ingest: error: {want}"
    assert not out.exists()
    from saliency.base.errors import UserError
    from saliency.eval.datasets import read_osie
    with pytest.raises(UserError) as exc:  # the same words as `eval --dataset OSIE`
        read_osie(p)
    assert str(exc.value) == want


def test_osie_distinct_images_still_read(tmp_path):
    p = tmp_path / "fixations.mat"
    _osie(p, ["1001.jpg", "1002.jpg"])
    _, ch = single_chunk(p)
    assert sorted(ch.df["stimulus"].unique()) == ["1001.jpg", "1002.jpg"] and len(ch.df) == 4


# ------------------------------------------------------------------ 2. CAT2000 maps of one name, two categories

def _fixlocs(path, pixels, shape=(48, 64)):
    m = np.zeros(shape)
    for r, c in pixels:
        m[r, c] = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(path, {"fixLocs": m})


def test_fixlocs_same_name_in_two_categories_is_refused(tmp_path, capsys):
    locs = tmp_path / "trainSet" / "FIXATIONLOCS"
    a, b = locs / "Action" / "001.mat", locs / "Affective" / "001.mat"
    _fixlocs(a, [(1, 2), (3, 4)])
    _fixlocs(b, [(10, 20)])
    stim = _grey(tmp_path / "trainSet" / "Stimuli" / "Action", ["001.jpg"], (64, 48))
    out = tmp_path / "out"
    line = refusal(*run_cli(capsys, ["ingest", a, b, "--stimuli", stim, "--out", out, "--sigma-px", "5",
                                     "--quiet"]))
    assert line.startswith(f"saliency ingest: error: {b}: ") and str(a) in line and "'001'" in line
    assert "one category (folder) at a time" in line
    assert not out.exists()


def test_fixlocs_byte_identical_repeat_and_other_names_still_read(tmp_path, capsys):
    locs = tmp_path / "FIXATIONLOCS" / "Action"
    a, b = locs / "001.mat", locs / "002.mat"
    _fixlocs(a, [(1, 2), (3, 4)])
    _fixlocs(b, [(10, 20)])
    copy = tmp_path / "copy" / "001.mat"
    copy.parent.mkdir()
    copy.write_bytes(a.read_bytes())  # a repeat of the same file: read once, as before
    stim = _grey(tmp_path / "stim", ["001.jpg", "002.jpg"], (64, 48))
    out = tmp_path / "out"
    rc, _, err = run_cli(capsys, ["ingest", a, b, copy, "--stimuli", stim, "--out", out, "--sigma-px", "5",
                                  "--quiet", "--no-ioc"])
    assert rc == 0, err
    fix = pd.read_csv(out / "fixations.csv", dtype={"stimulus": str})
    assert sorted(zip(fix["stimulus"], fix["x"], fix["y"])) == [("001", 2, 1), ("001", 4, 3), ("002", 20, 10)]


# ------------------------------------------------------------------ 3. FIGRIM one malformed row

def _figrim(path, users):
    ua = _struct_array([{"trial": 1.0, "fixations": {"enc": e, "rec": r, "rec2": np.zeros((0, 2))}}
                        for e, r in users])
    savemat(path, {"allImages": _struct_array([{"filename": "sun_a.jpg", "userdata": ua}])})


def test_figrim_single_malformed_row_is_one_row(tmp_path):
    p = tmp_path / "allImages_release.mat"
    # rows in file order: s01 enc 1 x 3 (line 1); s02 enc 2 points (lines 2-3), rec 1 x 7 (line 4)
    _figrim(p, [(np.array([[1.0, 2.0, 3.0]]), np.zeros((0, 2))),
                (np.array([[101.0, 201.0], [501.0, 601.0]]), np.arange(1.0, 8.0).reshape(1, 7))])
    rc = assert_rows_accounted(p, 4)
    assert rc.kept == 2 and rc.quarantined == {"malformed_row": 2} and rc.counted == {}
    _, ch = single_chunk(p)
    assert ch.quarantine["line"].tolist() == [1, 4]
    assert ch.df[["subject", "x", "y", "line"]].values.tolist() == [["s02", 100.0, 200.0, 2],
                                                                     ["s02", 500.0, 600.0, 3]]


def test_figrim_column_stays_n_rows_beside_a_row(tmp_path):
    p = tmp_path / "allImages_release.mat"
    # s01 enc 3 x 1 (lines 1-3, three rows of one number); s02 enc 1 x 3 (line 4, one row of three)
    _figrim(p, [(np.array([[5.0], [6.0], [7.0]]), np.zeros((0, 2))),
                (np.array([[5.0, 6.0, 7.0]]), np.zeros((0, 2)))])
    rc = assert_rows_accounted(p, 4)
    assert rc.kept == 0 and rc.quarantined == {"malformed_row": 4}


# ------------------------------------------------------------------ 4. quarantine.csv in the file's own space

def _mit(path, eye):
    rec = np.zeros((1, 1), dtype=[("eyeData", "O")])
    rec[0, 0]["eyeData"] = eye
    top = np.zeros((1, 1), dtype=[("DATA", "O")])
    top[0, 0]["DATA"] = rec
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(path, {path.stem: top})


SCREEN = ["--screen-px", "1280x1024", "--screen-cm", "37.7x30.2", "--distance-cm", "61", "--display", "native"]


def test_mit1003_off_stimulus_fixation_listed_in_image_pixels(tmp_path, capsys):
    # 1024 x 768 image on a 1280 x 1024 screen, native: letter-boxed at (128, 128). 240 Hz samples, 1-based:
    # 120 at (200, 150), one at (1300, 300) (off the screen too: 1299 + 128 > 1280), 120 at (1150, 300) (off the
    # image, on the screen), 120 at (200, 150)
    eye = np.vstack([np.tile([200.0, 150.0], (120, 1)), [[1300.0, 300.0]], np.tile([1150.0, 300.0], (120, 1)),
                     np.tile([200.0, 150.0], (120, 1))])
    p = tmp_path / "DATA" / "ajs" / "i1.mat"
    _mit(p, eye)
    stim = _grey(tmp_path / "ALLSTIMULI", ["i1.jpeg"], (1024, 768))
    out = tmp_path / "out"
    rc, _, err = run_cli(capsys, ["ingest", p, "--stimuli", stim, "--out", out, "--sigma-px", "10", "--quiet",
                                  "--no-ioc", *SCREEN])
    assert rc == 0, err
    q = pd.read_csv(out / "quarantine.csv")
    off_img = q[q["reason"] == "off_stimulus"]
    assert len(off_img) == 1  # its samples' 0-based image position (1149, 299), not the screen's (1277, 427)
    assert off_img["x"].iloc[0] == pytest.approx(1149.0, abs=0.01)
    assert off_img["y"].iloc[0] == pytest.approx(299.0, abs=0.01)
    off_scr = q[q["reason"] == "off_screen"]
    assert off_scr[["line", "x", "y"]].values.tolist() == [[121, 1299.0, 299.0]]
    fix = pd.read_csv(out / "fixations.csv")  # the kept ones unchanged: image pixels, 0-based
    assert fix["x"].tolist() == pytest.approx([199.0, 199.0], abs=0.01)


def test_drop_first_of_screen_fixations_listed_in_screen_pixels(tmp_path, capsys):
    # a fixation list in screen pixels; the 1024 x 768 stimulus shown native at (128, 128)
    p = tmp_path / "s1" / "fixations.csv"
    p.parent.mkdir()
    p.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                 "s1,a.png,640,512,0,300\n"
                 "s1,a.png,300,300,300,300\n")
    stim = _grey(tmp_path / "stim", ["a.png"], (1024, 768))
    out = tmp_path / "out"
    rc, _, err = run_cli(capsys, ["ingest", p, "--stimuli", stim, "--out", out, "--sigma-px", "10", "--quiet",
                                  "--no-ioc", "--drop-first", *SCREEN])
    assert rc == 0, err
    q = pd.read_csv(out / "quarantine.csv")
    assert q[["line", "reason", "x", "y"]].values.tolist() == [[2, "first_fixation", 640.0, 512.0]]
    fix = pd.read_csv(out / "fixations.csv")
    assert fix[["x", "y"]].values.tolist() == [[172.0, 172.0]]  # kept: stimulus pixels (300 - 128)

"""Published MATLAB fixation datasets: OSIE, MIT1003, FIGRIM, FIXATIONLOCS maps (data_tools/readers).

Unit tests use small ``.mat`` files written with ``scipy.io.savemat`` in each
dataset's structure, with values chosen by hand; the ``real_data`` tests read
``../shared/data`` (OSIE's complete fixations file, MIT's i210 fixation
locations) and check the counts the datasets publish.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.io import savemat

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools.readers import account_rows, detect_format, figrim, fixlocs, mit1003, open_log, osie
from saliency.data_tools.readers.osie import struct_array

from ingest_fakes import assert_rows_accounted, single_chunk

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def write_osie(path: Path, images: list[tuple[str, list[dict]]]) -> None:
    """OSIE's layout: ``fixations``, an N x 1 cell array of structs {img, subjects (struct array)}."""
    cell = np.empty((len(images), 1), dtype=object)
    for i, (name, subs) in enumerate(images):
        cell[i, 0] = {"img": name, "subjects": struct_array(subs)}
    savemat(path, {"fixations": cell})


def test_osie_hand_worked(tmp_path):
    p = tmp_path / "fixations.mat"
    write_osie(p, [("1001.jpg", [{"fix_x": np.array([1.0, 400.5]), "fix_y": np.array([1.0, 300.0]),
                                  "fix_duration": np.array([250.0, 120.0])},
                                 {"fix_x": np.array([800.0]), "fix_y": np.array([600.0]), "fix_duration": np.array([90.0])}]),
                   ("1002.jpg", [{"fix_x": np.zeros(0), "fix_y": np.zeros(0), "fix_duration": np.zeros(0)},
                                 {"fix_x": np.array([5.0, 6.0]), "fix_y": np.array([7.0]), "fix_duration": np.array([1.0, 2.0])}])])
    assert detect_format(p) == "osie"
    rd, ch = single_chunk(p)
    assert rd.kind == "fixations" and ch.space == "stimulus"
    df = ch.df
    # MATLAB's pixel 1 is our pixel 0: (1, 1) -> (0, 0), (800, 600) -> (799, 599), the last pixel of 800x600
    assert df[["x", "y"]].values.tolist() == [[0.0, 0.0], [399.5, 299.0], [799.0, 599.0]]
    assert df["subject"].tolist() == ["s01", "s01", "s02"] and df["stimulus"].tolist() == ["1001.jpg"] * 3
    assert df["duration_ms"].tolist() == [250, 120, 90] and df["t_start_ms"].isna().all()
    assert df["line"].tolist() == [1, 2, 3]
    # observer 2 of image 1002 has 2 x but 1 y: both of its rows are malformed (rows 4, 5)
    assert ch.quarantine[["line", "reason"]].values.tolist() == [[4, "malformed_row"], [5, "malformed_row"]]
    assert ch.rows_read == 5 and ch.balance() == 0


def test_osie_example_file_balances(tmp_path):
    p = tmp_path / "fixations.mat"
    n = osie.example_file(p, np.random.default_rng(0), 60)
    assert assert_rows_accounted(p, n).kept == n


def test_matlab_v73_is_refused_with_the_way_out(tmp_path):
    p = tmp_path / "fixations.mat"
    p.write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
                  + b" " * 40 + b"\x00" * 400)
    with pytest.raises(UserError, match="MATLAB v7.3 .HDF5. file, which needs h5py; re-save it in MATLAB with "
                                        "save.name, '-v7'."):
        account_rows(open_log(p, "osie"))
    with pytest.raises(UserError, match="MATLAB v7.3 .HDF5. file, which needs h5py; re-save"):  # auto, at once
        detect_format(p)


def test_osie_without_fixations_variable(tmp_path):
    p = tmp_path / "x.mat"
    savemat(p, {"other": np.eye(2)})
    with pytest.raises(UserError, match="not an OSIE fixations file: no variable 'fixations' .it has: other."):
        account_rows(open_log(p, "osie"))


def write_mit(path: Path, eye: np.ndarray) -> None:
    """MIT1003's layout: one struct named after the image, ``DATA(1).eyeData`` N x 2."""
    rec = np.zeros((1, 1), dtype=[("eyeData", "O")])
    rec[0, 0]["eyeData"] = eye
    top = np.zeros((1, 1), dtype=[("DATA", "O")])
    top[0, 0]["DATA"] = rec
    savemat(path, {path.stem: top})


def test_mit1003_raw_samples_hand_worked(tmp_path):
    d = tmp_path / "DATA" / "ajs"
    d.mkdir(parents=True)
    p = d / "i05june05_static_street_boston_p1010764.mat"
    write_mit(p, np.array([[512.0, 384.0], [513.0, 385.0], [-10.0, -20.0], [np.nan, np.nan], [1.0, 1.0]]))
    assert detect_format(p) == "mit1003"
    rd, ch = single_chunk(p)
    assert (rd.kind, ch.space, rd.notes["sample_rate_hz"]) == ("samples", "stimulus", 240.0)
    df = ch.df
    assert df["subject"].unique().tolist() == ["ajs"]
    assert df["stimulus"].unique().tolist() == ["i05june05_static_street_boston_p1010764"]
    assert df["time_ms"].tolist() == pytest.approx([0, 1000 / 240, 2000 / 240, 3000 / 240, 4000 / 240])
    assert df["valid"].tolist() == [True, True, False, False, True]
    assert df[["x", "y"]].values[[0, 1, 4]].tolist() == [[511.0, 383.0], [512.0, 384.0], [0.0, 0.0]]
    assert ch.rows_read == 5 and ch.balance() == 0


def test_mit1003_without_eye_data(tmp_path):
    p = tmp_path / "img.mat"
    rec = np.zeros((1, 1), dtype=[("other", "O")])
    rec[0, 0]["other"] = np.zeros(3)
    top = np.zeros((1, 1), dtype=[("DATA", "O")])
    top[0, 0]["DATA"] = rec
    savemat(p, {"img": top})
    with pytest.raises(UserError, match=r"img.DATA\(1\) has no field 'eyeData' \(fields: other\)"):
        account_rows(open_log(p))


def test_fixlocs_map_hand_worked(tmp_path):
    m = np.zeros((4, 6))
    m[0, 0] = m[3, 5] = m[1, 4] = 1  # MATLAB (1,1), (4,6), (2,5)
    p = tmp_path / "001.mat"
    savemat(p, {"fixLocs": m})
    assert detect_format(p) == "fixlocs"
    rd, ch = single_chunk(p)
    assert ch.df[["x", "y"]].values.tolist() == [[0.0, 0.0], [4.0, 1.0], [5.0, 3.0]]
    assert set(ch.df["subject"]) == {"pooled"} and set(ch.df["stimulus"]) == {"001"}
    assert ch.rows_read == 3 and rd.notes["pooled"] is True


def test_figrim_encoding_kept_recognition_counted(tmp_path):
    users = [{"trial": 1.0, "fixations": {"enc": np.array([[1.0, 1.0], [1000.0, 500.0]]), "rec": np.array([[3.0, 4.0]]),
                                          "rec2": np.zeros((0, 2))}, "SDT": np.array([1.0, 1, 0])},
             {"trial": np.zeros(0), "fixations": np.zeros(0), "SDT": np.zeros(0)},  # did not see this image
             {"trial": 2.0, "fixations": {"enc": np.array([10.0, 20.0]), "rec": np.zeros((0, 2)),
                                          "rec2": np.zeros((0, 2))}, "SDT": np.array([4.0, 0, 0])}]
    p = tmp_path / "allImages_release.mat"
    savemat(p, {"allImages": struct_array([{"filename": "airport_terminal/sun_aaa.jpg", "category": "airport",
                                            "userdata": struct_array(users)}])})
    assert detect_format(p) == "figrim"
    rd, ch = single_chunk(p)
    df = ch.df
    assert df[["x", "y"]].values.tolist() == [[0.0, 0.0], [999.0, 499.0], [9.0, 19.0]]
    assert df["subject"].tolist() == ["s01", "s01", "s03"] and set(df["stimulus"]) == {"sun_aaa.jpg"}
    assert ch.counted == {"recognition_viewing": 1} and ch.rows_read == 4 and ch.balance() == 0
    q = tmp_path / "f.mat"
    assert assert_rows_accounted(q, figrim.example_file(q, np.random.default_rng(2), 80)).read > 0


def grey(folder: Path, names, size) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        Image.new("RGB", size, (128, 128, 128)).save(folder / n)
    return folder


def test_ingest_osie_small_end_to_end(tmp_path):
    p = tmp_path / "fixations.mat"
    write_osie(p, [("1001.jpg", [{"fix_x": np.array([1.0, 400.0, 801.0]), "fix_y": np.array([1.0, 300.0, 10.0]),
                                  "fix_duration": np.array([250.0, 120.0, 300.0])},
                                 {"fix_x": np.array([100.0]), "fix_y": np.array([50.0]), "fix_duration": np.array([90.0])}])])
    stim = grey(tmp_path / "stimuli", ["1001.jpg"], (800, 600))
    out = tmp_path / "out"
    assert main(["ingest", str(p), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "10", "--quiet",
                 "--no-ioc", "--min-duration", "0"]) == 0
    fix = pd.read_csv(out / "fixations.csv")
    # 801 is beyond the 800-pixel image (0-based 800 >= 799.5): off the stimulus
    assert fix[["subject", "x", "y"]].values.tolist() == [["s01", 0.0, 0.0], ["s01", 399.0, 299.0],
                                                          ["s02", 99.0, 49.0]]
    rows = json.loads((out / "dataset.json").read_text())["inputs"][0]["rows"]
    assert rows["read"] == 4 and rows["quarantined"] == {"off_stimulus": 1}


def test_ingest_figrim_and_fixlocs_end_to_end(tmp_path):
    p = tmp_path / "allImages_release.mat"
    users = [{"fixations": {"enc": np.array([[500.0, 500.0]]), "rec": np.array([[3.0, 4.0]]), "rec2": np.zeros((0, 2))}}]
    savemat(p, {"allImages": struct_array([{"filename": "sun_aaa.jpg", "userdata": struct_array(users)}])})
    m = np.zeros((1000, 1000))
    m[10, 20] = m[999, 999] = 1
    q = tmp_path / "sun_aaa.mat"
    savemat(q, {"fixLocs": m})
    stim = grey(tmp_path / "stimuli", ["sun_aaa.jpg"], (1000, 1000))
    out = tmp_path / "out"
    # no --min-duration: neither file gives durations, so it is refused as acting on no row (stop 21)
    assert main(["ingest", str(p), str(q), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "10", "--quiet",
                 "--no-ioc"]) == 0
    fix = pd.read_csv(out / "fixations.csv").sort_values(["subject", "line"])
    assert fix[["subject", "x", "y"]].values.tolist() == [["pooled", 20.0, 10.0], ["pooled", 999.0, 999.0],
                                                          ["s01", 499.0, 499.0]]


def test_ingest_mit1003_samples_end_to_end(tmp_path):
    # the eye data are image pixels (space stimulus): placed on the screen as shown for detection in degrees
    d = tmp_path / "DATA" / "ajs"
    d.mkdir(parents=True)
    p = d / "i1.mat"
    t = np.arange(720)
    pts = np.where((t // 120 % 2 == 0)[:, None], [[200.0, 150.0]], [[600.0, 400.0]])
    write_mit(p, pts + np.random.default_rng(0).normal(0, 0.3, pts.shape))
    stim = grey(tmp_path / "stimuli", ["i1.jpeg"], (1024, 768))
    out = tmp_path / "out"
    assert main(["ingest", str(p), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "10", "--quiet",
                 "--no-ioc", "--screen-px", "1280x1024", "--screen-cm", "40x32", "--distance-cm", "75",
                 "--display", "native"]) == 0
    fix = pd.read_csv(out / "fixations.csv")
    assert len(fix) == 6 and fix["x"].iloc[0] == pytest.approx(199.0, abs=1)  # image pixels, 0-based


@pytest.mark.real_data
def test_osie_real_counts():
    p = SHARED / "osie" / "eye" / "fixations.mat"
    if not p.is_file():
        pytest.skip("../shared/data is absent")
    assert detect_format(p) == "osie"
    rd, ch = single_chunk(p)
    assert (len(ch.df), ch.rows_read, len(ch.quarantine)) == (98_321, 98_321, 0)
    assert ch.df["subject"].nunique() == 15 and ch.df["stimulus"].nunique() == 700
    assert ch.df["stimulus"].min() == "1001.jpg" and ch.df["stimulus"].max() == "1700.jpg"


@pytest.mark.real_data
def test_fixlocs_real_mit_i210():
    p = SHARED / "mit_i210" / "FIXATIONLOCS" / "i210.mat"
    if not p.is_file():
        pytest.skip("../shared/data is absent")
    from scipy.io import loadmat
    truth = np.argwhere(loadmat(p)["fixations"] > 0)  # independent read: (row, col), 0-based
    assert detect_format(p) == "fixlocs"
    rd, ch = single_chunk(p)
    assert len(ch.df) == 259 == len(truth)
    assert sorted(zip(ch.df["y"].astype(int), ch.df["x"].astype(int))) == sorted(map(tuple, truth.tolist()))


@pytest.mark.real_data
def test_ingest_osie_real_end_to_end(tmp_path):
    p = SHARED / "osie" / "eye" / "fixations.mat"
    stim = SHARED / "osie" / "stimuli"
    if not p.is_file() or not stim.is_dir():
        pytest.skip("../shared/data is absent")
    out = tmp_path / "osie"
    # the authors' convention (README, OSIE): every fixation as published, a fixated pixel once, sigma 24 px
    assert main(["ingest", str(p), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "24", "--quiet",
                 "--no-ioc", "--detector", "tracker", "--binary-fixations"]) == 0
    d = json.loads((out / "dataset.json").read_text())
    assert d["inputs"][0]["rows"]["read"] == 98_321
    fix = pd.read_csv(out / "fixations.csv", usecols=["subject", "stimulus"])
    assert len(fix) == 98_321 and fix["subject"].nunique() == 15 and fix["stimulus"].nunique() == 700
    assert len(list((out / "maps").iterdir())) == 700
    # Oracle: the authors' computeFixationMaps.m redone from an independent read of the file (MATLAB round,
    # clip, one per pixel, normalised 169 px Gaussian window with zero padding, min-max). Ingest truncates
    # its Gaussian at 4 sigma instead of 3.5, so 8-bit levels may differ by one, never more.
    import cv2
    from scipy.io import loadmat
    from scipy.signal import fftconvolve

    cells = loadmat(p, squeeze_me=True, struct_as_record=False)["fixations"]
    yy, xx = np.mgrid[-84:85, -84:85]
    k = np.exp(-(xx ** 2 + yy ** 2) / (2 * 24.0 ** 2))
    k /= k.sum()
    for cell in cells[::140]:
        binary = np.zeros((600, 800))
        for sub in np.atleast_1d(cell.subjects):
            xs, ys = np.atleast_1d(sub.fix_x).astype(float), np.atleast_1d(sub.fix_y).astype(float)
            r = np.clip(np.floor(ys + 0.5), 1, 600).astype(int) - 1
            c = np.clip(np.floor(xs + 0.5), 1, 800).astype(int) - 1
            binary[r, c] = 1.0
        m = fftconvolve(binary, k, mode="same")
        want = np.round((m - m.min()) / (m.max() - m.min()) * 255)
        got = cv2.imread(str(out / "maps" / cell.img.replace(".jpg", ".png")), cv2.IMREAD_UNCHANGED)
        assert np.abs(got.astype(float) - want).max() <= 1

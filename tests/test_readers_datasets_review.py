"""Dataset readers (SALICON, fixLocs, FIGRIM, MIT1003, MATLAB v7.3), review fixes.

- a stimulus image of another size than the dataset declares (SALICON's
  ``width``/``height``, a fixLocs matrix's shape) is refused in one line
  before anything is written, instead of misplacing the points;
- fixLocs: only positive finite entries are fixations; NaN / Inf entries are
  quarantined, zero and negative entries are no rows;
- a 1-D MATLAB point array is one point only when it holds exactly 2 numbers
  (FIGRIM ``enc`` of N x 1: quarantined, counted; MIT1003 eyeData: refused);
- a MATLAB v7.3 file under ``format`` auto gets the re-save advice at once.

All inputs are tiny synthetic files (no shared data).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools.ingest import IngestOptions, ingest
from saliency.data_tools.readers import detect_format, open_log
from saliency.data_tools.readers.matlab import points
from saliency.data_tools.readers.osie import struct_array
from test_readers_matlab import write_mit
from tests.ingest_fakes import assert_rows_accounted, single_chunk


def _image(path, w, h):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 128, np.uint8)).save(path)


def _salicon(path, w=64, h=48, sizes=True):
    """Two images declared ``w`` x ``h``; 3 annotations, 7 points, all inside the declared image."""
    images = [{"id": i, "file_name": f"img{i}.png", **({"width": w, "height": h} if sizes else {})} for i in (1, 2)]
    anns = [{"image_id": 1, "worker_id": 5, "fixations": [[40, 60], [10, 5], [48, 64]]},
            {"image_id": 2, "worker_id": 5, "fixations": [[30, 50], [47, 63]]},
            {"image_id": 2, "worker_id": 6, "fixations": [[45, 62], [1, 1]]}]
    path.write_text(json.dumps({"images": images, "annotations": anns}))
    return 7


# ------------------------------------------------------------------ 1. declared size vs the stimulus images

def test_salicon_chunk_hands_on_the_declared_size_per_stimulus(tmp_path):
    p = tmp_path / "fix.json"
    n = _salicon(p)
    _, ch = single_chunk(p)
    assert ch.declared_px == {"img1.png": (64, 48), "img2.png": (64, 48)}
    assert assert_rows_accounted(p, n).kept == n


def test_salicon_resized_stimuli_are_refused_before_anything_is_written(tmp_path):
    p = tmp_path / "fix.json"
    n = _salicon(p)
    for i in (1, 2):
        _image(tmp_path / "half" / f"img{i}.png", 32, 24)  # the dataset's images resized to half
    out = tmp_path / "out"
    with pytest.raises(UserError) as e:
        ingest([p], tmp_path / "half", out, IngestOptions(sigma_px=2.0, ioc=False, progress=False))
    msg = str(e.value)
    assert "`stimuli`" in e.value.args[0]  # the parameter, spelled --stimuli on the command line
    assert "\n" not in msg
    for part in (str(p), "'img1.png'", "declares a 64x48 image", "is 32x24", "and 1 more", "give stimuli",
                 "original images"):
        assert part in msg, (part, msg)
    assert not out.exists()
    assert not [q for q in tmp_path.iterdir() if q.name.startswith(".out")]  # no staging folder left
    for i in (1, 2):  # the original images: every point kept
        _image(tmp_path / "stim" / f"img{i}.png", 64, 48)
    m = ingest([p], tmp_path / "stim", out, IngestOptions(sigma_px=2.0, ioc=False, progress=False))
    assert m["inputs"][0]["rows"]["read"] == n and m["inputs"][0]["rows"]["kept"] == n
    q = tmp_path / "nosize.json"
    _salicon(q, sizes=False)  # no width/height: nothing declared, nothing to refuse
    ingest([q], tmp_path / "half", tmp_path / "out2", IngestOptions(sigma_px=2.0, ioc=False, progress=False))


def test_fixlocs_map_of_another_size_than_the_stimulus_is_refused_exit_2(tmp_path, capsys):
    m = np.zeros((6, 8))
    m[1, 2] = m[5, 7] = 1
    savemat(tmp_path / "pic.mat", {"fixLocs": m})
    _image(tmp_path / "small" / "pic.jpg", 4, 3)
    _image(tmp_path / "stim" / "pic.jpg", 8, 6)
    out = tmp_path / "out"
    rc = main(["ingest", str(tmp_path / "pic.mat"), "--stimuli", str(tmp_path / "small"), "--sigma-px", "1",
               "--out", str(out), "--quiet", "--no-ioc"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "pic.mat" in err and "'pic'" in err and "8x6" in err and "4x3" in err and "--stimuli" in err
    assert not out.exists()
    assert main(["ingest", str(tmp_path / "pic.mat"), "--stimuli", str(tmp_path / "stim"), "--sigma-px", "1",
                 "--out", str(out), "--quiet", "--no-ioc"]) == 0
    _, ch = single_chunk(tmp_path / "pic.mat")
    assert ch.declared_px == {"pic": (8, 6)}  # (w, h) = the matrix's columns, rows


# ------------------------------------------------------------------ 2. fixLocs entries that are not fixations

def test_fixlocs_only_positive_finite_entries_are_fixations(tmp_path):
    m = np.zeros((5, 6))
    m[1, 2] = 1
    m[3, 4] = 2.5  # a count map: positive = fixated
    m[0, 5] = np.nan
    m[4, 0] = np.inf
    m[2, 2] = -1  # negative: no fixation, no row
    p = tmp_path / "m.mat"
    savemat(p, {"fixLocs": m})
    rc = assert_rows_accounted(p, 4)  # 2 fixated pixels + 2 non-finite entries
    assert rc.kept == 2 and rc.quarantined == {"bad_coordinates": 2} and not rc.counted
    _, ch = single_chunk(p)
    assert sorted(zip(ch.df["x"], ch.df["y"])) == [(2.0, 1.0), (4.0, 3.0)]
    q = ch.quarantine.sort_values("line")
    assert q["line"].tolist() == [0 * 6 + 5 + 1, 4 * 6 + 0 + 1]  # row-major entry numbers, as the kept rows
    assert q["x"].tolist() == [5.0, 0.0] and q["y"].tolist() == [0.0, 4.0]
    assert set(q["stimulus"]) == {"m"} and set(q["subject"]) == {"pooled"}


def test_fixlocs_all_negative_map_has_no_rows(tmp_path):
    p = tmp_path / "neg.mat"
    savemat(p, {"fixations": -np.ones((3, 4))})
    rc = assert_rows_accounted(p, 0, fmt="fixlocs")
    assert rc.kept == 0 and not rc.quarantined


# ------------------------------------------------------------------ 3. 1-D MATLAB point arrays

def test_points_one_d_is_one_point_only_with_two_numbers():
    np.testing.assert_array_equal(points(np.array([5.0, 6.0])), [[5.0, 6.0]])
    for bad in (np.array([5.0, 6.0, 7.0]), np.array([1.0]), np.arange(4.0)):
        with pytest.raises(ValueError, match="not N x 2"):
            points(bad)
    with pytest.raises(ValueError):
        points(np.float64(3.0))
    assert points(np.zeros((0, 2))).shape == (0, 2)
    assert points(np.ones((3, 2))).shape == (3, 2)


def _figrim(path, enc):
    users = struct_array([{"trial": 1.0, "fixations": {"enc": enc, "rec": np.zeros((0, 2)),
                                                       "rec2": np.zeros((0, 2))}}])
    savemat(path, {"allImages": struct_array([{"filename": "sun_a.jpg", "userdata": users}])})


def test_figrim_enc_column_is_quarantined_and_counted(tmp_path):
    p = tmp_path / "allImages_x.mat"
    _figrim(p, np.array([[5.0], [6.0], [7.0]]))  # N x 1: squeezed to 1-D of 3 numbers
    rc = assert_rows_accounted(p, 3)
    assert rc.kept == 0 and rc.quarantined == {"malformed_row": 3}
    q = tmp_path / "allImages_one.mat"
    _figrim(q, np.array([[5.0, 6.0]]))  # 1 x 2: one point
    _, ch = single_chunk(q)
    assert ch.rows_read == 1 and ch.df[["x", "y"]].values.tolist() == [[4.0, 5.0]]


def test_mit1003_one_d_eyedata(tmp_path):
    p = tmp_path / "sub1" / "i05.mat"
    p.parent.mkdir()
    write_mit(p, np.array([[10.0, 20.0]]))  # 1 x 2: one sample
    _, ch = single_chunk(p)
    assert ch.rows_read == 1 and ch.df[["x", "y"]].values.tolist() == [[9.0, 19.0]]
    write_mit(p, np.array([[10.0], [20.0], [30.0], [40.0], [50.0]]))  # 5 x 1: not (x, y) samples
    with pytest.raises(UserError, match=r"eyeData must be N x 2 .*5 numbers"):
        list(open_log(p).chunks())


# ------------------------------------------------------------------ 4. MATLAB v7.3 under format auto

V73 = (b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
       .ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM").ljust(512, b"\x00") + b"\x89HDF\r\n\x1a\n" + b"\x00" * 100


def test_v73_under_format_auto_gets_the_resave_advice(tmp_path, capsys):
    p = tmp_path / "fixations.mat"
    p.write_bytes(V73)
    with pytest.raises(UserError, match=r"MATLAB v7\.3 \(HDF5\) file, which needs h5py; re-save it in MATLAB "
                                        r"with save\(name, '-v7'\)") as e:
        detect_format(p)
    assert "unknown format" not in str(e.value) and str(p) in str(e.value)
    _image(tmp_path / "stim" / "a.jpg", 4, 3)
    assert main(["ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--sigma-px", "1",
                 "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "-v7" in err and "h5py" in err and str(p) in err and len(err.strip().splitlines()) == 1
    t = tmp_path / "s.csv"  # a text log is not taken for one
    t.write_text("subject,stimulus,time_ms,x,y\np,a,0,1,2\n")
    assert detect_format(t) == "samples"

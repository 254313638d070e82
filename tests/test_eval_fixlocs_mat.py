"""A FIXATIONLOCS ``.mat`` must be a fixation map; a list of points is refused (review 27, fixation metrics).

Oracle: hand-worked. A 20x2 list of (x, y) points read as ``> 0`` became a 20x2 map with every pixel fixated,
and eval shrank the 640x480 predictions to it and printed a table (exit 0). MIT1003 and CAT2000 store 0/1 maps
of the image's size; those (and count maps) keep being read, with NSS checked against a hand computation.
"""
import json

import numpy as np
import pytest
import scipy.io

from cli_fakes import refusal, run_cli
from saliency.base.images import write_image


def _layout(tmp_path, arrays, key="fixations"):
    gt, pred = tmp_path / "mitc", tmp_path / "pred"
    (gt / "FIXATIONLOCS").mkdir(parents=True)
    pred.mkdir()
    rng = np.random.default_rng(0)
    for k, a in enumerate(arrays):
        scipy.io.savemat(str(gt / "FIXATIONLOCS" / f"img{k}.mat"), {key: a})
        write_image(pred / f"img{k}.png", (rng.random((48, 64)) * 255).astype(np.uint8))
    return gt, pred


def test_a_list_of_points_is_refused_naming_the_file(tmp_path, capsys):
    rng = np.random.default_rng(1)
    pts = np.c_[rng.integers(1, 64, 20), rng.integers(1, 48, 20)].astype(float)
    gt, pred = _layout(tmp_path, [pts])
    line = refusal(*run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", pred, "--quiet"]))
    assert "img0.mat" in line and "20x2" in line and "list of points" in line


@pytest.mark.parametrize("bad", [-1.0, 2.5, np.nan])
def test_values_that_are_no_map_are_refused(tmp_path, capsys, bad):
    a = np.zeros((48, 64))
    a[10, 10] = 1
    a[20, 20] = bad
    gt, pred = _layout(tmp_path, [a])
    line = refusal(*run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", pred, "--quiet"]))
    assert "img0.mat" in line and "not a 0/1 map" in line


@pytest.mark.parametrize("value", [1, 3])
def test_a_01_map_and_a_count_map_are_read(tmp_path, capsys, value):
    a = np.zeros((48, 64), np.uint8)
    a[10, 12] = value
    a[30, 40] = 1
    gt, pred = _layout(tmp_path, [a], key="fixLocs")
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", pred, "--quiet",
                                    "--metrics", "NSS", "--json", tmp_path / "r.json"])
    assert rc == 0, err
    got = json.loads((tmp_path / "r.json").read_text())["results"][0]["metrics"]["NSS"]
    rng = np.random.default_rng(0)
    s = (rng.random((48, 64)) * 255).astype(np.uint8).astype(np.float64)
    z = (s - s.mean()) / s.std(ddof=1)  # MIT's NSS: ddof=1, mean over the fixated pixels (each once)
    want = (z[10, 12] + z[30, 40]) / 2
    assert abs(got - want) < 1e-9  # float64 sums of 3072 values

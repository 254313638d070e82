""".npy maps one pixel high or wide (stop-24 review): only extra size-1 axes are dropped.

``np.squeeze`` also dropped the image's own size-1 axes, so the (1, 60) map of a 60x1
image was read as shape (60,) and refused as "not 2-D" by ``saliency crop --maps`` and by
eval's reader of ``saliency predict --log-density`` output; a 1x1 map became shape ().

Oracles: the shape each file is written with (hand-worked: the two map axes it holds),
the array's own values in C order, the exact one-line message, a uniform log-density
(closed form: log(1/N) per pixel) and a salient pixel placed by hand.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.eval.io import read_map
from saliency.eval.runner import read_prediction


@pytest.mark.parametrize("stored, want", [
    ((1, 60), (1, 60)),  # a 60x1 image: one pixel high
    ((60, 1), (60, 1)),  # one pixel wide
    ((1, 1), (1, 1)),
    ((1, 1, 1), (1, 1)),  # a 1x1 map with a channel axis
    ((5, 4, 1), (5, 4)),  # (H, W, 1): channel axis
    ((1, 5, 4), (5, 4)),  # (1, H, W): batch axis
    ((1, 60, 1), (1, 60)),  # one pixel high, with a channel axis
    ((1, 1, 5, 4), (5, 4)),  # (N, C, H, W) of one grey map
])
def test_npy_map_keeps_its_two_axes(tmp_path, stored, want):
    a = np.arange(1, int(np.prod(stored)) + 1, dtype=np.float32).reshape(stored)
    np.save(tmp_path / "m.npy", a)
    got = read_map(tmp_path / "m.npy")
    assert got.shape == want
    assert got.dtype == np.float64
    assert np.array_equal(got.ravel(), np.arange(1, int(np.prod(stored)) + 1))
    pred, is_log = read_prediction(tmp_path / "m.npy")
    assert (pred.shape, is_log) == (want, False)


@pytest.mark.parametrize("stored, shown", [
    ((2, 5, 4), "(2, 5, 4)"),  # two maps: not one
    ((60,), "(60,)"),  # 1-D as stored: which axis is which is unknown
    ((), "()"),
])
def test_wrong_shapes_are_still_refused_with_one_line(tmp_path, stored, shown):
    p = tmp_path / "m.npy"
    np.save(p, np.ones(stored))
    msg = f"{p}: expected a 2-D array of real numbers, got shape {shown} float64"
    for read in (read_map, read_prediction):
        with pytest.raises(UserError) as e:
            read(p)
        assert str(e.value) == msg


@pytest.mark.parametrize("stored, want", [((1, 60), (1, 60)), ((60, 1), (60, 1)), ((1, 60, 1), (1, 60))])
def test_log_density_one_pixel_high_is_read_as_a_log_density(tmp_path, stored, want):
    """saliency predict --log-density of a 60x1 image writes a (1, 60) log-density; eval refused it."""
    np.save(tmp_path / "ld.npy", np.full(stored, np.log(1.0 / 60), np.float32))
    got, is_log = read_prediction(tmp_path / "ld.npy")
    assert (got.shape, is_log) == (want, True)
    assert np.allclose(got, np.log(1.0 / 60), atol=1e-6)


def test_log_density_of_one_pixel_is_read_not_refused(tmp_path):
    """A 1x1 log-density is log(1) = 0: read as a plain (1, 1) map (either way its density is 1); was shape ()."""
    np.save(tmp_path / "ld.npy", np.zeros((1, 1), np.float32))
    got, is_log = read_prediction(tmp_path / "ld.npy")
    assert (got.shape, is_log) == ((1, 1), False)
    assert got[0, 0] == 0.0


def test_crop_with_the_map_of_a_one_pixel_high_image(tmp_path):
    """`saliency crop --maps` refused the (1, 60) map of a 60x1 image; 1:1 keeps the salient pixel x = 45."""
    from saliency.crop import crop_folder

    (tmp_path / "img").mkdir()
    (tmp_path / "maps").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "strip.png"), np.zeros((1, 60, 3), np.uint8))
    m = np.zeros((1, 60))
    m[0, 45] = 1.0
    np.save(tmp_path / "maps" / "strip.npy", m)
    crop_folder(tmp_path / "img", tmp_path / "out", "1:1", maps=tmp_path / "maps", progress=False)
    box = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]["strip"]
    assert box["size"] == [60, 1]
    assert {k: box["crop"][k] for k in ("x", "y", "w", "h")} == {"x": 45, "y": 0, "w": 1, "h": 1}
    assert box["crop"]["kept"] == pytest.approx(1.0)

"""resize_image axis by axis: a side that shrinks is area averaged even when the other side grows (review R10).

The oracle is written here in numpy from the definitions: area averaging gives an output pixel the mean of the
source pixels it covers, weighted by the part covered; bilinear interpolation samples at pixel centres
(``(j + 0.5) * scale - 0.5``, clamped at the edges). Before the fix an image wider than the network input but
shorter was resized bilinearly on both axes, so the shrinking side read 1-2 pixels per output pixel and skipped
the rest (stripes aliased: a map 48 grey levels off its 2x copy's).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from cli_fakes import run_cli
from saliency import models
from saliency.checkpoint import save
from saliency.transforms import resize_image


def _area_1d(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights: the share of each source pixel [i, i + 1) in output pixel [j, j + 1) * n_in / n_out."""
    s = n_in / n_out
    w = np.zeros((n_out, n_in))
    for j in range(n_out):
        lo, hi = j * s, (j + 1) * s
        for i in range(n_in):
            w[j, i] = max(0.0, min(hi, i + 1) - max(lo, i))
    return w / w.sum(axis=1, keepdims=True)


def _linear_1d(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of bilinear sampling at pixel centres, clamped to the border pixels."""
    w = np.zeros((n_out, n_in))
    for j in range(n_out):
        x = min(max((j + 0.5) * n_in / n_out - 0.5, 0.0), n_in - 1)
        i0 = int(np.floor(x))
        i1 = min(i0 + 1, n_in - 1)
        w[j, i0] += 1 - (x - i0)
        w[j, i1] += x - i0
    return w


def _oracle(img: np.ndarray, size) -> np.ndarray:
    """Area on each shrinking axis, bilinear on each growing one (separable, float64)."""
    h, w = size
    ry = _area_1d(img.shape[0], h) if h <= img.shape[0] else _linear_1d(img.shape[0], h)
    rx = _area_1d(img.shape[1], w) if w <= img.shape[1] else _linear_1d(img.shape[1], w)
    return np.einsum("yi,ij...,xj->yx...", ry, img.astype(np.float64), rx)


def test_hand_worked_stripes_wide_and_short():
    """9 x 2 stripes [0, 90, 0] to 3 x 4: each output column is the mean of three (30), not the middle one (90)."""
    img = np.tile(np.array([0, 90, 0], np.float32), (2, 3))  # 2 rows x 9 columns
    out = resize_image(img, (4, 3))
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out, np.full((4, 3), 30.0), atol=1e-4)  # bilinear on both axes gave 90


def test_hand_worked_tall_and_narrow():
    """Rows [0, 0, 60] x 2 (6 rows, 2 columns) to 2 rows x 4 columns: rows average to 20; columns interpolate."""
    col = np.array([0, 0, 60, 0, 0, 60], np.float32)[:, None]
    img = np.hstack([col, col * 2])  # column 1 doubles column 0
    out = resize_image(img, (2, 4))
    # rows: mean of three -> 20 (col 0), 40 (col 1); columns 2 -> 4 at centres -0.25, 0.25, 0.75, 1.25 (clamped)
    expect = np.array([20, 25, 35, 40], np.float64)
    np.testing.assert_allclose(out, np.vstack([expect, expect]), atol=1e-4)


@pytest.mark.parametrize("src, size", [((7, 50), (12, 16)), ((61, 5), (9, 23)), ((40, 900), (48, 64))])
def test_mixed_resize_matches_separable_oracle_float(src, size):
    img = np.random.default_rng(0).random(src + (3,), dtype=np.float32)
    out = resize_image(img, size)
    assert out.shape == size + (3,) and out.dtype == np.float32
    np.testing.assert_allclose(out, _oracle(img, size), atol=1e-4)


def test_mixed_resize_uint8_within_one_level_of_oracle():
    """An 8-bit image is rounded after the area pass and again after the bilinear one (OpenCV's fixed-point
    weights): within 1.5 grey levels of the exact value (one bilinear pass over both axes was 141 off)."""
    img = np.random.default_rng(1).integers(0, 256, (40, 900, 3), dtype=np.uint8)
    out = resize_image(img, (48, 64))
    assert out.dtype == np.uint8
    assert np.abs(out.astype(np.float64) - _oracle(img, (48, 64))).max() <= 1.5


@pytest.mark.parametrize("src, size, interp", [((90, 120), (32, 48), cv2.INTER_AREA),
                                               ((32, 100), (32, 48), cv2.INTER_AREA),
                                               ((10, 20), (32, 48), cv2.INTER_LINEAR),
                                               ((32, 20), (32, 48), cv2.INTER_LINEAR)])
def test_same_direction_stays_one_opencv_pass(src, size, interp):
    """Both sides shrinking (or one staying) is one area pass; both growing one bilinear pass: bytes unchanged."""
    img = np.random.default_rng(2).integers(0, 256, src + (3,), dtype=np.uint8)
    assert np.array_equal(resize_image(img, size), cv2.resize(img, size[::-1], interpolation=interp))


def test_predict_on_stripes_and_its_2x_copy_agree(tmp_path, capsys):
    """The reviewer's case: a 900 x 40 stripe image and its 2x copy (network input 48 x 64) give the same map.

    The 2x map is brought back to 900 x 40 by area averaging; before the fix they differed by up to 48 levels
    with the reviewer's trained model.
    """
    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_fixation").eval()
    ck = tmp_path / "fix.pt"
    save(ck, {"config": m.config, "state_dict": m.state_dict(), "train_config": {"data": {"size": [48, 64]}}})
    x = np.arange(900)
    row = np.where((x // 3) % 2 == 0, 255, 0).astype(np.uint8)  # 3-px stripes, period 6: aliases at 900 -> 64
    img = np.repeat(np.repeat(row[None, :, None], 40, 0), 3, 2)
    img[:, 300:420, 1] = 40  # and something that is not periodic
    for name, im in (("one", img), ("two", cv2.resize(img, (1800, 80), interpolation=cv2.INTER_NEAREST))):
        (tmp_path / name).mkdir()
        cv2.imwrite(str(tmp_path / name / "s.png"), im)
        rc, out, err = run_cli(capsys, ["predict", "--checkpoint", ck, "--images", tmp_path / name,
                                        "--out", tmp_path / f"p_{name}", "--device", "cpu", "--quiet"])
        assert rc == 0, err
    a = cv2.imread(str(tmp_path / "p_one" / "s.png"), cv2.IMREAD_GRAYSCALE).astype(np.int64)
    b = cv2.imread(str(tmp_path / "p_two" / "s.png"), cv2.IMREAD_GRAYSCALE)
    assert a.shape == (40, 900) and b.shape == (80, 1800)
    b1 = cv2.resize(b, (900, 40), interpolation=cv2.INTER_AREA).astype(np.int64)
    assert np.abs(a - b1).max() <= 2 and np.abs(a - b1).mean() < 0.5  # before: 5 and 0.75 with this model

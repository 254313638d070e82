"""Eval and model API inputs from a notebook (review s33 A1): H x W x 1 maps, float and empty maps, float64 and
NumPy images.

SODMetrics refused an H x W x 1 uint8 map that FixationMetrics takes, and a float 0-1 map without saying what to
do; FixationMetrics refused an H x W x 1 fixation map (its prediction was taken) and crashed in OpenCV on an empty
one; a model fed a float64 tensor or a NumPy array failed deep inside a convolution. Each map error is now one line
naming the parameter (a UserError that is still a ValueError, as before); the model refuses with a TypeError naming
``x``. Expected values are worked by hand with numpy (MAE: PySODMetrics' min-max of pred / 255 against gt > 128;
NSS: z-score with ddof=1 at the fixated pixels; CC: Pearson).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from saliency import models
from saliency.base.errors import UserError
from saliency.eval import FixationMetrics, SODMetrics, fixation_image_scores, sod_image_scores

H, W = 30, 40


@pytest.fixture()
def sod_pair():
    rng = np.random.default_rng(11)
    gt = np.zeros((H, W), np.uint8)
    gt[8:22, 10:30] = 255
    pred = np.clip(gt * 0.7 + rng.integers(0, 60, (H, W)), 0, 255).astype(np.uint8)
    return pred, gt


@pytest.fixture()
def fix_maps():
    rng = np.random.default_rng(5)
    sal = rng.random((H, W))
    fix = np.zeros((H, W))
    fix[rng.integers(0, H, 10), rng.integers(0, W, 10)] = 1
    dens = rng.random((H, W))
    return sal, fix, dens


def hand_mae(pred: np.ndarray, gt: np.ndarray) -> float:
    x = pred.astype(np.float64) / 255
    x = (x - x.min()) / (x.max() - x.min())
    return float(np.abs(x - (gt > 128)).mean())


def hand_nss(s, f):
    z = (s - s.mean()) / s.std(ddof=1)
    return float(z[f > 0].mean())


def _refused(exc: pytest.ExceptionInfo, param: str) -> str:
    """The message: one line starting with the parameter's name, no command-line flag; still a ValueError."""
    assert isinstance(exc.value, ValueError)  # what the checks raised before: a caller catching that still does
    text = str(exc.value)
    assert text.startswith(param + " ") and "--" not in text and "\n" not in text, text
    return text


# ----------------------------------------------------------------------------- 1. SOD maps

def test_sod_single_channel_maps_score_as_their_grey_map(sod_pair):
    pred, gt = sod_pair
    acc = SODMetrics(metrics=("MAE",))
    s = acc.step(pred[..., None], gt)  # was "ValueError pred must be a 2-D uint8 array ... (30, 40, 1)"
    assert s.mae == pytest.approx(hand_mae(pred, gt), abs=1e-12)
    acc.step(pred[:, ::-1, None], gt[:, ::-1, None])
    assert acc.results()["MAE"] == pytest.approx(hand_mae(pred, gt), abs=1e-12)
    assert sod_image_scores(pred, gt[..., None], families={"mae"}).mae == pytest.approx(hand_mae(pred, gt), abs=1e-12)


def test_sod_float_map_gets_the_conversion_advice(sod_pair):
    pred, gt = sod_pair
    p01 = pred / 255.0
    with pytest.raises(UserError) as e:  # was a bare "must be a 2-D uint8 array, got float64"
        SODMetrics().step(p01, gt)
    text = _refused(e, "pred")
    assert "float64" in text and "multiply by 255 and round to uint8" in text
    with pytest.raises(UserError) as e:
        SODMetrics().step(p01.astype(np.float32)[..., None], gt)
    assert "float32" in _refused(e, "pred")
    advised = np.round(p01 * 255).astype(np.uint8)  # the advised conversion gives back the levels
    assert SODMetrics(metrics=("MAE",)).step(advised, gt).mae == pytest.approx(hand_mae(pred, gt), abs=1e-12)


def test_sod_bool_mask_advice_keeps_the_foreground(sod_pair):
    pred, gt = sod_pair
    with pytest.raises(UserError) as e:
        sod_image_scores(pred, gt > 0)
    text = _refused(e, "gt")
    assert "* 255" in text
    fixed = (gt > 0).astype(np.uint8) * 255  # as advised: the foreground stays foreground (> 128)
    assert sod_image_scores(pred, fixed, families={"mae"}).mae == pytest.approx(hand_mae(pred, gt), abs=1e-12)


def test_sod_other_bad_maps_name_the_parameter(sod_pair):
    pred, gt = sod_pair
    with pytest.raises(UserError) as e:
        SODMetrics().step(np.dstack([pred] * 3), gt)
    assert "(30, 40, 3)" in _refused(e, "pred") and "colour" in str(e.value)
    with pytest.raises(UserError) as e:
        SODMetrics().step(pred.tolist(), gt)
    assert "list" in _refused(e, "pred")
    with pytest.raises(UserError) as e:
        SODMetrics().step(pred, gt.astype(np.int64))
    assert "int64" in _refused(e, "gt")
    with pytest.raises(UserError) as e:
        SODMetrics().step(pred[:20], gt)
    assert "gt (30, 40)" in _refused(e, "pred")
    with pytest.raises(UserError) as e:
        SODMetrics().step(pred[:0], gt[:0])
    assert "empty" in _refused(e, "pred")
    assert "--pred" in e.value.render(lambda p: "--" + p)  # a backticked parameter, for the command line to spell


# ----------------------------------------------------------------------------- 2. fixation maps

def test_single_channel_fixation_map_is_taken_as_its_grey_map(fix_maps):
    sal, fix, dens = fix_maps
    acc = FixationMetrics(metrics=("NSS", "CC"))
    v = acc.step(sal, fix[..., None], density=dens).values  # was "fixation map must be 2-D, got (30, 40, 1)"
    assert v["NSS"] == pytest.approx(hand_nss(sal, fix), abs=1e-12)
    assert v["CC"] == pytest.approx(np.corrcoef(sal.ravel(), dens.ravel())[0, 1], abs=1e-12)
    v = fixation_image_scores(sal, fix[None, :, :, None], metrics=("NSS",)).values
    assert v["NSS"] == pytest.approx(hand_nss(sal, fix), abs=1e-12)


def test_single_channel_fixation_map_with_a_fixation_pool(fix_maps):
    sal, fix, _ = fix_maps
    other = np.zeros((H, W))
    other[[3, 12, 25], [5, 20, 33]] = 1
    acc = FixationMetrics(metrics=("NSS", "sAUC"), fixation_pool=[fix, other])
    v = acc.step(sal, fix[..., None]).values
    assert v["NSS"] == pytest.approx(hand_nss(sal, fix), abs=1e-12) and np.isfinite(v["sAUC"])


def test_empty_maps_are_refused_naming_the_parameter(fix_maps):
    sal, fix, dens = fix_maps
    with pytest.raises(UserError) as e:  # was cv2.error (-215:Assertion failed) inv_scale_x > 0
        FixationMetrics().step(sal, np.zeros((0, 0)))
    assert "empty" in _refused(e, "fixations")
    with pytest.raises(UserError) as e:
        fixation_image_scores(sal, None, np.zeros((0, 5)))
    assert "empty" in _refused(e, "density")
    with pytest.raises(UserError) as e:
        fixation_image_scores(np.zeros((0, 0)), fix, metrics=("NSS",))
    assert "empty" in _refused(e, "pred")


def test_colour_fixation_map_is_refused_naming_fixations(fix_maps):
    sal, fix, dens = fix_maps
    with pytest.raises(UserError) as e:  # was "ValueError fixation map must be 2-D"
        FixationMetrics().step(sal, np.dstack([fix] * 3), density=dens)
    assert "(30, 40, 3)" in _refused(e, "fixations")


# ----------------------------------------------------------------------------- 3. model input

@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return models.create_model("unet_tiny_cbam_sod").eval()


def test_float64_image_is_refused_naming_x(net):
    x = torch.rand(1, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        with pytest.raises(TypeError, match=r"`x`.*float64.*float32.*x\.float\(\)"):  # was a RuntimeError in conv
            net(x)
        out = net(x.float())  # the advised conversion works
    assert out.shape == (1, 1, 32, 32) and out.dtype == torch.float32 and torch.isfinite(out).all()


def test_numpy_image_is_refused_naming_x(net):
    a = np.random.default_rng(0).random((1, 3, 32, 32), dtype=np.float32)
    with torch.no_grad():
        with pytest.raises(TypeError, match=r"`x`.*torch tensor.*numpy\.ndarray.*torch\.from_numpy"):
            net(a)  # was AttributeError: 'numpy.ndarray' object has no attribute 'is_floating_point'
        assert net(torch.from_numpy(a)).shape == (1, 1, 32, 32)


def test_model_dtype_follows_the_model():
    """The refusal compares with the model's own dtype: a float64 model takes a float64 image, and a float32 one
    under autocast still takes its float32 input."""
    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_sod").eval()
    x = torch.rand(1, 3, 16, 16)
    mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64).reshape(1, 3, 1, 1)
    m64 = m.double()
    with pytest.raises(TypeError, match=r"`x`.*float32.*float64.*x\.double\(\)"):
        m64.normalize(x)
    assert torch.allclose(m64.normalize(x.double()), (x.double() - mean) / std, atol=1e-6)  # float32 constants
    m32 = m64.float()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.isfinite(m32(x)).all()

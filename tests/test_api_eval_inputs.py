"""The eval API called as a notebook calls it: colour maps, metric names and human maps it cannot score.

A colour prediction or IG baseline (H x W x 3) was scored on its flattened channels (a wrong NSS) or crashed
deep inside; a bare string or an unknown name in ``metrics`` / ``families`` gave NaN or the wrong metric; a NaN
or negative human map silently left the image out of CC/KLD/SIM. Each is now a UserError naming the parameter.
Expected values are worked by hand with numpy (NSS: z-score with ddof=1 at the fixated pixels; CC: Pearson;
MAE: PySODMetrics' min-max of pred / 255 against gt > 128).
"""

from __future__ import annotations

import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.eval import FixationMetrics, SODMetrics, fixation_image_scores, sod_image_scores

H, W = 30, 40


@pytest.fixture()
def maps():
    rng = np.random.default_rng(7)
    grey = rng.random((H, W))
    fix = np.zeros((H, W))
    fix[rng.integers(0, H, 12), rng.integers(0, W, 12)] = 1
    dens = rng.random((H, W))
    return grey, fix, dens


def hand_nss(s, f):
    z = (s - s.mean()) / s.std(ddof=1)
    return float(z[f > 0].mean())


def _refused(exc: pytest.ExceptionInfo, param: str) -> str:
    text = str(exc.value)
    assert text.startswith(param + " ") and "--" not in text and "\n" not in text, text
    return text


# ----------------------------------------------------------------------------- 1. colour / H x W x 1 maps

def test_colour_prediction_is_refused_naming_pred(maps):
    grey, fix, dens = maps
    rgb = np.stack([grey, np.zeros_like(grey), np.ones_like(grey)], axis=2)
    with pytest.raises(UserError) as e:  # was NSS 0.08 of the flattened channels (grey alone: another value)
        FixationMetrics(metrics=("NSS",)).step(rgb, fix)
    assert "(30, 40, 3)" in _refused(e, "pred")
    with pytest.raises(UserError) as e:  # was "ValueError: object too deep for desired array"
        FixationMetrics().step(rgb, fix)
    _refused(e, "pred")
    with pytest.raises(UserError) as e:  # was a broadcast error in CC
        FixationMetrics(metrics=("CC", "KLD", "SIM")).step(rgb, fix, density=dens)
    _refused(e, "pred")
    with pytest.raises(UserError) as e:  # another size, resized before: still refused
        fixation_image_scores(rgb[::2, ::2], fix, metrics=("NSS",))
    _refused(e, "pred")


def test_colour_baseline_is_refused_naming_baseline(maps):
    grey, fix, _ = maps
    rgb = np.stack([grey, grey, grey], axis=2)
    with pytest.raises(UserError) as e:
        fixation_image_scores(grey, fix, None, rgb, metrics=("IG", "LL"))
    _refused(e, "baseline")
    acc = FixationMetrics(metrics=("IG",), baseline=rgb)
    with pytest.raises(UserError) as e:
        acc.step(grey, fix)
    _refused(e, "baseline")


def test_single_channel_maps_score_as_their_grey_map(maps):
    grey, fix, dens = maps
    acc = FixationMetrics(metrics=("NSS", "sAUC"))  # sAUC deferred: the kept map is the H x W one
    assert acc.step(grey[..., None], fix).values["NSS"] == pytest.approx(hand_nss(grey, fix), abs=1e-12)
    acc.step(grey[::-1, :, None], fix[:, ::-1])
    r = acc.results()
    assert r["n_images"] == 2 and np.isfinite(r["sAUC"])
    v = fixation_image_scores(grey, fix, dens[..., None], metrics=("CC",)).values  # was "differ in size"
    assert v["CC"] == pytest.approx(np.corrcoef(grey.ravel(), dens.ravel())[0, 1], abs=1e-12)


# ----------------------------------------------------------------------------- 2. metric / family names

def test_fixation_metric_names_are_checked(maps):
    grey, fix, _ = maps
    with pytest.raises(ValueError, match="nss"):  # was {'nss': nan, 'CC': nan}
        fixation_image_scores(grey, fix, metrics=("nss", "CC"))
    with pytest.raises(UserError) as e:  # was {'N': nan, 'S': nan}
        fixation_image_scores(grey, fix, metrics="NSS")
    assert "('NSS',)" in _refused(e, "metrics")
    with pytest.raises(UserError) as e:  # the accumulator says the same (was: unknown ['N', 'S', 'S'])
        FixationMetrics(metrics="NSS")
    _refused(e, "metrics")
    v = fixation_image_scores(grey, fix, metrics=["NSS"]).values
    assert list(v) == ["NSS"] and v["NSS"] == pytest.approx(hand_nss(grey, fix), abs=1e-12)


def test_sod_family_names_are_checked():
    rng = np.random.default_rng(3)
    pred = (rng.random((H, W)) * 255).astype(np.uint8)
    gt = np.zeros((H, W), np.uint8)
    gt[5:20, 10:30] = 255
    with pytest.raises(UserError) as e:  # was: MAE NaN and the E-measure computed (the characters m, a, e)
        sod_image_scores(pred, gt, families="mae")
    assert "{'mae'}" in _refused(e, "families")
    with pytest.raises(UserError) as e:  # was: every value NaN
        sod_image_scores(pred, gt, families={"F", "MAE"})
    text = _refused(e, "families")
    assert "'F'" in text and "'MAE'" in text and "mae, f, s, e, wf, auc" in text
    with pytest.raises(UserError) as e:
        SODMetrics(metrics="MAE")
    _refused(e, "metrics")
    s = sod_image_scores(pred, gt, families=["mae"])
    x = pred / 255
    x = (x - x.min()) / (x.max() - x.min())
    assert s.mae == pytest.approx(np.abs(x - (gt > 128)).mean(), abs=1e-12)
    assert np.isnan(s.eadp) and s.ecurve is None


# ----------------------------------------------------------------------------- 3. human maps

@pytest.mark.parametrize("bad, what", [(np.nan, "NaN"), (np.inf, "infinite"), (-0.25, "negative")])
def test_non_finite_or_negative_density_is_refused(maps, bad, what):
    grey, fix, dens = maps
    d = dens.copy()
    d[3, 4] = bad
    with pytest.raises(UserError) as e:  # was: CC/KLD/SIM NaN, the image "excluded" without a reason
        fixation_image_scores(grey, fix, d)
    assert what in _refused(e, "density")
    acc = FixationMetrics(metrics=("CC", "KLD", "SIM"))
    with pytest.raises(UserError):
        acc.step(grey, fix, density=d)
    assert len(acc) == 0


def test_blank_density_is_still_left_out_as_documented(maps):
    """An all-zero human map (an image nobody looked at) stays out of CC/KLD/SIM, counted in ``excluded``."""
    grey, fix, _ = maps
    acc = FixationMetrics(metrics=("NSS", "CC", "KLD", "SIM"))
    acc.step(grey, fix, density=np.zeros((H, W)))
    r = acc.results()
    assert r["excluded"] == {"NSS": 0, "CC": 1, "KLD": 1, "SIM": 1}
    assert r["NSS"] == pytest.approx(hand_nss(grey, fix), abs=1e-12)

"""SOD metrics against PySODMetrics 1.6.2 (oracle) and sklearn's ROC AUC.

Tolerance: 1e-10 absolute on every key (our sums run over histograms instead
of pixels, so they differ from the reference's by rounding only, ~1e-16).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saliency.eval import SODMetrics
from saliency.eval.sod import sod_image_scores

py_sod_metrics = pytest.importorskip("py_sod_metrics")
sklearn_metrics = pytest.importorskip("sklearn.metrics")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TOL = 1e-10


class _SmeasureNoEmptyRegion(py_sod_metrics.Smeasure):
    """The reference, except that an empty region (weight 0) contributes 0 instead of NaN."""

    def ssim(self, pred, gt):
        if pred.size == 0:
            return 0.0
        return super().ssim(pred, gt)


def reference(pred, gt):
    """Per-image values from PySODMetrics' own classes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, f, s, e, w = (py_sod_metrics.MAE(), py_sod_metrics.Fmeasure(), _SmeasureNoEmptyRegion(),
                         py_sod_metrics.Emeasure(), py_sod_metrics.WeightedFmeasure())
        for x in (m, f, s, e, w):
            x.step(pred, gt)
    return {"mae": m.maes[0], "fadp": f.adaptive_fms[0], "fcurve": f.changeable_fms[0],
            "precision": f.precisions[0], "recall": f.recalls[0], "smeasure": s.sms[0],
            "eadp": e.adaptive_ems[0], "ecurve": e.changeable_ems[0], "wf": w.weighted_fms[0]}


@st.composite
def pairs(draw):
    h = draw(st.integers(1, 500))
    w = draw(st.integers(1, 500))  # the range: 1x1 to 500x500
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    gk = draw(st.sampled_from(["binary", "graded", "empty", "full", "blob", "edge128"]))
    if gk == "binary":
        gt = (rng.random((h, w)) < rng.random()).astype(np.uint8) * 255
    elif gk == "graded":
        gt = rng.choice(np.array([0, 85, 113, 128, 129, 142, 199, 227, 255], np.uint8), (h, w))
    elif gk == "empty":
        gt = np.zeros((h, w), np.uint8)
    elif gk == "full":
        gt = np.full((h, w), 255, np.uint8)
    elif gk == "edge128":
        gt = rng.choice(np.array([128, 129], np.uint8), (h, w))
    else:
        gt = np.zeros((h, w), np.uint8)
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        gt[y0:y0 + rng.integers(1, h + 1), x0:x0 + rng.integers(1, w + 1)] = 255
    pk = draw(st.sampled_from(["constant", "uniform", "binary", "few", "smooth"]))
    if pk == "constant":
        pred = np.full((h, w), rng.integers(0, 256), np.uint8)
    elif pk == "uniform":
        pred = rng.integers(0, 256, (h, w), dtype=np.uint8)
    elif pk == "binary":
        pred = (rng.random((h, w)) < 0.5).astype(np.uint8) * 255
    elif pk == "few":
        pred = rng.choice(rng.integers(0, 256, 3).astype(np.uint8), (h, w))
    else:
        pred = np.clip(gt.astype(float) * 0.6 + rng.normal(60, 40, (h, w)), 0, 255).astype(np.uint8)
    return pred, gt


def _compare(pred, gt):
    ours = sod_image_scores(pred, gt)
    ref = reference(pred, gt)
    for k, v in ref.items():
        a = np.asarray(getattr(ours, k), dtype=float)
        b = np.asarray(v, dtype=float)
        assert a.shape == b.shape, k
        assert np.all(np.abs(a - b) <= TOL), (k, pred.shape, float(np.max(np.abs(a - b))))
    g = gt > 128
    if 0 < g.sum() < g.size:
        lut = np.arange(256) / 255
        if pred.max() != pred.min():
            lut = (lut - lut[pred.min()]) / (lut[pred.max()] - lut[pred.min()])
        q = (lut[pred] * 255).astype(np.uint8)
        assert abs(ours.auc - sklearn_metrics.roc_auc_score(g.ravel(), q.ravel())) <= TOL
    else:
        assert not ours.auc_defined


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs())
def test_parity_with_pysodmetrics_on_random_pairs(pair):
    _compare(*pair)


def test_parity_on_large_sparse_gt_uses_long_distances():
    # one GT pixel in a corner of 500x500: background distances up to ~706 px
    gt = np.zeros((500, 500), np.uint8)
    gt[3, 5] = 255
    pred = np.random.default_rng(1).integers(0, 256, (500, 500), dtype=np.uint8)
    _compare(pred, gt)


def test_smeasure_reference_nan_case_is_finite_and_matches_dropping_the_empty_region():
    # GT only in the last row: the reference's bottom regions are empty (NaN there)
    gt = np.zeros((6, 7), np.uint8)
    gt[5, 2:5] = 255
    pred = np.random.default_rng(0).integers(0, 256, (6, 7), dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = py_sod_metrics.Smeasure()
        raw.step(pred, gt)
    assert np.isnan(raw.sms[0])
    ours = sod_image_scores(pred, gt).smeasure
    assert np.isfinite(ours) and abs(ours - reference(pred, gt)["smeasure"]) <= TOL


def test_accumulator_matches_reference_aggregation():
    rng = np.random.default_rng(3)
    acc = SODMetrics()
    refs = [py_sod_metrics.MAE(), py_sod_metrics.Smeasure(), py_sod_metrics.Emeasure(),
            py_sod_metrics.WeightedFmeasure()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fm = py_sod_metrics.Fmeasure()
        for i in range(6):
            h, w = rng.integers(20, 60, 2)
            gt = np.zeros((h, w), np.uint8) if i == 0 else (rng.random((h, w)) < 0.3).astype(np.uint8) * 255
            pred = rng.integers(0, 256, (h, w), dtype=np.uint8)
            acc.step(pred, gt)
            for r in refs + [fm]:
                r.step(pred, gt)
    res = acc.results()
    f = fm.get_results()
    e = refs[2].get_results()["em"]
    expect = {"MAE": refs[0].get_results()["mae"], "Smeasure": refs[1].get_results()["sm"],
              "wF": refs[3].get_results()["wfm"], "Fmax": f["fm"]["curve"].max(), "Fmean": f["fm"]["curve"].mean(),
              "Fadp": f["fm"]["adp"], "Emax": e["curve"].max(), "Emean": e["curve"].mean(), "Eadp": e["adp"]}
    for k, v in expect.items():
        assert abs(res[k] - v) <= TOL, k
    assert np.allclose(res["curves"]["precision"], f["pr"]["p"], atol=TOL, rtol=0)
    assert np.allclose(res["curves"]["recall"], f["pr"]["r"], atol=TOL, rtol=0)
    assert res["excluded"] == {k: int(k == "AUC") for k in SODMetrics().metrics} and res["n_images"] == 6
    assert set(res) >= {"MAE", "Fmax", "Fmean", "Fadp", "Smeasure", "Emax", "Emean", "Eadp", "wF", "AUC", "curves"}


def test_metric_subset_and_bad_input():
    acc = SODMetrics(metrics=("MAE", "Smeasure"))
    acc.step(np.zeros((4, 4), np.uint8), np.full((4, 4), 255, np.uint8))
    assert set(acc.results()) == {"MAE", "Smeasure", "curves", "n_images", "excluded"}
    assert acc.results()["excluded"] == {"MAE": 0, "Smeasure": 0}
    with pytest.raises(ValueError):
        SODMetrics(metrics=("nope",))
    with pytest.raises(ValueError):
        sod_image_scores(np.zeros((3, 4), np.uint8), np.zeros((4, 3), np.uint8))
    with pytest.raises(ValueError):
        sod_image_scores(np.zeros((3, 4), np.float32), np.zeros((3, 4), np.uint8))


@pytest.mark.real_data
def test_recorded_reference_values_on_shared_samples():
    import cv2

    root = SHARED / "sod_pysodmetrics"
    if not root.is_dir():
        pytest.skip("../shared/data is absent")
    rec = json.loads((root / "version_performance.json").read_text())["v1_4_3"]
    acc = SODMetrics()
    for p in sorted((root / "masks").glob("*.png")):
        gt = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        pred = cv2.imread(str(root / "preds" / p.name), cv2.IMREAD_GRAYSCALE)
        acc.step(pred, gt)
    res = acc.results()
    pairs_ = {"MAE": "MAE", "Smeasure": "Smeasure", "wF": "wFmeasure", "Eadp": "adpEm", "Emean": "meanEm",
              "Emax": "maxEm", "Fadp": "adpFm", "Fmean": "meanFm", "Fmax": "maxFm"}
    for ours, theirs in pairs_.items():
        assert abs(res[ours] - rec[theirs]) <= TOL, ours

"""The fast paths of the weighted F-measure against independent oracles.

- squared distances recovered from OpenCV's float32 transform against SciPy's
  exact Euclidean distance transform (``scipy.ndimage.distance_transform_edt``);
- the background-weight table against the reference's formula, bit for bit;
- the weighted F-measure (bounding-box crop, nearest-GT fill, table) against
  PySODMetrics 1.6.2 on the cases the crop and the table must get right: GT at
  every border, GT far inside a large image, ties, one pixel, thin lines, and
  distances past the table's 1024-pixel limit (SciPy fallback). Tolerance
  1e-10 absolute, as in ``tests/test_eval_sod.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt

from saliency.eval import sod

py_sod_metrics = pytest.importorskip("py_sod_metrics")
TOL = 1e-10


def _ref_wf(pred, gt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = py_sod_metrics.WeightedFmeasure()
        w.step(pred, gt)
    return w.weighted_fms[0]


def _ours_wf(pred, gt):
    return sod.sod_image_scores(pred, gt, {"wf"}).wf


def test_squared_distances_exact_against_scipy():
    rng = np.random.default_rng(0)
    for h, w, density in [(300, 400, 0.001), (257, 611, 0.0001), (64, 1000, 0.0), (31, 17, 0.3)]:
        g = rng.random((h, w)) < density
        g[rng.integers(h), rng.integers(w)] = True
        d2 = sod._exact_d2(sod._edt32(~g))
        ref = np.rint(distance_transform_edt(~g) ** 2)
        assert d2.dtype == np.int32 and np.array_equal(d2, ref.astype(np.int32))
    g = np.zeros((1, 1025), bool)  # distances 0 .. 1024: the table's whole range
    g[0, 0] = True
    assert np.array_equal(sod._exact_d2(sod._edt32(~g))[0], np.arange(1025) ** 2)


def test_background_weight_table_is_the_reference_formula():
    t = sod._bg_weight(5000)
    d2 = np.arange(1, 5001)
    assert t[0] == 0.0
    assert np.array_equal(t[1:5001], 2 - np.exp(np.log(0.5) / 5 * np.sqrt(d2.astype(np.float64))))
    assert sod._bg_weight(10).size >= 5001  # grows, never shrinks


def test_lut_apply_equals_indexing():
    rng = np.random.default_rng(1)
    pred = rng.integers(0, 256, (40, 70), dtype=np.uint8)
    lut = sod.normalisation_lut(pred)
    for p in (pred, pred[:, ::3], pred.T):
        assert np.array_equal(sod._lut_apply(p, lut), lut[p])


def _cases():
    rng = np.random.default_rng(7)
    H, W = 120, 160
    out = []
    for name, sl in [("top-left corner", np.s_[0:20, 0:30]), ("bottom-right corner", np.s_[100:, 130:]),
                     ("left edge", np.s_[40:80, 0:2]), ("full width", np.s_[50:60, :]),
                     ("far inside", np.s_[70:74, 90:95]), ("one pixel", np.s_[60, 80]),
                     ("thin diagonal", None), ("checker ties", None), ("one pixel at the border", np.s_[0, 5])]:
        gt = np.zeros((H, W), np.uint8)
        if name == "thin diagonal":
            idx = np.arange(100)
            gt[idx + 10, idx + 30] = 255
        elif name == "checker ties":
            gt[30:90:4, 40:120:4] = 255
        else:
            gt[sl] = 255
        out.append((name, rng.integers(0, 256, (H, W), dtype=np.uint8), gt))
    return out


@pytest.mark.parametrize("name,pred,gt", _cases(), ids=[c[0] for c in _cases()])
def test_weighted_f_crop_cases_match_pysodmetrics(name, pred, gt):
    assert abs(_ours_wf(pred, gt) - _ref_wf(pred, gt)) <= TOL


def test_weighted_f_past_the_table_limit_matches_pysodmetrics():
    # one GT pixel in a corner of 760x760: background distances up to ~1073 > 1024 (SciPy fallback)
    gt = np.zeros((760, 760), np.uint8)
    gt[2, 3] = 255
    pred = np.random.default_rng(2).integers(0, 256, (760, 760), dtype=np.uint8)
    assert float(sod._edt32(gt <= 128).max()) > 1024
    assert abs(_ours_wf(pred, gt) - _ref_wf(pred, gt)) <= TOL

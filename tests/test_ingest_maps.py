"""Map building against scipy.ndimage.gaussian_filter (the oracle) and the SALICON API construction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

from saliency.data_tools.maps import MapPolicy, blur, blur_points, normalize, saliency_map, to_uint
from saliency.base.errors import UserError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 60), w=st.integers(1, 60), n=st.integers(0, 200), sigma=st.floats(0.3, 30),
       border=st.sampled_from(["constant", "reflect", "nearest"]), seed=st.integers(0, 2**16))
def test_blur_points_equals_gaussian_filter(h, w, n, sigma, border, seed):
    rng = np.random.default_rng(seed)
    r, c, wt = rng.integers(0, h, n), rng.integers(0, w, n), rng.random(n)
    F = np.zeros((h, w))
    np.add.at(F, (r, c), wt)
    ref = gaussian_filter(F, sigma, mode=border)
    np.testing.assert_allclose(blur_points((h, w), r, c, wt, sigma, border), ref, atol=1e-12)
    np.testing.assert_allclose(blur(F, sigma, border), ref, atol=1e-12)


def test_tiled_path_and_anisotropic_sigma():
    rng = np.random.default_rng(0)
    h, w, n = 300, 420, 250  # n < h + w: tiled sparse product
    r, c = rng.integers(0, h, n), rng.integers(0, w, n)
    for border in ("constant", "reflect", "nearest"):
        F = np.zeros((h, w))
        np.add.at(F, (r, c), 1.0)
        ref = gaussian_filter(F, (7.5, 20.0), mode=border)  # (sigma_y, sigma_x)
        got = blur_points((h, w), r, c, np.ones(n), (20.0, 7.5), border)
        assert np.abs(got - ref).max() <= 1e-12 * ref.max() + 1e-15


def test_policies_hand_worked():
    size = (50, 40)
    x = np.array([10.0, 10.2, 30.0, 30.0])
    y = np.array([20.0, 19.9, 5.0, 5.0])
    subj = np.array(["a", "a", "a", "b"])
    dur = np.array([100.0, 300.0, 200.0, 400.0])
    F = np.zeros((40, 50))
    # binary: pixel (20,10) once, (5,30) once
    pol = MapPolicy((3.0, 3.0), "constant", binary=True)
    F[20, 10] = F[5, 30] = 1
    np.testing.assert_allclose(saliency_map(size, x, y, subj, dur, pol),
                               normalize(gaussian_filter(F, 3.0, mode="constant")), atol=1e-12)
    # duration weights: (20,10) gets 400, (5,30) gets 600
    F[:] = 0
    F[20, 10], F[5, 30] = 400, 600
    pol = MapPolicy((3.0, 3.0), weight="duration", normalize="max")
    m = saliency_map(size, x, y, subj, dur, pol)
    np.testing.assert_allclose(m, gaussian_filter(F, 3.0, mode="constant") / gaussian_filter(F, 3.0,
                               mode="constant").max(), atol=1e-12)
    # per subject: a has 3 fixations (1/3 each), b has 1 (weight 1)
    F[:] = 0
    F[20, 10], F[5, 30] = 2 / 3, 1 / 3 + 1
    pol = MapPolicy((3.0, 3.0), per_subject=True, normalize="sum")
    m = saliency_map(size, x, y, subj, dur, pol)
    ref = gaussian_filter(F, 3.0, mode="constant")
    np.testing.assert_allclose(m, ref / ref.sum(), atol=1e-12)
    assert m.sum() == pytest.approx(1.0)


def test_normalize_and_quantise():
    m = np.array([[1.0, 3.0], [2.0, 5.0]])
    np.testing.assert_allclose(normalize(m, "minmax"), [[0, 0.5], [0.25, 1]])
    np.testing.assert_allclose(normalize(m, "max"), m / 5)
    assert normalize(np.ones((2, 2)), "minmax").max() == 0
    assert to_uint(normalize(m), 8).tolist() == [[0, 128], [64, 255]]
    assert to_uint(normalize(m), 16).max() == 65535
    with pytest.raises(UserError):
        MapPolicy((3.0, 3.0), binary=True, weight="duration")
    with pytest.raises(UserError):
        normalize(m, "zscore")


@pytest.mark.real_data
def test_salicon_parity(tmp_path):
    src = SHARED / "salicon_examples"
    if not src.is_dir():
        pytest.skip("../shared/data/salicon_examples is absent")
    from saliency.cli import main

    js = src / "fixations_train2014examples.json"
    out = tmp_path / "d"
    assert main(["ingest", str(js), "--stimuli", str(src / "images"), "--out", str(out), "--sigma-px", "19",
                 "--border", "reflect", "--binary-fixations", "--normalize", "minmax", "--map-format", "npy",
                 "--no-ioc"]) == 0
    d = json.loads(js.read_text())
    names = {im["id"]: (im["file_name"], im["height"], im["width"]) for im in d["images"]}
    by_img = {}
    for ann in d["annotations"]:
        by_img.setdefault(ann["image_id"], []).append(ann)
    for img_id, anns in by_img.items():
        name, h, w = names[img_id]
        # the SALICON API's buildFixMap, verbatim in numpy/scipy
        sal = np.zeros((h, w))
        for ann in anns:
            for row, col in ann["fixations"]:
                sal[row - 1][col - 1] = 1
        sal = gaussian_filter(sal, 19)
        sal -= np.min(sal)
        sal /= np.max(sal)
        ours = np.load(out / "maps" / f"{Path(name).stem}.npy")
        assert np.abs(ours.astype(np.float64) - sal).max() <= 1e-6


def test_non_positive_sigma_names_the_sigma_px_parameter():
    """A bad blur is reported against `sigma_px`: the Python name, or --sigma-px on the command line."""
    from saliency.base.errors import cli_flag

    with pytest.raises(UserError) as e:
        MapPolicy((0.0, 2.0))
    assert str(e.value) == "sigma_px (0.0, 2.0) px: must be positive"
    assert e.value.render(cli_flag) == "--sigma-px (0.0, 2.0) px: must be positive"
    with pytest.raises(UserError) as e:
        blur(np.ones((4, 4)), -1.0)
    assert e.value.render(cli_flag) == "--sigma-px -1.0: must be a positive number of pixels"
    with pytest.raises(UserError) as e:
        blur_points((4, 4), [1], [1], [1.0], float("nan"))
    assert str(e.value) == "sigma_px nan: must be a positive number of pixels"

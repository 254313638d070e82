"""OSIE as a named dataset (eval/datasets.py) and human-map-only datasets scored with CC, KLD and SIM.

Oracles: a small ``fixations.mat`` written with ``scipy.io.savemat`` in OSIE's
cell-of-structs layout with points worked by hand (MATLAB ``round`` and the
clip of the authors' ``computeFixationMaps.m``); the human map built
independently with ``scipy.signal.fftconvolve`` and a normalised Gaussian
window (``fspecial``, zero padding, min-max), as the authors' code does; and,
marked ``real_data``, the shared OSIE file (700 images, 15 observers each,
98,321 fixations) and ``mit1003_subset100`` (maps only).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from saliency.eval import datasets as D
from saliency.eval.runner import human_map

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _write_osie(root: Path, entries: dict, size=(30, 40)):
    """entries: stem -> list of per-observer (xs, ys); writes eye/fixations.mat and grey stimuli of ``size`` (h, w)."""
    import cv2
    import scipy.io

    (root / "eye").mkdir(parents=True)
    (root / "stimuli").mkdir()
    cells = np.empty((1, len(entries)), dtype=object)
    for i, (stem, subs) in enumerate(entries.items()):
        cv2.imwrite(str(root / "stimuli" / f"{stem}.jpg"), np.full((*size, 3), 128, np.uint8))
        sc = np.empty((1, len(subs)), dtype=object)
        for j, (xs, ys) in enumerate(subs):
            sc[0, j] = {"fix_x": np.asarray(xs, float), "fix_y": np.asarray(ys, float),
                        "fix_duration": np.full(len(xs), 200.0)}
        cells[0, i] = {"img": f"{stem}.jpg", "subjects": sc}
    scipy.io.savemat(str(root / "eye" / "fixations.mat"), {"fixations": cells})


def test_read_osie_and_points_as_the_authors_round_them(tmp_path):
    train = D.split_stems("OSIE", "train")[0]
    test = D.split_stems("OSIE", "test")[0]
    _write_osie(tmp_path / "osie", {
        train: [([1.2, 2.5, 39.6], [1.0, 7.49, 30.4]), ([20.0], [15.0])],
        test: [([0.4, 40.9], [3.5, 12.0]), ([10.0, 11.0, 12.0], [5.0, 5.0, 5.0]), ([5.0], [5.0])],
    })
    fx = D.read_osie(tmp_path / "osie" / "eye" / "fixations.mat")
    assert sorted(fx) == sorted([train, test]) and len(fx[test]) == 3
    assert np.allclose(fx[train][0], [[1.2, 1.0], [2.5, 7.49], [39.6, 30.4]])
    # round (halves away from zero), clip to 1..W / 1..H, 0-based (row, col)
    pts = D.osie_points(fx[train][0], (30, 40))
    assert pts.tolist() == [[0, 0], [6, 2], [29, 39]]
    assert D.osie_points(fx[test][0], (30, 40)).tolist() == [[3, 0], [11, 39]]
    ds = D.published("OSIE", tmp_path, "test")  # root holds osie/
    assert [it.key for it in ds.items] == [test] and ds.task == "fixation" and ds.has_subjects
    it = ds.items[0]
    assert it.size == (30, 40) and len(it.subjects) == 3 and len(it.points) == 6
    assert it.sigma_px == D.OSIE_SIGMA_PX == 24.0
    assert any("not in eye/fixations.mat" in n for n in ds.notes)  # 199 test images missing: said, not hidden
    assert "training images" in ds.baseline_note and ds.baseline_logp.shape == (30, 40)
    full = D.published("OSIE", tmp_path / "osie")  # root is the dataset itself; no split: every image
    assert [x.key for x in full.items] == sorted([train, test])
    from saliency.base.errors import UserError

    with pytest.raises(UserError, match="split"):
        D.published("ECSSD", tmp_path, "test")
    with pytest.raises(UserError, match="no OSIE"):
        D.published("OSIE", tmp_path / "osie" / "stimuli")


def test_human_map_is_the_authors_construction():
    """Binary map of the pooled fixations, Gaussian sigma 24 (normalised window, zero padding), min-max."""
    from scipy.signal import fftconvolve

    shape = (120, 160)
    pts = [(10, 12), (60, 80), (60, 80), (119, 159), (5, 150)]
    binary = np.zeros(shape)
    for r, c in pts:
        binary[r, c] = 1.0
    rad = 84  # 3.5 sigma: the window of 169 px
    y, x = np.mgrid[-rad:rad + 1, -rad:rad + 1]
    k = np.exp(-(x ** 2 + y ** 2) / (2 * 24.0 ** 2))
    k /= k.sum()
    want = fftconvolve(binary, k, mode="same")  # zero padding outside the image
    want = (want - want.min()) / (want.max() - want.min())
    assert np.abs(human_map(pts, shape, 24.0) - want).max() < 1e-9


def test_split_file_is_fixed_and_disjoint():
    tr, te = D.split_stems("OSIE", "train"), D.split_stems("OSIE", "test")
    assert len(tr) == 500 and len(te) == 200 and not set(tr) & set(te)
    assert sorted(tr + te) == [str(i) for i in range(1001, 1701)]
    # the documented construction: numpy default_rng(13) permutation of the sorted stems, first 500 train
    perm = np.random.default_rng(13).permutation(700)
    assert tr == sorted(str(1001 + i) for i in perm[:500])


def test_map_only_folder_scores_cc_kld_sim_and_says_what_it_skipped(tmp_path, capsys):
    import cv2

    from saliency.cli import main

    gt = tmp_path / "subset"
    (gt / "maps").mkdir(parents=True)
    (gt / "stimuli").mkdir()
    pred = tmp_path / "pred"
    pred.mkdir()
    rng = np.random.default_rng(0)
    ccs = []
    for i in range(3):
        m = cv2.GaussianBlur((rng.random((24, 32)) * 255).astype(np.uint8), (0, 0), 2)
        p = cv2.GaussianBlur((rng.random((24, 32)) * 255).astype(np.uint8), (0, 0), 2)
        cv2.imwrite(str(gt / "maps" / f"im{i}.jpg"), m, [cv2.IMWRITE_JPEG_QUALITY, 100])
        cv2.imwrite(str(pred / f"im{i}.png"), p)
        m_read = cv2.imread(str(gt / "maps" / f"im{i}.jpg"), cv2.IMREAD_GRAYSCALE).astype(float)
        ccs.append(np.corrcoef(p.ravel().astype(float), m_read.ravel())[0, 1])
    out = tmp_path / "r.json"
    rc = main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"P={pred}", "--json", str(out), "--quiet"])
    assert rc == 0
    res = json.loads(out.read_text())["results"][0]
    assert res["metrics"]["CC"] == pytest.approx(np.mean(ccs), abs=1e-9)
    assert res["metrics"]["NSS"] is None and res["metrics"]["AUC_Judd"] is None
    assert res["excluded"]["NSS"] == 3
    text = capsys.readouterr().out
    assert "no fixation points (human maps only): only CC, KLD, SIM are scored" in text


@pytest.mark.real_data
def test_shared_osie_file():
    path = SHARED / "osie" / "eye" / "fixations.mat"
    if not path.is_file():
        pytest.skip("../shared/data/osie is absent")
    fx = D.read_osie(path)
    assert len(fx) == 700
    assert {len(subs) for subs in fx.values()} == {15}
    assert sum(len(a) for subs in fx.values() for a in subs) == 98321
    assert sorted(fx) == [str(i) for i in range(1001, 1701)]


@pytest.mark.real_data
def test_shared_mit1003_subset_maps_only(tmp_path):
    root = SHARED / "mit1003_subset100"
    if not root.is_dir():
        pytest.skip("../shared/data/mit1003_subset100 is absent")
    from saliency.eval import benchmark

    ds = D.fixation_folder(root)
    assert len(ds.items) == 100 and not ds.has_points
    # the human maps scored against themselves: CC 1, SIM 1, KLD 0 (three images, the rest allowed missing)
    pred = tmp_path / "self"
    pred.mkdir()
    for it in ds.items[:3]:
        (pred / Path(it.density).name).write_bytes(Path(it.density).read_bytes())
    b = benchmark.evaluate(task="fixation", pred=[f"self={pred}"], gt=str(root), metrics="CC,KLD,SIM",
                           allow_missing=True, progress=False)
    r = b.results[0]
    assert r.n_images == 3 and r.n_missing == 97
    assert r.metrics["CC"] == pytest.approx(1.0, abs=1e-12) and r.metrics["SIM"] == pytest.approx(1.0, abs=1e-12)
    assert r.metrics["KLD"] == pytest.approx(0.0, abs=1e-9)

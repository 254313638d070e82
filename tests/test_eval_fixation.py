"""Fixation metrics against a loop-by-loop numpy port of the MIT MATLAB code and hand-worked cases.

The oracle functions below follow cvzoya/saliency ``code_forMetrics`` line by
line (AUC_Judd.m with its jitter, AUC_Borji.m, AUC_shuffled.m, NSS.m, CC.m,
KLdiv.m, similarity.m, InfoGain.m); they share only ``matlab_colon`` with the
module. Tolerances are stated per test.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from saliency.eval import FixationMetrics
from saliency.eval import fixation as F

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
EPS = np.finfo(np.float64).eps  # MATLAB eps (2.2204e-16)


# ----------------------------------------------------------------------------- MIT oracle (port)

def mit_auc_judd_given_order(S, fix):
    """AUC_Judd.m on a map whose values are already all distinct."""
    S = S.ravel()
    Fm = fix.ravel()
    Sth = S[Fm > 0]
    nfix, npix = len(Sth), len(S)
    allthreshes = np.sort(Sth)[::-1]
    tp = np.zeros(nfix + 2)
    fp = np.zeros(nfix + 2)
    tp[-1] = fp[-1] = 1
    for i in range(1, nfix + 1):
        thresh = allthreshes[i - 1]
        aboveth = np.sum(S >= thresh)
        tp[i] = i / nfix
        fp[i] = (aboveth - i) / (npix - nfix)
    return np.trapezoid(tp, fp)


def expected_auc_judd_by_enumeration(S, fix):
    """Exact mean of MIT's jittered AUC-Judd: average over every tie-breaking order."""
    flat = S.ravel()
    groups = [np.flatnonzero(flat == v) for v in np.unique(flat)]
    perms = [list(itertools.permutations(range(len(g)))) for g in groups]
    total, count = 0.0, 0
    for choice in itertools.product(*perms):
        ranks = np.empty(flat.size)
        base = 0
        for g, perm in zip(groups, choice):
            ranks[g] = base + np.array(perm)
            base += len(g)
        total += mit_auc_judd_given_order(ranks.reshape(S.shape), fix)
        count += 1
    return total / count


def mit_auc_stepped(S, fix, randfix_cols, n_neg_div):
    S = S.ravel()
    Sth = S[fix.ravel() > 0]
    nfix = len(Sth)
    aucs = []
    for curfix in randfix_cols:
        allthreshes = F.matlab_colon(0.0, 0.1, float(max(np.max(Sth), np.max(curfix))))[::-1]
        tp = np.zeros(len(allthreshes) + 2)
        fp = np.zeros(len(allthreshes) + 2)
        tp[-1] = fp[-1] = 1
        for i, thresh in enumerate(allthreshes):
            tp[i + 1] = np.sum(Sth >= thresh) / nfix
            fp[i + 1] = np.sum(curfix >= thresh) / n_neg_div
        aucs.append(np.trapezoid(tp, fp))
    return np.mean(aucs)


def mit_norm(S):
    return (S - S.min()) / (S.max() - S.min())


def mit_nss(S, fix):
    m = (S - S.mean()) / np.std(S, ddof=1)
    return m[fix > 0].mean()


def mit_cc(a, b):
    a = (a - a.mean()) / np.std(a, ddof=1)
    b = (b - b.mean()) / np.std(b, ddof=1)
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


def mit_kl(s, g):
    s = s / s.sum()
    g = g / g.sum()
    return np.sum(g * np.log(EPS + g / (s + EPS)))


def mit_sim(a, b):
    a = mit_norm(a)
    a = a / a.sum()
    b = mit_norm(b)
    b = b / b.sum()
    return np.minimum(a, b).sum()


def mit_ig(s, fix, base):
    s = mit_norm(s).ravel()
    b = mit_norm(base).ravel()
    s, b = s / s.sum(), b / b.sum()
    loc = fix.ravel() > 0
    return np.mean(np.log2(EPS + s[loc]) - np.log2(EPS + b[loc]))


# ----------------------------------------------------------------------------- tests

def test_auc_judd_expected_tie_handling_equals_enumerated_mit_jitter():
    rng = np.random.default_rng(0)
    for _ in range(12):
        S = rng.integers(0, 3, (2, 4)).astype(float)
        fix = np.zeros((2, 4), bool)
        fix.flat[rng.choice(8, rng.integers(1, 4), replace=False)] = True
        assert abs(F.auc_judd(S, fix) - expected_auc_judd_by_enumeration(S, fix)) < 1e-12


def test_auc_judd_without_ties_is_mit_exactly():
    rng = np.random.default_rng(1)
    S = rng.random((30, 40))
    fix = rng.random((30, 40)) < 0.05
    assert abs(F.auc_judd(S, fix) - mit_auc_judd_given_order(S, fix)) < 1e-12


def test_constant_map_hand_worked():
    fix = np.zeros((20, 30), bool)
    fix[[1, 5, 9, 13], [2, 8, 20, 29]] = True
    nfix = 4
    S = np.full((20, 30), 0.3)
    assert abs(F.auc_judd(S, fix) - (0.5 + 0.5 / (nfix + 1))) < 1e-12
    assert F.nss(S, fix) == 0.0
    # MIT's jittered procedure in expectation (Monte Carlo, 400 draws: 4 sigma ~ 0.02)
    rng = np.random.default_rng(2)
    mc = np.mean([mit_auc_judd_given_order(S + rng.random(S.shape) / 1e7, fix) for _ in range(400)])
    assert abs(mc - (0.5 + 0.5 / (nfix + 1))) < 0.02


def test_map_equal_to_density_hand_worked():
    rng = np.random.default_rng(3)
    d = rng.random((25, 35)) + 0.1
    assert abs(F.cc(d, d) - 1) < 1e-12
    assert abs(F.kld(d, d)) < 1e-12
    assert abs(F.sim(d, d) - 1) < 1e-12


def test_continuous_metrics_match_mit_port():
    rng = np.random.default_rng(4)
    for _ in range(5):
        S = rng.random((40, 50)) ** 3
        G = rng.random((40, 50))
        fix = rng.random((40, 50)) < 0.03
        fix[0, 0] = True
        base = F.gaussian_center_bias((40, 50))
        assert abs(F.nss(S, fix) - mit_nss(S, fix)) < 1e-12
        assert abs(F.cc(S, G) - mit_cc(S, G)) < 1e-12
        assert abs(F.kld(S, G) - mit_kl(S, G)) < 1e-12
        assert abs(F.sim(S, G) - mit_sim(S, G)) < 1e-12
        assert abs(F.info_gain(S, fix, base) - mit_ig(S, fix, base)) < 1e-12


def test_borji_and_shuffled_match_mit_port_with_the_same_draws():
    rng0 = np.random.default_rng(5)
    S = np.round(rng0.random((30, 40)) * 255)
    fix = rng0.random((30, 40)) < 0.04
    other = rng0.random((30, 40)) < 0.03
    Sn = mit_norm(S)
    nfix = int(fix.sum())
    ours = F.auc_borji(S, fix, np.random.default_rng(9), n_splits=20)
    r = np.random.default_rng(9).integers(0, S.size, size=(nfix, 20))
    assert abs(ours - mit_auc_stepped(Sn, fix, [Sn.ravel()[r[:, s]] for s in range(20)], nfix)) < 1e-12
    ours = F.auc_shuffled(S, fix, other, np.random.default_rng(11), n_splits=20)
    rng = np.random.default_rng(11)
    ind = np.flatnonzero(other.ravel())
    n_oth = min(nfix, ind.size)
    cols = [Sn.ravel()[ind[rng.permutation(ind.size)[:n_oth]]] for _ in range(20)]
    assert abs(ours - mit_auc_stepped(Sn, fix, cols, n_oth)) < 1e-12


def test_matlab_colon():
    assert len(F.matlab_colon(0, 0.1, 1.0)) == 11 and F.matlab_colon(0, 0.1, 1.0)[-1] == 1.0
    assert len(F.matlab_colon(0, 0.1, 0.95)) == 10
    assert F.matlab_colon(0, 0.1, 0.05).tolist() == [0.0]


def test_accumulator_sauc_pool_equals_deferred_and_is_seeded():
    rng = np.random.default_rng(6)
    preds, fixes = [], []
    for _ in range(5):
        h, w = rng.integers(20, 40, 2)
        preds.append(rng.random((h, w)))
        fixes.append(rng.random((h, w)) < 0.05)
    deferred = FixationMetrics(seed=3)
    pooled = FixationMetrics(seed=3, fixation_pool=[F.fixation_coords(f) for f in fixes])
    for p, f in zip(preds, fixes):
        deferred.step(p, f, density=p)
        pooled.step(p, f, density=p)
    a, b = deferred.results(), pooled.results()
    assert a == b
    assert 0 < a["sAUC"] < 1 and a["n_images"] == 5 and abs(a["CC"] - 1) < 1e-12


def test_resize_is_bilinear_and_nan_excluded():
    acc = FixationMetrics(metrics=("NSS", "AUC_Judd"))
    fix = np.zeros((10, 12), bool)
    fix[3, 4] = True
    acc.step(np.arange(30, dtype=float).reshape(5, 6), fix)
    acc.step(np.ones((10, 12)), np.zeros((10, 12), bool))  # no fixations: left out
    r = acc.results()
    assert r["excluded"] == {"NSS": 1, "AUC_Judd": 1} and np.isfinite(r["NSS"])


def test_import_eval_does_not_import_torch():
    code = "import sys, eval, eval.runner, eval.tables, eval.datasets; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"


@pytest.mark.real_data
def test_mit_i210_judd_model_scores():
    import cv2
    import scipy.io

    root = SHARED / "mit_i210"
    if not root.is_dir():
        pytest.skip("../shared/data is absent")
    fix = scipy.io.loadmat(str(root / "FIXATIONLOCS" / "i210.mat"))["fixations"]
    dens = cv2.imread(str(root / "FIXATIONMAPS" / "i210.jpg"), cv2.IMREAD_GRAYSCALE)
    judd = cv2.imread(str(root / "MODELS" / "Judd_i210.jpg"), cv2.IMREAD_GRAYSCALE)
    v = F.fixation_image_scores(judd, fix, dens).values
    assert abs(v["NSS"] - 2.0426) < 1e-3
    assert abs(v["CC"] - 0.5064) < 1e-3
    assert abs(v["KLD"] - 1.4528) < 1e-3
    assert abs(v["SIM"] - 0.3185) < 1e-3
    assert abs(v["AUC_Judd"] - 0.8745) < 0.005


def test_metric_maps_blur_of_an_ingest_in_degrees(tmp_path):
    """A sigma of 1 degree on a real screen gives the axes 18.233 and 18.214 px (pixels are not exactly
    square): --metric-maps dropped the blur of CC/KLD/SIM altogether ("differs between axes")."""
    import json

    from saliency.eval.datasets import _ingest_sigma

    rec = tmp_path / "dataset.json"
    rec.write_text(json.dumps({"sigma": {"px_by_stimulus_size": {"640x480": [18.233037, 18.213981]}}}))
    sigma, note = _ingest_sigma(rec)
    assert note is None and sigma == pytest.approx((18.233037 + 18.213981) / 2, abs=1e-12)
    rec.write_text(json.dumps({"sigma": {"px_by_stimulus_size": {"640x480": [18.0, 20.0]}}}))  # 10 %: not one
    sigma, note = _ingest_sigma(rec)
    assert sigma == 0.0 and "differs" in note


def _cc(a, b):
    """Pearson's correlation of two maps (MIT CC.m: both standardised, the mean of their product)."""
    a, b = (a - a.mean()) / a.std(), (b - b.mean()) / b.std()
    return float((a * b).mean())


@pytest.mark.real_data
def test_salicon_fixations_without_maps_build_the_apis_maps(tmp_path):
    """CC, KLD and SIM were n/a for a SALICON fixations JSON without maps/, though the SALICON API fixes the
    construction. Oracle: the API's map written out (points merged, scipy gaussian_filter sigma 19, its default
    reflect border, min-max) and CC computed here."""
    import json
    import shutil

    from scipy.ndimage import gaussian_filter

    from saliency.eval.benchmark import evaluate

    src = SHARED / "salicon_examples"
    if not src.is_dir():
        pytest.skip("../shared/data is absent")
    js = next(src.glob("*.json"))
    gt = tmp_path / "gt"
    gt.mkdir()
    shutil.copy(js, gt / js.name)
    data = json.loads(js.read_text())
    im = sorted(data["images"], key=lambda x: x["file_name"])[0]
    h, w = im["height"], im["width"]
    fix = np.zeros((h, w))
    for a in data["annotations"]:
        if a["image_id"] == im["id"]:
            for r, c in a["fixations"]:
                if 1 <= r <= h and 1 <= c <= w:
                    fix[r - 1, c - 1] = 1
    api = gaussian_filter(fix, 19)
    api = (api - api.min()) / (api.max() - api.min())
    yy, xx = np.mgrid[:h, :w]
    pred = np.exp(-(((xx - w / 2) / (w / 4)) ** 2 + ((yy - h / 2) / (h / 4)) ** 2) / 2)
    (tmp_path / "pred").mkdir()
    np.save(tmp_path / "pred" / (Path(im["file_name"]).stem + ".npy"), pred)
    bench = evaluate(task="fixation", pred=[str(tmp_path / "pred")], gt=str(gt), allow_missing=True,
                     metrics="CC,NSS", progress=False)
    r = bench.results[0]
    assert r.n_images == 1 and any("SALICON API" in n for n in bench.datasets[0].notes)
    assert r.metrics["CC"] == pytest.approx(_cc(pred, api), abs=1e-9)


def test_metric_maps_blur_as_the_ingest_maps_were_made(tmp_path):
    """--metric-maps blurred CC/KLD/SIM's map with zero padding and 3.5 sigma even when dataset.json records a
    reflect border and 4 sigma. Oracle: scipy's gaussian_filter with the recorded mode, CC computed here."""
    import json

    import cv2
    from scipy.ndimage import gaussian_filter

    from saliency.eval.benchmark import evaluate

    h, w, sigma = 48, 64, 6.0
    gt = tmp_path / "gt"
    for sub in ("fixations", "maps"):
        (gt / sub).mkdir(parents=True)
    fix = np.zeros((h, w), np.uint8)
    fix[[2, 5, 40, 24], [3, 60, 4, 30]] = 255  # near the borders, where the padding matters
    human = gaussian_filter((fix > 0).astype(float), sigma, mode="reflect")
    human = np.rint(255 * (human - human.min()) / (human.max() - human.min())).astype(np.uint8)
    cv2.imwrite(str(gt / "fixations" / "a.png"), fix)
    cv2.imwrite(str(gt / "maps" / "a.png"), human)
    (gt / "dataset.json").write_text(json.dumps({"sigma": {"px_by_stimulus_size": {f"{w}x{h}": [sigma, sigma]},
                                                           "truncate": 4.0}, "policies": {"border": "reflect"}}))
    rng = np.random.default_rng(0)
    logp = rng.normal(0, 1, (h, w))
    logp -= np.log(np.exp(logp).sum())
    (tmp_path / "pred").mkdir()
    np.save(tmp_path / "pred" / "a.npy", logp)
    bench = evaluate(task="fixation", pred=[str(tmp_path / "pred")], gt=str(gt), metrics="CC", metric_maps=True,
                     progress=False)
    oracle = _cc(gaussian_filter(np.exp(logp), sigma, mode="reflect", truncate=4.0), human.astype(float))
    assert bench.results[0].metrics["CC"] == pytest.approx(oracle, abs=1e-9)


# ----------------------------------------------------------------------------- review (stop 18)

def test_borji_is_nan_under_two_fixated_pixels_as_mit():
    """MIT's AUC_Borji.m (cvzoya/saliency HEAD, line 31): `if sum(fixationMap(:)>0)<=1, score=nan`.

    Stop 18 scored one fixated pixel, reading the line's comment ("no fixations") for its test; two are scored.
    """
    rng0 = np.random.default_rng(3)
    S = np.round(rng0.random((20, 30)) * 255)
    fix = np.zeros((20, 30), bool)
    fix[7, 11] = True
    assert np.isnan(F.auc_borji(S, fix, np.random.default_rng(4), n_splits=20))
    assert np.isnan(F.fixation_image_scores(S, fix, seed=0).values["AUC_Borji"])
    assert np.isnan(F.auc_borji(S, np.zeros((20, 30), bool), np.random.default_rng(4)))
    fix[12, 3] = True  # two fixated pixels: scored, as MIT's stepped AUC over the same draws
    ours = F.auc_borji(S, fix, np.random.default_rng(4), n_splits=20)
    r = np.random.default_rng(4).integers(0, S.size, size=(2, 20))
    Sn = mit_norm(S)
    assert abs(ours - mit_auc_stepped(Sn, fix, [Sn.ravel()[r[:, s]] for s in range(20)], 2)) < 1e-12
    # hand-worked: a constant map gives tp = fp at every threshold: 0.5
    assert F.auc_borji(np.full((20, 30), 3.0), fix, np.random.default_rng(4)) == 0.5


def test_an_image_without_fixations_is_left_out_of_cc_kld_sim():
    """An all-zero human map scored CC 0, KLD 0 (a perfect score) and SIM 0, and they entered the means."""
    rng = np.random.default_rng(1)
    pred = rng.random((30, 40))
    none = np.zeros((30, 40), bool)
    v = F.fixation_image_scores(pred, none, np.zeros((30, 40))).values
    assert all(np.isnan(v[k]) for k in F.FIX_KEYS), v
    fix = rng.random((30, 40)) < 0.05
    dens = rng.random((30, 40))
    acc = FixationMetrics(seed=0)
    acc.step(pred, fix, dens)
    acc.step(pred, none, np.zeros((30, 40)))
    res = acc.results()
    one = F.fixation_image_scores(pred, fix, dens, other=None).values
    for k in ("CC", "KLD", "SIM"):  # the mean over the one image with fixations
        assert res[k] == pytest.approx(one[k], abs=1e-12), k
        assert res[k] == pytest.approx({"CC": mit_cc, "KLD": mit_kl, "SIM": mit_sim}[k](pred, dens), abs=1e-9)


@pytest.mark.parametrize("shape", [(1, 1), (1, 80), (60, 1), (2, 2)])
def test_a_constant_prediction_of_any_size_scores_as_constant(shape):
    """OpenCV's upsampling of a single row or pixel added ~1e-7 noise that min-max blew up (LL -5.9, not 0)."""
    rng = np.random.default_rng(2)
    fix = rng.random((60, 80)) < 0.03
    dens = rng.random((60, 80))
    small = F.fixation_image_scores(np.full(shape, 7.0), fix, dens).values
    full = F.fixation_image_scores(np.full((60, 80), 7.0), fix, dens).values
    for k in F.FIX_KEYS:
        assert small[k] == full[k] or (np.isnan(small[k]) and np.isnan(full[k])), k
    # closed forms for a uniform map: NSS 0, AUC-Borji 0.5 (tp = fp), LL 0 bits over uniform
    assert full["NSS"] == 0.0 and full["AUC_Borji"] == 0.5 and abs(full["LL"]) < 1e-9


def test_binary_fixation_png_saved_as_0_1_keeps_its_fixations(tmp_path):
    """A lossless 0/1 fixation map is MIT's fixationMap > 0 (it was read as no fixations); JPEG keeps > 128."""
    import cv2

    from saliency.eval.io import read_fixations

    m = np.zeros((20, 30), np.uint8)
    m[3, 4] = m[10, 20] = 1
    cv2.imwrite(str(tmp_path / "a.png"), m)
    cv2.imwrite(str(tmp_path / "b.png"), m * 255)
    assert read_fixations(tmp_path / "a.png").sum() == 2
    assert (read_fixations(tmp_path / "a.png") == read_fixations(tmp_path / "b.png")).all()
    j = np.zeros((40, 40), np.uint8)
    j[10:12, 10:12] = 255
    cv2.imwrite(str(tmp_path / "c.jpg"), j, [cv2.IMWRITE_JPEG_QUALITY, 75])
    got = read_fixations(tmp_path / "c.jpg")
    assert got[10:12, 10:12].all() and got.sum() == 4  # ringing below 129 is not a fixation

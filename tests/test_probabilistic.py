"""Probabilistic fixation metrics (eval/probabilistic.py): LL and IG against closed forms and pysaliency's definitions.

Oracles: a uniform density scores 0 bits; the true density of sampled
fixations scores its entropy gap log2(N) - H(p) (within sampling error); a
2x2 case worked by hand; pysaliency's per-fixation definition
(``Model.log_likelihoods``: the log-density at each fixation's integer pixel,
``information_gains``: their difference over log 2) written out inline; MIT's
InfoGain.m formula for plain maps; and the ECCV 2018 property that the
metric-specific CC/KLD/SIM map of the true density matches an infinite-observer
human map exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from saliency.eval import probabilistic as P
from saliency.eval.fixation import fixation_image_scores, gaussian_center_bias

EPS = np.finfo(np.float64).eps


def _gauss_logp(shape, cy, cx, sigma):
    y, x = np.mgrid[0:shape[0], 0:shape[1]]
    g = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma ** 2))
    return np.log(g / g.sum())


def _sample_counts(logp, n, seed):
    rng = np.random.default_rng(seed)
    p = np.exp(logp).ravel()
    idx = rng.choice(p.size, size=n, p=p / p.sum())
    return np.bincount(idx, minlength=p.size).reshape(logp.shape).astype(float), idx


def test_uniform_density_scores_zero_bits():
    shape = (30, 40)
    logp = np.full(shape, -np.log(shape[0] * shape[1]))
    counts, _ = _sample_counts(_gauss_logp(shape, 10, 12, 4.0), 500, 0)
    assert P.log_likelihood(logp, counts) == pytest.approx(0.0, abs=1e-12)
    assert P.log_likelihood(logp, counts > 0) == pytest.approx(0.0, abs=1e-12)


def test_true_density_scores_its_entropy_gap():
    shape = (24, 32)
    logp = _gauss_logp(shape, 9.0, 20.0, 3.0)
    n = 200_000
    counts, idx = _sample_counts(logp, n, 1)
    gap = np.log2(logp.size) - P.entropy_bits(logp)
    # closed form for the expectation; the sample mean has standard error sd(log2 p(x)) / sqrt(n)
    se = np.std(logp.ravel()[idx] / np.log(2)) / np.sqrt(n)
    assert P.log_likelihood(logp, counts) == pytest.approx(gap, abs=5 * se)
    # information gain of the true density over uniform equals its LL
    uni = np.full(shape, -np.log(logp.size))
    assert P.info_gain_density(logp, counts, uni) == pytest.approx(P.log_likelihood(logp, counts), abs=1e-12)
    assert P.info_gain_density(logp, counts, logp) == pytest.approx(0.0, abs=1e-12)


def test_two_by_two_worked_by_hand():
    p = np.array([[0.4, 0.3], [0.2, 0.1]])
    counts = np.array([[2, 0], [0, 1]], float)  # pixel (0,0) fixated twice, (1,1) once
    want = (2 * np.log2(0.4) + np.log2(0.1)) / 3 + np.log2(4)
    assert P.log_likelihood(np.log(p), counts) == pytest.approx(want, abs=1e-12)
    # binary map: each fixated pixel once
    want_bin = (np.log2(0.4) + np.log2(0.1)) / 2 + 2
    assert P.log_likelihood(np.log(p), counts > 0) == pytest.approx(want_bin, abs=1e-12)


def test_matches_pysaliency_per_fixation_definition():
    """pysaliency: ll_i = logp[y_int_i, x_int_i]; IG = mean((ll - ll_base) / log 2); LL vs uniform adds log2 N."""
    shape = (20, 30)
    logp = _gauss_logp(shape, 6, 21, 5.0)
    base = P.log_density_from_map(gaussian_center_bias(shape))
    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(0, shape[1], 57), rng.uniform(0, shape[0], 57)
    x_int, y_int = xs.astype(int), ys.astype(int)
    ll = logp[y_int, x_int]
    llb = base[y_int, x_int]
    ig_pysal = float(np.mean((ll - llb) / np.log(2)))
    ll_pysal = float(np.mean((ll + np.log(logp.size)) / np.log(2)))
    counts = np.zeros(shape)
    np.add.at(counts, (y_int, x_int), 1)
    assert P.log_likelihood(logp, counts) == pytest.approx(ll_pysal, abs=1e-10)
    assert P.info_gain_density(logp, counts, base) == pytest.approx(ig_pysal, abs=1e-10)


def test_plain_map_ig_is_mit_infogain():
    """A plain map: IG = mean(log2(eps + S) - log2(eps + B)) at fixated pixels, maps min-max and sum-normalised."""
    rng = np.random.default_rng(4)
    sal = rng.random((15, 20)) ** 3
    base = gaussian_center_bias((15, 20))
    fix = rng.random((15, 20)) > 0.9

    def dist(a):
        a = (a - a.min()) / (a.max() - a.min())
        return a / a.sum()

    want = float(np.mean(np.log2(EPS + dist(sal)[fix]) - np.log2(EPS + dist(base)[fix])))
    v = fixation_image_scores(sal, fix, None, base, metrics=("IG", "LL")).values
    assert v["IG"] == pytest.approx(want, abs=1e-10)
    assert v["LL"] == pytest.approx(float(np.mean(np.log2(EPS + dist(sal)[fix]))) + np.log2(300), abs=1e-10)


def test_log_density_prediction_scored_as_density():
    shape = (24, 32)
    logp = _gauss_logp(shape, 12, 16, 6.0)
    counts, _ = _sample_counts(logp, 300, 5)
    uni = np.full(shape, -np.log(logp.size))
    v = fixation_image_scores(logp, counts, None, uni, metrics=("LL", "IG", "NSS"), log_density=True).values
    assert v["LL"] == pytest.approx(P.log_likelihood(logp, counts), abs=1e-12)
    assert v["IG"] == pytest.approx(v["LL"], abs=1e-12)  # baseline uniform: 0 bits
    # NSS scores the density exp(logp): z-score (ddof 1) at fixated pixels
    d = np.exp(logp)
    z = (d - d.mean()) / d.std(ddof=1)
    assert v["NSS"] == pytest.approx(float(z[counts > 0].mean()), abs=1e-10)


def test_is_log_density_and_resize_keep_mass():
    logp = _gauss_logp((16, 20), 5, 5, 3.0)
    assert P.is_log_density(logp)
    assert not P.is_log_density(np.exp(logp))            # a density is not its log
    assert not P.is_log_density(np.random.default_rng(0).random((16, 20)))
    r = P.resize_log_density(logp, (32, 40))
    assert r.shape == (32, 40) and P.logsumexp(r) == pytest.approx(0.0, abs=1e-12)


def test_metric_maps_are_optimal_for_an_infinite_observer_map():
    """ECCV 2018: with the human map = the true density blurred by sigma, CC of the CC-map is 1 and KLD 0."""
    from saliency.eval.fixation import cc, kld, sim

    shape = (40, 50)
    logp = np.logaddexp(_gauss_logp(shape, 10, 12, 2.0), _gauss_logp(shape, 30, 38, 3.0)) - np.log(2)
    sigma = 4.0
    human = P.blur_density(np.exp(logp), sigma)
    human = (human - human.min()) / (human.max() - human.min())
    m = P.metric_map(logp, "CC", sigma_px=sigma)
    assert cc(m, human) == pytest.approx(1.0, abs=1e-12)
    assert cc(np.exp(logp), human) < 0.99  # the raw density is not the CC-optimal map
    assert kld(P.metric_map(logp, "KLD", sigma_px=sigma), human) < kld(np.exp(logp), human)
    assert sim(P.metric_map(logp, "SIM", sigma_px=sigma), human) > sim(np.exp(logp), human)
    # sAUC: with a uniform baseline its map orders pixels as the density does
    e = P.metric_map(logp, "sAUC")
    assert np.array_equal(np.argsort(e.ravel(), kind="stable"), np.argsort(np.exp(logp).ravel(), kind="stable"))
    # the equalised map has a flat histogram: each tenth of the range holds a tenth of the pixels
    hist, _ = np.histogram(P.metric_map(logp, "AUC_Borji"), bins=10, range=(0, 1))
    assert np.all(np.abs(hist - logp.size / 10) <= 0.01 * logp.size)


def test_predict_writes_a_log_density(tmp_path):
    from saliency.predict import write_log_density

    dens = np.random.default_rng(2).random((12, 18))
    write_log_density(tmp_path / "a.npy", dens)
    a = np.load(tmp_path / "a.npy")
    assert a.dtype == np.float32 and a.shape == (12, 18)
    assert P.logsumexp(a) == pytest.approx(0.0, abs=1e-5)
    assert np.allclose(np.exp(a), dens / dens.sum(), rtol=1e-5)


def test_eval_cli_ll_ig_for_log_density_folder(tmp_path, capsys):
    """saliency eval on an ingest-layout folder: a uniform log-density scores LL 0 and IG = -LL(centre bias)."""
    import cv2

    from saliency.cli import main

    gt = tmp_path / "gt"
    (gt / "fixations").mkdir(parents=True)
    (gt / "maps").mkdir()
    preds = tmp_path / "uni"
    preds.mkdir()
    rng = np.random.default_rng(7)
    shape = (30, 40)
    fixmaps = []
    for i in range(3):
        f = np.zeros(shape, np.uint8)
        f[rng.integers(0, 30, 6), rng.integers(0, 40, 6)] = 255
        fixmaps.append(f > 0)
        cv2.imwrite(str(gt / "fixations" / f"im{i}.png"), f)
        cv2.imwrite(str(gt / "maps" / f"im{i}.png"), cv2.GaussianBlur(f, (0, 0), 3))
        np.save(preds / f"im{i}.npy", np.full(shape, -np.log(1200.0), np.float32))
    out = tmp_path / "r.json"
    rc = main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"U={preds}", "--metrics", "LL,IG,NSS",
               "--json", str(out), "--quiet"])
    assert rc == 0
    res = json.loads(out.read_text())["results"][0]["metrics"]
    assert res["LL"] == pytest.approx(0.0, abs=1e-5)
    base = P.log_density_from_density(gaussian_center_bias(shape))  # the default: the Gaussian as a density
    want_ig = np.mean([-P.log_likelihood(base, f) for f in fixmaps])
    assert res["IG"] == pytest.approx(want_ig, abs=1e-5)
    assert res["NSS"] == pytest.approx(0.0, abs=1e-12)
    assert "LL and IG in bits per fixation" in capsys.readouterr().out
    # --metric-maps: a uniform density's metric maps are constant too: NSS 0, LL unchanged
    rc = main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"U={preds}", "--metrics", "LL,NSS",
               "--metric-maps", "--json", str(out), "--quiet"])
    assert rc == 0
    res2 = json.loads(out.read_text())["results"][0]["metrics"]
    assert res2["LL"] == pytest.approx(0.0, abs=1e-5) and res2["NSS"] == pytest.approx(0.0, abs=1e-12)
    assert "metric-specific maps" in capsys.readouterr().out


def test_a_log_density_at_the_fixation_maps_size_is_renormalised_before_ll():
    """A .npy with log-sum-exp 9e-4 passes is_log_density; at the map's size it entered LL as given (9e-4 / ln 2
    bits too high), resized it was renormalised. Oracle: LL of the explicitly renormalised density."""
    from saliency.eval import probabilistic as P
    from saliency.eval.fixation import fixation_image_scores

    lp = P.normalize_log_density(np.random.default_rng(1).normal(size=(60, 80)))
    off = lp + 9e-4
    assert P.is_log_density(off)
    fix = np.zeros((60, 80), bool)
    fix[10:20, 10:20] = True
    got = fixation_image_scores(off, fix, metrics=("LL",), log_density=True).values["LL"]
    want = fixation_image_scores(lp, fix, metrics=("LL",), log_density=True).values["LL"]
    assert abs(got - want) < 1e-12  # float64 rounding of the shift; the bug was 1.3e-3

"""Classic models and centre biases (eval/baselines.py) on synthetic images with a known answer, and their CLI.

Oracles: a single bright blob on a flat grey field is the most salient place
for every bottom-up model (its maximum lies on the blob); the Gaussian centre
bias peaks at the centre and is symmetric; the frequency-tuned map is the Lab
distance to the mean colour (computed here independently for a two-colour
image); Itti's N(.) worked by hand; a reversible Markov chain's equilibrium is
proportional to its row sums (GBVS); a centre bias fitted to fixations drawn
around a known point peaks there.
"""

from __future__ import annotations

import numpy as np
import pytest

from saliency.eval import baselines as B


def _blob_image(h=120, w=160, cy=80, cx=40, r=8):
    import cv2

    img = np.full((h, w, 3), 100, np.uint8)
    cv2.circle(img, (cx, cy), r, (255, 255, 255), -1)
    return img


@pytest.mark.parametrize("name", ["itti-koch", "spectral-residual", "gbvs", "frequency-tuned"])
def test_single_blob_is_the_maximum(name):
    cy, cx, r = 80, 40, 8
    m = B.compute_baseline(name, _blob_image(cy=cy, cx=cx, r=r))
    assert m.shape == (120, 160) and m.dtype == np.float64 and (m >= 0).all()
    y, x = np.unravel_index(np.argmax(m), m.shape)
    assert np.hypot(y - cy, x - cx) <= 2 * r, (name, y, x)
    # and the blob is more salient than the far corner of the field
    assert m[cy, cx] > m[10, 150]


def test_gaussian_centre_peaks_at_centre_and_is_symmetric():
    m = B.compute_baseline("gaussian-centre", np.zeros((61, 81, 3), np.uint8))
    assert np.unravel_index(np.argmax(m), m.shape) == (30, 40)
    assert np.allclose(m, m[::-1, :]) and np.allclose(m, m[:, ::-1])
    assert m[30, 40 + 20] == pytest.approx(np.exp(-0.5 * (20 / (0.25 * 81)) ** 2), rel=1e-12)


def test_frequency_tuned_is_lab_distance_to_mean():
    import cv2

    img = np.zeros((40, 40, 3), np.uint8)
    img[:, :10] = (200, 30, 30)
    img[:, 10:] = (30, 30, 200)
    m = B.frequency_tuned(img)
    lab = cv2.cvtColor(img.astype(np.float32) / 255, cv2.COLOR_RGB2Lab).reshape(-1, 3).astype(np.float64)
    mean = lab.mean(axis=0)
    # far from the colour edge the blur changes nothing: the distance of each colour to the mean
    assert m[20, 2] == pytest.approx(np.linalg.norm(lab[0] - mean), rel=1e-4)
    assert m[20, 30] == pytest.approx(np.linalg.norm(lab[30] - mean), rel=1e-4)
    assert m[20, 2] > m[20, 30]  # the small red region is the salient one


def test_itti_normalization_by_hand():
    m = np.zeros((20, 20))
    m[5, 5] = 2.0
    m[15, 15] = 1.0
    n = B.itti_normalize(m)
    # scaled to [0, 1]: peaks 1 and 0.5; the other maxima average 0.5 -> factor (1 - 0.5)^2 = 0.25
    assert n[5, 5] == pytest.approx(0.25) and n[15, 15] == pytest.approx(0.125)
    one = np.zeros((20, 20))
    one[3, 4] = 5.0
    assert B.itti_normalize(one)[3, 4] == pytest.approx(1.0)  # a single peak is promoted unchanged


def test_markov_equilibrium_of_reversible_chain():
    rng = np.random.default_rng(0)
    w = rng.random((30, 30))
    w = w + w.T  # symmetric weights: a reversible chain, pi_i proportional to sum_j w_ij
    pi = B._markov_equilibrium(w)
    assert np.allclose(pi, w.sum(axis=1) / w.sum(), atol=1e-12)


def test_fitted_centre_bias_peaks_where_fixations_fall():
    rng = np.random.default_rng(1)
    shape = (60, 80)
    pts = [np.stack([rng.normal(20, 4, 40), rng.normal(55, 4, 40)], axis=1).round().astype(int) for _ in range(20)]
    cb = B.fit_centre_bias(pts, shape)
    d = cb.density()
    assert d.sum() == pytest.approx(1.0, abs=1e-9)
    y, x = np.unravel_index(np.argmax(d), shape)
    assert abs(y - 20) <= 3 and abs(x - 55) <= 3
    assert cb.n_fixations == 800 and cb.n_images == 20
    assert B.compute_baseline("centre-bias", np.zeros((30, 40, 3), np.uint8), centre_bias=cb).shape == (30, 40)
    from saliency.base.errors import UserError

    with pytest.raises(UserError, match="centre-bias"):
        B.compute_baseline("centre-bias", np.zeros((30, 40, 3), np.uint8))
    with pytest.raises(UserError, match="baseline nope: unknown"):
        B.compute_baseline("nope", np.zeros((30, 40, 3), np.uint8))


def test_cli_list_and_predict_baseline(tmp_path, capsys):
    import cv2

    from saliency.cli import main

    assert main(["predict", "--list-baselines"]) == 0
    assert capsys.readouterr().out.split() == list(B.BASELINES)
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    cv2.imwrite(str(imgs / "a.png"), _blob_image()[..., ::-1])
    cv2.imwrite(str(imgs / "b.jpg"), np.full((50, 70, 3), 90, np.uint8))
    out, ld = tmp_path / "out", tmp_path / "ld"
    assert main(["predict", "--baseline", "spectral-residual", "--images", str(imgs), "--out", str(out),
                 "--log-density", str(ld), "--quiet"]) == 0
    a = cv2.imread(str(out / "a.png"), cv2.IMREAD_UNCHANGED)
    assert a.shape == (120, 160) and a.dtype == np.uint8 and a.max() == 255
    assert np.unravel_index(np.argmax(a), a.shape)[0] in range(70, 91)
    assert cv2.imread(str(out / "b.png"), cv2.IMREAD_UNCHANGED).shape == (50, 70)
    from saliency.eval.probabilistic import logsumexp

    assert logsumexp(np.load(ld / "a.npy")) == pytest.approx(0.0, abs=1e-5)
    capsys.readouterr()
    assert main(["predict", "--baseline", "nope", "--images", str(imgs), "--out", str(tmp_path / "o2")]) == 2
    assert "--baseline nope" in capsys.readouterr().err
    assert main(["predict", "--images", str(imgs), "--out", str(tmp_path / "o3")]) == 2

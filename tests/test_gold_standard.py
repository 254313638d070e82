"""The gold standard (leave one subject out) against a two-observer case worked by hand.

With no blur (sigma 0), observer A's fixation at pixel a is scored against the
other observer's density p = (1 - w) * delta_b + w / N (N pixels, w the mixture
weight of the uniform baseline), and the observer's own map is delta_a:

- a != b: NSS = -1/sqrt(N) (z-score, ddof 1, of a one-hot map at a zero), CC
  = -1/(N - 1) (Pearson of two different one-hot maps), SIM = 0, KLD = ln(eps
  + 1 / (w/N + eps)), LL = log2(w/N) + log2 N = log2 w, IG over uniform = LL;
- a == b: NSS = sqrt(N) - 1/sqrt(N), CC = SIM = 1, LL = log2((1 - w) + w/N) + log2 N.

Both observers see the same situation, so the mean over observers is that value.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from saliency.eval.datasets import GTItem
from saliency.eval.runner import gold_standard_scores

EPS = np.finfo(np.float64).eps
KEYS = ("NSS", "CC", "KLD", "SIM", "LL", "IG")
SHAPE = (4, 5)
N = 20


def _uniform():
    return np.full(SHAPE, -np.log(N))


@pytest.mark.parametrize("w", [0.1, 0.3])
def test_two_observers_apart(w):
    a, b = (1, 1), (2, 4)
    item = GTItem(key="x", points=(a, b), size=SHAPE, subjects=((a,), (b,)), sigma_px=0.0)
    v = gold_standard_scores(item, KEYS, baseline=_uniform(), sigma_px=0.0, uniform_weight=w).values
    assert v["NSS"] == pytest.approx(-1 / np.sqrt(N), abs=1e-12)
    assert v["CC"] == pytest.approx(-1 / (N - 1), abs=1e-12)
    assert v["SIM"] == pytest.approx(0.0, abs=1e-12)
    assert v["KLD"] == pytest.approx(np.log(EPS + 1 / (w / N + EPS)), abs=1e-9)
    assert v["LL"] == pytest.approx(np.log2(w), abs=1e-12)
    assert v["IG"] == pytest.approx(np.log2(w), abs=1e-12)


def test_two_observers_together():
    w = 0.1
    a = (3, 0)
    item = GTItem(key="x", points=(a, a), size=SHAPE, subjects=((a,), (a,)), sigma_px=0.0)
    v = gold_standard_scores(item, KEYS, baseline=_uniform(), sigma_px=0.0, uniform_weight=w).values
    assert v["NSS"] == pytest.approx(np.sqrt(N) - 1 / np.sqrt(N), abs=1e-12)
    assert v["CC"] == pytest.approx(1.0, abs=1e-12)
    assert v["SIM"] == pytest.approx(1.0, abs=1e-12)
    assert v["LL"] == pytest.approx(np.log2((1 - w) + w / N) + np.log2(N), abs=1e-12)


def test_mean_over_observers_and_single_observer_left_out():
    """Three observers: A and B together, C apart; the gold standard is the mean of the three LOSO values."""
    w = 0.2
    a, c = (0, 0), (3, 4)
    item = GTItem(key="x", points=(a, a, c), size=SHAPE, subjects=((a,), (a,), (c,)), sigma_px=0.0)
    v = gold_standard_scores(item, ("LL",), baseline=_uniform(), sigma_px=0.0, uniform_weight=w).values
    # A (and B): others = {a, c} -> p(a) = (1-w)/2 + w/N; C: others = {a, a} -> p(c) = w/N
    ll_a = np.log2((1 - w) / 2 + w / N) + np.log2(N)
    ll_c = np.log2(w)
    assert v["LL"] == pytest.approx((2 * ll_a + ll_c) / 3, abs=1e-12)
    one = GTItem(key="y", points=(a,), size=SHAPE, subjects=((a,), ()), sigma_px=0.0)
    assert gold_standard_scores(one, ("LL",), baseline=_uniform()) is None


def _osie_fake(tmp_path, n_test=2):
    """A small OSIE folder: fixations.mat written with scipy.io.savemat in OSIE's cell-of-structs layout."""
    import cv2
    import scipy.io

    from saliency.eval.datasets import split_stems

    root = tmp_path / "data" / "osie"
    (root / "eye").mkdir(parents=True)
    (root / "stimuli").mkdir()
    stems = split_stems("OSIE", "train")[:3] + split_stems("OSIE", "test")[:n_test]
    rng = np.random.default_rng(0)
    cells = np.empty((1, len(stems)), dtype=object)
    for i, st in enumerate(stems):
        cv2.imwrite(str(root / "stimuli" / f"{st}.jpg"), np.full((30, 40, 3), 128, np.uint8))
        subs = np.empty((1, 3), dtype=object)
        for j in range(3):
            n = 4
            subs[0, j] = {"fix_x": rng.uniform(1, 40, n), "fix_y": rng.uniform(1, 30, n),
                          "fix_duration": rng.integers(100, 400, n).astype(float)}
        cells[0, i] = {"img": f"{st}.jpg", "subjects": subs}
    scipy.io.savemat(str(root / "eye" / "fixations.mat"), {"fixations": cells})
    return tmp_path / "data", stems


def test_cli_gold_standard_row_on_small_osie(tmp_path, capsys):
    from saliency.cli import main

    root, stems = _osie_fake(tmp_path)
    out = tmp_path / "gs.json"
    rc = main(["eval", "--dataset", "OSIE", "--root", str(root), "--split", "test", "--gold-standard",
               "--metrics", "NSS,CC,LL,IG", "--json", str(out), "--quiet"])
    assert rc == 0
    res = json.loads(out.read_text())["results"]
    assert [r["method"] for r in res] == ["gold standard"] and res[0]["n_images"] == 2
    text = capsys.readouterr().out
    assert "| gold standard |" in text and "leave one subject out" in text
    # without per-observer data the option is refused with one line naming it
    rc = main(["eval", "--task", "fixation", "--gt", str(tmp_path), "--gold-standard", "--quiet"])
    assert rc == 2


def test_a_plain_centre_bias_map_with_a_zero_pixel_keeps_the_scores_finite():
    """A plain (min-max) baseline map is 0 at its darkest pixel; with no other observer's blur there the mixture's
    log was -inf and eval stopped (exit 1) on every real OSIE image with --center-bias. It is now read as the IG
    baseline reads it, MIT's eps added: base = (eps + d) / sum(eps + d), d the min-max map summing to 1.

    Hand-worked, sigma 0, A at the map's 0 pixel a, B at b != a: LL(A) = log2(w * base_a) + log2 N with
    base_a = eps / (1 + N eps); LL(B) = log2(w * base_b) + log2 N with base_b = (eps + 1/(N-1)) / (1 + N eps).
    """
    w = 0.1
    a, b = (0, 0), (2, 3)
    cb = np.ones(SHAPE)
    cb[a] = 0.0
    item = GTItem(key="x", points=(a, b), size=SHAPE, subjects=((a,), (b,)), sigma_px=0.0)
    v = gold_standard_scores(item, KEYS, baseline=cb, sigma_px=0.0, uniform_weight=w).values
    base_a = EPS / (1 + N * EPS)
    base_b = (EPS + 1 / (N - 1)) / (1 + N * EPS)
    want = (np.log2(w * base_a) + np.log2(w * base_b)) / 2 + np.log2(N)
    assert np.isfinite([v[k] for k in KEYS]).all(), v
    assert v["LL"] == pytest.approx(want, abs=1e-9)


def _osie_like(root):
    """An OSIE-layout folder: 2 stimuli of 30 x 40, 2 observers each (eye/fixations.mat, 1-based x, y)."""
    import scipy.io
    from PIL import Image

    (root / "eye").mkdir(parents=True)
    (root / "stimuli").mkdir()
    ent = np.zeros(2, dtype=[("img", "O"), ("subjects", "O")])
    for i, stem in enumerate(["1001", "1002"]):
        Image.fromarray(np.full((30, 40, 3), 128, np.uint8)).save(root / "stimuli" / f"{stem}.jpg")
        subs = np.zeros(2, dtype=[("fix_x", "O"), ("fix_y", "O"), ("fix_duration", "O")])
        subs[0] = (np.array([5.0, 30.0]), np.array([5.0, 20.0]), np.full(2, 200.0))
        subs[1] = (np.array([32.0]), np.array([21.0]), np.full(1, 200.0))
        ent[i] = (f"{stem}.jpg", subs)
    scipy.io.savemat(root / "eye" / "fixations.mat", {"fixations": ent})


def test_center_bias_file_is_checked_as_the_option_and_a_log_density_is_taken(tmp_path, capsys):
    """A bad --center-bias was reported per image as '--pred gold standard: no image could be scored (...)'; a
    log-density .npy (what predict --log-density writes) was refused though the scoring reads one."""
    from saliency.cli import main

    _osie_like(tmp_path / "osie")
    bad = tmp_path / "bad.npy"
    np.save(bad, -np.ones((30, 40)))
    args = ["eval", "--dataset", "OSIE", "--root", str(tmp_path / "osie"), "--gold-standard", "--allow-missing",
            "--metrics", "LL,IG", "--quiet"]
    assert main([*args, "--center-bias", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"saliency eval: error: --center-bias {bad}: ") and len(err.strip().splitlines()) == 1
    ld = tmp_path / "uniform_ld.npy"  # a uniform log-density: the IG baseline is then the uniform one, IG = LL
    np.save(ld, np.full((30, 40), -np.log(30 * 40)))
    out = tmp_path / "r.json"
    assert main([*args, "--center-bias", str(ld), "--json", str(out)]) == 0
    m = json.loads(out.read_text())["results"][0]["metrics"]
    assert np.isfinite(m["LL"]) and m["IG"] == pytest.approx(m["LL"], abs=1e-9)

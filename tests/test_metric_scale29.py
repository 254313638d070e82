"""Review R11 (stop 29): NSS and CC are scale-invariant, but a float .npy map of extreme values (the Judd map of MIT
i210 times 1e200, or 1e-300; e.g. a float64 ``np.exp(logits)`` of logits above ~350) scored NSS 0 and CC 0 (shown
bold as the best) or NSS "left out", exit 0: the squares overflowed or underflowed. Oracle: the same map at its own
scale (invariance, a closed form), and the README's reference values for MIT i210 (NSS 2.043, CC 0.506)."""

from __future__ import annotations

import numpy as np
import pytest

from saliency.eval.fixation import cc, nss


@pytest.mark.parametrize("k", [1e200, 1e160, 1e-160, 1e-170, 1e-300])
def test_nss_and_cc_do_not_change_when_the_map_is_scaled(k):
    rng = np.random.default_rng(0)
    s = rng.random((60, 80))
    fix = rng.random((60, 80)) > 0.97
    dens = rng.random((60, 80))
    # relative 1e-12: the scaled map's floats round differently from the unscaled ones (k is no power of two)
    assert nss(k * s, fix) == pytest.approx(nss(s, fix), rel=1e-12)
    assert cc(k * s, dens) == pytest.approx(cc(s, dens), rel=1e-12)
    assert cc(dens, k * s) == pytest.approx(cc(s, dens), rel=1e-12)


def test_a_power_of_two_scaling_is_bit_for_bit():
    rng = np.random.default_rng(1)
    s = rng.random((40, 50)) * 255
    fix = rng.random((40, 50)) > 0.95
    assert nss(s * 2.0 ** -40, fix) == nss(s, fix)
    assert cc(s * 2.0 ** 300, s ** 2) == cc(s, s ** 2)


@pytest.mark.real_data
def test_mit_i210_judd_map_scaled_scores_the_readme_values(tmp_path, capsys):
    import json
    from pathlib import Path

    import cv2

    from cli_fakes import run_cli

    root = Path(__file__).resolve().parents[2] / "shared" / "data" / "mit_i210"
    if not root.is_dir():
        pytest.skip("../shared/data/mit_i210 not present")
    img = cv2.imread(str(root / "MODELS" / "Judd_i210.jpg"), cv2.IMREAD_GRAYSCALE).astype(np.float64) / 255
    pred = tmp_path / "big"
    pred.mkdir()
    np.save(pred / "i210.npy", img * 1e200)
    rc, _, err = run_cli(capsys, ["eval", "--task", "fixation", "--pred", pred, "--gt", root, "--metrics", "NSS,CC",
                                  "--json", tmp_path / "r.json", "--quiet", "--no-progress"])
    assert rc == 0, err
    m = json.loads((tmp_path / "r.json").read_text())["results"][0]["metrics"]
    assert (round(m["NSS"], 3), round(m["CC"], 3)) == (2.043, 0.506)  # README's reference values

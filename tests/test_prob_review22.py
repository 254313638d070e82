"""Review 22 of the probabilistic scores: shrinking a log-density, refusing a bad one, recording --metric-maps.

- A log-density larger than the fixation map was shrunk by bilinear sampling, which reads 1-2 fine pixels
  per coarse pixel at 3x or more and lost the mass between them; it is now area-averaged (each coarse pixel
  gets the mass of the block it covers). Oracle: block sums and LL worked by hand.
- A ``.npy`` with negative values that is not a log-density (logsumexp 0.5, or a -inf pixel) was refused
  with "contains negative values; save a non-negative saliency map" / "contains NaN or infinite values".
- ``--json`` / ``--csv`` did not say whether ``--metric-maps`` was used.
"""

from __future__ import annotations

import csv
import io
import json
import math

import cv2
import numpy as np
import pytest

from saliency.cli import main
from saliency.eval import probabilistic as P
from saliency.eval.fixation import fixation_image_scores


def _fine_6x6() -> np.ndarray:
    """A 6x6 density: 1/2 on pixel (0, 0), the other 35 pixels 1/70 each.

    Shrunk 3x to 2x2, its blocks hold (by hand) 1/2 + 8/70 = 43/70 (top left) and 9/70 (the others).
    Bilinear sampling read only the pixels (1, 1), (1, 4), (4, 1), (4, 4) (all 1/70): a uniform 2x2.
    """
    d = np.full((6, 6), 1 / 70)
    d[0, 0] = 0.5
    return d


BLOCKS_2X2 = np.array([[43 / 70, 9 / 70], [9 / 70, 9 / 70]])


def test_shrinking_a_log_density_by_an_integer_factor_sums_each_block():
    r = P.resize_log_density(np.log(_fine_6x6()), (2, 2))
    np.testing.assert_allclose(np.exp(r), BLOCKS_2X2, rtol=1e-12, atol=0)
    # a random density shrunk 4x: each coarse pixel is the sum of its 4 x 4 block
    d = np.random.default_rng(0).random((16, 24)) ** 6
    d /= d.sum()
    r = P.resize_log_density(np.log(d), (4, 6))
    np.testing.assert_allclose(np.exp(r), d.reshape(4, 4, 6, 4).sum(axis=(1, 3)), rtol=1e-10, atol=0)


def test_shrinking_one_axis_and_enlarging_the_other():
    """6 x 4 -> 2 x 8, rows constant along the columns: each output row holds its 3-row block's mass / 8."""
    w = np.array([0.30, 0.02, 0.02, 0.02, 0.62, 0.02])  # sums to 1; the bilinear rows 1 and 4 were 0.02, 0.62
    d = np.repeat(w[:, None] / 4, 4, axis=1)
    r = np.exp(P.resize_log_density(np.log(d), (2, 8)))
    np.testing.assert_allclose(r, np.array([[0.34 / 8] * 8, [0.66 / 8] * 8]), rtol=1e-12, atol=0)


def test_enlarging_stays_bilinear():
    """(1, 2) -> (1, 4): OpenCV's half-pixel bilinear gives a, (3a + b) / 4, (a + 3b) / 4, b, then / sum."""
    r = np.exp(P.resize_log_density(np.log(np.array([[0.2, 0.8]])), (1, 4)))
    np.testing.assert_allclose(r, np.array([[0.2, 0.35, 0.65, 0.8]]) / 2.0, rtol=1e-12, atol=0)


def test_ll_of_a_finer_log_density_uses_the_block_mass():
    counts = np.array([[2.0, 0.0], [0.0, 1.0]])  # (0, 0) fixated twice, (1, 1) once
    want = (2 * math.log2(43 / 70) + math.log2(9 / 70)) / 3 + math.log2(4)
    v = fixation_image_scores(np.log(_fine_6x6()), counts, metrics=("LL",), log_density=True).values
    assert v["LL"] == pytest.approx(want, abs=1e-12)


def _fixation_gt(root, fixations: np.ndarray, n: int = 2):
    """A fixation ground-truth folder (``fixations/`` binary maps, ``maps/`` the same as human maps)."""
    (root / "fixations").mkdir(parents=True)
    (root / "maps").mkdir()
    for i in range(n):
        cv2.imwrite(str(root / "fixations" / f"im{i}.png"), fixations.astype(np.uint8) * 255)
        cv2.imwrite(str(root / "maps" / f"im{i}.png"), fixations.astype(np.uint8) * 255)
    return root


def _run(args, capsys):
    code = main(["eval", "--no-progress", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_ll_of_a_finer_log_density(tmp_path, capsys):
    gt = _fixation_gt(tmp_path / "gt", np.array([[1, 0], [0, 1]]))
    pred = tmp_path / "fine"
    pred.mkdir()
    for i in range(2):
        np.save(pred / f"im{i}.npy", np.log(_fine_6x6()))
    code, _, err = _run(["--task", "fixation", "--gt", gt, "--pred", f"fine={pred}", "--metrics", "LL",
                         "--json", tmp_path / "r.json"], capsys)
    assert code == 0, err
    got = json.loads((tmp_path / "r.json").read_text())["results"][0]["metrics"]["LL"]
    assert got == pytest.approx((math.log2(43 / 70) + math.log2(9 / 70)) / 2 + 2, abs=1e-9)  # old: 0 (uniform)


LOGDENS = ("a .npy with negative values is read as a log-density (natural logs summing to 1 in probability), "
           "but {}")
FIX = ("normalise it (log p - logsumexp(log p)) or write it with saliency predict --log-density; "
       "a plain saliency map must have no negative values")


@pytest.mark.parametrize("case", ["unnormalised", "neg_inf", "neg_inf_unnormalised", "nan"])
def test_cli_refuses_a_bad_log_density_in_one_line(tmp_path, capsys, case):
    gt = _fixation_gt(tmp_path / "gt", np.eye(4, 5, dtype=bool))
    pred = tmp_path / "p"
    pred.mkdir()
    uni = np.full((4, 5), -math.log(20))
    a = {"unnormalised": uni + 0.5,
         "neg_inf": np.where(np.eye(4, 5, k=1) > 0, -np.inf, -math.log(16)),  # 16 pixels of 1/16: sums to 1
         "neg_inf_unnormalised": np.where(np.eye(4, 5, k=1) > 0, -np.inf, -math.log(16) + 0.5),
         "nan": np.where(np.eye(4, 5, k=1) > 0, np.nan, -math.log(16))}[case]
    np.save(pred / "im0.npy", a.astype(np.float32))
    np.save(pred / "im1.npy", uni.astype(np.float32))
    f = pred / "im0.npy"
    why = {"unnormalised": f"{f}: " + LOGDENS.format("its logsumexp is 0.5, not 0 (tolerance 0.001); ") + FIX,
           "nan": f"{f}: contains NaN or infinite values; save finite numbers"}.get(
        case, f"{f}: " + LOGDENS.format("4 pixel(s) are -inf (probability 0), which is not accepted (a fixation "
                                        "there would score -inf bits); give them a small finite log-probability "
                                        "(e.g. log(1e-30) = -69.1), then ") + FIX)
    code, _, err = _run(["--task", "fixation", "--gt", gt, "--pred", pred, "--metrics", "LL"], capsys)
    assert code == 2 and err == f"saliency eval: error: {why}\n", err
    # --allow-missing: the image is skipped with that reason, the good one scored (uniform: LL 0)
    code, _, err = _run(["--task", "fixation", "--gt", gt, "--pred", pred, "--metrics", "LL", "--allow-missing",
                         "--json", tmp_path / "r.json"], capsys)
    r = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert code == 0 and r["n_images"] == 1 and r["n_skipped"] == 1, err
    assert r["skipped_images"] == [{"image": "im0", "reason": why}]
    assert r["metrics"]["LL"] == pytest.approx(0.0, abs=1e-6)


def test_cli_still_reads_log_densities_and_plain_npy_maps(tmp_path, capsys):
    """The rule kept: negative values and logsumexp within 0.001 of 0 -> log-density; non-negative -> plain map."""
    gt = _fixation_gt(tmp_path / "gt", np.eye(4, 5, dtype=bool))
    for name, a in (("logd", np.full((4, 5), -math.log(20) + 0.0009)), ("plain", np.ones((4, 5)))):
        (tmp_path / name).mkdir()
        for i in range(2):
            np.save(tmp_path / name / f"im{i}.npy", a.astype(np.float32))
    code, out, err = _run(["--task", "fixation", "--gt", gt, "--pred", tmp_path / "logd", "--pred",
                           tmp_path / "plain", "--metrics", "LL", "--json", tmp_path / "r.json"], capsys)
    assert code == 0, err
    lls = [r["metrics"]["LL"] for r in json.loads((tmp_path / "r.json").read_text())["results"]]
    assert lls == pytest.approx([0.0, 0.0], abs=1e-6)  # both uniform once normalised


def test_json_and_csv_record_metric_maps(tmp_path, capsys):
    from saliency.report import read_eval_json

    gt = _fixation_gt(tmp_path / "gt", np.eye(4, 5, dtype=bool))
    pred = tmp_path / "p"
    pred.mkdir()
    for i in range(2):
        np.save(pred / f"im{i}.npy", np.full((4, 5), -math.log(20), np.float32))
    for flag, want in (([], False), (["--metric-maps"], True)):
        j, c = tmp_path / f"r{want}.json", tmp_path / f"r{want}.csv"
        code, _, err = _run(["--task", "fixation", "--gt", gt, "--pred", f"M={pred}", "--metrics", "LL,NSS",
                             *flag, "--json", j, "--csv", c], capsys)
        assert code == 0, err
        doc = json.loads(j.read_text())
        assert doc["metric_maps"] is want and list(doc)[:3] == ["task", "version", "metric_maps"]
        assert read_eval_json(j)["metric_maps"] is want  # saliency report still reads it
        rows = list(csv.reader(io.StringIO(c.read_text())))
        assert rows[0] == ["dataset", "method", "n_images", "LL", "NSS", "n_resized", "n_missing", "n_skipped",
                           "metric_maps", "seed"]
        assert [r[-2:] for r in rows[1:]] == [["true" if want else "false", ""]]  # LL, NSS: no negatives drawn


def test_a_non_square_blur_is_named_once_and_truly(tmp_path):
    """Regression review 2: one non-square sigma was 'differs between stimulus sizes or axes (1 values)' and the
    table also said 'the blur of its human maps is not known', which it is."""
    import json as _json

    from saliency.eval.datasets import _ingest_sigma

    p = tmp_path / "dataset.json"
    p.write_text(_json.dumps({"sigma": {"px_by_stimulus_size": {"1024x768": [31.51, 29.94]}}}))
    assert _ingest_sigma(p) == (0.0, "the blur of its human maps differs between the axes (dataset.json: 31.51 x "
                                     "29.94 px); CC/KLD/SIM metric maps use the unblurred density")
    p.write_text(_json.dumps({"sigma": {"px_by_stimulus_size": {"1024x768": [30, 30], "800x600": [24, 24]}}}))
    assert _ingest_sigma(p)[1] == ("the blur of its human maps differs between stimulus sizes (dataset.json: 2 "
                                   "sigmas); CC/KLD/SIM metric maps use the unblurred density")
    p.write_text(_json.dumps({"sigma": {"px_by_stimulus_size": {"1024x768": [30, 30.1]}}}))
    assert _ingest_sigma(p) == (30.05, None)

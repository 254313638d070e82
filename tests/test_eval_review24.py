"""Review 24 of the fixation metrics: a resized log-density's far tail, fractional SALICON points, repeated metrics.

- A log-density of another size than the fixation map was resampled in probability after ``exp(logp - max)``
  (0 below e^-745) and then clipped at 1e-30, so the same density given at 2x its size (each pixel's mass
  split over its 2x2 block) scored a fixated pixel of log p = -129 as -69 (LL 43 bits too high), unlike the
  native size (no floor). Oracles: LL and IG in closed form, block log-sum-exp by scipy, bilinear by hand.
- A SALICON point [10.7, 20.2] was truncated to [10, 20] (0.6 was named as 0 when refused) although the
  docstring promises one UserError for a point that is not two whole numbers.
- ``--metrics NSS,nss`` gave the CSV and markdown two NSS columns (the JSON one).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.special import logsumexp as sp_logsumexp

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.eval import probabilistic as P
from saliency.eval.benchmark import resolve_metrics
from saliency.eval.datasets import salicon_items

EPS = 2.220446049250313e-16  # MATLAB eps (MIT InfoGain.m)


def _run(args, capsys):
    code = main(["eval", "--no-progress", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ 1. a resized log-density keeps its far tail
H, W = 60, 80
TAIL = {(10, 10): -120.0, (50, 70): -800.0}  # log p - log p(rest): e^-120 (clipped before), e^-800 (underflowed)
FIXED = [(10, 10), (30, 40), (50, 70)]


def _native_logp() -> np.ndarray:
    a = np.zeros((H, W))
    for rc, v in TAIL.items():
        a[rc] = v
    log_z = math.log(H * W - len(TAIL) + sum(math.exp(v) for v in TAIL.values()))  # e^-800 -> 0.0: no matter
    return a - log_z


def _ll_closed_form() -> float:
    """Bits per fixation over uniform: mean of log2 p at the three fixations + log2(H * W), by hand."""
    log_z = math.log(H * W - 2 + math.exp(-120.0))
    logs = [TAIL.get(rc, 0.0) - log_z for rc in FIXED]
    return sum(logs) / len(logs) / math.log(2) + math.log2(H * W)


def _baseline_ll() -> float:
    """LL of the default baseline: a Gaussian of sigma 1/4 of each side as a density (/ sum, not min-maxed: review
    27), log2(eps + p) (eps changes no value here by more than 1e-11)."""
    y = (np.arange(H) - (H - 1) / 2) / (0.25 * H)
    x = (np.arange(W) - (W - 1) / 2) / (0.25 * W)
    g = np.exp(-0.5 * (y[:, None] ** 2 + x[None, :] ** 2))
    b = g / g.sum()
    return float(np.mean([math.log2(EPS + b[rc]) for rc in FIXED]) + math.log2(H * W))


def test_a_2x_split_log_density_scores_the_native_ll_and_ig(tmp_path, capsys):
    lp = _native_logp()
    big = np.repeat(np.repeat(lp, 2, 0), 2, 1) - math.log(4)  # each pixel's mass spread over its 2x2 block
    gt = tmp_path / "gt"
    (gt / "fixations").mkdir(parents=True)
    (gt / "maps").mkdir()
    f = np.zeros((H, W), np.uint8)
    for rc in FIXED:
        f[rc] = 255
    cv2.imwrite(str(gt / "fixations" / "a.png"), f)
    cv2.imwrite(str(gt / "maps" / "a.png"), f)
    for name, a in (("native", lp), ("big", big)):
        (tmp_path / name).mkdir()
        np.save(tmp_path / name / "a.npy", a)
    code, _, err = _run(["--task", "fixation", "--gt", gt, "--pred", f"native={tmp_path / 'native'}",
                         "--pred", f"big2x={tmp_path / 'big'}", "--metrics", "LL,IG", "--quiet",
                         "--json", tmp_path / "r.json"], capsys)
    assert code == 0, err
    got = {r["method"]: r["metrics"] for r in json.loads((tmp_path / "r.json").read_text())["results"]}
    ll = _ll_closed_form()  # -319.1 bits: the -800 nat pixel alone is -577 bits of the mean
    assert got["native"]["LL"] == pytest.approx(ll, abs=1e-9)
    assert got["big2x"]["LL"] == pytest.approx(ll, abs=1e-9)  # old: -58.3 (both tail pixels floored at 1e-30)
    ig = ll - _baseline_ll()
    assert got["native"]["IG"] == pytest.approx(ig, abs=1e-9)
    assert got["big2x"]["IG"] == pytest.approx(ig, abs=1e-9)


def test_resize_far_below_the_underflow_by_hand():
    # (1, 3) -> (1, 2) by area: new pixel 0 covers old 0 and half of 1, new 1 the other half of 1 and old 2
    r = P.resize_log_density(np.array([[0.0, -1000.0, -2000.0]]), (1, 2))
    np.testing.assert_allclose(r, [[0.0, -1000.0 - math.log(2)]], rtol=0, atol=1e-12)  # old: -69.1 (1e-30)
    # (1, 2) -> (1, 4) bilinearly: a, (3a + b) / 4, (a + 3b) / 4, b over their sum 2 (a + b)
    r = P.resize_log_density(np.array([[0.0, -1000.0]]), (1, 4))
    want = np.array([[0.0, math.log(3 / 4), math.log(1 / 4), -1000.0]]) - math.log(2)
    np.testing.assert_allclose(r, want, rtol=0, atol=1e-12)


def test_shrinking_by_blocks_is_the_block_logsumexp_however_deep():
    rng = np.random.default_rng(24)
    lp = -rng.random((12, 18)) * 3000.0  # 0 to -3000 nats: most of it underflows exp()
    lp -= sp_logsumexp(lp)
    for k in (2, 3):
        want = sp_logsumexp(lp.reshape(12 // k, k, 18 // k, k), axis=(1, 3))
        np.testing.assert_allclose(P.resize_log_density(lp, (12 // k, 18 // k)), want, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("shape_in, shape_out", [((34, 25), (31, 16)), ((9, 7), (4, 5)), ((5, 6), (5, 4))])
def test_a_fractional_shrink_keeps_the_mass_each_pixel_covers(shape_in, shape_out):
    """Oracle: each old pixel cut into h x w equal cells, each new pixel the log-sum-exp of its H x W cells.

    Old: OpenCV's float32 area weights (8e-8 off) and, where a new pixel lies in the last columns, -69 (1e-30).
    """
    (hi, wi), (h, w) = shape_in, shape_out
    rng = np.random.default_rng(hi * wi)
    lp = np.log(rng.random(shape_in) ** 3 + 1e-3)
    lp[:, -2:] -= 900.0  # the last two columns far below the underflow of exp()
    lp -= sp_logsumexp(lp)
    got = P.resize_log_density(lp, (h, w))
    cells = np.repeat(np.repeat(lp, h, 0), w, 1).reshape(h, hi, w, wi)
    want = sp_logsumexp(cells, axis=(1, 3))
    np.testing.assert_allclose(got, want - sp_logsumexp(want), rtol=0, atol=1e-11)


def test_only_a_block_without_mass_is_floored_at_the_smallest_normal_float():
    lp = np.full((4, 4), -math.log(12))
    lp[2:, 2:] = -np.inf  # no mass at all in that block
    r = P.resize_log_density(lp, (2, 2))
    tiny = math.log(np.finfo(np.float64).tiny)  # -708.4; old: log(1e-30) = -69.1
    np.testing.assert_allclose(r, [[-math.log(3), -math.log(3)], [-math.log(3), tiny]], rtol=0, atol=1e-12)


# ------------------------------------------------------------------ 2. fractional SALICON points
def _salicon_json(path: Path, fixations, width=40) -> Path:
    d = {"images": [{"id": 1, "file_name": "x.jpg", "width": width, "height": 30}],
         "annotations": [{"image_id": 1, "worker_id": 1, "fixations": fixations}]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(d))
    return path


@pytest.mark.parametrize("fixations, shown", [([[10.7, 20.2], [5, 5]], "[10.7, 20.2], whose row 10.7"),
                                              ([[5, 5], [3, 0.6]], "[3, 0.6], whose col 0.6"),
                                              ([[0.6, 3]], "[0.6, 3], whose row 0.6")])
def test_a_fractional_salicon_point_is_refused_as_written(tmp_path, capsys, fixations, shown):
    j = _salicon_json(tmp_path / "gt" / "fixations_val.json", fixations)
    why = (f"{j}: annotations[0] (image x.jpg) has the point {shown} is not a whole number (points are 1-based "
           "[row, col] pixels); fix or replace the file")
    with pytest.raises(UserError) as e:
        salicon_items(j, None)  # old: [10.7, 20.2] kept as (9, 19); [0.6, 3] named [0, 3]
    assert str(e.value) == why
    (tmp_path / "pred").mkdir()
    cv2.imwrite(str(tmp_path / "pred" / "x.png"), np.arange(1200).reshape(30, 40).astype(np.uint8))
    code, out, err = _run(["--task", "fixation", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred",
                           "--metrics", "NSS", "--quiet"], capsys)
    assert code == 2 and err == f"saliency eval: error: {why}\n" and out == ""


def test_whole_valued_salicon_floats_still_read_and_a_fractional_width_is_refused(tmp_path):
    j = _salicon_json(tmp_path / "a.json", [[5.0, 6.0], [1, 40]])
    assert salicon_items(j, None)[0].points == ((4, 5), (0, 39))
    j = _salicon_json(tmp_path / "b.json", [[5, 6]], width=40.5)
    with pytest.raises(UserError) as e:
        salicon_items(j, None)
    assert str(e.value) == f"{j}: images[0].width 40.5 is not a whole number; fix or replace the file"


# ------------------------------------------------------------------ 3. a metric named twice
def test_a_metric_named_twice_is_one_column_everywhere(tmp_path, capsys):
    assert resolve_metrics("fixation", "NSS,nss,IG, Nss,ig") == ("NSS", "IG")
    assert resolve_metrics("fixation", ["cc", "NSS", "CC"]) == ("CC", "NSS")
    gt = tmp_path / "gt"
    (gt / "fixations").mkdir(parents=True)
    (gt / "maps").mkdir()
    f = np.zeros((6, 8), np.uint8)
    f[1, 2] = f[4, 5] = 255
    cv2.imwrite(str(gt / "fixations" / "a.png"), f)
    cv2.imwrite(str(gt / "maps" / "a.png"), f)
    (tmp_path / "p").mkdir()
    cv2.imwrite(str(tmp_path / "p" / "a.png"), f)
    code, out, err = _run(["--task", "fixation", "--gt", gt, "--pred", f"M={tmp_path / 'p'}", "--metrics", "NSS,nss",
                           "--quiet", "--csv", tmp_path / "r.csv", "--json", tmp_path / "r.json"], capsys)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert rows[0] == ["dataset", "method", "n_images", "NSS", "n_resized", "n_missing", "n_skipped", "metric_maps",
                       "seed"]
    assert "| Method | NSS ↑ |" in out.splitlines()  # old: | Method | NSS ↑ | NSS ↑ |
    assert list(json.loads((tmp_path / "r.json").read_text())["results"][0]["metrics"]) == ["NSS"]


def test_the_resize_note_says_how_a_fixation_log_density_was_resized():
    # eval area-averages a larger .npy log-density (resize_log_density); the note (eval's table and saliency
    # report's) said "bilinear" for every method (review 24, OSIE end to end)
    from saliency.eval.runner import MethodResult
    from saliency.eval.tables import result_note

    fix = MethodResult("D", "npy", 10, {"NSS": 1.0, "LL": 0.5}, n_resized=10)
    sod = MethodResult("D", "net", 3, {"MAE": 0.1}, n_resized=3)
    assert result_note(fix) == "10 images, 10 predictions resized to the GT (bilinear; a log-density .npy " \
                               "area-averaged where larger)"
    assert result_note(sod) == "3 images, 3 predictions resized to the GT (bilinear)"

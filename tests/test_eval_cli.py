"""End-to-end tests of ``saliency eval`` (files in tmp_path; PySODMetrics as the numeric oracle)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from saliency.cli import main

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _sod_folders(tmp_path, n=5, seed=0):
    rng = np.random.default_rng(seed)
    gt_dir, p1, p2 = tmp_path / "gt", tmp_path / "m1", tmp_path / "m2"
    for d in (gt_dir, p1, p2):
        d.mkdir()
    pairs = []
    for i in range(n):
        h, w = rng.integers(30, 60, 2)
        gt = np.zeros((h, w), np.uint8)
        gt[h // 4: 3 * h // 4, w // 3: 2 * w // 3] = 255
        good = np.clip(gt * 0.8 + rng.normal(30, 20, (h, w)), 0, 255).astype(np.uint8)
        bad = rng.integers(0, 256, (h, w), dtype=np.uint8)
        cv2.imwrite(str(gt_dir / f"im{i}.png"), gt)
        cv2.imwrite(str(p1 / f"im{i}.png"), good)
        cv2.imwrite(str(p2 / f"im{i}.png"), bad)
        pairs.append((good, gt))
    return gt_dir, p1, p2, pairs


def _run(args, capsys):
    code = main(["eval", "--no-progress", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_sod_end_to_end_outputs_and_numbers(tmp_path, capsys):
    import py_sod_metrics

    gt, p1, p2, pairs = _sod_folders(tmp_path)
    code, out, err = _run(["--task", "sod", "--pred", f"good={p1}", "--pred", f"noise={p2}", "--gt", gt,
                           "--json", tmp_path / "r.json", "--csv", tmp_path / "r.csv",
                           "--latex", tmp_path / "r.tex", "--plot-dir", tmp_path / "plots"], capsys)
    assert code == 0, err
    assert "| good |" in out and "**" in out
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["task"] == "sod" and isinstance(doc["version"], str)
    r = {e["method"]: e for e in doc["results"]}
    assert r["good"]["n_images"] == 5 and r["good"]["dataset"] == "gt"
    ref = py_sod_metrics.Smeasure()
    mae = py_sod_metrics.MAE()
    for p, g in pairs:
        ref.step(p, g)
        mae.step(p, g)
    assert abs(r["good"]["metrics"]["Smeasure"] - ref.get_results()["sm"]) < 1e-10
    assert abs(r["good"]["metrics"]["MAE"] - mae.get_results()["mae"]) < 1e-10
    assert "\\textbf{" in (tmp_path / "r.tex").read_text()
    assert (tmp_path / "r.csv").read_text().startswith("dataset,method,n_images,MAE")
    for f in ("gt_pr.png", "gt_pr.pdf", "gt_fm.png", "gt_fm.pdf"):
        assert (tmp_path / "plots" / f).stat().st_size > 0


def test_workers_give_identical_results(tmp_path, capsys):
    gt, p1, p2, _ = _sod_folders(tmp_path, n=6)
    outs = []
    for w in (1, 2):
        code, out, err = _run(["--task", "sod", "--pred", p1, "--pred", p2, "--gt", gt, "--workers", w,
                               "--json", tmp_path / f"w{w}.json"], capsys)
        assert code == 0, err
        outs.append(json.loads((tmp_path / f"w{w}.json").read_text())["results"])
    assert outs[0] == outs[1]


def test_missing_predictions_error_and_allow_missing(tmp_path, capsys):
    gt, p1, _, _ = _sod_folders(tmp_path)
    (p1 / "im3.png").unlink()
    code, out, err = _run(["--task", "sod", "--pred", p1, "--gt", gt], capsys)
    assert code == 2 and "im3" in err and "--allow-missing" in err and "Traceback" not in err
    code, out, err = _run(["--task", "sod", "--pred", p1, "--gt", gt, "--allow-missing",
                           "--json", tmp_path / "r.json"], capsys)
    assert code == 0
    e = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert e["n_images"] == 4 and e["n_missing"] == 1 and "1 without a prediction skipped" in out


def test_resized_prediction_is_counted(tmp_path, capsys):
    gt, p1, _, _ = _sod_folders(tmp_path, n=2)
    img = cv2.imread(str(p1 / "im0.png"), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(p1 / "im0.png"), cv2.resize(img, (17, 13)))
    code, out, err = _run(["--task", "sod", "--pred", p1, "--gt", gt, "--metrics", "MAE,Smeasure"], capsys)
    assert code == 0 and "1 prediction resized" in out and "Fmax" not in out


@pytest.mark.parametrize("case", ["missing_dir", "empty_dir", "garbage", "colour_gt", "bad_metric", "no_task"])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, case):
    gt, p1, _, _ = _sod_folders(tmp_path, n=2)
    args = ["--task", "sod", "--pred", p1, "--gt", gt]
    if case == "missing_dir":
        args = ["--task", "sod", "--pred", tmp_path / "nope", "--gt", gt]
    elif case == "empty_dir":
        (tmp_path / "empty").mkdir()
        args = ["--task", "sod", "--pred", p1, "--gt", tmp_path / "empty"]
    elif case == "garbage":
        (p1 / "im1.png").write_bytes(b"not an image")
    elif case == "colour_gt":
        c = np.zeros((40, 40, 3), np.uint8)
        c[..., 2] = 255
        cv2.imwrite(str(gt / "im1.png"), c)
    elif case == "bad_metric":
        args += ["--metrics", "MAE,NSS"]
    elif case == "no_task":
        args = ["--pred", p1, "--gt", gt]
    code, out, err = _run(args, capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("saliency eval: error:"), err
    if case == "garbage":
        assert "im1.png" in err
        code, out, err = _run(args + ["--allow-missing"], capsys)
        assert code == 0 and "1 unreadable or refused skipped" in out


def test_published_layout_and_config(tmp_path, capsys):
    gt, p1, p2, _ = _sod_folders(tmp_path, n=3)
    root = tmp_path / "data" / "ECSSD"
    (root / "images").mkdir(parents=True)
    gt.rename(root / "ground_truth_mask")
    code, out, err = _run(["--pred", f"A={p1}", "--dataset", "ECSSD", "--root", tmp_path / "data"], capsys)
    assert code == 0 and "### ECSSD" in out, err
    cfg = tmp_path / "bench.yaml"
    cfg.write_text(f"task: sod\ndatasets:\n  ECSSD: {{root: data}}\n  again: {{gt: data/ECSSD/ground_truth_mask}}\n"
                   f"methods:\n  A: {p1}\n  B: {{ECSSD: {p2}}}\n")
    code, out, err = _run(["--config", cfg, "--json", tmp_path / "c.json"], capsys)
    assert code == 0, err
    res = json.loads((tmp_path / "c.json").read_text())["results"]
    assert [(r["dataset"], r["method"]) for r in res] == [("ECSSD", "A"), ("ECSSD", "B"), ("again", "A")]
    code, out, err = _run(["--list-datasets"], capsys)
    assert code == 0 and "SALICON" in out and "DUTS-TE" in out


def _fixation_dataset(tmp_path, n=4, with_cb=True):
    rng = np.random.default_rng(1)
    d = tmp_path / "D"
    for sub in ("fixations", "maps", "stimuli"):
        (d / sub).mkdir(parents=True)
    pred = tmp_path / "pred"
    pred.mkdir()
    for i in range(n):
        h, w = 48, 64
        fix = np.zeros((h, w), np.uint8)
        ys, xs = rng.integers(10, 38, 12), rng.integers(10, 54, 12)
        fix[ys, xs] = 255
        dens = cv2.GaussianBlur(fix.astype(float), (0, 0), 5)
        dens = (255 * dens / dens.max()).astype(np.uint8)
        cv2.imwrite(str(d / "fixations" / f"s{i:04d}.png"), fix)
        cv2.imwrite(str(d / "maps" / f"s{i:04d}.png"), dens)
        cv2.imwrite(str(pred / f"s{i:04d}.png"), cv2.resize(dens, (32, 24)))
    if with_cb:
        yy, xx = np.mgrid[:48, :64]
        cb = np.exp(-((yy - 24) ** 2 + (xx - 32) ** 2) / 400.0)
        cv2.imwrite(str(d / "center_bias.png"), (255 * cb).astype(np.uint8))
    return d, pred


def test_fixation_dataset_folder_workers_identical(tmp_path, capsys):
    from saliency.eval import FixationMetrics
    from saliency.eval.fixation import fixation_coords

    d, pred = _fixation_dataset(tmp_path)
    docs = []
    for w in (1, 2):
        code, out, err = _run(["--task", "fixation", "--pred", f"M={pred}", "--gt", d, "--workers", w,
                               "--json", tmp_path / f"f{w}.json"], capsys)
        assert code == 0, err
        assert "center_bias.png" in out and "4 predictions resized" in out
        docs.append(json.loads((tmp_path / f"f{w}.json").read_text()))
    assert docs[0]["results"] == docs[1]["results"] and docs[0]["task"] == "fixation"
    # same numbers as the accumulator fed directly (pool mode)
    fixes = [cv2.imread(str(p), 0) > 128 for p in sorted((d / "fixations").glob("*.png"))]
    cb = cv2.imread(str(d / "center_bias.png"), 0).astype(float)
    acc = FixationMetrics(baseline=cb, fixation_pool=[fixation_coords(f) for f in fixes])
    for i, f in enumerate(fixes):
        acc.step(cv2.imread(str(pred / f"s{i:04d}.png"), 0).astype(float), f,
                 density=cv2.imread(str(d / "maps" / f"s{i:04d}.png"), 0).astype(float))
    direct = acc.results()
    for k, v in docs[0]["results"][0]["metrics"].items():
        assert abs(v - direct[k]) < 1e-12, k


def test_fixation_without_center_bias_uses_gaussian(tmp_path, capsys):
    d, pred = _fixation_dataset(tmp_path, n=2, with_cb=False)
    code, out, err = _run(["--task", "fixation", "--pred", pred, "--gt", d, "--metrics", "IG,NSS"], capsys)
    assert code == 0 and "Gaussian centre bias" in out, err
    code, out, err = _run(["--task", "fixation", "--pred", pred, "--gt", d, "--plot-dir", tmp_path / "p"], capsys)
    assert code == 2


@pytest.mark.real_data
def test_cli_on_mit_i210(tmp_path, capsys):
    root = SHARED / "mit_i210"
    if not root.is_dir():
        pytest.skip("../shared/data is absent")
    pred = tmp_path / "judd"
    pred.mkdir()
    cv2.imwrite(str(pred / "i210.png"), cv2.imread(str(root / "MODELS" / "Judd_i210.jpg"), 0))
    code, out, err = _run(["--task", "fixation", "--pred", pred, "--gt", root, "--json", tmp_path / "r.json",
                           "--metrics", "AUC_Judd,NSS,CC,KLD,SIM"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "r.json").read_text())["results"][0]["metrics"]
    for k, v in {"NSS": 2.0426, "CC": 0.5064, "KLD": 1.4528, "SIM": 0.3185}.items():
        assert abs(m[k] - v) < 1e-3, k
    assert abs(m["AUC_Judd"] - 0.8745) < 0.005


@pytest.mark.real_data
def test_salicon_json_layout(tmp_path, capsys):
    root = SHARED / "salicon_examples"
    if not root.is_dir():
        pytest.skip("../shared/data is absent")
    data = json.loads(next(root.glob("*.json")).read_text())
    im = sorted(data["images"], key=lambda x: x["file_name"])[0]
    pts = {(r - 1, c - 1) for a in data["annotations"] if a["image_id"] == im["id"] for r, c in a["fixations"]}
    fix = np.zeros((im["height"], im["width"]), np.uint8)
    for r, c in pts:
        if 0 <= r < im["height"] and 0 <= c < im["width"]:
            fix[r, c] = 1
    pred = tmp_path / "pred"
    pred.mkdir()
    blurred = cv2.GaussianBlur(fix.astype(float), (0, 0), 19)
    cv2.imwrite(str(pred / (Path(im["file_name"]).stem + ".png")), (255 * blurred / blurred.max()).astype(np.uint8))
    code, out, err = _run(["--task", "fixation", "--pred", pred, "--gt", root, "--allow-missing",
                           "--metrics", "AUC_Judd,NSS", "--json", tmp_path / "r.json"], capsys)
    assert code == 0, err
    e = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert e["n_images"] == 1 and e["n_missing"] == 9 and e["metrics"]["AUC_Judd"] > 0.8


def test_allow_missing_counts_each_image_once(tmp_path):
    """An unreadable GT whose prediction was also missing was counted twice (missing and skipped): 19 of 18."""
    import cv2
    import numpy as np

    from saliency.eval.benchmark import evaluate

    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    for k in range(5):
        m = np.zeros((24, 32), np.uint8)
        m[6:18, 8 + k:20 + k] = 255
        cv2.imwrite(str(gt / f"i{k}.png"), m)
        if k < 3:
            cv2.imwrite(str(pred / f"i{k}.png"), cv2.GaussianBlur(m, (5, 5), 2))
    (gt / "i4.png").write_bytes(b"not a png")  # unreadable, and without a prediction
    (gt / "i2.png").write_bytes(b"not a png")  # unreadable, with a prediction
    bench = evaluate(task="sod", pred=[f"Q={pred}"], gt=str(gt), allow_missing=True, progress=False)
    r = bench.results[0]
    assert (r.n_images, r.n_missing, r.n_skipped) == (2, 2, 1)
    assert r.n_images + r.n_missing + r.n_skipped == 5


def _hashes(*paths):
    import hashlib

    return [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths]


def test_inputs_named_by_a_config_or_a_dataset_are_never_outputs(tmp_path, capsys):
    """--json/--csv given a path inside the GT or prediction folders of --config (or equal to the config) replaced
    masks, predictions and the config itself with tables; only --gt and --pred were checked."""
    gt, p1, _, _ = _sod_folders(tmp_path)
    cfg = tmp_path / "bench.json"
    cfg.write_text(json.dumps({"task": "sod", "datasets": {"mine": {"gt": str(gt)}}, "methods": {"M": str(p1)}}))
    mask, pred = gt / "im0.png", p1 / "im1.png"
    before = _hashes(cfg, mask, pred)
    for out in (["--json", cfg], ["--json", mask], ["--csv", pred], ["--plot-dir", gt / "curves"]):
        code, _, err = _run(["--config", cfg, *out, "--overwrite"], capsys)  # refused even with --overwrite
        assert code == 2 and err.count("\n") == 1 and "apart from the inputs" in err, err
    assert _hashes(cfg, mask, pred) == before and not (gt / "curves").exists()
    root = tmp_path / "root"
    (root / "ECSSD").mkdir(parents=True)
    gt.rename(root / "ECSSD" / "ground_truth_mask")
    code, _, err = _run(["--dataset", "ECSSD", "--root", root, "--pred", f"M={p1}", "--overwrite", "--json",
                         root / "ECSSD" / "ground_truth_mask" / "im3.png"], capsys)
    assert code == 2 and "lies inside the input ground truth" in err, err


def test_a_file_that_is_not_an_earlier_eval_output_is_not_replaced(tmp_path, capsys):
    """--json, --csv and --latex replaced any file: a typo turned a trained checkpoint into JSON."""
    gt, p1, _, _ = _sod_folders(tmp_path)
    ck = tmp_path / "best.pt"
    ck.write_bytes(b"\x80\x04 a checkpoint")
    notes = tmp_path / "notes.tex"
    notes.write_text("my paper\n")
    base = ["--task", "sod", "--gt", gt, "--pred", f"M={p1}"]
    for out, f in ((["--json", ck], ck), (["--latex", notes], notes), (["--csv", notes], notes)):
        code, _, err = _run([*base, *out], capsys)
        assert code == 2 and err.count("\n") == 1 and "--overwrite" in err and "exists and is not" in err, err
    assert ck.read_bytes() == b"\x80\x04 a checkpoint" and notes.read_text() == "my paper\n"
    # its own outputs are replaced without asking, others with --overwrite
    outs = ["--json", tmp_path / "r.json", "--csv", tmp_path / "r.csv", "--latex", tmp_path / "r.tex",
            "--plot-dir", tmp_path / "plots"]
    assert _run([*base, *outs], capsys)[0] == 0
    assert _run([*base, *outs], capsys)[0] == 0
    assert _run([*base, "--latex", notes, "--overwrite"], capsys)[0] == 0
    assert notes.read_text().startswith("% generated by saliency eval")
    (tmp_path / "plots" / "gt_pr.png").write_text("not a curve")
    code, _, err = _run([*base, "--plot-dir", tmp_path / "plots"], capsys)
    assert code == 2 and "gt_pr.png: exists and is not a saliency eval curve" in err, err


def test_the_outputs_of_a_run_are_all_old_or_all_new(tmp_path, capsys, monkeypatch):
    """Ctrl-C after --json was renamed into place left a new JSON beside the old CSV and curves."""
    from saliency.eval import plots

    gt, p1, p2, _ = _sod_folders(tmp_path)
    outs = ["--json", tmp_path / "o" / "r.json", "--csv", tmp_path / "o" / "r.csv", "--plot-dir",
            tmp_path / "o" / "plots"]
    assert _run(["--task", "sod", "--gt", gt, "--pred", f"M={p1}", *outs], capsys)[0] == 0
    files = sorted(p for p in (tmp_path / "o").rglob("*") if p.is_file())
    before = _hashes(*files)
    real = plots.plot_curves

    def interrupted(results, out_dir, path=None):
        real(results, out_dir, path=path)
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "plot_curves", interrupted)
    assert main(["eval", "--quiet", "--task", "sod", "--gt", str(gt), "--pred", f"M={p2}", *map(str, outs)]) == 130
    assert sorted(p for p in (tmp_path / "o").rglob("*") if p.is_file()) == files  # no temporary file left
    assert _hashes(*files) == before
    fresh = tmp_path / "fresh"
    assert main(["eval", "--quiet", "--task", "sod", "--gt", str(gt), "--pred", f"M={p2}", "--json",
                 str(fresh / "a" / "r.json"), "--plot-dir", str(fresh / "plots")]) == 130
    assert not fresh.exists()  # the folders made for the outputs go too


def test_an_output_beside_the_centre_bias_file_is_fine(tmp_path, capsys):
    """The centre-bias map's folder was taken for ground truth: `--json exp/results.json` beside
    `--center-bias exp/cb.png` was refused ("lies inside the input ground truth exp"); only the file is an input."""
    gt = tmp_path / "gt"
    for sub in ("fixations", "maps"):
        (gt / sub).mkdir(parents=True)
    fix = np.zeros((30, 40), np.uint8)
    fix[[5, 20], [8, 30]] = 255
    cv2.imwrite(str(gt / "fixations" / "a.png"), fix)
    cv2.imwrite(str(gt / "maps" / "a.png"), cv2.GaussianBlur(fix, (0, 0), 3))
    exp = tmp_path / "exp"
    (exp / "pred").mkdir(parents=True)
    cv2.imwrite(str(exp / "pred" / "a.png"), cv2.GaussianBlur(fix, (0, 0), 5))
    cv2.imwrite(str(exp / "cb.png"), np.full((30, 40), 128, np.uint8))
    code, _, err = _run(["--task", "fixation", "--gt", gt, "--pred", f"M={exp / 'pred'}", "--center-bias",
                         exp / "cb.png", "--json", exp / "results.json"], capsys)
    assert code == 0, err
    code, _, err = _run(["--task", "fixation", "--gt", gt, "--pred", f"M={exp / 'pred'}", "--center-bias",
                         exp / "cb.png", "--json", exp / "cb.png", "--overwrite"], capsys)
    assert code == 2 and "is the input" in err, err


def test_a_name_that_is_not_utf8_in_a_table_is_named_alone():
    """The whole CSV being written was printed as the 'name' (three lines of table on stderr)."""
    from saliency.cli import _surrogates

    text = "dataset,method,n_images\ngt\udcff,M,5\nother,M,3\n"
    at = text.index("\udcff")
    exc = UnicodeEncodeError("utf-8", text, at, at + 1, "surrogates not allowed")
    msg = _surrogates(exc)
    assert msg.startswith("gt\\xff: the name is not UTF-8 (byte 0xff)") and "\n" not in msg, msg


def test_workers_pool_started_by_the_command_serves_the_run(tmp_path, capsys, monkeypatch):
    """``saliency eval --workers 2`` starts its pool before resolving the benchmark, and the run uses that pool.

    Oracle: ``--workers 1``'s JSON; a second pool started inside the run would fail the test.
    """
    from saliency.eval import runner

    gt, p1, _, _ = _sod_folders(tmp_path, n=6)
    code, _, err = _run(["--task", "sod", "--pred", p1, "--gt", gt, "--json", tmp_path / "w1.json"], capsys)
    assert code == 0, err

    def no_second_pool(workers):
        raise AssertionError("benchmark.run started a pool of its own")

    monkeypatch.setattr(runner, "start_pool", no_second_pool)
    code, _, err = _run(["--task", "sod", "--pred", p1, "--gt", gt, "--workers", 2, "--json", tmp_path / "w2.json"],
                        capsys)
    assert code == 0, err
    assert (tmp_path / "w1.json").read_text() == (tmp_path / "w2.json").read_text()


def test_workers_pool_shut_down_on_bad_input(tmp_path):
    """A benchmark that cannot be resolved, with the pool already started: one error line, exit 2."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "saliency", "eval", "--task", "sod", "--pred", str(tmp_path),
                           "--gt", str(tmp_path / "nowhere"), "--workers", "2"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nowhere" in lines[0] and "Traceback" not in proc.stderr, proc.stderr

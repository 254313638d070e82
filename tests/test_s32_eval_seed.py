"""The seed of AUC-Borji's and sAUC's random negatives is in ``eval --csv`` and under the printed table, not only in
``--json`` (finding F9: ``--seed 0`` and ``--seed 5`` gave different sAUC with no trace of the seed in the CSV or
the table)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli

HEAD = ["dataset", "method", "n_images"]
TAIL = ["n_resized", "n_missing", "n_skipped", "metric_maps", "seed"]


def _fixation_gt(root, with_points: bool = True, n: int = 3):
    """An ingest-layout folder of ``n`` (up to three) 16x24 images: a human map each and (``with_points``) two
    fixations each."""
    (root / "maps").mkdir(parents=True)
    if with_points:
        (root / "fixations").mkdir()
    yy, xx = np.mgrid[:16, :24]
    for i, (y, x) in enumerate(((4, 5), (8, 12), (11, 19))[:n]):
        if with_points:
            f = np.zeros((16, 24), np.uint8)
            f[y, x] = f[15 - y, 23 - x] = 255
            cv2.imwrite(str(root / "fixations" / f"im{i}.png"), f)
        m = 255 * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 18)
        cv2.imwrite(str(root / "maps" / f"im{i}.png"), m.astype(np.uint8))
    return root


def _preds(root):
    root.mkdir()
    rng = np.random.default_rng(3)
    for i in range(3):
        cv2.imwrite(str(root / f"im{i}.png"), rng.integers(0, 256, (16, 24), dtype=np.uint8))
    return root


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _bullets(out):
    return [line for line in out.splitlines() if line.startswith("- ")]


def test_fixation_csv_and_table_name_each_seed(tmp_path, capsys):
    gt, pred = _fixation_gt(tmp_path / "gt"), _preds(tmp_path / "p")
    for seed in ("0", "5"):
        c, j = tmp_path / f"r{seed}.csv", tmp_path / f"r{seed}.json"
        rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                        "--metrics", "sAUC,NSS", "--seed", seed, "--csv", c, "--json", j, "--quiet"])
        assert rc == 0, err
        rows = _rows(c)
        assert rows[0] == HEAD + ["sAUC", "NSS"] + TAIL  # seed appended after metric_maps
        assert len(rows) == 2 and rows[1][:2] == ["gt", "M"] and rows[1][-2:] == ["false", seed]
        # the table's last note says it, once; the JSON keeps its notes (the seed is its own key, as before)
        note = f"- sAUC: negatives drawn with seed {seed} (`seed`)"
        assert _bullets(out)[-1] == note and out.count("negatives drawn") == 1
        doc = json.loads(j.read_text())
        assert doc["seed"] == int(seed) and list(doc)[:5] == ["task", "version", "metric_maps", "seed", "results"]
        assert [f"- {n}" for n in doc["notes"]] == _bullets(out)[1:-1]  # the method's line first, then the notes


def test_default_seed_of_both_metrics_is_said_in_the_columns_order(tmp_path, capsys):
    gt, pred = _fixation_gt(tmp_path / "gt"), _preds(tmp_path / "p")
    c, tex = tmp_path / "r.csv", tmp_path / "r.tex"
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                    "--metrics", "sAUC,AUC_Borji", "--csv", c, "--latex", tex, "--quiet"])
    assert rc == 0, err
    assert "| Method | sAUC ↑ | AUC_Borji ↑ |" in out.splitlines()  # the columns as --metrics named them
    assert _bullets(out)[-1] == "- sAUC, AUC_Borji: negatives drawn with seed 0 (`seed`)"  # no --seed: 0
    assert [r[-1] for r in _rows(c)] == ["seed", "0"]
    assert "seed" not in tex.read_text()  # eval's notes are not in the LaTeX footnotes (only its n/a lines)


def test_no_negatives_drawn_leaves_the_column_empty_and_says_nothing(tmp_path, capsys):
    gt, pred = _fixation_gt(tmp_path / "gt"), _preds(tmp_path / "p")
    c = tmp_path / "fix.csv"
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                    "--metrics", "NSS,CC", "--csv", c, "--quiet"])
    assert rc == 0, err
    assert _rows(c)[0][-1] == "seed" and [r[-1] for r in _rows(c)[1:]] == [""]
    assert "negatives drawn" not in out

    masks, sod = tmp_path / "masks", tmp_path / "sod"
    masks.mkdir()
    sod.mkdir()
    for i in range(2):
        m = np.zeros((20, 30), np.uint8)
        m[5:15, 8 + i:20] = 255
        cv2.imwrite(str(masks / f"s{i}.png"), m)
        p = m // 2
        p[0, 0] = 255  # min-max (PySODMetrics) leaves the mask at 127/255 and this background pixel at 1
        cv2.imwrite(str(sod / f"s{i}.png"), p)
    c = tmp_path / "sod.csv"
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", masks, "--pred", f"A={sod}", "--metrics", "MAE",
                                    "--csv", c, "--quiet"])
    assert rc == 0, err
    head, row = _rows(c)
    assert head == HEAD + ["MAE"] + TAIL and row[:3] + row[4:] == ["masks", "A", "2", "0", "0", "0", "false", ""]
    # by hand: 120 and 110 of 600 pixels off by 128/255 where the mask is 255, one pixel off by 1
    assert abs(float(row[3]) - ((120 + 110) * 128 / 255 + 2) / 1200) < 1e-12
    assert "negatives drawn" not in out


def _config_eval(tmp_path, capsys, names, metrics):
    """``saliency eval --config`` of the datasets ``names`` (ground truth made by the test) with a method M
    predicted for each, at ``--seed 7``: (stdout, the CSV's rows)."""
    for name in names:
        _preds(tmp_path / f"p_{name}")
    cfg = tmp_path / "bench.json"
    cfg.write_text(json.dumps({"task": "fixation", "datasets": {n: {"gt": n} for n in names},
                               "methods": {"M": "p_{dataset}"}}))
    c = tmp_path / "r.csv"
    rc, out, err = run_cli(capsys, ["eval", "--config", cfg, "--metrics", metrics, "--seed", "7", "--csv", c,
                                    "--quiet"])
    assert rc == 0, err
    return out, _rows(c)


def test_a_dataset_of_human_maps_only_has_no_seed_in_its_rows(tmp_path, capsys):
    _fixation_gt(tmp_path / "pts")
    _fixation_gt(tmp_path / "maps_only", with_points=False)
    out, rows = _config_eval(tmp_path, capsys, ["pts", "maps_only"], "sAUC,CC")
    assert [(r[0], r[-1]) for r in rows] == [("dataset", "seed"), ("pts", "7"), ("maps_only", "")]
    assert _bullets(out)[-1] == "- sAUC: negatives drawn with seed 7 (`seed`)"


# ------------------------------------------------------------------ F13: the seed in report, the library CSV, one rule
def _report_lists(md_text):
    """report.md's bullets of the Metrics section (the notes under its tables)."""
    section = md_text.split("## Metrics", 1)[1].split("## Curves", 1)[0]
    return [line for line in section.splitlines() if line.startswith("- ")]


def test_report_says_the_seed_under_the_table_as_eval_printed_it(tmp_path, capsys):
    gt, pred = _fixation_gt(tmp_path / "gt"), _preds(tmp_path / "p")
    j5, j0, rep = tmp_path / "s5.json", tmp_path / "nss.json", tmp_path / "rep"
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                    "--metrics", "NSS,AUC_Borji,sAUC", "--seed", "5", "--json", j5, "--quiet"])
    assert rc == 0, err
    printed = _bullets(out)[-1]
    assert printed == "- AUC_Borji, sAUC: negatives drawn with seed 5 (`seed`)"  # by hand: the columns' order
    rc, _, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                  "--metrics", "NSS", "--json", j0, "--quiet"])  # no negatives drawn: no line
    assert rc == 0, err
    before = j5.read_bytes()
    rc, _, err = run_cli(capsys, ["report", "--eval", j5, "--eval", j0, "--out", rep, "--quiet"])
    assert rc == 0, err
    md = (rep / "report.md").read_text(encoding="utf-8")
    bullets = _report_lists(md)
    assert bullets.count(printed) == 1 and md.count("negatives drawn") == 1
    # under the first table, after its notes (last, as in eval's table); the second table says none
    first, second = md.split("## Metrics", 1)[1].split("Task: fixation (from ", 3)[1:3]
    assert [b for b in first.splitlines() if b.startswith("- ")][-1] == printed and "negatives" not in second
    assert "<li>AUC_Borji, sAUC: negatives drawn with seed 5 (<code>seed</code>)</li>" in \
        (rep / "report.html").read_text(encoding="utf-8")
    assert j5.read_bytes() == before  # the JSON is read, never rewritten: its notes stay without the seed
    assert not any("negatives" in n for n in json.loads(before)["notes"])


@pytest.mark.parametrize("seed, shown", [("abc", "'abc'"), (-1, "-1"), (True, "True"), (2.5, "2.5")])
def test_report_refuses_a_seed_that_is_no_whole_number(tmp_path, capsys, seed, shown):
    j = tmp_path / "e.json"
    j.write_text(json.dumps({"task": "fixation", "seed": seed,
                             "results": [{"dataset": "d", "method": "m", "metrics": {"sAUC": 0.5}}]}))
    line = refusal(*run_cli(capsys, ["report", "--eval", j, "--out", tmp_path / "rep", "--quiet"]))
    assert line == (f"saliency report: error: --eval {j}: 'seed' is {shown}, not a whole number >= 0; "
                    "give a file saliency eval --json wrote")
    assert not (tmp_path / "rep").exists()


def test_tables_seed_note_from_keys_and_seed():
    from saliency.eval import tables

    all4 = [{"NSS": 1.0, "sAUC": 0.6, "CC": 0.3, "AUC_Borji": 0.7}]
    assert tables.seed_note(["NSS", "sAUC", "CC", "AUC_Borji"], 3, all4) == \
        "sAUC, AUC_Borji: negatives drawn with seed 3 (`seed`)"
    assert tables.seed_note(["AUC_Borji"], 0, all4) == "AUC_Borji: negatives drawn with seed 0 (`seed`)"  # 0: a seed
    assert tables.seed_note(["sAUC"], None, all4) is None and tables.seed_note(["NSS", "CC"], 4, all4) is None


def test_library_csv_gives_each_datasets_seed(tmp_path, monkeypatch):
    from saliency.eval import benchmark

    _fixation_gt(tmp_path / "pts")
    _fixation_gt(tmp_path / "maps_only", with_points=False)
    _preds(tmp_path / "p_pts")
    _preds(tmp_path / "p_maps_only")
    cfg = tmp_path / "bench.json"
    cfg.write_text(json.dumps({"task": "fixation", "datasets": {"pts": {"gt": "pts"}, "maps_only": {"gt": "maps_only"}},
                               "methods": {"M": "p_{dataset}"}}))
    monkeypatch.chdir(tmp_path)
    bench = benchmark.evaluate(config=str(cfg), metrics="sAUC,CC", seed=7, progress=False)
    rows = list(csv.reader(io.StringIO(benchmark.csv_text(bench))))
    assert [(r[0], r[-2], r[-1]) for r in rows] == [("dataset", "metric_maps", "seed"), ("pts", "false", "7"),
                                                    ("maps_only", "false", "")]  # no points there: none drawn


def test_one_rule_says_where_negatives_are_drawn(tmp_path, monkeypatch):
    from saliency.eval import benchmark

    _fixation_gt(tmp_path / "pts")
    _fixation_gt(tmp_path / "maps_only", with_points=False)
    plan = benchmark.plan(task="fixation", gt=str(tmp_path / "pts"), pred=[f"M={_preds(tmp_path / 'p')}"],
                          metrics="sAUC")
    assert benchmark.negatives_unused(plan) is None and benchmark.seed_drawn(plan) is None  # not yet run
    assert benchmark.negatives_unused(plan, "elsewhere") == \
        "no dataset of this run has fixation points for AUC_Borji and sAUC"
    plan = benchmark.plan(task="fixation", gt=str(tmp_path / "pts"), pred=[f"M={tmp_path / 'p'}"], metrics="NSS")
    assert benchmark.negatives_unused(plan) == \
        "no metric of this run draws random negatives (only AUC_Borji and sAUC of the fixation task do)"
    plan = benchmark.plan(task="fixation", gt=str(tmp_path / "maps_only"), pred=[f"M={tmp_path / 'p'}"],
                          metrics="sAUC")
    assert benchmark.negatives_unused(plan) == "no dataset of this run has fixation points for AUC_Borji and sAUC"


# ------------------------------------------------- F25: a seed is said only where a metric drew negatives (defined)
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _one_image(tmp_path):
    """A fixation dataset of one image with fixations (sAUC has no other image to draw negatives from) and its
    prediction."""
    gt, pred = _fixation_gt(tmp_path / "one", n=1), _preds(tmp_path / "p")
    for f in sorted(pred.iterdir())[1:]:
        f.unlink()
    return gt, pred


def _table_row(out, method):
    return next(line for line in out.splitlines() if line.startswith(f"| {method} |"))


def test_one_image_sauc_is_na_and_no_seed_is_said(tmp_path, capsys):
    gt, pred = _one_image(tmp_path)
    c, j, rep = tmp_path / "i1.csv", tmp_path / "i1.json", tmp_path / "rep"
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                    "--metrics", "sAUC,NSS", "--csv", c, "--json", j, "--quiet"])
    assert rc == 0, err
    assert _table_row(out, "M").split("|")[2].strip() == "n/a"  # no other image: sAUC undefined, nothing drawn
    assert "negatives drawn" not in out
    head, row = _rows(c)
    assert head[-1] == "seed" and row[head.index("sAUC")] == "" and row[-1] == ""  # empty: none drawn
    doc = json.loads(j.read_text())
    assert doc["seed"] == 0 and doc["results"][0]["metrics"]["sAUC"] is None  # the JSON's seed key as before
    rc, _, err = run_cli(capsys, ["report", "--eval", j, "--out", rep, "--quiet"])
    assert rc == 0, err
    assert "negatives" not in (rep / "report.md").read_text(encoding="utf-8")
    assert "negatives" not in (rep / "report.html").read_text(encoding="utf-8")


def test_one_image_default_metrics_say_only_auc_borji(tmp_path, capsys):
    gt, pred = _one_image(tmp_path)
    c, j, rep = tmp_path / "d.csv", tmp_path / "d.json", tmp_path / "rep"
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}", "--csv", c,
                                    "--json", j, "--quiet"])
    assert rc == 0, err
    note = "- AUC_Borji: negatives drawn with seed 0 (`seed`)"  # uniform points drawn; sAUC drew none
    assert _bullets(out)[-1] == note and out.count("negatives drawn") == 1
    head, row = _rows(c)
    assert row[head.index("sAUC")] == "" and row[head.index("AUC_Borji")] != "" and row[-1] == "0"
    rc, _, err = run_cli(capsys, ["report", "--eval", j, "--out", rep, "--quiet"])
    assert rc == 0, err
    md = (rep / "report.md").read_text(encoding="utf-8")
    assert _report_lists(md)[-1] == note and md.count("negatives drawn") == 1


def test_seed_with_sauc_alone_on_one_image_is_refused(tmp_path, capsys):
    gt, pred = _one_image(tmp_path)
    c = tmp_path / "r.csv"
    line = refusal(*run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                     "--metrics", "sAUC,NSS", "--seed", "5", "--csv", c, "--quiet"]))
    assert line == ("saliency eval: error: --seed 5: not used: no dataset of this run has two images with fixation "
                    "points, which sAUC needs (its negatives are the other images' fixations); leave it out")
    assert not c.exists()
    # AUC_Borji draws there: the seed is used and said for it alone
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                    "--metrics", "sAUC,AUC_Borji", "--seed", "5", "--csv", c, "--quiet"])
    assert rc == 0, err
    assert _bullets(out)[-1] == "- AUC_Borji: negatives drawn with seed 5 (`seed`)"
    assert [r[-1] for r in _rows(c)] == ["seed", "5"]


def test_a_one_image_dataset_beside_one_of_three(tmp_path, capsys):
    _fixation_gt(tmp_path / "three")
    _fixation_gt(tmp_path / "one", n=1)
    out, rows = _config_eval(tmp_path, capsys, ["three", "one"], "sAUC,NSS")
    assert [(r[0], r[-1]) for r in rows] == [("dataset", "seed"), ("three", "7"), ("one", "")]
    assert _bullets(out)[-1] == "- sAUC: negatives drawn with seed 7 (`seed`)"


def test_two_images_one_without_fixations_is_not_refused_but_says_no_seed(tmp_path, capsys):
    """Two fixation files, one of them empty: known only once read, so --seed is accepted; sAUC is n/a (the one
    fixated image has no other to draw from) and no seed is said."""
    gt, pred = _fixation_gt(tmp_path / "gt", n=2), _preds(tmp_path / "p")
    cv2.imwrite(str(gt / "fixations" / "im1.png"), np.zeros((16, 24), np.uint8))
    (pred / "im2.png").unlink()
    c = tmp_path / "r.csv"
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                    "--metrics", "sAUC,NSS", "--seed", "3", "--csv", c, "--quiet"])
    assert rc == 0, err
    assert _table_row(out, "M").split("|")[2].strip() == "n/a" and "negatives drawn" not in out
    assert [r[-1] for r in _rows(c)] == ["seed", ""]


def test_library_rule_reads_the_results(tmp_path):
    from saliency.eval import benchmark, tables
    from saliency.eval.runner import MethodResult

    assert tables.negatives_drawn(["NSS", "sAUC", "AUC_Borji"], [{"sAUC": None, "AUC_Borji": 0.7}]) == ["AUC_Borji"]
    assert tables.negatives_drawn(["sAUC"], [{"sAUC": float("nan")}, {"sAUC": 0.55}]) == ["sAUC"]
    assert tables.negatives_drawn(["sAUC", "AUC_Borji"], [{"sAUC": float("nan"), "AUC_Borji": None}]) == []
    assert tables.seed_note(["sAUC"], 0, [{"sAUC": None}]) is None
    rows = [MethodResult("d", "A", 1, {"sAUC": float("nan"), "NSS": 1.5}),
            MethodResult("d", "B", 1, {"sAUC": 0.6, "NSS": 1.0})]
    text = tables.csv_text(rows, ["sAUC", "NSS"], seed=4)  # a row whose sAUC is n/a drew none: empty cell
    assert [r[-1] for r in csv.reader(io.StringIO(text))] == ["seed", "", "4"]
    gt, pred = _one_image(tmp_path)
    plan = benchmark.plan(task="fixation", gt=str(gt), pred=[f"M={pred}"], metrics="sAUC,NSS")
    assert benchmark.negatives_unused(plan).startswith("no dataset of this run has two images with fixation points")
    bench = benchmark.run(plan, seed=2, progress=False)
    assert benchmark.seed_drawn(bench) is None and benchmark.seed_note(bench) is None
    assert benchmark.json_seed(bench) == 2  # the JSON's seed as before
    assert [r[-1] for r in csv.reader(io.StringIO(benchmark.csv_text(bench)))] == ["seed", ""]


@pytest.mark.real_data
def test_mit_i210_one_image_sauc_draws_nothing(tmp_path, capsys):
    data = SHARED / "mit_i210"
    judd = data / "MODELS" / "Judd_i210.jpg"
    if not judd.is_file():
        pytest.skip("no shared mit_i210")
    pred = tmp_path / "judd"
    pred.mkdir()
    (pred / "i210.jpg").symlink_to(judd)
    c, j = tmp_path / "i1.csv", tmp_path / "i1.json"
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", data, "--pred", f"Judd={pred}",
                                    "--metrics", "sAUC,NSS", "--quiet", "--csv", c, "--json", j])
    assert rc == 0, err
    assert _table_row(out, "Judd").split("|")[2].strip() == "n/a" and "negatives drawn" not in out
    assert [r[-1] for r in _rows(c)] == ["seed", ""] and json.loads(j.read_text())["seed"] == 0
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", data, "--pred", f"Judd={pred}",
                                    "--quiet"])
    assert rc == 0, err
    assert _bullets(out)[-1] == "- AUC_Borji: negatives drawn with seed 0 (`seed`)"
    line = refusal(*run_cli(capsys, ["eval", "--task", "fixation", "--gt", data, "--pred", f"Judd={pred}",
                                     "--metrics", "sAUC,NSS", "--seed", "5", "--quiet"]))
    assert line.startswith("saliency eval: error: --seed 5: not used: no dataset of this run has two images")

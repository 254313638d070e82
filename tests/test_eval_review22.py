"""Review 22 of ``saliency eval`` curves and tables: names drawn as written, curve ownership by a marker, a config
method naming an unknown dataset, skipped and extra prediction files named in the JSON, distinct curve styles.

Oracles: exit codes, exact one-line messages, hashes of files the user owns, the legend and title texts read back
from each figure as matplotlib draws them, and JSON entries with hand-known names.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from saliency.cli import main


def _gt_and_preds(tmp_path, methods, n=3):
    """``n`` 20x24 masks in tmp_path/gt and, per method name, a folder of noisy predictions (folders p0, p1, ...)."""
    rng = np.random.default_rng(0)
    gt = tmp_path / "gt"
    gt.mkdir()
    folders = []
    for j, _ in enumerate(methods):
        (tmp_path / f"p{j}").mkdir()
        folders.append(tmp_path / f"p{j}")
    for i in range(n):
        m = np.zeros((20, 24), np.uint8)
        m[5:15, 6 + i:18] = 255
        cv2.imwrite(str(gt / f"im{i}.png"), m)
        for folder in folders:
            cv2.imwrite(str(folder / f"im{i}.png"), rng.integers(0, 256, m.shape, dtype=np.uint8))
    return gt, folders


def _run(args, capsys):
    code = main(["eval", "--quiet", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def figures(monkeypatch):
    """Every figure saved, as matplotlib draws its texts: title, legend entries and line styles."""
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    seen = []
    real = Figure.savefig

    def record(self, *a, **k):
        ax = self.axes[0]
        shown = lambda t: t._preprocess_math(t.get_text())  # noqa: E731 - (text as drawn, whether mathtext)
        seen.append({"title": shown(ax.title),
                     "legend": [shown(t) for t in ax.get_legend().get_texts()],
                     "styles": [(to_hex(line.get_color()), line.get_linestyle()) for line in ax.get_lines()]})
        return real(self, *a, **k)

    monkeypatch.setattr(Figure, "savefig", record)
    return seen


def test_names_with_dollar_or_leading_underscore_are_drawn_as_written(tmp_path, capsys, figures):
    """'net$^{x$' crashed after scoring (exit 1, no --json); '_base' lost its legend entry; 'Net$_2$' was drawn
    as Net with a subscript 2."""
    names = ["_base", "net$^{x$", "Net$_2$"]
    gt, folders = _gt_and_preds(tmp_path, names)
    preds = [a for name, f in zip(names, folders) for a in ("--pred", f"{name}={f}")]
    code, _, err = _run(["--task", "sod", "--gt", gt, "--name", "set$^{x$", *preds, "--metrics", "MAE,Fmax",
                         "--json", tmp_path / "r.json", "--plot-dir", tmp_path / "curves"], capsys)
    assert code == 0 and err == "", err
    assert [r["method"] for r in json.loads((tmp_path / "r.json").read_text())["results"]] == names
    assert sorted(p.name for p in (tmp_path / "curves").iterdir()) == [
        "set_x__fm.pdf", "set_x__fm.png", "set_x__pr.pdf", "set_x__pr.png"]  # "$^{" and "$" as "_"
    assert len(figures) == 4  # two figures (pr, fm), each saved as PNG and PDF
    for fig in figures:
        assert fig["legend"] == [("_base", False), ("net$^{x$", False), ("Net$_2$", False)]
    assert figures[0]["title"] == ("set$^{x$: precision-recall", False)
    assert figures[-1]["title"] == ("set$^{x$: F-measure vs threshold", False)


def test_a_curve_that_cannot_be_drawn_costs_no_table(tmp_path, capsys, monkeypatch):
    """A failure while drawing ended with exit 1 and a traceback hint, and the computed --json was never written."""
    from matplotlib.figure import Figure

    gt, (p0,) = _gt_and_preds(tmp_path, ["M"])

    def broken(self, *a, **k):
        raise ValueError("boom")

    monkeypatch.setattr(Figure, "savefig", broken)
    out_json, curves = tmp_path / "r.json", tmp_path / "curves"
    code, _, err = _run(["--task", "sod", "--gt", gt, "--pred", f"M={p0}", "--json", out_json,
                         "--plot-dir", curves], capsys)
    assert code == 2
    assert err == (f"saliency eval: error: --plot-dir {curves}: the pr curves of gt could not be drawn "
                   f"(ValueError: boom); report it; no curve file was written, the tables were (--json {out_json})\n")
    assert json.loads(out_json.read_text())["results"][0]["method"] == "M"
    assert not curves.exists()


def test_a_users_png_or_pdf_in_the_plot_dir_is_refused_and_evals_own_are_replaced(tmp_path, capsys):
    """Any PNG or PDF of a curve's name counted as eval's (magic bytes only): the user's figures were replaced."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gt, (p0, p1) = _gt_and_preds(tmp_path, ["A", "B"])
    curves = tmp_path / "curves"
    curves.mkdir()
    png, pdf = curves / "gt_pr.png", curves / "gt_fm.pdf"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    fig.savefig(png)  # the user's own matplotlib figure (Software: "Matplotlib version ...")
    plt.close(fig)
    pdf.write_bytes(b"%PDF-1.4\n% my hand-made figure\n")
    before = {png: _sha(png), pdf: _sha(pdf)}
    base = ["--task", "sod", "--gt", gt, "--pred", f"A={p0}", "--metrics", "Fmax", "--plot-dir", curves]
    msg = "saliency eval: error: --plot-dir {}: exists and is not a saliency eval curve by its mark (curves eval " \
          "wrote before the mark existed carry none); pass --overwrite to replace it, or choose another path\n"
    code, _, err = _run(base, capsys)
    assert (code, err) == (2, msg.format(png))
    png.rename(tmp_path / "mine.png")
    code, _, err = _run(base, capsys)
    assert (code, err) == (2, msg.format(pdf))
    assert _sha(tmp_path / "mine.png") == before[png] and _sha(pdf) == before[pdf]
    assert sorted(p.name for p in curves.iterdir()) == ["gt_fm.pdf"]
    # with --overwrite the user's file goes; eval's own curves are then replaced without it
    assert _run([*base, "--overwrite"], capsys)[0] == 0
    first = {p.name: _sha(p) for p in curves.iterdir()}
    assert len(first) == 4 and first["gt_fm.pdf"] != before[pdf]
    code, _, err = _run(["--task", "sod", "--gt", gt, "--pred", f"B={p1}", "--metrics", "Fmax",
                         "--plot-dir", curves], capsys)
    assert (code, err) == (0, "")
    second = {p.name: _sha(p) for p in curves.iterdir()}
    assert sorted(second) == sorted(first) and all(second[k] != first[k] for k in first)


def test_a_config_method_naming_an_unknown_dataset_is_refused(tmp_path, capsys):
    """{ECSD: folder} (a typo of ECSSD) dropped the method from every table, exit 0, nothing said."""
    gt, (p0, p1) = _gt_and_preds(tmp_path, ["good", "grey"])
    cfg = tmp_path / "bench.json"
    cfg.write_text(json.dumps({"task": "sod", "datasets": {"ECSSD": {"gt": str(gt)}, "mine": {"gt": str(gt)}},
                               "methods": {"good": str(p0), "grey": {"ECSSD": str(p1), "ECSD": str(p1)}}}))
    code, out, err = _run(["--config", cfg, "--metrics", "MAE"], capsys)
    assert (code, out) == (2, "")
    assert err == (f"saliency eval: error: --config {cfg}: method grey: dataset 'ECSD' is not a dataset of the "
                   "benchmark (ECSSD, mine); correct the name or add the dataset\n")


def test_skipped_images_and_extra_prediction_files_are_named_in_the_json(tmp_path, capsys):
    """Extra prediction files were neither counted nor named; --allow-missing skips were counted, never named."""
    gt, (p0, p1) = _gt_and_preds(tmp_path, ["M", "C"], n=4)
    (p0 / "im3.png").unlink()
    (p0 / "sub").mkdir()
    cv2.imwrite(str(p0 / "sub" / "other.png"), np.zeros((20, 24), np.uint8))
    cv2.imwrite(str(p0 / "zz.png"), np.zeros((20, 24), np.uint8))
    (p1 / "im1.png").write_bytes(b"not an image")
    out_json = tmp_path / "r.json"
    code, out, err = _run(["--task", "sod", "--gt", gt, "--pred", f"M={p0}", "--pred", f"C={p1}",
                           "--allow-missing", "--metrics", "MAE", "--json", out_json], capsys)
    assert (code, err) == (0, "")
    assert "- M: 3 images, 1 without a prediction skipped, 2 prediction files without a ground truth ignored\n" in out
    assert "- C: 3 images, 1 unreadable or refused skipped\n" in out
    m, c = json.loads(out_json.read_text())["results"]
    assert (m["n_missing"], m["n_skipped"], c["n_missing"], c["n_skipped"]) == (1, 0, 0, 1)
    assert m["skipped_images"] == [{"image": "im3", "reason": "no prediction"}]
    assert m["extra_predictions"] == ["sub/other.png", "zz.png"]
    assert c["skipped_images"] == [{"image": "im1", "reason": f"{p1 / 'im1.png'}: not a readable image (corrupt "
                                                              "or unsupported); replace or remove it"}]
    assert c["extra_predictions"] == []


def test_forty_methods_get_forty_distinct_curve_styles(tmp_path, capsys, figures):
    """The default colour cycle repeats after 10: curves 0 and 10 were drawn alike."""
    names = [f"m{j:02d}" for j in range(40)]
    gt, folders = _gt_and_preds(tmp_path, names, n=2)
    preds = [a for name, f in zip(names, folders) for a in ("--pred", f"{name}={f}")]
    code, _, err = _run(["--task", "sod", "--gt", gt, *preds, "--metrics", "Fmax", "--plot-dir",
                         tmp_path / "curves"], capsys)
    assert (code, err) == (0, "")
    assert len(figures) == 4
    for fig in figures:
        assert fig["legend"] == [(n, False) for n in names]
        assert len(fig["styles"]) == 40 and len(set(fig["styles"])) == 40, fig["styles"]


def test_report_notes_count_extra_and_left_out_files_as_eval_does():
    """Regression review: report's notes under its metric tables left out eval's new counts (same result_note)."""
    from saliency.report import count_notes

    doc = {"results": [
        {"dataset": "D", "method": "M", "n_images": 12, "n_missing": 1, "n_resized": 0, "n_skipped": 0,
         "excluded": {}, "extra_predictions": ["extra.png", "sub/deep.png"], "left_out_files": []},
        {"dataset": "D", "method": "N", "n_images": 13, "n_missing": 0, "n_resized": 0, "n_skipped": 0,
         "excluded": {}, "extra_predictions": [], "left_out_files": ["a.gif"]},
        {"dataset": "D", "method": "O", "n_images": 13, "n_missing": 0, "n_resized": 0, "n_skipped": 0,
         "excluded": {}},  # an eval JSON of an earlier version: no such keys, no note
    ]}
    assert count_notes(doc) == [
        "D / M: 12 images, 1 without a prediction skipped, 2 prediction files without a ground truth ignored",
        "D / N: 13 images, 1 file left out for its extension (not a prediction format)"]

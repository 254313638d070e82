"""Review of ``saliency report`` (stop 23): log-density predictions, metric-specific maps, eval JSON and
dataset.json shapes, Markdown escaping of the title and notes, upper-case plots, a folder given as ``--eval``.

Oracles: NSS worked by hand on 2 x 2 densities and ``saliency eval``'s own NSS of the same files; eval's own
note for ``--metric-maps`` (:func:`saliency.eval.benchmark.markdown`) and its wording written out here; exact
error lines and exit codes. Every input is a small file made here (no demo, no training).
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from saliency.cli import main
from test_reliability_inputs import one_line  # one stderr line, no traceback

#: a density over 2 x 2 pixels (sums to 1) and its mirror
P = np.array([[0.1, 0.2], [0.3, 0.4]])
# NSS by hand: mean 0.25, sd (ddof=1) sqrt((2 * 0.15**2 + 2 * 0.05**2) / 3) = sqrt(0.05 / 3);
# a: fixated at 0.4 -> 0.15 / sqrt(0.05 / 3) = 0.15 * sqrt(60); b: fixated at 0.4 and 0.1 -> (0.15 - 0.15) / sd = 0
NSS_A, NSS_B = 0.15 * 60 ** 0.5, 0.0


def _write(path, doc):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _png(path, a):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), a)
    return path


def _fix(shape, *points):
    f = np.zeros(shape, np.uint8)
    for y, x in points:
        f[y, x] = 255
    return f


def _log_density_study(tmp_path):
    """An ingest-like folder (fixations/, maps/, dataset.json), log-density predictions and images: a, b, c."""
    ds, pred, images = tmp_path / "ds", tmp_path / "pred", tmp_path / "images"
    pred.mkdir()
    fixes = {"a": _fix((2, 2), (1, 1)), "b": _fix((2, 2), (0, 0), (1, 1)), "c": _fix((2, 2), (0, 1))}
    rng = np.random.default_rng(0)
    c = rng.random((6, 6)) + 0.05  # 6 x 6 density on a 2 x 2 fixation map: resampled in probability (3 x shrink)
    for name, density in (("a", P), ("b", P[::-1, ::-1]), ("c", c / c.sum())):
        np.save(pred / f"{name}.npy", np.log(density).astype(np.float32))  # as saliency predict --log-density
        _png(ds / "fixations" / f"{name}.png", fixes[name])
        _png(ds / "maps" / f"{name}.png", fixes[name])
        _png(images / f"{name}.png", np.full((8, 8, 3), 120, np.uint8))
    _write(ds / "dataset.json", {"counts": {"stimuli": 3, "subjects": 1, "fixations": 4}})
    return ds, pred, images


# ------------------------------------------------------------------ B1 log-density predictions


def test_a_log_density_prediction_is_scored_as_eval_scores_it(tmp_path, capsys, monkeypatch):
    """A ``.npy`` log-density was refused ("contains negative values"); its per-image NSS is now that of its
    density exp(log p), and the mean equals saliency eval's NSS of the same files."""
    from saliency.report import per_image_nss

    monkeypatch.chdir(tmp_path)
    ds, pred, images = _log_density_study(tmp_path)
    values = per_image_nss(pred, ds)
    assert list(values) == ["a", "b", "c"]
    assert values["a"] == pytest.approx(NSS_A, rel=1e-6)
    assert values["b"] == pytest.approx(NSS_B, abs=1e-6)
    assert main(["eval", "--task", "fixation", "--gt", str(ds), "--pred", f"L={pred}", "--metrics", "NSS",
                 "--json", "eval.json", "--quiet"]) == 0
    eval_nss = json.loads((tmp_path / "eval.json").read_text())["results"][0]["metrics"]["NSS"]
    assert np.mean(list(values.values())) == pytest.approx(eval_nss, rel=1e-12, abs=1e-12)
    capsys.readouterr()
    # the command: the per-image table's mean is eval's, and the gallery shows the predictions
    assert main(["report", "--images", "images", "--pred", "pred", "--dataset", "ds", "--out", "rep"]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert f"| mean | {eval_nss:.3f} |" in md
    assert sorted(p.name for p in (tmp_path / "rep" / "assets").glob("gallery_*.png")) == [
        "gallery_a.png", "gallery_b.png", "gallery_c.png"]


def test_the_gallery_shows_a_log_density_as_its_density_scaled_to_0_1(tmp_path):
    """exp(log p) = P, min-max scaled: (P - 0.1) / 0.3 (the panel of saliency predict's PNG)."""
    from saliency.report import _read_grey

    path = tmp_path / "a.npy"
    np.save(path, np.log(P).astype(np.float32))
    np.testing.assert_allclose(_read_grey(path, (2, 2)), [[0.0, 1 / 3], [2 / 3, 1.0]], atol=1e-6)


# ------------------------------------------------------------------ B2 metric-specific maps


MM_NOTE = ("metric-specific maps (Kümmerer et al., ECCV 2018): AUCs on the equalised density, sAUC on its ratio to "
           "the IG baseline, NSS/IG/LL on the density, CC/KLD/SIM on it blurred by the dataset's sigma (SIM: not "
           "numerically optimised)")


def _eval_doc(**top):
    return {"task": "fixation", **top, "results": [
        {"dataset": "D", "method": "m", "n_images": 2, "metrics": {"NSS": 1.0}, "n_resized": 0, "n_missing": 0,
         "n_skipped": 0, "excluded": {}}]}


def test_a_table_scored_by_metric_specific_maps_says_so_in_its_caption(tmp_path, capsys):
    from saliency.eval.benchmark import Benchmark, markdown

    assert f"- {MM_NOTE}\n" in markdown(Benchmark("fixation", (), metric_maps=True))  # eval's own words
    plain = _write(tmp_path / "plain.json", _eval_doc(metric_maps=False))
    mm = _write(tmp_path / "mm.json", _eval_doc(metric_maps=True))
    assert main(["report", "--eval", str(plain), "--eval", str(mm), "--out", str(tmp_path / "rep")]) == 0
    md = (tmp_path / "rep" / "report.md").read_text().splitlines()
    assert "Task: fixation (from plain.json)." in md
    assert f"Task: fixation (from mm.json). Scored by {MM_NOTE}." in md
    page = (tmp_path / "rep" / "report.html").read_text()
    assert f"<p>Task: fixation (from mm.json). Scored by {MM_NOTE.replace(chr(39), '&#x27;')}.</p>" in page
    # not true or false: one line, as the other keys
    bad = _write(tmp_path / "bad.json", _eval_doc(metric_maps="yes"))
    line = one_line(capsys, 2, main(["report", "--eval", str(bad), "--out", str(tmp_path / "r2")]))
    assert line == f"saliency report: error: --eval {bad}: 'metric_maps': expected true or false, found a string; " \
                   "fix the file"


# ------------------------------------------------------------------ B3 extra_predictions / left_out_files


@pytest.mark.parametrize("key", ["extra_predictions", "left_out_files"])
@pytest.mark.parametrize("value,found", [(3, "an integer"), ("abc", "a string"), ({"a.png": 1}, "an object")])
def test_a_file_list_of_the_wrong_type_is_one_line(tmp_path, capsys, key, value, found):
    """An int was an unexpected TypeError (exit 1); a string was counted by its letters; an object accepted."""
    doc = _eval_doc()
    doc["results"][0][key] = value
    path = _write(tmp_path / "e.json", doc)
    line = one_line(capsys, 2, main(["report", "--eval", str(path), "--out", str(tmp_path / "rep")]))
    assert line == (f"saliency report: error: --eval {path}: results[0].{key}: expected a list of file names, "
                    f"found {found}; fix the file")
    assert not (tmp_path / "rep").exists()


def test_a_file_list_holding_a_number_is_one_line_and_a_good_list_is_counted(tmp_path, capsys):
    doc = _eval_doc()
    doc["results"][0]["left_out_files"] = ["x.txt", 7]
    path = _write(tmp_path / "e.json", doc)
    line = one_line(capsys, 2, main(["report", "--eval", str(path), "--out", str(tmp_path / "rep")]))
    assert line == (f"saliency report: error: --eval {path}: results[0].left_out_files[1]: expected a file name "
                    "(text), found an integer; fix the file")
    doc["results"][0].update(extra_predictions=["p/x.png", "p/y.png"], left_out_files=["p/notes.txt"])
    _write(path, doc)
    assert main(["report", "--eval", str(path), "--out", str(tmp_path / "rep")]) == 0
    assert ("- D / m: 2 images, 2 prediction files without a ground truth ignored, 1 file left out for its "
            "extension (not a prediction format)") in (tmp_path / "rep" / "report.md").read_text().splitlines()


# ------------------------------------------------------------------ B4, B5 dataset.json


def test_a_corrupt_dataset_json_is_one_line_naming_the_file(tmp_path, capsys):
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "dataset.json").write_text('{"counts": {', encoding="utf-8")
    line = one_line(capsys, 2, main(["report", "--dataset", str(ds), "--out", str(tmp_path / "rep")]))
    assert line == (f"saliency report: error: --dataset {ds / 'dataset.json'}: not valid JSON (Expecting property "
                    "name enclosed in double quotes: line 1 column 13 (char 12)); give a folder saliency ingest wrote")
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("doc,why", [
    ([1, 2], "expected a saliency ingest dataset.json object, found a list; fix the file"),
    ("x", "expected a saliency ingest dataset.json object, found a string; fix the file"),
    ({"name": "pkg", "version": "1.0"},
     "not a saliency ingest dataset.json (none of 'counts', 'policies', 'ppd', 'sigma', 'qc', 'inter_observer' "
     "holds a fact the study table shows); give a folder saliency ingest wrote")])
def test_another_programs_dataset_json_is_refused_not_an_empty_table(tmp_path, capsys, doc, why):
    path = _write(tmp_path / "ds" / "dataset.json", doc)
    line = one_line(capsys, 2, main(["report", "--dataset", str(tmp_path / "ds"), "--out", str(tmp_path / "rep")]))
    assert line == f"saliency report: error: --dataset {path}: {why}"
    assert not (tmp_path / "rep").exists()


# ------------------------------------------------------------------ B6 Markdown escaping of the title and notes


def test_the_title_and_a_run_path_are_escaped_in_report_md(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "*run*_<img>").mkdir()  # a run folder without metrics.csv: named in a note
    assert main(["report", "*run*_<img>", "--title", "<script>x</script> *T*", "--out", "rep"]) == 0
    md = (tmp_path / "rep" / "report.md").read_text().splitlines()
    assert md[1] == "# \\<script>x\\</script> \\*T\\*"
    assert "\\*run\\*\\_\\<img>: no metrics.csv, or no rows in it." in md
    page = (tmp_path / "rep" / "report.html").read_text()
    assert "<h1>&lt;script&gt;x&lt;/script&gt; *T*</h1>" in page  # HTML: as before
    assert "<p>*run*_&lt;img&gt;: no metrics.csv, or no rows in it.</p>" in page


# ------------------------------------------------------------------ B7 upper-case .PNG plots; no PNG at all


def test_upper_case_png_curves_are_shown_and_a_folder_without_png_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _png(tmp_path / "pl" / "pr_curve.PNG", np.full((10, 10, 3), 200, np.uint8))
    (tmp_path / "pl" / "c.pdf").write_bytes(b"%PDF-1.4\n")
    assert main(["report", "--plots", "pl", "--out", "rep"]) == 0
    md = (tmp_path / "rep" / "report.md").read_text().splitlines()
    assert "![pr curve](assets/curve_pr_curve.PNG)" in md
    assert (tmp_path / "rep" / "assets" / "curve_pr_curve.PNG").read_bytes() == \
        (tmp_path / "pl" / "pr_curve.PNG").read_bytes()
    assert not any(line.startswith("No curves were given") for line in md)
    (tmp_path / "pl2").mkdir()
    (tmp_path / "pl2" / "c.pdf").write_bytes(b"%PDF-1.4\n")
    assert main(["report", "--plots", "pl2", "--out", "rep2"]) == 0
    md = (tmp_path / "rep2" / "report.md").read_text().splitlines()
    assert "pl2: held no PNG curves (saliency eval --plot-dir writes them)." in md
    assert not any(line.startswith("No curves were given") for line in md)


# ------------------------------------------------------------------ B8 a folder given as --eval


def test_a_folder_given_as_eval_is_named_as_a_folder(tmp_path, capsys):
    (tmp_path / "ev").mkdir()
    line = one_line(capsys, 2, main(["report", "--eval", str(tmp_path / "ev"), "--out", str(tmp_path / "rep")]))
    assert line == (f"saliency report: error: --eval {tmp_path / 'ev'}: is a folder; give the JSON file "
                    "saliency eval --json wrote")

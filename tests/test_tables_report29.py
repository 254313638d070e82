"""Review R4 (stop 29): benchmarks/osie.py's caption reaches ``saliency report``; its table bolds as eval does;
eval's markdown headings and notes show a name as written; LaTeX escapes ``|``, ``<``, ``>`` and explains n/a.

Found: osie.py wrote its caption under ``note`` (a string) while the report
reads eval's ``notes`` list, so ``saliency report --eval osie_results.json``
dropped it; osie.py's own table bolded the best by exact equality of the
unrounded means (1.2144 and 1.2141 both print 1.214, one bold) and bolded the
gold standard when it equalled the best; eval's ``### dataset`` heading and
``- ...`` notes escaped only table-cell characters (``# top`` became a heading
inside a list item, ``1. base`` a nested list, ``ECSSD #`` lost its ``#``);
LaTeX printed ``|``, ``<``, ``>`` as other glyphs (OT1) and said nothing of n/a.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from cli_fakes import run_cli

from saliency.eval import tables
from tests.bench_fakes import load

CAPTION = ("OSIE test split: 2 images, 40 fixations of 15 observers; networks trained on 4 training images (tiny "
           "recipe, 1 epoch, seeds 0,1); IG over the training centre bias, LL over uniform (bits/fixation); "
           "mean ± sample std over seeds. Machine: x86_64, 2 cores, Python 3.11.0, device cpu.")


@pytest.fixture(scope="module")
def osie():
    return load("osie", "bench_r29")


def _row(osie, method, kld, other, std, runs=3):
    return {"method": method, "runs": runs, "n_images": 2,
            "metrics": {k: (kld if k == "KLD" else other) for k in osie.METRICS},
            "std": {k: std for k in osie.METRICS}}


# ---------------------------------------------------------------- 1: the caption reaches report.md


def test_osie_caption_is_listed_under_the_reports_table(tmp_path, capsys, osie):
    summary = [_row(osie, "gold standard", 0.5, 2.0, None, runs=1),
               _row(osie, "unet_tiny_cbam (default recipe)", 1.2144, 1.0, 0.01)]
    path = tmp_path / "osie_results.json"
    path.write_text(json.dumps(osie.results_doc(summary, CAPTION)))
    rc, out, err = run_cli(capsys, ["report", "--eval", path, "--out", tmp_path / "r"])
    assert rc == 0, err
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8").splitlines()
    assert "- " + CAPTION in md  # nothing in it is markup: shown as written
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "<li>" + CAPTION + "</li>" in html


def test_osie_caption_counts_in_correct_english(osie):
    machine = "x86_64, 2 cores, Python 3.11.0, device cpu"
    # before: "1 epochs" (osie.py wrote f"{args.epochs} epochs")
    assert osie.caption(2, 40, 4, "tiny", 1, "0,1", machine) == CAPTION
    assert osie.caption(1, 1, 1, "tiny", 3, "0", machine).startswith(
        "OSIE test split: 1 image, 1 fixation of 15 observers; networks trained on 1 training image (tiny recipe, "
        "3 epochs, seeds 0); ")


# ---------------------------------------------------------------- 2: osie.py's table bolds on the printed values


def test_osie_table_bolds_equal_looking_means_and_never_the_gold_standard(osie):
    summary = [_row(osie, "gold standard", 0.5, 0.5, None, runs=1),
               _row(osie, "unet_tiny_cbam (default recipe)", 1.2144, 0.5, 0.01),
               _row(osie, "unet_tiny_se", 1.2141, 0.5, 0.02),
               _row(osie, "gbvs", 1.30, 0.25, None, runs=1)]
    lines = osie.markdown(summary).splitlines()
    cols = ["AUC-Judd", "sAUC", "NSS", "CC", "KLD", "SIM", "IG", "LL"]
    assert lines[0] == "| method | runs | " + " | ".join(cols) + " |"
    cells = {ln.split(" | ")[0][2:]: ln.removesuffix(" |").split(" | ")[2:] for ln in lines[2:]}
    kld = cols.index("KLD")
    # KLD (lower is better): 1.2144 and 1.2141 both print 1.214, both best; the gold standard's 0.500 is no mark
    assert [c[kld] for c in cells.values()] == ["0.500", "**1.214 ± 0.010**", "**1.214 ± 0.020**", "1.300"]
    nss = cols.index("NSS")
    # NSS: the gold standard equals the best (0.500) and still is not bold; gbvs's 0.250 is not best
    assert [c[nss] for c in cells.values()] == ["0.500", "**0.500 ± 0.010**", "**0.500 ± 0.020**", "0.250"]


def test_osie_table_shows_an_undefined_mean_as_n_a_unmarked(osie):
    summary = [_row(osie, "unet_tiny_se", None, 1.0, None), _row(osie, "gbvs", 2.0, 1.0, None)]
    kld = list(osie.METRICS).index("KLD")
    rows = [ln.removesuffix(" |").split(" | ")[2:] for ln in osie.markdown(summary).splitlines()[2:4]]
    assert [r[kld] for r in rows] == ["n/a", "2.000"]  # eval's n/a; the lone defined mean has no rival: not bold


# ---------------------------------------------------------------- 3: eval's headings and notes as written


def _result(dataset, method, **metrics):
    return SimpleNamespace(dataset=dataset, method=method, metrics=metrics, n_images=3, n_resized=0, n_missing=0,
                           n_skipped=0, excluded={})


def test_eval_markdown_headings_and_notes_show_names_as_written():
    results = [_result("MIT_*i210*|<b>", "# top", MAE=0.1), _result("ECSSD #", "1. base", MAE=0.2)]
    lines = tables.markdown(results, ["MAE"]).splitlines()
    assert "### MIT\\_\\*i210\\*\\|\\<b>" in lines  # no emphasis, no HTML
    assert "### ECSSD \\#" in lines  # a closing # is dropped from a heading: kept
    assert "- \\# top: 3 images" in lines  # no heading inside the list item
    assert "- 1\\. base: 3 images" in lines  # no nested ordered list
    assert "| # top | 0.100 |" in lines and "| 1. base | 0.200 |" in lines  # a cell is no block; a lone method: no bold


@pytest.mark.parametrize("text, shown", [("+ x", "\\+ x"), ("> q", "\\> q"), ("- d", "\\- d"), ("2) b", "2\\) b"),
                                         ("  # t", "  \\# t"), ("a # b", "a # b"), ("x_y", "x_y")])
def test_markdown_line_escapes_block_markers(text, shown):
    assert tables.markdown_line(text) == shown


def test_eval_prints_a_datasets_notes_escaped(tmp_path, capsys):
    """`saliency eval --name` with markup: the dataset's own note (a file left out) shows the name as written."""
    (tmp_path / "gt").mkdir()
    (tmp_path / "p").mkdir()
    m = np.zeros((8, 8), np.uint8)
    m[2:6, 2:6] = 255
    for k in "ab":
        cv2.imwrite(str(tmp_path / "gt" / f"{k}.png"), m)
        cv2.imwrite(str(tmp_path / "p" / f"{k}.png"), m)
    (tmp_path / "gt" / "readme.txt").write_text("x")
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", tmp_path / "gt", "--name", "# top*x*",
                                    "--pred", f"1. base={tmp_path / 'p'}", "--metrics", "MAE", "--quiet"])
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "### \\# top\\*x\\*"
    assert "- 1\\. base: 2 images" in lines
    notes = [ln for ln in lines if "readme.txt" in ln]
    assert len(notes) == 1 and notes[0].startswith("- \\# top\\*x\\*: ")
    assert "gt: 1 file(s) left out: not an image extension" in notes[0]


# ---------------------------------------------------------------- 4: LaTeX


def test_latex_escapes_bar_and_angle_brackets():
    assert tables.latex_escape("a|b<c>d") == "a\\textbar{}b\\textless{}c\\textgreater{}d"
    tex = tables.latex([_result("D", "a|<b>", MAE=0.1)], ["MAE"])
    assert "a\\textbar{}\\textless{}b\\textgreater{} & 0.100 \\\\" in tex.splitlines()  # a lone method: no bold


def test_latex_explains_n_a_under_the_table_only_when_printed():
    tex = tables.latex([_result("D", "m", MAE=math.nan, S_measure=0.5)], ["MAE", "S_measure"]).splitlines()
    i = tex.index("\\bottomrule")
    assert tex[i - 1] == "m & n/a & 0.500 \\\\"  # a lone method: no bold
    assert tex[i + 1:] == ["\\multicolumn{3}{l}{\\footnotesize n/a: no image of the dataset defines this metric} "
                           "\\\\", "\\end{tabular}"]
    tex = tables.latex([_result("D", "m", MAE=0.1)], ["MAE"]).splitlines()
    assert tex[tex.index("\\bottomrule") + 1:] == ["\\end{tabular}"]


def test_an_older_osie_results_file_with_note_keeps_its_caption(tmp_path, capsys, osie):
    # regression review RR3: files written by benchmarks/osie.py before this change hold the caption as one string
    # under "note"; the report ignored that key without a word
    summary = [_row(osie, "unet_tiny_cbam (default recipe)", 1.2144, 1.0, 0.01)]
    doc = osie.results_doc(summary, CAPTION)
    doc["note"] = doc.pop("notes")[0]
    path = tmp_path / "osie_results.json"
    path.write_text(json.dumps(doc))
    rc, out, err = run_cli(capsys, ["report", "--eval", path, "--out", tmp_path / "r"])
    assert rc == 0, err
    assert "- " + CAPTION in (tmp_path / "r" / "report.md").read_text(encoding="utf-8").splitlines()

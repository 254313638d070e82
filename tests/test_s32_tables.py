"""Review s32 (F5): eval's n/a footnote is true of each n/a it explains; ``saliency report`` draws a very wide image.

Found: with ``--allow-missing`` a method scored only on an empty mask (AUC
undefined there) printed n/a under a column that another method scored, and
the footnote said "no image of the dataset defines this metric", which that
other method's number contradicts; ``saliency report`` stopped with
"unexpected error: OpenCV ... inv_scale_x > 0" (rc 1) on a 3x4000 image, whose
gallery row rounded to 0 pixels high.
Oracle: hand-worked: AUC of an empty mask has no positive pixel (undefined);
a 3x4000 image scaled to 256 wide is 3 * 256 / 4000 = 0.19 rows, at least 1.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import cv2
import numpy as np
from cli_fakes import run_cli

from saliency.eval import tables

DATASET_WIDE = "n/a: no image of the dataset defines this metric"
THIS_METHOD = "n/a: none of this method's scored images defines this metric"


def _result(dataset, method, **metrics):
    return SimpleNamespace(dataset=dataset, method=method, metrics=metrics, n_images=2, n_resized=0, n_missing=0,
                           n_skipped=0, excluded={})


def _footnotes(tex: str) -> list[str]:
    lines = tex.splitlines()
    return lines[lines.index("\\bottomrule") + 1:lines.index("\\end{tabular}")]


# ---------------------------------------------------------------- 1: the n/a footnote


def test_an_n_a_beside_another_methods_value_is_said_of_the_method():
    rs = [_result("D", "A", MAE=0.1, AUC=0.966), _result("D", "B", MAE=0.2, AUC=math.nan)]
    md = tables.markdown(rs, ["MAE", "AUC"]).splitlines()
    assert f"- {THIS_METHOD} (see the counts above)" in md
    assert not [ln for ln in md if "no image of the dataset" in ln]
    assert _footnotes(tables.latex(rs, ["MAE", "AUC"])) == [f"\\multicolumn{{3}}{{l}}{{\\footnotesize {THIS_METHOD}}} "
                                                           "\\\\"]


def test_a_column_n_a_for_every_method_keeps_the_dataset_wording():
    rs = [_result("D", "A", MAE=0.1, AUC=None), _result("D", "B", MAE=0.2, AUC=math.nan)]
    md = tables.markdown(rs, ["MAE", "AUC"]).splitlines()
    assert f"- {DATASET_WIDE} (see the counts above)" in md
    assert not [ln for ln in md if "this method" in ln]
    assert _footnotes(tables.latex(rs, ["MAE", "AUC"])) == [f"\\multicolumn{{3}}{{l}}{{\\footnotesize {DATASET_WIDE}}} "
                                                           "\\\\"]


def test_both_kinds_of_n_a_in_one_table_name_their_columns():
    rs = [_result("D", "A", MAE=0.1, AUC=0.9, wF=None), _result("D", "B", MAE=0.2, AUC=None, wF=None)]
    md = tables.markdown(rs, ["MAE", "AUC", "wF"]).splitlines()
    assert "- n/a in wF: no image of the dataset defines this metric (see the counts above)" in md
    assert "- n/a in AUC: none of this method's scored images defines this metric (see the counts above)" in md
    # LaTeX: one footnote for every dataset block, so each column is named with its dataset
    rs.append(_result("E_1", "A", MAE=0.1, AUC=None, wF=0.5))
    foot = _footnotes(tables.latex(rs, ["MAE", "AUC", "wF"]))
    assert foot == ["\\multicolumn{4}{l}{\\footnotesize n/a in wF (D), AUC (E\\_1): no image of the dataset defines "
                    "this metric} \\\\",
                    "\\multicolumn{4}{l}{\\footnotesize n/a in AUC (D): none of this method's scored images defines "
                    "this metric} \\\\"]


def test_eval_allow_missing_footnote_as_a_user_sees_it(tmp_path, capsys):
    """`saliency eval --allow-missing`: B predicts only the empty mask (AUC undefined), A both images."""
    gt, pa, pb = tmp_path / "gt", tmp_path / "A", tmp_path / "B"
    for d in (gt, pa, pb):
        d.mkdir()
    square = np.zeros((16, 16), np.uint8)
    square[4:12, 4:12] = 255
    blur = cv2.GaussianBlur(square, (5, 5), 2)
    cv2.imwrite(str(gt / "a.png"), square)
    cv2.imwrite(str(gt / "e.png"), np.zeros((16, 16), np.uint8))
    cv2.imwrite(str(pa / "a.png"), blur)
    cv2.imwrite(str(pa / "e.png"), blur)
    cv2.imwrite(str(pb / "e.png"), blur)
    tex = tmp_path / "m.tex"
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"A={pa}", "--pred", f"B={pb}",
                                    "--allow-missing", "--metrics", "MAE,AUC", "--quiet", "--latex", tex])
    assert rc == 0, err
    lines = out.splitlines()
    b_row = [ln for ln in lines if ln.startswith("| B |")]
    assert len(b_row) == 1 and b_row[0].endswith("| n/a |")
    a_row = [ln for ln in lines if ln.startswith("| A |")]
    assert "n/a" not in a_row[0]  # A's AUC comes from a.png
    assert f"- {THIS_METHOD} (see the counts above)" in lines
    assert "no image of the dataset" not in out
    assert THIS_METHOD in tex.read_text(encoding="utf-8")


# ---------------------------------------------------------------- 4: a very wide image in the gallery


def test_report_gallery_draws_a_3x4000_image(tmp_path, capsys):
    img, pred = tmp_path / "img", tmp_path / "pred"
    img.mkdir()
    pred.mkdir()
    rng = np.random.default_rng(0)
    cv2.imwrite(str(img / "thin.png"), rng.integers(0, 256, (3, 4000, 3), dtype=np.uint8))
    cv2.imwrite(str(pred / "thin.png"), rng.integers(0, 256, (3, 4000), dtype=np.uint8))
    rc, out, err = run_cli(capsys, ["report", "--images", img, "--pred", pred, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    row = cv2.imread(str(tmp_path / "rep" / "assets" / "gallery_thin.png"))
    # 3 * 256 / 4000 rounds to 0 rows: at least 1; four 256-wide panels and three 4-pixel separators
    assert row.shape == (1, 4 * 256 + 3 * 4, 3)


# ---------------------------------------------------------------- 2 and 3: the report follows eval's table rules


def test_report_shows_n_a_with_evals_footnote_and_no_bold_for_a_lone_method(tmp_path, capsys):
    """An undefined value reads n/a with eval's footnote (it read '-' with none); a lone method is not bolded."""
    import json

    res = [{"dataset": "D", "method": "A", "images": 3, "std": {}, "metrics": {"MAE": 0.25, "AUC": None}}]
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({"task": "sod", "version": "0", "results": res}), encoding="utf-8")
    rc, out, err = run_cli(capsys, ["report", "--eval", ev, "--gallery", "0", "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    (row,) = [ln for ln in md.splitlines() if ln.startswith("| D | A |")]
    assert row.endswith("| 0.250 | n/a |")  # hand-made: no bold for the only method, n/a as eval prints it
    assert f"- n/a: {tables.NA_DATASET} (see the counts above)" in md

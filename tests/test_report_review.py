"""Review of ``saliency report`` (stop 20): tables, eval JSON shapes, counts, captions and the assets folder.

Oracles: the eval JSON's own values, a markdown table parser written here
(cells split on unescaped ``|``, ``\\X`` read as ``X``, a cell wrapped in
``**`` is bold), an HTML parser that records ``<b>`` per cell, and
hand-worked expectations. Every report is written in-process from small
hand-made JSON files (no image is scored).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import cv2
import numpy as np
import pytest

from saliency.cli import main
from test_reliability_inputs import one_line  # one stderr line, no traceback


def _tree(path) -> dict:
    """{relative name: bytes, or None for a folder} of everything under ``path``, hidden entries included."""
    return {p.relative_to(path).as_posix(): (None if p.is_dir() else p.read_bytes()) for p in sorted(path.rglob("*"))}


def _write(path, doc):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _result(dataset, method, metrics, **counts):
    return {"dataset": dataset, "method": method, "n_images": counts.pop("n_images", 3), "metrics": metrics,
            "n_resized": 0, "n_missing": 0, "n_skipped": 0, "excluded": {}, **counts}


# ------------------------------------------------------------------ oracles: markdown and HTML tables, read here


def md_cells(line: str) -> list[tuple[str, bool]]:
    """(text, bold) of each cell of a GFM table row: split on unescaped ``|``; ``\\X`` is ``X``; ``**...**`` bold."""
    s = line.strip()
    assert s.startswith("|") and s.endswith("|"), line
    raw, cur, i = [], "", 1
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            cur += s[i:i + 2]
            i += 2
            continue
        if s[i] == "|":
            raw.append(cur.strip())
            cur = ""
        else:
            cur += s[i]
        i += 1
    assert cur.strip() == "", line  # the row ends with an unescaped |
    out = []
    for c in raw:
        bold = len(c) >= 4 and c.startswith("**") and c.endswith("**") and not c.endswith("\\**")
        c = c[2:-2] if bold else c
        assert "*" not in re.sub(r"\\.", "", c), f"an unescaped * in {c!r}: markup, not text"
        out.append((re.sub(r"\\(.)", r"\1", c), bold))
    return out


def md_metric_tables(md: str) -> list[list[list[tuple[str, bool]]]]:
    """Every metric table of report.md (header row first), as cells."""
    tables, cur = [], None
    for line in md.splitlines():
        if line.startswith("| dataset | method | images |"):
            cur = [md_cells(line)]
            tables.append(cur)
        elif cur is not None and line.startswith("|---"):
            continue
        elif cur is not None and line.startswith("|"):
            cur.append(md_cells(line))
        else:
            cur = None
    return tables


class _Html(HTMLParser):
    """Tables (rows of (text, bold) cells) and list items of a page."""

    def __init__(self):
        super().__init__()
        self.tables, self.items, self.cell, self.item = [], [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = ["", False]
        elif tag == "b" and self.cell is not None:
            self.cell[1] = True
        elif tag == "li":
            self.item = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(tuple(self.cell))
            self.cell = None
        elif tag == "li":
            self.items.append(self.item)
            self.item = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[0] += data
        if self.item is not None:
            self.item += data


def html_page(out) -> _Html:
    p = _Html()
    p.feed((out / "report.html").read_text(encoding="utf-8"))
    return p


def html_metric_tables(page: _Html):
    return [t for t in page.tables if t and [c[0] for c in t[0][:3]] == ["dataset", "method", "images"]]


def _report(tmp_path, *evals, out="rep", extra=()):
    args = ["report", *[a for e in evals for a in ("--eval", str(e))], *extra, "--out", str(tmp_path / out)]
    return main(args)


# ------------------------------------------------------------------ 1. a | in a name keeps the columns


def test_a_pipe_or_backslash_in_a_name_keeps_report_md_columns(tmp_path, capsys):
    """``| gt6 | U2Net|ft | 6 | ...`` read as the method ``U2Net`` with ``ft`` images and every metric one column
    to the right; each cell is now escaped by eval's own markdown_cell."""
    res = [_result("D|1", "U2Net|ft", {"MAE": 0.05, "Fmax": 0.9}),
           _result("D|1", "b\\", {"MAE": 0.25, "Fmax": 0.95}),
           _result("D|1", "c|d|e", {"MAE": 0.125, "Fmax": None})]
    ev = _write(tmp_path / "eval.json", {"task": "sod", "version": "0", "results": res})
    assert _report(tmp_path, ev) == 0
    (table,) = md_metric_tables((tmp_path / "rep" / "report.md").read_text(encoding="utf-8"))
    header = [c for c, _ in table[0]]
    assert header == ["dataset", "method", "images", "MAE", "Fmax"]
    assert len(table) == 1 + len(res)
    for r, row in zip(res, table[1:]):
        assert len(row) == len(header), row
        assert [c for c, _ in row[:3]] == [r["dataset"], r["method"], "3"]
        for k, (text, _) in zip(header[3:], row[3:]):
            v = r["metrics"][k]
            assert text == ("n/a" if v is None else f"{v:.3f}")  # as eval prints it
    # hand-worked bold: MAE lowest 0.050 (U2Net|ft), Fmax highest 0.950 (b\)
    assert [row[3][1] for row in table[1:]] == [True, False, False]
    assert [row[4][1] for row in table[1:]] == [False, True, False]


# ------------------------------------------------------------------ 2. JSON that is no eval output


@pytest.mark.parametrize("doc", [{}, {"foo": 1}, {"task": "sod"},
                                 {"results": [{"dataset": "d", "method": "m", "metrics": {"MAE": 0.1}}]},
                                 {"task": "sod", "results": []}])
def test_a_json_that_is_not_an_eval_output_is_one_line(tmp_path, capsys, doc):
    """``{}`` or another program's JSON gave exit 0 and a report with an empty table."""
    ev = _write(tmp_path / "version_performance.json", doc)
    line = one_line(capsys, 2, _report(tmp_path, ev))
    assert "version_performance.json" in line and "--eval" in line and "saliency eval --json" in line
    assert not (tmp_path / "rep").exists()


# ------------------------------------------------------------------ 3. metrics of the wrong shape


@pytest.mark.parametrize("metrics", [None, [], False, "MISSING", {"MAE": 10 ** 400}])
def test_metrics_of_the_wrong_shape_is_one_line_naming_the_result(tmp_path, capsys, metrics):
    """``metrics`` null, [], false or missing, or a 400-digit integer, was 'unexpected TypeError', exit 1."""
    bad = {"dataset": "d", "method": "n"} if metrics == "MISSING" else {"dataset": "d", "method": "n",
                                                                        "metrics": metrics}
    ev = tmp_path / "m.json"
    ev.write_text(json.dumps({"task": "sod", "results": [_result("d", "m", {"MAE": 0.1}), bad]}))
    line = one_line(capsys, 2, _report(tmp_path, ev))
    assert "m.json" in line and "results[1]" in line and "metrics" in line
    if isinstance(metrics, dict):
        assert "results[1].metrics.MAE" in line and "401 digits" in line
    assert not (tmp_path / "rep").exists()


# ------------------------------------------------------------------ 4. the bold mark is a flag, not text


def test_a_method_named_with_stars_is_not_shown_bold(tmp_path, capsys):
    """``**x**`` was shown as a bold ``x`` in report.html (its ``**`` turned into <b> with the real marks), and read as
    bold in report.md and in eval's own markdown table."""
    from saliency.eval.runner import MethodResult
    from saliency.eval.tables import markdown

    res = [_result("D", "**x**", {"MAE": 0.5}), _result("D", "_y_", {"MAE": 0.25}), _result("D", "z", {"MAE": 0.75})]
    ev = _write(tmp_path / "eval.json", {"task": "sod", "results": res})
    assert _report(tmp_path, ev) == 0
    (table,) = html_metric_tables(html_page(tmp_path / "rep"))
    assert [row[1] for row in table[1:]] == [("**x**", False), ("_y_", False), ("z", False)]
    assert [row[3] for row in table[1:]] == [("0.500", False), ("0.250", True), ("0.750", False)]
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    (table,) = md_metric_tables(md)
    assert [row[1] for row in table[1:]] == [("**x**", False), ("_y_", False), ("z", False)]
    assert [row[3] for row in table[1:]] == [("0.500", False), ("0.250", True), ("0.750", False)]
    assert "| \\_y\\_ |" in md  # _y_ would be italic
    # eval's own markdown table: the same names, the same single mark
    eval_md = markdown([MethodResult("D", r["method"], 3, r["metrics"]) for r in res], ["MAE"])
    rows = [md_cells(line) for line in eval_md.splitlines() if line.startswith("| ") and "Method" not in line]
    assert [row[0] for row in rows] == [("**x**", False), ("_y_", False), ("z", False)]
    assert [row[1] for row in rows] == [("0.500", False), ("0.250", True), ("0.750", False)]
    assert "- \\*\\*x\\*\\*: 3 images" in eval_md  # the note names it as text too


# ------------------------------------------------------------------ 5. 'gold standard' is the ceiling row's name


def test_a_method_named_gold_standard_is_refused(tmp_path, capsys):
    """A model named 'gold standard' was taken for the human ceiling row and never ranked (no bold anywhere)."""
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    cv2.imwrite(str(gt / "a.png"), np.zeros((4, 4), np.uint8))
    cv2.imwrite(str(pred / "a.png"), np.zeros((4, 4), np.uint8))
    line = one_line(capsys, 2, main(["eval", "--task", "sod", "--gt", str(gt), "--pred", f"gold standard={pred}",
                                     "--pred", f"b={pred}", "--quiet", "--json", str(tmp_path / "r.json")]))
    assert "--pred" in line and "'gold standard'" in line and "reserved" in line
    cfg = _write(tmp_path / "bench.json", {"task": "sod", "datasets": {"D": str(gt)},
                                           "methods": {"gold standard": str(pred), "b": str(pred)}})
    line = one_line(capsys, 2, main(["eval", "--config", str(cfg), "--quiet", "--json", str(tmp_path / "r.json")]))
    assert "--config" in line and "bench.json" in line and "'gold standard'" in line and "reserved" in line
    assert not (tmp_path / "r.json").exists()


# ------------------------------------------------------------------ 6. eval's counts are shown


def test_the_report_shows_skipped_images_and_metrics_that_left_images_out(tmp_path, capsys):
    """``excluded`` ("AUC left out on 1 image(s)") and ``n_missing`` (--allow-missing) were dropped."""
    from types import SimpleNamespace

    from saliency.eval.tables import markdown

    res = [_result("D", "p", {"MAE": 0.1, "AUC": 0.9}, n_missing=2, excluded={"AUC": 1, "MAE": 0}),
           _result("D", "q", {"MAE": 0.2, "AUC": 0.8}, n_resized=3, n_skipped=1),
           _result("D", "r", {"MAE": 0.3, "AUC": 0.7})]
    ev = _write(tmp_path / "eval.json", {"task": "sod", "results": res})
    assert _report(tmp_path, ev) == 0
    want = ["D / p: 3 images, 2 without a prediction skipped, AUC left out on 1 image(s)",
            "D / q: 3 images, 3 predictions resized to the GT (bilinear), 1 unreadable or refused skipped"]  # r: nothing to say
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert [line[2:] for line in md.splitlines() if line.startswith("- D / ")] == want
    assert [i for i in html_page(tmp_path / "rep").items if i.startswith("D / ")] == want
    # eval's own wording, from the same values
    eval_md = markdown([SimpleNamespace(**{**r, "curves": {}}) for r in res], ["MAE", "AUC"])
    for w in want:
        assert f"- {w.split(' / ', 1)[1]}" in eval_md


# ------------------------------------------------------------------ 7. captions of two files of one name


def test_two_eval_files_of_one_name_get_two_captions(tmp_path, capsys):
    """a/results.json and b/results.json were both captioned 'Task: sod (from results.json)'."""
    a = _write(tmp_path / "runA" / "results.json", {"task": "sod", "results": [_result("D", "m", {"MAE": 0.1})]})
    b = _write(tmp_path / "x" / "runB" / "results.json", {"task": "fixation",
                                                           "results": [_result("E", "m", {"NSS": 1.5})]})
    c = _write(tmp_path / "other.json", {"task": "sod", "results": [_result("F", "m", {"MAE": 0.2})]})
    assert _report(tmp_path, a, b, c) == 0
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    want = ["Task: sod (from runA/results.json).", "Task: fixation (from runB/results.json).",
            "Task: sod (from other.json)."]
    assert [line for line in md.splitlines() if line.startswith("Task: ")] == want
    page = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert [f"<p>{w}</p>" in page for w in want] == [True] * 3


# ------------------------------------------------------------------ 8. a user's file in the report's assets/


def _plots(tmp_path):
    plots = tmp_path / "plots"
    plots.mkdir()
    ok, buf = cv2.imencode(".png", np.full((8, 8, 3), 128, np.uint8))
    (plots / "D_pr.png").write_bytes(buf.tobytes())
    return ["--plots", str(plots)]


def test_a_users_file_in_the_reports_own_assets_is_kept(tmp_path, capsys):
    """``OUT/assets/notes.txt`` was deleted on the next run (assets/ is replaced whole): now refused, kept."""
    ev = _write(tmp_path / "eval.json", {"task": "sod", "results": [_result("D", "m", {"MAE": 0.1})]})
    plots = _plots(tmp_path)
    out = tmp_path / "rep"
    assert _report(tmp_path, ev, extra=plots) == 0
    assert (out / "assets" / "curve_D_pr.png").is_file()
    assert _report(tmp_path, ev, extra=plots) == 0  # its own folder: replaced without a word
    (out / "assets" / "notes.txt").write_text("mine")
    (out / "assets" / "drafts").mkdir()
    before = _tree(out)
    line = one_line(capsys, 2, _report(tmp_path, ev, extra=plots))
    assert "assets/drafts (and 1 more entry)" in line and "--out" in line and "move it out" in line  # sorted
    assert _tree(out) == before  # nothing deleted, no staging folder left
    (out / "assets" / "drafts").rmdir()
    (out / "assets" / "notes.txt").rename(tmp_path / "notes.txt")
    assert _report(tmp_path, ev, extra=plots) == 0  # moved out: the report is written again
    assert sorted(p.name for p in (out / "assets").iterdir()) == [".saliency-report", "curve_D_pr.png"]


def test_a_mark_written_before_it_listed_the_pictures_still_guards_a_users_file(tmp_path, capsys):
    """An assets/ marked by an earlier version (no list): its own are the report's picture names; notes.txt is not."""
    ev = _write(tmp_path / "eval.json", {"task": "sod", "results": [_result("D", "m", {"MAE": 0.1})]})
    out = tmp_path / "rep"
    assert _report(tmp_path, ev) == 0
    assets = out / "assets"
    (assets / ".saliency-report").write_text("written by saliency report: this folder is replaced whole when the "
                                             "report is written again\n")
    (assets / "gallery_s1.png").write_bytes(b"old picture")
    (assets / "notes.txt").write_text("mine")
    line = one_line(capsys, 2, _report(tmp_path, ev))
    assert "notes.txt" in line and "more" not in line
    assert (assets / "notes.txt").read_text() == "mine"
    (assets / "notes.txt").unlink()
    assert _report(tmp_path, ev) == 0
    assert sorted(p.name for p in assets.iterdir()) == [".saliency-report"]

"""Review 27 of ``saliency eval``'s output files: a table on a curve file, curve targets refused before scoring, a
carriage return in a name, names that are only spaces.

- ``--csv P/ds_pr.png --plot-dir P`` wrote the table, then the curve over it (exit 0, the CSV gone): the options
  were compared with each other only, never with the curve files --plot-dir writes.
- A curve file that is a folder, a link or a dangling link was refused only after every image was scored, when
  the curves were written (the table printed, --csv not written, the message naming no option).
- A method name holding a bare ``\\r`` went out unquoted in the CSV, and a csv reader split the row there.
- ``--name "  "`` and ``--pred " =DIR"`` were accepted (a blank heading, curve files ``__pr.png``) although a
  config refuses such a name.

Oracles: exact one-line messages, exit codes, what is (not) on disk, the CSV read back by the csv module, and a
CSV written by hand for names without a carriage return (byte for byte what the writer gave before).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli
from saliency.eval import tables


def _data(tmp_path, n=3):
    """``n`` 20x24 masks in tmp_path/gt and a folder tmp_path/p of blurred predictions of them."""
    gt, pred = tmp_path / "gt", tmp_path / "p"
    gt.mkdir()
    pred.mkdir()
    for i in range(n):
        m = np.zeros((20, 24), np.uint8)
        m[5:15, 6 + i:18] = 255
        cv2.imwrite(str(gt / f"im{i}.png"), m)
        cv2.imwrite(str(pred / f"im{i}.png"), cv2.GaussianBlur(m, (0, 0), 2))
    return gt, pred


def _eval(capsys, *args):
    return run_cli(capsys, ["eval", "--quiet", "--task", "sod", "--metrics", "Fmax", *args])


# ------------------------------------------------------------------ 1. a table on a curve file of --plot-dir
@pytest.mark.parametrize("param, curve", [("csv", "ds_pr.png"), ("json", "ds_fm.pdf"), ("latex", "ds_pr.pdf")])
def test_table_on_a_curve_file_is_refused_before_scoring(tmp_path, capsys, monkeypatch, param, curve):
    gt, pred = _data(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plots").mkdir()
    line = refusal(*_eval(capsys, "--gt", gt, "--name", "ds", "--pred", f"m={pred}", f"--{param}",
                          f"plots/{curve}", "--plot-dir", "plots"))
    assert line == (f"saliency eval: error: --{param} plots/{curve} and --plot-dir plots name the same path: "
                    f"--plot-dir writes its curve plots/{curve} there; one would replace the other; give each "
                    "output its own path")
    assert list((tmp_path / "plots").iterdir()) == []


def test_table_on_a_curve_file_by_another_spelling_is_refused(tmp_path, capsys, monkeypatch):
    gt, pred = _data(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plots").mkdir()
    line = refusal(*_eval(capsys, "--gt", gt, "--name", "ds", "--pred", f"m={pred}", "--json", "x.json",
                          "--csv", "./plots/../plots/ds_fm.png", "--plot-dir", "plots"))
    assert line.startswith("saliency eval: error: --csv ./plots/../plots/ds_fm.png and --plot-dir plots name the "
                           "same path")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt", "p", "plots"]


def test_tables_beside_the_curves_still_written(tmp_path, capsys, monkeypatch):
    gt, pred = _data(tmp_path)
    monkeypatch.chdir(tmp_path)
    rc, out, err = _eval(capsys, "--gt", gt, "--name", "ds", "--pred", f"m={pred}", "--csv", "plots/t.csv",
                         "--plot-dir", "plots")
    assert rc == 0, err
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "ds_fm.pdf", "ds_fm.png", "ds_pr.pdf", "ds_pr.png", "t.csv"]
    assert (tmp_path / "plots/t.csv").read_text().startswith("dataset,method,n_images,Fmax,")


# ------------------------------------------------------------------ 2. a curve target no write can replace
def _make(kind, path: Path, tmp_path):
    if kind == "folder":
        path.mkdir()
        return "is a folder; remove it or give another --plot-dir"
    target = tmp_path / "notes.txt" if kind == "link" else tmp_path / "missing"
    if kind == "link":
        target.write_text("mine\n")
    path.symlink_to(target)
    return (f"is a symbolic link (to {target}); links are never followed or replaced, --overwrite included: "
            "remove the link or give another --plot-dir")


@pytest.mark.parametrize("kind", ["folder", "link", "dangling"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_curve_target_not_a_file_is_refused_before_scoring(tmp_path, capsys, monkeypatch, kind, overwrite):
    gt, pred = _data(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plots").mkdir()
    why = _make(kind, tmp_path / "plots" / "ds_fm.png", tmp_path)
    # refusal(): nothing on stdout, so no table was printed: refused before any image was scored
    line = refusal(*_eval(capsys, "--gt", gt, "--name", "ds", "--pred", f"m={pred}", "--csv", "t.csv",
                          "--plot-dir", "plots", *(["--overwrite"] if overwrite else [])))
    assert line == f"saliency eval: error: --plot-dir plots: its curve file plots/ds_fm.png {why}"
    assert not (tmp_path / "t.csv").exists()
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["ds_fm.png"]
    if kind == "link":
        assert (tmp_path / "notes.txt").read_text() == "mine\n"


# ------------------------------------------------------------------ 3. a carriage return in a name
def _result(dataset, method, fmax):
    return SimpleNamespace(dataset=dataset, method=method, n_images=3, metrics={"Fmax": fmax}, n_resized=0,
                           n_missing=1, n_skipped=0)


def test_csv_quotes_a_bare_carriage_return(tmp_path, capsys, monkeypatch):
    gt, pred = _data(tmp_path)
    monkeypatch.chdir(tmp_path)
    rc, out, err = _eval(capsys, "--gt", gt, "--name", "d\rs", "--pred", f"m\rv2={pred}", "--pred", f"plain={pred}",
                         "--csv", "t.csv")
    assert rc == 0, err
    with open("t.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [r[:3] for r in rows] == [["dataset", "method", "n_images"], ["d\rs", "m\rv2", "3"], ["d\rs", "plain", "3"]]
    assert all(len(r) == 9 for r in rows)


def test_csv_of_plain_names_is_as_written_by_hand():
    text = tables.csv_text([_result("ECSSD", "U2Net", 0.5), _result("a,b", 'say "x"\nnext', float("nan"))],
                           ("Fmax",))
    assert text == ("dataset,method,n_images,Fmax,n_resized,n_missing,n_skipped,metric_maps,seed\n"
                    "ECSSD,U2Net,3,0.5,0,1,0,false,\n"
                    '"a,b","say ""x""\nnext",3,,0,1,0,false,\n')
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [r[:2] for r in rows[1:]] == [["ECSSD", "U2Net"], ["a,b", 'say "x"\nnext']]


# ------------------------------------------------------------------ 4. names that are only spaces
def test_blank_dataset_name_is_refused(tmp_path, capsys):
    gt, pred = _data(tmp_path)
    line = refusal(*_eval(capsys, "--gt", gt, "--name", "  ", "--pred", f"m={pred}"))
    assert line == "saliency eval: error: --name: dataset name '  ' is empty; give the dataset a name"


@pytest.mark.parametrize("name, shown", [(" ", " ={pred}"), ("\t ", "'\\t ={pred}'")])
def test_blank_method_name_is_refused(tmp_path, capsys, name, shown):
    gt, pred = _data(tmp_path)
    line = refusal(*_eval(capsys, "--gt", gt, "--pred", f"{name}={pred}"))
    # a tab in the value is shown escaped and quoted (since 53087b1: a raw control character split the line)
    assert line == (f"saliency eval: error: --pred {shown.format(pred=pred)}: method name {name!r} is empty; give "
                    "the method a name (NAME=DIR)")


def test_blank_names_from_a_config_say_the_same(tmp_path, capsys):
    gt, pred = _data(tmp_path)
    cfg = tmp_path / "b.json"
    cfg.write_text('{"task": "sod", "datasets": {"  ": {"gt": "gt"}}, "methods": {"m": "p"}}')
    line = refusal(*_eval(capsys, "--config", cfg))
    assert line.endswith(": dataset name '  ' is empty; give the dataset a name")

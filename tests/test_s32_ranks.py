"""Review s32 (F10): a value with no rival is not "best"; a "mean ± sd" cell says n/a, never "-".

Found: ``eval.tables.ranks`` gave up only when fewer than two methods
existed, so a column where one method alone had a defined value (the other's
images all left AUC out) bolded that lone value in eval's markdown, its LaTeX
and the report. benchmarks/osie.py's table and the report's study table still
printed an undefined mean as ``-`` while eval and the report's metric table
print ``n/a`` with a footnote.
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

SIDE = 8


def _png(path, on):
    """An 8x8 map: 255 on the pixels ``on`` (a list of (row, col)), 0 elsewhere."""
    img = np.zeros((SIDE, SIDE), np.uint8)
    for rc in on:
        img[rc] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


@pytest.fixture()
def sod(tmp_path):
    """GT: ``a`` empty (AUC undefined), ``b`` and ``c`` the left half. A predicts ``a`` only (1 of 64 pixels on);
    B all three (``a``: 4 pixels on; ``b``, ``c``: the GT exactly).

    By hand: MAE of A = 1/64 = 0.016; of B = (4/64 + 0 + 0) / 3 = 0.021 (A best); AUC of A undefined (n/a);
    of B 1.000 on b and c, the only AUC defined in its column."""
    half = [(r, c) for r in range(SIDE) for c in range(SIDE // 2)]
    _png(tmp_path / "gt" / "a.png", [])
    _png(tmp_path / "gt" / "b.png", half)
    _png(tmp_path / "gt" / "c.png", half)
    _png(tmp_path / "A" / "a.png", [(0, 0)])
    _png(tmp_path / "B" / "a.png", [(0, 0), (0, 1), (1, 0), (1, 1)])
    _png(tmp_path / "B" / "b.png", half)
    _png(tmp_path / "B" / "c.png", half)
    return tmp_path


def _eval(capsys, d, *extra):
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", d / "gt", "--pred", f"A={d / 'A'}", "--pred",
                                    f"B={d / 'B'}", "--allow-missing", "--metrics", "MAE,AUC", "--quiet", *extra])
    assert rc == 0, err
    return out


def test_eval_does_not_bold_the_only_defined_value_of_a_column(capsys, sod):
    out = _eval(capsys, sod, "--latex", sod / "t.tex")
    rows = {ln.split(" | ")[0][2:]: ln.removesuffix(" |").split(" | ")[1:] for ln in out.splitlines()
            if ln.startswith("| A ") or ln.startswith("| B ")}
    assert rows == {"A": ["**0.016**", "n/a"], "B": ["0.021", "1.000"]}  # MAE: best of two; AUC: no rival
    tex = (sod / "t.tex").read_text(encoding="utf-8").splitlines()
    # the MAE column keeps first and second; the lone AUC is unmarked
    assert "A & \\textbf{0.016} & n/a \\\\" in tex
    assert "B & \\underline{0.021} & 1.000 \\\\" in tex


def test_report_does_not_bold_the_only_defined_value_of_a_column(capsys, sod):
    _eval(capsys, sod, "--json", sod / "r.json")
    rc, out, err = run_cli(capsys, ["report", "--eval", sod / "r.json", "--out", sod / "rep"])
    assert rc == 0, err
    md = (sod / "rep" / "report.md").read_text(encoding="utf-8").splitlines()
    row_b = [ln for ln in md if ln.startswith("| gt | B |")]
    assert row_b == ["| gt | B | 3 | 0.021 | 1.000 |"]
    assert "| gt | A | 1 | **0.016** | n/a |" in md
    html = (sod / "rep" / "report.html").read_text(encoding="utf-8")
    assert "<td>1.000</td>" in html and "<b>1.000</b>" not in html


def _r(method, **metrics):
    return SimpleNamespace(method=method, metrics=metrics)


def test_ranks_need_two_defined_values_and_keep_second_and_third():
    gold = _r("gold standard", AUC=0.99)
    # one defined value beside n/a (None, NaN) and the gold standard: unranked
    assert tables.ranks([gold, _r("A", AUC=0.9), _r("B", AUC=None), _r("C", AUC=float("nan"))], "AUC", 3) == {}
    # four methods, one n/a: 0.9 > 0.8 > 0.7 keep first, second, third
    rs = [_r("A", AUC=0.7), _r("B", AUC=None), _r("C", AUC=0.9), _r("D", AUC=0.8)]
    assert tables.ranks(rs, "AUC", 3) == {"C": 0, "D": 1, "A": 2}


def test_mean_sd_text():
    assert tables.mean_sd_text(0.5, 0.01) == "0.500 ± 0.010"
    assert tables.mean_sd_text(0.5, None) == "0.500"
    assert tables.mean_sd_text(None, 0.01) == "n/a"
    assert tables.mean_sd_text(float("nan"), None) == "n/a"


@pytest.fixture(scope="module")
def osie():
    return load("osie", "bench_s32")


def test_osie_table_says_n_a_with_eval_footnote(osie):
    def row(method, ll):
        return {"method": method, "runs": 3, "n_images": 2, "metrics": {k: (ll if k == "LL" else 0.5)
                                                                       for k in osie.METRICS},
                "std": {k: 0.01 for k in osie.METRICS}}

    lines = osie.markdown([row("A", None), row("B", 0.4), row("C", 0.3)]).splitlines()
    ll = list(osie.METRICS).index("LL")
    cells = [ln.removesuffix(" |").split(" | ")[2:] for ln in lines[2:5]]
    assert [c[ll] for c in cells] == ["n/a", "**0.400 ± 0.010**", "0.300 ± 0.010"]
    assert lines[5:] == ["", "- n/a: " + tables.NA_METHOD]


def test_report_study_table_says_n_a_and_keeps_the_count(capsys, tmp_path):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "dataset.json").write_text(json.dumps({"inter_observer": {
        "nss": {"mean": 2.5, "std": 0.25, "n": 4, "stimuli": 2},
        "auc_judd": {"mean": None, "std": None, "n": 0, "stimuli": 0}}}))
    rc, out, err = run_cli(capsys, ["report", "--dataset", tmp_path / "ds", "--gallery", "0",
                                    "--out", tmp_path / "rep"])
    assert rc == 0, err
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8").splitlines()
    assert "| inter-observer nss (each subject vs the others) | 2.500 ± 0.250 (n=4, 2 stimuli) |" in md
    assert "| inter-observer auc_judd (each subject vs the others) | n/a (n=0, 0 stimuli) |" in md


def test_report_rewritten_keeps_the_mode_and_group_of_its_entries(tmp_path, capsys):
    """A private report (report.md 600, assets 2750 in another group of the user) came back 644/755 in the user's
    group when rewritten: the stage's new entries now take the old ones' bits and group (review RR2)."""
    import json
    import os
    import stat

    res = [{"dataset": "D", "method": m, "images": 3, "std": {}, "metrics": {"MAE": v}} for m, v in
           (("A", 0.1), ("B", 0.2))]
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({"task": "sod", "version": "0", "results": res}), encoding="utf-8")
    out = tmp_path / "rep"
    args = ["report", "--eval", ev, "--gallery", "0", "--out", out, "--quiet"]
    assert run_cli(capsys, args)[0] == 0
    groups = [g for g in os.getgroups() if g != os.lstat(out / "report.md").st_gid] or [None]
    gid = groups[0]
    if gid is not None:
        os.chown(out / "report.md", -1, gid)
        os.chown(out / "assets", -1, gid)
    os.chmod(out / "report.md", 0o600)
    os.chmod(out / "assets", 0o2750)
    assert run_cli(capsys, args)[0] == 0
    md, assets = os.lstat(out / "report.md"), os.lstat(out / "assets")
    assert stat.S_IMODE(md.st_mode) == 0o600 and stat.S_IMODE(assets.st_mode) == 0o2750
    if gid is not None:
        assert md.st_gid == gid and assets.st_gid == gid


def _two_method_eval(tmp_path, metrics_a, metrics_b, task="sod"):
    res = [{"dataset": "D", "method": m, "images": 3, "std": {}, "metrics": v} for m, v in
           (("A", metrics_a), ("B", metrics_b))]
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({"task": task, "version": "0", "results": res}), encoding="utf-8")
    return ev


def test_a_file_named_assets_replaced_by_the_folder_leaves_it_searchable(tmp_path, capsys):
    """An old regular file `assets` (mode 644) gave the new assets/ folder its bits: drw-r--r--, its pictures out of
    everyone's reach; a folder replacing a file takes the default folder bits (review RR6)."""
    import os
    import stat

    out = tmp_path / "rep"
    out.mkdir()
    (out / "assets").write_text("hi")
    os.chmod(out / "assets", 0o644)
    ev = _two_method_eval(tmp_path, {"MAE": 0.1}, {"MAE": 0.2})
    assert run_cli(capsys, ["report", "--eval", ev, "--gallery", "0", "--out", out, "--overwrite", "--quiet"])[0] == 0
    mode = stat.S_IMODE(os.lstat(out / "assets").st_mode)
    assert (out / "assets").is_dir() and mode & 0o100 and mode == 0o777 & ~_umask()


def _umask():
    import os

    m = os.umask(0)
    os.umask(m)
    return m


def test_a_shared_assets_folder_gives_its_group_to_the_files_made_in_it(tmp_path, capsys):
    """A set-group-ID assets/ of a group kept its group and bits but the files written into it (in the stage, before
    the swap) came in the user's own group: unreadable to the group under umask 027 (review RR6)."""
    import os

    from saliency import report

    ev = _two_method_eval(tmp_path, {"MAE": 0.1}, {"MAE": 0.2})
    out = tmp_path / "rep"
    args = ["report", "--eval", ev, "--gallery", "0", "--out", out, "--quiet"]
    assert run_cli(capsys, args)[0] == 0
    mine = os.lstat(out / "assets").st_gid
    groups = [g for g in os.getgroups() + ([1] if os.geteuid() == 0 else []) if g != mine]  # root may use any
    if not groups:
        pytest.skip("the user belongs to no second group")
    os.chown(out / "assets", -1, groups[0])
    os.chmod(out / "assets", 0o2770)
    assert run_cli(capsys, args)[0] == 0
    assert os.lstat(out / "assets").st_gid == groups[0]
    assert os.lstat(out / "assets" / report.ASSETS_MARK).st_gid == groups[0]  # made inside: the folder's group


def test_report_ranks_an_infinite_value_as_eval_does(tmp_path, capsys):
    """KLD inf beside 0.5: eval's ranks put 0.5 first (bold); the report turned inf into n/a, found one defined
    value and bolded nothing (review RR6)."""
    from types import SimpleNamespace

    assert tables.ranks([SimpleNamespace(method="A", metrics={"KLD": math.inf}),
                         SimpleNamespace(method="B", metrics={"KLD": 0.5})], "KLD", 3) == {"A": 1, "B": 0}
    ev = _two_method_eval(tmp_path, {"KLD": math.inf}, {"KLD": 0.5}, task="fixation")
    assert run_cli(capsys, ["report", "--eval", ev, "--gallery", "0", "--out", tmp_path / "r", "--quiet"])[0] == 0
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    (row,) = [ln for ln in md.splitlines() if ln.startswith("| D | B |")]
    assert row.endswith("| **0.500** |"), row

"""Stimulus names that read as numbers (review 29, F20): two stimulus files are never pooled.

A folder holding ``1.png``, ``1.0.png``, ``01.png``, ``2.png``, ``002.png``, ``3e1.png``, ``30.png`` and
``0x1.png``, named in a samples table without extension: every file gets its own map (``1.0`` was read as ``1``,
its fixations pooled into 1's map in silence, and ``saliency detect`` wrote them as stimulus ``1``). A ``1.0``
that no file has (a table saved by Excel writes 1 as 1.0) still finds ``1.png``, said in one warning; trial
numbers and subjects keep their rule: ``1.0`` and ``1`` alike. Expectations are worked by hand: each showing is
200 samples at 500 Hz at (x, 500), x + 0.3 on every third, so its one fixation lies at x + 0.1 (screen = stimulus
size, 1680x1050).
"""

from __future__ import annotations

import pandas as pd
import pytest
from PIL import Image

from cli_fakes import run_cli

GEOM = ["--screen-px", "1680x1050", "--screen-cm", "47.4x29.7", "--distance-cm", "70"]
NAMES = ["1", "1.0", "01", "2", "002", "3e1", "30", "0x1"]  # the review's folder, each name its own x below


def _stimuli(folder, names):
    folder.mkdir()
    for name in names:
        Image.new("RGB", (1680, 1050), (90, 120, 150)).save(folder / f"{name}.png")
    return folder


def _samples(path, showings, trial_col=False):
    """A samples table: per (subject, stimulus, trial, x) 200 samples 2 ms apart at (x, 500) or (x + 0.3, 500)."""
    rows, t = [], 1000.0
    for subject, stimulus, trial, x in showings:
        for k in range(200):
            t += 2.0
            rows.append([subject, stimulus, trial, f"{t:.1f}", f"{x + 0.3 * (k % 3 == 1):.2f}", "500.00"])
        t += 500.0
    df = pd.DataFrame(rows, columns=["subject", "stimulus", "trial", "time_ms", "x", "y"])
    df.drop(columns=[] if trial_col else ["trial"]).to_csv(path, index=False)
    return path


def _ingest(capsys, log, stim, out, *extra):
    return run_cli(capsys, ["ingest", str(log), "--stimuli", str(stim), *GEOM, "--out", str(out), "--no-ioc",
                            *extra])


def _fixations(out):
    return pd.read_csv(out / "fixations.csv", dtype={"stimulus": str, "subject": str}, keep_default_na=False)


def _whole_lines(err):
    return [ln for ln in err.splitlines() if "matched as the number" in ln]


def test_every_numeric_name_gets_its_own_map(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stimuli", NAMES)
    xs = {name: 200.0 + 150 * i for i, name in enumerate(NAMES)}
    log = _samples(tmp_path / "samples.csv", [("sub01", name, "", xs[name]) for name in NAMES])
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "o")
    assert rc == 0, err
    assert sorted(p.name for p in (tmp_path / "o" / "maps").iterdir()) == sorted(f"{n}.png" for n in NAMES)
    fx = _fixations(tmp_path / "o")
    assert sorted(fx["stimulus"]) == sorted(NAMES)  # one fixation each: 1.0's is not in 1's map
    for name in NAMES:
        assert fx.loc[fx["stimulus"] == name, "x"].tolist() == pytest.approx([xs[name] + 0.1], abs=0.01), name
    assert not _whole_lines(err)


def test_a_1_0_without_its_file_finds_1_with_a_warning(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stimuli", ["1", "2"])
    log = _samples(tmp_path / "samples.csv", [("sub01", "1.0", "", 400.0), ("sub01", "2", "", 900.0)])
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "o")
    assert rc == 0, err
    fx = _fixations(tmp_path / "o").sort_values("x")
    assert fx["stimulus"].tolist() == ["1", "2"]
    assert fx["x"].tolist() == pytest.approx([400.1, 900.1], abs=0.01)
    said = _whole_lines(err)
    assert len(said) == 1 and "'1.0'" in said[0] and "1.png" in said[0], err


def test_trials_and_subjects_keep_1_0_as_1_but_the_table_stimulus_keeps_its_text(tmp_path, capsys):
    # a log whose trial and subject were saved by Excel (1.0) finds the table's trial 1 and is subject 1;
    # the table's stimulus '1.0' is 1.0.png, not 1.png
    stim = _stimuli(tmp_path / "stimuli", ["1", "1.0"])
    log = _samples(tmp_path / "samples.csv", [("1.0", "", "1.0", 400.0), ("1", "", "2", 900.0)], trial_col=True)
    table = tmp_path / "trials.csv"
    table.write_text("trial,stimulus\n1,1.0\n2.0,1\n")
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "o", "--trials", str(table))
    assert rc == 0, err
    fx = _fixations(tmp_path / "o").sort_values("x")
    assert fx[["subject", "stimulus"]].values.tolist() == [["1", "1.0"], ["1", "1"]]
    assert fx["x"].tolist() == pytest.approx([400.1, 900.1], abs=0.01)
    assert not _whole_lines(err)


def test_detect_keeps_a_1_0_stimulus_apart_from_1(tmp_path, capsys):
    log = _samples(tmp_path / "samples.csv", [("sub01", "1.0", "", 400.0), ("sub01", "1", "", 900.0)])
    rc, out, err = run_cli(capsys, ["detect", str(log), *GEOM, "--out", str(tmp_path / "d")])
    assert rc == 0, err
    fx = _fixations(tmp_path / "d").sort_values("x")
    assert fx["stimulus"].tolist() == ["1.0", "1"]
    assert fx["x"].tolist() == pytest.approx([400.1, 900.1], abs=0.01)

"""``benchmarks/scratch.py``: a benchmark's ``--work`` is replaced only when a benchmark made it.

Review (stop 18): ``train_synthetic.py --work W --study W/study`` deleted the
study before reading it; any folder given as ``--work`` was wiped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from scratch import MARK, SETTINGS, fresh_work, resumable_work  # noqa: E402


def test_a_folder_a_benchmark_did_not_make_is_never_wiped(tmp_path, capsys):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("x")
    with pytest.raises(SystemExit) as e:
        fresh_work(user)
    assert e.value.code == 2 and "notes.txt" not in capsys.readouterr().err
    assert (user / "notes.txt").read_text() == "x"
    study = tmp_path / "w" / "study"
    study.mkdir(parents=True)
    (study / "a.png").write_bytes(b"png")
    for work in (tmp_path / "w", study, study / "sub"):  # holds, is, or lies inside an input
        with pytest.raises(SystemExit) as e:
            fresh_work(work, {"--study": study})
        assert e.value.code == 2 and "--study" in capsys.readouterr().err
    assert (study / "a.png").read_bytes() == b"png"


def test_a_benchmarks_own_scratch_folder_is_replaced(tmp_path):
    w = fresh_work(tmp_path / "w")  # made
    assert sorted(p.name for p in w.iterdir()) == [MARK]
    (w / "old.txt").write_text("old")
    w = fresh_work(tmp_path / "w")  # its own: replaced
    assert sorted(p.name for p in w.iterdir()) == [MARK]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert fresh_work(empty) == empty  # an empty folder holds nothing to lose


def test_a_resumed_work_folder_is_refused_under_other_settings(tmp_path, capsys):
    """benchmarks/osie.py with --limit-test 6 over a --limit-test 3 work folder printed the 3-image table under a
    6-image header (its data, runs and scores were cached by file existence only)."""
    work = tmp_path / "w"
    assert resumable_work(work, {"limit_test": 3, "epochs": 1}) == work and (work / SETTINGS).is_file()
    (work / "data").mkdir()
    assert resumable_work(work, {"limit_test": 3, "epochs": 1}) == work  # the same settings resume
    with pytest.raises(SystemExit) as e:
        resumable_work(work, {"limit_test": 6, "epochs": 1})
    err = capsys.readouterr().err
    assert e.value.code == 2 and "limit_test 3 (now 6)" in err and err.count("\n") == 1
    other = tmp_path / "o"
    (other / "x").mkdir(parents=True)  # a folder with files and no record: not resumed blindly
    with pytest.raises(SystemExit):
        resumable_work(other, {"limit_test": 3})
    assert (other / "x").is_dir() and not (other / SETTINGS).exists()

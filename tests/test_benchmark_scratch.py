"""``benchmarks/scratch.py``: a benchmark's ``--work`` is replaced only when a benchmark made it.

Review (stop 18): ``train_synthetic.py --work W --study W/study`` deleted the
study before reading it; any folder given as ``--work`` was wiped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from scratch import MARK, fresh_work  # noqa: E402


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

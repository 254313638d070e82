"""``fsutil.staged_dir`` when another run or a person acts on ``out`` while a run is writing (stop-20 review).

The swap replaced whatever stood at ``out`` by then: a folder a person made there meanwhile (their notes
deleted, exit 0), or another run's finished result; and when two runs finished together, the loser's rollback
failed, leaving the old content in a hidden folder under a message naming no cause. The oracle is the
project's rule: nothing a user owns is replaced without ``--overwrite``, checked when the run started; and
(review finding 1, ``tests/test_overwrite_ownership.py``) with it only an earlier output that carries the mark
and nothing else is replaced, so the "earlier results" below are written by ``staged_dir`` itself.
"""

from __future__ import annotations

import os

import pytest

from saliency.base import fsutil
from saliency.base.errors import UserError


def _debris(parent):
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


def test_a_folder_that_appears_at_out_meanwhile_is_kept(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(UserError, match="appeared while this run was writing"):
        with fsutil.staged_dir(out) as stage:
            (stage / "result.txt").write_text("new")
            out.mkdir()
            (out / "notes.txt").write_text("mine")
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and not _debris(tmp_path)


def test_an_empty_out_filled_meanwhile_is_kept_and_a_replaced_one_too(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UserError, match="was empty and was filled"):
        with fsutil.staged_dir(out) as stage:
            (stage / "result.txt").write_text("new")
            (out / "notes.txt").write_text("mine")
    assert (out / "notes.txt").read_text() == "mine" and not (out / "result.txt").exists()
    (out / "notes.txt").unlink()
    with fsutil.staged_dir(out) as stage:  # the earlier result, replaced under --overwrite (marked: a command's)
        (stage / "old.txt").write_text("the earlier result")
    with pytest.raises(UserError, match="was replaced by another folder"):
        with fsutil.staged_dir(out) as stage:
            (stage / "result.txt").write_text("new")
            os.replace(out, tmp_path / "moved")  # another run swaps its own folder in
            out.mkdir()
            (out / "theirs.txt").write_text("theirs")
    assert [p.name for p in out.iterdir()] == ["theirs.txt"] and not _debris(tmp_path)


def test_the_usual_swaps_still_work(tmp_path):
    out = tmp_path / "out"
    with fsutil.staged_dir(out) as stage:  # absent: created
        (stage / "a.txt").write_text("1")
    with fsutil.staged_dir(out) as stage:  # our own earlier result (the caller checked it): replaced
        (stage / "b.txt").write_text("2")
    # each result carries the mark listing what it holds (review finding 1: was b.txt alone)
    assert sorted(p.name for p in out.iterdir()) == [".saliency-output.json", "b.txt"]
    with fsutil.staged_dir(out) as stage:  # removed meanwhile: ours placed, nobody's replaced
        (stage / "c.txt").write_text("3")
        (out / "b.txt").unlink()
        (out / ".saliency-output.json").unlink()
        out.rmdir()
    assert sorted(p.name for p in out.iterdir()) == [".saliency-output.json", "c.txt"] and not _debris(tmp_path)


def test_two_runs_finishing_together_keep_the_old_content_and_say_where(tmp_path, monkeypatch):
    """Run A sets the old folder aside; run B places its result before A's own rename: A's rename and its rollback
    both fail. A says so and names where the old content is; nothing is deleted."""
    out = tmp_path / "out"
    with fsutil.staged_dir(out) as stage:  # an earlier result (marked; a user's file would be refused at the start)
        (stage / "old.txt").write_text("old")
    real_replace = os.replace

    def racing(src, dst):
        real_replace(src, dst)
        if str(src) == str(out):  # right after A set the old folder aside, B's result lands at out
            os.mkdir(out)
            (out / "b.txt").write_text("B")

    monkeypatch.setattr(fsutil.os, "replace", racing)
    with pytest.raises(UserError, match="another run placed its result there") as exc:
        with fsutil.staged_dir(out) as stage:
            (stage / "a.txt").write_text("A")
    monkeypatch.undo()
    assert [p.name for p in out.iterdir()] == ["b.txt"]
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(".out.old-")]
    assert len(aside) == 1 and (aside[0] / "old.txt").read_text() == "old" and str(aside[0]) in str(exc.value)

"""Review 26 (b): a write through ``LINK/..`` lands where the OS resolves it, and train makes only what it records.

- HIGH: ``tempfile.mkstemp`` (and, from Python 3.12 on, ``mkdtemp``)
  normalise their ``dir`` as text, so ``lnk/../x`` (``lnk`` a link to
  ``t/tgt``) was taken as ``./x`` instead of ``t/x``, the folder the OS
  reaches: ``write_text("lnk/../x/f.txt")`` failed with "No such file or
  directory", and with a ``./x`` there the temporary file was made in the
  wrong folder and renamed across (impossible across file systems). The
  same in ``atomic_files`` (eval), ``staged_dirs`` (every folder output) and
  ``move_aside`` (``train --overwrite``). Now each is made in, and renamed
  onto, the real place (``fsutil.real_place``), every message naming the
  path as typed, and a link given as the output itself is still refused;
- MEDIUM: ``train.prepare_run`` predicted the folders to make
  (``missing_folders``) before making them: a folder another process made
  meanwhile was removed when the run failed, and the run folder reached
  through ``nothere/../pre/run`` was left behind. It now records what
  ``os.mkdir`` made (``fsutil.make_folders``).

Python 3.12's ``mkdtemp`` (it returns ``os.path.abspath`` of what it made) is
reproduced on older Pythons by the ``mkdtemp_312`` fixture.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest

from saliency.base.errors import UserError
from cli_fakes import Boom, tree_paths as _tree


@pytest.fixture
def linked(tmp_path, monkeypatch) -> Path:
    """``t/tgt/``, ``t/x/`` and ``lnk -> t/tgt`` in the current folder: ``lnk/../x`` is ``t/x``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t" / "tgt").mkdir(parents=True)
    (tmp_path / "t" / "x").mkdir()
    (tmp_path / "lnk").symlink_to("t/tgt")
    return tmp_path


@pytest.fixture
def mkdtemp_312(monkeypatch):
    """``tempfile.mkdtemp`` as Python 3.12 and later have it: the path returned is made absolute as text."""
    made = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: os.path.abspath(made(*a, **k)))


BASE = ["lnk", "t", "t/tgt", "t/x"]


@pytest.mark.parametrize("decoy", [False, True], ids=["plain", "with ./x"])
def test_write_text_through_dotdot_after_a_link_lands_in_the_links_target_parent(linked, decoy, monkeypatch):
    """``lnk/../x/f.txt`` is ``t/x/f.txt``, renamed there from beside it; a ``./x`` of the same name is never used;
    a link given as the output itself is refused and neither it nor its target changes."""
    from saliency.base.fsutil import write_text

    if decoy:
        (linked / "x").mkdir()
    renames = []
    rename = os.replace

    def spy(src, dst, *a, **k):
        renames.append((os.path.realpath(src), os.path.realpath(dst)))
        return rename(src, dst, *a, **k)

    with monkeypatch.context() as m:
        m.setattr(os, "replace", spy)
        write_text("lnk/../x/f.txt", "hello")
    real = os.path.realpath(linked / "t" / "x")
    assert [(os.path.dirname(src), dst) for src, dst in renames] == [(real, os.path.join(real, "f.txt"))]
    assert (linked / "t" / "x" / "f.txt").read_text() == "hello"
    assert Path("lnk/../x/f.txt").read_text() == "hello"
    assert _tree(linked) == sorted(BASE + ["t/x/f.txt"] + (["x"] if decoy else []))
    (linked / "t" / "x" / "ln").symlink_to("f.txt")
    with pytest.raises(UserError, match=r"^lnk/\.\./x/ln: is a symbolic link \(to f\.txt\)"):
        write_text("lnk/../x/ln", "other")
    assert (linked / "t" / "x" / "ln").is_symlink() and (linked / "t" / "x" / "f.txt").read_text() == "hello"


@pytest.mark.parametrize("decoy", [False, True], ids=["plain", "with ./x"])
def test_atomic_path_makes_its_temporary_file_where_the_target_really_is(linked, decoy):
    """The temporary file is beside ``t/x/f.txt`` (one rename within a folder), never in ``./x``."""
    from saliency.base.fsutil import atomic_path

    if decoy:
        (linked / "x").mkdir()
    with atomic_path("lnk/../x/f.txt") as tmp:
        assert Path(os.path.realpath(tmp)).parent == Path(os.path.realpath(linked / "t" / "x"))
        tmp.write_text("new")
    assert (linked / "t" / "x" / "f.txt").read_text() == "new"
    assert _tree(linked) == sorted(BASE + ["t/x/f.txt"] + (["x"] if decoy else []))


@pytest.mark.parametrize("decoy", [False, True], ids=["plain", "with ./x"])
def test_a_failed_write_through_dotdot_after_a_link_removes_only_what_it_made(linked, decoy):
    """``lnk/../x/new/f.txt``: ``t/x/new/`` is made for it and removed again; ``./x`` and ``t/x`` stay as they were."""
    from saliency.base.fsutil import atomic_path

    if decoy:
        (linked / "x").mkdir()
    with pytest.raises(Boom):
        with atomic_path("lnk/../x/new/f.txt") as tmp:
            assert Path(os.path.realpath(tmp)).parent == Path(os.path.realpath(linked / "t" / "x" / "new"))
            tmp.write_text("half")
            raise Boom
    assert _tree(linked) == sorted(BASE + (["x"] if decoy else []))


def test_a_failed_rename_names_the_target_as_typed(linked, monkeypatch):
    """The rename onto the resolved target fails: the error names ``lnk/../x/f.txt``, no hidden or resolved name."""
    from saliency.base.fsutil import write_text

    def refused(src, dst, *a, **k):
        raise OSError(errno.EACCES, "Permission denied", os.fspath(src), None, os.fspath(dst))

    with monkeypatch.context() as m, pytest.raises(PermissionError) as info:
        m.setattr(os, "replace", refused)
        write_text("lnk/../x/f.txt", "hello")
    assert str(info.value) == "[Errno 13] Permission denied: 'lnk/../x/f.txt'"
    assert _tree(linked) == BASE


@pytest.mark.parametrize("decoy", [False, True], ids=["plain", "with ./x"])
def test_atomic_files_write_through_dotdot_after_a_link(linked, decoy):
    """eval's files: each temporary file beside its real target, all renamed into ``t/x``; nothing in ``./x``."""
    from saliency.base.fsutil import atomic_files

    if decoy:
        (linked / "x").mkdir()
    real = Path(os.path.realpath(linked / "t" / "x"))
    with atomic_files() as path:
        for name, where in (("lnk/../x/e.json", real), ("lnk/../x/plots/pr.png", real / "plots")):
            tmp = path(name)
            assert Path(os.path.realpath(tmp)).parent == where
            tmp.write_text(name)
    assert (linked / "t" / "x" / "e.json").read_text() == "lnk/../x/e.json"
    assert (linked / "t" / "x" / "plots" / "pr.png").read_text() == "lnk/../x/plots/pr.png"
    assert _tree(linked) == sorted(BASE + ["t/x/e.json", "t/x/plots", "t/x/plots/pr.png"] + (["x"] if decoy else []))


@pytest.mark.parametrize("decoy", [False, True], ids=["plain", "with ./x"])
def test_staged_dir_through_dotdot_after_a_link_builds_and_swaps_in_the_real_place(linked, decoy, mkdtemp_312):
    """A new folder output, then its replacement (the old one set aside at the swap): both in ``t/x/out``, the
    stage and the old copy beside it, nothing left in ``./x`` or ``t/x``."""
    from saliency.base.fsutil import OUTPUT_MARK, staged_dir

    if decoy:
        (linked / "x").mkdir()
    for text in ("old", "new"):
        with staged_dir("lnk/../x/out") as stage:
            assert Path(os.path.realpath(stage)).parent == Path(os.path.realpath(linked / "t" / "x"))
            (stage / "a.txt").write_text(text)
    assert (linked / "t" / "x" / "out" / "a.txt").read_text() == "new"
    assert _tree(linked) == sorted(BASE + ["t/x/out", "t/x/out/a.txt", f"t/x/out/{OUTPUT_MARK}"]
                                   + (["x"] if decoy else []))


@pytest.mark.parametrize("decoy", [False, True], ids=["plain", "with ./x"])
def test_move_aside_through_dotdot_after_a_link_keeps_the_run_beside_itself(linked, decoy, mkdtemp_312):
    """``train --overwrite`` of ``lnk/../x/run``: the old run is set aside in ``t/x`` (never renamed into ``./x``),
    named beside the path as typed, and put back or deleted there."""
    from saliency.base.fsutil import discard_aside, move_aside, restore_aside

    if decoy:
        (linked / "x").mkdir()
    run = linked / "t" / "x" / "run"
    run.mkdir()
    (run / "metrics.csv").write_text("epoch\n")
    aside = move_aside("lnk/../x/run")
    assert aside.parent == Path("lnk/../x") and aside.name.startswith(".run.old-")
    assert Path(os.path.realpath(aside)).parent == Path(os.path.realpath(linked / "t" / "x"))
    assert (aside / "metrics.csv").read_text() == "epoch\n" and run.is_dir() and not any(run.iterdir())
    (run / "half.txt").write_text("new run, failed")
    restore_aside("lnk/../x/run", aside)
    assert _tree(linked) == sorted(BASE + ["t/x/run", "t/x/run/metrics.csv"] + (["x"] if decoy else []))
    aside = move_aside("lnk/../x/run")
    (run / "metrics.csv").write_text("epoch\n1\n")
    discard_aside(aside)
    assert _tree(linked) == sorted(BASE + ["t/x/run", "t/x/run/metrics.csv"] + (["x"] if decoy else []))
    assert (run / "metrics.csv").read_text() == "epoch\n1\n"


def _fail_after_prepare(out: str) -> None:
    """``saliency train`` failing between ``prepare_run`` and training: the lock released, the run undone."""
    from saliency.train import prepare_run, release_run, restore_replaced

    prepare_run({}, out=out)
    release_run(out)
    restore_replaced(out)


def test_prepare_run_keeps_a_folder_another_process_made_meanwhile(tmp_path, monkeypatch):
    """``a/`` appears (another process) between the start of prepare_run and its folders being made: a failed run
    removes ``a/run``, which it made, and keeps ``a/``."""
    from saliency.base import fsutil

    monkeypatch.chdir(tmp_path)
    checked = fsutil.check_out_dir

    def meanwhile(out, *a, **k):
        (tmp_path / "a").mkdir()
        return checked(out, *a, **k)

    monkeypatch.setattr(fsutil, "check_out_dir", meanwhile)
    _fail_after_prepare("a/run")
    assert _tree(tmp_path) == ["a"]


def test_prepare_run_removes_the_run_folder_it_made_through_dotdot(tmp_path, monkeypatch):
    """``nothere/../pre/run`` with an empty ``pre/``: a failed run removes ``nothere/`` and ``pre/run``, keeps
    ``pre/``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pre").mkdir()
    _fail_after_prepare("nothere/../pre/run")
    assert _tree(tmp_path) == ["pre"]

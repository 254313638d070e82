"""Review 26: a failed write removes only the folders it made, never one that was there.

- HIGH: the folders above an output were listed before they were made, by
  the path as typed (``fsutil.missing_folders``); ``nothere/../pre`` does not
  resolve while ``nothere`` is missing, so the user's existing ``pre/`` was
  listed as "to be made" and a failed run removed it when empty. The same
  in ``staged_dirs`` (synth, ingest, detect, predict, crop, demo),
  ``atomic_path`` (``write_text``, report files, validate, export),
  ``atomic_files`` (eval) and ``report.write_report``. Now the folders are made
  one level at a time and exactly those ``os.mkdir`` made are removed
  (``fsutil.make_folders``): not one reached through ``..`` or a symbolic
  link (nor the link's target), not one another process made meanwhile;
- LOW: an output below a symbolic link to a missing target said
  ``dl: already exists``; it now says the link leads nowhere and what to do.

The failures are forced in-process (an exception in the writer's block, a
refused ``mkstemp``) and once through a file-size limit in a child process.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from saliency.cli import main
from cli_fakes import Boom, tree_paths as _tree

SYNTH = ["--scenes", "2", "--subjects", "1", "--size", "32x32", "--quiet", "--workers", "1"]


def _fail_atomic_path(out: str) -> None:
    from saliency.base.fsutil import atomic_path

    with atomic_path(f"{out}/notes.txt") as tmp:
        tmp.write_text("half")
        raise Boom


def _fail_write_text(out: str, monkeypatch) -> None:
    from saliency.base import fsutil

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    fsutil.write_text(f"{out}/notes.txt", "hello")


def _fail_atomic_files(out: str) -> None:
    from saliency.base.fsutil import atomic_files

    with atomic_files() as path:
        path(f"{out}/e.json").write_text("{}")
        path(f"{out}/plots/pr.png").write_bytes(b"png")
        raise Boom


def _fail_staged_dir(out: str) -> None:
    from saliency.base.fsutil import staged_dir

    with staged_dir(f"{out}/study") as stage:
        (stage / "stimuli").mkdir()
        raise Boom


def _fail_staged_dirs(out: str) -> None:
    from saliency.base.fsutil import staged_dirs

    with staged_dirs([(f"{out}/pred", "out"), (f"{out}/logd", "log_density")]) as stages:
        for stage in stages:
            (stage / "x.png").write_bytes(b"x")
        raise Boom


def _fail_write_report(out: str, monkeypatch) -> None:
    from saliency import report

    def build(stage, inputs, warnings=None):  # report.build takes the warnings list too (067f341)
        (Path(stage) / "report.md").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "build", build)
    report.write_report(out, report.ReportInputs())


FAILS = {"atomic_path": _fail_atomic_path, "write_text": _fail_write_text, "atomic_files": _fail_atomic_files,
         "staged_dir": _fail_staged_dir, "staged_dirs": _fail_staged_dirs, "write_report": _fail_write_report}


def _run_failing(name: str, out: str, monkeypatch) -> None:
    fail = FAILS[name]
    with pytest.raises((Boom, OSError)):
        if name in ("write_text", "write_report"):
            fail(out, monkeypatch)
        else:
            fail(out)


@pytest.mark.parametrize("name", sorted(FAILS))
def test_a_folder_reached_through_dotdot_survives_and_the_made_ones_go(name, tmp_path, monkeypatch):
    """``nothere/../pre/...``: ``pre/`` was there (empty) and stays; ``nothere/`` and what was made in ``pre/``
    are removed again."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pre").mkdir()
    _run_failing(name, "nothere/../pre/new", monkeypatch)
    assert _tree(tmp_path) == ["pre"]


@pytest.mark.parametrize("name", sorted(FAILS))
def test_a_linked_parent_and_its_target_survive(name, tmp_path, monkeypatch):
    """A symbolic link on the output's path is followed, never removed, and neither is its (empty) target, even
    when the path comes back to the target through ``..``; the folders made through the link are removed."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t" / "tgt").mkdir(parents=True)
    os.symlink("t/tgt", "lnk")
    _run_failing(name, "lnk/new", monkeypatch)  # made inside the target, then removed
    assert _tree(tmp_path) == ["lnk", "t", "t/tgt"]
    _run_failing(name, "lnk/nothere/../../tgt/new", monkeypatch)  # lnk/nothere/../.. is t/: t/tgt was there
    assert _tree(tmp_path) == ["lnk", "t", "t/tgt"]
    _run_failing(name, "nothere/../lnk/../tgt/new", monkeypatch)  # lnk/.. is t/ too: t/tgt is the link's target
    assert _tree(tmp_path) == ["lnk", "t", "t/tgt"]
    assert os.readlink("lnk") == "t/tgt"


def test_a_folder_another_process_made_meanwhile_is_not_removed(tmp_path, monkeypatch):
    """``a/b`` missing when the run looked, made by another process just before this one's ``mkdir``
    (FileExistsError): not this run's, so it stays (and so does ``a/`` above it); ``a/b/c`` goes."""
    real = os.mkdir

    def mkdir(path, mode=0o777, *, dir_fd=None):
        if Path(path) == Path("a/b"):
            real(path, mode)  # the other process wins the race
            raise FileExistsError(errno.EEXIST, "File exists", os.fspath(path))
        return real(path, mode, dir_fd=dir_fd)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "mkdir", mkdir)
    _run_failing("atomic_path", "a/b/c", monkeypatch)
    assert _tree(tmp_path) == ["a", "a/b"]


# ------------------------------------------------------------------ the command line


def test_synth_through_dotdot_keeps_the_folder_under_a_file_size_limit(tmp_path):
    """The reviewer's run, in a child process: ``(ulimit -f 20; saliency synth --out nothere/../pre/study)``."""
    import resource

    (tmp_path / "pre").mkdir()

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20 * 1024, 20 * 1024))

    proc = subprocess.run([sys.executable, "-m", "saliency", "synth", "--out", "nothere/../pre/study", "--scenes",
                           "3", "--subjects", "2", "--size", "256x192", "--quiet", "--workers", "1"],
                          cwd=tmp_path, preexec_fn=limit, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("saliency synth: error: nothere/../pre/study/"), err
    assert err[0].endswith("the file size limit was reached (ulimit -f, or the file system's); raise it or "
                           "write elsewhere"), err
    assert _tree(tmp_path) == ["pre"]


def test_eval_json_through_dotdot_keeps_the_folder(tmp_path, monkeypatch, capsys):
    """``eval --json nothere/../pre/sub/e.json`` whose file cannot be made: ``pre/`` stays, ``nothere/`` and
    ``pre/sub/`` go (``atomic_files``)."""
    import cv2
    import numpy as np

    masks = tmp_path / "masks"
    masks.mkdir()
    for i in range(2):
        m = np.zeros((8, 8), np.uint8)
        m[i:i + 4, 2:6] = 255
        cv2.imwrite(str(masks / f"m{i}.png"), m)
    (tmp_path / "pre").mkdir()

    def mkstemp(suffix=None, prefix=None, dir=None, text=False):
        raise PermissionError(errno.EACCES, "Permission denied", os.path.join(str(dir), f"{prefix}abc123{suffix}"))

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--task", "sod", "--pred", "masks", "--gt", "masks", "--json", "nothere/../pre/sub/e.json",
                 "--quiet"]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("saliency eval: error: nothere/../pre/sub/e.json: ")
    assert _tree(tmp_path) == ["masks", "masks/m0.png", "masks/m1.png", "pre"]


def test_report_through_dotdot_keeps_the_folder(tmp_path, monkeypatch, capsys):
    """``report --out nothere/../pre`` that fails while building: ``pre/`` (there, empty) stays."""
    from saliency import report

    def build(stage, inputs, warnings=None):  # report.build takes the warnings list too (067f341)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "build", build)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pre").mkdir()
    assert main(["report", "--out", "nothere/../pre"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert _tree(tmp_path) == ["pre"]


@pytest.mark.parametrize("command", [["synth", "--out", "dl/study", *SYNTH], ["report", "--out", "dl/rep"],
                                     ["synth", "--out", "dl/deeper/study", *SYNTH]])
def test_an_output_below_a_link_to_nothing_is_named(command, tmp_path, monkeypatch, capsys):
    """``ln -s missingtarget dl``: the link leads nowhere; one line says so and what to do, the link stays as it
    is and nothing is made (was ``dl: already exists``)."""
    monkeypatch.chdir(tmp_path)
    os.symlink("missingtarget", "dl")
    assert main(command) == 2
    out = command[2]
    assert capsys.readouterr().err.splitlines() == [
        f"saliency {command[0]}: error: --out {out}: dl is a symbolic link to a missing target (missingtarget); "
        "create missingtarget or give another --out (links are never replaced)"]
    assert _tree(tmp_path) == ["dl"] and os.readlink("dl") == "missingtarget"


def test_a_file_below_a_link_to_nothing_is_named(tmp_path, monkeypatch):
    """The file writers say the same (``atomic_path``, ``atomic_files``), naming the path when no option is known."""
    from saliency.base.errors import UserError
    from saliency.base.fsutil import atomic_files, check_out_file, write_text

    monkeypatch.chdir(tmp_path)
    os.symlink("missingtarget", "dl")
    line = ("dl/sub/e.json: dl is a symbolic link to a missing target (missingtarget); create missingtarget or "
            "give another path (links are never replaced)")
    with pytest.raises(UserError) as info:
        write_text("dl/sub/e.json", "{}")
    assert str(info.value) == line
    with pytest.raises(UserError) as info:
        with atomic_files() as path:
            path("dl/sub/e.json")
    assert str(info.value) == line
    with pytest.raises(UserError) as info:
        check_out_file("dl/sub/e.json", "json")
    assert info.value.render(lambda p: "--" + p).startswith("--json dl/sub/e.json: dl is a symbolic link")
    assert _tree(tmp_path) == ["dl"]

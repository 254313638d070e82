"""Review 25: what a failed or half-failed write says, and what it leaves.

- ``--overwrite`` whose old output cannot be deleted (a read-only sub-folder)
  kept a hidden ``.NAME.old-*`` copy with no word (exit 0): the new output is
  complete, so the exit stays 0, and one warning line names the output, the
  copy left and why (``fsutil.remove_old_copy``);
- an error named the hidden temporary or staging path instead of the output
  asked for: a temporary file or staging folder that cannot be made (a
  read-only folder), the destination of a copy (``filename2``), a write that
  names no file (``images.write_image``), a relative target compared with the
  absolute ``mkstemp`` path (``export --onnx o.onnx``, whose file is written
  by two nested ``atomic_path``);
- a failed folder or file output left the empty parent folders it made.

The errors are injected (root ignores permissions); the expected lines are
written out by hand from the command line's wording (``cli._USER_ERRNOS``).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from saliency.cli import main

DENIED = "permission denied; check its permissions or choose another path"
FULL = "no space left on the disk; free some space or write elsewhere"
TOO_LARGE = "the file size limit was reached (ulimit -f, or the file system's); raise it or write elsewhere"
SYNTH = ["--scenes", "2", "--subjects", "1", "--size", "32x32", "--quiet", "--workers", "1"]


def _tree(root: Path) -> list[str]:
    """Every path under ``root``, relative, sorted (hidden ones included)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _refuse_unlink(monkeypatch, name: str) -> None:
    """``os.unlink`` of a file called ``name`` fails as in a read-only folder (root would delete it)."""
    real = os.unlink

    def unlink(path, *, dir_fd=None):
        if os.path.basename(os.fsdecode(path)) == name:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real(path, dir_fd=dir_fd)

    monkeypatch.setattr(os, "unlink", unlink)


def _refuse_mkstemp(monkeypatch) -> None:
    """``tempfile.mkstemp`` fails as in a read-only folder, naming the hidden name it tried."""
    def mkstemp(suffix=None, prefix=None, dir=None, text=False):
        raise PermissionError(errno.EACCES, "Permission denied", os.path.join(str(dir), f"{prefix}abc123{suffix}"))

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def _sod_masks(root: Path) -> Path:
    """A folder of two 8x8 0/255 masks."""
    import cv2
    import numpy as np

    d = root / "masks"
    d.mkdir()
    for i in range(2):
        m = np.zeros((8, 8), np.uint8)
        m[i:i + 4, 2:6] = 255
        cv2.imwrite(str(d / f"m{i}.png"), m)
    return d


# ------------------------------------------------------------------ 3: an old copy that cannot be deleted


def test_overwrite_names_the_old_copy_it_cannot_delete(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "--out", "o", *SYNTH]) == 0
    _refuse_unlink(monkeypatch, "screen.json")
    capsys.readouterr()
    assert main(["synth", "--out", "o", *SYNTH, "--overwrite", "--seed", "3"]) == 0  # the new output is complete
    old = [p.name for p in tmp_path.iterdir() if p.name.startswith(".o.old-")]
    assert len(old) == 1 and _tree(tmp_path / old[0]) == ["screen.json"]  # the rest went
    assert capsys.readouterr().err.splitlines() == [
        f"saliency: warning: o: the new output is in place, but the old one, set aside in {old[0]}, could not be "
        f"deleted (permission denied: {old[0]}/screen.json); check its permissions and delete {old[0]} by hand"]
    assert (tmp_path / "o" / "screen.json").is_file() and json_seed(tmp_path / "o") == 3


def json_seed(folder: Path) -> int:
    """The seed recorded in a synth output's study.json."""
    import json

    return json.loads((folder / "study.json").read_text())["seed"]


def test_discarding_a_run_set_aside_names_what_stays(tmp_path, monkeypatch, capsys):
    from saliency.base.fsutil import discard_aside, move_aside

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "best.pt").write_bytes(b"old weights")
    (run / "metrics.csv").write_text("epoch\n")
    aside = move_aside(run)
    _refuse_unlink(monkeypatch, "best.pt")
    discard_aside(aside)
    assert _tree(aside) == ["checkpoints", "checkpoints/best.pt"]  # the rest went
    assert capsys.readouterr().err.splitlines() == [
        f"saliency: warning: {run}: the new output is in place, but the old one, set aside in {aside}, could not "
        f"be deleted (permission denied: {aside}/checkpoints/best.pt); check its permissions and delete {aside} "
        "by hand"]
    monkeypatch.undo()
    discard_aside(aside)  # deletable now: silent
    assert not aside.exists() and capsys.readouterr().err == ""


# ------------------------------------------------------------------ 4 and 5: errors name the output; no folders left


def test_eval_json_in_a_read_only_folder_names_the_file(tmp_path, monkeypatch, capsys):
    masks = _sod_masks(tmp_path)
    _refuse_mkstemp(monkeypatch)
    target = tmp_path / "new" / "sub" / "e.json"
    assert main(["eval", "--task", "sod", "--pred", str(masks), "--gt", str(masks), "--json", str(target),
                 "--quiet"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"saliency eval: error: {target}: {DENIED}"
    assert _tree(tmp_path) == ["masks", "masks/m0.png", "masks/m1.png"]  # new/ and new/sub/ made, then removed


def test_synth_into_a_read_only_folder_names_the_output(tmp_path, monkeypatch, capsys):
    real = tempfile.mkdtemp

    def mkdtemp(suffix=None, prefix=None, dir=None):
        if suffix == ".partial":
            raise PermissionError(errno.EACCES, "Permission denied", os.path.join(str(dir), f"{prefix}x1y2{suffix}"))
        return real(suffix, prefix, dir)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "--out", "a/b/o", *SYNTH]) == 2
    assert capsys.readouterr().err.splitlines() == [f"saliency synth: error: a/b/o: {DENIED}"]
    assert _tree(tmp_path) == []  # a/ and a/b/ made, then removed


def test_a_write_that_names_no_file_names_the_image(tmp_path, monkeypatch, capsys):
    import builtins

    from saliency.base import images

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):  # as a full disk does: errno and text, no file name
            raise OSError(errno.ENOSPC, "No space left on device")

    def fake_open(path, mode="r", *a, **kw):
        f = builtins.open(path, mode, *a, **kw)
        return Full(f) if "w" in mode else f

    monkeypatch.setattr(images, "open", fake_open, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "--out", "a/b/o", *SYNTH]) == 2
    assert capsys.readouterr().err.splitlines() == [f"saliency synth: error: a/b/o/stimuli/s0001.png: {FULL}"]
    assert _tree(tmp_path) == []


def test_a_copy_onto_a_full_disk_names_the_destination(tmp_path):
    """``shutil.copy2`` on a full disk names the source first and the (hidden) destination second."""
    from saliency.base.fsutil import staged_dir
    from saliency.cli import _os_error

    src = tmp_path / "in.png"
    src.write_bytes(b"x")
    out = tmp_path / "a" / "b" / "ds"
    with pytest.raises(OSError) as info:
        with staged_dir(out) as stage:
            (stage / "stimuli").mkdir()
            raise OSError(errno.ENOSPC, "No space left on device", str(src), None, str(stage / "stimuli" / "s1.png"))
    assert _os_error(info.value) == (2, f"{out}/stimuli/s1.png: {FULL}")
    assert _tree(tmp_path) == ["in.png"]


def test_a_relative_target_written_by_nested_writers_is_named(tmp_path, monkeypatch):
    """``export --onnx o.onnx``: the file is written inside two ``atomic_path`` (export_checkpoint's, export_onnx's);
    mkstemp gives absolute paths, the target is relative."""
    from saliency.base.fsutil import atomic_path
    from saliency.cli import _os_error

    monkeypatch.chdir(tmp_path)
    with pytest.raises(OSError) as info:
        with atomic_path("o.onnx") as outer:
            with atomic_path(outer) as inner:
                raise OSError(errno.EFBIG, "File too large", str(inner))
    assert _os_error(info.value) == (2, f"o.onnx: {TOO_LARGE}")
    with pytest.raises(OSError) as info:
        with atomic_path(Path("d") / "e" / "o.onnx") as tmp:
            raise OSError(errno.EFBIG, "File too large", f"{tmp}.data")  # a writer's own file beside it
    assert _os_error(info.value) == (2, f"d/e/o.onnx: {TOO_LARGE}")
    assert _tree(tmp_path) == []  # no temporary file, and d/ and d/e/ removed


def test_a_file_that_cannot_be_made_names_it_and_leaves_no_folder(tmp_path, monkeypatch):
    from saliency.base.fsutil import write_text
    from saliency.cli import _os_error

    _refuse_mkstemp(monkeypatch)
    target = tmp_path / "x" / "y" / "notes.txt"
    with pytest.raises(OSError) as info:
        write_text(target, "hello")
    assert _os_error(info.value) == (2, f"{target}: {DENIED}")
    assert _tree(tmp_path) == []


def test_the_old_output_stays_whole_when_the_new_one_fails(tmp_path, monkeypatch, capsys):
    """Unchanged: an --overwrite that fails keeps the old output and prints no warning."""
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "--out", "o", *SYNTH]) == 0
    before = {p: (tmp_path / "o" / p).read_bytes() for p in _tree(tmp_path / "o") if (tmp_path / "o" / p).is_file()}
    _refuse_mkstemp(monkeypatch)
    capsys.readouterr()
    assert main(["synth", "--out", "o", *SYNTH, "--overwrite", "--seed", "3"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"saliency synth: error: o/.saliency-output.json: {DENIED}"]
    assert {p: (tmp_path / "o" / p).read_bytes() for p in before} == before
    assert sorted(os.listdir(tmp_path)) == ["o"]
    shutil.rmtree(tmp_path / "o")


def test_report_into_a_folder_where_nothing_can_be_made_names_the_folder(tmp_path, monkeypatch, capsys):
    import errno as _errno
    import tempfile as _tempfile

    from saliency.cli import main as _main

    def denied(*a, **k):
        raise PermissionError(_errno.EACCES, "Permission denied", str(tmp_path / "ro" / ".report.abcd1234.partial"))

    out = tmp_path / "ro"
    out.mkdir()
    monkeypatch.setattr(_tempfile, "mkdtemp", denied)
    assert _main(["report", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"saliency report: error: {out}: permission denied"), err
    assert list(out.iterdir()) == []


def test_report_whose_old_entry_cannot_be_moved_names_the_entry(tmp_path, monkeypatch, capsys):
    import errno as _errno
    import os as _os

    from saliency.cli import main as _main

    out = tmp_path / "rep"
    assert _main(["report", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    real = _os.replace

    def refuse_old_md(src, dst, *a, **k):  # the old report.md cannot be set aside (an immutable file)
        if str(src) == str(out / "report.md"):
            raise PermissionError(_errno.EPERM, "Operation not permitted", str(src), None, str(dst))  # as the OS
        return real(src, dst, *a, **k)

    monkeypatch.setattr(_os, "replace", refuse_old_md)
    assert _main(["report", "--out", str(out), "--title", "Second"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"saliency report: error: {out / 'report.md'}: operation not "
                                               "permitted"), err
    monkeypatch.setattr(_os, "replace", real)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # the old report whole

"""Atomic writes (saliency.base.fsutil): the result replaces the target whole and is an ordinary file."""

from __future__ import annotations

import os
import stat

import pytest

from saliency.base.fsutil import staged_dir, write_text


def _umask() -> int:
    u = os.umask(0)
    os.umask(u)
    return u


def test_written_files_and_folders_follow_the_umask(tmp_path):
    """mkstemp/mkdtemp create private (0600/0700) paths; what we hand to the user follows the umask."""
    write_text(tmp_path / "a.txt", "x")
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~_umask()
    with staged_dir(tmp_path / "d") as stage:
        (stage / "f").write_text("y")
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o777 & ~_umask()
    assert not list(tmp_path.glob(".*"))


def test_failed_write_leaves_the_old_content(tmp_path):
    target = tmp_path / "keep.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with staged_dir(tmp_path / "d"):
            raise RuntimeError("interrupted")
    from saliency.base.fsutil import atomic_path

    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old" and not (tmp_path / "d").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_clear_dir_empties_without_following_links(tmp_path):
    from saliency.base.fsutil import clear_dir

    keep = tmp_path / "elsewhere"
    keep.mkdir()
    (keep / "data.txt").write_text("mine")
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "f").write_text("x")
    (d / "g").write_text("y")
    (d / "link").symlink_to(keep, target_is_directory=True)
    clear_dir(d)
    assert d.is_dir() and not list(d.iterdir())
    assert (keep / "data.txt").read_text() == "mine"

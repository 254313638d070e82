"""Atomic file and folder writes: nothing half-written is ever left behind.

Every writer in the toolkit writes to a temporary path beside the target and
renames it into place (``os.replace`` is atomic on POSIX within a file
system), so an interrupted run leaves either the old file or the new one.
Torch-free, so ``data_tools`` and ``eval`` use it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from saliency.base.errors import UserError


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary file path next to ``target``; rename it into place on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes it private; the result is an ordinary file
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(target: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``target`` atomically (UTF-8)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: str | os.PathLike, obj, indent: int = 2) -> None:
    """Write ``obj`` as JSON to ``target`` atomically, keys in insertion order."""
    write_text(target, json.dumps(obj, indent=indent) + "\n")


def check_out_dir(out: str | os.PathLike, overwrite: bool, param: str = "out") -> Path:
    """Refuse a non-empty output folder unless ``overwrite``; return it as a Path.

    ``param`` names the caller's parameter in the message (the command line shows it as ``--out``).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"`{param}` {out}: exists and is not a folder; choose another path")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UserError(f"`{param}` {out}: folder exists and is not empty; pass `overwrite` to replace it")
    return out


def clear_dir(folder: str | os.PathLike) -> None:
    """Remove everything inside ``folder`` (links are unlinked, never followed), keeping the folder."""
    for child in Path(folder).iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


@contextlib.contextmanager
def staged_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Build a folder in a temporary sibling and swap it in for ``out`` on success.

    The previous content of ``out`` (if any) is removed only after the new
    folder is complete; on an exception or Ctrl-C the staging folder is
    deleted and ``out`` is left exactly as it was.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes it private; the result is an ordinary folder
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(stage, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

"""Helpers of the command-line tests: run ``saliency`` in this process, check a refusal, fingerprint a folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from saliency.cli import main


def run_cli(capsys, argv) -> tuple:
    """``saliency ARGV`` in-process; (exit code, stdout, stderr)."""
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def refusal(rc, out, err) -> str:
    """Exit 2 with one stderr line, no traceback, nothing on stdout; the line."""
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and "Traceback" not in err and out == "", (rc, out, err)
    return lines[0]


def hashes(root: Path) -> dict:
    """sha256 of every file under ``root``, by relative path."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


class Boom(Exception):
    """The failure forced inside a writer's block."""


def tree_paths(root: Path) -> list[str]:
    """Every path under ``root``, relative, sorted (hidden ones included; links listed, not followed)."""
    out = []
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            out.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(out)

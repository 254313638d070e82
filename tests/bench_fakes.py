"""Helpers of the tests of ``benchmarks/`` scripts: run one in a fresh process, load one as a module, a refusal."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))  # benchmarks/scratch.py, as the scripts import it
MARK = ".saliency-benchmark-scratch"


def script(name: str, *args, cwd=None) -> subprocess.CompletedProcess:
    """``python benchmarks/NAME.py ARGS`` in a fresh process."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", CUDA_VISIBLE_DEVICES="")
    return subprocess.run([sys.executable, str(BENCH / f"{name}.py"), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def load(name: str, prefix: str = "bench_test"):
    """``benchmarks/NAME.py`` as a module (its ``main`` called in this process)."""
    spec = importlib.util.spec_from_file_location(f"{prefix}_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def refused(p: subprocess.CompletedProcess, line: str) -> None:
    """Exit status 2 and exactly ``line`` on stderr (no traceback)."""
    assert (p.returncode, p.stderr) == (2, line + "\n"), (p.returncode, p.stderr[-2000:])


def tree(root: Path) -> dict:
    """Every file under ``root``: relative path -> bytes (to compare a folder before and after)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

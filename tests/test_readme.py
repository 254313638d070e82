"""The README's Python API snippet runs as written, in the repository's environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from readme_blocks import readme_python_block

ROOT = Path(__file__).resolve().parents[1]


def test_python_api_snippet_runs(tmp_path):
    code = readme_python_block(ROOT / "README.md", "## Python API")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip(), "the snippet prints its results"

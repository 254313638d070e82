"""Code blocks of the README, so that its examples run as tests (tests/test_readme.py, test_installed_names.py)."""

from __future__ import annotations

import re
from pathlib import Path


def readme_python_block(readme: Path, heading: str) -> str:
    """The first ```python block after the line ``heading`` in ``readme``."""
    text = Path(readme).read_text(encoding="utf-8")
    start = text.index("\n" + heading + "\n")
    m = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert m is not None, f"no python block under {heading!r}"
    return m.group(1)

"""The scratch folder (``--work``) of a benchmark: replaced only when a benchmark made it.

A benchmark builds studies, datasets and runs in ``--work`` and replaces it
on the next run. It never deletes what it did not make: a ``--work`` that
exists and holds anything without the mark file (a user's folder, a typo),
or that is, holds or lies inside one of the inputs (``--study``,
``--fix-data``, ``--data``), stops the script with one line, before
anything is touched.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

MARK = ".saliency-benchmark-scratch"
"""The file a benchmark writes in the scratch folder it made (what allows replacing it)."""


def fresh_work(work: str | Path, inputs: dict | None = None) -> Path:
    """An empty ``work`` folder: replaced when a benchmark made it (its :data:`MARK`), created when absent.

    ``inputs`` (``{option: path}``) are refused inside, as, or holding ``work``.
    Exits with status 2 and one line naming the option otherwise.
    """

    def refuse(msg: str):
        print(f"error: {msg}", file=sys.stderr)
        raise SystemExit(2)

    import os

    work = Path(work)
    w = Path(os.path.realpath(work))
    for opt, p in (inputs or {}).items():
        if not p:
            continue
        i = Path(os.path.realpath(p))
        if i == w or w in i.parents or i in w.parents:
            refuse(f"--work {work}: overlaps {opt} {p}; give a scratch folder apart from the inputs")
    if work.is_symlink():
        refuse(f"--work {work}: is a symbolic link; give a real folder path")
    if work.exists():
        if not work.is_dir():
            refuse(f"--work {work}: exists and is not a folder; give a new path")
        if any(work.iterdir()) and not (work / MARK).is_file():
            refuse(f"--work {work}: exists and is not a scratch folder a benchmark made (no {MARK}); give a "
                     "new path or empty it yourself")
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / MARK).write_text("made by a saliency benchmark; replaced by the next run\n")
    return work

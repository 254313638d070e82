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


SETTINGS = "benchmark-settings.json"
"""The file in a resumable ``--work`` folder that records the settings its cached steps were made with."""


def resumable_work(work: str | Path, settings: dict) -> Path:
    """A ``work`` folder that a benchmark resumes in: its cached steps are reused only under the same ``settings``.

    A new or empty ``work`` records ``settings`` (:data:`SETTINGS`); a folder
    that recorded others, or holds files but no record, stops the script with
    one line naming the settings that differ (a second run with another
    ``--limit-test`` printed the first run's table under the new header).
    """
    import json

    work = Path(work)
    rec = work / SETTINGS
    want = json.loads(json.dumps(settings))  # as they read back (tuples as lists)
    if rec.is_file():
        have = json.loads(rec.read_text(encoding="utf-8"))
        diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
        if diff:
            shown = ", ".join(f"{k} {have.get(k)!r} (now {want.get(k)!r})" for k in diff)
            print(f"error: --work {work}: its cached steps were made with {shown}; give a new --work, or the "
                  "same settings to resume", file=sys.stderr)
            raise SystemExit(2)
        return work
    if work.exists() and any(work.iterdir()):
        print(f"error: --work {work}: holds files but no {SETTINGS} (not made by this benchmark, or by an older "
              "version): give a new --work", file=sys.stderr)
        raise SystemExit(2)
    work.mkdir(parents=True, exist_ok=True)
    rec.write_text(json.dumps(want, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return work

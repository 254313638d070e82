"""``samples``: a generic table of raw gaze samples, columns found by name or mapped with ``columns``.

Needs ``x``, ``y`` and ``time`` (aliases in :data:`~data_tools.readers.base.ALIASES`,
unit from the header, e.g. ``time [s]`` or ``time_us``, else ``time_unit``,
else ms); ``subject``, ``stimulus``, ``trial`` and ``valid`` are optional
(``valid``: ``0``, ``false``, ``invalid`` or ``no``, in any case, mark an
invalid sample). Screen pixels, origin top-left.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from saliency.data_tools.readers.base import LogReader, Probe, ReadOptions
from saliency.data_tools.readers.chunks import GENERIC_KEYS, generic_reader

DETECT_RANK = 91  # generic column names: after every vendor signature, after ``fixations``
SUFFIXES: tuple[str, ...] = ()
#: the ``columns`` keys this reader honours (:func:`data_tools.ingest.check_columns_used` refuses the others)
COLUMN_KEYS = GENERIC_KEYS["samples"]


def sniff(probe: Probe) -> bool:
    """A table with x, y and a time column (and no fixation start or duration)."""
    cols = probe.generic_for(COLUMN_KEYS)
    return "x" in cols and "y" in cols and "time" in cols


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Raw samples of a generic table."""
    return generic_reader(path, "samples", opts.columns, opts.time_unit, fmt="samples", chunk_rows=opts.chunk_rows)


def example_file(path: Path, rng, n: int) -> int:
    """A small valid file of this format with ``n`` data rows, written last (row-accounting tests)."""
    t = 1000.0 + 2.0 * np.arange(n)
    rows = [f"p1,img{k % 3},{v:.1f},{rng.uniform(0, 1920):.2f},{rng.uniform(0, 1080):.2f},1" for k, v in enumerate(t)]
    path.write_text("subject,stimulus,time_ms,x,y,valid\n" + "\n".join(rows) + "\n")
    return n

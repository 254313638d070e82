"""``fixations``: a generic fixation list, columns found by name or mapped with ``columns``.

Needs ``x`` and ``y``; ``t_start_ms``, ``t_end_ms`` (duration = end - start
when no ``duration_ms``), ``duration_ms``, ``subject``, ``stimulus``,
``trial`` and ``eye`` are optional. Screen pixels, origin top-left.
"""

from __future__ import annotations

from pathlib import Path

from saliency.data_tools.readers.base import LogReader, Probe, ReadOptions
from saliency.data_tools.readers.chunks import GENERIC_KEYS, generic_reader

DETECT_RANK = 90  # generic column names: after every vendor signature, before ``samples``
SUFFIXES: tuple[str, ...] = ()
#: the ``columns`` keys this reader honours (:func:`data_tools.ingest.check_columns_used` refuses the others)
COLUMN_KEYS = GENERIC_KEYS["fixations"]


def sniff(probe: Probe) -> bool:
    """A table with x, y and a fixation start or duration column."""
    cols = probe.generic_for(COLUMN_KEYS)
    return "x" in cols and "y" in cols and ("duration_ms" in cols or "t_start_ms" in cols)


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Fixations of a generic table."""
    return generic_reader(path, "fixations", opts.columns, opts.time_unit, fmt="fixations",
                          chunk_rows=opts.chunk_rows)


def example_file(path: Path, rng, n: int) -> int:
    """A small valid file of this format with ``n`` data rows, written last (row-accounting tests)."""
    rows = [f"p{k % 2},img{k % 3},{rng.uniform(0, 1920):.2f},{rng.uniform(0, 1080):.2f},{300.0 * k:.1f},"
            f"{rng.uniform(80, 400):.1f}" for k in range(n)]
    path.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n" + "\n".join(rows) + "\n")
    return n

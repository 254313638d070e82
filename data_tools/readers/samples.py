"""``samples``: a generic table of raw gaze samples, columns found by name or mapped with ``columns``.

Needs ``x``, ``y`` and ``time`` (aliases in :data:`~data_tools.readers.base.ALIASES`,
unit from the header, e.g. ``time [s]`` or ``time_us``, else ``time_unit``,
else ms); ``subject``, ``stimulus``, ``trial`` and ``valid`` are optional.
Screen pixels, origin top-left.
"""

from __future__ import annotations

from pathlib import Path

from saliency.data_tools.readers.base import LogReader, Probe, ReadOptions
from saliency.data_tools.readers.chunks import generic_reader

DETECT_RANK = 91  # generic column names: after every vendor signature, after ``fixations``
SUFFIXES: tuple[str, ...] = ()


def sniff(probe: Probe) -> bool:
    """A table with x, y and a time column (and no fixation start or duration)."""
    cols = probe.generic
    return "x" in cols and "y" in cols and "time" in cols


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Raw samples of a generic table."""
    return generic_reader(path, "samples", opts.columns, opts.time_unit, fmt="samples", chunk_rows=opts.chunk_rows)

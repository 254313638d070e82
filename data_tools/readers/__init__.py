"""Readers for eye-tracker exports -> chunks of canonical samples or fixations.

Every reader yields :class:`Chunk` objects: a pandas frame in one of two
canonical shapes plus the rows it had to reject (quarantine), so that logs
larger than memory stream through in bounded memory (pandas ``chunksize``).

- samples: ``subject, stimulus, trial, time_ms, x, y, valid, line``
- fixations: ``subject, stimulus, trial, x, y, t_start_ms, duration_ms, eye, line``

``stimulus`` and ``trial`` are strings ("" when the file does not say);
``line`` is the 1-based line of the row in its file (JSON: the annotation
number). Coordinates are in the chunk's ``space``: ``screen`` (screen pixels,
origin top-left), ``stimulus`` (stimulus pixels) or ``screen_norm`` /
``stimulus_norm`` (0..1 of the screen / stimulus, origin top-left).

Formats (``format``; ``auto`` looks at the name and the header), field names
from ``../shared/REFERENCES.md`` section 3, one module each, listed in
:mod:`data_tools.readers.registry`: ``samples``, ``fixations`` (generic,
columns found by name or mapped with ``columns``), ``eyelink-report``,
``eyelink-asc``, ``tobii``, ``pupil``, ``salicon``. Shared pieces live in
:mod:`data_tools.readers.base` (shapes, column names, headers; no pandas) and
:mod:`data_tools.readers.chunks` (frames, quarantine rows, the generic table
reader).

This package is the import path for all of it. The frame builders are loaded
on first use, so ``from saliency.data_tools.readers import FORMATS,
parse_columns`` stays cheap (no numpy or pandas).
"""

from __future__ import annotations

from saliency.data_tools.readers.base import (ALIASES, CHUNK_ROWS, FIX_COLS, ID_MISSING, MISSING, QUAR_COLS,
                                              SAMPLE_COLS, UNIT_MS, Chunk, LogReader, Probe, ReadOptions, RowCount,
                                              account_rows, count_data_lines, default_subject, header_columns,
                                              parse_columns, read_header, resolve_columns, split_unit, unit_factor)
from saliency.data_tools.readers.registry import (FORMATS, REGISTRY, detect_format, detection_order,
                                                  format_module, open_log)

# names of data_tools.readers.chunks, imported on first use (it needs numpy and pandas)
_CHUNKS = ("csv_chunks", "empty_quarantine", "fixation_chunk", "generic_reader", "malformed_quarantine", "non_finite",
           "numeric", "quarantine_frame", "run_bounds", "sample_chunk", "text", "with_malformed")

__all__ = ["ALIASES", "CHUNK_ROWS", "FIX_COLS", "FORMATS", "ID_MISSING", "MISSING", "QUAR_COLS", "REGISTRY",
           "SAMPLE_COLS", "UNIT_MS", "Chunk", "LogReader", "Probe", "ReadOptions", "RowCount", "account_rows",
           "count_data_lines", "default_subject", "detect_format",
           "detection_order", "format_module", "header_columns", "open_log", "parse_columns", "read_header",
           "resolve_columns", "split_unit", "unit_factor", *_CHUNKS]


def __getattr__(name: str):
    """The frame builders of :mod:`data_tools.readers.chunks`, imported when first asked for."""
    if name in _CHUNKS:
        from saliency.data_tools.readers import chunks

        value = getattr(chunks, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_CHUNKS))

"""``fixations``: a generic fixation list, columns found by name or mapped with ``columns``.

Needs ``x`` and ``y``; ``t_start_ms``, ``t_end_ms`` (duration = end - start
when no ``duration_ms``), ``duration_ms``, ``subject``, ``stimulus``,
``trial`` and ``eye`` are optional. Screen pixels, origin top-left. Two
layouts are refused with their way out (:func:`refuse_samples`): a table of
raw samples (a samples time column, no start, end or duration), and a table
with a duration and a samples time column of numbers but no start or end
(the onset would go unread: ``columns`` ``t_start_ms=COLUMN`` reads it).
"""

from __future__ import annotations

import re
from pathlib import Path

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import (DECODE_ERRORS, LogReader, Probe, ReadOptions, header_columns,
                                              printable, read_header, resolve_columns, shown_name)
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
    """Fixations of a generic table (a table of raw samples given as one is refused: :func:`refuse_samples`)."""
    rd = generic_reader(path, "fixations", opts.columns, opts.time_unit, fmt="fixations",
                        chunk_rows=opts.chunk_rows)
    refuse_samples(path, opts.columns)
    return rd


def refuse_samples(path: Path, columns: dict) -> None:
    """Refuse, in one line, a table of raw samples given as ``format`` fixations: one without a fixation start,
    end or duration column (found or mapped) but with the ``samples`` layout's time column. A table with a
    duration and such a time column but no start or end is refused too (its time column, the onset most likely,
    would go unread), with the same way out: the time column mapped as each fixation's start.

    Read so, each sample was a fixation without start or duration, and the time (and ``valid``) column went
    unread without a word; auto-detection calls such a file ``samples``, as the ``pupil`` reader refuses a
    Pupil gaze export given as fixations. The way out names both readings: ``format`` samples, or the time
    column mapped as each fixation's start when it is that.
    """
    header, _ = header_columns(path)
    mine = {k: v for k, v in columns.items() if k in COLUMN_KEYS}
    timed = resolve_columns(header, mine, path)
    if {"t_start_ms", "t_end_ms"} & set(timed):
        return
    theirs = {k: v for k, v in columns.items() if k in GENERIC_KEYS["samples"]}
    try:
        found = resolve_columns(header, theirs, path)
    except UserError:  # a mapping for another input of the run: no verdict on this file
        return
    if "time" not in found:
        return
    t = found["time"][0]
    mapped = f"t_start_ms={printable(t)}"
    mapped = mapped if re.fullmatch(r"[\w.-]+", t) else f'"{mapped}"'
    if "duration_ms" in timed:
        # a duration and a samples-named time column, no start or end: the time column (the onset, most likely)
        # went unread, the fixations had no start and lost their order (``drop_first`` dropped another fixation).
        # A time column of clock times or dates (Inquisit's ``time``, 10:15) is no onset: read as before, unread
        if not _holds_numbers(path, header, t):
            return
        d = timed["duration_ms"][0]
        raise UserError(f"{path}: line 1 (the header): a fixation list with a duration column "
                        f"({printable(shown_name(d))}) but no start or end column: column {printable(shown_name(t))} "
                        f"would be left unread and the fixations would have no start (their order lost); if "
                        f"{printable(shown_name(t))} is each fixation's start, `columns` {mapped}")
    unread = [t] + ([found["valid"][0]] if "valid" in found else [])
    names = ", ".join(printable(shown_name(c)) for c in unread)
    raise UserError(f"{path}: line 1 (the header): a table of raw samples (the samples layout), not a fixation "
                    f"list: `format` fixations would read each row as a fixation without start or duration and "
                    f"leave column{'s' if len(unread) > 1 else ''} {names} unread; give `format` "
                    f"samples (or leave `format` out) to detect its fixations, or, if {printable(shown_name(t))} "
                    f"is each fixation's start, `columns` {mapped}")


def _holds_numbers(path: Path, header: list[str], column: str, rows: int = 20) -> bool:
    """Whether the filled cells of ``column`` in the first ``rows`` data rows are all numbers (a decimal comma
    allowed in a table not separated by commas), at least one of them: a time column that could be each
    fixation's onset, not a clock time or a date (``10:15``, ``2024-03-01T10:00:00``)."""
    import csv
    import math

    _, sep = read_header(path)
    at = header.index(column)
    seen = 0
    with open(path, "r", encoding="utf-8-sig", errors=DECODE_ERRORS, newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        next(reader, None)
        for k, row in enumerate(reader):
            if k >= rows:
                break
            cell = row[at].strip() if at < len(row) else ""
            if not cell:
                continue
            try:
                value = float(cell if sep == "," else cell.replace(",", "."))
            except ValueError:
                return False
            if not math.isfinite(value):
                return False
            seen += 1
    return seen > 0


def example_file(path: Path, rng, n: int) -> int:
    """A small valid file of this format with ``n`` data rows, written last (row-accounting tests)."""
    rows = [f"p{k % 2},img{k % 3},{rng.uniform(0, 1920):.2f},{rng.uniform(0, 1080):.2f},{300.0 * k:.1f},"
            f"{rng.uniform(80, 400):.1f}" for k in range(n)]
    path.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n" + "\n".join(rows) + "\n")
    return n

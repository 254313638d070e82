"""Pieces shared by the vendor text exports with a header block (BeGaze, Tobii Studio) and their neighbours.

- :func:`head_lines`: the first lines of a text file, numbered, for parsing
  a header block before the table starts;
- :func:`meta_value`: ``Key:<tab>value`` / ``Key: value`` header lines;
- :func:`sep_of`: the delimiter of a table's column line;
- :func:`require_columns`: the one-line error when a file read as a
  vendor's export lacks a column the reader needs (vendor, line, what is
  missing, what the line has);
- :func:`add_counted`, :func:`add_quarantine`, :func:`append_quarantine`: rows of the file that are
  read but not kept: set aside by design (saccade and blink events, messages:
  ``Chunk.counted``) or faulty (``Chunk.quarantine``), so that every data row
  of a file is accounted for (row accounting, :mod:`data_tools.readers.base`);
- :func:`fixation_runs`: Tobii's own fixations (Pro Lab, Studio 3.x), one
  per run of rows with the same participant, recording, media and index;
- :func:`image_in`: an image file name inside a message text (SMI Experiment
  Center writes the stimulus file name as a message when it is shown; a name
  with spaces is taken whole, and :func:`last_image_word` is what a
  stimulus folder falls back on when no file has that whole name).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.base.images import IMAGE_EXTS
from saliency.data_tools.readers.base import DECODE_ERRORS, Chunk, open_input, printable, split_header
from saliency.data_tools.readers.chunks import fixation_chunk, quarantine_frame

_IMAGE = re.compile(r"([^\s\\/:*?\"<>|]+\.(?:" + "|".join(e.lstrip(".") for e in IMAGE_EXTS) + r"))\b", re.I)


def head_lines(path: Path, limit: int = 5000) -> Iterator[tuple[int, str]]:
    """``(1-based line number, text without line end)`` of the first ``limit`` lines (BOM stripped)."""
    fh = open_input(path, "r", encoding="utf-8-sig", errors=DECODE_ERRORS, newline="")
    with fh:
        for k, line in enumerate(fh, start=1):
            if k > limit:
                return
            yield k, line.rstrip("\r\n")


def meta_value(line: str) -> tuple[str, str] | None:
    """``"## Subject:\\tP01"`` -> ``("subject", "P01")``; None for a line that is no ``Key: value`` pair."""
    s = line.lstrip("#").strip()
    if ":" not in s or s.startswith("["):
        return None
    key, value = s.split(":", 1)
    if not key.strip() or "\t" in key:
        return None
    # a header re-saved as a table: "Subject:,P08,," (the separators a spreadsheet adds), "Subject:;\"P08\""
    return key.strip().lower(), value.strip().strip(",;\t ").strip('"').strip()


def sep_of(line: str) -> str:
    """Delimiter of a column line: tab, else semicolon or comma (the more frequent)."""
    if "\t" in line:
        return "\t"
    return ";" if line.count(";") > line.count(",") else ","


def split_line(line: str, sep: str) -> list[str]:
    """The stripped fields of one column line, quotes removed by CSV rules (a table re-saved by a spreadsheet)."""
    return split_header(line, sep)


def require_columns(vendor: str, path: Path, line_no: int, have: list[str], need: dict[str, str]) -> None:
    """UserError naming the vendor, the column line and the missing columns (``need``: name -> what it is);
    the line's text is quoted with its control characters escaped (:func:`~data_tools.readers.base.printable`)."""
    low = {h.strip().lower() for h in have}
    miss = [f"{name!r} ({what})" for name, what in need.items() if name.lower() not in low]
    if miss:
        shown = printable(", ".join(h for h in have if h)[:300])
        raise UserError(f"{path}: read as a {vendor} export, but its column line {line_no} lacks "
                        f"{', '.join(miss)}; the line has: {shown}")


def add_counted(ch: Chunk, reasons) -> Chunk:
    """Add rows set aside by design to ``ch.counted`` (``reasons``: one reason per row)."""
    for r, n in Counter(str(r) for r in reasons).items():
        ch.counted[r] = ch.counted.get(r, 0) + n
    return ch


def add_quarantine(ch: Chunk, lines, reason, subject: str = "") -> Chunk:
    """Add quarantine rows for ``lines`` (``reason``: one string or one per row), line order kept."""
    lines = np.asarray(lines, dtype=np.int64)
    if len(lines):
        append_quarantine(ch, quarantine_frame(lines, reason, np.full(len(lines), subject, dtype=object)))
    return ch


def append_quarantine(ch: Chunk, q: pd.DataFrame) -> Chunk:
    """Add the quarantine rows ``q`` (a :func:`~data_tools.readers.chunks.quarantine_frame`) to ``ch``'s, in line
    order (rows of one line keep the order they were added in)."""
    if len(q):
        ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True).sort_values(
            "line", kind="stable").reset_index(drop=True)
    return ch


def fixation_runs(lines, subject, rec, stimulus, idx, fix, bad_t, out, why, eye: str, last_key):
    """Tobii's own fixations in one chunk of a Pro Lab or Studio 3.x export (``tracker_events``).

    A fixation is a run of rows ``fix`` (readable ``Fixation`` rows) with the
    same (participant ``subject``, recording ``rec``, media ``stimulus``,
    index ``idx``): the index restarts for each media in some exports, so the
    media is part of the key; other rows in between do not split it. ``out``:
    the rows to quarantine, each for its ``why``. An unreadable row
    (``bad_t``) keeps its trial (``rec``) and ``eye`` (``QUAR_KEYS``, for
    ingest ``drop_first``) only when it is a fixation of its own: no readable
    row of its fixation in the chunk, and one of another fixation after it (a
    fixation the chunk's end cuts may go on in the next one); else it is not
    said (NaN). ``last_key``: the key of the fixation the previous chunk ended
    in (None for the first), which a fixation opening this chunk continues.

    Returns the rows that open a fixation (indices into the chunk), the number
    of its further rows (``fixation_sample``), the quarantine frame of the
    ``out`` rows, and the ``last_key`` for the next chunk.
    """
    n = len(lines)
    fi = np.flatnonzero(fix)
    every = subject.astype(str) + "\x1f" + rec.astype(str) + "\x1f" + stimulus.astype(str) + "\x1f" + idx.astype(str)
    key = every[fi]
    own = bad_t & (idx != "") & ~np.isin(every, key) & (np.arange(n) < (fi[-1] if len(fi) else -1))
    qt = quarantine_frame(lines[out], why[out], subject[out], stimulus[out],
                          trial=np.where(own, rec.astype(object), None)[out], eye=np.where(own, eye, None)[out])
    first = np.ones(len(fi), bool)
    if len(fi):
        first[1:] = key[1:] != key[:-1]
        first[0] = key[0] != last_key
        last_key = key[-1]
    return fi[first], int((~first).sum()), qt, last_key


_MESSAGE = re.compile(r"^\s*#*\s*message:", re.I)
_EXT = tuple(e.lower() for e in IMAGE_EXTS)
_NOT_IN_NAME = set(':*?"<>|')


def image_in(text: str) -> str:
    """The image file a message names, or "".

    The message text (after a ``# Message:`` prefix), or its last path part (``/`` or ``\\``), when it ends in
    an image extension: the whole of it, stripped (``# Message: cat 01.jpg`` -> ``cat 01.jpg``, a file name
    with a space); else (text after the name, a character no file name holds) the last word that is an image
    file name (``img3.jpg shown`` -> ``img3.jpg``). A whole name that no stimulus file has (``Trial 3
    beach.jpg``) finds its last word's file (``beach.jpg``) in :meth:`StimulusIndex.resolve`, with a warning."""
    body = _MESSAGE.sub("", text, count=1).strip()
    name = re.split(r"[\\/]", body)[-1].strip()
    if name.lower().endswith(_EXT) and name[:1] != "." and not _NOT_IN_NAME & set(name):
        return name
    return last_image_word(text.replace("\\", "/").rsplit("/", 1)[-1]) or last_image_word(text)


def last_image_word(text: str) -> str:
    """The last word of ``text`` that is an image file name (by extension), or "": ``Trial 3 beach.jpg`` ->
    ``beach.jpg``. A word ends at whitespace or a character no file name holds (``/``, ``\\``, ``:`` ...)."""
    found = _IMAGE.findall(text)
    return found[-1] if found else ""


def wxh(value: str) -> tuple[int, int] | None:
    """``"1280 x 1024"``, ``"1680\\t1050"`` -> ``(1280, 1024)``; None when not two positive integers."""
    nums = re.findall(r"\d+(?:\.\d+)?", value)
    if len(nums) < 2:
        return None
    w, h = float(nums[0]), float(nums[1])
    if w <= 0 or h <= 0 or w != int(w) or h != int(h):
        return None
    return int(w), int(h)


def vendor_fixations(lines, subject, stimulus, trial, x, y, start, dur, eye, space, bad_start, bad_dur,
                     nf_start=None, nf_dur=None) -> Chunk:
    """:func:`~data_tools.readers.chunks.fixation_chunk` for exports whose fixations always carry a start and
    a duration: a start that is not a number is ``bad_time``, a duration that is missing or not a number
    ``bad_duration`` (both quarantined, with their ``trial`` and ``eye``: ``QUAR_KEYS``, for ingest ``drop_first``);
    the rest as ``fixation_chunk`` decides."""
    lines = np.asarray(lines, dtype=np.int64)
    bad_start = np.asarray(bad_start, bool)
    bad_dur = np.asarray(bad_dur, bool) & ~bad_start
    ok = ~(bad_start | bad_dur)
    sel = lambda a: None if a is None else np.asarray(a)[ok]  # noqa: E731
    ch = fixation_chunk(lines[ok], sel(subject), sel(stimulus), sel(trial), sel(x), sel(y), sel(start), sel(dur),
                        sel(eye), space, non_finite_time=sel(nf_start), non_finite_duration=sel(nf_dur))
    if (~ok).any():
        reason = np.where(bad_start[~ok], "bad_time", "bad_duration").astype(object)
        key = [None if a is None else np.asarray(a, dtype=object)[~ok] for a in (trial, eye)]
        append_quarantine(ch, quarantine_frame(lines[~ok], reason, np.asarray(subject)[~ok],
                                               np.asarray(stimulus)[~ok], np.asarray(x, dtype=np.float64)[~ok],
                                               np.asarray(y, dtype=np.float64)[~ok], *key))
        ch.rows_read = len(ch.df) + len(ch.quarantine)
    return ch


def write_table(path: Path, head: str, columns: list[str], data: dict, sep: str = "\t", tail: str = "") -> None:
    """Write a vendor-layout table: ``head`` (header block text), the column line, then the rows of ``data``
    (column -> array; absent columns empty), each line ending with ``tail`` (Tobii Studio ends lines with a tab)."""
    n = len(next(iter(data.values())))
    frame = pd.DataFrame({c: data.get(c, np.full(n, "", dtype=object)) for c in columns})
    body = frame.to_csv(sep=sep, header=False, index=False, lineterminator=tail + "\n", float_format="%.6g")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(head + sep.join(columns) + tail + "\n" + body)

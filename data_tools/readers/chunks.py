"""Building canonical chunks: tables read in chunks, parsed columns, quarantine rows, the generic table reader.

Every reader yields :class:`~data_tools.readers.base.Chunk` objects: a pandas
frame in one of two canonical shapes plus the rows it had to reject
(quarantine), so that logs larger than memory stream through in bounded memory
(pandas ``chunksize``). The builders here give every format the same shapes,
the same missing-value rules and the same quarantine reasons:

- :func:`csv_chunks`: selected columns of a delimited file as strings, with the
  1-based file line of each row (blank lines dropped);
- :func:`numeric`, :func:`text`: a column of strings as numbers (missing and
  non-numeric told apart) or as cleaned strings;
- :func:`sample_chunk`, :func:`fixation_chunk`: canonical rows, with rows
  whose time or coordinates cannot be parsed quarantined (``bad_time``,
  ``non_numeric``, ``bad_coordinates``, ``bad_duration``);
- :func:`generic_reader`: samples or fixations from a table whose columns are
  found by name (the ``samples``, ``fixations`` and ``eyelink-report``
  formats).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import (CHUNK_ROWS, MISSING, QUAR_COLS, Chunk, LogReader, default_subject,
                                              header_columns, resolve_columns, unit_factor)


def numeric(s: pd.Series, missing=MISSING) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of strings: values (NaN if missing or bad), missing mask, non-numeric mask."""
    txt = s.fillna("").astype(str).str.strip()
    empty = txt.isin(missing).to_numpy()
    vals = pd.to_numeric(txt.where(~empty, None), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(vals) & ~empty
    return vals, empty, bad


def text(s: pd.Series | None, n: int, default: str = "") -> np.ndarray:
    """Column as stripped strings (``default`` where absent/missing); numbers like ``3.0`` become ``3``."""
    if s is None:
        return np.full(n, default, dtype=object)
    v = s.fillna("").astype(str).str.strip()
    v = v.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    v = v.where(~v.isin(MISSING), default)
    return v.to_numpy(dtype=object)


def quarantine_frame(line, reason, subject=None, stimulus=None, x=None, y=None) -> pd.DataFrame:
    """Build quarantine rows (``reason`` is one string or an array)."""
    line = np.asarray(line, dtype=np.int64)
    n = len(line)

    def col(v, fill):
        return np.full(n, fill, dtype=object) if v is None else np.asarray(v)
    return pd.DataFrame({"line": line, "reason": col(reason, "") if not isinstance(reason, str) else reason,
                         "subject": col(subject, ""), "stimulus": col(stimulus, ""),
                         "x": col(x, np.nan), "y": col(y, np.nan)}, columns=QUAR_COLS)


def empty_quarantine() -> pd.DataFrame:
    """A quarantine frame with no rows."""
    return quarantine_frame(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object))


def csv_chunks(path: Path, sep: str, usecols: list[str], chunk_rows: int = CHUNK_ROWS,
               header_line: int = 1) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """Read selected columns as strings in chunks; yield (frame, 1-based file line of each row)."""
    try:
        reader = pd.read_csv(path, sep=sep, usecols=usecols, dtype=str, keep_default_na=False,
                             na_values=[], skip_blank_lines=False, chunksize=chunk_rows,
                             encoding="utf-8-sig", encoding_errors="replace", skiprows=header_line - 1,
                             on_bad_lines="skip", engine="c")
        start = header_line + 1
        for df in reader:
            lines = np.arange(start, start + len(df), dtype=np.int64)
            start += len(df)
            blank = df.fillna("").astype(str).apply(lambda c: c.str.strip() == "").all(axis=1).to_numpy()
            if blank.any():
                df, lines = df.loc[~blank], lines[~blank]
            yield df.reset_index(drop=True), lines
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path}: cannot parse as a {'tab' if sep == chr(9) else repr(sep)}-separated "
                        f"table ({str(exc).splitlines()[0]})") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None


def sample_chunk(lines, subject, stimulus, trial, t, x, y, valid, bad_time, non_numeric, keep=None) -> Chunk:
    """Canonical samples chunk in screen pixels; rows with a bad time or non-numeric coordinates quarantined.

    ``bad_time`` marks rows whose time is missing or not a number (``bad_time``),
    ``non_numeric`` rows whose coordinates are not numbers (``non_numeric``);
    both go to the quarantine. Invalid samples (``valid`` false) stay, with NaN
    coordinates: they end fixations and count in the QC valid share. ``keep``
    (optional) drops further rows without quarantining them.
    """
    bad = bad_time | non_numeric
    reason = np.where(bad_time, "bad_time", "non_numeric")
    q = quarantine_frame(lines[bad], reason[bad], subject[bad], stimulus[bad], x[bad], y[bad])
    ok = ~bad if keep is None else ~bad & keep
    out = pd.DataFrame({"subject": subject[ok], "stimulus": stimulus[ok], "trial": trial[ok], "time_ms": t[ok],
                        "x": np.where(valid, x, np.nan)[ok], "y": np.where(valid, y, np.nan)[ok],
                        "valid": valid[ok], "line": lines[ok]})
    return Chunk("samples", "screen", out, q)


def fixation_chunk(lines, subject, stimulus, trial, x, y, start, dur, eye, space) -> Chunk:
    """Canonical fixations chunk; rows with missing/non-numeric coordinates or durations <= 0 quarantined."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dur = np.asarray(dur, dtype=np.float64)
    bad_xy = ~(np.isfinite(x) & np.isfinite(y))
    bad_dur = ~bad_xy & (dur <= 0)
    bad = bad_xy | bad_dur
    reason = np.where(bad_xy, "bad_coordinates", "bad_duration")
    q = quarantine_frame(np.asarray(lines)[bad], reason[bad], np.asarray(subject)[bad],
                         np.asarray(stimulus)[bad], x[bad], y[bad])
    ok = ~bad
    out = pd.DataFrame({"subject": np.asarray(subject)[ok], "stimulus": np.asarray(stimulus)[ok],
                        "trial": np.asarray(trial)[ok], "x": x[ok], "y": y[ok],
                        "t_start_ms": np.asarray(start, dtype=np.float64)[ok], "duration_ms": dur[ok],
                        "eye": np.asarray(eye)[ok], "line": np.asarray(lines, dtype=np.int64)[ok]})
    return Chunk("fixations", space, out, q)


def generic_reader(path: Path, kind: str, user_cols: dict, time_unit: str | None,
                   missing=MISSING, preset: dict | None = None, fmt: str | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> LogReader:
    """Samples or fixations from a delimited table whose columns are found by name (or mapped)."""
    header, sep = header_columns(path)
    cols = resolve_columns(header, {**(preset or {}), **user_cols}, path)
    need = ["x", "y"] + (["time"] if kind == "samples" else [])
    miss = [k for k in need if k not in cols]
    if miss:
        raise UserError(f"{path}: no column for {', '.join(miss)} (the {fmt or kind} format needs "
                        f"{', '.join(need)}); name them with `columns` KEY=COLUMN")
    usecols = sorted({c for c, _ in cols.values()})
    subj_default = default_subject(path)

    def chunks() -> Iterator[Chunk]:
        for df, lines in csv_chunks(path, sep, usecols, chunk_rows):
            n = len(df)
            get = lambda k: df[cols[k][0]] if k in cols else None  # noqa: E731
            subject = text(get("subject"), n, subj_default)
            stimulus = text(get("stimulus"), n)
            trial = text(get("trial"), n)
            x, xm, xb = numeric(df[cols["x"][0]], missing)
            y, ym, yb = numeric(df[cols["y"][0]], missing)
            if kind == "samples":
                unit = time_unit or cols["time"][1]
                tf = unit_factor(unit, 1.0, f"{path}: column {cols['time'][0]}")
                t, tm, tb = numeric(df[cols["time"][0]], missing)
                t = t * tf
                valid = np.isfinite(x) & np.isfinite(y)
                if "valid" in cols:
                    vtxt = text(df[cols["valid"][0]], n, "1")
                    valid &= ~np.isin(vtxt.astype(str), ["0", "False", "false", "Invalid", "invalid", "no"])
                yield sample_chunk(lines, subject, stimulus, trial, t, x, y, valid, tm | tb, xb | yb)
            else:
                tf_default = 1.0
                start = dur = end = None
                if "t_start_ms" in cols:
                    start = numeric(df[cols["t_start_ms"][0]], missing)[0] * unit_factor(
                        time_unit or cols["t_start_ms"][1], tf_default, f"{path}: start column")
                if "t_end_ms" in cols:
                    end = numeric(df[cols["t_end_ms"][0]], missing)[0] * unit_factor(
                        time_unit or cols["t_end_ms"][1], tf_default, f"{path}: end column")
                if "duration_ms" in cols:
                    dur = numeric(df[cols["duration_ms"][0]], missing)[0] * unit_factor(
                        cols["duration_ms"][1], 1.0, f"{path}: duration column")
                elif start is not None and end is not None:
                    dur = end - start
                start = np.full(n, np.nan) if start is None else start
                dur = np.full(n, np.nan) if dur is None else dur
                eye = text(get("eye"), n)
                yield fixation_chunk(lines, subject, stimulus, trial, x, y, start, dur, eye, "screen")

    return LogReader(path, fmt or kind, kind, chunks)

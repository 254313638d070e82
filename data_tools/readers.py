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

Formats (``--format``; ``auto`` looks at the header), field names from
``../shared/REFERENCES.md`` section 3: ``samples``, ``fixations`` (generic,
columns found by name or mapped with ``--columns``), ``eyelink-report``,
``eyelink-asc``, ``tobii``, ``pupil``, ``salicon`` (see
:mod:`data_tools.readers_vendor`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError

FORMATS = ("auto", "samples", "fixations", "eyelink-report", "eyelink-asc", "tobii", "pupil", "salicon")
SAMPLE_COLS = ["subject", "stimulus", "trial", "time_ms", "x", "y", "valid", "line"]
FIX_COLS = ["subject", "stimulus", "trial", "x", "y", "t_start_ms", "duration_ms", "eye", "line"]
QUAR_COLS = ["line", "reason", "subject", "stimulus", "x", "y"]
CHUNK_ROWS = 500_000
MISSING = {"", ".", "nan", "NaN", "NA", "N/A", "null", "None", "-"}

# generic column names (case-insensitive, unit suffix stripped) -> canonical key
ALIASES = {
    "subject": ["subject", "participant", "observer", "participant name", "worker", "sub"],
    "stimulus": ["stimulus", "image", "media", "stimulus_name", "img", "media name", "presented media name"],
    "trial": ["trial", "trial_index", "trial index"],
    "time": ["time_ms", "time", "timestamp", "t", "time_s", "time_us"],
    "x": ["x", "gaze_x", "gx", "fix_x"],
    "y": ["y", "gaze_y", "gy", "fix_y"],
    "valid": ["valid", "validity"],
    "t_start_ms": ["t_start_ms", "t_start", "start_ms", "start", "onset", "start_time"],
    "t_end_ms": ["t_end_ms", "t_end", "end_ms", "end", "offset", "end_time"],
    "duration_ms": ["duration_ms", "duration", "dur"],
    "eye": ["eye"],
}
UNIT_MS = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ns": 1e-6}


@dataclass
class Chunk:
    """A block of canonical rows from one file, with the rows it rejected."""

    kind: str  # "samples" or "fixations"
    space: str  # "screen", "stimulus", "screen_norm" or "stimulus_norm"
    df: pd.DataFrame
    quarantine: pd.DataFrame


@dataclass
class LogReader:
    """An opened log: its format, what it holds, and a generator of chunks."""

    path: Path
    format: str
    kind: str
    chunks: Callable[[], Iterator[Chunk]]
    screen_px: tuple[int, int] | None = None  # resolution the file itself declares (EyeLink ASC)
    notes: dict = field(default_factory=dict)


def split_unit(name: str) -> tuple[str, str | None]:
    """``"Recording timestamp [μs]"`` -> ``("recording timestamp", "μs")``; names lower-cased."""
    m = re.match(r"^\s*(.*?)\s*[\[(]\s*([^\])]+?)\s*[\])]\s*$", name)
    if m:
        return m.group(1).strip().lower(), m.group(2)
    base = name.strip().lower()
    m = re.match(r"^(.*)_(ms|s|us)$", base)
    if m and m.group(1) in ("time", "start", "end", "t_start", "t_end", "duration"):
        return base, m.group(2)
    return base, None


def unit_factor(unit: str | None, default: float, what: str) -> float:
    """Milliseconds per unit (``ms``, ``s``, ``us``/``µs``, ``ns``)."""
    if unit is None:
        return default
    u = unit.strip().lower().replace("μ", "µ")
    for k, v in UNIT_MS.items():
        if u == k.replace("μ", "µ"):
            return v
    raise UserError(f"{what}: unknown time unit {unit!r}; use ms, s, us or ns")


def parse_columns(spec: str | None) -> dict[str, str]:
    """``"time=TIMESTAMP,x=GazeX"`` -> ``{"time": "TIMESTAMP", "x": "GazeX"}`` (``--columns``)."""
    if not spec:
        return {}
    out = {}
    keys = set(ALIASES) | {"pupil", "confidence"}
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise UserError(f"--columns {spec!r}: each item must be KEY=COLUMN (e.g. time=TIMESTAMP)")
        k, v = (s.strip() for s in part.split("=", 1))
        if k not in keys:
            raise UserError(f"--columns: unknown key {k!r}; keys are {', '.join(sorted(keys))}")
        out[k] = v
    return out


def read_header(path: Path) -> tuple[str, str]:
    """First line of a text file (BOM stripped) and its delimiter (tab, semicolon or comma)."""
    try:
        with open(path, "r", encoding="utf-8-sig", errors="replace") as fh:
            first = fh.readline().rstrip("\r\n")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    if "\t" in first:
        sep = "\t"
    elif first.count(";") > first.count(","):
        sep = ";"
    else:
        sep = ","
    return first, sep


def resolve_columns(header: list[str], user: dict[str, str], path: Path) -> dict[str, tuple[str, str | None]]:
    """Canonical key -> (file column, unit) from ``--columns`` first, then by alias."""
    found: dict[str, tuple[str, str | None]] = {}
    for k, col in user.items():
        if col not in header:
            raise UserError(f"{path}: --columns {k}={col}: no such column; the file has {', '.join(header)}")
        found[k] = (col, split_unit(col)[1])
    bases = {}
    for col in header:
        base, unit = split_unit(col)
        bases.setdefault(base, (col, unit))
    for key, names in ALIASES.items():
        if key in found:
            continue
        for n in names:
            if n in bases:
                col, unit = bases[n]
                if unit is None:
                    m = re.match(r"^.*_(ms|s|us)$", n)
                    unit = m.group(1) if m else None
                found[key] = (col, unit)
                break
    return found


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


def default_subject(path: Path) -> str:
    """Subject name for files without a subject column: the file stem (Pupil: the folder name)."""
    stem = path.stem
    if stem.startswith("fixations") or stem in ("gaze_positions", "samples"):
        return path.parent.name or stem
    return stem


# ---------------------------------------------------------------- generic readers

def generic_reader(path: Path, kind: str, user_cols: dict, time_unit: str | None,
                   missing=MISSING, preset: dict | None = None, fmt: str | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> LogReader:
    """Samples or fixations from a delimited table whose columns are found by name (or mapped)."""
    first, sep = read_header(path)
    header = [h.strip() for h in first.split(sep)]
    cols = resolve_columns(header, {**(preset or {}), **user_cols}, path)
    need = ["x", "y"] + (["time"] if kind == "samples" else [])
    miss = [k for k in need if k not in cols]
    if miss:
        raise UserError(f"{path}: no column for {', '.join(miss)} (the {fmt or kind} format needs "
                        f"{', '.join(need)}); name them with --columns KEY=COLUMN")
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
                bad = xb | yb | tb | tm
                reason = np.where(tm | tb, "bad_time", "non_numeric")
                q = quarantine_frame(lines[bad], reason[bad], subject[bad], stimulus[bad], x[bad], y[bad])
                ok = ~bad
                out = pd.DataFrame({"subject": subject[ok], "stimulus": stimulus[ok], "trial": trial[ok],
                                    "time_ms": t[ok], "x": np.where(valid, x, np.nan)[ok],
                                    "y": np.where(valid, y, np.nan)[ok], "valid": valid[ok], "line": lines[ok]})
                yield Chunk("samples", "screen", out, q)
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


# ---------------------------------------------------------------- format detection and dispatch

def detect_format(path: Path, columns: dict | None = None) -> str:
    """Guess the format of ``path`` from its name and header; UserError when nothing fits."""
    if path.suffix.lower() == ".json":
        return "salicon"
    if path.suffix.lower() == ".asc":
        return "eyelink-asc"
    first, sep = read_header(path)
    if first.startswith("**") or first.startswith("MSG") or first.startswith("EFIX"):
        return "eyelink-asc"
    if first.lstrip().startswith("{"):
        return "salicon"
    header = [split_unit(h)[0] for h in first.split(sep)]
    hs = set(header)
    if "recording_session_label" in hs and "current_fix_x" in hs:
        return "eyelink-report"
    if "recording timestamp" in hs and ("gaze point x" in hs or "fixation point x" in hs):
        return "tobii"
    if ("norm_pos_x" in hs or "x_norm" in hs) and ("start_timestamp" in hs or "world_timestamp" in hs):
        return "pupil"
    cols = resolve_columns([h.strip() for h in first.split(sep)], columns or {}, path)
    if "x" in cols and "y" in cols:
        if "duration_ms" in cols or "t_start_ms" in cols:
            return "fixations"
        if "time" in cols:
            return "samples"
    raise UserError(f"{path}: unknown format (header {first[:120]!r}); pass --format "
                    f"{'|'.join(FORMATS[1:])} and --columns if needed")


def open_log(path: str | Path, fmt: str = "auto", columns: dict | None = None, time_unit: str | None = None,
             tracker_events: bool = False, min_confidence: float = 0.6,
             chunk_rows: int = CHUNK_ROWS) -> LogReader:
    """Open one log file; ``tracker_events`` reads the tracker's fixations (EFIX, Tobii) instead of samples."""
    from saliency.data_tools import readers_vendor as V

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    columns = columns or {}
    if fmt == "auto":
        fmt = detect_format(path, columns)
    if fmt == "samples":
        return generic_reader(path, "samples", columns, time_unit, fmt="samples", chunk_rows=chunk_rows)
    if fmt == "fixations":
        return generic_reader(path, "fixations", columns, time_unit, fmt="fixations", chunk_rows=chunk_rows)
    if fmt == "eyelink-report":
        return V.eyelink_report(path, columns, chunk_rows)
    if fmt == "eyelink-asc":
        return V.eyelink_asc(path, tracker_events)
    if fmt == "tobii":
        return V.tobii(path, columns, tracker_events, chunk_rows)
    if fmt == "pupil":
        return V.pupil(path, columns, min_confidence, chunk_rows)
    return V.salicon(path)

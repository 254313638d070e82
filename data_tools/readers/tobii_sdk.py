"""``tobii-sdk``: raw gaze samples saved from the Tobii Pro SDK (``tobii_research``) or Titta, as CSV/TSV.

Fields of the SDK's gaze data (Tobii Pro SDK Python reference, ``GazeData``;
``../shared/REFERENCES.md`` section 6) and the flattened column names Titta
writes (``titta`` ``helpers_tobii`` / its ``gaze_data_container`` column
list): ``system_time_stamp`` (µs, the computer's clock; else
``device_time_stamp``, µs, the tracker's clock), per eye
``left_gaze_point_on_display_area_x`` / ``_y`` (fractions of the display
area, origin top-left) or one tuple column ``left_gaze_point_on_display_area``
written ``(x, y)`` when the SDK's dict is saved as is, and the validity
``left_gaze_point_validity`` (1/0; Titta's newer ``left_gaze_point_valid``:
True/False). The same for ``right_``. A sample is valid when one eye is valid
and its point a number; both valid eyes are averaged. Coordinates stay
fractions of the display (space ``screen_norm``; the screen size comes from
the geometry). Eyes (``ReadOptions.eye``): ``average`` (the default) as
just said; ``left`` / ``right`` read that eye's point only, valid where its
own validity says so; a file without the chosen eye's columns is refused
when it is opened, one with no valid sample of that eye while the other eye
has some (a monocular recording) after reading, each with one line.

The SDK records no subject or stimulus: the subject is the file stem, and
``subject``/``stimulus``/``trial`` columns are used when the file has them
(generic names, or mapped with ``columns``); otherwise ``trials`` or a single
stimulus for the file name them. In a file with a subject column a row whose
subject cell is blank is quarantined ``no_subject`` (the file stem is the
subject only of a file without one, or whose column is blank on every row of
the first chunk: :class:`~data_tools.readers.chunks.FileSubject`). A data row
is one non-blank line after the column line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions, check_eye, \
    default_subject, eye_columns_missing, header_columns, one_eye_only, resolve_columns
from saliency.data_tools.readers.chunks import FileSubject, csv_chunks, non_finite, numeric, sample_chunk, text, \
    with_malformed

DETECT_RANK = 23  # vendor column names
SUFFIXES: tuple[str, ...] = ()
#: the ``columns`` keys this reader honours (generic names); it reads its own time and gaze columns
COLUMN_KEYS = ("subject", "stimulus", "trial")
VENDOR = "Tobii Pro SDK / Titta"
EYES = True  # honours ReadOptions.eye
_TRUE = ("1", "true", "True", "TRUE", "1.0")


def sniff(probe: Probe) -> bool:
    """A gaze point on the display area and an SDK time stamp."""
    names = probe.names
    point = any(n.startswith(f"{e}_gaze_point_on_display_area") for n in names for e in ("left", "right"))
    return point and ("system_time_stamp" in names or "device_time_stamp" in names)


def _eye_columns(low: dict, eye: str):
    """``(x column, y column, tuple column, validity column)`` of one eye, or None."""
    base = f"{eye}_gaze_point_on_display_area"
    cx, cy, ct = low.get(f"{base}_x"), low.get(f"{base}_y"), low.get(base)
    if not (cx and cy) and not ct:
        return None
    cv = low.get(f"{eye}_gaze_point_validity") or low.get(f"{eye}_gaze_point_valid")
    return (cx, cy, None, cv) if cx and cy else (None, None, ct, cv)


def _pair(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``"(0.5, 0.4)"`` -> x, y; and a mask of cells that hold something else than a pair of numbers."""
    txt = s.fillna("").astype(str).str.strip()
    m = txt.str.extract(r"^[\(\[]\s*([^,\s]+)\s*,\s*([^,\s\)\]]+)\s*[\)\]]$")
    x, _, xb = numeric(m[0])
    y, _, yb = numeric(m[1])
    empty = txt.isin(["", "nan", "NaN", "None"]).to_numpy()
    odd = (m[0].isna().to_numpy() & ~empty) | xb | yb
    return x, y, odd


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Tobii Pro SDK / Titta raw gaze: samples in fractions of the display area, times in µs."""
    header, sep = header_columns(path)
    low = {h.lower(): h for h in header if h}
    c_time = low.get("system_time_stamp") or low.get("device_time_stamp")
    if c_time is None:
        raise UserError(f"{path}: read as a {VENDOR} gaze file, but its column line 1 has no system_time_stamp "
                        f"or device_time_stamp (µs)")
    eye = check_eye(opts.eye)
    eyes = [e for e in (_eye_columns(low, "left"), _eye_columns(low, "right")) if e]
    if not eyes:
        raise UserError(f"{path}: read as a {VENDOR} gaze file, but its column line 1 has no "
                        f"left/right_gaze_point_on_display_area(_x/_y) columns")
    other = None  # eye left/right: the other eye's columns (a monocular recording is told by them)
    if eye != "average":
        mine = _eye_columns(low, eye)
        if mine is None:
            base = f"{eye}_gaze_point_on_display_area"
            raise eye_columns_missing(path, VENDOR, eye, [f"{base}_x", f"{base}_y"],
                                      [h for h in header if "gaze_point" in h.lower()])
        other = _eye_columns(low, "right" if eye == "left" else "left")
        eyes = [mine]
    generic = resolve_columns(header, opts.columns, path, COLUMN_KEYS)
    c_subj, c_stim, c_trial = (generic[k][0] if k in generic else None for k in COLUMN_KEYS)
    usecols = sorted({c for e in [*eyes, other] if e for c in e if c} |
                     {c for c in (c_time, c_subj, c_stim, c_trial) if c})
    # the file stem names the rows only of a file without a subject column (or whose column is blank on every row
    # of its first chunk: FileSubject); in one whose column names someone a blank cell is no_subject
    notes = {"time_column": c_time, "eye": eye}

    def eye_point(df, n, cols):
        """x, y, cells that are no number, and valid (a number, and valid where a validity column says)."""
        cx, cy, ct, cv = cols
        if ct:
            x, y, odd = _pair(df[ct])
        else:
            x, _, xb = numeric(df[cx])
            y, _, yb = numeric(df[cy])
            odd = xb | yb
        ok = np.isfinite(x) & np.isfinite(y)
        if cv:
            ok &= np.isin(text(df[cv], n).astype(str), _TRUE)
        return x, y, odd, ok

    def chunks() -> Iterator[Chunk]:
        n_eye = n_other = 0  # eye left/right: valid samples of the chosen eye and of the other one
        subjects = FileSubject(path, c_subj, default_subject(path), notes)
        for df, lines, malformed in csv_chunks(path, sep, usecols, opts.chunk_rows, cut_last="any"):
            n = len(df)
            t, tm, tb = numeric(df[c_time])
            nf_t = non_finite(df[c_time], t)
            sx, sy, k = np.zeros(n), np.zeros(n), np.zeros(n)
            bad = np.zeros(n, bool)
            for cols in eyes:
                x, y, odd, ok = eye_point(df, n, cols)
                bad |= odd
                sx += np.where(ok, x, 0.0)
                sy += np.where(ok, y, 0.0)
                k += ok
            valid = k > 0
            if eye != "average":
                n_eye += int(valid.sum())
                if other is not None:
                    n_other += int(eye_point(df, n, other)[3].sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                x, y = np.where(valid, sx / np.maximum(k, 1), np.nan), np.where(valid, sy / np.maximum(k, 1), np.nan)
            subject = subjects.cells(df[c_subj] if c_subj else None, lines)
            stim = text(df[c_stim], n, whole=False) if c_stim else np.full(n, "", object)
            trial = text(df[c_trial], n) if c_trial else np.full(n, "", object)
            ch = sample_chunk(lines, subject, stim, trial, t * 1e-3, x, y, valid, (tm | tb) & ~nf_t, bad,
                              non_finite_time=nf_t)
            ch.space = "screen_norm"
            yield with_malformed(subjects.named(ch), malformed, subjects.default, read_lines=lines)
        if eye != "average" and n_eye == 0 and n_other > 0:
            raise one_eye_only(path, eye, n_other)

    return LogReader(path, "tobii-sdk", "samples", chunks, notes=notes)


# ---------------------------------------------------------------- example files (tests, benchmarks)

TITTA_COLUMNS = ["device_time_stamp", "system_time_stamp",
                 "left_gaze_point_on_display_area_x", "left_gaze_point_on_display_area_y",
                 "left_gaze_point_in_user_coordinate_system_x", "left_gaze_point_in_user_coordinate_system_y",
                 "left_gaze_point_in_user_coordinate_system_z", "left_gaze_point_validity", "left_pupil_diameter",
                 "left_pupil_validity", "right_gaze_point_on_display_area_x", "right_gaze_point_on_display_area_y",
                 "right_gaze_point_in_user_coordinate_system_x", "right_gaze_point_in_user_coordinate_system_y",
                 "right_gaze_point_in_user_coordinate_system_z", "right_gaze_point_validity",
                 "right_pupil_diameter", "right_pupil_validity"]


def example_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write Titta-style raw gaze (``n`` rows, 600 Hz, both eyes; lost samples NaN with validity 0) as CSV."""
    from saliency.data_tools.readers.vendor import write_table
    k = np.arange(n)
    x = np.repeat(rng.uniform(0.05, 0.95, n // 120 + 1), 120)[:n] + rng.normal(0, 0.003, n)
    y = np.repeat(rng.uniform(0.05, 0.95, n // 120 + 1), 120)[:n] + rng.normal(0, 0.003, n)
    lost = rng.random(n) < 0.02
    v = np.where(lost, "0", "1")
    f = lambda a: np.where(lost, "nan", np.char.mod("%.6f", a))  # noqa: E731
    data = {"device_time_stamp": (5_000_000 + k * 1667).astype(str),
            "system_time_stamp": (1_700_000_000_000 + k * 1667).astype(str),
            "left_gaze_point_on_display_area_x": f(x), "left_gaze_point_on_display_area_y": f(y),
            "left_gaze_point_in_user_coordinate_system_x": f(x * 500 - 250),
            "left_gaze_point_in_user_coordinate_system_y": f(y * 300), "left_gaze_point_in_user_coordinate_system_z":
            f(np.full(n, 20.0)), "left_gaze_point_validity": v, "left_pupil_diameter": f(np.full(n, 3.2)),
            "left_pupil_validity": v, "right_gaze_point_on_display_area_x": f(x + 0.004),
            "right_gaze_point_on_display_area_y": f(y), "right_gaze_point_in_user_coordinate_system_x": f(x * 500),
            "right_gaze_point_in_user_coordinate_system_y": f(y * 300),
            "right_gaze_point_in_user_coordinate_system_z": f(np.full(n, 20.0)), "right_gaze_point_validity": v,
            "right_pupil_diameter": f(np.full(n, 3.3)), "right_pupil_validity": v}
    write_table(path, "", TITTA_COLUMNS, data, sep=",")
    return n

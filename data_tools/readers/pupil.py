"""``pupil``: Pupil Labs (Pupil Player) fixation exports: ``fixations.csv`` and ``fixations_on_surface_<name>.csv``.

Field names from ``../shared/REFERENCES.md`` section 3 and Pupil Player's
exporters (``pupil-labs/pupil``: ``fixation_detector.py``, Raw Data Exporter;
``surface_tracker/background_tasks.py``, ``_export_fixations_on_surface``):
``start_timestamp`` (s), ``duration`` (ms), ``norm_pos_x/y`` (0..1, origin
bottom-left; older exports ``x_norm``/``y_norm``), ``confidence``. Pupil
Player before v1.0 (v0.7 to v0.9) wrote ``duration`` in seconds (its
fixation detector's ``duration`` is the last gaze timestamp less the first;
v1.0 multiplied it by 1000): its ``fixations.csv`` is told by its frame
columns, ``start_frame`` (v0.7-v0.8.6, tab-separated) or ``start_index``
(v0.8.7-v0.9, comma-separated; the 3D detector adds ``eye_id``) with no
``start_frame_index`` (v1.0 and later), and its
durations are read as seconds (times 1000). A Surface Tracker export keeps
``start_frame`` in every version (with ms from v1.0): its durations are read
as ms. Fixations
below ``min_confidence`` (default :data:`DEFAULT_MIN_CONFIDENCE`, 0.6) are
quarantined (``low_confidence``), and the reader's ``notes`` record the
threshold applied (``min_confidence``; None for a file without a
``confidence`` column, where nothing is filtered). A missing confidence
(empty, ``.``, ``NA``) is unknown, not low: the fixation is kept; one that is
not a number (``abc``) is quarantined (``bad_confidence``). A start or
duration that is not a number is quarantined (``bad_time``,
``bad_duration``); a missing one is kept, unknown. The subject is
the recording folder's name (``<recording>/exports/000/fixations.csv``,
``<recording>/exports/000/surfaces/fixations_on_surface_<name>.csv``),
unless the file has a subject column (found by name or mapped with
``columns``) that names someone on its first chunk's rows: then a row
whose subject cell is blank is quarantined ``no_subject`` (in a surface
export before its rows are grouped); a column blank on every row of the
first chunk is unused: the recording folder names the file, and a later row
naming someone refuses it (:class:`~data_tools.readers.chunks.FileSubject`).

``fixations.csv``: one data row = one line = one fixation.

``fixations_on_surface_<name>.csv`` (Surface Tracker export; columns
``world_timestamp, world_index, fixation_id, start_timestamp, duration,
dispersion, norm_pos_x, norm_pos_y, x_scaled, y_scaled, on_surf``; older
Pupil versions: ``id, ..., on_srf``): Pupil Player writes each fixation once
per world-camera frame it spans, its position mapped into the surface (0..1,
origin bottom-left) through that frame's surface location, and ``on_surf``
saying whether that position lies on the surface. The reader keeps each
fixation once (rows grouped by ``fixation_id`` over the whole file):

- a fixation with at least one row ``on_surf`` True is kept under the line
  of its first such row, at the mean position of its ``on_surf`` rows, with
  its ``start_timestamp`` and ``duration``; its other rows (on or off the
  surface) are counted ``fixation_frame`` (the same fixation in another world
  frame, not a fault);
- a fixation whose rows are all ``on_surf`` False is quarantined once
  (``off_surface``, its first row's line); its other rows are counted
  ``fixation_frame``;
- a row whose ``on_surf`` is neither True nor False (``bad_on_surf``) or
  whose fixation id is missing (``no_fixation_id``) is quarantined on its own
  (as is one below ``min_confidence``, ``low_confidence``, if the file has a
  ``confidence`` column, which Pupil Player does not write there).

The file is read as one chunk (a fixation's rows may lie far apart in a long
file); surface exports hold one row per world frame, small next to the logs
the other readers stream.

Gaze exports (``gaze_positions.csv``, ``gaze_positions_on_surface_<name>.csv``:
a ``gaze_timestamp`` column, no ``start_timestamp``/``duration``) hold gaze
samples, not fixations: the reader refuses them with one line (the toolkit
has no reader for Pupil gaze samples; export fixations with Pupil Player's
Fixation Detector instead), as it does any file without ``start_timestamp``
and ``duration``. ``saliency detect`` words the refusal for itself
(:meth:`GazeExport.for_detect`): it needs raw samples in screen pixels, and
a fixations.csv is for ``saliency ingest``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.choices import PUPIL_MIN_CONFIDENCE
from saliency.data_tools.readers.base import (Chunk, LogReader, Probe, ReadOptions, default_subject,
                                              header_columns, refuse_taken_defaults, resolve_columns, split_unit)
from saliency.data_tools.readers.chunks import (FileSubject, csv_chunks, fixation_chunk, non_finite, numeric,
                                                quarantine_frame, text, with_malformed)

DETECT_RANK = 22  # vendor column names
DEFAULT_MIN_CONFIDENCE = PUPIL_MIN_CONFIDENCE  # data_tools.choices: the one value, read by the CLI's help too
"""The confidence below which a fixation is quarantined when ``min_confidence`` is not given (None)."""
SUFFIXES: tuple[str, ...] = ()
#: the ``columns`` keys this reader honours (:func:`data_tools.ingest.check_columns_used` refuses the others)
COLUMN_KEYS = ("subject", "stimulus", "trial", "x", "y", "confidence")


#: the columns of a Pupil Labs Neon / Pupil Cloud "Timeseries" export (gaze.csv, fixations.csv): scene-camera pixels
NEON_GAZE = ("timestamp [ns]", "gaze x [px]", "gaze y [px]")
NEON_FIXATIONS = ("start timestamp [ns]", "fixation x [px]", "fixation y [px]")


def _neon_kind(hs) -> str | None:
    """"gaze" or "fixation" for a Neon / Pupil Cloud export's header (every such export has ``recording id``),
    else None; the names are compared lower-cased without their unit, as :class:`Probe` gives them."""
    names = {split_unit(h)[0].lower() for h in hs}
    if "recording id" not in names:  # a user's own table of `timestamp, gaze x, gaze y` is a generic one
        return None
    for kind, cols in (("gaze", NEON_GAZE), ("fixation", NEON_FIXATIONS)):
        if all(split_unit(c)[0] in names for c in cols):
            return kind
    return None


def sniff(probe: Probe) -> bool:
    """Normalised positions with a Pupil timestamp column (fixation, surface or gaze export), or a Neon / Pupil
    Cloud export (claimed so that it is named and refused, not called an unknown format)."""
    hs = probe.names
    # gaze_timestamp: a Pupil gaze export, claimed so that the reader names it (refused, not read as fixations)
    return (("norm_pos_x" in hs or "x_norm" in hs)
            and ("start_timestamp" in hs or "world_timestamp" in hs or "gaze_timestamp" in hs)) \
        or _neon_kind(hs) is not None


FRAME_ROW = "fixation_frame"  # counted: a further world-frame row of a surface fixation kept (or quarantined) once


class GazeExport(UserError):
    """The refusal of a Pupil Labs gaze (sample) export; :meth:`for_detect` words it for ``saliency detect``."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"{path}: a Pupil Labs gaze export (gaze samples: column gaze_timestamp, no "
                         f"start_timestamp or duration), not a fixation export; the toolkit reads Pupil "
                         f"fixations only: run Pupil Player's Fixation Detector, export with the Raw Data "
                         f"Exporter and give its fixations.csv (or surfaces/fixations_on_surface_<name>.csv)")

    def for_detect(self) -> UserError:
        """The line for ``saliency detect``, which labels raw samples and reads no fixation export either."""
        return UserError(f"{self.path}: a Pupil Labs gaze export (column gaze_timestamp); saliency detect needs "
                         f"raw samples in screen pixels and the toolkit has no reader for Pupil gaze samples: their "
                         f"positions are fractions of the world-camera image or of a surface, origin bottom-left "
                         f"(`format` samples would read them as pixels); to get fixations, run Pupil Player's "
                         f"Fixation Detector, export with the Raw Data Exporter and give its fixations.csv to "
                         f"saliency ingest")


class NeonExport(GazeExport):
    """The refusal of a Pupil Labs Neon / Pupil Cloud export: positions in scene-camera pixels, not on the screen.

    Layout: Pupil Labs' Neon / Pupil Cloud "Timeseries Data" (gaze.csv: ``timestamp [ns]``, ``gaze x [px]``,
    ``gaze y [px]``, ``worn``, ...; fixations.csv: ``start timestamp [ns]``, ``fixation x [px]``, ...).
    """

    def __init__(self, path: Path, kind: str):
        self.path, self.kind = path, kind
        cols = ", ".join(NEON_GAZE if kind == "gaze" else NEON_FIXATIONS)
        self.what = (f"a Pupil Labs Neon / Pupil Cloud {kind} export (columns {cols}): its positions are pixels of "
                     f"the scene camera, not of the screen, and the toolkit has no reader for them")
        UserError.__init__(self, f"{path}: {self.what}; map them onto the stimulus first (Pupil Cloud's Marker "
                                 f"Mapper or Reference Image Mapper) and give those fixations as a fixation table "
                                 f"(`format` fixations with `columns`)")

    def for_detect(self) -> UserError:
        """The line for ``saliency detect``: it needs raw samples in screen pixels."""
        return UserError(f"{self.path}: {self.what}; saliency detect needs raw samples in screen pixels "
                         f"(`format` samples would read scene-camera pixels as screen pixels)")


def _refuse_gaze(path: Path, hs: set) -> None:
    """A Pupil gaze (sample) export, or any table without the fixation columns: one line, what to give instead."""
    kind = _neon_kind(hs)
    if kind:
        raise NeonExport(path, kind)
    if "start_timestamp" in hs or "duration" in hs:
        return
    if "gaze_timestamp" in hs:
        raise GazeExport(path)
    raise UserError(f"{path}: line 1 (the header): no start_timestamp or duration column, so not a Pupil Labs "
                    f"fixation export; give Pupil Player's fixations.csv (or "
                    f"surfaces/fixations_on_surface_<name>.csv)")


def _on_surf(s: pd.Series) -> np.ndarray:
    """``on_surf`` as 1 (True), 0 (False) or -1 (anything else: ``bad_on_surf``)."""
    v = s.fillna("").astype(str).str.strip().str.lower()
    return np.where(v.isin(["true", "1", "1.0"]), 1, np.where(v.isin(["false", "0", "0.0"]), 0, -1))


def _subject(path: Path) -> str:
    """The recording's name: a surface export lies in ``<recording>/exports/NNN/surfaces/``."""
    if path.parent.name == "surfaces":
        return default_subject(path.parent.parent / path.name)
    return default_subject(path)


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Pupil Labs fixation exports (normalised coordinates, origin bottom-left; confidence filter)."""
    columns, chunk_rows = opts.columns, opts.chunk_rows
    min_confidence = DEFAULT_MIN_CONFIDENCE if opts.min_confidence is None else float(opts.min_confidence)
    header, sep = header_columns(path)
    # only the keys it honours are looked up in this file: another input of the run may take the others
    cols = resolve_columns(header, columns, path, COLUMN_KEYS)
    # the mapped columns as the header spells them (a name typed in NFC, the header saved in NFD): read by that
    columns = {k: cols[k][0] for k in columns if k in COLUMN_KEYS}
    hs = set(header)
    _refuse_gaze(path, hs)
    cx = columns.get("x") or ("norm_pos_x" if "norm_pos_x" in hs else "x_norm")
    cy = columns.get("y") or ("norm_pos_y" if "norm_pos_y" in hs else "y_norm")
    cs = "start_timestamp" if "start_timestamp" in hs else None
    cd = "duration" if "duration" in hs else None
    # a column a `columns` key names is read by that key only, not also as another key's default (x=norm_pos_y
    # read y from it too: every fixation on the anti-diagonal); that key then has no column and is refused
    cc = columns.get("confidence") or ("confidence" if "confidence" in hs and "confidence" not in columns.values()
                                       else None)
    refuse_taken_defaults(path, "pupil", columns, {"x": cx, "y": cy})
    for c in (cx, cy):
        if c not in hs:
            raise UserError(f"{path}: line 1 (the header): Pupil Labs export without column {c}")
    c_on = next((c for c in ("on_surf", "on_srf") if c in hs), None)  # a Surface Tracker export
    # Pupil Player v0.7-v0.9's fixations.csv: frame columns start_frame / start_index, duration in seconds
    dur_scale = 1000.0 if (not c_on and cd and "start_frame_index" not in hs
                           and ("start_frame" in hs or "start_index" in hs)) else 1.0
    c_id = (next((c for c in ("fixation_id", "id") if c in hs), None)) if c_on else None
    if c_on and not c_id:
        raise UserError(f"{path}: line 1 (the header): a Pupil Labs surface export ({c_on}) without its "
                        f"fixation_id column; give the file as Pupil Player wrote it")
    c_subj = cols.get("subject", (None,))[0]
    c_stim = cols.get("stimulus", (None,))[0]
    c_trial = cols.get("trial", (None,))[0]
    usecols = sorted({c for c in (cx, cy, cs, cd, cc, c_subj, c_stim, c_trial, c_on, c_id) if c})
    # the recording folder names the rows only of a file without a subject column (or whose column is blank on every
    # row of its first chunk: FileSubject); in one whose column names someone a blank cell is no_subject
    notes = {"surface_export": True} if c_on else {}

    def parse(df: pd.DataFrame, lines: np.ndarray, subjects: FileSubject) -> dict:
        n = len(df)
        out = {"line": lines, "subject": subjects.cells(df[c_subj] if c_subj else None, lines),
               "stimulus": text(df[c_stim] if c_stim else None, n, whole=False),
               "trial": text(df[c_trial] if c_trial else None, n),
               "x": numeric(df[cx])[0], "y": 1.0 - numeric(df[cy])[0]}  # bottom-left origin -> top-left
        start, _, out["bad_t"] = numeric(df[cs]) if cs else (np.full(n, np.nan), None, np.zeros(n, bool))
        out["nf_t"] = non_finite(df[cs], start) if cs else np.zeros(n, bool)
        out["start"] = start * 1000.0
        dur, _, out["bad_d"] = numeric(df[cd]) if cd else (np.full(n, np.nan), None, np.zeros(n, bool))
        out["nf_d"] = non_finite(df[cd], dur) if cd else np.zeros(n, bool)
        out["dur"] = dur * dur_scale
        return out

    def confidence(df: pd.DataFrame) -> np.ndarray:
        """Per row: 0 usable (``min_confidence`` or more, or missing: unknown), 1 low, 2 not a number."""
        conf, _, nan = numeric(df[cc])
        return np.where(nan, 2, np.where(conf < min_confidence, 1, 0))

    def fixations(r: dict, keep: np.ndarray) -> Chunk:
        k = int(keep.sum())
        return fixation_chunk(r["line"][keep], r["subject"][keep], r["stimulus"][keep], r["trial"][keep],
                              r["x"][keep], r["y"][keep], r["start"][keep], r["dur"][keep],
                              np.full(k, "", object), "screen_norm",
                              non_finite_time=r["nf_t"][keep], non_finite_duration=r["nf_d"][keep],
                              bad_time=r["bad_t"][keep], bad_duration=r["bad_d"][keep])

    def chunks() -> Iterator[Chunk]:
        subjects = FileSubject(path, c_subj, _subject(path), notes)
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows, cut_last="any"):
            r = parse(df, lines, subjects)
            conf = confidence(df) if cc else np.zeros(len(df), int)
            low = conf > 0
            ch = subjects.named(fixations(r, ~low))
            if low.any():
                q = quarantine_frame(lines[low], np.where(conf == 2, "bad_confidence", "low_confidence")[low],
                                     r["subject"][low], r["stimulus"][low], r["x"][low], r["y"][low])
                ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True)
            yield with_malformed(ch, malformed, read_lines=lines)

    def surface_chunks() -> Iterator[Chunk]:
        """One chunk for the whole file: a fixation's frame rows may lie in different blocks of lines."""
        parts, bad_lines, n_read = [], [], 0
        subjects = FileSubject(path, c_subj, _subject(path), notes)
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows, cut_last="any"):
            r = parse(df, lines, subjects)
            r["fid"] = text(df[c_id], len(df))
            r["on"] = _on_surf(df[c_on])
            if cc:  # not written by Pupil Player's surface export; honoured when present
                conf = confidence(df)
                r["on"] = np.where(conf == 2, -3, np.where(conf == 1, -2, r["on"]))
            parts.append(r)
            bad_lines.append(malformed)
            n_read += len(lines) + len(malformed)
        if parts:
            r = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        else:
            r = parse(pd.DataFrame({c: pd.Series(dtype=str) for c in usecols}), np.zeros(0, np.int64), subjects)
            r["fid"], r["on"] = np.zeros(0, object), np.zeros(0, int)
        n = len(r["line"])
        order = np.argsort(r["line"], kind="stable")
        r = {k: v[order] for k, v in r.items()}
        reason = np.full(n, "", dtype=object)
        reason[r["on"] == -1] = "bad_on_surf"
        reason[r["on"] == -2] = "low_confidence"
        reason[r["on"] == -3] = "bad_confidence"
        reason[r["fid"] == ""] = "no_fixation_id"
        if c_subj and subjects.used:  # a row without a subject would make a fixation of its own (the key holds it)
            reason[(r["subject"] == "") & (reason == "")] = "no_subject"
        usable = reason == ""
        keep = np.zeros(n, bool)  # the row that stands for its fixation
        off = np.zeros(n, bool)  # the row that stands for a fixation never on the surface (quarantined)
        frame = np.zeros(n, bool)  # further rows of a fixation (counted)
        x, y = r["x"].copy(), r["y"].copy()
        idx = np.flatnonzero(usable)
        if idx.size:
            key = pd.Series(r["fid"][idx]).astype(str) + "\x1f" + pd.Series(r["subject"][idx]).astype(str)
            for rows in pd.Series(idx).groupby(key.to_numpy(), sort=False).agg(list).tolist():
                rows = np.asarray(rows)
                on = rows[r["on"][rows] == 1]
                if on.size:
                    first = on[0]
                    keep[first] = True
                    pos = on[np.isfinite(r["x"][on]) & np.isfinite(r["y"][on])]
                    if pos.size:  # the mean of the frames' positions on the surface
                        x[first], y[first] = r["x"][pos].mean(), r["y"][pos].mean()
                else:
                    first = rows[0]
                    off[first] = True
                frame[rows[rows != first]] = True
        r["x"], r["y"] = x, y
        ch = fixations(r, keep)
        bad = ~usable
        q = quarantine_frame(r["line"][bad | off], np.where(off, "off_surface", reason)[bad | off],
                             r["subject"][bad | off], r["stimulus"][bad | off], r["x"][bad | off],
                             r["y"][bad | off])
        ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True)
        if frame.any():
            ch.counted[FRAME_ROW] = int(frame.sum())
        ch = with_malformed(ch, np.concatenate(bad_lines) if bad_lines else np.zeros(0, np.int64))
        ch.quarantine = ch.quarantine.sort_values("line", kind="stable").reset_index(drop=True)
        ch.rows_read = n_read
        yield ch

    notes["min_confidence"] = min_confidence if cc else None  # the threshold applied (None: no confidences)
    return LogReader(path, "pupil", "fixations", surface_chunks if c_on else chunks, notes=notes)


def example_file(path: Path, rng, n: int) -> int:
    """A small valid ``fixations.csv`` with ``n`` data rows (row-accounting tests)."""
    rows = [f"{k},{10 + 0.3 * k:.3f},{rng.uniform(60, 400):.1f},{rng.uniform(0, 1):.4f},{rng.uniform(0, 1):.4f},"
            f"1.0,{rng.uniform(0.4, 1):.3f},img{k % 2}" for k in range(n)]
    path.write_text("id,start_timestamp,duration,norm_pos_x,norm_pos_y,dispersion,confidence,stimulus\n"
                    + "\n".join(rows) + "\n")
    return n

"""``gazepoint``: Gazepoint (GP3) exports: Gazepoint Analysis ``User N_all_gaze.csv`` / ``User N_fixations.csv``.

Fields from the Gazepoint Open Gaze API (``../shared/REFERENCES.md`` section
6) as Gazepoint Analysis writes them (column order seen in public converters
and readers, e.g. the ``eyeprocess`` R package's Gazepoint Analysis 7.2
adapter): ``MEDIA_ID, MEDIA_NAME, CNT, TIME(<start date>)`` (seconds, restarts
with each media), ``TIMETICK(f=<ticks per second>)`` (the monotonic recording
clock), ``FPOGX, FPOGY`` (fixation point of gaze, fraction of the screen,
origin top-left), ``FPOGS`` (fixation start, s), ``FPOGD`` (duration so far,
s), ``FPOGID`` (fixation number, restarts with each media), ``FPOGV`` (1 =
valid), ``BPOGX, BPOGY, BPOGV`` (best point of gaze per sample), ``USER``;
comma-separated, each line may end with a comma.

- **samples** (a file with ``BPOGX/BPOGY``): one row per camera frame; time
  from ``TIMETICK`` (else ``TIME``); valid when ``BPOGV`` is 1 and the point
  is a number. Coordinates stay fractions of the screen (space
  ``screen_norm``): the screen size comes from the geometry. Eyes
  (``ReadOptions.eye``): ``average`` (the default) reads ``BPOGX/BPOGY``,
  Gazepoint's best point of gaze (the average of the valid eyes);
  ``left`` / ``right`` read that eye's ``LPOGX/LPOGY`` (``RPOGX/RPOGY``),
  valid where its ``LPOGV`` (``RPOGV``) is 1 and the point is a number. An
  export without the chosen eye's columns is refused when it is opened, one
  with no valid sample of that eye while the other eye has some (a
  monocular recording) after reading, each with one line.
- **fixations** (``tracker_events``, a file without ``BPOG`` columns, or a
  fixation export, whose ``BPOG`` columns hold one gaze point per fixation,
  not a sample stream: a file named ``*_fixations.csv``, or one named
  neither that nor ``*_all_gaze.csv`` (a renamed export, REFLACX's
  ``fixations.csv``) whose content is Gazepoint Analysis' fixation export: it has
  ``FPOGD``, and among its first :data:`PROBE_ROWS` data rows at least two
  pairs of consecutive valid rows (``FPOGV`` 1, an ``FPOGID``) of one media,
  none of which repeats the ``FPOGID``, where a sample stream repeats it on
  every frame of a fixation): Gazepoint's own fixations. Consecutive rows with the
  same (``MEDIA_ID``, ``FPOGID``) are one fixation that grows; it is kept
  once, from its last valid row (``FPOGV`` 1: final position and duration),
  starting at ``FPOGS`` (without ``FPOGS``: that row's ``TIME`` less its
  ``FPOGD``, the duration so far, which is where the fixation began, as
  Gazepoint Analysis writes ``TIME = FPOGS + FPOGD``; ``TIMETICK`` only
  when there is no ``TIME``); its earlier valid rows
  are counted as ``fixation_sample``, rows with ``FPOGV`` 0 as
  ``not_fixation`` (row accounting, :mod:`data_tools.readers.base`). A
  ``_fixations.csv`` export has one row per fixation, which this reads the
  same way. Gazepoint's fixations are of both eyes together: ``eye``
  left/right is refused for them.

A data row is one non-blank line after the column line. Stimulus:
``MEDIA_NAME`` (trial: ``MEDIA_ID``); subject: the file stem without
``_all_gaze`` / ``_fixations`` (``User 0``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions, check_eye, \
    eye_columns_missing, header_columns, no_eye_in_events, one_eye_only
from saliency.data_tools.readers.chunks import csv_chunks, non_finite, numeric, sample_chunk, \
    text, with_malformed
from saliency.data_tools.readers.vendor import add_counted, require_columns, vendor_fixations

DETECT_RANK = 22  # vendor column names
SUFFIXES: tuple[str, ...] = ()
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()
VENDOR = "Gazepoint"
EYES = True  # honours ReadOptions.eye (samples: LPOG / RPOG)


def sniff(probe: Probe) -> bool:
    """Gazepoint's point-of-gaze columns (``FPOGX`` or ``BPOGX``)."""
    names = {n.split("(")[0].strip() for n in probe.names}
    return "fpogx" in names or "bpogx" in names


def subject_of(path: Path) -> str:
    """``User 0_all_gaze.csv`` -> ``User 0``."""
    return re.sub(r"_(all_gaze|fixations|fixation)$", "", path.stem, flags=re.I) or path.stem


def is_fixation_file(path: Path) -> bool:
    """``User 0_fixations.csv``: Gazepoint Analysis' fixation export (one row per fixation)."""
    return re.search(r"_fixations?$", path.stem, flags=re.I) is not None


def is_samples_file(path: Path) -> bool:
    """``User 0_all_gaze.csv``: Gazepoint Analysis' sample export (read as samples whatever its rows)."""
    return re.search(r"_all_gaze$", path.stem, flags=re.I) is not None


#: the data rows read to tell a fixation export by its content (:func:`one_row_per_fixation`)
PROBE_ROWS = 200


def one_row_per_fixation(path: Path, sep: str, by: dict) -> bool:
    """Gazepoint Analysis' fixation export, told by content: ``FPOGD`` present and, in the first
    :data:`PROBE_ROWS` data rows, two or more pairs of consecutive valid rows of one media (``MEDIA_ID``), none
    sharing its ``FPOGID`` (a sample stream writes one fixation's ``FPOGID`` on each of its frames)."""
    c_id, c_v, c_m = by.get("FPOGID"), by.get("FPOGV"), by.get("MEDIA_ID")
    if not c_id or "FPOGD" not in by:
        return False
    gen = csv_chunks(path, sep, sorted({c for c in (c_id, c_v, c_m) if c}), PROBE_ROWS, cut_last="any")
    try:
        df = next(gen)[0]
    except StopIteration:
        return False
    finally:
        gen.close()
    n = len(df)
    fid = text(df[c_id], n)
    valid = fid != ""
    if c_v:
        valid &= numeric(df[c_v])[0] == 1
    media = text(df[c_m], n) if c_m else np.full(n, "", object)
    fid, media = fid[valid], media[valid]
    pair = media[1:] == media[:-1]
    return int(pair.sum()) >= 2 and not bool((fid[1:] == fid[:-1])[pair].any())


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Gazepoint samples (``BPOG``), or its fixations (``FPOG``) with ``tracker_events`` or from a fixation file."""
    header, sep = header_columns(path)
    eye = check_eye(opts.eye)
    by = {}
    for h in header:
        if h:
            by.setdefault(h.split("(")[0].strip().upper(), h)
    tick = by.get("TIMETICK")
    tick_hz = None
    if tick:
        m = re.search(r"f\s*=\s*([\d.eE+]+)", tick)
        tick_hz = float(m.group(1)) if m else None
        if not tick_hz or not np.isfinite(tick_hz) or tick_hz <= 0:
            tick = None
    c_time = by.get("TIME")
    c_stim, c_trial = by.get("MEDIA_NAME"), by.get("MEDIA_ID")
    subject = subject_of(path)
    has_b = "BPOGX" in by and "BPOGY" in by
    # a fixation export holds one row per fixation (its BPOG columns too): never samples
    fix_mode = opts.tracker_events or not has_b or is_fixation_file(path) \
        or (not is_samples_file(path) and one_row_per_fixation(path, sep, by))
    if fix_mode:
        if eye != "average":
            raise no_eye_in_events(path, eye, "Gazepoint's fixations (FPOGX/FPOGY)")
        need = {"FPOGX": "fixation x, fraction of the screen", "FPOGY": "fixation y, fraction of the screen",
                "FPOGD": "fixation duration, s", "FPOGID": "fixation number"}
        # matched by the name before any "(...)", case aside; the refusal quotes the column line as written
        require_columns(VENDOR, path, 1, [h for h in header if h], {k: v for k, v in need.items() if k not in by})
        if "FPOGS" not in by and not (c_time or tick):
            raise UserError(f"{path}: read as a {VENDOR} export, but its column line 1 has neither FPOGS "
                            f"(fixation start) nor TIME/TIMETICK")
        chunks = _fixations(path, sep, by, c_time, tick, tick_hz, c_stim, c_trial, subject, opts.chunk_rows)
    else:
        if not (c_time or tick):
            raise UserError(f"{path}: read as a {VENDOR} export, but its column line 1 has no time column "
                            f"(TIME(...) or TIMETICK(f=...)); the line has: {', '.join(h for h in header if h)}")
        if eye != "average":
            p = eye[0].upper()
            need = [f"{p}POGX", f"{p}POGY", f"{p}POGV"]
            if not all(c in by for c in need):
                raise eye_columns_missing(path, VENDOR, eye, need, [h for h in header if "POG" in h.upper()],
                                          average="BPOGX/BPOGY")
        chunks = _samples(path, sep, by, c_time, tick, tick_hz, c_stim, c_trial, subject, opts.chunk_rows, eye)
    notes = {"tick_hz": tick_hz} if tick_hz else {}
    if not fix_mode:
        notes["eye"] = eye
    return LogReader(path, "gazepoint", "fixations" if fix_mode else "samples", chunks, notes=notes)


def _time_ms(df, c_time, tick, tick_hz):
    if tick:
        v, m, b = numeric(df[tick])
        return v * (1000.0 / tick_hz), m | b, non_finite(df[tick], v)
    v, m, b = numeric(df[c_time])
    return v * 1000.0, m | b, non_finite(df[c_time], v)


def _samples(path, sep, by, c_time, tick, tick_hz, c_stim, c_trial, subject, chunk_rows, eye="average"):
    if eye == "average":
        c_x, c_y, c_v = by["BPOGX"], by["BPOGY"], by.get("BPOGV")
        c_ov = None
    else:  # the chosen eye's point and validity; the other eye's validity tells a monocular recording
        p, o = eye[0].upper(), "R" if eye == "left" else "L"
        c_x, c_y, c_v, c_ov = by[f"{p}POGX"], by[f"{p}POGY"], by[f"{p}POGV"], by.get(f"{o}POGV")
    usecols = sorted({c for c in (c_time, tick, c_stim, c_trial, c_x, c_y, c_v, c_ov) if c})

    def chunks() -> Iterator[Chunk]:
        n_eye = n_other = 0  # eye left/right: valid samples of the chosen eye and of the other one
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows, cut_last="any"):
            n = len(df)
            t, bad_t, nf_t = _time_ms(df, c_time, tick, tick_hz)
            x, _, xb = numeric(df[c_x])
            y, _, yb = numeric(df[c_y])
            valid = np.isfinite(x) & np.isfinite(y)
            if c_v:
                valid &= numeric(df[c_v])[0] == 1
            if eye != "average":
                n_eye += int(valid.sum())
                if c_ov:
                    n_other += int((numeric(df[c_ov])[0] == 1).sum())
            stim = text(df[c_stim], n, whole=False) if c_stim else np.full(n, "", object)
            trial = text(df[c_trial], n) if c_trial else np.full(n, "", object)
            ch = sample_chunk(lines, np.full(n, subject, object), stim, trial, t, x, y, valid, bad_t & ~nf_t,
                              xb | yb, non_finite_time=nf_t)
            ch.space = "screen_norm"
            yield with_malformed(ch, malformed, subject, read_lines=lines)
        if eye != "average" and n_eye == 0 and n_other > 0:
            raise one_eye_only(path, eye, n_other)

    return chunks


def _fixations(path, sep, by, c_time, tick, tick_hz, c_stim, c_trial, subject, chunk_rows):
    c_x, c_y, c_d, c_id = by["FPOGX"], by["FPOGY"], by["FPOGD"], by["FPOGID"]
    c_s, c_v = by.get("FPOGS"), by.get("FPOGV")
    usecols = sorted({c for c in (c_time, tick, c_stim, c_trial, c_x, c_y, c_d, c_id, c_s, c_v) if c})

    def parse(df: pd.DataFrame, lines: np.ndarray) -> pd.DataFrame:
        n = len(df)
        out = pd.DataFrame({"line": lines})
        out["stim"] = text(df[c_stim], n, whole=False) if c_stim else ""
        out["trial"] = text(df[c_trial], n) if c_trial else ""
        out["fid"] = text(df[c_id], n)
        out["x"], out["y"] = numeric(df[c_x])[0], numeric(df[c_y])[0]
        d, dm, db = numeric(df[c_d])
        out["dur"], out["bad_d"], out["nf_d"] = d * 1000.0, dm | db, non_finite(df[c_d], d)
        if c_s:
            s, sm, sb = numeric(df[c_s])
            out["t"], out["bad_t"], out["nf_t"] = s * 1000.0, sb, non_finite(df[c_s], s)
        else:  # the row's time less the duration so far (FPOGD): the fixation's start, whichever row is kept;
            # on the TIME clock, FPOGS's own (TIME = FPOGS + FPOGD), not TIMETICK's, which has another origin
            t, bad_t, nf_t = _time_ms(df, c_time, None if c_time else tick, tick_hz)
            t = np.where(np.isfinite(d), t - d * 1000.0, t)
            out["t"], out["bad_t"], out["nf_t"] = t, bad_t & ~nf_t, nf_t
        out["valid"] = (numeric(df[c_v])[0] == 1) if c_v else True
        out["valid"] &= out["fid"] != ""
        return out

    def emit(rows: pd.DataFrame, final: bool) -> tuple[Chunk, pd.DataFrame]:
        """Fixations of ``rows`` (runs of one media and FPOGID); the last run is held back unless ``final``."""
        key = (rows["trial"].astype(str) + "\x1f" + rows["fid"].astype(str)).to_numpy()
        start = np.ones(len(rows), bool)
        start[1:] = key[1:] != key[:-1]
        run = np.cumsum(start) - 1
        held = rows.iloc[0:0]
        if not final and len(rows):
            last = run == run[-1]
            held, rows, run = rows[last], rows[~last], run[~last]
        v = rows["valid"].to_numpy(bool)
        pos = np.arange(len(rows))
        chosen = pd.Series(pos[v]).groupby(run[v]).max().to_numpy() if v.any() else np.zeros(0, int)
        pick = np.zeros(len(rows), bool)
        pick[chosen] = True
        r = rows[pick]
        k = len(r)
        subj = np.full(k, subject, object)
        ch = vendor_fixations(r["line"].to_numpy(), subj, r["stim"].to_numpy(object), r["trial"].to_numpy(object),
                              r["x"].to_numpy(), r["y"].to_numpy(), r["t"].to_numpy(), r["dur"].to_numpy(),
                              np.full(k, "", object), "screen_norm", r["bad_t"].to_numpy(bool),
                              r["bad_d"].to_numpy(bool), nf_start=r["nf_t"].to_numpy(bool),
                              nf_dur=r["nf_d"].to_numpy(bool))
        add_counted(ch, np.where(v[~pick], "fixation_sample", "not_fixation"))
        ch.rows_read = len(rows)
        return ch, held

    def chunks() -> Iterator[Chunk]:
        held = None
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows, cut_last="any"):
            rows = parse(df, lines)
            if held is not None and len(held):
                rows = pd.concat([held, rows], ignore_index=True)
            ch, held = emit(rows, final=False)
            ch = with_malformed(ch, malformed, subject)
            ch.rows_read += len(malformed)
            yield ch
        if held is not None and len(held):
            ch, _ = emit(held, final=True)
            yield ch

    return chunks


# ---------------------------------------------------------------- example files (tests, benchmarks)

ALL_GAZE_COLUMNS = ["MEDIA_ID", "MEDIA_NAME", "CNT", "TIME(2023/03/08 09:25:20.493)", "TIMETICK(f=10000000)",
                    "FPOGX", "FPOGY", "FPOGS", "FPOGD", "FPOGID", "FPOGV", "BPOGX", "BPOGY", "BPOGV", "CX", "CY",
                    "CS", "USER", "LPCX", "LPCY", "LPD", "LPS", "LPV", "RPCX", "RPCY", "RPD", "RPS", "RPV", "BKID",
                    "BKDUR", "BKPMIN", "LPMM", "LPMMV", "RPMM", "RPMMV", "SACCADE_MAG", "SACCADE_DIR"]


def example_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write a Gazepoint Analysis ``all_gaze`` export of ``n`` data rows (60 Hz; 10 media of n/10 rows;
    fixations of 15 samples separated by 3 saccade samples with ``FPOGV`` 0)."""
    from saliency.data_tools.readers.vendor import write_table
    k = np.arange(n)
    per = max(1, n // 10)
    media = np.minimum(k // per, 9)
    within = k - media * per
    fid = within // 18 + 1
    pos = within % 18
    fv = (pos < 15).astype(int)
    fx = np.repeat(rng.uniform(0.05, 0.95, n // 18 + 12), 18)[:n]
    fy = np.repeat(rng.uniform(0.05, 0.95, n // 18 + 12), 18)[:n]
    t = within / 60.0
    bx, by = fx + rng.normal(0, 0.005, n), fy + rng.normal(0, 0.005, n)
    bv = (rng.random(n) > 0.02).astype(int)
    data = {"MEDIA_ID": media.astype(str), "MEDIA_NAME": np.char.add(np.char.add("img", (media + 1).astype(str)),
                                                                     ".jpg"),
            "CNT": (k + 1).astype(str), "TIME(2023/03/08 09:25:20.493)": np.char.mod("%.5f", t),
            "TIMETICK(f=10000000)": (123_456_789_000 + k * 166_667).astype(str),
            "FPOGX": np.char.mod("%.5f", fx), "FPOGY": np.char.mod("%.5f", fy),
            "FPOGS": np.char.mod("%.5f", (within - pos) / 60.0), "FPOGD": np.char.mod("%.5f", pos / 60.0),
            "FPOGID": fid.astype(str), "FPOGV": fv.astype(str), "BPOGX": np.char.mod("%.5f", bx),
            "BPOGY": np.char.mod("%.5f", by), "BPOGV": bv.astype(str), "USER": np.full(n, "", object)}
    write_table(path, "", ALL_GAZE_COLUMNS, data, sep=",", tail=",")
    return n


def example_events_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """The ``all_gaze`` export of :func:`example_file`, read for Gazepoint's fixations (``tracker_events``)."""
    return example_file(path, rng, n)

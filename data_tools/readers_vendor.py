"""Readers for vendor exports: EyeLink (Data Viewer report, ASC), Tobii Pro Lab, Pupil Labs, SALICON.

Field names and conventions from ``../shared/REFERENCES.md`` section 3:

- EyeLink Data Viewer fixation report: ``RECORDING_SESSION_LABEL``,
  ``TRIAL_INDEX``, ``CURRENT_FIX_START``/``_END``/``_DURATION``,
  ``CURRENT_FIX_X``/``_Y`` (screen px, top-left), missing values ``.``; the
  stimulus comes from a column (``--columns stimulus=IMAGE``) or ``--trials``.
- EyeLink ASC (``edf2asc``): sample lines ``time x y pupil`` (binocular:
  ``time xl yl pl xr yr pr``; missing ``.``), ``EFIX eye start end dur x y
  pupil``, ``MSG time TRIALID n``, ``MSG time !V IMGLOAD ... file`` or ``MSG
  time !V TRIAL_VAR image|stimulus NAME`` for the stimulus, ``GAZE_COORDS`` /
  ``DISPLAY_COORDS x0 y0 x1 y1`` (highest pixel index) for the resolution.
- Tobii Pro Lab TSV: ``Recording timestamp`` (unit in brackets, µs when
  absent), ``Participant name``, ``Presented Media name``, ``Gaze point
  X/Y``, ``Validity left/right``, ``Eye movement type``, ``Eye movement type
  index``, ``Gaze event duration``, ``Fixation point X/Y``; empty = missing.
- Pupil Labs ``fixations.csv``: ``start_timestamp`` (s), ``duration`` (ms),
  ``norm_pos_x/y`` (0..1, origin bottom-left), ``confidence``.
- SALICON JSON (COCO style): ``annotations[i].fixations = [[row, col], ...]``,
  1-based, in image pixels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.data_tools.readers import (CHUNK_ROWS, Chunk, LogReader, csv_chunks, default_subject, empty_quarantine,
                                fixation_chunk, generic_reader, numeric, quarantine_frame, read_header,
                                resolve_columns, split_unit, text, unit_factor)
from saliency.base.errors import UserError

EYELINK_PRESET = {"subject": "RECORDING_SESSION_LABEL", "trial": "TRIAL_INDEX", "x": "CURRENT_FIX_X",
                  "y": "CURRENT_FIX_Y", "t_start_ms": "CURRENT_FIX_START", "duration_ms": "CURRENT_FIX_DURATION"}


def eyelink_report(path: Path, columns: dict, chunk_rows: int = CHUNK_ROWS) -> LogReader:
    """EyeLink Data Viewer fixation report (screen px; ``.`` = missing)."""
    first, sep = read_header(path)
    header = [h.strip() for h in first.split(sep)]
    preset = {k: v for k, v in EYELINK_PRESET.items() if v in header}
    if "EYE_USED" in header:
        preset["eye"] = "EYE_USED"
    missing = [v for k, v in EYELINK_PRESET.items() if k in ("x", "y") and v not in header]
    if missing and not ({"x", "y"} <= set(columns)):
        raise UserError(f"{path}: EyeLink fixation report without column {', '.join(missing)}")
    return generic_reader(path, "fixations", columns, None, preset=preset, fmt="eyelink-report",
                          chunk_rows=chunk_rows)


# ---------------------------------------------------------------- Tobii Pro Lab

def tobii(path: Path, columns: dict, tracker_events: bool, chunk_rows: int = CHUNK_ROWS) -> LogReader:
    """Tobii Pro Lab data export: gaze samples, or Tobii's own fixations with ``tracker_events``."""
    first, sep = read_header(path)
    header = [h.strip() for h in first.split(sep)]
    by_base = {}
    for h in header:
        by_base.setdefault(split_unit(h)[0], h)

    def col(base, required=True):
        if base in by_base:
            return by_base[base]
        if required:
            raise UserError(f"{path}: Tobii export without a {base!r} column")
        return None

    c_time = col("recording timestamp")
    t_factor = unit_factor(split_unit(c_time)[1], 1e-3, f"{path}: {c_time}")  # µs when no unit given
    c_subj = columns.get("subject") or col("participant name", False)
    c_rec = col("recording name", False)
    c_media = columns.get("stimulus") or col("presented media name", False)
    if tracker_events:
        c_type, c_idx = col("eye movement type"), col("eye movement type index")
        c_fx, c_fy = col("fixation point x"), col("fixation point y")
        c_dur = col("gaze event duration")
        d_factor = unit_factor(split_unit(c_dur)[1], 1.0, f"{path}: {c_dur}")
        use = [c_time, c_type, c_idx, c_fx, c_fy, c_dur]
    else:
        c_x, c_y = columns.get("x") or col("gaze point x"), columns.get("y") or col("gaze point y")
        c_vl, c_vr = col("validity left", False), col("validity right", False)
        use = [c_time, c_x, c_y, c_vl, c_vr]
    use += [c_subj, c_rec, c_media]
    usecols = sorted({c for c in use if c})
    subj_default = default_subject(path)

    def chunks() -> Iterator[Chunk]:
        for df, lines in csv_chunks(path, sep, usecols, chunk_rows):
            n = len(df)
            subject = text(df[c_subj] if c_subj else None, n, subj_default)
            rec = text(df[c_rec] if c_rec else None, n)
            stimulus = text(df[c_media] if c_media else None, n)
            t, tm, tb = numeric(df[c_time])
            t = t * t_factor
            if tracker_events:
                typ = text(df[c_type], n)
                fix = (typ == "Fixation") & ~(tm | tb)
                if not fix.any():
                    yield Chunk("fixations", "screen", pd.DataFrame(columns=["subject"]), empty_quarantine())
                    continue
                idx = text(df[c_idx], n)
                fx = numeric(df[c_fx])[0]
                fy = numeric(df[c_fy])[0]
                dur = numeric(df[c_dur])[0] * d_factor
                g = pd.DataFrame({"subject": subject[fix], "trial": rec[fix], "idx": idx[fix],
                                  "stimulus": stimulus[fix], "t": t[fix], "x": fx[fix], "y": fy[fix],
                                  "dur": dur[fix], "line": lines[fix]})
                a = g.groupby(["subject", "trial", "idx"], sort=False).agg(
                    stimulus=("stimulus", "first"), t=("t", "min"), x=("x", "first"), y=("y", "first"),
                    dur=("dur", "first"), line=("line", "min")).reset_index()
                ch = fixation_chunk(a["line"].to_numpy(), a["subject"].to_numpy(), a["stimulus"].to_numpy(),
                                    a["trial"].to_numpy(), a["x"].to_numpy(), a["y"].to_numpy(),
                                    a["t"].to_numpy(), a["dur"].to_numpy(), np.full(len(a), "B", object),
                                    "screen")
                ch.df["_key"] = a["subject"].astype(str) + "\x1f" + a["trial"].astype(str) + "\x1f" + \
                    a["idx"].astype(str)
                yield ch
            else:
                x, xm, xb = numeric(df[c_x])
                y, ym, yb = numeric(df[c_y])
                valid = np.isfinite(x) & np.isfinite(y)
                if c_vl or c_vr:
                    vl = text(df[c_vl], n) == "Valid" if c_vl else np.zeros(n, bool)
                    vr = text(df[c_vr], n) == "Valid" if c_vr else np.zeros(n, bool)
                    valid &= vl | vr
                bad = xb | yb | tb | tm
                reason = np.where(tm | tb, "bad_time", "non_numeric")
                q = quarantine_frame(lines[bad], reason[bad], subject[bad], stimulus[bad], x[bad], y[bad])
                ok = ~bad & (stimulus != "")  # rows outside any presented media are not part of a trial
                yield Chunk("samples", "screen", pd.DataFrame({
                    "subject": subject[ok], "stimulus": stimulus[ok], "trial": rec[ok], "time_ms": t[ok],
                    "x": np.where(valid, x, np.nan)[ok], "y": np.where(valid, y, np.nan)[ok],
                    "valid": valid[ok], "line": lines[ok]}), q)

    return LogReader(path, "tobii", "fixations" if tracker_events else "samples", chunks,
                     notes={"timestamp_ms_per_unit": t_factor})


# ---------------------------------------------------------------- Pupil Labs

def pupil(path: Path, columns: dict, min_confidence: float, chunk_rows: int = CHUNK_ROWS) -> LogReader:
    """Pupil Labs ``fixations.csv`` (normalised coordinates, origin bottom-left; confidence filter)."""
    first, sep = read_header(path)
    header = [h.strip() for h in first.split(sep)]
    cols = resolve_columns(header, columns, path)
    hs = set(header)
    cx = columns.get("x") or ("norm_pos_x" if "norm_pos_x" in hs else "x_norm")
    cy = columns.get("y") or ("norm_pos_y" if "norm_pos_y" in hs else "y_norm")
    cs = "start_timestamp" if "start_timestamp" in hs else None
    cd = "duration" if "duration" in hs else None
    cc = columns.get("confidence") or ("confidence" if "confidence" in hs else None)
    for c in (cx, cy):
        if c not in hs:
            raise UserError(f"{path}: Pupil Labs export without column {c}")
    c_subj = cols.get("subject", (None,))[0]
    c_stim = cols.get("stimulus", (None,))[0]
    c_trial = cols.get("trial", (None,))[0]
    usecols = sorted({c for c in (cx, cy, cs, cd, cc, c_subj, c_stim, c_trial) if c})
    subj_default = default_subject(path)

    def chunks() -> Iterator[Chunk]:
        for df, lines in csv_chunks(path, sep, usecols, chunk_rows):
            n = len(df)
            subject = text(df[c_subj] if c_subj else None, n, subj_default)
            stimulus = text(df[c_stim] if c_stim else None, n)
            trial = text(df[c_trial] if c_trial else None, n)
            x = numeric(df[cx])[0]
            y = 1.0 - numeric(df[cy])[0]  # bottom-left origin -> top-left
            start = numeric(df[cs])[0] * 1000.0 if cs else np.full(n, np.nan)
            dur = numeric(df[cd])[0] if cd else np.full(n, np.nan)
            low = np.zeros(n, bool)
            if cc:
                conf = numeric(df[cc])[0]
                low = ~(conf >= min_confidence)
            ch = fixation_chunk(lines[~low], subject[~low], stimulus[~low], trial[~low], x[~low], y[~low],
                                start[~low], dur[~low], np.full(int((~low).sum()), "", object), "screen_norm")
            if low.any():
                q = quarantine_frame(lines[low], "low_confidence", subject[low], stimulus[low], x[low], y[low])
                ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True)
            yield ch

    return LogReader(path, "pupil", "fixations", chunks)


# ---------------------------------------------------------------- SALICON

def salicon(path: Path) -> LogReader:
    """SALICON fixations JSON: points ``[row, col]`` (1-based, image pixels) per worker and image."""

    def chunks() -> Iterator[Chunk]:
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror})") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(d, dict) or not isinstance(d.get("annotations"), list):
            raise UserError(f"{path}: not a SALICON fixations file (no 'annotations' list)")
        names = {im.get("id"): im.get("file_name", str(im.get("id"))) for im in d.get("images", [])}
        lines, subj, stim, xs, ys = [], [], [], [], []
        bad_lines = []
        for i, ann in enumerate(d["annotations"], start=1):
            try:
                pts = np.asarray(ann["fixations"], dtype=np.float64).reshape(-1, 2)
                img = ann["image_id"]
            except (KeyError, TypeError, ValueError):
                bad_lines.append(i)
                continue
            k = len(pts)
            lines.append(np.full(k, i))
            subj.append(np.full(k, f"w{ann.get('worker_id', i)}", object))
            stim.append(np.full(k, str(names.get(img, img)), object))
            ys.append(pts[:, 0] - 1.0)
            xs.append(pts[:, 1] - 1.0)
        cat = lambda v, dt: np.concatenate(v) if v else np.zeros(0, dt)  # noqa: E731
        ln = cat(lines, np.int64)
        n = len(ln)
        ch = fixation_chunk(ln, cat(subj, object), cat(stim, object), np.full(n, "", object), cat(xs, float),
                            cat(ys, float), np.full(n, np.nan), np.full(n, np.nan), np.full(n, "", object),
                            "stimulus")
        if bad_lines:
            ch.quarantine = pd.concat([ch.quarantine, quarantine_frame(bad_lines, "malformed_annotation")],
                                      ignore_index=True)
        yield ch

    return LogReader(path, "salicon", "fixations", chunks)


# ---------------------------------------------------------------- EyeLink ASC

_COORDS = re.compile(r"(GAZE_COORDS|DISPLAY_COORDS)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)")
_STIM_VAR = re.compile(r"!V\s+TRIAL_VAR\s+(stimulus|image|media|stimulus_name|img)\s+(\S+)", re.I)
_IMGLOAD = re.compile(r"!V\s+IMGLOAD\s+\S+\s+(\S+)")


def _asc_resolution(path: Path) -> tuple[int, int] | None:
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        for k, line in enumerate(fh):
            m = _COORDS.search(line)
            if m:
                x0, y0, x1, y1 = (float(v) for v in m.groups()[1:])
                return int(round(x1 - x0 + 1)), int(round(y1 - y0 + 1))
            if k > 200_000:
                break
    return None


def eyelink_asc(path: Path, tracker_events: bool, block: int = 200_000) -> LogReader:
    """EyeLink ASC: raw samples (or EFIX events with ``tracker_events``), trials from TRIALID messages."""
    subject = default_subject(path)

    def chunks() -> Iterator[Chunk]:
        trial, stim = "", ""
        binocular = False
        rows: list[tuple] = []
        bad: list[int] = []

        def flush():
            nonlocal rows, bad
            q = quarantine_frame(bad, "non_numeric", np.full(len(bad), subject, object)) if bad \
                else empty_quarantine()
            if tracker_events:
                a = np.array(rows, dtype=object).reshape(-1, 8)
                ch = fixation_chunk(a[:, 0].astype(np.int64), np.full(len(a), subject, object), a[:, 1],
                                    a[:, 2], a[:, 3].astype(float), a[:, 4].astype(float),
                                    a[:, 5].astype(float), a[:, 6].astype(float), a[:, 7], "screen")
                ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True)
            else:
                a = np.array(rows, dtype=object).reshape(-1, 6)
                x = a[:, 4].astype(float)
                y = a[:, 5].astype(float)
                valid = np.isfinite(x) & np.isfinite(y)
                ch = Chunk("samples", "screen", pd.DataFrame({
                    "subject": np.full(len(a), subject, object), "stimulus": a[:, 1], "trial": a[:, 2],
                    "time_ms": a[:, 3].astype(float), "x": x, "y": y, "valid": valid,
                    "line": a[:, 0].astype(np.int64)}), q)
            rows, bad = [], []
            return ch

        def num(tok):
            return np.nan if tok in (".", "") else float(tok)

        try:
            fh = open(path, "r", encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror})") from None
        with fh:
            for ln, line in enumerate(fh, start=1):
                if not line or line[0] == "*":
                    continue
                c = line[0]
                if c.isdigit():
                    if tracker_events or not stim and not trial:
                        continue
                    tok = line.split()
                    try:
                        t = float(tok[0])
                        if binocular and len(tok) >= 7:
                            xl, yl, xr, yr = num(tok[1]), num(tok[2]), num(tok[4]), num(tok[5])
                            x = np.nanmean([xl, xr]) if not (np.isnan(xl) and np.isnan(xr)) else np.nan
                            y = np.nanmean([yl, yr]) if not (np.isnan(yl) and np.isnan(yr)) else np.nan
                        else:
                            x, y = num(tok[1]), num(tok[2])
                    except (ValueError, IndexError):
                        bad.append(ln)
                        continue
                    rows.append((ln, stim, trial, t, x, y))
                elif line.startswith("MSG"):
                    if "TRIALID" in line:
                        trial = line.split("TRIALID", 1)[1].strip().split()[0] if \
                            line.split("TRIALID", 1)[1].strip() else ""
                        stim = ""
                        continue
                    m = _STIM_VAR.search(line) or _IMGLOAD.search(line)
                    if m:
                        stim = Path(m.groups()[-1].replace("\\", "/")).name
                elif line.startswith("EFIX") and tracker_events:
                    tok = line.split()
                    try:
                        eye, t0, dur = tok[1], float(tok[2]), float(tok[4])
                        x, y = num(tok[5]), num(tok[6])
                    except (ValueError, IndexError):
                        bad.append(ln)
                        continue
                    rows.append((ln, stim, trial, x, y, t0, dur, eye))
                elif line.startswith("SAMPLES") or line.startswith("START"):
                    binocular = "LEFT" in line and "RIGHT" in line
                if len(rows) >= block:
                    yield flush()
        yield flush()

    return LogReader(path, "eyelink-asc", "fixations" if tracker_events else "samples", chunks,
                     screen_px=_asc_resolution(path))

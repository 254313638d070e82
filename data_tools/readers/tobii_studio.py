"""``tobii-studio``: Tobii Studio (1.x-3.x) text exports: the fixation export and the All-Data sample export.

Layout (``../shared/REFERENCES.md`` section 6; checked against real exports
in EMDAT, ``Human-AI-Interaction-UBC/EMDAT`` ``PrimeClimbData/*-Fixation-Data.tsv``
and its ``TobiiV2Recording.py``, and the column lists of public All-Data
readers): a ``Data properties:`` block of ``Key: value`` lines (``Recording
date``, ``Subject``, ``Recording``, ``Screen resolution: 1280 x 1024`` -> the
screen the file declares, ``Coordinate unit: Pixels``), an optional
``Filter settings:`` block (``Eye``, ``Fixation filter``, ``Fixation
radius``), blank lines, then one tab-separated table (each line may end
with a tab). Column sets vary with the export settings; columns are matched
by name:

- **fixation export**: ``FixationIndex``, ``Timestamp`` (ms from the
  recording start), ``FixationDuration`` (ms), ``MappedFixationPointX/Y``
  (screen px; negative or beyond the screen = off screen), optionally
  ``StimuliName`` / ``MediaName``;
- **All-Data export** (samples): ``Timestamp`` (ms), ``Number``,
  ``GazePointXLeft/YLeft``, ``ValidityLeft``, the same for Right,
  ``GazePointX/Y`` (both eyes averaged, screen px), ``Event``,
  ``StimuliName``, ``StimuliID``, ``FixationIndex``, ``MappedFixationPointX/Y``,
  ``FixationDuration``. Tobii validity codes run 0 (certain) to 4 (eye not
  found); a sample is valid when one eye's code is 0 or 1 (as EMDAT reads
  it) and its gaze point is a number. Rows that only carry an ``Event``
  (no gaze columns filled) are counted as ``event_row`` (by design, see
  below). With
  ``tracker_events`` the All-Data rows give Tobii's fixations: one per
  (StimuliName, FixationIndex) run (rows without an index in between, lost
  samples, do not split it), starting at its first row's ``Timestamp``,
  at ``MappedFixationPointX/Y``, lasting ``FixationDuration``; its other rows
  are counted as ``fixation_sample``, rows outside any fixation as
  ``not_fixation``.

A data row is one non-blank line after the column line (the header blocks
are not rows). Rows set aside by design are counted per reason, not listed
(row accounting, :mod:`data_tools.readers.base`).

The subject is the header's ``Subject`` (else ``Recording``, else the file
stem); the stimulus the ``StimuliName``/``MediaName`` column; the trial
``StimuliID`` when present. Times are milliseconds as exported; ``time_unit``
is not used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions, default_subject
from saliency.data_tools.readers.chunks import csv_chunks, non_finite, numeric, \
    sample_chunk, text, with_malformed
from saliency.data_tools.readers.vendor import add_counted, head_lines, meta_value, require_columns, \
    vendor_fixations, wxh

DETECT_RANK = 13  # the first line's signature
SUFFIXES: tuple[str, ...] = ()
VENDOR = "Tobii Studio"
_BLOCKS = ("data properties:", "filter settings:")


def sniff(probe: Probe) -> bool:
    """The ``Data properties:`` (or ``Filter settings:``) block that starts a Tobii Studio export."""
    return probe.first.strip().lower() in _BLOCKS


def _scan(path: Path) -> dict:
    meta: dict[str, str] = {}
    last = 0
    for k, line in head_lines(path, 500):
        last = k
        s = line.strip()
        if not s or s.lower() in _BLOCKS:
            continue
        if "\t" in s:
            cols = [c.strip() for c in line.split("\t")]
            while cols and not cols[-1]:
                cols.pop()
            return {"meta": meta, "col_line": k, "cols": cols}
        kv = meta_value(s)
        if kv is None:
            raise UserError(f"{path}: looks like a {VENDOR} export but line {k} is neither a 'Key: value' line of "
                            f"its header block nor a tab-separated column line: {s[:80]!r}")
        meta.setdefault(kv[0], kv[1])
    raise UserError(f"{path}: looks like a {VENDOR} export but its header block ends at line {last} without a "
                    f"column line (FixationIndex, Timestamp, ... or Timestamp, GazePointX, ...)")


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Tobii Studio fixation export (fixations) or All-Data export (samples; with ``tracker_events``: fixations)."""
    info = _scan(path)
    meta, cols, at = info["meta"], info["cols"], info["col_line"]
    unit = meta.get("coordinate unit", "Pixels")
    if unit.lower() not in ("pixels", "pixel", "px"):
        raise UserError(f"{path}: {VENDOR} export in 'Coordinate unit: {unit}'; export in pixels")
    screen = wxh(meta["screen resolution"]) if "screen resolution" in meta else None
    subject = meta.get("subject") or meta.get("recording") or default_subject(path)
    low = {c.lower(): c for c in cols if c}
    c_stim = low.get("stimuliname") or low.get("medianame")
    c_trial = low.get("stimuliid") or low.get("mediaid")
    all_data = "gazepointx" in low or "gazepointxleft" in low or "gazepointxright" in low
    notes = {"recording": meta["recording"]} if "recording" in meta else {}
    if not all_data:
        require_columns(VENDOR, path, at, cols, {"Timestamp": "ms", "FixationDuration": "ms",
                                                 "MappedFixationPointX": "screen px",
                                                 "MappedFixationPointY": "screen px"})
        chunks = _fixations(path, at, low, subject, c_stim, c_trial, opts.chunk_rows, aggregate=False)
        kind = "fixations"
    elif opts.tracker_events:
        require_columns(VENDOR, path, at, cols, {"Timestamp": "ms", "FixationIndex": "Tobii's fixation number",
                                                 "FixationDuration": "ms", "MappedFixationPointX": "screen px",
                                                 "MappedFixationPointY": "screen px"})
        chunks = _fixations(path, at, low, subject, c_stim, c_trial, opts.chunk_rows, aggregate=True)
        kind = "fixations"
    else:
        require_columns(VENDOR, path, at, cols, {"Timestamp": "ms"})
        chunks = _samples(path, at, low, subject, c_stim, c_trial, opts.chunk_rows)
        kind = "samples"
    return LogReader(path, "tobii-studio", kind, chunks, screen_px=screen, notes=notes)


def _fixations(path, at, low, subject, c_stim, c_trial, chunk_rows, aggregate):
    c_t, c_d = low["timestamp"], low["fixationduration"]
    c_x, c_y = low["mappedfixationpointx"], low["mappedfixationpointy"]
    c_i = low.get("fixationindex")
    usecols = sorted({c for c in (c_t, c_d, c_x, c_y, c_i, c_stim, c_trial) if c})
    carry = {"key": None}

    def chunks() -> Iterator[Chunk]:
        for df, lines, malformed in csv_chunks(path, "\t", usecols, chunk_rows, header_line=at):
            n = len(df)
            stim = text(df[c_stim], n) if c_stim else np.full(n, "", object)
            trial = text(df[c_trial], n) if c_trial else np.full(n, "", object)
            t, _, tb = numeric(df[c_t])
            nf_t = non_finite(df[c_t], t)
            d, dm, db = numeric(df[c_d])
            nf_d = non_finite(df[c_d], d)
            bad_t, bad_d = tb & ~nf_t, (dm | db) & ~nf_d
            x, _, _ = numeric(df[c_x])
            y, _, _ = numeric(df[c_y])
            subj = np.full(n, subject, object)
            eye = np.full(n, "", object)
            if not aggregate:
                yield with_malformed(vendor_fixations(lines, subj, stim, trial, x, y, t, d, eye, "screen", bad_t,
                                                      bad_d, nf_start=nf_t, nf_dur=nf_d),
                                     malformed, subject, read_lines=lines)
                continue
            idx = text(df[c_i], n)
            in_fix = idx != ""
            where = np.flatnonzero(in_fix)  # a fixation's rows may have lost samples (no index) between them
            key = np.array([f"{stim[i]}\x1f{idx[i]}" for i in where], dtype=object)
            first = np.zeros(n, bool)
            if len(where):
                prev = np.concatenate(([carry["key"]], key[:-1]))
                first[where] = key != prev
                carry["key"] = key[-1]
            ch = vendor_fixations(lines[first], subj[first], stim[first], trial[first], x[first], y[first],
                                  t[first], d[first], eye[first], "screen", bad_t[first], bad_d[first],
                                  nf_start=nf_t[first], nf_dur=nf_d[first])
            rest = ~first
            add_counted(ch, np.where(in_fix[rest], "fixation_sample", "not_fixation"))
            yield with_malformed(ch, malformed, subject, read_lines=lines)

    return chunks


def _samples(path, at, low, subject, c_stim, c_trial, chunk_rows):
    c_t = low["timestamp"]
    pairs = []
    for suffix, vcol in (("", None), ("left", "validityleft"), ("right", "validityright")):
        cx, cy = low.get(f"gazepointx{suffix}"), low.get(f"gazepointy{suffix}")
        if cx and cy:
            pairs.append((cx, cy, low.get(vcol) if vcol else None))
    c_vl, c_vr = low.get("validityleft"), low.get("validityright")
    c_ev = low.get("event")
    usecols = sorted({c for c in [c_t, c_stim, c_trial, c_vl, c_vr, c_ev] + [c for p in pairs for c in p[:2]] if c})
    if not pairs:
        raise UserError(f"{path}: looks like a {VENDOR} All-Data export but its column line {at} has no gaze point "
                        f"pair (GazePointX/GazePointY, or GazePointXLeft/GazePointYLeft, or Right)")
    avg = next((p for p in pairs if p[0] == low.get("gazepointx")), None)

    def chunks() -> Iterator[Chunk]:
        for df, lines, malformed in csv_chunks(path, "\t", usecols, chunk_rows, header_line=at):
            n = len(df)
            stim = text(df[c_stim], n) if c_stim else np.full(n, "", object)
            trial = text(df[c_trial], n) if c_trial else np.full(n, "", object)
            t, tm, tb = numeric(df[c_t])
            nf_t = non_finite(df[c_t], t)
            gaze_empty = np.ones(n, bool)
            bad = np.zeros(n, bool)
            parsed = {}
            for cx, cy, _ in pairs:
                x, xm, xb = numeric(df[cx])
                y, ym, yb = numeric(df[cy])
                parsed[cx] = (x, y)
                gaze_empty &= xm & ym
                bad |= xb | yb
            eye_ok = np.zeros(n, bool)
            if c_vl or c_vr:
                for c in (c_vl, c_vr):
                    if c:
                        v = numeric(df[c])[0]
                        eye_ok |= np.isfinite(v) & (v <= 1)
            else:
                eye_ok[:] = True
            if avg is not None:
                x, y = parsed[avg[0]]
            else:  # no averaged column: the mean of the eyes whose validity is 0 or 1
                xs, ys, ks = np.zeros(n), np.zeros(n), np.zeros(n)
                for cx, cy, cv in pairs:
                    px, py = parsed[cx]
                    ok = np.isfinite(px) & np.isfinite(py)
                    if cv:
                        v = numeric(df[cv])[0]
                        ok &= np.isfinite(v) & (v <= 1)
                    xs += np.where(ok, px, 0)
                    ys += np.where(ok, py, 0)
                    ks += ok
                with np.errstate(invalid="ignore", divide="ignore"):
                    x, y = xs / ks, ys / ks
            valid = eye_ok & np.isfinite(x) & np.isfinite(y)
            event_only = gaze_empty & (text(df[c_ev], n) != "") if c_ev else np.zeros(n, bool)
            keep = ~event_only
            subj = np.full(n, subject, object)
            ch = sample_chunk(lines[keep], subj[keep], stim[keep], trial[keep], t[keep], x[keep], y[keep],
                              valid[keep], (tm | tb)[keep], bad[keep], non_finite_time=nf_t[keep])
            add_counted(ch, ["event_row"] * int(event_only.sum()))
            yield with_malformed(ch, malformed, subject, read_lines=lines)

    return chunks


# ---------------------------------------------------------------- example files (tests, benchmarks)

HEAD = ("Data properties:\n\nRecording date: 3/21/2011\nRecording time: 13:32:49:000 (corresponds to time 0)\n"
        "Study: Pilot6\nSubject: P08\nRecording: Rec 07\nScreen resolution: 1280 x 1024\nCoordinate unit: Pixels\n\n\n"
        "Filter settings:\n\nEye: Average\nValidity: Normal\nFixation filter: Tobii fixation filter\n"
        "Fixation radius: 35\n\n")
ALL_DATA_COLUMNS = (
    "Timestamp DateTimeStamp DateTimeStampStartOffset Number GazePointXLeft GazePointYLeft CamXLeft CamYLeft "
    "DistanceLeft PupilLeft ValidityLeft GazePointXRight GazePointYRight CamXRight CamYRight DistanceRight "
    "PupilRight ValidityRight FixationIndex GazePointX GazePointY Event EventKey Data1 Data2 Descriptor "
    "StimuliName StimuliID MediaWidth MediaHeight MediaPosX MediaPosY MappedFixationPointX MappedFixationPointY "
    "FixationDuration AoiIds AoiNames WebGroupImage MappedGazeDataPointX MappedGazeDataPointY MicroSecondTimestamp "
    "AbsoluteMicroSecondTimestamp").split()
FIXATION_COLUMNS = ["FixationIndex", "Timestamp", "FixationDuration", "MappedFixationPointX", "MappedFixationPointY"]


def example_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write a Tobii Studio All-Data export of ``n`` data rows (60 Hz; fixations of 12 samples; an event row
    opens each media of 300 rows; a lost eye now and then: gaze -1, validity 4)."""
    from saliency.data_tools.readers.vendor import write_table
    k = np.arange(n)
    event = k % 300 == 0
    lost = rng.random(n) < 0.03
    media = (k // 300 % 20 + 1).astype(str)
    gx = np.repeat(rng.uniform(0, 1280, n // 12 + 1), 12)[:n].round()
    gy = np.repeat(rng.uniform(0, 1024, n // 12 + 1), 12)[:n].round()
    fix = (k // 12 + 1).astype(str)
    g = lambda v: np.where(event, "", np.where(lost, "-1", v.astype(int).astype(str)))  # noqa: E731
    val = np.where(event, "", np.where(lost, "4", "0"))
    data = {"Timestamp": (k * 1000 // 60).astype(str), "Number": np.where(event, "", (k + 1).astype(str)),
            "GazePointXLeft": g(gx), "GazePointYLeft": g(gy), "ValidityLeft": val,
            "GazePointXRight": g(gx + 4), "GazePointYRight": g(gy), "ValidityRight": val,
            "GazePointX": g(gx + 2), "GazePointY": g(gy),
            "FixationIndex": np.where(event | lost, "", fix), "Event": np.where(event, "ImageStart", ""),
            "StimuliName": np.char.add(np.char.add("img", media), ".jpg"), "StimuliID": media,
            "MappedFixationPointX": np.where(event | lost, "", (gx + 2).astype(int).astype(str)),
            "MappedFixationPointY": np.where(event | lost, "", gy.astype(int).astype(str)),
            "FixationDuration": np.where(event | lost, "", "200")}
    write_table(path, HEAD, ALL_DATA_COLUMNS, data, tail="\t")
    return n


def example_events_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """The All-Data export of :func:`example_file`, read for Tobii's fixations (``tracker_events``)."""
    return example_file(path, rng, n)


def example_fixation_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write a Tobii Studio fixation export of ``n`` fixations (EMDAT's ``*-Fixation-Data.tsv`` layout)."""
    from saliency.data_tools.readers.vendor import write_table
    dur = rng.integers(80, 800, n)
    start = np.cumsum(dur + rng.integers(20, 60, n)) - dur
    data = {"FixationIndex": np.arange(1, n + 1).astype(str), "Timestamp": start.astype(str),
            "FixationDuration": dur.astype(str), "MappedFixationPointX": rng.integers(-50, 1330, n).astype(str),
            "MappedFixationPointY": rng.integers(-50, 1074, n).astype(str)}
    write_table(path, HEAD, FIXATION_COLUMNS, data, tail="\t")
    return n

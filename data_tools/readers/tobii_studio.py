"""``tobii-studio``: Tobii Studio text exports: the 1.x-2.x fixation and All-Data exports, the 3.x Data Export.

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
  below). Eyes (``ReadOptions.eye``): ``average`` (the default) as just
  said; ``left`` / ``right`` read that eye's ``GazePointXLeft/YLeft``
  (``Right``), valid where its own ``ValidityLeft`` (``Right``) is 0 or 1
  and the point a number; an export without the chosen eye's columns is
  refused when it is opened, one with no valid sample of that eye while the
  other eye has some (a monocular recording) after reading, each with one
  line. Studio's fixations are of both eyes together: ``eye`` left/right is
  refused for them. With
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
``StimuliID`` when present. Sample times come from ``MicroSecondTimestamp``
(µs) when the export fills it on any sample row of the file (its sample rows
without one are ``bad_time``), anchored once for the file (one recording) as
the 3.x samples below are (its first row with both stamps at its
``Timestamp``), so that 300 and 1200 Hz samples keep their spacing; else, and
for fixations, ``Timestamp`` (whole ms) as exported; ``notes["time_column"]``
names the column the samples used. A row that stops before its µs field
(trailing empty fields left off) reads it blank. ``time_unit`` is not used.

**Studio 3.x Data Export** (checked against EMDAT's ``TobiiV3Recording.py``
and the column lists of public readers of it): no header block; line 1 is
the tab-separated column line (``ExportDate``, ``StudioVersionRec``,
``ParticipantName``, ``RecordingName``, ``RecordingResolution``,
``MediaName``, ``RecordingTimestamp`` (whole ms from the recording start),
``EyeTrackerTimestamp`` (µs, the tracker's clock), ``FixationIndex``,
``SaccadeIndex``, ``GazeEventType`` (``Fixation``,
``Saccade``, ``Unclassified``, ...), ``GazeEventDuration`` (ms),
``FixationPointX/Y (MCSpx)``, ``GazePointLeftX/Y (ADCSpx)``, the same for
Right, ``GazePointX/Y (ADCSpx)``, ``GazePointX/Y (MCSpx)``,
``ValidityLeft/Right``, event columns ``StudioEvent``, ``MouseEvent``,
``KeyPressEvent``, ``ExternalEvent``, ...; columns vary with the export
settings and are matched by name and unit). ADCS px is the active display
area, screen pixels (space ``screen``); MCS px the media coordinate system,
pixels of the presented media (space ``stimulus``); a point's ADCS px columns
are preferred, a point exported only in another unit (ADCS mm) is refused.
One data row = one line. Subject ``ParticipantName`` (the file stem only for
an export without that column, or whose column is blank on every row of the
first chunk: ``FileSubject``; else a row whose cell is blank is quarantined
``no_subject``, after the rows counted by design: an ``event_row`` or
``not_fixation`` row stays counted),
stimulus ``MediaName``, trial ``RecordingName`` (none outside any media, as
for Pro Lab, ``LogReader.trials``).

- samples (the default): time from ``EyeTrackerTimestamp`` in ms, anchored
  per recording (participant and ``RecordingName``): its first row with both
  stamps numbers is at its ``RecordingTimestamp``, the others that much later
  as the tracker's clock says (``RecordingTimestamp`` is whole ms: at 1200 Hz
  one sample in six shared its stamp); a row whose ``EyeTrackerTimestamp`` or
  ``RecordingTimestamp`` is missing or not a number is quarantined
  (``bad_time``; ``non_finite_time``); for a recording without the column, or
  with it empty on every one of its sample rows (event rows aside; an export
  that writes its header only: ``notes["time_column_blank"]``), the same from
  ``MicroSecondTimestamp`` (µs), then ``RecordingTimestamp`` (whole ms), each
  recording decided on all of its rows, whatever the chunks;
  ``notes["time_column"]`` names the column used (a mapping
  ``participant/recording`` -> column where the recordings differ);
  ``GazePointX/Y (ADCSpx)``
  (else the mean of the eyes' ``GazePointLeft/RightX/Y``), valid as in the
  All-Data export (one eye's validity 0 or 1); a row with an event column
  filled and no gaze is counted ``event_row``; ``eye`` left/right reads
  ``GazePointLeftX/Y`` (``Right``) with its own validity, as in the All-Data
  export;
- fixations (``tracker_events``, or an export without gaze point columns):
  Studio's own fixations, one per run of ``GazeEventType`` ``Fixation`` rows
  with the same (participant, recording, media, ``FixationIndex``), kept
  under its first row: start its ``RecordingTimestamp`` (whole ms, as the durations), duration
  ``GazeEventDuration``, position ``FixationPointX/Y (MCSpx)``; its further
  rows are counted ``fixation_sample``, rows of other types ``not_fixation``;
  a fixation row without a usable timestamp is quarantined (``bad_time``,
  ``non_finite_time``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import (ID_MISSING, Chunk, LogReader, Probe, ReadOptions, check_eye,
                                              default_subject, eye_columns_missing, no_eye_in_events, one_eye_only,
                                              split_unit)
from saliency.data_tools.readers.chunks import FileSubject, csv_chunks, non_finite, numeric, sample_chunk, text, \
    with_malformed
from saliency.data_tools.readers.vendor import add_counted, append_quarantine, fixation_runs, head_lines, meta_value, \
    require_columns, vendor_fixations, wxh

DETECT_RANK = 13  # the first line's signature
SUFFIXES: tuple[str, ...] = ()
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()
VENDOR = "Tobii Studio"
EYES = True  # honours ReadOptions.eye (samples: GazePointXLeft/Right, ValidityLeft/Right)
_BLOCKS = ("data properties:", "filter settings:")


#: columns of a Studio 3.x Data Export whose presence (with ``RecordingTimestamp``) marks the layout
_EXPORT_MARKS = {"gazeeventtype", "fixationpointx", "gazepointx", "gazepointleftx", "gazepointrightx"}
#: event columns of a Studio 3.x Data Export: a row with one of them filled and no gaze is an event row
_EXPORT_EVENTS = ("studioevent", "mouseevent", "keypressevent", "externalevent", "eventmarkervalue")
#: Studio 3.x coordinate units (lower-cased) -> space, preferred first: ADCS px (the active display area:
#: screen pixels), MCS px (the media coordinate system: pixels of the presented media)
_EXPORT_UNITS = {"adcspx": "screen", "mcspx": "stimulus"}
_SPACE_UNITS = {"screen": "ADCS px", "stimulus": "MCS px"}


def _is_data_export(names: set[str]) -> bool:
    return "recordingtimestamp" in names and bool(names & _EXPORT_MARKS)


def sniff(probe: Probe) -> bool:
    """The ``Data properties:`` (or ``Filter settings:``) block that starts a Studio 1.x-2.x export, or the
    column line of a Studio 3.x Data Export (``RecordingTimestamp`` with gaze or fixation columns)."""
    return probe.first.strip().lower() in _BLOCKS or (probe.sep == "\t" and _is_data_export(probe.names))


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
            raise UserError(f"{path}: read as a {VENDOR} export, but line {k} is neither a 'Key: value' line of "
                            f"its header block nor a tab-separated column line: {s[:80]!r}")
        meta.setdefault(kv[0], kv[1])
    raise UserError(f"{path}: read as a {VENDOR} export, but its header block ends at line {last} without a "
                    f"column line (FixationIndex, Timestamp, ... or Timestamp, GazePointX, ...)")


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Tobii Studio fixation export (fixations) or All-Data export (samples; with ``tracker_events``: fixations)."""
    info = _scan(path)
    check_eye(opts.eye)
    meta, cols, at = info["meta"], info["cols"], info["col_line"]
    names = {split_unit(c)[0] for c in cols if c}
    if _is_data_export(names) and "timestamp" not in names:
        return _read_data_export(path, opts, cols, at)
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
    if opts.eye != "average" and (not all_data or opts.tracker_events):
        raise no_eye_in_events(path, opts.eye, f"{VENDOR}'s fixations (MappedFixationPointX/Y)")
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
        if opts.eye != "average" and not (f"gazepointx{opts.eye}" in low and f"gazepointy{opts.eye}" in low):
            e = opts.eye.capitalize()
            have = [f"GazePointX{k}/Y{k}" for k in ("", "Left", "Right")
                    if f"gazepointx{k.lower()}" in low and f"gazepointy{k.lower()}" in low]
            have = have[:1] if have and have[0] == "GazePointX/Y" else have  # what eye average reads here
            raise eye_columns_missing(path, VENDOR, opts.eye, [f"GazePointX{e}", f"GazePointY{e}"],
                                      [c for c in cols if c.lower().startswith("gazepoint")], line=at,
                                      average=", ".join(have))
        stamps = [low["microsecondtimestamp"]] if "microsecondtimestamp" in low else []
        chunks = _samples(path, at, low, subject, c_stim, c_trial, opts.chunk_rows, eye=opts.eye, notes=notes,
                          stamps=stamps, order=cols)
        kind = "samples"
        notes["eye"] = opts.eye
        notes["time_column"] = (stamps or [low["timestamp"]])[0]  # until the recording is read (_TimeColumns)
    return LogReader(path, "tobii-studio", kind, chunks, screen_px=screen, notes=notes)


def _fixations(path, at, low, subject, c_stim, c_trial, chunk_rows, aggregate):
    c_t, c_d = low["timestamp"], low["fixationduration"]
    c_x, c_y = low["mappedfixationpointx"], low["mappedfixationpointy"]
    c_i = low.get("fixationindex")
    usecols = sorted({c for c in (c_t, c_d, c_x, c_y, c_i, c_stim, c_trial) if c})
    carry = {"key": None}

    def chunks() -> Iterator[Chunk]:
        for df, lines, malformed in csv_chunks(path, "\t", usecols, chunk_rows, header_line=at, cut_last="any"):
            n = len(df)
            stim = text(df[c_stim], n, whole=False) if c_stim else np.full(n, "", object)
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


def _tracker_ms(df, n, c_rt, c_et, keys, anchors, only):
    """Sample times of a Studio export from a µs column ``c_et`` (``EyeTrackerTimestamp``, the tracker's clock;
    ``MicroSecondTimestamp``), in ms from the recording start, for the rows ``only`` (whole recordings): each
    recording (``keys``: participant and recording name) is anchored at its first row with both stamps numbers,
    whose time is its ``c_rt`` (``RecordingTimestamp``, ``Timestamp``: whole ms); ``anchors`` carries them from
    chunk to chunk. (time ms, missing or not a number in either column, non-finite in either column)."""
    rt, rm, rb = numeric(df[c_rt])
    et, em, eb = numeric(df[c_et])
    both = np.isfinite(rt) & np.isfinite(et)
    t = np.full(n, np.nan)
    for k in pd.unique(keys[only]):
        rows = keys == k
        if k not in anchors:
            first = np.flatnonzero(rows & both)
            if not len(first):
                continue  # no row of it with both stamps here: all of them are quarantined
            anchors[k] = (et[first[0]], rt[first[0]])
        e0, r0 = anchors[k]
        t[rows] = r0 + (et[rows] - e0) / 1000.0
    return t, rm | rb | em | eb, non_finite(df[c_rt], rt) | non_finite(df[c_et], et)


def _filled(df, c, n) -> np.ndarray:
    """Rows whose cell of column ``c`` is not empty (spaces aside)."""
    return (df[c].fillna("").astype(str).str.strip() != "").to_numpy(dtype=bool) if n else np.zeros(0, bool)


def _late(usecols, stamps, order) -> list[str]:
    """The µs columns of ``stamps`` that come after every column of ``usecols`` (``order``: the column line's names):
    a row may stop before them (Studio leaves trailing empty fields off) without being cut short."""
    pos = {}
    for i, c in enumerate(order):
        pos.setdefault(c, i)
    last = max((pos.get(c, -1) for c in usecols), default=-1)
    return [c for c in stamps if pos.get(c, len(pos)) > last]


def _with_stamps(path, at, usecols, stamps, chunk_rows, c_time, order):
    """:func:`csv_chunks` of ``usecols`` plus the µs columns ``stamps``, a row that stops before a µs field after
    every column of ``usecols`` (:func:`_late`) reading it blank: only the other columns make a row cut short
    (``malformed_row``). Those µs columns come from a second reader of the same blocks that takes short rows (with
    ``c_time``, filled on nearly every row: a row blank in every column read costs a look at its line)."""
    late = _late(usecols, stamps, order)
    main = csv_chunks(path, "\t", sorted({*usecols, *stamps} - set(late)), chunk_rows, header_line=at,
                      cut_last="any")
    if not late:
        yield from main
        return
    aux = csv_chunks(path, "\t", [c_time, *late], chunk_rows, header_line=at, short_rows=True, cut_last="any")
    for (df, lines, malformed), (sdf, slines, _) in zip(main, aux):
        # the same blocks: every row the first reader kept, the second kept too (it drops fewer)
        pos = np.minimum(np.searchsorted(slines, lines), max(len(slines) - 1, 0))
        found = (slines[pos] == lines) if len(slines) else np.zeros(len(lines), bool)
        for c in late:
            v = sdf[c].to_numpy(dtype=object)[pos] if len(slines) else np.full(len(lines), "", object)
            df[c] = np.where(found, v, "")
        yield df, lines, malformed


class _TimeColumns:
    """The time column of each recording of a Studio export's samples, the same whatever the chunks: the first of
    ``stamps`` (µs columns, preferred first) with a value on any of the recording's sample rows, else ``fallback``
    (whole ms). A recording is decided at its first row (event rows too): from the caller's chunk when the preferred
    column is filled on one of its sample rows there, else by ``frames()``, which reads the file again ahead of the
    caller, only as far as needed: until the preferred column is seen filled on one of its sample rows, or the end.
    ``gaze_rows(df, n)[0]``: the event rows (not sample rows), ``keys(df, n)``: each row's recording. Said in
    ``notes``: ``time_column`` (one column; a mapping ``participant/recording`` -> column when they differ) and
    ``time_column_blank`` (the µs columns passed over, per recording)."""

    def __init__(self, stamps, fallback, notes, per_recording, frames, gaze_rows, keys):
        self.stamps, self.fallback, self.notes, self.per_recording = list(stamps), fallback, notes, per_recording
        self.frames, self.gaze_rows, self.keys = frames, gaze_rows, keys
        self.ahead = None  # the look-ahead read, started at the first recording to decide
        self.done = not self.stamps
        self.filled: dict[str, set] = {}  # recording -> the stamps filled on one of its sample rows (read so far)
        self.span: dict[str, list[int]] = {}  # recording -> its first and last sample row's line (the caller's read)
        self.chosen: dict[str, str] = {}

    def _read_on(self) -> None:
        if self.ahead is None:
            self.ahead = self.frames()
        got = next(self.ahead, None)
        if got is None:
            self.done = True
            return
        df, _, _ = got
        n = len(df)
        sample = ~self.gaze_rows(df, n)[0]
        keys = self.keys(df, n)
        for c in self.stamps:
            for k in pd.unique(keys[sample & _filled(df, c, n)]):
                self.filled.setdefault(k, set()).add(c)

    def _decide(self, k: str) -> str:
        while not self.done and self.stamps[0] not in self.filled.get(k, ()):
            self._read_on()
        return next((c for c in self.stamps if c in self.filled.get(k, ())), self.fallback)

    def columns(self, keys: np.ndarray, sample: np.ndarray, lines: np.ndarray, df: pd.DataFrame) -> np.ndarray:
        """Each row's time column, event rows included (their recording's, so that a recording's anchor is its
        first row with both stamps whatever the chunks); ``sample``: the sample rows of this chunk ``df`` of the
        caller's read, ``lines`` its rows' lines. A recording whose preferred column is filled on one of its sample
        rows here is decided from this chunk; only the others start the look-ahead."""
        n = len(keys)
        new = [k for k in pd.unique(keys) if k not in self.chosen]
        if new and self.stamps:
            here = set(pd.unique(keys[sample & _filled(df, self.stamps[0], n)]))
            for k in new:
                if k in here:
                    self.chosen[k] = self.stamps[0]
        for k in new:
            if k not in self.chosen:
                self.chosen[k] = self._decide(k)
        for k in pd.unique(keys[sample]):
            at = lines[sample & (keys == k)]
            self.span.setdefault(k, [int(at[0]), 0])[1] = int(at[-1])
        if sample.any():
            self._say()
        uniq, inv = np.unique(keys.astype(str), return_inverse=True)
        return np.array([self.chosen.get(k, self.fallback) for k in uniq], dtype=object)[inv]

    def _label(self, k: str) -> str:
        return "/".join(p for p in k.split("\x1f") if p)

    def _say(self) -> None:
        seen = {k: c for k, c in self.chosen.items() if k in self.span}  # recordings with sample rows read
        used = set(seen.values())
        self.notes["time_column"] = used.pop() if len(used) == 1 else {self._label(k): c for k, c in seen.items()}
        said = []
        for k, c in seen.items():
            blank = self.stamps[:self.stamps.index(c)] if c in self.stamps else self.stamps
            if not blank:
                continue
            a, b = self.span.get(k, (0, 0))
            where = f"lines {a}-{b}" if b > a else f"line {a}"
            rec = f"recording {self._label(k)!r}: " if self.per_recording else ""
            said.append(f"{rec}column{'s' if len(blank) > 1 else ''} {' and '.join(repr(c) for c in blank)} blank "
                        f"on every sample row ({where}): sample times from {c!r}")
        if said:
            self.notes["time_column_blank"] = "; ".join(said)


def _samples(path, at, low, subject, c_stim, c_trial, chunk_rows, c_subj=None, events=None, space="screen",
             trial_in_media=False, eye="average", notes=None, stamps=(), per_recording=False, order=()):
    """Samples of an All-Data export, or of a 3.x Data Export (``c_subj``: the subject column, ``events``: its
    event columns, ``space`` of its gaze columns, ``trial_in_media``: no trial outside a media; ``eye``
    left/right: that eye's gaze point and validity only, the caller having checked the file has them;
    ``notes``: the reader's, for :class:`~data_tools.readers.chunks.FileSubject` and the time column; ``order``:
    the column line's names).

    Times, chosen per recording (participant and ``c_trial`` with ``per_recording``, else the file: a 1.x-2.x
    export is one recording) from all of its sample rows (event rows aside), whatever the chunks: the first of
    ``stamps`` (µs columns, preferred first: ``EyeTrackerTimestamp``, ``MicroSecondTimestamp``) with a value on any
    of them (its rows without one are ``bad_time``), :func:`_tracker_ms`, anchored per recording; with none,
    ``low["timestamp"]`` (whole ms). A recording is decided at its first row, from the chunk read when the
    preferred column is filled on one of its sample rows there, else from a look-ahead read of the file
    (:func:`_with_stamps`) that goes no further than its first row with the preferred column filled (to the end
    only where that column is blank on some recording). ``notes["time_column"]`` names the column used (a
    mapping ``participant/recording`` -> column when the recordings differ), ``notes["time_column_blank"]`` the
    blank ones passed over, per recording."""
    c_t = low["timestamp"]
    pairs = []
    for suffix, vcol in (("", None), ("left", "validityleft"), ("right", "validityright")):
        cx, cy = low.get(f"gazepointx{suffix}"), low.get(f"gazepointy{suffix}")
        if cx and cy:
            pairs.append((cx, cy, low.get(vcol) if vcol else None))
    c_vl, c_vr = low.get("validityleft"), low.get("validityright")
    c_evs = list(events) if events is not None else [c for c in [low.get("event")] if c]
    usecols = sorted({c for c in [c_t, c_stim, c_trial, c_subj, c_vl, c_vr, *c_evs]
                      + [c for p in pairs for c in p[:2]] if c} - set(stamps))  # a short row: stamps blank
    if not pairs:
        raise UserError(f"{path}: read as a {VENDOR} All-Data export, but its column line {at} has no gaze point "
                        f"pair (GazePointX/GazePointY, or GazePointXLeft/GazePointYLeft, or Right)")
    avg = next((p for p in pairs if p[0] == low.get("gazepointx")), None)
    mine = other = None  # eye left/right: the chosen eye's (x, y, validity) columns, and the other eye's
    if eye != "average":
        o = "right" if eye == "left" else "left"
        mine = next(p for p in pairs if p[0] == low.get(f"gazepointx{eye}"))
        other = next((p for p in pairs if p[0] == low.get(f"gazepointx{o}")), None)
        if other is None and low.get(f"validity{o}"):
            other = (None, None, low.get(f"validity{o}"))

    def gaze_rows(df, n):
        """(the event rows: an event and no gaze, {x column: (x, y, cells that are no number)}, any such cell)."""
        gaze_empty = np.ones(n, bool)
        bad = np.zeros(n, bool)
        parsed = {}
        for cx, cy, _ in pairs:
            x, xm, xb = numeric(df[cx])
            y, ym, yb = numeric(df[cy])
            parsed[cx] = (x, y, xb | yb)
            gaze_empty &= xm & ym
            bad |= xb | yb
        has_event = np.zeros(n, bool)
        for c in c_evs:
            has_event |= text(df[c], n) != ""
        return gaze_empty & has_event, parsed, bad

    def recording_keys(df, n, recording):
        """Each row's recording: participant and recording name (3.x), else one for the file."""
        keys = np.full(n, "", object)
        if per_recording:
            keys = text(df[c_subj], n, "", ID_MISSING) if c_subj else keys
            if c_trial:  # keyed by the recording as read, not by the trial masked outside media
                keys = keys.astype(str) + "\x1f" + recording.astype(str)
        return keys

    def chunks() -> Iterator[Chunk]:
        n_eye = n_other = 0  # eye left/right: valid samples of the chosen eye and of the other one
        anchors: dict[str, tuple[float, float]] = {}  # recording -> (its µs stamp, its whole-ms stamp)
        notes_ = {} if notes is None else notes

        def frames():
            return _with_stamps(path, at, usecols, stamps, chunk_rows, c_t, order)

        def ahead():  # the look-ahead: µs columns all after the others (1.x-2.x) read in one pass taking short rows
            if _late(usecols, stamps, order) != list(stamps):  # (a row with a value there is not cut short)
                return frames()
            cols = [c_t, *stamps, c_subj, c_trial, *c_evs] + [c for p in pairs for c in p[:2]]
            return csv_chunks(path, "\t", sorted({c for c in cols if c}), chunk_rows, header_line=at, short_rows=True,
                              cut_last="any")

        times = _TimeColumns(stamps, c_t, notes_, per_recording, ahead, gaze_rows,
                             lambda df, n: recording_keys(df, n, text(df[c_trial], n) if c_trial else None))
        # 3.x: the file stem names the rows only of an export without ParticipantName (or whose column is blank on
        # every row of its first chunk: FileSubject); in one naming someone a blank cell is no_subject
        subjects = FileSubject(path, c_subj, subject, notes_)
        for df, lines, malformed in frames():
            n = len(df)
            stim = text(df[c_stim], n, whole=False) if c_stim else np.full(n, "", object)
            recording = text(df[c_trial], n) if c_trial else np.full(n, "", object)
            trial = recording
            if trial_in_media and c_stim:  # a trial is one presentation of a media: rows outside any have none
                trial = np.where(stim != "", trial, "")
            event_only, parsed, bad = gaze_rows(df, n)
            keep = ~event_only
            keys = recording_keys(df, n, recording)
            col = times.columns(keys, keep, lines, df)
            t, bad_t, nf_t = np.full(n, np.nan), np.zeros(n, bool), np.zeros(n, bool)
            for c in pd.unique(col):
                rows = col == c
                if c == c_t:
                    tc, tm, tb = numeric(df[c_t])
                    bt, nf = tm | tb, non_finite(df[c_t], tc)
                else:
                    tc, bt, nf = _tracker_ms(df, n, c_t, c, keys, anchors, rows)
                t[rows], bad_t[rows], nf_t[rows] = tc[rows], bt[rows], nf[rows]

            def code_ok(c):
                """An eye's validity code 0 or 1 (EMDAT's reading)."""
                v = numeric(df[c])[0]
                return np.isfinite(v) & (v <= 1)

            eye_ok = np.zeros(n, bool)
            if mine is not None:  # eye left/right: that eye's point, valid by its own validity code
                x, y, bad = parsed[mine[0]]
                eye_ok = np.isfinite(x) & np.isfinite(y)
                if mine[2]:
                    eye_ok &= code_ok(mine[2])
                if other is not None:
                    o_ok = np.ones(n, bool)
                    if other[0]:
                        ox, oy, _ = parsed[other[0]]
                        o_ok &= np.isfinite(ox) & np.isfinite(oy)
                    if other[2]:
                        o_ok &= code_ok(other[2])
                    n_other += int(o_ok.sum())
            elif c_vl or c_vr:
                for c in (c_vl, c_vr):
                    if c:
                        eye_ok |= code_ok(c)
            else:
                eye_ok[:] = True
            if mine is None and avg is not None:
                x, y, _ = parsed[avg[0]]
            elif mine is None:  # no averaged column: the mean of the eyes whose validity is 0 or 1
                xs, ys, ks = np.zeros(n), np.zeros(n), np.zeros(n)
                for cx, cy, cv in pairs:
                    px, py, _ = parsed[cx]
                    ok = np.isfinite(px) & np.isfinite(py)
                    if cv:
                        ok &= code_ok(cv)
                    xs += np.where(ok, px, 0)
                    ys += np.where(ok, py, 0)
                    ks += ok
                with np.errstate(invalid="ignore", divide="ignore"):
                    x, y = xs / ks, ys / ks
            valid = eye_ok & np.isfinite(x) & np.isfinite(y)
            if mine is not None:
                n_eye += int(valid.sum())
            subj = subjects.cells(df[c_subj] if c_subj else None, lines)
            ch = sample_chunk(lines[keep], subj[keep], stim[keep], trial[keep], t[keep], x[keep], y[keep],
                              valid[keep], bad_t[keep], bad[keep], non_finite_time=nf_t[keep])
            ch.space = space
            ch = subjects.named(ch)
            add_counted(ch, ["event_row"] * int(event_only.sum()))
            yield with_malformed(ch, malformed, subject, read_lines=lines)
        if mine is not None and n_eye == 0 and n_other > 0:
            raise one_eye_only(path, eye, n_other)

    return chunks


def _export_point(path: Path, at: int, cols: list[str], stem: str, what: str) -> tuple[str, str, str] | None:
    """A 3.x Data Export point's X and Y columns (``stem``: ``gazepoint``, ``gazepointleft``, ``fixationpoint``)
    in the preferred unit both are exported in (ADCS px, then MCS px), with its space; None when it has no such
    column; one line when it has them only in another unit (ADCS mm)."""
    found: dict[str, dict[str, str]] = {}
    seen = []
    for c in cols:
        base, unit = split_unit(c)
        if base not in (f"{stem}x", f"{stem}y"):
            continue
        seen.append(c)
        space = _EXPORT_UNITS.get((unit or "").replace(" ", "").lower())
        if space:
            found.setdefault(space, {}).setdefault(base[-1], c)
    for space in ("screen", "stimulus"):
        xy = found.get(space, {})
        if "x" in xy and "y" in xy:
            return xy["x"], xy["y"], space
    if seen:
        raise UserError(f"{path}: read as a {VENDOR} 3.x Data Export, but its column line {at} has {what} only as "
                        f"{', '.join(repr(c) for c in seen)}; export them in ADCSpx or MCSpx")
    return None


def _read_data_export(path: Path, opts: ReadOptions, cols: list[str], at: int) -> LogReader:
    """Studio 3.x Data Export: samples (``GazePointX/Y (ADCSpx)``), or Studio's fixations with ``tracker_events``
    (or when the export holds no gaze point columns)."""
    base = {}
    for c in cols:
        if c:
            base.setdefault(split_unit(c)[0], c)
    c_time, c_et = base["recordingtimestamp"], base.get("eyetrackertimestamp")
    c_subj, c_rec, c_media = base.get("participantname"), base.get("recordingname"), base.get("medianame")
    subject = default_subject(path)
    gaze = _export_point(path, at, cols, "gazepoint", "the gaze point")
    eyes = {e: _export_point(path, at, cols, f"gazepoint{e}", f"the {e} eye's gaze point") for e in ("left", "right")}
    notes = {"layout": "Studio 3.x Data Export"}
    if opts.eye != "average" and (opts.tracker_events or not (gaze or eyes["left"] or eyes["right"])):
        raise no_eye_in_events(path, opts.eye, f"{VENDOR}'s fixations (FixationPointX/Y)")
    if opts.tracker_events or not (gaze or eyes["left"] or eyes["right"]):
        need = {"GazeEventType": "Fixation, Saccade, ...", "FixationIndex": "Studio's fixation number",
                "GazeEventDuration": "ms", "FixationPointX (MCSpx)": "media px", "FixationPointY (MCSpx)": "media px"}
        miss = [f"{k!r} ({v})" for k, v in need.items() if split_unit(k)[0] not in base]
        if miss:
            why = "for Studio's fixations" if opts.tracker_events else \
                "for Studio's fixations, and it has no GazePointX/Y (ADCSpx) for samples either"
            raise UserError(f"{path}: read as a {VENDOR} 3.x Data Export, but its column line {at} lacks "
                            f"{', '.join(miss)} {why}")
        point = _export_point(path, at, cols, "fixationpoint", "the fixation point")
        chunks = _export_fixations(path, at, base, point, c_time, c_subj, c_rec, c_media, subject, opts.chunk_rows,
                                   notes)
        notes["coordinates"] = _SPACE_UNITS[point[2]]
        notes["time_column"] = c_time  # Studio's fixations: its start, as their GazeEventDuration, in whole ms
        return LogReader(path, "tobii-studio", "fixations", chunks, notes=notes, trials=True)
    if opts.eye != "average":
        if eyes[opts.eye] is None:
            e = opts.eye.capitalize()
            have = ["GazePointX/Y"] if gaze is not None else \
                [f"GazePoint{k}X/Y" for k, pt in (("Left", eyes["left"]), ("Right", eyes["right"])) if pt is not None]
            raise eye_columns_missing(path, VENDOR, opts.eye, [f"GazePoint{e}X (ADCSpx)", f"GazePoint{e}Y (ADCSpx)"],
                                      [c for c in cols if c.lower().startswith("gazepoint")], line=at,
                                      average=", ".join(have))
        space = eyes[opts.eye][2]
        notes["eye"] = opts.eye
    elif gaze:
        space = gaze[2]
    else:
        spaces = {p[2] for p in eyes.values() if p}
        if len(spaces) > 1:
            raise UserError(f"{path}: {VENDOR} 3.x Data Export with the left and right gaze points in different "
                            f"units and no GazePointX/Y; export them in ADCSpx")
        space = spaces.pop()
    low = {"timestamp": c_time, "validityleft": base.get("validityleft"), "validityright": base.get("validityright")}
    for key, p in (("", gaze), ("left", eyes["left"]), ("right", eyes["right"])):
        if p and p[2] == space:
            low[f"gazepointx{key}"], low[f"gazepointy{key}"] = p[0], p[1]
    events = [base[e] for e in _EXPORT_EVENTS if e in base]
    stamps = [c for c in (c_et, base.get("microsecondtimestamp")) if c]  # µs, preferred first
    chunks = _samples(path, at, low, subject, c_media, c_rec, opts.chunk_rows, c_subj=c_subj, events=events,
                      space=space, trial_in_media=True, eye=opts.eye, notes=notes, stamps=stamps, per_recording=True,
                      order=cols)
    notes["coordinates"] = _SPACE_UNITS[space]
    notes["time_column"] = (stamps or [c_time])[0]  # until the recordings are read (_TimeColumns)
    return LogReader(path, "tobii-studio", "samples", chunks, notes=notes, trials=True)


def _export_fixations(path, at, base, point, c_time, c_subj, c_rec, c_media, subject, chunk_rows, notes):
    """Studio's fixations of a 3.x Data Export: one per run of ``Fixation`` rows with the same participant,
    recording, media and ``FixationIndex`` (rows of other types in between do not split it), kept under its
    first row; its other rows counted ``fixation_sample``, rows of other types ``not_fixation``."""
    c_type, c_idx, c_dur = base["gazeeventtype"], base["fixationindex"], base["gazeeventduration"]
    c_fx, c_fy, space = point
    usecols = sorted({c for c in (c_time, c_type, c_idx, c_dur, c_fx, c_fy, c_subj, c_rec, c_media) if c})

    def chunks() -> Iterator[Chunk]:
        last_key = None  # the fixation the previous chunk ended in (it may go on in this one)
        # the file stem names the rows only of an export without ParticipantName (or whose column is blank on every
        # row of its first chunk: FileSubject); in one naming someone a blank cell is no_subject
        subjects = FileSubject(path, c_subj, subject, notes)
        for df, lines, malformed in csv_chunks(path, "\t", usecols, chunk_rows, header_line=at, cut_last="any"):
            n = len(df)
            subj = subjects.cells(df[c_subj] if c_subj else None, lines)
            stim = text(df[c_media], n, whole=False) if c_media else np.full(n, "", object)
            rec = text(df[c_rec], n) if c_rec else np.full(n, "", object)
            if c_media:
                rec = np.where(stim != "", rec, "")
            t, tm, tb = numeric(df[c_time])
            nf_t = non_finite(df[c_time], t)
            is_fix = text(df[c_type], n) == "Fixation"
            bad_t = is_fix & (tm | tb | nf_t)
            # a Fixation row with a blank ParticipantName: quarantined on its own, its neighbours' fixation whole
            no_subj = is_fix & ~bad_t & (subj == "") if c_subj else np.zeros(n, bool)
            fix = is_fix & ~bad_t & ~no_subj
            why = np.where(nf_t, "non_finite_time", np.where(bad_t, "bad_time", "no_subject"))
            k, n_more, qt, last_key = fixation_runs(lines, subj, rec, stim, text(df[c_idx], n), fix, bad_t,
                                                    bad_t | no_subj, why, "", last_key)
            d, dm, db = numeric(df[c_dur])
            nf_d = non_finite(df[c_dur], d)
            ch = vendor_fixations(lines[k], subj[k], stim[k], rec[k], numeric(df[c_fx])[0][k],
                                  numeric(df[c_fy])[0][k], t[k], d[k], np.full(len(k), "", object), space,
                                  np.zeros(len(k), bool), ((dm | db) & ~nf_d)[k], nf_dur=nf_d[k])
            append_quarantine(ch, qt)
            add_counted(ch, ["not_fixation"] * int((~is_fix).sum()) + ["fixation_sample"] * n_more)
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

"""``begaze``: SMI BeGaze / IDF Converter text exports: event exports (fixations) and raw sample exports.

Layouts (``../shared/REFERENCES.md`` section 6, checked against public
parsers: pymovements ``gaze/_utils/_parsing_begaze.py`` and its test fixtures
for raw samples; PyGaze's ``smireader.py``, EMDAT's ``SMIRecording.py`` and
the BIDS converter of ``mne-bids`` style for event files):

- a header block of ``Key:<tab>value`` lines in ``[Section]`` groups, each
  line prefixed ``##`` in sample exports (``## [BeGaze]``, ``## Sample Rate:``,
  ``## Subject:`` under ``[Run]``, ``## Calibration Area: 1680 1050`` the
  screen in pixels, ``## Stimulus Dimension [mm]``, ``## Head Distance [mm]``);
- **event export**: ``Table Header for Fixations:`` followed by its column
  line ``Event Type, Trial, Number, Start, End, Duration, Location X,
  Location Y, Dispersion X, Dispersion Y, [AOI hit, Image,] Plane, Avg. Pupil
  Size X, ...`` (tab- or comma-separated), the same for Saccades, Blinks and
  User Events (``Event Type, Trial, Number, Start, Description``), then rows
  whose first field is the event type (``Fixation L``, ``Fixation R``,
  ``Saccade L``, ``Blink R``, ``UserEvent``). Times and durations are in
  microseconds (a column named ``Start [ms]`` says otherwise), locations in
  screen pixels, ``-`` missing. A binocular file lists each eye's events; both
  are kept, with ``eye`` L or R (as EyeLink EFIX lines are); with
  ``ReadOptions.eye`` left / right only that eye's fixations are kept, the
  other eye's counted (``other_eye``, by design), and a file with fixations
  of the other eye only is refused with one line;
- **raw samples**: after the ``##`` block a tab-separated column line
  ``Time, Type, Trial, L POR X [px], L POR Y [px], ..., R POR X [px], ...,
  L Event Info, Stimulus``; rows typed ``SMP`` are samples (``Time`` in µs),
  ``MSG`` rows carry ``# Message: text`` in the fourth field. A sample is
  invalid when its eye's point of regard is missing or 0/0 (iView writes 0
  when the eye is lost), its ``Event Info`` says ``Blink`` or its
  ``Validity`` is 0; with both eyes the valid ones are averaged. The
  ``B POR X/Y [px]`` columns (binocular point of regard, iView's own
  combination of the two eyes) are read only when the export has neither
  ``L`` nor ``R`` POR columns; next to them they are ignored, never averaged
  in as a third eye. Eyes (``ReadOptions.eye``): ``average`` (the default)
  as just said; ``left`` / ``right`` read that eye's ``L POR X/Y [px]``
  (``R``), valid by its own ``Event Info`` / ``Validity`` as above; an
  export without the chosen eye's POR columns is refused when it is opened,
  one with no valid sample of that eye while the other eye has some (a
  monocular recording) after reading, each with one line. An ``SMP`` row
  cut before the last gaze column the reader uses (time, point of regard,
  event info, validity: a file copied while iView still wrote it) is
  quarantined as ``malformed_row``; one short only by later columns (an
  empty ``Stimulus`` left out) is kept; ``MSG`` rows are short by design.

The stimulus of a row: the ``Stimulus`` (or ``Image``) column when the export
has one; otherwise the last message naming an image file (SMI Experiment
Center writes the stimulus file name as a message when it shows it) in the
same trial, earlier in the file (samples) or not later than the fixation's
start (events); otherwise none, and ``trials`` maps ``Trial``. The names taken
from messages are free text (``Trial 3 beach.jpg``): the reader lists them in
its ``message_names`` (a set, filled as the chunks are read), and the ingest
lets only those find the file of their last image-file word when no file has
the whole name (:meth:`data_tools.stimuli.StimulusIndex.resolve`); a
``Stimulus`` column's name is matched as written. The subject is
the header's ``Subject``, else the file stem; in an event export that holds
several exports one after the other, each with its header block, a later
block's ``Subject:`` line names the subject of the events after it. Rows read but not used (saccade,
blink and user events of an event export, ``MSG`` rows of a sample export)
are counted, not listed (row accounting, :mod:`data_tools.readers.base`):
``not_fixation`` and ``message_row``; rows of an unknown type, or with more
fields than their table's column line, are quarantined as ``malformed_row``,
as is a ``Fixation`` row with fewer fields than its column line (cut short:
its last field may be a number cut, ``52`` of ``521.06``). BeGaze ends every
line it writes: a file whose last line has no line end was cut while it was
written, and that line is ``malformed_row`` whatever it holds (events and
samples alike, however many fields it has).
A data row is one non-blank line after the table's column line(s); the
header block is not rows.

BeGaze's own Raw Data export (``RecordingTime [ms]``, ``Point of Regard
Binocular X [px]``, ...) and Event Statistics export (``Event Start Trial Time
[ms]``, ``Fixation Position X [px]``, ...) are claimed and refused in one line
that names the layout and gives the ``--format samples`` / ``fixations``
``--columns`` text that reads it (:func:`other_export`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions, check_eye, default_subject, \
    eye_columns_missing, one_eye_only, open_input, split_unit, unit_factor
from saliency.data_tools.readers.chunks import DECIMAL_COMMA, csv_chunks, non_finite, numeric, sample_chunk, text, \
    with_malformed
from saliency.data_tools.readers.vendor import head_lines, image_in, meta_value, require_columns, sep_of, \
    split_line, add_counted, add_quarantine, vendor_fixations, wxh

DETECT_RANK = 12  # the first line's signature
SUFFIXES: tuple[str, ...] = ()
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()
VENDOR = "SMI BeGaze"
EYES = True  # honours ReadOptions.eye (samples: L / R POR; events: Fixation L / R)
_EYES = ("L", "R", "B")


def sniff(probe: Probe) -> bool:
    """A ``[BeGaze]`` or IDF Converter ``## [iView]`` header block, an event table header, or a raw sample column
    line (Time, Type, POR); also BeGaze's Raw Data and Event Statistics exports, claimed so that the reader names
    and refuses them (:func:`other_export`), not called an unknown format."""
    first = probe.first.lstrip("#").strip()
    if first.startswith(("[BeGaze]", "[iView]", "Table Header for")):
        return True
    if probe.first.startswith("##") and first.lower().startswith("converted from:"):
        return True
    names = probe.names
    if other_export(names):
        return True
    return "time" in names and "type" in names and any(f"{e.lower()} por x" in names for e in _EYES)


def other_export(names) -> str:
    """``"raw"`` for a column line of BeGaze's Raw Data export (``RecordingTime [ms]`` with ``Point of Regard ...``
    or ``Category ...`` columns), ``"events"`` for its Event Statistics export (``Event Start Trial Time [ms]``
    with ``Category`` or ``Fixation Position X [px]``), else "" (``names``: lower-cased, units stripped)."""
    names = set(names)
    if "recordingtime" in names and any(n.startswith(("point of regard ", "category ")) for n in names):
        return "raw"
    if "event start trial time" in names and ("category" in names or "fixation position x" in names):
        return "events"
    return ""


def _refuse_other(path: Path, cols: list[str]) -> None:
    """One line refusing a BeGaze Raw Data / Event Statistics export (not read), with what to do instead."""
    base = {split_unit(c)[0]: c for c in cols if c}
    kind = other_export(base)
    if not kind:
        return
    pick = lambda *names: next((base[n] for n in names if n in base), None)  # noqa: E731
    if kind == "raw":
        eye = next((e for e in ("binocular", "right", "left") if f"point of regard {e} x" in base), "binocular")
        x = pick(f"point of regard {eye} x") or "Point of Regard Binocular X [px]"
        y = pick(f"point of regard {eye} y") or "Point of Regard Binocular Y [px]"
        t = pick("recordingtime") or "RecordingTime [ms]"
        raise UserError(f"{path}: a BeGaze Raw Data export (RecordingTime, Point of Regard ... columns) is not "
                        f"read by the begaze reader; export the samples with IDF Converter or BeGaze's 'Export Raw "
                        f"Data to File' (Time, Type, L POR X [px], ... columns), or read this file with `format` "
                        f"samples `columns` \"time={t},x={x},y={y}\"")
    t = pick("event start trial time") or "Event Start Trial Time [ms]"
    d = pick("event duration") or "Event Duration [ms]"
    x = pick("fixation position x") or "Fixation Position X [px]"
    y = pick("fixation position y") or "Fixation Position Y [px]"
    raise UserError(f"{path}: a BeGaze Event Statistics export (Event Start Trial Time, Fixation Position ... "
                    f"columns) is not read by the begaze reader; export the events with IDF Event Detector (an event "
                    f"export: 'Table Header for Fixations:'), or read this file with `format` fixations `columns` "
                    f"\"t_start_ms={t},duration_ms={d},x={x},y={y}\" (its saccade and blink rows, without a "
                    f"position, are then quarantined as bad_coordinates)")


def _scan(path: Path) -> dict:
    """Header block: metadata, and where the table starts (events: the table headers; samples: the column line)."""
    meta: dict[str, str] = {}
    tables: dict[str, tuple[int, list[str], str]] = {}
    pending: tuple[str, int] | None = None
    last_line = 0
    for k, line in head_lines(path, 20_000):
        last_line = k
        s = line.strip()
        if pending is not None:
            if not s:
                continue
            name, at = pending
            if not s.lower().startswith("event type"):
                raise UserError(f"{path}: read as a {VENDOR} event export, but line {k}, after 'Table Header for "
                                f"{name}:' on line {at}, is not its column line (Event Type, Trial, ...): {s[:80]!r}")
            sep = sep_of(line)
            tables[name.lower()] = (k, split_line(line, sep), sep)
            pending = None
            continue
        if not s:
            continue
        if s.lower().startswith("table header for"):
            pending = (s[len("table header for"):].strip().rstrip(":").strip(), k)
            continue
        if tables:  # first data row after the table headers
            return {"mode": "events", "meta": meta, "tables": tables, "data_from": k}
        if s.startswith("#") or s.startswith("["):
            kv = meta_value(s)
            if kv:
                meta.setdefault(kv[0], kv[1])
            continue
        kv = meta_value(s)
        if kv and "\t" not in s.split(":", 1)[0] and "," not in s.split(":", 1)[0]:
            meta.setdefault(kv[0], kv[1])
            continue
        return {"mode": "samples", "meta": meta, "col_line": k, "cols": split_line(line, sep_of(line)),
                "sep": sep_of(line)}
    if pending is not None:
        raise UserError(f"{path}: read as a {VENDOR} event export, but the file ends after 'Table Header for "
                        f"{pending[0]}:' on line {pending[1]} (no column line)")
    if tables:
        return {"mode": "events", "meta": meta, "tables": tables, "data_from": last_line + 1}
    raise UserError(f"{path}: read as a {VENDOR} export, but its header block ends at line {last_line} without a "
                    f"table: neither 'Table Header for Fixations:' (event export) nor a column line "
                    f"(Time, Type, L POR X [px], ...: raw samples)")


def _notes(meta: dict) -> tuple[tuple[int, int] | None, str | None, dict]:
    screen = wxh(meta["calibration area"]) if "calibration area" in meta else None
    notes = {}
    if "sample rate" in meta:
        notes["sample_rate_hz"] = meta["sample rate"]
    if "stimulus dimension [mm]" in meta:
        notes["screen_mm"] = meta["stimulus dimension [mm]"].replace("\t", " ")
    if "head distance [mm]" in meta:
        notes["distance_mm"] = meta["head distance [mm]"]
    return screen, meta.get("subject") or None, notes


def read(path: Path, opts: ReadOptions) -> LogReader:
    """BeGaze event export (fixations) or raw sample export (samples), told apart by the header block."""
    eye = check_eye(opts.eye)
    info = _scan(path)
    if info["mode"] == "samples":
        _refuse_other(path, info["cols"])
    screen, subj, notes = _notes(info["meta"])
    subject = subj or default_subject(path)
    from_messages: set[str] = set()  # the stimulus names taken from message texts, as the chunks are read
    if info["mode"] == "events":
        chunks = _events(path, info, subject, eye, from_messages)
        kind = "fixations"
    else:
        chunks = _samples(path, info, subject, opts.chunk_rows, eye, from_messages)
        kind = "samples"
    notes["eye"] = eye
    rd = LogReader(path, "begaze", kind, chunks, screen_px=screen, notes=notes)
    rd.message_names = from_messages  # free text: the ingest's resolve may match them by their last image word
    return rd


# ---------------------------------------------------------------- event export

def _col(cols: list[str], *names: str) -> int | None:
    base = [split_unit(c)[0] for c in cols]
    for n in names:
        if n in base:
            return base.index(n)
    return None


def _events(path: Path, info: dict, subject: str, eye_choice: str = "average", from_messages: set | None = None):
    tables = info["tables"]
    fix_key = next((k for k in tables if k.startswith("fixation")), None)
    if fix_key is None:
        raise UserError(f"{path}: read as a {VENDOR} event export, but it has no 'Table Header for Fixations:' "
                        f"(tables: {', '.join(sorted(tables))})")
    at, cols, sep = tables[fix_key]
    require_columns(VENDOR, path, at, [split_unit(c)[0] for c in cols],
                    {"event type": "the row type", "start": "start time, µs", "duration": "duration, µs",
                     "location x": "screen px", "location y": "screen px"})
    i_type, i_trial = _col(cols, "event type"), _col(cols, "trial")
    i_start, i_dur = _col(cols, "start"), _col(cols, "duration")
    i_x, i_y = _col(cols, "location x"), _col(cols, "location y")
    i_img = _col(cols, "stimulus", "image", "presented stimulus")
    t_unit = unit_factor(split_unit(cols[i_start])[1], 1e-3, f"{path}: column {cols[i_start]}")
    d_unit = unit_factor(split_unit(cols[i_dur])[1], 1e-3, f"{path}: column {cols[i_dur]}")
    ue = tables.get("user events")
    ue_trial = _col(ue[1], "trial") if ue else 1
    ue_start = _col(ue[1], "start") if ue else 3
    ue_desc = _col(ue[1], "description") if ue else 4
    ue_unit = unit_factor(split_unit(ue[1][ue_start])[1], 1e-3, f"{path}: user events start") if ue else 1e-3

    def width(prefix: str) -> int | None:  # the column count of an event table, when the file has it
        key = next((k for k in tables if k.startswith(prefix)), None)
        return len(tables[key][1]) if key else None

    w_saccade, w_blink, w_user = width("saccade"), width("blink"), width("user event")
    blank = sep + ' \t"\r'

    def chunks() -> Iterator[Chunk]:
        comma = DECIMAL_COMMA.get()  # `decimal` comma (set while a chunk is read): what a point is, as csv_chunks
        if comma:
            comma.table_sep(sep)
        cut_line = unterminated_line(path)
        rows, lines, skipped, malformed, subjects = [], [], [], [], []
        msgs: list[tuple[str, float, str]] = []  # (trial, time ms, image)
        current = subject
        for k, line in head_lines(path, 1 << 62):
            if k < info["data_from"] or not line.strip(blank):  # blank: only spaces, quotes, separators
                continue
            f = split_line(line, sep)
            etype = f[0].lower()
            wide = w_saccade if etype.startswith("saccade") else w_blink if etype.startswith("blink") else \
                w_user if etype.startswith("userevent") or etype.startswith("user event") else None
            if wide is not None and len(f) > wide:  # more fields than its table's column line
                malformed.append(k)
                continue
            if k == cut_line:  # the file ends inside this line (BeGaze ends every line): cut short, any length
                malformed.append(k)
                continue
            if etype.startswith("fixation"):
                if len(f) != len(cols):  # fewer fields: cut short (`Location Y` 52 of 521.06); more: not its table
                    malformed.append(k)
                    continue
                rows.append(f)
                lines.append(k)
                subjects.append(current)
            elif etype.startswith("saccade") or etype.startswith("blink"):
                skipped.append("not_fixation")
            elif etype.startswith("userevent") or etype.startswith("user event"):
                skipped.append("message_row")
                try:
                    t = float(f[ue_start]) * ue_unit
                    img = image_in(f[ue_desc]) if ue_desc is not None and ue_desc < len(f) else ""
                except (ValueError, IndexError, TypeError):
                    continue
                if img:
                    if from_messages is not None:
                        from_messages.add(img)
                    msgs.append((f[ue_trial] if ue_trial is not None and ue_trial < len(f) else "", t, img))
            else:
                # exports concatenated with their header blocks: a later block's `Subject:` line names the
                # subject of the events after it (its header lines themselves are quarantined, listed)
                kv = meta_value(line)  # its value as the header's: separators a spreadsheet added removed
                if kv and kv[0] == "subject" and kv[1]:
                    current = kv[1]
                malformed.append(k)
        a = np.array(rows, dtype=object).reshape(-1, len(cols))
        n = len(a)
        ln = np.asarray(lines, dtype=np.int64)
        df = pd.DataFrame(a, columns=[str(i) for i in range(len(cols))])
        get = lambda i: df[str(i)] if i is not None else None  # noqa: E731
        trial = text(get(i_trial), n)
        start, _, sb = numeric(get(i_start))
        nf_t = non_finite(get(i_start), start)
        dur, dm, db = numeric(get(i_dur))
        nf_d = non_finite(get(i_dur), dur)
        x, _, _ = numeric(get(i_x))
        y, _, _ = numeric(get(i_y))
        start, dur = start * t_unit, dur * d_unit
        stim = text(get(i_img), n, whole=False)
        if msgs and (stim == "").any():
            stim = stim.copy()
            for i in np.flatnonzero(stim == ""):
                best = None
                for tr, t, img in msgs:
                    if tr == trial[i] and (not np.isfinite(start[i]) or t <= start[i] + 1e-9):
                        if best is None or t >= best[0]:
                            best = (t, img)
                stim[i] = best[1] if best else ""
        eye = np.array([t.split()[-1].upper() if len(t.split()) > 1 else "" for t in text(get(i_type), n)],
                       dtype=object)
        subj = np.array(subjects, dtype=object)
        bad_s, bad_d = sb & ~nf_t, (dm | db) & ~nf_d
        if eye_choice != "average":  # the other eye's fixations counted (by design); unnamed ones kept
            other = "R" if eye_choice == "left" else "L"
            k = eye != other
            n_mine = int((eye == eye_choice[0].upper()).sum())
            if n_mine == 0 and (~k).any():
                o = "right" if eye_choice == "left" else "left"
                raise UserError(f"{path}: `eye` {eye_choice}: no {eye_choice}-eye fixation, but {int((~k).sum())} "
                                f"of the {o} eye: a recording of the {o} eye only; use `eye` {o} or average")
            skipped += ["other_eye"] * int((~k).sum())
            ln, subj, stim, trial, x, y, start, dur, eye = (a[k] for a in (ln, subj, stim, trial, x, y, start, dur,
                                                                            eye))
            bad_s, bad_d, nf_t, nf_d = bad_s[k], bad_d[k], nf_t[k], nf_d[k]
            n = len(ln)
        ch = vendor_fixations(ln, subj, stim, trial, x, y, start, dur, eye, "screen",
                              bad_s, bad_d, nf_start=nf_t, nf_dur=nf_d)
        add_counted(ch, skipped)
        ch.rows_read = n + len(skipped) + len(malformed)
        yield with_malformed(ch, np.asarray(malformed, dtype=np.int64), subject)

    return chunks


# ---------------------------------------------------------------- raw samples

def _samples(path: Path, info: dict, subject: str, chunk_rows: int, eye: str = "average",
             from_messages: set | None = None):
    cols, sep, at = info["cols"], info["sep"], info["col_line"]
    require_columns(VENDOR, path, at, cols, {"Time": "µs", "Type": "SMP or MSG"})
    eyes = [e for e in _EYES if f"{e} POR X [px]" in cols and f"{e} POR Y [px]" in cols]
    if "L" in eyes or "R" in eyes:  # B (binocular POR) already combines L and R: not a third eye
        eyes = [e for e in eyes if e != "B"]
    if not eyes:
        raise UserError(f"{path}: read as a {VENDOR} raw sample export, but its column line {at} has no point of "
                        f"regard in pixels ('L POR X [px]'/'L POR Y [px]', or R); the line has: "
                        f"{', '.join(c for c in cols if c)[:300]}")
    other_eye = None  # eye left/right: the other eye (its valid samples tell a monocular recording)
    if eye != "average":
        mine, o = eye[0].upper(), "R" if eye == "left" else "L"
        if mine not in eyes:
            raise eye_columns_missing(path, VENDOR, eye, [f"{mine} POR X [px]", f"{mine} POR Y [px]"],
                                      [c for c in cols if "POR" in c], line=at,
                                      average=" and ".join(f"{e} POR X/Y [px]" for e in eyes))
        other_eye = o if o in eyes else None
        eyes = [mine]
    c_time = "Time"
    t_factor = unit_factor(split_unit(c_time)[1], 1e-3, f"{path}: Time")
    c_trial = "Trial" if "Trial" in cols else None
    c_stim = next((c for c in cols if c.lower() in ("stimulus", "image")), None)
    c_msg = cols[3] if len(cols) > 3 else None
    per_eye = {}
    for e in eyes + ([other_eye] if other_eye else []):
        info_col = f"{e} Event Info" if f"{e} Event Info" in cols else ("Info" if "Info" in cols else None)
        val_col = f"{e} Validity" if f"{e} Validity" in cols else None
        per_eye[e] = (f"{e} POR X [px]", f"{e} POR Y [px]", info_col, val_col)
    usecols = {c_time, "Type", c_trial, c_stim, c_msg}
    for v in per_eye.values():
        usecols |= set(v)
    usecols = sorted(c for c in usecols if c)
    # an SMP row must reach the last gaze column read (time, the eyes' point of regard, info, validity); a row short
    # only by later columns (an empty Stimulus left out, as spreadsheets re-save text files) holds the same data
    gaze = sorted({c_time, *[c for v in per_eye.values() for c in v if c]}, key=cols.index)
    last_col = gaze[-1]
    n_needed = cols.index(last_col) + 1
    state = {"trial": None, "stim": ""}

    def eye_ok(df, cx, cy, ci, cv):
        """x, y, cells that are no number, and valid (a point, not 0/0, no blink, validity not 0)."""
        x, _, xb = numeric(df[cx])
        y, _, yb = numeric(df[cy])
        ok = np.isfinite(x) & np.isfinite(y) & ~((x == 0) & (y == 0))
        if ci:
            ok &= _raw(df[ci]) != "Blink"
        if cv:
            ok &= _raw(df[cv]) != "0"
        return x, y, xb | yb, ok

    def chunks() -> Iterator[Chunk]:
        n_eye = n_other = 0  # eye left/right: valid samples of the chosen eye and of the other one
        scan: dict = {}  # one pass over the file's lines for the SMP rows that may be cut short
        # cut_last "any": BeGaze ends every line, so a last line without its line end is malformed however many
        # fields it has (csv_chunks checks it in the block it reads anyway: no pass of its own over the file)
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows, header_line=at, short_rows=True,
                                               cut_last="any"):
            n = len(df)
            typ = _raw(df["Type"])
            # rows are read short (MSG rows have four fields): an SMP row cut before the last gaze column read
            # is malformed; its missing fields read as empty, so only SMP rows empty there are counted on the file
            maybe = (typ == "SMP") & (_raw(df[last_col]) == "")
            cut = np.zeros(n, bool)
            if maybe.any():
                cut[maybe] = np.isin(lines[maybe], _short_lines(scan, path, set(lines[maybe].tolist()),
                                                                   n_needed, sep))
            if cut.any():
                malformed = np.sort(np.concatenate([malformed, lines[cut]]))
                df, lines, typ = df[~cut].reset_index(drop=True), lines[~cut], typ[~cut]
                n = len(df)
            smp, msg = typ == "SMP", typ == "MSG"
            trial = text(df[c_trial], n) if c_trial else np.full(n, "", object)
            if c_stim:
                stim = text(df[c_stim], n, whole=False)
            else:
                stim = _stimulus_from_messages(typ, trial, text(df[c_msg], n) if c_msg else None, state,
                                               from_messages)
            t, tm, tb = numeric(df[c_time])
            nf_t = non_finite(df[c_time], t)
            t = t * t_factor
            xs, ys, oks = [], [], []
            bad_xy = np.zeros(n, bool)
            for e in eyes:
                x, y, bad, ok = eye_ok(df, *per_eye[e])
                bad_xy |= bad
                xs.append(np.where(ok, x, 0.0))
                ys.append(np.where(ok, y, 0.0))
                oks.append(ok)
            cnt = np.sum(oks, axis=0)
            valid = cnt > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                x = np.where(valid, np.sum(xs, axis=0) / np.maximum(cnt, 1), np.nan)
                y = np.where(valid, np.sum(ys, axis=0) / np.maximum(cnt, 1), np.nan)
            if eye != "average":
                n_eye += int((valid & smp).sum())
                if other_eye:
                    n_other += int((eye_ok(df, *per_eye[other_eye])[3] & smp).sum())
            subj = np.full(n, subject, object)
            ch = sample_chunk(lines[smp], subj[smp], stim[smp], trial[smp], t[smp], x[smp], y[smp], valid[smp],
                              (tm | tb)[smp], bad_xy[smp], non_finite_time=nf_t[smp])
            add_counted(ch, ["message_row"] * int(msg.sum()))
            add_quarantine(ch, lines[~smp & ~msg], "malformed_row", subject)
            yield with_malformed(ch, malformed, subject, read_lines=lines)
        if eye != "average" and n_eye == 0 and n_other > 0:
            raise one_eye_only(path, eye, n_other)

    return chunks


def unterminated_line(path: Path) -> int | None:
    """The number of the file's last line when the file ends inside it (no line end after it), else None.

    BeGaze ends every line it writes, the last one too: a last line without its line end is a file copied or
    cut while it was written, whatever it still holds (``Location Y`` ``52`` of ``521.06``, a ``Blink`` cut to
    ``Bl``). The lines are counted only then (one more pass over a damaged file)."""
    fh = open_input(path, "rb")
    with fh:
        if fh.seek(0, 2) == 0:
            return None
        fh.seek(-1, 2)
        if fh.read(1) in (b"\n", b"\r"):
            return None
    last = None
    for last, _ in head_lines(path, 1 << 62):
        pass
    return last


def _short_lines(scan: dict, path: Path, wanted: set, n_needed: int, sep: str) -> list[int]:
    """The lines among ``wanted`` (1-based numbers) holding fewer than ``n_needed`` fields (cut short).

    ``scan`` holds one pass over the file that goes on from chunk to chunk (their lines only increase), so a file
    whose samples all leave the last column empty is read once more, not once per chunk."""
    if "lines" not in scan:
        scan["lines"] = head_lines(path, 1 << 62)
    out, last = [], max(wanted)
    for k, line in scan["lines"]:
        if k in wanted and line.count(sep) + 1 < n_needed:
            out.append(k)
        if k >= last:
            break
    return out


def _raw(s: pd.Series) -> np.ndarray:
    """A column's cells as stripped strings (missing -> ""), for comparisons with a fixed word."""
    return s.fillna("").str.strip().to_numpy(dtype=object)


def _stimulus_from_messages(typ: np.ndarray, trial: np.ndarray, msg_text: np.ndarray | None, state: dict,
                            from_messages: set | None = None) -> np.ndarray:
    """Per row: the last image named by a message in the same trial, earlier in the file ("" when none); the
    names found are added to ``from_messages``."""
    n = len(typ)
    marks = np.full(n, None, dtype=object)
    if msg_text is not None:
        is_msg = np.flatnonzero(typ == "MSG")
        for i in is_msg:
            img = image_in(str(msg_text[i]))
            if img:
                marks[i] = img
                if from_messages is not None:
                    from_messages.add(img)
    prev = np.concatenate((np.array([state["trial"]], dtype=object), trial[:-1])) if n else trial
    new_trial = (trial != prev).astype(bool)
    reset = new_trial & pd.isna(marks)
    marks[reset] = ""
    s = pd.Series(marks, dtype=object)
    if n and s.iloc[0] is None:
        s.iloc[0] = state["stim"]
    out = s.ffill().fillna("").to_numpy(dtype=object)
    if n:
        state["trial"], state["stim"] = trial[-1], out[-1]
    return out


# ---------------------------------------------------------------- example files (tests, benchmarks)

_HEAD = ("## [BeGaze]\n## Converted from:\tC:\\data\\P01.idf\n## Date:\t08.03.2023 09:25:20\n"
         "## Version:\tBeGaze 3.7.40\n## IDF Version:\t9\n## Sample Rate:\t500\n## Separator Type:\tMsg\n"
         "## Trial Count:\t{trials}\n## Uses Plane File:\tFalse\n## Number of Samples:\t{n}\n## Reversed:\tnone\n"
         "## [Run]\n## Subject:\tP01\n## Description:\tRun1\n## [Calibration]\n## Calibration Area:\t1680\t1050\n"
         "## [Geometry]\n## Stimulus Dimension [mm]:\t474\t297\n## Head Distance [mm]:\t700\n"
         "## [Hardware Setup]\n## System ID:\tIRX0470703-1007\n## [Filter Settings]\n## Heuristics:\tFalse\n"
         "## Bilateral:\tTrue\n## Format:\tLEFT, RIGHT, POR, QUALITY, PLANE, MSG\n##\n")
SAMPLE_COLUMNS = ["Time", "Type", "Trial", "L POR X [px]", "L POR Y [px]", "R POR X [px]", "R POR Y [px]",
                  "L Pupil Diameter [mm]", "R Pupil Diameter [mm]", "Timing", "Pupil Confidence", "L Plane",
                  "R Plane", "L Event Info", "R Event Info", "Stimulus"]


def example_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write a binocular BeGaze raw sample export of ``n`` data rows (500 Hz; a MSG row opens each trial of 250;
    the gaze rests 250 ms at each point, with 0.5 px noise; 2 % blink samples)."""
    k = np.arange(n)
    msg = k % 250 == 0
    trial = (k // 250 + 1).astype(str)
    t = (10_000_000_000 + k * 2000).astype(np.int64).astype(str)
    x = (np.repeat(rng.uniform(100, 1580, n // 125 + 1), 125)[:n] + rng.normal(0, 0.5, n)).round(2)
    y = (np.repeat(rng.uniform(100, 950, n // 125 + 1), 125)[:n] + rng.normal(0, 0.5, n)).round(2)
    stim = np.char.add(np.char.add("img", (k // 250 % 20 + 1).astype(str)), ".jpg")
    blink = rng.random(n) < 0.02
    info = np.where(blink, "Blink", "Fixation")
    data = {"Time": t, "Type": np.where(msg, "MSG", "SMP"), "Trial": trial,
            "L POR X [px]": np.where(msg, np.char.add("# Message: ", stim), x.astype(str)),
            "L POR Y [px]": np.where(msg, "", y.astype(str)),
            "R POR X [px]": np.where(msg, "", (x + 3).astype(str)), "R POR Y [px]": np.where(msg, "", y.astype(str)),
            "L Pupil Diameter [mm]": np.where(msg, "", "3.50"), "R Pupil Diameter [mm]": np.where(msg, "", "3.60"),
            "Timing": np.where(msg, "", "0"), "Pupil Confidence": np.where(msg, "", "1"),
            "L Plane": np.where(msg, "", "1"), "R Plane": np.where(msg, "", "1"),
            "L Event Info": np.where(msg, "", info), "R Event Info": np.where(msg, "", info),
            "Stimulus": np.where(msg, "", stim)}
    from saliency.data_tools.readers.vendor import write_table
    write_table(path, _HEAD.format(trials=int(trial[-1]) if n else 0, n=n), SAMPLE_COLUMNS, data)
    if n:  # MSG rows have four fields, as BeGaze writes them
        txt = path.read_text(encoding="utf-8").split("\n")
        start = len(txt) - 1 - n
        for i in np.flatnonzero(msg):
            txt[start + i] = "\t".join(txt[start + i].split("\t")[:4])
        path.write_text("\n".join(txt), encoding="utf-8")
    return n


_EVENT_TABLES = (
    "Table Header for Fixations:\nEvent Type\tTrial\tNumber\tStart\tEnd\tDuration\tLocation X\tLocation Y\t"
    "Dispersion X\tDispersion Y\tPlane\tAvg. Pupil Size X\tAvg. Pupil Size Y\n\n"
    "Table Header for Saccades:\nEvent Type\tTrial\tNumber\tStart\tEnd\tDuration\tStart Loc.X\tStart Loc.Y\t"
    "End Loc.X\tEnd Loc.Y\tAmplitude\tPeak Speed\tPeak Speed At\tAverage Speed\tPeak Accel.\tPeak Decel.\t"
    "Average Accel.\n\nTable Header for Blinks:\nEvent Type\tTrial\tNumber\tStart\tEnd\tDuration\n\n"
    "Table Header for User Events:\nEvent Type\tTrial\tNumber\tStart\tDescription\n\n")


def example_events_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write a BeGaze event export of ``n`` data rows: a user event naming the image per trial, then
    fixations (both eyes), saccades and blinks in time order."""
    head = _HEAD.replace("## ", "").replace("##\n", "").format(trials=1, n=n * 100)
    out, t, trial = [], 3_382_450_000_000, 0
    while len(out) < n:
        if len(out) % 40 == 0:
            trial += 1
            out.append(f"UserEvent\t{trial}\t{trial}\t{t}\t# Message: img{trial}.jpg")
            continue
        r = rng.random()
        dur = int(rng.integers(80_000, 600_000))
        if r < 0.6:
            x, y = rng.uniform(0, 1680), rng.uniform(0, 1050)
            for eye in ("L", "R")[: 1 + (len(out) % 2)]:
                out.append(f"Fixation {eye}\t{trial}\t{len(out)}\t{t}\t{t + dur}\t{dur}\t{x:.2f}\t{y:.2f}\t22\t"
                           f"69\t-1\t17.16\t17.16")
        elif r < 0.9:
            out.append(f"Saccade L\t{trial}\t{len(out)}\t{t}\t{t + 30000}\t30000\t1009.68\t587.24\t1000.98\t"
                       f"583.28\t0.11\t9.00\t1.00\t5.74\t94.46\t-203.67\t137.37")
        else:
            out.append(f"Blink L\t{trial}\t{len(out)}\t{t}\t{t + 80000}\t80000")
        t += dur
    out = out[:n]
    path.write_text(head + "\n" + _EVENT_TABLES + "\n".join(out) + "\n", encoding="utf-8")
    return len(out)

"""``tobii``: Tobii Pro Lab data export (TSV): gaze samples, or Tobii's own fixations.

Field names from ``../shared/REFERENCES.md`` section 3: ``Recording timestamp``
(unit in brackets; when absent ``time_unit``, else µs; a unit a re-save made unreadable, ``[?s]``, is
absent when ``time_unit`` is given and refused otherwise; ``notes["time_unit_applied"]`` says whether a
given ``time_unit`` was used), ``Participant name``, ``Presented Media
name``, ``Gaze point X/Y``, ``Validity left/right``, ``Eye movement type``,
``Eye movement type index``, ``Gaze event duration``, ``Fixation point X/Y``, ``Sensor``, ``Event``;
empty = missing.

The subject is ``Participant name`` (or the ``columns`` subject); the file
name (:func:`default_subject`) only for an export without that column, or
whose column is blank on every row of the first chunk (:class:`FileSubject`:
a later row naming someone then refuses the file). Pro
Lab fills the participant on every row (event and other-sensor rows too): a
row whose cell is blank is quarantined ``no_subject`` (a sample, or a
``Fixation`` row with ``tracker_events``, which then leaves its neighbours'
fixation whole); rows counted by design stay counted.

Rows that are not gaze samples are counted, not read as samples (every
reading; GazePlotter's Pro Lab parser skips them too): a row of another
``Sensor`` than ``Eye Tracker`` (``Mouse``, ``Gyroscope``, ``Accelerometer``
of Pro Glasses recordings; ``other_sensor``), and a row that carries an
``Event`` (``KeyboardEvent``, ``ImageStimulusStart``, ...) and no gaze point
(``event_row``). Read as missing samples, they would cut fixations in two.

One data row = one line (one gaze sample). A trial is one presentation of a
media: its stimulus is ``Presented Media name``, its trial the recording name
(an export without the media column: every row's trial is its recording, for
``trials`` to name); rows outside any presented media have neither (the ingest quarantines them as
``outside_trial`` unless ``stimulus`` names one for every row).

Coordinates: Pro Lab writes each point column in a coordinate system named
by its unit suffix (``Gaze point X [DACS px]``; older exports ``Gaze point
X`` for DACS px and ``Gaze point X (MCSnorm)``). The reader takes the X/Y
pair of a point in the first unit of: DACS px (the display area: screen
pixels, space ``screen``), MCS px (the media coordinate system: pixels of the
presented media, space ``stimulus``), MCS norm (fractions 0..1 of the media,
space ``stimulus_norm``), whichever the export holds; a point exported only
in another unit (``[DACS mm]``) is refused with one line. ``columns`` x/y are
placed by their own unit suffix. ``notes["coordinates"]`` says which was read.

Eyes (``ReadOptions.eye``): ``average`` (the default) reads ``Gaze point
X/Y``, the gaze Pro Lab combines from the two eyes by its eye-selection
setting (the average of the valid eyes by default), valid where it is given
and either ``Validity left`` or ``Validity right`` says ``Valid``. ``left`` /
``right`` read that eye's ``Gaze point left X/Y`` (``right``; units as above),
valid where its own validity column says ``Valid`` (or, without one, where both
coordinates are given); an export without those columns is refused when it is
opened, and one with no valid sample of the chosen eye while the other eye has
some (a monocular recording) is refused after reading, with one line naming
the eye it holds. Tobii's own fixations (``tracker_events``) are of both eyes
together: ``left`` / ``right`` is refused with them, in one line.

Tracker events (``tracker_events``): a fixation is a run of ``Fixation`` rows
with the same participant, recording, media and ``Eye movement type index``
(the index restarts for each media in some exports, so the media is part of
the key), kept once under its first row's line with its ``Fixation point X/Y``
and ``Gaze event duration``; its further rows are counted
(``fixation_sample``), rows of other types (saccades, ``EyesNotFound``,
``Unclassified``) too (``not_fixation``); a fixation row without a usable
timestamp is quarantined (``bad_time``, ``non_finite_time``). A fixation that
runs on into the next chunk is recognised there by the same key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import (Chunk, LogReader, Probe, ReadOptions, check_eye,
                                              default_subject, header_columns, no_eye_in_events, one_eye_only,
                                              refuse_taken_defaults, resolve_columns, split_unit, stated_unit,
                                              unit_factor)
from saliency.data_tools.readers.chunks import (FileSubject, csv_chunks, fixation_chunk, non_finite, numeric,
                                                sample_chunk, text, with_malformed)
from saliency.data_tools.readers.vendor import add_counted, append_quarantine, fixation_runs

DETECT_RANK = 21  # vendor column names
SUFFIXES: tuple[str, ...] = ()
EYES = True  # honours ReadOptions.eye
#: the ``columns`` keys this reader honours, by what it reads: samples place x/y (by their unit suffix),
#: Tobii's own fixations (``tracker_events``) are read from 'Fixation point X/Y' whatever x/y name;
#: time, trial (the recording) and validity are Pro Lab's own columns
COLUMN_KEYS = {"samples": ("subject", "stimulus", "x", "y"), "fixations": ("subject", "stimulus")}
#: the coordinate systems of Pro Lab's point columns this reader places, by unit suffix (lower-cased, spaces
#: removed), in the order it prefers them: DACS px (the display area, screen pixels; older exports write no
#: suffix), MCS px (the media, stimulus pixels), MCS norm (the media, fractions 0..1). DACS mm (the display
#: area in millimetres) and the glasses' HUCS are not placed: a file with only those is refused.
UNIT_SPACES = {"": "screen", "px": "screen", "dacspx": "screen", "mcspx": "stimulus", "mcsnorm": "stimulus_norm"}
SPACE_UNITS = {"screen": "DACS px", "stimulus": "MCS px", "stimulus_norm": "MCS norm"}
_PREFERENCE = ("screen", "stimulus", "stimulus_norm")


#: Pro Lab's own spelling of the columns this reader names in a message, by the lower-cased base name
#: (:func:`split_unit`'s): quoted as the export writes them, for a user to find in the header
VENDOR_NAMES = {"recording timestamp": "Recording timestamp", "participant name": "Participant name",
                "recording name": "Recording name", "presented media name": "Presented Media name",
                "sensor": "Sensor", "event": "Event", "eye movement type": "Eye movement type",
                "eye movement type index": "Eye movement type index", "gaze event duration": "Gaze event duration",
                "validity left": "Validity left", "validity right": "Validity right"}


def vendor_name(base: str) -> str:
    """Pro Lab's spelling of a lower-cased base name: the one :data:`VENDOR_NAMES` gives, else a point column's
    (``gaze point left x`` -> ``Gaze point left X``)."""
    if base in VENDOR_NAMES:
        return VENDOR_NAMES[base]
    stem, _, axis = base.rpartition(" ")
    if stem and axis in ("x", "y"):
        return f"{stem.capitalize()} {axis.upper()}"
    return base.capitalize()


def _unit_key(unit: str | None) -> str:
    return (unit or "").replace(" ", "").lower()


def point_columns(path: Path, header: list[str], stem: str, what: str) -> tuple[str, str, str] | None:
    """The X and Y columns of a Pro Lab point (``stem``: ``gaze point``, ``fixation point``, ``gaze point left``)
    in the preferred unit both are exported in, with their coordinate space; None when the file has neither.

    ``[DACS px]`` (or no unit) before ``[MCS px]`` before ``[MCS norm]``; an export whose columns of the point
    are all in another unit (``[DACS mm]``) is refused with one line (``what`` names the reading).
    """
    found: dict[str, dict[str, str]] = {}  # space -> {"x": column, "y": column}
    other = []
    for h in header:
        base, unit = split_unit(h)
        if base not in (f"{stem} x", f"{stem} y"):
            continue
        space = UNIT_SPACES.get(_unit_key(unit))
        if space is None:
            other.append(h)
            continue
        found.setdefault(space, {}).setdefault(base[-1], h)
    for space in _PREFERENCE:
        cols = found.get(space, {})
        if "x" in cols and "y" in cols:
            return cols["x"], cols["y"], space
    if found or other:
        axes = {split_unit(h)[0][-1] for h in other} | {a for xy in found.values() for a in xy}
        for a in ("x", "y"):
            if a not in axes:
                raise UserError(f"{path}: line 1 (the header): Tobii Pro Lab export without a "
                                f"{vendor_name(f'{stem} {a}')!r} column")
        have = ", ".join(repr(h) for h in header if split_unit(h)[0] in (f"{stem} x", f"{stem} y"))
        raise UserError(f"{path}: line 1 (the header): {what} needs '{stem.capitalize()} X/Y' in DACS px, MCS px "
                        f"or MCS norm (both X and Y in one unit); the export has {have}: export them from Pro Lab "
                        f"in one of those units")
    return None


def space_of(path: Path, col: str, what: str) -> str:
    """The coordinate space of a column the user names (``columns`` x/y) from its unit suffix."""
    space = UNIT_SPACES.get(_unit_key(split_unit(col)[1]))
    if space is None:
        raise UserError(f"{path}: `columns` {what}={col}: a unit this reader cannot place; use a column in DACS px, "
                        f"MCS px or MCS norm")
    return space


def sniff(probe: Probe) -> bool:
    """Pro Lab's recording timestamp with gaze or fixation point columns."""
    hs = probe.names
    return "recording timestamp" in hs and ("gaze point x" in hs or "fixation point x" in hs)


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Tobii Pro Lab data export: gaze samples, or Tobii's own fixations with ``tracker_events``."""
    columns, tracker_events, chunk_rows = opts.columns, opts.tracker_events, opts.chunk_rows
    header, sep = header_columns(path)
    # a mapped column the header lacks: one line naming it, as the generic reader says (not pandas' usecols error)
    keys = COLUMN_KEYS["fixations" if tracker_events else "samples"]
    found = resolve_columns(header, columns, path, keys)
    # the mapped columns as the header spells them (a name typed in NFC, the header saved in NFD): read by that
    columns = {k: found[k][0] for k in columns if k in keys}
    by_base = {}
    for h in header:
        by_base.setdefault(split_unit(h)[0], h)
    eye = check_eye(opts.eye)
    if tracker_events and eye != "average":  # Pro Lab's fixations: one 'Fixation point X/Y' of both eyes
        raise no_eye_in_events(path, eye, "Tobii Pro Lab's fixations (Fixation point X/Y)")
    c_v = c_ov = c_ox = c_oy = None  # eye left/right: the chosen eye's validity, the other eye's columns

    def col(base, required=True):
        if base in by_base:
            return by_base[base]
        if required:
            raise UserError(f"{path}: line 1 (the header): Tobii Pro Lab export without a {vendor_name(base)!r} "
                            f"column")
        return None

    c_time = col("recording timestamp")
    # the header's unit, else `time_unit`, else µs (Pro Lab's own unit); one a re-save made unreadable ('[?s]')
    # is none when `time_unit` is given, else refused
    t_unit = stated_unit(split_unit(c_time)[1], opts.time_unit, f"{path}: column {c_time!r}")
    t_factor = unit_factor(t_unit or opts.time_unit, 1e-3, f"{path}: {c_time}")
    # a column a `columns` key names is read by that key only: not also, as its default, by another key (x=Gaze
    # point Y read y from it too: x == y on every sample); that key then has no column (refused where needed)
    taken = set(columns.values())

    def free(c):
        return None if c in taken else c

    c_subj = columns.get("subject") or free(col("participant name", False))
    c_rec = col("recording name", False)
    c_media = columns.get("stimulus") or free(col("presented media name", False))
    c_sensor, c_event = col("sensor", False), col("event", False)
    if tracker_events:
        c_type, c_idx = col("eye movement type"), col("eye movement type index")
        point = point_columns(path, header, "fixation point", "reading Tobii's fixations")
        if point is None:
            col("fixation point x")  # the one-line error naming the missing column
        c_fx, c_fy, space = point
        c_dur = col("gaze event duration")
        d_factor = unit_factor(split_unit(c_dur)[1], 1.0, f"{path}: {c_dur}")
        use = [c_time, c_type, c_idx, c_fx, c_fy, c_dur]
    else:
        c_vl, c_vr = col("validity left", False), col("validity right", False)
        if eye == "average":
            if columns.get("x") or columns.get("y"):
                point = point_columns(path, header, "gaze point", "reading gaze samples") \
                    if not (columns.get("x") and columns.get("y")) else None
                c_x = columns.get("x") or (point[0] if point else col("gaze point x"))
                c_y = columns.get("y") or (point[1] if point else col("gaze point y"))
                refuse_taken_defaults(path, "tobii", columns, {"x": c_x, "y": c_y})
                space = space_of(path, c_x, "x")
                if space_of(path, c_y, "y") != space:
                    raise UserError(f"{path}: `columns` x={c_x} and y={c_y} are in different units; give both in "
                                    f"one (DACS px, MCS px or MCS norm)")
            else:
                point = point_columns(path, header, "gaze point", "reading gaze samples")
                if point is None:
                    col("gaze point x")  # the one-line error naming the missing column
                c_x, c_y, space = point
            use = [c_time, c_x, c_y, c_vl, c_vr]
        else:
            if columns.get("x") or columns.get("y"):
                raise UserError(f"{path}: `eye` {eye} and `columns` x/y both choose the gaze columns; give one")
            other = "right" if eye == "left" else "left"
            point = point_columns(path, header, f"gaze point {eye}", f"`eye` {eye}")
            if point is None:
                raise UserError(f"{path}: line 1 (the header): `eye` {eye} needs the per-eye columns 'Gaze point "
                                f"{eye} X' and 'Gaze point {eye} Y' (DACS px, MCS px or MCS norm), which this export "
                                f"lacks; export them from Pro Lab, or use `eye` average (Gaze point X/Y)")
            c_x, c_y, space = point
            try:
                c_ox, c_oy, _ = point_columns(path, header, f"gaze point {other}", "") or (None, None, None)
            except UserError:  # the other eye only in a unit not read: its validity column still counts it
                c_ox = c_oy = None
            c_v, c_ov = (c_vl, c_vr) if eye == "left" else (c_vr, c_vl)
            use = [c_time, c_x, c_y, c_v, c_ov, c_ox, c_oy]
    use += [c_subj, c_rec, c_media, c_sensor, c_event]
    usecols = sorted({c for c in use if c})
    notes = {}

    def chunks() -> Iterator[Chunk]:
        last_key = None  # the fixation the previous chunk ended in (it may go on in this one)
        n_eye = n_other = 0  # eye left/right: valid samples of the chosen eye and of the other one
        # the file name names the rows only of an export without a participant column (or whose column is blank on
        # every row of its first chunk, FileSubject); in one naming someone (Pro Lab fills it on every row, events
        # and other sensors included) a blank cell names no observer and is quarantined no_subject
        subjects = FileSubject(path, c_subj, default_subject(path), notes)
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows, cut_last="any"):
            n_read = len(df) + len(malformed)  # every data row of the block, the rows set aside below included
            subject = subjects.cells(df[c_subj] if c_subj else None, lines)  # judged on every row, events too
            skip = not_gaze(df, c_sensor, c_event, None if tracker_events else (c_x, c_y))
            if skip is not None:
                keep = skip == ""
                df, lines, subject = df[keep].reset_index(drop=True), lines[keep], subject[keep]
            n = len(df)
            stimulus = text(df[c_media] if c_media else None, n, whole=False)
            # a trial is one presentation of a media in a recording: rows outside any media have none
            # (an export without a media column: the recording is the trial, for `trials` to name)
            rec = text(df[c_rec] if c_rec else None, n)
            if c_media:
                rec = np.where(stimulus != "", rec, "")
            t, tm, tb = numeric(df[c_time])
            nf_t = non_finite(df[c_time], t)
            t = t * t_factor
            if tracker_events:
                typ = text(df[c_type], n)
                is_fix = typ == "Fixation"
                bad_t = is_fix & (tm | tb | nf_t | np.isinf(t))
                # a Fixation row with a blank participant cell: quarantined on its own (no_subject), so that it
                # neither makes up an observer nor splits the run of its neighbours' fixation
                no_subj = is_fix & ~bad_t & (subject == "") if c_subj else np.zeros(n, bool)
                fix = is_fix & ~bad_t & ~no_subj
                counted = {"not_fixation": int((~is_fix).sum())}
                why = np.where(nf_t | np.isinf(t), "non_finite_time", np.where(bad_t, "bad_time", "no_subject"))
                # one fixation = a run of Fixation rows with the same (participant, recording, media, index)
                k, counted["fixation_sample"], qt, last_key = fixation_runs(
                    lines, subject, rec, stimulus, text(df[c_idx], n), fix, bad_t, bad_t | no_subj, why, "B", last_key)
                fx = numeric(df[c_fx])[0][k]
                fy = numeric(df[c_fy])[0][k]
                dur = numeric(df[c_dur])[0][k]
                nf_d = non_finite(df[c_dur].iloc[k], dur)
                ch = fixation_chunk(lines[k], subject[k], stimulus[k], rec[k], fx, fy, t[k], dur * d_factor,
                                    np.full(len(k), "B", object), space, non_finite_duration=nf_d)
                append_quarantine(ch, qt)
                ch.counted = {r: v for r, v in counted.items() if v}
                ch = with_malformed(ch, malformed, subjects.default)
            else:
                x, xm, xb = numeric(df[c_x])
                y, ym, yb = numeric(df[c_y])
                valid = np.isfinite(x) & np.isfinite(y)
                if eye != "average":
                    if c_v:
                        valid &= text(df[c_v], n) == "Valid"
                    n_eye += int(valid.sum())
                    if c_ov:
                        n_other += int((text(df[c_ov], n) == "Valid").sum())
                    elif c_ox and c_oy:
                        n_other += int((np.isfinite(numeric(df[c_ox])[0]) & np.isfinite(numeric(df[c_oy])[0])).sum())
                elif c_vl or c_vr:
                    vl = text(df[c_vl], n) == "Valid" if c_vl else np.zeros(n, bool)
                    vr = text(df[c_vr], n) == "Valid" if c_vr else np.zeros(n, bool)
                    valid &= vl | vr
                # rows outside any presented media keep an empty stimulus and trial: the ingest
                # quarantines them (outside_trial) unless the user names their stimulus
                ch = sample_chunk(lines, subject, stimulus, rec, t, x, y, valid, tm | tb, xb | yb, non_finite_time=nf_t)
                ch = with_malformed(subjects.named(ch), malformed)
                ch.space = space
            if skip is not None:
                add_counted(ch, skip[skip != ""])
            ch.rows_read = n_read
            yield ch
        if eye != "average" and not tracker_events and n_eye == 0 and n_other > 0:
            raise one_eye_only(path, eye, n_other)

    notes.update({"timestamp_ms_per_unit": t_factor, "coordinates": SPACE_UNITS[space]})
    if opts.time_unit is not None:  # used only when the header gives no unit (ingest refuses it when unused)
        notes["time_unit_applied"] = t_unit is None
    if not tracker_events:
        notes["eye"] = eye
    return LogReader(path, "tobii", "fixations" if tracker_events else "samples", chunks, notes=notes, trials=True)


EYE_SENSOR = "Eye Tracker"


def not_gaze(df: pd.DataFrame, c_sensor, c_event, gaze_cols) -> np.ndarray | None:
    """Per row, why it is not a gaze row (``other_sensor``, ``event_row``) or ``""``; None when every row is one.

    ``gaze_cols``: the sample reading's x/y columns (an event row has them
    empty); None for tracker events, where an event row is one without an
    ``Eye movement type`` (counted as ``not_fixation`` already), so only other
    sensors are set aside.
    """
    n = len(df)
    out = np.full(n, "", dtype=object)
    if c_sensor:
        sensor = text(df[c_sensor], n)
        out[(sensor != "") & (sensor != EYE_SENSOR)] = "other_sensor"
    if c_event and gaze_cols:
        no_gaze = np.ones(n, bool)
        for c in gaze_cols:
            no_gaze &= text(df[c], n) == ""
        out[(out == "") & no_gaze & (text(df[c_event], n) != "")] = "event_row"
    return out if (out != "").any() else None


_EXAMPLE_HEAD = ["Recording timestamp [μs]", "Participant name", "Recording name", "Presented Media name",
                 "Gaze point X", "Gaze point Y", "Validity left", "Validity right", "Eye movement type",
                 "Gaze event duration [ms]", "Eye movement type index", "Fixation point X", "Fixation point Y"]


def example_file(path: Path, rng, n: int) -> int:
    """A small valid Pro Lab export with ``n`` data rows: 8-sample fixations and 2-sample saccades, 2 media."""
    rows, idx = [], {}
    for k in range(n):
        media = f"img{(k // 40) % 2}.png"
        fix = k % 10 < 8
        key = (media, fix)
        if k % 10 in (0, 8):
            idx[key] = idx.get(key, 0) + 1
        fx, fy = (100 + 7 * (k // 10), 200 + 3 * (k // 10)) if fix else ("", "")
        rows.append("\t".join(map(str, [1_000_000 + 8333 * k, "p1", "rec1", media,
                                        f"{rng.uniform(0, 1920):.0f}", f"{rng.uniform(0, 1080):.0f}",
                                        "Valid", "Valid", "Fixation" if fix else "Saccade", 67 if fix else 17,
                                        idx[key], fx, fy])))
    path.write_text("\t".join(_EXAMPLE_HEAD) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return n


example_events_file = example_file  # the same export, read for Tobii's fixations

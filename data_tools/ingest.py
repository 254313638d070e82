"""Eye-tracker logs -> fixation dataset folder (``saliency ingest``).

Pipeline: read each log in chunks (:mod:`data_tools.readers`) -> name the
stimulus of each row (a column, or ``--trials`` (subject, trial) ->
stimulus; a name matches a stimulus file by file name or stem) -> detect
fixations in raw samples (:mod:`data_tools.detection`, per trial, in degrees
from the screen geometry) -> map screen pixels into the stimulus as it was
shown (:mod:`data_tools.geometry`) -> apply the pooling policies -> one
Gaussian map per stimulus (:mod:`data_tools.maps`, in parallel with
``workers``) -> QC, centre bias and inter-observer consistency
(:mod:`data_tools.qc`) -> the dataset folder, built in a staging folder and
renamed into place (:func:`saliency.base.fsutil.staged_dir`). With
``workers`` > 1 one process pool serves the whole run, started before the
first chunk is read: the stimulus check and the detection of each chunk's
trials run in it while the main process reads on, then the maps.

Rows that cannot be used never stop the run; they go to ``quarantine.csv``
with a reason: ``non_numeric``, ``bad_time``, ``bad_coordinates``,
``bad_duration``, ``non_finite_time`` and ``non_finite_duration`` (``inf``,
``-inf``, ``1e999`` or ``nan`` written in a time or duration column; the
missing markers ``.``, empty, ``NA`` stay missing), ``malformed_row`` (a
table row that cannot be split into fields: a quote left open on its line,
more fields than the header; only that row is lost), ``low_confidence``,
``bad_confidence`` (Pupil: a confidence that is not a number),
``outside_trial`` (the format marks trials and the row lies in none),
``no_stimulus`` (no name from the file, ``stimulus`` or ``trials``),
``unknown_stimulus`` (a name that matches no image), ``bad_stimulus_image``
(an image that cannot be read), ``stimulus_too_large`` (an image declaring
more pixels than ``max_pixels``, or a side above 65,535: one warning names
the images and the limit, recorded in ``dataset.json`` ``policies``),
``off_screen``, ``off_stimulus``, ``short_fixation`` (a fixation list's
fixation shorter than ``min_duration_ms``; with ``detector`` tracker only
when given), ``first_fixation`` (``drop_first``), ``zero_duration`` (with
``weight`` duration, a kept fixation lasting 0 ms, such as a detected one of a
single sample under ``min_duration_ms`` 0: it would weigh nothing in the map),
``malformed_annotation``,
``time_backwards`` (a raw sample whose time is earlier than the latest time
already seen in its trial, rows taken in file order: a clock that went back;
a trial is never sorted by time, and a row repeating the latest time stamp
is kept, classified once with it).
Every ``line`` is the row's true 1-based line in its file. Raw samples that
are missing or flagged invalid (blinks) are not errors: they end fixations
and count in the QC valid share. So do quarantined sample rows of a known
subject and stimulus, whatever the reason (``non_numeric`` such as Excel's
``#N/A``, ``bad_time``, ``off_screen``, ...): in ``qc.csv`` ``samples``, not
``valid_samples``; rows that name no usable stimulus (``no_stimulus``,
``outside_trial``, ``unknown_stimulus``, ``bad_stimulus_image``,
``stimulus_too_large``, a ``malformed_row`` without subject and stimulus, and a row whose quarantine
record names no stimulus: an EyeLink ASC sample line that does not parse, a
row whose stimulus would come from ``trials``) cannot be attributed and are
not counted. Fixations detected from samples carry the
line of their first sample.

Row accounting (protocol in :mod:`data_tools.readers.base`): per input,
``dataset.json`` ``inputs[i].rows`` holds ``read = kept + quarantined +
counted`` (by reason; counted rows are a format's by-design rows such as a
fixation's further samples, not listed in ``quarantine.csv``), and for raw
samples the detected fixations' own books. Geometry: the resolution a file
declares is used when the user gives none (one pixel off the user's is the
same screen: last index vs count); degrees still need the physical size and
distance. Plausibility: a median sampling interval implying more than 5 kHz
or less than 10 Hz, or fixation lists with a median fixation over 10 s, stop
the run with one line naming the time unit; inputs whose points mostly fall
off the screen get a warning line (in ``dataset.json`` ``warnings``) naming
the likely cause.

The same input given twice (the same path twice, or two files with the same
SHA-256) is read once: the later one is skipped with one warning line on
stderr naming both paths, and ``dataset.json`` lists it under ``inputs`` with
``duplicate_of``. Different inputs without a subject column named alike
(``s1/fix.csv``, ``s2/fix.csv``: subject ``fix``) are pooled as one observer
with a warning line (:func:`shared_file_subjects`).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from saliency.data_tools import detectors as det  # the table; detection (scipy) is imported when samples come
from saliency.data_tools.choices import MAP_FORMATS, IngestOptions  # noqa: F401 (re-exported)
from saliency.data_tools.geometry import ScreenGeometry
from saliency.data_tools.maps import (MapPolicy, fixation_map, inside, pixel_index, quantized_map, saliency_map,
                                      to_uint)
from saliency.data_tools.qc import IOC_SIDE, center_bias, ioc_scores, ioc_shape, qc_table
from saliency.data_tools.choices import DECIMALS, DEG_MAX, DISPLAY_MODES, EYES, RATE_RANGE_HZ, VELOCITY_MAX
from saliency.data_tools.readers import (FIX_COLS, QUAR_COLS, Chunk, LogReader, ReadOptions, quarantine_frame,
                                         run_bounds)
from saliency.data_tools.stimuli import StimulusIndex, load_trials, trial_stimulus, trials_named_by
from saliency.data_tools.readers.base import QUAR_KEYS, shown_name
from saliency.data_tools.readers.chunks import check_chunk_rows, decimal_commas_read, line_fields, trial_value
from saliency.base.images import MAX_SIDE, max_pixels, stimulus_orientation
from saliency.base.errors import UserError
from saliency.base.names import nfc
from saliency.base.progress import progress
from saliency.base.workers import batches, process_pool, single_thread_blas

TOO_LARGE = "stimulus_too_large"  # the quarantine reason of a stimulus above the pixel limit (`max_pixels`)
CANONICAL = ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms", "eye", "source", "line"]
#: seconds per stage of the last :func:`ingest` in this process (``benchmarks/ingest.py`` prints them): wall
#: time of each main-process stage, and ``worker: ...`` the map workers' time per step summed over maps
LAST_STAGES: dict[str, float] = {}


class _Laps:
    """Wall time between checkpoints, summed per stage name (into :data:`LAST_STAGES`)."""

    def __init__(self):
        LAST_STAGES.clear()
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        """Charge the time since the previous checkpoint to ``name``."""
        now = time.perf_counter()
        LAST_STAGES[name] = LAST_STAGES.get(name, 0.0) + now - self.t
        self.t = now

    @staticmethod
    def add(times: dict) -> None:
        """Add a worker's step times (``worker: <step>``)."""
        for k, v in times.items():
            LAST_STAGES[f"worker: {k}"] = LAST_STAGES.get(f"worker: {k}", 0.0) + v


# IngestOptions and MAP_FORMATS live in data_tools/choices.py (no numpy/pandas: cheap for `--help`)


# ---------------------------------------------------------------- reading

def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_digest(path: Path, seen: dict[str, str]) -> tuple[str, str | None]:
    """``(sha256, duplicate_of)`` of one input among several: ``duplicate_of`` is the earlier input of the same
    content (the same path given twice, or a copy) from ``seen`` (SHA-256 -> path, updated here), else None.

    ``saliency ingest`` and ``saliency detect`` read such an input once (:func:`duplicate_record`); a file that
    cannot be read is refused naming it.
    """
    try:
        digest = sha256(path)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    dup = seen.get(digest)
    if dup is None:
        seen[digest] = str(path)
    return digest, dup


def duplicate_record(command: str, path: Path, rd, digest: str, dup: str) -> dict:
    """Say on stderr, in one warning line naming both paths, that ``path`` repeats ``dup`` and is read once; return
    its record for the output's ``inputs`` (``duplicate_of``), as ``dataset.json`` and ``detection.json`` list it.
    """
    print(f"saliency {command}: warning: {path} has the same content (sha256) as {dup}; read once", file=sys.stderr)
    return {"path": str(path), "sha256": digest, "format": rd.format, "kind": rd.kind, "duplicate_of": dup}


def in_rate_range(rate: float) -> bool:
    """Whether ``rate`` (Hz) is within :data:`RATE_RANGE_HZ`, to a part in a million: time stamps in ms or us carry
    float rounding (5 kHz in ms: a median interval of 0.1999999999998 ms, 5000.0000000045 Hz)."""
    return RATE_RANGE_HZ[0] * (1 - 1e-6) <= rate <= RATE_RANGE_HZ[1] * (1 + 1e-6)


def unended_last_lines(read) -> list[str]:
    """Warning lines for the inputs of ``read`` ((path, reader) pairs) whose last line, without its line end, was
    kept as whole (``notes["last_line_unended"]``, the generic tables): a file cut short inside its last field
    reads whole, so the user is told which row to check."""
    return [f"{p}: its last line ({rd.notes['last_line_unended']}) has no line end and was read as a whole row; "
            "if the file was cut short, check that row" for p, rd in read if rd.notes.get("last_line_unended")]


def file_subject(path: Path, fmt: str) -> str:
    """The subject a reader of ``fmt`` gives the rows of ``path`` that name none: the file's stem, or its folder's
    name (:func:`~data_tools.readers.base.default_subject`; Gazepoint: ``User 0_all_gaze.csv`` -> ``User 0``)."""
    from saliency.data_tools.readers.base import default_subject

    if fmt == "gazepoint":
        from saliency.data_tools.readers.gazepoint import subject_of

        return subject_of(path)
    if fmt == "pupil" and path.parent.name == "surfaces":  # as the Pupil reader names a surface export's rows
        path = path.parent.parent / path.name
    return default_subject(path)


def _has_subject_column(path: Path, rd, columns: dict | None) -> bool:
    """Whether the table ``path`` has a subject column its reader takes (by name, or mapped with ``columns``).

    A column blank on every row its reader judged it by (``subject_column_blank`` in its notes) is not one: the
    file was read without it, under its file name.
    """
    from saliency.data_tools.readers.base import header_columns, resolve_columns

    keys = columns_taken(rd)
    if "subject" not in keys:  # the format has no subject column, or names it in a header block
        return False
    if rd.notes.get("subject_column_blank"):
        return False
    try:
        header, _ = header_columns(path)
        if rd.format == "eyelink-report":
            from saliency.data_tools.readers.eyelink_report import EYELINK_PRESET

            if EYELINK_PRESET["subject"] in header:
                return True
        return "subject" in resolve_columns(header, columns or {}, path, ("subject",))
    except (OSError, UserError, ValueError):
        return False


def _file_named_groups(read: list[tuple[Path, object, set]], columns: dict | None) -> dict[str, list]:
    """Subjects that two or more inputs without a subject column get from their file name: name -> (path, reader)."""
    groups: dict[str, list] = {}
    for path, rd, subjects in read:
        path = Path(path)
        name = file_subject(path, rd.format)
        if name in subjects and not _has_subject_column(path, rd, columns):
            groups.setdefault(name, []).append((path, rd))
    return {name: got for name, got in groups.items() if len(got) > 1}


def _subject_named_by(path: Path, rd, subject: str, columns: dict | None) -> str:
    """What names ``subject`` in the input ``path``: "column" (a subject column its reader takes), "file" (the
    file's name), "folder" (its folder's: MIT1003's ``DATA/<subject>/``, a generic ``fixations.csv``), or "inside"
    (the file itself, with no column to map: a header block's ``Subject:``, a struct's participant number)."""
    if _has_subject_column(path, rd, columns):
        return "column"
    stem = nfc(path.stem)
    if subject == file_subject(path, rd.format):
        return "file" if rd.format == "gazepoint" or subject == stem else "folder"
    if subject == stem:
        return "file"
    if subject == nfc(path.parent.name):
        return "folder"
    return "inside"


SUBJECT_RENAME = {
    "column": "rename the subject in one file's subject column (or map another with `columns` subject=COLUMN)",
    "file": "rename one of the files (its name names the subject)",
    "folder": "rename one of the folders (the folder names the subject)",
    "inside": "ingest them apart (the file names the subject inside, with no column to map)",
}
"""The advice of :func:`shared_subjects` by what names the subject (:func:`_subject_named_by`)."""


def subject_stimulus_pairs(fix: pd.DataFrame) -> dict[str, set]:
    """The (subject, stimulus) pairs the rows of ``fix`` (fixations, stimuli resolved) carry, by their ``source``."""
    out: dict[str, set] = {}
    if len(fix) and {"subject", "stimulus", "source"} <= set(fix.columns):
        for src, g in fix[["source", "subject", "stimulus"]].drop_duplicates().groupby("source", sort=False):
            out[str(src)] = set(zip(g["subject"].tolist(), g["stimulus"].tolist()))
    return out


def shared_subjects(read: list[tuple[Path, object, set]], pairs: dict[str, set], columns: dict | None,
                    groups: dict[str, list] | None = None) -> list[str]:
    """One warning line naming the (subject, stimulus) pairs that rows of two or more different inputs carry.

    ``read`` as :func:`shared_file_subjects` takes it; ``pairs``: each
    input's (subject, stimulus) pairs (:func:`subject_stimulus_pairs`). One
    subject id recorded on the same stimulus in two inputs (two sessions
    repeating a stimulus, or two labs' different people sharing an id) has
    its fixations on that stimulus pooled into one observer's: maps, qc.csv
    and the inter-observer scores see one person's viewing. That may be meant,
    so it is not refused; the line gives the count, the first pairs and the
    files, and how to keep them apart as the format names the subject (a
    column, the file or folder name, the file itself). One subject's inputs
    on different stimuli (MIT1003's ``DATA/<subject>/<image>.mat``, sessions
    of different images) are pooled as they should be: no line. Ids named
    after their file that :func:`shared_file_subjects` names already, and a
    pooled input's (``fixlocs``: every observer under one subject), are left
    to it. ``groups``: :func:`_file_named_groups` of ``read``, when the
    caller has it already (each input's header is read to find it).
    """
    said = set(_file_named_groups(read, columns) if groups is None else groups)
    where: dict[tuple, list] = {}
    for path, rd, _ in read:
        if rd.notes.get("pooled"):
            continue
        for s, stim in pairs.get(str(path), ()):
            if isinstance(s, str) and s and s not in said:
                where.setdefault((s, str(stim)), []).append((Path(path), rd))
    shared = sorted(k for k, got in where.items() if len(got) > 1)
    if not shared:
        return []
    files = {(str(p), s): (p, rd) for s, stim in shared for p, rd in where[(s, stim)]}  # in order
    paths = list(dict.fromkeys(p for p, _ in files))
    named = {_subject_named_by(p, rd, s, columns) for (_, s), (p, rd) in files.items()}
    how = " or ".join(SUBJECT_RENAME[k] for k in SUBJECT_RENAME if k in named)
    first = ", ".join(f"{s!r} on {stim!r}" for s, stim in shared[:5]) + (" ..." if len(shared) > 5 else "")
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    many = len(shared) > 1
    return [f"{len(shared)} (subject, stimulus) pair{'s' if many else ''} ({first}) {'are' if many else 'is'} "
            f"recorded in two or more inputs ({shown}): the subject's fixations on that stimulus in each are pooled "
            f"as one observer's; if they are different people or sessions to keep apart, {how}"]


def shared_file_subjects(read: list[tuple[Path, object, set]], columns: dict | None,
                         groups: dict[str, list] | None = None) -> list[str]:
    """Warning lines (one per subject) for different inputs pooled as one observer by their file name.

    ``read``: each input read (a byte-for-byte repeat is read once and not
    listed), its reader and the subjects its rows carry. An input without a
    subject column of its own names its rows after its file (or folder,
    :func:`file_subject`): two files ``s1/fix.csv`` and ``s2/fix.csv`` are
    then one subject ``fix``. That may be meant (one person's sessions in
    several files), so it is not refused; the line names the subject and the
    files, and how to keep them apart. ``saliency ingest`` and ``saliency
    detect`` both record it in their ``warnings``. ``groups``:
    :func:`_file_named_groups` of ``read``, when the caller has it already.
    """
    lines = []
    for name, got in (_file_named_groups(read, columns) if groups is None else groups).items():
        paths = [str(p) for p, _ in got]
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        folder = any(rd.format != "gazepoint" and name != nfc(p.stem) for p, rd in got)
        rename = "rename their folders" if folder else "rename the files"
        blanks = [bool(rd.notes.get("subject_column_blank")) for _, rd in got]  # a blank column: read as none
        blank = any(blanks)
        how = f"give each a subject column (`columns` subject=COLUMN) or {rename}" \
            if all("subject" in columns_taken(rd) for _, rd in got) else rename
        if all(blanks):
            how = f"fill in the subject column of each (or map another with `columns` subject=COLUMN) or {rename}"
        elif blank and how != rename:
            how = f"give each a subject column filled in on every row (`columns` subject=COLUMN) or {rename}"
        without = "without a subject column (or with one blank on every row)" if blank else "without a subject column"
        lines.append(f"subject {name!r}: {len(paths)} different inputs {without} are named after "
                     f"their {'folder' if folder else 'file'} ({shown}) and pooled as one observer; if they are "
                     f"different people, {how}")
    return lines


def _quarantine_rows(rows: pd.DataFrame, reason, source=None) -> pd.DataFrame:
    """Quarantine frame of canonical ``rows`` (their line, subject, stimulus, x, y) with ``reason``.

    ``reason`` is one string or one per row; ``source`` (per row), when given, becomes the first column.
    """
    q = quarantine_frame(rows["line"], reason, rows["subject"].to_numpy(), rows["stimulus"].to_numpy(),
                         rows["x"].to_numpy(), rows["y"].to_numpy())
    if source is not None:
        q.insert(0, "source", source)
    return q


class _Books:
    """Per-input row accounting: rows read = kept + quarantined (by reason) + counted (by reason)."""

    def __init__(self, kind: str, fmt: str = "", time_unit_read: bool = True):
        self.kind = kind
        self.format = fmt  # the reader's format (a hint that needs it: ``decimal``, :data:`DECIMAL_UNUSED`)
        self.time_unit_read = time_unit_read  # whether its reader takes ``time_unit`` (:func:`check_durations`)
        self.read = 0
        self.kept = 0  # samples: rows passed to detection; fixation lists: set at the end (rows in the table)
        self.quarantined: Counter = Counter()
        self.counted: Counter = Counter()
        self.fix_detected = 0  # samples: fixations detected
        self.fix_quarantined: Counter = Counter()  # samples: detected fixations quarantined later

    def to_dict(self, kept_fixations: int) -> dict:
        """``dataset.json`` ``inputs[i].rows`` (and ``fixations`` for raw samples)."""
        kept = self.kept if self.kind == "samples" else kept_fixations
        out = {"read": self.read, "kept": kept, "quarantined": dict(sorted(self.quarantined.items())),
               "counted": dict(sorted(self.counted.items()))}
        diff = self.read - kept - sum(self.quarantined.values()) - sum(self.counted.values())
        if diff:
            out["unaccounted"] = diff
        if self.kind == "samples":
            out["fixations"] = {"detected": self.fix_detected, "kept": kept_fixations,
                                "quarantined": dict(sorted(self.fix_quarantined.items()))}
        return out


class _Collector:
    """Accumulates fixations, quarantine rows, QC counts and per-input row books across files and chunks."""

    def __init__(self, opts: IngestOptions, index: StimulusIndex, trials: dict | None, pool=None):
        self.o, self.index, self.trials, self.pool = opts, index, trials, pool
        self.fix: list[pd.DataFrame | None] = []  # None: a slot whose detections are still in the pool
        self.pending: list[tuple] = []  # (source, slot, trial meta, futures) of detections in the pool
        self.quar: list[pd.DataFrame] = []
        self.samples = Counter()
        self.valid = Counter()
        self.books: dict[str, _Books] = {}
        self.unknown_names: Counter = Counter()  # names that match no stimulus file -> rows
        self.trials_seen: Counter = Counter()  # trials without a stimulus name -> rows
        self.trials_consulted = 0  # rows without a stimulus name that were looked up in ``trials``
        self.trial_inputs: dict = {}  # (subject, trial) the ``trials`` table named a stimulus for -> its input
        self.off: dict[str, list] = {}  # source -> [off-screen points, finite points, xmin, xmax, ymin, ymax]
        self.format_trials = False  # the current file's format marks trials (LogReader.trials)
        #: source -> the stimulus names its reader took from free-text messages (a BeGaze reader's
        #: ``message_names``): only they may find a file by their last image word (StimulusIndex.resolve)
        self.message_names: dict[str, set] = {}
        self.from_messages: set = set()  # the current file's (filled by its reader as its chunks are read)
        #: source -> the placements its messages state per stimulus name (an EyeLink ASC reader's ``placements``:
        #: ``!V IMGLOAD CENTER img x y``), checked against the `display` placement (:func:`check_placements`)
        self.placements: dict[str, dict] = {}
        self.placement_warnings: list[str] = []  # per source: a placement the stated `display` differs from
        self.rates: RateCheck | None = None  # the current file's sampling-rate check (the file's, each trial's)
        self.interleaving: Interleaving | None = None  # the current file's check that no trials interleave
        self.rate_warnings: list[str] = []  # per source: trials at implausible rates, a detector below its rates
        self.rate_changes: dict[str, list] = {}  # source -> [(trial keys, line)]: rate changed (rate_change_lines)
        #: source -> [(trial keys, line)]: most samples repeat the previous time stamp (a rounded time column), kept
        #: apart from ``rate_changes`` (rate_change_lines shows only the first line of each input)
        self.repeated_times: dict[str, list] = {}
        #: kind -> source -> [(trial keys, line)]: the detector's trial warnings (DETECTOR_WARNING_KINDS: a
        #: velocity window too long for the trial, ...), the first line of a kind per trial (trial_warning_lines)
        self.trial_warnings: dict[str, dict[str, list]] = {}
        self.sample_space: dict[str, str] = {}  # source -> the space its samples' numbers are in (as taken)
        self.gazed: Counter = Counter()  # source -> samples with a valid, finite gaze (the decimal hint needs none)
        self.pointed: Counter = Counter()  # source -> of them, with a fraction (written with a point: no comma)
        #: source -> reason -> its rows quarantined for a number written with a point under `decimal` comma
        #: (:func:`quarantined_point_rows`), for an input that held no decimal comma: the option is their cause
        self.point_rows: dict[str, Counter] = {}
        #: source -> (line, time_ms) of a sample whose time later samples of its trial fall behind -> those samples
        #: (quarantined ``time_backwards``; :func:`fallen_behind`): a refusal names the time stamp to check
        self.behind: dict[str, Counter] = {}
        self.min_duration_ms = opts.min_duration_ms if opts.min_duration_ms is not None else \
            det.DEFAULTS.get(opts.detector, {}).get("min_duration_ms", 100.0)

    def named_by(self, from_trials: bool = False) -> str:
        """Where a stimulus name came from, as a refusal of :meth:`StimulusIndex.resolve` names it: ``stimulus``
        for every row when given, else the trials CSV for a name only it gives, else the logs."""
        if self.o.stimulus is not None:
            return "`stimulus` names"
        if from_trials:
            return trials_named_by(self.o.trials) if self.o.trials else "`trials` names"
        return "the logs name"

    def _from_message(self, name: str) -> bool:
        """Whether ``name`` is the free text of a message of the current file (a BeGaze MSG or user event), which
        may find a stimulus by its last image word; never under ``stimulus``, which names every row."""
        return self.o.stimulus is None and name in self.from_messages

    def stems(self, df: pd.DataFrame, source: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Resolve each row's stimulus: (stem or "", reason or "").

        The name is ``stimulus`` (the option) for every row when given; else the
        row's own name; else ``trials`` (subject, trial), then (any subject,
        trial). Rows still without a name are ``outside_trial`` when the format
        marks trials and the row lies in none, else ``no_stimulus``; a name that
        matches no image is ``unknown_stimulus``. ``source``: the input the rows
        come from (:meth:`_one_input_per_trial`).
        """
        n = len(df)
        if self.o.stimulus is not None:
            names = np.full(n, self.o.stimulus, dtype=object)
        else:
            names = df["stimulus"].to_numpy(dtype=object)
        trial = df["trial"].to_numpy(dtype=object) if "trial" in df else np.full(n, "", dtype=object)
        empty = names == ""
        from_trials: set = set()  # names only the trials CSV gives: a refusal names that file, not the logs
        if self.trials is not None and empty.any():
            self.trials_consulted += int(empty.sum())
            subj = df["subject"].to_numpy(dtype=object)[empty]
            tr = trial[empty]
            names = names.copy()
            found = {p: trial_stimulus(self.trials, *p) for p in set(zip(subj.tolist(), tr.tolist()))}  # per pair
            looked = [found[p] for p in zip(subj.tolist(), tr.tolist())]
            names[empty] = looked
            if source is not None:  # only an entry naming the row's subject: ("*", trial) is every subject's
                tv = {t: trial_value(t) for t in set(tr.tolist())}  # the trial as the table's was read
                own = [s != "*" and (s, tv[t]) in self.trials for s, t in zip(subj, tr)]
                self._one_input_per_trial(source, subj, tr, tv, own)
            from_trials = set(names[empty].tolist()) - set(names[~empty].tolist())
        inv, uniq = pd.factorize(names, use_na_sentinel=False)  # strings (the readers' text columns)
        uniq = [str(u) for u in uniq]
        stem = np.empty(len(uniq), dtype=object)
        reason = np.empty(len(uniq), dtype=object)
        resolved = [self.index.resolve(u, self.named_by(u in from_trials),
                                       last_word=self._from_message(u) and u not in from_trials)
                    if u else None for u in uniq]
        self.index.check([s for s in resolved if s is not None], self.pool, self.o.workers)  # new stimuli, in parallel
        for i, u in enumerate(uniq):
            s = resolved[i]
            if not u:
                stem[i], reason[i] = "", "no_stimulus"
            elif s is None:
                stem[i], reason[i] = "", "unknown_stimulus"
            elif self.index.size(s) is None:  # above `max_pixels` (or a side's limit), else unreadable
                stem[i], reason[i] = "", TOO_LARGE if self.index.too_large(s) else "bad_stimulus_image"
            else:
                stem[i], reason[i] = s, ""
        stem, reason = stem[inv], reason[inv]
        nos = reason == "no_stimulus"
        if nos.any():
            if self.format_trials:
                reason = np.where(nos & (trial.astype(str) == ""), "outside_trial", reason)
            for t, c in Counter(trial[nos & (reason == "no_stimulus")].astype(str).tolist()).items():
                self.trials_seen[t] += c
        unk = reason == "unknown_stimulus"
        if unk.any():
            for nm, c in Counter(names[unk].astype(str).tolist()).items():
                self.unknown_names[nm] += c
        self.looked_up = names  # each row's name, the table's where the row had none: quarantine.csv lists it
        return stem, reason

    def _one_input_per_trial(self, source: str, subj: np.ndarray, trial: np.ndarray, tv: dict, own: list):
        """Refuse a (subject, trial) that rows of two inputs look up in the ``trials`` table's row naming it.

        ``own``: per row, whether it found an entry naming its subject. Such an
        entry names one stimulus per (subject, trial) and the table has no
        column for the input: a session-2 file whose trial 1 showed another
        image would take session 1's (every row mapped to the wrong image, no
        word). A row found through an entry of any subject (a table without a
        subject column: one stimulus per trial for everyone) is not counted:
        the table says each subject's trial shows that stimulus, in every
        session, as it does for different subjects. A byte-for-byte repeat is
        read once (:func:`input_digest`) and never gets here.
        """
        ok = np.asarray(own, dtype=bool)
        for s, t in dict.fromkeys(zip(subj[ok].tolist(), trial[ok].tolist())):  # the first in row order
            first = self.trial_inputs.setdefault((s, tv[t]), source)
            if first != source:
                raise UserError(f"`trials` {self.o.trials}: subject {s!r} trial {str(t)!r} is in two inputs, {first} "
                                f"and {source}, and the table (one stimulus per subject and trial, no input column) "
                                f"cannot tell their rows apart; ingest each session on its own, or give the inputs "
                                f"distinct trial numbers or subject ids (and the table rows to match)")

    def quarantine(self, source: str, q: pd.DataFrame):
        """Add quarantine rows of ``source`` (rows of the file: counted in its books).

        Under ``stimulus`` (every row's stimulus) each row names its stem, a reader's quarantined row as the rows
        ingest sets aside later (``off_screen``, ...): not the file's own name, blank without a stimulus column.
        Under ``trials`` a row without a stimulus name names the one the table gives its (subject, trial).
        """
        if len(q):
            q = q.copy()
            if self.o.stimulus is not None:
                q["stimulus"] = self.index.resolve(self.o.stimulus, "`stimulus` names") or self.o.stimulus
            elif self.trials is not None and {"subject", "trial", "stimulus"} <= set(q.columns):
                # a reader's quarantined row without a stimulus name: the one ``trials`` gives its (subject, trial),
                # as a kept row gets it, so quarantine.csv names it and it counts as named (review RR13)
                own = q["stimulus"]
                blank = (own.isna() | (own.astype(str) == "")) & q["trial"].notna() & q["subject"].notna()
                if blank.any():
                    q["stimulus"] = own.astype(object)
                    # the table's name as a kept row's resolves (its stem: "a.png" -> "a", as fixations.csv and
                    # the rows set aside later name it), the name as written when it finds no stimulus
                    looked = [trial_stimulus(self.trials, str(sj), tr) for sj, tr in
                              zip(q.loc[blank, "subject"], q.loc[blank, "trial"])]
                    q.loc[blank, "stimulus"] = [(_quarantined_stem(self.index, n) or n) if n else n for n in looked]
            q.insert(0, "source", source)
            self.quar.append(q)
            self.books[source].quarantined.update(q["reason"].astype(str).tolist())

    def _split_unknown(self, source: str, ch: Chunk) -> pd.DataFrame:
        df = ch.df
        if "stimulus" not in df or not len(df):
            return df.iloc[0:0] if len(df.columns) else pd.DataFrame(columns=FIX_COLS)
        stem, reason = self.stems(df, source)
        bad = reason != ""
        if bad.any():
            rows = df.loc[bad]
            if self.trials is not None:  # the name from `trials`, not the row's empty one
                own = rows["stimulus"].to_numpy(dtype=object)
                rows = rows.assign(stimulus=np.where(own == "", self.looked_up[bad], own))
            self.quarantine(source, _quarantine_rows(rows, reason[bad]))
        df = df.loc[~bad].copy()
        df["stimulus"] = stem[~bad]
        return df

    def _read_chunk(self, source: str, ch: Chunk):
        """Book a chunk's own counts (rows read, reasons counted) and its quarantine."""
        b = self.books[source]
        b.read += int(ch.rows_read) if ch.rows_read is not None else len(ch.df) + len(ch.quarantine) + \
            int(sum(ch.counted.values()))
        b.counted.update({k: int(v) for k, v in ch.counted.items() if v})
        self.quarantine(source, ch.quarantine)

    def add_fixations(self, source: str, ch: Chunk):
        """Resolve the stimuli of a chunk of fixations and keep the usable ones."""
        self._read_chunk(source, ch)
        df = self._split_unknown(source, ch)
        if len(df):
            df["source"] = source
            df["space"] = ch.space
            self.fix.append(df)

    def screen_check(self, source: str, df: pd.DataFrame, as_read: pd.DataFrame | None = None) -> np.ndarray:
        """Mask of samples off the screen (quarantined as ``off_screen``, listed with ``as_read``'s x, y: the
        file's own, before they were placed on the screen); needs a geometry."""
        W, H = self.o.geometry.screen_px
        x, y = df["x"].to_numpy(), df["y"].to_numpy()
        fin = np.isfinite(x) & np.isfinite(y)
        off = fin & ((x < -0.5) | (x >= W - 0.5) | (y < -0.5) | (y >= H - 0.5))
        self.note_off(source, x[fin], y[fin], int(off.sum()))
        if off.any():
            self.quarantine(source, _quarantine_rows((df if as_read is None else as_read).loc[off], "off_screen"))
        return off

    def samples_to_screen(self, df: pd.DataFrame, space: str) -> pd.DataFrame:
        """Samples in another space (``screen_norm``, ``stimulus``, ``stimulus_norm``) as screen pixels.

        Detection works in degrees on the screen: fractions of the screen are
        scaled by its resolution, stimulus pixels placed where the stimulus was
        shown (``display``), with the same pixel-centre convention as
        :func:`to_stimulus`.
        """
        g = self.o.geometry
        x = df["x"].to_numpy(np.float64).copy()
        y = df["y"].to_numpy(np.float64).copy()
        if space == "screen_norm":
            x, y = screen_norm_to_px(x, y, g.screen_px)
        elif space in ("stimulus", "stimulus_norm"):
            stems = df["stimulus"].to_numpy(dtype=object)
            for stem in np.unique(stems):
                m = stems == stem
                w, h = self.index.size(stem)
                if space == "stimulus_norm":
                    x[m], y[m] = x[m] * w - 0.5, y[m] * h - 0.5
                x[m], y[m] = _placement(g, w, h).stimulus_to_screen(x[m], y[m])
        else:
            raise UserError(f"samples in an unknown coordinate space {space!r}")
        return df.assign(x=x, y=y)

    def note_off(self, source: str, x: np.ndarray, y: np.ndarray, n_off: int):
        """Remember how many screen points of ``source`` fell off the screen, and the points' range."""
        s = self.off.setdefault(source, [0, 0, np.inf, -np.inf, np.inf, -np.inf])
        s[0] += n_off
        s[1] += len(x)
        if len(x):
            s[2], s[3] = min(s[2], float(x.min())), max(s[3], float(x.max()))
            s[4], s[5] = min(s[4], float(y.min())), max(s[5], float(y.max()))

    def count_quarantined_samples(self, q: pd.DataFrame):
        """QC-count quarantined sample rows (``q``) of a known subject and stimulus as invalid samples of their pair.

        A row counts when its subject is known and its stimulus name (or
        ``stimulus``) matches a readable image, whatever its reason
        (``non_numeric``, ``bad_time``, ...); rows without a stimulus name
        cannot be attributed and are not counted.
        """
        if not len(q):
            return
        subj = q["subject"].fillna("").astype(str).to_numpy(dtype=object)
        names = np.full(len(q), self.o.stimulus, dtype=object) if self.o.stimulus is not None else \
            q["stimulus"].fillna("").astype(str).to_numpy(dtype=object)
        ok = (subj != "") & (names != "")
        if not ok.any():
            return
        resolved = {u: self.index.resolve(u, self.named_by(), last_word=self._from_message(u))
                    for u in set(names[ok].tolist())}
        self.index.check([s for s in resolved.values() if s is not None], self.pool, self.o.workers)
        stem = {u: s for u, s in resolved.items() if s is not None and self.index.size(s) is not None}
        per = pd.DataFrame({"s": subj[ok], "t": names[ok]}).groupby(["s", "t"], sort=False).size()
        for (a, u), n in zip(per.index, per.tolist()):
            if u in stem:
                self.samples[f"{a}\x1f{stem[u]}"] += int(n)  # in ``samples``, never in ``valid``

    def add_samples(self, source: str, ch: Chunk, carry: pd.DataFrame | None, final: bool):
        """Resolve, QC-count and detect fixations; returns the trailing trial to carry to the next chunk.

        The input's sampling rate (a wrong time unit) and each trial's are
        checked (:class:`RateCheck`); rows set aside so far (the reader's
        quarantine, unknown stimuli, a clock going back) are gaps, not
        sampling intervals.
        """
        n_quar = len(self.quar)
        self._read_chunk(source, ch)
        self.count_quarantined_samples(ch.quarantine)  # unreadable rows count against the pair's valid share
        df = self._split_unknown(source, ch)
        # each kept row's stimulus as the user wrote it (`stimulus`, else the file's text; empty where `trials` named
        # it): the refusal of interleaved trials names it as detect does, not by its resolved stem
        if self.o.stimulus is not None:
            written = np.full(len(df), str(self.o.stimulus), dtype=object)
        elif "stimulus" in ch.df and ch.df.index.is_unique:
            written = ch.df["stimulus"].loc[df.index].astype(str).to_numpy(dtype=object)
        else:
            written = None
        back = time_backwards(df, TRIAL_KEYS, carry)  # a clock going back mid-trial: quarantined, never sorted in
        if back.any():
            self.behind.setdefault(source, Counter()).update(fallen_behind(df, back, TRIAL_KEYS, carry))
            self.quarantine(source, _quarantine_rows(df.loc[back], TIME_BACKWARDS))
            per = df.loc[back].groupby(["subject", "stimulus"], sort=False).size()
            for (a, b), n in zip(per.index, per.tolist()):
                self.samples[f"{a}\x1f{b}"] += int(n)  # a known pair's quarantined rows: in ``samples`` only
            df = df.loc[~back].reset_index(drop=True)
            written = written[~back] if written is not None else None
        if self.interleaving is not None:  # two trials' rows merged by time: refused before anything is written
            self.interleaving.check(df, names=written)
        # rows set aside so far lie between samples that are not one sampling interval apart
        gaps = [pd.to_numeric(q["line"], errors="coerce").to_numpy(np.float64) for q in self.quar[n_quar:]]
        if len(df):  # as read (before placing on the screen): whether numbers written with a point were read
            g, f = gaze_counts(df)
            self.gazed[source] += g
            self.pointed[source] += f
        space = ch.space
        if self.o.coords == "stimulus":  # the user says the file's pixels are the stimulus'
            space = {"screen": "stimulus", "screen_norm": "stimulus_norm"}.get(space, space)
        self.sample_space[source] = space
        as_read = df
        if len(df) and space != "screen":
            df = self.samples_to_screen(df, space)
        if len(df):
            off = self.screen_check(source, df, as_read)
            # a valid gaze measured off the screen (as detect has it): missing, but never bridged (_detect_trials)
            df[OFFSCREEN] = off & df["valid"].to_numpy(bool)
            if off.any():
                df.loc[off, ["x", "y"]] = np.nan
                df.loc[off, "valid"] = False
            self.books[source].kept += int(len(df) - off.sum())
            pair = pd.DataFrame({"s": df["subject"].astype(str), "t": df["stimulus"].astype(str),
                                 "v": df["valid"].to_numpy(bool)})
            per = pair.groupby(["s", "t"], sort=False)["v"].agg(["size", "sum"])
            for (a, b), n_all, n_valid in zip(per.index, per["size"].tolist(), per["sum"].tolist()):
                self.samples[f"{a}\x1f{b}"] += int(n_all)
                if n_valid:
                    self.valid[f"{a}\x1f{b}"] += int(n_valid)
        new, c = df, len(carry) if carry is not None else 0
        if c:
            df = pd.concat([carry, df], ignore_index=True)
        if self.rates is not None and not len(new) and gaps:  # no row kept: its set-aside lines still part rows
            self.rates.skip(np.concatenate(gaps))
        if not len(df):
            return None
        bounds = run_bounds(df, TRIAL_KEYS)
        if self.rates is not None and len(new):  # the chunk's own rows (the carried trial was given before)
            self.rates.check(new, TRIAL_KEYS, np.concatenate(([0], bounds[bounds > c] - c)),
                             np.concatenate(gaps) if gaps else None, refusal=self.rate_refusal(source))
        last = len(bounds) - 1 if final else len(bounds) - 2
        t_all = df["time_ms"].to_numpy(np.float64)
        x_all = df["x"].to_numpy(np.float64)
        y_all = df["y"].to_numpy(np.float64)
        line_all = df["line"].to_numpy()
        off_all = df[OFFSCREEN].fillna(False).to_numpy(bool) if OFFSCREEN in df else np.zeros(len(df), dtype=bool)
        thr = self.o.dispersion_threshold if self.o.detector == "idt" else self.o.velocity_threshold
        setup = (self.o.geometry, self.o.detector, thr, self.min_duration_ms,
                 {"max_gap_ms": self.o.max_gap_ms, "merge_ms": self.o.merge_ms, "merge_deg": self.o.merge_deg,
                  "window_ms": self.o.smooth_ms})
        meta, trials = [], []
        for a, b in zip(bounds[:last], bounds[1:last + 1]):  # in file order: time_backwards rows are gone
            row = df.iloc[a]
            meta.append((row["subject"], row["stimulus"], row["trial"]))
            trials.append((t_all[a:b], x_all[a:b], y_all[a:b], line_all[a:b], off_all[a:b]))
        slot = len(self.fix)  # the chunk's fixations keep their place among the inputs' (table order)
        self.fix.append(None)
        if self.pool is None:
            self._detected(source, slot, meta, [_detect_trials(trials, setup)])
        else:  # in batches of about DETECT_BATCH samples, collected by finish()
            futures = [self.pool.submit(_detect_trials, b, setup)
                       for b in batches(trials, lambda tr: len(tr[0]), DETECT_BATCH)]
            self.pending.append((source, slot, meta, futures))
            self.finish(keep=1)  # at most this chunk and the next in flight: memory stays bounded by the chunk
        return None if final else df.iloc[bounds[last]:].reset_index(drop=True)

    def rate_refusal(self, source: str):
        """For :class:`RateCheck`: the decimal-comma line that explains an implausible rate better, if any.

        For an input that gave no valid gaze so far, as ``saliency detect`` has
        it; one that did (a poor recording whose lost samples read ``n/a``, or
        a decimal-comma export whose whole numbers parsed) gets the unit's line
        with the decimal comma as the other cause (:func:`rate_refusal_line`).
        """
        return lambda: rate_refusal_line(decimal_refusal(source, self.books[source], self.o.decimal,
                                                         self.books[source].format), self.gazed[source],
                                     self.pointed[source])

    def _detected(self, source: str, slot: int, meta: list, results: list[list[dict]]):
        """Fixations of one chunk's trials (``results``: batches of :func:`_detect_trials`) into ``fix[slot]``."""
        res = [s for batch in results for s in batch]
        for m, s in zip(meta, res):  # a trial whose rate changes: its slower part has no fixation
            keys = {"subject": m[0], "stimulus": m[1], "trial": m[2]}
            if s.get("rate_change"):
                self.rate_changes.setdefault(source, []).append((keys, s["rate_change"]))
            if s.get("repeated_times"):  # most rows on one stamp: no interval, so no fixation
                self.repeated_times.setdefault(source, []).append((keys, s["repeated_times"]))
            for kind in dict.fromkeys(w.kind for w in s.get("warnings", ())):  # each trial once per kind
                line = next(w for w in s["warnings"] if w.kind == kind)
                self.trial_warnings.setdefault(kind, {}).setdefault(source, []).append((keys, line))
        n = np.array([len(s["first"]) for s in res], dtype=np.int64)
        keep = np.flatnonzero(n).tolist()
        f = None
        if keep:  # one frame for the chunk (a frame per trial cost more than the detection)
            def per_trial(j):
                return np.repeat(np.array([meta[i][j] for i in keep], dtype=object), n[keep])

            def joined(k):
                return np.concatenate([res[i][k] for i in keep])
            f = pd.DataFrame({"subject": per_trial(0), "stimulus": per_trial(1), "trial": per_trial(2),
                              "x": joined("x"), "y": joined("y"), "t_start_ms": joined("t_start_ms"),
                              "duration_ms": joined("duration_ms"), "eye": "", "line": joined("line")})
            f["source"] = source
            f["space"] = DETECTED  # screen pixels whatever `coords` says: the samples were placed on the screen
            f[SPACE_IN] = self.sample_space.get(source, "screen")  # the file's: a quarantined one is listed in it
            self.books[source].fix_detected += len(f)
        self.fix[slot] = f

    def finish(self, keep: int = 0):
        """Collect the detections in the pool, in reading order, but for the last ``keep`` chunks.

        With ``keep=0`` (after the last file) every slot is filled and the empty ones are dropped.
        """
        while len(self.pending) > keep:
            source, slot, meta, futures = self.pending.pop(0)
            self._detected(source, slot, meta, [f.result() for f in futures])
        if not keep:
            self.fix = [f for f in self.fix if f is not None]


CLASSIFIED = ("nh", "tobii-ivt")
"""Detectors whose fixations :func:`data_tools.detection.detect` always takes from ``classify``: ingest calls it
itself (:func:`_detect_trials`), for the trial warnings that ``detect`` drops."""
DETECTOR_WARNING_KINDS = ("window", "min_duration")
"""Kinds of :func:`data_tools.detection.classify`'s trial warnings (``TRIAL_WARNING_KINDS``) that ingest collects
from it (:attr:`_Collector.trial_warnings`): a velocity window too long for the trial, nh's long minimum duration.
The other two (``repeated``, ``rate``) it finds for every detector (``repeated_times``, ``rate_changes``)."""

DETECT_BATCH = 50_000
"""Samples per detection task sent to the pool (whole trials; about 0.2 s of `nh` work)."""


def _detect_trials(trials: list[tuple], setup: tuple) -> list[dict]:
    """Worker (or inline): :func:`data_tools.detection.detect` + ``summarize`` on each ``(t, x, y, line, off)``.

    ``off`` marks the samples measured off the screen (missing in ``x``/``y``):
    passed as ``offscreen``, as ``saliency detect`` does, so a run holding one
    is never bridged (``max_gap_ms``) into a fixation. Each fixation also gets
    ``line``, the file line of its first sample; each
    trial ``rate_change``, the line of :func:`data_tools.detection.rate_change`
    when its sampling rate changes within it (else None), ``repeated_times``, the line of
    :func:`data_tools.detection.repeated_times` when most of its samples repeat the previous time stamp (else None),
    and ``warnings``, the trial's :class:`~data_tools.detection.TrialWarning` lines of the
    :data:`DETECTOR_WARNING_KINDS` (``nh``, ``tobii-ivt``: :func:`data_tools.detection.classify`'s, as
    ``saliency detect`` has them; the other kinds are the two lines above).
    """
    from saliency.data_tools import detection  # scipy: imported only when raw samples are read

    geometry, detector, thr, min_duration_ms, post = setup
    out = []
    for t, x, y, lines, off in trials:
        warns = []
        if detector in CLASSIFIED:  # detect() classifies these too: the same fixations, and the trial's warnings
            c = detection.classify(t, x, y, geometry, detector, thr, min_duration_ms, offscreen=off, **post)
            r = c.fixations
            warns = [w for w in c.params.get("warnings", ()) if w.kind in DETECTOR_WARNING_KINDS]
        else:
            r = detection.detect(t, x, y, geometry, detector, thr, min_duration_ms, offscreen=off, **post)
        s = detection.summarize(r, t, x, y)
        s["warnings"] = warns
        s["line"] = lines[s["first"]]
        s["rate_change"] = detection.rate_change(t)  # a slower stretch is rows absent, with no fixation: said
        s["repeated_times"] = detection.repeated_times(t)  # a rounded time column: no interval, no fixation
        out.append(s)
    return out


OFFSCREEN = "_offscreen"  # column of the raw samples (carried with a trial): a valid gaze measured off the screen
TRIAL_KEYS = ("subject", "stimulus", "trial")  # a trial of raw samples: a run of rows with these equal
TIME_BACKWARDS = "time_backwards"  # the quarantine reason of a sample earlier than its trial's latest time


def time_backwards(df: pd.DataFrame, keys, before: pd.DataFrame | None = None) -> np.ndarray:
    """Mask of the raw samples of ``df`` whose ``time_ms`` is earlier than the latest time already seen in their trial.

    A trial is a run of consecutive rows with the same ``keys``, taken in file
    order; ``before`` (the trial carried from the previous chunk, already
    checked) is continued by ``df``'s first run when the keys match. A time
    equal to the latest is not earlier (a repeated time stamp, classified once:
    ``duplicate_times``); a missing (NaN) time is never earlier and moves
    nothing. Ingest and detect quarantine such rows as :data:`TIME_BACKWARDS`.
    """
    if not len(df):
        return np.zeros(0, dtype=bool)
    n_before = 0
    if before is not None and len(before):
        cols = [*keys, "time_ms"]
        before = before.iloc[run_bounds(before, keys)[-2]:]  # its last trial
        n_before = len(before)
        df = pd.concat([before[cols], df[cols]], ignore_index=True)
    t = df["time_ms"].to_numpy(np.float64)
    back = np.zeros(len(t), dtype=bool)
    fin = np.isfinite(t)
    if len(t) < 2 or not (np.diff(t[fin]) < 0).any():  # never a step back: no trial to look into
        return back[n_before:]
    bounds = run_bounds(df, keys)
    run = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    tf, rf = t[fin], run[fin]
    down = (np.diff(tf) < 0) & (rf[1:] == rf[:-1])  # a step back inside a run (missing times skipped)
    for r in np.unique(rf[1:][down]).tolist():
        a, b = bounds[r], bounds[r + 1]
        seen = np.fmax.accumulate(t[a:b])  # the latest time up to each row (NaN only before the first time)
        with np.errstate(invalid="ignore"):
            back[a + 1:b] = t[a + 1:b] < seen[:-1]
    return back[n_before:]


def fallen_behind(df: pd.DataFrame, back: np.ndarray, keys, before: pd.DataFrame | None = None) -> Counter:
    """``(line, time_ms)`` of the sample each row that :func:`time_backwards` marked in ``df`` (``back``) falls
    behind (the one holding the latest time before it in its trial; ``before`` as there) -> how many rows."""
    if not back.any():
        return Counter()
    n_before = 0
    if before is not None and len(before):
        cols = [*keys, "time_ms", "line"]
        before = before.iloc[run_bounds(before, keys)[-2]:]  # its last trial
        n_before = len(before)
        df = pd.concat([before[cols], df[cols]], ignore_index=True)
        back = np.concatenate([np.zeros(n_before, dtype=bool), back])
    t = df["time_ms"].to_numpy(np.float64)
    holder = np.zeros(len(t), dtype=np.int64)
    bounds = run_bounds(df, keys)
    for a, b in zip(bounds[:-1], bounds[1:]):
        if back[a:b].any():
            seen = np.fmax.accumulate(t[a:b])
            # the row holding the latest time up to each row (a repeat of it takes its place)
            holder[a:b] = a + np.maximum.accumulate(np.where(t[a:b] == seen, np.arange(b - a), 0))
    rows = holder[np.flatnonzero(back) - 1]
    at, n = np.unique(rows, return_counts=True)
    line = df["line"].to_numpy()
    return Counter({(int(line[i]), float(t[i])): int(k) for i, k in zip(at.tolist(), n.tolist())})


RESUME_MS = 1000.0 / RATE_RANGE_HZ[0]
"""A trial's rows that resume after rows of another trial this soon (ms) after their previous row are interleaved
with them (:class:`Interleaving`) when the trial's sampling interval is not known: every run of it so far a single
row, and no rate in the file's header. 100 ms is the longest sampling interval the rate check accepts (10 Hz): a
trial resuming within it is its own recording going on at its next sample or so (two logs merged row by row and
sorted by time), while a real repeated viewing (the same subject, stimulus and trial again later in the session, or
a file with no trial column) starts after the whole other trial in between, seconds later."""

RESUME_INTERVALS = 1.5
"""Where the trial's sampling interval is known, its rows that resume after another trial's within this many
intervals of their previous row are interleaved (:class:`Interleaving`). Rows merged by time resume at the trial's
next sample, one interval on; in one recording in time order, another stimulus's rows between two of the trial's
rows take a sample time of their own, so the trial resumes two intervals on at the least (an image flashed for
50 ms in a 500 Hz recording: 26 intervals). Halfway between, 1.5 tolerates half an interval of timing jitter
either way."""


def _header_interval(notes: dict | None) -> float | None:
    """The sampling interval (ms) the file's header declares (an EyeLink ASC's ``RATE``, a BeGaze ``Sample
    Rate``), or None: none declared, several, or not a rate."""
    rate = (notes or {}).get("declared_rate_hz", (notes or {}).get("sample_rate_hz"))
    try:
        rate = float(rate)
    except (TypeError, ValueError):  # none, or a list of the blocks' rates
        return None
    return 1000.0 / rate if np.isfinite(rate) and rate > 0 else None


RUN_INTERVALS = 100_000
"""The intervals of a run that :class:`Interleaving` keeps for the run's median: its first ones in time order, so
the median is the same whatever the chunk size (all of them in a run of up to 100,001 rows)."""


def _intervals(t: np.ndarray, kept: np.ndarray | None = None) -> np.ndarray:
    """``kept`` (a run's intervals so far) with the intervals (ms) between consecutive time stamps ``t`` that
    differ (a repeated stamp, one row per eye, is no interval), up to :data:`RUN_INTERVALS` in all."""
    kept = np.empty(0) if kept is None else kept
    if len(kept) >= RUN_INTERVALS or len(t) < 2:
        return kept
    d = np.diff(t)
    return np.concatenate([kept, d[d > 0][:RUN_INTERVALS - len(kept)]])


def _median(d: np.ndarray) -> float | None:
    """The median of intervals ``d`` (:func:`_intervals`); None when there is none."""
    return float(np.median(d)) if len(d) else None


class Interleaving:
    """One input's check that its raw samples' trials are not interleaved (``saliency ingest`` and ``saliency
    detect`` share it).

    A trial is a run of consecutive rows with the same ``keys`` (:func:`data_tools.readers.run_bounds`): rows of
    two trials merged by time (two logs sorted by time stamp, concurrent recordings in one export) would make
    one-row "trials", with no sampling interval and so no fixation, booked as kept. Refused with one line as soon
    as a trial's rows resume after rows of another within :data:`RESUME_INTERVALS` of the trial's sampling
    interval (the median of its earlier runs' intervals, else the one the file's header ``notes`` declare, else
    :data:`RESUME_MS`) of their previous row (time stamps compared: a resumed trial that starts earlier than it
    ended is another recording, not this). Rows with no stimulus of the current trial's subject and trial (a
    message-like row, a blank between two showings; ingest sets them aside before the check) neither end nor
    interrupt it: they are judged only among themselves (a file with no stimulus column); another subject's or
    trial's rows with no stimulus interrupt it as any other rows do (merged by time). A run's interval is the
    median of all its intervals (up to :data:`RUN_INTERVALS`), whatever the chunks. ``outside``: the format marks
    trials (:attr:`LogReader.trials`), so rows with an empty trial and stimulus lie outside any trial (between an
    EyeLink ASC's trials, as ``saliency detect`` keeps them) and are never judged.
    """

    def __init__(self, source: str, keys, outside: bool = False, notes: dict | None = None):
        self.source, self.keys = source, list(keys)
        self.stim = self.keys.index("stimulus")
        # the places of stimulus and trial in a key, when the format marks trials: empty both, outside any trial
        self.outside = [self.keys.index(k) for k in ("stimulus", "trial")] if outside else None
        self.header_dt = _header_interval(notes)
        self.ended: dict[tuple, tuple] = {}  # a trial's key -> (time, line, interval) of its latest row with a time
        # per lane (rows with a stimulus, rows without): the latest run, which the next rows may continue:
        # [key, the key as the message names it, time and line of its latest row with a time, its interval]
        self.cur: dict[bool, list | None] = {True: None, False: None}

    def check(self, df: pd.DataFrame, bounds: np.ndarray | None = None, names: np.ndarray | None = None) -> None:
        """Take the input's next rows ``df`` (``time_ms``, ``line``, the keys; ``bounds``: its runs as
        :func:`data_tools.readers.run_bounds` gives them; ``names``: each row's stimulus as the file writes it,
        for the message, where the key holds another, e.g. ingest's resolved stem); its first run continues the
        previous rows' last when their keys are equal."""
        if not len(df):
            return
        if bounds is None:
            bounds = run_bounds(df, self.keys)
        t = df["time_ms"].to_numpy(np.float64)
        line = df["line"].to_numpy() if "line" in df else np.full(len(df), None, dtype=object)
        cols = [df[k].astype(str).to_numpy(dtype=object) for k in self.keys]
        timed = np.flatnonzero(np.isfinite(t))  # a missing time neither resumes nor ends a trial
        a, b = bounds[:-1], bounds[1:]
        i0 = np.searchsorted(timed, a, "left")  # a run's first row with a time, if any (< b)
        i1 = np.searchsorted(timed, b, "left")  # past its last
        for r, (lo, hi) in enumerate(zip(a.tolist(), b.tolist())):
            key = tuple(c[lo] for c in cols)
            rows = timed[i0[r]:i1[r]]
            first, last = (int(rows[0]), int(rows[-1])) if len(rows) else (None, None)
            lane = bool(key[self.stim]) or not self._within(key)  # see the class's note on rows with no stimulus
            cur = self.cur[lane]
            if cur is not None and cur[0] == key:  # the previous rows' last run goes on
                if len(rows):  # its intervals so far, across chunks: the same median at every chunk size
                    cur[4] = _intervals(np.concatenate([[cur[2]] if cur[2] is not None else [], t[rows]]), cur[4])
                if last is not None:
                    cur[2], cur[3] = t[last], line[last]
                continue
            if cur is not None and cur[2] is not None:
                dt = _median(cur[4])
                self.ended[cur[0]] = (cur[2], cur[3], dt if dt is not None else
                                      (self.ended.get(cur[0]) or (None, None, None))[2])
            shown = key
            if names is not None and lane and names[lo] not in (None, ""):
                shown = (*key[:self.stim], str(names[lo]), *key[self.stim + 1:])
            self.cur[lane] = [key, shown, t[last] if last is not None else None,
                              line[last] if last is not None else None, _intervals(t[rows])]
            prev = self.ended.get(key)
            if prev is None or first is None or (self.outside and not any(key[i] for i in self.outside)):
                continue
            gap = t[first] - prev[0]
            dt = prev[2] if prev[2] is not None else self.header_dt
            if 0 <= gap <= (RESUME_INTERVALS * dt if dt is not None else RESUME_MS):
                raise UserError(self.refusal(shown, line[first], prev[1], gap, cur[1]))

    def _within(self, key: tuple) -> bool:
        """Whether a run with no stimulus (``key``) lies within the current trial's run (the latest with a
        stimulus): the same subject and trial (a message-like row, a blank between two showings). Another
        subject's or trial's such rows interrupt it (merged by time, its stimulus cells empty)."""
        cur = self.cur[True]
        return cur is None or all(a == b for i, (a, b) in enumerate(zip(cur[0], key)) if i != self.stim)

    def refusal(self, key: tuple, at, prev_at, gap: float, other: tuple) -> str:
        """The line: the trial (as the user knows it), where it resumes and where its previous run ended."""
        def named(k):
            return ", ".join(f"{n} {v!r}" for n, v in zip(self.keys, k) if v) or "with no subject, stimulus or trial"

        return (f"{self.source}: line {_line_text(at)}: the rows of {named(key)} resume {gap:.6g} ms after their "
                f"previous row (line {_line_text(prev_at)}), after rows of {named(other)}: the samples of two "
                "trials are interleaved (merged by time?), and each piece would be read as a trial of its own, "
                "too short for fixations; sort the rows by subject, trial and time")


def _line_text(v) -> str:
    try:
        return str(int(v))
    except (TypeError, ValueError):  # no line number (a missing one reads NaN)
        return "?"


def screen_norm_to_px(x: np.ndarray, y: np.ndarray, screen_px) -> tuple[np.ndarray, np.ndarray]:
    """Fractions of the screen (0..1 from the top-left corner) as pixel coordinates (pixel centres at integers)."""
    return x * screen_px[0] - 0.5, y * screen_px[1] - 0.5


DETECTED = "screen_detected"  # space of fixations detected from samples: screen pixels
SPACE_IN = "space_in"  # column of detected fixations: the space of the samples they came from (quarantine.csv's)
LONG_FIXATION_MS = 10_000.0  # longer fixations point at a wrong time unit


RAW_INTERVALS = 100_000
"""Intervals across quarantined rows that :class:`RateCheck` keeps for an input with no gap-free interval."""


class RateCheck:
    """One input's sampling-rate check (``saliency ingest`` and ``saliency detect`` share it).

    A time unit belongs to the time column, so to the input as a whole: the
    input's rate is the median of its intervals within trials, pooled over its
    first rows (a chunk, or :attr:`MIN_INTERVALS` intervals at least; a smaller
    input at :meth:`finish`), and one outside :data:`RATE_RANGE_HZ` (a wrong
    time unit) is refused with one line naming the input and the unit that
    would fit. Each trial with :attr:`MIN_INTERVALS` intervals or more is also
    judged by its own median: one outside the range while the input's is in it
    (rows left out of an export, a trial stamped in another unit), or below
    the rate ``detector`` was designed for (nh under 200 Hz), is said in one
    warning line per input (:meth:`finish`), never refused. Intervals are
    taken between consecutive rows of a trial, except across a row that was set
    aside (``gaps``: the file lines of quarantined rows, e.g. numbers that do
    not parse): the rows either side of it are not one sampling interval apart.
    """

    MIN_INTERVALS = 10  # a trial (or the input) judged from fewer intervals is not evidence

    def __init__(self, source: str, fmt: str, detector: str, ms_per_unit: float | None = None,
                 columns: dict | None = None):
        self.source, self.format, self.detector, self.ms_per_unit = source, fmt, detector, ms_per_unit
        self.columns = columns or {}
        self.dt: float | None = None  # the input's median interval (ms), once decided
        self.pool: list[np.ndarray] = []  # intervals (ms) seen before it was decided
        self.raw: list[np.ndarray] = []  # the same, across quarantined rows too: when no interval is gap-free
        self.raw_n = 0
        self.trials = 0  # trials seen (judged or not), for the warnings' counts
        self.judged = 0  # trials whose own rate was worked out
        self.odd: list[tuple[str, float]] = []  # (trial as a message names it, median interval) outside the range
        self.slow: list[tuple[str, float]] = []  # (trial, rate) below the detector's rate
        self.tail: tuple | None = None  # the previous call's last trial, which the next call's rows may continue:
        # (its keys, its name, its intervals, the time and line of its last row)
        self.gaps = np.zeros(0)  # the previous call's gap lines (a trial carried over spans both calls)

    def check(self, df: pd.DataFrame, keys, bounds: np.ndarray | None = None, gaps: np.ndarray | None = None,
              refusal=None) -> None:
        """Take the next rows of the input, ``df`` (``time_ms``, ``line`` and ``keys``; ``bounds``: its runs, as
        :func:`data_tools.readers.run_bounds` gives them; rows not given before): its first trial continues the
        previous call's last one when their keys are equal; each trial is judged once it is complete (a
        later call's first trial differs, or :meth:`finish`). ``refusal()``: a line that explains an
        implausible input rate better (a decimal comma: :func:`decimal_refusal`), raised instead when it gives
        one.
        """
        n = len(df)
        if not n:
            return
        keys = list(keys)
        if bounds is None:
            bounds = run_bounds(df, keys)
        runs = len(bounds) - 1
        gaps = np.zeros(0) if gaps is None else np.asarray(gaps, np.float64)
        all_gaps = np.sort(np.concatenate([self.gaps, gaps])) if len(self.gaps) else np.sort(gaps)
        all_gaps = all_gaps[np.isfinite(all_gaps)]
        self.gaps = gaps
        t = df["time_ms"].to_numpy(np.float64)
        ln = pd.to_numeric(df["line"], errors="coerce").to_numpy(np.float64) if "line" in df else np.full(n, np.nan)
        run = np.repeat(np.arange(runs), np.diff(bounds))
        d = np.diff(t)
        ok = (run[1:] == run[:-1]) & np.isfinite(d) & (d > 0)
        if self.dt is None and self.raw_n < RAW_INTERVALS:  # however many rows lie between: per file line
            span = ln[1:] - ln[:-1]  # (one line per sample in the table formats: the sample period again)
            self.raw.append((d / np.where(np.isfinite(span) & (span >= 1), span, 1.0))[ok])
            self.raw_n += int(ok.sum())
        if len(all_gaps) and n > 1:  # a quarantined row between two rows: they are not one interval apart
            ok &= ~_across_gap(all_gaps, ln[:-1], ln[1:])
        first = tuple(str(df[k].iat[0]) for k in keys)
        continued = self.tail is not None and self.tail[0] == first  # run 0 goes on with the previous call's last
        self.trials += runs - int(continued)
        idx, dd = run[1:][ok], d[ok]
        tail, self.tail = self.tail, None
        name0, head = None, []
        if continued:  # the previous call's last trial goes on in run 0
            name0, head = tail[1], list(tail[2])
            b = t[0] - tail[3]
            if np.isfinite(b) and b > 0 and not _across_gap(all_gaps, np.array([tail[4]]), ln[:1])[0]:
                head.append(np.array([b]))
                if self.dt is None:
                    self.pool.append(head[-1])
        elif tail is not None:  # it ended with the previous call
            self._judge(*_one_run(tail[2]), 1, lambda r: tail[1])
        if self.dt is None:  # the input's rate, from its first intervals
            self.pool.append(dd)
            if sum(len(p) for p in self.pool) >= self.MIN_INTERVALS:
                self._decide(refusal)
        cut = int(np.searchsorted(idx, runs - 1, "left"))  # the last trial may go on in the next call
        last = (tuple(str(df[k].iat[bounds[-2]]) for k in keys), t[-1], ln[-1])
        if runs == 1:
            self.tail = (last[0], name0 or _trial_text(df, keys, 0), [*head, dd], *last[1:])
            return
        self.tail = (last[0], _trial_text(df, keys, bounds[-2]), [dd[cut:]], *last[1:])
        idx, dd = idx[:cut], dd[:cut]
        if head:  # run 0 continues the previous call's last trial
            h = np.concatenate(head)
            idx, dd = np.concatenate([np.zeros(len(h), idx.dtype), idx]), np.concatenate([h, dd])
        self._judge(idx, dd, runs - 1,
                    lambda r: name0 if r == 0 and name0 is not None else _trial_text(df, keys, bounds[r]))

    def skip(self, gaps: np.ndarray) -> None:
        """A chunk with no row to check: its set-aside lines (``gaps``) still lie between the rows either side."""
        self.gaps = np.concatenate([self.gaps, np.asarray(gaps, np.float64)])

    def finish(self, refusal=None) -> list[str]:
        """After the input's last rows: judge its last trial, decide its rate if its first rows did not
        (refused as :meth:`check` refuses), and return its warning lines (:meth:`warnings`)."""
        if self.tail is not None:
            tail, self.tail = self.tail, None
            self._judge(*_one_run(tail[2]), 1, lambda r: tail[1])
        if self.dt is None and sum(len(p) for p in self.pool) >= 2:
            self._decide(refusal)
        elif self.dt is None and self.raw_n >= 2:  # every row beside a quarantined one (every other `n/a`):
            self.pool = self.raw  # the kept rows' intervals over the file lines between them
            self._decide(refusal)
        self.raw = []
        return self.warnings()

    def _decide(self, refusal) -> None:
        """The input's rate from the pooled intervals: outside :data:`RATE_RANGE_HZ`, one line (a wrong unit)."""
        d = np.concatenate(self.pool)
        self.pool, self.raw = [], []
        dt = float(np.median(d))
        rate = 1000.0 / dt
        if not in_rate_range(rate):
            why = (refusal() if refusal is not None else None) or ""
            if why and not why.startswith("; "):  # the decimal comma explains it better: its line alone
                raise UserError(why)
            raise UserError(f"{self.source}: consecutive samples are {dt:.6g} ms apart, a {rate:.6g} Hz sampling "
                            f"rate, outside {RATE_RANGE_HZ[0]:g} Hz..{RATE_RANGE_HZ[1] / 1000:g} kHz: the time "
                            f"stamps' unit is likely wrong{self.unit_hint(rate)}{why}")
        self.dt = dt

    def _judge(self, idx: np.ndarray, dd: np.ndarray, runs: int, name) -> None:
        """Judge the complete trials ``0..runs-1`` (``idx``: each interval's trial, ascending; ``dd``: the
        intervals, ms; ``name(r)``: trial ``r`` as a message names it) that have :attr:`MIN_INTERVALS`."""
        count = np.bincount(idx, minlength=runs)
        judge = count >= self.MIN_INTERVALS
        if not judge.any():
            return
        self.judged += int(judge.sum())
        keep = judge[idx]
        idx, dd = idx[keep], dd[keep]
        lo_ms, hi_ms = 1000.0 / RATE_RANGE_HZ[1], 1000.0 / RATE_RANGE_HZ[0]
        slow_ms = 1000.0 / (det.NH_MIN_RATE_HZ * (1 - det.RATE_TOLERANCE)) if self.detector == "nh" else np.inf
        if dd.min() >= lo_ms and dd.max() <= hi_ms and dd.max() <= slow_ms:
            return  # every interval in range and fast enough: so is every trial's median (the usual file)
        order = np.lexsort((dd, idx))
        sd, si = dd[order], idx[order]
        start = np.searchsorted(si, np.flatnonzero(judge))
        c = count[judge]
        med = (sd[start + (c - 1) // 2] + sd[start + c // 2]) / 2.0
        for r, dt in zip(np.flatnonzero(judge).tolist(), med.tolist()):
            rate = 1000.0 / dt
            if not in_rate_range(rate):
                self.odd.append((name(r), dt))
            elif det.rate_warning(self.detector, rate):
                self.slow.append((name(r), rate))

    def warnings(self) -> list[str]:
        """The input's warning lines, each naming the first trial concerned and how many more there are.

        Trials whose own rate is outside :data:`RATE_RANGE_HZ` while the input's is in it: one line. Trials
        below the rate ``detector`` was designed for (nh under 200 Hz): one line; when every judged trial
        is (or none had :attr:`MIN_INTERVALS` and the input's rate is), ``<source>: <the sentence>``.
        """
        out = []
        if self.odd and self.dt is not None:  # (a trial with enough intervals decides the input's rate)
            name, dt = self.odd[0]
            out.append(f"{self.source}: {name}{self._more(len(self.odd))}: its consecutive samples are {dt:.6g} "
                       f"ms apart, a {1000.0 / dt:.6g} Hz sampling rate, outside {RATE_RANGE_HZ[0]:g} "
                       f"Hz..{RATE_RANGE_HZ[1] / 1000:g} kHz while the input's are {self.dt:.6g} ms apart "
                       f"({1000.0 / self.dt:.6g} Hz): rows left out of the export (track loss) or time stamps in "
                       f"another unit; detected as stamped, check its time stamps")
        if self.slow and len(self.slow) < self.judged:
            name, rate = self.slow[0]
            out.append(f"{self.source}: {name}{self._more(len(self.slow))}: "
                       f"{det.rate_warning(self.detector, rate)}")
        elif self.slow:
            out.append(f"{self.source}: "
                       f"{det.rate_warning(self.detector, float(np.median([r for _, r in self.slow])))}")
        elif not self.judged and self.dt is not None and det.rate_warning(self.detector, 1000.0 / self.dt):
            out.append(f"{self.source}: {det.rate_warning(self.detector, 1000.0 / self.dt)}")
        return out

    def _more(self, k: int) -> str:
        """``, 1 of its 48 trials`` or `` and 3 more of its 48 trials``: after the first trial named.

        Trials not judged (fewer than :attr:`MIN_INTERVALS` intervals between adjacent kept rows: short, or
        every other row quarantined) are said apart: ``, 1 of the 6 of its 26 trials judged (10 or more
        intervals between adjacent kept rows)``.
        """
        if self.judged == self.trials:
            of = f"its {self.judged} trials"
        else:
            of = (f"the {self.judged} of its {self.trials} trials judged ({self.MIN_INTERVALS} or more intervals "
                  "between adjacent kept rows)")
        return f" and {k - 1} more of {of}" if k > 1 else f", 1 of {of}"

    def unit_hint(self, rate_hz: float) -> str:
        """What fixes ``rate_hz``: ``time_unit`` where the reader applies it, else the header's time column."""
        stated = stated_time_column(self.source, self.format, self.columns) if self.ms_per_unit else None
        return _unit_hint(rate_hz, self.ms_per_unit, stated, self.format)


def rate_change_lines(changed: dict) -> list[str]:
    """One line per input whose trials' sampling rate changes within them (``saliency ingest`` and ``detect``).

    ``changed``: source -> ``[(keys, line)]`` in trial order, ``keys`` the
    trial's subject, trial and stimulus, ``line`` what
    :func:`data_tools.detection.rate_change` said; the first trial is named,
    with how many more there are.
    """
    out = []
    for source, items in changed.items():
        keys, why = items[0]
        named = ", ".join(f"{k} {str(keys.get(k, ''))!r}" for k in ("subject", "trial", "stimulus")
                          if str(keys.get(k, "")))
        more = f" and {len(items) - 1} more of its trials" if len(items) > 1 else ""
        out.append(f"{source}: trial ({named or 'unnamed'}){more}: {why}")
    return out


OPTION_WARNING_KINDS = ("min_duration",)
"""Kinds of trial warning whose one cause is an option, not the data (nh's long ``min_duration_ms``): the same line
in every trial of every input, said once for the run (:func:`option_warning_lines`). The others (a sampling rate
that changes, repeated time stamps, a window too long for the trial) lie in each input's data: one line per input."""


def option_warning_lines(changed: dict) -> list[str]:
    """The one line of a kind of :data:`OPTION_WARNING_KINDS` (``changed`` as :func:`rate_change_lines` takes it),
    with its trials and inputs counted: ``... (100 trials in 5 inputs)``; one input's line is
    :func:`rate_change_lines`' (its first trial named, its trials counted)."""
    changed = {src: items for src, items in changed.items() if items}
    if len(changed) < 2:
        return rate_change_lines(changed)
    n = sum(len(items) for items in changed.values())
    return [f"{next(iter(changed.values()))[0][1]} ({n} trials in {len(changed)} inputs)"]


def warning_kind_lines(kind: str, changed: dict) -> list[str]:
    """The lines of one kind of trial warning: one for the run (:data:`OPTION_WARNING_KINDS`), else one per input
    (:func:`rate_change_lines`); ``saliency ingest`` and ``detect`` alike."""
    return (option_warning_lines if kind in OPTION_WARNING_KINDS else rate_change_lines)(changed)


def trial_warning_lines(col: _Collector) -> list[str]:
    """One line per input and kind of the detector's trial warnings (:attr:`_Collector.trial_warnings`, in
    :data:`DETECTOR_WARNING_KINDS` order), naming the kind's first trial and counting its trials, as
    ``saliency detect`` sums them up (:func:`rate_change_lines`); one line for the run for a kind an option
    causes (:func:`warning_kind_lines`)."""
    return [line for kind in DETECTOR_WARNING_KINDS
            for line in warning_kind_lines(kind, col.trial_warnings.get(kind, {}))]


def decimal_warning(decimal_line: str | None, gazed: int, pointed: int) -> str | None:
    """The decimal-comma line (:func:`decimal_refusal`) as a warning for an input that went on: when some gaze was
    read (``gazed``) and all of it in whole numbers (no ``pointed`` sample), as a decimal-comma export read with a
    point gives; None otherwise (a point-decimal recording whose lost rows read ``n/a`` is not told of it)."""
    return decimal_line if decimal_line and gazed and not pointed else None


def _across_gap(gaps: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Whether a gap line (sorted ``gaps``) lies between each pair of file lines ``before`` and ``after``."""
    if not len(gaps):
        return np.zeros(len(after), dtype=bool)
    across = np.searchsorted(gaps, after, "left") - np.searchsorted(gaps, before, "right")
    return np.isfinite(before) & np.isfinite(after) & (across > 0)


def _one_run(parts: list) -> tuple[np.ndarray, np.ndarray]:
    """``(idx, dd)`` of one trial from its intervals in pieces (:meth:`RateCheck._judge`'s arguments)."""
    d = np.concatenate(parts) if parts else np.zeros(0)
    return np.zeros(len(d), np.int64), d


def _trial_text(df: pd.DataFrame, keys, row: int) -> str:
    """``the trial from line 12 (subject 'p1', trial '3', stimulus 'img1')``: a trial as messages name it."""
    parts = [f"{k} {str(df[k].iat[row])!r}" for k in keys if str(df[k].iat[row])]
    try:
        at = f" from line {int(df['line'].iat[row])}"
    except (KeyError, TypeError, ValueError):  # no line number (a missing one reads NaN)
        at = ""
    return f"the trial{at}" + (f" ({', '.join(parts)})" if parts else "")


def stated_time_column(path, fmt: str, columns: dict | None = None) -> str | None:
    """The time column of a raw-sample log whose header states its unit (``Recording timestamp [μs]``,
    ``time_us``), as the header spells it; None when it states none, or one a re-save made unreadable (``[?s]``:
    ``time_unit`` applies), or cannot tell.

    Only the formats whose readers take ``time_unit`` (the generic ``samples`` table, Tobii Pro Lab) have
    such a column; asked only to word a refusal, so a header that cannot be read gives None.
    """
    from saliency.data_tools.readers.base import header_columns, resolve_columns, split_unit, unreadable_unit

    try:
        header, _ = header_columns(Path(path))
        if fmt == "tobii":
            name = next((h for h in header if split_unit(h)[0] == "recording timestamp"), None)
            unit = split_unit(name)[1] if name is not None else None
            return name if unit is not None and not unreadable_unit(unit) else None
        if fmt == "samples":
            name, unit = resolve_columns(header, columns or {}, Path(path)).get("time", (None, None))
            return name if unit is not None and not unreadable_unit(unit) else None
    except (OSError, UserError, ValueError):
        return None
    return None


def _unit_hint(rate_hz: float, ms_per_unit: float | None, stated: str | None = None, fmt: str = "") -> str:
    """``"; with `time_unit` us they would be 500 Hz"``: the unit that brings ``rate_hz`` into the plausible range.

    ``ms_per_unit`` None: the format fixes its time unit (``time_unit`` does
    not apply); ``stated``: the header's time column that states the unit
    (``time_unit`` does not override it): the column is named instead.
    """
    if not ms_per_unit:
        fixed = f"the {fmt} format" if fmt else "the format"
        return f"; {fixed} has its own time unit (`time_unit` does not apply to it): check the file's time stamps"
    best = None
    for unit, f in (("ms", 1.0), ("s", 1000.0), ("us", 1e-3), ("ns", 1e-6)):
        r = rate_hz * ms_per_unit / f
        if in_rate_range(r) and f != ms_per_unit:
            if best is None or abs(np.log(r / 500.0)) < abs(np.log(best[1] / 500.0)):
                best = (unit, r)
    if stated is not None:
        were = f": in {best[0]} they would be {best[1]:.4g} Hz" if best is not None else ""
        return f"; the header's time column {stated!r} states their unit (`time_unit` does not override it)" \
               f"{were}; check the export, or correct the unit in that column's name"
    if best is None:
        return "; check the time column and `time_unit`"
    return f"; with `time_unit` {best[0]} they would be {best[1]:.4g} Hz"


#: the formats whose readers take ``time_unit`` for a time column whose header states no unit (the generic
#: tables, Tobii Pro Lab: ``notes["time_unit_applied"]``, which :func:`check_time_unit_used` reads); every other
#: reader reads the times in its format's own unit
TIME_UNIT_FORMATS = ("samples", "fixations", "tobii")


def _duration_unit_hint(median_ms: float, fmt: str = "", time_unit_read: bool = True,
                        stated: str | None = None) -> str:
    """The unit under which a median fixation of ``median_ms`` would last 50 ms to 2 s.

    ``time_unit_read``: the input's reader takes ``time_unit`` (its format in
    :data:`TIME_UNIT_FORMATS`, and a ``time_unit`` given was applied to it);
    otherwise the format states its unit, and the export is to be checked.
    ``stated``: the generic table's duration column whose header states the
    unit (``time_unit`` does not override it): that column is named instead.
    """
    for unit, f in (("us", 1e-3), ("ns", 1e-6)):
        if 50.0 <= median_ms * f <= 2000.0:
            if stated is not None:
                return f" (in {unit} they would be {median_ms * f:.4g} ms); the header's column {stated!r} states " \
                       f"their unit (`time_unit` does not override it): check the export, or correct the unit in " \
                       f"that column's name (e.g. [{unit}])"
            if time_unit_read:
                return f" (in {unit} they would be {median_ms * f:.4g} ms: `time_unit` {unit}, or the duration " \
                       f"column's header, e.g. [{unit}])"
            return f" (in {unit} they would be {median_ms * f:.4g} ms); {_fixed_unit(fmt)}"
    return "" if time_unit_read else f"; {_fixed_unit(fmt)}"


def stated_duration_column(path, fmt: str, columns: dict | None = None) -> str | None:
    """The duration column of a generic fixation table (``fixations`` format) whose header states its unit
    (``duration_ms``, ``duration [us]``), as the header spells it; None otherwise or when it cannot tell.

    Durations come from ``duration_ms`` when the table has it, else from end less start (both columns' units).
    """
    from saliency.data_tools.readers.base import header_columns, resolve_columns

    if fmt != "fixations":
        return None
    try:
        header, _ = header_columns(Path(path))
        cols = resolve_columns(header, columns or {}, Path(path))
    except (OSError, UserError, ValueError):
        return None
    keys = ("duration_ms",) if "duration_ms" in cols else ("t_start_ms", "t_end_ms")
    named = [cols[k] for k in keys if k in cols]
    if named and all(unit is not None for _, unit in named):
        return named[0][0]
    return None


def _fixed_unit(fmt: str) -> str:
    """Why a format's durations cannot be given another unit: the words after a duration refusal."""
    name = f"the {fmt} format" if fmt else "the format"
    return f"{name} states its durations' unit (`time_unit` does not apply to it), and they are not in it: " \
           "check the export"


#: the formats whose reader places ``columns`` x/y (the generic tables, EyeLink Data Viewer reports, Pupil
#: exports, Tobii Pro Lab samples); every other reader reads its format's own gaze columns. The readers' modules
#: say which keys they honour (``COLUMN_KEYS``, :func:`columns_taken`); this list names those with x for wording
COLUMNS_XY = ("samples", "fixations", "eyelink-report", "pupil", "tobii")
#: the advice for numbers that do not parse, shared by ingest's summary and detect's refusal
DECIMAL_HINT = "if the numbers are written with a decimal comma (500,13), give `decimal` comma"
_NUMBER_REASONS = ("non_numeric", "bad_coordinates", "bad_time")
#: the formats whose readers ignore ``decimal`` (EyeLink ASC lines are parsed as the EDF converter writes them;
#: MATLAB files and SALICON's JSON hold numbers, not text): :data:`DECIMAL_HINT` is never given for them
DECIMAL_UNUSED = ("eyelink-asc", "salicon", "osie", "mit1003", "figrim", "fixlocs")


DECIMAL_ALSO = ("; or, if most numbers do not parse because they are written with a decimal comma (500,13), "
                "give `decimal` comma")


def gaze_counts(df: pd.DataFrame) -> tuple[int, int]:
    """Samples of ``df`` (as read) with a valid, finite gaze, and how many of them have a fractional x or y.

    A decimal-comma export read with a point parses only its whole numbers:
    a fraction among the gaze read shows the numbers are written with a
    point, so rows that do not parse are something else (``n/a``). Halves
    do not count: a reader that averages two eyes makes 1043.5 of whole
    1042 and 1045 (BeGaze), so only a fraction other than .5 does.
    """
    x, y = df["x"].to_numpy(np.float64), df["y"].to_numpy(np.float64)
    ok = df["valid"].to_numpy(bool) & np.isfinite(x) & np.isfinite(y)
    with np.errstate(invalid="ignore"):
        frac = ok & ((np.floor(2 * x) != 2 * x) | (np.floor(2 * y) != 2 * y))
    return int(ok.sum()), int(frac.sum())


def rate_refusal_line(decimal_line: str | None, gazed: int, pointed: int = 0) -> str | None:
    """What :class:`RateCheck` says of the decimal comma when an input's rate is implausible.

    ``decimal_line`` (:func:`decimal_refusal`: most rows do not parse) alone
    when the input gave no valid gaze (``gazed``: such samples); with some,
    all whole numbers (a decimal-comma export whose whole numbers parsed),
    the unit may be wrong as well: the unit's line then ends with
    :data:`DECIMAL_ALSO`. None when most rows parse, or when some gaze has a
    fraction (``pointed``: written with a point, the lost rows read ``n/a``).
    """
    if decimal_line is None or (gazed and pointed):
        return None
    return decimal_line if not gazed else DECIMAL_ALSO


def decimal_refusal(path, books, decimal: str, fmt: str = "") -> str | None:
    """One line when most data rows of one input (``books``: its :class:`RowCount`) were quarantined as numbers
    that do not parse (``non_numeric``, ``bad_coordinates``, ``bad_time``) and ``decimal`` is point, with
    :data:`DECIMAL_HINT`; None otherwise, and for a format (``fmt``) that ignores ``decimal``
    (:data:`DECIMAL_UNUSED`)."""
    if decimal != "point" or not books.read or fmt in DECIMAL_UNUSED:
        return None
    bad = {r: n for r, n in books.quarantined.items() if r in _NUMBER_REASONS and n}
    if sum(bad.values()) * 2 <= books.read:
        return None
    shown = ", ".join(f"{r} {n}" for r, n in sorted(bad.items(), key=lambda rn: -rn[1]))
    return f"{path}: {sum(bad.values())} of the {books.read} rows read hold numbers that do not parse ({shown}); " \
           f"{DECIMAL_HINT}"


def open_reader(path, fmt: str, read_opts: ReadOptions) -> LogReader:
    """:func:`data_tools.readers.open_log` with every :class:`ReadOptions` field, the eye included.

    A choice of eye (``left``/``right``) is refused for a format without per-eye
    gaze (its module lacks ``EYES = True``): one line naming the format.
    ``columns`` x/y, which only the readers of :data:`COLUMNS_XY` place, is
    checked over all the inputs (:func:`check_columns_used`).
    """
    from saliency.data_tools.readers import registry  # its names looked up now (tests add formats to it)

    path = Path(path)
    registry.check_log_path(path)
    if fmt not in registry.FORMATS:
        raise UserError(f"`format` {fmt!r}: choose one of {', '.join(registry.FORMATS)}")
    if read_opts.eye not in EYES:
        raise UserError(f"`eye` {read_opts.eye!r}: choose one of {', '.join(EYES)}")
    if fmt == "auto":
        fmt = registry.detect_format(path, read_opts.columns)
    mod = registry.format_module(fmt)
    xy = fmt in COLUMNS_XY
    if read_opts.eye != "average" and not getattr(mod, "EYES", False):
        alt = " (or `columns` x=..,y=.. naming one eye's columns)" if xy else ""
        raise UserError(f"{path}: `eye` {read_opts.eye}: a file in the {fmt} format gives one gaze point per row, "
                        f"with no eye to choose; use `eye` average{alt}")
    if read_opts.decimal not in DECIMALS:
        raise UserError(f"`decimal` {read_opts.decimal!r}: choose one of {', '.join(DECIMALS)}")
    rd = mod.read(path, read_opts)
    if read_opts.decimal == "comma":
        from saliency.data_tools.readers.chunks import decimal_comma

        rd.chunks = decimal_comma(rd.chunks, path)
    return rd


def input_paths(inputs, param: str = "inputs") -> list[Path]:
    """The log paths of ``inputs``: one path (a str or :class:`os.PathLike`) or an iterable of them.

    A lone ``"fixlist.csv"`` is one input (it was iterated into the files ``f``, ``i``, ...); anything else
    (None, a number, a list holding one) is refused naming the caller's parameter ``param``.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    try:
        items = list(inputs)
    except TypeError:
        items = None
    bad = [inputs] if items is None else [p for p in items if not isinstance(p, (str, os.PathLike))]
    if bad:
        what = "" if items is None else " holds"
        raise UserError(f"`{param}`{what} {repr(bad[0])[:80]}: give a log file path (str or Path) or a list of them")
    return [Path(p) for p in items]


def open_inputs(inputs, opts: IngestOptions) -> list[tuple]:
    """Open every log (format, kind, declared screen); ``(path, reader, sha256, duplicate_of)`` per input.

    ``inputs``: one log path or a list of them (:func:`input_paths`)."""
    out = []
    seen: dict[str, str] = {}
    for path in input_paths(inputs):
        rd = open_reader(path, opts.format, ReadOptions(
            columns=opts.columns or {}, time_unit=opts.time_unit, tracker_events=opts.detector == "tracker",
            min_confidence=opts.min_confidence, chunk_rows=opts.chunk_rows, eye=opts.eye, decimal=opts.decimal))
        digest, dup = input_digest(path, seen)
        if dup is None:
            if rd.kind == "samples" and opts.detector == "tracker":
                raise UserError(f"{path}: `detector` tracker needs fixation events, but a file in the {rd.format} "
                                f"format holds only samples; use `detector` {' or '.join(det.DETECTORS)}")
        out.append((path, rd, digest, dup))
    return out


def detection_policies(opts: IngestOptions) -> dict:
    """The detection options as the detector applied them to raw samples, under their ``policies`` names.

    An option left out takes the detector's default (:data:`data_tools.detectors.DEFAULTS`), the value
    ``saliency detect`` records in detection.json's trial ``params`` (``threshold``, ``max_gap_ms``,
    ``merge_ms``, ``merge_deg``, ``window_ms``): recorded so, never null when it acted. An option the
    detector does not use stays null (a threshold of another detector, ``smooth_ms`` with I-VT/I-DT);
    ``nh`` finds its velocity threshold in each trial's noise: ``"per-trial"``.
    """
    m = opts.detector
    out = {k: det.applied(m, k, getattr(opts, k)) for k in ("max_gap_ms", "merge_ms", "merge_deg")}
    thr = "dispersion_threshold" if m == "idt" else "velocity_threshold"
    out[thr] = "per-trial" if m == "nh" else det.applied(m, "threshold", getattr(opts, thr))
    if m in det.USED_BY["window_ms"]:
        out["smooth_ms"] = det.applied(m, "window_ms", opts.smooth_ms)
    return out


DETECTION_OPTIONS = ("velocity_threshold", "dispersion_threshold", "smooth_ms", "max_gap_ms", "merge_ms",
                     "merge_deg")
"""IngestOptions fields used only by fixation detection in raw samples."""


def _detection_options_given(opts: IngestOptions) -> list[str]:
    """The :data:`DETECTION_OPTIONS` set in ``opts``, as an error message names them (```name` value``)."""
    return [f"`{k}` {getattr(opts, k):g}" for k in DETECTION_OPTIONS if getattr(opts, k) is not None]


def check_columns_used(paths, readers, columns: dict | None) -> None:
    """Refuse ``columns`` keys that no reader of ``readers`` honours (its module's ``COLUMN_KEYS``,
    :func:`columns_taken`); ``saliency ingest`` and ``saliency detect`` alike. x/y, which only the readers of
    :data:`COLUMNS_XY` place, keep their own line: a vendor reader reads its format's own gaze columns (a key it
    ignored was once recorded as applied). With mixed inputs (a generic table beside a vendor export) a key is kept for
    the inputs that use it, and each input's record says whether its x/y mapping applied (:func:`columns_applied`).
    """
    if not columns:
        return
    from saliency.data_tools.readers import registry

    taken = {k for rd in readers for k in columns_taken(rd)}
    unused = [k for k in columns if k not in taken]
    if not unused:
        return
    _check_mapped_columns_exist([p for p, r in zip(paths, readers) if r.format in ("samples", "fixations")],
                                {k: columns[k] for k in unused})
    path, rd = paths[0], readers[0]
    # the advice only where the reading honours `eye` (its notes say which eye): never Tobii's own fixations
    alt = "; use `eye` left/right to choose an eye" if getattr(registry.format_module(rd.format), "EYES", False) \
        and "eye" in rd.notes else ""
    if set(unused) <= {"x", "y"}:
        raise UserError(f"{path}: `columns` x/y: the {rd.format} reader reads the format's own columns{alt}")
    them = "it" if len(unused) == 1 else "them"
    takes = {}  # format -> the keys its reader takes (tobii: of what it read)
    for r in readers:
        takes.setdefault(r.format, columns_taken(r))
    if len(takes) == 1:
        keys = takes[rd.format]
        why = (f"the {rd.format} reader takes only {', '.join(keys)} from `columns`" if keys else
               f"the {rd.format} reader reads the format's own columns and takes none from `columns`")
    else:
        why = f"no input's reader takes {them} (" + "; ".join(
            f"the {f} reader takes {', '.join(k) or 'none'}" for f, k in takes.items()) + ")"
    hint = alt if "x" in unused or "y" in unused else ""
    raise UserError(f"{path}: `columns` {', '.join(unused)}: not used: {why}; leave {them} out{hint}")


def _check_mapped_columns_exist(paths, mapping: dict) -> None:
    """Name a mapped column that no generic table of ``paths`` has (``no such column``) before refusing its key.

    A typo (``duration_ms=fixdru``) in a fixation table's mapping made the
    table sniff as samples, whose reader does not take the key: "not used",
    and the advice to leave it out read the fixations as gaze samples.
    """
    from saliency.data_tools.readers.base import header_columns, printable

    headers = []
    for p in paths:
        try:
            headers.append((p, header_columns(Path(p))[0]))
        except (UserError, OSError, UnicodeDecodeError, ValueError):  # a binary format (.mat, .json): no header
            continue
    for k, col in mapping.items():
        if headers and len(headers) == len(paths) and not any(col in h for _, h in headers):
            p, h = headers[0]
            raise UserError(f"{p}: `columns` {k}={col}: no such column; the file has {printable(', '.join(h))}")


def columns_taken(rd) -> tuple[str, ...]:
    """The ``columns`` keys the reader of ``rd`` honours: its format module's ``COLUMN_KEYS`` (a dict: by what the
    reader read, ``rd.kind``); none for a module without it."""
    from saliency.data_tools.readers import registry

    keys = getattr(registry.format_module(rd.format), "COLUMN_KEYS", ())
    return tuple(keys.get(rd.kind, ()) if isinstance(keys, dict) else keys)


def columns_applied(rd, columns: dict | None) -> dict:
    """``{"columns_applied": bool}`` for an input's record when ``columns`` maps x/y (else ``{}``): whether its
    reader placed them (:func:`columns_taken`)."""
    return {"columns_applied": "x" in columns_taken(rd)} if _maps_xy(columns) else {}


def _maps_xy(columns: dict | None) -> bool:
    """Whether the ``columns`` mapping names the gaze columns ``x`` or ``y``."""
    return bool(columns) and ("x" in columns or "y" in columns)


def check_time_unit_used(readers, time_unit: str) -> None:
    """Refuse ``time_unit`` when no reader of ``readers`` applied it (every header states its unit, or the format
    fixes it); ``saliency ingest`` and ``saliency detect`` alike."""
    if not any(rd.notes.get("time_unit_applied") for rd in readers):
        raise UserError(f"`time_unit` {time_unit}: not used: no input has a time column without a unit "
                        f"(their headers state it, or the format has its own; inputs: "
                        f"{', '.join(sorted({rd.format for rd in readers}))}); leave it out")


def check_decimal_used(readers, decimal: str) -> None:
    """Refuse ``decimal`` comma when every reader of ``readers`` ignores it (its format in :data:`DECIMAL_UNUSED`:
    EyeLink ASC lines, MATLAB files, SALICON's JSON), so that it is never recorded as applied."""
    if decimal != "comma" or not readers:
        return
    formats = sorted({rd.format for rd in readers})
    if all(f in DECIMAL_UNUSED for f in formats):
        raise UserError(f"`decimal` comma: not used: the {', '.join(formats)} reader"
                        f"{'s read' if len(formats) > 1 else ' reads'} the numbers as the format writes them, "
                        f"with a point; leave it out")


def decimal_applied(commas: int, pointed: Counter | None) -> bool:
    """An input's ``decimal_comma_applied``: its values were read by ``decimal`` comma's rules, which changed what
    it read: ``commas`` numbers written with a decimal comma were read, or ``pointed`` rows
    (:func:`quarantined_point_rows`) holding a number written with a point were quarantined (a thousands point
    under the option, never guessed: read without it, they were numbers)."""
    return commas > 0 or bool(pointed)


def decimal_unused_line(src: str, fmt: str, pointed: Counter | None = None) -> str:
    """The warning for an input read with ``decimal`` comma that held no number written with one: it read exactly
    as it does without the option (its record's ``decimal_comma_applied`` is false); or, when ``pointed``
    (:func:`quarantined_point_rows`: reason -> rows) counts rows quarantined for a value written with a point
    (a thousands point under ``decimal`` comma, never guessed), that it did not: the option was applied (its
    record says true, :func:`decimal_applied`) and those rows are counted."""
    if pointed:
        k = sum(pointed.values())
        reasons = ", ".join(f"{r} {n}" for r, n in pointed.most_common())
        return (f"{src}: `decimal` comma: no number in this file is written with a decimal comma, and {k} "
                f"row{'s' if k != 1 else ''} holding a number written with a point (1.234) "
                f"{'were' if k != 1 else 'was'} quarantined ({reasons}): under `decimal` comma a point is a "
                "thousands point, never guessed; if the file's numbers use a decimal point (500.13), leave "
                "`decimal` comma out")
    why = (f"the {fmt} reader reads the numbers as the format writes them, with a point" if fmt in DECIMAL_UNUSED
           else "no number in it is written with a decimal comma")
    return (f"{src}: `decimal` comma had no effect on this file: {why}, so it read as it does without it; give "
            "`decimal` comma only for exports whose numbers are written with a decimal comma (500,13)")


_PARSE_REASONS = ("non_numeric", "bad_coordinates", "bad_time", "bad_duration")  # a value that does not parse
_POINT_NUMBER = re.compile(r"[+-]?[\d.,]*\d[\d.,]*(?:[eE][+-]?\d+)?")  # 1.234, 1.234,5, .5, 2.5e3 (with a point)


def quarantined_point_rows(src: str, rd: LogReader, quar: list[pd.DataFrame]) -> Counter:
    """Reason -> rows of ``src`` in the quarantine frames ``quar`` (each with ``source``, ``line`` and ``reason``;
    ingest's ``col.quar``, ``saliency detect`` keeps its own) quarantined as a value that does not parse
    (:data:`_PARSE_REASONS`) whose line holds a field that is a number written with a point (``1.234``), for an
    input read with ``decimal`` comma where a point is no decimal mark (a tab- or semicolon-separated table:
    ``comma_count.points`` false), so that :func:`decimal_unused_line` does not say the option had no effect;
    empty otherwise. A line is split into fields as its reader splits it (:func:`line_fields`: the table's own
    separator, quotes by CSV rules), so a point inside a quoted or a text field is no number of its own."""
    count = getattr(rd.chunks, "comma_count", None)
    if count is None or count.points or count.sep is None or rd.format in DECIMAL_UNUSED:
        return Counter()
    frames = [q.loc[(q["source"] == src) & q["reason"].isin(_PARSE_REASONS), ["line", "reason"]] for q in quar]
    frames = [f for f in frames if len(f)]
    if not frames:
        return Counter()
    q = pd.concat(frames, ignore_index=True)
    reason = dict(zip(q["line"].astype(np.int64).tolist(), q["reason"].astype(str).tolist()))
    last = max(reason)
    out = Counter()
    try:  # lines as the readers number them (universal newlines); their fields as the reader splits them
        with open(src, "r", encoding="utf-8", errors="replace", newline=None) as fh:
            for i, text in enumerate(fh, 1):
                if i in reason and any("." in f and _POINT_NUMBER.fullmatch(f.strip())
                                       for f in line_fields(text.rstrip("\r\n"), count.sep)):
                    out[reason[i]] += 1
                if i >= last:
                    break
    except OSError:  # asked only to word a warning
        return Counter()
    return out


def decimal_point_line(src: str, read: int, pointed: Counter) -> str:
    """Why rows of an input read with ``decimal`` comma were lost, for a refusal that kept nothing: ``pointed``
    (:func:`quarantined_point_rows`: reason -> rows) of its ``read`` rows hold a number written with a point,
    which that option reads as a thousands point; the fix is to leave the option out, not another ``format``."""
    k = sum(pointed.values())
    reasons = ", ".join(f"{r} {n}" for r, n in pointed.most_common())
    return (f"{src}: {k} of its {read} rows hold a number written with a point (500.13), under `decimal` comma a "
            f"thousands point, and {'were' if k != 1 else 'was'} quarantined ({reasons}); leave out `decimal` "
            "comma (its numbers use a decimal point)")


def check_unused_options(opened: list[tuple], opts: IngestOptions, qc_min_valid_given: bool = False) -> dict:
    """Refuse options that no opened input uses; returns the ``policies`` values of those applied.

    Never recorded as applied when it is not: detector options when no input
    holds raw samples (fixation lists are taken as the files give them), and
    ``qc_min_valid_share`` then too when the caller says it was given
    (``qc_min_valid_given``: no qc.csv row has a valid share to hold to it;
    left at its default it is recorded as null, :func:`ingest`),
    ``min_confidence`` when no input is a Pupil Labs export with a confidence
    column, ``time_unit`` when every input's header states its time unit (or
    the format fixes it), ``decimal`` comma when every input's format ignores it
    (:func:`check_decimal_used`). With mixed inputs ``time_unit`` is kept, and each
    input's record says whether it applied (``time_unit_applied``).
    ``drop_first`` when no input has ordered fixations and ``per_subject``
    when no input tells its subjects apart: every input is pooled (its
    reader's ``notes["pooled"]``: ``fixlocs`` maps, all observers under one
    subject ``pooled``, without order or times); every other format keeps
    its fixations in order under a subject of their own (a file without a
    subject column: one subject, named after the file). With mixed inputs
    ``drop_first`` is kept, and each input's record says whether it applied
    (``drop_first_applied``: false for a pooled input, whose points have
    no first one and are all kept).
    When an input holds raw samples, a merge setting that merges nothing
    (one of ``merge_ms``/``merge_deg`` above 0 with the other 0, given or the
    detector's default) is refused as ``saliency detect`` refuses it
    (:func:`data_tools.detectors.check_merge`). ``min_duration_ms`` and a
    chosen detector without raw samples are checked once the fixations are read
    (:func:`check_duration_options`: whether any has a duration).
    Returns ``{"min_confidence": the value the Pupil reader applied}`` (None
    when no input is a Pupil export with confidences); ``opts`` is left as
    given.
    """
    first = [rd for _, rd, _, dup in opened if dup is None]
    if not any(rd.kind == "samples" for rd in first):
        given = _detection_options_given(opts)
        if given:
            raise UserError(f"{', '.join(given)}: fixation detection options, but no input holds raw samples (the "
                            f"inputs are fixation lists, taken as the files give them); leave "
                            f"{'it' if len(given) == 1 else 'them'} out")
        if qc_min_valid_given and opts.detector == "tracker":  # a sample export is read for its fixations
            raise UserError(f"`qc_min_valid_share` {opts.qc_min_valid_share:g}: not used with `detector` tracker "
                            f"(the exports' own fixations are read and their samples are not counted for QC, so "
                            f"valid_share is empty in every qc.csv row and nothing can fall below it); leave it "
                            f"out, or detect fixations in the samples with `detector` {' or '.join(det.DETECTORS)}")
        if qc_min_valid_given:
            raise UserError(f"`qc_min_valid_share` {opts.qc_min_valid_share:g}: not used: no input holds raw "
                            f"samples (fixation lists have no samples to count valid, so valid_share is empty in "
                            f"every qc.csv row and nothing can fall below it); leave it out")
    else:  # the samples are detected with these: one that merges nothing would be recorded as applied
        det.check_merge(opts.detector, opts.merge_ms, opts.merge_deg)
    applied = [rd.notes["min_confidence"] for rd in first if rd.notes.get("min_confidence") is not None]
    if opts.min_confidence is not None and not applied:  # None: the Pupil reader's default
        pupil = any(rd.format == "pupil" for rd in first)
        why = "no Pupil Labs input has a confidence column" if pupil else "no input is a Pupil Labs export"
        raise UserError(f"`min_confidence` {opts.min_confidence:g}: not used: {why} (only Pupil Labs fixation "
                        f"confidences are filtered); leave it out")
    if opts.time_unit is not None:
        check_time_unit_used(first, opts.time_unit)
        for _, rd, _, _ in opened:
            rd.notes["time_unit_applied"] = bool(rd.notes.get("time_unit_applied"))
    check_decimal_used(first, opts.decimal)
    check_columns_used([p for p, _, _, dup in opened if dup is None], first, opts.columns)
    check_pooled_options(opened, opts)
    return {"min_confidence": applied[0] if applied else None}


def check_pooled_options(opened: list[tuple], opts: IngestOptions) -> None:
    """Refuse ``drop_first`` and ``per_subject`` when every input is pooled (:func:`check_unused_options`).

    A pooled input (its reader's ``notes["pooled"]``: a ``fixlocs`` map) holds
    every observer's fixations under one subject, without order or times: no
    fixation is first and no subject can weigh the same as another. With
    ``drop_first`` and an input that is not pooled, each input's record says
    whether it applied (``drop_first_applied``).
    """
    first = [rd for _, rd, _, dup in opened if dup is None]
    pooled = sorted({rd.format for rd in first if rd.notes.get("pooled")})
    if pooled and all(rd.notes.get("pooled") for rd in first):
        given = [k for k in ("drop_first", "per_subject") if getattr(opts, k)]
        if given:
            lacks = {"drop_first": "has ordered fixations", "per_subject": "tells its subjects apart"}
            how = {"per_subject": "under one subject, 'pooled'", "drop_first": "without order or times, so none "
                                                                                 "is first"}
            raise UserError(f"{', '.join(f'`{k}`' for k in given)}: not used: no input "
                            f"{' or '.join(lacks[k] for k in given)} (the {', '.join(pooled)} inputs pool all "
                            f"observers' fixations {', '.join(how[k] for k in reversed(given))}); leave "
                            f"{'it' if len(given) == 1 else 'them'} out")
    if opts.drop_first:
        for _, rd, _, _ in opened:
            rd.notes["drop_first_applied"] = not rd.notes.get("pooled")
    check_fixlocs_stems(opened, opts)


def check_fixlocs_stems(opened: list[tuple], opts: IngestOptions) -> None:
    """Refuse two different ``fixlocs`` maps that name the same stimulus (their file stem), before anything is read.

    CAT2000 repeats its file names across categories (``Action/001.mat``,
    ``Affective/001.mat``): given together, both maps' points would be pooled
    under one stimulus ``001``. A byte-for-byte repeat (``duplicate_of``) is
    read once and is not a second map; with ``stimulus`` given, every row is
    that stimulus by the user's choice and the file names name nothing.
    """
    if opts.stimulus is not None:
        return
    seen: dict[str, Path] = {}
    for path, rd, _, dup in opened:
        if dup is not None or rd.format != "fixlocs":
            continue
        stem = nfc(Path(path).stem)
        if stem in seen:
            raise UserError(f"{path}: names the stimulus {stem!r} (its file name) as {seen[stem]} does; both maps "
                            f"would be pooled under one image: ingest one category (folder) at a time, with its own "
                            f"`stimuli` folder")
        seen[stem] = Path(path)


def check_duration_options(fix: pd.DataFrame, opened: list[tuple], opts: IngestOptions,
                           detector_given: bool) -> bool:
    """Refuse ``min_duration_ms`` and a chosen detector that no fixation could be held to; False: none could be.

    A minimum duration acts on raw samples (the detector makes the durations)
    and on fixation lists' fixations that have a duration; fixations without
    one (SALICON points, a list without a duration or end column) are kept
    whatever it is. So when no input holds raw samples and no fixation read
    (``fix``, before any is set aside) has a finite duration, ``min_duration_ms``
    when given, and ``detector`` when the caller chose it (``detector_given``;
    ``tracker`` keeps the list as given anyway), would be recorded in
    ``policies`` as applied without acting on a row: refused with one line
    naming them. Called after reading (only the rows tell whether durations
    are there), inside the staging folder: nothing is swapped in. Returns
    whether a minimum duration could act on a row (raw samples, or a fixation
    with a duration; False: ``policies`` records no detector and no detector
    minimum). No fixation at all is left to :func:`no_fixations_message`.
    """
    first = [rd for _, rd, _, dup in opened if dup is None]
    if any(rd.kind == "samples" for rd in first):
        return True
    if np.isfinite(fix["duration_ms"].to_numpy(np.float64)).any() or not len(fix):
        return True
    given = []
    if detector_given and opts.detector != "tracker":
        given.append(f"`detector` {opts.detector}")
    if opts.min_duration_ms is not None:
        given.append(f"`min_duration_ms` {opts.min_duration_ms:g}")
    if given:
        raise UserError(f"{', '.join(given)}: not used: no input holds raw samples (nothing to detect) and no "
                        f"fixation read has a duration (inputs: {', '.join(sorted({rd.format for rd in first}))}), "
                        f"so no minimum duration can act on them; leave {'it' if len(given) == 1 else 'them'} out")
    return False


def settle_geometry(opened: list[tuple], opts: IngestOptions) -> dict:
    """The run's screen: the user's, completed by the resolution the files declare; returns what was decided.

    A file's declared resolution that differs from the user's by one pixel on
    an axis (last pixel index vs pixel count) is the same screen: the user's
    is used and the difference recorded. A larger difference, or files that
    declare different screens when the user gives none, are refused. A
    geometry holding only a display mode (``display`` given without a screen)
    that no file completes is refused as unused, as
    :func:`check_unused_options` refuses other options (never recorded as
    applied when it is not); no geometry at all (``None``) is fine.
    """
    declared = {str(p): tuple(rd.screen_px) for p, rd, _, dup in opened if rd.screen_px and dup is None}
    g = opts.geometry
    info: dict = {"screen_px_from": None, "declared_by_files": {k: list(v) for k, v in declared.items()}}
    if g is not None and g.screen_px is not None:
        info["screen_px_from"] = "user"
        for src, px in declared.items():
            dx, dy = abs(px[0] - g.screen_px[0]), abs(px[1] - g.screen_px[1])
            if dx > 1 or dy > 1:
                raise UserError(f"{src}: the file declares a {px[0]}x{px[1]} screen but `screen_px` says "
                                f"{g.screen_px[0]}x{g.screen_px[1]}; give the screen the recording used")
            if dx or dy:
                info.setdefault("one_pixel_apart", []).append(src)
    elif declared:
        sizes = sorted(set(declared.values()))
        if len(sizes) > 1:
            raise UserError("the inputs declare different screens (" + ", ".join(
                f"{Path(s).name}: {px[0]}x{px[1]}" for s, px in declared.items()) + "); ingest them separately "
                "or give `screen_px`")
        by = list(declared)  # the files that declared it, named by a refusal of the whole geometry
        more = f" (and {len(by) - 1} more input{'s' if len(by) > 2 else ''})" if len(by) > 1 else ""
        g = (g or ScreenGeometry(None)).with_screen_px(sizes[0], declared_by=by[0] + more)
        info["screen_px_from"] = "files"
    if g is not None and g.screen_px is None:
        if g.screen_cm is not None:
            raise UserError("`screen_cm` and `distance_cm` need the resolution too: give `screen_px` (no input "
                            "file declares one)")
        if g.distance_cm is None:  # only a display mode, given on its own: nothing to place stimuli on
            raise UserError(f"`display` {g.display}: not used: there is no screen to place the stimuli on (no "
                            f"`geometry` or `screen_px`, and no input declares a resolution; the coordinates are "
                            f"taken as stimulus pixels); leave it out")
        g = None

    opts.geometry = g
    return info


#: the formats whose points are always stimulus pixels (the published datasets' files): `coords` changes nothing
STIMULUS_ONLY = ("osie", "mit1003", "figrim", "fixlocs", "salicon")


def settle_coords(opened: list[tuple], opts: IngestOptions) -> None:
    """Resolve ``coords`` (``auto``) as it applies to the opened inputs; refuse ``screen`` where none can be.

    Never recorded as applied when it is not: the readers of
    :data:`STIMULUS_ONLY` give stimulus pixels whatever ``coords`` says, so
    ``auto`` resolves to ``stimulus`` when every input is one of them (else
    ``screen`` with a screen geometry, ``stimulus`` without), and ``screen``
    given for such inputs only is refused with one line. With mixed inputs
    and ``screen`` (given or resolved), each input's record says what its
    points were taken as (``coords``: ``screen`` or ``stimulus``).
    Call after :func:`settle_geometry` (``auto`` needs the run's screen).
    """
    first = [(p, rd) for p, rd, _, dup in opened if dup is None]
    fixed = [rd.format in STIMULUS_ONLY for _, rd in first]
    if opts.coords == "screen" and first and all(fixed):
        path, rd = first[0]
        more = f" (so do the other inputs: {', '.join(sorted({r.format for _, r in first[1:]}))})" \
            if len(first) > 1 else ""
        raise UserError(f"{path}: `coords` screen: a file in the {rd.format} format gives stimulus pixels, "
                        f"never screen coordinates{more}; leave `coords` out")
    if opts.coords == "auto":
        opts.coords = "stimulus" if opts.geometry is None or all(fixed) else "screen"
    if opts.coords == "screen" and any(fixed):  # mixed inputs: what each one's points were taken as
        for (_, rd), f in zip(first, fixed):
            rd.notes["coords"] = "stimulus" if f else "screen"


def degrees_missing(g: ScreenGeometry | None, info: dict) -> str:
    """What degrees still need, as an option list, and where the resolution came from."""
    if g is None:
        return "`geometry` or `screen_px`, `screen_cm` and `distance_cm`"
    miss = " and ".join(f"`{m}`" for m in g.missing_for_degrees())
    src = " (the files declare the resolution only)" if info.get("screen_px_from") == "files" else ""
    return f"{miss}: the screen's physical size and the viewing distance{src}"


def check_declared_sizes(source: str, ch: Chunk, opts: IngestOptions, index: StimulusIndex, pool=None) -> None:
    """Refuse stimulus images whose size differs from the one the file declares (``Chunk.declared_px``).

    SALICON's JSON declares each image's ``width`` / ``height`` and a fixLocs
    matrix is image-sized: the points are pixels of an image of that size,
    and against a resized copy they land in the wrong place (or off it)
    without a word. Checked as each chunk is read, before any of its rows is
    kept and before anything is written: one line naming the log file, the
    stimulus, both sizes and what to do. A name that matches no image, or an
    image that cannot be decoded, is left to the rows' own reasons
    (``unknown_stimulus``, ``bad_stimulus_image``, ``stimulus_too_large``).
    """
    if not ch.declared_px:
        return
    stems = {}
    for name in ch.declared_px:
        stem = index.resolve(opts.stimulus, "`stimulus` names") if opts.stimulus is not None else \
            index.resolve(str(name))
        if stem is not None:
            stems[name] = stem
    index.check(list(stems.values()), pool, opts.workers)  # decoded in the pool, once (the rows' check reuses it)
    bad = []
    for name, stem in stems.items():
        have = index.size(stem)
        want = tuple(int(v) for v in ch.declared_px[name])
        if have is not None and tuple(have) != want:
            bad.append((name, want, tuple(have), stem))
    if bad:
        name, (w, h), (iw, ih), stem = bad[0]
        more = f" (and {len(bad) - 1} more stimuli of another size)" if len(bad) > 1 else ""
        raise UserError(f"{source}: stimulus {name!r}: the file declares a {w}x{h} image, but {index.path(stem)} is "
                        f"{iw}x{ih}{more}; the points are pixels of the declared image: give `stimuli` the "
                        f"dataset's original images")


def read_all(opened: list[tuple], opts: IngestOptions, index: StimulusIndex, trials: dict | None, pool=None):
    """Read every opened log; returns (fixations, quarantine, QC sample counts, input records, collector).

    With ``pool`` (a process pool), the stimulus check and the fixation
    detection of raw samples run in its workers while this process reads on.
    """
    col = _Collector(opts, index, trials, pool)
    records = []
    for path, rd, digest, dup in opened:
        if dup is not None:
            records.append(duplicate_record("ingest", path, rd, digest, dup))
            continue
        src = str(path)
        col.books[src] = _Books(rd.kind, rd.format, rd.format in TIME_UNIT_FORMATS
                                and rd.notes.get("time_unit_applied", True) is not False)
        col.format_trials = rd.trials
        col.from_messages = col.message_names[src] = getattr(rd, "message_names", set())
        col.placements[src] = getattr(rd, "placements", {})
        col.rates = RateCheck(src, rd.format, opts.detector, rd.notes.get("timestamp_ms_per_unit"), opts.columns) \
            if rd.kind == "samples" else None
        col.interleaving = Interleaving(src, TRIAL_KEYS, bool(rd.trials), rd.notes) if rd.kind == "samples" else None
        carry = None
        # rows, not chunks: a 500,000-row chunk takes seconds; the size is unknown, so a plain line per 10 s
        bar = progress(desc=f"read {path.name}", unit=" rows", enabled=opts.progress)
        pending = None
        for ch in rd.chunks():
            bar.update(int(ch.rows_read or 0))
            check_declared_sizes(src, ch, opts, index, pool)
            if rd.kind == "samples":
                if pending is not None:
                    carry = col.add_samples(src, pending, carry, final=False)
                pending = ch
            else:
                col.add_fixations(src, ch)
        if rd.kind == "samples" and pending is not None:
            col.add_samples(src, pending, carry, final=True)
        if col.rates is not None:  # the input's rate if its first rows did not decide it; its warning lines
            col.rate_warnings += col.rates.finish(refusal=col.rate_refusal(src))
            why = decimal_warning(decimal_refusal(src, col.books[src], opts.decimal, rd.format), col.gazed[src],
                                  col.pointed[src])
            if why:
                col.rate_warnings.append(why)
        bar.close()
        commas = decimal_commas_read(rd.chunks) if opts.decimal == "comma" else None
        pointed = Counter()
        if commas == 0:  # no decimal comma: said, never recorded as applied silently
            pointed = quarantined_point_rows(src, rd, col.quar)
            if pointed:  # the option, not the format, lost them: a refusal says so (no_fixations_message)
                col.point_rows[src] = pointed
            col.rate_warnings.append(decimal_unused_line(src, rd.format, pointed))
        records.append({"path": src, "sha256": digest, "format": rd.format, "kind": rd.kind, **rd.notes,
                        **columns_applied(rd, opts.columns),
                        **({} if commas is None else {"decimal_comma_applied": decimal_applied(commas, pointed)})})
    col.finish()
    fix = pd.concat(col.fix, ignore_index=True) if col.fix else pd.DataFrame(columns=FIX_COLS + ["source", "space"])
    quar = pd.concat(col.quar, ignore_index=True) if col.quar else pd.DataFrame(columns=["source"] + QUAR_COLS)
    counts = {"samples": col.samples, "valid": col.valid}
    return fix, quar, counts, records, col


def _subjects_by_source(*frames: pd.DataFrame) -> dict[str, set]:
    """The subjects the rows of ``frames`` (fixations, quarantine) carry, by their ``source`` input."""
    out: dict[str, set] = {}
    for f in frames:
        if len(f) and "subject" in f.columns:
            for src, subjects in f.groupby("source", sort=False)["subject"].unique().items():
                out.setdefault(str(src), set()).update(subjects)
    return out


def check_durations(fix: pd.DataFrame, books: dict[str, _Books], columns: dict | None = None) -> list[str]:
    """Fixation lists: a median fixation over 10 s is refused (time unit); some over 10 s give a warning line.

    The refusal offers ``time_unit`` only where the input's reader would take it (``columns``: the user's
    mapping, to find a generic table's duration column, whose header may state the unit instead).
    """
    out = []
    for src, g in fix.groupby("source", sort=False):
        if books[src].kind != "fixations":
            continue
        d = g["duration_ms"].to_numpy(np.float64)
        d = d[np.isfinite(d)]
        if not len(d):
            continue
        med = float(np.median(d))
        if med > LONG_FIXATION_MS:
            stated = stated_duration_column(src, books[src].format, columns)
            raise UserError(f"{src}: fixations last {med / 1000:.4g} s (median), longer than "
                            f"{LONG_FIXATION_MS / 1000:g} s: the durations' time unit is likely wrong"
                            f"{_duration_unit_hint(med, books[src].format, books[src].time_unit_read, stated)}")
        n_long = int((d > LONG_FIXATION_MS).sum())
        if n_long:
            out.append(f"{src}: {n_long} fixations last longer than {LONG_FIXATION_MS / 1000:g} s (longest "
                       f"{d.max() / 1000:.4g} s); "
                       + ("check the time unit (`time_unit`)" if books[src].time_unit_read else "check the export"))
    return out


def check_weight_durations(fix: pd.DataFrame, sources: list[str]) -> None:
    """``weight`` duration: refuse kept fixations without a finite duration, naming the first and the count.

    The first is the earliest row (input order, then file line) among those
    that reach the maps; the line names the file, its line, the subject and
    the stimulus, as ``quarantine.csv`` names rows.
    """
    d = fix["duration_ms"].to_numpy(np.float64)
    bad = ~np.isfinite(d)
    n = int(bad.sum())
    if not n:
        return
    b = fix.loc[bad]
    order = {s: i for i, s in enumerate(sources)}
    key = pd.DataFrame({"src": b["source"].map(lambda s: order.get(s, len(order))).to_numpy(),
                        "line": pd.to_numeric(b["line"], errors="coerce").to_numpy(np.float64)})
    i = key.sort_values(["src", "line"], kind="stable", na_position="last").index[0]
    r = b.iloc[i]
    line = f" line {int(r['line'])}" if pd.notna(pd.to_numeric(r["line"], errors="coerce")) else ""
    raise UserError(f"`weight` duration: {n} of the {len(fix)} fixations kept have no duration (the first: "
                    f"{r['source']}{line}, subject {r['subject']!r}, stimulus {r['stimulus']!r}); give the "
                    f"durations or use `weight` none")


def off_screen_hints(col: _Collector, screen_px, min_points: int = 5) -> list[str]:
    """One line per input whose points mostly fall off the screen, naming the likely cause and the fix."""
    out = []
    W, H = screen_px
    for src, (n_off, n, x0, x1, y0, y1) in col.off.items():
        if n >= max(min_points, 2) and x0 >= -0.5 and y0 >= -0.5 and x1 <= 1.5 and y1 <= 1.5 and min(W, H) > 16:
            out.append(f"{src}: all {n} points lie within 1.5 px of the screen's top-left corner: they look "
                       "normalised (0..1), not pixels; read them with a format that knows (`format`) or scale "
                       "them to pixels")
            continue
        if n < min_points or n_off <= 0.5 * n:
            continue
        # a screen too small: points within four screens; a little to the left or above is tracker noise
        if x0 >= -0.25 * W and y0 >= -0.25 * H and x1 < 4 * W and y1 < 4 * H:
            cause = f"they reach {x1:.0f}x{y1:.0f}: is `screen_px` {W}x{H} the recording's screen? (or give " \
                    f"`coords` stimulus if they are stimulus pixels)"
        else:
            cause = "the coordinate space is not screen pixels with the origin top-left (check `columns` and " \
                    "`coords`)"
        out.append(f"{src}: {n_off} of {n} points lie off the {W}x{H} screen (x {x0:.4g}..{x1:.4g}, "
                   f"y {y0:.4g}..{y1:.4g}); {cause}")
    return out


def _reason_hints(quar_reasons: Counter, col: _Collector, index: StimulusIndex) -> list[str]:
    """What to do about the reasons that took the most rows."""
    hints = []
    if quar_reasons.get("unknown_stimulus"):
        hints.append(_unknown_names_line(col, index))
    if quar_reasons.get("bad_stimulus_image") and index.sample_format_used:
        hints.append(_sample_format_line(index))
    if quar_reasons.get(TOO_LARGE) and index.too_large_used:
        hints.append(_too_large_line(index, quar_reasons[TOO_LARGE]))
    if quar_reasons.get("outside_trial"):
        hints.append(f"{quar_reasons['outside_trial']} rows lie outside any trial (no TRIALID/media message "
                     "covers them): name their stimulus with `stimulus` NAME, or check the trial messages")
    hints += [decimal_point_line(src, col.books[src].read, n) for src, n in col.point_rows.items()]
    if col.o.format != "auto":  # a file given the wrong --format: every row unreadable
        hints += _wrong_format_hints(col)
    top = quar_reasons.most_common(1)
    if top and top[0][0] in _NUMBER_REASONS and col.o.decimal == "point" and any(
            b.format not in DECIMAL_UNUSED and any(b.quarantined.get(r) for r in _NUMBER_REASONS)
            for b in col.books.values()):  # advice only for an input whose reader honours `decimal`
        hints.append(DECIMAL_HINT)
    if quar_reasons.get("no_stimulus"):
        hints += _no_stimulus_hints(quar_reasons["no_stimulus"], col)
    if quar_reasons.get(TIME_BACKWARDS):
        hints += _behind_hints(col)
    if quar_reasons.get("zero_duration"):
        n = quar_reasons["zero_duration"]
        hints.append(f"{n} fixation{'s' if n != 1 else ''} of 0 ms (one sample, or samples sharing a time stamp) "
                     "weigh nothing with `weight` duration and were set aside as zero_duration: use `weight` none "
                     "to map them (`min_duration_ms` above 0 drops such fixations as too short instead)")
    return hints


def _behind_hints(col: _Collector) -> list[str]:
    """One line per input with ``time_backwards`` rows: the time stamp that most of them fall behind (its line and
    value, :func:`fallen_behind`) and what to check."""
    out = []
    for src, behind in col.behind.items():
        if not behind:
            continue
        (line, t), n = behind.most_common(1)[0]
        rest = sum(behind.values()) - n
        more = f" ({rest} more fall behind other time stamps)" if rest else ""
        out.append(f"{src}: {n} sample{'s' if n != 1 else ''} after line {line} are earlier than its time stamp "
                   f"({t:.15g} ms) and were set aside as time_backwards{more}: check that line's time "
                   "(a typo, a wrong value or a clock that jumped ahead); time stamps must not go back within a "
                   "trial")
    return out


def _no_stimulus_hints(rows: int, col: _Collector) -> list[str]:
    """What to do about rows with no stimulus name: give ``trials`` when it is not given; when it is, why it named
    none (rows without a trial value to look it up by, trials it does not list for the row's subject)."""
    def shown(names) -> str:
        names = list(names)
        return ", ".join(repr(t) for t in names[:5]) + (", ..." if len(names) > 5 else "")

    seen = col.trials_seen
    if col.trials is None or not seen:
        return [f"{rows} rows have no stimulus name (trials {shown(t for t, _ in seen.most_common()) or 'none'}): "
                "give `trials` (subject, trial, stimulus) or `stimulus` NAME"]
    # the readers of these rows that take a `columns` trial (a generic table: only when it is mapped)
    mappable = any("trial" in columns_taken(b) for b in col.books.values() if b.quarantined.get("no_stimulus"))
    out = []
    if seen.get(""):
        how = "map the logs' trial column with `columns` trial=COL, or " if mappable else ""
        how += "give `stimulus` NAME instead (one stimulus for every row)"
        out.append(f"{seen['']} rows have no stimulus name and no trial value to look up in `trials` {col.o.trials} "
                   f"(subject, trial, stimulus): {how}")
    valued = Counter({t: c for t, c in seen.items() if t})
    if valued:
        listed = list(dict.fromkeys(t for _, t in col.trials))  # the file's trials, in its order
        known = set(listed)
        elsewhere = [t for t, _ in valued.most_common() if t in known]  # listed, but for other subjects only
        other = f"; {shown(elsewhere)} only for other subjects: check its subject column" if elsewhere else ""
        out.append(f"{sum(valued.values())} rows have no stimulus name and their trials "
                   f"({shown(t for t, _ in valued.most_common())}) are not in `trials` {col.o.trials}"
                   f"{' for their subject' if elsewhere else ''} (it lists trials {shown(listed) or 'none'}{other}): "
                   "add a row (subject, trial, stimulus) for each, or give `stimulus` NAME instead (one stimulus "
                   "for every row)")
    return out


#: reader quarantine reasons of a fixation-list row that is a fixation whose value did not parse: the row still
#: holds its scanpath's place (``drop_first``: when it is the first, nothing more is dropped)
_UNREAD_FIXATION = _PARSE_REASONS + ("non_finite_time", "non_finite_duration", "malformed_row", "no_fixation_id")


def _unread_firsts(f: pd.DataFrame, quar: pd.DataFrame, stem_of) -> pd.Series:
    """Scanpath (``_sid``) -> line of the reader-quarantined row (``quar``: a value that did not parse,
    :data:`_UNREAD_FIXATION`) that comes just before the scanpath's first row in its file (the first of its eye's
    rows in a list with eyes), with only such rows between, and whose scanpath key is known and equal to that
    scanpath's: same source, same subject (not blank), the same trial where the file's rows have trials, the same
    eye where they have eyes (``QUAR_KEYS``: what the reader parsed; NaN, not said), and the stimulus that kept
    rows would resolve for it (``stem_of(source, name, subject, trial)``: its name, else the ``trials`` table's
    for its trial; the stem, exact, or None). Its onset is unknown: its place in the file tells.

    A row whose key is not known spares nothing (the scanpath's next row is dropped, as before): a blank or
    unreadable subject or stimulus cell, a name no image has, a trial or eye the reader did not pass on (a row it
    could not split) in a file whose rows have them.
    """
    out = {}
    q_all = quar.loc[quar["source"].isin(set(f["source"]))] if len(quar) else quar
    for src, q in (q_all.groupby("source", sort=False) if len(q_all) else ()):
        every = f.loc[f["source"] == src].sort_values(["line", "_fid"], kind="stable")
        has_trials, has_eyes = (every["_trial"] != "").any(), (every["_eye"] != "").any()
        q = q.sort_values("line", kind="stable")
        q_trial, q_eye = (np.array([None if pd.isna(v) else str(v) for v in q[c]], dtype=object)
                          if c in q else np.full(len(q), None, dtype=object) for c in QUAR_KEYS)
        subj = q["subject"].fillna("").astype(str).to_numpy()
        name = q["stimulus"].fillna("").astype(str).to_numpy()
        stems = {k: stem_of(src, *k) for k in set(zip(name.tolist(), subj.tolist(), q_trial.tolist()))}
        stem = np.array([stems[k] for k in zip(name.tolist(), subj.tolist(), q_trial.tolist())], dtype=object)
        key_ok = q["reason"].isin(_UNREAD_FIXATION).to_numpy() & (subj != "") \
            & np.array([s is not None for s in stem], bool)
        key_ok &= np.array([t is not None or not has_trials for t in q_trial], bool)
        key_ok &= np.array([e is not None or not has_eyes for e in q_eye], bool)
        for eye in every["_eye"].unique():  # each eye's rows are a run of their own: the other eye's interleave
            rows = every.loc[every["_eye"] == eye]
            mine = np.array([e is None or e == eye for e in q_eye], bool)  # an eye not said is in every eye's run
            ql = q["line"].to_numpy(np.int64)[mine]
            lines = rows["line"].to_numpy(np.int64)
            nxt = np.searchsorted(lines, ql, side="right")  # the first kept row after each quarantined one
            has = nxt < len(lines)
            at = np.minimum(nxt, len(lines) - 1)
            sid = rows["_sid"].to_numpy()[at]
            starts = rows.groupby("_sid")["line"].min()
            n_trial = rows["_trial"].to_numpy()[at]
            fits = has & key_ok[mine] & (subj[mine] == rows["subject"].astype(str).to_numpy()[at]) \
                & (stem[mine] == rows["stimulus"].astype(str).to_numpy()[at]) \
                & np.array([t is None or t == n for t, n in zip(q_trial[mine], n_trial)], bool) \
                & (lines[at] == starts.reindex(sid).to_numpy())
            # a row between that is not one of these (another subject's or trial's, a name no image has) ends the run
            block = pd.Series(ql[has & ~fits]).groupby(nxt[has & ~fits]).max()
            after = block.reindex(nxt).fillna(-1).to_numpy() < ql
            for g, line in zip(sid[fits & after], ql[fits & after]):
                out[g] = min(out.get(g, line), line)
    return pd.Series(out, dtype=np.float64)


def _quarantined_stem(index: StimulusIndex, name: str, last_word: bool = False) -> str | None:
    """The stem that a reader-quarantined row's stimulus ``name`` finds as a kept row's name finds it
    (:meth:`StimulusIndex.resolve`: exact, no part of another name), or None; nothing recorded, nothing refused
    (a quarantined row's name is in no warning and stops no run)."""
    try:
        return index.resolve(name, last_word=last_word, record=False)
    except UserError:
        return None


def _first_fixations(fix: pd.DataFrame, quar: pd.DataFrame | None = None, stem_of=None) -> set:
    """``_fid`` of each scanpath's first fixation (subject, trial, stimulus, file and eye; by onset, then line).

    A scanpath is one (subject, trial): a subject who saw the same stimulus in
    two trials has two scanpaths, each losing its own first fixation; formats
    without trials give every row an empty trial (one scanpath per subject,
    stimulus, file and eye, as before). A fixation is named by its ``_fid``
    (its row in the table), not by its (source, line): a SALICON annotation
    holds a whole scanpath on one line (every point of it was dropped), and
    each eye of a binocular event export has its own scanpath (the other eye's
    copy of the first fixation stayed).

    The first row is chosen over all rows read: a row of unknown onset (an
    empty start time) comes first when it comes before every timed row in the
    file, and so does a row of ``quar`` (the readers' quarantine of the fixation
    lists in ``fix``) whose value did not parse (:func:`_unread_firsts`); such a
    quarantined first row leaves its scanpath with nothing more to drop (an
    unreadable first fixation dropped the second, a real one). File order
    decides only where it agrees with the onsets (the first timed row in the
    file is the earliest).
    """
    if not len(fix):
        return set()
    trial = fix["trial"].fillna("").astype(str) if "trial" in fix else ""
    f = fix.assign(_eye=fix["eye"].fillna("").astype(str), _trial=trial)
    f["_sid"] = f.groupby(["subject", "_trial", "stimulus", "source", "_eye"], sort=False, dropna=False).ngroup()
    timed = pd.to_numeric(f["t_start_ms"], errors="coerce").notna().to_numpy()
    k = f.loc[timed].sort_values(["t_start_ms", "line", "_fid"], kind="stable").drop_duplicates("_sid")
    u = f.loc[~timed].sort_values(["line", "_fid"], kind="stable").drop_duplicates("_sid")
    sp = pd.DataFrame(index=pd.Index(f["_sid"].drop_duplicates().to_numpy(), name="_sid"))
    sp["k_fid"], sp["k_line"] = k.set_index("_sid")["_fid"], k.set_index("_sid")["line"]
    sp["k_min"] = f.loc[timed].groupby("_sid")["line"].min()
    sp["u_fid"], sp["u_line"] = u.set_index("_sid")["_fid"], u.set_index("_sid")["line"]
    q_line = _unread_firsts(f, quar, stem_of) if quar is not None and len(quar) and stem_of \
        else pd.Series(dtype=np.float64)
    sp["q_line"] = q_line.reindex(sp.index).to_numpy()  # by scanpath, its eye included
    in_order = sp["k_fid"].isna() | (sp["k_line"] == sp["k_min"])  # else the onsets decide alone
    before = sp["k_min"].isna() | (sp["u_line"] < sp["k_min"])
    unread = in_order & sp["q_line"].notna()  # its first row is quarantined already: nothing more to drop
    untimed = in_order & ~unread & sp["u_fid"].notna() & before
    first = np.where(untimed, sp["u_fid"], sp["k_fid"])[~unread.to_numpy()]
    return {int(v) for v in first if pd.notna(v)}


def _wrong_format_hints(col: _Collector) -> list[str]:
    """One line per input of which no row parsed under the given ``format``, with the format it looks like."""
    from saliency.data_tools.readers import registry

    out = []
    for src, b in col.books.items():
        bad = sum(v for k, v in b.quarantined.items() if k in ("non_numeric", "bad_coordinates", "bad_time"))
        if not b.read or bad < b.read:
            continue
        try:
            looks = registry.detect_format(Path(src), col.o.columns)
        except Exception:  # noqa: BLE001 - only a hint: a file no reader knows says nothing here
            looks = None
        like = f"; it reads as `format` {looks}" if looks and looks != col.o.format else ""
        if src in col.point_rows and not like:  # read as its format, under `decimal` comma: decimal_point_line
            continue
        out.append(f"{src}: none of its {b.read} rows parsed as `format` {col.o.format}{like}; leave out "
                   "`format` to detect the file's format")
    return out


def held_hints(records: list[dict], detector: str) -> list[str]:
    """One line per EyeLink ASC input that gave no row of the kind read while it holds the other kind (its
    reader's ``lines_held``): its EFIX lines (read with `detector` tracker) or its sample lines (read with a
    detector of raw samples)."""
    out = []
    for rec in records:
        held = rec.get("lines_held")
        if not held or "duplicate_of" in rec or rec.get("rows", {}).get("read"):
            continue
        n_s, n_e = held.get("samples", 0), held.get("EFIX", 0)
        if detector == "tracker" and n_s:
            out.append(f"{rec['path']}: no EFIX line (the tracker's fixations), but {n_s} sample "
                       f"line{'s' if n_s != 1 else ''} (raw samples): leave out `detector` tracker to detect "
                       f"fixations in them")
        elif detector != "tracker" and n_e:
            out.append(f"{rec['path']}: no sample line, but {n_e} EFIX line{'s' if n_e != 1 else ''} (the "
                       f"tracker's fixations, as edf2asc -e writes them): give `detector` tracker to read them")
    return out


def no_fixations_message(reasons: Counter, col: _Collector, index: StimulusIndex, plaus: list[str],
                         records: list[dict] = ()) -> str:
    """The one line for a run that kept no fixation: every reason with its count, then what to do; an EyeLink ASC
    input that holds only the other kind of rows than those read says so (:func:`held_hints`, from ``records``)."""
    counted = Counter()
    read = 0
    for b in col.books.values():
        counted.update(b.counted)
        read += b.read
    held = held_hints(list(records), col.o.detector)
    if not read:
        return "no usable fixations: the inputs hold no data rows" + ("; " + "; ".join(held) if held else "")
    parts = [f"{k} {v}" for k, v in reasons.most_common()]
    if counted:
        parts.append("not used by design: " + ", ".join(f"{k} {v}" for k, v in counted.most_common()))
    samples = [b for b in col.books.values() if b.kind == "samples"]
    kept = sum(b.kept for b in samples)
    repeated = rate_change_lines(col.repeated_times)  # most samples on one time stamp: the cause, not the detector
    if not parts:
        parts.append("no rows were quarantined: the samples gave no fixation " +
                     ("(most of their time stamps repeat)" if repeated else "(check the detector options)"))
    elif kept > sum(reasons.values()) and not sum(b.fix_detected for b in samples) and not repeated:
        # more samples kept than rows quarantined (beside rows counted by design, as message rows): those rows are
        # not the cause, the detector is; fewer (116 rows of a decimal comma, 4 kept) and the reasons explain it
        parts.append(f"{kept} samples kept gave no fixation (check the detector options)")
    hints = repeated + trial_warning_lines(col) + plaus + _reason_hints(reasons, col, index) + held
    return f"no usable fixations in the {read} rows read (reasons: {'; '.join(parts)})" + \
        ("; " + "; ".join(hints) if hints else "")


def _broken_links_line(index: StimulusIndex) -> str:
    """The stimuli rows named that are broken symbolic links (their rows: ``bad_stimulus_image``)."""
    links = sorted(index.broken_used)
    shown = ", ".join(f"{p.name} -> {os.readlink(p)}" for p in links[:3]) + (" ..." if len(links) > 3 else "")
    n = len(links)
    return (f"`stimuli` {index.folder}: {n} {'stimulus' if n == 1 else 'stimuli'} that rows name "
            f"{'is a broken link' if n == 1 else 'are broken links'} ({shown}: the target is gone); restore the "
            "target or point the link at the image (their rows are quarantined as bad_stimulus_image)")


RAISE_MAX_PIXELS = "--max-pixels; from Python saliency.base.images.pixel_limit(n) or SALIENCY_MAX_PIXELS"
"""The ways to raise the pixel limit, as a line says them: written out, not a backticked parameter (IngestOptions
has no ``max_pixels``; the command line's ``--max-pixels`` is :func:`saliency.base.images.pixel_limit`)."""


def _too_large_line(index: StimulusIndex, rows: int, shown: int = 3) -> str:
    """The stimuli rows named that are above the limits (their rows: ``stimulus_too_large``): one line.

    Images with more pixels than the limit (:func:`saliency.base.images.max_pixels`) and images with a side above
    :data:`~saliency.base.images.MAX_SIDE` are said apart, each with the first ``shown`` images (in sorted order),
    their size and how many more; raising the limit is advised only for the first (no limit lifts a side's bound).
    """
    items = sorted(index.too_large_used.items())
    n, limit = len(items), max_pixels()
    wide = [(s, sz) for s, sz in items if max(sz) > MAX_SIDE]  # shrinking is the only way
    many = [(s, sz) for s, sz in items if max(sz) <= MAX_SIDE]  # above the pixel count only

    def listed(group, pixels: bool) -> str:
        named = ", ".join(f"{index.path(s).name} ({w}x{h}{f' = {w * h:,} pixels' if pixels else ''})"
                          for s, (w, h) in group[:shown])
        return named + (f" and {len(group) - shown} more" if len(group) > shown else "")

    def count(k: int) -> str:
        return f"{k} {'stimulus' if k == 1 else 'stimuli'}"

    parts = []
    if many:
        parts.append(f"{count(len(many))} above the pixel limit of {limit:,}: {listed(many, True)}")
    if wide:
        parts.append(f"{count(len(wide))} with a side above {MAX_SIDE:,} pixels, the most any image may have: "
                     f"{listed(wide, False)}")
    images = "the image" if n == 1 else "the images"
    if not wide:
        advice = f"shrink {images} or raise the limit ({RAISE_MAX_PIXELS})"
    elif not many:
        advice = f"shrink {images} to at most {MAX_SIDE:,} pixels a side"
    else:
        advice = (f"shrink the images (at most {MAX_SIDE:,} pixels a side), or, for the {len(many)} above the "
                  f"pixel limit, raise it ({RAISE_MAX_PIXELS})")
    return (f"`stimuli` {index.folder}: {'; '.join(parts)}; the {rows} {'row' if rows == 1 else 'rows'} naming "
            f"{'it' if n == 1 else 'them'} {'is' if rows == 1 else 'are'} quarantined as {TOO_LARGE}; {advice}")


def matched_by_last_word(index: StimulusIndex) -> dict[str, str]:
    """Each message text no stimulus file has whole -> the file its last image word found (``Trial 3 beach.jpg``
    -> ``beach.jpg``), in sorted order: dataset.json ``stimuli.matched_by_last_word``."""
    return {n: index.path(index.by_last_word[n]).name for n in sorted(index.by_last_word)}


def _last_word_line(index: StimulusIndex, shown: int = 3) -> str:
    """The message texts no stimulus file has whole, matched by their last image word: one line, the first name
    (in sorted order), how many others and the first ``shown`` name -> file pairs (dataset.json lists them all)."""
    pairs = matched_by_last_word(index)
    first, n = next(iter(pairs)), len(pairs)
    fix = "if that is not the stimulus shown, put a file with the whole name in `stimuli`"
    if n == 1:
        return (f"rows name {first!r}, a message text that no stimulus in {index.folder} has whole; matched by its "
                f"last word to {pairs[first]}; {fix}")
    named = ", ".join(f"{k!r} -> {v}" for k, v in list(pairs.items())[:shown])
    more = f"and {n - shown} more; " if n > shown else ""
    return (f"rows name {first!r} (and {n - 1} other name{'s' if n > 2 else ''}), message texts that no stimulus in "
            f"{index.folder} has whole; each matched by its last word: {named} ({more}every pair in dataset.json "
            f"stimuli.matched_by_last_word); {fix}")


def _whole_number_line(index: StimulusIndex) -> str:
    """The ``N.0`` names no stimulus file has, matched to ``N``'s file (``1.0`` -> ``1.png``, the 1 a table saved
    by Excel writes as 1.0): one line, the first name (in sorted order) and how many others."""
    names = sorted(index.by_whole_number)
    first = names[0]
    more = f" (and {len(names) - 1} other name{'s' if len(names) > 2 else ''})" if len(names) > 1 else ""
    return (f"rows name {first!r}{more}: no stimulus in {index.folder} has that name; matched as the number "
            f"{index.by_whole_number[first]!r} to {index.path(index.by_whole_number[first]).name} (a table saved by "
            "Excel writes 1 as 1.0; if that is not the stimulus shown, name it as its file is named)")


def _unknown_names_line(col: _Collector, index: StimulusIndex) -> str:
    """The names that found no stimulus; one whose file is there with an extension the toolkit does not read
    (``a.gif``) is said to be there, and what to do."""
    looked, unread = [], 0
    for n, _ in col.unknown_names.most_common(5):
        note = _unread_note(index, n)
        unread += bool(note)
        looked.append(shown_name(n) + note)
    avail = sorted(index.by_stem)
    more = f" (and {len(avail) - 5} more)" if len(avail) > 5 else ""
    where = f"not among the images read in {index.folder}" if unread else f"not in {index.folder}"
    return (f"{sum(col.unknown_names.values())} rows name a stimulus {where}: looked for {', '.join(looked)}; "
            f"available: {', '.join(shown_name(a) for a in avail[:5])}{more}")


def _unread_note(index: StimulusIndex, name: str) -> str:
    """`` ('a.gif' is there, but .gif is not read: convert it to PNG)`` when ``name`` names an image of the
    folder in a format the toolkit does not read (:meth:`StimulusIndex.unread_file`), else ``''``."""
    p = index.unread_file(name)
    if p is None:
        return ""
    ext = f"{p.suffix.lower()} is" if p.suffix else "a file without an extension is"
    return f" ({shown_name(p.name)} is there, but {ext} not read: convert it to PNG)"


def _sample_format_line(index: StimulusIndex) -> str:
    """The stimuli rows named whose samples are not read as a photo (float TIFF: their rows ``bad_stimulus_image``)."""
    used = sorted(index.sample_format_used.items())
    shown = ", ".join(f"{index.path(s).name}: {f}" for s, f in used[:3]) + (" ..." if len(used) > 3 else "")
    n = len(used)
    return (f"`stimuli` {index.folder}: {n} {'stimulus' if n == 1 else 'stimuli'} that rows name "
            f"{'has' if n == 1 else 'have'} samples that are not read as a photo ({shown}; photos are 8- or 16-bit "
            "unsigned integers: train, eval and predict refuse it); save it as an 8- or 16-bit image (its rows are "
            "quarantined as bad_stimulus_image)")


# ---------------------------------------------------------------- coordinates

def to_stimulus(fix: pd.DataFrame, opts: IngestOptions, index: StimulusIndex, col: _Collector | None = None):
    """Stimulus-pixel coordinates of every fixation; returns (fixations, quarantined off-stimulus rows).

    ``col`` (optional) notes per input how many screen points fell off the screen (plausibility check).
    """
    g = opts.geometry
    x = fix["x"].to_numpy(np.float64).copy()
    y = fix["y"].to_numpy(np.float64).copy()
    space = fix["space"].to_numpy(dtype=object)
    if opts.coords == "stimulus":
        space = np.where(space == "screen_norm", "stimulus_norm", np.where(space == "screen", "stimulus", space))
    space = np.where(space == DETECTED, "screen", space)
    if (np.isin(space, ["screen", "screen_norm"])).any() and g is None:
        raise UserError("screen coordinates need a screen geometry: give `geometry` or `screen_px`/`screen_cm`/"
                        "`distance_cm`, or `coords` stimulus if the coordinates are already stimulus pixels")
    stems = fix["stimulus"].to_numpy(dtype=object)
    sizes = np.array([index.size(s) for s in stems], dtype=np.float64).reshape(-1, 2)
    if g is not None and g.screen_px is not None and g.display == "native":
        # every stimulus shown, whatever its rows' coordinates (stimulus pixels with `sigma_px` too): one larger
        # than the screen was not shown natively
        for w, h in sorted({tuple(v) for v in sizes.astype(int).tolist()}):
            _placement(g, w, h)
    reason = np.full(len(fix), "", dtype=object)
    sn = space == "screen_norm"
    if sn.any():
        x[sn] = x[sn] * g.screen_px[0] - 0.5
        y[sn] = y[sn] * g.screen_px[1] - 0.5
        space = np.where(sn, "screen", space)
    tn = space == "stimulus_norm"
    x[tn] = x[tn] * sizes[tn, 0] - 0.5
    y[tn] = y[tn] * sizes[tn, 1] - 0.5
    scr = space == "screen"
    if scr.any():
        W, H = g.screen_px
        off = scr & ((x < -0.5) | (x >= W - 0.5) | (y < -0.5) | (y >= H - 0.5))
        reason[off] = "off_screen"
        if col is not None:
            src = fix["source"].to_numpy(dtype=object)
            for sname in np.unique(src[scr & (fix["space"].to_numpy(dtype=object) != "screen_norm")]):
                m = scr & (src == sname)
                col.note_off(str(sname), x[m], y[m], int((off & m).sum()))
        if col is not None:
            check_placements(fix, scr, sizes, opts, index, col)
        for (w, h) in {tuple(v) for v in sizes[scr].astype(int).tolist()}:
            pl = _placement(g, w, h)
            m = scr & (sizes[:, 0] == w) & (sizes[:, 1] == h)
            x[m], y[m] = pl.screen_to_stimulus(x[m], y[m])
    reason[(reason == "") & ~inside(x, y, sizes[:, 0], sizes[:, 1])] = "off_stimulus"
    fx, fy = _in_file_space(fix, x, y, sizes, g)
    out = fix.assign(x=x, y=y, **{FILE_X: fx, FILE_Y: fy})
    bad = reason != ""
    q = fix.loc[bad].assign(x=fx[bad], y=fy[bad])
    return out.loc[~bad].reset_index(drop=True), _quarantine_rows(q, reason[bad], q["source"].to_numpy())


#: how far (screen pixels) a message's placement may lie from the `display` one and still be it: a message states
#: whole pixels, and `display` fit centres an image whose leftover margin is odd a half pixel off any of them
PLACEMENT_TOLERANCE_PX = 0.5


def check_placements(fix: pd.DataFrame, scr: np.ndarray, sizes: np.ndarray, opts: IngestOptions,
                     index: StimulusIndex, col: _Collector) -> None:
    """Refuses a file whose messages draw a stimulus elsewhere than `display` places it (one mapping for all).

    An EyeLink ``!V IMGLOAD CENTER img0.png 960 540`` of an 800x600 image puts
    it at 560, 240, native size; read with `display` fit, every fixation would
    be mapped to the wrong stimulus pixels, silently. Each placement of a
    stimulus that screen rows of its file use is compared with
    ``g.placement(w, h).rect``; a difference over
    :data:`PLACEMENT_TOLERANCE_PX` is refused in one line naming the message and
    the `display` that places it so, if any. A `display` the user stated (a
    parameter, a geometry file's key) is kept where another `display` gives
    the message's placement: scripts send ``FILL`` while drawing the image at
    its own size; each such file gets one warning line
    (``col.placement_warnings``) naming its first such message and both
    rectangles. A placement no `display` gives is refused whatever was stated.
    """
    from saliency.data_tools.readers.eyelink_asc import placement_rect

    g = opts.geometry
    src = fix["source"].to_numpy(dtype=object)
    stems = fix["stimulus"].to_numpy(dtype=object)
    for sname in np.unique(src[scr]):
        by_name = col.placements.get(str(sname)) or {}
        if not by_name:
            continue
        kept = []  # (line, text, the `display` giving it) of the placements the stated `display` is kept against
        rows = np.flatnonzero(scr & (src == sname))
        used = {}  # stem -> its size, of the stimuli this file's screen rows fall on
        for k in rows:
            used.setdefault(str(stems[k]), tuple(int(v) for v in sizes[k]))
        for name, pls in by_name.items():
            try:
                stem = index.resolve(opts.stimulus or name, last_word=opts.stimulus is None
                                     and name in col.message_names.get(str(sname), ()))
            except UserError:
                stem = None
            if stem not in used:
                continue
            size = used[stem]
            ours = g.placement(*size).rect
            for pl in pls:
                want = placement_rect(pl, size, g.screen_px)
                if max(abs(a - b) for a, b in zip(want, ours)) <= PLACEMENT_TOLERANCE_PX:
                    continue
                modes = [m for m in DISPLAY_MODES if max(abs(a - b) for a, b in
                                                         zip(want, g.placement(*size, display=m).rect))
                         <= PLACEMENT_TOLERANCE_PX]
                what = (f"`{pl['message']}` draws the {size[0]}x{size[1]} stimulus {stem!r} at screen "
                        f"{_rect_text(want)}, but `display` {g.display} places it at {_rect_text(ours)}")
                if modes and g.display_stated:
                    kept.append((pl["line"], what, modes[0]))
                    continue
                fit = f"`display` {modes[0]} places it so; pass it, or pass the `display` the screen really " \
                    "showed" if modes else \
                    ("no `display` places it so (one placement for all stimuli), so its placement cannot be read; "
                     "export the fixations in stimulus coordinates from Data Viewer and read them with `format` "
                     "fixations")
                raise UserError(f"{sname}: line {pl['line']}: {what}; {fit}")
        if kept:
            kept.sort()
            more = f" (and {len(kept) - 1} more such message{'s' if len(kept) > 2 else ''})" if len(kept) > 1 \
                else ""
            col.placement_warnings.append(
                f"{sname}: line {kept[0][0]}: {kept[0][1]}{more}; the stated `display` {g.display} was kept (its "
                f"mapping is used); if the screen showed the image as the message says, pass `display` {kept[0][2]}")


def _rect_text(r: tuple) -> str:
    return f"left {r[0]:g}, top {r[1]:g}, {r[2]:g}x{r[3]:g}"


FILE_X, FILE_Y = "_file_x", "_file_y"
"""Columns :func:`to_stimulus` adds: a fixation's x, y in its input's own space, as ``quarantine.csv`` lists it."""


def _in_file_space(fix: pd.DataFrame, xs: np.ndarray, ys: np.ndarray, sizes: np.ndarray, g):
    """x, y of fixations ``fix`` in their input's own space, as ``quarantine.csv`` lists a row.

    ``fix`` holds the file's numbers (as its reader reads them: 0-based
    pixels, fractions) for fixation lists, and screen pixels for fixations
    detected in samples (space ``DETECTED``); ``xs``, ``ys`` are the same rows
    placed in their stimulus (``sizes``: W, H), as :func:`to_stimulus` maps
    them. A detected fixation goes back to its samples' space (``SPACE_IN``):
    stimulus pixels (MIT1003's, shown letter-boxed with ``display`` native)
    get the stimulus position, not the screen's; fractions of the stimulus or
    the screen get the fraction.
    """
    x = fix["x"].to_numpy(np.float64).copy()
    y = fix["y"].to_numpy(np.float64).copy()
    if SPACE_IN not in fix or not len(fix):
        return x, y
    found = fix["space"].to_numpy(dtype=object) == DETECTED
    sp = fix[SPACE_IN].to_numpy(dtype=object)
    m = found & (sp == "stimulus")
    x[m], y[m] = xs[m], ys[m]
    m = found & (sp == "stimulus_norm")
    x[m], y[m] = (xs[m] + 0.5) / sizes[m, 0], (ys[m] + 0.5) / sizes[m, 1]
    m = found & (sp == "screen_norm")
    if m.any():
        x[m], y[m] = (x[m] + 0.5) / g.screen_px[0], (y[m] + 0.5) / g.screen_px[1]
    return x, y


def drop_short(fix: pd.DataFrame, min_duration_ms: float):
    """Quarantine fixations shorter than ``min_duration_ms`` (``short_fixation``), whatever their source.

    With ``detector`` tracker it is called only when the user gives
    ``min_duration_ms`` (the tracker's events are kept as reported); with a
    detector, fixation lists are held to the detector's minimum so that one
    definition of a fixation holds across exports (detected fixations meet it
    by construction). Fixations without a duration are kept.
    """
    d = fix["duration_ms"].to_numpy(np.float64)
    short = np.isfinite(d) & (d < min_duration_ms)
    q = fix.loc[short]
    return fix.loc[~short].reset_index(drop=True), _quarantine_rows(q, "short_fixation", q["source"].to_numpy())


def _placement(g, w: int, h: int):
    """``g.placement(w, h)``, refusing under `display` native a stimulus larger than the screen: one check for
    screen coordinates, stimulus coordinates (their sigma) and stimulus-space samples alike."""
    pl = g.placement(w, h)  # first: its one-line refusal of a geometry without `screen_px` (RT1)
    W, H = g.screen_px
    if g.display == "native" and (w > W or h > H):
        raise UserError(f"`display` native: a {w}x{h} stimulus does not fit the {W}x{H} screen; use `display` fit")
    return pl


def sigma_for(size: tuple[int, int], opts: IngestOptions) -> tuple[float, float]:
    """``(sigma_x, sigma_y)`` in stimulus pixels for a stimulus of ``size``."""
    if opts.sigma_px is not None:
        return float(opts.sigma_px), float(opts.sigma_px)
    g = opts.geometry
    pl = _placement(g, *size)
    px, py = g.ppd_xy
    return opts.sigma_deg * px / pl.scale[0], opts.sigma_deg * py / pl.scale[1]


# ---------------------------------------------------------------- maps (worker side)

def _build_one(job):
    """Worker: write one stimulus' map and fixation map; return its IOC scores and the time of each step."""
    stem, size, x, y, subjects, durations, policy, stage, map_format, ioc = job
    from saliency.base.images import write_image

    t0 = time.perf_counter()
    stage = Path(stage)
    if map_format == "npy":
        m = saliency_map(size, x, y, subjects, durations, policy).astype(np.float32)
    else:
        m = quantized_map(size, x, y, subjects, durations, policy, 16 if map_format == "png16" else 8)
    t1 = time.perf_counter()
    if map_format == "npy":
        np.save(stage / "maps" / f"{stem}.npy", m)
    else:
        write_image(stage / "maps" / f"{stem}.png", m)  # not cv2.imwrite: it crashes on a non-UTF-8 path
    r, c = pixel_index(x, y, size)
    write_image(stage / "fixations" / f"{stem}.png", fixation_map(size, r, c))
    t2 = time.perf_counter()
    scores = ioc_scores(size, x, y, subjects, durations, policy) if ioc else []
    t3 = time.perf_counter()
    return stem, scores, {"map": t1 - t0, "encode": t2 - t1, "ioc": t3 - t2}


def _center_bias_png(sizes, x, y, canvas, sigma, border) -> tuple[np.ndarray, float]:
    """Worker: the centre-bias map (:func:`data_tools.qc.center_bias`, 0..1 float64) and the seconds it took."""
    t = time.perf_counter()
    return center_bias(sizes, x, y, canvas, sigma, border), time.perf_counter() - t


def _most_common_size(codes: np.ndarray, sizes: np.ndarray) -> tuple[int, int]:
    """The ``(w, h)`` most fixations lie on (``codes`` index rows of ``sizes``); ties: the size seen first."""
    per_fix = Counter()
    for k, n in zip(*np.unique(codes, return_counts=True)):
        per_fix[tuple(int(v) for v in sizes[k])] += int(n)
    first = {}
    for i, k in enumerate(codes[np.sort(np.unique(codes, return_index=True)[1])]):
        first.setdefault(tuple(int(v) for v in sizes[k]), i)
    top = max(per_fix.values())
    return min((sz for sz, n in per_fix.items() if n == top), key=first.get)


def write_table(df: pd.DataFrame, path, float_format: str | None, block: int = 1 << 16,
                header: bool = True) -> None:
    """``df.to_csv(path, index=False, float_format=float_format, header=header)``, byte for byte, several times faster.

    Columns of float64 (``float_format % v``; without a format, NumPy's
    ``astype(str)``, the shortest repr, which is what pandas writes then;
    missing empty), integers and text (missing empty) are formatted here,
    ``block`` rows at a time (memory stays small), and written with the
    :mod:`csv` writer pandas itself uses (minimal quoting, ``os.linesep``
    line ends); a frame with any other column type is handed to pandas.
    ``path``: a file name, or an open text file to append to (opened with
    ``newline=""``).
    """
    import csv

    kinds = []
    for name in df.columns:
        v = df[name]
        if v.dtype.kind == "f" and v.dtype == np.float64:
            kinds.append("f")
        elif v.dtype.kind in "iu" and isinstance(v.dtype, np.dtype):
            kinds.append("i")
        elif str(v.dtype) in ("str", "string"):  # pandas' string dtypes hold text or missing only
            kinds.append("s")
        elif v.dtype.kind in "OT":
            if pd.api.types.infer_dtype(v.to_numpy()[~v.isna().to_numpy()], skipna=False) not in ("string", "empty"):
                kinds = None
                break
            kinds.append("s")
        else:
            kinds = None
            break
    if kinds is None:
        df.to_csv(path, index=False, float_format=float_format, header=header)
        return

    def fmt(v: pd.Series, kind: str) -> list:
        if kind == "f":
            a = v.to_numpy()
            ok = ~np.isnan(a)
            out = np.full(len(a), "", dtype=object)
            out[ok] = a[ok].astype(str).tolist() if float_format is None else \
                [float_format % x for x in a[ok].tolist()]
            return out.tolist()
        if kind == "i":
            return [str(x) for x in v.tolist()]
        vals = v.to_numpy(dtype=object, na_value=None) if not isinstance(v.dtype, np.dtype) else v.to_numpy()
        return np.where(v.isna().to_numpy(), "", vals).tolist()

    def plain(cols: list) -> bool:  # no field needs quoting: joined with commas, it reads back the same
        return len(cols) > 1 and not any(ch in "\x00".join(col) for col, k in zip(cols, kinds) if k == "s"
                                         for ch in ',"\r\n')

    with (open(path, "w", newline="", encoding="utf-8") if isinstance(path, (str, Path))
          else contextlib.nullcontext(path)) as fh:
        w = csv.writer(fh, lineterminator=os.linesep, quoting=csv.QUOTE_MINIMAL, quotechar='"', doublequote=True)
        if header:
            w.writerow([str(c) for c in df.columns])
        for a in range(0, len(df), block):
            part = df.iloc[a:a + block]
            cols = [fmt(part[c], k) for c, k in zip(df.columns, kinds)]
            if plain(cols):  # what the csv writer would write, several times faster
                fh.write(os.linesep.join(map(",".join, zip(*cols))) + os.linesep if len(part) else "")
            else:
                w.writerows(zip(*cols))


# ---------------------------------------------------------------- the whole run

DETECTION_RANGES: dict[str, tuple[bool, float | None, str]] = {
    "velocity_threshold": (False, VELOCITY_MAX, "deg/s"), "dispersion_threshold": (False, DEG_MAX, "deg"),
    "smooth_ms": (False, None, "ms"), "max_gap_ms": (True, None, "ms"), "merge_ms": (True, None, "ms"),
    "merge_deg": (True, DEG_MAX, "deg"), "min_duration_ms": (True, None, "ms"),
}
"""The numeric detection options of :class:`IngestOptions` and :class:`saliency.detect.DetectOptions`, by their
own names: ``(0 allowed, largest value or None, unit)``; ``detect``'s ``threshold`` takes the range of the kind its
detector uses. The largest values are the command line's (:data:`data_tools.choices.DEG_MAX`, ``VELOCITY_MAX``)."""


def check_detection_numbers(values: dict, detector: str = "") -> None:
    """Refuse the options of ``values`` (name -> value; None: left out) that are not finite numbers in their
    :data:`DETECTION_RANGES` range, naming each as the options class does, before anything is read.

    Passed on, such a value was refused by the detector under its own parameter's name (``smooth_ms`` NaN:
    "`window_ms` nan: ..."), or not at all (a ``velocity_threshold`` of 5000 deg/s, which the command line
    refuses); a str ("30") met numpy's TypeError or a ``:g`` format, and True read as 1. ``detector`` gives
    ``threshold`` (``saliency detect``'s one field for both kinds) its kind's range.
    """
    for name, value in values.items():
        if value is None:
            continue
        from saliency.data_tools.detection import is_number  # scipy: imported only when an option is given
        key = name if name != "threshold" else "dispersion_threshold" if detector == "idt" else "velocity_threshold"
        zero_ok, top, unit = DETECTION_RANGES[key]
        real = is_number(value)
        shown = value if real else repr(value)
        if not (real and math.isfinite(value) and (value >= 0 if zero_ok else value > 0)):
            raise UserError(f"`{name}` {shown}: must be a finite number {'>=' if zero_ok else '>'} 0")
        if top is not None and value > top:
            raise UserError(f"`{name}` {value}: must be at most {top:g} {unit}")


def _set_aside(fix: pd.DataFrame, mask: np.ndarray, reason: str, quar: pd.DataFrame,
               q_off: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(fix without the rows of mask, quar and q_off each with those rows added as quarantine rows with
    reason)``: a fixation kept until the maps (``first_fixation``, ``zero_duration``), listed with its point as
    its input has it."""
    d = fix.loc[mask]
    d = d.assign(x=d[FILE_X], y=d[FILE_Y]) if FILE_X in d else d
    q = _quarantine_rows(d, reason, d["source"].to_numpy())
    return (fix.loc[~mask], pd.concat([quar, q], ignore_index=True),
            pd.concat([x for x in (q_off, q) if len(x)], ignore_index=True))


def validate(opts: IngestOptions):
    """Check option combinations before anything is read."""
    if opts.map_format not in MAP_FORMATS:
        raise UserError(f"`map_format` {opts.map_format!r}: choose one of {', '.join(MAP_FORMATS)}")
    if opts.normalize == "sum" and opts.map_format != "npy":
        raise UserError("`normalize` sum gives maps that sum to 1; store them with `map_format` npy")
    check_detection_numbers({"min_duration_ms": opts.min_duration_ms})  # its message as before; a str refused too
    if opts.stimulus is not None and not str(opts.stimulus).strip():
        raise UserError("`stimulus`: give a stimulus name (a file name or stem in the stimuli folder)")
    if opts.coords not in ("auto", "screen", "stimulus"):
        raise UserError(f"`coords` {opts.coords!r}: choose auto, screen or stimulus")
    if opts.detector not in (*det.DETECTORS, "tracker"):
        raise UserError(f"`detector` {opts.detector!r}: choose one of {', '.join(det.DETECTORS)} or tracker")
    # "not used by" first (an unused option is named as such, not as out of range; its value shown with :g only
    # when a number, repr otherwise), then by this class's names, before the detector refuses one under its own
    # (`threshold`, `window_ms`)
    for name, value, users in (("velocity_threshold", opts.velocity_threshold, ("ivt", "tobii-ivt")),
                               ("dispersion_threshold", opts.dispersion_threshold, ("idt",)),
                               ("smooth_ms", opts.smooth_ms, det.USED_BY["window_ms"])):
        if value is not None and opts.detector not in users:  # never recorded as applied when it is not
            from saliency.data_tools.detection import is_number  # scipy: imported only when such an option is given

            shown = format(value, "g") if is_number(value) else repr(value)
            raise UserError(f"`{name}` {shown}: not used by `detector` {opts.detector} (only by "
                            f"{', '.join(users)}); leave it out")
    check_detection_numbers({k: getattr(opts, k) for k in DETECTION_OPTIONS})
    if opts.detector == "tracker":  # the tracker's fixations are kept as reported: no post-processing
        given = _detection_options_given(opts)  # the thresholds and smooth_ms were refused just above
        if given:
            raise UserError(f"{', '.join(given)}: not used by `detector` tracker (the tracker's fixations are kept "
                            f"as reported; only `min_duration_ms` applies to them); leave "
                            f"{'it' if len(given) == 1 else 'them'} out")
    if opts.stimulus is not None and opts.trials is not None:
        raise UserError(f"`trials` {opts.trials}: not used with `stimulus` {opts.stimulus} (every row is assigned "
                        f"to that stimulus, so the trial table is never consulted); give one of them")
    if opts.workers < 1:
        raise UserError(f"`workers` {opts.workers}: must be at least 1")
    check_chunk_rows(opts.chunk_rows)
    if opts.eye not in EYES:
        raise UserError(f"`eye` {opts.eye!r}: choose one of {', '.join(EYES)}")
    MapPolicy((opts.sigma_px or 1.0, opts.sigma_px or 1.0), opts.border, opts.binary, opts.weight,
              opts.per_subject, opts.normalize)


def ingest(inputs, stimuli: str | Path, out: str | Path, opts: IngestOptions, *,
           detector_given: bool | None = None, qc_min_valid_given: bool | None = None) -> dict:
    """Build a fixation dataset folder at ``out`` from logs ``inputs`` (one path or a list of them); returns the
    manifest dict.

    ``detector_given``: whether the caller chose ``opts.detector`` (the command
    line: ``--detector`` given); a chosen detector that acts on nothing is
    refused (:func:`check_duration_options`). None: chosen when it is not
    :data:`~data_tools.detectors.DEFAULT_DETECTOR` (an :class:`IngestOptions`
    left at its default cannot be told from one set to it).
    ``qc_min_valid_given`` likewise for ``opts.qc_min_valid_share`` (None:
    given when it is not :class:`IngestOptions`' default): given when no input
    holds raw samples, or with ``detector`` tracker (a sample export's samples
    are then not counted), it is refused (:func:`check_unused_options`); left at
    its default then, ``qc.thresholds.min_valid_share`` and its policy are
    recorded as null (no qc.csv row has a valid share).
    """
    from saliency.base import __version__
    from saliency.base.fsutil import link_or_copy, staged_dir

    laps = _Laps()
    validate(opts)
    if detector_given is None:
        detector_given = opts.detector != det.DEFAULT_DETECTOR
    if qc_min_valid_given is None:
        qc_min_valid_given = opts.qc_min_valid_share != IngestOptions.qc_min_valid_share
    inputs = input_paths(inputs)
    if not inputs:
        raise UserError("no input logs given")
    index = StimulusIndex(stimuli)
    if opts.stimulus is not None and index.resolve(opts.stimulus, "`stimulus` names") is None:
        note = _unread_note(index, opts.stimulus)
        raise UserError(f"`stimulus` {opts.stimulus!r}{note}: "
                        f"{'not among the images read in' if note else 'no such image in'} {index.folder} "
                        f"(available: {', '.join(sorted(index.by_name)[:5])}"
                        f"{' ...' if len(index.by_name) > 5 else ''})")
    trials = load_trials(opts.trials) if opts.trials else None
    trials_digest = sha256(Path(opts.trials)) if opts.trials else None  # the table as read, as the logs' own
    opened = open_inputs(inputs, opts)
    applied = check_unused_options(opened, opts, qc_min_valid_given)
    # without raw samples no qc.csv row has a valid share: the threshold held nothing, recorded as null
    raw = any(rd.kind == "samples" for _, rd, _, dup in opened if dup is None)  # detected with opts' detector
    min_valid = opts.qc_min_valid_share if raw else None
    geo_info = settle_geometry(opened, opts)
    g = opts.geometry
    for path, rd, _, dup in opened:
        if dup is None and rd.kind == "samples" and (g is None or not g.has_degrees):
            raise UserError(f"{path}: fixation detection in raw samples works in degrees of visual angle; give "
                            + degrees_missing(g, geo_info))
    if opts.sigma_px is None and (g is None or not g.has_degrees):
        raise UserError(f"`sigma_deg` needs pixels per degree; give {degrees_missing(g, geo_info)}, or give the "
                        "blur in pixels with `sigma_px`")
    settle_coords(opened, opts)
    laps.lap("open")
    with staged_dir(out, inputs={"stimuli": stimuli, "log file": inputs}) as stage, \
            contextlib.ExitStack() as pool_stack:
        # one pool for the whole run, started before reading: the stimulus check and the detection run in it
        # while this process reads, then the maps; its workers start while the first chunk is parsed
        ex = pool_stack.enter_context(process_pool(opts.workers)) if opts.workers > 1 else None
        fix, quar, counts, records, col = read_all(opened, opts, index, trials, ex)
        if trials is not None and not col.trials_consulted:  # never recorded in policies as applied when unused
            raise UserError(f"`trials` {opts.trials}: not used: every row names its stimulus in the logs (the "
                            f"table names the stimulus of rows without one); leave it out")
        # refused here, before anything is swapped in: only the rows read tell whether fixations have durations
        timed = check_duration_options(fix, opened, opts, detector_given)
        # with a detector, fixation lists are held to its minimum; with the tracker's, only to one given
        min_applies = timed and (opts.min_duration_ms is not None or opts.detector != "tracker")
        laps.lap("read, detect")
        warnings = check_durations(fix, col.books, opts.columns) + col.rate_warnings \
            + rate_change_lines(col.repeated_times) + rate_change_lines(col.rate_changes) \
            + trial_warning_lines(col)
        by_src = _subjects_by_source(fix, quar)  # before any is set aside: every row read names its subject
        read_once = [(p, rd, by_src.get(str(p), set())) for p, rd, _, dup in opened if dup is None]
        groups = _file_named_groups(read_once, opts.columns)  # each input's header read once for both
        warnings += shared_file_subjects(read_once, opts.columns, groups) \
            + shared_subjects(read_once, subject_stimulus_pairs(fix), opts.columns, groups)
        warnings += unended_last_lines([(p, rd) for p, rd, _, dup in opened if dup is None])
        q_short = quar.iloc[0:0]
        if opts.drop_first:
            fix = fix.assign(_fid=np.arange(len(fix)))
        # before any fixation is set aside; a pooled input (fixlocs) has no first fixation: its points all stay
        unordered = [str(p) for p, rd, _, dup in opened if dup is None and rd.notes.get("pooled")]
        lists = {str(p) for p, rd, _, dup in opened if dup is None and rd.kind == "fixations"}  # their rows
        named = index.resolve(opts.stimulus, "`stimulus` names") if opts.stimulus is not None else None

        def stem_of(src: str, name: str, subject: str, trial: str | None) -> str | None:
            """A quarantined row's stimulus, as kept rows' resolve (:meth:`_Collector.stems`): `stimulus`, else its
            name, else the `trials` table's for its (subject, trial), then (any subject, trial); or None."""
            if named is not None:
                return named
            if name:
                return _quarantined_stem(index, name, name in col.message_names.get(src, ()))
            if trials is None or not trial:  # no name, or a trial not known: no stimulus to tell
                return None
            looked = trial_stimulus(trials, subject, trial)
            return _quarantined_stem(index, looked) if looked else None
        first_ids = _first_fixations(fix.loc[~fix["source"].isin(unordered)] if unordered else fix,
                                     quar.loc[quar["source"].isin(lists - set(unordered))], stem_of) \
            if opts.drop_first else None
        if min_applies:
            fix, q_short = drop_short(fix, col.min_duration_ms)
        fix, q_off = to_stimulus(fix, opts, index, col)
        warnings += col.placement_warnings
        q_off = pd.concat([q for q in (q_short, q_off) if len(q)], ignore_index=True) if len(q_short) else q_off
        quar = pd.concat([q for q in (quar, q_off) if len(q)], ignore_index=True) if len(q_off) or len(quar) \
            else quar
        off_counts = Counter()
        if len(q_off):
            offq = q_off[q_off["reason"].isin(["off_stimulus", "off_screen"])]
            for (s, st), v in offq.groupby(["subject", "stimulus"]).size().items():
                off_counts[(s, st)] += int(v)
        fix = fix.sort_values(["subject", "stimulus", "t_start_ms", "line"], kind="stable", na_position="last")
        # each scanpath's first fixation as recorded, as MIT1003 drops Fix(1) before any other filter: when it
        # was quarantined already (unreadable, short, off the stimulus), the next one stays
        first = fix["_fid"].isin(first_ids).to_numpy() if opts.drop_first and len(fix) else None
        if first is not None and first.any():
            fix, quar, q_off = _set_aside(fix, first, "first_fixation", quar, q_off)
        if opts.weight == "duration" and len(fix):
            # a detected fixation of one sample (or of samples sharing a time stamp) lasts t_last - t_first = 0 ms
            # and would weigh nothing in a duration-weighted map: set aside as zero_duration, last, so that the maps
            # hold every other fixation that `weight` none keeps
            dur = fix["duration_ms"].to_numpy(np.float64)
            zero = np.isfinite(dur) & (dur <= 0)
            if zero.any():
                fix, quar, q_off = _set_aside(fix, zero, "zero_duration", quar, q_off)
        fix = fix.drop(columns=["_fid", FILE_X, FILE_Y], errors="ignore").reset_index(drop=True)
        for (src, reason), v in (q_off.groupby(["source", "reason"]).size().items() if len(q_off) else ()):
            b = col.books[src]
            (b.quarantined if b.kind == "fixations" else b.fix_quarantined)[str(reason)] += int(v)
        kept_fix = fix.groupby("source").size()
        for rec in records:
            if "duplicate_of" not in rec:
                rec["rows"] = col.books[rec["path"]].to_dict(int(kept_fix.get(rec["path"], 0)))
                if rec["rows"].get("unaccounted"):
                    warnings.append(f"{rec['path']}: {rec['rows']['unaccounted']} rows not accounted for (a "
                                    "reader bug; please report it)")
        reasons = Counter({str(k): int(v) for k, v in quar["reason"].value_counts().items()})
        plaus = off_screen_hints(col, g.screen_px) if g is not None else []
        if not len(fix):
            plaus = off_screen_hints(col, g.screen_px, 1) if g is not None else []
            raise UserError(no_fixations_message(reasons, col, index, plaus, records))
        warnings += plaus
        if reasons.get("unknown_stimulus"):
            warnings.append(_unknown_names_line(col, index))
        if index.broken_used:
            warnings.append(_broken_links_line(index))
        if index.sample_format_used:
            warnings.append(_sample_format_line(index))
        if index.too_large_used:
            warnings.append(_too_large_line(index, reasons.get(TOO_LARGE, 0)))
        if index.by_last_word:
            warnings.append(_last_word_line(index))
        if index.by_whole_number:
            warnings.append(_whole_number_line(index))
        if opts.weight == "duration":
            check_weight_durations(fix, [r["path"] for r in records])
        laps.lap("place, policies")
        for sub in ("maps", "fixations", "stimuli"):
            (stage / sub).mkdir()
        # one job per stimulus, its fixations in table order (a stable sort by stimulus, then slices)
        stem_codes, stem_names = pd.factorize(fix["stimulus"], sort=True)
        stems = [str(v) for v in stem_names]
        order = np.argsort(stem_codes, kind="stable")
        bounds = np.searchsorted(stem_codes[order], np.arange(len(stems) + 1))
        cols = {k: fix[k].to_numpy()[order] for k in ("x", "y")}
        cols["subject"] = fix["subject"].to_numpy()[order].astype(str)
        cols["duration_ms"] = fix["duration_ms"].to_numpy(np.float64)[order]
        sigmas = {}
        ioc_grids, ioc_sigmas = {}, {}  # the reduced maps of the consistency scores (qc.ioc_grid), per size
        jobs = []
        for k, stem in enumerate(stems):
            sl = slice(bounds[k], bounds[k + 1])
            size = index.size(stem)
            sig = sigma_for(size, opts)
            # the full floats the maps are built with (rounded, a rebuild differed from the maps at rounding ties)
            sigmas[f"{size[0]}x{size[1]}"] = [float(sig[0]), float(sig[1])]
            sw, sh = ioc_shape(size)
            ioc_grids[f"{size[0]}x{size[1]}"] = [sw, sh]
            ioc_sigmas[f"{size[0]}x{size[1]}"] = [round(sig[0] * sw / size[0], 6), round(sig[1] * sh / size[1], 6)]
            pol = MapPolicy(sig, opts.border, opts.binary, opts.weight, opts.per_subject, opts.normalize)
            jobs.append((stem, size, cols["x"][sl], cols["y"][sl], cols["subject"][sl], cols["duration_ms"][sl],
                         pol, str(stage), opts.map_format, opts.ioc))
        turned = {}
        for stem in stems:
            src = index.path(stem)
            link_or_copy(src, stage / "stimuli" / src.name)
            tag = stimulus_orientation(src)  # a PNG only when it holds an eXIf chunk (found without decoding)
            if tag != 1:
                turned[src.name] = tag
        if turned:
            name, tag = next(iter(turned.items()))
            many = f"{len(turned)} stimuli carry" if len(turned) > 1 else "1 stimulus carries"
            warnings.append(f"{many} an EXIF orientation tag (e.g. {name}: {tag}); maps are "
                            "made on the pixels as stored, but a browser or viewer shows such a photo turned: if the "
                            "experiment showed it upright, the fixations do not fall on the pixels they were made on")
        laps.lap("map jobs, stimuli")
        # the maps (and the centre bias) are built by the workers while this process writes QC and the tables
        name_sizes = np.array([index.size(s) for s in stems], dtype=np.float64).reshape(-1, 2)
        all_sizes = name_sizes[stem_codes]
        canvas = _most_common_size(stem_codes, name_sizes)
        cb_sigma = float(np.mean(sigma_for(canvas, opts)))
        cb_job = (all_sizes, fix["x"].to_numpy(), fix["y"].to_numpy(), canvas, cb_sigma, opts.border)
        ioc_rows = []
        bar = progress(total=len(jobs), desc="maps", unit=" maps", enabled=opts.progress)
        with contextlib.ExitStack() as stack:
            if ex is not None:
                cb_future = ex.submit(_center_bias_png, *cb_job)
                results = ex.map(_build_one, jobs, chunksize=max(1, len(jobs) // (8 * opts.workers)))
            else:
                stack.enter_context(single_thread_blas())
                cb_future, results = None, map(_build_one, jobs)

            # QC
            pairs = {k: int(v) for k, v in fix.groupby(["subject", "stimulus"]).size().items()}
            keys = set(pairs) | set(off_counts)
            if len(q_off):  # a pair whose every fixation was set aside (short, first, off) is a pair with 0
                for s, st in q_off[["subject", "stimulus"]].drop_duplicates().itertuples(index=False):
                    if isinstance(s, str) and isinstance(st, str) and st:
                        keys.add((s, st))
            for k in counts["samples"]:
                keys.add(tuple(k.split("\x1f")))
            rows = []
            for s, st in sorted(keys):
                k = f"{s}\x1f{st}"
                rows.append({"subject": s, "stimulus": st, "samples": counts["samples"].get(k, 0),
                             "valid_samples": counts["valid"].get(k, 0), "fixations": pairs.get((s, st), 0),
                             "off_stimulus": off_counts.get((s, st), 0)})
            thresholds = {"min_valid_share": min_valid, "min_fixations": opts.qc_min_fixations,
                          "max_off_share": opts.qc_max_off_share}
            qc = qc_table(pd.DataFrame(rows, columns=["subject", "stimulus", "samples", "valid_samples",
                                                      "fixations", "off_stimulus"]), thresholds)
            write_table(qc, stage / "qc.csv", "%.4f")
            laps.lap("qc")

            # tables
            table = fix.assign(eye=fix["eye"].fillna(""))[CANONICAL]
            # every float as its shortest exact repr (not %.3f: a y of 98.4999999 written 98.500 reads back
            # as row 99, while fixations/<stem>.png and the map put it on row 98): the table rebuilds the maps
            write_table(table, stage / "fixations.csv", None)
            quar = quar.reindex(columns=["source"] + QUAR_COLS)
            write_table(quar, stage / "quarantine.csv", "%.3f")
            laps.lap("tables")

            for stem, scores, times in results:
                ioc_rows += [(stem, *sc) for sc in scores]
                laps.add(times)
                bar.update(1)
            bar.close()
            laps.lap("maps (waiting for the workers)")
            # centre bias on the most common stimulus size
            cb, t_cb = cb_future.result() if cb_future is not None else _center_bias_png(*cb_job)
            laps.add({"center bias": t_cb})
            if ex is not None:
                ex.shutdown()  # every task is done (an error or a signal leaves through _Pool.__exit__ instead)
        from saliency.base.images import write_image

        write_image(stage / "center_bias.png", to_uint(cb, 8))  # from float64, the PNG of before bit for bit
        # float too: eval's IG baseline (8 bits round a narrow blur's faint edges to 0: log2(eps) = -52 bits there)
        np.save(stage / "center_bias.npy", cb.astype(np.float32))
        laps.lap("center bias")

        ioc_summary = None
        if opts.ioc:
            ioc_summary = ioc_record(ioc_rows, fix, sorted(set(stems) | set(qc["stimulus"].astype(str))),
                                     _pairs_with_rows(qc, quar, index, col.message_names))
            if ioc_summary.get("stimuli_scored") == 0:  # no stimulus could be scored: null, and a warning says why
                warnings.append(ioc_summary["warning"])
                ioc_summary = None
        unnamed = _unnamed_stimuli(index, stems, qc, quar, opts.stimulus, col.message_names)
        g = opts.geometry
        manifest = {
            "toolkit": {"name": "saliency", "version": __version__},
            "inputs": records,
            "stimuli": {"folder": str(Path(stimuli)), "count": len(stems),
                        # the folder's images that no row names (kept, set aside or quarantined): no map, counted
                        "unnamed": {"count": len(unnamed), "first": unnamed[:5]},
                        **({"matched_by_last_word": matched_by_last_word(index)} if index.by_last_word else {})},
            "trials_table": {"path": str(opts.trials), "sha256": trials_digest} if opts.trials else None,
            "geometry": g.to_dict() if g else None,
            "geometry_source": geo_info,
            "ppd": round(g.ppd, 6) if g and g.has_degrees else None,
            "ppd_formula": "ppd = res_px / size_cm * distance_cm * tan(1 deg), mean of x and y",
            "sigma": {"deg": None if opts.sigma_px is not None else opts.sigma_deg,
                      "px": opts.sigma_px, "px_by_stimulus_size": sigmas,
                      "truncate": 4.0},
            "policies": {**{k: v for k, v in asdict(opts).items()
                            if k not in ("geometry", "progress", "workers", "chunk_rows")}, **applied,
                         "qc_min_valid_share": min_valid,
                         "max_pixels": max_pixels(),  # the limit stimuli were held to (stimulus_too_large)
                         **(detection_policies(opts) if raw and opts.detector != "tracker" else {}),
                         # no raw samples and no durations: no detector (nor its minimum) acted on a row
                         **({} if timed or opts.detector == "tracker" else {"detector": None}),
                         "detector_min_duration_ms": col.min_duration_ms
                         if opts.detector != "tracker" and min_applies else None},
            "counts": {
                "fixations": int(len(fix)), "quarantined": int(len(quar)),
                "quarantine_by_reason": {str(k): int(v) for k, v in quar["reason"].value_counts().items()},
                "rows_counted_by_reason": dict(sorted(sum((Counter(r["rows"]["counted"]) for r in records
                                                           if "rows" in r), Counter()).items())),
                "per_subject": {str(k): int(v) for k, v in fix.groupby("subject").size().items()},
                "per_stimulus": {str(k): int(v) for k, v in fix.groupby("stimulus").size().items()},
                "subjects": int(fix["subject"].nunique()), "stimuli": len(stems),
            },
            "qc": {"thresholds": thresholds, "pairs": int(len(qc)),
                   "flagged": int((qc["flags"] != "").sum()),
                   "valid_share_mean": _f(qc["valid_share"].mean()),
                   "flagged_pairs": qc.loc[qc["flags"] != "", ["subject", "stimulus", "flags"]].head(200)
                   .to_dict("records"),
                   # the scores' maps are shrunk to at most IOC_SIDE px on the long side, sigma scaled alike
                   "inter_observer": {"max_side_px": IOC_SIDE, "grid_by_stimulus_size": ioc_grids,
                                      "sigma_px_by_stimulus_size": ioc_sigmas} if opts.ioc else None,
                   # one canvas for every stimulus: the size most fixations lie on; sigma: the mean of its two
                   "center_bias": {"canvas_px": [int(canvas[0]), int(canvas[1])],
                                   "canvas_from": "the stimulus size with the most fixations",
                                   "sigma_px": round(cb_sigma, 6), "border": opts.border,
                                   "files": {"png": "center_bias.png (8 bits)",
                                             "npy": "center_bias.npy (float32, the IG baseline of saliency eval)"}}},
            "inter_observer": ioc_summary,
            "warnings": warnings,
            "files": {"maps": f"maps/<stem>.{'npy' if opts.map_format == 'npy' else 'png'}",
                      "fixation_maps": "fixations/<stem>.png", "table": "fixations.csv",
                      "quarantine": "quarantine.csv", "qc": "qc.csv", "center_bias": "center_bias.png",
                      "center_bias_float": "center_bias.npy"},
        }
        from saliency.base.fsutil import write_json

        write_json(stage / "dataset.json", manifest)
        laps.lap("manifest")
    laps.lap("publish")
    return manifest


def _unnamed_stimuli(index: StimulusIndex, stems, qc: pd.DataFrame, quar: pd.DataFrame, stimulus: str | None,
                     message_names: dict[str, set] | None = None) -> list[str]:
    """The file names of the stimuli folder's images that no row names, sorted: not a kept fixation's (``stems``),
    nor a qc.csv pair's (set aside, raw samples), nor a quarantined row's name as it resolves (``stimulus``: the
    one every row names), nor an image refused for its size or a broken link that rows named."""
    named = set(stems) | set(qc["stimulus"].astype(str)) | set(index.too_large_used)
    named |= {nfc(p.stem) for p in index.broken_used}
    if stimulus is not None:
        named.add(_quarantined_stem(index, stimulus))
    elif len(quar):
        for src, name in quar[["source", "stimulus"]].drop_duplicates().itertuples(index=False):
            if isinstance(name, str) and name:
                named.add(_quarantined_stem(index, name, name in (message_names or {}).get(src, ())))
    return sorted(p.name for p in index.by_name.values() if nfc(p.stem) not in named)


IOC_LEFT_OUT_REASON = "fewer than 2 observers with kept fixations"
IOC_OBSERVERS_LEFT_OUT_REASON = "rows for the stimulus but no kept fixation on it"
IOC_AGGREGATION = "per stimulus: mean over its observers; then mean over stimuli; std over the per-stimulus means"


def _pairs_with_rows(qc: pd.DataFrame, quar: pd.DataFrame, index: StimulusIndex,
                     message_names: dict[str, set] | None = None) -> set[tuple[str, str]]:
    """The (subject, stimulus stem) pairs with any row read: the qc.csv pairs (kept fixations, fixations set aside
    off the stimulus, short or first, raw samples) and the quarantined rows' own, their names resolved to stems as
    the logs' names are (a name that finds no stimulus, or none, names no pair; ``message_names``: source -> the
    names its reader took from message texts, which may find a file by their last image word). A quarantined row
    with no subject (``no_subject``: a blank cell) is no observer's and names no pair."""
    pairs = {(str(a), str(b)) for a, b in zip(qc["subject"], qc["stimulus"])}
    if len(quar):
        q = quar[["source", "subject", "stimulus"]].drop_duplicates()
        stems = {}
        for src, name in q[["source", "stimulus"]].drop_duplicates().itertuples(index=False):
            if isinstance(name, str) and name:
                msg = name in (message_names or {}).get(src, ())
                try:
                    stems[src, name] = index.resolve(name, last_word=msg)
                except UserError:  # a name two files answer to: its rows name no one stimulus
                    stems[src, name] = None
        pairs |= {(s, stems[src, n]) for src, s, n in q.itertuples(index=False)
                  if isinstance(s, str) and s and stems.get((src, n)) is not None}
    return pairs


def ioc_record(ioc_rows: list[tuple], fix: pd.DataFrame, study: list[str],
               pairs: set[tuple[str, str]] | None = None) -> dict:
    """``dataset.json`` ``inter_observer`` from the ``(stimulus, subject, nss, auc_judd)`` scores.

    Each metric is averaged over the observers of each stimulus, then over the
    stimuli (the gold standard's order, as in the MIT benchmark: a stimulus
    with more observers weighs no more); ``std`` is that of the per-stimulus
    means, ``n`` the (stimulus, observer) scores and ``stimuli`` the stimuli
    averaged. ``left_out``: the stimuli of ``study`` that could not be scored
    (:data:`IOC_LEFT_OUT_REASON`), their count and the first few names; and,
    when some, ``observers``: the (subject, stimulus) ``pairs`` (those with
    rows read, kept or quarantined) on a scored stimulus whose subject kept no
    fixation there, so is no observer of it (:data:`IOC_OBSERVERS_LEFT_OUT_REASON`):
    their count and the first few as ``subject/stimulus``. When none could be
    scored, ``stimuli_scored`` is 0 and ``warning`` holds the line.
    """
    observers = fix.groupby("stimulus")["subject"].nunique() if len(fix) else pd.Series(dtype=np.int64)
    left = [s for s in study if int(observers.get(s, 0)) < 2]
    left_out = {"stimuli": len(left), "first": left[:5], "reason": IOC_LEFT_OUT_REASON}
    ioc = pd.DataFrame(ioc_rows, columns=["stimulus", "subject", "nss", "auc_judd"])
    scored = set(ioc["stimulus"].astype(str))
    kept = set(fix[["subject", "stimulus"]].drop_duplicates().astype(str).itertuples(index=False, name=None)) \
        if len(fix) else set()
    absent = sorted(p for p in (pairs or ()) if p[1] in scored and p not in kept)
    if absent:
        left_out["observers"] = {"count": len(absent), "first": [f"{a}/{b}" for a, b in absent[:5]],
                                 "reason": IOC_OBSERVERS_LEFT_OUT_REASON}
    if not len(ioc):
        shown = ", ".join(left[:5]) + (" ..." if len(left) > 5 else "")
        return {"stimuli_scored": 0, "left_out": left_out,
                "warning": f"inter-observer consistency: no stimulus could be scored: "
                           f"{'the 1 stimulus has' if len(left) == 1 else f'all {len(left)} stimuli have'} "
                           f"{IOC_LEFT_OUT_REASON} ({shown}); dataset.json inter_observer is null"}
    per = ioc.groupby("stimulus")[["nss", "auc_judd"]].mean()  # NaN scores left out of their stimulus' mean
    out = {k: {"mean": _f(per[k].mean()), "std": _f(per[k].std(ddof=1)), "n": int(ioc[k].notna().sum()),
               "stimuli": int(per[k].notna().sum())} for k in ("nss", "auc_judd")}
    return {**out, "aggregation": IOC_AGGREGATION, "stimuli_scored": int(len(per)), "left_out": left_out}


def _f(v) -> float | None:
    v = float(v)
    return round(v, 6) if np.isfinite(v) else None


def _sigma_text(v) -> str:
    """``(sigma_x, sigma_y)`` as printed: ``1.37`` when both axes print alike, else ``1.37x2.43`` (x by y)."""
    a, b = f"{v[0]:.2f}", f"{v[1]:.2f}"
    return a if a == b else f"{a}x{b}"


def _score_text(v: dict) -> str:
    """``     2.239 +- 0.113`` from a score's ``mean`` and ``std``; null (undefined: ``std`` of one stimulus) is n/a."""
    mean = f"{v['mean']:>10.3f}" if v.get("mean") is not None else f"{'n/a':>10}"
    return f"{mean} +- " + (f"{v['std']:.3f}" if v.get("std") is not None else "n/a")


def _input_labels(paths: list[str], width: int = 22) -> list[str]:
    """The inputs as the summary lists them: each file's name, with as many of its folders as tell it from another
    input of that name (``a/fix.csv``, ``b/fix.csv``: the names alone looked like one input read twice); a label
    longer than ``width`` is shortened in its middle unless that makes two alike."""
    parts = [Path(p).parts or (p,) for p in paths]
    k = [1] * len(paths)
    while True:
        labels = [str(Path(*pt[-n:])) for pt, n in zip(parts, k)]
        seen = Counter(labels)
        grow = [i for i, lb in enumerate(labels) if seen[lb] > 1 and k[i] < len(parts[i])]
        if not grow:
            break
        for i in grow:
            k[i] += 1
    short = [lb if len(lb) <= width else lb[:10] + ".." + lb[-10:] for lb in labels]
    seen = Counter(short)
    return [sh if seen[sh] == 1 or labels.count(lb) == seen[sh] else lb for sh, lb in zip(short, labels)]


def summary_text(m: dict) -> str:
    """The short table printed after a run."""
    c = m["counts"]
    lines = [f"{'stimuli with maps':<24}{c['stimuli']:>10}"]
    un = (m.get("stimuli") or {}).get("unnamed") or {}
    if un.get("count"):  # the folder's other images: no map, and not counted above
        names = ", ".join(un["first"]) + (" ..." if un["count"] > len(un["first"]) else "")
        lines.append(f"{'stimuli named by no row':<24}{un['count']:>10}  "
                     f"(in the stimuli folder, no map: e.g. {names})")
    lines += [f"{'subjects':<24}{c['subjects']:>10}",
              f"{'fixations kept':<24}{c['fixations']:>10}",
              # rows of the inputs and, for raw samples, fixations detected in them (rows.fixations)
              f"{'quarantined':<24}{c['quarantined']:>10}  (rows and detected fixations; quarantine.csv)"]
    for k, v in sorted(c["quarantine_by_reason"].items(), key=lambda kv: -kv[1]):
        lines.append(f"{'  ' + k:<24}{v:>10}")
    sig = m["sigma"]
    s = ", ".join(f"{k}: {_sigma_text(v)} px" for k, v in sig["px_by_stimulus_size"].items())
    lines.append(f"{'sigma':<24}{(str(sig['deg']) + ' deg -> ' if sig['deg'] else '') + s:>10}")
    qc = m["qc"]
    lines.append(f"{'QC flagged pairs':<24}{qc['flagged']:>10} of {qc['pairs']}")
    lines.append(f"{'rows per input':<24}{'read':>10}{'kept':>10}{'quarant.':>10}{'counted':>10}")
    labels = _input_labels([str(rec["path"]) for rec in m["inputs"]])
    label_of = dict(zip((str(rec["path"]) for rec in m["inputs"]), labels))
    for rec, name in zip(m["inputs"], labels):
        r = rec.get("rows")
        if r is None:
            of = label_of.get(str(rec.get("duplicate_of")), rec.get("duplicate_of"))
            lines.append(f"{'  ' + name:<24}  duplicate of {of}: read once")
            continue
        lines.append(f"{'  ' + name:<24}{r['read']:>10}{r['kept']:>10}{sum(r['quarantined'].values()):>10}"
                     f"{sum(r['counted'].values()):>10}")
    io = m["inter_observer"]
    if io:
        per = f", {io['stimuli_scored']} stimuli" if "stimuli_scored" in io else ""  # per stimulus, then stimuli
        lines.append(f"{'inter-observer NSS':<24}{_score_text(io['nss'])} (n={io['nss']['n']}{per})")
        lines.append(f"{'inter-observer AUC-Judd':<24}{_score_text(io['auc_judd'])}")
        left = io.get("left_out") or {}
        if left.get("stimuli"):
            names = ", ".join(left["first"]) + (" ..." if left["stimuli"] > len(left["first"]) else "")
            lines.append(f"{'  stimuli left out':<24}{left['stimuli']:>10}  ({left['reason']}: {names})")
        obs = left.get("observers") or {}
        if obs.get("count"):
            names = ", ".join(obs["first"]) + (" ..." if obs["count"] > len(obs["first"]) else "")
            lines.append(f"{'  observers left out':<24}{obs['count']:>10}  ({obs['reason']}: {names})")
    return "\n".join(lines)

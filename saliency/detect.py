"""``saliency detect``: raw gaze logs -> per-sample labels, event tables and QC plots.

Reads each log with the ingest's readers (:func:`data_tools.ingest.open_reader`),
the same screen geometry and detector options, and labels every sample of
every trial with :func:`data_tools.detection.classify` (detectors: I-VT, I-DT
(Salvucci & Goldberg 2000), Nyström & Holmqvist 2010, the Tobii I-VT filter
(Olsen 2012)). Samples outside any trial of a format that marks trials (an
EyeLink ASC's before its first ``TRIALID``; the ingest quarantines them,
``outside_trial``) are labelled too, as runs of their own with an empty trial
and stimulus. Writes, into a staged folder swapped in complete:

- ``samples.csv``: subject, trial, stimulus, time_ms, x, y, label (fixation,
  saccade, pso, pursuit (with ``pursuit``), blink, track_loss, undefined), source, line;
- ``fixations.csv``, ``saccades.csv``, ``blinks.csv``: the event tables of
  :mod:`data_tools.events`, one row per event, with subject, trial, stimulus;
- ``quarantine.csv``: the rows the readers could not use, with a reason, and
  samples earlier than the latest time already seen in their trial (``time_backwards``);
- ``main_sequence.png`` (saccade peak velocity against amplitude, log-log; Bahill,
  Clark & Stark 1975) and ``velocity.png`` (the speed trace and thresholds of the
  first 4 s of one trial, samples coloured by label; ``plot_trial`` counts the
  trials, never the runs outside any trial), for quality control;
- ``detection.json``: options, per-trial thresholds, counts of samples per label
  and of events.

The same input given twice (the same path twice, or two files with the same
SHA-256) is read once, as ``saliency ingest`` reads it
(:func:`data_tools.ingest.input_digest`): the later one is skipped with one
warning line on stderr naming both paths, and ``detection.json`` lists it
under ``inputs`` with ``duplicate_of``.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.base.fsutil import staged_dir, write_json
from saliency.base.progress import progress
from saliency.data_tools import detection as det
from saliency.data_tools import events as ev
from saliency.data_tools.detectors import DEFAULT_DETECTOR, DETECTORS, LABEL_NAMES
from saliency.base.workers import batches
from saliency.data_tools.readers import RowCount, run_bounds

SAMPLE_OUT = ["subject", "trial", "stimulus", "time_ms", "x", "y", "label", "source", "line"]
KEYS = ["subject", "trial", "stimulus"]


@dataclass
class DetectOptions:
    """Every choice of a ``detect`` run (recorded in ``detection.json``)."""

    format: str = "auto"
    columns: dict = field(default_factory=dict)
    time_unit: str | None = None
    decimal: str = "point"  # point | comma: the decimal mark of the logs' numbers
    geometry: object = None  # ScreenGeometry
    detector: str = DEFAULT_DETECTOR
    threshold: float | None = None
    min_duration_ms: float | None = None
    max_gap_ms: float | None = None
    merge_ms: float | None = None
    merge_deg: float | None = None
    smooth_ms: float | None = None
    pursuit: bool = False  # smooth pursuit split of intersaccadic intervals (Larsson et al. 2015), off by default
    eye: str = "average"  # binocular samples: average, left or right (formats with per-eye gaze)
    plot_trial: int = 0  # velocity.png's trial, from 0; runs of samples outside any trial are not counted
    chunk_rows: int = 500_000
    workers: int = 1  # processes classifying trials (the results do not depend on it)
    progress: bool = False


def _open(path: Path, o: DetectOptions):
    """The reader of one raw-sample log, after checking it holds samples on the geometry's screen."""
    from saliency.data_tools.ingest import open_reader
    from saliency.data_tools.readers import ReadOptions
    from saliency.data_tools.readers.pupil import GazeExport

    try:
        rd = open_reader(path, o.format, ReadOptions(columns=o.columns, time_unit=o.time_unit, decimal=o.decimal,
                                                     tracker_events=False,
                                                     chunk_rows=o.chunk_rows, eye=o.eye))
    except GazeExport as exc:  # the reader's advice (a fixations.csv) is for ingest: detect refuses those too
        raise exc.for_detect() from None
    if rd.kind != "samples":
        raise UserError(f"{path}: a file in the {rd.format} format holds fixation events, not raw samples; "
                        "saliency detect needs samples")
    return rd


def _settle_geometry(paths: list[Path], readers: list, o: DetectOptions) -> None:
    """The screen of the run, as ingest settles it: the user's, completed by the resolution the files declare.

    A file declaring a screen more than one pixel from the user's, or files
    declaring different screens, are refused (:func:`data_tools.ingest.settle_geometry`);
    detection then needs degrees: the screen's size and the viewing distance.
    """
    from saliency.data_tools.ingest import degrees_missing, settle_geometry

    info = settle_geometry([(p, rd, None, None) for p, rd in zip(paths, readers)], o)
    if o.geometry is None or not o.geometry.has_degrees:
        raise UserError("fixation detection in raw samples works in degrees of visual angle; give "
                        + degrees_missing(o.geometry, info))


def check_options(o: DetectOptions) -> None:
    """Refuse an option that would not apply (it would be recorded in ``detection.json`` as applied).

    Refused: an option the chosen detector does not use (``threshold`` with
    ``nh``, ``smooth_ms`` with ``ivt``/``idt``), and a merge setting that
    merges nothing: fixations are merged only when ``merge_ms`` and
    ``merge_deg`` are both above 0, so one of them above 0 with the other 0
    (given, or the detector's default) is refused; both 0 turns merging off.
    After the first, before the merge: a numeric option that is not a finite number in its range, by its own name
    (:func:`data_tools.ingest.check_detection_numbers`).
    """
    from saliency.data_tools.detectors import check_merge, unused_options
    from saliency.data_tools.ingest import check_detection_numbers
    from saliency.data_tools.readers.chunks import check_chunk_rows

    check_chunk_rows(o.chunk_rows)  # every format: some readers never split their file into chunks
    if o.detector not in DETECTORS:
        raise UserError(f"`detector` {o.detector!r}: choose one of {', '.join(DETECTORS)}")
    # by this class's names, as ingest's validate does (classify named smooth_ms NaN `window_ms`, and took a
    # threshold of 5000 deg/s that the command line refuses); after "not used by" (its line shows no value), so an
    # option the detector does not use is named as such, not as out of range
    nums = {k: getattr(o, k) for k in ("threshold", "min_duration_ms", "max_gap_ms", "merge_ms", "merge_deg",
                                     "smooth_ms")}
    unused = unused_options(o.detector, threshold=o.threshold, window_ms=o.smooth_ms)
    if unused:
        name = {"window_ms": "smooth_ms"}.get(unused[0], unused[0])
        why = "it finds its own threshold per trial" if o.detector == "nh" else "it has no smoothing window"
        raise UserError(f"`{name}`: not used by the {o.detector} detector ({why}); leave it out or choose a "
                        "detector that uses it")
    check_detection_numbers(nums, o.detector)
    check_merge(o.detector, o.merge_ms, o.merge_deg)  # shared with saliency ingest


STIMULUS_EXPORT = {"tobii": "export screen coordinates (Tobii Pro Lab: DACS px), or ",
                   "tobii-studio": "export screen coordinates (Tobii Studio: ADCS px), or "}
"""Formats whose exports can give the same samples in screen pixels instead: what to export."""


def _to_screen(ch, path: Path, o: DetectOptions, fmt: str = "") -> None:
    """Samples of ``ch`` in screen pixels: fractions of the screen (Gazepoint, Tobii SDK) scaled by its resolution.

    Samples in stimulus coordinates (MIT1003, Tobii MCS) are refused: where the
    stimulus sat on the screen depends on its size (``display`` fit, stretch,
    and the offset of native), and ``detect`` reads no stimulus images; the
    ingest, given them (``stimuli``), places such samples and detects fixations.
    """
    if ch.space == "screen" or not len(ch.df):
        return
    if ch.space != "screen_norm":  # mit1003, tobii (MCS), tobii-studio (MCS): placing them needs the image size
        what = "pixels" if ch.space == "stimulus" else "fractions"
        raise UserError(f"{path}: {fmt or 'the'} samples are in {what} of the stimulus image, and saliency detect "
                        "cannot place them on the screen (where the image was shown depends on its size, which "
                        f"detect does not read); {STIMULUS_EXPORT.get(fmt, '')}give the file to saliency ingest "
                        "with `stimuli` (the image folder), the geometry and `display`: it places the samples on "
                        "the screen and detects fixations in them")
    from saliency.data_tools.ingest import screen_norm_to_px

    x, y = screen_norm_to_px(ch.df["x"].to_numpy(np.float64), ch.df["y"].to_numpy(np.float64),
                             o.geometry.screen_px)
    ch.df = ch.df.assign(x=x, y=y)
    ch.space = "screen"


def _trial_params(o: DetectOptions) -> dict:
    return {"threshold": o.threshold, "min_duration_ms": o.min_duration_ms, "max_gap_ms": o.max_gap_ms,
            "merge_ms": o.merge_ms, "merge_deg": o.merge_deg, "window_ms": o.smooth_ms, "pursuit": o.pursuit}


def _trials(df: pd.DataFrame, final: bool) -> tuple[list[pd.DataFrame], pd.DataFrame | None]:
    """Split samples into trials (runs of one subject, trial and stimulus); the last run is carried unless final."""
    bounds = run_bounds(df, KEYS)
    last = len(bounds) - 1 if final else len(bounds) - 2
    groups = [df.iloc[a:b] for a, b in zip(bounds[:last], bounds[1:last + 1])]
    return groups, None if final else df.iloc[bounds[last]:].reset_index(drop=True)


def classify_trial(g: pd.DataFrame, o: DetectOptions):
    """``(trial frame, Classification, x, y)`` of one trial; invalid or off-screen samples are missing (NaN).

    The rows are taken in file order: a sample earlier than its trial's latest
    time was quarantined before (``time_backwards``, :func:`_flush`), so the
    times never go back.

    A sample flagged invalid is the tracker's word that it lost the eye (a
    blink candidate); a valid sample off the screen is a measured gaze, track
    loss but never a blink by itself (``offscreen`` of :func:`data_tools.detection.classify`).
    """
    W, H = o.geometry.screen_px
    x, y = g["x"].to_numpy(np.float64), g["y"].to_numpy(np.float64)
    valid = g["valid"].to_numpy(bool)
    with np.errstate(invalid="ignore"):
        off = valid & np.isfinite(x) & np.isfinite(y) & ((x < -0.5) | (x >= W - 0.5) | (y < -0.5) | (y >= H - 0.5))
    bad = ~valid | off
    xm, ym = np.where(bad, np.nan, x), np.where(bad, np.nan, y)
    c = det.classify(g["time_ms"].to_numpy(np.float64), xm, ym, o.geometry, o.detector, offscreen=off,
                     **_trial_params(o))
    return g, c, xm, ym


def _trial_task(g: pd.DataFrame) -> dict:
    """One trial's columns as arrays (what a pool worker gets)."""
    return {"key": {k: str(g[k].iloc[0]) for k in KEYS}, "time_ms": g["time_ms"].to_numpy(np.float64),
            "x": g["x"].to_numpy(np.float64), "y": g["y"].to_numpy(np.float64), "valid": g["valid"].to_numpy(bool),
            "line": g["line"].to_numpy()}


def _classify_trials(tasks: list[dict], o: DetectOptions) -> list[dict]:
    """Worker (or inline): each trial of :func:`_trial_task` classified (:func:`classify_trial`), with its event
    tables."""
    out = []
    for tr in tasks:
        g, c, xm, ym = classify_trial(pd.DataFrame({k: v for k, v in tr.items() if k != "key"}), o)
        out.append({"key": tr["key"], "c": c, "x": g["x"].to_numpy(np.float64), "y": g["y"].to_numpy(np.float64),
                    "line": g["line"].to_numpy(), "fix": ev.fixation_table(c, xm, ym),
                    "sac": ev.saccade_table(c, xm, ym), "blk": ev.blink_table(c)})
    return out


CLASSIFY_BATCH = 50_000
"""Samples per classification task sent to the pool (whole trials)."""


class _Writer:
    """Appends labelled samples to ``samples.csv`` in the stage and collects the event tables."""

    FLUSH_ROWS = 200_000
    """Labelled samples held before they are written (a few MB)."""

    def __init__(self, stage: Path, o: DetectOptions):
        self.o = o
        self.fh = open(stage / "samples.csv", "w", encoding="utf-8", newline="")
        pd.DataFrame(columns=SAMPLE_OUT).to_csv(self.fh, index=False)
        self.fix, self.sac, self.blk, self.trials = [], [], [], []  # events: (table frame, keys, source) per trial
        self.rows: list[dict] = []  # labelled samples not yet written, one column dict per trial
        self.held = 0
        self.plot = None  # (key, Classification) of the trial velocity.png draws (``plot_trial``)
        self.plot_any = None  # the same, counting every run (the logs hold no trial proper)
        self.marks_trials: dict[str, bool] = {}  # per source: its format marks trials (LogReader.trials)
        self.proper = 0  # runs that are trials proper, not samples outside any trial
        self.samples = 0
        self.pool = None  # a process pool classifying trials (DetectOptions.workers > 1)
        self.pending: list[tuple] = []  # (futures, source) of chunks still in the pool, in reading order

    def classify(self, groups: list[pd.DataFrame], source: str) -> None:
        """Classify complete trials: here, or in the pool (batches of whole trials, collected in order)."""
        tasks = [_trial_task(g) for g in groups]
        if self.pool is None:
            for r in _classify_trials(tasks, self.o):
                self.add(r, source)
            return
        futures = [self.pool.submit(_classify_trials, b, self.o)
                   for b in batches(tasks, lambda tr: len(tr["time_ms"]), CLASSIFY_BATCH)]
        self.pending.append((futures, source))
        self.collect(keep=1)  # this chunk stays in flight while the next is read; memory stays bounded

    def collect(self, keep: int = 0) -> None:
        """Add the classified trials of all chunks in the pool but the last ``keep``, in reading order."""
        while len(self.pending) > keep:
            futures, source = self.pending.pop(0)
            for f in futures:
                for r in f.result():
                    self.add(r, source)

    def add(self, r: dict, source: str) -> None:
        """Buffer one classified trial's samples (:func:`_classify_trials`) and keep its events."""
        key, c = r["key"], r["c"]
        self.rows.append({**key, "time_ms": c.t, "x": r["x"], "y": r["y"], "label": ev.label_names(c.labels),
                          "source": source, "line": r["line"]})
        self.held += len(c.t)
        if self.held >= self.FLUSH_ROWS:
            self.write()
        self.samples += len(c.t)
        self.fix.append((pd.DataFrame(r["fix"]), key, source))
        self.sac.append((pd.DataFrame(r["sac"]), key, source))
        self.blk.append((pd.DataFrame(r["blk"]), key, source))
        counts = {LABEL_NAMES[k]: int(np.sum(c.labels == k)) for k in LABEL_NAMES}
        self.trials.append({**key, "source": source, "samples": len(c.t), "fixations": len(c.fixations),
                            "labels": counts, "params": {k: v for k, v in c.params.items() if v is not None}})
        if len(self.trials) - 1 == self.o.plot_trial:
            self.plot_any = (key, c)
        # a run with an empty trial and stimulus in a format that marks trials lies outside any trial (ingest
        # quarantines it, outside_trial): labelled, but never the trial velocity.png draws while the logs hold one
        if not (self.marks_trials.get(source, False) and not key["trial"] and not key["stimulus"]):
            if self.proper == self.o.plot_trial:
                self.plot = (key, c)
            self.proper += 1

    def write(self) -> None:
        """Append the buffered samples to ``samples.csv``, byte for byte what ``to_csv`` writes for them."""
        from saliency.data_tools.ingest import write_table

        if not self.rows:
            return
        n = [len(r["time_ms"]) for r in self.rows]
        cols = {}
        for k in SAMPLE_OUT:
            if k in (*KEYS, "source"):  # one value per trial
                cols[k] = np.repeat(np.array([r[k] for r in self.rows], dtype=object), n)
            else:
                cols[k] = np.concatenate([r[k] for r in self.rows])
        write_table(pd.DataFrame(cols, columns=SAMPLE_OUT), self.fh, None, header=False)
        self.rows, self.held = [], 0


def _events(parts: list[tuple], cols: list[str]) -> pd.DataFrame:
    """One event table from the per-trial ``(frame, keys, source)`` of :class:`_Writer`: keys repeated per row.

    The per-trial frames are concatenated as before (so the column types are
    what ``pd.concat`` makes of them); the keys are added once, not per trial
    (inserting them into 1,500 small frames took 11 of 48 s).
    """
    f = pd.concat([p[0] for p in parts], ignore_index=True)
    n = [len(p[0]) for p in parts]
    for j, k in enumerate(KEYS):
        f.insert(j, k, np.repeat(np.array([p[1][k] for p in parts], dtype=object), n))
    f["source"] = np.repeat(np.array([p[2] for p in parts], dtype=object), n)
    return f[[*KEYS, *cols, "source"]]


def _log_paths(logs) -> list[Path]:
    """The paths of ``logs``: one log path (a str or :class:`os.PathLike`) or an iterable of them, read as
    ingest reads its ``inputs`` (:func:`data_tools.ingest.input_paths`); anything else is refused naming
    ``logs``."""
    from saliency.data_tools.ingest import input_paths

    return input_paths(logs, param="logs")


def detect_logs(logs, out, o: DetectOptions) -> dict:
    """Label every sample of ``logs`` (one log path or a list of them) and write the detection folder ``out``;
    returns the summary dict.

    Logs are read chunk by chunk (a trial running across a chunk boundary is
    carried to the next chunk), so memory is bounded by the chunk size and the
    event tables; a trial is a run of consecutive rows with the same subject,
    trial and stimulus. Every data row of each file is booked in
    ``detection.json`` ``inputs``: read = labelled + quarantined (by reason) +
    counted (by reason), as the readers account for them.
    """
    if o.geometry is None:
        raise UserError("raw samples need a screen geometry for fixation detection; give `geometry` or "
                        "`screen_px`/`screen_cm`/`distance_cm`")
    from saliency.data_tools.ingest import (Interleaving, RateCheck, check_columns_used, check_decimal_used,
                                            check_time_unit_used, columns_applied, decimal_applied,
                                            decimal_point_line, decimal_refusal, decimal_unused_line,
                                            decimal_warning, duplicate_record, gaze_counts, input_digest,
                                            quarantined_point_rows, rate_refusal_line, shared_file_subjects,
                                            unended_last_lines)
    from saliency.data_tools.readers.chunks import decimal_commas_read

    check_options(o)
    paths = _log_paths(logs)
    readers = [_open(p, o) for p in paths]  # every file checked before anything is written
    seen: dict[str, str] = {}  # an input given twice (same SHA-256) is read once, as ingest reads it
    digests = [input_digest(p, seen) for p in paths]
    check_columns_used(paths, readers, o.columns)
    _settle_geometry(paths, readers, o)
    if o.time_unit is not None:  # never recorded in detection.json as applied when no file used it
        check_time_unit_used(readers, o.time_unit)
    check_decimal_used(readers, o.decimal)  # never recorded in detection.json as applied when every reader ignores it
    inputs, quar = [], []
    point_lines: list[str] = []  # per input read with `decimal` comma: rows lost to numbers written with a point
    warnings: list[str] = []  # per input: trials at implausible rates, a detector below its rates (nh, 200 Hz)
    subjects: list[tuple] = []  # per input read: the subjects its rows carry (two files pooled by their name: said)
    with staged_dir(out, inputs={"log file": paths}) as stage, contextlib.ExitStack() as pool_stack:
        w = _Writer(stage, o)
        if o.workers > 1:  # trials classified in the pool while this process reads and writes
            from saliency.base.workers import process_pool

            w.pool = pool_stack.enter_context(process_pool(o.workers))
        try:
            for path, rd, (digest, dup) in zip(paths, readers, digests):
                if dup is not None:
                    inputs.append(duplicate_record("detect", path, rd, digest, dup))
                    continue
                src = str(path)
                w.marks_trials[src] = bool(rd.trials)
                books = RowCount()
                carry = None
                bar = progress(desc=f"detect {path.name}", unit=" rows", enabled=o.progress)
                pending = None
                subjects.append((path, rd, set()))
                # the input's sampling rate (a wrong time unit, as ingest refuses it) and each trial's
                rates = RateCheck(src, rd.format, o.detector, rd.notes.get("timestamp_ms_per_unit"), o.columns)
                inter = Interleaving(src, KEYS, bool(rd.trials), rd.notes)  # two trials' rows merged by time: refused
                seen = pointed = 0  # valid gaze samples, and those with a fraction (data_tools.ingest.gaze_counts)
                for k, ch in enumerate(rd.chunks()):
                    books.add(ch, k)
                    for rows in (ch.df, ch.quarantine):
                        subjects[-1][2].update(rows["subject"].unique() if "subject" in rows.columns else ())
                    if len(ch.df):  # as read: numbers written with a point mean unparsed rows are not a comma
                        g, f = gaze_counts(ch.df)
                        seen, pointed = seen + g, pointed + f
                    _to_screen(ch, path, o, rd.format)
                    if len(ch.df):
                        # a quarantined row (a number that does not parse, ...) is a gap, not an interval; most
                        # rows unparsed and no valid gaze: the decimal comma is named before the rate
                        rates.check(ch.df, KEYS, gaps=ch.quarantine["line"].to_numpy(np.float64)
                                    if len(ch.quarantine) else None,
                                    refusal=lambda: rate_refusal_line(decimal_refusal(src, books, o.decimal,
                                                                                      rd.format), seen, pointed))
                    elif len(ch.quarantine):  # no row kept: its set-aside lines still part the rows either side
                        rates.skip(ch.quarantine["line"].to_numpy(np.float64))
                    if len(ch.quarantine):
                        quar.append(ch.quarantine.assign(source=src))
                    bar.update(int(ch.rows_read or 0))  # a plain line per 10 s (the size is unknown)
                    if pending is not None:
                        carry = _flush(w, pending, carry, src, final=False, books=books, quar=quar, inter=inter)
                    pending = ch.df
                if pending is not None:
                    _flush(w, pending, carry, src, final=True, books=books, quar=quar, inter=inter)
                bar.close()
                # the input's rate if its first rows did not decide it; one line per input naming its trials at an
                # implausible rate (the input's is plausible), one naming its trials under nh's 200 Hz
                warnings += rates.finish(refusal=lambda: rate_refusal_line(decimal_refusal(src, books, o.decimal,
                                                                                           rd.format), seen, pointed))
                inputs.append({"path": src, "sha256": digest, "format": rd.format, "kind": rd.kind, "rows": {
                    "read": books.read, "labelled": books.kept, "quarantined": dict(books.quarantined),
                    "counted": dict(books.counted)}})
                if o.time_unit is not None:  # with mixed inputs: which of them the unit applied to
                    inputs[-1]["time_unit_applied"] = bool(rd.notes.get("time_unit_applied"))
                inputs[-1].update(columns_applied(rd, o.columns))  # mixed inputs: which placed the x/y mapping
                # no valid gaze and most rows numbers that do not parse (a decimal comma read as point): stop,
                # as ingest stops when nothing was kept; a poor recording whose lost samples read '#N/A' goes on
                why = decimal_refusal(src, books, o.decimal, rd.format)
                if why and not seen:
                    raise UserError(why)
                if decimal_warning(why, seen, pointed):  # the gaze read all whole (a decimal comma's): said
                    warnings.append(why)
                commas = decimal_commas_read(rd.chunks) if o.decimal == "comma" else None
                if commas is not None:  # as ingest records it: read as without `decimal` comma is said
                    point_rows = quarantined_point_rows(src, rd, quar) if commas == 0 else None
                    inputs[-1]["decimal_comma_applied"] = decimal_applied(commas, point_rows)
                    if commas == 0:  # rows quarantined for a point: counted, as ingest does
                        if point_rows:
                            point_lines.append(decimal_point_line(src, books.read, point_rows))
                        warnings.append(decimal_unused_line(src, rd.format, point_rows))
            warnings += shared_file_subjects(subjects, o.columns)
            warnings += unended_last_lines([(p, rd) for p, rd, _ in subjects])  # every input read once
            w.collect()
            w.write()
        finally:
            w.fh.close()
        if not w.trials:
            raise UserError("no raw samples in " + ", ".join(str(p) for p in paths) + "; nothing to detect" +
                            "".join("; " + line for line in point_lines))
        n_plot = w.proper or len(w.trials)  # trials proper; every run when the logs hold none
        if o.plot_trial >= n_plot:
            outside = len(w.trials) - w.proper if w.proper else 0
            raise UserError(f"`plot_trial` {o.plot_trial}: the logs hold {n_plot} trial(s), numbered from 0"
                            + (f" (not counting {outside} run(s) of samples outside any trial)" if outside else "")
                            + f"; give 0..{n_plot - 1}")
        plot = w.plot if w.proper else w.plot_any
        tables = {"fixations.csv": (w.fix, ev.FIXATION_COLS), "saccades.csv": (w.sac, ev.SACCADE_COLS),
                  "blinks.csv": (w.blk, ev.BLINK_COLS)}
        frames = {name: _events(parts, cols) for name, (parts, cols) in tables.items()}
        for name, f in frames.items():
            f.to_csv(stage / name, index=False)
        qf = pd.concat(quar, ignore_index=True) if quar else pd.DataFrame(columns=["line", "reason", "source"])
        qf = qf[["source", *[c for c in qf.columns if c != "source"]]]
        qf.to_csv(stage / "quarantine.csv", index=False)
        label_counts = {n: sum(t["labels"][n] for t in w.trials) for n in LABEL_NAMES.values()}
        warnings += trial_warning_lines(w.trials)
        summary = {
            "options": {k: v for k, v in asdict(o).items() if k not in ("geometry", "progress", "workers")},
            "geometry": o.geometry.to_dict(),
            "inputs": inputs,
            "counts": {"samples": w.samples, "quarantined": len(qf), "trials": len(w.trials), "labels": label_counts,
                       # rows repeating the previous row's time stamp: labelled with it, not classified twice
                       "duplicate_times": sum(int(t["params"].get("duplicate_times", 0)) for t in w.trials),
                       "fixations": len(frames["fixations.csv"]), "saccades": len(frames["saccades.csv"]),
                       "blinks": len(frames["blinks.csv"])},
            "trials": w.trials,
            # per input: its trials at an implausible rate, a detector used below the sampling rates it was made
            # for (nh under 200 Hz), one line each;
            # per input and kind of trial warning (most samples repeating the previous time stamp, a sampling
            # rate that changes within the trial, a velocity window too long, other): one line naming its first
            # trial and counting its trials; nh's long minimum duration (the option's): one line for the run
            # (trial_warning_lines)
            "warnings": warnings,
        }
        main_sequence_plot(frames["saccades.csv"], stage / "main_sequence.png")
        if plot is not None:
            velocity_plot(plot[1], stage / "velocity.png", title=" / ".join(str(v) for v in plot[0].values() if str(v)))
        write_json(stage / "detection.json", summary)
    return summary


TRIAL_WARNING_OPENINGS = (("rate", "the sampling rate changes within the trial"),
                          ("window", ("`window_ms` ", "the window (`window_ms` ")),
                          ("min_duration", "`min_duration_ms` "))
"""How the lines of each kind (:data:`data_tools.detection.TRIAL_WARNING_KINDS`) start, read only for a line that
lost its kind (:func:`trial_warning_kind` of the text read back from ``detection.json``; ``repeated``: a line
holding :data:`detection.REPEATED_TIMES`). ``detect`` itself sums up by the kind each line carries."""


def trial_warning_kind(line: str) -> str:
    """The kind of one line of a trial's ``params["warnings"]``: the ``.kind`` that
    :func:`data_tools.detection.classify` gives it (:class:`data_tools.detection.TrialWarning`); for a line read
    back as plain text (``detection.json``), the kind its opening words (:data:`TRIAL_WARNING_OPENINGS`) name, else
    ``other``."""
    kind = getattr(line, "kind", None)
    if kind is not None:
        return kind
    if det.REPEATED_TIMES in line:
        return "repeated"
    return next((kind for kind, start in TRIAL_WARNING_OPENINGS if line.startswith(start)), "other")


def trial_warning_lines(trials: list[dict]) -> list[str]:
    """One line per input and kind of trial warning (most rows on one stamp, a sampling rate that changes, a
    velocity window too long, nh's long minimum duration, any other), naming the kind's first trial and counting
    the trials with that kind, each once; the lines stay whole in each trial's entry of ``detection.json``.

    Each line is :func:`data_tools.ingest.rate_change_lines`' for one kind (the ``.kind`` each line carries,
    :class:`data_tools.detection.TrialWarning`), given the input -> ``[(trial, line)]`` of the first line of that
    kind in each trial: a kind summed up apart keeps one kind's line (a window
    warning) from standing for another's (a rate change) of a trial listed first, and a trial is counted once.
    A kind an option causes (nh's long ``min_duration_ms``, :data:`data_tools.ingest.OPTION_WARNING_KINDS`) is one
    line for the run, its trials and inputs counted.
    """
    from saliency.data_tools.ingest import warning_kind_lines

    kinds: dict[str, dict[str, list]] = {k: {} for k in (*det.TRIAL_WARNING_KINDS, "other")}
    for t in trials:
        seen = set()
        for line in t["params"].get("warnings", ()):
            kind = getattr(line, "kind", "other")  # as classify filed it (TrialWarning), never by its wording
            if kind not in seen:
                seen.add(kind)
                kinds[kind].setdefault(t["source"], []).append((t, line))
    return [line for kind, by_source in kinds.items() for line in warning_kind_lines(kind, by_source)]


def _flush(w: _Writer, df: pd.DataFrame, carry: pd.DataFrame | None, src: str, final: bool,
           books: RowCount, quar: list, inter=None):
    """Classify the complete trials of ``carry`` + ``df``; return the trailing (maybe incomplete) one.

    Rows of ``df`` earlier than the latest time already seen in their trial (a
    clock going back; :func:`data_tools.ingest.time_backwards`) are not
    labelled: they go to ``quar`` as ``time_backwards`` and move from labelled
    to quarantined in ``books``. ``inter`` (:class:`data_tools.ingest.Interleaving`) refuses the rows of
    two trials interleaved (merged by time), which would be cut into many short trials.
    """
    from saliency.data_tools.ingest import TIME_BACKWARDS, time_backwards
    from saliency.data_tools.readers import quarantine_frame

    back = time_backwards(df, KEYS, carry)
    if back.any():
        b = df.loc[back]
        quar.append(quarantine_frame(b["line"], TIME_BACKWARDS, b["subject"].to_numpy(), b["stimulus"].to_numpy(),
                                     b["x"].to_numpy(), b["y"].to_numpy()).assign(source=src))
        books.kept -= int(back.sum())
        books.quarantined[TIME_BACKWARDS] = books.quarantined.get(TIME_BACKWARDS, 0) + int(back.sum())
        df = df.loc[~back]
    if inter is not None:
        inter.check(df)
    if carry is not None and len(carry):
        df = pd.concat([carry, df], ignore_index=True)
    if not len(df):
        return None
    groups, rest = _trials(df.reset_index(drop=True), final)
    w.classify(groups, src)
    return rest


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def main_sequence_plot(saccades: pd.DataFrame, path: Path) -> None:
    """Peak velocity against amplitude of every saccade (log-log), the main-sequence check of data quality.

    A log-log plot cannot draw a saccade of zero amplitude (one sample long, or
    back to where it started), one without an amplitude (an end not seen) or
    one without a peak velocity; the title says how many of the table's
    saccades are drawn and why the others are not.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    a = saccades["amplitude_deg"].to_numpy(np.float64)
    v = saccades["peak_velocity_deg_s"].to_numpy(np.float64)
    ok = np.isfinite(a) & np.isfinite(v) & (a > 0) & (v > 0)
    no_amp = ~np.isfinite(a)
    zero = np.isfinite(a) & (a <= 0)
    no_peak = ~ok & ~no_amp & ~zero
    left = [f"{int(m.sum())} {why}" for m, why in ((zero, "of zero amplitude"), (no_amp, "without amplitude"),
                                                   (no_peak, "without peak velocity")) if m.any()]
    ax.scatter(a[ok], v[ok], s=6, alpha=0.6)
    if ok.sum() >= 2:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("amplitude (deg)")
    ax.set_ylabel("peak velocity (deg/s)")
    if left:
        ax.set_title(f"main sequence: {int(ok.sum())} of {len(a)} saccades\nnot drawn: {', '.join(left)}",
                     fontsize=10)
    else:
        ax.set_title(f"main sequence ({int(ok.sum())} saccades)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


LABEL_COLORS = {"fixation": "tab:blue", "saccade": "tab:red", "pso": "tab:orange", "pursuit": "tab:green",
                "blink": "tab:purple", "track_loss": "tab:gray", "undefined": "k"}
"""The colour of every sample label (:data:`data_tools.detectors.LABEL_NAMES`) in ``velocity.png``."""


def velocity_plot(c, path: Path, title: str = "", seconds: float = 4.0) -> None:
    """The speed over the first ``seconds`` of one trial, samples coloured by label, with the detector's thresholds.

    Every sample in the window is drawn in its label's colour (:data:`LABEL_COLORS`), with one legend
    entry per label present; samples without a speed (track loss, blinks) are drawn at 0. The title says
    when the trial is longer than the part drawn (``first 4 s of 10.0 s``).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.5), dpi=100)
    t = (c.t - c.t[0]) / 1000.0 if len(c.t) else c.t
    keep = t <= seconds
    part = f" (first {seconds:g} s of {t[-1]:.1f} s)" if not keep.all() else ""
    t, speed, labels = t[keep], c.speed[keep], c.labels[keep]
    ax.plot(t, speed, lw=0.6, color="0.6")
    for code, name in LABEL_NAMES.items():
        m = labels == code
        if m.any():  # every label has a colour (LABEL_COLORS); samples without a speed are drawn at 0
            ax.scatter(t[m], np.nan_to_num(speed[m]), s=3, color=LABEL_COLORS[name], label=name)
    for k in ("threshold", "peak_threshold", "onset_threshold"):
        v = c.params.get(k)
        if isinstance(v, (int, float)) and np.isfinite(v) and c.method != "idt":
            ax.axhline(v, ls="--", lw=0.8, color="k")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("time from trial start (s)")
    ax.set_ylabel("speed (deg/s)")
    ax.set_title(f"{c.method}: {title}{part}")
    ax.legend(loc="upper right", markerscale=4, fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

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
renamed into place (:func:`saliency.base.fsutil.staged_dir`).

Rows that cannot be used never stop the run; they go to ``quarantine.csv``
with a reason: ``non_numeric``, ``bad_time``, ``bad_coordinates``,
``bad_duration``, ``non_finite_time`` and ``non_finite_duration`` (``inf``,
``-inf``, ``1e999`` or ``nan`` written in a time or duration column; the
missing markers ``.``, empty, ``NA`` stay missing), ``malformed_row`` (a
table row that cannot be split into fields: a quote left open on its line,
more fields than the header; only that row is lost), ``low_confidence``,
``unknown_stimulus``, ``bad_stimulus_image``, ``off_screen``,
``off_stimulus``, ``short_fixation`` (a fixation list's fixation shorter than
``--min-duration``), ``first_fixation`` (``--drop-first``),
``malformed_annotation``. Every ``line`` is the row's true 1-based line in
its file. Raw samples that are missing or flagged invalid (blinks) are not
errors: they end fixations and count in the QC valid share. Fixations
detected from samples carry the line of their first sample.

The same input given twice (the same path twice, or two files with the same
SHA-256) is read once: the later one is skipped with one warning line on
stderr naming both paths, and ``dataset.json`` lists it under ``inputs`` with
``duplicate_of``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from saliency.data_tools import detection as det
from saliency.data_tools.geometry import ScreenGeometry
from saliency.data_tools.maps import MapPolicy, fixation_map, pixel_index, saliency_map, to_uint
from saliency.data_tools.qc import center_bias, ioc_scores, qc_table
from saliency.data_tools.readers import FIX_COLS, QUAR_COLS, Chunk, open_log, quarantine_frame
from saliency.data_tools.stimuli import StimulusIndex, load_trials
from saliency.base.errors import UserError
from saliency.base.progress import progress
from saliency.base.workers import process_pool, single_thread_blas

MAP_FORMATS = ("png", "png16", "npy")
CANONICAL = ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms", "eye", "source", "line"]


@dataclass
class IngestOptions:
    """Every choice of an ingest run (recorded in ``dataset.json``)."""

    format: str = "auto"
    columns: dict = field(default_factory=dict)
    time_unit: str | None = None
    trials: str | None = None
    geometry: ScreenGeometry | None = None
    coords: str = "auto"  # auto | screen | stimulus
    detector: str = "ivt"  # ivt | idt | tracker
    velocity_threshold: float = 20.0
    dispersion_threshold: float = 1.0
    min_duration_ms: float = 100.0
    min_confidence: float = 0.6
    sigma_deg: float | None = 1.0
    sigma_px: float | None = None
    border: str = "constant"
    binary: bool = False
    weight: str = "none"
    per_subject: bool = False
    drop_first: bool = False
    normalize: str = "minmax"
    map_format: str = "png"
    workers: int = 1
    qc_min_valid_share: float = 0.7
    qc_min_fixations: int = 2
    qc_max_off_share: float = 0.25
    ioc: bool = True
    chunk_rows: int = 500_000
    progress: bool = False


# ---------------------------------------------------------------- reading

def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _quarantine_rows(rows: pd.DataFrame, reason, source=None) -> pd.DataFrame:
    """Quarantine frame of canonical ``rows`` (their line, subject, stimulus, x, y) with ``reason``.

    ``reason`` is one string or one per row; ``source`` (per row), when given, becomes the first column.
    """
    q = quarantine_frame(rows["line"], reason, rows["subject"].to_numpy(), rows["stimulus"].to_numpy(),
                         rows["x"].to_numpy(), rows["y"].to_numpy())
    if source is not None:
        q.insert(0, "source", source)
    return q


class _Collector:
    """Accumulates fixations, quarantine rows and QC counts across files and chunks."""

    def __init__(self, opts: IngestOptions, index: StimulusIndex, trials: dict | None):
        self.o, self.index, self.trials = opts, index, trials
        self.fix: list[pd.DataFrame] = []
        self.quar: list[pd.DataFrame] = []
        self.samples = Counter()
        self.valid = Counter()
        self.name_cache: dict[str, str | None] = {}

    def stems(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Resolve each row's stimulus: (stem or "", reason or "")."""
        names = df["stimulus"].to_numpy(dtype=object)
        if self.trials is not None:
            empty = names == ""
            if empty.any():
                subj = df["subject"].to_numpy(dtype=object)[empty]
                tr = df["trial"].to_numpy(dtype=object)[empty]
                names = names.copy()
                names[empty] = [self.trials.get((s, t), self.trials.get(("*", t), "")) for s, t in zip(subj, tr)]
        uniq, inv = np.unique(names.astype(str), return_inverse=True)
        stem = np.empty(len(uniq), dtype=object)
        reason = np.empty(len(uniq), dtype=object)
        for i, u in enumerate(uniq):
            s = self.index.resolve(u)
            if s is None:
                stem[i], reason[i] = "", "unknown_stimulus"
            elif self.index.size(s) is None:
                stem[i], reason[i] = "", "bad_stimulus_image"
            else:
                stem[i], reason[i] = s, ""
        return stem[inv], reason[inv]

    def quarantine(self, source: str, q: pd.DataFrame):
        if len(q):
            q = q.copy()
            q.insert(0, "source", source)
            self.quar.append(q)

    def _split_unknown(self, source: str, ch: Chunk) -> pd.DataFrame:
        df = ch.df
        if "stimulus" not in df or not len(df):
            return df.iloc[0:0] if len(df.columns) else pd.DataFrame(columns=FIX_COLS)
        stem, reason = self.stems(df)
        bad = reason != ""
        if bad.any():
            self.quarantine(source, _quarantine_rows(df.loc[bad], reason[bad]))
        df = df.loc[~bad].copy()
        df["stimulus"] = stem[~bad]
        return df

    def add_fixations(self, source: str, ch: Chunk):
        self.quarantine(source, ch.quarantine)
        df = self._split_unknown(source, ch)
        if len(df):
            df["source"] = source
            df["space"] = ch.space
            self.fix.append(df)

    def screen_check(self, source: str, df: pd.DataFrame) -> np.ndarray:
        """Mask of samples off the screen (quarantined as ``off_screen``); needs a geometry."""
        W, H = self.o.geometry.screen_px
        x, y = df["x"].to_numpy(), df["y"].to_numpy()
        off = np.isfinite(x) & np.isfinite(y) & ((x < -0.5) | (x >= W - 0.5) | (y < -0.5) | (y >= H - 0.5))
        if off.any():
            self.quarantine(source, _quarantine_rows(df.loc[off], "off_screen"))
        return off

    def add_samples(self, source: str, ch: Chunk, carry: pd.DataFrame | None, final: bool):
        """Resolve, QC-count and detect fixations; returns the trailing trial to carry to the next chunk."""
        self.quarantine(source, ch.quarantine)
        df = self._split_unknown(source, ch)
        if len(df):
            off = self.screen_check(source, df)
            if off.any():
                df.loc[off, ["x", "y"]] = np.nan
                df.loc[off, "valid"] = False
            key = df["subject"].astype(str) + "\x1f" + df["stimulus"].astype(str)
            cnt = key.value_counts()
            vcnt = key[df["valid"].to_numpy(bool)].value_counts()
            for k, v in cnt.items():
                self.samples[k] += int(v)
            for k, v in vcnt.items():
                self.valid[k] += int(v)
        if carry is not None and len(carry):
            df = pd.concat([carry, df], ignore_index=True)
        if not len(df):
            return None
        key = (df["subject"].astype(str) + "\x1f" + df["stimulus"].astype(str) + "\x1f"
               + df["trial"].astype(str)).to_numpy()
        change = np.flatnonzero(key[1:] != key[:-1]) + 1
        bounds = np.concatenate(([0], change, [len(df)]))
        last = len(bounds) - 1 if final else len(bounds) - 2
        t_all = df["time_ms"].to_numpy(np.float64)
        x_all = df["x"].to_numpy(np.float64)
        y_all = df["y"].to_numpy(np.float64)
        out = []
        thr = self.o.velocity_threshold if self.o.detector == "ivt" else self.o.dispersion_threshold
        for a, b in zip(bounds[:last], bounds[1:last + 1]):
            t, x, y = t_all[a:b], x_all[a:b], y_all[a:b]
            order = np.argsort(t, kind="stable")
            t, x, y = t[order], x[order], y[order]
            r = det.detect(t, x, y, self.o.geometry, self.o.detector, thr, self.o.min_duration_ms)
            s = det.summarize(r, t, x, y)
            if len(s["first"]):
                row = df.iloc[a]
                lines = df["line"].to_numpy()[a:b][order][s["first"]]
                out.append(pd.DataFrame({"subject": row["subject"], "stimulus": row["stimulus"], "trial": row["trial"],
                                         "x": s["x"], "y": s["y"], "t_start_ms": s["t_start_ms"],
                                         "duration_ms": s["duration_ms"], "eye": "", "line": lines}))
        if out:
            f = pd.concat(out, ignore_index=True)
            f["source"] = source
            f["space"] = "screen"
            self.fix.append(f)
        return None if final else df.iloc[bounds[last]:].reset_index(drop=True)


def read_all(inputs: list[Path], opts: IngestOptions, index: StimulusIndex, trials: dict | None):
    """Read every log; returns (fixations frame, quarantine frame, QC sample counts, input records)."""
    col = _Collector(opts, index, trials)
    records = []
    seen: dict[str, str] = {}
    for path in inputs:
        rd = open_log(path, opts.format, opts.columns, opts.time_unit, opts.detector == "tracker",
                      opts.min_confidence, opts.chunk_rows)
        try:
            digest = sha256(path)
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror})") from None
        if digest in seen:
            print(f"saliency ingest: warning: {path} has the same content (sha256) as {seen[digest]}; "
                  f"read once", file=sys.stderr)
            records.append({"path": str(path), "sha256": digest, "format": rd.format, "kind": rd.kind,
                            "duplicate_of": seen[digest]})
            continue
        seen[digest] = str(path)
        if rd.kind == "samples" and opts.detector == "tracker":
            raise UserError(f"{path}: `detector` tracker needs fixation events, but a {rd.format} file holds "
                            f"only samples; use `detector` ivt or idt")
        if rd.screen_px and opts.geometry and tuple(rd.screen_px) != tuple(opts.geometry.screen_px):
            raise UserError(f"{path}: the file's GAZE_COORDS say {rd.screen_px[0]}x{rd.screen_px[1]} but the "
                            f"geometry says {opts.geometry.screen_px[0]}x{opts.geometry.screen_px[1]}; fix the geometry")
        if rd.kind == "samples" and opts.geometry is None:
            raise UserError(f"{path}: raw samples need a screen geometry for fixation detection; give `geometry` "
                            f"or `screen_px`/`screen_cm`/`distance_cm`")
        src = str(path)
        carry = None
        n_chunks = 0
        bar = progress(desc=f"read {path.name}", unit=" chunks", enabled=opts.progress)
        pending = None
        for ch in rd.chunks():
            n_chunks += 1
            bar.update(1)
            if rd.kind == "samples":
                if pending is not None:
                    carry = col.add_samples(src, pending, carry, final=False)
                pending = ch
            else:
                col.add_fixations(src, ch)
        if rd.kind == "samples" and pending is not None:
            col.add_samples(src, pending, carry, final=True)
        bar.close()
        records.append({"path": src, "sha256": digest, "format": rd.format, "kind": rd.kind, **rd.notes})
    fix = pd.concat(col.fix, ignore_index=True) if col.fix else pd.DataFrame(columns=FIX_COLS + ["source", "space"])
    if "_key" in fix:
        k = fix["_key"].notna()
        fix = pd.concat([fix[~k], fix[k].sort_values("line").drop_duplicates("_key")], ignore_index=True)
        fix = fix.drop(columns="_key")
    quar = pd.concat(col.quar, ignore_index=True) if col.quar else pd.DataFrame(columns=["source"] + QUAR_COLS)
    counts = {"samples": col.samples, "valid": col.valid}
    return fix, quar, counts, records


# ---------------------------------------------------------------- coordinates

def to_stimulus(fix: pd.DataFrame, opts: IngestOptions, index: StimulusIndex):
    """Stimulus-pixel coordinates of every fixation; returns (fixations, quarantined off-stimulus rows)."""
    g = opts.geometry
    x = fix["x"].to_numpy(np.float64).copy()
    y = fix["y"].to_numpy(np.float64).copy()
    space = fix["space"].to_numpy(dtype=object)
    if opts.coords == "stimulus":
        space = np.where(space == "screen_norm", "stimulus_norm", np.where(space == "screen", "stimulus", space))
    if (np.isin(space, ["screen", "screen_norm"])).any() and g is None:
        raise UserError("screen coordinates need a screen geometry: give `geometry` or `screen_px`/`screen_cm`/"
                        "`distance_cm`, or `coords` stimulus if the coordinates are already stimulus pixels")
    stems = fix["stimulus"].to_numpy(dtype=object)
    sizes = np.array([index.size(s) for s in stems], dtype=np.float64).reshape(-1, 2)
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
        for (w, h) in {tuple(v) for v in sizes[scr].astype(int).tolist()}:
            pl = g.placement(w, h)
            if g.display == "native" and (w > W or h > H):
                raise UserError(f"`display` native: a {w}x{h} stimulus does not fit the {W}x{H} screen; "
                                f"use `display` fit")
            m = scr & (sizes[:, 0] == w) & (sizes[:, 1] == h)
            x[m], y[m] = pl.screen_to_stimulus(x[m], y[m])
    inside = (x >= -0.5) & (x < sizes[:, 0] - 0.5) & (y >= -0.5) & (y < sizes[:, 1] - 0.5)
    reason[(reason == "") & ~inside] = "off_stimulus"
    out = fix.assign(x=x, y=y)
    bad = reason != ""
    q = fix.loc[bad]
    return out.loc[~bad].reset_index(drop=True), _quarantine_rows(q, reason[bad], q["source"].to_numpy())


def drop_short(fix: pd.DataFrame, min_duration_ms: float):
    """Quarantine fixations shorter than ``min_duration_ms`` (``short_fixation``), whatever their source.

    Detected fixations meet the minimum by construction; applying it to tracker fixation lists too
    keeps one definition of a fixation across exports. Fixations without a duration are kept.
    """
    d = fix["duration_ms"].to_numpy(np.float64)
    short = np.isfinite(d) & (d < min_duration_ms)
    q = fix.loc[short]
    return fix.loc[~short].reset_index(drop=True), _quarantine_rows(q, "short_fixation", q["source"].to_numpy())


def sigma_for(size: tuple[int, int], opts: IngestOptions) -> tuple[float, float]:
    """``(sigma_x, sigma_y)`` in stimulus pixels for a stimulus of ``size``."""
    if opts.sigma_px is not None:
        return float(opts.sigma_px), float(opts.sigma_px)
    g = opts.geometry
    pl = g.placement(*size)
    px, py = g.ppd_xy
    return opts.sigma_deg * px / pl.scale[0], opts.sigma_deg * py / pl.scale[1]


# ---------------------------------------------------------------- maps (worker side)

def _build_one(job):
    """Worker: write one stimulus' map and fixation map; return its IOC scores."""
    stem, size, x, y, subjects, durations, policy, stage, map_format, ioc = job
    import cv2

    m = saliency_map(size, x, y, subjects, durations, policy)
    stage = Path(stage)
    if map_format == "npy":
        np.save(stage / "maps" / f"{stem}.npy", m.astype(np.float32))
    else:
        cv2.imwrite(str(stage / "maps" / f"{stem}.png"), to_uint(m, 16 if map_format == "png16" else 8))
    r, c = pixel_index(x, y, size)
    cv2.imwrite(str(stage / "fixations" / f"{stem}.png"), fixation_map(size, r, c))
    scores = ioc_scores(size, x, y, subjects, durations, policy) if ioc else []
    return stem, scores


def _link_or_copy(src: Path, dst: Path):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# ---------------------------------------------------------------- the whole run

def validate(opts: IngestOptions):
    """Check option combinations before anything is read."""
    if opts.map_format not in MAP_FORMATS:
        raise UserError(f"`map_format` {opts.map_format!r}: choose one of {', '.join(MAP_FORMATS)}")
    if opts.normalize == "sum" and opts.map_format != "npy":
        raise UserError("`normalize` sum gives maps that sum to 1; store them with `map_format` npy")
    if opts.sigma_px is None and opts.geometry is None:
        raise UserError("`sigma_deg` needs a screen geometry (`geometry` or `screen_px`/`screen_cm`/"
                        "`distance_cm`); without one give the blur in pixels with `sigma_px`")
    if opts.coords not in ("auto", "screen", "stimulus"):
        raise UserError(f"`coords` {opts.coords!r}: choose auto, screen or stimulus")
    if opts.detector not in ("ivt", "idt", "tracker"):
        raise UserError(f"`detector` {opts.detector!r}: choose ivt, idt or tracker")
    if opts.workers < 1:
        raise UserError(f"`workers` {opts.workers}: must be at least 1")
    if opts.coords == "auto":
        opts.coords = "screen" if opts.geometry is not None else "stimulus"
    MapPolicy((opts.sigma_px or 1.0, opts.sigma_px or 1.0), opts.border, opts.binary, opts.weight,
              opts.per_subject, opts.normalize)


def ingest(inputs, stimuli: str | Path, out: str | Path, opts: IngestOptions) -> dict:
    """Build a fixation dataset folder at ``out`` from logs ``inputs``; returns the manifest dict."""
    from saliency.base import __version__
    from saliency.base.fsutil import staged_dir

    validate(opts)
    inputs = [Path(p) for p in inputs]
    if not inputs:
        raise UserError("no input logs given")
    index = StimulusIndex(stimuli)
    trials = load_trials(opts.trials) if opts.trials else None
    with staged_dir(out, inputs={"stimuli": stimuli, "log file": inputs}) as stage:
        fix, quar, counts, records = read_all(inputs, opts, index, trials)
        fix, q_short = drop_short(fix, opts.min_duration_ms)
        fix, q_off = to_stimulus(fix, opts, index)
        q_off = pd.concat([q for q in (q_short, q_off) if len(q)], ignore_index=True) if len(q_short) else q_off
        quar = pd.concat([q for q in (quar, q_off) if len(q)], ignore_index=True) if len(q_off) or len(quar) \
            else quar
        off_counts = Counter()
        if len(q_off):
            offq = q_off[q_off["reason"].isin(["off_stimulus", "off_screen"])]
            for (s, st), v in offq.groupby(["subject", "stimulus"]).size().items():
                off_counts[(s, st)] += int(v)
        fix = fix.sort_values(["subject", "stimulus", "t_start_ms", "line"], kind="stable", na_position="last")
        if opts.drop_first and len(fix):
            first = ~fix.duplicated(["subject", "stimulus", "source"], keep="first")
            d = fix.loc[first]
            qd = _quarantine_rows(d, "first_fixation", d["source"].to_numpy())
            quar = pd.concat([quar, qd], ignore_index=True)
            fix = fix.loc[~first]
        fix = fix.reset_index(drop=True)
        if not len(fix):
            raise UserError("no usable fixations in the inputs (see the reasons: "
                            + ", ".join(f"{k} {v}" for k, v in quar["reason"].value_counts().items()) + ")")
        for sub in ("maps", "fixations", "stimuli"):
            (stage / sub).mkdir()
        stems = sorted(fix["stimulus"].unique())
        sigmas = {}
        jobs = []
        groups = fix.groupby("stimulus", sort=True)
        for stem in stems:
            g = groups.get_group(stem)
            size = index.size(stem)
            sig = sigma_for(size, opts)
            sigmas[f"{size[0]}x{size[1]}"] = [round(sig[0], 6), round(sig[1], 6)]
            pol = MapPolicy(sig, opts.border, opts.binary, opts.weight, opts.per_subject, opts.normalize)
            jobs.append((stem, size, g["x"].to_numpy(), g["y"].to_numpy(), g["subject"].to_numpy().astype(str),
                         g["duration_ms"].to_numpy(np.float64), pol, str(stage), opts.map_format, opts.ioc))
        for stem in stems:
            src = index.path(stem)
            _link_or_copy(src, stage / "stimuli" / src.name)
        ioc_rows = []
        bar = progress(total=len(jobs), desc="maps", unit=" maps", enabled=opts.progress)
        if opts.workers > 1:
            with process_pool(opts.workers) as ex:
                for stem, scores in ex.map(_build_one, jobs, chunksize=max(1, len(jobs) // (8 * opts.workers))):
                    ioc_rows += [(stem, *s) for s in scores]
                    bar.update(1)
        else:
            with single_thread_blas():
                for job in jobs:
                    stem, scores = _build_one(job)
                    ioc_rows += [(stem, *s) for s in scores]
                    bar.update(1)
        bar.close()

        # QC
        pairs = fix.groupby(["subject", "stimulus"]).size()
        keys = set(pairs.index) | set(off_counts)
        for k in counts["samples"]:
            keys.add(tuple(k.split("\x1f")))
        rows = []
        for s, st in sorted(keys):
            k = f"{s}\x1f{st}"
            rows.append({"subject": s, "stimulus": st, "samples": counts["samples"].get(k, 0),
                         "valid_samples": counts["valid"].get(k, 0), "fixations": int(pairs.get((s, st), 0)),
                         "off_stimulus": off_counts.get((s, st), 0)})
        thresholds = {"min_valid_share": opts.qc_min_valid_share, "min_fixations": opts.qc_min_fixations,
                      "max_off_share": opts.qc_max_off_share}
        qc = qc_table(pd.DataFrame(rows, columns=["subject", "stimulus", "samples", "valid_samples", "fixations",
                                                  "off_stimulus"]), thresholds)
        qc.to_csv(stage / "qc.csv", index=False, float_format="%.4f")

        # centre bias on the most common stimulus size
        import cv2

        all_sizes = np.array([index.size(s) for s in fix["stimulus"]], dtype=np.float64)
        canvas = Counter(map(tuple, all_sizes.astype(int).tolist())).most_common(1)[0][0]
        sig_c = float(np.mean(sigma_for(canvas, opts)))
        cb = center_bias(all_sizes, fix["x"].to_numpy(), fix["y"].to_numpy(), canvas, sig_c, opts.border)
        cv2.imwrite(str(stage / "center_bias.png"), to_uint(cb, 8))

        # tables
        table = fix.assign(eye=fix["eye"].fillna(""))[CANONICAL]
        table.to_csv(stage / "fixations.csv", index=False, float_format="%.3f")
        quar = quar.reindex(columns=["source"] + QUAR_COLS)
        quar.to_csv(stage / "quarantine.csv", index=False, float_format="%.3f")

        ioc = pd.DataFrame(ioc_rows, columns=["stimulus", "subject", "nss", "auc_judd"])
        ioc_summary = {k: {"mean": _f(ioc[k].mean()), "std": _f(ioc[k].std(ddof=1)), "n": int(ioc[k].notna().sum())}
                       for k in ("nss", "auc_judd")} if len(ioc) else None
        g = opts.geometry
        manifest = {
            "toolkit": {"name": "saliency", "version": __version__},
            "inputs": records,
            "stimuli": {"folder": str(Path(stimuli)), "count": len(stems)},
            "geometry": g.to_dict() if g else None,
            "ppd": round(g.ppd, 6) if g else None,
            "ppd_formula": "ppd = res_px / size_cm * distance_cm * tan(1 deg), mean of x and y",
            "sigma": {"deg": None if opts.sigma_px is not None else opts.sigma_deg,
                      "px": opts.sigma_px, "px_by_stimulus_size": sigmas,
                      "truncate": 4.0},
            "policies": {k: v for k, v in asdict(opts).items()
                         if k not in ("geometry", "progress", "workers", "chunk_rows")},
            "counts": {
                "fixations": int(len(fix)), "quarantined": int(len(quar)),
                "quarantine_by_reason": {str(k): int(v) for k, v in quar["reason"].value_counts().items()},
                "per_subject": {str(k): int(v) for k, v in fix.groupby("subject").size().items()},
                "per_stimulus": {str(k): int(v) for k, v in fix.groupby("stimulus").size().items()},
                "subjects": int(fix["subject"].nunique()), "stimuli": len(stems),
            },
            "qc": {"thresholds": thresholds, "pairs": int(len(qc)),
                   "flagged": int((qc["flags"] != "").sum()),
                   "valid_share_mean": _f(qc["valid_share"].mean()),
                   "flagged_pairs": qc.loc[qc["flags"] != "", ["subject", "stimulus", "flags"]].head(200)
                   .to_dict("records")},
            "inter_observer": ioc_summary,
            "files": {"maps": f"maps/<stem>.{'npy' if opts.map_format == 'npy' else 'png'}",
                      "fixation_maps": "fixations/<stem>.png", "table": "fixations.csv",
                      "quarantine": "quarantine.csv", "qc": "qc.csv", "center_bias": "center_bias.png"},
        }
        from saliency.base.fsutil import write_json

        write_json(stage / "dataset.json", manifest)
    return manifest


def _f(v) -> float | None:
    v = float(v)
    return round(v, 6) if np.isfinite(v) else None


def summary_text(m: dict) -> str:
    """The short table printed after a run."""
    c = m["counts"]
    lines = [f"{'stimuli with maps':<24}{c['stimuli']:>10}",
             f"{'subjects':<24}{c['subjects']:>10}",
             f"{'fixations kept':<24}{c['fixations']:>10}",
             f"{'rows quarantined':<24}{c['quarantined']:>10}"]
    for k, v in sorted(c["quarantine_by_reason"].items(), key=lambda kv: -kv[1]):
        lines.append(f"{'  ' + k:<24}{v:>10}")
    sig = m["sigma"]
    s = ", ".join(f"{k}: {v[0]:.2f} px" for k, v in sig["px_by_stimulus_size"].items())
    lines.append(f"{'sigma':<24}{(str(sig['deg']) + ' deg -> ' if sig['deg'] else '') + s:>10}")
    qc = m["qc"]
    lines.append(f"{'QC flagged pairs':<24}{qc['flagged']:>10} of {qc['pairs']}")
    io = m["inter_observer"]
    if io:
        lines.append(f"{'inter-observer NSS':<24}{io['nss']['mean'] or float('nan'):>10.3f} +- "
                     f"{io['nss']['std'] or 0:.3f} (n={io['nss']['n']})")
        lines.append(f"{'inter-observer AUC-Judd':<24}{io['auc_judd']['mean'] or float('nan'):>10.3f} +- "
                     f"{io['auc_judd']['std'] or 0:.3f}")
    return "\n".join(lines)

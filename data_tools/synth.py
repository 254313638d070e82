"""The synthetic free-viewing study: the toolkit's embedded default dataset.

Real saliency datasets cannot be shipped or downloaded everywhere, so the
demo, the tests and the benchmarks run on a documented generative model of a
free-viewing eye-tracking experiment, with ground truth for every stage:

1. **Scenes** (:mod:`data_tools.scenes`): cluttered textured backgrounds with
   1-3 salient objects, and a 0/255 SOD mask per scene; with ``backgrounds``
   (a folder of photographs) the objects are rendered onto real photographs
   instead (:func:`data_tools.scenes.render_photo_scene`).
2. **Display** (:mod:`data_tools.geometry`): a 24" 1920x1080 monitor
   (53.1 x 29.9 cm) at 65 cm, ~41 pixels per degree; each stimulus scaled to
   fit and centred (letter-/pillar-boxed), as in MIT1003 and CAT2000.
3. **Observers** (:mod:`data_tools.observers`): one scanpath per observer and
   scene (centre start, object-directed fixations with probability
   ``p_object``, centre bias, exploration, gamma durations), sampled at
   ``rate_hz`` with saccades, drift, noise, blinks and glitches.
4. **Recordings** written as real trackers export them (REFERENCES.md
   section 3): generic raw samples (``logs/samples.csv``), an EyeLink Data
   Viewer fixation report (``logs/eyelink_fixations.csv`` with
   ``logs/trials.csv``), a Tobii Pro Lab TSV (``logs/tobii.tsv``); and the
   truth (``truth/fixations.csv``, ``truth/objects.csv``).

Every subject views every scene once, in a shuffled order, ``viewing_ms``
each, with ``gap_ms`` between trials on a per-subject session clock. The
tracker-reported fixations of the EyeLink and Tobii exports are the runs of
valid samples within each true fixation (a blink or glitch splits a
fixation, as trackers do), positioned at the mean of their samples.

The same seed gives byte-identical files, whatever the number of workers:
every scene and every (subject, scene) pair draws from its own
``numpy.random.SeedSequence`` child.

A study is assembled in memory before it is written, so its size is checked
first (:func:`check_config`): at most :data:`MAX_SAMPLES` raw samples in all
(12 million, about 6.5 GiB at peak), and at least two samples per trial.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from saliency.base.images import write_image
from saliency.base.progress import is_terminal, progress as progress_bar
from saliency.base.workers import process_pool
from saliency.data_tools.geometry import ScreenGeometry
from saliency.data_tools.observers import ObserverModel, record, samples_per_trial, scanpath
from saliency.data_tools.scenes import render_photo_scene, render_scene

FORMAT_VERSION = 1

#: The most raw samples one study may hold (scenes x subjects x samples per trial): the whole study is assembled
#: in memory before its logs are written. Measured peak memory of ``saliency synth`` (sum of the proportional set
#: sizes of the process tree, 2 workers; 0.3, 1.2, 1.5, 2.4 and 6 M samples at 500 and 1000 Hz) is about
#: 0.25 GiB + 560 bytes per sample (6 M samples: 3.2 GiB), so 12 M samples peak near 6.5 GiB, under 8 GiB with
#: a margin; ``--scenes 450 --subjects 15`` at 500 Hz (10.1 M, docs/BENCHMARKS.md) still fits.
MAX_SAMPLES = 12_000_000


@dataclass
class SynthConfig:
    """Everything that defines a synthetic study; saved whole in ``study.json``."""

    scenes: int = 100
    subjects: int = 10
    width: int = 640
    height: int = 480
    seed: int = 0
    rate_hz: float = 500.0
    gap_ms: float = 1000.0
    max_objects: int = 3
    screen_px: tuple[int, int] = (1920, 1080)
    screen_cm: tuple[float, float] = (53.1, 29.9)
    distance_cm: float = 65.0
    display: str = "fit"
    observer: ObserverModel = field(default_factory=ObserverModel)
    backgrounds: str | None = None  # folder of photographs to render the objects onto (None: textured clouds)

    def geometry(self) -> ScreenGeometry:
        """The display as a :class:`ScreenGeometry`."""
        return ScreenGeometry(tuple(self.screen_px), tuple(self.screen_cm), self.distance_cm, self.display,
                              {"sampling_rate_hz": self.rate_hz})


def study_samples(cfg: SynthConfig) -> tuple[int, int]:
    """``(samples per trial, samples of the whole study)`` that ``cfg`` generates (held in memory until written)."""
    per_trial = samples_per_trial(cfg.observer.viewing_ms, cfg.rate_hz)
    return per_trial, cfg.scenes * cfg.subjects * per_trial


def check_config(cfg: SynthConfig) -> None:
    """Refuse, in one :class:`UserError` line, a study whose trials hold fewer than two samples or whose
    samples number more than :data:`MAX_SAMPLES` (it would run out of memory after minutes)."""
    from saliency.base.errors import UserError

    viewing, rate = cfg.observer.viewing_ms, cfg.rate_hz
    per_trial, total = study_samples(cfg)
    if per_trial < 2:  # ingest and detect cannot read a sampling rate from one sample
        raise UserError(f"`viewing_ms` {viewing:g} at `rate_hz` {rate:g} Hz gives {per_trial} sample per trial; "
                        "a trial needs at least two (viewing ms x rate / 1000 above 1): raise `viewing_ms` or "
                        "`rate_hz`")
    if total > MAX_SAMPLES:
        raise UserError(f"`scenes` {cfg.scenes} x `subjects` {cfg.subjects} x {per_trial:,} samples per trial "
                        f"(`viewing_ms` {viewing:g} at `rate_hz` {rate:g} Hz) = {total:,} samples, more than the "
                        f"{MAX_SAMPLES:,} a study may hold in memory (about 560 bytes each); lower one of them")


def scene_id(i: int) -> str:
    """Stimulus id of scene ``i`` (0-based): ``s0001``, ``s0002``, ..."""
    return f"s{i + 1:04d}"


def subject_id(k: int) -> str:
    """Subject id of observer ``k`` (0-based): ``sub01``, ``sub02``, ..."""
    return f"sub{k + 1:02d}"


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _runs(phase: np.ndarray):
    """Start/end (inclusive) indices and value of runs of equal ``phase``."""
    change = np.flatnonzero(np.diff(phase)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change - 1, [len(phase) - 1]])
    return starts, ends, phase[starts]


def background_photos(folder: str | Path) -> list[str]:
    """The photographs of ``folder`` for ``backgrounds``: top-level image files, sorted by name.

    A top-level entry with an image name (hidden names excluded) that is not a regular file after following
    links (a broken or looping symbolic link, a folder, a FIFO) is refused in one :class:`UserError` line naming
    it: skipping it would change the study a seed gives once it is fixed. Each file's declared size is checked
    against the pixel limit (:func:`saliency.base.images.check_image_size`, which also refuses a file that
    cannot be opened) before anything is decoded.
    """
    from saliency.base.errors import UserError
    from saliency.base.images import check_image_size, is_image, shown_path

    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"`backgrounds` {folder}: folder not found")
    files = []
    for p in sorted(folder.iterdir()):
        if not is_image(p.name):
            continue
        try:
            mode = p.stat().st_mode  # follows links
        except OSError as exc:
            what = "a broken symbolic link" if p.is_symlink() else "not readable"
            raise UserError(f"`backgrounds` {shown_path(p)}: {what} ({exc.strerror or exc}), not an image file; "
                            "fix or remove it") from None
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise UserError(f"`backgrounds` {shown_path(p)}: {what}, not an image file; fix or remove it")
        files.append(str(p))
    files.sort()
    if not files:
        raise UserError(f"`backgrounds` {folder}: no image files (png, jpg, ...) in the folder")
    for f in files:
        check_image_size(f)
    return files


class _Photos:
    """Background photographs read on demand (RGB uint8); an unreadable file is named in one UserError."""

    def __init__(self, files: list[str]):
        self.files = files

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> np.ndarray:
        from saliency.base.errors import UserError
        from saliency.base.images import decode

        img = decode(np.fromfile(self.files[i], np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise UserError(f"`backgrounds` {self.files[i]}: not a readable image; replace or remove it")
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _scene_task(args):
    """Render scene ``i``, write its PNGs, and record every subject viewing it."""
    i, cfg, stage, onsets, offsets, photos = args
    geom = cfg.geometry()
    if photos:
        image, mask, labels, objects = render_photo_scene(_rng(cfg.seed, 0, i), cfg.width, cfg.height,
                                                          _Photos(photos), max_objects=cfg.max_objects)
    else:
        image, mask, labels, objects = render_scene(_rng(cfg.seed, 0, i), cfg.width, cfg.height,
                                                    max_objects=cfg.max_objects)
    sid = scene_id(i)
    # encoded in memory, written by Python (saliency.base.images.write_image: imwrite crashes on a non-UTF-8 path)
    write_image(Path(stage) / "stimuli" / f"{sid}.png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    write_image(Path(stage) / "masks" / f"{sid}.png", mask)
    placement = geom.placement(cfg.width, cfg.height)
    ppd_stim = geom.ppd / placement.scale[0]
    areas = [o.area_px for o in objects]
    trials = []
    for k in range(cfg.subjects):
        rng = _rng(cfg.seed, 1, k, i)
        fixes = scanpath(rng, labels, areas, cfg.observer, ppd_stim)
        rec = record(rng, fixes, placement, geom.screen_px, geom.ppd, cfg.rate_hz, cfg.observer, offsets[k])
        trials.append((fixes, rec))
    objs = [dict(stimulus=sid, object=j, shape=o.shape, cx=round(o.cx, 2), cy=round(o.cy, 2),
                 radius=round(o.radius, 2), angle_deg=round(o.angle_deg, 1), texture=o.texture,
                 color="#%02x%02x%02x" % o.color, area_px=o.area_px) for j, o in enumerate(objects)]
    return i, trials, objs


def generate(out_dir: str | Path, cfg: SynthConfig, workers: int = 1, progress: bool = True) -> dict:
    """Write a whole study into ``out_dir`` (which must exist and be empty); return a summary dict.

    A study of trials with fewer than two samples, or of more than :data:`MAX_SAMPLES` samples, is refused
    (:func:`check_config`) before anything is written.
    """
    check_config(cfg)
    out = Path(out_dir)
    for sub in ("stimuli", "masks", "logs", "truth"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    geom = cfg.geometry()
    placement = geom.placement(cfg.width, cfg.height)
    trial_ms = cfg.observer.viewing_ms + cfg.gap_ms
    orders = [_rng(cfg.seed, 2, k).permutation(cfg.scenes) for k in range(cfg.subjects)]
    position = [np.argsort(o) for o in orders]  # position[k][scene] = trial index (0-based)
    offsets = [tuple(_rng(cfg.seed, 3, k).normal(0, cfg.observer.calibration_sd_deg, 2)) for k in range(cfg.subjects)]
    onsets = [[cfg.gap_ms + position[k][i] * trial_ms for k in range(cfg.subjects)] for i in range(cfg.scenes)]
    photos = background_photos(cfg.backgrounds) if cfg.backgrounds else []
    tasks = [(i, cfg, str(out), onsets[i], offsets, photos) for i in range(cfg.scenes)]
    results = [None] * cfg.scenes
    bar = progress_bar(total=cfg.scenes, desc="synth scenes", unit="scene", enabled=progress)
    if workers > 1 and cfg.scenes > 1:
        with process_pool(workers) as pool:
            for i, trials, objs in pool.map(_scene_task, tasks, chunksize=max(1, cfg.scenes // (8 * workers))):
                results[i] = (trials, objs)
                bar.update()
    else:
        for task in tasks:
            i, trials, objs = _scene_task(task)
            results[i] = (trials, objs)
            bar.update()
    bar.close()
    summary = _write_logs(out, cfg, results, orders, onsets, placement, progress)
    pd.DataFrame([o for _, objs in results for o in objs]).to_csv(out / "truth" / "objects.csv", index=False)
    (out / "screen.json").write_text(json.dumps(geom.to_dict(), indent=2) + "\n")
    extra = {"background_photos": len(photos)} if photos else {}
    study = {"format_version": FORMAT_VERSION, "generator": "saliency synth", **_jsonable(asdict(cfg)), **extra,
             "stimulus_placement": {"scale": placement.scale[0], "offset_px": list(placement.offset)},
             "counts": summary}
    (out / "study.json").write_text(json.dumps(study, indent=2) + "\n")
    return summary


def _jsonable(d):
    if isinstance(d, dict):
        return {k: _jsonable(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [_jsonable(v) for v in d]
    return d


def _write_logs(out: Path, cfg: SynthConfig, results, orders, onsets, placement, progress: bool) -> dict:
    """Assemble and write the three exports, the trial list and the truth (progress per subject, then per file).

    Writing the two sample-level exports is most of a large study's time (82 of
    103 s at 5.1 M samples, silent before): the bar counts the subjects
    assembled, then the files written.
    """
    dt = 1000.0 / cfg.rate_hz
    ppd = cfg.geometry().ppd
    samples, tobii, eyelink, trials_rows, truth = [], [], [], [], []
    bar = progress_bar(total=cfg.subjects + 3, desc="synth logs", unit=" step", enabled=progress)
    for k in range(cfg.subjects):
        bar.update()
        subj = subject_id(k)
        type_counter = {"Fixation": 0, "Saccade": 0, "EyesNotFound": 0, "Unclassified": 0}
        for trial, i in enumerate(orders[k]):
            sid = scene_id(int(i))
            fixes, rec = results[i][0][k]
            t0 = onsets[i][k]
            n = len(rec.t_ms)
            samples.append({
                "subject": subj, "stimulus": sid, "time_ms": np.round(t0 + rec.t_ms, 3),
                "x": np.round(rec.x, 2), "y": np.round(rec.y, 2), "valid": rec.valid.astype(np.int8)})
            trials_rows.append((subj, trial + 1, sid))
            for j, f in enumerate(fixes):
                truth.append((subj, sid, trial + 1, j + 1, round(f.x, 2), round(f.y, 2), round(t0 + f.t_start_ms, 2),
                              round(f.duration_ms, 2), f.target, f.object))
            # tracker events: runs of equal phase; fixation runs carry their mean position
            starts, ends, vals = _runs(rec.phase)
            kind = np.where(vals >= 0, "Fixation", np.where(vals == -1, "Saccade",
                            np.where(vals == -2, "EyesNotFound", "Unclassified")))
            run_dur = rec.t_ms[ends] - rec.t_ms[starts] + dt
            gx = np.add.reduceat(np.nan_to_num(rec.x), starts) / (ends - starts + 1)
            gy = np.add.reduceat(np.nan_to_num(rec.y), starts) / (ends - starts + 1)
            run_index = np.zeros(len(starts), np.int64)
            for r, kd in enumerate(kind):
                type_counter[kd] += 1
                run_index[r] = type_counter[kd]
            lengths = ends - starts + 1
            per_run = np.repeat(np.arange(len(starts)), lengths)
            is_fix = kind[per_run] == "Fixation"
            valid_txt = np.where(rec.valid, "Valid", "Invalid")
            tobii.append({
                "Recording timestamp [μs]": np.round((t0 + rec.t_ms) * 1000).astype(np.int64),
                "Participant name": subj, "Recording name": f"Recording{k + 1}",
                "Presented Media name": f"{sid}.png",
                "Gaze point X [DACS px]": np.round(rec.x), "Gaze point Y [DACS px]": np.round(rec.y),
                "Validity left": valid_txt, "Validity right": valid_txt,
                "Eye movement type": kind[per_run],
                "Gaze event duration [ms]": np.round(run_dur[per_run]).astype(np.int64),
                "Eye movement type index": run_index[per_run],
                "Fixation point X [DACS px]": np.where(is_fix, np.round(gx[per_run]), np.nan),
                "Fixation point Y [DACS px]": np.where(is_fix, np.round(gy[per_run]), np.nan),
            })
            fr = np.flatnonzero(kind == "Fixation")
            if len(fr):
                fs = np.round(rec.t_ms[starts[fr]]).astype(np.int64)
                fe = np.round(rec.t_ms[ends[fr]]).astype(np.int64)
                amp = np.hypot(np.diff(gx[fr]), np.diff(gy[fr])) / ppd
                pupil = 1000 + np.round(_rng(cfg.seed, 4, k, int(i)).normal(0, 60, len(fr))).astype(np.int64)
                eyelink.append(pd.DataFrame({
                    "RECORDING_SESSION_LABEL": subj, "TRIAL_INDEX": trial + 1,
                    "CURRENT_FIX_INDEX": np.arange(1, len(fr) + 1),
                    "CURRENT_FIX_START": fs, "CURRENT_FIX_END": fe,
                    "CURRENT_FIX_DURATION": np.round(run_dur[fr]).astype(np.int64),
                    "CURRENT_FIX_X": np.char.mod("%.1f", gx[fr]), "CURRENT_FIX_Y": np.char.mod("%.1f", gy[fr]),
                    "CURRENT_FIX_PUPIL": pupil,
                    "PREVIOUS_SAC_AMPLITUDE": ["."] + [f"{a:.2f}" for a in amp],
                }))
    logs = out / "logs"
    s = _frame(samples)
    t = _frame(tobii, integer_columns=TOBII_PIXEL_COLUMNS)
    bar.update()
    bar.set_description(f"synth logs: writing samples.csv and tobii.tsv ({len(s):,} rows each)")
    if progress and not is_terminal():  # a step of a minute or more on a large study: the log says what it is
        print(f"synth logs: writing logs/samples.csv and logs/tobii.tsv ({len(s):,} rows each)", file=sys.stderr,
              flush=True)
    # the two large exports are written side by side: samples here, Tobii in a forked child
    _write_parallel([(s, logs / "samples.csv", {}), (t, logs / "tobii.tsv", {"sep": "\t"})])
    bar.set_description("synth logs")
    bar.update()
    e = pd.concat(eyelink, ignore_index=True)
    e.to_csv(logs / "eyelink_fixations.csv", index=False)
    pd.DataFrame(trials_rows, columns=["subject", "trial", "stimulus"]).to_csv(logs / "trials.csv", index=False)
    tf = pd.DataFrame(truth, columns=["subject", "stimulus", "trial", "index", "x", "y", "t_start_ms",
                                      "duration_ms", "target", "object"])
    tf.to_csv(out / "truth" / "fixations.csv", index=False)
    bar.update()
    bar.close()
    return {"scenes": cfg.scenes, "subjects": cfg.subjects, "samples": int(len(s)),
            "valid_samples": int(s["valid"].sum()), "true_fixations": int(len(tf)),
            "tracker_fixations": int(len(e))}


#: the point columns of the Tobii Pro Lab export, whole DACS pixels as Pro Lab writes them (946, not 946.0)
TOBII_PIXEL_COLUMNS = ("Gaze point X [DACS px]", "Gaze point Y [DACS px]", "Fixation point X [DACS px]",
                       "Fixation point Y [DACS px]")


def _frame(parts: list[dict], integer_columns=()) -> pd.DataFrame:
    """Concatenate per-trial column dicts into one DataFrame.

    Scalar string entries become categoricals (cheap to build and to write);
    ``integer_columns`` hold whole numbers with NaN for missing and become
    nullable integers, written as empty cells.
    """
    lengths = np.array([max(len(v) for v in p.values() if isinstance(v, np.ndarray)) for p in parts])
    cols = {}
    for name in parts[0]:
        vals = [p[name] for p in parts]
        if isinstance(vals[0], str):
            cats, codes = np.unique(np.array(vals), return_inverse=True)
            cols[name] = pd.Categorical.from_codes(np.repeat(codes, lengths), categories=cats)
        else:
            arr = np.concatenate(vals)
            cols[name] = pd.array(arr, dtype="Int64") if name in integer_columns else arr
    return pd.DataFrame(cols)


def _write_parallel(jobs) -> None:
    """Write ``(frame, path, to_csv kwargs)`` jobs; all but the first in forked children where possible."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods() or len(jobs) == 1:
        for job in jobs:
            _write_csv(*job)
        return
    from saliency.base.fsutil import signals_held

    ctx = mp.get_context("fork")
    children = [ctx.Process(target=_write_csv_child, args=(*job, os.getpid())) for job in jobs[1:]]
    with signals_held():  # a child forked now inherits a handler that only records Ctrl-C/SIGTERM
        for c in children:
            c.start()
    try:
        _write_csv(*jobs[0])
        for c in children:
            c.join()
    except BaseException:  # interrupted, or our own write failed: stop the children before the stage goes
        for c in children:
            if c.is_alive():
                c.kill()  # SIGKILL: nothing printed (their files are about to be removed with the stage)
        for c in children:
            c.join()
        raise
    failed = [(job[1], c.exitcode) for job, c in zip(jobs[1:], children) if c.exitcode != 0]
    if failed:
        path, code = failed[0]
        if code is not None and 1 < code < 126:  # the child's errno (a full disk: ENOSPC), see _write_csv_child
            raise OSError(code, os.strerror(code), str(path))
        raise OSError(f"could not write {', '.join(str(p) for p, _ in failed)}")


def _to_csv(frame: pd.DataFrame, path, kw) -> None:
    frame.to_csv(path, index=False, **kw)


def _write_csv(frame: pd.DataFrame, path, kw) -> None:
    """Write one table; a failed write (a full disk), which pandas reports naming no file, names ``path``."""
    try:
        _to_csv(frame, path, kw)
    except OSError as exc:
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def _write_csv_child(frame: pd.DataFrame, path, kw, parent_pid: int) -> None:
    """A forked child's job: Ctrl-C is the parent's to handle (it stops the child, then cleans up).

    SIGINT is ignored so that a Ctrl-C to the process group prints no child
    traceback; SIGTERM keeps its default action, and the child dies with
    its parent (the parent's staging folder is removed on every exit path).
    An interrupted parent kills its children before the staging folder goes
    (a child still writing there printed "Process ForkProcess-3:" as it
    went); a write that fails exits with its errno (else 1) and no
    traceback, and the parent names the file and the system's reason.
    """
    from saliency.base.workers import child_setup

    child_setup(parent_pid)
    try:
        _write_csv(frame, path, kw)
    except OSError as exc:  # the parent names the file and the system's reason (its errno is the exit status)
        os._exit(exc.errno if exc.errno is not None and 1 < exc.errno < 126 else 1)
    except Exception:  # the parent names the file in its one error line; no child traceback
        os._exit(1)

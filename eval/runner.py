"""Evaluate several methods on several datasets, in parallel, with identical results.

The driver behind ``saliency eval`` (PySODEvalToolkit's workflow: files
matched by stem, a prediction of another size resized to its GT with bilinear
interpolation, results per dataset and method). Each image is decoded once per
dataset and scored for every method in the same task; when ``workers > 1``
this process and a pool of ``workers - 1`` share the tasks (results consumed
in order, :func:`_shared_map`), and every random draw is
seeded by (seed, image index), so the numbers do not depend on ``workers``
(the sAUC "other images" are drawn by the accumulator's own sampler,
:func:`saliency.eval.fixation.other_fixation_coords`, and the per-image values
are fed to :class:`~saliency.eval.sod.SODMetrics` /
:class:`~saliency.eval.fixation.FixationMetrics` with ``add``). Errors name
the parameters (``pred``, ``allow_missing``), which the command line shows as
its flags.

For datasets with per-observer fixations (OSIE) the runner can add the gold
standard row (leave one subject out, :func:`gold_standard_scores`; the
"humans" row of the MIT benchmark), and a ``.npy`` log-density prediction is
scored as a density (:mod:`saliency.eval.probabilistic`: LL, IG, metric-specific maps).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError, cli_flag
from saliency.base.fsutil import check_unchanged, folder_identity, identity_with_files
from saliency.base.images import IMAGE_EXTS, shown_path
from saliency.base.names import same_name
from saliency.base.progress import progress as progress_bar
from saliency.base.workers import single_thread_blas, steady_heap

from saliency.eval.datasets import GTDataset, GTItem
from saliency.eval.fixation import (FixationMetrics, baseline_log_density, coords_to_mask, fixation_coords,
                                    fixated_images, fixation_image_scores, other_fixation_coords, points_to_mask,
                                    reads_baseline)
from saliency.eval.io import (PRED_EXTS, drop_extra_axes, frame_count, index_folder, key_of, load_npy,
                              orientation_tag, other_aspect, read_fixations, read_map, read_mask, read_pred_u8,
                              several_frames_note)
from saliency.eval.metrics import GOLD_STANDARD, families, keys_for  # noqa: F401 (GOLD_STANDARD re-exported)
from saliency.eval.sod import SODMetrics, sod_image_scores
from saliency.eval.tables import FEW_OBSERVERS, counted


@dataclass
class MethodResult:
    """Scores of one method on one dataset."""

    dataset: str
    method: str
    n_images: int
    metrics: dict
    curves: dict = field(default_factory=dict)
    n_resized: int = 0
    n_missing: int = 0
    n_skipped: int = 0
    excluded: dict = field(default_factory=dict)    # metric -> images left out (every metric, 0 too)
    skipped_examples: list = field(default_factory=list)
    skipped: list = field(default_factory=list)     # (image key, reason) of every image missing or skipped
    extra: list = field(default_factory=list)       # prediction files (relative paths) matching no GT image
    left_out: list = field(default_factory=list)    # files (relative paths) of the folder not read: other extensions
    no_fixations: list = field(default_factory=list)  # keys of images scored but left out of every metric: no fixations
    notes: list = field(default_factory=list)       # this call's notes on its dataset (aspect ratio, EXIF tags)
    multi_frame: list = field(default_factory=list)  # (prediction file, frames) of those of several frames (1st read)


GOLD_UNIFORM_WEIGHT = 0.1
"""Weight of the IG baseline density mixed into the gold standard's kernel density (its LL needs no zeros)."""


def _counts(points, shape) -> np.ndarray:
    """Count map of ``shape``: each (row, col) point adds 1 to its pixel (points outside are dropped)."""
    c = np.zeros((int(shape[0]), int(shape[1])), np.float64)
    p = np.asarray(points, dtype=np.int64).reshape(-1, 2)
    if len(p):
        ok = (p[:, 0] >= 0) & (p[:, 0] < c.shape[0]) & (p[:, 1] >= 0) & (p[:, 1] < c.shape[1])
        np.add.at(c, (p[ok, 0], p[ok, 1]), 1.0)
    return c


def _load_fixations(item: GTItem) -> np.ndarray | None:
    """The item's fixations: a count map for per-observer data, else a binary map; None for a human map only."""
    if item.subjects is not None:
        return _counts(item.points, item.size)
    if item.points is not None:
        return points_to_mask(item.points, item.size)
    if not item.gt:
        return None
    return read_fixations(item.gt)


def human_map(points, shape, sigma_px: float, blur=None) -> np.ndarray:
    """The continuous human map of fixation points: binary map (a pixel once), Gaussian blur (zero padding), min-max.

    OSIE's construction (:mod:`saliency.eval.datasets`); ``sigma_px`` 0 keeps the binary map. ``blur`` =
    (border, truncate): another construction's border and reach (SALICON's API: ``("reflect", 4.0)``,
    ``scipy.ndimage.gaussian_filter``).
    """
    from saliency.eval.probabilistic import blur_density

    m = blur_density(points_to_mask(points, shape).astype(np.float64), sigma_px, *(blur or (None, None)))
    mn, mx = m.min(), m.max()
    return (m - mn) / (mx - mn) if mx > mn else m


def read_prediction(path) -> tuple[np.ndarray, bool]:
    """A fixation prediction and whether it is a log-density (a ``.npy`` with negative values and logsumexp 0).

    Everything else is read by :func:`saliency.eval.io.read_map` (non-negative maps). A float ``.npy`` with
    negative values that is not a log-density (its logsumexp is not 0, or it holds -inf: probability 0, which
    LL cannot score) is refused with one line saying so and how to normalise it.
    """
    from saliency.eval.probabilistic import LOGSUMEXP_TOL, is_log_density, logsumexp

    p = Path(path)
    if p.suffix.lower() == ".npy":
        a = drop_extra_axes(load_npy(p))  # a (1, W) log-density stays 2-D
        if a.ndim == 2 and a.size and np.issubdtype(a.dtype, np.floating):
            if is_log_density(a):
                return a.astype(np.float64), True
            finite_or_neg_inf = ~np.isnan(a) & (a != np.inf)
            if finite_or_neg_inf.all() and a.min() < 0:  # negative values: meant as a log-density (NaN/+inf: read_map)
                what = "a .npy with negative values is read as a log-density (natural logs summing to 1 in probability)"
                fix = ("normalise it (log p - logsumexp(log p)) or write it with saliency predict `log_density`; "
                       "a plain saliency map must have no negative values")
                n_inf = int(np.isneginf(a).sum())
                if n_inf:
                    raise UserError(f"{p}: {what}, but {n_inf} pixel(s) are -inf (probability 0), which is not "
                                    "accepted (a fixation there would score -inf bits); give them a small finite "
                                    f"log-probability (e.g. log(1e-30) = -69.1), then {fix}")
                raise UserError(f"{p}: {what}, but its logsumexp is {logsumexp(a):.4g}, not 0 (tolerance "
                                f"{LOGSUMEXP_TOL:g}); {fix}")
    return read_map(path), False


def _reason(exc: UserError) -> str:
    """A skipped image's reason, kept in the results (never raised, so nothing renders it later): a backticked
    parameter, such as saliency predict's ``log_density``, spelled as its flag, as the command line prints the same
    message when it refuses the image."""
    return exc.render(cli_flag)


def gold_standard_scores(item: GTItem, metrics, *, baseline=None, other=None, seed: int = 0, index: int = 0,
                         sigma_px: float = 0.0, metric_maps: bool = False,
                         uniform_weight: float = GOLD_UNIFORM_WEIGHT, blur=None):
    """Leave-one-subject-out human consistency of one image: the mean over observers of their scores.

    Each observer's fixations (a count map) are scored, with every metric,
    against the other observers' fixations as a density: their Gaussian
    kernel density (``sigma_px``, the dataset's blur) mixed at
    ``uniform_weight`` with the IG baseline density (``baseline``; uniform when
    None). CC, KLD and SIM compare it with the observer's own human map (the
    dataset's construction, :func:`human_map`). Observers without fixations,
    or without another observer, are left out; None when none is left.
    """
    from saliency.eval import probabilistic as P
    from saliency.eval.fixation import FixationImageScores

    shape = tuple(item.size)
    subs = [s for s in (item.subjects or ()) if len(s)]
    if len(subs) < 2:
        return None
    if baseline is None:
        base = np.full(shape, 1.0 / (shape[0] * shape[1]))
    else:  # read as the IG baseline is (a plain map gets MIT's eps: min-max alone left a pixel at 0, where the
        # mixture's log was -inf whenever no other observer's blur reached it, every real OSIE image)
        b = np.exp(baseline_log_density(baseline, shape))
        base = b / b.sum()
    counts = [_counts(s, shape) for s in subs]
    bb = blur or (None, None)  # the dataset's border and reach, when it states them
    blurred = [P.blur_density(c, sigma_px, *bb) for c in counts]  # the blur is linear: others = total - own
    total = sum(blurred)
    rows = []
    for j, s in enumerate(subs):
        kde = np.clip(total - blurred[j], 0, None)
        if kde.sum() <= 0:
            continue
        kde = kde / kde.sum()
        logp = np.log((1.0 - uniform_weight) * kde + uniform_weight * base)
        own = counts[j] > 0
        dens = blurred[j] if counts[j].max() <= 1 else P.blur_density(own.astype(np.float64), sigma_px, *bb)
        lo, hi = dens.min(), dens.max()
        dens = (dens - lo) / (hi - lo) if hi > lo else dens  # the observer's own map (binary, blurred, min-max)
        sc = fixation_image_scores(logp, counts[j], dens, baseline, other=other,
                                   seed=seed, index=index, metrics=metrics, log_density=True,
                                   metric_maps=metric_maps, sigma_px=sigma_px, blur=blur)
        rows.append([sc.values[k] for k in metrics])
    if not rows:
        return None
    with np.errstate(all="ignore"):
        arr = np.array(rows, dtype=np.float64)
        vals = {}
        for i, k in enumerate(metrics):
            col = arr[:, i][np.isfinite(arr[:, i])]
            vals[k] = float(col.mean()) if col.size else float("nan")
    return FixationImageScores(vals)


def _sod_task(args):
    item, preds, families, allow_missing = args
    import cv2

    try:
        gt = read_mask(item.gt)
        if gt.size < 2:  # Fan et al.'s alignment matrix divides by the pixel count - 1: E-measure ~1e15, not [0, 1]
            why = (f"{item.gt}: a mask of {gt.shape[0]}x{gt.shape[1]} pixel has no meaningful E-measure "
                   "(PySODMetrics scores a 1-pixel image ~1e15, outside [0, 1])")
            if allow_missing:  # skipped, and the reason recorded: no advice to give the option that was given
                return ("gt", why)
            raise UserError(why + "; leave it out, or give `allow_missing` to skip it")
    except UserError as exc:
        if not allow_missing:
            raise
        return ("gt", _reason(exc))
    out = []
    for path in preds:
        if path is None:
            out.append(None)
            continue
        try:
            pred = read_pred_u8(path)
        except UserError as exc:
            if not allow_missing:
                raise
            out.append(("skip", _reason(exc)))
            continue
        shapes = (pred.shape, gt.shape) if other_aspect(pred.shape, gt.shape) else None
        resized = pred.shape != gt.shape
        if resized:
            pred = cv2.resize(pred, (gt.shape[1], gt.shape[0]), interpolation=cv2.INTER_LINEAR)
        out.append((sod_image_scores(pred, gt, families), resized, shapes, frame_count(path)))
    return ("ok", out, False, _tagged([item.gt]), _multi_frame([item.gt]))


def _tagged(paths) -> list:
    """(path, tag) of each ground-truth file of ``paths`` (None skipped) that carries an EXIF orientation tag."""
    return [(str(p), t) for p in paths if p and (t := orientation_tag(p)) != 1]


def _multi_frame(paths) -> list:
    """(path, frames) of each ground-truth file of ``paths`` (None skipped) of several frames, the first read
    (:func:`saliency.eval.io.frame_count`)."""
    return [(str(p), k) for p in paths if p and (k := frame_count(p)) > 1]


def _fix_coords_task(args):
    item, allow_missing = args
    try:
        fix = _load_fixations(item)
        return np.zeros((0, 2)) if fix is None else fixation_coords(fix)
    except UserError:
        if not allow_missing:
            raise
        return np.zeros((0, 2))


def _fix_task(args):
    item, preds, metrics, seed, index, other_coords, baseline_src, allow_missing, opts = args
    try:
        fix = _load_fixations(item)
        if item.density:
            density = read_map(item.density)
        elif item.sigma_px is not None and item.points is not None:
            density = human_map(item.points, item.size, item.sigma_px, opts.get("blur"))
        else:
            density = None
        shape = fix.shape if fix is not None else (density.shape if density is not None else None)
        if shape is None:
            raise UserError(f"{item.key}: neither fixations nor a human map")
        if density is not None and density.shape != shape:
            raise UserError(f"{item.density}: human map is {density.shape[1]}x{density.shape[0]} but the fixation "
                            f"map is {shape[1]}x{shape[0]}; they must match")
        # a plain map, or a log-density .npy as saliency predict --log-density writes it (scored as a density)
        if isinstance(baseline_src, _SharedArray):
            baseline = baseline_src.array()
        else:
            baseline = read_prediction(baseline_src)[0] if isinstance(baseline_src, str) else baseline_src
    except UserError as exc:
        if not allow_missing:
            raise
        return ("gt", _reason(exc))
    other = coords_to_mask(other_coords, shape) if other_coords is not None else None
    kw = dict(seed=seed, index=index, metric_maps=opts.get("metric_maps", False), sigma_px=opts.get("sigma_px", 0.0),
              blur=opts.get("blur"))
    out = []
    if opts.get("gold_standard"):
        sc = gold_standard_scores(item, metrics, baseline=baseline, other=other, **kw) if fix is not None else None
        out.append((sc, False) if sc is not None else ("skip", f"{item.key}: {FEW_OBSERVERS}"))
    for path in preds:
        if path is None:
            out.append(None)
            continue
        try:
            pred, is_log = read_prediction(path)
        except UserError as exc:
            if not allow_missing:
                raise
            out.append(("skip", _reason(exc)))
            continue
        sc = fixation_image_scores(pred, fix, density, baseline, other=other, log_density=is_log, metrics=metrics,
                                   **kw)
        out.append((sc, pred.shape != shape, (pred.shape, shape) if other_aspect(pred.shape, shape) else None,
                    frame_count(path)))
    # then: no fixation at all (what its metrics lack), the GT files read that carry an EXIF orientation tag and
    # those of several frames
    read = [item.gt if item.subjects is None and item.points is None else None, item.density]
    # an image's own IG baseline (FIXATIONHISTOGRAM/) is a ground-truth file read by its first frame too
    return ("ok", out, fix is not None and not fix.any(), _tagged(read), _multi_frame(read + [item.baseline]))


_SHARED_READ: tuple = (None, None)
"""(token, array) of the :class:`_SharedArray` this process read last (one dataset's baseline at a time)."""


class _SharedArray:
    """A dataset-wide array (the IG baseline) sent to a pool process once per dataset, not with every chunk.

    Pickled, it is only the path of a ``.npy`` holding the array, written once
    by :func:`_shared_array`: a pool process reads it at its first task of the
    dataset and keeps it (:data:`_SHARED_READ`, the latest one only) for the
    rest, the same float64 values bit for bit. In the process that made it
    the array is at hand (never read back). A 600x800 baseline was 3.8 MB in
    every 4-image chunk (issue 15).
    """

    def __init__(self, array: np.ndarray, path: str, token: str):
        self._array, self.path, self.token = array, path, token

    def __getstate__(self):
        return {"path": self.path, "token": self.token}  # the array stays in this process

    def __setstate__(self, state):
        self._array, self.path, self.token = None, state["path"], state["token"]

    def array(self) -> np.ndarray:
        global _SHARED_READ
        if self._array is None:
            if _SHARED_READ[0] != self.token:
                _SHARED_READ = (None, None)  # the previous dataset's is let go before this one is read
                _SHARED_READ = (self.token, np.load(self.path, allow_pickle=False))
            self._array = _SHARED_READ[1]
        return self._array


@contextlib.contextmanager
def _shared_array(array: np.ndarray):
    """A :class:`_SharedArray` of ``array``, its file in a temporary folder removed when the context ends.

    Where the temporary folder cannot be made or written (a full or read-only ``TMPDIR``: a numpy short write is
    an OSError without an errno, which read as a failure of the system), ``array`` itself is given instead, sent
    with every chunk as before: slower, the same numbers, never a refusal (review RR9).
    """
    import shutil
    import tempfile
    import uuid

    try:
        tmp = tempfile.mkdtemp(prefix="saliency-eval-")
    except OSError:
        yield array
        return
    try:
        token = uuid.uuid4().hex
        path = str(Path(tmp) / f"{token}.npy")
        try:
            np.save(path, array, allow_pickle=False)
        except OSError:
            shared = array
        else:
            shared = _SharedArray(array, path, token)
        yield shared
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fix_results(rows: list, coords, seed: int, n_others: int, workers: int, desc: str, progress: bool, pool):
    """:func:`_fix_task` over ``rows`` (see :func:`_map`), a dataset-wide baseline array sent to the pool once.

    The rows that carry the dataset's baseline array (OSIE's fitted centre bias) carry a :class:`_SharedArray`
    of it instead when a pool shares the work; the numbers do not change.
    """
    with contextlib.ExitStack() as stack:
        arrays = {id(r[6]): r[6] for r in rows if isinstance(r[6], np.ndarray)}
        if workers > 1 and len(rows) > 1 and arrays:
            shared = {k: stack.enter_context(_shared_array(a)) for k, a in arrays.items()}
            rows = [r[:6] + (shared[id(r[6])],) + r[7:] if isinstance(r[6], np.ndarray) else r for r in rows]
        yield from _map(_fix_task, _FixTasks(rows, coords, seed, n_others), workers, desc, progress, pool)


class _FixTasks:
    """The fixation tasks of one dataset, each given its sAUC "other images" when it is handed out.

    A task (a tuple for :func:`_fix_task`) carries the coordinates of the
    other images drawn for it (:func:`other_fixation_coords`, from ``coords``,
    the whole pool): made as the task is taken (iterated, or a chunk sliced
    for a pool process), so only the tasks in flight hold theirs, and a pool
    process receives its tasks' draws, never the pool. ``rows``: the tasks with
    None in place of the draw; ``coords`` None: no sAUC, nothing drawn.
    """

    def __init__(self, rows: list, coords: list | None, seed: int, n_others: int):
        self.rows, self.coords, self.seed, self.n_others = rows, coords, seed, n_others
        self.fixated = fixated_images(coords) if coords is not None else None  # found once, not per image

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self._task(i) for i in range(len(self.rows))[k]]
        return self._task(range(len(self.rows))[k])

    def __iter__(self):
        return (self._task(i) for i in range(len(self.rows)))

    def _task(self, i: int) -> tuple:
        row = self.rows[i]
        if self.coords is None:
            return row
        other = other_fixation_coords(self.coords, i, self.seed, self.n_others, self.fixated)
        return row[:5] + (other,) + row[6:]


def _run_chunk(fn, chunk):
    """``fn`` over one chunk of tasks (what a pool process runs)."""
    return [fn(t) for t in chunk]


def start_pool(workers: int):
    """The pool of ``workers - 1`` processes that shares a run's tasks with this process, started now; None for 1.

    One pool serves every map of a run (each dataset; the fixation task's
    coordinates, then its scores), so its start-up is paid once.
    """
    from saliency.base.workers import spawn_pool

    return spawn_pool(workers - 1, (__name__,)) if workers > 1 else None


def _map(fn, tasks, workers, desc, progress, pool=None):
    """``fn`` over ``tasks``, results in order; ``workers`` processes, this one included (see :func:`_shared_map`).

    This process scores images too, so it keeps its freed memory in the heap
    between them (:func:`saliency.base.workers.steady_heap`), as pool workers do. The bar counts the images
    scored: with a pool, a chunk as it finishes (whichever process scored it), not as its results are handed
    back in order (the pool's chunks, from the end of the list, waited for the front). Alone (one worker), it
    holds BLAS to one thread but keeps OpenCV's: on the OSIE test split a second BLAS thread only spun (twice
    the CPU time, the same wall time on an idle machine, 2-2.5x the wall time on a loaded one), while OpenCV's
    threads share the SOD distance transform (docs/BENCHMARKS.md, stop 14).
    """
    steady_heap()
    bar = progress_bar(total=len(tasks), desc=desc, unit="img", enabled=progress, leave=False)
    try:
        if workers > 1 and len(tasks) > 1:
            yield from _shared_map(fn, tasks, workers, pool, on_done=bar.update)
        else:
            with single_thread_blas():  # OpenCV keeps its threads (the distance transform gains); BLAS only spun
                for t in tasks:
                    r = fn(t)
                    bar.update(1)
                    yield r
    finally:
        bar.close()


def _shared_map(fn, tasks, workers, pool=None, on_done=None):
    """Results of ``fn`` over ``tasks`` in order, computed by ``workers - 1`` pool processes and this process.

    Small chunks are handed out on demand: the pool is kept two chunks per
    process ahead, taken from the end of the list, while this process takes
    the next chunk from the front whenever it is free. So this process works
    while the pool is still starting (spawn imports the package and OpenCV,
    about a third of a second), the results it needs next are the ones it
    makes, and no process waits for a long fixed share at the end. Which
    process scores an image does not change its numbers (every draw is
    seeded by the image's index). ``pool``: a running :func:`start_pool` of
    ``workers - 1`` processes (default: one started here, for this map).
    ``on_done``: called with the number of tasks of each chunk as it finishes (a progress bar's ``update``), in
    the order the chunks finish, before their results are handed back.
    """
    size = max(1, min(4, len(tasks) // (8 * workers)))
    import cv2

    threads = cv2.getNumThreads()
    cv2.setNumThreads(0)  # this process computes like a pool worker: one OpenCV and one BLAS thread
    try:
        with contextlib.ExitStack() as stack:
            ex = pool if pool is not None else stack.enter_context(start_pool(workers))
            stack.enter_context(single_thread_blas())
            yield from _drain(fn, tasks, workers, size, ex, on_done)
    finally:
        cv2.setNumThreads(threads)


def _drain(fn, tasks, workers, size, ex, on_done=None):
    """The scheduling loop of :func:`_shared_map` (``ex``: the pool of ``workers - 1`` processes; ``on_done``: told
    each chunk's size when it finishes)."""
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, wait

    n = len(tasks)
    todo = deque(range(0, n, size))
    done: dict[int, list] = {}
    pending: dict = {}
    nxt = 0
    told = on_done or (lambda k: None)
    while nxt < n:
        for fut in [f for f in pending if f.done()]:
            done[pending.pop(fut)] = out = fut.result()
            told(len(out))
        while todo and len(pending) < 2 * (workers - 1):
            start = todo.pop()
            pending[ex.submit(_run_chunk, fn, tasks[start:start + size])] = start
        if nxt in done:
            out = done.pop(nxt)
            nxt += len(out)
            yield from out
        elif todo:
            start = todo.popleft()
            done[start] = out = _run_chunk(fn, tasks[start:start + size])
            told(len(out))
        else:
            wait(list(pending), return_when=FIRST_COMPLETED)


@contextlib.contextmanager
def method_errors(name: str | None):
    """A :class:`UserError` raised inside marked as the refusal of method ``name`` (:func:`method_of`), whatever
    its words: a caller that names the method otherwise (a config file's method) finds it by the mark. ``None``
    (an input that is no method's, such as the ground truth) marks nothing."""
    try:
        yield
    except UserError as exc:
        if name is not None and method_of(exc) is None:
            exc.method = name
        raise


def method_of(exc: UserError) -> str | None:
    """The method whose folder ``exc`` refuses (:func:`method_errors`); None for any other refusal."""
    return getattr(exc, "method", None)


def _match(ds: GTDataset, methods: list[tuple[str, str]], task: str, allow_missing: bool, unnamed=()):
    """Index every method's folder and match it to the GT keys (``unnamed``: :func:`evaluate_dataset`'s).

    Per method: (its file per GT item or None, the number without one, its
    files that match no GT item as sorted '/'-separated paths in the folder,
    the files left out for their extension, the same way, :func:`_case_twins`
    of the GT items without a file, its :func:`folder_source` and how a
    refusal names it after ``pred``: ``DIR`` as typed, else ``NAME=DIR``).
    A refusal of a method's folder is marked as that method's (:func:`method_errors`).
    """
    exts = IMAGE_EXTS if task == "sod" else PRED_EXTS
    per_method = []
    for name, folder in methods:
        with method_errors(name):  # any refusal here is this method's: so marked, whatever its words
            top = folder_identity(folder)  # before it is indexed: a folder renamed onto it later is another folder
            prefix = "" if name in unnamed else f"{name}="  # `pred` DIR as typed: NAME= only where given
            shown = f"{prefix}{folder}"
            idx = index_folder(folder, exts, param="pred", prefix=prefix)
            found = [idx.get(it.key) for it in ds.items]
            # a bare-stem alias (GT ``x`` finding ``sub/x.png``) never takes a file another GT item names exactly
            exact = {p for it, p in zip(ds.items, found) if p is not None and key_of(p, folder) == it.key}
            found = [p if p is None or key_of(p, folder) == it.key or p not in exact else None
                     for it, p in zip(ds.items, found)]
            missing = [it.key for it, p in zip(ds.items, found) if p is None]
            used = {p for p in found if p is not None}
            case = _case_twins(missing, idx, used, folder)
            hint = ""
            if case:
                key = next(iter(case))
                hint = (f"; {key}: {case[key]}"
                        + (f" ({len(case)} images have such a file)" if len(case) > 1 else ""))
            if missing and not allow_missing:
                ex = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
                advice = "; pass `allow_missing` to evaluate the intersection" if len(case) < len(missing) else ""
                raise UserError(f"`pred` {shown}: {len(missing)} of {len(ds.items)} images in {ds.name} have no "
                                f"prediction (e.g. {ex}){hint}{advice}")
            if len(missing) == len(ds.items):
                raise UserError(f"`pred` {shown}: no file matches a ground-truth stem of {ds.name} "
                                f"(e.g. {ds.items[0].key}); predictions must be named <stem>.png{hint}")
            extra = sorted(p.relative_to(folder).as_posix() for p in set(idx.values()) - used)
            left_out = [p.relative_to(folder).as_posix() for p in getattr(idx, "left_out", ())]
            source = folder_source(top, [p for p in found if p is not None], "pred", shown, method=name)
            per_method.append((found, len(missing), extra, left_out, case, source, shown))
    return per_method


def folder_source(top: tuple, files, label: str, shown, method: str | None = None) -> tuple:
    """``(ids, label, shown, files, method)``: what an input of a run was when it was indexed, for
    :func:`check_sources`; ``method``: the method whose folder it is (its refusal so marked: :func:`method_of`).

    ``top``: :func:`saliency.base.fsutil.folder_identity` of the folder (or file) as given, taken before it was
    indexed; joined here with the identity of each folder holding one of ``files`` (the files listed to be read:
    masks/, maps/, fixations/ ...). ``label``/``shown``: the option and value that named it (``pred`` and
    ``M=DIR``, ``gt`` and ``DIR``), as the refusal names it (:func:`saliency.base.fsutil.replaced_error`).
    """
    files = [str(f) for f in files if f and isinstance(f, (str, os.PathLike))]
    return identity_with_files(top, files), label, str(shown), files, method


def gt_files(ds: GTDataset) -> list:
    """The ground-truth files of ``ds`` that scoring reads (masks, fixation and human maps, IG baselines)."""
    files = [f for it in ds.items for f in (it.gt, it.density, it.baseline)]
    return [f for f in files + [ds.baseline] if f and isinstance(f, str)]


def check_sources(sources) -> None:
    """Refuse (:func:`saliency.base.fsutil.replaced_error`, naming the option) when a folder of ``sources``
    (:func:`folder_source`) is not the one indexed: replaced while this run read it, its scores a mix of two."""
    for ids, label, shown, _, method in sources:
        with method_errors(method):
            check_unchanged(ids, label, shown=shown)


def _refuse_changed(sources) -> None:
    """:func:`check_sources`, then the same refusal for a source one of whose listed files is gone (another run
    rewrote it): what a read that failed meant, rather than its "file not found"."""
    check_sources(sources)
    for ids, label, shown, files, method in sources:
        with method_errors(method):
            check_unchanged(ids, label, files, shown=shown)


def _guarded(results, sources):
    """``results`` (an image-reading map) as they come; a refusal raised while reading is that of
    :func:`_refuse_changed` when an input folder was replaced or lost a listed file meanwhile."""
    try:
        yield from results
    except UserError:
        _refuse_changed(sources)
        raise


def _case_twins(missing: list[str], idx, used: set, folder) -> dict[str, str]:
    """Each key of ``missing`` for which a file of ``idx`` that no image took has a key equal but for case
    (casefold): key -> the words naming that file ('/'-separated path in ``folder``) and what to do, or naming the
    several such files (each differing from the key, not from one another, only in case) and the name to give the
    one meant. Only said, never matched: two files whose names differ only in case can both exist, and the one
    meant cannot be told."""
    free: dict[str, list[Path]] = {}
    for k, p in idx.items():
        if p not in used:
            free.setdefault(k.casefold(), []).append(p)
    out = {}
    for key in missing:
        paths = sorted(set(free.get(key.casefold(), ())))
        names = " and ".join(p.relative_to(folder).as_posix() for p in paths)
        if len(paths) == 1:
            out[key] = f"found {names}, which differs only in case; rename it to match"
        elif paths:
            exts = {p.suffix for p in paths}
            to = f"{key}{exts.pop()}" if len(exts) == 1 else f"{key} (keeping its extension)"
            out[key] = f"found {names}, each differing from {key} only in case; rename the one meant for it to {to}"
    return out


def _no_prediction(key: str, case: dict[str, str]) -> str:
    """The reason an image without a prediction is skipped: its case twin named (:func:`_case_twins`)."""
    if key in case:
        return f"no prediction; {case[key]}"
    return "no prediction"


def evaluate_dataset(ds: GTDataset, methods: list[tuple[str, str]], *, metrics=None, workers: int = 1,
                     allow_missing: bool = False, seed: int = 0, progress: bool = True,
                     gold_standard: bool = False, metric_maps: bool = False, pool=None,
                     sources=None, unnamed=()) -> list[MethodResult]:
    """Score every method of ``methods`` ((name, folder) pairs) on one dataset.

    ``metrics``: the keys to compute (default: every metric of the dataset's
    task); ``workers``: processes (the numbers do not depend on it), sharing
    ``pool`` (a running :func:`start_pool` of ``workers - 1``) when given;
    ``allow_missing``: score the images that have a prediction and skip
    unreadable files, counting both (each result names them in ``skipped``,
    with the reason, and its files that match no image in ``extra``);
    ``seed``: AUC-Borji and sAUC draws.
    ``gold_standard`` (fixation datasets with per-observer fixations) adds the
    row :data:`GOLD_STANDARD` first (:func:`gold_standard_scores`);
    ``metric_maps`` scores each method by the metric-specific maps of its
    density (:func:`saliency.eval.probabilistic.metric_map`).
    ``sources``: the ground truth's :func:`folder_source` entries, taken before it was indexed (default: its
    folders now); with each prediction folder's, checked after the last read: a folder replaced meanwhile (or a
    listed file gone) is refused, not scored as a mix (:func:`check_sources`).
    ``unnamed``: the names of the methods given as a bare ``pred`` DIR (their name is the folder's): a message
    names such a folder as ``pred`` DIR, as typed; every other method as ``pred`` NAME=DIR.
    """
    if not ds.items:
        raise UserError(f"{ds.name}: the ground truth has no images")
    task = ds.task
    keys = tuple(metrics) if metrics else keys_for(task)
    if gold_standard and (task != "fixation" or not ds.has_subjects):
        raise UserError(f"`gold_standard` is computed for `dataset` OSIE only (its fixations are read per "
                        f"observer); those of {ds.name} are not")
    if sources is None:
        files = gt_files(ds)
        root = _gt_root(ds.items) if files else None
        sources = [folder_source(folder_identity(root), files, "gt", root)] if root else []
    matched = _match(ds, methods, task, allow_missing, unnamed)
    sources = [*sources, *(m[5] for m in matched)]
    tasks_preds = [[str(m[0][i]) if m[0][i] is not None else None for m in matched] for i in range(len(ds.items))]
    if task == "sod":
        accs = [SODMetrics(keys) for _ in methods]
        fams = families(keys)
        tasks = [(it, tp, fams, allow_missing) for it, tp in zip(ds.items, tasks_preds)]
        results_iter = _map(_sod_task, tasks, workers, f"{ds.name}", progress, pool)
    else:
        accs = [FixationMetrics(keys, seed=seed) for _ in methods]
        coords = None
        if "sAUC" in keys:
            coords = list(_guarded(_map(_fix_coords_task, [(it, allow_missing) for it in ds.items], workers,
                                        f"{ds.name} fixations", progress, pool), sources))
        if gold_standard:
            accs.insert(0, FixationMetrics(keys, seed=seed))
        opts = {"gold_standard": gold_standard, "metric_maps": metric_maps, "sigma_px": float(ds.sigma_px or 0.0),
                "blur": ds.blur}
        rows = [(it, tp, keys, seed, i, None, it.baseline or ds.baseline or ds.baseline_logp, allow_missing, opts)
                for i, (it, tp) in enumerate(zip(ds.items, tasks_preds))]
        results_iter = _fix_results(rows, coords, seed, accs[0].n_others, workers, f"{ds.name}", progress, pool)
    res = [MethodResult(ds.name, name, 0, {}, n_missing=matched[j][1], extra=matched[j][2], left_out=matched[j][3],
                        skipped=[(it.key, _no_prediction(it.key, matched[j][4]))
                                 for it, p in zip(ds.items, matched[j][0]) if p is None])
           for j, (name, _) in enumerate(methods)]
    found = [m[0] for m in matched]  # per method, per image: its prediction file or None
    folders = [folder for _, folder in methods]
    shown = [m[6] for m in matched]  # per method: `pred` [NAME=]DIR as the user gave it (_match)
    if task == "fixation" and gold_standard:
        res.insert(0, MethodResult(ds.name, GOLD_STANDARD, 0, {}))
        found.insert(0, [True] * len(ds.items))
        folders.insert(0, None)
        shown.insert(0, GOLD_STANDARD)
    tagged: list = []  # (GT file, orientation tag) of the ground truth read
    gt_frames: list = []  # (GT file, frames) of the ground truth read of several frames
    turned: list = [[] for _ in res]  # per method: (prediction file, its shape, the GT's) of another aspect ratio
    for i, r in enumerate(_guarded(results_iter, sources)):
        status, payload, *rest = r
        no_fix = bool(rest and rest[0])  # an image without fixations: its fixation metrics are undefined
        tagged += rest[1] if len(rest) > 1 else []
        gt_frames += rest[2] if len(rest) > 2 else []
        if status == "gt":
            for mr, f in zip(res, found):
                if f[i] is None:  # counted already among the images without a prediction
                    continue
                mr.n_skipped += 1
                mr.skipped.append((ds.items[i].key, payload))
                if len(mr.skipped_examples) < 3:
                    mr.skipped_examples.append(payload)
            continue
        for j, entry in enumerate(payload):
            if entry is None:
                continue
            if entry[0] == "skip":
                res[j].n_skipped += 1
                res[j].skipped.append((ds.items[i].key, entry[1]))
                if len(res[j].skipped_examples) < 3:
                    res[j].skipped_examples.append(entry[1])
                continue
            sc, resized, *more = entry  # then: the shapes of another aspect ratio, the file's frames
            if more and more[0] is not None:
                turned[j].append((found[j][i], *more[0]))
            if len(more) > 1 and more[1] > 1:
                res[j].multi_frame.append((found[j][i], more[1]))
            accs[j].add(sc)
            if no_fix and not any(np.isfinite(sc.values.get(k, np.nan)) for k in keys):  # in no mean: named
                res[j].no_fixations.append(ds.items[i].key)
            res[j].n_resized += int(resized)
    baseline_frames = []  # the dataset-wide IG baseline map (--center-bias, center_bias.png): its frames, read once
    if task == "fixation" and isinstance(ds.baseline, str) and not all(it.baseline for it in ds.items):
        if reads_baseline(keys, metric_maps, gold_standard, ds):
            baseline_frames = [(ds.baseline, k)] if (k := frame_count(ds.baseline)) > 1 else []
    check_sources(sources)  # the last read done: every input still the folder indexed, else no result of a mix
    notes = (_shape_notes(res, turned, folders) + _orientation_notes(tagged)  # kept with the results: ds unchanged
             + _frame_notes(res, gt_frames, folders, ds.items, baseline_frames))
    for mr in res:
        mr.notes = list(notes)
    order = {it.key: i for i, it in enumerate(ds.items)}
    for j, mr in enumerate(res):
        mr.skipped.sort(key=lambda e: order.get(e[0], 0))  # in image order, the missing among the unreadable
        if len(accs[j]) == 0:
            with method_errors(mr.method):
                raise UserError(f"`pred` {shown[j]}: no image of {ds.name} could be scored "
                                f"({'; '.join(mr.skipped_examples) or 'no matching files'})")
        out = accs[j].results()
        mr.n_images = out["n_images"]
        mr.curves = out.get("curves", {})
        mr.excluded = dict(out["excluded"])
        mr.metrics = {k: out[k] for k in keys}
    return res


def _shape_notes(res: list[MethodResult], turned: list, folders: list) -> list[str]:
    """Per method, one note counting its predictions of another aspect ratio than their ground truth (off by more
    than 1 % and not the ground truth scaled by one factor with both sides rounded alike, as 6x3 is 11x5 halved:
    :func:`saliency.eval.io.other_aspect`): resized onto it like any other size, but such a map is likely turned
    90 degrees or of another picture, and its scores then mean little."""
    notes = []
    for mr, rows, folder in zip(res, turned, folders):
        if not rows:
            continue
        path, (ph, pw), (gh, gw) = rows[0][0], rows[0][1][:2], rows[0][2][:2]
        try:
            name = Path(path).relative_to(folder).as_posix()
        except (TypeError, ValueError):
            name = Path(path).name
        n = len(rows)
        its = "its" if n == 1 else "their"
        notes.append(f"{mr.method}: {counted(n, 'prediction')} of another aspect ratio than {its} ground truth "
                     f"stretched onto it (e.g. {shown_path(name)} is {pw}x{ph}, its ground truth {gw}x{gh}); such a "
                     "map may be turned 90 degrees or of another picture: check it")
    return notes


def _frame_notes(res: list[MethodResult], gt_frames: list, folders: list, items=(), baseline=()) -> list[str]:
    """One note counting the ground-truth files read of several frames (a multi-page TIFF, an animated PNG or
    WebP), each named relative to the dataset's folder (:func:`_gt_root` of ``items``: ``maps/b.png`` and
    ``fixations/b.png`` are two files), one naming the dataset-wide IG baseline map of several frames
    (``baseline``: its ``(path, frames)``, if any, named as given), then per method one counting its predictions
    of several frames: of each only the first frame was read (OpenCV's decoding), in predict's words
    (:func:`saliency.eval.io.several_frames_note`)."""
    notes = []
    root = _gt_root(items) if gt_frames else None
    note = several_frames_note([(_under(p, root), k) for p, k in gt_frames], "ground-truth file")
    if note:
        notes.append(note)
    note = several_frames_note(list(baseline), "IG baseline map")
    if note:
        notes.append(note)
    for mr, folder in zip(res, folders):
        rows = []
        for path, k in mr.multi_frame:
            try:
                rows.append((Path(path).relative_to(folder).as_posix(), k))
            except (TypeError, ValueError):
                rows.append((Path(path).name, k))
        note = several_frames_note(rows, "prediction")
        if note:
            notes.append(f"{mr.method}: {note}")
    return notes


def _gt_root(items) -> str | None:
    """The deepest folder holding every ground-truth file of ``items`` (masks, fixation and human maps, per-image
    baselines): the dataset's folder as its files tell it; None without files or without a common folder."""
    dirs = {os.path.dirname(f) for it in items for f in (it.gt, it.density, it.baseline) if f and isinstance(f, str)}
    try:
        return os.path.commonpath(sorted(dirs)) if dirs else None
    except ValueError:  # absolute and relative paths mixed, or other drives
        return None


def _under(path, root) -> str:
    """``path`` relative to ``root`` ('/'-separated) where it lies under it, else as given (as
    :func:`saliency.datasets.frames_notes` names a dataset's files)."""
    try:
        return Path(path).relative_to(root).as_posix()
    except (TypeError, ValueError):
        return str(path)


def _orientation_notes(tagged: list) -> list[str]:
    """One note, in ingest's words for stimuli, counting the ground-truth files read that carry an EXIF orientation
    tag (read as stored, as every command reads them; a viewer shows them turned)."""
    if not tagged:
        return []
    path, tag = tagged[0]
    many = f"{len(tagged)} ground-truth files carry" if len(tagged) > 1 else "1 ground-truth file carries"
    return [f"{many} an EXIF orientation tag (e.g. {shown_path(Path(path).name)}: {tag}); read as stored"]


def method_folders(methods: list[tuple[str, object]], dataset: str) -> list[tuple[str, str]]:
    """Resolve each method's prediction folder for ``dataset`` (a folder, a ``{dataset}`` template or a dict)."""
    out = []
    dataset = str(dataset)  # a name given as a number (a config's `2012:`) fills the template as its text
    for name, spec in methods:
        if isinstance(spec, dict):  # a key in the other Unicode form (NFC/NFD) names the same dataset
            key = same_name(spec, dataset)
            if key is None:
                continue
            folder = spec[key]
        else:
            folder = str(spec).replace("{dataset}", dataset)
        out.append((name, str(Path(folder))))
    return out

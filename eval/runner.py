"""Evaluate several methods on several datasets, in parallel, with identical results.

The driver behind ``saliency eval`` (PySODEvalToolkit's workflow: files
matched by stem, a prediction of another size resized to its GT with bilinear
interpolation, results per dataset and method). Each image is decoded once per
dataset and scored for every method in the same task; tasks run in a process
pool when ``workers > 1`` and are consumed in order, and every random draw is
seeded by (seed, image index), so the numbers do not depend on ``workers``
(the sAUC "other images" are drawn by the accumulator's own sampler,
:func:`saliency.eval.fixation.other_fixation_coords`, and the per-image values
are fed to :class:`~saliency.eval.sod.SODMetrics` /
:class:`~saliency.eval.fixation.FixationMetrics` with ``add``). Errors name
the parameters (``pred``, ``allow_missing``), which the command line shows as
its flags.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError
from saliency.base.images import IMAGE_EXTS
from saliency.base.progress import progress as progress_bar
from saliency.base.workers import process_pool

from saliency.eval.datasets import GTDataset, GTItem
from saliency.eval.fixation import (FixationMetrics, coords_to_mask, fixation_coords, fixation_image_scores,
                                    other_fixation_coords, points_to_mask)
from saliency.eval.io import PRED_EXTS, index_folder, read_fixations, read_map, read_mask, read_pred_u8
from saliency.eval.metrics import families, keys_for
from saliency.eval.sod import SODMetrics, sod_image_scores


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


def _load_fixations(item: GTItem) -> np.ndarray:
    if item.points is not None:
        return points_to_mask(item.points, item.size)
    return read_fixations(item.gt)


def _sod_task(args):
    item, preds, families, allow_missing = args
    import cv2

    try:
        gt = read_mask(item.gt)
    except UserError as exc:
        if not allow_missing:
            raise
        return ("gt", str(exc))
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
            out.append(("skip", str(exc)))
            continue
        resized = pred.shape != gt.shape
        if resized:
            pred = cv2.resize(pred, (gt.shape[1], gt.shape[0]), interpolation=cv2.INTER_LINEAR)
        out.append((sod_image_scores(pred, gt, families), resized))
    return ("ok", out)


def _fix_coords_task(args):
    item, allow_missing = args
    try:
        return fixation_coords(_load_fixations(item))
    except UserError:
        if not allow_missing:
            raise
        return np.zeros((0, 2))


def _fix_task(args):
    item, preds, metrics, seed, index, other_coords, baseline_path, allow_missing = args
    try:
        fix = _load_fixations(item)
        density = read_map(item.density) if item.density else None
        if density is not None and density.shape != fix.shape:
            raise UserError(f"{item.density}: human map is {density.shape[1]}x{density.shape[0]} but the fixation "
                            f"map is {fix.shape[1]}x{fix.shape[0]}; they must match")
        baseline = read_map(baseline_path) if baseline_path else None
    except UserError as exc:
        if not allow_missing:
            raise
        return ("gt", str(exc))
    other = coords_to_mask(other_coords, fix.shape) if other_coords is not None else None
    out = []
    for path in preds:
        if path is None:
            out.append(None)
            continue
        try:
            pred = read_map(path)
        except UserError as exc:
            if not allow_missing:
                raise
            out.append(("skip", str(exc)))
            continue
        sc = fixation_image_scores(pred, fix, density, baseline, other=other, seed=seed, index=index,
                                   metrics=metrics)
        out.append((sc, pred.shape != fix.shape))
    return ("ok", out)


def _map(fn, tasks, workers, desc, progress):
    bar = progress_bar(total=len(tasks), desc=desc, unit="img", enabled=progress, leave=False)
    try:
        if workers > 1 and len(tasks) > 1:
            # spawn, not fork: a forked child inherits OpenCV's thread pool in
            # whatever locked state the parent left it and can deadlock.
            ctx = multiprocessing.get_context("spawn")
            with process_pool(workers, mp_context=ctx) as ex:
                for r in ex.map(fn, tasks, chunksize=max(1, min(16, len(tasks) // (4 * workers)))):
                    bar.update(1)
                    yield r
        else:
            for t in tasks:
                r = fn(t)
                bar.update(1)
                yield r
    finally:
        bar.close()


def _match(ds: GTDataset, methods: list[tuple[str, str]], task: str, allow_missing: bool):
    """Index every method's folder and match it to the GT keys."""
    exts = IMAGE_EXTS if task == "sod" else PRED_EXTS
    per_method = []
    for name, folder in methods:
        idx = index_folder(folder, exts, param="pred", prefix=f"{name}=")
        found = [idx.get(it.key) for it in ds.items]
        missing = [it.key for it, p in zip(ds.items, found) if p is None]
        if missing and not allow_missing:
            ex = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise UserError(f"`pred` {name}={folder}: {len(missing)} of {len(ds.items)} {ds.name} images have no "
                            f"prediction (e.g. {ex}); pass `allow_missing` to evaluate the intersection")
        if len(missing) == len(ds.items):
            raise UserError(f"`pred` {name}={folder}: no file matches a {ds.name} ground-truth stem "
                            f"(e.g. {ds.items[0].key}); predictions must be named <stem>.png")
        per_method.append((found, len(missing)))
    return per_method


def evaluate_dataset(ds: GTDataset, methods: list[tuple[str, str]], *, metrics=None, workers: int = 1,
                     allow_missing: bool = False, seed: int = 0, progress: bool = True) -> list[MethodResult]:
    """Score every method of ``methods`` ((name, folder) pairs) on one dataset.

    ``metrics``: the keys to compute (default: every metric of the dataset's
    task); ``workers``: processes (the numbers do not depend on it);
    ``allow_missing``: score the images that have a prediction and skip
    unreadable files, counting both; ``seed``: AUC-Borji and sAUC draws.
    """
    if not ds.items:
        raise UserError(f"{ds.name}: the ground truth has no images")
    task = ds.task
    keys = tuple(metrics) if metrics else keys_for(task)
    matched = _match(ds, methods, task, allow_missing)
    tasks_preds = [[str(m[0][i]) if m[0][i] is not None else None for m in matched] for i in range(len(ds.items))]
    if task == "sod":
        accs = [SODMetrics(keys) for _ in methods]
        fams = families(keys)
        tasks = [(it, tp, fams, allow_missing) for it, tp in zip(ds.items, tasks_preds)]
        results_iter = _map(_sod_task, tasks, workers, f"{ds.name}", progress)
    else:
        accs = [FixationMetrics(keys, seed=seed) for _ in methods]
        pool = None
        if "sAUC" in keys:
            pool = list(_map(_fix_coords_task, [(it, allow_missing) for it in ds.items], workers,
                             f"{ds.name} fixations", progress))
        tasks = []
        for i, (it, tp) in enumerate(zip(ds.items, tasks_preds)):
            other = other_fixation_coords(pool, i, seed, accs[0].n_others) if pool is not None else None
            tasks.append((it, tp, keys, seed, i, other, it.baseline or ds.baseline, allow_missing))
        results_iter = _map(_fix_task, tasks, workers, f"{ds.name}", progress)
    res = [MethodResult(ds.name, name, 0, {}, n_missing=matched[j][1]) for j, (name, _) in enumerate(methods)]
    for i, r in enumerate(results_iter):
        status, payload = r
        if status == "gt":
            for mr in res:
                mr.n_skipped += 1
                if len(mr.skipped_examples) < 3:
                    mr.skipped_examples.append(payload)
            continue
        for j, entry in enumerate(payload):
            if entry is None:
                continue
            if entry[0] == "skip":
                res[j].n_skipped += 1
                if len(res[j].skipped_examples) < 3:
                    res[j].skipped_examples.append(entry[1])
                continue
            sc, resized = entry
            accs[j].add(sc)
            res[j].n_resized += int(resized)
    for j, mr in enumerate(res):
        if len(accs[j]) == 0:
            raise UserError(f"`pred` {mr.method}: no image of {ds.name} could be scored "
                            f"({'; '.join(mr.skipped_examples) or 'no matching files'})")
        out = accs[j].results()
        mr.n_images = out["n_images"]
        mr.curves = out.get("curves", {})
        mr.excluded = dict(out["excluded"])
        mr.metrics = {k: out[k] for k in keys}
    return res


def method_folders(methods: list[tuple[str, object]], dataset: str) -> list[tuple[str, str]]:
    """Resolve each method's prediction folder for ``dataset`` (a folder, a ``{dataset}`` template or a dict)."""
    out = []
    for name, spec in methods:
        if isinstance(spec, dict):
            if dataset not in spec:
                continue
            folder = spec[dataset]
        else:
            folder = str(spec).replace("{dataset}", dataset)
        out.append((name, str(Path(folder))))
    return out

"""Per-epoch validation with the ``eval`` package, and the PNG grid of predictions.

Each rank scores its share of the validation images (``rank::world``) at the
ground truth's own size -- the prediction made at the network size is
resized to the GT as ``saliency predict`` resizes it to the image (SOD:
bilinear; fixation: :func:`resize_map`, area averaging along an axis that
shrinks) -- and the per-image scores are gathered to every rank and
aggregated with :class:`eval.SODMetrics` (PySODMetrics 1.6.2 conventions: MAE, Fmax,
S-measure) or :class:`eval.FixationMetrics` (MIT benchmark definitions: CC,
NSS, KLD, AUC-Judd), so the numbers equal a single-process evaluation.
Which direction is better comes from the metric table,
:func:`saliency.eval.metrics.lower_is_better`. The network runs in the
precision ``saliency predict`` uses on the device
(:func:`saliency.runtime.inference_bf16`), not the training's, so the
numbers are those of predict and eval (within the 8-bit rounding of
predict's PNGs). One departure: on fixation data with human maps only,
NSS and AUC-Judd are scored against the top ``data.fixation_top`` of each
map taken as fixations (stated in the run's notes), which ``saliency eval``
does not do (it scores CC, KLD and SIM there).
"""

from __future__ import annotations

import numpy as np

from saliency.eval.fixation import undefined_reason  # eval's rules: validate.undefined_reason is it
from saliency.eval.metrics import lower_is_better

SOD_VAL_METRICS = ("MAE", "Fmax", "Smeasure")
FIX_VAL_METRICS = ("CC", "NSS", "KLD", "AUC_Judd")


def val_metric_names(task: str) -> tuple[str, ...]:
    """Validation metrics reported for ``task``."""
    return SOD_VAL_METRICS if task == "sod" else FIX_VAL_METRICS


def to_map(output, task: str):
    """Network output (eval mode) -> N x H x W float map in [0, 1]: sigmoid (SOD) or density scaled to max 1."""
    import torch

    out = output.float()[:, 0]
    if task == "sod":
        return torch.sigmoid(out)
    d = torch.exp(out)
    return d / d.flatten(1).amax(1).clamp_min(1e-30)[:, None, None]


def to_u8(m: np.ndarray) -> np.ndarray:
    """[0, 1] float map -> uint8 (rounded)."""
    return np.clip(np.rint(m * 255.0), 0, 255).astype(np.uint8)


def upsample(m: np.ndarray, shape) -> np.ndarray:
    """Bilinear resize of a float map to ``shape`` (H, W)."""
    import cv2

    if m.shape == tuple(shape):
        return m
    return cv2.resize(m, (int(shape[1]), int(shape[0])), interpolation=cv2.INTER_LINEAR)


def resize_map(m: np.ndarray, shape) -> np.ndarray:
    """A float map brought to ``shape`` (H, W): shrinking axes by area averaging, then growing ones bilinearly.

    Area averaging (OpenCV ``INTER_AREA``) gives a new pixel the mean of the
    pixels it covers, in proportion to the part covered, so a density keeps
    the mass of every region and no peak falls between samples (bilinear
    shrinking reads only 1-2 pixels per new pixel: the fixation PNG of a 2x3
    image peaked at 156, not 255). An axis that grows is interpolated
    bilinearly, as :func:`upsample` does. The fixation maps and
    log-densities of ``saliency predict`` are resized this way.
    """
    from saliency.transforms import resize_image  # one rule for images and maps: area on shrinking axes first

    return resize_image(m, (int(shape[0]), int(shape[1])))


def score_image(pred01: np.ndarray, rec, task: str, index: int, top: float):
    """Per-image scores of a [0, 1] prediction at network size against ``rec``'s original ground truth."""
    if task == "sod":
        from saliency.eval.io import read_mask
        from saliency.eval.sod import sod_image_scores

        gt = read_mask(rec.mask)
        pred = to_u8(upsample(pred01.astype(np.float32), gt.shape))
        s = sod_image_scores(pred, gt, families={"mae", "f", "s"})
        s.precision = s.recall = None  # only the F curve is needed: keep the gathered objects small
        return s
    from saliency.eval.fixation import fixation_image_scores

    from saliency.datasets import load_fixation_gt

    fix, dens, _ = load_fixation_gt(rec, top)
    pred = resize_map(pred01.astype(np.float32), fix.shape)  # as saliency predict resizes a fixation map
    s = fixation_image_scores(pred, fix, dens, metrics=FIX_VAL_METRICS, index=index)
    # why each undefined metric is, in eval's rules and words (gathered with the scores, said by left_out_note)
    s.undefined = {k: undefined_reason(k, fix, dens) or "undefined" for k, v in s.values.items() if not np.isfinite(v)}
    return s


def aggregate(task: str, scores: list) -> dict:
    """Dataset metrics from per-image scores (already in index order)."""
    if task == "sod":
        from saliency.eval.sod import SODMetrics

        acc = SODMetrics(metrics=SOD_VAL_METRICS)
        for s in scores:
            acc.add(s)
        r = acc.results()
    else:
        from saliency.eval.fixation import FixationMetrics

        acc = FixationMetrics(metrics=FIX_VAL_METRICS)
        for s in scores:
            acc.add(s)
        r = acc.results()
    return {k: float(r[k]) for k in val_metric_names(task)}


def left_out_note(task: str, keyed_scores: list) -> str | None:
    """The note naming the images a fixation validation metric leaves out of its mean, or None when none.

    ``keyed_scores``: (image key, per-image scores) in index order. An image
    without a fixated pixel (an all-zero fixation map) has no NSS or AUC_Judd
    and is in neither mean, as ``saliency eval`` leaves it out; the counts are
    said in eval's words (``NSS left out on 1 image(s)``) and the images named,
    so that "validated on N" counts it without claiming it in every metric.
    The reason is each image's own, in eval's rules and words
    (:func:`saliency.eval.fixation.undefined_reason`, kept by
    :func:`score_image`): a 1x1 image with its fixation leaves AUC_Judd out
    for "every pixel fixated", not for "no fixated pixel"; with more than one
    reason each names its images.
    """
    if task == "sod":
        return None
    parts, why, keys = [], {}, []
    for k in val_metric_names(task):
        out = [(key, sc) for key, sc in keyed_scores if not np.isfinite(sc.values.get(k, np.nan))]
        if out:
            parts.append(f"{k} left out on {len(out)} image(s)")
            for key, sc in out:
                ks, ws = why.setdefault(getattr(sc, "undefined", {}).get(k, "undefined"), ([], []))
                if k not in ks:
                    ks.append(k)
                if key not in ws:
                    ws.append(key)
            keys += [key for key, _ in out if key not in keys]
    if not parts:
        return None

    def named(ks):
        return ("e.g. " if len(ks) > 5 else "") + ", ".join(ks[:5])

    reasons = "; ".join(f"{' and '.join(ks)}: {w}" + (f" ({named(ws)})" if len(why) > 1 else "")
                        for w, (ks, ws) in why.items())
    shown = named(keys)
    return (f"validation: {', '.join(parts)} ({shown}; {reasons}); each mean is over the other images, as in "
            "saliency eval")


def is_better(metric: str, new: float, old: float | None) -> bool:
    """Whether ``new`` improves on ``old`` for ``metric`` (lower is better for MAE and KLD)."""
    if old is None or not np.isfinite(old):
        return bool(np.isfinite(new))
    if not np.isfinite(new):
        return False
    return new < old if lower_is_better(metric) else new > old


def grid_png(images: list, targets: list, preds: list) -> np.ndarray:
    """An RGB grid, one row per image: input | ground truth | prediction (uint8)."""
    rows = []
    for img, t, p in zip(images, targets, preds):
        t3 = np.repeat(to_u8(t)[..., None], 3, axis=2)
        p3 = np.repeat(to_u8(p)[..., None], 3, axis=2)
        sep = np.full((img.shape[0], 4, 3), 255, np.uint8)
        rows.append(np.concatenate([img, sep, t3, sep, p3], axis=1))
        rows.append(np.full((4, rows[-1].shape[1], 3), 255, np.uint8))
    return np.concatenate(rows[:-1], axis=0)


def write_png(path, rgb: np.ndarray) -> None:
    """Write an RGB uint8 array as PNG, atomically."""
    import cv2

    from saliency.base.fsutil import atomic_path

    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("PNG encoding failed")
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.tobytes())

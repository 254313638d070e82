"""Quality control of an ingested study: per subject x stimulus checks, centre bias, inter-observer consistency.

- Per subject and stimulus: share of valid samples (raw-sample inputs), number
  of kept fixations, share of fixations that fell off the stimulus; each
  flagged against a threshold.
- Centre bias: all kept fixations in normalised stimulus coordinates, pooled
  on one canvas and blurred (the "fixation histogram" baseline of the MIT
  benchmark, Judd et al. 2012 / Bylinskii et al. TPAMI 2019); ``saliency
  ingest`` takes the most common stimulus size as the canvas and records it,
  the sigma and the border in ``dataset.json`` ``qc.center_bias``.
- Inter-observer consistency (Judd et al. ICCV 2009; Borji & Itti 2015): each
  subject's fixations are scored against the map built from all other
  subjects with NSS (map z-scored with ddof=1, mean at the subject's fixated
  pixels) and AUC-Judd (MIT trapezoid: thresholds are the map values at the
  fixated pixels; no jitter, ties count as above the threshold). For speed
  the maps are built at most ``IOC_SIDE`` pixels on the long side (sigma
  scaled alike; ``dataset.json`` ``qc.inter_observer`` records the grid and
  sigma per stimulus size); the figure is a dataset indicator, not a
  benchmark score. ``dataset.json`` ``inter_observer`` averages the scores
  over the observers of each stimulus, then over the stimuli (std over the
  per-stimulus means), as the gold standard does; stimuli with fewer than
  two observers with kept fixations cannot be scored and are counted under
  ``left_out`` (none scored: ``null`` and a line in ``warnings``); a subject
  with rows on a scored stimulus but no kept fixation there (all quarantined)
  is no observer of it, counted and named under ``left_out.observers``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from saliency.data_tools.maps import (MapPolicy, blur_matrix, blur_points, check_inside, density, fixation_weights,
                                      normalize, pixel_index)

IOC_SIDE = 128
COUNT_THRESHOLDS = 256  # auc_judd: up to this many fixations, binning the pixels beats sorting the map
COMPARE_THRESHOLDS = 24  # auc_judd: up to this many fixations, one counting pass per threshold beats binning


def nss(smap: np.ndarray, rows, cols) -> float:
    """Normalised scanpath saliency at the given pixels (unique), map z-scored with ddof=1."""
    s = smap.std(ddof=1)
    if not s > 0 or len(rows) == 0:
        return float("nan")
    return float(((smap[rows, cols] - smap.mean()) / s).mean())  # z-scores at the fixated pixels only


def auc_judd(smap: np.ndarray, rows, cols) -> float:
    """AUC-Judd as in the MIT benchmark (without the random jitter); NaN without fixations.

    The count of pixels at or above each threshold is exact whichever way it
    is taken: one counting pass over the map per threshold (up to
    ``COMPARE_THRESHOLDS`` fixations), the pixels binned between the
    thresholds (up to ``COUNT_THRESHOLDS``), else a sort of the whole map.
    """
    n_fix = len(rows)
    if n_fix == 0:
        return float("nan")
    lo, hi = smap.min(), smap.max()
    m = (smap - lo) / (hi - lo) if hi > lo else np.zeros_like(smap)
    thr = np.sort(m[rows, cols])[::-1]
    flat = m.ravel()
    n_pix = flat.size
    if n_fix <= min(COMPARE_THRESHOLDS, COUNT_THRESHOLDS):
        above = np.array([np.count_nonzero(flat >= t) for t in thr], dtype=np.int64)  # pixels >= each of thr
    elif n_fix <= COUNT_THRESHOLDS:  # few thresholds: bin the pixels between them, no sort of the whole map
        asc = thr[::-1]
        k = np.searchsorted(asc, flat, side="right")  # thresholds at or below each pixel
        above = np.cumsum(np.bincount(k, minlength=n_fix + 1)[::-1])[:-1]  # pixels >= each of thr (descending)
    else:
        flat = np.sort(flat)
        above = n_pix - np.searchsorted(flat, thr, side="left")
    i = np.arange(1, n_fix + 1)
    tp = np.concatenate(([0.0], i / n_fix, [1.0]))
    fp = np.concatenate(([0.0], (above - i) / max(n_pix - n_fix, 1), [1.0]))
    return float(np.trapezoid(tp, fp))


def ioc_shape(size: tuple[int, int], max_side: int = IOC_SIDE) -> tuple[int, int]:
    """``(w, h)`` of the reduced map the consistency scores of a ``size`` stimulus are taken on (long side at
    most ``max_side``; ``dataset.json`` ``qc.inter_observer`` records it per stimulus size)."""
    w, h = size
    f = min(1.0, max_side / max(w, h))
    return max(1, int(round(w * f))), max(1, int(round(h * f)))


def ioc_grid(size: tuple[int, int], x, y, policy: MapPolicy, max_side: int = IOC_SIDE):
    """The reduced map of the consistency scores: its ``(w, h)``, the coordinates and the policy scaled to it.

    Fixations off the ``size`` stimulus (outside ``-0.5 <= x < w - 0.5``, ``-0.5 <= y < h - 0.5``, the test by
    which ``saliency ingest`` sets them aside as ``off_stimulus``) are refused naming the first, as
    :func:`data_tools.maps.saliency_map` refuses them; the rest land on the reduced map.
    """
    w, h = size
    sw, sh = ioc_shape(size, max_side)
    fx, fy = sw / w, sh / h
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    check_inside(x, y, w, h)
    # a point just below w - 0.5 can round to sw - 0.5 or past it when scaled (x = nextafter(4085.5, -inf) on a
    # 4086-wide stimulus is 127.5 on a 128-wide grid), off the reduced map that density() refuses; it is held a
    # rounding step inside, on the last pixel where pixel_index put it anyway (the scores are unchanged). The
    # lower edge needs no hold: x >= -0.5 scales to exactly -0.5 or above.
    xs = np.minimum((x + 0.5) * fx - 0.5, np.nextafter(sw - 0.5, -np.inf))
    ys = np.minimum((y + 0.5) * fy - 0.5, np.nextafter(sh - 0.5, -np.inf))
    pol = MapPolicy((policy.sigma_px[0] * fx, policy.sigma_px[1] * fy), policy.border, policy.binary,
                    policy.weight, policy.per_subject, "minmax")
    return (sw, sh), xs, ys, pol


def ioc_scores(size: tuple[int, int], x, y, subjects, durations, policy: MapPolicy,
               max_side: int = IOC_SIDE) -> list[tuple[str, float, float]]:
    """Per subject: (subject, NSS, AUC-Judd) of its fixations against the map of all other subjects.

    The leave-one-subject-out maps that :func:`data_tools.maps.density` would
    build densely (other subjects' fixations on at least ``h + w`` distinct
    pixels) are blurred in one batched product, the same products in the
    same order; the rest go through ``density`` itself. So the maps, and the
    :func:`nss` and :func:`auc_judd` of each subject's fixated pixels on
    them, are those of ``density`` on the other subjects' fixations, bit for
    bit.
    """
    subjects = np.asarray(subjects).astype(str)
    uniq, code = np.unique(subjects, return_inverse=True)
    n_subj = len(uniq)
    if n_subj < 2:
        return []
    (sw, sh), xs, ys, pol = ioc_grid(size, x, y, policy, max_side)
    r, c = pixel_index(xs, ys, (sw, sh))
    flat = r * sw + c
    n_pix = sh * sw
    durations = np.asarray(durations, dtype=np.float64)
    wts = None if pol.binary else fixation_weights(subjects, durations, pol)
    others = np.zeros((n_subj, n_pix), dtype=np.float64)
    sparse = []
    for s in range(n_subj):  # the other subjects' fixation map, summed in table order as density() does
        o = code != s
        hit = np.bincount(flat[o], minlength=n_pix) > 0
        if np.count_nonzero(hit) < sh + sw:  # few fixated pixels: density() takes its sparse product
            sparse.append(s)
        else:
            others[s] = hit if pol.binary else np.bincount(flat[o], weights=wts[o], minlength=n_pix)
    others = others.reshape(n_subj, sh, sw)
    Kh = blur_matrix(sh, pol.sigma_px[1], pol.border)
    Kw = blur_matrix(sw, pol.sigma_px[0], pol.border)
    maps = np.matmul(Kh, others) @ Kw.T  # blur()'s product, one subject per slice
    for s in sparse:  # the same call as density() on the other subjects' fixations, so the same sums
        o = code != s
        maps[s] = density((sw, sh), xs[o], ys[o], subjects[o], durations[o], pol)
    own = np.unique(code * n_pix + flat)  # each subject's fixated pixels once, by subject, in row-major order
    bounds = np.searchsorted(own, np.arange(n_subj + 1) * n_pix)
    out = []
    for s in range(n_subj):
        rr, cc = np.divmod(own[bounds[s]:bounds[s + 1]] - s * n_pix, sw)
        out.append((str(uniq[s]), nss(maps[s], rr, cc), auc_judd(maps[s], rr, cc)))
    return out


def qc_table(counts: pd.DataFrame, thresholds: dict) -> pd.DataFrame:
    """Add shares and flags to per subject x stimulus counts.

    ``counts`` has ``subject, stimulus, samples, valid_samples, fixations, off_stimulus``.
    """
    t = counts.copy()
    t["valid_share"] = np.where(t["samples"] > 0, t["valid_samples"] / t["samples"].where(t["samples"] > 0, 1),
                                np.nan)
    tot = t["fixations"] + t["off_stimulus"]
    t["off_share"] = np.where(tot > 0, t["off_stimulus"] / tot.where(tot > 0, 1), np.nan)
    flags = []
    for vs, nf, off in zip(t["valid_share"], t["fixations"], t["off_share"]):
        f = []
        if thresholds["min_valid_share"] is not None and np.isfinite(vs) and vs < thresholds["min_valid_share"]:
            f.append("low_valid_share")
        if nf < thresholds["min_fixations"]:
            f.append("few_fixations")
        if np.isfinite(off) and off > thresholds["max_off_share"]:
            f.append("off_stimulus")
        flags.append(";".join(f))
    t["flags"] = flags
    return t


def center_bias(sizes, x, y, canvas: tuple[int, int], sigma_px: float, border: str = "constant") -> np.ndarray:
    """Centre-bias map on ``canvas`` (w, h) from fixations of stimuli of ``sizes`` (rows of (w, h)); 0..1."""
    sizes = np.asarray(sizes, dtype=np.float64).reshape(-1, 2)
    cw, ch = canvas
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    # scaled about pixel edges (x + 0.5); a stimulus of the canvas's own size keeps its coordinates as they are, so
    # a fixation on a half-pixel tie lands on the pixel its map puts it on ((x + 0.5) / w * w is not always x + 0.5)
    xs = np.where(sizes[:, 0] == cw, x, (x + 0.5) * cw / sizes[:, 0] - 0.5)
    ys = np.where(sizes[:, 1] == ch, y, (y + 0.5) * ch / sizes[:, 1] - 0.5)
    r, c = pixel_index(xs, ys, canvas)
    return normalize(blur_points((ch, cw), r, c, np.ones(len(r)), sigma_px, border), "minmax")

"""Quality control of an ingested study: per subject x stimulus checks, centre bias, inter-observer consistency.

- Per subject and stimulus: share of valid samples (raw-sample inputs), number
  of kept fixations, share of fixations that fell off the stimulus; each
  flagged against a threshold.
- Centre bias: all kept fixations in normalised stimulus coordinates, pooled
  on one canvas and blurred (the "fixation histogram" baseline of the MIT
  benchmark, Judd et al. 2012 / Bylinskii et al. TPAMI 2019).
- Inter-observer consistency (Judd et al. ICCV 2009; Borji & Itti 2015): each
  subject's fixations are scored against the map built from all other
  subjects with NSS (map z-scored with ddof=1, mean at the subject's fixated
  pixels) and AUC-Judd (MIT trapezoid: thresholds are the map values at the
  fixated pixels; no jitter, ties count as above the threshold). For speed
  the maps are built at most ``IOC_SIDE`` pixels on the long side (sigma
  scaled alike); the figure is a dataset indicator, not a benchmark score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from saliency.data_tools.maps import MapPolicy, blur_points, density, normalize, pixel_index, unique_pixels

IOC_SIDE = 128
COUNT_THRESHOLDS = 256  # auc_judd: up to this many fixations, binning the pixels beats sorting the map


def nss(smap: np.ndarray, rows, cols) -> float:
    """Normalised scanpath saliency at the given pixels (unique), map z-scored with ddof=1."""
    s = smap.std(ddof=1)
    if not s > 0 or len(rows) == 0:
        return float("nan")
    return float(((smap[rows, cols] - smap.mean()) / s).mean())  # z-scores at the fixated pixels only


def auc_judd(smap: np.ndarray, rows, cols) -> float:
    """AUC-Judd as in the MIT benchmark (without the random jitter); NaN without fixations."""
    n_fix = len(rows)
    if n_fix == 0:
        return float("nan")
    lo, hi = smap.min(), smap.max()
    m = (smap - lo) / (hi - lo) if hi > lo else np.zeros_like(smap)
    thr = np.sort(m[rows, cols])[::-1]
    flat = m.ravel()
    n_pix = flat.size
    if n_fix <= COUNT_THRESHOLDS:  # few thresholds: bin the pixels between them, no sort of the whole map
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


def ioc_scores(size: tuple[int, int], x, y, subjects, durations, policy: MapPolicy,
               max_side: int = IOC_SIDE) -> list[tuple[str, float, float]]:
    """Per subject: (subject, NSS, AUC-Judd) of its fixations against the map of all other subjects."""
    subjects = np.asarray(subjects).astype(str)
    uniq = np.unique(subjects)
    if len(uniq) < 2:
        return []
    w, h = size
    f = min(1.0, max_side / max(w, h))
    sw, sh = max(1, int(round(w * f))), max(1, int(round(h * f)))
    fx, fy = sw / w, sh / h
    xs = (np.asarray(x, dtype=np.float64) + 0.5) * fx - 0.5
    ys = (np.asarray(y, dtype=np.float64) + 0.5) * fy - 0.5
    pol = MapPolicy((policy.sigma_px[0] * fx, policy.sigma_px[1] * fy), policy.border, policy.binary,
                    policy.weight, policy.per_subject, "minmax")
    durations = np.asarray(durations, dtype=np.float64)
    out = []
    for s in uniq:
        me = subjects == s
        others = ~me
        smap = density((sw, sh), xs[others], ys[others], subjects[others], durations[others], pol)
        r, c = pixel_index(xs[me], ys[me], (sw, sh))
        r, c = unique_pixels(r, c, sw)
        out.append((str(s), nss(smap, r, c), auc_judd(smap, r, c)))
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
        if np.isfinite(vs) and vs < thresholds["min_valid_share"]:
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
    xs = (np.asarray(x, dtype=np.float64) + 0.5) / sizes[:, 0] * cw - 0.5
    ys = (np.asarray(y, dtype=np.float64) + 0.5) / sizes[:, 1] * ch - 0.5
    r, c = pixel_index(xs, ys, canvas)
    return normalize(blur_points((ch, cw), r, c, np.ones(len(r)), sigma_px, border), "minmax")

"""Fixation detection from raw gaze samples: I-VT and I-DT in degrees of visual angle.

Both follow Salvucci & Goldberg, "Identifying fixations and saccades in
eye-tracking protocols" (ETRA 2000), with the defaults and conventions of
pymovements (Krakowczyk et al., ETRA 2023), which is the parity oracle:

- positions are converted to degrees exactly, ``deg = atan2(px - (res - 1) / 2,
  d_cm * res_px / size_cm)`` per axis (:meth:`ScreenGeometry.pixels_to_degrees`);
- I-VT: velocity by the five-point differentiator
  ``v_t = (p_{t+2} + p_{t+1} - p_{t-1} - p_{t-2}) * rate / 6`` (undefined at the
  two first and last samples and next to a missing sample); a sample with
  speed ``< threshold`` (default 20 deg/s) is a fixation sample; a run of them
  is a fixation when ``t_last - t_first >= min_duration`` (default 100 ms);
- I-DT: dispersion ``(max x - min x) + (max y - min y)``; a window of
  ``round(min_duration / dt)`` samples with dispersion ``<= threshold``
  (default 1.0 deg) starts a fixation, which grows while the dispersion stays
  within the threshold; otherwise the window slides by one sample.

Missing or invalid samples, and gaps in the time stamps longer than 1.5
sample periods, end a fixation (pymovements ``include_nan=False``). Where we
depart from pymovements: its I-DT keeps the sample that pushed the dispersion
over the threshold inside the fixation and skips it; we follow Salvucci &
Goldberg and end the fixation before that sample, which starts the next
window (so offsets may differ by one sample and the following onset by one).
I-DT windows do not span missing samples (pymovements splits a window at them
afterwards). A fixation's position is the mean of its samples in screen
pixels; its onset is its first sample's time, its duration ``t_last - t_first``
(pymovements' ``duration``).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from saliency.base.errors import UserError

DETECTORS = ("ivt", "idt")
DEFAULTS = {"ivt": {"threshold": 20.0, "min_duration_ms": 100.0},
            "idt": {"threshold": 1.0, "min_duration_ms": 100.0}}


def sample_period(t: np.ndarray) -> float:
    """Median interval between consecutive time stamps (ms); NaN for fewer than two samples."""
    if len(t) < 2:
        return float("nan")
    d = np.diff(np.asarray(t, dtype=np.float64))
    d = d[d > 0]
    return float(np.median(d)) if d.size else float("nan")


def _segments(t: np.ndarray, ok: np.ndarray, dt: float) -> np.ndarray:
    """Segment id per sample: a new segment starts after a time gap; invalid samples get -1."""
    seg = np.zeros(len(t), dtype=np.int64)
    if len(t) > 1:
        seg[1:] = np.cumsum(np.diff(t) > 1.5 * dt)
    return np.where(ok, seg, -1)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and (inclusive) end indices of the runs of True in ``mask``."""
    m = np.concatenate(([False], mask, [False])).astype(np.int8)
    d = np.diff(m)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1


def fivepoint_speed(t, xdeg, ydeg) -> np.ndarray:
    """Gaze speed (deg/s) by the five-point differentiator; NaN where any neighbour is missing."""
    t = np.asarray(t, dtype=np.float64)
    xdeg = np.asarray(xdeg, dtype=np.float64)
    ydeg = np.asarray(ydeg, dtype=np.float64)
    n = len(t)
    speed = np.full(n, np.nan)
    if n < 5:
        return speed
    dt = sample_period(t)
    rate = 1000.0 / dt
    ok = np.isfinite(xdeg) & np.isfinite(ydeg)
    seg = _segments(t, ok, dt)
    good = (seg[4:] >= 0) & (seg[4:] == seg[:-4]) & (seg[3:-1] == seg[:-4]) & (seg[1:-3] == seg[:-4]) \
        & (seg[2:-2] == seg[:-4])
    vx = (xdeg[4:] + xdeg[3:-1] - xdeg[1:-3] - xdeg[:-4]) * rate / 6.0
    vy = (ydeg[4:] + ydeg[3:-1] - ydeg[1:-3] - ydeg[:-4]) * rate / 6.0
    speed[2:-2] = np.where(good, np.hypot(vx, vy), np.nan)
    return speed


def ivt(t, xdeg, ydeg, threshold: float = 20.0, min_duration_ms: float = 100.0) -> list[tuple[int, int]]:
    """I-VT fixations as inclusive sample index ranges ``(first, last)``."""
    if not threshold > 0:
        raise UserError(f"`velocity_threshold` {threshold}: must be positive (deg/s)")
    t = np.asarray(t, dtype=np.float64)
    speed = fivepoint_speed(t, xdeg, ydeg)
    with np.errstate(invalid="ignore"):
        cand = speed < threshold
    starts, ends = _runs(cand)
    keep = (t[ends] - t[starts]) >= min_duration_ms
    return list(zip(starts[keep].tolist(), ends[keep].tolist()))


def idt(t, xdeg, ydeg, threshold: float = 1.0, min_duration_ms: float = 100.0) -> list[tuple[int, int]]:
    """I-DT fixations as inclusive sample index ranges ``(first, last)``."""
    if not threshold > 0:
        raise UserError(f"`dispersion_threshold` {threshold}: must be positive (deg)")
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(xdeg, dtype=np.float64)
    y = np.asarray(ydeg, dtype=np.float64)
    n = len(t)
    if n < 2:
        return []
    dt = sample_period(t)
    m = max(2, int(round(min_duration_ms / dt)))
    seg = _segments(t, np.isfinite(x) & np.isfinite(y), dt)
    out = []
    change = np.flatnonzero(np.diff(seg) != 0) + 1
    bounds = np.concatenate(([0], change, [n]))
    for a, b in zip(bounds[:-1], bounds[1:]):
        if seg[a] < 0 or b - a < m:
            continue
        out.extend((a + i, a + j) for i, j in _idt_segment(x[a:b], y[a:b], m, threshold))
    return out


def _idt_segment(x: np.ndarray, y: np.ndarray, m: int, thr: float) -> list[tuple[int, int]]:
    """I-DT on one run of valid samples (window length ``m`` samples)."""
    n = len(x)
    # dispersion of every window [s, s + m): windowed max - min per axis
    origin = -(m // 2)  # aligns the filter window with [s, s + m) at output index s
    wx = maximum_filter1d(x, m, origin=origin) - minimum_filter1d(x, m, origin=origin)
    wy = maximum_filter1d(y, m, origin=origin) - minimum_filter1d(y, m, origin=origin)
    ok_start = np.zeros(n, dtype=bool)
    ok_start[: n - m + 1] = (wx + wy)[: n - m + 1] <= thr
    cand = np.flatnonzero(ok_start)
    out = []
    s = 0
    block = 4 * m
    while True:
        k = np.searchsorted(cand, s)
        if k >= len(cand):
            break
        s = int(cand[k])
        e = s + m  # window [s, e) is a fixation; grow it
        while e < n:
            stop = min(n, e + block)
            xs, ys = x[s:stop], y[s:stop]
            disp = (np.maximum.accumulate(xs) - np.minimum.accumulate(xs)
                    + np.maximum.accumulate(ys) - np.minimum.accumulate(ys))
            over = np.flatnonzero(disp[e - s:] > thr)
            if over.size:
                e = e + int(over[0])
                break
            e = stop
            block *= 2
        out.append((s, e - 1))
        s = e
    return out


def detect(t, x_px, y_px, geometry, method: str = "ivt", threshold: float | None = None,
           min_duration_ms: float | None = None) -> list[tuple[int, int]]:
    """Fixation sample ranges in one trial of screen-pixel samples (NaN = missing) under ``geometry``."""
    if method not in DETECTORS:
        raise UserError(f"`detector` {method!r}: choose one of {', '.join(DETECTORS)}")
    thr = DEFAULTS[method]["threshold"] if threshold is None else threshold
    md = DEFAULTS[method]["min_duration_ms"] if min_duration_ms is None else min_duration_ms
    xd, yd = geometry.pixels_to_degrees(x_px, y_px)
    fn = ivt if method == "ivt" else idt
    return fn(t, xd, yd, thr, md)


def summarize(ranges, t, x_px, y_px) -> dict[str, np.ndarray]:
    """Per fixation: first sample index, onset (ms), duration (ms), mean x and y (screen px)."""
    t = np.asarray(t, dtype=np.float64)
    if not ranges:
        e = np.zeros(0)
        return {"first": e.astype(np.int64), "t_start_ms": e, "duration_ms": e, "x": e, "y": e}
    a = np.array([r[0] for r in ranges], dtype=np.int64)
    b = np.array([r[1] for r in ranges], dtype=np.int64)
    cx = np.concatenate(([0.0], np.cumsum(np.nan_to_num(np.asarray(x_px, dtype=np.float64)))))
    cy = np.concatenate(([0.0], np.cumsum(np.nan_to_num(np.asarray(y_px, dtype=np.float64)))))
    cnt = (b - a + 1).astype(np.float64)
    return {"first": a, "t_start_ms": t[a], "duration_ms": t[b] - t[a],
            "x": (cx[b + 1] - cx[a]) / cnt, "y": (cy[b + 1] - cy[a]) / cnt}

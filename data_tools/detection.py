"""Eye-movement event detection from raw gaze samples, in degrees of visual angle.

Detectors (names, defaults and label codes in :mod:`data_tools.detectors`):
``ivt`` and ``idt`` (below), ``nh`` (:func:`nh`: Nyström & Holmqvist, "An
adaptive algorithm for fixation, saccade, and glissade detection in
eyetracking data", BRM 2010), ``tobii-ivt`` (:func:`tobii_ivt`: Olsen, "The
Tobii I-VT Fixation Filter", Tobii 2012). :func:`classify` labels every sample
(fixation, saccade, PSO, blink, track loss, undefined) and applies the
post-processing of Olsen (2012) and Komogortsev et al. ("Standardization of
automated analyses of oculomotor fixation and saccadic behaviors", IEEE TBME
2010) to any detector: gap bridging, merging of near fixations, discarding of
short ones. :func:`detect` returns the fixations only (what ``ingest`` needs).
:func:`pursuit_split` (optional, ``pursuit=True``) relabels intersaccadic
intervals that move consistently as smooth pursuit, after Larsson, Nyström,
Andersson & Stridh, "Detection of fixations and smooth pursuit movements in
high-speed eye-tracking data", Biomedical Signal Processing and Control 18
(2015).

I-VT and I-DT:

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
- I-DT: dispersion ``(max x - min x) + (max y - min y)``; a window of the
  fewest samples that span ``min_duration`` (``t_last - t_first``), counted
  on the time stamps (``_idt_window``): 51 at 500 Hz, which is pymovements' window
  of ``minimum_duration // dt`` samples plus the next sample, the one its
  growth step always adds (so that a fixation one window long lasts the
  minimum, in pymovements and here); a window with dispersion ``<= threshold``
  (default 1.0 deg) starts a fixation, which grows while the dispersion stays
  within the threshold; otherwise the window slides by one sample.

Missing or invalid samples, and gaps in the time stamps longer than 1.5
sample periods, end a fixation (pymovements ``include_nan=False``). Where we
depart from pymovements: its I-DT keeps the sample that pushed the dispersion
over the threshold inside the fixation and skips it; we follow Salvucci &
Goldberg and end the fixation before that sample, which starts the next
window (so offsets may differ by one sample and the following onset by one).
Hence a still run that fills pymovements' window and no more (its next sample
breaks the dispersion, or is missing, or past the data) is a fixation there
(of ``min_duration`` with the breaking sample, one period less without) and
one period too short here: :func:`classify` labels its samples ``undefined``,
as a discarded fixation's; where one leads into a drifting fixation,
pymovements splits the fixation after it and ours starts a few samples later.
I-DT windows do not span missing samples (pymovements splits a window at them
afterwards). A fixation's position is the mean of its samples in screen
pixels; its onset is its first sample's time, its duration ``t_last - t_first``
(pymovements' ``duration``).
"""

from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from saliency.base.errors import UserError
from saliency.data_tools import smoothing as sm
from saliency.data_tools.detectors import (BLINK, DEFAULTS, DETECTORS, FIXATION, PSO, PURSUIT, SACCADE,
                                           TRACK_LOSS, UNDEFINED, USED_BY, applied, unused_options)
from saliency.data_tools.geometry import ScreenGeometry

__all__ = ["DETECTORS", "DEFAULTS", "Classification", "classify", "detect", "idt", "ivt", "nh", "tobii_ivt",
           "merge_fixations", "discard_short", "summarize", "fivepoint_speed", "sample_period", "pursuit_split",
           "interval_shape", "window_half", "rate_change", "repeated_times", "savgol_centred", "BLINK_REACH_MS",
           "RATE_CHANGE_SHARE", "RATE_CHANGE_RUN", "NOISE_FREE_DEG_S", "REPEATED_TIMES", "REPEATED_TIMES_SHARE",
           "TrialWarning", "TRIAL_WARNING_KINDS"]

TIME_TOL_MS = 1e-6
"""Tolerance (ms) of duration comparisons: time stamps made as ``i * 1000 / rate`` carry rounding errors (12
periods at 120 Hz span 99.99999999999989 ms), so an exactly-100 ms fixation was kept or dropped depending on
its first sample; 1e-6 ms is far below any sampling period (0.2 ms at 5 kHz), so it absorbs only rounding."""

BLINK_REACH_MS = 50.0
"""How far (ms) a blink reaches on each side of its missing run over the lid's movement (:func:`_blinks`)."""


TRIAL_WARNING_KINDS = ("repeated", "rate", "window", "min_duration")
"""The kinds of the lines :func:`classify` puts in ``params["warnings"]`` (:class:`TrialWarning`): most samples
repeating the previous time stamp (:func:`repeated_times`), a sampling rate that changes (:func:`rate_change`), a
velocity window too long for the trial (:func:`window_warning`), nh's long ``min_duration_ms``."""


class TrialWarning(str):
    """One line of a trial's ``params["warnings"]``: the text as written (a ``str``, so ``detection.json`` holds it
    unchanged) carrying its kind (:data:`TRIAL_WARNING_KINDS`) as ``.kind``, so that a caller summing warnings up
    by kind (``saliency detect``) never reads the kind back from the wording."""

    kind: str

    def __new__(cls, kind: str, text: str):
        if kind not in TRIAL_WARNING_KINDS:
            raise ValueError(f"TrialWarning kind {kind!r}: one of {', '.join(TRIAL_WARNING_KINDS)}")
        self = super().__new__(cls, text)
        self.kind = kind
        return self

    def __reduce__(self):  # the kind crosses a process pool with the text
        return (TrialWarning, (self.kind, str(self)))


def _warning(kind: str, text: str | None) -> TrialWarning | None:
    """``text`` as a :class:`TrialWarning` of ``kind``; None for None (nothing to say)."""
    return None if text is None else TrialWarning(kind, text)


def sample_period(t: np.ndarray) -> float:
    """Median interval between consecutive time stamps (ms); NaN for fewer than two samples."""
    if len(t) < 2:
        return float("nan")
    d = np.diff(np.asarray(t, dtype=np.float64))
    d = d[d > 0]
    return float(np.median(d)) if d.size else float("nan")


NOISE_FREE_DEG_S = 1e-3
"""Floor (deg/s) of :func:`nh`'s saccade onset and offset thresholds: only noise-free gaze ever falls below it."""

RATE_CHANGE_SHARE = 0.2
"""Share of a trial's intervals that, all of one length above 1.5 sample periods, make :func:`rate_change` speak."""

RATE_CHANGE_RUN = 0.8
"""Share of the intervals from the first such gap to the last that they must be (a stretch at another rate)."""


def rate_change(t) -> str | None:
    """One sentence when the sampling rate of one trial's sorted time stamps ``t`` seems to change, else None.

    Every interval longer than 1.5 median periods is read as rows absent from
    the log, which end every event (:func:`_segments`). Track loss leaves such
    gaps here and there, of any length; when more than
    :data:`RATE_CHANGE_SHARE` (20 %) of the intervals are gaps of one length
    (within a tenth of a period), there are at least five, and they make
    up :data:`RATE_CHANGE_RUN` (80 %) of the stretch from the first to the
    last of them, the rate changed (150 samples at 500 Hz then 150 at 250
    Hz: every 4 ms interval was a gap, and the second half had no event), or
    the time stamps are not what the time unit says. Single rows lost at
    random (35 % of a 500 Hz trial: a fifth of its intervals are 4 ms) are
    scattered among 2 ms intervals and are track loss, not a new rate. The
    rows are still labelled as before; the sentence says so and what to do.
    """
    t = np.asarray(t, dtype=np.float64)
    dt = sample_period(t)
    if not np.isfinite(dt):
        return None
    d = np.diff(t)
    gap = np.flatnonzero(d > 1.5 * dt)
    if gap.size < 5 or gap.size <= RATE_CHANGE_SHARE * len(d):
        return None
    steps = d[gap] / dt
    vals, counts = np.unique(np.round(steps, 1), return_counts=True)
    same = np.abs(steps - vals[np.argmax(counts)]) <= 0.1 + 1e-9
    k = int(same.sum())
    if k < 5 or k <= RATE_CHANGE_SHARE * len(d):
        return None
    at = gap[same]
    if k < RATE_CHANGE_RUN * (at[-1] - at[0] + 1):  # scattered among normal intervals: rows lost, not a new rate
        return None
    g = float(np.median(d[gap][same]))
    first = float(t[gap[same][0]])
    return (f"the sampling rate changes within the trial: {k} of {len(d)} intervals ({100 * k / len(d):.0f} %) are "
            f"{g:.4g} ms against a median of {dt:.4g} ms ({1000 / g:.4g} Hz against {1000 / dt:.4g} Hz), and each "
            f"is read as rows absent from the log, which no event spans; split the trial where the interval changes "
            f"(first at {first:.6g} ms) or check the time unit")


REPEATED_TIMES_SHARE = 0.5
"""Share of a trial's samples that, repeating the previous time stamp, make :func:`repeated_times` speak: more
than half (a log with one row per eye repeats exactly half of them, and is not told)."""

REPEATED_TIMES = "samples repeat the previous time stamp"
"""The words of :func:`repeated_times`' line (``saliency detect`` gathers its lines apart from the others)."""


def repeated_times(t) -> str | None:
    """One sentence when more than :data:`REPEATED_TIMES_SHARE` of one trial's samples ``t`` repeat the previous
    time stamp, else None.

    A time column a spreadsheet rounded (16-digit microseconds written
    ``1.70000E+15``) gives every sample of a trial one stamp: the samples
    have no interval, so no velocity and no event, and the trial's zero
    fixations would otherwise pass without a word.
    """
    t = np.asarray(t, dtype=np.float64)
    if len(t) < 2:
        return None
    k = int(np.sum(np.diff(t) == 0))
    if k <= REPEATED_TIMES_SHARE * len(t):
        return None
    return (f"{k} of {len(t)} {REPEATED_TIMES}: a time column rounded (e.g. by a spreadsheet's 1.70000E+15)? "
            f"export times in full")


WINDOW_SHORT_SHARE = 0.5
""":func:`window_warning` speaks when the velocity window (``nh``, ``tobii-ivt``) measures a speed at fewer than
this share of the samples that the shortest window measures."""


def window_warning(t, gaze, measured, shortest, window_ms: float, applied_ms: float, without: str,
                   given: bool = True) -> str | None:
    """One sentence when the velocity window measures a speed (over the whole window, ``measured``) at fewer than
    :data:`WINDOW_SHORT_SHARE` of a trial's samples with gaze (``gaze``) that the shortest window would measure,
    else None.

    A window longer than the trial (or its runs of gaze) measures no speed: ``tobii-ivt`` then labels every
    sample undefined and ``nh`` starts no saccade, without a word (``--smooth-ms 5000`` on a 1 s trial).
    ``shortest``: a callable giving ``measured`` for the shortest window (3 samples), called only when needed:
    runs of gaze too short for any window (a trial whose rate changes, its slower part a gap at every row) are
    the data's doing, not the window's. ``without``: what a sample without a measured speed becomes.
    ``given``: whether the caller gave ``window_ms`` (False: the detector's default, said so).

    Two causes, two sentences. A window longer than half the trial (a trial too short for it: an unbroken
    trial warns only then) is told to be well under the trial's length. A shorter one warns only because the
    trial's runs of gaze are short: rows absent from the log (10 % left out at random: runs of about 20 ms at
    500 Hz, for a 20 ms window) or samples marked invalid break them; the sentence compares the window with
    those runs (the longest, and the run length that half the samples with gaze lie in runs up to) and says
    how many breaks of each kind the trial has, not the trial's length, which was never the problem.
    """
    gaze = np.asarray(gaze, dtype=bool)
    n = int(gaze.sum())
    k = int((np.asarray(measured, dtype=bool) & gaze).sum())
    if not n or k >= WINDOW_SHORT_SHARE * n:
        return None
    k_min = int((np.asarray(shortest(), dtype=bool) & gaze).sum())
    if k >= WINDOW_SHORT_SHARE * k_min:
        return None
    t = np.asarray(t, dtype=np.float64)
    a, b = sm.gap_runs(t, gaze)  # cut at rows absent from the log, as the windows are
    dur = t[b] - t[a]
    run, length = float(dur.max()), float(t[-1] - t[0])
    if applied_ms > length / 2:  # the trial is too short for the window (an unbroken trial warns only so)
        named = f"`window_ms` {window_ms:g}" + ("" if given else " (default for this detector)")
        return (f"{named}: its window ({applied_ms:.6g} ms) fits around only {k} of the {n} samples "
                f"with gaze of this trial ({length:.6g} ms long, longest run of gaze {run:.6g} ms; a 3-sample "
                f"window fits {k_min}), and {without}; give a `window_ms` well under the trial's length")
    # a window well within the trial: its runs of gaze are what is short
    order = np.argsort(dur, kind="stable")
    half = order[np.searchsorted(np.cumsum((b - a + 1)[order]), n / 2.0)]  # the run holding the median sample
    absent = int(sm.gap_breaks(t).sum())  # where sm.gap_runs cuts
    invalid = int((~gaze[1:] & gaze[:-1]).sum() + (not gaze[0]))  # runs of samples without gaze
    breaks = " and ".join(w for w in (
        f"{absent} place{'s' * (absent != 1)} where rows are missing from the log" if absent else "",
        f"{invalid} run{'s' * (invalid != 1)} of samples marked invalid" if invalid else "") if w)
    bridge = (", or an export that keeps the samples left out as rows (gaze empty), so that `max_gap_ms` can "
              "bridge them" if absent else "")
    return (f"the window (`window_ms` {window_ms:g}{'' if given else ', default for this detector'}; "
            f"{applied_ms:.6g} ms applied) fits around only {k} of the {n} samples with gaze of this trial "
            f"(a 3-sample window fits {k_min}), and {without}: the trial's runs of gaze are short for it "
            f"(longest {run:.6g} ms, half of the samples with gaze in runs of {float(dur[half]):.6g} ms or less), "
            f"broken at {breaks or 'the samples without gaze'}; give a window well under those runs{bridge}")


NH_GLISSADE_WARN_MS = 100.0
"""An ``nh`` minimum fixation duration (ms) above which :func:`classify` warns that it also sizes the glissade
search (``2 x`` the value, as the published code ties them)."""


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


def is_number(value) -> bool:
    """Whether ``value`` is a real number (int, float, numpy's), and not a bool: the rule of every numeric
    detection option (here and :func:`data_tools.ingest.check_detection_numbers`). A str ("30") met a TypeError
    further on, and True read as 1 (an I-VT threshold of 1 deg/s, most samples saccade, unsaid)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_threshold(threshold: float, unit: str) -> None:
    """Refuse a detector ``threshold`` (``unit``: deg/s, or deg for I-DT) that is not a finite number above 0 (an
    infinite one made every sample with a speed one fixation, unsaid; a str or bool: :func:`is_number`)."""
    if not is_number(threshold):
        raise UserError(f"`threshold` {threshold!r}: must be a finite number above 0 ({unit})")
    if not threshold > 0:
        raise UserError(f"`threshold` {threshold}: must be positive ({unit})")
    if not threshold < np.inf:
        raise UserError(f"`threshold` {threshold}: must be finite ({unit}); an infinite one makes every sample a "
                        "fixation")


def ivt(t, xdeg, ydeg, threshold: float = 20.0, min_duration_ms: float = 100.0) -> list[tuple[int, int]]:
    """I-VT fixations as inclusive sample index ranges ``(first, last)``."""
    _check_threshold(threshold, "deg/s")
    t = np.asarray(t, dtype=np.float64)
    speed = fivepoint_speed(t, xdeg, ydeg)
    with np.errstate(invalid="ignore"):
        cand = speed < threshold
    starts, ends = _runs(cand)
    keep = (t[ends] - t[starts]) >= min_duration_ms - TIME_TOL_MS
    return list(zip(starts[keep].tolist(), ends[keep].tolist()))


def idt(t, xdeg, ydeg, threshold: float = 1.0, min_duration_ms: float = 100.0,
        window: int | None = None) -> list[tuple[int, int]]:
    """I-DT fixations as inclusive sample index ranges ``(first, last)``.

    ``window``: :func:`_idt_window` of ``min_duration_ms`` on ``t`` when the caller has it already.

    The window holds the fewest samples that span ``min_duration_ms`` (last sample time - first), counted on the
    time stamps themselves (:func:`_idt_window`; 100 ms: 51 samples at 500 Hz, 13 at 120 Hz, 31 at 300 Hz, 121
    at 1200 Hz, also with stamps written to the microsecond or millisecond), so a fixation one window long lasts
    the minimum and none is shorter (on evenly spaced time stamps).
    """
    _check_threshold(threshold, "deg")
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(xdeg, dtype=np.float64)
    y = np.asarray(ydeg, dtype=np.float64)
    n = len(t)
    if n < 2:
        return []
    dt = sample_period(t)
    m = _idt_window(min_duration_ms, t) if window is None else window
    seg = _segments(t, np.isfinite(x) & np.isfinite(y), dt)
    out = []
    change = np.flatnonzero(np.diff(seg) != 0) + 1
    bounds = np.concatenate(([0], change, [n]))
    for a, b in zip(bounds[:-1], bounds[1:]):
        if seg[a] < 0 or b - a < m:
            continue
        out.extend((a + i, a + j) for i, j in _idt_segment(x[a:b], y[a:b], m, threshold))
    return out


def _idt_window(min_duration_ms: float, t) -> int:
    """Samples in an I-DT window: the fewest whose span (last time stamp - first) reaches ``min_duration_ms``.

    Counted on the sorted time stamps ``t`` themselves, not from a period: from each sample, the samples up to
    the first one at least ``min_duration_ms`` later (within :data:`TIME_TOL_MS`) with no time gap between
    (:func:`_segments`); the window is the median count (the lower middle one; at least 2). Exact for evenly
    spaced stamps, float (``i * 1000 / rate``) or written to a unit (whole microseconds, whole milliseconds):
    ``k`` periods then span exactly ``k * period`` when that is a whole number of units (12 periods at 120 Hz,
    30 at 300 Hz, 120 at 1200 Hz: 100.000 ms), else within one unit of it, so every sample counts the same
    unless ``k * period`` lies within one unit of the minimum (then the median count wins). The median interval
    is no base for it: written to the microsecond it is 8.333 ms at 120 Hz, 0.833 at 1200 Hz, and 12 or 120 of
    it fall short of 100 ms (the window came out one sample too long). A trial with no gap-free stretch that
    long gets ``ceil(min_duration_ms / p) + 1``, ``p`` the period of its longest gap-free stretch
    ``(t[b-1] - t[a]) / (b - a - 1)`` (exact on float stamps, an estimate on rounded ones).

    pymovements' window is ``minimum_duration // dt`` samples and its growth step always adds the next sample
    (the one that may break the dispersion), so its shortest fixation holds one sample more and lasts
    ``minimum_duration``; ours ends before a breaking sample, so the window holds that sample count itself.
    """
    t = np.asarray(t, dtype=np.float64)
    n = len(t)
    dt = sample_period(t)
    if n < 2 or not np.isfinite(dt):
        return 2
    reach = min_duration_ms - TIME_TOL_MS
    seg = _segments(t, np.ones(n, dtype=bool), dt)
    j = np.searchsorted(t, t + reach, side="left")  # first sample at least `reach` after each one
    i = np.flatnonzero(j < n)
    i = i[seg[j[i]] == seg[i]]  # no time gap in between
    if i.size:
        return max(2, int(np.percentile(j[i] - i + 1, 50, method="lower")))
    size = np.bincount(seg)
    longest = int(np.argmax(size))  # at least 2 samples: a gap is over 1.5 median intervals
    a, b = np.searchsorted(seg, longest), np.searchsorted(seg, longest, side="right")
    p = (t[b - 1] - t[a]) / (b - a - 1)
    return max(2, int(np.ceil(reach / (p if p > 0 else dt))) + 1)


def _window_dispersion(x: np.ndarray, y: np.ndarray, m: int) -> np.ndarray:
    """Dispersion of the window ``[s, s + m)`` at index ``s`` (meaningful for ``s <= len(x) - m``)."""
    origin = -(m // 2)  # aligns the filter window with [s, s + m) at output index s
    return (maximum_filter1d(x, m, origin=origin) - minimum_filter1d(x, m, origin=origin)
            + maximum_filter1d(y, m, origin=origin) - minimum_filter1d(y, m, origin=origin))


def _grow(x: np.ndarray, y: np.ndarray, s: int, e: int, thr: float, block: int) -> int:
    """The end (exclusive) of the longest window ``[s, e')``, ``e' >= e``, whose dispersion stays within ``thr``
    (Salvucci & Goldberg's growing window; checked a block at a time, the block doubling)."""
    n = len(x)
    while e < n:
        stop = min(n, e + block)
        xs, ys = x[s:stop], y[s:stop]
        disp = (np.maximum.accumulate(xs) - np.minimum.accumulate(xs)
                + np.maximum.accumulate(ys) - np.minimum.accumulate(ys))
        over = np.flatnonzero(disp[e - s:] > thr)
        if over.size:
            return e + int(over[0])
        e = stop
        block *= 2
    return e


def _idt_segment(x: np.ndarray, y: np.ndarray, m: int, thr: float) -> list[tuple[int, int]]:
    """I-DT on one run of valid samples (window length ``m`` samples)."""
    n = len(x)
    ok_start = np.zeros(n, dtype=bool)
    ok_start[: n - m + 1] = _window_dispersion(x, y, m)[: n - m + 1] <= thr
    cand = np.flatnonzero(ok_start)
    out = []
    s = 0
    while True:
        k = np.searchsorted(cand, s)
        if k >= len(cand):
            break
        s = int(cand[k])
        e = _grow(x, y, s, s + m, thr, 4 * m)  # window [s, s + m) is a fixation; grow it
        out.append((s, e - 1))
        s = e
    return out


IDT_STILL_MIN_MS = 20.0
"""Shortest still run (ms) that :func:`_idt_still` takes inside a stretch that moves: at 500 Hz two or three
samples in the middle of a saccade (a 5 deg one moves 0.6 deg a sample) stay within a 1 deg dispersion, but
for a saccade over ~2 deg they span well under 20 ms."""


def _idt_still(t, xdeg, ydeg, ranges, threshold: float, min_ms: float = IDT_STILL_MIN_MS) -> np.ndarray:
    """Samples (True) outside the I-DT fixations ``ranges`` where the gaze stood still: no fixation, no saccade.

    Each stretch of valid samples outside the fixations, within a run of valid samples without a time gap, is
    split as :func:`idt` grows a fixation, with no minimum: a run grows while its dispersion stays within
    ``threshold``; the sample that breaks it starts the next run. A run lasting ``min_ms`` or more (last time
    stamp - first) is still, whatever it lacks of the window; so is a whole run of valid samples (no fixation
    in it) within the threshold, whatever its length (a 2-row or 40 ms trial: nothing moved). The sample that
    broke a fixation's or a still run's dispersion left the still place: it stays a saccade sample. The rest
    (samples that break the dispersion, and runs too short to tell from the middle of a saccade) is saccade.
    :func:`classify` labels the still samples undefined, as a fixation discarded as too short.
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(xdeg, dtype=np.float64)
    y = np.asarray(ydeg, dtype=np.float64)
    n = len(t)
    still = np.zeros(n, dtype=bool)
    if n < 2:
        return still
    seg = _segments(t, np.isfinite(x) & np.isfinite(y), sample_period(t))
    fix = np.zeros(n, dtype=bool)
    for a, b in ranges:
        fix[a:b + 1] = True
    stretch = np.where(fix, -1, seg)
    change = np.flatnonzero(np.diff(stretch) != 0) + 1
    bounds = np.concatenate(([0], change, [n]))
    for a, b in zip(bounds[:-1], bounds[1:]):
        if stretch[a] < 0:
            continue
        after_fix = a > 0 and fix[a - 1] and seg[a - 1] == seg[a]
        before_fix = b < n and fix[b] and seg[b] == seg[a]
        xs, ys = x[a:b], y[a:b]
        if not (after_fix or before_fix) and np.ptp(xs) + np.ptp(ys) <= threshold:
            still[a:b] = True  # the whole run of valid samples: nothing moved
            continue
        broke = after_fix  # the first sample broke the fixation before it
        s = 0
        L = b - a
        while s < L:
            e = _grow(xs, ys, s, s + 1, threshold, 64)  # grow [s, e) while the dispersion stays within it
            is_still = e - s >= 2 and t[a + e - 1] - t[a + s] >= min_ms - TIME_TOL_MS
            if is_still:
                still[a + s + int(broke):a + e] = True
            broke = is_still
            s = e
    return still


# ------------------------------------------------------------------ post-processing (Olsen 2012)

def _centroid(xdeg, ydeg, a: int, b: int) -> tuple[float, float]:
    xs, ys = xdeg[a:b + 1], ydeg[a:b + 1]
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return float("nan"), float("nan")
    return float(xs[ok].mean()), float(ys[ok].mean())


def merge_fixations(ranges, t, xdeg, ydeg, max_gap_ms: float, max_angle_deg: float) -> list[tuple[int, int]]:
    """Merge consecutive fixations less than ``max_gap_ms`` apart in time and ``max_angle_deg`` in angle.

    The time between two fixations is the next one's first sample time minus
    this one's last; the angle is the distance between their centroids (means
    of their samples) in degrees. Merged fixations span the samples between
    them (Olsen 2012, "merge adjacent fixations"; Komogortsev et al. 2010).
    ``max_gap_ms`` or ``max_angle_deg`` of 0 turns merging off. Fixations with
    a missing sample (NaN, a track loss left after gap bridging) between them
    are not merged: a track loss longer than the bridged gap ends the event,
    and a fixation never spans samples labelled track loss or blink (rows
    absent from the log, a jump in the time stamps, hold no sample: fixations
    on both sides of such a gap are merged by the rule above).
    """
    if not (max_gap_ms >= 0 and max_angle_deg >= 0):  # NaN too: it merged nothing, unsaid
        raise UserError(f"`merge_ms` {max_gap_ms} / `merge_deg` {max_angle_deg}: must be numbers of at least 0")
    ranges = [(int(a), int(b)) for a, b in ranges]
    if len(ranges) < 2 or max_gap_ms == 0 or max_angle_deg == 0:
        return ranges
    t = np.asarray(t, dtype=np.float64)
    xdeg = np.asarray(xdeg, dtype=np.float64)
    ydeg = np.asarray(ydeg, dtype=np.float64)
    seen = np.isfinite(xdeg) & np.isfinite(ydeg)
    lost = np.concatenate(([0], np.cumsum(~seen)))  # missing samples before each index
    out = [ranges[0]]
    for a, b in ranges[1:]:
        pa, pb = out[-1]
        if t[a] - t[pb] < max_gap_ms and lost[a] == lost[pb + 1]:
            c0, c1 = _centroid(xdeg, ydeg, pa, pb), _centroid(xdeg, ydeg, a, b)
            if np.hypot(c1[0] - c0[0], c1[1] - c0[1]) < max_angle_deg:
                out[-1] = (pa, b)
                continue
        out.append((a, b))
    return out


def discard_short(ranges, t, min_duration_ms: float) -> list[tuple[int, int]]:
    """The fixations lasting at least ``min_duration_ms`` (duration = last sample time - first sample time).

    Compared within :data:`TIME_TOL_MS` (1e-6 ms), so a rounding error in the time stamps does not drop a
    fixation of exactly the minimum (12 periods at 120 Hz sum to 99.99999999999989 ms).
    """
    if not min_duration_ms >= 0:  # NaN too: it dropped every fixation, unsaid
        raise UserError(f"`min_duration_ms` {min_duration_ms}: must be a number of at least 0")
    t = np.asarray(t, dtype=np.float64)
    return [(int(a), int(b)) for a, b in ranges if t[b] - t[a] >= min_duration_ms - TIME_TOL_MS]


# ------------------------------------------------------------------ smooth pursuit (Larsson et al. 2015)

def interval_shape(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Larsson et al. (2015) shape parameters of one gaze segment (degrees; NaN samples ignored).

    ``dispersion`` p_D: extent along the minor principal axis / extent along
    the major one (extents = ranges of the projections); ``direction`` p_CD:
    start-to-end distance / spatial range; ``displacement`` p_PD: start-to-end
    distance / path length; ``range`` p_R: the spatial range, the largest
    distance between two samples (deg). NaN for fewer than 3 valid samples.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    nan = float("nan")
    if len(x) < 3:
        return {"dispersion": nan, "direction": nan, "displacement": nan, "range": nan}
    p = np.vstack([x - x.mean(), y - y.mean()])
    _, vec = np.linalg.eigh(p @ p.T)  # ascending: column 1 is the major axis
    proj = vec.T @ p
    major, minor = float(np.ptp(proj[1])), float(np.ptp(proj[0]))
    from scipy.spatial import ConvexHull, QhullError

    pts = np.column_stack([x, y])
    try:  # the farthest pair lies on the convex hull
        hull = pts[ConvexHull(pts).vertices]
        rng = float(np.sqrt(((hull[:, None, :] - hull[None, :, :]) ** 2).sum(-1)).max())
    except QhullError:  # collinear or repeated points: the extent along their line
        rng = major
    ed = float(np.hypot(x[-1] - x[0], y[-1] - y[0]))
    path = float(np.hypot(np.diff(x), np.diff(y)).sum())
    return {"dispersion": minor / major if major > 0 else 1.0, "direction": ed / rng if rng > 0 else 0.0,
            "displacement": ed / path if path > 0 else 0.0, "range": rng}


def pursuit_split(t, xdeg, ydeg, ranges, min_range_deg: float = 0.9, max_dispersion: float = 0.45,
                  trim_ms: float = 20.0, smooth_ms: float = 10.0) -> list[bool]:
    """For each intersaccadic interval ``(first, last)``: True where it is smooth pursuit, not a fixation.

    After Larsson, Nyström, Andersson & Stridh (BSPC 2015): the gaze is
    smoothed (Savitzky-Golay, order 2, ``smooth_ms``), ``trim_ms`` is cut from
    both ends of the interval (the tails of the saccade and glissade around
    it), and the interval is pursuit when its spatial range exceeds
    ``min_range_deg`` and its dispersion ratio p_D (minor / major principal
    extent, :func:`interval_shape`) is below ``max_dispersion``: the gaze
    travelled along a line rather than scattering round a point.

    Departures from Larsson et al.: (1) no preliminary segmentation of the
    interval by direction changes (on the hand-labelled photograph trials of
    Andersson et al. 2017 the coder's pursuit filled whole intersaccadic
    intervals); (2) of their four criteria only p_D (their 0.45) and the
    spatial range p_R are used, and the range threshold is 0.9 deg instead of
    their 1.9 deg (at 1.9 deg no interval of those trials is pursuit; the
    coder's pursuit on still photographs spans 0.6-1.7 deg); their consistency
    of direction and positional displacement did not separate the coder's
    pursuit from fixations there; (3) no comparison with neighbouring segments.
    Intervals with fewer than 3 samples left after trimming are fixations.
    """
    t = np.asarray(t, dtype=np.float64)
    xdeg = np.asarray(xdeg, dtype=np.float64)
    ydeg = np.asarray(ydeg, dtype=np.float64)
    if min_range_deg <= 0 or not 0 < max_dispersion <= 1 or trim_ms < 0:
        raise UserError(f"`pursuit_range_deg` {min_range_deg}, `pursuit_dispersion` {max_dispersion}, "
                        f"`pursuit_trim_ms` {trim_ms}: need range > 0, 0 < dispersion <= 1, trim >= 0")
    ranges = [(int(a), int(b)) for a, b in ranges]
    if not ranges or not np.isfinite(sample_period(t)):
        return [False] * len(ranges)
    runs = sm.valid_runs(t, xdeg, ydeg)
    sx, sy = sm.savgol(t, xdeg, smooth_ms, 2, 0, runs), sm.savgol(t, ydeg, smooth_ms, 2, 0, runs)
    out = []
    for a, b in ranges:
        keep = (t[a:b + 1] >= t[a] + trim_ms) & (t[a:b + 1] <= t[b] - trim_ms)
        shape = interval_shape(sx[a:b + 1][keep], sy[a:b + 1][keep])
        out.append(bool(shape["range"] > min_range_deg and shape["dispersion"] < max_dispersion))
    return out


# ------------------------------------------------------------------ Nystrom & Holmqvist (2010)

@dataclass
class NHResult:
    """Per-sample output of :func:`nh`: labels (SACCADE, PSO, UNDEFINED for noise, 0 elsewhere), speed, thresholds."""

    labels: np.ndarray
    speed: np.ndarray
    noise: np.ndarray
    peak_threshold: float
    onset_threshold: float


def savgol_centred(t, runs, window_ms: float, order: int = 2, filled: np.ndarray | None = None) -> np.ndarray:
    """True where :func:`smoothing.savgol` over ``runs`` measures the sample: the window is centred on it.

    In each run of valid samples, with the window shrunk on a short run as
    :func:`smoothing.savgol` shrinks it, the half-window of samples at either
    end gets the value of the polynomial fitted to the run's first (last) full
    window (``mode="interp"``): a speed extrapolated past the samples that
    measured it, not measured (at a run starting in a saccade, 403 deg/s from
    the edge fit where the central difference gives 241). A run too short for
    any window is not measured (its speed is NaN). ``filled`` (optional, one
    bool per sample: positions filled in by gap bridging) also leaves out a
    sample whose window holds a filled sample other than itself (the centre's
    weight in a first derivative of the symmetric fit is 0): its speed came
    from positions nobody saw (:func:`uses_filled`).
    """
    t = np.asarray(t, dtype=np.float64)
    out = np.zeros(len(t), dtype=bool)
    if len(t) < 2:
        return out
    window = sm.window_samples(window_ms, sm.savgol_period(t), order)
    for a, b in zip(*runs):
        w = sm.run_window(window, int(b) - int(a) + 1, order)
        if not w:
            continue
        h = w // 2
        out[a + h:b + 1 - h] = True
        if filled is not None:
            out[a:b + 1] &= ~uses_filled(np.asarray(filled[a:b + 1], dtype=bool),
                                         [k for k in range(-h, h + 1) if k])
    return out


def uses_filled(filled: np.ndarray, offsets) -> np.ndarray:
    """True where a speed computed from the positions at ``offsets`` (samples) from the sample uses a ``filled`` one.

    The samples each speed is differenced from: :func:`fivepoint_speed` -2, -1, 1, 2; :func:`window_speed` -h, h
    (the samples between its ends take no part); ``nh``'s Savitzky-Golay derivative -h..h but 0.
    """
    filled = np.asarray(filled, dtype=bool)
    out = np.zeros(len(filled), dtype=bool)
    for k in offsets:
        if 0 < k < len(filled):
            out[:-k] |= filled[k:]
        elif 0 < -k < len(filled):
            out[-k:] |= filled[:k]
    return out


def _run_bounds(t, xdeg, ydeg) -> tuple[np.ndarray, np.ndarray]:
    """For every sample the first and last index of its run of valid samples (-1 where invalid)."""
    n = len(t)
    lo = np.full(n, -1, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    for a, b in zip(*sm.valid_runs(t, xdeg, ydeg)):
        lo[a:b + 1] = a
        hi[a:b + 1] = b
    return lo, hi


NH_NOISE_WINDOW_MS = 20.0
"""The published Savitzky-Golay window of :func:`nh` (ms), on which noise (speed, acceleration limits) is judged."""


OPTION_RANGES: dict[str, tuple[bool, bool, str]] = {
    "window_ms": (True, False, "ms"), "noise_window_ms": (True, False, "ms"), "min_fixation_ms": (False, False, "ms"),
    "min_saccade_ms": (False, False, "ms"), "peak_start": (True, False, "deg/s"), "max_speed": (True, True, "deg/s"),
    "max_accel": (True, True, "deg/s^2"), "alpha": (False, False, "a weight"), "beta": (False, False, "a weight"),
    "peak_sd": (False, False, "SDs"), "onset_sd": (False, False, "SDs"), "min_peak": (False, False, "deg/s"),
}
"""The numeric options of :func:`nh` and ``window_ms`` (also :func:`tobii_ivt`'s): ``(above 0, inf allowed,
unit)``. Above 0: a window or the peak search's start (0 or less has no meaning); else at least 0. Only the
noise limits ``max_speed``/``max_accel`` may be inf (no limit). NaN is refused everywhere: a comparison with it is
false, so it turned a step off unsaid (``peak_start``/``peak_sd`` NaN: no saccade at all), and an infinite
window overflowed the sample count (``OverflowError``)."""


def _check_option(name: str, value) -> None:
    """Refuse ``value`` of option ``name`` outside its :data:`OPTION_RANGES` (NaN, inf, not a number: a str or a
    bool, :func:`is_number`), naming it."""
    above, inf_ok, unit = OPTION_RANGES[name]
    v = float(value) if is_number(value) else np.nan
    if (v > 0 if above else v >= 0) and (inf_ok or v < np.inf):
        return
    value = value if is_number(value) else repr(value)
    if inf_ok:
        raise UserError(f"`{name}` {value}: must be a number above 0 ({unit}; inf: no limit)")
    raise UserError(f"`{name}` {value}: must be a finite number {'above' if above else 'of at least'} 0 ({unit})")


def nh(t, xdeg, ydeg, window_ms: float = 20.0, min_fixation_ms: float = 40.0, min_saccade_ms: float = 10.0,
       peak_start: float = 100.0, max_speed: float = 1000.0, max_accel: float = 100_000.0,
       alpha: float = 0.7, beta: float = 0.3, peak_sd: float = 6.0, onset_sd: float = 3.0,
       pso: bool = True, noise_window_ms: float = NH_NOISE_WINDOW_MS, min_peak: float = 10.0) -> NHResult:
    """Saccades, glissades (PSO) and noise by the adaptive algorithm of Nystrom & Holmqvist (2010).

    As published: speed and acceleration from a second-order Savitzky-Golay
    filter over ``window_ms``; samples above ``max_speed`` deg/s or
    ``max_accel`` deg/s^2 are noise, widened while the speed stays above twice
    the trial's median speed; the peak threshold starts at ``peak_start`` and
    is iterated as ``mean + 6 SD`` of the non-noise samples below it until it
    moves by less than 1 deg/s; the onset threshold is ``mean + 3 SD``. Each
    run above the peak threshold is a saccade: its onset is the first sample,
    searching backwards, below the onset threshold at a local minimum of speed;
    its offset threshold is ``alpha * onset + beta * (mean + 3 SD of the speed
    in the min_fixation_ms before the onset)``, its offset the first local
    minimum below it. A glissade follows as in the published
    detectSaccades.m: within ``min_fixation_ms`` after the offset, the last
    complete peak above the offset threshold (one that falls back below it
    inside that window) ends at the next local minimum below the threshold;
    none is taken when a speed in the window exceeds the saccade's peak, when
    no peak there is complete, or when it would last over ``2 *
    min_fixation_ms`` (80 ms; its samples from the saccade's offset, one
    period each); its samples are then left to the next saccade's search (a
    saccade starting 30 ms after another was swallowed as one PSO).

    Departures: the speed for the thresholds is smoothed over ``window_ms``
    (default 6 ms in :data:`DEFAULTS`, 3 samples at 500 Hz; the paper's 20 ms
    widens every saccade by ~10 ms on each side: on the hand-labelled data of
    Andersson et al. (2017) fixation kappa 0.632 vs 0.582 on the four trials
    it was chosen on, 0.757 vs 0.664 on the two held out, docs/BENCHMARKS.md
    at stop 27), while noise (speed and
    acceleration limits) is judged on the published ``noise_window_ms`` = 20 ms
    filter, since a second derivative over 3 samples is mostly noise; the
    noise widening uses twice the median speed; searches stop at missing
    samples (a saccade reaching a gap is kept and later absorbed by a blink,
    see :func:`classify`); only a measured speed (:func:`savgol_centred`: the
    filter's window centred on the sample) starts a saccade, not the edge
    fit's extrapolation at the first or last samples of a run of valid samples
    (it made a trial's last sample 31.9 deg/s where its neighbours moved at
    3-5); a saccade candidate shorter than ``min_saccade_ms`` is not dropped
    but its samples become undefined (not fixation: a jump of the gaze); there
    is no minimum number of samples above the peak threshold (the published
    code skips peaks of ``minSaccadeDur / 6`` samples or fewer) and no skip of
    a saccade whose local noise (mean + 3 SD before it) exceeds the peak
    threshold. Fixations (the rest, at least ``min_fixation_ms``) are made by
    :func:`classify`. ``peak_sd``/``onset_sd`` are the 6 and 3 SD; ``pso=False``
    skips glissades. The peak threshold never falls below ``min_peak`` deg/s:
    on noise-free gaze (a constant position, as in simulated or rounded data)
    the iteration converges to mean + 6 SD of rounding errors (~1e-13) and
    would make every sample a saccade; recorded trials sit far above it. For
    the same reason the onset and offset thresholds never fall below
    :data:`NOISE_FREE_DEG_S` (1e-3 deg/s, far below the noise of any
    recording: the six hand-labelled Lund trials have onset thresholds of
    32.2-51.1 deg/s, a synthetic study at 60-100 Hz 3.7-5 deg/s): the searches
    keep the strict ``speed < threshold`` of the paper, which a speed of 0
    (or its rounding errors, ~1e-13) never met under a threshold of 0, so a
    noise-free trial with a saccade was one saccade from its first sample to
    its last. Mean + 3 SD of recorded gaze is kept as published.
    """
    for k, v in (("window_ms", window_ms), ("min_fixation_ms", min_fixation_ms), ("min_saccade_ms", min_saccade_ms),
                 ("peak_start", peak_start), ("max_speed", max_speed), ("max_accel", max_accel), ("alpha", alpha),
                 ("beta", beta), ("peak_sd", peak_sd), ("onset_sd", onset_sd), ("noise_window_ms", noise_window_ms),
                 ("min_peak", min_peak)):
        _check_option(k, v)
    t = np.asarray(t, dtype=np.float64)
    xdeg = np.asarray(xdeg, dtype=np.float64)
    ydeg = np.asarray(ydeg, dtype=np.float64)
    n = len(t)
    labels = np.zeros(n, dtype=np.int8)
    runs = sm.valid_runs(t, xdeg, ydeg)
    speed = np.hypot(sm.savgol(t, xdeg, window_ms, 2, 1, runs), sm.savgol(t, ydeg, window_ms, 2, 1, runs)) * 1e3
    # noise is judged on the published 20 ms filter: a second derivative over 3 samples is mostly noise
    nspeed = speed if noise_window_ms == window_ms else np.hypot(
        sm.savgol(t, xdeg, noise_window_ms, 2, 1, runs), sm.savgol(t, ydeg, noise_window_ms, 2, 1, runs)) * 1e3
    accel = np.hypot(sm.savgol(t, xdeg, noise_window_ms, 2, 2, runs),
                     sm.savgol(t, ydeg, noise_window_ms, 2, 2, runs)) * 1e6
    ok = np.isfinite(speed)
    nan = float("nan")
    if not ok.any():
        return NHResult(labels, speed, np.zeros(n, bool), nan, nan)
    dt = sample_period(t)
    lo, hi = _run_bounds(t, xdeg, ydeg)
    with np.errstate(invalid="ignore"):
        noise = ok & ((nspeed > max_speed) | (accel > max_accel))
    if noise.any():
        wide = 2.0 * float(np.median(speed[ok]))
        for a, b in zip(*_runs(noise)):
            while a > lo[a] and speed[a - 1] > wide:
                a -= 1
            while b < hi[b] and speed[b + 1] > wide:
                b += 1
            noise[a:b + 1] = True
    clean = ok & ~noise
    if not clean.any():
        return NHResult(np.where(noise, UNDEFINED, 0).astype(np.int8), speed, noise, nan, nan)
    pt = float(peak_start)
    v = speed[clean]
    mu, sd = float(v.mean()), float(v.std())
    for _ in range(200):
        below = v[v < pt]
        if below.size < 2:
            break
        mu, sd = float(below.mean()), float(below.std())
        new = mu + peak_sd * sd
        done = abs(new - pt) < 1.0
        pt = new
        if done:
            break
    pt = max(pt, float(min_peak))
    # noise-free gaze: mean + 3 SD is 0 (or ~1e-13), and no speed is below it
    onset_thr = max(mu + onset_sd * sd, NOISE_FREE_DEG_S)
    nfix = max(1, int(round(min(min_fixation_ms / dt, n))))  # at most the trial: a huge value overflowed int64
    # only a measured speed (the filter's window centred on the sample) starts a saccade: the half-window at
    # either end of a run of valid samples is the edge fit's extrapolation (31.9 deg/s at a trial's last sample
    # whose neighbours move at 3-5 made a too-short candidate, and its fixation lost 3 samples)
    measured = savgol_centred(t, runs, window_ms)
    with np.errstate(invalid="ignore"):
        above = clean & measured & (speed > pt)
    last = -1
    for p0, p1 in zip(*_runs(above)):
        if p0 <= last:
            continue
        a0 = max(lo[p0], last + 1)
        i = p0
        while i > a0 and not (speed[i] < onset_thr and speed[i - 1] >= speed[i]):
            i -= 1
        onset = i
        w = speed[max(lo[p0], onset - nfix):onset]
        w = w[np.isfinite(w)]
        off_thr = alpha * onset_thr + beta * (w.mean() + onset_sd * w.std()) if w.size >= 3 else onset_thr
        off_thr = max(off_thr, NOISE_FREE_DEG_S)
        j = p1
        while j < hi[p1] and not (speed[j] < off_thr and speed[j + 1] >= speed[j]):
            j += 1
        offset = j
        if t[offset] - t[onset] < min_saccade_ms:
            # too short for a saccade, but not a fixation either: a jump of the gaze (an eye lost from a
            # binocular average) left as a fixation candidate joined the fixations on both sides
            seg = labels[onset:offset + 1]
            seg[seg == 0] = UNDEFINED
            continue
        labels[onset:offset + 1] = SACCADE
        last = offset
        if not pso or offset >= hi[p1]:
            continue
        # the published detectSaccades.m: only complete peaks (back below the offset threshold inside the
        # window), none faster than the saccade, and at most 2 * min_fixation_ms; else no glissade, and the
        # samples are left to the next saccade's search (a saccade 30 ms after another was swallowed as PSO)
        end = min(hi[p1], offset + nfix)
        up = speed[offset:end + 1] > off_thr  # the offset itself is below: every peak here starts inside
        falls = np.flatnonzero(up[:-1] & ~up[1:])
        if falls.size and speed[offset + 1:end + 1].max() <= speed[onset:offset + 1].max():
            g = offset + 1 + int(falls[-1])  # back below the threshold; on to the first local minimum
            while g < hi[p1] and not (speed[g] < off_thr and speed[g + 1] >= speed[g]):
                g += 1
            # published duration: the samples from the saccade's offset to the glissade's end, one period each
            if t[g] - t[offset] + dt <= 2.0 * min_fixation_ms + TIME_TOL_MS:
                labels[offset + 1:g + 1] = PSO
                last = g
    labels[noise & (labels == 0)] = UNDEFINED
    return NHResult(labels, speed, noise, pt, onset_thr)


NH_OPTIONS = tuple(k for k in inspect.signature(nh).parameters
                   if k not in ("t", "xdeg", "ydeg", "window_ms", "min_fixation_ms"))
"""The keyword options of :func:`nh` that :func:`classify` passes on (``nh_params``); it sets ``window_ms`` and
``min_fixation_ms`` itself (from its ``window_ms`` and ``min_duration_ms``)."""

def _options_of(method: str) -> list[str]:
    """The keyword options :func:`classify` takes with detector ``method``."""
    own = [k for k in CLASSIFY_OPTIONS if k not in USED_BY or method in USED_BY[k]]
    return own + list(NH_OPTIONS) if method == "nh" else own


def _check_geometry(geometry) -> None:
    """Refuse a ``geometry`` that is not a :class:`ScreenGeometry` (None, a tuple, a dict of its fields)."""
    if not isinstance(geometry, ScreenGeometry):
        raise UserError(f"`geometry` is a {type(geometry).__name__}, not a ScreenGeometry; give "
                        f"ScreenGeometry(screen_px, screen_cm, distance_cm) or ScreenGeometry.load(path of its JSON)")


# ------------------------------------------------------------------ Tobii I-VT (Olsen 2012)

def window_speed(t, xdeg, ydeg, window_ms: float = 20.0) -> np.ndarray:
    """Speed (deg/s) over a window centred on each sample: distance between its first and last sample / time.

    Olsen (2012): the window holds the samples within ``window_ms``; here
    ``h = max(1, round(window_ms / 2 / period))`` samples on each side
    (:func:`window_half`), so at low rates the window spans more than asked
    (20 ms at 30 Hz: 3 samples, 66.7 ms). NaN where the window leaves the run
    of valid samples.
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(xdeg, dtype=np.float64)
    y = np.asarray(ydeg, dtype=np.float64)
    n = len(t)
    speed = np.full(n, np.nan)
    if n < 3:
        return speed
    h = window_half(window_ms, sample_period(t))
    if n <= 2 * h:
        return speed
    lo, hi = _run_bounds(t, x, y)
    i = np.arange(h, n - h)
    good = (lo[i] >= 0) & (lo[i - h] == lo[i]) & (hi[i + h] == hi[i])
    d = np.hypot(x[i + h] - x[i - h], y[i + h] - y[i - h]) / (t[i + h] - t[i - h]) * 1000.0
    speed[h:n - h] = np.where(good, d, np.nan)
    return speed


def window_half(window_ms: float, period_ms: float) -> int:
    """Samples each side of the centre in :func:`window_speed`'s window: ``max(1, round(window_ms / 2 / period))``."""
    return max(1, int(round(window_ms / 2.0 / period_ms)))


def tobii_ivt(t, xdeg, ydeg, threshold: float = 30.0, window_ms: float = 20.0) -> tuple[list, np.ndarray]:
    """Tobii I-VT classification: (runs of samples below ``threshold`` deg/s, speed per sample)."""
    _check_threshold(threshold, "deg/s")
    _check_option("window_ms", window_ms)
    speed = window_speed(t, xdeg, ydeg, window_ms)
    with np.errstate(invalid="ignore"):
        starts, ends = _runs(speed < threshold)
    return list(zip(starts.tolist(), ends.tolist())), speed


# ------------------------------------------------------------------ one entry point

@dataclass
class Classification:
    """Every sample of one trial labelled (codes of :mod:`data_tools.detectors`), with what the detector saw."""

    method: str
    t: np.ndarray
    xdeg: np.ndarray
    ydeg: np.ndarray
    labels: np.ndarray
    speed: np.ndarray
    fixations: list
    params: dict = field(default_factory=dict)
    measured: np.ndarray | None = None
    """True where ``speed`` is measured at the sample (the event tables' peak velocity is taken over these):
    ``nh``: the Savitzky-Golay window centred on it (:func:`savgol_centred`; not the extrapolated half-window
    at the ends of a run of valid samples), and finite. None (the other detectors): every finite speed. With
    positions filled in by ``max_gap_ms``, never a speed differenced from a filled one (:func:`uses_filled`);
    the labels took every speed."""

    def ranges(self, label: int) -> list[tuple[int, int]]:
        """Inclusive ``(first, last)`` index ranges of the runs of ``label`` (fixations: as detected)."""
        if label == FIXATION:
            return list(self.fixations)
        # cut at a jump in the time stamps (rows absent from the log end every event): two saccades on either
        # side of a jump were one row spanning it
        a, b = sm.gap_runs(self.t, self.labels == label)
        return list(zip(a.tolist(), b.tolist()))


def _blinks(labels: np.ndarray, t: np.ndarray, blink_ms: tuple[float, float],
            offscreen: np.ndarray | None = None, speed: np.ndarray | None = None,
            reach_ms: float = BLINK_REACH_MS) -> None:
    """Missing runs lasting ``blink_ms[0]``..``blink_ms[1]`` become blinks, with the lid's movement on each side.

    The lid going down and coming up drags the signal just before and after
    the missing run (the EyeLink parser reports a blink inside a saccade):
    the saccade and PSO samples directly adjoining the run join the blink,
    as do samples without a speed (``speed`` NaN: the velocity filter
    reached into the missing run, so the detector could not judge them) and
    ``offscreen`` samples, track-loss samples where the tracker measured a
    gaze off the screen (the eye was seen, so they never make a blink by
    themselves: a glance off the screen is not a blink). The walk outwards
    stops at the first other sample (a fixation, pursuit, or an undefined
    sample such as a fixation discarded as too short stays what it was), at a
    jump in the time stamps, and after ``reach_ms`` (:data:`BLINK_REACH_MS`,
    50 ms; our bound, not a published one): a sample joins only when it lies
    within 50 ms of the run's first (last) missing sample. A blink is thus its
    missing run (10-500 ms unseen) plus at most 50 ms on each side; a longer
    run of saccade samples beside it is the eye moving and stays a saccade.
    """
    n = len(labels)
    if n == 0:
        return
    dt = sample_period(t) if n > 1 else 1.0
    lost = labels == TRACK_LOSS
    off = np.zeros(n, dtype=bool) if offscreen is None else (np.asarray(offscreen, dtype=bool) & lost)
    joins = np.isin(labels, (SACCADE, PSO)) | off
    if speed is not None:
        joins |= (labels == UNDEFINED) & ~np.isfinite(np.asarray(speed, dtype=np.float64))
    reach = reach_ms + TIME_TOL_MS
    # a jump in the time stamps (rows absent from the log) is an edge like the trial's: the unseen time of a
    # missing run stops there, and a blink does not reach across it
    jump = np.zeros(n + 1, dtype=bool)  # jump[i]: rows are absent between samples i - 1 and i
    jump[1:n] = np.diff(t) > 1.5 * dt
    jump[0] = jump[n] = True
    for a, b in zip(*_runs(lost & ~off)):
        before = t[a - 1] if not jump[a] else t[a] - dt
        after = t[b + 1] if not jump[b + 1] else t[b] + dt
        unseen = after - before - dt
        if not blink_ms[0] <= unseen <= blink_ms[1]:
            continue
        labels[a:b + 1] = BLINK
        i = a - 1
        while not jump[i + 1] and joins[i] and t[a] - t[i] <= reach:
            labels[i] = BLINK
            i -= 1
        i = b + 1
        while not jump[i] and joins[i] and t[i] - t[b] <= reach:
            labels[i] = BLINK
            i += 1


def _check_samples(t: np.ndarray, per_sample: dict) -> None:
    """Refuse what :func:`classify` cannot label: ``t`` not in recording order, or a per-sample array
    (``per_sample``: name -> array or None) that is not one value per time stamp.

    A time stamp equal to the previous one is in order (classified once with it, as ``saliency detect`` keeps
    it); one earlier than the latest before it is a sample that ``saliency detect`` quarantines as
    ``time_backwards``. A missing (NaN) time stamp is never out of order.
    """
    if t.ndim != 1:
        raise UserError(f"`t`: shape {t.shape}; give one time stamp (ms) per sample, a 1-D array")
    for name, a in per_sample.items():
        if a is not None and np.shape(a) != t.shape:
            raise UserError(f"`{name}`: shape {np.shape(a)} against {t.shape} of `t`; give one value per sample")
    fin = np.flatnonzero(np.isfinite(t))
    back = np.flatnonzero(np.diff(t[fin]) < 0)
    if back.size:
        i, j = int(fin[back[0]]), int(fin[back[0] + 1])
        raise UserError(f"`t`: sample {j} ({t[j]:.6g} ms) is earlier than sample {i} ({t[i]:.6g} ms), "
                        f"{back.size} step(s) back in all; give the samples in recording order (saliency detect "
                        f"sets such samples aside as time_backwards and never sorts a trial)")


def classify(t, x_px, y_px, geometry, method: str = "ivt", threshold: float | None = None,
             min_duration_ms: float | None = None, max_gap_ms: float | None = None,
             merge_ms: float | None = None, merge_deg: float | None = None, window_ms: float | None = None,
             blink_ms: tuple[float, float] = (10.0, 500.0), pursuit: bool = False, offscreen=None,
             **nh_params) -> Classification:
    """Label every sample of one trial (screen pixels, NaN = missing) with ``method``, then post-process.

    Steps: pixels to degrees; missing runs up to ``max_gap_ms`` bridged
    (:func:`smoothing.bridge_gaps`), unless they hold an ``offscreen`` sample;
    the detector; fixations closer than ``merge_ms`` and ``merge_deg`` merged
    (only when both are above 0); fixations shorter than
    ``min_duration_ms`` discarded (their samples become ``undefined``);
    missing runs left after bridging that last ``blink_ms`` (10-500 ms) become
    blinks together with the saccade and PSO samples (and samples without a
    speed) adjoining them, up to :data:`BLINK_REACH_MS` (50 ms) on each side
    (:func:`_blinks`); other missing samples are track loss. A bridged run is neither: as in the
    Tobii I-VT filter (Olsen 2012), a gap shorter than ``max_gap_ms`` is filled
    in, so with ``max_gap_ms`` > 0 only longer runs can be blinks.
    ``offscreen`` (optional, one bool per sample) marks missing samples whose
    gaze the tracker measured off the screen: never bridged (a run holding one
    stays track loss and ends the events around it), a blink only next to one
    (:func:`_blinks`). Unset options take the detector's
    :data:`DEFAULTS`; ``window_ms`` is the smoothing window of ``nh`` and the
    velocity window of ``tobii-ivt``; ``nh_params`` go to :func:`nh`.
    ``params`` records the window asked for (``window_ms``) and the one
    applied at the trial's rate, which is wider at low rates: ``nh``:
    ``window_samples`` (:func:`smoothing.window_samples`) and
    ``window_ms_applied`` = samples x period, and the same for its noise
    filter (``noise_window_ms``, ``noise_window_samples``,
    ``noise_window_ms_applied``; 6 ms at 60 Hz runs over 3 samples, 50 ms);
    ``tobii-ivt``: ``window_samples`` = 2 h + 1 (:func:`window_half`) and
    ``window_ms_applied`` = 2 h x period, the time between the window's first
    and last sample (20 ms at 30 Hz: 3 samples, 66.7 ms).
    ``pursuit=True``: fixations that :func:`pursuit_split` finds moving along
    a line become smooth pursuit (label PURSUIT) and leave the fixation list.
    ``params["warnings"]`` (present only when there is one) holds one line
    (a :class:`TrialWarning`: a ``str`` with its ``.kind``) per
    problem of the trial's time stamps: most samples repeating the previous
    time stamp (:func:`repeated_times`), a sampling rate that changes within
    the trial (:func:`rate_change`), whose slower intervals count as rows
    absent from the log; a velocity window (``nh``, ``tobii-ivt``) that
    leaves most samples with gaze without a measured speed
    (:func:`window_warning`); an ``nh`` ``min_duration_ms`` above
    :data:`NH_GLISSADE_WARN_MS`, which also sizes its glissade search.
    Refused (:class:`UserError`): an unknown option (one neither of
    :data:`CLASSIFY_OPTIONS` nor of :data:`NH_OPTIONS`), an ``nh`` option
    with another detector, an option the detector does not use (:data:`USED_BY`), a
    ``geometry`` that is not a :class:`ScreenGeometry`, ``t`` in other than recording order (a
    time stamp earlier than one before it; a repeated one is in order), and
    ``x_px``, ``y_px`` or ``offscreen`` not one value per time stamp
    (:func:`_check_samples`).
    """
    if method not in DETECTORS:
        raise UserError(f"`detector` {method!r}: choose one of {', '.join(DETECTORS)}")
    unknown = sorted(k for k in nh_params if k not in NH_OPTIONS)
    if unknown:
        raise UserError(f"unknown option `{unknown[0]}`; choose from "
                        f"{', '.join(f'`{k}`' for k in _options_of(method))} (detector {method})")
    if nh_params and method != "nh":
        raise UserError(f"`{sorted(nh_params)[0]}`: an option of the nh detector, not of {method}; leave it out")
    _check_geometry(geometry)
    unused = unused_options(method, threshold=threshold, window_ms=window_ms)
    if unused:  # never recorded as applied when the detector ignores it
        raise UserError(f"`{unused[0]}`: not used by the {method} detector; leave it out")
    t = np.asarray(t, dtype=np.float64)
    _check_samples(t, {"x_px": x_px, "y_px": y_px, "offscreen": offscreen})
    first = _first_of_time(t)
    if first is not None:  # repeated time stamps: classified once, the repeats take their first row's label
        opts = dict(threshold=threshold, min_duration_ms=min_duration_ms, max_gap_ms=max_gap_ms, merge_ms=merge_ms,
                    merge_deg=merge_deg, window_ms=window_ms, blink_ms=blink_ms, pursuit=pursuit, **nh_params)
        if offscreen is not None:
            opts["offscreen"] = np.asarray(offscreen, dtype=bool)[first]
        x_px, y_px = np.asarray(x_px, dtype=np.float64), np.asarray(y_px, dtype=np.float64)
        c = _expand(classify(t[first], x_px[first], y_px[first], geometry, method, **opts),
                    first, t, *geometry.pixels_to_degrees(x_px, y_px))
        why = _warning("repeated", repeated_times(t))
        if why:  # most rows share a stamp (a rounded time column): the trial's entry says so
            c.params["warnings"] = [why, *c.params.get("warnings", ())]
        return c
    thr = applied(method, "threshold", threshold)
    given = {"min_duration_ms": applied(method, "min_duration_ms", min_duration_ms),
             "max_gap_ms": applied(method, "max_gap_ms", max_gap_ms), "merge_ms": applied(method, "merge_ms", merge_ms),
             "merge_deg": applied(method, "merge_deg", merge_deg)}
    for name, v in given.items():  # before float(): text ("100") was read as a number, True as 1, unsaid
        if not is_number(v):
            raise UserError(f"`{name}` {v!r}: must be a number (not text or a bool)")
    md, gap, mms, mdeg = (float(v) for v in given.values())
    win = applied(method, "window_ms", window_ms)
    _check_numbers(method, md, gap, mms, mdeg, win, blink_ms, nh_params)
    t = np.asarray(t, dtype=np.float64)
    xd, yd = geometry.pixels_to_degrees(np.asarray(x_px, dtype=np.float64), np.asarray(y_px, dtype=np.float64))
    xd, yd = np.asarray(xd, dtype=np.float64), np.asarray(yd, dtype=np.float64)
    filled = None  # positions filled in by bridging: no speed differenced from one is a measured peak velocity
    if gap > 0:  # a measured off-screen gaze is not missing data: a run holding one is never filled in
        xd, yd, filled = sm.bridge_gaps(t, xd, yd, gap, keep_missing=offscreen)
        filled = filled if filled.any() else None
    n = len(t)
    labels = np.full(n, UNDEFINED, dtype=np.int8)
    if not np.isfinite(sample_period(t)):  # fewer than two distinct time stamps: no velocity, no events
        labels[~(np.isfinite(xd) & np.isfinite(yd))] = TRACK_LOSS
        return Classification(method, t, xd, yd, labels, np.full(n, np.nan), [], {"threshold": thr})
    merging = mms > 0 and mdeg > 0
    measured = None  # the other detectors' speed is NaN wherever its window leaves the run: every finite one is
    params = {"threshold": thr, "min_duration_ms": md, "max_gap_ms": gap, "merge_ms": mms, "merge_deg": mdeg,
              "window_ms": win}
    used = None  # the offsets of the positions each speed is differenced from (:func:`uses_filled`)
    warns: list = []  # lines for params["warnings"] (None: nothing to say)
    if method in ("ivt", "idt"):
        used = (-2, -1, 1, 2)
        if method == "ivt":
            ranges = ivt(t, xd, yd, thr, 0.0 if merging else md)
            speed = fivepoint_speed(t, xd, yd)
            with np.errstate(invalid="ignore"):
                labels[speed >= thr] = SACCADE
        else:
            ranges = idt(t, xd, yd, thr, md)
            speed = fivepoint_speed(t, xd, yd)
            labels[np.isfinite(xd) & np.isfinite(yd)] = SACCADE
            # still, but no fixation: a still run shorter than the window (:func:`_idt_still`) and an I-DT
            # fixation discarded as too short are undefined, as the other detectors leave them; only samples
            # that break the dispersion stay saccade; the fixations kept become FIXATION below, a merged one
            # with the samples between its parts
            labels[_idt_still(t, xd, yd, ranges, thr)] = UNDEFINED
            for a, b in ranges:
                labels[a:b + 1] = UNDEFINED
    elif method == "tobii-ivt":
        ranges, speed = tobii_ivt(t, xd, yd, thr, win)
        h = window_half(win, sample_period(t))
        used = (-h, h)
        params.update({"window_samples": 2 * h + 1, "window_ms_applied": round(2 * h * sample_period(t), 6)})
        warns.append(_warning("window", window_warning(
            t, np.isfinite(xd) & np.isfinite(yd), np.isfinite(speed),
            lambda: np.isfinite(window_speed(t, xd, yd, 0.0)), win,  # h = 1
            params["window_ms_applied"], "a sample without a speed is neither fixation nor saccade",
            window_ms is not None)))
        with np.errstate(invalid="ignore"):
            labels[speed >= thr] = SACCADE
    else:
        r = nh(t, xd, yd, window_ms=win, min_fixation_ms=md, **nh_params)
        speed = r.speed
        measured = savgol_centred(t, sm.valid_runs(t, xd, yd), win, filled=filled)
        labels[r.labels == SACCADE] = SACCADE
        labels[r.labels == PSO] = PSO
        cand = np.isfinite(speed) & (r.labels == 0)
        # a gap in the time stamps (rows absent) ends a fixation, as it does for the other detectors: the
        # smoothed speed stays finite at both edges of the gap, so the runs are cut there
        a, b = sm.gap_runs(t, cand)
        ranges = list(zip(a.tolist(), b.tolist()))
        params.update({"peak_threshold": r.peak_threshold, "onset_threshold": r.onset_threshold})
        dt = sample_period(t)
        params["noise_window_ms"] = nh_params.get("noise_window_ms", NH_NOISE_WINDOW_MS)
        for k in ("window", "noise_window"):  # as sm.savgol applies them (a run shorter than one uses fewer)
            ns = sm.window_samples(params[f"{k}_ms"], dt, 2)
            params.update({f"{k}_samples": ns, f"{k}_ms_applied": round(ns * dt, 6)})
        runs = sm.valid_runs(t, xd, yd)  # a window centred on the sample (filled ones are not the window's doing)
        warns.append(_warning("window", window_warning(
            t, np.isfinite(xd) & np.isfinite(yd), savgol_centred(t, runs, win),
            lambda: savgol_centred(t, runs, 0.0), win,  # 0 ms: the 3-sample minimum
            params["window_ms_applied"], "no saccade starts at a sample without one", window_ms is not None)))
        if md > NH_GLISSADE_WARN_MS and nh_params.get("pso", True):
            warns.append(TrialWarning(
                "min_duration", f"`min_duration_ms` {md:g}: with nh it also sizes the glissade search after each "
                f"saccade (up to 2 x {md:g} = {2 * md:g} ms, as Nystrom & Holmqvist's code ties them), so a "
                f"glissade can take the fixation that follows; nh's default is "
                f"{DEFAULTS['nh']['min_duration_ms']:g} ms"))
    ranges = discard_short(merge_fixations(ranges, t, xd, yd, mms, mdeg), t, md)
    params["pursuit"] = bool(pursuit)
    if pursuit:
        moving = pursuit_split(t, xd, yd, ranges)
        for (a, b), m in zip(ranges, moving):
            if m:
                labels[a:b + 1] = PURSUIT
        ranges = [r for r, m in zip(ranges, moving) if not m]
    for a, b in ranges:
        labels[a:b + 1] = FIXATION
    labels[~(np.isfinite(xd) & np.isfinite(yd))] = TRACK_LOSS
    _blinks(labels, t, blink_ms, offscreen, speed)
    if filled is not None and used is not None:  # the labels above took every speed; the peak velocity does not
        measured = np.isfinite(speed) & ~uses_filled(filled, used)
    # the labels stand; the trial's entry in detection.json says why its slower part has no events, or why a
    # window too long for the trial left it without speeds
    warns = [w for w in (_warning("rate", rate_change(t)), *warns) if w]
    if warns:
        params["warnings"] = warns
    return Classification(method, t, xd, yd, labels, speed, ranges, params, measured)


CLASSIFY_OPTIONS = tuple(k for k, p in inspect.signature(classify).parameters.items()
                         if k not in ("t", "x_px", "y_px", "geometry", "method") and p.kind is p.POSITIONAL_OR_KEYWORD)
"""The keyword options of :func:`classify` for every detector (``threshold`` and ``window_ms``: those of
:data:`USED_BY`), besides ``nh``'s :data:`NH_OPTIONS` (its ``**nh_params``); read off its signature, as
:data:`NH_OPTIONS` is off :func:`nh`'s."""


def _check_numbers(method: str, md: float, gap: float, mms: float, mdeg: float, win, blink_ms,
                   nh_params: dict) -> None:
    """Refuse :func:`classify`'s numeric options (as applied) that are not numbers in range, NaN included (a
    comparison with NaN is false: NaN ``min_duration_ms`` dropped every I-VT fixation and crashed I-DT, NaN
    ``max_gap_ms``, ``merge_ms`` or ``blink_ms`` turned bridging, merging or blinks off, all unsaid); ``window_ms``
    (every detector of :data:`USED_BY` ``["window_ms"]``) and ``nh``'s numeric ``nh_params`` by
    :data:`OPTION_RANGES` (an infinite window overflowed), before any trial too short to reach the detector."""
    if not 0 <= md < np.inf:  # inf: no fixation could last that long (and I-DT's sample count overflowed)
        raise UserError(f"`min_duration_ms` {md}: must be a finite number of at least 0")
    for name, v in (("max_gap_ms", gap), ("merge_ms", mms), ("merge_deg", mdeg)):
        if not v >= 0:
            raise UserError(f"`{name}` {v}: must be a number of at least 0")
    if method in USED_BY["window_ms"]:
        _check_option("window_ms", win)
    for k, v in nh_params.items():
        if k in OPTION_RANGES:
            _check_option(k, v)
    try:
        lo, hi = (float(v) for v in blink_ms)
    except (TypeError, ValueError):
        lo = hi = np.nan
    if not 0 <= lo <= hi:
        raise UserError(f"`blink_ms` {blink_ms!r}: must be (shortest, longest) blink in ms, two numbers with "
                        "0 <= shortest <= longest")


def _first_of_time(t: np.ndarray) -> np.ndarray | None:
    """Indices of the first row of each time stamp of sorted ``t``; None when no time stamp repeats.

    A log that writes a row twice (the same time stamp) would otherwise put a
    zero interval between them: every speed came out halved (a 324 deg/s
    saccade peaked at 166) and the noise thresholds moved.
    """
    if len(t) < 2:
        return None
    keep = np.concatenate(([True], np.diff(t) != 0))
    return None if keep.all() else np.flatnonzero(keep)


def _expand(c: Classification, first: np.ndarray, t: np.ndarray, xdeg_rows: np.ndarray,
            ydeg_rows: np.ndarray) -> Classification:
    """A classification of the first row of each time stamp, spread back over every row (repeats included).

    Labels and speeds are the first row's; positions are each row's own
    (``xdeg_rows``/``ydeg_rows``, its pixels in degrees), so that the event
    tables' degrees are the mean of the same rows as their pixels (a repeat
    20 px to the right, as a log with one row per eye writes, put the pixel
    centroid 0.24 deg from the degree centroid).
    """
    n = len(t)
    group = np.zeros(n, dtype=np.int64)
    group[first[1:]] = 1
    group = np.cumsum(group)  # the distinct time stamp each row belongs to
    last = np.append(first[1:] - 1, n - 1)  # each time stamp's last row
    ranges = [(int(first[a]), int(last[b])) for a, b in c.fixations]
    params = dict(c.params, duplicate_times=int(n - len(first)))
    repeat = np.ones(n, dtype=bool)
    repeat[first] = False
    xdeg = np.where(repeat, xdeg_rows, c.xdeg[group])
    ydeg = np.where(repeat, ydeg_rows, c.ydeg[group])
    measured = None if c.measured is None else c.measured[group]
    return Classification(c.method, t, xdeg, ydeg, c.labels[group], c.speed[group], ranges, params, measured)


_FIXATION_NEUTRAL = frozenset(("max_gap_ms", "merge_ms", "merge_deg", "blink_ms", "pursuit", "window_ms",
                               "offscreen"))
"""The :func:`classify` options :func:`detect`'s I-VT/I-DT shorter way may see (each at a value that changes no
fixation there); any other option sends the trial through :func:`classify`, which applies or refuses it."""


def detect(t, x_px, y_px, geometry, method: str = "ivt", threshold: float | None = None,
           min_duration_ms: float | None = None, **options) -> list[tuple[int, int]]:
    """Fixation sample ranges in one trial of screen-pixel samples (NaN = missing) under ``geometry``.

    ``options`` (``max_gap_ms``, ``merge_ms``, ``merge_deg``, ``pursuit``, ...) go to :func:`classify`, which
    validates and applies them: the fixations are always classify's. I-VT and I-DT take a shorter way (the
    detector alone) only where it gives the same fixations: no option given other than ones that change no
    fixation there (``max_gap_ms``, ``merge_ms``, ``merge_deg``, ``blink_ms`` and ``pursuit`` None, 0 or False;
    ``window_ms`` None; ``offscreen``, which acts only on bridging and blinks). Refused as there: an unknown
    option, one the detector does not use, a ``geometry`` that is not a :class:`ScreenGeometry`, ``t`` out of
    recording order, ``x_px``/``y_px``/``offscreen`` not one per stamp (:func:`_check_samples`).
    """
    if method not in DETECTORS:
        raise UserError(f"`detector` {method!r}: choose one of {', '.join(DETECTORS)}")
    _check_geometry(geometry)
    t = np.asarray(t, dtype=np.float64)
    _check_samples(t, {"x_px": x_px, "y_px": y_px, "offscreen": options.get("offscreen")})
    if _first_of_time(t) is not None:
        return classify(t, x_px, y_px, geometry, method, threshold, min_duration_ms, **options).fixations
    md = applied(method, "min_duration_ms", min_duration_ms)
    if method in ("ivt", "idt") and set(options) <= _FIXATION_NEUTRAL and options.get("window_ms") is None \
            and not any(options.get(k) for k in ("max_gap_ms", "merge_ms", "merge_deg", "blink_ms", "pursuit")) \
            and is_number(md) and 0 <= md < np.inf:  # classify refuses the others (text, bool, negative, NaN, inf)
        thr = applied(method, "threshold", threshold)
        xd, yd = geometry.pixels_to_degrees(x_px, y_px)
        fn = ivt if method == "ivt" else idt
        return fn(t, xd, yd, thr, md)
    return classify(t, x_px, y_px, geometry, method, threshold, min_duration_ms, **options).fixations

def summarize(ranges, t, x_px, y_px) -> dict[str, np.ndarray]:
    """Per fixation: first sample index, onset (ms), duration (ms), mean x and y (screen px)."""
    t = np.asarray(t, dtype=np.float64)
    if not ranges:
        e = np.zeros(0)
        return {"first": e.astype(np.int64), "t_start_ms": e, "duration_ms": e, "x": e, "y": e}
    a = np.array([r[0] for r in ranges], dtype=np.int64)
    b = np.array([r[1] for r in ranges], dtype=np.int64)
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)  # the mean of the samples seen: a bridged gap adds no point at (0, 0)
    cx = np.concatenate(([0.0], np.cumsum(np.where(ok, x, 0.0))))
    cy = np.concatenate(([0.0], np.cumsum(np.where(ok, y, 0.0))))
    cn = np.concatenate(([0], np.cumsum(ok)))
    cnt = (cn[b + 1] - cn[a]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"first": a, "t_start_ms": t[a], "duration_ms": t[b] - t[a],
                "x": (cx[b + 1] - cx[a]) / cnt, "y": (cy[b + 1] - cy[a]) / cnt}

"""Gaze preprocessing before event detection: eye choice, gap bridging, Savitzky-Golay smoothing.

References:

- Savitzky & Golay, "Smoothing and differentiation of data by simplified least
  squares procedures", Analytical Chemistry 36 (1964): a polynomial of order
  ``k`` fitted by least squares to each window of ``2m + 1`` samples; its value
  (or derivative) at the centre is a fixed linear filter of the window.
- Nyström & Holmqvist, "An adaptive algorithm for fixation, saccade, and
  glissade detection in eyetracking data", Behavior Research Methods 42 (2010):
  gaze in degrees is smoothed and differentiated with a second-order
  Savitzky-Golay filter over about 20 ms before velocity thresholds are set.
- Olsen, "The Tobii I-VT Fixation Filter" (Tobii Technology, 2012): gaps of
  missing samples up to 75 ms are filled by linear interpolation ("gap
  fill-in"), the two eyes are averaged, and an optional moving median of 3
  samples reduces noise.

Conventions: time in ms, positions in any unit (degrees for detection), missing
samples NaN. A filter never reaches across a missing sample or a time gap:
each run of valid samples is filtered on its own, with the window shrunk
(down to the polynomial order + 1 samples, never below 3) on runs shorter than
the window; at the ends of a run the polynomial fitted to the first (last)
full window is evaluated, which is ``scipy.signal.savgol_filter(mode="interp")``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from saliency.base.errors import UserError

EYES = ("average", "left", "right")


def combine_eyes(xl, yl, xr, yr, eye: str = "average") -> tuple[np.ndarray, np.ndarray]:
    """One gaze signal from a binocular recording.

    ``average``: the mean of the two eyes where both are valid, the valid eye
    where only one is (the Tobii I-VT filter's "average" eye selection);
    ``left``/``right``: that eye only (its missing samples stay missing).
    """
    if eye not in EYES:
        raise UserError(f"`eye` {eye!r}: choose one of {', '.join(EYES)}")
    xl, yl, xr, yr = (np.asarray(v, dtype=np.float64) for v in (xl, yl, xr, yr))
    if eye == "left":
        return xl.copy(), yl.copy()
    if eye == "right":
        return xr.copy(), yr.copy()
    okl = np.isfinite(xl) & np.isfinite(yl)
    okr = np.isfinite(xr) & np.isfinite(yr)
    x = np.where(okl & okr, (xl + xr) / 2.0, np.where(okl, xl, np.where(okr, xr, np.nan)))
    y = np.where(okl & okr, (yl + yr) / 2.0, np.where(okl, yl, np.where(okr, yr, np.nan)))
    return x, y


def valid_runs(t, x, y=None, gap_factor: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Start and inclusive end indices of the runs of valid samples (finite, no time gap > ``gap_factor`` periods)."""
    ok = np.isfinite(np.asarray(x, dtype=np.float64))
    if y is not None:
        ok &= np.isfinite(np.asarray(y, dtype=np.float64))
    return gap_runs(t, ok, gap_factor)


def gap_breaks(t, gap_factor: float = 1.5) -> np.ndarray:
    """One bool per sample: True where the time stamp jumps from the previous one by more than ``gap_factor``
    sample periods (the median positive step; 1 when there is none): rows absent from the log."""
    t = np.asarray(t, dtype=np.float64)
    brk = np.zeros(len(t), dtype=bool)  # a run must restart at sample i
    if len(t) > 1:
        d = np.diff(t)
        pos = d[d > 0]
        brk[1:] = d > gap_factor * (float(np.median(pos)) if pos.size else 1.0)
    return brk


def gap_runs(t, ok, gap_factor: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Start and inclusive end indices of the runs of True in ``ok``, cut where the time stamps jump by more
    than ``gap_factor`` sample periods (rows absent from the log: :func:`gap_breaks`)."""
    ok = np.asarray(ok, dtype=bool)
    if len(ok) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    brk = gap_breaks(t, gap_factor)
    starts = np.flatnonzero(ok & (np.concatenate(([True], ~ok[:-1])) | brk))
    ends = np.flatnonzero(ok & (np.concatenate((~ok[1:], [True])) | np.concatenate((brk[1:], [True]))))
    return starts, ends


def bridge_gaps(t, x, y, max_gap_ms: float, keep_missing=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill runs of missing samples lasting at most ``max_gap_ms`` by linear interpolation.

    A gap's length is the time between the valid samples around it minus one
    sample period (the time the eye was not seen), as Olsen (2012) measures it.
    Gaps at the start or end of the trial, and longer gaps, stay missing.
    ``keep_missing`` (optional, one bool per sample) marks missing samples that
    are not missing data, such as a gaze the tracker measured off the screen:
    a run of missing samples holding one of them is never filled, whatever its
    length (Olsen 2012 fills in data "missing for reasons other than blinks or
    looking away"). Returns ``(x, y, filled)``, ``filled`` marking the
    interpolated samples.
    """
    if max_gap_ms < 0:
        raise UserError(f"`max_gap_ms` {max_gap_ms}: must be at least 0")
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64).copy()
    y = np.asarray(y, dtype=np.float64).copy()
    filled = np.zeros(len(t), dtype=bool)
    ok = np.isfinite(x) & np.isfinite(y)
    if keep_missing is None:
        keep = np.zeros(len(t) + 1, dtype=np.int64)
    else:
        km = np.asarray(keep_missing, dtype=bool)
        if km.shape != ok.shape:
            raise ValueError(f"keep_missing has {km.size} values for {ok.size} samples")
        keep = np.concatenate(([0], np.cumsum(km & ~ok)))  # kept-missing samples before each index
    if max_gap_ms == 0 or ok.all() or not ok.any():
        return x, y, filled
    d = np.diff(t)
    pos = d[d > 0]
    dt = float(np.median(pos)) if pos.size else 1.0
    m = np.concatenate(([False], ~ok, [False])).astype(np.int8)
    a = np.flatnonzero(np.diff(m) == 1)
    b = np.flatnonzero(np.diff(m) == -1) - 1
    for s, e in zip(a, b):
        if s == 0 or e == len(t) - 1:
            continue
        lo, hi = s - 1, e + 1
        if t[hi] - t[lo] - dt > max_gap_ms + 1e-9 or keep[e + 1] > keep[s]:
            continue
        w = (t[s:e + 1] - t[lo]) / (t[hi] - t[lo])
        x[s:e + 1] = x[lo] + w * (x[hi] - x[lo])
        y[s:e + 1] = y[lo] + w * (y[hi] - y[lo])
        filled[s:e + 1] = True
    return x, y, filled


def savgol_coeffs(window: int, order: int, deriv: int = 0, pos: int | None = None) -> np.ndarray:
    """Least-squares filter weights: the ``deriv``-th derivative at sample ``pos`` of the polynomial fit.

    ``np.dot(weights, window_samples)`` gives the value for unit sample spacing
    (divide by ``delta ** deriv`` for spacing ``delta``). ``pos`` defaults to the
    centre.
    """
    if window < 1 or order < 0 or order >= window:
        raise UserError(f"`window` {window} and `order` {order}: the order must be below the window length")
    return _coeffs(int(window), int(order), int(deriv), window // 2 if pos is None else int(pos)).copy()


@lru_cache(maxsize=512)
def _coeffs(window: int, order: int, deriv: int, pos: int) -> np.ndarray:
    """Cached weights of :func:`savgol_coeffs` (callers get a copy)."""
    if deriv > order:
        return np.zeros(window)
    k = np.arange(window, dtype=np.float64) - pos
    A = np.vander(k, order + 1, increasing=True)  # columns k**0 .. k**order
    # coefficients c = pinv(A) @ samples; derivative at 0 = deriv! * c[deriv]
    pinv = np.linalg.pinv(A)
    fact = float(np.prod(np.arange(1, deriv + 1))) if deriv else 1.0
    return fact * pinv[deriv]


def _savgol_run(v: np.ndarray, window: int, order: int, deriv: int, delta: float) -> np.ndarray:
    """Savitzky-Golay filter of one complete run (``mode='interp'`` at the ends)."""
    n = len(v)
    w = run_window(window, n, order)
    if w == 0:
        return np.full(n, np.nan)
    h = w // 2
    out = np.empty(n)
    c = _coeffs(w, order, deriv, h)
    # interior: correlation with the centre weights
    out[h:n - h] = np.correlate(v, c, mode="valid")
    # edges: the polynomial fitted to the first / last full window, evaluated at each edge sample
    for i in range(h):
        out[i] = _coeffs(w, order, deriv, i) @ v[:w]
        out[n - 1 - i] = _coeffs(w, order, deriv, w - 1 - i) @ v[n - w:]
    return out / delta ** deriv


def savgol(t, v, window_ms: float = 20.0, order: int = 2, deriv: int = 0, runs=None) -> np.ndarray:
    """Savitzky-Golay smoothing (``deriv=0``) or derivative per ms**deriv of ``v``, run by run of valid samples.

    The window is the odd number of samples closest to ``window_ms`` (at least
    ``order + 1`` rounded up to odd, and at least 3). ``runs`` (starts, ends) may
    be given to reuse :func:`valid_runs`; missing samples stay NaN.
    """
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if not window_ms > 0:
        raise UserError(f"`window_ms` {window_ms}: must be positive")
    out = np.full(len(v), np.nan)
    if len(t) < 2:
        return out
    dt = savgol_period(t)
    window = window_samples(window_ms, dt, order)
    starts, ends = valid_runs(t, v) if runs is None else runs
    for a, b in zip(starts, ends):
        out[a:b + 1] = _savgol_run(v[a:b + 1], window, order, deriv, dt)
    return out


def savgol_period(t) -> float:
    """The sample period :func:`savgol` sizes its window on and divides derivatives by: the median positive step
    of ``t`` (1.0 when no step is positive)."""
    d = np.diff(np.asarray(t, dtype=np.float64))
    return float(np.median(d[d > 0])) if (d > 0).any() else 1.0


def run_window(window: int, n: int, order: int = 2) -> int:
    """The window :func:`savgol` applies to a run of ``n`` valid samples: ``window`` shrunk to the longest odd
    length the run holds; 0 when that is under ``order + 1`` or 3 (the run is left NaN)."""
    w = min(window, n if n % 2 else n - 1)
    return w if w >= max(order + 1, 3) else 0


def window_samples(window_ms: float, dt_ms: float, order: int = 2) -> int:
    """The window length in samples: ``window_ms / dt_ms`` rounded, plus one when even (>= order + 1, >= 3).

    Rounding up an even count keeps the window at least as long as asked
    (20 ms at 200 Hz: 5 samples); it is not always the nearest odd count
    (3.6 samples gives 5, not 3).
    """
    n = int(round(window_ms / dt_ms))
    n = n + 1 if n % 2 == 0 else n
    lo = max(3, order + 1)
    lo = lo if lo % 2 else lo + 1
    return max(n, lo)


def moving_median(t, v, window: int = 3) -> np.ndarray:
    """Moving median over ``window`` samples (odd), run by run of valid samples (Olsen 2012 noise reduction).

    Samples within ``window // 2`` of a run's ends keep their value.
    """
    if window < 1 or window % 2 == 0:
        raise UserError(f"`window` {window}: must be an odd number of samples")
    v = np.asarray(v, dtype=np.float64)
    out = v.copy()
    if window == 1:
        return out
    h = window // 2
    starts, ends = valid_runs(t, v)
    for a, b in zip(starts, ends):
        if b - a + 1 < window:
            continue
        seg = v[a:b + 1]
        win = np.lib.stride_tricks.sliding_window_view(seg, window)
        out[a + h:b + 1 - h] = np.median(win, axis=1)
    return out

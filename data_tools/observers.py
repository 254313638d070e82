"""Simulated observers: scanpaths of free viewing and the raw gaze they produce.

A scanpath model in the spirit of the classic generative accounts of free
viewing (Itti & Koch 2000; Tatler et al., "Eye guidance in natural vision",
JoV 2011; Clarke & Tatler, "Deriving an appropriate baseline for describing
fixation behaviour", Vision Research 2014):

- the first fixation sits on the central fixation marker (screen centre);
- each later fixation is drawn towards a salient object with probability
  ``p_object`` (the object picked in proportion to the square root of its
  visible area, the landing point a Gaussian around its centre restricted to
  its pixels), towards the image centre with ``p_center`` (centre bias: an
  anisotropic Gaussian, Clarke & Tatler's sd of 0.22 x width and 0.45 x
  that vertically), and anywhere on the image otherwise (exploration);
- durations are gamma-distributed (mean ~ 260 ms) and clipped to 150-450 ms,
  the usual range in scene viewing (Henderson 2003);
- saccade durations follow the main sequence, ``21 ms + 2.2 ms/deg``
  (Carpenter 1988), with a minimum-jerk position profile.

Raw gaze at ``rate_hz`` adds a per-observer calibration offset, slow drift
(a random walk restarting at each fixation onset) and fixational jitter, white
measurement noise (sd 0.01 deg per axis: with the jitter, about 0.022 deg
RMS sample-to-sample at 500 Hz, EyeLink-like), blinks (missing samples,
80-200 ms each; two blinks drawn close together merge into one longer run,
and a blink at the trial's end is cut there) and rare off-screen glitches. All quantities in degrees
are converted with the display's pixels per degree; positions are screen
pixels.

The drift is a discretised Brownian motion, so its spread depends on the
elapsed time, not on the sampling rate: ``drift_sd_deg`` is the sd of one step
over the reference interval ``1000 / drift_reference_hz`` ms (2 ms: the
default rate of ``saliency synth``, 500 Hz), and the step of a sample ``dt``
ms after the previous one has sd ``drift_sd_deg * sqrt(dt * drift_reference_hz
/ 1000)``. A fixation's walk starts with the step of its first sample, so at
its ``m``-th sample (``T = m * dt`` ms of steps) the drift has sd
``drift_sd_deg * sqrt(T * drift_reference_hz / 1000)`` per axis whatever the
rate (0.073 deg for T = 300 ms). At 500 Hz the factor is exactly 1: the
samples are those drawn before the step was scaled to the interval.

Every true fixation lasts at least ``dur_min_ms`` or the whole trial: when
less than ``dur_min_ms`` of the trial would be left for the last fixation,
its saccade is not made and the fixation before it lasts to the trial end
(as when the saccade itself cannot finish), so the truth lists no fixation
too short for a sample (a 0.5 ms last fixation had no sample). A fixation
can still fall wholly inside a blink (about 1 in 1,200 at the defaults): it
stays in the truth, where a detector can only miss it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from saliency.data_tools.geometry import Placement


@dataclass
class ObserverModel:
    """Parameters of the simulated observers; every one is recorded in ``study.json``."""

    viewing_ms: float = 3000.0
    p_object: float = 0.7
    p_center: float = 0.15
    dur_shape: float = 7.0
    dur_scale_ms: float = 37.0
    dur_min_ms: float = 150.0
    dur_max_ms: float = 450.0
    saccade_base_ms: float = 21.0
    saccade_ms_per_deg: float = 2.2
    center_fix_sd_deg: float = 0.3
    calibration_sd_deg: float = 0.15
    drift_sd_deg: float = 0.006  # sd of one drift step over the reference interval (1000 / drift_reference_hz ms)
    drift_reference_hz: float = 500.0  # the rate at which one sample's step has sd drift_sd_deg (synth's default)
    noise_sd_deg: float = 0.01
    blink_rate_hz: float = 0.25
    blink_ms: tuple[float, float] = (80.0, 200.0)
    glitch_prob: float = 0.1


@dataclass
class Fixation:
    """A true fixation in stimulus pixels, with its timing relative to trial onset."""

    x: float
    y: float
    t_start_ms: float
    duration_ms: float
    target: str
    object: int  # -1 when not aimed at an object


def scanpath(rng: np.random.Generator, labels: np.ndarray, areas: list[int], model: ObserverModel,
             ppd_stim: float) -> list[Fixation]:
    """Draw one observer's fixations on one scene (stimulus pixels, trial-relative times).

    ``labels`` is the scene's object label map, ``areas`` the visible area of
    each object and ``ppd_stim`` the pixels per degree in stimulus pixels
    (screen ppd divided by the display scale).
    """
    h, w = labels.shape
    cx, cy = (w - 1) / 2, (h - 1) / 2
    weights = np.sqrt(np.asarray(areas, np.float64))
    weights = weights / weights.sum() if weights.sum() > 0 else weights
    fixes: list[Fixation] = []
    t = 0.0
    x = cx + rng.normal(0, model.center_fix_sd_deg * ppd_stim)
    y = cy + rng.normal(0, model.center_fix_sd_deg * ppd_stim)
    target, obj = "start", -1
    while t < model.viewing_ms:
        dur = float(np.clip(rng.gamma(model.dur_shape, model.dur_scale_ms), model.dur_min_ms, model.dur_max_ms))
        if fixes and model.viewing_ms - t < model.dur_min_ms:
            # too little time left for a fixation (it may have no sample at all): the saccade is not made and the
            # previous fixation lasts to the end; drawn after the duration, so the random stream is unchanged
            fixes[-1].duration_ms = model.viewing_ms - fixes[-1].t_start_ms
            break
        dur = min(dur, model.viewing_ms - t)
        fixes.append(Fixation(float(x), float(y), t, dur, target, obj))
        t += dur
        if t >= model.viewing_ms:
            break
        u = rng.uniform()
        if u < model.p_object and len(areas) and weights.sum() > 0:
            obj = int(rng.choice(len(areas), p=weights))
            x, y = _point_on_object(rng, labels, obj)
            target = "object"
        elif u < model.p_object + model.p_center:
            sx, sy = 0.22 * w, 0.22 * w * 0.45
            for _ in range(100):
                x, y = cx + rng.normal(0, sx), cy + rng.normal(0, sy)
                if 0 <= x <= w - 1 and 0 <= y <= h - 1:
                    break
            else:
                x, y = cx, cy
            target, obj = "center", -1
        else:
            x, y = rng.uniform(0, w - 1), rng.uniform(0, h - 1)
            target, obj = "explore", -1
        amp_deg = np.hypot(x - fixes[-1].x, y - fixes[-1].y) / ppd_stim
        sac = model.saccade_base_ms + model.saccade_ms_per_deg * amp_deg
        if t + sac >= model.viewing_ms:  # no time left to land: the last fixation lasts to the end
            fixes[-1].duration_ms = model.viewing_ms - fixes[-1].t_start_ms
            break
        t += sac
    return fixes


def _point_on_object(rng: np.random.Generator, labels: np.ndarray, obj: int) -> tuple[float, float]:
    ys, xs = np.nonzero(labels == obj + 1)
    mx, my = xs.mean(), ys.mean()
    sd = 0.35 * np.sqrt(len(xs) / np.pi)
    for _ in range(50):
        x, y = mx + rng.normal(0, sd), my + rng.normal(0, sd)
        xi, yi = int(round(x)), int(round(y))
        if 0 <= yi < labels.shape[0] and 0 <= xi < labels.shape[1] and labels[yi, xi] == obj + 1:
            return float(x), float(y)
    i = int(rng.integers(len(xs)))
    return float(xs[i]), float(ys[i])


def samples_per_trial(viewing_ms: float, rate_hz: float) -> int:
    """The number of samples of one trial: at ``0, dt, 2 dt, ...`` ms while below ``viewing_ms``."""
    return int(np.ceil(viewing_ms * rate_hz / 1000.0 - 1e-9))


@dataclass
class Recording:
    """Raw gaze of one trial: sample times (ms from trial onset), screen x/y (NaN when missing),
    validity, and per-sample phase (fixation index >= 0, -1 saccade, -2 blink, -3 glitch)."""

    t_ms: np.ndarray
    x: np.ndarray
    y: np.ndarray
    valid: np.ndarray
    phase: np.ndarray


def record(rng: np.random.Generator, fixes: list[Fixation], placement: Placement, screen_px: tuple[int, int],
           ppd: float, rate_hz: float, model: ObserverModel, offset_deg: tuple[float, float]) -> Recording:
    """Turn a scanpath into raw gaze samples on the screen at ``rate_hz``."""
    n = samples_per_trial(model.viewing_ms, rate_hz)
    t = np.arange(n) * (1000.0 / rate_hz)
    fx, fy = placement.stimulus_to_screen(np.array([f.x for f in fixes]), np.array([f.y for f in fixes]))
    starts = np.array([f.t_start_ms for f in fixes])
    ends = starts + np.array([f.duration_ms for f in fixes])
    k = np.searchsorted(starts, t, side="right") - 1  # fixation index whose onset precedes t
    in_fix = t < ends[k]
    phase = np.where(in_fix, k, -1).astype(np.int32)
    x = fx[k].copy()
    y = fy[k].copy()
    # saccades: minimum-jerk interpolation from fixation k to k + 1
    sac = ~in_fix
    if sac.any():
        ks = k[sac]
        tau = (t[sac] - ends[ks]) / (starts[ks + 1] - ends[ks])
        s = tau ** 3 * (10 - 15 * tau + 6 * tau ** 2)
        x[sac] = fx[ks] + (fx[ks + 1] - fx[ks]) * s
        y[sac] = fy[ks] + (fy[ks + 1] - fy[ks]) * s
    # drift: a random walk restarting at each fixation onset, Brownian: the variance of a step is proportional to
    # the sample interval (drift_sd_deg per reference interval, 1000 / drift_reference_hz ms), so that the spread
    # after a given time does not depend on the rate (at the reference rate the factor is exactly 1)
    step_sd_deg = model.drift_sd_deg * np.sqrt(model.drift_reference_hz / rate_hz)
    steps = rng.normal(0, step_sd_deg * ppd, (2, n))
    steps[:, ~in_fix] = 0.0
    walk = np.cumsum(steps, axis=1)
    first = np.searchsorted(t, starts)  # index of each fixation's first sample
    first = np.minimum(first, n - 1)
    walk -= walk[:, first[k]] - steps[:, first[k]]
    x += walk[0] + offset_deg[0] * ppd + rng.normal(0, model.noise_sd_deg * ppd, n)
    y += walk[1] + offset_deg[1] * ppd + rng.normal(0, model.noise_sd_deg * ppd, n)
    valid = np.ones(n, bool)
    # blinks: a Poisson process over the trial
    n_blinks = rng.poisson(model.blink_rate_hz * model.viewing_ms / 1000.0)
    for _ in range(n_blinks):
        b0 = rng.uniform(0, model.viewing_ms)
        b1 = b0 + rng.uniform(*model.blink_ms)
        sel = (t >= b0) & (t < b1)
        valid[sel] = False
        phase[sel] = -2
    # rare tracker glitches: 1-3 samples reported off the screen
    if rng.uniform() < model.glitch_prob:
        i0 = int(rng.integers(0, n))
        i1 = min(n, i0 + int(rng.integers(1, 4)))
        side = rng.integers(0, 2)
        if side == 0:
            x[i0:i1] = -rng.uniform(5, 200)
        else:
            y[i0:i1] = screen_px[1] + rng.uniform(5, 200)
        phase[i0:i1] = np.where(valid[i0:i1], -3, phase[i0:i1])
    x[~valid] = np.nan
    y[~valid] = np.nan
    return Recording(t, x, y, valid, phase)

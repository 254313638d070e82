"""Small fake recordings for the ingestion tests (not a test module)."""

from __future__ import annotations

import numpy as np


def gaze_trial(rng, n_fix=8, rate_hz=500.0, screen=(1920, 1080), noise_px=2.5, blink_prob=0.3, t0=0.0):
    """Raw samples of one trial: fixations with Gaussian jitter, minimum-jerk saccades, blinks.

    Returns ``t, x, y`` (NaN during blinks) and the true fixations as a list of dicts
    ``{x, y, t_start, t_end}`` (screen px, ms).
    """
    dt = 1000.0 / rate_hz
    W, H = screen
    t_list, x_list, y_list, truth = [], [], [], []
    t = t0
    pos = np.array([W / 2, H / 2])
    for k in range(n_fix):
        if k:
            target = np.array([rng.uniform(100, W - 100), rng.uniform(100, H - 100)])
            dur = rng.uniform(30, 60)
            ns = int(dur / dt)
            s = np.linspace(0, 1, ns + 2)[1:-1]
            prof = 10 * s ** 3 - 15 * s ** 4 + 6 * s ** 5
            for p in prof:
                q = pos + (target - pos) * p + rng.normal(0, noise_px, 2)
                t_list.append(t), x_list.append(q[0]), y_list.append(q[1])
                t += dt
            pos = target
        fdur = rng.uniform(180, 450)
        nf = int(fdur / dt)
        blink = rng.random() < blink_prob
        b0 = rng.integers(nf // 3, nf // 2) if blink else -1
        start = t
        for i in range(nf):
            q = pos + rng.normal(0, noise_px, 2)
            if blink and b0 <= i < b0 + int(80 / dt):
                q = (np.nan, np.nan)
            t_list.append(t), x_list.append(q[0]), y_list.append(q[1])
            t += dt
        truth.append({"x": pos[0], "y": pos[1], "t_start": start, "t_end": t - dt})
    return np.array(t_list), np.array(x_list), np.array(y_list), truth

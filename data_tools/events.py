"""Event tables from per-sample labels, and agreement scores against a human coder.

Tables (per trial, from a :class:`data_tools.detection.Classification`):

- fixations: onset, offset (first and last sample time, ms), duration
  (offset - onset, as pymovements), centroid (mean of the samples, screen px
  and degrees), dispersion (Salvucci & Goldberg 2000: ``(max x - min x) +
  (max y - min y)`` in degrees), number of samples;
- saccades: onset, offset, duration, start and end position (px), amplitude
  (degrees between the start and end sample; NaN, like the position, where
  either was filled in by gap bridging rather than seen), peak velocity (deg/s, the
  largest of the detector's speed over the saccade's samples where it is
  measured, ``Classification.measured``: never the speed ``nh``'s
  Savitzky-Golay filter extrapolates at the ends of a run of valid samples,
  never one differenced from a position filled in by gap bridging;
  NaN when no sample's speed is measured) - the quantities of the main
  sequence (Bahill, Clark & Stark 1975);
- blinks: onset, offset, duration (last minus first blink sample, as for
  fixations; the 10-500 ms rule of :func:`data_tools.detection.classify`
  measures the time the eye was not seen, one sample period longer).

Scores (Andersson, Larsson, Holmqvist, Stridh & Nyström, "One algorithm to rule
them all?", BRM 2017): per-sample Cohen's kappa, ``(p_o - p_e) / (1 - p_e)``
with ``p_e`` the chance agreement from the two label marginals (Cohen 1960),
for one class against the rest or over all classes; event-level F1 where a
detected fixation matches a reference fixation when their onsets differ by at
most a tolerance (one-to-one, closest pairs first).
"""

from __future__ import annotations

import numpy as np

from saliency.data_tools.detectors import BLINK, FIXATION, LABEL_NAMES, SACCADE

FIXATION_COLS = ["onset_ms", "offset_ms", "duration_ms", "x", "y", "x_deg", "y_deg", "dispersion_deg", "samples"]
SACCADE_COLS = ["onset_ms", "offset_ms", "duration_ms", "x_start", "y_start", "x_end", "y_end", "amplitude_deg",
                "peak_velocity_deg_s"]
BLINK_COLS = ["onset_ms", "offset_ms", "duration_ms"]


def _mean_ok(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def _span(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.max() - v.min()) if v.size else float("nan")


def fixation_table(c, x_px, y_px) -> dict[str, np.ndarray]:
    """Columns :data:`FIXATION_COLS` of the fixations of classification ``c`` (samples ``x_px``, ``y_px``).

    Position and dispersion, in pixels and in degrees alike, come from the
    samples seen (``x_px``/``y_px`` finite); samples filled in by gap
    bridging count in ``samples`` and the duration, not in the position.
    """
    x_px = np.asarray(x_px, dtype=np.float64)
    y_px = np.asarray(y_px, dtype=np.float64)
    seen = np.isfinite(x_px) & np.isfinite(y_px)
    xdeg, ydeg = np.where(seen, c.xdeg, np.nan), np.where(seen, c.ydeg, np.nan)
    rows = []
    for a, b in c.fixations:
        sl = slice(a, b + 1)
        rows.append((c.t[a], c.t[b], c.t[b] - c.t[a], _mean_ok(x_px[sl]), _mean_ok(y_px[sl]),
                     _mean_ok(xdeg[sl]), _mean_ok(ydeg[sl]), _span(xdeg[sl]) + _span(ydeg[sl]), b - a + 1))
    return _columns(FIXATION_COLS, rows)


def saccade_table(c, x_px, y_px) -> dict[str, np.ndarray]:
    """Columns :data:`SACCADE_COLS` of the saccades of classification ``c`` (samples ``x_px``, ``y_px``).

    Start and end are the saccade's first and last sample as seen
    (``x_px``/``y_px``; NaN where that sample was filled in by gap bridging),
    and the amplitude is the angle between those same two samples: NaN when
    either end was not seen, never an interpolated position. The peak
    velocity is the largest speed of the saccade's samples where ``c.measured``
    (every finite speed when it is None): a saccade starting on the first
    sample of a run of valid samples (the trial's start, after a gap) does not
    take ``nh``'s extrapolated edge speed there (403 deg/s where the samples
    give 241), and a saccade whose peak samples were bridged does not take
    the speed of the straight line drawn across them; NaN when none of its
    samples is measured.
    """
    x_px = np.asarray(x_px, dtype=np.float64)
    y_px = np.asarray(y_px, dtype=np.float64)
    seen = np.isfinite(x_px) & np.isfinite(y_px)
    xdeg, ydeg = np.where(seen, c.xdeg, np.nan), np.where(seen, c.ydeg, np.nan)
    speed = np.asarray(c.speed, dtype=np.float64)
    measured = np.isfinite(speed)
    if c.measured is not None:
        measured &= np.asarray(c.measured, dtype=bool)
    rows = []
    for a, b in c.ranges(SACCADE):
        sp = speed[a:b + 1][measured[a:b + 1]]
        amp = float(np.hypot(xdeg[b] - xdeg[a], ydeg[b] - ydeg[a]))
        rows.append((c.t[a], c.t[b], c.t[b] - c.t[a], x_px[a], y_px[a], x_px[b], y_px[b], amp,
                     float(sp.max()) if sp.size else float("nan")))
    return _columns(SACCADE_COLS, rows)


def blink_table(c) -> dict[str, np.ndarray]:
    """Columns :data:`BLINK_COLS` of the blinks of classification ``c``."""
    rows = [(c.t[a], c.t[b], c.t[b] - c.t[a]) for a, b in c.ranges(BLINK)]
    return _columns(BLINK_COLS, rows)


def _columns(cols: list[str], rows: list[tuple]) -> dict[str, np.ndarray]:
    if not rows:  # "samples" int64 as below: a trial without events must not turn a joined table's counts to floats
        return {k: np.zeros(0, np.int64 if k == "samples" else np.float64) for k in cols}
    a = np.array(rows, dtype=np.float64)
    out = {k: a[:, i] for i, k in enumerate(cols)}
    if "samples" in out:
        out["samples"] = out["samples"].astype(np.int64)
    return out


def label_names(labels) -> np.ndarray:
    """The name of every label code (``fixation``, ``saccade``, ``pso``, ``blink``, ``track_loss``, ...)."""
    labels = np.asarray(labels)
    names = np.array([LABEL_NAMES.get(int(k), "undefined") for k in range(max(LABEL_NAMES) + 1)], dtype=object)
    return names[np.clip(labels.astype(np.int64), 0, len(names) - 1)]


# ------------------------------------------------------------------ agreement

def cohen_kappa(a, b, label: int | None = None) -> float:
    """Cohen's kappa between two label sequences; ``label`` given: that class against all others.

    NaN when chance agreement is 1 (both raters use one class only).
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"label sequences differ in length: {a.shape} vs {b.shape}")
    if label is not None:
        a, b = a == label, b == label
    if a.size == 0:
        return float("nan")
    cats = np.union1d(np.unique(a), np.unique(b))
    po = float(np.mean(a == b))
    pe = float(sum(np.mean(a == k) * np.mean(b == k) for k in cats))
    return float("nan") if pe >= 1.0 else (po - pe) / (1.0 - pe)


def match_onsets(ref, det, tol_ms: float = 20.0) -> int:
    """Number of one-to-one matches between onset times ``ref`` and ``det`` within ``tol_ms`` (closest pairs first)."""
    ref = np.asarray(ref, dtype=np.float64)
    det = np.asarray(det, dtype=np.float64)
    if not ref.size or not det.size:
        return 0
    d = np.abs(ref[:, None] - det[None, :])
    i, j = np.nonzero(d <= tol_ms)
    order = np.argsort(d[i, j], kind="stable")
    used_r, used_d, n = set(), set(), 0
    for k in order:
        r, q = int(i[k]), int(j[k])
        if r in used_r or q in used_d:
            continue
        used_r.add(r)
        used_d.add(q)
        n += 1
    return n


def event_f1(ref, det, tol_ms: float = 20.0) -> dict[str, float]:
    """Precision, recall and F1 of detected event onsets ``det`` against reference onsets ``ref``."""
    m = match_onsets(ref, det, tol_ms)
    p = m / len(det) if len(det) else float("nan")
    r = m / len(ref) if len(ref) else float("nan")
    f1 = 2 * m / (len(ref) + len(det)) if len(ref) + len(det) else float("nan")
    return {"matched": m, "precision": p, "recall": r, "f1": f1}


def label_runs(labels, label: int = FIXATION) -> tuple[np.ndarray, np.ndarray]:
    """First and last index of each run of ``label`` in a label sequence (a coder's events)."""
    m = np.concatenate(([False], np.asarray(labels) == label, [False])).astype(np.int8)
    d = np.diff(m)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1


def matched_share(truth, det, radius_px: float) -> float:
    """Share of true fixations with a detected one (same subject, stimulus) overlapping in time, within radius.

    ``truth`` and ``det`` are fixation tables (``subject``, ``stimulus``, ``x``,
    ``y``, ``t_start_ms``, ``duration_ms``), e.g. the synthetic study's
    ``truth/fixations.csv`` and an ingested ``fixations.csv`` in the same pixels.
    """
    hit = 0
    groups = dict(list(det.groupby(["subject", "stimulus"])))
    for key, g in truth.groupby(["subject", "stimulus"]):
        d = groups.get(key)
        if d is None:
            continue
        for r in g.itertuples():
            over = (d["t_start_ms"] <= r.t_start_ms + r.duration_ms) & \
                (d["t_start_ms"] + d["duration_ms"] >= r.t_start_ms)
            dist = np.hypot(d["x"] - r.x, d["y"] - r.y)
            hit += bool((over & (dist <= radius_px)).any())
    return hit / len(truth)

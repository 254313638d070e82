"""The fixation detectors' names, published defaults and labels: a table without numpy.

The command line reads its choices and help defaults from here, so that
``saliency ingest --help`` and ``saliency detect --help`` import nothing heavy.
Implementations are in :mod:`data_tools.detection`. Sources of the numbers:

- ``ivt``, ``idt``: Salvucci & Goldberg (ETRA 2000) with pymovements' defaults
  (20 deg/s; 1.0 deg; 100 ms);
- ``nh``: Nyström & Holmqvist, "An adaptive algorithm for fixation, saccade,
  and glissade detection in eyetracking data", BRM 42 (2010): 20 ms
  Savitzky-Golay window (default 6 ms here, see DEFAULTS), initial peak threshold 100 deg/s, 6 and 3 SD,
  minimum saccade 10 ms, minimum fixation 40 ms, onset/offset weights 0.7/0.3,
  noise above 1000 deg/s or 100 000 deg/s^2;
- ``tobii-ivt``: Olsen, "The Tobii I-VT Fixation Filter" (Tobii, 2012):
  gap fill-in 75 ms, eyes averaged, velocity over a 20 ms window,
  30 deg/s, merge fixations less than 75 ms and 0.5 deg apart, discard
  fixations under 60 ms.

Post-processing (merge, discard; Olsen 2012, Komogortsev et al. 2010) is
available to every detector: ``merge_ms``/``merge_deg`` (0 = off) and
``min_duration_ms``; so is an optional smooth-pursuit split of the fixations
(``classify(..., pursuit=True)``, after Larsson, Nyström, Andersson & Stridh,
BSPC 2015; off by default).
"""

from __future__ import annotations

DETECTORS = ("ivt", "idt", "nh", "tobii-ivt")
DEFAULT_DETECTOR = "nh"
EYES = ("average", "left", "right")

DEFAULTS: dict[str, dict] = {
    "ivt": {"threshold": 20.0, "min_duration_ms": 100.0, "max_gap_ms": 0.0, "merge_ms": 0.0, "merge_deg": 0.0,
            "window_ms": None},
    "idt": {"threshold": 1.0, "min_duration_ms": 100.0, "max_gap_ms": 0.0, "merge_ms": 0.0, "merge_deg": 0.0,
            "window_ms": None},
    "nh": {"threshold": None, "min_duration_ms": 40.0, "max_gap_ms": 0.0, "merge_ms": 0.0, "merge_deg": 0.0,
           "window_ms": 6.0},
    "tobii-ivt": {"threshold": 30.0, "min_duration_ms": 60.0, "max_gap_ms": 75.0, "merge_ms": 75.0,
                  "merge_deg": 0.5, "window_ms": 20.0},
}
"""Per detector: ``threshold`` (deg/s for velocity detectors, deg for I-DT; ``nh`` finds its own per
trial, None), ``min_duration_ms`` (shorter fixations are discarded), ``max_gap_ms`` (missing runs up to
this are bridged), ``merge_ms``/``merge_deg`` (fixations closer in time and angle are merged),
``window_ms`` (``nh``: the Savitzky-Golay window, 6 ms instead of the published 20 ms, see
:func:`data_tools.detection.nh`; ``tobii-ivt``: the velocity window; I-VT and I-DT: not used)."""

USED_BY = {"threshold": ("ivt", "idt", "tobii-ivt"), "window_ms": ("nh", "tobii-ivt")}
"""The detectors that use each option not every detector has (``nh`` finds its threshold per trial; I-VT
and I-DT have no smoothing or velocity window); the other options apply to every detector."""


def applied(method: str, name: str, value):
    """The value of option ``name`` that detector ``method`` applies: ``value`` as given, else its default
    (:data:`DEFAULTS`): what detection runs with and what ingest records in ``policies``."""
    return DEFAULTS[method][name] if value is None else value


def unused_options(method: str, **given) -> list[str]:
    """The names among ``given`` (those not None) that detector ``method`` does not use (:data:`USED_BY`)."""
    return [k for k, v in given.items() if v is not None and k in USED_BY and method not in USED_BY[k]]


def check_merge(detector: str, merge_ms: float | None, merge_deg: float | None) -> None:
    """Refuse a merge setting that merges nothing (it would be recorded as applied).

    Fixations are merged only when ``merge_ms`` and ``merge_deg`` are both
    above 0 (:func:`data_tools.detection.classify`), so one of them above 0
    with the other 0, given or detector ``detector``'s default (None: the
    default, :data:`DEFAULTS`), is refused with a :class:`UserError`; both 0
    turns merging off. ``saliency detect`` and ``saliency ingest`` (when an
    input holds raw samples) share it.
    """
    from saliency.base.errors import UserError

    merge = {k: (DEFAULTS[detector][k] if v is None else v, v is None)
             for k, v in (("merge_ms", merge_ms), ("merge_deg", merge_deg))}
    if (merge["merge_ms"][0] > 0) != (merge["merge_deg"][0] > 0):
        said = [f"`{k}` {v:g}" + (f" (the {detector} default)" if dflt else "") for k, (v, dflt) in merge.items()]
        raise UserError(f"{said[0]} with {said[1]}: fixations are merged only when both are above 0, so this "
                        "would merge nothing; give both above 0, or both 0 to turn merging off")


NH_MIN_RATE_HZ = 200.0
"""``nh`` was designed for high-speed trackers: below this sampling rate :func:`rate_warning` warns."""

RATE_TOLERANCE = 0.02
"""Relative slack of :func:`rate_warning`: a 200 Hz tracker whose clock ticks every 5.001 ms (199.96 Hz) is a
200 Hz tracker; timestamps jitter by a few microseconds, and trackers sold at a rate run within 1-2 % of it."""


def rate_warning(detector: str, rate_hz: float | None) -> str | None:
    """One sentence when ``detector`` is used at a sampling rate it was not designed for, else None.

    Only ``nh`` below :data:`NH_MIN_RATE_HZ` (200 Hz) warns: Nystrom & Holmqvist (2010) designed it for
    high-speed trackers, and at 30-120 Hz its smoothed speed lags and its adaptive peak threshold rises
    (synthetic figures in the README). The algorithm is left as published; the sentence says what happens
    and which detector to use instead. ``rate_hz`` None or NaN (unknown): None; within
    :data:`RATE_TOLERANCE` of 200 Hz (a 200 Hz tracker's clock jitter): None.
    """
    if detector != "nh" or rate_hz is None or not rate_hz < NH_MIN_RATE_HZ * (1 - RATE_TOLERANCE):
        return None
    return (f"the nh detector (Nystrom & Holmqvist 2010) was designed for trackers of {NH_MIN_RATE_HZ:g} Hz and "
            f"more, and these samples are {rate_hz:.4g} Hz: its fixation onsets come 2-3 samples late, saccades "
            "whose peak speed stays under its adaptive threshold are missed and the fixations around them merged; "
            "for a 30-120 Hz tracker use --detector tobii-ivt or --detector idt")


DESCRIPTIONS = {
    "ivt": "velocity threshold (Salvucci & Goldberg 2000; pymovements defaults)",
    "idt": "dispersion threshold (Salvucci & Goldberg 2000; pymovements defaults)",
    "nh": "adaptive velocity thresholds, saccades and post-saccadic oscillations (Nystrom & Holmqvist 2010)",
    "tobii-ivt": "the Tobii I-VT fixation filter with its published defaults (Olsen 2012)",
}

# per-sample labels: the codes of Andersson et al. (2017) where they exist, 0 for track loss
TRACK_LOSS, FIXATION, SACCADE, PSO, PURSUIT, BLINK, UNDEFINED = 0, 1, 2, 3, 4, 5, 6
LABEL_NAMES = {TRACK_LOSS: "track_loss", FIXATION: "fixation", SACCADE: "saccade", PSO: "pso",
               PURSUIT: "pursuit", BLINK: "blink", UNDEFINED: "undefined"}

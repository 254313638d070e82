"""Detector options shared by ``saliency ingest`` and ``saliency detect`` (issue 12).

Choices and defaults come from :mod:`saliency.data_tools.detectors`, a table
without numpy, so that building either parser stays cheap.
"""

from __future__ import annotations

from saliency.commands import _args


def add_detector_arguments(g, default: str | None = None, tracker: bool = False, eye: bool = False) -> None:
    """The detector options shared by ``ingest`` and ``detect`` (defaults: the chosen detector's own).

    ``eye``: add ``--eye`` too (a command adds it once it passes the choice on to the readers: see
    :func:`eye_option`).
    """
    from saliency.data_tools.choices import DEG_MAX, EYES
    from saliency.data_tools.detectors import DEFAULT_DETECTOR, DEFAULTS, DETECTORS

    d = default or DEFAULT_DETECTOR

    def dflt(name):
        """The detectors whose default for ``name`` is set, with that default."""
        return ", ".join(f"{k} {v[name]:g}" for k, v in DEFAULTS.items() if v[name])

    g.add_argument("--detector", default=d, choices=[*DETECTORS, *(["tracker"] if tracker else [])],
                   help=f"ivt, idt, nh (Nystrom & Holmqvist 2010) or tobii-ivt (Olsen 2012)"
                        + (", or the tracker's own fixation events" if tracker else "") + f" (default {d})")
    g.add_argument("--max-gap", type=non_negative_float, default=None, metavar="MS",
                   help=f"bridge missing-sample gaps up to MS ms by interpolation (default: {dflt('max_gap_ms')}, "
                        "others 0)")
    g.add_argument("--merge-ms", type=non_negative_float, default=None, metavar="MS",
                   help=f"merge fixations less than MS ms and --merge-deg apart (default: {dflt('merge_ms')}, "
                        "others 0 = off); merging needs both above 0: one above 0 with the other 0 is refused, "
                        "both 0 turns it off")
    g.add_argument("--merge-deg", type=non_negative_degrees, default=None, metavar="DEG",
                   help=f"merge fixations less than DEG degrees and --merge-ms apart (default: {dflt('merge_deg')}, "
                        f"others 0 = off; at most {DEG_MAX:g}); give it with --merge-ms (both above 0, or both 0)")
    g.add_argument("--smooth-ms", type=smooth_ms, default=None, metavar="MS",
                   help=f"nh: Savitzky-Golay window; tobii-ivt: velocity window (default: {dflt('window_ms')}); "
                        f"above 0 and at most {SMOOTH_MS_MAX:g} ms: published velocity filters span about 4-40 ms, and "
                        "a window as long as the trial measures no speed")
    if eye:
        g.add_argument("--eye", default=EYES[0], choices=EYES,
                       help="binocular samples (EyeLink ASC, Tobii Pro Lab, Tobii Studio, Tobii Pro SDK/Titta, "
                            "SMI BeGaze, Gazepoint): average = the mean where both eyes "
                            "are valid, else the valid eye (default); left or right = that eye only (a recording "
                            "without it is refused)")


#: the detectors each threshold spelling applies to (``--threshold`` is whichever the chosen detector uses)
THRESHOLD_USERS = {"--velocity-threshold": ("ivt", "tobii-ivt"), "--dispersion-threshold": ("idt",)}


def add_threshold_arguments(g) -> None:
    """The threshold options of ``ingest`` and ``detect``, the same three spellings in both (one of them at a time).

    ``--threshold`` is the chosen detector's own threshold; ``--velocity-threshold`` and
    ``--dispersion-threshold`` name the kind (see :func:`threshold_option`).
    """
    from saliency.data_tools.choices import DEG_MAX, VELOCITY_MAX  # the bounds ingest/detect validation uses too
    from saliency.data_tools.detectors import DEFAULTS

    ivt, tobii, idt = (DEFAULTS[k]["threshold"] for k in ("ivt", "tobii-ivt", "idt"))
    t = g.add_mutually_exclusive_group()
    t.add_argument("--threshold", type=_args.finite_positive_float, default=None, metavar="T",
                   help=f"the chosen detector's threshold: velocity in deg/s for ivt (default {ivt:g}) and "
                        f"tobii-ivt ({tobii:g}), at most {VELOCITY_MAX:g}; dispersion in deg for idt ({idt:.1f}), "
                        f"at most {DEG_MAX:g}; nh finds its own per trial. "
                        "The same as --velocity-threshold or --dispersion-threshold (give one of the three)")
    t.add_argument("--velocity-threshold", type=velocity_threshold, default=None, metavar="DEG/S",
                   help=f"ivt and tobii-ivt: velocity threshold in deg/s, above 0 and at most {VELOCITY_MAX:g} "
                        f"(default: ivt {ivt:g}, tobii-ivt {tobii:g})")
    t.add_argument("--dispersion-threshold", type=dispersion_threshold, default=None, metavar="DEG",
                   help=f"idt: dispersion threshold in deg, above 0 and at most {DEG_MAX:g} (default {idt:.1f})")


def threshold_option(args, detector: str) -> tuple[str | None, float | None, str | None]:
    """``(kind, value, flag)`` of the threshold given to ``detector``: kind ``velocity`` or ``dispersion``, the
    value, and the flag as typed; ``(None, None, None)`` when none was given.

    UserError when the spelling names a kind ``detector`` does not use (``--velocity-threshold`` with ``idt``
    would be read as degrees) or ``detector`` uses no threshold (``nh``, ``tracker``).
    """
    from saliency.base.errors import UserError
    from saliency.data_tools.choices import DEG_MAX, VELOCITY_MAX

    given = [(flag, v) for flag, v in (("--threshold", args.threshold),
                                       ("--velocity-threshold", args.velocity_threshold),
                                       ("--dispersion-threshold", args.dispersion_threshold)) if v is not None]
    if not given:
        return None, None, None
    flag, value = given[0]  # argparse lets one through (a mutually exclusive group)
    kinds = {"--velocity-threshold": "velocity", "--dispersion-threshold": "dispersion"}
    for spelling, users in THRESHOLD_USERS.items():
        if detector in users and flag in ("--threshold", spelling):
            kind = kinds[spelling]
            top, unit = (VELOCITY_MAX, "deg/s") if kind == "velocity" else (DEG_MAX, "deg")
            if value > top:  # --threshold: its unit is known only now (the spelt-out kinds are checked when parsed)
                raise UserError(f"{flag} {_shown(value)}: a {kind} threshold for --detector {detector} must be "
                                f"above 0 and at most {top:g} {unit}")
            return kind, value, flag
    users = THRESHOLD_USERS.get(flag) or sum(THRESHOLD_USERS.values(), ())
    why = "; nh finds its own per trial" if detector == "nh" else ""
    raise UserError(f"{flag} {_shown(value)}: not used by --detector {detector} "
                    f"(only by {', '.join(users)}{why}); leave it out")


def _shown(value: float) -> str:
    """``value`` as ``:g`` writes it where that reads back as the same number (``181``, ``1e+12``), else in full
    (``1000.001``, which ``:g`` wrote as ``1000``: a refused value shown inside the range)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


MS_MAX = 3_600_000.0
"""The longest duration a detection option takes, in ms (1 hour: longer than any trial; a larger value, e.g.
``--min-duration 1e30``, overflowed the sample counts computed from it)."""


def _ms(text: str, lo_ok: bool) -> float:
    import argparse

    v = _args.finite_float(text)
    if not (v >= 0 if lo_ok else v > 0) or v > MS_MAX:
        low = "at least 0" if lo_ok else "above 0"
        raise argparse.ArgumentTypeError(f"{text!r}: must be {low} and at most {MS_MAX:.0f} ms (1 hour)")
    return v


def non_negative_float(text: str) -> float:
    """A duration in ms in ``[0, MS_MAX]`` (``--min-duration``, ``--max-gap``, ``--merge-ms``; 0 turns a step off)."""
    return _ms(text, True)


def positive_ms(text: str) -> float:
    """A duration in ms in ``(0, MS_MAX]`` (``--smooth-ms`` takes :func:`smooth_ms`, at most ``SMOOTH_MS_MAX``)."""
    return _ms(text, False)


SMOOTH_MS_MAX = 100.0
"""The longest velocity window ``--smooth-ms`` takes, in ms: the velocity filters of the literature span about
4-40 ms (Nystrom & Holmqvist's Savitzky-Golay 20 ms, the Tobii I-VT's 20 ms), and a window as long as the trial
measures no speed (``--smooth-ms 5000`` on a 1 s trial: every sample undefined with tobii-ivt, no saccade with nh,
exit 0). At low rates the applied window is wider anyway (nh's 6 ms is 3 samples, 100 ms at 30 Hz)."""


def smooth_ms(text: str) -> float:
    """A velocity window in ms in ``(0, SMOOTH_MS_MAX]`` (``--smooth-ms``)."""
    import argparse

    v = _args.finite_float(text)
    if not 0 < v <= SMOOTH_MS_MAX:
        raise argparse.ArgumentTypeError(f"{text!r}: must be above 0 and at most {SMOOTH_MS_MAX:g} ms (velocity "
                                         f"filters span about 4-40 ms; a window as long as the trial measures no "
                                         f"speed)")
    return v


def _bounded(text: str, lo_ok: bool, top: float, unit: str) -> float:
    import argparse

    v = _args.finite_float(text)
    if not (v >= 0 if lo_ok else v > 0) or v > top:
        low = "at least 0" if lo_ok else "above 0"
        raise argparse.ArgumentTypeError(f"{text!r}: must be {low} and at most {top:g} {unit}")
    return v


def non_negative_degrees(text: str) -> float:
    """An angle in degrees in ``[0, DEG_MAX]`` (``--merge-deg``; 0 turns merging off)."""
    from saliency.data_tools.choices import DEG_MAX

    return _bounded(text, True, DEG_MAX, "deg")


def dispersion_threshold(text: str) -> float:
    """An I-DT dispersion threshold in degrees in ``(0, DEG_MAX]`` (``--dispersion-threshold``)."""
    from saliency.data_tools.choices import DEG_MAX

    return _bounded(text, False, DEG_MAX, "deg")


def velocity_threshold(text: str) -> float:
    """A velocity threshold in deg/s in ``(0, VELOCITY_MAX]`` (``--velocity-threshold``)."""
    from saliency.data_tools.choices import VELOCITY_MAX

    return _bounded(text, False, VELOCITY_MAX, "deg/s")


def eye_option(args) -> str:
    """The ``--eye`` choice (``average`` where the command has no ``--eye``)."""
    return getattr(args, "eye", None) or "average"


def detector_options(args) -> dict:
    """The post-processing options of :func:`add_detector_arguments`, by :class:`saliency.detect.DetectOptions` name."""
    return {"max_gap_ms": args.max_gap, "merge_ms": args.merge_ms, "merge_deg": args.merge_deg,
            "smooth_ms": args.smooth_ms}

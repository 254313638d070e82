"""``saliency detect``: raw gaze logs -> per-sample labels, fixation/saccade/blink tables, QC plots."""

from __future__ import annotations

from saliency.commands import _args
from saliency.commands._args import add_quiet, float_wxh, size_wxh
from saliency.commands._detection_args import (add_detector_arguments, add_threshold_arguments, detector_options,
                                               eye_option, non_negative_float, threshold_option)

NAME = "detect"
ORDER = 21
PARAM_FLAGS = {"min_duration_ms": "--min-duration", "max_gap_ms": "--max-gap", "window_ms": "--smooth-ms",
               "velocity_threshold": "--threshold", "dispersion_threshold": "--threshold"}
HELP = "label raw gaze samples (fixation, saccade, PSO, blink) and write event tables and QC plots"
DESCRIPTION = """Label every raw gaze sample and write event tables.

Reads the logs with the same readers, geometry and detector options as
`saliency ingest`. Detectors (--detector): ivt, idt (Salvucci & Goldberg
2000), nh (Nystrom & Holmqvist 2010: adaptive thresholds, saccades and
post-saccadic oscillations), tobii-ivt (the Tobii I-VT filter, Olsen 2012).
Samples must be on the screen (pixels, or fractions of it): samples in
stimulus coordinates (MIT1003 .mat files, Tobii MCS exports) are refused, as
detect reads no stimulus images to place them; `saliency ingest --stimuli
DIR` places them and detects fixations in them.

OUT/samples.csv        every sample with its label (fixation, saccade, pso, blink, track_loss, undefined)
OUT/fixations.csv      onset_ms, offset_ms, duration_ms, x, y, x_deg, y_deg, dispersion_deg, samples
OUT/saccades.csv       onset_ms, offset_ms, duration_ms, start and end x/y, amplitude_deg, peak_velocity_deg_s
OUT/blinks.csv         onset_ms, offset_ms, duration_ms
OUT/quarantine.csv     rows the readers could not use, with a reason
OUT/main_sequence.png  saccade peak velocity vs amplitude; OUT/velocity.png: first 4 s of one trial's speed
OUT/detection.json     options, per-trial thresholds and counts

Example (the synthetic study):
  saliency detect S/logs/samples.csv --geometry S/screen.json --detector nh --out E"""


def add_arguments(p) -> None:
    """Options of ``saliency detect``: the ingest's input, geometry and detector options."""
    from saliency.data_tools.choices import DECIMALS, DISPLAY_MODES, TIME_UNITS
    from saliency.data_tools.readers import FORMATS

    p.add_argument("logs", nargs="+", metavar="LOG", help="raw sample logs (several at once, e.g. one per subject)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write (labels, event tables, plots)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    add_quiet(p, "no progress output")
    g = p.add_argument_group("input")
    g.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: auto, from the header)")
    g.add_argument("--columns", default=None, metavar="KEY=COL,...",
                   help="map file columns to canonical keys (e.g. time=TIMESTAMP,x=GazeX; x=<left-eye column> to "
                        "use one eye of a generic file); each format takes its own: samples: subject, stimulus, "
                        "trial, time, x, y, valid; pupil: subject, stimulus, trial, x, y, confidence; tobii: "
                        "subject, stimulus, x, y; tobii-sdk: subject, stimulus, trial; other vendor formats none "
                        "(they read their own gaze columns: use --eye); a key no input's format takes is refused")
    g.add_argument("--time-unit", default=None, choices=list(TIME_UNITS),
                   help="unit of the time column when its header does not say (default: ms)")
    g.add_argument("--decimal", default="point", choices=list(DECIMALS),
                   help="decimal mark of the numbers in the logs: point (500.13, the default) or comma (500,13, "
                        "as European-locale exports write them; a number holding both marks is quarantined, and "
                        "so is one written with a point (1.234, non_numeric) in a tab- or semicolon-separated "
                        "file: only comma-separated files read points)")
    g = p.add_argument_group("screen geometry")
    g.add_argument("--geometry", default=None, metavar="JSON",
                   help="screen.json (screen_px, screen_cm, distance_cm; the last two may both be null: pixels "
                        "only), or the geometry block of a dataset.json saved as a file")
    g.add_argument("--screen-px", type=size_wxh(1, 100_000, "1920x1080"), metavar="WxH",
                   help="screen resolution in pixels, width x height, e.g. 1920x1080")
    g.add_argument("--screen-cm", type=float_wxh("52.7x29.6"), metavar="WxH",
                   help="screen size in cm, width x height, e.g. 52.7x29.6")
    g.add_argument("--distance-cm", type=_args.finite_positive_float, help="viewing distance in cm")
    g.add_argument("--display", default=None, choices=DISPLAY_MODES,
                   help="how the stimulus was shown (recorded only; detection works in screen degrees)")
    g = p.add_argument_group("detection")
    add_detector_arguments(g, eye=True)
    add_threshold_arguments(g)  # --threshold, --velocity-threshold, --dispersion-threshold, as ingest takes them
    g.add_argument("--min-duration", type=non_negative_float, default=None, metavar="MS",
                   help="discard fixations shorter than MS ms (default: ivt 100, idt 100, nh 40, tobii-ivt 60); "
                        "with nh it is also the algorithm's minimum fixation duration, which sizes its local-noise "
                        "window for saccade offsets and its glissade search, as published")
    g.add_argument("--pursuit", action="store_true",
                   help="label intersaccadic intervals that drift consistently as smooth pursuit instead of "
                        "fixation (Larsson et al. 2015; off by default: on a still image such an interval is "
                        "still where the viewer looked, see the README)")
    g.add_argument("--plot-trial", type=_args.non_negative_int, default=0, metavar="K",
                   help="draw velocity.png (its first 4 s) for the K-th trial read (default 0, the first)")
    g.add_argument("--workers", type=_args.workers(1), default=1,
                   help="processes classifying trials while the logs are read (default 1; the results do not "
                        "depend on it; at most the number of CPUs unless --force-workers)")
    _args.add_force_workers(g)


def run(args) -> int:
    """Detect events in the logs and print a summary."""
    import sys

    from saliency.base.errors import UserError, cli_flag
    from saliency.base.fsutil import check_out_dir
    from saliency.commands.ingest import _geometry
    from saliency.data_tools.readers import parse_columns
    from saliency.detect import DetectOptions, detect_logs

    _, threshold, flag = threshold_option(args, args.detector)
    if flag:  # the library's `threshold` is named as the user spelt it
        args._param_flags = {**getattr(args, "_param_flags", PARAM_FLAGS), "threshold": flag}
    check_out_dir(args.out, args.overwrite, inputs={"log file": args.logs, "geometry": args.geometry})
    geom = _geometry(args)
    o = DetectOptions(format=args.format, columns=parse_columns(args.columns), time_unit=args.time_unit,
                      decimal=args.decimal, geometry=geom, detector=args.detector, threshold=threshold,
                      min_duration_ms=args.min_duration, plot_trial=args.plot_trial, pursuit=args.pursuit,
                      eye=eye_option(args), progress=not args.quiet, workers=args.workers,
                      **detector_options(args))
    s = detect_logs(args.logs, args.out, o)
    c = s["counts"]
    print(f"wrote detection results to {args.out}/")
    print(f"{c['trials']} trials, {c['samples']} samples ({c['quarantined']} rows quarantined): "
          f"{c['fixations']} fixations, {c['saccades']} saccades, {c['blinks']} blinks")
    print("samples: " + ", ".join(f"{k} {v}" for k, v in c["labels"].items() if v))
    flags = getattr(args, "_param_flags", None) or PARAM_FLAGS
    for line in s.get("warnings", ()):  # parameters spelled as flags, as ingest prints them
        print(f"saliency detect: warning: {UserError(line).render(lambda k: flags.get(k) or cli_flag(k))}",
              file=sys.stderr)
    return 0

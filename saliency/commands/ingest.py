"""``saliency ingest``: eye-tracker logs -> fixation dataset folder (maps, fixations, QC, manifest)."""

from __future__ import annotations

from saliency.commands._args import add_quiet, float_wxh, size_wxh
from saliency.commands import _args

NAME = "ingest"
ORDER = 20
#: IngestOptions fields whose flag is not their cli_flag spelling (error messages, saliency.cli)
PARAM_FLAGS = {"binary": "--binary-fixations", "min_duration_ms": "--min-duration",
               "max_gap_ms": "--max-gap", "window_ms": "--smooth-ms",
               "qc_min_valid_share": "--qc-min-valid", "qc_max_off_share": "--qc-max-off"}
#: options that read a folder: a file given there is refused as one (saliency.cli)
FOLDERS = ("stimuli",)
HELP = "turn eye-tracker logs into a fixation dataset (0-1 saliency maps, fixation table, QC)"
DESCRIPTION = """Turn eye-tracker logs into a fixation dataset folder.

Formats (--format, detected from the header by default): samples, fixations,
eyelink-report, eyelink-asc, tobii (Pro Lab), pupil, salicon, begaze (SMI),
tobii-studio, gazepoint, tobii-sdk (and Titta), and the MATLAB files of published
datasets: osie, mit1003, figrim, fixlocs (FIXATIONLOCS maps: CAT2000, MIT1003);
column tables in docs/FORMATS.md. Raw samples are turned into fixations by a
detector (nh by default; ivt, idt, tobii-ivt) in degrees of visual angle; the
tracker's own fixations with --detector tracker; screen coordinates are
mapped into the stimulus as it was shown (--display). Pixels per degree:
ppd = res_px / size_cm * distance_cm * tan(1 deg).

OUT/stimuli/        the stimuli that got a map
OUT/maps/<stem>.png continuous map, 0..1 scaled to 8 bits (png16: 16 bits; npy: float32)
OUT/fixations/<stem>.png  binary fixation map (255 = fixated)
OUT/fixations.csv   canonical table: subject, stimulus, x, y, t_start_ms, duration_ms, eye, source, line
OUT/quarantine.csv  every dropped row: source, line, reason, subject, stimulus, x, y (x, y in the
                    input's own space, as the reader reads them: MATLAB's 1-based pixels made 0-based)
OUT/qc.csv, OUT/center_bias.png (and .npy, float: eval's IG baseline), OUT/dataset.json
                    (geometry, sigma, policies, counts, QC with
                    the inter-observer grid and the centre-bias canvas and sigma;
                    per input: rows read = kept + quarantined + counted)

Example (the synthetic study):
  saliency ingest S/logs/samples.csv --stimuli S/stimuli --geometry S/screen.json --out D
  saliency ingest S/logs/eyelink_fixations.csv --trials S/logs/trials.csv \\
      --stimuli S/stimuli --geometry S/screen.json --out D2
SALICON-style maps: --sigma-px 19 --border reflect --binary-fixations --normalize minmax"""


def add_arguments(p) -> None:
    """Options of ``saliency ingest``: choices and defaults are data_tools' own (imported here, not at start-up).

    saliency.cli adds them only when parsing ingest; everything imported here
    is free of numpy and pandas (``data_tools.choices``, the reader registry,
    the detector table), so ``saliency ingest --help`` stays fast.
    """
    from saliency.commands._detection_args import add_detector_arguments, add_threshold_arguments, non_negative_float
    from saliency.data_tools.choices import (BORDERS, DECIMALS, DISPLAY_MODES, MAP_FORMATS, NORMALIZATIONS,
                                             PUPIL_MIN_CONFIDENCE, TIME_UNITS, WEIGHTS, IngestOptions)
    from saliency.data_tools.detectors import DEFAULTS as DETECTOR_DEFAULTS
    from saliency.data_tools.readers import FORMATS

    o = IngestOptions()

    p.add_argument("logs", nargs="+", metavar="LOG", help="input log files (several at once, e.g. one per subject)")
    p.add_argument("--stimuli", required=True, metavar="DIR", help="folder of the stimulus images")
    p.add_argument("--out", required=True, metavar="DIR", help="dataset folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    add_quiet(p, "no progress output (reading, maps)")
    g = p.add_argument_group("input")
    g.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: auto, from the header)")
    g.add_argument("--columns", default=None, metavar="KEY=COL,...",
                   help="map file columns to canonical keys (e.g. time=TIMESTAMP,x=GazeX); each format takes its "
                        "own: samples: subject, stimulus, trial, time, x, y, valid; fixations and eyelink-report: "
                        "subject, stimulus, trial, x, y, t_start_ms, t_end_ms, duration_ms, eye; pupil: subject, "
                        "stimulus, trial, x, y, confidence; tobii: subject, stimulus, x, y (subject, stimulus with "
                        "--detector tracker); tobii-sdk: subject, stimulus, trial; other vendor formats none (they "
                        "read their own gaze columns, one eye with --eye); a key no input's format takes is refused")
    g.add_argument("--time-unit", default=None, choices=list(TIME_UNITS),
                   help="unit of the time column when its header does not say (default: ms); refused when "
                        "every input's header states its unit")
    g.add_argument("--decimal", default="point", choices=list(DECIMALS),
                   help="decimal mark of the numbers in the logs: point (500.13, the default) or comma (500,13, "
                        "as European-locale exports write them; a number holding both marks is quarantined, and "
                        "so is one written with a point (1.234, non_numeric) in a tab- or semicolon-separated "
                        "file: only comma-separated files read points)")
    g.add_argument("--trials", default=None, metavar="CSV",
                   help="CSV with columns subject, trial, stimulus naming each trial's stimulus (used for rows "
                        "whose file names none; not with --stimulus)")
    g.add_argument("--stimulus", default=None, metavar="NAME",
                   help="assign every row of the inputs to this one stimulus (file name or stem in --stimuli; "
                        "e.g. one log file per stimulus)")
    g.add_argument("--coords", default="auto", choices=["auto", "screen", "stimulus"],
                   help="what x, y are: screen pixels or stimulus pixels (default auto: screen when a geometry "
                        "is given, else stimulus; OSIE, MIT1003, FIGRIM, fixlocs (MIT .mat) and SALICON files are "
                        "always stimulus pixels: auto records stimulus for them; screen is refused when every input is "
                        "one of them, and with other inputs their record says coords: stimulus)")
    g.add_argument("--min-confidence", type=_args.fraction, default=None,  # None: not typed (refused unused)
                   help=f"Pupil Labs: drop fixations below this confidence (default {PUPIL_MIN_CONFIDENCE:g}; "
                        "refused when no input is a Pupil Labs export)")
    g = p.add_argument_group("screen geometry")
    g.add_argument("--geometry", default=None, metavar="JSON",
                   help="screen.json (screen_px, screen_cm, distance_cm; the last two may both be null: pixels "
                        "only), or the geometry block of a dataset.json saved as a file")
    g.add_argument("--screen-px", type=size_wxh(1, 100_000, "1920x1080"), metavar="WxH",
                   help="screen resolution in pixels, width x height, e.g. 1920x1080 (default: the one the log "
                        "file declares, e.g. ASC GAZE_COORDS; one pixel off it counts as the same screen)")
    g.add_argument("--screen-cm", type=float_wxh("52.7x29.6"), metavar="WxH",
                   help="screen size in cm, width x height, e.g. 52.7x29.6")
    g.add_argument("--distance-cm", type=_args.finite_positive_float, help="viewing distance in cm")
    g.add_argument("--display", default=None, choices=DISPLAY_MODES,
                   help="how the stimulus was shown: scaled to fit and centred (default), native size centred, "
                        "or stretched to the screen; refused without a screen (--geometry, --screen-px or a "
                        "resolution the log declares); EyeLink ASC: a !V IMGLOAD placement other than this one "
                        "is refused under the default fit, kept with one warning under a --display you state (flag "
                        "or --geometry file), refused when no --display gives it (docs/FORMATS.md)")
    g = p.add_argument_group("fixation detection", "raw samples: --threshold (or --velocity-threshold: ivt,\n"
                             "tobii-ivt; --dispersion-threshold: idt), --max-gap, --merge-*, --smooth-ms;\n"
                             "--detector tracker (EyeLink EFIX, Tobii fixations): only --min-duration;\n"
                             "an option no input uses (no raw samples) is refused")
    add_detector_arguments(g, o.detector, tracker=True, eye=True)  # --detector, --max-gap, --merge-*, --smooth-ms, eye
    add_threshold_arguments(g)  # --threshold, --velocity-threshold, --dispersion-threshold, as detect takes them
    g.add_argument("--min-duration", type=non_negative_float, default=None, metavar="MS",
                   help="minimum fixation duration in ms (default: the detector's own, " + ", ".join(
                       f"{k} {v['min_duration_ms']:g}" for k, v in DETECTOR_DEFAULTS.items()) + "). Raw samples: "
                        "shorter runs are not fixations. Fixation lists: shorter fixations are quarantined "
                        "(short_fixation); with --detector tracker the tracker's fixations are kept as reported "
                        "unless this is given. 0 keeps all")
    g = p.add_argument_group("maps")
    s = g.add_mutually_exclusive_group()
    s.add_argument("--sigma-deg", type=_args.finite_positive_float, default=None,
                   help=f"Gaussian sigma in degrees (default {o.sigma_deg:.1f})")
    s.add_argument("--sigma-px", type=_args.finite_positive_float, default=None,
                   help="Gaussian sigma in stimulus pixels")
    g.add_argument("--border", default=o.border, choices=BORDERS,
                   help=f"how the blur treats the image border (default {o.border})")
    g.add_argument("--binary-fixations", action="store_true",
                   help="a fixated pixel counts once (as MIT and SALICON do)")
    g.add_argument("--weight", default=o.weight, choices=WEIGHTS, help="weight fixations by duration")
    g.add_argument("--per-subject", action="store_true", help="each subject weighs the same")
    g.add_argument("--drop-first", action="store_true", help="drop each scanpath's first fixation (as MIT1003)")
    g.add_argument("--normalize", default=o.normalize, choices=NORMALIZATIONS,
                   help=f"map scaling (default {o.normalize}; sum needs --map-format npy)")
    g.add_argument("--map-format", default=o.map_format, choices=MAP_FORMATS,
                   help="maps as 8-bit PNG (default), 16-bit PNG or float32 .npy")
    g.add_argument("--workers", type=_args.workers(1), default=o.workers,
                   help=f"processes checking stimuli, detecting fixations in raw samples and building maps "
                        f"(default {o.workers}; the outputs do not depend on it; at most the number of CPUs "
                        "unless --force-workers)")
    _args.add_force_workers(g)
    _args.add_max_pixels(g)
    g = p.add_argument_group("quality control")
    g.add_argument("--qc-min-valid", type=_args.fraction, default=None,
                   help=f"flag subject x stimulus below this valid-sample share (default {o.qc_min_valid_share:g})")
    g.add_argument("--qc-min-fixations", type=_args.non_negative_int, default=o.qc_min_fixations,
                   help=f"flag subject x stimulus with fewer fixations (default {o.qc_min_fixations})")
    g.add_argument("--qc-max-off", type=_args.fraction, default=o.qc_max_off_share,
                   help=f"flag subject x stimulus above this off-stimulus share (default {o.qc_max_off_share:g})")
    g.add_argument("--no-ioc", action="store_true", help="skip the inter-observer consistency scores")
    # None: --detector not given (the default, o.detector, as its help says); a chosen detector that no input
    # would use is refused (data_tools.ingest.check_duration_options), the default never is
    p.set_defaults(detector=None)


def _geometry(args):
    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.base.errors import UserError

    parts = [args.screen_px, args.screen_cm, args.distance_cm]
    if args.geometry and any(v is not None for v in parts):
        raise UserError("--geometry and --screen-px/--screen-cm/--distance-cm exclude each other; give one")
    if args.geometry:
        g = ScreenGeometry.load(args.geometry)
    elif any(v is not None for v in parts):
        if (args.screen_cm is None) != (args.distance_cm is None):
            raise UserError("--screen-cm and --distance-cm go together (degrees need both)")
        # a part left out comes from the log file (its declared resolution) or is not needed
        g = ScreenGeometry(tuple(args.screen_px) if args.screen_px else None,
                           tuple(args.screen_cm) if args.screen_cm else None, args.distance_cm)
    elif args.display:
        g = ScreenGeometry(None)
    else:
        return None
    if args.display:
        g = ScreenGeometry(g.screen_px, g.screen_cm, g.distance_cm, args.display, g.extra, display_stated=True)
    return g


def run(args) -> int:
    """Run the ingest and print the summary table."""
    import sys

    from saliency.base.errors import UserError, cli_flag
    from saliency.data_tools.ingest import IngestOptions, ingest, summary_text
    from saliency.data_tools.detectors import DEFAULT_DETECTOR
    from saliency.data_tools.readers import parse_columns
    from saliency.base.fsutil import check_out_dir
    from saliency.commands._detection_args import threshold_option

    detector = args.detector if args.detector is not None else DEFAULT_DETECTOR
    kind, threshold, flag = threshold_option(args, detector)
    flags = dict(getattr(args, "_param_flags", None) or PARAM_FLAGS)
    if flag:  # the library's messages name the threshold as the user spelt it
        flags[f"{kind}_threshold"] = flag
        args._param_flags = flags
    check_out_dir(args.out, args.overwrite, inputs={"stimuli": args.stimuli, "log file": args.logs,
                                                   "trials": args.trials, "geometry": args.geometry})
    geom = _geometry(args)
    opts = IngestOptions(
        format=args.format, columns=parse_columns(args.columns), time_unit=args.time_unit, decimal=args.decimal,
        trials=args.trials,
        geometry=geom, coords=args.coords, detector=detector,
        velocity_threshold=threshold if kind == "velocity" else None,
        dispersion_threshold=threshold if kind == "dispersion" else None, min_duration_ms=args.min_duration,
        stimulus=args.stimulus,
        max_gap_ms=args.max_gap, merge_ms=args.merge_ms, merge_deg=args.merge_deg, smooth_ms=args.smooth_ms,
        eye=args.eye, min_confidence=args.min_confidence,
        sigma_deg=args.sigma_deg if args.sigma_deg is not None else (
            None if args.sigma_px else IngestOptions.sigma_deg),
        sigma_px=args.sigma_px, border=args.border, binary=args.binary_fixations, weight=args.weight,
        per_subject=args.per_subject, drop_first=args.drop_first, normalize=args.normalize,
        map_format=args.map_format, workers=args.workers,
        qc_min_valid_share=IngestOptions.qc_min_valid_share if args.qc_min_valid is None else args.qc_min_valid,
        qc_min_fixations=args.qc_min_fixations, qc_max_off_share=args.qc_max_off, ioc=not args.no_ioc,
        progress=not args.quiet)
    manifest = ingest(args.logs, args.stimuli, args.out, opts, detector_given=args.detector is not None,
                      qc_min_valid_given=args.qc_min_valid is not None)
    print(f"wrote a fixation dataset to {args.out}/")
    print(summary_text(manifest))
    for line in manifest.get("warnings", []):  # plausibility lines, parameters spelled as flags
        print(f"saliency ingest: warning: {UserError(line).render(lambda k: flags.get(k) or cli_flag(k))}",
              file=sys.stderr)
    return 0

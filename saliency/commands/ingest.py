"""``saliency ingest``: eye-tracker logs -> fixation dataset folder (maps, fixations, QC, manifest)."""

from __future__ import annotations

from saliency.commands._args import add_quiet, float_wxh, size_wxh
from saliency.commands import _args

NAME = "ingest"
ORDER = 20
#: IngestOptions fields whose flag is not their cli_flag spelling (error messages, saliency.cli)
PARAM_FLAGS = {"binary": "--binary-fixations", "min_duration_ms": "--min-duration",
               "qc_min_valid_share": "--qc-min-valid", "qc_max_off_share": "--qc-max-off"}
HELP = "turn eye-tracker logs into a fixation dataset (0-1 saliency maps, fixation table, QC)"
DESCRIPTION = """Turn eye-tracker logs into a fixation dataset folder.

Formats (--format, detected from the header by default): samples, fixations,
eyelink-report, eyelink-asc, tobii, pupil, salicon. Raw samples are turned into
fixations by I-VT or I-DT in degrees of visual angle; screen coordinates are
mapped into the stimulus as it was shown (--display). Pixels per degree:
ppd = res_px / size_cm * distance_cm * tan(1 deg).

OUT/stimuli/        the stimuli that got a map
OUT/maps/<stem>.png continuous map, 0..1 scaled to 8 bits (png16: 16 bits; npy: float32)
OUT/fixations/<stem>.png  binary fixation map (255 = fixated)
OUT/fixations.csv   canonical table: subject, stimulus, x, y, t_start_ms, duration_ms, eye, source, line
OUT/quarantine.csv  every dropped row: source, line, reason
OUT/qc.csv, OUT/center_bias.png, OUT/dataset.json (geometry, sigma, policies, counts, QC)

Example (the synthetic study):
  saliency ingest S/logs/samples.csv --stimuli S/stimuli --geometry S/screen.json --out D
  saliency ingest S/logs/eyelink_fixations.csv --trials S/logs/trials.csv \\
      --stimuli S/stimuli --geometry S/screen.json --out D2
SALICON-style maps: --sigma-px 19 --border reflect --binary-fixations --normalize minmax"""


def add_arguments(p) -> None:
    """Options of ``saliency ingest``: choices and defaults are data_tools' own (imported here, not at start-up).

    saliency.cli adds them only when parsing ingest, so the reader table
    (pandas) is not imported by ``saliency --help``.
    """
    from saliency.data_tools.detection import DEFAULTS as DETECTOR_DEFAULTS
    from saliency.data_tools.detection import DETECTORS
    from saliency.data_tools.geometry import DISPLAY_MODES
    from saliency.data_tools.ingest import MAP_FORMATS, IngestOptions
    from saliency.data_tools.maps import BORDERS, NORMALIZATIONS, WEIGHTS
    from saliency.data_tools.readers import FORMATS

    o = IngestOptions()
    ivt, idt = DETECTOR_DEFAULTS["ivt"], DETECTOR_DEFAULTS["idt"]

    p.add_argument("logs", nargs="+", metavar="LOG", help="input log files (several at once, e.g. one per subject)")
    p.add_argument("--stimuli", required=True, metavar="DIR", help="folder of the stimulus images")
    p.add_argument("--out", required=True, metavar="DIR", help="dataset folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    add_quiet(p, "no progress output (reading, maps)")
    g = p.add_argument_group("input")
    g.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: auto, from the header)")
    g.add_argument("--columns", default=None, metavar="KEY=COL,...",
                   help="map file columns to canonical keys: subject, stimulus, trial, time, x, y, valid, "
                        "t_start_ms, t_end_ms, duration_ms, eye, confidence (e.g. time=TIMESTAMP,x=GazeX)")
    g.add_argument("--time-unit", default=None, choices=["ms", "s", "us", "ns"],
                   help="unit of the time column when its header does not say (default: ms)")
    g.add_argument("--trials", default=None, metavar="CSV",
                   help="CSV with columns subject, trial, stimulus naming each trial's stimulus")
    g.add_argument("--coords", default="auto", choices=["auto", "screen", "stimulus"],
                   help="what x, y are: screen pixels or stimulus pixels (default auto: screen when a geometry "
                        "is given, else stimulus; SALICON is always stimulus)")
    g.add_argument("--min-confidence", type=_args.fraction, default=o.min_confidence,
                   help=f"Pupil Labs: drop fixations below this confidence (default {o.min_confidence:g})")
    g = p.add_argument_group("screen geometry")
    g.add_argument("--geometry", default=None, metavar="JSON", help="screen.json (screen_px, screen_cm, distance_cm)")
    g.add_argument("--screen-px", type=size_wxh(1, 100_000, "1920x1080"), metavar="WxH",
                   help="screen resolution in pixels, width x height, e.g. 1920x1080")
    g.add_argument("--screen-cm", type=float_wxh("52.7x29.6"), metavar="WxH",
                   help="screen size in cm, width x height, e.g. 52.7x29.6")
    g.add_argument("--distance-cm", type=_args.finite_positive_float, help="viewing distance in cm")
    g.add_argument("--display", default=None, choices=DISPLAY_MODES,
                   help="how the stimulus was shown: scaled to fit and centred (default), native size centred, "
                        "or stretched to the screen")
    g = p.add_argument_group("fixation detection (raw samples)")
    g.add_argument("--detector", default=o.detector, choices=[*DETECTORS, "tracker"],
                   help="I-VT, I-DT, or the tracker's own fixation events (EyeLink ASC EFIX, Tobii)")
    g.add_argument("--velocity-threshold", type=_args.finite_positive_float, default=ivt["threshold"],
                   help=f"I-VT velocity threshold in deg/s (default {ivt['threshold']:g})")
    g.add_argument("--dispersion-threshold", type=_args.finite_positive_float, default=idt["threshold"],
                   help=f"I-DT dispersion threshold in deg (default {idt['threshold']:.1f})")
    g.add_argument("--min-duration", type=_args.finite_positive_float, default=ivt["min_duration_ms"],
                   help=f"minimum fixation duration in ms (default {ivt['min_duration_ms']:g})")
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
                   help=f"processes building maps (default {o.workers}; at most the number of CPUs "
                        "unless --force-workers)")
    _args.add_force_workers(g)
    _args.add_max_pixels(g)
    g = p.add_argument_group("quality control")
    g.add_argument("--qc-min-valid", type=_args.fraction, default=o.qc_min_valid_share,
                   help="flag subject x stimulus below this valid-sample share")
    g.add_argument("--qc-min-fixations", type=_args.non_negative_int, default=o.qc_min_fixations,
                   help="flag subject x stimulus with fewer fixations")
    g.add_argument("--qc-max-off", type=_args.fraction, default=o.qc_max_off_share,
                   help="flag subject x stimulus above this off-stimulus share")
    g.add_argument("--no-ioc", action="store_true", help="skip the inter-observer consistency scores")


def _geometry(args):
    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.base.errors import UserError

    parts = [args.screen_px, args.screen_cm, args.distance_cm]
    if args.geometry and any(v is not None for v in parts):
        raise UserError("--geometry and --screen-px/--screen-cm/--distance-cm exclude each other; give one")
    if args.geometry:
        g = ScreenGeometry.load(args.geometry)
    elif any(v is not None for v in parts):
        if not all(v is not None for v in parts):
            raise UserError("--screen-px, --screen-cm and --distance-cm go together; give all three")
        g = ScreenGeometry(tuple(args.screen_px), tuple(args.screen_cm), args.distance_cm)
    else:
        return None
    if args.display:
        g = ScreenGeometry(g.screen_px, g.screen_cm, g.distance_cm, args.display, g.extra)
    return g


def run(args) -> int:
    """Run the ingest and print the summary table."""
    from saliency.data_tools.ingest import IngestOptions, ingest, summary_text
    from saliency.data_tools.readers import parse_columns
    from saliency.base.fsutil import check_out_dir

    check_out_dir(args.out, args.overwrite, inputs={"stimuli": args.stimuli, "log file": args.logs,
                                                   "trials": args.trials})
    geom = _geometry(args)
    opts = IngestOptions(
        format=args.format, columns=parse_columns(args.columns), time_unit=args.time_unit, trials=args.trials,
        geometry=geom, coords=args.coords, detector=args.detector, velocity_threshold=args.velocity_threshold,
        dispersion_threshold=args.dispersion_threshold, min_duration_ms=args.min_duration,
        min_confidence=args.min_confidence,
        sigma_deg=args.sigma_deg if args.sigma_deg is not None else (
            None if args.sigma_px else IngestOptions.sigma_deg),
        sigma_px=args.sigma_px, border=args.border, binary=args.binary_fixations, weight=args.weight,
        per_subject=args.per_subject, drop_first=args.drop_first, normalize=args.normalize,
        map_format=args.map_format, workers=args.workers, qc_min_valid_share=args.qc_min_valid,
        qc_min_fixations=args.qc_min_fixations, qc_max_off_share=args.qc_max_off, ioc=not args.no_ioc,
        progress=not args.quiet)
    manifest = ingest(args.logs, args.stimuli, args.out, opts)
    print(f"wrote a fixation dataset to {args.out}/")
    print(summary_text(manifest))
    return 0

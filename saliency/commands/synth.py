"""``saliency synth``: write a synthetic free-viewing eye-tracking study."""

from __future__ import annotations

import os

from saliency.commands._args import size_wxh
from saliency.commands import _args

NAME = "synth"
ORDER = 10
PARAM_FLAGS = {"rate_hz": "--rate"}
#: the options that set how much memory synth needs (the out-of-memory line names these; see saliency.cli.classify)
MEMORY_OPTIONS = ("--scenes", "--subjects", "--viewing-ms", "--rate")
#: options that read a folder: a file given there is refused as one (saliency.cli)
FOLDERS = ("backgrounds",)
HELP = "write a synthetic free-viewing eye-tracking study (scenes, masks, tracker exports, truth)"
DESCRIPTION = """Write a synthetic free-viewing eye-tracking study: the toolkit's embedded default.

OUT/stimuli/<id>.png     scenes with 1-3 salient objects on textured clutter
OUT/masks/<id>.png       0/255 salient-object ground truth
OUT/logs/samples.csv     raw gaze samples (subject, stimulus, time_ms, x, y, valid; screen px)
OUT/logs/eyelink_fixations.csv + trials.csv   EyeLink Data Viewer fixation report
OUT/logs/tobii.tsv       Tobii Pro Lab sample export
OUT/truth/fixations.csv  the true fixations (stimulus px); truth/objects.csv the objects
OUT/screen.json          display geometry; OUT/study.json every generator parameter

With --backgrounds DIR the objects are rendered onto real photographs from DIR
(e.g. the OSIE stimuli): large objects near the centre, with textures cut
from other photographs, so that SOD is not solved by colour contrast alone.

The same --seed gives byte-identical files (with --backgrounds: the same photographs).

The study is held in memory before it is written: --scenes x --subjects x
samples per trial (--viewing-ms x --rate / 1000) may be at most 12 million
(about 6.5 GiB at peak), and a trial needs at least two samples.

examples:
  saliency synth --out S                  (the defaults: 100 scenes, 10 subjects, 640x480)
  saliency synth --out S --scenes 20 --subjects 5 --size 320x240 --seed 1"""


def _probability(text: str) -> float:
    import argparse

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be between 0 and 1")
    return v


def add_arguments(p) -> None:
    """Options of ``saliency synth``."""
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (must be empty or absent unless --overwrite)")
    p.add_argument("--scenes", type=_args.int_range(1, _args.SCENES_MAX), default=100,
                   help=f"number of scenes (default: 100; at most {_args.SCENES_MAX:,})")
    p.add_argument("--subjects", type=_args.int_range(1, _args.SUBJECTS_MAX), default=10,
                   help=f"number of simulated observers (default: 10; at most {_args.SUBJECTS_MAX:,})")
    p.add_argument("--size", type=size_wxh(16, 8192, "640x480"), default=(640, 480), metavar="WxH",
                   help="stimulus size in pixels, each side 16 to 8192 (default: 640x480)")
    p.add_argument("--seed", type=_args.seed, default=0,
                   help="random seed; the same seed gives identical files (default: 0)")
    p.add_argument("--rate", type=_args.finite_positive_float, default=500.0, metavar="HZ",
                   help="eye-tracker sampling rate in Hz, 10 to 5000 (default: 500)")
    p.add_argument("--viewing-ms", type=_args.finite_positive_float, default=3000.0,
                   help="viewing time per scene in ms, 100 to 600,000 (default: 3000, as MIT1003)")
    p.add_argument("--p-object", type=_probability, default=0.7,
                   help="probability that a fixation after the first is aimed at a salient object (default: 0.7)")
    p.add_argument("--p-center", type=_probability, default=0.15,
                   help="probability that it is drawn from the centre-bias Gaussian instead (default: 0.15); "
                        "the rest explore the image uniformly")
    p.add_argument("--backgrounds", default=None, metavar="DIR",
                   help="folder of photographs to render the salient objects onto, instead of textured clouds "
                        "(e.g. ../shared/data/osie/stimuli)")
    p.add_argument("--workers", type=_args.workers(0), default=0,
                   help="worker processes (default: 0 = one per CPU core, at most 4; at most the number of CPUs "
                        "unless --force-workers); output is identical")
    _args.add_force_workers(p)
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    """Generate the study into a staging folder, then move it into place."""
    from saliency.data_tools.observers import ObserverModel
    from saliency.data_tools.synth import SynthConfig, check_config, generate
    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_out_dir, staged_dir

    from saliency.data_tools.choices import RATE_RANGE_HZ
    from saliency.eval.tables import counted

    lo, hi = RATE_RANGE_HZ
    if not lo <= args.rate <= hi:  # the range ingest and detect accept: the study's logs always read
        raise UserError(f"--rate {args.rate:g}: sampling rate must be between {lo:g} and {hi:g} Hz (the range "
                        "saliency ingest and detect accept)")
    if not 100 <= args.viewing_ms <= 600000:
        raise UserError(f"--viewing-ms {args.viewing_ms:g}: must be between 100 and 600000 ms")
    if args.p_object + args.p_center > 1.0:
        raise UserError(f"--p-object {args.p_object:g} + --p-center {args.p_center:g} exceed 1; lower one of them")
    cfg = SynthConfig(scenes=args.scenes, subjects=args.subjects, width=args.size[0], height=args.size[1],
                      seed=args.seed, rate_hz=args.rate, backgrounds=args.backgrounds,
                      observer=ObserverModel(viewing_ms=args.viewing_ms, p_object=args.p_object,
                                             p_center=args.p_center))
    check_config(cfg)  # at least two samples per trial, at most MAX_SAMPLES in all: refused before --out is touched
    inputs = {"backgrounds": args.backgrounds} if args.backgrounds else None
    out = check_out_dir(args.out, args.overwrite, inputs=inputs)
    if args.backgrounds:
        from saliency.data_tools.synth import background_photos

        background_photos(args.backgrounds)  # a missing or empty folder is refused before anything is written
    workers = args.workers if args.workers > 0 else min(4, os.cpu_count() or 1)
    with staged_dir(out, inputs=inputs) as stage:
        summary = generate(stage, cfg, workers=workers, progress=not args.quiet)
    print(f"wrote a synthetic study to {out}/")
    where = f" on photographs from {args.backgrounds}" if args.backgrounds else ""
    print(f"  {counted(summary['scenes'], 'scene')} ({cfg.width}x{cfg.height}){where} in stimuli/ with SOD masks in "
          "masks/")
    print(f"  {counted(summary['subjects'], 'subject')} at {cfg.rate_hz:g} Hz: {summary['samples']:,} samples "
          f"({summary['valid_samples'] / max(1, summary['samples']):.1%} valid), "
          f"{summary['true_fixations']:,} true fixations, {summary['tracker_fixations']:,} tracker fixations")
    print("  logs/samples.csv  logs/eyelink_fixations.csv (+ logs/trials.csv)  logs/tobii.tsv")
    print("  truth/fixations.csv  truth/objects.csv  screen.json  study.json")
    return 0

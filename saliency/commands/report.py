"""``saliency report``: rebuild a report from a training run and an evaluation."""

from __future__ import annotations

from saliency.commands._args import add_quiet
from saliency.commands import _args

NAME = "report"
ORDER = 80
#: library parameters whose flag is not their cli_flag spelling (error messages, saliency.cli)
PARAM_FLAGS = {"eval_jsons": "--eval"}
#: options that read a folder: a file given there is refused as one (saliency.cli)
FOLDERS = ("runs", "plots", "dataset", "images", "pred", "gt")
HELP = "write report.md and a self-contained report.html from training runs and evaluations"
DESCRIPTION = """Write report.md (pictures in assets/) and a self-contained report.html.

Sections: the study and ingestion (--dataset, a `saliency ingest` folder),
training curves (each RUN's metrics.csv), metric tables (--eval, JSON files of
`saliency eval --json`), precision-recall and F-measure curves (--plots, a
`saliency eval --plot-dir` folder), and a gallery of scenes (--images with
--pred, and optionally --gt masks; the human fixations of --dataset are
overlaid as a heat map).

The report is built in a hidden staging folder inside the output folder and
moved into place only when complete, so an error or Ctrl-C leaves the previous
report whole. Only report.md, report.html and assets/ of the output folder are
ever replaced (a RUN folder's checkpoints are left alone), and only when they
are an earlier output of `saliency report`: anything else there is refused
unless --overwrite.

examples:
  saliency eval --task sod --pred preds --gt S/masks --json results.json --plot-dir curves
  saliency report runs/sod --eval results.json --plots curves        (into runs/sod/)
  saliency report --dataset D --images D/stimuli --pred preds --eval fix.json --out rep"""


def add_arguments(p) -> None:
    """Options of ``saliency report``."""
    p.add_argument("runs", nargs="*", metavar="RUN", help="run folders of `saliency train` (metrics.csv)")
    p.add_argument("--eval", action="append", default=[], metavar="JSON",
                   help="evaluation results of `saliency eval --json` (repeatable)")
    p.add_argument("--plots", default=None, metavar="DIR", help="curves folder of `saliency eval --plot-dir`")
    p.add_argument("--dataset", default=None, metavar="DIR",
                   help="fixation dataset of `saliency ingest` (study summary, fixation overlays)")
    p.add_argument("--images", default=None, metavar="DIR", help="gallery: folder of images")
    p.add_argument("--pred", default=None, metavar="DIR", help="gallery: folder of predicted maps")
    p.add_argument("--gt", default=None, metavar="DIR", help="gallery: folder of ground-truth masks")
    p.add_argument("--gallery", type=_args.int_range(0, 1000), default=None,
                   help="number of gallery rows, with --images (default: 8); 0 leaves the gallery out: it needs "
                        "no --images (--images, --gt, and --pred without --dataset, are then refused as unused)")
    p.add_argument("--title", default="Saliency report", help="report title")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: the first RUN, else the current folder)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a report.md, report.html or assets/ in the output folder that `saliency report` "
                        "did not write (its own earlier report is replaced without it)")
    add_quiet(p, "accepted as by every command; report prints no progress")


def run(args) -> int:
    """Write the report (:func:`saliency.report.report_from_folders`)."""
    from saliency.report import report_from_folders

    md, page = report_from_folders(args.out, args.runs, args.eval, plots=args.plots, dataset=args.dataset,
                                   images=args.images, pred=args.pred, gt=args.gt, gallery=args.gallery,
                                   title=args.title, overwrite=args.overwrite)
    print(f"wrote {md} and {page}")
    return 0

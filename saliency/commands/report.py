"""``saliency report``: rebuild a report from a training run and an evaluation."""

from __future__ import annotations

NAME = "report"
ORDER = 80
HELP = "write report.md and a self-contained report.html from training runs and evaluations"
DESCRIPTION = """Write report.md (pictures in assets/) and a self-contained report.html.

Sections: the study and ingestion (--dataset, a `saliency ingest` folder),
training curves (each RUN's metrics.csv), metric tables (--eval, JSON files of
`saliency eval --json`), precision-recall and F-measure curves (--plots, a
`saliency eval --plot-dir` folder), and a gallery of scenes (--images with
--pred, and optionally --gt masks; the human fixations of --dataset are
overlaid as a heat map)."""


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
    p.add_argument("--gallery", type=int, default=8, help="number of gallery rows (default: 8)")
    p.add_argument("--title", default="Saliency report", help="report title")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: the first RUN, else the current folder)")


def gallery_items(images, pred=None, gt=None, dataset=None, limit: int = 8):
    """Gallery rows for the images that have a prediction (first ``limit`` by name)."""
    from pathlib import Path

    from saliency.eval.io import IMAGE_EXTS, PRED_EXTS, index_folder
    from saliency.report import GalleryItem

    imgs = index_folder(images, IMAGE_EXTS, option="--images")
    preds = index_folder(pred, PRED_EXTS, option="--pred") if pred else {}
    gts = index_folder(gt, IMAGE_EXTS, option="--gt") if gt else {}
    maps = fixes = {}
    if dataset:
        d = Path(dataset)
        maps = index_folder(d / "maps", PRED_EXTS, option="--dataset maps") if (d / "maps").is_dir() else {}
        fixes = index_folder(d / "fixations", IMAGE_EXTS, option="--dataset fixations") \
            if (d / "fixations").is_dir() else {}
    names = sorted(n for n in imgs if "/" not in n and (not preds or n in preds))[:limit]
    return [GalleryItem(n, imgs[n], gts.get(n), preds.get(n), maps.get(n), fixes.get(n)) for n in names]


def run(args) -> int:
    """Collect the inputs and write the report."""
    from pathlib import Path

    from saliency.base.errors import UserError
    from saliency.report import ReportInputs, build

    runs = [Path(r) for r in args.runs]
    for r in runs:
        if not r.is_dir():
            raise UserError(f"{r}: run folder not found")
    evals = [Path(e) for e in args.eval]
    for e in evals:
        if not e.is_file():
            raise UserError(f"--eval {e}: file not found")
    curves = []
    if args.plots:
        if not Path(args.plots).is_dir():
            raise UserError(f"--plots {args.plots}: folder not found")
        curves = sorted(Path(args.plots).glob("*.png"))
    dataset_json = None
    if args.dataset:
        dataset_json = Path(args.dataset) / "dataset.json"
        if not dataset_json.is_file():
            raise UserError(f"--dataset {args.dataset}: no dataset.json (is it a `saliency ingest` folder?)")
    gallery = gallery_items(args.images, args.pred, args.gt, args.dataset, args.gallery) if args.images else []
    out = Path(args.out) if args.out else (runs[0] if runs else Path("."))
    md, page = build(out, ReportInputs(title=args.title, dataset_json=dataset_json, runs=runs, eval_jsons=evals,
                                       curve_pngs=curves, gallery=gallery))
    print(f"wrote {md} and {page}")
    return 0

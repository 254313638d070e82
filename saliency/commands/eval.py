"""``saliency eval``: benchmark tables and curves for SOD or fixation predictions."""

from __future__ import annotations

from saliency.commands._args import add_quiet, positive_int
from saliency.commands import _args

NAME = "eval"
ORDER = 40
#: options that read a folder: a file given there is refused as one (saliency.cli)
FOLDERS = ("pred", "gt", "root")
HELP = "score predictions against ground truth: SOD or fixation metrics, tables, curves"
DESCRIPTION = """Score saliency predictions against ground truth and print a benchmark table.

SOD (PySODMetrics 1.6.2 numbers): MAE, Fmax, Fmean, Fadp, Smeasure, Emax, Emean,
Eadp, wF, AUC. Fixation (MIT benchmark definitions): AUC_Judd, AUC_Borji, sAUC,
NSS, CC, KLD, SIM, IG; and LL (Kümmerer et al. 2015: bits per fixation over a
uniform model). A fixation .npy with negative values summing to 1 in exp is a
log-density (saliency predict --log-density); other maps become densities by
min-max and sum to 1 (MIT's IG conversion).

  saliency eval --dataset OSIE --root ../shared/data --split test --gold-standard --pred M=preds

  saliency eval --task sod --pred runs/u2net/preds --gt data/ECSSD/ground_truth_mask
  saliency eval --pred U2Net=p/u2 --pred BASNet=p/bas --dataset ECSSD --root data
  saliency eval --task fixation --pred preds --gt D      (D from `saliency ingest`)
  saliency eval --config bench.yaml --json results.json --plot-dir curves

Predictions are <stem>.png (8-bit grey; fixation: also .npy) matched to the GT
by stem; one of another size is resized to the GT (bilinear; a log-density .npy
is resampled in probability, area-averaged where it is larger) and counted.
--config (YAML or JSON):
  task: sod
  datasets: {ECSSD: {root: data}, mine: {gt: data/mine/masks}}
  methods: {U2Net: "preds/u2net/{dataset}", BASNet: {ECSSD: preds/bas}}
Fixation IG baseline: D/center_bias.npy (float) while D/center_bias.png is its 8-bit
rounding, else the PNG (or a per-image FIXATIONHISTOGRAM) when present, else a Gaussian
centre bias (sigma = 1/4 of width and height) taken as a density as it is: a plain-map
baseline file or prediction is min-maxed first (MIT), so the same Gaussian given as a
plain map scores a slightly different IG."""


def add_arguments(p) -> None:
    """Options of ``saliency eval``."""
    p.add_argument("--task", choices=["sod", "fixation"],
                   help="what to score (default: from --dataset or the config; required with --gt)")
    p.add_argument("--pred", action="append", default=[], metavar="[NAME=]DIR",
                   help="prediction folder of one method; repeat for several methods; DIR may contain "
                        "{dataset}, replaced by each dataset's name")
    p.add_argument("--gt", metavar="DIR",
                   help="ground truth: SOD mask folder, or a fixation dataset folder (saliency ingest "
                        "output, MIT/CAT2000 FIXATIONLOCS, MIT1003 ALLFIXATIONMAPS, SALICON)")
    p.add_argument("--name", metavar="NAME", help="dataset name shown for --gt (default: the folder name)")
    p.add_argument("--dataset", action="append", default=[], metavar="NAME",
                   help="a published dataset under --root (repeatable); see --list-datasets")
    p.add_argument("--root", metavar="DIR", help="folder holding the --dataset folders (or the dataset itself)")
    p.add_argument("--split", choices=["train", "test"],
                   help="restrict --dataset to this part of its documented split (OSIE: 500 train / 200 test)")
    p.add_argument("--gold-standard", action="store_true",
                   help="add a 'gold standard' row: each observer scored against the other observers' fixations "
                        "(leave one subject out; --dataset OSIE only, whose fixations are read per observer)")
    p.add_argument("--metric-maps", action="store_true",
                   help="score each prediction by the metric-specific maps of its density (Kuemmerer et al., "
                        "ECCV 2018) instead of the map itself (fixation task)")
    p.add_argument("--config", metavar="FILE", help="YAML or JSON file naming datasets and methods")
    p.add_argument("--list-datasets", action="store_true", help="list the published layouts and exit")
    p.add_argument("--metrics", metavar="LIST", help="comma-separated subset of metrics to compute and show")
    p.add_argument("--allow-missing", action="store_true",
                   help="evaluate the images that have a prediction and skip unreadable ones, counting both")
    p.add_argument("--workers", type=_args.workers(1), default=1, metavar="N",
                   help="processes decoding and scoring in parallel (same numbers for any N; default 1; "
                        "at most the number of CPUs unless --force-workers)")
    _args.add_force_workers(p)
    _args.add_max_pixels(p)
    p.add_argument("--seed", type=_args.seed, default=None,  # None: not typed (refused where no metric draws)
                   help="seed of AUC-Borji and sAUC negatives (default 0; refused when neither is scored)")
    p.add_argument("--center-bias", metavar="FILE",
                   help="IG baseline map for every image (overrides the dataset's center_bias.npy/.png); refused when "
                        "no score reads it (no IG, no fixation points)")
    p.add_argument("--digits", type=_args.int_range(1, 15), default=3, help="decimals in the tables (default 3)")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--csv", metavar="FILE", help="write the results as CSV")
    p.add_argument("--latex", metavar="FILE", help="write a LaTeX table (top three marked)")
    p.add_argument("--plot-dir", metavar="DIR",
                   help="write precision-recall and F-measure-vs-threshold curves (PNG and PDF; SOD only)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing --json/--csv/--latex/--plot-dir files that are not an earlier "
                        "saliency eval output (its own are replaced without it)")
    add_quiet(p, "no progress output")
    p.add_argument("--no-progress", action="store_true",
                   help="the older spelling of --quiet, kept for scripts that use it")


def _check_outputs(args) -> None:
    """Refuse, before scoring, two outputs on one path, a --plot-dir that is a link, a --json/--csv/--latex that
    is a link, folder or device, and an output (--json/--csv/--latex/--plot-dir) inside --pred or --gt.

    Each --pred is read by :func:`saliency.eval.benchmark.parse_pred`, the one NAME=DIR rule (it refuses an
    ambiguous spec); called once the worker pool has started, as that module imports NumPy.
    """
    from pathlib import Path

    from saliency.base.fsutil import check_apart, check_not_link, check_out_file, check_replaceable, file_on_path
    from saliency.eval.benchmark import parse_pred

    for param in ("json", "csv", "latex"):  # first: `--json - --csv -` is refused as `-`, not as one path twice
        if getattr(args, param):
            check_out_file(getattr(args, param), param)
    _check_distinct(args)
    preds = [parse_pred(p)[1] for p in args.pred]
    inputs = {"pred": preds, "gt": args.gt, "center_bias": args.center_bias, "config": args.config}
    if args.plot_dir:
        check_not_link(args.plot_dir, "plot_dir")
        pd = Path(args.plot_dir)
        bad = pd if pd.exists() and not pd.is_dir() else file_on_path(pd)
        if bad is not None:  # refused before scoring, not after the tables were written
            from saliency.base.errors import UserError

            raise UserError(f"`plot_dir` {pd}: {bad} is a file, not a folder; give a folder path")
    for param in ("json", "csv", "latex", "plot_dir"):
        if getattr(args, param):
            check_apart(getattr(args, param), inputs, param, contains=False)
            if param != "plot_dir":
                check_replaceable(getattr(args, param), param, _OWN[param][0], _OWN[param][1], args.overwrite)


def _check_distinct(args) -> None:
    """Refuse two outputs (--json/--csv/--latex/--plot-dir) on one path: each would replace the other, and only
    the last written would be left, unsaid."""
    import os

    from saliency.base.errors import UserError

    seen = {}
    for param in ("json", "csv", "latex", "plot_dir"):
        value = getattr(args, param)
        if not value:
            continue
        real = os.path.normcase(os.path.realpath(value))
        if real in seen:
            first, path = seen[real]
            same = f" ({value} is {path})" if os.fspath(value) != os.fspath(path) else ""
            raise UserError(f"`{first}` and `{param}` name the same path {path}{same}: one would replace the "
                            "other; give each output its own path")
        seen[real] = (param, value)


def _own_json(path) -> bool:
    from saliency.base.fsutil import read_json

    if path.stat().st_size > 64 << 20:
        return False
    obj = read_json(path)
    return isinstance(obj, dict) and {"task", "version", "results"} <= set(obj) and isinstance(obj["results"], list)


def _own_line(start: str):
    from saliency.base.fsutil import first_text_line

    return lambda path: first_text_line(path).startswith(start)


#: how each file output recognises the earlier output of saliency eval it may replace without --overwrite
_OWN = {"json": (_own_json, "a saliency eval JSON"),
        "csv": (_own_line("dataset,method,n_images,"), "a saliency eval CSV"),
        "latex": (_own_line("% generated by saliency eval"), "a saliency eval LaTeX table")}


def _check_against_plan(args, bench) -> None:
    """Refuse outputs that are or lie in the inputs the benchmark resolved (folders named by --config,
    --dataset/--root), a --json/--csv/--latex on a curve file of --plot-dir, curve files that are a link, folder
    or device or not saliency eval's, and a --seed no metric uses, before anything is scored."""
    from pathlib import Path

    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_apart, check_replaceable
    from saliency.eval.plots import curve_files, is_curve_file

    from saliency.eval.benchmark import negatives_unused

    if args.seed is not None and (unused := negatives_unused(bench)) is not None:  # nothing to draw from
        raise UserError(f"--seed {args.seed}: not used: {unused}; leave it out")
    folders, files = set(), set()
    for d in bench.datasets:
        for it in d.items:
            folders.update(str(Path(f).parent) for f in (it.gt, it.density, it.baseline) if f and isinstance(f, str))
        folders.update(f for f in (d.images_dir,) if f)
        if isinstance(d.baseline, str):  # one file (a centre-bias map): the file is the input, not its folder
            files.add(d.baseline)
    from saliency.eval.runner import method_folders

    preds = {folder for d in bench.datasets for _, folder in method_folders(bench.methods, d.name)}
    inputs = {"ground truth": sorted(folders), "prediction folder": sorted(preds),
              "centre-bias map": sorted(files), "config": [args.config] if args.config else []}
    for param in ("json", "csv", "latex", "plot_dir"):
        if getattr(args, param):
            check_apart(getattr(args, param), inputs, param, contains=False)
    if args.plot_dir and bench.task == "sod":
        curves = curve_files([d.name for d in bench.datasets], args.plot_dir)
        _check_curves_apart(args, curves)
        for f in curves:
            _check_curve_target(f, args.plot_dir)
            check_replaceable(f, "plot_dir", is_curve_file, "a saliency eval curve by its mark (curves eval wrote "
                              "before the mark existed carry none)", args.overwrite)


def _check_curves_apart(args, curves) -> None:
    """Refuse a --json/--csv/--latex that is one of the curve files --plot-dir writes: the curve would replace the
    table (or the table the curve), unsaid (:func:`_check_distinct` compares the four option values only)."""
    import os

    from saliency.base.errors import UserError

    real = {os.path.normcase(os.path.realpath(f)): f for f in curves}
    for param in ("json", "csv", "latex"):
        value = getattr(args, param)
        f = real.get(os.path.normcase(os.path.realpath(value))) if value else None
        if f is not None:
            raise UserError(f"`{param}` {value} and `plot_dir` {args.plot_dir} name the same path: `plot_dir` writes "
                            f"its curve {f} there; one would replace the other; give each output its own path")


def _check_curve_target(f, plot_dir) -> None:
    """Refuse, before scoring, a curve file of --plot-dir that is a link (dangling or not), a folder or a special
    file: it is never replaced (--overwrite included), and found only when the curves were written it cost the
    run's tables."""
    import os

    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_out_file

    what = f"`plot_dir` {plot_dir}: its curve file {f}"
    if f.is_symlink():
        raise UserError(f"{what} is a symbolic link (to {os.readlink(f)}); links are never followed or replaced, "
                        "`overwrite` included: remove the link or give another `plot_dir`")
    if f.is_dir():
        raise UserError(f"{what} is a folder; remove it or give another `plot_dir`")
    if f.exists() and not f.is_file():
        raise UserError(f"{what} is not a regular file (a device, pipe or socket); give another `plot_dir`")
    check_out_file(f, "plot_dir")  # the rest (a file or a dangling link above it) as every file output is


def run(args) -> int:
    """Run ``saliency eval``: score the benchmark (:func:`saliency.eval.benchmark.evaluate`), write, print."""
    import contextlib
    import sys

    from saliency.base.workers import spawn_pool

    if args.list_datasets:
        from saliency.eval import datasets as D

        print("| dataset | task | contents |\n|---|---|---|")
        for name, task, desc in D.list_datasets():
            print(f"| {name} | {task} | {desc} |")
        return 0

    with contextlib.ExitStack() as stack:
        # The pool starts before NumPy, OpenCV and the metrics are imported here and the benchmark is
        # resolved: a spawned worker takes 0.3-0.5 s to start Python and import them, which now overlaps
        # this process's own imports and indexing instead of its first images.
        pool = stack.enter_context(spawn_pool(args.workers - 1, ("saliency.eval.runner",))) \
            if args.workers > 1 else None
        from saliency.eval import benchmark

        _check_outputs(args)
        bench = benchmark.plan(
            task=args.task, pred=args.pred, gt=args.gt, name=args.name, dataset=args.dataset, root=args.root,
            config=args.config, metrics=args.metrics, center_bias=args.center_bias, plot_dir=args.plot_dir,
            split=args.split, gold_standard=args.gold_standard, metric_maps=args.metric_maps)
        _check_against_plan(args, bench)
        bench = benchmark.run(bench, workers=args.workers, allow_missing=args.allow_missing,
                              seed=args.seed if args.seed is not None else 0,
                              progress=not (args.no_progress or args.quiet), pool=pool)
    table = benchmark.markdown(bench, args.digits)
    try:
        failed = _write_files(args, bench)
    except BaseException:  # the table is still shown; the failure to write is the one reported
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.write(table)
        raise
    # printed after the files are in place: a reader of stdout that quit (`| head`) costs none of them
    sys.stdout.write(table)
    if failed is not None:
        written = [f"`{p}` {getattr(args, p)}" for p in ("json", "csv", "latex") if getattr(args, p)]
        raise type(failed)(f"{failed.args[0]}; no curve file was written"
                           + (f", the tables were ({', '.join(written)})" if written else ""))
    return 0


def _write_files(args, bench):
    """Write --json/--csv/--latex/--plot-dir; the curves' CurveDrawError (the tables written), else None."""
    from saliency.base import __version__
    from saliency.base.fsutil import atomic_files, json_text
    from saliency.eval import benchmark, tables

    # every file of the run is written first and renamed into place together: all old or all new
    failed = None
    with atomic_files() as path:
        if args.json:
            path(args.json).write_text(json_text(tables.json_obj(bench.task, __version__, bench.results,
                                                                 metric_maps=bench.metric_maps,
                                                                 notes=benchmark.note_lines(bench),
                                                                 seed=benchmark.json_seed(bench))),
                                       encoding="utf-8")
        if args.csv:
            path(args.csv).write_text(benchmark.csv_text(bench), encoding="utf-8")  # each dataset's seed
        if args.latex:
            path(args.latex).write_text(tables.latex(bench.results, bench.keys, args.digits), encoding="utf-8")
        if args.plot_dir:
            from saliency.eval.plots import CurveDrawError, plot_curves

            try:  # drawn in full before a curve file is written: on failure none is, and the tables still are
                plot_curves(bench.results, args.plot_dir, path=path)
            except CurveDrawError as exc:
                failed = exc
    return failed

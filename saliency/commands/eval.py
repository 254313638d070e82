"""``saliency eval``: benchmark tables and curves for SOD or fixation predictions."""

from __future__ import annotations

from saliency.commands._args import positive_int

NAME = "eval"
ORDER = 40
HELP = "score predictions against ground truth: SOD or fixation metrics, tables, curves"
DESCRIPTION = """Score saliency predictions against ground truth and print a benchmark table.

SOD (PySODMetrics 1.6.2 numbers): MAE, Fmax, Fmean, Fadp, Smeasure, Emax, Emean,
Eadp, wF, AUC. Fixation (MIT benchmark definitions): AUC_Judd, AUC_Borji, sAUC,
NSS, CC, KLD, SIM, IG.

  saliency eval --task sod --pred runs/u2net/preds --gt data/ECSSD/ground_truth_mask
  saliency eval --pred U2Net=p/u2 --pred BASNet=p/bas --dataset ECSSD --root data
  saliency eval --task fixation --pred preds --gt D      (D from `saliency ingest`)
  saliency eval --config bench.yaml --json results.json --plot-dir curves

Predictions are <stem>.png (8-bit grey; fixation: also .npy) matched to the GT
by stem; one of another size is resized to the GT (bilinear) and counted.
--config (YAML or JSON):
  task: sod
  datasets: {ECSSD: {root: data}, mine: {gt: data/mine/masks}}
  methods: {U2Net: "preds/u2net/{dataset}", BASNet: {ECSSD: preds/bas}}
Fixation IG baseline: D/center_bias.png (or a per-image FIXATIONHISTOGRAM)
when present, else a Gaussian centre bias (sigma = 1/4 of width and height)."""


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
    p.add_argument("--config", metavar="FILE", help="YAML or JSON file naming datasets and methods")
    p.add_argument("--list-datasets", action="store_true", help="list the published layouts and exit")
    p.add_argument("--metrics", metavar="LIST", help="comma-separated subset of metrics to compute and show")
    p.add_argument("--allow-missing", action="store_true",
                   help="evaluate the images that have a prediction and skip unreadable ones, counting both")
    p.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="processes decoding and scoring in parallel (same numbers for any N; default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of AUC-Borji and sAUC negatives (default 0)")
    p.add_argument("--center-bias", metavar="FILE",
                   help="IG baseline map for every image (overrides the dataset's center_bias.png)")
    p.add_argument("--digits", type=positive_int, default=3, help="decimals in the tables (default 3)")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--csv", metavar="FILE", help="write the results as CSV")
    p.add_argument("--latex", metavar="FILE", help="write a LaTeX table (top three marked)")
    p.add_argument("--plot-dir", metavar="DIR",
                   help="write precision-recall and F-measure-vs-threshold curves (PNG and PDF; SOD only)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _parse_pred(spec: str):
    from pathlib import Path

    from saliency.base.errors import UserError

    if "=" in spec:
        name, folder = spec.split("=", 1)
        if not name or not folder:
            raise UserError(f"--pred {spec}: expected NAME=DIR or DIR")
        return name, folder
    folder = spec.rstrip("/\\")
    if not folder:
        raise UserError("--pred: empty folder name")
    return Path(folder).name or folder, folder


def _load_config(path: str):
    import json
    from pathlib import Path

    from saliency.base.errors import UserError

    p = Path(path)
    if not p.is_file():
        raise UserError(f"--config {p}: file not found")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            cfg = yaml.safe_load(text)
        else:
            cfg = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the file's fault
        raise UserError(f"--config {p}: cannot parse ({str(exc).splitlines()[0]})") from None
    if not isinstance(cfg, dict):
        raise UserError(f"--config {p}: expected a mapping with 'datasets' and 'methods'")
    unknown = set(cfg) - {"task", "datasets", "methods"}
    if unknown:
        raise UserError(f"--config {p}: unknown key(s) {sorted(unknown)}; use task, datasets, methods")
    return p.parent, cfg


def _resolve(base, value):
    from pathlib import Path

    if isinstance(value, dict) and "path" in value:
        value = value["path"]
    q = Path(str(value)).expanduser()
    return str(q if q.is_absolute() else base / q)


def _config_entries(base, cfg, path):
    from saliency.base.errors import UserError

    from saliency.eval import datasets as D

    dss = []
    raw = cfg.get("datasets") or {}
    if not isinstance(raw, dict) or not raw:
        raise UserError(f"--config {path}: 'datasets' must map names to a GT folder or {{root: DIR}}")
    for name, spec in raw.items():
        if isinstance(spec, str):
            spec = {"gt": spec}
        if not isinstance(spec, dict):
            raise UserError(f"--config {path}: dataset {name}: expected a folder or a mapping")
        bad = set(spec) - {"gt", "mask", "root", "dataset", "task"}
        if bad:
            raise UserError(f"--config {path}: dataset {name}: unknown key(s) {sorted(bad)}")
        if "root" in spec:
            ds = D.published(spec.get("dataset", name), _resolve(base, spec["root"]))
            ds.name = name
        elif "gt" in spec or "mask" in spec:
            task = spec.get("task", cfg.get("task"))
            gt = _resolve(base, spec.get("gt", spec.get("mask")))
            if task == "fixation":
                ds = D.fixation_folder(gt, name)
            elif task == "sod":
                ds = D.sod_folder(gt, name)
            else:
                raise UserError(f"--config {path}: dataset {name}: set 'task: sod' or 'task: fixation'")
        else:
            raise UserError(f"--config {path}: dataset {name}: give 'gt' (a folder) or 'root' (published layout)")
        dss.append(ds)
    methods = []
    raw = cfg.get("methods") or {}
    if not isinstance(raw, dict) or not raw:
        raise UserError(f"--config {path}: 'methods' must map names to a folder or to {{dataset: folder}}")
    for name, spec in raw.items():
        if isinstance(spec, dict) and "path" not in spec:
            methods.append((str(name), {str(k): _resolve(base, v) for k, v in spec.items()}))
        else:
            methods.append((str(name), _resolve(base, spec)))
    return dss, methods


def run(args) -> int:
    """Run ``saliency eval``."""
    import sys

    from saliency.base import __version__
    from saliency.base.errors import UserError
    from saliency.base.fsutil import write_json, write_text

    from saliency.eval import datasets as D
    from saliency.eval import runner, tables
    from saliency.eval.fixation import FIX_KEYS
    from saliency.eval.sod import SOD_KEYS

    if args.list_datasets:
        print("| dataset | task | contents |\n|---|---|---|")
        for name, task, desc in D.list_datasets():
            print(f"| {name} | {task} | {desc} |")
        return 0

    datasets, methods = [], [_parse_pred(s) for s in args.pred]
    task = args.task
    if args.config:
        base, cfg = _load_config(args.config)
        if cfg.get("task") not in (None, "sod", "fixation"):
            raise UserError(f"--config {args.config}: task must be sod or fixation")
        task = task or cfg.get("task")
        cfg.setdefault("task", task)
        dss, cms = _config_entries(base, cfg, args.config)
        datasets += dss
        methods += cms
    if args.dataset:
        if not args.root:
            raise UserError("--dataset needs --root DIR (the folder holding the dataset)")
        datasets += [D.published(n, args.root) for n in args.dataset]
    elif args.root:
        raise UserError("--root is used with --dataset NAME")
    if args.gt:
        if task is None:
            raise UserError("--gt needs --task sod or --task fixation")
        datasets.append(D.fixation_folder(args.gt, args.name) if task == "fixation" else D.sod_folder(args.gt, args.name))
    if not datasets:
        raise UserError("no ground truth: give --gt DIR, --dataset NAME --root DIR or --config FILE")
    if not methods:
        raise UserError("no predictions: give --pred [NAME=]DIR (repeatable) or methods in --config")
    tasks = {d.task for d in datasets}
    if task is None:
        if len(tasks) > 1:
            raise UserError("the datasets mix SOD and fixation ground truth; evaluate one task at a time")
        task = tasks.pop()
    wrong = [f"{d.name} ({d.task})" for d in datasets if d.task != task]
    if wrong:
        raise UserError(f"--task {task}: dataset(s) {', '.join(wrong)} hold ground truth of the other task; "
                        "evaluate one task at a time")
    names = [m[0] for m in methods]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise UserError(f"--pred: method name(s) {', '.join(dup)} given twice; use NAME=DIR to name them")
    all_keys = SOD_KEYS if task == "sod" else FIX_KEYS
    keys = all_keys
    if args.metrics:
        keys = tuple(k.strip() for k in args.metrics.split(",") if k.strip())
        lower = {k.lower(): k for k in all_keys}
        bad = [k for k in keys if k.lower() not in lower]
        if bad or not keys:
            raise UserError(f"--metrics {args.metrics}: unknown for --task {task}: {', '.join(bad) or '(empty)'}; "
                            f"choose from {','.join(all_keys)}")
        keys = tuple(lower[k.lower()] for k in keys)
    if args.plot_dir and task != "sod":
        raise UserError("--plot-dir: curves are drawn for --task sod only")
    if args.plot_dir and not ({"Fmax", "Fmean", "Fadp"} & set(keys)):
        raise UserError("--plot-dir needs an F-measure metric in --metrics (Fmax, Fmean or Fadp)")
    if args.center_bias:
        from pathlib import Path

        if not Path(args.center_bias).is_file():
            raise UserError(f"--center-bias {args.center_bias}: file not found")
        for d in datasets:
            d.baseline, d.baseline_note = args.center_bias, f"centre bias from {args.center_bias}"
            d.items = [D.GTItem(**{**it.__dict__, "baseline": None}) for it in d.items]

    results = []
    for ds in datasets:
        folders = runner.method_folders(methods, ds.name)
        if not folders:
            raise UserError(f"{ds.name}: no method has predictions for this dataset in the config")
        results += runner.evaluate_dataset(ds, folders, metrics=keys, workers=args.workers,
                                           allow_missing=args.allow_missing, seed=args.seed,
                                           progress=not args.no_progress)

    text = tables.markdown(results, keys, args.digits)
    if task == "fixation":
        text += "\n".join(f"- {d.name}: IG baseline = {d.baseline_note}; predictions resized to the fixation "
                          "map by bilinear interpolation" for d in datasets) + "\n"
    sys.stdout.write(text)
    if args.json:
        write_json(args.json, tables.json_obj(task, __version__, results))
    if args.csv:
        write_text(args.csv, tables.csv_text(results, keys))
    if args.latex:
        write_text(args.latex, tables.latex(results, keys, args.digits))
    if args.plot_dir:
        from saliency.eval.plots import plot_curves

        plot_curves(results, args.plot_dir)
    return 0

"""OSIE fixation benchmark: gold standard, centre biases, classic models and our networks on the test split.

OSIE (Xu, Jiang, Wang, Kankanhalli & Zhao, "Predicting human gaze beyond
pixels", JoV 2014): 700 photographs (800x600), the raw fixations of 15
observers on each. The fixed split of ``eval/splits/osie.json`` (500 train /
200 test) is used throughout; maps follow the authors' construction
(``saliency.eval.datasets``: every fixated pixel, Gaussian sigma 24 px).

What the script does, each step skipped when its result already exists (so an
interrupted run resumes where it stopped, and the table can be rebuilt):

1. ``W/data/train``: the 500 training images as a ``saliency ingest``-style
   folder (``stimuli/`` links, ``maps/`` human maps, ``fixations/`` binary
   maps, ``dataset.json``); ``W/data/test`` the same for the 200 test images
   (it feeds ``saliency report --dataset``).
2. Training, from scratch, one run per attention module and seed:
   ``saliency train --data W/data/train --task fixation --model
   unet_tiny_<att>_fixation --seed S --epochs E --device DEV`` (the default
   recipe otherwise: 144 x 192 inputs, batch 16, AdamW, cosine; 20 % of the
   training images held out for the best checkpoint). ``unet_tiny_cbam`` is
   the default model, so its row is also "the default recipe". With
   ``--recipe pretrained`` the models are ``unet_resnet50_<att>_fixation
   --pretrained`` (ImageNet encoder; a GPU: ``--device cuda``).
3. ``saliency predict --log-density`` of each run's best checkpoint on the
   test images: the 8-bit maps (``W/pred/<run>``, for the report's gallery)
   and the network's log-density (``W/pred/<run>_logp``), which is scored, so
   that LL and IG see the model's own density rather than an 8-bit copy.
4. The classic baselines (``saliency.eval.baselines``, the maps ``saliency
   predict --baseline NAME`` computes): the dataset centre bias fitted on the
   training split (its log-density), a Gaussian centre bias, Itti-Koch,
   spectral residual and GBVS, saved as float32 ``.npy`` without 8-bit
   rounding (plain maps: ``saliency eval`` converts them to densities).
5. Scores on the test split with every metric (AUC-Judd, sAUC, NSS, CC, KLD,
   SIM, IG over the training centre bias, LL over a uniform model; bits per
   fixation), as ``saliency eval --dataset OSIE --root ROOT --split test
   --gold-standard`` computes them (:func:`saliency.eval.runner.evaluate_dataset`),
   the gold standard (leave one observer out) first. Per-image NSS of every
   method goes to ``W/eval/per_image_nss.csv``.
6. The table (markdown, mean ± sample standard deviation over seeds) in
   ``W/osie_table.md`` and printed; ``W/osie_results.json`` holds it in the
   shape of ``saliency eval --json`` (plus ``std``), so that ``saliency
   report --eval W/osie_results.json --images W/data/test/stimuli --pred
   W/pred/cbam_s0 --dataset W/data/test --gallery 200`` shows the run.

CPU budget (the full run): 6 attention variants x 3 seeds = 18 trainings of
the default recipe (12 epochs of 400 images at 144 x 192, about 3 min each on
two free cores of the reference machine), 18 predictions of 200 images, five
baselines and the gold standard: about 1.5 h on 2 cores. For development:
``--attentions none --seeds 0 --epochs 1 --limit-train 40 --limit-test 20``.

  python benchmarks/osie.py --work W [--root ../shared/data] [--epochs 12] [--seeds 0,1,2]
      [--attentions none,se,cbam,sk,stn,residual] [--device cpu] [--recipe tiny|pretrained]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
METRICS = ("AUC_Judd", "sAUC", "NSS", "CC", "KLD", "SIM", "IG", "LL")
ATTENTIONS = ("none", "se", "cbam", "sk", "stn", "residual")
BASELINES = ("centre-bias", "gaussian-centre", "itti-koch", "spectral-residual", "gbvs")
RECIPE_MODELS = {"tiny": "unet_tiny", "pretrained": "unet_resnet50"}  # --recipe -> PREFIX_<att>_fixation
DEFAULT_ATTENTION = "cbam"  # unet_tiny_cbam_fixation: the model saliency train uses by default
TARGET_KEYS = ("NSS", "CC", "AUC_Judd", "IG")  # the default model should beat every baseline on these


def log(msg: str) -> None:
    """A timestamped progress line."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(args: list[str]) -> None:
    """Run ``python -m saliency ARGS`` from the repository; stop with its stderr on failure."""
    log("$ saliency " + " ".join(args))
    from scratch import run_child

    p = run_child([sys.executable, "-m", "saliency", *args], cwd=REPO, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise SystemExit(f"step failed ({p.returncode}): saliency {' '.join(args)}")


# ---------------------------------------------------------------- 1. data folders


def write_split_folder(ds, stimuli: Path, out: Path) -> None:
    """``out``: stimuli/ (links), maps/ (human maps, 8-bit), fixations/ (binary), dataset.json; skipped when done."""
    import cv2

    from saliency.base.fsutil import staged_dir, write_json
    from saliency.eval.fixation import points_to_mask
    from saliency.eval.runner import human_map

    if (out / "dataset.json").is_file():
        return
    with staged_dir(out) as stage:
        for sub in ("stimuli", "maps", "fixations"):
            (stage / sub).mkdir()
        n_fix = 0
        for it in ds.items:
            os.symlink((stimuli / f"{it.key}.jpg").resolve(), stage / "stimuli" / f"{it.key}.jpg")
            m = human_map(it.points, it.size, it.sigma_px)
            cv2.imwrite(str(stage / "maps" / f"{it.key}.png"), np.round(m * 255).astype(np.uint8))
            cv2.imwrite(str(stage / "fixations" / f"{it.key}.png"),
                        points_to_mask(it.points, it.size).astype(np.uint8) * 255)
            n_fix += len(it.points)
        write_json(stage / "dataset.json", {
            "generator": "benchmarks/osie.py", "dataset": ds.name, "layout": ds.layout,
            "counts": {"stimuli": len(ds.items), "subjects": max(len(it.subjects or ()) for it in ds.items),
                       "fixations": n_fix, "quarantined": 0},
            # as `saliency ingest` records it, so that `saliency eval --gt` reads the blur back (--metric-maps);
            # no policies.border: the maps are the toolkit's default construction (OpenCV, zero padding, 3.5 sigma)
            "sigma": {"px": ds.sigma_px, "px_by_stimulus_size": {
                f"{w}x{h}": [ds.sigma_px, ds.sigma_px] for h, w in sorted({tuple(it.size) for it in ds.items})}},
            "note": "OSIE maps as the authors build them: every fixated pixel of all observers, Gaussian sigma 24 px"})


# ---------------------------------------------------------------- 2-3. training and prediction


def train_and_predict(args, data: Path, test_images: Path, att: str, seed: int) -> Path:
    """Train one model (resuming an unfinished run) and predict the test images; return the log-density folder."""
    model = f"{RECIPE_MODELS[args.recipe]}_{att}_fixation"
    name = f"{att}_s{seed}"
    run = Path(args.work) / "runs" / name
    pred = Path(args.work) / "pred" / name
    done = run / "done.json"
    if not done.is_file():
        t0 = time.perf_counter()
        if (run / "checkpoints" / "last.pt").is_file():
            sh(["train", "--resume", str(run), "--epochs", str(args.epochs), "--quiet"])
        else:
            cmd = ["train", "--data", str(data), "--task", "fixation", "--model", model, "--seed", str(seed),
                   "--epochs", str(args.epochs), "--out", str(run), "--device", args.device, "--quiet",
                   "--set", "train.grid_images=0", "--overwrite"]
            if args.recipe == "pretrained":
                cmd += ["--pretrained", "--set", "data.size=[288,384]"]
            sh(cmd)
        (run / "done.json").write_text(json.dumps({"model": model, "seed": seed, "epochs": args.epochs,
                                                   "train_s": round(time.perf_counter() - t0, 1)}) + "\n")
    logp = pred.with_name(pred.name + "_logp")
    if not logp.is_dir():
        sh(["predict", "--checkpoint", str(run / "checkpoints" / "best.pt"), "--images", str(test_images),
            "--out", str(pred), "--log-density", str(logp), "--device", args.device, "--quiet", "--overwrite"])
    return logp


# ---------------------------------------------------------------- 4. baselines


def write_baselines(ds_test, centre_logp: np.ndarray, test_images: Path, work: Path) -> dict[str, Path]:
    """Each classic baseline's maps of the test images (float32 .npy; the centre bias as its log-density)."""
    import cv2

    from saliency.base.fsutil import staged_dir
    from saliency.eval.baselines import compute_baseline

    out = {}
    for name in BASELINES:
        folder = work / "pred" / f"baseline_{name}"
        out[name] = folder
        if folder.is_dir():
            continue
        log(f"baseline {name}")
        with staged_dir(folder) as stage:
            for it in ds_test.items:
                if name == "centre-bias":
                    from saliency.eval.probabilistic import resize_log_density

                    a = resize_log_density(centre_logp, tuple(it.size))
                else:
                    img = cv2.cvtColor(cv2.imread(str(test_images / f"{it.key}.jpg")), cv2.COLOR_BGR2RGB)
                    a = compute_baseline(name, img)
                np.save(stage / f"{it.key}.npy", a.astype(np.float32))
    return out


# ---------------------------------------------------------------- 5. scores


def score(ds_test, name: str, folder: Path | None, work: Path, gold: bool = False, workers: int = 1) -> dict:
    """Scores of one method (or of the gold standard alone) on the test split, cached in ``W/eval/NAME.json``."""
    from saliency.base.fsutil import write_json
    from saliency.eval.runner import evaluate_dataset

    path = work / "eval" / f"{name}.json"
    if path.is_file():
        doc = json.loads(path.read_text())
        same = doc.get("folder") == (None if folder is None else str(folder))
        if same or ("folder" not in doc and (folder is None or name.startswith("baseline_"))):
            _check_all_scored(ds_test, name, folder, doc["n_images"], path)
            return doc  # scored from the same predictions (a network's are rescored from its log-density)
    log(f"scoring {name}")
    methods = [] if folder is None else [(name, str(folder))]
    res = evaluate_dataset(ds_test, methods, metrics=METRICS, workers=workers, allow_missing=True,
                           gold_standard=gold, progress=False)
    r = res[0]
    _check_all_scored(ds_test, name, folder, r.n_images, None, getattr(r, "skipped", None) or ())
    doc = {"method": r.method, "folder": None if folder is None else str(folder), "n_images": r.n_images,
           "metrics": {k: r.metrics.get(k) for k in METRICS}}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, doc)
    return doc


def _check_all_scored(ds_test, name: str, folder: Path | None, n: int, cached: Path | None, skipped=()) -> None:
    """Stop unless ``name`` was scored on every test image: the table compares every row on the same images.

    ``saliency predict`` skips an image it cannot decode, and a prediction folder left from an earlier run is
    taken as finished; a row scored on fewer images would sit beside the others unsaid (and could be bolded).
    """
    from scratch import refuse

    want = len(ds_test.items)
    if n == want:
        return
    eg = "; ".join(f"{k}: {why}" for k, why in list(skipped)[:3])
    redo = f"remove {folder}{f' and {cached}' if cached else ''} to have it predicted and scored again"
    refuse(f"{name}: scored on {n} of the {want} test images{f' ({eg})' if eg else ''}: every row of the table is "
           f"scored on the same images; {redo}")


def per_image_nss(ds_test, folder: Path) -> dict[str, float]:
    """NSS of each test image (``saliency.eval.fixation.nss``, the pooled fixations of all observers)."""
    from saliency.eval.fixation import nss, points_to_mask, resize_to
    from saliency.eval.runner import read_prediction

    out = {}
    for it in ds_test.items:
        files = sorted(folder.glob(f"{it.key}.*"))
        if not files:
            continue
        a, is_log = read_prediction(files[0])
        sal = np.exp(a) if is_log else a
        out[it.key] = float(nss(resize_to(sal, tuple(it.size)), points_to_mask(it.points, it.size)))
    return out


# ---------------------------------------------------------------- 6. the table


def summarise(rows: list[tuple[str, list[dict]]]) -> list[dict]:
    """Per row: mean and sample std of every metric over its runs."""
    out = []
    for label, docs in rows:
        mean, std = {}, {}
        for k in METRICS:
            vals = np.array([d["metrics"][k] for d in docs if d["metrics"].get(k) is not None], dtype=float)
            mean[k] = float(vals.mean()) if vals.size else None
            std[k] = float(vals.std(ddof=1)) if vals.size > 1 else None
        assert len({d["n_images"] for d in docs}) == 1, label  # score() stops on a run of fewer images
        out.append({"method": label, "runs": len(docs), "n_images": docs[0]["n_images"], "metrics": mean,
                    "std": std})
    return out


def markdown(summary: list[dict]) -> str:
    """The OSIE table in markdown: the best mean of each column in bold, ranked as ``saliency eval`` ranks
    (:func:`saliency.eval.tables.ranks`: on the values as printed, so equal-looking means share the bold; the gold
    standard, a ceiling, shown but never ranked nor marked). An undefined mean shows as eval's ``n/a``
    (:func:`saliency.eval.tables.mean_sd_text`), with eval's n/a footnote under the table."""
    from types import SimpleNamespace

    from saliency.eval.metrics import GOLD_STANDARD
    from saliency.eval.tables import markdown_line, mean_sd_text, na_notes, ranks

    # one entry per row, named by its position (two rows of one label stay apart); the gold standard by its name
    entries = [SimpleNamespace(method=r["method"] if r["method"] == GOLD_STANDARD else str(i), metrics=r["metrics"])
               for i, r in enumerate(summary)]
    best = {k: {int(m) for m, rank in ranks(entries, k, 3).items() if rank == 0} for k in METRICS}
    head = "| method | runs | " + " | ".join(k.replace("_", "-") for k in METRICS) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(METRICS)]
    for i, r in enumerate(summary):
        cells = []
        for k in METRICS:
            text = mean_sd_text(r["metrics"][k], r["std"][k], 3)
            cells.append(f"**{text}**" if i in best[k] else text)
        lines.append(f"| {r['method']} | {r['runs']} | " + " | ".join(cells) + " |")
    notes = na_notes({"OSIE": entries}, METRICS, 3)  # as eval's table: why a cell is n/a
    if notes:
        lines += [""] + [f"- {markdown_line(n)}" for n in notes]
    return "\n".join(lines)


def caption(n_test: int, n_fixations: int, n_train: int, recipe: str, epochs: int, seeds: str, machine: str) -> str:
    """The table's caption (``W/osie_table.md``, the note of ``W/osie_results.json``), counts in correct English:
    ``1 epoch``, ``2 epochs``."""
    from saliency.eval.tables import counted

    fixations = f"{n_fixations:,} fixation{'' if n_fixations == 1 else 's'}"
    return (f"OSIE test split: {counted(n_test, 'image')}, {fixations} of 15 observers; networks trained on "
            f"{counted(n_train, 'training image')} ({recipe} recipe, {counted(epochs, 'epoch')}, seeds {seeds}); "
            f"IG over the training centre bias, LL over uniform (bits/fixation); mean ± sample std over seeds. "
            f"Machine: {machine}.")


def results_doc(summary: list[dict], header: str) -> dict:
    """``W/osie_results.json``: the table in the shape of ``saliency eval --json`` (plus ``std``), ``header`` (the
    caption: split, runs, IG baseline, units, mean ± std over seeds) as its one note, which ``saliency report``
    lists under the table."""
    return {"task": "fixation", "notes": [header],
            "results": [{"dataset": "OSIE (test)", "method": r["method"], "n_images": r["n_images"],
                         "metrics": r["metrics"], "std": r["std"]} for r in summary]}


def main(argv: list[str] | None = None) -> int:
    """Run (or resume) the benchmark and print the table."""
    from saliency.commands._args import device, non_negative_int, positive_int, workers

    from scratch import ArgumentParser, attention_list, attentions_of, seed_list, seeds_of

    ap = ArgumentParser(description=__doc__.splitlines()[0])  # a bad value: one usage line, exit 2, nothing run
    ap.add_argument("--work", required=True, help="work folder (kept: a second run resumes and skips finished steps)")
    ap.add_argument("--root", default=str(REPO.parent / "shared" / "data"),
                    help="folder holding osie/ (default: ../shared/data)")
    ap.add_argument("--epochs", type=positive_int, default=12,
                    help="epochs per training run (default: 12, the recipe's)")
    ap.add_argument("--seeds", type=seed_list, default="0,1,2", help="comma-separated seeds (default: 0,1,2)")
    ap.add_argument("--attentions", default=",".join(ATTENTIONS),
                    help=f"attention variants, each a model of the recipe, <prefix>_<att>_fixation "
                         f"(default: {','.join(ATTENTIONS)})")
    ap.add_argument("--device", type=device, default="cpu",
                    help="training and prediction device: auto, cpu, cuda, cuda:N or mps (default: cpu)")
    ap.add_argument("--recipe", choices=tuple(RECIPE_MODELS), default="tiny",
                    help="tiny: unet_tiny_<att>_fixation from scratch (CPU); pretrained: "
                         "unet_resnet50_<att>_fixation --pretrained at 384x288 (GPU)")
    ap.add_argument("--limit-train", type=non_negative_int, default=0,
                    help="use only the first N training images (development; default 0: all)")
    ap.add_argument("--limit-test", type=non_negative_int, default=0,
                    help="score only the first N test images (development; default 0: all)")
    ap.add_argument("--workers", type=workers(1), default=1, help="scoring processes (default: 1)")
    ap.add_argument("--no-gold", action="store_true", help="leave out the gold standard (it takes a few minutes)")
    args = ap.parse_args(argv)
    try:  # the models --attentions names depend on --recipe: checked once both are read, as a usage error
        attention_list(args.attentions, RECIPE_MODELS[args.recipe], "fixation")
    except argparse.ArgumentTypeError as exc:
        ap.error(f"argument --attentions: {exc}")
    args.work, args.root = str(Path(args.work).resolve()), str(Path(args.root).resolve())  # commands run in REPO

    from saliency.base.fsutil import write_json, write_text
    from saliency.eval.datasets import osie

    from saliency.base.errors import UserError, cli_flag

    from scratch import refuse, resumable_work

    try:  # the device as saliency train checks it (CUDA absent, cuda:N beyond the devices), before any work
        from saliency.runtime import resolve_device

        resolve_device(args.device)
    except UserError as exc:
        refuse(exc.render(cli_flag))
    t_start = time.perf_counter()
    try:  # the data first: a wrong --root stops here, before --work records it as a setting
        train_ds, test_ds = osie(args.root, "train"), osie(args.root, "test")
    except UserError as exc:
        refuse(f"{exc.render(cli_flag)}; give --root the folder holding osie/ (eye/fixations.mat, stimuli/)")
    base = next(c for c in (Path(args.root), Path(args.root) / "osie") if (c / "eye" / "fixations.mat").is_file())
    from scratch import content_digest

    # what the cached data, runs and scores depend on (attentions and seeds only add runs of their own names); the
    # data's contents too: OSIE replaced at the same --root reused the old maps, runs and scores under the new data
    work = resumable_work(args.work, {"root": args.root, "epochs": args.epochs, "recipe": args.recipe,
                                      "limit_train": args.limit_train, "limit_test": args.limit_test,
                                      "root_sha256": content_digest(base, ("eye/fixations.mat", "stimuli"))})
    if args.limit_train:
        train_ds.items = train_ds.items[:args.limit_train]
    if args.limit_test:
        test_ds.items = test_ds.items[:args.limit_test]
    write_split_folder(train_ds, base / "stimuli", work / "data" / "train")
    write_split_folder(test_ds, base / "stimuli", work / "data" / "test")
    test_images = work / "data" / "test" / "stimuli"

    rows: list[tuple[str, list[dict]]] = []
    preds: dict[str, Path] = {}
    if not args.no_gold:
        rows.append(("gold standard", [score(test_ds, "gold standard", None, work, gold=True, workers=args.workers)]))
    # the dataset centre bias: fitted on the whole training split (saliency.eval.datasets.osie), never on test
    for name, folder in write_baselines(test_ds, test_ds.baseline_logp, test_images, work).items():
        preds[f"baseline_{name}"] = folder
        rows.append((name, [score(test_ds, f"baseline_{name}", folder, work, workers=args.workers)]))
    seeds = seeds_of(args.seeds)
    for att in attentions_of(args.attentions):
        docs = []
        for seed in seeds:
            folder = train_and_predict(args, work / "data" / "train", test_images, att, seed)
            preds[f"{att}_s{seed}"] = folder
            docs.append(score(test_ds, f"{att}_s{seed}", folder, work, workers=args.workers))
        label = f"unet_tiny_{att}" if args.recipe == "tiny" else f"unet_resnet50_{att} (pretrained)"
        if att == DEFAULT_ATTENTION:
            label += " (default recipe)"
        rows.append((label, docs))

    nss_path = work / "eval" / "per_image_nss.csv"
    per = {name: per_image_nss(test_ds, folder) for name, folder in preds.items()}
    keys = [it.key for it in test_ds.items]
    with open(nss_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image", *per])
        for k in keys:
            w.writerow([k, *(f"{per[n][k]:.4f}" if k in per[n] else "" for n in per)])

    summary = summarise(rows)
    table = markdown(summary)
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"device {args.device}")
    n_train = len(train_ds.items)
    header = caption(len(test_ds.items), sum(len(it.points) for it in test_ds.items), n_train, args.recipe,
                     args.epochs, args.seeds, machine)
    write_text(work / "osie_table.md", header + "\n\n" + table + "\n")
    write_json(work / "osie_results.json", results_doc(summary, header))
    print(header + "\n\n" + table)
    by = {r["method"]: r for r in summary}
    default = next((r for r in summary if r["method"].endswith("(default recipe)")), None)
    if default is not None:
        beaten = []
        for b in BASELINES:
            if b in by:
                ours, theirs = default["metrics"], by[b]["metrics"]
                losses = [k for k in TARGET_KEYS
                          if ours[k] is not None and theirs[k] is not None and ours[k] <= theirs[k]]
                beaten.append((b, losses))
        misses = [f"{b} ({', '.join(ls)})" for b, ls in beaten if ls]
        print("\ndefault model vs baselines on " + ", ".join(TARGET_KEYS) + ": "
              + ("beats every baseline" if not misses else "does not beat " + "; ".join(misses)))
        if "gold standard" in by:
            g = by["gold standard"]["metrics"]
            gaps = ", ".join(f"{k} {default['metrics'][k] - g[k]:+.3f}" for k in METRICS
                             if default["metrics"][k] is not None and g.get(k) is not None)
            print(f"gap to the gold standard (default minus gold): {gaps}")
    print(f"\ntotal wall time {time.perf_counter() - t_start:.0f} s; per-image NSS: {nss_path}")
    return 0


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

"""Reports people read: ``report.md`` and a self-contained ``report.html``.

A report gathers what a saliency experiment produced, in the order a reader
asks for it (the layout of the MIT/Tuebingen benchmark pages and of
PySODEvalToolkit's summaries):

1. the study and its ingestion: subjects, fixations, quarantine counts,
   inter-observer consistency (from a ``saliency ingest`` ``dataset.json``);
2. training curves (from each ``saliency train`` run's ``metrics.csv``);
3. metric tables (from ``saliency eval --json`` files), best value in bold;
4. precision-recall and F-measure curves (``saliency eval --plot-dir``);
5. the per-image spread of NSS (a fixation prediction against each image's
   fixations, :func:`per_image_nss`): summary figures, a histogram and the
   images it does worst on (the MIT benchmark reports means only; the spread
   says whether a mean hides a bimodal model);
6. a gallery of the given images (``--images``; held out only if those are): image | ground truth | prediction |
   fixations over the image as a heat-map overlay (with the image's NSS).

An OSIE run of ``benchmarks/osie.py`` is shown by ``saliency report --eval
W/osie_results.json --images W/data/test/stimuli --pred W/pred/cbam_s0
--dataset W/data/test --gallery 200``: its table (mean ± spread over seeds,
from the ``std`` of that file), every test image with the human fixations and
the per-image NSS.

``report.md`` links its pictures from ``assets/``; ``report.html`` embeds
them (base64 data URIs), so the one file can be mailed or archived.
:func:`gallery_items` picks the gallery's scenes from folders (``saliency
report --images/--pred/--gt/--dataset`` and the demo). The direction of each
metric (bold = best) and the ranking come from ``saliency eval``'s own
:func:`saliency.eval.tables.ranks`. Torch-free; matplotlib (Agg)
draws the curves.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError


@dataclass
class GalleryItem:
    """One scene of the gallery (an image of ``--images``); any path but ``image`` may be None."""

    name: str
    image: Path
    gt: Path | None = None
    pred: Path | None = None
    fix_map: Path | None = None  # continuous human map, shown as a heat map
    fix_points: Path | None = None  # binary fixation map, shown as dots
    pred_density: Path | None = None  # a fixation model's predicted map: a fifth panel, as a heat map


@dataclass
class ReportInputs:
    """Everything a report may show; missing parts are left out with a note."""

    title: str = "Saliency report"
    summary_lines: list[str] = field(default_factory=list)
    dataset_json: Path | None = None
    runs: list[Path] = field(default_factory=list)
    eval_jsons: list[Path] = field(default_factory=list)
    curve_pngs: list[Path] = field(default_factory=list)
    plots: Path | None = None  # the --plot-dir folder the curves came from: named when it held no PNG
    gallery: list[GalleryItem] = field(default_factory=list)
    gallery_from: Path | None = None  # the --images folder the gallery's rows come from, as given (named in a note)
    gallery_by_pred: bool = False  # the rows are the images with a prediction (--pred given)
    gallery_left_out: bool = False  # --gallery 0: no rows asked for (said so, not "no gallery was given")
    nss: dict[str, float] = field(default_factory=dict)  # per-image NSS of the gallery's prediction
    nss_notes: list[str] = field(default_factory=list)  # files of the dataset's fixations/ NSS left out (eval's line)


def gallery_items(images, pred=None, gt=None, dataset=None, limit: int = 8) -> list[GalleryItem]:
    """Gallery rows for the images that have a prediction (first ``limit`` by name).

    ``images``: folder of images; ``pred``: folder of predicted maps; ``gt``:
    folder of ground-truth masks; ``dataset``: a ``saliency ingest`` folder
    whose ``maps/`` (heat map) and ``fixations/`` (dots) are overlaid. Files
    are matched by stem; an image in a sub-folder is shown under its bare stem
    when that names one image only (the name predictions use), never twice.
    """
    from saliency.base.images import IMAGE_EXTS
    from saliency.eval.io import PRED_EXTS, index_folder

    imgs = index_folder(images, IMAGE_EXTS, param="images")
    preds = index_folder(pred, PRED_EXTS, param="pred") if pred else {}
    gts = index_folder(gt, IMAGE_EXTS, param="gt") if gt else {}
    maps = fixes = {}
    if dataset:
        d = Path(dataset)
        if (d / "maps").is_dir():
            maps = index_folder(d / "maps", PRED_EXTS, param="dataset", prefix="maps ")
        if (d / "fixations").is_dir():
            fixes = index_folder(d / "fixations", IMAGE_EXTS, param="dataset", prefix="fixations ")
    names = sorted(n for n in imgs if "/" not in n and (not preds or n in preds))
    if preds and not names:  # every prediction named differently: say so rather than show no gallery
        raise UserError(f"`pred` {pred}: no file matches an image of `images` {images} by name (e.g. "
                        f"{sorted(preds)[0]} vs {sorted(imgs)[0] if imgs else 'no image'}); name predictions "
                        "<image stem>.png")
    return [GalleryItem(n, imgs[n], gts.get(n), preds.get(n), maps.get(n), fixes.get(n)) for n in names[:limit]]


def per_image_nss(pred, dataset, notes: list | None = None) -> dict[str, float]:
    """NSS of every prediction in ``pred`` against the binary fixation map of the same stem in ``dataset/fixations``.

    NSS as :func:`saliency.eval.fixation.nss` (the MIT benchmark's: the map
    z-scored with ddof=1, resized to the fixation map bilinearly, mean at the
    fixated pixels); images without fixations are left out. Sorted by name.
    A prediction is read as ``saliency eval`` reads it
    (:func:`saliency.eval.runner.read_prediction`): a log-density ``.npy``
    (``saliency predict --log-density``) is resampled in probability and
    scored as its density ``exp(log p)``, so the mean is eval's NSS.
    The fixation maps read are those ``saliency eval`` reads from an ingest
    folder's ``fixations/`` (:data:`IMAGE_EXTS`, .tif and .webp among them);
    ``notes``, when given, receives eval's line counting the files of other
    extensions there (``.mat``, ``.gif``), which neither command scores.
    """
    from saliency.eval.fixation import nss, resize_to
    from saliency.eval.io import IMAGE_EXTS, PRED_EXTS, FolderIndex, index_folder, left_out_note, read_fixations
    from saliency.eval.io import walk_files
    from saliency.eval.probabilistic import resize_log_density
    from saliency.eval.runner import read_prediction

    fix_dir = Path(dataset) / "fixations"
    if not fix_dir.is_dir():
        return {}
    preds = index_folder(pred, PRED_EXTS, param="pred")
    left: list = []  # eval's fixation folder (eval.fixation_folders): IMAGE_EXTS; the others counted, as eval does
    found = walk_files(fix_dir, IMAGE_EXTS, f"`dataset` fixations {fix_dir}", left)
    note = left_out_note(FolderIndex(left_out=left, exts=IMAGE_EXTS), fix_dir)
    if note and notes is not None:
        notes.append(f"{fix_dir}: {note}")
    if not found:  # only files eval leaves out (all .mat): no NSS, as eval scores none, said in the note
        return {}
    fixes = index_folder(fix_dir, IMAGE_EXTS, param="dataset", prefix="fixations ")
    out, empty = {}, []
    for name in sorted(n for n in preds if n in fixes and "/" not in n):
        fix = read_fixations(fixes[name])
        if not fix.any():
            empty.append(name)
            continue
        pred_map, log_density = read_prediction(preds[name])
        s = np.exp(resize_log_density(pred_map, fix.shape)) if log_density else resize_to(pred_map, fix.shape)
        out[name] = nss(s, fix)
    if empty and notes is not None:  # NSS is undefined without a fixated pixel: left out, as eval leaves it out
        n = len(empty)
        notes.append(f"{fix_dir}: {n} image{'s' if n > 1 else ''} without a fixated pixel left out of the "
                     f"per-image NSS (e.g. {empty[0]}), as saliency eval leaves {'them' if n > 1 else 'it'} out")
    return out


def nss_spread(values: dict[str, float], out_png: Path) -> tuple[list[tuple[str, str]], Path]:
    """Summary rows (n, mean, sd, quartiles, range, worst images) and a histogram of per-image NSS values."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(values)
    v = np.array([values[n] for n in names], dtype=np.float64)
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    order = np.argsort(v)
    rows = [("images", str(len(v))), ("mean", f"{v.mean():.3f}"),
            ("standard deviation", f"{v.std(ddof=1) if len(v) > 1 else 0.0:.3f}"),
            ("median (quartiles)", f"{med:.3f} ({q1:.3f} - {q3:.3f})"),
            ("lowest - highest", f"{v.min():.3f} - {v.max():.3f}"),
            ("images below 0 (worse than chance)", f"{int((v < 0).sum())}"),
            ("lowest three", ", ".join(f"{names[i]} ({v[i]:.2f})" for i in order[:3])),
            ("highest three", ", ".join(f"{names[i]} ({v[i]:.2f})" for i in order[::-1][:3]))]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(v, bins=min(30, max(5, len(v) // 4)), color="#4477aa", edgecolor="white")
    ax.axvline(v.mean(), color="#cc3311", label=f"mean {v.mean():.2f}")
    ax.axvline(med, color="#222222", ls="--", label=f"median {med:.2f}")
    ax.set_xlabel("NSS per image")
    ax.set_ylabel("images")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _save_figure(fig, out_png)
    return rows, out_png


# ---------------------------------------------------------------- pictures


def _read_rgb(path: Path, size: tuple[int, int] | None = None) -> np.ndarray:
    import cv2

    from saliency.eval.io import read_image

    img = cv2.cvtColor(read_image(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    if size is not None and img.shape[1::-1] != size:
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return img


def _read_grey(path: Path, size: tuple[int, int]) -> np.ndarray:
    import cv2

    if path.suffix.lower() == ".npy":  # eval's reader: a NaN, empty or wrong-shaped map is one line, not black
        from saliency.eval.runner import read_prediction

        g, log_density = read_prediction(path)  # a log-density is shown as its density, as predict's PNG
        g = (np.exp(g) if log_density else g).astype(np.float32)
    else:
        from saliency.eval.io import read_image

        g = read_image(path, cv2.IMREAD_GRAYSCALE).astype(np.float32)
    g = cv2.resize(g, size, interpolation=cv2.INTER_LINEAR)
    lo, hi = float(g.min()), float(g.max())
    return (g - lo) / (hi - lo) if hi > lo else np.zeros_like(g)


def heat_overlay(image: np.ndarray, density: np.ndarray | None, points: np.ndarray | None) -> np.ndarray:
    """The image darkened, with ``density`` (0..1) as a JET heat map and fixated pixels as white dots."""
    import cv2

    out = image.astype(np.float32) * 0.55
    if density is not None:
        heat = cv2.cvtColor(cv2.applyColorMap((density * 255).astype(np.uint8), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
        a = (0.75 * np.clip(density, 0, 1) ** 0.5)[..., None]
        out = out * (1 - a) + heat.astype(np.float32) * a
    out = np.clip(out, 0, 255).astype(np.uint8)
    if points is not None:
        ys, xs = np.nonzero(points > 0.5)
        for x, y in zip(xs, ys):
            cv2.circle(out, (int(x), int(y)), 3, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(out, (int(x), int(y)), 3, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def gallery_row(item: GalleryItem, width: int = 256) -> np.ndarray:
    """One gallery row: image | ground truth | prediction | fixations heat map (missing panels grey).

    With ``item.pred_density`` a fifth panel shows the predicted fixation density the same way.
    """
    import cv2

    img = _read_rgb(item.image)
    h = max(1, int(round(img.shape[0] * width / img.shape[1])))  # a 3x4000 image: 1 row, not 0 (no resize to 0)
    size = (width, h)
    img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    blank = np.full((h, width, 3), 128, np.uint8)

    def grey(p):
        return blank if p is None else np.repeat((_read_grey(p, size) * 255).astype(np.uint8)[..., None], 3, 2)

    points = None
    if item.fix_points is not None:
        import cv2 as _cv2

        from saliency.base.images import check_image_size, decode

        check_image_size(item.fix_points)
        fp = decode(np.fromfile(str(item.fix_points), np.uint8), _cv2.IMREAD_GRAYSCALE)
        if fp is not None:  # keep every fixated pixel when shrinking: max-pool via resize of the dilated map
            sy, sx = fp.shape[0] / h, fp.shape[1] / width
            ys, xs = np.nonzero(fp > 128)
            points = np.zeros((h, width), np.float32)
            points[np.minimum((ys / sy).astype(int), h - 1), np.minimum((xs / sx).astype(int), width - 1)] = 1
    density = _read_grey(item.fix_map, size) if item.fix_map is not None else None
    heat = heat_overlay(img, density, points) if (density is not None or points is not None) else blank
    sep = np.full((h, 4, 3), 255, np.uint8)
    panels = [img, sep, grey(item.gt), sep, grey(item.pred), sep, heat]
    if item.pred_density is not None:
        panels += [sep, heat_overlay(img, _read_grey(item.pred_density, size), None)]
    return np.concatenate(panels, axis=1)


def _save_png(path: Path, rgb: np.ndarray) -> Path:
    """Write ``rgb`` as a PNG atomically (encoded in memory: OpenCV neither follows a link nor meets the path)."""
    import cv2

    from saliency.base.fsutil import write_bytes
    from saliency.base.images import encode

    write_bytes(path, encode(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), ".png"))
    return path


def _save_figure(fig, path: Path) -> None:
    """Write a matplotlib figure as a PNG atomically, then close it."""
    import matplotlib.pyplot as plt

    from saliency.base.fsutil import atomic_path

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        plt.close(fig)


def training_curves(run: Path, out_png: Path, title: str | None = None) -> Path | None:
    """Plot every numeric column of ``run/metrics.csv`` against the epoch (losses left, metrics right); the
    figure's title is ``title`` (default: the run folder's name)."""
    return _training_curves(run, out_png, title)[0]


def _epochs_done(df) -> int:
    """The last epoch of a metrics.csv table (its ``epoch`` column, 1-based; else its number of rows)."""
    import pandas as pd

    if "epoch" in df.columns and pd.api.types.is_integer_dtype(df["epoch"]) and len(df):
        return int(df["epoch"].max())
    return len(df)


def _training_curves(run: Path, out_png: Path, title: str | None = None) -> tuple[Path | None, int]:
    """:func:`training_curves`, and the number of epochs its metrics.csv holds (0: none)."""
    import pandas as pd

    csv = run / "metrics.csv"
    if not csv.is_file():
        return None, 0
    try:
        df = pd.read_csv(csv)
    except pd.errors.EmptyDataError:  # an empty file: a run stopped before its first epoch ended
        return None, 0
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UserError(f"{csv}: not a readable CSV table ({str(exc).splitlines()[0]}); fix or remove it") from None
    if df.empty:
        return None, 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = df["epoch"] if "epoch" in df.columns else np.arange(1, len(df) + 1)
    numeric = [c for c in df.columns if c != "epoch" and pd.api.types.is_numeric_dtype(df[c])]
    losses = [c for c in numeric if "loss" in c.lower()]
    # bookkeeping columns of saliency train's metrics.csv: lr, step, images_per_s, epoch_s, val_s, best
    skip = r"(^lr$|time|step|images|sec|_s$|^best$)"
    metrics = [c for c in numeric if c not in losses and not re.search(skip, c.lower())]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for c in losses:
        axes[0].plot(x, df[c], marker="o", ms=3, label=c)
    axes[0].set_title("loss")
    for c in metrics:
        axes[1].plot(x, df[c], marker="o", ms=3, label=c)
    axes[1].set_title("validation")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    fig.suptitle(title or run.name)
    fig.tight_layout()
    _save_figure(fig, out_png)
    return out_png, _epochs_done(df)


def _planned_epochs(run: Path) -> int | None:
    """The run's ``train.epochs`` (its config.yaml, as ``saliency train`` wrote it), or None when unreadable."""
    import yaml

    try:
        cfg = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
        epochs = cfg["train"]["epochs"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError):
        return None
    return epochs if isinstance(epochs, int) and not isinstance(epochs, bool) and epochs >= 1 else None


def run_progress(run: Path, done: int) -> tuple[str, str] | None:
    """Whether the training run ``run``, whose metrics.csv holds ``done`` epochs, is unfinished: (the report's
    line, the stderr warning), or None for a finished run (or one whose plan is unknown and no trainer holds).

    A run is still training while a live ``saliency train`` holds its lock file
    (:func:`saliency.base.runlock.lock_holder`; a stale lock of a killed run is no holder); call this after
    reading metrics.csv, so a lock held then means the rows were read from a live run. Without a holder, fewer
    rows than config.yaml's ``train.epochs`` is a run that stopped early (Ctrl-C, SIGTERM, a kill, a NaN loss:
    train has no early stopping that would end a run on purpose).
    """
    from saliency.base.runlock import LOCK_NAME, lock_holder

    planned = _planned_epochs(run)
    lock = run / LOCK_NAME
    holder = lock_holder(lock)
    if holder is not None:
        at = (f"epoch {done}" if done else "no epoch finished yet") + (f" of {planned}" if planned else "")
        line = f"{run} was still training when this report was written: {at}."
        warning = (f"{run} was still training ({holder} holds {lock}): the report shows {at}; run saliency report "
                   f"again when the training has ended, or delete {lock} if that process is gone")  # a pid reused
        # where no start time can be read (macOS, Windows: START `-`) keeps a killed run's lock held (review R13)
        return line, warning
    if planned is not None and 1 <= done < planned:
        line = f"{run} stopped after epoch {done} of {planned} (config.yaml's train.epochs)."
        warning = (f"{run} stopped after epoch {done} of {planned} (config.yaml's train.epochs): the report shows "
                   f"an unfinished run; continue it with saliency train --resume {run}")
        return line, warning
    return None


# ---------------------------------------------------------------- tables


def read_eval_json(path: str | Path) -> dict:
    """A ``saliency eval --json`` file, its shape checked: one UserError naming the file for a wrong one.

    Needs an object with a text ``task`` and a non-empty list ``results`` of
    objects with text ``dataset`` and ``method``, a ``metrics`` object of
    numbers or nulls (and optionally a ``std`` object of the same, as
    ``benchmarks/osie.py`` writes), and, where given, eval's counts
    ``n_images``, ``n_resized``, ``n_missing``, ``n_skipped`` (whole numbers
    >= 0), ``excluded`` ({metric: images left out}), ``extra_predictions`` and
    ``left_out_files`` (lists of file names), ``metric_maps`` (true or false), ``seed`` (a whole number >= 0
    or null: the seed of the AUC-Borji/sAUC negatives, said under the report's table as eval says it under
    its own) and ``notes`` (a list of text, eval's notes under its tables, listed under the report's table).
    """
    from saliency.base.errors import expect_type
    from saliency.base.fsutil import read_json

    path = Path(path)
    where = f"`eval_jsons` {path}"
    fix = "give a file saliency eval --json wrote"
    doc = read_json(path, where, fix)
    expect_type(doc, dict, where, "a saliency eval --json object")
    missing = [key for key in ("task", "results") if key not in doc]
    if missing:  # {} or another program's JSON: not an empty table
        raise UserError(f"{where}: not a saliency eval --json output (no {' or '.join(map(repr, missing))}); {fix}")
    expect_type(doc["task"], str, f"{where}: 'task'", "text")
    results = expect_type(doc["results"], list, f"{where}: 'results'", "a list")
    if not results:
        raise UserError(f"{where}: 'results' is empty (no method was scored); {fix}")
    if doc.get("metric_maps") is not None:
        expect_type(doc["metric_maps"], bool, f"{where}: 'metric_maps'", "true or false")

    def number(v, at: str, whole: bool = False):
        ok = isinstance(v, int) if whole else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok or (whole and v < 0):
            shown = repr(v) if len(repr(v)) <= 60 else repr(v)[:57] + "..."
            raise UserError(f"{where}: {at} is {shown}, not {'a whole number >= 0' if whole else 'a number'}; {fix}")
        try:
            float(v)
        except OverflowError:  # a 400-digit integer: beyond any float
            raise UserError(f"{where}: {at} is an integer of {len(str(v))} digits, beyond the largest number "
                            f"(about 1.8e308); {fix}") from None

    for i, r in enumerate(results):
        expect_type(r, dict, f"{where}: results[{i}]", "an object")
        for key in ("dataset", "method"):
            if key not in r:
                raise UserError(f"{where}: results[{i}] has no {key!r}; {fix}")
            expect_type(r[key], str, f"{where}: results[{i}].{key}", "text")
        if "metrics" not in r:
            raise UserError(f"{where}: results[{i}] has no 'metrics'; {fix}")
        for part in ("metrics", "std"):
            if part == "std" and r.get(part) is None:
                continue  # no spread given
            values = expect_type(r[part], dict, f"{where}: results[{i}].{part}", "an object")
            for k, v in values.items():
                if v is not None:
                    number(v, f"results[{i}].{part}.{k}")
        for key in ("n_images", "n_resized", "n_missing", "n_skipped"):
            if r.get(key) is not None:
                number(r[key], f"results[{i}].{key}", whole=True)
        if r.get("excluded") is not None:
            for k, v in expect_type(r["excluded"], dict, f"{where}: results[{i}].excluded", "an object").items():
                number(v, f"results[{i}].excluded.{k}", whole=True)
        for key in ("extra_predictions", "left_out_files"):  # counted in the notes: a list of file names
            if r.get(key) is not None:
                for j, name in enumerate(expect_type(r[key], list, f"{where}: results[{i}].{key}",
                                                     "a list of file names")):
                    expect_type(name, str, f"{where}: results[{i}].{key}[{j}]", "a file name (text)")
    if doc.get("seed") is not None:  # the seed of eval's AUC-Borji/sAUC negatives, said under the report's table
        number(doc["seed"], "'seed'", whole=True)
    if doc.get("note") is not None and doc.get("notes") is None:  # benchmarks/osie.py before stop 29: one caption
        doc["notes"] = [expect_type(doc["note"], str, f"{where}: note", "a note (text)")]
    if doc.get("notes") is not None:  # eval's notes under its tables, listed under the report's table
        for j, n in enumerate(expect_type(doc["notes"], list, f"{where}: notes", "a list of notes (text)")):
            expect_type(n, str, f"{where}: notes[{j}]", "a note (text)")
    return doc


class _Best(str):
    """A table cell's text that is its column's best value, shown bold: the mark is this type, never ``**`` in the
    text, so a method named ``**x**`` is shown as written (in report.md escaped, in report.html as text)."""


def _table_cells(eval_json: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows (dataset, method, n, metrics...) of an eval JSON as plain text; a best value is a :class:`_Best`.

    A result with a ``std`` object (``benchmarks/osie.py``: the spread over
    seeds) shows each value as ``mean ± std``.
    """
    from types import SimpleNamespace

    from saliency.eval.metrics import GOLD_STANDARD
    from saliency.eval.tables import mean_sd_text, ranks

    # every value as a float (an integer beyond int64 is no numpy number); None for none
    results = [{**r, "metrics": {k: None if v is None else float(v) for k, v in r["metrics"].items()},
                "std": {k: None if v is None else float(v) for k, v in (r.get("std") or {}).items()}}
               for r in eval_json.get("results", [])]
    keys: list[str] = []
    for r in results:
        keys += [k for k in r["metrics"] if k not in keys]
    # ranked as saliency eval ranks them (eval.tables.ranks): on the values as printed (3 decimals, so equal-looking
    # values share the bold), the gold-standard ceiling shown but never ranked; one entry per result
    best = set()
    for ds in dict.fromkeys(r["dataset"] for r in results):
        group = [(i, r) for i, r in enumerate(results) if r["dataset"] == ds]
        entries = [SimpleNamespace(method=r["method"] if r["method"] == GOLD_STANDARD else str(i),
                                   metrics={k: float("nan") if v is None else float(v)  # inf ranked as eval ranks
                                            for k, v in r["metrics"].items()}) for i, r in group]
        for k in keys:
            best |= {(int(m), k) for m, rank in ranks(entries, k, 3).items() if rank == 0}
    rows = []
    for i, r in enumerate(results):
        row = [r["dataset"], r["method"], "" if r.get("n_images") is None else str(r["n_images"])]
        spread = r["std"]
        for k in keys:
            # eval's cell (n/a for undefined, an infinite value as inf), with its spread where both are defined
            text = mean_sd_text(r["metrics"].get(k), spread.get(k), 3)
            row.append(_Best(text) if (i, k) in best else text)
        rows.append(row)
    return ["dataset", "method", "images"] + keys, rows


def metric_table(eval_json: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows (dataset, method, n, metrics...) of an eval JSON as report.md shows them.

    Every cell escaped (:func:`saliency.eval.tables.markdown_cell`: a ``|``
    or ``*`` in a name is text), the best value per dataset in bold
    (``**0.100**``); a result with a ``std`` object shows ``mean ± std``.
    """
    header, rows = _table_cells(eval_json)
    return [_md_cell(h) for h in header], [[_md_cell(c) for c in r] for r in rows]


def _md_cell(text: str) -> str:
    from saliency.eval.tables import markdown_cell

    return f"**{markdown_cell(text)}**" if isinstance(text, _Best) else markdown_cell(text)


def _md_line(text: str) -> str:
    """``text`` as a markdown heading's or list item's text, shown as written (eval's escaping,
    :func:`saliency.eval.tables.markdown_line`: a leading ``#`` or ``1.`` is no heading or nested list)."""
    from saliency.eval.tables import markdown_line

    return markdown_line(text)


def _md_table(header, rows) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _html_table(header, rows) -> str:
    def cell(t, tag):
        text = html.escape(t)
        return f"<{tag}><b>{text}</b></{tag}>" if isinstance(t, _Best) else f"<{tag}>{text}</{tag}>"

    head = "".join(cell(h, "th") for h in header)
    body = "".join("<tr>" + "".join(cell(c, "td") for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def na_notes(eval_json: dict) -> list[str]:
    """eval's n/a footnotes (:func:`saliency.eval.tables.na_notes`) for the report's one table of every dataset."""
    from types import SimpleNamespace

    from saliency.eval.tables import na_notes as notes

    groups: dict = {}
    for r in eval_json.get("results", []):
        groups.setdefault(r["dataset"], []).append(SimpleNamespace(metrics={
            k: None if v is None else float(v) for k, v in r["metrics"].items()}))
    keys = list(dict.fromkeys(k for rs in groups.values() for r in rs for k in r.metrics))
    return [n + " (see the counts above)" for n in notes(groups, keys, 3)]


def count_notes(eval_json: dict) -> list[str]:
    """eval's notes (:func:`saliency.eval.tables.result_note`) of the results that resized, skipped or left out images
    or files (prediction files without a ground truth, files of other extensions).

    ``"D / m: 3 images, 1 without a prediction skipped, AUC left out on 1
    image(s)"``; a result whose every image counted needs none (its images are
    the table's column).
    """
    from types import SimpleNamespace

    from saliency.eval.tables import result_note

    notes = []
    for r in eval_json.get("results", []):
        counts = SimpleNamespace(n_images=r.get("n_images", "?"), n_resized=r.get("n_resized") or 0,
                                 n_missing=r.get("n_missing") or 0, n_skipped=r.get("n_skipped") or 0,
                                 excluded=r.get("excluded") or {}, extra=r.get("extra_predictions") or (),
                                 left_out=r.get("left_out_files") or (), metrics=r.get("metrics") or {},
                                 skipped=[(e.get("image"), e.get("reason", "")) for e in r.get("skipped_images") or ()],
                                 no_fixations=[e.get("image") for e in r.get("left_out_images") or ()])
        if (counts.n_resized or counts.n_missing or counts.n_skipped or any(counts.excluded.values())
                or counts.extra or counts.left_out or counts.no_fixations):
            notes.append(f"{r['dataset']} / {r['method']}: {result_note(counts)}")
    return notes


def seed_note(eval_json: dict) -> str | None:
    """eval's line giving the seed of the AUC-Borji/sAUC negatives (:func:`saliency.eval.tables.seed_note`) from the
    JSON's ``seed`` and its results (the metrics in the table's order, those defined in a result), or None where it
    drew none (``seed`` null or absent, or each of them null: sAUC of a dataset with one image with fixations)."""
    from saliency.eval.tables import seed_note as note

    metrics = [r.get("metrics") or {} for r in eval_json.get("results", [])]
    return note(list(dict.fromkeys(k for m in metrics for k in m)), eval_json.get("seed"), metrics)


def eval_labels(paths) -> list[str]:
    """A name for each eval JSON or run folder in captions: its name, or the shortest path ending that tells it
    apart.

    ``a/results.json`` and ``b/results.json`` are shown so, not both as
    ``results.json``; the same file given twice keeps one name.
    """
    import os

    full = [Path(os.path.abspath(p)).parts for p in paths]
    labels = []
    for parts in full:
        k = 1
        while k < len(parts) and any(o != parts and o[-k:] == parts[-k:] for o in full):
            k += 1
        labels.append(Path(*parts[-k:]).as_posix())
    return labels


def quarantined_split(dataset: dict) -> tuple[int, int] | None:
    """(input rows, detected fixations) quarantined, summed over a dataset.json's ``inputs``; None when unreadable.

    ``counts.quarantined`` is their sum: the rows of each input
    (``inputs[i].rows.quarantined``) and the fixations detected in raw
    samples (``inputs[i].rows.fixations.quarantined``), each by reason.
    """
    def total(by_reason) -> int | None:
        if not isinstance(by_reason, dict) or not all(type(n) is int for n in by_reason.values()):
            return None
        return sum(by_reason.values())

    rows = fixations = 0
    inputs = dataset.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        return None
    for rec in inputs:
        counts = rec.get("rows") if isinstance(rec, dict) else None
        if not isinstance(counts, dict):
            return None
        r = total(counts.get("quarantined"))
        fix = counts.get("fixations", {"quarantined": {}})
        f = total(fix.get("quarantined")) if isinstance(fix, dict) else None
        if r is None or f is None:
            return None
        rows, fixations = rows + r, fixations + f
    return rows, fixations


def study_summary(dataset_json: Path) -> list[tuple[str, str]]:
    """Key facts of an ingested dataset (``saliency ingest``'s dataset.json) as (label, value) pairs.

    A file that is not JSON, or JSON that is not such an object (another
    program's: none of the facts below), is one UserError naming the file.
    """
    from saliency.base.errors import expect_type
    from saliency.base.fsutil import read_json
    from saliency.eval.tables import mean_sd_text

    where = f"`dataset` {dataset_json}"
    fix = "give a folder saliency ingest wrote"
    d = expect_type(read_json(dataset_json, where, fix), dict, where, "a saliency ingest dataset.json object")
    out = []

    def pick(*path):
        cur = d
        for p in path:
            if not isinstance(cur, dict) or p not in cur:
                return None
            cur = cur[p]
        return cur

    for label, path in (("stimuli", ("counts", "stimuli")), ("subjects", ("counts", "subjects")),
                        ("fixations kept", ("counts", "fixations")),
                        ("quarantined (rows and detected fixations)", ("counts", "quarantined")),
                        ("fixation detector", ("policies", "detector")),
                        ("pixels per degree", ("ppd",)), ("sigma (deg)", ("sigma", "deg")),
                        ("sigma (px)", ("sigma", "px")),
                        ("QC-flagged subject x stimulus pairs", ("qc", "flagged")),
                        ("valid-sample share (mean)", ("qc", "valid_share_mean"))):
        v = pick(*path)
        if v is not None:
            out.append((label, f"{v:.3f}" if isinstance(v, float) else str(v)))
        split = quarantined_split(d) if path == ("counts", "quarantined") and v is not None else None
        if split is not None and sum(split) == v:
            out += [("input rows quarantined", str(split[0])), ("detected fixations quarantined", str(split[1]))]
    by_reason = pick("counts", "quarantine_by_reason") or {}
    observers = pick("inter_observer") or {}
    for key, value in (("counts.quarantine_by_reason", by_reason), ("inter_observer", observers)):
        if not isinstance(value, dict):
            raise UserError(f"`dataset` {dataset_json}: {key} is not an object; give a folder saliency ingest wrote")
    for reason, n in by_reason.items():
        out.append((f"quarantined: {reason}", str(n)))
    for k, v in observers.items():
        if isinstance(v, dict) and "mean" in v:
            mean, std = v["mean"], v.get("std")
            # null: not computable (every score NaN; std of one stimulus or one score), written so by ingest
            if not all(x is None or (isinstance(x, (int, float)) and not isinstance(x, bool)) for x in (mean, std)):
                raise UserError(f"`dataset` {dataset_json}: inter_observer.{k} mean/std are not numbers; "
                                "give a folder saliency ingest wrote")
            shown = mean_sd_text(mean, std, 3)  # eval's n/a for an undefined mean, as the metric table shows it
            per = f", {v['stimuli']} stimuli" if isinstance(v.get("stimuli"), int) else ""
            out.append((f"inter-observer {k} (each subject vs the others)", f"{shown} (n={v.get('n', '?')}{per})"))
    if not out:  # another program's JSON (or {}): not an empty study table
        raise UserError(f"{where}: not a saliency ingest dataset.json (none of 'counts', 'policies', 'ppd', "
                        f"'sigma', 'qc', 'inter_observer' holds a fact the study table shows); {fix}")
    return out


# ---------------------------------------------------------------- the report


#: how a table scored by ``saliency eval --metric-maps`` (``"metric_maps": true``) was scored: eval's own note
#: under its table (:func:`saliency.eval.benchmark.markdown`), in its words
METRIC_MAPS_NOTE = ("metric-specific maps (Kümmerer et al., ECCV 2018): AUCs on the equalised density, sAUC on its "
                    "ratio to the IG baseline, NSS/IG/LL on the density, CC/KLD/SIM on it blurred by the dataset's "
                    "sigma (SIM: not numerically optimised)")
#: what a report consists of: the only entries of its output folder that :func:`write_report` replaces
REPORT_ENTRIES = ("report.md", "report.html", "assets")
#: the marks that say a report.md, report.html or assets/ was written by this module (:func:`own_report_entry`)
MD_MARK = "<!-- written by saliency report -->"
HTML_MARK = '<meta name="generator" content="saliency report">'
ASSETS_MARK = ".saliency-report"
#: the pictures a report writes into assets/, for a mark written before the mark listed them
_OLD_ASSET = re.compile(r"(training_|curve_|gallery_).*\.png|nss_per_image\.png", re.S)


def _assets_mark_text(names) -> str:
    """The text of assets/ :data:`ASSETS_MARK`: what it is, and (second line) the JSON list of the report's files."""
    return ("written by saliency report: this folder is replaced whole when the report is written again; it may "
            "hold only the files listed below\nfiles: " + json.dumps(sorted(names)) + "\n")


def foreign_assets(assets: Path) -> list[str]:
    """Names of the entries of a marked ``assets/`` that the report did not write (a user's notes), sorted.

    The report's own are the files its mark lists (a mark written before it
    listed them: ``training_*``, ``curve_*``, ``gallery_*`` PNGs and
    ``nss_per_image.png``); a file browser's own file (Finder's .DS_Store in its format:
    :func:`saliency.base.fsutil.os_metadata_file`) is nobody's and goes with the folder; anything else, a
    folder included, is the user's.
    """
    import os

    from saliency.base.fsutil import os_metadata_file

    listed = None
    try:
        with open(assets / ASSETS_MARK, "rb") as f:
            text = f.read(1 << 24).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.startswith("files: "):
                names = json.loads(line[len("files: "):])
                if isinstance(names, list) and all(isinstance(n, str) for n in names):
                    listed = set(names)
    except (OSError, ValueError):
        listed = None
    out = []
    for name in sorted(os.listdir(assets)):
        if name == ASSETS_MARK:
            continue
        path = assets / name
        if os_metadata_file(path):  # Finder opened the folder: the system's file, not a user's
            continue
        ours = name in listed if listed is not None else bool(_OLD_ASSET.fullmatch(name))
        if not ours or path.is_symlink() or not path.is_file():
            out.append(name)
    return out


def _md_link(rel: str) -> str:
    """A file path as a Markdown link destination: percent-encoded (RFC 3986), ``/`` kept.

    A raw space ends the destination and a raw ``)`` closes the link, so
    ``assets/gallery_my photo.png`` was no picture; every byte outside the
    unreserved characters is written ``%XX`` (a name that is not UTF-8 keeps
    its own bytes), which viewers decode back to the file's name.
    """
    from urllib.parse import quote

    return quote(rel.encode("utf-8", "surrogateescape"), safe="/")


def _md_alt(text: str) -> str:
    """Picture caption text for Markdown: backslashes and brackets escaped, one line."""
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(str(text).split()))


def _asset_key(name: str) -> str:
    """``name`` as a case-insensitive file system compares it (APFS, NTFS): Unicode NFC, case folded."""
    from saliency.base.names import nfc

    return nfc(name).casefold()


def _asset_stem(prefix: str, name: str, suffix: str, used: set[str]) -> str:
    """:func:`_unique_stem` of ``prefix`` + ``name``, ``name`` cut by ``short_name`` (200 bytes and a hash of the
    whole) only when that file name, its ``_N`` and ``suffix`` included, would pass the file system's 255 bytes.

    A run folder or --plots file of up to 255 bytes (~85 CJK characters) is a valid name, but training_/curve_ in
    front of it could pass 255 and the report was refused; a name that fitted keeps its asset name of before (a
    report re-run renames nothing an outside link points to).
    """
    from saliency.base.fsutil import short_name

    def free(stem: str) -> str:  # the unique stem, not yet added to used
        return _unique_stem(stem, set(used))

    stem = free(f"{prefix}{name}")
    if len(f"{stem}{suffix}".encode("utf-8", "surrogateescape")) > 255:
        stem = free(f"{prefix}{short_name(name, 200)}")
    used.add(_asset_key(stem))
    return stem


def _unique_stem(stem: str, used: set[str]) -> str:
    """``stem``, else ``stem_2``, ``stem_3``, ...: the first whose :func:`_asset_key` is not in ``used`` (added).

    Exact strings told a/Run and b/run (or café in NFC and in NFD) apart, but macOS and Windows keep one file for
    both: the second picture replaced the first.
    """
    name, k = stem, 2
    while _asset_key(name) in used:
        name, k = f"{stem}_{k}", k + 1
    used.add(_asset_key(name))
    return name


def build(out_dir: str | Path, inputs: ReportInputs, warnings: list | None = None) -> tuple[Path, Path]:
    """Write ``report.md`` (+ ``assets/``) and a self-contained ``report.html`` into ``out_dir``.

    A training run still training, or stopped before its ``train.epochs``, is said so under its curves
    (:func:`run_progress`); ``warnings``, when given, gets one line for each (for stderr).

    Each file is written atomically, but the report as a whole is not: give a
    folder of its own (a staging folder; :func:`write_report` swaps it in).
    All three carry this module's mark (:data:`MD_MARK` as report.md's first
    line, :data:`HTML_MARK` in report.html's head, the file ``assets/``
    :data:`ASSETS_MARK`), by which a later report recognises them as its own.
    """
    from saliency.base.fsutil import short_name, write_bytes, write_text

    out = Path(out_dir)
    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    written: set[str] = set()  # the pictures of assets/, listed in its mark: a later report replaces only those
    write_text(assets / ASSETS_MARK, _assets_mark_text(written))
    md: list[str] = [MD_MARK, f"# {_md_line(inputs.title)}", ""]  # escaped as table cells: markup is text
    body: list[str] = [f"<h1>{html.escape(inputs.title)}</h1>"]

    def picture(path: Path, alt: str):
        if path.parent == assets:
            written.add(path.name)
        rel = path.relative_to(out).as_posix() if path.is_relative_to(out) else path.as_posix()
        md.append(f"![{_md_alt(alt)}]({_md_link(rel)})")
        md.append("")
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        body.append(f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{html.escape(alt)}</figcaption></figure>")

    def section(title: str, anchor: str):
        md.extend([f"## {title}", ""])
        body.append(f'<h2 id="{anchor}">{html.escape(title)}</h2>')

    def note(text: str, md_text: str | None = None):  # md_text: the text with a path escaped for Markdown
        md.extend([text if md_text is None else md_text, ""])
        body.append(f"<p>{html.escape(text)}</p>")

    if inputs.summary_lines:
        section("Key figures", "key-figures")
        md.extend([f"- {line}" for line in inputs.summary_lines] + [""])
        body.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in inputs.summary_lines) + "</ul>")

    section("Study and ingestion", "study")
    if inputs.dataset_json and Path(inputs.dataset_json).is_file():
        rows = [[k, v] for k, v in study_summary(inputs.dataset_json)]
        md.extend([_md_table(["", "value"], rows), ""])
        body.append(_html_table(["", "value"], rows))
    else:
        note("No ingested dataset was given (saliency report --dataset DIR).")

    section("Training", "training")
    if not inputs.runs:
        note("No training run was given.")
    used: set[str] = set()  # the asset names given, as _asset_key: a/Run and b/run are one file on macOS/Windows
    for run, label in zip(inputs.runs, eval_labels(inputs.runs)):  # a/seed0, b/seed0: told apart, as eval JSONs
        stem = _asset_stem("training_", Path(run).name, ".png", used)  # a/run, b/run: training_run, _run_2
        png, done = _training_curves(Path(run), assets / f"{stem}.png", label)
        if png is None:
            note(f"{run}: no metrics.csv, or no rows in it.", f"{_md_cell(run)}: no metrics.csv, or no rows in it.")
        else:
            picture(png, f"training curves: {label}")
        unfinished = run_progress(Path(run), done)  # after metrics.csv was read: a lock held now held then
        if unfinished is not None:
            note(unfinished[0], _md_line(unfinished[0]))
            if warnings is not None:
                warnings.append(unfinished[1])

    section("Metrics", "metrics")
    if not inputs.eval_jsons:
        note("No evaluation was given (saliency report --eval FILE).")
    for path, label in zip(inputs.eval_jsons, eval_labels(inputs.eval_jsons)):
        ev = read_eval_json(path)
        header, rows = _table_cells(ev)
        caption = f"Task: {ev['task']} (from {label})."  # a file name may hold * or _: shown as written
        scored = f" Scored by {METRIC_MAPS_NOTE}." if ev.get("metric_maps") else ""  # eval --metric-maps
        caption += scored
        md.extend([f"Task: {_md_cell(ev['task'])} (from {_md_cell(label)}).{scored}", ""])
        body.append(f"<p>{html.escape(caption)}</p>")
        md.extend([_md_table(header, rows), ""])
        body.append(_html_table(header, rows))
        counts = count_notes(ev)  # images skipped, and metrics that left images out, in eval's words
        counts += na_notes(ev)  # eval's n/a footnote
        counts += list(ev.get("notes") or [])  # eval's own notes: files left out, the IG baseline, resizing
        seeded = seed_note(ev)  # last, as under eval's table: markdown as eval prints it (its `seed` is code)
        if counts or seeded:
            md.extend([f"- {_md_line(n)}" for n in counts] + ([f"- {seeded}"] if seeded else []) + [""])
            items = [html.escape(n) for n in counts]
            items += [html.escape(seeded).replace("`seed`", "<code>seed</code>")] if seeded else []
            body.append("<ul>" + "".join(f"<li>{n}</li>" for n in items) + "</ul>")

    section("Curves", "curves")
    if not inputs.curve_pngs and inputs.plots is not None:
        note(f"{inputs.plots}: held no PNG curves (saliency eval --plot-dir writes them).",
             f"{_md_cell(inputs.plots)}: held no PNG curves (saliency eval --plot-dir writes them).")
    elif not inputs.curve_pngs:
        note("No curves were given (saliency eval --plot-dir).")
    shown_curves = inputs.curve_pngs
    if inputs.eval_jsons and inputs.curve_pngs:
        # a --plot-dir shared by evals of other datasets keeps their curves (eval never deletes another run's
        # files): beside these tables only the curves of their datasets are shown; the others are named
        from saliency.eval.plots import curve_files, is_curve_file

        named = {r.get("dataset") for e in inputs.eval_jsons for r in read_eval_json(e).get("results", [])}
        mine = {p.name for p in curve_files([d for d in named if isinstance(d, str)], Path("."))}
        other = [p for p in inputs.curve_pngs if p.name not in mine and is_curve_file(p)]
        if other:
            shown_curves = [p for p in inputs.curve_pngs if p not in other]
            names = ", ".join(p.name for p in other[:4]) + (", ..." if len(other) > 4 else "")
            text = (f"{len(other)} curve(s) in {inputs.plots} of datasets that no --eval file holds, left out: "
                    f"{names}.")
            note(text, _md_line(text))
    for png in shown_curves:
        dst = assets / (_asset_stem("curve_", Path(png).stem, Path(png).suffix, used) + Path(png).suffix)
        if Path(png).resolve() != dst.resolve():
            write_bytes(dst, Path(png).read_bytes())  # atomically; a link at dst is refused, never written through
        picture(dst, Path(png).stem.replace("_", " "))

    if inputs.nss or inputs.nss_notes:
        section("Per-image NSS", "per-image-nss")
    if inputs.nss:
        rows, png = nss_spread(inputs.nss, assets / "nss_per_image.png")
        note("NSS of the --pred prediction on each image with fixations (the metric's spread over images; "
             "tables report its mean).")
        md.extend([_md_table(["", "NSS"], [list(r) for r in rows]), ""])
        body.append(_html_table(["", "NSS"], [list(r) for r in rows]))
        picture(png, "NSS per image")
    elif inputs.nss_notes:
        note("No image has both a prediction and a fixation map that saliency eval reads.")
    if inputs.nss_notes:  # the fixation files not read, in eval's words: never left out unsaid
        md.extend([f"- {_md_line(n)}" for n in inputs.nss_notes] + [""])
        body.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in inputs.nss_notes) + "</ul>")

    section("Gallery", "gallery")  # of the images given: whether they were held out, the report cannot know
    if not inputs.gallery and inputs.gallery_left_out:
        note("Gallery left out (saliency report --gallery 0).")
    elif not inputs.gallery:
        note("No gallery was given.")
    else:
        fifth = " | predicted fixation density" if any(g.pred_density for g in inputs.gallery) else ""
        rows = ("Each row: image | ground truth | prediction | human fixations (dots) over their heat map"
                + fifth + ".")
        g = inputs.gallery
        absent = [what for what, has in (("ground truth (--gt)", any(i.gt for i in g)),
                                         ("prediction (--pred)", any(i.pred for i in g)),
                                         ("fixations (--dataset)", any(i.fix_map or i.fix_points for i in g)))
                  if not has]
        if absent:  # their panels are grey placeholders: say so rather than describe content that is not there
            rows += f" No {', no '.join(absent)} was given: those panels are grey."
        if inputs.gallery_from is None:
            note(rows)
        else:
            n = len(inputs.gallery)
            which = ("The first image" if n == 1 else f"The first {n} images") + " of {}" + (
                " with a prediction" if inputs.gallery_by_pred else "") + ", by name. "
            folder = str(inputs.gallery_from)
            note(which.format(folder) + rows, which.format(_md_cell(folder)) + rows)
        for item in inputs.gallery:
            caption = item.name + (f" (NSS {inputs.nss[item.name]:.2f})" if item.name in inputs.nss else "")
            asset = f"gallery_{item.name}.png"
            if len(asset.encode("utf-8", "surrogateescape")) > 240:  # a long stimulus name: the file system's 255
                asset = f"gallery_{short_name(item.name, 200)}.png"
            asset = _unique_stem(asset[:-len(".png")], used) + ".png"  # images A.png and a.png: two files
            picture(_save_png(assets / asset, gallery_row(item)), caption)

    write_text(assets / ASSETS_MARK, _assets_mark_text(written))
    # UTF-8; a file name that is not UTF-8 keeps its own bytes (surrogateescape)
    write_bytes(out / "report.md", ("\n".join(md) + "\n").encode("utf-8", "surrogateescape"))
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
             "text-align:right}th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}"
             "img{max-width:100%}figure{margin:1em 0}figcaption{color:#666;font-size:0.9em}")
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">{HTML_MARK}"
            f"<title>{html.escape(inputs.title)}</title><style>{style}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")
    write_bytes(out / "report.html", page.encode("utf-8", "surrogateescape"))
    return out / "report.md", out / "report.html"


def own_report_entry(path: Path) -> bool:
    """Whether ``path`` (an output folder's report.md, report.html or assets/) carries this module's mark.

    report.md: its first line is :data:`MD_MARK`; report.html: :data:`HTML_MARK`
    in its first kilobyte; assets/: a folder holding the regular file
    :data:`ASSETS_MARK`. A link is never one's own; nothing is followed or changed.
    """
    import os
    import stat

    path = Path(path)
    try:
        if path.is_symlink():
            return False
        if path.name == "assets":
            mark = path / ASSETS_MARK
            if path.is_dir() and not os.path.lexists(mark):
                return _legacy_assets(path)
            return path.is_dir() and stat.S_ISREG(os.lstat(mark).st_mode)
        if not path.is_file():
            return False
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError:
        return False
    if path.name == "report.md":
        return head.split(b"\n", 1)[0].rstrip(b"\r") == MD_MARK.encode() or (
            head.startswith(b"# ") and _legacy_html(path.parent / "report.html"))
    return HTML_MARK.encode() in head or _legacy_html(path)


#: how report.html began, and a rule of its style sheet, before reports were marked (saliency 0.1.0 up to
#: commit 8869e38): such a report, and the report.md and assets/ beside it, are recognised as this module's
_LEGACY_HEAD = b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
_LEGACY_STYLE = b"td:first-child,td:nth-child(2){text-align:left}img{max-width:100%}figure{margin:1em 0}"


def _legacy_html(path: Path) -> bool:
    """Whether ``path`` is a report.html written before the marks (its exact head and style sheet)."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with open(path, "rb") as f:
            head = f.read(16384)
    except OSError:
        return False
    return head.startswith(_LEGACY_HEAD) and _LEGACY_STYLE in head


def _legacy_assets(path: Path) -> bool:
    """An unmarked assets/ beside an old report.html holding only its pictures (PNG files, no folders)."""
    try:
        return _legacy_html(path.parent / "report.html") and all(
            p.is_file() and not p.is_symlink() and p.suffix.lower() == ".png" for p in path.iterdir())
    except OSError:
        return False


def check_report_out(out: str | Path, overwrite: bool = False) -> Path:
    """Refuse an output folder whose report.md, report.html or assets/ :func:`write_report` may not replace.

    Refused whatever ``overwrite`` says: ``out`` (or an entry, or anything
    inside ``out/assets``) being a symbolic link, ``out`` not being a folder,
    report.md or report.html not being a regular file. Refused without
    ``overwrite``: an entry that exists and is not this command's own earlier
    output (:func:`own_report_entry`: a user's notes, a report of an older
    version), and a file put into its own ``assets/`` that it did not write
    (:func:`foreign_assets`; the folder is replaced whole). Nothing is
    touched; returns ``out`` as a Path.
    """
    import os

    from saliency.base.fsutil import check_not_link, file_on_path, first_link

    out = check_not_link(Path(out))
    if out.exists() and not out.is_dir():
        raise UserError(f"`out` {out}: exists and is not a folder; choose another `out`")
    part = file_on_path(out)
    if part is not None:
        raise UserError(f"`out` {out}: {part} is a file, not a folder; choose another `out`")
    for name in REPORT_ENTRIES:
        path = out / name
        if path.is_symlink():
            raise UserError(f"`out` {path}: is a symbolic link (to {os.readlink(path)}); the report never replaces "
                            "or writes through a link: remove the link or choose another `out`")
        if name == "assets":
            link = first_link(path) if path.is_dir() else None
            if link is not None:  # pictures are replaced, never written through
                raise UserError(f"`out` {out}: {link} is a symbolic link (to {os.readlink(link)}); the report "
                                "replaces its pictures and never writes through a link: remove the link or choose "
                                "another `out`")
            if path.exists() and not (path.is_dir() or path.is_file()):
                raise UserError(f"`out` {path}: is not a folder (a device, pipe or socket); remove it or choose "
                                "another `out`")
        elif path.exists() and not path.is_file():
            raise UserError(f"`out` {path}: is not a regular file (a folder, device, pipe or socket); remove it or "
                            "choose another `out`")
    if not overwrite:
        for name in REPORT_ENTRIES:
            path = out / name
            if path.exists() and not own_report_entry(path):
                raise UserError(f"`out` {path}: exists and was not written by saliency report; pass `overwrite` to "
                                "replace it or choose another `out`")
            if name == "assets" and path.is_dir() and (path / ASSETS_MARK).is_file():
                foreign = foreign_assets(path)  # a user's file in the report's own folder: replaced whole, lost
                if foreign:
                    n = len(foreign) - 1
                    more = f" (and {n} more {'entry' if n == 1 else 'entries'})" if n else ""
                    raise UserError(f"`out` {path / foreign[0]}{more}: not written by saliency report, which replaces "
                                    f"{path} whole; move it out of that folder (or pass `overwrite` to delete it "
                                    "with the old pictures)")
    return out


def _shared_assets(stage: Path, out: Path) -> None:
    """Make ``stage``'s assets/ with the mode and group of ``out``'s assets/ folder, if it has one, before the pictures
    are written into it: in a set-group-ID folder of a group they take its group, as in the old one (review RR6;
    owner-writable while built, the exact bits given at the swap)."""
    import os
    import stat

    from saliency.base.fsutil import take_mode

    try:
        was = os.lstat(out / "assets")
    except FileNotFoundError:
        return
    if stat.S_ISDIR(was.st_mode):
        (stage / "assets").mkdir()
        take_mode(stage / "assets", was, 0o777, folder=True, writable=True)


def _swap_in(stage: Path, out: Path, overwrite: bool) -> None:
    """Replace ``out``'s report entries by the complete ones built in ``stage`` (call with the signals held).

    The old entries are moved into ``stage/.old`` (deleted with the stage) and
    the new ones moved in, every step a rename on one file system; a failed
    step moves back what was moved, so ``out`` keeps the old report whole.
    Nothing else in ``out`` is moved or deleted. A replaced entry's mode and
    group are given to the new one of the same kind, as :mod:`saliency.base.fsutil` does.
    """
    import os
    import stat

    from saliency.base.fsutil import take_mode

    check_report_out(out, overwrite)  # again: something may have appeared while the report was built
    old = stage / ".old"
    old.mkdir()
    aside: list[str] = []
    placed: list[str] = []
    current = None  # the entry being moved: a failed move names it in the output, never the hidden stage
    try:
        for current in (n for n in REPORT_ENTRIES if (out / n).exists()):
            os.replace(out / current, old / current)
            aside.append(current)
        for current in (n for n in REPORT_ENTRIES if (stage / n).exists()):
            folder = (stage / current).is_dir()
            was = os.lstat(old / current) if current in aside else None
            if was is not None and stat.S_ISDIR(was.st_mode) == folder:  # a private or shared report stays so: the
                # old entry's mode and group (RR2); a file `assets` gives a folder no bits (its x bits are unset)
                take_mode(stage / current, was, 0o777 if folder else 0o666, folder=folder)
            os.replace(stage / current, out / current)
            placed.append(current)
    except BaseException as exc:
        for name in reversed(placed):
            os.replace(out / name, stage / name)
        for name in reversed(aside):
            os.replace(old / name, out / name)
        if isinstance(exc, OSError) and exc.errno is not None and current is not None:
            raise OSError(exc.errno, exc.strerror, str(out / current)) from exc
        raise


def _check_entries_hold_no_input(out: Path, inputs: dict) -> None:
    """Refuse inputs (``{param: path or paths}``) that are or lie inside ``out``'s report entries, replaced whole."""
    import os

    for name in REPORT_ENTRIES:
        entry = Path(os.path.realpath(out / name))
        for label, value in inputs.items():
            for path in (value if isinstance(value, (list, tuple)) else [value]):
                if path is None or str(path) == "":
                    continue
                real = Path(os.path.realpath(path))
                if real == entry or entry in real.parents:
                    label = f"`{label}`" if label.isidentifier() else label
                    raise UserError(f"`out` {out}: the report replaces {out / name}, which is or holds the input "
                                    f"{label} {path}; write the report to a folder apart from the inputs")


def write_report(out: str | Path, inputs: ReportInputs, overwrite: bool = False,
                 warnings: list | None = None) -> tuple[Path, Path]:
    """:func:`build` the report in a hidden staging folder inside ``out`` and swap it in complete.

    ``out``'s report.md, report.html and assets/ are replaced only if they are
    this command's own earlier output, or with ``overwrite``
    (:func:`check_report_out`, before any work); nothing else in ``out`` (a run
    folder's checkpoints) is moved or deleted. On an error, Ctrl-C or SIGTERM
    at any moment ``out`` holds the whole old report (or none, if it had none),
    the staging folder is removed, and so is an ``out`` this call created.
    Returns the paths of report.md and report.html; ``warnings`` gets :func:`build`'s.
    """
    import shutil
    import tempfile

    from saliency.base.fsutil import (make_folders, remove_empty_folders, signals_held, terminate_raises,
                                      unstaged_name)

    out = check_report_out(out, overwrite)
    created: list[Path] = []  # exactly the folders this call makes (never one that was there): removed on failure
    done = False
    with terminate_raises():
        stage = None
        try:
            with signals_held():  # a signal taking effect now finds `stage` set: the finally removes it
                make_folders(out, created, "out")
                # private (mkdtemp); only what it holds is moved into place: assets/ made by mkdir, files by
                # atomic_path, each with the usual permissions
                try:
                    # the folder as the OS resolves it: mkdtemp (3.12 on) takes `lnk/..` as text
                    stage = Path(tempfile.mkdtemp(prefix=".report.", suffix=".partial", dir=os.path.realpath(out)))
                except OSError as exc:  # a read-only or full folder: name the output, not the hidden stage
                    raise OSError(exc.errno, exc.strerror, str(out)) from exc
            try:
                _shared_assets(stage, out)
                build(stage, inputs, warnings)
            except OSError as exc:  # a failed write (a full disk) names the staging folder: name the output
                shown = unstaged_name(exc.filename, stage, out)
                if shown is None:
                    raise
                raise OSError(exc.errno, exc.strerror, shown) from exc
            with signals_held():
                _swap_in(stage, out, overwrite)
            done = True
        finally:
            with signals_held():
                if stage is not None and stage.exists():
                    shutil.rmtree(stage, ignore_errors=True)  # the partial report, or the old one set aside
                if not done:
                    remove_empty_folders(created)  # only folders this call made, and only while empty
    return out / "report.md", out / "report.html"


def _check_run_folder(run: Path) -> None:
    """Refuse a folder that holds nothing ``saliency train`` writes (:data:`saliency.base.runlock.RUN_FILES`, its
    checkpoints/): a stimulus or ingest folder given as RUN was reported as a run with "no metrics.csv", rc 0.
    A run just started (its lock, config.yaml, no metrics yet) is a run: the report says how far it got; so is a
    folder with nothing in it (hidden files aside), still named in the report's note as holding no metrics.csv.
    ``--dataset`` is suggested only for a folder it reads (its dataset.json): a study's or a SOD set's stimuli/
    alone is refused there too, so it gets the line naming what the report takes."""
    from saliency.base.runlock import CKPT_DIR, RUN_FILES

    if any((run / m).is_file() for m in RUN_FILES) or (run / CKPT_DIR).is_dir():
        return
    try:
        if all(p.name.startswith(".") for p in run.iterdir()):  # empty: nothing in it is mistaken for a run
            return
    except OSError:  # unreadable: its reading says so
        return
    head = f"{run}: not a saliency train run folder (no config.yaml, metrics.csv or {CKPT_DIR}/); "
    if (run / "dataset.json").is_file():
        raise UserError(head + f"did you mean `dataset` {run}?")
    raise UserError(head + "give a folder that saliency train --out wrote (the report also takes `eval` JSON of "
                    "saliency eval --json and `dataset` DIR of saliency ingest)")


def report_from_folders(out: str | Path | None = None, runs=(), eval_jsons=(), plots=None, dataset=None,
                        images=None, pred=None, gt=None, gallery: int | None = None,
                        title: str = "Saliency report", overwrite: bool = False) -> tuple[Path, Path]:
    """Check the inputs a user names by path, gather them into :class:`ReportInputs` and write the report.

    ``runs``: ``saliency train`` run folders; ``eval_jsons``: ``saliency eval
    --json`` files; ``plots``: a ``--plot-dir`` folder (its PNGs); ``dataset``:
    a ``saliency ingest`` folder (its dataset.json, and its maps and fixations
    in the gallery; with ``pred``, the per-image NSS of :func:`per_image_nss`
    over all its images); ``images``/``pred``/``gt``: the gallery's folders
    (:func:`gallery_items`, ``gallery`` rows, 8 when None; refused without
    ``images``; ``gallery=0`` leaves the gallery out, said in its section: it needs
    no ``images`` and refuses ``images``, ``gt``, and ``pred`` without ``dataset``,
    as unused; ``pred`` with ``dataset`` is read for the per-image NSS). ``out`` defaults to the first
    run, else the current folder. Returns the paths of report.md and report.html.

    The report is built in a staging folder and swapped in complete
    (:func:`write_report`); an existing report.md, report.html or assets/
    that this command did not write is refused unless ``overwrite``
    (:func:`check_report_out`), before any work. A run still training (a live
    ``saliency train`` holds its lock) or stopped before its ``train.epochs``
    is said so in the report and in one ``saliency report: warning:`` line
    on stderr each (:func:`run_progress`).

    Never written or embedded (issue 16): an ``out`` (or ``out/assets``, or a
    file inside it) that is a symbolic link, an ``out`` that is or lies inside an input folder,
    an input inside the report's entries (they are replaced whole),
    and a plot that is a link to a file outside ``plots``.
    """
    import os

    from saliency.base.fsutil import check_apart
    runs = [Path(r) for r in runs]
    for r in runs:
        if not r.is_dir():
            raise UserError(f"{r}: run folder not found")
        _check_run_folder(r)
    evals = [Path(e) for e in eval_jsons]
    for e in evals:
        if e.is_dir():
            raise UserError(f"`eval_jsons` {e}: is a folder; give the JSON file saliency eval --json wrote")
        if not e.is_file():
            raise UserError(f"`eval_jsons` {e}: file not found")
    curves = []
    if plots:
        if not Path(plots).is_dir():
            raise UserError(f"`plots` {plots}: folder not found")
        curves = sorted(p for p in Path(plots).iterdir() if p.suffix.lower() == ".png")  # a.PNG too
        home = Path(os.path.realpath(plots))
        for png in curves:
            if png.is_symlink() and home not in Path(os.path.realpath(png)).parents:
                raise UserError(f"`plots` {png}: a link to {os.readlink(png)}, outside {plots}; a report embeds only "
                                "files inside the folders it is given: copy the plot into the folder")
    dataset_json = None
    if dataset:
        dataset_json = Path(dataset) / "dataset.json"
        if not dataset_json.is_file():
            raise UserError(f"`dataset` {dataset}: no dataset.json (is it a `saliency ingest` folder?)")
    # --gallery 0 leaves the gallery out, first: it needs no images, and its images, masks and a prediction no
    # per-image NSS reads (no dataset) would be unused; a prediction with a dataset is read for the NSS
    unused = [f"`{param}` {value}" for param, value in (("images", images), ("gt", gt), ("pred", pred))
              if gallery == 0 and value and not (param == "pred" and dataset)]
    if unused:
        it = "it" if len(unused) == 1 else "them"
        raise UserError(f"{', '.join(unused)}: not used with `gallery` 0 (no gallery rows"
                        + (", and no `dataset` for the per-image NSS" if pred and not dataset else "")
                        + f"); leave {it} out, or give `gallery` a number of rows")
    for param, value in (("gt", gt), ("pred", pred)):  # never an option accepted and left unused unsaid
        if value and not images and not (param == "pred" and dataset):
            raise UserError(f"`{param}` {value}: the gallery also needs `images` (the pictures its maps belong "
                            "to); give it" + (", or `dataset` for the per-image NSS" if param == "pred" else ""))
    if gallery and not images:  # None: no gallery asked for; 0: left out (above)
        raise UserError(f"`gallery` {gallery}: the number of gallery rows needs `images` (the pictures of the "
                        "gallery); give it, or leave `gallery` out")
    # the output, before any work: no link, apart from the inputs, and nothing replaced that is not ours
    out = check_report_out(Path(out) if out else (runs[0] if runs else Path(".")), overwrite)
    inputs = {"plots": plots, "dataset": dataset, "images": images, "pred": pred, "gt": gt, "eval_jsons": evals}
    check_apart(out, inputs, contains=False)
    _check_entries_hold_no_input(out, {**inputs, "run folder": runs})
    for e in evals:
        read_eval_json(e)  # a wrong shape is refused before anything is written
    if dataset_json is not None:
        study_summary(dataset_json)
    rows = gallery_items(images, pred, gt, dataset, 8 if gallery is None else gallery) if images and gallery != 0 \
        else []  # --gallery 0: no rows, and no match of the gallery's folders to check
    nss_notes: list[str] = []
    nss = per_image_nss(pred, dataset, nss_notes) if (pred and dataset) else {}
    from saliency.base.images import check_image_size

    for item in rows:  # an image declaring too many pixels is refused before anything is decoded or written
        for p in (item.image, item.gt, item.pred, item.fix_map, item.fix_points, item.pred_density):
            if p is not None and Path(p).suffix.lower() != ".npy":
                check_image_size(p)
    warnings: list[str] = []
    written = write_report(out, ReportInputs(title=title, dataset_json=dataset_json, runs=runs, eval_jsons=evals,
                                             curve_pngs=curves, plots=Path(plots) if plots else None,
                                             gallery=rows, gallery_from=Path(images) if images else None,
                                             gallery_by_pred=bool(pred), gallery_left_out=gallery == 0, nss=nss,
                                             nss_notes=nss_notes), overwrite, warnings)
    for line in warnings:  # a run still training or stopped early: said in the report and here
        print(f"saliency report: warning: {line}", file=sys.stderr)
    return written

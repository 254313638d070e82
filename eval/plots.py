"""Precision-recall and F-measure-vs-threshold curves per dataset (as PySODEvalToolkit draws them).

One figure per dataset and curve kind, one line per method, written as PNG
and PDF with matplotlib's Agg backend (imported here, inside the function, so
``import eval`` stays light).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from saliency.base.fsutil import atomic_path


def curve_stem(name: str) -> str:
    """The file-name stem of a dataset's curves: ``name`` with runs of characters outside ``[A-Za-z0-9._-]`` as ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "dataset"


def _curve_file(out_dir, dataset: str, kind: str, ext: str) -> Path:
    return Path(out_dir) / f"{curve_stem(dataset)}_{kind}.{ext}"


def curve_files(datasets, out_dir: str | Path) -> list[Path]:
    """The files :func:`plot_curves` writes under ``out_dir`` for ``datasets`` (names of datasets with PR curves)."""
    return [_curve_file(out_dir, ds, kind, ext) for ds in dict.fromkeys(datasets) for kind in ("pr", "fm")
            for ext in ("png", "pdf")]


def is_curve_file(path: Path) -> bool:
    """Whether ``path`` looks like a curve this module wrote: a PNG or PDF by its first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    return head.startswith(b"\x89PNG\r\n\x1a\n") if path.suffix == ".png" else head.startswith(b"%PDF-")


def plot_curves(results, out_dir: str | Path, path=None) -> list[Path]:
    """Write ``<dataset>_pr.{png,pdf}`` and ``<dataset>_fm.{png,pdf}`` under ``out_dir``; return the paths.

    ``path(target)``: where to write each file (e.g. the temporary files of
    :func:`saliency.base.fsutil.atomic_files`); default: each written atomically.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    if path is None:
        out_dir.mkdir(parents=True, exist_ok=True)
    by = {}
    for r in results:
        if r.curves and "precision" in r.curves:
            by.setdefault(r.dataset, []).append(r)
    written = []
    thr = np.arange(255, -1, -1)  # curve index i is the threshold ">= 255 - i"
    for ds, rs in by.items():
        for kind in ("pr", "fm"):
            fig, ax = plt.subplots(figsize=(5, 4), dpi=120)
            for r in rs:
                c = r.curves
                if kind == "pr":
                    ax.plot(c["recall"], c["precision"], label=r.method, lw=1.5)
                else:
                    ax.plot(thr, c["F"], label=r.method, lw=1.5)
            if kind == "pr":
                ax.set(xlabel="Recall", ylabel="Precision", xlim=(0, 1), ylim=(0, 1.02),
                       title=f"{ds}: precision-recall")
            else:
                ax.set(xlabel="Threshold", ylabel="F-measure", xlim=(0, 255), ylim=(0, 1.02),
                       title=f"{ds}: F-measure vs threshold")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="lower left" if kind == "pr" else "lower center")
            fig.tight_layout()
            for ext in ("png", "pdf"):
                target = _curve_file(out_dir, ds, kind, ext)
                if path is not None:
                    fig.savefig(path(target), format=ext)
                else:
                    with atomic_path(target) as tmp:
                        fig.savefig(tmp, format=ext)
                written.append(target)
            plt.close(fig)
    return written

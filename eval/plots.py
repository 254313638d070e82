"""Precision-recall and F-measure-vs-threshold curves per dataset (as PySODEvalToolkit draws them).

One figure per dataset and curve kind, one line per method, written as PNG
and PDF with matplotlib's Agg backend (imported here, inside the function, so
``import eval`` stays light). Method and dataset names are drawn as written
(never as mathtext), each method with its own colour and line style, and
every file carries the marker :data:`MARKER` (PNG ``Software``, PDF
``Creator``) by which a later run knows it may replace it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError
from saliency.base.fsutil import atomic_path, short_name

#: what every curve file carries (PNG text chunk ``Software``, PDF ``Creator``): the mark of saliency eval's own
MARKER = "saliency eval curve"

#: line styles taken in turn after the colours of the colour cycle (10 colours x 4 styles: 40 distinct lines)
LINE_STYLES = ("-", "--", "-.", ":")


class CurveDrawError(UserError):
    """The curves could not be drawn; raised before any curve file is written (the tables are still written)."""


def curve_stem(name: str) -> str:
    """The file-name stem of a dataset's curves: ``name`` with runs of characters outside ``[A-Za-z0-9._-]``
    as ``_``, cut to 200 bytes with a hash of the whole when longer (:func:`short_name`, as the report's gallery):
    a file name allows 255 bytes, and a longer one failed only when the curves were written, after the scoring."""
    return short_name(re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "dataset", 200)


def _curve_file(out_dir, dataset: str, kind: str, ext: str) -> Path:
    return Path(out_dir) / f"{curve_stem(dataset)}_{kind}.{ext}"


def curve_files(datasets, out_dir: str | Path) -> list[Path]:
    """The files :func:`plot_curves` writes under ``out_dir`` for ``datasets`` (names of datasets with PR curves)."""
    return [_curve_file(out_dir, ds, kind, ext) for ds in dict.fromkeys(datasets) for kind in ("pr", "fm")
            for ext in ("png", "pdf")]


def plain_text(name) -> str:
    """``name`` as matplotlib text shown as written: each ``$`` escaped, so no part of it is read as mathtext."""
    return str(name).replace("$", r"\$")


def _png_marked(fh) -> bool:
    """Whether the PNG open in ``fh`` (after its signature) has a ``Software`` text chunk that is :data:`MARKER`."""
    while True:
        head = fh.read(8)
        if len(head) < 8:
            return False
        size, kind = int.from_bytes(head[:4], "big"), head[4:]
        if kind in (b"IDAT", b"IEND"):  # matplotlib writes its text chunks before the image data
            return False
        if kind == b"tEXt" and size < 1 << 16:
            key, _, value = fh.read(size).partition(b"\0")
            if key == b"Software" and value == MARKER.encode():
                return True
            fh.seek(4, 1)
        else:
            fh.seek(size + 4, 1)


def is_curve_file(path: Path) -> bool:
    """Whether ``path`` is a curve this module wrote: a PNG or PDF that carries :data:`MARKER`.

    A PNG or PDF without it (a user's own figure, or another program's) is not ours.
    """
    with open(path, "rb") as fh:
        head = fh.read(8)
        if path.suffix == ".png":
            return head == b"\x89PNG\r\n\x1a\n" and _png_marked(fh)
        if not head.startswith(b"%PDF-") or path.stat().st_size > 64 << 20:
            return False
        return b"/Creator (" + MARKER.encode() + b")" in head + fh.read()


def plot_curves(results, out_dir: str | Path, path=None) -> list[Path]:
    """Write ``<dataset>_pr.{png,pdf}`` and ``<dataset>_fm.{png,pdf}`` under ``out_dir``; return the paths.

    ``path(target)``: where to write each file (e.g. the temporary files of
    :func:`saliency.base.fsutil.atomic_files`); default: each written atomically.
    Every figure is drawn before the first file is written: a figure that
    cannot be drawn raises :class:`CurveDrawError` with nothing written.
    """
    out_dir = Path(out_dir)
    images = draw_curves(results, out_dir)
    if path is None and images:
        out_dir.mkdir(parents=True, exist_ok=True)
    for target, data in images:
        if path is not None:
            path(target).write_bytes(data)
        else:
            with atomic_path(target) as tmp:
                tmp.write_bytes(data)
    return [target for target, _ in images]


def draw_curves(results, out_dir: str | Path) -> list[tuple[Path, bytes]]:
    """The curve files of :func:`plot_curves` drawn in memory: (target under ``out_dir``, its bytes) pairs.

    One line per method in its own (colour, line style) (:data:`LINE_STYLES`
    after the colour cycle), names drawn as written (:func:`plain_text`) and
    listed in the legend even when they start with ``_``. A failure to draw
    raises :class:`CurveDrawError` naming the dataset.
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by = {}
    for r in results:
        if r.curves and "precision" in r.curves:
            by.setdefault(r.dataset, []).append(r)
    colours = plt.rcParams["axes.prop_cycle"].by_key().get("color") or ["C0"]
    images = []
    thr = np.arange(255, -1, -1)  # curve index i is the threshold ">= 255 - i"
    # no creation date in the PDF: the same results give byte-identical files (a rerun after Ctrl-C included)
    meta = {"png": {"Software": MARKER}, "pdf": {"Creator": MARKER, "CreationDate": None}}
    for ds, rs in by.items():
        for kind in ("pr", "fm"):
            fig, ax = plt.subplots(figsize=(5, 4), dpi=120)
            try:
                lines = []
                for i, r in enumerate(rs):
                    c = r.curves
                    style = dict(color=colours[i % len(colours)],
                                 linestyle=LINE_STYLES[(i // len(colours)) % len(LINE_STYLES)], lw=1.5)
                    x, y = (c["recall"], c["precision"]) if kind == "pr" else (thr, c["F"])
                    lines += ax.plot(x, y, label=plain_text(r.method), **style)
                if kind == "pr":
                    ax.set(xlabel="Recall", ylabel="Precision", xlim=(0, 1), ylim=(0, 1.02),
                           title=f"{plain_text(ds)}: precision-recall")
                else:
                    ax.set(xlabel="Threshold", ylabel="F-measure", xlim=(0, 255), ylim=(0, 1.02),
                           title=f"{plain_text(ds)}: F-measure vs threshold")
                ax.grid(alpha=0.3)
                # handles and labels given: a label starting with "_" is listed, not dropped as "no legend"
                ax.legend(lines, [plain_text(r.method) for r in rs], fontsize=8, ncol=(len(rs) + 9) // 10,
                          loc="lower left" if kind == "pr" else "lower center")  # at most 10 rows: it fits
                fig.tight_layout()
                for ext in ("png", "pdf"):
                    buf = io.BytesIO()
                    fig.savefig(buf, format=ext, metadata=meta[ext])
                    images.append((_curve_file(out_dir, ds, kind, ext), buf.getvalue()))
            except Exception as exc:  # noqa: BLE001 - a drawing failure must not cost the tables
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise CurveDrawError(f"`plot_dir` {out_dir}: the {kind} curves of {ds} could not be drawn "
                                     f"({type(exc).__name__}: {first}); report it") from exc
            finally:
                plt.close(fig)
    return images

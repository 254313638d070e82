"""Benchmark tables: GitHub markdown (best in bold), LaTeX (top three marked), CSV and JSON.

Layout as in PySODEvalToolkit: one table per dataset, methods as rows,
metrics as columns. Directions come from the metric table
(:func:`saliency.eval.metrics.lower_is_better`: lower is better for MAE and
KLD, higher for the rest).
Ranks are taken on the values as printed (rounded), so equal-looking entries
share a mark. An undefined value prints as ``n/a``, never NaN, with a footnote
saying why (a note under the markdown table, a last row under the LaTeX one).
"""

from __future__ import annotations

import csv
import io
import math
import re

from saliency.eval.metrics import GOLD_STANDARD, lower_is_better


def cell_text(v, digits: int) -> str:
    """A table cell: ``v`` to ``digits`` places; ``n/a`` for an undefined value (None or NaN), never NaN."""
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def mean_sd_text(mean, sd, digits: int = 3) -> str:
    """A ``mean ± sd`` cell (a mean over seeds, runs or subjects, with its spread): the mean as :func:`cell_text`
    shows it (``n/a`` when undefined, never ``-`` nor NaN), ``± sd`` to ``digits`` places appended only when both
    are defined (``sd`` finite; None for one sample): ``0.500 ± 0.010``, ``0.500``, ``n/a``."""
    text = cell_text(mean, digits)
    if text == "n/a" or sd is None or not math.isfinite(sd):
        return text
    return f"{text} ± {sd:.{digits}f}"


def ranks(results, key: str, digits: int) -> dict[str, int]:
    """Rank (0 = best) of each method's rounded value of ``key``; undefined values are unranked.

    Competition ranking ("1224"): a method's rank is the number of methods
    strictly better, so tied methods share a mark and the next one down is
    not promoted (0.042, 0.042, 0.043, 0.200 rank 0, 0, 2, 3: the 0.200 of
    four methods is not "third").

    The gold-standard row (human consistency, a ceiling) is shown for
    reference and never ranked, as the MIT benchmark lists its human rows.
    Bold is the best of several: a column where fewer than two methods have a
    defined value (one method, or every other one n/a) is not ranked at all.
    """
    vals, n_defined = {}, 0
    for r in results:
        if r.method == GOLD_STANDARD:
            continue
        v = r.metrics.get(key)
        if v is not None and not math.isnan(v):
            vals[r.method] = round(v, digits)
            n_defined += 1
    if n_defined < 2:  # a lone value, or a lone method, has no rival: not "best"
        return {}
    low = lower_is_better(key)
    return {m: sum((w < v) if low else (w > v) for w in vals.values()) for m, v in vals.items()}


_LATEX_SPECIAL = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
                  "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}",
                  "|": "\\textbar{}", "<": "\\textless{}", ">": "\\textgreater{}"}


def latex_escape(text) -> str:
    """``text`` with LaTeX's ten special characters escaped (a method or dataset name set as text), and ``|``,
    ``<``, ``>``, which the default OT1 font encoding prints as other glyphs (an em-dash, ``¡``, ``¿``)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def _group(results):
    by = {}
    for r in results:
        by.setdefault(r.dataset, []).append(r)
    return by


#: what :func:`markdown_cell` escapes: the backslash, the cell separator ``|``, and what would turn text into
#: emphasis, code, strikethrough, a link or HTML (``*``, the backtick, ``~``, ``[``, ``]``, ``<``); ``_`` unless it
#: lies between two letters or digits, where CommonMark never reads it as emphasis (``AUC_Judd`` stays as written);
#: ``&`` only where it opens a character reference (``&amp;``, ``&#60;``), which CommonMark would show decoded
_MD_SPECIAL = re.compile(r"[\\|*`~\[\]<]|(?<![^\W_])_|_(?![^\W_])|&(?=#?[A-Za-z0-9]+;)")


def markdown_cell(text) -> str:
    """``text`` shown as written in a GitHub-markdown table cell or list item: markup escaped, one line.

    A ``|`` no longer ends the cell, and a method named ``**x**`` is not shown
    bold (nor mistaken for the best value's mark); line breaks become spaces.
    """
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), str(text)).replace("\r", " ").replace("\n", " ")


def markdown_line(text) -> str:
    """``text`` as a markdown heading's or list item's text, shown as written: :func:`markdown_cell`'s escapes, and
    a block marker at its start (``#``, ``-``, ``+``, ``>``, ``1.``, ``1)``, after any blanks) or a closing ``#`` run
    at its end escaped, which would make a list item a heading or a nested list, or be dropped from a heading."""
    t = markdown_cell(text)
    t = re.sub(r"^([ \t]*)([#>+-])", r"\1\\\2", t)
    t = re.sub(r"^([ \t]*\d+)([.)])", r"\1\\\2", t)
    return re.sub(r"#$", r"\\#", t)


def _left_out(r) -> dict:
    """The metrics that left out at least one image, with the counts (what tables and JSON report)."""
    return {k: int(v) for k, v in r.excluded.items() if v}


FEW_OBSERVERS = "fewer than two observers with fixations"
"""The reason (after the image key) the gold standard leaves an image out: no observer has another to score against."""

NO_FIXATIONS = "no fixations"
"""The reason an image scored by a method is in none of its means (``left_out_images`` of the JSON)."""


def _shown_keys(keys) -> str:
    """The first three image keys, ``e.g.`` when there are more: ``1006`` or ``e.g. a, b, c``."""
    keys = list(keys)
    return ("e.g. " if len(keys) > 3 else "") + ", ".join(str(k) for k in keys[:3])


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, its plural (an added s) unless ``n`` is 1: ``1 image``, ``3 images``, ``0 images``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def result_note(r) -> str:
    """The counts of one result in words: images, resized, skipped, ignored files, each metric that left images out.

    ``r`` has ``n_images``, ``n_resized``, ``n_missing``, ``n_skipped`` and
    ``excluded`` ({metric: images left out}), and may have ``metrics`` (a
    fixation method's resizing is said as eval does it), ``extra`` (the
    prediction files that match no ground truth), ``left_out`` (files not
    read for their extension), ``skipped`` ((image, reason) pairs: the gold
    standard's images with fewer than two observers with fixations are said
    apart from the unreadable) and ``no_fixations`` (the keys of images
    counted but in no metric's mean, having no fixation); the notes under
    eval's markdown tables and under ``saliency report``'s metric tables.
    """
    parts = [counted(r.n_images, "image")]
    if r.n_resized:
        from saliency.eval.metrics import keys_for

        # a fixation method's .npy log-densities are resampled in probability (eval.probabilistic), not bilinearly
        how = "bilinear; a log-density .npy area-averaged where larger" if set(getattr(r, "metrics", None) or ()) & set(
            keys_for("fixation")) else "bilinear"
        parts.append(f"{counted(r.n_resized, 'prediction')} resized to the GT ({how})")
    if r.n_missing:
        parts.append(f"{r.n_missing} without a prediction skipped")
    if r.n_skipped:  # each with its reason in --json
        few = sum(1 for _, why in getattr(r, "skipped", None) or () if str(why).endswith(f": {FEW_OBSERVERS}"))
        if few:
            parts.append(f"{few} with {FEW_OBSERVERS} left out")
        if r.n_skipped - few:
            parts.append(f"{r.n_skipped - few} unreadable or refused skipped")
    no_fix = list(getattr(r, "no_fixations", None) or ())
    if no_fix:  # counted in n_images and in each metric's left-out count below, in no mean
        parts.append(f"{counted(len(no_fix), 'image')} without fixations left out of every metric "
                     f"({_shown_keys(no_fix)})")
    n_extra = len(getattr(r, "extra", None) or ())
    if n_extra:
        parts.append(f"{counted(n_extra, 'prediction file')} without a ground truth ignored")
    n_out = len(getattr(r, "left_out", None) or ())
    if n_out:
        parts.append(f"{counted(n_out, 'file')} left out for {'their' if n_out > 1 else 'its'} "
                     "extension (not a prediction format)")
    for k, v in _left_out(r).items():
        parts.append(f"{k} left out on {v} image(s)")
    return ", ".join(parts)


def _notes(rs) -> list[str]:
    return [f"{r.method}: {result_note(r)}" for r in rs]


NA_DATASET = "no image of the dataset defines this metric"
"""Why a column is n/a for every method of a dataset (the footnote under eval's and the report's tables)."""

NA_METHOD = "none of this method's scored images defines this metric"
"""Why a method's cell is n/a while another method of its dataset scores that metric."""


def na_notes(groups: dict, keys, digits: int) -> list[str]:
    """The n/a footnotes of tables ``groups`` ({dataset: results}): ``n/a: ...`` with :data:`NA_DATASET` for a
    column that is n/a in every row of its dataset, :data:`NA_METHOD` for an n/a beside a value; when both occur
    each line names its columns (``n/a in AUC (D): ...``, the dataset named when ``groups`` holds several)."""
    cols = {NA_DATASET: [], NA_METHOD: []}
    for ds, rs in groups.items():
        for k in keys:
            na = [cell_text(r.metrics.get(k), digits) == "n/a" for r in rs]
            if any(na):
                cols[NA_DATASET if all(na) else NA_METHOD].append(k if len(groups) == 1 else f"{k} ({ds})")
    used = [why for why, where in cols.items() if where]
    if len(used) == 1:
        return [f"n/a: {used[0]}"]
    return [f"n/a in {', '.join(cols[why])}: {why}" for why in used]


def markdown(results, keys, digits: int = 3) -> str:
    """One GitHub-markdown table per dataset, the best value of each column in bold."""
    out = []
    for ds, rs in _group(results).items():
        rk = {k: ranks(rs, k, digits) for k in keys}
        arrows = [k + (" ↓" if lower_is_better(k) else " ↑") for k in keys]
        out.append(f"### {markdown_line(ds)}\n")
        out.append("| Method | " + " | ".join(arrows) + " |")
        out.append("|---|" + "---:|" * len(keys))
        for r in rs:
            cells = []
            for k in keys:
                s = cell_text(r.metrics.get(k), digits)
                cells.append(f"**{s}**" if rk[k].get(r.method) == 0 else s)
            out.append(f"| {markdown_cell(r.method)} | " + " | ".join(cells) + " |")
        out.append("")
        out.extend(f"- {markdown_line(n)}" for n in _notes(rs))
        out.extend(f"- {markdown_line(line)} (see the counts above)" for line in na_notes({ds: rs}, keys, digits))
        out.append("")
    return "\n".join(out)


def latex(results, keys, digits: int = 3) -> str:
    """A LaTeX table (booktabs): first \\textbf, second \\underline, third \\textit, per dataset block."""
    lines = ["% generated by saliency eval; best: \\textbf, second: \\underline, third: \\textit",
             "\\begin{tabular}{l" + "c" * len(keys) + "}", "\\toprule"]
    esc = latex_escape
    head = " & ".join(esc(k) + ("$\\downarrow$" if lower_is_better(k) else "$\\uparrow$") for k in keys)
    lines.append(f"Method & {head} \\\\")
    marks = ["\\textbf{%s}", "\\underline{%s}", "\\textit{%s}"]
    for ds, rs in _group(results).items():
        rk = {k: ranks(rs, k, digits) for k in keys}
        lines.append("\\midrule")
        lines.append(f"\\multicolumn{{{len(keys) + 1}}}{{c}}{{{esc(ds)}}} \\\\")
        lines.append("\\midrule")
        for r in rs:
            cells = []
            for k in keys:
                s = cell_text(r.metrics.get(k), digits)
                rank = rk[k].get(r.method)
                cells.append(marks[rank] % s if rank is not None and rank < 3 else s)
            lines.append(f"{esc(r.method)} & " + " & ".join(cells) + " \\\\")
    lines.append("\\bottomrule")
    for line in na_notes(_group(results), keys, digits):  # the markdown's notes
        lines.append(f"\\multicolumn{{{len(keys) + 1}}}{{l}}{{\\footnotesize {latex_escape(line)}}} \\\\")
    lines += ["\\end{tabular}", ""]
    return "\n".join(lines)


#: the metrics that draw random negatives (uniform points for AUC-Borji, other images' fixations for sAUC)
RANDOM_NEGATIVES = ("AUC_Borji", "sAUC")


def negatives_drawn(keys, metrics) -> list[str]:
    """The metrics of ``keys`` (in their order) whose random negatives were drawn: AUC_Borji and sAUC where defined
    (a finite value) in at least one of ``metrics``, the metric dicts of the scored results in question (a run's, a
    dataset's, one row's). An undefined one drew none: sAUC of a dataset with one image with fixations (no other
    image to draw from) is n/a. The one rule of eval's seed note, its CSV ``seed`` cells and ``saliency report``."""
    metrics = [m or {} for m in metrics]
    return [k for k in keys if k in RANDOM_NEGATIVES and any(_finite(m.get(k)) for m in metrics)]


def _finite(v) -> bool:
    """Whether ``v`` is a defined score: a finite number (None, NaN and non-numbers are undefined)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def seed_note(keys, seed, metrics) -> str | None:
    """The note under a table of the metrics ``keys`` that gives the seed of the AUC-Borji/sAUC negatives: ``sAUC,
    AUC_Borji: negatives drawn with seed 5 (`seed`)``, the metrics in ``keys``' order that drew them in ``metrics``
    (the table's rows' metric dicts: :func:`negatives_drawn`); None when ``seed`` is None or none drew any (neither
    scored, or n/a everywhere). Markdown as it stands (its `seed` is code): eval's table and ``saliency report``
    (from ``--json``'s ``seed`` and results) show this one line."""
    drawn = negatives_drawn(keys, metrics)
    if seed is None or not drawn:
        return None
    return f"{', '.join(drawn)}: negatives drawn with seed {int(seed)} (`seed`)"


def csv_text(results, keys, metric_maps: bool = False, seed=None) -> str:
    """CSV with one row per (dataset, method); undefined values are empty cells.

    The column ``metric_maps`` is ``true`` when the densities were scored by their metric-specific maps
    (``saliency eval --metric-maps``), else ``false``. The last, ``seed``, is the seed of the random negatives of
    AUC-Borji and sAUC where the row's were drawn, else empty: ``seed`` an int for every row, or {dataset: seed or
    None} (a dataset of human maps only draws none); a row whose AUC_Borji and sAUC are undefined (n/a) or not
    scored drew none either, its cell empty (:func:`negatives_drawn`). ``seed`` left out (None) leaves every row's
    cell empty, which reads "none drawn": for results that drew negatives give it, or write a scored benchmark's
    CSV with :func:`saliency.eval.benchmark.csv_text`, which gives each dataset's seed as ``saliency eval --csv``
    does.
    """
    buf = io.StringIO()
    # rows end in "\n", but the writer quotes a field by the characters of its line terminator: with "\r\n"
    # a name holding a lone "\r" is quoted too (with "\n" it went out bare and a reader split the row there);
    # each row's "\r\n" is then written as "\n", so a file without "\r" in a name is byte for byte as before
    w = csv.writer(buf, lineterminator="\r\n")
    rows = [["dataset", "method", "n_images", *keys, "n_resized", "n_missing", "n_skipped", "metric_maps", "seed"]]
    for r in results:
        vals = [("" if (v := r.metrics.get(k)) is None or math.isnan(v) else repr(float(v))) for k in keys]
        drawn = seed.get(r.dataset) if isinstance(seed, dict) else seed
        drawn = drawn if negatives_drawn(keys, [r.metrics]) else None  # n/a (or not scored) here: none drawn
        rows.append([r.dataset, r.method, r.n_images, *vals, r.n_resized, r.n_missing, r.n_skipped,
                     "true" if metric_maps else "false", "" if drawn is None else int(drawn)])
    lines = []
    for row in rows:
        buf.seek(0)
        buf.truncate()
        w.writerow(row)
        lines.append(buf.getvalue().removesuffix("\r\n") + "\n")
    return "".join(lines)


def json_obj(task: str, version: str, results, metric_maps: bool = False, notes=(), seed: int | None = None) -> dict:
    """The JSON document: task, version, metric_maps and one entry per (dataset, method); undefined values are null.

    ``metric_maps``: whether the densities were scored by their metric-specific
    maps (``saliency eval --metric-maps``), which changes the numbers but not
    their names.

    ``excluded`` lists only the metrics that left out at least one image (the
    accumulators' ``results()`` count every metric, zeros included);
    ``skipped_images`` names each image counted in ``n_missing`` or
    ``n_skipped`` with its reason ({"image", "reason"}), and
    ``extra_predictions`` the method's files that match no ground-truth image
    (paths in its folder), which no metric counts; ``left_out_files`` the
    files of its folder not read for their extension; ``left_out_images``
    the images counted in ``n_images`` but in no mean, every metric having
    left them out ({"image", "reason"}: "no fixations"). ``notes``: the
    datasets' lines printed under the tables (images or fixations left out
    and why, IG baseline, resizing), without the bullet; each method's own
    line is its result's counts. ``seed``: the seed of the
    random negatives of AUC-Borji and sAUC when the run drew any (else null),
    so that a table is reproduced with the command and this file.
    """
    return {
        "task": task,
        "version": version,
        "metric_maps": bool(metric_maps),
        "seed": seed,
        "results": [
            {"dataset": r.dataset, "method": r.method, "n_images": r.n_images,
             "metrics": {k: (None if v is None or math.isnan(v) else float(v)) for k, v in r.metrics.items()},
             "n_resized": r.n_resized, "n_missing": r.n_missing, "n_skipped": r.n_skipped,
             "excluded": _left_out(r),
             "skipped_images": [{"image": k, "reason": why} for k, why in getattr(r, "skipped", None) or ()],
             "left_out_images": [{"image": k, "reason": NO_FIXATIONS} for k in getattr(r, "no_fixations", None) or ()],
             "extra_predictions": list(getattr(r, "extra", None) or ()),
             "left_out_files": list(getattr(r, "left_out", None) or ())}
            for r in results
        ],
        "notes": list(notes),
    }

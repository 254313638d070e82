"""``saliency models``: the registered networks with size, compute and CPU speed.

Lists every model of :func:`models.list_models` (or those matching
``--filter``) with its task, attention, encoder, parameter count, GMACs at
``--size`` (counted with ``torch.utils.flop_counter``; MACs = FLOPs / 2) and
the median CPU latency of an eval-mode forward pass at batch 1.
"""

from __future__ import annotations

from saliency.commands._args import add_quiet, size_wxh
from saliency.commands import _args

NAME = "models"
DEFAULT_SIZE = (320, 320)
"""``--size`` when not given: (width, height) of the input for GMACs and latency."""
DEFAULT_RUNS = 3
"""``--runs`` when not given: timed forward passes per model."""
DEFAULT_FORMAT = "markdown"
"""``--format`` when not given."""
HELP = "list the registered saliency networks: task, attention, parameters, GMACs, CPU latency"
ORDER = 60
DESCRIPTION = HELP + """

GMACs are counted with PyTorch's FLOP counter (convolutions and matrix
products; MACs = FLOPs / 2) at batch 1. Latency is the median wall time of
--runs eval-mode forward passes on the CPU at batch 1 (after three warm-up
passes, which are much slower). Each tsv or json row names the input it was
measured at (width, height) and, when latency is timed, torch's CPU threads
and the runs (threads, runs).

examples:
  saliency models --no-latency
  saliency models --filter 'unet_tiny_*' --size 256 --format tsv
"""


def add_arguments(parser) -> None:
    """Options of ``saliency models``."""
    parser.add_argument("--filter", default=None, metavar="PATTERN",
                        help="shell-style pattern on model names, e.g. 'unet_tiny_*' (default: all)")
    # None: not given (the defaults are applied in run), so that an option the command would ignore is refused
    parser.add_argument("--size", type=size_wxh(32, 8192, "320x240", square=True), default=None,
                        metavar="WxH", help="input size for GMACs and latency: WxH, or one number for a square "
                                            f"(default {DEFAULT_SIZE[0]})")
    parser.add_argument("--no-latency", action="store_true", help="skip the CPU latency measurement (faster)")
    parser.add_argument("--runs", type=_args.int_range(1, 1000), default=None,
                        help=f"timed forward passes per model (median; default {DEFAULT_RUNS}; "
                             "refused with --no-latency)")
    parser.add_argument("--threads", type=_args.int_range(1, 1024), default=None,
                        help="torch CPU threads for the latency (default: torch's choice; refused with --no-latency)")
    parser.add_argument("--format", choices=("markdown", "tsv", "json"), default=None,
                        help=f"output table format (default {DEFAULT_FORMAT}); tsv and json rows also give the "
                             "width and height measured at and, with latency, the threads and runs")
    parser.add_argument("--out", default=None, metavar="FILE", help="also write the table to FILE (atomically)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing --out that is not an earlier saliency models table (its own "
                             "tables are replaced without it)")
    parser.add_argument("--names-only", action="store_true",
                        help="print the model names only, one per line (--size, --no-latency, --runs, --threads "
                             "and --format, which shape the table, are refused with it)")
    add_quiet(parser, "no progress output (the per-model profiling line on stderr)")


def _own_table(path) -> bool:
    """Whether ``path`` holds a table this command wrote: markdown, TSV, JSON rows, or model names only."""
    from saliency.base.fsutil import first_text_line

    line = first_text_line(path)
    if line.startswith("| model | task |") or line.startswith("model\ttask\t"):
        return True
    if path.stat().st_size > 1 << 20:
        return False
    if line == "[":  # --format json: a list of rows, each naming a model and its task
        import json

        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return False
        return isinstance(rows, list) and bool(rows) and all(
            isinstance(r, dict) and {"model", "task", "params_m"} <= set(r) for r in rows)
    from saliency import models

    names = set(models.list_models())
    lines = path.read_text(encoding="utf-8").splitlines()
    return bool(lines) and all(n in names for n in lines)


def unused_options(args) -> str | None:
    """Why an option given is not used by the rest of the command line (one line), or None when all are used.

    ``--names-only`` prints names, no table: ``--size``, ``--no-latency``,
    ``--runs``, ``--threads`` and ``--format`` would do nothing; ``--runs``
    counts the timed passes ``--no-latency`` skips, and ``--threads`` only
    changes their speed (the GMACs are counted, not timed).
    """
    if args.names_only:
        given = [f"--size {args.size[0]}x{args.size[1]}" if args.size is not None else None,
                 "--no-latency" if args.no_latency else None,
                 f"--runs {args.runs}" if args.runs is not None else None,
                 f"--threads {args.threads}" if args.threads is not None else None,
                 f"--format {args.format}" if args.format is not None else None]
        given = [g for g in given if g]
        if given:
            return (f"{', '.join(given)}: not used with --names-only (only the model names are printed, no "
                    f"table); leave {'it' if len(given) == 1 else 'them'} out")
    if args.no_latency:
        given = [f"--runs {args.runs}" if args.runs is not None else None,
                 f"--threads {args.threads}" if args.threads is not None else None]
        given = [g for g in given if g]
        if given:  # the GMACs are counted, not timed: the table is the same at any thread count
            it = "it" if len(given) == 1 else "them"
            return f"{', '.join(given)}: not used with --no-latency (no latency is measured); leave {it} out"
    return None


def run(args) -> int:
    """Print (and optionally write) the model table (:mod:`saliency.models.profile`)."""
    import json

    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_out_file, check_replaceable, write_text

    why = unused_options(args)
    if why:  # never accepted and ignored: refused before anything is built or written
        raise UserError(why)
    if args.out:
        check_out_file(args.out, "out")  # before the (slow) table: no link, folder or device
        check_replaceable(args.out, "out", _own_table, "a saliency models table", args.overwrite)
    runs = DEFAULT_RUNS if args.runs is None else args.runs
    if runs < 1:
        raise UserError("--runs: must be >= 1")
    from saliency import models
    from saliency.models.profile import model_rows, rows_to_markdown, rows_to_tsv
    from saliency.runtime import torch_settings

    names = models.list_models(args.filter)
    if not names:
        raise UserError(f"--filter {args.filter!r}: matches no model; see `saliency models --names-only`")
    if args.names_only:
        text = "\n".join(names) + "\n"
    else:
        w, h = DEFAULT_SIZE if args.size is None else args.size
        fmt = DEFAULT_FORMAT if args.format is None else args.format
        with torch_settings(threads=args.threads):
            rows = model_rows(names, h, w, latency=not args.no_latency, runs=runs, progress=not args.quiet)
        if fmt == "markdown":
            text = rows_to_markdown(rows, h, w)
        elif fmt == "json":
            text = json.dumps(rows, indent=2) + "\n"
        else:
            text = rows_to_tsv(rows)
    print(text, end="")
    if args.out:
        write_text(args.out, text)
    return 0

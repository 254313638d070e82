"""The ``saliency`` command: one entry point, one subcommand per capability.

Subcommands live in :mod:`saliency.commands`, one module each, and are found
at start-up: a module defines ``NAME``, ``HELP`` (a one-line summary),
``ORDER`` (position in ``--help``), ``add_arguments(parser)`` and
``run(args) -> int``. Modules import their heavy dependencies (torch, OpenCV)
inside ``run`` so that ``saliency --help`` starts fast.

Errors a user can fix (:class:`saliency.base.errors.UserError`) print one line on
stderr and exit with code 2; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from saliency.base import __version__
from saliency.base.errors import UserError, cli_flag


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit 2), as every other error."""

    def error(self, message):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _command_modules():
    import saliency.commands as pkg

    mods = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"saliency.commands.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available subcommand."""
    parser = _Parser(
        prog="saliency",
        description="Visual saliency toolkit: from raw gaze to benchmark table.",
    )
    parser.add_argument("--version", action="version", version=f"saliency {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=_Parser)
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``saliency`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"saliency {args.command}: error: {exc.render(cli_flag)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"saliency {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

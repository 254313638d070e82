"""The ``saliency`` command: one entry point, one subcommand per capability.

Subcommands live in :mod:`saliency.commands`, one module each, and are found
at start-up: a module defines ``NAME``, ``HELP`` (a one-line summary),
``ORDER`` (position in ``--help``), ``add_arguments(parser)`` and
``run(args) -> int``, and optionally ``DESCRIPTION`` and ``PARAM_FLAGS``.
Command modules import nothing heavy at module level, and a subcommand's
arguments are added only when that subcommand is parsed (``add_arguments`` may
import the library, e.g. ingest's reader table imports pandas), so that
``saliency --help`` starts fast (issue 14: under 0.3 s).

Errors a user can fix (:class:`saliency.base.errors.UserError`) print one line on
stderr and exit with code 2; Ctrl-C exits with 130. Library messages name
their parameters in backticks; they are printed as the command's flags:
``cli_flag`` (``sigma_px`` -> ``--sigma-px``) unless the command module maps
the parameter to another flag in ``PARAM_FLAGS`` (``{"binary": "--binary-fixations"}``).

Usage errors are one line too. A mistyped command or option names the
closest valid spelling (:func:`difflib.get_close_matches`) and the help to
read: ``saliency: error: unknown command 'trian'; did you mean 'train'? (see
'saliency --help')``.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import pkgutil
import sys

from saliency.base import __version__
from saliency.base.errors import UserError, cli_flag


def _closest(word: str, choices) -> str | None:
    """The closest spelling of ``word`` among ``choices``, if one is close enough."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit 2), as every other error.

    A subcommand's parser gets its arguments on first use (``lazy_arguments``),
    so that building the top-level parser imports no command's dependencies.
    """

    def __init__(self, *args, lazy_arguments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._lazy_arguments = lazy_arguments
        self._argv: list[str] = []

    def ensure_arguments(self) -> "_Parser":
        """Add the subcommand's arguments now if they were deferred; return the parser."""
        add, self._lazy_arguments = self._lazy_arguments, None
        if add is not None:
            add(self)
        return self

    def parse_known_args(self, args=None, namespace=None):  # noqa: D102 - argparse API
        self.ensure_arguments()
        self._argv = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def parse_args(self, args=None, namespace=None):  # noqa: D102 - argparse API
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(ns, "command", None)
            target = self._command_parsers().get(command, self) if command else self
            target.error(target.unrecognized(extras))
        return ns

    def format_help(self):  # noqa: D102 - argparse API
        self.ensure_arguments()
        return super().format_help()

    def format_usage(self):  # noqa: D102 - argparse API
        self.ensure_arguments()
        return super().format_usage()

    def _command_parsers(self) -> dict:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices
        return {}

    def _option_names(self) -> list[str]:
        return [s for a in self._actions for s in a.option_strings if s.startswith("--")]

    def _unknown_options(self, tokens) -> list[str]:
        """The ``--options`` among ``tokens`` that this parser does not know (nor abbreviates uniquely)."""
        names = self._option_names()
        out = []
        for tok in tokens:
            if tok == "--":
                break
            if not tok.startswith("--") or len(tok) < 3:
                continue
            name = tok.split("=", 1)[0]
            if name in names or (self.allow_abbrev and sum(n.startswith(name) for n in names) == 1):
                continue
            out.append(name)
        return out

    def unrecognized(self, extras: list[str]) -> str:
        """The one-line message for arguments this parser does not know, with the closest valid option."""
        unknown = self._unknown_options(extras)
        if not unknown:
            return "unrecognized arguments: " + " ".join(extras)
        close = _closest(unknown[0], self._option_names())
        return f"unrecognized argument {unknown[0]}" + (f"; did you mean {close}?" if close else "")

    def _check_value(self, action, value):
        if isinstance(action, argparse._SubParsersAction) and value not in action.choices:
            close = _closest(value, action.choices)
            hint = f"did you mean {close!r}?" if close else "choose from " + ", ".join(action.choices)
            raise argparse.ArgumentError(None, f"unknown command {value!r}; {hint}")
        super()._check_value(action, value)

    def error(self, message):  # noqa: D401 - argparse API
        if message.startswith("the following arguments are required"):
            unknown = self._unknown_options(self._argv)  # a mistyped required option: name the typo
            if unknown:
                message = self.unrecognized(unknown)
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def command_modules() -> list:
    """The subcommand modules of :mod:`saliency.commands`, in ``--help`` order (cheap: no heavy imports)."""
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
    """Build the top-level parser with every available subcommand (their arguments added when parsed)."""
    parser = _Parser(
        prog="saliency",
        description="Visual saliency toolkit: from raw gaze to benchmark table.",
    )
    parser.add_argument("--version", action="version", version=f"saliency {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=_Parser)
    for mod in command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter, lazy_arguments=mod.add_arguments)
        p.set_defaults(_run=mod.run, _param_flags=dict(getattr(mod, "PARAM_FLAGS", {})))
    return parser


def flag_speller(param_flags: dict[str, str] | None = None):
    """How the error boundary spells a library parameter: the command's ``PARAM_FLAGS``, else ``cli_flag``."""
    flags = param_flags or {}
    return lambda param: flags.get(param) or cli_flag(param)


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
        spell = flag_speller(getattr(args, "_param_flags", None))
        print(f"saliency {args.command}: error: {exc.render(spell)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"saliency {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

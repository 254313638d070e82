"""Errors a user can fix, and how they name what to fix.

Any part of the toolkit raises :class:`UserError` for bad input (a missing
file, an unknown option value, a malformed row that cannot be quarantined).
The command line prints its message as one line on stderr and exits with
code 2, never a traceback.

Library code does not know the command line's flags: it names its own
parameters in backticks, e.g. ``UserError(f"`border` {b!r}: choose one of
zero, reflect")``. ``str(err)`` shows them as the Python names a caller passed
(``border 'x': ...``); the command line shows them as its options
(``--border 'x': ...``) through :meth:`UserError.render`.
"""

from __future__ import annotations

import re
from typing import Callable

EXIT_USAGE = 2

_PARAM = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def cli_flag(param: str) -> str:
    """The command-line spelling of a library parameter: ``sigma_px`` -> ``--sigma-px``."""
    return "--" + param.replace("_", "-")


class UserError(Exception):
    """Bad input that the user can fix; the message says what and where."""

    exit_code = EXIT_USAGE

    def render(self, spell: Callable[[str], str] | None = None) -> str:
        """The message with each backticked parameter spelled by ``spell`` (default: as is)."""
        text = str(self.args[0]) if self.args else ""
        return _PARAM.sub(lambda m: spell(m.group(1)) if spell else m.group(1), text)

    def __str__(self) -> str:
        return self.render()


def expect_type(value, kind, where: str, what: str):
    """``value`` if it is a ``kind`` (a type or tuple of types), else UserError naming ``where`` and ``what``.

    For file contents of the wrong shape, e.g. ``expect_type(doc, dict, f"{path}", "a JSON object")``
    -> ``UserError("screen.json: expected a JSON object, found a list; fix the file")``.
    """
    if isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float, (int, float))):
        return value
    found = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null",
             int: "an integer", float: "a number"}.get(type(value), type(value).__name__)
    raise UserError(f"{where}: expected {what}, found {found}; fix the file")


def import_problem(exc: ImportError, package: str) -> str:
    """Why ``package`` did not import, for a one-line message: "is not installed" when the package itself is
    missing, else "fails to import (<first line of the error>)" (installed, but broken: a missing library)."""
    if isinstance(exc, ModuleNotFoundError) and exc.name == package:
        return "is not installed"
    return f"fails to import ({(str(exc).strip().splitlines() or [type(exc).__name__])[0]})"

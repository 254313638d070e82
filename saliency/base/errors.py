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

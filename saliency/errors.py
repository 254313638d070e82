"""Errors a user can fix, and how the command line reports them.

Any part of the toolkit raises :class:`UserError` for bad input (a missing
file, an unknown option value, a malformed row that cannot be quarantined).
The command line prints its message as one line on stderr and exits with
code 2, never a traceback. The module imports nothing heavy, so ``data_tools``
and ``eval`` may use it without pulling in torch.
"""

from __future__ import annotations

EXIT_USAGE = 2


class UserError(Exception):
    """Bad input that the user can fix; the message says what and where."""

    exit_code = EXIT_USAGE

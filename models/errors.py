"""Errors of the models package.

:class:`UnknownNameError` is both a ``ValueError`` (library callers) and a
:class:`saliency.base.errors.UserError` (the command line prints it as one line).
"""

from __future__ import annotations

import re

from saliency.base.errors import UserError

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def foreign_message(text, limit: int = 200) -> str:
    """A library's own message made safe to embed in a :class:`UserError`: one line, plain text.

    Backticks become single quotes, so that ``UserError.render`` does not
    spell torch's `weights_only` or `False` as options (``--weights-only``);
    terminal escape codes (torch prints part of its message in bold) and
    line breaks are dropped; at most ``limit`` characters.
    """
    return " ".join(_ANSI.sub("", str(text)).replace("`", "'").split())[:limit]


class UnknownNameError(UserError, ValueError):
    """An unknown model, attention, encoder or loss name; the message lists the valid ones."""

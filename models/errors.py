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
    line breaks are dropped; beyond ``limit`` characters it is cut at a word and ends in `` ...``.
    """
    whole = " ".join(_ANSI.sub("", str(text)).replace("`", "'").split())
    if len(whole) <= limit:
        return whole
    return whole[:limit - 4].rsplit(" ", 1)[0].rstrip(",;:") + " ..."


def first_sentence(text, limit: int = 120) -> str:
    """The first sentence of a library's message (:func:`foreign_message`), without its full stop, cut at a word
    with `` ...`` beyond ``limit`` characters (torch's checkpoint errors run on for several sentences of advice)."""
    whole = foreign_message(text, limit=100_000)
    first = re.split(r"(?<=[.!?])\s", whole, maxsplit=1)[0].rstrip(".")
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return first


class UnknownNameError(UserError, ValueError):
    """An unknown model, attention, encoder or loss name; the message lists the valid ones."""

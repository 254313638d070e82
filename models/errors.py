"""Errors of the models package.

:class:`UnknownNameError` is both a ``ValueError`` (library callers) and a
:class:`saliency.base.errors.UserError` (the command line prints it as one line).
"""

from __future__ import annotations

from saliency.base.errors import UserError


class UnknownNameError(UserError, ValueError):
    """An unknown model, attention, encoder or loss name; the message lists the valid ones."""

"""Progress of long work: a tqdm bar on a terminal, plain lines in a log, nothing when quiet.

Every loop of the toolkit that can run for minutes reports through
:func:`progress`. On a terminal (stderr is a TTY) it is a tqdm bar; when stderr
goes to a file or a pipe it prints a plain line (``maps: 40/400``) about every
tenth of the work and at the end, never carriage-return frames; work of
unknown size (rows read from a log) gets a line every
:data:`PLAIN_INTERVAL_S` seconds and at the end; with ``enabled=False`` (the
commands' ``--quiet``) it prints nothing.
"""

from __future__ import annotations

import sys
import time
from typing import Iterable


PLAIN_INTERVAL_S = 10.0
"""Seconds between two plain lines of work whose size is not known (no ``total``)."""


class PlainProgress:
    """A tqdm-like counter that writes a line to a stream per tenth of the work (or per ``every`` items).

    Without a ``total`` (and without ``every``) the size of the work is unknown:
    a line every ``interval`` seconds instead, so a log never stays silent for
    minutes (a 10-million-row log read in 500,000-row chunks printed nothing
    until its end: one line per 100 chunks).
    """

    def __init__(self, iterable=None, total=None, desc="", unit="it", stream=None, every=None,
                 initial=0, enabled=True, interval=PLAIN_INTERVAL_S):
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total = total
        self.desc = desc
        self.unit = unit.strip()
        self.stream = stream
        self.n = initial
        self.enabled = enabled
        self.timed = not total and not every  # unknown size: a line per ``interval`` seconds
        self.every = every or (max(1, -(-total // 10)) if total else 1)
        self.interval = interval
        self._next = self.n + self.every
        self._t0 = self._last = time.monotonic()
        self._closed = False

    def _line(self):
        stream = self.stream or sys.stderr
        done = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        self._last = time.monotonic()
        print(f"{self.desc}: {done} {self.unit} ({self._last - self._t0:.1f} s)", file=stream, flush=True)

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items; print a line when a step is crossed."""
        self.n += n
        if self.timed:
            if self.enabled and time.monotonic() - self._last >= self.interval:
                self._line()
            return
        if self.enabled and self.n >= self._next and (self.total is None or self.n < self.total):
            self._line()
            while self._next <= self.n:
                self._next += self.every

    def set_description(self, desc: str) -> None:
        """Change the label of later lines."""
        self.desc = desc

    def set_postfix_str(self, text: str) -> None:  # noqa: D401 - tqdm API; a log line has no postfix
        """Ignored: plain lines carry no postfix."""

    def write(self, text: str) -> None:
        """Print a message line on stdout, as ``tqdm.write`` does (the counter lines go to ``stream``)."""
        print(text, file=sys.stdout, flush=True)

    def close(self) -> None:
        """Print the final count once."""
        if not self._closed and self.enabled and self.n:
            self._line()
        self._closed = True

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def is_terminal(stream=None) -> bool:
    """Whether ``stream`` (default stderr) is an interactive terminal."""
    stream = stream or sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str = "", unit: str = "it",
             enabled: bool = True, leave: bool = False, initial: int = 0, stream=None):
    """A progress reporter: tqdm on a terminal, :class:`PlainProgress` lines otherwise, silent if not ``enabled``."""
    stream = stream or sys.stderr
    if enabled and is_terminal(stream):
        from tqdm import tqdm

        return tqdm(iterable, total=total, desc=desc, unit=unit, leave=leave, initial=initial, file=stream)
    return PlainProgress(iterable, total=total, desc=desc, unit=unit, stream=stream, initial=initial,
                         enabled=enabled)

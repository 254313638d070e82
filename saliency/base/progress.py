"""Progress of long work: a tqdm bar on a terminal, plain lines in a log, nothing when quiet.

Every loop of the toolkit that can run for minutes reports through
:func:`progress`. On a terminal (stderr is a TTY) it is a tqdm bar; when stderr
goes to a file or a pipe it prints a plain line (``maps: 40/400``) about every
tenth of the work and at the end, never carriage-return frames; with
``enabled=False`` (the commands' ``--quiet``) it prints nothing.
"""

from __future__ import annotations

import sys
import time
from typing import Iterable


class PlainProgress:
    """A tqdm-like counter that writes a line per tenth of the work (or per ``every`` items) to a stream."""

    def __init__(self, iterable=None, total=None, desc="", unit="it", stream=None, every=None,
                 initial=0, enabled=True):
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total = total
        self.desc = desc
        self.unit = unit.strip()
        self.stream = stream
        self.n = initial
        self.enabled = enabled
        self.every = every or (max(1, -(-total // 10)) if total else 100)
        self._next = self.n + self.every
        self._t0 = time.monotonic()
        self._closed = False

    def _line(self):
        stream = self.stream or sys.stderr
        done = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        print(f"{self.desc}: {done} {self.unit} ({time.monotonic() - self._t0:.1f} s)", file=stream, flush=True)

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items; print a line when a step is crossed."""
        self.n += n
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

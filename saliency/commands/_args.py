"""Argument types shared by the subcommands (argparse ``type=`` callables with one-line errors).

Sizes are written ``WxH`` (width first, as image tools and the README write
them) by every command: ``synth --size``, ``predict --size``, ``export --size``,
``models --size``, ``crop --size`` and ``crop --scale``, and ``ingest
--screen-px 1920x1080 --screen-cm 52.7x29.6`` (issue 14, "one size syntax").
One parser reads them all (:func:`parse_wxh`); :func:`size_wxh` checks
integer pixel sizes, :func:`float_wxh` positive real sizes (centimetres).

Every other number or name is checked for range and finiteness here too
(issue 16): :func:`finite_positive_float` (sigmas, thresholds, rates),
:func:`fraction`, :func:`integer`, :func:`seed` (``[0, 2**32 - 1]``), :func:`opset`,
:func:`device` (``auto|cpu|cuda|cuda:N|mps``), :func:`aspect`,
:func:`workers` (capped at the CPUs by :func:`check_workers` unless
``--force-workers``, which is refused where it would change nothing) and ``--max-pixels`` (:func:`add_max_pixels`).
"""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An integer of at least 1."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return v


def parse_wxh(text: str, kind=int) -> tuple:
    """``"640x480"`` -> ``(640, 480)`` (width, height), each side read by ``kind`` (int or float).

    ValueError when ``text`` is not two numbers joined by ``x``.
    """
    parts = text.strip().lower().split("x")
    if len(parts) != 2:
        raise ValueError(text)
    w, h = (kind(v) for v in parts)
    return w, h


def size_wxh(lo: int = 16, hi: int = 8192, example: str = "640x480", square: bool = False):
    """An argparse type for a size ``WxH`` (-> ``(width, height)``), each side in ``[lo, hi]``.

    With ``square=True`` a single number ``N`` is also accepted and means ``NxN``.
    """

    def size(text: str) -> tuple[int, int]:
        try:
            if square and "x" not in text.lower():
                w = h = int(text)
            else:
                w, h = parse_wxh(text)
        except ValueError:
            also = " or one number for a square" if square else ""
            raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT, e.g. {example}{also}") from None
        if not (lo <= w <= hi and lo <= h <= hi):
            raise argparse.ArgumentTypeError(f"{text!r}: width and height must be between {lo} and {hi}")
        return w, h

    size.__name__ = "size"  # argparse names the type in "invalid size value" messages
    return size


def network_size_wxh(example: str = "384x288"):
    """:func:`size_wxh` over the sides a network input may have, :data:`saliency.base.images.NETWORK_SIZE_RANGE`
    (16 to 4096, the one statement of that range, which ``saliency.predict.check_size`` applies from Python), for a
    command's network input ``--size`` (``saliency predict``, ``saliency crop``)."""
    from saliency.base.images import NETWORK_SIZE_RANGE  # the standard library only: help screens stay light

    return size_wxh(*NETWORK_SIZE_RANGE, example)


def float_wxh(example: str = "52.7x29.6"):
    """An argparse type for a real size ``WxH`` (-> ``(width, height)`` floats), both sides positive and finite."""
    import math

    def size(text: str) -> tuple[float, float]:
        try:
            w, h = parse_wxh(text, float)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT, e.g. {example}") from None
        if not (w > 0 and h > 0):  # also rejects NaN
            raise argparse.ArgumentTypeError(f"{text!r}: width and height must be positive")
        if not (math.isfinite(w) and math.isfinite(h)):  # inf passed the check above
            raise argparse.ArgumentTypeError(f"{text!r}: width and height must be finite numbers")
        return w, h

    size.__name__ = "size"
    return size


def size_or_factor(example: str = "320x180"):
    """An argparse type for a size ``WxH`` in pixels (-> ``(width, height)``) or a positive factor (-> float)."""

    def scale(text: str):
        try:
            if "x" in text.lower():
                from saliency.base.images import DEFAULT_MAX_PIXELS, MAX_SIDE

                w, h = parse_wxh(text)
                if 0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE and w * h <= DEFAULT_MAX_PIXELS:
                    return w, h
            else:
                f = float(text)
                if f > 0 and f != float("inf"):
                    return f
        except ValueError:
            pass
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT (e.g. {example}) or a positive factor "
                                         f"(e.g. 0.5); a size has at most 65535 pixels a side and 100 megapixels")

    return scale


def add_quiet(parser, help: str = "no progress output") -> None:
    """The ``--quiet`` flag every command takes (progress goes to stderr; results are still printed)."""
    parser.add_argument("--quiet", action="store_true", help=help)


# ------------------------------------------------------------------ ranges and finiteness (issue 16)
# Every number and name a user types is checked here, at parse time, so that
# an absurd value (``--sigma-px inf``, ``--seed 1e30``, ``--device tpu``,
# ``--workers 100000``) is one usage line naming the option, never a traceback
# or a run that starts and fails later.

SEED_MAX = 2**32 - 1
"""Largest seed: NumPy's legacy seeding and ``torch.manual_seed`` take ``[0, 2**32 - 1]``."""

OPSET_RANGE = (16, 20)
"""ONNX opsets ``saliency export`` accepts: 16 (grid_sample) to 20 (the newest the exporter and onnxruntime share)."""


DEVICES = "auto, cpu, cuda, cuda:N or mps"


def _number(text: str, kind=float):
    """``text`` read by ``kind``; ArgumentTypeError (one line) when it is not a finite number."""
    import math

    try:
        v = kind(text)
    except (ValueError, OverflowError):
        what = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if kind is float and not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"{text!r}: must be a finite number")
    return v


def integer(text: str) -> int:
    """Any integer (the library checks its range and names the option), e.g. ``crop --min-size``."""
    return _number(text, int)


def finite_float(text: str) -> float:
    """Any finite real number (no inf or NaN)."""
    return _number(text)


def finite_positive_float(text: str) -> float:
    """A finite real number greater than 0 (sigmas, thresholds, rates, distances, learning rates)."""
    v = _number(text)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be positive")
    return v


def fraction(text: str) -> float:
    """A real number in ``[0, 1]`` (probabilities, shares)."""
    v = _number(text)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be between 0 and 1")
    return v


def open_fraction(text: str) -> float:
    """A real number in ``(0, 1]`` (a kept share of the saliency)."""
    v = _number(text)
    if not 0.0 < v <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be above 0 and at most 1")
    return v


def int_range(lo: int, hi: int | None = None, name: str = "integer"):
    """An argparse type for an integer in ``[lo, hi]`` (no upper bound when ``hi`` is None)."""

    def value(text: str) -> int:
        v = _number(text, int)
        if v < lo or (hi is not None and v > hi):
            bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise argparse.ArgumentTypeError(f"{text!r}: must be {bound}")
        return v

    value.__name__ = name
    return value


SCENES_MAX = 100_000
"""The most scenes ``synth`` and ``demo`` generate (at 640x480, tens of GB of PNGs)."""

SUBJECTS_MAX = 1000
"""The most simulated observers of ``synth`` and ``demo``."""

seed = int_range(0, SEED_MAX, "seed")
"""A random seed: an integer in ``[0, 2**32 - 1]``."""

non_negative_int = int_range(0, None, "integer")
"""An integer of at least 0 (counts that may be zero)."""

def opset(text: str) -> int:
    """An ONNX opset in :data:`OPSET_RANGE`; one message for a value below or above it."""
    v = _number(text, int)
    if not OPSET_RANGE[0] <= v <= OPSET_RANGE[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: must be between {OPSET_RANGE[0]} and {OPSET_RANGE[1]}")
    return v


def device(text: str) -> str:
    """A device name: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (lower-cased)."""
    import re

    v = text.strip().lower()
    if v in ("auto", "cpu", "cuda", "mps") or re.fullmatch(r"cuda:\d{1,3}", v):
        return v
    raise argparse.ArgumentTypeError(f"{text!r}: choose {DEVICES}")


def aspect(text: str) -> str:
    """An aspect ratio ``W:H`` (or one number ``W/H``), finite and within ``1:100`` .. ``100:1``; returned as typed."""
    from saliency.crop import parse_aspect

    try:
        parse_aspect(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def cpu_count() -> int:
    """The processors this process may use (its CPU affinity where the system tells it)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def workers(lo: int = 1):
    """An argparse type for a worker count in ``[lo, number of CPUs]`` (at least 2); ``--force-workers`` lifts the cap.

    The cap is checked after parsing (:func:`check_workers`, called by the
    command line for every command), so that ``--force-workers`` may come
    before or after ``--workers``; here only the lower bound and an absolute
    ceiling of 1024 are checked.
    """
    return int_range(lo, 1024, "workers")


def add_force_workers(parser) -> None:
    """The ``--force-workers`` flag of a command with ``--workers`` (lifts the cap at the number of CPUs)."""
    parser.add_argument("--force-workers", action="store_true",
                        help=f"allow more --workers than this machine's CPUs ({cpu_count()}; up to 1024); refused "
                             f"with a --workers of at most {max_workers()}, or none, since it would change nothing "
                             "(so a script passes it only with such a --workers)")


def max_workers() -> int:
    """The most ``--workers`` allowed without ``--force-workers``: the number of CPUs, at least 2."""
    return max(2, cpu_count())


def workers_over_cap(n, force: bool) -> str | None:
    """Why ``n`` workers are too many without ``--force-workers`` (``force``); None when they are not."""
    if isinstance(n, int) and n > max_workers() and not force:
        return f"{n} is more than this machine's {cpu_count()} CPUs; use at most {max_workers()} or add --force-workers"
    return None


def force_workers_unused(n, force: bool) -> str | None:
    """Why ``--force-workers`` (``force``) would change nothing with ``--workers`` ``n`` (None: not given); else None.

    The flag only lifts the cap of :func:`max_workers`: with no ``--workers``,
    or one within the cap, it is refused (never accepted and ignored), also
    on a machine whose CPUs cover a count that needs it on a smaller one.
    """
    if not force or (isinstance(n, int) and n > max_workers()):
        return None
    cpus = cpu_count()
    above = (f"this machine's {cpus} CPUs" if max_workers() == cpus
             else f"{max_workers()} (this machine has {cpus} CPU{'s' if cpus != 1 else ''})")
    return f"--force-workers: only with --workers above {above}; leave it out"


#: commands whose worker count may come from elsewhere when ``--workers`` is not given (``train``: data.workers
#: of --config, --set or a resumed run, capped by the command itself), so a bare ``--force-workers`` is theirs to judge
WORKERS_FROM_CONFIG = ("train",)


def check_workers(parser, args) -> None:
    """Usage error (one line, exit 2) when ``--workers`` exceeds :func:`max_workers` without ``--force-workers``.

    And when ``--force-workers`` is given without a ``--workers`` above that
    cap (:func:`force_workers_unused`), for every command: except a bare flag
    of a command in :data:`WORKERS_FROM_CONFIG`, and ``predict --baseline`` /
    ``--list-baselines``, which refuse it themselves with the reason (no
    worker processes at all).
    """
    n, force = getattr(args, "workers", None), getattr(args, "force_workers", False)
    if getattr(args, "baseline", None) or getattr(args, "list_baselines", False):
        return  # no worker processes at all: predict refuses --workers and --force-workers there itself
    why = workers_over_cap(n, force)
    if why:
        parser.error(f"argument --workers: {why}")
    if n is None and getattr(args, "command", None) in WORKERS_FROM_CONFIG:
        return
    why = force_workers_unused(n, force)
    if why:
        parser.error(why)


def add_max_pixels(parser) -> None:
    """The ``--max-pixels`` option of a command that reads images (refused above it, before decoding)."""
    from saliency.base.images import DEFAULT_MAX_PIXELS

    parser.add_argument("--max-pixels", type=int_range(1, None, "pixels"), default=None, metavar="N",
                        help=f"refuse images declaring more than N pixels, before decoding them "
                             f"(default {DEFAULT_MAX_PIXELS:,}; also SALIENCY_MAX_PIXELS)")

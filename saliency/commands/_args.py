"""Argument types shared by the subcommands (argparse ``type=`` callables with one-line errors).

Sizes are written ``WxH`` (width first, as image tools and the README write
them) by every command: ``synth --size``, ``predict --size``, ``export --size``,
``models --size``, ``crop --size`` and ``crop --scale``, and ``ingest
--screen-px 1920x1080 --screen-cm 52.7x29.6`` (issue 14, "one size syntax").
One parser reads them all (:func:`parse_wxh`); :func:`size_wxh` checks
integer pixel sizes, :func:`float_wxh` positive real sizes (centimetres).
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


def float_wxh(example: str = "52.7x29.6"):
    """An argparse type for a real size ``WxH`` (-> ``(width, height)`` floats), both sides positive."""

    def size(text: str) -> tuple[float, float]:
        try:
            w, h = parse_wxh(text, float)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT, e.g. {example}") from None
        if not (w > 0 and h > 0):  # also rejects NaN
            raise argparse.ArgumentTypeError(f"{text!r}: width and height must be positive")
        return w, h

    size.__name__ = "size"
    return size


def size_or_factor(example: str = "320x180"):
    """An argparse type for a size ``WxH`` in pixels (-> ``(width, height)``) or a positive factor (-> float)."""

    def scale(text: str):
        try:
            if "x" in text.lower():
                w, h = parse_wxh(text)
                if w > 0 and h > 0:
                    return w, h
            else:
                f = float(text)
                if f > 0 and f != float("inf"):
                    return f
        except ValueError:
            pass
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT (e.g. {example}) "
                                         f"or a positive factor (e.g. 0.5)")

    return scale


def add_quiet(parser, help: str = "no progress output") -> None:
    """The ``--quiet`` flag every command takes (progress goes to stderr; results are still printed)."""
    parser.add_argument("--quiet", action="store_true", help=help)

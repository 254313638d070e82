"""Saliency-aware cropping: the window of a given aspect ratio that keeps the most saliency.

Automatic thumbnailing and image re-composition were among the first
applications of saliency maps (Suh et al., "Automatic thumbnail cropping and
its effectiveness", UIST 2003; Santella et al., "Gaze-based interaction for
semi-automatic photo cropping", CHI 2006; Ardizzone et al., "Saliency based
image cropping", ICIAP 2013; Twitter's saliency cropping, 2018). Given a
saliency map ``S`` and an aspect ratio ``a = w / h``:

- default: the largest window of aspect ``a`` that fits in the image,
  placed where it keeps the most saliency;
- ``keep=f``: the smallest window of aspect ``a`` (not smaller than
  ``min_size`` on its shorter side) whose best placement keeps at least the
  fraction ``f`` of the image's total saliency.

Both searches are exact: the saliency inside every placement of a window is
read from a summed-area table (Crow, SIGGRAPH 1984) in O(1), so one window
size costs O(H W); the best kept saliency never decreases with the window's
size (a larger window contains the best smaller one), so the smallest size
reaching ``f`` is found by bisection over window heights. Ties between
placements go to the one closest to the image centre. Torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CropBox:
    """A crop window in pixels (``x, y`` top-left, ``w x h``) and the share of saliency it keeps."""

    x: int
    y: int
    w: int
    h: int
    kept: float

    def as_dict(self) -> dict:
        """JSON-able form."""
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h, "kept": round(self.kept, 6)}


def parse_aspect(text: str) -> float:
    """``"16:9"`` -> 16/9; also accepts a plain positive number."""
    try:
        if ":" in text:
            a, b = (float(v) for v in text.split(":"))
        else:
            a, b = float(text), 1.0
    except ValueError:
        raise ValueError(f"{text!r}: expected W:H such as 16:9 or 1:1") from None
    if not (a > 0 and b > 0):
        raise ValueError(f"{text!r}: both sides of the aspect ratio must be positive")
    return a / b


def window_size(img_w: int, img_h: int, aspect: float, height: int) -> tuple[int, int]:
    """Window ``(w, h)`` of the given aspect and height, rounded to whole pixels, clipped to the image."""
    w = int(round(height * aspect))
    return max(1, min(img_w, w)), max(1, min(img_h, height))


def max_height(img_w: int, img_h: int, aspect: float) -> int:
    """Height of the largest window of ``aspect`` that fits in the image."""
    return max(1, min(img_h, int(np.floor(img_w / aspect + 1e-9))))


def integral(saliency: np.ndarray) -> np.ndarray:
    """Summed-area table with a zero first row and column (float64)."""
    s = np.asarray(saliency, dtype=np.float64)
    table = np.zeros((s.shape[0] + 1, s.shape[1] + 1))
    np.cumsum(np.cumsum(s, axis=0), axis=1, out=table[1:, 1:])
    return table


def best_placement(table: np.ndarray, w: int, h: int) -> tuple[int, int, float]:
    """Top-left ``(x, y)`` and saliency sum of the best ``w x h`` window (ties: closest to the centre)."""
    H, W = table.shape[0] - 1, table.shape[1] - 1
    sums = table[h:, w:] - table[:-h, w:] - table[h:, :-w] + table[:-h, :-w]  # (H-h+1, W-w+1)
    best = sums.max()
    # sums are built from float64 cumulative sums: compare with a tolerance relative to the total
    tol = 1e-9 * max(1.0, abs(table[-1, -1]))
    ys, xs = np.nonzero(sums >= best - tol)
    cy, cx = (H - h) / 2, (W - w) / 2
    i = int(np.argmin((ys - cy) ** 2 + (xs - cx) ** 2))
    return int(xs[i]), int(ys[i]), float(sums[ys[i], xs[i]])


def saliency_crop(saliency: np.ndarray, aspect: float, keep: float | None = None, min_size: int = 1) -> CropBox:
    """The crop of ``aspect`` that keeps the most saliency (see the module docstring)."""
    s = np.clip(np.asarray(saliency, dtype=np.float64), 0, None)
    H, W = s.shape
    table = integral(s)
    total = table[-1, -1]
    hmax = max_height(W, H, aspect)
    if keep is None or total <= 0:
        w, h = window_size(W, H, aspect, hmax)
        x, y, kept = best_placement(table, w, h)
        return CropBox(x, y, w, h, float(kept / total) if total > 0 else 1.0)
    shortest = min_size if aspect >= 1 else int(np.ceil(min_size / aspect))
    lo, hi = min(hmax, max(1, shortest)), hmax

    def place(height):
        w, h = window_size(W, H, aspect, height)
        return (w, h) + best_placement(table, w, h)

    target = keep * total * (1 - 1e-12)  # float64 sums: do not miss an exact hit by rounding
    if place(hi)[4] >= target:
        while lo < hi:  # bisection: the best kept saliency is non-decreasing in the window height
            mid = (lo + hi) // 2
            if place(mid)[4] >= target:
                hi = mid
            else:
                lo = mid + 1
    w, h, x, y, kept = place(hi)
    return CropBox(x, y, w, h, float(kept / total))


def center_crop(img_w: int, img_h: int, aspect: float) -> CropBox:
    """The largest centred window of ``aspect`` (the baseline thumbnails use)."""
    w, h = window_size(img_w, img_h, aspect, max_height(img_w, img_h, aspect))
    return CropBox((img_w - w) // 2, (img_h - h) // 2, w, h, float("nan"))

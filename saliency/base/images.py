"""Image file extensions: one list for every reader of stimuli, masks, maps and predictions.

The union of what OpenCV's ``imread`` decodes in the opencv-python-headless
wheels and what the benchmark distributions ship (MIT1003 ``.jpeg``, CAT2000
``.jpg``, DUTS ``.png``, netpbm ``.pgm``/``.ppm`` in older SOD sets).
"""

from __future__ import annotations

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
"""Lower-case suffixes (with the dot) of the image files the toolkit reads."""


def is_image(name: str) -> bool:
    """Whether a file name has one of :data:`IMAGE_EXTS` (case-insensitive), hidden files excluded."""
    lower = name.lower()
    return not name.startswith(".") and any(lower.endswith(e) for e in IMAGE_EXTS)

"""Stimulus folders and trial tables: which image a log row refers to.

A name matches a stimulus file by file name or by stem (``img1`` and
``img1.jpg`` both find ``stimuli/img1.jpg``), case-insensitively as a last
resort; a ``--trials`` CSV maps (subject, trial) to a stimulus name. Image sizes
come from decoding the file once (Pillow); an image that cannot be decoded, or
whose header declares more pixels than the limit
(:func:`saliency.base.images.oversized`, checked before decoding), makes its
rows ``bad_stimulus_image`` in the quarantine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.base.images import IMAGE_EXTS


class StimulusIndex:
    """Stimulus images of a folder, found by file name or stem; sizes read lazily (header only)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise UserError(f"`stimuli` {self.folder}: no such folder")
        files = sorted(p for p in self.folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
        if not files:
            raise UserError(f"`stimuli` {self.folder}: no images ({', '.join(IMAGE_EXTS)})")
        self.by_name = {p.name: p for p in files}
        self.by_stem: dict[str, Path] = {}
        for p in files:
            self.by_stem.setdefault(p.stem, p)
        self.lower = {k.lower(): v for k, v in {**self.by_stem, **self.by_name}.items()}
        self._sizes: dict[str, tuple[int, int] | None] = {}

    def resolve(self, name: str) -> str | None:
        """Stem of the stimulus file that ``name`` refers to, or None."""
        if not name:
            return None
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        p = self.by_name.get(base) or self.by_stem.get(base) or self.by_stem.get(Path(base).stem) \
            or self.lower.get(base.lower()) or self.lower.get(Path(base).stem.lower())
        return p.stem if p is not None else None

    def path(self, stem: str) -> Path:
        """File of a resolved stem."""
        return self.by_stem[stem]

    def size(self, stem: str) -> tuple[int, int] | None:
        """``(w, h)`` of a stimulus, or None when the image cannot be decoded or is above the pixel limit."""
        if stem not in self._sizes:
            self._sizes[stem] = decoded_size(self.by_stem[stem])
        return self._sizes[stem]

    def check(self, stems, threads: int = 1) -> None:
        """Decode the stimuli ``stems`` not yet seen, ``threads`` at a time (Pillow decodes without the GIL)."""
        todo = sorted({s for s in stems if s not in self._sizes})
        if threads <= 1 or len(todo) < 2:
            for s in todo:
                self.size(s)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as ex:
            for s, sz in zip(todo, ex.map(decoded_size, [self.by_stem[s] for s in todo])):
                self._sizes[s] = sz


def decoded_size(path: Path) -> tuple[int, int] | None:
    """``(w, h)`` of an image file after decoding it whole; None when it cannot be decoded or is too large."""
    from PIL import Image

    from saliency.base.images import image_size, oversized

    try:
        declared = image_size(path)
    except OSError:
        declared = None
    if oversized(declared):  # above the pixel limit: quarantined without decoding
        return None
    try:
        with Image.open(path) as im:
            if oversized((int(im.size[0]), int(im.size[1]))):
                raise ValueError("above the pixel limit")
            im.load()
            return int(im.size[0]), int(im.size[1])
    except Exception:  # any decoder failure: the rows are quarantined
        return None


def load_trials(path: str | Path) -> dict:
    """``--trials`` CSV (subject, trial, stimulus; subject optional) -> {(subject, trial): stimulus}."""
    from saliency.data_tools.readers import read_header, text

    path = Path(path)
    first, sep = read_header(path)
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, ValueError) as exc:
        raise UserError(f"`trials` {path}: cannot read ({' '.join(str(exc).split())})") from None
    cols = {c.strip().lower(): c for c in df.columns}
    for need in ("trial", "stimulus"):
        if need not in cols:
            raise UserError(f"`trials` {path}: no {need!r} column (need subject, trial, stimulus)")
    n = len(df)
    subj = text(df[cols["subject"]], n, "*") if "subject" in cols else np.full(n, "*", object)
    trial = text(df[cols["trial"]], n)
    stim = text(df[cols["stimulus"]], n)
    return {(s, t): v for s, t, v in zip(subj, trial, stim)}

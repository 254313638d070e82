"""``fixlocs``: binary fixation-location maps, ``FIXATIONLOCS/<image>.mat`` (CAT2000, MIT1003, FIGRIM).

Borji & Itti, "CAT2000: a large scale fixation dataset for boosting saliency
research", CVPR 2015 workshop (``saliency.mit.edu``, ``trainSet/FIXATIONLOCS/
<category>/<image>.mat``, variable ``fixLocs``); the MIT saliency benchmark
code (``cvzoya/saliency``, variable ``fixations`` in ``FIXATIONLOCS/<image>.mat``,
e.g. ``../shared/data/mit_i210``) and FIGRIM use the same kind of file: an
image-sized matrix, positive where some observer fixated.

Rows: one per fixated pixel (a positive, finite entry) and one per entry that
is not a finite number (NaN, Inf: whether the pixel was fixated is unknown;
quarantined ``bad_coordinates``), numbered in row-major order as the chunk's
``line``; zero and negative entries are no fixation and no row. The map pools
all subjects and keeps no order, times or durations, and a pixel fixated
twice counts once: the reader returns one fixation per positive pixel under a
single subject ``pooled`` (QC per subject and inter-observer consistency do
not apply). The matrix is image-sized by definition: its shape is the
stimulus size it declares (``Chunk.declared_px``), and the ingest refuses a
stimulus image of another size. Coordinates: the pixel at
MATLAB index (r, c) is at x = c - 1, y = r - 1 in our 0-based convention,
which is numpy's index of the positive entry. The stimulus is the file stem:
CAT2000 repeats stems across categories (``001.jpg`` in each), so read one
category at a time with its own stimulus folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions
from saliency.data_tools.readers.chunks import fixation_chunk, quarantine_frame
from saliency.data_tools.readers.matlab import is_mat, load, whos

DETECT_RANK = 17  # the file's content (a .mat file's variables)
SUFFIXES: tuple[str, ...] = ()
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()
VARIABLES = ("fixLocs", "fixations", "fixLoc")
_NUMERIC = ("double", "single", "uint8", "int8", "uint16", "int16", "uint32", "int32", "logical")


def sniff(probe: Probe) -> bool:
    """A ``.mat`` file with a 2-D numeric ``fixLocs`` (CAT2000) or ``fixations`` (MIT) matrix."""
    return is_mat(probe) and any(n in VARIABLES and c in _NUMERIC and len(s) == 2 and min(s) > 1
                                 for n, s, c in whos(probe.path))


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Binary fixation-location map: one pooled fixation per positive pixel (0-based pixel centres)."""

    def chunks() -> Iterator[Chunk]:
        d = load(path, "a fixation-location map")
        name = next((v for v in VARIABLES if v in d), None)
        if name is None:
            names = ", ".join(k for k in d if not k.startswith("__"))
            raise UserError(f"{path}: no fixation-location matrix ({' or '.join(VARIABLES)}); it has: "
                            f"{names or 'no variable'}")
        m = np.asarray(d[name])
        if m.ndim != 2 or m.dtype == object:
            raise UserError(f"{path}: {name} must be a 2-D numeric matrix, not shape {m.shape} of {m.dtype}")
        v = m.astype(np.float64, copy=False)
        finite = np.isfinite(v)
        r, c = np.nonzero(finite & (v > 0))  # fixated pixels; zero and negative entries are not rows
        n = len(r)
        ln = r.astype(np.int64) * m.shape[1] + c + 1
        ch = fixation_chunk(ln, np.full(n, "pooled", object), np.full(n, path.stem, object),
                            np.full(n, "", object), c.astype(float), r.astype(float), np.full(n, np.nan),
                            np.full(n, np.nan), np.full(n, "", object), "stimulus")
        br, bc = np.nonzero(~finite)  # NaN / Inf: a damaged entry, fixated or not unknown
        if len(br):  # listed with the pixel's x, y, so the entry can be found in the matrix
            q = quarantine_frame(br.astype(np.int64) * m.shape[1] + bc + 1, "bad_coordinates",
                                 np.full(len(br), "pooled", object), np.full(len(br), path.stem, object),
                                 bc.astype(float), br.astype(float))
            ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True) if len(ch.quarantine) else q
        ch.rows_read = n + len(br)
        ch.declared_px = {path.stem: (int(m.shape[1]), int(m.shape[0]))}
        yield ch

    return LogReader(path, "fixlocs", "fixations", chunks, notes={"pooled": True})


def example_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write a CAT2000-layout ``fixLocs`` map (108 x 192) with ``n`` distinct fixated pixels; its row count."""
    from scipy.io import savemat
    m = np.zeros((108, 192))
    idx = rng.choice(m.size, size=min(n, m.size), replace=False)
    m.ravel()[idx] = 1
    with open(path, "wb") as fh:
        savemat(fh, {"fixLocs": m})
    return len(idx)

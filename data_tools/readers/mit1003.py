"""``mit1003``: MIT1003 raw eye data, ``DATA/<subject>/<image>.mat`` (240 Hz samples per subject and image).

Judd, Ehinger, Durand & Torralba, "Learning to predict where humans look",
ICCV 2009 (``people.csail.mit.edu/tjudd/WherePeopleLook``, ``DATA.zip`` and
``DatabaseCode``). Layout as the MIT code and pysaliency's
``external_datasets/mit.py`` (its ``extract_fixations.m``) read it: each file
holds one struct named after the image (the file stem, cut to MATLAB's 63
characters) whose ``DATA(1).eyeData`` is N x 2 (x, y) raw samples at 240 Hz in
image pixels, 1-based as MATLAB writes them; samples outside the image
(negative, beyond its size: track loss and blinks) are in the file as
recorded.

Rows: one per sample (``line`` = the sample's 1-based index). The subject is
the folder name, the stimulus the file stem (``ALLSTIMULI/<stem>.jpeg``), the
time the sample index / 240 Hz; coordinates become 0-based
(:func:`data_tools.readers.matlab.from_matlab`) in stimulus pixels (space
``stimulus``). A sample that is not a number, or lies outside the image's
first quadrant (x or y below 0 after the shift: MIT's code treats those as
lost), is invalid. The first samples of every recording sit on the central
fixation cross shown before the image: Judd et al. and pysaliency drop each
subject's first fixation for that reason; ``drop_first`` does the same here.
The samples are image pixels (space ``stimulus``): the ingest places them on
the screen as the image was shown (``display``; MIT1003 images were shown at
their size on a 1280 x 1024 screen, about 35 pixels per degree) to detect
fixations in degrees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions
from saliency.data_tools.readers.chunks import empty_quarantine
from saliency.data_tools.readers.matlab import field, from_matlab, is_mat, items, load, points, whos

DETECT_RANK = 15  # the file's content (a .mat file's variables)
SUFFIXES: tuple[str, ...] = ()
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()
RATE_HZ = 240.0


def sniff(probe: Probe) -> bool:
    """A ``.mat`` file with one struct variable named after the file (MIT1003 ``DATA/<subject>/<image>.mat``)."""
    if not is_mat(probe):
        return False
    v = whos(probe.path)
    return len(v) == 1 and v[0][2] == "struct" and v[0][0] == probe.path.stem[:63]


def read(path: Path, opts: ReadOptions) -> LogReader:
    """MIT1003 raw samples of one subject and image: 240 Hz, image pixels made 0-based."""
    subject = path.parent.name or "subject"
    stimulus = path.stem

    def chunks() -> Iterator[Chunk]:
        d = load(path, "MIT1003 eye data")
        names = [k for k in d if not k.startswith("__")]
        if len(names) != 1:
            raise UserError(f"{path}: not an MIT1003 eye-data file: expected one struct named after the image, "
                            f"found {', '.join(names) or 'no variable'}")
        s = d[names[0]]
        data = items(field(s, "DATA", path, names[0]))
        if not data:
            raise UserError(f"{path}: {names[0]}.DATA is empty (no eyeData)")
        try:
            eye = points(field(data[0], "eyeData", path, f"{names[0]}.DATA(1)"))
        except ValueError as exc:
            raise UserError(f"{path}: {names[0]}.DATA(1).eyeData must be N x 2 (x, y): {exc}") from None
        n = len(eye)
        x, y = from_matlab(eye[:, 0]), from_matlab(eye[:, 1])
        valid = np.isfinite(x) & np.isfinite(y) & (x >= -0.5) & (y >= -0.5)
        df = pd.DataFrame({"subject": np.full(n, subject, object), "stimulus": np.full(n, stimulus, object),
                           "trial": np.full(n, "", object), "time_ms": np.arange(n) * (1000.0 / RATE_HZ),
                           "x": np.where(valid, x, np.nan), "y": np.where(valid, y, np.nan), "valid": valid,
                           "line": np.arange(1, n + 1, dtype=np.int64)})
        yield Chunk("samples", "stimulus", df, empty_quarantine(), rows_read=n)

    return LogReader(path, "mit1003", "samples", chunks,
                     notes={"sample_rate_hz": RATE_HZ, "coordinates": "1-based in the file, made 0-based"})


def example_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write an MIT1003-layout eye-data file of ``n`` samples (struct named after the file); its row count."""
    from scipy.io import savemat
    eye = np.column_stack([rng.uniform(1, 1024, n), rng.uniform(1, 768, n)])
    rec = np.zeros((1, 1), dtype=[("eyeData", "O")])
    rec[0, 0]["eyeData"] = eye
    top = np.zeros((1, 1), dtype=[("DATA", "O")])
    top[0, 0]["DATA"] = rec
    with open(path, "wb") as fh:
        savemat(fh, {path.stem[:63]: top})
    return n

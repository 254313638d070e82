"""``figrim``: FIGRIM fixations, ``allImages_release.mat`` / ``allImages_fillers.mat``.

Bylinskii, Isola, Bainbridge, Torralba & Oliva, "Intrinsic and extrinsic
effects on image memorability", Vision Research 2015 (``cvzoya/figrim``
README; pysaliency ``external_datasets/figrim.py``): a struct array
``allImages`` (one per image: ``filename``, ``category``, ``impath``) whose
``userdata(j)`` is participant j (the same person on every image; empty when
j did not see the image) with ``fixations.enc`` (N x 2: x, y in image pixels,
1-based as MATLAB writes them; images are 1000 x 1000) from the first
(encoding) viewing, and ``fixations.rec`` / ``rec2`` from the repeat
(recognition) viewings of target images.

Rows: one per fixation point, numbered in file order (image, participant,
enc/rec/rec2, point) as the chunk's ``line``. The encoding fixations are
kept: subject ``s01``, ``s02``... (participant j), stimulus ``filename``,
coordinates made 0-based (:func:`data_tools.readers.matlab.from_matlab`), no
times (the file has none). The recognition viewings are a memory test, not
free viewing: their points are counted as ``recognition_viewing`` (by design,
row accounting in :mod:`data_tools.readers.base`), not kept. A viewing that is
not N x 2 (an N x 1 column, a row of 3, an N x 3 array) is quarantined, each of
its N rows ``malformed_row`` (a 1 x k row is one row, an N x 1 column N rows, as
MATLAB wrote them); no column is dropped in silence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions
from saliency.data_tools.readers.chunks import fixation_chunk
from saliency.data_tools.readers.matlab import field, from_matlab, is_mat, items, load, points, whos
from saliency.data_tools.readers.vendor import add_quarantine

DETECT_RANK = 16  # the file's content (a .mat file's variables)
SUFFIXES: tuple[str, ...] = ()
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()
VIEWINGS = ("enc", "rec", "rec2")


def sniff(probe: Probe) -> bool:
    """A ``.mat`` file with a struct array ``allImages``."""
    return is_mat(probe) and any(n == "allImages" and c == "struct" for n, _, c in whos(probe.path))


def read(path: Path, opts: ReadOptions) -> LogReader:
    """FIGRIM ``allImages``: each participant's encoding fixations per image (0-based image pixels)."""

    def chunks() -> Iterator[Chunk]:
        d = load(path, "FIGRIM allImages")
        if "allImages" not in d:
            names = ", ".join(k for k in d if not k.startswith("__"))
            raise UserError(f"{path}: not a FIGRIM file: no variable 'allImages' (it has: {names or 'none'})")
        k = 0
        shapes = _Shapes(path)
        lines, subj, stim, xs, ys, bad = [], [], [], [], [], []
        recog = 0
        for i, im in enumerate(items(d["allImages"]), start=1):
            name = Path(str(field(im, "filename", path, f"allImages({i})")).replace("\\", "/")).name
            for j, u in enumerate(items(getattr(im, "userdata", None)), start=1):
                fx = getattr(u, "fixations", None)
                if fx is None or isinstance(fx, np.ndarray) and fx.size == 0:
                    continue
                for view in VIEWINGS:
                    raw = getattr(fx, view, None)
                    try:
                        p = points(raw)
                        if p.shape[1] != 2:  # N x 3 and wider: rows of other than (x, y), as a 1 x 3 row
                            raise ValueError(f"{p.shape[1]} columns, not N x 2")
                    except (ValueError, TypeError):
                        a = np.asarray(raw, dtype=object)
                        m = max(1, len(a)) if a.ndim > 1 else 1
                        if a.ndim == 1:  # squeezed: a 1 x k row (one row) or a k x 1 column (k rows)?
                            m = max(1, shapes.rows(i, j, view, len(a)))
                        bad.append(np.arange(k + 1, k + m + 1))
                        k += m
                        continue
                    m = len(p)
                    ln = np.arange(k + 1, k + m + 1)
                    k += m
                    if view != "enc":
                        recog += m
                        continue
                    lines.append(ln)
                    subj.append(np.full(m, f"s{j:02d}", object))
                    stim.append(np.full(m, name, object))
                    xs.append(from_matlab(p[:, 0]))
                    ys.append(from_matlab(p[:, 1]))
        cat = lambda v, dt: np.concatenate(v) if v else np.zeros(0, dt)  # noqa: E731
        ln = cat(lines, np.int64)
        n = len(ln)
        ch = fixation_chunk(ln, cat(subj, object), cat(stim, object), np.full(n, "enc", object), cat(xs, float),
                            cat(ys, float), np.full(n, np.nan), np.full(n, np.nan), np.full(n, "", object),
                            "stimulus")
        add_quarantine(ch, cat(bad, np.int64), "malformed_row")
        if recog:
            ch.counted["recognition_viewing"] = recog
        ch.rows_read = k
        yield ch

    return LogReader(path, "figrim", "fixations", chunks, notes={"coordinates": "1-based in the file, made 0-based",
                                                                 "viewing": "enc"})


class _Shapes:
    """A viewing's shape as MATLAB wrote it, which ``squeeze_me`` loses (a 1 x k row and a k x 1 column read alike).

    Read once, without squeezing, the first time a malformed 1-D viewing asks.
    """

    def __init__(self, path: Path):
        self.path = path
        self.d: dict | None = None

    def rows(self, i: int, j: int, view: str, default: int) -> int:
        """Rows of ``allImages(i).userdata(j).fixations.<view>`` (1-based i, j); ``default`` if it cannot tell."""
        try:
            if self.d is None:
                from scipy.io import loadmat
                self.d = loadmat(str(self.path), squeeze_me=False, struct_as_record=False,
                                 variable_names=["allImages"])
            im = self.d["allImages"].ravel()[i - 1]
            fx = im.userdata.ravel()[j - 1].fixations.ravel()[0]
            a = np.asarray(getattr(fx, view))
            return int(a.shape[0]) if a.ndim == 2 else default
        except Exception:  # noqa: BLE001 - a layout this lookup does not know: the squeezed length stands
            return default


def example_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write a FIGRIM-layout ``allImages`` struct array (2 images, 3 participants, enc/rec/rec2); its row count."""
    from scipy.io import savemat

    from saliency.data_tools.readers.osie import struct_array
    per = max(1, n // 8)
    total, imgs = 0, []
    for i in range(2):
        users = []
        for _ in range(3):
            views = {}
            for v in VIEWINGS:
                m = int(rng.integers(0, per + 1)) if v == "enc" or i == 0 else 0
                total += m
                views[v] = np.column_stack([rng.uniform(1, 1000, m), rng.uniform(1, 1000, m)]) if m else \
                    np.zeros((0, 2))
            users.append({"trial": 1.0, "fixations": views, "SDT": np.array([4.0, 0, 0])})
        imgs.append({"filename": f"sun_{i:04d}.jpg", "category": "airport_terminal", "userdata": struct_array(users)})
    with open(path, "wb") as fh:
        savemat(fh, {"allImages": struct_array(imgs)})
    return total

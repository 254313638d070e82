"""``osie``: the OSIE dataset's fixations, ``eye/fixations.mat``.

Xu, Jiang, Wang, Kankanhalli & Zhao, "Predicting human gaze beyond pixels",
JoV 2014 (``NUS-VIP/predicting-human-gaze-beyond-pixels``, ``data/eye``);
layout as pysaliency's ``external_datasets/osie.py`` reads it and
``../shared/data/README.md`` describes it: ``fixations``, a 700 x 1 cell
array of structs (one per image; a struct array reads the same),
``fixations{i}.img`` the image file name (``1001.jpg``),
``fixations{i}.subjects(j)`` the j-th of 15 observers with ``fix_x``,
``fix_y`` (image pixels, 1-based as MATLAB writes them) and
``fix_duration`` (ms), in viewing order.

Rows: one per fixation point, numbered in file order (image, observer,
fixation) as the chunk's ``line``. Subjects stay apart: observer j is
``s01``..``s15`` on every image (the same person, as in pysaliency). The
coordinates become 0-based (:func:`data_tools.readers.matlab.from_matlab`);
the stimulus is ``img``; start times are not in the file (unknown); an
observer whose ``fix_x``, ``fix_y`` and ``fix_duration`` lengths differ has
those rows quarantined as ``malformed_row``. A file that lists one image
twice (two entries whose ``img`` has the same stem) is refused in one line,
as ``saliency eval --dataset OSIE`` refuses it: its entries would be pooled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from saliency.base.errors import UserError
from saliency.base.names import nfc
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions
from saliency.data_tools.readers.chunks import fixation_chunk
from saliency.data_tools.readers.matlab import field, from_matlab, is_mat, items, load, vector, whos
from saliency.data_tools.readers.vendor import add_quarantine

DETECT_RANK = 14  # the file's content (a .mat file's variables)
SUFFIXES: tuple[str, ...] = ()
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()


def sniff(probe: Probe) -> bool:
    """A ``.mat`` file whose variable ``fixations`` is a cell or struct array (one element per image)."""
    return is_mat(probe) and any(n == "fixations" and c in ("cell", "struct") for n, _, c in whos(probe.path))


def read(path: Path, opts: ReadOptions) -> LogReader:
    """OSIE ``fixations.mat``: per image and observer, fixations in image pixels (made 0-based), durations in ms."""

    def chunks() -> Iterator[Chunk]:
        d = load(path, "OSIE fixations")
        if "fixations" not in d:
            raise_missing(path, d)
        lines, subj, stim, xs, ys, durs, bad = [], [], [], [], [], [], []
        k = 0
        seen: dict[str, int] = {}  # image stem -> the 1-based position of its entry, as eval's read_osie keys it
        for i, im in enumerate(items(d["fixations"]), start=1):
            name = str(field(im, "img", path, f"fixations({i})"))
            key = nfc(Path(name).stem)
            if key in seen:  # two entries of one image would be pooled under it: refused as `eval --dataset OSIE`
                raise UserError(f"{path}: fixations({i}) names the image {name} again (also fixations({seen[key]})); "
                                "OSIE lists each image once: fix or replace the file")
            seen[key] = i
            for j, s in enumerate(items(field(im, "subjects", path, f"fixations({i})")), start=1):
                where = f"fixations({i}).subjects({j})"
                x = vector(field(s, "fix_x", path, where))
                y = vector(field(s, "fix_y", path, where))
                du = vector(s.fix_duration) if hasattr(s, "fix_duration") else np.full(len(x), np.nan)
                n = max(len(x), len(y), len(du))
                ln = np.arange(k + 1, k + n + 1)
                k += n
                if not (len(x) == len(y) == len(du)):
                    bad.append(ln)
                    continue
                lines.append(ln)
                subj.append(np.full(n, f"s{j:02d}", object))
                stim.append(np.full(n, name, object))
                xs.append(from_matlab(x))
                ys.append(from_matlab(y))
                durs.append(du)
        cat = lambda v, dt: np.concatenate(v) if v else np.zeros(0, dt)  # noqa: E731
        ln = cat(lines, np.int64)
        n = len(ln)
        ch = fixation_chunk(ln, cat(subj, object), cat(stim, object), np.full(n, "", object), cat(xs, float),
                            cat(ys, float), np.full(n, np.nan), cat(durs, float), np.full(n, "", object), "stimulus")
        add_quarantine(ch, cat(bad, np.int64), "malformed_row")
        ch.rows_read = k
        yield ch

    return LogReader(path, "osie", "fixations", chunks, notes={"coordinates": "1-based in the file, made 0-based"})


def raise_missing(path: Path, d: dict):
    """UserError: the MAT file has no ``fixations`` struct."""
    names = ", ".join(k for k in d if not k.startswith("__"))
    raise UserError(f"{path}: not an OSIE fixations file: no variable 'fixations' (it has: {names or 'none'})")


def example_file(path: Path, rng: np.random.Generator, n: int) -> int:
    """Write a small OSIE-layout ``fixations.mat`` (3 images, 2 observers, about ``n`` fixations); its row count."""
    from scipy.io import savemat
    per = max(1, n // 6)
    imgs, total = [], 0
    for i in range(3):
        subs = []
        for _ in range(2):
            m = int(rng.integers(0, per + 1))
            total += m
            subs.append({"fix_x": rng.uniform(1, 800, m), "fix_y": rng.uniform(1, 600, m),
                         "fix_duration": rng.integers(80, 600, m).astype(float)})
        imgs.append({"img": f"{1001 + i}.jpg", "subjects": struct_array(subs)})
    cell = np.empty((len(imgs), 1), dtype=object)  # a cell array of structs, as the published file
    for i, im in enumerate(imgs):
        cell[i, 0] = im
    with open(path, "wb") as fh:
        savemat(fh, {"fixations": cell})
    return total


def struct_array(dicts: list[dict]) -> np.ndarray:
    """A 1 x n MATLAB struct array (numpy record array of objects) for ``scipy.io.savemat``."""
    keys = list(dicts[0])
    a = np.zeros((1, len(dicts)), dtype=[(k, "O") for k in keys])
    for i, d in enumerate(dicts):
        for k in keys:
            a[0, i][k] = d[k]
    return a

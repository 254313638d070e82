"""``salicon``: SALICON fixations JSON (COCO style).

``annotations[i].fixations = [[row, col], ...]``, 1-based, in image pixels
(``../shared/REFERENCES.md`` section 3); ``images[j]`` names each
``image_id``. Each annotation is one worker viewing one image; the chunk's
``line`` is the annotation's number, and an annotation whose fixations or
image cannot be read is quarantined as one row (``malformed_annotation``).
One data row = one fixation point (or one unreadable annotation).

``images[j].width`` / ``height`` declare the image size the points are
pixels of (640 x 480 in SALICON; the SALICON API builds each map at that
size): the chunk hands them on per stimulus name (``Chunk.declared_px``) and
the ingest refuses stimulus images of another size (resized copies would
misplace every point). An entry without a positive whole width and height
declares nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.base.fsutil import read_json
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions
from saliency.data_tools.readers.chunks import fixation_chunk, quarantine_frame

DETECT_RANK = 11  # the file's name or first line
SUFFIXES = (".json",)
#: no ``columns`` key: the reader reads the format's own columns (:func:`data_tools.ingest.check_columns_used`)
COLUMN_KEYS: tuple[str, ...] = ()


def sniff(probe: Probe) -> bool:
    """A file whose first line opens a JSON object."""
    return probe.first.lstrip().startswith("{")


def _as_id(v):
    """An image id as a dict key: an integer, a whole-number float as that integer (a JSON re-saved through
    pandas writes ``1.0``), or a text; None for anything else (a list, an object, a boolean, 1.5)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, float):
        return int(v) if v.is_integer() else None
    return v if isinstance(v, (int, str)) else None


def _as_px(v) -> int | None:
    """A declared width or height: a positive whole number (``640``, ``640.0``), else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return int(v) if v > 0 and float(v).is_integer() else None


def read(path: Path, opts: ReadOptions) -> LogReader:
    """SALICON fixations JSON: points ``[row, col]`` (1-based, image pixels) per worker and image (no options)."""

    def chunks() -> Iterator[Chunk]:
        d = read_json(path, hint="give the SALICON fixations JSON as distributed")
        if not isinstance(d, dict) or not isinstance(d.get("annotations"), list):
            raise UserError(f"{path}: not a SALICON fixations file (no 'annotations' list)")
        images = d.get("images", [])
        if not isinstance(images, list):
            raise UserError(f"{path}: 'images' is not a list; give the SALICON fixations JSON as distributed")
        names, sizes = {}, {}
        for im in images:  # an entry without a usable id names no image: its annotations keep their id as name
            if isinstance(im, dict) and _as_id(im.get("id")) is not None:
                names[_as_id(im["id"])] = str(im.get("file_name", im["id"]))
                w, h = _as_px(im.get("width")), _as_px(im.get("height"))
                if w and h:
                    sizes[_as_id(im["id"])] = (w, h)
        used = set()  # image ids of the annotations read: their declared sizes go with the chunk
        lines, subj, stim, xs, ys = [], [], [], [], []
        bad_lines = []
        for i, ann in enumerate(d["annotations"], start=1):
            try:
                pts = np.asarray(ann["fixations"], dtype=np.float64)
                img = ann["image_id"]
            except (KeyError, TypeError, ValueError):
                bad_lines.append(i)
                continue
            if pts.size == 0:
                pts = pts.reshape(0, 2)
            img = _as_id(img)
            if pts.ndim != 2 or pts.shape[1] != 2 or img is None:  # each point is exactly [row, col]
                bad_lines.append(i)
                continue
            k = len(pts)
            used.add(img)
            lines.append(np.full(k, i))
            subj.append(np.full(k, f"w{ann.get('worker_id', i)}", object))
            stim.append(np.full(k, str(names.get(img, img)), object))
            ys.append(pts[:, 0] - 1.0)
            xs.append(pts[:, 1] - 1.0)
        cat = lambda v, dt: np.concatenate(v) if v else np.zeros(0, dt)  # noqa: E731
        ln = cat(lines, np.int64)
        n = len(ln)
        ch = fixation_chunk(ln, cat(subj, object), cat(stim, object), np.full(n, "", object), cat(xs, float),
                            cat(ys, float), np.full(n, np.nan), np.full(n, np.nan), np.full(n, "", object),
                            "stimulus")
        if bad_lines:
            ch.quarantine = pd.concat([ch.quarantine, quarantine_frame(bad_lines, "malformed_annotation")],
                                      ignore_index=True)
        ch.rows_read = n + len(bad_lines)
        ch.declared_px = {str(names.get(img, img)): wh for img, wh in sizes.items() if img in used}  # file order
        yield ch

    return LogReader(path, "salicon", "fixations", chunks)


def example_file(path: Path, rng, n: int) -> int:
    """A small valid SALICON JSON with ``n`` fixation points over a few annotations (row-accounting tests)."""
    anns, k = [], 0
    while k < n:
        m = min(n - k, int(rng.integers(1, 6)))
        anns.append({"image_id": k % 3, "worker_id": len(anns),
                     "fixations": [[int(rng.integers(1, 480)), int(rng.integers(1, 640))] for _ in range(m)]})
        k += m
    d = {"images": [{"id": i, "file_name": f"img{i}.jpg"} for i in range(3)], "annotations": anns}
    path.write_text(json.dumps(d))
    return n

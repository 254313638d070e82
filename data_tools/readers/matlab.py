"""MATLAB ``.mat`` files of the published fixation datasets: opening them, and what they hold.

Shared by the dataset readers ``osie``, ``mit1003``, ``figrim`` and
``fixlocs`` (not a format itself). MATLAB v4-v7 files are read with
``scipy.io.loadmat`` (``squeeze_me=True, struct_as_record=False``: structs
become objects with attributes, 1x1 arrays scalars); v7.3 files are HDF5 and
need ``h5py``, which the toolkit does not depend on: they are refused with a
line saying how to re-save them (:func:`v73_refusal`), under ``format`` auto
too (their text header ``MATLAB 7.3 MAT-file`` is recognised before any
format is tried).

Coordinates: MATLAB indexes pixels from 1 (the first pixel's centre is 1);
this toolkit's pixel coordinates put the first pixel's centre at 0 (as
numpy), so the dataset readers subtract 1 from every coordinate a dataset
stores in MATLAB's convention (:func:`from_matlab`). A binary map's nonzero
pixels found with numpy are already 0-based.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Probe

MAT_SUFFIX = ".mat"


def is_mat(probe: Probe) -> bool:
    """Whether the probed file is named ``*.mat``."""
    return probe.path.suffix.lower() == MAT_SUFFIX


def whos(path: Path) -> list[tuple[str, tuple, str]]:
    """``(name, shape, class)`` of each variable of a MAT file; [] when it is not a readable v4-v7 MAT file."""
    try:
        from scipy.io import whosmat
        return [(n, tuple(s), c) for n, s, c in whosmat(str(path))]
    except Exception:  # not a MAT file, v7.3 (HDF5), truncated: not ours to claim
        return []


V73_HEADER = b"MATLAB 7.3 MAT-file"


def is_v73(head: bytes) -> bool:
    """Whether a file's first bytes open with a MATLAB v7.3 (HDF5) MAT file's text header."""
    return head.startswith(V73_HEADER)


def v73_refusal(path: Path, what: str) -> UserError:
    """The one line for a MATLAB v7.3 file: h5py is not a dependency; re-save it with ``-v7``."""
    return UserError(f"{path}: a MATLAB v7.3 (HDF5) file, which needs h5py; "
                     f"re-save it in MATLAB with save(name, '-v7') to read it as {what}")


V5_HEADER = b"MATLAB 5.0 MAT-file"


def looks_v5(head: bytes) -> bool:
    """Whether a file's first bytes are a MATLAB v5-v7 MAT file's text header, or the start of one (a file cut
    inside its header; an empty file is not one)."""
    return head.startswith(V5_HEADER) or (0 < len(head) < len(V5_HEADER) and V5_HEADER.startswith(head))


def damaged(path: Path, exc: Exception) -> UserError:
    """The one line for a v5-v7 MAT file scipy cannot read: cut short (copied while written) or damaged."""
    return UserError(f"{path}: a MATLAB file cut short or damaged ({type(exc).__name__}: {str(exc)[:120]}); "
                     f"copy it again")


def refuse_damaged(path: Path, head: bytes) -> None:
    """UserError (:func:`damaged`) when ``head`` opens a v5-v7 MAT file whose variables scipy cannot list (or
    that has none).

    Under ``format`` auto the dataset sniffers call :func:`whos`, which says [] for such a file: it was
    "unknown format (header 'MATLAB 5.0 MAT-file ...')" instead of a file cut short."""
    if not looks_v5(head):
        return
    try:
        from scipy.io import whosmat
        names = whosmat(str(path))
    except Exception as exc:  # scipy raises several types for a damaged file
        raise damaged(path, exc) from None
    if not names:  # its 128-byte header and nothing after it
        raise UserError(f"{path}: a MATLAB file with no variables (cut short after its header, or saved empty); "
                        f"copy it again")


def load(path: Path, what: str) -> dict:
    """All variables of a MAT file (structs as attribute objects); UserError naming ``what`` when unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(128)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    if b"MATLAB 7.3" in head:
        raise v73_refusal(path, what)
    try:
        from scipy.io import loadmat
        return loadmat(str(path), squeeze_me=True, struct_as_record=False, mat_dtype=False)
    except Exception as exc:  # scipy raises several types for a damaged file
        if looks_v5(head):  # a MAT file's header, then bytes scipy cannot read: cut short or damaged
            raise damaged(path, exc) from None
        raise UserError(f"{path}: cannot read as a MATLAB file ({type(exc).__name__}: {str(exc)[:120]})") from None


def items(value) -> list:
    """A MATLAB struct array (or one struct, or nothing) as a list of elements."""
    if value is None:
        return []
    if isinstance(value, np.ndarray):
        return list(value.ravel())
    return [value]


def field(obj, name: str, path: Path, where: str):
    """Attribute ``name`` of a MATLAB struct; UserError naming the file and the place when it is absent."""
    if not hasattr(obj, name):
        have = ", ".join(getattr(obj, "_fieldnames", []) or [])
        raise UserError(f"{path}: {where} has no field {name!r} (fields: {have or 'none'})")
    return getattr(obj, name)


def vector(value) -> np.ndarray:
    """A MATLAB numeric vector (or scalar, or empty) as a 1-D float array."""
    if value is None:
        return np.zeros(0)
    a = np.asarray(value)
    if a.dtype == object or a.dtype.kind in "USV":
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            return np.full(a.size, np.nan)
    return a.astype(np.float64, copy=False).ravel()


def points(value) -> np.ndarray:
    """A MATLAB N x 2 (or more columns) array as a float array of shape (N, k>=2); empty -> (0, 2).

    ``squeeze_me`` makes a 1 x 2 point and an N x 1 column alike 1-D: a 1-D
    array of exactly 2 numbers is one (x, y) point; any other 1-D array (a
    column, a row of 3) is not N x 2 and raises ValueError, as fewer than two
    columns does: the caller quarantines or refuses it, no number dropped. More
    than two columns are returned as they are: the caller decides (``figrim``
    quarantines them as ``malformed_row``).
    """
    a = np.asarray(value if value is not None else np.zeros((0, 2)))
    if a.dtype == object:
        a = a.astype(np.float64)
    a = a.astype(np.float64, copy=False)
    if a.size == 0:
        return np.zeros((0, 2))
    if a.ndim == 0:
        raise ValueError("one number, x and y need 2 columns")
    if a.ndim == 1:
        if len(a) != 2:  # an N x 1 column or a 1 x k row squeezed: not one (x, y) point
            raise ValueError(f"{len(a)} numbers in one row or column, not N x 2 (x and y per row)")
        a = a.reshape(1, 2)  # one point, squeezed
    if a.ndim != 2:
        raise ValueError(f"{a.ndim}-D array, not N x 2")
    if a.shape[1] < 2:
        raise ValueError(f"{a.shape[1]} column(s), x and y need 2")
    return a


def from_matlab(coord: np.ndarray) -> np.ndarray:
    """MATLAB's 1-based pixel coordinates -> ours (0 = the centre of the first pixel): subtract 1."""
    return np.asarray(coord, dtype=np.float64) - 1.0

"""The registry of log formats: one line per format module, and the dispatch that iterates it.

A format is a module of this package named after it (``-`` spelled ``_``) that
exposes:

- ``sniff(probe) -> bool``: whether a file's first line
  (:class:`~data_tools.readers.base.Probe`) is in this format;
- ``read(path, opts) -> LogReader``: open the file
  (:class:`~data_tools.readers.base.ReadOptions`);
- ``SUFFIXES``: file-name suffixes that claim the format before any content is
  read (``.asc``, ``.json``);
- ``DETECT_RANK``: where its sniffer stands in auto-detection (lower first):
  10s the file's name or first-line signature, 20s vendor column names, 90s
  the generic column-name formats that accept almost any table.

Adding a format = adding its module and one line to :data:`REGISTRY`.
Modules are imported when first needed, so listing :data:`FORMATS` (the
command line's ``--format`` choices) imports neither numpy nor pandas.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from saliency.base.errors import UserError
from saliency.data_tools.choices import PUPIL_MIN_CONFIDENCE
from saliency.data_tools.readers.base import CHUNK_ROWS, TEXT_PROBE_BYTES, LogReader, Probe, ReadOptions, check_text

# The formats, in the order the ``format`` choices list them.
REGISTRY = (
    "samples",
    "fixations",
    "eyelink-report",
    "eyelink-asc",
    "tobii",
    "pupil",
    "salicon",
    "begaze",
    "tobii-studio",
    "gazepoint",
    "tobii-sdk",
    "osie",
    "mit1003",
    "figrim",
    "fixlocs",
)
FORMATS = ("auto", *REGISTRY)


def format_module(name: str) -> ModuleType:
    """The module of a registered format (``name`` as in :data:`REGISTRY`)."""
    if name not in REGISTRY:
        raise UserError(f"`format` {name!r}: choose one of {', '.join(FORMATS)}")
    return importlib.import_module(f"{__package__}.{name.replace('-', '_')}")


def detection_order() -> list[tuple[str, ModuleType]]:
    """``(name, module)`` of every format in the order auto-detection tries them (by ``DETECT_RANK``)."""
    mods = [(name, format_module(name)) for name in REGISTRY]
    return sorted(mods, key=lambda nm: nm[1].DETECT_RANK)


def detect_format(path: Path, columns: dict | None = None) -> str:
    """Guess the format of ``path`` from its name, then its header; UserError when nothing fits.

    A MATLAB v7.3 (HDF5) file, which no reader opens without h5py, is refused
    at once with the advice to re-save it with ``-v7``, as ``format`` osie
    and the other MATLAB formats refuse it (not as an unknown format).
    """
    order = detection_order()
    suffix = path.suffix.lower()
    for name, mod in order:
        if suffix in mod.SUFFIXES:
            return name
    _refuse_v73(path)
    probe = Probe(path, columns)
    for name, mod in order:
        if mod.sniff(probe):
            return name
    if probe.column_errors:  # a mapped column the file lacks: that, not "unknown format"
        raise probe.column_errors[0]
    if columns:
        _refuse_taken_key(path, order, probe.columns)
    raise UserError(f"{path}: unknown format (header {probe.first[:120]!r}); pass `format` "
                    f"{'|'.join(FORMATS[1:])} and `columns` if needed")


def _refuse_taken_key(path: Path, order, columns: dict) -> None:
    """When a generic layout (fixations, samples) matches the file's header without ``columns`` but not with it, as
    ``columns`` x=y takes the column y was found by: that layout's reader's one line (``no column for y``), as
    ``format`` given says it, not "unknown format"."""
    from saliency.data_tools.readers.base import header_columns, resolve_columns
    from saliency.data_tools.readers.chunks import GENERIC_NEEDS, refuse_missing_keys

    header = None
    for name, mod in order:
        if name not in GENERIC_NEEDS or not mod.sniff(Probe(path)):
            continue
        header = header or header_columns(path)[0]
        refuse_missing_keys(path, name, resolve_columns(header, columns, path, mod.COLUMN_KEYS), name)


def _refuse_v73(path: Path) -> None:
    """UserError when ``path`` opens with the text header of a MATLAB v7.3 (HDF5) MAT file, or with a v5-v7 MAT
    file's header but scipy cannot list its variables (cut short or damaged: :func:`~.matlab.refuse_damaged`)."""
    from saliency.data_tools.readers import matlab  # numpy: imported only when a file is detected

    try:
        with open(path, "rb") as fh:
            head = fh.read(len(matlab.V73_HEADER))
    except OSError:
        return  # the probe names the file and the system's reason
    if matlab.is_v73(head):
        raise matlab.v73_refusal(path, "a dataset's MATLAB file (OSIE, MIT1003, FIGRIM, fixation-location maps)")
    matlab.refuse_damaged(path, head)


def check_log_path(path: Path) -> None:
    """Refuse a log path that is no readable file, in one line saying which: missing, a folder, or unreadable.

    Checked before the format is guessed (a folder was "no such file", and an
    unreadable ``.json`` was judged by its extension to hold fixation events),
    by :func:`open_log` and the ingest's and detect's ``open_reader``, with
    ``format`` auto or given: the one place every log passes before a reader
    reads it. An empty file (0 bytes) is refused here, whatever the format
    (``<path>: the file is empty``). A text input in UTF-16 or gzip-compressed
    is refused here too (:func:`~data_tools.readers.base.check_text`); a
    ``.mat`` file is binary by design and not checked.
    """
    if path.is_dir():
        raise UserError(f"{path}: a folder, not a log file; give the log files themselves (e.g. {path}/*.csv)")
    if not path.is_file():
        if path.exists():  # a pipe, a device or /dev/stdin: read more than once (format, chunks), so refused
            raise UserError(f"{path}: not a regular file (a pipe or a device); save it to a file first")
        raise UserError(f"{path}: no such file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(TEXT_PROBE_BYTES)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror}); check its permissions") from None
    if not head:  # 0 bytes: said so, not "unknown format (header '')" or a format's unrelated complaint
        raise UserError(f"{path}: the file is empty")
    if path.suffix.lower() != ".mat":
        check_text(path, head)


def open_log(path: str | Path, fmt: str = "auto", columns: dict | None = None, time_unit: str | None = None,
             tracker_events: bool = False, min_confidence: float = PUPIL_MIN_CONFIDENCE,
             chunk_rows: int = CHUNK_ROWS) -> LogReader:
    """Open one log file; ``tracker_events`` reads the tracker's fixations (EFIX, Tobii) instead of samples.

    ``chunk_rows``: rows read at a time, a whole number >= 1 (else refused naming it, before the file is read).
    """
    from saliency.data_tools.readers.chunks import check_chunk_rows  # numpy: imported only when a log is opened

    chunk_rows = check_chunk_rows(chunk_rows)
    path = Path(path)
    check_log_path(path)
    if fmt not in FORMATS:
        raise UserError(f"`format` {fmt!r}: choose one of {', '.join(FORMATS)}")
    columns = columns or {}
    if fmt == "auto":
        fmt = detect_format(path, columns)
    opts = ReadOptions(columns=columns, time_unit=time_unit, tracker_events=tracker_events,
                       min_confidence=min_confidence, chunk_rows=chunk_rows)
    return format_module(fmt).read(path, opts)

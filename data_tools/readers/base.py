"""What every reader shares without reading data: canonical shapes, column names, headers.

- the canonical chunk shapes (:class:`Chunk`, ``SAMPLE_COLS``, ``FIX_COLS``,
  ``QUAR_COLS``, ``QUAR_KEYS``) and an opened log (:class:`LogReader`);
- generic column names and their units (``ALIASES``, :func:`split_unit`,
  :func:`unit_factor`, :func:`stated_unit`), the user's ``columns`` mapping (:func:`parse_columns`,
  :func:`resolve_columns`);
- a file's first line and delimiter (:func:`read_header`) and the
  :class:`Probe` that format sniffers look at; the refusal of a file that is
  no UTF-8 or Windows-1252 text (UTF-16, gzip: :func:`check_text`);
- :class:`ReadOptions`, the choices a format's reader may use.

Field names from ``../shared/REFERENCES.md`` section 3. This module needs
neither numpy nor pandas, so that listing the formats (``FORMATS``) and parsing
``columns`` stay cheap for the command line; frames are built in
:mod:`data_tools.readers.chunks`.

Row accounting (every reader, every file)
-----------------------------------------
A *data row* is what a format records once per sample or per event: a
non-blank line after the header of a delimited table (a line whose fields are
all empty is blank), a sample line (samples) or an ``EFIX`` line (tracker
events) of an EyeLink ASC file, a fixation point of a JSON or MATLAB dataset.
Each format module says in its docstring what its rows are. Every data row
ends in exactly one of three places:

- **kept**: a row of a chunk's ``df`` (one canonical row stands for one data
  row, and carries that row's ``line``);
- **quarantined**: a row of a chunk's ``quarantine`` with a ``reason``: rows
  that something is wrong with (a bad value, a malformed line, no trial, no
  stimulus). They are written one per line to ``quarantine.csv``, so a user
  can look each one up in the file;
- **counted**: ``Chunk.counted[reason] += 1``: rows a format holds by design
  that the reading does not use as rows, and that are *not* faults: the
  further sample rows of a tracker fixation already kept under its first line
  (``fixation_sample``), the saccade, blink and unclassified rows of an event
  export read for its fixations (``not_fixation``). They are counted per reason
  and not listed one by one: a 1 M-row Tobii export has ~900 k such rows, and a
  quarantine of them would bury the rows that need a look.

``Chunk.rows_read`` is the number of data rows the chunk covers, counted from
the file's lines (or the dataset's arrays) independently of how they parse;
the identity each chunk must hold is ::

    rows_read == len(df) + len(quarantine) + sum(counted.values())

:func:`account_rows` sums it over a reader's chunks and lists the chunks that
break it; the tests check it on corrupted inputs for every registered format
(``tests/ingest_fakes.py: assert_rows_accounted``). The ingest keeps the same
books per input file downstream (``dataset.json`` ``inputs[i].rows``), with its
own quarantine reasons (``outside_trial``, ``no_stimulus``,
``unknown_stimulus``, ``off_screen``, ...).

Example: a Tobii Pro Lab event export of 10 data lines, rows 2-5 one
fixation, 6-7 a saccade, 8 a fixation row with ``Recording timestamp``
``abc``, 9-11 a second fixation::

    Chunk(kind="fixations", df=<2 rows: lines 2 and 9>,
          quarantine=<1 row: line 8, bad_time>, rows_read=10,
          counted={"fixation_sample": 5, "not_fixation": 2})   # 10 == 2 + 1 + 7
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from saliency.base.errors import UserError
from saliency.base.names import nfc, same_name

if TYPE_CHECKING:  # pragma: no cover - annotations only
    import pandas as pd

SAMPLE_COLS = ["subject", "stimulus", "trial", "time_ms", "x", "y", "valid", "line"]
FIX_COLS = ["subject", "stimulus", "trial", "x", "y", "t_start_ms", "duration_ms", "eye", "line"]
QUAR_COLS = ["line", "reason", "subject", "stimulus", "x", "y"]
#: the scanpath key a fixation row quarantined for a value that did not parse carries when its reader parsed it
#: (:func:`~data_tools.readers.chunks.fixation_chunk`: its trial, "" for none, and its eye); NaN where a reader
#: did not say. Internal (ingest ``drop_first``): quarantine.csv lists ``QUAR_COLS`` only
QUAR_KEYS = ["trial", "eye"]
CHUNK_ROWS = 500_000
MISSING = {"", ".", "nan", "NaN", "NA", "N/A", "null", "None", "-"}
#: missing subject ids: MISSING less ``NA`` and ``None``, which label real observers (initials, a name);
#: read as missing they merged two observers into the file's default subject without a word
ID_MISSING = MISSING - {"NA", "None"}

# generic column names (case-insensitive, unit suffix stripped) -> canonical key
ALIASES = {
    "subject": ["subject", "participant", "observer", "participant name", "worker", "sub"],
    "stimulus": ["stimulus", "image", "media", "stimulus_name", "img", "media name", "presented media name"],
    "trial": ["trial", "trial_index", "trial index"],
    "time": ["time_ms", "time", "timestamp", "t", "time_s", "time_us"],
    "x": ["x", "gaze_x", "gx", "fix_x"],
    "y": ["y", "gaze_y", "gy", "fix_y"],
    "valid": ["valid", "validity"],
    "t_start_ms": ["t_start_ms", "t_start", "start_ms", "start", "onset", "start_time"],
    "t_end_ms": ["t_end_ms", "t_end", "end_ms", "end", "offset", "end_time"],
    "duration_ms": ["duration_ms", "duration", "dur"],
    "eye": ["eye"],
}
UNIT_MS = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ns": 1e-6}


@dataclass
class Chunk:
    """A block of canonical rows from one file, with the rows it rejected."""

    kind: str  # "samples" or "fixations"
    space: str  # "screen", "stimulus", "screen_norm" or "stimulus_norm"
    df: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int | None = None  # data rows this chunk covers, counted from the file (None: not stated)
    counted: dict = field(default_factory=dict)  # reason -> rows set aside by design, not listed one by one
    #: stimulus name (as the rows carry it) -> ``(w, h)``: the image size the file declares its coordinates in
    #: (SALICON ``images[].width``/``height``, a fixation-location map's shape). The ingest refuses a stimulus
    #: image of another size (:func:`data_tools.ingest.check_declared_sizes`); {} when the format declares none
    declared_px: dict = field(default_factory=dict)

    def balance(self) -> int:
        """``rows_read - kept - quarantined - counted``: 0 when every row is accounted for."""
        if self.rows_read is None:
            raise ValueError("chunk does not state rows_read")
        return int(self.rows_read) - len(self.df) - len(self.quarantine) - int(sum(self.counted.values()))


@dataclass
class LogReader:
    """An opened log: its format, what it holds, and a generator of chunks."""

    path: Path
    format: str
    kind: str
    chunks: Callable[[], Iterator[Chunk]]
    screen_px: tuple[int, int] | None = None  # resolution the file itself declares (ASC, Tobii Studio, BeGaze)
    notes: dict = field(default_factory=dict)  # recorded in dataset.json ``inputs`` (JSON-able values)
    trials: bool = False  # the format marks trials: a row with an empty trial and stimulus lies outside them


@dataclass(frozen=True)
class ReadOptions:
    """The choices of :func:`~data_tools.readers.open_log` a format's ``read`` may use."""

    columns: dict = field(default_factory=dict)  # canonical key -> file column (``columns``)
    time_unit: str | None = None  # unit of the generic time columns when the header does not say
    tracker_events: bool = False  # the tracker's own fixations (EyeLink EFIX, Tobii) instead of samples
    #: Pupil Labs: fixations below this confidence are quarantined (None: the reader's default, 0.6)
    min_confidence: float | None = None
    chunk_rows: int = CHUNK_ROWS
    #: binocular samples: ``average`` (the mean where both eyes are valid, else the valid eye), ``left`` or
    #: ``right``; formats with per-eye gaze honour it (module attribute ``EYES = True``), others refuse a choice
    eye: str = "average"
    #: the decimal mark of the numbers in a delimited log: ``point`` (``500.13``) or ``comma`` (``500,13``, as
    #: European-locale exports write them; :func:`data_tools.readers.chunks.numeric` reads them)
    decimal: str = "point"


def check_eye(eye: str) -> str:
    """``eye`` itself when it is ``average``, ``left`` or ``right``; else one line naming the choices."""
    if eye not in ("average", "left", "right"):
        raise UserError(f"`eye` {eye!r}: choose one of average, left, right")
    return eye


def eye_columns_missing(path: Path, vendor: str, eye: str, need: list[str], have: list[str], line: int = 1,
                        average: str = "") -> UserError:
    """The one-line refusal of ``eye`` left/right for a file without that eye's columns (``need``), naming the
    file, the columns it lacks and the gaze columns it has (``have``); ``average``: what `eye` average reads."""
    shown = ", ".join(repr(h) for h in have if h)[:300] or "none"
    avg = f" ({average})" if average else ""
    return UserError(f"{path}: line {line} (the header): `eye` {eye} needs the {vendor} per-eye columns "
                     f"{', '.join(repr(c) for c in need)}, which this export lacks; its gaze columns are {shown}; "
                     f"use `eye` average{avg}")


def one_eye_only(path: Path, eye: str, n_other: int) -> UserError:
    """The refusal after reading a file with no valid sample of the chosen ``eye`` but ``n_other`` of the other one
    (a monocular recording), worded as the Tobii Pro Lab reader words it."""
    other = "right" if eye == "left" else "left"
    return UserError(f"{path}: `eye` {eye}: no valid {eye}-eye sample, but {n_other} of the {other} eye: a "
                     f"recording of the {other} eye only; use `eye` {other} or average")


def no_eye_in_events(path: Path, eye: str, what: str) -> UserError:
    """The refusal of ``eye`` left/right for a reading whose rows are of both eyes together (``what``)."""
    return UserError(f"{path}: `eye` {eye}: {what} are of both eyes together, with no eye to choose; use `eye` "
                     f"average")


def split_unit(name: str) -> tuple[str, str | None]:
    """``"Recording timestamp [μs]"`` -> ``("recording timestamp", "μs")``; names lower-cased."""
    m = re.match(r"^\s*(.*?)\s*[\[(]\s*([^\])]+?)\s*[\])]\s*$", name)
    if m:
        return m.group(1).strip().lower(), m.group(2)
    base = name.strip().lower()
    m = re.match(r"^(.*)_(ms|s|us)$", base)
    if m and m.group(1) in ("time", "start", "end", "t_start", "t_end", "duration"):
        return base, m.group(2)
    return base, None


def unit_factor(unit: str | None, default: float, what: str) -> float:
    """Milliseconds per unit (``ms``, ``s``, ``us``/``µs``, ``ns``)."""
    if unit is None:
        return default
    u = unit.strip().lower().replace("μ", "µ")
    for k, v in UNIT_MS.items():
        if u == k.replace("μ", "µ"):
            return v
    if unreadable_unit(unit):
        raise UserError(f"{what}: unit {printable(unit)!r} unreadable (its 'μ' was probably lost in re-saving the "
                        f"file); edit the header to [us]")
    raise UserError(f"{what}: unknown time unit {unit!r}; use ms, s, us or ns")


def unreadable_unit(unit: str | None) -> bool:
    """Whether a header's unit lost a letter in a re-save: ``?s`` (a Windows-1252 writer's '?' for 'μ') or
    ``\ufffds`` (a decoder's replacement character): no unit at all, not an unknown one."""
    return unit is not None and ("?" in unit or "\ufffd" in unit)


def stated_unit(unit: str | None, time_unit: str | None, what: str) -> str | None:
    """The unit a time column's header states (``unit``, from :func:`split_unit`), for a reader that takes
    ``time_unit`` when it states none: an unreadable one (:func:`unreadable_unit`) is none when ``time_unit`` is
    given (that applies), else one line naming the column (``what``) and the fix."""
    if not unreadable_unit(unit):
        return unit
    if time_unit is not None:
        return None
    raise UserError(f"{what}: unit {printable(unit)!r} unreadable (its 'μ' was probably lost in re-saving the "
                    f"file): give `time_unit` us, or edit the header to [us]")


def parse_columns(spec: str | None) -> dict[str, str]:
    """``"time=TIMESTAMP,x=GazeX"`` -> ``{"time": "TIMESTAMP", "x": "GazeX"}`` (the ``columns`` mapping).

    Items are split only at a comma followed by a key and ``=`` (or by another comma or the end), so a
    column name may hold commas: ``x=Gaze X, px,y=Gaze Y, px`` maps x to ``Gaze X, px``; a comma followed by
    another word and ``=`` (``time=T,tme=X``) is refused as an unknown key, as before. A fragment without
    ``=`` is refused naming it: the first (``y,x=GX``), a bare key after a comma (``x=GX,y``) or one starting
    with ``=`` (``x=GX,=GY``). A key given twice (``time=a,time=b``) is refused in one line naming its
    columns: only the last was kept. A spec with no item (``,`` or blanks) is refused, as an empty one is by
    the command line; the values are quoted with their control characters escaped (one line).
    """
    if not spec:
        return {}
    if not spec.replace(",", "").strip():  # ',' or ' ': no item, refused as the empty value is
        raise UserError(f"`columns` {spec!r}: empty value; give KEY=COL,... (e.g. time=TIMESTAMP)")
    given: dict[str, list[str]] = {}
    keys = set(ALIASES) | {"pupil", "confidence"}
    known = "|".join(sorted(map(re.escape, keys), key=len, reverse=True))
    for part in re.split(rf",(?=\s*(?:(?:{known})\s*=|,|$))", spec):
        if not part.strip():
            continue
        if "=" not in part:
            where = "" if part == spec else f" (in {spec!r})"
            raise UserError(f"`columns` {part.strip()!r}{where}: each item must be KEY=COLUMN (e.g. time=TIMESTAMP)")
        k, v = (s.strip() for s in part.split("=", 1))
        for frag in v.split(",")[1:]:  # 'x=GX,y' or 'x=GX,=GY': a fragment after a comma that is a bare key or
            if frag.strip() in keys or frag.strip().startswith("="):  # lacks its key, not part of a column name
                raise UserError(f"`columns` {frag.strip()!r} (in {spec!r}): each item must be KEY=COLUMN "
                                "(e.g. time=TIMESTAMP)")
        other = re.search(r",\s*([^\s,=][^,=]*?)\s*=", v)  # a word before '=' after a comma: a key misspelt
        if k not in keys or other:
            bad = k if k not in keys else other.group(1)
            raise UserError(f"`columns`: unknown key {bad!r}; keys are {', '.join(sorted(keys))}")
        given.setdefault(k, []).append(v)
    for k, vs in given.items():
        if len(vs) > 1:
            times = "twice" if len(vs) == 2 else f"{len(vs)} times"
            raise UserError(f"`columns`: key {k!r} given {times} ({printable(', '.join(vs))}); give each key once")
    return {k: vs[0] for k, vs in given.items()}


#: the decoding error handler of every reader: a byte that is not UTF-8 is read as Windows-1252 (Latin-1 where
#: 1252 leaves it undefined). Exports written on Windows in the system's code page (Tobii Studio, BeGaze,
#: Gazepoint) hold names such as 'J\xf6rg' and 'J\xfcrg'; read with "replace", both became 'J\ufffdrg': two
#: subjects merged without a word. Now they stay two names, spelled as the export means them.
DECODE_ERRORS = "saliency-cp1252"


def _cp1252_bytes(exc: UnicodeError):
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    out = []
    for b in bad:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out), exc.end


codecs.register_error(DECODE_ERRORS, _cp1252_bytes)


#: how many of a file's first bytes :func:`check_text` looks at
TEXT_PROBE_BYTES = 64


def check_text(path: Path, head: bytes | None = None) -> None:
    """Refuse, in one line naming the file, a text input the readers would misread: UTF-16/UTF-32, gzip.

    ``head``: the file's first bytes (read here when None). UTF-16 is a
    UTF-16/UTF-32 byte-order mark, or NUL bytes at every other position (text
    saved as UTF-16 without a mark: at least half the bytes of one parity are
    NUL, as a letter beyond Latin-1, the ``μ`` of Tobii's ``[μs]``, fills its
    high byte, and none of the other parity; a MATLAB v4 file has NULs at
    both); gzip is its magic number
    ``1f 8b`` (``.asc.gz``, ``.tsv.gz``). Both were read as Windows-1252 text:
    "unknown format", a column "missing", every sample ``non_numeric`` with the
    advice of ``decimal`` comma. A UTF-8 or Windows-1252 file holds no NUL, so
    it always passes. For text formats only: a MATLAB file is binary by design.
    """
    if head is None:
        fh = open_input(path, "rb")
        with fh:
            head = fh.read(TEXT_PROBE_BYTES)
    head = head[:TEXT_PROBE_BYTES]
    if head.startswith(b"\x1f\x8b"):
        raise UserError(f"{path}: gzip-compressed; decompress it first (gunzip {path})")
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise UserError(f"{path}: UTF-32 text; save it as UTF-8 (or Windows-1252) and read it again")
    pairs = head[:len(head) // 2 * 2]
    even, odd = pairs[0::2], pairs[1::2]
    nul_every_other = len(pairs) >= 4 and any(
        2 * a.count(0) >= len(a) and 0 not in b for a, b in ((even, odd), (odd, even)))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or nul_every_other:
        raise UserError(f"{path}: UTF-16 text; save it as UTF-8 (or Windows-1252) and read it again")


def printable(text: str) -> str:
    """``text`` with its control characters escaped (``\\x00``, ``\\x1b``), for quoting file text in a message."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


NAME_SHOWN = 80  # characters of a name a message shows (a 100,000-character name filled the terminal)


def shown_name(name) -> str:
    """``name`` quoted for a message: its first :data:`NAME_SHOWN` characters, then ``...`` (outside the quotes,
    no part of the name) when it is longer. Every message quoting a name from a log or a folder cuts it so."""
    name = str(name)
    return repr(name[:NAME_SHOWN]) + ("..." if len(name) > NAME_SHOWN else "")


def open_input(path: Path, mode: str = "r", **kwargs):
    """``open(path, mode, **kwargs)``, or one UserError naming the file when the system refuses it."""
    try:
        return open(path, mode, **kwargs)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None


def read_header(path: Path) -> tuple[str, str]:
    """First line of a text file (BOM stripped) and its delimiter (tab, semicolon or comma)."""
    try:
        with open(path, "r", encoding="utf-8-sig", errors=DECODE_ERRORS) as fh:
            first = fh.readline().rstrip("\r\n")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    if "\t" in first:
        sep = "\t"
    elif first.count(";") > first.count(","):
        sep = ";"
    else:
        sep = ","
    return first, sep


def split_header(first: str, sep: str) -> list[str]:
    """A header line's column names, stripped, split by CSV rules: ``"x","y"`` (R's ``write.csv``) gives x, y."""
    if '"' not in first:
        return [h.strip() for h in first.split(sep)]
    try:
        fields = next(csv.reader([first], delimiter=sep, quotechar='"', doublequote=True, strict=True), [])
    except csv.Error:  # an unclosed quote: the plain split, which names the column as written
        fields = first.split(sep)
    return [h.strip() for h in fields]


def header_columns(path: Path) -> tuple[list[str], str]:
    """Column names of a delimited file (stripped, unquoted) and its delimiter."""
    first, sep = read_header(path)
    return split_header(first, sep), sep


def header_column(header: list[str], name: str) -> str | None:
    """The column of ``header`` that ``name`` (a ``columns`` value) names, spelled as the header spells it: the
    same text, else the same in Unicode NFC (:func:`~saliency.base.names.nfc`: a header saved in NFD,
    ``Dure\u0301e``, and a name typed in NFC, ``Durée``, are one column); None when there is none."""
    return same_name(header, name)


def refuse_taken_defaults(path, fmt: str, columns: dict, defaults: dict) -> None:
    """Refuse a key whose default column (``defaults``: key -> the vendor reader's own column) a ``columns`` key
    reads: a column is read by the key that names it only (``x=Gaze point Y`` read y from it too: x == y on every
    sample), so the other key has no column, said as the readers say a missing one."""
    taken = {v: k for k, v in columns.items()}
    for k, c in defaults.items():
        if not columns.get(k) and c in taken:
            raise UserError(f"{path}: no column for {k} (the {fmt} format needs {', '.join(defaults)}; its column "
                            f"{c!r} is read as {taken[c]}); name them with `columns` KEY=COLUMN")


def resolve_columns(header: list[str], user: dict[str, str], path: Path,
                    keys=None, preset: dict[str, str] | None = None) -> dict[str, tuple[str, str | None]]:
    """Canonical key -> (file column, unit) from the ``columns`` mapping first, then by alias.

    A mapped name is compared with the header in Unicode NFC (:func:`header_column`); the file column returned
    is spelled as the header spells it, the name the table is read by.

    With ``keys`` (a reader's ``COLUMN_KEYS``) only those keys of ``user`` are
    looked up: a key meant for another input of the run is not this file's.

    One file column is read by one key: two keys of ``user`` naming the same column (``x=x,y=x``) are refused,
    naming both keys and the column, and a column a key of ``user`` names is never given to another key by
    alias (with ``x=y``, y takes its next alias or is missing, which the readers refuse): else every fixation
    would lie on the diagonal.

    ``preset``: a reader's built-in column names (key -> column, each in the header), read after ``user`` and
    before the aliases. They are not the user's: a key of ``user`` overrides its own, a column a key of ``user``
    names is not a preset key's too (that key then takes an alias or is missing), and a preset never makes two
    keys "both name" a column in a refusal.
    """
    found: dict[str, tuple[str, str | None]] = {}
    claimed: dict[str, str] = {}  # file column -> the key of ``user`` that reads it
    for k, col in user.items():
        if keys is not None and k not in keys:
            continue
        named = header_column(header, col)
        if named is None:
            raise UserError(f"{path}: `columns` {printable(k + '=' + col)}: no such column; the file has "
                            f"{printable(', '.join(header))}")
        if named in claimed:
            raise UserError(f"{path}: `columns`: keys {claimed[named]} and {k} both name column "
                            f"{printable(shown_name(named))}; map each key to a column of its own")
        claimed[named] = k
        found[k] = (named, split_unit(named)[1])
    for k, col in (preset or {}).items():
        named = header_column(header, col)
        if k in found or named is None or named in claimed:
            continue
        claimed[named] = k
        found[k] = (named, split_unit(named)[1])
    bases = {}
    for col in header:
        if col in claimed:  # read by a key of ``user``: no other key's by alias
            continue
        base, unit = split_unit(col)
        bases.setdefault(base, (col, unit))
    for key, names in ALIASES.items():
        if key in found:
            continue
        for n in names:
            if n in bases:
                col, unit = bases[n]
                if unit is None:
                    m = re.match(r"^.*_(ms|s|us)$", n)
                    unit = m.group(1) if m else None
                found[key] = (col, unit)
                break
    return found


def default_subject(path: Path) -> str:
    """Subject name for files without a subject column: the file stem (Pupil: the recording folder's name).

    Pupil Player writes ``<recording>/exports/000/fixations.csv`` (the export
    number counts up from ``000``), so there the recording is three folders up;
    a file in any other folder takes that folder's name.
    """
    stem = nfc(path.stem)  # one Unicode form, as the subject columns and trials tables are read
    if stem.startswith("fixations") or stem in ("gaze_positions", "samples"):
        parts = Path(os.path.abspath(path)).parts
        if len(parts) >= 4 and parts[-3] == "exports" and parts[-2].isdigit():
            return nfc(parts[-4])
        return nfc(path.parent.name) or stem
    return stem


class Probe:
    """What the format sniffers look at: one file's first line, read once, and views of it.

    ``names`` are the column names lower-cased with their unit stripped;
    ``generic`` the canonical keys found by alias or the ``columns`` mapping
    (computed on first use; a mapping to a missing column raises there).
    """

    def __init__(self, path: Path, columns: dict | None = None):
        self.path = Path(path)
        self.columns = columns or {}
        self.first, self.sep = read_header(self.path)
        self.column_errors: list[UserError] = []  # :meth:`generic_for`'s, in the order the sniffers met them

    @cached_property
    def names(self) -> set[str]:
        """Lower-cased column names without unit suffixes."""
        return {split_unit(h)[0] for h in split_header(self.first, self.sep)}

    @cached_property
    def generic(self) -> dict[str, tuple[str, str | None]]:
        """Canonical key -> (file column, unit), as :func:`resolve_columns` finds them."""
        return resolve_columns(split_header(self.first, self.sep), self.columns, self.path)

    def generic_for(self, keys) -> dict[str, tuple[str, str | None]]:
        """:attr:`generic` with only the ``columns`` keys of ``keys`` (a sniffer's reader's ``COLUMN_KEYS``): a key
        meant for another input of the run is not looked up here. A mapping to a column this file lacks makes it
        no match ({}), and the error is kept in ``column_errors`` (raised when no format matches)."""
        try:
            return resolve_columns(split_header(self.first, self.sep), self.columns, self.path, keys)
        except UserError as exc:
            self.column_errors.append(exc)
            return {}


@dataclass
class RowCount:
    """A reader's books over all its chunks (:func:`account_rows`)."""

    read: int = 0
    kept: int = 0
    quarantined: dict = field(default_factory=dict)  # reason -> rows
    counted: dict = field(default_factory=dict)  # reason -> rows
    problems: list = field(default_factory=list)  # one line per chunk that breaks the identity

    @property
    def balanced(self) -> bool:
        """Whether ``read == kept + quarantined + counted`` held in every chunk."""
        return not self.problems and self.read == self.kept + sum(self.quarantined.values()) + \
            sum(self.counted.values())

    def add(self, ch: Chunk, k: int) -> None:
        """Add chunk number ``k`` (0-based) to the books."""
        if ch.rows_read is None:
            self.problems.append(f"chunk {k}: rows_read not stated")
            return
        self.read += int(ch.rows_read)
        self.kept += len(ch.df)
        if len(ch.quarantine):
            for r, n in ch.quarantine["reason"].value_counts().items():
                self.quarantined[str(r)] = self.quarantined.get(str(r), 0) + int(n)
        for r, n in ch.counted.items():
            self.counted[r] = self.counted.get(r, 0) + int(n)
        b = ch.balance()
        if b:
            self.problems.append(f"chunk {k}: rows_read {ch.rows_read} != kept {len(ch.df)} + quarantined "
                                 f"{len(ch.quarantine)} + counted {sum(ch.counted.values())} ({b:+d})")


def account_rows(reader: LogReader) -> RowCount:
    """Read every chunk of ``reader`` and return its books (see the module docstring: row accounting)."""
    rc = RowCount()
    for k, ch in enumerate(reader.chunks()):
        rc.add(ch, k)
    return rc


def count_data_lines(path: Path, header_lines: int = 1, sep: str | None = None) -> int:
    """Non-blank lines after the first ``header_lines`` of a text file: a table's data rows, counted plainly.

    A line is blank when it holds only white space, quotes and separators (``sep``,
    default: the delimiter :func:`read_header` finds). ``\\r\\n`` and ``\\r``
    line ends count as one line end. The oracle for the row identity of
    delimited formats.
    """
    if sep is None:
        sep = read_header(path)[1]
    data = Path(path).read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = data.split(b"\n")[header_lines:]
    strip = (sep + ' \t"').encode()
    return sum(1 for ln in lines if ln.strip(strip))

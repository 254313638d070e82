"""Building canonical chunks: tables read in chunks, parsed columns, quarantine rows, the generic table reader.

Every reader yields :class:`~data_tools.readers.base.Chunk` objects: a pandas
frame in one of two canonical shapes plus the rows it had to reject
(quarantine), so that logs larger than memory stream through in bounded memory
(pandas ``chunksize``). The builders here give every format the same shapes,
the same missing-value rules and the same quarantine reasons:

- :func:`csv_chunks`: selected columns of a delimited file as strings, with the
  true 1-based file line of each row (blank lines dropped) and the lines of
  rows that cannot be split (a quote left open on its line, too many fields:
  ``malformed_row``, see :func:`with_malformed`); one bad row never touches
  another;
- :func:`numeric`, :func:`text`: a column of strings as numbers (missing and
  non-numeric told apart) or as cleaned strings;
- :func:`sample_chunk`, :func:`fixation_chunk`: canonical rows, with rows
  whose time or coordinates cannot be parsed quarantined (``bad_time``,
  ``non_numeric``, ``bad_coordinates``, ``bad_duration``, ``non_finite_time``,
  ``non_finite_duration``: see :func:`non_finite`); a fixation's start or
  duration that is missing (empty, ``.``, ``NA``) is kept, unknown;
- :func:`generic_reader`: samples or fixations from a table whose columns are
  found by name (the ``samples``, ``fixations`` and ``eyelink-report``
  formats); a row whose subject cell is blank is quarantined ``no_subject``
  (:func:`without_subject`), unless the column is blank on every row of the
  file's first chunk: then the file is read under its name
  (:class:`FileSubject`).
"""

from __future__ import annotations

import contextvars
import csv
import io
import numbers
import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.base.names import nfc
from saliency.data_tools.readers.base import (CHUNK_ROWS, DECODE_ERRORS, ID_MISSING, MISSING, QUAR_COLS, QUAR_KEYS,
                                              Chunk,
                                              LogReader, default_subject,
                                              header_columns, open_input, resolve_columns, shown_name,
                                              stated_unit, unit_factor)


DECIMAL_COMMA = contextvars.ContextVar("decimal_comma", default=None)
"""Set (a :class:`CommaCount`, truthy) while a reader's chunks are made for a log whose numbers use a decimal
comma (:func:`decimal_comma`); None otherwise."""


class CommaCount:
    """The :data:`DECIMAL_COMMA` of one reader: truthy; ``n`` counts the numbers read that were written with a
    decimal comma (``500,13``), so that ``decimal`` comma on a file without any can be told (no effect)."""

    __slots__ = ("n", "points", "sep", "path", "pointed", "first")

    def __init__(self):
        self.n = 0
        self.points = False  # a point is a decimal point (a comma-separated table: :func:`csv_chunks` sets it)
        self.sep = None  # the table's field separator (:meth:`table_sep`), for :func:`line_fields`
        self.path = None  # the input (:func:`decimal_comma`), named by :meth:`mixed`
        self.pointed = 0  # numbers of a comma-separated table read with a decimal point (500.5)
        self.first = {}  # "comma" / "point" -> the first such number seen, for :meth:`mixed`

    def __bool__(self):
        return True

    def table_sep(self, sep: str) -> None:
        """Say the table being read is ``sep``-separated: in a comma-separated one an unquoted comma
        cannot be the decimal mark, so a point is the decimal point there (read as without the option) unless
        the table holds a decimal comma in quotes (:meth:`mixed`); elsewhere a point under the comma mark is
        never guessed (a thousands point)."""
        self.points = sep == ","
        self.sep = sep

    def mixed(self) -> None:
        """Refuse a comma-separated table that holds both a number written with a decimal comma (in quotes:
        ``"500,5"``, as Excel writes it where the list separator is a comma) and one written with a point
        (``500.5``, ``1.234``): whether its point is a decimal point or a thousands point cannot be decided."""
        if self.points and self.n and self.pointed:
            raise UserError(f"{self.path or 'an input'}: `decimal` comma: this comma-separated file writes numbers "
                            f"both with a decimal comma in quotes (\"{self.first['comma']}\") and with a point "
                            f"({self.first['point']}), so whether a point is a decimal or a thousands point "
                            "cannot be decided; save it with one decimal mark, or leave out `decimal` comma if "
                            "its numbers use a decimal point")


def decimal_comma(chunks, path=None):
    """``chunks`` (a reader's chunk function, of the input ``path``) made with :data:`DECIMAL_COMMA` set: its
    numbers read ``500,13``.

    The function returned has ``comma_count`` (a :class:`CommaCount`): how many numbers its chunks so far read
    with a decimal comma (:func:`decimal_commas_read`).
    """
    count = CommaCount()
    count.path = path

    def made():
        it = chunks()
        while True:
            token = DECIMAL_COMMA.set(count)
            try:
                ch = next(it)
            except StopIteration:
                return
            finally:
                DECIMAL_COMMA.reset(token)
            yield ch
    made.comma_count = count
    return made


def decimal_commas_read(chunks) -> int | None:
    """Numbers written with a decimal comma that ``chunks`` (made by :func:`decimal_comma`) read; None for chunks
    not read with ``decimal`` comma."""
    count = getattr(chunks, "comma_count", None)
    return None if count is None else count.n


def numeric(s: pd.Series, missing=MISSING) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of strings: values (NaN if missing or bad), missing mask, non-numeric mask.

    The numbers are those of ``pandas.to_numeric(errors="coerce")`` on the
    stripped strings. When every value that is not missing is a plain number,
    Arrow's string-to-double cast gives them (:func:`_arrow_floats`, ~15x
    faster on pandas' Arrow-backed strings); any other column takes
    ``to_numeric``. With :data:`DECIMAL_COMMA` set (``decimal`` comma), a
    comma is the decimal mark: ``500,13`` reads 500.13 (and is counted in the
    :class:`CommaCount`), and a value holding a point (``1.234``: German
    Excel's thousands point for 1234; ``1.234,5``) is non-numeric, never
    guessed; except in a comma-separated table (``CommaCount.points``, set by
    :func:`csv_chunks`), where an unquoted comma cannot be the mark and a point
    is the decimal point, as without ``decimal`` comma; such a table that also
    holds a decimal comma (quoted: ``"500,5"``) is refused
    (:meth:`CommaCount.mixed`: which mark is decimal cannot be decided).
    """
    txt = s.fillna("").astype(str).str.strip()
    comma = DECIMAL_COMMA.get()
    point = dotted = None
    if comma:
        dotted = txt.str.contains(".", regex=False).to_numpy(dtype=bool) & ~txt.isin(missing).to_numpy()
        if not comma.points:
            point = dotted
        had = txt.str.contains(",", regex=False).to_numpy(dtype=bool)
        raw = txt
        txt = txt.str.replace(",", ".", regex=False)
    empty = txt.isin(missing).to_numpy()
    vals = _arrow_floats(txt, empty)
    if vals is None:
        vals = pd.to_numeric(txt.where(~empty, None), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if point is not None and point.any():  # a point under the comma mark: a thousands point, never guessed
        vals = np.where(point, np.nan, vals)
    bad = np.isnan(vals) & ~empty
    if comma:  # numbers read with a decimal comma (a value that then does not parse is no such number)
        read = had & ~empty & ~bad
        comma.n += int(read.sum())
        if comma.points:  # a comma-separated table: its commas were quoted; its points read as decimal points
            dec = dotted & ~had & ~bad
            comma.pointed += int(dec.sum())
            for key, m in (("comma", read), ("point", dec)):
                if key not in comma.first and m.any():
                    comma.first[key] = str(raw.iloc[int(np.argmax(m))])
            comma.mixed()  # both: refused, never guessed
    return vals, empty, bad


def _arrow_floats(txt: pd.Series, empty: np.ndarray) -> np.ndarray | None:
    """``txt`` (stripped strings) as float64, NaN where ``empty``, by Arrow's cast; None if any value fails it.

    Arrow's cast (the fast_float algorithm: correctly rounded, as Python's
    ``float`` and pandas' parser are) accepts decimal and exponent notation,
    ``inf``/``infinity``/``nan`` with a sign, and refuses everything else
    (spaces, ``1_000``, hex, other digits, ...); a refused value sends the
    whole column back to ``to_numeric``, so only values both parse reach the
    result. Equal to ``to_numeric`` on every value of
    ``tests/test_readers_numeric.py``. Without pyarrow (pandas then keeps
    strings as Python objects) this returns None.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is optional for pandas
        return None
    try:
        if hasattr(txt.array, "__arrow_array__"):  # pandas' Arrow-backed strings: no copy
            arr = pa.array(txt.array)
        else:
            arr = pa.array(txt.to_numpy(dtype=object), type=pa.string())
        if empty.any():
            arr = pc.if_else(pa.array(empty), pa.scalar(None, arr.type), arr)
        return np.array(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)  # writable
    except pa.ArrowException:  # a value Arrow does not parse (ArrowInvalid): to_numeric decides
        return None


def run_bounds(df: pd.DataFrame, keys) -> np.ndarray:
    """``[0, starts..., len(df)]``: where runs of rows with equal values in every column of ``keys`` begin.

    Rows are compared as text, column by column through factorised codes (a
    trial of samples is such a run of subject, stimulus and trial).
    """
    same = np.ones(max(len(df) - 1, 0), dtype=bool)  # row i + 1 continues row i's run
    for k in keys:
        codes = pd.factorize(df[k].astype(str))[0]
        same &= codes[1:] == codes[:-1]
    return np.concatenate(([0], np.flatnonzero(~same) + 1, [len(df)]))


WHOLE_NUMBER = re.compile(r"^(-?\d+)\.0+$")  # a whole number as Excel writes it: 1.0 for 1


def trial_value(v) -> str:
    """A trial value as :func:`text` gives it: stripped, ``3.0`` as ``3`` (how ingest looks a trial up in
    ``--trials``, whatever reader gave it: an ASC's ``TRIALID 1.0`` finds the table's ``1.0``, read as ``1``)."""
    v = str(v).strip()
    return WHOLE_NUMBER.sub(r"\1", v) if v.endswith("0") else v


def text(s: pd.Series | None, n: int, default: str = "", missing=MISSING, whole: bool = True) -> np.ndarray:
    """Column as stripped strings (``default`` where absent/missing); ``whole``: numbers like ``3.0`` as ``3``.

    Names come in Unicode NFC (:func:`saliency.base.names.nfc`: a stimulus
    column's NFD ``café`` is the file's NFC ``café``). ``missing``: the cell
    values that mean "no value" (:data:`ID_MISSING` for subject columns,
    where ``NA`` and ``None`` can be someone's initials or name). ``whole``
    turns ``3.0`` into ``3``, as a table saved by Excel writes 3 (trial and
    subject ``1.0`` are ``1``); ``whole=False`` keeps the text, for a stimulus
    column: ``1.0`` is a name of its own, not ``1`` (a folder can hold ``1.png``
    and ``1.0.png``; :meth:`~data_tools.stimuli.StimulusIndex.resolve` finds
    ``1.png`` for ``1.0`` only when no file is named ``1.0``).
    """
    if s is None:
        return np.full(n, default, dtype=object)
    v = s.fillna("").astype(str).str.strip()
    ends = (v.str.endswith("0") & v.str.contains(".", regex=False)).to_numpy(dtype=bool) if whole else None
    if whole and ends.any():  # the pattern below can only match these (the regex over every row cost more)
        v = v.copy()
        v[ends] = v[ends].str.replace(WHOLE_NUMBER, r"\1", regex=True)
    v = v.where(~v.isin(missing), default)
    codes, uniq = pd.factorize(v)  # few distinct names (subjects, stimuli): one Python string each
    return np.asarray([nfc(u) for u in uniq], dtype=object)[codes]


def quarantine_frame(line, reason, subject=None, stimulus=None, x=None, y=None, trial=None,
                     eye=None) -> pd.DataFrame:
    """Build quarantine rows (``reason`` is one string or an array).

    ``trial``, ``eye``: the rows' scanpath key where the reader parsed it (a fixation row whose value did not
    parse, :func:`fixation_chunk`); given, the frame has the ``QUAR_KEYS`` columns too (NaN for one not given),
    which ingest's ``drop_first`` reads and quarantine.csv does not list. Not given, the frame is ``QUAR_COLS``.
    """
    line = np.asarray(line, dtype=np.int64)
    n = len(line)

    def col(v, fill):
        return np.full(n, fill, dtype=object) if v is None else np.asarray(v)
    cols = {"line": line, "reason": col(reason, "") if not isinstance(reason, str) else reason,
            "subject": col(subject, ""), "stimulus": col(stimulus, ""), "x": col(x, np.nan), "y": col(y, np.nan)}
    if trial is None and eye is None:
        return pd.DataFrame(cols, columns=QUAR_COLS)
    cols.update(trial=col(trial, np.nan).astype(object), eye=col(eye, np.nan).astype(object))
    return pd.DataFrame(cols, columns=QUAR_COLS + QUAR_KEYS)


def empty_quarantine() -> pd.DataFrame:
    """A quarantine frame with no rows."""
    return quarantine_frame(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object))


def check_chunk_rows(chunk_rows) -> int:
    """``chunk_rows`` as an int when it is a whole number >= 1 (a bool is not); else one line naming it.

    Checked by :func:`~data_tools.readers.registry.open_log`, the ingest's ``validate`` and :func:`csv_chunks`
    (a format's ``read`` called with :class:`~data_tools.readers.base.ReadOptions` directly): a negative value
    read rows twice, 0 was blamed on the file and 2.5 was a bare TypeError.
    """
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, numbers.Integral) or chunk_rows < 1:
        raise UserError(f"`chunk_rows` {chunk_rows!r}: give a whole number of rows >= 1 read at a time "
                        f"(an int; default {CHUNK_ROWS})")
    return int(chunk_rows)


_QUOTE = 34  # '"'
_BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark
_BLOCK = 1 << 22  # bytes read at a time


def _line_blocks(read, chunk_rows: int, head: bytes = b"") -> Iterator[bytes]:
    """Bytes of ``chunk_rows`` whole lines at a time (split at ``\\n``; the last block may lack its newline)."""
    pieces, count = ([head], head.count(b"\n")) if head else ([], 0)
    while True:
        data = read(_BLOCK)
        if data:
            pieces.append(data)
            count += data.count(b"\n")
            if count < chunk_rows:
                continue
        buf = b"".join(pieces)
        pieces, count = [], 0
        if buf:
            nl = np.flatnonzero(np.frombuffer(buf, np.uint8) == 10)
            cuts = nl[chunk_rows - 1::chunk_rows]
            start = 0
            for c in cuts.tolist():
                yield buf[start:c + 1]
                start = c + 1
            rest = buf[start:]
            if rest and data:
                pieces, count = [rest], len(nl) - len(cuts) * chunk_rows
            elif rest:
                yield rest
        if not data:
            return


def _fields(line: str, sep: str) -> list[str] | None:
    """The fields of one line with quotes (CSV rules, the quote closed on the same line), or None if malformed."""
    try:
        fields = next(csv.reader([line + "\n"], delimiter=sep, quotechar='"', doublequote=True, strict=False), [])
    except csv.Error:
        return None
    return None if any("\n" in f for f in fields) else fields


def line_fields(line: str, sep: str) -> list[str]:
    """The fields of one line of a ``sep``-separated table as :func:`csv_chunks` splits them (quotes by CSV
    rules); none for a line it cannot split (``malformed_row``)."""
    return _fields(line, sep) or []


def _split_rows(block: bytes, sep: str, n_header: int, n_needed: int = 0,
                header: bytes = b"", cut_last: str | None = None) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Check every line of ``block`` on its own: (the well-formed lines, their indices, indices of malformed ones).

    A line is malformed when a quote opened in one of its fields is not closed
    on that line (a CSV reader would swallow the following lines into it),
    when it has more fields than the header, when it ends before the last
    column the reader needs (``n_needed`` fields: a row cut short, as the last
    row of an export copied while the tracker still wrote it; its missing
    values were read as lost samples or an event row), or when it repeats the
    ``header`` line (exports concatenated with their headers: it split the
    fixation run around it in two, both kept), with or without the UTF-8
    byte-order mark a concatenated export's first line carries. A blank line
    is not malformed. ``cut_last`` (the block's last line is the file's last
    and had no line end: the file may have been cut inside it): ``"short"``
    makes that line malformed when it has fewer fields than the header,
    ``"any"`` whatever its length.
    Lines without a quote are counted with numpy; only lines holding a quote
    are split by :mod:`csv`.
    """
    arr = np.frombuffer(block, np.uint8)
    nl = np.flatnonzero(arr == 10)
    n = len(nl)
    nfields = np.diff(np.searchsorted(np.flatnonzero(arr == ord(sep)), nl), prepend=0) + 1
    bad = nfields > n_header
    starts = np.concatenate(([0], nl[:-1] + 1))
    blank_chars = (sep + ' \t"\r').encode()
    if n_needed > 1:
        for i in np.flatnonzero(nfields < n_needed).tolist():
            if block[starts[i]:nl[i]].strip(blank_chars):  # a blank line is dropped later, not malformed
                bad[i] = True
    head = header.rstrip(b"\r\n").removeprefix(_BOM)

    def is_head(line: bytes) -> bool:  # a repeat of the column line, its byte-order mark skipped
        return bool(header) and line.rstrip(b"\r").removeprefix(_BOM) == head
    if header:
        # only a line of the column line's length (with a CR, a byte-order mark or both) can repeat it: a numpy
        # filter first, so the per-line comparison runs on those few lines, not on every data row
        length = nl - starts
        cand = (nfields == n_header) & np.isin(length, [len(head) + k for k in (0, 1, len(_BOM), len(_BOM) + 1)])
        for i in np.flatnonzero(cand).tolist():
            if is_head(block[starts[i]:nl[i]]):
                bad[i] = True
    qpos = np.flatnonzero(arr == _QUOTE)
    if qpos.size:
        for i in np.unique(np.searchsorted(nl, qpos)).tolist():
            line = block[starts[i]:nl[i]]
            f = _fields(line.decode("utf-8", "replace"), sep)
            short = f is not None and len(f) < n_needed and bool(line.strip(blank_chars))
            bad[i] = f is None or len(f) > n_header or short or is_head(line)
    if cut_last and n and not bad[-1]:
        line = block[starts[-1]:nl[-1]]
        if line.strip(blank_chars):  # a blank last line is dropped, as any blank line
            if cut_last == "any":
                bad[-1] = True
            else:
                f = _fields(line.decode("utf-8", "replace"), sep) if _QUOTE in line else None
                bad[-1] = (len(f) if f is not None else int(nfields[-1])) < n_header
    idx = np.arange(n)
    if not bad.any():
        return block, idx, idx[:0]
    ends = nl + 1
    starts = np.concatenate(([0], ends[:-1]))
    good = ~bad
    # keep runs of consecutive good lines: a run starts where a good line follows a bad one (or at 0)
    run_start = np.flatnonzero(good & np.concatenate(([True], bad[:-1])))
    run_end = np.flatnonzero(good & np.concatenate((bad[1:], [True])))
    kept = b"".join(block[starts[a]:ends[b]] for a, b in zip(run_start.tolist(), run_end.tolist()))
    return kept, idx[good], idx[bad]


def csv_chunks(path: Path, sep: str, usecols: list[str], chunk_rows: int = CHUNK_ROWS,
               header_line: int = 1, short_rows: bool = False, cut_last: str = "short",
               unended=None) -> Iterator[tuple[pd.DataFrame, np.ndarray, np.ndarray]]:
    """Read selected columns as strings in chunks of ``chunk_rows`` lines.

    Yields ``(frame, lines, malformed)``: the selected columns as strings, the
    1-based file line of each row, and the lines of the rows that could not be
    split into fields (for the quarantine, ``malformed_row``).

    Line numbers are exact whatever the content: a line is a row (``\\n``,
    ``\\r\\n`` and a lone ``\\r`` each end a line, as Python's universal
    newlines and :func:`count_data_lines` count them), a quoted field must close on its own line, and a row that
    cannot be split (an unclosed quote, too many fields) is reported in
    ``malformed`` and does not touch its neighbours; so is a line repeating
    the header, and, unless ``short_rows`` (a format whose rows of another
    kind hold fewer fields, as BeGaze's messages), a row cut before the last
    column read. Blank lines (nothing but spaces, quotes and separators) are
    dropped; they are not data rows.

    The file's last line without a line end (a file cut short: a copy
    interrupted, a recording that crashed, cut anywhere in that line) is
    malformed when ``cut_last`` is ``"short"`` (the default) and it has fewer
    fields than the header (a hand-written table often lacks its final line
    end: a whole last line is kept; not with ``short_rows``, where a row's
    field count says nothing), or whatever its length with ``"any"`` (vendor
    exports, whose writers end every line). ``unended``: called with that
    line's number when such a last line is kept (so a reader can say so).
    """
    if cut_last not in ("short", "any"):
        raise ValueError(f"cut_last {cut_last!r}: short or any")
    chunk_rows = check_chunk_rows(chunk_rows)
    check_last = cut_last if cut_last == "any" or not short_rows else None
    comma = DECIMAL_COMMA.get()
    if comma:  # `decimal` comma: what a point is in this table
        comma.table_sep(sep)
    fh = open_input(path, "rb")
    with fh:
        try:
            held = [False]  # the last block ended in \r (written as \n): a \n opening the next one is its \r\n's

            def read(n):  # universal line ends, as count_data_lines counts them: \r\n and a lone \r end a line
                while True:
                    b = fh.read(n)
                    if not b:
                        return b
                    if held[0] and b[:1] == b"\n":
                        b = b[1:]
                    held[0] = False
                    if not b:
                        continue
                    if b"\r" in b:
                        held[0] = b.endswith(b"\r")
                        b = b.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                    return b

            first = read(_BLOCK)
            pos, header = 0, b""
            for _ in range(header_line):
                lf = first.find(b"\n", pos)
                while lf == -1:
                    more = read(_BLOCK)
                    if not more:
                        lf = len(first)
                        break
                    first += more
                    lf = first.find(b"\n", pos)
                header, pos = first[pos:lf + 1], lf + 1
            header = header.rstrip(b"\r\n").removeprefix(_BOM) + b"\n"
            # decoded as the rows are (pandas, DECODE_ERRORS: a byte that is not UTF-8 is Windows-1252), so that a
            # name such as 'Dur\xe9e' in a Windows export is the name the frame's columns carry
            text_header = header[:-1].decode("utf-8", DECODE_ERRORS)
            names = _fields(text_header, sep) or text_header.split(sep)
            n_header = len(names)
            wanted = set(usecols)
            at = [i for i, nm in enumerate(names) if nm in wanted or nm.strip() in wanted]
            # the names asked for are stripped (header_columns): read the header's own spelling (`` x`` in
            # ``time, x``), then rename it to the name asked for; a name written exactly as asked wins
            raw = {nm: nm for nm in names if nm in wanted}
            for nm in names:
                if nm.strip() in wanted:
                    raw.setdefault(nm.strip(), nm)
            read_cols = [raw.get(c, c) for c in usecols]
            rename = {raw[c]: c for c in usecols if raw.get(c, c) != c}
            n_needed = max(at) + 1 if at and not short_rows else 0  # a row must reach the last column read
            start = header_line + 1
            for block in _line_blocks(read, chunk_rows, first[pos:]):
                cut = not block.endswith(b"\n")  # only the file's last block can lack its final line end
                if cut:
                    block += b"\n"
                kept, ok, malformed = _split_rows(block, sep, n_header, n_needed, header,
                                                  check_last if cut else None)
                n_lines = len(ok) + len(malformed)
                df = pd.read_csv(io.BytesIO(header + kept), sep=sep, usecols=read_cols, dtype=str,
                                 keep_default_na=False, na_values=[], skip_blank_lines=False,
                                 encoding="utf-8", encoding_errors=DECODE_ERRORS, engine="c",
                                 lineterminator="\n", on_bad_lines="error")
                if rename:
                    df = df.rename(columns=rename)
                if len(df) != len(ok):  # never expected: each kept line is one self-contained row
                    raise UserError(f"{path}: cannot split lines {start}-{start + n_lines - 1} into rows")
                lines = ok.astype(np.int64) + start
                bad_lines = malformed.astype(np.int64) + start
                start += n_lines
                blank = _blank_rows(df)
                if blank.any():  # blank in the columns read: a row only if the whole line is blank
                    nl = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
                    st = np.concatenate(([0], nl[:-1] + 1))
                    strip = (sep + ' \t"\r').encode()
                    for j in np.flatnonzero(blank).tolist():
                        i = int(ok[j])
                        if block[st[i]:nl[i]].strip(strip):
                            blank[j] = False
                if blank.any():
                    df, lines = df.loc[~blank], lines[~blank]
                if cut and unended is not None and len(lines) and lines[-1] == start - 1:  # the last line, kept
                    unended(start - 1)
                yield df.reset_index(drop=True), lines, bad_lines
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise UserError(f"{path}: cannot parse as a {'tab' if sep == chr(9) else repr(sep)}-separated "
                            f"table ({str(exc).splitlines()[0]})") from None
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror})") from None


def _blank_rows(df: pd.DataFrame) -> np.ndarray:
    """Rows whose every column is empty or spaces (a column at a time, only over the rows still blank)."""
    rows = np.arange(len(df))
    for c in df.columns:
        if not len(rows):
            break
        v = df[c] if len(rows) == len(df) else df[c].iloc[rows]
        rows = rows[(v.fillna("").astype(str).str.strip() == "").to_numpy(dtype=bool)]
    blank = np.zeros(len(df), dtype=bool)
    blank[rows] = True
    return blank


def malformed_quarantine(lines: np.ndarray, subject: str = "") -> pd.DataFrame:
    """Quarantine rows (``malformed_row``) for the lines :func:`csv_chunks` could not split into fields."""
    return quarantine_frame(lines, "malformed_row", np.full(len(lines), subject, dtype=object))


def with_malformed(ch: Chunk, lines: np.ndarray, subject: str = "", read_lines: np.ndarray | None = None) -> Chunk:
    """``ch`` with the ``malformed_row`` quarantine rows of ``lines`` added (line order kept).

    ``read_lines``: the lines :func:`csv_chunks` gave for the block's
    well-formed rows; when given, ``ch.rows_read`` becomes
    ``len(read_lines) + len(lines)``, the block's data rows (row accounting,
    :mod:`data_tools.readers.base`).
    """
    if len(lines):
        q = pd.concat([ch.quarantine, malformed_quarantine(lines, subject)], ignore_index=True)
        ch.quarantine = q.sort_values("line", kind="stable").reset_index(drop=True)
    if read_lines is not None:
        ch.rows_read = len(read_lines) + len(lines)
    return ch


NAN_WORDS = ("nan", "+nan", "-nan")


def non_finite(s: pd.Series, vals: np.ndarray) -> np.ndarray:
    """Rows of column ``s`` (parsed as ``vals`` by :func:`numeric`) holding a non-finite number.

    ``inf``, ``-inf``, ``Infinity``, ``1e999`` (values that parse to infinity)
    and ``nan`` spelled out (any case); the missing markers (empty, ``.``,
    ``NA``, ...) are not non-finite numbers but missing values.
    """
    out = np.isinf(vals)
    cand = np.flatnonzero(np.isnan(vals))
    if cand.size:
        txt = s.iloc[cand].fillna("").astype(str).str.strip().str.lower()
        out[cand[txt.isin(NAN_WORDS).to_numpy()]] = True
    return out


def sample_chunk(lines, subject, stimulus, trial, t, x, y, valid, bad_time, non_numeric,
                 non_finite_time=None) -> Chunk:
    """Canonical samples chunk in screen pixels; rows with a bad time or non-numeric coordinates quarantined.

    ``bad_time`` marks rows whose time is missing or not a number (``bad_time``),
    ``non_numeric`` rows whose coordinates are not numbers (``non_numeric``);
    a time that is infinite, or ``nan`` where ``non_finite_time`` says so, is
    ``non_finite_time``; all go to the quarantine. Invalid samples (``valid``
    false) stay, with NaN coordinates: they end fixations and count in the QC
    valid share. ``rows_read`` is the number of rows given (each is kept or quarantined).
    """
    nf = np.isinf(np.asarray(t, dtype=np.float64))
    if non_finite_time is not None:
        nf = nf | non_finite_time
    bad = bad_time | non_numeric | nf
    reason = np.where(nf, "non_finite_time", np.where(bad_time, "bad_time", "non_numeric"))
    q = quarantine_frame(lines[bad], reason[bad], subject[bad], stimulus[bad], x[bad], y[bad])
    ok = ~bad
    out = pd.DataFrame({"subject": subject[ok], "stimulus": stimulus[ok], "trial": trial[ok], "time_ms": t[ok],
                        "x": np.where(valid, x, np.nan)[ok], "y": np.where(valid, y, np.nan)[ok],
                        "valid": valid[ok], "line": lines[ok]})
    return Chunk("samples", "screen", out, q, rows_read=len(lines))


def fixation_chunk(lines, subject, stimulus, trial, x, y, start, dur, eye, space, non_finite_time=None,
                   non_finite_duration=None, bad_time=None, bad_duration=None) -> Chunk:
    """Canonical fixations chunk; bad coordinates, bad or non-finite times or durations, durations <= 0 quarantined.

    Reasons, first that applies: ``bad_coordinates`` (missing or non-numeric),
    ``non_finite_time`` (an infinite start, or ``non_finite_time``: e.g. ``nan``
    written in the file), ``bad_time`` (``bad_time``: a start that is not a
    number, e.g. ``abc``), ``non_finite_duration`` (likewise), ``bad_duration``
    (``bad_duration``: not a number; or <= 0). A missing start or duration
    (NaN not marked: empty, ``.``, ``NA``) is kept: unknown. A quarantined row
    keeps its ``trial`` and ``eye`` (``QUAR_KEYS``: which scanpath it is of).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dur = np.asarray(dur, dtype=np.float64)
    nf_t = np.isinf(np.asarray(start, dtype=np.float64))
    nf_d = np.isinf(dur)
    if non_finite_time is not None:
        nf_t = nf_t | non_finite_time
    if non_finite_duration is not None:
        nf_d = nf_d | non_finite_duration
    bad_t = np.zeros(len(x), bool) if bad_time is None else np.asarray(bad_time, bool)
    bad_d = dur <= 0
    if bad_duration is not None:
        bad_d = bad_d | np.asarray(bad_duration, bool)
    bad_xy = ~(np.isfinite(x) & np.isfinite(y))
    bad = bad_xy | nf_t | bad_t | nf_d | bad_d
    reason = np.where(bad_xy, "bad_coordinates", np.where(nf_t, "non_finite_time", np.where(
        bad_t, "bad_time", np.where(nf_d, "non_finite_duration", "bad_duration"))))
    q = quarantine_frame(np.asarray(lines)[bad], reason[bad], np.asarray(subject)[bad],
                         np.asarray(stimulus)[bad], x[bad], y[bad], np.asarray(trial)[bad], np.asarray(eye)[bad])
    ok = ~bad
    out = pd.DataFrame({"subject": np.asarray(subject)[ok], "stimulus": np.asarray(stimulus)[ok],
                        "trial": np.asarray(trial)[ok], "x": x[ok], "y": y[ok],
                        "t_start_ms": np.asarray(start, dtype=np.float64)[ok], "duration_ms": dur[ok],
                        "eye": np.asarray(eye)[ok], "line": np.asarray(lines, dtype=np.int64)[ok]})
    return Chunk("fixations", space, out, q, rows_read=len(out) + len(q))


def without_subject(ch: Chunk) -> Chunk:
    """``ch`` with its kept rows whose subject is blank moved to the quarantine as ``no_subject`` (line order kept).

    For a table that has a subject column: a blank cell there (empty, ``.``,
    ``nan``, ...: :data:`ID_MISSING`) names no observer. The file-name
    fallback (:func:`default_subject`) is for a file without a subject
    column; given to one row of a file that names its subjects, it made up an
    observer and split that row's trial in three. A row already quarantined
    for a bad value keeps that reason.
    """
    blank = (ch.df["subject"].astype(str) == "").to_numpy(dtype=bool)
    if not blank.any():
        return ch
    rows = ch.df.loc[blank]
    q = quarantine_frame(rows["line"].to_numpy(), "no_subject", rows["subject"].to_numpy(),
                         rows["stimulus"].to_numpy(), rows["x"].to_numpy(), rows["y"].to_numpy())
    q = pd.concat([ch.quarantine, q], ignore_index=True) if len(ch.quarantine) else q
    ch.quarantine = q.sort_values("line", kind="stable").reset_index(drop=True)
    ch.df = ch.df.loc[~blank].reset_index(drop=True)
    return ch


class FileSubject:
    """The subjects of one reading of a file, chunk by chunk: its subject ``column``'s cells, or ``fallback``.

    ``fallback`` is the file-name subject (:func:`default_subject`, the
    recording folder, ...), the subject of a file without a subject column
    (``column`` None). A file's column is judged on its first chunk that holds
    a row: blank (:data:`ID_MISSING`) on every row there, it is an unused
    column (an empty ``subject`` column a script wrote), and the file is read
    as one without it, under ``fallback``, said once in ``notes``
    (``subject_column_blank``); a later row of the file that names a subject
    then refuses the file (the rows before it would be a made-up observer
    beside real ones). A column that names someone on a row of its first chunk
    names the file's rows: a blank cell there is quarantined ``no_subject``
    (:meth:`named`, :func:`without_subject`). Make one per reading (each call
    of the reader's chunk function).
    """

    def __init__(self, path: Path, column: str | None, fallback: str, notes: dict):
        self.path, self.column, self.fallback, self.notes = path, column, fallback, notes
        self.used = column is not None  # the column names the rows (so far: undecided until a chunk has a row)
        self.decided = column is None
        self.blank_lines = ""  # the lines of the first chunk, when the column is blank on all of them

    @property
    def default(self) -> str:
        """The subject of a row that names none (a malformed row's quarantine line)."""
        return "" if self.used else self.fallback

    def cells(self, s: pd.Series | None, lines: np.ndarray) -> np.ndarray:
        """The subject of each row of a chunk (its ``lines``, ``s`` its subject cells; None without a column)."""
        n = len(lines)
        if self.column is None:
            return np.full(n, self.fallback, dtype=object)
        subj = text(s, n, "", ID_MISSING)
        given = subj != ""
        if not self.decided and n:
            self.decided = True
            self.used = bool(given.any())
            if not self.used:
                self.blank_lines = f"lines {int(lines[0])}-{int(lines[-1])}" if n > 1 else f"line {int(lines[0])}"
                self.notes["subject_column_blank"] = (
                    f"column {self.column!r} is blank on every row of {self.blank_lines}, the first read: the file "
                    f"is read as one without a subject column, its rows under {self.fallback!r}")
        if self.used:
            return subj
        if given.any():
            i = int(np.flatnonzero(given)[0])
            raise UserError(f"{self.path}: line {int(lines[i])}: column {self.column!r} names subject "
                            f"{shown_name(subj[i])}, but "
                            f"it is blank on {self.blank_lines}, read under {self.fallback!r} as a file without a "
                            f"subject column (a made-up observer beside the named ones); fill the column on every "
                            f"row, or map another with `columns` subject=COLUMN")
        return np.full(n, self.fallback, dtype=object)

    def named(self, ch: Chunk) -> Chunk:
        """``ch`` with its rows of a blank subject cell quarantined ``no_subject`` when the column names the rows."""
        return without_subject(ch) if self.used and self.column is not None else ch


INVALID_WORDS = ["0", "false", "invalid", "no"]
"""Values of a ``valid`` column that mark a sample invalid, in any case (``FALSE`` from R and Excel,
``False`` from pandas; ``0.0``, and ``0,0`` with ``decimal`` comma, as ``0``: :func:`invalid_marks`); anything
else, or an empty cell, is valid."""


def invalid_marks(s: pd.Series, n: int) -> np.ndarray:
    """Rows of a ``valid`` column that mark the sample invalid (:data:`INVALID_WORDS`, ``0.0`` as ``0``).

    With :data:`DECIMAL_COMMA` set, a number written with a decimal comma
    (``0,0``) is read as the same number with a point first, so that ``0,0``
    is invalid as ``0.0`` is.
    """
    if DECIMAL_COMMA.get():
        s = s.fillna("").astype(str).str.strip().str.replace(r"^([-+]?\d+),(\d+)$", r"\1.\2", regex=True)
    vtxt = text(s, n, "1")
    return np.isin(np.char.lower(vtxt.astype(str)), INVALID_WORDS)


#: the ``columns`` keys a generic table of each kind takes (the ``COLUMN_KEYS`` of the samples, fixations and
#: EyeLink report readers); a key of the other kind, meant for another input of the run, is not looked up
GENERIC_KEYS = {"samples": ("subject", "stimulus", "trial", "time", "x", "y", "valid"),
                "fixations": ("subject", "stimulus", "trial", "x", "y", "t_start_ms", "t_end_ms", "duration_ms",
                              "eye")}


#: the keys each generic layout's reader refuses a table without (:func:`refuse_missing_keys`)
GENERIC_NEEDS = {"fixations": ("x", "y"), "samples": ("x", "y", "time")}


def refuse_missing_keys(path, kind: str, found: dict, fmt: str) -> None:
    """UserError ``no column for y (the fmt format needs x, y); ...`` when ``found`` (resolved columns) lacks a key
    the ``kind`` layout needs (:data:`GENERIC_NEEDS`); the reader's line and auto-detection's are this one."""
    need = GENERIC_NEEDS[kind]
    miss = [k for k in need if k not in found]
    if miss:
        raise UserError(f"{path}: no column for {', '.join(miss)} (the {fmt} format needs {', '.join(need)}); "
                        f"name them with `columns` KEY=COLUMN")


def generic_reader(path: Path, kind: str, user_cols: dict, time_unit: str | None,
                   missing=MISSING, preset: dict | None = None, fmt: str | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> LogReader:
    """Samples or fixations from a delimited table whose columns are found by name (or mapped).

    Each time column's unit is its header's (``time [s]``, ``time_us``), else
    ``time_unit``, else ms; with ``time_unit`` given, ``notes["time_unit_applied"]``
    says whether any time column used it. A last line without its line end
    is quarantined when it has fewer fields than the header
    (:func:`csv_chunks`), and kept when whole; kept, its line number is
    ``notes["last_line_unended"]`` once the file is read (a hand-written
    table often lacks its final line end, but a file cut inside its last
    field also reads whole: the record tells the user which row to check).
    The file name (:func:`default_subject`) is the subject only of a table
    without a subject column (none found, none mapped), or whose column is
    blank on every row of its first chunk (:class:`FileSubject`); in one whose
    column names someone a row whose cell is blank is quarantined
    ``no_subject`` (:func:`without_subject`).
    """
    header, sep = header_columns(path)
    user_cols = {k: v for k, v in user_cols.items() if k in GENERIC_KEYS[kind]}  # the others: refused if unused
    # the reader's built-in names apart: they never take a column a key of `columns` names, nor count as its keys
    cols = resolve_columns(header, user_cols, path, preset=preset)
    refuse_missing_keys(path, kind, cols, fmt or kind)
    usecols = sorted({c for c, _ in cols.values()})
    # the file name names the rows only of a table without a subject column (or whose column is blank on every row
    # of its first chunk: FileSubject); in one whose column names someone, a blank cell is no_subject
    c_subj = cols["subject"][0] if "subject" in cols else None
    # each time column's stated unit; an unreadable one ('[?s]') states none when `time_unit` is given (it applies)
    timed = ("time",) if kind == "samples" else ("t_start_ms", "t_end_ms", "duration_ms")
    stated = {k: stated_unit(cols[k][1], time_unit, f"{path}: column {cols[k][0]}") for k in timed if k in cols}

    def unended(line: int) -> None:  # the last line kept without its line end: said in the input's record
        notes["last_line_unended"] = line

    def chunks() -> Iterator[Chunk]:
        subjects = FileSubject(path, c_subj, default_subject(path), notes)
        named = subjects.named
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows, unended=unended):
            n = len(df)
            get = lambda k: df[cols[k][0]] if k in cols else None  # noqa: E731
            subject = subjects.cells(get("subject"), lines)
            stimulus = text(get("stimulus"), n, whole=False)  # '1.0' names 1.0.png (or, without one, 1.png)
            trial = text(get("trial"), n)
            x, xm, xb = numeric(df[cols["x"][0]], missing)
            y, ym, yb = numeric(df[cols["y"][0]], missing)
            if kind == "samples":
                unit = stated["time"] or time_unit
                tf = unit_factor(unit, 1.0, f"{path}: column {cols['time'][0]}")
                t, tm, tb = numeric(df[cols["time"][0]], missing)
                nf = non_finite(df[cols["time"][0]], t)
                t = t * tf
                valid = np.isfinite(x) & np.isfinite(y)
                if "valid" in cols:
                    valid &= ~invalid_marks(df[cols["valid"][0]], n)
                yield with_malformed(named(sample_chunk(lines, subject, stimulus, trial, t, x, y, valid, tm | tb,
                                                        xb | yb, non_finite_time=nf)), malformed, read_lines=lines)
            else:
                start = dur = end = None
                nf_t, nf_d = np.zeros(n, bool), np.zeros(n, bool)

                bad_t, bad_d = np.zeros(n, bool), np.zeros(n, bool)  # not a number (``abc``): bad_time, bad_duration

                def parse(key, unit, default):
                    c = cols[key][0]
                    v, _, nan = numeric(df[c], missing)
                    return v * unit_factor(unit, default, f"{path}: {c}"), non_finite(df[c], v), nan
                # each column: the header's unit, else `time_unit` (durations share the file's time unit), else ms
                if "t_start_ms" in cols:
                    start, nf, nan = parse("t_start_ms", stated["t_start_ms"] or time_unit, 1.0)
                    nf_t |= nf
                    bad_t |= nan
                if "t_end_ms" in cols:
                    end, nf, nan = parse("t_end_ms", stated["t_end_ms"] or time_unit, 1.0)
                    nf_t |= nf
                    bad_t |= nan
                if "duration_ms" in cols:
                    dur, nf, nan = parse("duration_ms", stated["duration_ms"] or time_unit, 1.0)
                    nf_d |= nf
                    bad_d |= nan
                elif start is not None and end is not None:
                    dur = end - start
                start = np.full(n, np.nan) if start is None else start
                dur = np.full(n, np.nan) if dur is None else dur
                eye = text(get("eye"), n)
                yield with_malformed(named(fixation_chunk(lines, subject, stimulus, trial, x, y, start, dur, eye,
                                                          "screen", non_finite_time=nf_t, non_finite_duration=nf_d,
                                                          bad_time=bad_t, bad_duration=bad_d)),
                                     malformed, read_lines=lines)

    notes = {}
    if kind == "samples":
        notes["timestamp_ms_per_unit"] = unit_factor(stated["time"] or time_unit, 1.0,
                                                     f"{path}: column {cols['time'][0]}")
    if time_unit is not None:  # used by a time column whose header gives no unit (ingest refuses it when unused)
        notes["time_unit_applied"] = any(stated[k] is None for k in stated)
    return LogReader(path, fmt or kind, kind, chunks, notes=notes)

"""``eyelink-report``: EyeLink Data Viewer fixation report.

Field names from ``../shared/REFERENCES.md`` section 3: ``RECORDING_SESSION_LABEL``,
``TRIAL_INDEX``, ``CURRENT_FIX_START``/``_END``/``_DURATION``,
``CURRENT_FIX_X``/``_Y`` (screen px, top-left), missing values ``.``; the
stimulus comes from a column (``columns`` ``stimulus=IMAGE``) or a trials table.
The duration is ``CURRENT_FIX_DURATION``; a report without it (and without
``columns`` ``duration_ms``) takes ``CURRENT_FIX_END`` minus
``CURRENT_FIX_START``; with it, ``CURRENT_FIX_END`` is not read.

Eyes (``ReadOptions.eye``), as the ``eyelink-asc`` reader treats EFIX events:
a binocular recording's report has one row per fixation of each eye, its eye
in ``EYE_USED`` (``LEFT`` / ``RIGHT``). ``average`` (the default) keeps both
eyes' rows, as Data Viewer reports them (the ASC reader keeps both eyes'
EFIX lines the same way); ``left`` / ``right`` keep that eye's rows and count
the other eye's (``other_eye``, by design, whatever else is wrong with them);
a row whose ``EYE_USED`` is neither is quarantined (``unknown_eye``). A choice
of eye is refused when the file is opened (one line) for a report without an
``EYE_USED`` column (or a column mapped with ``columns`` ``eye=...``) and for
one whose rows are all of the other eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions, header_columns, resolve_columns
from saliency.data_tools.readers.chunks import GENERIC_KEYS, csv_chunks, generic_reader, quarantine_frame

DETECT_RANK = 20  # vendor column names
SUFFIXES: tuple[str, ...] = ()
#: the ``columns`` keys this reader honours: the generic fixation reader's, over its preset of Data Viewer names
COLUMN_KEYS = GENERIC_KEYS["fixations"]
EYES = True  # honours ReadOptions.eye (the EYE_USED column)
_EYE_WORDS = {"LEFT": "left", "L": "left", "RIGHT": "right", "R": "right"}

EYELINK_PRESET = {"subject": "RECORDING_SESSION_LABEL", "trial": "TRIAL_INDEX", "x": "CURRENT_FIX_X",
                  "y": "CURRENT_FIX_Y", "t_start_ms": "CURRENT_FIX_START", "t_end_ms": "CURRENT_FIX_END",
                  "duration_ms": "CURRENT_FIX_DURATION"}


def sniff(probe: Probe) -> bool:
    """Data Viewer's session label and fixation position columns."""
    return "recording_session_label" in probe.names and "current_fix_x" in probe.names


def read(path: Path, opts: ReadOptions) -> LogReader:
    """EyeLink Data Viewer fixation report (screen px; ``.`` = missing)."""
    header, sep = header_columns(path)
    preset = {k: v for k, v in EYELINK_PRESET.items() if v in header}
    if "duration_ms" in preset or "duration_ms" in opts.columns:  # the duration column, as ever; the end unread
        preset.pop("t_end_ms", None)
    if "EYE_USED" in header:
        preset["eye"] = "EYE_USED"
    missing = [v for k, v in EYELINK_PRESET.items() if k in ("x", "y") and v not in header]
    if missing and not ({"x", "y"} <= set(opts.columns)):
        raise UserError(f"{path}: line 1 (the header): EyeLink fixation report without column {', '.join(missing)}")
    rd = generic_reader(path, "fixations", opts.columns, None, preset=preset, fmt="eyelink-report",
                        chunk_rows=opts.chunk_rows)
    eye = opts.eye
    rd.notes["eye"] = eye
    if eye not in ("left", "right"):
        return rd
    # a --columns key meant for another input is not looked up here (the preset's keys are all COLUMN_KEYS)
    eye_col = resolve_columns(header, opts.columns, path, COLUMN_KEYS, preset=preset).get("eye", (None,))[0]
    if eye_col is None:
        raise UserError(f"{path}: line 1 (the header): `eye` {eye}: the report has no EYE_USED column saying "
                        f"which eye each fixation is of; export it with EYE_USED from Data Viewer, or use `eye` "
                        f"average")
    other = "right" if eye == "left" else "left"
    n_eye, other_lines = 0, []
    for df, lines, _ in csv_chunks(path, sep, [eye_col], opts.chunk_rows, short_rows=True):
        e = _eye_of(df[eye_col])
        n_eye += int((e == eye).sum())
        other_lines.append(np.asarray(lines, dtype=np.int64)[e == other])
    other_lines = np.concatenate(other_lines) if other_lines else np.zeros(0, np.int64)
    if n_eye == 0 and len(other_lines):
        raise UserError(f"{path}: `eye` {eye}: column {eye_col} holds the {other} eye only ({len(other_lines)} "
                        f"fixations, none of the {eye} eye); use `eye` {other} or average")
    inner = rd.chunks

    def chunks() -> Iterator[Chunk]:
        for ch in inner():
            e = _eye_of(ch.df["eye"])
            unknown = (e != eye) & (e != other)
            q = [ch.quarantine[~np.isin(ch.quarantine["line"].to_numpy(np.int64), other_lines)]]
            n_other = int((e == other).sum()) + len(ch.quarantine) - len(q[0])
            if unknown.any():
                u = ch.df[unknown]
                q.append(quarantine_frame(u["line"], "unknown_eye", u["subject"].to_numpy(), u["stimulus"].to_numpy(),
                                          u["x"].to_numpy(), u["y"].to_numpy()))
            ch.df = ch.df[e == eye].reset_index(drop=True)
            ch.quarantine = pd.concat(q, ignore_index=True).sort_values("line", kind="stable").reset_index(drop=True)
            if n_other:
                ch.counted = {**ch.counted, "other_eye": ch.counted.get("other_eye", 0) + n_other}
            yield ch

    rd.chunks = chunks
    return rd


def _eye_of(col: pd.Series) -> np.ndarray:
    """``left`` / ``right`` from ``EYE_USED`` values (``LEFT``/``L``, ``RIGHT``/``R``, any case); ``""`` otherwise."""
    v = col.fillna("").astype(str).str.strip().str.upper()
    return v.map(lambda s: _EYE_WORDS.get(s, "")).to_numpy(dtype=object)


def example_file(path: Path, rng, n: int) -> int:
    """A small valid Data Viewer fixation report with ``n`` data rows (tab-separated, ``.`` missing)."""
    head = ["RECORDING_SESSION_LABEL", "TRIAL_INDEX", "CURRENT_FIX_START", "CURRENT_FIX_DURATION",
            "CURRENT_FIX_X", "CURRENT_FIX_Y", "EYE_USED", "IMAGE"]
    rows = ["\t".join(["sub1", str(k // 5 + 1), str(300 * k), f"{rng.uniform(80, 400):.0f}",
                       f"{rng.uniform(0, 1920):.1f}", f"{rng.uniform(0, 1080):.1f}", "RIGHT", f"img{k // 5}.jpg"])
            for k in range(n)]
    path.write_text("\t".join(head) + "\n" + "\n".join(rows) + "\n")
    return n

"""``pupil``: Pupil Labs ``fixations.csv`` export.

Field names from ``../shared/REFERENCES.md`` section 3: ``start_timestamp``
(s), ``duration`` (ms), ``norm_pos_x/y`` (0..1, origin bottom-left; older
exports ``x_norm``/``y_norm``), ``confidence``. Fixations below
``min_confidence`` are quarantined (``low_confidence``); the subject is the
recording folder's name. One data row = one line (one fixation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import (Chunk, LogReader, Probe, ReadOptions, default_subject,
                                              header_columns, resolve_columns)
from saliency.data_tools.readers.chunks import (csv_chunks, fixation_chunk, non_finite, numeric, quarantine_frame,
                                                text, with_malformed)

DETECT_RANK = 22  # vendor column names
SUFFIXES: tuple[str, ...] = ()


def sniff(probe: Probe) -> bool:
    """Normalised positions with a Pupil timestamp column."""
    hs = probe.names
    return ("norm_pos_x" in hs or "x_norm" in hs) and ("start_timestamp" in hs or "world_timestamp" in hs)


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Pupil Labs ``fixations.csv`` (normalised coordinates, origin bottom-left; confidence filter)."""
    columns, min_confidence, chunk_rows = opts.columns, opts.min_confidence, opts.chunk_rows
    header, sep = header_columns(path)
    cols = resolve_columns(header, columns, path)
    hs = set(header)
    cx = columns.get("x") or ("norm_pos_x" if "norm_pos_x" in hs else "x_norm")
    cy = columns.get("y") or ("norm_pos_y" if "norm_pos_y" in hs else "y_norm")
    cs = "start_timestamp" if "start_timestamp" in hs else None
    cd = "duration" if "duration" in hs else None
    cc = columns.get("confidence") or ("confidence" if "confidence" in hs else None)
    for c in (cx, cy):
        if c not in hs:
            raise UserError(f"{path}: line 1 (the header): Pupil Labs export without column {c}")
    c_subj = cols.get("subject", (None,))[0]
    c_stim = cols.get("stimulus", (None,))[0]
    c_trial = cols.get("trial", (None,))[0]
    usecols = sorted({c for c in (cx, cy, cs, cd, cc, c_subj, c_stim, c_trial) if c})
    subj_default = default_subject(path)

    def chunks() -> Iterator[Chunk]:
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows):
            n = len(df)
            subject = text(df[c_subj] if c_subj else None, n, subj_default)
            stimulus = text(df[c_stim] if c_stim else None, n)
            trial = text(df[c_trial] if c_trial else None, n)
            x = numeric(df[cx])[0]
            y = 1.0 - numeric(df[cy])[0]  # bottom-left origin -> top-left
            start = numeric(df[cs])[0] if cs else np.full(n, np.nan)
            nf_t = non_finite(df[cs], start) if cs else np.zeros(n, bool)
            start = start * 1000.0
            dur = numeric(df[cd])[0] if cd else np.full(n, np.nan)
            nf_d = non_finite(df[cd], dur) if cd else np.zeros(n, bool)
            low = np.zeros(n, bool)
            if cc:
                conf = numeric(df[cc])[0]
                low = ~(conf >= min_confidence)
            ch = fixation_chunk(lines[~low], subject[~low], stimulus[~low], trial[~low], x[~low], y[~low],
                                start[~low], dur[~low], np.full(int((~low).sum()), "", object), "screen_norm",
                                non_finite_time=nf_t[~low], non_finite_duration=nf_d[~low])
            if low.any():
                q = quarantine_frame(lines[low], "low_confidence", subject[low], stimulus[low], x[low], y[low])
                ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True)
            yield with_malformed(ch, malformed, read_lines=lines)

    return LogReader(path, "pupil", "fixations", chunks)


def example_file(path: Path, rng, n: int) -> int:
    """A small valid ``fixations.csv`` with ``n`` data rows (row-accounting tests)."""
    rows = [f"{k},{10 + 0.3 * k:.3f},{rng.uniform(60, 400):.1f},{rng.uniform(0, 1):.4f},{rng.uniform(0, 1):.4f},"
            f"1.0,{rng.uniform(0.4, 1):.3f},img{k % 2}" for k in range(n)]
    path.write_text("id,start_timestamp,duration,norm_pos_x,norm_pos_y,dispersion,confidence,stimulus\n"
                    + "\n".join(rows) + "\n")
    return n

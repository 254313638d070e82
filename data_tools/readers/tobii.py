"""``tobii``: Tobii Pro Lab data export (TSV): gaze samples, or Tobii's own fixations.

Field names from ``../shared/REFERENCES.md`` section 3: ``Recording timestamp``
(unit in brackets, µs when absent), ``Participant name``, ``Presented Media
name``, ``Gaze point X/Y``, ``Validity left/right``, ``Eye movement type``,
``Eye movement type index``, ``Gaze event duration``, ``Fixation point X/Y``;
empty = missing. Rows outside any presented media are not part of a trial.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import (Chunk, LogReader, Probe, ReadOptions, default_subject,
                                              header_columns, split_unit, unit_factor)
from saliency.data_tools.readers.chunks import (csv_chunks, empty_quarantine, fixation_chunk,
                                                non_finite, numeric, sample_chunk, text, with_malformed)

DETECT_RANK = 21  # vendor column names
SUFFIXES: tuple[str, ...] = ()


def sniff(probe: Probe) -> bool:
    """Pro Lab's recording timestamp with gaze or fixation point columns."""
    hs = probe.names
    return "recording timestamp" in hs and ("gaze point x" in hs or "fixation point x" in hs)


def read(path: Path, opts: ReadOptions) -> LogReader:
    """Tobii Pro Lab data export: gaze samples, or Tobii's own fixations with ``tracker_events``."""
    columns, tracker_events, chunk_rows = opts.columns, opts.tracker_events, opts.chunk_rows
    header, sep = header_columns(path)
    by_base = {}
    for h in header:
        by_base.setdefault(split_unit(h)[0], h)

    def col(base, required=True):
        if base in by_base:
            return by_base[base]
        if required:
            raise UserError(f"{path}: Tobii export without a {base!r} column")
        return None

    c_time = col("recording timestamp")
    t_factor = unit_factor(split_unit(c_time)[1], 1e-3, f"{path}: {c_time}")  # µs when no unit given
    c_subj = columns.get("subject") or col("participant name", False)
    c_rec = col("recording name", False)
    c_media = columns.get("stimulus") or col("presented media name", False)
    if tracker_events:
        c_type, c_idx = col("eye movement type"), col("eye movement type index")
        c_fx, c_fy = col("fixation point x"), col("fixation point y")
        c_dur = col("gaze event duration")
        d_factor = unit_factor(split_unit(c_dur)[1], 1.0, f"{path}: {c_dur}")
        use = [c_time, c_type, c_idx, c_fx, c_fy, c_dur]
    else:
        c_x, c_y = columns.get("x") or col("gaze point x"), columns.get("y") or col("gaze point y")
        c_vl, c_vr = col("validity left", False), col("validity right", False)
        use = [c_time, c_x, c_y, c_vl, c_vr]
    use += [c_subj, c_rec, c_media]
    usecols = sorted({c for c in use if c})
    subj_default = default_subject(path)

    def chunks() -> Iterator[Chunk]:
        for df, lines, malformed in csv_chunks(path, sep, usecols, chunk_rows):
            n = len(df)
            subject = text(df[c_subj] if c_subj else None, n, subj_default)
            rec = text(df[c_rec] if c_rec else None, n)
            stimulus = text(df[c_media] if c_media else None, n)
            t, tm, tb = numeric(df[c_time])
            nf_t = non_finite(df[c_time], t)
            t = t * t_factor
            if tracker_events:
                typ = text(df[c_type], n)
                fix = (typ == "Fixation") & ~(tm | tb)
                if not fix.any():
                    yield with_malformed(Chunk("fixations", "screen", pd.DataFrame(columns=["subject"]),
                                               empty_quarantine()), malformed)
                    continue
                idx = text(df[c_idx], n)
                fx = numeric(df[c_fx])[0]
                fy = numeric(df[c_fy])[0]
                dur = numeric(df[c_dur])[0]
                nf_d = non_finite(df[c_dur], dur)
                dur = dur * d_factor
                g = pd.DataFrame({"subject": subject[fix], "trial": rec[fix], "idx": idx[fix],
                                  "stimulus": stimulus[fix], "t": t[fix], "x": fx[fix], "y": fy[fix],
                                  "dur": dur[fix], "nf_d": nf_d[fix], "line": lines[fix]})
                a = g.groupby(["subject", "trial", "idx"], sort=False).agg(
                    stimulus=("stimulus", "first"), t=("t", "min"), x=("x", "first"), y=("y", "first"),
                    dur=("dur", "first"), nf_d=("nf_d", "first"), line=("line", "min")).reset_index()
                ch = fixation_chunk(a["line"].to_numpy(), a["subject"].to_numpy(), a["stimulus"].to_numpy(),
                                    a["trial"].to_numpy(), a["x"].to_numpy(), a["y"].to_numpy(),
                                    a["t"].to_numpy(), a["dur"].to_numpy(), np.full(len(a), "B", object),
                                    "screen", non_finite_duration=a["nf_d"].to_numpy(bool))
                ch.df["_key"] = a["subject"].astype(str) + "\x1f" + a["trial"].astype(str) + "\x1f" + \
                    a["idx"].astype(str)
                yield with_malformed(ch, malformed)
            else:
                x, xm, xb = numeric(df[c_x])
                y, ym, yb = numeric(df[c_y])
                valid = np.isfinite(x) & np.isfinite(y)
                if c_vl or c_vr:
                    vl = text(df[c_vl], n) == "Valid" if c_vl else np.zeros(n, bool)
                    vr = text(df[c_vr], n) == "Valid" if c_vr else np.zeros(n, bool)
                    valid &= vl | vr
                # rows outside any presented media are not part of a trial: dropped, not quarantined
                yield with_malformed(sample_chunk(lines, subject, stimulus, rec, t, x, y, valid, tm | tb, xb | yb,
                                                  keep=stimulus != "", non_finite_time=nf_t), malformed)

    return LogReader(path, "tobii", "fixations" if tracker_events else "samples", chunks,
                     notes={"timestamp_ms_per_unit": t_factor})

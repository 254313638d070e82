"""``eyelink-asc``: EyeLink ASC files (``edf2asc``): raw samples, or the tracker's EFIX fixations.

Conventions from ``../shared/REFERENCES.md`` section 3: sample lines ``time x y
pupil`` (binocular: ``time xl yl pl xr yr pr``, the eyes averaged; missing
``.``), ``EFIX eye start end dur x y pupil``, ``MSG time TRIALID n``, ``MSG
time !V IMGLOAD ... file`` or ``MSG time !V TRIAL_VAR image|stimulus NAME`` for
the stimulus, ``GAZE_COORDS`` / ``DISPLAY_COORDS x0 y0 x1 y1`` (highest pixel
index) for the screen resolution the file declares. The subject is the file
stem; samples before any TRIALID or stimulus message are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import Chunk, LogReader, Probe, ReadOptions, default_subject
from saliency.data_tools.readers.chunks import empty_quarantine, fixation_chunk, quarantine_frame

DETECT_RANK = 10  # the file's name or first line
SUFFIXES = (".asc",)

_COORDS = re.compile(r"(GAZE_COORDS|DISPLAY_COORDS)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)")
_STIM_VAR = re.compile(r"!V\s+TRIAL_VAR\s+(stimulus|image|media|stimulus_name|img)\s+(\S+)", re.I)
_IMGLOAD = re.compile(r"!V\s+IMGLOAD\s+\S+\s+(\S+)")


def sniff(probe: Probe) -> bool:
    """An ``edf2asc`` preamble (``**``) or a message or event line first."""
    first = probe.first
    return first.startswith("**") or first.startswith("MSG") or first.startswith("EFIX")


def _asc_resolution(path: Path) -> tuple[int, int] | None:
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        for k, line in enumerate(fh):
            m = _COORDS.search(line)
            if m:
                x0, y0, x1, y1 = (float(v) for v in m.groups()[1:])
                return int(round(x1 - x0 + 1)), int(round(y1 - y0 + 1))
            if k > 200_000:
                break
    return None


def read(path: Path, opts: ReadOptions, block: int = 200_000) -> LogReader:
    """EyeLink ASC: raw samples (or EFIX events with ``tracker_events``), trials from TRIALID messages."""
    tracker_events = opts.tracker_events
    subject = default_subject(path)

    def chunks() -> Iterator[Chunk]:
        trial, stim = "", ""
        binocular = False
        rows: list[tuple] = []
        bad: list[int] = []

        def flush():
            nonlocal rows, bad
            q = quarantine_frame(bad, "non_numeric", np.full(len(bad), subject, object)) if bad \
                else empty_quarantine()
            if tracker_events:
                a = np.array(rows, dtype=object).reshape(-1, 8)
                t0, dur = a[:, 5].astype(float), a[:, 6].astype(float)
                # EFIX times have no missing marker: NaN here is "nan" written in the file
                ch = fixation_chunk(a[:, 0].astype(np.int64), np.full(len(a), subject, object), a[:, 1],
                                    a[:, 2], a[:, 3].astype(float), a[:, 4].astype(float), t0, dur, a[:, 7],
                                    "screen", non_finite_time=np.isnan(t0), non_finite_duration=np.isnan(dur))
                ch.quarantine = pd.concat([ch.quarantine, q], ignore_index=True)
            else:
                a = np.array(rows, dtype=object).reshape(-1, 6)
                t = a[:, 3].astype(float)
                nf = ~np.isfinite(t)  # a sample line starts with a digit: only 1e999 and the like get here
                if nf.any():
                    q = pd.concat([q, quarantine_frame(a[nf, 0].astype(np.int64), "non_finite_time",
                                                       np.full(int(nf.sum()), subject, object))], ignore_index=True)
                    a, t = a[~nf], t[~nf]
                x = a[:, 4].astype(float)
                y = a[:, 5].astype(float)
                valid = np.isfinite(x) & np.isfinite(y)
                ch = Chunk("samples", "screen", pd.DataFrame({
                    "subject": np.full(len(a), subject, object), "stimulus": a[:, 1], "trial": a[:, 2],
                    "time_ms": t, "x": x, "y": y, "valid": valid,
                    "line": a[:, 0].astype(np.int64)}), q)
            rows, bad = [], []
            return ch

        def num(tok):
            return np.nan if tok in (".", "") else float(tok)

        try:
            fh = open(path, "r", encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror})") from None
        with fh:
            for ln, line in enumerate(fh, start=1):
                if not line or line[0] == "*":
                    continue
                c = line[0]
                if c.isdigit():
                    if tracker_events or not stim and not trial:
                        continue
                    tok = line.split()
                    try:
                        t = float(tok[0])
                        if binocular and len(tok) >= 7:
                            xl, yl, xr, yr = num(tok[1]), num(tok[2]), num(tok[4]), num(tok[5])
                            x = np.nanmean([xl, xr]) if not (np.isnan(xl) and np.isnan(xr)) else np.nan
                            y = np.nanmean([yl, yr]) if not (np.isnan(yl) and np.isnan(yr)) else np.nan
                        else:
                            x, y = num(tok[1]), num(tok[2])
                    except (ValueError, IndexError):
                        bad.append(ln)
                        continue
                    rows.append((ln, stim, trial, t, x, y))
                elif line.startswith("MSG"):
                    if "TRIALID" in line:
                        trial = line.split("TRIALID", 1)[1].strip().split()[0] if \
                            line.split("TRIALID", 1)[1].strip() else ""
                        stim = ""
                        continue
                    m = _STIM_VAR.search(line) or _IMGLOAD.search(line)
                    if m:
                        stim = Path(m.groups()[-1].replace("\\", "/")).name
                elif line.startswith("EFIX") and tracker_events:
                    tok = line.split()
                    try:
                        eye, t0, dur = tok[1], float(tok[2]), float(tok[4])
                        x, y = num(tok[5]), num(tok[6])
                    except (ValueError, IndexError):
                        bad.append(ln)
                        continue
                    rows.append((ln, stim, trial, x, y, t0, dur, eye))
                elif line.startswith("SAMPLES") or line.startswith("START"):
                    binocular = "LEFT" in line and "RIGHT" in line
                if len(rows) >= block:
                    yield flush()
        yield flush()

    return LogReader(path, "eyelink-asc", "fixations" if tracker_events else "samples", chunks,
                     screen_px=_asc_resolution(path))

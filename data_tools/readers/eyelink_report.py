"""``eyelink-report``: EyeLink Data Viewer fixation report.

Field names from ``../shared/REFERENCES.md`` section 3: ``RECORDING_SESSION_LABEL``,
``TRIAL_INDEX``, ``CURRENT_FIX_START``/``_END``/``_DURATION``,
``CURRENT_FIX_X``/``_Y`` (screen px, top-left), missing values ``.``; the
stimulus comes from a column (``columns`` ``stimulus=IMAGE``) or a trials table.
"""

from __future__ import annotations

from pathlib import Path

from saliency.base.errors import UserError
from saliency.data_tools.readers.base import LogReader, Probe, ReadOptions, header_columns
from saliency.data_tools.readers.chunks import generic_reader

DETECT_RANK = 20  # vendor column names
SUFFIXES: tuple[str, ...] = ()

EYELINK_PRESET = {"subject": "RECORDING_SESSION_LABEL", "trial": "TRIAL_INDEX", "x": "CURRENT_FIX_X",
                  "y": "CURRENT_FIX_Y", "t_start_ms": "CURRENT_FIX_START", "duration_ms": "CURRENT_FIX_DURATION"}


def sniff(probe: Probe) -> bool:
    """Data Viewer's session label and fixation position columns."""
    return "recording_session_label" in probe.names and "current_fix_x" in probe.names


def read(path: Path, opts: ReadOptions) -> LogReader:
    """EyeLink Data Viewer fixation report (screen px; ``.`` = missing)."""
    header, _ = header_columns(path)
    preset = {k: v for k, v in EYELINK_PRESET.items() if v in header}
    if "EYE_USED" in header:
        preset["eye"] = "EYE_USED"
    missing = [v for k, v in EYELINK_PRESET.items() if k in ("x", "y") and v not in header]
    if missing and not ({"x", "y"} <= set(opts.columns)):
        raise UserError(f"{path}: line 1 (the header): EyeLink fixation report without column {', '.join(missing)}")
    return generic_reader(path, "fixations", opts.columns, None, preset=preset, fmt="eyelink-report",
                          chunk_rows=opts.chunk_rows)


def example_file(path: Path, rng, n: int) -> int:
    """A small valid Data Viewer fixation report with ``n`` data rows (tab-separated, ``.`` missing)."""
    head = ["RECORDING_SESSION_LABEL", "TRIAL_INDEX", "CURRENT_FIX_START", "CURRENT_FIX_DURATION",
            "CURRENT_FIX_X", "CURRENT_FIX_Y", "EYE_USED", "IMAGE"]
    rows = ["\t".join(["sub1", str(k // 5 + 1), str(300 * k), f"{rng.uniform(80, 400):.0f}",
                       f"{rng.uniform(0, 1920):.1f}", f"{rng.uniform(0, 1080):.1f}", "RIGHT", f"img{k // 5}.jpg"])
            for k in range(n)]
    path.write_text("\t".join(head) + "\n" + "\n".join(rows) + "\n")
    return n

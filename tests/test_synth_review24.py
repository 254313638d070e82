"""Review 24: the synthetic Tobii Pro Lab export writes its DACS px points as whole numbers, as Pro Lab does."""

from __future__ import annotations

import csv
import re

from saliency.cli import main
from saliency.data_tools.synth import TOBII_PIXEL_COLUMNS


def test_tobii_points_are_whole_pixels_or_empty(tmp_path):
    out = tmp_path / "st"
    assert main(["synth", "--out", str(out), "--scenes", "1", "--subjects", "1", "--viewing-ms", "600",
                 "--quiet"]) == 0
    with open(out / "logs" / "tobii.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert rows and set(TOBII_PIXEL_COLUMNS) <= set(rows[0])
    cells = [r[c] for r in rows for c in TOBII_PIXEL_COLUMNS]
    bad = [v for v in cells if not re.fullmatch(r"-?\d+|", v)]  # '946', never '946.0'; empty when missing
    assert not bad, bad[:5]
    assert any(cells)  # the study has gaze at all

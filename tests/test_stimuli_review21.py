"""A log's stimulus name with a dotted part that is not an image extension names no file (the geometry review).

``beach.v2`` and ``beach.night`` were taken as ``beach`` (any suffix was stripped) and their fixations pooled
into beach's map, exit 0, no warning; README: a name matches a file by its name or its stem. Oracle: the
README's rule, worked by hand for each name.
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from saliency.data_tools.stimuli import StimulusIndex


def _folder(tmp_path):
    stim = tmp_path / "stim"
    stim.mkdir()
    cv2.imwrite(str(stim / "beach.png"), np.full((30, 40, 3), 128, np.uint8))
    cv2.imwrite(str(stim / "v1.0.png"), np.full((30, 40, 3), 128, np.uint8))  # a stem with a dot of its own
    return stim


def test_only_image_extensions_are_dropped(tmp_path):
    idx = StimulusIndex(_folder(tmp_path))
    for name, want in [("beach", "beach"), ("beach.png", "beach"), ("pics/beach.jpg", "beach"),
                       ("BEACH.JPEG", "beach"), ("beach.v2", None), ("beach.night", None), ("beach_v2", None),
                       ("v1.0", "v1.0"), ("v1.0.png", "v1.0"), ("v1.0.bmp", "v1.0"), ("v1", None),
                       # an image format the toolkit does not read, converted by the lab (regression review)
                       ("beach.gif", "beach"), ("beach.HEIC", "beach")]:
        assert idx.resolve(name) == want, name


def test_ingest_quarantines_a_dotted_name_instead_of_pooling_it(tmp_path, capsys):
    import json

    from saliency.cli import main

    stim = _folder(tmp_path)
    log = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": ["beach", "beach.v2", "beach.night", "beach.png"], "x": [5, 6, 7, 8],
                  "y": [5, 6, 7, 8], "duration_ms": [200] * 4}).to_csv(log, index=False)
    out = tmp_path / "out"
    assert main(["ingest", str(log), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "2", "--no-ioc",
                 "--quiet"]) == 0
    kept = pd.read_csv(out / "fixations.csv")
    quar = pd.read_csv(out / "quarantine.csv")
    assert len(kept) == 2 and set(kept["stimulus"]) == {"beach"}
    assert sorted(quar["reason"]) == ["unknown_stimulus", "unknown_stimulus"]
    assert json.loads((out / "dataset.json").read_text())["counts"]["fixations"] == 2

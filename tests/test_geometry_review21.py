"""The geometry a run records reads back with ``--geometry`` when only the resolution was known (geometry review).

``dataset.json`` writes ``screen_cm`` and ``distance_cm`` as null for a run that knew the screen in pixels only
(``--screen-px``, or a resolution declared by the log); fed back with ``--geometry`` it was refused ("screen_cm
None: need two finite positive sizes"), so a run could not be repeated from its own record. Oracle: the first
run's own outputs (the same inputs and the same geometry must give the same fixations), and hand-made dicts.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pandas as pd
import pytest

from saliency.base.errors import UserError
from saliency.data_tools.geometry import ScreenGeometry


def test_a_pixels_only_geometry_round_trips():
    g = ScreenGeometry((1920, 1080), display="native")
    back = ScreenGeometry.from_dict(json.loads(json.dumps(g.to_dict())))
    assert (back.screen_px, back.screen_cm, back.distance_cm, back.display) == ((1920, 1080), None, None, "native")
    assert not back.has_degrees


@pytest.mark.parametrize("cm, dist, words", [
    ([53.1, 29.9], None, "screen_cm without distance_cm (null)"),
    (None, 65, "distance_cm without screen_cm (null)"),
])
def test_half_a_physical_screen_is_refused(cm, dist, words):
    with pytest.raises(UserError) as exc:
        ScreenGeometry.from_dict({"screen_px": [1920, 1080], "screen_cm": cm, "distance_cm": dist}, "g.json")
    assert str(exc.value).startswith(f"g.json: {words}: degrees need both")


def test_ingest_repeats_from_its_recorded_geometry(tmp_path):
    from saliency.cli import main

    stim = tmp_path / "stim"
    stim.mkdir()
    cv2.imwrite(str(stim / "a.png"), np.full((300, 400, 3), 128, np.uint8))
    log = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": ["a"] * 3, "x": [960.0, 900.0, 100.0], "y": [540.0, 500.0, 50.0],
                  "duration_ms": [200, 250, 300]}).to_csv(log, index=False)
    common = ["--stimuli", str(stim), "--sigma-px", "10", "--no-ioc", "--quiet"]
    assert main(["ingest", str(log), "--out", str(tmp_path / "o1"), "--screen-px", "1920x1080", "--display",
                 "native", *common]) == 0
    geom = tmp_path / "g.json"
    geom.write_text(json.dumps(json.loads((tmp_path / "o1" / "dataset.json").read_text())["geometry"]))
    assert main(["ingest", str(log), "--out", str(tmp_path / "o2"), "--geometry", str(geom), *common]) == 0
    one, two = (pd.read_csv(tmp_path / o / "fixations.csv") for o in ("o1", "o2"))
    pd.testing.assert_frame_equal(one.drop(columns=["source"]), two.drop(columns=["source"]))
    # the 100, 50 point is off the 400x300 image centred natively on 1920x1080 (from 760, 390)
    assert len(one) == 2

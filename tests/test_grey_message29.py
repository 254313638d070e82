"""Review R16 (stop 29): a colour PNG given as ``eval --center-bias`` (the IG baseline, not a prediction) was refused
as "prediction has colour channels that differ"; the message now names no role it may not have."""

from __future__ import annotations

import cv2
import numpy as np

from cli_fakes import refusal, run_cli


def test_a_colour_center_bias_is_refused_without_calling_it_a_prediction(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder in ("stimuli", "maps", "fixations", "pred"):
        (tmp_path / "gt" / folder).mkdir(parents=True) if folder != "pred" else (tmp_path / "pred").mkdir()
    img = np.full((30, 40, 3), 90, np.uint8)
    dens = np.zeros((30, 40), np.uint8)
    dens[10:20, 10:30] = 200
    fix = np.zeros((30, 40), np.uint8)
    fix[12, 15] = fix[17, 25] = 255
    assert cv2.imwrite("gt/stimuli/a.png", img) and cv2.imwrite("gt/maps/a.png", dens)
    assert cv2.imwrite("gt/fixations/a.png", fix) and cv2.imwrite("pred/a.png", dens)
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[..., 2] = 120  # red only: the channels differ
    assert cv2.imwrite("cb.png", rgb)
    line = refusal(*run_cli(capsys, ["eval", "--task", "fixation", "--gt", "gt", "--pred", "m=pred", "--metrics",
                                     "IG", "--center-bias", "cb.png", "--quiet", "--no-progress"]))
    assert "cb.png: its colour channels differ" in line and "prediction" not in line, line

"""``saliency crop --keep F`` where no window of the aspect keeps F: the largest window, and the summary says so.

Found by the new-user review of this stop: ``--aspect 1:1 --keep 0.9`` on 400x300 images with flat maps
exited 0 printing only "saliency kept: mean 75.0%", and crops.json recorded ``keep 0.9`` beside ``kept 0.75``.
Oracle: a uniform map over a W x H image keeps the window's area share, here (300 x 300) / (400 x 300) = 0.75
for the largest square, so no square keeps 0.9; an image whose saliency is one small spot keeps 100 %.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from saliency.cli import main


def _folder(tmp_path):
    imgs, maps = tmp_path / "images", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    for name in ("flat_a", "flat_b", "spot"):
        cv2.imwrite(str(imgs / f"{name}.png"), np.full((300, 400, 3), 128, np.uint8))
        m = np.full((300, 400), 200, np.uint8) if name.startswith("flat") else np.zeros((300, 400), np.uint8)
        if name == "spot":
            m[140:160, 190:210] = 255
        cv2.imwrite(str(maps / f"{name}.png"), m)
    return imgs, maps


def test_an_unreachable_keep_is_counted_and_named(tmp_path, capsys):
    imgs, maps = _folder(tmp_path)
    out = tmp_path / "o"
    assert main(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--keep", "0.9",
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().err  # a warning: on stderr, like predict's
    boxes = json.loads((out / "crops.json").read_text())["boxes"]
    for name in ("flat_a", "flat_b"):  # the largest square, keeping its area share
        assert (boxes[name]["crop"]["w"], boxes[name]["crop"]["h"]) == (300, 300)
        assert abs(boxes[name]["crop"]["kept"] - 0.75) < 1e-6
    assert boxes["spot"]["crop"]["kept"] >= 0.9
    assert ("saliency crop: 2 image(s) where no 1:1 window keeps 90.0% of the saliency: the largest window was used "
            "(its share is 'kept' in crops.json): flat_a, flat_b\n") in printed


def test_a_reachable_keep_prints_no_such_line(tmp_path, capsys):
    imgs, maps = _folder(tmp_path)
    assert main(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--keep", "0.7",
                 "--out", str(tmp_path / "o"), "--quiet"]) == 0
    cap = capsys.readouterr()
    assert "where no" not in cap.out + cap.err

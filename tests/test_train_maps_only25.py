"""Review 25: training leaves out, and names, an image that has a human map but no fixations beside images that do.

Since eval scores such an image with the map metrics (bc74392), the shared
folder reader kept it, and training took the top 2 % of its map as its
fixations among measured ones, silently (it was left out with a note before).
"""

from __future__ import annotations

import cv2
import numpy as np

from saliency.datasets import find_fixation


def test_a_map_without_fixations_is_left_out_of_training_with_a_note(tmp_path):
    root = tmp_path / "ing"
    for sub in ("stimuli", "maps", "fixations"):
        (root / sub).mkdir(parents=True)
    yy, xx = np.mgrid[:12, :16]
    for k in ("a", "b", "c"):
        cv2.imwrite(str(root / "stimuli" / f"{k}.png"), np.full((12, 16, 3), 100, np.uint8))
        cv2.imwrite(str(root / "maps" / f"{k}.png"), (255 * np.exp(-((yy - 6) ** 2 + (xx - 8) ** 2) / 8)).astype(np.uint8))
    for k in ("a", "b"):
        fx = np.zeros((12, 16), np.uint8)
        fx[6, 8] = 255
        cv2.imwrite(str(root / "fixations" / f"{k}.png"), fx)
    (root / "fixations" / "d.gif").write_bytes(b"GIF89a")
    idx = find_fixation(root)
    assert [(r.key, r.fixations.endswith(f"{r.key}.png")) for r in idx.records] == [("a", True), ("b", True)]
    # named as having a map (review 26: it was said to have "no fixation map")
    assert "1 of 3 images have a human map but no fixation points and are left out of training (e.g. c)" \
        in idx.notes
    assert any(n.endswith("1 file(s) left out: not an image extension (.gif; e.g. d.gif); accepted: .png .jpg "
                          ".jpeg .bmp .tif .tiff .webp .pgm .ppm") for n in idx.notes)

"""``saliency crop`` (review 27): the largest window of the aspect, and the smallest meeting ``--min-size``.

Found by the crop/predict review of this stop: the height of the largest window was ``floor(W / aspect)``,
while the project's own pixel rule (:func:`saliency.crop.of_aspect`: the width is ``round(h * aspect)``) often
allows one more row: a 1025x769 image is a 4:3 window itself (``round(769 * 4 / 3)`` = ``round(1025.33)`` =
1025) but was cropped 1024x768; 1020x765 at 16:9 gave 1019x573 though 1020x574 fits (``round(574 * 16 / 9)``
= ``round(1020.44)`` = 1020); 21x16 at 4:3 gave 20x15 (``round(16 * 4 / 3)`` = 21). With ``--min-size``,
``ceil(min_size / aspect)`` made the smallest 9:16 window 32 wide 32x57, though 32x56 meets the rule
(``round(56 * 9 / 16)`` = ``round(31.5)`` = 32).

Oracle: brute force over every height ``h`` of the image, each window ``round(h * aspect) x h`` kept when it
fits and :func:`of_aspect` accepts it; the largest (default crop) or the smallest whose shorter side is at
least ``min_size`` (``--keep`` of a uniform map small enough for any window to reach it).

Also: ``saliency predict`` named a skipped file twice ("skipped fmt/img/f32.tif: fmt/img/f32.tif: not a
readable image ..."): the reason it prints already starts with the path. Oracle: the hand-written line.
"""

from __future__ import annotations

import json
import random

import cv2
import numpy as np
import pytest

from cli_fakes import run_cli
from saliency.crop import center_crop, of_aspect, parse_aspect, saliency_crop

ASPECTS = ["1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9", "7:5", "5:7", "1:100", "100:1"]


def _windows(W, H, aspect):
    """Every window of ``aspect`` that fits in W x H, as (w, h), by height (brute force)."""
    out = []
    for h in range(1, H + 1):
        w = int(round(h * aspect))
        if w <= W and of_aspect(w, h, aspect):
            out.append((w, h))
    return out


def _cases(n, seed, side):
    rng = random.Random(seed)
    aspects = [parse_aspect(t) for t in ASPECTS] + [rng.uniform(0.01, 100) for _ in range(8)]
    return [(rng.randint(1, side), rng.randint(1, side), a) for a in aspects for _ in range(n)]


@pytest.mark.parametrize("W, H, aspect, want", [
    (1025, 769, 4 / 3, (1025, 769)),   # the whole image: round(1025.33) = 1025
    (1020, 765, 16 / 9, (1020, 574)),  # round(1020.44) = 1020; floor gave 573 rows, 1019 wide
    (21, 16, 4 / 3, (21, 16)),         # round(21.33) = 21
    (640, 480, 16 / 9, (640, 360)),    # 361 rows would be round(641.78) = 642 wide
    (800, 600, 4 / 3, (800, 600)),
])
def test_largest_window_hand_worked(W, H, aspect, want):
    box = saliency_crop(np.ones((H, W)), aspect)
    assert (box.w, box.h) == want and box.kept == pytest.approx(box.w * box.h / (W * H))
    c = center_crop(W, H, aspect)
    assert (c.w, c.h) == want and (c.x, c.y) == ((W - want[0]) // 2, (H - want[1]) // 2)


def test_default_crop_is_the_largest_window_of_the_aspect():
    for W, H, aspect in _cases(25, 0, 150):
        wins = _windows(W, H, aspect)
        if not wins:  # no window of the aspect fits: the closest one, said off_aspect (test_crop_review24)
            continue
        want = wins[-1]
        box = saliency_crop(np.ones((H, W)), aspect)
        assert (box.w, box.h) == want, (W, H, aspect)
        c = center_crop(W, H, aspect)
        assert (c.w, c.h) == want, (W, H, aspect)


def test_min_size_gives_the_smallest_window_meeting_the_rule():
    # hand-worked: 9:16 with a shorter side of 32 is 32x56 (round(31.5) = 32), not 32x57
    box = saliency_crop(np.ones((200, 100)), 9 / 16, keep=1e-9, min_size=32)
    assert (box.w, box.h) == (32, 56)
    box = saliency_crop(np.ones((200, 200)), 2 / 3, keep=1e-9, min_size=5)  # round(7 * 2 / 3) = 5: 5x7, not 5x8
    assert (box.w, box.h) == (5, 7)
    rng = random.Random(1)
    for W, H, aspect in _cases(12, 2, 120):
        m = rng.randint(1, 40)
        wins = _windows(W, H, aspect)
        if not wins:
            continue
        ok = [wh for wh in wins if min(wh) >= m]
        want = ok[0] if ok else wins[-1]  # none that large fits: the largest (said under_min_size)
        box = saliency_crop(np.ones((H, W)), aspect, keep=1e-9, min_size=m)
        assert (box.w, box.h) == want, (W, H, aspect, m)


def _folder(tmp_path, w, h):
    images, maps = tmp_path / "img", tmp_path / "maps"
    images.mkdir()
    maps.mkdir()
    img = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    cv2.imwrite(str(images / "a.png"), img)
    np.save(maps / "a.npy", np.ones((h, w)))
    return images, maps, img


def test_cli_crops_a_4_3_image_whole(tmp_path, capsys):
    images, maps, img = _folder(tmp_path, 1025, 769)
    out = tmp_path / "out"
    rc, _, err = run_cli(capsys, ["crop", "--images", images, "--maps", maps, "--aspect", "4:3", "--out", out,
                                  "--quiet"])
    assert rc == 0, err
    box = json.loads((out / "crops.json").read_text())["boxes"]["a"]
    assert box["crop"] == {"x": 0, "y": 0, "w": 1025, "h": 769, "kept": 1.0}
    assert "off_aspect" not in box
    assert np.array_equal(cv2.imread(str(out / "a.png")), img)


def test_cli_min_size_9_16(tmp_path, capsys):
    images, maps, img = _folder(tmp_path, 100, 200)
    out = tmp_path / "out"
    rc, _, err = run_cli(capsys, ["crop", "--images", images, "--maps", maps, "--aspect", "9:16", "--keep",
                                  "0.0001", "--min-size", "32", "--out", out, "--quiet"])
    assert rc == 0, err
    box = json.loads((out / "crops.json").read_text())["boxes"]["a"]
    assert (box["crop"]["w"], box["crop"]["h"]) == (32, 56) and "under_min_size" not in box
    assert cv2.imread(str(out / "a.png")).shape == (56, 32, 3)


def test_predict_names_a_skipped_file_once(tmp_path, capsys):
    images, out = tmp_path / "img", tmp_path / "maps"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), np.zeros((30, 40, 3), np.uint8))
    (images / "f32.tif").write_bytes(b"II*\x00garbage")
    rc, stdout, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--out", out,
                                       "--quiet"])
    assert rc == 0, err
    bad = images / "f32.tif"
    assert err == (f"saliency predict: skipped {bad}: not a readable image (corrupt or unsupported); "
                   "replace or remove it\n")
    assert "skipped 1 image(s)" in stdout

"""Rule-of-thirds composition (saliency.crop.thirds_crop, ``saliency crop --compose thirds``).

Oracles: a brute-force search that computes every window's kept saliency and
centroid directly (no summed-area tables), and hand-worked cases whose
thirds-point placement is known in closed form.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from saliency.crop import THIRDS, max_height, saliency_crop, thirds_crop, window_size


def brute_thirds(s, aspect, keep, sizes):
    """Smallest distance of the centroid to a thirds point over every window the search considers."""
    H, W = s.shape
    total = s.sum()
    hmax = max_height(W, H, aspect)
    h_small = next((hh for hh in range(1, hmax + 1)
                    if max(s[y:y + h, x:x + w].sum()
                           for w, h in [window_size(W, H, aspect, hh)]
                           for y in range(H - h + 1) for x in range(W - w + 1)) >= keep * total - 1e-9), None)
    if h_small is None:  # no window of this aspect keeps that much: the search falls back to the plain crop
        return None
    heights = sorted({int(round(v)) for v in np.linspace(h_small, hmax, sizes)})
    best = math.inf
    for hh in heights:
        w, h = window_size(W, H, aspect, hh)
        for y in range(H - h + 1):
            for x in range(W - w + 1):
                win = s[y:y + h, x:x + w]
                m = win.sum()
                if m < keep * total * (1 - 1e-12) or m <= 0:
                    continue
                yy, xx = np.mgrid[0:h, 0:w]
                cx, cy = ((xx + 0.5) * win).sum() / m / w, ((yy + 0.5) * win).sum() / m / h
                d = min(math.hypot((cx - tx) * w, (cy - ty) * h) for tx, ty in THIRDS) / math.hypot(w, h)
                best = min(best, d)
    return best


def centroid_fraction(s, box):
    win = s[box.y:box.y + box.h, box.x:box.x + box.w]
    yy, xx = np.mgrid[0:box.h, 0:box.w]
    m = win.sum()
    return ((xx + 0.5) * win).sum() / m / box.w, ((yy + 0.5) * win).sum() / m / box.h


@settings(max_examples=25, deadline=None)
@given(st.integers(6, 16), st.integers(6, 16), st.sampled_from([1.0, 16 / 9, 0.75]), st.floats(0.3, 0.9),
       st.integers(0, 10**6))
def test_thirds_window_is_the_brute_force_nearest(H, W, aspect, keep, seed):
    s = np.random.default_rng(seed).random((H, W)) ** 6
    box = thirds_crop(s, aspect, keep=keep, sizes=4, tolerance=0.0)
    expect = brute_thirds(s, aspect, keep, 4)
    if expect is None:
        assert box == saliency_crop(s, aspect, keep=keep)
        return
    win = s[box.y:box.y + box.h, box.x:box.x + box.w]
    assert win.sum() >= keep * s.sum() * (1 - 1e-9)  # the asked share is kept
    assert box.kept == pytest.approx(win.sum() / s.sum(), abs=1e-9)
    cx, cy = centroid_fraction(s, box)
    d = min(math.hypot((cx - tx) * box.w, (cy - ty) * box.h) for tx, ty in THIRDS) / math.hypot(box.w, box.h)
    # summed-area tables against direct sums: float64 differences far below 1e-9
    assert d == pytest.approx(expect, abs=1e-9)


def test_single_object_lands_on_a_thirds_point():
    """A 10 x 10 block at (95..105, 145..155) of a 200 x 300 map; every window that puts its centre
    (150, 100) at a third of the width and height exists, so the distance is zero."""
    s = np.zeros((200, 300))
    s[95:105, 145:155] = 1.0
    box = thirds_crop(s, 1.0, keep=0.9)
    cx, cy = centroid_fraction(s, box)
    assert min(math.hypot(cx - tx, cy - ty) for tx, ty in THIRDS) < 1.0 / box.w  # within a pixel
    assert box.kept == 1.0  # among equally good windows, the one keeping the most
    plain = saliency_crop(s, 1.0, keep=0.9)
    centre = (plain.x + plain.w / 2, plain.y + plain.h / 2)
    assert centre == pytest.approx((150, 100), abs=1)  # the plain crop centres it


def test_empty_map_gives_the_centre_crop_and_bad_compose_is_refused(tmp_path):
    from saliency.base.errors import UserError
    from saliency.crop import crop_folder

    box = thirds_crop(np.zeros((60, 80)), 1.0)
    assert (box.x, box.y, box.w, box.h) == (10, 0, 60, 60)
    with pytest.raises(UserError, match="compose 'golden': choose one of thirds"):
        crop_folder(tmp_path, tmp_path / "o", "1:1", maps=tmp_path, compose="golden")


def test_cli_compose_thirds(tmp_path):
    imgs, maps = tmp_path / "images", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    rng = np.random.default_rng(0)
    sal = {}
    for i in range(2):
        cv2.imwrite(str(imgs / f"im{i}.png"), rng.integers(0, 255, (90, 120, 3), dtype=np.uint8))
        m = np.zeros((90, 120), np.uint8)
        m[40:50, 30 + 40 * i:40 + 40 * i] = 255
        cv2.imwrite(str(maps / f"im{i}.png"), m)
        sal[f"im{i}"] = m.astype(np.float64)
    r = subprocess.run([sys.executable, "-m", "saliency", "crop", "--images", str(imgs), "--maps", str(maps),
                        "--aspect", "4:3", "--compose", "thirds", "--out", str(tmp_path / "o"), "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "o" / "crops.json").read_text())
    assert doc["compose"] == "thirds" and doc["keep"] == 0.8
    for name, b in doc["boxes"].items():
        c = b["crop"]
        assert c["kept"] >= 0.8
        assert c["w"] * 3 == pytest.approx(c["h"] * 4, abs=3)
        crop = cv2.imread(str(tmp_path / "o" / f"{name}.png"))
        assert crop.shape[:2] == (c["h"], c["w"])
        win = sal[name][c["y"]:c["y"] + c["h"], c["x"]:c["x"] + c["w"]]
        yy, xx = np.mgrid[0:c["h"], 0:c["w"]]
        cx, cy = ((xx + 0.5) * win).sum() / win.sum() / c["w"], ((yy + 0.5) * win).sum() / win.sum() / c["h"]
        # some window puts the block's centre within a pixel of a thirds point; the chosen one is within the
        # default tolerance (1 % of the diagonal) of that
        diag = math.hypot(c["w"], c["h"])
        assert min(math.hypot((cx - tx) * c["w"], (cy - ty) * c["h"]) for tx, ty in THIRDS) <= 1.0 + 0.01 * diag

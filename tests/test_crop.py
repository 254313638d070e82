"""Saliency crops (saliency.crop, saliency crop) against a brute-force oracle.

The oracle sums the saliency of every window placement directly (no
summed-area table) and, for ``keep``, tries every window height.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from saliency.crop import center_crop, max_height, parse_aspect, saliency_crop, window_size


def brute_best(s, w, h):
    H, W = s.shape
    return max(s[y:y + h, x:x + w].sum() for y in range(H - h + 1) for x in range(W - w + 1))


@settings(max_examples=40, deadline=None)
@given(st.integers(4, 24), st.integers(4, 24), st.sampled_from(["1:1", "16:9", "3:4", "2:1"]), st.integers(0, 10**6))
def test_largest_window_keeps_the_most_saliency(H, W, aspect_text, seed):
    s = np.random.default_rng(seed).random((H, W)) ** 4
    aspect = parse_aspect(aspect_text)
    box = saliency_crop(s, aspect)
    w, h = window_size(W, H, aspect, max_height(W, H, aspect))
    assert (box.w, box.h) == (w, h)
    assert 0 <= box.x <= W - w and 0 <= box.y <= H - h
    got = s[box.y:box.y + h, box.x:box.x + w].sum()
    # float64 sums of <= 576 values in [0, 1]: 1e-9 covers the summation-order difference
    assert got == pytest.approx(brute_best(s, w, h), abs=1e-9)
    assert box.kept == pytest.approx(got / s.sum(), abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.integers(6, 20), st.integers(6, 20), st.floats(0.2, 1.0), st.integers(0, 10**6))
def test_keep_gives_the_smallest_sufficient_window(H, W, keep, seed):
    s = np.random.default_rng(seed).random((H, W)) ** 6
    box = saliency_crop(s, 1.0, keep=keep, min_size=1)
    hmax = max_height(W, H, 1.0)
    reach = [hh for hh in range(1, hmax + 1) if brute_best(s, *window_size(W, H, 1.0, hh)) >= keep * s.sum() - 1e-9]
    if reach:
        assert box.h == reach[0]
        assert box.kept >= keep - 1e-9
    else:
        assert box.h == hmax


def test_object_kept_where_centre_crop_loses_it():
    s = np.zeros((480, 640))
    s[100:150, 560:620] = 1.0
    box = saliency_crop(s, 1.0)
    assert box.kept == 1.0 and box.x + box.w >= 620
    c = center_crop(640, 480, 1.0)
    assert (c.x, c.y, c.w, c.h) == (80, 0, 480, 480)
    assert s[c.y:c.y + c.h, c.x:c.x + c.w].sum() / s.sum() == pytest.approx(0.0)


def test_ties_go_to_the_centre_and_min_size_is_respected():
    s = np.ones((100, 200))
    box = saliency_crop(s, 1.0)
    assert (box.x, box.y, box.w, box.h) == (50, 0, 100, 100)
    box = saliency_crop(np.pad(np.ones((2, 2)), 49), 1.0, keep=1.0, min_size=20)
    assert box.w == box.h == 20


def test_parse_aspect_errors():
    assert parse_aspect("16:9") == pytest.approx(16 / 9)
    for bad in ("16-9", "0:1", "a:b"):
        with pytest.raises(ValueError):
            parse_aspect(bad)


def _run(*args):
    return subprocess.run([sys.executable, "-m", "saliency", *args], capture_output=True, text=True, timeout=120)


def test_cli_crop_with_maps(tmp_path):
    imgs, maps = tmp_path / "images", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(imgs / f"im{i}.jpg"), rng.integers(0, 255, (120, 200, 3), dtype=np.uint8))
        m = np.zeros((60, 100), np.uint8)  # half size: resized to the image
        m[10:20, 80 - 20 * i:95 - 20 * i] = 255
        cv2.imwrite(str(maps / f"im{i}.png"), m)
    (imgs / "broken.jpg").write_bytes(b"not an image")
    cv2.imwrite(str(maps / "broken.png"), np.zeros((4, 4), np.uint8))
    r = _run("crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(tmp_path / "o"),
             "--scale", "64x64", "--quiet")
    assert r.returncode == 0, r.stderr
    boxes = json.loads((tmp_path / "o" / "crops.json").read_text())
    assert sorted(boxes["boxes"]) == ["im0", "im1", "im2"] and len(boxes["skipped"]) == 1
    for name, b in boxes["boxes"].items():
        assert b["crop"]["w"] == b["crop"]["h"] == 120 and b["crop"]["kept"] > 0.99
        assert cv2.imread(str(tmp_path / "o" / f"{name}.jpg")).shape == (64, 64, 3)
    few = tmp_path / "few"  # a maps folder without most of the maps (apart from --out: issue 16)
    few.mkdir()
    (few / "im0.png").write_bytes((maps / "im0.png").read_bytes())
    r = _run("crop", "--images", str(imgs), "--maps", str(few), "--aspect", "1:1", "--out", str(tmp_path / "p"))
    assert r.returncode == 2 and "no map for" in r.stderr and not (tmp_path / "p").exists()
    r = _run("crop", "--images", str(imgs), "--maps", str(tmp_path), "--aspect", "1:1", "--out", str(tmp_path / "p"))
    assert r.returncode == 2 and "lies inside the input --maps" in r.stderr and not (tmp_path / "p").exists()
    r = _run("crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "wide", "--out", str(tmp_path / "p"))
    assert r.returncode == 2 and "--aspect" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = _run("crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(tmp_path / "p"),
             "--scale", "big")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "p").exists()
    assert "argument --scale: 'big': expected WIDTHxHEIGHT (e.g. 320x180) or a positive factor (e.g. 0.5)" in r.stderr
    r = _run("crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(tmp_path / "h"),
             "--scale", "0.5", "--quiet")
    assert r.returncode == 0, r.stderr
    for name in ("im0", "im1", "im2"):  # the 120 x 120 crop halved
        assert cv2.imread(str(tmp_path / "h" / f"{name}.jpg")).shape == (60, 60, 3)


def test_crop_folder_library(tmp_path, capsys):
    """``crop_folder`` (what ``saliency crop`` calls): each crop is the brute-force best window, pixel for pixel."""
    from saliency.base.errors import UserError
    from saliency.crop import check_scale, crop_folder

    imgs, maps = tmp_path / "images", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    rng = np.random.default_rng(1)
    pictures, sal = {}, {}
    for i in range(2):
        pictures[f"p{i}"] = rng.integers(0, 255, (18, 30, 3), dtype=np.uint8)
        sal[f"p{i}"] = (rng.random((18, 30)) ** 8 * 255).astype(np.uint8)
        cv2.imwrite(str(imgs / f"p{i}.png"), pictures[f"p{i}"])
        cv2.imwrite(str(maps / f"p{i}.png"), sal[f"p{i}"])
    res = crop_folder(imgs, tmp_path / "o", "1:1", maps=maps, progress=False)
    assert capsys.readouterr().err == ""  # progress=False: silent
    assert sorted(res.boxes) == ["p0", "p1"] and res.skipped == []
    saved = json.loads((tmp_path / "o" / "crops.json").read_text())
    assert saved["boxes"] == res.boxes and saved["aspect"] == "1:1" and saved["source"] == str(maps)
    for name, b in res.boxes.items():
        c = b["crop"]
        assert (c["w"], c["h"]) == (18, 18)
        s = sal[name].astype(np.float64)
        assert s[c["y"]:c["y"] + 18, c["x"]:c["x"] + 18].sum() == pytest.approx(brute_best(s, 18, 18))
        crop = cv2.imread(str(tmp_path / "o" / f"{name}.png"))
        np.testing.assert_array_equal(crop, pictures[name][c["y"]:c["y"] + 18, c["x"]:c["x"] + 18])
        assert b["center"] == {"x": 6, "y": 0, "w": 18, "h": 18}
    assert check_scale((320, 180)) == (320, 180) and check_scale(0.5) == 0.5 and check_scale(2) == 2.0
    assert check_scale(None) is None
    for kwargs, message in ((dict(maps=maps, keep=1.5), "keep 1.5: must be in (0, 1]"),
                            (dict(maps=maps, scale="320x180"), "scale '320x180': expected (width, height)"),
                            (dict(maps=maps, scale=(0, 5)), "scale (0, 5): expected (width, height)"),
                            (dict(maps=maps, scale=-1.0), "scale -1.0: expected (width, height)"),
                            (dict(), "give one source of saliency")):
        with pytest.raises(UserError, match=re.escape(message)):
            crop_folder(imgs, tmp_path / "x", "1:1", **kwargs)
    assert not (tmp_path / "x").exists()


def test_a_scale_beyond_the_pixel_limit_blames_the_option(tmp_path, capsys):
    """``--scale 1e9`` was reported as "a0.png: OpenCV cannot process this image"; ``--scale 100000x100000``
    likewise. Both are now one line naming ``--scale``, and nothing is written."""
    from saliency.cli import main

    images, maps = tmp_path / "img", tmp_path / "maps"
    images.mkdir()
    maps.mkdir()
    cv2.imwrite(str(images / "a0.png"), np.full((48, 64, 3), 90, np.uint8))
    cv2.imwrite(str(maps / "a0.png"), np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1)))
    for scale in ("1e9", "100000x100000"):
        try:
            rc = main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", "1:1", "--scale", scale,
                       "--out", str(tmp_path / "c"), "--quiet"])
        except SystemExit as exc:  # a size refused at parse time
            rc = exc.code
        err = capsys.readouterr().err
        assert rc == 2 and "--scale" in err and "a0.png: OpenCV" not in err, err
        assert not (tmp_path / "c").exists()
    assert main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", "1:1", "--scale", "2",
                 "--out", str(tmp_path / "c"), "--quiet"]) == 0
    assert cv2.imread(str(tmp_path / "c" / "a0.png")).shape == (96, 96, 3)


def test_a_phone_photo_is_cropped_upright(tmp_path):
    """Every decode reads pixels as stored (EXIF tags ignored, so masks and maps stay aligned): crop then cut
    16:9 thumbnails of phone photos lying on their side. Oracle: the photo turned by PIL's exif_transpose and
    its map turned by numpy; the box must hold the marker, and the thumbnail must be the upright photo's."""
    import cv2
    from PIL import Image, ImageOps

    from saliency.cli import main

    stored = np.full((160, 240, 3), 90, np.uint8)  # stored 240 wide x 160 high, shown 160 x 240 (tag 6)
    stored[20:40, 180:200] = (230, 30, 30)          # the salient marker (RGB)
    (tmp_path / "img").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "img" / "p.jpg", quality=95, exif=exif)
    sal = np.zeros((160, 240), np.uint8)
    sal[20:40, 180:200] = 255                        # the map as predict writes it: stored orientation
    (tmp_path / "maps").mkdir()
    cv2.imwrite(str(tmp_path / "maps" / "p.png"), sal)
    assert main(["crop", "--images", str(tmp_path / "img"), "--maps", str(tmp_path / "maps"), "--aspect", "1:2",
                 "--out", str(tmp_path / "out"), "--quiet"]) == 0
    with Image.open(tmp_path / "img" / "p.jpg") as im:
        upright = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    assert upright.shape[:2] == (240, 160)
    box = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]["p"]
    assert box["size"] == [160, 240] and box["exif_orientation"] == 6
    c = box["crop"]
    assert c["w"] * 2 == c["h"]  # 1:2 of the upright photo
    ys, xs = np.nonzero((upright[..., 0] > 150) & (upright[..., 1] < 100))
    assert c["x"] <= xs.min() and xs.max() < c["x"] + c["w"] and c["y"] <= ys.min() and ys.max() < c["y"] + c["h"]
    thumb = cv2.cvtColor(cv2.imread(str(tmp_path / "out" / "p.jpg")), cv2.COLOR_BGR2RGB)
    ref = upright[c["y"]:c["y"] + c["h"], c["x"]:c["x"] + c["w"]]
    assert thumb.shape == ref.shape and np.abs(thumb.astype(int) - ref).mean() < 6  # JPEG twice

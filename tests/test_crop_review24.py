"""``saliency crop``: an image too small for any window of the aspect, and grey + alpha PNGs kept as such.

Found by the images review of this stop:

- ``--aspect 1:100`` on a 60 x 40 image silently wrote a 1 x 40 crop (1:40) and exited 0; with
  ``--scale 10x1000`` that crop was stretched 2.5 times, what the ``--scale`` check exists to prevent.
  Oracle (hand-worked): the smallest 1:100 window is 1 x 100 pixels, taller than the image, so the
  closest window is 1 pixel wide and the full 40 rows; fitted inside 10 x 1000 by one factor,
  min(10 / 1, 1000 / 40) = 10, it is 10 x 400. A 10 x 200 image holds the 2 x 200 window exactly.
- a grey + alpha PNG was written as RGBA though the help says the crop keeps the input's pixel format.
  Oracle: PIL (not OpenCV, which the command decodes with) reads the crop back, mode and pixels, against
  the input array sliced at a hand-worked box: 40 x 30 images, 1:1, saliency only in the last column,
  so the 30 x 30 window at x = 10.
"""

from __future__ import annotations

import json
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from saliency.cli import main


def _run(tmp_path, images, maps, aspect, *extra):
    out = tmp_path / "out"
    assert main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", aspect, "--out", str(out),
                 "--quiet", *extra]) == 0
    return out, json.loads((out / "crops.json").read_text())["boxes"]


def _folders(tmp_path, sizes):
    images, maps = tmp_path / "img", tmp_path / "maps"
    images.mkdir()
    maps.mkdir()
    rng = np.random.default_rng(0)
    for name, (w, h) in sizes.items():
        cv2.imwrite(str(images / f"{name}.png"), rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        np.save(maps / f"{name}.npy", np.ones((h, w)))
    return images, maps


def test_of_aspect_closed_form():
    from saliency.crop import of_aspect

    assert of_aspect(1, 100, 0.01) and of_aspect(2, 200, 0.01) and of_aspect(100, 1, 100.0)
    assert of_aspect(16, 9, 16 / 9) and of_aspect(2, 1, 16 / 9)  # 1.78 rounds to 2: rounding, not another aspect
    assert not of_aspect(1, 40, 0.01)  # 0.4 pixel raised to 1
    assert not of_aspect(60, 1, 100.0)  # 100 pixels cut to 60
    # 0.61 pixel rounds to 1, yet a 1:100 window needs 100 rows (review 24: a 97x61 image's 1x61 crop went unsaid)
    assert not of_aspect(1, 61, 0.01) and not of_aspect(61, 1, 100.0)
    assert not of_aspect(1, 1, 2 / 3)  # the smallest 2:3 window is 1x2


def test_an_image_51_to_99_rows_high_is_too_small_for_1_100_too(tmp_path):
    images, maps = _folders(tmp_path, {"h61": (97, 61)})
    out, boxes = _run(tmp_path, images, maps, "1:100")
    assert (boxes["h61"]["crop"]["w"], boxes["h61"]["crop"]["h"]) == (1, 61)
    assert boxes["h61"]["off_aspect"] == ("no 1:100 window fits in 97x61 pixels (the smallest is 1x100): "
                                          "cropped 1x61 instead")


def test_too_small_for_the_aspect_is_recorded_and_counted(tmp_path, capsys):
    images, maps = _folders(tmp_path, {"a": (60, 40), "tall": (10, 200)})
    out, boxes = _run(tmp_path, images, maps, "1:100")
    c = boxes["a"]["crop"]
    assert (c["w"], c["h"]) == (1, 40)
    assert boxes["a"]["off_aspect"] == ("no 1:100 window fits in 60x40 pixels (the smallest is 1x100): "
                                        "cropped 1x40 instead")
    assert (boxes["tall"]["crop"]["w"], boxes["tall"]["crop"]["h"]) == (2, 200) and "off_aspect" not in boxes["tall"]
    assert ("saliency crop: 1 image(s) too small for a 1:100 window: the closest window was used, of another aspect "
            "('off_aspect' in crops.json): a\n") in capsys.readouterr().err


def test_too_wide_an_aspect_is_recorded_too(tmp_path, capsys):
    images, maps = _folders(tmp_path, {"a": (60, 40)})
    out, boxes = _run(tmp_path, images, maps, "100:1")
    assert (boxes["a"]["crop"]["w"], boxes["a"]["crop"]["h"]) == (60, 1)
    assert boxes["a"]["off_aspect"] == ("no 100:1 window fits in 60x40 pixels (the smallest is 100x1): "
                                        "cropped 60x1 instead")
    assert "saliency crop: 1 image(s) too small for a 100:1 window" in capsys.readouterr().err


def test_scale_never_stretches_a_crop_of_another_aspect(tmp_path, capsys):
    images, maps = _folders(tmp_path, {"a": (60, 40), "tall": (10, 200)})
    out, boxes = _run(tmp_path, images, maps, "1:100", "--scale", "10x1000")
    assert Image.open(out / "a.png").size == (10, 400)  # one factor, 10, on both sides
    assert Image.open(out / "tall.png").size == (10, 1000)  # of the aspect: the size asked for
    assert boxes["a"]["off_aspect"].endswith(
        "cropped 1x40 instead, scaled to 10x400 to fit in 10x1000 (not stretched)")
    assert ("saliency crop: 1 image(s) too small for a 1:100 window: the closest window was used, of another "
            "aspect; scaled to fit in 10x1000, not stretched ('off_aspect' in crops.json): a\n") \
        in capsys.readouterr().err


def _grey_alpha_png(a: np.ndarray) -> bytes:
    """A 16-bit grey + alpha PNG written by hand (filter 0; neither OpenCV nor PIL writes one)."""
    h, w = a.shape[:2]
    raw = b"".join(b"\x00" + a[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 4, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _pixel_folders(tmp_path):
    rng = np.random.default_rng(3)
    images, maps = tmp_path / "img", tmp_path / "maps"
    images.mkdir()
    maps.mkdir()
    la = rng.integers(0, 256, (30, 40, 2), dtype=np.uint8)
    Image.fromarray(la, "LA").save(images / "la.png")
    la16 = rng.integers(0, 65536, (30, 40, 2), dtype=np.uint16)
    (images / "la16.png").write_bytes(_grey_alpha_png(la16))
    Image.fromarray(la[..., 0]).convert("P").save(images / "pal.png")
    grey_rgba = np.repeat(la[..., :1], 4, axis=2)
    grey_rgba[..., 3] = la[..., 1]
    Image.fromarray(grey_rgba, "RGBA").save(images / "greyrgba.png")  # grey pixels, but stored RGBA
    sal = np.zeros((30, 40), np.float32)
    sal[:, 39] = 1.0
    for name in ("la", "la16", "pal", "greyrgba"):
        np.save(maps / f"{name}.npy", sal)
    return images, maps, la, la16, grey_rgba


def test_grey_alpha_png_stays_grey_alpha_and_palette_becomes_rgb(tmp_path):
    images, maps, la, la16, grey_rgba = _pixel_folders(tmp_path)
    out, boxes = _run(tmp_path, images, maps, "1:1")
    for name in ("la", "la16", "pal", "greyrgba"):
        c = boxes[name]["crop"]
        assert (c["x"], c["y"], c["w"], c["h"]) == (10, 0, 30, 30)
    with Image.open(out / "la.png") as im:
        assert im.mode == "LA"
        np.testing.assert_array_equal(np.asarray(im), la[:, 10:])
    head = (out / "la16.png").read_bytes()[:26]
    assert (head[24], head[25]) == (16, 4)  # 16-bit, grey + alpha
    got = cv2.imread(str(out / "la16.png"), cv2.IMREAD_UNCHANGED)  # libpng's reading, to 16-bit BGRA
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got[..., [0, 1, 2, 3]], la16[:, 10:][..., [0, 0, 0, 1]])
    with Image.open(out / "pal.png") as im, Image.open(images / "pal.png") as src:
        assert im.mode == "RGB"  # documented: a palette image is written as RGB
        np.testing.assert_array_equal(np.asarray(im), np.asarray(src.convert("RGB"))[:, 10:])
    with Image.open(out / "greyrgba.png") as im:  # RGBA stays RGBA even when every pixel is grey
        assert im.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(im), grey_rgba[:, 10:])


def test_grey_alpha_png_scaled_stays_grey_alpha(tmp_path):
    images, maps, la, *_ = _pixel_folders(tmp_path)
    out, _ = _run(tmp_path, images, maps, "1:1", "--scale", "15x15")
    # halving by area: each pixel the mean of a 2 x 2 block, rounded to a whole value
    ref = la[:, 10:].astype(float).reshape(15, 2, 15, 2, 2).mean(axis=(1, 3))
    with Image.open(out / "la.png") as im:
        assert im.mode == "LA" and im.size == (15, 15)
        assert np.abs(np.asarray(im) - ref).max() <= 0.5


def test_help_says_what_pixel_format_is_kept(capsys):
    with pytest.raises(SystemExit):
        main(["crop", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert ("in the input's own pixel format (greyscale, grey+alpha, colour, alpha and 16-bit kept; palette images "
            "are written as RGB, or RGBA with transparency)") in text

"""``saliency crop``: the source's ICC colour profile is kept; a map of another shape (turned 90 deg) is refused.

1. OpenCV writes no ICC profile, so a phone photo (Display P3) or a camera photo (Adobe RGB) gave a crop
   without one, its colours shifted in a colour-managed viewer. Oracle: the profile bytes given to PIL when
   the source was written, read back from the crop by PIL; the crop's pixels equal what OpenCV writes for the
   same slice (the hand-worked box) in that format, as before the fix. A profile the crop cannot carry (a
   CMYK profile on a JPEG decoded as RGB, a format without profiles) is named in crops.json instead.
2. A map turned 90 deg against its image (upright map, photo stored turned with EXIF tag 6) was stretched onto
   it: the reviewer's tag-6 photo with saliency in the map's bottom 20 rows gave y=10 kept 0.75. Such a map is
   refused as ``saliency train`` refuses one (aspect ratio off by more than 1 %), naming both files and shapes.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from cli_fakes import refusal, run_cli

ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
BOX = {"x": 10, "y": 0, "w": 60, "h": 60, "kept": 1.0}  # 80x60, 1:1, saliency in columns 60-69: x 10..20, centre 10


def _picture(channels=3):
    rng = np.random.default_rng(7)
    ys, xs = np.mgrid[0:60, 0:80]
    img = np.stack([xs * 3, ys * 4, (xs + ys) * 2] + [255 - xs] * (channels - 3), axis=-1)
    return np.clip(img + rng.integers(0, 20, img.shape), 0, 255).astype(np.uint8)  # RGB(A), as PIL takes it


def _map(tmp_path, stem, shape=(60, 80), rows=slice(20, 30), cols=slice(60, 70)):
    m = np.zeros(shape, np.uint8)
    m[rows, cols] = 255
    (tmp_path / "maps").mkdir(exist_ok=True)
    cv2.imwrite(str(tmp_path / "maps" / f"{stem}.png"), m)


def _crop(capsys, tmp_path, *extra):
    rc, out, err = run_cli(capsys, ["crop", "--images", tmp_path / "img", "--maps", tmp_path / "maps",
                                    "--aspect", "1:1", "--out", tmp_path / "out", "--quiet", *extra])
    return rc, out, err


@pytest.mark.parametrize("ext, mode", [(".jpg", "RGB"), (".png", "RGB"), (".png", "RGBA"), (".webp", "RGB"),
                                       (".tif", "RGB"), (".tif", "RGBA")])
def test_profile_kept_pixels_unchanged(capsys, tmp_path, ext, mode):
    (tmp_path / "img").mkdir()
    Image.fromarray(_picture(len(mode)), mode).save(tmp_path / "img" / f"p{ext}", icc_profile=ICC)
    _map(tmp_path, "p")
    rc, out, err = _crop(capsys, tmp_path)
    assert rc == 0, err
    box = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]["p"]
    assert box["crop"] == BOX and "icc_profile" not in box
    with Image.open(tmp_path / "out" / f"p{ext}") as im:
        assert im.info.get("icc_profile") == ICC
    src = cv2.imread(str(tmp_path / "img" / f"p{ext}"), cv2.IMREAD_UNCHANGED)
    ok, enc = cv2.imencode(ext, src[0:60, 10:70])  # what crop wrote for this slice before: OpenCV's encoding
    want = cv2.imdecode(enc, cv2.IMREAD_UNCHANGED)
    got = cv2.imread(str(tmp_path / "out" / f"p{ext}"), cv2.IMREAD_UNCHANGED)
    assert ok and got.shape == want.shape and np.array_equal(got, want)
    if ext != ".jpg":  # lossless: the crop is the source's pixels
        assert np.array_equal(got, src[0:60, 10:70])


def test_profile_not_kept_is_said(capsys, tmp_path):
    (tmp_path / "img").mkdir()
    cmyk = ICC[:16] + b"CMYK" + ICC[20:]  # a CMYK JPEG is decoded (and its crop written) as RGB
    Image.fromarray(_picture(3)).convert("CMYK").save(tmp_path / "img" / "c.jpg", icc_profile=cmyk)
    Image.fromarray(_picture(3)).save(tmp_path / "img" / "m.ppm", format="PNG", icc_profile=ICC)  # misnamed PNG
    for stem in "cm":
        _map(tmp_path, stem)
    rc, out, err = _crop(capsys, tmp_path)
    assert rc == 0, err
    boxes = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]
    assert boxes["c"]["icc_profile"] == "its CMYK colour profile was not kept: the crop is written as RGB"
    assert boxes["m"]["icc_profile"] == "its colour profile was not kept: a .ppm crop cannot carry one"
    with Image.open(tmp_path / "out" / "c.jpg") as im:
        assert "icc_profile" not in im.info


def _tag6(tmp_path):
    """The reviewer's photo: stored 80x60, EXIF orientation 6 (shown turned 90 deg clockwise, 60x80)."""
    (tmp_path / "img").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(_picture(3)).save(tmp_path / "img" / "p.jpg", exif=exif)


def test_turned_map_refused(capsys, tmp_path):
    _tag6(tmp_path)
    _map(tmp_path, "p", shape=(80, 60), rows=slice(60, 80), cols=slice(0, 60))  # upright map: bottom 20 rows
    line = refusal(*_crop(capsys, tmp_path))
    maps, img = tmp_path / "maps" / "p.png", tmp_path / "img" / "p.jpg"
    assert line == (f"saliency crop: error: --maps {maps}: the map is 60x80 but its image {img} is 80x60 as "
                    f"stored, another shape (turned 90 deg?); give a map of the image as stored (before its "
                    f"EXIF rotation)")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("shape", [(60, 80), (120, 160), (120, 161)])  # same shape, 2x, 0.6 % off: all scaled
def test_map_of_the_stored_image_accepted(capsys, tmp_path, shape):
    _tag6(tmp_path)
    # the display's bottom 20 rows are the stored image's right 20 columns (turned 90 deg clockwise)
    _map(tmp_path, "p", rows=slice(0, 60), cols=slice(60, 80))
    m = cv2.imread(str(tmp_path / "maps" / "p.png"), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(tmp_path / "maps" / "p.png"), cv2.resize(m, shape[::-1], interpolation=cv2.INTER_NEAREST))
    rc, out, err = _crop(capsys, tmp_path)
    assert rc == 0, err
    box = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]["p"]
    assert box["size"] == [60, 80] and box["exif_orientation"] == 6
    assert (box["crop"]["x"], box["crop"]["y"], box["crop"]["w"], box["crop"]["h"]) == (0, 20, 60, 60)
    assert box["crop"]["kept"] == pytest.approx(1.0, abs=0.01)

"""`saliency crop` cases found by the stop-20 review, each against a hand-worked case or PIL.

Oracles: the array PIL wrote into a TIFF beside its orientation tag (the pixels as
stored) and PIL's ``ImageOps.exif_transpose`` (the photo upright); a crop's invariance to scaling the
map by a positive constant (closed form: every choice is a ratio of sums); a
salient spot placed by hand.
"""

from __future__ import annotations

import io
import json
import unicodedata

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from saliency.base.errors import UserError
from saliency.base.images import decode
from saliency.crop import crop_folder, saliency_crop


def _tiff(a: np.ndarray, tag: int) -> bytes:
    ex = Image.Exif()
    ex[0x0112] = tag
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "TIFF", exif=ex.tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("tag", range(1, 9))
def test_a_tiff_is_decoded_as_stored_whatever_its_orientation_tag(tag):
    """OpenCV 4.14 turns a TIFF upright even with IMREAD_UNCHANGED; crop then turned it a second time."""
    a = np.random.default_rng(tag).integers(0, 256, (12, 20, 3), dtype=np.uint8)
    data = np.frombuffer(_tiff(a, tag), np.uint8)
    got = decode(data, cv2.IMREAD_UNCHANGED)
    assert np.array_equal(got[..., ::-1], a)  # the pixels PIL stored (Pillow 13 itself loads a TIFF upright)
    assert decode(data, cv2.IMREAD_GRAYSCALE).shape == (12, 20)


def test_a_tiff_with_a_rotation_tag_is_cropped_upright_once(tmp_path):
    H, W = 120, 200
    a = np.full((H, W, 3), 128, np.uint8)
    a[10:30, 150:190] = (255, 0, 0)  # a red object at the top right as stored (RGB)
    (tmp_path / "img").mkdir()
    (tmp_path / "maps").mkdir()
    (tmp_path / "img" / "x.tif").write_bytes(_tiff(a, 6))
    m = np.zeros((H, W), np.uint8)
    m[10:30, 150:190] = 255  # the map as stored
    cv2.imwrite(str(tmp_path / "maps" / "x.png"), m)
    crop_folder(tmp_path / "img", tmp_path / "out", "1:2", maps=tmp_path / "maps", keep=1.0, min_size=4,
                progress=False)
    box = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]["x"]
    upright = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "img" / "x.tif")))
    assert box["size"] == [H, W]  # upright: 120 wide, 200 high
    c = box["crop"]
    want = upright[c["y"]:c["y"] + c["h"], c["x"]:c["x"] + c["w"]]
    out = cv2.imdecode(np.fromfile(str(tmp_path / "out" / "x.tif"), np.uint8), cv2.IMREAD_UNCHANGED)[..., ::-1]
    assert np.array_equal(out, want)
    red = (out[..., 0] == 255) & (out[..., 1] == 0)
    assert red.sum() == 800  # the whole object (20 x 40) is inside


@pytest.mark.parametrize("factor", [1e-12, 1e-10, 1e300])
def test_a_crop_does_not_change_when_the_map_is_scaled(factor):
    """The tie tolerance was absolute below a total of 1: a map summing to ~1e-10 gave the centre crop."""
    s = np.zeros((60, 120))
    s[20:40, 95:115] = 1.0  # one salient block near the right edge
    s[10, 5] = 0.2
    for keep in (None, 0.5, 0.9):
        ref = saliency_crop(s, 1.0, keep=keep)
        got = saliency_crop(s * factor, 1.0, keep=keep)
        assert (got.x, got.y, got.w, got.h) == (ref.x, ref.y, ref.w, ref.h)
        assert got.kept == pytest.approx(ref.kept, rel=1e-12)
        if keep is not None:
            assert got.kept >= keep


def _folder(tmp_path, img, sal, name="a"):
    (tmp_path / "img").mkdir(exist_ok=True)
    (tmp_path / "maps").mkdir(exist_ok=True)
    cv2.imwrite(str(tmp_path / "img" / f"{name}.png"), img)
    np.save(tmp_path / "maps" / f"{name}.npy", sal)


def test_a_larger_map_is_area_averaged_so_a_small_spot_is_not_lost(tmp_path):
    """A 10x larger map, resized bilinearly, skipped the 6x8 spot: centre crop, kept 100 %."""
    img = np.zeros((100, 400), np.uint8)
    sal = np.zeros((1000, 4000), np.float32)
    sal[497:503, 3686:3694] = 1.0  # -> image pixel (50, 369)
    _folder(tmp_path, img, sal)
    res = crop_folder(tmp_path / "img", tmp_path / "out", "1:1", maps=tmp_path / "maps", progress=False)
    c = res.boxes["a"]["crop"]
    assert c["x"] <= 369 < c["x"] + c["w"]
    assert c["kept"] == pytest.approx(1.0)


def test_options_that_do_nothing_are_refused(tmp_path):
    _folder(tmp_path, np.zeros((20, 30), np.uint8), np.ones((20, 30)))
    kw = dict(maps=tmp_path / "maps", progress=False)
    with pytest.raises(UserError, match="min_size 500: applies only with keep or compose"):
        crop_folder(tmp_path / "img", tmp_path / "o1", "1:1", min_size=500, **kw)
    with pytest.raises(UserError, match="size .*applies only with checkpoint"):
        crop_folder(tmp_path / "img", tmp_path / "o2", "1:1", size=(64, 64), **kw)
    with pytest.raises(UserError, match="device cpu: applies only with checkpoint"):
        crop_folder(tmp_path / "img", tmp_path / "o3", "1:1", device="cpu", **kw)
    with pytest.raises(UserError, match="scale 320x180: not of the aspect 1:1"):
        crop_folder(tmp_path / "img", tmp_path / "o4", "1:1", scale=(320, 180), **kw)
    with pytest.raises(UserError, match="scale 1e.308: the crop of .* above the limit"):
        crop_folder(tmp_path / "img", tmp_path / "o5", "1:1", scale=1e308, **kw)
    assert not any((tmp_path / f"o{i}").exists() for i in range(1, 6))
    res = crop_folder(tmp_path / "img", tmp_path / "o6", "16:9", scale=(320, 180), keep=0.5, min_size=4, **kw)
    assert cv2.imread(str(tmp_path / "o6" / "a.png"), cv2.IMREAD_UNCHANGED).shape == (180, 320)
    assert json.loads((tmp_path / "o6" / "crops.json").read_text())["min_size"] == 4
    assert res.boxes


def test_the_crop_keeps_the_input_file_name_as_written(tmp_path):
    """A macOS (NFD) name was written in NFC: the output's name was not the input's."""
    nfd = unicodedata.normalize("NFD", "café")
    _folder(tmp_path, np.zeros((20, 30), np.uint8), np.ones((20, 30)), name=nfd)
    crop_folder(tmp_path / "img", tmp_path / "out", "1:1", maps=tmp_path / "maps", progress=False)
    # + the hidden mark of a folder output, listing what crop wrote (review finding 1)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([".saliency-output.json", "crops.json",
                                                                           f"{nfd}.png"])


def test_a_tiff_above_pils_bomb_limit_is_still_turned_back(monkeypatch):
    """PIL refuses to open an image above twice MAX_IMAGE_PIXELS (about 179 M pixels): the tag read as 1 and
    OpenCV's turn was kept. Here PIL's limit is lowered to 100 pixels, so a 12 x 20 TIFF stands in for a huge one."""
    from PIL import Image as PILImage

    from saliency.base.images import exif_orientation

    a = np.random.default_rng(0).integers(0, 256, (12, 20, 3), dtype=np.uint8)
    data = np.frombuffer(_tiff(a, 6), np.uint8)
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100)
    assert np.array_equal(decode(data, cv2.IMREAD_UNCHANGED)[..., ::-1], a)
    assert PILImage.MAX_IMAGE_PIXELS == 100  # restored
    jpg = io.BytesIO()
    ex = Image.Exif()
    ex[0x0112] = 6
    Image.fromarray(a).save(jpg, "JPEG", exif=ex.tobytes())
    assert exif_orientation(io.BytesIO(jpg.getvalue())) == 6

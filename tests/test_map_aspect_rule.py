"""One rule for "is this map its image at another resolution?", used by train (refuses), crop (refuses) and eval
(notes): :func:`saliency.base.images.same_shape_scaled`; and a BMP's embedded colour profile named in crops.json.

1. The 1 % aspect rule could not allow for rounding once a side is under ~100 px: a half-size map of an 11x5 PNG
   (6x3) is 13.6 % off, a 1x25 map of a 1x50 image 100 % off. Since 7755076 ``saliency crop`` refused them (before,
   it resized and cropped them), saying "turned 90 deg?" and "before its EXIF rotation" of a PNG without any tag.
   Oracle: a brute-force search for one scale factor that, rounded down, up or to the nearest, turns the larger
   shape into the smaller; hand-worked crop boxes; the messages worked by hand.
2. A BMP with a BITMAPV5HEADER whose bV5CSType is 'MBED' carries an ICC profile PIL's reader does not expose: its
   crop (a .bmp, which OpenCV writes without one) lost it without the ``icc_profile`` note the README promises.
   Oracle: the BMP file is written here byte by byte.
"""

from __future__ import annotations

import json
import math
import struct
from fractions import Fraction
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli
from saliency.base.errors import UserError

# ----------------------------------------------------------------------------- the rule, against a brute force


def _rounds_to(small, large) -> bool:
    """Whether one factor s turns ``large`` (h, w) into ``small`` with both sides rounded alike: tried at every
    factor where a side's rounding changes (k/2 over a side, k up to twice the smaller side + 2) and between."""
    cuts = sorted({Fraction(k, 2 * side) for side in large for k in range(0, 2 * max(small) + 3)})
    tries = cuts + [(a + b) / 2 for a, b in zip(cuts, cuts[1:])]
    for s in tries:
        if s <= 0:
            continue
        exact = [s * side for side in large]
        floor = [math.floor(x) for x in exact]
        ceil = [math.ceil(x) for x in exact]
        near_ok = all(abs(x - t) <= Fraction(1, 2) for x, t in zip(exact, small))
        if list(small) in (floor, ceil) or near_ok:
            return True
    return False


def _oracle(map_hw, image_hw) -> bool:
    (mh, mw), (ih, iw) = map_hw, image_hw
    if (mh, mw) == (ih, iw) or abs(Fraction(mw * ih, mh * iw) - 1) <= Fraction(1, 100):
        return True
    if mh * mw == ih * iw:
        return _rounds_to(map_hw, image_hw) or _rounds_to(image_hw, map_hw)
    small, large = sorted([map_hw, image_hw], key=lambda s: s[0] * s[1])
    return _rounds_to(small, large)


@pytest.mark.parametrize("map_hw, image_hw, same", [
    ((3, 6), (5, 11), True),        # the review's half-size map of an 11x5 PNG, 13.6 % off
    ((2, 5), (5, 11), True),        # the same, halved and rounded down
    ((25, 1), (50, 1), True),       # the review's 1x25 map of a 1x50 image, 100 % off
    ((3, 33), (11, 101), True),     # a third, rounded down
    ((6, 12), (5, 11), True),       # a map larger than its image, the image the rounded one
    ((5, 11), (11, 5), False),      # turned 90 degrees
    ((80, 60), (60, 80), False),
    ((2, 1), (1, 2), False),
    ((6, 10), (100, 200), False),   # no one rounding gives 10 and 6 from 200 and 100
    ((100, 102), (100, 100), False),
    ((100, 101), (100, 100), True),  # 1 %
    ((1, 500), (2, 500), False),    # half of 2x500 is 1x250
])
def test_rule_examples(map_hw, image_hw, same):
    from saliency.base.images import same_shape_scaled

    assert _oracle(map_hw, image_hw) is same  # the worked example agrees with the brute force
    assert same_shape_scaled(map_hw, image_hw) is same


def test_rule_is_the_brute_force_on_every_small_shape():
    from saliency.base.images import same_shape_scaled

    sides = range(1, 9)
    shapes = [(h, w) for h in sides for w in sides] + [(5, 11), (11, 5), (3, 13), (13, 3), (1, 25), (25, 1)]
    wrong = [(m, i) for m in shapes for i in shapes if same_shape_scaled(m, i) is not _oracle(m, i)]
    assert wrong == []


# ----------------------------------------------------------------------------- train and eval: the same rule


def _train_refuses(map_hw, image_hw) -> bool:
    from saliency.datasets import check_map_shape

    rec = SimpleNamespace(image="img.png", density="map.png", fixations=None)
    try:
        check_map_shape(map_hw, image_hw, rec)
    except UserError:
        return True
    return False


@pytest.mark.parametrize("map_hw, image_hw, refused", [
    ((3, 6), (5, 11), False), ((25, 1), (50, 1), False), ((3, 33), (11, 101), False),
    ((5, 11), (11, 5), True), ((6, 10), (100, 200), True)])
def test_train_and_eval_use_the_rule(map_hw, image_hw, refused):
    from saliency.eval.io import other_aspect

    assert _train_refuses(map_hw, image_hw) is refused
    assert other_aspect(map_hw, image_hw) is refused


def _fix_folder(root, map_hw=(3, 6)):
    """stimuli/a.png 11x5, fixations/a.png of its shape (one fixation at x=9, y=2), maps/a.png of ``map_hw``."""
    for s in ("stimuli", "maps", "fixations"):
        (root / s).mkdir(parents=True)
    cv2.imwrite(str(root / "stimuli" / "a.png"), np.zeros((5, 11, 3), np.uint8))
    fx = np.zeros((5, 11), np.uint8)
    fx[2, 9] = 255
    cv2.imwrite(str(root / "fixations" / "a.png"), fx)
    m = np.zeros(map_hw, np.uint8)
    m[:, -1] = 255  # its right column salient
    cv2.imwrite(str(root / "maps" / "a.png"), m)
    return root


def test_train_loads_a_half_size_map_of_a_small_image(tmp_path):
    from saliency.datasets import SaliencyDataset, find_dataset

    d = _fix_folder(tmp_path / "fix")
    s = SaliencyDataset(find_dataset(d, "fixation").records, "fixation", (5, 11), None, False)[0]
    t = s["target"][0].numpy()
    assert t.shape == (5, 11) and t[:, -1].min() == pytest.approx(1.0) and t[:, 0].max() == 0  # right side
    assert np.argwhere(s["fixations"][0].numpy()).tolist() == [[2, 9]]


def test_eval_notes_no_other_aspect_for_a_half_size_prediction(tmp_path, capsys):
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    m = np.zeros((5, 11), np.uint8)
    m[:, 6:] = 255
    cv2.imwrite(str(gt / "a.png"), m)
    p = np.zeros((3, 6), np.uint8)
    p[:, 3:] = 255
    cv2.imwrite(str(pred / "a.png"), p)
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--no-progress"])
    assert rc == 0, err
    assert "M: 1 image, 1 prediction resized to the GT (bilinear)" in out, out
    assert "aspect ratio" not in out, out


# ----------------------------------------------------------------------------- crop


def _crop(capsys, tmp_path, *extra):
    return run_cli(capsys, ["crop", "--images", tmp_path / "img", "--maps", tmp_path / "maps", "--aspect", "1:1",
                            "--out", tmp_path / "out", "--quiet", *extra])


def _pair(tmp_path, image_hw, map_hw, ext=".png", salient_cols=None):
    (tmp_path / "img").mkdir()
    (tmp_path / "maps").mkdir()
    cv2.imwrite(str(tmp_path / "img" / f"p{ext}"), np.full((*image_hw, 3), 128, np.uint8))
    m = np.zeros(map_hw, np.uint8)
    m[:, salient_cols if salient_cols is not None else slice(None)] = 255
    cv2.imwrite(str(tmp_path / "maps" / "p.png"), m)


def test_crop_takes_a_half_size_map_of_a_small_png(tmp_path, capsys):
    _pair(tmp_path, (5, 11), (3, 6), salient_cols=slice(5, 6))  # the map's right column: the image's right side
    rc, out, err = _crop(capsys, tmp_path)
    assert rc == 0, err
    box = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]["p"]
    assert box["size"] == [11, 5]
    assert {k: box["crop"][k] for k in "xywh"} == {"x": 6, "y": 0, "w": 5, "h": 5}  # the rightmost 5x5 window


def test_crop_takes_a_half_size_map_of_a_one_pixel_wide_image(tmp_path, capsys):
    _pair(tmp_path, (50, 1), (25, 1))
    rc, out, err = _crop(capsys, tmp_path)
    assert rc == 0, err
    box = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]["p"]
    assert box["size"] == [1, 50] and (box["crop"]["w"], box["crop"]["h"]) == (1, 1)


def test_crop_refuses_another_shape_without_turn_or_exif_words(tmp_path, capsys):
    _pair(tmp_path, (60, 80), (40, 80))
    line = refusal(*_crop(capsys, tmp_path))
    assert line == (f"saliency crop: error: --maps {tmp_path / 'maps' / 'p.png'}: the map is 80x40 but its image "
                    f"{tmp_path / 'img' / 'p.png'} is 80x60, another shape; give a map of that image (its shape "
                    f"at any scale)")
    assert not (tmp_path / "out").exists()


def test_crop_refuses_a_turned_map_of_an_untagged_png_without_exif_words(tmp_path, capsys):
    _pair(tmp_path, (5, 11), (12, 6))  # 6x12: 11x5 turned and doubled, rounded
    line = refusal(*_crop(capsys, tmp_path))
    assert line == (f"saliency crop: error: --maps {tmp_path / 'maps' / 'p.png'}: the map is 6x12 but its image "
                    f"{tmp_path / 'img' / 'p.png'} is 11x5, another shape (turned 90 deg?); give a map of that "
                    f"image (its shape at any scale)")


def test_crop_refuses_another_shape_of_a_tagged_photo_without_turn_words(tmp_path, capsys):
    from PIL import Image

    (tmp_path / "img").mkdir()
    (tmp_path / "maps").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.full((60, 80, 3), 128, np.uint8)).save(tmp_path / "img" / "p.jpg", exif=exif)
    cv2.imwrite(str(tmp_path / "maps" / "p.png"), np.zeros((40, 80), np.uint8))
    line = refusal(*_crop(capsys, tmp_path))
    assert line == (f"saliency crop: error: --maps {tmp_path / 'maps' / 'p.png'}: the map is 80x40 but its image "
                    f"{tmp_path / 'img' / 'p.jpg'} is 80x60 as stored, another shape; give a map of the image as "
                    f"stored (before its EXIF rotation)")


# ----------------------------------------------------------------------------- crop: a BMP's embedded profile


def _bmp_v5(cs_type: bytes, profile: bytes = b"", w=8, h=4) -> bytes:
    """A 24-bit BMP with a BITMAPV5HEADER (124 bytes), ``cs_type`` as written in the file, ``profile`` after the
    pixels (bV5ProfileData counts from the header's start)."""
    rows = b"".join(bytes([(10 * x) % 256, 40, 200]) * 1 for _ in range(h) for x in range(w))  # B, G, R
    stride = w * 3
    assert stride % 4 == 0
    prof_at = 124 + len(rows) if profile else 0
    v5 = struct.pack("<IiiHHIIiiII", 124, w, h, 1, 24, 0, len(rows), 2835, 2835, 0, 0)
    v5 += struct.pack("<IIII", 0, 0, 0, 0) + cs_type + b"\0" * 36 + struct.pack("<III", 0, 0, 0)
    v5 += struct.pack("<IIII", 4, prof_at, len(profile), 0)
    assert len(v5) == 124
    body = v5 + rows + profile
    return b"BM" + struct.pack("<IHHI", 14 + len(body), 0, 0, 14 + 124) + body


def test_crop_names_the_embedded_profile_of_a_bmp(tmp_path, capsys):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    (tmp_path / "img").mkdir()
    (tmp_path / "maps").mkdir()
    (tmp_path / "img" / "e.bmp").write_bytes(_bmp_v5(b"DEBM", icc))   # 'MBED', little-endian
    (tmp_path / "img" / "s.bmp").write_bytes(_bmp_v5(b"BGRs"))        # 'sRGB': no profile to keep
    for stem in "es":
        m = np.zeros((4, 8), np.uint8)
        m[:, 6:] = 255
        cv2.imwrite(str(tmp_path / "maps" / f"{stem}.png"), m)
    assert cv2.imread(str(tmp_path / "img" / "e.bmp")).shape == (4, 8, 3)  # a BMP OpenCV reads
    rc, out, err = _crop(capsys, tmp_path)
    assert rc == 0, err
    boxes = json.loads((tmp_path / "out" / "crops.json").read_text())["boxes"]
    assert boxes["e"]["icc_profile"] == "its colour profile was not kept: a .bmp crop cannot carry one"
    assert "icc_profile" not in boxes["s"]
    assert {k: boxes["e"]["crop"][k] for k in "xywh"} == {"x": 4, "y": 0, "w": 4, "h": 4}

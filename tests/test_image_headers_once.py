"""Image headers read once; crop's map resampled as predict's; crop's non-finite sizes refused.

1. ``saliency crop`` opened each image with PIL three times (its orientation tag, its ICC profile, its frame
   count) and ``saliency predict`` a TIFF twice (its tag while decoding, its frame count): one open of the
   header (``saliency.base.images.read_header``) now gives all three. Oracle: a counting wrapper around
   ``PIL.Image.open`` and the values PIL was given when the file was written (tag 6, the sRGB profile, 2 pages).
2. Crop resized a map of another size than its image in one bilinear pass when one side shrinks and the other
   grows; predict and validate resample axis by axis (area on the shrinking axis, then bilinear). Oracle: the
   two OpenCV passes written out here, applied to the map file's own values.
3. ``min_size`` NaN or infinite (and thirds_crop's ``tolerance``) ended in a traceback (``int(nan)``) or a
   ``TypeError``: refused with one line naming the parameter.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms


ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif(tag: int) -> Image.Exif:
    ex = Image.Exif()
    ex[0x0112] = tag
    return ex


def _counting_open(monkeypatch):
    """Patch ``PIL.Image.open`` to count its calls (the files or objects it was given, in order)."""
    calls = []
    real = Image.open

    def counted(fp, *args, **kwargs):
        calls.append(fp)
        return real(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counted)
    return calls


def _photo(h=60, w=80):
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([xs * 3, ys * 4, (xs + ys) * 2], axis=-1).clip(0, 255).astype(np.uint8)


def test_crop_of_a_jpeg_with_exif_and_icc_opens_it_with_pil_once(tmp_path, monkeypatch):
    from saliency.crop import crop_folder

    (tmp_path / "im").mkdir()
    (tmp_path / "maps").mkdir()
    Image.fromarray(_photo()).save(tmp_path / "im" / "a.jpg", exif=_exif(6), icc_profile=ICC, quality=95)
    m = np.zeros((60, 80), np.uint8)
    m[20:30, 60:70] = 255
    cv2.imwrite(str(tmp_path / "maps" / "a.png"), m)
    limit = Image.MAX_IMAGE_PIXELS
    calls = _counting_open(monkeypatch)
    res = crop_folder(tmp_path / "im", tmp_path / "out", "1:1", maps=tmp_path / "maps", progress=False)
    image_opens = [c for c in calls if str(c).endswith("a.jpg")]
    assert len(image_opens) == 1, calls  # was 3: exif_orientation, _source_icc, frame_count
    assert len(calls) == 1, calls  # nothing else (the map is read by OpenCV)
    assert Image.MAX_IMAGE_PIXELS == limit  # PIL's limit put back
    (box,) = res.boxes.values()
    assert box["exif_orientation"] == 6 and box["size"] == [60, 80]  # upright: 60 wide, 80 tall
    assert "icc_profile" not in box and "frames" not in box
    with Image.open(tmp_path / "out" / "a.jpg") as im:
        assert im.info.get("icc_profile") == ICC


def test_predict_of_a_tagged_two_page_tiff_opens_it_with_pil_once(tmp_path, monkeypatch):
    from saliency.predict import predict_baseline_folder

    (tmp_path / "im").mkdir()
    pages = [Image.fromarray(_photo(30, 40)), Image.fromarray(_photo(30, 40)[::-1].copy())]
    pages[0].save(tmp_path / "im" / "t.tif", save_all=True, append_images=pages[1:], exif=_exif(6))
    calls = _counting_open(monkeypatch)
    res = predict_baseline_folder("gaussian-centre", tmp_path / "im", tmp_path / "out", progress=False)
    assert len([c for c in calls if not isinstance(c, io.BytesIO)]) == 1, calls
    assert len(calls) == 1, calls  # was 2: the tag read again from the bytes while decoding
    assert res.multi_frame == [(str(tmp_path / "im" / "t.tif"), 2)]
    # the tag still turns the TIFF back as stored (OpenCV's decoder applies it): 40 wide, 30 tall
    assert cv2.imread(str(tmp_path / "out" / "t.png"), cv2.IMREAD_UNCHANGED).shape == (30, 40)


def test_read_header_agrees_with_the_single_readers(tmp_path):
    """Hand-set values: tag 3 in a PNG eXIf chunk after the pixels, ICC in a PNG, 3 GIF frames, none in a BMP."""
    from saliency.base.images import read_header, stimulus_orientation
    from saliency.eval.io import orientation_tag

    Image.fromarray(_photo(8, 8)).save(tmp_path / "p.png", exif=_exif(3), icc_profile=ICC)
    frames = [Image.fromarray(np.full((4, 4), v, np.uint8)) for v in (0, 100, 200)]
    frames[0].save(tmp_path / "g.gif", save_all=True, append_images=frames[1:])
    cv2.imwrite(str(tmp_path / "b.bmp"), _photo(8, 8))
    (tmp_path / "n.npy").write_bytes(b"\x93NUMPY not an image")
    expected = {"p.png": (3, ICC, 1), "g.gif": (1, None, 3), "b.bmp": (1, None, 1), "n.npy": (1, None, 1)}
    for name, (tag, icc, n) in expected.items():
        head = read_header(tmp_path / name)
        assert (head.orientation, head.icc, head.frames) == (tag, icc, n), name
        assert stimulus_orientation(tmp_path / name) == orientation_tag(tmp_path / name) == tag, name


def test_crop_resamples_a_map_axis_by_axis_as_predict(tmp_path, monkeypatch):
    """A 900x200 map of 1-pixel horizontal stripes for a 904x199 image (aspect within 1 %): rows shrink 200 -> 199,
    columns grow 900 -> 904. Expected: area over rows, then bilinear over columns (two OpenCV passes here)."""
    import saliency.crop as crop_mod
    from saliency.transforms import resize_image

    (tmp_path / "im").mkdir()
    (tmp_path / "maps").mkdir()
    cv2.imwrite(str(tmp_path / "im" / "s.png"), np.full((199, 904), 128, np.uint8))
    m = np.zeros((200, 900), np.float32)
    m[::2] = 1.0
    np.save(tmp_path / "maps" / "s.npy", m)
    seen = []
    real = crop_mod.saliency_crop

    def recording(sal, *args, **kwargs):
        seen.append(np.array(sal))
        return real(sal, *args, **kwargs)

    monkeypatch.setattr(crop_mod, "saliency_crop", recording)
    crop_mod.crop_folder(tmp_path / "im", tmp_path / "out", "1:1", maps=tmp_path / "maps", progress=False)
    rows = cv2.resize(m, (900, 199), interpolation=cv2.INTER_AREA)  # the shrinking axis first, by area
    hand = cv2.resize(rows, (904, 199), interpolation=cv2.INTER_LINEAR)  # then the growing one, bilinearly
    one_pass = cv2.resize(m, (904, 199), interpolation=cv2.INTER_LINEAR)  # the old rule: not both shrinking
    assert len(seen) == 1 and seen[0].shape == (199, 904)
    assert np.abs(one_pass - hand).max() > 2e-3  # the two rules differ on this map
    np.testing.assert_allclose(seen[0], hand, atol=1e-6)
    np.testing.assert_allclose(seen[0], resize_image(m, (199, 904)), atol=0)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_min_size_is_refused_naming_it(value):
    from saliency.base.errors import UserError
    from saliency.crop import saliency_crop, thirds_crop

    s = np.random.default_rng(0).random((50, 60))
    for call in (lambda: saliency_crop(s, 1.0, keep=0.5, min_size=value),
                 lambda: saliency_crop(s, 1.0, min_size=value),
                 lambda: thirds_crop(s, 1.0, keep=0.5, min_size=value)):
        with pytest.raises(UserError, match=r"^min_size (nan|inf|-inf): must be a finite number"):
            call()


@pytest.mark.parametrize("value", [math.nan, -math.inf, math.inf, -0.5])
def test_thirds_crop_refuses_a_bad_tolerance(value):
    from saliency.base.errors import UserError
    from saliency.crop import thirds_crop

    s = np.random.default_rng(0).random((50, 60))
    with pytest.raises(UserError, match=r"^tolerance .*: must be a finite number >= 0"):
        thirds_crop(s, 1.0, tolerance=value)


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_crop_folder_refuses_a_non_finite_min_size_before_writing(tmp_path, value):
    from saliency.base.errors import UserError
    from saliency.crop import crop_folder

    (tmp_path / "im").mkdir()
    (tmp_path / "maps").mkdir()
    cv2.imwrite(str(tmp_path / "im" / "a.png"), _photo())
    cv2.imwrite(str(tmp_path / "maps" / "a.png"), np.full((60, 80), 255, np.uint8))
    with pytest.raises(UserError, match=rf"^min_size {value}: must be a finite number"):
        crop_folder(tmp_path / "im", tmp_path / "out", "1:1", maps=tmp_path / "maps", keep=0.5,
                    min_size=float(value), progress=False)
    assert not (tmp_path / "out").exists()


def test_a_header_read_inside_another_does_not_hang(tmp_path):
    """Review RR12: the lock that lifts PIL's pixel limit was not re-entrant, so a header read inside another in one
    thread (a Python API caller) waited for itself for ever. Run in a thread, with a bound, so a hang fails."""
    import threading

    from PIL import Image

    from saliency.base.images import open_header

    p = tmp_path / "a.png"
    Image.new("RGB", (8, 6)).save(p)
    sizes = []

    def nested():
        with open_header(p) as outer, open_header(p) as inner:
            sizes.append((outer.size, inner.size))

    t = threading.Thread(target=nested, daemon=True)
    t.start()
    t.join(30)
    assert sizes == [((8, 6), (8, 6))]

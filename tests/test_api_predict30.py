"""The Python API of prediction and cropping, called as in a notebook (review R9).

predict_folder / predict_baseline_folder check ``out`` as ``saliency predict`` checks ``--out`` (never the
images folder, never over files the caller did not ask to replace); ``amp``, ``size`` and ``images`` are
checked and named; transforms.resize_image and crop.saliency_crop refuse values they used to misread.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cli_fakes import hashes, refusal, run_cli
from saliency.base.errors import UserError
from saliency.crop import CropBox, saliency_crop
from saliency.predict import predict_baseline_folder, predict_folder
from saliency.transforms import resize_image


def _images(folder, names=("a", "b")):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for n in names:
        cv2.imwrite(str(folder / f"{n}.png"), rng.integers(0, 256, (20, 24, 3), dtype=np.uint8))
    return folder


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """A tiny SOD checkpoint without a training config (every call gives ``size``)."""
    import torch

    from saliency import models

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ck") / "sod.pt"
    torch.save(models.checkpoint_payload(models.create_model("unet_tiny_se_sod")), path)
    return path


def _predict(ckpt, images, out, **kw):
    kw = {"size": (32, 32), "device": "cpu", "progress": False, **kw}
    return predict_folder(ckpt, images, out, **kw)


def _baseline(images, out, **kw):
    return predict_baseline_folder("gaussian-centre", images, out, progress=False, **kw)


# ------------------------------------------------------------------ 1. out: never the images, never over files


@pytest.mark.parametrize("where", ["same", "inside", "holds"])
def test_out_overlapping_the_images_is_refused_and_nothing_is_written(tmp_path, ckpt, where):
    """The reviewer's repro: out == images replaced rgb.png with a grey map. Refused, the images untouched."""
    imgs = _images(tmp_path / "imgs")
    before = hashes(tmp_path)
    out = {"same": imgs, "inside": imgs / "maps", "holds": tmp_path}[where]
    how = {"same": "is the input", "inside": "lies inside the input", "holds": "holds the input"}[where]
    for call in (lambda: _predict(ckpt, imgs, out), lambda: _baseline(imgs, out)):
        with pytest.raises(UserError) as exc:
            call()
        assert str(exc.value) == (f"out {out}: {how} images {imgs}; write the output to a folder apart from "
                                  "the inputs")
        assert hashes(tmp_path) == before and not (imgs / "maps").exists()


def test_log_density_inside_the_images_is_refused(tmp_path):
    imgs = _images(tmp_path / "imgs")
    before = hashes(tmp_path)
    with pytest.raises(UserError, match=r"^log_density .*lies inside the input images"):
        _baseline(imgs, tmp_path / "O", log_density_out=imgs / "ld")
    assert hashes(tmp_path) == before and not (tmp_path / "O").exists()


def test_a_non_empty_out_is_refused_unless_overwrite(tmp_path, ckpt):
    """crop_folder's rule: a folder holding files is replaced only when asked, and only a saliency output."""
    imgs = _images(tmp_path / "imgs", ("a", "b", "c"))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.png").write_bytes(b"my own a.png")
    for call in (lambda **kw: _predict(ckpt, imgs, mine, **kw), lambda **kw: _baseline(imgs, mine, **kw)):
        with pytest.raises(UserError) as exc:
            call()
        assert str(exc.value) == f"out {mine}: folder exists and is not empty; pass overwrite to replace it"
        with pytest.raises(UserError, match=r"^out .*mine: holds 1 entry saliency did not write \(.*a\.png\)"):
            call(overwrite=True)
    assert (mine / "a.png").read_bytes() == b"my own a.png" and sorted(p.name for p in mine.iterdir()) == ["a.png"]

    out = tmp_path / "O"
    res = _predict(ckpt, imgs, out)
    assert sorted(res.written) == [str(out / f"{n}.png") for n in "abc"]
    with pytest.raises(UserError, match="folder exists and is not empty; pass overwrite"):
        _predict(ckpt, imgs, out)
    (imgs / "c.png").unlink()  # the second run has one image fewer: its output is replaced whole
    res = _predict(ckpt, imgs, out, overwrite=True)
    assert sorted(p.name for p in out.glob("*.png")) == ["a.png", "b.png"] and len(res.written) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left


def test_a_fresh_out_holds_the_maps_at_the_images_sizes(tmp_path, ckpt):
    imgs = _images(tmp_path / "imgs")
    res = _baseline(imgs, tmp_path / "B")
    assert sorted(res.written) == [str(tmp_path / "B" / "a.png"), str(tmp_path / "B" / "b.png")]
    for path in res.written:
        assert cv2.imread(path, cv2.IMREAD_UNCHANGED).shape == (20, 24)


def test_the_command_line_keeps_its_messages_and_output(tmp_path, capsys):
    """saliency predict passes its own stage: the same refusal as before, and a folder of maps and its mark."""
    imgs = _images(tmp_path / "imgs")
    line = refusal(*run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", imgs, "--out", imgs,
                                     "--quiet"]))
    assert line == (f"saliency predict: error: --out {imgs}: is the input --images {imgs}; write the output to "
                    "a folder apart from the inputs")
    argv = ["predict", "--baseline", "gaussian-centre", "--images", imgs, "--out", tmp_path / "O", "--log-density",
            tmp_path / "L", "--quiet"]
    rc, out, err = run_cli(capsys, argv)
    assert rc == 0 and err == "" and out.startswith(f"wrote 2 maps to {tmp_path / 'O'}/")
    assert sorted(p.name for p in (tmp_path / "O").iterdir()) == [".saliency-output.json", "a.png", "b.png"]
    assert sorted(p.name for p in (tmp_path / "L").iterdir()) == [".saliency-output.json", "a.npy", "b.npy"]
    rc, out, err = run_cli(capsys, [*argv, "--overwrite"])
    assert rc == 0 and err == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["L", "O", "imgs"]


# ------------------------------------------------------------------ 2. amp: training's choices, nothing else


@pytest.mark.parametrize("amp", ["fp16", "BF16", "banana", "none", "", None])
def test_an_unknown_amp_is_refused(tmp_path, ckpt, amp):
    imgs = _images(tmp_path / "imgs")
    with pytest.raises(UserError) as exc:
        _predict(ckpt, imgs, tmp_path / "O", amp=amp)
    assert str(exc.value) == f"amp {amp!r}: must be one of auto, bf16, off"
    assert not (tmp_path / "O").exists()


def test_amp_off_runs_in_float32(tmp_path, ckpt):
    """On the CPU ``auto`` is float32 too (runtime.inference_bf16): ``off`` gives the very same maps."""
    imgs = _images(tmp_path / "imgs")
    _predict(ckpt, imgs, tmp_path / "auto")
    _predict(ckpt, imgs, tmp_path / "off", amp="off")
    for n in "ab":
        assert np.array_equal(cv2.imread(str(tmp_path / "auto" / f"{n}.png")),
                              cv2.imread(str(tmp_path / "off" / f"{n}.png")))


# ------------------------------------------------------------------ 3. size and images


@pytest.mark.parametrize("size, why", [
    ((0, 10), "height and width must be between 16 and 4096"),
    ((-5, 10), "height and width must be between 16 and 4096"),
    ((1, 64), "height and width must be between 16 and 4096"),
    ((64, 5000), "height and width must be between 16 and 4096"),
    ("64x48", "expected (height, width), two whole numbers, e.g. (288, 384)"),
    ((48,), "expected (height, width), two whole numbers, e.g. (288, 384)"),
    ((48, 48, 3), "expected (height, width), two whole numbers, e.g. (288, 384)"),
    ((48.5, 48), "expected (height, width), two whole numbers, e.g. (288, 384)"),
])
def test_a_bad_size_is_refused_naming_size(tmp_path, ckpt, size, why):
    imgs = _images(tmp_path / "imgs")
    with pytest.raises(UserError) as exc:
        _predict(ckpt, imgs, tmp_path / "O", size=size)
    assert str(exc.value) == f"size {size!r}: {why}"


def test_the_smallest_size_runs_a_coarse_to_fine_model(tmp_path):
    """16x16, the command line's smallest --size, runs c2f (its coarse branch sees 8x8); each map at its image."""
    import torch

    from saliency import models

    torch.manual_seed(0)
    ck = tmp_path / "c2f.pt"
    torch.save(models.checkpoint_payload(models.create_model("c2f_tiny_cbam_sod")), ck)
    imgs = _images(tmp_path / "imgs")
    res = predict_folder(ck, imgs, tmp_path / "O", size=[16, 16], device="cpu", progress=False)
    assert [cv2.imread(p, cv2.IMREAD_UNCHANGED).shape for p in sorted(res.written)] == [(20, 24), (20, 24)]


def test_images_that_is_a_file_is_named_a_file(tmp_path, ckpt):
    imgs = _images(tmp_path / "imgs")
    for call in (lambda: _predict(ckpt, imgs / "a.png", tmp_path / "O"), lambda: _baseline(imgs / "a.png",
                                                                                           tmp_path / "O")):
        with pytest.raises(UserError) as exc:
            call()
        assert str(exc.value) == f"images {imgs / 'a.png'}: is a file, not a folder; give a folder path"


# ------------------------------------------------------------------ 4. resize_image and saliency_crop


@pytest.mark.parametrize("interpolation", ["bilinear", "NEAREST", "area", None])
def test_resize_image_refuses_an_unknown_interpolation(interpolation):
    with pytest.raises(UserError) as exc:
        resize_image(np.zeros((4, 4), np.uint8), (2, 2), interpolation=interpolation)
    assert str(exc.value) == f"interpolation {interpolation!r}: must be one of auto, nearest"


def test_resize_image_nearest_and_auto():
    img = np.array([[0, 100], [200, 50]], np.uint8)
    assert np.array_equal(resize_image(img, (4, 4), interpolation="nearest"),
                          np.repeat(np.repeat(img, 2, axis=0), 2, axis=1))
    big = np.array([[0, 4, 8, 8], [4, 0, 8, 8]], np.uint8)  # shrinking: area averages of 2x2 blocks
    assert np.array_equal(resize_image(big, (1, 2)), np.array([[2, 8]], np.uint8))


@pytest.mark.parametrize("aspect", [0, 0.0, -1.0, float("nan"), float("inf"), "1:1", None])
def test_saliency_crop_refuses_a_bad_aspect(aspect):
    with pytest.raises(UserError) as exc:
        saliency_crop(np.ones((4, 6)), aspect)
    assert str(exc.value) == f"aspect {aspect!r}: must be a positive finite number (width / height), e.g. 1.5"


@pytest.mark.parametrize("keep", [1.5, 0, -1, float("nan"), "0.5"])
def test_saliency_crop_refuses_a_keep_outside_0_1(keep):
    with pytest.raises(UserError) as exc:
        saliency_crop(np.ones((4, 6)), 1.0, keep=keep)
    assert str(exc.value) == f"keep {keep!r}: must be a fraction in (0, 1] of the saliency to keep, or None"


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_saliency_crop_refuses_a_map_of_nan_or_inf(bad):
    s = np.ones((4, 6))
    s[2, 3] = bad
    for keep in (None, 0.5):
        with pytest.raises(UserError) as exc:
            saliency_crop(s, 1.0, keep=keep)
        assert str(exc.value) == "saliency: holds NaN or +inf values; replace them with finite numbers"


def test_saliency_crop_counts_minus_inf_as_zero():
    """-inf is a negative value, counted as 0 as before: 15 of the 23 ones fit the centred 4x4 window."""
    s = np.ones((4, 6))
    s[2, 3] = -np.inf
    assert saliency_crop(s, 1.0) == CropBox(1, 0, 4, 4, 15 / 23)


def test_saliency_crop_refuses_a_map_that_is_not_2d():
    with pytest.raises(UserError) as exc:
        saliency_crop(np.ones((4, 6, 3)), 1.0)
    assert str(exc.value) == "saliency: a map of shape (4, 6, 3); give a 2-D map (height, width)"


def test_saliency_crop_of_valid_values_is_unchanged():
    """Hand-worked: one salient pixel at row 1, column 4 of a 4x6 map; the 4x4 windows holding it start at
    x = 1 or 2, and the tie goes to the one nearest the centre (x = 1). keep=1 with min_size 1: a 1x1 window."""
    s = np.zeros((4, 6))
    s[1, 4] = 3.0
    assert saliency_crop(s, 1.0) == CropBox(1, 0, 4, 4, 1.0)
    assert saliency_crop(s, 1.0, keep=1) == CropBox(4, 1, 1, 1, 1.0)
    assert saliency_crop(s, 2, keep=0.5) == CropBox(3, 1, 2, 1, 1.0)

"""predict and crop after b9f3ddf (review R10).

1. predict_folder/predict_baseline_folder wrote straight into an empty folder whose *name* looked like a staging
   folder; the command now says so with ``staged=True`` (the folder it passes is written as it is, not swapped).
2. A multi-page TIFF or animated WebP gave a map / a crop of its first frame, nothing said. Now said: predict's
   summary line, crop's crops.json ``frames`` (oracle: the files are written here with 2 frames by PIL).
3. A float32 TIFF was "not a readable image (corrupt or unsupported)" to predict, and crop then stopped with "no
   map for 1 image(s)" though the README says such an image is skipped and listed as unreadable.
4. An all-zero map reported 100 % kept and ignored --keep silently: crops.json now says ``blank_map``.
5. ``--list /dev/stdin`` (a pipe) was "file not found".
"""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest
from PIL import Image

from cli_fakes import run_cli
from saliency.base.errors import UserError
from saliency.crop import crop_folder
from saliency.predict import predict_baseline_folder, read_list


def _rgb(h=90, w=120, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _multi(folder):
    """pages.tif (2 pages), anim.webp (2 frames), still.png (1 frame)."""
    folder.mkdir()
    a, b = Image.fromarray(_rgb(seed=1)), Image.fromarray(_rgb(seed=2))
    a.save(folder / "pages.tif", save_all=True, append_images=[b])
    a.save(folder / "anim.webp", save_all=True, append_images=[b], lossless=True)
    cv2.imwrite(str(folder / "still.png"), _rgb(seed=3))
    return folder


# ------------------------------------------------------------------ 1. staged is a keyword, not a name


def test_staged_folder_is_written_as_it_is(tmp_path):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    cv2.imwrite(str(imgs / "a.png"), _rgb())
    mine = tmp_path / "mine"  # any name: the caller says it is its own stage
    mine.mkdir()
    ino = mine.stat().st_ino
    res = predict_baseline_folder("gaussian-centre", imgs, mine, progress=False, staged=True)
    assert mine.stat().st_ino == ino and sorted(os.listdir(mine)) == ["a.png"]
    assert res.written == [str(mine / "a.png")]


# ------------------------------------------------------------------ 2. several frames: said


def test_predict_names_the_images_of_several_frames(tmp_path, capsys):
    imgs = _multi(tmp_path / "multi")
    rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", imgs,
                                    "--out", tmp_path / "p", "--quiet"])
    assert rc == 0 and out.startswith("wrote 3 maps to ")
    assert (f"saliency predict: 2 images have several frames (TIFF pages, animation frames): the first was used: "
            f"{imgs}/anim.webp (2 frames), {imgs}/pages.tif (2 frames)") in err.splitlines()


def test_crop_names_the_images_of_several_frames(tmp_path, capsys):
    imgs = _multi(tmp_path / "multi")
    maps = tmp_path / "maps"
    maps.mkdir()
    for n in ("pages", "anim", "still"):
        cv2.imwrite(str(maps / f"{n}.png"), np.full((90, 120), 7, np.uint8))
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, err
    boxes = json.loads((tmp_path / "c" / "crops.json").read_text())["boxes"]
    assert boxes["pages"]["frames"].startswith("the image has 2 frames (TIFF pages or animation frames): the first")
    assert boxes["anim"]["frames"].startswith("the image has 2 frames")
    assert "frames" not in boxes["still"]
    with Image.open(tmp_path / "c" / "pages.tif") as im:  # what the note says: one page written
        assert im.n_frames == 1


# ------------------------------------------------------------------ 3. float32 TIFF: named, then skipped by crop


def test_float32_tiff_predict_says_float32_and_crop_skips_it(tmp_path, capsys):
    imgs = tmp_path / "f32only"
    imgs.mkdir()
    cv2.imwrite(str(imgs / "c.png"), _rgb())
    cv2.imwrite(str(imgs / "f32.tif"), _rgb().astype(np.float32) / 255)
    preds = tmp_path / "p"
    rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", imgs, "--out", preds,
                                    "--quiet"])
    assert rc == 0 and (preds / "c.png").is_file() and not (preds / "f32.png").exists()
    line = [ln for ln in err.splitlines() if "f32.tif" in ln]
    assert len(line) == 1 and "float32" in line[0] and "corrupt" not in line[0], err
    # the README: an image predict left unmapped "is then skipped and listed as unreadable"
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", preds, "--aspect", "1:1",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, err
    assert f"saliency crop: skipped 1 unreadable image(s): {imgs}/f32.tif" in err.splitlines(), err
    data = json.loads((tmp_path / "c" / "crops.json").read_text())
    assert list(data["boxes"]) == ["c"] and data["skipped"] == [str(imgs / "f32.tif")]


# ------------------------------------------------------------------ 4. blank map: said, not 100 % silently


def test_blank_map_is_recorded(tmp_path):
    imgs, maps = tmp_path / "imgs", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    for n in ("blank", "spot"):
        cv2.imwrite(str(imgs / f"{n}.png"), _rgb())
    cv2.imwrite(str(maps / "blank.png"), np.zeros((90, 120), np.uint8))
    spot = np.zeros((90, 120), np.uint8)
    spot[10:20, 100:110] = 255
    cv2.imwrite(str(maps / "spot.png"), spot)
    res = crop_folder(imgs, tmp_path / "c", "1:1", maps=maps, keep=0.5, progress=False)
    assert res.blank_maps == ["blank"]
    b = res.boxes["blank"]
    assert b["crop"]["x"] == 15 and b["crop"]["w"] == 90 and b["crop"]["h"] == 90  # centred 90x90 in 120x90
    assert b["blank_map"].startswith(f"its map {maps}/blank.png is all zero (no saliency): the largest centred "
                                     "window was used (keep and compose could not apply)")
    assert "blank_map" not in res.boxes["spot"]
    on_disk = json.loads((tmp_path / "c" / "crops.json").read_text())["boxes"]
    assert "blank_map" in on_disk["blank"] and "blank_map" not in on_disk["spot"]


# ------------------------------------------------------------------ 5. --list from a pipe


def test_list_from_a_pipe(tmp_path, capsys):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for n in ("a", "b"):
        cv2.imwrite(str(imgs / f"{n}.png"), _rgb())
    r, w = os.pipe()
    os.write(w, b"a\n")
    os.close(w)
    try:
        rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", imgs,
                                        "--out", tmp_path / "p", "--list", f"/dev/fd/{r}", "--quiet"])
    finally:
        os.close(r)
    assert rc == 0 and out.startswith("wrote 1 map to "), (rc, out, err)
    assert (tmp_path / "p" / "a.png").is_file() and not (tmp_path / "p" / "b.png").exists()


def test_list_that_cannot_be_read_says_why():
    if not os.path.exists("/proc/self/mem"):
        pytest.skip("needs /proc")
    with pytest.raises(UserError) as exc:
        read_list("/proc/self/mem")  # exists, is no folder, and reading it fails (EIO)
    assert str(exc.value) == ("list /proc/self/mem: cannot be read (Input/output error); give a readable text file "
                              "or split.json")


# ------------------------------------------------------------------ 6. crop's summary: blank maps and several frames


def _flat_and(tmp_path, other_img, other_map):
    """imgs/flat.png (map: uniform 7) and imgs/<other> (map: ``other_map``), 120x90 each."""
    imgs, maps = tmp_path / "imgs", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    cv2.imwrite(str(imgs / "flat.png"), _rgb(seed=3))
    cv2.imwrite(str(maps / "flat.png"), np.full((90, 120), 7, np.uint8))
    other_img(imgs)
    cv2.imwrite(str(maps / "other.png"), other_map)
    return imgs, maps


def _png(imgs):
    cv2.imwrite(str(imgs / "other.png"), _rgb(seed=4))


def _two_pages(imgs):
    Image.fromarray(_rgb(seed=1)).save(imgs / "other.tif", save_all=True, append_images=[Image.fromarray(_rgb())])


def test_crop_summary_leaves_blank_maps_out_of_the_kept_mean(tmp_path, capsys):
    imgs, maps = _flat_and(tmp_path, _png, np.zeros((90, 120), np.uint8))
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, err
    lines = out.splitlines()
    # hand-worked: a uniform map's 90x90 window of 120x90 keeps 90/120 = 75 %; the blank map's 100 % is no measure
    assert "saliency kept: mean 75.0%, min 75.0% (1 blank map(s) left out)" in lines, out
    assert ("saliency crop: 1 image(s) with a blank map (all zero, no saliency): the largest centred window was "
            "used ('blank_map' in crops.json): other") in err.splitlines(), err
    assert "several frames" not in out + err


def test_crop_summary_blank_map_says_keep_could_not_apply(tmp_path, capsys):
    imgs, maps = _flat_and(tmp_path, _png, np.zeros((90, 120), np.uint8))
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1", "--keep", "0.5",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, err
    assert ("saliency crop: 1 image(s) with a blank map (all zero, no saliency): the largest centred window was "
            "used, --keep 0.5 could not apply ('blank_map' in crops.json): other") in err.splitlines(), err
    assert "1 blank map(s) left out" in out


def test_crop_summary_when_every_map_is_blank(tmp_path, capsys):
    imgs, maps = tmp_path / "imgs", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    for n in ("a", "b"):
        cv2.imwrite(str(imgs / f"{n}.png"), _rgb())
        cv2.imwrite(str(maps / f"{n}.png"), np.zeros((90, 120), np.uint8))
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, err
    lines = out.splitlines()
    assert "saliency kept: not measured: every map is blank (all zero, no saliency; 2 image(s))" in lines, out
    assert not any("mean" in ln for ln in lines)  # no "mean 100.0%" of nothing
    assert ("saliency crop: 2 image(s) with a blank map (all zero, no saliency): the largest centred window was "
            "used ('blank_map' in crops.json): a, b") in err.splitlines(), err


def test_crop_summary_names_a_two_page_tiff(tmp_path, capsys):
    spot = np.zeros((90, 120), np.uint8)
    spot[40:50, 55:65] = 255  # inside the centred 90x90 window: kept 100 %
    imgs, maps = _flat_and(tmp_path, _two_pages, spot)
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, err
    lines = out.splitlines()
    assert ("saliency crop: 1 image(s) of several frames (TIFF pages, animation frames): the first was cropped "
            "('frames' in crops.json): other (2 frames)") in err.splitlines(), err
    assert "saliency kept: mean 87.5%, min 75.0%" in lines, out  # (75 % + 100 %) / 2, no blank map
    assert "blank" not in out + err


def test_crop_help_says_an_image_predict_cannot_read_is_skipped(capsys):
    rc, out, err = run_cli(capsys, ["crop", "--help"])
    assert rc == 0
    text = " ".join(out.split())
    assert ("unless saliency predict cannot read it either (it writes no map for a corrupt file or a TIFF of "
            "floating-point samples, e.g. float32): such an image is skipped and listed as unreadable") in text


# ------------------------------------------------------------------ 7. odd files after 447c35e (review RRi)


def _tiny_tiffs(folder):
    """a.png (readable) and two TIFFs of 5 and 6 bytes: a magic number and part of the first-IFD offset."""
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), _rgb())
    (folder / "tiny.tif").write_bytes(b"II*\x00\x08")
    (folder / "tiny2.tif").write_bytes(b"MM\x00*\x00\x00")
    return folder


@pytest.mark.parametrize("how", [["--baseline", "gaussian-centre"], ["--baseline", "spectral-residual"]])
def test_tiff_of_a_few_bytes_is_skipped_as_unreadable_by_predict(tmp_path, capsys, how):
    """A 5-7 byte TIFF crashed predict ("unexpected error: unpack requires a buffer of 4 bytes", exit 1)."""
    imgs = _tiny_tiffs(tmp_path / "imgs")
    rc, out, err = run_cli(capsys, ["predict", *how, "--images", imgs, "--out", tmp_path / "p", "--quiet"])
    assert rc == 0 and out.startswith("wrote 1 map to "), (rc, out, err)
    for name in ("tiny.tif", "tiny2.tif"):
        assert (f"saliency predict: skipped {imgs}/{name}: not a readable image (corrupt or unsupported); replace "
                "or remove it") in err.splitlines(), err
    assert "unexpected error" not in err and "Traceback" not in err


def test_tiff_of_a_few_bytes_is_skipped_as_unreadable_by_crop(tmp_path, capsys):
    imgs = _tiny_tiffs(tmp_path / "imgs")
    maps = tmp_path / "maps"
    maps.mkdir()
    cv2.imwrite(str(maps / "a.png"), np.full((90, 120), 7, np.uint8))
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, (rc, out, err)
    assert f"saliency crop: skipped 2 unreadable image(s): {imgs}/tiny.tif, {imgs}/tiny2.tif" in err.splitlines(), err
    data = json.loads((tmp_path / "c" / "crops.json").read_text())
    assert list(data["boxes"]) == ["a"] and data["skipped"] == [str(imgs / "tiny.tif"), str(imgs / "tiny2.tif")]


def test_tiff_sample_format_never_raises_on_a_short_file(tmp_path):
    """Every prefix of a float32 TIFF header (classic and BigTIFF): None until the tags are there, never an error."""
    from saliency.base.images import tiff_sample_format

    full = tmp_path / "f32.tif"
    cv2.imwrite(str(full), _rgb().astype(np.float32) / 255)
    big = tmp_path / "big.tif"
    _bigtiff_f32(big)
    cut = tmp_path / "cut.tif"
    for src in (full, big):
        data = src.read_bytes()
        assert tiff_sample_format(src) == "float32"
        for n in range(0, 300):
            cut.write_bytes(data[:n])
            assert tiff_sample_format(cut) in (None, "float32"), n


# a JPEG with an MPF second image (a phone's preview, gain map or depth map): PIL opens it as MPO of 2 frames


def _mpo_jpeg(path):
    Image.fromarray(_rgb(seed=5)).save(path, format="MPO", save_all=True,
                                       append_images=[Image.fromarray(_rgb(45, 60, seed=6))])
    with Image.open(path) as im:  # the fixture is what a phone writes, as PIL reads it
        assert im.format == "MPO" and im.n_frames == 2


def test_jpeg_with_an_mpf_preview_is_one_picture_to_predict_and_crop(tmp_path, capsys):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    _mpo_jpeg(imgs / "phone.jpg")
    rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", imgs,
                                    "--out", tmp_path / "p", "--quiet"])
    assert rc == 0 and out.startswith("wrote 1 map to "), (rc, out, err)
    assert "frames" not in err, err
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", tmp_path / "p", "--aspect", "1:1",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, (rc, out, err)
    assert "several frames" not in out, out
    assert "frames" not in json.loads((tmp_path / "c" / "crops.json").read_text())["boxes"]["phone"]


def _tiff_next_ifd_past_the_end(path):
    """A readable one-page TIFF (IFD at offset 8) whose next-IFD offset points 8 bytes past the end of the file:
    OpenCV reads its page; PIL warns "Corrupt EXIF data" when it counts the pages."""
    import struct

    Image.fromarray(_rgb(seed=7)).save(path)
    b = bytearray(path.read_bytes())
    assert b[:4] == b"II*\x00"
    off = struct.unpack("<I", b[4:8])[0]
    nxt = off + 2 + 12 * struct.unpack("<H", b[off:off + 2])[0]
    b[nxt:nxt + 4] = struct.pack("<I", len(b) + 8)
    path.write_bytes(bytes(b))


@pytest.mark.parametrize("command", ["predict", "crop"])
def test_truncated_tiff_prints_no_pil_warning(tmp_path, capsys, command):
    """A damaged but readable TIFF made predict and crop print PIL's "UserWarning: Corrupt EXIF data" on stderr."""
    import warnings

    imgs = tmp_path / "imgs"
    imgs.mkdir()
    _tiff_next_ifd_past_the_end(imgs / "t.tif")
    maps = tmp_path / "maps"
    maps.mkdir()
    cv2.imwrite(str(maps / "t.png"), np.full((90, 120), 7, np.uint8))
    argv = (["predict", "--baseline", "gaussian-centre", "--images", imgs, "--out", tmp_path / "o"]
            if command == "predict" else
            ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1", "--out", tmp_path / "o"])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        rc, out, err = run_cli(capsys, argv + ["--quiet"])
    assert rc == 0, (rc, out, err)
    assert [str(w.message) for w in seen if issubclass(w.category, UserWarning)] == []
    assert "Warning" not in err and "Corrupt" not in err, err
    assert len(list((tmp_path / "o").glob("t.*"))) == 1  # the page was read: a map / a crop of it


# crop --checkpoint with $TMPDIR inside --images


def _sod_checkpoint(path):
    import torch

    from saliency import models
    from saliency.checkpoint import save

    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_sod").eval()
    save(path, {"config": m.config, "state_dict": m.state_dict(), "train_config": {"data": {"size": [32, 32]}}})
    return path


def test_crop_checkpoint_with_tmpdir_inside_the_images(tmp_path, capsys, monkeypatch):
    """crop --checkpoint was refused naming an --out the user never gave (its own temporary folder of maps,
    made in $TMPDIR, "lies inside the input --images"); the user's own --out is still checked."""
    import tempfile

    from cli_fakes import refusal, tree_paths

    imgs = tmp_path / "imgs"
    imgs.mkdir()
    cv2.imwrite(str(imgs / "a.png"), _rgb())
    scratch = imgs / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    ck = _sod_checkpoint(tmp_path / "sod.pt")
    base = ["crop", "--images", imgs, "--checkpoint", ck, "--aspect", "1:1", "--device", "cpu", "--quiet"]
    rc, out, err = run_cli(capsys, base + ["--out", tmp_path / "c"])
    assert rc == 0, (rc, out, err)
    assert out.startswith(f"cropped 1 image(s) to 1:1 into {tmp_path / 'c'}/"), out
    assert list(json.loads((tmp_path / "c" / "crops.json").read_text())["boxes"]) == ["a"]
    assert tree_paths(scratch) == []  # nothing left behind, in $TMPDIR or beside --out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "imgs", "sod.pt"]
    line = refusal(*run_cli(capsys, base + ["--out", imgs / "c"]))  # the user's --out: still refused there
    assert line.startswith(f"saliency crop: error: --out {imgs / 'c'}: ") and "--images" in line, line
    assert "saliency-crop" not in line and not (imgs / "c").exists()


# float32 BigTIFF (8-byte offsets, 20-byte entries)


def _bigtiff_f32(path, order="<", h=3, w=4):
    """A BigTIFF of RGB float32 samples written byte by byte (TIFF 6 / BigTIFF layout: header 16 bytes, IFD at 16,
    entries of tag, type, 8-byte count, 8-byte value; BitsPerSample and SampleFormat of 3 SHORTs fit inline)."""
    import struct

    pix = (np.arange(h * w * 3, dtype=np.float32).reshape(h, w, 3) / (h * w * 3)).astype(order + "f4")
    data = pix.tobytes()

    def entry(tag, typ, values):
        val = struct.pack(order + {3: "H", 16: "Q"}[typ] * len(values), *values)
        return struct.pack(order + "HHQ", tag, typ, len(values)) + val.ljust(8, b"\0")

    start = 16 + 8 + 20 * 11 + 8
    entries = [entry(256, 3, [w]), entry(257, 3, [h]), entry(258, 3, [32] * 3), entry(259, 3, [1]),
               entry(262, 3, [2]), entry(273, 16, [start]), entry(277, 3, [3]), entry(278, 3, [h]),
               entry(279, 16, [len(data)]), entry(284, 3, [1]), entry(339, 3, [3] * 3)]
    head = (b"II+\x00" if order == "<" else b"MM\x00+") + struct.pack(order + "HHQ", 8, 0, 16)
    path.write_bytes(head + struct.pack(order + "Q", 11) + b"".join(entries) + struct.pack(order + "Q", 0) + data)
    try:  # where tifffile is installed, it reads the file as written
        import tifffile
    except ImportError:
        return
    with tifffile.TiffFile(path) as t:
        assert t.is_bigtiff and np.array_equal(t.asarray(), pix.astype(np.float32))


@pytest.mark.parametrize("order", ["<", ">"], ids=["II", "MM"])
def test_float32_bigtiff_is_named_float32(tmp_path, capsys, order):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    cv2.imwrite(str(imgs / "c.png"), _rgb())
    _bigtiff_f32(imgs / "big.tif", order)
    rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", imgs,
                                    "--out", tmp_path / "p", "--quiet"])
    assert rc == 0 and out.startswith("wrote 1 map to "), (rc, out, err)
    assert (f"saliency predict: skipped {imgs}/big.tif: its samples are float32, a sample format that cannot be "
            "read as a photo (8- or 16-bit unsigned integers); save it as an 8- or 16-bit image") in err.splitlines()

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
    assert f"skipped 1 unreadable image(s): {imgs}/f32.tif" in out.splitlines()
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
    assert rc == 0 and out.startswith("wrote 1 maps to "), (rc, out, err)
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
    assert ("1 image(s) with a blank map (all zero, no saliency): the largest centred window was used "
            "('blank_map' in crops.json): other") in lines, out
    assert not any("several frames" in ln for ln in lines)


def test_crop_summary_blank_map_says_keep_could_not_apply(tmp_path, capsys):
    imgs, maps = _flat_and(tmp_path, _png, np.zeros((90, 120), np.uint8))
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1", "--keep", "0.5",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, err
    assert ("1 image(s) with a blank map (all zero, no saliency): the largest centred window was used, --keep 0.5 "
            "could not apply ('blank_map' in crops.json): other") in out.splitlines(), out
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
    assert ("2 image(s) with a blank map (all zero, no saliency): the largest centred window was used "
            "('blank_map' in crops.json): a, b") in lines, out


def test_crop_summary_names_a_two_page_tiff(tmp_path, capsys):
    spot = np.zeros((90, 120), np.uint8)
    spot[40:50, 55:65] = 255  # inside the centred 90x90 window: kept 100 %
    imgs, maps = _flat_and(tmp_path, _two_pages, spot)
    rc, out, err = run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1",
                                    "--out", tmp_path / "c", "--quiet"])
    assert rc == 0, err
    lines = out.splitlines()
    assert ("1 image(s) of several frames (TIFF pages, animation frames): the first was cropped "
            "('frames' in crops.json): other (2 frames)") in lines, out
    assert "saliency kept: mean 87.5%, min 75.0%" in lines, out  # (75 % + 100 %) / 2, no blank map
    assert not any("blank" in ln for ln in lines)


def test_crop_help_says_an_image_predict_cannot_read_is_skipped(capsys):
    rc, out, err = run_cli(capsys, ["crop", "--help"])
    assert rc == 0
    text = " ".join(out.split())
    assert ("unless saliency predict cannot read it either (it writes no map for a corrupt file or a TIFF of "
            "floating-point samples, e.g. float32): such an image is skipped and listed as unreadable") in text

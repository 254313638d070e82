"""Review 18: outputs of predict, crop and report against independent oracles.

1. ``gbvs`` on very tall or wide images: a graph of at most 32 x 32 nodes, and
   no preferred axis (the map of the transposed image is the transposed map).
2. ``saliency crop`` writes the input's own pixels: alpha, greyscale, 16-bit
   kept (oracle: numpy slicing of the array written as the input, at the box
   ``crops.json`` records), and a phone photo's EXIF rotation still applied.
3. ``saliency crop`` when no image decodes: predict's one line naming ``--images``.
4. ``report.md`` picture links that CommonMark reads as the file's path,
   whatever characters the file name holds.
5. Library messages embedded in our errors keep their backticks out of the
   option spelling (``--weights-only``); predict's skip lines say ``--max-pixels``.
"""

from __future__ import annotations

import fractions
import json
import pickle
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes

import cv2
import numpy as np
import pytest
from PIL import Image

from saliency.base.errors import UserError, cli_flag
from saliency.cli import main


# ----------------------------------------------------------------------------- 1. gbvs at any aspect ratio


@pytest.mark.parametrize("hw", [(3000, 10), (10, 3000), (60, 12), (12, 60)])
def test_gbvs_graph_stays_small_for_any_aspect_ratio(hw, monkeypatch):
    """A 10 x 3000 px image asked for a 1.4 TiB matrix (the grid's width was capped, not its height).

    Oracle: the number of graph nodes the Markov chains are solved on is at
    most 32 x 32 (the grid's longer side is 32 cells) whatever the shape; the
    map has the image's shape, is finite and non-negative.
    """
    from saliency.eval import baselines as B

    sizes = []
    solve = B._markov_equilibrium

    def counted(weights):
        sizes.append(weights.shape[0])
        assert weights.shape[0] <= 32 * 32, f"a graph of {weights.shape[0]} nodes"
        return solve(weights)

    monkeypatch.setattr(B, "_markov_equilibrium", counted)
    img = np.random.default_rng(0).integers(0, 256, (*hw, 3), dtype=np.uint8)
    m = B.gbvs(img)
    assert m.shape == hw and np.isfinite(m).all() and m.min() >= 0 and m.max() > 0
    assert sizes and max(sizes) <= 32 * 32


@pytest.mark.parametrize("hw", [(10, 3000), (12, 60)])
def test_gbvs_has_no_preferred_axis(hw):
    """The model is symmetric in x and y (opponency, pyramids, Gabor angles 0/45/90/135, an isotropic
    distance Gaussian): gbvs(image transposed) = gbvs(image) transposed, within float32 summation order
    (1e-4 of the map's maximum). Capping only the width made a tall image's grid another shape than its
    transposed twin's."""
    from saliency.eval.baselines import gbvs

    img = np.random.default_rng(1).integers(0, 256, (*hw, 3), dtype=np.uint8)
    m = gbvs(img)
    mt = gbvs(np.ascontiguousarray(img.transpose(1, 0, 2)))
    assert mt.shape == m.T.shape
    assert np.abs(mt - m.T).max() <= 1e-4 * m.max()


# ----------------------------------------------------------------------------- 2. crops keep the pixel format


def _crop(tmp_path, images, maps, aspect="1:1", extra=()):
    out = tmp_path / "out"
    rc = main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", aspect, "--out", str(out),
               "--quiet", *extra])
    assert rc == 0
    return out, json.loads((out / "crops.json").read_text())["boxes"]


def test_crop_keeps_alpha_greyscale_and_16_bit(tmp_path):
    """Crops were written as 8-bit BGR whatever the input. Oracle: the crop file, read unchanged, equals
    the array written as the input (PNG is lossless) sliced at the box crops.json records; the box itself
    is hand-worked: 40 x 30 images, 1:1, saliency only in the last column, so the 30 x 30 window at x=10."""
    rng = np.random.default_rng(2)
    images, maps = tmp_path / "img", tmp_path / "maps"
    images.mkdir()
    maps.mkdir()
    inputs = {"rgba": rng.integers(0, 256, (30, 40, 4), dtype=np.uint8),
              "grey16": rng.integers(0, 65536, (30, 40), dtype=np.uint16),
              "grey8": rng.integers(0, 256, (30, 40), dtype=np.uint8),
              "bgr16": rng.integers(0, 65536, (30, 40, 3), dtype=np.uint16)}
    inputs["rgba"][..., 3] = np.where(np.arange(40) < 20, 0, 255)  # half transparent
    sal = np.zeros((30, 40), np.float32)
    sal[:, 39] = 1.0
    for name, a in inputs.items():
        assert cv2.imwrite(str(images / f"{name}.png"), a)
        np.save(maps / f"{name}.npy", sal)
    out, boxes = _crop(tmp_path, images, maps)
    for name, a in inputs.items():
        c = boxes[name]["crop"]
        assert (c["x"], c["y"], c["w"], c["h"]) == (10, 0, 30, 30)
        got = cv2.imread(str(out / f"{name}.png"), cv2.IMREAD_UNCHANGED)
        ref = a[c["y"]:c["y"] + c["h"], c["x"]:c["x"] + c["w"]]
        assert got.dtype == ref.dtype and got.shape == ref.shape, name
        np.testing.assert_array_equal(got, ref)


def test_crop_of_a_rotated_16_bit_png_is_upright_and_16_bit(tmp_path):
    """The EXIF rotation is still applied (crop alone turns a photo upright) while the pixels stay 16-bit.
    Oracle: numpy's quarter turn clockwise (tag 6) of the stored array, sliced at the recorded box."""
    images, maps = tmp_path / "img", tmp_path / "maps"
    images.mkdir()
    maps.mkdir()
    stored = (np.arange(20 * 36, dtype=np.uint32).reshape(20, 36) * 83 % 65536).astype(np.uint16)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(images / "p.png", exif=exif)
    sal = np.zeros((20, 36), np.float32)
    sal[2:5, 30:33] = 1.0  # stored orientation, as predict writes maps
    np.save(maps / "p.npy", sal)
    out, boxes = _crop(tmp_path, images, maps)
    upright = np.rot90(stored, -1)  # 36 high x 20 wide
    b = boxes["p"]
    c = b["crop"]
    assert b["size"] == [20, 36] and b["exif_orientation"] == 6 and (c["w"], c["h"]) == (20, 20)
    got = cv2.imread(str(out / "p.png"), cv2.IMREAD_UNCHANGED)
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, upright[c["y"]:c["y"] + 20, c["x"]:c["x"] + 20])


def test_scaled_crop_keeps_the_pixel_format(tmp_path):
    """``--scale`` resizes the crop in its own format: an RGBA 16-bit input gives an RGBA 16-bit thumbnail
    of the asked size (its pixels are OpenCV's INTER_AREA; only the format is checked here)."""
    images, maps = tmp_path / "img", tmp_path / "maps"
    images.mkdir()
    maps.mkdir()
    a = np.random.default_rng(3).integers(0, 65536, (30, 40, 4), dtype=np.uint16)
    assert cv2.imwrite(str(images / "a.png"), a)
    np.save(maps / "a.npy", np.ones((30, 40), np.float32))
    out, _ = _crop(tmp_path, images, maps, extra=("--scale", "0.5"))
    got = cv2.imread(str(out / "a.png"), cv2.IMREAD_UNCHANGED)
    assert got.dtype == np.uint16 and got.shape == (15, 15, 4)


# ----------------------------------------------------------------------------- 3. no image decodes


def _undecodable(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (folder / "b.jpg").write_bytes(b"\xff\xd8\xff nothing")
    return folder


def test_crop_with_maps_when_no_image_decodes_names_images(tmp_path, capsys):
    """Every image undecodable: the run wrote an empty crops.json and exited 0. Now predict's line."""
    images = _undecodable(tmp_path / "bad")
    maps = tmp_path / "maps"
    maps.mkdir()
    for n in "ab":
        np.save(maps / f"{n}.npy", np.ones((4, 4), np.float32))
    rc = main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", "1:1",
               "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert f"--images {images}: no image could be decoded (2 skipped; the first: {images / 'a.png'}: " in err
    assert "--maps" not in err and not (tmp_path / "o").exists()


def test_crop_with_a_checkpoint_when_no_image_decodes_names_images(tmp_path, capsys):
    """With ``--checkpoint`` the error named crop's hidden temporary folder as ``--maps``."""
    import torch

    from saliency import models

    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_fixation").eval()
    ck = tmp_path / "m.pt"
    torch.save({"config": m.config, "state_dict": m.state_dict()}, ck)
    images = _undecodable(tmp_path / "bad")
    rc = main(["crop", "--images", str(images), "--checkpoint", str(ck), "--size", "32x32", "--aspect", "1:1",
               "--out", str(tmp_path / "o"), "--quiet", "--device", "cpu"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert f"--images {images}: no image could be decoded (2 skipped; the first: {images / 'a.png'}: " in err
    assert "--maps" not in err and "saliency-crop-" not in err and not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- 4. report.md links


# CommonMark 0.31, "Images" and "Links": a destination is <...> (no line break, no unescaped < or >), or a
# non-empty run without spaces or ASCII control characters (parentheses balanced; none are expected here)
_MD_IMAGE = re.compile(r"^!\[((?:\\.|[^\\\[\]])*)\]\((<(?:\\.|[^<>\\\n])*>|[^\s\x00-\x1f<()]+)\)$")


def _destination(dest: str) -> str:
    if dest.startswith("<"):
        dest = re.sub(r"\\(.)", r"\1", dest[1:-1])
    return unquote_to_bytes(dest).decode("utf-8", "surrogateescape")


@pytest.mark.parametrize("name", ["with space", "ünïcödé 写真", "par(en)s & [brackets]"])
def test_report_links_resolve_to_the_files(tmp_path, name):
    """``![alt](assets/gallery_with space.png)`` is no picture in CommonMark (a space ends the destination).
    Oracle: every picture line parses under CommonMark's grammar, and its destination, angle brackets
    stripped and percent-decoded, is the relative path of an existing file."""
    from saliency.report import GalleryItem, ReportInputs, build

    src = tmp_path / "src"
    src.mkdir()
    png = cv2.imencode(".png", np.full((12, 16, 3), 120, np.uint8))[1].tobytes()
    img, curve = src / f"{name}.png", src / f"{name} pr.png"
    img.write_bytes(png)
    curve.write_bytes(png)
    out = tmp_path / "rep"
    md, _ = build(out, ReportInputs(gallery=[GalleryItem(name, img)], curve_pngs=[curve]))
    lines = [ln for ln in md.read_text(encoding="utf-8").splitlines() if ln.startswith("![")]
    assert len(lines) == 2
    targets = set()
    for ln in lines:
        m = _MD_IMAGE.match(ln)
        assert m, f"not a CommonMark picture: {ln}"
        rel = _destination(m.group(2))
        assert (out / rel).is_file(), rel
        targets.add(rel)
    assert targets == {f"assets/gallery_{name}.png", f"assets/curve_{name} pr.png"}


# ----------------------------------------------------------------------------- 5. foreign backticks, --max-pixels


def test_torch_refusal_is_not_spelled_as_options(tmp_path, capsys):
    """torch's weights_only refusal embeds `weights_only` and `False`; render() made them --weights-only and
    --False. Oracle: the command's line holds neither, still names the file, and a plain pickle of a
    Fraction (which torch's weights-only reader refuses) is the case."""
    from saliency.models.registry import read_checkpoint

    ck = tmp_path / "foreign.pt"
    ck.write_bytes(pickle.dumps({"config": {}, "x": fractions.Fraction(1, 3)}))
    with pytest.raises(UserError) as info:
        read_checkpoint(ck)
    text = info.value.render(cli_flag)
    assert f"--checkpoint {ck}: cannot read it as a torch checkpoint (" in text
    for fake in ("--weights-only", "--False", "--True", "--torch", "\x1b"):
        assert fake not in text, text
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "a.png"), np.full((8, 8, 3), 100, np.uint8))
    rc = main(["predict", "--checkpoint", str(ck), "--images", str(tmp_path / "img"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot read it as a torch checkpoint" in err and str(ck) in err, err
    assert "--weights-only" not in err and "--False" not in err
    assert "weights_only" not in err and "Re-running" not in err  # torch's advice runs the file's code


def test_backticks_of_a_library_message_become_quotes(tmp_path, monkeypatch):
    """Hand-made refusal with backticks and a terminal escape: the message keeps the words, quoted."""
    import torch

    from saliency.models import registry

    ck = tmp_path / "c.pt"
    ck.write_bytes(b"x")

    def refuse(*args, **kwargs):
        raise RuntimeError("set `weights_only` to `False` \x1b[1mif trusted\x1b[0m.\nsecond line")

    monkeypatch.setattr(torch, "load", refuse)
    with pytest.raises(UserError) as info:
        registry.read_checkpoint(ck)
    assert info.value.render(cli_flag) == (f"--checkpoint {ck}: cannot read it as a torch checkpoint "
                                           "(set 'weights_only' to 'False' if trusted); give a checkpoint that "
                                           "saliency train wrote (RUN/checkpoints/best.pt)")


def _predict_over_max_pixels(tmp_path):
    """``predict`` of a 40 x 40 image (1,600 pixels) beside a 10 x 10 one under --max-pixels 1000: (folder, rc)."""
    images = tmp_path / "img"
    images.mkdir()
    cv2.imwrite(str(images / "big.png"), np.full((40, 40, 3), 100, np.uint8))
    cv2.imwrite(str(images / "small.png"), np.full((10, 10, 3), 100, np.uint8))
    return images, main(["predict", "--baseline", "gaussian-centre", "--images", str(images), "--out",
                         str(tmp_path / "o"), "--max-pixels", "1000", "--quiet"])


def test_predict_skip_line_spells_max_pixels_as_the_option(tmp_path, capsys):
    """predict's skip line said "raise max_pixels" (the library's name); crop's error says --max-pixels.
    Oracle: a 40 x 40 image (1,600 pixels) over --max-pixels 1000 beside a 10 x 10 one."""
    images, rc = _predict_over_max_pixels(tmp_path)
    err = capsys.readouterr().err
    skips = [ln for ln in err.splitlines() if "skipped" in ln]
    assert rc == 0 and len(skips) == 1 and str(images / "big.png") in skips[0], err
    assert "1,600 pixels" in skips[0] and "raise --max-pixels" in skips[0] and "max_pixels" not in skips[0]


def test_predict_worker_reason_spells_max_pixels_as_the_option(tmp_path):
    """The network path's reader (``_Images``) gives the same reason with the option's spelling."""
    from saliency.base.images import pixel_limit
    from saliency.predict import _Images

    path = tmp_path / "big.png"
    cv2.imwrite(str(path), np.full((40, 40, 3), 100, np.uint8))
    with pixel_limit(1000):
        item = _Images([("big", path)], (32, 32))[0]
    assert "raise --max-pixels" in item["error"] and "max_pixels" not in item["error"]


def test_predict_summary_does_not_call_refused_images_unreadable(tmp_path, capsys):
    """Review 23: an image refused by --max-pixels decodes fine; the summary said "skipped 1 unreadable image(s)".
    Oracle: the per-file line gives the reason; the summary counts it without a reason of its own."""
    _, rc = _predict_over_max_pixels(tmp_path)
    out = capsys.readouterr().out
    assert rc == 0 and "; skipped 1 image(s), each named above" in out and "unreadable" not in out, out


def test_a_folder_given_as_checkpoint_is_named_a_folder(tmp_path):
    """Review 23: a run folder given as --checkpoint said "no such file" though it exists."""
    from saliency.models import registry

    with pytest.raises(UserError) as info:
        registry.read_checkpoint(tmp_path)
    assert info.value.render(cli_flag) == (f"--checkpoint {tmp_path}: is a folder; give the checkpoint file "
                                           "(e.g. RUN/checkpoints/best.pt)")

"""Folders of images read by ``predict`` and ``crop``: nothing dropped unsaid, one line per message (review 22).

Found by the review of this stop (scripts in the review's ``repro_*.sh``):

1. ``saliency crop --maps`` on the folder ``saliency predict`` wrote refused the whole run ("no map for 1
   image(s), e.g. bad") because predict skips an unreadable image and writes no map for it; with
   ``--checkpoint`` the same folder was cropped and the unreadable image listed.
2. ``b.gif`` and ``c.jfif`` (both decoded by OpenCV) were left out of ``predict``/``crop``/``eval`` without a
   word: "wrote 1 map", exit 0.
3. A file name holding a newline split the one-line skip message into several lines.

Oracles: exit codes, the exact lines printed (written out by hand here), the files written, the crop's size
worked by hand (the largest 1:1 window of an 80 x 60 image is 60 x 60).
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from saliency.cli import main

ACCEPTED = ".png .jpg .jpeg .bmp .tif .tiff .webp .pgm .ppm"


def _png(path, h=60, w=80):
    img = np.zeros((h, w, 3), np.uint8)
    img[20:40, 30:50] = 255
    assert cv2.imwrite(str(path), img)


# ------------------------------------------------------------------ 1. crop --maps after predict


def test_crop_with_the_maps_predict_wrote_skips_the_unreadable_image(tmp_path, capsys):
    imgs, maps, out = tmp_path / "img", tmp_path / "maps", tmp_path / "crops"
    imgs.mkdir()
    _png(imgs / "good.png")
    (imgs / "bad.jpg").write_text("notanimage\n")
    assert main(["predict", "--baseline", "gaussian-centre", "--images", str(imgs), "--out", str(maps),
                 "--quiet"]) == 0
    # no map for the image that does not decode (+ the hidden mark of a folder output, review finding 1)
    assert sorted(p.name for p in maps.iterdir()) == [".saliency-output.json", "good.png"]
    capsys.readouterr()
    rc = main(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(out), "--quiet"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    lines = cap.out.splitlines()
    assert lines[0] == f"cropped 1 image(s) to 1:1 into {out}/ (boxes in crops.json)"
    # the results on stdout (the count, the share kept), the warning on stderr, as predict does
    assert len(lines) == 2 and lines[1].startswith("saliency kept: mean "), lines
    assert cap.err == f"saliency crop: skipped 1 unreadable image(s): {imgs / 'bad.jpg'}\n"
    # + the hidden mark of a folder output, listing what crop wrote (review finding 1)
    assert sorted(p.name for p in out.iterdir()) == [".saliency-output.json", "crops.json", "good.png"]
    assert cv2.imread(str(out / "good.png")).shape == (60, 60, 3)
    doc = json.loads((out / "crops.json").read_text())
    assert list(doc["boxes"]) == ["good"] and doc["skipped"] == [str(imgs / "bad.jpg")]


def test_crop_still_refuses_an_image_that_decodes_but_has_no_map(tmp_path, capsys):
    imgs, maps, out = tmp_path / "img", tmp_path / "maps", tmp_path / "crops"
    imgs.mkdir()
    maps.mkdir()
    _png(imgs / "good.png")
    _png(imgs / "nomap.png")  # decodes, no map: the maps folder is not the one for these images
    (imgs / "bad.jpg").write_text("notanimage\n")  # does not decode, no map: skipped, not counted as missing
    cv2.imwrite(str(maps / "good.png"), np.full((60, 80), 128, np.uint8))
    rc = main(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(out), "--quiet"])
    cap = capsys.readouterr()
    assert rc == 2
    assert cap.err == (f"saliency crop: error: --maps {maps}: no map for 1 image(s), e.g. nomap; "
                       "maps are matched by file stem\n")
    assert not out.exists()


# ------------------------------------------------------------------ 2. files of other extensions counted


def _mixed(tmp_path):
    imgs = tmp_path / "img"
    imgs.mkdir()
    _png(imgs / "a.png")
    a = cv2.imread(str(imgs / "a.png"))
    from PIL import Image

    Image.fromarray(a).save(imgs / "b.gif")
    Image.fromarray(a).save(imgs / "c.jfif", format="JPEG")
    (imgs / "notes.txt").write_text("shot on a phone\n")
    (imgs / ".hidden.gif").write_bytes((imgs / "b.gif").read_bytes())  # hidden: not the user's data, not counted
    return imgs


def test_predict_counts_the_files_of_other_extensions(tmp_path, capsys):
    imgs, out = _mixed(tmp_path), tmp_path / "maps"
    rc = main(["predict", "--baseline", "gaussian-centre", "--images", str(imgs), "--out", str(out), "--quiet"])
    cap = capsys.readouterr()
    assert rc == 0
    # + the hidden mark of a folder output, listing what predict wrote (review finding 1)
    assert sorted(p.name for p in out.iterdir()) == [".saliency-output.json", "a.png"]
    assert cap.err == (f"saliency predict: --images {imgs}: 3 file(s) left out: not an image extension "
                       f"(.gif, .jfif, .txt; e.g. b.gif); accepted: {ACCEPTED}\n")
    assert cap.out.startswith(f"wrote 1 map to {out}/")


def test_crop_counts_the_files_of_other_extensions(tmp_path, capsys):
    imgs, maps, out = _mixed(tmp_path), tmp_path / "maps", tmp_path / "crops"
    maps.mkdir()
    cv2.imwrite(str(maps / "a.png"), np.full((60, 80), 128, np.uint8))
    rc = main(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(out), "--quiet"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert cap.out.splitlines()[0] == f"cropped 1 image(s) to 1:1 into {out}/ (boxes in crops.json)"
    assert cap.err.splitlines() == [f"saliency crop: --images {imgs}: 3 file(s) left out: not an image extension "
                                    f"(.gif, .jfif, .txt; e.g. b.gif); accepted: {ACCEPTED}"]  # as predict says it
    # + the hidden mark of a folder output, listing what crop wrote (review finding 1)
    assert sorted(p.name for p in out.iterdir()) == [".saliency-output.json", "a.png", "crops.json"]


def test_index_folder_lists_what_it_left_out_for_eval(tmp_path):
    """eval reads GT and prediction folders with ``index_folder``: its index carries the files left out."""
    from saliency.eval.io import PRED_EXTS, index_folder, left_out_note

    pred = tmp_path / "pred"
    (pred / "sub").mkdir(parents=True)
    cv2.imwrite(str(pred / "a.png"), np.zeros((4, 4), np.uint8))
    np.save(pred / "b.npy", np.ones((4, 4)))
    (pred / "sub" / "c.gif").write_bytes(b"GIF89a")
    (pred / "Thumbs").write_text("x")
    (pred / ".DS_Store").write_text("x")
    idx = index_folder(pred, PRED_EXTS, param="pred")
    assert sorted(idx) == ["a", "b"]
    assert [p.relative_to(pred).as_posix() for p in idx.left_out] == ["Thumbs", "sub/c.gif"]
    assert left_out_note(idx, pred) == ("2 file(s) left out: not an image extension (no extension, .gif; "
                                        "e.g. Thumbs); accepted: " + ACCEPTED + " .npy")
    clean = tmp_path / "clean"
    clean.mkdir()
    cv2.imwrite(str(clean / "a.png"), np.zeros((4, 4), np.uint8))
    assert index_folder(clean).left_out == [] and left_out_note(index_folder(clean), clean) is None


# ------------------------------------------------------------------ 3. a name holding a newline stays on one line


def test_predict_skip_line_escapes_a_newline_in_the_name(tmp_path, capsys):
    imgs, out = tmp_path / "img", tmp_path / "maps"
    imgs.mkdir()
    _png(imgs / "one.png")
    (imgs / "bad\nname.jpg").write_text("x")
    rc = main(["predict", "--baseline", "gaussian-centre", "--images", str(imgs), "--out", str(out), "--quiet"])
    cap = capsys.readouterr()
    assert rc == 0
    shown = f"'{imgs}/bad\\nname.jpg'"
    assert cap.err == (f"saliency predict: skipped {shown}: not a readable image (corrupt or "
                       "unsupported); replace or remove it\n")


def test_crop_lines_escape_a_newline_in_the_name(tmp_path, capsys):
    imgs, maps = tmp_path / "img", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    _png(imgs / "one.png")
    cv2.imwrite(str(maps / "one.png"), np.full((60, 80), 128, np.uint8))
    (imgs / "bad\nname.jpg").write_text("x")
    rc = main(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out",
               str(tmp_path / "o1"), "--quiet"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert cap.out.splitlines() == [f"cropped 1 image(s) to 1:1 into {tmp_path / 'o1'}/ (boxes in crops.json)",
                                    "saliency kept: mean 75.0%, min 75.0%"]
    assert cap.err.splitlines() == [f"saliency crop: skipped 1 unreadable image(s): '{imgs}/bad\\nname.jpg'"]
    _png(imgs / "two\nlines.png")  # decodes, has no map: the refusal is one line
    rc = main(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out",
               str(tmp_path / "o2"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err == (f"saliency crop: error: --maps {maps}: no map for 1 image(s), e.g. 'two\\nlines'; "
                   "maps are matched by file stem\n")


def test_eval_counts_and_names_the_files_it_left_out_for_their_extension(tmp_path, capsys):
    """The GT folder's and a prediction folder's files of other extensions: a table note each, and --json names them."""
    gt, pr = tmp_path / "gt", tmp_path / "pr"
    gt.mkdir()
    pr.mkdir()
    for i in range(3):
        m = np.zeros((20, 30), np.uint8)
        m[5:10, 5:15] = 255
        assert cv2.imwrite(str(gt / f"{i}.png"), m) and cv2.imwrite(str(pr / f"{i}.png"), m)
    (gt / "readme.txt").write_text("notes")
    (pr / "3.gif").write_bytes(b"GIF89a")
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", f"m={pr}", "--metrics", "MAE",
                 "--json", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "- m: 3 images, 1 file left out for its extension (not a prediction format)" in text
    assert (f"- gt: {gt}: 1 file(s) left out: not an image extension (.txt; e.g. readme.txt); "
            f"accepted: {ACCEPTED}") in text
    res = json.loads(out.read_text())["results"][0]
    assert res["left_out_files"] == ["3.gif"] and res["n_images"] == 3

"""Review 26 (c): every file of a folder training reads is used or named, and a dangling MIT1003 link is refused.

- ``saliency train`` named the files of other extensions (``readme.txt``,
  ``b.gif``) only in the target folders of a fixation dataset read through
  the evaluation layouts, and in SALICON's ``maps/train`` with a JSON; in a
  SALICON folder without a JSON, ``stimuli/`` + ``maps/``, an SOD folder
  (``images/`` + ``masks/``, DUTS's layout) and every image folder they were
  left out without a word. ``saliency eval`` names them in one line per
  folder; training now says that same line among its notes;
- SALICON's ``maps/train`` without a JSON read image files only, its ``.npy``
  maps dropped unsaid (with a JSON, and in ``maps/``, they are read);
- a link at the top of MIT1003's ``ALLFIXATIONMAPS`` whose target is missing
  (``a_fixMap.png -> gone.png``) was skipped without a word, by eval and by
  training (``a`` scored and trained without its map); every other folder
  refuses such a link (:func:`saliency.eval.io.walk_files`), and so does it.
"""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.datasets import find_dataset, find_fixation
from saliency.eval.datasets import fixation_folder, sod_folder

H, W = 6, 8
IMAGE = ".png .jpg .jpeg .bmp .tif .tiff .webp .pgm .ppm"
FIX = {"a": [(1, 2), (4, 5)], "b": [(2, 1), (3, 6), (5, 7)]}
MAPS = {k: np.random.default_rng(i).integers(1, 256, (H, W)).astype(np.uint8) for i, k in enumerate("ab")}


def _png(path, arr):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


def _image(path):
    _png(path, np.full((H, W, 3), 90, np.uint8))


def _fixmap(k):
    m = np.zeros((H, W), np.uint8)
    for r, c in FIX[k]:
        m[r, c] = 255
    return m


def _mask(k):
    m = np.zeros((H, W), np.uint8)
    m[1:4, 2:5 + (k == "b")] = 255
    return m


def _strays(img_dir, tgt_dir):
    """A text file among the images, a GIF and a note among the targets."""
    (img_dir / "readme.txt").write_text("where the photos come from")
    (tgt_dir / "b.gif").write_bytes(b"GIF89a")
    (tgt_dir / "notes.md").write_text("maps")


def _salicon_json(path, keys):
    images = [{"id": i + 1, "file_name": f"{k}.jpg", "width": W, "height": H} for i, k in enumerate(keys)]
    anns = [{"image_id": i + 1, "fixations": [[r + 1, c + 1] for r, c in FIX[k]]} for i, k in enumerate(keys)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"images": images, "annotations": anns}))


def _layout(root, case):
    """(task, image folder, target folder, target extensions accepted) of a folder ``case`` made under ``root``."""
    if case in ("salicon without a JSON", "salicon with a JSON"):
        img_dir, tgt_dir, task, exts = root / "images" / "train", root / "maps" / "train", "fixation", IMAGE + " .npy"
        if case == "salicon with a JSON":
            _salicon_json(root / "fixations_train2014.json", "ab")
    elif case == "stimuli + maps":
        img_dir, tgt_dir, task, exts = root / "stimuli", root / "maps", "fixation", IMAGE + " .npy"
    elif case == "ingest folder":
        img_dir, tgt_dir, task, exts = root / "stimuli", root / "maps", "fixation", IMAGE + " .npy"
        for k in "ab":
            _png(root / "fixations" / f"{k}.png", _fixmap(k))
    elif case == "sod images + masks":
        img_dir, tgt_dir, task, exts = root / "images", root / "masks", "sod", IMAGE
    elif case == "sod stimuli + masks":
        img_dir, tgt_dir, task, exts = root / "stimuli", root / "masks", "sod", IMAGE
    elif case == "DUTS-TR":
        img_dir, tgt_dir, task, exts = root / "DUTS-TR-Image", root / "DUTS-TR-Mask", "sod", IMAGE
    else:
        raise AssertionError(case)
    for k in "ab":
        _image(img_dir / f"{k}.jpg")
        _png(tgt_dir / f"{k}.png", _mask(k) if task == "sod" else MAPS[k])
    _strays(img_dir, tgt_dir)
    return task, img_dir, tgt_dir, exts


CASES = ("salicon without a JSON", "salicon with a JSON", "stimuli + maps", "ingest folder", "sod images + masks",
         "sod stimuli + masks", "DUTS-TR")


def _img_note(img_dir):
    return f"{img_dir}: 1 file(s) left out: not an image extension (.txt; e.g. readme.txt); accepted: {IMAGE}"


def _tgt_note(tgt_dir, exts):
    return f"{tgt_dir}: 2 file(s) left out: not an image extension (.gif, .md; e.g. b.gif); accepted: {exts}"


# ------------------------------------------------------------------ 1: train names the files it leaves out
@pytest.mark.parametrize("case", CASES)
def test_train_names_the_files_of_other_extensions_of_every_folder_it_reads(tmp_path, case):
    root = tmp_path / ("DUTS-TR" if case == "DUTS-TR" else "d")
    task, img_dir, tgt_dir, exts = _layout(root, case)
    idx = find_dataset(root, task)
    assert [r.key for r in idx.records] == ["a", "b"], idx.notes
    assert _img_note(img_dir) in idx.notes, idx.notes
    assert _tgt_note(tgt_dir, exts) in idx.notes, idx.notes
    assert sum("left out: not an image extension" in n for n in idx.notes) == 2, idx.notes  # each folder once


def test_a_published_sod_layout_named_by_dataset_names_them_too(tmp_path):
    _, img_dir, tgt_dir, exts = _layout(tmp_path / "DUTS-TR", "DUTS-TR")
    idx = find_dataset(tmp_path, "sod", "DUTS-TR")  # --dataset DUTS-TR --root (the folder holding it)
    assert idx.layout == "DUTS-TR" and len(idx.records) == 2
    assert _img_note(img_dir) in idx.notes and _tgt_note(tgt_dir, exts) in idx.notes, idx.notes


def test_mit1003_training_names_the_files_of_its_stimulus_folder(tmp_path):
    root = tmp_path / "MIT"
    for k in "ab":
        _image(root / "ALLSTIMULI" / f"{k}.jpg")
        _png(root / "ALLFIXATIONMAPS" / f"{k}_fixPts.png", _fixmap(k))
        _png(root / "ALLFIXATIONMAPS" / f"{k}_fixMap.png", MAPS[k])
    (root / "ALLSTIMULI" / "Thumbs.db").write_bytes(b"\0")
    idx = find_fixation(root)
    assert [r.key for r in idx.records] == ["a", "b"]
    assert (f"{root / 'ALLSTIMULI'}: 1 file(s) left out: not an image extension (.db; e.g. Thumbs.db); "
            f"accepted: {IMAGE}") in idx.notes, idx.notes


def test_train_says_eval_s_line_for_the_same_folder(tmp_path):
    """The note's words are eval's: its maps/ (a fixation folder) and masks/ (SOD) lines, after the folder."""
    _, _, maps, _ = _layout(tmp_path / "f", "stimuli + maps")
    line = next(n for n in fixation_folder(tmp_path / "f").notes if "left out" in n)
    assert line in find_dataset(tmp_path / "f", "fixation").notes
    _, _, masks, _ = _layout(tmp_path / "s", "sod images + masks")
    (gt_note,) = sod_folder(masks).notes  # --gt MASKS: <the line>
    assert f"{masks}: {gt_note.split(': ', 1)[1]}" in find_dataset(tmp_path / "s", "sod").notes


def test_salicon_maps_without_a_json_may_be_npy_as_with_one(tmp_path):
    root = tmp_path / "S"
    for k in "ab":
        _image(root / "images" / "train" / f"{k}.jpg")
    _png(root / "maps" / "train" / "a.png", MAPS["a"])
    np.save(root / "maps" / "train" / "b.npy", MAPS["b"].astype(np.float32))
    idx = find_fixation(root)
    assert [(r.key, os.path.basename(r.density)) for r in idx.records] == [("a", "a.png"), ("b", "b.npy")], idx.notes
    assert not any("left out" in n for n in idx.notes), idx.notes


def _run(capsys, argv):
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_the_train_command_prints_them_among_its_notes(tmp_path, capsys):
    root = tmp_path / "d"
    _, img_dir, tgt_dir, exts = _layout(root, "sod images + masks")
    for k in "cd":  # four images: three to train on, one held out
        _image(img_dir / f"{k}.jpg")
        _png(tgt_dir / f"{k}.png", _mask("a"))
    run = tmp_path / "run"
    rc, out, err = _run(capsys, ["train", "--task", "sod", "--data", root, "--out", run, "--epochs", "1",
                                 "--device", "cpu", "--batch-size", "3", "--quiet", "--set", "data.size=[48,64]",
                                 "--set", "train.grid_images=0", "--set", "train.tensorboard=false"])
    assert rc == 0, err
    assert f"  note: {_img_note(img_dir)}\n" in out, out
    assert f"  note: {_tgt_note(tgt_dir, exts)}\n" in out, out
    assert _img_note(img_dir) in json.loads((run / "split.json").read_text())["notes"]


# ------------------------------------------------------------------ 2: a dangling link in ALLFIXATIONMAPS
def _mit1003_dangling(root, name="a_fixMap.png"):
    allm = root / "ALLFIXATIONMAPS"
    for k in "ab":
        _image(root / "ALLSTIMULI" / f"{k}.jpg")
        _png(allm / f"{k}_fixPts.png", _fixmap(k))
    _png(allm / "b_fixMap.png", MAPS["b"])
    (allm / name).symlink_to("gone.png")  # a's map, its target missing
    return allm, allm / name


@pytest.mark.parametrize("name", ["a_fixMap.png", "c_fixPts.jpg", "c_fixPts.mat", "c_fixMap.npy"])
def test_a_dangling_map_or_points_link_is_refused_by_both_readers(tmp_path, name):
    allm, link = _mit1003_dangling(tmp_path / "MIT", name)
    msg = f"{allm}: {link} is a link to gone.png, which does not exist; fix or remove the link"
    with pytest.raises(UserError) as eval_err:
        fixation_folder(tmp_path / "MIT")
    assert str(eval_err.value) == f"gt {msg}"
    with pytest.raises(UserError) as train_err:
        find_fixation(tmp_path / "MIT")
    assert str(train_err.value) == f"data {msg}"


def test_eval_refuses_the_dangling_link_in_one_line(tmp_path, capsys):
    allm, link = _mit1003_dangling(tmp_path / "MIT")
    pr = tmp_path / "pr"
    for k in "ab":
        _png(pr / f"{k}.png", MAPS[k])
    out = tmp_path / "r.json"
    rc, so, err = _run(capsys, ["eval", "--task", "fixation", "--gt", tmp_path / "MIT", "--pred", f"M={pr}",
                                "--metrics", "CC,NSS", "--json", out, "--quiet"])
    assert (rc, so, err.strip().splitlines()) == (2, "", [
        f"saliency eval: error: --gt {allm}: {link} is a link to gone.png, which does not exist; fix or remove "
        "the link"]), (rc, so, err)
    assert not out.exists()


def test_train_refuses_the_dangling_link_in_one_line_before_writing(tmp_path, capsys):
    allm, link = _mit1003_dangling(tmp_path / "MIT")
    run = tmp_path / "run"
    rc, so, err = _run(capsys, ["train", "--task", "fixation", "--data", tmp_path / "MIT", "--out", run,
                                "--epochs", "1", "--device", "cpu", "--quiet"])
    assert (rc, so, err.strip().splitlines()) == (2, "", [
        f"saliency train: error: --data {allm}: {link} is a link to gone.png, which does not exist; fix or "
        "remove the link"]), (rc, so, err)
    assert not run.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MIT"]

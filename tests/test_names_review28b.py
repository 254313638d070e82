"""Review 28 (R21) of option and file names in two refusals.

1. ``saliency train --dataset ECSSD --root R`` (or MIT1003) with a broken dataset folder under R named ``--data``,
   an option the user did not give; the refusals name ``--root``, as the refusal for a root without the dataset's
   folders does. Oracle: the hand-written refusal lines.
2. ``saliency eval``: a mask ``cat`` with two predictions ``Cat.png`` and ``CAT.png`` was said as "found CAT.png and
   Cat.png, which differ only in case; rename it to match" (the two files differ from the mask's name, "it" had no
   referent); now each file is said to differ from ``cat`` and the name to give the one meant is named. Oracle: the
   hand-written line and --json reason; one such file keeps its wording (tests/test_eval_names_case28.py).
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli

TRAIN = ["--epochs", "1", "--device", "cpu", "--quiet"]


def _img(path, grey=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    a = np.zeros((20, 24) if grey else (20, 24, 3), np.uint8)
    a[5:15, 6:18] = 200
    assert cv2.imwrite(str(path), a)


# ------------------------------------------------------------------------------------------ 1. --root named
def test_ecssd_under_root_whose_masks_match_no_image_names_root(tmp_path, capsys):
    root = tmp_path / "R"
    _img(root / "ECSSD" / "images" / "a.jpg")
    _img(root / "ECSSD" / "ground_truth_mask" / "b.png", grey=True)
    rc, out, err = run_cli(capsys, ["train", "--dataset", "ECSSD", "--root", root, "--task", "sod",
                                    "--out", tmp_path / "run", *TRAIN])
    folder = root / "ECSSD"
    assert refusal(rc, out, err) == (f"saliency train: error: --root {folder}: no mask in "
                                     f"{folder / 'ground_truth_mask'} matches an image by file stem; check the "
                                     "folders")
    assert not (tmp_path / "run").exists()


def test_mit1003_under_root_without_fixation_files_names_root(tmp_path, capsys):
    root = tmp_path / "R"
    _img(root / "MIT1003" / "ALLSTIMULI" / "a.jpeg")
    (root / "MIT1003" / "ALLFIXATIONMAPS").mkdir()
    rc, out, err = run_cli(capsys, ["train", "--dataset", "MIT1003", "--root", root, "--task", "fixation",
                                    "--out", tmp_path / "run", *TRAIN])
    assert refusal(rc, out, err) == (f"saliency train: error: --root {root / 'MIT1003'}: ALLFIXATIONMAPS/ holds no "
                                     "<name>_fixPts / <name>_fixMap images (MIT1003's layout)")


def test_the_folder_given_as_data_is_still_named_data(tmp_path, capsys):
    data = tmp_path / "MIT1003"
    _img(data / "ALLSTIMULI" / "a.jpeg")
    (data / "ALLFIXATIONMAPS").mkdir()
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "fixation", "--out", tmp_path / "run", *TRAIN])
    assert refusal(rc, out, err) == (f"saliency train: error: --data {data}: ALLFIXATIONMAPS/ holds no "
                                     "<name>_fixPts / <name>_fixMap images (MIT1003's layout)")


# ------------------------------------------------------------------------------------------ 2. several case twins
def _twins(tmp_path, preds_names):
    gt, preds = tmp_path / "masks", tmp_path / "preds"
    for n in ("cat", "ok"):
        _img(gt / f"{n}.png", grey=True)
    for n in preds_names:
        _img(preds / n, grey=True)
    if len({p.name for p in preds.iterdir()}) != len(preds_names):
        pytest.skip("this file system does not tell names apart by case")
    return gt, preds


def _eval(capsys, gt, preds, *more):
    return run_cli(capsys, ["eval", "--quiet", "--task", "sod", "--gt", gt, "--pred", f"M={preds}",
                            "--metrics", "MAE", *more])


def test_two_case_twins_are_said_to_differ_from_the_mask_and_the_name_to_give_is_named(tmp_path, capsys):
    gt, preds = _twins(tmp_path, ["Cat.png", "CAT.png", "ok.png"])
    line = refusal(*_eval(capsys, gt, preds))
    assert line == (f"saliency eval: error: --pred M={preds}: 1 of 2 images in masks have no prediction (e.g. cat); "
                    "cat: found CAT.png and Cat.png, each differing from cat only in case; rename the one meant for "
                    "it to cat.png")


def test_two_case_twins_of_other_extensions_keep_theirs(tmp_path, capsys):
    gt, preds = _twins(tmp_path, ["Cat.png", "CAT.jpg", "ok.png"])
    line = refusal(*_eval(capsys, gt, preds))
    assert line == (f"saliency eval: error: --pred M={preds}: 1 of 2 images in masks have no prediction (e.g. cat); "
                    "cat: found CAT.jpg and Cat.png, each differing from cat only in case; rename the one meant for "
                    "it to cat (keeping its extension)")


def test_two_case_twins_in_the_json_reason(tmp_path, capsys):
    gt, preds = _twins(tmp_path, ["Cat.png", "CAT.png", "ok.png"])
    out_json = tmp_path / "r.json"
    rc, out, err = _eval(capsys, gt, preds, "--allow-missing", "--json", out_json)
    assert (rc, err) == (0, ""), err
    (r,) = json.loads(out_json.read_text())["results"]
    assert r["skipped_images"] == [{"image": "cat", "reason": "no prediction; found CAT.png and Cat.png, each "
                                                              "differing from cat only in case; rename the one "
                                                              "meant for it to cat.png"}]
    assert r["extra_predictions"] == ["CAT.png", "Cat.png"]

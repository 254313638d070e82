"""Stop 29 (after 9f0f59c): resuming a run whose split.json lists an image whose fixation map is now blank.

Training leaves out an image whose fixation map exists but holds no fixated pixel (9f0f59c); a run begun before
lists it in split.json. Its resume was refused as "1 training image(s) ... are gone from DIR; restore them", untrue:
the files are there. The refusal now names the image and why it is left out.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from cli_fakes import hashes, refusal, run_cli
from train_fakes import TINY_ARGS, make_fixation, restore_torch_globals  # noqa: F401 (autouse fixture)


def _blank(root, key):
    """Overwrite ``key``'s fixation map with zeros of the same size (the file stays, no pixel fixated)."""
    p = root / "fixations" / f"{key}.png"
    cv2.imwrite(str(p), np.zeros(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).shape, np.uint8))


def _first_run(tmp_path, capsys):
    data = make_fixation(tmp_path / "tr", n=6, seed=0)
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--task", "fixation", "--epochs", "1", "--out", run,
                                  "--set", "train.threads=1", *TINY_ARGS])
    assert rc == 0, err
    split = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert len(split["train"]) == 5 and len(split["val"]) == 1  # data.val_fraction 0.2 of 6
    return data, run, split


def _resume(capsys, run):
    return run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])


def test_resume_names_a_training_image_whose_fixation_map_is_now_blank_not_gone(tmp_path, capsys):
    data, run, split = _first_run(tmp_path, capsys)
    first, second = split["train"][1], split["train"][3]
    _blank(data, second)
    _blank(data, first)
    was = hashes(run)
    rc, out, err = _resume(capsys, run)
    assert refusal(rc, out, err) == (
        f"saliency train: error: --resume: the training image {first} of {run / 'split.json'} (and 1 more) has a "
        "fixation map without a fixated pixel, which training now leaves out (it was masked out of the loss "
        "before); start a new run")
    assert "gone" not in err
    assert hashes(run) == was  # the run is left as it was


def test_resume_names_a_validation_image_whose_fixation_map_is_now_blank(tmp_path, capsys):
    data, run, split = _first_run(tmp_path, capsys)
    (key,) = split["val"]
    _blank(data, key)
    rc, out, err = _resume(capsys, run)
    assert refusal(rc, out, err) == (
        f"saliency train: error: --resume: the validation image {key} of {run / 'split.json'} has a fixation map "
        "without a fixated pixel, which training now leaves out (it was left out of NSS and AUC_Judd before); "
        "start a new run")


def test_resume_of_a_split_json_listing_a_blank_image_as_an_old_run_did(tmp_path, capsys):
    data = make_fixation(tmp_path / "tr", n=6, seed=0)
    _blank(data, "s0004")
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--task", "fixation", "--epochs", "1", "--out", run,
                                  "--set", "train.threads=1", *TINY_ARGS])
    assert rc == 0, err
    s = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert "s0004" not in s["train"] + s["val"]
    s["train"] = sorted(s["train"] + ["s0004"])  # what a run begun before 9f0f59c wrote
    (run / "split.json").write_text(json.dumps(s), encoding="utf-8")
    rc, out, err = _resume(capsys, run)
    assert refusal(rc, out, err) == (
        f"saliency train: error: --resume: the training image s0004 of {run / 'split.json'} has a fixation map "
        "without a fixated pixel, which training now leaves out (it was masked out of the loss before); start a new "
        "run")


def test_resume_still_says_gone_for_an_image_whose_files_are_gone(tmp_path, capsys):
    data, run, split = _first_run(tmp_path, capsys)
    key = split["train"][0]
    for sub in ("stimuli", "maps", "fixations"):
        (data / sub / f"{key}.png").unlink()
    rc, out, err = _resume(capsys, run)
    assert refusal(rc, out, err) == (
        f"saliency train: error: --resume: 1 training image(s) of {run / 'split.json'} are gone from {data} (e.g. "
        f"{key}); restore them or start a new run")

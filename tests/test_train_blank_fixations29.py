"""Stop 29 (review R5): a fixation map that exists but holds no fixated pixel.

Training counted such an image as trained on ("trained ... on 8 images") while the loss masked it out whenever
the NSS weight is non-zero (the default), and validation left it out of NSS and AUC_Judd without a word while
saying "validated on 3". It is now left out of training and named in the note of an image without a fixation
file; a ``data.val`` folder keeps it (scored where its human map suffices, as ``saliency eval`` does) and the
metrics that leave it out are said in eval's words.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from cli_fakes import run_cli
from train_fakes import TINY_ARGS, make_fixation, restore_torch_globals  # noqa: F401 (autouse fixture)

from saliency.datasets import find_fixation


def _blank(root, key):
    """Overwrite ``key``'s fixation map with zeros of the same size (the file stays, no pixel fixated)."""
    p = root / "fixations" / f"{key}.png"
    cv2.imwrite(str(p), np.zeros(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).shape, np.uint8))


def _renamed(root, prefix):
    """The folder's sNNNN files renamed to ``prefix``NNNN in every sub-folder (distinct keys for data.val)."""
    for sub in ("stimuli", "maps", "fixations"):
        for p in sorted((root / sub).iterdir()):
            p.rename(p.with_name(prefix + p.name[1:]))
    return root


def test_a_blank_fixation_map_is_left_out_of_training_and_named_and_validation_says_what_it_left_out(
        tmp_path, capsys):
    data = make_fixation(tmp_path / "tr", n=6, seed=0)
    _blank(data, "s0002")
    val = _renamed(make_fixation(tmp_path / "va", n=3, seed=5), "v")
    _blank(val, "v0002")
    run = tmp_path / "run"
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "fixation", "--epochs", "1", "--out", run,
                                    "--set", f"data.val={val}", "--set", "train.threads=1", *TINY_ARGS])
    assert rc == 0, err
    # 6 images, 1 without a fixated pixel: trained on the other 5, and that one named as a missing file's is
    assert "trained 1 epoch (2 steps) on 5 images [saliency ingest folder (fixations/ + maps/)], validated on 3" \
        in out
    assert "  note: 1 of 6 images have a human map but no fixation points and are left out of training (e.g. " \
        "s0002)" in out.splitlines()
    split = json.loads((run / "split.json").read_text())
    assert split["train"] == ["s0001", "s0003", "s0004", "s0005", "s0006"]
    # the validation folder keeps its blank image (CC and KLD score its map) and says NSS/AUC_Judd left it out
    assert split["val"] == ["v0001", "v0002", "v0003"]
    assert ("  note: validation: NSS left out on 1 image(s), AUC_Judd left out on 1 image(s) (v0002; NSS and "
            "AUC_Judd: no fixated pixel); each mean is over the other images, as in saliency eval") in out.splitlines()


def test_validation_says_nothing_when_every_image_has_fixations(tmp_path, capsys):
    data = make_fixation(tmp_path / "tr", n=6, seed=0)
    run = tmp_path / "run"
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "fixation", "--epochs", "1", "--out", run,
                                    "--set", "train.threads=1", *TINY_ARGS])
    assert rc == 0, err
    assert "on 5 images" in out and "validated on 1" in out  # data.val_fraction 0.2 of 6: one held out
    assert "note:" not in out


def test_a_blank_fixation_map_without_a_human_map_is_named_apart(tmp_path):
    data = make_fixation(tmp_path / "tr", n=4, seed=0)
    _blank(data, "s0003")
    (data / "maps" / "s0003.png").unlink()  # neither fixations nor a map: no target at all
    idx = find_fixation(data)
    assert [r.key for r in idx.records] == ["s0001", "s0002", "s0004"]
    assert ("1 of 4 images have a fixation map without a fixated pixel and no human map and are left out of "
            "training (e.g. s0003)") in idx.notes
    assert not any("human map but no fixation points" in n for n in idx.notes)


def test_a_folder_whose_fixation_maps_are_all_blank_trains_on_its_human_maps_as_with_none(tmp_path):
    data = make_fixation(tmp_path / "tr", n=3, seed=0)
    for k in ("s0001", "s0002", "s0003"):
        _blank(data, k)
    idx = find_fixation(data)
    # as an empty fixations/ folder is read: every image kept, its fixated pixels the top of its map (said)
    assert [(r.key, r.fixations) for r in idx.records] == [("s0001", ""), ("s0002", ""), ("s0003", "")]
    assert f"no fixation points in {data} (human maps only): fixated pixels = top of each human map " \
        "(data.fixation_top)" in idx.notes
    # a data.val folder is read as eval reads it: the files stay its fixations
    assert [bool(r.fixations) for r in find_fixation(data, "data.val").records] == [True, True, True]

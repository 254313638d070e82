"""Which data a named dataset, a folder layout and a resumed run stand for, from a review of layout discovery.

Oracles: the folders as each dataset ships them (DUTS-TR/DUTS-TR-Image +
DUTS-TR-Mask, ...), built here with a few tiny images, and what is on disk:
a name whose folders are absent is refused, not served by another dataset's;
every image left out for want of a target is named.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.datasets import find_dataset
from test_reliability_inputs import one_line
from train_fakes import make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)


def _png(path, value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((12, 16), value, np.uint8))


def _duts(root, split, n=3, skip_mask=()):
    for i in range(n):
        _png(root / f"DUTS-{split}" / f"DUTS-{split}-Image" / f"im{i}.jpg")
        if i not in skip_mask:
            _png(root / f"DUTS-{split}" / f"DUTS-{split}-Mask" / f"im{i}.png", 255)


def test_a_named_dataset_absent_from_the_root_is_refused_not_served_by_another(tmp_path):
    # before: --dataset DUTS-TR over a root holding only DUTS-TE trained on the test set; ECSSD trained on DUTS-TR
    _duts(tmp_path, "TE")
    with pytest.raises(UserError, match="no DUTS-TR here"):
        find_dataset(tmp_path, "sod", "DUTS-TR")
    _duts(tmp_path, "TR")
    assert find_dataset(tmp_path, "sod", "DUTS-TR").layout == "DUTS-TR"
    with pytest.raises(UserError, match="no ECSSD here"):
        find_dataset(tmp_path, "sod", "ECSSD")
    maps = tmp_path / "fix"  # a plain stimuli/ + maps/ folder is no MIT1003
    _png(maps / "stimuli" / "a.png")
    _png(maps / "maps" / "a.png")
    with pytest.raises(UserError, match="no MIT1003 here"):
        find_dataset(maps, "fixation", "MIT1003")


def test_eval_refuses_a_named_fixation_dataset_that_is_not_there(tmp_path, capsys):
    _png(tmp_path / "fix" / "stimuli" / "a.png")
    _png(tmp_path / "fix" / "maps" / "a.png")
    _png(tmp_path / "pred" / "a.png")
    rc = main(["eval", "--no-progress", "--dataset", "MIT1003", "--root", str(tmp_path / "fix"),
               "--pred", str(tmp_path / "pred")])
    assert "no MIT1003 here" in one_line(capsys, 2, rc)


def test_images_without_a_target_are_named_in_the_notes(tmp_path):
    _duts(tmp_path, "TR", n=4, skip_mask=(2,))
    _png(tmp_path / "DUTS-TR" / "DUTS-TR-Mask" / "orphan.png", 255)
    idx = find_dataset(tmp_path / "DUTS-TR", "sod")
    assert sorted(r.key for r in idx.records) == ["im0", "im1", "im3"]
    assert any("1 of 4 images have no mask" in n and "im2" in n for n in idx.notes), idx.notes
    assert any("orphan" in n for n in idx.notes), idx.notes


def test_a_generic_images_masks_folder_keeps_its_own_name(tmp_path):
    # before: any images/ + masks/ folder was recorded (split.json, the log) as the published HKU-IS
    for i in range(2):
        _png(tmp_path / "mine" / "images" / f"a{i}.png")
        _png(tmp_path / "mine" / "masks" / f"a{i}.png", 255)
    assert find_dataset(tmp_path / "mine", "sod").layout == "images/ + masks/"


def test_a_training_error_names_data_not_gt(tmp_path, capsys):
    (tmp_path / "e" / "stimuli").mkdir(parents=True)
    _png(tmp_path / "e" / "stimuli" / "a.png")
    (tmp_path / "e" / "ALLFIXATIONMAPS").mkdir()
    rc = main(["train", "--data", str(tmp_path / "e"), "--task", "fixation", "--out", str(tmp_path / "r"),
               "--quiet", "--device", "cpu"])
    line = one_line(capsys, 2, rc)
    assert "--data" in line and "--gt" not in line and "ALLFIXATIONMAPS/ holds no" in line, line


def test_a_resume_whose_validation_images_are_gone_is_refused(tmp_path, capsys):
    # before: validated on fewer images (best.pt chosen on another set), or exit 1 'no images were scored'
    import json

    data = make_sod(tmp_path / "S")
    run = tmp_path / "r"
    assert main(["train", "--data", str(data), "--task", "sod", "--out", str(run), "--epochs", "1",
                 "--batch-size", "3", "--device", "cpu", "--quiet", "--set", "data.size=[48,64]",
                 "--set", "train.grid_images=0", "--set", "train.tensorboard=false"]) == 0
    gone = json.loads((run / "split.json").read_text())["val"][0]
    for p in (data / "stimuli").glob(f"{gone}.*"):
        p.unlink()
    line = one_line(capsys, 2, main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]))
    assert "validation image(s)" in line and gone in line, line


def test_cat2000_trainset_given_as_the_root_is_found(tmp_path):
    """CAT2000 unpacks as trainSet/ (Stimuli/<cat>/ + FIXATIONLOCS/<cat>/): that folder given as --root was refused
    by the check that the root holds the named dataset."""
    from scipy.io import savemat

    from saliency.eval.datasets import published

    ts = tmp_path / "CAT2000" / "trainSet"
    for i in range(2):
        _png(ts / "Stimuli" / "Art" / f"{i:03d}.jpg")
        fm = np.zeros((12, 16), np.uint8)
        fm[3 + i, 4] = 1
        (ts / "FIXATIONLOCS" / "Art").mkdir(parents=True, exist_ok=True)
        savemat(str(ts / "FIXATIONLOCS" / "Art" / f"{i:03d}.mat"), {"fixLocs": fm})
    for root in (tmp_path, tmp_path / "CAT2000", ts):
        assert len(find_dataset(root, "fixation", "CAT2000").records) == 2, root
        assert len(published("CAT2000", root).items) == 2, root


def test_an_osie_format_stimulus_named_in_nfd_keeps_its_size(tmp_path):
    """read_osie's keys are NFC; the stimulus was looked up by that key, so an NFD-named file was not found and the
    image took OSIE's 800 x 600 without a word. Oracle: the file's own 40 x 30."""
    import unicodedata

    import scipy.io

    from saliency.eval import datasets as D

    root = tmp_path / "osie"
    (root / "eye").mkdir(parents=True)
    nfd = unicodedata.normalize("NFD", "café")
    cells = np.empty((1, 2), dtype=object)
    for i, stem in enumerate((D.split_stems("OSIE", "train")[0], nfd)):
        cv2.imwrite(str(_mk(root / "stimuli") / f"{stem}.jpg"), np.full((30, 40, 3), 128, np.uint8))
        sc = np.empty((1, 1), dtype=object)
        sc[0, 0] = {"fix_x": np.array([10.0, 20.0]), "fix_y": np.array([5.0, 9.0]), "fix_duration": np.full(2, 200.0)}
        cells[0, i] = {"img": f"{stem}.jpg", "subjects": sc}
    scipy.io.savemat(str(root / "eye" / "fixations.mat"), {"fixations": cells})
    sizes = {it.key: it.size for it in D.published("OSIE", tmp_path).items}
    assert sizes[unicodedata.normalize("NFC", "café")] == (30, 40), sizes


def _mk(path):
    path.mkdir(parents=True, exist_ok=True)
    return path

"""SOD folder layouts (review s33 FT1, FT2): two pairs of image and mask folders side by side (two image folders
beside one mask folder, one beside two, or two whole pairs) are refused, naming every pair, instead of the first in
layout order being read and the other never read nor named; a flat mask whose bare name is that of
two nested images is named as such, not as "no image" beside two "no mask" images; the published layouts still
resolve as before when only their own folders exist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_fakes import refusal, run_cli
from train_fakes import make_sod

from saliency.base.errors import UserError
from saliency.datasets import find_sod

TRAIN = ["--task", "sod", "--epochs", "1", "--seed", "0", "--device", "cpu", "--batch-size", "3",
         "--set", "data.size=[48,64]", "--set", "train.grid_images=2", "--set", "train.tensorboard=false", "--quiet"]


def _sod(root: Path, img: str, gt: str, n: int = 3) -> Path:
    """``n`` image/mask pairs in ``root/img`` + ``root/gt`` (make_sod's stimuli/ + masks/ renamed)."""
    tmp = make_sod(root.parent / f"_src_{root.name}_{img.replace('/', '_')}", n=n)
    (root / img).parent.mkdir(parents=True, exist_ok=True)
    (root / gt).parent.mkdir(parents=True, exist_ok=True)
    shutil.move(tmp / "stimuli", root / img)
    shutil.move(tmp / "masks", root / gt)
    shutil.rmtree(tmp)
    return root


# --- item 1: images/ beside stimuli/ with one masks/ ---------------------------------------------------------------

def test_extra_images_folder_beside_stimuli_is_refused_naming_both(tmp_path, capsys):
    # the review's sodI2: 10 stimuli + masks, and an images/ holding copies of 4 of them; it trained on 3 images of
    # images/ (+ "6 mask(s) have no image") and never read, counted nor named stimuli/
    data = make_sod(tmp_path / "sodI2", n=10, seed=1)
    (data / "images").mkdir()
    for i in range(1, 5):
        shutil.copyfile(data / "stimuli" / f"s000{i}.png", data / "images" / f"s000{i}.png")
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--out", tmp_path / "R", *TRAIN])
    line = refusal(rc, out, err)
    assert line.startswith(f"saliency train: error: --data {data}: ")
    assert str(data / "images") in line and str(data / "stimuli") in line and str(data / "masks") in line
    assert "move or remove" in line and "point --data at" in line
    assert not (tmp_path / "R").exists()


def test_unrelated_images_file_names_both_folders_not_no_match(tmp_path, capsys):
    # a single unrelated images/zz.png was refused "no mask in .../masks matches an image by file stem" although
    # every stimuli/ file has its mask
    data = make_sod(tmp_path / "sodI", n=4)
    (data / "images").mkdir()
    shutil.copyfile(data / "stimuli" / "s0001.png", data / "images" / "zz.png")
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--out", tmp_path / "R", *TRAIN])
    line = refusal(rc, out, err)
    assert "matches an image by file stem" not in line
    assert str(data / "images") in line and str(data / "stimuli") in line


def test_validation_folder_refusal_names_its_key(tmp_path):
    data = make_sod(tmp_path / "val", n=3)
    (data / "images").mkdir()
    shutil.copyfile(data / "stimuli" / "s0002.png", data / "images" / "s0002.png")
    with pytest.raises(UserError) as e:
        find_sod(data, option="data.val")
    msg = str(e.value)
    assert msg.startswith(f"data.val {data}: ") and "point data.val at" in msg and "\n" not in msg
    assert str(data / "images") in msg and str(data / "stimuli") in msg


def test_other_pair_beside_is_refused_naming_every_pair(tmp_path, capsys):
    # review s33 RR10 L/C: 4 pairs in stimuli/ + masks/, 2 in imgs/ + gt/: it trained on imgs/ + gt/ (2 images) and
    # never read nor named stimuli/ and masks/ (this test locked that in as "no rival")
    data = _sod(make_sod(tmp_path / "d", n=4), "imgs", "gt", n=2)
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--out", tmp_path / "R", *TRAIN])
    line = refusal(rc, out, err)
    assert line.startswith(f"saliency train: error: --data {data}: ")
    assert f"{data / 'stimuli'} + {data / 'masks'}" in line and f"{data / 'imgs'} + {data / 'gt'}" in line
    assert "move or remove all but one" in line
    assert not (tmp_path / "R").exists()


@pytest.mark.parametrize("img,gts", [("images", ("masks", "ground_truth_mask")),   # review L2/Q
                                     ("Imgs", ("Masks", "GT"))])                    # review L/K (PASCAL-S names)
def test_one_image_folder_with_two_mask_folders_is_refused(tmp_path, img, gts):
    # L2/Q: images/ 3, masks/ 3, ground_truth_mask/ 1 was read as images/ + ground_truth_mask/ (1 image) with a
    # false "2 of 3 images have no mask" note; L/K Imgs/ + Masks/ + GT/ silently took Imgs/ + GT/
    data = _sod(tmp_path / "q", img, gts[0])
    (data / gts[1]).mkdir()
    shutil.copyfile(data / gts[0] / "s0001.png", data / gts[1] / "s0001.png")
    with pytest.raises(UserError) as e:
        find_sod(data)
    msg = str(e.value)
    assert f"{data / img} + {data / gts[0]}" in msg and f"{data / img} + {data / gts[1]}" in msg
    assert "\n" not in msg and "have no mask" not in msg


def test_two_pairs_in_one_dataset_folder_under_a_data_root_are_refused(tmp_path):
    # the same within one published dataset's folder: root/PASCAL-S/Imgs with Masks/ and GT/
    root = tmp_path / "data"
    _sod(root / "PASCAL-S", "Imgs", "Masks")
    shutil.copytree(root / "PASCAL-S" / "Masks", root / "PASCAL-S" / "GT")
    with pytest.raises(UserError) as e:
        find_sod(root)
    d = root / "PASCAL-S"
    assert f"{d / 'Imgs'} + {d / 'Masks'}" in str(e.value) and f"{d / 'Imgs'} + {d / 'GT'}" in str(e.value)


def test_duts_root_with_train_and_test_takes_duts_tr_as_before(tmp_path):
    # a rule, not a guess: a DUTS root holding DUTS-TR/ and DUTS-TE/ trains on DUTS-TR (the training set)
    root = tmp_path / "DUTS"
    _sod(root / "DUTS-TE", "DUTS-TE-Image", "DUTS-TE-Mask", n=2)
    _sod(root / "DUTS-TR", "DUTS-TR-Image", "DUTS-TR-Mask", n=3)
    idx = find_sod(root)
    assert idx.layout == "DUTS-TR" and len(idx.records) == 3
    assert all(Path(r.image).parent == root / "DUTS-TR" / "DUTS-TR-Image" for r in idx.records)


def test_data_root_with_several_published_datasets_picks_by_layout_order_as_before(tmp_path):
    # several published datasets' folders under one data root: the layout order picks one (ECSSD before HKU-IS),
    # unchanged: they are not two pairs side by side in one folder
    root = tmp_path / "data"
    _sod(root / "HKU-IS", "imgs", "gt", n=5)
    _sod(root / "ECSSD", "images", "ground_truth_mask", n=3)
    idx = find_sod(root)
    assert idx.layout == "ECSSD" and len(idx.records) == 3


@pytest.mark.parametrize("blocked", ["PASCAL-S", "DUT-OMRON"])  # checked after / before ECSSD in layout order
def test_unreadable_unrelated_dataset_folder_is_not_there(tmp_path, monkeypatch, blocked):
    # review RR10: ECSSD data beside an unreadable PASCAL-S/ folder was refused with a PermissionError while the
    # other candidate layouts were probed; a folder that cannot be looked at counts as not there
    root = tmp_path / "data"
    _sod(root / "ECSSD", "images", "ground_truth_mask", n=3)
    (root / blocked / "x").mkdir(parents=True)
    real = Path.is_dir

    def is_dir(self):
        if str(self).startswith(str(root / blocked) + "/"):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    idx = find_sod(root)
    assert idx.layout == "ECSSD" and len(idx.records) == 3


def test_linked_image_folder_is_one_folder(tmp_path):
    # images -> stimuli (a link) is one folder, not two: read as before
    data = make_sod(tmp_path / "d", n=3)
    (data / "images").symlink_to("stimuli", target_is_directory=True)
    idx = find_sod(data)
    assert len(idx.records) == 3


def test_without_images_folder_stimuli_are_read(tmp_path):
    data = make_sod(tmp_path / "sodA", n=10, seed=1)
    idx = find_sod(data)
    assert idx.layout == "stimuli/ + masks/" and len(idx.records) == 10 and idx.notes == []


# documented layouts (eval --list-datasets, README "SOD data"): name -> its (image, mask) folder pairs
PUBLISHED_SOD = {
    "DUTS-TR": [("DUTS-TR-Image", "DUTS-TR-Mask")],
    "DUTS-TE": [("DUTS-TE-Image", "DUTS-TE-Mask")],
    "ECSSD": [("images", "ground_truth_mask")],
    "HKU-IS": [("imgs", "gt"), ("images", "masks"), ("Imgs", "GT"), ("Image", "Mask")],
    "PASCAL-S": [("Imgs", "Masks"), ("images", "masks"), ("Imgs", "GT"), ("Image", "Mask")],
    "DUT-OMRON": [("DUT-OMRON-image", "pixelwiseGT-new-PNG")],
}
CASES = [(name, img, gt) for name, pairs in PUBLISHED_SOD.items() for img, gt in pairs]


@pytest.mark.parametrize("name,img,gt", CASES, ids=[f"{n}:{i}+{g}" for n, i, g in CASES])
def test_published_layout_alone_resolves_as_before(tmp_path, name, img, gt):
    # nested under a data root (root/NAME/img + root/NAME/gt): the dataset's name
    root = tmp_path / "data"
    _sod(root / name, img, gt)
    idx = find_sod(root)
    assert idx.layout == name and len(idx.records) == 3 and idx.notes == []
    assert all(Path(r.image).parent == root / name / img and Path(r.mask).parent == root / name / gt
               for r in idx.records)
    # the pair at a folder of another name: named by its folders
    other = _sod(tmp_path / "mine", img, gt)
    idx = find_sod(other)
    assert idx.layout == f"{img}/ + {gt}/" and len(idx.records) == 3 and idx.notes == []
    # the dataset's own folder given directly: its name, unless another dataset tried first has the same pair
    # (HKU-IS before PASCAL-S: images/masks, Imgs/GT, Image/Mask), then its folders
    own = _sod(tmp_path / "x" / name, img, gt)
    shared = name == "PASCAL-S" and (img, gt) in PUBLISHED_SOD["HKU-IS"]
    assert find_sod(own).layout == (f"{img}/ + {gt}/" if shared else name)
    # and through the data.dataset path (--root with the name): that layout
    assert find_sod(own, only=name, option="--root").layout == name


@pytest.mark.parametrize("img,gt", [("stimuli", "masks"), ("images", "masks"), ("Image", "Mask"),
                                    ("Images", "Masks"), ("imgs", "gt"), ("Imgs", "GT"), ("img", "gt")])
def test_plain_layout_alone_resolves_as_before(tmp_path, img, gt):
    data = _sod(tmp_path / "d", img, gt)
    idx = find_sod(data)
    assert idx.layout == f"{img}/ + {gt}/" and len(idx.records) == 3 and idx.notes == []


# --- item 2: one flat mask name shared by two nested images ----------------------------------------------------------

def _amb(tmp_path: Path) -> Path:
    """The review's sodAmb: stimuli/a/s0001..s0010 + stimuli/b/s0001 (a copy of s0002), flat masks/s0001..s0010."""
    src = make_sod(tmp_path / "sodA", n=10, seed=1)
    d = tmp_path / "sodAmb"
    (d / "stimuli" / "a").mkdir(parents=True)
    (d / "stimuli" / "b").mkdir()
    shutil.copytree(src / "masks", d / "masks")
    for p in sorted((src / "stimuli").iterdir()):
        shutil.copyfile(p, d / "stimuli" / "a" / p.name)
    shutil.copyfile(src / "stimuli" / "s0002.png", d / "stimuli" / "b" / "s0001.png")
    return d


def test_flat_mask_matching_two_nested_images_is_named_as_such(tmp_path):
    idx = find_sod(_amb(tmp_path))
    # 11 images: 9 paired (a/s0002..a/s0010), 2 left with the one mask s0001; 10 masks: 9 paired + s0001
    assert sorted(r.key for r in idx.records) == [f"s{i:04d}" for i in range(2, 11)]
    assert not any("have no image" in n or "have no mask" in n for n in idx.notes), idx.notes
    (note,) = idx.notes
    assert note.startswith("1 mask(s) match more than one image by bare name and are left out, and 2 of 11 images "
                           "with them (e.g. mask s0001 matches a/s0001, b/s0001): ")
    assert "a/s0001" in note.split(": ", 1)[1] and "rename" in note


def test_flat_mask_beside_its_own_nested_mask_counts_only_the_left_image(tmp_path):
    d = _amb(tmp_path)
    (d / "masks" / "a").mkdir()
    shutil.copyfile(d / "masks" / "s0001.png", d / "masks" / "a" / "s0001.png")  # a/s0001 has its own mask now
    idx = find_sod(d)
    assert len(idx.records) == 10  # a/s0001 + s0002..s0010; b/s0001 and the flat s0001 left out: 11 = 10 + 1
    assert not any("have no image" in n or "have no mask" in n for n in idx.notes), idx.notes
    assert any(n.startswith("1 mask(s) match more than one image by bare name and are left out, and 1 of 11 "
                            "images with them (e.g. mask s0001 matches a/s0001, b/s0001)") for n in idx.notes)
    # the example of where to put a mask is the image left without one (b/s0001), not a/s0001 that has its own
    (note,) = [n for n in idx.notes if "bare name" in n]
    assert note.endswith(": put a mask at each image's own path (e.g. b/s0001) or rename the images apart")


def test_flat_mask_beside_images_that_all_have_their_own_is_named_unused(tmp_path):
    # review L2/N: images/a/* and images/b/* each with its own masks/a/*, masks/b/*, and a stray flat masks/s0001:
    # the note told to put a mask at a/s0001's own path, which it already has
    d = _amb(tmp_path)
    (d / "masks" / "a").mkdir()
    (d / "masks" / "b").mkdir()
    shutil.copyfile(d / "masks" / "s0001.png", d / "masks" / "a" / "s0001.png")
    shutil.copyfile(d / "masks" / "s0002.png", d / "masks" / "b" / "s0001.png")
    idx = find_sod(d)
    assert len(idx.records) == 11  # every image paired through its own mask
    (note,) = [n for n in idx.notes if "bare name" in n]
    assert note.startswith("1 mask(s) match more than one image by bare name and are left out (e.g. mask s0001 "
                           "matches a/s0001, b/s0001): ")
    assert "unused" in note and "own path" not in note and "images with them" not in note


def test_train_prints_the_shared_name_note(tmp_path, capsys):
    d = _amb(tmp_path)
    rc, out, err = run_cli(capsys, ["train", "--data", d, "--out", tmp_path / "R", *TRAIN])
    assert rc == 0, err
    assert "mask s0001 matches a/s0001, b/s0001" in out + err
    assert "have no image" not in out + err and "have no mask" not in out + err

"""SOD folder layouts (review s33 FT1): two image folders beside one mask folder are refused, naming both, instead
of the first in layout order being read and the other never read nor named; a flat mask whose bare name is that of
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


def test_other_mask_folder_is_no_rival(tmp_path):
    # imgs/ + gt/ beside stimuli/ + masks/ pair with different mask folders: not refused (first layout, as before)
    data = _sod(make_sod(tmp_path / "d", n=3), "imgs", "gt", n=2)
    idx = find_sod(data)
    assert idx.layout == "imgs/ + gt/" and len(idx.records) == 2


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


def test_train_prints_the_shared_name_note(tmp_path, capsys):
    d = _amb(tmp_path)
    rc, out, err = run_cli(capsys, ["train", "--data", d, "--out", tmp_path / "R", *TRAIN])
    assert rc == 0, err
    assert "mask s0001 matches a/s0001, b/s0001" in out + err
    assert "have no image" not in out + err and "have no mask" not in out + err

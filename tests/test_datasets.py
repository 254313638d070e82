"""Torch datasets: layout discovery, seeded split, augmentation (masks stay binary, points move with the image)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from saliency import datasets as D
from saliency.config import build_config
from saliency.base.errors import UserError
from saliency.transforms import augment, build_train_transform, rasterise_points, scale_points
from train_fakes import H, W, make_fixation, make_sod

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _aug(task, **over):
    a = build_config()["data"]["augment"]
    a.update(over)
    return a


def test_find_sod_synth_and_published_layouts(tmp_path):
    s = make_sod(tmp_path / "S", n=5)
    idx = D.find_sod(s)
    assert [r.key for r in idx.records] == [f"s{i:04d}" for i in range(1, 6)]
    assert idx.records[0].mask.endswith("masks/s0001.png")
    # DUTS layout, given either the dataset folder or its parent
    duts = tmp_path / "DUTS" / "DUTS-TR"
    (duts / "DUTS-TR-Image").mkdir(parents=True)
    (duts / "DUTS-TR-Mask").mkdir()
    for p in (s / "stimuli").iterdir():
        cv2.imwrite(str(duts / "DUTS-TR-Image" / (p.stem + ".jpg")), cv2.imread(str(p)))
        (duts / "DUTS-TR-Mask" / p.name).write_bytes((s / "masks" / p.name).read_bytes())
    for root in (duts, duts.parent):
        idx = D.find_sod(root)
        assert idx.layout == "DUTS-TR" and len(idx.records) == 5
    with pytest.raises(UserError, match="not an SOD dataset"):
        D.find_sod(tmp_path)


def test_find_fixation_ingest_and_mit1003_layouts(tmp_path):
    d = make_fixation(tmp_path / "D", n=4)
    idx = D.find_fixation(d)
    assert len(idx.records) == 4 and idx.records[0].fixations.endswith("fixations/s0001.png")
    fix, dens, pts = D.load_fixation_gt(idx.records[0], 0.02)
    ref = cv2.imread(str(d / "fixations" / "s0001.png"), 0) > 128
    assert np.array_equal(fix, ref) and dens.shape == (H, W) and len(pts) == ref.sum()
    # MIT1003: ALLSTIMULI/<name>.jpeg + ALLFIXATIONMAPS/<name>_fixPts.jpg and _fixMap.jpg
    mit = tmp_path / "MIT1003"
    (mit / "ALLSTIMULI").mkdir(parents=True)
    (mit / "ALLFIXATIONMAPS").mkdir()
    for p in sorted((d / "stimuli").iterdir()):
        cv2.imwrite(str(mit / "ALLSTIMULI" / f"{p.stem}.jpeg"), cv2.imread(str(p)))
        cv2.imwrite(str(mit / "ALLFIXATIONMAPS" / f"{p.stem}_fixPts.jpg"), cv2.imread(str(d / "fixations" / p.name), 0))
        cv2.imwrite(str(mit / "ALLFIXATIONMAPS" / f"{p.stem}_fixMap.jpg"), cv2.imread(str(d / "maps" / p.name), 0))
    idx = D.find_fixation(mit)
    assert len(idx.records) == 4 and "MIT1003" in idx.layout
    # maps only: fixated pixels are the top fraction of the map
    only = tmp_path / "maps_only"
    (only / "stimuli").mkdir(parents=True)
    (only / "maps").mkdir()
    for p in sorted((d / "stimuli").iterdir()):
        (only / "stimuli" / p.name).write_bytes(p.read_bytes())
        (only / "maps" / p.name).write_bytes((d / "maps" / p.name).read_bytes())
    idx = D.find_fixation(only)
    assert idx.notes and "top" in idx.notes[0]
    fix, dens, _ = D.load_fixation_gt(idx.records[0], 0.05)
    k = int(round(H * W * 0.05))
    assert k <= fix.sum() <= k + 40   # ties at the threshold may add a few pixels
    assert dens[fix].min() >= dens[~fix].max()


def test_top_fraction_closed_form():
    a = np.arange(100, dtype=np.float32).reshape(10, 10)
    m = D.top_fraction(a, 0.1)
    assert m.sum() == 10 and m[9].all()


def test_split_is_seeded_and_disjoint():
    keys = [f"k{i}" for i in range(50)]
    tr, va = D.split_keys(keys, 0.2, 7)
    assert len(va) == 10 and not set(tr) & set(va) and sorted(tr + va) == sorted(keys)
    assert D.split_keys(list(reversed(keys)), 0.2, 7) == (tr, va)   # independent of the input order
    assert D.split_keys(keys, 0.2, 8)[1] != va
    with pytest.raises(UserError, match="val_fraction"):
        D.split_keys(["a"], 0.5, 0)


def test_augmented_masks_stay_binary(tmp_path):
    s = make_sod(tmp_path / "S", n=3)
    ds = D.SaliencyDataset(D.find_sod(s).records, "sod", (48, 64), build_train_transform("sod", (48, 64), _aug("sod")))
    for seed in range(25):
        out = ds[(seed % 3, seed)]
        vals = set(np.unique(out["target"].numpy()).tolist())
        assert vals <= {0.0, 1.0}
        assert out["image"].shape == (3, 48, 64) and 0 <= out["image"].min() and out["image"].max() <= 1


def test_points_move_with_the_image():
    """Oracle: paint a dot at each fixation; after any flip/crop/rotation the dot is where the keypoint went."""
    aug = _aug("fixation", color_jitter=0.0, crop_p=1.0, rotate_p=1.0, rotate=15.0)
    tf = build_train_transform("fixation", (96, 128), aug)
    rng = np.random.default_rng(0)
    checked = 0
    for seed in range(20):
        pts = np.array([[rng.uniform(30, 98), rng.uniform(25, 71)]], np.float32)
        img = np.zeros((96, 128, 3), np.uint8)
        cv2.circle(img, (int(round(pts[0, 0])), int(round(pts[0, 1]))), 2, (255, 255, 255), -1)
        dens = np.zeros((96, 128), np.float32)
        out_img, _, out_pts = augment(tf, seed, img, dens, pts)
        if len(out_pts) == 0:
            continue   # cropped away: allowed
        grey = out_img[..., 0].astype(np.float64)
        ys, xs = np.nonzero(grey > 64)
        if len(xs) == 0:
            continue
        cx, cy = (grey[ys, xs] * xs).sum() / grey[ys, xs].sum(), (grey[ys, xs] * ys).sum() / grey[ys, xs].sum()
        assert abs(cx - out_pts[0, 0]) < 1.5 and abs(cy - out_pts[0, 1]) < 1.5, (seed, cx, cy, out_pts)
        checked += 1
    assert checked >= 10


def test_same_seed_same_sample_any_order(tmp_path):
    s = make_sod(tmp_path / "S", n=3)
    tf = build_train_transform("sod", (48, 64), _aug("sod"))
    ds = D.SaliencyDataset(D.find_sod(s).records, "sod", (48, 64), tf)
    a = ds[(1, 123)]["image"]
    ds[(2, 5)]
    assert np.array_equal(a.numpy(), ds[(1, 123)]["image"].numpy())


def test_point_helpers_closed_form():
    p = np.array([[0.0, 0.0], [9.0, 4.0]], np.float32)
    q = scale_points(p, (5, 10), (10, 20))      # pixel centres: (x + .5) * 2 - .5
    assert np.allclose(q, [[0.5, 0.5], [18.5, 8.5]])
    m = rasterise_points(np.array([[1.4, 2.6], [-3, 0], [5.0, 1.0]], np.float32), (4, 6))
    assert m.sum() == 2 and m[3, 1] == 1 and m[1, 5] == 1


def test_fixation_sample_targets(tmp_path):
    d = make_fixation(tmp_path / "D", n=2)
    ds = D.SaliencyDataset(D.find_fixation(d).records, "fixation", (24, 32))
    out = ds[0]
    assert out["target"].shape == (1, 24, 32) and float(out["target"].max()) == pytest.approx(1.0)
    assert set(np.unique(out["fixations"].numpy()).tolist()) <= {0.0, 1.0} and out["fixations"].sum() > 0


@pytest.mark.real_data
def test_mit1003_subset_layout_reads():
    root = SHARED / "mit1003_subset100"
    if not root.is_dir():
        pytest.skip("../shared/data is absent")
    idx = D.find_fixation(root)
    assert len(idx.records) == 100 and "no binary" in idx.layout


def test_border_points_stay_inside_when_shrinking():
    q = scale_points(np.array([[0.0, 0.0], [99.0, 79.0]], np.float32), (80, 100), (24, 32))
    assert q.min() >= 0 and q[1, 0] <= 31 and q[1, 1] <= 23


def test_cat2000_and_salicon_layouts(tmp_path):
    import json

    import scipy.io

    d = make_fixation(tmp_path / "D", n=3)
    stems = sorted(p.stem for p in (d / "stimuli").iterdir())
    # CAT2000: trainSet/Stimuli/<category>/<name>.jpg, FIXATIONMAPS/<category>/, FIXATIONLOCS/<category>/<name>.mat
    cat = tmp_path / "CAT2000" / "trainSet"
    for sub in ("Stimuli/Action", "FIXATIONMAPS/Action", "FIXATIONLOCS/Action"):
        (cat / sub).mkdir(parents=True)
    for s in stems:
        cv2.imwrite(str(cat / "Stimuli/Action" / f"{s}.jpg"), cv2.imread(str(d / "stimuli" / f"{s}.png")))
        cv2.imwrite(str(cat / "FIXATIONMAPS/Action" / f"{s}.jpg"), cv2.imread(str(d / "maps" / f"{s}.png"), 0))
        fix = (cv2.imread(str(d / "fixations" / f"{s}.png"), 0) > 128).astype(np.uint8)
        scipy.io.savemat(str(cat / "FIXATIONLOCS/Action" / f"{s}.mat"), {"fixLocs": fix})
    idx = D.find_fixation(cat.parent)
    assert [r.key for r in idx.records] == [f"Action/{s}" for s in stems]
    fix, dens, pts = D.load_fixation_gt(idx.records[0], 0.02)
    assert np.array_equal(fix, cv2.imread(str(d / "fixations" / f"{stems[0]}.png"), 0) > 128)
    # SALICON: images/train + maps/train + fixations_train*.json ([row, col], 1-based)
    sal = tmp_path / "SALICON"
    (sal / "images" / "train").mkdir(parents=True)
    (sal / "maps" / "train").mkdir(parents=True)
    images, anns = [], []
    for i, s in enumerate(stems):
        cv2.imwrite(str(sal / "images" / "train" / f"{s}.jpg"), cv2.imread(str(d / "stimuli" / f"{s}.png")))
        (sal / "maps" / "train" / f"{s}.png").write_bytes((d / "maps" / f"{s}.png").read_bytes())
        images.append({"id": i, "file_name": f"{s}.jpg", "height": H, "width": W})
        anns.append({"image_id": i, "worker_id": 1, "fixations": [[5, 7], [H, W]]})
    (sal / "fixations_train2014.json").write_text(json.dumps({"images": images, "annotations": anns}))
    idx = D.find_fixation(sal)
    assert len(idx.records) == 3 and "SALICON" in idx.layout
    fix, _, pts = D.load_fixation_gt(idx.records[0], 0.02)
    assert fix.sum() == 2 and fix[4, 6] and fix[H - 1, W - 1]


def test_fill_cache_writes_plain_lines_on_a_log(tmp_path, capsys):
    """Caching progress on a non-terminal stderr: plain lines, never carriage-return frames."""
    s = make_sod(tmp_path / "S", n=3)
    ds = D.SaliencyDataset(D.find_sod(s).records, "sod", (24, 32))
    ds.fill_cache(progress=True, desc="caching")
    err = capsys.readouterr().err
    assert "\r" not in err and err.splitlines()[-1].startswith("caching: 3/3 img")
    assert sorted(ds.cache) == [0, 1, 2]
    ds2 = D.SaliencyDataset(D.find_sod(s).records, "sod", (24, 32))
    ds2.fill_cache(progress=False)
    assert capsys.readouterr().err == "" and len(ds2.cache) == 3


def test_dataset_folder_errors_name_the_data_parameter(tmp_path):
    """An empty image folder is reported against `data`, which the command line spells --data."""
    from saliency.base.errors import cli_flag

    (tmp_path / "stimuli").mkdir()
    (tmp_path / "masks").mkdir()
    with pytest.raises(UserError) as e:
        D.find_sod(tmp_path)
    assert e.value.render(cli_flag).startswith(f"--data {tmp_path / 'stimuli'}: no image files (")
    assert str(e.value).startswith(f"data {tmp_path / 'stimuli'}: no image files (")

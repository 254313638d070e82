"""Training targets that silently stopped describing their pictures, from a review of dataset layouts.

1. A human map of another shape than its image (turned 90 degrees) was
   stretched onto the image when a fixation map of the image's shape (or a
   SALICON JSON of its size) stood beside it; only the fixation grid was
   checked. README: "a human map of another shape than its image ... [is]
   refused". A map at another resolution of the same aspect ratio stays
   accepted and scaled (:func:`saliency.datasets.check_map_shape`).
2. An SOD mask saved as 0/1 (object pixels 1, not 255) was binarised at
   > 128 into all background: ``saliency train --task sod`` ran to Fmax 0 and
   ``saliency eval`` scored against an empty mask, without a word.

Oracles: hand-placed fixations and map peaks, the exact messages, and the
masks as written (a perfect prediction has MAE 0).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.datasets import SaliencyDataset, find_dataset
from saliency.eval.io import read_fixations, read_mask
from test_reliability_inputs import one_line
from train_fakes import restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
H, W = 60, 80          # every picture here: 80 wide, 60 tall
FX, FY = 65, 15        # the one fixated pixel (x, y)
SHAPE = "another shape; they must show the same picture at the same orientation"


def _blob(h, w, x, y, sigma=3.0) -> np.ndarray:
    m = np.zeros((h, w), np.float32)
    m[y, x] = 1
    m = cv2.GaussianBlur(m, (0, 0), sigma)
    return np.rint(255 * m / m.max()).astype(np.uint8)


def _fix_folder(root: Path, n=1, map_of=lambda: np.ascontiguousarray(np.rot90(_blob(H, W, FX, FY)))) -> Path:
    """stimuli/ + fixations/ of the image's shape, maps/ from ``map_of`` (default: the map turned 90 degrees)."""
    for s in ("stimuli", "maps", "fixations"):
        (root / s).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = np.zeros((H, W, 3), np.uint8)
        img[10:20, 60:70] = 255
        fx = np.zeros((H, W), np.uint8)
        fx[FY, FX] = 255
        cv2.imwrite(str(root / "stimuli" / f"a{i}.png"), img)
        cv2.imwrite(str(root / "fixations" / f"a{i}.png"), fx)
        cv2.imwrite(str(root / "maps" / f"a{i}.png"), map_of())
    return root


def _files(root: Path) -> list:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


# ------------------------------------------------------------------ 1. map shape
def test_a_turned_map_beside_fixations_of_the_image_is_refused(tmp_path):
    d = _fix_folder(tmp_path / "fix")
    ds = SaliencyDataset(find_dataset(d, "fixation").records, "fixation", (H, W), None, False)
    msg = (f"{d}/maps/a0.png: the human map is 60x80 but its image {d}/stimuli/a0.png is 80x60, {SHAPE}")
    with pytest.raises(UserError) as e:
        ds[0]
    assert str(e.value) == msg


def test_train_refuses_a_turned_map_in_one_line_and_writes_nothing(tmp_path, capsys):
    d = _fix_folder(tmp_path / "fix", n=4)
    before = _files(d)
    run = tmp_path / "run"
    rc = main(["train", "--data", str(d), "--task", "fixation", "--epochs", "1", "--batch-size", "2",
               "--set", "data.size=[64,64]", "--out", str(run), "--quiet", "--device", "cpu"])
    line = one_line(capsys, 2, rc)
    assert line == (f"saliency train: error: {d}/maps/a0.png: the human map is 60x80 but its image "
                    f"{d}/stimuli/a0.png is 80x60, {SHAPE}")
    assert not run.exists() and _files(d) == before


@pytest.mark.parametrize("scale", [1, 2])
def test_a_map_of_the_image_or_of_its_aspect_at_half_size_still_loads(tmp_path, scale):
    """The image's own shape, and (documented: check_map_shape) the same aspect at another resolution, scaled."""
    h, w = H // scale, W // scale
    d = _fix_folder(tmp_path / "fix", map_of=lambda: _blob(h, w, FX // scale, FY // scale, 3.0 / scale))
    s = SaliencyDataset(find_dataset(d, "fixation").records, "fixation", (H, W), None, False)[0]
    t = s["target"][0].numpy()
    assert t.shape == (H, W) and t.max() == pytest.approx(1.0, abs=1e-6)
    py, px = np.unravel_index(int(t.argmax()), t.shape)
    assert abs(px - FX) <= 1 and abs(py - FY) <= 1          # the peak lies on the fixation
    assert np.argwhere(s["fixations"][0].numpy()).tolist() == [[FY, FX]]


def test_a_fixation_map_of_another_shape_is_named_not_the_human_map(tmp_path):
    d = _fix_folder(tmp_path / "fix", map_of=lambda: _blob(H, W, FX, FY))
    fx = np.zeros((W, H), np.uint8)  # 60 wide x 80 tall: turned
    fx[5, 5] = 255
    cv2.imwrite(str(d / "fixations" / "a0.png"), fx)
    ds = SaliencyDataset(find_dataset(d, "fixation").records, "fixation", (H, W), None, False)
    with pytest.raises(UserError) as e:
        ds[0]
    assert str(e.value) == (f"{d}/fixations/a0.png: the fixation map is 60x80 but its image {d}/stimuli/a0.png "
                            f"is 80x60, {SHAPE}")


def _salicon(root: Path, json_wh=(W, H), map_hw=(W, H)) -> Path:
    """SALICON: images/train/x.jpg (80x60), maps/train/x.png of ``map_hw`` rows x cols, one fixation in the JSON."""
    (root / "images" / "train").mkdir(parents=True)
    (root / "maps" / "train").mkdir(parents=True)
    cv2.imwrite(str(root / "images" / "train" / "x.jpg"), np.zeros((H, W, 3), np.uint8))
    cv2.imwrite(str(root / "maps" / "train" / "x.png"), _blob(map_hw[0], map_hw[1], 5, 5))
    js = {"images": [{"id": 1, "file_name": "x.jpg", "width": json_wh[0], "height": json_wh[1]}],
          "annotations": [{"image_id": 1, "worker_id": 1, "fixations": [[6, 6]]}]}
    (root / "fixations_train2014examples.json").write_text(json.dumps(js))
    return root


def test_a_salicon_map_turned_against_its_image_and_json_is_refused(tmp_path):
    d = _salicon(tmp_path / "sal", map_hw=(W, H))      # 60 wide x 80 tall: turned
    ds = SaliencyDataset(find_dataset(d, "fixation").records, "fixation", (H, W), None, False)
    with pytest.raises(UserError) as e:
        ds[0]
    assert str(e.value) == (f"{d}/maps/train/x.png: the human map is 60x80 but its image "
                            f"{d}/images/train/x.jpg is 80x60, {SHAPE}")


def test_a_salicon_json_size_of_another_shape_names_the_fixations(tmp_path):
    d = _salicon(tmp_path / "sal", json_wh=(H, W), map_hw=(H, W))   # the map matches the image, the JSON is turned
    ds = SaliencyDataset(find_dataset(d, "fixation").records, "fixation", (H, W), None, False)
    with pytest.raises(UserError) as e:
        ds[0]
    assert str(e.value) == (f"the fixations of x: the fixation grid is 60x80 but its image "
                            f"{d}/images/train/x.jpg is 80x60, {SHAPE}")


# ------------------------------------------------------------------ 2. 0/1 SOD masks
def _mask01_msg(path) -> str:
    return (f"{path}: its values are 0 and 1; SOD masks are 0/255 (binarised at > 128), so every pixel would be "
            "background: save it as 0/255")


def _sod_folder(root: Path, n=4, value=1) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(n):
        img = np.zeros((64, 64, 3), np.uint8)
        img[10:40, 20:50] = 255
        m = np.zeros((64, 64), np.uint8)
        m[10:40, 20:50] = value
        cv2.imwrite(str(root / "images" / f"a{i}.png"), img)
        cv2.imwrite(str(root / "masks" / f"a{i}.png"), m)
    return root


def test_read_mask_refuses_a_0_1_mask_and_keeps_the_others(tmp_path):
    m = np.zeros((8, 8), np.uint8)
    m[2:5, 2:5] = 1
    p = tmp_path / "m01.png"
    cv2.imwrite(str(p), m)
    with pytest.raises(UserError) as e:
        read_mask(p)
    assert str(e.value) == _mask01_msg(p)
    rgb = tmp_path / "m01rgb.png"  # the same mask stored as RGB with equal channels
    cv2.imwrite(str(rgb), np.dstack([m] * 3))
    with pytest.raises(UserError) as e:
        read_mask(rgb)
    assert str(e.value) == _mask01_msg(rgb)
    kept = {"m255.png": m * 255, "empty.png": m * 0, "mixed.png": np.where(m, 255, 1).astype(np.uint8)}
    for name, arr in kept.items():
        cv2.imwrite(str(tmp_path / name), arr)
        assert np.array_equal(read_mask(tmp_path / name), arr)
    # a binary fixation map keeps MIT's convention: 0/1 is fixated where nonzero
    assert np.array_equal(read_fixations(p), m > 0)


def test_the_training_dataset_refuses_a_0_1_mask(tmp_path):
    d = _sod_folder(tmp_path / "m01")
    ds = SaliencyDataset(find_dataset(d, "sod").records, "sod", (64, 64), None, False)
    with pytest.raises(UserError) as e:
        ds[0]
    assert str(e.value) == _mask01_msg(d / "masks" / "a0.png")
    ok = _sod_folder(tmp_path / "m255", value=255)
    t = SaliencyDataset(find_dataset(ok, "sod").records, "sod", (64, 64), None, False)[0]["target"][0].numpy()
    assert int(t.sum()) == 30 * 30 and t[10:40, 20:50].all()


def test_train_refuses_0_1_masks_in_one_line_and_writes_nothing(tmp_path, capsys):
    d = _sod_folder(tmp_path / "m01")
    before = _files(d)
    run = tmp_path / "run"
    rc = main(["train", "--data", str(d), "--task", "sod", "--epochs", "1", "--batch-size", "2",
               "--set", "data.size=[64,64]", "--out", str(run), "--quiet", "--device", "cpu"])
    line = one_line(capsys, 2, rc)
    assert line == f"saliency train: error: {_mask01_msg(d / 'masks' / 'a0.png')}"
    assert not run.exists() and _files(d) == before


def test_eval_refuses_a_0_1_mask_or_skips_it_as_unreadable(tmp_path, capsys):
    gt, pr = tmp_path / "gt", tmp_path / "pr"
    gt.mkdir()
    pr.mkdir()
    m = np.zeros((32, 32), np.uint8)
    m[8:20, 8:20] = 255
    for name, g in (("a", m), ("b", m // 255)):
        cv2.imwrite(str(gt / f"{name}.png"), g)
        cv2.imwrite(str(pr / f"{name}.png"), m)
    out_json = tmp_path / "r.json"
    rc = main(["eval", "--no-progress", "--task", "sod", "--gt", str(gt), "--pred", str(pr), "--json", str(out_json)])
    assert one_line(capsys, 2, rc) == f"saliency eval: error: {_mask01_msg(gt / 'b.png')}"
    assert not out_json.exists()
    rc = main(["eval", "--no-progress", "--task", "sod", "--gt", str(gt), "--pred", str(pr), "--allow-missing",
               "--json", str(out_json)])
    out = capsys.readouterr().out
    assert rc == 0 and "1 image, 1 unreadable or refused skipped" in out, out
    res = json.loads(out_json.read_text())
    text = json.dumps(res)
    assert "b.png" in text                                 # the skipped mask is named
    mae = [v for v in _find(res, "MAE")]
    assert mae and all(v == 0 for v in mae)                # only a.png scored: a perfect prediction


def _find(obj, key):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key and isinstance(v, (int, float)):
                yield v
            else:
                yield from _find(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from _find(v, key)


@pytest.mark.real_data
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent")
def test_the_real_masks_still_read_as_stored():
    masks = sorted(p for s in ("sod_real18", "sod_pysodmetrics") for p in (SHARED / s / "masks").glob("*.png"))
    if not masks:
        pytest.skip("no real SOD masks")
    for p in masks:
        assert np.array_equal(read_mask(p), cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)), p

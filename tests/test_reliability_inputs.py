"""Issue 16, finding 8: absurd config numbers and JSON of the wrong shape are one line, exit 2, no traceback.

Also deliverable 3 for the readers that decode images themselves (``crop``,
``report``): an image declaring 50000x50000 is refused before decoding.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from saliency import config as C
from saliency.base.errors import UserError
from saliency.cli import main
from image_fakes import png_header




def one_line(capsys, code, got) -> str:
    """The in-process command returned ``code`` with exactly one stderr line, no traceback; return it."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert got == code, err[-2000:]
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    return lines[0]


def write_png(path: Path, h: int = 24, w: int = 32, value: int = 128) -> Path:
    """A real small PNG."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))
    return path


# ------------------------------------------------------------------ config numbers


@pytest.mark.parametrize("override, key", [
    ("train.epochs=1e999", "train.epochs"),
    ("train.epochs=.nan", "train.epochs"),
    ("train.epochs=2.5", "train.epochs"),
    ("train.batch_size=1e30", "train.batch_size"),
    ("train.batch_size=-inf", "train.batch_size"),
    ("train.seed=1e30", "train.seed"),
    ("train.seed=-1", "train.seed"),
    ("data.split_seed=1e999", "data.split_seed"),
    ("data.workers=inf", "data.workers"),
    ("data.val_fraction=.nan", "data.val_fraction"),
    ("data.size=[1e999,100]", "data.size"),
    ("data.size=1e999", "data.size"),
    ("data.augment.rotate=.nan", "data.augment.rotate"),
    ("data.augment.crop_scale=[.nan,1]", "data.augment.crop_scale"),
    ("optim.lr=inf", "optim.lr"),
    ("optim.lr=.nan", "optim.lr"),
    ("optim.weight_decay=1e999", "optim.weight_decay"),
    ("train.clip_grad=inf", "train.clip_grad"),
    ("train.ema=.nan", "train.ema"),
    ("train.threads=1e999", "train.threads"),
    ("train.val_every=1e999", "train.val_every"),
    ("sched.warmup_epochs=inf", "sched.warmup_epochs"),
    ("sched.min_lr=.nan", "sched.min_lr"),
    ("sched.power=inf", "sched.power"),
    ("sched.epochs=1e999", "sched.epochs"),
    ("loss.side_weight=inf", "loss.side_weight"),
])
def test_absurd_config_numbers_name_the_key(override, key):
    with pytest.raises(UserError) as info:
        C.build_config(overrides=[override])
    msg = str(info.value)
    assert key in msg and "\n" not in msg, msg


def test_config_numbers_in_a_file_name_the_key(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("train:\n  epochs: .inf\n")
    with pytest.raises(UserError, match="train.epochs"):
        C.build_config(str(f))


def test_valid_config_numbers_are_unchanged():
    cfg = C.build_config(overrides=["train.seed=4294967295", "optim.lr=3e-4", "train.epochs=4.0"])
    assert cfg["train"]["epochs"] == 4 and isinstance(cfg["train"]["epochs"], int)
    assert cfg["train"]["seed"] == 2 ** 32 - 1 and cfg["optim"]["lr"] == pytest.approx(3e-4)
    assert C.build_config() == C.build_config(overrides=[])


def test_train_epochs_1e999_is_one_line_exit_2(tmp_path, capsys):
    code = main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--set", "train.epochs=1e999"])
    line = one_line(capsys, 2, code)
    assert "train.epochs" in line


# ------------------------------------------------------------------ screen.json


@pytest.mark.parametrize("text, needle", [
    ("[1, 2]", "expected a JSON object"),
    ('"screen"', "expected a JSON object"),
    ('{"screen_px": [1e999, 1080], "screen_cm": [50, 30], "distance_cm": 60}', "screen_px"),
    ('{"screen_px": [1920, 1080], "screen_cm": [Infinity, 30], "distance_cm": 60}', "screen_cm"),
    ('{"screen_px": [1920, 1080], "screen_cm": [50, 30], "distance_cm": Infinity}', "distance_cm"),
    ('{"screen_px": [1920, 1080], "screen_cm": [50, 30], "distance_cm": NaN}', "distance_cm"),
    ('{"screen_px": 1920, "screen_cm": [50, 30], "distance_cm": 60}', "screen_px"),
    ('{"screen_px": [1920, 1080], "screen_cm": [50, 30], "distance_cm": [60]}', "distance_cm"),
    ('{"screen_px": [1920, 1080], "screen_cm": [50, 30], "distance_cm": 60, "display": 5}', "display"),
])
def test_screen_json_of_the_wrong_shape_is_one_user_error(tmp_path, text, needle):
    from data_tools.geometry import ScreenGeometry

    p = tmp_path / "screen.json"
    p.write_text(text)
    with pytest.raises(UserError) as info:
        ScreenGeometry.load(p)
    msg = str(info.value)
    assert "screen.json" in msg and needle in msg and "\n" not in msg, msg


def test_screen_json_not_utf8_is_one_user_error(tmp_path):
    from data_tools.geometry import ScreenGeometry

    p = tmp_path / "screen.json"
    p.write_bytes(b'{"display": "\xff\xfe"}')
    with pytest.raises(UserError, match="screen.json"):
        ScreenGeometry.load(p)


def test_valid_screen_json_still_loads(tmp_path):
    from data_tools.geometry import ScreenGeometry

    p = tmp_path / "screen.json"
    p.write_text('{"screen_px": [1920, 1080], "screen_cm": [53.0, 30.0], "distance_cm": 60, "hz": 500}')
    g = ScreenGeometry.load(p)
    assert g.screen_px == (1920, 1080) and g.extra == {"hz": 500} and g.ppd > 0


# ------------------------------------------------------------------ report --eval JSON


@pytest.mark.parametrize("doc", [
    [1, 2],
    {"results": {"dataset": "x"}},
    {"results": [1]},
    {"results": [{"method": "m", "metrics": {"MAE": 0.1}}]},
    {"results": [{"dataset": "d", "method": "m", "metrics": [0.1]}]},
    {"results": [{"dataset": "d", "method": "m", "metrics": {"MAE": "low"}}]},
    {"results": [{"dataset": ["d"], "method": "m", "metrics": {"MAE": 0.1}}]},
])
def test_report_eval_json_of_the_wrong_shape_is_one_line(tmp_path, capsys, doc):
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps(doc))
    out = tmp_path / "rep"
    code = main(["report", "--eval", str(ev), "--out", str(out)])
    line = one_line(capsys, 2, code)
    assert "eval.json" in line
    assert not (out / "report.html").exists()


def test_report_dataset_json_of_the_wrong_shape_is_one_line(tmp_path, capsys):
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "dataset.json").write_text(json.dumps({"counts": {"quarantine_by_reason": [1]},
                                                 "inter_observer": {"CC": {"mean": "x"}}}))
    code = main(["report", "--dataset", str(ds), "--out", str(tmp_path / "rep")])
    line = one_line(capsys, 2, code)
    assert "dataset.json" in line


def test_report_refuses_a_bomb_in_the_gallery_before_decoding(tmp_path, capsys):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    (imgs / "a.png").write_bytes(png_header(50000, 50000))
    code = main(["report", "--images", str(imgs), "--out", str(tmp_path / "rep")])
    line = one_line(capsys, 2, code)
    assert "a.png" in line and "50000x50000" in line


# ------------------------------------------------------------------ crop


def test_crop_refuses_a_bomb_before_decoding(tmp_path, capsys):
    imgs, maps = tmp_path / "imgs", tmp_path / "maps"
    write_png(imgs / "ok.png")
    (imgs / "big.png").write_bytes(png_header(50000, 50000))
    write_png(maps / "ok.png")
    write_png(maps / "big.png")
    out = tmp_path / "out"
    code = main(["crop", "--images", str(imgs), "--maps", str(maps), "--out", str(out), "--aspect", "1:1"])
    line = one_line(capsys, 2, code)
    assert "big.png" in line and "50000x50000" in line
    assert not out.exists()


# ------------------------------------------------------------------ SALICON JSON


@pytest.mark.parametrize("doc", [
    [1],
    {"images": [{"id": 1, "width": 32, "height": 24}], "annotations": []},
    {"images": [{"id": 1, "file_name": "a.jpg", "width": "wide", "height": 24}], "annotations": []},
    {"images": [{"id": 1, "file_name": 7, "width": 32, "height": 24}], "annotations": []},
    {"images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
     "annotations": [{"image_id": 1, "fixations": [[1]]}]},
    {"images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
     "annotations": [{"image_id": 1, "fixations": "ab"}]},
    {"images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
     "annotations": [{"image_id": 1, "fixations": [[1e999, 2]]}]},
    {"images": [{"id": 1, "file_name": "a.jpg", "width": 1e999, "height": 24}], "annotations": []},
    # review (stop 18): points outside the image, or of an image not listed, were dropped unsaid
    {"images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
     "annotations": [{"image_id": 1, "fixations": [[1, 2], [25, 4]]}]},
    {"images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
     "annotations": [{"image_id": 1, "fixations": [[0, 2]]}]},
    {"images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
     "annotations": [{"image_id": 2, "fixations": [[1, 2]]}]},
])
def test_salicon_json_with_wrong_types_is_one_user_error(tmp_path, doc):
    from saliency.eval.datasets import salicon_items

    p = tmp_path / "fixations_val.json"
    p.write_text(json.dumps(doc).replace("Infinity", "1e999"))
    with pytest.raises(UserError) as info:
        salicon_items(p, None)
    msg = str(info.value)
    assert "fixations_val.json" in msg and "\n" not in msg, msg


def test_valid_salicon_json_still_reads(tmp_path):
    from saliency.eval.datasets import salicon_items

    p = tmp_path / "fixations_val.json"
    p.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
                             "annotations": [{"image_id": 1, "fixations": [[1, 2], [3, 4], [24, 32]]}]}))
    (item,) = salicon_items(p, None)  # [24, 32]: the last pixel of a 32x24 image, 1-based
    assert item.key == "a" and item.size == (24, 32) and item.points == ((0, 1), (2, 3), (23, 31))


# ------------------------------------------------------------------ checkpoints


@pytest.mark.parametrize("ckpt, needle", [
    ({"config": "unet", "state_dict": {}}, "config"),
    ({"config": [1, 2], "state_dict": {}}, "config"),
    ({"config": {"arch": "unet", "task": "sod"}, "state_dict": [1, 2]}, "state_dict"),
    ({"config": {"arch": "unet", "task": "sod"}, "state_dict": "weights"}, "state_dict"),
])
def test_checkpoint_with_wrong_types_is_one_user_error(tmp_path, ckpt, needle):
    import torch

    from saliency.models.registry import read_checkpoint

    p = tmp_path / "bad.pt"
    torch.save(ckpt, p)
    with pytest.raises(UserError) as info:
        read_checkpoint(p)
    msg = str(info.value)
    assert "bad.pt" in msg and needle in msg and "\n" not in msg, msg


def test_predict_with_a_checkpoint_of_wrong_types_is_one_line(tmp_path, capsys):
    import torch

    p = tmp_path / "bad.pt"
    torch.save({"config": {"arch": "unet", "task": "sod"}, "state_dict": [1, 2]}, p)
    write_png(tmp_path / "imgs" / "a.png")
    code = main(["predict", "--checkpoint", str(p), "--images", str(tmp_path / "imgs"),
                 "--out", str(tmp_path / "out")])
    line = one_line(capsys, 2, code)
    assert "bad.pt" in line

"""Review s32 (R8): `predict --runtime onnx` on a coarse-to-fine checkpoint trained at a small size named a `--size`
the user never gave; the size is the checkpoint's training size, and the line says so and names the ways out."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from cli_fakes import refusal, run_cli
from saliency import models

pytest.importorskip("onnxruntime")


def _c2f_checkpoint(tmp_path, size):
    ck = tmp_path / "c2f.pt"
    payload = models.checkpoint_payload(models.create_model("c2f_tiny_cbam_sod"))
    torch.save({**payload, "train_config": {"data": {"size": list(size)}}}, ck)
    return ck


def _images(tmp_path):
    im = tmp_path / "im"
    im.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(im / "a.png")
    return im


def test_onnx_refusal_names_the_checkpoints_training_size_not_a_size_option(tmp_path, capsys):
    ck, im = _c2f_checkpoint(tmp_path, [48, 64]), _images(tmp_path)  # [H, W]: one 64-px cell, the model refines 4
    line = refusal(*run_cli(capsys, ["predict", "--checkpoint", ck, "--images", im, "--out", tmp_path / "o",
                                     "--device", "cpu", "--runtime", "onnx", "--quiet"]))
    assert f"--checkpoint {ck}: its training size 64x48: " in line, line
    assert "--size 64x48" not in line and line.endswith("give a larger --size (e.g. 65x65), or use the torch --runtime")
    assert not (tmp_path / "o").exists()


def test_a_size_the_user_gave_is_still_named_as_given(tmp_path, capsys):
    ck, im = _c2f_checkpoint(tmp_path, [48, 64]), _images(tmp_path)
    line = refusal(*run_cli(capsys, ["predict", "--checkpoint", ck, "--images", im, "--out", tmp_path / "o",
                                     "--device", "cpu", "--runtime", "onnx", "--size", "64x48", "--quiet"]))
    assert line.startswith("saliency predict: error: --size 64x48: the coarse-to-fine model"), line

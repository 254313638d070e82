"""Review R2 (stop 29): a bare state_dict given as ``--checkpoint`` (``torch.save(model.state_dict())``, a common
slip) was refused with one line of ~9,000 characters listing every parameter name, never saying what the file was.
Now it is named as a bare state_dict with what to save instead; another dict without the keys lists at most five."""

from __future__ import annotations

import torch

from cli_fakes import refusal, run_cli
from saliency.models.registry import create_model


def test_a_bare_state_dict_is_named_as_such_in_one_short_line(tmp_path, capsys):
    sd = create_model("unet_tiny_cbam_sod").state_dict()
    path = tmp_path / "sdonly.pt"
    torch.save(sd, path)
    images = tmp_path / "images"
    images.mkdir()
    for argv in (["export", "--checkpoint", path, "--onnx", tmp_path / "q.onnx"],
                 ["predict", "--checkpoint", path, "--images", images, "--out", tmp_path / "o"]):
        line = refusal(*run_cli(capsys, argv))
        assert f"{path}: a bare state_dict ({len(sd)} tensors, no model config)" in line, line
        assert "checkpoint_payload(model)" in line and len(line) < 400, line
    assert not (tmp_path / "q.onnx").exists() and not (tmp_path / "o").exists()


def test_another_dict_lists_at_most_five_keys_and_counts_them(tmp_path, capsys):
    path = tmp_path / "many.pt"
    torch.save({f"k{i:02d}": i for i in range(12)}, path)
    line = refusal(*run_cli(capsys, ["export", "--checkpoint", path, "--onnx", tmp_path / "q.onnx"]))
    assert line.endswith("needs keys 'config' (model.config) and 'state_dict'; "
                         "found ['k00', 'k01', 'k02', 'k03', 'k04', ... (12 keys)]"), line

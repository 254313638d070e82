"""`saliency models` and `saliency export` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from saliency import models
from saliency.models.profile import count_params
from saliency.cli import main


def test_models_table(capsys, tmp_path):
    out = tmp_path / "t.json"
    rc = main(["models", "--filter", "unet_tiny_s*_sod", "--no-latency", "--format", "json", "--size", "64",
               "--out", str(out)])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in rows] == ["unet_tiny_scse_sod", "unet_tiny_se_sod", "unet_tiny_sk_sod",
                                          "unet_tiny_stn_sod", "unet_tiny_stnin_sod"]
    for r in rows:
        assert r["params_m"] == pytest.approx(count_params(models.create_model(r["model"])) / 1e6)
        assert r["task"] == "sod" and r["gmac"] > 0 and r["latency_ms"] is None
    assert json.loads(out.read_text()) == rows
    assert main(["models", "--filter", "zzz*"]) == 2
    assert "matches no model" in capsys.readouterr().err


def test_export_checkpoint_and_errors(tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(3)
    m = models.create_model("unet_tiny_sk_fixation").eval()
    ckpt = tmp_path / "best.pt"
    torch.save(models.checkpoint_payload(m), ckpt)
    onnx_path = tmp_path / "m.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--onnx", str(onnx_path), "--size", "128x96"]) == 0
    printed = capsys.readouterr().out
    assert "max |diff|" in printed and "at 128x96 and 109x133" in printed  # WxH: 128 - 19 wide, 96 + 37 high
    x = np.random.default_rng(0).random((1, 3, 97, 131), dtype=np.float32)
    y = ort.InferenceSession(str(onnx_path)).run(None, {"image": x})[0]
    with torch.no_grad():
        np.testing.assert_allclose(y, m(torch.from_numpy(x)).numpy(), atol=1e-4)
    assert main(["export", "--model", "unet_tiny_se_sod", "--onnx", str(onnx_path)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", "--model", "nope", "--onnx", str(tmp_path / "n.onnx")]) == 2
    assert "unet_tiny_cbam_sod" in capsys.readouterr().err
    assert main(["export", "--checkpoint", str(tmp_path / "missing.pt"), "--onnx", str(tmp_path / "n.onnx")]) == 2
    assert not (tmp_path / "n.onnx").exists()

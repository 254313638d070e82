"""ONNX export: onnxruntime output equals PyTorch within 1e-4 at two input sizes (dynamic H, W)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from saliency import models
from saliency.models.export import INPUT_NAME, check_onnx, export_onnx

ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("name", ["unet_tiny_cbam_sod", "unet_tiny_stnin_fixation", "c2f_tiny_cbam_sod",
                                  "unet_mobilenetv3_cbam_sod"])
def test_onnx_matches_pytorch(name, tmp_path):
    torch.manual_seed(0)
    m = models.create_model(name).eval()
    with torch.no_grad():  # non-trivial BN statistics and, for the STN, a real warp
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
        if getattr(m, "core", None) is not None and m.core.stn is not None:
            m.core.stn.theta_head.bias.copy_(torch.tensor([0.8, 0.1, 0.05, -0.1, 0.9, -0.05]))
    timm_encoder = "mobilenet" in name  # timm backbone: smaller sizes keep the test fast
    path = export_onnx(m, tmp_path / f"{name}.onnx", *((128, 128) if timm_encoder else (256, 256)))
    err = check_onnx(m, path, sizes=((128, 160), (97, 131)) if timm_encoder else ((320, 320), (241, 317)))
    assert err < 1e-4
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = sess.run(None, {INPUT_NAME: np.random.default_rng(0).random((2, 3, 200, 150), dtype=np.float32)})[0]
    assert out.shape == (2, 1, 200, 150)
    if m.task == "fixation":
        np.testing.assert_allclose(np.exp(out.astype(np.float64)).sum(axis=(2, 3)), 1.0, atol=1e-4)
    if name.startswith("c2f"):  # a uniform frame: every cell scores the same, both must refine the same cells
        black = np.zeros((1, 3, 192, 256), np.float32)
        with torch.no_grad():
            ref = m(torch.from_numpy(black)).numpy()
        assert np.abs(sess.run(None, {INPUT_NAME: black})[0] - ref).max() < 1e-4

"""Review R2 (stop 29): the exported graph declared its output as N x ``Resizesaliency_dim_1`` x H x W (a symbolic
channel count named after the op that made it), though ``saliency export`` says the graph returns N x 1 x H x W. The
channel axis is now declared as the model's own count (1); batch, height and width stay dynamic."""

from __future__ import annotations

import numpy as np
import pytest

from cli_fakes import run_cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("model", ["unet_tiny_cbam_sod", "unet_tiny_cbam_fixation", "c2f_tiny_cbam_sod"])
def test_exported_output_declares_one_channel_and_dynamic_sizes(tmp_path, capsys, model):
    out = tmp_path / f"{model}.onnx"
    rc, _, err = run_cli(capsys, ["export", "--model", model, "--onnx", out, "--quiet"])
    assert rc == 0, err
    graph = onnx.load(str(out)).graph
    dims = [d.dim_param or d.dim_value for d in graph.output[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 1, "height", "width"]
    # the declared shape holds at a size other than the traced one (ORT checks outputs against it)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    y = sess.run(None, {"image": np.random.default_rng(0).random((2, 3, 200, 264), dtype=np.float32)})[0]
    assert y.shape == (2, 1, 200, 264)

"""``saliency predict --runtime onnx``: folded batch norm, maps as the eager path's, prefetch keeps order.

Oracles: eager PyTorch (the network output within 1e-4, the 8-bit maps
within one grey level: float32 rounding of a different kernel order), the
ONNX graph itself (no ``BatchNormalization`` node left) and plain iteration
(the prefetched items, in order, and the producer's exception at its item).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from saliency import models
from saliency.checkpoint import save
from saliency.cli import main

ort = pytest.importorskip("onnxruntime")
SIZE = (64, 96)


@pytest.fixture(autouse=True)
def _threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def _model(name, task_seed=0):
    torch.manual_seed(task_seed)
    m = models.create_model(name).eval()
    with torch.no_grad():  # non-trivial batch-norm statistics, so that folding them matters
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    return m


@pytest.mark.parametrize("name", ["unet_tiny_se_fixation"])
def test_onnx_model_matches_eager_and_has_no_batch_norm(name):
    from saliency.onnx_runtime import OnnxModel

    m = _model(name)
    om = OnnxModel(m, (128, 128), threads=1)
    onnx = pytest.importorskip("onnx")
    ops = {n.op_type for n in onnx.load_from_string(om.onnx_bytes).graph.node}
    assert "BatchNormalization" not in ops and "Conv" in ops
    assert any(isinstance(mod, torch.nn.BatchNorm2d) for mod in m.modules())  # the eager model has them
    x = torch.rand(2, 3, 160, 144, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        ref = m(x)
    got = om(x)
    assert got.shape == ref.shape and got.dtype == torch.float32
    assert float((got - ref).abs().max()) < 1e-4
    assert om.task == m.task


def test_predict_onnx_maps_equal_torch_maps(tmp_path):
    m = _model("unet_tiny_cbam_sod")
    ck = tmp_path / "m.pt"
    save(ck, {"config": m.config, "state_dict": m.state_dict(), "train_config": {"data": {"size": list(SIZE)}}})
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    rng = np.random.default_rng(1)
    for i, (w, h) in enumerate([(120, 80), (50, 70), (96, 64), (200, 150), (33, 41)]):
        cv2.imwrite(str(imgs / f"im{i}.png"), rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    (imgs / "bad.png").write_bytes(b"not a png")
    outs = {}
    for rt in ("torch", "onnx"):
        outs[rt] = tmp_path / rt
        assert main(["predict", "--checkpoint", str(ck), "--images", str(imgs), "--out", str(outs[rt]),
                     "--device", "cpu", "--batch-size", "2", "--runtime", rt, "--tta", "flip", "--quiet"]) == 0
    # the maps (the hidden mark of a folder output, review finding 1, is no map)
    names = sorted(p.name for p in outs["torch"].iterdir() if not p.name.startswith("."))
    assert names == sorted(p.name for p in outs["onnx"].iterdir() if not p.name.startswith(".")) and len(names) == 5
    for n in names:
        a = cv2.imread(str(outs["torch"] / n), cv2.IMREAD_UNCHANGED).astype(int)
        b = cv2.imread(str(outs["onnx"] / n), cv2.IMREAD_UNCHANGED).astype(int)
        assert a.shape == b.shape and np.abs(a - b).max() <= 1


def test_prefetch_keeps_order_and_raises_at_the_failing_item():
    from saliency.onnx_runtime import prefetch

    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))

    def gen():
        yield 1
        yield 2
        raise ValueError("bad item")

    got = []
    with pytest.raises(ValueError, match="bad item"):
        for v in prefetch(gen()):
            got.append(v)
    assert got == [1, 2]
    it = prefetch(iter(range(10**6)), depth=2)  # stopping early ends the producer thread
    assert next(it) == 0
    it.close()

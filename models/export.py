"""ONNX export with dynamic batch, height and width.

Uses PyTorch's TorchScript-based exporter (``torch.onnx.export(...,
dynamo=False)``): the torch.export-based default of PyTorch >= 2.9 needs the
``onnxscript`` package, which the toolkit does not depend on. The graph is
traced in eval mode (one output tensor: SOD logits or fixation
log-density), opset 17 by default (``grid_sample`` needs >= 16).
:func:`check_onnx` runs the file with onnxruntime and reports the largest
difference from PyTorch at given input sizes.

Coarse-to-fine models keep their ``top_k`` fixed in the graph: inputs must
have at least ``top_k`` cells of ``patch_size`` pixels.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from saliency.base.fsutil import atomic_path

INPUT_NAME = "image"
OUTPUT_NAME = "saliency"


def export_onnx(model: torch.nn.Module, path: str | Path, height: int = 320, width: int = 320,
                opset: int = 17) -> Path:
    """Write ``model`` (eval mode) as ONNX to ``path`` atomically, with dynamic N, H, W."""
    path = Path(path)
    was = model.training
    model.eval()
    x = torch.rand(1, 3, height, width)
    try:
        with atomic_path(path) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (x,), str(tmp), dynamo=False, opset_version=opset,
                input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
                              OUTPUT_NAME: {0: "batch", 2: "height", 3: "width"}},
            )
    finally:
        model.train(was)
    return path


@torch.no_grad()
def check_onnx(model: torch.nn.Module, path: str | Path, sizes=((320, 320), (241, 317)), seed: int = 0) -> float:
    """Largest |onnxruntime - PyTorch| over random inputs of the given (H, W) sizes."""
    import numpy as np
    import onnxruntime as ort

    was = model.training
    model.eval()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(seed)
    worst = 0.0
    try:
        for h, w in sizes:
            x = torch.rand(1, 3, h, w, generator=g)
            ref = model(x).float().numpy()
            out = sess.run(None, {INPUT_NAME: x.numpy()})[0]
            if out.shape != ref.shape:
                raise RuntimeError(f"ONNX output shape {out.shape} != PyTorch {ref.shape} at {h}x{w}")
            worst = max(worst, float(np.abs(out - ref).max()))
    finally:
        model.train(was)
    return worst

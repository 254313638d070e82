"""ONNX export with dynamic batch, height and width.

Uses PyTorch's TorchScript-based exporter (``torch.onnx.export(...,
dynamo=False)``): the torch.export-based default of PyTorch >= 2.9 needs the
``onnxscript`` package, which the toolkit does not depend on. The graph is
traced in eval mode (one output tensor: SOD logits or fixation
log-density), opset 17 by default (``grid_sample`` needs >= 16). The
``onnx`` package is an optional dependency (the ``onnx`` extra, with
onnxruntime): without it the export stops with one line saying so.
:func:`check_onnx` runs the file with onnxruntime and reports the largest
difference from PyTorch at given input sizes. :func:`export_checkpoint` is
the whole of ``saliency export``: the model from a checkpoint (or an
untrained registered model, seeded without touching torch's global random
state), the export, and the onnxruntime check.

Coarse-to-fine models keep their ``top_k`` fixed in the graph: inputs must
have at least ``top_k`` cells of ``patch_size`` pixels.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from saliency.base.errors import UserError, import_problem
from saliency.base.fsutil import atomic_path, check_apart, check_out_file, note_checked

INPUT_NAME = "image"
OUTPUT_NAME = "saliency"


def export_onnx(model: torch.nn.Module, path: str | Path, height: int = 320, width: int = 320,
                opset: int = 17) -> Path:
    """Write ``model`` (eval mode) as ONNX to ``path`` atomically, with dynamic N, H, W.

    Needs the ``onnx`` package (PyTorch's exporter builds the graph with it;
    torch does not require it): its absence is one :class:`UserError`.
    """
    try:  # imported, not only found: an installed onnx that fails to import is the same one line
        import onnx  # noqa: F401
    except ImportError as exc:
        raise UserError(f"ONNX export needs the onnx package, which {import_problem(exc, 'onnx')}: pip install onnx "
                        "(or pip install -e .[onnx])") from None
    path = Path(path)
    check_fixed_cells(model, height, width)
    was = model.training
    model.eval()
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))  # torch's global RNG untouched
    with torch.no_grad():
        channels = int(model(x).shape[1])  # 1 for every model of the zoo; declared in the graph as measured
    try:
        with atomic_path(path) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (x,), str(tmp), dynamo=False, opset_version=opset,
                input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
                              OUTPUT_NAME: {0: "batch", 2: "height", 3: "width"}},
            )
            _declare_channels(tmp, channels)
    finally:
        model.train(was)
    return path


def _declare_channels(path: Path, channels: int) -> None:
    """Declare the output's channel axis as ``channels`` in the graph at ``path`` (N x 1 x H x W, as documented).

    The tracer names the channel axis after the op that made it (``Resizesaliency_dim_1``): a tool reading the
    declared shape (onnxruntime's or TensorRT's) would see an unknown channel count. The count is the traced
    model's own (one channel for every model of the zoo), fixed here before the file is renamed into place.
    """
    import onnx

    graph = onnx.load(str(path))
    dim = graph.graph.output[0].type.tensor_type.shape.dim[1]
    if not dim.HasField("dim_value"):
        dim.dim_value = channels  # a oneof with dim_param: setting the value clears the symbolic name
    onnx.save(graph, str(path))


def check_fixed_cells(model: torch.nn.Module, height: int, width: int) -> None:
    """Refuse a size at which a coarse-to-fine model has fewer grid cells than the ``top_k`` it refines.

    PyTorch takes ``min(top_k, cells)`` per input, but a traced graph keeps
    the ``top_k`` of the tracing size, so every size the graph runs at needs
    that many cells (torch's tracer, then onnxruntime, stopped with "selected
    index k out of range"). Other models pass.
    """
    k, p = getattr(model, "top_k", None), getattr(model, "patch_size", None)
    if not k or not p:
        return
    cells = -(-height // p) * -(-width // p)
    if cells < k:
        side = p * math.isqrt(k - 1) + 1  # the smallest square of ceil(sqrt(k)) cells a side (a part cell counts)
        raise UserError(f"`size` {width}x{height}: the coarse-to-fine model refines its {k} most salient cells of "
                        f"{p} px, and an ONNX graph fixes that count, so an input needs at least {k} cells "
                        f"({cells} at this size); give a larger size (e.g. {side}x{side})")


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
                raise RuntimeError(f"ONNX output shape {out.shape} != PyTorch {ref.shape} at {w}x{h}")
            worst = max(worst, float(np.abs(out - ref).max()))
    finally:
        model.train(was)
    return worst


#: Largest |onnxruntime - PyTorch| that :func:`export_checkpoint` accepts.
CHECK_TOLERANCE = 1e-3


@dataclass
class ExportResult:
    """What :func:`export_checkpoint` wrote and how the onnxruntime check went.

    ``check_sizes`` are the ``(height, width)`` input sizes compared;
    ``max_diff`` is None when the check was skipped (``check=False``) or
    ``onnxruntime`` is not installed (``ort_missing``).
    """

    path: Path
    name: str
    task: str
    check_sizes: tuple = ()
    max_diff: float | None = None
    ort_missing: bool = False
    ort_problem: str = ""  # why onnxruntime did not import (base.errors.import_problem), with ort_missing


def export_checkpoint(onnx: str | Path, *, checkpoint: str | Path | None = None, model: str | None = None,
                      height: int = 320, width: int = 320, opset: int = 17, check: bool = True, seed: int = 0,
                      overwrite: bool = False) -> ExportResult:
    """Export the network of ``checkpoint`` (or the registered ``model``, untrained) to the ONNX file ``onnx``.

    The tracing input is ``height x width``; the graph takes any size. An
    untrained ``model`` gets the weights of the CPU generator seeded with ``seed`` inside
    :func:`torch.random.fork_rng`, so torch's global random state is the
    same afterwards. With ``check``, onnxruntime runs the file at
    ``(height, width)`` and ``(height + 37, width - 19)`` (``width + 19``
    where 19 px fewer would leave a coarse-to-fine model fewer cells than it
    refines: :func:`check_fixed_cells`) and the largest
    difference from PyTorch must stay under :data:`CHECK_TOLERANCE` (else a
    :class:`UserError`, and nothing is written). The file replaces an old one
    only once checked, so an interruption keeps the old file. An existing
    ``onnx`` is refused unless ``overwrite``; errors name the parameters in
    backticks.
    """
    from saliency.models.registry import create_model, load_checkpoint

    out = Path(onnx)
    if (checkpoint is None) == (model is None):
        raise UserError("give one network to export: `checkpoint` (a file) or `model` (a registered name)")
    check_out_file(onnx, "onnx")  # no link, folder or device; the raw argument (a trailing separator: a folder)
    if checkpoint is not None:
        check_apart(out, {"checkpoint": checkpoint}, "onnx", contains=False)  # never replaces its input
    if out.exists() and not overwrite:
        raise UserError(f"`onnx` {out}: exists; pass `overwrite` to replace it")
    note_checked(out, overwrite)  # a file that appears (another export) or changes while the network loads: kept
    if opset < 16:
        raise UserError("`opset`: must be >= 16 (grid_sample)")
    if checkpoint is not None:
        net = load_checkpoint(checkpoint)
    else:
        with torch.random.fork_rng(devices=[]):  # CPU generator only: seeded here, restored on exit
            torch.default_generator.manual_seed(seed)
            net = create_model(model)
    net.eval()
    res = ExportResult(out, net.config.get("name", "model"), net.task)
    if check:
        try:
            import onnxruntime  # noqa: F401
        except ImportError as exc:
            res.ort_missing, res.ort_problem = True, import_problem(exc, "onnxruntime")
    # the file is checked before it replaces an old one: an interruption or a failed check keeps the old file
    with atomic_path(out) as tmp:
        export_onnx(net, tmp, height, width, opset=opset)
        if check and not res.ort_missing:
            second = (height + 37, width - 19)  # taller and narrower than traced: both directions of each axis
            try:
                check_fixed_cells(net, *second)
            except UserError:  # 19 px fewer dropped a coarse-to-fine column (70 -> 51 wide): the size given is fine
                second = (height + 37, width + 19)
            res.check_sizes = ((height, width), second)
            res.max_diff = check_onnx(net, tmp, sizes=res.check_sizes)
            if res.max_diff > CHECK_TOLERANCE:
                raise UserError(f"`onnx` {out}: not written: onnxruntime differs from PyTorch by "
                                f"{res.max_diff:.2e}")
    return res

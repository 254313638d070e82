"""ONNX Runtime inference on the CPU: the ``saliency predict --runtime onnx`` path.

The checkpoint's network is exported with :func:`saliency.models.export.export_onnx`
(PyTorch's TorchScript exporter in eval mode, dynamic batch, height and width).
In eval mode the exporter folds each batch normalisation that follows a
convolution into that convolution's weights and bias (``Conv ->
BatchNormalization`` becomes one ``Conv``; the residual-attention models keep
their 25 that follow no convolution, as ``BatchNormalization`` nodes), and
ONNX Runtime's graph optimiser (``ORT_ENABLE_ALL``: constant folding, Conv + activation fusion, layout optimisation) runs the result with
its own CPU kernels (MLAS), which spend less time per operator than eager
PyTorch on the small tensors of the tiny models at batch 1 (ONNX Runtime
documentation, "Graph optimizations"; Jacob et al., "Quantization and training
of neural networks for efficient integer-arithmetic-only inference", CVPR
2018, section 3.2, for batch-norm folding).

:class:`OnnxModel` stands in for the PyTorch module: called on an N x 3 x H x W
float tensor it returns the same output tensor (SOD logits or fixation
log-density) within float32 rounding (``tests/test_perf_onnx.py`` checks
1e-4). :func:`prefetch` moves the decoding of the next batch into a thread,
so that reading and resizing images (OpenCV releases the GIL) overlaps the
network's run (ONNX Runtime releases it too).
"""

from __future__ import annotations

import queue
import tempfile
import threading
from pathlib import Path

from saliency.base.errors import UserError

#: Values of ``saliency predict --runtime``.
RUNTIMES = ("torch", "onnx")


def _ort():
    try:
        import onnxruntime
    except ImportError as exc:
        from saliency.base.errors import import_problem

        why = import_problem(exc, "onnxruntime")
        raise UserError("`runtime` onnx needs the onnxruntime package (pip install onnxruntime)" if why ==
                        "is not installed" else f"`runtime` onnx needs the onnxruntime package, which {why}: pip "
                        "install onnxruntime") from None
    return onnxruntime


class OnnxModel:
    """A saliency network's eval-mode forward pass, exported to ONNX and run by ONNX Runtime (CPU).

    ``model``: a :class:`saliency.models.networks.SaliencyModel` (any device;
    it is exported from a CPU copy). ``size``: the (height, width) used to
    trace the graph (it accepts any size; a coarse-to-fine model needs at
    least ``top_k`` cells). ``threads``: ONNX Runtime's intra-op threads
    (None: torch's current thread count, which ``saliency.runtime.torch_settings``
    governs). The exported file lives in a temporary folder only while the
    session is built.
    """

    def __init__(self, model, size=(320, 320), threads: int | None = None):
        import torch

        from saliency.models.export import INPUT_NAME, export_onnx

        ort = _ort()
        self.task = model.task
        self.input_name = INPUT_NAME
        net = model
        if next(model.parameters()).device.type != "cpu":
            import copy

            net = copy.deepcopy(model).cpu()
        h, w = (int(v) for v in size)
        with tempfile.TemporaryDirectory(prefix="saliency-onnx-") as tmp:
            path = export_onnx(net, Path(tmp) / "model.onnx", h, w)
            data = path.read_bytes()
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = int(threads or torch.get_num_threads())
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3  # errors only: no optimiser notices on stderr
        self.onnx_bytes = data
        self.session = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])

    def __call__(self, x):
        """Output tensor of the network for the float32 N x 3 x H x W tensor ``x`` (CPU)."""
        import numpy as np
        import torch

        arr = np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
        return torch.from_numpy(self.session.run(None, {self.input_name: arr})[0])


def prefetch(iterable, depth: int = 2):
    """Iterate ``iterable`` in a background thread, ``depth`` items ahead of the consumer.

    The items and their order are those of ``iterable``; an exception raised
    while producing an item is raised here, at that item. Stopping the
    iteration early (``break``, an exception in the consumer) stops the thread
    after the item it is producing.
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for item in iterable:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as exc:  # handed to the consumer, raised there
            q.put((done, exc))

    t = threading.Thread(target=produce, name="saliency-prefetch", daemon=True)
    t.start()
    try:
        while True:
            item, exc = q.get()
            if item is done:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        while t.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                pass
            t.join(timeout=0.05)

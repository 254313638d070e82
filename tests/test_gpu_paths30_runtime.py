"""CUDA paths of saliency.runtime (review 30): ``--deterministic`` on a GPU.

``--deterministic`` on CUDA stopped at the first backward pass: ``use_deterministic_algorithms(True)`` (no
``warn_only``) makes the CUDA backward of bilinear ``F.interpolate`` (every decoder) and ``F.grid_sample`` (STN)
raise (``torch.use_deterministic_algorithms.__doc__``; no model of the toolkit has an ``AdaptiveAvgPool2d``).
No GPU on the test machine, so CUDA is faked, as each test's docstring says. Oracle: torch's own behaviour of the
two modes (raise under ``mode=True``; a warning under ``warn_only=True``) and the hand-written note.
"""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch._prims_common import alert_not_deterministic

from saliency import runtime
from saliency.runtime import inference_bf16, precision_plan, threads_note, train_settings

CUDA_OPS = ("upsample_bilinear2d_backward_out_cuda", "grid_sampler_2d_backward_cuda")


class _CudaBackward(torch.autograd.Function):
    """x * 2 whose backward alerts as the CUDA backward kernels of bilinear interpolate and grid_sample do
    (``alert_not_deterministic``: torch's Python twin of the C++ alert, same message and the same raise / warn
    switch). Faked: no CUDA kernel runs here, and meta tensors do not alert."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        for op in CUDA_OPS:
            alert_not_deterministic(op)
        return g * 2


def _cfg(deterministic=True, amp="auto"):
    return {"train": {"deterministic": deterministic, "amp": amp, "channels_last": "auto", "compile": False}}


def _steps(n=3):
    x = torch.ones(4, requires_grad=True)
    for _ in range(n):
        _CudaBackward.apply(x).sum().backward()
    return x.grad


def test_deterministic_on_cuda_trains_past_the_first_backward_with_no_warning_per_step():
    """train_settings of a CUDA run (only its device object: the flags it sets need no GPU); the CUDA kernels'
    alerts are faked by :class:`_CudaBackward`. Old code: RuntimeError at the first backward."""
    dev = torch.device("cuda")
    cfg = _cfg()
    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")  # the strictest filter a user could have: still nothing per step
        with train_settings(cfg, dev, None, {"benchmark": False}):  # precision_plan: cudnn.benchmark off
            grad = _steps(3)  # old code: RuntimeError "... does not have a deterministic implementation"
            assert torch.are_deterministic_algorithms_enabled()
            assert torch.is_deterministic_algorithms_warn_only_enabled()
            assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert [str(w.message) for w in seen] == []
        assert grad.tolist() == [6.0] * 4  # three backward passes of d(2x)/dx went through
        # on exit: the mode and the filter are put back, torch warns again where the user set warn_only
        assert (torch.are_deterministic_algorithms_enabled(),
                torch.is_deterministic_algorithms_warn_only_enabled()) == before
        torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            alert_not_deterministic(CUDA_OPS[0])
        finally:
            torch.use_deterministic_algorithms(*before[:1], warn_only=before[1])
    assert len(seen) == 1 and "upsample_bilinear2d_backward_out_cuda does not have" in str(seen[0].message)


def test_deterministic_on_cpu_stays_strict_and_the_same_ops_are_deterministic_there():
    """No fake: CPU keeps ``mode=True`` (an op without a deterministic version still raises), and the real CPU
    backward of bilinear interpolate and grid_sample runs under it, bit-identical twice."""
    dev = torch.device("cpu")
    cfg = _cfg()
    with train_settings(cfg, dev, 1, precision_plan(cfg, dev)):
        assert torch.are_deterministic_algorithms_enabled()
        assert not torch.is_deterministic_algorithms_warn_only_enabled()
        with pytest.raises(RuntimeError, match="does not have a deterministic implementation"):
            _steps(1)
        grads = []
        for _ in range(2):
            g = torch.Generator().manual_seed(0)
            x = torch.randn(2, 3, 9, 11, generator=g, requires_grad=True)
            grid = torch.rand(2, 5, 7, 2, generator=g) * 2 - 1
            y = (F.interpolate(x, size=(20, 17), mode="bilinear", align_corners=False).square().sum()
                 + F.grid_sample(x, grid, mode="bilinear", align_corners=False).square().sum())
            y.backward()
            grads.append(x.grad)
        assert torch.equal(grads[0], grads[1])


def test_the_run_notes_say_once_which_ops_are_not_deterministic_on_cuda():
    """The note a CUDA ``--deterministic`` run prints and keeps in every checkpoint (``ran_on.threads_note``);
    a device object only, no GPU needed."""
    note = threads_note({"threads": "auto", "deterministic": True}, torch.device("cuda:1"), None)
    assert note is not None and note.startswith("train.deterministic on CUDA:")
    for op in ("F.interpolate bilinear", "F.grid_sample"):
        assert op in note
    assert "may not be bit-identical" in note
    assert threads_note({"threads": 4, "deterministic": True}, torch.device("cuda"), None) == note
    assert threads_note({"threads": "auto", "deterministic": False}, torch.device("cuda"), None) is None
    assert threads_note({"threads": "auto", "deterministic": True}, torch.device("cpu"), None) == (
        "train.threads auto: 1 CPU thread (train.deterministic runs on one)")


def _fake_gpus(monkeypatch, caps: dict, current: int = 0):
    """Fake CUDA GPUs by compute capability (index -> (major, minor)): get_device_capability, current_device and
    is_bf16_supported as torch computes it on such a machine (True at 8.0, else True by emulation unless
    ``including_emulation=False``: a bf16 tensor can be made on a V100 or T4)."""
    def index(device=None):
        if device is None:
            return current
        d = torch.device(device) if not isinstance(device, int) else torch.device("cuda", device)
        return current if d.index is None else d.index

    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: current)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: caps[index(device)])
    monkeypatch.setattr(torch.cuda, "is_bf16_supported",
                        lambda including_emulation=True: caps[current] >= (8, 0) or including_emulation)


@pytest.mark.parametrize("cap, bf16", [((7, 0), False), ((7, 5), False), ((8, 0), True), ((9, 0), True)])
def test_bf16_only_on_gpus_that_compute_it_natively(monkeypatch, cap, bf16):
    """V100 (7.0), T4 (7.5): float32; A100 (8.0), H100 (9.0): bf16. Faked capabilities (no GPU here)."""
    _fake_gpus(monkeypatch, {0: cap})
    dev = torch.device("cuda")
    assert precision_plan(_cfg(False), dev)["autocast"] == (torch.bfloat16 if bf16 else None)
    assert inference_bf16(dev) is bf16
    assert runtime.native_bf16(torch.device("cuda:0")) is bf16


def test_bf16_asks_the_chosen_gpu_not_the_current_one(monkeypatch):
    """cuda:1 a V100 while the current device (0) is an A100, and the reverse. Faked capabilities."""
    _fake_gpus(monkeypatch, {0: (8, 0), 1: (7, 0)}, current=0)
    assert precision_plan(_cfg(False), torch.device("cuda:1"))["autocast"] is None
    assert inference_bf16(torch.device("cuda:1")) is False
    assert precision_plan(_cfg(False), torch.device("cuda:0"))["autocast"] is torch.bfloat16
    _fake_gpus(monkeypatch, {0: (7, 0), 1: (8, 0)}, current=0)
    assert precision_plan(_cfg(False), torch.device("cuda:1"))["autocast"] is torch.bfloat16
    assert inference_bf16(torch.device("cuda:1")) is True


def test_explicit_bf16_and_cpu_are_unchanged(monkeypatch):
    """``amp: bf16`` is the user's choice on any GPU; CPU inference is float32. Faked V100."""
    _fake_gpus(monkeypatch, {0: (7, 0)})
    assert precision_plan(_cfg(False, amp="bf16"), torch.device("cuda"))["autocast"] is torch.bfloat16
    assert inference_bf16(torch.device("cpu")) is False
    assert precision_plan(_cfg(False), torch.device("cpu"))["autocast"] is None

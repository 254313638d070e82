"""Torch's process-wide settings hold only for one run: ``runtime.torch_settings`` and two trainings in a process.

The oracle is torch's own getters, read directly here (not through
``runtime.torch_state``): every setting a run changes must read back as it was
before the run, also when the run fails, and a second run in the same process
must start from those values.
"""

from __future__ import annotations

import os

import pytest
import torch

from saliency.base.errors import UserError
from saliency.runtime import torch_settings
from train_fakes import make_sod


def _read() -> dict:
    b = torch.backends
    return {"threads": torch.get_num_threads(), "benchmark": b.cudnn.benchmark,
            "cudnn_deterministic": b.cudnn.deterministic,
            "algorithms": torch.are_deterministic_algorithms_enabled(),
            "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
            "tf32_matmul": b.cuda.matmul.allow_tf32, "tf32_cudnn": b.cudnn.allow_tf32,
            "matmul_precision": torch.get_float32_matmul_precision(),
            "cublas": os.environ.get("CUBLAS_WORKSPACE_CONFIG")}


@pytest.fixture
def defaults(monkeypatch):
    """The settings of a fresh process, asserted, and restored even if the code under test leaks."""
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = _read()
    # torch's documented defaults: no determinism, no cudnn autotuning, no TF32 matmuls, cudnn TF32 convs on
    assert (before["benchmark"], before["cudnn_deterministic"], before["algorithms"], before["warn_only"]) == \
        (False, False, False, False)
    assert (before["tf32_matmul"], before["tf32_cudnn"], before["matmul_precision"]) == (False, True, "highest")
    yield before
    torch.set_num_threads(before["threads"])
    torch.backends.cudnn.benchmark = before["benchmark"]
    torch.backends.cudnn.deterministic = before["cudnn_deterministic"]
    torch.use_deterministic_algorithms(before["algorithms"], warn_only=before["warn_only"])
    torch.backends.cuda.matmul.allow_tf32 = before["tf32_matmul"]
    torch.backends.cudnn.allow_tf32 = before["tf32_cudnn"]
    torch.set_float32_matmul_precision(before["matmul_precision"])


def _other_threads(n: int) -> int:
    return 1 if n != 1 else 2


def test_context_applies_then_restores_every_setting(defaults):
    threads = _other_threads(defaults["threads"])
    with torch_settings(threads=threads, deterministic=True, benchmark=True, tf32=True):
        inside = _read()
        # the body changes one more setting; the context puts that back too
        torch.backends.cudnn.allow_tf32 = False
    assert inside == {"threads": threads, "benchmark": True, "cudnn_deterministic": True, "algorithms": True,
                      "warn_only": False, "tf32_matmul": True, "tf32_cudnn": True, "matmul_precision": "high",
                      "cublas": ":4096:8"}
    assert _read() == defaults


def test_context_restores_on_an_exception(defaults):
    with pytest.raises(RuntimeError, match="boom"):
        with torch_settings(threads=_other_threads(defaults["threads"]), deterministic=True, tf32=True):
            assert torch.are_deterministic_algorithms_enabled()
            raise RuntimeError("boom")
    assert _read() == defaults


def test_context_keeps_a_callers_own_settings(defaults, monkeypatch):
    """What the caller set before (warn-only determinism, its own cuBLAS workspace) is what comes back."""
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_float32_matmul_precision("medium")
    mine = _read()
    with torch_settings(deterministic=True, tf32=False):
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"        # setdefault: the caller's value stays
        assert not torch.is_deterministic_algorithms_warn_only_enabled()
        assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
        # (torch itself now refuses get_float32_matmul_precision: "medium" left mkldnn at bf16)
    assert _read() == mine
    # nothing to apply: the context changes nothing and restores what the body changed
    with torch_settings():
        assert _read() == mine
        torch.backends.cudnn.benchmark = True
    assert _read() == mine


def _cfg(data, **flags):
    from saliency.config import build_config

    return build_config(flags={"data.root": str(data), "task": "sod", "train.epochs": 1, "train.batch_size": 4,
                               "train.device": "cpu", **flags},
                        overrides=["data.size=[48,64]", "train.grid_images=0", "train.tensorboard=false"])


def test_two_trainings_in_one_process_do_not_leak_settings(defaults, tmp_path, monkeypatch):
    from saliency.train import Trainer

    data = make_sod(tmp_path / "S", n=5)
    seen = []
    loop = Trainer._loop

    def recording_loop(self, sig):
        seen.append((self.threads, _read()))
        return loop(self, sig)

    monkeypatch.setattr(Trainer, "_loop", recording_loop)
    threads = _other_threads(defaults["threads"])
    # run 1: deterministic, a thread count other than the default
    Trainer(_cfg(data, **{"train.deterministic": True, "train.threads": threads}), tmp_path / "a",
            progress=False).fit()
    assert seen[0][1]["algorithms"] and seen[0][1]["cudnn_deterministic"] and seen[0][1]["threads"] == threads
    assert _read() == defaults
    # a run whose set-up fails after the settings were applied (a fixation model for an SOD task)
    with pytest.raises(UserError, match="fixation model"):
        Trainer(_cfg(data, **{"train.deterministic": True, "train.threads": threads,
                              "model": "unet_tiny_cbam_fixation"}), tmp_path / "b", progress=False).fit()
    assert _read() == defaults
    # run 2: not deterministic, the default thread count -> it trains under the defaults
    Trainer(_cfg(data, **{"train.threads": defaults["threads"]}), tmp_path / "c", progress=False).fit()
    assert seen[1] == (defaults["threads"], defaults)
    assert _read() == defaults

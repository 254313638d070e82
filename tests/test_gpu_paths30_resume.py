"""Stop 30 (review R8): `train --resume` on CUDA, and `train.compile` on a CPU run.

Every resume on a GPU crashed: last.pt was read with ``map_location`` the training device, so the saved RNG states
came back on the GPU and ``set_rng_state`` called ``.numpy()`` on them (TypeError; ``torch.set_rng_state`` takes a
CPU ByteTensor only). last.pt is now read onto the CPU (the model, EMA and optimiser copy their tensors to the
parameters' device as they load) and the RNG states are moved to the CPU before they are restored.

``train.compile`` on a CPU machine printed torch's "No CUDA runtime is found, using CUDA_HOME=..." on stderr.

This machine has no GPU: where a test needs one, what is faked is said in its docstring.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from cli_fakes import run_cli
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (autouse fixture)


def _first_run(tmp_path, capsys) -> Path:
    data = make_sod(tmp_path / "S", n=6, seed=0)
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--epochs", "1", "--out", run,
                                  "--set", "train.threads=1", "--set", "train.ema=0.9", *TINY_ARGS])
    assert rc == 0, err
    return run


def _on(device: str, x):
    """Every tensor of ``x`` (dicts, lists, tuples) moved to ``device``, as torch.load's map_location does."""
    if torch.is_tensor(x):
        return x.to(device)
    if isinstance(x, dict):
        return {k: _on(device, v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_on(device, v) for v in x)
    return x


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")  # the meta model copies nothing
def test_resume_on_a_gpu_reads_last_pt_onto_the_cpu_and_restores_the_rng_states(tmp_path, capsys, monkeypatch):
    """Faked: the GPU. The training device is the 'meta' device (it stands in for cuda: tensors that are not on
    the CPU, whose data NumPy and torch.set_rng_state cannot take), and ``saliency.checkpoint.load`` moves every
    tensor of the file to the device its ``map_location`` names, as torch.load does onto a real GPU. Set-up of the
    resumed run must restore the saved RNG states exactly and put the model, EMA and optimiser state on the
    training device."""
    import saliency.checkpoint as ckpt
    import saliency.train as train
    from saliency.config import build_config

    run = _first_run(tmp_path, capsys)
    saved = torch.load(run / "checkpoints" / "last.pt", map_location="cpu", weights_only=True)  # the oracle
    real = ckpt.load
    asked = []

    def load(path, map_location="cpu"):
        asked.append(str(map_location))
        return _on(str(torch.device(map_location)), real(path, "cpu"))

    monkeypatch.setattr(ckpt, "load", load)
    monkeypatch.setattr(train, "resolve_device", lambda spec: torch.device("meta"))
    cfg = build_config(str(run / "config.yaml"), {}, [], check_folders=False, resumed=True)
    tr = train.Trainer(cfg, run, resume=True, progress=False)
    try:
        tr._setup()  # was: TypeError: can't convert meta device type tensor to numpy (in set_rng_state)
        # the RNG states are the saved ones (set-up seeds first: a state not restored would differ)
        assert torch.equal(torch.get_rng_state(), saved["rng"]["torch"])
        assert np.array_equal(np.random.get_state()[1], saved["rng"]["numpy"][1].numpy().astype(np.uint32))
        assert np.random.get_state()[2] == saved["rng"]["numpy"][2]
        assert random.getstate()[1] == tuple(saved["rng"]["python"][1])
        # the weights, the EMA and the optimiser's moments are on the training device
        assert {p.device.type for p in tr.model.parameters()} == {"meta"}
        assert {v.device.type for v in tr.ema.shadow.values()} == {"meta"}
        moments = [v for s in tr.optimizer.state.values() for k, v in s.items() if torch.is_tensor(v) and v.dim()]
        assert moments and {v.device.type for v in moments} == {"meta"}
        assert tr.ema.updates == saved["ema"]["updates"] > 0 and tr.step == saved["step"] > 0
    finally:
        tr.close()
    assert "meta" not in asked  # last.pt itself was read onto the CPU


class _GpuState:
    """Stands in for an RNG state tensor held on a GPU (none here): ``.numpy()`` raises as a CUDA tensor's does,
    torch.set_rng_state cannot take it (not a CPU ByteTensor), ``.cpu()`` gives the CPU copy."""

    def __init__(self, t):
        self._t = t

    def cpu(self):
        return self._t.clone()

    def numpy(self):
        raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() first.")


def test_set_rng_state_takes_states_held_on_a_gpu(monkeypatch):
    """Faked: the GPU. The saved states are _GpuState objects (see there); torch.cuda.is_available says True and
    torch.cuda.set_rng_state_all records what it is given, checking what torch's needs: CPU ByteTensors."""
    from saliency.checkpoint import rng_state, set_rng_state

    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    st = rng_state()
    want = (random.random(), np.random.random(), torch.rand(1).item())  # the numbers that follow the saved state
    cuda_states = [torch.arange(16, dtype=torch.uint8), torch.arange(16, 32, dtype=torch.uint8)]
    got = []

    def set_all(states):
        assert all(s.device.type == "cpu" and s.dtype == torch.uint8 for s in states)
        got.extend(states)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", set_all)
    st["torch"] = _GpuState(st["torch"])
    st["numpy"][1] = _GpuState(st["numpy"][1])
    st["cuda"] = [_GpuState(s) for s in cuda_states]
    random.seed(2), np.random.seed(2), torch.manual_seed(2)
    set_rng_state(st)
    assert (random.random(), np.random.random(), torch.rand(1).item()) == want
    assert len(got) == 2 and all(torch.equal(a, b) for a, b in zip(got, cuda_states))


_FAKE_COMPILE = """
import logging, sys, torch
def compile(model, *a, **k):
    # what inductor does on a machine without CUDA: at the first compiled step it imports
    # torch.utils.cpp_extension, whose _find_cuda_home logs this line through that module's logger
    def first(mod, args):
        logging.getLogger("torch.utils.cpp_extension").warning(
            "No CUDA runtime is found, using CUDA_HOME='%s'", "/usr/local")
        hook.remove()
    hook = model.register_forward_pre_hook(first)
    return model
torch.compile = compile
from saliency.cli import main
rc = main(sys.argv[1:])
print("after:", logging.getLogger("torch.utils.cpp_extension").getEffectiveLevel(), file=sys.stderr)
sys.exit(rc)
"""


def test_compile_on_a_cpu_run_prints_no_cuda_runtime_warning(tmp_path):
    """Faked: torch.compile (a real compile takes ~90 s here). The fake logs, at the first training step, the
    line torch's cpp_extension logs when inductor imports it on a machine without CUDA, through the same logger
    (torch's own handler prints it on stderr as "W... cpp_extension.py:183] No CUDA runtime is found, ...")."""
    data = make_sod(tmp_path / "S", n=6, seed=0)
    argv = ["train", "--data", data, "--task", "sod", "--epochs", "1", "--out", tmp_path / "run",
            "--set", "train.threads=1", "--set", "train.compile=true", *TINY_ARGS]
    out = subprocess.run([sys.executable, "-c", _FAKE_COMPILE, *map(str, argv)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert "No CUDA runtime" not in out.stderr, out.stderr
    # the logger is put back when the run ends (WARNING: torch's level for it, 30)
    assert out.stderr.strip().splitlines()[-1] == "after: 30", out.stderr

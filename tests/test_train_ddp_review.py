"""DDP under torchrun (gloo, 2 CPU ranks): identical ranks, mid-epoch resume, a refused run folder, a rank that fails.

- two ranks train, both hold identical weights after their gradient all-reduces, gather the same validation
  metrics, and only rank 0 writes the run folder;
- a run interrupted mid-epoch and resumed ends as the uninterrupted run does: the same weights and
  BatchNorm statistics (no broadcast of rank 0's buffers at each step), the same epoch loss in
  metrics.csv (the partial loss of every rank, not rank 0's alone on every rank);
- rank 0 refusing ``--out`` ends the command in seconds: rank 1, waiting in init_process_group,
  dies of torchrun's SIGTERM instead of being killed 30 s later;
- a rank failing on bad data prints its error, the other rank one line saying so (no
  "unexpected RuntimeError ... report it").
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from train_fakes import make_sod

REPO = Path(__file__).resolve().parents[1]

# one torchrun launch, three trainings in one process group (dist.shutdown held back until the end):
# A uninterrupted (each rank saves its weights); B stopped by SIGTERM on rank 0 after step 1 of epoch 1 (of 2 steps); B resumed
RESUME_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import torch, torch.distributed
    from saliency import distributed
    from saliency.config import build_config
    from saliency.train import Interrupted, Trainer

    data, run_a, run_b, ranks = sys.argv[1:5]
    distributed.shutdown = lambda info: None
    def config(grids):
        return build_config(flags={"data.root": data, "task": "sod", "train.epochs": 1, "train.batch_size": 2,
                                   "train.device": "cpu"},
                            overrides=["data.size=[48,64]", f"train.grid_images={grids}", "train.tensorboard=false",
                                       "train.deterministic=true", "train.threads=1", "data.workers=0"])
    cfg = config(0)
    tr = Trainer(config(2), run_a, progress=False)  # grids drawn on rank 0 only; they take no random number
    summary = tr.fit()
    torch.save({"model": tr.model.state_dict(), "step": tr.step, "world": tr.info.world,
                "metrics": summary["best_value"]}, os.path.join(ranks, f"rank{os.environ['RANK']}.pt"))

    orig, stop = Trainer._optimizer_step, [1]
    def step(self, *a, **k):
        orig(self, *a, **k)
        if stop and self.step == stop[0] and self.info.rank == 0:
            stop.clear()
            os.kill(os.getpid(), signal.SIGTERM)
    Trainer._optimizer_step = step
    try:
        Trainer(cfg, run_b, progress=False).fit()
        raise SystemExit("run B was not interrupted")
    except Interrupted:
        pass
    Trainer(cfg, run_b, resume=True, progress=False).fit()
    torch.distributed.destroy_process_group()
""")


def _torchrun(*args) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *args]


def _run_group(cmd, timeout: float, env=None) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd`` in its own session; past ``timeout`` the whole session is killed and the test fails."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail(f"{' '.join(cmd[3:])}: still running after {timeout} s\n{err[-3000:]}")
    return subprocess.CompletedProcess(cmd, p.returncode, out, err), time.monotonic() - t0


def _rows(run: Path) -> list[dict]:
    with open(run / "metrics.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _train_env() -> dict:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1")
    env.pop("SALIENCY_DEBUG", None)
    return env


def _check_identical_ranks(run: Path, ranks: Path) -> None:
    """Run A of the launch: both ranks took the same 2 steps to the same weights; rank 0 alone wrote ``run``."""
    r0 = torch.load(ranks / "rank0.pt", weights_only=True)
    r1 = torch.load(ranks / "rank1.pt", weights_only=True)
    assert r0["world"] == r1["world"] == 2
    # 8 training images, 2 ranks x batch 2 -> 2 optimiser steps, each a gradient all-reduce
    assert r0["step"] == r1["step"] == 2
    for k, v in r0["model"].items():
        assert torch.equal(v, r1["model"][k]), f"rank weights differ at {k}"
    # the ranks took part in a step: the weights moved away from the seed's initialisation
    torch.manual_seed(0)
    from saliency import models
    init = models.create_model("unet_tiny_cbam_sod").state_dict()
    assert any(not torch.equal(init[k], v) for k, v in r0["model"].items() if v.is_floating_point())
    # validation metrics gathered across ranks are the same on both; only rank 0 wrote the run folder
    assert r0["metrics"] == r1["metrics"]
    ck = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    for k, v in ck["model"].items():
        assert torch.equal(v, r0["model"][k])
    assert sorted(p.name for p in (run / "grids").iterdir()) == ["epoch_001.png"]


def test_torchrun_identical_ranks_and_mid_epoch_resume(tmp_path):
    data = make_sod(tmp_path / "S", n=10)  # 8 training images: 2 ranks x batch 2 -> 2 steps an epoch
    script = tmp_path / "resume.py"
    script.write_text(RESUME_SCRIPT)
    run_a, run_b, ranks = tmp_path / "A", tmp_path / "B", tmp_path / "ranks"
    ranks.mkdir()
    p, _ = _run_group(_torchrun(str(script), str(data), str(run_a), str(run_b), str(ranks)), 180, _train_env())
    assert p.returncode == 0, p.stderr[-3000:]
    _check_identical_ranks(run_a, ranks)
    a = torch.load(run_a / "checkpoints" / "last.pt", weights_only=True)
    b = torch.load(run_b / "checkpoints" / "last.pt", weights_only=True)
    assert a["step"] == b["step"] == 2 and a["epoch"] == b["epoch"] == 1
    # the same model, BatchNorm running statistics included (rounding apart: B averaged them mid-epoch)
    for k, v in a["model"].items():
        if v.is_floating_point():
            assert torch.allclose(v, b["model"][k], rtol=1e-5, atol=1e-6), \
                f"{k}: differs by {(v - b['model'][k]).abs().max().item():.3g}"
        else:
            assert torch.equal(v, b["model"][k]), k
    # the epoch's loss over all ranks' images: the resumed run neither counts rank 0's first step twice
    # nor loses rank 1's
    ra, rb = _rows(run_a), _rows(run_b)
    assert [r["epoch"] for r in ra] == [r["epoch"] for r in rb] == ["1"]
    assert float(rb[0]["loss"]) == pytest.approx(float(ra[0]["loss"]), rel=1e-5, abs=1e-6)
    assert float(rb[0]["Fmax"]) == pytest.approx(float(ra[0]["Fmax"]), abs=1e-6)


TRAIN_ARGS = ["--task", "sod", "--batch-size", "2", "--device", "cpu", "--epochs", "1", "--quiet",
              "--set", "data.size=[48,64]", "--set", "train.threads=1", "--set", "data.workers=0",
              "--set", "train.grid_images=0", "--set", "train.tensorboard=false"]


def test_torchrun_rank0_refusing_out_ends_quickly(tmp_path):
    data = make_sod(tmp_path / "S", n=4)
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep").write_text("x")
    cmd = _torchrun("-m", "saliency", "train", "--data", str(data), "--out", str(out), *TRAIN_ARGS)
    # before: rank 1 sat in init_process_group ignoring torchrun's SIGTERM until its SIGKILL 30 s later
    # a generous limit only guards against a hang; the old bug is caught by its SIGKILL below
    p, _ = _run_group(cmd, 120, _train_env())
    assert p.returncode != 0
    assert "folder exists and is not empty" in p.stderr, p.stderr[-3000:]
    assert "SIGKILL" not in p.stderr, p.stderr[-3000:]
    assert sorted(x.name for x in out.iterdir()) == ["keep"]


def test_peer_closed_runtime_error_is_one_line(monkeypatch):
    """A rank whose peer failed (bad data there) printed 'unexpected RuntimeError ... report it'. The message is
    gloo's own, as the surviving rank of a torchrun with a truncated training image printed it (checked end to end
    by hand: a torchrun test of it took 13 s of the suite and depended on torchrun's monitor interval)."""
    from saliency.cli import classify

    gloo = RuntimeError("[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:561] Connection closed "
                        "by peer [127.0.0.1]:61576. This is typically caused by a remote worker crashing. Check the "
                        "logs of the remote worker before reporting an error.")
    monkeypatch.setenv("WORLD_SIZE", "2")
    code, message = classify(gloo, str)
    assert code == 1
    assert message == "another process of this torchrun failed; see its error above"
    monkeypatch.setenv("WORLD_SIZE", "1")  # outside torchrun the same error stays an unexpected one
    code, message = classify(gloo, str)
    assert code == 1 and message.startswith("unexpected RuntimeError")

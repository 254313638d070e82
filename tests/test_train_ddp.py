"""DDP on CPU: ``torchrun --nproc_per_node 2`` with gloo trains, and both ranks hold identical weights."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from train_fakes import make_sod

REPO = Path(__file__).resolve().parents[1]

RANK_SCRIPT = textwrap.dedent("""
    import os, sys, torch
    from saliency.config import build_config
    from saliency.train import Trainer

    data, run, out = sys.argv[1:4]
    cfg = build_config(flags={"data.root": data, "task": "sod", "train.epochs": 1, "train.batch_size": 2,
                              "train.device": "cpu"},
                       overrides=["data.size=[48,64]", "train.grid_images=2", "train.tensorboard=false",
                                  "train.deterministic=true"])
    tr = Trainer(cfg, run, progress=False)
    summary = tr.fit()
    torch.save({"model": tr.model.state_dict(), "step": tr.step, "world": tr.info.world,
                "metrics": summary["best_value"]}, os.path.join(out, f"rank{os.environ['RANK']}.pt"))
""")


def test_torchrun_two_ranks_gloo_identical_weights(tmp_path):
    data = make_sod(tmp_path / "S", n=10)
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
    run, out = tmp_path / "run", tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(script), str(data), str(run), str(out)]
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stderr[-3000:]
    r0 = torch.load(out / "rank0.pt", weights_only=True)
    r1 = torch.load(out / "rank1.pt", weights_only=True)
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

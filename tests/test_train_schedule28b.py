"""Review 28 (R21): regressions of e745136 (the warm-up refusal, metrics.csv's lr of the epoch's last step).

1. A last.pt written before it recorded the rate of the epoch's last step (``partial["lr"]``), stopped right after
   an epoch's last step and resumed with another ``--epochs``: metrics.csv's row of that epoch held the rate of the
   step under the resumed (re-planned) schedule, a rate no step ran at. It is the rate under the schedule the step
   ran under. Such a last.pt is simulated by deleting the recorded rate (and, for a still older one, its
   ``train_config``) from a last.pt that today's code wrote; the rest of it is as before.
2. A resume to fewer epochs than are already trained, whose schedule would also be all warm-up, gave the warm-up
   refusal first; following its advice led to the already-trained refusal. The already-trained one comes first.
3. A huge ``sched.warmup_epochs`` (1e30) was written out in the warm-up refusal as its 31 digits.

Runs are tiny: 8 scenes (6 training images), batch 2 (3 steps an epoch), 64 x 64, one thread, on the CPU.
"""

from __future__ import annotations

import signal

import pytest
import torch

from cli_fakes import hashes, refusal, run_cli
from saliency.checkpoint import save
from saliency.cli import main
from test_train_schedule28 import ARGS, LO, PEAK, SPE, _rows, _sigint_after_step, data  # noqa: F401
from test_train_schedule28 import _cosine_oracle as _cosine
from train_fakes import restore_torch_globals  # noqa: F401  (an autouse fixture)


# ------------------------------------------------------------------ 1. an old last.pt's lr

@pytest.mark.parametrize("dropped", [["lr"], ["lr", "train_config"]])
def test_an_old_last_pt_resumed_to_more_epochs_records_the_rate_its_step_ran_at(data, tmp_path, capsys,
                                                                                 monkeypatch, dropped):
    """3 epochs, warm-up 1 (steps 0-2), cosine to LO; stopped after step 6, epoch 2's last; resumed with 4."""
    run = tmp_path / "run"
    sent = _sigint_after_step(monkeypatch, 2 * SPE)
    rc, out, err = run_cli(capsys, ["train", "--data", data, *ARGS, "--out", run, "--epochs", "3",
                                    "--set", "sched.warmup_epochs=1", "--set", f"sched.min_lr={LO}"])
    assert sent == [2 * SPE] and rc == 128 + signal.SIGINT, (rc, err)
    monkeypatch.undo()
    last = run / "checkpoints" / "last.pt"
    ck = torch.load(last, map_location="cpu", weights_only=True)
    assert (ck["epoch"], ck["batch_in_epoch"], ck["step"]) == (1, 3, 2 * SPE)  # after epoch 2's last batch
    # a last.pt of before e745136: no recorded rate (dropped here); the oldest ones had no train_config either
    for key in dropped:
        if key == "lr":
            del ck["partial"]["lr"]
        else:
            del ck[key]
    save(last, ck)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "4", "--quiet"])
    assert rc == 0, err
    rows = _rows(run)
    assert [(int(r["epoch"]), int(r["step"])) for r in rows] == [(1, 3), (2, 6), (3, 9), (4, 12)]
    lrs = [float(r["lr"]) for r in rows]
    # hand-worked: step 5 (0-based) of the 3-epoch plan is 2 of 6 decay steps: cos(pi/3) = 1/2, 3/4 of the way up
    assert lrs[1] == pytest.approx(LO + (PEAK - LO) * 0.75, rel=1e-5)  # 0.002275
    assert lrs[1] != pytest.approx(_cosine(5, 12, 3), rel=1e-3)  # the 4-epoch plan's (0.00266076): never ran
    # epoch 1 from the first run; epochs 3 and 4 ran under the 4-epoch plan
    assert lrs == pytest.approx([PEAK, LO + (PEAK - LO) * 0.75, _cosine(8, 12, 3), _cosine(11, 12, 3)], rel=1e-5)


# ------------------------------------------------------------------ 2. which refusal comes first

@pytest.mark.parametrize("extra", [[], ["--set", "sched.epochs=1"]])
def test_a_resume_to_fewer_epochs_than_trained_says_so_before_the_warmup(data, tmp_path, capsys, extra):
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), *ARGS, "--out", str(run), "--epochs", "3",
                 "--set", "sched.warmup_epochs=1"]) == 0
    before = hashes(run)
    capsys.readouterr()
    line = refusal(*run_cli(capsys, ["train", "--resume", run, "--epochs", "1", *extra, "--quiet"]))
    assert "3 epoch(s) are already trained" in line and "--epochs 3 or more" in line, line
    assert "warmup" not in line, line
    assert hashes(run) == before
    # the refusal that remains when --epochs covers what is trained: the warm-up one (sched.epochs=1 only)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "3", *extra, "--quiet"])
    if extra:
        assert "sched.warmup_epochs=1" in refusal(rc, out, err)
    else:
        assert rc == 0, err  # a finished run: a no-op
    assert hashes(run) == before


# ------------------------------------------------------------------ 3. a huge warm-up as typed

@pytest.mark.parametrize("typed, shown", [("1e30", "=1e+30:"), ("3.0", "=3:"), ("12.5", "=12.5:")])
def test_the_warmup_refusal_shows_the_value_as_typed(capsys, typed, shown):
    line = refusal(*run_cli(capsys, ["train", "--print-config", "--epochs", "3",
                                     "--set", f"sched.warmup_epochs={typed}"]))
    assert f"--set sched.warmup_epochs{shown}" in line, line
    assert "0000000000" not in line, line

"""Review 28 (R13): the warm-up and the length of the learning-rate schedule; metrics.csv's lr column.

1. A ``sched.warmup_epochs`` as long as the decaying schedule (``sched.epochs``, else ``train.epochs``) or longer
   was cut to one step short of it silently: no decay, ``sched.min_lr`` never used, the run ending at the peak
   rate. It is refused (exit 2, one line naming both keys, nothing written); a resume that shortens the schedule
   into that state is refused too, while a run already planned so (before the check) still resumes.
2. metrics.csv's ``lr`` was the optimiser's rate read after the epoch's last ``scheduler.step()``: the next
   step's, so the last row was always ``sched.min_lr``, a rate no step ran at. It is the rate of the epoch's last
   optimiser step; the oracle is the schedule's closed form (linear warm-up, cosine decay) worked out here.

Runs are tiny: 8 scenes (6 training images), batch 2 (3 steps an epoch), 64 x 64, one thread, on the CPU.
"""

from __future__ import annotations

import csv
import math
import os
import signal
from pathlib import Path

import pytest
import torch

from cli_fakes import hashes, refusal, run_cli
from saliency.cli import main
from train_fakes import make_sod, restore_torch_globals  # noqa: F401  (an autouse fixture)

ARGS = ["--task", "sod", "--device", "cpu", "--batch-size", "2", "--quiet", "--set", "data.size=[64,64]",
        "--set", "train.threads=1", "--set", "train.grid_images=0", "--set", "train.tensorboard=false"]
PEAK, LO = 0.003, 0.0001  # optim.lr (the default) and the sched.min_lr the runs give
SPE = 3  # optimiser steps an epoch: 6 training images, batch 2


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_sod(tmp_path_factory.mktemp("sod") / "S", n=8)


def _rows(run: Path) -> list[dict]:
    with open(run / "metrics.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _cosine_oracle(step: int, total: int, warmup: int) -> float:
    """The rate of 0-based optimiser ``step``: linear warm-up to PEAK over ``warmup`` steps, then cosine to LO."""
    if step < warmup:
        return PEAK * (step + 1) / warmup
    return LO + (PEAK - LO) * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def _check_lr_rows(run: Path, epochs: int, warmup_epochs: int) -> None:
    rows = _rows(run)
    assert [int(r["epoch"]) for r in rows] == list(range(1, epochs + 1))
    assert [int(r["step"]) for r in rows] == [SPE * e for e in range(1, epochs + 1)]
    # each row: the rate of the epoch's last step (0-based SPE * e - 1), never the next one's
    want = [_cosine_oracle(SPE * e - 1, SPE * epochs, SPE * warmup_epochs) for e in range(1, epochs + 1)]
    assert [float(r["lr"]) for r in rows] == pytest.approx(want, rel=1e-5), (rows, want)


# ------------------------------------------------------------------ 1. a warm-up as long as the schedule

@pytest.mark.parametrize("name", ["cosine", "poly"])
@pytest.mark.parametrize("extra, warm, shown", [
    ([], "3", "--epochs 3"),                            # train.epochs is the schedule's length
    ([], "3.5", "--epochs 3"),
    (["--set", "sched.epochs=2"], "2", "--set sched.epochs=2"),  # sched.epochs is, when set
])
def test_a_warmup_as_long_as_the_schedule_is_refused(data, tmp_path, capsys, name, extra, warm, shown):
    run = tmp_path / "run3"
    rc, out, err = run_cli(capsys, ["train", "--data", data, *ARGS, "--out", run, "--epochs", "3",
                                    "--set", f"sched.warmup_epochs={warm}", "--set", f"sched.min_lr={LO}",
                                    "--set", f"sched.name={name}", *extra])
    line = refusal(rc, out, err)
    assert f"--set sched.warmup_epochs={warm}" in line and shown in line and "sched.min_lr" in line, line
    assert not run.exists()  # nothing written


@pytest.mark.parametrize("args", [
    ["--epochs", "3", "--set", "sched.warmup_epochs=2.9"],              # one step of decay at least
    ["--epochs", "3", "--set", "sched.warmup_epochs=3", "--set", "sched.epochs=4"],  # planned for a resume
    ["--epochs", "3", "--set", "sched.warmup_epochs=3", "--set", "sched.name=constant"],  # no decay to lose
])
def test_a_warmup_shorter_than_the_schedule_or_a_constant_one_is_accepted(capsys, args):
    rc, out, err = run_cli(capsys, ["train", "--print-config", *args])
    assert rc == 0 and err == "", err


# ------------------------------------------------------------------ 1. resume

def test_a_run_planned_before_the_check_still_resumes_to_more_epochs(data, tmp_path, capsys):
    """A run's config.yaml as a run started before the check wrote it (warm-up 1 of 1 epoch) resumes: its schedule
    was accepted when it started; here to 2 epochs, which gives it one epoch of decay."""
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), *ARGS, "--out", str(run), "--epochs", "1"]) == 0
    cfg = run / "config.yaml"
    text = cfg.read_text(encoding="utf-8")
    assert "warmup_epochs: 0.5" in text
    cfg.write_text(text.replace("warmup_epochs: 0.5", "warmup_epochs: 1.0"), encoding="utf-8")
    from saliency.checkpoint import load, save

    ck = load(run / "checkpoints" / "last.pt")  # the config it trained with says so too (resume compares with it)
    ck["train_config"]["sched"]["warmup_epochs"] = 1.0
    save(run / "checkpoints" / "last.pt", ck)
    assert main(["train", "--resume", str(run), "--quiet"]) == 0  # a finished run: a no-op
    assert main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]) == 0
    assert [int(r["epoch"]) for r in _rows(run)] == [1, 2]


def _sigint_after_step(monkeypatch, at_step: int) -> list:
    """Make optimiser step ``at_step`` (1-based) send this process a SIGINT, as a Ctrl-C would."""
    import saliency.train as T

    orig, sent = T.Trainer._optimizer_step, []

    def step(self, group, epoch, batch_i):
        orig(self, group, epoch, batch_i)
        if self.step == at_step and not sent:
            os.kill(os.getpid(), signal.SIGINT)
            sent.append(self.step)

    monkeypatch.setattr(T.Trainer, "_optimizer_step", step)
    return sent


def test_a_resume_shortening_the_schedule_to_the_warmup_is_refused(data, tmp_path, capsys, monkeypatch):
    """Run of 3 epochs, warm-up 2, stopped after step 6 (the last of epoch 2): a resume to 2 epochs would make the
    schedule all warm-up (refused, the run untouched); resumed to 3, every row's lr is its epoch's last step's."""
    run = tmp_path / "run"
    sent = _sigint_after_step(monkeypatch, 2 * SPE)
    rc, out, err = run_cli(capsys, ["train", "--data", data, *ARGS, "--out", run, "--epochs", "3",
                                    "--set", "sched.warmup_epochs=2", "--set", f"sched.min_lr={LO}"])
    assert sent == [2 * SPE] and rc == 128 + signal.SIGINT, (rc, err)
    monkeypatch.undo()
    ck = torch.load(run / "checkpoints" / "last.pt", map_location="cpu", weights_only=True)
    assert (ck["epoch"], ck["batch_in_epoch"], ck["step"]) == (1, 3, 2 * SPE)  # after epoch 2's last batch
    before = hashes(run)
    line = refusal(*run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--quiet"]))
    assert "--epochs 2" in line and "sched.warmup_epochs=2" in line and "--set sched.epochs=3" in line, line
    assert hashes(run) == before
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "3", "--quiet"])
    assert rc == 0, err
    _check_lr_rows(run, 3, 2)


def test_a_resume_shortening_sched_epochs_to_the_warmup_is_refused(data, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), *ARGS, "--out", str(run), "--epochs", "1",
                 "--set", "sched.epochs=3", "--set", "sched.warmup_epochs=2"]) == 0
    before = hashes(run)
    capsys.readouterr()
    line = refusal(*run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--set", "sched.epochs=2",
                                     "--quiet"]))
    assert "--set sched.epochs=2" in line and "sched.warmup_epochs=2" in line, line
    assert hashes(run) == before
    assert main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]) == 0  # the run's schedule: accepted


# ------------------------------------------------------------------ 2. metrics.csv's lr

def test_metrics_lr_is_the_rate_of_each_epochs_last_step(data, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), *ARGS, "--out", str(run), "--epochs", "3",
                 "--set", "sched.warmup_epochs=1", "--set", f"sched.min_lr={LO}"]) == 0
    _check_lr_rows(run, 3, 1)
    # hand-worked: epoch 1 ends the warm-up at the peak; epoch 3's last step (8 of 0..8) is 5/6 of the decay,
    # not its end (sched.min_lr, the rate of a tenth step that never ran)
    rows = _rows(run)
    assert float(rows[0]["lr"]) == pytest.approx(PEAK)
    assert float(rows[2]["lr"]) == pytest.approx(LO + (PEAK - LO) * 0.5 * (1 + math.cos(5 * math.pi / 6)), rel=1e-5)
    assert float(rows[2]["lr"]) != pytest.approx(LO, rel=1e-3)

"""Config keys taken and then dropped or acted on late (F18): a constant schedule's warm-up cut to the run's length and
its sched.epochs; a transform amplitude whose probability is 0; data.val_fraction 0; train.tensorboard true without
tensorboard; booleans in data.augment.crop_scale. Each is refused before any data is read, in one line naming where
the value came from, or (the schedule) runs as stated."""

from __future__ import annotations

import csv
import importlib.util
import math

import pytest
import torch
from cli_fakes import refusal, run_cli
from train_fakes import make_sod

from saliency import config as C
from saliency.optim import create_scheduler

# a --data folder that is not there: a refusal naming the key (not the folder) shows the config was refused first
BASE = ["train", "--task", "sod", "--device", "cpu", "--quiet"]


def _train(capsys, tmp_path, *args):
    argv = BASE + ["--data", tmp_path / "no-such-data", "--out", tmp_path / "run", *args]
    line = refusal(*run_cli(capsys, argv))
    assert "no-such-data" not in line, line
    return line


def _print_config(capsys, *args):
    return run_cli(capsys, ["train", "--print-config", "--task", "sod", *args])


def _rates(cfg: dict, steps_per_epoch: int, steps: int) -> list[float]:
    """The learning rate of each of the first ``steps`` optimiser steps of ``create_scheduler``."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=cfg["optim"]["lr"])
    sched = create_scheduler(opt, cfg, steps_per_epoch)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def _cfg(name: str, epochs: int, warmup: float) -> dict:
    cfg = C.default_config()
    cfg["sched"].update(name=name, warmup_epochs=warmup)
    cfg["train"]["epochs"] = epochs
    return cfg


# 1. constant schedule: the warm-up runs the steps it states, whatever the run's length

@pytest.mark.parametrize("epochs", [2, 8, 30])
def test_constant_warmup_is_not_cut_by_the_run_length(epochs):
    # 10 warm-up epochs of 2 steps: the rate climbs 0.003 * k / 20 for k = 1..20, then stays at 0.003
    rates = _rates(_cfg("constant", epochs, 10), 2, 24)
    expect = [0.003 * k / 20 for k in range(1, 21)] + [0.003] * 4
    assert rates == pytest.approx(expect), rates


def test_decaying_schedules_keep_their_rates():
    # 2 epochs x 2 steps, warm-up 0.5 epoch = 1 step; then t = 0, 1/3, 2/3 of the 3 decay steps (min_lr 3e-5)
    peak, lo = 0.003, 0.00003
    cos = _rates(_cfg("cosine", 2, 0.5), 2, 4)
    assert cos == pytest.approx([peak, peak, lo + (peak - lo) * 0.75, lo + (peak - lo) * 0.25])
    poly = _rates(_cfg("poly", 2, 0.5), 2, 4)
    assert poly == pytest.approx([peak, peak, lo + (peak - lo) * (2 / 3) ** 0.9, lo + (peak - lo) * (1 / 3) ** 0.9])
    # a warm-up rounded to the whole schedule (2.95 of 3 epochs at 10 steps: 30 of 30) still keeps one decay step
    cos = _rates(_cfg("cosine", 3, 2.95), 10, 30)
    assert cos[:29] == pytest.approx([peak * k / 29 for k in range(1, 30)]) and cos[29] == pytest.approx(peak)
    assert math.isclose(_rates(_cfg("cosine", 1, 0), 1, 1)[0], peak)


def _lrs(run):
    with open(run / "metrics.csv", newline="", encoding="utf-8") as f:
        return [float(r["lr"]) for r in csv.DictReader(f)]


def test_constant_warmup_continues_across_resume(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_sod(tmp_path / "sod", n=8)
    run = tmp_path / "runs" / "c"
    # 8 images, 2 held out, batches of 3: 2 steps an epoch; a warm-up of 10 epochs is 20 steps of 0.003 / 20
    rc, out, err = run_cli(capsys, ["train", "--data", "sod", "--task", "sod", "--epochs", "2", "--device", "cpu",
                                    "--batch-size", "3", "--quiet", "--set", "data.size=[48,64]", "--out", run,
                                    "--set", "sched.name=constant", "--set", "sched.warmup_epochs=10",
                                    "--set", "train.threads=1"])
    assert rc == 0, err
    assert _lrs(run) == pytest.approx([0.0003, 0.0006])  # the rate of each epoch's last step: steps 2 and 4
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "4", "--quiet"])
    assert rc == 0, err
    assert _lrs(run) == pytest.approx([0.0003, 0.0006, 0.0009, 0.0012])  # the same ramp, not a second one
    line = refusal(*run_cli(capsys, ["train", "--resume", run, "--epochs", "5", "--set", "sched.epochs=50"]))
    assert "--set sched.epochs=50: is the length of a cosine or poly schedule" in line, line
    assert "leave sched.epochs out" in line, line


def test_constant_sched_epochs_refused(capsys, tmp_path):
    line = _train(capsys, tmp_path, "--set", "sched.name=constant", "--set", "sched.epochs=50")
    assert "--set sched.epochs=50: is the length of a cosine or poly schedule" in line, line
    assert "--set sched.name='constant'" in line, line
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sched:\n  name: constant\n  epochs: 1\n")
    line = _train(capsys, tmp_path, "--config", cfg)
    assert line.startswith(f"saliency train: error: {cfg}: sched.epochs=1: is the length"), line


def test_sched_epochs_kept_where_it_is_used(capsys, tmp_path):
    for name in ("cosine", "poly"):
        rc, out, err = _print_config(capsys, "--set", f"sched.name={name}", "--set", "sched.epochs=50")
        assert rc == 0 and "epochs: 50" in out, err
    # a written config (every default, sched.epochs null) with a constant schedule passes
    cfg = C.default_config()
    cfg["sched"]["name"] = "constant"
    f = tmp_path / "config.yaml"
    f.write_text(C.dump_yaml(cfg))
    assert C.build_config(str(f), {"task": "sod"}, check_folders=False)["sched"]["epochs"] is None


# 2. an amplitude chosen for a transform whose probability is 0

@pytest.mark.parametrize("amp, p, shown", [
    ("rotate=30", "rotate_p=0", "--set data.augment.rotate=30:"),
    ("color_jitter=0.4", "color_p=0", "--set data.augment.color_jitter=0.4:"),
    ("crop_scale=[0.3,1]", "crop_p=0", "--set data.augment.crop_scale=[0.3, 1]:"),
])
def test_amplitude_with_probability_zero_refused(capsys, tmp_path, amp, p, shown):
    line = _train(capsys, tmp_path, "--set", f"data.augment.{amp}", "--set", f"data.augment.{p}")
    key = p.partition("=")[0]
    assert shown in line and f"--set data.augment.{p} turns off" in line, line
    assert f"give data.augment.{key} above 0 too, or leave data.augment.{amp.partition('=')[0]} out" in line, line


def test_amplitude_from_a_file_names_it(capsys, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data:\n  augment:\n    rotate: 45\n    rotate_p: 0\n")
    line = _train(capsys, tmp_path, "--config", cfg)
    assert line.startswith(f"saliency train: error: {cfg}: data.augment.rotate=45: is an amplitude"), line


def test_probability_zero_alone_passes(capsys):
    # a default amplitude is no choice: a probability of 0 turns the transform off, as before
    for args in (["--set", "data.augment.rotate_p=0"],
                 ["--set", "data.augment.color_p=0", "--set", "data.augment.crop_p=0"],
                 ["--set", "data.augment.rotate=0", "--set", "data.augment.color_jitter=0"]):
        rc, out, err = _print_config(capsys, *args)
        assert rc == 0, err


# 3. data.val_fraction 0 without data.val

def test_val_fraction_zero_refused_before_the_data(capsys, tmp_path):
    rc, out, err = _print_config(capsys, "--set", "data.val_fraction=0")
    line = refusal(rc, out, err)
    assert "--set data.val_fraction=0: holds out no validation image" in line, line
    assert "config data.val_fraction" not in line
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data:\n  val_fraction: 0.0\n")
    line = _train(capsys, tmp_path, "--config", cfg)
    assert line.startswith(f"saliency train: error: {cfg}: data.val_fraction=0: holds out no"), line


def test_val_fraction_zero_with_a_val_folder_validates(tmp_path):
    cfg = C.default_config()
    cfg["data"].update(val=str(tmp_path), val_fraction=0.0)
    assert C.validate(cfg)["data"]["val_fraction"] == 0.0
    cfg = C.default_config()
    cfg["data"]["val_fraction"] = 0.05
    assert C.validate(cfg)["data"]["val_fraction"] == 0.05


# 4. train.tensorboard true without tensorboard: refused before the data is read, tensorboard not imported

def _find_spec(have: bool):
    real = importlib.util.find_spec

    def fake(name, *a, **k):
        if name == "tensorboard":
            return real("json") if have else None  # any spec: installed
        return real(name, *a, **k)
    return fake


def test_tensorboard_true_missing_refused_first(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", _find_spec(False))
    line = _train(capsys, tmp_path, "--set", "train.tensorboard=true")
    assert "--set train.tensorboard=True: tensorboard is not installed; pip install tensorboard" in line, line
    cfg = tmp_path / "c.yaml"
    cfg.write_text("train:\n  tensorboard: true\n")
    line = _train(capsys, tmp_path, "--config", cfg)
    assert line.startswith(f"saliency train: error: {cfg}: train.tensorboard=True: tensorboard is not"), line


def test_tensorboard_installed_or_auto_passes(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", _find_spec(True))
    argv = BASE + ["--data", tmp_path / "no-such-data", "--out", tmp_path / "run", "--set", "train.tensorboard=true"]
    line = refusal(*run_cli(capsys, argv))
    assert line.endswith("no-such-data: folder not found"), line  # on to the data folder
    monkeypatch.setattr(importlib.util, "find_spec", _find_spec(False))
    for value in ("auto", "false"):
        argv = BASE + ["--data", tmp_path / "no-such-data", "--out", tmp_path / "run",
                       "--set", f"train.tensorboard={value}"]
        line = refusal(*run_cli(capsys, argv))
        assert line.endswith("no-such-data: folder not found"), line


# 5. booleans are no numbers in data.augment.crop_scale

@pytest.mark.parametrize("value", ["[0.5,true]", "[false,1]", "[true,true]"])
def test_crop_scale_bool_refused(capsys, value):
    line = refusal(*_print_config(capsys, "--set", f"data.augment.crop_scale={value}"))
    assert "--set data.augment.crop_scale=" in line and "must be [low, high]" in line, line


def test_crop_scale_numbers_pass(capsys):
    rc, out, err = _print_config(capsys, "--set", "data.augment.crop_scale=[0.5,1]")
    assert rc == 0 and "crop_scale: [0.5, 1.0]" in out, err

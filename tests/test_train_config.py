"""Config parsing, learning-rate schedules, EMA and the seeded sampler: closed forms and hand-worked cases."""

from __future__ import annotations

import math

import pytest
import torch

from saliency import config as C
from saliency.base.errors import UserError
from saliency.optim import EMA, create_optimizer, create_scheduler, lr_at


def test_defaults_are_documented_and_valid():
    cfg = C.build_config()
    assert cfg["task"] == "sod" and cfg["data"]["size"] == [144, 192]
    # every key of the defaults carries a comment in DEFAULT_YAML
    for line in C.DEFAULT_YAML.splitlines()[1:]:
        s = line.strip()
        if s and not s.endswith(":") and not s.startswith("#"):
            assert "#" in s, f"undocumented default: {line!r}"
    assert C.resolved_model(cfg) == "unet_tiny_cbam_sod"
    assert C.resolved_loss(C.build_config(flags={"task": "fixation"})) == "fixation_unisal"


def test_precedence_file_flags_overrides(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("optim:\n  lr: 0.1\ntrain:\n  epochs: 7\n  batch_size: 4\n")
    cfg = C.build_config(str(f), {"train.epochs": 9, "train.batch_size": None},
                         ["optim.lr=3e-4", "data.size=[256,320]", "sched.name=poly", "train.ema=0.999"])
    assert cfg["optim"]["lr"] == pytest.approx(3e-4)     # --set beats the file
    assert cfg["train"]["epochs"] == 9                    # a flag beats the file
    assert cfg["train"]["batch_size"] == 4                # an unset flag leaves the file's value
    assert cfg["data"]["size"] == [256, 320] and cfg["sched"]["name"] == "poly" and cfg["train"]["ema"] == 0.999
    # the resolved YAML reads back to the same config
    g = tmp_path / "r.yaml"
    g.write_text(C.dump_yaml(cfg))
    assert C.build_config(str(g)) == cfg


@pytest.mark.parametrize("override,needle", [
    ("optim.lrr=1", "optim.lrr"), ("foo=1", "foo"), ("train.epochs=0", "train.epochs"),
    ("optim.name=adam", "optim.name"), ("data.size=[10,10]", "data.size"), ("train.batch_size=2.5", "batch_size"),
    ("optim=3", "section"), ("nokey", "KEY=VALUE"),
])
def test_bad_overrides_are_errors(override, needle):
    with pytest.raises(UserError, match=needle.replace("[", r"\[")):
        C.build_config(overrides=[override])


def test_unknown_key_in_file_is_an_error(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("train:\n  epoch: 3\n")
    with pytest.raises(UserError, match="train.epoch"):
        C.build_config(str(f))


def test_lr_schedules_closed_form():
    peak, lo = 1.0, 0.1
    # warm-up: linear to the peak over 4 steps
    assert [lr_at(s, 20, 4, peak, lo, "cosine") for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    # cosine: half-way through the decay the rate is the mean of peak and floor
    assert lr_at(4 + 8, 20, 4, peak, lo, "cosine") == pytest.approx((peak + lo) / 2)
    assert lr_at(20, 20, 4, peak, lo, "cosine") == pytest.approx(lo)
    # poly: lo + (peak - lo) (1 - t)^p
    t = (10 - 4) / 16
    assert lr_at(10, 20, 4, peak, lo, "poly", 0.9) == pytest.approx(lo + (peak - lo) * (1 - t) ** 0.9)
    assert lr_at(15, 20, 4, peak, lo, "constant") == 1.0


def test_scheduler_follows_lr_at_per_step():
    cfg = C.build_config(overrides=["optim.lr=0.01", "sched.warmup_epochs=1", "sched.min_lr=0.001",
                                     "train.epochs=3"])
    model = torch.nn.Linear(2, 1)
    opt = create_optimizer(model, cfg)
    sched = create_scheduler(opt, cfg, steps_per_epoch=5)
    seen = []
    for _ in range(15):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    want = [lr_at(s, 15, 5, 0.01, 0.001, "cosine") for s in range(15)]
    assert seen == pytest.approx(want, rel=1e-12)
    # weight decay: biases excluded
    assert opt.param_groups[0]["weight_decay"] > 0 and opt.param_groups[1]["weight_decay"] == 0


def test_ema_matches_hand_computation():
    m = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        m.weight.fill_(1.0)
    ema = EMA(m, 0.9)
    for w in (2.0, 4.0):
        with torch.no_grad():
            m.weight.fill_(w)
        ema.update(m)
    # 0.9 * (0.9 * 1 + 0.1 * 2) + 0.1 * 4 = 0.99 + 0.4
    assert ema.shadow["weight"].item() == pytest.approx(0.9 * (0.9 * 1 + 0.1 * 2) + 0.1 * 4)


def test_seeded_sampler_shards_and_skips():
    from saliency.distributed import SeededSampler, sample_seed

    a = SeededSampler(10, seed=3, rank=0, world=2)
    b = SeededSampler(10, seed=3, rank=1, world=2)
    for s in (a, b):
        s.set_epoch(4)
    ia, ib = list(a), list(b)
    assert sorted(i for i, _ in ia + ib) == list(range(10))       # the two shards cover the data once
    assert all(sd == sample_seed(3, 4, i) for i, sd in ia)        # seeds depend on (seed, epoch, index) only
    a.set_start(2)
    assert list(a) == ia[2:]
    c = SeededSampler(10, seed=3)
    c.set_epoch(5)
    assert [i for i, _ in c] != [i for i, _ in SeededSampler(10, seed=3)]  # epochs reshuffle
    assert not math.isnan(sample_seed(0, 0, 0))


def test_input_size_whose_deepest_map_is_1x1_is_refused_before_training(tmp_path, capsys):
    """6 images, batch 2, 32 x 32: the last batch of one image met batch norm at 1 x 1 (a ValueError mid-epoch).

    Now one line naming ``data.size`` and exit 2 before the run folder exists; 48 x 64 (a 2 x 2 deepest
    map) and a short batch of one image still train.
    """
    from train_fakes import TINY_ARGS, make_sod

    from saliency.cli import main

    data = make_sod(tmp_path / "d", n=6)
    rc = main(["train", "--data", str(data), "--task", "sod", "--out", str(tmp_path / "run"), "--epochs", "1",
               "--batch-size", "2", "--device", "cpu", "--quiet", "--set", "data.size=[32,32]"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "data.size" in err[0] and "too small" in err[0], err
    assert not (tmp_path / "run").exists()
    args = [a if a != "3" else "4" for a in TINY_ARGS]  # 6 images: 5 train -> batches of 4 and 1
    rc = main(["train", "--data", str(data), "--task", "sod", "--out", str(tmp_path / "run2"), "--epochs", "1",
               *args])
    assert rc == 0, capsys.readouterr().err

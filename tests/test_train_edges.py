"""Training cases found by a read-through: each ran into exit 1, or ran on and reported what was not so.

Every run is 8 tiny scenes (``train_fakes.make_sod``) at 48 x 64 on the CPU.
"""

from __future__ import annotations

import csv

import pytest
import torch

from saliency.cli import main
from train_fakes import make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

BASE = ["--device", "cpu", "--quiet", "--set", "data.size=[48,64]", "--set", "train.grid_images=0",
        "--set", "train.tensorboard=false"]


@pytest.fixture(scope="module")
def sod(tmp_path_factory):
    return make_sod(tmp_path_factory.mktemp("sod") / "S")  # 8 scenes: 6 train, 2 validation


def _run(*args):
    try:
        return main(list(args))
    except SystemExit as exc:
        return exc.code


def _err_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_last_batch_of_one_image_is_left_out(sod, tmp_path, capsys):
    """SK and residual attention batch-normalise pooled features: 6 images in batches of 5 left a batch of 1,
    and torch stopped with a ValueError (exit 1). That image now waits for the next epoch's shuffle."""
    run = tmp_path / "sk"
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "2",
                "--batch-size", "5", "--model", "unet_tiny_sk_sod", *BASE) == 0
    rows = list(csv.DictReader(open(run / "metrics.csv", newline="")))
    assert [int(r["step"]) for r in rows] == [1, 2]  # one full batch of 5 per epoch
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(tmp_path / "sk1"), "--epochs", "1",
              "--batch-size", "1", "--model", "unet_tiny_sk_sod", *BASE)
    err = _err_line(capsys)
    assert rc == 2 and "--batch-size 2 or more" in err


def test_coarse_to_fine_size_counts_its_coarse_branch(sod, tmp_path, capsys):
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(tmp_path / "c"), "--epochs", "1",
              "--batch-size", "1", "--model", "c2f_tiny_cbam_sod", *BASE)
    err = _err_line(capsys)
    assert rc == 2 and "data.size" in err and "coarse branch" in err and "128" in err
    rc = _run("export", "--model", "c2f_tiny_cbam_sod", "--onnx", str(tmp_path / "c.onnx"), "--size", "64x48")
    err = _err_line(capsys)
    assert rc == 2 and "--size 64x48" in err and "4 cells" in err and not (tmp_path / "c.onnx").exists()


def test_non_finite_weights_stop_the_run_and_the_last_checkpoint_is_finite(sod, tmp_path, capsys):
    """lr 1e6 left batch norm's running variance infinite while the loss stayed finite: the run ended with
    exit 0 and a model that predicts black maps, and the NaN stop named such a checkpoint as good."""
    run = tmp_path / "big"
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "4", "--batch-size", "6",
              *BASE, "--set", "optim.lr=1e6", "--set", "sched.warmup_epochs=0", "--set", "sched.name=constant")
    err = _err_line(capsys)
    assert rc == 3 and "NaN or infinite" in err and "last good checkpoint" in err
    ck = torch.load(run / "checkpoints" / "last.pt", map_location="cpu", weights_only=False)
    for sd in (ck["state_dict"], ck["model"]):
        assert all(torch.isfinite(v).all() for v in sd.values() if torch.is_tensor(v) and v.is_floating_point())


def test_config_mistakes_are_refused_before_training(sod, tmp_path, capsys):
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(tmp_path / "v"), "--epochs", "1",
              *BASE, "--set", "data.val_fraction=0")
    assert rc == 2 and "data.val_fraction" in _err_line(capsys)
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(tmp_path / "l"), "--epochs", "1",
              *BASE, "--set", "loss.name=fixation_unisal")
    err = _err_line(capsys)
    assert rc == 2 and "fixation loss" in err and "structure" in err


def test_amp_off_and_plain_flags_reach_the_printed_config(capsys):
    assert _run("train", "--print-config", "--set", "train.amp=off") == 0  # YAML read `off` as False
    assert "amp: 'off'" in capsys.readouterr().out
    assert _run("train", "--print-config", "--epochs", "5", "--lr", "0.01", "--model", "unet_tiny_se_sod") == 0
    out = capsys.readouterr().out
    assert "epochs: 5" in out and "lr: 0.01" in out and "model: unet_tiny_se_sod" in out


def test_resume_with_fewer_epochs_says_so_and_keeps_the_record(sod, tmp_path, capsys):
    run = tmp_path / "r"
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "2",
                "--batch-size", "3", *BASE) == 0
    before = (run / "config.yaml").read_bytes()
    rc = _run("train", "--resume", str(run), "--epochs", "1", "--device", "cpu", "--quiet")
    err = _err_line(capsys)
    assert rc == 2 and "2 epoch(s) are already trained, more than train.epochs 1" in err
    assert (run / "config.yaml").read_bytes() == before


def test_amp_auto_on_a_gpu_without_bf16_trains_in_float32(monkeypatch):
    """It chose float16 autocast, and this trainer runs no GradScaler: gradients would underflow."""
    from saliency.config import default_config
    from saliency.runtime import precision_plan

    cfg = default_config()
    monkeypatch.setattr(torch.version, "hip", None)  # a V100 (7.0) has bf16 only by emulation; an A100 (8.0) natively
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 0))
    assert precision_plan(cfg, torch.device("cuda", 0))["autocast"] is None
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (8, 0))
    assert precision_plan(cfg, torch.device("cuda", 0))["autocast"] is torch.bfloat16
    cfg["train"]["amp"] = "off"
    assert precision_plan(cfg, torch.device("cuda", 0))["autocast"] is None
    assert precision_plan(default_config(), torch.device("cpu"))["autocast"] is None


def test_a_run_that_fails_before_its_first_checkpoint_leaves_nothing_behind(sod, tmp_path, capsys):
    """A new run that stopped in its first step left config.yaml, split.json and metrics.csv, so the same
    command, corrected, was refused ("not empty; --overwrite"). What it wrote goes; a folder the user made stays."""
    bad = ["--epochs", "1", "--batch-size", "1", "--model", "unet_tiny_sk_sod", *BASE]  # batch norm of one value
    run = tmp_path / "a" / "b" / "new"  # the folders above it are made by the run, and go with it
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), *bad) == 2
    assert "--batch-size 2 or more" in _err_line(capsys)
    assert not (tmp_path / "a").exists()
    made = tmp_path / "made"
    made.mkdir()
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(made), *bad) == 2
    _err_line(capsys)
    assert made.is_dir() and list(made.iterdir()) == []
    # the corrected command runs without --overwrite
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(made), "--epochs", "1",
                "--batch-size", "3", "--model", "unet_tiny_sk_sod", *BASE) == 0
    assert (made / "checkpoints" / "last.pt").is_file() and (made / "config.yaml").is_file()


def test_pretrained_weights_from_a_file_and_a_resume_that_does_not_reload_them(sod, tmp_path, capsys):
    """Offline, the only way in was $SALIENCY_PRETRAINED_DIR, and the error told a command-line user to pass
    `pretrained_file=PATH`, which no option took. A resumed run also fetched the ImageNet weights again, only
    to overwrite them with last.pt: offline, a run trained from a file could not be resumed."""
    import timm

    ref = timm.create_model("resnet50")
    weights = tmp_path / "resnet50.pth"
    torch.save(ref.state_dict(), weights)
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(tmp_path / "missing"), "--epochs", "1",
              "--batch-size", "3", "--model", "unet_resnet50_none_sod", "--pretrained-file",
              str(tmp_path / "nope.pth"), *BASE)
    err = _err_line(capsys)
    assert rc == 2 and f"--pretrained-file {tmp_path / 'nope.pth'}: no such file" in err
    run = tmp_path / "r50"
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "1", "--batch-size",
                "3", "--model", "unet_resnet50_none_sod", "--pretrained-file", str(weights), "--lr", "1e-12",
                "--set", "sched.warmup_epochs=0", *BASE) == 0
    ck = torch.load(run / "checkpoints" / "last.pt", map_location="cpu", weights_only=False)
    conv1 = ck["model"]["core.encoder.model.conv1.weight"]
    assert torch.allclose(conv1, ref.conv1.weight, rtol=0, atol=1e-6)  # lr 1e-12: one step moves it < 1e-6
    weights.unlink()  # a resume reads last.pt only
    capsys.readouterr()
    assert _run("train", "--resume", str(run), "--epochs", "2", "--quiet") == 0
    # --quiet silences the progress, not the results (it printed nothing at all; ingest, predict, eval print theirs)
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("trained 2 epochs (") and f"run folder: {run}/\n" in out
    cfg = (run / "config.yaml").read_text()
    assert "pretrained: true" in cfg and f"pretrained_file: {weights}" in cfg
    # a file holding part of the network (no layer4) trained a half-random encoder, exit 0 (timm loads non-strict)
    part = tmp_path / "part.pth"
    torch.save({k: v for k, v in ref.state_dict().items() if not k.startswith("layer4.")}, part)
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(tmp_path / "part_run"), "--epochs", "1",
              "--batch-size", "3", "--model", "unet_resnet50_none_sod", "--pretrained-file", str(part), *BASE)
    err = _err_line(capsys)
    assert rc == 2 and f"{part}: does not fit 'resnet50': 50 of the network's tensors not in the file (first: " \
        "layer4.0.conv1.weight)" in err and not (tmp_path / "part_run").exists()


def test_overwrite_keeps_the_old_run_until_the_new_one_has_finished(sod, tmp_path, capsys):
    """The old run was deleted at the new run's first last.pt: a Ctrl-C or a stop in its first epochs left an
    unfinished run where a finished one had been. Oracle: the old run's files, byte for byte."""
    import hashlib

    run = tmp_path / "run"
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "1", *BASE) == 0
    snap = lambda: {p.relative_to(run).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
                    for p in run.rglob("*") if p.is_file()}
    before = snap()
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--overwrite", "--epochs", "4",
              "--batch-size", "6", *BASE, "--set", "optim.lr=1e6", "--set", "sched.warmup_epochs=0",
              "--set", "sched.name=constant")  # stops (exit 3) after writing checkpoints of its own
    err = _err_line(capsys)
    assert rc == 3 and f"the run it was to replace is put back in {run}" in err
    assert snap() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing set aside is left


def test_a_full_disk_while_saving_a_checkpoint_is_one_line_naming_it(sod, tmp_path, capsys, monkeypatch):
    """torch.save's own writer turned a full disk into "unexpected RuntimeError: [enforce fail at
    inline_container.cc:672] . unexpected pos 5006912 vs 5006800" (exit 1, asking for a bug report)."""
    import errno
    from pathlib import Path

    real = Path.write_bytes

    def full(self, data):
        if self.name.startswith(".last.pt."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    run = tmp_path / "full"
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "1", *BASE)
    err = _err_line(capsys)
    assert rc == 2 and f"{run / 'checkpoints' / 'last.pt'}" in err and "no space left" in err.lower(), err
    assert not run.exists()


# ----------------------------------------------------------------------------- review (stop 18)

def test_resume_refuses_a_change_the_checkpoint_cannot_follow(sod, tmp_path, capsys):
    """A new lr was written to config.yaml but trained at the old one (10x); sgd/model changes exited 1 and
    left config.yaml rewritten; a new split was recorded but not used."""
    run = tmp_path / "r"
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "1",
                "--batch-size", "3", *BASE) == 0
    before = {p.name: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    for key, value in (("optim.lr", "3e-4"), ("optim.name", "sgd"), ("model", "unet_tiny_se_sod"),
                       ("data.val_fraction", "0.5"), ("sched.name", "constant")):
        rc = _run("train", "--resume", str(run), "--epochs", "2", "--quiet", "--set", f"{key}={value}")
        err = _err_line(capsys)
        assert rc == 2 and key in err and "cannot change on resume" in err, err
        assert {p.name: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before
    # where and how it computes may change: the run goes on to epoch 2 and records the new value
    assert _run("train", "--resume", str(run), "--epochs", "2", "--quiet", "--set", "train.val_every=2") == 0
    assert "val_every: 2" in (run / "config.yaml").read_text()


def test_resume_from_a_last_pt_of_another_model_is_one_line_naming_both(sod, tmp_path, capsys):
    """A last.pt copied in from a run of another model stopped with 'unexpected RuntimeError ... report it'
    (exit 1) and torch's cut-off key list."""
    from saliency import models

    run = tmp_path / "r"
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "1",
                "--batch-size", "3", *BASE) == 0
    last = run / "checkpoints" / "last.pt"
    ck = torch.load(last, map_location="cpu", weights_only=False)
    other = models.create_model("unet_tiny_none_sod")
    ck["model"], ck["config"] = other.state_dict(), dict(other.config)
    torch.save(ck, last)
    before = {p.name: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    rc = _run("train", "--resume", str(run), "--epochs", "2", "--quiet")
    err = _err_line(capsys)
    assert rc == 2 and "unet_tiny_none_sod" in err and "unet_tiny_cbam_sod" in err and str(last) in err, err
    assert {p.name: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_a_kill_right_after_last_pt_keeps_the_epochs_row_for_the_resume(sod, tmp_path):
    """SIGKILL (an OOM kill, a power cut) just after epoch 1's last.pt was in place, before metrics.csv got its
    row: the resumed run never wrote epoch 1's row. Oracle: an uninterrupted run's metrics.csv has a row per
    epoch."""
    import subprocess
    import sys

    killer = (
        "import os, signal, sys\n"
        "from saliency import train as T\n"
        "orig = T.Trainer._save\n"
        "def _save(self, name, payload):\n"
        "    out = orig(self, name, payload)\n"
        "    if name == 'last.pt':\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return out\n"
        "T.Trainer._save = _save\n"
        "from saliency.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    run = tmp_path / "r"
    args = ["train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "2", "--batch-size", "3",
            *BASE]
    p = subprocess.run([sys.executable, "-c", killer, *args], capture_output=True, text=True, timeout=300)
    assert p.returncode == -9, p.stderr[-2000:]
    assert _run("train", "--resume", str(run), "--epochs", "2", "--quiet") == 0
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"], rows


def test_a_run_folder_another_live_train_holds_is_refused_and_a_stale_claim_is_taken_over(sod, tmp_path, capsys):
    """Two `train --out R` started together both found R empty; the one stopped during set-up then emptied R as
    its own (clear_dir), deleting the other's config, split and checkpoints while it trained on. A run now claims
    its folder with a lock file (pid, host); a live holder is refused, even with --overwrite, and nothing moves;
    the lock of a process that is gone (a run killed outright) is taken over, and a finished run leaves none."""
    import socket
    import subprocess

    from saliency.train import LOCK_NAME

    run = tmp_path / "r"
    assert _run("train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "1",
                "--batch-size", "3", *BASE) == 0
    assert not (run / LOCK_NAME).exists()
    live = subprocess.Popen(["sleep", "60"])
    try:
        (run / LOCK_NAME).write_text(f"{live.pid} {socket.gethostname()}\n")
        before = {p.name: p.read_bytes() for p in run.rglob("*") if p.is_file()}
        for args in (("--resume", str(run), "--epochs", "2", "--quiet"),
                     ("--data", str(sod), "--task", "sod", "--out", str(run), "--overwrite", "--epochs", "1", *BASE)):
            rc = _run("train", *args)
            err = _err_line(capsys)
            assert rc == 2 and f"pid {live.pid}" in err and "another saliency train" in err, err
            assert {p.name: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before
        fresh = tmp_path / "new"
        fresh.mkdir()
        (fresh / LOCK_NAME).write_text(f"{live.pid} {socket.gethostname()}\n")
        rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(fresh), "--epochs", "1", *BASE)
        assert rc == 2 and "another saliency train" in _err_line(capsys)
    finally:
        live.kill()
        live.wait()
    (run / LOCK_NAME).write_text(f"{live.pid} {socket.gethostname()}\n")  # its process is gone: stale
    assert _run("train", "--resume", str(run), "--epochs", "2", "--quiet") == 0
    assert not (run / LOCK_NAME).exists()
    assert [r["epoch"] for r in csv.DictReader((run / "metrics.csv").open())] == ["1", "2"]


@pytest.mark.parametrize("command", ["train", "synth"])
def test_out_that_is_the_current_folder_is_refused(sod, tmp_path, capsys, monkeypatch, command):
    """``--out . --overwrite`` exited 1 (the folder in use cannot be renamed away) and left ``..old-*`` in it."""
    here = tmp_path / "work"
    here.mkdir()
    (here / "keep.txt").write_text("x")
    monkeypatch.chdir(here)
    for out in (".", ".."):
        if command == "train":
            rc = _run("train", "--data", str(sod), "--task", "sod", "--out", out, "--overwrite", "--epochs", "1",
                      "--batch-size", "3", *BASE)
        else:
            rc = _run("synth", "--scenes", "2", "--subjects", "1", "--size", "64x48", "--out", out, "--overwrite",
                      "--quiet")
        err = _err_line(capsys)
        assert rc == 2 and "current folder" in err and "--out" in err
    assert sorted(p.name for p in here.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_overwrite_refuses_an_out_holding_the_pretrained_file(sod, tmp_path, capsys):
    """The old run was moved aside first, so the weights inside it were 'no such file' (a misleading line)."""
    old = tmp_path / "old"
    old.mkdir()
    (old / "resnet50.pth").write_bytes(b"weights")
    rc = _run("train", "--data", str(sod), "--task", "sod", "--out", str(old), "--overwrite", "--epochs", "1",
              "--model", "unet_resnet50_none_sod", "--pretrained-file", str(old / "resnet50.pth"), *BASE)
    err = _err_line(capsys)
    assert rc == 2 and "--pretrained-file" in err and "--out" in err and "no such file" not in err
    assert (old / "resnet50.pth").read_bytes() == b"weights"

"""End-to-end training runs on tiny data: run folder, exact resume, SIGTERM, NaN stop, bf16 autocast on CPU.

Every run is 8 scenes at 64 x 48 with the tiny model, a few seconds on a CPU.
"""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from saliency.cli import main
from train_fakes import (TINY_ARGS, make_fixation, make_sod, predict_and_score_sod,  # noqa: F401
                         restore_torch_globals)  # restore_torch_globals: an autouse fixture

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sod_data(tmp_path_factory):
    return make_sod(tmp_path_factory.mktemp("sod") / "S")


def _weights(path):
    ck = torch.load(path, map_location="cpu", weights_only=True)
    return ck


def _rows(run):
    with open(Path(run) / "metrics.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_run_folder_and_validation_match_eval(sod_data, tmp_path, capsys):
    run = tmp_path / "run"
    rc = main(["train", "--data", str(sod_data), "--task", "sod", "--out", str(run), "--epochs", "2",
               "--deterministic", *TINY_ARGS])
    assert rc == 0
    for f in ("config.yaml", "split.json", "metrics.csv", "checkpoints/last.pt", "checkpoints/best.pt",
              "grids/epoch_001.png", "grids/epoch_002.png"):
        assert (run / f).is_file(), f
    rows = _rows(run)
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert {"loss", "lr", "images_per_s", "MAE", "Fmax", "Smeasure", "best"} <= set(rows[0])
    ck = _weights(run / "checkpoints" / "last.pt")
    assert ck["epoch"] == 2 and ck["step"] == 4 and ck["version"]  # 6 training images, batch 3
    assert ck["train_config"]["data"]["size"] == [48, 64]
    from saliency import models
    assert models.load_checkpoint(run / "checkpoints" / "best.pt").task == "sod"

    # Oracle: predict the validation images with saliency predict and score them with eval.SODMetrics;
    # the trainer's last-epoch validation must give the same numbers.
    res = predict_and_score_sod(run, sod_data, tmp_path / "preds")
    for key in ("MAE", "Fmax", "Smeasure"):
        assert float(rows[-1][key]) == pytest.approx(res[key], abs=2e-6)


def test_resume_is_exact(sod_data, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    common = ["--data", str(sod_data), "--task", "sod", "--deterministic", "--set", "train.ema=0.9", *TINY_ARGS]
    assert main(["train", *common, "--out", str(a), "--epochs", "2"]) == 0
    # the same plan (schedule over 2 epochs), stopped after 1, then resumed to 2
    assert main(["train", *common, "--out", str(b), "--epochs", "1", "--set", "sched.epochs=2"]) == 0
    assert main(["train", "--resume", str(b), "--epochs", "2", "--quiet"]) == 0
    ka, kb = _weights(a / "checkpoints" / "last.pt"), _weights(b / "checkpoints" / "last.pt")
    assert ka["step"] == kb["step"] == 4
    for name in ("model", "state_dict"):
        for k, v in ka[name].items():
            assert torch.equal(v, kb[name][k]), f"{name}.{k} differs after resume"
    ra, rb = _rows(a), _rows(b)
    assert [r["loss"] for r in ra] == [r["loss"] for r in rb]


def test_sigterm_mid_epoch_leaves_a_loadable_checkpoint_and_resumes_exactly(sod_data, tmp_path):
    run = tmp_path / "run"
    args = ["--data", str(sod_data), "--task", "sod", "--deterministic", "--device", "cpu", "--quiet",
            "--batch-size", "1", "--set", "data.size=[48,64]", "--set", "train.grid_images=0",
            "--set", "train.tensorboard=false", "--set", "sched.epochs=400"]
    proc = subprocess.Popen([sys.executable, "-m", "saliency", "train", *args, "--out", str(run),
                             "--epochs", "400"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last = run / "checkpoints" / "last.pt"
    t0 = time.time()
    while not last.exists() and time.time() - t0 < 60 and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.1)  # land inside epoch 2
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "SIGTERM" in err and "Traceback" not in err and "--resume" in err
    ck = _weights(last)
    from saliency import models
    models.load_checkpoint(last)  # loadable as an inference checkpoint
    epoch, batch = ck["epoch"], ck["batch_in_epoch"]
    assert 0 <= epoch < 400 and ck["step"] == epoch * 6 + batch
    # resume to the end of the interrupted epoch, and compare with an uninterrupted run of the same plan
    target = epoch + 1
    assert main(["train", "--resume", str(run), "--epochs", str(target), "--quiet"]) == 0
    ref = tmp_path / "ref"
    assert main(["train", *args, "--out", str(ref), "--epochs", str(target)]) == 0
    ka, kb = _weights(run / "checkpoints" / "last.pt"), _weights(ref / "checkpoints" / "last.pt")
    assert ka["step"] == kb["step"] == target * 6
    for k, v in kb["model"].items():
        assert torch.equal(v, ka["model"][k]), k
    # the resumed epoch's rate is its 6 images over its seconds, both parts of the epoch (it was the part after the
    # resume alone: 0.00 img/s when the signal came after the last batch); epoch_s is rounded to 0.1 s
    row = _rows(run)[-1]
    rate, secs = float(row["images_per_s"]), float(row["epoch_s"])
    assert abs(rate * secs - 6) <= rate * 0.05 + 0.005 * secs + 1e-9, row  # the two roundings


def test_nan_loss_stops_naming_step_and_checkpoint(sod_data, tmp_path, monkeypatch, capsys):
    import saliency.models.losses as L
    real = L.get_loss("structure")
    calls = {"n": 0}

    def flaky(logits, target, **kw):
        calls["n"] += 1
        out = real(logits, target, **kw)
        return out * float("nan") if calls["n"] > 10 else out  # 5 outputs per step: step 3 goes NaN

    monkeypatch.setattr(L, "get_loss", lambda name: flaky)
    run = tmp_path / "run"
    rc = main(["train", "--data", str(sod_data), "--task", "sod", "--out", str(run), "--epochs", "3", *TINY_ARGS])
    err = capsys.readouterr().err
    assert rc == 3
    assert "loss is nan at step 3 (epoch 2, batch 1)" in err
    assert f"last good checkpoint: {run / 'checkpoints' / 'last.pt'} (epoch 1, step 2)" in err
    assert len(err.strip().splitlines()) == 1
    assert _weights(run / "checkpoints" / "last.pt")["epoch"] == 1


def test_corrupt_image_is_reported_by_name(tmp_path, capsys):
    data = make_sod(tmp_path / "S")
    (data / "stimuli" / "s0003.png").write_bytes(b"not a png at all")
    rc = main(["train", "--data", str(data), "--task", "sod", "--out", str(tmp_path / "run"), "--epochs", "1",
               *TINY_ARGS])
    err = capsys.readouterr().err
    assert rc == 2 and "s0003.png" in err and "not a readable image" in err


def test_corrupt_image_reported_from_a_worker(tmp_path, capsys):
    data = make_sod(tmp_path / "S")
    (data / "stimuli" / "s0002.png").write_bytes(b"\x89PNG broken")
    rc = main(["train", "--data", str(data), "--task", "sod", "--out", str(tmp_path / "run"), "--epochs", "1",
               "--workers", "1", "--set", "data.cache=false", *TINY_ARGS])
    err = capsys.readouterr().err
    assert rc == 2 and "s0002.png" in err and len(err.strip().splitlines()) == 1


def test_bf16_autocast_channels_last_on_cpu(sod_data, tmp_path):
    from saliency.config import build_config
    from saliency.train import precision_plan

    cfg = build_config(overrides=["train.amp=bf16", "train.channels_last=true"])
    plan = precision_plan(cfg, torch.device("cpu"))
    assert plan["autocast"] is torch.bfloat16 and plan["channels_last"] and not plan["benchmark"]
    assert precision_plan(build_config(), torch.device("cpu"))["autocast"] is None   # CPU default: float32
    run = tmp_path / "run"
    assert main(["train", "--data", str(sod_data), "--task", "sod", "--out", str(run), "--epochs", "1",
                 "--set", "train.amp=bf16", "--set", "train.channels_last=true", *TINY_ARGS]) == 0
    row = _rows(run)[0]
    assert np.isfinite(float(row["loss"])) and 0 <= float(row["MAE"]) <= 1


def test_fixation_task_trains(tmp_path):
    data = make_fixation(tmp_path / "D")
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), "--task", "fixation", "--out", str(run), "--epochs", "1",
                 *TINY_ARGS]) == 0
    row = _rows(run)[0]
    for k in ("CC", "NSS", "KLD", "AUC_Judd"):
        assert np.isfinite(float(row[k]))
    assert _weights(run / "checkpoints" / "best.pt")["config"]["task"] == "fixation"


def test_user_errors(sod_data, tmp_path, capsys):
    assert main(["train", "--data", str(sod_data), "--task", "sod", "--model", "unet_tiny_cbam_fixation",
                 "--out", str(tmp_path / "r1"), *TINY_ARGS]) == 2
    assert "fixation model" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["train", "--data", str(tmp_path / "empty"), "--task", "sod", "--out", str(tmp_path / "r2"),
                 *TINY_ARGS]) == 2
    assert "not an SOD dataset" in capsys.readouterr().err
    # a run folder inside --data is refused before anything is read or written (issue 16)
    assert main(["train", "--data", str(tmp_path), "--task", "sod", "--out", str(tmp_path / "r2"), *TINY_ARGS]) == 2
    assert "lies inside the input --data" in capsys.readouterr().err and not (tmp_path / "r2").exists()
    assert main(["train", "--resume", str(tmp_path / "nope")]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert main(["train", "--print-config"]) == 0
    assert "warmup_epochs" in capsys.readouterr().out

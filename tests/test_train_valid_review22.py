"""Validation scores what predict and eval score; best.pt survives a change of best_metric on resume (review 22).

1. With ``train.amp=bf16`` on a CPU the validation ran under bf16 autocast while ``saliency predict`` runs in
   float32 there: the recorded validation (Fmax 0.340058) was not what predict + eval gave (0.339192). The
   oracle, as in test_train_run: predict the validation images and score them with eval's SODMetrics.
2. ``--resume RUN --set train.best_metric=MAE`` (a change resume allows) left best_value empty, so the first
   epoch after the resume replaced best.pt whatever its MAE. Oracle: a best.pt whose recorded MAE no epoch can
   beat (set by hand) must stay, and metrics.csv must not mark the new epoch best.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from saliency.cli import main
from train_fakes import TINY_ARGS, make_sod, predict_and_score_sod, restore_torch_globals  # noqa: F401


@pytest.fixture(scope="module")
def sod_data(tmp_path_factory):
    return make_sod(tmp_path_factory.mktemp("sod") / "S")


def _rows(run):
    with open(Path(run) / "metrics.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_bf16_training_on_a_cpu_validates_as_predict_and_eval_score(sod_data, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--data", str(sod_data), "--task", "sod", "--out", str(run), "--epochs", "1",
                 "--deterministic", "--set", "train.amp=bf16", *TINY_ARGS]) == 0
    res = predict_and_score_sod(run, sod_data, tmp_path / "preds")
    row = _rows(run)[-1]
    for key in ("MAE", "Fmax", "Smeasure"):  # 2e-6: the 8-bit PNG rounding, as in test_train_run
        assert float(row[key]) == pytest.approx(res[key], abs=2e-6)


def test_a_resume_that_changes_best_metric_keeps_a_better_best_pt(sod_data, tmp_path):
    from saliency.checkpoint import load, save

    run = tmp_path / "run"
    assert main(["train", "--data", str(sod_data), "--task", "sod", "--out", str(run), "--epochs", "1",
                 "--deterministic", "--set", "sched.epochs=2", "--set", "train.best_metric=Smeasure",
                 *TINY_ARGS]) == 0
    best = run / "checkpoints" / "best.pt"
    ck = load(best)
    ck["metrics"]["MAE"] = 1e-9  # by hand: no epoch's validation MAE can be this low
    save(best, ck)
    before = {k: v.clone() for k, v in torch.load(best, map_location="cpu", weights_only=True)["state_dict"].items()}
    assert main(["train", "--resume", str(run), "--epochs", "2", "--set", "train.best_metric=MAE", "--quiet"]) == 0
    rows = _rows(run)
    assert [int(r["epoch"]) for r in rows] == [1, 2] and rows[1]["best"] == "0"
    after = torch.load(best, map_location="cpu", weights_only=True)
    assert after["metrics"]["MAE"] == 1e-9
    assert all(torch.equal(v, after["state_dict"][k]) for k, v in before.items())

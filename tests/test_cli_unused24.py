"""Review 24: a --seed that nothing uses is refused in one line, never recorded or implied as applied.

``saliency export --seed`` seeds an untrained ``--model``'s weights only; with
``--checkpoint`` the trained weights are exported whatever it says.
``saliency eval --seed`` draws the random negatives of AUC-Borji and sAUC only.
"""

from __future__ import annotations

import json

import numpy as np

from saliency.cli import main
from tests.image_fakes import sod_folders


def _err(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


def test_export_seed_with_a_checkpoint_is_refused(tmp_path, capsys):
    ck = tmp_path / "x.pt"
    ck.write_bytes(b"")  # refused before the checkpoint is read
    assert main(["export", "--checkpoint", str(ck), "--onnx", str(tmp_path / "o.onnx"), "--seed", "3"]) == 2
    assert _err(capsys) == ["saliency export: error: --seed 3: not used with --checkpoint (its trained weights are "
                            "exported); leave it out"]
    assert not (tmp_path / "o.onnx").exists()


def _sod(tmp_path):
    m = np.zeros((20, 30), np.uint8)
    m[5:15, 10:20] = 255
    return sod_folders(tmp_path, {"a": m})


def test_eval_seed_without_a_metric_that_draws_negatives_is_refused(tmp_path, capsys):
    gt, pr = _sod(tmp_path)
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", f"A={pr}", "--seed", "4", "--json", str(out),
                 "--quiet"]) == 2
    assert _err(capsys) == ["saliency eval: error: --seed 4: not used: no metric of this run draws random negatives "
                            "(only AUC_Borji and sAUC of the fixation task do); leave it out"]
    assert not out.exists()
    # without it the run scores as before: the perfect prediction's MAE is 0 (closed form)
    assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", f"A={pr}", "--json", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())["results"][0]["metrics"]["MAE"] == 0.0

"""Review stop 28: how two outputs, and another command's option, are named.

Found in review: ``saliency predict --out pp --log-density pp`` said ``--log-density pp: is the input --out pp``
(``--out`` is an output, not an input); eval's library messages named ``--log-density`` and ``--list-datasets``
outright, so a Python caller read flags it never typed. Oracles: the messages written out by hand.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli


@pytest.fixture
def imgs(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((20, 30, 3), 128, np.uint8))
    return folder


# 1. --out and --log-density on one path, or one inside the other ---------------------------------------------

@pytest.mark.parametrize("out, ld, want", [
    ("pp", "pp", "--out and --log-density name the same path pp: one would replace the other; give each output "
                 "its own folder"),
    ("pp", "pp/ld", "--log-density pp/ld: lies inside the output --out pp; give each output its own folder, "
                    "neither inside the other"),
    ("pp/x", "pp", "--log-density pp: holds the output --out pp/x; give each output its own folder, neither inside "
                   "the other"),
])
def test_predict_names_two_outputs_as_outputs(tmp_path, imgs, capsys, monkeypatch, out, ld, want):
    monkeypatch.chdir(tmp_path)
    line = refusal(*run_cli(capsys, ["predict", "--baseline", "itti-koch", "--images", imgs, "--out", out,
                                     "--log-density", ld]))
    assert line == f"saliency predict: error: {want}"
    assert not (tmp_path / "pp").exists()  # refused before anything is written


def test_predict_same_output_spelled_two_ways(tmp_path, imgs, capsys):
    (tmp_path / "pp").mkdir()  # --log-density spelled through a folder and .. to the folder --out names
    out, ld = tmp_path / "pp", tmp_path / "sub" / ".." / "pp"
    (tmp_path / "sub").mkdir()
    line = refusal(*run_cli(capsys, ["predict", "--baseline", "itti-koch", "--images", imgs, "--out", out,
                                     "--log-density", ld]))
    assert line == (f"saliency predict: error: --out and --log-density name the same path {out} ({ld} is {out}): "
                    "one would replace the other; give each output its own folder")


def test_an_output_inside_an_input_keeps_the_input_wording(tmp_path, imgs, capsys):
    line = refusal(*run_cli(capsys, ["predict", "--baseline", "itti-koch", "--images", imgs, "--out",
                                     tmp_path / "o", "--log-density", imgs / "ld"]))
    assert line == (f"saliency predict: error: --log-density {imgs / 'ld'}: lies inside the input --images {imgs}; "
                    "write the output to a folder apart from the inputs")


# 2. library messages name parameters, the command line spells them as flags -----------------------------------

FIX_CLI = ("normalise it (log p - logsumexp(log p)) or write it with saliency predict --log-density; "
           "a plain saliency map must have no negative values")


def _bad_log_density(path):
    np.save(path, np.full((4, 5), -math.log(20) + 0.5, np.float32))  # logsumexp 0.5, not 0
    return path


def test_read_prediction_names_the_parameter_not_the_flag(tmp_path):
    from saliency.base.errors import UserError
    from saliency.eval.runner import read_prediction

    f = _bad_log_density(tmp_path / "m.npy")
    with pytest.raises(UserError) as err:
        read_prediction(f)
    assert str(err.value).endswith("or write it with saliency predict log_density; a plain saliency map must have "
                                   "no negative values")
    assert "--" not in str(err.value)


def test_eval_center_bias_still_prints_the_flag(tmp_path, capsys):
    gt = tmp_path / "gt"
    (gt / "fixations").mkdir(parents=True)
    (gt / "maps").mkdir()
    pred = tmp_path / "p"
    pred.mkdir()
    for i in range(2):
        for sub in ("fixations", "maps"):
            cv2.imwrite(str(gt / sub / f"im{i}.png"), np.eye(4, 5, dtype=np.uint8) * 255)
        np.save(pred / f"im{i}.npy", np.ones((4, 5), np.float32))
    cb = _bad_log_density(tmp_path / "cb.npy")
    line = refusal(*run_cli(capsys, ["eval", "--no-progress", "--task", "fixation", "--gt", gt, "--pred", pred,
                                     "--metrics", "IG", "--center-bias", cb]))
    assert line == (f"saliency eval: error: --center-bias {cb}: a .npy with negative values is read as a log-density "
                    "(natural logs summing to 1 in probability), but its logsumexp is 0.5, not 0 (tolerance 0.001); "
                    + FIX_CLI)


def test_an_unknown_config_dataset_names_the_list_parameter(tmp_path):
    from saliency.base.errors import UserError, cli_flag
    from saliency.eval.benchmark import plan

    for k in ("a", "b"):
        for sub, ext in (("images", "jpg"), ("ground_truth_mask", "png")):
            (tmp_path / "root" / "ECSSD" / sub).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(tmp_path / "root" / "ECSSD" / sub / f"{k}.{ext}"), np.full((12, 16), 255, np.uint8))
        (tmp_path / "G").mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / "G" / f"{k}.png"), np.full((12, 16), 255, np.uint8))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("task: sod\ndatasets: {ECSSD: {root: root, dataset: ECSD}}\nmethods: {G: G}\n")
    with pytest.raises(UserError) as err:
        plan(config=str(cfg))
    assert str(err.value).endswith("(saliency eval list_datasets)") and "--" not in str(err.value), str(err.value)
    assert err.value.render(cli_flag).endswith("(saliency eval --list-datasets)")

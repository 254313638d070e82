"""Review R5 (high): ``train --resume`` checked changes against the editable RUN/config.yaml, not the config last.pt
trained with.

A flag or ``--set`` of a key fixed on resume was refused, but the same change made by hand in config.yaml (data.size,
optim.lr, loss.side_weight) was applied silently and written back as the record. It is now refused naming each key,
its edited value and the value the checkpoint trained with; keys a resume may change stay editable.
"""

from __future__ import annotations

import csv

import yaml

from cli_fakes import hashes, refusal, run_cli
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (autouse fixture)


def _first_run(tmp_path, capsys):
    data = make_sod(tmp_path / "tr", n=6, seed=0)
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--epochs", "1", "--out", run,
                                  "--lr", "0.003", "--set", "train.threads=1", *TINY_ARGS])
    assert rc == 0, err
    return run


def _edit(run, **keys):
    """Change ``section.key`` values in RUN/config.yaml by hand (``data__size=[96, 128]``)."""
    path = run / "config.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in keys.items():
        section, key = dotted.split("__")
        assert key in cfg[section]
        cfg[section][key] = value
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None), encoding="utf-8")


def _resume(capsys, run):
    return run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])


def _epochs(run):
    with open(run / "metrics.csv", newline="", encoding="utf-8") as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


def test_resume_refuses_a_hand_edit_of_data_size_in_config_yaml(tmp_path, capsys):
    run = _first_run(tmp_path, capsys)
    _edit(run, data__size=[96, 128])
    was = hashes(run)
    rc, out, err = _resume(capsys, run)
    assert refusal(rc, out, err) == (
        f"saliency train: error: --resume {run}: config.yaml was edited: data.size [96, 128] (trained with [48, 64]) "
        "cannot change on resume (the checkpoint's model, optimiser, schedule and data split continue as they were); "
        f"put it back in {run / 'config.yaml'}, or start a new run with --out for other settings")
    assert hashes(run) == was  # nothing trained, config.yaml left as the user wrote it


def test_resume_refuses_a_hand_edit_of_the_learning_rate_in_config_yaml(tmp_path, capsys):
    run = _first_run(tmp_path, capsys)
    _edit(run, optim__lr=0.01)
    was = hashes(run)
    rc, out, err = _resume(capsys, run)
    line = refusal(rc, out, err)
    assert "config.yaml was edited: optim.lr 0.01 (trained with 0.003) cannot change on resume" in line
    assert "put it back" in line and "--out" in line
    assert hashes(run) == was
    assert _epochs(run) == [1]


def test_resume_names_every_edited_fixed_key(tmp_path, capsys):
    run = _first_run(tmp_path, capsys)
    _edit(run, loss__side_weight=2.0, optim__lr=0.01, train__grid_images=1)
    line = refusal(*_resume(capsys, run))
    assert ("config.yaml was edited: loss.side_weight 2.0 (trained with 0.5), optim.lr 0.01 (trained with 0.003) "
            "cannot change on resume") in line
    assert "grid_images" not in line  # a key a resume may change is no edit to refuse
    assert "put them back" in line


def test_an_unedited_resume_and_an_allowed_edit_still_resume(tmp_path, capsys):
    run = _first_run(tmp_path, capsys)
    rc, _, err = _resume(capsys, run)
    assert rc == 0, err
    assert _epochs(run) == [1, 2]
    _edit(run, train__best_metric="MAE", train__grid_images=1)  # keys a resume may change
    rc, _, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "3", "--device", "cpu", "--quiet"])
    assert rc == 0, err
    assert _epochs(run) == [1, 2, 3]
    cfg = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    assert cfg["train"]["best_metric"] == "MAE" and cfg["train"]["grid_images"] == 1
    assert cfg["data"]["size"] == [48, 64] and cfg["optim"]["lr"] == 0.003


def test_a_last_pt_without_train_config_resumes_as_before(tmp_path, capsys):
    from saliency.checkpoint import load, save

    run = _first_run(tmp_path, capsys)
    ck = load(run / "checkpoints" / "last.pt")
    del ck["train_config"]  # an old checkpoint that did not store the config it trained with
    save(run / "checkpoints" / "last.pt", ck)
    _edit(run, loss__side_weight=2.0)  # nothing to compare with but config.yaml: taken as the run's own
    rc, _, err = _resume(capsys, run)
    assert rc == 0, err
    assert _epochs(run) == [1, 2]


def _as_before_803a423(run):
    """Make RUN a run trained before 803a423: config.yaml and last.pt's train_config both say ``model: null``."""
    from saliency.checkpoint import load, save

    path = run / "config.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert cfg["model"] == "unet_tiny_cbam_sod"
    cfg["model"] = None
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None), encoding="utf-8")
    ck = load(run / "checkpoints" / "last.pt")
    ck["train_config"]["model"] = None
    save(run / "checkpoints" / "last.pt", ck)


def test_a_run_recorded_with_model_null_resumes(tmp_path, capsys):
    # regression review RRc: build_config resolves config.yaml's null to unet_tiny_cbam_sod, last.pt's raw null
    # was compared with it and the untouched run refused as "config.yaml was edited: model ..."
    run = _first_run(tmp_path, capsys)
    _as_before_803a423(run)
    rc, _, err = _resume(capsys, run)
    assert rc == 0, err
    assert _epochs(run) == [1, 2]


def test_a_run_recorded_with_model_null_still_refuses_an_edited_key(tmp_path, capsys):
    run = _first_run(tmp_path, capsys)
    _as_before_803a423(run)
    _edit(run, optim__lr=0.01)
    was = hashes(run)
    line = refusal(*_resume(capsys, run))
    # only optim.lr: the null it trained with is the default network, no edit of model
    assert "config.yaml was edited: optim.lr 0.01 (trained with 0.003) cannot change on resume" in line
    assert "unet_tiny" not in line and "null" not in line
    assert hashes(run) == was


def test_a_run_recorded_with_model_null_refuses_another_model_in_config_yaml(tmp_path, capsys):
    run = _first_run(tmp_path, capsys)
    _as_before_803a423(run)
    path = run / "config.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("model: null", "model: unet_tiny_se_sod"),
                    encoding="utf-8")
    line = refusal(*_resume(capsys, run))
    assert ("config.yaml was edited: model unet_tiny_se_sod (trained with unet_tiny_cbam_sod) cannot change on "
            "resume") in line


def test_a_run_recorded_with_model_null_and_a_value_refused_since_names_only_that_value(tmp_path, capsys):
    from saliency.checkpoint import load, save

    run = _first_run(tmp_path, capsys)
    _as_before_803a423(run)
    ck = load(run / "checkpoints" / "last.pt")
    ck["train_config"]["optim"]["lr"] = 0.0  # refused by today's checks: taken as held, its model still resolved
    save(run / "checkpoints" / "last.pt", ck)
    line = refusal(*_resume(capsys, run))
    assert "config.yaml was edited: optim.lr 0.003 (trained with 0.0) cannot change on resume" in line
    assert "unet_tiny" not in line and "null" not in line

"""Review R8 (stop 29): a run's ``config.yaml``, "resolved" as README says, held ``model: null`` when no model was
named, so the record did not say which network trained (``unet_tiny_cbam_<task>``, the default of the task, chosen
at run time). The resolved config now names it; an older run folder whose config.yaml says ``model: null`` still
resumes (both sides resolve to the same name)."""

from __future__ import annotations

import pytest
import yaml

from cli_fakes import run_cli


@pytest.mark.parametrize("task", ["sod", "fixation"])
def test_printed_config_names_the_default_model_of_the_task(capsys, task):
    # --epochs 3: a config other than the defaults, printed resolved (the untouched defaults print the commented
    # template, whose `model: null` line says "null = unet_tiny_cbam_<task>")
    rc, out, err = run_cli(capsys, ["train", "--print-config", "--task", task, "--epochs", "3"])
    assert rc == 0, err
    assert yaml.safe_load(out)["model"] == f"unet_tiny_cbam_{task}"  # README: the default tiny CBAM network


def test_a_named_model_is_kept(capsys):
    rc, out, err = run_cli(capsys, ["train", "--print-config", "--model", "unet_tiny_se_sod"])
    assert rc == 0, err
    assert yaml.safe_load(out)["model"] == "unet_tiny_se_sod"


def test_an_old_run_recording_model_null_resumes_and_prints_the_name(tmp_path, capsys):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    (run / "config.yaml").write_text("task: fixation\nmodel: null\ntrain:\n  epochs: 7\n")
    rc, out, err = run_cli(capsys, ["train", "--print-config", "--resume", run])
    assert rc == 0, err
    assert yaml.safe_load(out)["model"] == "unet_tiny_cbam_fixation"


def test_a_run_config_reused_with_another_task_names_where_model_and_task_came_from(tmp_path, capsys):
    # regression review RR3 of the change above: a fixation run's config.yaml (model: unet_tiny_cbam_fixation) reused
    # with --set task=sod was refused at training time as "--model ... but --task is sod", flags never given; the
    # config check now names the file's key and the override, before any data is read
    from cli_fakes import refusal

    cfg = tmp_path / "config.yaml"
    cfg.write_text("task: fixation\nmodel: unet_tiny_cbam_fixation\n")
    line = refusal(*run_cli(capsys, ["train", "--print-config", "--config", cfg, "--set", "task=sod"]))
    assert line == (f"saliency train: error: {cfg}: model='unet_tiny_cbam_fixation': is a fixation model but task "
                    f"is sod (--set task='sod'); give a *_sod model, e.g. unet_tiny_cbam_sod (saliency train "
                    f"--list-models lists them)"), line
    # the same mismatch typed as flags names the flags
    line = refusal(*run_cli(capsys, ["train", "--print-config", "--model", "unet_tiny_se_sod", "--task", "fixation"]))
    assert line.startswith("saliency train: error: --model 'unet_tiny_se_sod': is a sod model but task is fixation "
                           "(--task 'fixation')"), line

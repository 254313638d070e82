"""``saliency train --list-models`` / ``--print-config`` refuse the options they would take and ignore, and
``--set KEY=`` (empty) is refused for a key that cannot be null.

Oracles: the refusal lines as written out below (the pattern of ``predict --list-baselines``); the options that
change the printed config are still taken (their values read back from the printed YAML); a key whose documented
default is null (``data.val``, ``model``, ``sched.epochs``) takes an empty value as null, as YAML reads ``key:``.
Nothing trains.
"""

from __future__ import annotations

import pytest

from cli_fakes import refusal, run_cli
from saliency.commands import _args


def _fake_run(tmp_path):
    """A run folder as ``prepare_run`` judges it (config.yaml and checkpoints/last.pt), for --print-config."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    (run / "config.yaml").write_text("task: sod\ntrain:\n  epochs: 7\n")
    return run


LIST = "not used with --list-models (it only prints the registered model names)"
PRINT = "not used with --print-config (it only prints the config; nothing is trained or written)"


@pytest.mark.parametrize("extra, shown", [
    (["--epochs", "3"], f"--epochs 3: {LIST}; leave it out"),
    (["--print-config", "--set", "optim.lr=0.1", "--set", "train.seed=2"],
     f"--set optim.lr=0.1, --set train.seed=2, --print-config: {LIST}; leave them out"),
    (["--overwrite"], f"--overwrite: {LIST}; leave it out"),
    (["--force-workers"], f"--force-workers: {LIST}; leave it out"),
    (["--seed", "0"], f"--seed 0: {LIST}; leave it out"),  # 0 == False: was taken for 'not given'
    (["--workers", "0"], f"--workers 0: {LIST}; leave it out"),
], ids=["epochs", "print-config-and-sets", "overwrite", "force-workers", "seed-0", "workers-0"])
def test_list_models_refuses_the_options_it_does_not_use(tmp_path, capsys, extra, shown):
    line = refusal(*run_cli(capsys, ["train", "--list-models", *extra]))
    assert line == f"saliency train: error: {shown}"


def test_list_models_still_lists_with_quiet(capsys):
    rc, out, err = run_cli(capsys, ["train", "--list-models", "--quiet"])
    assert rc == 0 and err == "" and {"unet_tiny_cbam_sod", "unet_tiny_cbam_fixation"} <= set(out.split())


@pytest.mark.parametrize("extra, shown", [
    (["--overwrite"], f"--overwrite: {PRINT}; leave it out"),
    (["--out", "R", "--max-pixels", "5"], f"--max-pixels 5, --out R: {PRINT}; leave them out"),
    (["--force-workers"], f"--force-workers: {PRINT}; leave it out"),  # bare: nothing to lift, nothing checked
], ids=["overwrite", "out-max-pixels", "bare-force-workers"])
def test_print_config_refuses_the_options_that_change_nothing_it_prints(tmp_path, capsys, extra, shown):
    argv = [str(tmp_path / a) if a == "R" else a for a in extra]
    line = refusal(*run_cli(capsys, ["train", "--print-config", *argv]))
    assert line == f"saliency train: error: {shown}".replace(" R:", f" {tmp_path / 'R'}:")
    assert list(tmp_path.iterdir()) == []


def test_print_config_refuses_overwrite_beside_resume_naming_it(tmp_path, capsys):
    run = _fake_run(tmp_path)
    line = refusal(*run_cli(capsys, ["train", "--print-config", "--resume", run, "--overwrite"]))
    assert line == f"saliency train: error: --overwrite: {PRINT}; leave it out"


def test_print_config_keeps_every_option_that_changes_the_config(tmp_path, capsys):
    n = _args.max_workers() + 1  # above this machine's cap: --force-workers is what lets it through
    rc, out, err = run_cli(capsys, ["train", "--print-config", "--quiet", "--epochs", "3", "--lr", "0.01",
                                    "--seed", "5", "--workers", n, "--force-workers", "--set",
                                    "optim.weight_decay=0.002", "--model", "unet_tiny_se_sod"])
    assert rc == 0, err
    for want in ("epochs: 3", "lr: 0.01", "seed: 5", f"workers: {n}", "weight_decay: 0.002",
                 "model: unet_tiny_se_sod"):
        assert want in out, (want, out)
    rc, out, err = run_cli(capsys, ["train", "--print-config", "--resume", _fake_run(tmp_path), "--epochs", "9"])
    assert rc == 0 and "epochs: 9" in out, err


@pytest.mark.parametrize("key, default", [("optim.lr", "0.003"), ("train.amp", "'auto'"),
                                          ("data.size", "[144, 192]"), ("train.epochs", "12")])
def test_an_empty_set_value_for_a_key_that_cannot_be_null_is_refused_naming_it(capsys, key, default):
    line = refusal(*run_cli(capsys, ["train", "--print-config", "--set", f"{key}="]))
    assert line == (f"saliency train: error: --set {key}=: empty value; {key} cannot be null (its default is "
                    f"{default}): give a value or leave it out")


def test_an_empty_set_value_on_resume_is_refused_the_same_way(tmp_path, capsys):
    line = refusal(*run_cli(capsys, ["train", "--print-config", "--resume", _fake_run(tmp_path),
                                     "--set", "train.device="]))
    assert line == ("saliency train: error: --set train.device=: empty value; train.device cannot be null (its "
                    "default is 'auto'): give a value or leave it out")


def test_an_empty_set_value_for_a_key_whose_default_is_null_stays_null(capsys):
    rc, out, err = run_cli(capsys, ["train", "--print-config", "--model", "unet_tiny_se_sod", "--set", "data.val=",
                                    "--set", "sched.epochs="])
    assert rc == 0, err
    import yaml

    cfg = yaml.safe_load(out)
    assert (cfg["data"]["val"], cfg["sched"]["epochs"], cfg["model"]) == (None, None, "unet_tiny_se_sod")

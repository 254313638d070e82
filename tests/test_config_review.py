"""``saliency train``'s config checks found by a review: each bad value is one line naming where it came from.

A value from ``--config FILE`` (or a resumed run's ``config.yaml``) is named ``FILE: key``, a flag's by the
flag, an override's by ``--set key``; loss and ``train.best_metric`` names are judged before any data is
read; ``--workers`` and ``data.workers`` share one ceiling; ``--deterministic`` and ``--set
train.deterministic=true`` are both taken on resume. Every test runs ``--print-config`` or the config
functions: nothing trains.
"""

from __future__ import annotations

import pytest

from saliency import config as C
from saliency.base.errors import UserError
from saliency.cli import main
import saliency.models.losses  # noqa: F401,E402  torch (3-4 s cold) once at collection: the loss names are its


def one_line(capsys, rc, code=2) -> str:
    """The command returned ``code`` with exactly one stderr line and no traceback; return it."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == code and len(lines) == 1 and "Traceback" not in err, (rc, err)
    return lines[0]


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def fake_run(tmp_path, text="task: sod\ntrain:\n  epochs: 3\n"):
    """A run folder as ``prepare_run`` judges it (config.yaml and checkpoints/last.pt), for --print-config."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    (run / "config.yaml").write_text(text)
    return run


@pytest.mark.parametrize("value", ["5", "[bce]", "{a: 1}"])
def test_a_loss_name_that_is_not_a_string_is_one_line(tmp_path, capsys, value):
    """``loss: {name: 5}`` or ``[bce]`` was an AttributeError/TypeError (exit 1) once the trainer started."""
    cfg = write(tmp_path, "c.yaml", f"loss:\n  name: {value}\n")
    line = one_line(capsys, main(["train", "--config", cfg, "--print-config"]))
    assert line.startswith(f"saliency train: error: {cfg}: loss.name=") and "must be a name" in line, line
    assert "structure" in line  # what to give instead
    line = one_line(capsys, main(["train", "--print-config", "--set", f"loss.name={value}"]))
    assert line.startswith("saliency train: error: --set loss.name=") and "must be a name" in line, line


def test_the_unknown_model_error_names_a_listing_that_exists(tmp_path, capsys):
    """It said ``saliency models --list shows them``; ``saliency models`` has no --list."""
    cfg = write(tmp_path, "c.yaml", "model: nosuch\n")
    line = one_line(capsys, main(["train", "--config", cfg, "--print-config"]))
    assert "--list " not in line and "saliency models --names-only" in line, line
    with pytest.raises(SystemExit) as exc:  # the option it names is one of saliency models'
        main(["models", "--help"])
    assert exc.value.code == 0 and "--names-only" in capsys.readouterr().out


@pytest.mark.parametrize("override,needle", [
    ("loss.name=nosuch", "no such loss of task sod"),
    ("loss.name=strucure", "did you mean structure?"),
    ("loss.name=fixation_kld", "is a fixation loss but task is sod"),
    ("train.best_metric=nosuch", "not a validation metric of task sod"),
    ("train.best_metric=CC", "not a validation metric of task sod"),
    ("train.best_metric=[1]", "must be a name"),
])
def test_loss_and_best_metric_names_are_judged_by_the_config(override, needle):
    """They passed ``validate`` and were refused only by the trainer, after the data was prepared."""
    with pytest.raises(UserError) as exc:
        C.build_config(overrides=[override])
    key = override.split("=")[0]
    assert str(exc.value).startswith(f"overrides {key}=") and needle in str(exc.value), str(exc.value)


def test_good_loss_and_best_metric_names_pass():
    cfg = C.build_config(flags={"task": "fixation"}, overrides=["loss.name=fixation_kld", "train.best_metric=NSS"])
    assert cfg["loss"]["name"] == "fixation_kld" and cfg["train"]["best_metric"] == "NSS"
    cfg = C.build_config(overrides=["loss.name=bce", "train.best_metric=MAE"])
    assert cfg["loss"]["name"] == "bce" and cfg["train"]["best_metric"] == "MAE"


def test_an_unknown_loss_is_refused_before_the_data_is_read(tmp_path, capsys):
    """The data folder does not exist: the loss name is judged first, in one line naming the file and key."""
    cfg = write(tmp_path, "c.yaml", "loss:\n  name: nosuch\n")
    rc = main(["train", "--data", str(tmp_path / "absent"), "--config", cfg, "--out", str(tmp_path / "r"),
               "--quiet"])
    line = one_line(capsys, rc)
    assert f"{cfg}: loss.name='nosuch': no such loss" in line, line
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("text,good,bad", [
    ("model: nosuch\n", "{f}: model='nosuch': no such model", "--model"),
    ("optim:\n  lr: -0.1\n", "{f}: optim.lr=-0.1: must be a finite number above 0", "config optim.lr"),
    ("train:\n  amp: fp16\n", "{f}: train.amp='fp16': must be one of auto, bf16, off", "config train.amp"),
    ("data:\n  workers: -1\n", "{f}: data.workers=-1: must be a whole number", "--workers"),
    ("optim:\n  lrr: 1\n", "{f}: optim.lrr: unknown key; valid keys here: optim.name", "config key"),
    ("optim: 3\n", "{f}: optim: must be a mapping of name, lr", "config key"),
])
def test_a_bad_value_from_a_config_file_names_the_file_and_key(tmp_path, capsys, text, good, bad):
    """``model: nosuch`` in a file was reported as ``--model 'nosuch'``; the file was never named."""
    f = write(tmp_path, "recipe.yaml", text)
    line = one_line(capsys, main(["train", "--config", f, "--print-config"]))
    assert good.format(f=f) in line and bad not in line, line


def test_a_missing_data_folder_from_a_file_names_the_file_not_data(tmp_path, capsys):
    """``data: {root: nosuchdir}`` was reported as ``--data nosuchdir``, a flag the user never gave."""
    f = write(tmp_path, "recipe.yaml", f"data:\n  root: {tmp_path / 'nosuchdir'}\n")
    line = one_line(capsys, main(["train", "--config", f, "--out", str(tmp_path / "r"), "--quiet"]))
    assert f"{f}: data.root {tmp_path / 'nosuchdir'}: folder not found" in line, line
    assert "give --data DIR" in line and "error: --data" not in line, line
    assert not (tmp_path / "r").exists()
    line = one_line(capsys, main(["train", "--out", str(tmp_path / "r"), "--set", f"data.root={tmp_path / 'gone'}"]))
    assert f"--set data.root {tmp_path / 'gone'}: folder not found" in line, line


def test_flag_and_set_values_are_named_as_typed(capsys):
    line = one_line(capsys, main(["train", "--model", "nosuch", "--print-config"]))
    assert "error: --model 'nosuch': no such model" in line, line
    line = one_line(capsys, main(["train", "--set", "optim.lr=-0.1", "--print-config"]))
    assert "error: --set optim.lr=-0.1: must be a finite number above 0" in line, line
    with pytest.raises(UserError) as exc:  # from Python: the flags entry by its parameter name
        C.build_config(flags={"train.epochs": 0})
    assert str(exc.value).startswith("epochs 0: must be a whole number"), str(exc.value)


def test_a_resumed_runs_config_counts_as_a_file(tmp_path, capsys):
    run = fake_run(tmp_path, "task: sod\noptim:\n  lr: -1\n")
    line = one_line(capsys, main(["train", "--resume", str(run), "--print-config"]))
    assert f"error: {run / 'config.yaml'}: optim.lr=-1: must be" in line, line
    # data moved since: the run's folder is named, and --data (allowed on resume) takes the new one
    data = tmp_path / "data"
    data.mkdir()
    (run / "config.yaml").write_text(f"task: sod\ndata:\n  root: {tmp_path / 'moved'}\n")
    line = one_line(capsys, main(["train", "--resume", str(run), "--quiet"]))  # --print-config reads no data
    assert f"error: {run / 'config.yaml'}: data.root {tmp_path / 'moved'}: folder not found" in line, line
    assert main(["train", "--resume", str(run), "--data", str(data), "--print-config"]) == 0
    assert f"root: {data}" in capsys.readouterr().out


def test_workers_ceiling_of_the_flag_and_the_config_agree(capsys):
    """``--workers 100 --force-workers`` (help: up to 1024) was refused by the config's cap of 64."""
    assert main(["train", "--workers", "100", "--force-workers", "--print-config"]) == 0
    assert "workers: 100" in capsys.readouterr().out
    top = C.WORKERS_MAX
    assert C.build_config(overrides=[f"data.workers={top}"])["data"]["workers"] == top
    with pytest.raises(UserError, match="data.workers"):
        C.build_config(overrides=[f"data.workers={top + 1}"])
    assert main(["train", "--workers", str(top), "--force-workers", "--print-config"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):  # argparse refuses one more, as the config does
        main(["train", "--workers", str(top + 1), "--force-workers", "--print-config"])
    assert f"must be between 0 and {top}" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert f"up to {top})" in " ".join(capsys.readouterr().out.split())  # --force-workers' help says the same


def test_deterministic_on_resume_by_flag_or_set_alike(tmp_path, capsys):
    """``--deterministic`` was refused on resume while ``--set train.deterministic=true`` was taken.

    It only chooses torch's algorithms and threads (no state of the checkpoint), so both are taken.
    """
    from saliency.train import RESUME_CHANGEABLE, RESUME_KEYS

    assert "train.deterministic" in RESUME_KEYS and "train.deterministic" in RESUME_CHANGEABLE
    run = fake_run(tmp_path)
    for extra in (["--deterministic"], ["--set", "train.deterministic=true"]):
        rc = main(["train", "--resume", str(run), "--epochs", "4", *extra, "--print-config"])
        out, err = capsys.readouterr()
        assert rc == 0 and "deterministic: true" in out, (extra, err)


@pytest.mark.parametrize("value", ["0", "0.0"])
def test_lr_zero_is_refused_from_a_file_and_set_as_from_the_flag(tmp_path, capsys, value):
    """``optim.lr: 0`` from a file trained at lr 0 while ``--lr 0`` was refused."""
    f = write(tmp_path, "c.yaml", f"optim:\n  lr: {value}\n")
    line = one_line(capsys, main(["train", "--config", f, "--print-config"]))
    assert f"{f}: optim.lr={float(value) if '.' in value else int(value)!r}: must be a finite number above 0" \
        in line, line
    line = one_line(capsys, main(["train", "--set", f"optim.lr={value}", "--print-config"]))
    assert "--set optim.lr=" in line and "above 0" in line, line
    assert C.build_config(overrides=["optim.lr=1e-9"])["optim"]["lr"] == 1e-9


def test_set_through_a_single_value_says_it_has_no_sub_keys(capsys):
    """``--set optim.lr.x=1`` listed an empty ``valid:`` list."""
    line = one_line(capsys, main(["train", "--set", "optim.lr.x=1", "--print-config"]))
    assert line == ("saliency train: error: --set optim.lr.x: optim.lr is a single value with no sub-keys; "
                    "set it as optim.lr=VALUE"), line
    with pytest.raises(UserError, match="train.epochs is a single value"):
        C.build_config(overrides=["train.epochs.a.b=1"])


def test_print_config_reads_no_data_folder_and_config_workers_are_capped(tmp_path, capsys):
    """Stop-20 regression review: --print-config refused a data root from a file that does not exist here (the
    same key by flag printed), and data.workers from --set escaped the CPU cap --workers has (up to 1024)."""
    from saliency.cli import main
    from saliency.commands import _args

    cfg = tmp_path / "other_machine.yaml"
    cfg.write_text("data:\n  root: /nowhere/on/this/machine\n")
    assert main(["train", "--print-config", "--config", str(cfg)]) == 0
    assert "/nowhere/on/this/machine" in capsys.readouterr().out
    too_many = _args.max_workers() + 1
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path), "--out", str(run), "--set", f"data.workers={too_many}"]) == 2
    err = capsys.readouterr().err
    assert f"data.workers {too_many}" in err and "--force-workers" in err and len(err.strip().splitlines()) == 1
    assert not run.exists()  # refused before the run folder was made

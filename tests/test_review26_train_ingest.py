"""Review 26 (round 4): a train flag overridden silently by ``--set``; ingest asking for the ``--trials`` it was given.

1. ``saliency train --lr 0.01 --set optim.lr=0.02`` trained (and wrote config.yaml) with 0.02, the flag dropped
   without a word; the same for every flag with a config key (``--epochs``/``train.epochs``, ``--task``/``task``,
   ``--data``/``data.root``, ...) and for a ``--set`` of a whole section (``optim={lr: 0.1}``). The project
   refuses an option given twice, so a key given by its flag and by ``--set`` is refused in one line naming
   both, exit 2, nothing written: a new run, ``--print-config`` and ``--resume`` (its flags ``--epochs``,
   ``--device``, ``--workers``, ``--data``, ``--deterministic``) alike.
2. ``saliency ingest`` with ``--trials`` given, on logs whose rows name no stimulus, said "give --trials": the
   logs had no trial value to look up (no trial column), or trials the file does not list. It now says which,
   and what to do (map a trial column with ``--columns trial=COL``, add rows, check the subject column).

Oracles: the messages whole, written out by hand; every file's bytes before and after; the advice followed
(a trials file with the missing rows) ingests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from saliency import config as C
from cli_fakes import hashes as _hashes, refusal as _refusal, run_cli as _run


# ---------------------------------------------------------------- 1. train: a flag and --set for one key


def _conflicts(d: str):
    """(argv, the flag as the line shows it, the --set as the line shows it, the key)."""
    return [
        (["--lr", "0.01", "--set", "optim.lr=0.02"], "--lr 0.01", "--set optim.lr=0.02", "optim.lr"),
        (["--set", "optim.lr=0.02", "--lr", "0.01"], "--lr 0.01", "--set optim.lr=0.02", "optim.lr"),
        (["--epochs", "1", "--set", "train.epochs=3"], "--epochs 1", "--set train.epochs=3", "train.epochs"),
        (["--batch-size", "4", "--set", "train.batch_size=8"], "--batch-size 4", "--set train.batch_size=8",
         "train.batch_size"),
        (["--task", "sod", "--set", "task=fixation"], "--task sod", "--set task=fixation", "task"),
        (["--set", f"data.root={d}"], f"--data {d}", f"--set data.root={d}", "data.root"),
        (["--device", "cpu", "--set", "train.device=cpu"], "--device cpu", "--set train.device=cpu", "train.device"),
        (["--seed", "1", "--set", "train.seed=2"], "--seed 1", "--set train.seed=2", "train.seed"),
        (["--workers", "0", "--set", "data.workers=0"], "--workers 0", "--set data.workers=0", "data.workers"),
        (["--deterministic", "--set", "train.deterministic=false"], "--deterministic",
         "--set train.deterministic=false", "train.deterministic"),
        (["--model", "unet_tiny_cbam_sod", "--set", "model=unet_tiny_cbam_fixation"], "--model unet_tiny_cbam_sod",
         "--set model=unet_tiny_cbam_fixation", "model"),
        (["--pretrained-file", "w.pth", "--set", "pretrained=false"], "--pretrained-file w.pth",
         "--set pretrained=false", "pretrained"),
        # a section holding the key
        (["--lr", "0.01", "--set", "optim={lr: 0.1}"], "--lr 0.01", "--set optim={lr: 0.1}", "optim.lr"),
        (["--epochs", "2", "--set", "train={seed: 1, epochs: 3}"], "--epochs 2", "--set train={seed: 1, epochs: 3}",
         "train.epochs"),
    ]


@pytest.fixture()
def data(tmp_path):
    """An (empty) data folder and its files' hashes: the refusals come before any data is read."""
    d = tmp_path / "D"
    d.mkdir()
    (d / "note.txt").write_text("mine\n")
    return d


@pytest.mark.parametrize("case", range(len(_conflicts("D"))))
def test_a_flag_and_a_set_of_its_key_are_refused_naming_both(capsys, tmp_path, data, case):
    argv, flag, setting, key = _conflicts(str(data))[case]
    before = _hashes(tmp_path)
    run = tmp_path / "run"
    line = _refusal(*_run(capsys, ["train", "--data", data, *argv, "--out", run, "--quiet"]))
    assert line == f"saliency train: error: {flag} and {setting} both set {key}; give one"
    assert not run.exists() and _hashes(tmp_path) == before
    # --print-config (no run folder) resolves the same config: refused the same way
    line = _refusal(*_run(capsys, ["train", "--data", data, *argv, "--print-config"]))
    assert line == f"saliency train: error: {flag} and {setting} both set {key}; give one"


def test_root_of_a_dataset_named_as_root(capsys, tmp_path, data):
    line = _refusal(*_run(capsys, ["train", "--dataset", "OSIE", "--root", data, "--set", f"data.root={data}",
                                   "--print-config"]))
    assert line == f"saliency train: error: --root {data} and --set data.root={data} both set data.root; give one"


def test_other_keys_of_a_flags_section_still_combine(capsys, data):
    """Only the flag's own key is refused: --lr with --set optim.weight_decay (or a section without lr) is taken."""
    _refusal(*_run(capsys, ["train", "--data", data, "--lr", "0.01", "--set", "optim={lr: 0.1}", "--print-config"]))
    for sets in (["--set", "optim.weight_decay=0.1"], ["--set", "optim={weight_decay: 0.1}"]):
        rc, out, err = _run(capsys, ["train", "--data", data, "--lr", "0.01", *sets, "--set", "sched.epochs=3",
                                     "--epochs", "2", "--print-config"])
        assert rc == 0, err
        cfg = yaml.safe_load(out)
        assert cfg["optim"]["lr"] == 0.01 and cfg["optim"]["weight_decay"] == 0.1
        assert cfg["train"]["epochs"] == 2 and cfg["sched"]["epochs"] == 3


@pytest.fixture()
def old_run(tmp_path, data):
    """A run folder as --resume reads it before training (config.yaml, checkpoints/last.pt)."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    cfg = C.build_config(flags={"data.root": str(data), "train.epochs": 2, "train.device": "cpu"})
    (run / "config.yaml").write_text(C.dump_yaml(cfg))
    (run / "checkpoints" / "last.pt").write_bytes(b"not read: refused before")
    return run


@pytest.mark.parametrize("argv, flag, setting, key", [
    (["--epochs", "3", "--set", "train.epochs=4"], "--epochs 3", "--set train.epochs=4", "train.epochs"),
    (["--device", "cpu", "--set", "train.device=auto"], "--device cpu", "--set train.device=auto", "train.device"),
    (["--workers", "0", "--set", "data.workers=0"], "--workers 0", "--set data.workers=0", "data.workers"),
    (["--deterministic", "--set", "train.deterministic=true"], "--deterministic", "--set train.deterministic=true",
     "train.deterministic"),
    (["--epochs", "3", "--set", "train={epochs: 4}"], "--epochs 3", "--set train={epochs: 4}", "train.epochs"),
])
def test_resume_refuses_the_same_conflicts(capsys, tmp_path, old_run, argv, flag, setting, key):
    before = _hashes(tmp_path)
    line = _refusal(*_run(capsys, ["train", "--resume", old_run, *argv, "--quiet"]))
    assert line == f"saliency train: error: {flag} and {setting} both set {key}; give one"
    assert _hashes(tmp_path) == before


def test_resume_refuses_data_given_twice(capsys, tmp_path, old_run, data):
    moved = tmp_path / "moved"
    moved.mkdir()
    before = _hashes(tmp_path)
    line = _refusal(*_run(capsys, ["train", "--resume", old_run, "--data", moved, "--set", f"data.root={data}"]))
    assert line == f"saliency train: error: --data {moved} and --set data.root={data} both set data.root; give one"
    assert _hashes(tmp_path) == before


def test_library_names_the_parameters(data):
    """build_config (also prepare_run's) names the flag's parameter and ``overrides`` in backticks."""
    from saliency.base.errors import UserError

    with pytest.raises(UserError) as exc:
        C.build_config(flags={"optim.lr": 0.01}, overrides=["optim.lr=0.02"])
    assert exc.value.args[0] == "`lr` 0.01 and `overrides` optim.lr=0.02 both set optim.lr; give one"


# ---------------------------------------------------------------- 2. ingest: the hint when --trials was given

GEOM = ["--time-unit", "us", "--screen-px", "80x60", "--screen-cm", "38x30", "--distance-cm", "67", "--quiet"]
COLS = "time=TIMESTAMP,x=GazeX,y=GazeY,subject=Participant"


@pytest.fixture()
def study(tmp_path):
    """One 80x60 stimulus and 2 s of 500 Hz samples of subject S1 (three steady fixations), written twice: without
    a trial column, and with one (trial 7 for the first 500 rows, 8 for the rest)."""
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.zeros((60, 80, 3), np.uint8)).save(stim / "dog.png")
    rng = np.random.default_rng(0)
    t = np.arange(1000) * 2000
    x = np.repeat([20.0, 50.0, 70.0], [334, 333, 333]) + rng.normal(0, 0.2, 1000)
    y = np.repeat([20.0, 30.0, 40.0], [334, 333, 333]) + rng.normal(0, 0.2, 1000)
    rows = [f"{a},{b:.3f},{c:.3f},S1" for a, b, c in zip(t, x, y)]
    (tmp_path / "notrial.csv").write_text("TIMESTAMP,GazeX,GazeY,Participant\n" + "\n".join(rows) + "\n")
    trials = ["7" if i < 500 else "8" for i in range(1000)]
    (tmp_path / "trial.csv").write_text("TIMESTAMP,GazeX,GazeY,Participant,Trial\n"
                                        + "\n".join(f"{r},{k}" for r, k in zip(rows, trials)) + "\n")
    return tmp_path


def _ingest(capsys, root: Path, log: str, trials: str | None, cols: str = COLS, out: str = "d"):
    extra = ["--trials", root / trials] if trials else []
    return _run(capsys, ["ingest", root / log, "--columns", cols, "--stimuli", root / "stim", *GEOM, *extra,
                         "--out", root / out])


HEAD = "saliency ingest: error: no usable fixations in the 1000 rows read (reasons: no_stimulus 1000); "
INSTEAD = "give --stimulus NAME instead (one stimulus for every row)"


def test_logs_without_trial_values_and_trials_given(capsys, study):
    """The reviewer's case: no trial column, --trials given; it said 'give --trials'."""
    (study / "t.csv").write_text("subject,trial,stimulus\nS1,1,dog.png\n")
    before = _hashes(study)
    line = _refusal(*_ingest(capsys, study, "notrial.csv", "t.csv"))
    assert line == (f"{HEAD}1000 rows have no stimulus name and no trial value to look up in --trials "
                    f"{study / 't.csv'} (subject, trial, stimulus): map the logs' trial column with --columns "
                    f"trial=COL, or {INSTEAD}")
    assert _hashes(study) == before and not (study / "d").exists()
    # without --trials, giving one is still the advice
    line = _refusal(*_ingest(capsys, study, "notrial.csv", None))
    assert line == f"{HEAD}1000 rows have no stimulus name (trials ''): give --trials (subject, trial, stimulus) " \
                   "or --stimulus NAME"


def test_trial_values_the_trials_file_does_not_list(capsys, study):
    (study / "t.csv").write_text("subject,trial,stimulus\nS1,1,dog.png\n")
    cols = COLS + ",trial=Trial"
    line = _refusal(*_ingest(capsys, study, "trial.csv", "t.csv", cols))
    assert line == (f"{HEAD}1000 rows have no stimulus name and their trials ('7', '8') are not in --trials "
                    f"{study / 't.csv'} (it lists trials '1'): add a row (subject, trial, stimulus) for each, or "
                    f"{INSTEAD}")
    # listed, but for another subject only
    (study / "t2.csv").write_text("subject,trial,stimulus\nS2,7,dog.png\nS1,1,dog.png\n")
    line = _refusal(*_ingest(capsys, study, "trial.csv", "t2.csv", cols))
    assert line == (f"{HEAD}1000 rows have no stimulus name and their trials ('7', '8') are not in --trials "
                    f"{study / 't2.csv'} for their subject (it lists trials '7', '1'; '7' only for other subjects: "
                    f"check its subject column): add a row (subject, trial, stimulus) for each, or {INSTEAD}")
    assert not (study / "d").exists()
    # the advice followed: a row for each trial
    (study / "t3.csv").write_text("subject,trial,stimulus\nS1,7,dog.png\nS1,8,dog.png\n")
    rc, _, err = _ingest(capsys, study, "trial.csv", "t3.csv", cols)
    assert rc == 0, err


def test_some_rows_without_a_trial_some_with_unlisted_trials(capsys, study):
    """Both reasons at once: one hint each, with its own row count."""
    lines = (study / "trial.csv").read_text().splitlines()
    mixed = [lines[0]] + [ln.rpartition(",")[0] + "," if i < 400 else ln for i, ln in enumerate(lines[1:])]
    (study / "mixed.csv").write_text("\n".join(mixed) + "\n")
    (study / "t.csv").write_text("subject,trial,stimulus\nS1,1,dog.png\n")
    line = _refusal(*_ingest(capsys, study, "mixed.csv", "t.csv", COLS + ",trial=Trial"))
    assert line == (f"{HEAD}400 rows have no stimulus name and no trial value to look up in --trials "
                    f"{study / 't.csv'} (subject, trial, stimulus): map the logs' trial column with --columns "
                    f"trial=COL, or {INSTEAD}; 600 rows have no stimulus name and their trials ('8', '7') are not in "
                    f"--trials {study / 't.csv'} (it lists trials '1'): add a row (subject, trial, stimulus) for "
                    f"each, or {INSTEAD}")

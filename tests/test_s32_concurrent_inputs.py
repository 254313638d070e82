"""S32: inputs and outputs that another process changes while a command runs.

``saliency train`` read its dataset folder by path: a folder replaced meanwhile (``synth``/``ingest --overwrite``
renaming a staged folder onto it) was trained on as a mix of two datasets, rc 0, while split.json recorded the
digests of the old files. It is now refused before the run claims the data (set-up, after the cache is filled; a
run reading lazily, at the end of each epoch), and a file gone mid-read gets the same line, not "file not found".

The loser of two file outputs racing under ``--overwrite`` was told to run again "with --overwrite", which it had
been given. The races are made deterministic by hooks between the index and the read; no sleeps.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli_fakes import refusal, run_cli
from saliency.base.errors import UserError
from saliency.base.fsutil import check_unchanged, folder_identity
from train_fakes import make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

BASE = ["--device", "cpu", "--quiet", "--set", "data.size=[48,64]", "--set", "train.grid_images=0",
        "--set", "train.tensorboard=false", "--batch-size", "4"]


def _replaced_line(folder: Path) -> str:
    return (f"saliency train: error: --data {folder}: was replaced while this command read it (another run wrote "
            "it); run again when it is finished")


def _replace(folder: Path, seed: int) -> None:
    """What synth --overwrite does to ``folder``: a new dataset built beside it, renamed onto its name."""
    staged = make_sod(folder.parent / f".{folder.name}.staged", seed=seed)
    os.rename(folder, folder.parent / f".{folder.name}.old")
    os.rename(staged, folder)


def _train(capsys, data: Path, run: Path, *extra):
    return run_cli(capsys, ["train", "--data", data, "--task", "sod", "--out", run, "--epochs", "1", *BASE, *extra])


def test_dataset_replaced_while_the_cache_fills_is_refused_and_no_run_is_left(tmp_path, capsys, monkeypatch):
    from saliency import datasets as D

    data, run = make_sod(tmp_path / "P"), tmp_path / "R2"
    real, calls = D.SaliencyDataset.fill_cache, []

    def fill_after_a_replace(self, *a, **k):
        if not calls:  # after the index and the digests, before the first sample is decoded
            _replace(data, seed=7)
        calls.append(1)
        return real(self, *a, **k)

    monkeypatch.setattr(D.SaliencyDataset, "fill_cache", fill_after_a_replace)
    assert refusal(*_train(capsys, data, run)) == _replaced_line(data)
    assert not run.exists()  # a new run folder: nothing of the refused run is left to resume or to trust


def test_dataset_untouched_trains_as_before(tmp_path, capsys):
    data, run = make_sod(tmp_path / "P"), tmp_path / "R"
    rc, _, err = _train(capsys, data, run)
    assert rc == 0, err
    assert (run / "split.json").is_file() and (run / "checkpoints" / "last.pt").is_file()


def test_indexed_file_gone_mid_read_gets_the_replaced_line_not_file_not_found(tmp_path, capsys, monkeypatch):
    from saliency import datasets as D

    data, run = make_sod(tmp_path / "P"), tmp_path / "R"
    real = D.SaliencyDataset.fill_cache

    def fill_after_a_removal(self, *a, **k):
        for f in (data / "masks").iterdir():  # another run clearing the folder it is about to rewrite
            f.unlink()
        return real(self, *a, **k)

    monkeypatch.setattr(D.SaliencyDataset, "fill_cache", fill_after_a_removal)
    line = refusal(*_train(capsys, data, run))
    assert line == _replaced_line(data) and "file not found" not in line
    assert not run.exists()


def test_lazily_read_dataset_replaced_mid_epoch_is_refused_before_its_checkpoint(tmp_path, capsys, monkeypatch):
    # data.cache false: every epoch reads the files again; the training images came from the old folder, the
    # validation images from the new one: refused before metrics.csv or a checkpoint records the epoch
    from saliency import train as T

    data, run = make_sod(tmp_path / "P"), tmp_path / "R"
    real = T.Trainer.validate

    def validate_after_a_replace(self, epoch):
        _replace(data, seed=7)
        return real(self, epoch)

    monkeypatch.setattr(T.Trainer, "validate", validate_after_a_replace)
    assert refusal(*_train(capsys, data, run, "--set", "data.cache=false")) == _replaced_line(data)
    assert not run.exists()


def test_lazily_read_dataset_replaced_before_a_sigterm_mid_epoch_writes_no_checkpoint(tmp_path, capsys,
                                                                                      monkeypatch):
    # a SIGTERM mid-epoch saves last.pt of the part read: with the folder replaced in that part, that is a mix
    import signal

    from saliency import train as T

    data, run = make_sod(tmp_path / "P"), tmp_path / "R"
    real = T.Trainer._optimizer_step

    def step_then_replace_and_stop(self, *a, **k):
        real(self, *a, **k)
        _replace(data, seed=7)
        os.kill(os.getpid(), signal.SIGTERM)  # caught by the run's handler: it stops after this step

    monkeypatch.setattr(T.Trainer, "_optimizer_step", step_then_replace_and_stop)
    assert refusal(*_train(capsys, data, run, "--set", "data.cache=false")) == _replaced_line(data)
    assert not run.exists()


def test_folder_identity_sees_a_rename_onto_the_folder_and_of_a_subfolder(tmp_path):
    data = make_sod(tmp_path / "P")
    ids = folder_identity(data) + folder_identity(data, data / "stimuli", data / "masks")
    assert [entry[0] for entry in ids] == [str(data)] * 2 + [str(data / "stimuli"), str(data / "masks")]
    check_unchanged(ids, "data")  # the same folders: nothing
    (data / "stimuli").rename(tmp_path / "old_stimuli")  # only a subfolder replaced: the dataset's name is given
    (tmp_path / "new_stimuli").mkdir()
    (tmp_path / "new_stimuli").rename(data / "stimuli")
    with pytest.raises(UserError) as exc:
        check_unchanged(ids, "data")
    assert exc.value.args[0] == (f"`data` {data}: was replaced while this command read it (another run wrote "
                                 "it); run again when it is finished")


# -- 2. the loser of two outputs racing under --overwrite is not told to give --overwrite


def _eval_json_race(tmp_path, capsys, monkeypatch, *extra):
    import cv2
    import numpy as np

    from saliency.eval import benchmark

    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    m = np.zeros((20, 24), np.uint8)
    m[5:15, 6:18] = 255
    cv2.imwrite(str(gt / "im0.png"), m)
    cv2.imwrite(str(pred / "im0.png"), cv2.GaussianBlur(m, (0, 0), 2))
    out = tmp_path / "e.json"
    out.write_text("a user's older file\n")
    scored = benchmark.run

    def other_run_meanwhile(*a, **k):
        out.write_text("the other run's result\n")  # the winner of the race renamed its file into place
        return scored(*a, **k)

    monkeypatch.setattr(benchmark, "run", other_run_meanwhile)
    argv = ["eval", "--quiet", "--task", "sod", "--metrics", "Fmax", "--gt", gt, "--name", "ds", "--pred",
            f"m={pred}", "--json", out, *extra]
    return out, run_cli(capsys, argv)


def test_eval_json_race_lost_under_overwrite_does_not_advise_overwrite(tmp_path, capsys, monkeypatch):
    out, (rc, _, err) = _eval_json_race(tmp_path, capsys, monkeypatch, "--overwrite")  # its table is on stdout
    assert rc == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [f"saliency eval: error: {out}: changed while this command ran (another run "
                                        "with the same output, or a person); nothing was replaced and this run's "
                                        "result was not kept; run again"]
    assert out.read_text() == "the other run's result\n"


def test_atomic_files_refusal_advises_overwrite_only_when_it_was_not_given(tmp_path):
    from saliency.base.fsutil import atomic_files, atomic_path, check_replaceable

    for overwrite in (False, True):
        out = tmp_path / f"t{overwrite}.txt"
        check_replaceable(out, "out", lambda p: True, "a table", overwrite)
        with pytest.raises(UserError) as exc, atomic_path(out) as tmp:
            tmp.write_text("mine")
            out.write_text("theirs")  # appeared meanwhile
        assert exc.value.args[0].endswith("run again" if overwrite else "run again (with `overwrite` to replace it)")
        out.write_text("theirs")
        check_replaceable(out, "out", lambda p: True, "a table", overwrite)
        with pytest.raises(UserError) as exc, atomic_files() as path:
            path(out).write_text("mine")
            out.write_text("theirs, again")  # changed meanwhile
        assert exc.value.args[0].endswith("run again" if overwrite else "run again (with `overwrite` to replace it)")
        assert out.read_text() == "theirs, again"


# -- 3. the refusal names the folder by where it came from (review of 461a598), as the other train refusals do


def _line(who: str, folder) -> str:
    return (f"saliency train: error: {who} {folder}: was replaced while this command read it (another run wrote "
            "it); run again when it is finished")


def _replace_on_fill(monkeypatch, folder: Path, nth: int, rebuild=None) -> None:
    """Replace ``folder`` (as synth --overwrite does) just before the ``nth`` fill_cache (0: train, 1: data.val)."""
    from saliency import datasets as D

    real, calls = D.SaliencyDataset.fill_cache, []

    def fill(self, *a, **k):
        if len(calls) == nth:
            (rebuild or (lambda: _replace(folder, seed=7)))()
        calls.append(1)
        return real(self, *a, **k)

    monkeypatch.setattr(D.SaliencyDataset, "fill_cache", fill)


@pytest.mark.parametrize("given", ["set", "file"])
def test_data_val_replaced_names_set_data_val_or_the_config_file_without_backticks(tmp_path, capsys, monkeypatch,
                                                                                    given):
    data, val, run = make_sod(tmp_path / "P"), make_sod(tmp_path / "V", seed=3), tmp_path / "R"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data:\n  val: {val}\n")
    extra = ["--set", f"data.val={val}"] if given == "set" else ["--config", cfg]
    _replace_on_fill(monkeypatch, val, nth=1)  # the training folder read, the validation folder replaced
    line = refusal(*_train(capsys, data, run, *extra))
    assert line == _line("--set data.val" if given == "set" else f"{cfg}: data.val", val)
    assert "`" not in line and not run.exists()


@pytest.mark.parametrize("flag, named_by", [("--root", "flag"), ("--root", "set"), ("--root", "config"),
                                           ("--data", "set"), ("--data", "config")])
def test_published_dataset_under_root_replaced_names_root_not_data(tmp_path, capsys, monkeypatch, named_by, flag):
    """`--root R` with the dataset named by --dataset, by `--set data.dataset=ECSSD` or by a config file is named
    --root (the last two said --data, RR10); `--data R` with the dataset from --set or a file is named --data (it said
    --root after the first fix, RR11)."""
    root, run = tmp_path / "R", tmp_path / "run"

    def ecssd(seed: int) -> Path:  # ECSSD's own layout: images/ and ground_truth_mask/
        staged = make_sod(tmp_path / f"s{seed}", seed=seed)
        (staged / "stimuli").rename(staged / "images")
        (staged / "masks").rename(staged / "ground_truth_mask")
        return staged

    root.mkdir()
    ecssd(0).rename(root / "ECSSD")

    def replace_ecssd():
        os.rename(root / "ECSSD", tmp_path / "ECSSD.old")
        os.rename(ecssd(7), root / "ECSSD")

    _replace_on_fill(monkeypatch, root, nth=0, rebuild=replace_ecssd)
    (tmp_path / "c.yaml").write_text("data:\n  dataset: ECSSD\n")
    how = {"flag": ["--dataset", "ECSSD"], "set": ["--set", "data.dataset=ECSSD"],
           "config": ["--config", tmp_path / "c.yaml"]}[named_by]
    argv = ["train", *how, flag, root, "--task", "sod", "--out", run, "--epochs", "1", *BASE]
    assert refusal(*run_cli(capsys, argv)) == _line(flag, root)  # the flag as typed (reviews RR10, RR11)
    assert not run.exists()


def test_resumed_run_names_its_config_yaml_not_data(tmp_path, capsys, monkeypatch):
    data, run = make_sod(tmp_path / "P"), tmp_path / "R"
    rc, _, err = _train(capsys, data, run)
    assert rc == 0, err
    _replace_on_fill(monkeypatch, data, nth=0)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert refusal(rc, out, err) == _line(f"{run / 'config.yaml'}: data.root", data)  # data.root: from the run


def test_file_gone_mid_epoch_gives_the_same_line_with_workers_0_and_2(tmp_path, capsys, monkeypatch):
    # workers 0: the loader's error is raised in this process; it lost its flag ("data P: ...") when re-raised
    from saliency import train as T

    real = T.Trainer._optimizer_step
    lines = []
    for workers in ("0", "2"):
        data, run, done = make_sod(tmp_path / f"P{workers}"), tmp_path / f"R{workers}", []

        def step_then_clear(self, *a, **k):
            real(self, *a, **k)
            if not done:  # another run clearing the folder it is about to rewrite, after the first step
                done.append(1)
                for f in (data / "masks").iterdir():
                    f.unlink()

        monkeypatch.setattr(T.Trainer, "_optimizer_step", step_then_clear)
        lines.append(refusal(*_train(capsys, data, run, "--set", "data.cache=false", "--workers", workers)))
        assert lines[-1] == _line("--data", data) and not run.exists()
    assert lines[0].replace("P0", "P2") == lines[1]

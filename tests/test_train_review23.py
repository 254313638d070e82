"""What a resumed run may change, and a schedule that cannot end above its peak (review 23).

1. ``--resume RUN --set data.val=DIR``: a validation folder changed on resume was never checked against the
   training images (a new run's is), split.json's ids were looked up in the new folder, and split.json kept
   naming the old one. Oracle: the refusal line a new run gets, worked out by hand (the run's 3 validation ids
   are training images of the new folder); nothing of the run changes; a moved copy of the validation folder
   is taken and split.json then names it, with the same ids.
2. A run trained by N processes (torchrun) and resumed with another number re-planned its schedule and
   re-trained images; last.pt did not record N. Oracle: last.pt records 1 for a one-process run; a last.pt that
   says 2 is refused in one process with the exact line, exit 2, last.pt byte-identical; a last.pt without the
   record (an older one) resumes as before.
3. ``--set sched.min_lr=0.01`` above ``optim.lr`` 0.003 was accepted and clamped. Oracle: the exact line,
   exit 2, in either order of ``--lr`` and ``--set``; the limit itself (min_lr = lr) and the default min_lr
   above a small ``--lr`` (a run that exists today) are accepted.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from saliency.cli import main
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

ERR = "saliency train: error: "


def one_line(capsys, rc, code=2) -> str:
    """The command returned ``code`` with exactly one stderr line and no traceback; return that line."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == code and len(lines) == 1 and "Traceback" not in err, (rc, err)
    return lines[0]


def _files(run: Path) -> dict:
    """Every file of the run folder, with its bytes."""
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def _train(data, run, *extra):
    return main(["train", "--data", str(data), "--task", "sod", "--out", str(run), "--epochs", "1",
                 "--set", "train.threads=1", *TINY_ARGS, *extra])


# ------------------------------------------------------------------ 1. data.val changed on resume

def test_a_val_folder_changed_on_resume_is_held_out_and_recorded(tmp_path, capsys):
    data = make_sod(tmp_path / "S", n=8)
    val = make_sod(tmp_path / "V", n=3, seed=5)  # ids s0001..s0003: training images' ids in S too
    run = tmp_path / "run"
    assert _train(data, run, "--set", f"data.val={val}") == 0
    split = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert split["val_root"] == str(val) and split["val"] == ["s0001", "s0002", "s0003"]
    before = _files(run)
    capsys.readouterr()

    # the training folder as data.val: the line a new run gets (3 of the run's 3 validation ids are in S)
    line = one_line(capsys, main(["train", "--resume", str(run), "--epochs", "2", "--set", f"data.val={data}",
                                  "--quiet"]))
    assert line == (f"{ERR}config data.val {data}: 3 of its 3 images are training images too (e.g. "
                    f"{data / 'stimuli' / 's0001.png'}); validation must hold images the network is not trained "
                    "on: give a separate folder, or leave data.val out to hold out a seeded share "
                    "(data.val_fraction)")
    assert _files(run) == before  # refused before the run was touched (config.yaml still names V)
    # data.val emptied: the ids would be found among the training images of S
    line = one_line(capsys, main(["train", "--resume", str(run), "--epochs", "2", "--set", "data.val=null",
                                  "--quiet"]))
    assert line == (f"{ERR}--resume: data.val cannot be emptied: the run validates on {val} "
                    f"({run / 'split.json'}) and every image of {data} is a training image; give --set "
                    "data.val=DIR, the folder that holds those 3 validation images now")
    assert _files(run) == before

    # the validation folder moved: taken, and split.json names the folder validated, as config.yaml does
    moved = tmp_path / "V2"
    shutil.copytree(val, moved)
    assert main(["train", "--resume", str(run), "--epochs", "2", "--set", f"data.val={moved}", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "on 8 images" in out and "validated on 3" in out, out
    split2 = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert split2["val_root"] == str(moved)
    assert split2["val"] == split["val"] and split2["train"] == split["train"]
    assert f"val: {moved}" in (run / "config.yaml").read_text(encoding="utf-8")


# ------------------------------------------------------------------ 2. the number of processes

def test_a_resume_with_another_number_of_processes_is_refused(tmp_path, capsys):
    data = make_sod(tmp_path / "S", n=8)
    run = tmp_path / "run"
    assert _train(data, run) == 0
    last = run / "checkpoints" / "last.pt"
    ck = torch.load(last, map_location="cpu", weights_only=True)
    assert ck["world_size"] == 1  # recorded: one process (no torchrun)

    # as if written by torchrun --nproc_per_node 2 (a copy of the run, its last.pt field rewritten)
    ddp = tmp_path / "ddp"
    shutil.copytree(run, ddp)
    torch.save({**ck, "world_size": 2}, ddp / "checkpoints" / "last.pt")
    before = _files(ddp)
    capsys.readouterr()
    line = one_line(capsys, main(["train", "--resume", str(ddp), "--epochs", "2", "--quiet"]))
    assert line == (f"{ERR}--resume {ddp}: {ddp / 'checkpoints' / 'last.pt'} was written by 2 processes and this "
                    "run has 1; the learning-rate schedule and each process's share of an epoch follow that "
                    f"number: resume with 2 processes (e.g. torchrun --nproc_per_node 2 -m saliency train "
                    f"--resume {ddp})")
    assert _files(ddp) == before  # last.pt byte-identical, nothing else written (the lock file gone too)

    # a last.pt of before the record (no world_size): resumed as it always was
    old = tmp_path / "old"
    shutil.copytree(run, old)
    torch.save({k: v for k, v in ck.items() if k != "world_size"}, old / "checkpoints" / "last.pt")
    assert main(["train", "--resume", str(old), "--epochs", "2", "--quiet"]) == 0
    assert "trained 2 epochs" in capsys.readouterr().out
    assert torch.load(old / "checkpoints" / "last.pt", map_location="cpu", weights_only=True)["world_size"] == 1


def test_a_one_process_last_pt_resumed_by_more_processes_is_refused(tmp_path, capsys, monkeypatch):
    """The other direction, without torchrun: the process group's size is made 2 (it is read before anything)."""
    from saliency import distributed

    data = make_sod(tmp_path / "S", n=8)
    run = tmp_path / "run"
    assert _train(data, run) == 0
    before = _files(run)
    capsys.readouterr()
    monkeypatch.setattr(distributed, "init", lambda device_type: distributed.DistInfo(rank=0, world=2))
    line = one_line(capsys, main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]))
    assert line == (f"{ERR}--resume {run}: {run / 'checkpoints' / 'last.pt'} was written by 1 process and this "
                    "run has 2; the learning-rate schedule and each process's share of an epoch follow that "
                    f"number: resume with one process (saliency train --resume {run}, without torchrun)")
    assert _files(run) == before


# ------------------------------------------------------------------ 3. sched.min_lr above optim.lr

TAIL = "sched.min_lr is the final learning rate, optim.lr the peak: give a sched.min_lr of at most"


@pytest.mark.parametrize("args, expected", [
    (["--set", "sched.min_lr=0.01"], f"--set sched.min_lr=0.01: is above config optim.lr=0.003; {TAIL} 0.003"),
    (["--lr", "0.001", "--set", "sched.min_lr=0.002"], f"--set sched.min_lr=0.002: is above --lr 0.001; {TAIL} 0.001"),
    (["--set", "sched.min_lr=0.002", "--lr", "0.001"], f"--set sched.min_lr=0.002: is above --lr 0.001; {TAIL} 0.001"),
    (["--set", "optim.lr=0.001", "--set", "sched.min_lr=0.01"],
     f"--set sched.min_lr=0.01: is above --set optim.lr=0.001; {TAIL} 0.001"),
    # the default's value typed with --set is a choice too (docs review 23: it was clamped silently)
    (["--lr", "1e-5", "--set", "sched.min_lr=3e-5"], f"--set sched.min_lr=3e-05: is above --lr 1e-05; {TAIL} 1e-05"),
])
def test_min_lr_above_lr_is_refused(capsys, args, expected):
    line = one_line(capsys, main(["train", *args, "--print-config"]))
    assert line == f"{ERR}{expected}, or a higher optim.lr"


def test_min_lr_above_lr_from_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text("sched:\n  min_lr: 0.01\n", encoding="utf-8")
    line = one_line(capsys, main(["train", "--config", str(f), "--print-config"]))
    assert line == f"{ERR}{f}: sched.min_lr=0.01: is above config optim.lr=0.003; {TAIL} 0.003, or a higher optim.lr"


@pytest.mark.parametrize("args", [
    ["--set", "sched.min_lr=0.003"],  # the limit: a schedule that stays at the peak
    ["--set", "sched.min_lr=0.01", "--set", "optim.lr=0.02"],  # the order of --set: the final values count
    ["--lr", "1e-5"],  # the default min_lr (3e-5) above a small --lr: the schedule ends at the peak, as before
])
def test_min_lr_at_most_lr_and_the_default_are_accepted(capsys, args):
    assert main(["train", *args, "--print-config"]) == 0


def test_a_config_written_by_train_or_print_config_with_a_small_lr_is_accepted(tmp_path, capsys):
    """Regression review 23: every config.yaml and --print-config writes the default min_lr out, so a run of
    --lr 1e-5 could not be repeated with --config RUN/config.yaml (README's torchrun recipe) and a printed config
    with a lower lr was refused; a constant schedule does not use min_lr at all."""
    assert main(["train", "--lr", "1e-5", "--print-config"]) == 0
    printed = tmp_path / "pc.yaml"
    printed.write_text(capsys.readouterr().out, encoding="utf-8")
    assert "min_lr: 3.0e-05" in printed.read_text(encoding="utf-8") or "min_lr: 3e-05" in printed.read_text()
    assert main(["train", "--config", str(printed), "--print-config"]) == 0
    assert main(["train", "--lr", "1e-5", "--set", "sched.name=constant", "--set", "sched.min_lr=0.01",
                 "--print-config"]) == 0


def test_a_resumed_run_of_before_the_check_still_resumes(tmp_path, capsys):
    """A run whose config.yaml holds min_lr above lr (accepted when it started; neither can change on resume)."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    (run / "config.yaml").write_text("task: sod\noptim:\n  lr: 0.001\nsched:\n  min_lr: 0.01\n", encoding="utf-8")
    assert main(["train", "--resume", str(run), "--print-config"]) == 0
    assert "min_lr: 0.01" in capsys.readouterr().out


# ------------------------------------------------------------------ 4. --overwrite of a run holding a user's files

def test_overwrite_refuses_a_run_folder_holding_a_users_files_and_replaces_its_own(tmp_path, capsys):
    """``train --overwrite`` replaced the old run folder whole, a user's notes in it included (review 23: every
    other folder output refuses what it did not write). Oracle: the run layout of saliency/train.py's docstring;
    the exact line (count, first three entries, outermost first), exit 2, every file byte-identical; a run
    holding only its own layout is replaced."""
    data = make_sod(tmp_path / "S", n=6)
    run = tmp_path / "run"
    assert _train(data, run) == 0
    (run / "notes.txt").write_text("mine", encoding="utf-8")
    (run / "checkpoints" / "my_copy.pt").write_bytes(b"x")
    (run / "analysis").mkdir()
    (run / "analysis" / "fig.png").write_bytes(b"png")
    (run / "zz.txt").write_text("mine", encoding="utf-8")
    before = _files(run)
    capsys.readouterr()
    line = one_line(capsys, _train(data, run, "--overwrite"))
    assert line == (f"{ERR}--out {run}: holds 4 entries saliency train did not write ({run}/analysis, "
                    f"{run}/checkpoints/my_copy.pt, {run}/notes.txt, ...); move them out or choose another folder")
    assert _files(run) == before
    for extra in ("notes.txt", "checkpoints/my_copy.pt", "analysis", "zz.txt"):
        p = run / extra
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    (run / "checkpoints" / ".last.pt.abc123.tmp").write_bytes(b"cut")  # debris of a killed write: the run's
    assert main(["report", str(run), "--quiet"]) == 0  # report's default --out is the run: saliency's, replaced
    assert (run / "report.md").is_file() and (run / "assets").is_dir()
    (run / "assets" / "notes.txt").write_text("mine", encoding="utf-8")  # but a user's file in its assets/ is not
    before = _files(run)
    capsys.readouterr()
    line = one_line(capsys, _train(data, run, "--overwrite"))
    assert line == (f"{ERR}--out {run}: holds 1 entry saliency train did not write ({run}/assets/notes.txt); "
                    "move it out or choose another folder")
    assert _files(run) == before
    (run / "assets" / "notes.txt").unlink()
    assert _train(data, run, "--overwrite") == 0
    assert not (run / "checkpoints" / ".last.pt.abc123.tmp").exists() and (run / "checkpoints" / "last.pt").is_file()

"""Training options that were ignored, a Ctrl-C after the last epoch, a corrupt last.pt on resume (review 27).

1. ``--set optim.nesterov=true`` with AdamW and ``--set sched.power=5`` with a cosine schedule were taken,
   written into config.yaml and ignored (saliency.optim reads nesterov for SGD only, power for poly only).
   Oracle: the exact refusal lines, exit 2 (hand-written); SGD with momentum and the poly schedule take them;
   a file's default values (what config.yaml and --print-config write) are no choice and pass; a resumed run's
   own config.yaml is not judged again.
2. A SIGINT that came while the last epoch was validated (so after its last optimiser step) stopped with exit
   130 and "continue with: saliency train --resume" although the run was complete; with ``--overwrite`` the
   finished new run was thrown away and the old one put back. Oracle: exit 0, metrics.csv holds every epoch,
   last.pt the last epoch, the old run is gone; a SIGINT in an earlier epoch's validation still stops (130).
3. A corrupt RUN/checkpoints/last.pt on ``--resume`` gave torch's message cut mid-phrase and the advice to give
   RUN/checkpoints/best.pt, which --resume cannot take. Oracle: one line naming last.pt, a reason that is whole
   words of torch's first sentence, the remedies of a resume; the run folder byte-identical.
4. ``--resume RUN --lr 0.1`` was refused naming the config key ("(got optim.lr)"), not the flag typed.
   Oracle: the exact line naming --lr (--pretrained-file once, not the --pretrained it implies); the library
   names the parameters.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
from pathlib import Path

import pytest
import torch

from saliency.base.errors import UserError
from saliency.cli import main
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

ERR = "saliency train: error: "
ARGS = [*(a if a != "train.grid_images=2" else "train.grid_images=0" for a in TINY_ARGS), "--set", "train.threads=1"]


def one_line(capsys, rc, code=2) -> str:
    """The command returned ``code`` with exactly one stderr line and no traceback; return that line."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == code and len(lines) == 1 and "Traceback" not in err, (rc, err)
    return lines[0]


def _files(run: Path) -> dict:
    """Every file of the run folder (hidden ones too), with its bytes."""
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def _train(data, run, epochs, *extra):
    return main(["train", "--data", str(data), "--task", "sod", "--out", str(run), "--epochs", str(epochs),
                 *ARGS, *extra])


def _epochs(run: Path) -> list[int]:
    with open(run / "metrics.csv", newline="", encoding="utf-8") as fh:
        return [int(r["epoch"]) for r in csv.DictReader(fh)]


# ------------------------------------------------------------------ 1. options the optimiser or schedule ignores

@pytest.mark.parametrize("args, expected", [
    (["--set", "optim.nesterov=true"],
     "--set optim.nesterov=True: Nesterov momentum is SGD's, and config optim.name='adamw' is not sgd (it would be "
     "ignored); set optim.name=sgd too, or leave optim.nesterov out"),
    (["--set", "optim.name=adamw", "--set", "optim.nesterov=true"],
     "--set optim.nesterov=True: Nesterov momentum is SGD's, and --set optim.name='adamw' is not sgd (it would be "
     "ignored); set optim.name=sgd too, or leave optim.nesterov out"),
    (["--set", "optim.name=sgd", "--set", "optim.momentum=0", "--set", "optim.nesterov=true"],
     "--set optim.nesterov=True: Nesterov momentum needs momentum, and --set optim.momentum=0.0 has none; give an "
     "optim.momentum above 0, or leave optim.nesterov out"),
    (["--set", "sched.power=5"],
     "--set sched.power=5.0: is the poly schedule's exponent, and config sched.name='cosine' does not use it; set "
     "sched.name=poly too, or leave sched.power out"),
    (["--set", "sched.name=constant", "--set", "sched.power=0.9"],  # the default typed is a choice too
     "--set sched.power=0.9: is the poly schedule's exponent, and --set sched.name='constant' does not use it; set "
     "sched.name=poly too, or leave sched.power out"),
])
def test_an_option_the_optimiser_or_schedule_ignores_is_refused(capsys, args, expected):
    assert one_line(capsys, main(["train", *args, "--print-config"])) == ERR + expected


def test_the_review_command_is_refused_before_a_run_folder_exists(tmp_path, capsys):
    data = make_sod(tmp_path / "S", n=6)
    run = tmp_path / "runN"
    line = one_line(capsys, _train(data, run, 1, "--set", "optim.nesterov=true", "--set", "sched.power=5"))
    assert line.startswith(ERR + "--set optim.nesterov=True: Nesterov momentum is SGD's")
    assert not run.exists()


def test_a_file_choosing_them_is_refused_and_its_defaults_pass(tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text("sched:\n  power: 5\n", encoding="utf-8")
    assert one_line(capsys, main(["train", "--config", str(f), "--print-config"])) == (
        f"{ERR}{f}: sched.power=5.0: is the poly schedule's exponent, and config sched.name='cosine' does not use "
        "it; set sched.name=poly too, or leave sched.power out")
    f.write_text("optim:\n  name: adamw\n  nesterov: true\n", encoding="utf-8")
    assert one_line(capsys, main(["train", "--config", str(f), "--print-config"])) == (
        f"{ERR}{f}: optim.nesterov=True: Nesterov momentum is SGD's, and {f}: optim.name='adamw' is not sgd (it "
        "would be ignored); set optim.name=sgd too, or leave optim.nesterov out")
    # what --print-config writes (every default: nesterov false, power 0.9 with cosine) is no choice
    assert main(["train", "--print-config", "--lr", "0.01"]) == 0
    f.write_text(capsys.readouterr().out, encoding="utf-8")
    assert "power: 0.9" in f.read_text(encoding="utf-8") and "nesterov: false" in f.read_text(encoding="utf-8")
    assert main(["train", "--config", str(f), "--print-config"]) == 0


@pytest.mark.parametrize("args, key, value", [
    (["--set", "optim.name=sgd", "--set", "optim.nesterov=true"], "nesterov", True),
    (["--set", "sched.name=poly", "--set", "sched.power=5"], "power", 5.0),
    (["--set", "optim.nesterov=false"], "nesterov", False),  # AdamW without Nesterov: nothing ignored
])
def test_the_optimiser_or_schedule_that_uses_them_takes_them(capsys, args, key, value):
    import yaml

    assert main(["train", *args, "--print-config"]) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["optim" if key == "nesterov" else "sched"][key] == value


def test_a_resumed_run_of_before_the_check_is_not_judged_again(tmp_path, capsys):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    (run / "config.yaml").write_text("task: sod\noptim:\n  nesterov: true\nsched:\n  power: 5\n", encoding="utf-8")
    assert main(["train", "--resume", str(run), "--print-config"]) == 0
    out = capsys.readouterr().out
    assert "nesterov: true" in out and "power: 5" in out


# ------------------------------------------------------------------ 2. a signal after the last epoch's checkpoint

def _sigint_in_validation(monkeypatch, at_epoch: int) -> list:
    """Make the validation of epoch ``at_epoch`` (1-based) send this process a SIGINT, as a Ctrl-C would."""
    import saliency.train as T

    orig, sent = T.Trainer.validate, []

    def validate(self, epoch):
        if epoch + 1 == at_epoch:
            os.kill(os.getpid(), signal.SIGINT)
            sent.append(epoch + 1)
        return orig(self, epoch)

    monkeypatch.setattr(T.Trainer, "validate", validate)
    return sent


def test_a_ctrl_c_during_the_last_validation_finishes_the_run_and_replaces_the_old(tmp_path, capsys, monkeypatch):
    data = make_sod(tmp_path / "S", n=6)
    run = tmp_path / "run"
    assert _train(data, run, 1, "--seed", "7") == 0
    old_last = (run / "checkpoints" / "last.pt").read_bytes()
    capsys.readouterr()
    sent = _sigint_in_validation(monkeypatch, at_epoch=2)
    rc = _train(data, run, 2, "--overwrite")
    out, err = capsys.readouterr()
    assert sent == [2] and rc == 0, (rc, err)
    assert "--resume" not in err and "trained 2 epochs" in out
    assert "note: SIGINT came after the last epoch was saved; the run is complete" in out
    assert _epochs(run) == [1, 2]
    ck = torch.load(run / "checkpoints" / "last.pt", map_location="cpu", weights_only=True)
    assert ck["epoch"] == 2 and ck["batch_in_epoch"] == 0 and ck["train_config"]["train"]["seed"] == 0
    assert (run / "checkpoints" / "last.pt").read_bytes() != old_last
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S", "run"]  # the old run set aside is gone


def test_a_ctrl_c_during_an_earlier_validation_still_stops(tmp_path, capsys, monkeypatch):
    data = make_sod(tmp_path / "S", n=6)
    run = tmp_path / "run"
    _sigint_in_validation(monkeypatch, at_epoch=1)
    rc = _train(data, run, 2)
    err = capsys.readouterr().err
    assert rc == 128 + signal.SIGINT and f"continue with: saliency train --resume {run}" in err, (rc, err)
    assert _epochs(run) == [1]
    ck = torch.load(run / "checkpoints" / "last.pt", map_location="cpu", weights_only=True)
    assert ck["epoch"] == 1 and ck["batch_in_epoch"] == 0


# ------------------------------------------------------------------ 3. a corrupt last.pt on resume

@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory):
    base = tmp_path_factory.mktemp("r27")
    data = make_sod(base / "S", n=6)
    run = base / "run"
    assert _train(data, run, 1) == 0
    return data, run


def _resume_refused(capsys, run: Path) -> str:
    """``--resume RUN --epochs 2`` refused in one line; the run folder byte-identical; the reason in it."""
    before = _files(run)
    capsys.readouterr()
    line = one_line(capsys, main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]))
    assert _files(run) == before
    last = run / "checkpoints" / "last.pt"
    head = f"{ERR}--resume {run}: {last} cannot be read ("
    tail = (f"); start the run again with the same options and --out {run} with --overwrite, or put back an "
            f"intact copy of {last}")
    assert line.startswith(head) and line.endswith(tail), line
    return line[len(head):-len(tail)]


def test_a_cut_last_pt_on_resume_names_it_and_what_to_do(tmp_path, capsys, one_epoch):
    run = tmp_path / "run"
    shutil.copytree(one_epoch[1], run)
    last = run / "checkpoints" / "last.pt"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    with pytest.raises(Exception) as torch_exc:  # torch's own words, the oracle of the reason
        torch.load(last, map_location="cpu", weights_only=True)
    reason = _resume_refused(capsys, run)
    said = " ".join(str(torch_exc.value).split())
    # whole words of torch's first sentence: the sentence itself or cut after a word (then marked ...)
    first = said.split(". ")[0].rstrip(".")
    assert reason == first or (reason.endswith(" ...") and (first + " ").startswith(reason[:-4] + " ")), reason
    assert "best.pt" not in reason and len(reason) <= 124


@pytest.mark.parametrize("content, reason", [
    (b"", "the file is empty"),
    ("list", "expected a dict with 'config' and 'state_dict'"),
])
def test_an_empty_or_foreign_last_pt_on_resume(tmp_path, capsys, one_epoch, content, reason):
    run = tmp_path / "run"
    shutil.copytree(one_epoch[1], run)
    last = run / "checkpoints" / "last.pt"
    if content == "list":
        torch.save([1, 2], last)
    else:
        last.write_bytes(content)
    assert _resume_refused(capsys, run) == reason


def test_a_long_reason_is_cut_at_a_word():
    from saliency.train import _unreadable_reason

    path = Path("RUN/checkpoints/last.pt")
    try:
        try:
            raise RuntimeError("alpha " * 30 + "omega. A second sentence")
        except RuntimeError:
            raise UserError(f"{path}: cannot read it") from None
    except UserError as exc:
        got = _unreadable_reason(exc, path)
    assert got == " ".join(["alpha"] * 20) + " ..."  # 20 words = 119 characters, the 21st passes 120
    try:
        try:
            raise RuntimeError("Short reason. Then more")
        except RuntimeError:
            raise UserError(f"{path}: cannot read it") from None
    except UserError as exc:
        assert _unreadable_reason(exc, path) == "Short reason"


# ------------------------------------------------------------------ 4. the resume refusal names the flags typed

@pytest.mark.parametrize("args, got", [
    (["--lr", "0.1"], "--lr"),
    (["--seed", "3", "--batch-size", "4"], "--batch-size, --seed"),
    (["--pretrained-file", "w.pth", "--model", "unet_tiny_cbam_sod"], "--model, --pretrained-file"),
])
def test_the_resume_refusal_names_the_flags_typed(tmp_path, capsys, args, got):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    (run / "config.yaml").write_text("task: sod\n", encoding="utf-8")
    before = _files(run)
    assert one_line(capsys, main(["train", "--resume", str(run), *args])) == (
        f"{ERR}--resume: the run's config is fixed; only --epochs, --device, --workers, --data, --deterministic "
        f"and --set may change (got {got})")
    assert _files(run) == before


def test_the_library_names_the_parameters_and_set_for_a_key_without_flag(tmp_path):
    from saliency.train import prepare_run

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    (run / "config.yaml").write_text("task: sod\n", encoding="utf-8")
    with pytest.raises(UserError) as exc:
        prepare_run({"optim.lr": 0.1, "loss.name": "bce"}, resume=run)
    assert exc.value.render(lambda p: {"overrides": "--set"}.get(p, "--" + p.replace("_", "-"))).endswith(
        "may change (got --lr, --set loss.name)")
    assert str(exc.value).endswith("may change (got lr, overrides loss.name)")


def test_a_cut_checkpoint_outside_resume_names_torchs_first_sentence(tmp_path):
    """``read_checkpoint`` (predict, crop, export) gives torch's first sentence, never a phrase cut mid-way.

    Oracle: torch's own message for a zip cut short, 'PytorchStreamReader failed reading zip archive: failed
    finding central directory. This is an internal miniz error. ...' (several sentences of advice, which the
    200-character cut ended at 'your checkpoint file is').
    """
    import torch

    from saliency.base.errors import UserError
    from saliency.models.registry import read_checkpoint

    whole = tmp_path / "whole.pt"
    torch.save({"a": torch.zeros(100_000)}, whole)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(whole.read_bytes()[:100_000])
    with pytest.raises(UserError) as info:
        read_checkpoint(cut)
    msg = str(info.value)
    assert "(PytorchStreamReader failed reading zip archive: failed finding central directory); give" in msg, msg
    assert "likelihood" not in msg and "\n" not in msg

"""Review 25: what ``saliency demo`` and ``saliency train --overwrite`` remove is only what they wrote.

1. ``saliency demo`` (with or without ``--fresh``) removed every hidden ``.*.tmp`` file and ``.*.partial``
   folder two levels down its folder: a user's ``D/.session.tmp``, ``D/notes/.draft.tmp`` and
   ``D/notes/deep/.cache.partial/`` went without a word (``demo.clear_partials``). Now only the staging names
   the toolkit makes (``.NAME.XXXXXXXX.partial`` / ``.NAME.XXXXXXXX.tmp``, NAME an entry the demo writes, in
   the folder where it writes NAME) are removed. Oracle: the sha256 of every user file, before and after; the
   leftovers made the way ``fsutil.atomic_path`` and ``fsutil.staged_dir`` name them are gone.
2. ``saliency train --overwrite`` took a ``RUN/tensorboard/`` folder whole as the run's, so a user's
   ``tensorboard/notes.txt`` (the earlier run had tensorboard off) was deleted. Now only TensorBoard's event
   files (``events.out.tfevents.*``: the run calls only ``SummaryWriter.add_scalar``, which writes nothing
   else) are the run's. Oracle: the exact refusal line, exit 2, the old run byte for byte.

The demo's stages never run here (a whole demo takes minutes): ``Demo.run`` is replaced by an interruption,
so the command does everything up to its first stage, the clean-up included.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import pytest

from saliency.base.fsutil import short_name
from saliency.cli import main
from saliency.demo import LAYOUT_VERSION, Demo, Interrupted, clear_partials, make_profile
from saliency.train import foreign_run_entries
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)


def _hashes(root: Path) -> dict:
    """sha256 of every file under ``root``, by relative path."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _write(root: Path, rel: str, data: bytes = b"mine\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _staged_file(folder: Path, target: str) -> Path:
    """A killed ``atomic_path`` write of ``folder/target``: named as fsutil names it (``mkstemp``)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{short_name(target)}.", suffix=".tmp", dir=folder)
    with open(fd, "wb") as f:
        f.write(b"half written")
    return Path(tmp)


def _staged_dir(folder: Path, target: str) -> Path:
    """A killed ``staged_dir`` build of ``folder/target``: named as fsutil names it (``mkdtemp``), with a file."""
    folder.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{short_name(target)}.", suffix=".partial", dir=folder))
    (stage / "half.png").write_bytes(b"half built")
    return stage


def _user_files(out: Path, inside_own: bool = True) -> None:
    """The reviewer's hidden files of the user's, and more of the same kind where the demo writes nothing."""
    _write(out, ".session.tmp", b"s\n")
    _write(out, "notes/.draft.tmp", b"draft\n")
    _write(out, "notes/deep/.cache.partial/data.bin", b"data\n")
    _write(out, "notes/.study.abcdefgh.partial/kept.txt")  # named like a staging of study, but in the user's folder
    _write(out, ".study.tmp")  # no random part: not a name tempfile gives
    _write(out, ".mine.abcdefgh.tmp")  # "mine" is no entry of the demo
    if inside_own:  # (--fresh removes the demo's own folders whole: not there)
        _write(out, "study/.backup.tmp")  # inside an own folder, but no entry the demo writes there
        _write(out, "eval/.sod.json.tmp")  # beside eval's sod.json, but no random part


def _demo_leftovers(out: Path) -> list[Path]:
    """What a killed demo leaves, named as the toolkit names it, where its layout puts each."""
    return [_staged_dir(out, "study"), _staged_file(out, "demo.json"), _staged_dir(out / "preds", "sod"),
            _staged_file(out / "eval", "sod.json"), _staged_file(out / "eval" / "curves", "heldout_pr.png"),
            _staged_file(out / "runs" / "sod", "metrics.csv"),
            _staged_file(out / "runs" / "sod" / "checkpoints", "last.pt")]


def _record(out: Path) -> None:
    """A demo's demo.json with the settings of ``--quick`` (so the command reuses the folder)."""
    settings = {"layout": LAYOUT_VERSION, "profile": asdict(make_profile(quick=True))}
    out.mkdir(parents=True, exist_ok=True)
    (out / "demo.json").write_text(json.dumps({"settings": settings, "stages": {}}), encoding="utf-8")


def test_clear_partials_keeps_the_users_hidden_files_and_removes_the_demos_staging(tmp_path):
    out = tmp_path / "D"
    _record(out)
    _user_files(out)
    before = _hashes(out)
    leftovers = _demo_leftovers(out)
    assert all(p.exists() for p in leftovers)
    clear_partials(out)
    assert _hashes(out) == before  # every user file byte for byte, and nothing else left of the demo's staging
    assert [p for p in leftovers if p.exists()] == []


@pytest.mark.parametrize("fresh", [False, True])
def test_the_demo_command_keeps_the_users_hidden_files(tmp_path, monkeypatch, capsys, fresh):
    """The reviewer's case through ``saliency demo`` (the stages stopped at the first: Ctrl-C, exit 130)."""
    def interrupted(self):
        raise Interrupted("study")

    monkeypatch.setattr(Demo, "run", interrupted)
    out = tmp_path / "D"
    _record(out)
    _user_files(out, inside_own=not fresh)
    before = {k: v for k, v in _hashes(out).items() if k != "demo.json"}  # demo.json: the demo's, rewritten
    leftovers = _demo_leftovers(out)
    argv = ["demo", "--out", str(out), "--quick", "--device", "cpu", "--quiet"] + (["--fresh"] if fresh else [])
    assert main(argv) == 130
    assert "interrupted during stage study" in capsys.readouterr().err
    assert {k: v for k, v in _hashes(out).items() if k != "demo.json"} == before
    assert [p for p in leftovers if p.exists()] == []


def test_train_overwrite_refuses_a_users_file_in_tensorboard(tmp_path, capsys):
    """The earlier run had tensorboard off, so no run made RUN/tensorboard/: what is in it is the user's."""
    data = make_sod(tmp_path / "S", n=8)
    run = tmp_path / "run"
    argv = ["train", "--data", str(data), "--task", "sod", "--out", str(run), "--epochs", "1",
            "--set", "train.threads=1", *TINY_ARGS]
    assert main(argv) == 0
    _write(run, "tensorboard/notes.txt", b"my notes\n")
    before = _hashes(run)
    capsys.readouterr()
    assert main([*argv, "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err == (f"saliency train: error: --out {run}: holds 1 entry saliency train did not write "
                   f"({run}/tensorboard/notes.txt); move it out or choose another folder\n")
    assert _hashes(run) == before  # the old run untouched, the user's notes included
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S", "run"]  # no .run.old-* set aside


def test_only_tensorboards_event_files_are_the_runs(tmp_path):
    run = tmp_path / "run"
    _write(run, "config.yaml", b"model: x\n")
    _write(run, "tensorboard/events.out.tfevents.1733300000.host.1234.0", b"\x00")  # SummaryWriter's name
    assert foreign_run_entries(run) == []
    _write(run, "tensorboard/plots/fig.png")  # a folder: SummaryWriter.add_scalar makes none
    _write(run, "tensorboard/.notes.tmp")  # TensorBoard writes in place: a hidden .tmp there is the user's
    _write(run, "tensorboard/notes.txt")
    assert foreign_run_entries(run) == ["tensorboard/.notes.tmp", "tensorboard/notes.txt", "tensorboard/plots"]

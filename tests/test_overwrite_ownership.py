"""``--overwrite`` of a folder output replaces only what a saliency command wrote there (review finding 1).

``synth``, ``ingest``, ``detect``, ``predict`` (``--out`` and ``--log-density``)
and ``crop`` build their folder in a staging folder and swap it in whole; with
``--overwrite`` the swap deleted a file the user had put into the old folder
(``O/keep.txt``, ``O/sub/``) and exited 0. Each folder now carries the hidden
mark ``.saliency-output.json`` listing what the command wrote; a non-empty
folder holding anything else, or no mark at all (another program's, or an
output of a version from before the mark), is refused in one line before any
work, untouched. Every case runs the real command in-process
(``saliency.cli.main``) on a small synthetic study; the expected lines are
written out by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest

from saliency.base import fsutil
from saliency.cli import main

from ingest_fakes import study  # noqa: F401 (a module fixture: a small synthetic study)

MARK = ".saliency-output.json"
EARLIER = (" and no mark of a saliency output (.saliency-output.json; outputs of earlier versions of saliency carry "
           "none and must be removed by hand once)")


def _argv(command: str, study: Path, out: Path, tmp_path: Path) -> list[str]:
    """The command line writing the folder ``out`` with ``--overwrite``."""
    s = str(study)
    return {
        "synth": ["synth", "--scenes", "2", "--subjects", "1", "--size", "64x48", "--out", str(out)],
        "ingest": ["ingest", f"{s}/logs/samples.csv", "--stimuli", f"{s}/stimuli", "--geometry", f"{s}/screen.json",
                   "--out", str(out)],
        "detect": ["detect", f"{s}/logs/samples.csv", "--geometry", f"{s}/screen.json", "--out", str(out)],
        "predict": ["predict", "--baseline", "gaussian-centre", "--images", f"{s}/stimuli", "--out", str(out)],
        "log-density": ["predict", "--baseline", "gaussian-centre", "--images", f"{s}/stimuli", "--out",
                        str(tmp_path / "maps"), "--log-density", str(out)],
        "crop": ["crop", "--images", f"{s}/stimuli", "--maps", f"{s}/masks", "--aspect", "1:1", "--out", str(out)],
    }[command] + ["--quiet", "--overwrite"]


COMMANDS = ["synth", "ingest", "detect", "predict", "log-density", "crop"]
#: a folder each command writes inside its output (None: its output is flat)
OWN_SUB = {"synth": "stimuli", "ingest": "maps", "detect": None, "predict": None, "log-density": None, "crop": None}


def _flag(command: str) -> str:
    return "--log-density" if command == "log-density" else "--out"


def _name(command: str) -> str:
    return "predict" if command == "log-density" else command


def _snapshot(folder: Path) -> dict:
    """Every file and folder under ``folder`` (hidden ones included) with its bytes (None for a folder)."""
    return {p.relative_to(folder).as_posix(): (None if p.is_dir() else p.read_bytes())
            for p in sorted(folder.rglob("*"))}


def _debris(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _error(capsys, rc) -> str:
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _written(folder: Path) -> set[str]:
    """What ``folder`` holds besides its mark, as the mark lists it: relative POSIX paths, folders ending in '/'."""
    return {p.relative_to(folder).as_posix() + ("/" if p.is_dir() else "") for p in folder.rglob("*")
            if p.name != MARK or p.parent != folder}


@pytest.mark.parametrize("command", COMMANDS)
def test_foreign_entries_refuse_overwrite_and_stay(study, tmp_path, capsys, command):
    """A file at the top, a folder of the user's and a file inside the command's own folder: refused, untouched."""
    out = tmp_path / "O"
    argv = _argv(command, study, out, tmp_path)
    assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    (out / "keep.txt").write_text("mine\n")
    (out / "sub").mkdir()
    (out / "sub" / "notes.txt").write_text("mine\n")
    foreign = [f"{out}/keep.txt", f"{out}/sub"]
    if OWN_SUB[command]:
        (out / OWN_SUB[command] / "mine.txt").write_text("mine\n")
        foreign.insert(1, f"{out}/{OWN_SUB[command]}/mine.txt")
    before = _snapshot(out)
    err = _error(capsys, main(argv))
    n = len(foreign)
    assert err == (f"saliency {_name(command)}: error: {_flag(command)} {out}: holds {n} entries saliency did not "
                   f"write ({', '.join(foreign)}); move them out or choose another folder\n")
    assert _snapshot(out) == before and _debris(tmp_path) == []
    # one foreign file: the singular
    (out / "sub" / "notes.txt").unlink()
    (out / "sub").rmdir()
    if OWN_SUB[command]:
        (out / OWN_SUB[command] / "mine.txt").unlink()
    err = _error(capsys, main(argv))
    assert err == (f"saliency {_name(command)}: error: {_flag(command)} {out}: holds 1 entry saliency did not "
                   f"write ({out}/keep.txt); move it out or choose another folder\n")
    assert (out / "keep.txt").read_text() == "mine\n"
    # moved out: the command's own folder is replaced again
    (out / "keep.txt").unlink()
    assert main(argv) == 0, capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_own_earlier_output_is_replaced_and_marked(study, tmp_path, capsys, command):
    """What the command wrote (even a file of it the user changed) is replaced; the mark lists every entry."""
    out = tmp_path / "O"
    argv = _argv(command, study, out, tmp_path)
    assert main(argv) == 0, capsys.readouterr().err
    mark = json.loads((out / MARK).read_text(encoding="utf-8"))
    assert mark["mark"] == "saliency output folder"
    assert set(mark["entries"]) == _written(out) and len(mark["entries"]) == len(set(mark["entries"]))
    victim = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MARK)[0]
    victim.write_bytes(b"stale")
    assert main(argv) == 0, capsys.readouterr().err
    assert victim.read_bytes() != b"stale" and _debris(tmp_path) == []
    assert set(json.loads((out / MARK).read_text(encoding="utf-8"))["entries"]) == _written(out)


@pytest.mark.parametrize("command", COMMANDS)
def test_folder_without_a_mark_is_refused(study, tmp_path, capsys, command):
    """Another program's folder, or an output of a version from before the mark: refused whole, untouched."""
    out = tmp_path / "O"
    (out / "old").mkdir(parents=True)
    (out / "a.png").write_bytes(b"an earlier map")
    (out / "old" / "b.png").write_bytes(b"another")
    (out / "readme.md").write_text("notes\n")
    (out / "z.csv").write_text("x\n")
    before = _snapshot(out)
    err = _error(capsys, main(_argv(command, study, out, tmp_path)))
    assert err == (f"saliency {_name(command)}: error: {_flag(command)} {out}: holds 4 entries saliency did not "
                   f"write ({out}/a.png, {out}/old, {out}/readme.md, ...){EARLIER}; move them out or choose "
                   "another folder\n")
    assert _snapshot(out) == before and _debris(tmp_path) == []
    # a mark of the wrong shape (a user's file of that name) is no mark: it counts among the entries
    for p in (out / "old" / "b.png", out / "a.png", out / "readme.md", out / "z.csv"):
        p.unlink()
    (out / "old").rmdir()
    (out / MARK).write_text('{"mark": "something else", "entries": []}\n')
    err = _error(capsys, main(_argv(command, study, out, tmp_path)))
    assert err == (f"saliency {_name(command)}: error: {_flag(command)} {out}: holds 1 entry saliency did not "
                   f"write ({out}/{MARK}){EARLIER}; move it out or choose another folder\n")
    assert (out / MARK).read_text() == '{"mark": "something else", "entries": []}\n'


@pytest.mark.parametrize("command", ["synth", "ingest", "detect", "predict", "crop"])
def test_a_file_added_while_the_run_works_is_kept(study, tmp_path, capsys, monkeypatch, command):
    """A file put into the own output folder while the command writes: kept, this run's result discarded, one line."""
    out = tmp_path / "O"
    argv = _argv(command, study, out, tmp_path)
    assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    before = _snapshot(out)
    real = fsutil.staged_dir

    def late(folder, *args, **kwargs):  # the command works in the stage; a person adds a file meanwhile
        with real(folder, *args, **kwargs) as stage:
            yield stage
            (out / "late.txt").write_text("mine\n")

    monkeypatch.setattr(fsutil, "staged_dir", contextlib.contextmanager(late))
    monkeypatch.setattr("saliency.detect.staged_dir", contextlib.contextmanager(late))  # imported at its top
    err = _error(capsys, main(argv))
    assert err == (f"saliency {command}: error: --out {out}: holds 1 entry saliency did not write ({out}/late.txt), "
                   "put there while this run was writing; it was left as it is and this run's result was not kept; "
                   "move it out and run again, or choose another folder\n")
    assert _snapshot(out) == {**before, "late.txt": b"mine\n"} and _debris(tmp_path) == []


def test_readers_ignore_the_mark(study, tmp_path, capsys):
    """An output read as input (eval --pred/--gt, crop --images/--maps): the mark is neither read nor left out."""
    maps, ds = tmp_path / "P", tmp_path / "I"
    assert main(_argv("predict", study, maps, tmp_path)) == 0
    assert main(_argv("ingest", study, ds, tmp_path)) == 0
    assert (maps / MARK).is_file() and (ds / MARK).is_file()
    capsys.readouterr()
    js = tmp_path / "e.json"
    assert main(["eval", "--task", "fixation", "--pred", str(maps), "--gt", str(ds), "--json", str(js),
                 "--quiet"]) == 0
    shown = capsys.readouterr().out
    assert "- P: 6 images\n" in shown and "left out" not in shown
    (res,) = json.loads(js.read_text(encoding="utf-8"))["results"]
    assert (res["n_images"], res["left_out_files"], res["extra_predictions"]) == (6, [], [])
    rc = main(["crop", "--images", str(maps), "--maps", str(maps), "--aspect", "1:1", "--out", str(tmp_path / "C"),
               "--quiet"])
    shown = capsys.readouterr()
    assert rc == 0 and "left out" not in shown.out + shown.err
    assert sorted(os.listdir(tmp_path / "C")) == [MARK, "crops.json", *sorted(os.listdir(study / "stimuli"))]

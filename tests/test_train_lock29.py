"""The run lock of ``saliency train`` (review R10).

- ``--overwrite`` set the old run aside before claiming the folder: a plain ``train --out R`` started then found R
  empty and took it, and the refused ``--overwrite`` run's clean-up deleted that live run's folder (its lock too)
  and put the old run back under it. The old run is now claimed first and R is never left empty and unclaimed;
  the clean-up puts the old run back only into a folder that holds nothing but this process's own lock.
- a lock naming a pid that is alive but another process now (reused after a reboot) blocked the run for good:
  the lock records the process start time, and a mismatch is stale.
- ``--resume R`` after ``train --overwrite`` was killed outright names the hidden ``.R.old-*`` holding the old run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli_fakes import refusal, run_cli
from train_fakes import make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

BASE = ["--device", "cpu", "--quiet", "--set", "data.size=[48,64]", "--set", "train.grid_images=0",
        "--set", "train.tensorboard=false", "--epochs", "1", "--batch-size", "3", "--task", "sod"]

# a second `saliency train --out R` (its set-up steps, as prepare_run takes them), polling until R is an empty
# folder (as --overwrite's set-up left it), then claiming R, writing into it and staying alive until told to stop
INTRUDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from saliency.base.fsutil import check_out_dir, make_folders
    from saliency.train import _check_unclaimed, claim_run, release_run
    run, stop = Path(sys.argv[1]), Path(sys.argv[2])
    print("ready", flush=True)
    end = time.time() + 60
    while time.time() < end and not stop.exists():
        try:
            if run.is_dir() and not any(run.iterdir()):
                _check_unclaimed(run, "out")
                check_out_dir(run, False, own_only=False)
                make_folders(run, [], "out")
                claim_run(run, "out")
                (run / "theirs.txt").write_text("a live run")
                print("claimed", flush=True)
                while not stop.exists() and time.time() < end:
                    time.sleep(0.05)
                release_run(run)
                break
        except Exception as exc:
            print("refused", exc, flush=True)
        time.sleep(0.002)
""")


@pytest.fixture(scope="module")
def sod(tmp_path_factory):
    return make_sod(tmp_path_factory.mktemp("sod") / "S")


def _old_run(run: Path) -> dict:
    """A run folder's own files (what --overwrite replaces), by name."""
    run.mkdir()
    files = {"config.yaml": "task: sod\n", "metrics.csv": "epoch,loss\n1,0.5\n", "checkpoints/last.pt": "old"}
    for name, text in files.items():
        (run / name).parent.mkdir(exist_ok=True)
        (run / name).write_text(text)
    return files


def _start_intruder(run: Path, stop: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.Popen([sys.executable, "-c", INTRUDER, str(run), str(stop)], stdout=subprocess.PIPE, text=True,
                         env=env)
    assert p.stdout.readline().strip() == "ready"
    return p


def _stop(p: subprocess.Popen, stop: Path) -> str:
    stop.write_text("")
    out, _ = p.communicate(timeout=60)
    return out


def test_a_train_waiting_for_the_folder_never_gets_it_while_overwrite_sets_the_old_run_aside(sod, tmp_path, capsys,
                                                                                            monkeypatch):
    """The set-up is slowed down whenever R is an empty folder (widening any window in which it is unclaimed);
    the other train polls for exactly that. It never gets R: the --overwrite run trains, and nothing is lost."""
    import contextlib
    import time

    import saliency.base.fsutil as F

    run, stop = tmp_path / "R", tmp_path / "stop"
    _old_run(run)
    real_held = F.signals_held

    @contextlib.contextmanager
    def slow_held():
        with real_held():
            yield
        if run.is_dir() and not any(run.iterdir()):
            time.sleep(1.5)  # R left empty and unclaimed: time for the other train to find it

    monkeypatch.setattr(F, "signals_held", slow_held)
    intruder = _start_intruder(run, stop)
    try:
        rc, out, err = run_cli(capsys, ["train", "--data", sod, "--out", run, "--overwrite", *BASE])
    finally:
        said = _stop(intruder, stop)
    assert "claimed" not in said, said
    assert rc == 0, err
    assert not (run / "theirs.txt").exists()
    assert (run / "metrics.csv").read_text() != "epoch,loss\n1,0.5\n" and (run / "checkpoints" / "last.pt").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R", "stop"]  # the old run deleted, no lock left in R
    assert not (run / ".saliency-train.lock").exists()


def test_the_clean_up_never_deletes_a_run_that_took_the_folder_and_names_where_the_old_run_is(sod, tmp_path, capsys):
    """--overwrite's set-up done, its lock released (saliency train releases before the clean-up), another train
    claims R: the clean-up leaves that run's folder alone and says where the old run is."""
    from saliency.train import prepare_run, release_run, restore_replaced

    run, stop = tmp_path / "R", tmp_path / "stop"
    files = _old_run(run)
    prepare_run({"data.root": str(sod), "task": "sod"}, out=run, overwrite=True)
    intruder = _start_intruder(run, stop)
    try:
        release_run(run)
        assert intruder.stdout.readline().strip() == "claimed"
        assert restore_replaced(run) is False
        err = capsys.readouterr().err
        assert (run / "theirs.txt").read_text() == "a live run"  # the other run's folder and lock are untouched
        assert (run / ".saliency-train.lock").read_text().split()[0] == str(intruder.pid)
        aside = [p for p in tmp_path.iterdir() if p.name.startswith(".R.old-")]
        assert len(aside) == 1 and {n: (aside[0] / n).read_text() for n in files} == files
        assert err.count("\n") == 1 and str(aside[0]) in err and "not put back" in err, err
    finally:
        _stop(intruder, stop)


def test_overwrite_set_up_that_loses_the_folder_in_between_the_renames_refuses_naming_the_old_run(sod, tmp_path,
                                                                                                capsys, monkeypatch):
    """The one instant R is missing (between renaming the old run away and the claimed new folder in): another
    train that makes and claims R then keeps it; --overwrite is refused in one line naming the old run's place."""
    run, stop = tmp_path / "R", tmp_path / "stop"
    files = _old_run(run)
    real_rename = os.rename
    intruder = []

    def rename(src, dst, *a, **k):
        if os.path.abspath(dst) == str(run) and not intruder:
            run.mkdir()  # made and claimed by the other train in the instant between
            intruder.append(_start_intruder(run, stop))
            assert intruder[0].stdout.readline().strip() == "claimed"
        return real_rename(src, dst, *a, **k)

    monkeypatch.setattr(os, "rename", rename)
    try:
        line = refusal(*run_cli(capsys, ["train", "--data", sod, "--out", run, "--overwrite", *BASE]))
    finally:
        if intruder:
            _stop(intruder[0], stop)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(".R.old-")]
    assert len(aside) == 1 and {n: (aside[0] / n).read_text() for n in files} == files
    assert "--out" in line and str(aside[0]) in line and "another saliency train" in line, line
    assert (run / "theirs.txt").read_text() == "a live run"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["R", "stop", aside[0].name])  # no .partial left


def _start_time(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[19]  # field 22 of proc(5); the split starts at field 3


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_lock_whose_pid_is_another_process_now_is_stale_and_the_lock_records_the_start_time(sod, tmp_path,
                                                                                             capsys):
    from saliency.train import LOCK_NAME, prepare_run, release_run

    run = tmp_path / "R"
    prepare_run({"data.root": str(sod), "task": "sod"}, out=run)
    assert (run / LOCK_NAME).read_text().split() == [str(os.getpid()), socket.gethostname(),
                                                     _start_time(os.getpid()), "train"]
    release_run(run)
    live = subprocess.Popen(["sleep", "60"])
    try:
        right = _start_time(live.pid)
        (run / LOCK_NAME).write_text(f"{live.pid} {socket.gethostname()} {right}\n")  # that process's own lock
        line = refusal(*run_cli(capsys, ["train", "--data", sod, "--out", run, *BASE]))
        assert f"pid {live.pid}" in line and "another saliency train" in line
        # the same pid, started at another time: a lock left before a reboot, its pid reused by this process
        (run / LOCK_NAME).write_text(f"{live.pid} {socket.gethostname()} {int(right) + 12345}\n")
        rc, out, err = run_cli(capsys, ["train", "--data", sod, "--out", run, *BASE])
        assert rc == 0, err
        assert (run / "checkpoints" / "last.pt").is_file() and not (run / LOCK_NAME).exists()
    finally:
        live.kill()
        live.wait()


def test_resume_of_a_folder_an_interrupted_overwrite_emptied_names_the_old_run_set_aside(tmp_path, capsys):
    """train --overwrite killed outright (SIGKILL) before its new run's config: R holds a stale lock only, the old
    run is intact in .R.old-XXXX, and --resume R said only 'not a run folder'."""
    from saliency.train import LOCK_NAME

    run = tmp_path / "R"
    run.mkdir()
    (run / LOCK_NAME).write_text(f"999999999 {socket.gethostname()} 1\n")
    _old_run(tmp_path / ".R.old-k2j4x9")
    line = refusal(*run_cli(capsys, ["train", "--resume", run, "--epochs", "2"]))
    assert "no config.yaml" in line and str(tmp_path / ".R.old-k2j4x9") in line and "rename it back" in line, line
    # R still holds the killed run's stale lock: renaming onto it would put the old run inside it (review RR5)
    assert f"move {run} out of the way (it holds no run to continue), then rename it back to {run}" in line, line


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_live_holder_whose_start_time_cannot_be_read_is_never_taken_over(sod, tmp_path, capsys, monkeypatch):
    # regression review RR5: on a /proc mounted hidepid=2 another user's /proc/PID/stat cannot be read; the start
    # time came back None, never equal to the lock's, and a live run was called stale, set aside and deleted
    import saliency.base.runlock as T

    run = tmp_path / "R"
    run.mkdir()
    live = subprocess.Popen(["sleep", "60"])
    try:
        (run / T.LOCK_NAME).write_text(f"{live.pid} {socket.gethostname()} {_start_time(live.pid)}\n")
        monkeypatch.setattr(T, "process_start", lambda pid: None if pid == live.pid else _start_time(pid))
        line = refusal(*run_cli(capsys, ["train", "--data", sod, "--out", run, "--overwrite", *BASE]))
        assert f"pid {live.pid}" in line and "another saliency train" in line, line
        assert (run / T.LOCK_NAME).is_file()  # the holder's lock stays
    finally:
        live.kill()
        live.wait()


def test_a_signal_held_while_the_old_run_is_set_aside_still_puts_it_back(sod, tmp_path, monkeypatch):
    # fresh-clone CI (test_reliability_outputs term-at-once): a SIGTERM held during the swap is raised as the
    # swap's signals_held block ends, before prepare_run recorded where the old run went; the clean-up then knew
    # of no old run and left it set aside (the run folder empty). Simulated: the first signals_held raises on exit.
    import contextlib

    from saliency.base import fsutil
    from saliency.train import prepare_run, release_run, restore_replaced

    run = tmp_path / "R"
    files = _old_run(run)
    real = fsutil.signals_held
    uses = []

    @contextlib.contextmanager
    def held_then_delivered():
        with real():
            yield
        if not uses:
            uses.append(1)
            raise KeyboardInterrupt  # the held signal, delivered as the block ends

    monkeypatch.setattr(fsutil, "signals_held", held_then_delivered)
    with pytest.raises(KeyboardInterrupt):
        prepare_run({"data.root": str(sod), "task": "sod"}, out=run, overwrite=True)
    release_run(run)
    assert restore_replaced(run)  # what `saliency train` runs on every failure
    assert {str(p.relative_to(run)): p.read_text() for p in run.rglob("*") if p.is_file()} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R"]  # nothing left set aside

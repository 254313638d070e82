"""s32 F16: two ``saliency demo --out D`` at once: the second removed the first one's live staging folder.

The second demo's start-up clean-up (``demo.clear_partials``) took every ``.NAME.XXXXXXXX.partial`` in D for a
killed run's, so the running demo failed with "Cannot save file into a non-existent directory:
'D/.study.c90ea9_9.partial/logs'" (repro: /tmp/s32/r7/demo_race2.sh). Now a demo claims D with train's lock
file (``D/.saliency-train.lock``: pid, host, start time) before it changes anything there: a second
live demo is refused in one line, exit 2, naming the holder's pid; a lock whose process is gone is taken over.

Deterministic, no real race: the "running demo" is a lock file naming a live process (this test process, or a
sleeping child) and its staging folder; the oracle is the documented promise that a demo never touches another
live demo's files, and train's lock format (``PID HOST START``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import saliency.commands.demo as demo_cmd
from cli_fakes import hashes, refusal, run_cli
from saliency.demo import LAYOUT_VERSION, QUICK
from saliency.train import LOCK_NAME

STAGING = ".study.c90ea9_9.partial"


def _proc_start(pid: int) -> str:
    """Field 22 of /proc/PID/stat (clock ticks after boot), as train's lock records it."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    return stat[stat.rindex(")") + 2:].split()[19]


def _running_demo(out: Path, pid: int, stages: dict | None = None) -> Path:
    """A --quick demo at work in ``out``, held by ``pid``: its demo.json (``stages`` done), its lock, its study
    being staged."""
    out.mkdir()
    settings = {"layout": LAYOUT_VERSION, "profile": {"scenes": QUICK.scenes, "subjects": QUICK.subjects,
                                                      "width": QUICK.width, "height": QUICK.height,
                                                      "epochs": QUICK.epochs, "seed": QUICK.seed}}
    (out / "demo.json").write_text(json.dumps({"settings": settings, "stages": stages or {}}), encoding="utf-8")
    (out / STAGING / "logs").mkdir(parents=True)
    (out / STAGING / "logs" / "samples.csv").write_text("t,x,y\n", encoding="utf-8")
    lock = out / LOCK_NAME
    lock.write_text(f"{pid} {socket.gethostname()} {_proc_start(pid)}\n", encoding="utf-8")
    return lock


def test_a_second_demo_is_refused_while_the_first_runs_and_touches_nothing(tmp_path, capsys, monkeypatch):
    stages = []
    monkeypatch.setattr(demo_cmd, "call", lambda command, argv: stages.append(command) or 1)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        out = tmp_path / "D"
        _running_demo(out, holder.pid)
        before = hashes(out)
        line = refusal(*run_cli(capsys, ["demo", "--quick", "--out", out]))
        assert line == (f"saliency demo: error: --out {out}: another saliency demo (pid {holder.pid}) is running in "
                        f"this folder; wait for it to end, or delete {out / LOCK_NAME} if that process is gone")
        assert stages == []  # no stage ran
        assert hashes(out) == before  # its staging folder, demo.json and lock are as the first demo left them
        assert (out / STAGING / "logs").is_dir()
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_is_taken_over_and_released_when_the_demo_ends(tmp_path, capsys, monkeypatch):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    out = tmp_path / "D"
    lock = _running_demo(out, dead.pid)
    dead.wait()  # reaped: no process has its pid now (the demo killed outright)
    lock.write_text(f"{dead.pid} {socket.gethostname()} 1\n", encoding="utf-8")
    seen = []

    def stage(command, argv):
        seen.append((command, lock.read_text(encoding="utf-8").split()[0]))
        return 1

    monkeypatch.setattr(demo_cmd, "call", stage)
    rc, _, err = run_cli(capsys, ["demo", "--quick", "--out", out, "--quiet"])
    assert (rc, err) == (2, "saliency demo: error: stage study: saliency synth exited with code 1\n")
    assert seen == [("synth", str(os.getpid()))]  # the demo ran under its own lock
    assert not (out / STAGING).exists()  # the killed demo's staging folder is cleared
    assert not lock.exists()  # released when the demo ended


def test_the_command_as_typed_refuses_a_folder_this_process_holds(tmp_path):
    out = tmp_path / "D"
    # every stage recorded as done: a demo that is not refused reuses them all and stops at once (no real run)
    done = {k: {"pairs": {}} if k == "agree" else {} for k in (
        "study", "ingest_samples", "ingest_eyelink", "ingest_tobii", "agree", "train_sod", "train_fixation",
        "heldout", "predict_sod", "predict_fixation", "eval_sod", "eval_fixation", "report")}
    _running_demo(out, os.getpid(), done)
    before = hashes(out)
    exe = Path(sys.executable).with_name("saliency")
    r = subprocess.run([str(exe), "demo", "--quick", "--out", str(out)], capture_output=True, text=True,
                       timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert (r.returncode, r.stdout) == (2, ""), (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip().splitlines() == [
        f"saliency demo: error: --out {out}: another saliency demo (pid {os.getpid()}) is running in this folder; "
        f"wait for it to end, or delete {out / LOCK_NAME} if that process is gone"]
    assert hashes(out) == before


def test_a_lock_made_between_the_check_and_the_claim_each_time_is_refused_in_demo_terms(tmp_path, capsys,
                                                                                        monkeypatch):
    """Other demos create the lock in the instant between this demo's check and its O_EXCL create (each gone by the
    next check): after three tries the refusal speaks of a demo claiming the folder, as train's of a run (one
    runlock.claim for both; before, the demo rewrote train's refusal into 'another saliency demo (another
    process) is running in this folder')."""
    stages = []
    monkeypatch.setattr(demo_cmd, "call", lambda command, argv: stages.append(command) or 1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "D"
    out.mkdir()
    real_open, tries = os.open, []

    def racing_open(path, flags, *args, **kw):
        if Path(path) == out / LOCK_NAME and flags & os.O_EXCL:  # another demo's lock appears first
            tries.append(path)
            (out / LOCK_NAME).write_text(f"{dead.pid} {socket.gethostname()} 1\n", encoding="utf-8")
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", racing_open)
    line = refusal(*run_cli(capsys, ["demo", "--quick", "--out", out]))
    monkeypatch.undo()
    assert line == (f"saliency demo: error: --out {out}: another saliency demo is claiming this folder; wait for "
                    "it to end")
    assert len(tries) == 3 and stages == [] and not (out / "demo.json").exists()


# ---- s32 F22: a refusal names the holder's command, recorded in the lock (``PID HOST START COMMAND``)

# a live process that claims FOLDER as ``saliency COMMAND`` does (the one runlock.claim of train and demo), says so
# and holds it until STOP exists
HOLDER = ("import sys, time\nfrom pathlib import Path\nfrom saliency.base.runlock import claim, release\n"
          "folder, command, stop = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])\n"
          "claim(folder, 'out', command)\nprint('claimed', flush=True)\nend = time.time() + 120\n"
          "while not stop.exists() and time.time() < end:\n    time.sleep(0.05)\nrelease(folder)\n")


def _saliency(*argv) -> subprocess.CompletedProcess:
    """``saliency ARGV`` as typed, in a process of its own."""
    exe = Path(sys.executable).with_name("saliency")
    return subprocess.run([str(exe), *map(str, argv)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def _held(tmp_path: Path, folder: Path, command: str, *argv) -> tuple[int, subprocess.CompletedProcess]:
    """``saliency ARGV`` run while a live ``saliency COMMAND`` holds ``folder``: (the holder's pid, the result)."""
    stop = tmp_path / "stop"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), command, str(stop)],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        assert holder.stdout.readline().strip() == "claimed"
        return holder.pid, _saliency(*argv)
    finally:
        stop.touch()
        holder.wait(timeout=60)


def test_train_into_a_folder_a_live_demo_holds_names_the_demo(tmp_path):
    """`saliency demo --out D &` then `saliency train --out D --overwrite` said "another saliency train (pid N) is
    writing this run" of the demo's pid."""
    from train_fakes import make_sod

    sod, out = make_sod(tmp_path / "S"), tmp_path / "D"
    out.mkdir()
    pid, r = _held(tmp_path, out, "demo", "train", "--data", sod, "--out", out, "--overwrite", "--task", "sod",
                   "--device", "cpu", "--quiet", "--epochs", "1")
    assert (r.returncode, r.stdout) == (2, ""), (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip().splitlines() == [
        f"saliency train: error: --out {out}: another saliency demo (pid {pid}) is running in this folder; "
        f"wait for it to end, or delete {out / LOCK_NAME} if that process is gone"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D", "S", "stop"]  # nothing set aside


def test_demo_into_a_run_a_live_train_holds_names_the_train(tmp_path):
    out = tmp_path / "D"
    out.mkdir()
    pid, r = _held(tmp_path, out, "train", "demo", "--quick", "--out", out)
    assert (r.returncode, r.stdout) == (2, ""), (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip().splitlines() == [
        f"saliency demo: error: --out {out}: another saliency train (pid {pid}) is writing this run; "
        f"wait for it to end, or delete {out / LOCK_NAME} if that process is gone"]
    assert [p.name for p in out.iterdir()] == []  # the holder released it; the demo wrote nothing


def test_a_lock_names_its_command_as_a_fourth_field_after_pid_host_start(tmp_path):
    """The format an older saliency reads (pid, host, start time: the first three fields) is kept; the command
    follows. Oracle: /proc/PID/stat of the claiming process."""
    from saliency.base.runlock import claim, release

    for command in ("train", "demo"):
        claim(tmp_path, "out", command)
        try:
            assert (tmp_path / LOCK_NAME).read_text(encoding="utf-8") == \
                f"{os.getpid()} {socket.gethostname()} {_proc_start(os.getpid())} {command}\n"
        finally:
            release(tmp_path)
        assert not (tmp_path / LOCK_NAME).exists()  # released: the lock was known as this process's


def test_a_train_lock_made_between_the_check_and_the_claim_is_named_in_the_race_refusal(tmp_path, capsys,
                                                                                       monkeypatch):
    monkeypatch.setattr(demo_cmd, "call", lambda command, argv: 1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "D"
    out.mkdir()
    real_open = os.open

    def racing_open(path, flags, *args, **kw):
        if Path(path) == out / LOCK_NAME and flags & os.O_EXCL:  # a train's lock appears first, gone by the check
            (out / LOCK_NAME).write_text(f"{dead.pid} {socket.gethostname()} 1 train\n", encoding="utf-8")
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", racing_open)
    line = refusal(*run_cli(capsys, ["demo", "--quick", "--out", out]))
    monkeypatch.undo()
    assert line == f"saliency demo: error: --out {out}: another saliency train is claiming this run; wait for it to end"

"""``saliency report RUN`` on an unfinished run says so (review s32, F17).

A run still training (a live ``saliency train`` holds RUN/.saliency-train.lock) gave a report of the epochs
written so far, rc 0 and no word that the run was unfinished; so did a run stopped before its train.epochs.
Now the report's training section says "RUN was still training when this report was written: epoch k of N"
(or "RUN stopped after epoch k of N") and stderr has one "saliency report: warning: ..." line.

The command runs as a user runs it, in a process of its own: the fake live lock is this test process's, written
as ``saliency train`` writes its own (``PID HOST START``), and this process is alive while the report is made.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from saliency.base import runlock
from saliency.base.runlock import LOCK_NAME, lock_text

HEADER = "epoch,step,lr,loss,images_per_s,epoch_s,MAE,Fmax,Smeasure,val_s,best\n"
ROWS = ["1,10,0.00281632,3.964552,63.07,2.5,0.551403,0.301679,0.341659,0.3,1\n",
        "2,20,0.00123674,2.723552,43.43,3.7,0.114906,0.886179,0.661888,0.1,1\n",
        "3,30,4.17097e-05,2.280584,79.32,2.0,0.094065,0.904255,0.685316,0.1,1\n"]


def _run(tmp_path: Path, rows: int, epochs: int = 3, lock: str | None = None) -> Path:
    """A run folder as ``saliency train --epochs EPOCHS`` leaves it after ``rows`` epochs (``lock``: its lock)."""
    run = tmp_path / "R3"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(f"task: sod\nmodel: unet_tiny_cbam_sod\ntrain: {{epochs: {epochs}, "
                                     "batch_size: 16, val_every: 1}\n", encoding="utf-8")
    if rows:
        (run / "metrics.csv").write_text(HEADER + "".join(ROWS[:rows]), encoding="utf-8")
    if lock is not None:
        (run / LOCK_NAME).write_text(lock, encoding="utf-8")
    return run


def _report(tmp_path: Path, *args) -> subprocess.CompletedProcess:
    """``saliency report ARGS`` in its own process, from ``tmp_path``."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "saliency", "report", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def _dead_pid() -> int:
    """The pid of a process that has ended (reaped)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_live_lock_is_said_in_the_report_and_on_stderr(tmp_path):
    run = _run(tmp_path, rows=1, lock=lock_text())  # this (live) test process holds the run
    r = _report(tmp_path, "R3")
    assert r.returncode == 0, r.stderr
    assert "wrote R3/report.md" in r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("saliency report: warning: R3 was still training (pid "), lines[0]
    assert f"pid {os.getpid()} holds R3/{LOCK_NAME}" in lines[0] and "epoch 1 of 3" in lines[0]
    assert "run saliency report again" in lines[0]
    # a pid reused where no start time is read (macOS, Windows) keeps a killed run's lock held: the way out (R13)
    assert lines[0].endswith(f"or delete R3/{LOCK_NAME} if that process is gone"), lines[0]
    md = (run / "report.md").read_text(encoding="utf-8")
    training = md.split("## Training", 1)[1].split("## Metrics", 1)[0]
    assert "R3 was still training when this report was written: epoch 1 of 3." in training
    assert "R3 was still training when this report was written: epoch 1 of 3." in \
        (run / "report.html").read_text(encoding="utf-8")


def test_live_lock_before_the_first_epoch(tmp_path):
    run = _run(tmp_path, rows=0, lock=lock_text())
    r = _report(tmp_path, "R3")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("saliency report: warning:") == 1 and "no epoch finished yet of 3" in r.stderr
    md = (run / "report.md").read_text(encoding="utf-8")
    assert "R3 was still training when this report was written: no epoch finished yet of 3." in md


def test_stopped_run_without_live_lock(tmp_path):
    # a stale lock (its process gone, as after a kill) is no live trainer: the run stopped after epoch 2 of 3
    run = _run(tmp_path, rows=2, lock=f"{_dead_pid()} {socket.gethostname()}\n")
    r = _report(tmp_path, "R3")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("saliency report: warning: R3 stopped after epoch 2 of 3"), lines
    assert "saliency train --resume R3" in lines[0]
    md = (run / "report.md").read_text(encoding="utf-8")
    assert "R3 stopped after epoch 2 of 3" in md and "still training" not in md


def test_finished_run_says_nothing(tmp_path):
    run = _run(tmp_path, rows=3)
    r = _report(tmp_path, "R3")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    md = (run / "report.md").read_text(encoding="utf-8")
    assert "still training" not in md and "stopped after" not in md


def test_lock_name_is_trains():
    """The lock report reads is the file ``saliency train`` has always claimed a run with (existing runs hold it)."""
    assert LOCK_NAME == ".saliency-train.lock"


@pytest.mark.parametrize("case", ["none", "own", "dead", "other_host", "parent", "parent_reused", "empty_new",
                                  "empty_old", "garbage_old", "old_format_parent"])
def test_lock_holder_reads_each_kind_of_lock(tmp_path, case):
    """What ``runlock.lock_holder`` (the one reader of report, train and demo) answers for each kind of lock, worked
    out by hand: its own, a dead pid, another host, a live pid with its start time or a reused one, the older
    ``PID HOST`` format, and an empty or garbled lock younger and older than a minute."""
    host, ppid = socket.gethostname(), os.getppid()
    start = runlock.process_start(ppid)
    texts = {"own": lock_text(), "dead": f"{_dead_pid()} {host} 123\n", "other_host": f"{ppid} elsewhere.example\n",
             "parent": f"{ppid} {host} {start}\n", "parent_reused": f"{ppid} {host} {start}1\n",
             "empty_new": "", "empty_old": "", "garbage_old": "not a lock\n",
             "old_format_parent": f"{ppid} {host}\n"}
    lock = tmp_path / LOCK_NAME
    if case != "none":
        lock.write_text(texts[case], encoding="utf-8")
    if case.endswith("_old"):
        os.utime(lock, (1_000_000_000, 1_000_000_000))
    expected = {"none": None, "own": None, "dead": None, "other_host": f"pid {ppid} on elsewhere.example",
                "parent": f"pid {ppid}", "parent_reused": None, "empty_new": "an unknown process", "empty_old": None,
                "garbage_old": None, "old_format_parent": f"pid {ppid}"}[case]
    if case == "parent_reused" and start is None:
        expected = f"pid {ppid}"  # no /proc: alive is all that is known
    assert runlock.lock_holder(lock) == expected

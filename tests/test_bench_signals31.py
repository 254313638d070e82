"""Task F12: a benchmark stopped by SIGTERM ends the child process it runs, and a second SIGTERM cannot cut its
clean-up short (regressions of cdd2d6f, where run_main turned SIGTERM into ``fsutil.Terminated``).

1. SIGTERM reaches the script alone (a terminal's Ctrl-C reaches its whole process group): ``ingest.py`` exited
   143 with its ``saliency ingest`` child still running, an orphan reading the study just deleted. Now the child
   is ended (SIGTERM, killed after a grace period) and waited for before the clean-up (``scratch.child_process``,
   ``scratch.run_child``, used by every benchmark that runs a child).
2. A second SIGTERM during the clean-up (``shutil.rmtree`` of the temporary folder) broke out of it and left the
   folder; the removal now runs with the signals held (``scratch.remove_scratch``).

Oracle: the process table (``/proc``): after the script has exited no process it started is running; the folder
given as TMPDIR is empty; the exit is SIGTERM's convention (143, ``SCRIPT.py: terminated``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench_fakes import BENCH, load

ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", CUDA_VISIBLE_DEVICES="")


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (``/proc``), none once it is gone."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    """``pid`` exists and is not a zombie (a dead process not yet reaped runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_sigterm_to_ingest_benchmark_ends_its_child_and_removes_its_folder(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = subprocess.Popen([sys.executable, str(BENCH / "ingest.py"), "--stimuli", "30", "--subjects", "15",
                          "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(ENV, TMPDIR=str(tmp)), start_new_session=True)
    seen: set[int] = set()
    try:
        t0 = time.monotonic()
        kids: list[int] = []
        while p.poll() is None and time.monotonic() - t0 < 120:
            kids = [c for c in _children(p.pid) if "ingest" in _cmdline(c)]
            if kids:
                break
            time.sleep(0.01)  # the study is being written; then `saliency ingest` starts
        assert p.poll() is None and kids, p.communicate()
        seen.update(kids)
        os.kill(p.pid, signal.SIGTERM)
        while p.poll() is None and time.monotonic() - t0 < 120:  # the child's pool workers, while they exist
            seen.update(g for k in kids for g in _children(k))
            time.sleep(0.01)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
    assert (p.returncode, err) == (143, "ingest.py: terminated\n"), (p.returncode, err[-2000:])
    assert not [k for k in kids if _running(k)], [_cmdline(k) for k in kids]  # waited for: gone at once
    t1 = time.monotonic()
    while [g for g in seen if _running(g)] and time.monotonic() - t1 < 5:
        time.sleep(0.02)  # its workers end with it (they notice their parent is gone)
    assert not [g for g in seen if _running(g)], [_cmdline(g) for g in seen]
    assert not list(tmp.iterdir()), list(tmp.iterdir())


def test_a_second_sigterm_during_clean_up_still_removes_the_folder(tmp_path, monkeypatch, capsys):
    """ingest.py's run stopped by SIGTERM; a second one arrives inside the removal of its temporary folder."""
    import shutil
    import tempfile

    from saliency.base.fsutil import Terminated
    from scratch import run_main

    mod = load("ingest", "bench_signals31")
    made = []

    def run(a, root):  # the study written, then the first SIGTERM (as while `saliency ingest` runs)
        (root / "study").mkdir()
        (root / "study" / "fixations.csv").write_text("x\n")
        made.append(root)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        raise AssertionError("SIGTERM did not stop the run")

    real_rmtree = shutil.rmtree
    calls = []

    def rmtree(path, *args, **kw):  # the second SIGTERM, as the removal starts
        calls.append(path)
        os.kill(os.getpid(), signal.SIGTERM)
        return real_rmtree(path, *args, **kw)

    monkeypatch.setattr(mod, "run", run)
    monkeypatch.setattr(shutil, "rmtree", rmtree)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", [str(BENCH / "ingest.py")])
    assert run_main(lambda: mod.main(["--stimuli", "1"])) == 143
    assert capsys.readouterr().err == "ingest.py: terminated\n"
    assert made and calls == made, (made, calls)
    assert not made[0].exists(), sorted(made[0].rglob("*"))
    assert isinstance(Terminated(), KeyboardInterrupt)


def test_run_child_kills_a_child_that_ignores_sigterm_and_waits_for_it(tmp_path):
    """A child that ignores SIGTERM is killed once the grace period is over; run_child returns only after."""
    import threading

    from saliency.base.fsutil import Terminated, terminate_raises
    from scratch import run_child

    ready = tmp_path / "ready"
    code = ("import os, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            f"open({str(ready)!r}, 'w').write(str(os.getpid())); time.sleep(60)")

    inside = threading.Event()  # set only while this test is inside run_child: a SIGTERM never reaches another test

    def sigterm_when_ready():  # this script's SIGTERM, to it alone, once the child ignores SIGTERM
        t = time.monotonic()
        while not (ready.is_file() and ready.read_text()) and time.monotonic() - t < 60:
            if not inside.is_set():
                return
            time.sleep(0.01)
        if inside.is_set() and ready.is_file():
            os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=sigterm_when_ready, daemon=True)
    inside.set()
    sender.start()
    try:
        with pytest.raises(Terminated), terminate_raises():
            run_child([sys.executable, "-c", code], grace=0.5)
    finally:
        inside.clear()
        sender.join()
    child = int(ready.read_text())
    assert not _running(child), _cmdline(child)  # killed (it ignored SIGTERM) and reaped before run_child returned


# ------------------------------------------------------------------ F19: review of 7dc6a58/06b1af0

def test_run_child_child_inherits_ignored_sigint_and_sigterm(tmp_path):
    """A script whose SIGINT/SIGTERM are ignored (a shell script's background job) passes them on ignored, as
    ``subprocess.run`` does (oracle: the same probe through subprocess.run). Popen ran inside signals_held,
    which had put a Python handler in place of SIG_IGN, and a caught signal is reset to the default at exec."""
    probe = ("import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN, "
             "signal.getsignal(signal.SIGTERM) is signal.SIG_IGN)")
    code = (f"import signal, subprocess, sys; sys.path.insert(0, {str(BENCH)!r}); "
            "signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "from scratch import run_child; "
            f"probe = [sys.executable, '-c', {probe!r}]; "
            "print(run_child(probe, capture_output=True, text=True).stdout.strip()); "
            "print(subprocess.run(probe, capture_output=True, text=True).stdout.strip())")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60)
    assert (p.returncode, p.stderr) == (0, ""), p.stderr[-2000:]
    assert p.stdout.splitlines() == ["True True", "True True"], p.stdout


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_background_synth_benchmark_is_not_stopped_by_a_terminal_ctrl_c(tmp_path):
    """synth.py started in the background by a shell script (SIGINT ignored, POSIX); a Ctrl-C in the terminal
    (SIGINT to the whole group) while ``saliency synth`` runs. Oracle: an ignored SIGINT changes nothing, so the
    run finishes as without it (exit 0, its run and median lines, nothing on stderr). Its child was interrupted
    (``saliency synth: interrupted``, exit 130)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    script = [sys.executable, str(BENCH / "synth.py"), "--scenes", "40", "--subjects", "3", "--size", "64x48",
              "--repeats", "1"]
    background = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                  "os.execv(sys.executable, sys.argv[1:])")  # as the shell starts `script &`
    p = subprocess.Popen([sys.executable, "-c", background, *script], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(ENV, TMPDIR=str(tmp)), start_new_session=True)
    try:
        t0 = time.monotonic()
        kids: list[int] = []
        while p.poll() is None and not kids and time.monotonic() - t0 < 120:
            kids = [c for c in _children(p.pid) if "saliency synth" in _cmdline(c)]
            time.sleep(0.01)
        assert p.poll() is None and kids, p.communicate()
        time.sleep(0.3)
        os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
    assert (p.returncode, err) == (0, ""), (p.returncode, err[-2000:])
    assert out.startswith("run 1: ") and "over 1 runs" in out, out
    assert not list(tmp.iterdir()), list(tmp.iterdir())


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_sigterm_to_crop_benchmark_during_its_synth_step_is_one_line(tmp_path):
    """crop.py writes its study with ``saliency synth``; SIGTERM (to the script alone) while that runs. Oracle:
    the convention, one line ``crop.py: terminated`` and exit 143; the child's own ``saliency synth: terminated``
    (its stderr was ours) no longer precedes it. Nothing is left running or in TMPDIR."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = subprocess.Popen([sys.executable, str(BENCH / "crop.py"), "--scenes", "60", "--subjects", "3"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(ENV, TMPDIR=str(tmp)), start_new_session=True)
    try:
        t0 = time.monotonic()
        kids: list[int] = []
        while p.poll() is None and not kids and time.monotonic() - t0 < 120:
            kids = [c for c in _children(p.pid) if "saliency synth" in _cmdline(c)]
            time.sleep(0.01)
        assert p.poll() is None and kids, p.communicate()
        time.sleep(1.0)  # the child is past its start-up: it catches SIGTERM and says so
        os.kill(p.pid, signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
    assert (p.returncode, err) == (143, "crop.py: terminated\n"), (p.returncode, err[-2000:])
    assert not [k for k in kids if _running(k)], [_cmdline(k) for k in kids]
    assert not list(tmp.iterdir()), list(tmp.iterdir())


def test_run_child_quiet_stop_shows_the_line_of_a_child_that_ended_on_its_own(capfd):
    """``quiet_stop`` drops the child's line only when the script ends it: a child that fails on its own still
    says why, exactly once, on the script's stderr (oracle: the line the child writes)."""
    from scratch import run_child

    code = "import sys; print('saliency synth: error: bad input', file=sys.stderr); sys.exit(2)"
    p = run_child([sys.executable, "-c", code], stdout=subprocess.DEVNULL, quiet_stop=True)
    assert p.returncode == 2
    assert capfd.readouterr().err == "saliency synth: error: bad input\n"

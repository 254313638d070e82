"""Ctrl-C in any ``benchmarks/`` script: one line ``SCRIPT.py: interrupted`` and exit status 130, no traceback.

Found in review: only ``ablation.py`` caught Ctrl-C; ``startup.py``, ``synth.py``,
``fuzz.py`` and the others printed a KeyboardInterrupt traceback (and died of
the signal, status -2) where the toolkit's commands print ``saliency <cmd>:
interrupted`` and exit 130. Every script now runs its ``main`` through
``scratch.run_main``, which ends a Ctrl-C the same way.

Oracle: the CLI's convention for Ctrl-C (one line naming the program, status
130), checked on ``startup.py`` run as a user runs it while it is timing help
screens: a SIGINT to the script alone, and to its process group as a terminal's
Ctrl-C sends it (the running ``saliency --help`` gets it too).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bench_fakes import BENCH

ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", CUDA_VISIBLE_DEVICES="")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.parametrize("who", ["script", "terminal"])
def test_startup_ctrl_c_is_one_line_and_status_130(who):
    p = subprocess.Popen([sys.executable, str(BENCH / "startup.py"), "--repeats", "1000"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=ENV, start_new_session=True)
    try:
        t0 = time.monotonic()
        while not _children(p.pid) and p.poll() is None and time.monotonic() - t0 < 60:
            time.sleep(0.02)  # its first `saliency --help` has started: main is working
        time.sleep(1.0)  # into the timing loop
        assert p.poll() is None and _children(p.pid), p.communicate()
        if who == "terminal":
            os.killpg(p.pid, signal.SIGINT)
        else:
            os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
    assert (p.returncode, err) == (130, "startup.py: interrupted\n"), (p.returncode, err[-2000:])


def test_run_main_interrupted_line_and_hint(monkeypatch, capsys):
    """The line names the script as run (sys.argv[0]) and adds the script's own hint after a semicolon."""
    from scratch import run_main

    def main():
        raise KeyboardInterrupt

    def status(*hint):
        try:
            return run_main(main, *hint)
        except KeyboardInterrupt:  # let through (a traceback), and it would stop this test session too
            pytest.fail("run_main let Ctrl-C through")

    monkeypatch.setattr(sys, "argv", ["/somewhere/benchmarks/models.py", "--seconds", "5"])
    assert status() == 130
    assert capsys.readouterr() == ("", "models.py: interrupted\n")
    assert status("the same command resumes") == 130
    assert capsys.readouterr() == ("", "models.py: interrupted; the same command resumes\n")
    assert run_main(lambda: 3) == 3 and run_main(lambda: None) == 0  # other statuses as before


@pytest.mark.parametrize("who", ["script", "terminal"])
def test_fuzz_ctrl_c_during_a_case_stops_the_run_with_one_line(tmp_path, capsys, who):
    """Review RRe: fuzz.py runs each case's command in-process, and the command catches the Ctrl-C (its own line,
    130): fuzz recorded "FAIL ... exit=130", ran every remaining case and exited 1 with no "interrupted" line.

    Oracle: the same convention as startup.py above, with the SIGINT sent while a case's `saliency ingest` is
    running (its staging folder ``.ds.*.partial`` exists in the case's folder), after earlier cases have run.
    """
    from cli_fakes import run_cli

    base = tmp_path / "baseline"  # a baseline of an earlier version (no scratch mark): reused as it is
    rc, _, err = run_cli(capsys, ["synth", "--scenes", "12", "--subjects", "3", "--size", "320x240", "--seed", "0",
                                  "--workers", "1", "--out", base / "study", "--quiet"])
    assert rc == 0, err
    (base / "BASELINE_OK").write_text("ok\n")
    tmp = tmp_path / "tmp"  # the cases' temporary folders, watched here
    tmp.mkdir()
    cases = 40
    p = subprocess.Popen([sys.executable, str(BENCH / "fuzz.py"), "--commands", "ingest", "--cases-per-command",
                          str(cases), "--baseline", str(base), "--verbose"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(ENV, TMPDIR=str(tmp)), start_new_session=True)
    try:
        t0 = time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < 120:
            if any(tmp.glob("fuzz-ingest-*/w/.ds.*.partial")):  # a case's ingest is writing its output
                break
            time.sleep(0.005)
        assert p.poll() is None, p.communicate()
        if who == "terminal":
            os.killpg(p.pid, signal.SIGINT)
        else:
            os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
    assert (p.returncode, err) == (130, "fuzz.py: interrupted\n"), (p.returncode, err[-2000:], out[-2000:])
    ran = [ln for ln in out.splitlines() if ln.startswith("ingest ")]
    assert len(ran) < cases and "| all |" not in out, out[-2000:]  # stopped: neither every case nor the table
    assert not list(tmp.glob("fuzz-*")), list(tmp.iterdir())  # the interrupted case's folder removed too

"""Standard output and the files of a command (review s32, F4).

1. A reader of stdout that quit before the command's buffered output was flushed (``saliency models --names-only
   | true``, PYTHONUNBUFFERED unset) made Python's shutdown flush print "Exception ignored ... BrokenPipeError"
   and exit 120, not the promised silent 141 (docs/RELIABILITY.md).
2. ``eval`` printed its table before writing --json/--csv: a closed reader cost both files.
3. ``eval --json -`` wrote a file named ``-`` in the current folder, unsaid; no command writes a file output
   to stdout, so ``-`` is refused in one line naming the option.
4. (F14) A stdout that cannot be written (``> /dev/full``, PYTHONUNBUFFERED unset): the last flush's failure was
   ignored, then Python's shutdown flush printed "Exception ignored ... OSError: [Errno 28]" and exited 120. It
   is the one line the unbuffered run prints, exit 2, as a full disk is everywhere else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_fakes import refusal, run_cli


def _closed_reader(args, cwd, unbuffered):
    """``saliency ARGS | true`` with the reader gone before the first write: (exit code, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    r, w = os.pipe()
    os.close(r)
    try:
        proc = subprocess.run([sys.executable, "-m", "saliency", *map(str, args)], stdout=w,
                              stderr=subprocess.PIPE, timeout=300, cwd=cwd, env=env)
    finally:
        os.close(w)
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("args", [["models", "--names-only"], ["eval", "--list-datasets"]])
@pytest.mark.parametrize("unbuffered", [False, True])
def test_a_closed_reader_exits_141_in_silence(tmp_path, args, unbuffered):
    rc, err = _closed_reader(args, tmp_path, unbuffered)
    assert (rc, err) == (141, ""), (rc, err)


def _sod(tmp_path: Path) -> tuple[Path, Path]:
    """Two 16x16 GT masks and predictions identical to them: MAE 0 by hand."""
    import cv2

    gt, pr = tmp_path / "gt", tmp_path / "pr"
    gt.mkdir()
    pr.mkdir()
    m = np.zeros((16, 16), np.uint8)
    m[4:10, 4:10] = 255
    for i in range(2):
        cv2.imwrite(str(gt / f"im{i}.png"), m)
        cv2.imwrite(str(pr / f"im{i}.png"), m)
    return gt, pr


@pytest.mark.parametrize("unbuffered", [False, True])
def test_eval_writes_its_files_when_the_reader_of_its_table_quit(tmp_path, unbuffered):
    gt, pr = _sod(tmp_path)
    rc, err = _closed_reader(["eval", "--task", "sod", "--gt", gt, "--pred", f"A={pr}", "--metrics", "MAE",
                              "--quiet", "--json", "rj.json", "--csv", "rj.csv"], tmp_path, unbuffered)
    assert (rc, err) == (141, ""), (rc, err)
    obj = json.loads((tmp_path / "rj.json").read_text(encoding="utf-8"))
    (row,) = obj["results"]
    assert row["method"] == "A" and row["n_images"] == 2 and row["metrics"]["MAE"] == 0.0, row  # perfect
    lines = (tmp_path / "rj.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("dataset,method,n_images,") and len(lines) == 2, lines


@pytest.mark.parametrize("option", ["--json", "--csv", "--latex"])
def test_eval_refuses_stdout_dash_for_a_file_output(tmp_path, capsys, monkeypatch, option):
    gt, pr = _sod(tmp_path)
    monkeypatch.chdir(tmp_path)
    line = refusal(*run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"A={pr}", "--quiet",
                                     option, "-"]))
    assert line.startswith(f"saliency eval: error: {option} -: standard output"), line
    assert "give a file path" in line, line
    assert not (tmp_path / "-").exists()


FULL = "No space left on device; no space left on the disk; free some space or write elsewhere"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [["models", "--names-only"], ["eval", "--task", "sod", "--metrics", "MAE"]])
@pytest.mark.parametrize("unbuffered", [False, True])
def test_a_full_stdout_is_one_line_and_exit_2(tmp_path, args, unbuffered):
    if args[0] == "eval":
        gt, pr = _sod(tmp_path)
        args = [*args, "--gt", gt, "--pred", f"A={pr}", "--no-progress"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open("/dev/full", "w") as full:  # every write: ENOSPC
        proc = subprocess.run([sys.executable, "-m", "saliency", *map(str, args)], stdout=full,
                              stderr=subprocess.PIPE, timeout=300, cwd=tmp_path, env=env)
    err = proc.stderr.decode("utf-8", "replace")
    assert (proc.returncode, err.splitlines()) == (2, [f"saliency {args[0]}: error: {FULL}"]), (proc.returncode, err)


def test_a_full_stdout_keeps_the_commands_own_failure_code(monkeypatch, capsys):
    import errno

    from saliency import cli

    class _Full:
        def flush(self):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cli, "_stdout_to_null", lambda: None)
    monkeypatch.setattr(sys, "stdout", _Full())
    assert cli._flush_stdout(0, "saliency eval") == 2
    assert cli._flush_stdout(1, "saliency eval") == 1  # the command had failed: its code is kept
    assert capsys.readouterr().err.splitlines() == [f"saliency eval: error: {FULL}"] * 2


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("args, prog", [(["models", "--help"], "saliency models"), (["--help"], "saliency"),
                                        (["--version"], "saliency")])
@pytest.mark.parametrize("unbuffered", [False, True])
def test_help_and_version_to_a_full_stdout_are_one_line_and_exit_2(tmp_path, args, prog, unbuffered):
    """argparse's --help/--version exit before the command's flush: buffered, 'Exception ignored' and exit 120;
    unbuffered, the text lost without a word and exit 0 (review RR7)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "saliency", *args], stdout=full, stderr=subprocess.PIPE,
                              timeout=300, cwd=tmp_path, env=env)
    err = proc.stderr.decode("utf-8", "replace")
    assert (proc.returncode, err.splitlines()) == (2, [f"{prog}: error: {FULL}"]), (proc.returncode, err)


@pytest.mark.parametrize("args", [["models", "--help"], ["--version"]])
def test_help_read_by_a_closed_pipe_is_quiet(tmp_path, args):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.run(f"'{sys.executable}' -m saliency {' '.join(args)} | true; echo \"${{PIPESTATUS[0]}}\"",
                          shell=True, executable="/bin/bash", capture_output=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.stderr.decode() == "" and proc.stdout.decode().strip() in ("0", "141"), proc


@pytest.mark.parametrize("platform, expected", [("nt", 141), ("posix", 2)])
def test_windows_einval_from_a_gone_reader_is_the_quiet_exit(monkeypatch, capsys, platform, expected):
    """On Windows CPython raises OSError(EINVAL) (not BrokenPipeError) flushing a pipe whose reader exited
    (python/cpython#79935): it said 'Invalid argument ... (a name this file system does not accept?)', exit 2; there
    it is the closed reader's quiet 141. Elsewhere an EINVAL stays a failure (review R13)."""
    import errno

    from saliency import cli

    class _Gone:
        def flush(self):
            raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(cli, "_stdout_to_null", lambda: None)
    monkeypatch.setattr(cli, "_quiet_broken_pipe", lambda: 141)
    monkeypatch.setattr(sys, "stdout", _Gone())
    monkeypatch.setattr(cli.os, "name", platform)
    assert cli._flush_stdout(0, "saliency models") == expected
    err = capsys.readouterr().err
    assert (err == "") == (platform == "nt"), err

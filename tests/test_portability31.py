"""Portability review R6 (stop 31): Windows and macOS behaviour, emulated here as the platforms document it
(Windows cannot run on this machine): each test patches in what the platform does and checks the toolkit's answer."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import signal
import socket

import pytest

from saliency.base import fsutil


class _FakeKernel32:
    """``ctypes.windll.kernel32`` as the Win32 docs describe it, for a table of processes ``{pid: exit code}``
    (259 = STILL_ACTIVE: running); ``denied``: pids that exist but may not be opened (ERROR_ACCESS_DENIED)."""

    def __init__(self, procs: dict, denied=()):
        self.procs, self.denied, self.last_error, self.opened, self.closed = procs, set(denied), 0, [], []

        def open_process(access, inherit, pid):
            assert access == 0x1000  # PROCESS_QUERY_LIMITED_INFORMATION
            if pid in self.denied:
                self.last_error = 5
                return None
            if pid not in self.procs:
                self.last_error = 87  # ERROR_INVALID_PARAMETER: no such process
                return None
            self.opened.append(pid)
            return 1000 + pid

        def get_exit_code(handle, ref):
            ref._obj.value = self.procs[handle - 1000]
            return 1

        self.OpenProcess, self.GetExitCodeProcess = open_process, get_exit_code
        self.CloseHandle = lambda handle: self.closed.append(handle - 1000) or 1
        self.GetLastError = lambda: self.last_error


@pytest.fixture
def windows(monkeypatch):
    """os.name "nt", a fake kernel32, and an os.kill that fails the test if called (on Windows it terminates)."""
    calls = []

    def kill(pid, sig):
        calls.append((pid, sig))
        raise AssertionError(f"os.kill({pid}, {sig}) called on Windows: TerminateProcess")

    fake = _FakeKernel32({4242: 259, 4343: 0}, denied={4444})
    monkeypatch.setattr(ctypes, "windll", type("windll", (), {"kernel32": fake})(), raising=False)
    monkeypatch.setattr(os, "kill", kill)
    yield fake, calls


def on_windows(fn, *args):
    """``fn(*args)`` with ``os.name == "nt"`` (only during the call: pytest's own reporting needs POSIX paths)."""
    real = os.name
    os.name = "nt"
    try:
        return fn(*args)
    finally:
        os.name = real


def test_pid_alive_on_windows_asks_the_process_table_and_never_kills(windows):
    fake, calls = windows
    assert on_windows(fsutil.pid_alive, 4242) is True  # exit code STILL_ACTIVE
    assert on_windows(fsutil.pid_alive, 4343) is False  # it ended with exit code 0
    assert on_windows(fsutil.pid_alive, 5555) is False  # no such process
    assert on_windows(fsutil.pid_alive, 4444) is True  # another user's: exists
    assert calls == []
    assert fake.closed == fake.opened == [4242, 4343]  # every handle opened is closed


def test_a_second_train_on_windows_reads_the_lock_without_killing_its_holder(windows, tmp_path):
    from saliency.base.runlock import lock_holder as _lock_holder

    fake, calls = windows
    lock = tmp_path / "lock"
    host = socket.gethostname()
    lock.write_text(f"4242 {host}\n", encoding="utf-8")
    assert on_windows(_lock_holder, lock) == "pid 4242"  # running: held
    lock.write_text(f"4343 {host}\n", encoding="utf-8")
    assert on_windows(_lock_holder, lock) is None  # ended: the lock is stale
    lock.write_text(f"5555 {host}\n", encoding="utf-8")
    assert on_windows(_lock_holder, lock) is None
    assert calls == []


def test_pid_alive_on_posix_is_as_before(tmp_path):
    import subprocess
    import sys

    assert fsutil.pid_alive(os.getpid()) is True
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert fsutil.pid_alive(child.pid) is False  # reaped: no such process


def test_a_lost_interruption_is_delivered_again_on_windows_without_os_kill(windows, monkeypatch):
    raised = []
    monkeypatch.setattr(signal, "raise_signal", raised.append)
    on_windows(fsutil._signal_self, signal.SIGINT)
    assert raised == [signal.SIGINT] and windows[1] == []


def test_a_cpu_train_runs_without_a_load_average(monkeypatch):
    """Windows' os module has no getloadavg (docs: Availability: Unix): every CPU train failed there. The two
    places a CPU train reads the load (the thread choice and the note printed with the run) are called as train
    calls them: the choice follows the core count alone, and the note names the cores without a load."""
    import torch

    from saliency.runtime import cpu_threads, threads_note

    monkeypatch.delattr(os, "getloadavg")
    cfg = {"threads": "auto", "deterministic": False}
    cpu = torch.device("cpu")
    assert cpu_threads(cfg, cpu) == (1 if (os.cpu_count() or 1) <= 1 else None)
    note = threads_note(cfg, cpu, None)
    assert f"({os.cpu_count() or 1} cores)" in note and "load" not in note, note


def _sod_pair(root):
    import cv2
    import numpy as np

    for sub in ("gt", "pred"):
        (root / sub).mkdir(parents=True)
    mask = np.zeros((20, 30), np.uint8)
    mask[5:12, 8:20] = 255
    for i in range(3):
        cv2.imwrite(str(root / "gt" / f"s{i}.png"), mask)
        cv2.imwrite(str(root / "pred" / f"s{i}.png"), mask)  # a perfect prediction: MAE 0
    return root / "gt", root / "pred"


def test_eval_into_a_cp1252_stdout_writes_the_table_and_the_json(tmp_path):
    """Windows writes a redirected stdout in the ANSI code page (cp1252), which has no arrows: `saliency eval ... >
    table.md` failed as "an input file: not UTF-8 text" and --json was not written."""
    import json
    import subprocess
    import sys

    gt, pred = _sod_pair(tmp_path)
    env = dict(os.environ, PYTHONIOENCODING="cp1252")
    with open(tmp_path / "table.md", "wb") as table:
        r = subprocess.run([sys.executable, "-m", "saliency", "eval", "--task", "sod", "--gt", gt, "--pred",
                            f"m={pred}", "--metrics", "MAE", "--no-progress", "--json", tmp_path / "r.json"],
                           stdout=table, stderr=subprocess.PIPE, env=env, timeout=300)
    assert r.returncode == 0, r.stderr.decode("cp1252")
    text = (tmp_path / "table.md").read_bytes().decode("cp1252")  # in the encoding the user chose
    assert "| Method | MAE \\u2193 |" in text, text  # MAE: lower is better, its arrow escaped
    assert "| m | 0.000 |" in text, text  # a lone method: no bold
    res = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert "MAE" in json.dumps(res)


def test_an_encoding_error_of_an_output_is_not_called_a_bad_input_file():
    from saliency.cli import classify

    exc = UnicodeEncodeError("cp1252", "| MAE \u2193 |", 6, 7, "character maps to <undefined>")
    code, line = classify(exc, str)
    assert code == 2 and "input file" not in line and "not UTF-8 text" not in line, line
    assert "cp1252" in line and "PYTHONIOENCODING=utf-8" in line, line


@pytest.mark.parametrize("winerror", [1, 50])
def test_an_output_on_a_windows_volume_without_hard_links_is_written(tmp_path, monkeypatch, winerror):
    """CreateHardLinkW on FAT32/exFAT (ERROR_INVALID_FUNCTION, 1) or an SMB share (ERROR_NOT_SUPPORTED, 50): Python
    maps both to EINVAL, which was not a "no hard links here" error: every file output failed there."""
    def link(src, dst, *a, **k):
        exc = OSError(errno.EINVAL, "Incorrect function", str(src), None, str(dst))
        exc.winerror = winerror  # as on Windows (the attribute exists there only)
        raise exc

    monkeypatch.setattr(os, "link", link)
    fsutil.write_json(tmp_path / "out.json", {"a": 1})
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary file left


def test_einval_from_link_on_linux_is_still_an_error(tmp_path, monkeypatch):
    def link(src, dst, *a, **k):
        raise OSError(errno.EINVAL, "Invalid argument", str(src), None, str(dst))

    monkeypatch.setattr(os, "link", link)
    with pytest.raises(OSError) as caught:
        fsutil.write_json(tmp_path / "out.json", {"a": 1})
    assert caught.value.errno == errno.EINVAL
    assert not (tmp_path / "out.json").exists()


# ------------------------------------------------------------------ 5. a file browser's files in an output folder

def _images(folder):
    from PIL import Image

    folder.mkdir()
    for name in ("a", "b"):
        Image.new("RGB", (24, 20), (120, 90, 60)).save(folder / f"{name}.png")
    return folder


#: a file browser's files as the systems write them (their first bytes: the formats' published headers)
_DS_STORE = b"\0\0\0\1Bud1" + bytes(2040)  # Finder's "Buddy allocator" file
_APPLE_DOUBLE = bytes.fromhex("00051607") + bytes.fromhex("00020000") + bytes(16)  # AppleDouble v2 header
_OLE = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)  # Thumbs.db: an OLE compound file
_DESKTOP_INI = "\r\n[.ShellClassInfo]\r\nIconResource=C:\\Windows\\System32\\imageres.dll,-3\r\n"
BROWSER_FILES = {".DS_Store": _DS_STORE, "._a.png": _APPLE_DOUBLE, "Thumbs.db": _OLE,
                 "desktop.ini": b"\xff\xfe" + _DESKTOP_INI.encode("utf-16-le"),  # Explorer writes UTF-16 with a BOM
                 "Desktop.ini": _DESKTOP_INI.encode("utf-8")}


def _predict_argv(tmp_path):
    imgs = _images(tmp_path / "imgs")
    return ["predict", "--baseline", "gaussian-centre", "--images", imgs, "--out", tmp_path / "pb", "--quiet"]


@pytest.mark.parametrize("junk", sorted(BROWSER_FILES))
def test_predict_overwrite_of_a_folder_the_file_browser_opened(tmp_path, capsys, junk):
    """macOS Finder writes .DS_Store (and ._NAME) into a folder it shows, Windows Explorer Thumbs.db/desktop.ini:
    --overwrite was refused ("holds 1 entry saliency did not write (pb/.DS_Store)")."""
    from cli_fakes import run_cli

    argv = _predict_argv(tmp_path)
    assert run_cli(capsys, argv)[0] == 0
    (tmp_path / "pb" / junk).write_bytes(BROWSER_FILES[junk])
    rc, out, err = run_cli(capsys, [*argv, "--overwrite"])
    assert rc == 0 and err == "", err
    # the new folder: this run's maps and mark only (the browser's file went with the old folder)
    assert sorted(p.name for p in (tmp_path / "pb").iterdir()) == [".saliency-output.json", "a.png", "b.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgs", "pb"]


#: a person's files that only carry a file browser's names (review RR11: 51d377b deleted them without a word)
USERS_FILES = {"._notes": b"my notes\n", ".DS_Store": b"x", "Thumbs.db": b"thumbs\n",
               "desktop.ini": b"[Settings]\nmy=1\n", ".DS_STORE": b"\0\0\0\1Bud"}  # the last: cut short


@pytest.mark.parametrize("name", sorted(USERS_FILES))
def test_a_folder_holding_only_a_users_file_with_a_browsers_name_is_refused_and_kept(tmp_path, capsys, name):
    """An existing --out holding only a person's `._notes` was replaced (exit 0, the file gone); it is refused as
    before 51d377b, and the file kept byte for byte."""
    from cli_fakes import refusal, run_cli

    argv = _predict_argv(tmp_path)
    (tmp_path / "pb").mkdir()
    (tmp_path / "pb" / name).write_bytes(USERS_FILES[name])
    line = refusal(*run_cli(capsys, argv))
    assert line.endswith("pb: folder exists and is not empty; pass --overwrite to replace it"), line
    assert [(p.name, p.read_bytes()) for p in (tmp_path / "pb").iterdir()] == [(name, USERS_FILES[name])]


def test_overwrite_names_a_users_desktop_ini_and_thumbs_db_and_keeps_them(tmp_path, capsys):
    from cli_fakes import refusal, run_cli

    argv = _predict_argv(tmp_path)
    assert run_cli(capsys, argv)[0] == 0
    (tmp_path / "pb" / "desktop.ini").write_text("[Settings]\nmy=1\n")
    (tmp_path / "pb" / "Thumbs.db").write_text("thumbs\n")
    (tmp_path / "pb" / "._a.png").write_bytes(_APPLE_DOUBLE)  # Finder's: not named
    line = refusal(*run_cli(capsys, [*argv, "--overwrite"]))
    pb = tmp_path / "pb"
    assert f"holds 2 entries saliency did not write ({pb / 'Thumbs.db'}, {pb / 'desktop.ini'})" in line, line
    assert (pb / "desktop.ini").read_text() == "[Settings]\nmy=1\n" and (pb / "Thumbs.db").read_text() == "thumbs\n"


def test_a_browsers_name_on_a_link_folder_or_fifo_is_never_the_systems(tmp_path):
    """Only a plain file is read (a link is not followed, a FIFO not waited on): anything else is a person's."""
    (tmp_path / "t").write_bytes(_DS_STORE)
    (tmp_path / ".DS_Store").symlink_to(tmp_path / "t")
    (tmp_path / "._stuff").mkdir()
    os.mkfifo(tmp_path / "Thumbs.db")
    for name in (".DS_Store", "._stuff", "Thumbs.db"):
        assert fsutil.os_metadata_file(tmp_path / name) is False, name
    assert fsutil.holds_user_entries(tmp_path)
    (tmp_path / "desktop.ini").write_bytes(b"\xef\xbb\xbf[.shellclassinfo]\nConfirmFileOp=0\n")  # UTF-8 with BOM
    assert fsutil.os_metadata_file(tmp_path / "desktop.ini") is True


def test_a_users_file_is_still_refused_beside_the_browsers(tmp_path, capsys):
    from cli_fakes import refusal, run_cli

    imgs = _images(tmp_path / "imgs")
    argv = ["predict", "--baseline", "gaussian-centre", "--images", imgs, "--out", tmp_path / "pb", "--quiet"]
    assert run_cli(capsys, argv)[0] == 0
    (tmp_path / "pb" / ".DS_Store").write_bytes(_DS_STORE)
    (tmp_path / "pb" / "notes.txt").write_text("mine")
    line = refusal(*run_cli(capsys, [*argv, "--overwrite"]))
    assert "holds 1 entry saliency did not write (" in line and "notes.txt" in line and "DS_Store" not in line, line
    assert (tmp_path / "pb" / "notes.txt").read_text() == "mine"


def test_a_finder_made_empty_folder_is_taken_as_out_without_overwrite(tmp_path, capsys):
    from cli_fakes import run_cli

    imgs = _images(tmp_path / "imgs")
    (tmp_path / "pb").mkdir()
    (tmp_path / "pb" / ".DS_Store").write_bytes(_DS_STORE)
    rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", imgs, "--out",
                                    tmp_path / "pb", "--quiet"])
    assert rc == 0 and err == "", err
    assert sorted(p.name for p in (tmp_path / "pb").iterdir()) == [".saliency-output.json", "a.png", "b.png"]


def test_ingest_overwrite_with_a_ds_store_in_maps(tmp_path, capsys, monkeypatch):
    from PIL import Image

    from cli_fakes import run_cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "stim").mkdir()
    Image.new("RGB", (160, 120), (128, 128, 128)).save(tmp_path / "stim" / "s0003.png")
    (tmp_path / "geo.json").write_text(json.dumps({"screen_px": [160, 120], "screen_cm": [40, 30],
                                                   "distance_cm": 60}))
    (tmp_path / "fix.csv").write_text("subject,trial,stimulus,x,y,duration_ms\nsub01,1,s0003,80,60,250\n")
    argv = ["ingest", "fix.csv", "--stimuli", "stim", "--geometry", "geo.json", "--out", "OUT", "--quiet"]
    assert run_cli(capsys, argv)[0] == 0
    (tmp_path / "OUT" / "maps" / ".DS_Store").write_bytes(_DS_STORE)
    rc, out, err = run_cli(capsys, [*argv, "--overwrite"])
    assert rc == 0 and "did not write" not in err, err
    assert sorted(p.name for p in (tmp_path / "OUT" / "maps").iterdir()) == ["s0003.png"]


def test_a_command_started_with_sigterm_ignored_is_not_stopped_by_it(tmp_path):
    """``trap '' TERM; exec saliency ...`` (review RR9): the caller chose to ignore SIGTERM, as a background job's
    SIGINT is ignored; terminate_raises put its own handler in and the command ended 143 ('terminated'). Now the
    command runs to its end (exit 0, its output written) and its children inherit SIGTERM ignored. The command
    sends itself SIGTERM inside the run (a sitecustomize hook on the synth writer), so no timing is involved."""
    import subprocess
    import sys
    import textwrap

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(textwrap.dedent("""
        import os, signal
        import saliency.base.fsutil as f
        _orig = f.terminate_raises
        import contextlib
        @contextlib.contextmanager
        def wrapped():
            with _orig():
                os.kill(os.getpid(), signal.SIGTERM)  # delivered inside the command's own handling
                open(os.environ["HOOK_MARK"], "w").close()  # the hook ran, and the signal was sent
                yield
        f.terminate_raises = wrapped
    """))
    code = ("import os, signal, sys\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "from saliency.cli import main\nsys.exit(main(sys.argv[1:]))")
    import os

    # the hook first, then the caller's path (the tree under test when the suite runs against one)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
           "HOOK_MARK": str(tmp_path / "hook-ran")}
    r = subprocess.run([sys.executable, "-c", code, "synth", "--out", str(tmp_path / "s"), "--scenes", "2",
                        "--subjects", "1", "--size", "64x48", "--quiet"], capture_output=True, text=True,
                       env=env, timeout=300)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert (tmp_path / "s" / "study.json").is_file()
    assert (tmp_path / "hook-ran").is_file()


# ------------------------------------------------------------------ train and demo: the same rule (review RR11 item 2)

from train_fakes import make_sod, restore_torch_globals  # noqa: E402,F401 (an autouse fixture: active here)

TRAIN = ["--device", "cpu", "--quiet", "--set", "data.size=[48,64]", "--set", "train.grid_images=0",
         "--set", "train.tensorboard=false", "--epochs", "1", "--batch-size", "3", "--task", "sod"]


@pytest.fixture(scope="module")
def sod(tmp_path_factory):
    return make_sod(tmp_path_factory.mktemp("sod") / "S")


def test_train_overwrite_replaces_a_run_folder_finder_opened(sod, tmp_path, capsys):
    """train --overwrite refused "holds 1 entry saliency train did not write (R/.DS_Store)" for Finder's own file
    (at the top and in checkpoints/), while a fresh train into such a folder was accepted."""
    from cli_fakes import run_cli

    run = tmp_path / "R"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("task: sod\n")
    (run / "checkpoints" / "last.pt").write_text("old")
    (run / ".DS_Store").write_bytes(_DS_STORE)
    (run / "checkpoints" / "._last.pt").write_bytes(_APPLE_DOUBLE)
    rc, out, err = run_cli(capsys, ["train", "--data", sod, "--out", run, "--overwrite", *TRAIN])
    assert rc == 0 and err == "", err
    assert not (run / ".DS_Store").exists() and not (run / "checkpoints" / "._last.pt").exists()
    assert (run / "checkpoints" / "last.pt").read_bytes() != b"old" and (run / "metrics.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R"]  # the old run is gone, nothing left beside


def test_train_overwrite_into_a_folder_holding_only_finders_file_trains(sod, tmp_path, capsys):
    from cli_fakes import run_cli

    run = tmp_path / "R"
    run.mkdir()
    (run / ".DS_Store").write_bytes(_DS_STORE)
    rc, out, err = run_cli(capsys, ["train", "--data", sod, "--out", run, "--overwrite", *TRAIN])
    assert rc == 0 and err == "", err
    assert (run / "checkpoints" / "last.pt").is_file()


def test_train_overwrite_names_a_users_file_with_finders_name_and_keeps_it(sod, tmp_path, capsys):
    from cli_fakes import refusal, run_cli

    run = tmp_path / "R"
    run.mkdir()
    (run / "config.yaml").write_text("task: sod\n")
    (run / ".DS_Store").write_text("my notes")
    line = refusal(*run_cli(capsys, ["train", "--data", sod, "--out", run, "--overwrite", *TRAIN]))
    assert f"holds 1 entry saliency train did not write ({run / '.DS_Store'})" in line, line
    assert (run / ".DS_Store").read_text() == "my notes" and (run / "config.yaml").read_text() == "task: sod\n"


def test_demo_out_holding_only_finders_file_is_taken(tmp_path, capsys, monkeypatch):
    """demo --out refused a folder holding only Finder's .DS_Store ("folder is not empty and holds no demo"); it
    is taken as empty (the demo is stopped at its first stage here: it got past the folder check)."""
    import saliency.commands.demo as demo_cmd
    from saliency.cli import main

    def interrupt(command, argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_cmd, "call", interrupt)
    out = tmp_path / "d"
    out.mkdir()
    (out / ".DS_Store").write_bytes(_DS_STORE)
    assert main(["demo", "--out", str(out), "--quick", "--device", "cpu"]) == 130
    err = capsys.readouterr().err
    assert "interrupted during stage study" in err and "not empty" not in err, err
    mine = tmp_path / "e"
    mine.mkdir()
    (mine / ".DS_Store").write_bytes(b"x")  # a person's file of that name: refused as before
    assert main(["demo", "--out", str(mine), "--quick", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "folder is not empty and holds no demo (no demo.json)" in err, err
    assert [(p.name, p.read_bytes()) for p in mine.iterdir()] == [(".DS_Store", b"x")]


# ------------------------------------------------------------------ Finder writing into an empty --out mid-run (item 3)

@pytest.mark.parametrize("name, data, kept", [(".DS_Store", _DS_STORE, True), (".DS_Store", b"x", False),
                                              ("notes.txt", b"mine", False)],
                         ids=["finders-ds-store", "a-persons-ds-store", "a-persons-notes"])
def test_an_empty_out_finder_opened_during_the_run_keeps_the_result(tmp_path, capsys, monkeypatch, name, data, kept):
    """An empty --out into which Finder wrote .DS_Store while predict ran was "filled by a person or another run"
    and the result thrown away; a person's file written meanwhile still is (and is kept)."""
    from cli_fakes import refusal, run_cli

    argv = _predict_argv(tmp_path)
    (tmp_path / "pb").mkdir()
    real = fsutil.write_output_mark

    def mark_and_browse(stage):  # the run's last step before the swap: the folder is opened meanwhile
        (tmp_path / "pb" / name).write_bytes(data)
        return real(stage)

    monkeypatch.setattr(fsutil, "write_output_mark", mark_and_browse)
    rc, out, err = run_cli(capsys, argv)
    if kept:
        assert rc == 0 and err == "", err
        assert sorted(p.name for p in (tmp_path / "pb").iterdir()) == [".saliency-output.json", "a.png", "b.png"]
    else:
        line = refusal(rc, out, err)
        assert "was empty and was filled while this run was writing" in line, line
        assert [(p.name, p.read_bytes()) for p in (tmp_path / "pb").iterdir()] == [(name, data)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgs", "pb"]  # no stage or old folder left beside


# ------------------------------------------------------------------ an ignored SIGTERM stays ignored (review RR14)

def test_train_signals_leave_an_ignored_sigterm_ignored():
    """`trap '' TERM; saliency train ...`: train's Signals put its stop-flag handler over SIG_IGN, so the SIGTERM
    the caller ignored stopped the run. An ignored signal is left alone (and not touched on exit); one that is not
    ignored (SIGINT here) is still caught while inside and put back after."""
    from saliency.runtime import Signals

    old_term, old_int = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with Signals() as sig:
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGINT) == sig._handler
            os.kill(os.getpid(), signal.SIGTERM)  # ignored: no flag, the run goes on
            assert sig.signum is None
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)


def _sigterm_after_child_setup(parent_pid):
    """A bare forked child's job (as synth's CSV writers): its exit status tells its SIGTERM disposition."""
    from saliency.base.workers import child_setup

    child_setup(parent_pid)
    os._exit(7 if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN else 8)


@pytest.mark.parametrize("ignored", [True, False], ids=["parent-ignores-sigterm", "parent-default"])
def test_workers_keep_an_ignored_sigterm_ignored(ignored):
    """`trap '' TERM; saliency ingest --workers 2`: the workers' initialiser set SIGTERM back to the default, so a
    SIGTERM to the process group killed them and the command failed (BrokenProcessPool). Each kind of worker is
    asked for its disposition: ignored where the parent ignores it, the default action (as before) otherwise."""
    import multiprocessing

    from saliency.base.workers import process_pool, spawn_pool

    want = signal.SIG_IGN if ignored else signal.SIG_DFL
    old = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_IGN if ignored else signal.SIG_DFL)
        with process_pool(1) as pool:  # forked workers (Linux's default start method)
            assert pool.submit(signal.getsignal, signal.SIGTERM).result(timeout=120) == want
        with spawn_pool(1) as pool:  # spawned workers: a new interpreter, told the parent's state
            assert pool.submit(signal.getsignal, signal.SIGTERM).result(timeout=120) == want
        child = multiprocessing.get_context("fork").Process(target=_sigterm_after_child_setup, args=(os.getpid(),))
        child.start()
        child.join(120)
        assert child.exitcode == (7 if ignored else 8)
    finally:
        signal.signal(signal.SIGTERM, old)


# ------------------------------------------------------------------ Finder's file in the report's assets/ (review RR14)

_ROWS = "epoch,step,lr,loss,images_per_s,epoch_s,MAE,Fmax,val_s,best\n1,4,0.003,0.9,10,1,0.3,0.5,0.1,1\n" \
        "2,8,0.002,0.7,10,1,0.2,0.6,0.1,1\n"


@pytest.mark.parametrize("data, taken", [(_DS_STORE, True), (b"x", False)], ids=["finders", "a-persons"])
def test_report_again_into_assets_finder_opened(tmp_path, capsys, data, taken):
    """A second `saliency report RUN` was refused ("assets/.DS_Store: not written by saliency report") for Finder's
    own file in the report's assets/; it is taken (the folder is replaced whole). A person's file of that name is
    still refused and kept."""
    from cli_fakes import refusal, run_cli

    run = tmp_path / "R"
    run.mkdir()
    (run / "metrics.csv").write_text(_ROWS)
    assert run_cli(capsys, ["report", run, "--quiet"])[0] == 0
    (run / "assets" / ".DS_Store").write_bytes(data)
    if taken:
        rc, out, err = run_cli(capsys, ["report", run, "--quiet"])
        assert rc == 0 and err == "", err
        assert (run / "assets" / ".saliency-report").is_file() and (run / "report.md").is_file()
    else:
        line = refusal(*run_cli(capsys, ["report", run, "--quiet"]))
        assert f"{run / 'assets' / '.DS_Store'}: not written by saliency report" in line, line
        assert (run / "assets" / ".DS_Store").read_bytes() == b"x"


def test_train_overwrite_of_a_run_whose_report_assets_finder_opened(sod, tmp_path, capsys):
    """train --overwrite named Finder's file inside the run's report assets/ as an entry it did not write."""
    from cli_fakes import run_cli

    run = tmp_path / "R"
    run.mkdir()
    (run / "metrics.csv").write_text(_ROWS)
    assert run_cli(capsys, ["report", run, "--quiet"])[0] == 0
    (run / "assets" / ".DS_Store").write_bytes(_DS_STORE)
    rc, out, err = run_cli(capsys, ["train", "--data", sod, "--out", run, "--overwrite", *TRAIN])
    assert rc == 0 and err == "", err
    assert (run / "checkpoints" / "last.pt").is_file() and not (run / "assets").exists()


# ------------------------------------------------------------------ demo --fresh and Finder's files (review RR14)

def test_demo_fresh_does_not_count_finders_files_in_its_folders_as_the_users(tmp_path):
    """demo --fresh refused ("not written by saliency demo") a demo whose folders Finder had opened (.DS_Store,
    ._NAME in their formats); only a person's files are named now, a person's file called .DS_Store among them."""
    from saliency.demo import foreign_entries

    out = tmp_path / "d"
    for folder in ("study/stimuli", "runs/sod/checkpoints", "preds/sod", "eval"):
        (out / folder).mkdir(parents=True)
    (out / "study" / "stimuli" / "s0001.png").write_bytes(b"png")
    (out / "preds" / "sod" / "s0001.png").write_bytes(b"png")
    (out / "study" / ".DS_Store").write_bytes(_DS_STORE)
    (out / "study" / "stimuli" / ".DS_Store").write_bytes(_DS_STORE)
    (out / "runs" / "sod" / "checkpoints" / ".DS_Store").write_bytes(_DS_STORE)
    (out / "preds" / "sod" / "._s0001.png").write_bytes(_APPLE_DOUBLE)
    assert foreign_entries(out) == []
    (out / "eval" / ".DS_Store").write_bytes(b"x")  # a person's file of Finder's name
    (out / "study" / "notes.txt").write_text("mine")
    assert foreign_entries(out) == [out / "study" / "notes.txt", out / "eval" / ".DS_Store"]

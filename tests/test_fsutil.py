"""Atomic writes (saliency.base.fsutil): the result replaces the target whole and is an ordinary file."""

from __future__ import annotations

import os
import stat

import pytest

from saliency.base.fsutil import staged_dir, write_text


def _umask() -> int:
    u = os.umask(0)
    os.umask(u)
    return u


def test_written_files_and_folders_follow_the_umask(tmp_path):
    """mkstemp/mkdtemp create private (0600/0700) paths; what we hand to the user follows the umask."""
    write_text(tmp_path / "a.txt", "x")
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~_umask()
    with staged_dir(tmp_path / "d") as stage:
        (stage / "f").write_text("y")
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o777 & ~_umask()
    assert not list(tmp_path.glob(".*"))


def test_failed_write_leaves_the_old_content(tmp_path):
    target = tmp_path / "keep.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with staged_dir(tmp_path / "d"):
            raise RuntimeError("interrupted")
    from saliency.base.fsutil import atomic_path

    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old" and not (tmp_path / "d").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_clear_dir_empties_without_following_links(tmp_path):
    from saliency.base.fsutil import clear_dir

    keep = tmp_path / "elsewhere"
    keep.mkdir()
    (keep / "data.txt").write_text("mine")
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "f").write_text("x")
    (d / "g").write_text("y")
    (d / "link").symlink_to(keep, target_is_directory=True)
    clear_dir(d)
    assert d.is_dir() and not list(d.iterdir())
    assert (keep / "data.txt").read_text() == "mine"


# ------------------------------------------------------------------ issue 16: links, inputs, signals


def test_links_are_never_emptied_replaced_or_staged_into(tmp_path):
    """A folder reached through a link is never emptied (clear_dir), replaced (check_out_dir) nor swapped (staged_dir)."""
    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_out_dir, clear_dir

    keep = tmp_path / "thesis"
    keep.mkdir()
    (keep / "thesis.tex").write_text("mine")
    (tmp_path / "link").symlink_to(keep, target_is_directory=True)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for call in (lambda p: clear_dir(p), lambda p: check_out_dir(p, True), lambda p: staged_dir(p).__enter__()):
        for name in ("link", "dangling"):
            with pytest.raises(UserError, match="symbolic link"):
                call(tmp_path / name)
    assert (keep / "thesis.tex").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "link", "thesis"]
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "in").symlink_to(keep, target_is_directory=True)
    assert check_out_dir(out / "sub" / "none", False) == out / "sub" / "none"
    with pytest.raises(UserError, match="holds a symbolic link"):
        check_out_dir(out, True)


def test_outputs_apart_from_inputs(tmp_path):
    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_apart, check_out_dir

    data = tmp_path / "data"
    (data / "stimuli").mkdir(parents=True)
    for out, how in ((data, "is the input"), (data / "stimuli" / "o", "lies inside"), (tmp_path, "holds the input")):
        with pytest.raises(UserError, match=how) as exc:
            check_out_dir(out, True, inputs={"stimuli": data if how != "lies inside" else data / "stimuli"})
        assert "`out`" in str(exc.value.args[0]) and "`stimuli`" in str(exc.value.args[0])
    check_apart(tmp_path / "elsewhere", {"stimuli": data, "logs": [data / "a.csv", None]})
    check_apart(tmp_path, {"plots": data}, contains=False)  # a report may be written above its inputs
    with pytest.raises(UserError, match="input log file"):
        check_apart(data, {"log file": [data / "a.csv"]})


def test_sigterm_raises_while_staging_and_the_stage_is_removed(tmp_path):
    """SIGTERM inside staged_dir raises Terminated (a KeyboardInterrupt); the stage goes, the old output stays."""
    import signal

    from saliency.base.fsutil import Terminated

    before = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "out"
    # an earlier staged output (it carries the mark): a folder holding a file of the user's is no longer replaced
    # at all (tests/test_overwrite_ownership.py), so the old output is one staged_dir wrote
    with staged_dir(out) as stage:
        (stage / "old.txt").write_text("old")
    with pytest.raises(Terminated):
        with staged_dir(out) as stage:
            (stage / "new.txt").write_text("new")
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(10**6):  # the handler runs between bytecodes
                pass
    assert isinstance(Terminated(), KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) is before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and (out / "old.txt").read_text() == "old"


def test_signals_held_defers_a_signal_to_the_end_of_the_block(tmp_path):
    import signal

    from saliency.base.fsutil import Terminated, signals_held, terminate_raises

    steps = []
    with pytest.raises(Terminated):
        with terminate_raises():
            with signals_held():
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(10**5):
                    pass
                steps.append("finished")
    assert steps == ["finished"]


def test_move_aside_and_restore(tmp_path):
    from saliency.base.fsutil import discard_aside, move_aside, restore_aside

    run = tmp_path / "run"
    run.mkdir()
    (run / "last.pt").write_text("old")
    aside = move_aside(run)
    assert run.is_dir() and not any(run.iterdir()) and (aside / "last.pt").read_text() == "old"
    (run / "config.yaml").write_text("new")
    restore_aside(run, aside)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"] and (run / "last.pt").read_text() == "old"
    aside = move_aside(run)
    discard_aside(aside)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"] and not any(run.iterdir())


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_sigterm_as_the_temporary_path_is_created_leaves_nothing(tmp_path, monkeypatch, what):
    """The signal lands right after mkstemp/mkdtemp returns, before the body: the new path is still removed.

    (Found by tests/test_interrupt.py: `saliency eval` terminated 0.34 s in left `.eval.json.*.tmp`.)
    """
    import signal
    import tempfile

    from saliency.base.fsutil import Terminated, atomic_path, terminate_raises

    name = "mkstemp" if what == "file" else "mkdtemp"
    real = getattr(tempfile, name)

    def make_then_signal(*a, **k):
        made = real(*a, **k)
        os.kill(os.getpid(), signal.SIGTERM)  # handled at the next bytecode (or when the signals are let go)
        return made

    monkeypatch.setattr(tempfile, name, make_then_signal)
    body = []
    with pytest.raises(Terminated):
        with terminate_raises():
            with (atomic_path(tmp_path / "r.json") if what == "file" else staged_dir(tmp_path / "out")):
                body.append("ran")
    assert body == [] and list(tmp_path.iterdir()) == []


_PRINTED_NOT_RAISED = r"""
import sys, time
from saliency.base.fsutil import Terminated, terminate_raises

how, kind = sys.argv[1], sys.argv[2]
exc = KeyboardInterrupt if kind == "int" else Terminated


class Dropped:
    def __del__(self):  # an exception here is "unraisable": Python prints it and goes on
        raise exc()


with terminate_raises():
    try:
        if how == "unraisable":
            Dropped()
        else:  # what C code calling PyErr_Print does with a pending exception: sys.excepthook, then on
            try:
                raise exc()
            except BaseException as e:
                sys.excepthook(type(e), e, e.__traceback__)
        time.sleep(5)
        print("went on")
    except exc:
        print("interrupted again")
"""


@pytest.mark.parametrize("how", ["unraisable", "excepthook"])
@pytest.mark.parametrize("kind", ["int", "term"])
def test_an_interruption_python_prints_instead_of_raising_is_delivered_again(tmp_path, how, kind):
    """A Ctrl-C/SIGTERM that Python prints and drops is raised again in ordinary code, without a traceback.

    (Found by tests/test_interrupt.py under load: a Ctrl-C landing in an import started from C code printed
    a KeyboardInterrupt traceback through sys.excepthook, and the run went on.)
    """
    import subprocess
    import sys

    script = tmp_path / "s.py"
    script.write_text(_PRINTED_NOT_RAISED)
    r = subprocess.run([sys.executable, str(script), how, kind], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "interrupted again" and r.stderr == "", (r.stdout, r.stderr)


def test_a_failed_write_names_the_file_being_written(tmp_path):
    """A full disk raised ENOSPC with no file name, so the line said only "no space left on the disk"."""
    import errno

    from saliency.base.fsutil import atomic_path

    target = tmp_path / "r.json"
    with pytest.raises(OSError) as info:
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise OSError(errno.ENOSPC, "No space left on device")  # what a write on a full disk raises
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []  # the temporary file removed, no target made


def test_links_inside_an_input_folder_are_judged_like_the_input_itself(tmp_path):
    """A link in an input folder to a file or folder inside the output is refused as that input would be
    (review, stop 18); with ``contains=False`` (a report written above its inputs) the output may hold it."""
    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_apart

    out = tmp_path / "run"
    (out / "pred").mkdir(parents=True)
    (out / "pred" / "a.png").write_bytes(b"x")
    d = tmp_path / "in"
    d.mkdir()
    (d / "b.png").symlink_to(out / "pred" / "a.png")
    with pytest.raises(UserError, match="holds .*a.png, which the link"):
        check_apart(out, {"images": d})
    check_apart(out, {"images": d}, contains=False)
    (d / "b.png").unlink()
    (d / "more").symlink_to(out / "pred", target_is_directory=True)
    with pytest.raises(UserError, match="holds"):
        check_apart(out, {"images": d})
    check_apart(out, {"pred": d}, contains=False)
    (d / "more").unlink()
    (d / "self").symlink_to(out, target_is_directory=True)  # the output itself: refused either way
    with pytest.raises(UserError, match="is .*run, which the link"):
        check_apart(out, {"pred": d}, contains=False)
    (d / "self").unlink()
    (d / "elsewhere.png").symlink_to(tmp_path / "nowhere.png")  # dangling, or elsewhere: an ordinary input
    (d / "up").symlink_to(tmp_path, target_is_directory=True)  # up to an enclosing folder: never followed
    check_apart(out, {"images": d})

"""The lock file by which one process claims a folder it writes: ``saliency train``'s run, ``saliency demo``'s folder.

One implementation for every command that claims a folder or asks whether
one is claimed (``saliency.train.claim_run``, ``saliency.demo.Demo``,
``saliency.report.run_progress``); torch-free, so ``report`` reads a run's
lock without importing ``train`` (which imports ``report``).

The lock is :data:`LOCK_NAME` in the folder, created with ``O_EXCL`` and
holding ``PID HOST START COMMAND`` (:func:`lock_text`; ``START`` is the process
start time, field 22 of ``/proc/PID/stat``, ``-`` without ``/proc``; ``COMMAND``
the ``saliency`` command that holds the folder, which another's refusal names).
An older saliency wrote ``PID HOST START`` or ``PID HOST`` (the command unknown:
a refusal names the caller's) and reads no field after ``START``. It is stale,
and taken over, when its pid is gone or is another process now (reused after a
reboot: another start time); a lock of another host is always held, an
unreadable or empty one for a minute (its writer may be between creating and
writing it).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import time
from pathlib import Path

from saliency.base.errors import UserError

#: the lock file's name: ``.saliency-train.lock`` in a run folder (existing runs and their docs rely on it) and
#: in a demo folder (a demo an older saliency started is resumed and claimed by the same file)
LOCK_NAME = ".saliency-train.lock"

#: what ``saliency train`` writes into a run folder: its files (the lock among them) and its checkpoint folder;
#: here, beside the lock, so that ``saliency.report`` can recognise a run without importing ``saliency.train``
#: (which imports the report's helpers: an import cycle)
CKPT_DIR = "checkpoints"
RUN_FILES = ("config.yaml", "split.json", "metrics.csv", LOCK_NAME)

#: folders this process has claimed, by absolute path: the lock file to remove when the work ends
_CLAIMED: dict[str, Path] = {}

#: how a refusal says what the holder does, by command: (verb, place); any other command "is running in this folder"
_WORK = {"train": ("is writing", "this run")}

#: a command as a lock names it (a newer saliency may hold a folder by a command this one lacks)
_COMMAND = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def _key(folder) -> str:
    return os.path.abspath(folder)


def process_start(pid: int) -> str | None:
    """When the process ``pid`` started (clock ticks after boot: field 22 of ``/proc/PID/stat``), or None (no
    such process, no ``/proc``). With the pid it names one process: a pid is reused, never with its start time."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
        return stat[stat.rindex(")") + 2:].split()[19]  # the fields after the command name start at field 3
    except (OSError, ValueError, IndexError):
        return None


def lock_text(command: str = "train") -> str:
    """What this process's lock file holds when ``saliency COMMAND`` claims a folder: ``PID HOST START COMMAND``
    (``START`` is ``-`` without ``/proc``: the command stays the fourth field, never read as a start time)."""
    pid = os.getpid()
    start = process_start(pid)
    return f"{pid} {socket.gethostname()} {start if start is not None else '-'} {command}\n"


def lock_command(lock: Path) -> str | None:
    """The ``saliency`` command ``lock`` names as its holder's, or None: an older saliency's lock (``PID HOST
    [START]``), an unreadable one, or a fourth field that is no command name."""
    try:
        fields = lock.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    return fields[3] if len(fields) > 3 and _COMMAND.fullmatch(fields[3]) else None


def lock_holder(lock: Path) -> str | None:
    """Who holds ``lock``, if a live process other than this one does ("pid N", "pid N on HOST", "an unknown
    process"); else None: no lock, a link or a folder (never a lock), or a stale lock.

    A lock of another host is held; a dead pid, or a pid whose process started at another time than the lock's
    START (reused), is stale; an unreadable or empty lock counts as held for a minute (its writer may be between
    creating and writing it), then as stale.
    """
    from saliency.base.fsutil import pid_alive

    if lock.is_symlink() or not lock.is_file():
        return None
    try:
        text = lock.read_text(encoding="utf-8").split()
        pid, host = int(text[0]), text[1]
        started = text[2] if len(text) > 2 and text[2] != "-" else None  # "-": no /proc; absent: older
    except FileNotFoundError:
        return None
    except (OSError, ValueError, IndexError):
        try:
            return "an unknown process" if time.time() - lock.stat().st_mtime < 60 else None
        except OSError:
            return None
    if host != socket.gethostname():
        return f"pid {pid} on {host}"
    if pid == os.getpid():
        return None
    if not pid_alive(pid):  # never os.kill on Windows: it would end the process that holds the lock
        return None  # a process killed outright (SIGKILL, power cut): its lock is stale
    now = process_start(pid) if started is not None else None  # None: unreadable (no /proc; hidepid=2: another
    if now is not None and now != started:  # user's process) - then alive is all that is known: never stale
        return None  # the pid is another process's now (reused after a reboot or power cut): the lock is stale
    return f"pid {pid}"


def holds(folder: Path) -> bool:
    """Whether the lock file of ``folder`` is this process's, by whichever command it claimed it (the folder is
    still the one this process claimed): its pid, host and start time."""
    try:
        fields = (Path(folder) / LOCK_NAME).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return False
    return len(fields) == 4 and fields[:3] == lock_text().split()[:3]


def check_unclaimed(folder: Path, param: str, command: str = "train") -> None:
    """Refuse ``folder`` (the value of option ``param``) in one line while another live process holds it, naming
    the ``saliency`` command its lock names (``command``, the caller's, for an older saliency's lock, which names
    none); a stale lock (its process gone) is removed."""
    lock = Path(folder) / LOCK_NAME
    if not lock.is_file() or lock.is_symlink():
        return
    holder = lock_holder(lock)
    if holder is not None:
        command = lock_command(lock) or command
        verb, place = _WORK.get(command, ("is running in", "this folder"))
        raise UserError(f"`{param}` {folder}: another saliency {command} ({holder}) {verb} {place}; wait for it "
                        f"to end, or delete {lock} if that process is gone")
    with contextlib.suppress(FileNotFoundError):
        lock.unlink()


def claim(folder: Path, param: str, command: str = "train") -> None:
    """Claim ``folder`` for this process (an ``O_EXCL`` lock file), or refuse it in one line naming
    ``saliency COMMAND`` (:func:`check_unclaimed`).

    Two processes into one folder, started together, both found it empty; the
    one that then failed deleted the other's files as its own. Released by
    :func:`release`; a process killed outright leaves a lock that the next one
    finds stale and takes over.
    """
    lock = Path(folder) / LOCK_NAME
    other = command  # the command of the last lock found made between the check and the open
    for _ in range(3):
        check_unclaimed(Path(folder), param, command)
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            other = lock_command(lock) or command
            continue  # created between the check and the open: judge it again
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(lock_text(command))
        _CLAIMED[_key(folder)] = lock
        return
    place = _WORK.get(other, ("", "this folder"))[1]
    raise UserError(f"`{param}` {folder}: another saliency {other} is claiming {place}; wait for it to end")


def claimed(folder) -> bool:
    """Whether this process claimed ``folder`` (:func:`claim`) and has not released or forgotten it."""
    return _key(folder) in _CLAIMED


def forget(folder) -> None:
    """Stop counting ``folder`` as claimed, its lock file left as it is (the folder is another process's now)."""
    _CLAIMED.pop(_key(folder), None)


def release(folder) -> None:
    """Remove the lock file by which this process claimed ``folder`` (a no-op if it did not, or if the lock there
    is another process's now)."""
    lock = _CLAIMED.pop(_key(folder), None) if folder is not None else None
    if lock is not None and holds(lock.parent):  # this process's lock text, as written: pid, host, start
        with contextlib.suppress(OSError):
            lock.unlink()

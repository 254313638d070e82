"""The scratch folder (``--work``) of a benchmark: replaced only when a benchmark made it.

A benchmark builds studies, datasets and runs in ``--work`` and replaces it
on the next run. It never deletes what it did not make: a ``--work`` that
exists and holds anything without the mark file (a user's folder, a typo),
or that is, holds or lies inside one of the inputs (``--study``,
``--fix-data``, ``--data``), stops the script with one line, before
anything is touched. A folder a benchmark keeps and reuses (``ingest.py
--keep``, ``read_speed.py --keep``, ``fuzz.py --baseline``) is held to the
same mark (:func:`own_folder`).

The benchmarks share their command-line conventions here too: bad input is
one line on stderr and exit status 2, never a traceback (:func:`refuse`,
:class:`ArgumentParser` for usage errors, :func:`run_main` for a
``UserError`` of the toolkit), and the argument types of the options several
benchmarks take (:func:`seed_list` for ``--seeds``, :func:`attention_list`
for ``--attentions``). Every script runs its ``main`` through :func:`run_main`,
so Ctrl-C is one line and exit status 130, SIGTERM one line and 143. A child process a benchmark
runs (``saliency ingest``, ``saliency train``) ends with it (:func:`run_child`, :func:`child_process`): a
SIGTERM reaches the script alone, not its children as a terminal's Ctrl-C does. :func:`remove_scratch`
removes a temporary folder with a repeated signal held until it is gone.
:func:`content_digest` is the
digest of the inputs a resumable ``--work`` records (``ablation.py``,
``osie.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

MARK = ".saliency-benchmark-scratch"
"""The file a benchmark writes in the scratch folder it made (what allows replacing it)."""


def refuse(msg: str):
    """Stop a benchmark on bad input: ``error: MSG`` as one line on stderr, exit status 2."""
    print(f"error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def own_folder(folder: str | Path, option: str = "--work") -> Path:
    """``folder`` as a benchmark's own: made (with its :data:`MARK`) when absent or empty, kept when it has the mark.

    Only then may a benchmark replace what is in it. A folder that holds
    anything but has no mark (a user's folder, a typo), a file, or a symbolic
    link stops the script with one line naming ``option``, exit status 2.
    """
    folder = Path(folder)
    if folder.is_symlink():
        refuse(f"{option} {folder}: is a symbolic link; give a real folder path")
    if folder.exists():
        if not folder.is_dir():
            refuse(f"{option} {folder}: exists and is not a folder; give a new path")
        if (folder / MARK).is_file():
            return folder
        if any(folder.iterdir()):
            refuse(f"{option} {folder}: exists and is not a scratch folder a benchmark made (no {MARK}); give a "
                   "new path or empty it yourself")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARK).write_text("made by a saliency benchmark; replaced or reused by the next run\n")
    return folder


def fresh_work(work: str | Path, inputs: dict | None = None) -> Path:
    """An empty ``work`` folder: replaced when a benchmark made it (its :data:`MARK`), created when absent.

    ``inputs`` (``{option: path}``) are refused inside, as, or holding ``work``.
    Exits with status 2 and one line naming the option otherwise.
    """
    import os

    work = Path(work)
    w = Path(os.path.realpath(work))
    for opt, p in (inputs or {}).items():
        if not p:
            continue
        i = Path(os.path.realpath(p))
        if i == w or w in i.parents or i in w.parents:
            refuse(f"--work {work}: overlaps {opt} {p}; give a scratch folder apart from the inputs")
    own_folder(work)  # refuses a folder a benchmark did not make
    shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / MARK).write_text("made by a saliency benchmark; replaced by the next run\n")
    return work


SETTINGS = "benchmark-settings.json"
"""The file in a resumable ``--work`` folder that records the settings its cached steps were made with."""


def resumable_work(work: str | Path, settings: dict, option: str = "--work") -> Path:
    """A ``work`` folder that a benchmark resumes in: its cached steps are reused only under the same ``settings``.

    A new or empty ``work`` (nothing in it but :data:`MARK`) records ``settings``
    (:data:`SETTINGS`); a folder that recorded others, or holds files but no
    record, stops the script with one line naming ``option`` and the settings
    that differ (a second run with another ``--limit-test`` printed the first
    run's table under the new header), as does a path that exists and is not a
    folder (a file).
    """
    import json

    work = Path(work)
    if work.exists() and not work.is_dir():  # iterdir() below: a NotADirectoryError traceback
        refuse(f"{option} {work}: exists and is not a folder; give a new path")
    rec = work / SETTINGS
    want = json.loads(json.dumps(settings))  # as they read back (tuples as lists)
    if rec.is_file():
        have = json.loads(rec.read_text(encoding="utf-8"))
        diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
        if diff:
            shown = ", ".join(f"{k} {have.get(k)!r} (now {want.get(k)!r})" for k in diff)
            refuse(f"{option} {work}: its cached steps were made with {shown}; give a new {option}, or the "
                   "same settings to resume")
        return work
    if work.exists() and any(p.name != MARK for p in work.iterdir()):
        refuse(f"{option} {work}: holds files but no {SETTINGS} (not made by this benchmark, or by an older "
               f"version): give a new {option}")
    work.mkdir(parents=True, exist_ok=True)
    rec.write_text(json.dumps(want, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return work


def content_digest(root: Path, parts: tuple[str, ...]) -> str:
    """sha256 (first 16 hex digits) of the relative path and bytes of every file in ``root/PART`` (a file or a
    folder, recursively; a missing one counts as empty), in path order.

    Recorded in ``--work``'s settings beside an input's path, so a folder replaced at the same path (a study
    synthesised again with another seed, a mask edited) is refused instead of its finished runs being reused
    under its name. Contents, not sizes or times: a PNG edited in place may keep its size, a ``cp -a`` copy keeps
    its times. Only the files the cached steps read are hashed (about 0.5 s for 600 synthetic scenes).
    """
    import hashlib

    h = hashlib.sha256()
    for part in parts:
        top = root / part
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []
        for f in files:
            rel = f.relative_to(root).as_posix().encode("utf-8", "surrogateescape")
            h.update(len(rel).to_bytes(8, "little") + rel + f.stat().st_size.to_bytes(8, "little"))
            with open(f, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
    return h.hexdigest()[:16]


class ArgumentParser(argparse.ArgumentParser):
    """A benchmark's argument parser whose usage errors are one line (exit 2), as the toolkit's commands."""

    def error(self, message):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def run_main(main, interrupted: str = "") -> int:
    """``main()``'s exit status; a ``UserError`` it raises (bad input) is one line on stderr and status 2.

    Ctrl-C (``KeyboardInterrupt``) is one line too, ``SCRIPT.py: interrupted`` (``; INTERRUPTED`` after it when
    given, e.g. how to resume), and exit status 130, as the toolkit's ``saliency <cmd>: interrupted``; it was a
    KeyboardInterrupt traceback. SIGTERM (``kill PID``) is ``SCRIPT.py: terminated`` and exit status 143, as
    ``saliency <cmd>: terminated``: it raises :class:`saliency.base.fsutil.Terminated` (a KeyboardInterrupt,
    :func:`saliency.base.fsutil.terminate_raises`), so the script's ``with`` blocks and ``finally`` clauses clean
    up its scratch as for Ctrl-C; it was a silent death (status -15) that left temporary folders behind. A
    failure that follows either signal (a command run in-process caught it and returned 130 or 143, and the
    script's check of that status raised) is the same line, not the check's traceback or message.
    """
    try:
        from saliency.base.errors import UserError, cli_flag
        from saliency.base.fsutil import forget_interruptions, interrupted_by, terminate_raises

        forget_interruptions()
        try:
            with terminate_raises():
                try:
                    return main() or 0
                except UserError as exc:  # the toolkit names its parameters in backticks: shown as the options
                    refuse(exc.render(cli_flag))
        except (Exception, SystemExit) as exc:  # after a signal that a command run in-process caught: its line
            received = interrupted_by()
            if received is None or (isinstance(exc, SystemExit) and exc.code in (0, None)):
                raise
            return _stopped(128 + received, interrupted)
    except KeyboardInterrupt as exc:  # `with` blocks and `finally` clauses have run (temporary folders removed)
        return _stopped(getattr(exc, "exit_code", 130), interrupted)


def _stopped(code: int, interrupted: str) -> int:
    """``SCRIPT.py: interrupted`` (130, Ctrl-C) or ``terminated`` (143, SIGTERM) on stderr, and the code."""
    word = "terminated" if code == 143 else "interrupted"
    print(f"{Path(sys.argv[0]).name}: {word}{f'; {interrupted}' if interrupted else ''}", file=sys.stderr)
    return code


GRACE = 5.0
"""Seconds a child process is given to end on its own, and again after a signal, before it is killed."""


def _wait_child(p: subprocess.Popen, timeout: float | None) -> bool:
    """Wait up to ``timeout`` s for ``p`` to end (its pipes drained, so a full one cannot stall it); ended?"""
    try:
        if p.stdin or p.stdout or p.stderr:
            p.communicate(timeout=timeout)
        else:
            p.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def end_child(p: subprocess.Popen, exc: BaseException | None = None, grace: float = GRACE) -> None:
    """End the child ``p`` of a script that is stopping on ``exc``, and wait for it (no orphan, no zombie).

    After Ctrl-C (a KeyboardInterrupt) it gets ``grace`` s to end on its own (a terminal's Ctrl-C reached it
    too: it cleans up and says so), then SIGINT; after SIGTERM (:class:`saliency.base.fsutil.Terminated`,
    which reached this script alone) or an error, SIGTERM at once. Killed (SIGKILL) when still running
    ``grace`` s after that signal. Ctrl-C and SIGTERM are held meanwhile (a repeat takes effect once the
    child is gone).
    """
    import signal

    from saliency.base.fsutil import Terminated, signals_held

    with signals_held():
        if p.poll() is not None:
            _wait_child(p, None)  # its pipes closed by the caller's `with`; nothing left to end
            return
        ctrl_c = isinstance(exc, KeyboardInterrupt) and not isinstance(exc, Terminated)
        if ctrl_c and _wait_child(p, grace):
            return
        p.send_signal(signal.SIGINT if ctrl_c else signal.SIGTERM)
        if not _wait_child(p, grace):
            p.kill()
            _wait_child(p, None)


@contextlib.contextmanager
def child_process(cmd: list[str], grace: float = GRACE, **popen):
    """``subprocess.Popen(cmd, **popen)`` that ends with the script: when the block is left on Ctrl-C, SIGTERM or
    an error while the child runs, it is ended and waited for (:func:`end_child`) before the script's clean-up
    (its ``finally`` clauses, which remove the folders the child works in)."""
    from saliency.base.fsutil import signals_held

    p = None
    try:
        with signals_held():  # a signal while Popen starts it takes effect once `p` is known to the except below
            p = subprocess.Popen(cmd, **popen)
        yield p
    except BaseException as exc:
        if p is not None:
            end_child(p, exc, grace)
        raise
    finally:
        if p is not None:  # as Popen's `with`: its pipes closed, and it waited for
            for f in (p.stdin, p.stdout, p.stderr):
                if f:
                    f.close()
            p.wait()


def run_child(cmd: list[str], *, check: bool = False, capture_output: bool = False, grace: float = GRACE,
              quiet_stop: bool = False, **popen) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd, ...)`` (``check``, ``capture_output``, Popen's arguments) through :func:`child_process`.

    ``subprocess.run`` kills its child (SIGKILL) on any exception, Ctrl-C and SIGTERM's ``Terminated`` included:
    no orphan, but no clean-up either (SIGKILL: the child cannot remove what it was writing). ``quiet_stop``:
    the child's stderr is piped and copied to ours once it has ended on its own; when the script is stopping
    (Ctrl-C, SIGTERM) and ends it, the child's line (``saliency synth: terminated``) is dropped, so the script's
    own line is the only one.
    """
    if capture_output:
        popen.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if quiet_stop:
        popen["stderr"] = subprocess.PIPE
    with child_process(cmd, grace, **popen) as p:
        out, err = p.communicate()
    if quiet_stop and err:  # it ended on its own: what it said (a bad input's one line) is shown
        sys.stderr.write(err.decode(errors="replace") if isinstance(err, bytes) else err)
        sys.stderr.flush()
    if check and p.returncode:
        raise subprocess.CalledProcessError(p.returncode, p.args, out, err)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def remove_scratch(folder: str | Path) -> None:
    """Remove ``folder`` (a benchmark's temporary one) entirely, Ctrl-C and SIGTERM held meanwhile.

    The removal runs in the clean-up after a first signal; a second one (a repeated ``kill``) broke out of it
    and left the folder. A held signal takes effect once the folder is gone.
    """
    from saliency.base.fsutil import signals_held

    with signals_held():
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def temporary_folder(prefix: str | None = None):
    """``tempfile.TemporaryDirectory()`` (its path as a ``str``) removed by :func:`remove_scratch`."""
    import tempfile

    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        yield folder
    finally:
        remove_scratch(folder)


def seed_list(text: str) -> str:
    """``--seeds``: comma-separated seeds (integers in ``[0, 2**32 - 1]``), at least one, none twice; as typed.

    An argparse ``type=``: a bad list is one usage line naming ``--seeds``.
    """
    from saliency.commands._args import seed

    seen = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        try:
            v = seed(piece)
        except argparse.ArgumentTypeError as exc:  # the list shown too when the bad seed is one of several
            shown = str(exc) if piece == text.strip() else f"{text!r}: {exc}"
            raise argparse.ArgumentTypeError(f"{shown}; give comma-separated seeds, e.g. 0,1,2") from None
        if v in seen:
            raise argparse.ArgumentTypeError(f"{text!r}: seed {v} given twice; give each seed once")
        seen.append(v)
    if not seen:
        raise argparse.ArgumentTypeError(f"{text!r}: no seed; give comma-separated seeds, e.g. 0,1,2")
    return text


def seeds_of(text: str) -> list[int]:
    """The seeds of a ``--seeds`` value that :func:`seed_list` accepted, in the order given."""
    return [int(s) for s in text.split(",") if s.strip()]


def model_attentions(prefix: str, task: str) -> list[str]:
    """The names ``A`` with a registered model ``PREFIX_A_TASK`` (:data:`saliency.models.zoo.MODELS`), in its order."""
    from saliency.models.zoo import MODELS

    head, tail = f"{prefix}_", f"_{task}"
    return [n[len(head):-len(tail)] for n in MODELS
            if n.startswith(head) and n.endswith(tail) and len(n) > len(head) + len(tail)]


def attention_list(text: str, prefix: str = "unet_tiny", task: str = "sod") -> str:
    """``--attentions``: comma-separated names, each with a registered model ``PREFIX_NAME_TASK``, none twice; as typed.

    An argparse ``type=`` (the default prefix and task are ``ablation.py``'s); ArgumentTypeError (one line
    that lists the known names) otherwise.
    """
    names = attentions_of(text)
    known = model_attentions(prefix, task)
    bad = [a for a in names if a not in known]
    if bad or not names:
        what = f"unknown attention {bad[0]!r} (no model {prefix}_{bad[0]}_{task})" if bad else "no attention"
        raise argparse.ArgumentTypeError(f"{text!r}: {what}; choose from {','.join(known)}")
    dup = next((a for i, a in enumerate(names) if a in names[:i]), None)
    if dup:
        raise argparse.ArgumentTypeError(f"{text!r}: attention {dup!r} given twice; give each once")
    return text


def attentions_of(text: str) -> list[str]:
    """The names of an ``--attentions`` value, in the order given (blanks around commas ignored)."""
    return [a.strip() for a in text.split(",") if a.strip()]

"""Atomic file and folder writes: nothing half-written is ever left behind.

Every writer in the toolkit writes to a temporary path beside the target and
renames it into place (``os.replace`` is atomic on POSIX within a file
system), so an interrupted run leaves either the old file or the new one.
The temporary path is made beside where the target really is, its folder
resolved as the OS resolves it (:func:`real_place`: a ``..`` after a
symbolic link leads out of the link's target), never beside a path
normalised as text.
Torch-free, so ``data_tools`` and ``eval`` use it too.

What is never done (issue 16): follow a symbolic link to write or delete (an
output that is a link, or a folder to be replaced that holds one, is
refused: :func:`check_not_link`, :func:`check_out_dir`); write an output
that is, holds or lies inside an input (:func:`check_apart`); leave a
staging folder behind: while :func:`staged_dir` is open SIGTERM raises
:class:`Terminated` (:func:`terminate_raises`), and the few renames that
must not be cut in half run with SIGINT/SIGTERM held (:func:`signals_held`).
A run folder replaced in two steps (``saliency train --overwrite``) is set
aside and put back on failure (``train._set_aside_claimed``,
:func:`restore_aside`; :func:`move_aside` is the unclaimed variant);
folders written together (``predict --out`` and ``--log-density``) are
swapped in all or none (:func:`staged_dirs`).
A folder output is never replaced while it holds anything a saliency command
did not write there: each built by :func:`staged_dir` carries a mark listing
its entries (:data:`OUTPUT_MARK`, :func:`check_own_output`).
An OSError names the output the caller gave, never a hidden temporary file
or staging folder (:func:`user_os_error`); a failed write removes the empty
folders it made for its output, and only those: the folders above an output
are made one level at a time and each one ``os.mkdir`` made is recorded
(:func:`make_folders`), so a folder that was there already (reached through
``..`` or a link, or made meanwhile by another process) is never removed; an
old output set aside that cannot be deleted once the new one is in place is
named in a warning line (:func:`remove_old_copy`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from saliency.base.errors import UserError


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _old_stat(path: str | os.PathLike) -> os.stat_result | None:
    """``lstat`` of the output at ``path`` that a new one is about to replace; None when nothing is there."""
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def take_mode(path: str | os.PathLike, old: os.stat_result | None, default: int, folder: bool = False,
               writable: bool = False) -> None:
    """Give ``path`` (a temporary file or staging folder about to replace an output) the group and permission
    bits of the output it replaces (``old``, its :func:`_old_stat`), so a private or shared output stays so; with
    no ``old``, ``default`` less the umask (an ordinary new file or folder).

    A folder keeps its set-group-ID bit too (what is made inside it takes its
    group); a file keeps only ``rwx`` bits. The group is set when allowed
    (a user outside it cannot: the file stays in the user's own group).
    ``writable``: the owner may write while the folder is built (the exact
    bits are given again at the swap).
    """
    if old is None:
        os.chmod(path, default & ~_umask())
        return
    import stat

    if hasattr(os, "chown") and old.st_gid != os.lstat(path).st_gid:
        try:
            os.chown(path, -1, old.st_gid)  # before chmod: a chown by a user clears the set-group-ID bit
        except OSError:  # not a member of that group, or a file system without groups: the user's group stays
            pass
    mode = stat.S_IMODE(old.st_mode) & (0o7777 & ~stat.S_ISUID if folder else 0o777)
    os.chmod(path, mode | (stat.S_IRWXU if writable else 0))


#: The hidden names of a write cut short (``.NAME.XXXX.tmp`` of :func:`atomic_path`, ``.NAME.XXXX.partial`` of
#: :func:`staged_dir`, ``.NAME.old-XXXX`` of its swap and of :func:`move_aside`): the writer's debris, no user's file.
STAGING_NAME = re.compile(r"\..+\.(partial|tmp)|\..+\.old-.+")


def short_name(name: str, limit: int = 96) -> str:
    """``name`` cut to at most ``limit`` UTF-8 bytes (whole characters), with a hash of the whole when cut.

    For names this module derives from an output's (``.NAME.XXXX.tmp``,
    ``.NAME.XXXX.partial``, ``.NAME.old-XXXX``): a file system allows 255
    bytes, and a valid output name of 243 bytes plus the 14 of the temporary
    suffix stopped ``predict`` with "the name is too long".
    """
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= limit:
        return name
    import hashlib

    digest = hashlib.sha1(raw).hexdigest()[:8]
    return raw[:limit - 9].decode("utf-8", "ignore") + "~" + digest


#: The temporary files of the :func:`atomic_path` calls now open (absolute paths): one nested on such a file
#: writes it in place (``export_checkpoint`` checks, in its own temporary file, what ``export_onnx`` writes).
_OPEN_TMP: set[str] = set()



def aside_prefix(name: str) -> str:
    """``.NAME.old-``: the start of the hidden sibling an output named ``name`` is set aside to while it is
    replaced (:func:`move_aside`, the swap of :func:`staged_dirs`, ``train --overwrite``), ``name`` cut by
    :func:`short_name`; :data:`STAGING_NAME` and :func:`discard_aside` read the same form."""
    return f".{short_name(name)}.old-"

def _shown_name(name, hidden: dict) -> str | None:
    """``name`` (an OSError's file name) as the user's path when it is, or lies inside, a key of ``hidden``
    (``{hidden temporary path: the output it stands for}``), compared as absolute paths; None otherwise."""
    if name is None or not isinstance(name, (str, bytes, os.PathLike)):
        return None
    path = os.path.abspath(os.fsdecode(name))
    for tmp, out in hidden.items():
        tmp = os.path.abspath(os.fsdecode(tmp))
        if path == tmp:
            return str(out)
        if path.startswith(tmp.rstrip(os.sep) + os.sep):
            return str(Path(out) / os.path.relpath(path, tmp))
    return None


#: The errors of a write that may name no file (a full disk, a quota, a file-size limit): named by the output
WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def user_os_error(exc: OSError, hidden: dict, unnamed=None, prefix: str | os.PathLike | None = None,
                  unnamed_errnos=None) -> OSError | None:
    """``exc`` naming the user's outputs instead of hidden temporary paths; None when there is nothing to rename.

    Both file names of ``exc`` (``filename2`` is the destination of a copy,
    which the command line shows first) are mapped through ``hidden``
    (:func:`_shown_name`); a name starting with ``prefix`` (a hidden
    ``.NAME.`` beside the output, compared as absolute paths: a writer's own
    temporary file) becomes ``unnamed``, and so does an error naming no file
    at all (a failed write: a full disk; only one of ``unnamed_errnos`` when
    given). The errno and its text are kept.
    """
    if not isinstance(exc, OSError) or exc.errno is None:
        return None
    names = []
    for name in (exc.filename, exc.filename2):
        shown = _shown_name(name, hidden)
        if shown is None and name is not None and prefix is not None and unnamed is not None \
                and isinstance(name, (str, bytes, os.PathLike)) \
                and os.path.abspath(os.fsdecode(name)).startswith(os.path.abspath(prefix)):
            shown = str(unnamed)
        names.append(shown)
    if names == [None, None]:
        if exc.filename is not None or exc.filename2 is not None or unnamed is None or \
                (unnamed_errnos is not None and exc.errno not in unnamed_errnos):
            return None
        names[0] = str(unnamed)
    first = names[0] if names[0] is not None else exc.filename
    second = names[1] if names[1] is not None else exc.filename2
    if second is not None and second == first:
        second = None  # a rename of the temporary file onto the output names the output once
    return OSError(exc.errno, exc.strerror, first, None, second)


def _named_error(exc: OSError, shown) -> OSError:
    """``exc`` (a temporary file or folder that could not be made beside an output) naming ``shown`` instead."""
    if exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror, str(shown))


#: The state of each file output that :func:`check_replaceable` checked (absolute path -> (:func:`_file_state`,
#: overwrite)): the :func:`atomic_path` or :func:`atomic_files` writing it later takes it as the state to find at
#: its rename; overwrite: the command was asked to overwrite, so the refusal of a file written meanwhile gives no
#: "run again with `overwrite`" advice (the loser of two runs racing under --overwrite)
_CHECKED: dict[str, tuple[tuple | None, bool]] = {}

#: The errors of ``os.link`` on a file system without hard links (FAT, some network and FUSE file systems).
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV})
#: The Windows errors of ``CreateHardLinkW`` there (FAT32/exFAT: ERROR_INVALID_FUNCTION; many SMB shares:
#: ERROR_NOT_SUPPORTED), both seen as errno EINVAL, which on Linux stays an error
_NO_HARD_LINKS_WINDOWS = frozenset({1, 50})


def _file_state(path: str | os.PathLike) -> tuple | None:
    """``(st_dev, st_ino, st_mtime_ns, st_size)`` of what ``lstat`` sees at ``path``; None when nothing is there."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


def note_checked(target: str | os.PathLike, overwrite: bool = False) -> None:
    """Record the state of the file output ``target`` as its command checked it (exists or not), so that the
    :func:`atomic_path` or :func:`atomic_files` writing it later, after slow work, replaces only that: a file
    that appears or changes in between is refused at the rename (:func:`check_replaceable` does this too).
    ``overwrite``: the command was asked to replace ``target`` (its refusal then does not advise `overwrite`)."""
    _CHECKED[_checked_key(target)] = _state_or_none(target), overwrite


def _checked_key(target: str | os.PathLike) -> str:
    """Where ``target`` really is (:func:`real_place`), the key of :data:`_CHECKED`: two output paths that read
    alike once ``..`` is taken as text (``lnk/../r.json`` beside ``r.json``, ``lnk`` a link to a folder elsewhere)
    are two files, and each rename compares its own file's state."""
    return str(real_place(target))


def _state_at_start(target: str | os.PathLike) -> tuple[tuple | None, bool]:
    """The state of ``target`` that a writer starting now may replace: the one :func:`check_replaceable` recorded
    (taken, once), else what is there now; and whether that check was asked to overwrite (:func:`note_checked`)."""
    checked = _CHECKED.pop(_checked_key(target), None)
    return checked if checked is not None else (_state_or_none(target), False)


def _state_or_none(path: str | os.PathLike) -> tuple | None:
    """:func:`_file_state`, None when it cannot be read (a folder without search permission: the write fails and
    says so)."""
    try:
        return _file_state(path)
    except OSError:
        return None


def _changed_error(target: Path, before, overwrite: bool = False) -> UserError:
    """The refusal of a file output that another process wrote while this command ran; ``overwrite``: the command
    was asked to replace it, so `overwrite` is not advised (it was given)."""
    why = "appeared" if before is None else "changed"
    hint = "run again" if overwrite else "run again (with `overwrite` to replace it)"
    return UserError(f"{target}: {why} while this command ran (another run with the same output, or a person); "
                     f"nothing was replaced and this run's result was not kept; {hint}")


def _place(tmp: Path, real: Path, target: Path, before, keep_tmp: bool = False, overwrite: bool = False) -> bool:
    """Put the finished temporary file ``tmp`` at ``real`` (where ``target`` really is) unless another process
    put a file there since ``before`` (:func:`_file_state` at the start; None: nothing was there).

    A file that appeared, or one that changed, is never replaced:
    :func:`_changed_error` (the caller removes ``tmp``). Where nothing is
    there now, ``real`` is first made a hard link to ``tmp``: the link fails
    when a file appeared in between, so no window is left; the rename that
    follows is then one of a file onto itself (nothing happens, POSIX), kept
    so that a file is always placed by ``os.replace`` (one that fails takes
    the link back). On a file system without hard links it is a plain rename
    (a file appearing after the check is then replaced, as before). A target
    unchanged since the start is replaced by the rename. True when placed
    through a link: ``tmp`` is unlinked unless ``keep_tmp`` (the caller
    unlinks it, the file known as this run's until then). ``overwrite``: :func:`_changed_error`'s.
    """
    now = _file_state(real)
    if now is not None and now != before:
        raise _changed_error(target, before, overwrite)
    linked = False
    if now is None:
        try:
            os.link(tmp, real)
            linked = True
        except FileExistsError:
            raise _changed_error(target, before, overwrite) from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS and getattr(exc, "winerror", None) not in _NO_HARD_LINKS_WINDOWS:
                raise
    try:
        os.replace(tmp, real)
    except BaseException:
        if linked:
            _unlink_ours(tmp, real)
        raise
    if linked and not keep_tmp:
        tmp.unlink(missing_ok=True)
    return linked


def _unlink_ours(tmp: Path, real: Path) -> None:
    """Remove ``real`` when it is still the file ``tmp`` names (a hard link :func:`_place` made); else nothing."""
    here, ours = _file_state(real), _file_state(tmp)
    if here is not None and ours is not None and here[:2] == ours[:2]:
        os.unlink(real)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary file path next to ``target``; rename it into place on success.

    The temporary file is removed on any exception, Ctrl-C and SIGTERM
    included: it is created with the signals held and known to the clean-up
    before a held signal takes effect, and it is removed with them held, and
    so are the folders made for it (when left empty). An OSError names
    ``target``, never the hidden temporary file: one that cannot be made (a
    read-only folder), a failed write naming it or nothing (a full disk).
    A ``target`` that is itself the temporary file of an enclosing
    ``atomic_path`` is yielded as is (the enclosing one renames it).
    ``target`` is checked again at the rename (:func:`_place`): a file that
    appeared there, or changed, since the start (or since the caller's
    :func:`check_replaceable`) is never replaced: UserError, theirs kept.
    """
    if os.path.abspath(target) in _OPEN_TMP:
        yield Path(target)
        return
    before, overwrite = _state_at_start(target)
    target = check_out_file(target)
    made: list[Path] = []  # exactly the folders this call makes for the target: removed again when it fails
    tmp_path = None
    done = False
    try:
        make_folders(target.parent, made)
        real = real_place(target)  # the temporary file is made, and renamed, where the target really is
        with signals_held():  # a signal taking effect now finds tmp_path set: the finally removes the file
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{short_name(target.name)}.", suffix=".tmp", dir=real.parent)
            except OSError as exc:  # a read-only folder: name the output, not the hidden name tried
                raise _named_error(exc, target) from exc
            tmp_path = Path(tmp)
            _OPEN_TMP.add(os.path.abspath(tmp_path))
            os.close(fd)
        try:
            yield tmp_path
            if tmp_path.exists():  # mkstemp makes it private: the mode and group of the file it replaces, if any
                take_mode(tmp_path, _old_stat(real), 0o666)
            with signals_held():
                try:
                    _place(tmp_path, real, target, before, overwrite=overwrite)
                except OSError as exc:  # named by the target as given, not by where it resolves
                    raise _named_error(exc, target) from exc
            done = True
        except OSError as exc:  # a failed write (a full disk) names no file, or a temporary one: name the target
            shown = user_os_error(exc, {tmp_path: target}, unnamed=target,
                                  prefix=real.parent / f".{short_name(target.name)}.")
            if shown is not None:
                raise shown from exc
            raise
    finally:
        with signals_held():
            if tmp_path is not None:
                _OPEN_TMP.discard(os.path.abspath(tmp_path))
                if tmp_path.exists():
                    tmp_path.unlink()
            if not done:
                remove_empty_folders(made)


def check_out_file(target: str | os.PathLike, param: str | None = None) -> Path:
    """Refuse a file output that is a link (dangling or not), a folder or a special file, or lies under a file or
    under a symbolic link to a missing target, or is ``-`` (standard output to a Unix user; ``./-`` names a file).

    :func:`atomic_path` calls it for every file it writes, so no writer
    replaces a user's link, a folder or a device (``--json /dev/null`` run as
    root would have replaced the device with a file), nor one given with a
    trailing separator (``--json results/`` names a folder; ``Path`` drops
    the separator, and a file ``results`` was written; ``results/.`` and
    ``x/..`` the same). ``param``: the
    parameter to name (``None``: the path alone). Nothing is touched.
    """
    raw = os.fspath(target)
    # `-` is standard output to a Unix user (a file named `-` would be written in the current folder): the argument
    # as typed only, a str, since Path("./-") also prints as `-`
    if isinstance(target, str) and target == "-":
        raise UserError(f"{f'`{param}` ' if param else ''}-: standard output is not a file output of this command; "
                        "give a file path (./- for a file named '-')")
    last = raw.replace(os.altsep or "/", os.sep).rsplit(os.sep, 1)[-1] if isinstance(raw, str) else None
    if raw and last in ("", ".", ".."):  # `results/`, `results/.`: Path drops the separator and the dot (review RR2)
        raise UserError(f"{f'`{param}` ' if param else ''}{raw}: names a folder (it ends in {last or raw[-1]}); give "
                        "a file name")
    target = Path(target)
    what = f"`{param}` {target}" if param else str(target)
    if target.is_symlink():
        raise UserError(f"{what}: is a symbolic link (to {os.readlink(target)}); links are never followed or "
                        "replaced: give another file name")
    if target.is_dir():
        raise UserError(f"{what}: is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise UserError(f"{what}: is not a regular file (a device, pipe or socket); give a file name")
    part = file_on_path(target)
    if part is not None:
        raise UserError(f"{what}: {part} is a file, not a folder; give another path")
    link = dangling_link_on_path(target.parent)
    if link is not None:
        raise UserError(_dangling_text(target, link, param))
    return target


def check_replaceable(target: str | os.PathLike, param: str, ours, what: str, overwrite: bool = False) -> None:
    """Refuse an existing file at ``target`` that is not this command's own earlier output, unless ``overwrite``.

    ``ours(path) -> bool`` recognises the command's output (its header, keys
    or marker); ``what`` names it ("a saliency eval JSON"). A command re-run
    with the same output replaces its last result without being asked, and a
    mistyped path (a checkpoint, a mask, a user's notes) is never replaced
    unless the user says so. Nothing is touched; the state of ``target`` is
    recorded, so the :func:`atomic_path` or :func:`atomic_files` that writes
    it later replaces only what was checked here (:func:`_place`).
    """
    target = Path(target)
    note_checked(target, overwrite)  # what the writer may replace at its rename (and whether it was asked to)
    if overwrite or not target.is_file():
        return
    try:
        own = bool(ours(target))
    except (OSError, ValueError, UserError):  # unreadable, not text, not JSON: not ours
        own = False
    if not own:
        raise UserError(f"`{param}` {target}: exists and is not {what}; pass `overwrite` to replace it, or choose "
                        "another path")


def first_text_line(path: Path, limit: int = 4096) -> str:
    """The first line of a file read as UTF-8 (at most ``limit`` bytes; '' when it is not text)."""
    with open(path, "rb") as fh:
        head = fh.read(limit)
    try:
        return head.decode("utf-8").split("\n", 1)[0].rstrip("\r")
    except UnicodeDecodeError:
        return ""


def dangling_link_on_path(path: str | os.PathLike) -> Path | None:
    """The first of ``path`` and its parents (outermost first) that is a symbolic link to nothing, or None.

    Such a link stops the path from being made (``os.mkdir`` finds the link
    there); its target is never made for it.
    """
    path = Path(path)
    for p in (Path(*path.parts[:i]) for i in range(1, len(path.parts) + 1)):
        if not p.exists():
            return p if p.is_symlink() else None
    return None


def _dangling_text(path: Path, link: Path, param: str | None) -> str:
    """The one line refusing ``path`` (a folder or file output of ``param``) below the dangling link ``link``."""
    what = f"`{param}` {path}" if param else str(path)
    try:
        target = os.readlink(link)
    except OSError:  # pragma: no cover - removed meanwhile
        target = "?"
    other = f"another `{param}`" if param else "another path"
    return (f"{what}: {link} is a symbolic link to a missing target ({target}); create {target} or give {other} "
            "(links are never replaced)")


def make_folders(path: str | os.PathLike, made: list | None = None, param: str | None = None) -> list[Path]:
    """Make the folder ``path`` and the missing folders above it, one level at a time; return those made.

    Each folder that ``os.mkdir`` made is appended to ``made`` (the caller's
    clean-up list) as soon as it exists, with the signals held, and nothing
    else is: a folder that was there already (reached through ``..`` or a
    symbolic link) or that another process made meanwhile (``FileExistsError``)
    is not this call's, so :func:`remove_empty_folders` never removes it. A
    symbolic link on the path is followed to an existing folder, never made,
    replaced or recorded; one to a missing target, or a file on the path, is a
    UserError naming ``param`` (or the path alone) and ``made`` holds what this
    call made before it. An OSError of ``os.mkdir`` (a read-only folder) is
    raised as it is.
    """
    path = Path(path)
    made = [] if made is None else made
    mine: list[Path] = []
    if path.is_dir():
        return mine
    with signals_held():  # a folder made is listed before a held signal takes effect
        for p in (Path(*path.parts[:i]) for i in range(1, len(path.parts) + 1)):
            if p.is_dir():  # there already (a folder, a link to one, or a `..` of one): not this call's
                continue
            if p.is_symlink():
                raise UserError(_dangling_text(path, p, param))
            try:
                os.mkdir(p)
            except FileExistsError:  # made meanwhile by another process, or a file: never this call's
                if p.is_dir():
                    continue
                if p.is_symlink():
                    raise UserError(_dangling_text(path, p, param)) from None
                what = f"`{param}` {path}" if param else str(path)
                raise UserError(f"{what}: {p} is a file, not a folder; give another "
                                f"{f'`{param}`' if param else 'path'}") from None
            made.append(p)
            mine.append(p)
    return mine


def real_place(path: str | os.PathLike) -> Path:
    """Where ``path`` really is: its folder resolved as the OS resolves it, its own name kept (an absolute Path).

    The folder is resolved by :func:`os.path.realpath` (links in order, a
    ``..`` after a link taken from the link's target: ``lnk/../x`` is
    ``x`` beside the link's target); the last name is not, so a link at
    ``path`` itself is never followed. ``tempfile.mkstemp`` and (Python 3.12
    on) ``mkdtemp`` normalise their ``dir`` as text instead (``lnk/..`` as
    the folder holding ``lnk``), which put a temporary file or staging folder
    in another folder than its output, or nowhere ("No such file or
    directory"): the writers here pass them this folder, and rename onto this
    path. Call it once the folder exists.
    """
    path = Path(path)
    return Path(os.path.realpath(path.parent)) / path.name


def remove_empty_folders(folders) -> None:
    """Remove ``folders`` (the exact ones the caller made, :func:`make_folders`) that are empty, deepest first; a
    folder still holding something stays, and so do the folders above it.

    Each folder's parent is resolved first, while every folder is there
    (``nothere/../pre/o`` is ``pre/o``, and stays reachable once ``nothere``
    is gone), and "deepest" is where it really is; its own name is not
    resolved, and ``rmdir`` removes neither a symbolic link nor its target.
    """
    real = [Path(os.path.realpath(Path(f).parent)) / Path(f).name for f in folders if Path(f).name]
    for folder in sorted(real, key=lambda f: len(f.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass


@contextlib.contextmanager
def atomic_files() -> Iterator:
    """Several files written as one: ``path(target)`` gives a temporary sibling of each target to write;
    all are renamed into place together at the end, with the signals held.

    On an exception, Ctrl-C or SIGTERM before the end, no target is touched
    and every temporary file goes (with the folders made for them, when left
    empty): the outputs of a run are all old or all new, never a mix.
    Each target is checked again at the end, all before any is placed
    (:func:`_place`): one that appeared or changed since ``path(target)``
    (or since the caller's :func:`check_replaceable`) is a UserError, and
    no target is touched.
    """
    pending: list[tuple[Path, Path]] = []  # (temporary file, target as given)
    places: dict[Path, Path] = {}  # temporary file -> where its target really is (real_place)
    made: list[Path] = []
    befores: dict[Path, tuple | None] = {}  # temporary file -> its target's state when path() was called
    asked: dict[Path, bool] = {}  # temporary file -> its target's check was asked to overwrite (_changed_error)

    def path(target: str | os.PathLike) -> Path:
        before, overwrite = _state_at_start(target)
        target = check_out_file(target)
        make_folders(target.parent, made)  # each folder made is known to the clean-up as it is made
        real = real_place(target)  # the temporary file is made, and renamed, where the target really is
        with signals_held():  # known to the clean-up before a held signal takes effect
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{short_name(target.name)}.", suffix=".tmp", dir=real.parent)
            except OSError as exc:  # a read-only folder: name the output, not the hidden name tried
                raise _named_error(exc, target) from exc
            pending.append((Path(tmp), target))
            places[Path(tmp)] = real
            befores[Path(tmp)] = before
            asked[Path(tmp)] = overwrite
            os.close(fd)
        return Path(tmp)

    try:
        with terminate_raises():
            try:
                yield path
            except OSError as exc:  # a failed write (a full disk) names the hidden temporary file, or nothing
                shown = user_os_error(exc, dict(pending), unnamed=pending[-1][1] if pending else None,
                                      unnamed_errnos=WRITE_ERRNOS)
                if shown is not None:
                    raise shown from exc
                raise
            with signals_held():
                for tmp, target in pending:  # mkstemp makes it private: the mode and group of the file replaced
                    take_mode(tmp, _old_stat(places[tmp]), 0o666)
                for tmp, target in pending:  # every target checked first: one written meanwhile keeps them all
                    now = _file_state(places[tmp])
                    if now is not None and now != befores[tmp]:
                        raise _changed_error(target, befores[tmp], asked[tmp])
                linked: list[Path] = []  # placed by a hard link, the temporary name kept: taken back on a failure
                try:  # the absent targets first (a link can be taken back), then those replaced
                    for tmp, target in sorted(pending, key=lambda p: _file_state(places[p[0]]) is not None):
                        try:
                            if _place(tmp, places[tmp], target, befores[tmp], keep_tmp=True, overwrite=asked[tmp]):
                                linked.append(tmp)
                        except OSError as exc:  # named by the target as given, not by a hidden or resolved name
                            raise _named_error(exc, target) from exc
                except BaseException:
                    for tmp in linked:  # this run's file, still the same one (the temporary name shows it): removed
                        _unlink_ours(tmp, places[tmp])
                    raise
                for tmp in linked:
                    os.unlink(tmp)
                pending.clear()
                made.clear()
    finally:
        with signals_held():
            for tmp, _ in pending:
                tmp.unlink(missing_ok=True)
            remove_empty_folders(made)


def file_on_path(path: str | os.PathLike) -> Path | None:
    """The first folder of ``path``'s parents (outermost first) that exists but is a file, or None."""
    return next((p for p in reversed(Path(path).parents) if p.exists() and not p.is_dir()), None)


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``target`` atomically (UTF-8)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_json(path: str | os.PathLike, where: str | None = None, hint: str = "fix or replace the file"):
    """Parse a UTF-8 JSON file; one UserError naming ``where`` (default: the path) and ``hint`` otherwise.

    The one reader of the toolkit's JSON inputs (screen.json, SALICON fixations,
    eval JSONs given to ``report``): a file that cannot be read, is not UTF-8 or
    is not JSON (or nested too deep to parse) is one line. A leading UTF-8 byte-order mark (Windows Notepad
    writes one) is skipped, as RFC 8259 section 8.1 allows. Checking the parsed
    value's shape is the caller's.
    """
    path = Path(path)
    where = str(path) if where is None else where
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise UserError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:  # a ValueError too: caught first
        raise UserError(f"{where}: not UTF-8 text; {hint}") from None
    except ValueError as exc:
        raise UserError(f"{where}: not valid JSON ({exc}); {hint}") from None
    except RecursionError:  # thousands of nested '[' or '{': the decoder recurses once per level
        raise UserError(f"{where}: cannot parse: nested too deep; {hint}") from None


def _finite_or_null(obj):
    """``obj`` with every NaN or infinite float replaced by None (JSON has no such numbers)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_null(v) for v in obj]
    return obj


def json_text(obj, indent: int = 2) -> str:
    """``obj`` as the toolkit writes JSON files: indented, keys in insertion order, a final newline; a NaN or
    infinite number is written as null (strict JSON: jq and JSON.parse refuse Python's bare ``NaN``)."""
    return json.dumps(_finite_or_null(obj), indent=indent, allow_nan=False) + "\n"


def write_json(target: str | os.PathLike, obj, indent: int = 2) -> None:
    """Write ``obj`` as JSON to ``target`` atomically (:func:`json_text`)."""
    write_text(target, json_text(obj, indent))


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while :func:`terminate_raises` was active (a KeyboardInterrupt, so ``finally`` blocks run)."""

    signum = 15
    exit_code = 143


_RECEIVED: list[int] = []  # the interrupting signals this process received (see interrupted_by)


def interrupted_by() -> int | None:
    """The last SIGTERM (15) or Ctrl-C (2) received by this process under :func:`terminate_raises`, if any.

    Lets the command line recognise an interruption that a library turned
    into another exception (numpy's import wraps it in an ``ImportError``).
    """
    return _RECEIVED[-1] if _RECEIVED else None


def forget_interruptions() -> None:
    """Forget the signals :func:`interrupted_by` reports (the command line calls it as a command starts)."""
    _RECEIVED.clear()


#: Windows: ``OpenProcess`` access right enough for ``GetExitCodeProcess``; the exit code of a running process
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259
_ERROR_ACCESS_DENIED = 5


def link_or_copy(src, dst) -> None:
    """Make ``dst`` the file ``src`` names: a hard link to it, else a copy (another file system, links not allowed).

    A symbolic link is followed to its target first: ``os.link`` on Linux links the link itself, which dangles
    once it sits in another folder (a relative link); ingest's stimuli copy and crop's temporary images use it.
    """
    real = os.path.realpath(src)
    try:
        os.link(real, dst)
    except OSError:
        shutil.copy2(real, dst)


def pid_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists (one of another user's counts), without disturbing it.

    POSIX: ``os.kill(pid, 0)``. Windows: ``os.kill`` with any signal but the
    two console events terminates the process (``TerminateProcess``), so it
    is never called there: ``OpenProcess`` and ``GetExitCodeProcess`` tell
    (a process that exists but may not be opened, access denied, counts as
    alive; one whose exit code is not ``STILL_ACTIVE`` has ended).
    """
    if os.name != "nt":
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    import ctypes

    kernel32 = ctypes.windll.kernel32
    kernel32.OpenProcess.restype = ctypes.c_void_p
    kernel32.OpenProcess.argtypes = (ctypes.c_uint32, ctypes.c_int, ctypes.c_uint32)
    kernel32.GetExitCodeProcess.argtypes = (ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32))
    kernel32.CloseHandle.argtypes = (ctypes.c_void_p,)
    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:  # no such process (ERROR_INVALID_PARAMETER), or one this user may not query
        return kernel32.GetLastError() == _ERROR_ACCESS_DENIED
    try:
        code = ctypes.c_uint32()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # it exists (it was opened); its state unknown: never taken for ended
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _signal_self(signum: int) -> None:
    """Deliver ``signum`` to this process's own handler. Not ``os.kill`` on Windows: there it would terminate the
    process at once (``TerminateProcess``: no handler, no clean-up); ``signal.raise_signal`` calls the handler."""
    import signal

    if os.name == "nt":
        signal.raise_signal(signum)
    else:
        os.kill(os.getpid(), signum)


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """While active, SIGTERM raises :class:`Terminated` in the main thread, so clean-up code runs.

    A SIGTERM the caller ignores (``SIG_IGN``) is left ignored. A no-op outside the main thread. A process forked
    while it is active (a worker) dies of SIGTERM as usual instead of raising. The previous handler is put back on
    exit, so the contexts nest. A Ctrl-C or SIGTERM that Python had to drop (raised inside a weakref callback or
    ``__del__``: an "Exception ignored in ..." traceback), or that C code printed and cleared (``sys.excepthook``:
    seen for a Ctrl-C landing in an import that C code started, under load), is delivered again instead.
    """
    import signal
    import sys
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pid = os.getpid()

    def handler(signum, frame):
        if os.getpid() != pid:  # a forked worker inherited the handler: die as SIGTERM would
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        _RECEIVED.append(signum)
        raise Terminated()

    def on_int(signum, frame):
        if os.getpid() == pid:
            _RECEIVED.append(signum)
        raise KeyboardInterrupt

    def again(exc) -> bool:  # an interruption Python printed instead of raising: deliver it again
        if isinstance(exc, (KeyboardInterrupt, Terminated)) and os.getpid() == pid:
            # Deliver it again in ordinary code. Not from here: a signal sent now would be handled
            # inside this hook, whose exception Python can only print ("Exception ignored in
            # sys.unraisablehook"). A short-lived thread sends it once the hook has returned.
            signum = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
            threading.Timer(0.02, _signal_self, (signum,)).start()
            return True
        return False

    def unraisable(hook_args):  # an interruption raised where Python cannot raise (a callback, __del__)
        if not again(hook_args.exc_value):
            old_hook(hook_args)

    def excepthook(exc_type, exc, tb):  # C code that printed and cleared it (PyErr_Print: an import from C)
        if not again(exc):
            old_excepthook(exc_type, exc, tb)

    # an ignored SIGTERM (``trap '' TERM``, nohup-like launchers) stays ignored, as an ignored SIGINT does: the
    # command is not stopped by what its caller chose to ignore, and its children inherit it ignored
    term_ignored = signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    old = signal.SIG_IGN if term_ignored else signal.signal(signal.SIGTERM, handler)
    old_int = signal.getsignal(signal.SIGINT)
    if old_int is signal.default_int_handler:  # Ctrl-C as usual, recorded (not where it is ignored)
        signal.signal(signal.SIGINT, on_int)
    old_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    old_excepthook, sys.excepthook = sys.excepthook, excepthook
    try:
        yield
    finally:
        if not term_ignored:
            signal.signal(signal.SIGTERM, old)
        if old_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, old_int)
        sys.unraisablehook = old_hook
        sys.excepthook = old_excepthook


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back (main thread) for a few file-system steps that must not be cut in half.

    While active, the two signals are only recorded; when the block ends the
    previous handlers are put back and a recorded signal is raised again, so
    it takes effect then (a KeyboardInterrupt, :class:`Terminated`, or the
    default action). Handlers, not the thread's signal mask, are swapped:
    the process may have other threads (torch, OpenMP) that would take a
    blocked signal. A signal that is ignored (``SIG_IGN``: SIGINT in a
    background job of a shell script) is left so: a child started in the
    block inherits it ignored (a caught one is reset to the default at exec).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def record(signum, frame):
        pending.append(signum)

    old = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) is not signal.SIG_IGN:  # ignored: nothing to hold, and it stays ignored
                old[sig] = signal.signal(sig, record)
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(pending):
            signal.raise_signal(sig)


def _inputs_list(inputs) -> list[tuple[str, Path]]:
    """``{label: path or paths}`` as (label, path) pairs, None skipped."""
    pairs = []
    for label, value in dict(inputs or {}).items():
        values = value if isinstance(value, (list, tuple, set)) else [value]
        pairs += [(label, Path(v)) for v in values if v is not None and str(v) != ""]
    return pairs


def check_apart(out: str | os.PathLike, inputs, param: str = "out", contains: bool = True,
                outputs: bool = False) -> None:
    """Refuse an output that is, lies inside or (with ``contains``) holds one of ``inputs``.

    ``inputs`` maps a parameter name to a path or a list of paths (files or
    folders); links are resolved before comparing. The message names the
    parameters in backticks (a label that is not an identifier, such as ``log
    file``, is shown as written); nothing is touched. ``outputs``: ``inputs``
    are the command's other outputs, not what it reads; the message says so
    (``out`` and ``log_density`` name the same path ...; give each output its
    own folder, or path without ``contains``).
    """
    o = Path(os.path.realpath(out))
    role = "output" if outputs else "input"
    for label, path in _inputs_list(inputs):
        i = Path(os.path.realpath(path))
        label = f"`{label}`" if label.isidentifier() else label
        how = _overlap(o, i, contains, f"the {role} {label} {path}")
        if how is None and o.exists() and i.is_dir():
            how = _link_overlap(o, i, contains, f"the {role} {label} {path}")
        if how is None:
            continue
        if not outputs:
            raise UserError(f"`{param}` {out}: {how}; write the output to a folder apart from the inputs")
        own = f"give each output its own {'folder' if contains else 'path'}"
        if o == i:  # as saliency eval words two of its outputs on one path
            same = f" ({out} is {path})" if os.fspath(out) != os.fspath(path) else ""
            raise UserError(f"{label} and `{param}` name the same path {path}{same}: one would replace the other; "
                            f"{own}")
        raise UserError(f"`{param}` {out}: {how}; {own}, neither inside the other")


def _link_overlap(o: Path, i: Path, contains: bool, what: str) -> str | None:
    """How a link inside the input folder ``i`` leads to the resolved output ``o`` (None when none does).

    At risk: a link whose target is the output or (with ``contains``) lies
    inside it (replacing the output would delete or rewrite what the user
    owns through that link; issue 13: never through a link), and a folder
    link whose target holds the output (read through the link as input,
    :func:`saliency.eval.io.walk_files`; a link up to a folder enclosing the
    input is never followed by the readers). File links are compared by
    device and inode with what lies under the output (one ``stat`` each: a
    folder of 50,000 links took 7 s with a path resolution each); only folder
    links are resolved.
    """
    import stat

    inodes = None
    st_o = o.stat()
    top = (st_o.st_dev, st_o.st_ino)
    for link in _links_under(i):
        try:
            st = os.stat(link)
        except OSError:  # dangling, or a loop: leads nowhere
            continue
        if inodes is None:
            inodes = _inodes_under(o)
        key = (st.st_dev, st.st_ino)
        t = None
        if key == top:
            t = o
        elif contains and key in inodes:
            t = Path(os.path.realpath(link))
        elif stat.S_ISDIR(st.st_mode):
            r = Path(os.path.realpath(link))
            if r in o.parents and r not in i.parents:
                t = r
        if t is not None:
            return _overlap(o, t, True, f"{t}, which the link {link} in {what} points to")
    return None


def _inodes_under(folder: Path) -> set:
    """``(device, inode)`` of everything under ``folder`` (links not followed)."""
    out = set()
    for e in _entries_under(folder):
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        out.add((st.st_dev, st.st_ino))
    return out


def _overlap(o: Path, i: Path, contains: bool, what: str) -> str | None:
    """How the resolved output ``o`` overlaps the resolved input ``i`` (None when apart)."""
    if o == i:
        return f"is {what}"
    if i in o.parents:
        return f"lies inside {what}"
    if contains and o in i.parents:
        return f"holds {what}"
    return None


def _links_under(folder: Path) -> Iterator[Path]:
    """Every symbolic link under ``folder`` (files and folders; links are not followed)."""
    return (Path(e.path) for e in _entries_under(folder) if e.is_symlink())


def _entries_under(folder: Path) -> Iterator[os.DirEntry]:
    """Every entry under ``folder``, depth first (links are listed, never followed; unreadable folders skipped)."""
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                entries = list(it)
        except OSError:
            continue
        for e in entries:
            yield e
            if e.is_dir(follow_symlinks=False):
                stack.append(Path(e.path))


def first_link(folder: Path) -> Path | None:
    """The first symbolic link found under ``folder`` (links are not followed), or None."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            if os.path.islink(os.path.join(root, name)):
                return Path(root) / name
    return None


def check_not_link(out: str | os.PathLike, param: str = "out") -> Path:
    """Refuse an output path that is a symbolic link (dangling or not): links are never followed to write or delete."""
    out = Path(out)
    if out.is_symlink():
        raise UserError(f"`{param}` {out}: is a symbolic link (to {os.readlink(out)}); links are never followed to "
                        "write or delete: give a real folder path")
    return out


def check_not_cwd(out: str | os.PathLike, param: str = "out") -> None:
    """Refuse an output folder that is the current folder or holds it (``--out .``, ``--out ..``).

    An output folder is built beside it and swapped in by renaming; the
    folder this process works in cannot be renamed away safely (the rename
    fails, or the process goes on in the renamed folder, which is deleted).
    """
    if not os.path.isdir(out):
        return
    o, here = Path(os.path.realpath(out)), Path(os.path.realpath(os.getcwd()))
    if o == here or o in here.parents:
        what = "is the current folder" if o == here else "holds the current folder"
        raise UserError(f"`{param}` {out}: {what}, which cannot be replaced while the command works in it; give "
                        "a folder path beside or below it")


def check_not_mount(out: str | os.PathLike, param: str = "out") -> None:
    """Refuse an output folder that is a mount point: a folder output is replaced by renaming it (the stage of
    :func:`staged_dir`, ``train --overwrite``'s set-aside), and a mount point cannot be renamed ("Device or
    resource busy", once found only after all the work)."""
    if os.path.isdir(out) and not os.path.islink(out) and os.path.ismount(out):
        raise UserError(f"`{param}` {out}: is a mount point, which cannot be replaced; give a folder inside it")


def check_out_dir(out: str | os.PathLike, overwrite: bool, param: str = "out", inputs=None, *,
                  own_only: bool = True) -> Path:
    """Refuse an output folder that cannot be safely (re)written; return it as a Path.

    Refused: a link (:func:`check_not_link`); something that is not a folder;
    a path below a file (``--out notes.txt/sub``) or below a symbolic link to
    a missing target (:func:`dangling_link_on_path`);
    a non-empty folder unless ``overwrite``; with ``overwrite``, a folder
    holding a symbolic link anywhere inside, and (``own_only``) one holding
    anything a saliency command did not write there: no :data:`OUTPUT_MARK`,
    or an entry its mark does not list (:func:`check_own_output`), since
    :func:`staged_dir` replaces the folder whole; an output that is, holds or
    lies inside one of ``inputs`` (``{param name: path(s)}``, :func:`check_apart`);
    a mount point (:func:`check_not_mount`), which cannot be replaced by a
    rename: with ``own_only=False`` only when ``overwrite`` would set a
    non-empty one aside (``train`` fills an empty run folder in place).
    Nothing is touched. ``param`` names the caller's parameter in the message
    (the command line shows it as ``--out``). ``own_only=False``: the
    caller checks what the folder holds itself (:mod:`saliency.train`, whose
    run folder is not built by :func:`staged_dir` and carries no mark, checks
    it against the run layout).
    """
    out = check_not_link(out, param)
    check_apart(out, inputs, param)
    check_not_cwd(out, param)
    if out.exists() and not out.is_dir():
        raise UserError(f"`{param}` {out}: exists and is not a folder; choose another path")
    part = file_on_path(out)
    if part is not None:  # the folder could never be made there (was "PART: already exists" when making it)
        raise UserError(f"`{param}` {out}: {part} is a file, not a folder; choose another `{param}`")
    link = dangling_link_on_path(out.parent)
    if link is not None:  # nor below a link to nothing (was "LINK: already exists" too)
        raise UserError(_dangling_text(out, link, param))
    if own_only or (overwrite and out.is_dir() and holds_user_entries(out)):  # to be replaced by a rename
        check_not_mount(out, param)
    if out.is_dir() and holds_user_entries(out):
        if not overwrite:
            raise UserError(f"`{param}` {out}: folder exists and is not empty; pass `overwrite` to replace it")
        link = first_link(out)
        if link is not None:
            raise UserError(f"`{param}` {out}: holds a symbolic link ({link}); links are never replaced or written "
                            "through: remove it or choose another folder")
        if own_only:
            check_own_output(out, param)
    return out


#: The hidden file :func:`staged_dir` writes into every folder it builds: the mark of a saliency output folder
#: and the list of every file and folder the command wrote there (relative POSIX paths, a folder's ending in
#: ``/``). ``--overwrite`` replaces a non-empty folder only when it holds this mark and nothing it does not list.
OUTPUT_MARK = ".saliency-output.json"
_MARK_TEXT = "saliency output folder"
_MARK_NOTE = ("written whole by a saliency command; a later one with --overwrite replaces this folder only while it "
              "holds nothing but this file and the entries listed here")


def output_mark(folder: str | os.PathLike) -> set[str] | None:
    """The entries listed by ``folder``'s :data:`OUTPUT_MARK`; None when it has none (absent, a link, not a mark)."""
    import stat

    path = Path(folder) / OUTPUT_MARK
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entries = data.get("entries") if isinstance(data, dict) and data.get("mark") == _MARK_TEXT else None
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return None
    return set(entries)


#: Files the operating system's file browser puts into folders it shows (macOS Finder: ``.DS_Store`` and ``._NAME``
#: AppleDouble files; Windows Explorer: ``Thumbs.db``, ``desktop.ini``): not a person's entries of an output
#: folder (:func:`foreign_output_entries`, :func:`check_out_dir`); an ``--overwrite`` removes them with the folder.
#: Each name with the first bytes the system writes there (:func:`os_metadata_file`; desktop.ini: its text)
_OS_METADATA = {".ds_store": b"\0\0\0\1Bud1", "thumbs.db": bytes.fromhex("d0cf11e0a1b11ae1"), "desktop.ini": None}
_APPLE_DOUBLE = bytes.fromhex("00051607")  # ``._NAME``: an AppleDouble header
_SHELL_CLASS_INFO = re.compile(r"^[ \t]*\[\.ShellClassInfo\][ \t\r]*$", re.I | re.M)  # Explorer's own section


def _desktop_ini_text(head: bytes) -> str:
    """The text of a desktop.ini's first bytes: UTF-16 with its BOM (as Explorer writes it), else UTF-8."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8-sig", errors="replace")


def os_metadata_file(entry: str | os.PathLike) -> bool:
    """Whether ``entry`` (a path or an os.DirEntry) is a file browser's file of :data:`_OS_METADATA` (or ``._*``):
    a plain file, never a folder or a link, whose first bytes are the system's format (a ``.DS_Store`` that is
    not one, a ``desktop.ini`` without ``[.ShellClassInfo]``, is a person's file and is kept). Reads at most 4 KB."""
    import stat

    path = os.fspath(entry)
    name = os.path.basename(path).lower()
    if name.startswith("._"):
        magic = _APPLE_DOUBLE
    elif name in _OS_METADATA:
        magic = _OS_METADATA[name]
    else:
        return False
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)  # no link followed, no FIFO waited on if one was put there meanwhile
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return False
            head = os.read(fd, 4096 if magic is None else len(magic))
        finally:
            os.close(fd)
    except OSError:
        return False  # unreadable: not vouched for, so counted as a person's
    if magic is not None:
        return head == magic
    return _SHELL_CLASS_INFO.search(_desktop_ini_text(head)) is not None


def holds_user_entries(folder: str | os.PathLike, ignore: tuple[str, ...] = ()) -> bool:
    """Whether ``folder`` holds anything but a file browser's files (:func:`os_metadata_file`: a folder Finder
    opened is still empty) and the entries named in ``ignore`` (a demo's lock file)."""
    with os.scandir(folder) as it:
        return any(e.name not in ignore and not os_metadata_file(e) for e in it)


def foreign_output_entries(folder: str | os.PathLike) -> tuple[bool, list[str]]:
    """``(marked, names)``: whether ``folder`` holds an :data:`OUTPUT_MARK`, and what in it the mark does not list.

    ``names`` are relative POSIX paths in walking (sorted) order, the
    outermost of each unlisted tree (``sub``, not ``sub/notes.txt``); a link
    is never listed, a file browser's :data:`_OS_METADATA` file never named,
    and a folder that cannot be read is named, not vouched for. Without a
    mark every other entry of ``folder`` is named. Links are not followed;
    nothing is changed.
    """
    folder = Path(folder)
    listed = output_mark(folder)
    found: list[str] = []
    stack = [(folder, "")]
    while stack:
        path, prefix = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            if not prefix:
                raise
            found.append(prefix.rstrip("/"))
            continue
        below = []
        for e in entries:
            if not prefix and e.name == OUTPUT_MARK and listed is not None:
                continue
            if os_metadata_file(e):  # Finder's .DS_Store, Explorer's Thumbs.db: the system's, not a person's
                continue
            is_dir = e.is_dir(follow_symlinks=False)
            key = prefix + e.name + ("/" if is_dir else "")
            if listed is None or key not in listed or e.is_symlink():
                found.append(prefix + e.name)
            elif is_dir:
                below.append((Path(e.path), key))
        stack.extend(reversed(below))
    return listed is not None, sorted(found)


def foreign_entries_text(folder: str | os.PathLike, foreign: list[str], writer: str = "saliency") -> str:
    """``holds N entries WRITER did not write (F/a, F/b, F/c, ...)``: the count and the first three of ``foreign``
    (paths relative to ``folder``), as :func:`check_own_output` and ``train.check_own_run`` name them."""
    from saliency.base.images import shown_path

    n = len(foreign)
    names = ", ".join(shown_path(Path(folder) / f) for f in foreign[:3]) + (", ..." if n > 3 else "")
    return f"holds {n} {'entry' if n == 1 else 'entries'} {writer} did not write ({names})"


def check_own_output(folder: str | os.PathLike, param: str = "out", shown: str | os.PathLike | None = None,
                     during: bool = False) -> None:
    """Refuse a folder about to be replaced whole that holds anything a saliency command did not write there.

    A folder without :data:`OUTPUT_MARK` (another program's, or an output of
    a version of saliency from before the mark) counts whole; one with it,
    what the mark does not list (:func:`foreign_output_entries`). One line
    names ``param``, the folder (``shown``, default ``folder``), the count and
    the first three entries; ``during``: they appeared while the run was
    writing, and its result is not kept. Nothing is touched.
    """
    shown = Path(folder if shown is None else shown)
    try:
        marked, foreign = foreign_output_entries(folder)
    except OSError as exc:
        raise UserError(f"`{param}` {shown}: cannot list it ({exc.strerror or exc}); check its permissions or "
                        "choose another folder") from None
    if not foreign:
        return
    n = len(foreign)
    what = foreign_entries_text(shown, foreign)
    if not marked:
        what += (f" and no mark of a saliency output ({OUTPUT_MARK}; outputs of earlier versions of saliency carry "
                 "none and must be removed by hand once)")
    them = "it" if n == 1 else "them"
    if during:
        raise UserError(f"`{param}` {shown}: {what}, put there while this run was writing; it was left as it is "
                        f"and this run's result was not kept; move {them} out and run again, or choose another "
                        "folder")
    raise UserError(f"`{param}` {shown}: {what}; move {them} out or choose another folder")


def write_output_mark(stage: str | os.PathLike) -> None:
    """Write :data:`OUTPUT_MARK` into the folder ``stage``, listing every file and folder in it (links not followed)."""
    stage = Path(stage)
    entries = sorted(Path(e.path).relative_to(stage).as_posix() + ("/" if e.is_dir(follow_symlinks=False) else "")
                     for e in _entries_under(stage) if not (e.name == OUTPUT_MARK and Path(e.path).parent == stage))
    write_json(stage / OUTPUT_MARK, {"mark": _MARK_TEXT, "note": _MARK_NOTE, "entries": entries})


def clear_dir(folder: str | os.PathLike) -> None:
    """Remove everything inside ``folder`` (links are unlinked, never followed), keeping the folder.

    A ``folder`` that is itself a link is refused (its target is never emptied).
    """
    check_not_link(folder, "folder")
    for child in Path(folder).iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def move_aside(folder: str | os.PathLike) -> Path:
    """Rename ``folder`` to a hidden sibling and put an empty folder in its place; return the sibling.

    :func:`restore_aside` puts it back, :func:`discard_aside` deletes it.
    The sibling is made beside where ``folder`` really is
    (:func:`real_place`: ``lnk/../run`` is set aside beside ``run`` in the
    folder above the link's target) and returned as a path beside ``folder``
    as given, which the OS resolves to it, so messages name it the user's way.
    """
    folder = check_not_link(folder, "folder")
    check_not_cwd(folder, "folder")
    check_not_mount(folder, "folder")
    real = real_place(folder)
    with signals_held():
        try:
            aside = Path(tempfile.mkdtemp(prefix=aside_prefix(folder.name), dir=real.parent))
        except OSError as exc:  # a read-only parent folder: name the folder, not the hidden name tried
            raise _named_error(exc, folder) from exc
        try:
            os.replace(real, aside)  # an empty folder is replaced by the rename
        except OSError as exc:  # nothing was moved: the empty sibling goes, the error names the folder as given
            aside.rmdir()
            raise _named_error(exc, folder) from exc
        real.mkdir()
        take_mode(real, os.lstat(aside), 0o777, folder=True)  # the mode and group of the folder set aside
    return folder.parent / aside.name


def restore_aside(folder: str | os.PathLike, aside: str | os.PathLike) -> None:
    """Undo :func:`move_aside`: remove what was built at ``folder`` (never following links) and rename ``aside``
    back."""
    folder, aside = Path(folder), Path(aside)
    with signals_held():
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        os.replace(aside, folder)


def discard_aside(aside: str | os.PathLike, folder: str | os.PathLike | None = None) -> None:
    """Delete a folder set aside by :func:`move_aside` (the new content is complete).

    What cannot be deleted (a read-only folder inside) stays, and one
    warning line on stderr says where and why (:func:`remove_old_copy`);
    ``folder``: the folder it was set aside from (default: read from the
    name ``.FOLDER.old-XXXX`` when that folder is there).
    """
    aside = Path(aside)
    if folder is None:
        m = re.fullmatch(r"\.(.+)\.old-[^.]+", aside.name)
        folder = aside.parent / m.group(1) if m and (aside.parent / m.group(1)).is_dir() else None
    with signals_held():
        remove_old_copy(aside, folder)


def _remove_tree(path: str | os.PathLike) -> tuple[str, OSError] | None:
    """Remove the folder ``path`` and all it holds (links unlinked, never followed), going on past what cannot be
    removed; ``(where, error)`` of the first failure, or None when all went (or it was gone already)."""
    import sys

    failures: list[tuple[str, OSError]] = []

    def failed(func, where, exc):  # onexc gets the exception, onerror its exc_info
        exc = exc[1] if isinstance(exc, tuple) else exc
        if not isinstance(exc, FileNotFoundError):  # removed meanwhile: gone all the same
            failures.append((os.fsdecode(where), exc))

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=failed)
    else:
        shutil.rmtree(path, onerror=failed)
    return failures[0] if failures else None


def remove_old_copy(old: str | os.PathLike, out: str | os.PathLike | None = None) -> bool:
    """Delete ``old``, the previous content of the output ``out`` set aside once the new one is in place; False
    and one warning line on stderr when part of it cannot be deleted.

    The new output is complete, so the run succeeded: the line names the
    output, the hidden folder left and the first thing that could not be
    deleted, with why (a read-only sub-folder of the old output, which
    ``--overwrite`` cannot empty), and asks the user to delete it.
    """
    import sys

    from saliency.base.images import shown_path

    failure = _remove_tree(old)
    if failure is None:
        return True
    where, exc = failure
    old = Path(old)
    if out is not None:  # beside the output as the user named it (mkdtemp may have made the path absolute)
        shown_old = Path(out).parent / old.name
        try:
            where = str(shown_old / Path(os.path.abspath(where)).relative_to(os.path.abspath(old)))
        except ValueError:
            pass
        old = shown_old
    what = f"{shown_path(out)}: the new output is in place, but the old one" if out is not None else \
        "the old output"
    why = (exc.strerror or str(exc)).lower()
    try:
        print(f"saliency: warning: {what}, set aside in {shown_path(old)}, could not be deleted ({why}: "
              f"{shown_path(where)}); check its permissions and delete {shown_path(old)} by hand",
              file=sys.stderr, flush=True)
    except (OSError, ValueError):  # pragma: no cover - stderr gone
        pass
    return False


def unstaged_name(name, stage: Path, out: Path) -> str | None:
    """``name`` (a path inside ``stage``) as the path it will have under ``out``; None when it is not inside."""
    if name is None or not isinstance(name, (str, os.PathLike)):
        return None
    try:
        rel = Path(name).relative_to(stage)
    except ValueError:
        return None
    return str(out / rel)


def folder_identity(path: str | os.PathLike, *folders: str | os.PathLike) -> tuple:
    """What an input folder is now: ``((folder, st_dev, st_ino), ...)`` of ``path`` and of each of ``folders`` (its
    subfolders read, e.g. a dataset's images/ and masks/; each once, in order), ``(folder, None, None)`` for one
    that is not there. Links are followed (a link pointed elsewhere is another folder).

    Taken before a command's first read of an input folder, and given to
    :func:`check_unchanged` after its last read (or before a result claims
    the input), it tells whether another process replaced the folder
    meanwhile (a rename of a staged folder onto it: ``synth``/``ingest``
    ``--overwrite``), which reading by path would mix into one result.
    Two identities of one folder join with ``+`` (``path`` stays first).
    """
    out = []
    for folder in dict.fromkeys(str(f) for f in (path, *folders)):
        try:
            st = os.stat(folder)
        except OSError:
            out.append((folder, None, None))
        else:
            out.append((folder, st.st_dev, st.st_ino))
    return tuple(out)


def identity_with_files(ids: tuple, files) -> tuple:
    """``ids`` (:func:`folder_identity` of an input folder, taken before it was indexed) joined with the identity of
    each folder holding one of ``files`` (the files listed to be read: images/, masks/, maps/ ...; ``None`` and
    other non-paths skipped), so that :func:`check_unchanged` sees a subfolder replaced too."""
    dirs = sorted({os.path.dirname(os.fspath(f)) or "." for f in files if f and isinstance(f, (str, os.PathLike))})
    return ids + folder_identity(ids[0][0], *dirs)


def replaced_error(path: str | os.PathLike, label: str, who: str | None = None) -> UserError:
    """The refusal of a command whose input folder ``path`` (the option ``label``, e.g. ``data``) was replaced, or
    lost a file it had listed, while the command read it (:func:`check_unchanged`). ``who``: how the refusal names
    the folder, used as it is instead of the backticked ``label`` (where its value came from, as
    ``saliency.config._who`` spells it: ``FILE: data.val``, ```overrides` data.val``)."""
    who = f"`{label}`" if who is None else who
    return UserError(f"{who} {path}: was replaced while this command read it (another run wrote it); run again "
                     "when it is finished")


def check_unchanged(ids: tuple, label: str, files=(), who: str | None = None, shown=None) -> None:
    """:func:`replaced_error` naming the first folder of ``ids`` (:func:`folder_identity`; ``shown``, when given,
    instead) when any folder of them is not the one it was then (replaced, removed, or made since), or one of
    ``files`` (listed when it was indexed) is gone; nothing otherwise. ``label``: the option that names the
    folder (``data``, ``data.val``); ``who``: :func:`replaced_error`'s."""
    if any(folder_identity(entry[0])[0] != tuple(entry) for entry in ids) or \
            any(not os.path.exists(f) for f in files if f is not None):
        raise replaced_error(ids[0][0] if shown is None else shown, label, who)


def _folder_state(out: Path):
    """``(device, inode, empty)`` of the folder ``out``; None when there is none. Empty: nothing but a file
    browser's files (:func:`os_metadata_file`: Finder writes .DS_Store into a folder it shows, even mid-run)."""
    try:
        st = os.stat(out)
    except FileNotFoundError:
        return None
    try:
        empty = not holds_user_entries(out)
    except OSError:
        empty = False
    return st.st_dev, st.st_ino, empty


def _check_unchanged(out: Path, before, param: str) -> None:
    """UserError when ``out`` is not the folder :func:`staged_dir` found (or its absence), or was empty and no more."""
    now = _folder_state(out)
    if now is None:
        return  # gone meanwhile: nothing of anyone's is replaced
    if before is None:
        why = "appeared while this run was writing"
    elif now[:2] != before[:2]:
        why = "was replaced by another folder while this run was writing"
    elif before[2] and not now[2]:
        why = "was empty and was filled while this run was writing"
    else:
        return
    raise UserError(f"`{param}` {out}: {why} (another run with the same output, or a person); it was left as it "
                    "is and this run's result was not kept; run again with another output folder")


def _put_back(old: Path, out: Path, param: str, real: Path | None = None) -> None:
    """Rename the folder set aside at the swap (``old``) back to ``out`` (at ``real``, where it really is, when
    given); UserError naming ``out`` when that fails."""
    try:
        os.replace(old, out if real is None else real)
    except OSError:  # another run placed its folder meanwhile: the old content stays aside (named beside `out`)
        raise UserError(f"`{param}` {out}: another run placed its result there while this one was finishing; this "
                        f"run's result was not kept, and what {out} held before is in {out.parent / old.name}") \
            from None


@contextlib.contextmanager
def staged_dir(out: str | os.PathLike, param: str = "out", inputs=None) -> Iterator[Path]:
    """Build a folder in a temporary sibling and swap it in for ``out`` on success.

    The previous content of ``out`` (if any) is removed only after the new
    folder is complete; on an exception, Ctrl-C or SIGTERM (which raises
    :class:`Terminated` while the stage is open) the staging folder is
    deleted and ``out`` is left exactly as it was. An ``out`` that is a link
    is refused, and so is one that is, holds or lies inside one of ``inputs``
    (:func:`check_apart`). ``out`` is checked again at the swap: a folder that
    appeared there meanwhile, another folder put in its place, or an empty one
    that was filled (by a person, or another run with the same ``out``) is
    never replaced: UserError, the new result discarded, theirs kept.
    The new folder carries :data:`OUTPUT_MARK`, listing what it holds; a
    non-empty ``out`` is replaced only while it holds nothing its mark does
    not list (:func:`check_own_output`: checked at the start and again, set
    aside, at the swap: a file a person added meanwhile is kept, this run's
    result not). :func:`staged_dirs` with one folder.
    """
    with staged_dirs([(out, param)], inputs=inputs) as (stage,):
        yield stage


@contextlib.contextmanager
def staged_dirs(outs, inputs=None) -> Iterator[tuple[Path, ...]]:
    """Several output folders built as one: a stage for each of ``outs`` (``(folder, param)`` pairs), all swapped in
    together or none.

    Each folder is checked and staged as :func:`staged_dir` does (the
    stages are yielded in the order of ``outs``). At the end every check of
    every folder runs first (:func:`_check_unchanged`, then each old folder
    set aside and :func:`check_own_output`), and only then are the stages
    swapped in, all with the signals held: a refusal of any folder keeps
    every old one (``predict --out O --log-density L`` replaced L and then
    refused O, the two folders from different runs). A swap that fails
    anyway (another run placed its result meanwhile) takes back the ones
    already made and puts every old folder back. A Ctrl-C or SIGTERM arriving
    during the swaps takes effect once they are all done.
    """
    specs = []
    for out, param in outs:
        out = check_not_link(out, param)
        check_apart(out, inputs, param)
        check_not_cwd(out, param)
        check_not_mount(out, param)  # before the work: a mount point cannot be renamed at the swap
        if out.exists() and not out.is_dir():
            raise UserError(f"`{param}` {out}: exists and is not a folder; choose another path")
        link = dangling_link_on_path(out.parent)
        if link is not None:  # before any folder of any output is made
            raise UserError(_dangling_text(out, link, param))
        specs.append((out, param))
    made: list[Path] = []  # the folders above the outputs that this run makes: removed again when it fails
    done = False
    hidden: dict = {}  # each stage: the output it stands for in messages
    try:
        befores = []
        reals: list[Path] = []  # where each output really is (real_place): its stage is made, and renamed, there
        for out, param in specs:
            make_folders(out.parent, made, param)  # exactly the folders made, each listed as it is made
            reals.append(real_place(out))
            before = _folder_state(out)  # what the caller checked (check_out_dir): the swap replaces only that
            if before is not None and not before[2]:
                check_own_output(out, param)  # a folder holding a user's files is never replaced whole
            befores.append(before)
        with terminate_raises():
            stages: list[Path] = []
            try:
                for (out, _), real in zip(specs, reals):
                    with signals_held():  # a signal taking effect now finds the stage listed: the finally removes it
                        try:
                            stage = Path(tempfile.mkdtemp(prefix=f".{short_name(out.name)}.", suffix=".partial",
                                                          dir=real.parent))
                        except OSError as exc:  # a read-only folder: name the output, not the hidden name tried
                            raise _named_error(exc, out) from exc
                        stages.append(stage)
                        hidden[stage] = out
                        # mkdtemp makes it private: the mode and group of the folder it replaces (what is made inside
                        # takes a set-group-ID folder's group), else an ordinary folder's
                        old = _old_stat(real)
                        take_mode(stage, old if old is not None and os.path.isdir(real) else None, 0o777,
                                   folder=True, writable=True)
                try:
                    yield tuple(stages)
                    for stage in stages:
                        write_output_mark(stage)  # what this command wrote: a later --overwrite replaces only that
                except UserError as exc:  # a library message about the folder it was given names the output instead
                    text = str(exc.args[0]) if exc.args else ""
                    for stage, (out, _) in zip(stages, specs):
                        if str(stage) in text:
                            text = text.replace(str(stage), str(out))
                            exc.args = (text, *exc.args[1:])
                    raise
                with signals_held():
                    _swap_in(specs, befores, stages, reals)
                done = True
            finally:
                for stage in stages:
                    if stage.exists():
                        with signals_held():
                            with contextlib.suppress(OSError):  # given a read-only folder's bits at the swap
                                os.chmod(stage, 0o700)
                            shutil.rmtree(stage, ignore_errors=True)
    except OSError as exc:  # a failed write names the hidden staging folder, or nothing: name the output instead
        unnamed = " or ".join(str(out) for out, _ in specs) if specs else None
        shown = user_os_error(exc, hidden, unnamed=unnamed, unnamed_errnos=WRITE_ERRNOS)
        if shown is not None:
            raise shown from exc
        raise
    finally:
        if not done:
            with signals_held():
                remove_empty_folders(made)


def _swap_in(specs: list[tuple[Path, str]], befores: list, stages: list[Path], reals: list[Path]) -> None:
    """The swap of :func:`staged_dirs` (signals held): check every folder, set every old one aside and check it,
    then rename every stage into place; on any failure everything is put back as it was and the error raised.

    ``reals``: where each output really is (:func:`real_place`); the old
    folders are set aside beside it and the stages renamed onto it, while
    every message names the output as given.
    """
    for (out, param), before in zip(specs, befores):
        check_not_link(out, param)
        _check_unchanged(out, before, param)
    olds: list[Path | None] = [None] * len(specs)
    try:
        for i, (out, param) in enumerate(specs):
            if out.exists():
                try:
                    aside = Path(tempfile.mkdtemp(prefix=aside_prefix(out.name), dir=reals[i].parent))
                except OSError as exc:  # name the output, not the hidden name tried
                    raise _named_error(exc, out) from exc
                try:
                    os.replace(reals[i], aside)
                except OSError as exc:
                    aside.rmdir()
                    raise _named_error(exc, out) from exc
                except BaseException:
                    aside.rmdir()
                    raise
                olds[i] = aside
                # set aside, so nothing added meanwhile escapes the check: a person's file is kept
                check_own_output(aside, param, shown=out, during=True)
    except BaseException:
        _put_all_back(specs, olds, reals)
        raise
    placed: list[int] = []
    try:
        for i in range(len(specs)):
            if olds[i] is not None:  # the exact bits and group of the folder replaced (set aside, so unchanged)
                take_mode(stages[i], os.lstat(olds[i]), 0o777, folder=True)
            os.replace(stages[i], reals[i])
            placed.append(i)
    except BaseException as exc:
        for j in reversed(placed):  # this run's folders already swapped in go back to their stage (removed later)
            try:
                os.replace(reals[j], stages[j])
            except OSError:
                pass
        _put_all_back(specs, olds, reals)
        out, param = specs[len(placed)]
        if isinstance(exc, OSError) and exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise UserError(f"`{param}` {out}: another run placed its result there while this one was "
                            "finishing; this run's result was not kept (that one's is)") from None
        if isinstance(exc, OSError):  # named by the output as given, not by a hidden or resolved name
            raise _named_error(exc, out) from exc
        raise
    for (out, _), old in zip(specs, olds):
        if old is not None:  # the new output is in place: what cannot be deleted of the old one is named
            remove_old_copy(old, out)


def _put_all_back(specs: list[tuple[Path, str]], olds: list, reals: list[Path]) -> None:
    """Put every folder set aside by :func:`_swap_in` back (:func:`_put_back`, onto ``reals``: where each output
    really is), the last first; the first UserError of one that could not go back is raised once all were tried."""
    failed = None
    for (out, param), old, real in reversed(list(zip(specs, olds, reals))):
        if old is None:
            continue
        try:
            _put_back(old, out, param, real)
        except UserError as exc:
            failed = failed or exc
    if failed is not None:
        raise failed

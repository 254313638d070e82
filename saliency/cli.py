"""The ``saliency`` command: one entry point, one subcommand per capability.

Subcommands live in :mod:`saliency.commands`, one module each, and are found
at start-up: a module defines ``NAME``, ``HELP`` (a one-line summary),
``ORDER`` (position in ``--help``), ``add_arguments(parser)`` and
``run(args) -> int``, and optionally ``DESCRIPTION``, ``PARAM_FLAGS``, ``MEMORY_OPTIONS`` and ``FOLDERS``.
Command modules import nothing heavy at module level, and a subcommand's
arguments are added only when that subcommand is parsed (``add_arguments`` may
import the library, e.g. ingest's reader table imports pandas), so that
``saliency --help`` starts fast (issue 14: under 0.3 s).

The error boundary (:func:`main`) turns every failure into one line on stderr,
``saliency COMMAND: error: ...``, and an exit code, never a traceback:

- exit 2, the user's to fix: :class:`saliency.base.errors.UserError` (its
  message names the file or option); usage errors and out-of-range or
  non-finite option values (checked at parse time by the types of
  :mod:`saliency.commands._args`); an empty value (``--json ""``, an unset
  shell variable: it would be dropped or read as the current folder) and a
  file given where a folder is read (:func:`check_values`), before the
  command runs; ``OSError`` on a path the user gave (no
  such file, permission denied, read-only file system, disk full or quota,
  a folder where a file is expected or a file where a folder is, name too
  long, too many links), named by its path; a file that is not UTF-8 text,
  not valid JSON or YAML, empty or truncated (``EOFError``), named when the
  file can be found; a file name that is not UTF-8 where it must be written
  into an output, named by its bytes;
- exit 1, the machine's or ours: out of memory (``MemoryError``, CUDA out of
  memory), other operating-system failures (I/O errors, too many open
  files), a process of a torchrun job (``WORLD_SIZE`` > 1) whose peer went
  away (gloo's or NCCL's "connection closed by peer": another rank failed
  and printed its own error; this one says so in one line), and any
  unexpected exception (a bug: the line names the exception and asks for
  ``--debug``);
- exit 130: Ctrl-C at any moment, argument parsing and the commands'
  imports included (``saliency: interrupted`` before the command is known);
  exit 143: SIGTERM at any moment (:func:`saliency.base.fsutil.terminate_raises`
  holds for the whole run, so staging folders are removed first). An
  interruption a library wrapped into another exception is still one, and so
  is one a library caught and dropped (the command ran on to its end);
- exit 141, no line: the reader of the standard output went away
  (``saliency models | head -1``), as a shell reports SIGPIPE.

``saliency --debug COMMAND ...`` or ``SALIENCY_DEBUG=1`` lets the exception
through with its traceback instead. OpenCV's log lines are off
(``OPENCV_LOG_LEVEL=FATAL`` unless set, before OpenCV is imported) and numpy's
floating-point warnings are silenced while a command runs. Library messages
name their parameters in backticks; they are printed as the command's flags:
``cli_flag`` (``sigma_px`` -> ``--sigma-px``) unless the command module maps
the parameter to another flag in ``PARAM_FLAGS`` (``{"binary": "--binary-fixations"}``).

Limits: ``--workers`` is capped at the number of CPUs (at least 2) unless
``--force-workers`` (then at 1024); images declaring more than 100 megapixels (``--max-pixels``)
are refused before decoding (:mod:`saliency.base.images`).

Usage errors are one line too. A mistyped command or option names the
closest valid spelling (:func:`difflib.get_close_matches`) and the help to
read: ``saliency: error: unknown command 'trian'; did you mean 'train'? (see
'saliency --help')``.
An option that takes one value refuses a second occurrence (argparse kept
the last one silently: ``--metrics NSS,CC --metrics SIM`` scored SIM only):
``saliency eval: error: --metrics given twice (NSS,CC and SIM); give it once
(see 'saliency eval --help')``. Every command gets this from its parser
(:class:`_StoreOnce` is its default action); options meant to repeat say so
(``action="append"``: ``eval --pred`` and ``--dataset``, ``train --set``, ``report --eval``), and a flag
(``--quiet --quiet``) may repeat, being the same both times.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import importlib
import os
import pkgutil
import sys

os.environ.setdefault("OPENCV_LOG_LEVEL", "FATAL")  # read when OpenCV is imported: no "[ERROR:0@...]" lines

from saliency.base import __version__  # noqa: E402 - after the environment OpenCV reads
from saliency.base.errors import UserError, cli_flag  # noqa: E402


def _closest(word: str, choices) -> str | None:
    """The closest spelling of ``word`` among ``choices``, if one is close enough."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


class _StoreOnce(argparse._StoreAction):
    """The default action of the commands' options: store one value; a second occurrence is refused.

    The refusal is made by :meth:`_Parser._get_values`, which sees the typed
    text of both occurrences; positionals are stored as argparse stores them.
    """


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit 2), as every other error.

    A subcommand's parser gets its arguments on first use (``lazy_arguments``),
    so that building the top-level parser imports no command's dependencies.
    An option of one value (argparse's default action, ``store``) given twice
    is a usage error naming both values, never the last one kept silently.
    """

    def __init__(self, *args, lazy_arguments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._lazy_arguments = lazy_arguments
        self._argv: list[str] = []
        self._given: dict[str, str] = {}  # dest -> the text of its value, for the options of one value
        for name in (None, "store"):  # None: add_argument without action=
            self.register("action", name, _StoreOnce)

    def ensure_arguments(self) -> "_Parser":
        """Add the subcommand's arguments now if they were deferred; return the parser."""
        add, self._lazy_arguments = self._lazy_arguments, None
        if add is not None:
            add(self)
        return self

    def parse_known_args(self, args=None, namespace=None):  # noqa: D102 - argparse API
        self.ensure_arguments()
        self._argv = list(sys.argv[1:] if args is None else args)
        self._given = {}
        return super().parse_known_args(args, namespace)

    def _get_values(self, action, arg_strings):
        """argparse's conversion of an occurrence's text, refusing a second value of a one-value option."""
        if isinstance(action, _StoreOnce) and action.option_strings:
            longs = [s for s in action.option_strings if s.startswith("--")]
            name = (longs or action.option_strings)[0]
            text = " ".join(arg_strings) or '""'  # an empty value shown as typed in a shell
            first = self._given.get(action.dest)
            if first is not None:
                raise argparse.ArgumentError(None, f"{name} given twice ({first} and {text}); give it once")
            self._given[action.dest] = text
        return super()._get_values(action, arg_strings)

    def parse_args(self, args=None, namespace=None):  # noqa: D102 - argparse API
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(ns, "command", None)
            target = self._command_parsers().get(command, self) if command else self
            target.error(target.unrecognized(extras))
        return ns

    def format_help(self):  # noqa: D102 - argparse API
        self.ensure_arguments()
        return super().format_help()

    def format_usage(self):  # noqa: D102 - argparse API
        self.ensure_arguments()
        return super().format_usage()

    def _command_parsers(self) -> dict:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices
        return {}

    def _option_names(self) -> list[str]:
        return [s for a in self._actions for s in a.option_strings if s.startswith("--")]

    def _unknown_options(self, tokens) -> list[str]:
        """The ``--options`` among ``tokens`` that this parser does not know (nor abbreviates uniquely)."""
        names = self._option_names()
        out = []
        for tok in tokens:
            if tok == "--":
                break
            if not tok.startswith("--") or len(tok) < 3:
                continue
            name = tok.split("=", 1)[0]
            if name in names or (self.allow_abbrev and sum(n.startswith(name) for n in names) == 1):
                continue
            out.append(name)
        return out

    def unrecognized(self, extras: list[str]) -> str:
        """The one-line message for arguments this parser does not know, with the closest valid option."""
        unknown = self._unknown_options(extras)
        if not unknown:
            return "unrecognized arguments: " + " ".join(extras)
        close = _closest(unknown[0], self._option_names())
        return f"unrecognized argument {unknown[0]}" + (f"; did you mean {close}?" if close else "")

    def _check_value(self, action, value):
        if isinstance(action, argparse._SubParsersAction) and value not in action.choices:
            close = _closest(value, action.choices)
            hint = f"did you mean {close!r}?" if close else "choose from " + ", ".join(action.choices)
            raise argparse.ArgumentError(None, f"unknown command {value!r}; {hint}")
        super()._check_value(action, value)

    def _print_message(self, message, file=None):  # noqa: D401 - argparse API
        # argparse drops a failed write of --help/--version to stdout (> /dev/full: the text lost, exit 0): it is
        # raised, so the boundary says it in one line (exit 2), a closed reader exiting quietly (141); a failed
        # write to stderr is still dropped (nowhere left to say it)
        if not message:
            return
        file = file or sys.stderr
        try:
            file.write(message)
        except AttributeError:  # no stream (pythonw)
            pass
        except OSError as exc:
            if file is sys.stderr:
                return
            exc.saliency_prog = self.prog  # the boundary's line names the command whose help failed
            raise

    def error(self, message):  # noqa: D401 - argparse API
        if message.startswith("the following arguments are required"):
            unknown = self._unknown_options(self._argv)  # a mistyped required option: name the typo
            if unknown:
                message = self.unrecognized(unknown)
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def command_modules() -> list:
    """The subcommand modules of :mod:`saliency.commands`, in ``--help`` order (cheap: no heavy imports)."""
    import saliency.commands as pkg

    mods = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"saliency.commands.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available subcommand (their arguments added when parsed)."""
    parser = _Parser(
        prog="saliency",
        description="Visual saliency toolkit: from raw gaze to benchmark table.",
    )
    parser.add_argument("--version", action="version", version=f"saliency {__version__}",
                        help="print the version and exit")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (also SALIENCY_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=_Parser)
    for mod in command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter, lazy_arguments=mod.add_arguments)
        p.set_defaults(_run=mod.run, _param_flags=dict(getattr(mod, "PARAM_FLAGS", {})))
    return parser


def flag_speller(param_flags: dict[str, str] | None = None):
    """How the error boundary spells a library parameter: the command's ``PARAM_FLAGS``, else ``cli_flag``."""
    flags = param_flags or {}
    return lambda param: flags.get(param) or cli_flag(param)


# ------------------------------------------------------------------ the error boundary

_USER_ERRNOS = {
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied; check its permissions or choose another path",
    errno.EPERM: "operation not permitted; check its permissions or choose another path",
    errno.EROFS: "the file system is read-only; choose a writable place",
    errno.ENOSPC: "no space left on the disk; free some space or write elsewhere",
    errno.EDQUOT: "disk quota exceeded; free some space or write elsewhere",
    errno.EISDIR: "is a folder; give a file path",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another path",
    errno.ENOTEMPTY: "the folder is not empty",
    errno.EEXIST: "already exists",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter path",
    errno.ELOOP: "too many levels of symbolic links; give the real path",
    errno.EXDEV: "cannot move across file systems; choose a path on the same disk",
    errno.EFBIG: "the file size limit was reached (ulimit -f, or the file system's); raise it or write elsewhere",
    errno.EINVAL: "invalid argument (a name this file system does not accept?)",
}
"""OS errors caused by the paths a user gave (exit 2), with what to do; other OS errors are the machine's (exit 1)."""


def _debug_env() -> bool:
    return os.environ.get("SALIENCY_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def _file_in_traceback(exc: BaseException) -> str | None:
    """The file an exception was reading, found among the locals of its frames (innermost first), if any."""
    import io

    tb, frames = exc.__traceback__, []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for name, value in list(frame.f_locals.items()):
            if isinstance(value, os.PathLike) and name in ("self", "path", "p", "file", "filename", "fname"):
                return os.fspath(value)
            if isinstance(value, io.IOBase) and isinstance(getattr(value, "name", None), str):
                return value.name
            reader_name = getattr(value, "name", None) if name == "self" else None
            if isinstance(reader_name, str) and os.path.isfile(reader_name):  # yaml's Reader, ...
                return reader_name
    return None


#: errnos whose text above describes the path named (missing, a folder, exists...): an error naming no path does
#: not get it ("No usable temporary directory ...; no such file or folder" blamed a file that is not there)
_PATH_ERRNOS = (errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.ENOTEMPTY, errno.EEXIST, errno.ENAMETOOLONG,
                errno.ELOOP)


def _cwd_gone() -> bool:
    """Whether the current folder was deleted (``os.getcwd`` fails): every relative path, and ``abspath``, fail with
    ENOENT naming no file, or a file that is not what is missing."""
    try:
        os.getcwd()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def _file_size_limited() -> bool:
    """Whether this process has a file size limit (``ulimit -f`` other than unlimited): under ``ulimit -f 0``
    tempfile cannot write its probe file anywhere, and says only "No usable temporary directory"."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return False
    return resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY


def _os_error(exc: OSError) -> tuple[int, str]:
    """(exit code, message) for an OSError: the user's when its errno is about the path given.

    One naming no path gets the generic line, unless its errno's text stands alone (a full disk, a read-only
    file system, ...); tempfile's "No usable temporary directory" (every candidate failed) is TMPDIR's line (and
    the file size limit's, when there is one). ENOENT for no path or a relative one, with the current folder
    deleted, says so (it was "No such file or directory (a failure of the system ...)", exit 1).
    """
    path = exc.filename2 if exc.filename2 is not None else exc.filename
    if exc.errno == errno.ENOENT and (path is None or not os.path.isabs(os.fsdecode(path))) and _cwd_gone():
        return 2, "the current folder was deleted; cd to an existing folder"
    what = _USER_ERRNOS.get(exc.errno)
    where = f"{os.fsdecode(path)}: " if path is not None else ""
    if what is not None and path is not None:
        return 2, f"{where}{what}"
    reason = exc.strerror or str(exc) or type(exc).__name__
    if str(reason).startswith("No usable temporary directory"):
        return 2, ("the temporary folder (TMPDIR) is full or not writable; free space or set TMPDIR to another folder"
                   + ("; or the file size limit (ulimit -f) is reached: raise it" if _file_size_limited() else ""))
    if what is not None and exc.errno not in _PATH_ERRNOS:
        return 2, f"{reason}; {what}"
    return 1, f"{where}{reason} (a failure of the system; run again, or with --debug for details)"


def _surrogates(exc: UnicodeEncodeError) -> str | None:
    """The message for a file name that is not UTF-8, or None when ``exc`` is about something else.

    Python keeps such a name's bytes as lone surrogates; they fail only when
    the name is written into a UTF-8 output (a table's source column, JSON),
    far from where it was read: the file's content may well be UTF-8.
    """
    text = exc.object if isinstance(exc.object, str) else None
    if text is None or not any("\udc80" <= ch <= "\udcff" for ch in text[exc.start:exc.end]):
        return None
    # the name only: the text being written may be a whole table holding it (a path in a CSV row)
    lo, hi = exc.start, exc.end
    stops = "\n\r\t,;&|\"'<>"
    while lo > 0 and text[lo - 1] not in stops:
        lo -= 1
    while hi < len(text) and text[hi] not in stops:
        hi += 1
    raw = text[lo:hi].strip().encode("utf-8", "surrogateescape")
    shown = raw.decode("utf-8", "backslashreplace")
    bad = next(ch for ch in text[exc.start:exc.end] if "\udc80" <= ch <= "\udcff")
    return (f"{shown}: the name is not UTF-8 (byte 0x{ord(bad) - 0xDC00:02x}), so it cannot be written into "
            "the outputs; rename the file or folder with UTF-8 characters")


#: options that lower a command's memory, named by the out-of-memory line when the running command has them
_MEMORY_FLAGS = (("--batch-size", "batch_size"), ("--size", "size"), ("--workers", "workers"))


def _command_module(args):
    """The module of the parsed command (for its optional ``MEMORY_OPTIONS``, ``FOLDERS``); None when unknown."""
    return sys.modules.get(getattr(getattr(args, "_run", None), "__module__", None) or "")


def _out_of_memory(args) -> str:
    """The out-of-memory line, naming only options the running command has (``args``: its parsed arguments).

    A command module may list the options that set its memory in ``MEMORY_OPTIONS`` (synth: ``--scenes``,
    ``--subjects``, ``--viewing-ms``, ``--rate``); otherwise those of :data:`_MEMORY_FLAGS` that the command
    parsed are named (all of them when the command is not known; none with ``predict --baseline``, which
    refuses them).
    """
    def either(flags):
        return ", ".join(flags[:-1]) + " or " + flags[-1] if len(flags) > 1 else "".join(flags)

    own = getattr(_command_module(args), "MEMORY_OPTIONS", None)
    if own:
        return f"out of memory; lower {either(list(own))}, or use a larger machine"
    known = vars(args) if args is not None else None
    if known is not None and known.get("command") == "predict" and known.get("baseline"):
        known = {}
    flags = [flag for flag, dest in _MEMORY_FLAGS if known is None or dest in known]
    return "out of memory; use smaller images" + (f", {either(flags)}," if flags else "") + " or a larger machine"


def classify(exc: BaseException, spell, args=None) -> tuple[int, str]:
    """The exit code and the one-line message of an exception that reached the command line.

    Exit 2 for what the user can fix, 1 for a failure of the machine or an
    unexpected one (see the module docstring); ``spell`` renders a library
    parameter as a flag; ``args``, the parsed command line, lets the
    out-of-memory line name only the running command's options.
    """
    if isinstance(exc, UserError):
        return exc.exit_code, exc.render(spell)
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return 1, _out_of_memory(args)
    named = _surrogates(exc) if isinstance(exc, UnicodeEncodeError) else None
    if named:
        return 2, named
    if isinstance(exc, UnicodeEncodeError) and exc.encoding.replace("_", "-").lower() not in ("utf-8", "utf8"):
        # writing, not reading: an output (standard output, most often) whose encoding lacks a character
        return 2, (f"the output's encoding {exc.encoding} cannot write {exc.object[exc.start:exc.end]!a}; set "
                   "PYTHONIOENCODING=utf-8 (or run python -X utf8) and run again")
    if isinstance(exc, UnicodeError):
        f = _file_in_traceback(exc)
        return 2, f"{f or 'an input file'}: not UTF-8 text ({exc.reason}); save it as UTF-8"
    if isinstance(exc, OSError):
        return _os_error(exc)
    name, module = type(exc).__name__, type(exc).__module__ or ""
    if name == "JSONDecodeError" or module.startswith("yaml"):
        f = _file_in_traceback(exc)
        kind = "JSON" if name == "JSONDecodeError" else "YAML"
        detail = " ".join(str(exc).split())
        return 2, f"{f or 'an input file'}: not valid {kind} ({detail}); fix or replace the file"
    if isinstance(exc, EOFError) or name == "UnpicklingError":
        f = _file_in_traceback(exc)
        return 2, f"{f or 'an input file'}: empty or truncated; replace the file"
    if module.startswith("cv2") and (f := _file_in_traceback(exc)):
        return 2, f"{f}: OpenCV cannot process this image; replace or remove it"
    if _peer_gone(exc):
        return 1, "another process of this torchrun failed; see its error above"
    missing = (getattr(exc, "name", None) or "") if isinstance(exc, ModuleNotFoundError) else ""
    if missing.split(".")[:2] in (["saliency", "eval"], ["saliency", "data_tools"], ["saliency", "models"]):
        # eval/, data_tools/ and models/ become saliency.* only when installed: a checkout run as is
        return 2, (f"no module {missing}: the toolkit is not installed (its eval/, data_tools/ and models/ folders "
                   "become saliency.eval, .data_tools, .models on installation); run make install, or pip install -e .")
    detail = " ".join(str(exc).split())[:300]
    return 1, (f"unexpected {name}" + (f": {detail}" if detail else "")
               + " (run again with --debug for the traceback and report it)")


#: what gloo and NCCL say when another process of the group went away (lower case)
_PEER_GONE = ("connection closed by peer", "connection reset by peer", "caused by a remote worker crashing",
              "remote process exited", "ncclremoteerror", "nccl communicator was aborted")


def _peer_gone(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective of a torchrun job (``WORLD_SIZE`` > 1) failing because another rank left."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return False
    if world <= 1 or not isinstance(exc, RuntimeError):
        return False
    text = " ".join(str(exc).split()).lower()
    return any(p in text for p in _PEER_GONE)


@contextlib.contextmanager
def _quiet_numerics():
    """numpy's floating-point warnings and OpenCV's log lines stay off stderr while a command runs."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: divide by zero, invalid value, overflow
        cv2 = sys.modules.get("cv2")
        try:
            if cv2 is not None:
                cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_FATAL)
        except AttributeError:  # pragma: no cover - an OpenCV without the logging module
            pass
        np = sys.modules.get("numpy")
        if np is None:
            try:
                import numpy as np
            except ImportError:  # pragma: no cover - numpy is a dependency
                np = None
        with np.errstate(all="ignore") if np is not None else contextlib.nullcontext():
            yield


#: options whose value may be an empty string (every other one is refused empty: :func:`check_values`)
EMPTY_ALLOWED = ("--title",)


def check_values(command_parser, args) -> None:
    """Refuse, before the command runs, a value it would drop or misread (UserError, one line, exit 2).

    An empty string (``--json ""``, ``--out "$UNSET"``) for an option or
    positional, outside :data:`EMPTY_ALLOWED`: it would be ignored (the
    result not written) or read as the current folder. And a file given to
    an option that reads a folder (the command module's ``FOLDERS``, by
    ``dest``), named as a file rather than a folder not found.
    """
    folders = getattr(_command_module(args), "FOLDERS", ())
    for action in command_parser._actions:
        value = getattr(args, action.dest, None) if action.dest else None
        values = value if isinstance(value, list) else [value]
        longs = [s for s in action.option_strings if s.startswith("--")]
        name = longs[0] if longs else (action.metavar or action.dest)
        if "" in values and name not in EMPTY_ALLOWED:
            meta = str(action.metavar or "")
            what = ("empty folder name; give a folder path" if meta.endswith("DIR") or meta == "RUN" else
                    "empty file name; give a file path" if meta in ("FILE", "JSON", "CSV", "CKPT", "LOG") else
                    f"empty value; give {meta}" if meta else "empty value")
            raise UserError(f"{name}: {what}")
        if action.dest in folders:
            for v in values:
                if isinstance(v, str) and os.path.exists(v) and not os.path.isdir(v):
                    shown = f"{name} {v}" if longs else v
                    raise UserError(f"{shown}: is a file, not a folder; give a folder path")


def _run_command(parser: "_Parser", args) -> int:
    """Check the values and limits argparse cannot see alone, then run the parsed command inside its limits."""
    from saliency.base.images import pixel_limit
    from saliency.commands._args import check_workers

    command_parser = parser._command_parsers().get(args.command, parser)
    check_values(command_parser, args)
    check_workers(command_parser, args)
    if args.command in _TORCH_COMMANDS or (args.command in ("predict", "crop") and getattr(args, "checkpoint", None)):
        _import_torch()
    with pixel_limit(getattr(args, "max_pixels", None)), _quiet_numerics():
        return int(args._run(args) or 0)


#: commands that always run a network: torch is imported before they start (:func:`_import_torch`)
_TORCH_COMMANDS = ("train", "export", "models", "demo")


def _import_torch() -> None:
    """Import torch with Ctrl-C and SIGTERM held back until it is done.

    A signal that lands while torch's C++ extensions load is raised as a
    Python exception inside pybind11 code, which aborts the process
    ("terminate called after throwing an instance of 'pybind11::error_already_set'",
    exit 134, a C++ trace on stderr). Held, it takes effect just after the
    import, as exit 130 or 143 with one line.
    """
    from saliency.base.fsutil import signals_held

    with signals_held():
        import torch  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``saliency`` console script: parse, run, and turn every failure into one line.

    See the module docstring for the exit codes; ``--debug`` or ``SALIENCY_DEBUG=1`` re-raises instead.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_env() or "--debug" in argv[:1]
    _lenient_streams()
    from saliency.base.fsutil import forget_interruptions, terminate_raises

    forget_interruptions()
    try:
        with terminate_raises():  # SIGTERM at any moment: the staging is removed, one line, exit 143
            ran: dict = {}  # the command's prog, named by a failure of the last flush
            try:
                code = _parse_and_run(argv, debug, ran)
            except SystemExit as exc:  # --help, --version: their text is flushed here too (> /dev/full); a
                # failed flush is its one line and exit code, a good one argparse's exit as before
                if exc.code not in (0, None):
                    raise
                if argv and not argv[0].startswith("-"):
                    ran.setdefault("prog", f"saliency {argv[0]}")
                failed = _flush_stdout(0, ran.get("prog", "saliency"), debug)
                if failed:
                    return failed
                raise
            return _flush_stdout(code, ran.get("prog", "saliency"), debug)
    except KeyboardInterrupt as exc:  # Ctrl-C (130), or SIGTERM (143)
        if getattr(exc, "debug", debug):
            raise
        code = getattr(exc, "exit_code", 130)
        _say(f"{getattr(exc, 'prog', 'saliency')}: {'terminated' if code == 143 else 'interrupted'}")
        return code


#: characters of the toolkit's output (eval's table arrows, unit signs, dashes) and of file names in it: a standard
#: stream whose encoding cannot write them (Windows: cp1252 for a file or pipe) writes escapes instead
_OUTPUT_PROBE = "\u2191\u2193\u00b1\u00b5\u03bc\u2014\U0001f600"


def _lenient_streams() -> None:
    """Let stdout and stderr write what their encoding cannot (as ``\\u2191``) instead of failing the command.

    The encoding the user chose (PYTHONIOENCODING, the console's code page)
    is kept; only its errors become ``backslashreplace``, and only on a stream
    that cannot encode :data:`_OUTPUT_PROBE` and would fail on it (``strict``;
    a UTF-8 one, or one the user set to other errors, is left as it is).
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        if not encoding or getattr(stream, "errors", None) != "strict" or not hasattr(stream, "reconfigure"):
            continue
        try:
            _OUTPUT_PROBE.encode(encoding)
        except UnicodeEncodeError:
            try:
                stream.reconfigure(errors="backslashreplace")
            except (OSError, ValueError, TypeError):  # a stream that cannot be changed: as it is
                pass
        except LookupError:
            pass


def _parse_and_run(argv: list[str], debug: bool, ran: dict | None = None) -> int:
    """Parse and run a command; every failure but an interruption becomes one line (see :func:`main`)."""
    prog, args = "saliency", None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        debug = debug or bool(getattr(args, "debug", False))
        if not getattr(args, "_run", None):
            parser.print_help()
            return 2
        prog = f"saliency {args.command}"
        if ran is not None:
            ran["prog"] = prog
        code = _run_command(parser, args)
        from saliency.base.fsutil import interrupted_by

        received = interrupted_by()
        if received is not None and code == 0:  # a library caught the signal's exception (an import that failed
            # on it, e.g. torch's optional `import triton`) and the command ran on to its end: still an interruption
            _say(f"{prog}: {'terminated' if received == 15 else 'interrupted'} (a library caught the signal and the "
                 "command ran on to its end: its output is complete)")
            return 128 + received
        return code
    except KeyboardInterrupt as exc:  # main prints its line, naming the command
        exc.prog, exc.debug = prog, debug
        raise
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the boundary: every failure is one line
        if debug:
            raise
        if (interrupt := _interruption(exc)) is not None:  # e.g. numpy's ImportError raised from a Ctrl-C
            interrupt.prog, interrupt.debug = prog, debug
            raise interrupt from None
        if isinstance(exc, BrokenPipeError) and _stdout_closed():  # `saliency models | head`: the reader is done
            return _quiet_broken_pipe()
        code, message = classify(exc, flag_speller(getattr(args, "_param_flags", None)), args)
        _say(f"{getattr(exc, 'saliency_prog', prog)}: error: {message}")
        return code


def _interruption(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM an exception was raised from (an import wraps it in an ImportError), if any."""
    from saliency.base.fsutil import Terminated, interrupted_by

    received, seen = interrupted_by(), set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    if received is not None:  # the signal's own exception was lost on the way
        return Terminated() if received == 15 else KeyboardInterrupt()
    return None


def _flush_stdout(code: int, prog: str = "saliency", debug: bool = False) -> int:
    """Flush what the command left in stdout's buffer, here and not at interpreter shutdown.

    Python's final flush is outside every handler: a reader gone by then
    (``saliency models --names-only | true``) printed "Exception ignored ...
    BrokenPipeError" and exited 120. A closed reader takes the quiet path of
    :func:`_quiet_broken_pipe` (141, or the command's own failure code). Any
    other failure to write (``> /dev/full``: no space left) is the one line
    an unbuffered stdout's failure prints (:func:`classify`), stdout is pointed
    at the null device, and the exit is that line's code (2), or the
    command's own failure code.
    """
    try:
        sys.stdout.flush()
    except OSError as exc:
        if _reader_gone(exc):
            quiet = _quiet_broken_pipe()
            return code or quiet
        if debug:
            raise
        failed, message = classify(exc, flag_speller())
        _say(f"{prog}: error: {message}")
        _stdout_to_null()  # the shutdown flush writes the rest there, not a second error
        return code or failed
    except (ValueError, AttributeError):  # no real stdout (closed, or None): as before, at shutdown
        pass
    return code


def _reader_gone(exc: OSError) -> bool:
    """Whether a failed write or flush of stdout means its reader has gone: a BrokenPipeError, or on Windows the
    EINVAL (or ERROR_NO_DATA, 232) that CPython raises there for a pipe whose reader exited (python/cpython#79935)."""
    if isinstance(exc, BrokenPipeError):
        return True
    return os.name == "nt" and (exc.errno == errno.EINVAL or getattr(exc, "winerror", None) == 232)


def _stdout_closed() -> bool:
    """Whether the reader of this process's standard output has gone (a pipe whose other end is closed)."""
    import select

    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & select.POLLERR for _, ev in poll.poll(0))
    except (OSError, ValueError, AttributeError):  # no poll, or no real stdout (pytest's capture)
        return False


def _quiet_broken_pipe() -> int:
    """No error line when the output's reader stopped reading (``| head``): exit 141, as a shell reports SIGPIPE.

    Standard output is pointed at the null device first, so that the final
    flush at exit does not fail again.
    """
    _stdout_to_null()
    return 141


def _stdout_to_null() -> None:
    """Point standard output's file descriptor at the null device: what is left in its buffer goes nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # pragma: no cover - stdout not a file descriptor
        pass


def _say(line: str) -> None:
    """Print the command's last line on stderr (a closed or broken stderr is ignored), on a line of its own.

    A progress bar still open (the exception's traceback keeps its frame, and
    so the bar, alive) is closed first: on a terminal the line was written
    after the bar's text on the same line (``... 5.19img/s]saliency predict:
    interrupted``).
    """
    tqdm_mod = sys.modules.get("tqdm")  # never imported here: a command that drew no bar has none
    for bar in list(getattr(getattr(tqdm_mod, "tqdm", None), "_instances", None) or ()):
        try:
            bar.close()
        except Exception:  # noqa: BLE001 - a bar that cannot close must not cost the message
            pass
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # pragma: no cover - stderr gone
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Mutation fuzzing of every command (issue 16, deliverable 6): one clean line or valid outputs, nothing lost.

For each command a tiny valid baseline (a 6-scene synthetic study, its ingested
dataset, a 1-epoch checkpoint of the default tiny model, its predictions and an
eval JSON; built once in ``--baseline``, a folder this script made, and
reused) and N seeded random mutations of its inputs: log rows, JSON, images,
checkpoints, YAML configs and option values. Each case runs
in-process through ``saliency.cli.main(argv)`` in a fresh temporary folder, with
stdout and stderr captured (Python's streams and file descriptor 2, so OpenCV's
C-level lines and forked workers are seen too). The promise checked per case:

- exit 0 and the outputs exist and parse, or exit 2 (or 1 for a stated failure
  of the machine, 3 for training stopped on a NaN loss) with exactly one stderr
  line and no ``Traceback``;
- no ``.partial`` staging or ``.old-`` folder left in the case's folder;
- every input byte-identical afterwards, and a pre-existing output too unless
  the command succeeded (with ``--overwrite`` it may then be replaced).

Usage::

    python benchmarks/fuzz.py --cases-per-command 60 --seed 0
    python benchmarks/fuzz.py --commands ingest,eval --cases-per-command 20

``tests/test_fuzz.py`` runs :func:`run_case` for a fixed seed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import struct
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # benchmarks/scratch.py, also when the tests load this file by its path
    sys.path.append(_HERE)

COMMANDS = ("synth", "ingest", "detect", "eval", "predict", "crop", "train", "export", "report", "models", "demo")

# ---------------------------------------------------------------------------------------------- running


@dataclass
class Result:
    """One case: what ran, what came back, and whether the promise was kept."""

    command: str
    seed: int
    mutation: str
    argv: list
    code: int
    stderr: str
    problems: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def kept(self) -> bool:
        return not self.problems


@contextlib.contextmanager
def captured():
    """Capture sys.stdout, sys.stderr and file descriptor 2 (C libraries, forked workers)."""
    out, err = io.StringIO(), io.StringIO()
    fd_file = tempfile.TemporaryFile()
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(fd_file.fileno(), 2)
    box = {}
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield box
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        fd_file.seek(0)
        box["stdout"] = out.getvalue()
        box["stderr"] = err.getvalue() + fd_file.read().decode("utf-8", "replace")
        fd_file.close()


class CaseTimeout(BaseException):
    """A case ran past its time limit (raised by SIGALRM; not an Exception, so the command's boundary lets it by)."""


def _alarm(signum, frame):
    raise CaseTimeout()


def invoke(argv: list[str], timeout: float | None = None) -> tuple[int, str, str]:
    """Run ``saliency ARGV`` in-process; (exit code, stdout, stderr). A code that is a string is a broken promise."""
    import signal

    from saliency.base.fsutil import interrupted_by
    from saliency.cli import main

    with captured() as box:
        old = signal.signal(signal.SIGALRM, _alarm) if timeout else None
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            code = main(list(argv))
        except CaseTimeout:
            code = f"timeout after {timeout:g} s"
        except KeyboardInterrupt:  # Ctrl-C to this script before the command's own handling: the run stops
            raise
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException as exc:  # noqa: BLE001 - a broken promise, reported as such
            import traceback

            traceback.print_exc(file=sys.stderr)
            code = f"raised {type(exc).__name__}"
        finally:
            if timeout:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
    if code == 130 and (interrupted_by() == signal.SIGINT or box["stderr"].rstrip().endswith("interrupted")):
        # Ctrl-C to this script, which the command caught (its line and 130): stop the whole run, as run_main
        # says (one line, exit 130), instead of recording a failed case and running all the others
        raise KeyboardInterrupt
    if code == 143 and (interrupted_by() == signal.SIGTERM or box["stderr"].rstrip().endswith("terminated")):
        # SIGTERM to this script, which the command caught (its line and 143): the run stops the same way
        from saliency.base.fsutil import Terminated

        raise Terminated()
    return code, box["stdout"], box["stderr"]


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file (and the target of every link) under ``root``, by relative path."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            p = Path(dirpath, name)
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def debris(root: Path) -> list[str]:
    """Staging or moved-aside folders/files left anywhere under ``root``."""
    bad = []
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            if name.endswith(".partial") or ".old-" in name or name.endswith(".tmp"):
                bad.append(str(Path(dirpath, name).relative_to(root)))
    return bad


# ---------------------------------------------------------------------------------------------- baseline


def build_baseline(root: Path, quiet: bool = True) -> Path:
    """The valid inputs every case starts from (built once under ``root``; reused if complete).

    ``root`` is this script's own (``--baseline``: :func:`scratch.own_folder`):
    made when absent or empty, rebuilt or reused only when it carries the mark
    of a benchmark; a folder of anyone else's files is refused (one line, exit
    status 2), never emptied.
    """
    from scratch import own_folder

    old = Path(root)  # a complete baseline of an earlier version (no scratch mark): reused as before, nothing deleted
    if not old.is_symlink() and old.is_dir() and (old / "BASELINE_OK").is_file() and \
            {p.name for p in old.iterdir()} <= {"BASELINE_OK", "study", "ds", "run", "preds", "eval.json"}:
        return old
    root = own_folder(root, "--baseline")
    done = root / "BASELINE_OK"
    if done.exists():
        return root

    def step(argv):
        code, out, err = invoke(argv)
        if code != 0:
            raise RuntimeError(f"baseline step failed ({code}): saliency {' '.join(argv)}\n{err}")

    for p in ("study", "ds", "run", "preds", "eval.json"):  # an unfinished build of this script's own folder
        if (root / p).is_dir():
            shutil.rmtree(root / p)
        elif (root / p).exists():
            (root / p).unlink()
    step(["synth", "--scenes", "6", "--subjects", "2", "--size", "160x120", "--seed", "0", "--workers", "1",
          "--out", str(root / "study"), "--quiet"])
    s = root / "study"
    step(["ingest", str(s / "logs/eyelink_fixations.csv"), "--trials", str(s / "logs/trials.csv"),
          "--stimuli", str(s / "stimuli"), "--geometry", str(s / "screen.json"), "--out", str(root / "ds"), "--quiet"])
    step(["train", "--data", str(root / "ds"), "--task", "fixation", "--epochs", "1", "--batch-size", "2",
          "--device", "cpu", "--set", "data.size=[64,64]", "--out", str(root / "run"), "--quiet"])
    step(["predict", "--checkpoint", str(root / "run/checkpoints/best.pt"), "--images", str(s / "stimuli"),
          "--out", str(root / "preds"), "--device", "cpu", "--quiet"])
    step(["eval", "--task", "fixation", "--pred", str(root / "preds"), "--gt", str(root / "ds"),
          "--json", str(root / "eval.json"), "--quiet"])
    done.write_text("ok\n")
    return root


# ---------------------------------------------------------------------------------------------- mutations

BAD_NUMBERS = ["inf", "-inf", "nan", "NaN", "1e999", "-1e999", "1e30", "-1", "0", "-0", "99999999999999999999",
               "abc", "", " ", "1x", "x1", "0x0", "1e5x1e5", "100000x100000", "-5x5", "3.5", "0x10", "1,5",
               "١٢", "nanxnan", "infxinf", "1:0", "0:1", "inf:1", "1e400:1", "-1:1", "a:b", "\x00", "--", "-"]


def mutate_text_rows(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A random damage to a delimited text log (or any text file)."""
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    sep = "\t" if lines and "\t" in lines[0] else ","
    body = [i for i in range(1, len(lines)) if lines[i].strip()] or [0]
    i = rng.choice(body)
    kind = rng.choice(["delete_field", "duplicate_field", "swap_fields", "stray_quote", "two_quotes", "number",
                       "bad_bytes", "truncate", "empty", "no_header", "header_only", "duplicate_rows",
                       "blank_lines", "crlf", "bom", "nul", "long_field", "delete_rows"])
    f = lines[i].split(sep)
    j = rng.randrange(len(f))
    if kind == "delete_field":
        del f[j]
        lines[i] = sep.join(f)
    elif kind == "duplicate_field":
        f.insert(j, f[j])
        lines[i] = sep.join(f)
    elif kind == "swap_fields" and len(f) > 1:
        k = rng.randrange(len(f))
        f[j], f[k] = f[k], f[j]
        lines[i] = sep.join(f)
    elif kind == "stray_quote":
        f[j] = '"' + f[j]
        lines[i] = sep.join(f)
    elif kind == "two_quotes":
        f[j] = '"' + f[j]
        i2 = rng.choice(body)
        lines[i] = sep.join(f)
        lines[i2] = lines[i2] + '"'
    elif kind == "number":
        f[j] = rng.choice(BAD_NUMBERS)
        lines[i] = sep.join(f)
    elif kind == "bad_bytes":
        cut = rng.randrange(len(data) + 1)
        return data[:cut] + rng.choice([b"\xff\xfe", b"\xc3\x28", b"\x80", b"\xed\xa0\x80"]) + data[cut:], kind
    elif kind == "truncate":
        return data[: rng.randrange(len(data) + 1)], kind
    elif kind == "empty":
        return b"", kind
    elif kind == "no_header":
        lines = lines[1:]
    elif kind == "header_only":
        lines = lines[:1]
    elif kind == "duplicate_rows":
        lines[i:i] = [lines[i]] * rng.randint(1, 50)
    elif kind == "blank_lines":
        lines[i:i] = [""] * 3
    elif kind == "crlf":
        return text.replace("\n", "\r\n").encode(), kind
    elif kind == "bom":
        return b"\xef\xbb\xbf" + data, kind
    elif kind == "nul":
        f[j] = f[j] + "\x00"
        lines[i] = sep.join(f)
    elif kind == "long_field":
        f[j] = "9" * rng.choice([400, 100_000])
        lines[i] = sep.join(f)
    elif kind == "delete_rows":
        del lines[1: 1 + rng.randint(1, max(1, len(lines) - 1))]
    return "\n".join(lines).encode("utf-8", "surrogatepass"), kind


WRONG_VALUES = [None, [], {}, "text", "", -1, 0, 1e308, [1, 2, 3], {"a": 1}, True, "inf", 10**40]


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for k, v in enumerate(obj):
            yield from _paths(v, prefix + (k,))


def mutate_json(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Wrong types, lists for objects, missing keys, non-finite numbers, broken syntax or encoding."""
    kind = rng.choice(["wrong_type", "wrong_type", "wrong_type", "missing_key", "list_for_object", "nan_literal",
                       "inf_literal", "truncate", "empty", "bad_bytes", "top_level_scalar"])
    if kind == "truncate":
        return data[: rng.randrange(len(data) + 1)], kind
    if kind == "empty":
        return b"", kind
    if kind == "bad_bytes":
        cut = rng.randrange(len(data) + 1)
        return data[:cut] + b"\xff\xfe\x80" + data[cut:], kind
    obj = json.loads(data)
    if kind == "top_level_scalar":
        return json.dumps(rng.choice([[], [obj], "x", 3, None])).encode(), kind
    paths = [p for p in _paths(obj) if p]
    if not paths:
        return json.dumps(rng.choice(WRONG_VALUES)).encode(), kind
    path = rng.choice(paths)
    parent = obj
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    if kind == "missing_key" and isinstance(parent, dict):
        del parent[key]
    elif kind == "list_for_object":
        parent[key] = [parent[key]]
    elif kind == "nan_literal":
        parent[key] = float("nan")
    elif kind == "inf_literal":
        parent[key] = float("inf")
    else:
        parent[key] = rng.choice(WRONG_VALUES)
    return json.dumps(obj).encode(), f"{kind}:{'.'.join(map(str, path))}"


def png_header(w: int, h: int) -> bytes:
    """A tiny PNG declaring ``w`` x ``h`` grey pixels (valid chunks; the pixel data a stub)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def mutate_image(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Truncated, empty, random, or declaring a huge size."""
    kind = rng.choice(["truncate", "truncate_header", "zero_bytes", "random_bytes", "huge_header", "huge_header",
                       "flip_bytes", "one_pixel", "text"])
    if kind == "truncate":
        return data[: rng.randrange(len(data))], kind
    if kind == "truncate_header":
        return data[: rng.randrange(1, 40)], kind
    if kind == "zero_bytes":
        return b"", kind
    if kind == "random_bytes":
        return bytes(rng.randrange(256) for _ in range(rng.choice([10, 1000]))), kind
    if kind == "huge_header":
        w, h = rng.choice([(50000, 50000), (100000, 1), (1, 100000), (65536, 2), (20000, 20000), (2**31 - 1, 1)])
        return png_header(w, h), f"huge_header:{w}x{h}"
    if kind == "flip_bytes":
        b = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b), kind
    if kind == "one_pixel":
        return png_header(1, 1), kind
    return b"hello, not an image\n", kind


def mutate_checkpoint(path: Path, rng: random.Random) -> str:
    """Truncated, empty, random bytes, or a torch file of the wrong shape."""
    kind = rng.choice(["truncate", "zero_bytes", "random_bytes", "wrong_types", "wrong_types", "missing_key",
                       "not_a_dict", "bad_config", "bad_state_shape"])
    data = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(data[: rng.randrange(len(data))])
        return kind
    if kind == "zero_bytes":
        path.write_bytes(b"")
        return kind
    if kind == "random_bytes":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(2000)))
        return kind
    import torch

    ck = torch.load(path, map_location="cpu", weights_only=True)
    if kind == "not_a_dict":
        ck = rng.choice([[1, 2], "text", 3, None])
    elif kind == "missing_key":
        del ck[rng.choice(sorted(ck))]
    elif kind == "bad_config":
        cfg = ck.get("config")
        if isinstance(cfg, dict) and cfg:
            sec = rng.choice(sorted(cfg))
            if isinstance(cfg[sec], dict) and cfg[sec]:
                cfg[sec][rng.choice(sorted(cfg[sec]))] = rng.choice(WRONG_VALUES + [float("nan"), float("inf")])
                kind += f":{sec}"
            else:
                cfg[sec] = rng.choice(WRONG_VALUES)
        else:
            ck["config"] = "text"
    elif kind == "bad_state_shape":
        sd = ck.get("state_dict") or {}
        if sd:
            k = rng.choice(sorted(sd))
            sd[k] = torch.zeros(rng.choice([(1,), (3, 3), ()]))
            kind += f":{k}"
    else:
        k = rng.choice(sorted(ck))
        ck[k] = rng.choice(WRONG_VALUES)
        kind += f":{k}"
    torch.save(ck, path)
    return kind


def mutate_yaml(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Non-UTF-8, wrong types, inf/nan, broken syntax."""
    kind = rng.choice(["bad_bytes", "wrong_type", "wrong_type", "inf", "nan", "syntax", "list_top", "empty",
                       "unknown_key"])
    text = data.decode("utf-8", "replace")
    lines = [ln for ln in text.split("\n")]
    value_lines = [i for i, ln in enumerate(lines) if ":" in ln and not ln.rstrip().endswith(":")]
    if kind == "bad_bytes":
        return b"\xff\xfe" + data[:50] + b"\x80", kind
    if kind == "syntax":
        return data + b"\n  - : : [\n", kind
    if kind == "list_top":
        return b"- 1\n- 2\n", kind
    if kind == "empty":
        return b"", kind
    if kind == "unknown_key":
        return data + b"\nnot_a_section:\n  x: 1\n", kind
    if not value_lines:
        return b"train: [1, 2]\n", kind
    i = rng.choice(value_lines)
    key, _ = lines[i].split(":", 1)
    new = {"wrong_type": rng.choice(["[1, 2]", "{a: 1}", "text", "null", "true", "-1", "1e30"]),
           "inf": rng.choice([".inf", "-.inf", "1e999"]), "nan": ".nan"}[kind]
    lines[i] = f"{key}: {new}"
    return "\n".join(lines).encode(), f"{kind}:{key.strip()}"


# ---------------------------------------------------------------------------------------------- commands


def _copy(src: Path, dst: Path) -> Path:
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    return dst


def _pick_file(folder: Path, rng: random.Random, suffix: str | None = None) -> Path:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and (suffix is None or p.suffix == suffix))
    return rng.choice(files)


def _mutate_file(path: Path, how, rng) -> str:
    data, kind = how(path.read_bytes(), rng)
    path.write_bytes(data)
    return kind


def _option_case(rng: random.Random, options: dict[str, list[str]], argv: list[str]) -> tuple[list[str], str]:
    """Replace (or add) one option of ``argv`` with a structured bad value."""
    opt = rng.choice(sorted(options))
    value = rng.choice(BAD_NUMBERS + options[opt])
    argv = list(argv)
    if opt in argv:
        argv[argv.index(opt) + 1] = value
    else:
        argv += [opt, value]
    return argv, f"option {opt}={value!r}"


def _out_case(rng, w: Path, out: Path, argv: list[str]) -> tuple[list[str], str]:
    """An existing output: a file where a folder goes, a non-empty folder (with or without --overwrite)."""
    kind = rng.choice(["file_in_place", "nonempty", "nonempty_overwrite", "under_a_file"])
    if kind == "file_in_place":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"precious\n")
    elif kind in ("nonempty", "nonempty_overwrite"):
        out.mkdir(parents=True, exist_ok=True)
        (out / "precious.txt").write_text("keep me\n")
        if kind == "nonempty_overwrite":
            argv = argv + ["--overwrite"]
    else:
        blocker = w / "blocker"
        blocker.write_text("a file\n")
        i = argv.index(str(out))
        out = blocker / "sub" / out.name
        argv = argv[:i] + [str(out)] + argv[i + 1:]
    return argv, f"output {kind}"


@dataclass
class Case:
    """A prepared case: argv, the output path(s) to check on success, and the check."""

    argv: list
    mutation: str
    outputs: list
    check: object


def _check_dir_json(name):
    def check(out: Path, stdout: str):
        json.loads((out / name).read_text())
    return check


def _check_file_json(out: Path, stdout: str):
    json.loads(out.read_text())


def _check_nonempty(out: Path, stdout: str):
    assert out.stat().st_size > 0 or out.is_dir()


def _check_pngs(out: Path, stdout: str):
    import cv2

    pngs = sorted(out.glob("*.png"))
    assert pngs, "no maps"
    for p in pngs:
        assert cv2.imread(str(p), cv2.IMREAD_UNCHANGED) is not None, p


def _check_train(out: Path, stdout: str):
    assert (out / "checkpoints" / "last.pt").stat().st_size > 0


def _check_report(out: Path, stdout: str):
    assert "<html" in (out / "report.html").read_text().lower()


def _check_stdout(out, stdout: str):
    assert stdout.strip(), "nothing printed"


def prepare(command: str, base: Path, w: Path, seed: int) -> Case:
    """Copy the baseline inputs of ``command`` into ``w`` and apply the mutation chosen by ``seed``."""
    rng = random.Random(f"{command}:{seed}")
    S = base / "study"
    if command == "synth":
        out = w / "study"
        argv = ["synth", "--scenes", "2", "--subjects", "1", "--size", "64x48", "--seed", "0", "--workers", "1",
                "--rate", "250", "--viewing-ms", "1000", "--out", str(out), "--quiet"]
        kind = rng.choice(["option"] * 4 + ["output"])
        if kind == "option":
            argv, m = _option_case(rng, {"--scenes": ["100000000"], "--subjects": ["1e6"], "--size": ["1x1", "8x8"],
                                         "--seed": ["4294967296"], "--rate": ["1"], "--viewing-ms": ["0.1"],
                                         "--p-object": ["1.5"], "--p-center": ["-0.1"], "--workers": ["100000"]},
                                   argv)
        else:
            argv, m = _out_case(rng, w, out, argv)
        return Case(argv, m, [out], _check_dir_json("study.json"))

    if command == "ingest":
        stim = _copy(S / "stimuli", w / "stimuli")
        geo = _copy(S / "screen.json", w / "screen.json")
        trials = _copy(S / "logs/trials.csv", w / "trials.csv")
        fmt = rng.choice(["eyelink", "samples", "tobii"])
        if fmt == "eyelink":
            log = _copy(S / "logs/eyelink_fixations.csv", w / "fix.csv")
            argv = ["ingest", str(log), "--trials", str(trials)]
        elif fmt == "samples":
            log = _copy(S / "logs/samples.csv", w / "samples.csv")
            argv = ["ingest", str(log)]
        else:
            log = _copy(S / "logs/tobii.tsv", w / "tobii.tsv")
            argv = ["ingest", str(log)]
        out = w / "ds"
        argv += ["--stimuli", str(stim), "--geometry", str(geo), "--out", str(out), "--quiet", "--workers", "1"]
        kind = rng.choice(["rows"] * 5 + ["trials", "screen", "image", "option", "option", "output"])
        if kind == "rows":
            m = f"{fmt} log: " + _mutate_file(log, mutate_text_rows, rng)
        elif kind == "trials":
            if fmt != "eyelink":
                argv[2:2] = ["--trials", str(trials)]
            m = "trials: " + _mutate_file(trials, mutate_text_rows, rng)
        elif kind == "screen":
            m = "screen.json: " + _mutate_file(geo, mutate_json, rng)
        elif kind == "image":
            p = _pick_file(stim, rng)
            m = f"stimulus {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "option":
            argv, m = _option_case(rng, {"--sigma-px": ["0.0001", "1e6"], "--sigma-deg": ["1e6"],
                                         "--workers": ["100000"], "--screen-px": ["0x0"], "--screen-cm": ["1e-9x1"],
                                         "--distance-cm": ["0"], "--min-duration": ["1e30"],
                                         "--velocity-threshold": ["-3"], "--max-pixels": ["1"],
                                         "--min-confidence": ["2"], "--qc-min-valid": ["7"],
                                         "--time-unit": ["hours"], "--columns": ["x=nope", "=,", "x"]}, argv)
        else:
            argv, m = _out_case(rng, w, out, argv)
        return Case(argv, m, [out], _check_dir_json("dataset.json"))

    if command == "detect":
        geo = _copy(S / "screen.json", w / "screen.json")
        fmt = rng.choice(["samples", "tobii"])
        log = _copy(S / ("logs/samples.csv" if fmt == "samples" else "logs/tobii.tsv"), w / f"log.{fmt}")
        out = w / "events"
        argv = ["detect", str(log), "--geometry", str(geo), "--out", str(out), "--quiet"]
        kind = rng.choice(["rows"] * 4 + ["screen", "option", "option", "output"])
        if kind == "rows":
            m = f"{fmt} log: " + _mutate_file(log, mutate_text_rows, rng)
        elif kind == "screen":
            m = "screen.json: " + _mutate_file(geo, mutate_json, rng)
        elif kind == "option":
            argv, m = _option_case(rng, {"--detector": ["nope", ""], "--max-gap": ["1e30", "-1"],
                                         "--merge-ms": ["-5"], "--merge-deg": ["1e9"], "--smooth-ms": ["0.001"],
                                         "--threshold": ["-3", "1e400"], "--min-duration": ["1e30"],
                                         "--plot-trial": ["100000", "-1"], "--time-unit": ["hours"],
                                         "--screen-px": ["0x0"], "--columns": ["x=nope", "=,", "x"]}, argv)
        else:
            argv, m = _out_case(rng, w, out, argv)
        return Case(argv, m, [out], _check_dir_json("detection.json"))

    if command == "eval":
        pred = _copy(base / "preds", w / "preds")
        gt = _copy(base / "ds", w / "ds")
        out = w / "res.json"
        argv = ["eval", "--task", "fixation", "--pred", str(pred), "--gt", str(gt), "--json", str(out), "--quiet"]
        kind = rng.choice(["pred_image", "pred_image", "gt_map", "gt_fix_image", "fixations_csv", "dataset_json",
                           "config", "option", "option", "output"])
        if kind == "pred_image":
            p = _pick_file(pred, rng)
            m = f"pred {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "gt_map":
            p = _pick_file(gt / "maps", rng)
            m = f"gt map {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "gt_fix_image":
            p = _pick_file(gt / "fixations", rng)
            m = f"gt fixation map {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "fixations_csv":
            m = "fixations.csv: " + _mutate_file(gt / "fixations.csv", mutate_text_rows, rng)
        elif kind == "dataset_json":
            m = "dataset.json: " + _mutate_file(gt / "dataset.json", mutate_json, rng)
        elif kind == "config":
            cfg = w / "bench.yaml"
            cfg.write_text(f"task: fixation\ndatasets:\n  - name: d\n    gt: {gt}\nmethods:\n  - name: m\n"
                           f"    pred: {pred}\n")
            m = "eval config: " + _mutate_file(cfg, mutate_yaml, rng)
            argv = ["eval", "--config", str(cfg), "--json", str(out), "--quiet"]
        elif kind == "option":
            argv, m = _option_case(rng, {"--seed": ["4294967296"], "--digits": ["1000"], "--workers": ["100000"],
                                         "--metrics": ["nope", ",", "NSS,NSS"], "--max-pixels": ["1"],
                                         "--center-bias": [str(w / "missing.png")]}, argv)
        else:
            argv, m = _out_case(rng, w, out, argv)
        return Case(argv, m, [out], _check_file_json)

    if command == "predict":
        ck = _copy(base / "run/checkpoints/best.pt", w / "best.pt")
        imgs = _copy(S / "stimuli", w / "images")
        out = w / "maps"
        argv = ["predict", "--checkpoint", str(ck), "--images", str(imgs), "--out", str(out), "--device", "cpu",
                "--quiet"]
        kind = rng.choice(["checkpoint", "checkpoint", "image", "image", "option", "option", "list", "output"])
        if kind == "checkpoint":
            m = "checkpoint: " + mutate_checkpoint(ck, rng)
        elif kind == "image":
            p = _pick_file(imgs, rng)
            m = f"image {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "list":
            lst = w / "list.txt"
            lst.write_text("s0001\ns0002\n")
            m = "list: " + _mutate_file(lst, mutate_text_rows, rng)
            argv += ["--list", str(lst)]
        elif kind == "option":
            argv, m = _option_case(rng, {"--size": ["1x1", "100000x100000", "7x7"], "--batch-size": ["1e9"],
                                         "--device": ["tpu", "cuda:99", "cuda:-1"], "--workers": ["100000"],
                                         "--max-pixels": ["1"], "--tta": ["rot"]}, argv)
        else:
            argv, m = _out_case(rng, w, out, argv)
        return Case(argv, m, [out], _check_pngs)

    if command == "crop":
        imgs = _copy(S / "stimuli", w / "images")
        maps = _copy(base / "preds", w / "maps")
        out = w / "crops"
        argv = ["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(out), "--quiet"]
        kind = rng.choice(["image", "map", "map", "option", "option", "option", "output"])
        if kind == "image":
            p = _pick_file(imgs, rng)
            m = f"image {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "map":
            p = _pick_file(maps, rng)
            m = f"map {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "option":
            argv, m = _option_case(rng, {"--aspect": ["1:100000", "100000:1", "16:9"], "--keep": ["1.5", "1e-300"],
                                         "--min-size": ["100000"], "--scale": ["0.000001", "100000x1", "1e9"],
                                         "--max-pixels": ["1"]}, argv)
        else:
            argv, m = _out_case(rng, w, out, argv)
        return Case(argv, m, [out], _check_dir_json("crops.json"))

    if command == "train":
        data = _copy(base / "ds", w / "ds")
        out = w / "run"
        argv = ["train", "--data", str(data), "--task", "fixation", "--epochs", "1", "--batch-size", "2",
                "--device", "cpu", "--set", "data.size=[64,64]", "--out", str(out), "--quiet"]
        kind = rng.choice(["config", "config", "set", "set", "dataset", "option", "option", "output"])
        if kind == "config":
            cfg = w / "c.yaml"
            cfg.write_text("train:\n  epochs: 1\n  batch_size: 2\n  seed: 0\noptim:\n  lr: 0.001\n"
                           "data:\n  size: [64, 64]\n  val_fraction: 0.2\n")
            m = "config: " + _mutate_file(cfg, mutate_yaml, rng)
            argv += ["--config", str(cfg)]
        elif kind == "set":
            key = rng.choice(["train.epochs", "train.batch_size", "optim.lr", "data.size", "data.val_fraction",
                              "train.seed", "data.workers", "sched.warmup_epochs", "loss.side_weight", "model",
                              "nope.key", "train", "data.augment.rotate"])
            val = rng.choice(["1e999", ".nan", "-1", "[1, 2, 3]", "{a: 1}", "text", "", "[", "null", "1e30", "0"])
            # the base command's own setting of that key (or its section) is left out: saliency train refuses a
            # key set twice (a flag and --set, or two --set), and the mutation is meant to reach the key's check
            own = {"train.epochs": ("--epochs", "1"), "train.batch_size": ("--batch-size", "2"),
                   "data.size": ("--set", "data.size=[64,64]")}
            for k, pair in own.items():
                if k == key or k.startswith(key + "."):
                    i = next(j for j in range(len(argv) - 1) if (argv[j], argv[j + 1]) == pair)
                    del argv[i:i + 2]
            argv += ["--set", f"{key}={val}"]
            m = f"--set {key}={val}"
        elif kind == "dataset":
            sub = rng.choice(["maps", "fixations", "stimuli", "dataset.json"])
            if sub == "dataset.json":
                m = "dataset.json: " + _mutate_file(data / sub, mutate_json, rng)
            else:
                p = _pick_file(data / sub, rng)
                m = f"{sub}/{p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "option":
            argv, m = _option_case(rng, {"--epochs": ["1e9"], "--batch-size": ["1e9"], "--lr": ["1e30"],
                                         "--seed": ["4294967296"], "--workers": ["100000"], "--device": ["tpu"],
                                         "--model": ["nope", ""], "--max-pixels": ["1"]}, argv)
        else:
            argv, m = _out_case(rng, w, out, argv)
        return Case(argv, m, [out], _check_train)

    if command == "export":
        ck = _copy(base / "run/checkpoints/best.pt", w / "best.pt")
        out = w / "model.onnx"
        argv = ["export", "--checkpoint", str(ck), "--onnx", str(out), "--size", "32x32", "--no-check", "--quiet"]
        kind = rng.choice(["checkpoint", "checkpoint", "checkpoint", "option", "option", "output"])
        if kind == "checkpoint":
            m = "checkpoint: " + mutate_checkpoint(ck, rng)
        elif kind == "option":
            argv, m = _option_case(rng, {"--size": ["1x1", "100000x100000", "7x7"], "--opset": ["99", "15", "16"],
                                         "--seed": ["4294967296"], "--model": ["nope"]}, argv)
            if "--model" in argv:
                i = argv.index("--checkpoint")
                del argv[i:i + 2]
        else:
            kind = rng.choice(["file", "dir", "under_file"])
            if kind == "file":
                out.write_bytes(b"precious\n")
                if rng.random() < 0.5:
                    argv.append("--overwrite")
            elif kind == "dir":
                out.mkdir()
                (out / "precious.txt").write_text("keep\n")
                argv.append("--overwrite")
            else:
                (w / "blocker").write_text("a file\n")
                i = argv.index(str(out))
                out = w / "blocker" / "model.onnx"
                argv[i] = str(out)
            m = f"output {kind}" + (" --overwrite" if "--overwrite" in argv else "")
        return Case(argv, m, [out], _check_nonempty)

    if command == "report":
        ev = _copy(base / "eval.json", w / "eval.json")
        ds = _copy(base / "ds", w / "ds")
        imgs = _copy(S / "stimuli", w / "images")
        pred = _copy(base / "preds", w / "preds")
        out = w / "report"
        argv = ["report", "--eval", str(ev), "--dataset", str(ds), "--images", str(imgs), "--pred", str(pred),
                "--gallery", "3", "--out", str(out), "--quiet"]
        kind = rng.choice(["eval_json", "eval_json", "dataset_json", "qc_csv", "image", "pred", "option", "output"])
        if kind == "eval_json":
            m = "eval.json: " + _mutate_file(ev, mutate_json, rng)
        elif kind == "dataset_json":
            m = "dataset.json: " + _mutate_file(ds / "dataset.json", mutate_json, rng)
        elif kind == "qc_csv":
            m = "qc.csv: " + _mutate_file(ds / "qc.csv", mutate_text_rows, rng)
        elif kind == "image":
            p = _pick_file(imgs, rng)
            m = f"image {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "pred":
            p = _pick_file(pred, rng)
            m = f"pred {p.name}: " + _mutate_file(p, mutate_image, rng)
        elif kind == "option":
            argv, m = _option_case(rng, {"--gallery": ["100000", "1e9"], "--title": ["<script>", "\x00"]}, argv)
        else:
            argv, m = _out_case(rng, w, out, argv)
        return Case(argv, m, [out], _check_report)

    if command == "models":
        argv = ["models", "--filter", "unet_tiny_cbam_sod", "--no-latency", "--size", "64x64", "--format", "json",
                "--quiet"]
        kind = rng.choice(["option", "option", "option", "output"])
        out = w / "table.json"
        if kind == "option":
            argv, m = _option_case(rng, {"--size": ["1x1", "100000x100000", "7x7"], "--runs": ["1e9", "-1"],
                                         "--threads": ["100000", "-1"], "--format": ["xml"],
                                         "--filter": ["[", "*", "nothing*"]}, argv)
            return Case(argv, m, [], _check_stdout)
        argv += ["--out", str(out)]
        k = rng.choice(["dir", "under_file", "file"])
        if k == "dir":
            out.mkdir()
            (out / "precious.txt").write_text("keep\n")
        elif k == "under_file":
            (w / "blocker").write_text("a file\n")
            out = w / "blocker" / "t.json"
            argv[-1] = str(out)
        else:
            out.write_text("old\n")
        return Case(argv, f"output {k}", [out], _check_file_json)

    if command == "demo":
        # Every demo case must fail fast (a whole demo takes minutes): bad option values that never parse,
        # outputs it must refuse, and a demo folder whose demo.json is damaged or was made with other
        # settings (another seed), so that even a mutation leaving valid JSON is refused, not resumed.
        out = w / "demo"
        argv = ["demo", "--quick", "--scenes", "10", "--subjects", "2", "--epochs", "1", "--seed", "0",
                "--device", "cpu", "--out", str(out), "--quiet"]
        kind = rng.choice(["option", "option", "output", "state", "state"])
        if kind == "option":
            bad = {"--scenes": ["9", "1e9", "-1", "inf", "nan", "abc", ""],
                   "--subjects": ["0", "1e9", "-1", "x"], "--epochs": ["0", "1e999", "-1", "2.5", "nan"],
                   "--seed": ["-1", "1e30", "4294967296", "x"], "--device": ["tpu", "cuda:x", ""]}
            opt = rng.choice(sorted(bad))
            argv[argv.index(opt) + 1] = rng.choice(bad[opt])
            return Case(argv, f"option {opt}={argv[argv.index(opt) + 1]!r}", [out], _check_nonempty)
        if kind == "output":
            k = rng.choice(["file_in_place", "nonempty", "under_a_file", "dangling_link"])
            if k == "file_in_place":
                out.write_bytes(b"precious\n")
            elif k == "nonempty":
                out.mkdir()
                (out / "precious.txt").write_text("keep me\n")
            elif k == "under_a_file":
                (w / "blocker").write_text("a file\n")
                out = w / "blocker" / "demo"
                argv[argv.index(str(w / "demo"))] = str(out)
            else:
                out.symlink_to(w / "nowhere")
            return Case(argv, f"output {k}", [out], _check_nonempty)
        out.mkdir()
        (out / "mine.txt").write_text("a file the user keeps beside the demo\n")
        state = {"layout": 1, "settings": {"layout": 1, "profile": {"seed": 12345}}, "stages": {}}
        data = json.dumps(state).encode()
        if rng.random() < 0.7:
            data, how = mutate_json(data, rng)
        else:
            how = "made with other settings"
        (out / "demo.json").write_bytes(data)
        return Case(argv, f"demo.json: {how}", [out], _check_nonempty)

    raise ValueError(f"unknown command {command!r}")


def run_case(command: str, seed: int, base: Path, timeout: float = 120.0) -> Result:
    """Prepare one mutated case of ``command`` in a fresh folder, run it, and check the promise."""
    tmp = Path(tempfile.mkdtemp(prefix=f"fuzz-{command}-"))
    w = tmp / "w"
    w.mkdir()
    try:
        case = prepare(command, base, w, seed)
        before = tree_hashes(w)
        outs = [Path(o) for o in case.outputs]
        t0 = time.perf_counter()
        cwd = os.getcwd()
        os.chdir(w)
        try:
            code, stdout, stderr = invoke(case.argv, timeout)
        finally:
            os.chdir(cwd)
        res = Result(command, seed, case.mutation, case.argv, code, stderr, seconds=time.perf_counter() - t0)
        after = tree_hashes(w)
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        if "Traceback" in stderr:
            res.problems.append("traceback on stderr")
        if code == 0:
            for o in outs:
                try:
                    case.check(o, stdout)
                except Exception as exc:  # noqa: BLE001
                    res.problems.append(f"exit 0 but output {o.name} invalid: {type(exc).__name__}: {exc}"[:300])
        elif code in (1, 2, 3):  # 3: training stopped on a NaN/inf loss (docs/RELIABILITY.md)
            if len(lines) != 1:
                res.problems.append(f"exit {code} with {len(lines)} stderr lines")
            elif "unexpected" in lines[0]:
                res.problems.append(f"exit {code}: an unexpected exception")
        else:
            res.problems.append(f"exit {code}")
        bad = debris(w)
        if bad:
            res.problems.append(f"debris: {bad[:3]}")
        out_rel = [str(o.relative_to(w)) for o in outs if o.is_relative_to(w)]

        def is_output(rel: str) -> bool:
            return any(rel == o or rel.startswith(o + os.sep) for o in out_rel)

        changed = sorted(k for k, v in before.items() if after.get(k) != v and not (code == 0 and is_output(k)))
        if changed:
            res.problems.append(f"changed or removed: {changed[:3]}")
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- driver


def command_list(text: str) -> list[str]:
    """``--commands``: comma-separated names from :data:`COMMANDS`, at least one, none twice (an argparse type)."""
    names = [c.strip() for c in text.split(",") if c.strip()]
    bad = next((c for c in names if c not in COMMANDS), None)
    if bad is not None or not names:
        what = f"unknown command {bad!r}" if bad is not None else "no command"
        raise argparse.ArgumentTypeError(f"{text!r}: {what}; choose from {','.join(COMMANDS)}")
    dup = next((c for i, c in enumerate(names) if c in names[:i]), None)
    if dup:
        raise argparse.ArgumentTypeError(f"{text!r}: command {dup!r} given twice; give each once")
    return names


CASE_TIMEOUT_MAX = 86400.0
"""The longest ``--case-timeout`` (a day; far longer ones overflow the interval timer)."""


def case_timeout(text: str) -> float:
    """``--case-timeout``: seconds, a finite number above 0 and at most :data:`CASE_TIMEOUT_MAX` (an argparse type)."""
    from saliency.commands._args import finite_positive_float

    v = finite_positive_float(text)
    if v > CASE_TIMEOUT_MAX:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at most {CASE_TIMEOUT_MAX:g} seconds")
    return v


def main(argv: list[str] | None = None) -> int:
    """Fuzz the chosen commands and print the table of kept promises; 1 when any case broke one.

    Bad options are one line and exit status 2, before the baseline is built or any case runs.
    """
    from saliency.commands._args import positive_int

    from scratch import ArgumentParser

    ap = ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases-per-command", type=positive_int, default=20,
                    help="mutated inputs per command (default 20)")
    ap.add_argument("--seed", type=int, default=0, help="first case seed; case i uses seed + i")
    ap.add_argument("--commands", type=command_list, default=",".join(COMMANDS),
                    help=f"comma-separated commands to fuzz (default: all, {','.join(COMMANDS)})")
    ap.add_argument("--baseline", type=Path, default=Path(tempfile.gettempdir()) / "saliency-fuzz-baseline",
                    help="folder of the baseline inputs (built once, reused; a folder of other files is refused)")
    ap.add_argument("--case-timeout", type=case_timeout, default=120.0,
                    help=f"seconds a case may run (default 120; at most {CASE_TIMEOUT_MAX:g})")
    ap.add_argument("--verbose", action="store_true", help="print every case")
    a = ap.parse_args(argv)
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    base = build_baseline(a.baseline)
    rows, failures = [], []
    for cmd in a.commands:
        kept = 0
        t0 = time.perf_counter()
        for i in range(a.cases_per_command):
            r = run_case(cmd, a.seed + i, base, a.case_timeout)
            kept += r.kept
            if a.verbose:
                print(f"{cmd:8s} {r.seed:5d} {r.code!s:4s} {r.seconds:6.1f}s {'ok ' if r.kept else 'BAD'} "
                      f"{r.mutation} | {r.stderr.strip().splitlines()[-1][:150] if r.stderr.strip() else ''}",
                      flush=True)
            if not r.kept:
                failures.append(r)
        rows.append((cmd, a.cases_per_command, kept, time.perf_counter() - t0))
    print("\n| command | cases | kept the promise | seconds |\n| --- | ---: | ---: | ---: |")
    for cmd, n, k, s in rows:
        print(f"| {cmd} | {n} | {k} | {s:.0f} |")
    print(f"| all | {sum(r[1] for r in rows)} | {sum(r[2] for r in rows)} | {sum(r[3] for r in rows):.0f} |")
    for r in failures:
        print(f"\nFAIL {r.command} seed={r.seed} mutation={r.mutation!r} exit={r.code}: {'; '.join(r.problems)}")
        print("  saliency " + " ".join(map(str, r.argv)))
        print("  " + "\n  ".join(r.stderr.strip().splitlines()[-6:]))
    return 0 if not failures else 1


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

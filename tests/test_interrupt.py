"""Issue 16, deliverable 6 (interruption): SIGINT/SIGTERM at seeded random moments, for every command that writes.

Each case runs ``python -m saliency COMMAND ...`` in a subprocess (its own
process group, ``TMPDIR`` and working folder in the test's temporary folder)
on a small synthetic study and interrupts it: very early (during the imports,
0.05-0.7 s) or mid-run (once its staging folder, temporary folder or first
output appeared, plus a random pause). SIGINT goes to the whole process group,
as a terminal's Ctrl-C does; SIGTERM to the main process only, as ``kill PID``.
The promise checked for each case:

- stderr is one line or empty, never a traceback;
- exit 130 (SIGINT) or 143 (SIGTERM); 0 if the command finished first (then
  its output is complete), never anything else;
- no ``.partial`` / ``.old-`` / ``.tmp`` sibling left beside the output, no
  ``saliency-*`` folder left in the temporary folder;
- no process of the group left alive;
- inputs byte-identical; a pre-existing output (``--overwrite``, eval's
  ``--json``) is either the old one or the complete new one, never a mix.

Reproduce: ``pytest -m slow tests/test_interrupt.py`` (about 1-2 minutes on 2
cores); the seed of every case is in its id.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: a line of :class:`saliency.base.progress.PlainProgress` (``DESC: N[/TOTAL] UNIT (T s)``)
PROGRESS_LINE = re.compile(r"^[^:\n]+: \d+(/\d+)? \S+ \(\d+\.\d s\)$")
COMMANDS = ("synth", "ingest", "detect", "eval", "predict", "crop", "train", "report")
CASES = 4  # per command: SIGINT and SIGTERM, each early and mid-run


def _snapshot(path: Path) -> dict:
    """{relative name: sha256} of every file under ``path`` (or of the file itself)."""
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    if not path.exists():
        return {}
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _saliency(*args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "saliency", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _env(tmp: Path) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(tmp))
    env.pop("SALIENCY_DEBUG", None)
    return env


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The inputs of every command (a synthetic study, its dataset, a checkpoint, eval JSON, a run), and outputs.

    ``ref`` holds a complete output of synth, ingest, predict and crop (the file
    names a finished run must write, and the "old" output that --overwrite cases
    start from).
    """
    root = tmp_path_factory.mktemp("interrupt")
    env, inp, ref = _env(root / "tmp"), root / "in", root / "ref"
    inp.mkdir()
    ref.mkdir()
    r = _saliency("synth", "--scenes", 6, "--subjects", 2, "--size", "160x120", "--out", inp / "study", "--quiet",
                  cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    shutil.copytree(inp / "study", ref / "synth")
    study = inp / "study"
    r = _saliency("ingest", study / "logs" / "samples.csv", "--stimuli", study / "stimuli", "--geometry",
                  study / "screen.json", "--out", inp / "ds", "--quiet", cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    shutil.copytree(inp / "ds", ref / "ingest")
    r = _saliency("detect", study / "logs" / "samples.csv", "--geometry", study / "screen.json", "--out",
                  ref / "detect", "--quiet", cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    import torch

    from saliency import models
    from saliency.checkpoint import save

    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_sod").eval()
    save(inp / "sod.pt", {"config": m.config, "state_dict": m.state_dict(),
                          "train_config": {"data": {"size": [32, 32]}}})
    for cmd, extra in (("predict", []), ("crop", ["--aspect", "1:1"])):
        r = _saliency(cmd, "--checkpoint", inp / "sod.pt", "--images", study / "stimuli", "--out", ref / cmd,
                      "--device", "cpu", "--quiet", *extra, cwd=root, env=env)
        assert r.returncode == 0, r.stderr
    r = _saliency("eval", "--task", "sod", "--pred", f"m={study / 'masks'}", "--gt", study / "masks", "--json",
                  inp / "eval.json", "--quiet", cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    run = inp / "run"
    run.mkdir()
    (run / "metrics.csv").write_text("epoch,train_loss,val_loss,val_MAE,val_Fmax\n1,0.6,0.5,0.2,0.5\n"
                                     "2,0.4,0.35,0.1,0.8\n")
    assert list((root / "tmp").iterdir()) == []
    return dict(root=root, inp=inp, ref=ref, study=study, inputs=_snapshot(inp))


def _argv(command: str, w: dict, out: Path, overwrite: bool) -> list:
    """The command line of ``command`` writing ``out`` (``--overwrite`` where it has one)."""
    inp, study = w["inp"], w["study"]
    ow = ["--overwrite"] if overwrite else []
    return {
        "synth": ["synth", "--scenes", 6, "--subjects", 2, "--size", "160x120", "--workers", 2, "--out", out, *ow],
        "ingest": ["ingest", study / "logs" / "samples.csv", "--stimuli", study / "stimuli", "--geometry",
                   study / "screen.json", "--workers", 2, "--out", out, *ow],
        "detect": ["detect", study / "logs" / "samples.csv", "--geometry", study / "screen.json", "--out", out, *ow],
        "eval": ["eval", "--task", "sod", "--pred", f"m={study / 'masks'}", "--gt", study / "masks", "--workers", 2,
                 "--json", out],
        "predict": ["predict", "--checkpoint", inp / "sod.pt", "--images", study / "stimuli", "--device", "cpu",
                    "--out", out, *ow],
        "crop": ["crop", "--checkpoint", inp / "sod.pt", "--images", study / "stimuli", "--aspect", "1:1",
                 "--device", "cpu", "--out", out, *ow],
        "train": ["train", "--data", study, "--epochs", 1, "--device", "cpu", "--out", out, *ow],
        "report": ["report", inp / "run", "--eval", inp / "eval.json", "--dataset", inp / "ds", "--images",
                   study / "stimuli", "--pred", w["ref"] / "predict", "--out", out],
    }[command] + ["--quiet"]


def _old_output(command: str, w: dict, out: Path) -> None:
    """A pre-existing output for an --overwrite case: the complete one plus a marker (train: an old run)."""
    if command == "eval":  # an earlier eval JSON: replaced without --overwrite (another file would be refused)
        out.write_text(json.dumps({"task": "sod", "version": "old", "results": []}) + "\n")
    elif command == "train":
        (out / "checkpoints").mkdir(parents=True)
        for name in ("checkpoints/best.pt", "checkpoints/last.pt", "metrics.csv", "config.yaml"):
            (out / name).write_text(f"old {name}\n")
    else:
        shutil.copytree(w["ref"] / command, out)
        (out / "OLD-MARKER.txt").write_text("the old output\n")
        # an earlier output of the command that held one more file (as a map of an image since removed): listed in
        # its mark, so --overwrite replaces it (review finding 1: a file the command did not write is refused)
        mark = out / ".saliency-output.json"
        doc = json.loads(mark.read_text(encoding="utf-8"))
        doc["entries"] = sorted(doc["entries"] + ["OLD-MARKER.txt"])
        mark.write_text(json.dumps(doc), encoding="utf-8")


def _complete(command: str, w: dict, out: Path) -> bool:
    """Whether ``out`` is the complete output of a finished ``command``."""
    if command == "eval":
        try:
            doc = json.loads(out.read_text())
        except (OSError, ValueError):
            return False
        return isinstance(doc, dict) and bool(doc.get("results"))
    names = set(_snapshot(out))
    if command == "train":
        return {"config.yaml", "metrics.csv", "checkpoints/last.pt", "checkpoints/best.pt"} <= names
    if command == "report":
        return {"report.md", "report.html"} <= names and out.joinpath("report.html").read_text().rstrip().endswith(
            "</html>")
    return names == set(_snapshot(w["ref"] / command))


def _debris(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir()
                  if p.name.endswith((".partial", ".tmp")) or ".old-" in p.name)


def _group(pgid: int) -> list[str]:
    """The processes of process group ``pgid`` still alive (zombies excluded): 'pid cmdline'."""
    alive = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != pgid or fields[0] == "Z":
                continue
            cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            alive.append(f"{d.name} {cmdline}")
        except (OSError, ValueError, IndexError):
            continue
    return alive


def _names(path: Path) -> set:
    if path.is_dir():
        return {p.relative_to(path).as_posix() for p in path.rglob("*")}
    return {str(path.stat().st_mtime_ns)} if path.exists() else set()


def _started(parent: Path, out: Path, tmp: Path, before: set) -> bool:
    """Mid-run: the command has begun writing (a staging sibling, a temporary folder, or a change in the output)."""
    try:
        return (any(p.name.startswith(f".{out.name}.") for p in parent.iterdir()) or any(tmp.iterdir())
                or _names(out) != before)
    except OSError:  # a folder renamed while it was listed
        return True


def _cases():
    for command in COMMANDS:
        for i in range(CASES):
            seed = 16_000 + COMMANDS.index(command) * 10 + i
            rng = random.Random(seed)
            sig = (signal.SIGINT, signal.SIGTERM)[i % 2]
            when = "early" if i < 2 else "mid"
            delay = rng.uniform(0.05, 0.7) if when == "early" else rng.uniform(0.0, 0.4)
            # eval's --json always exists before; report has no --overwrite
            overwrite = command == "eval" or (command != "report" and bool(rng.getrandbits(1)))
            yield pytest.param(command, sig, when, round(delay, 3), overwrite,
                               id=f"{command}-{sig.name}-{when}-{delay:.2f}s-{'ow' if overwrite else 'new'}-{seed}")


@pytest.mark.slow
@pytest.mark.interrupt
@pytest.mark.parametrize("command,sig,when,delay,overwrite", list(_cases()))
def test_interrupted_command_keeps_the_promise(world, tmp_path, command, sig, when, delay, overwrite):
    parent, tmp = tmp_path / "work", tmp_path / "tmp"
    parent.mkdir()
    env = _env(tmp)
    out = parent / ("eval.json" if command == "eval" else "out")
    if overwrite:
        _old_output(command, world, out)
    old, before = _snapshot(out), _names(out)
    proc = subprocess.Popen([sys.executable, "-m", "saliency", *map(str, _argv(command, world, out, overwrite))],
                            cwd=parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        if when == "mid":
            end = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < end and not _started(parent, out, tmp, before):
                time.sleep(0.005)
        time.sleep(delay)
        if proc.poll() is None:
            if sig == signal.SIGINT:
                os.killpg(proc.pid, sig)  # a terminal's Ctrl-C reaches the whole foreground group
            else:
                proc.send_signal(sig)  # kill PID
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = err.decode(errors="replace")
    end = time.monotonic() + 5
    while _group(proc.pid) and time.monotonic() < end:  # workers die with their parent (PDEATHSIG)
        time.sleep(0.05)
    left = _group(proc.pid)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)

    expected = 130 if sig == signal.SIGINT else 143
    if when == "early" and err.startswith("Fatal Python error: init_import_site"):
        # The interpreter itself was still starting (a .pth file of site-packages importing, slow on a
        # busy machine), before any of our code: it reports that in its own words; nothing was done.
        assert proc.returncode != 0 and _snapshot(out) == old and not any(tmp.iterdir()), err
        assert _debris(parent) == [] and _snapshot(world["inp"]) == world["inputs"], err
        return
    assert "Traceback" not in err, err
    # stderr is a pipe here: a command run without --quiet prints plain progress lines there (saliency.base.progress,
    # "predicting: 3/8 images (0.4 s)"); a signal after one of them is still one line of its own
    said = [ln for ln in err.strip().splitlines() if not PROGRESS_LINE.match(ln)]
    assert len(said) <= 1, err
    if proc.returncode == -sig and when == "early":  # killed before Python ran any of our code: nothing done
        assert err == "" and _snapshot(out) == old and not any(tmp.iterdir()), err
    else:
        assert proc.returncode in (expected, 0), (proc.returncode, err)
    assert left == [], left
    assert _debris(parent) == [], err
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith("saliency-")) == [], err
    assert _snapshot(world["inp"]) == world["inputs"], "an input changed"
    now = _snapshot(out)
    if proc.returncode == 0:
        assert _complete(command, world, out), sorted(now)
    elif command == "train" and now != old:  # the new run replaced the old one only once it can be resumed
        assert (out / "checkpoints" / "last.pt").is_file(), sorted(now)
    else:
        assert now == old or _complete(command, world, out), (sorted(now), err)

"""``benchmarks/ablation.py`` and ``osie.py``: an input replaced at the same path is refused; Ctrl-C is one line.

Found in review (R5): ``ablation.py --study S --work W`` recorded only the
path of ``S`` in W's settings, so after ``S`` was synthesised again (another
seed) the same command reused W's finished runs and printed the old study's
figures under "study: S" (0.4325 where a fresh --work gave 0.3872). The same
held for ``--real``, ``--backgrounds`` and ``osie.py --root``. Ctrl-C printed a
KeyboardInterrupt traceback where the toolkit's commands print one line and
exit with status 130.

Oracles: the refusal line of ``--work``'s settings check (scratch.resumable_work,
which names the setting that differs and its two values), the work folder
byte for byte as before, a rerun on the same inputs that trains nothing, and
the CLI's convention for Ctrl-C (one line, status 130).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.bench_fakes import BENCH, load, script, tree

ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", CUDA_VISIBLE_DEVICES="")
RUN = ("--epochs", "1", "--seeds", "0", "--attentions", "none", "--set", "data.size=[48,64]")
CHANGED = re.compile(r"error: --work (\S+): its cached steps were made with (\w+) '([0-9a-f]{16})' "
                     r"\(now '([0-9a-f]{16})'\); give a new --work, or the same settings to resume\n")


def _synth(out: Path, seed: int) -> None:
    subprocess.run([sys.executable, "-m", "saliency", "synth", "--out", str(out), "--scenes", "4", "--subjects", "1",
                    "--seed", str(seed), "--quiet", "--overwrite"], check=True, capture_output=True, env=ENV)


def _changed(err: str, work: Path, key: str) -> None:
    """``err`` is exactly resumable_work's line for ``key`` changed in ``work``, with two different digests."""
    m = CHANGED.fullmatch(err)
    assert m and m.group(1) == str(work) and m.group(2) == key and m.group(3) != m.group(4), err


def test_ablation_study_replaced_at_the_same_path_is_refused(tmp_path):
    study, work = tmp_path / "S", tmp_path / "W"
    _synth(study, 7)
    first = script("ablation", "--study", study, "--work", work, *RUN)
    assert first.returncode == 0, first.stderr[-2000:]
    row = re.search(r"^\| none \| .*$", first.stdout, re.M).group(0)
    again = script("ablation", "--study", study, "--work", work, *RUN)  # the same study: resumed, nothing trained
    assert again.returncode == 0 and "$ saliency train" not in again.stdout and row in again.stdout, again.stderr
    before = tree(work)
    shutil.rmtree(study)
    _synth(study, 8)  # another study at the same path (the old script printed `row` again under its name)
    p = script("ablation", "--study", study, "--work", work, *RUN)
    assert p.returncode == 2, (p.returncode, p.stdout[-1500:])
    _changed(p.stderr, work, "study_sha256")
    assert p.stdout == "" and tree(work) == before


class _Stop(Exception):
    """Raised by a stubbed step: the script got past its settings check."""


def _stop(*args, **kwargs):
    raise _Stop(args)


def _main(mod, args) -> tuple[str, object]:
    """``mod.main(args)``: ("ran", None) when it got to its first step, ("exit", code) when it stopped before."""
    try:
        mod.main([str(a) for a in args])
    except _Stop:
        return "ran", None
    except SystemExit as e:
        return "exit", e.code
    return "returned", None


def _image(path: Path, value: int) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((8, 8, 3), value, np.uint8))


def test_ablation_real_or_backgrounds_edited_in_place_are_refused(tmp_path, monkeypatch, capsys):
    """A mask of --real or a photograph of --backgrounds rewritten (same name, same size) stops the rerun."""
    mod = load("ablation", "bench_stale")
    monkeypatch.setattr(mod, "sh", _stop)  # the first step (saliency synth or train) is not run
    real, bg = tmp_path / "real", tmp_path / "bg"
    _image(real / "images" / "a.png", 10)
    _image(real / "masks" / "a.bmp", 0)  # BMP: uncompressed, so the edit below keeps the size
    _image(bg / "p.bmp", 50)
    for option, folder, edit in (("real", real, real / "masks" / "a.bmp"), ("backgrounds", bg, bg / "p.bmp")):
        work = tmp_path / f"w_{option}"
        args = ["--work", work, f"--{option}", folder, "--scenes", 3, "--seeds", 0, "--attentions", "none"]
        assert _main(mod, args) == ("ran", None)
        size = edit.stat().st_size
        _image(edit, 255)
        assert edit.stat().st_size == size  # the same size: only the contents tell the two apart
        capsys.readouterr()
        before = tree(work)
        assert _main(mod, args) == ("exit", 2)
        _changed(capsys.readouterr().err, work, f"{option}_sha256")
        assert tree(work) == before


def test_content_digest_follows_contents_not_place_or_times(tmp_path):
    mod = load("ablation", "bench_stale")
    a = tmp_path / "a"
    _image(a / "stimuli" / "s1.png", 1)
    _image(a / "masks" / "s1.png", 0)
    (a / "study.json").write_text('{"seed": 7}\n')
    (a / "logs").mkdir()
    (a / "logs" / "samples.csv").write_text("t,x,y\n")
    parts = mod.READ["study"]
    d = mod.content_digest(a, parts)
    shutil.copytree(a, tmp_path / "b")  # a copy elsewhere (new times): the same study
    assert mod.content_digest(tmp_path / "b", parts) == d
    (a / "logs" / "samples.csv").write_text("t,x,y\n1,2,3\n")  # not read by the runs
    assert mod.content_digest(a, parts) == d
    for edit in (lambda: (a / "study.json").write_text('{"seed": 8}\n'), lambda: _image(a / "masks" / "s1.png", 255),
                 lambda: (a / "masks" / "s1.png").rename(a / "masks" / "s2.png")):
        edit()
        assert mod.content_digest(a, parts) != d
        d = mod.content_digest(a, parts)


def test_osie_data_replaced_at_the_same_root_is_refused(tmp_path, monkeypatch, capsys):
    from saliency.eval import datasets as D
    from tests.test_eval_osie import _write_osie

    stems = D.split_stems("OSIE", "train")[:1] + D.split_stems("OSIE", "test")[:1]
    _write_osie(tmp_path / "osie", {k: [([5.0, 9.0], [4.0, 6.0])] for k in stems})
    mod = load("osie", "bench_stale")
    monkeypatch.setattr(mod, "write_split_folder", _stop)  # the first step after the settings check
    work = tmp_path / "w"
    args = ["--work", work, "--root", tmp_path, "--attentions", "none", "--seeds", "0"]
    assert _main(mod, args) == ("ran", None)
    shutil.rmtree(tmp_path / "osie")
    _write_osie(tmp_path / "osie", {k: [([7.0, 3.0], [2.0, 8.0])] for k in stems})  # other fixations, same place
    capsys.readouterr()
    before = tree(work)
    assert _main(mod, args) == ("exit", 2)
    _changed(capsys.readouterr().err, work, "root_sha256")
    assert tree(work) == before


# ---------------------------------------------------------------- Ctrl-C


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.parametrize("who", ["terminal", "command"])
def test_ablation_ctrl_c_is_one_line_and_status_130(tmp_path, who):
    """Ctrl-C in a terminal (the process group) or a SIGINT to the running `saliency train` alone."""
    study, work = tmp_path / "S", tmp_path / "W"
    _synth(study, 7)
    p = subprocess.Popen([sys.executable, str(BENCH / "ablation.py"), "--study", str(study), "--work", str(work),
                          *RUN[2:], "--epochs", "50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=ENV, start_new_session=True)
    t0 = time.monotonic()
    while not (work / "none_s0").exists() and p.poll() is None and time.monotonic() - t0 < 120:
        time.sleep(0.05)
    time.sleep(1.0)  # the run is training
    assert p.poll() is None and _children(p.pid), p.communicate()
    if who == "terminal":
        os.killpg(p.pid, signal.SIGINT)
    else:
        os.kill(_children(p.pid)[0], signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert (p.returncode, err) == (130, "ablation.py: interrupted; finished runs stay in --work (the same command "
                                        "resumes)\n"), (p.returncode, err[-2000:])
    assert not (work / "none_s0" / "done.json").exists()

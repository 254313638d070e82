"""Review stop 28 of ``benchmarks/``: four scripts refuse, in one line and exit status 2, what they ignored or
failed on after their work.

Found in review: ``detection.py --skip-synth --json DIR`` ran the whole Lund
part and then failed with an IsADirectoryError traceback (only the folder
above ``--json`` was checked), wrote its JSON in place (a NaN as a bare
``NaN``), and accepted ``--synth-*`` with ``--skip-synth`` and ignored them;
``startup.py --exe /bin/false`` (a program that runs but fails) ended in a
CalledProcessError traceback, although docs/BENCHMARKS.md promises an
``--exe`` that cannot run is refused in one line; ``read_speed.py --formats
samples,samples`` measured the same format twice; ``osie.py --device cuda``
without CUDA scored every baseline first, then failed with exit status 1.

Oracles: the exact line and status of the project's convention (one line on
stderr, status 2, no traceback), written out here by hand; the outputs the
scripts would write absent afterwards; for the JSON written, a hard link to
the old file (an atomic write renames a new file into place, so the old
inode keeps its bytes) and JSON's own grammar (``NaN`` is not JSON: null).
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from tests.bench_fakes import load, refused, script


def _usage(name: str, option: str, why: str) -> str:
    """The one usage line of ``benchmarks/NAME.py`` (scratch.ArgumentParser) for ``option``."""
    return f"{name}.py: error: {option}: {why} (see '{name}.py --help')"


@pytest.fixture
def lund(tmp_path):
    """A folder that passes detection.py's --lund check (images/*.mat) but holds no readable trial: any work the
    script starts fails with a traceback, so a refusal must come before it."""
    d = tmp_path / "lund"
    (d / "images").mkdir(parents=True)
    (d / "images" / "TH38_img_Europe_labelled_RA.mat").write_bytes(b"not a MAT file\n")
    return d


# ---------------------------------------------------------------- 1: detection.py


def test_detection_json_that_is_a_folder_is_refused_before_work(tmp_path, lund):
    out = tmp_path / "adir"
    out.mkdir()
    p = script("detection", "--lund", lund, "--skip-synth", "--json", out)
    refused(p, f"error: --json {out}: is a folder; give a file name")
    assert p.stdout == "" and list(out.iterdir()) == []


@pytest.mark.parametrize("target", ["exists", "dangling"])
def test_detection_json_that_is_a_link_is_refused_before_work(tmp_path, lund, target):
    real = tmp_path / "real.json"
    if target == "exists":
        real.write_text("the user's file\n")
    link = tmp_path / "out.json"
    link.symlink_to(real)
    p = script("detection", "--lund", lund, "--skip-synth", "--json", link)
    refused(p, f"error: --json {link}: is a symbolic link (to {real}); links are never followed or replaced: give "
               "another file name")
    assert p.stdout == "" and link.is_symlink()
    assert (real.read_text() == "the user's file\n") if target == "exists" else not real.exists()


@pytest.mark.parametrize("given", [["--synth-scenes", "3"], ["--synth-subjects", "2"],
                                   ["--synth-subjects", "2", "--synth-scenes", "3"]],
                         ids=["scenes", "subjects", "both"])
def test_detection_synth_options_with_skip_synth_are_refused(tmp_path, lund, given):
    out = tmp_path / "out.json"
    p = script("detection", "--lund", lund, "--skip-synth", *given, "--json", out)
    first = "--synth-scenes" if "--synth-scenes" in given else "--synth-subjects"
    refused(p, _usage("detection", first, "a synthetic-study option; leave it out with --skip-synth (no synthetic "
                                          "study is run)"))
    assert p.stdout == "" and not out.exists()


ROW = {"kappa_fix": 0.5, "kappa_all": 0.25, "kappa_fix_no_pursuit": 0.75, "f1_fix": float("nan"), "n_fix": 3,
       "n_fix_coder": 4}


def test_detection_json_is_renamed_into_place_and_strict(tmp_path, lund, monkeypatch, capsys):
    """The file is replaced, not rewritten: a hard link to the old one keeps the old bytes; NaN is null."""
    mod = load("detection", "bench_options28c")
    monkeypatch.setattr(mod, "lund_benchmark", lambda root: {"nh": {"all": dict(ROW)}})  # the figures, no work
    out, twin = tmp_path / "det.json", tmp_path / "twin.json"
    out.write_text("old figures\n")
    os.link(out, twin)
    mod.main_cli(["--lund", str(lund), "--skip-synth", "--json", str(out)])
    assert "| nh | 0.500 |" in capsys.readouterr().out
    assert twin.read_text() == "old figures\n"  # written to a new file renamed over out: the old inode untouched
    text = out.read_text()
    assert "NaN" not in text
    assert json.loads(text) == {"lund": {"nh": {"all": {**ROW, "f1_fix": None}}}}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


# ---------------------------------------------------------------- 2: startup.py

EXE_HINT = "give the saliency console script (e.g. .venv/bin/saliency), or leave --exe out"


def test_startup_exe_that_runs_but_fails_is_one_line():
    p = script("startup", "--exe", "/bin/false", "--repeats", 1)
    refused(p, f"error: --exe /bin/false: '/bin/false --help' failed (exit status 1); {EXE_HINT}")
    assert p.stdout == ""


def test_startup_exe_failure_names_its_last_error_line(tmp_path):
    exe = tmp_path / "saliency"
    exe.write_text("#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho 'ImportError: no numpy' >&2\n"
                   "exit 3\n")
    exe.chmod(0o755)
    p = script("startup", "--exe", exe, "--repeats", 1)
    refused(p, f"error: --exe {exe}: '{exe} --help' failed (exit status 3: ImportError: no numpy); {EXE_HINT}")
    assert p.stdout == ""


def test_startup_exe_that_is_no_program_is_one_line(tmp_path):
    exe = tmp_path / "saliency"
    exe.write_text("not a program, no #! line\n")  # executable bit set: shutil.which takes it
    exe.chmod(0o755)
    p = script("startup", "--exe", exe, "--repeats", 1)
    refused(p, f"error: --exe {exe}: cannot be run (Exec format error); {EXE_HINT}")
    assert p.stdout == ""


def test_startup_exe_that_is_not_saliency_is_one_line(tmp_path):
    marker = tmp_path / "runs"
    exe = tmp_path / "other"
    exe.write_text(f"#!/bin/sh\necho run >> {marker}\necho 'usage: other [--help]'\n")
    exe.chmod(0o755)
    p = script("startup", "--exe", exe, "--repeats", 1)
    refused(p, f"error: --exe {exe}: '{exe} --help' lists no saliency command; {EXE_HINT}")
    assert p.stdout == "" and marker.read_text() == "run\n"  # asked for its help once, nothing timed


# ---------------------------------------------------------------- 3: read_speed.py


@pytest.mark.parametrize("value, dup", [("samples,samples", "samples"), ("tobii,pupil, tobii", "tobii")])
def test_read_speed_format_given_twice_is_refused(tmp_path, value, dup):
    keep = tmp_path / "keep"
    p = script("read_speed", "--rows", 10, "--formats", value, "--keep", keep)
    refused(p, f"read_speed.py: error: argument --formats: {value!r}: format {dup!r} given twice; give each once "
               "(see 'read_speed.py --help')")
    assert p.stdout == "" and not keep.exists()


# ---------------------------------------------------------------- 4: osie.py


@pytest.fixture
def osie_root(tmp_path):
    """A tiny OSIE (2 training, 2 test images): enough for the old script to score its baselines."""
    import numpy as np

    from saliency.eval import datasets as D
    from tests.test_eval_osie import _write_osie

    rng = np.random.default_rng(0)
    keys = D.split_stems("OSIE", "train")[:2] + D.split_stems("OSIE", "test")[:2]
    _write_osie(tmp_path / "osie", {k: [(rng.uniform(1, 80, 4).tolist(), rng.uniform(1, 60, 4).tolist())
                                        for _ in range(2)] for k in keys}, size=(60, 80))
    return tmp_path


OSIE_SMALL = ("--attentions", "none", "--seeds", "0", "--epochs", "1", "--no-gold")


@pytest.mark.parametrize("dev", ["cuda", "cuda:0"])
def test_osie_device_without_cuda_is_refused_before_any_work(tmp_path, osie_root, dev):
    """bench_fakes.script hides every GPU (CUDA_VISIBLE_DEVICES=''), so CUDA is absent whatever the machine."""
    work = tmp_path / "w"
    p = script("osie", "--work", work, "--root", osie_root, *OSIE_SMALL, "--device", dev)
    refused(p, f"error: --device {dev}: CUDA is not available on this machine; use --device cpu")
    assert p.stdout == "" and not work.exists()


def test_osie_device_without_cuda_in_process(tmp_path, osie_root, monkeypatch, capsys):
    """The same with torch.cuda.is_available patched to False (main() called as the script calls it)."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    mod = load("osie", "bench_options28c")
    work = tmp_path / "w"
    monkeypatch.setattr(sys, "argv", ["osie.py", "--work", str(work), "--root", str(osie_root), *OSIE_SMALL,
                                      "--device", "cuda"])
    with pytest.raises(SystemExit) as e:
        mod.main()
    assert (e.value.code, capsys.readouterr().err) == (
        2, "error: --device cuda: CUDA is not available on this machine; use --device cpu\n")
    assert not work.exists()


def test_osie_device_that_is_no_device_is_a_usage_line(tmp_path):
    work = tmp_path / "w"
    p = script("osie", "--work", work, "--root", tmp_path / "no-data", "--device", "gpu")
    refused(p, "osie.py: error: argument --device: 'gpu': choose auto, cpu, cuda, cuda:N or mps "
               "(see 'osie.py --help')")
    assert not work.exists()

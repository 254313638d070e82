"""End-to-end tests of the ``saliency`` command with ``synth``, as a user types it."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pandas as pd
import pytest

from saliency import __version__


def saliency(*args, cwd=None):
    """Run ``python -m saliency ARGS`` in a subprocess; return the completed process."""
    return subprocess.run([sys.executable, "-m", "saliency", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def _tree(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_version_and_help():
    r = saliency("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"saliency {__version__}"
    r = saliency("--help")
    assert r.returncode == 0
    assert "synth" in r.stdout and "write a synthetic free-viewing eye-tracking study" in r.stdout
    r = saliency("synth", "--help")
    assert r.returncode == 0 and "--overwrite" in r.stdout and "--seed" in r.stdout


def test_synth_writes_study_and_reports(tmp_path):
    out = tmp_path / "study"
    r = saliency("synth", "--out", str(out), "--scenes", "3", "--subjects", "2", "--size", "160x120",
                 "--seed", "1", "--quiet")
    assert r.returncode == 0, r.stderr
    assert f"wrote a synthetic study to {out}/" in r.stdout
    assert "3 scenes (160x120)" in r.stdout
    samples = pd.read_csv(out / "logs" / "samples.csv")
    assert set(samples["subject"]) == {"sub01", "sub02"}
    assert not list(tmp_path.glob(".study.*"))  # no staging folder left behind


def test_seed_reproducible_via_cli(tmp_path):
    args = ["--scenes", "2", "--subjects", "2", "--size", "160x120", "--quiet"]
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        assert saliency("synth", "--out", str(tmp_path / name), "--seed", seed, *args).returncode == 0
    a, b, c = (_tree(tmp_path / n) for n in "abc")
    assert a == b and a != c


def test_non_empty_out_is_refused_and_untouched(tmp_path):
    out = tmp_path / "x"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    r = saliency("synth", "--out", str(out), "--scenes", "2", "--subjects", "1")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "--overwrite" in r.stderr and "Traceback" not in r.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and (out / "keep.txt").read_text() == "precious"
    r = saliency("synth", "--out", str(out), "--scenes", "2", "--subjects", "1", "--size", "160x120", "--overwrite",
                 "--quiet")
    # --overwrite no longer deletes a file synth did not write (review finding 1; was: exit 0, keep.txt gone)
    assert r.returncode == 2 and r.stderr == (
        f"saliency synth: error: --out {out}: holds 1 entry saliency did not write ({out}/keep.txt) and no mark of "
        "a saliency output (.saliency-output.json; outputs of earlier versions of saliency carry none and must be "
        "removed by hand once); move it out or choose another folder\n")
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and (out / "keep.txt").read_text() == "precious"
    (out / "keep.txt").unlink()  # moved out: the study is written, and replaced by the next --overwrite
    for _ in range(2):
        r = saliency("synth", "--out", str(out), "--scenes", "2", "--subjects", "1", "--size", "160x120",
                     "--overwrite", "--quiet")
        assert r.returncode == 0, r.stderr
    assert (out / "study.json").exists()


@pytest.mark.parametrize("args, needle", [
    (["--size", "640by480"], "WIDTHxHEIGHT"),
    (["--scenes", "0"], "between 1 and 100000"),
    (["--p-object", "0.9", "--p-center", "0.3"], "exceed 1"),
    (["--rate", "0"], "--rate"),
    (["--rate", "8000"], "between 10 and 5000 Hz"),  # ingest would refuse the logs (review, stop 18)
    (["--rate", "5"], "between 10 and 5000 Hz"),
])
def test_bad_options_one_line_exit_2(tmp_path, args, needle):
    r = saliency("synth", "--out", str(tmp_path / "o"), *args)
    assert r.returncode == 2
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_full_disk_in_a_forked_table_writer_names_the_file_and_the_cause(tmp_path, capsys, monkeypatch):
    """A table written by a forked child on a full disk gave "could not write .S.x.partial/logs/tobii.tsv (a
    failure of the system; run again ...)", exit 1, the hidden staging folder named, the cause dropped."""
    import errno

    from saliency.cli import main
    from saliency.data_tools import synth

    real = synth._to_csv

    def full(frame, path, kw):
        if str(path).endswith("tobii.tsv"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(frame, path, kw)

    monkeypatch.setattr(synth, "_to_csv", full)
    out = tmp_path / "S"
    rc = main(["synth", "--out", str(out), "--scenes", "2", "--subjects", "1", "--size", "64x48", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert f"{out / 'logs' / 'tobii.tsv'}" in err and "no space left" in err.lower() and ".partial" not in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_full_disk_in_the_parents_own_table_writer_names_the_file(tmp_path, capsys, monkeypatch):
    """pandas' failed write names no file: "No space left on device; no space left on the disk", the cause
    twice and no file (the parent's own table; the forked writers' failures were named already)."""
    import errno

    from saliency.cli import main
    from saliency.data_tools import synth

    def full(frame, path, kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(synth, "_to_csv", full)
    out = tmp_path / "S"
    rc = main(["synth", "--out", str(out), "--scenes", "2", "--subjects", "1", "--size", "64x48", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert f"{out / 'logs'}/" in err and "no space left" in err.lower() and ".partial" not in err, err

"""Review 26: inputs given twice, repeated --set keys, the report's staging folder in the demo, stimulus-name origins.

1. ``saliency detect LOG LOG`` (or LOG and a byte-for-byte copy) read the log twice: every count, the event
   tables and ``detection.json`` doubled, each fixation row twice, without a word. Now, as ``saliency ingest``
   does (one shared check, ``data_tools.ingest.input_digest``), the later input is read once with one warning
   line naming both paths, and ``detection.json`` lists it with ``duplicate_of``. Oracles: the outputs of
   ``detect LOG`` alone, byte for byte; the SHA-256 by :mod:`hashlib`; ingest's own record of the same inputs.
2. ``saliency train --set optim.lr=0.001 --set optim.lr=0.0001`` kept the last value silently. A key given twice
   among the ``--set`` options (also through a section, ``optim={lr: ..}``) is refused in one line naming the
   key and both values, exit 2, for a new run and on ``--resume`` alike (both go through ``build_config``).
3. The demo's clean-up (``demo.clear_partials``, ce535fa) no longer removed ``report/.report.XXXXXXXX.partial``,
   the staging folder ``saliency.report.write_report`` makes inside the report folder. It is removed again, and
   only that exact name there: a user's other hidden files in ``report/`` (and the same name elsewhere) stay.
4. The case-only refusal of a stimulus name (``Dog.png`` and ``DOG.png``, the name ``dog``) said "the logs name
   'dog'" when the name came from the ``--trials`` CSV or ``--stimulus``. It names the source to edit.

Oracles for 2-4: the messages whole, written out by hand; every user file's bytes before and after.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from saliency.cli import main
from cli_fakes import hashes as _hashes, refusal as _refusal, run_cli as _run

GEOMETRY = ["--screen-px", "1920x1080", "--screen-cm", "53x30", "--distance-cm", "65", "--quiet"]


# ---------------------------------------------------------------- 1. detect reads an input given twice once


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """The reviewer's study (3 scenes, 2 subjects, 1.5 s each), a copy of its samples log, and ``detect`` of the
    log alone (the oracle)."""
    root = tmp_path_factory.mktemp("r26")
    study = root / "S"
    assert main(["synth", "--scenes", "3", "--subjects", "2", "--size", "160x120", "--out", str(study), "--quiet",
                 "--workers", "1", "--viewing-ms", "1500"]) == 0
    log = study / "logs" / "samples.csv"
    copy = root / "copy.csv"
    shutil.copyfile(log, copy)
    assert main(["detect", str(log), "--out", str(root / "one"), *GEOMETRY]) == 0
    return {"root": root, "study": study, "log": log, "copy": copy, "one": root / "one"}


@pytest.mark.parametrize("second", ["same path", "a copy"])
def test_detect_reads_an_input_given_twice_once(logs, capsys, tmp_path, second):
    log, one = logs["log"], logs["one"]
    again = log if second == "same path" else logs["copy"]
    rc, out, err = _run(capsys, ["detect", log, again, "--out", tmp_path / "two", *GEOMETRY])
    assert rc == 0, err
    assert err.strip().splitlines() == [
        f"saliency detect: warning: {again} has the same content (sha256) as {log}; read once"]
    two = tmp_path / "two"
    for name in ("samples.csv", "fixations.csv", "saccades.csv", "blinks.csv", "quarantine.csv"):
        assert (two / name).read_bytes() == (one / name).read_bytes(), name
    fix = pd.read_csv(two / "fixations.csv")
    assert len(fix) > 0 and not fix.duplicated().any()  # the reviewer saw 29 exact duplicate rows
    a, b = (json.loads((d / "detection.json").read_text()) for d in (one, two))
    assert b["counts"] == a["counts"] and b["trials"] == a["trials"]
    digest = hashlib.sha256(log.read_bytes()).hexdigest()
    assert b["inputs"][0]["path"] == str(log) and b["inputs"][0]["sha256"] == digest
    assert b["inputs"][0]["rows"] == a["inputs"][0]["rows"]
    assert b["inputs"][1] == {"path": str(again), "sha256": digest, "format": "samples", "kind": "samples",
                              "duplicate_of": str(log)}
    assert len(b["inputs"]) == 2


def test_detect_records_a_duplicate_as_ingest_does(logs, capsys, tmp_path):
    """One check for both commands: the same warning line (but the command's name) and the same record."""
    log, copy, study = logs["log"], logs["copy"], logs["study"]
    rc, _, err_i = _run(capsys, ["ingest", log, copy, "--stimuli", study / "stimuli", "--out", tmp_path / "i",
                                 "--no-ioc", *GEOMETRY])
    assert rc == 0, err_i
    rc, _, err_d = _run(capsys, ["detect", log, copy, "--out", tmp_path / "d", *GEOMETRY])
    assert rc == 0, err_d
    assert err_d.replace("saliency detect:", "saliency ingest:") == err_i
    ing = json.loads((tmp_path / "i" / "dataset.json").read_text())["inputs"]
    det = json.loads((tmp_path / "d" / "detection.json").read_text())["inputs"]
    assert det[1] == ing[1] and "duplicate_of" in det[1]
    assert det[0]["sha256"] == ing[0]["sha256"]


# ---------------------------------------------------------------- 2. a --set key given twice


@pytest.mark.parametrize("sets,line", [
    (["optim.lr=0.001", "optim.lr=0.0001"], "--set optim.lr given twice (0.001 and 0.0001); give it once"),
    (["optim={lr: 0.1}", "optim.lr=0.0001"], "--set optim.lr given twice (optim={lr: 0.1} and 0.0001); give it once"),
    (["train.epochs=3", "optim.lr=0.01", "train.epochs=3"], "--set train.epochs given twice (3 and 3); give it once"),
])
def test_train_refuses_a_set_key_given_twice(capsys, tmp_path, sets, line):
    argv = ["train", "--print-config"] + [a for s in sets for a in ("--set", s)]
    assert _refusal(*_run(capsys, argv)) == f"saliency train: error: {line}"


def test_train_resume_refuses_a_set_key_given_twice(capsys, tmp_path):
    """``--resume`` goes through the same check (``build_config`` on the run's config.yaml); nothing is touched."""
    from saliency import config as C

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(C.dump_yaml(C.validate(C.default_config())), encoding="utf-8")
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    before = _hashes(run)
    argv = ["train", "--resume", run, "--print-config", "--set", "train.device=cpu", "--set", "train.device=cuda"]
    assert _refusal(*_run(capsys, argv)) == (
        "saliency train: error: --set train.device given twice (cpu and cuda); give it once")
    assert _hashes(run) == before and sorted(p.name for p in run.iterdir()) == ["checkpoints", "config.yaml"]


def test_build_config_names_both_values():
    from saliency.base.errors import UserError
    from saliency.config import build_config

    with pytest.raises(UserError) as exc:
        build_config(overrides=["data.size=[64,64]", "data.size=[96,96]"])
    assert exc.value.args[0] == "`overrides` data.size given twice ([64,64] and [96,96]); give it once"
    # different keys, and keys of one section, each still apply
    cfg = build_config(overrides=["optim.lr=0.001", "optim.weight_decay=0.01", "sched.name=poly"])
    assert (cfg["optim"]["lr"], cfg["optim"]["weight_decay"], cfg["sched"]["name"]) == (0.001, 0.01, "poly")


# ---------------------------------------------------------------- 3. the report's own staging folder in the demo


def _report_stage(folder: Path) -> Path:
    """A killed ``saliency.report.write_report`` into ``folder``: its staging folder, named as it names it."""
    folder.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".report.", suffix=".partial", dir=folder))
    (stage / "assets").mkdir()
    (stage / "report.md").write_text("half written\n")
    return stage


def _write(root: Path, rel: str, data: bytes = b"mine\n") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _demo_folder(out: Path) -> Path:
    """A demo folder (demo.json of ``--quick``) with the report's leftover staging folder and a user's hidden files
    that look like it; returns the leftover."""
    from saliency.demo import LAYOUT_VERSION, make_profile

    out.mkdir(parents=True)
    settings = {"layout": LAYOUT_VERSION, "profile": asdict(make_profile(quick=True))}
    (out / "demo.json").write_text(json.dumps({"settings": settings, "stages": {}}), encoding="utf-8")
    _write(out, "report/report.md", b"# a report\n")
    _write(out, "report/.report.abcd1234.tmp")  # a file, and .tmp: not the report's staging folder
    _write(out, "report/.report.zzzzzzzz.partial")  # a file of that name: the staging is a folder
    _write(out, "report/.report.abc.partial/a.txt")  # not tempfile's 8 characters
    _write(out, "report/.report.abcd12345.partial/a.txt")  # 9
    _write(out, "report/.report.ABCD1234.partial/a.txt")  # tempfile's are lower case
    _write(out, "report/.notes.abcd1234.partial/a.txt")  # another name
    _write(out, "report/x.report.abcd1234.partial/a.txt")  # not hidden
    _write(out, "eval/.report.abcd1234.partial/a.txt")  # the name, but not in report/
    _write(out, "notes/.report.abcd1234.partial/a.txt")  # in a folder of the user's
    return _report_stage(out / "report")


def test_clear_partials_removes_the_reports_own_staging_folder_only(tmp_path):
    from saliency.demo import clear_partials

    out = tmp_path / "D"
    stage = _demo_folder(out)
    before = {k: v for k, v in _hashes(out).items() if not k.startswith(stage.relative_to(out).as_posix())}
    clear_partials(out)
    assert not stage.exists()
    assert _hashes(out) == before


def test_the_demo_command_removes_the_reports_staging_folder(tmp_path, monkeypatch, capsys):
    """Through ``saliency demo`` (its stages stopped at the first, as Ctrl-C does: the clean-up has run)."""
    from saliency.demo import Demo, Interrupted

    def interrupted(self):
        raise Interrupted("study")

    monkeypatch.setattr(Demo, "run", interrupted)
    out = tmp_path / "D"
    stage = _demo_folder(out)
    keep = stage.relative_to(out).as_posix()
    before = {k: v for k, v in _hashes(out).items() if not k.startswith(keep) and k != "demo.json"}
    rc, _, err = _run(capsys, ["demo", "--out", out, "--quick", "--device", "cpu", "--quiet"])
    assert rc == 130 and "interrupted during stage study" in err
    assert not stage.exists()
    assert {k: v for k, v in _hashes(out).items() if k != "demo.json"} == before


# ---------------------------------------------------------------- 4. the case-only refusal names the name's source


def _image(path: Path, w: int = 40, h: int = 30) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 128, np.uint8)).save(path)


def _stimuli(tmp_path: Path, names=("Dog.png", "DOG.png", "cat.png")) -> Path:
    for n in names:
        _image(tmp_path / "stim" / n)
    fix = tmp_path / "fix.csv"
    fix.write_text("subject,trial,x,y,t_start_ms,duration_ms\n"
                   "s1,1,10,10,0,200\ns1,1,20,15,250,200\ns1,2,10,10,0,200\ns1,2,20,15,250,200\n")
    return fix


def _ingest(capsys, tmp_path, fix, *extra):
    return _run(capsys, ["ingest", fix, "--stimuli", tmp_path / "stim", "--out", tmp_path / "o", "--sigma-px", "1",
                         "--detector", "tracker", "--coords", "stimulus", "--quiet", *extra])


def test_case_only_refusal_names_the_trials_file(capsys, tmp_path):
    """The reviewer's case: the name 'dog' comes from the trials CSV, not from the log (which has no stimulus)."""
    fix = _stimuli(tmp_path)
    trials = tmp_path / "trials.csv"
    trials.write_text("subject,trial,stimulus\ns1,1,cat\ns1,2,dog\n")
    line = _refusal(*_ingest(capsys, tmp_path, fix, "--trials", trials))
    assert line == (f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: DOG.png and Dog.png differ only in "
                    f"case, and --trials {trials} names 'dog', which matches neither exactly; name the stimulus as "
                    f"its file is named, or keep one of the files in the folder")
    assert not (tmp_path / "o").exists()
    # beside the trials CSV, a name the log's own rows give is still the log's to edit
    fix.write_text("subject,trial,stimulus,x,y,t_start_ms,duration_ms\ns1,1,,10,10,0,200\ns1,2,dog,10,10,0,200\n")
    trials.write_text("subject,trial,stimulus\ns1,1,cat\n")
    line = _refusal(*_ingest(capsys, tmp_path, fix, "--trials", trials))
    assert ", and the logs name 'dog', which matches neither exactly;" in line


def test_case_only_refusal_names_the_stimulus_option(capsys, tmp_path):
    fix = _stimuli(tmp_path)
    line = _refusal(*_ingest(capsys, tmp_path, fix, "--stimulus", "dog"))
    assert line == (f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: DOG.png and Dog.png differ only in "
                    f"case, and --stimulus names 'dog', which matches neither exactly; name the stimulus as its "
                    f"file is named, or keep one of the files in the folder")
    assert not (tmp_path / "o").exists()


def test_shared_stem_refusal_names_the_trials_file(capsys, tmp_path):
    """The other refusal of a name (two files of one stem) names its source the same way."""
    fix = _stimuli(tmp_path, names=("a.jpg", "a.png", "cat.png"))
    trials = tmp_path / "trials.csv"
    trials.write_text("subject,trial,stimulus\ns1,1,cat\ns1,2,a\n")
    line = _refusal(*_ingest(capsys, tmp_path, fix, "--trials", trials))
    assert line == (f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: a.jpg and a.png share the stem 'a', and "
                    f"--trials {trials} names 'a'; maps and tables are named by stem, so keep one of the files in "
                    f"the folder")

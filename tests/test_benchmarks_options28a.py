"""Review stop 28 of ``benchmarks/``: options that were silently ignored or ended in a traceback, refused instead.

Found in review: ``crop.py --osie`` with two ``--maps`` of one name (``L=mA``
and ``L=mC/x``, or two folders named ``x``) scored only the last, and a
``--maps`` named ``human map (ceiling)`` (or ``centre``) was hidden behind
that row; ``crop.py --maps nope`` (synthetic) was refused only after
``saliency synth`` ran; ``ablation.py --study S --scenes 5`` (or
``--backgrounds``) and ``train_synthetic.py --study S --scenes 5`` trained on
S and ignored them; ``ingest.py --keep DIR`` with other counts timed the study
kept from the first run; ``osie.py``/``ablation.py --work FILE`` ended in a
NotADirectoryError traceback; ``train_synthetic.py --skip-sod --skip-fixation``
ran nothing and passed, and its usage errors were several lines.

Oracles: the project's convention written out by hand (one line on stderr,
exit status 2, nothing run: the fakes of the commands the scripts would run
raise if they are reached), and the folders that must not be made.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from tests.bench_fakes import MARK, load


class _Ran(Exception):
    """Raised by a fake command runner: the script went on to real work."""


def _ran(*args, **kwargs):
    raise _Ran(args)


def _refuses(monkeypatch, capsys, name: str, *args, argv: bool = False) -> tuple:
    """``benchmarks/NAME.py ARGS`` in this process: (exit code, stderr); ``argv``: passed to ``main`` as a list."""
    mod = load(name, "bench_options28a")
    return _call(monkeypatch, capsys, mod, name, args, argv)


def _call(monkeypatch, capsys, mod, name, args, argv=False) -> tuple:
    args = [str(a) for a in args]
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *args])  # the program name of a usage line
    with pytest.raises(SystemExit) as e:
        mod.main(args) if argv else mod.main()
    return e.value.code, capsys.readouterr().err


def _usage(name: str, msg: str) -> str:
    """The one usage line of ``benchmarks/NAME.py`` (scratch.ArgumentParser)."""
    return f"{name}.py: error: {msg} (see '{name}.py --help')\n"


def _study(tmp_path):
    """A folder that passes the scripts' --study check (a study.json); nothing reads further before the runs."""
    s = tmp_path / "study"
    s.mkdir()
    (s / "study.json").write_text("{}\n")
    return s


# ---------------------------------------------------------------- 1: crop.py --maps


@pytest.mark.parametrize("maps, spec, first, name", [
    (["L=mA", "L=mC/x"], "L=mC/x", "L=mA", "L"),
    (["mB/x", "mC/x"], "mC/x", "mB/x", "x"),
    (["x=mA", "mC/x"], "mC/x", "x=mA", "x"),
], ids=["name-twice", "folder-name-twice", "name-and-folder-name"])
def test_crop_osie_maps_of_one_name_refused(tmp_path, monkeypatch, capsys, maps, spec, first, name):
    monkeypatch.chdir(tmp_path)  # the root is missing: the old script refused it (or read it) instead
    args = ["--osie", "--root", tmp_path / "no-data"]
    for m in maps:
        args += ["--maps", m]
    assert _refuses(monkeypatch, capsys, "crop", *args) == (
        2, f"error: --maps {spec}: the name {name!r} is also that of --maps {first}; give each a name of its own "
           "(NAME=DIR)\n")


@pytest.mark.parametrize("spec, name, row", [
    ("human map (ceiling)=mA", "human map (ceiling)", "human map's"),
    ("centre=mA", "centre", "centre crop's"),
], ids=["human-map", "centre"])
def test_crop_osie_maps_named_as_a_row_of_the_table_refused(tmp_path, monkeypatch, capsys, spec, name, row):
    monkeypatch.chdir(tmp_path)
    assert _refuses(monkeypatch, capsys, "crop", "--osie", "--root", tmp_path / "no-data", "--maps", spec) == (
        2, f"error: --maps {spec}: the name {name!r} is that of the {row} row; give another NAME (NAME=DIR)\n")


def test_crop_synthetic_missing_maps_refused_before_the_study_is_written(tmp_path, monkeypatch, capsys):
    mod = load("crop", "bench_options28a")
    monkeypatch.setattr(mod, "subprocess", types.SimpleNamespace(run=_ran, DEVNULL=None))  # saliency synth, ingest
    nope = tmp_path / "nope"
    assert _call(monkeypatch, capsys, mod, "crop", ["--maps", nope, "--aspects", "1:1"]) == (
        2, f"error: --maps {nope}: folder not found\n")


# ---------------------------------------------------------------- 2: --study with the options that build a study


def _ablation(monkeypatch):
    mod = load("ablation", "bench_options28a")
    monkeypatch.setattr(mod, "sh", _ran)  # saliency synth / train
    return mod


def test_ablation_study_with_scenes_or_backgrounds_refused(tmp_path, monkeypatch, capsys):
    import cv2

    study, work = _study(tmp_path), tmp_path / "w"
    bg = tmp_path / "bg"
    bg.mkdir()
    cv2.imwrite(str(bg / "p.png"), np.zeros((8, 8, 3), np.uint8))
    mod = _ablation(monkeypatch)
    for extra, opt in ((["--scenes", 5], "--scenes"), (["--backgrounds", bg], "--backgrounds"),
                       (["--backgrounds", bg, "--scenes", 5], "--scenes")):
        got = _call(monkeypatch, capsys, mod, "ablation", ["--work", work, "--study", study, "--seeds", "0", *extra],
                    argv=True)
        assert got == (2, _usage("ablation", f"{opt}: it makes a new study; leave it out with --study (that study "
                                             "is used as it is)")), extra
        assert not work.exists()


def test_train_synthetic_study_with_scenes_refused(tmp_path, monkeypatch, capsys):
    mod = load("train_synthetic", "bench_options28a")
    monkeypatch.setattr(mod, "sh", _ran)
    work = tmp_path / "w"
    got = _call(monkeypatch, capsys, mod, "train_synthetic", ["--work", work, "--study", _study(tmp_path),
                                                              "--scenes", 5, "--skip-fixation"])
    assert got == (2, _usage("train_synthetic", "--scenes: it makes a new study; leave it out with --study (that "
                                                "study is used as it is)"))
    assert not work.exists()


def test_train_synthetic_fix_data_with_skip_fixation_refused(tmp_path, monkeypatch, capsys):
    mod = load("train_synthetic", "bench_options28a")
    monkeypatch.setattr(mod, "sh", _ran)
    fix = tmp_path / "fix"
    fix.mkdir()
    (fix / "dataset.json").write_text("{}\n")
    work = tmp_path / "w"
    got = _call(monkeypatch, capsys, mod, "train_synthetic", ["--work", work, "--study", _study(tmp_path),
                                                              "--fix-data", fix, "--skip-fixation"])
    assert got == (2, _usage("train_synthetic", "--fix-data: the fixation part's data; leave it out with "
                                                "--skip-fixation"))
    assert not work.exists()


# ---------------------------------------------------------------- 3: ingest.py --keep with other counts


COUNTS = ("--stimuli", "--subjects", "--per-trial")


def test_ingest_keep_reused_only_with_the_same_counts(tmp_path, monkeypatch, capsys):
    mod = load("ingest", "bench_options28a")
    roots = []
    monkeypatch.setattr(mod, "run", lambda a, root: roots.append(root) or 0)  # the timed run itself
    keep = tmp_path / "k"
    assert mod.main(["--keep", str(keep), "--stimuli", "2", "--subjects", "1", "--per-trial", "3"]) == 0
    assert mod.main(["--keep", str(keep), "--stimuli", "2", "--subjects", "1", "--per-trial", "3",
                     "--workers", "1"]) == 0  # the same study: reused (workers do not change it)
    assert roots == [keep, keep]
    for i, opt in enumerate(COUNTS):
        counts = ["2", "1", "3"]
        counts[i] = "4"
        args = ["--keep", keep, *(x for pair in zip(COUNTS, counts) for x in pair)]
        key = opt[2:].replace("-", "_")
        was = {"stimuli": 2, "subjects": 1, "per_trial": 3}[key]
        assert _call(monkeypatch, capsys, mod, "ingest", args, argv=True) == (
            2, f"error: --keep {keep}: its cached steps were made with {key} {was!r} (now 4); give a new --keep, "
               "or the same settings to resume\n"), opt
    assert roots == [keep, keep]


def test_ingest_keep_of_an_older_run_without_its_counts_refused(tmp_path, monkeypatch, capsys):
    mod = load("ingest", "bench_options28a")
    monkeypatch.setattr(mod, "run", _ran)
    keep = tmp_path / "k"
    (keep / "study").mkdir(parents=True)  # what the old script kept: its mark, the study, no record of the counts
    (keep / MARK).write_text("made by a saliency benchmark\n")
    (keep / "study" / "fixations.csv").write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n")
    assert _call(monkeypatch, capsys, mod, "ingest", ["--keep", keep, "--stimuli", 3], argv=True) == (
        2, f"error: --keep {keep}: holds files but no benchmark-settings.json (not made by this benchmark, or by an "
           "older version): give a new --keep\n")


# ---------------------------------------------------------------- 4: --work that is a file


def test_ablation_work_that_is_a_file_refused(tmp_path, monkeypatch, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    mod = _ablation(monkeypatch)
    got = _call(monkeypatch, capsys, mod, "ablation", ["--work", afile, "--study", _study(tmp_path), "--seeds", "0"],
                argv=True)
    assert got == (2, f"error: --work {afile}: exists and is not a folder; give a new path\n")
    assert afile.read_text() == "x\n"


def test_osie_work_that_is_a_file_refused(tmp_path, monkeypatch, capsys):
    from saliency.eval import datasets as D
    from tests.test_eval_osie import _write_osie

    stems = D.split_stems("OSIE", "train")[:1] + D.split_stems("OSIE", "test")[:1]
    _write_osie(tmp_path / "osie", {k: [([5.0, 9.0], [4.0, 6.0])] for k in stems})
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    got = _refuses(monkeypatch, capsys, "osie", "--work", afile, "--root", tmp_path, "--attentions", "none",
                   "--seeds", "0", argv=True)
    assert got == (2, f"error: --work {afile}: exists and is not a folder; give a new path\n")
    assert afile.read_text() == "x\n"


# ---------------------------------------------------------------- 5: train_synthetic.py usage


def test_train_synthetic_skip_both_parts_refused(tmp_path, monkeypatch, capsys):
    mod = load("train_synthetic", "bench_options28a")
    monkeypatch.setattr(mod, "sh", _ran)
    work = tmp_path / "w"
    got = _call(monkeypatch, capsys, mod, "train_synthetic", ["--work", work, "--study", _study(tmp_path),
                                                              "--skip-sod", "--skip-fixation"])
    assert got == (2, _usage("train_synthetic", "--skip-sod with --skip-fixation: nothing left to run; leave one "
                                                "of them out"))
    assert not work.exists()


@pytest.mark.parametrize("args, msg", [
    ([], "the following arguments are required: --work"),
    (["--work", "W", "--scenes", "0"], "argument --scenes: '0': must be at least 1"),
    (["--work", "W", "--scenes", "x"], "argument --scenes: 'x' is not an integer"),
], ids=["no-work", "scenes-0", "scenes-x"])
def test_train_synthetic_usage_error_is_one_line(tmp_path, monkeypatch, capsys, args, msg):
    monkeypatch.chdir(tmp_path)
    mod = load("train_synthetic", "bench_options28a")
    monkeypatch.setattr(mod, "sh", _ran)
    assert _call(monkeypatch, capsys, mod, "train_synthetic", args) == (2, _usage("train_synthetic", msg))
    assert not (tmp_path / "W").exists()

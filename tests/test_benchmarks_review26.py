"""Review stop 26 of ``benchmarks/``: bad option values stop seven scripts at once, one line, exit status 2.

Found in review: ``ablation.py --seeds 0,x`` synthesised a study into
``--work`` and then failed with a traceback (``--attentions foo``, ``--epochs
0`` trained or failed later; ``--epochs 0`` silently trained the recipe's
epochs); ``osie.py`` took the same lists and any ``--epochs``, ``--limit-*``
and ``--workers`` unchecked; ``crop.py --study`` with a missing folder, and
``startup.py --exe`` with a file that cannot run, ended in tracebacks after
work had started; ``ingest.py`` wrote its study before a zero count or too many
``--workers`` failed; ``detection.py --synth-scenes 0`` ran the Lund part first;
``fuzz.py --commands`` with a typo built the baseline (a training run) and then
crashed. docs/BENCHMARKS.md promises bad input is one line naming the option
and exit status 2, before anything is run or written.

Oracles: the exact line and status of the project's convention (one line on
stderr, status 2, no traceback), written out here by hand, and the folders the
scripts would write (``--work``, ``--keep``, ``--baseline``, ``--json``)
absent afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.bench_fakes import load, refused as _refused, script as _script


def _load(name: str):
    """``benchmarks/NAME.py`` as a module."""
    return load(name, "bench_review26")


def _usage(name: str, option: str, why: str) -> str:
    """The one usage line of ``benchmarks/NAME.py`` (scratch.ArgumentParser) for a bad ``option``."""
    return f"{name}.py: error: argument {option}: {why} (see '{name}.py --help')"


def _main_refuses(monkeypatch, capsys, name: str, *args) -> tuple:
    """``benchmarks/NAME.py ARGS`` run in this process (``main()`` with ``sys.argv``): (exit code, stderr)."""
    mod = _load(name)
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *map(str, args)])
    with pytest.raises(SystemExit) as e:
        mod.main()
    return e.value.code, capsys.readouterr().err


SEEDS = "give comma-separated seeds, e.g. 0,1,2"


# ---------------------------------------------------------------- 1: ablation.py

# a few scenes, one epoch, one seed: what the old script did with the rest of the command line stays small
# (--attentions left at its default: a value given is checked against the model table, which imports torch)
SMALL = ("--scenes", "4", "--epochs", "1", "--seeds", "0")


@pytest.mark.parametrize("option, value, why", [
    ("--seeds", "0,x", f"'0,x': 'x' is not an integer; {SEEDS}"),
    ("--seeds", "0,0", "'0,0': seed 0 given twice; give each seed once"),
    ("--seeds", ",", f"',': no seed; {SEEDS}"),
    ("--seeds", "4294967296", f"'4294967296': must be between 0 and 4294967295; {SEEDS}"),
    ("--scenes", "0", "'0': must be at least 1"),
    ("--epochs", "0", "'0': must be at least 1"),
], ids=["seed-x", "seed-twice", "no-seed", "seed-too-big", "scenes-0", "epochs-0"])
def test_ablation_bad_value_is_one_line_and_work_not_made(tmp_path, option, value, why):
    work = tmp_path / "w"
    _refused(_script("ablation", "--work", work, *SMALL, option, value), _usage("ablation", option, why))
    assert not work.exists()


ABLATION_KNOWN = "none,se,cbam,sk,stn,residual,scse,stnin"  # every unet_tiny_<att>_sod of saliency models


@pytest.mark.parametrize("value, why", [
    ("foo,none", f"'foo,none': unknown attention 'foo' (no model unet_tiny_foo_sod); choose from {ABLATION_KNOWN}"),
    ("se,cbam,se", "'se,cbam,se': attention 'se' given twice; give each once"),
], ids=["unknown", "twice"])
def test_ablation_bad_attentions_are_one_line_and_work_not_made(tmp_path, monkeypatch, capsys, value, why):
    work = tmp_path / "w"
    code, err = _main_refuses(monkeypatch, capsys, "ablation", "--work", work, *SMALL, "--attentions", value)
    assert (code, err) == (2, _usage("ablation", "--attentions", why) + "\n")
    assert not work.exists()


# ---------------------------------------------------------------- 2: osie.py


@pytest.mark.parametrize("option, value, why", [
    ("--seeds", "1,-1", f"'1,-1': '-1': must be between 0 and 4294967295; {SEEDS}"),
    ("--seeds", "0,1,0", "'0,1,0': seed 0 given twice; give each seed once"),
    ("--epochs", "0", "'0': must be at least 1"),
    ("--limit-train", "-1", "'-1': must be at least 0"),
    ("--limit-test", "x", "'x' is not an integer"),
    ("--workers", "0", "'0': must be between 1 and 1024"),
], ids=["seed-negative", "seed-twice", "epochs-0", "limit-train", "limit-test", "workers-0"])
def test_osie_bad_value_is_one_line_and_work_not_made(tmp_path, option, value, why):
    work = tmp_path / "w"
    _refused(_script("osie", "--work", work, "--root", tmp_path / "no-data", option, value),
             _usage("osie", option, why))
    assert not work.exists()


def test_osie_attentions_are_the_models_of_the_recipe(tmp_path, monkeypatch, capsys):
    """unet_tiny_stnin_fixation exists, unet_resnet50_stnin_fixation does not: --recipe decides."""
    work, root = tmp_path / "w", tmp_path / "no-data"
    code, err = _main_refuses(monkeypatch, capsys, "osie", "--work", work, "--root", root,
                              "--recipe", "pretrained", "--attentions", "none,stnin")
    why = ("'none,stnin': unknown attention 'stnin' (no model unet_resnet50_stnin_fixation); choose from "
           "none,se,cbam,sk,stn,residual,scse")
    assert (code, err) == (2, _usage("osie", "--attentions", why) + "\n")
    code, err = _main_refuses(monkeypatch, capsys, "osie", "--work", work, "--root", root,
                              "--attentions", "cbam,nope")
    why = ("'cbam,nope': unknown attention 'nope' (no model unet_tiny_nope_fixation); choose from "
           "none,se,cbam,sk,stn,residual,scse,stnin")
    assert (code, err) == (2, _usage("osie", "--attentions", why) + "\n")
    code, err = _main_refuses(monkeypatch, capsys, "osie", "--work", work, "--root", root,
                              "--attentions", "cbam,cbam")
    assert (code, err) == (2, _usage("osie", "--attentions", "'cbam,cbam': attention 'cbam' given twice; give "
                                                            "each once") + "\n")
    assert not work.exists()
    # the tiny recipe has stnin: the options pass, and the data is checked next (none here)
    code, err = _main_refuses(monkeypatch, capsys, "osie", "--work", work, "--root", root, "--attentions", "stnin")
    assert (code, err) == (2, f"error: --root {root}: folder not found; give --root the folder holding osie/ "
                              "(eye/fixations.mat, stimuli/)\n")
    assert not work.exists()


# ---------------------------------------------------------------- 3: crop.py --study

STUDY_HINT = "give a saliency synth folder, or leave --study out to write one"


def test_crop_study_not_found_is_one_line(tmp_path):
    missing = tmp_path / "no-study"
    p = _script("crop", "--study", missing, "--aspects", "1:1")
    _refused(p, f"error: --study {missing}: folder not found; {STUDY_HINT}")
    assert p.stdout == ""


def test_crop_study_that_is_not_a_synth_study_is_one_line(tmp_path):
    d = tmp_path / "somefolder"
    (d / "masks").mkdir(parents=True)
    (d / "notes.txt").write_text("not a study\n")
    maps = tmp_path / "maps"
    maps.mkdir()
    for extra in ((), ("--maps", maps)):  # the ingest step, or the maps given
        p = _script("crop", "--study", d, "--aspects", "1:1", *extra)
        _refused(p, f"error: --study {d}: no study.json in it; {STUDY_HINT}")
        assert p.stdout == ""


# ---------------------------------------------------------------- 4: startup.py

EXE_HINT = "give the saliency console script (e.g. .venv/bin/saliency), or leave --exe out"


@pytest.mark.parametrize("kind", ["missing", "not-executable", "folder"])
def test_startup_exe_that_cannot_run_is_one_line(tmp_path, kind):
    marker = tmp_path / "ran"
    exe = tmp_path / "saliency"
    if kind == "not-executable":  # a script that would leave a mark, without its exec bit
        exe.write_text(f"#!/bin/sh\ntouch {marker}\n")
        exe.chmod(0o644)
    elif kind == "folder":
        exe.mkdir()
    p = _script("startup", "--exe", exe, "--repeats", 1)
    _refused(p, f"error: --exe {exe}: not an executable file; {EXE_HINT}")
    assert p.stdout == "" and not marker.exists()


def test_startup_repeats_must_be_positive():
    p = _script("startup", "--repeats", 0)
    _refused(p, _usage("startup", "--repeats", "'0': must be at least 1"))
    assert p.stdout == ""


# ---------------------------------------------------------------- 5: ingest.py

INGEST_SMALL = ("--stimuli", "1", "--subjects", "1", "--per-trial", "1")


@pytest.mark.parametrize("option, value, why", [
    ("--stimuli", "0", "'0': must be at least 1"),
    ("--subjects", "-2", "'-2': must be at least 1"),
    ("--per-trial", "0", "'0': must be at least 1"),
    ("--workers", "0", "'0': must be between 1 and 1024"),
    ("--repeats", "-1", "'-1': must be at least 0"),
], ids=["stimuli", "subjects", "per-trial", "workers", "repeats"])
def test_ingest_bad_count_is_one_line_and_nothing_written(tmp_path, option, value, why):
    keep = tmp_path / "keep"
    p = _script("ingest", *INGEST_SMALL, "--keep", keep, option, value)
    _refused(p, _usage("ingest", option, why))
    assert not keep.exists() and p.stdout == ""


def test_ingest_more_workers_than_cpus_is_refused_before_the_study(tmp_path):
    """saliency ingest refuses them (without --force-workers); the script wrote its study first."""
    from saliency.commands._args import cpu_count, max_workers

    keep = tmp_path / "keep"
    n = max_workers() + 1
    p = _script("ingest", *INGEST_SMALL, "--keep", keep, "--workers", n)
    _refused(p, _usage("ingest", "--workers", f"{n} is more than this machine's {cpu_count()} CPUs; use at most "
                                              f"{max_workers()} or add --force-workers"))
    assert not keep.exists()


# ---------------------------------------------------------------- 6: detection.py


@pytest.mark.parametrize("option", ["--synth-scenes", "--synth-subjects"])
def test_detection_synthetic_counts_are_checked_before_either_part(tmp_path, option):
    out = tmp_path / "out.json"
    p = _script("detection", "--lund", tmp_path / "no-lund", "--json", out, option, 0)
    _refused(p, _usage("detection", option, "'0': must be at least 1"))
    assert not out.exists() and p.stdout == ""


# ---------------------------------------------------------------- 7: fuzz.py

FUZZ_KNOWN = "synth,ingest,detect,eval,predict,crop,train,export,report,models,demo"


@pytest.mark.parametrize("option, value, why", [
    ("--commands", "ingest,evl", f"'ingest,evl': unknown command 'evl'; choose from {FUZZ_KNOWN}"),
    ("--commands", ",", f"',': no command; choose from {FUZZ_KNOWN}"),
    ("--commands", "eval,eval", "'eval,eval': command 'eval' given twice; give each once"),
    ("--cases-per-command", "0", "'0': must be at least 1"),
    ("--case-timeout", "0", "'0': must be positive"),
    ("--case-timeout", "nan", "'nan': must be a finite number"),
    ("--case-timeout", "1e30", "'1e30': must be at most 86400 seconds"),
], ids=["unknown", "empty", "twice", "cases-0", "timeout-0", "timeout-nan", "timeout-huge"])
def test_fuzz_bad_option_is_one_line_and_nothing_built(tmp_path, monkeypatch, capsys, option, value, why):
    """In this process, with the commands faked: the old script built the baseline (a training) first."""
    fuzz = _load("fuzz")
    calls = []
    monkeypatch.setattr(fuzz, "invoke", lambda argv, timeout=None: calls.append(argv) or (0, "", ""))
    base = tmp_path / "b"
    monkeypatch.setattr(sys, "argv", ["fuzz.py", "--baseline", str(base), "--commands", "eval", option, value])
    with pytest.raises(SystemExit) as e:
        fuzz.main()
    assert (e.value.code, capsys.readouterr().err) == (2, _usage("fuzz", option, why) + "\n")
    assert calls == [] and not base.exists()


def test_fuzz_commands_are_read_as_a_list():
    fuzz = _load("fuzz")
    assert fuzz.command_list(" ingest, eval ") == ["ingest", "eval"]
    assert fuzz.case_timeout("86400") == 86400.0


# ---------------------------------------------------------------- crop.py: an option of the other mode

@pytest.mark.parametrize("args, line", [
    (("--osie", "--study", "S"), "--study: a synthetic-study option; leave it out with --osie (OSIE's test split "
                                 "is used)"),
    (("--osie", "--scenes", "5"), "--scenes: a synthetic-study option; leave it out with --osie (OSIE's test split "
                                  "is used)"),
    (("--study", "S", "--seed", "3"), "--seed: it makes a new study; leave it out with --study (that study is used "
                                      "as it is)"),
    (("--limit", "5",), "--limit: an --osie option; add --osie, or leave it out for the synthetic study"),
    (("--area", "0.4",), "--area: an --osie option; add --osie, or leave it out for the synthetic study"),
], ids=["osie-study", "osie-scenes", "study-seed", "limit-synth", "area-synth"])
def test_crop_option_of_the_other_mode_is_refused_not_ignored(tmp_path, args, line):
    p = _script("crop", *args, cwd=tmp_path)  # each was ignored: the run went on with the other mode's defaults
    assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stderr[-500:])
    assert p.stderr.endswith(f"error: {line} (see 'crop.py --help')\n") and p.stderr.count("\n") == 1, p.stderr


# ---------------------------------------------------------------- detection.py --json into a missing folder

def test_detection_json_into_a_missing_folder_is_refused_before_the_work(tmp_path):
    lund = tmp_path / "lund"
    (lund / "images").mkdir(parents=True)
    (lund / "images" / "trial.mat").write_bytes(b"")  # present, but never read: the refusal comes first
    out = tmp_path / "no-such-folder" / "out.json"
    p = _script("detection", "--lund", lund, "--json", out)
    _refused(p, f"error: --json {out}: folder {out.parent} not found; create it or give another path")
    assert p.stdout == "" and not out.parent.exists()


# ---------------------------------------------------------------- ablation.py --set train.grid_images=N

@pytest.mark.parametrize("user_set, expected", [((), ["train.grid_images=0"]),
                                                (("train.grid_images=3",), ["train.grid_images=3"])],
                         ids=["default", "user-value"])
def test_ablation_passes_train_grid_images_once(tmp_path, monkeypatch, user_set, expected):
    """saliency train refuses a --set key given twice; ablation.py added its own grid_images=0 before the user's."""
    mod = _load("ablation")
    study = tmp_path / "study"
    (study / "images").mkdir(parents=True)
    (study / "study.json").write_text("{}\n")
    seen = []

    class Stop(Exception):
        pass

    def fake_sh(args):
        seen.append(list(args))
        raise Stop

    monkeypatch.setattr(mod, "sh", fake_sh)
    argv = ["--study", study, "--work", tmp_path / "w", "--epochs", "1", "--seeds", "0"]
    for kv in user_set:
        argv += ["--set", kv]
    monkeypatch.setattr(sys, "argv", ["ablation.py", *map(str, argv)])
    with pytest.raises(Stop):
        mod.main()
    cmd = seen[0]
    sets = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--set" and cmd[i + 1].startswith("train.grid_images")]
    assert cmd[0] == "train" and sets == expected


@pytest.mark.parametrize("kv, line", [
    ("train.seed=5", "--set train.seed=5: every run sets train.seed itself (from --seeds); leave it out"),
    ("model=unet_tiny_se_sod", "--set model=unet_tiny_se_sod: every run sets model itself (from --attentions); "
                               "leave it out"),
    ("train={seed: 1}", "--set train={seed: 1}: every run sets train.seed itself (from --seeds); leave it out"),
    ("train.epochs=3", "--set train.epochs=3: every run sets train.epochs itself (from --epochs); leave it out and "
                       "use --epochs"),
    ("optim.lr", "--set optim.lr: give KEY=VALUE (a saliency train config key), e.g. --set optim.lr=0.001"),
], ids=["seed", "model", "section", "epochs", "no-value"])
def test_ablation_set_of_a_key_the_runs_set_is_refused_before_work(tmp_path, kv, line):
    """saliency train refuses a key set by a flag and --set: each run failed after the study was written."""
    work = tmp_path / "w"
    _refused(_script("ablation", "--work", work, *SMALL, "--set", kv), f"error: {line}")
    assert not work.exists()

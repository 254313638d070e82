"""Conventions every ``saliency`` command shares (issue 14, deliverable 7).

- a mistyped command or option: one line naming the closest valid spelling
  and the help to read, exit 2;
- ``saliency --help`` builds no command's arguments and imports no heavy
  library (pandas, torch, OpenCV, NumPy, ...);
- ``--quiet`` on every command; progress without a terminal is plain lines,
  never carriage-return frames;
- sizes are ``WxH`` everywhere;
- library parameters named in errors are printed as the command's flags
  (``PARAM_FLAGS`` where the flag is not the parameter's ``cli_flag`` spelling).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from saliency.base.errors import UserError
from saliency.cli import build_parser, command_modules, flag_speller, main


def saliency(*args, cwd=None):
    """``python -m saliency ARGS`` in a subprocess (stderr a pipe, not a terminal)."""
    return subprocess.run([sys.executable, "-m", "saliency", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def _options(name: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    parser = sub.choices[name].ensure_arguments()
    return {s for a in parser._actions for s in a.option_strings}


# ------------------------------------------------------------------ typos


def test_mistyped_command_names_the_closest_one():
    r = saliency("trian")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "saliency: error: unknown command 'trian'; did you mean 'train'? (see 'saliency --help')\n"


def test_unknown_command_without_a_close_one_lists_the_commands():
    r = saliency("qqqqqq")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "unknown command 'qqqqqq'; choose from demo, synth," in r.stderr and "saliency --help" in r.stderr


def test_mistyped_option_names_the_closest_one_and_the_subcommand_help():
    r = saliency("eval", "--gtt", "x")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("saliency eval: error: unrecognized argument --gtt; did you mean --gt? "
                        "(see 'saliency eval --help')\n")


def test_mistyped_required_option_is_named_rather_than_reported_missing(tmp_path):
    r = saliency("crop", "--imagess", str(tmp_path), "--maps", str(tmp_path), "--aspect", "1:1",
                 "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert r.stderr == ("saliency crop: error: unrecognized argument --imagess; did you mean --images? "
                        "(see 'saliency crop --help')\n")
    assert not (tmp_path / "o").exists()


def test_typos_in_process(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["synth", "--out", "x", "--seeed", "3"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err == "saliency synth: error: unrecognized argument --seeed; did you mean --seed? " \
                  "(see 'saliency synth --help')\n"
    with pytest.raises(SystemExit):
        main(["--verison"])
    assert "unrecognized argument --verison; did you mean --version?" in capsys.readouterr().err


def test_a_stray_positional_keeps_argparse_wording(tmp_path):
    r = saliency("synth", "--out", str(tmp_path / "o"), "extra")
    assert r.returncode == 2 and r.stderr == ("saliency synth: error: unrecognized arguments: extra "
                                              "(see 'saliency synth --help')\n")


# ------------------------------------------------------------------ a fast --help

HEAVY = ("numpy", "pandas", "torch", "torchvision", "cv2", "scipy", "matplotlib", "yaml", "onnx", "onnxruntime",
         "PIL", "tqdm")


def test_help_imports_nothing_heavy():
    """``saliency --help``: only the standard library and the command modules (their arguments are lazy)."""
    code = ("import sys\nfrom saliency.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"
    assert "synth" in r.stdout and "report" in r.stdout


def test_help_via_importtime_imports_no_pandas():
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "saliency", "--help"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert not {m for m in imported if m.split(".")[0] in HEAVY}


def test_build_parser_defers_the_subcommands_arguments():
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    ingest = sub.choices["ingest"]
    assert not any("--stimuli" in a.option_strings for a in ingest._actions)  # not built yet
    assert "--stimuli" in ingest.format_help()  # built on first use
    r = saliency("ingest", "--help")
    assert r.returncode == 0 and "--sigma-px" in r.stdout and "eyelink-asc" in r.stdout


# ------------------------------------------------------------------ --quiet and progress


@pytest.mark.parametrize("mod", command_modules(), ids=lambda m: m.NAME)
def test_every_command_takes_quiet(mod):
    assert "--quiet" in _options(mod.NAME)


def test_eval_no_progress_is_an_alias_of_quiet_with_its_help():
    # every option has help text (it was hidden, the one option of the command line without any)
    r = saliency("eval", "--help")
    assert r.returncode == 0 and "--quiet" in r.stdout and "the older spelling of --quiet" in r.stdout
    args = build_parser().parse_args(["eval", "--no-progress", "--gt", "g"])
    assert args.no_progress and not args.quiet


def test_models_quiet_prints_no_progress():
    argv = ("models", "--filter", "unet_tiny_se_sod", "--no-latency", "--size", "64", "--format", "tsv")
    r = saliency(*argv)
    assert r.returncode == 0 and r.stderr.startswith("profiling models: ")  # stderr is a pipe: plain lines
    q = saliency(*argv, "--quiet")
    assert q.returncode == 0 and q.stderr == "" and q.stdout == r.stdout


def _crop_inputs(tmp_path, n=3):
    import cv2
    import numpy as np

    imgs, maps = tmp_path / "images", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        cv2.imwrite(str(imgs / f"im{i}.png"), rng.integers(0, 255, (40, 60, 3), dtype=np.uint8))
        m = np.zeros((40, 60), np.uint8)
        m[5:15, 10 * i:10 * i + 12] = 255
        cv2.imwrite(str(maps / f"im{i}.png"), m)
    return imgs, maps


def test_progress_in_a_log_is_plain_lines_and_quiet_is_silent(tmp_path):
    imgs, maps = _crop_inputs(tmp_path)
    r = saliency("crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines and all(ln.startswith("crop: ") for ln in lines)
    assert lines[-1].startswith("crop: 3/3 img")
    r = saliency("crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(tmp_path / "b"),
                 "--quiet")
    assert r.returncode == 0 and r.stderr == ""
    assert "cropped 3 image(s) to 1:1" in r.stdout


# ------------------------------------------------------------------ WxH


def test_sizes_are_width_by_height(monkeypatch, tmp_path, capsys):
    import saliency.predict

    seen = {}

    def fake_predict_folder(checkpoint, images, out, **kw):
        seen.update(kw)
        return SimpleNamespace(written=["a.png"], skipped=[], unmatched=[], seconds=1.0)

    monkeypatch.setattr(saliency.predict, "predict_folder", fake_predict_folder)
    (tmp_path / "imgs").mkdir()  # --out apart from the input folder (issue 16 refuses an --out inside it)
    argv = ["predict", "--checkpoint", "c.pt", "--images", str(tmp_path / "imgs"), "--out", str(tmp_path / "o")]
    assert main([*argv, "--size", "384x288"]) == 0
    assert seen["size"] == (288, 384)  # the library takes (height, width)
    assert "wrote 1 map" in capsys.readouterr().out
    for bad, needle in (("288", "WIDTHxHEIGHT, e.g. 384x288"), ("8x8", "between 16 and 4096")):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--size", bad])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1
    assert build_parser().parse_args(["synth", "--out", "x", "--size", "160x120"]).size == (160, 120)
    assert build_parser().parse_args(["export", "--model", "m", "--onnx", "f", "--size", "128x96"]).size == (128, 96)
    assert build_parser().parse_args(["export", "--model", "m", "--onnx", "f", "--size", "64"]).size == (64, 64)
    assert build_parser().parse_args(["models", "--size", "96x64"]).size == (96, 64)


def test_screen_sizes_and_crop_scale_are_one_wxh_token(capsys):
    parse = build_parser().parse_args
    args = parse(["ingest", "log.csv", "--stimuli", "s", "--out", "o", "--screen-px", "1920x1080",
                  "--screen-cm", "52.7x29.6", "--distance-cm", "65"])
    assert args.screen_px == (1920, 1080) and args.screen_cm == (52.7, 29.6)
    for argv, needle in ((["--screen-px", "1920", "1080"], "'1920': expected WIDTHxHEIGHT, e.g. 1920x1080"),  # old
                         (["--screen-px", "0x1080"], "'0x1080': width and height must be between 1 and 100000"),
                         (["--screen-cm", "52.7x0"], "'52.7x0': width and height must be positive"),
                         (["--screen-cm", "wide"], "'wide': expected WIDTHxHEIGHT, e.g. 52.7x29.6")):
        with pytest.raises(SystemExit) as exc:
            parse(["ingest", "log.csv", "--stimuli", "s", "--out", "o", *argv])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1, err
    crop = ["crop", "--images", "i", "--maps", "m", "--aspect", "1:1", "--out", "o"]
    assert parse([*crop, "--scale", "320x180"]).scale == (320, 180)
    assert parse([*crop, "--scale", "0.5"]).scale == 0.5
    assert parse([*crop, "--size", "96x64"]).size == (96, 64)
    for bad in ("0x5", "-1", "big", "inf"):
        with pytest.raises(SystemExit):
            parse([*crop, "--scale", bad])
        assert "expected WIDTHxHEIGHT (e.g. 320x180) or a positive factor" in capsys.readouterr().err


def test_crop_size_reaches_the_library_as_height_width(monkeypatch, tmp_path, capsys):
    import saliency.crop

    seen = {}

    def fake_crop_folder(images, out, aspect, **kw):
        seen.update(kw)
        return SimpleNamespace(boxes={}, skipped=[], out=Path(out))

    monkeypatch.setattr(saliency.crop, "crop_folder", fake_crop_folder)
    assert main(["crop", "--images", "i", "--checkpoint", "c.pt", "--aspect", "1:1", "--out", str(tmp_path / "o"),
                 "--size", "96x64", "--scale", "32x16"]) == 0
    assert seen["size"] == (64, 96) and seen["scale"] == (32, 16)


def test_markdown_model_table_names_the_size_width_first():
    from saliency.models.profile import rows_to_markdown

    row = {"model": "m", "task": "sod", "attention": "cbam", "encoder": "tiny", "params_m": 1.0, "gmac": 2.0,
           "latency_ms": None}
    assert "| GMAC @96x64 |" in rows_to_markdown([row], 64, 96)  # height 64, width 96
    assert "| GMAC @320 |" in rows_to_markdown([row], 320, 320)


def test_models_size_reaches_the_profile_as_height_width(monkeypatch, capsys):
    import saliency.models.profile as profile

    seen = {}

    def fake_rows(names, h, w, **kw):
        seen["hw"] = (h, w)
        return [{"model": n} for n in names]

    monkeypatch.setattr(profile, "model_rows", fake_rows)
    assert main(["models", "--filter", "unet_tiny_se_sod", "--size", "96x64", "--format", "json"]) == 0
    assert seen["hw"] == (64, 96)
    assert json.loads(capsys.readouterr().out) == [{"model": "unet_tiny_se_sod"}]


# ------------------------------------------------------------------ parameter names -> flags


def test_flag_speller():
    spell = flag_speller({"eval_jsons": "--eval"})
    assert spell("eval_jsons") == "--eval" and spell("sigma_px") == "--sigma-px"
    assert UserError("`eval_jsons` x.json: file not found").render(spell) == "--eval x.json: file not found"
    assert flag_speller(None)("min_size") == "--min-size"


@pytest.mark.parametrize("mod", [m for m in command_modules() if getattr(m, "PARAM_FLAGS", None)],
                         ids=lambda m: m.NAME)
def test_param_flags_name_real_options(mod):
    """Every flag a command maps a library parameter to is one of that command's options."""
    opts = _options(mod.NAME)
    for param, flag in mod.PARAM_FLAGS.items():
        assert flag in opts, f"{mod.NAME}: {param} -> {flag} is no option"
        assert flag != "--" + param.replace("_", "-"), f"{mod.NAME}: {param} needs no entry"


def test_error_boundary_uses_the_command_param_flags(tmp_path, capsys):
    """``report_from_folders(eval_jsons=...)`` names its parameter; ``saliency report`` prints ``--eval``."""
    from saliency.report import report_from_folders

    missing = tmp_path / "nope.json"
    with pytest.raises(UserError) as exc:
        report_from_folders(tmp_path / "o", eval_jsons=[missing])
    assert str(exc.value) == f"eval_jsons {missing}: file not found"  # what a Python caller reads
    assert main(["report", "--eval", str(missing), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"saliency report: error: --eval {missing}: file not found\n"


def test_error_boundary_default_spelling(tmp_path, capsys):
    """Parameters without a PARAM_FLAGS entry are spelled by cli_flag: crop's ``min_size`` -> ``--min-size``."""
    from saliency.crop import crop_folder

    imgs, maps = _crop_inputs(tmp_path, n=1)
    with pytest.raises(UserError) as exc:
        crop_folder(imgs, tmp_path / "o", "1:1", maps=maps, keep=0.5, min_size=0)
    assert str(exc.value) == "min_size 0: must be at least 1 pixel"
    assert main(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1", "--out", str(tmp_path / "o"),
                 "--keep", "0.5", "--min-size", "0"]) == 2
    assert capsys.readouterr().err == "saliency crop: error: --min-size 0: must be at least 1 pixel\n"
    assert not (tmp_path / "o").exists()


def test_demo_quiet_reaches_the_stages_and_stage_errors_keep_their_flags(tmp_path):
    """``saliency demo --quiet`` runs synth/ingest/train with --quiet; a stage's renamed flags survive ``call``."""
    from saliency.commands.demo import call
    from saliency.demo import QUICK, Demo

    seen = []
    demo = Demo(tmp_path / "d", QUICK, call=lambda command, argv: seen.append((command, argv)) or 0, quiet=True,
                log=lambda s: None)
    demo._cmd("study", "synth", ["--out", "x"])
    demo._cmd("eval_sod", "eval", ["--quiet"])
    assert seen == [("synth", ["--out", "x", "--quiet"]), ("eval", ["--quiet"])]
    missing = tmp_path / "nope.json"
    with pytest.raises(UserError) as exc:
        call("report", ["--eval", str(missing), "--out", str(tmp_path / "o")])
    assert exc.value.render() == f"--eval {missing}: file not found"


# ------------------------------------------------------------------ top layer: parameters in backticks


def test_config_errors_name_parameters_and_train_prints_its_flags(tmp_path, capsys):
    """``saliency.config`` names ``overrides``/``config_file``; ``saliency train`` prints ``--set``/``--config``."""
    from saliency import config as C

    with pytest.raises(UserError) as exc:
        C.build_config(overrides=["nokey"])
    assert str(exc.value) == "overrides nokey: expected KEY=VALUE, e.g. overrides optim.lr=3e-4"
    assert main(["train", "--print-config", "--set", "nokey"]) == 2
    assert capsys.readouterr().err == ("saliency train: error: --set nokey: expected KEY=VALUE, "
                                       "e.g. --set optim.lr=3e-4\n")
    missing = tmp_path / "c.yaml"
    with pytest.raises(UserError) as exc:
        C.build_config(str(missing))
    assert str(exc.value) == f"config_file {missing}: file not found"
    assert main(["train", "--print-config", "--config", str(missing)]) == 2
    assert capsys.readouterr().err == f"saliency train: error: --config {missing}: file not found\n"


def test_prepare_run_resume_rules(tmp_path, capsys):
    """``prepare_run`` (what ``saliency train`` calls) keeps a resumed run's config; messages print as flags."""
    from saliency.train import prepare_run

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    with pytest.raises(UserError) as exc:
        prepare_run({}, resume=run)
    assert str(exc.value) == f"resume {run}: not a run folder (no config.yaml)"
    (run / "config.yaml").write_text("task: fixation\ntrain:\n  epochs: 3\n")
    # killed before its first last.pt (a best.pt alone may be there): the message says why and the way out
    # (it said "no config.yaml or checkpoints/last.pt" beside a config.yaml)
    (run / "checkpoints" / "best.pt").write_bytes(b"")
    with pytest.raises(UserError) as exc:
        prepare_run({}, resume=run)
    assert str(exc.value) == (f"resume {run}: no checkpoints/last.pt (the run stopped before its first epoch's "
                              f"checkpoint was complete); start it again with the same options and out {run} "
                              f"with overwrite")
    assert main(["train", "--resume", str(run)]) == 2
    assert capsys.readouterr().err == (f"saliency train: error: --resume {run}: no checkpoints/last.pt (the run "
                                       f"stopped before its first epoch's checkpoint was complete); start it again "
                                       f"with the same options and --out {run} with --overwrite\n")
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    cfg, run_dir = prepare_run({"train.epochs": 5, "train.seed": None}, resume=run, overrides=["data.workers=0"])
    assert run_dir == run and cfg["task"] == "fixation" and cfg["train"]["epochs"] == 5
    assert cfg["data"]["workers"] == 0
    with pytest.raises(UserError) as exc:
        prepare_run({"train.seed": 4}, resume=run)
    assert "(got seed)" in str(exc.value)
    assert main(["train", "--resume", str(run), "--seed", "4"]) == 2
    assert capsys.readouterr().err == ("saliency train: error: --resume: the run's config is fixed; only --epochs, "
                                       "--device, --workers, --data, --deterministic and --set may change (got "
                                       "--seed)\n")
    assert main(["train", "--resume", str(run), "--config", "x.yaml"]) == 2
    assert capsys.readouterr().err.endswith("may change (got --config)\n")
    assert main(["train", "--resume", str(run), "--out", str(tmp_path / "else")]) == 2
    assert capsys.readouterr().err == ("saliency train: error: --resume RUN continues RUN in place; "
                                       "leave out --out\n")
    assert main(["train", "--data", "d"]) == 2
    assert capsys.readouterr().err == "saliency train: error: --out RUN is required (the run folder to create)\n"


def test_prepare_run_new_folder(tmp_path):
    from saliency.train import prepare_run

    out = tmp_path / "new"
    cfg, run_dir = prepare_run({"task": "sod"}, out=out, create=False)  # print the config only: nothing made
    assert run_dir == out and not out.exists() and cfg["task"] == "sod"
    full = tmp_path / "full"
    full.mkdir()
    (full / "old.txt").write_text("x")
    with pytest.raises(UserError, match="out"):
        prepare_run({}, out=full)
    assert (full / "old.txt").exists()
    with pytest.raises(UserError, match="saliency train did not write"):  # a user's file: never replaced (review 23)
        prepare_run({}, out=full, overwrite=True)
    (full / "old.txt").unlink()
    (full / "metrics.csv").write_text("x")  # a run's own file: replaced
    prepare_run({}, out=full, overwrite=True)
    from saliency.train import LOCK_NAME, release_run

    assert full.is_dir() and [p.name for p in full.iterdir()] == [LOCK_NAME]  # emptied, and claimed by this run
    release_run(full)
    assert not any(full.iterdir())


def test_predict_and_crop_name_size_when_the_checkpoint_has_no_training_config(tmp_path, capsys):
    import torch

    from saliency import models
    from saliency.predict import predict_folder

    imgs, maps = _crop_inputs(tmp_path, n=1)
    ck = tmp_path / "bare.pt"
    torch.save(models.checkpoint_payload(models.create_model("unet_tiny_se_sod")), ck)  # no train_config
    with pytest.raises(UserError) as exc:
        predict_folder(ck, imgs, tmp_path / "p", progress=False)
    assert str(exc.value) == f"checkpoint {ck}: no training config inside; give size WxH"
    expected = f"--checkpoint {ck}: no training config inside; give --size WxH\n"
    assert main(["predict", "--checkpoint", str(ck), "--images", str(imgs), "--out", str(tmp_path / "p"),
                 "--quiet"]) == 2
    assert capsys.readouterr().err == "saliency predict: error: " + expected
    assert main(["crop", "--images", str(imgs), "--checkpoint", str(ck), "--aspect", "1:1", "--out",
                 str(tmp_path / "c"), "--quiet", "--device", "cpu"]) == 2
    assert capsys.readouterr().err == "saliency crop: error: " + expected  # crop has --size too
    assert main(["crop", "--images", str(imgs), "--checkpoint", str(ck), "--aspect", "1:1", "--out",
                 str(tmp_path / "c"), "--quiet", "--device", "cpu", "--size", "64x48"]) == 0
    assert (tmp_path / "c" / "im0.png").is_file()


def test_demo_profile_and_folder_errors(tmp_path, capsys):
    from saliency.demo import FULL, QUICK, Demo, make_profile

    assert make_profile(True) == QUICK and make_profile(False, seed=3) == FULL.__class__(**{**FULL.__dict__, "seed": 3})
    with pytest.raises(UserError) as exc:
        make_profile(scenes=9)
    assert str(exc.value) == "scenes 9: the demo needs at least 10 scenes (a 20 % held-out split)"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(UserError) as exc:
        Demo(tmp_path / "full", QUICK, call=lambda c, a: 0, log=lambda s: None)
    assert exc.value.render(lambda p: "--" + p) == (f"--out {tmp_path / 'full'}: folder is not empty and holds no "
                                                   "demo (no demo.json); choose another --out")


@pytest.mark.parametrize("command", ["predict", "crop", "ingest", "eval", "train", "detect", "synth", "export",
                                     "models", "report", "demo"])
def test_every_command_help_imports_nothing_heavy(command):
    """``saliency COMMAND --help`` builds its parser from the standard library only: an argparse type that reads a
    constant from a library module (predict's size range, review RR2) must not pull numpy in with it. ``train``
    reads its defaults (YAML text) to show them, so PyYAML alone is allowed there."""
    code = ("import sys\nfrom saliency.cli import main\ntry:\n    main([%r, '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in %r))") % (
                command, tuple(m for m in HEAVY if not (command == "train" and m == "yaml")))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"

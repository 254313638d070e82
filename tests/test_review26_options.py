"""Review 26 (r13): options accepted and silently ignored are refused in one line, exit 2, nothing written.

- ``--force-workers`` without a ``--workers`` above the CPU cap changed nothing (every command that has it);
- ``predict --list-baselines`` ignored every other option (``--checkpoint``, ``--images``, ``--tta`` ...);
- ``models --threads N --no-latency`` (no latency is timed, so the threads change nothing);
- ``crop --maps M --device auto`` (the default was "auto", so an explicit one went unnoticed), and
  ``--size`` with ``--device`` named only ``--size``;
- ``export --help`` said the graph accepts any size, false for a coarse-to-fine model (``top_k`` cells).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from saliency.cli import main


def _rc(argv) -> int:
    """The exit status of ``saliency ARGV``, whether returned or raised (argparse's usage errors)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _one_line(capsys, rc) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert rc == 2, captured.err[-2000:]
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err[-2000:]
    assert captured.out == "", captured.out[-2000:]
    return lines[0]


def _images(folder, n=2):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"im{i}.png"), np.full((24, 32, 3), 60 + 40 * i, np.uint8))
    return folder


def _maps(folder, n=2):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        m = np.zeros((24, 32), np.uint8)
        m[4:14, 6 + i:20] = 255
        cv2.imwrite(str(folder / f"im{i}.png"), m)
    return folder


# ------------------------------------------------------------------ 1. --force-workers that lifts no cap

@pytest.fixture
def four_cpus(monkeypatch):
    """A machine of 4 CPUs, whatever this one has (the cap and the message depend on it)."""
    from saliency.commands import _args

    monkeypatch.setattr(_args, "cpu_count", lambda: 4)


def _force_argv(command, tmp_path):
    """A command line of ``command`` (inputs under tmp_path/in, outputs under tmp_path/out) but for its workers."""
    i, out = tmp_path / "in", str(tmp_path / "out")
    i.mkdir()
    (i / "x.csv").write_text("t,x,y\n")
    return {"predict": ["predict", "--checkpoint", str(i / "c.pt"), "--images", str(i), "--out", out],
            "synth": ["synth", "--out", out],
            "eval": ["eval", "--pred", str(i), "--gt", str(i), "--json", str(tmp_path / "out" / "r.json")],
            "detect": ["detect", str(i / "x.csv"), "--out", out],
            "ingest": ["ingest", str(i / "x.csv"), "--stimuli", str(i), "--out", out],
            "train": ["train", "--out", out, "--print-config"]}[command]


# a bare flag of train is left out: its data.workers may come from --config, --set or a resumed run
@pytest.mark.parametrize("command, workers", [(c, w) for c in ("predict", "synth", "eval", "detect", "ingest", "train")
                                              for w in (None, "1", "4") if (c, w) != ("train", None)])
def test_force_workers_without_workers_above_the_cpus_is_refused(tmp_path, capsys, four_cpus, command, workers):
    argv = _force_argv(command, tmp_path) + (["--workers", workers] if workers else []) + ["--force-workers"]
    line = _one_line(capsys, _rc(argv))
    assert "--force-workers: only with --workers above this machine's 4 CPUs; leave it out" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # nothing written


def test_force_workers_still_lifts_the_cap(tmp_path, capsys, four_cpus):
    import argparse

    from saliency.commands._args import check_workers, force_workers_unused

    parser = argparse.ArgumentParser()
    check_workers(parser, argparse.Namespace(workers=5, force_workers=True))  # no SystemExit
    assert force_workers_unused(5, True) is None and force_workers_unused(None, False) is None
    assert _rc(["train", "--workers", "5", "--force-workers", "--print-config"]) == 0
    help_text = " ".join(capsys.readouterr().out.split()) + " "
    _rc(["predict", "--help"])
    help_text += " ".join(capsys.readouterr().out.split())
    assert "refused with a --workers of at most 4, or none" in help_text


# ------------------------------------------------------------------ 2. predict --list-baselines alone

@pytest.mark.parametrize("given", [["--checkpoint", "c.pt"], ["--baseline", "itti-koch"], ["--tta", "flip"],
                                   ["--overwrite"], ["--workers", "1"], ["--force-workers"], ["--size", "64x48"],
                                   ["--log-density", "ld"], ["--max-pixels", "100"]])
def test_list_baselines_refuses_every_other_option(tmp_path, capsys, given):
    line = _one_line(capsys, _rc(["predict", "--list-baselines", *given]))
    assert line.startswith(f"saliency predict: error: {' '.join(given)}: not used with --list-baselines"), line
    assert line.endswith("leave it out"), line


def test_list_baselines_names_all_options_given(tmp_path, capsys):
    imgs = _images(tmp_path / "img")
    out = tmp_path / "o"
    line = _one_line(capsys, _rc(["predict", "--list-baselines", "--images", str(imgs), "--out", str(out),
                                  "--tta", "flip"]))
    assert f"--images {imgs}, --out {out}, --tta flip: not used with --list-baselines" in line, line
    assert line.endswith("leave them out") and not out.exists(), line


# ------------------------------------------------------------------ 3. models --threads with --no-latency

@pytest.mark.parametrize("given, named", [(["--threads", "2"], "--threads 2: not used with --no-latency"),
                                          (["--runs", "3", "--threads", "1"],
                                           "--runs 3, --threads 1: not used with --no-latency")])
def test_models_threads_refused_with_no_latency(tmp_path, capsys, monkeypatch, given, named):
    import saliency.models.profile as profile

    monkeypatch.setattr(profile, "model_rows", lambda *a, **k: [])  # the old code built every model here
    out = tmp_path / "t.md"
    line = _one_line(capsys, _rc(["models", "--no-latency", *given, "--out", str(out), "--quiet"]))
    assert named in line and "leave" in line, line
    assert not out.exists()


# ------------------------------------------------------------------ 4. crop --device with --maps

@pytest.mark.parametrize("device", ["auto"])  # --device cpu was refused already
def test_crop_maps_refuses_an_explicit_device(tmp_path, capsys, device):
    imgs, maps = _images(tmp_path / "img"), _maps(tmp_path / "maps")
    out = tmp_path / "o"
    line = _one_line(capsys, _rc(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1",
                                  "--out", str(out), "--quiet", "--device", device]))
    assert f"--device {device}: applies only with --checkpoint" in line and "leave it out" in line, line
    assert not out.exists()


def test_crop_maps_names_size_and_device(tmp_path, capsys):
    imgs, maps = _images(tmp_path / "img"), _maps(tmp_path / "maps")
    out = tmp_path / "o"
    line = _one_line(capsys, _rc(["crop", "--images", str(imgs), "--maps", str(maps), "--aspect", "1:1",
                                  "--out", str(out), "--device", "cpu", "--size", "64x48"]))
    assert "--size 64x48, --device cpu: apply only with --checkpoint" in line and "leave them out" in line, line
    assert not out.exists()


def test_crop_folder_refuses_device_auto_with_maps(tmp_path):
    from saliency.base.errors import UserError
    from saliency.crop import crop_folder

    imgs, maps = _images(tmp_path / "img"), _maps(tmp_path / "maps")
    with pytest.raises(UserError, match="device auto: applies only with checkpoint"):
        crop_folder(imgs, tmp_path / "o", "1:1", maps=maps, device="auto", progress=False)
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ 5. export --help states the size limit

def test_export_help_states_the_coarse_to_fine_size_limit(capsys):
    assert _rc(["export", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "accepts any size" not in text
    assert "at least its top_k cells of patch_size px" in text and "128x128" in text, text


def test_train_bare_force_workers_is_refused_when_the_config_workers_need_no_lift(four_cpus):
    """train left a bare --force-workers to its config check (data.workers may come from --config/--set), which
    accepted it when that count was within the cap: the flag then changed nothing. (--print-config checks no
    machine limits: the check is called as a run is prepared.)"""
    import argparse

    from saliency.base.errors import UserError
    from saliency.commands.train import _check_workers

    args = argparse.Namespace(workers=None, force_workers=True)
    with pytest.raises(UserError) as exc:
        _check_workers({"data": {"workers": 2}}, args)
    assert str(exc.value) == ("--force-workers: data.workers 2 (from the config: --config, --set or the resumed "
                              "run's) is within this machine's cap of 4; leave it out")
    assert _check_workers({"data": {"workers": 6}}, args) is None  # above the cap: the flag lifts it
    assert _check_workers({"data": {"workers": 2}}, argparse.Namespace(workers=None, force_workers=False)) is None


@pytest.mark.parametrize("argv, line", [
    (["predict", "--list-baselines", "--workers", "3"],
     "saliency predict: error: --workers 3: not used with --list-baselines (it only prints the --baseline names); "
     "leave it out"),
], ids=["list-baselines"])
def test_workers_over_the_cap_in_a_mode_without_workers_is_named_as_unused(capsys, argv, line):
    """Review: on 2 CPUs predict --list-baselines --workers 3 said "use at most 2 or add --force-workers", advice
    that led to a second refusal (the mode has no worker processes at all)."""
    from saliency.commands import _args

    import unittest.mock as um

    with um.patch.object(_args, "cpu_count", lambda: 2):
        assert _one_line(capsys, _rc(argv)) == line

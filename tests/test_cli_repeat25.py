"""Review 25 (command line): options silently replaced, unmet, or ignored are now one line or counted.

Found by the command-line review of this stop:

- an option of one value given twice kept the last one silently: ``eval --metrics NSS,CC --metrics SIM``
  scored SIM only, ``eval --gt /nonexistent --gt study/masks`` never checked the first, ``synth --out s3
  --out s4`` wrote s4 only. Now a usage error naming both values, for every command (the parsers'
  default action); the options meant to repeat (``action="append"``) and flags still repeat.
- ``crop --keep 0.5 --min-size 10000`` on 160x120 images exited 0 with every box the largest window, as
  without ``--keep``, and nothing said the shorter side was under ``--min-size``. Oracle (hand-worked): the
  largest 1:1 window of a 160x120 image is 120x120; with the saliency in the block x 130..149, y 50..69 it
  lies at x = 30 (the placements containing the block start at x = 30..40; the centre one is at 20).
  ``--min-size 120`` is met by it, 121 is not. In a 320x240 image the smallest 1:1 window keeping half of a
  20x20 block is 20x20, so ``--min-size 200`` gives 200x200, met.
- ``models --no-latency --runs 50`` and ``models --names-only --format json --size 64 --threads 1``
  accepted options they ignored; now refused in one line (exit 2), the defaults of the help unchanged.
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np
import pytest

from saliency.cli import build_parser, main


def _err_lines(capsys):
    return capsys.readouterr().err.strip().splitlines()


def _exit_code(argv) -> int:
    """The exit code of ``saliency ARGV`` run in this process (a usage error exits from the parser)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


# ------------------------------------------------------------------ an option of one value given twice


@pytest.mark.parametrize("argv, line", [
    (["eval", "--task", "fixation", "--gt", "{t}/ds", "--pred", "{t}/pf", "--metrics", "NSS,CC", "--metrics", "SIM"],
     "saliency eval: error: --metrics given twice (NSS,CC and SIM); give it once (see 'saliency eval --help')"),
    (["eval", "--task", "sod", "--gt", "/nonexistent", "--gt", "{t}/masks", "--pred", "{t}/ps"],
     "saliency eval: error: --gt given twice (/nonexistent and {t}/masks); give it once (see 'saliency eval --help')"),
    (["synth", "--out", "{t}/s3", "--out={t}/s4", "--quiet"],
     "saliency synth: error: --out given twice ({t}/s3 and {t}/s4); give it once (see 'saliency synth --help')"),
    (["models", "--size", "64", "--names-only", "--size", "96x64"],
     "saliency models: error: --size given twice (64 and 96x64); give it once (see 'saliency models --help')"),
    (["crop", "--images", "{t}/i", "--maps", "{t}/m", "--aspect", "1:1", "--aspect", "4:3", "--out", "{t}/o"],
     "saliency crop: error: --aspect given twice (1:1 and 4:3); give it once (see 'saliency crop --help')"),
    (["synth", "--out", "{t}/s3", "--out", ""],
     "saliency synth: error: --out given twice ({t}/s3 and \"\"); give it once (see 'saliency synth --help')"),
])
def test_an_option_of_one_value_given_twice_is_one_line(tmp_path, capsys, argv, line):
    t = str(tmp_path)
    assert _exit_code([a.format(t=t) for a in argv]) == 2
    assert _err_lines(capsys) == [line.format(t=t)]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_every_option_of_one_value_of_every_command_refuses_a_second_one():
    """The refusal is the parsers' default action: no command's option of one value is left out."""
    from saliency.cli import _StoreOnce

    sub = build_parser()._command_parsers()
    assert len(sub) >= 10
    for name, parser in sub.items():
        parser.ensure_arguments()
        for action in parser._actions:
            if action.option_strings and type(action).__name__ == "_StoreAction":
                raise AssertionError(f"saliency {name} {action.option_strings}: a plain store action")
            if isinstance(action, argparse._StoreAction) and action.option_strings:
                assert isinstance(action, _StoreOnce), (name, action.option_strings)


def test_repeating_options_and_flags_still_repeat():
    parse = build_parser().parse_args
    args = parse(["eval", "--gt", "g", "--pred", "a=p1", "--pred", "b=p2", "--dataset", "x", "--dataset", "y"])
    assert args.pred == ["a=p1", "b=p2"] and args.dataset == ["x", "y"]
    args = parse(["models", "--quiet", "--quiet", "--names-only"])
    assert args.quiet is True and args.names_only is True
    # a new parse starts afresh: a value given once per command line is never "twice"
    parser = build_parser()
    for _ in range(2):
        assert parser.parse_args(["synth", "--out", "s"]).out == "s"


# ------------------------------------------------------------------ crop: --min-size an image cannot meet


def _image_and_map(images, maps, name, w, h, block):
    """A grey image and a float map of ``w x h``, the map 1 inside ``block`` (x0, y0, x1, y1), else 0."""
    images.mkdir(exist_ok=True)
    maps.mkdir(exist_ok=True)
    cv2.imwrite(str(images / f"{name}.png"), np.full((h, w), 128, np.uint8))
    sal = np.zeros((h, w), np.float32)
    x0, y0, x1, y1 = block
    sal[y0:y1, x0:x1] = 1.0
    np.save(maps / f"{name}.npy", sal)


@pytest.mark.parametrize("extra, x", [(["--keep", "0.5"], 30), (["--compose", "thirds", "--keep", "0.5"], 38)])
def test_crop_min_size_above_the_largest_window_is_recorded_and_counted(tmp_path, capsys, extra, x):
    """The small image gets its largest window, 120x120 (the only height: the smallest allowed is the largest).

    Thirds, hand-worked: the block's centroid (140, 60) is in the window at x = 30..40; its distance to the
    third point (2/3, 2/3) is hypot(140 - x - 80, 20) / hypot(120, 120), least at x = 40 (0.1667); within
    the tolerance 0.01 of it are x = 38 (0.1752) and 39, not 37 (0.1796); all keep the whole block, and
    of them x = 38 is the closest to the centre placement (x = 20).
    """
    images, maps, out = tmp_path / "img", tmp_path / "maps", tmp_path / "out"
    _image_and_map(images, maps, "small", 160, 120, (130, 50, 150, 70))
    _image_and_map(images, maps, "large", 320, 240, (150, 110, 170, 130))
    assert main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", "1:1", "--out", str(out),
                 "--min-size", "200", "--quiet", *extra]) == 0
    stderr = capsys.readouterr().err.splitlines()  # a warning: on stderr, like predict's
    assert ("saliency crop: 1 image(s) too small for a 1:1 window of --min-size 200 pixels on its shorter side: "
            "the largest window was used ('under_min_size' in crops.json): small") in stderr
    boxes = json.loads((out / "crops.json").read_text())["boxes"]
    small = next(b for k, b in boxes.items() if k.startswith("small"))
    large = next(b for k, b in boxes.items() if k.startswith("large"))
    assert small["crop"] == {"x": x, "y": 0, "w": 120, "h": 120, "kept": 1.0}
    assert small["under_min_size"] == ("no 1:1 window with a shorter side of 200 pixels fits in 160x120 pixels: "
                                       "the largest window was used, 120x120")
    assert "under_min_size" not in large and min(large["crop"]["w"], large["crop"]["h"]) >= 200
    if "--compose" not in extra:  # the smallest window keeping half the block, not below 200
        assert (large["crop"]["w"], large["crop"]["h"]) == (200, 200)


@pytest.mark.parametrize("min_size, under", [("120", False), ("121", True), ("10000", True)])
def test_crop_min_size_boundary_of_a_160x120_image(tmp_path, capsys, min_size, under):
    images, maps, out = tmp_path / "img", tmp_path / "maps", tmp_path / "out"
    _image_and_map(images, maps, "a", 160, 120, (130, 50, 150, 70))
    assert main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", "1:1", "--keep", "0.5",
                 "--min-size", min_size, "--out", str(out), "--quiet"]) == 0
    cap = capsys.readouterr()
    (box,) = json.loads((out / "crops.json").read_text())["boxes"].values()
    assert box["crop"] == {"x": 30, "y": 0, "w": 120, "h": 120, "kept": 1.0}
    assert ("under_min_size" in box) is under
    assert (f"saliency crop: 1 image(s) too small for a 1:1 window of --min-size {min_size} pixels" in cap.err) \
        is under
    assert "too small" not in cap.out


def test_crop_default_min_size_counts_too(tmp_path, capsys):
    """The default --min-size (32) applies with --keep: a 24x24 image cannot meet it."""
    images, maps, out = tmp_path / "img", tmp_path / "maps", tmp_path / "out"
    _image_and_map(images, maps, "tiny", 24, 24, (2, 2, 6, 6))
    assert main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", "1:1", "--keep", "0.5",
                 "--out", str(out), "--quiet"]) == 0
    assert ("saliency crop: 1 image(s) too small for a 1:1 window of --min-size 32 pixels on its shorter side: the "
            "largest window was used ('under_min_size' in crops.json): tiny") in capsys.readouterr().err.splitlines()
    (box,) = json.loads((out / "crops.json").read_text())["boxes"].values()
    assert box["crop"] == {"x": 0, "y": 0, "w": 24, "h": 24, "kept": 1.0}
    # without --keep or --compose there is no --min-size: nothing is recorded
    assert main(["crop", "--images", str(images), "--maps", str(maps), "--aspect", "1:1", "--out",
                 str(tmp_path / "o2"), "--quiet"]) == 0
    cap = capsys.readouterr()
    assert "too small" not in cap.out + cap.err
    (box,) = json.loads((tmp_path / "o2" / "crops.json").read_text())["boxes"].values()
    assert "under_min_size" not in box


# ------------------------------------------------------------------ models: options the command would ignore


@pytest.mark.parametrize("argv, line", [
    (["--no-latency", "--runs", "50"],
     "--runs 50: not used with --no-latency (no latency is measured); leave it out"),
    (["--names-only", "--format", "json", "--size", "64", "--threads", "1"],
     "--size 64x64, --threads 1, --format json: not used with --names-only (only the model names are printed, "
     "no table); leave them out"),
    (["--names-only", "--runs", "5"],
     "--runs 5: not used with --names-only (only the model names are printed, no table); leave it out"),
    (["--names-only", "--no-latency"],
     "--no-latency: not used with --names-only (only the model names are printed, no table); leave it out"),
    (["--names-only", "--format", "markdown"],  # the default value, typed: still not used
     "--format markdown: not used with --names-only (only the model names are printed, no table); leave it out"),
])
def test_models_options_it_would_ignore_are_refused(tmp_path, capsys, argv, line):
    out = tmp_path / "t.txt"
    assert main(["models", "--filter", "unet_tiny_se_sod", *argv, "--out", str(out), "--quiet"]) == 2
    assert _err_lines(capsys) == [f"saliency models: error: {line}"]
    assert not out.exists()


def test_models_defaults_of_the_help_still_apply(capsys, monkeypatch):
    """Not given, --size, --runs and --format are the help's 320, 3 and markdown (the profiling is recorded)."""
    calls = []

    def model_rows(names, height, width, latency=True, runs=3, progress=True):
        calls.append((list(names), height, width, latency, runs))
        return []

    monkeypatch.setattr("saliency.models.profile.model_rows", model_rows)
    assert main(["models", "--filter", "unet_tiny_se_sod", "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "| model | task | attention | encoder | params (M) | GMAC @320 | CPU ms (batch 1) |",
        "|---|---|---|---|---:|---:|---:|"]
    assert main(["models", "--filter", "unet_tiny_se_sod", "--no-latency", "--size", "96x64", "--format", "json",
                 "--quiet"]) == 0
    assert capsys.readouterr().out == "[]\n"
    assert main(["models", "--filter", "unet_tiny_se_sod", "--runs", "7", "--quiet"]) == 0
    assert calls == [(["unet_tiny_se_sod"], 320, 320, True, 3), (["unet_tiny_se_sod"], 64, 96, False, 3),
                     (["unet_tiny_se_sod"], 320, 320, True, 7)]
    assert main(["models", "--filter", "unet_tiny_se_sod", "--names-only", "--quiet"]) == 0
    assert capsys.readouterr().out.endswith("unet_tiny_se_sod\n") and len(calls) == 3
    helptext = " ".join(build_parser()._command_parsers()["models"].format_help().split())
    assert "(default 320)" in helptext and "default 3" in helptext and "(default markdown)" in helptext

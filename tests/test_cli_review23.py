"""Command-line consistency found by review 23 (finding 2, finding 4, finding 5 and the message oddities).

- an empty string for a path or value (``--json ""``, an unset shell
  variable) was silently ignored (exit 0, the result never written) or read
  as the current folder (``crop --images ""`` walked the working folder);
  only ``eval --pred ""`` was refused. Now every command refuses it in one
  line naming the option, exit 2, except ``report --title`` (an empty title
  is a title);
- ``detect`` took ``--threshold`` and ``ingest`` ``--velocity-threshold`` /
  ``--dispersion-threshold`` for the same thresholds: both take all three;
- ``crop --size 64x48`` without a checkpoint printed the parsed tuple,
  ``(48, 64)``, height first;
- a file given where a folder is read said "folder not found";
  ``crop --min-size abc`` had argparse's "invalid int value" wording;
  train, predict and demo accept ``--device mps`` but their help omitted it;
  ``export --opset 5`` and ``--opset 21`` had two different messages.

Oracles: the exact lines and exit codes written out here, the threshold
values typed, and fixation counts of a trace built with two still periods.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from saliency.cli import build_parser, main


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A working folder with two mask folders (P, G), a stimulus folder, a sample log and a plain file."""
    import cv2

    for d in ("P", "G", "stim"):
        (tmp_path / d).mkdir()
    mask = np.zeros((32, 32), np.uint8)
    mask[8:24, 8:24] = 255
    for d in ("P", "G"):
        cv2.imwrite(str(tmp_path / d / "a.png"), mask)
    cv2.imwrite(str(tmp_path / "stim" / "a.png"), np.full((800, 1000, 3), 128, np.uint8))
    _log(tmp_path / "log.csv")
    (tmp_path / "f.txt").write_text("not a folder\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _log(path):
    """One 500 Hz trial on stimulus a.png: 300 ms still at (300, 400), then 300 ms still at (700, 400)."""
    t = np.arange(300) * 2.0
    x = np.where(t < 300, 300.0, 700.0)
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time_ms": t, "x": x, "y": 400.0}).to_csv(path, index=False)


GEOM = ["--screen-px", "1000x800", "--screen-cm", "40x32", "--distance-cm", "60"]


def _listing(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _refused(capsys, argv, line):
    rc = main(argv)
    err = capsys.readouterr().err
    assert (rc, err) == (2, line + "\n")


def _usage(capsys, argv, line):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert capsys.readouterr().err == line + "\n"


# ------------------------------------------------------------------ A: an empty value is refused, never dropped

EVAL = ["eval", "--task", "sod", "--pred", "P", "--gt", "G", "--quiet"]
EMPTY = [
    (EVAL + ["--json", ""], "saliency eval: error: --json: empty file name; give a file path"),
    (EVAL + ["--json="], "saliency eval: error: --json: empty file name; give a file path"),
    (EVAL + ["--csv", ""], "saliency eval: error: --csv: empty file name; give a file path"),
    (EVAL + ["--latex", ""], "saliency eval: error: --latex: empty file name; give a file path"),
    (EVAL + ["--plot-dir", ""], "saliency eval: error: --plot-dir: empty folder name; give a folder path"),
    (EVAL + ["--center-bias", ""], "saliency eval: error: --center-bias: empty file name; give a file path"),
    (EVAL + ["--metrics", ""], "saliency eval: error: --metrics: empty value; give LIST"),
    (["eval", "--config", ""], "saliency eval: error: --config: empty file name; give a file path"),
    (["eval", "--task", "sod", "--pred", "", "--gt", "G"],
     "saliency eval: error: --pred: empty folder name; give a folder path"),
    (["predict", "--baseline", "itti-koch", "--images", "stim", "--out", "O", "--list", ""],
     "saliency predict: error: --list: empty file name; give a file path"),
    (["predict", "--baseline", "itti-koch", "--images", "stim", "--out", "O", "--log-density", ""],
     "saliency predict: error: --log-density: empty folder name; give a folder path"),
    (["predict", "--baseline", "itti-koch", "--images", "stim", "--out", ""],
     "saliency predict: error: --out: empty folder name; give a folder path"),
    (["synth", "--out", "O", "--backgrounds", "", "--scenes", "2", "--subjects", "2", "--size", "64x64"],
     "saliency synth: error: --backgrounds: empty folder name; give a folder path"),
    (["synth", "--out", ""], "saliency synth: error: --out: empty folder name; give a folder path"),
    (["models", "--out", "", "--names-only"], "saliency models: error: --out: empty file name; give a file path"),
    (["train", "--config", "", "--data", "missing", "--out", "R"],
     "saliency train: error: --config: empty file name; give a file path"),
    (["train", "--data", "missing", "--out", ""],
     "saliency train: error: --out: empty folder name; give a folder path"),
    (["ingest", "log.csv", "--stimuli", "stim", "--out", "O", "--columns", ""],
     "saliency ingest: error: --columns: empty value; give KEY=COL,..."),
    (["ingest", "", "--stimuli", "stim", "--out", "O"],
     "saliency ingest: error: LOG: empty file name; give a file path"),
    (["detect", "log.csv", "--out", ""], "saliency detect: error: --out: empty folder name; give a folder path"),
    (["report", ""], "saliency report: error: RUN: empty folder name; give a folder path"),
    (["report", "--plots", "", "--out", "R"], "saliency report: error: --plots: empty folder name; give a folder path"),
    (["report", "--dataset", "", "--out", "R"],
     "saliency report: error: --dataset: empty folder name; give a folder path"),
    (["report", "--pred", "", "--images", "stim", "--out", "R"],
     "saliency report: error: --pred: empty folder name; give a folder path"),
    (["crop", "--images", "", "--maps", "P", "--aspect", "1:1", "--out", "O"],
     "saliency crop: error: --images: empty folder name; give a folder path"),
    (["export", "--checkpoint", "", "--onnx", "x.onnx"],
     "saliency export: error: --checkpoint: empty file name; give a file path"),
]


def _case_id(argv, mark):
    """``command option`` of a case: the option given ``mark`` (``positional`` for an argument without one)."""
    i = next(i for i, x in enumerate(argv) if x == mark or (mark == "" and x.endswith("=")))
    if argv[i].endswith("="):
        return f"{argv[0]} {argv[i]}"
    return f"{argv[0]} {argv[i - 1] if argv[i - 1].startswith('--') else 'positional'}"


@pytest.mark.parametrize("argv, line", EMPTY, ids=[_case_id(a, "") for a, _ in EMPTY])
def test_an_empty_value_is_refused_in_one_line_and_nothing_is_written(tree, capsys, argv, line):
    before = _listing(tree)
    _refused(capsys, argv, line)
    assert _listing(tree) == before


def test_an_empty_report_title_is_a_title(tree, capsys):
    assert main(["report", "--title", "", "--out", "R", "--quiet"]) == 0, capsys.readouterr().err
    assert (tree / "R" / "report.md").read_text(encoding="utf-8").splitlines()[1] == "# "


# ------------------------------------------------------------------ B: one set of threshold spellings in detect, ingest

def test_detect_and_ingest_take_the_same_threshold_options():
    sub = build_parser()._command_parsers()
    spellings = {"--threshold", "--velocity-threshold", "--dispersion-threshold"}
    for name in ("detect", "ingest"):
        options = {s for a in sub[name].ensure_arguments()._actions for s in a.option_strings}
        assert spellings <= options, name
        helps = {a.option_strings[0]: a.help for a in sub[name]._actions if a.option_strings}
        assert "ivt" in helps["--velocity-threshold"] and "idt" in helps["--dispersion-threshold"], name
        assert "velocity" in helps["--threshold"] and "dispersion" in helps["--threshold"], name


@pytest.mark.parametrize("detector, flag, value", [("ivt", "--velocity-threshold", "30"),
                                                   ("ivt", "--threshold", "30"),
                                                   ("idt", "--dispersion-threshold", "1.5"),
                                                   ("idt", "--threshold", "1.5")])
def test_detect_takes_each_threshold_spelling(tree, capsys, detector, flag, value):
    rc = main(["detect", "log.csv", "--out", "E", "--detector", detector, flag, value, "--quiet", *GEOM])
    assert rc == 0, capsys.readouterr().err
    s = json.loads((tree / "E" / "detection.json").read_text())
    assert s["options"]["threshold"] == float(value)
    assert s["counts"]["fixations"] == 2  # the two still periods of the trace


@pytest.mark.parametrize("detector, flag, value, kind", [("ivt", "--threshold", "30", "velocity"),
                                                         ("tobii-ivt", "--threshold", "25", "velocity"),
                                                         ("idt", "--threshold", "1.5", "dispersion"),
                                                         ("ivt", "--velocity-threshold", "30", "velocity")])
def test_ingest_takes_each_threshold_spelling(tree, capsys, detector, flag, value, kind):
    rc = main(["ingest", "log.csv", "--stimuli", "stim", "--out", "D", "--detector", detector, flag, value,
               "--quiet", "--no-ioc", *GEOM])
    assert rc == 0, capsys.readouterr().err
    pol = json.loads((tree / "D" / "dataset.json").read_text())["policies"]
    other = {"velocity": "dispersion", "dispersion": "velocity"}[kind]
    assert pol[f"{kind}_threshold"] == float(value) and pol[f"{other}_threshold"] is None


@pytest.mark.parametrize("command", ["detect", "ingest"])
@pytest.mark.parametrize("detector, flag, value, line", [
    ("idt", "--velocity-threshold", "30", "--velocity-threshold 30: not used by --detector idt (only by ivt, "
                                          "tobii-ivt); leave it out"),
    ("ivt", "--dispersion-threshold", "1", "--dispersion-threshold 1: not used by --detector ivt (only by idt); "
                                           "leave it out"),
    ("nh", "--threshold", "30", "--threshold 30: not used by --detector nh (only by ivt, tobii-ivt, idt; nh finds "
                                "its own per trial); leave it out")], ids=["idt-velocity", "ivt-dispersion", "nh"])
def test_a_threshold_the_detector_does_not_use_is_refused_alike(tree, capsys, command, detector, flag, value, line):
    args = ["--stimuli", "stim"] if command == "ingest" else []
    _refused(capsys, [command, "log.csv", *args, "--out", "O", "--detector", detector, flag, value, *GEOM],
             f"saliency {command}: error: {line}")
    assert not (tree / "O").exists()


def test_two_threshold_spellings_at_once_are_refused(tree, capsys):
    _usage(capsys, ["detect", "log.csv", "--out", "O", "--threshold", "30", "--velocity-threshold", "30"],
           "saliency detect: error: argument --velocity-threshold: not allowed with argument --threshold "
           "(see 'saliency detect --help')")


def test_ingest_names_threshold_as_typed_when_no_input_holds_samples(tree, capsys):
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "x": [300.0], "y": [400.0], "t_start_ms": [0.0],
                  "duration_ms": [250.0]}).to_csv(tree / "fix.csv", index=False)
    rc = main(["ingest", "fix.csv", "--stimuli", "stim", "--out", "O", "--detector", "ivt", "--threshold", "30",
               "--quiet", *GEOM])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("saliency ingest: error: --threshold 30: fixation detection options, but no "
                                      "input holds raw samples"), err


# ------------------------------------------------------------------ C: crop shows --size as typed

def test_crop_size_without_checkpoint_is_shown_as_typed(tree, capsys):
    _refused(capsys, ["crop", "--images", "stim", "--maps", "P", "--aspect", "1:1", "--out", "O", "--size", "64x48"],
             "saliency crop: error: --size 64x48: applies only with --checkpoint (the maps come from --maps); "
             "leave it out")
    from saliency.base.errors import UserError
    from saliency.crop import crop_folder

    with pytest.raises(UserError) as exc:
        crop_folder(tree / "stim", tree / "O", "1:1", maps=tree / "P", size=(48, 64))  # (height, width)
    assert str(exc.value) == "size 64x48: applies only with checkpoint (the maps come from maps); leave it out"


# ------------------------------------------------------------------ D: message oddities

FILE_FOR_FOLDER = [
    (["synth", "--out", "O", "--backgrounds", "f.txt", "--scenes", "2", "--subjects", "2", "--size", "64x64"],
     "saliency synth: error: --backgrounds f.txt: is a file, not a folder; give a folder path"),
    (["ingest", "log.csv", "--stimuli", "f.txt", "--out", "O"],
     "saliency ingest: error: --stimuli f.txt: is a file, not a folder; give a folder path"),
    (["predict", "--baseline", "itti-koch", "--images", "f.txt", "--out", "O"],
     "saliency predict: error: --images f.txt: is a file, not a folder; give a folder path"),
    (["crop", "--images", "f.txt", "--maps", "P", "--aspect", "1:1", "--out", "O"],
     "saliency crop: error: --images f.txt: is a file, not a folder; give a folder path"),
    (["crop", "--images", "stim", "--maps", "f.txt", "--aspect", "1:1", "--out", "O"],
     "saliency crop: error: --maps f.txt: is a file, not a folder; give a folder path"),
    (["train", "--data", "f.txt", "--out", "O"],
     "saliency train: error: --data f.txt: is a file, not a folder; give a folder path"),
    (["eval", "--task", "sod", "--pred", "P", "--gt", "f.txt"],
     "saliency eval: error: --gt f.txt: is a file, not a folder; give a folder path"),
    (["report", "f.txt", "--out", "O"], "saliency report: error: f.txt: is a file, not a folder; give a folder path"),
    (["report", "--plots", "f.txt", "--out", "O"],
     "saliency report: error: --plots f.txt: is a file, not a folder; give a folder path"),
]


@pytest.mark.parametrize("argv, line", FILE_FOR_FOLDER, ids=[_case_id(a, "f.txt") for a, _ in FILE_FOR_FOLDER])
def test_a_file_where_a_folder_is_read_is_named_as_a_file(tree, capsys, argv, line):
    before = _listing(tree)
    _refused(capsys, argv, line)
    assert _listing(tree) == before


def test_crop_min_size_not_an_integer_reads_as_every_integer_option(tree, capsys):
    _usage(capsys, ["crop", "--images", "stim", "--maps", "P", "--aspect", "1:1", "--out", "O", "--keep", "0.5",
                    "--min-size", "abc"],
           "saliency crop: error: argument --min-size: 'abc' is not an integer (see 'saliency crop --help')")
    _usage(capsys, EVAL + ["--digits", "abc"],
           "saliency eval: error: argument --digits: 'abc' is not an integer (see 'saliency eval --help')")


@pytest.mark.parametrize("command", ["train", "predict", "demo", "crop"])
def test_device_help_names_every_accepted_device(command):
    parser = build_parser()._command_parsers()[command].ensure_arguments()
    action = next(a for a in parser._actions if "--device" in a.option_strings)
    assert "cuda:N or mps" in action.help
    assert action.type("mps") == "mps"


@pytest.mark.parametrize("opset", ["5", "15", "21"])
def test_export_opset_out_of_range_has_one_message(tree, capsys, opset):
    _usage(capsys, ["export", "--model", "unet_tiny_none_sod", "--onnx", "x.onnx", "--opset", opset],
           f"saliency export: error: argument --opset: '{opset}': must be between 16 and 20 "
           "(see 'saliency export --help')")
    assert not (tree / "x.onnx").exists()


def test_export_opset_range_ends_are_accepted():
    for opset in (16, 20):
        ns = build_parser().parse_args(["export", "--model", "m", "--onnx", "x.onnx", "--opset", str(opset)])
        assert ns.opset == opset

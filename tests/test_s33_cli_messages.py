"""Messages of review s33 (E1): each refusal names what the user gave, in one line, exit 2.

1. train's refusal of pretrained weights for a built-in encoder said "leave out pretrained_file" (the internal key)
   to a user who typed ``--pretrained-file``: it names the flag, the override or the file's key as given; and
   every setting that turns the weights on (review RR5): naming only the last one, the one under it (the file's
   ``pretrained: true`` under ``--pretrained-file``) was refused next.
2. ``SALIENCY_MAX_PIXELS`` not a whole number (``1e3``, ``1,000``, ``abc``, ``-5``, ``0``) was the 100-megapixel
   default, unsaid: refused naming it; an empty value is unset.
3. ``saliency report DIR`` on a folder no train run wrote (stimuli, an ingest folder) was a report saying only "no
   metrics.csv", rc 0: refused, pointing to ``--dataset`` where the folder is one it reads (its dataset.json; a
   folder with only stimuli/ is refused by --dataset too, RR5), else saying what the report takes.
5. detect's "a osie file", "a eyelink-report file": no article to get wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

from cli_fakes import refusal, run_cli

PRETRAINED = "unet_tiny_cbam_sod has the built-in encoder 'tiny', which has no pretrained weights; leave out "


def _train(capsys, tmp_path, *args):
    argv = ["train", "--task", "sod", "--device", "cpu", "--quiet", "--data", tmp_path / "no-such-data",
            "--out", tmp_path / "run", *args]
    return refusal(*run_cli(capsys, argv))


@pytest.mark.parametrize("args, head, drop", [
    (["--pretrained-file", "w.pth"], "--pretrained-file w.pth", "--pretrained-file"),
    (["--pretrained"], "--pretrained", "--pretrained"),
    (["--set", "pretrained=true"], "--set pretrained", "--set pretrained"),
    (["--set", "pretrained=true", "--set", "pretrained_file=w.pth"], "--set pretrained_file w.pth",
     "--set pretrained and --set pretrained_file"),
    # both flags typed (review s33 RR7): leaving out only --pretrained-file, --pretrained was refused next
    (["--pretrained", "--pretrained-file", "w.pth"], "--pretrained-file w.pth", "--pretrained and --pretrained-file"),
])
def test_pretrained_refusal_says_to_leave_out_what_the_user_typed(capsys, tmp_path, args, head, drop):
    line = _train(capsys, tmp_path, *args)
    assert line.startswith(f"saliency train: error: {head}: {PRETRAINED}{drop}, or choose a model "), line


# (config file, arguments, the refusal's head, what it says to leave out, the arguments left when that is done)
FILE_CASES = [
    ("pretrained: true\npretrained_file: w.pth\n", [], "{cfg}: pretrained_file w.pth",
     "pretrained and pretrained_file from {cfg}", "task: sod\n", []),
    ("pretrained: true\n", ["--pretrained-file", "w.pth"], "--pretrained-file w.pth",
     "pretrained from {cfg} and --pretrained-file", "task: sod\n", []),
    ("pretrained: true\n", ["--pretrained"], "--pretrained", "pretrained from {cfg} and --pretrained",
     "task: sod\n", []),
    ("pretrained: true\n", ["--set", "pretrained_file=w.pth"], "--set pretrained_file w.pth",
     "pretrained from {cfg} and --set pretrained_file", "task: sod\n", []),
    ("pretrained: true\npretrained_file: w.pth\n", ["--pretrained"], "{cfg}: pretrained_file w.pth",
     "pretrained and pretrained_file from {cfg}, and --pretrained", "task: sod\n", []),
    # the file's pretrained_file is set to null by --set: only the file's pretrained turns the weights on
    ("pretrained: true\npretrained_file: w.pth\n", ["--set", "pretrained_file=null"], "{cfg}: pretrained",
     "pretrained from {cfg}", "pretrained_file: w.pth\n", ["--set", "pretrained_file=null"]),
]


@pytest.mark.parametrize("text, args, head, drop, text_after, args_after", FILE_CASES)
def test_pretrained_refusal_names_every_setting_that_turns_the_weights_on(capsys, tmp_path, text, args, head, drop,
                                                                          text_after, args_after):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    line = _train(capsys, tmp_path, "--config", cfg, *args)
    assert line.startswith(f"saliency train: error: {head.format(cfg=cfg)}: {PRETRAINED}{drop.format(cfg=cfg)}, "
                           "or choose a model "), line
    cfg.write_text(text_after)  # what it said left out: no second refusal of the weights (the data is refused)
    line = _train(capsys, tmp_path, "--config", cfg, *args_after)
    assert line.endswith("no-such-data: folder not found"), line


def test_leaving_out_both_overrides_the_refusal_names_trains_without_weights(capsys, tmp_path):
    line = _train(capsys, tmp_path, "--set", "pretrained=true", "--set", "pretrained_file=w.pth")
    assert line.endswith("leave out --set pretrained and --set pretrained_file, or choose a model with a timm "
                         "encoder (saliency train --list-models)"), line
    for left in (["--set", "pretrained=true"], ["--set", "pretrained_file=w.pth"]):  # one alone: refused again
        line = _train(capsys, tmp_path, *left)
        assert line.startswith(f"saliency train: error: --set {left[1].partition('=')[0]}"), line
    line = _train(capsys, tmp_path)
    assert line.endswith("no-such-data: folder not found"), line


def _images(tmp_path):
    import cv2

    img = tmp_path / "img"
    img.mkdir()
    rng = np.random.default_rng(33)
    for k in range(2):
        cv2.imwrite(str(img / f"s{k}.png"), rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    return img


@pytest.mark.parametrize("value", ["1e3", "1,000", "abc", "-5", "0", "+7", "12.5"])
def test_an_unreadable_max_pixels_variable_is_refused_by_name(capsys, tmp_path, monkeypatch, value):
    monkeypatch.setenv("SALIENCY_MAX_PIXELS", value)
    out = tmp_path / "p"
    line = refusal(*run_cli(capsys, ["predict", "--baseline", "itti-koch", "--images", _images(tmp_path),
                                     "--out", out, "--quiet"]))
    assert line.startswith(f"saliency predict: error: SALIENCY_MAX_PIXELS={value!r}: needs a whole number of "
                           "pixels above 0"), line
    assert not out.exists()


@pytest.mark.parametrize("value, limit", [("", None), ("  ", None), ("600", 600)])
def test_an_empty_max_pixels_variable_is_unset_and_a_number_is_the_limit(capsys, tmp_path, monkeypatch, value, limit):
    monkeypatch.setenv("SALIENCY_MAX_PIXELS", value)
    argv = ["predict", "--baseline", "itti-koch", "--images", _images(tmp_path), "--out", tmp_path / "p", "--quiet"]
    rc, out, err = run_cli(capsys, argv)
    if limit is None:  # the default, 100 megapixels: 32x24 images pass
        assert rc == 0 and "Traceback" not in err, err
    else:  # 768 pixels above 600: the variable is read, as before
        assert "above the limit of 600" in refusal(rc, out, err)


def _report(capsys, run, out):
    return run_cli(capsys, ["report", run, "--out", out, "--quiet"])


NOT_A_RUN = ("not a saliency train run folder (no config.yaml, metrics.csv or checkpoints/); give a folder that "
             "saliency train --out wrote (the report also takes --eval JSON of saliency eval --json and --dataset "
             "DIR of saliency ingest)")


def test_report_of_a_stimulus_folder_is_refused(capsys, tmp_path):
    img = _images(tmp_path)
    line = refusal(*_report(capsys, img, tmp_path / "rep"))
    assert line == f"saliency report: error: {img}: {NOT_A_RUN}"
    assert not (tmp_path / "rep").exists()


def test_report_of_a_dataset_folder_as_run_points_to_dataset(capsys, tmp_path):
    ds = tmp_path / "ds"
    (ds / "fixations").mkdir(parents=True)
    (ds / "dataset.json").write_text("{}")
    line = refusal(*_report(capsys, ds, tmp_path / "rep"))
    assert line.startswith(f"saliency report: error: {ds}: not a saliency train run folder (no config.yaml, "
                           f"metrics.csv or checkpoints/); did you mean --dataset {ds}?"), line
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("layout", [["stimuli", "fixations"], ["stimuli", "eye"], ["stimuli", "masks"]])
def test_report_of_a_folder_with_stimuli_but_no_dataset_json_does_not_point_to_dataset(capsys, tmp_path, layout):
    """A study (synth, a demo's study/), a raw set (OSIE's stimuli/ and eye/) or a SOD set holds stimuli/ but no
    dataset.json: --dataset refuses it too, so the refusal says what the report takes instead."""
    ds = tmp_path / "ds"
    for sub in layout:
        (ds / sub).mkdir(parents=True)
    line = refusal(*_report(capsys, ds, tmp_path / "rep"))
    assert line == f"saliency report: error: {ds}: {NOT_A_RUN}"
    assert "no dataset.json" in refusal(*run_cli(capsys, ["report", "--dataset", ds, "--out", tmp_path / "rep",
                                                          "--quiet"]))
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("entry", ["config.yaml", "checkpoints", ".saliency-train.lock"])
def test_report_of_a_run_that_has_just_started_is_still_written(capsys, tmp_path, entry):
    """A run before its first epoch (its lock, config.yaml, checkpoints/, no metrics.csv): reported as before."""
    run = tmp_path / "R"
    run.mkdir()
    (run / "grids").mkdir()  # something of the run's beside it: the folder is not empty
    if entry == "checkpoints":
        (run / entry).mkdir()
    else:
        (run / entry).write_text("task: sod\n" if entry == "config.yaml" else "1 host 0\n")
    rc, out, err = _report(capsys, run, tmp_path / "rep")
    assert rc == 0 and "Traceback" not in err, err
    assert "no metrics.csv, or no rows in it." in (tmp_path / "rep" / "report.md").read_text()


def test_detect_names_the_format_of_an_event_file_without_a_wrong_article(capsys, tmp_path):
    log = tmp_path / "el.csv"
    log.write_text("RECORDING_SESSION_LABEL,TRIAL_INDEX,CURRENT_FIX_START,CURRENT_FIX_END,CURRENT_FIX_DURATION,"
                   "CURRENT_FIX_X,CURRENT_FIX_Y\nA,1,0,250,250,100,100\nA,1,300,550,250,900,500\n")
    line = refusal(*run_cli(capsys, ["detect", log, "--format", "eyelink-report", "--screen-px", "1024x768",
                                     "--screen-cm", "40x30", "--distance-cm", "60", "--out", tmp_path / "d",
                                     "--quiet"]))
    assert line == (f"saliency detect: error: {log}: a file in the eyelink-report format holds fixation events, "
                    "not raw samples; saliency detect needs samples")


@pytest.mark.parametrize("sizes, words", [
    ((10, 1, 1), "10 scenes, 1 observer, 400x300, 1 epoch per model"),
    ((11, 2, 3), "11 scenes, 2 observers, 400x300, 3 epochs per model"),
])
def test_demo_header_counts_in_correct_english(capsys, tmp_path, sizes, words):
    """``saliency demo --quick --scenes 10 --subjects 1 --epochs 1`` said "1 observers", "1 epochs"."""
    import argparse

    from saliency.commands import demo as command
    from saliency.demo import Interrupted, make_profile

    class Stopped:  # a demo stopped before its first stage: only the header is printed
        run_id = "x"

        def run(self):
            raise Interrupted("synth")

    scenes, subjects, epochs = sizes
    profile = make_profile(True, scenes=scenes, subjects=subjects, epochs=epochs)
    out = tmp_path / "demo2"
    out.mkdir()
    assert command._run(Stopped(), out, profile, argparse.Namespace(device="cpu"), 0.0) == 130
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"saliency demo: {words}, device cpu, into {out}/"


def test_leaving_out_both_flags_the_refusal_names_trains_without_weights(capsys, tmp_path):
    """``--pretrained --pretrained-file w.pth`` named only --pretrained-file; left out, --pretrained was refused."""
    line = _train(capsys, tmp_path, "--pretrained", "--pretrained-file", "w.pth")
    assert line.endswith("leave out --pretrained and --pretrained-file, or choose a model with a timm encoder "
                         "(saliency train --list-models)"), line
    line = _train(capsys, tmp_path, "--pretrained")  # one alone: refused again, naming it
    assert line.startswith(f"saliency train: error: --pretrained: {PRETRAINED}--pretrained, or"), line
    line = _train(capsys, tmp_path)
    assert line.endswith("no-such-data: folder not found"), line


def test_both_flags_and_an_override_of_pretrained_name_the_flag_typed(capsys, tmp_path):
    line = _train(capsys, tmp_path, "--pretrained", "--pretrained-file", "w.pth", "--set", "pretrained=false")
    assert line == "saliency train: error: --pretrained and --set pretrained=false both set pretrained; give one", line
    line = _train(capsys, tmp_path, "--pretrained-file", "w.pth", "--set", "pretrained=false")
    assert line == ("saliency train: error: --pretrained-file w.pth and --set pretrained=false both set pretrained; "
                    "give one"), line


def test_resume_names_pretrained_and_pretrained_file_typed_together(capsys, tmp_path):
    """On --resume, --pretrained typed beside --pretrained-file is named in the one refusal (review s33 RR9 item 3),
    not refused a second time once --pretrained-file is left out."""
    run = tmp_path / "R"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("task: sod\n")
    (run / "checkpoints" / "last.pt").write_bytes(b"")
    line = refusal(*run_cli(capsys, ["train", "--resume", run, "--pretrained", "--pretrained-file", "w.pth",
                                     "--quiet"]))
    assert line.endswith("may change (got --pretrained, --pretrained-file)"), line

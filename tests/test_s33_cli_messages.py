"""Messages of review s33 (E1): each refusal names what the user gave, in one line, exit 2.

1. train's refusal of pretrained weights for a built-in encoder said "leave out pretrained_file" (the internal key)
   to a user who typed ``--pretrained-file``: it names the flag, the override or the file's key as given.
2. ``SALIENCY_MAX_PIXELS`` not a whole number (``1e3``, ``1,000``, ``abc``, ``-5``, ``0``) was the 100-megapixel
   default, unsaid: refused naming it; an empty value is unset.
3. ``saliency report DIR`` on a folder no train run wrote (stimuli, an ingest folder) was a report saying only "no
   metrics.csv", rc 0: refused, pointing to ``--dataset`` where the folder looks like a dataset.
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
     "--set pretrained_file"),
])
def test_pretrained_refusal_says_to_leave_out_what_the_user_typed(capsys, tmp_path, args, head, drop):
    line = _train(capsys, tmp_path, *args)
    assert line.startswith(f"saliency train: error: {head}: {PRETRAINED}{drop}, or choose a model "), line


def test_pretrained_refusal_from_a_config_file_names_the_file(capsys, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("pretrained: true\npretrained_file: w.pth\n")
    line = _train(capsys, tmp_path, "--config", cfg)
    assert line.startswith(f"saliency train: error: {cfg}: pretrained_file w.pth: {PRETRAINED}pretrained_file "
                           f"from {cfg}, or choose a model "), line


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


def test_report_of_a_stimulus_folder_is_refused(capsys, tmp_path):
    img = _images(tmp_path)
    line = refusal(*_report(capsys, img, tmp_path / "rep"))
    assert line == (f"saliency report: error: {img}: not a saliency train run folder (no config.yaml, metrics.csv "
                    "or checkpoints/); give a folder that saliency train --out wrote")
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("marker", ["dataset.json", "stimuli"])
def test_report_of_a_dataset_folder_as_run_points_to_dataset(capsys, tmp_path, marker):
    ds = tmp_path / "ds"
    (ds / "fixations").mkdir(parents=True)
    if marker == "stimuli":  # a study or ingest folder's images
        (ds / marker).mkdir()
    else:
        (ds / marker).write_text("{}")
    line = refusal(*_report(capsys, ds, tmp_path / "rep"))
    assert line.startswith(f"saliency report: error: {ds}: not a saliency train run folder (no config.yaml, "
                           f"metrics.csv or checkpoints/); did you mean --dataset {ds}?"), line
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

"""Option names in messages (review 28, F6).

1. A ``data.val`` folder that cannot be read as a dataset was refused as ``--data DIR: ...`` (the training folder's
   flag) on a new run and on a resume; it is named ``data.val DIR`` as the other data.val messages name it
   (``data.val DIR: folder not found``), for SOD and fixation folders, and for the refusals of the folder readers
   beneath (an empty stimuli/, a fixations/ with nothing to read). Oracle: the hand-written refusal lines; the
   training folder given as --data keeps its --data lines.
2. ``saliency synth --scenes 1 --subjects 1`` printed ``1 scenes`` and ``1 subjects``. Oracle: the hand-written
   summary lines, singular for 1 and plural for 2.
"""

from __future__ import annotations

import shutil

import pytest

from cli_fakes import hashes, refusal, run_cli
from train_fakes import make_fixation, make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture)

TINY = ["--epochs", "1", "--device", "cpu", "--batch-size", "4", "--quiet", "--set", "data.size=[32,48]",
        "--set", "train.grid_images=0", "--set", "train.tensorboard=false", "--set", "train.threads=1"]
NOT_SOD = ("not an SOD dataset; expected stimuli/ + masks/ (saliency synth), images/ + masks/, or a published "
           "layout (DUTS-TR, ECSSD, ...; saliency eval --list-datasets)")
NO_STIMULI = "no stimulus folder (stimuli/, ALLSTIMULI/, trainSet/Stimuli/, images/)"


def _empty_val(tmp_path):
    val = tmp_path / "emptyval"
    (val / "x").mkdir(parents=True)                      # only an empty sub-folder, as the review's
    return val


# ------------------------------------------------------------------------------------------ 1. data.val named
def test_sod_validation_folder_that_is_no_dataset_is_named_data_val(tmp_path, capsys):
    data, val = make_sod(tmp_path / "good", n=4, w=48, h=32), _empty_val(tmp_path)
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--out", tmp_path / "run", *TINY,
                                    "--set", f"data.val={val}"])
    assert refusal(rc, out, err) == f"saliency train: error: data.val {val}: {NOT_SOD}"


def test_sod_validation_folder_with_images_but_no_masks_is_named_data_val(tmp_path, capsys):
    data, val = make_sod(tmp_path / "good", n=4, w=48, h=32), tmp_path / "half"
    (val / "stimuli").mkdir(parents=True)
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--out", tmp_path / "run", *TINY,
                                    "--set", f"data.val={val}"])
    assert refusal(rc, out, err) == (f"saliency train: error: data.val {val}: {val / 'stimuli'} is there but not "
                                     f"its masks folder {val / 'masks'}")


def test_resume_with_a_validation_folder_that_is_no_dataset_is_named_data_val(tmp_path, capsys):
    data = make_sod(tmp_path / "good", n=6, w=48, h=32)
    good_val = make_sod(tmp_path / "val", n=2, seed=3, w=48, h=32)
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--out", run, *TINY,
                                  "--set", f"data.val={good_val}"])
    assert rc == 0, err
    val = _empty_val(tmp_path)
    was = hashes(run)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet",
                                    "--set", f"data.val={val}"])
    assert refusal(rc, out, err) == f"saliency train: error: data.val {val}: {NOT_SOD}"
    assert hashes(run) == was


def test_fixation_validation_folders_that_are_no_dataset_are_named_data_val(tmp_path, capsys):
    data = make_fixation(tmp_path / "good", n=4)
    empty = _empty_val(tmp_path)
    no_images = tmp_path / "noimg"
    (no_images / "stimuli").mkdir(parents=True)
    no_fix = tmp_path / "nofix"                           # images and an empty fixations/: eval's reader refuses
    shutil.copytree(data / "stimuli", no_fix / "stimuli")
    (no_fix / "fixations").mkdir()
    expected = {
        empty: f"data.val {empty}: {NO_STIMULI}",
        no_images: (f"data.val {no_images / 'stimuli'}: no image files (.png, .jpg, .jpeg, .bmp, .tif, .tiff, "
                    ".webp, .pgm, .ppm) in the folder"),
        no_fix: (f"data.val {no_fix}: not a fixation dataset folder; expected fixations/ + maps/ (saliency ingest), "
                 "FIXATIONLOCS/ (MIT, CAT2000), ALLFIXATIONMAPS/ (MIT1003) or a SALICON fixations JSON"),
    }
    for val, line in expected.items():
        rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "fixation", "--out",
                                        tmp_path / f"run_{val.name}", *TINY, "--set", f"data.val={val}"])
        assert refusal(rc, out, err) == f"saliency train: error: {line}"


@pytest.mark.parametrize("task,line", [("sod", NOT_SOD), ("fixation", NO_STIMULI)])
def test_training_folder_is_still_named_by_its_flag(tmp_path, capsys, task, line):
    data = _empty_val(tmp_path)
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", task, "--out", tmp_path / "run", *TINY])
    assert refusal(rc, out, err) == f"saliency train: error: --data {data}: {line}"


# ------------------------------------------------------------------------------------------- 2. synth counts
@pytest.mark.parametrize("n,scenes,subjects", [(1, "1 scene", "1 subject"), (2, "2 scenes", "2 subjects")])
def test_synth_summary_counts_scenes_and_subjects_in_the_singular_for_one(tmp_path, capsys, n, scenes, subjects):
    out_dir = tmp_path / "study"
    rc, out, err = run_cli(capsys, ["synth", "--out", out_dir, "--scenes", n, "--subjects", n, "--size", "64x48",
                                    "--quiet"])
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[1] == f"  {scenes} (64x48) in stimuli/ with SOD masks in masks/"
    assert lines[2].startswith(f"  {subjects} at 500 Hz: ")

"""Review R5: ``train --resume`` trained on when the data files changed under the same names, and said nothing.

split.json recorded only image ids: a fixation run whose ingest folder was ingested again with another --sigma-px
(--overwrite), or an SOD run whose validation masks were inverted in place (mtimes kept), resumed with exit 0, and
metrics.csv and best.pt mixed two datasets (CC 0.21, 0.27 then 0.75; Fmax 0.16, 0.26 then 0.97). split.json now
records a digest of each image and target and of the folder's dataset.json; a resume refuses a difference in one
line naming the first changed file and the count. A split.json without them (an older run) resumes with a note.
"""

from __future__ import annotations

import json
import os

import cv2

from cli_fakes import hashes, refusal, run_cli
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (autouse fixture)

TRAIN = ["--epochs", "1", "--set", "train.threads=1", *TINY_ARGS]


def _resume(capsys, run):
    return run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])


def _message(n, first, run):
    return (f"saliency train: error: --resume: {n} data file(s) differ from those the run began on "
            f"({run / 'split.json'} records their content), first {first}; metrics.csv and best.pt would mix two "
            "datasets: train into a new --out, or put the files back as they were")


def _sod_run(tmp_path, capsys):
    data = make_sod(tmp_path / "S", n=10, seed=3)
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--out", run, *TRAIN])
    assert rc == 0, err
    return data, run, json.loads((run / "split.json").read_text(encoding="utf-8"))


def test_resume_refuses_validation_masks_inverted_in_place_with_their_mtimes_kept(tmp_path, capsys):
    data, run, split = _sod_run(tmp_path, capsys)
    assert len(split["val"]) == 2  # data.val_fraction 0.2 of 10
    for key in split["val"]:
        p = data / "masks" / f"{key}.png"
        st = os.stat(p)
        cv2.imwrite(str(p), 255 - cv2.imread(str(p), cv2.IMREAD_GRAYSCALE))
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same names, sizes may differ, mtimes as they were
    was = hashes(run)
    rc, out, err = _resume(capsys, run)
    assert refusal(rc, out, err) == _message(2, data / "masks" / f"{split['val'][0]}.png", run)
    assert hashes(run) == was  # nothing of the run was touched


def test_resume_refuses_a_training_image_rewritten_with_other_pixels(tmp_path, capsys):
    data, run, split = _sod_run(tmp_path, capsys)
    p = data / "stimuli" / f"{split['train'][2]}.png"
    cv2.imwrite(str(p), cv2.imread(str(p))[:, ::-1])  # mirrored: same size, other content
    rc, out, err = _resume(capsys, run)
    assert refusal(rc, out, err) == _message(1, p, run)


def test_unchanged_resume_trains_on_and_a_moved_folder_with_the_same_files_too(tmp_path, capsys):
    data, run, first = _sod_run(tmp_path, capsys)
    rc, out, err = _resume(capsys, run)
    assert rc == 0, err
    assert "trained 2 epochs" in out and "digest" not in out
    moved = tmp_path / "S2"
    data.rename(moved)  # the same files elsewhere: the digests are by image id, not by path
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--data", moved, "--epochs", "3", "--device", "cpu",
                                    "--quiet"])
    assert rc == 0, err
    assert [r.split(",")[0] for r in (run / "metrics.csv").read_text().splitlines()[1:]] == ["1", "2", "3"]
    split = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert split["root"] == str(moved) and set(split["content"]["val"]) == set(first["val"])


def test_an_older_run_without_digests_resumes_as_before_with_one_note(tmp_path, capsys):
    data, run, split = _sod_run(tmp_path, capsys)
    split.pop("content", None)  # what a run begun before the digests wrote
    (run / "split.json").write_text(json.dumps(split), encoding="utf-8")
    p = data / "masks" / f"{split['val'][0]}.png"
    cv2.imwrite(str(p), 255 - cv2.imread(str(p), cv2.IMREAD_GRAYSCALE))
    rc, out, err = _resume(capsys, run)
    assert rc == 0, err
    notes = [ln for ln in out.splitlines() if "note:" in ln]
    assert notes == [f"  note: {run / 'split.json'} records no digest of the data's content (written before it was "
                     "recorded): the files were not checked for changes since the run began"]


def test_resume_refuses_an_ingest_folder_ingested_again_with_another_sigma(tmp_path, capsys):
    study = tmp_path / "study"
    rc, _, err = run_cli(capsys, ["synth", "--scenes", "8", "--subjects", "2", "--size", "96x64", "--out", study,
                                  "--quiet"])
    assert rc == 0, err
    ingest = ["ingest", study / "logs" / "samples.csv", "--stimuli", study / "stimuli", "--geometry",
              study / "screen.json", "--out", tmp_path / "F", "--quiet", "--no-ioc"]
    rc, _, err = run_cli(capsys, [*ingest, "--sigma-px", "3"])
    assert rc == 0, err
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", tmp_path / "F", "--task", "fixation", "--out", run, *TRAIN])
    assert rc == 0, err
    rc, _, err = run_cli(capsys, [*ingest, "--sigma-px", "9", "--overwrite"])
    assert rc == 0, err
    split = json.loads((run / "split.json").read_text(encoding="utf-8"))
    n = len(split["train"]) + len(split["val"])  # every human map is blurred again; images and fixations the same
    rc, out, err = _resume(capsys, run)
    assert refusal(rc, out, err) == _message(n + 1, tmp_path / "F" / "dataset.json", run)

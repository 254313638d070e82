"""The notes of ``saliency eval`` say a count of one in the singular ("1 image", never "1 images").

Oracles: folders and OSIE ``eye/fixations.mat`` files written by hand whose
counts (images scored, predictions resized, files ignored, fixations and
images of the centre bias, images of a split missing from the file) are known
by construction; the expected note texts are written out below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cli_fakes import run_cli
from saliency.eval import datasets as D
from saliency.eval.tables import counted

H, W = 30, 40


def test_counted_says_one_in_the_singular():
    assert [counted(n, "image") for n in (0, 1, 2)] == ["0 images", "1 image", "2 images"]
    assert counted(1, "prediction file") == "1 prediction file"


def _sod(tmp_path: Path, n: int) -> tuple[Path, Path]:
    """``n`` GT masks of 16x16, their predictions at 8x8 (each resized), and one prediction without a GT."""
    import cv2

    gt, pr = tmp_path / "gt", tmp_path / "pr"
    gt.mkdir()
    pr.mkdir()
    m = np.zeros((16, 16), np.uint8)
    m[4:10, 4:10] = 255
    for i in range(n):
        cv2.imwrite(str(gt / f"im{i}.png"), m)
        cv2.imwrite(str(pr / f"im{i}.png"), cv2.resize(m, (8, 8), interpolation=cv2.INTER_NEAREST))
    cv2.imwrite(str(pr / "stray.png"), m)
    return gt, pr


def test_sod_note_of_one_ignored_file_is_singular(tmp_path, capsys):
    gt, pr = _sod(tmp_path, 1)
    (pr / "notes.txt").write_text("not a prediction")
    rc, out, err = run_cli(capsys, ["eval", "--no-progress", "--task", "sod", "--gt", gt, "--pred", f"M={pr}",
                                    "--metrics", "MAE"])
    assert rc == 0, err
    note = [x for x in out.splitlines() if x.startswith("- M: ")]
    assert len(note) == 1 and note[0].endswith(", 1 prediction file without a ground truth ignored, 1 file left "
                                               "out for its extension (not a prediction format)"), out


def test_sod_note_of_two_ignored_files_stays_plural(tmp_path, capsys):
    gt, pr = _sod(tmp_path, 2)
    cv2_png = (pr / "stray.png").read_bytes()
    (pr / "stray2.png").write_bytes(cv2_png)
    (pr / "a.txt").write_text("x")
    (pr / "b.txt").write_text("y")
    rc, out, err = run_cli(capsys, ["eval", "--no-progress", "--task", "sod", "--gt", gt, "--pred", f"M={pr}",
                                    "--metrics", "MAE"])
    assert rc == 0, err
    note = [x for x in out.splitlines() if x.startswith("- M: ")]
    assert len(note) == 1 and note[0].endswith(", 2 prediction files without a ground truth ignored, 2 files left "
                                               "out for their extension (not a prediction format)"), out


def _write_osie(root: Path, entries: dict, stimuli: bool = True) -> None:
    """entries: stem -> list of per-observer (xs, ys) (1-based); grey H x W stimuli when ``stimuli``."""
    import cv2
    import scipy.io

    (root / "eye").mkdir(parents=True)
    (root / "stimuli").mkdir()
    cells = np.empty((len(entries), 1), dtype=object)
    for i, (stem, subs) in enumerate(entries.items()):
        if stimuli:
            cv2.imwrite(str(root / "stimuli" / f"{stem}.jpg"), np.full((H, W, 3), 128, np.uint8))
        sc = np.empty((1, len(subs)), dtype=object)
        for j, (xs, ys) in enumerate(subs):
            sc[0, j] = {"fix_x": np.asarray(xs, float), "fix_y": np.asarray(ys, float),
                        "fix_duration": np.full(len(xs), 200.0)}
        cells[i, 0] = {"img": f"{stem}.jpg", "subjects": sc}
    scipy.io.savemat(str(root / "eye" / "fixations.mat"), {"fixations": cells})


def test_osie_notes_of_one_training_fixation_and_one_test_image_are_singular(tmp_path, capsys):
    """One training image with one fixation (the centre bias), one of the 200 test images in the file."""
    import cv2

    train, test = D.split_stems("OSIE", "train")[0], D.split_stems("OSIE", "test")[0]
    root = tmp_path / "data"
    _write_osie(root / "osie", {train: [([10.0], [12.0])], test: [([5.0, 20.0], [4.0, 9.0])]})
    pred = tmp_path / "pred"
    pred.mkdir()
    cv2.imwrite(str(pred / f"{test}.png"), np.random.default_rng(0).integers(0, 256, (H, W)).astype(np.uint8))
    rc, out, err = run_cli(capsys, ["eval", "--no-progress", "--dataset", "OSIE", "--root", root, "--split", "test",
                                    "--pred", f"m={pred}", "--metrics", "IG"])
    assert rc == 0, err
    lines = out.splitlines()
    ig = [x for x in lines if "IG baseline = " in x]
    assert len(ig) == 1 and "(Gaussian KDE of 1 fixation on 1 image, sigma " in ig[0], out
    assert any(x.startswith("- OSIE (test): 199 of the 200 test images are not in eye/fixations.mat (e.g. ")
               and x.endswith("); the other 1 is scored") for x in lines), out


def test_osie_notes_of_one_missing_image_and_one_nonfinite_fixation_are_singular(tmp_path):
    """199 of the 200 test images in the file (no stimuli: OSIE's 800x600 is assumed); one training image whose
    only fixation has a NaN fix_x."""
    tests = D.split_stems("OSIE", "test")
    train = D.split_stems("OSIE", "train")[0]
    entries = {k: [([5.0], [6.0])] for k in tests[1:]}
    entries[train] = [([np.nan], [6.0])]
    root = tmp_path / "data"
    _write_osie(root / "osie", entries, stimuli=False)
    ds = D.published("OSIE", root, "test", baseline=False)
    assert f"1 of the 200 test images is not in eye/fixations.mat (e.g. {tests[0]}); the other 199 are scored" \
        in ds.notes
    assert ds.layout == "OSIE (eye/fixations.mat, 199 images, test split of eval/splits/osie.json)"
    tr = D.published("OSIE", root, "train", baseline=False)
    assert [n for n in tr.notes if "non-finite" in n] == [
        f"eye/fixations.mat: 1 of the 1 fixation of the 1 train image has a non-finite fix_x or fix_y (on 1 image, "
        f"e.g. fixations(200).subjects(1).fix_x(1), image {train}): left out of the fixations and human maps, as "
        "saliency ingest quarantines it (bad_coordinates)"]
    one = D.published("OSIE", root / "osie", "train", baseline=False)
    assert one.layout.startswith("OSIE (eye/fixations.mat, 1 image, ")

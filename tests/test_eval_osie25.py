"""OSIE fixations with a non-finite coordinate are counted and named, and --gold-standard says where it applies.

Oracles: a small OSIE-layout ``eye/fixations.mat`` written by hand with
``scipy.io.savemat`` (cell array of structs, 1-based whole-pixel ``fix_x``,
``fix_y``) holding one NaN, whose place in the file (``fixations(i)``,
``subjects(j)``, element k, MATLAB's 1-based names, as ``saliency ingest``
names the entry) and the count are known by construction; NSS computed here
with numpy over the finite points only (z-score with ddof 1, mean at the
fixated pixels); the refusal and note texts as written out below.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from saliency.eval import datasets as D

H, W = 30, 40


def _write_osie(root: Path, entries: dict) -> None:
    """entries: stem -> list of per-observer (xs, ys), in file order; grey H x W stimuli."""
    import cv2
    import scipy.io

    (root / "eye").mkdir(parents=True)
    (root / "stimuli").mkdir()
    cells = np.empty((len(entries), 1), dtype=object)  # 700 x 1 in the published file
    for i, (stem, subs) in enumerate(entries.items()):
        cv2.imwrite(str(root / "stimuli" / f"{stem}.jpg"), np.full((H, W, 3), 128, np.uint8))
        sc = np.empty((1, len(subs)), dtype=object)
        for j, (xs, ys) in enumerate(subs):
            sc[0, j] = {"fix_x": np.asarray(xs, float), "fix_y": np.asarray(ys, float),
                        "fix_duration": np.full(len(xs), 200.0)}
        cells[i, 0] = {"img": f"{stem}.jpg", "subjects": sc}
    scipy.io.savemat(str(root / "eye" / "fixations.mat"), {"fixations": cells})


TRAIN = D.split_stems("OSIE", "train")[:2]
TEST = D.split_stems("OSIE", "test")[:1]
# test image, 2nd entry of the file: observer 2's 2nd fix_x is NaN; 1-based (x, y) -> 0-based (row, col) = (y-1, x-1)
TEST_SUBS = [([5.0, 12.0, 33.0], [4.0, 20.0, 9.0]), ([7.0, np.nan, 21.0], [25.0, 11.0, 15.0]), ([40.0], [1.0])]
FINITE_RC = [(3, 4), (19, 11), (8, 32), (24, 6), (14, 20), (0, 39)]  # every finite point, worked by hand
TRAIN_SUBS = [([10.0, 20.0], [10.0, 20.0]), ([15.0], [np.nan])]  # 3rd entry: observer 2's only fix_y is NaN


def _dataset(tmp_path) -> Path:
    root = tmp_path / "data"
    _write_osie(root / "osie", {TRAIN[0]: [([8.0, 9.0], [8.0, 9.0])], TEST[0]: TEST_SUBS, TRAIN[1]: TRAIN_SUBS})
    return root


def test_nonfinite_osie_fixation_is_counted_named_and_nss_uses_the_finite_points(tmp_path, capsys):
    from saliency.cli import main

    root = _dataset(tmp_path)
    pred = tmp_path / "pred"
    pred.mkdir()
    rng = np.random.default_rng(3)
    sal = rng.integers(0, 256, (H, W)).astype(np.uint8)
    import cv2

    cv2.imwrite(str(pred / f"{TEST[0]}.png"), sal)
    out = tmp_path / "r.json"
    rc = main(["eval", "--dataset", "OSIE", "--root", str(root), "--split", "test", "--pred", f"m={pred}",
               "--metrics", "NSS", "--json", str(out), "--quiet"])
    assert rc == 0
    note = (f"eye/fixations.mat: 1 of the 7 fixations of the 1 test image has a non-finite fix_x or fix_y (on 1 "
            f"image, e.g. fixations(2).subjects(2).fix_x(2), image {TEST[0]}): left out of the fixations scored, "
            "as saliency ingest quarantines it (bad_coordinates)")
    text = capsys.readouterr().out
    assert f"- OSIE (test): {note}\n" in text
    res = json.loads(out.read_text())["results"]
    assert len(res) == 1 and res[0]["n_images"] == 1 and res[0]["n_skipped"] == 0
    s = sal.astype(np.float64)
    z = (s - s.mean()) / s.std(ddof=1)
    want = float(np.mean([z[r, c] for r, c in FINITE_RC]))
    assert res[0]["metrics"]["NSS"] == pytest.approx(want, abs=1e-9)


def test_nonfinite_counts_in_the_loader_for_scoring_training_and_the_centre_bias(tmp_path):
    root = _dataset(tmp_path)
    test = D.published("OSIE", root, "test")
    assert len(test.items[0].points) == 6 and [len(s) for s in test.items[0].subjects] == [3, 2, 1]
    cb = (f"eye/fixations.mat: 1 of the 5 fixations of the 2 training images has a non-finite fix_x or fix_y (on 1 "
          f"image, e.g. fixations(3).subjects(2).fix_y(1), image {TRAIN[1]}): left out of the centre bias (the IG "
          "baseline) fitted to them, as saliency ingest quarantines it (bad_coordinates)")
    assert cb in test.notes and sum("non-finite" in n for n in test.notes) == 2
    train = D.published("OSIE", root, "train", baseline=False)  # what saliency train --dataset OSIE reads
    assert [n for n in train.notes if "non-finite" in n] == [
        f"eye/fixations.mat: 1 of the 5 fixations of the 2 train images has a non-finite fix_x or fix_y (on 1 "
        f"image, e.g. fixations(3).subjects(2).fix_y(1), image {TRAIN[1]}): left out of the fixations and human "
        "maps, as saliency ingest quarantines it (bad_coordinates)"]
    from saliency.datasets import find_named

    assert any("non-finite" in n for n in find_named("OSIE", root, "fixation", "train").notes)
    entries: dict = {}
    D.read_osie(root / "osie" / "eye" / "fixations.mat", entries)
    assert entries == {TRAIN[0]: 1, TEST[0]: 2, TRAIN[1]: 3}


def test_gold_standard_refusal_names_osie_only_on_an_ingest_folder(tmp_path, capsys):
    """An ingest-layout folder (fixations/, maps/, fixations.csv of 3 subjects) was told it has no per-observer data."""
    import cv2

    from saliency.cli import main

    d = tmp_path / "fix_s"
    (d / "fixations").mkdir(parents=True)
    (d / "maps").mkdir()
    fx = np.zeros((H, W), np.uint8)
    fx[[3, 10, 20], [5, 30, 12]] = 255
    cv2.imwrite(str(d / "fixations" / "a.png"), fx)
    cv2.imwrite(str(d / "maps" / "a.png"), cv2.GaussianBlur(fx, (0, 0), 3))
    (d / "fixations.csv").write_text("subject,stimulus,x,y\nsub01,a.png,5,3\nsub02,a.png,30,10\nsub03,a.png,12,20\n")
    rc = main(["eval", "--task", "fixation", "--gt", str(d), "--pred", str(d / "maps"), "--gold-standard", "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err == ("saliency eval: error: --gold-standard is computed for --dataset OSIE only (its fixations are read "
                   "per observer); those of fix_s are not: leave the option out for it (saliency ingest prints the "
                   "inter-observer consistency of the fixations it reads)\n")
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "--dataset OSIE only, whose fixations are read per observer" in helptext


def test_an_image_listed_twice_is_refused_naming_both_entries(tmp_path):
    import scipy.io

    from saliency.base.errors import UserError

    cells = np.empty((3, 1), dtype=object)
    for i, img in enumerate(["1001.jpg", "1002.jpg", "1001.jpg"]):  # the third entry repeats the first image
        sc = np.empty((1, 1), dtype=object)
        sc[0, 0] = {"fix_x": np.array([5.0 + i]), "fix_y": np.array([6.0]), "fix_duration": np.array([200.0])}
        cells[i, 0] = {"img": img, "subjects": sc}
    path = tmp_path / "fixations.mat"
    scipy.io.savemat(str(path), {"fixations": cells})
    with pytest.raises(UserError) as exc:
        D.read_osie(path)
    assert str(exc.value) == (f"{path}: fixations(3) names the image 1001.jpg again (also fixations(1)); OSIE "
                              "lists each image once: fix or replace the file")

"""Review 26: what a fixation folder leaves out is named truly, and what it cannot tell apart is refused.

- ``train --task fixation`` named no human map that has neither an image nor
  fixations (47c2a5d passed the kept items to the note), and called an image
  with a human map but no fixation points one with "no fixation map";
- two ground-truth files of one name in a fixation folder (``maps/a.jpg`` and
  ``maps/a.png``, ``a_fixMap.jpg`` and ``a_fixMap.png``) let one silently win,
  in eval and train; an SOD folder refuses them, naming both;
- a SALICON ``maps/`` file the fixations JSON does not list was ignored (its
  prediction called one "without a ground truth"); it is now scored with CC,
  KLD and SIM as a map without fixations is in the other layouts;
- ``eval --center-bias`` was accepted where no score reads it (no IG, or human
  maps only), a note even naming it as the IG baseline;
- ``ALLFIXATIONMAPS/zz_fixMap.txt`` was read as a map;
- an ingest folder with an empty ``fixations/`` trained every target from the
  maps without a word.
"""

from __future__ import annotations

import json
import re

import cv2
import numpy as np
import pytest
import scipy.io

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.datasets import find_fixation
from saliency.eval.datasets import fixation_folder

H, W = 6, 8
FIX = {"a": [(1, 2), (4, 5)], "b": [(2, 1), (3, 6), (5, 7)], "f": [(0, 0)]}
MAPS = {k: np.random.default_rng(i).integers(0, 256, (H, W)).astype(np.uint8) for i, k in enumerate("abcx")}
PRED = {k: np.random.default_rng(10 + i).integers(0, 256, (H, W)).astype(np.uint8) for i, k in enumerate("abcx")}


def _png(path, arr):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


def _fixmap(k):
    m = np.zeros((H, W), np.uint8)
    for r, c in FIX[k]:
        m[r, c] = 255
    return m


def _stimulus(path):
    _png(path, np.full((H, W, 3), 90, np.uint8))


def _layout(root, layout, fix=("a", "b"), maps=("a", "b", "c"), images=("a", "b", "c")):
    """A fixation folder of ``layout``: fixations of ``fix``, human maps of ``maps``, stimuli of ``images``."""
    if layout == "ingest":
        (root / "fixations").mkdir(parents=True)
        for k in fix:
            _png(root / "fixations" / f"{k}.png", _fixmap(k))
        for k in maps:
            _png(root / "maps" / f"{k}.png", MAPS[k])
        stim = root / "stimuli"
    elif layout == "fixationlocs":  # MIT / CAT2000: FIXATIONLOCS/*.mat + FIXATIONMAPS/
        base = root / "trainSet"
        (base / "FIXATIONLOCS").mkdir(parents=True)
        for k in fix:
            scipy.io.savemat(base / "FIXATIONLOCS" / f"{k}.mat", {"fixLocs": (_fixmap(k) > 0).astype(np.uint8)})
        for k in maps:
            _png(base / "FIXATIONMAPS" / f"{k}.png", MAPS[k])
        stim = base / "Stimuli"
    else:  # MIT1003: ALLSTIMULI + ALLFIXATIONMAPS/<name>_fixPts, <name>_fixMap
        allm = root / "ALLFIXATIONMAPS"
        allm.mkdir(parents=True)
        for k in fix:
            _png(allm / f"{k}_fixPts.png", _fixmap(k))
        for k in maps:
            _png(allm / f"{k}_fixMap.png", MAPS[k])
        stim = root / "ALLSTIMULI"
    for k in images:
        _stimulus(stim / f"{k}.png")
    return root


LAYOUTS = ("ingest", "fixationlocs", "allfixationmaps")


# ------------------------------------------------------------------ 1 and 2: train's notes
@pytest.mark.parametrize("layout", LAYOUTS)
def test_train_names_a_map_without_image_and_says_a_map_only_image_has_a_map(tmp_path, layout):
    """a, b: fixations + map + image; c: map + image, no fixations; x: map only, no image; f: fixations only, no
    image; d: image only."""
    root = _layout(tmp_path / "d", layout, fix=("a", "b", "f"), maps=("a", "b", "c", "x"),
                   images=("a", "b", "c", "d"))
    idx = find_fixation(root)
    assert [r.key for r in idx.records] == ["a", "b"]
    assert "2 fixation map(s) have no image and are left out (e.g. f, x)" in idx.notes  # 47c2a5d: x not named
    assert "1 of 4 images have a human map but no fixation points and are left out of training (e.g. c)" in idx.notes
    assert "1 of 4 images have no fixation map and are left out (e.g. d)" in idx.notes  # d alone: c has a map
    assert not any("no fixation map" in n and "c" in n.split("(e.g. ", 1)[-1] for n in idx.notes), idx.notes


# ------------------------------------------------------------------ 3: two files of one name
DUPLICATES = {  # layout, the second file of the name, the two names the refusal gives
    "ingest maps": ("ingest", "maps/a.jpg", ("a.jpg", "a.png")),
    "ingest fixations": ("ingest", "fixations/a.bmp", ("a.bmp", "a.png")),
    "FIXATIONMAPS": ("fixationlocs", "trainSet/FIXATIONMAPS/a.jpg", ("a.jpg", "a.png")),
    "_fixMap": ("allfixationmaps", "ALLFIXATIONMAPS/a_fixMap.jpg", ("a_fixMap.jpg", "a_fixMap.png")),
    "_fixPts": ("allfixationmaps", "ALLFIXATIONMAPS/a_fixPts.bmp", ("a_fixPts.bmp", "a_fixPts.png")),
}


def _with_duplicate(tmp_path, case):
    layout, extra, names = DUPLICATES[case]
    root = _layout(tmp_path / "d", layout)
    _png(root / extra, _fixmap("a"))  # refused whatever it holds
    return root, names


@pytest.mark.parametrize("case", sorted(DUPLICATES))
def test_eval_refuses_two_ground_truth_files_of_one_name(tmp_path, capsys, case):
    root, (first, second) = _with_duplicate(tmp_path, case)
    pr = tmp_path / "pr"
    for k in "abc":
        _png(pr / f"{k}.png", PRED[k])
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "fixation", "--gt", str(root), "--pred", f"M={pr}", "--json", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("saliency eval: error: --gt "), err
    assert f"{first} and {second} share the name" in err[0] and "rename or move one of them" in err[0], err
    assert not out.exists()


@pytest.mark.parametrize("case", sorted(DUPLICATES))
def test_train_reader_refuses_two_ground_truth_files_of_one_name(tmp_path, case):
    root, (first, second) = _with_duplicate(tmp_path, case)
    with pytest.raises(UserError, match=rf"^`?data`? .*: {re.escape(first)} and {re.escape(second)} share the name"):
        find_fixation(root)


def test_train_command_refuses_them_before_writing(tmp_path, capsys):
    root, _ = _with_duplicate(tmp_path, "ingest maps")
    run = tmp_path / "run"
    assert main(["train", "--task", "fixation", "--data", str(root), "--out", str(run), "--epochs", "1",
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"saliency train: error: --data {root / 'maps'}: a.jpg and a.png share the name 'a', so which "
                   "one is meant cannot be told; rename or move one of them"]
    assert not run.exists()


def test_salicon_maps_of_one_name_are_refused(tmp_path):
    root = _salicon(tmp_path / "s", maps="ab")
    _png(root / "maps" / "a.jpg", MAPS["b"])
    with pytest.raises(UserError, match=r"a\.jpg and a\.png share the name 'a'"):
        fixation_folder(root)


# ------------------------------------------------------------------ 4: SALICON map without a JSON entry
def _salicon_json(path, keys):
    images = [{"id": i + 1, "file_name": f"{k}.jpg", "width": W, "height": H} for i, k in enumerate(keys)]
    anns = [{"image_id": i + 1, "fixations": [[r + 1, c + 1] for r, c in FIX[k]]} for i, k in enumerate(keys)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"images": images, "annotations": anns}))


def _salicon(root, maps="abx"):
    """The JSON lists a and b; maps/ holds ``maps`` (x: a map the JSON does not list)."""
    _salicon_json(root / "fixations_val.json", "ab")
    for k in maps:
        _png(root / "maps" / f"{k}.png", MAPS[k])
    return root


def test_eval_scores_a_salicon_map_the_json_does_not_list(tmp_path, capsys):
    gt = _salicon(tmp_path / "sal")
    pr = tmp_path / "pr"
    for k in "abx":  # a, b: the human map itself (CC 1); x: another map, CC by numpy below
        _png(pr / f"{k}.png", MAPS[k] if k != "x" else PRED["x"])
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pr}", "--metrics", "CC,NSS",
                 "--json", str(out), "--quiet"]) == 0
    doc = json.loads(out.read_text())
    r = doc["results"][0]
    assert r["n_images"] == 3 and r["extra_predictions"] == [] and r["excluded"] == {"NSS": 1}
    cc_x = np.corrcoef(PRED["x"].astype(float).ravel(), MAPS["x"].astype(float).ravel())[0, 1]
    assert np.isclose(r["metrics"]["CC"], (1 + 1 + cc_x) / 3, rtol=0, atol=1e-12)
    assert any("1 image(s) have a human map but no fixation points (e.g. x): only CC, KLD, SIM are scored" in n
               for n in doc["notes"]), doc["notes"]


def test_train_leaves_out_a_salicon_map_the_json_does_not_list_and_names_it(tmp_path):
    root = tmp_path / "S"
    _salicon_json(root / "fixations_train2014.json", "ab")
    for k in "abx":
        _stimulus(root / "images" / "train" / f"{k}.jpg")
        _png(root / "maps" / "train" / f"{k}.png", MAPS[k])
    _png(root / "maps" / "train" / "y.png", MAPS["c"])  # no image, no JSON entry
    idx = find_fixation(root)
    assert [r.key for r in idx.records] == ["a", "b"]
    assert ("1 of 3 images have a human map but no entry in the fixations JSON and are left out of training "
            "(e.g. x)") in idx.notes
    assert "1 map or fixation(s) have no image and are left out (e.g. y)" in idx.notes
    assert not any("have no map or fixation" in n for n in idx.notes), idx.notes


# ------------------------------------------------------------------ 5: --center-bias that nothing reads
def _eval(tmp_path, gt, *extra):
    pr = tmp_path / "pr"
    for k in "abc":
        _png(pr / f"{k}.png", PRED[k])
    cb = tmp_path / "cb.png"
    _png(cb, np.full((H, W), 128, np.uint8))
    out = tmp_path / "r.json"
    rc = main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pr}", "--center-bias", str(cb),
               "--json", str(out), "--quiet", *extra])
    return rc, cb, out


def test_center_bias_without_a_metric_that_reads_it_is_refused(tmp_path, capsys):
    gt = _layout(tmp_path / "d", "ingest")
    rc, cb, out = _eval(tmp_path, gt, "--metrics", "CC,NSS,LL")
    assert rc == 2 and not out.exists()
    assert capsys.readouterr().err.strip().splitlines() == [
        f"saliency eval: error: --center-bias {cb}: not used: no metric of this run reads the IG baseline (only IG "
        "does, and sAUC with --metric-maps); leave it out"]
    # where a metric reads it, it is taken as before: the default metrics (IG among them), IG, sAUC's metric map
    for extra in ((), ("--metrics", "IG"), ("--metrics", "CC,sAUC", "--metric-maps")):
        rc, cb, out = _eval(tmp_path, gt, *extra)
        assert rc == 0, capsys.readouterr().err
        notes = json.loads(out.read_text())["notes"]
        assert any(n.startswith(f"d: IG baseline = centre bias from {cb};") for n in notes), notes


def test_center_bias_on_human_maps_only_is_refused(tmp_path, capsys):
    gt = tmp_path / "m"
    for k in "abc":
        _png(gt / "maps" / f"{k}.png", MAPS[k])
    rc, cb, out = _eval(tmp_path, gt)  # the default metrics: IG among them, but nothing to score it on
    assert rc == 2 and not out.exists()
    assert capsys.readouterr().err.strip().splitlines() == [
        f"saliency eval: error: --center-bias {cb}: not used: no dataset of this run has fixation points for IG "
        "(human maps only: CC, KLD and SIM are scored); leave it out"]



# ------------------------------------------------------------------ 6: ALLFIXATIONMAPS/*_fixMap.txt
def test_mit1003_pattern_file_of_another_extension_is_counted_not_read(tmp_path):
    root = _layout(tmp_path / "m", "allfixationmaps")
    allm = root / "ALLFIXATIONMAPS"
    (allm / "zz_fixMap.txt").write_text("not a map")
    (allm / "zz_fixPts.csv").write_text("x,y")
    ds = fixation_folder(root)
    assert [it.key for it in ds.items] == ["a", "b", "c"]
    assert (f"{allm}: 2 file(s) left out: not an image extension (.csv, .txt; e.g. zz_fixMap.txt); accepted: "
            ".png .jpg .jpeg .bmp .tif .tiff .webp .pgm .ppm (and .mat for _fixPts, .npy for _fixMap)") in ds.notes


# ------------------------------------------------------------------ 7: an empty fixations/
def test_train_on_an_empty_fixations_folder_says_the_targets_come_from_the_maps(tmp_path):
    root = _layout(tmp_path / "d", "ingest", fix=())
    idx = find_fixation(root)
    assert [r.key for r in idx.records] == ["a", "b", "c"] and all(r.fixations == "" for r in idx.records)
    assert (f"no fixation points in {root} (human maps only): fixated pixels = top of each human map "
            "(data.fixation_top)") in idx.notes
    # beside fixations, the note is not given (c is left out instead)
    assert not any(n.startswith("no fixation points") for n in find_fixation(
        _layout(tmp_path / "e", "ingest")).notes)

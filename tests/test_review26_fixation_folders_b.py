"""Review 26 (b): what c1219ff left of the fixation folders' unsaid leavings.

- a sub-folder of MIT1003's ``ALLFIXATIONMAPS`` (``sub/k_fixPts.png``) was
  skipped without a word, by eval and by training; its files are now counted
  and named as the other files left out of that folder are;
- training on SALICON (``images/train`` + ``maps/train`` + a fixations JSON)
  did not name the files of other extensions in ``maps/train``; ``saliency
  eval`` names them, and training now says the same line;
- eval's notes said "IG baseline = Gaussian centre bias" for a dataset on
  which nothing reads the baseline (human maps only, or no metric that reads
  it); the note now says it only where IG (or sAUC's metric map, or the gold
  standard) is scored on the dataset.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from saliency.cli import main
from saliency.datasets import find_fixation
from saliency.eval import benchmark
from saliency.eval.datasets import fixation_folder

H, W = 6, 8
FIX = {"a": [(1, 2), (4, 5)], "b": [(2, 1), (3, 6), (5, 7)]}
MAPS = {k: np.random.default_rng(i).integers(0, 256, (H, W)).astype(np.uint8) for i, k in enumerate("abck")}
PRED = {k: np.random.default_rng(10 + i).integers(0, 256, (H, W)).astype(np.uint8) for i, k in enumerate("abc")}
ACCEPTED = ".png .jpg .jpeg .bmp .tif .tiff .webp .pgm .ppm .npy"


def _png(path, arr):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


def _fixmap(k):
    m = np.zeros((H, W), np.uint8)
    for r, c in FIX.get(k, [(0, 0)]):
        m[r, c] = 255
    return m


def _preds(tmp_path, keys="abc"):
    pr = tmp_path / "pr"
    for k in keys:
        _png(pr / f"{k}.png", PRED[k])
    return pr


# ------------------------------------------------------------------ 1: a sub-folder of ALLFIXATIONMAPS
def _mit1003(root):
    """a, b: _fixPts + _fixMap + stimulus; sub/k_fixPts.png, sub/k_fixMap.png and sub/deeper/n.txt: in sub-folders."""
    allm = root / "ALLFIXATIONMAPS"
    for k in "ab":
        _png(allm / f"{k}_fixPts.png", _fixmap(k))
        _png(allm / f"{k}_fixMap.png", MAPS[k])
        _png(root / "ALLSTIMULI" / f"{k}.png", np.full((H, W, 3), 90, np.uint8))
    _png(allm / "sub" / "k_fixPts.png", _fixmap("k"))
    _png(allm / "sub" / "k_fixMap.png", MAPS["k"])
    (allm / "sub" / "deeper").mkdir()
    (allm / "sub" / "deeper" / "n.txt").write_text("notes")
    (allm / ".cache").mkdir()  # hidden: never data, not named (as walk_files skips it)
    (allm / ".cache" / "x_fixMap.png").write_bytes(b"")
    return root, allm


FLAT = ("MIT1003's ALLFIXATIONMAPS is read flat (<name>_fixPts and <name>_fixMap side by side): move them up, or "
        "out of it")


def _sub_note(allm):
    return (f"{allm}: 3 file(s) left out: in 1 sub-folder(s) (sub/; e.g. sub/deeper/n.txt); {FLAT}")


def test_eval_names_the_files_of_a_sub_folder_of_allfixationmaps(tmp_path):
    root, allm = _mit1003(tmp_path / "MIT")
    ds = fixation_folder(root)
    assert [it.key for it in ds.items] == ["a", "b"]
    assert _sub_note(allm) in ds.notes, ds.notes
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "fixation", "--gt", str(root), "--pred", f"M={_preds(tmp_path, 'ab')}",
                 "--metrics", "CC,NSS", "--json", str(out), "--quiet"]) == 0
    assert f"MIT: {_sub_note(allm)}" in json.loads(out.read_text())["notes"]


def test_train_names_the_files_of_a_sub_folder_of_allfixationmaps(tmp_path):
    root, allm = _mit1003(tmp_path / "MIT")
    idx = find_fixation(root)
    assert [r.key for r in idx.records] == ["a", "b"]
    assert _sub_note(allm) in idx.notes, idx.notes


def test_an_empty_sub_folder_is_named_too(tmp_path):
    root, allm = _mit1003(tmp_path / "MIT")
    (allm / "empty").mkdir()
    ds = fixation_folder(root)
    assert f"{allm}: 3 file(s) left out: in 2 sub-folder(s) (empty/, sub/; e.g. sub/deeper/n.txt); {FLAT}" in ds.notes
    (allm / "sub" / "k_fixPts.png").unlink()
    (allm / "sub" / "k_fixMap.png").unlink()
    (allm / "sub" / "deeper" / "n.txt").unlink()
    assert f"{allm}: 0 file(s) left out: in 2 sub-folder(s) (empty/, sub/); {FLAT}" in fixation_folder(root).notes


# ------------------------------------------------------------------ 2: SALICON training names maps/train's others
def _salicon_json(path, keys):
    images = [{"id": i + 1, "file_name": f"{k}.jpg", "width": W, "height": H} for i, k in enumerate(keys)]
    anns = [{"image_id": i + 1, "fixations": [[r + 1, c + 1] for r, c in FIX[k]]} for i, k in enumerate(keys)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"images": images, "annotations": anns}))


def test_salicon_training_names_the_files_of_other_extensions_in_its_maps_as_eval_does(tmp_path):
    root = tmp_path / "S"
    _salicon_json(root / "fixations_train2014.json", "ab")
    maps = root / "maps" / "train"
    for k in "ab":
        _png(root / "images" / "train" / f"{k}.jpg", np.full((H, W, 3), 90, np.uint8))
        _png(maps / f"{k}.png", MAPS[k])
    (maps / "a.gif").write_bytes(b"GIF89a")
    (maps / "readme.txt").write_text("maps")
    note = (f"{maps}: 2 file(s) left out: not an image extension (.gif, .txt; e.g. a.gif); accepted: {ACCEPTED}")
    idx = find_fixation(root)
    assert [r.key for r in idx.records] == ["a", "b"]
    assert note in idx.notes, idx.notes
    # eval's line for the same folder (a SALICON folder whose maps/ is that folder) is the same one
    val = tmp_path / "V"
    _salicon_json(val / "fixations_val.json", "ab")
    (val / "maps").symlink_to(maps, target_is_directory=True)
    assert f"{val / 'maps'}: 2 file(s) left out: not an image extension (.gif, .txt; e.g. a.gif); accepted: " \
           f"{ACCEPTED}" in fixation_folder(val).notes


# ------------------------------------------------------------------ 3: "IG baseline =" only where it is read
def _eval_notes(tmp_path, gt, *extra):
    out = tmp_path / "r.json"
    out.unlink(missing_ok=True)
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={_preds(tmp_path)}", "--json",
                 str(out), "--quiet", *extra]) == 0
    return json.loads(out.read_text())["notes"]


def _ingest(root, fix="ab"):
    (root / "fixations").mkdir(parents=True)
    for k in fix:
        _png(root / "fixations" / f"{k}.png", _fixmap(k))
    for k in "abc":
        _png(root / "maps" / f"{k}.png", MAPS[k])
    return root


RESIZED = ("predictions resized to the fixation map by bilinear interpolation (a log-density shrunk by area "
           "averaging, its mass kept)")


def test_no_ig_baseline_note_on_human_maps_only(tmp_path):
    gt = tmp_path / "m"
    for k in "abc":
        _png(gt / "maps" / f"{k}.png", MAPS[k])
    notes = _eval_notes(tmp_path, gt)  # the default metrics, IG among them: nothing to score it on
    assert not any("IG baseline" in n for n in notes), notes
    assert f"m: {RESIZED}" in notes  # the resizing is still said


def test_no_ig_baseline_note_when_no_metric_reads_it(tmp_path):
    gt = _ingest(tmp_path / "d")
    for metrics in (("--metrics", "CC,NSS,LL"), ("--metrics", "sAUC")):  # sAUC reads it with --metric-maps only
        notes = _eval_notes(tmp_path, gt, *metrics)
        assert not any("IG baseline" in n for n in notes), (metrics, notes)
        assert f"d: {RESIZED}" in notes
    # where IG, or sAUC's metric map, is scored, it is said as before
    for metrics in ((), ("--metrics", "IG"), ("--metrics", "sAUC", "--metric-maps")):
        notes = _eval_notes(tmp_path, gt, *metrics)
        assert f"d: IG baseline = Gaussian centre bias (sigma = 1/4 of width and height; a density as it is, not min-maxed); {RESIZED}" in notes, notes


def test_ig_baseline_note_only_for_the_dataset_that_reads_it(tmp_path):
    pts = _ingest(tmp_path / "pts")
    flat = tmp_path / "flat"
    for k in "abc":
        _png(flat / "maps" / f"{k}.png", MAPS[k])
    cfg = tmp_path / "bench.json"
    cfg.write_text(json.dumps({"task": "fixation", "datasets": {"P": str(pts), "F": str(flat)},
                               "methods": {"M": str(_preds(tmp_path))}}))
    lines = benchmark.note_lines(benchmark.plan(config=str(cfg), metrics="CC,IG"))
    assert f"P: IG baseline = Gaussian centre bias (sigma = 1/4 of width and height; a density as it is, not min-maxed); {RESIZED}" in lines, lines
    assert f"F: {RESIZED}" in lines and not any(n.startswith("F: IG baseline") for n in lines), lines


# ------------------------------------------------------------------ 4: the split of eval/datasets.py
def test_the_fixation_folders_module_is_re_exported_by_eval_datasets():
    """Every name moved out of eval.datasets (the private ones too) is still imported from it, the same object."""
    from saliency.eval import datasets, fixation_folders, ground_truth

    moved = {ground_truth: ("GTItem", "GTDataset", "CENTER_BIAS_GAUSSIAN", "MAP_ONLY_METRICS"),
             fixation_folders: ("fixation_folder", "salicon_items", "salicon_maps", "salicon_val", "SALICON_BLUR",
                                "SALICON_SIGMA_PX", "_find_json", "_ingest_blur", "_ingest_sigma", "_map_only_notes",
                                "_mit1003_files", "_mit1003_sub_folders", "_same_stem", "_stems", "_with_maps_only")}
    for mod, names in moved.items():
        for name in names:
            assert getattr(datasets, name) is getattr(mod, name), name
    assert fixation_folders.fixation_folder.__module__ == "saliency.eval.fixation_folders"
    assert datasets.GTItem.__module__ == "saliency.eval.ground_truth"

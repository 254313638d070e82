"""Review 25: fixation ground-truth folders keep every human map and count every file they leave out.

An image with a human map but no fixation points (ingest ``maps/c.png``
without ``fixations/c.png``; MIT1003 ``i2_fixMap`` without ``i2_fixPts``;
CAT2000 FIXATIONMAPS without FIXATIONLOCS) was dropped and its prediction
called "without a ground truth"; it is now scored with CC, KLD and SIM and
the point metrics are counted as left out on it. A file of another extension
in a fixation folder is counted in a note, as in an SOD mask folder. ``--seed``
on a run whose datasets have no fixation points (nothing draws negatives) is
refused in one line.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from saliency.cli import main

IMG = ".png .jpg .jpeg .bmp .tif .tiff .webp .pgm .ppm"

# 4x5 maps written as lossless PNG: the oracles below read nothing back but these arrays
FIX = {"a": [(0, 1), (2, 3)], "b": [(1, 0), (3, 4), (2, 2)], "c": [(1, 1)]}
MAPS = {k: np.random.default_rng(i).integers(0, 256, (4, 5)).astype(np.uint8) for i, k in enumerate("abc")}
PRED = {k: np.random.default_rng(10 + i).integers(0, 256, (4, 5)).astype(np.uint8) for i, k in enumerate("abc")}


def _fixmap(name: str) -> np.ndarray:
    m = np.zeros((4, 5), np.uint8)
    for r, c in FIX[name]:
        m[r, c] = 255
    return m


def _pearson(a, b) -> float:
    return float(np.corrcoef(np.asarray(a, float).ravel(), np.asarray(b, float).ravel())[0, 1])


def _nss(pred, name) -> float:
    s = pred.astype(float)
    z = (s - s.mean()) / s.std(ddof=1)  # MIT NSS.m: MATLAB std (n - 1)
    return float(np.mean([z[r, c] for r, c in FIX[name]]))


def _preds(tmp_path, stem=lambda k: k):
    pr = tmp_path / "pr"
    pr.mkdir()
    for k, p in PRED.items():
        cv2.imwrite(str(pr / f"{stem(k)}.png"), p)
    return pr


def _ingest(tmp_path):
    """a and b: fixations + map; c: map only."""
    d = tmp_path / "ing"
    (d / "fixations").mkdir(parents=True)
    (d / "maps").mkdir()
    for k in "abc":
        if k != "c":
            cv2.imwrite(str(d / "fixations" / f"{k}.png"), _fixmap(k))
        cv2.imwrite(str(d / "maps" / f"{k}.png"), MAPS[k])
    return d


def _result(path):
    return json.loads(path.read_text())["results"][0]


def test_ingest_map_without_fixations_is_scored_not_dropped(tmp_path, capsys):
    gt, pr = _ingest(tmp_path), _preds(tmp_path)
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pr}", "--metrics", "CC,NSS",
                 "--json", str(out), "--quiet"]) == 0
    r = _result(out)
    assert r["n_images"] == 3 and r["extra_predictions"] == [] and r["excluded"] == {"NSS": 1}
    # CC over all three images (c by its map alone), NSS over the two with fixations: numpy oracles
    assert np.isclose(r["metrics"]["CC"], np.mean([_pearson(PRED[k], MAPS[k]) for k in "abc"]), rtol=0, atol=1e-12)
    assert np.isclose(r["metrics"]["NSS"], np.mean([_nss(PRED[k], k) for k in "ab"]), rtol=0, atol=1e-12)
    lines = capsys.readouterr().out.splitlines()
    assert "- M: 3 images, NSS left out on 1 image(s)" in lines
    assert ("- ing: 1 image(s) have a human map but no fixation points (e.g. c): only CC, KLD, SIM are scored "
            "on them; the other metrics are left out on them") in lines
    assert not any("without a ground truth" in ln for ln in lines)


def test_mit1003_fixmap_without_fixpts_is_scored_not_dropped(tmp_path):
    allm = tmp_path / "MIT1003" / "ALLFIXATIONMAPS"
    allm.mkdir(parents=True)
    names = {"a": "i1", "b": "i2", "c": "i3"}
    for k, n in names.items():
        if n != "i2":
            cv2.imwrite(str(allm / f"{n}_fixPts.png"), _fixmap(k))
        cv2.imwrite(str(allm / f"{n}_fixMap.png"), MAPS[k])
    pr = _preds(tmp_path, stem=names.get)
    out = tmp_path / "o.json"
    assert main(["eval", "--dataset", "MIT1003", "--root", str(tmp_path), "--pred", f"M={pr}", "--metrics", "CC,NSS",
                 "--json", str(out), "--quiet"]) == 0
    r = _result(out)
    assert (r["n_images"], r["skipped_images"], r["extra_predictions"], r["excluded"]) == (3, [], [], {"NSS": 1})
    assert np.isclose(r["metrics"]["CC"], np.mean([_pearson(PRED[k], MAPS[k]) for k in "abc"]), rtol=0, atol=1e-12)
    assert np.isclose(r["metrics"]["NSS"], np.mean([_nss(PRED[k], k) for k in "ac"]), rtol=0, atol=1e-12)


def test_cat2000_fixationmap_without_locs_is_a_map_only_item(tmp_path):
    from scipy.io import savemat

    from saliency.eval.datasets import fixation_folder

    ts = tmp_path / "CAT2000" / "trainSet"
    (ts / "FIXATIONLOCS" / "Art").mkdir(parents=True)
    (ts / "FIXATIONMAPS" / "Art").mkdir(parents=True)
    savemat(str(ts / "FIXATIONLOCS" / "Art" / "001.mat"), {"fixLocs": _fixmap("a") > 0})
    (ts / "FIXATIONLOCS" / "Art" / "notes.txt").write_text("x")
    for n in ("001", "002"):
        cv2.imwrite(str(ts / "FIXATIONMAPS" / "Art" / f"{n}.png"), MAPS["a"])
    ds = fixation_folder(tmp_path / "CAT2000")
    assert [(it.key, bool(it.gt), it.density is not None) for it in ds.items] == [("Art/001", True, True),
                                                                                 ("Art/002", False, True)]
    assert ds.notes == [
        f"{ts / 'FIXATIONLOCS'}: 1 file(s) left out: not a .mat file (.txt; e.g. Art/notes.txt); accepted: .mat",
        "1 image(s) have a human map but no fixation points (e.g. Art/002): only CC, KLD, SIM are scored on them; "
        "the other metrics are left out on them"]


def test_stray_file_in_a_fixation_gt_folder_is_counted(tmp_path, capsys):
    gt, pr = _ingest(tmp_path), _preds(tmp_path)
    (gt / "fixations" / "d.gif").write_bytes(b"GIF89a")
    (gt / "maps" / "e.txt").write_text("x")
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pr}", "--metrics", "CC",
                 "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (f"- ing: {gt / 'fixations'}: 1 file(s) left out: not an image extension (.gif; e.g. d.gif); "
            f"accepted: {IMG}") in lines
    assert (f"- ing: {gt / 'maps'}: 1 file(s) left out: not an image extension (.txt; e.g. e.txt); "
            f"accepted: {IMG} .npy") in lines


def test_mit1003_file_of_neither_pattern_is_counted(tmp_path):
    from saliency.eval.datasets import fixation_folder

    allm = tmp_path / "ALLFIXATIONMAPS"
    allm.mkdir()
    cv2.imwrite(str(allm / "i1_fixPts.png"), _fixmap("a"))
    cv2.imwrite(str(allm / "i1_fixMap.png"), MAPS["a"])
    cv2.imwrite(str(allm / "i1.png"), MAPS["a"])  # neither pattern: not read, counted
    ds = fixation_folder(tmp_path)
    assert [it.key for it in ds.items] == ["i1"]
    assert ds.notes == [f"{allm}: 1 file(s) left out: not <name>_fixPts or <name>_fixMap (e.g. i1.png)"]


def test_eval_seed_on_maps_only_dataset_is_refused(tmp_path, capsys):
    gt = tmp_path / "gt"
    (gt / "maps").mkdir(parents=True)
    pr = tmp_path / "pr"
    pr.mkdir()
    for k in "ab":
        cv2.imwrite(str(gt / "maps" / f"{k}.png"), MAPS[k])
        cv2.imwrite(str(pr / f"{k}.png"), MAPS[k])
    out = tmp_path / "out.json"
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pr}", "--seed", "5", "--json",
                 str(out), "--quiet"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "saliency eval: error: --seed 5: not used: no dataset of this run has fixation points for AUC_Borji and "
        "sAUC; leave it out"]
    assert not out.exists()
    # without it the run scores as before: a prediction equal to the human map has CC 1 (closed form)
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pr}", "--json", str(out),
                 "--quiet"]) == 0
    assert np.isclose(_result(out)["metrics"]["CC"], 1.0, rtol=0, atol=1e-12)


def test_eval_seed_with_fixation_points_is_still_accepted(tmp_path):
    gt, pr = _ingest(tmp_path), _preds(tmp_path)
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pr}", "--metrics", "AUC_Borji",
                 "--seed", "5", "--json", str(out), "--quiet"]) == 0
    r = _result(out)
    assert r["n_images"] == 3 and r["excluded"] == {"AUC_Borji": 1}  # c: a map only, no fixations to rank

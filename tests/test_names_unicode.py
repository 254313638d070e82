"""Names as labs have them: one name in Unicode NFC and NFD, and subject ids that look like 'missing'.

macOS writes file names decomposed (NFD); a stimulus column, trials table or
mask folder made elsewhere holds the composed form (NFC). Oracle: the two
forms are the same name (``unicodedata.normalize``), so every row and every
pair is kept; ``NA`` and ``None`` in a subject column are observers.
"""

from __future__ import annotations

import json
import unicodedata

import cv2
import numpy as np
import pandas as pd

from saliency.cli import main

NFC = unicodedata.normalize("NFC", "café")
NFD = unicodedata.normalize("NFD", "café")


def _img(path, value=128, size=(40, 30)):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((size[1], size[0]), value, np.uint8))


def _ingest(tmp_path, log, *extra):
    return main(["ingest", str(log), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"),
                 "--sigma-px", "2", "--no-ioc", "--quiet", *extra])


def test_a_stimulus_named_in_nfd_on_disk_is_found_by_its_nfc_name_in_the_log(tmp_path, capsys):
    assert NFC != NFD
    _img(tmp_path / "stim" / f"{NFD}.png")
    _img(tmp_path / "stim" / "b.png")
    log = tmp_path / "fix.csv"
    pd.DataFrame({"subject": "s1", "stimulus": [f"{NFC}.png"] * 3 + ["b.png"], "x": [5, 10, 15, 20],
                  "y": [5, 10, 15, 20], "duration_ms": 200}).to_csv(log, index=False, encoding="utf-8")
    assert _ingest(tmp_path, log) == 0, capsys.readouterr().err
    rec = json.loads((tmp_path / "d" / "dataset.json").read_text(encoding="utf-8"))
    assert rec["inputs"][0]["rows"]["kept"] == 4 and not rec["inputs"][0]["rows"]["quarantined"]


def test_a_trials_table_in_nfc_serves_a_log_whose_file_name_is_nfd(tmp_path, capsys):
    _img(tmp_path / "stim" / "a.png")
    log = tmp_path / f"J{unicodedata.normalize('NFD', 'ö')}rg.csv"  # the subject is the file stem
    pd.DataFrame({"trial": [1, 1], "x": [5, 10], "y": [5, 10], "duration_ms": 200}).to_csv(log, index=False)
    trials = tmp_path / "trials.csv"
    pd.DataFrame({"subject": ["Jörg"], "trial": [1], "stimulus": ["a.png"]}).to_csv(trials, index=False)
    assert _ingest(tmp_path, log, "--trials", str(trials)) == 0, capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "d" / "fixations.csv")) == 2


def test_masks_in_nfc_pair_with_predictions_named_in_nfd(tmp_path, capsys):
    for d, name in (("gt", NFC), ("pred", NFD)):
        _img(tmp_path / d / f"{name}.png", 255)
        _img(tmp_path / d / "b.png", 0)
    code = main(["eval", "--no-progress", "--task", "sod", "--gt", str(tmp_path / "gt"), "--metrics", "MAE",
                 "--pred", f"M={tmp_path / 'pred'}", "--json", str(tmp_path / "r.json")])
    assert code == 0, capsys.readouterr().err
    r = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert r["n_images"] == 2 and r["metrics"]["MAE"] == 0.0


def test_subjects_na_and_none_are_observers_not_missing(tmp_path, capsys):
    _img(tmp_path / "stim" / "a.png")
    log = tmp_path / "p.csv"
    pd.DataFrame({"subject": ["NA", "NA", "None", "None", "sub03", ""], "stimulus": "a.png",
                  "x": [5, 6, 7, 8, 9, 10], "y": [5, 6, 7, 8, 9, 10], "duration_ms": 200}).to_csv(log, index=False)
    assert _ingest(tmp_path, log) == 0, capsys.readouterr().err
    subjects = pd.read_csv(tmp_path / "d" / "fixations.csv", keep_default_na=False)["subject"]
    # an empty cell in the subject column is missing: that row is quarantined as no_subject (it took the file's
    # subject, its stem, a made-up observer), never filed under another subject
    assert sorted(subjects.unique()) == ["NA", "None", "sub03"]
    quar = pd.read_csv(tmp_path / "d" / "quarantine.csv", keep_default_na=False)
    assert quar["reason"].tolist() == ["no_subject"] and quar["line"].tolist() == [7]


def test_outputs_named_up_to_the_file_systems_limit_are_written(tmp_path, capsys):
    """A 243-byte stimulus name (the file system allows 255): predict and report stopped with 'the name is too
    long', on the hidden temporary name (.NAME.XXXXXXXX.tmp adds 14 bytes; report's gallery_ prefix 8)."""
    from saliency.base.fsutil import short_name

    long = "Ansicht_Straße_" + "é" * 112 + "_v2"  # 15 + 1 + 224 + 3 = 243 bytes in UTF-8
    assert len(long.encode()) == 243
    cut = short_name(long)
    assert len(cut.encode()) <= 96 and cut.startswith("Ansicht_Stra") and short_name("a.png") == "a.png"
    _img(tmp_path / "img" / f"{long}.png", 100, (32, 24))
    assert main(["predict", "--baseline", "gaussian-centre", "--images", str(tmp_path / "img"),
                 "--out", str(tmp_path / "pred"), "--quiet"]) == 0, capsys.readouterr().err
    assert (tmp_path / "pred" / f"{long}.png").is_file()
    assert main(["report", "--images", str(tmp_path / "img"), "--pred", str(tmp_path / "pred"),
                 "--out", str(tmp_path / "rep"), "--quiet"]) == 0, capsys.readouterr().err
    assert len(list((tmp_path / "rep" / "assets").glob("gallery_*.png"))) == 1


def test_a_dataset_named_in_nfd_throughout_still_pairs(tmp_path):
    """Image files, ALLFIXATIONMAPS/<name>_fixPts and _fixMap all in NFD (a macOS volume): the ground truth's keys
    were raw while the images' were NFC, so the pair was lost (training) or refused (eval)."""
    from saliency.datasets import find_dataset

    root = tmp_path / "MIT1003"
    for stem in (NFD, "plain"):
        _img(root / "ALLSTIMULI" / f"{stem}.jpeg")
        _img(root / "ALLFIXATIONMAPS" / f"{stem}_fixPts.png", 0)
        cv2.imwrite(str(root / "ALLFIXATIONMAPS" / f"{stem}_fixPts.png"),
                    np.pad(np.full((1, 1), 255, np.uint8), ((5, 24), (5, 34))))
        _img(root / "ALLFIXATIONMAPS" / f"{stem}_fixMap.png", 200)
    idx = find_dataset(root, "fixation")
    assert sorted(r.key for r in idx.records) == sorted([NFC, "plain"]) and not idx.notes, idx.notes


def test_a_trials_table_keeps_na_and_none_as_observers(tmp_path, capsys):
    # the log's NA and None are observers; the trials table read them as "any subject" ('*'): NA got None's stimuli
    for s in ("a", "b"):
        _img(tmp_path / "stim" / f"{s}.png")
    log = tmp_path / "log.csv"
    pd.DataFrame({"subject": ["NA", "NA", "None", "None"], "trial": [1, 2, 1, 2], "x": [5, 6, 7, 8],
                  "y": [5, 6, 7, 8], "duration_ms": 200}).to_csv(log, index=False)
    trials = tmp_path / "trials.csv"
    trials.write_text("subject,trial,stimulus\nNA,1,a.png\nNA,2,b.png\nNone,1,b.png\nNone,2,a.png\n")
    assert _ingest(tmp_path, log, "--trials", str(trials)) == 0, capsys.readouterr().err
    f = pd.read_csv(tmp_path / "d" / "fixations.csv", keep_default_na=False, dtype=str)
    got = {(s, float(x)): st for s, x, st in zip(f["subject"], f["x"], f["stimulus"])}  # x tells the trial
    assert got == {("NA", 5.0): "a", ("NA", 6.0): "b", ("None", 7.0): "b", ("None", 8.0): "a"}, got

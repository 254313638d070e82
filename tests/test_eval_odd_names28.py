"""``saliency eval``: a --pred folder whose name holds '=', method and dataset names in two Unicode forms, and a
dataset name too long for a curve file name.

Oracles are hand-worked: a prediction equal to its mask has MAE 0, its inverse MAE 1; a file name allows 255 bytes;
a composed and a decomposed ``café`` are one name (Unicode Standard Annex #15).
"""

from __future__ import annotations

import json
import unicodedata

import cv2
import numpy as np

from cli_fakes import refusal, run_cli

CAFE_NFC = unicodedata.normalize("NFC", "café")
CAFE_NFD = unicodedata.normalize("NFD", "café")


def _mask(path, invert=False):
    g = np.zeros((20, 20), np.uint8)
    g[5:15, 5:15] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), 255 - g if invert else g)


def _eval(*extra):
    return ["eval", "--no-progress", "--task", "sod", "--gt", "gt", "--metrics", "MAE", *extra]


def test_pred_naming_a_folder_with_an_equals_sign_beside_the_split_folder_is_refused_as_ambiguous(
        tmp_path, capsys, monkeypatch):
    # Before: `--pred sr=itti` scored the folder itti (MAE 1) as method "sr", exit 0, with the folder sr=itti there.
    monkeypatch.chdir(tmp_path)
    _mask(tmp_path / "gt" / "x.png")
    _mask(tmp_path / "sr=itti" / "x.png")
    _mask(tmp_path / "itti" / "x.png", invert=True)
    line = refusal(*run_cli(capsys, _eval("--pred", "sr=itti", "--json", "r.json")))
    assert line.startswith("saliency eval: error: --pred sr=itti: ambiguous") and "folder itti" in line, line
    assert line.endswith("for the folder named sr=itti write NAME=sr=itti"), line
    assert not (tmp_path / "r.json").exists()
    # written as told, the folder sr=itti is scored (exact prediction: MAE 0)
    rc, out, err = run_cli(capsys, _eval("--pred", "M=sr=itti", "--json", "r.json"))
    assert rc == 0, err
    res = json.loads((tmp_path / "r.json").read_text())["results"]
    assert [(r["method"], r["metrics"]["MAE"]) for r in res] == [("M", 0.0)]


def test_pred_naming_a_folder_with_an_equals_sign_alone_says_how_to_write_it_not_folder_not_found(
        tmp_path, capsys, monkeypatch):
    # Before: "--pred sr=itti: folder not found", though the folder sr=itti exists.
    monkeypatch.chdir(tmp_path)
    _mask(tmp_path / "gt" / "x.png")
    _mask(tmp_path / "sr=itti" / "x.png")
    line = refusal(*run_cli(capsys, _eval("--pred", "sr=itti")))
    assert "not found" not in line and "--pred sr=itti: ambiguous" in line, line
    assert line.endswith("for the folder named sr=itti write NAME=sr=itti"), line


def test_an_output_inside_a_pred_folder_named_with_an_equals_sign_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _mask(tmp_path / "gt" / "x.png")
    _mask(tmp_path / "sr=itti" / "x.png")
    line = refusal(*run_cli(capsys, _eval("--pred", "M=sr=itti", "--json", "sr=itti/r.json")))
    assert line == ("saliency eval: error: --json sr=itti/r.json: lies inside the input --pred sr=itti; write the "
                    "output to a folder apart from the inputs"), line


def test_method_names_in_two_unicode_forms_are_one_name_given_twice(tmp_path, capsys, monkeypatch):
    # Before: two rows, both shown "café" (MAE 0 and MAE 1), exit 0.
    monkeypatch.chdir(tmp_path)
    _mask(tmp_path / "gt" / "x.png")
    _mask(tmp_path / "A" / "x.png")
    _mask(tmp_path / "B" / "x.png", invert=True)
    line = refusal(*run_cli(capsys, _eval("--pred", f"{CAFE_NFC}=A", "--pred", f"{CAFE_NFD}=B")))
    assert "--pred: method name(s) café" in unicodedata.normalize("NFC", line) and "given twice" in line, line


def test_dataset_names_in_two_unicode_forms_are_one_name_given_twice(tmp_path, capsys, monkeypatch):
    # Before: two tables, both headed "café", exit 0.
    monkeypatch.chdir(tmp_path)
    _mask(tmp_path / "gt" / "x.png")
    _mask(tmp_path / "g2" / "x.png")
    _mask(tmp_path / "A" / "x.png")
    (tmp_path / "b.json").write_text(json.dumps({"task": "sod", "datasets": {CAFE_NFD: {"gt": "g2"}},
                                                 "methods": {"M": "A"}}))
    line = refusal(*run_cli(capsys, ["eval", "--no-progress", "--config", "b.json", "--gt", "gt",
                                     "--name", CAFE_NFC, "--metrics", "MAE"]))
    assert "dataset name(s) café" in unicodedata.normalize("NFC", line) and "given twice" in line, line


def test_a_dataset_name_too_long_for_a_curve_file_gets_a_capped_stem_and_every_output(tmp_path, capsys,
                                                                                    monkeypatch):
    # Before: "o/pl3/NNN..._pr.pdf: the name is too long" after all the scoring, and no --json.
    monkeypatch.chdir(tmp_path)
    _mask(tmp_path / "gt" / "x.png")
    _mask(tmp_path / "g2" / "x.png")
    _mask(tmp_path / "A" / "x.png")
    long1, long2 = "N" * 252, "N" * 251 + "M"  # alike in their first 251 characters: two stems all the same
    (tmp_path / "b.json").write_text(json.dumps({"task": "sod", "datasets": {long2: {"gt": "g2"}},
                                                 "methods": {"M": "A"}}))
    rc, out, err = run_cli(capsys, ["eval", "--no-progress", "--config", "b.json", "--gt", "gt", "--name", long1,
                                    "--metrics", "MAE,Fmax", "--plot-dir", "o/pl3", "--json", "o/j3.json"])
    assert rc == 0, err
    res = json.loads((tmp_path / "o" / "j3.json").read_text())["results"]
    assert sorted(r["dataset"] for r in res) == sorted([long1, long2])
    files = sorted(p.name for p in (tmp_path / "o" / "pl3").iterdir())
    assert len(files) == 8, files  # two datasets x (pr, fm) x (png, pdf): the capped stems stay apart
    assert all(len(f.encode()) <= 255 for f in files), [len(f) for f in files]
    assert all(f.startswith("N" * 150) for f in files)  # the name's start kept
    assert len({f.rsplit("_", 1)[0] for f in files}) == 2

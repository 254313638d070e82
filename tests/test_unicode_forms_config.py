"""``saliency eval --config``: a method's ``{dataset: folder}`` key names its dataset in either Unicode form.

A dataset saved as ``Café`` composed (NFC) and a method's key typed decomposed (NFD, as macOS writes it), or the
reverse, are one dataset; compared as raw strings they were not, and the config was refused with "method M:
dataset 'Café' is not a dataset of the benchmark (Café)" (or, past that check, the method's folder was never
found). The dataset keeps the name the config gives it in the outputs. One method mapping the same dataset in
both forms (two folders for one dataset) is refused.

Oracles: masks written by hand, so that the folder of the mapping scores MAE 0 and any other MAE 1; the names
as the config file spells them; the refusal written out by hand.
"""

from __future__ import annotations

import json
import unicodedata

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli

NFC = unicodedata.normalize("NFC", "Café")
NFD = unicodedata.normalize("NFD", "Café")


def _mask(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((12, 16), value, np.uint8))


@pytest.fixture
def folders(tmp_path):
    """gt/ (white masks), good/ (the same: MAE 0) and bad/ (black: MAE 1); returns tmp_path."""
    for k in ("a", "b"):
        _mask(tmp_path / "gt" / f"{k}.png", 255)
        _mask(tmp_path / "good" / f"{k}.png", 255)
        _mask(tmp_path / "bad" / f"{k}.png", 0)
    return tmp_path


def _config(tmp_path, text):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


@pytest.mark.parametrize("dataset_form,key_form", [(NFC, NFD), (NFD, NFC)], ids=["nfd-key", "nfc-key"])
def test_a_method_key_in_the_other_form_names_the_dataset(folders, capsys, dataset_form, key_form):
    assert dataset_form != key_form
    cfg = _config(folders, f"task: sod\ndatasets: {{{dataset_form}: {{gt: gt}}}}\n"
                           f"methods:\n  M: {{{key_form}: good}}\n  B: bad\n")
    rc, out, err = run_cli(capsys, ["eval", "--no-progress", "--config", cfg, "--metrics", "MAE",
                                    "--json", folders / "r.json"])
    assert rc == 0, err
    rows = json.loads((folders / "r.json").read_text(encoding="utf-8"))["results"]
    assert {r["method"]: r["metrics"]["MAE"] for r in rows} == {"M": 0.0, "B": 1.0}
    assert {r["dataset"] for r in rows} == {dataset_form}  # the name as the config's datasets spell it
    assert all(r["n_images"] == 2 for r in rows)
    assert f"### {dataset_form}\n" in out


def test_one_dataset_mapped_twice_in_two_forms_is_refused(folders, capsys):
    cfg = _config(folders, f"task: sod\ndatasets: {{{NFC}: {{gt: gt}}}}\nmethods:\n  M: {{{NFC}: good, {NFD}: bad}}\n")
    line = refusal(*run_cli(capsys, ["eval", "--no-progress", "--config", cfg, "--metrics", "MAE"]))
    assert line == (f"saliency eval: error: --config {cfg}: method M: dataset(s) {NFC} (in two Unicode forms, NFC "
                    "and NFD, which show alike) given twice; keep one folder per dataset")


def test_a_key_naming_no_dataset_is_still_refused(folders, capsys):
    cfg = _config(folders, f"task: sod\ndatasets: {{{NFD}: {{gt: gt}}}}\nmethods:\n  M: {{Cafe: good}}\n")
    line = refusal(*run_cli(capsys, ["eval", "--no-progress", "--config", cfg, "--metrics", "MAE"]))
    assert line == (f"saliency eval: error: --config {cfg}: method M: dataset 'Cafe' is not a dataset of the "
                    f"benchmark ({NFD}); correct the name or add the dataset")

"""``saliency train --dataset OSIE --root DIR``: training on OSIE straight from its raw fixations.

Oracles: a small ``fixations.mat`` in OSIE's cell-of-structs layout written with
``scipy.io.savemat`` (tests/test_eval_osie.py's writer), the documented split
file (which stems may appear), and the human map built independently with
``scipy.signal.fftconvolve`` and a normalised 169 px Gaussian window (sigma
24 px, zero padding, min-max), as the authors' ``computeFixationMaps.m`` does.
Tolerance 1e-6: the training map is float32.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from saliency import datasets as SD
from saliency.base.errors import UserError
from saliency.eval import datasets as D
from tests.test_eval_osie import _write_osie


def _fake_osie(root, n_train=5, size=(60, 80)):
    train = D.split_stems("OSIE", "train")[:n_train]
    test = D.split_stems("OSIE", "test")[:2]
    rng = np.random.default_rng(0)
    entries = {}
    for stem in train + test:
        subs = []
        for _ in range(3):
            k = int(rng.integers(2, 6))
            subs.append((rng.uniform(1, size[1], k).round(1).tolist(), rng.uniform(1, size[0], k).round(1).tolist()))
        entries[stem] = subs
    _write_osie(root / "osie", entries, size=size)
    return train, test, entries


def _oracle_map(entries_stem, shape):
    from scipy.signal import fftconvolve

    binary = np.zeros(shape)
    for xs, ys in entries_stem:
        for x, y in zip(xs, ys):
            r = min(max(int(np.floor(y + 0.5)), 1), shape[0]) - 1  # MATLAB round (positive), clip, 0-based
            c = min(max(int(np.floor(x + 0.5)), 1), shape[1]) - 1
            binary[r, c] = 1.0
    rad = 84
    yy, xx = np.mgrid[-rad:rad + 1, -rad:rad + 1]
    k = np.exp(-(xx ** 2 + yy ** 2) / (2 * 24.0 ** 2))
    k /= k.sum()
    m = fftconvolve(binary, k, mode="same")
    return (m - m.min()) / (m.max() - m.min()), binary


def test_named_osie_records_follow_the_split_and_build_the_authors_maps(tmp_path):
    train, test, entries = _fake_osie(tmp_path)
    idx = SD.find_dataset(tmp_path, "fixation", dataset="osie")  # case-insensitive name, default split train
    assert [r.key for r in idx.records] == sorted(train) and idx.split == "train"
    assert all(r.image.endswith(f"{r.key}.jpg") for r in idx.records)
    idx_test = SD.find_dataset(tmp_path / "osie", "fixation", dataset="OSIE", split="test")
    assert [r.key for r in idx_test.records] == sorted(test)
    rec = idx.records[0]
    fix, dens, pts = SD.load_fixation_gt(rec, 0.02)
    want, binary = _oracle_map(entries[rec.key], (60, 80))
    assert dens.dtype == np.float32 and np.abs(dens - want).max() < 1e-6
    assert (fix == (binary > 0)).all() and len(pts) == int(binary.sum())


def test_named_dataset_errors_name_the_option(tmp_path):
    _fake_osie(tmp_path)
    with pytest.raises(UserError, match="--task fixation"):
        SD.find_dataset(tmp_path, "sod", dataset="OSIE")
    with pytest.raises(UserError, match="not a published dataset"):
        SD.find_dataset(tmp_path, "fixation", dataset="NOPE")
    with pytest.raises(UserError, match="no OSIE"):
        SD.find_dataset(tmp_path / "osie" / "stimuli", "fixation", dataset="OSIE")
    (tmp_path / "osie" / "stimuli" / f"{D.split_stems('OSIE', 'train')[0]}.jpg").unlink()
    with pytest.raises(UserError, match="missing"):
        SD.find_dataset(tmp_path, "fixation", dataset="OSIE")


def test_cli_trains_on_osie_train_split_and_records_it(tmp_path, capsys):
    from saliency.cli import main

    train, test, _ = _fake_osie(tmp_path / "data")
    rc = main(["train", "--dataset", "OSIE", "--root", str(tmp_path / "data"), "--task", "fixation",
               "--out", str(tmp_path / "data" / "run")])
    err = capsys.readouterr().err.strip().splitlines()  # never inside what it reads, named by its option
    assert rc == 2 and len(err) == 1 and "inside the input --root" in err[0]
    run = tmp_path / "run"
    rc = main(["train", "--dataset", "OSIE", "--root", str(tmp_path / "data"), "--task", "fixation", "--epochs", "1",
               "--batch-size", "2", "--out", str(run), "--quiet", "--set", "data.size=[64,64]",
               "--set", "train.grid_images=0"])
    assert rc == 0
    split = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert split["dataset"] == "OSIE" and split["dataset_split"] == "train"
    assert sorted(split["train"] + split["val"]) == sorted(train) and not set(split["train"]) & set(test)
    assert (run / "checkpoints" / "best.pt").is_file()
    capsys.readouterr()
    tmp_path = tmp_path / "data"
    rc = main(["train", "--data", str(tmp_path), "--root", str(tmp_path), "--task", "fixation",
               "--out", str(tmp_path / "run2")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "not both --data and --root" in err[0]
    rc = main(["train", "--data", str(tmp_path / "osie"), "--split", "test", "--task", "fixation",
               "--out", str(tmp_path / "run3")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "data.split" in err[0] and not (tmp_path / "run3").exists()

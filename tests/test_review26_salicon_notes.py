"""Review 26, fixer 7b: what a SALICON folder's reading leaves under ``maps/``, and where its JSON is found.

1. Once eval or train reads a split folder (``maps/train`` for a ``fixations_train*.json``, ``maps/val`` for a
   ``fixations_val*.json``), the other files under ``maps/`` were not read and no note said so (flat
   ``maps/*.png`` beside ``maps/train``, ``maps/val`` beside a train-only JSON, any other sub-folder). Oracle:
   one note, from eval (``fixation_folder``, ``--json`` notes, ``--dataset SALICON``) and from train
   (``find_fixation``) alike, counting those files by where they lie and naming one; none when nothing else is
   there or when a flat ``maps/`` is read whole; the items read are unchanged.
2. ``saliency eval --gt`` did not find a SALICON JSON where ``saliency train --data`` does, one folder down
   (``annotations/fixations_train*.json``): it read the training folder as human maps only (keys
   ``train/<stem>``, no points, NSS skipped). Oracle: training's records (keys, map files, points) of the same
   folder; the JSON both read when two sub-folders hold one; NSS scored; ``--dataset SALICON``, which needs a
   ``fixations_val*.json``, still refuses a folder with only a training JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli
from saliency.datasets import find_fixation
from saliency.eval.datasets import fixation_folder

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
EXAMPLES = SHARED / "salicon_examples"
pytestmark = pytest.mark.real_data
JSON = "fixations_train2014examples.json"


def _stems() -> list[str]:
    if not (EXAMPLES / JSON).is_file():
        pytest.skip("../shared/data/salicon_examples is absent")
    return sorted(Path(im["file_name"]).stem for im in json.loads((EXAMPLES / JSON).read_text())["images"])


def _map(i: int) -> np.ndarray:
    """A smooth 480x640 grey map, one per image (the examples' size)."""
    m = cv2.GaussianBlur(np.random.default_rng(i).random((480, 640)), (0, 0), 25)
    return np.rint(255 * (m - m.min()) / (m.max() - m.min())).astype(np.uint8)


def _write(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)
    return path


def _training_folder(root: Path, json_at: str = JSON) -> Path:
    """SALICON's training layout: ``images/train`` (links to the examples), ``maps/train``, the JSON at ``json_at``."""
    stems = _stems()
    (root / "images" / "train").mkdir(parents=True)
    for s in stems:
        (root / "images" / "train" / f"{s}.jpg").symlink_to(EXAMPLES / "images" / f"{s}.jpg")
        _write(root / "maps" / "train" / f"{s}.png", _map(stems.index(s)))
    (root / json_at).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLES / JSON, root / json_at)
    return root


def _unread(ds_notes) -> list[str]:
    return [n for n in ds_notes if "not the JSON's split" in n]


# ------------------------------------------------------------------ 1. the files under maps/ not read are named
def test_the_files_under_maps_outside_the_split_read_are_named_in_one_note_by_eval_and_train(tmp_path):
    stems = _stems()
    root = _training_folder(tmp_path / "sal")
    assert _unread(fixation_folder(root).notes) == [] and _unread(find_fixation(root).notes) == []  # nothing else
    _write(root / "maps" / "flat.png", _map(20))  # beside maps/train
    _write(root / "maps" / "val" / "COCO_val2014_000000000001.png", _map(21))  # the other split: the published
    _write(root / "maps" / "val" / "COCO_val2014_000000000002.png", _map(22))  # layout, not counted
    (root / "maps" / "old").mkdir()
    np.save(root / "maps" / "old" / "x.npy", np.zeros((4, 4)))  # another sub-folder, any extension
    (root / "maps" / "old" / "readme.txt").write_text("a file of no map extension is not read either")
    (root / "maps" / ".hidden.png").write_bytes(b"")  # hidden: never data, as elsewhere
    line = (f"{root / 'maps'}: 3 file(s) left out: not the JSON's split (maps/train is read for {JSON}; "
            "1 beside train/, 2 in old/; e.g. flat.png)")
    ds = fixation_folder(root)
    assert _unread(ds.notes) == [line], ds.notes
    assert sorted(it.key for it in ds.items) == stems and all(it.points for it in ds.items)  # read as before
    assert {Path(it.density).parent for it in ds.items} == {root / "maps" / "train"}
    train = find_fixation(root)
    assert _unread(train.notes) == [line], train.notes
    assert sorted(r.key for r in train.records) == stems


def test_a_validation_json_beside_maps_train_and_a_flat_maps_folder_read_whole_need_no_note(tmp_path, capsys):
    """maps/train beside maps/val is SALICON's published layout (a full download: 10,000 training maps): not
    counted as left out; a stray file beside the split folders still is."""
    stems = _stems()
    gt = tmp_path / "val"
    shutil.copytree(_training_folder(tmp_path / "t") / "maps" / "train", gt / "maps" / "val")
    shutil.copyfile(EXAMPLES / JSON, gt / "fixations_val2014.json")  # the examples, as a validation JSON
    _write(gt / "maps" / "train" / "COCO_train2014_000000000009.png", _map(30))
    assert _unread(fixation_folder(gt).notes) == []
    _write(gt / "maps" / "stray.png", _map(31))
    line = (f"{gt / 'maps'}: 1 file(s) left out: not the JSON's split (maps/val is read for fixations_val2014.json; "
            "1 beside val/; e.g. stray.png)")
    assert _unread(fixation_folder(gt).notes) == [line]
    pred = tmp_path / "p"
    for i, s in enumerate(stems):
        _write(pred / f"{s}.png", _map(i))
    out = tmp_path / "r.json"
    rc, _, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", gt, "--pred", f"M={pred}",
                                  "--metrics", "CC", "--json", out, "--quiet"])
    assert rc == 0, err
    rep = json.loads(out.read_text())
    assert rep["results"][0]["n_images"] == 10 and rep["results"][0]["metrics"]["CC"] == pytest.approx(1, abs=1e-9)
    assert sum(line in n for n in rep["notes"]) == 1, rep["notes"]
    # the published layout (--dataset SALICON --root) reads maps/val: the same line, named for --root
    rc, _, err = run_cli(capsys, ["eval", "--task", "fixation", "--dataset", "SALICON", "--root", gt,
                                  "--pred", f"M={pred}", "--metrics", "CC", "--json", out, "--quiet"])
    assert rc == 0, err
    assert sum(line in n for n in json.loads(out.read_text())["notes"]) == 1
    # a flat maps/ (no split folder) is read whole: nothing under it is left out, no such note
    flat = tmp_path / "flat"
    shutil.copytree(gt / "maps" / "val", flat / "maps")
    shutil.copyfile(EXAMPLES / JSON, flat / JSON)
    ds = fixation_folder(flat)
    assert _unread(ds.notes) == [] and sorted(it.key for it in ds.items) == stems


# ------------------------------------------------------------------ 2. eval finds the JSON where train finds it
@pytest.mark.parametrize("json_at", [f"annotations/{JSON}", f"json/{JSON}"])
def test_eval_reads_a_training_folder_whose_json_is_one_folder_down_as_training_does(tmp_path, capsys, json_at):
    stems = _stems()
    root = _training_folder(tmp_path / "sal", json_at)
    train = {r.key: r for r in find_fixation(root).records}
    ds = fixation_folder(root)  # was "human maps only", keys train/<stem>, no points
    assert ds.layout.startswith("SALICON") and ds.has_points, ds.layout
    assert sorted(it.key for it in ds.items) == sorted(train) == stems
    for it in ds.items:
        assert (it.density, it.points, it.size) == (train[it.key].density, train[it.key].points, train[it.key].size)
    assert len({it.points for it in ds.items}) == 10 and all(it.points for it in ds.items)
    pred = tmp_path / "p"
    for i, s in enumerate(stems):
        _write(pred / f"{s}.png", _map(i))
    out = tmp_path / "r.json"
    rc, _, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", root, "--pred", f"M={pred}",
                                  "--metrics", "CC,NSS", "--json", out, "--quiet"])
    assert rc == 0, err
    r = json.loads(out.read_text())["results"][0]
    assert r["n_images"] == 10 and r["excluded"] == {} and isinstance(r["metrics"]["NSS"], float), r
    # --dataset SALICON reads the published validation layout only: a training JSON is still not its JSON
    shutil.copytree(root / "maps" / "train", root / "maps" / "val")
    line = refusal(*run_cli(capsys, ["eval", "--task", "fixation", "--dataset", "SALICON", "--root", root,
                                     "--pred", f"M={pred}", "--json", tmp_path / "r2.json"]))
    assert "SALICON needs maps/val/ and a fixations_val*.json" in line and not (tmp_path / "r2.json").exists()


def test_eval_and_train_read_the_same_json_when_two_folders_hold_one(tmp_path):
    stems = _stems()
    root = _training_folder(tmp_path / "sal", f"annotations/{JSON}")
    five = json.loads((EXAMPLES / JSON).read_text())
    keep = {im["id"] for im in five["images"][:5]}
    five["images"] = [im for im in five["images"] if im["id"] in keep]
    five["annotations"] = [a for a in five["annotations"] if a["image_id"] in keep]
    (root / "json").mkdir()
    (root / "json" / "fixations_train_five.json").write_text(json.dumps(five))
    ds = fixation_folder(root)
    train = find_fixation(root)
    assert sorted(it.key for it in ds.items) == sorted(r.key for r in train.records) == stems  # annotations/'s
    assert all(it.points for it in ds.items)


def test_the_published_layout_refuses_a_training_json_rather_than_score_it_against_maps_val(tmp_path, capsys):
    """Review: --dataset SALICON --root R with maps/train, maps/val and only fixations_train*.json scored the
    training images on maps rebuilt from their points and added every maps/val file as a map-only image (n=20)."""
    root = _training_folder(tmp_path / "sal")
    for i, s in enumerate(_stems()):
        _write(root / "maps" / "val" / f"{s.replace('train', 'val')}.png", _map(40 + i))
    pred = tmp_path / "p"
    _write(pred / f"{_stems()[0]}.png", _map(0))
    out = tmp_path / "r.json"
    line = refusal(*run_cli(capsys, ["eval", "--task", "fixation", "--dataset", "SALICON", "--root", root,
                                     "--pred", f"M={pred}", "--json", out]))
    assert line == (f"saliency eval: error: --root {root}: SALICON needs maps/val/ and a fixations_val*.json (only "
                    f"{JSON}, a training JSON, is there: it would be scored against maps/val); give the validation "
                    "JSON, or evaluate the training folder with --gt")
    assert not out.exists()

"""Training data loading (review 27, R13): an image used twice, a resume's split, a flat SALICON folder.

1. ``images/a/x.png`` with ``masks/a/x.png`` and a flat ``masks/x.png`` gave the pairs ``a/x`` and ``x`` (the
   image's bare-name alias, with another picture's mask), and the split could put one in training and the other
   in validation; the same in a fixation folder. Oracle: the hand-listed keys of split.json (each image file
   once, ``x`` in neither part), a note naming ``x`` and ``a/x``; an alias with no own target still pairs.
2. A resume silently ignored the images added to ``--data`` since the run began. Oracle: the printed note counts
   and names exactly the added stems; the training set is split.json's.
3. A resume whose split.json was deleted made a new seeded split (validation images trained on). Oracle: the
   exact refusal line, exit 2, the run byte-identical; a run with ``data.val`` (no seeded split) still resumes.
4. ``images/`` + a flat ``maps/`` + ``fixations_train*.json`` (SALICON) was read by training as maps only.
   Oracle: the points written into a tiny hand-made JSON (1-based [row, col] -> 0-based), as eval reads them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np

from cli_fakes import hashes, refusal, run_cli
from saliency import datasets as D
from saliency.eval.fixation_folders import fixation_folder
from train_fakes import make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

TINY = ["--device", "cpu", "--batch-size", "4", "--quiet", "--set", "data.size=[32,48]", "--set",
        "train.grid_images=0", "--set", "train.tensorboard=false", "--set", "train.threads=1"]


def _img(path: Path, value: int, hw=(20, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.full((*hw, 3), value, np.uint8)
    img[: hw[0] // 2, : hw[1] // 3] = 255 - value
    cv2.imwrite(str(path), img)


def _mask(path: Path, rows=slice(0, 10)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    m = np.zeros((20, 30), np.uint8)
    m[rows] = 255
    cv2.imwrite(str(path), m)


def _split(run: Path) -> dict:
    return json.loads((run / "split.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------- 1. one image once
def test_sod_image_with_its_own_and_a_bare_name_mask_is_trained_once(tmp_path, capsys):
    data = tmp_path / "sod"
    _img(data / "images" / "a" / "x.png", 100)
    _mask(data / "masks" / "a" / "x.png")                      # its own mask
    _mask(data / "masks" / "x.png", slice(10, 20))             # another picture's, matching x only by bare name
    _img(data / "images" / "b" / "z.png", 80)                  # a nested image with only a flat mask: still paired
    _mask(data / "masks" / "z.png")
    for i in range(4):
        _img(data / "images" / f"y{i}.png", 40 + 20 * i)
        _mask(data / "masks" / f"y{i}.png")
    run = tmp_path / "run"
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--epochs", "1", "--out", run,
                                    "--set", "data.split_seed=11", *TINY])
    assert rc == 0, err
    s = _split(run)
    keys = s["train"] + s["val"]
    assert sorted(keys) == ["a/x", "y0", "y1", "y2", "y3", "z"]   # x (a/x's alias) in neither part
    assert len(set(keys)) == len(keys)
    note = ("1 mask(s) match only the bare name of an image that has its own mask and are left out (an image is "
            "used once; e.g. x (image a/x)): rename or move them")
    assert note in s["notes"] and f"note: {note}" in out
    recs = {r.key: r for r in D.find_sod(data).records}
    assert Path(recs["a/x"].mask) == data / "masks" / "a" / "x.png"
    assert Path(recs["z"].image) == data / "images" / "b" / "z.png"


def test_fixation_image_with_its_own_and_a_bare_name_target_is_used_once(tmp_path):
    data = tmp_path / "fix"
    for rel, v in (("a/x", 100), ("y0", 60), ("y1", 30)):
        _img(data / "stimuli" / f"{rel}.png", v)
        _mask(data / "fixations" / f"{rel}.png", slice(5, 6))
        _mask(data / "maps" / f"{rel}.png")
    _mask(data / "fixations" / "x.png", slice(15, 16))          # flat x: only a/x's bare name
    _mask(data / "maps" / "x.png", slice(10, 20))
    idx = D.find_fixation(data)
    assert sorted(r.key for r in idx.records) == ["a/x", "y0", "y1"]
    ax = next(r for r in idx.records if r.key == "a/x")
    assert Path(ax.fixations) == data / "fixations" / "a" / "x.png"
    assert ("1 fixation map(s) match only the bare name of an image that has its own fixation map and are left "
            "out (an image is used once; e.g. x (image a/x)): rename or move them") in idx.notes


# ------------------------------------------------------------------------------------- 2-3. resume and split.json
def _first_run(tmp_path, capsys, *extra) -> tuple[Path, Path]:
    data = make_sod(tmp_path / "data", n=6, w=48, h=32)
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--epochs", "1", "--out", run,
                                  *TINY, *extra])
    assert rc == 0, err
    return data, run


def test_resume_names_the_images_added_since_the_run_began(tmp_path, capsys):
    data, run = _first_run(tmp_path, capsys)
    before = _split(run)
    more = make_sod(tmp_path / "more", n=2, seed=5, w=48, h=32)
    for sub in ("stimuli", "masks"):
        for f in ("s0001.png", "s0002.png"):
            shutil.copy(more / sub / f, data / sub / f"new_{f}")
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert rc == 0, err
    assert (f"note: 2 image(s) of {data} are not in {run / 'split.json'} (added after the run began; e.g. "
            "new_s0001, new_s0002) and are not used; start a new run to train on them") in out
    assert f"on {len(before['train'])} images" in out and _split(run)["train"] == before["train"]


def test_resume_without_split_json_is_refused_and_the_run_kept(tmp_path, capsys):
    _, run = _first_run(tmp_path, capsys)
    (run / "split.json").unlink()
    was = hashes(run)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert refusal(rc, out, err) == (f"saliency train: error: --resume {run}: {run / 'split.json'} is missing; "
                                     f"restore it, or start a new run with --out {run} --overwrite")
    assert hashes(run) == was


def test_resume_without_split_json_of_a_run_with_a_validation_folder_still_resumes(tmp_path, capsys):
    val = make_sod(tmp_path / "val", n=2, seed=3, w=48, h=32)
    _, run = _first_run(tmp_path, capsys, "--set", f"data.val={val}")
    (run / "split.json").unlink()
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert rc == 0, err
    assert _split(run)["val"] == ["s0001", "s0002"] and "trained 2 epochs" in out


# ------------------------------------------------------------------------------------------- 4. flat SALICON
def test_flat_salicon_folder_is_read_with_its_json_points_as_eval_reads_it(tmp_path):
    data = tmp_path / "sal"
    sizes = {"COCO_train2014_000000000001": (30, 40), "COCO_train2014_000000000002": (24, 32)}
    js = {"info": {}, "licenses": [], "type": "fixations", "images": [], "annotations": []}
    pts = {"COCO_train2014_000000000001": [[1, 1], [30, 40], [12, 7]],          # 1-based [row, col]
           "COCO_train2014_000000000002": [[5, 9], [24, 32]]}
    for i, (stem, (h, w)) in enumerate(sizes.items(), 1):
        _img(data / "images" / f"{stem}.jpg", 90, (h, w))
        (data / "maps").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(data / "maps" / f"{stem}.png"), np.tile(np.linspace(0, 255, w).astype(np.uint8), (h, 1)))
        js["images"].append({"id": 100 + i, "file_name": f"{stem}.jpg", "height": h, "width": w})
        js["annotations"].append({"id": i, "image_id": 100 + i, "worker_id": 7, "fixations": pts[stem]})
    (data / "fixations_train2014tiny.json").write_text(json.dumps(js), encoding="utf-8")
    idx = D.find_fixation(data)
    assert idx.layout.startswith("SALICON")
    got = {r.key: (r.points, r.size, Path(r.density).name) for r in idx.records}
    assert got == {"COCO_train2014_000000000001": (((0, 0), (29, 39), (11, 6)), (30, 40),
                                                   "COCO_train2014_000000000001.png"),
                   "COCO_train2014_000000000002": (((4, 8), (23, 31)), (24, 32), "COCO_train2014_000000000002.png")}
    assert not any("top of each" in n or "no fixation points" in n for n in idx.notes), idx.notes
    ev = {it.key: it.points for it in fixation_folder(data).items}             # eval reads the same points
    assert ev == {k: v[0] for k, v in got.items()}

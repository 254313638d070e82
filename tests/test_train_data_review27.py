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
    assert (f"note: 2 image(s) of {data} are not in {run / 'split.json'} and are not used (e.g. new_s0001, "
            "new_s0002); start a new run to train on them") in out
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


# ------------------------------------------------------------------ review 27 F12: resume and pairing regressions
"""F12 (a review of fcffdee). 1. A resume of a run made when DATA (or data.val) was read in another layout (images/
+ maps/ as human maps only; a fixations JSON added or understood since: SALICON with its points) changed the ground
truth of the same ids mid-run; the run's layout is compared now, data.val's recorded (val_layout). Oracle: the
hand-written refusal line, the run byte-identical; a moved folder still resumes. 2. A pre-fcffdee split listing the
bare-name pair x of image a/x: named as such, not 'gone'. 3. images/x + images/a/x with masks/x: a/x was dropped
unsaid. 4. images/ + fixations/fixations_val*.json (no maps/): the points eval reads, not 'no human map'."""


def _sal(root: Path, pts: dict, js_rel: str | None = "fixations_train2014t.json", maps=True) -> Path:
    """images/<stem>.jpg (24x32) [+ flat maps/<stem>.png] [+ a SALICON JSON at ``js_rel`` with ``pts``, 1-based]."""
    js = {"images": [], "annotations": []}
    for i, (stem, p) in enumerate(sorted(pts.items()), 1):
        _img(root / "images" / f"{stem}.jpg", 40 + 30 * i, (24, 32))
        if maps:
            (root / "maps").mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / "maps" / f"{stem}.png"), np.tile(np.linspace(0, 255, 32).astype(np.uint8), (24, 1)))
        js["images"].append({"id": i, "file_name": f"{stem}.jpg", "height": 24, "width": 32})
        js["annotations"].append({"image_id": i, "fixations": p})
    if js_rel:
        (root / js_rel).parent.mkdir(parents=True, exist_ok=True)
        (root / js_rel).write_text(json.dumps(js), encoding="utf-8")
    return root


PTS = {f"COCO_{c}": [[2, 3], [20, 30], [12, 16]] for c in "abcdef"}
FIX = ["--task", "fixation", "--epochs", "1", *TINY]


def test_resume_refuses_a_training_folder_now_read_in_another_layout(tmp_path, capsys):
    data = _sal(tmp_path / "sal", PTS, js_rel=None)                 # images/ + maps/: human maps only
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--out", run, *FIX])
    assert rc == 0, err
    assert _split(run)["layout"] == "stimuli/ + maps/ (no binary fixations)"
    _sal(data, PTS)                                                   # its fixations JSON: SALICON with points now
    was = hashes(run)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert refusal(rc, out, err) == (
        f"saliency train: error: --resume: {data} is read as SALICON (images/ + maps/ + fixations_train2014t.json) "
        "but the run was made reading it as stimuli/ + maps/ (no binary fixations); start a new run")
    assert hashes(run) == was


def test_resume_refuses_a_validation_folder_now_read_in_another_layout(tmp_path, capsys):
    train = _sal(tmp_path / "tr", PTS)
    val = _sal(tmp_path / "va", {"COCO_v1": [[3, 3]], "COCO_v2": [[9, 9]]}, js_rel=None)
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", train, "--out", run, *FIX, "--set", f"data.val={val}"])
    assert rc == 0, err
    assert _split(run)["val_layout"] == "stimuli/ + maps/ (no binary fixations)"
    _sal(val, {"COCO_v1": [[3, 3]], "COCO_v2": [[9, 9]]})
    was = hashes(run)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert refusal(rc, out, err) == (
        f"saliency train: error: --resume: data.val {val} is read as SALICON (images/ + maps/ + "
        "fixations_train2014t.json) but the run was made reading it as stimuli/ + maps/ (no binary fixations); "
        "start a new run")
    assert hashes(run) == was


def test_resume_of_a_split_json_without_val_layout_resumes_and_records_it(tmp_path, capsys):
    val = make_sod(tmp_path / "val", n=2, seed=3, w=48, h=32)
    _, run = _first_run(tmp_path, capsys, "--set", f"data.val={val}")
    s = _split(run)
    del s["val_layout"]                                               # as written before it was recorded
    (run / "split.json").write_text(json.dumps(s), encoding="utf-8")
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert rc == 0, err
    assert _split(run)["val_layout"] == "stimuli/ + masks/"


def test_resume_of_a_moved_or_renamed_folder_is_not_refused(tmp_path, capsys):
    data = tmp_path / "DUTS-TR"                                      # named as the dataset: layout "DUTS-TR"
    for i in range(5):
        _img(data / "DUTS-TR-Image" / f"i{i}.jpg", 30 + 40 * i)
        _mask(data / "DUTS-TR-Mask" / f"i{i}.png", slice(i, 10 + i))
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--epochs", "1", "--out", run, *TINY])
    assert rc == 0, err
    assert _split(run)["layout"] == "DUTS-TR"
    moved = tmp_path / "copy_of_duts"                               # the same two folders, the dataset not named
    shutil.copytree(data, moved)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--data", moved, "--epochs", "2", "--device", "cpu",
                                    "--quiet"])
    assert rc == 0, err
    assert _split(run)["root"] == str(moved) and "trained 2 epochs" in out


def test_resume_note_names_images_not_in_split_json_without_guessing_why(tmp_path, capsys):
    data, run = _first_run(tmp_path, capsys)
    shutil.copy(data / "stimuli" / "s0001.png", data / "stimuli" / "late.png")
    shutil.copy(data / "masks" / "s0001.png", data / "masks" / "late.png")
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert rc == 0, err
    assert (f"note: 1 image(s) of {data} are not in {run / 'split.json'} and are not used (e.g. late); start a new "
            "run to train on them") in out


def test_resume_names_a_pair_the_one_image_rule_now_leaves_out(tmp_path, capsys):
    data = tmp_path / "sod"
    _img(data / "images" / "a" / "x.png", 100)
    _mask(data / "masks" / "a" / "x.png")
    _mask(data / "masks" / "x.png", slice(10, 20))
    for i in range(4):
        _img(data / "images" / f"y{i}.png", 40 + 20 * i)
        _mask(data / "masks" / f"y{i}.png")
    run = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--epochs", "1", "--out", run, *TINY])
    assert rc == 0, err
    s = _split(run)
    s["train"] = sorted(s["train"] + ["x"])                           # the pair a run before fcffdee had
    (run / "split.json").write_text(json.dumps(s), encoding="utf-8")
    was = hashes(run)
    rc, out, err = run_cli(capsys, ["train", "--resume", run, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert refusal(rc, out, err) == (
        f"saliency train: error: --resume: the training image x of {run / 'split.json'} now matches only the bare "
        "name of image a/x, which has its own mask; start a new run")
    assert hashes(run) == was


def test_a_nested_image_beside_a_top_level_one_of_its_name_is_named_not_dropped(tmp_path, capsys):
    data = tmp_path / "t2"
    _img(data / "images" / "x.jpg", 100)
    _img(data / "images" / "a" / "x.jpg", 30)                        # no mask of its own: masks/x.png is images/x's
    _mask(data / "masks" / "x.png")
    for i in range(4):
        _img(data / "images" / f"y{i}.jpg", 40 + 20 * i)
        _mask(data / "masks" / f"y{i}.png")
    idx = D.find_sod(data)
    assert sorted(r.key for r in idx.records) == ["x", "y0", "y1", "y2", "y3"]
    assert Path(next(r for r in idx.records if r.key == "x").image) == data / "images" / "x.jpg"
    note = "1 of 6 images have no mask and are left out (e.g. a/x)"
    assert note in idx.notes
    run = tmp_path / "run"
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--epochs", "1", "--out", run, *TINY])
    assert rc == 0, err
    assert f"note: {note}" in out and "on 4 images" in out and "validated on 1" in out
    # a nested image whose only mask is flat is still paired (images/b/z.jpg with masks/z.png): not named
    _img(data / "images" / "b" / "z.jpg", 70)
    _mask(data / "masks" / "z.png")
    assert "1 of 7 images have no mask and are left out (e.g. a/x)" in D.find_sod(data).notes


def test_salicon_json_in_fixations_without_maps_is_read_with_its_points(tmp_path, capsys):
    pts = {"COCO_a": [[1, 1], [24, 32]], "COCO_b": [[5, 9]], "COCO_c": [[12, 16], [3, 4]], "COCO_d": [[7, 7]],
           "COCO_e": [[2, 30]]}
    data = _sal(tmp_path / "s", pts, js_rel="fixations/fixations_val2014.json", maps=False)
    idx = D.find_fixation(data)
    assert idx.layout == "SALICON (images/ + fixations/fixations_val2014.json)"
    want = {k: tuple((r - 1, c - 1) for r, c in v) for k, v in pts.items()}   # 1-based [row, col] -> 0-based
    assert {r.key: r.points for r in idx.records} == want
    assert {it.key: it.points for it in fixation_folder(data).items} == want
    run = tmp_path / "run"
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--out", run, *FIX])
    assert rc == 0, err
    assert "on 4 images" in out and "validated on 1" in out


def test_salicon_layout_line_names_no_maps_folder_that_is_not_there(tmp_path):
    data = _sal(tmp_path / "ex", {"COCO_a": [[1, 1]], "COCO_b": [[2, 2]]}, js_rel="fixations_train2014ex.json",
                maps=False)
    assert D.find_fixation(data).layout == "SALICON (images/ + fixations_train2014ex.json)"
    assert D.same_reading("SALICON (images/ + maps/ + fixations_train2014ex.json)",
                          "SALICON (images/ + fixations_train2014ex.json)")   # as fcffdee named it: still resumes
    assert not D.same_reading("stimuli/ + maps/ (no binary fixations)", "SALICON (images/ + maps/ + f.json)")

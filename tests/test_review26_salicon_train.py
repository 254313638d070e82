"""Review 26, fixer 7: a SALICON training folder in ``saliency eval``, and ``data.val``'s notes in ``saliency train``.

1. ``saliency eval --gt`` on the layout README documents for ``train --data`` (``images/train`` +
   ``maps/train`` + ``fixations_train2014*.json``) counted every map twice since c1219ff: without ``maps/val``
   eval read ``maps/`` whole, so ``maps/train/<stem>.png`` got the key ``train/<stem>``, which the JSON does not
   list, and became a map-only item beside the JSON's image (exit 2 "10 of 20 images have no prediction";
   with ``--allow-missing`` and predictions under ``train/``, 10 phantom map-only items, NSS n/a). Oracle: the
   10 images of the real SALICON examples JSON are scored once each, against the maps of ``maps/train`` (a
   prediction equal to its human map: CC 1, the maps are read), in the training layout, a flat ``maps/`` and
   the validation layout alike; a map the JSON does not list is one named map-only item; a map in a
   sub-folder of ``maps/`` is its listed image's map, and two maps of one image are refused, both named.
2. ``saliency train`` never printed the notes of a separate ``data.val`` folder (files left out, images
   without a target). Oracle: the validation folder's lines, prefixed ``data.val DIR (validation folder):``,
   among the run's notes, on a new run and on a resume.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.eval.datasets import fixation_folder
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
EXAMPLES = SHARED / "salicon_examples" / "fixations_train2014examples.json"
NOT_SCORED_ALONE = "have a human map but no fixation points"


def _stems() -> list[str]:
    if not EXAMPLES.is_file():
        pytest.skip("../shared/data/salicon_examples is absent")
    return sorted(Path(im["file_name"]).stem for im in json.loads(EXAMPLES.read_text())["images"])


def _map(i: int) -> np.ndarray:
    """A smooth 480x640 grey map, one per image (the examples' size)."""
    rng = np.random.default_rng(i)
    m = cv2.GaussianBlur(rng.random((480, 640)), (0, 0), 25)
    return np.rint(255 * (m - m.min()) / (m.max() - m.min())).astype(np.uint8)


def _write(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


def _salicon(root: Path, maps_sub: str, json_name: str = EXAMPLES.name) -> Path:
    """The examples JSON as ``root/json_name`` and a map per listed image in ``root/maps/maps_sub``."""
    root.mkdir(parents=True)
    shutil.copyfile(EXAMPLES, root / json_name)
    for i, s in enumerate(_stems()):
        _write(root / "maps" / maps_sub / f"{s}.png", _map(i))
    return root


def _preds(folder: Path) -> Path:
    for i, s in enumerate(_stems()):
        _write(folder / f"{s}.png", _map(i))
    return folder


def _eval(gt: Path, pred: Path, out: Path, *extra) -> int:
    return main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pred}", "--metrics", "CC,NSS",
                 "--json", str(out), "--quiet", *extra])


# ------------------------------------------------------------------ 1. one item per image of the JSON
@pytest.mark.real_data
@pytest.mark.parametrize("layout", ["training (maps/train)", "training, predictions under train/"])
def test_eval_scores_each_image_of_a_salicon_training_folder_once(tmp_path, capsys, layout):
    stems = _stems()
    gt = _salicon(tmp_path / "sal2", "train")
    under = "under" in layout  # the folder the error pointed to: it scored 10 map-only items, the images skipped
    _preds(tmp_path / "p" / ("train" if under else ""))
    out = tmp_path / "r.json"
    rc = _eval(gt, tmp_path / "p", out, *(["--allow-missing"] if under else []))
    assert rc == 0, capsys.readouterr().err  # was exit 2: "10 of 20 sal2 images have no prediction"
    r = json.loads(out.read_text())["results"][0]
    assert r["n_images"] == 10 and r["excluded"] == {} and r["extra_predictions"] == []
    assert r["metrics"]["CC"] == pytest.approx(1.0, abs=1e-9)  # each prediction is its own maps/train file
    assert isinstance(r["metrics"]["NSS"], float)  # scored on the JSON's points (it was n/a)
    assert not any(NOT_SCORED_ALONE in n for n in json.loads(out.read_text())["notes"])
    ds = fixation_folder(gt)
    assert sorted(it.key for it in ds.items) == stems and all(it.points for it in ds.items)
    assert {Path(it.density).parent for it in ds.items} == {gt / "maps" / "train"}


@pytest.mark.real_data
def test_eval_reads_the_salicon_maps_by_the_jsons_split_in_every_layout(tmp_path, capsys):
    stems = _stems()
    pred = _preds(tmp_path / "p")
    cases = [("train", EXAMPLES.name, "train"),  # the layout README documents for train --data
             ("", EXAMPLES.name, ""),  # a flat maps/
             ("val", "fixations_val2014examples.json", "val")]  # the validation layout
    for n, (sub, json_name, read) in enumerate(cases):
        gt = _salicon(tmp_path / f"g{n}", sub, json_name)
        out = tmp_path / f"r{n}.json"
        rc = _eval(gt, pred, out)  # no --allow-missing: every image has its prediction
        assert rc == 0, (sub, capsys.readouterr().err)
        r = json.loads(out.read_text())["results"][0]
        assert r["n_images"] == 10 and r["excluded"] == {}, (sub, r)
        assert r["metrics"]["CC"] == pytest.approx(1.0, abs=1e-9), sub
        ds = fixation_folder(gt)
        assert sorted(it.key for it in ds.items) == stems, sub
        assert {Path(it.density).parent for it in ds.items} == {gt / "maps" / read if read else gt / "maps"}, sub


@pytest.mark.real_data
def test_a_map_the_training_json_does_not_list_is_one_named_map_only_item(tmp_path, capsys):
    stems = _stems()
    gt = _salicon(tmp_path / "sal2", "train")
    _write(gt / "maps" / "train" / "extra.png", _map(99))
    ds = fixation_folder(gt)
    assert [it.key for it in ds.items] == stems + ["extra"]  # the JSON's images (by file name), then the map
    assert all(it.points for it in ds.items[:10])
    assert ds.items[10].points is None and ds.items[10].density == str(gt / "maps" / "train" / "extra.png")
    assert any(f"1 image(s) {NOT_SCORED_ALONE} (e.g. extra)" in n for n in ds.notes), ds.notes
    pred = _preds(tmp_path / "p")
    _write(pred / "extra.png", _map(99))
    out = tmp_path / "r.json"
    assert _eval(gt, pred, out) == 0, capsys.readouterr().err
    r = json.loads(out.read_text())["results"][0]
    assert r["n_images"] == 11 and r["excluded"] == {"NSS": 1}


@pytest.mark.real_data
def test_a_map_in_a_sub_folder_of_maps_is_its_listed_images_map_and_two_are_refused(tmp_path, capsys):
    stems = _stems()
    gt = _salicon(tmp_path / "sal2", "train2014")  # no split folder: maps/ read whole, keys train2014/<stem>
    ds = fixation_folder(gt)
    assert [it.key for it in ds.items if it.points is None] == []
    assert sorted(it.key for it in ds.items) == stems
    assert {Path(it.density).parent for it in ds.items} == {gt / "maps" / "train2014"}
    _write(gt / "maps" / f"{stems[0]}.png", _map(0))  # a second map of one listed image
    with pytest.raises(UserError) as exc:
        fixation_folder(gt)
    line = (f"{gt / 'maps'}: {stems[0]}.png and train2014/{stems[0]}.png are both maps of the image {stems[0]!r} "
            "of the fixations JSON, so which one is meant cannot be told; rename or move one of them")
    assert str(exc.value) == f"gt {line}"
    out = tmp_path / "r.json"
    rc = _eval(gt, _preds(tmp_path / "p"), out)
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and not out.exists()
    assert err.strip() == f"saliency eval: error: --gt {line}"


# ------------------------------------------------------------------ 2. data.val's notes are printed
def test_train_prints_the_notes_of_the_validation_folder(tmp_path, capsys):
    data = make_sod(tmp_path / "S", n=8)
    val = make_sod(tmp_path / "V", n=3, seed=5)
    (val / "stimuli" / "readme.txt").write_text("not an image")
    shutil.copyfile(val / "stimuli" / "s0001.png", val / "stimuli" / "nomask.png")  # an image without a mask
    run = tmp_path / "run"
    base = ["train", "--data", str(data), "--task", "sod", "--set", "train.threads=1", *TINY_ARGS]
    assert main([*base, "--out", str(run), "--epochs", "1", "--set", f"data.val={val}"]) == 0
    notes = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  note: ")]
    prefix = f"  note: data.val {val} (validation folder): "
    ours = [ln[len(prefix):] for ln in notes if ln.startswith(prefix)]
    assert ours == [f"{val / 'stimuli'}: 1 file(s) left out: not an image extension (.txt; e.g. readme.txt); "
                    "accepted: .png .jpg .jpeg .bmp .tif .tiff .webp .pgm .ppm",
                    "1 of 4 images have no mask and are left out (e.g. nomask)"], notes
    split = json.loads((run / "split.json").read_text(encoding="utf-8"))
    assert "nomask" not in split["val"] and len(split["val"]) == 3
    # a resume reads the folder again and says the same
    assert main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]) == 0
    again = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(prefix)]
    assert [ln[len(prefix):] for ln in again] == ours

"""``saliency eval`` refusals say what is wrong in the toolkit's words (review s33 E1).

1. A ``.npy`` that is not one (text), one of Python objects or one cut short passed numpy's text through: "not a
   readable .npy array (This file contains pickled (object) data. ... `allow_pickle=` keyword ...)", a keyword no
   command has, about a file holding no pickle. Each is now one line saying what the file is and to save the map
   with numpy.save, wherever a .npy is read (a prediction, ``--center-bias``, a folder's center_bias.npy).
2. ``--pred DIR`` was shown as ``--pred DIR=DIR`` (the name taken from the folder, as if typed): shown as typed.
3. ``--config``'s unknown keys were a Python list (``['foo']``); a dataset's came with no keys to use.
"""
import json
import zipfile

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli

NOT_NPY = "not a .npy array (NumPy format); save the map with numpy.save"


def _fixation_set(tmp_path, n=3):
    """A fixation ground-truth folder D (fixations/ + maps/, 48x64) and a prediction folder of PNGs."""
    d, pred = tmp_path / "D", tmp_path / "pred"
    for sub in (d / "fixations", d / "maps", pred):
        sub.mkdir(parents=True)
    rng = np.random.default_rng(7)
    for i in range(n):
        fix = np.zeros((48, 64), np.uint8)
        fix[rng.integers(5, 43, 10), rng.integers(5, 59, 10)] = 255
        m = cv2.GaussianBlur(fix.astype(float), (0, 0), 4)
        m = (255 * m / m.max()).astype(np.uint8)
        cv2.imwrite(str(d / "fixations" / f"s{i}.png"), fix)
        cv2.imwrite(str(d / "maps" / f"s{i}.png"), m)
        cv2.imwrite(str(pred / f"s{i}.png"), m)
    return d, pred


def _bad_npys(tmp_path):
    """(file, what the refusal must say after its path) for each kind of bad .npy."""
    out = []
    text = tmp_path / "text.npy"
    text.write_bytes(b"garbage\n")  # the reviewer's file: numpy took it for a pickle
    out.append((text, NOT_NPY))
    npz = tmp_path / "zipped.npy"  # np.savez's content under a .npy name: np.load returned an NpzFile
    with zipfile.ZipFile(npz, "w") as z:
        z.writestr("arr_0.npy", b"")
    out.append((npz, NOT_NPY))
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([[1, "a"], [None, 2.0]], dtype=object), allow_pickle=True)
    out.append((objects, "the .npy holds Python objects, not numbers; save the map with numpy.save"))
    short = tmp_path / "short.npy"
    np.save(short, np.ones((48, 64)))
    short.write_bytes(short.read_bytes()[:200])  # the header whole, the data cut short
    out.append((short, "a .npy array cut short or damaged (NumPy format); save the map with numpy.save again"))
    return out


def _no_numpy_text(line):
    for word in ("allow_pickle", "pickle.load", "keyword", "cannot reshape", "Failed to interpret"):
        assert word not in line, line


def test_bad_npy_prediction_is_named_in_the_toolkits_words(tmp_path, capsys):
    d, pred = _fixation_set(tmp_path)
    for bad, said in _bad_npys(tmp_path):
        (pred / "s0.png").unlink(missing_ok=True)
        (pred / "s0.npy").write_bytes(bad.read_bytes())
        line = refusal(*run_cli(capsys, ["eval", "--task", "fixation", "--gt", d, "--pred", pred, "--metrics", "NSS",
                                         "--no-progress"]))
        assert line == f"saliency eval: error: {pred / 's0.npy'}: {said}", (bad.name, line)
        _no_numpy_text(line)


def test_bad_npy_center_bias_option_and_folder_file(tmp_path, capsys):
    d, pred = _fixation_set(tmp_path)
    base = ["eval", "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--metrics", "IG", "--no-progress"]
    for bad, said in _bad_npys(tmp_path):
        line = refusal(*run_cli(capsys, [*base, "--center-bias", bad]))
        assert line == f"saliency eval: error: --center-bias {bad}: {said}", (bad.name, line)
        _no_numpy_text(line)
        (d / "center_bias.npy").write_bytes(bad.read_bytes())  # the folder's own IG baseline (no PNG beside it)
        line = refusal(*run_cli(capsys, base))
        assert line.endswith(f"{d / 'center_bias.npy'}: {said}"), (bad.name, line)
        _no_numpy_text(line)
        (d / "center_bias.npy").unlink()


def test_good_npy_still_read(tmp_path, capsys):
    d, pred = _fixation_set(tmp_path)
    m = cv2.imread(str(pred / "s0.png"), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    (pred / "s0.png").unlink()
    np.save(pred / "s0.npy", m)
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", d, "--pred", pred, "--metrics", "NSS",
                                    "--no-progress"])
    assert rc == 0 and "Traceback" not in err, err


def test_pred_shown_as_typed(tmp_path, capsys, monkeypatch):
    d, pred = _fixation_set(tmp_path)
    monkeypatch.chdir(tmp_path)
    base = ["eval", "--task", "fixation", "--gt", "D", "--metrics", "NSS", "--no-progress"]
    line = refusal(*run_cli(capsys, [*base, "--pred", "nope"]))
    assert line == "saliency eval: error: --pred nope: folder not found", line
    line = refusal(*run_cli(capsys, [*base, "--pred", "x=nope"]))  # a name the user gave is kept
    assert line == "saliency eval: error: --pred x=nope: folder not found", line
    (pred / "s1.png").unlink()
    line = refusal(*run_cli(capsys, [*base, "--pred", "pred"]))
    assert line.startswith("saliency eval: error: --pred pred: 1 of 3 images in D have no prediction"), line
    line = refusal(*run_cli(capsys, [*base, "--pred", "M=pred"]))
    assert line.startswith("saliency eval: error: --pred M=pred: 1 of 3 images in D have no prediction"), line
    # a config's method is named by its key, as before
    (tmp_path / "c.json").write_text(json.dumps({"task": "fixation", "datasets": {"D": "D"},
                                                 "methods": {"pred": "pred"}}))
    line = refusal(*run_cli(capsys, ["eval", "--config", "c.json", "--metrics", "NSS", "--no-progress"]))
    assert line.startswith("saliency eval: error: --config c.json: method pred: pred: 1 of 3 images"), line


@pytest.mark.parametrize("cfg, said", [
    ({"foo": 1, "bar": 2}, "--config c.json: unknown key(s) bar, foo; use task, datasets, methods"),
    ({"tsk": "fixation"}, "--config c.json: unknown key(s) tsk; did you mean task?; use task, datasets, methods"),
    ({"datasets": {"o1": {"gt": "D", "colour": "red"}}},
     "--config c.json: dataset o1: unknown key(s) colour; use gt, mask, root, dataset, task"),
    ({"datasets": {"o1": {"gt": "D", "msk": "m"}}},
     "--config c.json: dataset o1: unknown key(s) msk; did you mean mask?; use gt, mask, root, dataset, task"),
])
def test_config_unknown_keys_listed_plainly(tmp_path, capsys, monkeypatch, cfg, said):
    monkeypatch.chdir(tmp_path)
    full = {"task": "fixation", "datasets": {"o1": "D"}, "methods": {"a": "pred"}, **cfg}
    (tmp_path / "c.json").write_text(json.dumps(full))
    line = refusal(*run_cli(capsys, ["eval", "--config", "c.json", "--metrics", "NSS", "--no-progress"]))
    assert line == f"saliency eval: error: {said}", line


def _unreadable_preds(folder, n=3):
    """``folder`` holding a .npy for each of the ``n`` images that is no .npy (text): every one is skipped."""
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"s{i}.npy").write_bytes(b"garbage\n")


def test_no_image_scored_names_pred_as_typed(tmp_path, capsys, monkeypatch):
    """'--pred sub2/pn' (every file unreadable, --allow-missing) was refused as '--pred pn: no image of D could be
    scored', '--pred M=sub2/pn' as '--pred M: ...': neither what the user typed (review s33 RR3)."""
    _fixation_set(tmp_path)
    _unreadable_preds(tmp_path / "sub2" / "pn")
    monkeypatch.chdir(tmp_path)
    base = ["eval", "--task", "fixation", "--gt", "D", "--metrics", "NSS", "--no-progress", "--allow-missing"]
    said = "no image of D could be scored (sub2/pn/s0.npy: " + NOT_NPY
    for typed in ("sub2/pn", "M=sub2/pn"):
        line = refusal(*run_cli(capsys, [*base, "--pred", typed]))
        assert line.startswith(f"saliency eval: error: --pred {typed}: {said}"), line
    # a config's method: named by its key, then its folder, as every other refusal of its folder
    (tmp_path / "c.json").write_text(json.dumps({"task": "fixation", "datasets": {"D": "D"},
                                                 "methods": {"M": "sub2/pn"}}))
    line = refusal(*run_cli(capsys, ["eval", "--config", "c.json", "--metrics", "NSS", "--no-progress",
                                     "--allow-missing"]))
    assert line.startswith(f"saliency eval: error: --config c.json: method M: sub2/pn: {said}"), line


def test_pred_refusal_not_blamed_on_a_config_method_of_its_text(tmp_path, capsys, monkeypatch):
    """c.json's method 'sub/p2' reads the complete folder pred; '--pred sub/p2' (1 of 3 maps) was refused as
    '--config c.json: method sub/p2: 2 of 3 images ...': the refusal's text was matched to the config's method
    name. The refusal is the --pred folder's, said as typed (review s33 RR3)."""
    _, pred = _fixation_set(tmp_path)
    (tmp_path / "sub" / "p2").mkdir(parents=True)
    (tmp_path / "sub" / "p2" / "s0.png").write_bytes((pred / "s0.png").read_bytes())
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.json").write_text(json.dumps({"task": "fixation", "datasets": {"D": "D"},
                                                 "methods": {"sub/p2": "pred"}}))
    cmd = ["eval", "--config", "c.json", "--metrics", "NSS", "--no-progress"]
    line = refusal(*run_cli(capsys, [*cmd, "--pred", "sub/p2"]))
    assert line == ("saliency eval: error: --pred sub/p2: 2 of 3 images in D have no prediction (e.g. s1, s2); "
                    "pass --allow-missing to evaluate the intersection"), line
    # the config's own incomplete folder is still named as the file's method
    (tmp_path / "c.json").write_text(json.dumps({"task": "fixation", "datasets": {"D": "D"},
                                                 "methods": {"sub/p2": "sub/p2"}}))
    line = refusal(*run_cli(capsys, [*cmd, "--pred", "pred"]))
    assert line == ("saliency eval: error: --config c.json: method sub/p2: sub/p2: 2 of 3 images in D have no "
                    "prediction (e.g. s1, s2); pass --allow-missing to evaluate the intersection"), line

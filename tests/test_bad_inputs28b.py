"""Review R36 (fuzzing ``predict --list`` and ``eval --pred``).

1. ``--list``: a UTF-8 BOM was read into the first id (``\\ufeffs0001``: "not predicted: s0001"; a split.json with a
   BOM was "expected a split.json"); a NUL byte in an id was printed raw as "not predicted"; a JSON nested too deep
   exited 1 on an unexpected RecursionError.
2. An empty ``--list`` said "holds no id, only 0 line(s) starting with '#'"; a folder given as ``--list`` was
   "file not found".
3. ``--pred NAME=DIR`` with a NAME of 250 characters was refused as "the name is too long" (the whole spec was
   looked up as a folder).
4. ``--pred m=a --pred m=b`` was told to "use NAME=DIR to name them", which both do.
5. A ``--list`` or ``--pred`` value holding a newline was echoed raw: a two-line error.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from cli_fakes import refusal, run_cli


def _images(folder, names):
    folder.mkdir()
    for name in names:
        assert cv2.imwrite(str(folder / f"{name}.png"), np.full((24, 32, 3), 90, np.uint8))
    return folder


def _predict(capsys, tmp_path, images, lst):
    return run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list", lst,
                            "--out", tmp_path / "o", "--quiet"])


def _pngs(out):
    return sorted(p.name for p in out.glob("*.png"))


# ---------------------------------------------------------------- 1. BOM, NUL, deep JSON

def test_a_list_with_a_bom_keeps_its_first_id(tmp_path, capsys):
    images = _images(tmp_path / "H", ["s0001", "s0002", "s0003"])
    lst = tmp_path / "ids.txt"
    lst.write_bytes(b"\xef\xbb\xbfs0001\ns0002\n")
    rc, out, err = _predict(capsys, tmp_path, images, lst)
    assert rc == 0 and err == "", err
    assert _pngs(tmp_path / "o") == ["s0001.png", "s0002.png"]


def test_a_split_json_with_a_bom_is_read(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a", "b"])
    split = tmp_path / "split.json"
    split.write_bytes(b"\xef\xbb\xbf" + json.dumps({"train": ["a"], "val": ["b"]}).encode())
    rc, out, err = _predict(capsys, tmp_path, images, split)
    assert rc == 0 and err == "", err
    assert _pngs(tmp_path / "o") == ["b.png"]


def test_a_list_holding_a_nul_byte_is_refused_naming_the_file_and_line(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a", "b"])
    lst = tmp_path / "ids.txt"
    lst.write_bytes(b"a\nb\x00c\n")
    line = refusal(*_predict(capsys, tmp_path, images, lst))
    assert line == (f"saliency predict: error: --list {lst}: line 2 holds a NUL byte; a list is text, one image "
                    "stem per line")
    assert "\x00" not in line and not (tmp_path / "o").exists()
    split = tmp_path / "split.json"
    split.write_text('{"val": ["a", "b\\u0000c"]}', encoding="utf-8")  # NUL written as a JSON escape
    assert refusal(*_predict(capsys, tmp_path, images, split)) == (
        f"saliency predict: error: --list {split}: an id of 'val' holds a NUL character; ids are image stems")


def test_a_list_json_nested_too_deep_is_refused_naming_the_file(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a"])
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    line = refusal(*_predict(capsys, tmp_path, images, deep))
    assert line == (f"saliency predict: error: --list {deep}: JSON nested too deep; expected a split.json with a "
                    "'val' list of ids")


# ---------------------------------------------------------------- 2. empty list, a folder as the list

def test_an_empty_list_is_refused_as_holding_no_id(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a"])
    for name, text, why in (("empty.txt", "", "the file is empty or blank"),
                            ("blank.txt", "\n  \n\t\n", "the file is empty or blank")):
        lst = tmp_path / name
        lst.write_text(text, encoding="utf-8")
        line = refusal(*_predict(capsys, tmp_path, images, lst))
        assert line == f"saliency predict: error: --list {lst}: holds no id ({why}); give one image stem per line"
    split = tmp_path / "split.json"
    split.write_text('{"val": []}', encoding="utf-8")
    assert refusal(*_predict(capsys, tmp_path, images, split)) == (
        f"saliency predict: error: --list {split}: holds no id ('val' is empty)")
    assert not (tmp_path / "o").exists()


def test_a_folder_given_as_list_is_said_to_be_a_folder(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a"])
    folder = tmp_path / "lists"
    folder.mkdir()
    line = refusal(*_predict(capsys, tmp_path, images, folder))
    assert line == (f"saliency predict: error: --list {folder}: is a folder; give a text file (one image stem per "
                    "line) or a split.json")


# ---------------------------------------------------------------- 3-5. eval --pred

def _mask(folder):
    folder.mkdir(exist_ok=True)
    m = np.zeros((20, 20), np.uint8)
    m[5:15, 5:15] = 255
    assert cv2.imwrite(str(folder / "x.png"), m)
    return folder


def _eval(capsys, tmp_path, *preds, extra=()):
    gt = _mask(tmp_path / "gt")
    argv = ["eval", "--no-progress", "--task", "sod", "--gt", gt, "--metrics", "MAE", *extra]
    for p in preds:
        argv += ["--pred", p]
    return run_cli(capsys, argv)


def test_a_long_method_name_is_not_looked_up_as_a_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _mask(tmp_path / "spreds")
    name = "n" * 250  # 'NAME=spreds', one path component, is over the file-name limit (255 bytes)
    rc, out, err = _eval(capsys, tmp_path, f"{name}=spreds", extra=["--json", tmp_path / "r.json"])
    assert rc == 0, err
    res = json.loads((tmp_path / "r.json").read_text())["results"]
    # the mask scored against itself: MAE 0, under the given name
    assert [(r["method"], r["metrics"]["MAE"]) for r in res] == [(name, 0.0)]


def test_two_named_preds_of_one_name_are_told_to_differ(tmp_path, capsys):
    a, b = _mask(tmp_path / "preds"), _mask(tmp_path / "preds2")
    line = refusal(*_eval(capsys, tmp_path, f"m={a}", f"m={b}"))
    assert line == "saliency eval: error: --pred: method name(s) m given twice; give each a different NAME"
    # unnamed twins (two folders called preds) are still told to name them
    c = tmp_path / "x" / "preds"
    c.parent.mkdir()
    _mask(c)
    line = refusal(*_eval(capsys, tmp_path, str(a), str(c)))
    assert line == "saliency eval: error: --pred: method name(s) preds given twice; use NAME=DIR to name them"


def test_a_list_or_pred_value_holding_a_newline_stays_one_line(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a"])
    lst = tmp_path / "a\nb.txt"
    line = refusal(*_predict(capsys, tmp_path, images, lst))
    assert line == f"saliency predict: error: --list {str(lst)!r}: file not found"
    spec = "=sp\nreds"
    line = refusal(*_eval(capsys, tmp_path, spec))
    assert line == "saliency eval: error: --pred '=sp\\nreds': expected NAME=DIR or DIR"


def test_a_split_json_whose_val_is_not_a_list_of_text_is_refused(tmp_path, capsys):
    """{"val": "s0001"} was read letter by letter ('not predicted: 0, s'); numbers are no stems either."""
    from cli_fakes import refusal, run_cli

    images = tmp_path / "imgs"
    images.mkdir()
    import numpy as np
    from PIL import Image
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(images / "s0001.png")
    for val in ('"s0001"', "[1, 2]"):
        lst = tmp_path / "split.json"
        lst.write_text('{"val": %s}' % val)
        rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list", lst,
                                        "--out", tmp_path / "o", "--quiet"])
        assert refusal(rc, out, err) == (f"saliency predict: error: --list {lst}: expected a split.json with a 'val' "
                                         f"list of ids")

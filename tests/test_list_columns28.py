"""Review R29: odd but legal names in ``predict --list`` and ``ingest --columns``.

1. ``predict --list``: a line starting with '#' was always a comment, so the image ``#x.png`` listed as ``#x`` was
   dropped without a word; list entries were not taken in Unicode NFC (the image keys are), so a list written on
   macOS (``café`` decomposed) named no image. Now every entry is NFC, a '#' line is an entry when an image has
   that name, and the '#' lines skipped as comments are counted in one note.
2. ``--columns`` was split at every comma: a column named ``Gaze X, px`` could not be given ("each item must be
   KEY=COLUMN" though every item was). Now items are split only at a comma followed by a known key and '='.
"""

from __future__ import annotations

import json
import unicodedata

import cv2
import numpy as np
import pandas as pd

from cli_fakes import refusal, run_cli

NFD = unicodedata.normalize("NFD", "café")
NFC = unicodedata.normalize("NFC", "café")


def _images(folder, names):
    folder.mkdir()
    for name in names:
        assert cv2.imwrite(str(folder / f"{name}.png"), np.full((24, 32, 3), 90, np.uint8))
    return folder


def _pngs(out):
    return sorted(p.name for p in out.glob("*.png"))


# ---------------------------------------------------------------- 1. predict --list: '#' names and NFD names

def test_list_keeps_a_hash_named_image_and_an_nfd_name_and_counts_comments(tmp_path, capsys):
    assert NFD != NFC
    images = _images(tmp_path / "H", ["#x", "y", NFD])
    lst = tmp_path / "H.txt"
    lst.write_text(f"#x\n\ny\n{NFD}\n# a comment\n", encoding="utf-8")
    out = tmp_path / "Hp"
    rc, stdout, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list", lst,
                                       "--out", out, "--quiet"])
    assert rc == 0, err
    # the three listed images, each map named by the image's NFC key; the comment predicts nothing
    assert _pngs(out) == sorted(["#x.png", "y.png", f"{NFC}.png"])
    assert "wrote 3 maps" in stdout
    # no id said to name no image; the one comment line counted in one note
    assert err.splitlines() == [f"saliency predict: 1 line of --list {lst} starts with '#' and "
                                f"names no image here: skipped as a comment (# a comment)"]


def test_list_comments_are_counted_beside_ids_that_name_no_image(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a"])
    lst = tmp_path / "ids.txt"
    lst.write_text("# header\na\nzz\n#two\n", encoding="utf-8")
    rc, _, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list", lst,
                                  "--out", tmp_path / "o", "--quiet"])
    assert rc == 0, err
    assert _pngs(tmp_path / "o") == ["a.png"]
    assert err.splitlines() == [
        f"saliency predict: 1 id(s) of --list {lst} name no image in --images {images}, not predicted: zz",
        f"saliency predict: 2 lines of --list {lst} start with '#' and name no image here: "
        f"skipped as comments (# header, #two)"]


def test_split_json_ids_are_taken_in_nfc(tmp_path, capsys):
    images = _images(tmp_path / "H", [NFD, "other"])
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["other"], "val": [NFD]}), encoding="utf-8")
    rc, _, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list", split,
                                  "--out", tmp_path / "o", "--quiet"])
    assert rc == 0, err
    assert _pngs(tmp_path / "o") == [f"{NFC}.png"] and err == ""


def test_a_list_of_comments_and_unknown_ids_is_refused_saying_both(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a"])
    lst = tmp_path / "ids.txt"
    lst.write_text("# header\nq\n", encoding="utf-8")
    line = refusal(*run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list", lst,
                                     "--out", tmp_path / "o", "--quiet"]))
    assert line == (f"saliency predict: error: --list: none of its 1 ids is an image in --images {images}; its 1 "
                    f"line(s) starting with '#' were skipped as comments")
    assert not (tmp_path / "o").exists()


def test_list_help_states_the_comment_rule(capsys):
    rc, stdout, _ = run_cli(capsys, ["predict", "--help"])
    assert rc == 0
    text = " ".join(stdout.split())
    assert ("blank lines skipped; a line starting with '#' is a stem when an image has that name, else a comment, "
            "skipped and counted") in text


# ---------------------------------------------------------------- 2. --columns: column names holding commas

COLUMNS = "subject=Subj,stimulus=Stim=name,t_start_ms=Start,duration_ms=Dur,x=Gaze X, px,y=Gaze Y, px"


def _fixations(tmp_path):
    stim = tmp_path / "stim"
    stim.mkdir()
    assert cv2.imwrite(str(stim / "pic.png"), np.full((60, 80, 3), 128, np.uint8))
    log = tmp_path / "cols.tsv"
    log.write_text("Subj\tStim=name\tStart\tDur\tGaze X, px\tGaze Y, px\n"
                   "s1\tpic\t0\t200\t10\t20\n"
                   "s1\tpic\t250\t300\t70\t50\n", encoding="utf-8")
    return log, stim


def _ingest(capsys, tmp_path, log, stim, columns):
    return run_cli(capsys, ["ingest", log, "--stimuli", stim, "--out", tmp_path / "o", "--quiet", "--no-ioc",
                            "--format", "fixations", "--detector", "tracker", "--coords", "stimulus",
                            "--sigma-px", "5", "--columns", columns])


def test_columns_with_commas_in_their_names_are_read(tmp_path, capsys):
    log, stim = _fixations(tmp_path)
    rc, _, err = _ingest(capsys, tmp_path, log, stim, COLUMNS)
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    # the file's two rows, from the columns named 'Gaze X, px' and 'Gaze Y, px'
    assert sorted(zip(fix["subject"], fix["stimulus"], fix["x"], fix["y"])) == [
        ("s1", "pic", 10.0, 20.0), ("s1", "pic", 70.0, 50.0)]


def test_columns_fragment_without_equals_is_named(tmp_path, capsys):
    log, stim = _fixations(tmp_path)
    line = refusal(*_ingest(capsys, tmp_path, log, stim, "Subj,x=Gaze X, px"))
    assert line == ("saliency ingest: error: --columns 'Subj' (in 'Subj,x=Gaze X, px'): each item must be "
                    "KEY=COLUMN (e.g. time=TIMESTAMP)")
    assert not (tmp_path / "o").exists()


def test_columns_misspelt_key_after_a_comma_is_still_refused(tmp_path, capsys):
    log, stim = _fixations(tmp_path)
    line = refusal(*_ingest(capsys, tmp_path, log, stim, "x=Gaze X, px,yy=Gaze Y, px"))
    assert line.startswith("saliency ingest: error: --columns: unknown key 'yy'; keys are confidence, duration_ms")
    assert not (tmp_path / "o").exists()


def test_columns_a_bare_key_or_a_keyless_item_after_a_comma_is_named():
    """'x=GX,y' and 'x=GX,=GY' were read as columns named 'GX,y' and 'GX,=GY' ('no such column' named the wrong
    problem): the fragment is named as lacking KEY=COLUMN; a comma inside a column name still reads."""
    import pytest

    from saliency.base.errors import UserError
    from saliency.data_tools.readers.base import parse_columns

    for spec, frag in (("x=GX,y", "y"), ("x=GX,=GY,y=GY", "=GY")):
        with pytest.raises(UserError) as e:
            parse_columns(spec)
        assert str(e.value) == f"columns {frag!r} (in {spec!r}): each item must be KEY=COLUMN (e.g. time=TIMESTAMP)"
    assert parse_columns("x=Gaze X, px,y=Gaze Y, px") == {"x": "Gaze X, px", "y": "Gaze Y, px"}


def test_a_list_of_comments_only_is_refused_without_a_count_of_zero_ids(tmp_path, capsys):
    images = _images(tmp_path / "H", ["a"])
    lst = tmp_path / "ids.txt"
    lst.write_text("# header\n#two\n", encoding="utf-8")
    rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list", lst,
                                    "--out", tmp_path / "o", "--quiet"])
    assert refusal(rc, out, err) == (f"saliency predict: error: --list: holds no id, only 2 line(s) starting with "
                                     f"'#', which name no image in --images {images} and were skipped as comments")

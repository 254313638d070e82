"""Names that differ only in case are one name on macOS and Windows file systems (review 31, F13).

A lab shares its datasets across systems; on a file system that ignores case the second of ``Img.png`` and
``img.png`` written replaces the first, and a map is lost in silence. Refused, both files named:

1. ingest: stimuli whose stems are equal ignoring case (after NFC), as stimuli of one stem are.

Oracles: the messages whole, written out by hand; the folders the reviewer's runs produced (two maps whose names
differ only in case) told apart from what a user expects (no output at all).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from cli_fakes import refusal, run_cli


def _image(path: Path, w: int = 40, h: int = 30) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 128, np.uint8)).save(path)


# ---------------------------------------------------------------- 1. ingest: stimuli of one stem ignoring case

def _ingest(capsys, tmp_path: Path, stimuli: list[str], named: list[str]):
    for n in stimuli:
        _image(tmp_path / "stim" / n)
    fix = tmp_path / "fix.csv"
    fix.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                   + "".join(f"s1,{n},10,10,{250 * i},200\n" for i, n in enumerate(named)))
    return run_cli(capsys, ["ingest", fix, "--stimuli", tmp_path / "stim", "--out", tmp_path / "o", "--quiet",
                            "--detector", "tracker", "--coords", "stimulus", "--sigma-px", "1"])


def _case_line(tmp_path: Path, names: str, name: str) -> str:
    return (f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: {names} have stems that differ only in case, "
            f"and the logs name {name!r}; maps are named by stem, and a file system that ignores case (macOS, "
            f"Windows) keeps one map of the two: rename one of the files")


def test_stimuli_whose_stems_differ_in_case_and_extension_are_refused(tmp_path, capsys):
    # the reviewer's T12: Img.png and img.jpg, each named exactly by its rows; before, maps/Img.png and maps/img.png
    line = refusal(*_ingest(capsys, tmp_path, ["Img.png", "img.jpg", "cat.png"], ["Img.png", "img.jpg", "cat"]))
    assert line == _case_line(tmp_path, "Img.png and img.jpg", "Img.png")
    assert not (tmp_path / "o").exists()


def test_stimuli_whose_names_differ_only_in_case_are_refused_even_when_named_exactly(tmp_path, capsys):
    line = refusal(*_ingest(capsys, tmp_path, ["Img.png", "img.png"], ["img"]))
    assert line == _case_line(tmp_path, "Img.png and img.png", "img")
    assert not (tmp_path / "o").exists()


def test_case_twins_are_compared_after_nfc(tmp_path, capsys):
    nfd = unicodedata.normalize("NFD", "Café.png")  # as macOS writes it; the log's name is composed
    line = refusal(*_ingest(capsys, tmp_path, [nfd, "café.jpg"], ["café"]))
    assert line.startswith(f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: ")
    assert "have stems that differ only in case" in line and line.endswith("rename one of the files")
    assert not (tmp_path / "o").exists()


def test_a_folder_with_case_twins_still_ingests_rows_that_name_neither(tmp_path, capsys):
    # as for a.jpg and a.png: the refusal is of a name that finds them, not of the folder
    rc, out, err = _ingest(capsys, tmp_path, ["Img.png", "img.jpg", "cat.png"], ["cat", "cat.png"])
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "o" / "fixations.csv")["stimulus"].tolist() == ["cat", "cat"]
    assert sorted(p.name for p in (tmp_path / "o" / "maps").iterdir()) == ["cat.png"]


def test_exact_stem_twins_keep_their_own_message(tmp_path, capsys):
    line = refusal(*_ingest(capsys, tmp_path, ["a.jpg", "a.png"], ["a"]))
    assert line == (f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: a.jpg and a.png share the stem 'a', and "
                    f"the logs name 'a'; maps and tables are named by stem, so keep one of the files in the folder")

"""``saliency synth --backgrounds DIR``: an entry of DIR with an image name that is not a readable regular file
(a broken symbolic link, a folder named ``*.jpg``, a FIFO) is refused, naming it, before --out is touched
(review R3, stop 29). It was skipped silently: study.json counted one photograph fewer, and once the link was
repaired the same --seed gave a different study.

Oracle: the documented refusal contract (exit 2, one line naming the entry, nothing written) and the folder's
hand-counted photographs (a link to a real image is a photograph; a hidden name and a .txt are not).
"""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli


def _photos(folder):
    folder.mkdir()
    for i, bgr in enumerate(((40, 40, 200), (60, 160, 40))):
        cv2.imwrite(str(folder / f"p{i}.jpg"), np.full((24, 32, 3), bgr, np.uint8))
    return folder


def _argv(bg, out):
    return ["synth", "--out", out, "--scenes", 2, "--subjects", 1, "--size", "64x48", "--viewing-ms", 200,
            "--rate", 100, "--workers", 1, "--backgrounds", bg, "--quiet"]


@pytest.mark.parametrize("kind", ["broken link", "folder", "fifo"])
def test_an_image_name_that_is_not_a_regular_file_is_refused(tmp_path, capsys, kind):
    bg = _photos(tmp_path / "bg")
    bad = bg / "1003.jpg"
    if kind == "broken link":
        os.symlink(tmp_path / "nonexistent" / "x.jpg", bad)
    elif kind == "folder":
        bad.mkdir()
    else:
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(bad)
    out = tmp_path / "out"
    line = refusal(*run_cli(capsys, _argv(bg, out)))
    assert "--backgrounds" in line and str(bad) in line and "fix or remove it" in line, line
    assert not out.exists()  # nothing written, not even the folder
    assert not [p for p in tmp_path.iterdir() if p.name not in ("bg", "nonexistent")]  # no staging folder left


def test_a_link_to_a_photograph_counts_and_hidden_or_other_names_stay_ignored(tmp_path, capsys):
    bg = _photos(tmp_path / "bg")
    elsewhere = _photos(tmp_path / "elsewhere")
    os.symlink(elsewhere / "p0.jpg", bg / "p2.jpg")  # a working link: a third photograph
    os.symlink(tmp_path / "nonexistent.jpg", bg / ".hidden.jpg")  # hidden: ignored, as before
    (bg / "notes.txt").write_text("not an image name: ignored")
    out = tmp_path / "out"
    rc, stdout, err = run_cli(capsys, _argv(bg, out))
    assert rc == 0, err
    assert json.loads((out / "study.json").read_text())["background_photos"] == 3

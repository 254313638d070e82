"""Two messages that echoed a user's value raw (left alone at stop 28): a newline or tab split the one line.

1. ``saliency eval --pred DIR`` where DIR holds a newline and is not there: "folder not found" printed the name raw,
   so the refusal took two lines. Now the folder is shown as ``repr`` (``saliency.base.images.shown_path``).
2. ``saliency predict --list``: an id holding a tab that names no image was printed raw in "not predicted: ...".
"""

from __future__ import annotations

import cv2
import numpy as np

from cli_fakes import refusal, run_cli


def test_eval_pred_folder_with_a_newline_not_found_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gt").mkdir()
    assert cv2.imwrite(str(tmp_path / "gt" / "x.png"), np.full((8, 8), 255, np.uint8))
    line = refusal(*run_cli(capsys, ["eval", "--no-progress", "--task", "sod", "--gt", "gt", "--metrics", "MAE",
                                     "--pred", "M=no\nsuch", "--json", "r.json"]))
    # refusal() already demands exactly one stderr line; the name is shown escaped, as repr writes it
    assert "'M=no\\nsuch': folder not found" in line, line
    assert not (tmp_path / "r.json").exists()


def test_predict_list_id_with_a_tab_is_shown_escaped(tmp_path, capsys):
    images = tmp_path / "H"
    images.mkdir()
    assert cv2.imwrite(str(images / "a.png"), np.full((24, 32, 3), 90, np.uint8))
    lst = tmp_path / "ids.txt"
    lst.write_text("a\nz\tz\n", encoding="utf-8")
    rc, _, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list", lst,
                                  "--out", tmp_path / "o", "--quiet"])
    assert rc == 0, err
    assert sorted(p.name for p in (tmp_path / "o").glob("*.png")) == ["a.png"]
    assert err.splitlines() == [
        f"saliency predict: 1 id(s) of --list {lst} name no image in --images {images}, not predicted: 'z\\tz'"]

"""``saliency crop`` writes its warnings where ``saliency predict`` writes them: stderr, "saliency crop: " first.

Before, crop printed them (an unreadable image skipped, a blank map, a window under --min-size, ...) on stdout
among its results. Oracle, hand-worked: a uniform map over a 120x90 image keeps, in the largest 1:1 window
(90x90), 90/120 = 75 % of the saliency; the results ("cropped ...", "saliency kept ...") stay on stdout.
--quiet drops the progress bar only, as with predict: the warnings are still printed.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cli_fakes import run_cli


def _folders(tmp_path):
    """imgs/good.png (120x90, a uniform map), imgs/bad.png (corrupt, no map); relative paths from tmp_path."""
    imgs, maps = tmp_path / "imgs", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    cv2.imwrite(str(imgs / "good.png"), np.full((90, 120, 3), 90, np.uint8))
    cv2.imwrite(str(maps / "good.png"), np.full((90, 120), 7, np.uint8))
    (imgs / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return imgs, maps


@pytest.mark.parametrize("quiet", [["--quiet"], []])
def test_skipped_image_is_a_warning_on_stderr(tmp_path, capsys, monkeypatch, quiet):
    _folders(tmp_path)
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(capsys, ["crop", "--images", "imgs", "--maps", "maps", "--aspect", "1:1",
                                    "--out", "crb", *quiet])
    assert rc == 0, err
    assert out.splitlines() == ["cropped 1 image(s) to 1:1 into crb/ (boxes in crops.json)",
                                "saliency kept: mean 75.0%, min 75.0%"]
    assert "saliency crop: skipped 1 unreadable image(s): imgs/bad.png" in err.splitlines(), err
    assert "Traceback" not in err


def test_same_stream_and_prefix_as_predict(tmp_path, capsys, monkeypatch):
    _folders(tmp_path)
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", "imgs", "--out", "p",
                                    "--quiet"])
    assert rc == 0 and "bad.png" not in out
    assert [ln for ln in err.splitlines() if "bad.png" in ln][0].startswith("saliency predict: skipped imgs/bad.png")
    rc, out, err = run_cli(capsys, ["crop", "--images", "imgs", "--maps", "p", "--aspect", "1:1", "--out", "c",
                                    "--quiet"])
    assert rc == 0 and "bad.png" not in out, out
    assert err == "saliency crop: skipped 1 unreadable image(s): imgs/bad.png\n"


def test_every_warning_goes_to_stderr_and_only_results_to_stdout(tmp_path, capsys, monkeypatch):
    """A blank map with --keep, a 20x20 image under --min-size 32, and a .txt left out: three warnings."""
    imgs, maps = _folders(tmp_path)
    cv2.imwrite(str(imgs / "blank.png"), np.full((90, 120, 3), 50, np.uint8))
    cv2.imwrite(str(maps / "blank.png"), np.zeros((90, 120), np.uint8))
    cv2.imwrite(str(imgs / "tiny.png"), np.full((20, 20, 3), 50, np.uint8))
    tiny = np.zeros((20, 20), np.uint8)
    tiny[8:12, 8:12] = 255
    cv2.imwrite(str(maps / "tiny.png"), tiny)
    (imgs / "notes.txt").write_text("x\n")
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(capsys, ["crop", "--images", "imgs", "--maps", "maps", "--aspect", "1:1",
                                    "--keep", "0.5", "--out", "crb", "--quiet"])
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "cropped 3 image(s) to 1:1 into crb/ (boxes in crops.json)" and len(lines) == 2, out
    assert lines[1].startswith("saliency kept: ") and lines[1].endswith("(1 blank map(s) left out)"), out
    warn = err.splitlines()
    assert all(ln.startswith("saliency crop: ") for ln in warn) and len(warn) == 4, err
    said = "\n".join(warn)
    assert "1 image(s) with a blank map" in said and "--keep 0.5 could not apply" in said
    assert "1 image(s) too small for a 1:1 window of --min-size 32 pixels" in said
    assert "skipped 1 unreadable image(s): imgs/bad.png" in said
    assert "saliency crop: --images imgs: 1 file(s) left out: not an image extension (.txt" in said

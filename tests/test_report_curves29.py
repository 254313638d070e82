"""Review R17 (stop 29): two evals of different datasets writing one --plot-dir leave both datasets' curves there
(eval never deletes another run's files); ``saliency report --eval`` of the second embedded the first's curves
beside a table that does not hold that dataset. Now only the curves of the --eval files' datasets are shown and
the others are named in one note; a user's own PNG in the folder is still shown."""

from __future__ import annotations

import cv2
import numpy as np

from cli_fakes import run_cli


def _pairs(root, n=3):
    rng = np.random.default_rng(0)
    for folder in ("gt", "pred"):
        (root / folder).mkdir()
    for i in range(n):
        mask = np.zeros((24, 32), np.uint8)
        mask[4 + i:14 + i, 6:20] = 255
        assert cv2.imwrite(str(root / "gt" / f"{i}.png"), mask)
        pred = np.clip(mask.astype(float) * 0.7 + rng.random((24, 32)) * 60, 0, 255).astype(np.uint8)
        assert cv2.imwrite(str(root / "pred" / f"{i}.png"), pred)


def test_report_shows_only_the_curves_of_its_eval_datasets(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _pairs(tmp_path)
    for name in ("first", "second"):
        rc, _, err = run_cli(capsys, ["eval", "--task", "sod", "--pred", "m=pred", "--gt", "gt", "--name", name,
                                      "--json", "r.json", "--plot-dir", "c", "--quiet", "--no-progress"])
        assert rc == 0, err
    assert (tmp_path / "c" / "first_pr.png").is_file()  # eval left the first run's curves, as documented
    assert cv2.imwrite(str(tmp_path / "c" / "mine.png"), np.zeros((8, 8), np.uint8))  # a user's own figure
    rc, _, err = run_cli(capsys, ["report", "--eval", "r.json", "--plots", "c", "--out", "rep", "--quiet"])
    assert rc == 0, err
    assets = sorted(p.name for p in (tmp_path / "rep" / "assets").glob("curve_*.png"))
    assert assets == ["curve_mine.png", "curve_second_fm.png", "curve_second_pr.png"]
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "2 curve(s) in c of datasets that no --eval file holds, left out: first_fm.png, first_pr.png." in md

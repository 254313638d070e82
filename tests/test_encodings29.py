"""Review R9 (stop 29): two tables a user saves on Windows were refused where FORMATS ("Text encoding") says they
are read.

1. A ``--trials`` table saved by Excel as "CSV (Comma delimited)" (Windows-1252: ``Jörg``, ``café.png`` as single
   bytes) was refused with pandas' codec error, though the logs beside it read the same bytes as Windows-1252.
2. ``eval --config`` JSON starting with a UTF-8 BOM (Windows Notepad) was refused "Unexpected UTF-8 BOM"; a YAML
   config and ``--geometry`` JSON with a BOM were read.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pandas as pd

from cli_fakes import run_cli


def test_a_windows_1252_trials_table_is_read_as_the_logs_are(tmp_path, capsys):
    stim = tmp_path / "stim"
    stim.mkdir()
    for name in ("café", "beach"):
        assert cv2.imwrite(str(stim / f"{name}.png"), np.full((60, 80, 3), 120, np.uint8))
    log = tmp_path / "fix.csv"
    log.write_text("subject,trial,x,y,duration_ms\nJörg,1,10,20,200\nJörg,1,15,23,201\nJörg,2,40,30,250\n",
                   encoding="utf-8")
    trials = tmp_path / "trials.csv"
    trials.write_bytes("subject,trial,stimulus\r\nJörg,1,café.png\r\nJörg,2,beach.png\r\n".encode("cp1252"))
    out = tmp_path / "o"
    rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--trials", trials, "--out", out,
                                  "--screen-px", "80x60", "--sigma-px", "5", "--quiet"])
    assert rc == 0, err
    fx = pd.read_csv(out / "fixations.csv")
    # hand-worked: trial 1 (two fixations) is café, trial 2 (one) beach; the subject's name kept as written
    assert sorted(zip(fx["stimulus"], fx["x"])) == [("beach", 40.0), ("café", 10.0), ("café", 15.0)]
    assert set(fx["subject"]) == {"Jörg"}


def test_an_eval_json_config_with_a_bom_is_read(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder in ("gt", "pred"):
        (tmp_path / folder).mkdir()
    mask = np.zeros((8, 8), np.uint8)
    mask[2:6, 2:6] = 255
    assert cv2.imwrite(str(tmp_path / "gt" / "a.png"), mask)
    pred = mask.copy()
    pred[2, 2] = 0  # one pixel of 64 wrong: MAE 1/64
    assert cv2.imwrite(str(tmp_path / "pred" / "a.png"), pred)
    cfg = {"task": "sod", "datasets": {"mine": {"gt": "gt"}}, "methods": {"M": "pred"}}
    (tmp_path / "c.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(cfg).encode("utf-8"))
    rc, _, err = run_cli(capsys, ["eval", "--config", "c.json", "--metrics", "MAE", "--json", "r.json", "--no-progress", "--quiet"])
    assert rc == 0, err
    res = json.loads((tmp_path / "r.json").read_text())["results"]
    assert [(r["method"], r["metrics"]["MAE"]) for r in res] == [("M", 1 / 64)]

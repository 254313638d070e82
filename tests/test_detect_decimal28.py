"""`saliency detect --decimal comma` says when it had no effect, as ingest does (decimal_comma_applied).

Oracle: hand-written logs; a comma-separated file cannot hold an unquoted decimal comma, so `--decimal comma`
reads it exactly as without it; the same samples written with ';' and ',' read with a comma per number.
"""

from __future__ import annotations

import json

from cli_fakes import run_cli

GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65"]


def _log(path, sep=",", mark="."):
    rows = [f"time{sep}x{sep}y"]
    for i in range(300):  # 600 ms at 500 Hz: a fixation, a 10 deg jump, a fixation
        x = 500.25 if i < 150 else 900.75
        rows.append(sep.join([str(1000 + 2 * i), f"{x}".replace(".", mark), "400.5".replace(".", mark)]))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_decimal_comma_on_a_point_log_is_said_and_recorded(tmp_path, capsys):
    log = _log(tmp_path / "g.csv")
    rc, _, err = run_cli(capsys, ["detect", log, *GEOM, "--decimal", "comma", "--out", tmp_path / "x"])
    assert rc == 0, err
    said = [ln for ln in err.splitlines() if "--decimal comma had no effect" in ln]
    assert len(said) == 1 and str(log) in said[0], err
    doc = json.loads((tmp_path / "x" / "detection.json").read_text())
    assert doc["inputs"][0]["decimal_comma_applied"] is False
    assert [w for w in doc["warnings"] if "had no effect" in w]


def test_decimal_comma_on_a_comma_log_is_silent(tmp_path, capsys):
    log = _log(tmp_path / "g.csv", sep=";", mark=",")
    rc, _, err = run_cli(capsys, ["detect", log, *GEOM, "--decimal", "comma", "--out", tmp_path / "x"])
    assert rc == 0, err
    assert "had no effect" not in err
    doc = json.loads((tmp_path / "x" / "detection.json").read_text())
    assert doc["inputs"][0]["decimal_comma_applied"] is True

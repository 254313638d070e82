"""Time columns a re-save damaged (review R9): an unreadable unit, time stamps rounded to one value.

- A Tobii Pro Lab export re-saved as Windows-1252 by a tool writing '?' for 'μ' has ``Recording timestamp
  [?s]`` (a decoder's replacement character gives ``[\ufffds]``): no unit at all, not an unknown one, so
  ``--time-unit`` applies; without it the refusal names the column and the fix.
- A 16-digit µs time column a spreadsheet wrote as ``1.70000E+15`` gives every sample one stamp:
  ``saliency detect`` says so (once, naming the file and trial) instead of 0 fixations without a word.

Oracles are hand-worked: 0 and 200000 µs are 0 and 200 ms; 1500 samples on one stamp are 1499 repeats;
a log with two rows per stamp (one per eye) repeats exactly half and is not told.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli

SIZE = (64, 48)
SMALL = ["--sigma-px", "3", "--screen-px", f"{SIZE[0]}x{SIZE[1]}"]
GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53x30", "--distance-cm", "60"]


def _stimuli(tmp_path):
    d = tmp_path / "stim"
    d.mkdir()
    Image.new("RGB", SIZE, (90, 90, 90)).save(d / "img1.png")
    return d


def _prolab(tmp_path, unit: str, encoding: str = "utf-8"):
    head = [f"Recording timestamp [{unit}]", "Participant name", "Presented Media name", "Eye movement type",
            "Gaze event duration [ms]", "Eye movement type index", "Fixation point X", "Fixation point Y"]
    rows = [[0, "P1", "img1.png", "Fixation", 150, 1, 20, 20],
            [200000, "P1", "img1.png", "Fixation", 150, 2, 40, 30]]
    p = tmp_path / "prolab.tsv"
    p.write_bytes(("\t".join(head) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows) + "\n").encode(encoding))
    return p


def _ingest(tmp_path, capsys, log, *extra, out="d"):
    return run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--detector", "tracker",
                            "--out", tmp_path / out, "--quiet", *SMALL, *extra])


@pytest.mark.parametrize("unit,encoding", [("?s", "cp1252"), ("\ufffds", "utf-8")])
def test_an_unreadable_prolab_unit_without_time_unit_is_refused_naming_the_column(tmp_path, capsys, unit,
                                                                                   encoding):
    log = _prolab(tmp_path, unit, encoding)
    line = refusal(*_ingest(tmp_path, capsys, log))
    assert "prolab.tsv" in line and "Recording timestamp [" in line, line
    assert "μ" in line and "re-sav" in line and "--time-unit us" in line and "[us]" in line, line
    assert "unknown time unit" not in line, line
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("unit,encoding", [("?s", "cp1252"), ("\ufffds", "utf-8")])
def test_an_unreadable_prolab_unit_takes_time_unit(tmp_path, capsys, unit, encoding):
    log = _prolab(tmp_path, unit, encoding)
    rc, _, err = _ingest(tmp_path, capsys, log, "--time-unit", "us")
    assert rc == 0, err
    f = pd.read_csv(tmp_path / "d" / "fixations.csv")
    assert f["t_start_ms"].tolist() == [0.0, 200.0]  # 0 and 200000 µs
    assert f["duration_ms"].tolist() == [150.0, 150.0]
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert m["inputs"][0]["time_unit_applied"] is True


def test_an_unreadable_unit_in_a_generic_table_names_the_lost_mu(tmp_path, capsys):
    p = tmp_path / "s.csv"
    t = np.arange(300) * 2000.0  # 500 Hz in µs
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time [?s]": t, "x": 300.0, "y": 400.0}).to_csv(p, index=False)
    line = refusal(*run_cli(capsys, ["detect", p, "--out", tmp_path / "o", "--quiet", *GEOM]))
    assert "s.csv" in line and "'?s'" in line and "μ" in line and "[us]" in line, line
    assert "unknown time unit" not in line, line
    assert not (tmp_path / "o").exists()


def _excel_rounded(path, n=1500):
    """``n`` samples at 500 Hz whose 16-digit µs times a spreadsheet wrote as 1.70000E+15 (one stamp)."""
    rng = np.random.default_rng(0)
    lines = ["subject,stimulus,trial,time_us,x,y"]
    lines += [f"p1,img0,1,1.70000E+15,{960 + rng.normal(0, 2):.1f},{540 + rng.normal(0, 2):.1f}" for _ in range(n)]
    # a second trial, one row per eye: every stamp twice, exactly half the rows repeat one (not told)
    t0 = 1_700_000_000_000_000
    for i in range(300):
        for eye_dx in (0.0, 20.0):
            lines.append(f"p1,img0,2,{t0 + 2000 * i},{600 + eye_dx:.1f},{500.0:.1f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_detect_says_when_most_samples_repeat_one_time_stamp(tmp_path, capsys):
    log = _excel_rounded(tmp_path / "excel_us.csv")
    rc, out, err = run_cli(capsys, ["detect", log, "--out", tmp_path / "o", "--quiet", *GEOM])
    assert rc == 0, err
    want = "1499 of 1500 samples repeat the previous time stamp"
    said = [ln for ln in err.splitlines() if "warning" in ln and "repeat the previous time stamp" in ln]
    assert len(said) == 1 and want in said[0] and "excel_us.csv" in said[0], err
    assert "trial '1'" in said[0] and "1.70000E+15" in said[0] and "export times in full" in said[0], said
    d = json.loads((tmp_path / "o" / "detection.json").read_text())
    rec = [w for w in d["warnings"] if "repeat the previous time stamp" in w]
    assert len(rec) == 1 and want in rec[0] and "trial '1'" in rec[0], d["warnings"]
    assert d["counts"]["duplicate_times"] == 1499 + 300

"""Review R13 (stop 29): a tab-separated table whose numbers use a decimal point, read with --decimal comma, loses
every row (a point is a thousands point under that option); the refusal named --format (or nothing), never
--decimal. And the generic samples/fixations reader refused an unreadable time unit ('[?s]', a 'μ' lost in a
re-save) even with --time-unit given, while ingest's docs say --time-unit then applies (as Tobii's reader does).
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from cli_fakes import refusal, run_cli

GEOM = ["--screen-px", "640x480", "--screen-cm", "40x30", "--distance-cm", "60"]
FIX = "leave out --decimal comma (its numbers use a decimal point)"


def _samples(path, xs, header_time="time_ms", step=2, t0=0):
    """A 500 Hz tab-separated samples table (one subject, stimulus img.png), x as given per row, y 240."""
    rows = [f"s1\timg.png\t{t0 + i * step}\t{x}\t240" for i, x in enumerate(xs)]
    path.write_text(f"subject\tstimulus\t{header_time}\tx\ty\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _stimuli(tmp_path):
    st = tmp_path / "st"
    st.mkdir()
    cv2.imwrite(str(st / "img.png"), np.full((480, 640, 3), 128, np.uint8))
    return st


def test_ingest_point_numbers_under_decimal_comma_name_the_option(tmp_path, capsys):
    log = _samples(tmp_path / "p.tsv", ["320.5"] * 400)
    st = _stimuli(tmp_path)
    for fmt in (["--format", "samples"], []):  # the format was right: never advised to leave it out
        line = refusal(*run_cli(capsys, ["ingest", log, *fmt, "--decimal", "comma", "--stimuli", st,
                                         "--out", tmp_path / "o", "--quiet", *GEOM]))
        assert f"{log}: 400 of its 400 rows hold a number written with a point" in line, line
        assert "quarantined (non_numeric 400)" in line and line.endswith(FIX), line
        assert "--format" not in line, line
        assert not (tmp_path / "o").exists()


def test_detect_point_numbers_under_decimal_comma_name_the_option(tmp_path, capsys):
    log = _samples(tmp_path / "p.tsv", ["320.5"] * 400)
    line = refusal(*run_cli(capsys, ["detect", log, "--decimal", "comma", "--out", tmp_path / "d", "--quiet",
                                     *GEOM]))
    assert line.startswith(f"saliency detect: error: no raw samples in {log}; nothing to detect; "), line
    assert f"{log}: 400 of its 400 rows hold a number written with a point" in line and line.endswith(FIX), line


def test_detect_warning_counts_the_point_rows_it_quarantined(tmp_path, capsys):
    # 200 whole numbers (read) then 200 written with a point (quarantined): not 'had no effect', as ingest says it
    log = _samples(tmp_path / "h.tsv", ["320"] * 200 + ["320.5"] * 200)
    rc, out, err = run_cli(capsys, ["detect", log, "--decimal", "comma", "--out", tmp_path / "d", "--quiet", *GEOM])
    assert rc == 0, err
    warn = [w for w in err.splitlines() if "--decimal comma" in w]
    assert len(warn) == 1, err
    assert "200 rows holding a number written with a point (1.234) were quarantined (non_numeric 200)" in warn[0]
    assert "had no effect" not in warn[0]


def test_samples_unreadable_unit_takes_time_unit(tmp_path, capsys):
    # time [?s] in microseconds: 400 samples 2000 us apart, all on one point -> one fixation of 798 ms from 1.7e12 ms
    log = _samples(tmp_path / "q.tsv", ["320"] * 400, header_time="time [?s]", step=2000, t0=1_700_000_000_000_000)
    st = _stimuli(tmp_path)
    rc, out, err = run_cli(capsys, ["ingest", log, "--format", "samples", "--time-unit", "us", "--stimuli", st,
                                    "--out", tmp_path / "o", "--quiet", *GEOM])
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert len(fix) == 1
    assert fix["t_start_ms"].iat[0] == 1.7e12 and fix["duration_ms"].iat[0] == 798.0
    # without --time-unit: refused, naming both fixes
    line = refusal(*run_cli(capsys, ["ingest", log, "--format", "samples", "--stimuli", st, "--out",
                                     tmp_path / "o2", "--quiet", *GEOM]))
    assert "column time [?s]: unit '?s' unreadable" in line and "give --time-unit us" in line, line


def test_fixations_unreadable_unit_takes_time_unit(tmp_path, capsys):
    log = tmp_path / "f.tsv"
    log.write_text("subject\tstimulus\tstart [?s]\tduration [?s]\tx\ty\n"
                   "s1\timg.png\t1000000\t250000\t100\t100\n"
                   "s1\timg.png\t1300000\t200000\t200\t300\n", encoding="utf-8")
    st = _stimuli(tmp_path)
    rc, out, err = run_cli(capsys, ["ingest", log, "--format", "fixations", "--time-unit", "us", "--stimuli", st,
                                    "--out", tmp_path / "o", "--quiet", *GEOM])
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert fix["duration_ms"].tolist() == [250.0, 200.0]
    assert fix["t_start_ms"].tolist() == [1000.0, 1300.0]

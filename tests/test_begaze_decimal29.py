"""Regression review RR4 (stop 29) of 6d0b139: under ``--decimal comma`` a value holding a point is non-numeric
(a thousands point is never guessed) except in a comma-separated table, where the point is the decimal point; the
BeGaze event reader splits its lines itself and never said its table was comma-separated, so a comma-separated
BeGaze event export lost every fixation (bad_coordinates) when a run's --decimal comma was meant for another input.
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from cli_fakes import run_cli

EVENTS = """[BeGaze]
[Run]
Subject:,P08

Table Header for Fixations:
Event Type,Trial,Number,Start,End,Duration,Location X,Location Y

Table Header for User Events:
Event Type,Trial,Number,Start,Description

UserEvent,1,1,1000000,# Message: cat01.jpg
Fixation L,1,1,1100000,1400000,300000,400.5,500.25
Fixation L,1,2,1500000,1750000,250000,1200.75,600.5
"""


def test_a_comma_separated_begaze_event_export_reads_its_points_under_decimal_comma(tmp_path, capsys):
    stim = tmp_path / "stim"
    stim.mkdir()
    assert cv2.imwrite(str(stim / "cat01.jpg"), np.full((1050, 1680, 3), 100, np.uint8))
    log = tmp_path / "ev.txt"
    log.write_text(EVENTS, encoding="utf-8")
    out = tmp_path / "o"
    rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--out", out, "--screen-px", "1680x1050",
                                  "--sigma-px", "5", "--decimal", "comma", "--quiet"])
    assert rc == 0, err
    fx = pd.read_csv(out / "fixations.csv")
    # the stimulus fills the screen: stimulus pixels are the screen's, as the file writes them (decimal points)
    assert list(zip(fx["x"], fx["y"], fx["duration_ms"])) == [(400.5, 500.25, 300.0), (1200.75, 600.5, 250.0)]
    assert "had no effect" in err  # no number of the file was written with a decimal comma: said, as before


def test_a_header_re_saved_as_a_table_names_the_subject_without_its_separators(tmp_path, capsys):
    # regression review RR5 (older than this session): "Subject:,P08" (a header line re-saved by a spreadsheet as a
    # comma-separated row) named the subject ",P08"; a later block's "Subject:;P09;;" likewise
    stim = tmp_path / "stim"
    stim.mkdir()
    assert cv2.imwrite(str(stim / "cat01.jpg"), np.full((1050, 1680, 3), 100, np.uint8))
    log = tmp_path / "ev.txt"
    log.write_text(EVENTS, encoding="utf-8")
    out = tmp_path / "o"
    rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--out", out, "--screen-px", "1680x1050",
                                  "--sigma-px", "5", "--quiet"])
    assert rc == 0, err
    assert set(pd.read_csv(out / "fixations.csv", dtype={"subject": str})["subject"]) == {"P08"}

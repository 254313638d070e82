"""Review 27 of the EyeLink readers: lines cut short, ``--decimal comma`` on ASC, an eye never valid, a report's
``CURRENT_FIX_END``, and ASC files holding only the other kind of rows than those read.

Oracles: small hand-written ASC files and Data Viewer reports whose every value is worked out by hand (a line cut
mid-number must never be read with its cut value; a report's duration is END - START when it has no DURATION).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cli_fakes import refusal, run_cli
from saliency.base.errors import UserError
from saliency.data_tools.ingest import open_reader
from saliency.data_tools.readers import ReadOptions

GEO = ["--screen-px", "1920x1080", "--screen-cm", "53x30", "--distance-cm", "60"]
HEAD = ["** CONVERTED FROM sub01.edf using edf2asc", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00",
        "MSG\t1000 TRIALID 1", "MSG\t1000 !V IMGLOAD FILL img.png"]
VELRES = ["START\t1000 \tLEFT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tVEL\tRES\tRATE\t1000.00\tTRACKING\tCR"]
PLAIN = ["START\t1000 \tLEFT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRATE\t1000.00\tTRACKING\tCR"]


def _write(tmp_path, lines, name="sub01.asc", end="\n"):
    p = tmp_path / name
    p.write_text("\n".join(HEAD + lines) + end)
    return p


def _read(path, **kw):
    rd = open_reader(path, "eyelink-asc", ReadOptions(**kw))
    chunks = list(rd.chunks())
    for ch in chunks:
        assert ch.balance() == 0  # every row kept, quarantined or counted
    df = pd.concat([c.df for c in chunks], ignore_index=True)
    q = pd.concat([c.quarantine for c in chunks], ignore_index=True)
    return rd, df, q


def _stimuli(tmp_path):
    import cv2

    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "img.png"), np.zeros((1080, 1920), np.uint8))
    return tmp_path / "stim"


# ------------------------------------------------------------------ 1. lines cut short

@pytest.mark.parametrize("cut", ["1003\t 700.0\t 52", "1003\t 70", "10", "1003\t 700.0\t 520.0\t 10",
                                 "1003\t 700.0\t 520.0\t 1000.0\t 10.2\t 1.1\t 26.80"])
def test_a_velres_sample_line_cut_short_is_malformed_never_kept_with_its_cut_value(tmp_path, cut):
    # time x y pupil xv yv xr yr (SAMPLES names VEL RES: 8 fields); the last line cut at any field
    full = ["1001\t 640.1\t 512.2\t 1001.0\t    0.3\t   -0.1\t  26.80\t  26.90\t...",
            "1002\t 700.0\t 520.0\t 1000.0\t   10.2\t    1.1\t  26.80\t  26.90\t..."]
    p = _write(tmp_path, VELRES + full + [cut], end="")
    _, df, q = _read(p)
    assert df["line"].tolist() == [7, 8] and df["y"].tolist() == [512.2, 520.0]
    assert q[["line", "reason"]].values.tolist() == [[9, "malformed_row"]]


@pytest.mark.parametrize("cut", ["1003\t 700.0\t 52", "1003\t 70", "1003"])
def test_a_plain_monocular_line_cut_anywhere_in_the_file_is_malformed(tmp_path, cut):
    # time x y pupil (4 fields); the cut line in the middle of the file, as a last line written twice
    rows = ["1001\t 640.0\t 512.0\t 1000.0\t...", cut, "1004\t 700.0\t 520.0\t 1000.0\t...",
            "1005\t abc\t 520.0\t 1000.0\t..."]
    _, df, q = _read(_write(tmp_path, PLAIN + rows))
    assert df["line"].tolist() == [7, 9] and df["y"].tolist() == [512.0, 520.0]
    # a line with all its fields, one of them not a number, stays non_numeric
    assert q[["line", "reason"]].values.tolist() == [[8, "malformed_row"], [10, "non_numeric"]]


def test_a_remote_htarget_line_and_a_missing_sample_keep_their_fields(tmp_path):
    rows = ["1012\t 643.7\t 517.3\t 1212.0\t.....\t 5290\t 4994\t  585.6\t.............",
            "1014\t   .\t   .\t    0.0\t.C..M\t    .\t    .\t      .\tMANT.........",
            "1016\t 645.0\t 518.0\t 1212.0\t.....\t 5290\t 4994\t  585.6\t............."]
    head = ["START\t1000 \tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tRIGHT\tHTARGET\tRATE\t 500.00\tTRACKING\tCR"]
    _, df, q = _read(_write(tmp_path, head + rows))
    assert df["x"].tolist()[::2] == [643.7, 645.0] and np.isnan(df["x"][1]) and len(q) == 0


def test_a_cut_efix_line_is_malformed_not_kept_at_its_cut_y(tmp_path):
    ev = ["EFIX L   1001\t1004\t4\t  640.8\t  512.9\t   1002", "EFIX L   1005\t1008\t4\t  640.8\t  51"]
    _, df, q = _read(_write(tmp_path, PLAIN + ev, end=""), tracker_events=True)
    assert df[["x", "y", "duration_ms"]].values.tolist() == [[640.8, 512.9, 4.0]]
    assert q[["line", "reason"]].values.tolist() == [[8, "malformed_row"]]


def test_a_cut_efix_line_on_the_command_line_leaves_only_the_whole_fixation(tmp_path, capsys):
    ev = ["EFIX L   1001\t1200\t200\t  640.8\t  512.9\t   1002", "EFIX L   1205\t1400\t196\t  640.8\t  51"]
    log = _write(tmp_path, PLAIN + ev, end="")
    rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--out", tmp_path / "o", *GEO,
                                  "--detector", "tracker", "--quiet"])
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    q = pd.read_csv(tmp_path / "o" / "quarantine.csv")
    assert fix[["y", "line"]].values.tolist() == [[512.9, 7]]
    assert q[["line", "reason"]].values.tolist() == [[8, "malformed_row"]]


# ------------------------------------------------------------------ 2. --decimal comma on ASC

def test_decimal_comma_on_asc_input_is_refused_not_recorded(tmp_path, capsys):
    rows = [f"{1000 + 2 * k}\t 640.0\t 512.0\t 1000.0\t..." for k in range(200)]
    log = _write(tmp_path, PLAIN + rows)
    line = refusal(*run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--out", tmp_path / "o",
                                     *GEO, "--decimal", "comma"]))
    assert line.startswith("saliency ingest: error: --decimal comma: not used: the eyelink-asc reader")
    assert "leave it out" in line and not (tmp_path / "o").exists()


def test_detect_refuses_decimal_comma_on_asc_input_too(tmp_path, capsys):
    rows = [f"{1000 + 2 * k}\t 640.0\t 512.0\t 1000.0\t..." for k in range(200)]
    log = _write(tmp_path, PLAIN + rows)
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "d", *GEO, "--decimal", "comma"]))
    assert line.startswith("saliency detect: error: --decimal comma: not used: the eyelink-asc reader")
    assert not (tmp_path / "d").exists()  # was written, with "decimal": "comma" in detection.json


def test_decimal_comma_is_kept_when_one_input_reads_text_numbers(tmp_path):
    from saliency.data_tools.ingest import check_decimal_used

    class Rd:
        def __init__(self, fmt):
            self.format = fmt
    check_decimal_used([Rd("eyelink-asc"), Rd("samples")], "comma")  # the samples table uses it
    check_decimal_used([Rd("eyelink-asc")], "point")
    with pytest.raises(UserError, match="eyelink-asc, salicon readers read"):
        check_decimal_used([Rd("eyelink-asc"), Rd("salicon")], "comma")


# ------------------------------------------------------------------ 3. an eye never valid

def _left_missing(tmp_path):
    head = ["START\t1000 \tLEFT\tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRIGHT\tRATE\t 500.00\tTRACKING\tCR"]
    rows = [f"{1000 + 2 * k}\t   .\t   .\t    0.0\t{1196.0 + k % 3}\t923.9\t1000.0\t.C..." for k in range(300)]
    rows[5] = "1010\t   .\t   .\t    0.0\t   .\t   .\t    0.0\t.C.C."  # neither eye: 299 valid right samples
    return _write(tmp_path, head + rows)


@pytest.mark.parametrize("cmd", ["ingest", "detect"])
def test_eye_left_of_a_binocular_file_whose_left_eye_never_tracked_is_refused(tmp_path, capsys, cmd):
    log = _left_missing(tmp_path)
    extra = ["--stimuli", _stimuli(tmp_path)] if cmd == "ingest" else []
    line = refusal(*run_cli(capsys, [cmd, log, *extra, "--out", tmp_path / "o", *GEO, "--eye", "left"]))
    assert line == (f"saliency {cmd}: error: {log}: --eye left: no valid left-eye sample, but 299 of the right "
                    f"eye: a recording of the right eye only; use --eye right or average")


def test_eye_right_of_that_file_reads_the_right_eye(tmp_path):
    _, df, _ = _read(_left_missing(tmp_path), eye="right")
    assert len(df) == 300 and int(df["valid"].sum()) == 299 and df["x"][0] == 1196.0


# ------------------------------------------------------------------ 4. CURRENT_FIX_END

REP_HEAD = ["RECORDING_SESSION_LABEL", "TRIAL_INDEX", "CURRENT_FIX_START", "CURRENT_FIX_END", "CURRENT_FIX_X",
            "CURRENT_FIX_Y", "IMAGE"]


def _report(tmp_path, head, rows):
    p = tmp_path / "report.txt"
    p.write_text("\n".join("\t".join(r) for r in [head] + rows) + "\n")
    return p


def _fix(path):
    rd = open_reader(path, "eyelink-report", ReadOptions())
    chunks = list(rd.chunks())
    return (pd.concat([c.df for c in chunks], ignore_index=True),
            pd.concat([c.quarantine for c in chunks], ignore_index=True))


def test_a_report_without_duration_takes_end_minus_start(tmp_path):
    p = _report(tmp_path, REP_HEAD, [["s1", "1", "300", "510", "150.0", "400.0", "img.png"],
                                     ["s1", "1", "600", "620", "200.0", "400.0", "img.png"]])
    df, q = _fix(p)
    assert df["duration_ms"].tolist() == [210.0, 20.0] and df["t_start_ms"].tolist() == [300.0, 600.0]
    assert len(q) == 0


def test_a_report_with_duration_reads_it_and_leaves_end_alone(tmp_path):
    head = REP_HEAD[:4] + ["CURRENT_FIX_DURATION"] + REP_HEAD[4:]
    # the first row's END disagrees with its DURATION, the second's is not a number: DURATION, as before
    p = _report(tmp_path, head, [["s1", "1", "300", "999", "210", "150.0", "400.0", "img.png"],
                                 ["s1", "1", "600", "abc", "20", "200.0", "400.0", "img.png"]])
    df, q = _fix(p)
    assert df["duration_ms"].tolist() == [210.0, 20.0] and len(q) == 0


def test_weight_duration_works_with_a_report_of_start_and_end(tmp_path, capsys):
    rows = [[f"s{s}", "1", str(300 * k), str(300 * k + 200 + 10 * s), f"{900 + 10 * k}", "500", "img.png"]
            for s in (1, 2) for k in range(4)]
    p = _report(tmp_path, REP_HEAD, rows)
    rc, _, err = run_cli(capsys, ["ingest", p, "--stimuli", _stimuli(tmp_path), "--out", tmp_path / "o", *GEO,
                                  "--weight", "duration", "--quiet"])
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert sorted(fix["duration_ms"].tolist()) == [210.0] * 4 + [220.0] * 4


# ------------------------------------------------------------------ 5. the other kind of rows

def test_an_events_only_asc_read_for_samples_names_its_efix_lines(tmp_path, capsys):
    ev = ["EFIX L   1020\t1220\t200\t  503.5\t  403.5\t   1000", "EFIX R   1020\t1220\t200\t  513.5\t  413.5\t 1100"]
    log = _write(tmp_path, ["START\t1012 \tLEFT\tRIGHT\tSAMPLES\tEVENTS"] + ev)
    line = refusal(*run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--out", tmp_path / "o",
                                     *GEO]))
    assert line == (f"saliency ingest: error: no usable fixations: the inputs hold no data rows; {log}: no sample "
                    f"line, but 2 EFIX lines (the tracker's fixations, as edf2asc -e writes them): give --detector "
                    f"tracker to read them")


def test_a_samples_only_asc_read_for_efix_names_its_sample_lines(tmp_path, capsys):
    rows = ["1012\t 500.0\t 400.0\t 1000.0\t 510.0\t 410.0\t 1100.0\t.....",
            "1014\t   .\t   .\t    0.0\t 512.0\t 412.0\t 1100.0\t.C..."]
    log = _write(tmp_path, rows)
    line = refusal(*run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--out", tmp_path / "o",
                                     *GEO, "--detector", "tracker"]))
    assert line.endswith(f"{log}: no EFIX line (the tracker's fixations), but 2 sample lines (raw samples): leave "
                         f"out --detector tracker to detect fixations in them")

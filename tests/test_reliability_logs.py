"""Issue 16, finding 4 and 9 (deliverable 4): logs survive a stray quote, non-finite times, a file given twice.

- a malformed row (a quote left open, too many fields) goes to the quarantine as ``malformed_row`` with its
  true 1-based line; every other row is read, and every later ``line`` stays exact, whatever the chunk size;
- rows whose time or duration is not finite (``inf``, ``-inf``, ``nan``, ``1e999``) are quarantined
  (``non_finite_time``, ``non_finite_duration``); a fixation of duration inf is never kept;
- the same input given twice (same sha256) is read once, with one warning line naming both paths.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from saliency.data_tools.readers import open_log

HEAD = ["RECORDING_SESSION_LABEL", "TRIAL_INDEX", "IMAGE", "CURRENT_FIX_START", "CURRENT_FIX_DURATION",
        "CURRENT_FIX_X", "CURRENT_FIX_Y"]


def _report_rows(n=14):
    """Rows of an EyeLink Data Viewer fixation report (tab-separated, ``.`` = missing)."""
    return [["sub01", "1", "img1.jpg", str(100 + 300 * i), "250", f"{10 + i}.5", "20.0"] for i in range(n)]


def _write(path, head, rows, sep="\t", newline="\n", bom=""):
    path.write_text(bom + newline.join(sep.join(r) for r in [head, *rows]) + newline, encoding="utf-8",
                    newline="")
    return path


def _collect(rd):
    chunks = list(rd.chunks())
    df = pd.concat([c.df for c in chunks], ignore_index=True)
    q = pd.concat([c.quarantine for c in chunks], ignore_index=True)
    return df, q


def _stimuli(tmp_path):
    import cv2

    d = tmp_path / "stim"
    d.mkdir()
    cv2.imwrite(str(d / "img1.jpg"), np.full((48, 64, 3), 128, np.uint8))
    return d


@pytest.mark.parametrize("chunk_rows", [500_000, 4, 1])
@pytest.mark.parametrize("bad", [[5], [3, 13], [2, 15]])
def test_eyelink_report_stray_quote_quarantines_only_its_row(tmp_path, chunk_rows, bad):
    rows = _report_rows()
    for ln in bad:  # file line ln is rows[ln - 2] (the header is line 1)
        rows[ln - 2][2] = '"img1.jpg'
    p = _write(tmp_path / "report.txt", HEAD, rows)
    rd = open_log(p, chunk_rows=chunk_rows)
    assert rd.format == "eyelink-report"
    df, q = _collect(rd)
    good = [ln for ln in range(2, 16) if ln not in bad]
    assert df["line"].tolist() == good
    assert df["x"].tolist() == [10 + (ln - 2) + 0.5 for ln in good]  # every other row read as written
    assert q["line"].tolist() == bad and set(q["reason"]) == {"malformed_row"}


def test_too_many_fields_and_crlf_bom_keep_lines_exact(tmp_path):
    rows = _report_rows(6)
    rows[1] = rows[1] + ["extra"]  # line 3: one field too many
    rows.insert(3, [""] * 0)  # line 5: blank line, skipped
    p = _write(tmp_path / "report.txt", HEAD, rows, newline="\r\n", bom="\ufeff")
    df, q = _collect(open_log(p, chunk_rows=2))
    assert df["line"].tolist() == [2, 4, 6, 7, 8]
    assert q[["line", "reason"]].values.tolist() == [[3, "malformed_row"]]
    assert df["stimulus"].tolist() == ["img1.jpg"] * 5 and df["subject"].tolist() == ["sub01"] * 5


def test_quoted_fields_on_one_line_still_read(tmp_path):
    p = tmp_path / "fix.csv"
    p.write_text('subject,stimulus,x,y,duration_ms\ns1,"a, b.png",1,2,200\ns1,"say ""hi"".png",3,4,200\n'
                 's1,plain.png,5,6,200\n')
    df, q = _collect(open_log(p))
    assert df["stimulus"].tolist() == ["a, b.png", 'say "hi".png', "plain.png"] and df["line"].tolist() == [2, 3, 4]
    assert len(q) == 0


def test_tobii_stray_quote(tmp_path):
    head = ["Recording timestamp [ms]", "Participant name", "Presented Media name", "Gaze point X", "Gaze point Y"]
    rows = [[str(10 * i), "p", "a.png", str(100 + i), "200"] for i in range(8)]
    rows[3][2] = 'a.png"'  # a closing quote alone is literal
    rows[5][1] = '"p'  # an opening quote never closed
    p = _write(tmp_path / "t.tsv", head, rows)
    df, q = _collect(open_log(p, chunk_rows=3))
    assert df["line"].tolist() == [2, 3, 4, 5, 6, 8, 9]
    assert q[["line", "reason"]].values.tolist() == [[7, "malformed_row"]]


def test_cli_stray_quotes_line_numbers_exact(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    rows = _report_rows()
    rows[1][2] = '"img1.jpg'  # line 3
    rows[11][2] = '"img1.jpg'  # line 13: today the two quotes merge lines 3..13 into one field
    rows[12][5] = "999"  # line 14: off the stimulus, quarantined with its own line
    p = _write(tmp_path / "report.txt", HEAD, rows)
    out = tmp_path / "d"
    rc = main(["ingest", str(p), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "3", "--coords",
               "stimulus", "--quiet"])
    assert rc == 0, capsys.readouterr().err
    fx = pd.read_csv(out / "fixations.csv")
    assert sorted(fx["line"]) == [2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15]
    assert (fx["x"] == fx["line"] - 2 + 10.5).all()
    q = pd.read_csv(out / "quarantine.csv")
    assert sorted(zip(q["line"], q["reason"])) == [(3, "malformed_row"), (13, "malformed_row"),
                                                   (14, "off_stimulus")]


# ---------------------------------------------------------------- non-finite times and durations

def test_non_finite_durations_and_times_quarantined(tmp_path):
    rows = _report_rows(8)
    rows[0][4] = "inf"
    rows[1][4] = "-inf"
    rows[2][4] = "nan"
    rows[3][4] = "1e999"
    rows[4][3] = "inf"
    rows[5][3] = "NaN"
    rows[6][4] = "."  # missing (vendor marker): kept, as a fixation without a duration
    p = _write(tmp_path / "report.txt", HEAD, rows)
    df, q = _collect(open_log(p))
    assert sorted(zip(q["line"], q["reason"])) == [
        (2, "non_finite_duration"), (3, "non_finite_duration"), (4, "non_finite_duration"),
        (5, "non_finite_duration"), (6, "non_finite_time"), (7, "non_finite_time")]
    assert df["line"].tolist() == [8, 9] and np.isfinite(df["t_start_ms"]).all()
    assert np.isnan(df["duration_ms"].iloc[0]) and df["duration_ms"].iloc[1] == 250


def test_non_finite_sample_times_quarantined(tmp_path):
    p = tmp_path / "samples.csv"
    t = [str(v) for v in np.arange(10) * 2.0]
    t[3], t[6] = "inf", "-Infinity"
    pd.DataFrame({"subject": "s", "stimulus": "img1", "time_ms": t, "x": 5.0, "y": 6.0}).to_csv(p, index=False)
    df, q = _collect(open_log(p))
    assert q[["line", "reason"]].values.tolist() == [[5, "non_finite_time"], [8, "non_finite_time"]]
    assert np.isfinite(df["time_ms"]).all() and len(df) == 8


def test_cli_fixation_of_duration_inf_never_kept(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    log = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": ["img1"] * 3, "x": [3, 9, 12], "y": [4, 5, 6],
                  "duration_ms": ["200", "inf", "300"]}).to_csv(log, index=False)
    out = tmp_path / "d"
    assert main(["ingest", str(log), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "2", "--quiet"]) == 0
    fx = pd.read_csv(out / "fixations.csv")
    assert fx["line"].tolist() == [2, 4] and np.isfinite(fx["duration_ms"]).all()
    q = pd.read_csv(out / "quarantine.csv")
    assert q[["line", "reason"]].values.tolist() == [[3, "non_finite_duration"]]


# ---------------------------------------------------------------- the same input twice

def test_cli_same_input_twice_is_read_once_with_one_warning(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    log = tmp_path / "fix.csv"
    pd.DataFrame({"subject": ["a", "a", "b"], "stimulus": ["img1"] * 3, "x": [3, 9, 12], "y": [4, 5, 6],
                  "duration_ms": [200, 250, 300]}).to_csv(log, index=False)
    copy = tmp_path / "copy.csv"
    shutil.copy(log, copy)
    base = ["--stimuli", str(stim), "--sigma-px", "2", "--quiet"]
    assert main(["ingest", str(log), "--out", str(tmp_path / "one"), *base]) == 0
    assert capsys.readouterr().err == ""
    one = json.loads((tmp_path / "one" / "dataset.json").read_text())
    for k, argv in enumerate([[str(log), str(log)], [str(log), str(copy)]]):
        out = tmp_path / f"two{k}"
        assert main(["ingest", *argv, "--out", str(out), *base]) == 0
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and argv[0] in err[0] and argv[1] in err[0] and "read once" in err[0]
        m = json.loads((out / "dataset.json").read_text())
        assert m["counts"] == one["counts"] and m["qc"] == one["qc"]
        assert pd.read_csv(out / "fixations.csv").equals(pd.read_csv(tmp_path / "one" / "fixations.csv"))
        assert pd.read_csv(out / "qc.csv").equals(pd.read_csv(tmp_path / "one" / "qc.csv"))


def test_eyelink_asc_non_finite_sample_time_and_efix(tmp_path):
    p = tmp_path / "sub07.asc"
    p.write_text("** CONVERTED FROM sub07.edf\nMSG\t1005 TRIALID 3\nMSG\t1006 !V IMGLOAD FILL img1.jpg\n"
                 "1010\t960.0\t540.0\t1000.0\n1e999\t961.0\t541.0\t1000.0\n1014\t962.0\t542.0\t1000.0\n"
                 "EFIX R   1010\t1212\tinf\t960.5\t540.5\t1000\nEFIX R   1300\t1500\tnan\t960.5\t540.5\t1000\n"
                 "EFIX R   1600\t1800\t200\t960.5\t540.5\t1000\n")
    df, q = _collect(open_log(p))
    assert df["line"].tolist() == [4, 6] and q[["line", "reason"]].values.tolist() == [[5, "non_finite_time"]]
    fx, q = _collect(open_log(p, tracker_events=True))
    assert fx["line"].tolist() == [9] and sorted(q["reason"]) == ["non_finite_duration"] * 2

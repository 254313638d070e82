"""Generic tables: a thousands point under `--decimal comma` is refused, a Windows-1252 header is read as its rows.

Oracles: hand-worked rows. (1) German Excel writes 1234 as ``1.234`` (format ``#.##0``): under ``--decimal comma``
such a value was read as 1.234, silently; now it is no number, quarantined with the reason a value with two marks
(``1.234,5``) gets. (2) A Windows-1252 export with an accented column name (``Dur\\xe9e``): the header was decoded
with "replace" while the rows were read as Windows-1252, so the mapped column was not found; the same file written
as UTF-8 is the oracle (a row cut before that column is malformed; a header with spaces after the commas reads).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cli_fakes import run_cli

W, H = 1920, 1080


def _stimuli(root):
    import cv2

    d = root / "stim"
    d.mkdir()
    cv2.imwrite(str(d / "img0.png"), np.zeros((H, W, 3), np.uint8))
    return d


def _ingest(capsys, tmp_path, log, out, *extra):
    stim = tmp_path / "stim" if (tmp_path / "stim").exists() else _stimuli(tmp_path)
    return run_cli(capsys, ["ingest", log, "--stimuli", stim, "--screen-px", f"{W}x{H}", "--sigma-px", "20",
                            "--out", tmp_path / out, "--quiet", "--no-ioc", *extra])


def test_a_thousands_point_under_decimal_comma_is_quarantined_not_read_as_a_fraction(tmp_path, capsys):
    log = tmp_path / "dec.csv"
    log.write_text("stimulus;x;y;duration_ms\n"
                   "img0;1.234;500,5;250\n"       # x: German Excel's 1234 (#.##0), was read as 1.234
                   "img0;900,75;300,5;1.250\n"    # duration: 1250 ms, was read as 1.25 ms (short_fixation)
                   "img0;1.234,5;300,5;250\n"     # two marks: already refused (the reason the one-point rows get)
                   "img0;700,25;300,5;1.250,5\n"
                   "img0;99;300;300\n"
                   "img0;100,5;200,25;.\n")        # '.' alone is a missing value, not a thousands point
    rc, _, err = _ingest(capsys, tmp_path, log, "o", "--decimal", "comma")
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert fix["line"].tolist() == [6, 7]
    assert fix[["x", "y"]].to_numpy().tolist() == [[99.0, 300.0], [100.5, 200.25]]
    assert fix["duration_ms"].iloc[0] == 300.0 and np.isnan(fix["duration_ms"].iloc[1])
    q = pd.read_csv(tmp_path / "o" / "quarantine.csv").sort_values("line")
    assert q[["line", "reason"]].to_numpy().tolist() == [
        [2, "bad_coordinates"], [3, "bad_duration"], [4, "bad_coordinates"], [5, "bad_duration"]]
    assert "short_fixation" not in set(q["reason"])


def test_a_point_in_a_comma_separated_table_stays_a_decimal_point_under_decimal_comma(tmp_path, capsys):
    # a comma-separated file cannot hold an unquoted decimal comma: `--decimal comma` reads it as without it
    log = tmp_path / "pt.csv"
    log.write_text("stimulus,x,y,duration_ms\nimg0,1.234,500.5,250\nimg0,900.75,300.5,125.5\n")
    rc, _, err = _ingest(capsys, tmp_path, log, "o", "--decimal", "comma")
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert fix[["x", "y", "duration_ms"]].to_numpy().tolist() == [[1.234, 500.5, 250.0], [900.75, 300.5, 125.5]]
    assert "had no effect" in err


def _table(sep: str, cut: bool) -> str:
    rows = [sep.join(["Sujet", "Stimulus", "X", "Y", "Durée"])]
    for i in range(6):
        rows.append(sep.join(["Jörg", "img0", str(10 + 5 * i), str(20 + 3 * i), str(200 + i)]))
    if cut:  # row 4 (file line 4) cut before its duration: a row cut short, not a fixation of unknown duration
        rows[3] = sep.join(["Jörg", "img0", "20", "26"])
    return "\r\n".join(rows) + "\r\n"


COLS = ["--format", "fixations", "--columns", "subject=Sujet,stimulus=Stimulus,duration_ms=Durée"]


def test_windows_1252_header_row_cut_before_the_accented_column_is_malformed(tmp_path, capsys):
    text = _table(",", cut=True)
    for enc in ("utf-8", "cp1252"):
        log = tmp_path / f"cut_{enc}.csv"
        log.write_bytes(text.encode(enc))
        rc, _, err = _ingest(capsys, tmp_path, log, f"o_{enc}", *COLS)
        assert rc == 0, (enc, err)
        fix = pd.read_csv(tmp_path / f"o_{enc}" / "fixations.csv")
        q = pd.read_csv(tmp_path / f"o_{enc}" / "quarantine.csv")
        assert fix["line"].tolist() == [2, 3, 5, 6, 7], enc
        assert fix["duration_ms"].tolist() == [200.0, 201.0, 203.0, 204.0, 205.0], enc
        assert set(fix["subject"]) == {"Jörg"}, enc
        assert q[["line", "reason"]].to_numpy().tolist() == [[4, "malformed_row"]], enc


def test_windows_1252_header_with_spaces_after_the_commas_reads(tmp_path, capsys):
    text = _table(", ", cut=False)
    for enc in ("utf-8", "cp1252"):
        log = tmp_path / f"sp_{enc}.csv"
        log.write_bytes(text.encode(enc))
        rc, _, err = _ingest(capsys, tmp_path, log, f"o_{enc}", *COLS)
        assert rc == 0, (enc, err)
        fix = pd.read_csv(tmp_path / f"o_{enc}" / "fixations.csv")
        assert fix["duration_ms"].tolist() == [200.0 + i for i in range(6)], enc
        assert fix["x"].tolist() == [10.0 + 5 * i for i in range(6)], enc

"""Three edges of ``--decimal comma`` left alone before (ingest and detect alike).

1. The rows said to be quarantined for a number written with a point were found by splitting each quarantined
   line on ``;`` or tab, not as the reader splits it: a quoted or text field holding ``;1.5`` was taken for a
   point number, and the warning counted a row lost to ``abc`` as lost to the option.
2. A comma-separated file whose decimal commas are quoted (``"500,5"``, as Excel writes where the list separator
   is a comma) read its other numbers' points as decimal points (``1.240`` as 1.24, beside ``"320,5"``); a file
   holding both marks is now refused, naming the file and ``--decimal``; one with quoted commas alone reads them.
3. ``decimal_comma_applied`` stayed false for an input whose point values the option quarantined: the option was
   applied (its rules read them) and is now recorded so, beside the warning that counts those rows.

Oracles are hand-worked from the tiny tables below.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from cli_fakes import refusal, run_cli

W, H = 640, 480
GEOM = ["--screen-px", f"{W}x{H}", "--screen-cm", "40x30", "--distance-cm", "60"]
NO_EFFECT = "--decimal comma had no effect on this file"


def _stimuli(root):
    import cv2

    d = root / "stim"
    if not d.exists():
        d.mkdir()
        cv2.imwrite(str(d / "img0.png"), np.zeros((H, W, 3), np.uint8))
    return d


def _ingest(capsys, tmp_path, log, *extra, out="o"):
    return run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--sigma-px", "20", "--no-ioc",
                            "--screen-px", f"{W}x{H}", "--out", tmp_path / out, "--quiet", *extra])


def _decimal_lines(err):
    return [ln for ln in err.splitlines() if "--decimal comma" in ln]


# 1. the quarantined lines are split with the file's own separator and quotes


def test_a_point_inside_a_quoted_field_of_a_semicolon_table_is_no_point_number(tmp_path, capsys):
    log = tmp_path / "q.csv"
    log.write_text("stimulus;x;y;duration_ms;note\n"
                   "img0;100;200;250;ok\n"
                   'img0;abc;200;250;"see;1.5"\n'   # lost to 'abc': the note's '1.5' is inside one quoted field
                   "img0;120;210;300;ok\n")
    rc, _, err = _ingest(capsys, tmp_path, log, "--decimal", "comma")
    assert rc == 0, err
    q = pd.read_csv(tmp_path / "o" / "quarantine.csv")
    assert q[["line", "reason"]].to_numpy().tolist() == [[3, "bad_coordinates"]]
    said = _decimal_lines(err)
    assert len(said) == 1 and f"{log}: {NO_EFFECT}" in said[0], err
    assert "written with a point" not in said[0], said
    m = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert m["inputs"][0]["decimal_comma_applied"] is False


def test_a_semicolon_in_a_tab_table_field_does_not_split_it(tmp_path, capsys):
    log = tmp_path / "t.tsv"
    log.write_text("stimulus\tx\ty\tduration_ms\tnote\n"
                   "img0\t100\t200\t250\tok\n"
                   "img0\tabc\t200\t250\tv;2.5\n"      # a tab table: 'v;2.5' is one text field, no number
                   "img0\t1.250\t200\t250\tok\n"       # a point number in x: quarantined by the option
                   "img0\t120\t210\t300\tok\n")
    rc, _, err = _ingest(capsys, tmp_path, log, "--decimal", "comma")
    assert rc == 0, err
    said = _decimal_lines(err)
    assert len(said) == 1, err
    assert "1 row holding a number written with a point (1.234) was quarantined (bad_coordinates 1)" in said[0]


def test_detect_counts_point_rows_by_the_reader_fields(tmp_path, capsys):
    log = tmp_path / "s.csv"
    rows = [f"s1;img0;{2 * i};320;240;ok" for i in range(300)]
    rows.append('s1;img0;600;abc;240;"a;1.5"')
    log.write_text("subject;stimulus;time_ms;x;y;note\n" + "\n".join(rows) + "\n")
    rc, _, err = run_cli(capsys, ["detect", log, "--decimal", "comma", "--out", tmp_path / "d", "--quiet", *GEOM])
    assert rc == 0, err
    said = _decimal_lines(err)
    assert len(said) == 1 and NO_EFFECT in said[0], err
    doc = json.loads((tmp_path / "d" / "detection.json").read_text())
    assert doc["inputs"][0]["decimal_comma_applied"] is False


# 2. a comma-separated file with quoted decimal commas


def test_quoted_decimal_commas_of_a_comma_table_are_read(tmp_path, capsys):
    log = tmp_path / "x.csv"
    log.write_text('stimulus,x,y,duration_ms\nimg0,"320,5","240,25",250\nimg0,"100,75",200,"125,5"\n')
    rc, _, err = _ingest(capsys, tmp_path, log, "--decimal", "comma")
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert fix[["x", "y", "duration_ms"]].to_numpy().tolist() == [[320.5, 240.25, 250.0], [100.75, 200.0, 125.5]]
    assert not _decimal_lines(err), err
    assert json.loads((tmp_path / "o" / "dataset.json").read_text())["inputs"][0]["decimal_comma_applied"] is True


def test_a_comma_table_mixing_quoted_decimal_commas_and_points_is_refused(tmp_path, capsys):
    for name, body in (("thousands.csv", 'img0,"320,5",1.240,250\n'),         # 1.240: 1240 or 1.24?
                       ("points_first.csv", 'img0,100.5,200,250\nimg0,"320,5",240,250\n')):
        log = tmp_path / name
        log.write_text("stimulus,x,y,duration_ms\n" + body)
        line = refusal(*_ingest(capsys, tmp_path, log, "--decimal", "comma", out=name + ".o"))
        assert line.startswith(f"saliency ingest: error: {log}: --decimal comma: "), line
        assert "comma-separated file writes numbers both with a decimal comma in quotes (\"320,5\")" in line, line
        assert "cannot be decided" in line, line
        assert not (tmp_path / (name + ".o")).exists()


def test_detect_refuses_a_comma_table_mixing_both_marks(tmp_path, capsys):
    log = tmp_path / "m.csv"
    rows = [f's1,img0,{2 * i},"320,5",240.25' for i in range(300)]
    log.write_text("subject,stimulus,time_ms,x,y\n" + "\n".join(rows) + "\n")
    line = refusal(*run_cli(capsys, ["detect", log, "--decimal", "comma", "--out", tmp_path / "d", "--quiet",
                                     *GEOM]))
    assert line.startswith(f"saliency detect: error: {log}: --decimal comma: "), line
    assert '("320,5") and with a point (240.25)' in line, line
    assert not (tmp_path / "d").exists()


# 3. point values quarantined by the option: it was applied


def test_ingest_records_the_option_applied_when_it_quarantined_point_values(tmp_path, capsys):
    log = tmp_path / "p.csv"
    log.write_text("stimulus;x;y;duration_ms\nimg0;1.234;500;250\nimg0;99;300;300\n")
    rc, _, err = _ingest(capsys, tmp_path, log, "--decimal", "comma")
    assert rc == 0, err
    said = _decimal_lines(err)
    assert len(said) == 1 and "1 row holding a number written with a point (1.234) was quarantined" in said[0]
    assert "had no effect" not in said[0]
    m = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert m["inputs"][0]["decimal_comma_applied"] is True


def test_detect_records_the_option_applied_when_it_quarantined_point_values(tmp_path, capsys):
    log = tmp_path / "h.tsv"
    rows = [f"s1\timg0\t{2 * i}\t{'320' if i < 200 else '320.5'}\t240" for i in range(400)]
    log.write_text("subject\tstimulus\ttime_ms\tx\ty\n" + "\n".join(rows) + "\n")
    rc, _, err = run_cli(capsys, ["detect", log, "--decimal", "comma", "--out", tmp_path / "d", "--quiet", *GEOM])
    assert rc == 0, err
    said = _decimal_lines(err)
    assert len(said) == 1 and "200 rows holding a number written with a point (1.234) were quarantined" in said[0]
    doc = json.loads((tmp_path / "d" / "detection.json").read_text())
    assert doc["inputs"][0]["decimal_comma_applied"] is True

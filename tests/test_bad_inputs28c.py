"""Review R36: refused values shown as they are, and ``--columns`` specs with no item.

1. ``--detector ivt --threshold 1000.001`` was refused as "--threshold 1000: ... at most 1000 deg/s" (``:g``
   rounds to 6 digits), a value shown inside the range it was refused for; now a value ``:g`` would round is
   shown in full (``1000.001``), one ``:g`` keeps exactly is shown as before (``181``, ``1e+12``).
2. ``--columns ','`` or ``--columns ' '`` was taken as no mapping while ``--columns ''`` is refused: now refused
   too. A column name holding a newline was echoed raw in the key-given-twice message (two lines): now escaped.

Oracles: the values typed, written out here; the escaped spelling of a newline (backslash, n).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cli_fakes import refusal, run_cli
from saliency.base.errors import UserError
from saliency.data_tools.readers import parse_columns

GEOM = ["--screen-px", "1000x800", "--screen-cm", "40x32", "--distance-cm", "60"]


@pytest.fixture
def log(tmp_path, monkeypatch):
    """A 500 Hz log of one trial on a.png: still at x = 200 px, then at x = 800 px."""
    t = np.arange(200) * 2.0
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time_ms": t, "x": np.where(t < 200, 200.0, 800.0),
                  "y": 400.0}).to_csv(tmp_path / "log.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- 1. the refused threshold as typed

@pytest.mark.parametrize("detector, typed, why", [
    ("ivt", "1000.001", "a velocity threshold for --detector ivt must be above 0 and at most 1000 deg/s"),
    ("tobii-ivt", "1000.0000001",
     "a velocity threshold for --detector tobii-ivt must be above 0 and at most 1000 deg/s"),
    ("idt", "180.0000001", "a dispersion threshold for --detector idt must be above 0 and at most 180 deg"),
    ("nh", "30.0000001", "not used by --detector nh (only by ivt, tobii-ivt, idt; nh finds its own per trial); "
                         "leave it out"),
])
def test_a_refused_threshold_is_shown_as_typed_not_rounded_into_range(log, capsys, detector, typed, why):
    line = refusal(*run_cli(capsys, ["detect", "log.csv", "--out", "OUT", "--quiet", *GEOM, "--detector", detector,
                                     "--threshold", typed]))
    assert line == f"saliency detect: error: --threshold {typed}: {why}", line
    assert not (log / "OUT").exists()


# ---------------------------------------------------------------- 2. --columns with no item; control characters

@pytest.mark.parametrize("spec", [",", " ", " , ,", ",,"])
def test_a_columns_spec_with_no_item_is_refused(spec):
    with pytest.raises(UserError) as exc:
        parse_columns(spec)
    assert str(exc.value) == f"columns {spec!r}: empty value; give KEY=COL,... (e.g. time=TIMESTAMP)"


def test_a_columns_spec_with_items_is_still_read():
    assert parse_columns("time=T, x=GX ,") == {"time": "T", "x": "GX"}
    assert parse_columns(None) == {} and parse_columns("") == {}


def test_a_newline_in_a_column_given_twice_is_escaped():
    with pytest.raises(UserError) as exc:
        parse_columns("time=a\nb,time=c")
    assert str(exc.value) == "columns: key 'time' given twice (a\\nb, c); give each key once"


def test_the_command_refuses_columns_comma_in_one_line(log, capsys):
    line = refusal(*run_cli(capsys, ["detect", "log.csv", "--out", "OUT", "--quiet", *GEOM, "--columns", ","]))
    assert line == "saliency detect: error: --columns ',': empty value; give KEY=COL,... (e.g. time=TIMESTAMP)"
    assert not (log / "OUT").exists()


def test_columns_value_with_a_newline_not_in_the_header_is_one_line(tmp_path, capsys):
    """'time=a<newline>b' passes the spec check and was echoed raw by the missing-column refusal: two lines."""
    from cli_fakes import refusal, run_cli

    log = tmp_path / "g.csv"
    log.write_text("time,x,y\n0,1,2\n")
    rc, out, err = run_cli(capsys, ["detect", log, "--columns", "time=a\nb", "--screen-px", "1920x1080",
                                    "--screen-cm", "53x30", "--distance-cm", "65", "--out", tmp_path / "o"])
    line = refusal(rc, out, err)
    assert "time=a\\nb: no such column" in line, line

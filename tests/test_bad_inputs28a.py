"""Review R36 (fuzz): a ``--trials`` row with a field too many, huge or deeply nested geometry JSON, and the
duration-unit hint of a format whose reader takes no ``--time-unit``.

1. ``subject,trial,stimulus`` then ``sub01,1,s0003,x`` was read by pandas with the first column as the index (every
   value shifted: another row refused, or trial 's0003'); now a row whose field count is not the header's is
   refused naming the file and the row, before anything is written. A missing ``--trials`` file names the option.
2. A geometry JSON with a 401-digit integer for ppd / distance_cm / screen_px crashed (OverflowError); one of 5000
   nested '[' crashed (RecursionError). Both are now one line, exit 2, naming the key or the file.
3. A Pupil fixations.csv with durations of 300000 was told to give ``--time-unit us``, which is then refused as
   unused by pupil; now it is told its format states the unit and to check the export.

Oracles: the rows and keys written here, counted by hand (4 fields against the header's 3; 300000 us = 300 ms).
"""

from __future__ import annotations

import json

import pytest
from PIL import Image

from cli_fakes import refusal, run_cli

GEO = {"screen_px": [1600, 1200], "screen_cm": [40, 30], "distance_cm": 60}


@pytest.fixture
def study(tmp_path, monkeypatch):
    """One 1600 x 1200 stimulus, a geometry file and a fixation table of two trials (no stimulus column)."""
    (tmp_path / "stim").mkdir()
    Image.new("RGB", (1600, 1200), (128, 128, 128)).save(tmp_path / "stim" / "s0003.png")
    (tmp_path / "geo.json").write_text(json.dumps(GEO))
    (tmp_path / "fix.csv").write_text("subject,trial,x,y,duration_ms\nsub01,1,800,600,250\nsub01,2,700,500,300\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _ingest(capsys, *extra, log="fix.csv", geo="geo.json"):
    return run_cli(capsys, ["ingest", log, "--stimuli", "stim", "--geometry", geo, "--out", "OUT", "--quiet",
                            *extra])


# ---------------------------------------------------------------- 1. --trials rows of the wrong length

@pytest.mark.parametrize("rows, row, cells, n", [
    (["sub01,1,s0003,x"], 1, "'sub01', '1', 's0003', 'x'", 4),  # the first row: was read with an index column
    (["sub01,1,s0003,x", "sub01,2,s0003"], 1, "'sub01', '1', 's0003', 'x'", 4),
    (["sub01,1,s0003", "", "sub01,2,s0003,zzz"], 2, "'sub01', '2', 's0003', 'zzz'", 4),  # blank line: no row
    (["sub01,1,s0003", "sub01,2"], 2, "'sub01', '2'", 2),
])
def test_a_trials_row_with_another_field_count_is_refused_naming_it(study, capsys, rows, row, cells, n):
    (study / "trials.csv").write_text("subject,trial,stimulus\n" + "\n".join(rows) + "\n")
    line = refusal(*_ingest(capsys, "--trials", "trials.csv"))
    assert line == (f"saliency ingest: error: --trials trials.csv: row {row} ({cells}) has {n} fields where the "
                     "header (subject, trial, stimulus) has 3; fix the row (a stray or missing delimiter) or the "
                     "header")
    assert not (study / "OUT").exists()


@pytest.mark.parametrize("table", [
    "subject,trial,stimulus\nsub01,1,s0003\nsub01,2,s0003\n \n",  # a line of a space below the table
    "subject\ttrial\tstimulus\nsub01\t1\ts0003\n\t\nsub01\t2\ts0003\n",  # a line of a lone tab
    "subject,trial,stimulus,\nsub01,1,s0003,\nsub01,2,s0003\n",  # an unnamed last column, its cell left off
    "subject,trial,stimulus\nsub01,1,s0003,,\nsub01,2,s0003\n",  # blank cells beyond the named columns
])
def test_blank_cells_are_no_stray_field(study, capsys, table):
    """Rows the table read before ba86716's field check (review R38): blank rows and blank cells outside the
    named columns hold no field that could shift the others; both trials find s0003."""
    (study / "trials.csv").write_text(table)
    rc, _, err = _ingest(capsys, "--trials", "trials.csv")
    assert rc == 0, err
    assert (study / "OUT" / "fixations.csv").read_text().count("s0003") == 2


def test_a_quoted_delimiter_is_one_field_and_a_good_table_still_reads(study, capsys):
    (study / "trials.csv").write_text('subject,trial,stimulus\nsub01,1,"s0003"\n"sub01",2,s0003\n')
    rc, _, err = _ingest(capsys, "--trials", "trials.csv")
    assert rc == 0, err
    assert (study / "OUT" / "fixations.csv").read_text().count("s0003") == 2


@pytest.mark.parametrize("name, why", [("nosuch.csv", "No such file or directory"), ("stim", "Is a directory")])
def test_a_trials_file_that_cannot_be_read_names_the_option(study, capsys, name, why):
    line = refusal(*_ingest(capsys, "--trials", name))
    assert line == f"saliency ingest: error: --trials {name}: cannot read ({why})"


# ---------------------------------------------------------------- 2. geometry: huge integers, deep nesting

HUGE = 10 ** 400  # 401 digits: beyond any float


@pytest.mark.parametrize("key, value, need", [
    ("distance_cm", HUGE, "a finite positive number of cm"),
    ("ppd", HUGE, "a positive number; or remove ppd (it is computed from screen_px, screen_cm and distance_cm)"),
    ("screen_px", [HUGE, 1200], "two whole pixel counts [W, H]"),
    ("screen_cm", [40, -HUGE], "two sizes in cm [W, H]"),
], ids=["distance_cm", "ppd", "screen_px", "screen_cm"])
def test_a_geometry_number_too_large_for_a_float_is_refused_naming_its_key(study, capsys, key, value, need):
    (study / "big.json").write_text(json.dumps({**GEO, key: value}))
    line = refusal(*_ingest(capsys, "--stimulus", "s0003.png", geo="big.json"))
    assert line == (f"saliency ingest: error: big.json: {key}: a number too large for a float (over 1.8e+308); "
                    f"need {need}")
    assert not (study / "OUT").exists()


def test_a_geometry_nested_too_deep_is_refused_naming_the_file(study, capsys):
    (study / "deep.json").write_text(json.dumps(GEO)[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}")
    line = refusal(*_ingest(capsys, "--stimulus", "s0003.png", geo="deep.json"))
    assert line.startswith("saliency ingest: error: deep.json (geometry file): cannot parse: nested too deep; "), line


# ---------------------------------------------------------------- 3. the duration hint and --time-unit

PUPIL = ("id,start_timestamp,duration,start_frame_index,end_frame_index,norm_pos_x,norm_pos_y,dispersion,confidence\n"
         "0,5.0,300000,1,9,0.5,0.5,1.0,0.9\n1,6.0,300000,10,19,0.5,0.5,1.0,0.9\n")


def test_pupil_durations_in_another_unit_are_not_told_to_use_time_unit(study, capsys):
    d = study / "rec" / "exports" / "000"
    d.mkdir(parents=True)
    (d / "fixations.csv").write_text(PUPIL)
    log = "rec/exports/000/fixations.csv"
    line = refusal(*_ingest(capsys, "--stimulus", "s0003.png", log=log))
    assert line == (f"saliency ingest: error: {log}: fixations last 300 s (median), longer than 10 s: the durations' "
                    "time unit is likely wrong (in us they would be 300 ms); the pupil format states its durations' "
                    "unit (--time-unit does not apply to it), and they are not in it: check the export")
    # the option the old hint offered is indeed refused for this input
    line = refusal(*_ingest(capsys, "--stimulus", "s0003.png", "--time-unit", "us", log=log))
    assert "--time-unit us: not used" in line


def test_a_generic_table_without_a_unit_is_still_told_time_unit(study, capsys):
    (study / "fx.csv").write_text("subject,trial,x,y,dur\nsub01,1,800,600,300000\nsub01,2,700,500,300000\n")
    line = refusal(*_ingest(capsys, "--stimulus", "s0003.png", "--columns", "duration_ms=dur", log="fx.csv"))
    assert line.endswith("(in us they would be 300 ms: --time-unit us, or the duration column's header, e.g. [us])")
    rc, _, err = _ingest(capsys, "--stimulus", "s0003.png", "--columns", "duration_ms=dur", "--time-unit", "us",
                         log="fx.csv")
    assert rc == 0, err


def test_a_generic_table_whose_header_states_the_unit_names_that_column(study, capsys):
    (study / "fx.csv").write_text("subject,trial,x,y,duration_ms\nsub01,1,800,600,300000\nsub01,2,700,500,300000\n")
    line = refusal(*_ingest(capsys, "--stimulus", "s0003.png", log="fx.csv"))
    assert line.endswith("(in us they would be 300 ms); the header's column 'duration_ms' states their unit "
                         "(--time-unit does not override it): check the export, or correct the unit in that "
                         "column's name (e.g. [us])"), line

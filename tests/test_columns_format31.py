"""``--columns`` and a forced ``--format`` that leave the file's columns misread (review 31, task F9).

1. One file column is read by one key. ``--columns x=y`` read column ``y`` as x while y still took column
   ``y`` by its alias, so every fixation lay on the diagonal (exit 0, no word); ``x=x,y=x`` was accepted too.
   Now a column a ``columns`` key names is never handed to another key by alias (that key takes its next
   alias, or is missing and refused as any missing column is), and two keys naming one column are refused in
   one line naming ``columns``, both keys and the column.

2. ``--format fixations`` on a table of raw samples (time_ms, x, y, valid: auto-detection calls it ``samples``)
   read one fixation per sample with empty t_start_ms/duration_ms and left time_ms and valid unread, exit 0.
   It is refused now, as the pupil reader refuses a gaze export given as fixations (``--format tobii`` on it is
   refused too), in one line naming the file, the unread columns and the samples layout, with both ways out:
   ``--format samples`` (or auto), or the time column mapped as each fixation's start.

Oracles: hand-written tables on a screen the size of the stimuli (160x120, ``fit``), so a fixation's stimulus
position is the file's screen position: the expected x and y are the numbers written in the table.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cli_fakes import refusal, run_cli
from ingest_fakes import study  # noqa: F401 (a module fixture: a small synthetic study, stimuli 160x120)
from saliency.base.errors import UserError
from saliency.data_tools.readers.base import resolve_columns


def _screen(study, tmp_path) -> Path:
    """The study's screen.json with the screen the size of its stimuli (160x120 px): screen px = stimulus px."""
    g = json.loads((study / "screen.json").read_text())
    g.update(screen_px=[160, 120], screen_cm=[16.0, 12.0])
    g.pop("ppd", None)
    p = tmp_path / "screen.json"
    p.write_text(json.dumps(g))
    return p


def _ingest(capsys, study, tmp_path, log, *extra, out="out"):
    out = tmp_path / out
    got = run_cli(capsys, ["ingest", log, "--geometry", _screen(study, tmp_path), "--stimuli", study / "stimuli",
                           "--out", out, "--quiet", *extra])
    return (*got, out)


def _fixations(out: Path) -> list[tuple[float, float]]:
    with open(out / "fixations.csv", newline="") as fh:
        return [(float(r["x"]), float(r["y"])) for r in csv.DictReader(fh)]


# ---------------------------------------------------------------- 1. one column, one key

def test_a_column_mapped_to_x_is_not_also_y_by_alias(study, capsys, tmp_path):  # noqa: F811
    # column "y" holds the horizontal position (mislabelled), gaze_y the vertical: --columns x=y
    log = tmp_path / "fix.csv"
    log.write_text("subject,stimulus,y,gaze_y,t_start_ms,duration_ms\n"
                   "p1,s0001,40,30,0,200\n"
                   "p1,s0001,100,90,300,250\n"
                   "p1,s0002,80,20,0,300\n")
    rc, out, err, dst = _ingest(capsys, study, tmp_path, log, "--columns", "x=y")
    assert rc == 0, err
    assert _fixations(dst) == [(40.0, 30.0), (100.0, 90.0), (80.0, 20.0)]  # not (40, 40), (100, 100), (80, 80)


def test_the_column_taken_leaves_its_alias_key_missing_and_refused(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "samples.csv"
    log.write_text("subject,stimulus,time_ms,x,y,valid\n"
                   + "".join(f"p1,s0001,{1000 + 2 * k},{60 + k % 3},{50 + k % 2},1\n" for k in range(60)))
    line = refusal(*_ingest(capsys, study, tmp_path, log, "--columns", "x=y", "--format", "samples")[:3])
    assert line == (f"saliency ingest: error: {log}: no column for y (the samples format needs x, y, time); "
                    "name them with --columns KEY=COLUMN")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("spec, keys, column", [("x=x,y=x", "x and y", "x"), ("x=y,y=y", "x and y", "y"),
                                                ("time=x,x=x", "time and x", "x")])
def test_two_keys_naming_one_column_are_refused(study, capsys, tmp_path, spec, keys, column):  # noqa: F811
    log = tmp_path / "samples.csv"
    log.write_text("subject,stimulus,time_ms,x,y,valid\n"
                   + "".join(f"p1,s0001,{1000 + 2 * k},{60 + k % 3},{50 + k % 2},1\n" for k in range(60)))
    line = refusal(*_ingest(capsys, study, tmp_path, log, "--columns", spec, "--format", "samples")[:3])
    assert line == (f"saliency ingest: error: {log}: --columns: keys {keys} both name column '{column}'; "
                    "map each key to a column of its own")
    assert not (tmp_path / "out").exists()


def test_resolve_columns_one_key_per_column():
    header = ["t", "x", "y", "gy"]
    found = resolve_columns(header, {"x": "y"}, Path("f.csv"))
    assert found["x"] == ("y", None) and found["y"] == ("gy", None) and found["time"] == ("t", None)
    assert resolve_columns(header, {"y": "x", "x": "y"}, Path("f.csv"))["y"][0] == "x"  # a swap is two columns
    with pytest.raises(UserError, match=r"^f\.csv: `?columns`?: keys x and y both name column 'gy'; "):
        resolve_columns(header, {"x": "gy", "y": "gy"}, Path("f.csv"))


# ---------------------------------------------------------------- 2. a samples table forced as fixations

SAMPLES = "subject,stimulus,time_ms,x,y,valid\n" + "".join(
    f"p1,s0001,{1000 + 2 * k},{60 + k % 3},{50 + k % 2},1\n" for k in range(60))


def test_forced_fixations_on_a_samples_table_is_refused(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "samples.csv"
    log.write_text(SAMPLES)
    line = refusal(*_ingest(capsys, study, tmp_path, log, "--format", "fixations")[:3])
    assert line == (f"saliency ingest: error: {log}: line 1 (the header): a table of raw samples (the samples "
                    "layout), not a fixation list: --format fixations would read each row as a fixation without "
                    "start or duration and leave columns 'time_ms', 'valid' unread; give --format samples (or "
                    "leave --format out) to detect its fixations, or, if 'time_ms' is each fixation's start, "
                    "--columns t_start_ms=time_ms")
    assert not (tmp_path / "out").exists()


def test_the_ways_out_read_the_table(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "samples.csv"
    log.write_text(SAMPLES)
    rc, out, err, dst = _ingest(capsys, study, tmp_path, log, "--format", "samples")
    assert rc == 0, err
    fix = _fixations(dst)  # 118 ms of samples at (60..62, 50..51): one fixation there
    assert len(fix) == 1 and 60 <= fix[0][0] <= 62 and 50 <= fix[0][1] <= 51
    # a fixation list whose onset column has a samples name: refused, then read with it mapped as the start
    log2 = tmp_path / "onsets.csv"
    log2.write_text("subject,stimulus,timestamp,x,y\np1,s0001,0,40,30\np1,s0001,250,100,90\np1,s0002,0,80,20\n")
    line = refusal(*_ingest(capsys, study, tmp_path, log2, "--format", "fixations", out="o2")[:3])
    assert "leave column 'timestamp' unread" in line and line.endswith("--columns t_start_ms=timestamp")
    assert not (tmp_path / "o2").exists()
    rc, out, err, dst = _ingest(capsys, study, tmp_path, log2, "--format", "fixations", "--columns",
                                "t_start_ms=timestamp", out="o2")
    assert rc == 0, err
    with open(dst / "fixations.csv", newline="") as fh:
        rows = [(float(r["x"]), float(r["y"]), float(r["t_start_ms"])) for r in csv.DictReader(fh)]
    assert rows == [(40.0, 30.0, 0.0), (100.0, 90.0, 250.0), (80.0, 20.0, 0.0)]


def test_a_fixation_list_without_a_time_column_still_reads(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "points.csv"  # x and y only (and a validity flag): no samples layout, read as before
    log.write_text("subject,stimulus,x,y,valid\np1,s0001,40,30,1\np1,s0002,80,20,1\n")
    rc, out, err, dst = _ingest(capsys, study, tmp_path, log, "--format", "fixations")
    assert rc == 0, err
    assert _fixations(dst) == [(40.0, 30.0), (80.0, 20.0)]


# ---------------------------------------------------------------- 3. vendor readers' own columns (review RR5, F16)
# Tobii Pro Lab and Pupil read x/y from their own default columns for a key --columns leaves out: with
# x=<the default y column> y read the same column (x == y on every sample, exit 0). That key is missing now.

TOBII = ("Recording timestamp [μs]\tParticipant name\tRecording name\tPresented Media name\tGaze point X\t"
         "Gaze point Y\tValidity left\tValidity right\n"
         + "".join(f"{1000000 + 8333 * k}\tp1\trec1\ts0001\t{60 + k % 3}\t{50 + k % 2}\tValid\tValid\n"
                   for k in range(60)))


def test_tobii_default_y_column_mapped_to_x_leaves_y_missing(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "export.tsv"
    log.write_text(TOBII)
    line = refusal(*_ingest(capsys, study, tmp_path, log, "--columns", "x=Gaze point Y")[:3])
    assert line == (f"saliency ingest: error: {log}: no column for y (the tobii format needs x, y; its column "
                    "'Gaze point Y' is read as x); name them with --columns KEY=COLUMN")
    assert not (tmp_path / "out").exists()


PUPIL = ("id,start_timestamp,duration,norm_pos_x,norm_pos_y,dispersion,confidence,stimulus\n"
         "0,10.0,200,0.25,0.75,1.0,0.9,s0001\n"
         "1,10.5,250,0.5,0.125,1.0,0.9,s0001\n")


def test_pupil_default_y_column_mapped_to_x_leaves_y_missing(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "fixations.csv"
    log.write_text(PUPIL)
    line = refusal(*_ingest(capsys, study, tmp_path, log, "--format", "pupil", "--columns", "x=norm_pos_y")[:3])
    assert line == (f"saliency ingest: error: {log}: no column for y (the pupil format needs x, y; its column "
                    "'norm_pos_y' is read as x); name them with --columns KEY=COLUMN")
    assert not (tmp_path / "out").exists()
    # both mapped (a swap): x from norm_pos_y, y from norm_pos_x (origin bottom-left; fractions of the image, read
    # at pixel centres): x = 160 * v - 0.5, y = 120 * (1 - u) - 0.5
    rc, out, err, dst = _ingest(capsys, study, tmp_path, log, "--format", "pupil", "--columns",
                                "x=norm_pos_y,y=norm_pos_x")
    assert rc == 0, err
    assert _fixations(dst) == [(119.5, 89.5), (19.5, 59.5)]


# ---------------------------------------------------------------- 4. the same under auto-detection (review RR5, F16)
# With --format left out, x=y left no sniffer a y, and the line was "unknown format (header ...)", which hides
# what went wrong; it is the generic layout's own "no column for y" now, as with --format given.

@pytest.mark.parametrize("table, layout, need", [
    (SAMPLES, "samples", "x, y, time"),
    ("subject,stimulus,x,y,t_start_ms,duration_ms\np1,s0001,40,30,0,200\n", "fixations", "x, y")],
    ids=["samples", "fixations"])
def test_auto_detection_names_the_key_a_mapping_left_without_a_column(study, capsys, tmp_path, table, layout,
                                                                      need):  # noqa: F811
    log = tmp_path / "log.csv"
    log.write_text(table)
    line = refusal(*_ingest(capsys, study, tmp_path, log, "--columns", "x=y")[:3])
    assert line == (f"saliency ingest: error: {log}: no column for y (the {layout} format needs {need}); "
                    "name them with --columns KEY=COLUMN")
    assert not (tmp_path / "out").exists()


def test_auto_detection_of_a_table_no_layout_fits_is_still_unknown(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "log.csv"
    log.write_text("a,b,c\n1,2,3\n")
    line = refusal(*_ingest(capsys, study, tmp_path, log, "--columns", "x=a")[:3])
    assert line.startswith(f"saliency ingest: error: {log}: unknown format (header 'a,b,c'); pass --format ")


# ---------------------------------------------------------------- 5. EyeLink report: built-in names are not keys (F16)
# The Data Viewer names the reader reads by itself (CURRENT_FIX_X/Y, TRIAL_INDEX, ...) were merged into the user's
# mapping, so x=CURRENT_FIX_Y said "keys x and y both name column" (y never mapped) and stimulus=TRIAL_INDEX on a
# report without IMAGE was refused though it read before. A built-in name yields to a column the user maps.

REPORT = ("RECORDING_SESSION_LABEL\tTRIAL_INDEX\tCURRENT_FIX_START\tCURRENT_FIX_DURATION\tCURRENT_FIX_X\t"
          "CURRENT_FIX_Y\tEYE_USED\n"
          "sub1\ts0001\t0\t200\t40\t30\tRIGHT\n"
          "sub1\ts0001\t300\t250\t100\t90\tRIGHT\n"
          "sub1\ts0002\t0\t300\t80\t20\tRIGHT\n")


def test_eyelink_report_x_mapped_to_the_y_column_leaves_y_missing(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "report.txt"
    log.write_text(REPORT)
    line = refusal(*_ingest(capsys, study, tmp_path, log, "--columns", "x=CURRENT_FIX_Y")[:3])
    assert line == (f"saliency ingest: error: {log}: no column for y (the eyelink-report format needs x, y); "
                    "name them with --columns KEY=COLUMN")
    assert not (tmp_path / "out").exists()


def test_eyelink_report_stimulus_from_the_trial_index_column_reads(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "report.txt"
    log.write_text(REPORT)
    rc, out, err, dst = _ingest(capsys, study, tmp_path, log, "--columns", "stimulus=TRIAL_INDEX")
    assert rc == 0, err
    with open(dst / "fixations.csv", newline="") as fh:
        rows = [(r["stimulus"], float(r["x"]), float(r["y"]), float(r["t_start_ms"])) for r in csv.DictReader(fh)]
    assert rows == [("s0001", 40.0, 30.0, 0.0), ("s0001", 100.0, 90.0, 300.0), ("s0002", 80.0, 20.0, 0.0)]


# ---------------------------------------------------------------- 6. a duration beside a samples time column (F16)
# subject,stimulus,x,y,time_ms,duration read with a duration and no onset: t_start_ms blank, the file's order taken
# for time order, so --drop-first dropped the fixation written first (at 300 ms), not the first one (at 10 ms).
ONSETS = "subject,stimulus,x,y,time_ms,duration\np1,s0001,70,50,300,250\np1,s0001,100,30,10,200\np1,s0002,40,20,0,300\n"


def test_a_duration_beside_a_samples_time_column_is_refused(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "fix.csv"
    log.write_text(ONSETS)
    for extra in ([], ["--format", "fixations"]):
        line = refusal(*_ingest(capsys, study, tmp_path, log, *extra)[:3])
        assert line == (f"saliency ingest: error: {log}: line 1 (the header): a fixation list with a duration column "
                        "('duration') but no start or end column: column 'time_ms' would be left unread and the "
                        "fixations would have no start (their order lost); if 'time_ms' is each fixation's start, "
                        "--columns t_start_ms=time_ms")
        assert not (tmp_path / "out").exists()


def test_a_duration_beside_its_onset_mapped_reads_in_time_order(study, capsys, tmp_path):  # noqa: F811
    log = tmp_path / "fix.csv"
    log.write_text(ONSETS)
    rc, out, err, dst = _ingest(capsys, study, tmp_path, log, "--columns", "t_start_ms=time_ms", "--drop-first")
    assert rc == 0, err
    with open(dst / "fixations.csv", newline="") as fh:
        rows = [(r["stimulus"], float(r["x"]), float(r["y"]), float(r["t_start_ms"])) for r in csv.DictReader(fh)]
    assert rows == [("s0001", 70.0, 50.0, 300.0)]  # s0001's first fixation (10 ms) dropped, and s0002's only one


@pytest.mark.parametrize("time_cells", [("10:15", "10:15", "10:15"),
                                        ("2024-03-01T10:00:00", "2024-03-01T10:00:01", "2024-03-01T10:00:02")])
def test_a_duration_beside_a_time_column_of_clock_times_reads_as_before(study, capsys, tmp_path,  # noqa: F811
                                                                        time_cells):
    """Review RR10: Inquisit's eye-tracking data carries ``time`` (hh:mm the session started) beside a duration;
    such a column is no onset, and the refusal's way out (t_start_ms=time) then quarantined every row as bad_time.
    A time column whose cells are not numbers is left unread as before the refusal: the three fixations are kept,
    each with its duration and no start."""
    log = tmp_path / "inq.csv"
    rows = [("s0001", 70, 50, 250), ("s0001", 100, 30, 200), ("s0002", 40, 20, 300)]
    log.write_text("date,time,subject,stimulus,x,y,duration\n" + "".join(
        f"030124,{t},p1,{s},{x},{y},{d}\n" for t, (s, x, y, d) in zip(time_cells, rows)))
    rc, out, err, dst = _ingest(capsys, study, tmp_path, log)
    assert rc == 0, err
    with open(dst / "fixations.csv", newline="") as fh:
        got = [(r["stimulus"], float(r["x"]), float(r["y"]), r["t_start_ms"], float(r["duration_ms"]))
               for r in csv.DictReader(fh)]
    assert got == [(s, float(x), float(y), "", float(d)) for s, x, y, d in rows]


def test_a_pipe_given_as_a_log_is_named_as_one(study, capsys, tmp_path):  # noqa: F811
    """Review RR16: a FIFO (or /dev/stdin) was refused as "no such file", though it exists; inputs are read more
    than once (format, then chunks), so a pipe is refused, named for what it is."""
    import os

    fifo = tmp_path / "log.tsv"
    os.mkfifo(fifo)
    line = refusal(*_ingest(capsys, study, tmp_path, fifo)[:3])
    assert line == (f"saliency ingest: error: {fifo}: not a regular file (a pipe or a device); save it to a file "
                    "first")

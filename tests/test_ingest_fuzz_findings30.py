"""Ingest findings of a fuzzer (review 30).

1. ``--drop-first`` dropped a real fixation when a scanpath's first row was
   unreadable (an EyeLink report's CURRENT_FIX_X ``.``: quarantined by the
   reader, then the second fixation went as ``first_fixation``) or had no
   start time (sorted last, so the second row went and the first stayed). The
   first row is chosen over every row read: quarantined already, nothing more
   goes; of unknown onset, it is first by its place in the file.
2. One bad time stamp (the first sample's time 1e308) set every later sample
   aside as ``time_backwards`` and the refusal said no more: it now names the
   file, the line and the value that later rows fall behind.
3. A 100,000-character stimulus name was echoed whole in the unknown-name
   warning: each name is shown to 80 characters and ``...``.
4. The 'rows per input' summary showed only file names: ``a/fix.csv`` and
   ``b/fix.csv`` were two lines ``fix.csv``.

Oracles: which rows of the tiny files a reader expects to be dropped or kept
(by line), and the line and value written into the file by the test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cli_fakes import refusal, run_cli
from ingest_fakes import study  # noqa: F401 (a module fixture: a small synthetic study)


def _ingest(capsys, study, logs, out, *extra):  # noqa: F811 (the fixture, passed on)
    return run_cli(capsys, ["ingest", *logs, "--stimuli", study / "stimuli", "--geometry",
                            study / "screen.json", "--out", out, "--quiet", "--workers", "1", "--no-ioc", *extra])


def _rows(path) -> list[tuple[str, str]]:
    with open(path, newline="") as fh:
        return [(r["line"], r.get("reason", "")) for r in csv.DictReader(fh)]


def _write(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return path


EYELINK = ["RECORDING_SESSION_LABEL", "TRIAL_INDEX", "CURRENT_FIX_INDEX", "CURRENT_FIX_START", "CURRENT_FIX_END",
           "CURRENT_FIX_DURATION", "CURRENT_FIX_X", "CURRENT_FIX_Y"]


def test_drop_first_unreadable_first_row_drops_nothing_more(capsys, study, tmp_path):  # noqa: F811
    trials = _write(tmp_path / "trials.csv", ["subject", "trial", "stimulus"], [("sub01", 1, "s0001"),
                                                                                 ("sub01", 2, "s0002")])
    log = _write(tmp_path / "report.csv", EYELINK, [
        ("sub01", 1, 1, 0, 258, 260, ".", 533.9),  # line 2: trial 1's first fixation, x unreadable
        ("sub01", 1, 2, 302, 598, 298, 926.9, 525.9),
        ("sub01", 1, 3, 660, 828, 170, 968.3, 567.4),
        ("sub01", 2, 1, 0, 250, 252, 960.0, 540.0),  # line 5: trial 2's first fixation, readable: dropped
        ("sub01", 2, 2, 300, 500, 202, 990.0, 560.0),
    ])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o", "--trials", trials, "--drop-first")
    assert rc == 0, err
    assert sorted(_rows(tmp_path / "o" / "quarantine.csv")) == [("2", "bad_coordinates"), ("5", "first_fixation")]
    assert [line for line, _ in _rows(tmp_path / "o" / "fixations.csv")] == ["3", "4", "6"]


def test_drop_first_row_without_start_time_is_the_first(capsys, study, tmp_path):  # noqa: F811
    log = _write(tmp_path / "fix.csv", ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"], [
        ("sub01", "s0001", 964.1, 533.9, "", 260),  # line 2: the first fixation, its start time left empty
        ("sub01", "s0001", 926.9, 525.9, 302, 298),
        ("sub01", "s0001", 968.3, 567.4, 660, 170),
        ("sub02", "s0001", 955.0, 530.0, 0, 250),  # line 5: sub02's first
        ("sub02", "s0001", 975.0, 550.0, 300, 250),
    ])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o", "--drop-first")
    assert rc == 0, err
    assert sorted(_rows(tmp_path / "o" / "quarantine.csv")) == [("2", "first_fixation"), ("5", "first_fixation")]
    assert sorted(line for line, _ in _rows(tmp_path / "o" / "fixations.csv")) == ["3", "4", "6"]


def test_drop_first_unreadable_row_of_another_scanpath_spares_nothing(capsys, study, tmp_path):  # noqa: F811
    log = _write(tmp_path / "fix.csv", ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"], [
        ("sub01", "s0001", 964.1, 533.9, 0, 260),  # line 2: sub01's first
        ("sub01", "s0001", 926.9, 525.9, 302, 298),
        ("sub01", "s0001", "-", 567.4, 660, 170),  # line 4: sub01's last, unreadable
        ("sub02", "s0001", 955.0, 530.0, 0, 250),  # line 5: sub02's first, still dropped
        ("sub02", "s0001", 975.0, 550.0, 300, 250),
        ("sub02", "s0001", 945.0, 520.0, 600, "bad"),  # line 7: in the middle of sub02's path
        ("sub02", "s0001", 985.0, 560.0, 900, 250),
    ])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o", "--drop-first")
    assert rc == 0, err
    q = dict(_rows(tmp_path / "o" / "quarantine.csv"))
    assert q["2"] == "first_fixation" and q["5"] == "first_fixation" and q["4"] != "first_fixation"
    assert sorted(line for line, _ in _rows(tmp_path / "o" / "fixations.csv")) == ["3", "6", "8"]


FIX = ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"]


@pytest.mark.parametrize("before, after", [("aa", "a"), ("s10", "s1")])
def test_drop_first_unreadable_row_spares_only_its_own_stimulus(capsys, study, tmp_path, before, after):  # noqa: F811
    # 'a' is part of 'aa' and 's1' of 's10': an unreadable row of the one is no row of the other's scanpath
    stim = tmp_path / "stim"
    stim.mkdir()
    for stem in (before, after):
        (stim / f"{stem}.png").write_bytes((study / "stimuli" / "s0001.png").read_bytes())
    log = _write(tmp_path / "fix.csv", FIX, [
        ("sub01", f"{before}.png", 964.1, 533.9, 0, 260),  # line 2: the first of `before`: dropped
        ("sub01", f"{before}.png", 926.9, 525.9, 302, 298),
        ("sub01", f"{before}.png", "-", 567.4, 660, 170),  # line 4: the last of `before`, unreadable
        ("sub01", f"{after}.png", 955.0, 530.0, 0, 250),  # line 5: the first of `after`: dropped too
        ("sub01", f"{after}.png", 975.0, 550.0, 300, 250),
        ("sub01", f"{after}.png", 945.0, 520.0, 600, 250),
    ])
    rc, out, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--geometry", study / "screen.json", "--out",
                                    tmp_path / "o", "--quiet", "--workers", "1", "--no-ioc", "--drop-first"])
    assert rc == 0, err
    assert sorted(_rows(tmp_path / "o" / "quarantine.csv")) == [("2", "first_fixation"), ("4", "bad_coordinates"),
                                                                ("5", "first_fixation")]
    assert sorted(line for line, _ in _rows(tmp_path / "o" / "fixations.csv")) == ["3", "6", "7"]


def test_drop_first_unreadable_row_of_one_eye_spares_not_the_other(capsys, study, tmp_path):  # noqa: F811
    log = _write(tmp_path / "fix.csv", ["subject", "stimulus", "eye", "x", "y", "t_start_ms", "duration_ms"], [
        ("sub01", "s0001", "L", "-", 533.9, 0, 260),  # line 2: the left eye's first, unreadable
        ("sub01", "s0001", "R", 966.1, 534.9, 0, 260),  # line 3: the right eye's first: dropped
        ("sub01", "s0001", "L", 926.9, 525.9, 302, 298),
        ("sub01", "s0001", "R", 928.9, 526.9, 302, 298),  # line 5: the right eye's second: kept
        ("sub01", "s0001", "L", 968.3, 567.4, 660, 170),
        ("sub01", "s0001", "R", 969.3, 568.4, 660, 170),
    ])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o", "--drop-first")
    assert rc == 0, err
    q = dict(_rows(tmp_path / "o" / "quarantine.csv"))
    assert q.get("2") == "bad_coordinates" and q.get("3") == "first_fixation"
    kept = {line for line, _ in _rows(tmp_path / "o" / "fixations.csv")}
    assert {"5", "7"} <= kept and "3" not in kept
    # the reader's quarantine row keeps its eye: line 2 is the left eye's first, so the left eye loses nothing more
    assert "4" in kept and q.get("4") is None


def test_drop_first_unreadable_last_row_of_a_trial_spares_not_the_next(capsys, study, tmp_path):  # noqa: F811
    trials = _write(tmp_path / "trials.csv", ["subject", "trial", "stimulus"], [("sub01", 1, "s0001"),
                                                                                 ("sub01", 2, "s0002")])
    log = _write(tmp_path / "report.csv", EYELINK, [
        ("sub01", 1, 1, 0, 258, 260, 964.1, 533.9),  # line 2: trial 1's first: dropped
        ("sub01", 1, 2, 302, 598, 298, 926.9, 525.9),
        ("sub01", 1, 3, 660, 828, 170, ".", 567.4),  # line 4: trial 1's last, x unreadable
        ("sub01", 2, 1, 0, 250, 252, 960.0, 540.0),  # line 5: trial 2's first: dropped
        ("sub01", 2, 2, 300, 500, 202, 990.0, 560.0),
    ])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o", "--trials", trials, "--drop-first")
    assert rc == 0, err
    assert sorted(_rows(tmp_path / "o" / "quarantine.csv")) == [("2", "first_fixation"), ("4", "bad_coordinates"),
                                                                ("5", "first_fixation")]


def test_drop_first_unreadable_first_row_of_the_right_eye_spares_its_second(capsys, study, tmp_path):  # noqa: F811
    log = _write(tmp_path / "fix.csv", ["subject", "stimulus", "eye", "x", "y", "t_start_ms", "duration_ms"], [
        ("sub01", "s0001", "L", 964.1, 533.9, 0, 260),  # line 2: the left eye's first: dropped
        ("sub01", "s0001", "R", "-", 534.9, 0, 260),  # line 3: the right eye's first, unreadable
        ("sub01", "s0001", "L", 926.9, 525.9, 302, 298),
        ("sub01", "s0001", "R", 928.9, 526.9, 302, 298),  # line 5: the right eye's second: kept
        ("sub01", "s0001", "L", 968.3, 567.4, 660, 170),
        ("sub01", "s0001", "R", 969.3, 568.4, 660, 170),
    ])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o", "--drop-first")
    assert rc == 0, err
    assert sorted(_rows(tmp_path / "o" / "quarantine.csv")) == [("2", "first_fixation"), ("3", "bad_coordinates")]
    assert sorted(line for line, _ in _rows(tmp_path / "o" / "fixations.csv")) == ["4", "5", "6", "7"]


def test_drop_first_unreadable_first_row_of_trial_2_found_through_trials(capsys, study, tmp_path):  # noqa: F811
    # the unreadable row names no stimulus: `trials` names it (sub01, trial 2 -> s0002), as for the kept rows
    trials = _write(tmp_path / "trials.csv", ["subject", "trial", "stimulus"], [("sub01", 1, "s0001"),
                                                                                 ("sub01", 2, "s0002")])
    log = _write(tmp_path / "report.csv", EYELINK, [
        ("sub01", 1, 1, 0, 258, 260, 964.1, 533.9),  # line 2: trial 1's first: dropped
        ("sub01", 1, 2, 302, 598, 298, 926.9, 525.9),
        ("sub01", 2, 1, 0, 250, 252, ".", 540.0),  # line 4: trial 2's first, x unreadable
        ("sub01", 2, 2, 300, 500, 202, 990.0, 560.0),  # line 5: trial 2's second: kept
        ("sub01", 2, 3, 600, 800, 202, 970.0, 550.0),
    ])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o", "--trials", trials, "--drop-first")
    assert rc == 0, err
    assert sorted(_rows(tmp_path / "o" / "quarantine.csv")) == [("2", "first_fixation"), ("4", "bad_coordinates")]
    assert sorted(line for line, _ in _rows(tmp_path / "o" / "fixations.csv")) == ["3", "5", "6"]


def test_quarantine_csv_lists_its_columns_only(capsys, study, tmp_path):  # noqa: F811
    # the trial and eye a quarantined fixation row carries for --drop-first are not written
    log = _write(tmp_path / "fix.csv", ["subject", "stimulus", "trial", "eye", "x", "y", "t_start_ms",
                                        "duration_ms"], [("sub01", "s0001", 1, "L", "-", 533.9, 0, 260),
                                                         ("sub01", "s0001", 1, "L", 926.9, 525.9, 302, 298)])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o", "--drop-first")
    assert rc == 0, err
    assert (tmp_path / "o" / "quarantine.csv").read_text().splitlines() == [
        "source,line,reason,subject,stimulus,x,y", f"{log},2,bad_coordinates,sub01,s0001,,533.900"]


def test_quarantine_frame_keeps_trial_and_eye_of_a_fixation_row():
    import numpy as np

    from saliency.data_tools.readers import QUAR_COLS
    from saliency.data_tools.readers.chunks import fixation_chunk, quarantine_frame

    n = np.array
    ch = fixation_chunk(n([2, 3]), n(["s", "s"], object), n(["a", "a"], object), n(["7", "8"], object),
                        n([np.nan, 1.0]), n([1.0, 1.0]), n([0.0, 300.0]), n([100.0, 100.0]), n(["R", "L"], object),
                        "screen")
    q = ch.quarantine
    assert q[["line", "reason", "trial", "eye"]].values.tolist() == [[2, "bad_coordinates", "7", "R"]]
    assert list(quarantine_frame([5], "malformed_row").columns) == QUAR_COLS  # no key given: the columns as before


def test_time_backwards_refusal_names_the_time_stamp(capsys, study, tmp_path):  # noqa: F811
    rows = [("sub01", "s0001", "1e308", 960.0, 540.0, 1)]  # line 2: a time every later sample falls behind
    rows += [("sub01", "s0001", 1000.0 + 2 * i, 960.0 + (i % 3), 540.0, 1) for i in range(1, 600)]
    log = _write(tmp_path / "samples.csv", ["subject", "stimulus", "time_ms", "x", "y", "valid"], rows)
    line = refusal(*_ingest(capsys, study, [log], tmp_path / "o"))
    assert "time_backwards 599" in line
    assert f"{log}: 599 samples after line 2 are earlier than its time stamp (1e+308 ms)" in line
    assert "check that line's time" in line


def test_unknown_stimulus_name_is_shortened(capsys, study, tmp_path):  # noqa: F811
    long = "a" * 100_000
    log = _write(tmp_path / "fix.csv", ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"], [
        ("sub01", "s0001", 964.1, 533.9, 0, 260),
        ("sub01", long, 926.9, 525.9, 302, 298),
    ])
    rc, out, err = _ingest(capsys, study, [log], tmp_path / "o")
    assert rc == 0, err
    warn = [w for w in err.splitlines() if "rows name a stimulus not in" in w]
    assert len(warn) == 1 and "'" + "a" * 80 + "'..." in warn[0] and "a" * 81 not in warn[0]
    assert len(warn[0]) < 400


def test_rows_per_input_tells_inputs_of_one_name_apart(capsys, study, tmp_path):  # noqa: F811
    logs = []
    for d, n in (("a", 2), ("b", 3)):
        (tmp_path / d).mkdir()
        logs.append(_write(tmp_path / d / "fix.csv", ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"],
                           [(f"sub_{d}", "s0001", 960.0 + i, 540.0, 300 * i, 250) for i in range(n)]))
    rc, out, err = _ingest(capsys, study, logs, tmp_path / "o")
    assert rc == 0, err
    listed = out.splitlines()[out.splitlines().index(next(x for x in out.splitlines()
                                                          if x.startswith("rows per input"))) + 1:][:2]
    assert [x.split() for x in listed] == [[str(Path("a", "fix.csv")), "2", "2", "0", "0"],
                                           [str(Path("b", "fix.csv")), "3", "3", "0", "0"]]


@pytest.mark.parametrize("paths, labels", [
    (["x/y/a/fix.csv", "x/z/a/fix.csv", "fix.csv"], ["y/a/fix.csv", "z/a/fix.csv", "fix.csv"]),
    (["one/fix.csv", "two.csv"], ["fix.csv", "two.csv"]),
])
def test_input_labels(paths, labels):
    from saliency.data_tools.ingest import _input_labels

    assert _input_labels(paths) == [str(Path(lb)) for lb in labels]

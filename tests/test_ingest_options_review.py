"""Options the chosen path ignores are refused, never recorded as applied; ``--drop-first`` per (subject, trial).

The project's rule: an option that the run would not use stops ``saliency
ingest`` with one line naming it (exit 2, nothing written), and
``dataset.json`` ``policies`` records only what was applied. Inputs are tiny
hand-made tables; the oracle is which rows a human reading the file expects
to be dropped, and what the options can possibly act on.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from test_ingest_real_cases import _run
from test_ingest_real_cases import _stimuli as _real_stimuli

SIZE = (64, 48)  # stimulus = screen: stimulus pixel = screen pixel
SMALL = ["--sigma-px", "3", "--screen-px", f"{SIZE[0]}x{SIZE[1]}"]


def _stimuli(tmp_path, names=("img1", "img2")):
    return _real_stimuli(tmp_path, names, SIZE)


def _refused(tmp_path, capsys, logs, *extra, names=()):
    """Run, expecting a refusal: exit 2, one line naming each of ``names``, no output folder."""
    rc, _, err = _run(tmp_path, capsys, logs, *extra, out="refused")
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1, err
    for nm in names:
        assert nm in err, err
    assert not (tmp_path / "refused").exists()
    return err


def _fix_csv(tmp_path, name="fix.csv", time_cols=("start", "duration"), rows=None):
    """A fixation list (screen pixels of a 64x48 screen); ``time_cols``: the start and duration headers."""
    rows = rows or [("s1", "img1", 10, 10, 0, 200), ("s1", "img1", 12, 10, 210, 200),
                    ("s1", "img1", 40, 30, 600, 200), ("s2", "img1", 30, 20, 0, 250)]
    p = tmp_path / name
    p.write_text(f"subject,stimulus,x,y,{time_cols[0]},{time_cols[1]}\n"
                 + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return p


def _policies(tmp_path, out="d"):
    return json.loads((tmp_path / out / "dataset.json").read_text())


# ---------------------------------------------------------------- A1: tracker + post-processing options

@pytest.mark.parametrize("flag, value", [("--max-gap", "50"), ("--merge-ms", "75"), ("--merge-deg", "0.5")])
def test_tracker_refuses_detector_post_processing(tmp_path, capsys, flag, value):
    """--detector tracker keeps the tracker's fixations as reported: --max-gap/--merge-* would do nothing."""
    _stimuli(tmp_path)
    p = _fix_csv(tmp_path)
    _refused(tmp_path, capsys, [p], "--detector", "tracker", flag, value, *SMALL, names=(flag, "tracker"))
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", *SMALL)  # the same run without it
    assert rc == 0, err
    pol = _policies(tmp_path)["policies"]
    assert pol["max_gap_ms"] is None and pol["merge_ms"] is None and pol["merge_deg"] is None


# ---------------------------------------------------------------- A2: fixation lists + detector options

@pytest.mark.parametrize("detector, flag, value", [
    ("ivt", "--velocity-threshold", "50"), ("idt", "--dispersion-threshold", "1.5"), ("nh", "--smooth-ms", "20"),
    ("ivt", "--max-gap", "50"), ("ivt", "--merge-ms", "75"), ("nh", "--merge-deg", "0.5")])
def test_fixation_lists_only_refuse_detector_options(tmp_path, capsys, detector, flag, value):
    """No input holds raw samples, so nothing is detected: the detector's thresholds and post-processing are unused.

    (The detector itself still sets the minimum duration fixation lists are held to, so ``--detector`` stays.)
    """
    _stimuli(tmp_path)
    p = _fix_csv(tmp_path)
    _refused(tmp_path, capsys, [p], "--detector", detector, flag, value, *SMALL, names=(flag, "raw samples"))


def test_detector_options_kept_when_an_input_holds_samples(tmp_path, capsys):
    """A fixation list next to raw samples: the option acts on the samples, so the run goes ahead and records it."""
    _stimuli(tmp_path)
    fx = _fix_csv(tmp_path)
    t = np.arange(0, 1200, 2.0)
    x = np.where(t < 600, 20.0, 40.0)
    smp = tmp_path / "samples.csv"
    pd.DataFrame({"subject": "s3", "stimulus": "img1", "time_ms": t, "x": x, "y": 20.0}).to_csv(smp, index=False)
    rc, _, err = _run(tmp_path, capsys, [fx, smp], "--detector", "ivt", "--merge-ms", "75", "--merge-deg", "0.5",
                      "--screen-cm", "40x30", "--distance-cm", "60", *SMALL)
    assert rc == 0, err
    pol = _policies(tmp_path)["policies"]
    assert pol["merge_ms"] == 75.0 and pol["merge_deg"] == 0.5  # both above 0: a merge that applies


# ---------------------------------------------------------------- A3: --stimulus + --trials

def test_stimulus_with_trials_is_refused(tmp_path, capsys):
    """--stimulus names every row's stimulus, so the trial table would never be consulted."""
    _stimuli(tmp_path)
    p = _fix_csv(tmp_path)
    trials = tmp_path / "trials.csv"
    trials.write_text("subject,trial,stimulus\ns1,1,img2\n")
    _refused(tmp_path, capsys, [p], "--stimulus", "img1", "--trials", str(trials), "--detector", "tracker", *SMALL,
             names=("--trials", "--stimulus"))


def test_trials_refused_when_every_row_names_its_stimulus(tmp_path, capsys):
    """The table names the stimulus of rows without one; a log naming every row's would never consult it."""
    _stimuli(tmp_path)
    p = _fix_csv(tmp_path)
    trials = tmp_path / "trials.csv"
    trials.write_text("subject,trial,stimulus\ns1,1,img2\n")
    _refused(tmp_path, capsys, [p], "--trials", str(trials), "--detector", "tracker", *SMALL, names=("--trials",))
    q = tmp_path / "bare.csv"  # one row without a name: the table is consulted (and names it img2)
    q.write_text("subject,trial,stimulus,x,y,start,duration\ns1,1,,10,10,0,200\ns1,2,img1,20,20,300,200\n")
    rc, _, err = _run(tmp_path, capsys, [q], "--trials", str(trials), "--detector", "tracker", *SMALL)
    assert rc == 0, err
    assert sorted(pd.read_csv(tmp_path / "d" / "fixations.csv")["stimulus"]) == ["img1", "img2"]


# ---------------------------------------------------------------- A4: --min-confidence

def _pupil(tmp_path):
    """A Pupil Player fixations.csv: confidences 0.9, 0.5 (below the 0.6 default), 0.3."""
    d = tmp_path / "rec1" / "exports" / "000"
    d.mkdir(parents=True)
    p = d / "fixations.csv"
    p.write_text("id,start_timestamp,duration,norm_pos_x,norm_pos_y,dispersion,confidence,stimulus\n"
                 "1,10.0,200,0.25,0.5,1.0,0.9,img1\n"
                 "2,10.3,200,0.5,0.5,1.0,0.5,img1\n"
                 "3,10.6,200,0.75,0.5,1.0,0.3,img1\n")
    return p


def test_min_confidence_refused_without_a_pupil_input(tmp_path, capsys):
    """Only the Pupil reader filters by confidence: on a generic fixation list the option cannot act."""
    _stimuli(tmp_path)
    p = _fix_csv(tmp_path)
    _refused(tmp_path, capsys, [p], "--min-confidence", "0.95", "--detector", "tracker", *SMALL,
             names=("--min-confidence", "Pupil"))
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", *SMALL)
    assert rc == 0, err
    m = _policies(tmp_path)
    assert m["policies"]["min_confidence"] is None  # nothing was filtered by confidence: not recorded as applied


@pytest.mark.parametrize("extra, kept, applied", [((), 1, 0.6), (("--min-confidence", "0.4"), 2, 0.4)])
def test_min_confidence_default_is_applied_by_the_pupil_reader_and_recorded(tmp_path, capsys, extra, kept,
                                                                           applied):
    _stimuli(tmp_path)
    p = _pupil(tmp_path)
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", *extra, *SMALL)
    assert rc == 0, err
    m = _policies(tmp_path)
    assert m["counts"]["fixations"] == kept
    assert m["counts"]["quarantine_by_reason"].get("low_confidence", 0) == 3 - kept
    assert m["policies"]["min_confidence"] == applied
    assert m["inputs"][0]["min_confidence"] == applied


# ---------------------------------------------------------------- A5: --time-unit
# Choice: --time-unit is refused when no input has a time column without a unit (every header states it, or the
# format has its own clock); with mixed inputs the run goes ahead (the option acts on some of them) and each
# input's record in dataset.json says whether it was applied (`time_unit_applied`), since a user who typed it for
# the unit-less file expects it there and the header's unit elsewhere.

def test_time_unit_refused_when_every_header_states_it(tmp_path, capsys):
    _stimuli(tmp_path)
    p = _fix_csv(tmp_path, time_cols=("start [s]", "duration [s]"),
                 rows=[("s1", "img1", 10, 10, 0.0, 0.2), ("s1", "img1", 40, 30, 0.3, 0.25)])
    _refused(tmp_path, capsys, [p], "--time-unit", "ms", "--detector", "tracker", *SMALL, names=("--time-unit",))
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", *SMALL)
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "d" / "fixations.csv")["duration_ms"].tolist() == [200.0, 250.0]


def test_time_unit_refused_for_samples_with_a_unit_suffix(tmp_path, capsys):
    _stimuli(tmp_path)
    p = tmp_path / "samples.csv"
    t = np.arange(0, 400, 2.0)
    pd.DataFrame({"subject": "s1", "stimulus": "img1", "time_ms": t, "x": 20.0, "y": 20.0}).to_csv(p, index=False)
    _refused(tmp_path, capsys, [p], "--time-unit", "ns", "--screen-cm", "40x30", "--distance-cm", "60", *SMALL,
             names=("--time-unit",))


def test_time_unit_refused_for_tobii_with_its_header_unit(tmp_path, capsys):
    """Pro Lab writes ``Recording timestamp [μs]``: the header's unit wins, so --time-unit would do nothing."""
    _stimuli(tmp_path)
    head = ["Recording timestamp [μs]", "Participant name", "Presented Media name", "Eye movement type",
            "Gaze event duration [ms]", "Eye movement type index", "Fixation point X", "Fixation point Y"]
    rows = [[0, "P1", "img1.png", "Fixation", 200, 1, 20, 20], [200000, "P1", "img1.png", "Fixation", 200, 2, 40, 30]]
    p = tmp_path / "tobii.tsv"
    p.write_text("\t".join(head) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    _refused(tmp_path, capsys, [p], "--time-unit", "s", "--detector", "tracker", *SMALL, names=("--time-unit",))
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", *SMALL)
    assert rc == 0, err


def test_time_unit_with_mixed_inputs_is_recorded_per_input(tmp_path, capsys):
    _stimuli(tmp_path)
    with_unit = _fix_csv(tmp_path, "a.csv", time_cols=("start [s]", "duration [s]"),
                         rows=[("s1", "img1", 10, 10, 0.0, 0.2), ("s1", "img1", 40, 30, 0.3, 0.25)])
    no_unit = _fix_csv(tmp_path, "b.csv", rows=[("s2", "img1", 10, 10, 0, 200_000), ("s2", "img1", 40, 30,
                                                                                       300_000, 250_000)])
    rc, _, err = _run(tmp_path, capsys, [with_unit, no_unit], "--time-unit", "us", "--detector", "tracker", *SMALL)
    assert rc == 0, err
    m = _policies(tmp_path)
    assert [r["time_unit_applied"] for r in m["inputs"]] == [False, True]
    assert m["policies"]["time_unit"] == "us"
    f = pd.read_csv(tmp_path / "d" / "fixations.csv")
    assert sorted(f["duration_ms"].tolist()) == [200.0, 200.0, 250.0, 250.0]


# ---------------------------------------------------------------- B: --drop-first per (subject, trial)

def test_drop_first_drops_the_first_fixation_of_every_trial(tmp_path, capsys):
    """s1 saw img1 in trials 1 and 2: two scanpaths, two first fixations (file lines 2 and 4), plus s2's (line 6)."""
    _stimuli(tmp_path)
    p = tmp_path / "fix.csv"
    p.write_text("subject,trial,stimulus,x,y,start,duration\n"
                 "s1,1,img1,10,10,0,200\n"       # line 2: first of (s1, 1)
                 "s1,1,img1,20,10,250,200\n"     # line 3
                 "s1,2,img1,30,20,5000,200\n"    # line 4: first of (s1, 2)
                 "s1,2,img1,40,20,5250,200\n"    # line 5
                 "s2,1,img1,10,30,0,200\n"       # line 6: first of (s2, 1)
                 "s2,1,img1,50,30,250,200\n")    # line 7
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--drop-first", *SMALL)
    assert rc == 0, err
    q = pd.read_csv(tmp_path / "d" / "quarantine.csv")
    assert sorted(q.loc[q["reason"] == "first_fixation", "line"].tolist()) == [2, 4, 6]
    assert sorted(pd.read_csv(tmp_path / "d" / "fixations.csv")["line"].tolist()) == [3, 5, 7]


def test_drop_first_without_trials_is_one_scanpath_per_subject_and_stimulus(tmp_path, capsys):
    """MIT1003-style: no trial column, so a subject's fixations on a stimulus are one scanpath (one first dropped)."""
    _stimuli(tmp_path)
    p = _fix_csv(tmp_path, rows=[("s1", "img1", 10, 10, 0, 200), ("s1", "img1", 20, 10, 250, 200),
                                 ("s1", "img1", 30, 20, 5000, 200), ("s2", "img1", 10, 30, 0, 200)])
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--drop-first", *SMALL)
    assert rc == 0, err
    q = pd.read_csv(tmp_path / "d" / "quarantine.csv")
    assert sorted(q.loc[q["reason"] == "first_fixation", "line"].tolist()) == [2, 5]


def test_detect_refuses_a_time_unit_no_log_uses(tmp_path, capsys):
    """``saliency detect`` recorded --time-unit in detection.json as applied when every header stated the unit."""
    from saliency.cli import main

    p = tmp_path / "samples.csv"
    t = np.arange(0, 400, 2.0)
    pd.DataFrame({"subject": "s1", "stimulus": "img1", "time_ms": t, "x": 20.0, "y": 20.0}).to_csv(p, index=False)
    geom = ["--screen-px", "64x48", "--screen-cm", "40x30", "--distance-cm", "60", "--quiet"]
    assert main(["detect", str(p), "--out", str(tmp_path / "r"), "--time-unit", "ns", *geom]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--time-unit ns: not used" in err, err
    assert not (tmp_path / "r").exists()
    q = tmp_path / "bare.csv"  # a time column without a unit: the option applies, and the record says so
    pd.DataFrame({"subject": "s1", "stimulus": "img1", "time": t, "x": 20.0, "y": 20.0}).to_csv(q, index=False)
    assert main(["detect", str(q), "--out", str(tmp_path / "d"), "--time-unit", "ms", *geom]) == 0
    rec = json.loads((tmp_path / "d" / "detection.json").read_text())
    assert rec["inputs"][0]["time_unit_applied"] is True and rec["options"]["time_unit"] == "ms"

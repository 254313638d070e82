"""Review s33 (RR1): ``--weight duration`` with fixations of 0 ms; NaN options of detection; one off-map test.

- ``saliency ingest --min-duration 0 --weight duration``: a detected fixation of one sample lasts
  ``t_last - t_first = 0`` ms. It used to weigh 0 in the map (left out unsaid), then the maps' refusal of
  durations <= 0 stopped the run naming a flag ``--durations`` that does not exist. Now it is quarantined as
  ``zero_duration`` before the maps, counted in the books, and the maps are built from the rest.
- ``detection.classify``/``detect`` refuse NaN ``min_duration_ms`` (ivt dropped every fixation, idt crashed) and
  NaN in the other numeric options (bridging, merging or blinks were turned off unsaid).
- ``maps.inside`` is the one off-map test (ingest's ``off_stimulus``, the maps' and qc's refusal).

The trial (500 Hz, 220 samples, y 250): 100 samples still at x 300, a 10-sample sweep out to x 500 and back in
steps of 20 px, 100 samples still at x 300. The five-point speed is 0 at the turning point (the sweep is
symmetric about it) and high beside it, so I-VT and Tobii I-VT each find one fixation of a single sample there
(file line 111 for s1: header + index 109), between the two long ones.
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from cli_fakes import refusal, run_cli
from PIL import Image

from saliency.base.errors import UserError
from saliency.data_tools import detection as D
from saliency.data_tools import maps
from saliency.data_tools.geometry import ScreenGeometry

SWEEP = np.r_[np.full(100, 300.0), 300 + 20 * np.arange(1, 11), 480 - 20 * np.arange(10), np.full(100, 300.0)]


def _study(tmp_path):
    (tmp_path / "stim").mkdir()
    Image.fromarray(np.zeros((600, 800, 3), np.uint8)).save(tmp_path / "stim" / "img1.png")
    rows = ["subject,stimulus,time_ms,x,y"]
    for s in ("s1", "s2"):
        rows += [f"{s},img1,{1000 + 2 * i},{v:g},250" for i, v in enumerate(SWEEP)]
    (tmp_path / "samples.csv").write_text("\n".join(rows) + "\n")
    return ["ingest", tmp_path / "samples.csv", "--stimuli", tmp_path / "stim", "--screen-px", "800x600",
            "--screen-cm", "40x30", "--distance-cm", "60", "--min-duration", "0", "--map-format", "npy"]


def _table(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("extra", [["--detector", "ivt"], ["--detector", "ivt", "--per-subject", "--workers", "2"],
                                   ["--detector", "tobii-ivt"]])
def test_zero_duration_fixations_quarantined_under_weight_duration(tmp_path, capsys, extra):
    out = tmp_path / "out"
    rc, so, err = run_cli(capsys, _study(tmp_path) + ["--weight", "duration", "--out", out] + extra)
    assert rc == 0, err
    q = _table(out / "quarantine.csv")
    assert [(r["line"], r["reason"], r["subject"], float(r["x"])) for r in q] == [
        ("111", "zero_duration", "s1", 500.0), ("331", "zero_duration", "s2", 500.0)]
    fix = _table(out / "fixations.csv")
    assert len(fix) == 4 and all(float(r["x"]) == 300.0 and float(r["duration_ms"]) > 0 for r in fix)
    meta = json.loads((out / "dataset.json").read_text())
    rows = meta["inputs"][0]["rows"]
    assert rows["read"] == 440 == rows["kept"] + sum(rows["quarantined"].values()) + sum(rows["counted"].values())
    assert rows["fixations"] == {"detected": 6, "kept": 4, "quarantined": {"zero_duration": 2}}
    assert meta["counts"]["fixations"] == 4 and meta["counts"]["quarantine_by_reason"] == {"zero_duration": 2}
    assert [int(r["fixations"]) for r in _table(out / "qc.csv")] == [2, 2]
    m = np.load(out / "maps" / "img1.npy")
    assert np.unravel_index(np.argmax(m), m.shape) == (250, 300)
    assert m[250, 500] < 1e-6 * m[250, 300]  # no bump where the 0 ms fixation was: all weight on x 300
    assert "zero_duration" in so and "Traceback" not in err


def test_weight_none_keeps_zero_duration_fixations(tmp_path, capsys):
    out = tmp_path / "out"
    rc, so, err = run_cli(capsys, _study(tmp_path) + ["--detector", "ivt", "--out", out])
    assert rc == 0, err
    fix = _table(out / "fixations.csv")
    assert [(r["line"], float(r["duration_ms"])) for r in fix if float(r["x"]) == 500.0] == [("111", 0.0),
                                                                                            ("331", 0.0)]
    assert len(fix) == 6 and _table(out / "quarantine.csv") == []


# ---------------------------------------------------------------- detection options that are NaN

G = ScreenGeometry((800, 600), (40.0, 30.0), 60.0)
T = 1000 + 2.0 * np.arange(SWEEP.size)
Y = np.full(SWEEP.size, 250.0)
NAN = float("nan")


@pytest.mark.parametrize("method", ["ivt", "idt", "tobii-ivt", "nh"])
@pytest.mark.parametrize("fn", [D.classify, D.detect])
def test_nan_min_duration_refused(method, fn):
    with pytest.raises(UserError, match=r"^min_duration_ms nan: must be a finite number of at least 0$"):
        fn(T, SWEEP, Y, G, method, min_duration_ms=NAN)


@pytest.mark.parametrize("opts, name", [({"max_gap_ms": NAN}, "max_gap_ms"), ({"merge_ms": NAN}, "merge_ms"),
                                        ({"merge_deg": NAN}, "merge_deg"), ({"max_gap_ms": -1.0}, "max_gap_ms"),
                                        ({"blink_ms": (NAN, 500.0)}, "blink_ms"),
                                        ({"blink_ms": (10.0, NAN)}, "blink_ms"),
                                        ({"min_duration_ms": math.inf}, "min_duration_ms")])
@pytest.mark.parametrize("method", ["ivt", "idt", "tobii-ivt"])
def test_nan_options_refused_by_name(method, opts, name):
    with pytest.raises(UserError, match=rf"^{name} "):
        D.classify(T, SWEEP, Y, G, method, **opts)


def test_nan_tobii_window_refused():
    with pytest.raises(UserError, match=r"^window_ms nan: must be a finite number above 0 \(ms\)$"):
        D.classify(T, SWEEP, Y, G, "tobii-ivt", window_ms=NAN)


def test_nan_in_library_steps_refused():
    with pytest.raises(UserError, match=r"^min_duration_ms nan"):
        D.discard_short([(0, 10)], T, NAN)
    with pytest.raises(UserError, match=r"^merge_ms nan / merge_deg 1"):
        D.merge_fixations([(0, 10), (12, 20)], T, SWEEP, Y, NAN, 1.0)


def test_min_duration_zero_keeps_the_one_sample_fixation():
    # hand-worked: I-VT (20 deg/s) finds samples 2..97, the turning point 109 alone, and 121..217
    assert D.detect(T, SWEEP, Y, G, "ivt", min_duration_ms=0) == [(2, 97), (109, 109), (121, 217)]


def test_classify_options_follow_its_signature():
    assert D.CLASSIFY_OPTIONS == ("threshold", "min_duration_ms", "max_gap_ms", "merge_ms", "merge_deg",
                                  "window_ms", "blink_ms", "pursuit", "offscreen")


# ---------------------------------------------------------------- one off-map test


def test_inside_edges():
    # a 4 x 3 map covers -0.5 <= x < 3.5 and -0.5 <= y < 2.5; NaN is off
    x = np.array([-0.5, 3.4999, 3.5, -0.5001, 1.0, 1.0, NAN, 1.0])
    y = np.array([-0.5, 2.4999, 0.0, 0.0, 2.5, -0.6, 0.0, NAN])
    assert maps.inside(x, y, 4, 3).tolist() == [True, True, False, False, False, False, False, False]
    # one size per point, as ingest gives each fixation its stimulus' size
    assert maps.inside([5.0, 5.0], [1.0, 1.0], np.array([4, 8]), np.array([3, 3])).tolist() == [False, True]


def test_off_stimulus_and_map_refusal_share_the_test(tmp_path, capsys):
    # a fixation at x 799.5 lies off the 800-wide stimulus: ingest sets it aside, the maps refuse it
    with pytest.raises(UserError, match=r"^x: 1 of the 1 fixations lie off the 800x600 map"):
        maps.check_inside(np.array([799.5]), np.array([10.0]), 800, 600)
    (tmp_path / "stim").mkdir()
    Image.fromarray(np.zeros((600, 800, 3), np.uint8)).save(tmp_path / "stim" / "img1.png")
    (tmp_path / "f.csv").write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                                    "a,img1,799.5,10,0,200\na,img1,799.49,10,300,200\nb,img1,5,5,0,200\n")
    rc, so, err = run_cli(capsys, ["ingest", tmp_path / "f.csv", "--stimuli", tmp_path / "stim", "--coords",
                                   "stimulus", "--sigma-px", "5", "--out", tmp_path / "o"])
    assert rc == 0, err
    assert [(r["line"], r["reason"]) for r in _table(tmp_path / "o" / "quarantine.csv")] == [("2", "off_stimulus")]


def test_bad_option_on_the_command_line_is_one_line(tmp_path, capsys):
    line = refusal(*run_cli(capsys, _study(tmp_path)[:-4] + ["--min-duration", "nan", "--out", tmp_path / "o"]))
    assert "min-duration" in line or "min_duration" in line


# ---------------------------------------------------------------- review s33 RR6: every fixation 0 ms, what to do

def test_every_fixation_of_zero_ms_refusal_says_what_to_do(tmp_path, capsys):
    """A V-shaped sweep (700 -> 300 -> 700 px in 40 px steps at 500 Hz): the five-point speed is 0 only at the
    turning point, so I-VT finds one fixation of a single sample (0 ms) per subject, and `--weight duration` sets
    both aside. Before: the reasons alone ("zero_duration 2"), no advice."""
    (tmp_path / "stim").mkdir()
    Image.fromarray(np.zeros((600, 800, 3), np.uint8)).save(tmp_path / "stim" / "img1.png")
    v = np.r_[700 - 40 * np.arange(11), 300 + 40 * np.arange(1, 11)]
    rows = ["subject,stimulus,time_ms,x,y"] + [f"{s},img1,{1000 + 2 * i},{x:g},250" for s in ("s1", "s2")
                                                 for i, x in enumerate(v)]
    (tmp_path / "z.csv").write_text("\n".join(rows) + "\n")
    rc, so, err = run_cli(capsys, ["ingest", tmp_path / "z.csv", "--stimuli", tmp_path / "stim", "--screen-px",
                                   "800x600", "--screen-cm", "40x30", "--distance-cm", "60", "--min-duration", "0",
                                   "--detector", "ivt", "--weight", "duration", "--out", tmp_path / "q", "--quiet"])
    assert refusal(rc, so, err) == (
        "saliency ingest: error: no usable fixations in the 42 rows read (reasons: zero_duration 2); 2 fixations of "
        "0 ms (one sample, or samples sharing a time stamp) weigh nothing with --weight duration and were set aside "
        "as zero_duration: use --weight none to map them (--min-duration above 0 drops such fixations as too short "
        "instead)")
    assert not (tmp_path / "q").exists()
    # the advice holds: --weight none maps them (one fixation at the turning point per subject)
    rc, so, err = run_cli(capsys, ["ingest", tmp_path / "z.csv", "--stimuli", tmp_path / "stim", "--screen-px",
                                   "800x600", "--screen-cm", "40x30", "--distance-cm", "60", "--min-duration", "0",
                                   "--detector", "ivt", "--out", tmp_path / "q", "--quiet"])
    assert rc == 0, err
    assert [(r["line"], float(r["x"]), float(r["duration_ms"])) for r in _table(tmp_path / "q" / "fixations.csv")] \
        == [("12", 300.0, 0.0), ("33", 300.0, 0.0)]


def test_drop_first_and_zero_duration_set_aside_alike(tmp_path, capsys):
    """`--drop-first` and `--weight duration` share one set-aside step: with both, each subject's first fixation
    (x 300, before the sweep) is first_fixation, the 0 ms one zero_duration, listed with its line and point."""
    out = tmp_path / "out"
    rc, so, err = run_cli(capsys, _study(tmp_path) + ["--weight", "duration", "--drop-first", "--detector", "ivt",
                                                      "--out", out])
    assert rc == 0, err
    assert sorted((r["reason"], r["subject"], float(r["x"])) for r in _table(out / "quarantine.csv")) == [
        ("first_fixation", "s1", 300.0), ("first_fixation", "s2", 300.0),
        ("zero_duration", "s1", 500.0), ("zero_duration", "s2", 500.0)]
    assert [float(r["x"]) for r in _table(out / "fixations.csv")] == [300.0, 300.0]

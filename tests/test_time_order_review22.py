"""Raw samples whose time stamps go back inside a trial (review 22).

A clock that jumped back 500 ms mid-trial was accepted silently: the trial was
sorted by time, the late rows were interleaved with the early ones, and
fixations mixed samples of two places (dispersion 8 deg where the clean file
gave 0.1). Two swapped rows were re-sorted and counted nowhere. Now, in file
order, a sample earlier than the latest time already seen in its trial is
quarantined as ``time_backwards`` (with its line, in the row books and the
summaries), by ``saliency ingest`` and ``saliency detect`` alike; a row that
repeats the previous row's time stamp stays a ``duplicate_times`` row.

The trace (generic ``samples`` table, header on line 1, row ``i`` on line
``i + 2``), 3 ms apart from 1000 ms, y = 540, x constant in each fixation:
A rows 0-99 at x 960, a 5-row saccade, B rows 105-204 at 1288, saccade, C
rows 210-409 at 1083, saccade, D rows 415-514 at 700; row 460 is written twice
(line 463 repeats line 462's time and gaze).

Oracles worked by hand:

- clock back: rows 150 on are stamped 500 ms early. The latest time seen is
  row 149's, 1000 + 3 * 149 = 1447; row j >= 150 is stamped 500 + 3 j, earlier
  than 1447 while j <= 315: rows 150-315 (166 rows, lines 152-317) are
  quarantined, row 316 (1448 ms) goes on. A lies wholly before them and D
  wholly after (its times 500 ms early); what remains of B and C is each at
  one place (dispersion 0).
- swapped rows 250 and 251 (1753 ms, then 1750 ms): row 251, line 253, is
  quarantined; A, B and D are untouched.
- rows read 516 = kept + quarantined; the repeat stays one duplicate time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from tests.ingest_fakes import grey_stimuli

GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65"]
PLACES = {"A": 960.0, "B": 1288.0, "C": 1083.0, "D": 700.0}
BACK_LINES = list(range(152, 318))  # rows 150-315
SWAP_LINE = 253  # row 251
FIX_COLS = ["onset_ms", "offset_ms", "duration_ms", "x", "y", "dispersion_deg", "samples"]


def _trace() -> tuple[np.ndarray, np.ndarray]:
    """(time_ms, x) of the clean trace, 515 rows, before row 460 is repeated."""
    x = []
    segs = [("A", 100), (None, 5), ("B", 100), (None, 5), ("C", 200), (None, 5), ("D", 100)]
    for i, (name, n) in enumerate(segs):
        if name is None:  # a straight saccade between the neighbours' places
            a, b = PLACES[segs[i - 1][0]], PLACES[segs[i + 1][0]]
            x += list(a + (b - a) * np.arange(1, n + 1) / (n + 1))
        else:
            x += [PLACES[name]] * n
    return 1000.0 + 3.0 * np.arange(len(x)), np.array(x)


def _write(path: Path, t: np.ndarray, x: np.ndarray) -> Path:
    """The samples table with row 460 written twice (same time, same gaze)."""
    i = np.insert(np.arange(len(t)), 461, 460)
    pd.DataFrame({"subject": "p1", "stimulus": "img1", "time_ms": t[i], "x": x[i], "y": 540.0, "valid": 1}) \
        .to_csv(path, index=False)
    return path


def _files(tmp_path) -> dict[str, Path]:
    t, x = _trace()
    back = t.copy()
    back[150:] -= 500.0  # the clock jumps back 500 ms at row 150 and stays back
    swap = t.copy()
    swap[[250, 251]] = swap[[251, 250]]
    return {"clean": _write(tmp_path / "clean.csv", t, x), "back": _write(tmp_path / "back.csv", back, x),
            "swap": _write(tmp_path / "swap.csv", swap, x)}


def _detect(tmp_path, capsys, log: Path, out: str):
    rc = main(["detect", str(log), "--out", str(tmp_path / out), "--quiet", "--detector", "ivt", *GEOM])
    printed = capsys.readouterr().out
    d = tmp_path / out
    return rc, printed, json.loads((d / "detection.json").read_text()), pd.read_csv(d / "fixations.csv"), \
        pd.read_csv(d / "quarantine.csv")


def _at(f: pd.DataFrame, place: str) -> pd.DataFrame:
    """The fixations at the x of one place."""
    return f.loc[f["x"] == PLACES[place]].reset_index(drop=True)


def test_detect_quarantines_a_clock_going_back_and_keeps_the_untouched_fixations(tmp_path, capsys):
    f = _files(tmp_path)
    rc, _, clean, fc, qc = _detect(tmp_path, capsys, f["clean"], "clean")
    assert rc == 0 and len(qc) == 0 and clean["counts"]["duplicate_times"] == 1
    assert [_at(fc, p).shape[0] for p in "ABCD"] == [1, 1, 1, 1]
    rc, printed, back, fb, qb = _detect(tmp_path, capsys, f["back"], "back")
    assert rc == 0
    assert qb["line"].tolist() == BACK_LINES
    assert set(qb["reason"]) == {"time_backwards"} and set(qb["source"]) == {str(f["back"])}
    rows = back["inputs"][0]["rows"]
    assert rows == {"read": 516, "labelled": 516 - 166, "quarantined": {"time_backwards": 166}, "counted": {}}
    assert back["counts"]["quarantined"] == 166 and "(166 rows quarantined)" in printed
    assert back["counts"]["samples"] == 350
    assert back["counts"]["duplicate_times"] == 1  # the row written twice, nothing else
    # A before the jump: as in the clean file; D after it: the same, 500 ms early
    pd.testing.assert_frame_equal(_at(fb, "A")[FIX_COLS], _at(fc, "A")[FIX_COLS])
    d_clean = _at(fc, "D")[FIX_COLS].copy()
    d_clean[["onset_ms", "offset_ms"]] -= 500.0
    pd.testing.assert_frame_equal(_at(fb, "D")[FIX_COLS], d_clean)
    # no fixation mixes places (before: B's samples sorted in with C's, 8 deg of dispersion)
    assert sorted(fb["x"].tolist()) == sorted(PLACES.values()) and (fb["dispersion_deg"] == 0).all()


def test_detect_quarantines_the_second_of_two_swapped_rows(tmp_path, capsys):
    f = _files(tmp_path)
    _, _, _, fc, _ = _detect(tmp_path, capsys, f["clean"], "clean")
    rc, _, swap, fs, qs = _detect(tmp_path, capsys, f["swap"], "swap")
    assert rc == 0
    assert qs["line"].tolist() == [SWAP_LINE] and qs["reason"].tolist() == ["time_backwards"]
    assert swap["inputs"][0]["rows"] == {"read": 516, "labelled": 515, "quarantined": {"time_backwards": 1},
                                         "counted": {}}
    for p in "ABD":
        pd.testing.assert_frame_equal(_at(fs, p)[FIX_COLS], _at(fc, p)[FIX_COLS])
    assert (_at(fs, "C")["dispersion_deg"] == 0).all() and len(fs) == len(_at(fs, "C")) + 3


def _ingest(tmp_path, capsys, log: Path, out: str):
    grey_stimuli(tmp_path, ("img1",), (1920, 1080))
    rc = main(["ingest", str(log), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / out), "--no-ioc",
               "--quiet", "--sigma-px", "3", "--detector", "ivt", *GEOM])
    printed = capsys.readouterr().out
    d = tmp_path / out
    return rc, printed, json.loads((d / "dataset.json").read_text()), pd.read_csv(d / "fixations.csv"), \
        pd.read_csv(d / "quarantine.csv"), pd.read_csv(d / "qc.csv")


ING_COLS = ["x", "y", "t_start_ms", "duration_ms", "line"]


@pytest.mark.parametrize("name, lines, kept_fix, said", [
    ("back", BACK_LINES, "AD", "  time_backwards               166"),
    ("swap", [SWAP_LINE], "ABD", "  time_backwards                 1")])
def test_ingest_quarantines_time_going_back_with_its_lines_and_books(tmp_path, capsys, name, lines, kept_fix, said):
    f = _files(tmp_path)
    rc, _, clean, fc, qc, _ = _ingest(tmp_path, capsys, f["clean"], "clean")
    assert rc == 0 and len(qc) == 0
    rc, printed, m, fx, q, qcsv = _ingest(tmp_path, capsys, f[name], name)
    assert rc == 0
    n = len(lines)
    assert q["line"].tolist() == lines and set(q["reason"]) == {"time_backwards"}
    assert set(q["source"]) == {str(f[name])}
    rows = m["inputs"][0]["rows"]
    assert (rows["read"], rows["kept"], rows["quarantined"], rows["counted"]) == \
        (516, 516 - n, {"time_backwards": n}, {})
    assert "unaccounted" not in rows
    assert m["counts"]["quarantine_by_reason"] == {"time_backwards": n}
    assert said in printed.splitlines()  # the printed summary's line for the reason
    # QC: the quarantined rows of a known pair count as invalid samples
    assert (int(qcsv["samples"][0]), int(qcsv["valid_samples"][0])) == (516, 516 - n)
    for p in kept_fix:
        want = _at(fc, p)[ING_COLS].copy()
        if name == "back" and p == "D":
            want["t_start_ms"] -= 500.0
        pd.testing.assert_frame_equal(_at(fx, p)[ING_COLS], want)
    assert set(fx["x"]) <= set(PLACES.values())  # no fixation mixes two places


def test_chunk_boundaries_inside_the_backward_rows_change_nothing(tmp_path):
    """The trial carried across chunks keeps its latest time: 64-row chunks quarantine the same rows."""
    from saliency.data_tools import ingest as ing
    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.detect import DetectOptions, detect_logs

    f = _files(tmp_path)
    geom = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)
    for rows in (500_000, 64):
        s = detect_logs([f["back"]], tmp_path / f"det{rows}", DetectOptions(geometry=geom, detector="ivt",
                                                                             chunk_rows=rows))
        assert s["inputs"][0]["rows"]["quarantined"] == {"time_backwards": 166}, rows
        assert pd.read_csv(tmp_path / f"det{rows}" / "quarantine.csv")["line"].tolist() == BACK_LINES
        assert pd.read_csv(tmp_path / f"det{rows}" / "fixations.csv")["x"].tolist() == [960.0, 1288.0, 1083.0, 700.0]
    grey_stimuli(tmp_path, ("img1",), (1920, 1080))
    for rows in (500_000, 64):
        o = ing.IngestOptions(geometry=geom, detector="ivt", chunk_rows=rows, sigma_px=3.0, ioc=False,
                              progress=False)
        m = ing.ingest([f["back"]], tmp_path / "stim", tmp_path / f"ing{rows}", o)
        assert m["inputs"][0]["rows"]["quarantined"] == {"time_backwards": 166}, rows
        assert pd.read_csv(tmp_path / f"ing{rows}" / "quarantine.csv")["line"].tolist() == BACK_LINES
        assert pd.read_csv(tmp_path / f"ing{rows}" / "fixations.csv")["x"].tolist() == [960.0, 1288.0, 1083.0, 700.0]


def test_time_backwards_mask_by_hand():
    """File order within runs of equal keys; an equal time is a repeat, not backwards; NaN moves nothing."""
    from saliency.data_tools.ingest import time_backwards

    df = pd.DataFrame({"s": ["a"] * 8 + ["b"] * 3,
                       "time_ms": [0, 4, 8, 3, 8, 12, np.nan, 5, 100, 1, 2]})
    # a: 3 < 8 and 5 < 12 go back; the second 8 repeats the latest. b starts afresh: 1 and 2 are before its 100
    assert time_backwards(df, ["s"]).tolist() == [False, False, False, True, False, False, False, True,
                                                  False, True, True]
    before = pd.DataFrame({"s": ["z", "a", "a"], "time_ms": [0.0, 7.0, 9.0]})  # the trial carried: a, latest 9
    assert time_backwards(df.iloc[:3], ["s"], before).tolist() == [True, True, True]
    assert time_backwards(df.iloc[8:], ["s"], before).tolist() == [False, True, True]  # b does not continue a
    assert time_backwards(df.iloc[:0], ["s"], before).tolist() == []

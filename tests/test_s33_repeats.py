"""Review s33 M3: a row a log wrote twice (the same time stamp AND the same position as a row of that time stamp)
takes its label but counts once in the event tables.

It was counted again in the fixations' centroid and ``samples`` column (the Lund trial TH38 with every 7th row
written twice: a fixation's x moved 0.076 px and ``samples`` went 93 -> 106; every row written twice doubled the
column). Oracle: the event tables of a log with rows written twice are those of the same log without them, for
every detector, and the per-sample labels are the original ones, one per input row. A row of the same time stamp
at another position (a log with one row per eye) still counts: the centroid averages both eyes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saliency.data_tools import detection as D
from saliency.data_tools import events as ev
from saliency.data_tools.detectors import DETECTORS
from saliency.data_tools.geometry import ScreenGeometry

from cli_fakes import run_cli

LUND = Path(__file__).resolve().parents[2] / "shared" / "data" / "lund2013_dev"
GEOM = ScreenGeometry((1024, 768), (38.0, 30.0), 67.0)  # the Lund 2013 set-up
TABLES = ("fixations", "saccades", "blinks")


def _times(n: int, every: int) -> np.ndarray:
    """How many times each of ``n`` rows is written: every row twice (``every`` 1), or every ``every``-th."""
    return np.full(n, 2) if every == 1 else np.where(np.arange(n) % every == 3, 2, 1)


def _tables(c, x, y, rows=None) -> dict:
    """The event tables and ingest's ``summarize``, its first row named as a row of the log without repeats."""
    s = D.summarize(c.fixations, c.t, x, y)
    if rows is not None:
        s["first"] = rows[s["first"]]
    return {"fixations": ev.fixation_table(c, x, y), "saccades": ev.saccade_table(c, x, y),
            "blinks": ev.blink_table(c), "summarize": s}


def _assert_same_tables(a: dict, b: dict, what) -> None:
    for k in a:
        assert a[k].keys() == b[k].keys(), (what, k)
        for col in a[k]:  # exactly: a repeat adds nothing, not even a rounding step
            np.testing.assert_array_equal(a[k][col], b[k][col], err_msg=f"{what} {k}.{col}")


# ------------------------------------------------------------------ hand-worked


def _eyes(n: int = 100):
    """``n`` stamps at 500 Hz, each written as a left-eye row at x 500 and a right-eye row at x 510 (y 400)."""
    t = np.repeat(np.arange(n) * 2.0, 2)
    x = np.tile([500.0, 510.0], n)
    return t, x, np.full(2 * n, 400.0)


@pytest.mark.parametrize("layout", ["L R R", "L L R", "L R L R"])
def test_one_row_per_eye_still_averages_both_and_a_repeat_counts_once(layout):
    t, x, y = _eyes()
    c = D.classify(t, x, y, GEOM, "ivt")
    fix = ev.fixation_table(c, x, y)
    # both eyes count (as before): one fixation at their mean, 2 rows per stamp, over stamps 2..97 (the
    # five-point speed needs two stamps on each side)
    assert c.fixations == [(4, 195)]
    assert fix["x"][0] == 505.0 and fix["samples"][0] == 192
    assert D.summarize(c.fixations, t, x, y)["x"][0] == 505.0
    # the same log with one eye's rows written twice, or the whole stamp written twice: nothing changes
    picks = {"L R R": [0, 1, 1], "L L R": [0, 0, 1], "L R L R": [0, 1, 0, 1]}[layout]
    rows = (np.arange(100)[:, None] * 2 + np.array(picks)[None, :]).ravel()
    t2, x2, y2 = t[rows], x[rows], y[rows]
    c2 = D.classify(t2, x2, y2, GEOM, "ivt")
    np.testing.assert_array_equal(c2.labels, c.labels[rows])  # one label per input row, as before
    fix2 = ev.fixation_table(c2, x2, y2)
    assert fix2["x"][0] == 505.0 and fix2["samples"][0] == 192  # before: 506.67 and 288 (L R R)
    assert D.summarize(c2.fixations, t2, x2, y2)["x"][0] == 505.0
    assert c2.params["duplicate_times"] == len(t2) - 100  # every row past a stamp's first, repeat or not


def test_a_missing_row_written_twice_in_a_bridged_gap_counts_once():
    t = np.arange(150) * 2.0
    x, y = np.full(150, 500.0), np.full(150, 400.0)
    x[50:53] = y[50:53] = np.nan  # 3 rows lost, bridged by max_gap_ms into the fixation
    c = D.classify(t, x, y, GEOM, "ivt", max_gap_ms=75)
    assert ev.fixation_table(c, x, y)["samples"].tolist() == [146]  # stamps 2..147 (five-point speed)
    rows = np.repeat(np.arange(150), np.where((np.arange(150) >= 50) & (np.arange(150) < 53), 2, 1))
    c2 = D.classify(t[rows], x[rows], y[rows], GEOM, "ivt", max_gap_ms=75)
    assert ev.fixation_table(c2, x[rows], y[rows])["samples"].tolist() == [146]  # before: 149


def test_exact_repeats_mask():
    t = np.array([0, 2, 2, 2, 2, 4, 4, 6, 6], dtype=float)
    x = np.array([1, 1, 1, 3, 1, np.nan, np.nan, 5, 5], dtype=float)
    y = np.array([0, 0, 0, 0, 0, np.nan, np.nan, 0, 1], dtype=float)
    # row 2 repeats row 1, row 4 repeats row 1 across the other eye's row 3, row 6 repeats a missing row 5;
    # row 8 is the same time at another y; row 1 is another time than row 0
    assert D.exact_repeats(t, x, y).tolist() == [False, False, True, False, True, False, True, False, False]
    assert not D.exact_repeats(np.arange(4.0), np.zeros(4), np.zeros(4)).any()


# ------------------------------------------------------------------ real Lund trials (API, as detect calls it)


@pytest.mark.real_data
@pytest.mark.parametrize("every", [1, 7])
def test_lund_trials_tables_unchanged_by_rows_written_twice(every):
    if not (LUND / "images").is_dir():
        pytest.skip("../shared/data/lund2013_dev is not available")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.detection import load_lund

    files = sorted((LUND / "images").glob("*.mat"))
    assert files
    for f in files:
        t, x, y, _, g = load_lund(str(f))
        rows = np.repeat(np.arange(len(t)), _times(len(t), every))
        for det in DETECTORS:
            c = D.classify(t, x, y, g, det)
            c2 = D.classify(t[rows], x[rows], y[rows], g, det)
            assert len(c2.labels) == len(rows)
            np.testing.assert_array_equal(c2.labels, c.labels[rows])
            assert len(c.fixations) > 5
            _assert_same_tables(_tables(c, x, y), _tables(c2, x[rows], y[rows], rows), (f.name, det, every))


# ------------------------------------------------------------------ synthetic study (the commands)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from saliency.cli import main

    root = tmp_path_factory.mktemp("repeats")
    s = root / "S"
    assert main(["synth", "--out", str(s), "--scenes", "3", "--subjects", "2", "--quiet"]) == 0
    raw = pd.read_csv(s / "logs" / "samples.csv")
    logs = {"plain": s / "logs" / "samples.csv"}
    for name, every in (("some", 7), ("all", 1)):
        logs[name] = root / f"samples_{name}.csv"
        raw.loc[raw.index.repeat(_times(len(raw), every))].to_csv(logs[name], index=False)
    return s, logs


def _read(d: Path) -> dict:
    return {k: pd.read_csv(d / f"{k}.csv").drop(columns=["source", "line"], errors="ignore")
            for k in ("samples", *TABLES)}


@pytest.mark.parametrize("detector", DETECTORS)
def test_detect_tables_unchanged_by_rows_written_twice(study, tmp_path, capsys, detector):
    s, logs = study
    out = {}
    for name, log in logs.items():
        rc, _, err = run_cli(capsys, ["detect", log, "--geometry", s / "screen.json", "--detector", detector,
                                      "--out", tmp_path / name, "--quiet"])
        assert rc == 0, err
        out[name] = _read(tmp_path / name)
    base = out.pop("plain")
    assert len(base["fixations"]) > 20
    n = len(base["samples"])
    for name, got in out.items():
        rep = _times(n, 7 if name == "some" else 1)
        # one label row per input row, each the label of the row it repeats
        assert len(got["samples"]) == rep.sum()
        pd.testing.assert_frame_equal(got["samples"], base["samples"].loc[base["samples"].index.repeat(rep)]
                                      .reset_index(drop=True))
        for k in TABLES:
            pd.testing.assert_frame_equal(got[k], base[k], check_exact=True, obj=f"{name} {k}")


@pytest.mark.parametrize("detector", DETECTORS)
def test_ingest_fixations_unchanged_by_rows_written_twice(study, tmp_path, capsys, detector):
    s, logs = study
    fix, maps = {}, {}
    for name, log in logs.items():
        d = tmp_path / name
        rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", s / "stimuli", "--geometry", s / "screen.json",
                                      "--detector", detector, "--out", d, "--no-ioc", "--map-format", "npy"])
        assert rc == 0, err
        fix[name] = pd.read_csv(d / "fixations.csv").drop(columns=["source", "line"])
        maps[name] = {p.name: np.load(p) for p in sorted((d / "maps").glob("*.npy"))}
    assert len(fix["plain"]) > 20 and maps["plain"]
    for name in ("some", "all"):
        pd.testing.assert_frame_equal(fix[name], fix["plain"], check_exact=True, obj=f"{name} fixations")
        assert maps[name].keys() == maps["plain"].keys()
        for k, m in maps["plain"].items():
            np.testing.assert_array_equal(maps[name][k], m, err_msg=f"{name} {k}")

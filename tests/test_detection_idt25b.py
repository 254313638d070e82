"""Review 25b of I-DT: the window is the fewest samples spanning the minimum on time stamps written to the microsecond.

Regression of 47c575b: the window was ``ceil(min_duration / dt) + 1`` samples with ``dt`` the median interval,
which is short of the true period when the stamps are rounded (``saliency synth --rate 120`` writes 8.333 ms
intervals, Pro Lab whole microseconds): 100 / 8.333 = 12.0004 gave 14 samples at 120 Hz, so a still run of 13
samples spanning exactly 100.000 ms was no fixation (its samples undefined). Likewise 32 for 31 at 300 Hz and 122
for 121 at 1200 Hz. Oracles: hand-worked spans, and a brute force in integer microseconds over 60..1200 Hz.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from saliency.data_tools import detection as D
from saliency.data_tools.detectors import FIXATION, SACCADE
from saliency.data_tools.geometry import ScreenGeometry

G = ScreenGeometry((1024, 768), (38.0, 30.0), 67.0)
GEOM_ARGS = ["--screen-px", "1024x768", "--screen-cm", "38x30", "--distance-cm", "67"]


def _trace(n: int) -> np.ndarray:
    """Degrees: an 8-sample ramp, ``n`` still samples at 0, an 8-sample ramp (every ramp sample > 1 deg away)."""
    return np.concatenate([np.linspace(-20, -5, 8), np.zeros(n), np.linspace(5, 20, 8)])


def _us_stamps(rate_hz: int, n: int, t0_us: int) -> np.ndarray:
    """Whole-microsecond stamps ``round(t0 + i * 1e6 / rate)`` (half up), in integer microseconds."""
    i = np.arange(n, dtype=np.int64)
    return (2 * t0_us * rate_hz + 2 * i * 1_000_000 + rate_hz) // (2 * rate_hz)


def _fewest(stamps: np.ndarray, min_units: int) -> tuple[int, int]:
    """Brute force on integer stamps: per start, the fewest consecutive samples spanning ``min_units``;
    (fewest, most) over the starts with that much time after them."""
    j = np.searchsorted(stamps, stamps + min_units, side="left")  # exact: integers
    counts = (j - np.arange(len(stamps)) + 1)[j < len(stamps)]
    return int(counts.min()), int(counts.max())


@pytest.mark.parametrize("rate_hz, fits", [(120, 13), (300, 31), (1200, 121)])
def test_a_still_run_of_exactly_the_minimum_is_one_fixation_with_microsecond_stamps(rate_hz, fits):
    # hand-worked: 12 periods of 8.3333 ms (120 Hz), 30 of 3.3333 (300 Hz), 120 of 0.8333 (1200 Hz) span
    # 100 ms; written to 0.001 ms, the still run from sample 8 spans 100.000 ms (both ends rounded the same way)
    # and one sample less spans a period less (91.667, 96.667, 99.167 ms)
    dt = 1000.0 / rate_hz
    t = np.round(1000.0 + np.arange(len(_trace(fits))) * dt, 3)
    assert t[8 + fits - 1] - t[8] == pytest.approx(100.0, abs=1e-9)
    assert t[8 + fits - 2] - t[8] == pytest.approx(100.0 - dt, abs=1e-3)
    # the premise: the median interval is rounded down (8.333, 3.333, 0.833) and (fits - 1) of it fall short
    assert D.sample_period(t) == pytest.approx(np.floor(dt * 1000) / 1000, abs=1e-9)
    assert (fits - 1) * D.sample_period(t) < 100.0 - 0.003
    x = _trace(fits)
    assert D.idt(t, x, np.zeros_like(x)) == [(8, 8 + fits - 1)]
    x = _trace(fits - 1)
    t = t[: len(x)]
    assert D.idt(t, x, np.zeros_like(x)) == []


def test_the_reviewers_120_hz_trace_through_classify_and_detect(tmp_path):
    # 40 still, 3 ramp, 13 still (1358.333 .. 1458.333 ms: exactly 100 ms), 3 ramp, 40 still; ramp steps of
    # 100 and 50 px (3.2 and 1.6 deg here, over the 1 deg threshold); stamps written to 0.001 ms as
    # `saliency synth --rate 120` writes them
    x = np.r_[np.full(40, 300.0), [400.0, 500.0, 600.0], np.full(13, 700.0), [750.0, 800.0, 850.0], np.full(40, 900.0)]
    y = np.full(len(x), 384.0)
    t = np.round(1000.0 + np.arange(len(x)) * 1000.0 / 120.0, 3)
    assert t[43] == 1358.333 and t[55] == 1458.333
    c = D.classify(t, x, y, G, "idt")
    assert c.fixations == [(0, 39), (43, 55), (59, 98)]
    assert (c.labels[43:56] == FIXATION).all()
    assert c.ranges(SACCADE) == [(40, 42), (56, 58)]
    log = tmp_path / "idt120.csv"
    pd.DataFrame({"subject": "s1", "stimulus": "a", "time_ms": t, "x": x, "y": y, "valid": 1}).to_csv(log, index=False)
    assert main(["detect", str(log), *GEOM_ARGS, "--detector", "idt", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert fix["onset_ms"].tolist() == [1000.0, 1358.333, 1491.667]
    assert fix["duration_ms"].round(6).tolist() == [325.0, 100.0, 325.0]


def test_brute_force_fewest_samples_spanning_100_ms_at_60_to_1200_hz_whole_microseconds():
    # every integer rate 60..1200 Hz, stamps in whole microseconds from a random start: the fewest consecutive
    # samples whose span reaches 100,000 us (integer arithmetic, every start of the trace agrees), and I-DT finds
    # a still run of that many samples and none of one fewer
    rng = np.random.default_rng(25)
    for rate in range(60, 1201):
        t0_us = int(rng.integers(0, 10**9))
        us = _us_stamps(rate, -(-rate // 10) + 1 + 24, t0_us)  # 100 ms and 24 samples more: 25 starts or so
        lo, hi = _fewest(us, 100_000)
        assert lo == hi, rate  # unambiguous: k periods are 100 ms exactly or >= 0.083 ms away from it
        fits = lo
        t = us / 1000.0
        x = _trace(fits)
        got = D.idt(t[: len(x)], x, np.zeros_like(x))
        assert got == [(8, 8 + fits - 1)], (rate, fits, got)
        x = _trace(fits - 1)
        assert D.idt(t[: len(x)], x, np.zeros_like(x)) == [], (rate, fits)


@pytest.mark.parametrize("unit", ["float", "ms"])
def test_the_window_on_float_and_whole_millisecond_stamps(unit):
    # float stamps i * 1000 / rate: n - 1 periods reach 100 ms when n - 1 >= rate / 10 (closed form);
    # whole milliseconds (60..500 Hz): the brute force over integer stamps where every start agrees
    rng = np.random.default_rng(5)
    checked = 0
    for rate in range(60, 501, 7 if unit == "float" else 1):
        if unit == "float":
            t = 1000.0 + np.arange(200) * 1000.0 / rate
            fits = -(-rate // 10) + 1
        else:
            ms = np.round(1000.0 + np.arange(200) * 1000.0 / rate + rng.uniform(0, 1000)).astype(np.int64)
            lo, hi = _fewest(ms[:60], 100)
            if lo != hi:  # k periods within a millisecond of 100 ms: spans of 99 and 100 both occur
                continue
            fits, t = lo, ms.astype(np.float64)
        x = _trace(fits)
        assert D.idt(t[: len(x)], x, np.zeros_like(x)) == [(8, 8 + fits - 1)], (rate, fits)
        x = _trace(fits - 1)
        assert D.idt(t[: len(x)], x, np.zeros_like(x)) == [], (rate, fits)
        checked += 1
    assert checked >= 60


def test_spans_across_a_time_gap_do_not_count():
    # 120 Hz, stamps to 0.001 ms, stretches of 14 samples 200 ms apart (rows absent from the log): stretch A is
    # a jump then 13 still samples (100 ms: a fixation), stretch B a jump, 12 still (91.667 ms: none), a jump.
    # Spans reaching across a gap would make the window short (7 samples) and B's 12 samples a fixation
    t, x = [], []
    start = 1000.0
    for k in range(10):
        t.append(start + np.arange(14) * 1000.0 / 120.0)
        base = 30.0 * k
        if k % 2 == 0:
            x.append(np.r_[base - 10.0, np.full(13, base)])
        else:
            x.append(np.r_[base - 10.0, np.full(12, base), base + 10.0])
        start = t[-1][-1] + 200.0
    t = np.round(np.concatenate(t), 3)
    x = np.concatenate(x)
    assert D.sample_period(t) == pytest.approx(8.333)
    got = D.idt(t, x, np.zeros_like(x))
    assert got == [(28 * k + 1, 28 * k + 13) for k in range(5)]

"""`detection.classify` called from a notebook: time stamps out of recording order and arrays of other lengths.

Review R6: shuffled ``t`` gave 38 nonsense fixations (ivt) or ~100 (idt),
reversed ``t`` labelled every sample undefined, with no word in
``params["warnings"]``; ``x_px`` shorter than ``t`` failed with numpy's
"operands could not be broadcast together". Both are refused with one line
naming the parameter. Repeated time stamps stay accepted (classified once,
as ``saliency detect`` keeps them), and the command line, which sets a
sample earlier than its trial's latest aside as ``time_backwards``, never
hands ``classify`` such a trial.

Oracle: a noise-free two-fixation trial at 500 Hz whose fixations are worked
out by hand from the five-point differentiator (below).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cli_fakes import run_cli
from saliency.base.errors import UserError
from saliency.data_tools.detection import classify, detect
from saliency.data_tools.geometry import ScreenGeometry

GEOM = ScreenGeometry((1024, 768), (38.0, 30.0), 67.0)
METHODS = ["ivt", "idt", "nh", "tobii-ivt"]
N = 1000


def _trial():
    """1000 samples 2 ms apart, x 300 px then 700 px from sample 500, y 400 px: no noise."""
    t = np.arange(N) * 2.0
    x = np.where(np.arange(N) < 500, 300.0, 700.0)
    return t, x, np.full(N, 400.0)


def test_a_clean_trial_gives_its_two_fixations():
    # hand-worked: the five-point speed needs two samples either side (none at 0, 1, 998, 999) and is above
    # threshold only where its window holds the step between samples 499 and 500: samples 498..501
    t, x, y = _trial()
    assert classify(t, x, y, GEOM, "ivt").fixations == [(2, 497), (502, 997)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("order", ["shuffled", "reversed"])
def test_time_stamps_out_of_order_are_refused(method, order):
    t, x, y = _trial()
    idx = np.random.default_rng(0).permutation(N) if order == "shuffled" else np.arange(N)[::-1]
    with pytest.raises(UserError) as e:
        classify(t[idx], x[idx], y[idx], GEOM, method)
    msg = e.value.args[0]  # as raised: the parameter in backticks
    assert msg.startswith("`t`: sample 1 (") and "\n" not in msg
    assert "recording order" in msg and "time_backwards" in msg
    if order == "reversed":  # every one of the 999 intervals goes back; the first is 1998 ms -> 1996 ms
        assert msg.startswith("`t`: sample 1 (1996 ms) is earlier than sample 0 (1998 ms), 999 step(s) back")


def test_one_step_back_is_named_by_its_samples():
    t, x, y = _trial()
    t[600] = 1100.0  # sample 600 (1200 ms) written as 1100 ms: after 599 (1198 ms), so one step back
    with pytest.raises(UserError) as e:
        classify(t, x, y, GEOM, "ivt")
    assert e.value.args[0].startswith("`t`: sample 600 (1100 ms) is earlier than sample 599 (1198 ms), 1 step(s) back")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("short", ["x_px", "y_px", "t", "offscreen"])
def test_arrays_of_other_lengths_are_refused(method, short):
    t, x, y = _trial()
    off = np.zeros(N, dtype=bool)
    args = {"t": t, "x_px": x, "y_px": y, "offscreen": off}
    args[short] = args[short][:-10]
    with pytest.raises(UserError) as e:
        classify(args["t"], args["x_px"], args["y_px"], GEOM, method, offscreen=args["offscreen"])
    msg = e.value.args[0]  # as raised: the parameter in backticks
    assert "broadcast" not in msg and "one value per sample" in msg
    if short == "t":  # the first per-sample array is named against t
        assert msg.startswith("`x_px`: shape (1000,) against (990,) of `t`")
    else:
        assert msg.startswith(f"`{short}`: shape (990,) against (1000,) of `t`")


def test_a_column_vector_is_not_one_value_per_sample():
    t, x, y = _trial()
    with pytest.raises(UserError) as e:
        classify(t, x[:, None], y, GEOM, "ivt")
    assert e.value.args[0].startswith("`x_px`: shape (1000, 1) against (1000,) of `t`")


def test_repeated_time_stamps_stay_accepted():
    # each sample written twice (one row per eye): the same stamp twice is in order, classified once; the
    # fixations are the clean trial's, each row index doubled (first row of its first stamp, last of its last)
    t, x, y = _trial()
    c = classify(np.repeat(t, 2), np.repeat(x, 2), np.repeat(y, 2), GEOM, "ivt")
    assert c.fixations == [(4, 995), (1004, 1995)]
    assert c.params["duplicate_times"] == N


def test_a_missing_time_stamp_is_not_a_step_back():
    t, x, y = _trial()
    t[300] = np.nan
    classify(t, x, y, GEOM, "ivt")  # no refusal: NaN is neither earlier nor later


def test_the_command_line_sets_a_step_back_aside_before_classifying(tmp_path, capsys):
    # a file whose sample 600 steps back: saliency detect quarantines it (time_backwards), never refuses the
    # trial, so classify's refusal never reaches its users
    t, x, y = _trial()
    t[600] = 1100.0
    p = tmp_path / "back.csv"
    pd.DataFrame({"subject": "p1", "stimulus": "s", "time": t, "x": x, "y": y, "valid": 1}).to_csv(p, index=False)
    rc, _, err = run_cli(capsys, ["detect", p, "--out", tmp_path / "o", "--quiet", "--screen-px", "1024x768",
                                  "--screen-cm", "38x30", "--distance-cm", "67"])
    assert rc == 0, err
    quarantine = "\n".join(f.read_text() for f in (tmp_path / "o").rglob("quarantine*.csv"))
    assert "time_backwards" in quarantine


# ---------------------------------------------------------------- detect(): what ingest calls per trial
# Review RRb: with no optional setting, detect() went straight to ivt/idt, past classify's checks: shuffled
# stamps gave 33 made-up fixations unsaid, x_px shorter than t numpy's broadcast error.


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("order", ["shuffled", "reversed"])
def test_detect_refuses_time_stamps_out_of_order(method, order):
    t, x, y = _trial()
    idx = np.random.default_rng(0).permutation(N) if order == "shuffled" else np.arange(N)[::-1]
    with pytest.raises(UserError) as e:
        detect(t[idx], x[idx], y[idx], GEOM, method)
    msg = e.value.args[0]
    assert msg.startswith("`t`: sample 1 (") and "recording order" in msg and "\n" not in msg
    if order == "reversed":
        assert msg.startswith("`t`: sample 1 (1996 ms) is earlier than sample 0 (1998 ms), 999 step(s) back")


@pytest.mark.parametrize("method", ["ivt", "idt"])
@pytest.mark.parametrize("short", ["x_px", "y_px", "t", "offscreen"])
def test_detect_refuses_arrays_of_other_lengths(method, short):
    t, x, y = _trial()
    args = {"t": t, "x_px": x, "y_px": y, "offscreen": np.zeros(N, dtype=bool)}
    args[short] = args[short][:-100]
    with pytest.raises(UserError) as e:
        detect(args["t"], args["x_px"], args["y_px"], GEOM, method, offscreen=args["offscreen"])
    msg = e.value.args[0]
    assert "broadcast" not in msg and "one value per sample" in msg
    assert msg.startswith("`x_px`: shape (1000,) against (900,) of `t`" if short == "t"
                          else f"`{short}`: shape (900,) against (1000,) of `t`")


def test_detect_keeps_the_clean_trial_and_a_missing_stamp():
    # the same hand-worked fixations as classify (test_a_clean_trial_gives_its_two_fixations); a NaN stamp is
    # no step back, and lists are taken as before
    t, x, y = _trial()
    assert detect(t, x, y, GEOM, "ivt") == [(2, 497), (502, 997)]
    assert detect(list(t), list(x), list(y), GEOM, "ivt") == [(2, 497), (502, 997)]
    t[300] = np.nan
    detect(t, x, y, GEOM, "ivt")

"""The Python API of event detection: detect() applies or refuses every option as classify() does, messages name
the API's own parameters, and a geometry that is not a ScreenGeometry is refused by name.

Oracles: hand-made traces whose events are known by construction (a still fixation, a 10 deg saccade, a slow
straight drift that is smooth pursuit), and the signatures of the functions called.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.data_tools import detection as D
from saliency.data_tools.geometry import ScreenGeometry

GEOM = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)
DT = 2.0  # 500 Hz


def _to_px(xd, yd):
    """Degrees -> screen pixels, the exact inverse of the geometry's per-axis conversion."""
    return ((1920 - 1) / 2 + 65.0 * 1920 / 53.1 * np.tan(np.radians(xd)),
            (1080 - 1) / 2 + 65.0 * 1080 / 29.9 * np.tan(np.radians(yd)))


def _still_saccade_drift():
    """200 ms still at 0 deg, a 10 deg saccade over 40 ms, then 300 ms drifting right at 5 deg/s (pursuit: under
    I-VT's 20 deg/s, so I-VT alone sees two fixations; the split makes the drift pursuit)."""
    rng = np.random.default_rng(1)
    n0, ns, n1 = 100, 20, 150
    s = np.arange(1, ns + 1) / ns
    prof = 10 * s ** 3 - 15 * s ** 4 + 6 * s ** 5
    x = np.concatenate([np.zeros(n0), 10.0 * prof, 10.0 + 5.0 * np.arange(1, n1 + 1) * DT / 1000.0])
    x = x + rng.normal(0, 0.01, len(x))
    y = rng.normal(0, 0.01, len(x))
    px, py = _to_px(x, y)
    return np.arange(len(x)) * DT, px, py


def _message(exc_info) -> str:
    msg = exc_info.value.args[0]
    assert "\n" not in msg and "Traceback" not in msg, msg
    return msg


# ---------------------------------------------------------------- 1. detect() applies or refuses every option

def test_detect_ivt_applies_pursuit():
    t, px, py = _still_saccade_drift()
    plain = D.detect(t, px, py, GEOM, "ivt")
    assert len(plain) == 2 and plain[0][0] <= 5 and plain[1][0] > 100  # the still run and the drift
    split = D.detect(t, px, py, GEOM, "ivt", pursuit=True)
    assert split == [plain[0]]  # the drift became pursuit; the still fixation is unchanged


@pytest.mark.parametrize("method", ["ivt", "idt"])
def test_detect_refuses_window_ms_as_classify_does(method):
    t, px, py = _still_saccade_drift()
    with pytest.raises(UserError) as e:
        D.detect(t, px, py, GEOM, method, window_ms=30)
    assert _message(e).startswith("`window_ms`: not used by the")


@pytest.mark.parametrize("method", ["ivt", "idt"])
def test_detect_refuses_an_unknown_option(method):
    t, px, py = _still_saccade_drift()
    with pytest.raises(UserError) as e:
        D.detect(t, px, py, GEOM, method, merge_degs=5)
    msg = _message(e)
    assert msg.startswith("unknown option `merge_degs`; choose from ") and "`merge_deg`" in msg, msg
    with pytest.raises(UserError) as e:
        D.detect(t, px, py, GEOM, foo=1)
    assert _message(e).startswith("unknown option `foo`; choose from ")


def test_detect_refuses_an_nh_option_with_ivt():
    t, px, py = _still_saccade_drift()
    with pytest.raises(UserError) as e:
        D.detect(t, px, py, GEOM, "ivt", peak_start=50)
    assert _message(e).startswith("`peak_start`: an option of the nh detector, not of ivt")


def test_detect_refuses_a_negative_min_duration_as_classify_does():
    t, px, py = _still_saccade_drift()
    with pytest.raises(UserError) as e:
        D.detect(t, px, py, GEOM, "ivt", min_duration_ms=-1)
    assert _message(e).startswith("`min_duration_ms` -1")


def test_detect_with_what_ingest_passes_keeps_the_fixations():
    # ingest: offscreen per sample, max_gap_ms/merge_ms/merge_deg/window_ms None. By hand (5-point speed, 500 Hz):
    # the first and last two samples have none; sample 100 reaches (x[102] + x[101]) * 500 / 6 = 29 deg/s and
    # 118 reaches 30 deg/s (over 20: saccade), 99 and 119 stay near 8 and 11 deg/s; the drift is 5 deg/s
    t, px, py = _still_saccade_drift()
    opts = dict(offscreen=np.zeros(len(t), dtype=bool), max_gap_ms=None, merge_ms=None, merge_deg=None,
                window_ms=None)
    assert D.detect(t, px, py, GEOM, "ivt", None, None, **opts) == [(2, 99), (119, 267)]


# ---------------------------------------------------------------- 2. messages name the API's parameters

@pytest.mark.parametrize("method, unit", [("ivt", "deg/s"), ("idt", "deg"), ("tobii-ivt", "deg/s")])
def test_threshold_refusal_names_threshold(method, unit):
    t, px, py = _still_saccade_drift()
    with pytest.raises(UserError) as e:
        D.classify(t, px, py, GEOM, method, threshold=-5)
    assert _message(e) == f"`threshold` -5: must be positive ({unit})"
    assert "threshold" in inspect.signature(D.classify).parameters


@pytest.mark.parametrize("fn, unit", [(D.ivt, "deg/s"), (D.idt, "deg")])
def test_detector_function_refusal_names_threshold(fn, unit):
    t = np.arange(10) * DT
    with pytest.raises(UserError) as e:
        fn(t, np.zeros(10), np.zeros(10), threshold=-1)
    assert _message(e) == f"`threshold` -1: must be positive ({unit})"
    assert "threshold" in inspect.signature(fn).parameters


def test_classify_unknown_option_is_not_called_an_nh_option():
    t, px, py = _still_saccade_drift()
    with pytest.raises(UserError) as e:
        D.classify(t, px, py, GEOM, "ivt", foo=1)
    msg = _message(e)
    assert msg.startswith("unknown option `foo`; choose from ") and "nh" not in msg.split("(")[0], msg
    for k in ("threshold", "min_duration_ms", "max_gap_ms", "merge_ms", "merge_deg", "pursuit"):
        assert f"`{k}`" in msg, (k, msg)
    assert "`window_ms`" not in msg  # I-VT has no window: not offered


def test_classify_nh_typo_is_a_user_error_not_a_type_error():
    t, px, py = _still_saccade_drift()
    with pytest.raises(UserError) as e:
        D.classify(t, px, py, GEOM, "nh", min_fixation=40)
    msg = _message(e)
    assert msg.startswith("unknown option `min_fixation`; choose from ") and "`min_duration_ms`" in msg, msg
    # every keyword option of nh() that classify passes on is offered, and accepted
    own = set(inspect.signature(D.nh).parameters) - {"t", "xdeg", "ydeg", "window_ms", "min_fixation_ms"}
    assert own and all(f"`{k}`" in msg for k in own), msg
    c = D.classify(t, px, py, GEOM, "nh", peak_start=100.0, min_saccade_ms=10.0)
    assert len(c.fixations) == 2


# ---------------------------------------------------------------- 3. geometry

@pytest.mark.parametrize("geometry", [None, ((1920, 1080), (53.1, 29.9), 65.0),
                                      {"screen_px": [1920, 1080], "screen_cm": [53.1, 29.9], "distance_cm": 65}])
@pytest.mark.parametrize("fn", [D.classify, D.detect])
def test_geometry_not_a_screen_geometry_is_refused_by_name(fn, geometry):
    t, px, py = _still_saccade_drift()
    with pytest.raises(UserError) as e:
        fn(t, px, py, geometry)
    msg = _message(e)
    assert msg.startswith(f"`geometry` is a {type(geometry).__name__}, not a ScreenGeometry; give "), msg

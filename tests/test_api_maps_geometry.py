"""The Python API of the maps and the screen geometry, called as a researcher does in a notebook.

Bad inputs are refused with a UserError naming the parameter (in backticks: `rows`, `x`, `sigma_px`,
`screen_px`), never moved, wrapped or crashed on. The accepted inputs are checked against
``scipy.ndimage.gaussian_filter`` of the fixation map built by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from saliency.base.errors import UserError
from saliency.data_tools.geometry import ScreenGeometry
from saliency.data_tools.maps import MapPolicy, blur_points, saliency_map

H, W = 40, 50


def _raises(name: str, fn, *args, **kw) -> str:
    """Call ``fn``; it must raise a UserError whose message names `name` (in backticks)."""
    with pytest.raises(UserError) as e:
        fn(*args, **kw)
    msg = e.value.args[0]
    assert f"`{name}`" in msg, msg
    assert "--" not in msg and "\n" not in msg, msg
    return msg


# ---------------------------------------------------------------- blur_points: points off the map


@pytest.mark.parametrize("rows, cols, name, bad", [
    ([0], [W + 2], "cols", W + 2),  # was wrapped to the next row: peak at (1, 2)
    ([5], [-1], "cols", -1),  # was wrapped to the previous row's last column: peak at (4, 49)
    ([-1], [5], "rows", -1),  # was wrapped to the last row: peak at (39, 5)
    ([H], [5], "rows", H),  # was a bare IndexError
    ([3, 7], [4, W], "cols", W),
])
def test_blur_points_refuses_points_off_the_map(rows, cols, name, bad):
    msg = _raises(name, blur_points, (H, W), rows, cols, np.ones(len(rows)), 2.0)
    assert str(bad) in msg, msg


@pytest.mark.parametrize("rows, cols, name", [
    ([2.5], [3], "rows"),  # was truncated to row 2
    ([2], [np.nan], "cols"),
    ([2], [np.inf], "cols"),
    (["a"], [3], "rows"),
])
def test_blur_points_refuses_indices_that_are_not_whole_numbers(rows, cols, name):
    _raises(name, blur_points, (H, W), rows, cols, [1.0], 2.0)


def test_blur_points_refuses_mismatched_or_non_finite_weights():
    _raises("weights", blur_points, (H, W), [1, 2], [1, 2], [1.0], 2.0)  # was numpy's "weights and list" message
    _raises("weights", blur_points, (H, W), [1, 2], [1, 2], [1.0, np.nan], 2.0)  # was a map of NaN
    _raises("cols", blur_points, (H, W), [1, 2], [1], [1.0, 1.0], 2.0)


def test_blur_points_on_the_edges_is_gaussian_filter_of_the_hand_built_map():
    rows, cols, w = [0, 0, H - 1, 20, 20], [0, W - 1, W - 1, 10, 10], [1.0, 2.0, 1.0, 0.5, 0.25]
    F = np.zeros((H, W))
    for r, c, v in zip(rows, cols, w):
        F[r, c] += v
    for border in ("constant", "reflect", "nearest"):
        ours = blur_points((H, W), rows, cols, w, (3.0, 2.0), border)
        assert np.abs(ours - gaussian_filter(F, (2.0, 3.0), mode=border)).max() < 1e-12
    # whole-valued float indices are the same pixels
    ours = blur_points((H, W), np.array(rows, float), np.array(cols, float), w, 2.0)
    assert np.abs(ours - gaussian_filter(F, 2.0, mode="constant")).max() < 1e-12


# ---------------------------------------------------------------- MapPolicy and saliency_map


def test_a_scalar_sigma_px_is_both_axes():
    p = MapPolicy(sigma_px=8.0)  # was TypeError: 'float' object is not iterable
    assert p.sigma_px == (8.0, 8.0)
    F = np.zeros((120, 160))
    F[40, 60] = 1.0
    ref = gaussian_filter(F, 8.0)
    ref = (ref - ref.min()) / (ref.max() - ref.min())
    m = saliency_map((160, 120), [60.0], [40.0], ["s"], [1.0], p)
    assert np.abs(m - ref).max() < 1e-12


@pytest.mark.parametrize("sigma", ["8", (8.0,), (8.0, 8.0, 8.0), (np.inf, 8.0), None, (0.0, 2.0), (np.nan, 1.0)])
def test_a_bad_sigma_px_is_refused_naming_it(sigma):
    _raises("sigma_px", MapPolicy, sigma)


P = MapPolicy((8.0, 8.0))


@pytest.mark.parametrize("x, y, subjects, durations, name", [
    ([np.nan, 60.0], [40.0, 40.0], ["s", "s"], [1.0, 1.0], "x"),  # was IndexError with a huge index
    ([60.0, 60.0], [40.0, np.inf], ["s", "s"], [1.0, 1.0], "y"),
    ([60.0, 70.0], [40.0], ["s", "s"], [1.0, 1.0], "y"),
    ([60.0, 70.0], [40.0, 50.0], ["s"], [1.0, 1.0], "subjects"),
    ([60.0, 70.0], [40.0, 50.0], ["s", "t"], [1.0, 1.0, 1.0], "durations"),
    (["left", 70.0], [40.0, 50.0], ["s", "t"], [1.0, 1.0], "x"),
])
def test_saliency_map_refuses_bad_fixations_naming_the_parameter(x, y, subjects, durations, name):
    _raises(name, saliency_map, (160, 120), x, y, subjects, durations, P)


def test_per_subject_weights_of_a_subject_without_duration_are_refused():
    # subject a's fixations last 0 ms in all: its weights were 0 / 0, and the map NaN
    p = MapPolicy((3.0, 3.0), weight="duration", per_subject=True)
    _raises("per_subject", saliency_map, (20, 10), [2.0, 5.0, 8.0], [3.0, 4.0, 5.0], ["a", "a", "b"],
            [0.0, 0.0, 100.0], p)


# ---------------------------------------------------------------- ScreenGeometry


@pytest.mark.parametrize("args, name", [
    (((1920.5, 1080),), "screen_px"),  # was accepted (from_dict refuses it)
    ((["1920", "1080"],), "screen_px"),  # was TypeError
    (((True, 1080),), "screen_px"),
    (((1920, 1080, 3),), "screen_px"),
    (((1920, 1080), (53.1, "29.9"), 65.0), "screen_cm"),
    (((1920, 1080), (53.1, 29.9), "65"), "distance_cm"),  # was a bare TypeError
    (((1920, 1080), (53.1, 29.9), 10 ** 400), "distance_cm"),  # was OverflowError
    (((1920, 1080), (53.1, 29.9), float("nan")), "distance_cm"),
])
def test_screen_geometry_refuses_what_from_dict_refuses(args, name):
    _raises(name, ScreenGeometry, *args)
    d = dict(zip(("screen_px", "screen_cm", "distance_cm"), [list(a) if isinstance(a, tuple) else a for a in args]))
    d.setdefault("screen_cm", None)
    d.setdefault("distance_cm", None)
    with pytest.raises(UserError):  # the same geometry read from a file
        ScreenGeometry.from_dict(d)


def test_screen_geometry_keeps_whole_pixel_counts_as_ints():
    g = ScreenGeometry((np.int64(1920), 1080.0), (53.1, 29.9), 65)
    assert g.screen_px == (1920, 1080) and all(type(v) is int for v in g.screen_px)
    assert g == ScreenGeometry.from_dict({"screen_px": [1920, 1080], "screen_cm": [53.1, 29.9], "distance_cm": 65})
    assert g.to_dict()["screen_px"] == [1920, 1080]


# ---------------------------------------------------------------- review RRb: numbers as notebooks hand them over


def test_blur_points_takes_whole_numbers_in_an_object_array():
    # np.array([...], dtype=object) and a pandas object column's .to_numpy() worked before d92f1b1, then were
    # refused as "got object values": still gaussian_filter of the hand-built map
    rows, cols, w = [0, 20, H - 1], [W - 1, 10, 0], [1.0, 2.0, 0.5]
    F = np.zeros((H, W))
    for r, c, v in zip(rows, cols, w):
        F[r, c] += v
    ours = blur_points((H, W), np.array(rows, dtype=object), np.array(cols, dtype=object), w, 2.0)
    assert np.abs(ours - gaussian_filter(F, 2.0, mode="constant")).max() < 1e-12


@pytest.mark.parametrize("rows, bad", [
    ([1, "a"], "not numbers"),
    ([1, None], "nan"),
    ([1, 10 ** 400], "not numbers"),
    ([1, 2.5], "2.5"),
    ([1, H], str(H)),
    ([-1, 2], "-1"),
])
def test_blur_points_checks_an_object_array_as_numbers(rows, bad):
    msg = _raises("rows", blur_points, (H, W), np.array(rows, dtype=object), [1, 2], [1.0, 1.0], 2.0)
    assert bad in msg and "object" not in msg, msg


def _ppd(res_px, size_cm, dist):
    return res_px / size_cm * dist * np.tan(np.radians(1.0))


def test_screen_geometry_takes_zero_d_arrays_and_numpy_scalars():
    # np.squeeze of a 1x1 MATLAB value is a 0-d array: refused by d92f1b1 with "need a finite positive number"
    ref = (_ppd(1024, 38.0, 67.0), _ppd(768, 30.0, 67.0))
    for px, cm, dist in [((1024, 768), (38.0, 30.0), np.squeeze(np.array([[67.0]]))),
                         ((np.array(1024), np.array(768)), (np.array(38.0), np.array(30.0)), np.array(67)),
                         ((np.uint16(1024), np.int32(768)), (np.float32(38.0), np.float64(30.0)), np.float32(67.0))]:
        g = ScreenGeometry(px, cm, dist)
        assert g.screen_px == (1024, 768) and all(type(v) is int for v in g.screen_px)
        assert np.allclose(g.ppd_xy, ref, rtol=1e-6, atol=0)


@pytest.mark.parametrize("args, name", [
    (((1024, 768), (38.0, 30.0), np.array(-67.0)), "distance_cm"),
    (((1024, 768), (38.0, 30.0), np.array(True)), "distance_cm"),
    (((1024, 768), (38.0, 30.0), np.array("67")), "distance_cm"),
    (((np.array(1024.5), np.array(768)),), "screen_px"),
    (((1024, 768), (np.array(np.nan), 30.0), 67.0), "screen_cm"),
])
def test_screen_geometry_still_refuses_bad_zero_d_arrays(args, name):
    _raises(name, ScreenGeometry, *args)


# ---------------------------------------------------------------- review RRe: such numbers written to dataset.json


@pytest.mark.parametrize("kind", ["zero_d", "float32"])
def test_ingest_with_zero_d_array_or_float32_geometry_writes_plain_numbers(tmp_path, kind):
    # a531b07 accepted them but kept screen_cm and distance_cm as given: ingest worked through every trial, then
    # json.dumps of dataset.json raised "Object of type ndarray (float32) is not JSON serializable"
    import json

    from ingest_fakes import grey_stimuli
    from saliency.data_tools.ingest import IngestOptions, ingest

    num = (lambda v: np.squeeze(np.array([[v]]))) if kind == "zero_d" else np.float32
    g = ScreenGeometry((num(1024), num(768)), (num(38.5), num(30.25)), num(67.5))  # exact in float32 too
    assert all(type(v) is float for v in (*g.screen_cm, g.distance_cm))
    assert json.loads(json.dumps(g.to_dict()))["screen_cm"] == [38.5, 30.25]
    stim = grey_stimuli(tmp_path, size=(1024, 768))
    log = tmp_path / "fixlist.csv"
    log.write_text("subject,stimulus,x,y,duration\ns1,img1.png,100,200,250\ns1,img1.png,500,400,300\n"
                   "s2,img1.png,900,700,200\n")
    ingest([log], stim, tmp_path / "ds", IngestOptions(geometry=g))
    got = json.loads((tmp_path / "ds" / "dataset.json").read_text())["geometry"]
    assert (got["screen_px"], got["screen_cm"], got["distance_cm"]) == ([1024, 768], [38.5, 30.25], 67.5)
    t = np.tan(np.radians(1.0))  # MIT computeDegVisAngle, by hand: mean of 1024/38.5*67.5*t and 768/30.25*67.5*t
    assert got["ppd"] == pytest.approx(0.5 * (1024 / 38.5 + 768 / 30.25) * 67.5 * t, abs=1e-4)

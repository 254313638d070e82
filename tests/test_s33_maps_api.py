"""The Python API of the map builder refuses what ``saliency ingest`` sets aside, instead of a wrong map.

- fixations off the map (``saliency ingest``'s ``off_stimulus`` test: ``-0.5 <= x < w - 0.5``) are refused by
  ``density``, ``saliency_map`` and ``quantized_map``, not moved onto the edge (a false peak there); points on
  the edge's half pixel are kept, on the pixel scipy's hand-built map puts them;
- ``weight`` duration refuses durations of 0 ms or less (a negative weight cut a hole in the map);
- ``size`` is checked as (width, height), two positive whole numbers; ``(160.0, 120.0)`` is taken as ``(160, 120)``.

Every kept map is checked against ``scipy.ndimage.gaussian_filter`` of a map built here by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from cli_fakes import run_cli
from saliency.base.errors import UserError
from saliency.data_tools.maps import MapPolicy, density, fixation_weights, quantized_map, saliency_map

P = MapPolicy(sigma_px=8.0)
PD = MapPolicy(sigma_px=8.0, weight="duration")


def _oracle(h, w, pixels, sigma, weights=None):
    """gaussian_filter of an ``h x w`` map holding ``weights`` (default 1) at ``pixels`` ((row, col) pairs)."""
    F = np.zeros((h, w))
    for k, (r, c) in enumerate(pixels):
        F[r, c] += 1.0 if weights is None else weights[k]
    return gaussian_filter(F, sigma, mode="constant", truncate=4.0)


def _minmax(m):
    return (m - m.min()) / (m.max() - m.min())


# ---------------------------------------------------------------- fixations off the map

@pytest.mark.parametrize("xs, ys, name, count, first", [
    ([80.0, 1000.0], [60.0, 60.0], "x", 1, "fixation 2, at x 1000, y 60"),  # was the map of x = 159: a false peak
    ([-500.0], [-500.0], "x", 1, "fixation 1, at x -500, y -500"),  # was a peak at the corner
    ([10.0, 159.5, 170.0], [5.0, 5.0, 5.0], "x", 2, "fixation 2, at x 159.5, y 5"),  # x = w - 0.5 is off
    ([10.0, np.nextafter(-0.5, -1)], [5.0, 5.0], "x", 1, "fixation 2"),  # just left of the first pixel
    ([10.0, 20.0], [5.0, 119.5], "y", 1, "fixation 2, at x 20, y 119.5"),  # y = h - 0.5 is off
    ([10.0, 20.0], [-0.75, 5.0], "y", 1, "fixation 1, at x 10, y -0.75"),
])
@pytest.mark.parametrize("fn", [saliency_map, quantized_map, density])  # density moved them onto the edge
def test_fixations_off_the_map_are_refused_naming_the_coordinate(fn, xs, ys, name, count, first):
    with pytest.raises(UserError) as e:
        fn((160, 120), xs, ys, ["s1"] * len(xs), None, P)
    raw = e.value.args[0]
    assert raw.startswith(f"`{name}`: {count} of the {len(xs)} fixations lie off the 160x120 map"), raw
    assert first in raw and "drop them first" in raw and "off_stimulus" in raw, raw
    assert "\n" not in raw


def test_points_on_the_edge_half_pixels_are_kept_on_the_edge_pixels():
    w, h = 160, 120
    below_w, below_h = np.nextafter(w - 0.5, 0), np.nextafter(h - 0.5, 0)  # ingest keeps them: x < w - 0.5
    xs = [-0.5, below_w, 80.0, -0.5, 159.0]
    ys = [-0.5, below_h, 60.0, 30.4, 0.49]
    want = _oracle(h, w, [(0, 0), (h - 1, w - 1), (60, 80), (30, 0), (0, 159)], 8.0)
    got = density((w, h), xs, ys, ["s"] * 5, None, P)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(saliency_map((w, h), xs, ys, ["s"] * 5, None, P), _minmax(want), rtol=0, atol=1e-12)


# ---------------------------------------------------------------- durations under weight duration

@pytest.mark.parametrize("durs, count, first", [
    ([200.0, -100.0, 300.0], 1, "fixation 2, subject 'b', -100 ms"),  # cut a hole in the map
    ([0.0, 250.0, -1.0], 2, "fixation 1, subject 'a', 0 ms"),  # a zero weight dropped the fixation, unsaid
])
def test_durations_of_zero_or_less_are_refused(durs, count, first):
    for call in (lambda: saliency_map((160, 120), [20.0, 80.0, 140.0], [60.0] * 3, ["a", "b", "c"], durs, PD),
                 lambda: fixation_weights(["a", "b", "c"], durs, PD)):
        with pytest.raises(UserError) as e:
            call()
        raw = e.value.args[0]
        assert raw.startswith(f"`durations`: {count} of the 3 fixations last 0 ms or less"), raw
        assert first in raw and "drop them first" in raw and "bad_duration" in raw, raw


def test_per_subject_names_a_negative_duration_of_a_subject_whose_total_is_positive():
    pol = MapPolicy(sigma_px=8.0, weight="duration", per_subject=True)
    with pytest.raises(UserError) as e:  # subject a: 300 - 100 = 200 ms in all, shared out as 1.5 and -0.5
        saliency_map((160, 120), [20.0, 80.0, 140.0], [60.0] * 3, ["a", "a", "b"], [300.0, -100.0, 50.0], pol)
    raw = e.value.args[0]
    assert raw.startswith("`durations`: 1 of the 3 fixations last 0 ms or less"), raw
    assert "fixation 2, subject 'a', -100 ms" in raw, raw


def test_positive_durations_weight_the_map():
    durs = [200.0, 50.0, 300.0]
    got = density((160, 120), [20.0, 80.0, 140.0], [60.0] * 3, ["a", "b", "c"], durs, PD)
    want = _oracle(120, 160, [(60, 20), (60, 80), (60, 140)], 8.0, durs)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    # without weight duration the durations are not read: a zero one is no weight, so not refused
    assert saliency_map((160, 120), [20.0], [60.0], ["a"], [0.0], P).max() == 1.0


# ---------------------------------------------------------------- size

@pytest.mark.parametrize("size", [(160, 120, 3), (160.5, 120), (0, 120), (160, -1), "ab", None, (160,),
                                  (True, True), (float("nan"), 120), (160, float("inf"))])
def test_bad_size_is_refused_naming_it(size):
    with pytest.raises(UserError) as e:
        saliency_map(size, [5.0], [5.0], ["s"], None, P)
    raw = e.value.args[0]
    assert raw.startswith("`size` ") and "(width, height)" in raw and "positive whole numbers" in raw, raw


def test_integral_float_and_numpy_sizes_are_the_integer_size():
    want = _minmax(_oracle(120, 160, [(60, 30)], 8.0))
    for size in [(160.0, 120.0), np.array([160, 120]), (np.int32(160), np.float64(120.0))]:
        got = saliency_map(size, [30.0], [60.0], ["s"], None, P)
        assert got.shape == (120, 160)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    q = quantized_map((160.0, 120.0), [30.0], [60.0], ["s"], None, P)
    assert q.shape == (120, 160) and q.dtype == np.uint8
    np.testing.assert_array_equal(q, np.rint(want * 255).astype(np.uint8))


# ---------------------------------------------------------------- the command sets them aside, as before

def test_ingest_sets_off_map_and_zero_duration_fixations_aside_and_maps_the_rest(tmp_path, capsys):
    import cv2

    stim = tmp_path / "stim"
    stim.mkdir()
    cv2.imwrite(str(stim / "img.png"), np.full((30, 40), 128, np.uint8))
    log = tmp_path / "fix.csv"
    log.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                   "s1,img,-0.5,-0.5,0,200\n"  # the half pixel left of / above pixel (0, 0): kept
                   "s1,img,39.4,29.4,300,100\n"  # pixel (29, 39)
                   "s2,img,39.5,10,0,300\n"  # x = w - 0.5: off_stimulus
                   "s2,img,20,15,400,0\n"  # bad_duration
                   "s2,img,20,15.5,800,150\n")  # pixel (16, 20)
    argv = ["ingest", log, "--stimuli", stim, "--sigma-px", "3", "--weight", "duration", "--map-format", "npy",
            "--detector", "tracker", "--quiet", "--out", tmp_path / "d"]
    rc, out, err = run_cli(capsys, argv)
    assert rc == 0, err
    q = (tmp_path / "d" / "quarantine.csv").read_text()
    assert "off_stimulus" in q and "bad_duration" in q, q
    got = np.load(tmp_path / "d" / "maps" / "img.npy")
    want = _minmax(_oracle(30, 40, [(0, 0), (29, 39), (16, 20)], 3.0, [200.0, 100.0, 150.0]))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)

"""Screen geometry: ppd formula, placements, screen <-> stimulus round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saliency.data_tools.geometry import ScreenGeometry
from saliency.base.errors import UserError

G = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)


def test_ppd_formula():
    # MIT computeDegVisAngle: res / size * d * tan(1 deg), per axis; mean of the two
    px = 1920 / 53.1 * 65.0 * math.tan(math.radians(1))
    py = 1080 / 29.9 * 65.0 * math.tan(math.radians(1))
    assert G.ppd_xy == pytest.approx((px, py))
    assert G.ppd == pytest.approx((px + py) / 2)


def test_fit_placement_of_the_synthetic_study():
    pl = G.placement(640, 480)
    assert pl.scale == (2.25, 2.25) and pl.offset == (240.0, 0.0)
    assert pl.rect == (240.0, 0.0, 1440.0, 1080.0)
    # the stimulus' outer pixel edges land on the rectangle's edges
    assert pl.stimulus_to_screen(-0.5, -0.5) == (239.5, -0.5)
    xs, ys = pl.screen_to_stimulus(959.5, 539.5)  # screen centre -> stimulus centre
    assert (float(xs), float(ys)) == (319.5, 239.5)


def test_native_and_stretch():
    pl = G.placement(800, 600, "native")
    assert pl.scale == (1.0, 1.0) and pl.offset == (560.0, 240.0)
    pl = G.placement(800, 600, "stretch")
    assert pl.scale == (2.4, 1.8) and pl.offset == (0.0, 0.0)


def test_degrees_match_pymovements():
    pmn = pytest.importorskip("pymovements.transforms.numpy", reason="pymovements is the oracle")
    pts = np.array([[0.0, 0.0], [959.5, 539.5], [1919.0, 1079.0], [100.0, 800.0]])
    ref = pmn.pix2deg(pts, (1920, 1080), (53.1, 29.9), 65.0, "upper left")
    xd, yd = G.pixels_to_degrees(pts[:, 0], pts[:, 1])
    np.testing.assert_allclose(np.stack([xd, yd], 1), ref, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(W=st.integers(200, 4000), H=st.integers(200, 3000), w=st.integers(16, 3000), h=st.integers(16, 3000),
       mode=st.sampled_from(["fit", "native", "stretch"]), fx=st.floats(-0.5, 1.5), fy=st.floats(-0.5, 1.5))
def test_round_trip(W, H, w, h, mode, fx, fy):
    g = ScreenGeometry((W, H), (W / 40, H / 40), 60.0, mode)  # square 0.25 mm pixels: a real screen's
    pl = g.placement(w, h)
    x, y = fx * W, fy * H
    sx, sy = pl.screen_to_stimulus(x, y)
    bx, by = pl.stimulus_to_screen(sx, sy)
    assert bx == pytest.approx(x, abs=1e-9 * max(W, 1)) and by == pytest.approx(y, abs=1e-9 * max(H, 1))
    # the stimulus rectangle maps onto the stimulus' pixel area exactly
    left, top, rw, rh = pl.rect
    assert pl.inside_stimulus(*pl.screen_to_stimulus(left + rw / 2, top + rh / 2))
    if mode == "fit":
        assert rw <= W + 1e-9 and rh <= H + 1e-9 and (abs(rw - W) < 1e-9 or abs(rh - H) < 1e-9)


def test_bad_geometry():
    with pytest.raises(UserError):
        ScreenGeometry((1920, 0), (50, 30), 60)
    with pytest.raises(UserError):
        ScreenGeometry((1920, 1080), (50, 30), -1)
    with pytest.raises(UserError):
        ScreenGeometry((1920, 1080), (50, 30), 60, "zoom")
    with pytest.raises(UserError):
        ScreenGeometry.from_dict({"screen_px": [1920, 1080]})
    d = G.to_dict()
    assert ScreenGeometry.from_dict(d) == G

"""The ingest centre bias puts a fixation on the pixel its map puts it on (review 27, map building).

Oracle: :func:`data_tools.maps.pixel_index` (pixel centres at integers, ties at x.5 rounding up, as every
fixation map and eval's fixation points use it) and, for a canvas of another size, the hand-worked scaling
about pixel edges ((x + 0.5) * canvas / width - 0.5).
"""
import numpy as np
import pytest

from saliency.data_tools.maps import pixel_index
from saliency.data_tools.qc import center_bias


def _peak(cb: np.ndarray) -> tuple[int, int]:
    r, c = np.unravel_index(int(np.argmax(cb)), cb.shape)
    return int(r), int(c)


@pytest.mark.parametrize("x", [28.5, 56.5, 112.5, 200.5, 401.5])
def test_a_half_pixel_fixation_lands_where_its_map_puts_it(x):
    # 800 px wide: (x + 0.5) / 800 * 800 is 28.999... for x = 28.5, which floor(. + 0.5) put one pixel left
    cb = center_bias([[800, 600]], [x], [300.0], (800, 600), sigma_px=1.0)
    row, col = pixel_index(np.array([x]), np.array([300.0]), (800, 600))
    assert _peak(cb) == (int(row[0]), int(col[0])) == (300, int(x + 0.5))


def test_every_half_pixel_column_of_an_800_px_stimulus():
    xs = np.arange(800) + 0.5
    for x in xs[::7]:
        cb = center_bias([[800, 10]], [x], [4.0], (800, 10), sigma_px=0.5)
        assert _peak(cb)[1] == min(int(x + 0.5), 799)


def test_another_canvas_scales_about_pixel_edges():
    # 400 px stimulus on an 800 px canvas: pixel 10 (edges 10..11 of 0..400) covers canvas 20..22, centre 20.5 ->
    # (10 + 0.5) * 2 - 0.5 = 20.5, a tie that rounds up to column 21
    cb = center_bias([[400, 300]], [10.0], [150.0], (800, 600), sigma_px=0.5)
    assert _peak(cb) == (301, 21)

"""Issue 16, bounded resources in ``saliency predict``: the full-size output map made in place.

``full_size_u8`` must give exactly the bytes of the plain formula
``to_u8(np.clip(upsample(m, hw), 0, 1))`` (the oracle, written out with OpenCV
and numpy here), while holding one float32 copy of the image's size.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from saliency.predict import full_size_u8


@pytest.mark.parametrize("hw", [(48, 64), (481, 777), (1000, 17), (48, 64 * 3)])
def test_full_size_u8_equals_the_plain_formula(hw):
    rng = np.random.default_rng(sum(hw))
    m = (rng.random((48, 64)) * 1.4 - 0.2).astype(np.float32)  # values outside [0, 1] are clipped
    up = m if m.shape == hw else cv2.resize(m, (hw[1], hw[0]), interpolation=cv2.INTER_LINEAR)
    oracle = np.clip(np.rint(np.clip(up, 0.0, 1.0) * 255.0), 0, 255).astype(np.uint8)
    got = full_size_u8(m, hw)
    assert got.dtype == np.uint8 and got.shape == hw
    assert np.array_equal(got, oracle)
    if m.shape == hw:
        assert m.min() < 0  # the input is not modified in place

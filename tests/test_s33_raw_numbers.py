"""``classify``/``detect`` refuse text and bools for their post-processing numbers (review RR11).

``min_duration_ms``, ``max_gap_ms``, ``merge_ms`` and ``merge_deg`` went through ``float()`` before any check:
``"100"`` was read as 100 ms and ``True`` as 1 ms, unsaid, while ``threshold`` and ``window_ms`` were already
refused by name (``detection.is_number``). Oracle: the refusal names the option; a number gives the same
fixations as before (a hand-built still-saccade-still trace).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.data_tools import detection as D
from saliency.data_tools.geometry import ScreenGeometry

G = ScreenGeometry((1024, 768), (38.0, 30.0), 67.0)
T = np.arange(0, 2000, 2.0)  # 500 Hz, 2 s
X = np.where(T < 1000, 300.0, np.where(T < 1040, 300.0 + (T - 1000) * 10, 700.0))
Y = np.full_like(T, 384.0)


@pytest.mark.parametrize("name", ["min_duration_ms", "max_gap_ms", "merge_ms", "merge_deg"])
@pytest.mark.parametrize("value", [True, "100", [100.0]])
def test_text_and_bool_refused_by_name(name, value):
    kw = {name: value}
    if name == "merge_ms":
        kw["merge_deg"] = 0.5
    if name == "merge_deg":
        kw["merge_ms"] = 75.0
    with pytest.raises(UserError, match=rf"^`?{name}`? {re.escape(repr(value))}: must be a number"):
        D.classify(T, X, Y, G, "ivt", **kw)
    if name == "min_duration_ms":  # detect's I-VT shortcut takes min_duration_ms alone
        with pytest.raises(UserError, match=rf"^`?{name}`? {re.escape(repr(value))}: must be a number"):
            D.detect(T, X, Y, G, "ivt", **kw)


def test_numbers_still_detect_the_two_fixations():
    fix = D.detect(T, X, Y, G, "ivt", min_duration_ms=np.float32(100))
    assert len(fix) == 2 and fix[0][1] < 500 <= 520 <= fix[1][0], fix  # still until sample 500, moving to 520
    assert D.classify(T, X, Y, G, "ivt", min_duration_ms=100).fixations == fix

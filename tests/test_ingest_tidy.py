"""Tidy-ups of ingest (data_tools/ingest.py, data_tools/stimuli.py, data_tools/readers/).

1. ``StimulusIndex.resolve(..., record=False)`` resolves a name as a kept row's name resolves, but records nothing:
   ingest's quarantined rows use it instead of copying and restoring the index's own tables. Hand-worked: a folder
   of ``beach.png`` and ``1.png``; the message text ``Trial 3 beach.jpg`` finds ``beach`` by its last word and
   ``1.0`` finds ``1``, each recorded only with ``record=True``; ``A/1.png`` resolved without recording binds no
   folder, so ``B/1.png`` is then accepted, while after ``A/1.png`` recorded it is refused (different folders).
"""

from __future__ import annotations

import numpy as np
import pytest

from saliency.base.errors import UserError


def _folder(tmp_path, names=("beach", "1")):
    import cv2

    d = tmp_path / "stim"
    d.mkdir()
    for nm in names:
        cv2.imwrite(str(d / f"{nm}.png"), np.full((8, 8), 128, np.uint8))
    return d


# ------------------------------------------------------------------ 1. resolve without recording

def test_resolve_without_recording_leaves_the_index_as_it_was(tmp_path):
    from saliency.data_tools.stimuli import StimulusIndex

    index = StimulusIndex(_folder(tmp_path))
    assert index.resolve("Trial 3 beach.jpg", last_word=True, record=False) == "beach"
    assert index.resolve("1.0", record=False) == "1"
    assert index.resolve("A/1.png", record=False) == "1"
    assert (index.by_last_word, index.by_whole_number) == ({}, {})
    assert index.resolve("B/1.png") == "1"  # nothing bound A's folder: B's is the first recorded
    with pytest.raises(UserError, match="in different folders"):  # compared against what was recorded
        index.resolve("A/1.png", record=False)
    # recorded as before when asked to (the default)
    assert index.resolve("Trial 3 beach.jpg", last_word=True) == "beach"
    assert index.resolve("1.0") == "1"
    assert (index.by_last_word, index.by_whole_number) == ({"Trial 3 beach.jpg": "beach"}, {"1.0": "1"})

"""Mends of the read-through of this session's change (review 31).

1. crop's temporary images for ``--checkpoint`` with case twins were hard links of the link itself where an input
   is a relative symbolic link (os.link on Linux links the link): a link that dangles in the temporary folder, so
   predict skipped the image. One ``fsutil.link_or_copy`` (ingest's, which follows the link) serves both.
2. ``keep`` of saliency_crop/thirds_crop took ``True`` as 1.0 (the other numbers of the module refuse booleans).
Oracles: the file's bytes read back; the refusal line written out.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from saliency.base.errors import UserError


def test_link_or_copy_follows_a_relative_symbolic_link(tmp_path):
    from saliency.base.fsutil import link_or_copy

    (tmp_path / "photos").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "tmp").mkdir()
    (tmp_path / "photos" / "a.png").write_bytes(b"the image")
    os.symlink("../photos/a.png", tmp_path / "images" / "Img.png")
    dst = tmp_path / "tmp" / "000000.png"
    link_or_copy(tmp_path / "images" / "Img.png", dst)
    assert not dst.is_symlink() and dst.read_bytes() == b"the image"


@pytest.mark.parametrize("crop", ["saliency_crop", "thirds_crop"])
def test_keep_true_is_refused_as_the_other_numbers_are(crop):
    import saliency.crop as C

    with pytest.raises(UserError) as e:
        getattr(C, crop)(np.ones((8, 8)), 1.0, keep=True)
    assert str(e.value).startswith("keep True: must be a fraction in (0, 1] of the saliency to keep"), str(e.value)

"""The report's per-image NSS names the images it leaves out for want of a fixated pixel (review 27, left alone).

Oracle: hand-worked. Three images: two with fixations, one whose fixation map is all zero (NSS undefined there,
and eval leaves it out of NSS); the per-image values are the MIT NSS of a hand-made map (z-score with ddof=1,
mean at the fixated pixels) and the empty one was skipped without a word.
"""
import cv2
import numpy as np

from saliency.report import per_image_nss


def test_an_empty_fixation_map_is_named_in_the_notes(tmp_path):
    ds, pred = tmp_path / "ds", tmp_path / "pred"
    (ds / "fixations").mkdir(parents=True)
    pred.mkdir()
    rng = np.random.default_rng(0)
    maps = {}
    for name, pts in (("a", [(3, 4)]), ("b", [(5, 6), (1, 1)]), ("c", [])):
        fix = np.zeros((12, 16), np.uint8)
        for r, c in pts:
            fix[r, c] = 255
        assert cv2.imwrite(str(ds / "fixations" / f"{name}.png"), fix)
        maps[name] = (rng.random((12, 16)) * 255).astype(np.uint8)
        assert cv2.imwrite(str(pred / f"{name}.png"), maps[name])
    notes = []
    got = per_image_nss(pred, ds, notes)
    for name, pts in (("a", [(3, 4)]), ("b", [(5, 6), (1, 1)])):
        s = maps[name].astype(np.float64)
        z = (s - s.mean()) / s.std(ddof=1)
        assert abs(got[name] - np.mean([z[p] for p in pts])) < 1e-9  # float64 sums of 192 values
    assert "c" not in got
    assert notes == [f"{ds / 'fixations'}: 1 image without a fixated pixel left out of the per-image NSS (e.g. c), "
                     "as saliency eval leaves it out"]

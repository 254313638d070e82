"""Review 22 of the training data pipeline (saliency/datasets.py, saliency/transforms.py).

- a SALICON folder (images + fixations JSON) without map files: training built its target with sigma = W/30
  and cv2's reflect-101 border, max-scaled, while ``saliency eval`` builds the SALICON API's map (points
  merged, ``gaussian_filter`` sigma 19, reflect border, min-max); training now builds the API's map too;
- a random crop dropped the fixation points of its first (left / top) pixel column / row and kept those past
  its last one (albumentations keeps x in [0, W) after the half-pixel centre shift); now a point is kept
  exactly when it is on one of the crop's pixels (x in [-0.5, W - 0.5) after the crop, as
  ``rasterise_points`` counts pixels), on all four sides, and a point cut away is not rotated back in.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from saliency import datasets as D
from saliency.transforms import augment, build_train_transform, rasterise_points
from saliency.validate import score_image

# ------------------------------------------------------------------ 1. SALICON maps built from the fixations
SH, SW = 90, 120   # SALICON image size (rows, cols)
# 1-based [row, col] as the SALICON JSON writes them; one pixel fixated twice (merged: counted once), points on
# the border (where reflect, reflect-101 and zero padding differ)
FIX_A = [[1, 1], [1, 1], [45, 60], [90, 120], [10, 118], [88, 3]]
FIX_B = [[30, 40]]


def _salicon(root):
    """A SALICON training folder: images/train/{a,b}.jpg, an empty maps/train, a fixations JSON."""
    (root / "images" / "train").mkdir(parents=True)
    (root / "maps" / "train").mkdir(parents=True)
    rng = np.random.default_rng(1)
    for name in ("a", "b"):
        cv2.imwrite(str(root / "images" / "train" / f"{name}.jpg"), rng.integers(0, 255, (SH, SW, 3), np.uint8))
    js = {"images": [{"id": 1, "file_name": "a.jpg", "width": SW, "height": SH},
                     {"id": 2, "file_name": "b.jpg", "width": SW, "height": SH}],
          "annotations": [{"image_id": 1, "fixations": FIX_A[:3]}, {"image_id": 1, "fixations": FIX_A[3:]},
                          {"image_id": 2, "fixations": FIX_B}]}
    (root / "fixations_train2014.json").write_text(json.dumps(js), encoding="utf-8")
    return root


def _api_map(fix):
    """The SALICON API's human map, by its recipe: merged 1-based points, gaussian_filter(sigma=19), min-max."""
    b = np.zeros((SH, SW))
    for r, c in fix:
        b[r - 1, c - 1] = 1.0
    m = gaussian_filter(b, sigma=19, mode="reflect")
    return (m - m.min()) / (m.max() - m.min())


def test_salicon_without_maps_trains_on_the_api_map(tmp_path):
    """Oracle: the API recipe computed here; the target is float (no 8-bit step): tolerance 1e-6 (float32)."""
    idx = D.find_dataset(_salicon(tmp_path / "SAL"), "fixation")
    assert [r.key for r in idx.records] == ["a", "b"]
    assert not any("1/30" in n for n in idx.notes), idx.notes
    assert ("2 human map(s) built from the fixations as the SALICON API builds them (points merged, "
            "gaussian_filter sigma 19 px, reflect border, min-max)") in idx.notes
    ds = D.SaliencyDataset(idx.records, "fixation", (SH, SW), None, cache=False)   # native size: no resize
    for i, fix in enumerate((FIX_A, FIX_B)):
        api = _api_map(fix)
        _, dens, pts = D.load_fixation_gt(idx.records[i], 0.02)
        assert dens.shape == (SH, SW) and np.abs(dens - api).max() < 1e-6
        assert len(pts) == len({tuple(p) for p in fix})                             # merged points
        target = ds[i]["target"][0].numpy()
        assert np.abs(target - api).max() < 1e-6
    # validation scores against the same map: a prediction equal to the API map has CC 1
    cc = score_image(_api_map(FIX_A).astype(np.float32), idx.records[0], "fixation", 0, 0.02).values["CC"]
    assert cc == pytest.approx(1.0, abs=1e-6)


def test_salicon_map_file_still_wins(tmp_path):
    """An image with a map file keeps that file as its human map (other layouts' behaviour unchanged)."""
    root = _salicon(tmp_path / "SAL")
    m = np.zeros((SH, SW), np.uint8)
    m[10:20, 30:50] = 200
    cv2.imwrite(str(root / "maps" / "train" / "a.png"), m)
    idx = D.find_dataset(root, "fixation")
    a, b = idx.records
    assert a.density and a.sigma_px is None and b.density is None and b.sigma_px == 19.0
    _, dens, _ = D.load_fixation_gt(a, 0.02)
    assert np.array_equal(dens, m.astype(np.float32))
    assert "1 human map(s) built from the fixations" in " ".join(idx.notes)


# ------------------------------------------------------------------ 2. fixation points at the crop's edges
H, W = 144, 192


def _fixed_seed_transform(rotate=0.0):
    """A crop (scale 0.6) [+ rotation] pipeline whose crop rectangle and affine matrix are read back per call."""
    aug = dict(hflip=0, crop_scale=[0.6, 0.6], crop_p=1.0, rotate=rotate, rotate_p=1.0 if rotate else 0,
               color_jitter=0, color_p=0)
    tf = build_train_transform("fixation", (H, W), aug)
    seen = {}
    for t in tf.transforms:
        orig = t.get_params_dependent_on_data

        def spy(*a, _orig=orig, **k):
            r = _orig(*a, **k)
            seen.update({k2: r[k2] for k2 in ("crop_coords", "matrix") if k2 in r})
            return r

        t.get_params_dependent_on_data = spy
    return tf, seen


def _run(tf, seen, seed, pts):
    img = np.zeros((H, W, 3), np.uint8)
    _, _, out = augment(tf, seed, img, np.zeros((H, W), np.float32), np.asarray(pts, np.float32))
    return out, dict(seen)


def test_crop_keeps_edge_points_on_all_four_sides():
    """Hand-placed points 0.4 px outside the crop's first/last pixel centre are on that pixel (kept, pixel 0 or
    W - 1); 0.6 px outside they are on the neighbouring pixel, cut away (dropped). Output position:
    (x - x0 + 0.5) * s - 0.5, s = W / crop width."""
    tf, seen = _fixed_seed_transform()
    for seed in (0, 3, 7):
        _, p0 = _run(tf, seen, seed, np.zeros((0, 2)))
        x0, y0, x1, y1 = p0["crop_coords"]
        xm, ym = (x0 + x1) // 2, (y0 + y1) // 2                       # a source pixel inside the crop
        pts = [[x0 - 0.4, ym], [x0 - 0.6, ym], [x1 - 1 + 0.4, ym], [x1 - 1 + 0.6, ym],   # left, right
               [xm, y0 - 0.4], [xm, y0 - 0.6], [xm, y1 - 1 + 0.4], [xm, y1 - 1 + 0.6]]   # top, bottom
        out, p1 = _run(tf, seen, seed, pts)
        assert p1["crop_coords"] == (x0, y0, x1, y1)                  # the same crop for the same seed
        sx, sy = W / (x1 - x0), H / (y1 - y0)
        cx, cy = (xm - x0 + 0.5) * sx - 0.5, (ym - y0 + 0.5) * sy - 0.5
        want = np.array([[0.1 * sx - 0.5, cy], [W - 0.1 * sx - 0.5, cy],
                         [cx, 0.1 * sy - 0.5], [cx, H - 0.1 * sy - 0.5]])
        assert out.shape == (4, 2), (seed, out)
        assert np.allclose(out, want, atol=1e-3), (seed, out, want)
        m = rasterise_points(out, (H, W))
        ry, rx = int(np.floor(cy + 0.5)), int(np.floor(cx + 0.5))
        assert m.sum() == 4 and m[ry, 0] == 1 and m[ry, W - 1] == 1 and m[0, rx] == 1 and m[H - 1, rx] == 1


def test_points_cut_by_the_crop_stay_dropped_after_rotation():
    """A ring of points just outside the crop (0.6 px past its edge pixels) and one just inside (0.4 px): after
    crop + rotation the output holds exactly the inside points that the read-back affine matrix puts on a
    pixel of the frame ([-0.5, W - 0.5)); never an outside one rotated back in, never a point clipped onto
    the border."""
    tf, seen = _fixed_seed_transform(rotate=15.0)
    back_in = rotated_out = 0
    for seed in range(12):
        _, p0 = _run(tf, seen, seed, np.zeros((0, 2)))
        x0, y0, x1, y1 = p0["crop_coords"]
        ys, xs = np.arange(y0, y1, 3, dtype=float), np.arange(x0, x1, 3, dtype=float)

        def ring(d):
            return np.concatenate([np.stack([np.full_like(ys, x0 - d), ys], 1),
                                   np.stack([np.full_like(ys, x1 - 1 + d), ys], 1),
                                   np.stack([xs, np.full_like(xs, y0 - d)], 1),
                                   np.stack([xs, np.full_like(xs, y1 - 1 + d)], 1)])

        inside, outside = ring(0.4), ring(0.6)
        out, p1 = _run(tf, seen, seed, np.concatenate([inside, outside]))
        assert p1["crop_coords"] == (x0, y0, x1, y1)
        M = np.asarray(p1["matrix"], float)[:2]

        def place(p):   # crop (pixel centres) then the affine matrix
            q = np.stack([(p[:, 0] - x0 + 0.5) * W / (x1 - x0) - 0.5, (p[:, 1] - y0 + 0.5) * H / (y1 - y0) - 0.5], 1)
            return q @ M[:, :2].T + M[:, 2]

        def on_frame(q, margin):
            return ((q[:, 0] >= -0.5 + margin) & (q[:, 0] < W - 0.5 - margin)
                    & (q[:, 1] >= -0.5 + margin) & (q[:, 1] < H - 0.5 - margin))

        qi, qo = place(inside), place(outside)
        sure, maybe = on_frame(qi, 1e-3), on_frame(qi, -1e-3)   # points within 1e-3 of an edge: either way
        back_in += int(on_frame(qo, 0).sum())
        rotated_out += int((~maybe).sum())
        d = np.abs(out[:, None, :] - qi[None, :, :]).max(2)
        nearest = d.argmin(1)
        assert (d.min(1) < 1e-3).all(), (seed, "an output point is no inside point's place")
        assert maybe[nearest].all(), (seed, "a point off the frame was kept (clipped?)")
        assert set(np.flatnonzero(sure)) <= set(nearest.tolist()), (seed, "an inside point on the frame was lost")
        assert len(out) == len(set(nearest.tolist()))
    assert back_in > 0 and rotated_out > 0   # the case is exercised: rotation would bring cut points back

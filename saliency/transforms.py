"""Joint image / target augmentation with albumentations (Buslaev et al., Information 2020).

One :class:`albumentations.Compose` moves the image and its targets together:

- SOD: the 0/255 mask is warped with nearest-neighbour interpolation, so it
  stays binary after crops and rotations;
- fixation: the continuous human map is warped bilinearly and the fixation
  points travel as keypoints (``xy``, pixel-centre coordinates), dropped when
  they leave the frame (off every pixel: outside [-0.5, W - 0.5) x [-0.5, H -
  0.5), the same rule on all four sides, :func:`in_frame`), then rasterised
  into the binary fixation map at the output size (:func:`rasterise_points`).

Randomness is per sample: :func:`augment` reseeds the pipeline from the
sample's own seed (``Compose.set_random_seed``), which the sampler derives
from (seed, epoch, index). The augmentation of a sample is therefore the same
whatever the number of DataLoader workers, and a resumed run replays exactly.
"""

from __future__ import annotations

import numpy as np


#: how a crop resizes the target: SOD masks by nearest neighbour with pixel centres aligned as in the bilinear
#: image (``INTER_NEAREST_EXACT``; plain ``INTER_NEAREST`` put every enlarged mask about half a pixel down and
#: right of its image), human maps bilinearly like the image
MASK_RESIZE = {"sod": 6, "fixation": 1}  # cv2.INTER_NEAREST_EXACT, cv2.INTER_LINEAR


def build_train_transform(task: str, size, aug: dict):
    """The training pipeline: flip, random resized crop (to ``size``), small rotation, colour jitter."""
    import albumentations as A
    import cv2

    h, w = size
    ops = []
    if aug["hflip"] > 0:
        ops.append(A.HorizontalFlip(p=aug["hflip"]))
    lo, hi = aug["crop_scale"]
    if aug["crop_p"] > 0 and lo < 1.0:
        aspect = w / h
        ops.append(_centre_crop_class()(size=(h, w), scale=(lo, hi), ratio=(aspect * 0.8, aspect * 1.25),
                                       interpolation=cv2.INTER_LINEAR,
                                       mask_interpolation=MASK_RESIZE[task], p=aug["crop_p"]))
    if aug["rotate"] > 0 and aug["rotate_p"] > 0:
        ops.append(A.Affine(rotate=(-aug["rotate"], aug["rotate"]), border_mode=cv2.BORDER_CONSTANT, fill=0,
                            fill_mask=0, mask_interpolation=cv2.INTER_NEAREST if task == "sod" else cv2.INTER_LINEAR,
                            p=aug["rotate_p"]))
    cj = aug["color_jitter"]
    if cj > 0 and aug["color_p"] > 0:
        ops.append(A.ColorJitter(brightness=cj, contrast=cj, saturation=cj, hue=0.0, p=aug["color_p"]))
    # albumentations' own filter keeps x in [0, W): it dropped the points of the first column / row (x in
    # [-0.5, 0)) and kept those past the last; the crop and augment() drop by pixel instead (in_frame)
    kp = A.KeypointParams(format="xy", remove_invisible=False) if task == "fixation" else None
    return A.Compose(ops, keypoint_params=kp, seed=0)


_CENTRE_CROP = None


def _centre_crop_class():
    """``A.RandomResizedCrop`` whose keypoints move with their pixels' centres (made once, on first use).

    albumentations 2.0 scales cropped keypoints as ``(x - x0) * s`` (pixel
    corners), while the image, the human map and this module's points
    (:func:`scale_points`, :func:`rasterise_points`) use pixel centres,
    ``(x - x0 + 0.5) * s - 0.5``: points landed up to 0.7 px up-left of
    their content when zooming in (crop scale 0.2-0.4), on another pixel in
    58 of 95 samples. Its flip (``W - 1 - x``) and rotation already use centres.
    Points whose pixel is cut away are dropped here (:func:`in_frame`), before
    a rotation could turn them back into the frame.
    """
    global _CENTRE_CROP
    if _CENTRE_CROP is None:
        import albumentations as A

        class CentreRandomResizedCrop(A.RandomResizedCrop):
            """RandomResizedCrop with pixel-centre keypoint scaling."""

            def apply_to_keypoints(self, keypoints, crop_coords, **params):
                """Crop and scale ``keypoints`` as the image's pixel centres move."""
                out = super().apply_to_keypoints(keypoints, crop_coords, **params).copy()
                sx = self.size[1] / (crop_coords[2] - crop_coords[0])
                sy = self.size[0] / (crop_coords[3] - crop_coords[1])
                out[:, 0] += 0.5 * (sx - 1)
                out[:, 1] += 0.5 * (sy - 1)
                # kept: the points on the crop's source pixels (decided there, free of the scaling's rounding),
                # which land in [-0.5, size - 0.5); a rounding error past that edge stays on the border pixel
                x0, y0, x1, y1 = crop_coords
                out = out[in_frame(keypoints[:, :2] - np.array([x0, y0]), (y1 - y0, x1 - x0))]
                for c, n in ((0, self.size[1]), (1, self.size[0])):
                    np.clip(out[:, c], -0.5, np.nextafter(np.float32(n - 0.5), np.float32(0)), out=out[:, c])
                return out

        _CENTRE_CROP = CentreRandomResizedCrop
    return _CENTRE_CROP


def augment(transform, seed: int, image: np.ndarray, target: np.ndarray, points: np.ndarray | None = None):
    """Apply ``transform`` with its RNG reset to ``seed``; returns (image, target, points)."""
    if transform is None:
        return image, target, points
    transform.set_random_seed(int(seed))
    kw = {"image": image, "mask": target}
    if points is not None:
        kw["keypoints"] = points if len(points) else np.zeros((0, 2), np.float32)
    out = transform(**kw)
    pts = np.asarray(out["keypoints"], np.float32).reshape(-1, 2) if points is not None else None
    if pts is not None:  # a point the rotation took off every pixel is dropped, not clipped onto the border
        pts = pts[in_frame(pts, out["image"].shape[:2])]
    return out["image"], out["mask"], pts


def in_frame(points: np.ndarray, size) -> np.ndarray:
    """Which points (x, y pixel-centre coordinates, first two columns) lie on a pixel of ``size`` (H, W).

    A point belongs to pixel ``floor(x + 0.5)`` (:func:`rasterise_points`), so
    x in [-0.5, W - 0.5) and y in [-0.5, H - 0.5) are kept on every side.
    """
    h, w = size
    xs = np.floor(points[:, 0] + 0.5)
    ys = np.floor(points[:, 1] + 0.5)
    return (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)


def rasterise_points(points: np.ndarray, size) -> np.ndarray:
    """Binary float32 map of ``size`` (H, W) with 1 at each point's pixel (x, y pixel-centre coordinates)."""
    h, w = size
    m = np.zeros((h, w), np.float32)
    if points is not None and len(points):
        ok = in_frame(points, size)
        xs = np.floor(points[ok, 0] + 0.5).astype(np.int64)
        ys = np.floor(points[ok, 1] + 0.5).astype(np.int64)
        m[ys, xs] = 1.0
    return m


def scale_points(points: np.ndarray, src_hw, dst_hw) -> np.ndarray:
    """Map pixel-centre coordinates from an image of ``src_hw`` to one of ``dst_hw`` (clipped to it)."""
    if points is None or not len(points):
        return np.zeros((0, 2), np.float32)
    sy, sx = dst_hw[0] / src_hw[0], dst_hw[1] / src_hw[1]
    out = np.empty_like(points, dtype=np.float32)
    out[:, 0] = (points[:, 0] + 0.5) * sx - 0.5
    out[:, 1] = (points[:, 1] + 0.5) * sy - 0.5
    # a border pixel's centre may land just outside [0, size - 1] when shrinking: keep it on the border pixel
    np.clip(out[:, 0], 0, dst_hw[1] - 1, out=out[:, 0])
    np.clip(out[:, 1], 0, dst_hw[0] - 1, out=out[:, 1])
    return out


INTERPOLATIONS = ("auto", "nearest")
"""The values of :func:`resize_image`'s ``interpolation``."""


def resize_image(img: np.ndarray, size, interpolation: str = "auto") -> np.ndarray:
    """Resize to ``size`` (H, W): area averaging when shrinking, bilinear when enlarging, axis by axis.

    When one side shrinks and the other grows, the shrinking axis is area
    averaged first and the growing one then interpolated bilinearly (as
    :func:`saliency.validate.resize_map` does): one bilinear pass over both
    axes read 1-2 pixels per output pixel on the shrinking side and skipped
    the rest (900 x 40 stripes at a 48 x 64 input aliased: their predicted
    map was up to 48 grey levels off their 2x copy's). Both sides shrinking
    (or staying) is one area pass, both growing one bilinear pass, as before.

    ``interpolation``: ``"auto"`` (that rule) or ``"nearest"``; any other value is refused (UserError).
    """
    import cv2

    if interpolation not in INTERPOLATIONS:
        from saliency.base.errors import UserError

        raise UserError(f"`interpolation` {interpolation!r}: must be one of {', '.join(INTERPOLATIONS)}")
    h, w = size
    if img.shape[:2] == (h, w):
        return img
    if interpolation == "nearest":
        return cv2.resize(img, (w, h), interpolation=cv2.INTER_NEAREST)
    small = (min(h, img.shape[0]), min(w, img.shape[1]))  # the shrinking axes first, by area
    if small != img.shape[:2]:
        img = cv2.resize(img, (small[1], small[0]), interpolation=cv2.INTER_AREA)
    if img.shape[:2] != (h, w):  # then the growing axes, bilinearly
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    return img

"""Synthetic scenes: cluttered textured backgrounds with 1-3 salient objects.

The scene model follows the feature-contrast account of bottom-up saliency
(Treisman & Gelade 1980; Itti, Koch & Niebur, PAMI 1998): an object stands
out when it differs from its surround in colour, texture, size and shape.
Backgrounds are muted (low saturation) multi-scale colour noise with a fine
texture and many small, low-contrast clutter shapes; salient objects are
larger shapes of saturated colour, each with its own texture (solid, stripes,
checker or dots). The ground-truth mask is the union of the objects' visible
pixels (alpha >= 0.5 of the anti-aliased rendering), written 0/255 as in
DUTS-style SOD datasets.

:func:`render_photo_scene` puts the objects on real photographs instead
(``saliency synth --backgrounds DIR``, e.g. the OSIE stimuli): large objects
near the centre as in the SOD benchmarks' photographs (MSRA10K, ECSSD; Cheng
et al., "Global contrast based salient region detection", PAMI 2015), with
smooth random outlines, textures cut from other photographs, shading and a
shadow, so that the object is no longer the only saturated region and SOD is
not solved by colour contrast alone.

Everything is drawn with OpenCV and numpy from an explicit
``numpy.random.Generator``, so a scene is a pure function of its seed (and,
for photo scenes, of the photographs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

SHAPES = ("circle", "ellipse", "rectangle", "triangle", "star", "hexagon")
TEXTURES = ("solid", "stripes", "checker", "dots")


@dataclass
class SceneObject:
    """One salient object: its shape, centre, radius (px), colour (RGB) and texture."""

    shape: str
    cx: float
    cy: float
    radius: float
    angle_deg: float
    color: tuple[int, int, int]
    texture: str
    area_px: int = 0  # visible pixels in the ground-truth mask


def _hsv_to_rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    px = np.array([[[h * 179.0, s * 255.0, v * 255.0]]], dtype=np.float32).astype(np.uint8)
    return tuple(int(c) for c in cv2.cvtColor(px, cv2.COLOR_HSV2RGB)[0, 0])


def _polygon(shape: str, cx: float, cy: float, r: float, angle: float, aspect: float) -> np.ndarray:
    a = math.radians(angle)
    if shape == "rectangle":
        base = np.array([[-1, -aspect], [1, -aspect], [1, aspect], [-1, aspect]], dtype=np.float64) * r / math.sqrt(2)
    elif shape == "triangle":
        t = np.radians([90, 210, 330])
        base = np.stack([np.cos(t), -np.sin(t)], 1) * r
    elif shape == "hexagon":
        t = np.radians(np.arange(6) * 60)
        base = np.stack([np.cos(t), np.sin(t)], 1) * r
    elif shape == "star":
        t = np.radians(np.arange(10) * 36 - 90)
        rad = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
        base = np.stack([np.cos(t) * rad, np.sin(t) * rad], 1)
    else:  # circle / ellipse as a fine polygon
        t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
        ry = r * (aspect if shape == "ellipse" else 1.0)
        base = np.stack([np.cos(t) * r, np.sin(t) * ry], 1)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return base @ rot.T + np.array([cx, cy])


def _alpha(poly: np.ndarray, w: int, h: int) -> np.ndarray:
    """Anti-aliased coverage of a polygon in [0, 1] (OpenCV LINE_AA with 4 bits of sub-pixel shift)."""
    shift = 4
    pts = np.round(poly * (1 << shift)).astype(np.int32).reshape(-1, 1, 2)
    canvas = np.zeros((h, w), np.uint8)
    cv2.fillPoly(canvas, [pts], 255, lineType=cv2.LINE_AA, shift=shift)
    return canvas.astype(np.float32) / 255.0


def _texture(kind: str, color, x0: int, y0: int, w: int, h: int, r: float,
             rng: np.random.Generator) -> np.ndarray:
    """Texture of ``color`` for the image window at ``(x0, y0)`` of size ``w x h``."""
    c = np.array(color, np.float32)
    dark = c * 0.45
    img = np.empty((h, w, 3), np.float32)
    img[:] = c
    if kind == "solid":
        return img
    yy, xx = np.mgrid[y0:y0 + h, x0:x0 + w].astype(np.float32)
    period = max(4.0, r / rng.uniform(1.5, 3.0))
    if kind == "stripes":
        a = rng.uniform(0, np.pi)
        sel = np.sin((xx * math.cos(a) + yy * math.sin(a)) * 2 * np.pi / period) > 0
    elif kind == "checker":
        sel = ((xx // (period / 2)).astype(int) + (yy // (period / 2)).astype(int)) % 2 == 0
    else:  # dots
        sel = (np.mod(xx, period) - period / 2) ** 2 + (np.mod(yy, period) - period / 2) ** 2 < (period / 4) ** 2
    img[sel] = dark
    return img


def _background(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """Muted multi-scale colour noise, fine texture and low-contrast clutter, float RGB 0..255."""
    base_hue = rng.uniform(0, 1)
    img = np.zeros((h, w, 3), np.float32)
    for cells, amp in ((4, 1.0), (12, 0.5), (40, 0.25)):
        small = rng.normal(0, 1, (max(2, cells * h // w), cells, 3)).astype(np.float32)
        img += amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    grey = img.mean(axis=2, keepdims=True)
    img = 0.8 * grey + 0.2 * img  # low saturation
    base = np.array(_hsv_to_rgb(base_hue, 0.25, 0.55), np.float32)
    img = base + 18.0 * img
    img += rng.normal(0, 6.0, (h, w, 1)).astype(np.float32)  # fine grain
    n_clutter = int(rng.integers(40, 90) * (w * h) / (640 * 480))
    for _ in range(n_clutter):
        col = tuple(float(v) for v in np.array(_hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.05, 0.3),
                                                            rng.uniform(0.35, 0.7)), np.float32))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        s = int(rng.integers(2, max(3, min(w, h) // 40)))
        kind = rng.integers(0, 3)
        if kind == 0:
            cv2.circle(img, (x, y), s, col, -1, cv2.LINE_AA)
        elif kind == 1:
            cv2.rectangle(img, (x - s, y - s), (x + s, y + s), col, -1, cv2.LINE_AA)
        else:
            a = rng.uniform(0, 2 * np.pi)
            cv2.line(img, (x, y), (int(x + 3 * s * math.cos(a)), int(y + 3 * s * math.sin(a))), col, 1, cv2.LINE_AA)
    return img


def render_scene(rng: np.random.Generator, width: int, height: int, n_objects: int | None = None,
                 max_objects: int = 3):
    """Render one scene.

    Returns ``(image, mask, labels, objects)``: RGB uint8 image, 0/255 uint8
    mask, int32 label map (k + 1 where object k is the visible top-most
    object, 0 elsewhere) and the list of :class:`SceneObject`.
    """
    w, h = int(width), int(height)
    img = _background(w, h, rng)
    labels = np.zeros((h, w), np.int32)
    if n_objects is None:
        n_objects = int(rng.integers(1, max_objects + 1))
    m = min(w, h)
    objects: list[SceneObject] = []
    hues = (rng.uniform(0, 1) + np.arange(n_objects) / n_objects + rng.uniform(-0.08, 0.08, n_objects)) % 1.0
    for k in range(n_objects):
        for _attempt in range(50):
            r = rng.uniform(0.07, 0.17) * m
            cx = rng.uniform(r + 4, w - r - 4)
            cy = rng.uniform(r + 4, h - r - 4)
            if all(math.hypot(cx - o.cx, cy - o.cy) > 0.9 * (r + o.radius) for o in objects):
                break
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        angle = float(rng.uniform(0, 180))
        aspect = float(rng.uniform(0.55, 0.9))
        color = _hsv_to_rgb(float(hues[k]), float(rng.uniform(0.75, 1.0)), float(rng.uniform(0.8, 1.0)))
        texture = TEXTURES[int(rng.integers(len(TEXTURES)))]
        poly = _polygon(shape, cx, cy, r, angle, aspect)
        x0, y0 = (max(0, int(np.floor(v)) - 2) for v in poly.min(0))
        x1, y1 = min(w, int(np.ceil(poly[:, 0].max())) + 3), min(h, int(np.ceil(poly[:, 1].max())) + 3)
        alpha = _alpha(poly - [x0, y0], x1 - x0, y1 - y0)
        tex = _texture(texture, color, x0, y0, x1 - x0, y1 - y0, r, rng)
        a3 = alpha[..., None]
        win = img[y0:y1, x0:x1]
        img[y0:y1, x0:x1] = win * (1 - a3) + tex * a3
        labels[y0:y1, x0:x1][alpha >= 0.5] = k + 1
        objects.append(SceneObject(shape, float(cx), float(cy), float(r), angle, color, texture))
    for k, o in enumerate(objects):
        o.area_px = int((labels == k + 1).sum())
    image = np.clip(np.round(img), 0, 255).astype(np.uint8)
    mask = np.where(labels > 0, 255, 0).astype(np.uint8)
    return image, mask, labels, objects


# ------------------------------------------------------------------ objects on real photographs

PHOTO_TEXTURES = ("photo", "photo", "solid", "stripes", "checker", "dots")  # photo-textured twice as often


def _blob(cx: float, cy: float, r: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random closed outline: radius ``r (1 + sum_k a_k cos(k t + p_k))``, k = 2..5."""
    t = np.linspace(0, 2 * np.pi, 128, endpoint=False)
    rad = np.ones_like(t)
    for k in range(2, 6):
        rad += rng.uniform(0, 0.3 / k) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    return np.stack([cx + r * rad * np.cos(t), cy + r * rad * np.sin(t)], 1)


def _photo_window(photo: np.ndarray, w: int, h: int, rng: np.random.Generator, min_share: float) -> np.ndarray:
    """A random window of ``photo`` with the aspect of ``w x h`` (side ``min_share``..1 of the largest), resized.

    The window is at least 2 pixels a side, and never larger than the photo: a
    photo 1 pixel high or wide (or 1 x 1) gives a window of its whole height or
    width, stretched like any small photo.
    """
    ph, pw = photo.shape[:2]
    share = rng.uniform(min_share, 1.0)
    cw = min(pw, max(2, int(min(pw, ph * w / h) * share)))  # min(): the same window as before for photos >= 2x2
    ch = min(ph, max(2, int(min(ph, cw * h / w))))
    x0 = int(rng.integers(0, pw - cw + 1))
    y0 = int(rng.integers(0, ph - ch + 1))
    win = photo[y0:y0 + ch, x0:x0 + cw]
    return cv2.resize(win, (w, h), interpolation=cv2.INTER_AREA if cw > w else cv2.INTER_LINEAR).astype(np.float32)


def _vivid(patch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photo patch made to read as one object: saturation and brightness raised, hue turned a little."""
    hsv = cv2.cvtColor(np.clip(patch, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-25, 25)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(1.2, 2.0) + rng.uniform(20, 70), 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * rng.uniform(0.9, 1.3) + rng.uniform(0, 40), 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)


def render_photo_scene(rng: np.random.Generator, width: int, height: int, photos, max_objects: int = 3):
    """Render one scene whose background is a real photograph (``saliency synth --backgrounds``).

    ``photos`` is a sequence of RGB uint8 images or a callable ``i -> image``
    with ``len(photos)`` images; one is drawn as the background (a random
    window, at least 60 % of its largest side, resized to ``width x height``,
    blurred in half of the scenes as by a shallow depth of field). Objects
    follow the photographs of SOD benchmarks (MSRA10K, ECSSD: one or two
    large objects near the centre, 10-45 % of the image): 1 object with
    probability 0.6, 2 with 0.3, ``max_objects`` (up to 3) otherwise, each a
    smooth random outline or one of :data:`SHAPES`, of radius 0.2-0.4 of
    the shorter side (later objects 0.65 times that), textured either by a
    window of another photograph (made vivid in half of the cases, its own
    colours with a little more contrast otherwise) or by a saturated
    synthetic texture, shaded
    by a soft light from one side and casting a soft shadow. The object is
    thus not the only coloured thing in the picture, as it is on the muted
    clouds of :func:`render_scene`. Same return value as :func:`render_scene`.
    """
    w, h = int(width), int(height)
    n_photos = len(photos)
    if n_photos < 1:
        raise ValueError("render_photo_scene needs at least one background photograph")
    get = photos if callable(photos) else photos.__getitem__
    bg_index = int(rng.integers(n_photos))
    img = _photo_window(np.asarray(get(bg_index)), w, h, rng, 0.6)
    if rng.uniform() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(1.0, 4.0))
    labels = np.zeros((h, w), np.int32)
    u = rng.uniform()
    n_objects = 1 if u < 0.6 or max_objects < 2 else (2 if u < 0.9 or max_objects < 3 else min(3, max_objects))
    m = min(w, h)
    objects: list[SceneObject] = []
    for k in range(n_objects):
        scale = 1.0 if k == 0 else 0.65
        for _attempt in range(50):
            r = rng.uniform(0.2, 0.4) * m * scale
            cx = float(np.clip(rng.normal(w / 2, 0.18 * w), r * 0.8, w - r * 0.8))
            cy = float(np.clip(rng.normal(h / 2, 0.18 * h), r * 0.8, h - r * 0.8))
            if all(math.hypot(cx - o.cx, cy - o.cy) > 0.9 * (r + o.radius) for o in objects):
                break
        shape = "blob" if rng.uniform() < 0.6 else SHAPES[int(rng.integers(len(SHAPES)))]
        angle = float(rng.uniform(0, 180))
        aspect = float(rng.uniform(0.55, 0.9))
        poly = _blob(cx, cy, r, rng) if shape == "blob" else _polygon(shape, cx, cy, r, angle, aspect)
        pad = 3 + int(0.35 * r)  # room for the soft shadow
        x0, y0 = (max(0, int(np.floor(v)) - pad) for v in poly.min(0))
        x1, y1 = min(w, int(np.ceil(poly[:, 0].max())) + pad), min(h, int(np.ceil(poly[:, 1].max())) + pad)
        alpha = _alpha(poly - [x0, y0], x1 - x0, y1 - y0)
        texture = PHOTO_TEXTURES[int(rng.integers(len(PHOTO_TEXTURES)))]
        color = _hsv_to_rgb(float(rng.uniform(0, 1)), float(rng.uniform(0.6, 1.0)), float(rng.uniform(0.6, 1.0)))
        if texture == "photo":
            others = [i for i in range(n_photos) if i != bg_index] or [bg_index]
            src = np.asarray(get(others[int(rng.integers(len(others)))]))
            tex = _photo_window(src, x1 - x0, y1 - y0, rng, 0.2)
            if rng.uniform() < 0.5:  # half made vivid; the other half keeps the photograph's own colours
                tex = _vivid(tex, rng)
            else:  # contrast raised a little around the patch's mean
                tex = tex.mean(axis=(0, 1)) + (tex - tex.mean(axis=(0, 1))) * rng.uniform(1.0, 1.4)
        else:
            tex = _texture(texture, color, x0, y0, x1 - x0, y1 - y0, r, rng)
        # soft light from one side (a 3-D look), and a soft shadow below-right of the object
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        la = rng.uniform(0, 2 * np.pi)
        light = ((xx - cx) * math.cos(la) + (yy - cy) * math.sin(la)) / max(r, 1.0)
        tex = tex * np.clip(1.0 + 0.22 * light, 0.6, 1.3)[..., None]
        off = int(round(0.06 * r))
        sh = cv2.GaussianBlur(alpha, (0, 0), max(1.0, 0.08 * r))
        sh = np.roll(np.roll(sh, off, 0), off, 1)
        img[y0:y1, x0:x1] *= (1 - 0.45 * sh)[..., None]
        a3 = alpha[..., None]
        win = img[y0:y1, x0:x1]
        img[y0:y1, x0:x1] = win * (1 - a3) + tex * a3
        labels[y0:y1, x0:x1][alpha >= 0.5] = k + 1
        objects.append(SceneObject(shape, float(cx), float(cy), float(r), angle, color, texture))
    img += rng.normal(0, 2.0, (h, w, 1)).astype(np.float32)  # sensor grain over objects and background alike
    for k, o in enumerate(objects):
        o.area_px = int((labels == k + 1).sum())
    image = np.clip(np.round(img), 0, 255).astype(np.uint8)
    mask = np.where(labels > 0, 255, 0).astype(np.uint8)
    return image, mask, labels, objects

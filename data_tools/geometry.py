"""Screen geometry: pixels per degree, and where a stimulus sits on the screen.

Pixels per degree follows the MIT saliency code (`computeDegVisAngle`):

    ppd = res_px / size_cm * distance_cm * tan(1 deg)

(the number of pixels spanned by one degree at the screen centre), computed
per axis; the toolkit uses the mean of the two axes where one number is needed
(square pixels make them equal). Exact per-pixel angles, for velocities and
dispersions, use the pymovements convention

    deg = atan2(px - (res - 1) / 2, distance_cm * res_px / size_cm)

A stimulus of ``w x h`` pixels is shown on a ``W x H`` screen in one of three
ways (``display``):

- ``fit``: scaled by ``min(W / w, H / h)`` and centred (letter- or
  pillar-boxed): what most free-viewing experiments do;
- ``native``: centred at its native size (a stimulus larger than the screen is refused: use ``fit``);
- ``stretch``: scaled independently on each axis to fill the screen.

Coordinates are continuous pixel coordinates with the origin at the top-left
corner of the top-left pixel's centre, so the pixel ``(i, j)`` centre is
``x = j``; the mapping is the affine map between the stimulus rectangle and
its screen rectangle, ``x_screen = left + (x_stim + 0.5) * sx - 0.5``.
"""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError, expect_type
from saliency.base.fsutil import read_json
from saliency.data_tools.choices import DISPLAY_MODES  # noqa: F401 (defined where the CLI reads it cheaply)


@dataclass(frozen=True)
class Placement:
    """Where a stimulus of ``stim_size`` lands on the screen: scale and offset per axis."""

    stim_size: tuple[int, int]
    scale: tuple[float, float]
    offset: tuple[float, float]  # screen position of the stimulus' top-left corner (pixel edges)

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """Screen rectangle ``(left, top, width, height)`` covered by the stimulus (pixel edges)."""
        w, h = self.stim_size
        return (self.offset[0], self.offset[1], w * self.scale[0], h * self.scale[1])

    def screen_to_stimulus(self, x, y):
        """Map screen pixel coordinates to stimulus pixel coordinates (arrays or floats)."""
        xs = (np.asarray(x, dtype=np.float64) + 0.5 - self.offset[0]) / self.scale[0] - 0.5
        ys = (np.asarray(y, dtype=np.float64) + 0.5 - self.offset[1]) / self.scale[1] - 0.5
        return xs, ys

    def stimulus_to_screen(self, x, y):
        """Map stimulus pixel coordinates to screen pixel coordinates (arrays or floats)."""
        xs = (np.asarray(x, dtype=np.float64) + 0.5) * self.scale[0] + self.offset[0] - 0.5
        ys = (np.asarray(y, dtype=np.float64) + 0.5) * self.scale[1] + self.offset[1] - 0.5
        return xs, ys

    def inside_stimulus(self, xs, ys):
        """Boolean mask: stimulus coordinates that fall on the stimulus' pixels."""
        w, h = self.stim_size
        xs = np.asarray(xs)
        ys = np.asarray(ys)
        return (xs >= -0.5) & (xs < w - 0.5) & (ys >= -0.5) & (ys < h - 0.5)


class UnusedKeys(dict):
    """The keys of a geometry file that the toolkit does not use (e.g. a ``sampling_rate_hz``): kept, but
    recorded apart, under ``unused_keys`` (:meth:`ScreenGeometry.to_dict`), never as facts of the screen.

    A geometry built in code (the synthetic study's, whose ``sampling_rate_hz`` is its own) gives a plain dict:
    its keys are written beside the others.
    """


@dataclass(frozen=True)
class ScreenGeometry:
    """A display: resolution (px), physical size (cm), viewing distance (cm), display mode.

    Parts may be unknown (``None``): a resolution alone (e.g. declared by a
    log file) places stimuli on the screen but gives no degrees; the physical
    size and distance alone wait for a resolution from the file
    (:meth:`with_screen_px`). Anything that needs a missing part raises a
    UserError naming it.
    """

    screen_px: tuple[int, int] | None
    screen_cm: tuple[float, float] | None = None
    distance_cm: float | None = None
    display: str = "fit"
    extra: dict = field(default_factory=dict, compare=False)
    # whether a user stated `display` (a flag, a geometry file's key); None: stated when it is not the default fit
    display_stated: bool | None = field(default=None, compare=False)

    def __post_init__(self):
        # the checks of from_dict: a resolution is two whole pixel counts (kept as ints), sizes are numbers, not text
        if self.screen_px is not None:
            px = self.screen_px
            if not (_pair_of(px) and all(_size_ok(v) and v == int(v) for v in px)):
                raise UserError(f"`screen_px` {px!r}: need two whole positive pixel counts (W, H), "
                                f"each at most {MAX_SIZE:g}")
            object.__setattr__(self, "screen_px", (int(px[0]), int(px[1])))
        if self.screen_cm is not None and not (_pair_of(self.screen_cm) and all(_size_ok(v) for v in self.screen_cm)):
            raise UserError(f"`screen_cm` {self.screen_cm!r}: need two finite positive sizes in cm (W, H), "
                            f"each at most {MAX_SIZE:g}")
        if self.distance_cm is not None and not _finite_positive(self.distance_cm):
            raise UserError(f"`distance_cm` {self.distance_cm!r}: need a finite positive number of cm")
        # kept as plain floats: a 0-d array or numpy float32 passed the checks but broke dataset.json's json.dumps
        if self.screen_cm is not None:
            object.__setattr__(self, "screen_cm", (float(self.screen_cm[0]), float(self.screen_cm[1])))
        if self.distance_cm is not None:
            object.__setattr__(self, "distance_cm", float(self.distance_cm))
        if self.display not in DISPLAY_MODES:
            raise UserError(f"display mode {self.display!r}: choose one of {', '.join(DISPLAY_MODES)}")
        if self.display_stated is None:
            object.__setattr__(self, "display_stated", self.display != "fit")
        _check_plausible(self.screen_px, self.screen_cm, self.distance_cm)

    @property
    def has_degrees(self) -> bool:
        """Whether resolution, physical size and distance are all known (pixels per degree can be computed)."""
        return self.screen_px is not None and self.screen_cm is not None and self.distance_cm is not None

    def missing_for_degrees(self) -> list[str]:
        """Names of the parts that degrees still need (``screen_px``, ``screen_cm``, ``distance_cm``)."""
        return [k for k in ("screen_px", "screen_cm", "distance_cm") if getattr(self, k) is None]

    def with_screen_px(self, screen_px: tuple[int, int], declared_by: str | None = None) -> "ScreenGeometry":
        """This geometry with the resolution ``screen_px`` (e.g. the one a log file declares: ``declared_by``, the
        file a refusal of the whole geometry names as the resolution's source, never a `screen_px` not given)."""
        if declared_by is not None and _pair_of(screen_px):
            _check_plausible(tuple(screen_px), self.screen_cm, self.distance_cm, px_from=declared_by)
        return ScreenGeometry((int(screen_px[0]), int(screen_px[1])), self.screen_cm, self.distance_cm,
                              self.display, self.extra, self.display_stated)

    def _need_degrees(self):
        miss = self.missing_for_degrees()
        if miss:
            raise UserError("degrees of visual angle need the screen resolution, its physical size and the "
                            f"viewing distance; missing: {', '.join(f'`{m}`' for m in miss)}")

    @property
    def ppd_xy(self) -> tuple[float, float]:
        """Pixels per degree on each axis (MIT ``computeDegVisAngle``)."""
        self._need_degrees()
        t = math.tan(math.radians(1.0))
        return tuple(self.screen_px[i] / self.screen_cm[i] * self.distance_cm * t for i in (0, 1))

    @property
    def ppd(self) -> float:
        """Pixels per degree, mean of the two axes."""
        px, py = self.ppd_xy
        return 0.5 * (px + py)

    def pixels_to_degrees(self, x, y):
        """Exact visual angle (deg) of screen pixel coordinates from the screen centre (pymovements)."""
        self._need_degrees()
        out = []
        for v, i in ((x, 0), (y, 1)):
            d_px = self.distance_cm * self.screen_px[i] / self.screen_cm[i]
            out.append(np.degrees(np.arctan2(np.asarray(v, dtype=np.float64) - (self.screen_px[i] - 1) / 2, d_px)))
        return out[0], out[1]

    def placement(self, stim_w: int, stim_h: int, display: str | None = None) -> Placement:
        """Where a ``stim_w x stim_h`` stimulus is shown under ``display`` (default: this geometry's)."""
        mode = display or self.display
        if mode not in DISPLAY_MODES:
            raise UserError(f"display mode {mode!r}: choose one of {', '.join(DISPLAY_MODES)}")
        if self.screen_px is None:
            raise UserError("placing a stimulus on the screen needs the screen resolution `screen_px`")
        W, H = self.screen_px
        if mode == "fit":
            s = min(W / stim_w, H / stim_h)
            sx = sy = s
        elif mode == "native":
            sx = sy = 1.0
        else:
            sx, sy = W / stim_w, H / stim_h
        return Placement((int(stim_w), int(stim_h)), (sx, sy), ((W - stim_w * sx) / 2, (H - stim_h * sy) / 2))

    def to_dict(self) -> dict:
        """JSON-able form, the synthetic study's ``screen.json`` keys."""
        d = {"screen_px": list(self.screen_px) if self.screen_px else None,
             "screen_cm": list(self.screen_cm) if self.screen_cm else None,
             "distance_cm": self.distance_cm, "display": self.display}
        if isinstance(self.extra, UnusedKeys):  # read from a file: not facts the toolkit used
            if self.extra:
                d["unused_keys"] = dict(self.extra)
        else:
            d.update(self.extra)
        d["ppd"] = round(self.ppd, 4) if self.has_degrees else None
        return d

    @classmethod
    def from_dict(cls, d: dict, source: str = "geometry") -> "ScreenGeometry":
        """Build from a ``screen.json``-style dict; unknown keys are kept in ``extra`` (an :class:`UnusedKeys`:
        :meth:`to_dict` writes them under ``unused_keys``; that key, as a ``dataset.json`` geometry holds it, is
        read back into them).

        Wrong shapes (not an object, a size that is not two finite positive
        numbers, a display that is not text) raise a UserError naming ``source``
        and the key. A ``ppd`` is computed, never taken: one stated is checked
        against the computed one and refused when they differ by more than
        :data:`PPD_TOLERANCE` (or when there is no physical size to compute
        it from), so that a stated ppd is never silently replaced.
        ``screen_cm`` and ``distance_cm`` may both be null (the
        physical screen unknown: pixels only), as :meth:`to_dict` writes them
        for a run that knew the resolution alone, so that a ``dataset.json``
        geometry always reads back.
        """
        expect_type(d, dict, source, "a JSON object with screen_px, screen_cm, distance_cm")
        missing = [k for k in ("screen_px", "screen_cm", "distance_cm") if k not in d]
        if missing:
            raise UserError(f"{source}: missing key {missing[0]!r} (need screen_px, screen_cm, distance_cm)")
        extra = UnusedKeys({k: v for k, v in d.items()
                            if k not in ("screen_px", "screen_cm", "distance_cm", "display", "ppd", "unused_keys")})
        if isinstance(d.get("unused_keys"), dict):  # a dataset.json geometry read back
            extra.update({k: v for k, v in d["unused_keys"].items() if k not in extra})
        elif d.get("unused_keys") is not None:
            extra["unused_keys"] = d["unused_keys"]
        for key, need in (("screen_px", "two whole pixel counts [W, H]"), ("screen_cm", "two sizes in cm [W, H]"),
                          ("distance_cm", "a finite positive number of cm"),
                          ("ppd", "a positive number; or remove ppd (it is computed from screen_px, screen_cm and "
                                  "distance_cm)")):
            _refuse_huge(d.get(key), source, key, need)
        px = _pair(d["screen_px"], source, "screen_px", "pixel counts")
        if any(v != int(v) for v in px):
            raise UserError(f"{source}: screen_px {d['screen_px']!r}: need two whole pixel counts [W, H]")
        if (d["screen_cm"] is None) != (d["distance_cm"] is None):
            given, null = ("screen_cm", "distance_cm") if d["distance_cm"] is None else ("distance_cm", "screen_cm")
            raise UserError(f"{source}: {given} without {null} (null): degrees need both; give both, or both null "
                            "for a screen known in pixels only")
        cm = dist = None
        if d["screen_cm"] is not None:
            cm = _pair(d["screen_cm"], source, "screen_cm", "sizes in cm")
            dist = d["distance_cm"]
            if isinstance(dist, bool) or not isinstance(dist, (int, float)) or not math.isfinite(dist) or dist <= 0:
                raise UserError(f"{source}: distance_cm {dist!r}: need a finite positive number of cm")
        display = d.get("display", "fit")
        if not isinstance(display, str) or display not in DISPLAY_MODES:
            raise UserError(f"{source}: display {display!r}: choose one of {', '.join(DISPLAY_MODES)}")
        _check_plausible(px, cm, dist, source)
        g = cls((int(px[0]), int(px[1])), None if cm is None else (float(cm[0]), float(cm[1])),
                None if dist is None else float(dist), display, extra, "display" in d)
        _check_stated_ppd(g, d.get("ppd"), source)
        return g

    @classmethod
    def load(cls, path: str | Path) -> "ScreenGeometry":
        """Read a ``screen.json`` file (one UserError naming the file for any unreadable or malformed one)."""
        path = Path(path)
        d = read_json(path, f"{path} (geometry file)", "save the geometry file as UTF-8 JSON")
        return cls.from_dict(d, source=str(path))


def _is_number(v) -> bool:
    """A real number, not a bool nor text (numpy's numbers count, and a 0-d array of one: ``np.squeeze`` of a
    1x1 MATLAB value)."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _pair_of(value) -> bool:
    """Two real numbers (a tuple, list or array of them)."""
    try:
        return len(value) == 2 and all(_is_number(v) for v in value)
    except TypeError:
        return False


def _finite_positive(v) -> bool:
    """A finite real number above 0 (an integer too large for a float is not finite)."""
    if not _is_number(v):
        return False
    try:
        return math.isfinite(v) and v > 0
    except OverflowError:
        return False


MAX_SIZE = 1e6
"""The largest screen side, in pixels or cm, that a geometry takes (file or code alike)."""


def _size_ok(v) -> bool:
    """One side of ``screen_px`` or ``screen_cm``: a finite real number in (0, :data:`MAX_SIZE`]; the one bound
    of :class:`ScreenGeometry` and :meth:`ScreenGeometry.from_dict`."""
    return _finite_positive(v) and v <= MAX_SIZE


def _refuse_huge(value, source: str, key: str, need: str) -> None:
    """Refuse, naming ``key``, a JSON integer too large for a float (``1`` and 400 zeros) at ``key`` or in its
    list: ``math.isfinite`` and ``float`` raise OverflowError on it, which reached the user as a crash."""
    values = value if isinstance(value, (list, tuple)) else [value]
    if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > sys.float_info.max for v in values):
        raise UserError(f"{source}: {key}: a number too large for a float (over {sys.float_info.max:.2g}); "
                        f"need {need}")


def _pair(value, source: str, key: str, what: str) -> tuple[float, float]:
    """Two finite positive numbers ``[W, H]`` at ``key`` of a geometry file, else UserError naming both."""
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            or not all(_size_ok(v) for v in value)):
        raise UserError(f"{source}: {key} {value!r}: need two finite positive {what} [W, H], each at most {MAX_SIZE:g}")
    return float(value[0]), float(value[1])


MAX_PIXEL_ASPECT = 1.5
"""The most the pixel aspect ``ppd_x / ppd_y`` (or its inverse) may be. Real monitors have square pixels within a few
per cent (1920x1080 on 53.1x29.9 cm: 1.001); the non-square pixels of old video modes stay below 1.2 (720x480 on
16:9: 1.19); a width and height swapped gives the square of the screen's aspect (16:9: 3.2, 4:3: 1.8, 5:4: 1.56),
which maps every pixel that much taller than wide and puts sigmas and velocities off by as much."""

MAX_SPAN_DEG = 140.0
"""The most degrees a flat screen may span across either axis (``2 atan(size_cm / 2 / distance_cm)``). Eye-tracking
setups span less than about 120 deg (a 53 cm screen at 20 cm: 106 deg; spanning 140 deg at 60 cm takes a screen 3.3 m
wide); millimetres typed as centimetres at the usual 55-75 cm (473x269 at 61.5 cm: 152 deg; 473 at 75 cm: 145 deg)
or a distance in metres (0.615: 177 deg) go beyond, and every degree measure with them."""


def _check_plausible(px, cm, dist, source: str | None = None, px_from: str | None = None) -> None:
    """Refuse a complete geometry that no real display has: pixels far from square (:data:`MAX_PIXEL_ASPECT`,
    a width and height swapped) or a screen spanning more than :data:`MAX_SPAN_DEG` (mm as cm, m as cm). The keys
    are named in backticks (flags at the command line), or after ``source`` as a geometry file spells them;
    ``px_from``: the file that declared the resolution (a log), named in place of a `screen_px` never given."""
    if px is None or cm is None or dist is None:
        return

    def k(key):
        return f"`{key}`" if source is None else key

    pre = "" if source is None else f"{source}: "
    size = f"{cm[0]:g}x{cm[1]:g}"
    t = math.tan(math.radians(1.0))
    ppd_x, ppd_y = (px[i] / cm[i] * dist * t for i in (0, 1))
    if max(ppd_x / ppd_y, ppd_y / ppd_x) > MAX_PIXEL_ASPECT:
        res = (f"{k('screen_px')} {px[0]:g}x{px[1]:g}" if px_from is None else
               f"the {px[0]:g}x{px[1]:g} screen that {px_from} declares")
        fix = (f"give {k('screen_px')} and {k('screen_cm')} both as width x height" if px_from is None else
               f"give {k('screen_cm')} as width x height")
        raise UserError(f"{pre}{k('screen_cm')} {size} with {res} gives {ppd_x:.1f} pixels per degree across but "
                        f"{ppd_y:.1f} down (a real screen's pixels are square within a few %); W x H order? {fix}")
    span = [2 * math.degrees(math.atan(c / 2 / dist)) for c in cm]
    if max(span) > MAX_SPAN_DEG:
        raise UserError(f"{pre}{k('screen_cm')} {size} at {k('distance_cm')} {dist:g} spans {span[0]:.0f} x "
                        f"{span[1]:.0f} degrees (more than {MAX_SPAN_DEG:g}); cm vs mm? distance in cm? give "
                        f"{k('screen_cm')} and {k('distance_cm')} in centimetres")


PPD_TOLERANCE = 0.01
"""A geometry file's stated ``ppd`` is accepted when within this share of the one computed from it."""


def _check_stated_ppd(g: ScreenGeometry, stated, source: str) -> None:
    """Refuse a stated ``ppd`` (a geometry file's) that is not a positive number, that no physical size backs,
    or that differs from ``g.ppd`` by more than :data:`PPD_TOLERANCE`: the computed one would replace it."""
    if stated is None:
        return
    if isinstance(stated, bool) or not isinstance(stated, (int, float)) or not math.isfinite(stated) \
            or stated <= 0:
        raise UserError(f"{source}: ppd {stated!r}: need a positive number; or remove ppd (it is computed from "
                        "screen_px, screen_cm and distance_cm)")
    if not g.has_degrees:
        raise UserError(f"{source}: ppd {stated:g} without screen_cm and distance_cm: pixels per degree are "
                        "computed from the screen's size and distance, never taken as given; give screen_cm "
                        "and distance_cm, or remove ppd")
    computed = g.ppd
    if abs(stated - computed) > PPD_TOLERANCE * computed:
        raise UserError(f"{source}: ppd {stated:g} differs by more than {PPD_TOLERANCE:.0%} from the {computed:.4f} "
                        "that screen_px, screen_cm and distance_cm give (ppd = res_px / size_cm * distance_cm * "
                        "tan(1 deg), mean of x and y); remove ppd, or fix screen_cm or distance_cm")

"""``saliency crop``: saliency-aware thumbnails of a requested aspect ratio."""

from __future__ import annotations

from saliency.commands._args import add_quiet, network_size_wxh, size_or_factor
from saliency.commands import _args

NAME = "crop"
ORDER = 50
HELP = "crop images to an aspect ratio keeping the most saliency (thumbnails)"
#: options that read a folder: a file given there is refused as one (saliency.cli)
FOLDERS = ("images", "maps")
DESCRIPTION = """Crop each image to the window of the requested aspect ratio that keeps the most saliency.

The saliency comes from maps (--maps DIR, matched to the images by file stem,
resized to each image axis by axis: area-averaged along a side that shrinks,
bilinearly along one that grows) or from a
trained model (--checkpoint). An image without a map is refused, unless saliency
predict cannot read it either (it writes no map for a corrupt file or a TIFF of
floating-point samples, e.g. float32): such an image is skipped and listed as
unreadable. Files of --images whose extension is not an image extension are
left out and counted in one line. A map that is all zero (no saliency) gets the
largest centred window, counted in the summary and left out of its mean of the
saliency kept; of an image of several frames (TIFF pages, animation frames) the
first is cropped, counted in the summary too. By
default the window is the largest of that aspect that fits, placed where it
keeps the most saliency; with --keep F it is the smallest window keeping the
fraction F of the image's saliency (never smaller than --min-size); where
no window of that aspect keeps F (saliency spread wider than the aspect
allows), the largest window is used and the summary counts those images, as
it counts the images whose largest window is shorter than --min-size (that
window is used; crops.json says so: "under_min_size"). An
image too small for any window of the aspect (a 1:100 window needs 100 rows)
gets the closest window, of another aspect: crops.json says why
("off_aspect"), the summary counts those images, and --scale WxH resizes
such a crop by one factor to fit inside WxH, never stretching it. The
search is exact (summed-area table). Crops are written to --out with the same
names, in the input's own pixel format (greyscale, grey+alpha, colour, alpha
and 16-bit kept; palette images are written as RGB, or RGBA with
transparency), and crops.json records every box (x, y, w, h in the original
image's pixels, turned upright first for a photo with an EXIF orientation tag,
which is noted; and the share of saliency kept) beside the centre crop's box,
each crop's size as written (out_size, after --scale), and the --scale and
network --size of the run (null when not given; --size with --checkpoint is
its training size unless given).
With --compose thirds the window is, among those keeping at least --keep of
the saliency (default 0.8), the one that puts the saliency centroid nearest a
rule-of-thirds point (photographic composition).

examples:
  saliency crop --images S/stimuli --maps preds --aspect 1:1 --out thumbs      (preds from saliency predict)
  saliency crop --images S/stimuli --maps S/masks --aspect 16:9 --keep 0.9 --out thumbs_wide
  saliency crop --images photos --checkpoint runs/sod/checkpoints/best.pt --aspect 4:5 --compose thirds \\
      --out thumbs_thirds"""


def add_arguments(p) -> None:
    """Options of ``saliency crop``."""
    p.add_argument("--images", required=True, metavar="DIR", help="folder of images to crop")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--maps", metavar="DIR",
                     help="folder of saliency maps (PNG/JPG/NPY; a predict --log-density .npy is read as its "
                          "density), matched to the images by file stem")
    src.add_argument("--checkpoint", metavar="CKPT",
                     help="trained model checkpoint (saliency train) that predicts the maps")
    p.add_argument("--aspect", required=True, type=_args.aspect, help="aspect ratio W:H of the crops, e.g. 1:1 or 16:9")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder for the crops and crops.json")
    p.add_argument("--keep", type=_args.open_fraction, default=None,
                   help="smallest window keeping this fraction (0-1] of the saliency, instead of the largest window")
    p.add_argument("--compose", choices=["thirds"], default=None,
                   help="thirds: among windows keeping at least --keep of the saliency (default 0.8), the one "
                        "putting the saliency centroid nearest a rule-of-thirds point")
    p.add_argument("--min-size", type=_args.integer, default=None,
                   help="with --keep or --compose: the crop's shorter side is at least this many pixels "
                        "(default: 32); an image too small for it gets its largest window, counted in the "
                        "summary")
    p.add_argument("--scale", type=size_or_factor("320x180"), default=None, metavar="WxH|F",
                   help="resize each crop: to WxH pixels, or by a factor F (default: keep the crop's pixels)")
    p.add_argument("--size", type=network_size_wxh("384x288"), default=None, metavar="WxH",
                   help="with --checkpoint: network input size, width x height (default: the training size; refused "
                        "with --maps)")
    # None: not given, so that any --device with --maps (an explicit auto too) is refused, not ignored
    p.add_argument("--device", type=_args.device, default=None,
                   help="with --checkpoint: auto, cpu, cuda, cuda:N or mps (default: auto; refused with --maps)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    _args.add_max_pixels(p)
    add_quiet(p, "no progress bar")


def _first3(names: list) -> str:
    """The first three image names of a summary line, shown as paths, and " ..." when there are more."""
    from saliency.base.images import shown_path

    return ", ".join(shown_path(n) for n in names[:3]) + (" ..." if len(names) > 3 else "")


def _warn(line: str) -> None:
    """A warning or note of the run: on stderr, prefixed like predict's ("saliency crop: ..."); --quiet keeps it."""
    import sys

    print(f"saliency crop: {line}", file=sys.stderr)


def run(args) -> int:
    """Crop every image of --images and write the crops and crops.json (:func:`saliency.crop.crop_folder`)."""
    import numpy as np

    from saliency.base.images import shown_path
    from saliency.crop import COMPOSE_KEEP, MIN_SIZE, crop_folder

    res = crop_folder(args.images, args.out, args.aspect, maps=args.maps, checkpoint=args.checkpoint, keep=args.keep,
                      compose=args.compose, min_size=args.min_size, scale=args.scale, device=args.device,
                      overwrite=args.overwrite,
                      size=(args.size[1], args.size[0]) if args.size else None,  # WxH -> (h, w) of the library
                      progress=not args.quiet)
    print(f"cropped {len(res.boxes)} image(s) to {args.aspect} into {res.out}/ (boxes in crops.json)")
    if res.boxes:
        blank = list(getattr(res, "blank_maps", None) or [])
        # a blank map's 'kept' (1) measures nothing: the mean and min are over the other images
        kept = [b["crop"]["kept"] for name, b in res.boxes.items() if name not in blank]
        if kept:
            print(f"saliency kept: mean {np.mean(kept):.1%}, min {np.min(kept):.1%}"
                  + (f" ({len(blank)} blank map(s) left out)" if blank else ""))
        else:
            print(f"saliency kept: not measured: every map is blank (all zero, no saliency; {len(blank)} image(s))")
        if blank:  # never a silent centre crop
            given = ([f"--keep {args.keep:g}"] if args.keep is not None else []) + (
                [f"--compose {args.compose}"] if args.compose else [])
            asked = f", {' and '.join(given)} could not apply" if given else ""
            _warn(f"{len(blank)} image(s) with a blank map (all zero, no saliency): the largest centred window was "
                  f"used{asked} ('blank_map' in crops.json): {_first3(blank)}")
        frames = list(getattr(res, "multi_frame", None) or [])
        if frames:  # never silently one frame of several
            _warn(f"{len(frames)} image(s) of several frames (TIFF pages, animation frames): the first was cropped "
                  f"('frames' in crops.json): "
                  + ", ".join(f"{shown_path(n)} ({k} frames)" for n, k in frames[:3])
                  + (" ..." if len(frames) > 3 else ""))
        want = args.keep if args.keep is not None else (COMPOSE_KEEP if args.compose else None)
        if want is not None:
            # kept is rounded to 6 decimals in crops.json; a window that met the fraction reads >= want - 5e-7
            short = sorted(name for name, b in res.boxes.items() if b["crop"]["kept"] < want - 1e-6)
            if short:
                _warn(f"{len(short)} image(s) where no {args.aspect} window keeps {want:.1%} of the saliency: "
                      f"the largest window was used (its share is 'kept' in crops.json): "
                      f"{_first3(short)}")
        small = sorted(name for name, b in res.boxes.items() if "under_min_size" in b)
        if small:  # never silently a crop under --min-size
            m = args.min_size if args.min_size is not None else MIN_SIZE
            _warn(f"{len(small)} image(s) too small for a {args.aspect} window of --min-size {m} pixels on its "
                  f"shorter side: the largest window was used ('under_min_size' in crops.json): "
                  f"{_first3(small)}")
        off = sorted(name for name, b in res.boxes.items() if "off_aspect" in b)
        if off:  # never silently a crop of another aspect
            scaled = (f"; scaled to fit in {args.scale[0]}x{args.scale[1]}, not stretched"
                      if isinstance(args.scale, (tuple, list)) else "")
            _warn(f"{len(off)} image(s) too small for a {args.aspect} window: the closest window was used, of "
                  f"another aspect{scaled} ('off_aspect' in crops.json): "
                  f"{_first3(off)}")
    if res.skipped:
        _warn(f"skipped {len(res.skipped)} unreadable image(s): {', '.join(shown_path(p) for p in res.skipped[:3])}")
    left_out = getattr(res, "left_out", None)  # never a silent drop: the files of another extension, counted
    if left_out:
        _warn(f"--images {shown_path(args.images)}: {left_out}")
    return 0

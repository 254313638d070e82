"""``saliency crop``: saliency-aware thumbnails of a requested aspect ratio."""

from __future__ import annotations

NAME = "crop"
ORDER = 50
HELP = "crop images to an aspect ratio keeping the most saliency (thumbnails)"
DESCRIPTION = """Crop each image to the window of the requested aspect ratio that keeps the most saliency.

The saliency comes from maps (--maps DIR, matched to the images by file stem,
resized to each image bilinearly) or from a trained model (--checkpoint). By
default the window is the largest of that aspect that fits, placed where it
keeps the most saliency; with --keep F it is the smallest window keeping the
fraction F of the image's saliency (never smaller than --min-size). The
search is exact (summed-area table). Crops are written to --out with the same
names, and crops.json records every box (x, y, w, h in the original image's
pixels, and the share of saliency kept) beside the centre crop's box."""


def add_arguments(p) -> None:
    """Options of ``saliency crop``."""
    p.add_argument("--images", required=True, help="folder of images to crop")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--maps", help="folder of saliency maps (PNG/JPG/NPY), matched to the images by file stem")
    src.add_argument("--checkpoint", help="trained model checkpoint (saliency train) that predicts the maps")
    p.add_argument("--aspect", required=True, help="aspect ratio W:H of the crops, e.g. 1:1 or 16:9")
    p.add_argument("--out", required=True, help="output folder for the crops and crops.json")
    p.add_argument("--keep", type=float, default=None,
                   help="smallest window keeping this fraction (0-1] of the saliency, instead of the largest window")
    p.add_argument("--min-size", type=int, default=32,
                   help="with --keep: the crop's shorter side is at least this many pixels (default: 32)")
    p.add_argument("--scale", default=None, metavar="WxH|F",
                   help="resize each crop: to WxH pixels, or by a factor F (default: keep the crop's pixels)")
    p.add_argument("--device", default="auto", help="with --checkpoint: cpu, cuda or auto (default: auto)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _scale(text: str | None):
    from saliency.base.errors import UserError

    if text is None:
        return None
    try:
        if "x" in text.lower():
            w, h = (int(v) for v in text.lower().split("x"))
            if w > 0 and h > 0:
                return (w, h)
        else:
            f = float(text)
            if f > 0:
                return f
    except ValueError:
        pass
    raise UserError(f"--scale {text}: expected WIDTHxHEIGHT (e.g. 320x180) or a positive factor (e.g. 0.5)")


def run(args) -> int:
    """Crop every image of --images and write the crops and crops.json."""
    import cv2
    import numpy as np
    from tqdm import tqdm

    from saliency.eval.io import IMAGE_EXTS, PRED_EXTS, index_folder, read_map
    from saliency.crop import center_crop, parse_aspect, saliency_crop
    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_out_dir, staged_dir, write_json

    try:
        aspect = parse_aspect(args.aspect)
    except ValueError as exc:
        raise UserError(f"--aspect {exc}") from None
    if args.keep is not None and not 0 < args.keep <= 1:
        raise UserError(f"--keep {args.keep:g}: must be in (0, 1]")
    if args.min_size < 1:
        raise UserError(f"--min-size {args.min_size}: must be at least 1 pixel")
    scale = _scale(args.scale)
    out = check_out_dir(args.out, args.overwrite)
    images = index_folder(args.images, IMAGE_EXTS, option="--images")
    first_key: dict = {}
    for key, path in images.items():  # index_folder adds bare stems as aliases: one name per file
        first_key.setdefault(path, key)
    names = sorted(first_key.values())
    tmp = None
    if args.checkpoint:  # predict the maps first, exactly as `saliency predict` writes them
        import tempfile

        from saliency.predict import predict_folder

        tmp = tempfile.TemporaryDirectory(prefix="saliency-crop-")
        predict_folder(args.checkpoint, args.images, tmp.name, device=args.device, progress=not args.quiet)
    maps_dir = args.maps or tmp.name
    maps = index_folder(maps_dir, PRED_EXTS, option="--maps")
    missing = [n for n in names if n not in maps]
    if missing and args.maps:
        raise UserError(f"--maps {args.maps}: no map for {len(missing)} image(s), e.g. "
                        f"{', '.join(missing[:3])}; maps are matched by file stem")
    boxes, skipped = {}, []
    with staged_dir(out) as stage:
        for name in tqdm(names, desc="crop", unit="img", disable=args.quiet):
            path = images[name]
            img = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
            if img is None or name not in maps:
                skipped.append(str(path))
                continue
            h, w = img.shape[:2]
            sal = read_map(maps[name])
            if sal.shape != (h, w):
                sal = cv2.resize(sal.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
            box = saliency_crop(sal, aspect, keep=args.keep, min_size=args.min_size)
            crop = img[box.y:box.y + box.h, box.x:box.x + box.w]
            if scale is not None:
                size = scale if isinstance(scale, tuple) else (max(1, round(box.w * scale)), max(1, round(box.h * scale)))
                crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if size[0] < box.w else cv2.INTER_LINEAR)
            target = stage / f"{name}{path.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(target), crop):
                raise UserError(f"{target}: could not write the crop")
            centre = center_crop(w, h, aspect)
            boxes[name] = {"image": str(path), "size": [w, h], "crop": box.as_dict(),
                           "center": {k: v for k, v in centre.as_dict().items() if k != "kept"}}
        write_json(stage / "crops.json", {"aspect": args.aspect, "keep": args.keep, "min_size": args.min_size,
                                          "source": args.maps or args.checkpoint, "boxes": boxes,
                                          "skipped": skipped})
    if tmp is not None:
        tmp.cleanup()
    print(f"cropped {len(boxes)} image(s) to {args.aspect} into {out}/ (boxes in crops.json)")
    if boxes:
        kept = [b["crop"]["kept"] for b in boxes.values()]
        print(f"saliency kept: mean {np.mean(kept):.1%}, min {np.min(kept):.1%}")
    if skipped:
        print(f"skipped {len(skipped)} unreadable image(s): {', '.join(skipped[:3])}")
    return 0

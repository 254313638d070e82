"""``saliency predict``: saliency maps for a folder of images from a trained checkpoint."""

from __future__ import annotations

import contextlib

from saliency.commands._args import network_size_wxh, positive_int
from saliency.commands import _args

NAME = "predict"
ORDER = 35
#: options that read a folder: a file given there is refused as one (saliency.cli)
FOLDERS = ("images", "root")
HELP = "predict saliency maps for a folder of images with a trained checkpoint (8-bit PNG per image)"
DESCRIPTION = """Predict a saliency map for every image of a folder with a trained checkpoint.

  saliency predict --checkpoint runs/sod/checkpoints/best.pt --images S/stimuli --out preds
  saliency predict --checkpoint best.pt --images S/stimuli --list runs/sod/split.json --out preds
  saliency eval --task sod --pred preds --gt S/masks --allow-missing

OUT/<stem>.png: 8-bit grey at each image's own size (SOD: sigmoid of the logits;
fixation: predicted density scaled to max 255), the format saliency eval reads.
Images are resized to the network size the checkpoint was trained at (or
--size). --tta flip averages the prediction with that of the mirrored image.
Images that cannot be decoded are listed and skipped; the rest are written.
Files of --images whose extension is not an image extension (.png .jpg .jpeg
.bmp .tif .tiff .webp .pgm .ppm; hidden files aside) are left out and counted
in one line.

Classic models and centre biases (torch-free; saliency predict --list-baselines):
  saliency predict --baseline itti-koch --images D/stimuli --out preds/itti
  saliency predict --baseline centre-bias --dataset OSIE --root ../shared/data \
      --images ../shared/data/osie/stimuli --out preds/cb --log-density preds/cb_logp
--log-density DIR also writes each map as a log-density, DIR/<stem>.npy (float32,
natural log, normalised over the pixels), which saliency eval scores by
log-likelihood (LL) and information gain (IG)."""


def add_arguments(p) -> None:
    """Options of ``saliency predict``."""
    p.add_argument("--checkpoint", metavar="CKPT",
                   help="checkpoint file (RUN/checkpoints/best.pt); or give --baseline")
    p.add_argument("--baseline", metavar="NAME",
                   help="a classic model or centre bias instead of a checkpoint (see --list-baselines)")
    p.add_argument("--list-baselines", action="store_true",
                   help="print the --baseline names, one per line, and exit (every other option but --quiet is "
                        "refused with it)")
    p.add_argument("--images", metavar="DIR", help="folder of images (searched recursively; required)")
    p.add_argument("--out", metavar="DIR", help="folder for the <stem>.png maps (required)")
    p.add_argument("--log-density", metavar="DIR",
                   help="also write each fixation map as a log-density DIR/<stem>.npy (float32, natural log, "
                        "normalised over the pixels)")
    p.add_argument("--dataset", metavar="NAME",
                   help="--baseline centre-bias: the dataset whose training split it is fitted to (OSIE)")
    p.add_argument("--root", metavar="DIR", help="--baseline centre-bias: the folder holding --dataset")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder (once the new maps are complete)")
    p.add_argument("--list", metavar="FILE",
                   help="predict only these stems: a text file (one per line; blank lines skipped; a line starting "
                        "with '#' is a stem when an image has that name, else a comment, skipped and counted) or "
                        "a run's split.json (its validation ids)")
    # the checkpoint's options default to None, so that one given with --baseline (which uses none of them) is
    # refused, not ignored; run() fills in the documented defaults (CHECKPOINT_DEFAULTS) for a checkpoint
    p.add_argument("--size", type=network_size_wxh("384x288"), metavar="WxH",
                   help="with --checkpoint: network input size, width x height (default: the training size)")
    p.add_argument("--batch-size", type=positive_int, default=None, metavar="B",
                   help="with --checkpoint: images per batch (default 8)")
    p.add_argument("--device", type=_args.device, default=None, metavar="DEV",
                   help="with --checkpoint: auto, cpu, cuda, cuda:N or mps (default auto)")
    p.add_argument("--tta", choices=["none", "flip"], default=None,
                   help="with --checkpoint: test-time augmentation: flip = average with the horizontally flipped "
                        "image (default none)")
    p.add_argument("--runtime", choices=["torch", "onnx"], default=None,
                   help="with --checkpoint: torch (eager PyTorch, default) or onnx (ONNX Runtime on the CPU: about "
                        "twice as fast at batch 1 for the small models; the maps agree within float32 rounding)")
    p.add_argument("--workers", type=_args.workers(0), default=None, metavar="N",
                   help="with --checkpoint: decoding worker processes (default 0; at most the number of CPUs unless "
                        "--force-workers)")
    _args.add_force_workers(p)
    _args.add_max_pixels(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


CHECKPOINT_DEFAULTS = {"size": None, "batch_size": 8, "device": "auto", "tta": "none", "runtime": "torch",
                       "workers": 0}
"""The options only a checkpoint uses, with their defaults (a classic model or centre bias uses none of them)."""


def _checkpoint_options(args) -> None:
    """Refuse the checkpoint-only options given with --baseline (one line naming them); else fill in their defaults."""
    from saliency.base.errors import UserError

    if args.baseline:
        given = [f"--{k.replace('_', '-')} {_shown(getattr(args, k))}" for k in CHECKPOINT_DEFAULTS
                 if getattr(args, k) is not None] + (["--force-workers"] if getattr(args, "force_workers", False) else [])
        if given:
            it = "it" if len(given) == 1 else "them"
            raise UserError(f"{', '.join(given)}: {'applies' if len(given) == 1 else 'apply'} only with "
                            f"--checkpoint (--baseline {args.baseline} does not use {it}); leave {it} out")
    for k, v in CHECKPOINT_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)


#: what --list-baselines accepts beside it: --quiet (taken by every command) and the top-level parser's own
_LIST_ALONE_EXCEPT = ("list_baselines", "quiet", "debug", "command")


def _given_besides_list(args) -> list[str]:
    """The options given with ``--list-baselines`` (as typed: ``--tta flip``, ``--overwrite``), which it does not use.

    Every other option of the command defaults to None or False, so any other value was typed.
    """
    given = []
    for k, v in vars(args).items():
        if k.startswith("_") or k in _LIST_ALONE_EXCEPT or v is None or v is False:
            continue
        flag = f"--{k.replace('_', '-')}"
        given.append(flag if v is True else f"{flag} {_shown(v)}")
    return given


def _shown(value) -> str:
    """An option's value as typed: a size (w, h) as WxH."""
    return "x".join(map(str, value)) if isinstance(value, tuple) else str(value)


@contextlib.contextmanager
def _one_stage(staging):
    """``(stage, None)`` from a ``staged_dir`` context: one stage in the shape of the pair with --log-density."""
    with staging as stage:
        yield stage, None


def run(args) -> int:
    """Run ``saliency predict``."""
    import sys

    from saliency.base.errors import UserError
    from saliency.base.fsutil import check_apart, check_out_dir, staged_dir, staged_dirs
    from saliency.base.images import shown_path
    from saliency.predict import (none_decoded, predict_baseline_folder, predict_folder, read_list,
                                  several_frames_note)

    if args.list_baselines:
        from saliency.eval.baselines import list_baselines

        given = _given_besides_list(args)
        if given:  # never accepted and ignored: the names are printed, nothing is predicted
            it = "it" if len(given) == 1 else "them"
            raise UserError(f"{', '.join(given)}: not used with --list-baselines (it only prints the --baseline "
                            f"names); leave {it} out")

        print("\n".join(list_baselines()))
        return 0
    if bool(args.checkpoint) == bool(args.baseline):
        raise UserError("give --checkpoint CKPT or --baseline NAME (one of them)")
    for flag, value in (("--images", args.images), ("--out", args.out)):
        if not value:
            raise UserError(f"{flag} DIR is required")
    if (args.dataset or args.root) and args.baseline != "centre-bias":
        raise UserError("--dataset and --root are used with --baseline centre-bias")
    _checkpoint_options(args)
    if args.workers < 0:
        raise UserError(f"--workers {args.workers}: must be 0 or more")
    if args.checkpoint and args.workers:  # room for the DataLoader workers' open files, before anything is read
        from saliency.runtime import open_files_for

        open_files_for(args.workers, args.batch_size)
    inputs = {"images": args.images, "checkpoint": args.checkpoint, "list": args.list, "root": args.root}
    inputs = {k: v for k, v in inputs.items() if v}
    out = check_out_dir(args.out, args.overwrite, inputs=inputs)
    ld = None
    if args.log_density:
        ld = check_out_dir(args.log_density, args.overwrite, "log_density", inputs=inputs)
        check_apart(ld, {"out": str(out)}, "log_density", outputs=True)
    only = read_list(args.list) if args.list else None
    size = (args.size[1], args.size[0]) if args.size else None  # WxH on the command line, (h, w) in the library
    # --out and --log-density are swapped in together or not at all (staged_dirs): a refusal of either keeps both
    staging = (staged_dirs([(out, "out"), (ld, "log_density")], inputs=inputs) if ld
               else _one_stage(staged_dir(out, inputs=inputs)))
    with staging as (stage, ld_stage):
        if args.baseline:
            res = predict_baseline_folder(args.baseline, args.images, stage, only=only, progress=not args.quiet,
                                          log_density_out=ld_stage, dataset=args.dataset, root=args.root,
                                          staged=True)
        else:
            res = predict_folder(args.checkpoint, args.images, stage, size=size, batch_size=args.batch_size,
                                 device=args.device, tta=args.tta == "flip", workers=args.workers, only=only,
                                 progress=not args.quiet, runtime=args.runtime, log_density_out=ld_stage,
                                 staged=True)
        if not res.written:  # one line (issue 16): the count and the first reason, not a line per image
            raise none_decoded(args.images, res.skipped)
    for path, why in res.skipped:  # the reason names the file already (eval.io.read_image): named once
        shown = shown_path(path)
        why = why[len(shown) + 2:] if why.startswith(f"{shown}: ") else why
        print(f"saliency predict: skipped {shown}: {why}", file=sys.stderr)
    if res.unmatched:  # never a silent drop: the ids of --list that name no image, counted and shown
        ex = ", ".join(map(shown_path, res.unmatched[:5])) + (", ..." if len(res.unmatched) > 5 else "")
        print(f"saliency predict: {len(res.unmatched)} id(s) of --list {shown_path(args.list)} name no image in "
              f"--images {shown_path(args.images)}, not predicted: {ex}", file=sys.stderr)
    left_out = getattr(res, "left_out", None)  # never a silent drop: the files of another extension, counted
    if left_out:
        print(f"saliency predict: --images {shown_path(args.images)}: {left_out}", file=sys.stderr)
    if getattr(res, "comments", None):  # the '#' lines of --list skipped as comments, counted on a line of their own
        print(f"saliency predict: {res.comments}", file=sys.stderr)
    frames = several_frames_note(getattr(res, "multi_frame", None))  # never silently one page of several
    if frames:
        print(f"saliency predict: {frames}", file=sys.stderr)
    from saliency.eval.tables import counted

    rate = len(res.written) / max(res.seconds, 1e-9)
    print(f"wrote {counted(len(res.written), 'map')} to {out}/ ({rate:.1f} img/s)"
          + (f"; skipped {len(res.skipped)} image(s), each named above" if res.skipped else ""))
    return 0

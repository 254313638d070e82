"""``saliency export``: write a network as ONNX with dynamic height and width.

Calls :func:`saliency.models.export.export_checkpoint` (TorchScript-based
exporter, opset 17; unless ``--no-check``, onnxruntime runs the file at two
input sizes) and prints the largest difference from PyTorch.
"""

from __future__ import annotations

from saliency.commands._args import add_quiet, size_wxh
from saliency.commands import _args

NAME = "export"
HELP = "export a trained checkpoint (or an untrained registered model) to ONNX with dynamic H, W"
ORDER = 70
DESCRIPTION = HELP + """

The ONNX graph takes `image` (N x 3 x H x W float RGB in [0, 1]; normalisation
is inside) and returns `saliency` (N x 1 x H x W: SOD logits, or fixation
log-density). H and W are free, except for a coarse-to-fine model: its graph
keeps the top_k it refines, so an input needs at least top_k cells of
patch_size pixels, a part cell at the right or bottom edge counted:
ceil(H / patch_size) x ceil(W / patch_size) >= top_k (c2f_tiny_cbam_*: 4 cells
of 64 px: 65x65 (2 x 2 cells), 128x128 or 256x64 (4 x 1) will do; a --size of
64x64 (1 cell) or 192x64 (3) is refused). A checkpoint is a torch file holding
the model's `config` (model.config) and `state_dict` (see models.checkpoint_payload).

examples:
  saliency export --checkpoint runs/sod/checkpoints/best.pt --onnx sod.onnx
  saliency export --model unet_tiny_cbam_sod --onnx tiny.onnx
"""


def add_arguments(parser) -> None:
    """Options of ``saliency export``."""
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", metavar="CKPT", help="checkpoint file with 'config' and 'state_dict'")
    src.add_argument("--model", metavar="NAME", help="registered model name (untrained weights; see `saliency models`)")
    parser.add_argument("--onnx", required=True, metavar="FILE", help="output .onnx file")
    parser.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    parser.add_argument("--size", type=size_wxh(32, 8192, "320x320", square=True), default=(320, 320),
                        metavar="WxH", help="size of the tracing input, width x height or one number for a square "
                                            "(the graph accepts other sizes too, but a coarse-to-fine model's only "
                                            "those with at least its top_k cells of patch_size px, a part cell "
                                            "counted: for c2f_tiny_cbam_* 4 cells of 64 px, e.g. 65x65 or 128x128, "
                                            "not 64x64; default 320x320)")
    parser.add_argument("--opset", type=_args.opset, default=17,
                        help=f"ONNX opset, {_args.OPSET_RANGE[0]} to {_args.OPSET_RANGE[1]} "
                             "(>= 16 for grid_sample; default 17)")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the onnxruntime comparison with PyTorch at two input sizes")
    parser.add_argument("--seed", type=_args.seed, default=None,  # None: not typed (refused with --checkpoint)
                        help="seed for an untrained --model's weights (default 0; refused with --checkpoint)")
    add_quiet(parser, "accepted as by every command; export prints no progress")


def run(args) -> int:
    """Export (:func:`saliency.models.export.export_checkpoint`) and print what was written and checked."""
    import sys

    from saliency.base.errors import UserError
    from saliency.models.export import export_checkpoint

    if args.seed is not None and args.checkpoint:  # never recorded or implied as applied when it is not
        raise UserError(f"--seed {args.seed}: not used with --checkpoint (its trained weights are exported); "
                        "leave it out")
    w, h = args.size
    res = export_checkpoint(args.onnx, checkpoint=args.checkpoint, model=args.model, height=h, width=w,
                            opset=args.opset, check=not args.no_check, seed=args.seed or 0, overwrite=args.overwrite)
    msg = f"wrote {res.path} ({res.name}, task {res.task}, dynamic N/H/W)"
    if res.ort_missing:
        print(f"{msg}; not checked: onnxruntime {res.ort_problem}", file=sys.stderr)
        return 0
    if res.max_diff is not None:
        sizes = " and ".join(f"{sw}x{sh}" for sh, sw in res.check_sizes)
        msg += f"; onnxruntime vs PyTorch max |diff| = {res.max_diff:.2e} at {sizes}"
    print(msg)
    return 0

"""``saliency export``: write a network as ONNX with dynamic height and width.

Wraps :func:`models.export.export_onnx` (TorchScript-based exporter, opset
17) and, unless ``--no-check``, runs the file with onnxruntime at two input
sizes and reports the largest difference from PyTorch.
"""

from __future__ import annotations

from saliency.commands._args import add_quiet, size_wxh

NAME = "export"
HELP = "export a trained checkpoint (or an untrained registered model) to ONNX with dynamic H, W"
ORDER = 70
DESCRIPTION = HELP + """

The ONNX graph takes `image` (N x 3 x H x W float RGB in [0, 1]; normalisation
is inside) and returns `saliency` (N x 1 x H x W: SOD logits, or fixation
log-density). A checkpoint is a torch file holding the model's `config`
(model.config) and `state_dict` (see models.checkpoint_payload).

examples:
  saliency export --checkpoint runs/sod/best.pt --onnx sod.onnx
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
                                            "(the graph accepts any size; default 320x320)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (>= 16 for grid_sample; default 17)")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the onnxruntime comparison with PyTorch at two input sizes")
    parser.add_argument("--seed", type=int, default=0, help="seed for an untrained --model's weights (default 0)")
    add_quiet(parser, "accepted as by every command; export prints no progress")


def run(args) -> int:
    """Export, then (optionally) verify with onnxruntime."""
    import sys
    from pathlib import Path

    from saliency.base.errors import UserError

    out = Path(args.onnx)
    if out.exists() and not args.overwrite:
        raise UserError(f"--onnx {out}: exists; pass --overwrite to replace it")
    if out.is_dir():
        raise UserError(f"--onnx {out}: is a folder; give a file name")
    if args.opset < 16:
        raise UserError("--opset: must be >= 16 (grid_sample)")
    import torch

    from saliency import models
    from saliency.models.export import check_onnx, export_onnx

    if args.checkpoint:
        model = models.load_checkpoint(args.checkpoint)
    else:
        torch.manual_seed(args.seed)
        model = models.create_model(args.model)
    model.eval()
    w, h = args.size
    export_onnx(model, out, h, w, opset=args.opset)
    msg = f"wrote {out} ({model.config.get('name', 'model')}, task {model.task}, dynamic N/H/W)"
    if not args.no_check:
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            print(f"{msg}; not checked: onnxruntime is not installed", file=sys.stderr)
            return 0
        err = check_onnx(model, out, sizes=((h, w), (h + 37, w - 19)))
        msg += f"; onnxruntime vs PyTorch max |diff| = {err:.2e} at {w}x{h} and {w - 19}x{h + 37}"
        if err > 1e-3:
            raise UserError(f"--onnx {out}: written, but onnxruntime differs from PyTorch by {err:.2e}")
    print(msg)
    return 0

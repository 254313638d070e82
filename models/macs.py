"""Counting a model's size: parameters and multiply-accumulates of one forward pass.

MACs are counted with PyTorch's own FLOP counter
(``torch.utils.flop_counter.FlopCounterMode``, which counts 2 FLOPs per
multiply-add of convolutions and matrix products), so MACs = FLOPs / 2; it
counts convolutions, linear layers and matrix products, not element-wise
operations, pooling or interpolation -- the same convention as the usual
thop/ptflops "GMACs" of papers (e.g. U2-Net's 58.6 GMAC at 320 x 320).

Split out of :mod:`saliency.models.profile` so that the coarse-to-fine model
(:func:`saliency.models.coarse_to_fine.compute_savings`) can count MACs
without importing the profiler, which builds models through the registry.
"""

from __future__ import annotations

import torch


def _flop_counter():
    """``FlopCounterMode``, imported when MACs are counted, never at import of the models.

    On a CUDA build without triton, importing ``torch.utils.flop_counter`` logs "triton not found; flop counting
    will not work for triton kernels", a line on the stderr of every command that imported the models
    (``saliency predict`` printed it beside its own message). Triton kernels are never counted here (CPU,
    convolutions and matrix products), so that warning is silenced.
    """
    import logging

    logging.getLogger("torch.utils.flop_counter").setLevel(logging.ERROR)
    from torch.utils.flop_counter import FlopCounterMode

    return FlopCounterMode


def count_params(model: torch.nn.Module) -> int:
    """Number of parameters (trainable or not)."""
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def count_macs(model, height: int = 320, width: int = 320, sample: torch.Tensor | None = None) -> int:
    """Multiply-accumulates of one forward pass at batch 1 (eval mode of a Module)."""
    if isinstance(model, torch.nn.Module):
        was = model.training
        model.eval()
    x = sample if sample is not None else torch.rand(1, 3, height, width)
    try:
        with _flop_counter()(display=False) as counter:
            model(x)
    finally:
        if isinstance(model, torch.nn.Module):
            model.train(was)
    return counter.get_total_flops() // 2

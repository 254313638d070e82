"""Coarse-to-fine attention: a cheap pass everywhere, a costly pass where it matters.

Dynamic capacity networks (Almahairi, Ballas, Cooijmans, Zheng, Larochelle,
Courville, ICML 2016, arXiv:1511.07838): a cheap coarse network runs over the
whole input, a saliency criterion picks the top-k input patches, and an
expensive fine network reprocesses only those; its output replaces the coarse
one there. The zoom-in of RA-CNN (Fu, Zheng, Mei, CVPR 2017) motivates
running the fine branch at full resolution on a crop of the attended region.

Here: the coarse branch is a :class:`models.networks.UNetCore` on the input
downscaled by ``coarse_scale``; its logits, upsampled to the input size, give
a per-cell score on a grid of ``patch_size`` x ``patch_size`` cells
(``select="salient"``: mean sigmoid(logit) of the cell's pixels inside the image, the DCN/RA-CNN
"most salient"; ``select="uncertain"``: mean 4 p (1 - p), which favours
object boundaries). The top-k cells, each cropped with ``context`` pixels of
surrounding context, go to the fine branch at full resolution, which also
sees the coarse probability as a fourth input channel; the centre of its
output replaces the coarse logits in those cells. Selection is
non-differentiable (as in DCN); both branches learn through the final output,
and the coarse output is a deep-supervision side output.

Departures from DCN: no hint loss and no gradient-of-entropy saliency
criterion; the top-k is fixed per image (``top_k``; fewer when the image has
fewer cells). :func:`compute_savings` measures the MACs saved against running
the fine branch over the whole input.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from saliency.models.macs import count_macs
from saliency.models.networks import SaliencyModel, UNetCore


class CoarseToFine(SaliencyModel):
    """Coarse network everywhere, fine network on the top-k patches."""

    def __init__(self, config: dict, pretrained: bool = False, pretrained_file: str | None = None):
        super().__init__(config)
        cc = dict(config["coarse"])
        fc = dict(config["fine"])
        self.coarse = UNetCore(pretrained=pretrained, pretrained_file=pretrained_file, **cc)
        self.fine = UNetCore(in_chans=4, side_outputs=False, **fc)
        self.config["coarse"]["decoder_channels"] = list(self.coarse.decoder_channels)
        self.config["fine"]["decoder_channels"] = list(self.fine.decoder_channels)
        self.use_encoder_normalization(self.coarse.encoder)
        self.coarse_scale = float(config.get("coarse_scale", 0.5))
        self.patch_size = int(config.get("patch_size", 64))
        self.context = int(config.get("context", 8))
        self.top_k = int(config.get("top_k", 4))
        self.select = config.get("select", "salient")
        if self.select not in ("salient", "uncertain"):
            raise ValueError(f"select must be 'salient' or 'uncertain', got {self.select!r}")
        if not 0 < self.coarse_scale <= 1 or self.patch_size < 8 or self.top_k < 1 or self.context < 0:
            raise ValueError("need 0 < coarse_scale <= 1, patch_size >= 8, top_k >= 1, context >= 0")

    def coarse_logits(self, xn: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Coarse (main, [sides]) logits at the input size for a normalised input."""
        size = xn.shape[-2:]
        if self.coarse_scale != 1 and not torch.jit.is_tracing():
            self._check_coarse_size(int(size[0]), int(size[1]))
        xs = F.interpolate(xn, scale_factor=self.coarse_scale, mode="bilinear", align_corners=False,
                           recompute_scale_factor=False) if self.coarse_scale != 1 else xn
        main, sides = self.coarse(xs)
        up = [F.interpolate(t, size=size, mode="bilinear", align_corners=False) for t in [main] + sides]
        return up[0], up[1:]

    def min_side(self) -> int:
        """The smallest input side that ``coarse_scale`` leaves at least 1 pixel (the coarse size is floored)."""
        m = max(1, math.ceil(1 / self.coarse_scale))
        while m > 1 and math.floor((m - 1) * self.coarse_scale) >= 1:
            m -= 1
        while math.floor(m * self.coarse_scale) < 1:
            m += 1
        return m

    def _check_coarse_size(self, h: int, w: int) -> None:
        """Refuse an input whose downscaled coarse copy would have a side of 0 (torch's error came from deep inside)."""
        hs, ws = math.floor(h * self.coarse_scale), math.floor(w * self.coarse_scale)
        if hs < 1 or ws < 1:
            need = self.min_side()
            raise ValueError(f"input size {h}x{w} is too small for `coarse_scale`={self.coarse_scale:g}: the coarse "
                             f"branch would see {hs}x{ws}; each side of the input `x` must be at least {need} pixels "
                             f"(or raise `coarse_scale`)")

    def cell_scores(self, coarse: torch.Tensor, pad_h, pad_w, prob: torch.Tensor | None = None) -> torch.Tensor:
        """N x L score per grid cell (row-major) from coarse logits (``prob``: their sigmoid, if at hand)."""
        p = torch.sigmoid(coarse.float()) if prob is None else prob.float()
        if self.select == "uncertain":
            p = 4 * p * (1 - p)
        # a cell cut by the image edge: the mean over its pixels inside the image (zeros padded in would
        # count as p = 0 and keep edge cells from ever being refined); no branch on the padding, so that
        # a graph traced at one size is right at every size
        inside = F.avg_pool2d(F.pad(torch.ones_like(p[:1, :1]), (0, pad_w, 0, pad_h)), self.patch_size)
        return (F.avg_pool2d(F.pad(p, (0, pad_w, 0, pad_h)), self.patch_size) / inside).flatten(1)

    def gather_windows(self, fin: torch.Tensor, idx: torch.Tensor, nw) -> torch.Tensor:
        """The selected cells' windows of ``fin`` (N x C x H x W), context included: (N*k) x C x win x win.

        Window ``j`` of image ``b`` covers rows ``r*P - context ... r*P + P + context - 1``
        (``r, c = divmod(idx[b, j], nw)``), columns alike; indices outside the
        image are clamped to its edge, which is replicate padding. Only the
        k windows are read, instead of unfolding all L cells and keeping k.
        """
        n, ch, h, w = fin.shape
        P, c = self.patch_size, self.context
        k = idx.shape[1]
        off = torch.arange(P + 2 * c, device=fin.device) - c
        r0 = torch.div(idx, nw, rounding_mode="floor") * P                           # N x k
        c0 = (idx - torch.div(idx, nw, rounding_mode="floor") * nw) * P
        rows = (r0.reshape(-1, 1) + off).clamp(0, h - 1)                              # N*k x win
        cols = (c0.reshape(-1, 1) + off).clamp(0, w - 1)
        b = torch.arange(n, device=fin.device).repeat_interleave(k)                   # N*k
        chans = torch.arange(ch, device=fin.device)
        return fin[b[:, None, None, None], chans[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]

    def logits(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Pre-head (main, [coarse main, coarse sides]) at the input size."""
        xn = self.normalize(x)
        n, _, h, w = xn.shape
        P, c = self.patch_size, self.context
        coarse, csides = self.coarse_logits(xn)
        pad_h = (P - h % P) % P
        pad_w = (P - w % P) % P
        nh, nw = (h + pad_h) // P, (w + pad_w) // P
        prob = torch.sigmoid(coarse)
        scores = self.cell_scores(coarse.detach(), pad_h, pad_w, prob=prob.detach())
        k = self.top_k if torch.jit.is_tracing() else min(self.top_k, scores.shape[1])
        idx = top_cells(scores, k)                                                  # N x k
        # Fine input: RGB + coarse probability, with context, replicate-padded.
        crops = self.gather_windows(torch.cat([xn, prob], dim=1), idx, nw)
        fmain, _ = self.fine(crops)
        fmain = fmain[:, :, c:c + P, c:c + P].reshape(n, k, P * P).permute(0, 2, 1)  # N x P*P x k
        # Coarse cells as N x P*P x L, replace the selected ones, reassemble.
        cp = F.pad(coarse, (0, pad_w, 0, pad_h), mode="replicate")
        cells = cp.reshape(n, nh, P, nw, P).permute(0, 2, 4, 1, 3).reshape(n, P * P, nh * nw)
        cells = cells.scatter(2, idx.unsqueeze(1).expand(-1, P * P, -1), fmain.to(cells.dtype))
        out = cells.reshape(n, P, P, nh, nw).permute(0, 3, 1, 4, 2).reshape(n, 1, nh * P, nw * P)
        out = out[:, :, :h, :w]
        sides = [coarse] + csides if self.training else []
        return out, sides


def top_cells(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Indices (N x k) of the ``k`` highest ``scores`` per row; among equal scores the lowest index first.

    That is ONNX ``TopK``'s rule, so the exported graph refines the same cells
    as PyTorch on a uniform frame (blank images, letterbox bars), where every
    cell scores the same; ``torch.topk`` breaks such ties in no stated order.
    Traced for export, ``torch.topk`` itself becomes that ``TopK``.
    """
    if torch.jit.is_tracing():
        return torch.topk(scores, k, dim=1).indices
    return torch.sort(scores, dim=1, descending=True, stable=True).indices[:, :k]


def compute_savings(model: CoarseToFine, height: int = 320, width: int = 320) -> dict:
    """MACs of the coarse-to-fine model against the fine branch run over the whole input.

    Returns ``{"c2f_gmac", "fine_everywhere_gmac", "coarse_gmac", "saved_fraction"}``;
    "fine everywhere" is the coarse pass plus the fine branch on the full
    image (what the fine branch would cost without attention-driven selection).
    """
    was = model.training
    model.eval()
    try:
        total = count_macs(model, height, width)
        xs = torch.zeros(1, 3, height, width)
        coarse = count_macs(lambda t: model.coarse_logits(model.normalize(t)), height, width, sample=xs)
        fine_full = count_macs(model.fine, height, width, sample=torch.zeros(1, 4, height, width))
    finally:
        model.train(was)
    everywhere = coarse + fine_full
    return {"c2f_gmac": total / 1e9, "coarse_gmac": coarse / 1e9, "fine_everywhere_gmac": everywhere / 1e9,
            "saved_fraction": 1.0 - total / everywhere}

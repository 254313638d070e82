"""Residual attention module.

Wang, Jiang, Qian, Yang, Li, Zhang, Wang, Tang, "Residual Attention Network
for Image Classification", CVPR 2017 (arXiv:1704.06904). A trunk branch T and
a soft mask branch M; the output is (1 + M(x)) * T(x), so that a mask of
zeros leaves the trunk unchanged ("attention residual learning"). The mask
branch is bottom-up top-down: ``depth`` times max-pool (stride 2) and a
residual unit, then as many bilinear upsamplings, each added to a skip
residual unit of the same scale, then two 1x1 convolutions and a sigmoid.

Departures: residual units are pre-activation bottlenecks (C -> C/r -> C,
r = 4 by default, as the paper's units); the trunk has ``trunk_blocks``
residual units, 0 by default, so that the module is a pure gate
(T = identity) when used at a decoder skip connection where the decoder
already supplies the processing; set ``trunk_blocks=2`` for the paper's
trunk. Upsampling is to the exact size of the finer scale, so odd sizes
work.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from saliency.models.attention._common import hidden_channels, make_layer


class PreActBottleneck(nn.Module):
    """Pre-activation residual unit x + f(x) with a C/r bottleneck."""

    def __init__(self, channels: int, reduction: float = 4, act_layer="relu"):
        super().__init__()
        mid = hidden_channels(channels, reduction, 4)
        self.body = nn.Sequential(
            nn.BatchNorm2d(channels), make_layer(act_layer), nn.Conv2d(channels, mid, 1, bias=False),
            nn.BatchNorm2d(mid), make_layer(act_layer), nn.Conv2d(mid, mid, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid), make_layer(act_layer), nn.Conv2d(mid, channels, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x + f(x)``."""
        return x + self.body(x)


class ResidualAttention(nn.Module):
    """(1 + M(x)) * T(x) with a bottom-up top-down soft mask M in (0, 1)."""

    def __init__(self, channels: int, reduction: float = 4, act_layer="relu", gate_layer="sigmoid",
                 depth: int = 2, trunk_blocks: int = 0):
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.trunk = nn.Sequential(*[PreActBottleneck(channels, reduction, act_layer) for _ in range(trunk_blocks)])
        self.down = nn.ModuleList(PreActBottleneck(channels, reduction, act_layer) for _ in range(depth))
        self.skips = nn.ModuleList(PreActBottleneck(channels, reduction, act_layer) for _ in range(depth - 1))
        self.up = nn.ModuleList(PreActBottleneck(channels, reduction, act_layer) for _ in range(depth - 1))
        self.mask_out = nn.Sequential(
            nn.BatchNorm2d(channels), make_layer(act_layer), nn.Conv2d(channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels), make_layer(act_layer), nn.Conv2d(channels, channels, 1, bias=True),
        )
        self.gate = make_layer(gate_layer, "gate_layer")

    def mask(self, x: torch.Tensor) -> torch.Tensor:
        """The soft mask M(x), same shape as ``x``, values in (0, 1)."""
        sizes, skips = [], []
        h = x
        for i, unit in enumerate(self.down):
            sizes.append(h.shape[-2:])
            h = unit(F.max_pool2d(h, 2, ceil_mode=True))
            if i < len(self.skips):
                skips.append(self.skips[i](h))
        for i in reversed(range(len(self.up))):
            h = F.interpolate(h, size=sizes[i + 1], mode="bilinear", align_corners=False) + skips[i]
            h = self.up[i](h)
        h = F.interpolate(h, size=sizes[0], mode="bilinear", align_corners=False)
        return self.gate(self.mask_out(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return (1 + M(x)) * T(x)."""
        return (1 + self.mask(x)) * self.trunk(x)

"""Concurrent spatial and channel squeeze-and-excitation (scSE).

Roy, Navab, Wachinger, "Concurrent Spatial and Channel 'Squeeze &
Excitation' in Fully Convolutional Networks", MICCAI 2018 (arXiv:1803.02579).
cSE: global average pool -> FC(C/r) -> ReLU -> FC(C) -> sigmoid, rescales
channels (r = 2 in the paper). sSE: a 1x1 convolution C -> 1 and a sigmoid,
rescales locations. scSE = cSE(x) + sSE(x) (element-wise addition, the
paper's choice; ``combine="max"`` gives the max variant of its journal
version). segmentation_models_pytorch uses the same design with r = 16.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from saliency.models.attention._common import hidden_channels, make_layer


class SCSEModule(nn.Module):
    """Sum (or max) of channel- and spatially-recalibrated inputs."""

    def __init__(self, channels: int, reduction: float = 2, act_layer="relu", gate_layer="sigmoid",
                 combine: str = "add", min_channels: int = 1):
        super().__init__()
        if combine not in ("add", "max"):
            raise ValueError(f"combine must be 'add' or 'max', got {combine!r}")
        hidden = hidden_channels(channels, reduction, min_channels)
        self.cse = nn.Sequential(nn.Conv2d(channels, hidden, 1), make_layer(act_layer, "act_layer"),
                                 nn.Conv2d(hidden, channels, 1))
        self.sse = nn.Conv2d(channels, 1, 1)
        self.gate = make_layer(gate_layer, "gate_layer")
        self.combine = combine

    def channel_gate(self, x: torch.Tensor) -> torch.Tensor:
        """N x C x 1 x 1 channel gate."""
        return self.gate(self.cse(x.mean(dim=(2, 3), keepdim=True)))

    def spatial_gate(self, x: torch.Tensor) -> torch.Tensor:
        """N x 1 x H x W spatial gate."""
        return self.gate(self.sse(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x * cgate + x * sgate (or their element-wise max)."""
        c = x * self.channel_gate(x)
        s = x * self.spatial_gate(x)
        return c + s if self.combine == "add" else torch.maximum(c, s)

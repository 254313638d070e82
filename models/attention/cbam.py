"""Convolutional block attention module (CBAM).

Woo, Park, Lee, Kweon, "CBAM: Convolutional Block Attention Module",
ECCV 2018 (arXiv:1807.06521). Channel gate first: the average- and the
max-pooled descriptors go through ONE shared MLP (C -> C/r -> C, ReLU, with
bias as in the authors' code), are summed and squashed by a sigmoid. Then the
spatial gate: [max, mean] over channels (max first, as the authors'
``ChannelPool``) -> 7x7 convolution -> sigmoid.

Departures: the authors' spatial branch has a BatchNorm after the 7x7
convolution; here the convolution has a bias and no norm (batch statistics of
a 1-channel map are fragile at batch size 1, and the paper's text does not
mention it). timm's ``CbamModule`` differs more: its MLP has no bias and it
orders the spatial descriptors [mean, max].
"""

from __future__ import annotations

import torch
import torch.nn as nn

from saliency.models.attention._common import hidden_channels, make_layer


class CBAM(nn.Module):
    """Channel gate then spatial gate, each a sigmoid in (0, 1)."""

    def __init__(self, channels: int, reduction: float = 16, act_layer="relu", gate_layer="sigmoid",
                 kernel_size: int = 7, min_channels: int = 1):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        hidden = hidden_channels(channels, reduction, min_channels)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=True),
            make_layer(act_layer, "act_layer"),
            nn.Conv2d(hidden, channels, 1, bias=True),
        )
        self.spatial = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=True)
        self.gate = make_layer(gate_layer, "gate_layer")

    def channel_gate(self, x: torch.Tensor) -> torch.Tensor:
        """N x C x 1 x 1 gate: sigmoid(MLP(avgpool x) + MLP(maxpool x))."""
        avg = x.mean(dim=(2, 3), keepdim=True)
        mx = x.amax(dim=(2, 3), keepdim=True)
        return self.gate(self.mlp(avg) + self.mlp(mx))

    def spatial_gate(self, x: torch.Tensor) -> torch.Tensor:
        """N x 1 x H x W gate: sigmoid(conv7x7([max_c x, mean_c x]))."""
        desc = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        return self.gate(self.spatial(desc))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the channel gate, then the spatial gate of the result."""
        x = x * self.channel_gate(x)
        return x * self.spatial_gate(x)

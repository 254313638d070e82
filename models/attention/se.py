"""Squeeze-and-excitation (SE) block.

Hu, Shen, Sun, "Squeeze-and-Excitation Networks", CVPR 2018 (arXiv:1709.01507).
Global average pool -> FC(C/r) -> ReLU -> FC(C) -> sigmoid, and the input's
channels are rescaled by that gate. The two FC layers are 1x1 convolutions
with bias, as in the paper's Caffe models; r = 16 by default.

Departure: the hidden width is ``max(round(C / r), min_channels)`` with
``min_channels = 1`` by default (the paper only used C >= 64).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from saliency.models.attention._common import hidden_channels, make_layer


class SEModule(nn.Module):
    """Squeeze-and-excitation: rescale channels by a learned gate in (0, 1)."""

    def __init__(self, channels: int, reduction: float = 16, act_layer="relu", gate_layer="sigmoid",
                 min_channels: int = 1):
        super().__init__()
        hidden = hidden_channels(channels, reduction, min_channels)
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=True)
        self.act = make_layer(act_layer, "act_layer")
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=True)
        self.gate = make_layer(gate_layer, "gate_layer")

    def channel_gate(self, x: torch.Tensor) -> torch.Tensor:
        """The N x C x 1 x 1 excitation for ``x``."""
        s = x.mean(dim=(2, 3), keepdim=True)
        return self.gate(self.fc2(self.act(self.fc1(s))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x`` with every channel multiplied by its gate."""
        return x * self.channel_gate(x)

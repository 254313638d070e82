"""Selective kernel (SK) convolution.

Li, Wang, Hu, Yang, "Selective Kernel Networks", CVPR 2019
(arXiv:1903.06586). Split: two grouped branches, a 3x3 convolution and a 3x3
convolution with dilation 2 (the paper's cheap stand-in for 5x5), each with
BatchNorm and ReLU. Fuse: the branches are summed, global-average pooled and
reduced by an FC to d = max(C / r, L) with L = 32 (BN, ReLU). Select: one FC
per branch maps back to C, a softmax ACROSS branches gives per-channel branch
weights that sum to 1, and the output is the weighted sum of the branches.

Departure: the group count is the largest of 32, 16, ..., 1 that divides C
(the paper uses G = 32 on channel counts that it divides).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from saliency.models.attention._common import make_layer


def _groups_for(channels: int, max_groups: int = 32) -> int:
    g = max_groups
    while g > 1 and channels % g:
        g //= 2
    return max(g, 1)


class SKConv(nn.Module):
    """Two-branch selective kernel convolution (output has the input's channels)."""

    def __init__(self, channels: int, reduction: float = 16, act_layer="relu", gate_layer="softmax",
                 min_channels: int = 32, groups: int | None = None, dilations=(1, 2)):
        super().__init__()
        if gate_layer != "softmax":
            raise ValueError("SKConv selects branches with a softmax across branches; gate_layer must be 'softmax'")
        if reduction <= 0:  # as hidden_channels (se, cbam, scse): 0 divided by zero, a negative one built
            raise ValueError(f"reduction must be > 0, got {reduction}")
        groups = groups or _groups_for(channels)
        if channels % groups:
            raise ValueError(f"groups={groups} does not divide channels={channels}")
        self.branches = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=d, dilation=d, groups=groups, bias=False),
                nn.BatchNorm2d(channels),
                make_layer(act_layer, "act_layer"),
            )
            for d in dilations
        )
        d = max(int(channels / reduction), int(min_channels))
        self.fuse = nn.Sequential(nn.Conv2d(channels, d, 1, bias=False), nn.BatchNorm2d(d),
                                  make_layer(act_layer, "act_layer"))
        self.select = nn.Conv2d(d, channels * len(dilations), 1, bias=True)
        self.num_branches = len(dilations)

    def branch_weights(self, feats: list[torch.Tensor]) -> torch.Tensor:
        """N x B x C x 1 x 1 softmax weights across the B branch outputs ``feats``."""
        u = torch.stack(feats, dim=1).sum(dim=1)
        z = self.fuse(u.mean(dim=(2, 3), keepdim=True))
        a = self.select(z)
        n, _, _, _ = a.shape
        a = a.reshape(n, self.num_branches, -1, 1, 1)
        return torch.softmax(a, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Weighted sum of the branches, weights chosen per channel from the input."""
        feats = [b(x) for b in self.branches]
        w = self.branch_weights(feats)
        return (torch.stack(feats, dim=1) * w).sum(dim=1)

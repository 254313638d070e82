"""Spatial transformer (STN) on an image or a feature map.

Jaderberg, Simonyan, Zisserman, Kavukcuoglu, "Spatial Transformer Networks",
NeurIPS 2015 (arXiv:1506.02025). A localisation network regresses the 6
parameters of an affine map theta; ``affine_grid`` turns theta into a
sampling grid and ``grid_sample`` (bilinear) resamples the input. The last
layer of the localisation network is initialised to the identity (weight 0,
bias [1, 0, 0, 0, 1, 0]) so that training starts from "no warp". The same
``align_corners`` (False) is passed to both ``affine_grid`` and
``grid_sample``: with it, the identity theta samples exactly the pixel
centres and reproduces the input.

Departure: the localisation network ends in an adaptive average pool to a
fixed 4x4 grid, so that it accepts any input size (the paper's MNIST nets had
a fixed input size). ``inverse_warp`` maps a result computed in the warped
frame back to the input frame (used by the networks' optional input STN).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from models.attention._common import make_layer

ALIGN_CORNERS = False


class SpatialTransformer(nn.Module):
    """Affine spatial transformer whose output has the input's shape."""

    def __init__(self, channels: int, reduction: float = 16, act_layer="relu", gate_layer=None,
                 hidden: int | None = None, padding_mode: str = "zeros"):
        super().__init__()
        if gate_layer not in (None, "none"):
            raise ValueError("SpatialTransformer has no gate; leave gate_layer unset")
        mid = hidden or max(8, min(32, int(channels / reduction) if channels >= reduction else channels))
        self.loc = nn.Sequential(
            nn.Conv2d(channels, mid, 7, padding=3),
            nn.MaxPool2d(2, ceil_mode=True),
            make_layer(act_layer, "act_layer"),
            nn.Conv2d(mid, mid, 5, padding=2),
            nn.MaxPool2d(2, ceil_mode=True),
            make_layer(act_layer, "act_layer"),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(mid * 16, 32),
            make_layer(act_layer, "act_layer"),
        )
        self.theta_head = nn.Linear(32, 6)
        nn.init.zeros_(self.theta_head.weight)
        with torch.no_grad():
            self.theta_head.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]))
        self.padding_mode = padding_mode

    def theta(self, x: torch.Tensor) -> torch.Tensor:
        """N x 2 x 3 affine parameters predicted for ``x``."""
        return self.theta_head(self.loc(x)).reshape(-1, 2, 3)

    def warp(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        """Resample ``x`` with the affine ``theta`` (output grid of ``x``'s size)."""
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=ALIGN_CORNERS)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode=self.padding_mode,
                             align_corners=ALIGN_CORNERS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Warp ``x`` by the theta its localisation network predicts."""
        return self.warp(x, self.theta(x))


def invert_theta(theta: torch.Tensor) -> torch.Tensor:
    """Inverse of N x 2 x 3 affine maps (as 3 x 3 homogeneous matrices), float32."""
    a = theta[:, :, :2].float()
    t = theta[:, :, 2:].float()
    det = a[:, 0, 0] * a[:, 1, 1] - a[:, 0, 1] * a[:, 1, 0]
    inv = torch.stack([torch.stack([a[:, 1, 1], -a[:, 0, 1]], -1),
                       torch.stack([-a[:, 1, 0], a[:, 0, 0]], -1)], 1) / det.reshape(-1, 1, 1)
    return torch.cat([inv, -inv @ t], dim=2)


def inverse_warp(y: torch.Tensor, theta: torch.Tensor, padding_mode: str = "border") -> torch.Tensor:
    """Map ``y``, computed on the warped input, back to the input's frame."""
    inv = invert_theta(theta)
    grid = F.affine_grid(inv.to(y.dtype), list(y.shape), align_corners=ALIGN_CORNERS)
    return F.grid_sample(y, grid, mode="bilinear", padding_mode=padding_mode, align_corners=ALIGN_CORNERS)

"""Spatial transformer (STN) on an image or a feature map.

Jaderberg, Simonyan, Zisserman, Kavukcuoglu, "Spatial Transformer Networks",
NeurIPS 2015 (arXiv:1506.02025). A localisation network regresses the 6
parameters of an affine map theta; ``affine_grid`` turns theta into a
sampling grid and ``grid_sample`` (bilinear) resamples the input. The last
layer of the localisation network is initialised to the identity (weight 0,
bias [1, 0, 0, 0, 1, 0]) so that training starts from "no warp". The same
``align_corners`` (False) is passed to both ``affine_grid`` and
``grid_sample``: with it, the identity theta samples exactly the pixel
centres and reproduces the input (exactly up to rounding: in float32,
``grid_sample``'s (x + 1) W / 2 un-normalisation is off by about W * 6e-8
pixels, i.e. < 1e-5 for maps up to ~160 pixels wide, ~2e-5 at 320). The
last layer, the grid and the sampling run in float32 with autocast off: a
bf16 grid (autocast's matmul) was off by up to 0.25 px at 320 wide.

Departure: the localisation network first resizes its input bilinearly to a
fixed ``loc_size`` x ``loc_size`` (32) grid, so that it accepts any input
size, stays cheap on large maps and exports to ONNX with dynamic sizes (the
paper's localisation nets had a fixed input size). ``inverse_warp`` maps a result computed in the warped
frame back to the input frame (used by the networks' optional input STN).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from saliency.models.attention._common import make_layer

ALIGN_CORNERS = False


class SpatialTransformer(nn.Module):
    """Affine spatial transformer whose output has the input's shape."""

    def __init__(self, channels: int, reduction: float = 16, act_layer="relu", gate_layer=None,
                 hidden: int | None = None, padding_mode: str = "zeros", loc_size: int = 32):
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
            nn.Flatten(),
            nn.Linear(mid * math.ceil(math.ceil(loc_size / 2) / 2) ** 2, 32),
            make_layer(act_layer, "act_layer"),
        )
        self.theta_head = nn.Linear(32, 6)
        nn.init.zeros_(self.theta_head.weight)
        with torch.no_grad():
            self.theta_head.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]))
        self.padding_mode = padding_mode
        self.loc_size = int(loc_size)

    def theta(self, x: torch.Tensor) -> torch.Tensor:
        """N x 2 x 3 affine parameters predicted for ``x``, float32 (the last layer outside autocast)."""
        small = F.interpolate(x, size=(self.loc_size, self.loc_size), mode="bilinear", align_corners=False)
        feat = self.loc(small)
        with torch.autocast(x.device.type, enabled=False):  # in the head's own dtype (float32, or float64)
            return self.theta_head(feat.to(self.theta_head.weight.dtype)).reshape(-1, 2, 3)

    def warp(self, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        """Resample ``x`` with the affine ``theta`` (output grid of ``x``'s size), in ``x``'s dtype."""
        return _sample(x, theta, self.padding_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Warp ``x`` by the theta its localisation network predicts."""
        return self.warp(x, self.theta(x))


def _sample(x: torch.Tensor, theta: torch.Tensor, padding_mode: str) -> torch.Tensor:
    """``grid_sample`` of ``x`` on the grid of ``theta``, computed in float32 with autocast off.

    Under bf16 autocast the grid's matmul would run in bf16 (8 significant
    bits): the identity theta then moved pixels by up to 0.25 px at 320 wide.
    At least float32 (float64 stays float64); the result is cast back to ``x``'s dtype.
    """
    dt = torch.promote_types(x.dtype, torch.float32)  # bf16/fp16 up to float32; float64 stays
    with torch.autocast(x.device.type, enabled=False):
        grid = affine_grid(theta.to(dt), x)
        out = F.grid_sample(x.to(dt), grid, mode="bilinear", padding_mode=padding_mode,
                            align_corners=ALIGN_CORNERS)
    return out.to(x.dtype)

def affine_grid(theta: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``F.affine_grid(theta, like.shape, align_corners=False)`` from plain ops.

    Written out (pixel-centre coordinates (2 j + 1) / W - 1) so that the ONNX
    export does not need opset 20's ``AffineGrid``; equal to PyTorch's.
    """
    h, w = like.shape[-2:]
    xs = (torch.arange(w, device=like.device, dtype=theta.dtype) * 2 + 1) / w - 1
    ys = (torch.arange(h, device=like.device, dtype=theta.dtype) * 2 + 1) / h - 1
    gx = xs[None, :, None].expand(h, w, 1)
    gy = ys[:, None, None].expand(h, w, 1)
    base = torch.cat([gx, gy, torch.ones_like(gx)], dim=-1).reshape(1, -1, 3)   # 1 x HW x 3
    grid = base @ theta.transpose(1, 2)                                          # N x HW x 2
    return grid.reshape(theta.shape[0], h, w, 2)


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
    return _sample(y, invert_theta(theta), padding_mode)

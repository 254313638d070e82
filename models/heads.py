"""Output heads: SOD logits, and fixation log-density with a centre-bias prior.

SOD head: the decoder's one-channel logits, unchanged (no sigmoid inside, so
that ``binary_cross_entropy_with_logits`` and autocast are safe).

Fixation head: a log-density over pixels. A learnable centre-bias prior, a
mixture of K Gaussians in normalised image coordinates (the learned priors of
SAM, Cornia et al., TIP 2018, and UNISAL, Droste et al., ECCV 2020), is added
to the logits in log space -- log sum_k w_k N(u, v; mu_k, diag(sigma_k^2)) --
and the sum is normalised by a log-softmax over H x W (DeepGaze's
log-density with a centre-bias prior, Kuemmerer et al.), so that
logsumexp over the map is 0 and exp(output) sums to 1. Computed in float32.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn


class SODHead(nn.Module):
    """Identity on the logits (kept as a module for a uniform interface)."""

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        """Return the logits unchanged."""
        return logits


def log_softmax_2d(x: torch.Tensor) -> torch.Tensor:
    """Log-softmax over H x W of an N x 1 x H x W tensor, in float32."""
    n, c, h, w = x.shape
    return torch.log_softmax(x.float().reshape(n, c, -1), dim=-1).reshape(n, c, h, w)


class CentreBiasPrior(nn.Module):
    """Learnable mixture-of-Gaussians log prior over normalised coordinates."""

    def __init__(self, num_gaussians: int = 3, init_sigma: float = 0.25):
        super().__init__()
        if num_gaussians < 1:
            raise ValueError(f"num_gaussians must be >= 1, got {num_gaussians}")
        offsets = torch.linspace(-0.1, 0.1, num_gaussians) if num_gaussians > 1 else torch.zeros(1)
        mu = torch.stack([0.5 + 0 * offsets, 0.5 + offsets], dim=1)  # (u, v); spread vertically
        self.mu = nn.Parameter(mu)
        self.log_sigma = nn.Parameter(torch.full((num_gaussians, 2), math.log(init_sigma)))
        self.weight_logits = nn.Parameter(torch.zeros(num_gaussians))

    def forward(self, height: int, width: int, like: torch.Tensor) -> torch.Tensor:
        """1 x 1 x H x W log prior (float32) for a map of size ``height`` x ``width``."""
        dev = like.device
        v = (torch.arange(height, device=dev, dtype=torch.float32) + 0.5) / height
        u = (torch.arange(width, device=dev, dtype=torch.float32) + 0.5) / width
        mu = self.mu.float()
        sig = self.log_sigma.float().exp()
        du = (u[None, :] - mu[:, 0:1]) / sig[:, 0:1]            # K x W
        dv = (v[None, :] - mu[:, 1:2]) / sig[:, 1:2]            # K x H
        logw = torch.log_softmax(self.weight_logits.float(), dim=0)
        lognorm = logw - self.log_sigma.float().sum(dim=1) - math.log(2 * math.pi)
        comp = lognorm[:, None, None] - 0.5 * (dv[:, :, None] ** 2 + du[:, None, :] ** 2)  # K x H x W
        return torch.logsumexp(comp, dim=0)[None, None]


class FixationHead(nn.Module):
    """logits + log centre-bias prior, then log-softmax over H x W."""

    def __init__(self, num_gaussians: int = 3, init_sigma: float = 0.25):
        super().__init__()
        self.prior = CentreBiasPrior(num_gaussians, init_sigma)

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        """N x 1 x H x W log-density (float32)."""
        h, w = logits.shape[-2:]
        return log_softmax_2d(logits.float() + self.prior(h, w, logits))


def create_head(task: str, **kwargs) -> nn.Module:
    """The head of ``task`` ("sod" or "fixation")."""
    if task == "sod":
        if kwargs:
            raise TypeError(f"the SOD head takes no options, got {sorted(kwargs)}")
        return SODHead()
    if task == "fixation":
        return FixationHead(**kwargs)
    raise ValueError(f"task must be 'sod' or 'fixation', got {task!r}")

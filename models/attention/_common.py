"""Shared helpers of the attention modules: activation/gate lookup by name.

Every attention module takes the channel count as its first positional
argument and the same keyword names, as timm's ``layers/create_attn.py``
does: ``reduction`` (channel reduction ratio r of the bottleneck MLP),
``act_layer`` (hidden activation) and ``gate_layer`` (the squashing gate).
Both layers may be given as a class or as a name (``"relu"``, ``"sigmoid"``
...), so that a model config stays JSON-able.
"""

from __future__ import annotations

import torch.nn as nn

_LAYERS = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "swish": nn.SiLU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
    "hard_sigmoid": nn.Hardsigmoid,
    "tanh": nn.Tanh,
}


def get_layer(layer, what: str = "layer"):
    """Return an ``nn.Module`` class from a class or a name in ``_LAYERS``."""
    if isinstance(layer, str):
        key = layer.lower()
        if key not in _LAYERS:
            raise ValueError(f"unknown {what} {layer!r}; valid: {', '.join(sorted(_LAYERS))}")
        return _LAYERS[key]
    if isinstance(layer, type) and issubclass(layer, nn.Module):
        return layer
    raise TypeError(f"{what} must be a name or an nn.Module class, got {layer!r}")


def make_layer(layer, what: str = "layer") -> nn.Module:
    """Instantiate ``layer`` (class or name) with its default arguments."""
    return get_layer(layer, what)()


def hidden_channels(channels: int, reduction: float, min_channels: int = 1) -> int:
    """Bottleneck width ``max(round(channels / reduction), min_channels)``."""
    if reduction <= 0:
        raise ValueError(f"reduction must be > 0, got {reduction}")
    return max(int(round(channels / reduction)), int(min_channels), 1)

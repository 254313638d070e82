"""Attention modules by name: ``create_attention(name, channels, **kw)``.

One string -> class factory, channels first, shared keyword names
(``reduction``, ``act_layer``, ``gate_layer``), after timm's
``layers/create_attn.py``. Each module cites its paper in its own file:

- ``se``: squeeze-and-excitation (Hu et al. 2018), :mod:`models.attention.se`
- ``cbam``: CBAM (Woo et al. 2018), :mod:`models.attention.cbam`
- ``sk``: selective kernel (Li et al. 2019), :mod:`models.attention.sk`
- ``stn``: spatial transformer (Jaderberg et al. 2015), :mod:`models.attention.stn`
- ``residual``: residual attention (Wang et al. 2017), :mod:`models.attention.residual`
- ``scse``: concurrent spatial/channel SE (Roy et al. 2018), :mod:`models.attention.scse`

``"none"`` gives ``nn.Identity`` (the ablation baseline).
"""

from __future__ import annotations

import inspect

import torch.nn as nn

from saliency.models.attention.cbam import CBAM
from saliency.models.attention.residual import ResidualAttention
from saliency.models.attention.scse import SCSEModule
from saliency.models.attention.se import SEModule
from saliency.models.attention.sk import SKConv
from saliency.models.attention.stn import SpatialTransformer
from saliency.models.errors import UnknownNameError

_ATTENTION = {
    "cbam": CBAM,
    "residual": ResidualAttention,
    "scse": SCSEModule,
    "se": SEModule,
    "sk": SKConv,
    "stn": SpatialTransformer,
}


def list_attention() -> list[str]:
    """Names accepted by :func:`create_attention` (besides ``"none"``), sorted."""
    return sorted(_ATTENTION)


def attention_options(name: str | None) -> frozenset[str]:
    """Keyword arguments that :func:`create_attention` takes for ``name`` (none for ``None`` / ``"none"``).

    An unknown name raises :class:`models.errors.UnknownNameError`, as :func:`create_attention` does.
    """
    if name is None or name == "none":
        return frozenset()
    key = str(name).lower()
    if key not in _ATTENTION:
        raise UnknownNameError(f"unknown attention {name!r}; valid: none, {', '.join(list_attention())}")
    params = list(inspect.signature(_ATTENTION[key]).parameters.values())[1:]  # after `channels`
    return frozenset(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def create_attention(name: str | None, channels: int, **kwargs) -> nn.Module:
    """Build the attention module ``name`` for ``channels`` channels.

    ``None`` or ``"none"`` returns ``nn.Identity()`` and takes no keyword
    arguments. An unknown name raises :class:`models.errors.UnknownNameError`
    listing the valid names; unknown keyword arguments raise ``TypeError``
    (never silently ignored).
    """
    if name is None or name == "none":
        if kwargs:
            raise TypeError(f"attention 'none' (no attention) takes no options, got {sorted(kwargs)}; "
                            f"drop `attention_kwargs` or pick an attention: {', '.join(list_attention())}")
        return nn.Identity()
    key = str(name).lower()
    if key not in _ATTENTION:
        raise UnknownNameError(f"unknown attention {name!r}; valid: none, {', '.join(list_attention())}")
    return _ATTENTION[key](channels, **kwargs)


__all__ = ["CBAM", "ResidualAttention", "SCSEModule", "SEModule", "SKConv", "SpatialTransformer",
           "attention_options", "create_attention", "list_attention"]

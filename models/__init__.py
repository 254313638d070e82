"""Attention modules, encoder-decoder saliency networks, heads and losses (torch).

Public entry points:

- :func:`create_model`, :func:`list_models`, :func:`create_model_from_config`
  (:mod:`models.registry`; the table of names is data in :mod:`models.zoo`);
- :func:`read_checkpoint` (the one reader of checkpoint files) and
  :func:`load_checkpoint`;
- :func:`create_attention`, :func:`list_attention` (:mod:`models.attention`);
- losses in :mod:`models.losses`; ONNX export in :mod:`models.export`.

Model contract: input N x 3 x H x W RGB in [0, 1] (normalised inside); eval
mode returns one N x 1 x H x W tensor (SOD logits, or fixation log-density
whose logsumexp over H x W is 0); train mode returns ``(main, [sides])``.
"""

from saliency.models.attention import create_attention, list_attention
from saliency.models.registry import (checkpoint_payload, create_model, create_model_from_config, list_models,
                                      load_checkpoint, read_checkpoint)

__all__ = ["create_model", "list_models", "create_model_from_config", "create_attention", "list_attention",
           "checkpoint_payload", "load_checkpoint", "read_checkpoint"]

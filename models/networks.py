"""Attention-augmented encoder-decoder saliency networks.

:class:`UNetCore` is encoder (timm ``features_only`` backbone or the built-in
tiny one, :mod:`models.encoders`) + top-down decoder with attention at every
skip and deep supervision (:mod:`models.decoder`) + an optional spatial
transformer stage on the input (Jaderberg et al. 2015,
:mod:`models.attention.stn`): the input is warped, the network runs on the
warped image, and the logits are warped back with the inverse affine map so
that they stay aligned with the input.

:class:`SaliencyModel` is what the registry returns: ImageNet mean/std
normalisation inside (input: RGB in [0, 1]), the task head
(:mod:`models.heads`), and the output contract of the toolkit -- eval mode:
one N x 1 x H x W tensor; train mode: ``(main, [side outputs])``, all at the
input resolution.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from saliency.models.attention.stn import SpatialTransformer, inverse_warp
from saliency.models.decoder import UNetDecoder
from saliency.models.encoders import create_encoder
from saliency.models.heads import create_head

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_CAST = {torch.float32: "x.float()", torch.float64: "x.double()", torch.float16: "x.half()",
         torch.bfloat16: "x.bfloat16()"}
"""How ``x`` is cast to a model dtype, for :meth:`SaliencyModel.normalize`'s message."""

TINY_DECODER = (16, 24, 32, 48, 64)
TIMM_DECODER = (32, 64, 128, 256, 256)


def default_decoder_channels(encoder: str, num_features: int) -> list[int]:
    """Decoder widths, finest first, for an encoder with ``num_features`` maps."""
    base = TINY_DECODER if encoder == "tiny" else TIMM_DECODER
    if num_features <= len(base):
        return list(base[-num_features:])
    return [base[0]] * (num_features - len(base)) + list(base)


def _resize(x: torch.Tensor, size) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class UNetCore(nn.Module):
    """Encoder-decoder on a normalised input, returning logits at input size."""

    def __init__(self, encoder: str = "tiny", attention: str | None = None, attention_kwargs: dict | None = None,
                 decoder_channels=None, input_stn: bool = False, encoder_kwargs: dict | None = None,
                 in_chans: int = 3, pretrained: bool = False, pretrained_file: str | None = None,
                 side_outputs: bool = True):
        super().__init__()
        ekw = dict(encoder_kwargs or {})
        if pretrained_file is not None:
            ekw["pretrained_file"] = pretrained_file
        self.encoder = create_encoder(encoder, pretrained=pretrained, in_chans=in_chans, **ekw)
        chans = self.encoder.channels
        dec = list(decoder_channels) if decoder_channels else default_decoder_channels(encoder, len(chans))
        self.decoder_channels = dec
        self.decoder = UNetDecoder(chans, dec, attention, attention_kwargs, side_outputs)
        self.stn = SpatialTransformer(in_chans) if input_stn else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(main logits, [side logits]) at the input's size."""
        size = x.shape[-2:]
        theta = None
        if self.stn is not None:
            theta = self.stn.theta(x)
            x = self.stn.warp(x, theta)
        main, sides = self.decoder(self.encoder(x))
        main = _resize(main, size)
        sides = [_resize(s, size) for s in sides] if self.training else []
        if theta is not None:
            main = inverse_warp(main, theta)
            sides = [inverse_warp(s, theta) for s in sides]
        return main, sides


class SaliencyModel(nn.Module):
    """Base: normalisation, head and the eval/train output contract."""

    def __init__(self, config: dict):
        super().__init__()
        self.config = copy.deepcopy(config)
        self.task = config["task"]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).reshape(1, 3, 1, 1), persistent=False)
        self.head = create_head(self.task, **config.get("head", {}))

    def use_encoder_normalization(self, encoder: nn.Module) -> None:
        """Normalise as ``encoder``'s timm weights were trained (its ``pretrained_cfg`` mean/std).

        ImageNet's mean/std for the tiny encoder and for timm models whose
        configuration states none; most timm ImageNet weights state exactly
        these, but e.g. Inception and BiT weights were trained on inputs
        scaled by mean 0.5 / std 0.5, and were fed ImageNet-scaled ones.
        """
        cfg = getattr(getattr(encoder, "model", None), "pretrained_cfg", None) or {}
        mean, std = cfg.get("mean"), cfg.get("std")
        if mean is not None and std is not None and len(mean) == 3 and len(std) == 3:
            self.mean.copy_(torch.tensor(mean, dtype=self.mean.dtype).reshape(1, 3, 1, 1))
            self.std.copy_(torch.tensor(std, dtype=self.std.dtype).reshape(1, 3, 1, 1))

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Mean/std normalisation of an RGB input in [0, 1] (ImageNet's, or the encoder's weights').

        ``x`` is a float tensor of the model's dtype (under autocast, any float dtype); a NumPy array or another
        dtype is refused (TypeError naming ``x``) rather than failing deep inside a convolution.
        """
        if not isinstance(x, torch.Tensor):
            kind = type(x).__name__ if type(x).__module__ == "builtins" else f"{type(x).__module__}.{type(x).__name__}"
            raise TypeError(f"the input image `x` must be a torch tensor, got {kind}; convert it first, e.g. "
                            "torch.from_numpy(x) for an N x 3 x H x W float32 NumPy array")
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected an N x 3 x H x W RGB tensor, got shape {tuple(x.shape)}")
        if not x.is_floating_point():  # uint8 (torchvision.io.read_image): the mean/std cast to it are 0, x / 0
            raise TypeError(f"the input image `x` must be floating point RGB in [0, 1], got {x.dtype}; "
                            f"scale it to 0-1 floats first, e.g. x.float() / 255")
        if x.dtype != self.mean.dtype and not torch.is_autocast_enabled(x.device.type):
            raise TypeError(f"the input image `x` is {x.dtype} but the model is {self.mean.dtype}; convert one to "
                            f"the other, e.g. {_CAST.get(self.mean.dtype, 'x.to(<model dtype>)')}")
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def logits(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Pre-head (main, [sides]) for a raw [0, 1] input; subclasses implement."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor):
        """Eval: N x 1 x H x W (SOD logits / fixation log-density); train: (main, [sides])."""
        main, sides = self.logits(x)
        main = self.head(main)
        if not self.training:
            return main
        return main, [self.head(s) for s in sides]


class UNetSaliency(SaliencyModel):
    """U-Net style saliency network with attention at the skip connections."""

    def __init__(self, config: dict, pretrained: bool = False, pretrained_file: str | None = None):
        super().__init__(config)
        self.core = UNetCore(encoder=config["encoder"], attention=config.get("attention"),
                             attention_kwargs=config.get("attention_kwargs"),
                             decoder_channels=config.get("decoder_channels"),
                             input_stn=config.get("input_stn", False),
                             encoder_kwargs=config.get("encoder_kwargs"),
                             pretrained=pretrained, pretrained_file=pretrained_file)
        self.config["decoder_channels"] = list(self.core.decoder_channels)
        self.use_encoder_normalization(self.core.encoder)

    def logits(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Pre-head (main, [sides]) at the input size."""
        return self.core(self.normalize(x))

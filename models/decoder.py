"""U-Net / FPN-style top-down decoder with attention at every skip connection.

Ronneberger, Fischer, Brox, "U-Net", MICCAI 2015 (arXiv:1505.04597) for the
top-down path with concatenated skips; Lin et al., "Feature Pyramid
Networks", CVPR 2017 for reading every scale; deep supervision (Lee et al.,
"Deeply-Supervised Nets", AISTATS 2015; as in U2-Net and BASNet) gives one
1-channel side output per decoder stage.

Stage i (finest = 0) takes the decoder output of stage i + 1, upsampled
bilinearly to the exact size of encoder feature i (so odd input sizes work),
concatenates the attended skip ``attention_i(feature_i)`` and applies two
3x3 conv-BN-ReLU. The deepest feature goes through its own attention and a
"centre" block with a global-context branch (global average pool -> 1x1
conv, broadcast and added, as in PSPNet's image pooling), so that even a
small encoder sees the whole image.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from saliency.models.attention import create_attention
from saliency.models.encoders import conv_bn_act


class DecoderBlock(nn.Module):
    """Upsample, concatenate the attended skip, two 3x3 conv-BN-ReLU."""

    def __init__(self, cin: int, cskip: int, cout: int, attention: str | None, attention_kwargs: dict):
        super().__init__()
        self.attention = create_attention(attention, cskip, **attention_kwargs)
        self.conv = nn.Sequential(conv_bn_act(cin + cskip, cout), conv_bn_act(cout, cout))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        """Fuse the coarser decoder map ``x`` with the encoder map ``skip``."""
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, self.attention(skip)], dim=1))


class CentreBlock(nn.Module):
    """Attention on the deepest feature, 3x3 conv, plus a global-context term."""

    def __init__(self, cin: int, cout: int, attention: str | None, attention_kwargs: dict):
        super().__init__()
        self.attention = create_attention(attention, cin, **attention_kwargs)
        self.conv = conv_bn_act(cin, cout)
        self.context = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """conv(att(x)) + context(mean(att(x)))."""
        x = self.attention(x)
        return self.conv(x) + self.context(x.mean(dim=(2, 3), keepdim=True))


class UNetDecoder(nn.Module):
    """Top-down decoder: main logits and (``side_outputs``) one side logit map per coarser stage."""

    def __init__(self, encoder_channels, decoder_channels, attention: str | None = None,
                 attention_kwargs: dict | None = None, side_outputs: bool = True):
        super().__init__()
        enc = list(encoder_channels)
        dec = list(decoder_channels)
        if len(dec) != len(enc):
            raise ValueError(f"decoder_channels needs {len(enc)} entries (one per encoder feature), got {len(dec)}")
        kw = dict(attention_kwargs or {})
        self.centre = CentreBlock(enc[-1], dec[-1], attention, kw)
        self.blocks = nn.ModuleList(
            DecoderBlock(dec[i + 1], enc[i], dec[i], attention, kw) for i in range(len(enc) - 1)
        )
        self.sides = nn.ModuleList(nn.Conv2d(c, 1, 3, padding=1) for c in (dec if side_outputs else dec[:1]))
        self.side_outputs = side_outputs

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Return (finest logits, [side logits from the coarser stages, coarse to fine])."""
        x = self.centre(feats[-1])
        sides = [self.sides[-1](x)] if self.side_outputs else []
        for i in reversed(range(len(self.blocks))):
            x = self.blocks[i](x, feats[i])
            if self.side_outputs and i:
                sides.append(self.sides[i](x))
        return self.sides[0](x), sides

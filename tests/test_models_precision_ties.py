"""Models at the edges of their arithmetic: bf16 autocast, tied cell scores, cells cut by the image edge, and
the input scaling a timm encoder's weights expect.

Oracles: the identity warp reproduces its input (a map whose value is the
column index, so an error reads in pixels); ONNX ``TopK``'s published tie
rule (lowest index first); cell means worked by hand; timm's own
``resolve_model_data_config`` for the encoder's mean/std.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from saliency import models
from saliency.models.registry import create_model_from_config
from saliency.models.attention.stn import SpatialTransformer, inverse_warp
from saliency.models.coarse_to_fine import top_cells


def test_identity_spatial_transformer_stays_exact_under_bf16_autocast():
    # before: theta and the sampling grid were bf16 under autocast (8 significant bits): 0.25 px off at 320 wide
    w = 320
    x = torch.arange(w, dtype=torch.float32).repeat(1, 1, 4, 1)
    stn = SpatialTransformer(1).eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        theta = stn.theta(x)
        y = stn(x)
        back = inverse_warp(x, torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]))
    assert theta.dtype == torch.float32 and y.dtype == x.dtype
    # float32 un-normalisation is off by about W * 6e-8 px (module docstring): 2e-5 at 320
    assert (y - x).abs().max().item() < 1e-4
    assert (back - x).abs().max().item() < 1e-4


def test_top_cells_breaks_ties_by_lowest_index_as_onnx_topk():
    scores = torch.tensor([[0.1, 0.5, 0.5, 0.9, 0.5, 0.5], [0.5] * 6])
    assert top_cells(scores, 3).tolist() == [[3, 1, 2], [0, 1, 2]]


@pytest.mark.parametrize("select, expected", [("salient", [0.6, 0.99]), ("uncertain", [0.96, 1.0])])
def test_a_cell_cut_by_the_image_edge_is_scored_by_its_pixels_inside(select, expected):
    m = models.create_model("c2f_tiny_cbam_sod")
    m.select = select
    p = torch.full((1, 1, 64, 80), 0.6)
    p[..., 64:] = 0.99 if select == "salient" else 0.5  # the second cell: 16 columns inside, 48 padded
    s = m.cell_scores(torch.logit(p), 0, 48, prob=p)
    # hand-worked: salient = mean p; uncertain = mean 4 p (1 - p) = 4 * 0.6 * 0.4 = 0.96, and 1 at p = 0.5
    # float32 pooling sums 4,096 values: about 3e-5 relative; the old zero-padded means were 0.2475 and 0.25
    np.testing.assert_allclose(s[0].numpy(), expected, rtol=1e-4)


@pytest.mark.parametrize("encoder", ["mobilevit_xxs", "test_resnet.r160_in1k", "lcnet_050.ra2_in1k"])
def test_the_model_scales_its_input_as_its_timm_encoder_weights_expect(encoder):
    # before: ImageNet mean/std whatever the encoder (mobilevit: mean 0 std 1; test_resnet: 0.5 / 0.5)
    import timm

    ref = timm.data.resolve_model_data_config(timm.create_model(encoder))
    c2f = copy.deepcopy(models.create_model("c2f_tiny_cbam_sod").config)
    c2f["coarse"].update(encoder=encoder, decoder_channels=None)
    for m in (models.create_model("unet_mobilenetv3_cbam_sod", encoder=encoder), create_model_from_config(c2f)):
        np.testing.assert_allclose(m.mean.flatten().numpy(), ref["mean"], rtol=1e-6)
        np.testing.assert_allclose(m.std.flatten().numpy(), ref["std"], rtol=1e-6)
    tiny = models.create_model("unet_tiny_cbam_sod")  # no timm weights: ImageNet's
    np.testing.assert_allclose(tiny.mean.flatten().numpy(), (0.485, 0.456, 0.406), rtol=1e-6)

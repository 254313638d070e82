"""Attention modules: shapes, gate ranges and closed-form cases.

Oracles: numpy re-implementations of each paper's formula with the module's
own weights (independent code path), and hand-set weights whose output is
known in closed form (a zero mask, a constant gate, a one-pixel shift).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from saliency.models import create_attention, list_attention
from saliency.models.attention.stn import affine_grid, invert_theta, inverse_warp

torch.manual_seed(0)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().numpy()


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


@pytest.mark.parametrize("name", list_attention())
@pytest.mark.parametrize("size", [(17, 23), (8, 8)])
def test_shape_preserved(name, size):
    m = create_attention(name, 32).eval()
    x = torch.randn(2, 32, *size)
    with torch.no_grad():
        y = m(x)
    assert y.shape == x.shape and torch.isfinite(y).all()


def test_list_and_identity():
    assert list_attention() == ["cbam", "residual", "scse", "se", "sk", "stn"]
    assert isinstance(create_attention("none", 8), torch.nn.Identity)
    with pytest.raises(TypeError):
        create_attention("se", 8, reduciton=4)  # misspelled keyword: an error, not a warning


def test_se_matches_numpy_formula():
    m = create_attention("se", 32, reduction=16)
    x = torch.randn(2, 32, 5, 7)
    w1, b1 = _np(m.fc1.weight)[:, :, 0, 0], _np(m.fc1.bias)
    w2, b2 = _np(m.fc2.weight)[:, :, 0, 0], _np(m.fc2.bias)
    assert w1.shape == (2, 32)  # C / r
    s = _np(x).mean(axis=(2, 3))
    gate = _sigmoid(np.maximum(s @ w1.T + b1, 0) @ w2.T + b2)
    np.testing.assert_allclose(_np(m(x)), _np(x) * gate[:, :, None, None], rtol=1e-5, atol=1e-6)
    g = m.channel_gate(x)
    assert (g > 0).all() and (g < 1).all()


def test_cbam_matches_numpy_formula():
    m = create_attention("cbam", 16, reduction=4)
    x = torch.randn(2, 16, 6, 9)
    w1, b1 = _np(m.mlp[0].weight)[:, :, 0, 0], _np(m.mlp[0].bias)
    w2, b2 = _np(m.mlp[2].weight)[:, :, 0, 0], _np(m.mlp[2].bias)
    xn = _np(x)

    def mlp(v):
        return np.maximum(v @ w1.T + b1, 0) @ w2.T + b2

    cg = _sigmoid(mlp(xn.mean(axis=(2, 3))) + mlp(xn.max(axis=(2, 3))))
    xc = xn * cg[:, :, None, None]
    desc = np.stack([xc.max(axis=1), xc.mean(axis=1)], axis=1)  # [max, mean], as the authors
    k = _np(m.spatial.weight)[0]                                # 2 x 7 x 7
    pad = np.pad(desc, ((0, 0), (0, 0), (3, 3), (3, 3)))
    conv = np.zeros((2, 6, 9))
    for i in range(6):
        for j in range(9):
            conv[:, i, j] = (pad[:, :, i:i + 7, j:j + 7] * k).sum(axis=(1, 2, 3))
    sg = _sigmoid(conv + _np(m.spatial.bias)[0])
    np.testing.assert_allclose(_np(m(x)), xc * sg[:, None], rtol=1e-5, atol=1e-6)
    for gate in (m.channel_gate(x), m.spatial_gate(x)):
        assert (gate > 0).all() and (gate < 1).all()


def test_sk_branch_weights_sum_to_one_and_closed_form():
    m = create_attention("sk", 32).eval()
    assert m.fuse[0].out_channels == 32  # d = max(C / 16, 32)
    assert create_attention("sk", 1024).fuse[0].out_channels == 64
    x = torch.randn(2, 32, 9, 11)
    with torch.no_grad():
        feats = [b(x) for b in m.branches]
        w = m.branch_weights(feats)
        assert w.shape == (2, 2, 32, 1, 1)
        torch.testing.assert_close(w.sum(1), torch.ones(2, 32, 1, 1))
        # Zero selection weights: softmax of equal logits -> the mean of the branches.
        m.select.weight.zero_()
        m.select.bias.zero_()
        torch.testing.assert_close(m(x), (feats[0] + feats[1]) / 2)
        # A large bias on branch 0 selects the 3x3 branch alone.
        m.select.bias[:32] = 50.0
        torch.testing.assert_close(m(x), feats[0])
    assert m.branches[1][0].dilation == (2, 2)


@pytest.mark.parametrize("channels,size,dtype,tol", [
    (3, (241, 317), torch.float64, 1e-5),
    (3, (241, 317), torch.float32, 5e-5),   # fp32 rounding of (x + 1) * W / 2 in grid_sample: ~W * 6e-8 px
    (24, (33, 17), torch.float32, 1e-5),
])
def test_stn_identity_at_init(channels, size, dtype, tol):
    m = create_attention("stn", channels).to(dtype)
    x = torch.rand(2, channels, *size, dtype=dtype)
    torch.testing.assert_close(m(x), x, atol=tol, rtol=0)


def test_stn_closed_form_shift_and_inverse():
    m = create_attention("stn", 1)
    x = torch.rand(1, 1, 6, 10)
    theta = torch.tensor([[[1.0, 0.0, 2.0 / 10], [0.0, 1.0, 0.0]]])  # one pixel right, align_corners=False
    y = m.warp(x, theta)
    torch.testing.assert_close(y[..., :-1], x[..., 1:], atol=1e-6, rtol=0)
    assert torch.all(y[..., -1].abs() < 0.5 * x[..., -1].abs() + 1e-6)  # zero padding beyond the edge
    th = torch.randn(3, 2, 3) * 0.3 + torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    full = torch.cat([th, torch.tensor([[[0.0, 0, 1]]]).expand(3, 1, 3)], 1)
    inv = torch.cat([invert_theta(th), torch.tensor([[[0.0, 0, 1]]]).expand(3, 1, 3)], 1)
    torch.testing.assert_close(full @ inv, torch.eye(3).expand(3, 3, 3), atol=1e-5, rtol=0)
    # zoom x2 on the centre, then back: the centre region is reproduced
    z = torch.tensor([[[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]]])
    img = torch.linspace(0, 1, 64).reshape(1, 1, 8, 8).repeat(1, 1, 4, 4)[..., :32, :32]
    smooth = F.avg_pool2d(F.pad(img, (2, 2, 2, 2), mode="replicate"), 5, 1)
    back = inverse_warp(m.warp(smooth, z), z)
    torch.testing.assert_close(back[..., 10:22, 10:22], smooth[..., 10:22, 10:22], atol=0.05, rtol=0)


def test_affine_grid_equals_pytorch():
    th = torch.randn(2, 2, 3)
    x = torch.rand(2, 1, 7, 12)
    torch.testing.assert_close(affine_grid(th, x), F.affine_grid(th, list(x.shape), align_corners=False),
                               atol=1e-6, rtol=0)


def test_residual_attention_zero_mask_is_identity():
    m = create_attention("residual", 16).eval()
    x = torch.randn(2, 16, 13, 9)
    with torch.no_grad():
        last = m.mask_out[-1]
        last.weight.zero_()
        last.bias.fill_(-1e4)  # sigmoid -> exactly 0
        assert torch.equal(m(x), x)
        last.bias.zero_()      # M = 1/2 -> (1 + 1/2) x
        torch.testing.assert_close(m(x), 1.5 * x)
        mask = create_attention("residual", 16).eval().mask(x)
        assert mask.shape == x.shape and (mask > 0).all() and (mask < 1).all()
    t = create_attention("residual", 16, trunk_blocks=2).eval()
    with torch.no_grad():
        t.mask_out[-1].weight.zero_()
        t.mask_out[-1].bias.fill_(-1e4)
        torch.testing.assert_close(t(x), t.trunk(x))


def test_scse_matches_numpy_formula_and_closed_form():
    m = create_attention("scse", 8)  # r = 2 (paper)
    x = torch.randn(2, 8, 5, 4)
    w1, b1 = _np(m.cse[0].weight)[:, :, 0, 0], _np(m.cse[0].bias)
    w2, b2 = _np(m.cse[2].weight)[:, :, 0, 0], _np(m.cse[2].bias)
    assert w1.shape == (4, 8)
    xn = _np(x)
    cg = _sigmoid(np.maximum(xn.mean(axis=(2, 3)) @ w1.T + b1, 0) @ w2.T + b2)
    sg = _sigmoid(np.einsum("nchw,c->nhw", xn, _np(m.sse.weight)[0, :, 0, 0]) + _np(m.sse.bias)[0])
    np.testing.assert_allclose(_np(m(x)), xn * cg[:, :, None, None] + xn * sg[:, None], rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        for p in list(m.cse[2].parameters()) + list(m.sse.parameters()):
            p.zero_()
        torch.testing.assert_close(m(x), x)  # 0.5 x + 0.5 x


def test_centre_bias_prior_closed_form():
    """One Gaussian, zero logits: the head's output is the log of the normalised pixel Gaussian."""
    from saliency.models.heads import FixationHead

    head = FixationHead(num_gaussians=1, init_sigma=0.2)
    with torch.no_grad():
        head.prior.mu.copy_(torch.tensor([[0.3, 0.6]]))
    h, w = 21, 34
    out = head(torch.zeros(1, 1, h, w))[0, 0].detach().double().numpy()
    v = (np.arange(h) + 0.5) / h
    u = (np.arange(w) + 0.5) / w
    g = np.exp(-0.5 * (((v[:, None] - 0.6) / 0.2) ** 2 + ((u[None, :] - 0.3) / 0.2) ** 2))
    np.testing.assert_allclose(out, np.log(g / g.sum()), atol=1e-5)
    # logits add in log space before the normalisation
    z = torch.randn(1, 1, h, w)
    ref = torch.log_softmax((z[0, 0].double() + torch.from_numpy(np.log(g))).flatten(), 0).reshape(h, w)
    np.testing.assert_allclose(head(z)[0, 0].detach().double().numpy(), ref.numpy(), atol=1e-5)

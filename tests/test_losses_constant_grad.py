"""Fixation losses on a constant prediction (review 27): CC and NSS are undefined there and score 0, and their
gradient is exactly 0. The guards clamped the denominator (EPS = 1e-7) but left the numerator's gradient, so a
flat log-density got gradients of ~5e6 (CC), ~1e6 (NSS) and ~6e5 through fixation_loss."""

import math

import numpy as np
import pytest
import torch

from saliency.models import losses as L


def _flat(h, w, batch=1):
    """A uniform log-density (every pixel -log N), the leaf the gradient is taken against."""
    return torch.full((batch, 1, h, w), -math.log(h * w), dtype=torch.float32, requires_grad=True)


def _rand(shape, seed):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


# 8 x 8: the density is exactly constant after the mean; 16 x 20: the mean's float32 rounding leaves ~6e-8
SIZES = [(8, 8), (16, 20)]


@pytest.mark.parametrize("h,w", SIZES)
def test_cc_of_a_constant_prediction_is_zero_with_zero_gradient(h, w):
    x = _flat(h, w)
    v = L.cc(x, _rand((1, 1, h, w), 0))
    (grad,) = torch.autograd.grad(v, x)
    assert v.item() == 0.0
    assert torch.equal(grad, torch.zeros_like(grad))


@pytest.mark.parametrize("h,w", SIZES)
def test_cc_of_a_constant_target_is_zero_with_zero_gradient(h, w):
    x = torch.log_softmax(torch.randn(1, h * w, generator=torch.Generator().manual_seed(1)), 1)
    x = x.view(1, 1, h, w).detach().requires_grad_(True)
    v = L.cc(x, torch.full((1, 1, h, w), 0.3))
    (grad,) = torch.autograd.grad(v, x)
    assert v.item() == 0.0
    assert torch.equal(grad, torch.zeros_like(grad))


@pytest.mark.parametrize("h,w", SIZES)
def test_nss_of_a_constant_prediction_is_zero_with_zero_gradient(h, w):
    x = _flat(h, w)
    fix = (_rand((1, 1, h, w), 2) > 0.8).float()
    fix[..., 0, 0] = 1
    v = L.nss(x, fix)
    (grad,) = torch.autograd.grad(v, x)
    assert v.item() == 0.0
    assert torch.equal(grad, torch.zeros_like(grad))


@pytest.mark.parametrize("h,w", SIZES)
def test_fixation_loss_of_a_constant_prediction_has_only_the_kld_gradient(h, w):
    """KLD = sum g log g - sum g x with x the log-density: d/dx = -g (g normalised to sum 1), over a batch of 2
    averaged: -g / 2. CC and NSS add nothing (each 0 with zero gradient), whatever their weights."""
    x = _flat(h, w, batch=2)
    tgt = _rand((2, 1, h, w), 3)
    fix = (_rand((2, 1, h, w), 4) > 0.8).float()
    fix[..., 0, 0] = 1
    g = tgt.double().flatten(1).numpy()
    expect = (-g / g.sum(1, keepdims=True) / 2).reshape(2, 1, h, w)
    for weights in ("unisal", "sam", (1.0, 5.0, 5.0)):
        loss = L.fixation_loss(x, tgt, fix, weights)
        (grad,) = torch.autograd.grad(loss, x)
        wk = L.FIXATION_PRESETS.get(weights, weights)[0] if isinstance(weights, str) else weights[0]
        np.testing.assert_allclose(grad.double().numpy(), wk * expect, rtol=1e-5, atol=1e-9, err_msg=str(weights))


def test_cc_and_nss_of_a_normal_input_equal_the_closed_forms():
    """MIT CC: Pearson correlation over pixels of the predicted density and the target; MIT NSS: the density
    z-scored with ddof=1 (the docstring's convention), averaged at fixated pixels. numpy in float64."""
    r = np.random.default_rng(5)
    dens = r.random((3, 1, 12, 17)) + 0.05
    dens /= dens.sum(axis=(2, 3), keepdims=True)
    tgt = r.random((3, 1, 12, 17))
    fix = (r.random((3, 1, 12, 17)) > 0.85).astype(np.float64)
    fix[:, :, 0, 0] = 1
    logp = torch.tensor(np.log(dens))
    for i in range(3):
        d, t, f = dens[i].ravel(), tgt[i].ravel(), fix[i].ravel() > 0
        dz, tz = d - d.mean(), t - t.mean()
        cc = (dz * tz).sum() / math.sqrt((dz ** 2).sum() * (tz ** 2).sum())
        nss = ((d - d.mean()) / d.std(ddof=1))[f].mean()
        assert float(L.cc(logp[[i]], torch.tensor(tgt[[i]]))) == pytest.approx(cc, abs=1e-6)
        assert float(L.nss(logp[[i]], torch.tensor(fix[[i]]))) == pytest.approx(nss, abs=1e-6)

"""Losses against closed forms and independent oracles.

Oracles: numpy formulas (BCE, IoU, F3Net's weighted terms with
``scipy.ndimage.uniform_filter`` for the 31 x 31 average pool, KL, Pearson
correlation, NSS with ddof=1) and scikit-image's SSIM (Gaussian window,
sigma 1.5, population covariance). Closed forms: a perfect prediction gives
IoU loss 0, SSIM loss 0, KLD 0, CC 1.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import uniform_filter
from skimage.metrics import structural_similarity

from saliency import models
from saliency.models import losses as L

rng = np.random.default_rng(0)


def _t(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float32))


def _mask(h=24, w=31):
    m = np.zeros((1, 1, h, w), np.float32)
    m[..., 5:15, 8:20] = 1
    return m


def test_perfect_predictions():
    g = _mask()
    logits = _t((g * 2 - 1) * 100)
    assert float(L.iou_loss(logits, _t(g))) == pytest.approx(0, abs=1e-6)
    assert float(L.ssim_loss(logits, _t(g))) == pytest.approx(0, abs=1e-6)
    assert float(L.bce_loss(logits, _t(g))) == pytest.approx(0, abs=1e-6)
    dens = rng.random((2, 1, 9, 13)).astype(np.float32) + 0.01
    dens /= dens.sum(axis=(2, 3), keepdims=True)
    logp = _t(np.log(dens))
    assert float(L.kld_loss(logp, _t(dens * 7))) == pytest.approx(0, abs=1e-6)  # target normalised inside
    assert float(L.cc(logp, _t(dens))) == pytest.approx(1, abs=1e-5)


def test_bce_and_iou_closed_form():
    g = _mask()
    z = rng.normal(size=g.shape).astype(np.float32)
    p = 1 / (1 + np.exp(-z.astype(np.float64)))
    bce = -(g * np.log(p) + (1 - g) * np.log(1 - p)).mean()
    assert float(L.bce_loss(_t(z), _t(g))) == pytest.approx(bce, rel=1e-5)
    # logits 0 -> p = 1/2: IoU loss = 1 - (n1 / 2 + 1) / ((N + n1) / 2 + 1)
    n1, n = g.sum(), g.size
    assert float(L.iou_loss(torch.zeros(g.shape), _t(g))) == pytest.approx(1 - (n1 / 2 + 1) / ((n + n1) / 2 + 1),
                                                                           rel=1e-6)
    iou = 1 - (p * g).sum() / (p + g - p * g).sum()
    assert float(L.iou_loss(_t(z), _t(g), smooth=0.0)) == pytest.approx(iou, rel=1e-5)
    # an empty mask predicted empty costs nothing
    assert float(L.iou_loss(torch.full(g.shape, -100.0), torch.zeros(g.shape))) == pytest.approx(0, abs=1e-6)


def test_ssim_matches_scikit_image():
    x = rng.random((40, 37)).astype(np.float32)
    y = np.clip(x + rng.normal(0, 0.2, x.shape), 0, 1).astype(np.float32)
    _, ref = structural_similarity(x.astype(np.float64), y.astype(np.float64), data_range=1.0,
                                   gaussian_weights=True, sigma=1.5, use_sample_covariance=False, full=True)
    ours = L.ssim(_t(x[None, None]), _t(y[None, None]), full=True)[0, 0].numpy()
    pad = 5  # scikit-image leaves the border (half window) out of its mean; compare the interior
    np.testing.assert_allclose(ours[pad:-pad, pad:-pad], ref[pad:-pad, pad:-pad], atol=2e-5)


def test_structure_loss_applies_the_weights():
    g = _mask(40, 44)
    z = rng.normal(size=g.shape).astype(np.float32)
    p = 1 / (1 + np.exp(-z.astype(np.float64)))
    pooled = uniform_filter(g[0, 0].astype(np.float64), size=31, mode="constant", cval=0.0)
    w = 1 + 5 * np.abs(pooled - g[0, 0])
    bce = -(g[0, 0] * np.log(p[0, 0]) + (1 - g[0, 0]) * np.log(1 - p[0, 0]))
    wbce = (w * bce).sum() / w.sum()
    inter = (w * p[0, 0] * g[0, 0]).sum()
    union = (w * (p[0, 0] + g[0, 0])).sum()
    wiou = 1 - (inter + 1) / (union - inter + 1)
    np.testing.assert_allclose(L.structure_weight(_t(g))[0, 0].numpy(), w, rtol=1e-5)
    assert float(L.structure_loss(_t(z), _t(g))) == pytest.approx(wbce + wiou, rel=1e-5)
    unweighted = bce.mean() + 1 - ((p * g).sum() + 1) / ((p + g - p * g).sum() + 1)
    assert abs((wbce + wiou) - unweighted) > 1e-3  # the weights change the value (F3Net's reduce= bug)


def test_hybrid_and_deep_supervision():
    g = _t(_mask())
    a, b = torch.randn(g.shape), torch.randn(g.shape)
    h = L.hybrid_loss(a, g)
    assert float(h) == pytest.approx(float(L.bce_loss(a, g) + L.ssim_loss(a, g) + L.iou_loss(a, g)), rel=1e-6)
    ds = L.deep_supervision(L.bce_loss, (a, [b]), g, weights=[1.0, 0.4])
    assert float(ds) == pytest.approx(float(L.bce_loss(a, g) + 0.4 * L.bce_loss(b, g)), rel=1e-6)
    with pytest.raises(ValueError):
        L.deep_supervision(L.bce_loss, (a, [b]), g, weights=[1.0])


def test_fixation_losses_closed_form():
    dens = rng.random((2, 1, 8, 10)) + 0.05
    dens /= dens.sum(axis=(2, 3), keepdims=True)
    g = rng.random((2, 1, 8, 10))
    fix = (rng.random((2, 1, 8, 10)) > 0.85).astype(np.float64)
    logp = np.log(dens)
    gn = g / g.sum(axis=(2, 3), keepdims=True)
    kl = (gn * np.log(gn / dens)).sum(axis=(1, 2, 3)).mean()
    ccs = [np.corrcoef(dens[i].ravel(), g[i].ravel())[0, 1] for i in range(2)]
    nsss = [((dens[i] - dens[i].mean()) / dens[i].std(ddof=1))[fix[i] > 0].mean() for i in range(2)]
    T = (_t(logp), _t(g))
    assert float(L.kld_loss(*T)) == pytest.approx(kl, rel=1e-5)
    assert float(L.cc(*T)) == pytest.approx(np.mean(ccs), rel=1e-5)
    assert float(L.nss(_t(logp), _t(fix))) == pytest.approx(np.mean(nsss), rel=1e-5)
    uni = float(L.fixation_loss(_t(logp), _t(g), _t(fix), "unisal"))
    assert uni == pytest.approx(kl - 0.1 * np.mean(ccs) - 0.1 * np.mean(nsss), rel=1e-5)
    sam = float(L.get_loss("fixation_sam")(_t(logp), _t(g), _t(fix)))
    assert sam == pytest.approx(10 * kl - 2 * np.mean(ccs) - np.mean(nsss), rel=1e-5)


def test_loss_registry():
    assert "structure" in L.list_losses() and "fixation_unisal" in L.list_losses()
    with pytest.raises(models.errors.UnknownNameError, match="hybrid"):
        L.get_loss("dice")


@pytest.mark.parametrize("name,task", [("unet_tiny_cbam_sod", "sod"), ("unet_tiny_cbam_fixation", "fixation")])
def test_bf16_autocast_is_safe(name, task):
    """Under CPU bf16 autocast the model runs in bf16 and every loss is float32 and finite."""
    torch.manual_seed(0)
    m = models.create_model(name).train()
    x = torch.rand(2, 3, 64, 48)
    g = _t(np.repeat(_mask(64, 48), 2, axis=0))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        main, sides = m(x)
        if task == "sod":
            assert main.dtype == torch.bfloat16
            vals = [L.deep_supervision(fn, (main, sides), g) for fn in
                    (L.bce_loss, L.iou_loss, L.ssim_loss, L.hybrid_loss, L.structure_loss)]
            same = (L.hybrid_loss(main, g), L.hybrid_loss(main.float(), g))
        else:
            mass = main.double().exp().flatten(1).sum(1)
            torch.testing.assert_close(mass, torch.ones(2, dtype=torch.float64), atol=1e-4, rtol=0)
            dens = g + 0.1
            vals = [L.fixation_loss(main, dens, g, w) for w in ("unisal", "sam", "kld")]
            same = (vals[0], L.fixation_loss(main.float(), dens, g, "unisal"))
    for v in vals:
        assert v.dtype == torch.float32 and torch.isfinite(v)
    # the loss of a bf16 prediction is the float32 loss of the same values
    assert float(same[0].detach()) == pytest.approx(float(same[1].detach()), rel=1e-6)
    vals[0].backward()
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in m.parameters())


# ---------------------------------------------------------------- stop 20 review: blank targets, flat densities

def test_a_blank_target_gives_finite_gradients_and_is_left_out_of_the_mean():
    """CC's denominator took the square root of 0 for a blank target: a finite loss with NaN gradients, which made
    the model NaN (training stopped, blaming the learning rate). A blank map has no fixation to learn from; it is
    left out of the mean as eval leaves it out, and a batch of only blank maps has loss 0 with zero gradients."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 1, 16, 20, generator=g, dtype=torch.float64, requires_grad=True)
    logp = torch.log_softmax(logits.flatten(1), 1).view_as(logits)
    target = torch.rand(3, 1, 16, 20, generator=g, dtype=torch.float64)
    fix = (torch.rand(3, 1, 16, 20, generator=g) > 0.9).double()
    target[1] = 0
    fix[1] = 0
    for name in ("fixation_unisal", "fixation_sam", "fixation_kld"):
        loss = L.get_loss(name)(logp, target, fix)
        (grad,) = torch.autograd.grad(loss, logits, retain_graph=True)
        assert torch.isfinite(grad).all(), name
        assert torch.equal(grad[1], torch.zeros_like(grad[1])), name  # the blank image contributes nothing
        keep = [0, 2]  # oracle: the same loss over the two images with fixations
        ref = L.get_loss(name)(logp[keep], target[keep], fix[keep])
        assert loss.item() == pytest.approx(ref.item(), rel=1e-6), name  # float32 inside (@_fp32)
    blank = L.get_loss("fixation_unisal")(logp[[1]], target[[1]], fix[[1]])
    assert blank.item() == 0.0
    (grad,) = torch.autograd.grad(blank, logits)
    assert torch.isfinite(grad).all() and not grad.any()
    # a constant prediction: CC 0 (undefined, the metric's convention) with finite gradients
    flat = torch.zeros(1, 1, 16, 20, dtype=torch.float64, requires_grad=True)
    c = L.cc(torch.log_softmax(flat.flatten(1), 1).view_as(flat), target[[0]])
    (grad,) = torch.autograd.grad(c, flat)
    assert abs(c.item()) < 1e-6 and torch.isfinite(grad).all()  # float32 rounding of 1/N times N


def test_nss_of_a_nearly_flat_density_matches_the_metric_at_large_sizes():
    """The std guard was absolute (1e-7) on a density of ~1/N: at 352 x 352 a density varying by 1 % gave NSS
    0.640 where the metric (MIT's NSS, invariant to the map's scale) gives 0.793."""
    from saliency.eval.fixation import nss as nss_metric

    r = np.random.default_rng(3)
    for side in (64, 352):
        dens = 1.0 + 0.01 * r.random((side, side))
        dens /= dens.sum()
        fix = r.random((side, side)) > 0.999
        logp = torch.tensor(np.log(dens)[None, None])
        got = float(L.nss(logp, torch.tensor(fix[None, None].astype(np.float64))))
        # the loss runs in float32 (@_fp32): values ~1 with 1e-7 rounding, divided by a std of ~0.003 -> ~1e-4
        assert got == pytest.approx(nss_metric(dens, fix), abs=1e-3), side


def test_kld_zero_density_where_the_target_is_zero():
    """0 log 0 = 0 (review 23): a density with exact zeros where the target is also 0 gives KL 0, not NaN, and a
    finite gradient; the MIT formula sum(G log(eps + G/(S+eps))) gives 0 to 1e-15 on the same pair. Where the
    target has mass and the density none, KL is +inf (the definition), not NaN."""
    d = np.array([0.5, 0.5, 0.0, 0.0], np.float32).reshape(1, 1, 2, 2)
    logp = torch.log(_t(d)).requires_grad_(True)
    kl = L.kld_loss(logp, _t(d))
    assert float(kl.detach()) == pytest.approx(0, abs=1e-7)
    kl.backward()
    assert torch.isfinite(logp.grad).all()
    eps = np.finfo(np.float64).eps
    assert abs(float((d * np.log(eps + d / (d + eps))).sum())) < 1e-15  # the MIT formula's value
    assert float(L.kld_loss(torch.log(_t(d)), _t(d[..., ::-1, :].copy()))) == float("inf")

"""Coarse-to-fine: reading only the selected windows equals the unfold-all-cells formula it replaced.

Oracle: the earlier formula, written out here (``F.unfold`` of every
``patch + 2 * context`` window of the replicate-padded input, then a gather of
the top-k), applied to the same model: identical outputs (the windows are
copies of the same values) and gradients within float32 summation order.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from saliency import models
from saliency.models.coarse_to_fine import top_cells


def _unfold_logits(m, x):
    """The earlier ``CoarseToFine.logits``: all L windows unfolded, k kept."""
    xn = m.normalize(x)
    n, _, h, w = xn.shape
    P, c = m.patch_size, m.context
    coarse, csides = m.coarse_logits(xn)
    pad_h, pad_w = (P - h % P) % P, (P - w % P) % P
    nh, nw = (h + pad_h) // P, (w + pad_w) // P
    scores = m.cell_scores(coarse.detach(), pad_h, pad_w)
    k = min(m.top_k, scores.shape[1])
    idx = top_cells(scores, k)  # the model's selection rule (ties: lowest index first), not what is compared here
    fin = torch.cat([xn, torch.sigmoid(coarse)], dim=1)
    fin = F.pad(fin, (c, c + pad_w, c, c + pad_h), mode="replicate")
    win = P + 2 * c
    cols = F.unfold(fin, kernel_size=win, stride=P)
    cols = torch.gather(cols, 2, idx.unsqueeze(1).expand(-1, cols.shape[1], -1))
    crops = cols.permute(0, 2, 1).reshape(n * k, 4, win, win)
    fmain, _ = m.fine(crops)
    fmain = fmain[:, :, c:c + P, c:c + P].reshape(n, k, P * P).permute(0, 2, 1)
    cp = F.pad(coarse, (0, pad_w, 0, pad_h), mode="replicate")
    cells = cp.reshape(n, nh, P, nw, P).permute(0, 2, 4, 1, 3).reshape(n, P * P, nh * nw)
    cells = cells.scatter(2, idx.unsqueeze(1).expand(-1, P * P, -1), fmain.to(cells.dtype))
    out = cells.reshape(n, P, P, nh, nw).permute(0, 3, 1, 4, 2).reshape(n, 1, nh * P, nw * P)
    return out[:, :, :h, :w], ([coarse] + csides if m.training else [])


@pytest.mark.parametrize("shape", [(2, 3, 128, 160), (1, 3, 131, 97)])
def test_window_gather_equals_unfold_formula(shape):
    torch.manual_seed(0)
    m = models.create_model("c2f_tiny_cbam_sod").eval()
    x = torch.rand(*shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, _ = m.logits(x)
        b, _ = _unfold_logits(m, x)
    assert a.shape == b.shape == (shape[0], 1, shape[2], shape[3])
    assert torch.equal(a, b)


def test_gradients_equal_unfold_formula_in_training():
    torch.manual_seed(0)
    m = models.create_model("c2f_tiny_cbam_sod").train()
    for mod in m.modules():  # batch statistics without running-stat drift between the two passes
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.momentum = 0.0
    x0 = torch.rand(1, 3, 96, 128, generator=torch.Generator().manual_seed(2))
    grads = []
    for fn in (m.logits, lambda t: _unfold_logits(m, t)):
        x = x0.clone().requires_grad_(True)
        m.zero_grad(set_to_none=True)
        out, sides = fn(x)
        assert len(sides) >= 1
        (out.square().mean() + sum(s.mean() for s in sides)).backward()
        grads.append([x.grad.clone()] + [p.grad.clone() for p in m.fine.parameters()])
    # float32 summation order: an edge pixel's gradient sums the contributions of every window that repeats it
    # (replicate padding), accumulated by threads in no fixed order; differences up to 1.4e-7 were seen between
    # runs, on gradients of about 1e-3 (atol 1e-7 failed now and then)
    for ga, gb in zip(*grads):
        torch.testing.assert_close(ga, gb, rtol=1e-5, atol=1e-6)

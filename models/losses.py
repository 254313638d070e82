"""Losses for SOD and fixation prediction, safe under bf16/fp16 autocast.

Every loss casts its inputs to float32 and runs with autocast disabled, so a
network trained under ``torch.autocast(dtype=torch.bfloat16)`` gets float32
losses (networks output logits; no sigmoid + ``BCELoss``).

SOD (prediction = logits, target in [0, 1], N x 1 x H x W):

- :func:`bce_loss`: ``binary_cross_entropy_with_logits``, optional pixel weights;
- :func:`iou_loss`: soft IoU, 1 - (sum(p g) + 1) / (sum(p + g - p g) + 1)
  per image (BASNet, Qin et al., CVPR 2019; the +1 as F3Net, so an empty
  mask predicted empty scores 0);
- :func:`ssim` / :func:`ssim_loss`: SSIM (Wang et al., TIP 2004) with an
  11 x 11 Gaussian window, sigma 1.5, C1 = 0.01^2, C2 = 0.03^2, zero padding
  as BASNet's ``pytorch_ssim``; loss 1 - SSIM;
- :func:`hybrid_loss`: BASNet's BCE + SSIM + IoU;
- :func:`structure_loss`: F3Net's (Wei et al., AAAI 2020) weighted BCE +
  weighted IoU with weight 1 + 5 |avgpool31(g) - g|; the weights ARE applied
  (``reduction='none'``; the public F3Net code's deprecated ``reduce='none'``
  silently dropped them);
- :func:`deep_supervision`: a loss summed over (main, [sides]) with weights
  (U2-Net: all 1).

Fixation (prediction = log-density, logsumexp over H x W = 0; target a
non-negative map, normalised here to sum 1; fixations a binary map):

- :func:`kld_loss`: KL(target || prediction) = sum g (log g - log p);
- :func:`cc`: Pearson correlation of exp(prediction) and the target (MIT ``CC``);
- :func:`nss`: mean of the z-scored (ddof=1, MIT) predicted density at fixations;
- :func:`fixation_loss`: w_kld KLD - w_cc CC - w_nss NSS; ``"unisal"`` is
  KLD - 0.1 CC - 0.1 NSS (Droste et al., ECCV 2020), ``"sam"`` 10 KLD - 2 CC
  - NSS (Cornia et al., TIP 2018).

All return a scalar mean over the batch unless ``reduction="none"``.
"""

from __future__ import annotations

import contextlib
import functools

import torch
import torch.nn.functional as F

from saliency.models.errors import UnknownNameError

EPS = 1e-7


def _fp32(fn):
    """Run ``fn`` with autocast disabled and its tensor arguments in float32."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = [a.float() if torch.is_tensor(a) else a for a in args]
        kwargs = {k: (v.float() if torch.is_tensor(v) else v) for k, v in kwargs.items()}
        dev = next((a.device.type for a in args if torch.is_tensor(a)), "cpu")
        ctx = torch.autocast(dev, enabled=False) if dev in ("cpu", "cuda") else contextlib.nullcontext()
        with ctx:
            return fn(*args, **kwargs)

    return wrapper


def _reduce(per_image: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return per_image.mean()
    if reduction == "sum":
        return per_image.sum()
    if reduction == "none":
        return per_image
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"prediction {tuple(pred.shape)} and target {tuple(target.shape)} differ in shape")


def _check_sod_target(target: torch.Tensor) -> None:
    """Refuse an SOD ``target`` outside [0, 1] (a 0-255 mask gave negative losses): one min/max per loss call."""
    if target.numel() == 0:
        return
    lo, hi = torch.stack(torch.aminmax(target.detach())).tolist()  # one device sync
    if not (lo >= 0 and hi <= 1):  # NaN fails both
        raise ValueError(f"the SOD `target` must hold values in [0, 1], got min {lo:g}, max {hi:g}; "
                         f"scale a 0-255 mask to 0-1 floats first (e.g. mask.float() / 255)")


# ---------------------------------------------------------------- SOD
@_fp32
def bce_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
             reduction: str = "mean") -> torch.Tensor:
    """Binary cross-entropy with logits; with ``weight``, the weighted mean per image; target in [0, 1]."""
    _check(logits, target)
    _check_sod_target(target)
    return _bce(logits, target, weight, reduction)


def _bce(logits, target, weight=None, reduction: str = "mean") -> torch.Tensor:
    px = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    if weight is None:
        per = px.flatten(1).mean(1)
    else:
        weight = weight.expand_as(px)
        per = (weight * px).flatten(1).sum(1) / weight.flatten(1).sum(1).clamp_min(EPS)
    return _reduce(per, reduction)


@_fp32
def iou_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
             smooth: float = 1.0, reduction: str = "mean") -> torch.Tensor:
    """Soft IoU loss 1 - (sum w p g + s) / (sum w (p + g - p g) + s) per image.

    ``smooth`` = 1 (as F3Net) keeps an empty mask predicted empty at loss 0
    instead of 0 / 0. Target in [0, 1].
    """
    _check(logits, target)
    _check_sod_target(target)
    return _iou(logits, target, weight, smooth, reduction)


def _iou(logits, target, weight=None, smooth: float = 1.0, reduction: str = "mean") -> torch.Tensor:
    p = torch.sigmoid(logits)
    w = torch.ones_like(p) if weight is None else weight.expand_as(p)
    inter = (w * p * target).flatten(1).sum(1)
    union = (w * (p + target - p * target)).flatten(1).sum(1)
    per = 1 - (inter + smooth) / (union + smooth).clamp_min(EPS)
    return _reduce(per, reduction)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Normalised 2-D Gaussian window (size x size), float32."""
    r = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(r ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


@_fp32
def ssim(x: torch.Tensor, y: torch.Tensor, window_size: int = 11, sigma: float = 1.5,
         data_range: float = 1.0, full: bool = False) -> torch.Tensor:
    """SSIM of two N x C x H x W maps in [0, data_range]; per-image mean, or the map if ``full``."""
    _check(x, y)
    c = x.shape[1]
    win = gaussian_window(window_size, sigma).to(x.device).expand(c, 1, window_size, window_size)
    pad = window_size // 2
    mu_x = F.conv2d(x, win, padding=pad, groups=c)
    mu_y = F.conv2d(y, win, padding=pad, groups=c)
    sxx = F.conv2d(x * x, win, padding=pad, groups=c) - mu_x ** 2
    syy = F.conv2d(y * y, win, padding=pad, groups=c) - mu_y ** 2
    sxy = F.conv2d(x * y, win, padding=pad, groups=c) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    smap = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return smap if full else smap.flatten(1).mean(1)


@_fp32
def ssim_loss(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """1 - SSIM(sigmoid(logits), target) per image (11x11, sigma 1.5); target in [0, 1]."""
    _check(logits, target)
    _check_sod_target(target)
    return _ssim_loss(logits, target, reduction)


def _ssim_loss(logits, target, reduction: str = "mean") -> torch.Tensor:
    return _reduce(1 - ssim(torch.sigmoid(logits), target), reduction)


@_fp32
def hybrid_loss(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """BASNet's hybrid loss: BCE + SSIM + IoU (each per image, then reduced); target in [0, 1]."""
    _check(logits, target)
    _check_sod_target(target)  # once, not once per term
    per = (_bce(logits, target, reduction="none") + _ssim_loss(logits, target, reduction="none")
           + _iou(logits, target, reduction="none"))
    return _reduce(per, reduction)


@_fp32
def structure_weight(target: torch.Tensor, kernel: int = 31, alpha: float = 5.0) -> torch.Tensor:
    """F3Net pixel weight 1 + alpha |avgpool_k(g) - g| (zero padding counted, as F3Net).

    The k x k mean with zero padding is separable: a k x 1 mean then a 1 x k mean
    give the same numbers (to float rounding) at 2k instead of k^2 operations per
    pixel -- 15x fewer for k = 31, where the 2-D pool was 3/4 of a CPU training step.
    """
    r = kernel // 2
    pooled = F.avg_pool2d(target, kernel_size=(kernel, 1), stride=1, padding=(r, 0))
    pooled = F.avg_pool2d(pooled, kernel_size=(1, kernel), stride=1, padding=(0, r))
    return 1 + alpha * (pooled - target).abs()


@_fp32
def structure_loss(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """F3Net structure loss: weighted BCE + weighted IoU (smooth 1), weights applied; target in [0, 1]."""
    _check(logits, target)
    _check_sod_target(target)  # once, not once per term
    w = structure_weight(target)
    per = (_bce(logits, target, weight=w, reduction="none")
           + _iou(logits, target, weight=w, smooth=1.0, reduction="none"))
    return _reduce(per, reduction)


def deep_supervision(loss_fn, outputs, target: torch.Tensor, weights=None, **kwargs) -> torch.Tensor:
    """Sum of ``weights[i] * loss_fn(output_i, target)`` over main and side outputs.

    ``outputs`` is a tensor or a train-mode ``(main, [sides])`` tuple; default
    weights are all 1 (U2-Net); a shorter list, or weights that are all 0 (no loss to learn from), is an error.
    """
    if torch.is_tensor(outputs):
        outs = [outputs]
    else:
        main, sides = outputs
        outs = [main] + list(sides)
    if weights is None:
        weights = [1.0] * len(outs)
    if len(weights) != len(outs):
        raise ValueError(f"deep_supervision: {len(outs)} outputs but {len(weights)} weights")
    if not any(weights):  # the sum below would be the int 0: no tensor, no gradient
        raise ValueError(f"deep_supervision: every one of the `weights` {list(weights)} is 0, which leaves no loss; "
                         f"give the main output (or a side) a non-zero weight")
    return sum(w * loss_fn(o, target, **kwargs) for w, o in zip(weights, outs) if w)


# ---------------------------------------------------------------- fixation
def _as_density(target: torch.Tensor) -> torch.Tensor:
    t = target.clamp_min(0).flatten(1)
    return t / t.sum(1, keepdim=True).clamp_min(EPS)


@_fp32
def kld_loss(log_density: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """KL(target || exp(log_density)); target is normalised to sum 1 per image.

    0 log 0 = 0 on both terms: a pixel where the target is 0 adds nothing, even where the density is 0 too
    (log p = -inf), so identical densities give 0, as the MIT formula ``sum(G log(eps + G / (S + eps)))`` does.
    """
    _check(log_density, target)
    g = _as_density(target)
    logp = log_density.flatten(1).masked_fill(g == 0, 0.0)  # 0 * -inf would be NaN; its gradient there is 0
    per = (torch.xlogy(g, g) - g * logp).sum(1)
    return _reduce(per, reduction)


def _varies(x: torch.Tensor) -> torch.Tensor:
    """Per row: not every value the same (an exactly constant row: the mean's rounding still leaves ~1e-7)."""
    return (x.amax(1, keepdim=True) > x.amin(1, keepdim=True)).detach()


def _zscore(x: torch.Tensor, ddof: int = 1) -> torch.Tensor:
    """Z-scores per row; a constant row (or a std <= EPS) gives 0 out of the graph: the clamp kept the
    numerator's gradient, divided by EPS (~1e6 on a flat density)."""
    mu = x.mean(1, keepdim=True)
    sd = x.std(1, keepdim=True, correction=ddof)
    ok = _varies(x) & (sd.detach() > EPS)
    return torch.where(ok, (x - mu) / sd.clamp_min(EPS), 0.0)


def _unit_mean(log_density: torch.Tensor) -> torch.Tensor:
    """The predicted density times its pixel count (mean 1): CC and NSS do not change with the scale, and their
    small-value guards (:data:`EPS`) stay far from a density whose values are ~1/N (at 352 x 352 the std of a
    nearly flat one was below EPS, and NSS no longer matched the metric)."""
    x = log_density.flatten(1)
    return torch.exp(x) * x.shape[1]


@_fp32
def cc(log_density: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Pearson correlation of the predicted density and the target map (1 = perfect).

    A constant target or prediction (CC undefined) scores 0 with a zero
    gradient: the guard is taken before the square root, whose gradient at 0
    is infinite (a blank target gave NaN gradients and a NaN model), and the
    quotient is replaced by 0 there (the clamp alone kept the numerator's
    gradient, divided by EPS: ~5e6 for a flat prediction). Constant means every
    value the same, or a denominator <= EPS.
    """
    _check(log_density, target)
    p = _unit_mean(log_density)
    g = target.flatten(1)
    pz, gz = p - p.mean(1, keepdim=True), g - g.mean(1, keepdim=True)
    den2 = pz.square().sum(1) * gz.square().sum(1)
    ok = (_varies(p) & _varies(g)).squeeze(1) & (den2.detach() > EPS * EPS)
    per = torch.where(ok, (pz * gz).sum(1) / den2.clamp_min(EPS * EPS).sqrt(), 0.0)
    return _reduce(per, reduction)


@_fp32
def nss(log_density: torch.Tensor, fixations: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Normalised scanpath saliency: z-scored density (ddof=1) averaged at fixated pixels.

    A constant prediction (std 0, or <= EPS) scores 0 with a zero gradient, as the metric gives 0."""
    _check(log_density, fixations)
    z = _zscore(_unit_mean(log_density))
    f = (fixations.flatten(1) > 0).float()
    per = (z * f).sum(1) / f.sum(1).clamp_min(1)
    return _reduce(per, reduction)


FIXATION_PRESETS = {"unisal": (1.0, 0.1, 0.1), "sam": (10.0, 2.0, 1.0), "kld": (1.0, 0.0, 0.0)}


def fixation_loss(log_density: torch.Tensor, target: torch.Tensor, fixations: torch.Tensor | None = None,
                  weights="unisal", reduction: str = "mean") -> torch.Tensor:
    """w_kld KLD - w_cc CC - w_nss NSS; ``weights`` a preset name or (w_kld, w_cc, w_nss).

    An image whose target holds no fixation (a blank map, or a crop that cut
    every fixation away) is left out of the mean and the sum, as evaluation
    leaves it out (``eval.fixation``): it has no KLD, CC or NSS to learn from,
    and its 0 would enter the mean as a perfect score; with ``reduction``
    "none" its entry is 0.
    """
    if isinstance(weights, str):
        if weights not in FIXATION_PRESETS:
            raise UnknownNameError(f"unknown fixation loss preset {weights!r}; valid: {', '.join(FIXATION_PRESETS)}")
        weights = FIXATION_PRESETS[weights]
    wk, wc, wn = weights
    per = wk * kld_loss(log_density, target, reduction="none")
    if wc:
        per = per - wc * cc(log_density, target, reduction="none")
    if wn:
        if fixations is None:
            raise ValueError("fixation_loss: an NSS weight needs the binary fixation map `fixations`")
        per = per - wn * nss(log_density, fixations, reduction="none")
    has = target.flatten(1).clamp_min(0).sum(1) > 0
    if fixations is not None and wn:
        has = has & (fixations.flatten(1) > 0).any(1)
    per = torch.where(has, per, torch.zeros_like(per))
    if reduction == "mean":
        return per.sum() / has.sum().clamp_min(1)
    return _reduce(per, reduction)


SOD_LOSSES = {"bce": bce_loss, "iou": iou_loss, "ssim": ssim_loss, "hybrid": hybrid_loss,
              "structure": structure_loss}


def list_losses() -> list[str]:
    """Names accepted by :func:`get_loss`."""
    return sorted(SOD_LOSSES) + sorted(f"fixation_{k}" for k in FIXATION_PRESETS)


def get_loss(name: str):
    """A loss by name: SOD ``loss(logits, target)``, fixation ``loss(log_density, target, fixations)``."""
    if name in SOD_LOSSES:
        return SOD_LOSSES[name]
    if name.startswith("fixation_") and name[9:] in FIXATION_PRESETS:
        return functools.partial(fixation_loss, weights=name[9:])
    raise UnknownNameError(f"unknown loss {name!r}; valid: {', '.join(list_losses())}")

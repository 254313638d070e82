"""Optimisers, learning-rate schedules and the weight EMA of the trainer.

- AdamW (Loshchilov & Hutter, ICLR 2019) or SGD with momentum; weight decay
  is not applied to biases and normalisation parameters (1-D tensors), as in
  timm's ``param_groups_weight_decay``.
- Schedule per optimiser step: linear warm-up from 0 to the peak rate, then
  cosine (SGDR without restarts, Loshchilov & Hutter, ICLR 2017) or
  polynomial ("poly", ``(1 - t)^power``, DeepLab / MINet) decay to ``min_lr``,
  or constant (its warm-up is never cut by the run's length). :func:`lr_at` is
  a pure function of the step, so a resumed run gets the same rates.
- EMA of the weights (Polyak averaging as in timm ``ModelEmaV2``): after each
  optimiser step ``ema = d * ema + (1 - d) * w`` for floating parameters and
  buffers; integer buffers (BatchNorm's ``num_batches_tracked``) are copied.
"""

from __future__ import annotations

import math

import torch


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: weights with decay, biases and norm parameters (ndim <= 1) without."""
    decay, no_decay = [], []
    for p in model.parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def create_optimizer(model: torch.nn.Module, cfg: dict) -> torch.optim.Optimizer:
    """The optimiser of ``cfg['optim']`` (adamw or sgd)."""
    o = cfg["optim"]
    groups = param_groups(model, o["weight_decay"])
    if o["name"] == "adamw":
        return torch.optim.AdamW(groups, lr=o["lr"], betas=(o["momentum"], 0.999))
    return torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"] and o["momentum"] > 0)


def lr_at(step: int, total: int, warmup: int, peak: float, min_lr: float, name: str, power: float = 0.9) -> float:
    """Learning rate at optimiser step ``step`` (0-based) of ``total``, ``warmup`` of them warm-up."""
    if warmup > 0 and step < warmup:
        return peak * (step + 1) / warmup
    if name == "constant":
        return peak
    span = max(1, total - warmup)
    t = min(1.0, max(0.0, (step - warmup) / span))
    lo = min(min_lr, peak)
    if name == "cosine":
        return lo + (peak - lo) * 0.5 * (1 + math.cos(math.pi * t))
    if name == "poly":
        return lo + (peak - lo) * (1 - t) ** power
    raise ValueError(f"unknown schedule {name!r}")


def create_scheduler(optimizer, cfg: dict, steps_per_epoch: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR over optimiser steps following :func:`lr_at` for ``cfg['sched']``."""
    from saliency.config import schedule_length

    s, peak = cfg["sched"], cfg["optim"]["lr"]
    _, epochs = schedule_length(cfg)  # sched.epochs, else train.epochs: the length the warm-up check reads
    total = max(1, epochs * steps_per_epoch)
    warmup = int(round(s["warmup_epochs"] * steps_per_epoch))
    # config.check_warmup refuses a warm-up of the whole (decaying) schedule; this cut is left for the rounding to
    # steps (2.95 of 3 epochs at 10 steps each) and for a run planned before that check and resumed. A constant
    # schedule has no decay to keep and no length (sched.epochs is refused with it): its warm-up runs the steps it
    # states, then the peak rate, the same steps whatever train.epochs a run or its --resume gives (it was cut to
    # one step short of train.epochs, and a resume to more epochs dropped the rate and ramped again)
    if s["name"] != "constant":
        warmup = min(warmup, total - 1) if total > 1 else 0

    def factor(step: int) -> float:
        if peak == 0:
            return 0.0
        return lr_at(step, total, warmup, peak, s["min_lr"], s["name"], s["power"]) / peak

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class EMA:
    """Exponential moving average of a model's state (parameters and buffers)."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.updates = 0

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        """Blend the current weights into the average."""
        self.updates += 1
        d = self.decay
        for k, v in model.state_dict().items():
            s = self.shadow[k]
            if s.is_floating_point():
                s.mul_(d).add_(v.detach().to(s.dtype), alpha=1 - d)
            else:
                s.copy_(v)

    def state_dict(self) -> dict:
        """Decay, update count and the averaged tensors."""
        return {"decay": self.decay, "updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, st: dict) -> None:
        """Restore :meth:`state_dict`."""
        self.decay = st["decay"]
        self.updates = st["updates"]
        for k, v in st["shadow"].items():
            self.shadow[k].copy_(v)

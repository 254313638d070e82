"""Model profiling: parameters, multiply-accumulates and CPU latency.

Parameters and MACs are counted by :mod:`saliency.models.macs` (PyTorch's own
FLOP counter, MACs = FLOPs / 2, the thop/ptflops "GMACs" convention); they are
re-exported here as :func:`count_params` and :func:`count_macs`.

Timing: the first forward passes of a model on the CPU are much slower than
the steady state (oneDNN primitive creation; 2 s against 0.14 s for the
MobileNetV3 U-Net here), so :func:`latency_ms` discards ``warmup`` = 3 passes
and reports the median of the rest.
"""

from __future__ import annotations

import time

import torch

from saliency.base.progress import progress as progress_bar
from saliency.models.macs import count_macs, count_params
from saliency.models.registry import create_model, describe

__all__ = ["count_params", "count_macs", "latency_ms", "train_step_ms", "model_rows", "rows_to_markdown",
           "rows_to_tsv"]


@torch.no_grad()
def latency_ms(model: torch.nn.Module, height: int = 320, width: int = 320, runs: int = 5, warmup: int = 3) -> float:
    """Median wall time (ms) of one eval-mode forward pass at batch 1 on the CPU."""
    was = model.training
    model.eval()
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))  # global RNG untouched
    try:
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        model.train(was)
    times.sort()
    return times[len(times) // 2]


def train_step_ms(model: torch.nn.Module, height: int = 256, width: int = 256, batch: int = 8,
                  runs: int = 3, warmup: int = 2) -> float:
    """Median forward+backward wall time per image (ms) in train mode (no optimiser step)."""
    was = model.training
    model.train()
    x = torch.rand(batch, 3, height, width, generator=torch.Generator().manual_seed(0))
    times = []
    try:
        for i in range(runs + warmup):
            t0 = time.perf_counter()
            main, sides = model(x)
            loss = main.float().mean() + sum(s.float().mean() for s in sides)
            loss.backward()
            model.zero_grad(set_to_none=True)
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000 / batch)
    finally:
        model.train(was)
    times.sort()
    return times[len(times) // 2]


def model_rows(names, height: int = 320, width: int = 320, latency: bool = True, runs: int = 3,
               progress: bool = True) -> list[dict]:
    """One row per registered model: name, task, attention, encoder, params, GMACs, CPU latency (ms).

    Each row also says what it was measured at, after the columns above (in
    that order, the same in every mode): ``width`` and ``height`` (the input of
    the GMACs and latency), ``threads`` (torch's CPU threads while timing) and
    ``runs`` (the timed passes of the median), those two None without ``latency``.
    """
    names = list(names)
    rows = []
    for name in progress_bar(names, total=len(names), desc="profiling models", unit="model", enabled=progress,
                             leave=True):
        with torch.random.fork_rng(devices=[]):  # seeded weights; torch's global random state is kept
            torch.default_generator.manual_seed(0)
            model = create_model(name).eval()
        # the columns of before first, in their places (a script reading the TSV by position, ``latency_ms`` the
        # 7th), then what the figures were measured at; ``threads``/``runs`` empty when latency is not timed
        row = {"model": name, **describe(name), "params_m": count_params(model) / 1e6,
               "gmac": count_macs(model, height, width) / 1e9, "latency_ms": None, "width": width, "height": height,
               "threads": None, "runs": None}
        if latency:
            row["latency_ms"] = latency_ms(model, height, width, runs=runs)
            row["threads"], row["runs"] = torch.get_num_threads(), runs
        rows.append(row)
        del model
    return rows


def rows_to_markdown(rows: list[dict], height: int = 320, width: int = 320) -> str:
    """A GitHub markdown table of :func:`model_rows` output; the size is written ``WxH`` (one number if square)."""
    size = f"{width}x{height}" if height != width else str(height)
    head = (f"| model | task | attention | encoder | params (M) | GMAC @{size} | CPU ms (batch 1) |\n"
            "|---|---|---|---|---:|---:|---:|\n")
    body = []
    for r in rows:
        lat = "-" if r.get("latency_ms") is None else f"{r['latency_ms']:.0f}"
        gmac = "-" if r.get("gmac") is None else f"{r['gmac']:.2f}"
        body.append(f"| {r['model']} | {r['task']} | {r['attention']} | {r['encoder']} | "
                    f"{r['params_m']:.2f} | {gmac} | {lat} |")
    return head + "\n".join(body) + "\n"


def rows_to_tsv(rows: list[dict]) -> str:
    """A tab-separated table of :func:`model_rows` output: a header of the keys, floats to 4 significant digits.

    A missing value (None, e.g. ``latency_ms`` without timing) is an empty cell.
    """
    if not rows:
        return ""
    cols = list(rows[0])
    cell = lambda v: "" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))  # noqa: E731
    return "\t".join(cols) + "\n" + "".join("\t".join(cell(r[c]) for c in cols) + "\n" for r in rows)

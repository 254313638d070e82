"""Model benchmarks: the `saliency models` table, coarse-to-fine savings, CPU training speed and quality.

Writes the ``## Models`` section of docs/BENCHMARKS.md (other sections are
left untouched) and prints the same text. Figures:

1. every registered model: parameters, GMACs at 320 x 320 (torch FLOP
   counter, MACs = FLOPs / 2), median CPU latency at batch 1; U2-Net and
   U2-NetP (Qin et al., Pattern Recognition 2020) as reference rows from
   the paper;
2. coarse-to-fine attention: MACs against the fine branch run everywhere;
3. forward+backward ms/image of the tiny models at 256 x 256 (batch 8);
4. quality check of the CPU default: ``unet_tiny_cbam_sod`` trained from
   scratch for ``--train-seconds`` on synthetic scenes
   (:func:`data_tools.scenes.render_scene`, 640 x 480 scaled to 256 x 192),
   max F-measure (beta^2 = 0.3) and MAE on held-out scenes with PySODMetrics.

Usage: python benchmarks/models.py [--train-seconds 180] [--no-train] [--no-write]
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from saliency import models  # noqa: E402
from saliency.models.coarse_to_fine import compute_savings  # noqa: E402
from saliency.models.profile import model_rows, rows_to_markdown, train_step_ms  # noqa: E402

REFERENCE_ROWS = (
    "| U2-NetP (reference, paper) | sod | nested RSU | - | 1.13 | 19.8 | - |\n"
    "| U2-Net (reference, paper) | sod | nested RSU | - | 44.0 | 58.6 | - |\n"
)


def synthetic_sod(n: int, seed: int, width: int, height: int):
    """``n`` synthetic scenes (coloured shapes on textured clutter) resized to width x height."""
    import cv2

    from saliency.data_tools.scenes import render_scene

    xs, ys = [], []
    for i in range(n):
        img, mask, _, _ = render_scene(np.random.default_rng(seed + i), 640, 480)
        xs.append(cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA))
        ys.append(cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA))
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float() / 255
    y = torch.from_numpy(np.stack(ys))[:, None].float() / 255
    return x, y


def train_check(name: str, seconds: float, n_train: int = 400, n_test: int = 60, batch: int = 8,
                width: int = 256, height: int = 192, seed: int = 0, steps_budget: int | None = None) -> dict:
    """Train ``name`` from scratch for ``seconds`` of CPU time budget; return max F and MAE on held-out scenes.

    With ``steps_budget``, train for that many steps instead (cosine decay over
    the steps): the budget for comparing two models on a shared machine, where
    a time budget would hand the one measured under less load more steps.
    """
    import py_sod_metrics

    from saliency.models.losses import bce_loss, deep_supervision, iou_loss

    torch.manual_seed(seed)
    xtr, ytr = synthetic_sod(n_train, 1000, width, height)
    xte, yte = synthetic_sod(n_test, 99999, width, height)
    model = models.create_model(name).train()
    lr = 2e-3
    opt = torch.optim.AdamW(model.parameters(), lr, weight_decay=1e-4)
    g = torch.Generator().manual_seed(seed)
    t0, steps = time.perf_counter(), 0
    while ((elapsed := time.perf_counter() - t0) < seconds if steps_budget is None else steps < steps_budget):
        frac = elapsed / seconds if steps_budget is None else steps / steps_budget
        for group in opt.param_groups:  # cosine decay over the budget
            group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * frac))
        idx = torch.randint(0, n_train, (batch,), generator=g)
        x, y = xtr[idx].clone(), ytr[idx].clone()
        flip = torch.rand(batch, generator=g) < 0.5
        x[flip], y[flip] = x[flip].flip(-1), y[flip].flip(-1)
        out = model(x)
        loss = deep_supervision(bce_loss, out, y) + deep_supervision(iou_loss, out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        steps += 1
    train_s = time.perf_counter() - t0
    model.eval()
    fm, mae = py_sod_metrics.FmeasureV2(metric_handlers={"fm": py_sod_metrics.FmeasureHandler(with_dynamic=True, with_adaptive=False, beta=0.3)}), \
        py_sod_metrics.MAE()
    with torch.no_grad():
        for i in range(0, n_test, 16):
            prob = torch.sigmoid(model(xte[i:i + 16]))
            for p, t in zip(prob, yte[i:i + 16]):
                pred = (p[0].numpy() * 255).round().astype(np.uint8)
                gt = (t[0].numpy() * 255).round().astype(np.uint8)
                fm.step(pred, gt)
                mae.step(pred, gt)
    res = fm.get_results()["fm"]
    return {"steps": steps, "seconds": train_s, "images": steps * batch, "maxF": float(np.max(res["dynamic"])),
            "MAE": float(mae.get_results()["mae"])}


def synthetic_fixation(n: int, seed: int, width: int, height: int, per_object: int = 8, sigma: float = 8.0):
    """Scenes with fixations drawn around each object's centre (N(centre, 0.4 r)); maps blurred by ``sigma`` px."""
    import cv2

    from saliency.data_tools.scenes import render_scene

    xs, maps, fixs = [], [], []
    for i in range(n):
        rng = np.random.default_rng(seed + i)
        img, _, _, objects = render_scene(rng, 640, 480)
        fix = np.zeros((height, width), np.float32)
        for o in objects:
            for _ in range(per_object):
                x = int(np.clip(o.cx / 640 * width + rng.normal(0, 0.4 * o.radius / 640 * width), 0, width - 1))
                y = int(np.clip(o.cy / 480 * height + rng.normal(0, 0.4 * o.radius / 480 * height), 0, height - 1))
                fix[y, x] = 1
        xs.append(cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA))
        fixs.append(fix)
        maps.append(cv2.GaussianBlur(fix, (0, 0), sigma))
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float() / 255
    return x, torch.from_numpy(np.stack(maps))[:, None], torch.from_numpy(np.stack(fixs))[:, None]


def fixation_check(name: str, seconds: float, n_train: int = 300, n_test: int = 40, batch: int = 8,
                   width: int = 256, height: int = 192, seed: int = 0) -> dict:
    """Train a fixation model for ``seconds`` with KLD - 0.1 CC - 0.1 NSS; held-out CC/NSS/KLD before and after."""
    from saliency.models import losses as L

    torch.manual_seed(seed)
    xtr, mtr, ftr = synthetic_fixation(n_train, 1000, width, height)
    xte, mte, fte = synthetic_fixation(n_test, 99999, width, height)
    model = models.create_model(name)

    def evaluate():
        model.eval()
        with torch.no_grad():
            out = model(xte)
            r = {"CC": float(L.cc(out, mte)), "NSS": float(L.nss(out, fte)), "KLD": float(L.kld_loss(out, mte))}
        model.train()
        return r

    before = evaluate()
    opt = torch.optim.AdamW(model.parameters(), 2e-3, weight_decay=1e-4)
    g = torch.Generator().manual_seed(seed)
    t0, steps = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        idx = torch.randint(0, n_train, (batch,), generator=g)
        out = model(xtr[idx])
        loss = L.deep_supervision(L.fixation_loss, out, mtr[idx], fixations=ftr[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        steps += 1
    return {"steps": steps, "before": before, "after": evaluate()}


def c2f_speed(pairs=(("c2f_tiny_cbam_sod", "unet_tiny_cbam_sod"),), size: int = 320, threads: int = 2,
              batches=(1, 8), repeats: int = 5, passes: int = 5) -> list[dict]:
    """Median ms/image of each coarse-to-fine model and its dense model, timed alternately in one process.

    ``repeats`` rounds of ``passes`` eval-mode forward passes each, the two
    models in alternating order (A B, B A, ...), after warm-up passes, with
    torch held to ``threads`` threads; the medians over all passes.
    """
    from saliency.runtime import torch_settings

    rows = []
    with torch_settings(threads=threads), torch.no_grad():
        for c2f, dense in pairs:
            nets = {}
            for n in (c2f, dense):
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(0)
                    nets[n] = models.create_model(n).eval()
            for bs in batches:
                x = torch.rand(bs, 3, size, size, generator=torch.Generator().manual_seed(bs))
                for m in nets.values():
                    for _ in range(3):
                        m(x)
                times = {n: [] for n in nets}
                for r in range(repeats):
                    for n in ((c2f, dense) if r % 2 == 0 else (dense, c2f)):
                        for _ in range(passes):
                            t0 = time.perf_counter()
                            nets[n](x)
                            times[n].append((time.perf_counter() - t0) * 1e3 / bs)
                rows.append({"c2f": c2f, "dense": dense, "batch": bs, "threads": threads,
                             "c2f_ms": float(np.median(times[c2f])), "dense_ms": float(np.median(times[dense]))})
    return rows


def c2f_main(args) -> int:
    """``--c2f``: coarse-to-fine against its dense model, speed (2 threads, batch 1 and 8) and held-out quality."""
    import os

    print(f"load average {os.getloadavg()[0]:.1f} (a shared machine: the ratio within one run is what counts)")
    for threads in (2, 1):
        for r in c2f_speed(threads=threads, repeats=args.runs):
            print(f"{r['c2f']} vs {r['dense']}, 320x320, batch {r['batch']}, {threads} thread(s): "
                  f"{r['c2f_ms']:.1f} vs {r['dense_ms']:.1f} ms/image ({r['dense_ms'] / r['c2f_ms']:.2f}x)")
    if args.no_train:
        return 0
    with torch.random.fork_rng(devices=[]):
        for name in ("c2f_tiny_cbam_sod", "unet_tiny_cbam_sod"):
            q = train_check(name, 0, steps_budget=args.c2f_steps)
            print(f"{name}: {q['steps']} steps of batch 8 ({q['images']} images, {q['seconds']:.0f} s): held-out 60 "
                  f"scenes max F = {q['maxF']:.3f}, MAE = {q['MAE']:.4f}")
    return 0


def write_section(text: str, path: Path = ROOT / "docs" / "BENCHMARKS.md") -> None:
    """Replace (or append) the ``## Models`` section of ``path``; other sections untouched."""
    from saliency.base.fsutil import write_text

    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pat = re.compile(r"^## Models\n.*?(?=^## |\Z)", re.S | re.M)
    new = pat.sub(lambda _m: text, old, count=1) if pat.search(old) else old.rstrip("\n") + "\n\n" + text
    write_text(path, new)


def main(argv=None) -> int:
    """Measure, print, and write the ``## Models`` section."""
    from saliency.commands._args import finite_positive_float, positive_int

    from scratch import ArgumentParser

    ap = ArgumentParser(prog="models.py", description=__doc__.splitlines()[0])
    ap.add_argument("--train-seconds", type=finite_positive_float, default=180,
                    help="CPU training budget of the quality check, seconds (default 180)")
    ap.add_argument("--fixation-seconds", type=finite_positive_float, default=120,
                    help="CPU training budget of the fixation check, seconds (default 120)")
    ap.add_argument("--no-train", action="store_true", help="skip the training quality checks")
    ap.add_argument("--no-write", action="store_true", help="print only; do not edit docs/BENCHMARKS.md")
    ap.add_argument("--runs", type=positive_int, default=3, help="timed runs per model for latency (default 3)")
    ap.add_argument("--c2f", action="store_true",
                    help="only coarse-to-fine against its dense model: speed and held-out quality (prints only)")
    ap.add_argument("--c2f-steps", type=positive_int, default=300,
                    help="training steps of each model for --c2f (default 300)")
    args = ap.parse_args(argv)
    if args.c2f:
        return c2f_main(args)
    load = os.getloadavg()[0]  # before this run's own work: the other jobs on the machine
    others = "no other job" if load < 0.5 else f"load average {load:.1f} at the start"

    names = models.list_models()
    rows = model_rows(names, 320, 320, latency=True, runs=args.runs)
    table = rows_to_markdown(rows) + REFERENCE_ROWS
    small = next(r for r in rows if r["model"] == "unet_tiny_cbam_sod")

    c2f_lines = []
    pairs = [(n, n.replace("c2f_", "unet_")) for n in models.list_models("c2f_*")]
    speed = {(r["c2f"], r["batch"]): r for r in c2f_speed(pairs, repeats=args.runs)}
    for name, dense in pairs:
        torch.manual_seed(0)
        s = compute_savings(models.create_model(name), 320, 320)
        b1, b8 = speed[(name, 1)], speed[(name, 8)]
        c2f_lines.append(f"| {name} | {s['coarse_gmac']:.2f} | {s['c2f_gmac']:.2f} | "
                         f"{s['fine_everywhere_gmac']:.2f} | {100 * s['saved_fraction']:.0f} % | "
                         f"{b1['c2f_ms']:.0f} / {b1['dense_ms']:.0f} | {b8['c2f_ms']:.0f} / {b8['dense_ms']:.0f} |")

    speed_lines = []
    for name in ("unet_tiny_cbam_sod", "unet_tiny_cbam_fixation", "unet_tiny_none_sod", "c2f_tiny_cbam_sod"):
        torch.manual_seed(0)
        ms = train_step_ms(models.create_model(name), 256, 256, batch=8, runs=5)
        speed_lines.append(f"| {name} | {ms:.0f} |")

    train = None if args.no_train else train_check("unet_tiny_cbam_sod", args.train_seconds)
    fix = None if args.no_train else fixation_check("unet_tiny_cbam_fixation", args.fixation_seconds)

    cmd = "python benchmarks/models.py" + (
        f" --train-seconds {args.train_seconds:g} --fixation-seconds {args.fixation_seconds:g}"
        if not args.no_train else " --no-train")
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    machine = (f"{os.cpu_count()}-core CPU ({platform.processor() or platform.machine()}), Python "
               f"{platform.python_version()}, torch {torch.__version__}, {gpu}")
    parts = [
        "## Models\n",
        f"Machine: {machine} (torch threads: {torch.get_num_threads()}); latencies vary by about a third between "
        f"runs on this shared machine (this run: {others}). "
        "Command: `" + cmd + "` (the table alone: `saliency models`).\n",
        "GMACs: `torch.utils.flop_counter.FlopCounterMode`, MACs = FLOPs / 2, convolutions and matrix "
        "products, batch 1 at 320 x 320. Latency: median of eval-mode forward passes at batch 1.\n",
        table,
        f"Smallest model family (built-in tiny encoder), CPU default `{small['model']}`, {small['params_m']:.2f} M parameters, {small['gmac']:.2f} GMAC "
        f"at 320 (target: <= 2 M, <= 5 GMAC).\n",
        "### Coarse-to-fine attention (320 x 320; GMAC at batch 1)\n",
        "| model | coarse pass GMAC | coarse-to-fine GMAC | fine branch everywhere GMAC | saved | "
        "ms/image batch 1, c2f / dense | ms/image batch 8, c2f / dense |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n" + "\n".join(c2f_lines) + "\n",
        "\"Fine branch everywhere\" = the coarse pass plus the fine branch over the whole image; "
        "coarse-to-fine runs the fine branch on the top-4 64 x 64 cells (+8 px context) only. Milliseconds: "
        "median eval-mode forward pass per image on 2 threads, the coarse-to-fine model and the dense model of "
        "its family (`unet_tiny_cbam_*`) timed alternately in one run.\n",
        "### CPU training speed (forward + backward, 256 x 256, batch 8, no optimiser step)\n",
        "| model | ms / image |\n|---|---:|\n" + "\n".join(speed_lines) + "\n",
    ]
    if train:
        parts += [
            "### CPU quality check: `unet_tiny_cbam_sod` from scratch on synthetic scenes\n",
            f"400 training scenes from `data_tools.scenes.render_scene` (640 x 480 -> 256 x 192), batch 8, "
            f"AdamW 2e-3 with cosine decay over the budget, BCE + IoU with deep supervision, horizontal flips; "
            f"{args.train_seconds:g} s budget -> {train['steps']} steps ({train['images']} images). "
            f"Held-out 60 scenes (PySODMetrics 1.6.2): **max F = {train['maxF']:.3f}**, "
            f"MAE = {train['MAE']:.4f}.\n",
        ]
    if fix:
        b, a = fix["before"], fix["after"]
        parts += [
            "### CPU quality check: `unet_tiny_cbam_fixation` from scratch on synthetic fixations\n",
            f"300 scenes as above; per object 8 fixations drawn from N(centre, 0.4 radius), maps blurred with "
            f"sigma 8 px at 256 x 192; loss KLD - 0.1 CC - 0.1 NSS with deep supervision, batch 8, AdamW 2e-3; "
            f"{args.fixation_seconds:g} s budget -> {fix['steps']} steps. Held-out 40 scenes: "
            f"CC {b['CC']:.3f} -> **{a['CC']:.3f}**, NSS {b['NSS']:.2f} -> **{a['NSS']:.2f}**, "
            f"KLD {b['KLD']:.3f} -> **{a['KLD']:.3f}** (before = untrained, i.e. mostly the centre-bias prior).\n",
        ]
    parts.append("Recommended CPU defaults: `unet_tiny_cbam_sod` (SOD) and `unet_tiny_cbam_fixation` (fixation).\n")
    text = "\n".join(parts)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

"""GPU training throughput: images/s of the default SOD models at 320 x 320, and the time of a DUTS-TR-sized epoch.

Part 1, model speed (synthetic tensors, no data loading): for each model, a
training step -- forward in train mode (main + side outputs), the structure
loss with deep supervision, backward, AdamW step -- at batch 32, 320 x 320,
with bf16 autocast and channels_last, once eager and once under
``torch.compile``. Warm-up steps (and compilation) are excluded; the figure is
the median over timed windows, with ``torch.cuda.synchronize`` around each.

Part 2, a real epoch: ``saliency train`` on 10,553 synthetic stand-in images
(DUTS-TR's count; 400 x 300 JPEG scenes with PNG masks, written by this
script) for one epoch, ``data.cache=false`` so images are decoded by the
DataLoader workers, batch 32, 320 x 320; the epoch time is read from the run's
``metrics.csv`` (training only; validation on a separate 32-image folder).

  python benchmarks/train_throughput.py --work /tmp/thr [--models a,b] [--workers 8]
  python benchmarks/train_throughput.py --skip-epoch [--models a,b]     (part 1 only: no --work)
  python benchmarks/train_throughput.py --device cpu --quick     (a smoke run of the code paths on a CPU)
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODELS = "unet_tiny_cbam_sod,unet_mobilenetv3_cbam_sod,unet_resnet50_cbam_sod,c2f_tiny_cbam_sod"
DUTS_TR = 10553


def step_speed(name: str, device, batch: int, size: int, compile_: bool, steps: int, warmup: int,
               phases: dict | None = None) -> float:
    """Training images/s of model ``name`` (bf16 autocast on CUDA, channels_last).

    With a ``phases`` dict, also fills it with the median milliseconds per step
    of the forward pass (with the loss), the backward pass and the optimiser
    step, each timed between device synchronisations (the synchronisations make
    this breakdown a little slower than the figure returned).
    """
    import torch

    from saliency import models
    from saliency.models.losses import deep_supervision, structure_loss

    torch.manual_seed(0)
    model = models.create_model(name).to(device).to(memory_format=torch.channels_last).train()
    net = torch.compile(model) if compile_ else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.rand(batch, 3, size, size, device=device).contiguous(memory_format=torch.channels_last)
    t = (torch.rand(batch, 1, size, size, device=device) > 0.7).float()
    amp = device.type == "cuda"

    def one():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            main, sides = net(x)
        loss = deep_supervision(structure_loss, (main, sides), t, [1.0] + [0.5] * len(sides))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        one()
    sync()
    rates = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            one()
        sync()
        rates.append(batch * steps / (time.perf_counter() - t0))
    if phases is not None:
        parts = {"forward": [], "backward": [], "optimizer": []}
        for _ in range(steps):
            t0 = time.perf_counter()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                main, sides = net(x)
            loss = deep_supervision(structure_loss, (main, sides), t, [1.0] + [0.5] * len(sides))
            sync()
            t1 = time.perf_counter()
            loss.backward()
            sync()
            t2 = time.perf_counter()
            opt.step()
            opt.zero_grad(set_to_none=True)
            sync()
            t3 = time.perf_counter()
            for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
                parts[k].append(v * 1e3)
        phases.update({k: float(np.median(v)) for k, v in parts.items()})
    return float(np.median(rates))


def loader_speed(data: Path, size: int, batch: int, workers: int, limit: int, device: str = "cpu",
                 augment: bool = True) -> float:
    """Images/s of the training data path alone: ``saliency train``'s loader over its dataset (no cache), no model.

    Built as the Trainer builds it (``saliency.runtime.prepare_data`` and
    ``make_loader``): the default config's training augmentation (flip, random
    resized crop, rotation, colour jitter; the epoch run sets no other), each
    sample seeded by a ``SeededSampler`` (epoch 0), the same workers and batch,
    pinned memory on CUDA. If this is well above the model's images/s, the
    loader is not the bottleneck. ``augment=False`` times decoding and resizing
    alone (the same loader, no augmentation): what the augmentation costs is
    the difference.
    """
    import torch

    from saliency.config import default_config
    from saliency.datasets import SaliencyDataset, find_sod
    from saliency.distributed import SeededSampler
    from saliency.runtime import make_loader
    from saliency.transforms import build_train_transform

    cfg = default_config()  # the epoch run's: no --config, and none of its --set touches these keys
    d, seed = cfg["data"], cfg["train"]["seed"]
    tf = build_train_transform("sod", (size, size), d["augment"]) if augment else None
    ds = SaliencyDataset(find_sod(data).records[:limit], "sod", (size, size), tf, cache=False, top=d["fixation_top"])
    sampler = SeededSampler(len(ds), seed, augment=augment)
    sampler.set_epoch(0)
    single = len(ds) > batch and len(ds) % batch == 1  # the Trainer leaves out a last batch of one image
    dl = make_loader(ds, sampler, batch, workers, torch.device(device), seed, drop_last=single)
    n, t0 = 0, None
    for b in dl:
        if t0 is None:  # the first batch waits for the workers' start-up: excluded
            t0 = time.perf_counter()
            continue
        n += b["image"].shape[0]
    return n / max(time.perf_counter() - t0, 1e-9) if n else float("nan")


def write_standins(folder: Path, n: int, w: int = 400, h: int = 300, seed: int = 0, distinct: int = 512) -> None:
    """``n`` stand-in scenes (``distinct`` different ones, repeated under new names): images/*.jpg + masks/*.png."""
    import cv2

    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    bases = []
    for _ in range(min(n, distinct)):
        img = cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 3)
        mask = np.zeros((h, w), np.uint8)
        c = (int(rng.integers(60, w - 60)), int(rng.integers(60, h - 60)))
        r = int(rng.integers(20, 60))
        cv2.circle(img, c, r, tuple(int(v) for v in rng.integers(0, 256, 3)), -1)
        cv2.circle(mask, c, r, 255, -1)
        bases.append((cv2.imencode(".jpg", img)[1].tobytes(), cv2.imencode(".png", mask)[1].tobytes()))
    for i in range(n):
        jpg, png = bases[i % len(bases)]
        (folder / "images" / f"im{i:05d}.jpg").write_bytes(jpg)
        (folder / "masks" / f"im{i:05d}.png").write_bytes(png)


def epoch_time(work: Path, model: str, device: str, n: int, batch: int, size: int, workers: int,
               compile_: bool) -> dict:
    """Seconds and images/s of one ``saliency train`` epoch over ``n`` stand-ins (from metrics.csv)."""
    data, val = work / "standins", work / "standins_val"
    if not data.is_dir():
        write_standins(data, n)
        write_standins(val, 32, seed=1)
    run = work / f"epoch_{model}{'_compiled' if compile_ else ''}"
    cmd = [sys.executable, "-m", "saliency", "train", "--data", str(data), "--task", "sod", "--model", model,
           "--epochs", "1", "--batch-size", str(batch), "--workers", str(workers), "--device", device,
           "--out", str(run), "--overwrite", "--quiet", "--set", f"data.size=[{size},{size}]",
           "--set", "data.cache=false", "--set", f"data.val={val}", "--set", "train.grid_images=0",
           "--set", f"train.compile={'true' if compile_ else 'false'}"]
    # its stderr is passed on (under --quiet, warnings only); a failed run ends this one in one line, exit status
    # the child's (2: bad input)
    p = subprocess.run(cmd, cwd=REPO, stderr=PIPE, text=True)
    if p.returncode:
        said = ((p.stderr or "").strip().splitlines() or ["no message"])[-1]
        rc = p.returncode if p.returncode > 0 else 128 - p.returncode  # killed by signal N: 128 + N, as a shell
        print(f"error: the epoch run of {model} (saliency train, exit status {rc}, run folder {run}) failed: {said}",
              file=sys.stderr)
        raise SystemExit(rc)
    sys.stderr.write(p.stderr or "")
    with open(run / "metrics.csv", newline="") as fh:
        row = list(csv.DictReader(fh))[-1]
    return {"epoch_s": float(row["epoch_s"]), "images_per_s": float(row["images_per_s"])}


def device_name(text: str) -> str:
    """``--device``: ``cuda``, ``cuda:N`` or ``cpu`` (an argparse type; one usage line otherwise)."""
    import re

    v = text.strip().lower()
    if v in ("cpu", "cuda") or re.fullmatch(r"cuda:\d{1,3}", v):
        return v
    raise argparse.ArgumentTypeError(f"{text!r}: choose cuda, cuda:N or cpu")


def sod_models(text: str) -> str:
    """``--models``: comma-separated registered SOD models, at least one, none twice (an argparse type).

    Returned without blanks around the commas.
    """
    from saliency.models.zoo import MODELS

    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = next((n for n in names if not (n in MODELS and n.endswith("_sod"))), None)
    if bad or not names:
        what = f"{bad!r} is not a registered SOD model" if bad else "no model"
        raise argparse.ArgumentTypeError(f"{text!r}: {what}; give comma-separated names of 'saliency models "
                                         "--filter \"*_sod\" --names-only'")
    dup = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if dup:
        raise argparse.ArgumentTypeError(f"{text!r}: model {dup!r} given twice; give each once")
    return ",".join(names)


def main() -> int:
    """Measure the model speed and the epoch time; print the table."""
    from saliency.commands._args import cpu_count, int_range, max_workers, non_negative_int, positive_int

    from scratch import ArgumentParser, fresh_work, refuse

    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default=None,
                    help="scratch folder of the epoch run (default /tmp/saliency_throughput; made, or replaced when a "
                         "benchmark made it)")
    ap.add_argument("--models", type=sod_models, default=None,
                    help=f"comma-separated SOD models (default {DEFAULT_MODELS}; with --quick unet_tiny_cbam_sod)")
    ap.add_argument("--device", type=device_name, default="cuda", help="cuda (default), cuda:N or cpu (smoke run)")
    ap.add_argument("--batch", type=positive_int, default=None, help="batch size (default 32)")
    ap.add_argument("--size", type=int_range(32, 4096, "size"), default=None, help="input side (default 320)")
    ap.add_argument("--workers", type=non_negative_int, default=None,
                    help=f"DataLoader workers of the epoch run (default 8, or this machine's CPUs if fewer: "
                         f"{min(8, max_workers())}; at most {max_workers()}, as saliency train allows)")
    ap.add_argument("--images", type=positive_int, default=None, help=f"stand-in images per epoch (default {DUTS_TR})")
    ap.add_argument("--skip-epoch", action="store_true", help="model speed only")
    ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile measurements")
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes (batch 2, 64x64, 40 images, 1 worker): check the code paths (CPU smoke run; no "
                         "torch.compile on a CPU)")
    args = ap.parse_args()
    # an option of the skipped epoch run would be ignored: refused, as a size --quick replaces (one line, nothing run)
    epoch = [f"--{k}" for k in ("work", "images", "workers") if getattr(args, k) is not None]
    if args.skip_epoch and epoch:
        ap.error(f"{epoch[0]}: an option of the epoch run; leave it out with --skip-epoch (that run is skipped)")
    # --quick sets the sizes itself: a size given with it would be silently replaced, so it is refused
    sizes = [f"--{k}" for k in ("batch", "size", "images", "workers") if getattr(args, k) is not None]
    if args.quick and sizes:
        ap.error(f"{sizes[0]}: --quick sets batch 2, 64x64, 40 images, 1 worker; leave it out with --quick")
    # saliency train refuses more workers than CPUs: refused here, before the model timings (it failed after them)
    if args.workers is not None and args.workers > max_workers():
        ap.error(f"argument --workers: {args.workers} is more than this machine's {cpu_count()} CPUs; use at most "
                 f"{max_workers()}")
    if args.quick:  # a smoke run of the code paths: torch.compile alone takes minutes on a CPU
        args.batch, args.size, args.images, args.workers = 2, 64, 40, 1
        args.no_compile = args.no_compile or not args.device.startswith("cuda")
        args.models = args.models or "unet_tiny_cbam_sod"
    else:
        args.models = args.models or DEFAULT_MODELS
        for k, v in (("batch", 32), ("size", 320), ("images", DUTS_TR), ("workers", min(8, max_workers()))):
            setattr(args, k, v if getattr(args, k) is None else getattr(args, k))
    # saliency train runs in the repository: an absolute --work (not resolved, so that fresh_work sees a link)
    args.work = str(Path(args.work or "/tmp/saliency_throughput").absolute())
    import torch

    sys.path.insert(0, str(REPO))
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        refuse(f"--device {args.device}: no CUDA device; this benchmark needs a GPU (use --device cpu --quick for a "
               "smoke run)")
    if args.device.startswith("cuda:") and int(args.device[5:]) >= torch.cuda.device_count():
        refuse(f"--device {args.device}: this machine has {torch.cuda.device_count()} CUDA device(s); give cuda:0 .. "
               f"cuda:{torch.cuda.device_count() - 1}")
    # the scratch folder is checked (and made) before the model timings: a user's folder stops the run at once
    work = None if args.skip_epoch else fresh_work(args.work)
    from saliency.runtime import torch_settings

    device = torch.device(args.device)
    cuda = device.type == "cuda"
    steps, warmup = (2, 1) if args.quick else (10, 5)
    dev_name = torch.cuda.get_device_name(device) if cuda else "CPU"
    print(f"device: {dev_name}; torch {torch.__version__}; batch {args.batch}, {args.size}x{args.size}, "
          f"{'bf16 autocast, ' if cuda else ''}channels_last")
    print("| model | eager img/s | compiled img/s | DUTS-TR epoch, model only (s) | eager ms/step: forward + loss, "
          "backward, optimiser |")
    print("|---|---:|---:|---:|---|")
    # CPU: one thread (see saliency.train.cpu_threads: shared small CPUs thrash with more); CUDA: cudnn.benchmark
    # and TF32, as saliency train sets them; all put back when the model-speed part is done
    with torch_settings(threads=None if cuda else 1, benchmark=True if cuda else None, tf32=True if cuda else None):
        for name in args.models.split(","):
            ph: dict = {}
            eager = step_speed(name, device, args.batch, args.size, False, steps, warmup, phases=ph)
            comp = (float("nan") if args.no_compile
                    else step_speed(name, device, args.batch, args.size, True, steps, warmup))
            best = np.nanmax([eager, comp])
            print(f"| {name} | {eager:.1f} | {comp:.1f} | {DUTS_TR / best:.0f} | {ph['forward']:.1f}, "
                  f"{ph['backward']:.1f}, {ph['optimizer']:.1f} |", flush=True)
    if work is not None:
        ws = f"{args.workers} worker{'s' if args.workers != 1 else ''}"
        print(f"\none epoch of {args.images} stand-in images through saliency train (decoding in {ws}, no cache):")
        for name in args.models.split(","):
            r = epoch_time(work, name, args.device, args.images, args.batch, args.size, args.workers, False)
            print(f"  {name}: {r['epoch_s']:.0f} s ({r['images_per_s']:.0f} img/s)", flush=True)
        n = min(args.images, 4096)
        rate = loader_speed(work / "standins", args.size, args.batch, args.workers, n, args.device)
        bare = loader_speed(work / "standins", args.size, args.batch, args.workers, n, args.device, augment=False)
        print(f"  the data path alone ({n} images in {ws}, no model): training's loader (decode, resize, "
              f"augmentation) {rate:.0f} img/s; decode + resize only {bare:.0f} img/s; the loader is the bottleneck "
              f"where an epoch's img/s is close to the first and below the model's")
    return 0


if __name__ == "__main__":
    from scratch import run_main

    raise SystemExit(run_main(main))

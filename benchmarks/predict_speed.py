"""``saliency predict`` speed on a folder of real photos: eager PyTorch against ONNX Runtime.

    .venv/bin/python benchmarks/predict_speed.py [--images ../shared/data/osie/stimuli] [--n 100]
        [--model unet_tiny_cbam_sod] [--size 320x320] [--threads 2] [--repeats 3]

1. Network latency at ``--size``, batch 1 and batch 8: the eager PyTorch model
   against the same network exported to ONNX and run by ONNX Runtime
   (:class:`saliency.onnx_runtime.OnnxModel`), alternating A/B in one process,
   median of ``--repeats`` x 10 passes; the largest output difference.
2. The whole command, ``saliency predict --runtime torch|onnx`` on the first
   ``--n`` photos of ``--images`` (OSIE's 800x600 JPEGs by default: decode,
   resize, network, resize back, PNG encode, write), batch 1 and batch 8,
   alternating, median images/s of ``--repeats`` runs (the ONNX export at the
   start of each ``--runtime onnx`` run included).

The network is the registered ``--model``, untrained, seeded (speed does not
depend on the weights); its checkpoint records ``--size`` as its training
size.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checkpoint(name: str, size_hw, path: Path):
    """A seeded, untrained ``name`` saved as a checkpoint whose training size is ``size_hw``; returns the model."""
    import torch

    from saliency import models
    from saliency.checkpoint import save

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        m = models.create_model(name).eval()
    save(path, {"config": m.config, "state_dict": m.state_dict(), "train_config": {"data": {"size": list(size_hw)}}})
    return m


def latency(model, size_hw, repeats: int):
    """{batch: (eager ms/img, onnx ms/img, max |diff|)} at batch 1 and 8, alternating eager and ONNX Runtime."""
    import torch

    from saliency.onnx_runtime import OnnxModel

    om = OnnxModel(model, size_hw)
    out = {}
    for bs in (1, 8):
        x = torch.rand(bs, 3, *size_hw, generator=torch.Generator().manual_seed(bs))
        with torch.no_grad():
            ref = model(x)
            diff = float((om(x) - ref).abs().max())
            for _ in range(2):
                model(x)
                om(x)
            ea, oa = [], []
            for r in range(repeats):
                for fn, acc in ((model, ea), (om, oa)) if r % 2 == 0 else ((om, oa), (model, ea)):
                    for _ in range(10):
                        t0 = time.perf_counter()
                        fn(x)
                        acc.append((time.perf_counter() - t0) * 1e3 / bs)
        out[bs] = (statistics.median(ea), statistics.median(oa), diff)
    return out


def run_predict(ck: Path, images: Path, out: Path, runtime: str, batch: int) -> float:
    """Images/s of one ``saliency predict`` run (wall time of the command)."""
    from saliency.cli import main

    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["predict", "--checkpoint", str(ck), "--images", str(images), "--out", str(out), "--device", "cpu",
                     "--batch-size", str(batch), "--runtime", runtime, "--quiet"])
    dt = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"saliency predict --runtime {runtime} failed with exit code {code}")
    return sum(1 for _ in out.iterdir()) / dt


def main() -> None:
    """Time the network and the command; print the figures."""
    from saliency.commands._args import positive_int, size_wxh

    from scratch import ArgumentParser, refuse

    ap = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default=None,
                    help="folder of photos for the saliency predict part (default ../shared/data/osie/stimuli)")
    ap.add_argument("--n", type=positive_int, default=None, help="photos to predict (the first N by name; default 100)")
    ap.add_argument("--model", default="unet_tiny_cbam_sod", help="registered model (default unet_tiny_cbam_sod)")
    ap.add_argument("--size", type=size_wxh(example="320x320"), default=(320, 320),
                    help="network input WIDTHxHEIGHT (default 320x320)")
    ap.add_argument("--threads", type=positive_int, default=2, help="torch and ONNX Runtime threads (default 2)")
    ap.add_argument("--repeats", type=positive_int, default=3, help="alternating repeats (default 3)")
    ap.add_argument("--skip-cli", action="store_true", help="network latency only")
    args = ap.parse_args()
    # --n of the skipped command part would be ignored: refused instead, one line, before anything is run
    for flag, value in (("--n", args.n), ("--images", args.images)):
        if args.skip_cli and value is not None:
            ap.error(f"{flag}: an option of the saliency predict part; leave it out with --skip-cli (that part is "
                     "skipped)")
    if args.n is None:
        args.n = 100
    w, h = args.size
    photos = []
    if not args.skip_cli:  # the photos are the predict part's alone
        if args.images is None:
            args.images = str(ROOT.parent / "shared" / "data" / "osie" / "stimuli")
        src = Path(args.images)
        photos = sorted(p for p in src.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")) \
            if src.is_dir() else []
        if not photos:  # before torch is imported: bad input stops at once
            what = "folder not found" if not src.is_dir() else "no photos (.jpg, .jpeg, .png) in it"
            refuse(f"--images {args.images}: {what}; give a folder of photos")
        photos = photos[:args.n]
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ck = tmp / "model.pt"
        model = checkpoint(args.model, (h, w), ck)
        print(f"{args.model} at {w}x{h}, {torch.get_num_threads()} threads, load average "
              f"{os.getloadavg()[0]:.1f} (machine shared with other jobs: ratios matter, not absolute ms)")
        for bs, (e, o, d) in latency(model, (h, w), args.repeats).items():
            print(f"network, batch {bs}: eager {e:.1f} ms/img, ONNX Runtime {o:.1f} ms/img, "
                  f"speed-up {e / o:.2f}x, max |diff| {d:.1e}")
        if args.skip_cli:
            return
        folder = tmp / "photos"
        folder.mkdir()
        for p in photos:
            shutil.copy2(p, folder / p.name)
        rates = {}
        for r in range(args.repeats):
            for rt in (("torch", "onnx") if r % 2 == 0 else ("onnx", "torch")):
                for bs in (1, 8):
                    rates.setdefault((rt, bs), []).append(run_predict(ck, folder, tmp / "out", rt, bs))
        for bs in (1, 8):
            t, o = statistics.median(rates[("torch", bs)]), statistics.median(rates[("onnx", bs)])
            print(f"saliency predict, {len(photos)} photos of {src.name}, --batch-size {bs}: --runtime torch "
                  f"{t:.1f} img/s, --runtime onnx {o:.1f} img/s ({o / t:.2f}x)")


if __name__ == "__main__":
    from scratch import run_main

    raise SystemExit(run_main(main))

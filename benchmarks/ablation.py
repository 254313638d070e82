"""Attention ablation: the default SOD recipe with no attention, SE, CBAM and SK, several seeds each.

Each run is ``saliency train --data STUDY --task sod --model unet_tiny_<att>_sod
--seed S --device cpu`` (plus ``--epochs`` when given) on a synthetic study;
the score is the last epoch's validation on the held-out split (MAE, Fmax,
S-measure from :mod:`eval`, identical to ``saliency predict`` + ``saliency
eval`` on those scenes -- see tests/test_train_run.py). The weight
initialisation and the augmentation draw change with the seed; the split
(``data.split_seed``) stays fixed, so the spread is that of training alone.
Prints a markdown table: mean and sample standard deviation over seeds.

  python benchmarks/ablation.py --study S [--epochs E] [--seeds 0,1,2] [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
KEYS = ("Fmax", "MAE", "Smeasure")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", required=True, help="saliency synth folder")
    ap.add_argument("--work", default="/tmp/saliency_ablation", help="scratch folder (replaced)")
    ap.add_argument("--epochs", type=int, help="epochs per run (default: the recipe's)")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    ap.add_argument("--attentions", default="none,se,cbam,sk", help="attention variants (default none,se,cbam,sk)")
    args = ap.parse_args()
    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    table = {}
    for att in args.attentions.split(","):
        vals = {k: [] for k in KEYS}
        secs = []
        for seed in seeds:
            run = work / f"{att}_s{seed}"
            cmd = [sys.executable, "-m", "saliency", "train", "--data", args.study, "--task", "sod",
                   "--model", f"unet_tiny_{att}_sod", "--seed", str(seed), "--out", str(run), "--device", "cpu",
                   "--quiet", "--set", "train.grid_images=0"]
            if args.epochs:
                cmd += ["--epochs", str(args.epochs)]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=REPO)
            secs.append(time.perf_counter() - t0)
            with open(run / "metrics.csv", newline="") as fh:
                last = list(csv.DictReader(fh))[-1]
            for k in KEYS:
                vals[k].append(float(last[k]))
            print(f"{att} seed {seed}: " + ", ".join(f"{k} {vals[k][-1]:.4f}" for k in KEYS)
                  + f" ({secs[-1]:.0f} s)", flush=True)
        table[att] = (vals, float(np.mean(secs)))
    print(f"\n| attention | " + " | ".join(KEYS) + " | train s/run |")
    print("|---|" + "---:|" * (len(KEYS) + 1))
    for att, (vals, sec) in table.items():
        cells = [f"{np.mean(v):.4f} ± {np.std(v, ddof=1) if len(v) > 1 else 0:.4f}" for v in vals.values()]
        print(f"| {att} | " + " | ".join(cells) + f" | {sec:.0f} |")
    print(f"\nmean ± sample std over seeds {args.seeds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

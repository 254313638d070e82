"""Saliency crops against centre crops on the synthetic study: share of object pixels kept.

Writes a synthetic study (`saliency synth`), builds human saliency maps from
its raw gaze samples (`saliency ingest`, I-VT), and for every scene compares
two crops of the same size and aspect ratio: the saliency crop (the largest
window keeping the most saliency, `saliency.crop.saliency_crop`) and the
centre crop. The figure is the share of the scene's ground-truth object
pixels (masks/) inside the crop, averaged over scenes. With `--maps DIR` the
saliency comes from that folder instead (e.g. a model's predictions from
`saliency predict`).

    python benchmarks/crop.py [--scenes 100] [--subjects 10] [--aspects 1:1 16:9] [--maps DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np


def main() -> int:
    """Run the comparison and print a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=100, help="scenes in the study (default: 100)")
    ap.add_argument("--subjects", type=int, default=10, help="simulated observers (default: 10)")
    ap.add_argument("--seed", type=int, default=7, help="study seed (default: 7)")
    ap.add_argument("--aspects", nargs="+", default=["1:1", "16:9"], help="aspect ratios (default: 1:1 16:9)")
    ap.add_argument("--maps", default=None, help="use these saliency maps instead of the ingested human maps")
    ap.add_argument("--study", default=None, help="an existing study folder (default: write a new one)")
    args = ap.parse_args()

    from saliency.eval.io import index_folder, read_map
    from saliency.crop import center_crop, parse_aspect, saliency_crop

    with tempfile.TemporaryDirectory() as tmp:
        study = Path(args.study) if args.study else Path(tmp) / "study"
        cli = [sys.executable, "-m", "saliency"]
        if not args.study:
            subprocess.run(cli + ["synth", "--out", str(study), "--scenes", str(args.scenes), "--subjects",
                                  str(args.subjects), "--seed", str(args.seed), "--quiet"], check=True,
                           stdout=subprocess.DEVNULL)
        maps_dir = args.maps
        source = f"maps from {args.maps}"
        if maps_dir is None:
            ds = Path(tmp) / "ingested"
            subprocess.run(cli + ["ingest", str(study / "logs" / "samples.csv"), "--stimuli", str(study / "stimuli"),
                                  "--geometry", str(study / "screen.json"), "--out", str(ds)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            maps_dir = ds / "maps"
            source = "human maps ingested from the raw samples (I-VT, sigma 1 deg)"
        maps = index_folder(maps_dir, param="maps")
        masks = index_folder(study / "masks", label="masks")
        names = sorted(n for n in masks if n in maps)
        rows = []
        for text in args.aspects:
            aspect = parse_aspect(text)
            ours, centre = [], []
            for n in names:
                gt = cv2.imread(str(masks[n]), cv2.IMREAD_GRAYSCALE) > 128
                sal = read_map(maps[n])
                if sal.shape != gt.shape:
                    sal = cv2.resize(sal.astype(np.float32), gt.shape[::-1], interpolation=cv2.INTER_LINEAR)
                total = gt.sum()
                for box, acc in ((saliency_crop(sal, aspect), ours), (center_crop(*gt.shape[::-1], aspect), centre)):
                    acc.append(gt[box.y:box.y + box.h, box.x:box.x + box.w].sum() / total)
            ours, centre = np.array(ours), np.array(centre)
            rows.append((text, ours.mean(), centre.mean(), (ours > centre + 1e-9).mean(), (ours < centre - 1e-9).mean()))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{len(names)} scenes; saliency: {source}")
    print("| aspect | object pixels kept, saliency crop | centre crop | scenes better | scenes worse |")
    print("|---|---|---|---|---|")
    for text, a, b, better, worse in rows:
        print(f"| {text} | {a:.1%} | {b:.1%} | {better:.0%} | {worse:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

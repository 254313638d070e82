"""Benchmark of `saliency ingest` (issue 3): whole-run time and peak memory, and map building vs scipy.

    python benchmarks/ingest.py [--stimuli 1000] [--subjects 15] [--per-trial 20] [--workers 2]

1. Writes a synthetic study: N stimuli at 1024x768 (PNG), a generic fixation list
   (subject, stimulus, x, y, t_start_ms, duration_ms; screen px on a 1920x1080
   screen, stimulus shown with `fit`), K subjects x per-trial fixations each,
   clustered around a few per-stimulus hot spots.
2. Runs `saliency ingest` in a subprocess; prints wall time and peak RSS
   (parent process and the largest map worker).
3. Map building alone: our banded-matrix blur against
   scipy.ndimage.gaussian_filter on the same fixation map (same sigma, border),
   time per map and max difference relative to the map maximum.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_study(root: Path, n_stim: int, n_subj: int, per_trial: int, seed: int = 0) -> Path:
    import cv2
    import pandas as pd

    rng = np.random.default_rng(seed)
    stim = root / "stimuli"
    stim.mkdir(parents=True)
    base = (np.add.outer(np.arange(768) // 3, np.arange(1024) // 4) % 256).astype(np.uint8)
    img = np.dstack([base, base[::-1], base[:, ::-1]])
    for i in range(n_stim):
        cv2.imwrite(str(stim / f"im{i:05d}.png"), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    rows = []
    for i in range(n_stim):
        hot = rng.uniform([240 + 100, 100], [1680 - 100, 980], size=(4, 2))
        for s in range(n_subj):
            k = rng.integers(0, 4, per_trial)
            xy = hot[k] + rng.normal(0, 60, (per_trial, 2))
            t0 = 5000.0 * (i * n_subj + s)
            t = t0 + np.arange(per_trial) * 250.0
            rows.append(pd.DataFrame({"subject": f"sub{s:02d}", "stimulus": f"im{i:05d}", "x": xy[:, 0].round(2),
                                      "y": xy[:, 1].round(2), "t_start_ms": t, "duration_ms": 220.0}))
    log = root / "fixations.csv"
    pd.concat(rows, ignore_index=True).to_csv(log, index=False)
    (root / "screen.json").write_text(json.dumps({"screen_px": [1920, 1080], "screen_cm": [53.1, 29.9],
                                                  "distance_cm": 65.0, "display": "fit"}))
    return log


def bench_maps(repeats: int = 20):
    from scipy.ndimage import gaussian_filter

    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.data_tools.maps import blur_points

    g = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)
    sigma = g.ppd_xy[0] / g.placement(1024, 768).scale[0]
    rng = np.random.default_rng(1)
    h, w, n = 768, 1024, 300
    r, c = rng.integers(0, h, n), rng.integers(0, w, n)
    out = []
    for border in ("constant", "reflect", "nearest"):
        F = np.zeros((h, w))
        np.add.at(F, (r, c), 1.0)
        t = time.perf_counter()
        for _ in range(3):
            ref = gaussian_filter(F, sigma, mode=border)
        t_ref = (time.perf_counter() - t) / 3
        blur_points((h, w), r, c, np.ones(n), sigma, border)
        t = time.perf_counter()
        for _ in range(repeats):
            ours = blur_points((h, w), r, c, np.ones(n), sigma, border)
        t_ours = (time.perf_counter() - t) / repeats
        out.append((border, sigma, t_ref * 1e3, t_ours * 1e3, t_ref / t_ours, np.abs(ours - ref).max() / ref.max()))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stimuli", type=int, default=1000, help="number of stimuli (1024x768)")
    ap.add_argument("--subjects", type=int, default=15, help="number of subjects")
    ap.add_argument("--per-trial", type=int, default=20, help="fixations per subject and stimulus")
    ap.add_argument("--workers", type=int, default=2, help="--workers passed to saliency ingest")
    ap.add_argument("--keep", default=None, help="keep the study and dataset in this folder")
    a = ap.parse_args()
    root = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    t = time.perf_counter()
    log = make_study(root / "study", a.stimuli, a.subjects, a.per_trial)
    print(f"study: {a.stimuli} stimuli 1024x768, {a.subjects} subjects, "
          f"{a.stimuli * a.subjects * a.per_trial:,} fixations ({time.perf_counter() - t:.1f} s to write)")
    cmd = [sys.executable, "-m", "saliency", "ingest", str(log), "--stimuli", str(root / "study" / "stimuli"),
           "--geometry", str(root / "study" / "screen.json"), "--out", str(root / "dataset"), "--overwrite",
           "--workers", str(a.workers)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _, status, ru = __import__("os").wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    text = proc.stdout.read()
    if status != 0:
        print(text)
        return 1
    child_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(text.strip())
    print(f"ingest: {wall:.1f} s wall, peak RSS {ru.ru_maxrss / 1024:.0f} MiB (main process), "
          f"largest process {child_max:.0f} MiB, workers {a.workers}")
    print("map building alone, 1024x768, 300 fixated pixels:")
    print(f"{'border':<10}{'sigma px':>9}{'scipy ms':>10}{'ours ms':>9}{'speed-up':>10}{'max diff/max':>14}")
    for b, s, tr, to, sp, d in bench_maps():
        print(f"{b:<10}{s:>9.2f}{tr:>10.1f}{to:>9.2f}{sp:>9.1f}x{d:>14.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

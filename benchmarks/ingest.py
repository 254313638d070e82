"""Benchmark of `saliency ingest` (issues 3 and 15): whole-run time, peak memory, stages, and the scipy anchor.

    python benchmarks/ingest.py [--stimuli 1000] [--subjects 15] [--per-trial 20] [--workers 2]
    python benchmarks/ingest.py --stimuli 100 --repeats 3    # issue 15: whole run vs scipy blur-only, stages

1. Writes a synthetic study: N stimuli at 1024x768 (PNG), a generic fixation list
   (subject, stimulus, x, y, t_start_ms, duration_ms; screen px on a 1920x1080
   screen, stimulus shown with `fit`), K subjects x per-trial fixations each,
   clustered around a few per-stimulus hot spots.
2. Runs `saliency ingest` in a subprocess; prints wall time and peak RSS
   (parent process and the largest map worker).
3. Map building alone: our banded-matrix blur against
   scipy.ndimage.gaussian_filter on the same fixation map (same sigma, border),
   time per map and max difference relative to the map maximum.
4. Side by side (issue 15), `--repeats` times, medians: the whole run (a fresh
   process, as a user types it) against the anchor, scipy.ndimage.gaussian_filter
   alone on every stimulus' fixation map of the same study (the blur a plain
   scipy pipeline would need, nothing else), in the same process loop; the ratio
   anchor / ours is the issue's "x the scipy blur-only time". Then the stages of
   one in-process run (`data_tools.ingest.LAST_STAGES`): main-process wall time
   per stage, and the map workers' summed time per step. The machine is shared:
   CPU seconds (user + sys of the run's processes) are printed beside wall time.
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
    """Write the synthetic study under ``root`` (stimuli/, fixations.csv, screen.json); return the fixation list."""
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
    """Per border mode: (border, sigma, scipy ms, ours ms, speed-up, max difference / max) of one 1024x768 map."""
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


def scipy_anchor(root: Path) -> float:
    """Seconds scipy.ndimage.gaussian_filter needs for every stimulus' fixation map of the study (blur only)."""
    import pandas as pd
    from scipy.ndimage import gaussian_filter

    from saliency.data_tools.geometry import ScreenGeometry

    g = ScreenGeometry.load(root / "study" / "screen.json")
    pl = g.placement(1024, 768)
    sx, sy = g.ppd_xy[0] / pl.scale[0], g.ppd_xy[1] / pl.scale[1]
    fix = pd.read_csv(root / "study" / "fixations.csv")
    x, y = pl.screen_to_stimulus(fix["x"].to_numpy(), fix["y"].to_numpy())
    col = np.clip(np.floor(x + 0.5), 0, 1023).astype(int)
    row = np.clip(np.floor(y + 0.5), 0, 767).astype(int)
    ok = (x >= -0.5) & (x < 1023.5) & (y >= -0.5) & (y < 767.5)
    stim = fix["stimulus"].to_numpy()
    maps = []
    for s in np.unique(stim):
        m = ok & (stim == s)
        F = np.zeros((768, 1024))
        np.add.at(F, (row[m], col[m]), 1.0)
        maps.append(F)
    t = time.perf_counter()
    for F in maps:
        gaussian_filter(F, (sy, sx), mode="constant")
    return time.perf_counter() - t


def run_cli(cmd: list[str]) -> tuple[float, float, str, int]:
    """Wall seconds, CPU seconds (user + sys of the process and its children), output, exit status."""
    import os

    from scratch import run_child

    t = time.perf_counter()
    c0 = os.times()
    proc = run_child(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t
    c1 = os.times()
    cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
    return wall, cpu, proc.stdout, proc.returncode


def stage_table(root: Path, workers: int) -> dict:
    """One in-process run of the ingest; its stages (:data:`data_tools.ingest.LAST_STAGES`)."""
    from saliency.data_tools import ingest as ing
    from saliency.data_tools.geometry import ScreenGeometry

    opts = ing.IngestOptions(geometry=ScreenGeometry.load(root / "study" / "screen.json"), workers=workers)
    t = time.perf_counter()
    ing.ingest([root / "study" / "fixations.csv"], root / "study" / "stimuli", root / "dataset_inproc", opts)
    out = dict(ing.LAST_STAGES)
    out["total (in process)"] = time.perf_counter() - t
    import shutil

    shutil.rmtree(root / "dataset_inproc", ignore_errors=True)
    return out


def side_by_side(root: Path, cmd: list[str], repeats: int, workers: int) -> int:
    """Issue 15: whole run vs the scipy blur-only anchor, ``repeats`` times each, interleaved; medians."""
    walls, cpus, anchors = [], [], []
    for _ in range(repeats):
        anchors.append(scipy_anchor(root))
        wall, cpu, text, rc = run_cli(cmd)
        if rc != 0:
            print(text)
            return 1
        walls.append(wall)
        cpus.append(cpu)
    w, c, a = (float(np.median(v)) for v in (walls, cpus, anchors))
    print(f"side by side, {repeats} repeats, medians: ingest {w:.2f} s wall ({c:.2f} s CPU), "
          f"scipy blur-only {a:.2f} s -> ingest is {a / w:.1f}x faster than scipy's blur alone "
          f"(runs: {', '.join(f'{v:.2f}' for v in walls)} s)")
    stages = stage_table(root, workers)
    print(f"stages of one in-process run (--workers {workers}; seconds):")
    for k, v in stages.items():
        print(f"  {k:<28}{v:>8.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark of the command-line arguments; print the figures."""
    from saliency.commands._args import add_force_workers, check_workers, non_negative_int, positive_int, workers

    from scratch import ArgumentParser

    # a bad value: one usage line, exit 2, before the study is written
    ap = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stimuli", type=positive_int, default=1000, help="number of stimuli (1024x768)")
    ap.add_argument("--subjects", type=positive_int, default=15, help="number of subjects")
    ap.add_argument("--per-trial", type=positive_int, default=20, help="fixations per subject and stimulus")
    ap.add_argument("--workers", type=workers(1), default=2,
                    help="--workers passed to saliency ingest (default 2; at most the number of CPUs unless "
                         "--force-workers)")
    add_force_workers(ap)
    ap.add_argument("--keep", default=None,
                    help="keep the study and dataset in this folder (the study reused when made with the same "
                         "--stimuli, --subjects, --per-trial, else refused); a folder this script did not make is "
                         "refused when it holds anything")
    ap.add_argument("--repeats", type=non_negative_int, default=0,
                    help="issue 15: also run ingest and the scipy blur-only anchor this many times side by side, "
                         "and print the stage table (default 0: not run)")
    a = ap.parse_args(argv)
    check_workers(ap, a)  # saliency ingest would refuse them, after the study is written
    if a.keep:  # the dataset in it is replaced: only in a folder a benchmark made (scratch.MARK), never a user's
        from scratch import own_folder, resumable_work

        keep = own_folder(a.keep, "--keep")
        # the study kept in it is reused only when written with the same counts (else the old study was timed)
        return run(a, resumable_work(keep, {"stimuli": a.stimuli, "subjects": a.subjects, "per_trial": a.per_trial},
                                     "--keep"))
    root = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    try:  # the study and dataset (about 0.2 GB at 1,000 stimuli) go with the run
        return run(a, root)
    finally:  # all of it, even when a second SIGTERM comes meanwhile
        from scratch import remove_scratch

        remove_scratch(root)


def run(a, root: Path) -> int:
    """The benchmark of ``main``'s arguments ``a`` with its study and dataset under ``root``."""
    t = time.perf_counter()
    if (root / "study" / "fixations.csv").is_file():
        log = root / "study" / "fixations.csv"
    else:
        log = make_study(root / "study", a.stimuli, a.subjects, a.per_trial)
    n_fix = sum(1 for _ in open(log)) - 1
    print(f"study: {len(list((root / 'study' / 'stimuli').iterdir()))} stimuli 1024x768, {n_fix:,} fixations "
          f"({time.perf_counter() - t:.1f} s to write)")
    cmd = [sys.executable, "-m", "saliency", "ingest", str(log), "--stimuli", str(root / "study" / "stimuli"),
           "--geometry", str(root / "study" / "screen.json"), "--out", str(root / "dataset"), "--overwrite",
           "--workers", str(a.workers), "--quiet"] + (["--force-workers"] if a.force_workers else [])
    if a.repeats:
        return side_by_side(root, cmd, a.repeats, a.workers)
    from scratch import child_process

    t = time.perf_counter()
    # on Ctrl-C or SIGTERM the child is ended and waited for before main removes the study it reads
    with child_process(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        _, status, ru = __import__("os").wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        text = proc.stdout.read()
    if status != 0:
        print(text)
        return 1
    child_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(text.strip())
    print(f"ingest: {wall:.1f} s wall, {ru.ru_utime + ru.ru_stime:.1f} s CPU (user + sys, its processes), load "
          f"average {__import__('os').getloadavg()[0]:.1f}; peak RSS {ru.ru_maxrss / 1024:.0f} MiB (main process), "
          f"largest process {child_max:.0f} MiB, workers {a.workers}")
    print("map building alone, 1024x768, 300 fixated pixels:")
    print(f"{'border':<10}{'sigma px':>9}{'scipy ms':>10}{'ours ms':>9}{'speed-up':>10}{'max diff/max':>14}")
    for b, s, tr, to, sp, d in bench_maps():
        print(f"{b:<10}{s:>9.2f}{tr:>10.1f}{to:>9.2f}{sp:>9.1f}x{d:>14.1e}")
    return 0


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

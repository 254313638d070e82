"""Speed of the SOD metrics against PySODMetrics 1.6.2, and of ``saliency eval`` end to end.

    .venv/bin/python benchmarks/eval_speed.py [--n 500] [--size 400x300] [--threads N] [--repeats 3]

1. ``--n`` synthetic (prediction, GT) pairs at ``--size``, decoded in memory:
   the five classical metrics (MAE, F-measure, S-measure, E-measure, weighted F)
   per image, ``eval.sod_image_scores`` against PySODMetrics' classes in the
   same process, and the largest absolute difference over every per-image value
   and curve point and over the dataset aggregates.
2. The same pairs written as PNG (or ``--cli-n`` pairs; 5019 is DUTS-TE's
   size): ``saliency eval --task sod`` (all ten metrics) in images/s with 1
   and 2 workers, alternating: in this process (the package already imported)
   and, as a user types it, ``python -m saliency eval`` in a fresh process
   (Python's start-up and the imports included).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import cv2
import numpy as np


def make_pairs(n: int, w: int, h: int, seed: int):
    """Blob-shaped GT masks and noisy, blurred predictions (uint8)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    pairs = []
    for _ in range(n):
        gt = np.zeros((h, w), np.uint8)
        for _ in range(rng.integers(1, 4)):
            cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
            ry, rx = rng.uniform(0.05, 0.3) * h, rng.uniform(0.05, 0.3) * w
            gt[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] = 255
        noise = rng.normal(0, rng.uniform(20, 70), (h, w))
        pred = cv2.GaussianBlur(np.clip(gt * rng.uniform(0.5, 0.9) + 30 + noise, 0, 255), (0, 0), 3)
        pairs.append((pred.astype(np.uint8), gt))
    return pairs


def run_ours(pairs):
    from saliency.eval.sod import SODMetrics

    acc = SODMetrics(metrics=("MAE", "Fmax", "Fmean", "Fadp", "Smeasure", "Emax", "Emean", "Eadp", "wF"))
    t0 = time.perf_counter()
    for p, g in pairs:
        acc.step(p, g)
    return time.perf_counter() - t0, acc


def run_ref(pairs):
    import py_sod_metrics as M

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ms = [M.MAE(), M.Fmeasure(), M.Smeasure(), M.Emeasure(), M.WeightedFmeasure()]
        t0 = time.perf_counter()
        for p, g in pairs:
            for m in ms:
                m.step(p, g)
        return time.perf_counter() - t0, ms


def interleaved(pairs, repeats: int):
    """Median seconds of ours and of the reference over ``repeats`` alternating runs (A B B A ...) in one process.

    On a shared machine the load changes from second to second; alternating the
    two and taking each one's median keeps the ratio fair.
    """
    ours, ref = [], []
    acc = ms = None
    for r in range(repeats):
        order = (run_ours, run_ref) if r % 2 == 0 else (run_ref, run_ours)
        for fn in order:
            t, obj = fn(pairs)
            if fn is run_ours:
                ours.append(t)
                acc = obj
            else:
                ref.append(t)
                ms = obj
    return float(np.median(ours)), float(np.median(ref)), ours, ref, acc, ms


def max_diff(acc, ms) -> float:
    mae, fm, sm, em, wf = ms
    S = acc._scores
    d = [np.abs(np.array([s.mae for s in S]) - np.array(mae.maes)).max(),
         np.abs(np.array([s.fadp for s in S]) - np.array(fm.adaptive_fms)).max(),
         np.abs(np.array([s.fcurve for s in S]) - np.array(fm.changeable_fms)).max(),
         np.abs(np.array([s.precision for s in S]) - np.array(fm.precisions)).max(),
         np.abs(np.array([s.recall for s in S]) - np.array(fm.recalls)).max(),
         np.abs(np.array([s.smeasure for s in S]) - np.array(sm.sms)).max(),
         np.abs(np.array([s.eadp for s in S]) - np.array(em.adaptive_ems)).max(),
         np.abs(np.array([s.ecurve for s in S]) - np.array(em.changeable_ems)).max(),
         np.abs(np.array([s.wf for s in S]) - np.array(wf.weighted_fms)).max()]
    r = acc.results()
    f, e = fm.get_results()["fm"], em.get_results()["em"]
    agg = {"MAE": mae.get_results()["mae"], "Fmax": f["curve"].max(), "Fmean": f["curve"].mean(), "Fadp": f["adp"],
           "Smeasure": sm.get_results()["sm"], "Emax": e["curve"].max(), "Emean": e["curve"].mean(),
           "Eadp": e["adp"], "wF": wf.get_results()["wfm"]}
    d += [abs(r[k] - v) for k, v in agg.items()]
    return float(max(d))


def end_to_end(pairs, workers: int, folder: Path) -> float:
    from saliency.cli import main

    import contextlib
    import io

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["eval", "--task", "sod", "--pred", str(folder / "pred"), "--gt", str(folder / "gt"),
                     "--workers", str(workers), "--quiet", "--json", str(folder / f"w{workers}.json")])
    dt = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"saliency eval failed with exit code {code}")
    return len(pairs) / dt


def end_to_end_fresh(pairs, workers: int, folder: Path) -> float:
    """Images/s of ``python -m saliency eval`` in a fresh process (start-up and imports included)."""
    import subprocess
    import sys

    from scratch import run_child

    t0 = time.perf_counter()
    proc = run_child([sys.executable, "-m", "saliency", "eval", "--task", "sod", "--pred", str(folder / "pred"),
                           "--gt", str(folder / "gt"), "--workers", str(workers), "--quiet", "--json",
                           str(folder / f"f{workers}.json")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"saliency eval failed: {proc.stderr.strip()}")
    return len(pairs) / dt


def main() -> None:
    """Time both parts and print the figures."""
    from saliency.commands._args import non_negative_int, positive_int, seed, size_wxh

    from scratch import ArgumentParser

    ap = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=positive_int, default=500, help="number of pairs (default 500)")
    ap.add_argument("--size", type=size_wxh(example="400x300"), default=(400, 300),
                    help="WIDTHxHEIGHT (default 400x300)")
    ap.add_argument("--seed", type=seed, default=0, help="seed of the synthetic pairs")
    ap.add_argument("--threads", type=non_negative_int, default=None,
                    help="cv2.setNumThreads for part 1 (default: OpenCV's)")
    ap.add_argument("--repeats", type=positive_int, default=3,
                    help="alternating repeats of ours and the reference (default 3)")
    ap.add_argument("--cli-repeats", type=positive_int, default=None,
                    help="alternating repeats of saliency eval --workers 1 and 2 (default 3)")
    ap.add_argument("--skip-cli", action="store_true", help="skip the end-to-end part")
    ap.add_argument("--cli-n", type=positive_int, default=None,
                    help="pairs of the end-to-end part (default: --n; 5019 is the size of DUTS-TE, the usual SOD "
                         "test set)")
    ap.add_argument("--skip-in-process", action="store_true",
                    help="end-to-end part: only fresh processes (as a user runs it)")
    ap.add_argument("--one-thread-baseline", action="store_true",
                    help="in process, also time --workers 1 with OpenCV held to one thread (what each process of "
                         "--workers 2 gets)")
    args = ap.parse_args()
    # an option of a part that is skipped would be ignored (and --skip-in-process would still print the in-process
    # comparison as made): refused instead, one line, before anything is run
    cli = [o for o, v in (("--cli-n", args.cli_n), ("--cli-repeats", args.cli_repeats),
                          ("--skip-in-process", args.skip_in_process),
                          ("--one-thread-baseline", args.one_thread_baseline)) if v not in (None, False)]
    if args.skip_cli and cli:
        ap.error(f"{cli[0]}: an option of the end-to-end part; leave it out with --skip-cli (that part is skipped)")
    if args.skip_in_process and args.one_thread_baseline:
        ap.error("--one-thread-baseline: an in-process timing; leave it out with --skip-in-process (only fresh "
                 "processes are timed)")
    if args.cli_repeats is None:
        args.cli_repeats = 3
    w, h = args.size
    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    pairs = make_pairs(args.n, w, h, args.seed)
    run_ours(pairs[:5])
    run_ref(pairs[:5])  # warm-up (imports, caches)
    t_ours, t_ref, all_ours, all_ref, acc, ms = interleaved(pairs, args.repeats)
    print(f"pairs: {args.n} at {w}x{h}, decoded in memory; cv2 threads: {cv2.getNumThreads()}; "
          f"{args.repeats} alternating repeats, medians; load average {os.getloadavg()[0]:.1f}")
    print(f"MAE+F+S+E+wF  ours: {1e3 * t_ours / args.n:.2f} ms/image   PySODMetrics 1.6.2: "
          f"{1e3 * t_ref / args.n:.2f} ms/image   speed-up: {t_ref / t_ours:.2f}x "
          f"(per repeat: {', '.join(f'{b / a:.2f}x' for a, b in zip(all_ours, all_ref))})")
    print(f"max |ours - PySODMetrics| over per-image values, curves and aggregates: {max_diff(acc, ms):.3g}")
    if args.skip_cli:
        return
    if args.cli_n is not None and args.cli_n != args.n:
        pairs = make_pairs(args.cli_n, w, h, args.seed)
    from scratch import temporary_folder

    with temporary_folder() as tmp:
        folder = Path(tmp)
        (folder / "pred").mkdir()
        (folder / "gt").mkdir()
        for i, (p, g) in enumerate(pairs):
            cv2.imwrite(str(folder / "pred" / f"{i:05d}.png"), p)
            cv2.imwrite(str(folder / "gt" / f"{i:05d}.png"), g)
        threads = cv2.getNumThreads()
        modes = (("in this process", end_to_end), ("fresh process", end_to_end_fresh))
        for label, run in modes[1:] if args.skip_in_process else modes:
            runs = [1, 2] + (["1, one OpenCV thread"] if args.one_thread_baseline and run is end_to_end else [])
            rates = {k: [] for k in runs}
            for r in range(args.cli_repeats):
                for k in (runs if r % 2 == 0 else runs[::-1]):
                    cv2.setNumThreads(0 if isinstance(k, str) else threads)
                    rates[k].append(run(pairs, 1 if isinstance(k, str) else k, folder))
            cv2.setNumThreads(threads)
            for k in runs:
                print(f"saliency eval --task sod (10 metrics, PNG decode) --workers {k}, {label}: "
                      f"{np.median(rates[k]):.1f} images/s (median of {len(rates[k])}: "
                      f"{', '.join(f'{v:.1f}' for v in rates[k])})")
            print(f"--workers 2 / --workers 1, {label}: {np.median(rates[2]) / np.median(rates[1]):.2f}x "
                  f"(per alternating pair: {', '.join(f'{b / a:.2f}x' for a, b in zip(rates[1], rates[2]))})")
        same = len({f.read_text() for f in folder.glob("[wf][12].json")}) == 1
        where = "fresh" if args.skip_in_process else "in process and fresh"
        print(f"JSON identical for 1 and 2 workers, {where}: {same}")


if __name__ == "__main__":
    from scratch import run_main

    raise SystemExit(run_main(main))

"""Speed of ``saliency synth``: 200 scenes x 15 subjects at 640x480, 500 Hz (target: under 60 s).

Runs the command as a user would (a fresh process, default workers) into a
temporary folder, three times, and prints the wall time of each run, the
median, and what was written.

    python benchmarks/synth.py [--scenes 200] [--subjects 15] [--repeats 3]
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    """Time the generator and print the figures."""
    from saliency.commands._args import positive_int, size_wxh

    from scratch import ArgumentParser

    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=positive_int, default=200, help="number of scenes (default: 200)")
    ap.add_argument("--subjects", type=positive_int, default=15, help="number of subjects (default: 15)")
    ap.add_argument("--size", type=size_wxh(), default=(640, 480), help="stimulus size WIDTHxHEIGHT (default: 640x480)")
    ap.add_argument("--repeats", type=positive_int, default=3, help="timed runs (default: 3)")
    args = ap.parse_args()
    args.size = "{}x{}".format(*args.size)
    times = []
    from scratch import run_child, temporary_folder

    with temporary_folder() as tmp:
        for r in range(args.repeats):
            out = Path(tmp) / f"run{r}"
            t0 = time.perf_counter()
            proc = run_child([sys.executable, "-m", "saliency", "synth", "--out", str(out), "--scenes",
                              str(args.scenes), "--subjects", str(args.subjects), "--size", args.size,
                              "--quiet"], stdout=subprocess.DEVNULL, quiet_stop=True)
            if proc.returncode:  # saliency synth said why on stderr, in one line
                return proc.returncode
            times.append(time.perf_counter() - t0)
            size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
            print(f"run {r + 1}: {times[-1]:.1f} s, {size_mb:.0f} MiB written", flush=True)
            shutil.rmtree(out)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"saliency synth {args.scenes} scenes x {args.subjects} subjects at {args.size}, 500 Hz: "
          f"median {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f}) over {args.repeats} runs")
    return 0


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

"""Start-up of the command line (issue 15.4): ``saliency --help`` and ``saliency COMMAND --help``.

    python benchmarks/startup.py [--repeats 7] [--exe PATH]

Each help screen is run as a user runs it, in a fresh process (the installed
console script, or ``python -m saliency`` when none is found), ``--repeats``
times in turn; the median wall time is printed per command, with the target
(0.3 s) and the load average at the start, since a busy machine slows a cold
start. Also printed: the heavy modules (numpy, pandas, torch, cv2, scipy,
matplotlib) that a help screen imported (``-X importtime``), which should be
none.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from scratch import run_child  # noqa: E402 - each `saliency` run ends with this script (SIGTERM, Ctrl-C)

HEAVY = ("numpy", "pandas", "torch", "cv2", "scipy", "matplotlib", "PIL", "timm", "albumentations")


def commands(base: list[str], exe: str | None = None) -> list[str]:
    """The subcommand names, read from ``saliency --help``.

    A ``--help`` that cannot be started, fails or lists no command (an ``--exe`` that is no saliency console
    script, e.g. /bin/false) stops the script with one line naming ``--exe`` (``exe``: as given), exit status 2.
    """
    import re

    from scratch import refuse

    shown = " ".join(base)
    where = f"--exe {exe}" if exe is not None else shown
    hint = ("give the saliency console script (e.g. .venv/bin/saliency), or leave --exe out" if exe is not None
            else "give --exe the saliency console script (e.g. .venv/bin/saliency)")
    try:
        p = run_child([*base, "--help"], capture_output=True, text=True)
    except OSError as exc:  # executable bit set, but not a program (no #! line, another architecture)
        refuse(f"{where}: cannot be run ({exc.strerror or exc}); {hint}")
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or [""])[-1].strip()[:200]
        refuse(f"{where}: '{shown} --help' failed (exit status {p.returncode}{f': {last}' if last else ''}); "
               f"{hint}")
    names = [m.group(1) for m in re.finditer(r"^    ([a-z][a-z-]*)(?:\s|$)", p.stdout, re.M)]
    if not names:
        refuse(f"{where}: '{shown} --help' lists no saliency command; {hint}")
    return names


def heavy_imports(cmd: list[str]) -> list[str]:
    """Heavy top-level modules imported while running ``cmd`` (from ``-X importtime``)."""
    py = [sys.executable, "-X", "importtime", "-m", "saliency", *cmd[1:]]
    err = run_child(py, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stderr
    found = set()
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            mod = line.rsplit("|", 1)[1].strip()
            if mod.split(".")[0] in HEAVY:
                found.add(mod.split(".")[0])
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    """Time every help screen and print the table; bad options are one line and exit status 2, nothing run."""
    from saliency.commands._args import positive_int

    from scratch import ArgumentParser, refuse

    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=positive_int, default=7,
                    help="runs per help screen (default 7; the median is shown)")
    ap.add_argument("--exe", default=None, help="the saliency console script (default: the one beside this Python)")
    args = ap.parse_args(argv)
    if args.exe is not None and not shutil.which(args.exe):  # a path, or a name on PATH: an executable file
        refuse(f"--exe {args.exe}: not an executable file; give the saliency console script (e.g. "
               ".venv/bin/saliency), or leave --exe out")
    exe = args.exe or shutil.which("saliency", path=str(Path(sys.executable).parent)) or shutil.which("saliency")
    base = [exe] if exe else [sys.executable, "-m", "saliency"]
    names = commands(base, args.exe)  # an --exe that runs but is not saliency: one line, nothing timed
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {' '.join(base)}; {args.repeats} runs each, medians")
    print("| command | median s | max s | heavy modules imported |\n|---|---:|---:|---|")
    worst = 0.0
    for name in [""] + names:
        cmd = [*base, *([name] if name else []), "--help"]
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            run_child(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        worst = max(worst, med)
        heavy = heavy_imports(["saliency", *([name] if name else []), "--help"])
        label = f"saliency {name} --help".replace("  ", " ")
        print(f"| `{label}` | {med:.3f} | {max(times):.3f} | {', '.join(heavy) or 'none'} |")
    print(f"slowest median {worst:.3f} s; target < 0.3 s: {'met' if worst < 0.3 else 'not met'}")
    return 0


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

"""Reading speed and peak memory of the log readers (issue 11): a file of N rows per sample format.

    python benchmarks/read_speed.py [--rows 1000000] [--formats begaze,tobii-studio,...] [--keep DIR]

For each format a file of ``--rows`` data rows is written in the vendor's
layout to a temporary folder (the readers' own ``example_file`` writers for
BeGaze raw samples, Tobii Studio All-Data, Gazepoint ``all_gaze`` and Tobii
Pro SDK / Titta gaze; simple writers here for the generic ``samples`` table,
EyeLink ASC, Tobii Pro Lab and the Pupil Labs ``fixations.csv``, whose rows
are fixations). Each file is then read in a fresh subprocess through
``open_log`` (auto-detection included), every chunk consumed and its rows
accounted (``account_rows``); the child reports the wall time of the read
(readers, numpy and pandas imported beforehand), the rows read, and its peak
resident memory (``VmHWM``, reset after the imports) before and after reading:
the difference is what reading adds to an interpreter that has imported numpy
and pandas. Rows per second = rows read / read time.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FORMATS = ("samples", "eyelink-asc", "tobii", "pupil", "begaze", "tobii-studio", "gazepoint", "tobii-sdk")


def _fix_path(rng: np.random.Generator, n: int, run: int, lo, hi) -> np.ndarray:
    """A gaze coordinate resting ``run`` samples at each of n / run random points, 0.5 px noise."""
    return np.repeat(rng.uniform(lo, hi, n // run + 1), run)[:n] + rng.normal(0, 0.5, n)


def write_samples(path: Path, rng, n: int) -> int:
    """Generic samples table: subject, stimulus, time_ms, x, y (1 kHz)."""
    import pandas as pd
    pd.DataFrame({"subject": "s01", "stimulus": np.char.add("img", (np.arange(n) // 3000 % 50).astype(str)),
                  "time_ms": np.arange(n, dtype=float), "x": _fix_path(rng, n, 250, 0, 1920).round(2),
                  "y": _fix_path(rng, n, 250, 0, 1080).round(2)}).to_csv(path, index=False)
    return n


def write_asc(path: Path, rng, n: int) -> int:
    """EyeLink ASC: preamble, GAZE_COORDS, a TRIALID and IMGLOAD message per 3000 samples, monocular samples."""
    x = np.char.mod("%.1f", _fix_path(rng, n, 250, 0, 1920))
    y = np.char.mod("%.1f", _fix_path(rng, n, 250, 0, 1080))
    t = (1_000_000 + np.arange(n)).astype(str)
    lines = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(t, "\t"), x), "\t"), y), "\t  1234.0\t...")
    with open(path, "w") as fh:
        fh.write("** CONVERTED FROM D:\\data\\s01.edf using edfapi 4.2\n** DATE: Wed Mar  8 09:25:20 2023\n"
                 "MSG\t999000 DISPLAY_COORDS 0 0 1919 1079\nMSG\t999000 GAZE_COORDS 0.00 0.00 1919.00 1079.00\n"
                 "START\t999990 \tLEFT\tSAMPLES\tEVENTS\nSAMPLES\tGAZE\tLEFT\tRATE\t1000.00\tTRACKING\tCR\n")
        for a in range(0, n, 3000):
            k = a // 3000
            fh.write(f"MSG\t{1_000_000 + a} TRIALID {k + 1}\nMSG\t{1_000_000 + a} !V IMGLOAD FILL img{k % 50}.png\n")
            fh.write("\n".join(lines[a:a + 3000].tolist()) + "\n")
    return n


def write_tobii(path: Path, rng, n: int) -> int:
    """Tobii Pro Lab data export (TSV): timestamp µs, participant, media, gaze point, validity per eye."""
    import pandas as pd
    media = np.char.add(np.char.add("img", (np.arange(n) // 3000 % 50).astype(str)), ".png")
    pd.DataFrame({"Recording timestamp [μs]": 1_000_000 + np.arange(n) * 8333, "Participant name": "P01",
                  "Recording name": "Recording1", "Presented Media name": media,
                  "Gaze point X": _fix_path(rng, n, 30, 0, 1920).round().astype(int),
                  "Gaze point Y": _fix_path(rng, n, 30, 0, 1080).round().astype(int),
                  "Validity left": "Valid", "Validity right": "Valid", "Eye movement type": "Fixation",
                  "Gaze event duration [ms]": 250, "Eye movement type index": np.arange(n) // 30 + 1,
                  "Fixation point X": 0, "Fixation point Y": 0}).to_csv(path, sep="\t", index=False)
    return n


def write_pupil(path: Path, rng, n: int) -> int:
    """Pupil Labs fixations.csv (its rows are fixations)."""
    import pandas as pd
    pd.DataFrame({"id": np.arange(n), "start_timestamp": 100 + np.arange(n) * 0.3, "duration": 250.0,
                  "start_frame_index": np.arange(n) * 9, "end_frame_index": np.arange(n) * 9 + 7,
                  "norm_pos_x": rng.uniform(0, 1, n).round(5), "norm_pos_y": rng.uniform(0, 1, n).round(5),
                  "dispersion": 1.1, "confidence": rng.uniform(0.5, 1, n).round(3), "method": "pupil",
                  "gaze_point_3d_x": 0.0, "gaze_point_3d_y": 0.0, "gaze_point_3d_z": 500.0,
                  "base_data": "1 2 3"}).to_csv(path, index=False)
    return n


def writer(fmt: str):
    """The function that writes a file of ``fmt``: ``(path, rng, n) -> rows``."""
    own = {"samples": write_samples, "eyelink-asc": write_asc, "tobii": write_tobii, "pupil": write_pupil}
    if fmt in own:
        return own[fmt]
    from saliency.data_tools.readers import format_module
    return format_module(fmt).example_file


def format_list(text: str) -> list[str]:
    """``--formats``: comma-separated names of :data:`FORMATS`, none twice (an argparse type; a one-line error
    otherwise: a format given twice would be written and measured twice)."""
    names = [f.strip() for f in text.split(",") if f.strip()]
    bad = [f for f in names if f not in FORMATS] or ([] if names else [text])
    if bad:
        raise argparse.ArgumentTypeError(f"{bad[0]!r}: choose from {', '.join(FORMATS)} (comma-separated)")
    dup = next((f for i, f in enumerate(names) if f in names[:i]), None)
    if dup:
        raise argparse.ArgumentTypeError(f"{text!r}: format {dup!r} given twice; give each once")
    return names


SUFFIX = {"eyelink-asc": ".asc", "tobii": ".tsv", "tobii-studio": ".tsv", "begaze": ".txt"}


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM), MB; ru_maxrss where /proc is absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_child(path: str, fmt: str) -> None:
    """In the child process: read ``path`` through open_log, print JSON (time, rows, peak RSS before/after).

    The readers, numpy and pandas are imported first (not timed); the peak RSS is reset
    (``/proc/self/clear_refs``: a child inherits its parent's high-water mark across exec) so that
    ``rss_before`` is the interpreter with its imports and ``rss_peak`` adds the reading.
    """
    import pandas  # noqa: F401
    from saliency.data_tools.readers import REGISTRY, account_rows, format_module, open_log
    for name in REGISTRY:
        format_module(name)
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    before = _peak_rss_mb() * 1024
    t0 = time.perf_counter()
    rd = open_log(path)
    rc = account_rows(rd)
    dt = time.perf_counter() - t0
    after = _peak_rss_mb() * 1024
    print(json.dumps({"format": rd.format, "expected": fmt, "seconds": dt, "rows": rc.read, "kept": rc.kept,
                      "balanced": rc.balanced, "rss_before_mb": before / 1024, "rss_peak_mb": after / 1024}))


def main() -> None:
    """Write one file per format, read each in a subprocess, print a Markdown table."""
    from saliency.commands._args import positive_int

    from scratch import ArgumentParser, own_folder

    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=positive_int, default=1_000_000, help="data rows per file (default 1 000 000)")
    ap.add_argument("--formats", type=format_list, default=",".join(FORMATS),
                    help=f"comma-separated formats to measure (default: all, {','.join(FORMATS)})")
    ap.add_argument("--keep", default=None,
                    help="folder to write the files to (kept; default: a temporary one); a folder this script did "
                         "not make is refused when it holds anything")
    ap.add_argument("--child", nargs=2, metavar=("PATH", "FORMAT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        read_child(*a.child)
        return
    rng = np.random.default_rng(0)
    from scratch import run_child, temporary_folder

    with temporary_folder() as tmp:
        folder = own_folder(a.keep, "--keep") if a.keep else Path(tmp)  # its files are rewritten: never a user's
        rows = []
        for fmt in a.formats:
            name = "User 0_all_gaze.csv" if fmt == "gazepoint" else f"{fmt}{SUFFIX.get(fmt, '.csv')}"
            p = folder / name
            t0 = time.perf_counter()
            n = writer(fmt)(p, rng, a.rows)
            wt = time.perf_counter() - t0
            out = run_child([sys.executable, __file__, "--child", str(p), fmt], capture_output=True, text=True,
                            check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r.update(written=n, write_s=wt, mb=p.stat().st_size / 2 ** 20)
            rows.append(r)
            print(f"{fmt}: {r}", file=sys.stderr, flush=True)
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}, "
          f"rows per file {a.rows}")
    print("| format | file MB | rows read | read s | rows/s | peak RSS MB (before read) | accounted |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['format']} | {r['mb']:.0f} | {r['rows']:,} | {r['seconds']:.2f} | "
              f"{r['rows'] / r['seconds']:,.0f} | {r['rss_peak_mb']:.0f} ({r['rss_before_mb']:.0f}) | "
              f"{'yes' if r['balanced'] and r['rows'] == r['written'] else 'NO'} |")


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

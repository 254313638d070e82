"""Review stop 26: torch's warning about more DataLoader workers than CPUs is not printed once the toolkit runs.

The commands refuse ``--workers`` above the CPU count unless ``--force-workers``; with the flag, torch's
"This DataLoader will create N worker processes ..." UserWarning (two lines with a source path, twice) only
repeated what the user chose. Oracle: the process's stderr, with and without the toolkit's runtime imported.
"""

from __future__ import annotations

import os
import subprocess
import sys

CODE = ("import os, sys\n"
        "{imp}"
        "from torch.utils.data import DataLoader\n"
        "print(sum(int(b.sum()) for b in DataLoader(list(range(8)), batch_size=2, num_workers=os.cpu_count() + 2)))\n")


def _run(imp: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", CUDA_VISIBLE_DEVICES="")
    return subprocess.run([sys.executable, "-c", CODE.format(imp=imp)], capture_output=True, text=True, env=env,
                          timeout=240)


def test_the_forced_worker_count_warning_is_not_repeated():
    plain = _run("")
    assert plain.stdout.strip() == "28" and "This DataLoader will create" in plain.stderr  # torch's own warning
    ours = _run("import saliency.runtime\n")
    assert ours.stdout.strip() == "28" and ours.stderr == "", ours.stderr[-1000:]

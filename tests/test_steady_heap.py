"""``saliency.base.workers.steady_heap``: no page-fault churn when the same image-sized arrays come and go.

Oracle: the kernel's own count of minor page faults (``getrusage``). With
glibc's default settings, scoring 400x300 SOD images one after another made
this machine's heap shrink and regrow several times per image: about 430
minor faults per image, each a page handed back to the kernel and fetched
again. After ``steady_heap`` the freed memory stays in the heap, so a loop
that has warmed up faults (almost) never. Each check runs in a fresh process:
the setting is process-wide and cannot be undone.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION"), reason="glibc only")

# Faults per image of the loop below, in a process where `steady_heap` ran; the loop
# has warmed up, so a steady heap needs no new page. 5 leaves room for a stray page
# (the interpreter's own small allocations), far below the default's hundreds.
LIMIT = 5

SCRIPT = r"""
import resource, sys
import cv2, numpy as np
cv2.setNumThreads(0)
from saliency.eval.sod import sod_image_scores


def faults_per_image():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:300, :400]
    pairs = []
    for i in range(40):
        gt = ((((yy - 150) / (30 + i)) ** 2 + ((xx - 200) / 60) ** 2) < 1).astype(np.uint8) * 255
        noisy = np.clip(gt * 0.7 + rng.normal(30, 40, gt.shape), 0, 255)
        pairs.append((cv2.GaussianBlur(noisy, (0, 0), 3).astype(np.uint8), gt))
    for p, g in pairs[:10]:
        sod_image_scores(p, g)
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for p, g in pairs[10:]:
        sod_image_scores(p, g)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / 30


if __name__ == "__main__":
    if sys.argv[1] == "pool":  # a pool worker (its initialiser calls steady_heap)
        from saliency.base.workers import spawn_pool
        with spawn_pool(1) as ex:
            print(ex.submit(faults_per_image).result())
    else:
        from saliency.base.workers import steady_heap
        assert steady_heap() and steady_heap()  # once per process; a second call is a no-op
        print(faults_per_image())
"""


def _faults(tmp_path, mode: str) -> float:
    script = tmp_path / "faults.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    for k in ("MALLOC_TOP_PAD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"):
        env.pop(k, None)  # glibc's defaults, whatever the caller's environment says
    out = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, env=env,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return float(out.stdout.split()[-1])


def test_steady_heap_ends_page_fault_churn_in_this_process(tmp_path):
    assert _faults(tmp_path, "self") <= LIMIT


def test_pool_workers_keep_a_steady_heap(tmp_path):
    assert _faults(tmp_path, "pool") <= LIMIT

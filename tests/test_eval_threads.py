"""Threads of ``saliency eval``'s in-process scoring (``eval.runner._map``).

One worker scores in this process with BLAS held to one thread and OpenCV's
threads kept: on OSIE's test split a second BLAS thread doubled the CPU time
for the same wall time (2-2.5x the wall time on a loaded machine), while
OpenCV's threads share the SOD distance transform (docs/BENCHMARKS.md).
With a pool, this process computes like a pool worker: one thread of each.
Checked by what threadpoolctl and OpenCV report inside the scored function.
"""

from __future__ import annotations

import cv2
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from saliency.eval import runner


def _blas_threads():
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def _probe(_):
    return {"blas": _blas_threads(), "cv2": cv2.getNumThreads()}


@pytest.fixture()
def two_threads():
    """BLAS and OpenCV at two threads each while the test runs (the defaults of a 2-core machine)."""
    cv_before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    with threadpool_limits(limits=2, user_api="blas"):
        if not _blas_threads():
            pytest.skip("no BLAS library loaded that threadpoolctl can see")
        yield
    cv2.setNumThreads(cv_before)


def test_one_worker_holds_blas_to_one_thread_and_keeps_opencv_threads(two_threads):
    seen = list(runner._map(_probe, [0, 1, 2], 1, "probe", False))
    assert [s["blas"] for s in seen] == [[1] * len(_blas_threads())] * 3
    assert [s["cv2"] for s in seen] == [2, 2, 2]
    assert all(n == 2 for n in _blas_threads())  # given back when the scoring ends
    assert cv2.getNumThreads() == 2

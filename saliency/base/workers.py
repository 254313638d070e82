"""Process pools: one initialiser for every worker pool of the toolkit.

Map building (ingest), scene rendering (synth) and metric computation (eval)
parallelise over processes. Inside each worker, BLAS and OpenCV are held to one
thread: their own threads only contend with the other workers (measured 4x
slower map products on 2 cores with BLAS threads left on), and one thread gives
the same floating-point results whatever the worker count.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ProcessPoolExecutor

_LIMITS = None  # the threadpoolctl limit held for the life of a worker process


def single_thread_blas():
    """Context limiting BLAS to one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def init_worker() -> None:
    """Process-pool initialiser: one BLAS thread and one OpenCV thread for the life of the worker.

    OpenCV is held to one thread by ``cv2.setNumThreads(0)`` ("run every function
    in the calling thread"; ``cv2.getNumThreads()`` then reports 1). Not
    ``setNumThreads(1)``: in a forked worker whose parent already ran OpenCV's
    pthreads pool, that call waits on the parent's threads, which do not exist in
    the child, and hangs (opencv/opencv#5150). OpenCV is imported before the BLAS
    limit is entered, so that the OpenBLAS it bundles is limited too.
    """
    global _LIMITS
    try:
        import cv2
    except ImportError:  # pragma: no cover - OpenCV is a dependency
        cv2 = None
    if cv2 is not None:
        cv2.setNumThreads(0)
    _LIMITS = single_thread_blas()
    _LIMITS.__enter__()


def process_pool(workers: int, mp_context=None) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes set up by :func:`init_worker`."""
    return ProcessPoolExecutor(max_workers=workers, initializer=init_worker, mp_context=mp_context)

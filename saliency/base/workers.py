"""Process pools: one initialiser for every worker pool of the toolkit.

Map building (ingest), scene rendering (synth) and metric computation (eval)
parallelise over processes. Inside each worker, BLAS and OpenCV are held to one
thread: their own threads only contend with the other workers (measured 4x
slower map products on 2 cores with BLAS threads left on), and one thread gives
the same floating-point results whatever the worker count.

Workers end with the main process (issue 16): on Linux each worker asks the
kernel for SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``), so a
main process killed by SIGTERM or SIGKILL leaves no orphans; a worker whose
parent is already gone exits at once. Workers ignore Ctrl-C (the main process
handles it and shuts the pool down: no worker tracebacks) and die silently on
SIGTERM (the main process's handlers, inherited through fork, are reset), unless
the main process ignores SIGTERM (``trap '' TERM``): then the workers ignore it too.

Workers (and ``saliency eval``'s own process) also keep freed memory in the
heap between images (:func:`steady_heap`, glibc's ``mallopt``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor

_LIMITS = None  # the threadpoolctl limit held for the life of a worker process


def single_thread_blas():
    """Context limiting BLAS to one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


_HEAP_SET = False

# glibc's mallopt parameters (malloc.h)
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
TOP_PAD = 16 << 20
"""Bytes glibc keeps at the top of the heap when it grows or trims it (:func:`steady_heap`)."""
MMAP_THRESHOLD = 32 << 20
"""Blocks below this come from the heap, not from their own ``mmap`` (glibc's ceiling for its dynamic threshold)."""


def steady_heap() -> bool:
    """Keep freed memory in this process's heap between images instead of giving it back at every ``free``.

    With glibc's defaults, ``malloc`` trims the top of the heap as soon as more
    than about twice its (moving) mmap threshold is free there, and the next
    image grows it again: a loop that allocates and frees the same few
    image-sized arrays per image shrinks and regrows the heap several times
    per image, and every regrown page costs a page fault (432 faults per
    400x300 image in :func:`saliency.eval.sod.sod_image_scores`; 20-30 % of
    ``saliency eval --task sod``'s time, more with OpenCV's threads, whose
    faults serialise on the process's memory map). Here ``M_TOP_PAD`` keeps
    :data:`TOP_PAD` (16 MiB) at the top of the heap when it grows or is
    trimmed, and ``M_MMAP_THRESHOLD`` is fixed at :data:`MMAP_THRESHOLD`
    (32 MiB, the ceiling glibc's dynamic threshold would reach; setting
    ``M_TOP_PAD`` alone freezes the threshold at 128 KiB, and every array of
    a 1024x768 image would then get, and fault in, its own mapping). Measured:
    0 faults per image, peak memory unchanged (``docs/BENCHMARKS.md``). Numbers
    do not depend on it. Once per process; False (nothing done) off glibc.
    """
    global _HEAP_SET
    if _HEAP_SET:
        return True
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ValueError, OSError, AttributeError):  # not glibc, or no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    pad_set = mallopt(_M_TOP_PAD, TOP_PAD)  # 1 on success, 0 on a refused value
    threshold_set = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    _HEAP_SET = bool(pad_set and threshold_set)
    return _HEAP_SET


def batches(items, size, limit: int):
    """Consecutive lists of ``items`` (in order) whose ``size(item)`` first reaches ``limit``; the last may be smaller.

    A pool's tasks of whole items (trials) of about ``limit`` units (samples) each.
    """
    batch, n = [], 0
    for it in items:
        batch.append(it)
        n += size(it)
        if n >= limit:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch


def _end_with_parent(parent_pid: int | None) -> None:
    """Have the kernel kill this process when its parent dies (Linux), and exit if it already has."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    if parent_pid and os.getppid() != parent_pid:  # the parent died before prctl (0: parent unknown)
        os._exit(1)


def _quiet_signals(term_ignored: bool | None = None) -> None:
    """Ctrl-C is the main process's to handle; SIGTERM ends a worker silently (no inherited handlers).

    A SIGTERM the parent ignores (``trap '' TERM``) stays ignored, as in the parent: a SIGTERM to the process
    group killed the workers of a command that ignores it (BrokenProcessPool). ``term_ignored``: the parent's
    state, passed where the worker may not inherit it (spawn, forkserver); None: this process's inherited one
    (a forked child, which inherits SIG_IGN through :func:`~saliency.base.fsutil.signals_held`).
    """
    if term_ignored is None:
        term_ignored = signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    with contextlib.suppress(ValueError, OSError):  # not the main thread / not settable
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN if term_ignored else signal.SIG_DFL)


def child_setup(parent_pid: int) -> None:
    """For a bare forked child (not a pool worker): end with the parent, leave Ctrl-C to it, SIGTERM default
    (ignored where the parent ignores it)."""
    _end_with_parent(parent_pid)
    _quiet_signals()


def init_worker(parent_pid: int | None = None, term_ignored: bool | None = None) -> None:
    """Process-pool initialiser: one BLAS thread and one OpenCV thread for the life of the worker, a steady heap.

    OpenCV is held to one thread by ``cv2.setNumThreads(0)`` ("run every function
    in the calling thread"; ``cv2.getNumThreads()`` then reports 1). Not
    ``setNumThreads(1)``: in a forked worker whose parent already ran OpenCV's
    pthreads pool, that call waits on the parent's threads, which do not exist in
    the child, and hangs (opencv/opencv#5150). OpenCV is imported before the BLAS
    limit is entered, so that the OpenBLAS it bundles is limited too.

    With ``parent_pid`` (the pools of :func:`process_pool`), the worker also ends
    with its parent and leaves Ctrl-C to it (see the module docstring); ``term_ignored``: whether the parent
    ignores SIGTERM (the worker then ignores it too).
    """
    global _LIMITS
    if parent_pid is not None:  # a pool worker (not a DataLoader worker, which torch manages)
        _end_with_parent(parent_pid)
        _quiet_signals(term_ignored)
    try:
        import cv2
    except ImportError:  # pragma: no cover - OpenCV is a dependency
        cv2 = None
    if cv2 is not None:
        cv2.setNumThreads(0)
    steady_heap()
    _LIMITS = single_thread_blas()
    _LIMITS.__enter__()


@contextlib.contextmanager
def _sigint_blocked():
    """Block SIGINT in this thread's signal mask while a submission may start a worker.

    A spawned worker is a new interpreter: it inherits the mask across fork
    and exec but not our handlers, and a Ctrl-C reaching it while it imports
    its bootstrap (before :func:`init_worker` ignores SIGINT) printed a
    KeyboardInterrupt traceback under the command's one line. Born with SIGINT
    blocked, it never sees it (its initialiser then ignores it, which also
    discards one pending). Here the signal waits in the mask for the few
    milliseconds of the submission and is delivered when it ends (recorded by
    :func:`~saliency.base.fsutil.signals_held`, so it still takes effect).
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class _Pool(ProcessPoolExecutor):
    """A process pool whose submissions hold SIGINT/SIGTERM back for their few microseconds.

    A submission may start a worker, and a spawned worker reads its start-up data from a
    pipe that the parent writes then: a signal taking effect in the middle of that write
    leaves the child with half the data, and it prints a traceback (EOFError) as the
    parent exits. Held, the signal takes effect right after the submission.
    """

    def submit(self, fn, /, *args, **kwargs):  # noqa: D102 - concurrent.futures API
        from saliency.base.fsutil import signals_held

        with signals_held(), _sigint_blocked():
            return super().submit(fn, *args, **kwargs)

    def __exit__(self, exc_type, exc, tb):
        """Leaving on an exception (Ctrl-C, SIGTERM, an error): drop the queued tasks, finish the running ones.

        The plain executor waits for every submitted task: an ingest interrupted
        in its map phase went on building all the remaining maps, only to
        delete them (about 12 s of 1,000 maps on 2 cores).
        """
        self.shutdown(wait=True, cancel_futures=exc_type is not None)
        return False

    def shutdown(self, wait=True, *, cancel_futures=False):  # noqa: D102 - concurrent.futures API
        manager = self._executor_manager_thread
        if manager is None or manager.ident is None:  # never started: nothing would signal or end the workers
            self._executor_manager_thread = None  # (one that failed to start cannot be joined)
            self._end_started_workers()
        super().shutdown(wait=wait, cancel_futures=cancel_futures)

    def _end_started_workers(self, timeout: float = 5.0) -> None:
        """End the workers started before the pool's manager thread (a start that failed part way).

        A forked pool starts all its workers, then the thread that feeds and ends them. When a worker
        cannot start (``os.pipe``: too many open files), the ones already started wait on their task
        pipe for ever, and multiprocessing's exit handler waits on them: the command printed its one
        line and never exited. They have no task: SIGTERM, then SIGKILL after ``timeout`` seconds
        (they ignore SIGTERM where the main process does).
        """
        procs = list((self._processes or {}).values())
        for p in procs:
            with contextlib.suppress(OSError, ValueError):
                p.terminate()
        for p in procs:
            with contextlib.suppress(OSError, ValueError):
                p.join(timeout)
                if p.exitcode is None:
                    p.kill()
                    p.join(timeout)


def process_pool(workers: int, mp_context=None) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes set up by :func:`init_worker` (ending with this process)."""
    import multiprocessing

    # The pool's semaphores are registered with multiprocessing's resource tracker (a process of its own
    # that shares our stderr). When a run is interrupted (Ctrl-C, SIGTERM: exit 130/143 without the
    # pool's normal shutdown), the tracker removes them and warns about each kind on stderr, two lines
    # more after the command's one. The tracker is started with our -W options, so this filter reaches it;
    # it silences only that notice, the clean-up itself still runs.
    quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
    if quiet not in sys.warnoptions:
        sys.warnoptions.append(quiet)
    method = (mp_context or multiprocessing.get_context()).get_start_method()
    parent = 0 if method == "forkserver" else os.getpid()  # a forkserver's children have the server as parent
    term_ignored = signal.getsignal(signal.SIGTERM) is signal.SIG_IGN  # now, in this process (not the server's)
    return _Pool(max_workers=workers, initializer=init_worker, initargs=(parent, term_ignored),
                               mp_context=mp_context)


def preload(*modules: str) -> None:
    """Import ``modules`` (a pool's first task: the workers import what their real tasks need meanwhile)."""
    import importlib

    for m in modules:
        importlib.import_module(m)


def spawn_pool(workers: int, preload_modules=()) -> ProcessPoolExecutor:
    """A :func:`process_pool` of ``workers`` spawned processes, started now, each importing ``preload_modules``.

    Spawned, not forked: a forked child inherits OpenCV's thread pool in
    whatever locked state the parent left it and can deadlock. A spawned
    worker takes about a third of a second to start Python and import the
    package and OpenCV; started at once, it does so while the caller
    prepares the first real tasks.
    """
    import multiprocessing

    ex = process_pool(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        for _ in range(workers):
            ex.submit(preload, *preload_modules)
    except BaseException:  # a worker could not start (too many open files), or Ctrl-C: end those that did
        ex.shutdown(wait=True, cancel_futures=True)
        raise
    return ex

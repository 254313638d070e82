"""Run-time set-up of a training run: device, precision, threads, determinism, data, logs, signals.

Split out of :mod:`saliency.train` (the loop). The speed habits on a GPU
follow ``../shared/REFERENCES.md`` section 5: bf16 autocast (no GradScaler),
channels_last, ``cudnn.benchmark``, OpenCV decoding in DataLoader workers
(one OpenCV and one BLAS thread each, :func:`worker_init`), pinned memory and
persistent workers.

Torch's process-wide settings (CPU threads, cudnn benchmark/deterministic,
TF32, deterministic algorithms) are applied by the context manager
:func:`torch_settings`, which puts every one of them back on exit, as
``torch.backends.cudnn.flags`` does for cudnn's own flags in PyTorch.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import warnings
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError

# More DataLoader workers than CPUs are refused unless --force-workers (saliency.commands._args.check_workers):
# given that flag, torch's "This DataLoader will create N worker processes ..." warning (printed with the path of
# its source line, twice) repeats what the user chose
warnings.filterwarnings("ignore", message=r"This DataLoader will create \d+ worker processes", category=UserWarning)


def resolve_device(spec: str):
    """torch.device for ``auto|cpu|cuda|cuda:N|mps``.

    UserError when the device asked for is not on this machine: CUDA absent,
    ``cuda:N`` beyond the CUDA devices present, MPS (Apple's Metal) absent or
    not built into this torch; or when ``spec`` names no device.
    """
    import torch

    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(spec)
    except (RuntimeError, TypeError, ValueError):
        raise UserError(f"`device` {spec!r}: choose auto, cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"`device` {spec}: CUDA is not available on this machine; use `device` cpu")
        n = torch.cuda.device_count()
        if dev.index is not None and dev.index >= n:
            raise UserError(f"`device` {spec}: this machine has {n} CUDA device(s), "
                            f"{'cuda:0' if n == 1 else f'cuda:0 .. cuda:{n - 1}'}; choose one of them")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            why = ("this torch is not built with it" if mps is None or not mps.is_built()
                   else "no Metal device is available on this machine")
            raise UserError(f"`device` {spec}: MPS (Apple's Metal) cannot be used: {why}; use `device` cpu")
    return dev


def native_bf16(device) -> bool:
    """Whether ``device`` is a CUDA GPU that computes in bf16 natively: compute capability 8.0 or above (Ampere on).

    Not ``torch.cuda.is_bf16_supported()``: by default (``including_emulation``)
    it is True on any CUDA GPU that can hold a bf16 tensor (V100, T4: emulated,
    slower than float32), and it asks about the current device, not ``cuda:N``.
    On ROCm, True, as torch says of every AMD GPU it supports.
    """
    import torch

    if device.type != "cuda":
        return False
    if torch.version.hip:
        return True
    return tuple(torch.cuda.get_device_capability(device)) >= (8, 0)


def precision_plan(cfg: dict, device) -> dict:
    """What runs on this device: autocast dtype (or None), channels_last, cudnn.benchmark, compile."""
    import torch

    t = cfg["train"]
    cuda = device.type == "cuda"
    amp = t["amp"]
    dtype = torch.bfloat16 if (amp == "bf16" or (amp == "auto" and cuda)) else None
    if dtype is not None and cuda and amp == "auto" and not native_bf16(device):
        # float16 would need a GradScaler (its gradients underflow), which this trainer does not run:
        # `auto` on a GPU without bf16 trains in float32
        dtype = None
    cl = t["channels_last"] if t["channels_last"] != "auto" else cuda
    return {"autocast": dtype, "channels_last": bool(cl), "benchmark": cuda and not t["deterministic"],
            "compile": bool(t["compile"])}


def inference_bf16(device) -> bool:
    """Whether inference runs under bf16 autocast on ``device``: on a CUDA GPU with native bf16, else float32.

    One rule for ``saliency predict`` (``amp`` auto) and training's
    validation, so validation scores what predict and eval would score,
    whatever precision the training itself ran in (CPU: float32 always).
    """
    return native_bf16(device)


def cpu_threads(t: dict, device) -> int | None:
    """Torch CPU threads for this process (None: leave torch's default).

    ``auto`` picks 1 thread on a CPU run when the machine is already busy (1-minute
    load average above cores - 1) or under torchrun or ``--deterministic``: OpenMP
    teams that wait at every operator for a descheduled thread run an order of
    magnitude slower than one thread (measured: 13x on the 2-core CI machine).
    """
    if t["threads"] != "auto":
        return int(t["threads"])
    if device.type != "cpu":
        return None
    from saliency.distributed import env_world_size

    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0] > cores - 1
    except (OSError, AttributeError):  # AttributeError: no load average on Windows (os has no getloadavg)
        busy = False
    if t["deterministic"] or env_world_size() > 1 or busy or cores <= 1:
        return 1
    return None


#: torch's ops of the toolkit's models whose CUDA backward has no deterministic implementation (torch raises under
#: ``use_deterministic_algorithms(True)``; a CUDA ``train.deterministic`` run warns instead: :func:`torch_settings`)
CUDA_NONDETERMINISTIC = ("F.interpolate bilinear (every decoder, coarse-to-fine, residual attention, STN)",
                         "F.grid_sample (STN attention)")
#: torch's warning for each such op under ``warn_only=True``, raised at every backward pass: silenced by
#: :func:`torch_settings`, said once in the run's notes instead (:data:`DETERMINISTIC_CUDA_NOTE`)
_NONDETERMINISTIC_WARNING = r".* does not have a deterministic implementation, but you set 'torch\.use_determ"
DETERMINISTIC_CUDA_NOTE = ("train.deterministic on CUDA: the backward passes of " + " and ".join(CUDA_NONDETERMINISTIC)
                           + " have no deterministic CUDA implementation in torch and run as they are (torch's "
                           "per-step warnings silenced), so a GPU rerun may not be bit-identical; a CPU run is")


def threads_note(t: dict, device, threads: int | None) -> str | None:
    """What ``train.threads: auto`` chose on a CPU run, in words (None: a number was given, or not a CPU run); on a
    CUDA run with ``train.deterministic``, :data:`DETERMINISTIC_CUDA_NOTE` (None without it).

    The choice can follow the machine's load (:func:`cpu_threads`), and the
    floating-point sums of a CPU run depend on the thread count: a seeded run
    repeats exactly at the same count, which a number in ``train.threads``
    fixes. Printed with the run's notes and kept in every checkpoint
    (``ran_on``), so a figure can be traced to it.
    """
    if device.type == "cuda" and t["deterministic"]:
        return DETERMINISTIC_CUDA_NOTE
    if t["threads"] != "auto" or device.type != "cpu":
        return None
    if t["deterministic"]:  # one thread whatever the load (:func:`cpu_threads`): already fixed
        return "train.threads auto: 1 CPU thread (train.deterministic runs on one)"
    import torch

    n = threads if threads is not None else torch.get_num_threads()
    try:
        load = f"load {os.getloadavg()[0]:.1f} on {os.cpu_count() or 1} cores"
    except (OSError, AttributeError):  # Windows: no os.getloadavg
        load = f"{os.cpu_count() or 1} cores"
    return (f"train.threads auto: {n} CPU thread{'s' if n != 1 else ''} ({load}); a seeded CPU run repeats "
            f"exactly only at the same thread count: set train.threads (e.g. --set train.threads={n}) to fix it")


def seed_all(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (every device) with ``seed``."""
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


# ------------------------------------------------------------------ torch's global settings
# TF32 flags under torch's newer per-backend API (torch >= 2.9); a process that set any of them makes the
# legacy getters (``allow_tf32``, ``get_float32_matmul_precision``) raise, so they are then saved through it.
_FP32_PRECISION = (("cuda", "matmul"), ("cudnn",), ("cudnn", "conv"), ("cudnn", "rnn"), ("mkldnn",),
                   ("mkldnn", "matmul"), ("mkldnn", "conv"), ("mkldnn", "rnn"), ())


def _backend(path):
    import torch

    obj = torch.backends
    for name in path:
        obj = getattr(obj, name)
    return obj


def _tf32_state() -> tuple:
    import torch

    b = torch.backends
    try:
        return ("legacy", (bool(b.cuda.matmul.allow_tf32), bool(b.cudnn.allow_tf32),
                           torch.get_float32_matmul_precision()))
    except RuntimeError:  # TF32 was set through the newer fp32_precision API in this process
        return ("new", tuple(getattr(_backend(p), "fp32_precision", None) for p in _FP32_PRECISION))


def _set_tf32_state(state: tuple) -> None:
    import torch

    if _tf32_state() == state:
        return
    kind, values = state
    if kind == "legacy":
        matmul, cudnn, precision = values
        torch.backends.cuda.matmul.allow_tf32 = matmul
        torch.backends.cudnn.allow_tf32 = cudnn
        torch.set_float32_matmul_precision(precision)
    else:
        for path, value in zip(_FP32_PRECISION, values):
            if value is not None:
                setattr(_backend(path), "fp32_precision", value)


def torch_state() -> dict:
    """The process-wide torch settings :func:`torch_settings` changes and restores, as a dict."""
    import torch

    return {"threads": torch.get_num_threads(),
            "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
            "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
            "deterministic_algorithms": (torch.are_deterministic_algorithms_enabled(),
                                         torch.is_deterministic_algorithms_warn_only_enabled()),
            "tf32": _tf32_state(),
            "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG")}


def _restore_torch_state(saved: dict) -> None:
    import torch

    if torch.get_num_threads() != saved["threads"]:
        torch.set_num_threads(saved["threads"])
    torch.backends.cudnn.benchmark = saved["cudnn_benchmark"]
    torch.backends.cudnn.deterministic = saved["cudnn_deterministic"]
    enabled, warn_only = saved["deterministic_algorithms"]
    if (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()) != \
            (enabled, warn_only):
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
    _set_tf32_state(saved["tf32"])
    if saved["cublas_workspace_config"] is None:
        os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
    else:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = saved["cublas_workspace_config"]


@contextlib.contextmanager
def torch_settings(*, threads: int | None = None, deterministic: bool = False, benchmark: bool | None = None,
                   tf32: bool | None = None, cuda: bool = False):
    """Apply torch's process-wide settings for one run and restore them all on exit (also on an exception).

    ``threads``: ``torch.set_num_threads`` (None: leave it). ``deterministic``:
    ``torch.use_deterministic_algorithms(True)``, ``cudnn.deterministic`` on
    and ``cudnn.benchmark`` off, and ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless
    already set (cuBLAS needs it to be deterministic). With ``cuda`` (a run on
    a CUDA GPU) the mode is ``warn_only=True``, as PyTorch Lightning's
    ``deterministic="warn"``: the CUDA backward of bilinear ``interpolate``
    and of ``grid_sample`` (:data:`CUDA_NONDETERMINISTIC`; every model has
    the first) has no deterministic implementation and raised at the first
    backward pass; torch's warning for each, repeated every step, is
    silenced while the run lasts (the run's notes say it once:
    :func:`threads_note`). On CPU those ops are deterministic and the mode
    stays strict. ``benchmark``:
    ``cudnn.benchmark`` (applied after ``deterministic``). ``tf32``: TF32
    matmuls and convolutions (``cuda.matmul.allow_tf32``,
    ``cudnn.allow_tf32``). Everything :func:`torch_state` lists -- what was
    applied here and anything the body changed -- is put back as it was, so
    two trainings or predictions in one process (the demo runs two of each)
    cannot leak settings into each other. Seeds are not settings: the RNG
    states are not restored.
    """
    import torch

    saved = torch_state()
    with warnings.catch_warnings() if deterministic and cuda else contextlib.nullcontext():  # the filter's life
        try:
            if threads:
                torch.set_num_threads(int(threads))
            if deterministic:
                os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
                if cuda:
                    warnings.filterwarnings("ignore", message=_NONDETERMINISTIC_WARNING, category=UserWarning)
                torch.use_deterministic_algorithms(True, warn_only=bool(cuda))
                torch.backends.cudnn.deterministic = True
                torch.backends.cudnn.benchmark = False
            if benchmark is not None:
                torch.backends.cudnn.benchmark = bool(benchmark)
            if tf32 is not None:
                torch.backends.cuda.matmul.allow_tf32 = bool(tf32)
                torch.backends.cudnn.allow_tf32 = bool(tf32)
            yield
        finally:
            _restore_torch_state(saved)


def train_settings(cfg: dict, device, threads: int | None, plan: dict):
    """:func:`torch_settings` of a training run: its CPU threads, determinism, and on CUDA benchmark + TF32."""
    cuda = device.type == "cuda"
    return torch_settings(threads=threads, deterministic=bool(cfg["train"]["deterministic"]),
                          benchmark=plan["benchmark"] if cuda else None, tf32=True if cuda else None, cuda=cuda)




def worker_init(worker_id: int) -> None:
    """DataLoader worker start (training and prediction): one BLAS and one OpenCV thread, then seeded.

    The thread limits are :func:`saliency.base.workers.init_worker`'s (the one
    initialiser of every worker of the toolkit); NumPy and ``random`` are then
    seeded from the worker's torch seed.
    """
    import random

    import torch

    from saliency.base.workers import init_worker

    init_worker()
    s = torch.initial_seed() % (2 ** 32)
    np.random.seed(s)
    random.seed(s)


#: open files (``ulimit -n``) that DataLoader workers are given room for: this process's own, plus so many per worker.
#: Torch's default sharing strategy (file_descriptor) passes every tensor of a batch between processes as an open
#: file, held until the other side takes it; at the limit its resource_sharer threads retry for ever, flooding stderr
#: (review s33 X1). Measured with no bound (``prlimit --nofile=N:N``, batch 3, 48x64): a synthetic SOD study
#: trains with 2 workers at 26 open files (not 24), 4 at 36, 8 at 56 (the lowest tried); a fixation study, 2 at 32:
#: ~13 for the process, ~4 a worker (2 batches in flight, their pipes). The bound, 32 + 8 a worker (2 workers: 48,
#: 8: 96), is 1.5 to 2 times that, room for the logs and checkpoints being written and the libraries' files; the
#: former 128 + 16 a worker refused setups that trained (2 workers at ``ulimit -n 64``, review s33 RR7). The soft
#: limit is raised to the hard one first: only a hard limit below the bound is refused.
OPEN_FILES_BASE, OPEN_FILES_PER_WORKER = 32, 8
#: open files a worker needs per image of a batch where the batch is not stacked (``saliency predict``'s collate
#: keeps one tensor an image, each passed as its own open file; 2 batches a worker in flight). Measured with no
#: bound (review s33 RR9, 2 workers, 48x64 checkpoint, 60-180 images): batch 4 at 32 open files (not 28), 8 at 44
#: (not 40), 16 at 62 (not 60), 32 at 120 (not 100): ~1.3 a worker per image of a batch. The bound, 32 + a worker
#: the larger of 8 and 2 a batch image (batch 4: 48, 8: 64, 16: 96, 32: 160), is 1.3 to 1.5 times that (2 workers
#: at ``ulimit -n 64`` still run the default batch 8); train's batches are stacked (one file a batch).
OPEN_FILES_PER_BATCH_ITEM = 2


def _open_files_need(workers: int, batch_size: int | None) -> int:
    per = max(OPEN_FILES_PER_WORKER, OPEN_FILES_PER_BATCH_ITEM * max(1, int(batch_size)) if batch_size else 0)
    return OPEN_FILES_BASE + per * workers


def open_files_short(workers: int, batch_size: int | None = None) -> tuple[int, int] | None:
    """Make room for ``workers`` DataLoader workers' open files; ``(limit, need)`` when there is too little, else None.

    The soft open-file limit (RLIMIT_NOFILE) is raised to the hard one where it
    can be, as PyTorch users do (on macOS, whose hard limit is "unlimited" but
    not settable, to the bound: :data:`OPEN_FILES_BASE` + :data:`OPEN_FILES_PER_WORKER`
    a worker). It is never lowered. Nothing to do without workers, or without the
    resource module (Windows: no such limit). :func:`open_files_for` refuses the shortfall;
    ``saliency train`` names it by where ``data.workers`` came from. ``batch_size``: given where batches are not
    stacked (predict), each worker's room grows by :data:`OPEN_FILES_PER_BATCH_ITEM` an image of a batch.
    """
    if workers <= 0:
        return None
    try:
        import resource
    except ImportError:
        return None
    need = _open_files_need(workers, batch_size)
    inf = resource.RLIM_INFINITY
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == inf or soft == hard:
        targets = []
    else:  # soft below hard, or hard "unlimited" (RLIM_INFINITY)
        targets = [hard] + ([need] if soft < need and (hard == inf or need <= hard) else [])
    for target in targets:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            break
        except (ValueError, OSError):  # macOS refuses "unlimited" (and anything above kern.maxfilesperproc)
            continue
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return (soft, need) if soft != inf and soft < need else None


def open_files_refusal(head: str, name: str, workers: int, short: tuple[int, int],
                       batch_size: int | None = None) -> str:
    """The one line refusing ``workers`` workers for the open-file shortfall ``short`` (:func:`open_files_short`).

    ``head`` begins it (```workers` 2``, or ``data.workers 2 (data.workers from the config: ...)``); ``name``
    is the setting its advice says to lower (```workers```, ``data.workers``); with ``batch_size`` (predict) the
    advice also offers a smaller ```batch_size```.
    """
    soft, need = short
    per = _open_files_need(1, batch_size) - OPEN_FILES_BASE
    fit = max(0, (soft - OPEN_FILES_BASE) // per)
    fewer = f"{name} {fit} or fewer" if fit else f"{name} 0 (images read in this process)"
    if batch_size:
        fewer += " or a smaller `batch_size`"
    them = f"{workers} DataLoader workers need" if workers != 1 else "1 DataLoader worker needs"
    if batch_size:
        them += f" at `batch_size` {batch_size}"
    return (f"{head}: the open-file limit (ulimit -n) is {soft}, below the {need} that {them} (batches pass between "
            f"processes as open files); raise it (ulimit -n {need}) or use {fewer}")


def open_files_for(workers: int, batch_size: int | None = None) -> None:
    """Make room for ``workers`` DataLoader workers' open files, before they start; UserError if there is none.

    :func:`open_files_short`, refused naming ``workers`` (and ``batch_size`` where given: unstacked batches,
    predict) in one line with what to do.
    """
    short = open_files_short(workers, batch_size)
    if short is not None:
        raise UserError(open_files_refusal(f"`workers` {workers}", "`workers`", workers, short, batch_size))


def make_loader(ds, sampler, batch_size: int, workers: int, device, seed: int, drop_last: bool = False):
    """A DataLoader over ``sampler``'s (index, seed) pairs; workers start with :func:`worker_init`.

    Room for the workers' open files is made first (:func:`open_files_for`: refused when there is none).
    """
    import torch
    from torch.utils.data import DataLoader

    open_files_for(workers)
    g = torch.Generator()
    g.manual_seed(seed)
    return DataLoader(ds, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      pin_memory=device.type == "cuda", persistent_workers=workers > 0,
                      worker_init_fn=worker_init if workers > 0 else None, generator=g, drop_last=drop_last)


def clean_error(exc: Exception) -> str:
    """The user-facing line of an error re-raised from a DataLoader worker."""
    text = str(exc).strip().splitlines()
    for line in reversed(text):
        if line.startswith("saliency.base.errors.UserError:"):
            return line.split(":", 1)[1].strip()
    return text[-1] if text else repr(exc)


def _check_held_out(train_records, val_records, val_root) -> None:
    """Refuse a ``data.val`` whose images are training images too (the same files: the folder itself, a part
    of it, or links to them): validation would score images the network was trained on, and pick best.pt by them."""
    import os

    def ident(path):
        st = os.stat(path)
        return st.st_dev, st.st_ino

    train_files = {ident(r.image) for r in train_records}
    shared = [r for r in val_records if ident(r.image) in train_files]
    if shared:
        n, total = len(shared), len(val_records)
        which = "its 1 image is a training image" if total == 1 else \
            f"{n} of its {total} images {'is a training image' if n == 1 else 'are training images'}"
        raise UserError(f"config data.val {val_root}: {which} too (e.g. {shared[0].image}); validation must hold "
                        "images the network is not trained on: give a separate folder, or leave data.val out to "
                        "hold out a seeded share (data.val_fraction)")


def _added_note(keys: list, root, split_file: Path, use: str) -> list[str]:
    """The note naming the images of ``root`` that a resumed run's ``split_file`` does not list; [] if none.

    A resume reads the run's split back: images of the folder it does not list are neither trained nor validated
    on (they were left out without a word); ``use`` says what a new run would do with them. Why they are not
    listed is not guessed (added since, or left out from the start by the reading of the time).
    """
    if not keys:
        return []
    eg = ", ".join(keys[:5]) + (", ..." if len(keys) > 5 else "")
    return [f"{len(keys)} image(s) of {root} are not in {split_file} and are not used (e.g. {eg}); start a new run "
            f"to {use} them"]


def _check_layout(split: dict, key: str, index, where: str) -> None:
    """Refuse a resume whose folder is read now in another layout than split.json's ``key`` records.

    The ground truth of the same image keys could change mid-run (a folder read as human maps only when the run
    began, as SALICON with its JSON's points now): validation then scores the same weights differently and
    best.pt is chosen across two readings. A split.json without ``key`` (written before it was recorded) is not
    refused; a layout named after the folder (``DUTS-TR`` or ``DUTS-TR-Image/ + DUTS-TR-Mask/``) is the same
    reading (:func:`saliency.datasets.same_reading`): a moved folder resumes.
    """
    from saliency.datasets import same_reading

    old = split.get(key)
    if old is not None and not same_reading(old, index.layout):
        raise UserError(f"`resume`: {where} is read as {index.layout} but the run was made reading it as {old}; "
                        "start a new run")


def _gone(keys: list, index, split_file: Path, what: str, folder) -> None:
    """Refuse a resume when images ``keys`` of ``split_file`` are not in ``index`` (the folder read now).

    Those the folder still has, but whose target now matches only the bare name of an image paired with its own
    (:attr:`saliency.datasets.DatasetIndex.taken`: an image is used once), are named as such: "gone from the
    folder, restore them" was untrue (the files are there); so are those whose fixation map now holds no fixated
    pixel (:attr:`saliency.datasets.DatasetIndex.blank`), which training leaves out since 9f0f59c.
    """
    if not keys:
        return
    blank = [k for k in keys if k in index.blank]
    if blank:
        more = f" (and {len(blank) - 1} more)" if len(blank) > 1 else ""
        before = "masked out of the loss" if what == "training" else "left out of NSS and AUC_Judd"
        raise UserError(f"`resume`: the {what} image {blank[0]} of {split_file}{more} has a fixation map without a "
                        f"fixated pixel, which training now leaves out (it was {before} before); start a new run")
    taken = [k for k in keys if k in index.taken]
    if taken:
        k = taken[0]
        own, target = index.taken[k]
        more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
        raise UserError(f"`resume`: the {what} image {k} of {split_file}{more} now matches only the bare name of "
                        f"image {own}, which has its own {target}; start a new run")
    raise UserError(f"`resume`: {len(keys)} {what} image(s) of {split_file} are gone from {folder} (e.g. "
                    f"{keys[0]}); restore them or start a new run")


#: split.json's key of the content digests of the run's data (:func:`data_digests`), compared on resume
CONTENT_KEY = "content"


def _file_digest(path) -> str:
    """blake2b (128 bits) of the bytes of ``path``: 700 OSIE images (49 MB) take 0.15-0.4 s."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _record_digest(rec) -> dict:
    """Digests of one sample's files by role (image, mask, density, fixations), and of its fixation ``points`` (with
    their map's size and blur) when the human map is built from them (OSIE, SALICON)."""
    import hashlib

    from saliency.datasets import FILE_ROLES

    out = {role: _file_digest(getattr(rec, role)) for role in FILE_ROLES
           if isinstance(getattr(rec, role), (str, os.PathLike))}
    if rec.points is not None:
        pts = np.asarray(rec.points, np.float64)
        h = hashlib.blake2b(repr((pts.shape, rec.size, rec.sigma_px, rec.blur)).encode(), digest_size=16)
        h.update(np.ascontiguousarray(pts).tobytes())
        out["points"] = h.hexdigest()
    return out


def data_digests(train_records, val_records, root, val_root) -> dict:
    """What split.json records of the data's content (``CONTENT_KEY``): a digest of every training and validation
    image and target, by image id, and of the ``dataset.json`` of ``root`` and ``val_root`` (an ingest folder's
    manifest: its sigma, geometry, inputs), None where there is none."""
    def manifest(folder):
        f = Path(folder) / "dataset.json" if folder else None
        return _file_digest(f) if f is not None and f.is_file() else None

    return {"hash": "blake2b-128", "dataset_json": {"root": manifest(root), "val": manifest(val_root)},
            "train": {r.key: _record_digest(r) for r in train_records},
            "val": {r.key: _record_digest(r) for r in val_records}}


def _check_content(old, new: dict, records: dict, folders: dict, split_file: Path) -> list[str]:
    """Refuse a resume whose data files differ in content from those split.json's ``CONTENT_KEY`` recorded.

    The same ids can hold other data (a folder ingested again with another sigma, masks rewritten in place):
    validation would score the same weights on other targets, and metrics.csv and best.pt mix two datasets. A
    split.json without the key (written before it was recorded) is not refused: one note says it was not checked.
    ``records``: part ("train", "val") -> key -> Record; ``folders``: "root"/"val" -> the folder of a dataset.json.
    """
    from saliency.datasets import FILE_ROLES

    if not isinstance(old, dict):
        return [f"{split_file} records no digest of the data's content (written before it was recorded): the "
                "files were not checked for changes since the run began"]
    changed = []
    for where, folder in folders.items():
        if (old.get("dataset_json") or {}).get(where) != new["dataset_json"][where]:
            changed.append(str(Path(folder) / "dataset.json"))
    for part in ("train", "val"):
        was_part = old.get(part) or {}
        for key, now in new[part].items():
            was = was_part.get(key) or {}
            for role in dict.fromkeys([*now, *was]):
                if was.get(role) != now.get(role):
                    path = getattr(records[part][key], role, None) if role in FILE_ROLES else None
                    changed.append(str(path) if path else f"the fixation points of {key}")
    if changed:
        raise UserError(f"`resume`: {len(changed)} data file(s) differ from those the run began on ({split_file} "
                        f"records their content), first {changed[0]}; metrics.csv and best.pt would mix two "
                        "datasets: train into a new `out`, or put the files back as they were")
    return []


def data_names(cfg: dict, names: dict | None = None) -> dict:
    """``names`` (the label of a dataset's ``source``, ``data`` or ``data.val`` -> how a refusal names its folder,
    :func:`saliency.base.fsutil.replaced_error`'s ``who``), each label it lacks named as a library call without its
    origin gives it: the parameter ``data`` (``root`` with a ``data.dataset``), ``config data.val``."""
    return {"data": "`root`" if cfg["data"]["dataset"] else "`data`", "data.val": "config data.val", **(names or {})}


def _read_indexed(sources: list, names: dict, read, *args):
    """``read(*args)`` (digests of, or the samples of, indexed files); a file gone meanwhile (FileNotFoundError)
    or a folder of ``sources`` (``(ids, label)``: :func:`saliency.base.fsutil.folder_identity`) replaced is the
    refusal of :func:`saliency.base.fsutil.check_unchanged` naming its dataset folder by ``names``
    (:func:`data_names`), not "file not found". (A sample's own refusal already names it: ``SaliencyDataset.who``.)
    """
    from saliency.base.fsutil import check_unchanged, replaced_error

    try:
        return read(*args)
    except FileNotFoundError as exc:
        refusal = None
        try:
            for ids, label in sources:
                check_unchanged(ids, label, who=names[label])
        except UserError as err:
            refusal = err
        gone = os.path.abspath(os.fsdecode(exc.filename)) if exc.filename is not None else ""
        for ids, label in reversed(sources):  # data.val, when given, before the training folder
            if refusal is None and gone.startswith(os.path.join(os.path.abspath(ids[0][0]), "")):
                refusal = replaced_error(ids[0][0], label, names[label])
        if refusal is not None:
            raise refusal from None
        raise


def prepare_data(cfg: dict, run: Path, resume: bool, info, progress: bool, names: dict | None = None):
    """Train and validation datasets (split seeded or read back from ``RUN/split.json``).

    A ``data.val`` folder is refused when it holds training images, on a new run and on a resume that changes it
    (split.json's validation ids are then read from the new folder; the returned split names it). Its notes (files
    left out, images without a target) follow the training folder's, each prefixed ``data.val DIR (validation
    folder):`` (they were never shown). On a resume, split.json is required when the split is seeded (no
    ``data.val``), and the images found now that it does not list are named in a note (they are not used).

    A data folder (or a subfolder of its files) replaced by another while it is read here (``synth``/``ingest
    --overwrite`` renaming a new dataset onto it), or a file of it gone, is refused once the samples are read
    (before anything of the run is written), so no run trains on a mix of two datasets; the datasets returned
    carry the folders' identities (``SaliencyDataset.source``) for a run that reads them lazily (no cache).
    That refusal names the folder by ``names`` (:func:`data_names`: where ``data.root`` and ``data.val`` came from,
    e.g. ``--root``, ``FILE: data.root`` or ``--set data.val``; :func:`saliency.train.prepare_run` finds them).
    """
    from saliency import datasets as D
    from saliency.base.fsutil import check_unchanged, folder_identity, identity_with_files
    from saliency.transforms import build_train_transform

    task, d = cfg["task"], cfg["data"]
    names = data_names(cfg, names)
    if not d["root"]:
        raise UserError("no training data: give `data` DIR, or --dataset NAME --root DIR (data.root in the config)")
    root_ids = folder_identity(d["root"])  # before the first read: the folder the index and the samples come from
    index = D.find_dataset(d["root"], task, d["dataset"], d["split"])
    root_ids = identity_with_files(root_ids, D.record_files(index.records))
    sources = [(root_ids, "data")]
    if d["val"] and not Path(d["val"]).is_dir():  # named as the config key, not as --data
        raise UserError(f"data.val {d['val']}: folder not found (a relative path is read from the current folder, "
                        f"{Path.cwd()}); give it with --set data.val=DIR")
    val_ids = folder_identity(d["val"]) if d["val"] else None
    by_key = {r.key: r for r in index.records}
    split_file = run / "split.json"
    added: list[str] = []  # images found now that the run's split.json does not list: named, never used unsaid
    if resume and not split_file.is_file() and not d["val"]:
        # every run writes split.json before its first step: a new seeded split would move the run's validation
        # images into training and back (with data.val the split is the two folders, made again as it was)
        raise UserError(f"`resume` {run}: {split_file} is missing; restore it, or start a new run with `out` {run} "
                        "`overwrite`")
    if resume and split_file.is_file():
        split = json.loads(split_file.read_text(encoding="utf-8"))
        _check_layout(split, "layout", index, d["root"])
        _gone([k for k in split["train"] if k not in by_key], index, split_file, "training", d["root"])
        train_keys = split["train"]
        val_keys = split["val"]
        moved = d["val"] != split.get("val_root")  # data.val changed on resume: checked as a new run's is
        if moved and d["val"] is None:  # the ids would be looked up among the training images of data.root
            raise UserError(f"`resume`: data.val cannot be emptied: the run validates on {split.get('val_root')} "
                            f"({split_file}) and every image of {d['root']} is a training image; give --set "
                            f"data.val=DIR, the folder that holds those {len(val_keys)} validation images now")
        val_index = D.find_dataset(d["val"], task, option="data.val") if d["val"] else index
        if d["val"]:
            val_ids = identity_with_files(val_ids, D.record_files(val_index.records))
            sources.append((val_ids, "data.val"))
            _check_layout(split, "val_layout", val_index, f"data.val {d['val']}")
        val_recs = {r.key: r for r in val_index.records}
        # best.pt is chosen by these images: a resumed run validated on fewer, or on none (exit 1)
        _gone([k for k in val_keys if k not in val_recs], val_index, split_file, "validation", d["val"] or d["root"])
        val_records = [val_recs[k] for k in val_keys]
        listed = set(train_keys) | (set() if d["val"] else set(val_keys))
        added += _added_note(sorted(set(by_key) - listed), d["root"], split_file, "train on")
        if d["val"]:
            added += _added_note(sorted(set(val_recs) - set(val_keys)), d["val"], split_file, "validate on")
        if moved:  # the same refusal a new run gets; split.json then records the folder validated (Trainer)
            _check_held_out([by_key[k] for k in train_keys], val_records, d["val"])
        content = _read_indexed(sources, names, data_digests, [by_key[k] for k in train_keys], val_records,
                                d["root"], d["val"])
        added += _check_content(split.get(CONTENT_KEY), content, {"train": by_key, "val": val_recs},
                                {"root": d["root"], "val": d["val"]} if d["val"] else {"root": d["root"]},
                                split_file)
        if not isinstance(split.get(CONTENT_KEY), dict):
            content = None  # a run begun before the digests stays unchecked: its first data is unknown
    elif d["val"]:
        val_index = D.find_dataset(d["val"], task, option="data.val")
        val_ids = identity_with_files(val_ids, D.record_files(val_index.records))
        sources.append((val_ids, "data.val"))
        _check_held_out(index.records, val_index.records, d["val"])
        train_keys = sorted(by_key)
        val_records = sorted(val_index.records, key=lambda r: r.key)
        val_keys = [r.key for r in val_records]
    else:
        if not d["val_fraction"] > 0:  # checked before the first epoch: it failed after one, with exit 1
            raise UserError("config data.val_fraction: 0 holds out no validation image and data.val names no "
                            "folder; validation scores every epoch and picks best.pt: give a share above 0 "
                            "(default 0.2) or a separate data.val folder")
        train_keys, val_keys = D.split_keys(by_key, d["val_fraction"], d["split_seed"])
        val_records = [by_key[k] for k in val_keys]
    notes = list(index.notes)
    if d["val"]:  # the validation folder's notes (files left out, images without a target): never dropped
        notes += [f"data.val {d['val']} (validation folder): {n}" for n in val_index.notes]
    notes += added
    tf = build_train_transform(task, d["size"], d["augment"])
    train_ds = D.SaliencyDataset([by_key[k] for k in train_keys], task, d["size"], tf, d["cache"], d["fixation_top"])
    val_ds = D.SaliencyDataset(val_records, task, d["size"], None, d["cache"], d["fixation_top"])
    train_ds.source, train_ds.who = sources[0], names[sources[0][1]]
    val_ds.source, val_ds.who = sources[-1], names[sources[-1][1]]  # data.val's folder, when given; else data's
    if not resume or not split_file.is_file():
        content = _read_indexed(sources, names, data_digests, [by_key[k] for k in train_keys], val_records,
                                d["root"], d["val"])
    split = {"layout": index.layout, "root": str(d["root"]), "dataset": d["dataset"], "dataset_split": index.split,
             "val_root": d["val"], "val_layout": val_index.layout if d["val"] else None, "train": train_keys,
             "val": val_keys, "notes": notes}
    if content is not None:
        split[CONTENT_KEY] = content
    show = progress and info.is_main
    _read_indexed(sources, names, train_ds.fill_cache, show, "caching train")
    _read_indexed(sources, names, val_ds.fill_cache, show, "caching val")
    for ids, label in sources:  # the samples (or, uncached, the digests) are of the folders indexed: no mix
        check_unchanged(ids, label, who=names[label])
    return train_ds, val_ds, split


class MetricsLog:
    """``metrics.csv`` (one row per epoch), rewritten atomically; re-read on resume."""

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.rows: list[dict] = []
        if resume and path.is_file():
            with open(path, newline="", encoding="utf-8") as fh:
                self.rows = list(csv.DictReader(fh))

    def add(self, row: dict, upto_epoch: int) -> None:
        """Append ``row`` (dropping rows of epochs >= its own, left by an earlier interrupted run)."""
        from saliency.base.fsutil import write_text

        self.rows = [r for r in self.rows if int(r["epoch"]) < upto_epoch] + [row]
        keys: list[str] = []
        for r in self.rows:
            keys += [k for k in r if k not in keys]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        w.writerows(self.rows)
        write_text(self.path, buf.getvalue())


class Signals:
    """SIGINT/SIGTERM set a flag; the loop stops at the next optimiser step (one the caller ignores stays ignored)."""

    def __init__(self):
        self.signum = None
        self._old = {}

    def __enter__(self):
        for s in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(s) is signal.SIG_IGN:  # the caller ignores it (``trap '' TERM``, nohup): so do we
                continue
            try:
                self._old[s] = signal.signal(s, self._handler)
            except ValueError:  # not the main thread
                pass
        return self

    def _handler(self, signum, frame):
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.signum = signum

    def __exit__(self, *exc):
        for s, h in self._old.items():
            signal.signal(s, h)
        return False


def open_tensorboard(run: Path, setting):
    """A TensorBoard SummaryWriter in RUN/tensorboard, or None (``auto`` and tensorboard missing, or off)."""
    if setting is False:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:  # noqa: BLE001 - tensorboard is optional
        if setting is True:
            raise UserError("train.tensorboard: true but tensorboard is not installed; pip install tensorboard")
        return None
    return SummaryWriter(str(run / "tensorboard"))

"""Distributed data parallel helpers and the seeded sampler.

Launch with ``torchrun --nproc_per_node N -m saliency train ...``: torchrun
sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``; :func:`init` joins the
process group with NCCL on GPUs and gloo on CPU (PyTorch DDP tutorial,
https://pytorch.org/tutorials/intermediate/ddp_tutorial.html). Only rank 0
writes files; metrics are gathered to every rank (:func:`gather_objects`)
so that all ranks take the same decisions (best checkpoint, NaN stop).
DDP keeps the parameters identical; each rank's BatchNorm statistics follow
its own shard (DDP is built with ``broadcast_buffers=False``) and
:func:`average_buffers` makes them one at the end of each epoch.

A rank other than 0 waits in :func:`init` for the others with SIGTERM's
default action, so that torchrun's SIGTERM ends it when rank 0 refused the
run before joining (a Python handler cannot run inside that blocking call;
the rank has written nothing yet, so there is nothing to clean up).

:class:`SeededSampler` wraps ``torch.utils.data.DistributedSampler`` (the same
shard and order as torchvision's reference scripts) and yields
``(index, sample_seed)`` pairs: the seed of each sample's augmentation is a
function of (seed, epoch, index) only, so the data a run sees does not depend
on the number of workers, and a resumed run can skip the batches it already
did without decoding them.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import numpy as np


@dataclass
class DistInfo:
    """Where this process stands: rank, world size, local rank; ``enabled`` when a group is up."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    enabled: bool = False

    @property
    def is_main(self) -> bool:
        """True on the process that writes files (rank 0)."""
        return self.rank == 0


def env_world_size() -> int:
    """WORLD_SIZE set by torchrun (1 when not launched by it)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def init(device_type: str) -> DistInfo:
    """Join the torchrun process group (NCCL on CUDA, gloo on CPU), or return a single-process DistInfo."""
    import torch.distributed as dist

    world = env_world_size()
    if world <= 1:
        return DistInfo()
    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    if not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        if device_type == "cuda":
            import torch

            torch.cuda.set_device(local)
        with _default_sigterm(rank != 0):
            dist.init_process_group(backend=backend)
    return DistInfo(rank=rank, world=world, local_rank=local, enabled=True)


@contextlib.contextmanager
def _default_sigterm(active: bool):
    """SIGTERM's default action (the process ends) while active, in the main thread; the old handler after.

    For a rank waiting in ``init_process_group`` for a rank 0 that failed before
    joining: the wait is one blocking C call, inside which a Python handler
    (``terminate_raises``) never runs, so torchrun's SIGTERM would be ignored
    until its SIGKILL 30 s later. A SIGTERM that arrives just before or after
    the wait is handled as it was.
    """
    import signal
    import threading

    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def shutdown(info: DistInfo) -> None:
    """Leave the process group."""
    import torch.distributed as dist

    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def gather_objects(info: DistInfo, obj) -> list:
    """Every rank's ``obj``, in rank order, on every rank (a one-element list without DDP)."""
    if not info.enabled:
        return [obj]
    import torch.distributed as dist

    out = [None] * info.world
    dist.all_gather_object(out, obj)
    return out


def all_true(info: DistInfo, flag: bool, device) -> bool:
    """Logical AND of ``flag`` across ranks."""
    if not info.enabled:
        return bool(flag)
    import torch
    import torch.distributed as dist

    t = torch.tensor([0.0 if flag else 1.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.item() == 0.0


def any_true(info: DistInfo, flag: bool, device) -> bool:
    """Logical OR of ``flag`` across ranks."""
    return not all_true(info, not flag, device)


def mean_scalar(info: DistInfo, value: float, device) -> float:
    """Mean of a float over ranks."""
    if not info.enabled:
        return float(value)
    import torch
    import torch.distributed as dist

    t = torch.tensor([float(value)], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.item() / info.world


def sum_scalars(info: DistInfo, values, device) -> list[float]:
    """The sums over ranks of a few floats (float64; the values themselves without DDP)."""
    if not info.enabled:
        return [float(v) for v in values]
    import torch
    import torch.distributed as dist

    t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return [float(v) for v in t.tolist()]


def average_buffers(info: DistInfo, model, extra: dict | None = None) -> None:
    """Average the floating buffers (BatchNorm running statistics) over ranks, in place.

    DDP keeps parameters identical but each rank updates its BatchNorm
    statistics from its own shard (the trainer builds DDP with
    ``broadcast_buffers=False``, so this is the only synchronisation of the
    buffers); averaging them at the end of an epoch (timm's
    ``distribute_bn(reduce=True)``) makes every rank validate and save the same
    model. A running-statistics update is affine in the old statistics with
    the same coefficients on every rank, so an average taken mid-epoch (an
    interrupted run saving ``last.pt``) gives the same statistics at the end of
    the epoch as an uninterrupted run, up to rounding. ``extra`` (an EMA's
    shadow dict) gets the same treatment for the entries named like the
    model's buffers.
    """
    if not info.enabled:
        return
    import torch.distributed as dist

    names = [n for n, b in model.named_buffers() if b.is_floating_point()]
    bufs = dict(model.named_buffers())
    for n in names:
        for t in ([bufs[n]] + ([extra[n]] if extra is not None and n in extra else [])):
            dist.all_reduce(t)
            t.div_(info.world)


def barrier(info: DistInfo) -> None:
    """Wait for every rank."""
    if info.enabled:
        import torch.distributed as dist

        dist.barrier()


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of sample ``index`` in ``epoch`` (a 32-bit value of a SeedSequence)."""
    return int(np.random.SeedSequence([seed & 0xFFFFFFFF, epoch, index]).generate_state(1)[0])


class SeededSampler:
    """Shuffled, sharded indices with per-sample seeds: yields ``(index, seed)``.

    ``set_epoch(e)`` fixes the order (as DistributedSampler) and
    ``set_start(k)`` skips the first ``k`` samples of this rank's share (a
    resumed run). ``shuffle=False`` gives the plain order (validation).
    """

    def __init__(self, n: int, seed: int, rank: int = 0, world: int = 1, shuffle: bool = True, augment: bool = True):
        from torch.utils.data import DistributedSampler

        self.n = n
        self.seed = seed
        self.augment = augment
        self.base = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=shuffle, seed=seed,
                                       drop_last=False)
        self.epoch = 0
        self.start = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the permutation of ``epoch``."""
        self.epoch = epoch
        self.base.set_epoch(epoch)
        self.start = 0

    def set_start(self, start: int) -> None:
        """Skip the first ``start`` samples of this epoch."""
        self.start = start

    def __len__(self) -> int:
        return max(0, len(self.base) - self.start)

    def __iter__(self):
        for pos, i in enumerate(self.base):
            if pos < self.start:
                continue
            yield (i, sample_seed(self.seed, self.epoch, i) if self.augment else None)


def shard(n: int, info: DistInfo) -> list[int]:
    """Indices ``rank, rank + world, ...`` of ``range(n)`` (validation: each image scored exactly once)."""
    return list(range(info.rank, n, info.world))

"""Training checkpoints: everything a run needs to continue exactly.

After torchvision's ``references/segmentation/train.py``: the file holds the
model, its optimiser and scheduler, the epoch and step, plus what exactness
needs beyond that -- the RNG states (Python, NumPy, torch CPU and CUDA), the
EMA weights, the position inside an interrupted epoch, the number of
processes that wrote it (``world_size``: a resume with another number is
refused, the schedule and the epoch's shares following it) and the resolved
config. ``config`` + ``state_dict`` are the keys that
:func:`saliency.models.registry.read_checkpoint` -- the one reader of
checkpoint files, which :func:`load` calls -- needs (``state_dict`` holds the
weights to predict with: the EMA weights when EMA is on), so a checkpoint is
also an inference file.

Everything is stored as tensors, numbers, strings, lists and dicts, so
``torch.load(..., weights_only=True)`` reads it; files are written
atomically (:func:`saliency.base.fsutil.atomic_path`).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

FORMAT = "saliency-train-checkpoint/1"


def rng_state() -> dict:
    """The RNG states of Python, NumPy and torch (CPU and every CUDA device)."""
    import torch

    np_state = np.random.get_state()
    st = {"python": _to_lists(random.getstate()),
          "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), int(np_state[2]),
                    int(np_state[3]), float(np_state[4])],
          "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def _to_lists(x):
    if isinstance(x, tuple):
        return [_to_lists(v) for v in x]
    return x


def _to_tuples(x):
    if isinstance(x, list):
        return tuple(_to_tuples(v) for v in x)
    return x


def set_rng_state(st: dict) -> None:
    """Restore what :func:`rng_state` saved.

    The states are moved to the CPU first: a checkpoint read with a GPU
    ``map_location`` holds them on the GPU, and NumPy, ``torch.set_rng_state``
    and ``torch.cuda.set_rng_state_all`` take only CPU tensors.
    """
    import torch

    random.setstate(_to_tuples(st["python"]))
    n = st["numpy"]
    np.random.set_state((n[0], n[1].cpu().numpy().astype(np.uint32), n[2], n[3], n[4]))
    torch.set_rng_state(st["torch"].cpu())
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in st["cuda"]])


def save(path: str | Path, payload: dict) -> None:
    """Write ``payload`` atomically with ``torch.save``.

    Serialised in memory, then written by Python: torch's own file writer
    turns a full disk into a RuntimeError ("unexpected pos ...") that names
    neither the file nor the cause; Python's write raises the system's
    OSError (no space left on the device), named by the checkpoint's path.
    """
    import io

    import torch

    from saliency.base.fsutil import write_bytes

    buf = io.BytesIO()
    torch.save(payload, buf)
    write_bytes(path, buf.getbuffer())


def load(path: str | Path, map_location="cpu") -> dict:
    """Read a training checkpoint: :func:`saliency.models.registry.read_checkpoint`, the one reader of files.

    Errors name the file (a :class:`UserError`); the returned dict holds
    ``config`` and ``state_dict`` whichever accepted key they were saved under.
    """
    from saliency.models.registry import read_checkpoint

    return read_checkpoint(path, map_location, param=None)

"""Training checkpoints: everything a run needs to continue exactly.

After torchvision's ``references/segmentation/train.py``: the file holds the
model, its optimiser and scheduler, the epoch and step, plus what exactness
needs beyond that -- the RNG states (Python, NumPy, torch CPU and CUDA), the
EMA weights, the position inside an interrupted epoch and the resolved
config. ``config`` + ``state_dict`` are the keys :func:`models.load_checkpoint`
reads (``state_dict`` holds the weights to predict with: the EMA weights when
EMA is on), so a checkpoint is also an inference file.

Everything is stored as tensors, numbers, strings, lists and dicts, so
``torch.load(..., weights_only=True)`` reads it; files are written
atomically (:func:`saliency.base.fsutil.atomic_path`).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from saliency.base.errors import UserError

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
    """Restore what :func:`rng_state` saved."""
    import torch

    random.setstate(_to_tuples(st["python"]))
    n = st["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), n[2], n[3], n[4]))
    torch.set_rng_state(st["torch"])
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(st["cuda"])


def save(path: str | Path, payload: dict) -> None:
    """Write ``payload`` atomically with ``torch.save``."""
    import torch

    from saliency.base.fsutil import atomic_path

    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load(path: str | Path, map_location="cpu") -> dict:
    """Read a training checkpoint (``weights_only``); UserError naming the file when it is not one."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: checkpoint not found")
    try:
        ck = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is the user's to fix
        raise UserError(f"{path}: not a readable checkpoint ({str(exc).splitlines()[0][:200]})") from None
    if not isinstance(ck, dict) or "config" not in ck or "state_dict" not in ck:
        raise UserError(f"{path}: not a saliency checkpoint (needs 'config' and 'state_dict')")
    return ck

"""One DataLoader worker initialiser for training and prediction: 1 BLAS + 1 OpenCV thread, then seeded.

Checked inside real DataLoader worker processes: the worker reports what
OpenCV, threadpoolctl and NumPy see there.
"""

from __future__ import annotations

import cv2  # loaded before the workers start, as the datasets module does (its BLAS gets limited too)
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from saliency import runtime


class _Probe(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        import random

        import cv2
        from threadpoolctl import threadpool_info

        blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        return {"cv2": cv2.getNumThreads(), "blas": blas, "np": float(np.random.random()),
                "py": random.random(), "seed": torch.initial_seed()}


def _probe(worker_init_fn):
    loader = DataLoader(_Probe(), batch_size=None, num_workers=1, worker_init_fn=worker_init_fn,
                        generator=torch.Generator().manual_seed(7))
    return list(loader)


def test_worker_init_one_thread_each_and_seeded_from_torch():
    import random

    for item in _probe(runtime.worker_init):
        assert item["cv2"] == 1
        assert all(n == 1 for n in item["blas"])
    first = _probe(runtime.worker_init)[0]
    s = first["seed"] % (2 ** 32)
    np.random.seed(s)
    random.seed(s)
    assert first["np"] == np.random.random() and first["py"] == random.random()


def test_training_and_prediction_loaders_use_it(tmp_path, monkeypatch):
    import torch.utils.data

    from saliency import models
    from saliency.predict import predict_folder

    seen = []

    class Stop(Exception):
        pass

    def fake_loader(*args, **kw):
        seen.append(kw.get("worker_init_fn"))
        raise Stop

    monkeypatch.setattr(torch.utils.data, "DataLoader", fake_loader)
    with pytest.raises(Stop):
        runtime.make_loader([], None, 2, 1, torch.device("cpu"), 0)
    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_sod")
    torch.save(models.checkpoint_payload(m), tmp_path / "c.pt")
    (tmp_path / "imgs").mkdir()
    cv2.imwrite(str(tmp_path / "imgs" / "a.png"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(Stop):
        predict_folder(tmp_path / "c.pt", tmp_path / "imgs", tmp_path / "out", size=(32, 32), workers=1,
                       device="cpu", progress=False)
    assert seen == [runtime.worker_init, runtime.worker_init]


FORK_SCRIPT = """
import numpy as np, cv2, torch
from torch.utils.data import DataLoader, Dataset
from saliency.runtime import worker_init

class D(Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, i):
        return int(cv2.GaussianBlur(np.ones((300, 300), np.float32), (0, 0), 2).sum()), cv2.getNumThreads()

# the parent runs OpenCV's thread pool first, as training does when it decodes and caches the images
for _ in range(3):
    cv2.resize(np.random.rand(1500, 1500, 3).astype(np.float32), (700, 700))
    cv2.GaussianBlur(np.random.rand(1000, 1000).astype(np.float32), (0, 0), 3)
print([b[1].tolist() for b in DataLoader(D(), batch_size=2, num_workers=2, worker_init_fn=worker_init)])
"""


def test_forked_workers_start_after_the_parent_used_opencv_threads(tmp_path):
    """cv2.setNumThreads(1) in a forked child of a process that ran OpenCV's pool hangs; worker_init must not."""
    import subprocess
    import sys

    script = tmp_path / "fork.py"
    script.write_text(FORK_SCRIPT)
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "[[1, 1], [1, 1]]"


_SPAWN_SIGINT = r"""
import os, signal, sys, time
from saliency.base.workers import spawn_pool
signal.signal(signal.SIGINT, lambda *a: None)  # the parent's own Ctrl-C handling is not under test here
ex = spawn_pool(1, ("saliency.eval.runner",))
kid = next(iter(ex._processes))
end = time.monotonic() + 1.0
while time.monotonic() < end:  # a Ctrl-C of the whole group reaches the worker while it starts and imports
    os.kill(kid, signal.SIGINT)
    time.sleep(0.002)
print(sorted(int(s) for s in ex.submit(signal.pthread_sigmask, signal.SIG_BLOCK, []).result()))
print(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
ex.shutdown()
"""


def test_a_spawned_worker_never_sees_a_ctrl_c_while_it_starts():
    """Review (stop 18): SIGINT reaching a spawned worker during its bootstrap printed a KeyboardInterrupt
    traceback under ``saliency eval``'s one line. The worker is born with SIGINT blocked (the kernel's view of
    its mask is the oracle), the parent's mask is restored, and the worker survives the signals."""
    import signal
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", _SPAWN_SIGINT], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    worker_mask, parent_mask = (eval(line) for line in p.stdout.splitlines()[-2:])
    assert int(signal.SIGINT) in worker_mask and int(signal.SIGINT) not in parent_mask

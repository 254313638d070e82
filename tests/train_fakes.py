"""Tiny SOD and fixation datasets for the training, prediction and dataset tests (not a test module)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

W, H = 64, 48


def _scene(rng, w=W, h=H):
    import cv2

    img = (rng.random((h, w, 3)) * 60 + 40).astype(np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), 1.0)
    cx, cy = int(rng.integers(12, w - 12)), int(rng.integers(10, h - 10))
    r = int(rng.integers(5, 9))
    colour = tuple(int(c) for c in rng.integers(150, 256, 3))
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(img, (cx, cy), r, colour, -1)
    cv2.circle(mask, (cx, cy), r, 255, -1)
    return img, mask, (cx, cy)


def make_sod(root: Path, n: int = 8, seed: int = 0, w: int = W, h: int = H) -> Path:
    """A synth-like SOD folder: root/stimuli/sNNNN.png (RGB) + root/masks/sNNNN.png (0/255)."""
    import cv2

    rng = np.random.default_rng(seed)
    (root / "stimuli").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        img, mask, _ = _scene(rng, w, h)
        cv2.imwrite(str(root / "stimuli" / f"s{i:04d}.png"), img)
        cv2.imwrite(str(root / "masks" / f"s{i:04d}.png"), mask)
    return root


def make_fixation(root: Path, n: int = 8, seed: int = 0) -> Path:
    """An ingest-like fixation folder: stimuli/, maps/ (0..255 blurred), fixations/ (255 at fixated pixels)."""
    import cv2

    rng = np.random.default_rng(seed)
    for sub in ("stimuli", "maps", "fixations"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        img, _, (cx, cy) = _scene(rng)
        fix = np.zeros((H, W), np.uint8)
        pts = np.stack([rng.normal(cx, 3, 12), rng.normal(cy, 3, 12)], 1).round().astype(int)
        pts = np.concatenate([pts, [[W // 2, H // 2]]])
        for x, y in pts:
            if 0 <= x < W and 0 <= y < H:
                fix[y, x] = 255
        dens = cv2.GaussianBlur(fix.astype(np.float64), (0, 0), 3.0)
        dens = np.rint(255 * (dens - dens.min()) / (dens.max() - dens.min())).astype(np.uint8)
        cv2.imwrite(str(root / "stimuli" / f"s{i:04d}.png"), img)
        cv2.imwrite(str(root / "maps" / f"s{i:04d}.png"), dens)
        cv2.imwrite(str(root / "fixations" / f"s{i:04d}.png"), fix)
    return root


TINY_ARGS = ["--device", "cpu", "--batch-size", "3", "--quiet", "--set", "data.size=[48,64]",
             "--set", "train.grid_images=2", "--set", "train.tensorboard=false"]


@pytest.fixture(autouse=True)
def restore_torch_globals():
    """Training switches torch to deterministic algorithms and one thread; put them back (autouse where imported)."""
    import torch

    det, threads = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    yield
    torch.use_deterministic_algorithms(det)
    torch.set_num_threads(threads)


def predict_and_score_sod(run: Path, data: Path, preds: Path, metrics=("MAE", "Fmax", "Smeasure")) -> dict:
    """The oracle of validation: ``saliency predict`` the run's validation images, score them with eval.SODMetrics."""
    import json

    from saliency.cli import main
    from saliency.eval import SODMetrics
    from saliency.eval.io import read_mask, read_pred_u8

    assert main(["predict", "--checkpoint", str(run / "checkpoints" / "last.pt"), "--images",
                 str(data / "stimuli"), "--list", str(run / "split.json"), "--out", str(preds),
                 "--device", "cpu", "--quiet"]) == 0
    acc = SODMetrics(metrics=metrics)
    for k in json.loads((run / "split.json").read_text())["val"]:
        acc.step(read_pred_u8(preds / f"{k}.png"), read_mask(data / "masks" / f"{k}.png"))
    return acc.results()

"""sAUC at scale: the "other images" of each image are drawn as before, bit for bit, in linear time and memory.

Oracle: the draw as it was written (the list of the other images with fixations built per image, then
``default_rng([seed, index, 2]).choice``), inline below; the counts are worked by hand (one ``len`` per pool
entry per pool, one "other" array alive per image scored).
"""

from __future__ import annotations

import weakref

import cv2
import numpy as np
import pytest

from saliency.eval import fixation as F
from saliency.eval import runner as R
from saliency.eval.ground_truth import GTDataset, GTItem


def _oracle(pool, index, seed=0, n_others=10):
    """The sampler as first written: O(len(pool)) per image."""
    others = [j for j in range(len(pool)) if j != index and len(pool[j])]
    if not others:
        return None
    rng = np.random.default_rng([seed, index, 2])
    pick = rng.choice(len(others), size=min(n_others, len(others)), replace=False)
    return np.concatenate([pool[others[j]] for j in sorted(pick)])


class _Counted(np.ndarray):
    """An array whose ``len`` calls are counted (class-wide)."""

    calls = 0

    def __len__(self):
        type(self).calls += 1
        return super().__len__()


def _pool(n, empty=(), seed=5, counted=False):
    rng = np.random.default_rng(seed)
    pool = [np.zeros((0, 2)) if i in empty else rng.random((int(rng.integers(1, 6)), 2)) for i in range(n)]
    return [a.view(_Counted) for a in pool] if counted else pool


def _same(a, b):
    return (a is None and b is None) or (a is not None and b is not None and a.shape == b.shape
                                         and np.array_equal(np.asarray(a), np.asarray(b)))


@pytest.mark.parametrize("n,empty,n_others", [
    (13, {0, 4, 5, 12}, 10), (13, {0, 4, 5, 12}, 3), (6, {1}, 10), (30, set(range(0, 30, 3)), 10),
    (3, {0, 1}, 10), (2, {0, 1}, 10), (1, set(), 10), (25, set(), 24),
])
def test_other_images_bit_identical_to_the_old_draw(n, empty, n_others):
    pool = _pool(n, empty)
    fixated = F.fixated_images(pool)
    assert list(fixated) == [j for j in range(n) if j not in empty]
    for seed in (0, 7):
        for i in range(n):
            want = _oracle(pool, i, seed, n_others)
            assert _same(F.other_fixation_coords(pool, i, seed, n_others), want), (seed, i)
            assert _same(F.other_fixation_coords(pool, i, seed, n_others, fixated), want), (seed, i)


def test_sauc_of_the_accumulator_bit_identical_both_paths():
    rng = np.random.default_rng(2)
    fixes = [rng.random((12, 16)) > (0.8 if i != 3 else 1.0) for i in range(9)]  # image 3: no fixations
    preds = [rng.random((12, 16)) for _ in fixes]
    pool = [F.fixation_coords(f) for f in fixes]
    want = []
    for i, (p, f) in enumerate(zip(preds, fixes)):
        c = _oracle(pool, i, 4)
        other = None if c is None else F.coords_to_mask(c, f.shape)
        want.append(F.fixation_image_scores(p, f, other=other, seed=4, index=i, metrics=("sAUC",)).values["sAUC"])
    for acc in (F.FixationMetrics(("sAUC",), seed=4, fixation_pool=pool), F.FixationMetrics(("sAUC",), seed=4)):
        for p, f in zip(preds, fixes):
            acc.step(p, f)
        acc.results()
        got = [s.values["sAUC"] for s in acc._scores]
        assert np.array_equal(got, want, equal_nan=True) and np.isnan(got[3]) and np.isfinite(got[0])


def test_drawing_for_every_image_reads_each_pool_entry_once():
    n = 60
    pool = _pool(n, empty={2, 30}, counted=True)
    _Counted.calls = 0
    fixated = F.fixated_images(pool)
    for i in range(n):
        F.other_fixation_coords(pool, i, 0, 10, fixated)
    assert _Counted.calls <= n  # the old draw: n * n (every entry's len, per image)


def _step_all(acc, n):
    fix = np.zeros((6, 8), bool)
    fix[2, 3] = fix[4, 5] = True
    for _ in range(n):
        acc.step(np.arange(48.0).reshape(6, 8), fix)


def test_accumulator_with_a_pool_finds_the_fixated_images_once():
    n = 60
    acc = F.FixationMetrics(("sAUC",), fixation_pool=_pool(n, empty={2, 30}, counted=True))
    _Counted.calls = 0
    _step_all(acc, n)
    assert _Counted.calls <= n  # the old accumulator: n * n
    assert np.isfinite(acc.results()["sAUC"])


def test_deferred_sauc_finds_the_fixated_images_once():
    n = 60
    acc = F.FixationMetrics(("sAUC",))
    _step_all(acc, n)
    acc._coords[:] = [a.view(_Counted) for a in acc._coords]  # the stepped images' fixations, read in results()
    _Counted.calls = 0
    assert np.isfinite(acc.results()["sAUC"])
    assert _Counted.calls <= n  # the old accumulator: n * n


def _dataset(tmp_path, n):
    rng = np.random.default_rng(3)
    pred = tmp_path / "pred"
    pred.mkdir()
    items = []
    for i in range(n):
        pts = () if i == 5 else tuple((int(r), int(c)) for r, c in zip(rng.integers(0, 24, 6),
                                                                          rng.integers(0, 32, 6)))
        items.append(GTItem(key=f"s{i:03d}", points=pts, size=(24, 32)))
        cv2.imwrite(str(pred / f"s{i:03d}.png"), rng.integers(0, 256, (24, 32), dtype=np.uint8))
    return GTDataset("T", "fixation", items), pred


@pytest.mark.parametrize("workers", [1, 2])
def test_runner_keeps_few_other_arrays_alive(tmp_path, monkeypatch, workers):
    n = 60
    ds, pred = _dataset(tmp_path, n)
    live, most = [], [0]
    real = R.other_fixation_coords

    def recording(*a, **k):
        out = real(*a, **k)
        alive = [r for r in live if r() is not None]
        live[:] = alive
        most[0] = max(most[0], len(alive))
        if out is not None:
            live.append(weakref.ref(out))
        return out

    monkeypatch.setattr(R, "other_fixation_coords", recording)
    res = R.evaluate_dataset(ds, [("M", str(pred))], metrics=("sAUC", "NSS"), workers=workers, progress=False)
    # the numbers: each image's "other" drawn by the old sampler (the pool read from the same points)
    pool = [F.fixation_coords(F.points_to_mask(it.points, it.size)) for it in ds.items]
    vals = []
    for i, it in enumerate(ds.items):
        fix = F.points_to_mask(it.points, it.size)
        p = cv2.imread(str(pred / f"{it.key}.png"), 0)
        c = _oracle(pool, i)
        other = None if c is None else F.coords_to_mask(c, fix.shape)
        vals.append(F.fixation_image_scores(p, fix, other=other, index=i, metrics=("sAUC",)).values["sAUC"])
    vals = np.array(vals)
    assert res[0].metrics["sAUC"] == float(vals[np.isfinite(vals)].mean()) and res[0].excluded["sAUC"] == 1
    # the old runner held all n before the first was scored; now a chunk per process in flight (at most 4 each)
    assert most[0] <= (1 if workers == 1 else 3 * 4 + 1), most[0]

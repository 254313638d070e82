"""The evaluation's work sharing (``eval.runner._shared_map``): this process and a spawned pool, results in order.

Oracle: the plain serial map of the same builtin function.
"""

from __future__ import annotations

import math

import pytest

from saliency.eval.runner import _map, _shared_map


@pytest.mark.parametrize("n,workers", [(2, 2), (7, 2), (100, 2), (37, 3)])
def test_shared_map_keeps_order_and_every_result(n, workers):
    tasks = list(range(-n // 2, n - n // 2))
    assert list(_shared_map(abs, tasks, workers)) == [abs(t) for t in tasks]
    assert list(_map(abs, tasks, workers, "x", False)) == [abs(t) for t in tasks]


def test_shared_map_raises_what_a_task_raised():
    tasks = [4.0] * 40 + [-1.0] + [9.0] * 40  # the failing task may land in the pool or in this process
    with pytest.raises(ValueError, match="math domain error"):
        list(_shared_map(math.sqrt, tasks, 2))


def test_one_started_pool_serves_several_maps():
    from saliency.eval.runner import start_pool

    assert start_pool(1) is None  # one process: no pool
    with start_pool(3) as pool:  # started (and importing the runner) before the first map
        for n in (5, 40):
            tasks = list(range(-n, n))
            assert list(_shared_map(abs, tasks, 3, pool)) == [abs(t) for t in tasks]
        assert list(_map(math.sqrt, [4.0, 9.0, 16.0], 3, "x", False, pool)) == [2.0, 3.0, 4.0]

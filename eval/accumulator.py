"""The accumulator protocol shared by :class:`~saliency.eval.sod.SODMetrics` and
:class:`~saliency.eval.fixation.FixationMetrics`.

An accumulator scores a dataset image by image (issue 14, "one accumulator
protocol"):

- ``step(pred, gt, ...)`` scores one image in this process and keeps its
  per-image values (it returns them);
- ``add(image_scores)`` keeps the per-image values computed elsewhere (a
  worker process) by the task's per-image function (``sod_image_scores`` /
  ``fixation_image_scores``), the same object ``step`` returns;
- ``results()`` aggregates: ``{metric: value, ..., "n_images": n,
  "excluded": {metric: images left out of it}}``, plus what a task adds (SOD:
  ``"curves"``). ``excluded`` has one entry per requested metric, 0 when every
  image counted; the same shape for both tasks.

Images are numbered in the order they were stepped or added (random draws are
seeded by that number), whichever of the two methods brought them.
"""

from __future__ import annotations

from saliency.base.errors import UserError
from saliency.eval.metrics import keys_for


class UnknownMetricError(UserError, ValueError):
    """An unknown name in an accumulator's ``metrics``; the message names the parameter and lists the valid names.

    Also a ValueError, as the accumulators raised before, so that a caller catching that still catches it.
    """


class MetricAccumulator:
    """Base of the metric accumulators: key validation, ``add``, ``len``, ``reset`` and the ``results`` layout.

    Subclasses are dataclasses with a ``metrics`` field and a ``_scores`` list,
    set ``task`` ("sod" or "fixation") and ``_label`` (how errors name the
    task), and implement ``step`` and ``_aggregate``.
    """

    task = ""
    _label = ""

    def _check_metrics(self) -> None:
        """Default ``metrics`` to every key of the task and reject unknown names (:class:`UnknownMetricError`)."""
        allowed = keys_for(self.task)
        keys = allowed if self.metrics is None else tuple(self.metrics)
        bad = [k for k in keys if k not in allowed]
        if bad:
            raise UnknownMetricError(f"`metrics` {', '.join(map(str, bad))}: unknown {self._label} metric name(s); "
                                     f"choose from {', '.join(allowed)}")
        self.metrics = keys

    def reset(self) -> None:
        """Forget every image seen so far."""
        self._scores.clear()

    def add(self, scores) -> None:
        """Keep one image's values computed elsewhere (e.g. in a worker) by the task's per-image function."""
        self._scores.append(scores)

    def __len__(self) -> int:
        return len(self._scores)

    def _aggregate(self) -> tuple[dict, dict, dict]:
        """(value per metric, images excluded per metric, task extras) over ``self._scores``."""
        raise NotImplementedError

    def results(self) -> dict:
        """Each requested metric's value, then the task's extras, ``n_images`` and ``excluded``.

        ``excluded[key]`` counts the images left out of ``key`` (undefined
        there); every requested key has an entry. ValueError when no image was
        scored.
        """
        if not self._scores:
            raise ValueError("no images were scored")
        values, excluded, extra = self._aggregate()
        out = {k: values[k] for k in self.metrics}
        out.update(extra)
        out["n_images"] = len(self._scores)
        out["excluded"] = {k: int(excluded.get(k, 0)) for k in self.metrics}
        return out

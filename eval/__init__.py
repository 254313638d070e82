"""Evaluation: SOD and fixation-prediction metrics, benchmark tables and curves (numpy/OpenCV, no torch).

- :class:`SODMetrics` — MAE, F-measure, S-measure, E-measure, weighted F,
  pixel AUC, numerically identical to PySODMetrics 1.6.2 (``eval.sod``; one
  stated departure: a finite S-measure where PySODMetrics gives NaN).
- :class:`FixationMetrics` — AUC-Judd, AUC-Borji, sAUC, NSS, CC, KLD, SIM, IG
  with the MIT Saliency Benchmark definitions (``eval.fixation``).
- ``eval.metrics`` — the one table of metrics (name, task, direction, family).
- ``eval.accumulator`` — the protocol both accumulators follow (``step``, ``add``, ``results``).
- ``eval.benchmark`` (configs, task and metric resolution) / ``eval.runner`` /
  ``eval.tables`` / ``eval.plots`` — what ``saliency eval`` runs.
"""

from saliency.eval.fixation import FIX_KEYS, FixationMetrics, fixation_image_scores
from saliency.eval.sod import SOD_KEYS, SODMetrics, sod_image_scores

__all__ = ["SODMetrics", "FixationMetrics", "sod_image_scores", "fixation_image_scores", "SOD_KEYS", "FIX_KEYS"]

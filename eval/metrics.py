"""The one table of metrics: name, task, direction and family of every score the toolkit reports.

The benchmark runner, the tables, the per-epoch validation of training and the
HTML report all read directions and families from here, so that a metric is
declared once. Directions follow the references: lower is better for MAE
(PySODMetrics) and KLD (MIT saliency benchmark), higher for every other
metric. A family is the piece of work a metric needs (the F-measure curve
serves Fmax, Fmean and Fadp), so ``--metrics`` subsets skip the rest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One reported score."""

    name: str
    task: str  # "sod" or "fixation"
    lower_is_better: bool
    family: str
    description: str


_ROWS = (
    # SOD: PySODMetrics 1.6.2 (Fan et al. S-measure 2017, E-measure 2018; Margolin et al. wF 2014)
    Metric("MAE", "sod", True, "mae", "mean absolute error"),
    Metric("Fmax", "sod", False, "f", "maximum F-measure over 256 thresholds (beta^2 = 0.3)"),
    Metric("Fmean", "sod", False, "f", "mean F-measure over 256 thresholds"),
    Metric("Fadp", "sod", False, "f", "F-measure at the adaptive threshold (2 x mean)"),
    Metric("Smeasure", "sod", False, "s", "structure measure (alpha = 0.5)"),
    Metric("Emax", "sod", False, "e", "maximum enhanced-alignment measure"),
    Metric("Emean", "sod", False, "e", "mean enhanced-alignment measure"),
    Metric("Eadp", "sod", False, "e", "enhanced-alignment measure at the adaptive threshold"),
    Metric("wF", "sod", False, "wf", "weighted F-measure"),
    Metric("AUC", "sod", False, "auc", "area under the pixel ROC curve"),
    # Fixation prediction: MIT saliency benchmark (Bylinskii et al., TPAMI 2019)
    Metric("AUC_Judd", "fixation", False, "auc_judd", "AUC with every map value as a threshold"),
    Metric("AUC_Borji", "fixation", False, "auc_borji", "AUC with uniform random negatives"),
    Metric("sAUC", "fixation", False, "sauc", "shuffled AUC: negatives are other images' fixations"),
    Metric("NSS", "fixation", False, "nss", "normalized scanpath saliency"),
    Metric("CC", "fixation", False, "cc", "Pearson linear correlation with the human map"),
    Metric("KLD", "fixation", True, "kld", "Kullback-Leibler divergence from the human map"),
    Metric("SIM", "fixation", False, "sim", "histogram intersection with the human map"),
    Metric("IG", "fixation", False, "ig", "information gain over a baseline map (bits per fixation)"),
    # Probabilistic (Kümmerer, Wallis & Bethge, PNAS 2015; eval/probabilistic.py)
    Metric("LL", "fixation", False, "ll", "log-likelihood over a uniform model (bits per fixation)"),
)

METRICS: dict[str, Metric] = {m.name: m for m in _ROWS}
"""Every metric by name, in table order (SOD first, then fixation)."""

TASKS = ("sod", "fixation")

GOLD_STANDARD = "gold standard"
"""The method row of the leave-one-subject-out human consistency (``runner.gold_standard_scores``): a
ceiling shown for reference, never ranked against the models in the tables."""


def keys_for(task: str) -> tuple[str, ...]:
    """The metric names of ``task`` ("sod" or "fixation"), in table order."""
    return tuple(m.name for m in _ROWS if m.task == task)


def lower_is_better(name: str) -> bool:
    """Whether a smaller value of metric ``name`` is better (unknown names: higher is better)."""
    m = METRICS.get(name)
    return bool(m and m.lower_is_better)


def families(names) -> set[str]:
    """The families the metrics ``names`` need."""
    return {METRICS[n].family for n in names}

"""The ground truth every dataset reader returns: one :class:`GTItem` per image, gathered in a :class:`GTDataset`.

SOD mask folders and the published datasets (:mod:`saliency.eval.datasets`),
the fixation folders (:mod:`saliency.eval.fixation_folders`) and OSIE build
them; the runner (:mod:`saliency.eval.runner`) scores predictions against
them. An item is matched to a prediction by its ``key`` (the file stem); a
dataset carries how its IG baseline is chosen, its layout and the notes
printed under its table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CENTER_BIAS_GAUSSIAN = "Gaussian centre bias (sigma = 1/4 of width and height; a density as it is, not min-maxed)"

MAP_ONLY_METRICS = ("CC", "KLD", "SIM")
"""The fixation metrics a dataset of human maps without fixation points can score."""


@dataclass(frozen=True)
class GTItem:
    """One ground-truth image: ``key`` matches a prediction's stem."""

    key: str
    gt: str = ""                       # SOD mask, or fixation map (.png/.jpg/.mat)
    density: str | None = None         # continuous human map (fixation task)
    baseline: str | None = None        # per-image IG baseline (e.g. MIT FIXATIONHISTOGRAM)
    points: tuple | None = None        # SALICON, OSIE: ((row, col), ...) 0-based
    size: tuple | None = None          # SALICON, OSIE: (height, width) of the map
    subjects: tuple | None = None      # OSIE: one ((row, col), ...) per observer (gold standard, count maps)
    sigma_px: float | None = None      # human map built from the points with this blur (OSIE: 24)

    @property
    def fixated(self) -> bool:
        """Whether this image has fixation points (a fixation map or file, or points), not a human map alone."""
        return bool(self.gt) or self.points is not None


@dataclass
class GTDataset:
    """A list of ground-truth items plus how the IG baseline is chosen."""

    name: str
    task: str
    items: list[GTItem]
    baseline: str | None = None        # dataset-wide IG baseline map
    baseline_note: str = CENTER_BIAS_GAUSSIAN
    layout: str = ""
    notes: list = field(default_factory=list)
    baseline_logp: object = None       # dataset-wide IG baseline as a log-density array (OSIE: train centre bias)
    sigma_px: float = 0.0              # blur of the human maps (metric-specific maps for CC, KLD, SIM)
    split: str | None = None           # the documented split this is restricted to, if any
    images_dir: str | None = None      # the stimuli of a dataset read from raw fixations (OSIE: stimuli/)
    blur: tuple | None = None          # (border, truncate) of its human maps' blur when stated (ingest, SALICON)

    @property
    def has_points(self) -> bool:
        """Whether any image has fixation points (else only CC, KLD and SIM can be scored)."""
        return self.fixated_count(1) >= 1

    def fixated_count(self, at_most: int | None = None) -> int:
        """How many images have fixation points (a fixation map or file, or points), counted up to ``at_most``."""
        n = 0
        for it in self.items:
            if it.fixated:
                n += 1
                if at_most is not None and n >= at_most:
                    break
        return n

    @property
    def has_subjects(self) -> bool:
        """Whether the images carry per-observer fixations (the gold standard needs them)."""
        return any(it.subjects for it in self.items)

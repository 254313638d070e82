"""The choices of ``saliency ingest`` and its options record, importable without numpy or pandas.

The command line builds ``saliency ingest --help`` from these (issue 11:
``--help`` must not import the numeric stack); the modules that do the work
import them from here: :mod:`data_tools.ingest` (``IngestOptions``,
``MAP_FORMATS``), :mod:`data_tools.geometry` (``DISPLAY_MODES``). The map
policies' names mirror :mod:`data_tools.maps` (``BORDERS``,
``NORMALIZATIONS``, ``WEIGHTS``; a test keeps the two equal), and the bounds of the detection options
(``DEG_MAX``, ``VELOCITY_MAX``) that the command line and the library refuse alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RATE_RANGE_HZ = (10.0, 5000.0)
"""Plausible sampling rates of an eye tracker: the readers refuse time stamps implying others (a wrong time
unit), and ``saliency synth --rate`` stays inside them, so that its logs always ingest."""

MAP_FORMATS = ("png", "png16", "npy")
DISPLAY_MODES = ("fit", "native", "stretch")
BORDERS = ("constant", "reflect", "nearest")
NORMALIZATIONS = ("minmax", "max", "sum")
WEIGHTS = ("none", "duration")
TIME_UNITS = ("ms", "s", "us", "ns")
EYES = ("average", "left", "right")  # mirrors data_tools.smoothing.EYES (a test keeps the two equal)
DECIMALS = ("point", "comma")  # the decimal mark of a log's numbers (readers.base.ReadOptions.decimal)


DEG_MAX = 180.0
"""The largest angle a detection option takes, in degrees (``merge_deg``, the I-DT dispersion threshold): no two
gaze directions are further apart, so a larger value (``--merge-deg 1e6``) only hid a typo while merging fixations
across every saccade. The command line's parsers (:mod:`saliency.commands._detection_args`) and the options'
validation (:func:`data_tools.ingest.check_detection_numbers`, ingest and detect) refuse the same values."""

VELOCITY_MAX = 1000.0
"""The largest velocity threshold, in deg/s: beyond the fastest human saccades, where ``nh`` treats speed as
noise (its ``max_speed`` default in :func:`data_tools.detection.nh`, a keyword default there, not a constant;
that module imports numpy, which building the parsers must not: a test keeps the two equal). Used as
:data:`DEG_MAX` is."""


PUPIL_MIN_CONFIDENCE = 0.6
"""Pupil Labs fixations below this confidence are quarantined unless ``min_confidence`` says otherwise."""


@dataclass
class IngestOptions:
    """Every choice of an ingest run (recorded in ``dataset.json``)."""

    format: str = "auto"
    columns: dict = field(default_factory=dict)
    time_unit: str | None = None
    decimal: str = "point"  # point | comma (European-locale exports: 500,13)
    trials: str | None = None
    geometry: Any = None  # a data_tools.geometry.ScreenGeometry (not imported here: geometry imports us)
    coords: str = "auto"  # auto | screen | stimulus
    detector: str = "nh"  # nh | ivt | idt | tobii-ivt | tracker (detectors.DEFAULT_DETECTOR)
    velocity_threshold: float | None = None  # None: the detector's default (detectors.DEFAULTS)
    dispersion_threshold: float | None = None
    min_duration_ms: float | None = None  # None: the detector's default; fixation lists unfiltered
    stimulus: str | None = None  # one stimulus name for every row of the inputs
    max_gap_ms: float | None = None  # detector post-processing; None: the detector's default
    merge_ms: float | None = None
    merge_deg: float | None = None
    smooth_ms: float | None = None
    eye: str = "average"  # binocular samples: average | left | right (readers.base.ReadOptions.eye)
    min_confidence: float | None = None  # None: the Pupil reader's default (PUPIL_MIN_CONFIDENCE)
    sigma_deg: float | None = 1.0
    sigma_px: float | None = None
    border: str = "constant"
    binary: bool = False
    weight: str = "none"
    per_subject: bool = False
    drop_first: bool = False
    normalize: str = "minmax"
    map_format: str = "png"
    workers: int = 1
    qc_min_valid_share: float = 0.7
    qc_min_fixations: int = 2
    qc_max_off_share: float = 0.25
    ioc: bool = True
    chunk_rows: int = 500_000
    progress: bool = False



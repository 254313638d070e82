"""nh below 200 Hz says so (review 22, detection across sampling rates).

Nystrom & Holmqvist (2010) designed nh for high-speed trackers; on a synthetic
study its share of true fixation onsets found within 20 ms fell to 30 % at
120 Hz and 10 % at 60 Hz (tobii-ivt 93 % and 79 %), with nothing said. Now
``saliency detect`` and ``saliency ingest`` print one warning line per input
and record it (detection.json / dataset.json ``warnings``). Oracle: the
sentence of :func:`saliency.data_tools.detectors.rate_warning` for a 60 Hz
file, and no warning for another detector or a 500 Hz file.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from saliency.cli import main
from saliency.data_tools.detectors import rate_warning
from tests.ingest_fakes import grey_stimuli

GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65"]


def _log(path, rate_hz: float):
    """Two 1 s fixations (x 700 and 1200) joined by a 50 ms saccade, at ``rate_hz``."""
    t = np.arange(0.0, 2050.0, 1000.0 / rate_hz)
    x = np.where(t < 1000, 700.0, np.where(t >= 1050, 1200.0, 700.0 + 500.0 * (t - 1000) / 50))
    pd.DataFrame({"subject": "p1", "stimulus": "img1", "time_ms": t, "x": x, "y": 540.0, "valid": 1}) \
        .to_csv(path, index=False)
    return path


def test_detect_warns_of_nh_at_60_hz_and_not_of_ivt_or_500_hz(tmp_path, capsys):
    low, high = _log(tmp_path / "low.csv", 60.0), _log(tmp_path / "high.csv", 500.0)
    want = f"{low}: {rate_warning('nh', 60.0)}"
    assert rate_warning("nh", 60.0).startswith("the nh detector (Nystrom & Holmqvist 2010) was designed for "
                                               "trackers of 200 Hz and more, and these samples are 60 Hz")
    assert main(["detect", str(low), str(high), "--out", str(tmp_path / "a"), "--quiet", *GEOM]) == 0
    err = capsys.readouterr().err
    assert err == f"saliency detect: warning: {want}\n"
    assert json.loads((tmp_path / "a" / "detection.json").read_text())["warnings"] == [want]
    assert main(["detect", str(low), "--out", str(tmp_path / "b"), "--quiet", "--detector", "ivt", *GEOM]) == 0
    assert capsys.readouterr().err == ""
    assert json.loads((tmp_path / "b" / "detection.json").read_text())["warnings"] == []


def test_ingest_records_the_warning_in_dataset_json(tmp_path, capsys):
    low = _log(tmp_path / "low.csv", 60.0)
    grey_stimuli(tmp_path, ("img1",), (1920, 1080))
    assert main(["ingest", str(low), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--no-ioc",
                 "--quiet", "--sigma-px", "3", *GEOM]) == 0
    warnings = json.loads((tmp_path / "d" / "dataset.json").read_text())["warnings"]
    assert f"{low}: {rate_warning('nh', 60.0)}" in warnings


def test_a_200_hz_tracker_with_clock_jitter_is_not_warned():
    """Regression review: a clock ticking every 5.001 ms (199.96 Hz) was warned as 'these samples are 200 Hz'."""
    assert rate_warning("nh", 1000.0 / 5.001) is None
    assert rate_warning("nh", 195.0) is not None and "these samples are 195 Hz" in rate_warning("nh", 195.0)

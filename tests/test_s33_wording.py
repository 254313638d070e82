"""Review s33 wording: ingest names a format as detect does, and its Python API refuses thresholds <= 0 by field.

Found: ``saliency ingest`` said "a samples file holds only samples" / "a osie
file gives stimulus pixels" (``a {format} file``: no article fits every
format name), where detect says "a file in the FMT format"; and the ingest
Python API (``IngestOptions`` / ``ingest.validate``) let a
``velocity_threshold`` or ``dispersion_threshold`` <= 0 (or NaN, inf) through
to the detector, whose message named its own ``threshold``, not the field.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from cli_fakes import refusal, run_cli
from PIL import Image

from saliency.base.errors import UserError
from saliency.data_tools.detectors import DETECTORS
from saliency.data_tools.ingest import IngestOptions, ingest, validate


def _stimuli(tmp_path: Path) -> Path:
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.full((30, 40, 3), 128, np.uint8)).save(stim / "img1.png")
    return stim


# ---------------------------------------------------------------- ingest names a format as detect does

def test_tracker_detector_on_raw_samples_names_the_format_as_detect_does(tmp_path, capsys):
    log = tmp_path / "s.csv"
    log.write_text("subject,stimulus,time_ms,x,y\n" + "".join(f"s1,img1,{4 * i},10,10\n" for i in range(20)))
    line = refusal(*run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--out", tmp_path / "o",
                                     "--quiet", "--detector", "tracker", "--sigma-px", "1"]))
    # before: "... but a samples file holds only samples; ..."
    assert line == (f"saliency ingest: error: {log}: --detector tracker needs fixation events, but a file in the "
                    f"samples format holds only samples; use --detector {' or '.join(DETECTORS)}")
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- the API refuses thresholds <= 0 by field

@pytest.mark.parametrize("field, detector", [("velocity_threshold", "ivt"), ("velocity_threshold", "tobii-ivt"),
                                             ("dispersion_threshold", "idt")])
@pytest.mark.parametrize("value", [-5.0, 0.0, math.nan, math.inf])
def test_api_threshold_not_above_zero_is_refused_naming_the_field(field, detector, value):
    opts = IngestOptions(detector=detector, **{field: value})
    with pytest.raises(UserError) as e:  # before: accepted
        validate(opts)
    assert e.value.args[0] == f"`{field}` {value}: must be a finite number > 0"  # the field, as API messages name it


def test_api_ingest_refuses_a_negative_threshold_before_reading(tmp_path):
    log = tmp_path / "s.csv"
    log.write_text("subject,stimulus,time_ms,x,y\n" + "".join(f"s1,img1,{4 * i},10,10\n" for i in range(20)))
    with pytest.raises(UserError) as e:  # before: the detector's "`threshold` -5.0 ..." (or a later refusal)
        ingest(log, _stimuli(tmp_path), tmp_path / "o", IngestOptions(detector="ivt", velocity_threshold=-5.0))
    assert e.value.args[0] == "`velocity_threshold` -5.0: must be a finite number > 0"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("field, detector, value", [("velocity_threshold", "ivt", 30.0),
                                                    ("dispersion_threshold", "idt", 0.5)])
def test_api_positive_threshold_still_passes_validation(field, detector, value):
    validate(IngestOptions(detector=detector, **{field: value}))


@pytest.mark.parametrize("field, detector", [("velocity_threshold", "ivt"), ("dispersion_threshold", "idt")])
@pytest.mark.parametrize("value, shown", [("30", "'30'"), (True, "True"), ([30.0], "[30.0]")])
def test_api_threshold_that_is_not_a_number_is_refused_naming_the_field(field, detector, value, shown):
    """A threshold given as text (a config read as strings), a bool or a list: before, numpy's TypeError
    "ufunc 'isfinite' not supported for the input types" (a str) or True read as 1 deg/s (a bool)."""
    with pytest.raises(UserError) as e:
        validate(IngestOptions(detector=detector, **{field: value}))
    assert e.value.args[0] == f"`{field}` {shown}: must be a finite number > 0"

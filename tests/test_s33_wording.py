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


# ---------------------------------------------------------------- review s33 RR6/E2: detection options by own name

def _geometry():
    from saliency.data_tools.geometry import ScreenGeometry
    return ScreenGeometry((800, 600), (40.0, 30.0), 60.0)


def _ingest_refusal(**kw) -> str:
    with pytest.raises(UserError) as e:
        validate(IngestOptions(geometry=_geometry(), **kw))
    return e.value.args[0]


def _detect_refusal(**kw) -> str:
    from saliency.detect import DetectOptions, check_options
    with pytest.raises(UserError) as e:
        check_options(DetectOptions(geometry=_geometry(), **kw))
    return e.value.args[0]


@pytest.mark.parametrize("detector", ["nh", "tobii-ivt"])
@pytest.mark.parametrize("value", [math.nan, math.inf, 0.0, -5.0])
@pytest.mark.parametrize("check", [_ingest_refusal, _detect_refusal])
def test_smooth_ms_out_of_range_is_refused_by_its_own_name(check, detector, value):
    """Before: detection's "`window_ms` nan: must be a finite number of at least 0" (tobii-ivt) or "`window_ms` nan:
    must be positive" (nh), naming a parameter neither options class has (0 and inf as well, by classify)."""
    assert check(detector=detector, smooth_ms=value) == f"`smooth_ms` {value}: must be a finite number > 0"


@pytest.mark.parametrize("field", ["max_gap_ms", "merge_ms", "merge_deg"])
@pytest.mark.parametrize("value, shown", [(math.nan, "nan"), (math.inf, "inf"), (-1.0, "-1.0"), ("5", "'5'")])
@pytest.mark.parametrize("check", [_ingest_refusal, _detect_refusal])
def test_post_processing_numbers_refused_by_name_before_reading(check, field, value, shown):
    """inf and '5' passed validation before (classify took inf as "no limit", float('5') as 5); NaN and -1 were
    refused only when a trial reached the detector."""
    assert check(detector="ivt", **{field: value}) == f"`{field}` {shown}: must be a finite number >= 0"


def test_detect_min_duration_refused_by_name_before_reading():
    assert _detect_refusal(detector="ivt", min_duration_ms=math.nan) == \
        "`min_duration_ms` nan: must be a finite number >= 0"
    assert _ingest_refusal(detector="ivt", min_duration_ms="100") == \
        "`min_duration_ms` '100': must be a finite number >= 0"  # before: numpy's isfinite TypeError


@pytest.mark.parametrize("check", [_ingest_refusal, _detect_refusal])
@pytest.mark.parametrize("value", ["20", True])
def test_smooth_ms_not_a_number_to_a_detector_without_a_window(check, value):
    """Before (ingest): ValueError "Unknown format code 'g' for object of type 'str'" from the "not used by" line;
    now named unused first (review s33 RR9 item 2), the value shown as given."""
    line = check(detector="ivt", smooth_ms=value)
    assert line.startswith("`smooth_ms`") and "not used by" in line and line.endswith("leave it out" if
                                                                                      check is _ingest_refusal else
                                                                                      "detector that uses it"), line


@pytest.mark.parametrize("check, field", [(_ingest_refusal, "velocity_threshold"), (_detect_refusal, "threshold")])
def test_api_refuses_the_velocity_the_command_line_refuses(check, field):
    """The CLI's bounds (VELOCITY_MAX 1000 deg/s, DEG_MAX 180) for the API too: before, 5000 deg/s passed."""
    from saliency.data_tools.choices import DEG_MAX, VELOCITY_MAX
    assert (VELOCITY_MAX, DEG_MAX) == (1000.0, 180.0)
    assert check(detector="ivt", **{field: 1000.5}) == f"`{field}` 1000.5: must be at most 1000 deg/s"
    assert check(detector="tobii-ivt", **{field: 5000.0}) == f"`{field}` 5000.0: must be at most 1000 deg/s"
    if field == "threshold":
        assert check(detector="idt", threshold=181.0) == "`threshold` 181.0: must be at most 180 deg"
    else:
        assert check(detector="idt", dispersion_threshold=181.0) == \
            "`dispersion_threshold` 181.0: must be at most 180 deg"
    assert check(detector="ivt", merge_ms=50.0, merge_deg=180.5) == "`merge_deg` 180.5: must be at most 180 deg"


def test_api_bounds_themselves_still_pass():
    from saliency.detect import DetectOptions, check_options
    validate(IngestOptions(detector="ivt", velocity_threshold=1000.0, merge_ms=50.0, merge_deg=180.0))
    validate(IngestOptions(detector="idt", dispersion_threshold=180.0))
    check_options(DetectOptions(detector="idt", threshold=180.0))
    check_options(DetectOptions(detector="ivt", threshold=1000.0, merge_ms=50.0, merge_deg=180.0))


@pytest.mark.parametrize("argv, line", [
    (["--velocity-threshold", "1000.5"], "argument --velocity-threshold: '1000.5': must be above 0 and at most "
                                         "1000 deg/s"),
    (["--merge-ms", "50", "--merge-deg", "181"],
     "argument --merge-deg: '181': must be at least 0 and at most 180 deg")])
def test_command_line_message_unchanged(tmp_path, capsys, argv, line):
    rc, so, err = run_cli(capsys, ["detect", tmp_path / "none.csv", "--screen-px", "800x600", "--out", tmp_path / "o",
                                   "--detector", "ivt", *argv])
    assert line in refusal(rc, so, err)


# ---------------------------------------------------------------- the nh --min-duration warning: once for the run

def _split_study(tmp_path: Path) -> list[Path]:
    """Three inputs (s1 with 2 trials, s2 and s3 with 1): 400 ms at x 300, a 20 ms sweep to 500, 400 ms there,
    500 Hz, with a little noise for nh's adaptive threshold."""
    rng = np.random.default_rng(0)
    x = np.r_[np.full(200, 300.0), 300 + 20 * np.arange(1, 11), np.full(200, 500.0)]
    paths = []
    for subj, trials in (("s1", 2), ("s2", 1), ("s3", 1)):
        rows = ["subject,stimulus,trial,time_ms,x,y"]
        for tr in range(trials):
            noise = rng.normal(0, 0.3, x.size)
            rows += [f"{subj},img1,{tr},{1000 * (tr + 1) + 2 * i},{v + e:.2f},250"
                     for i, (v, e) in enumerate(zip(x, noise))]
        paths.append(tmp_path / f"{subj}.csv")
        paths[-1].write_text("\n".join(rows) + "\n")
    return paths


MIN_DURATION_150 = ("--min-duration 150: with nh it also sizes the glissade search after each saccade (up to 2 x 150 "
                    "= 300 ms, as Nystrom & Holmqvist's code ties them), so a glissade can take the fixation that "
                    "follows; nh's default is 40 ms")


@pytest.mark.parametrize("cmd", ["detect", "ingest"])
def test_min_duration_warning_said_once_for_every_input(tmp_path, capsys, cmd):
    """Before: one identical line per input (3 here), in stderr and in the record's warnings; the option is its
    one cause, so one line counting the trials (4) and inputs (3)."""
    import json
    paths = _split_study(tmp_path)
    out = tmp_path / "o"
    geo = ["--screen-px", "800x600", "--screen-cm", "40x30", "--distance-cm", "60"]
    stim = ["--stimuli", _stimuli(tmp_path)] if cmd == "ingest" else []
    rc, so, err = run_cli(capsys, [cmd, *paths, *stim, *geo, "--out", out, "--min-duration", "150"])
    assert rc == 0, err
    warned = [ln for ln in err.splitlines() if "glissade search" in ln]
    assert warned == [f"saliency {cmd}: warning: {MIN_DURATION_150} (4 trials in 3 inputs)"]
    record = json.loads((out / ("detection.json" if cmd == "detect" else "dataset.json")).read_text())
    lib = MIN_DURATION_150.replace("--min-duration", "`min_duration_ms`")
    assert [w for w in record["warnings"] if "glissade search" in w] == [f"{lib} (4 trials in 3 inputs)"]
    # one input: its line as before, the first trial named and the others counted
    rc, so, err = run_cli(capsys, [cmd, paths[0], *stim, *geo, "--out", tmp_path / "o1", "--min-duration", "150"])
    assert rc == 0, err
    assert [ln for ln in err.splitlines() if "glissade search" in ln] == [
        f"saliency {cmd}: warning: {paths[0]}: trial (subject 's1', trial '0', stimulus 'img1') and 1 more of its "
        f"trials: {MIN_DURATION_150}"]


def test_an_option_the_detector_does_not_use_is_named_unused_before_its_range():
    """An unused option out of range is refused as not used, not as too large (review s33 RR9 item 2)."""
    from saliency.detect import DetectOptions, check_options

    with pytest.raises(UserError) as e:
        check_options(DetectOptions(detector="nh", threshold=5000.0))
    assert str(e.value).startswith("threshold: not used by the nh detector"), str(e.value)
    with pytest.raises(UserError) as e:
        validate(IngestOptions(detector="idt", velocity_threshold=5000.0))
    assert str(e.value) == "velocity_threshold 5000: not used by detector idt (only by ivt, tobii-ivt); leave it out"
    with pytest.raises(UserError) as e:  # a text value: shown as typed, no format error
        validate(IngestOptions(detector="idt", velocity_threshold="30"))
    assert str(e.value) == "velocity_threshold '30': not used by detector idt (only by ivt, tobii-ivt); leave it out"

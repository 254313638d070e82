"""Upper bounds of the detection angle and velocity options, shared by ``saliency detect`` and ``saliency ingest``
(review 28).

``--merge-deg 1e6`` was accepted and merged fixations across every saccade, and a velocity threshold of 1e12
deg/s was accepted too: only ``--merge-ms`` (1 hour) was bounded. Now an angle (``--merge-deg``, the I-DT
dispersion threshold) above 180 deg and a velocity threshold above 1000 deg/s (where ``nh`` treats speed as
noise) are refused in one line naming the option, the value and the range, exit 2, before anything is written.

Oracles: the values typed and the bounds written out here; fixation counts of a trace built with three still
periods about 11 deg apart (hand-worked: three fixations, merged into one by any merge angle above that).
"""

from __future__ import annotations

import inspect
import json

import numpy as np
import pandas as pd
import pytest

from cli_fakes import refusal, run_cli

GEOM = ["--screen-px", "1000x800", "--screen-cm", "40x32", "--distance-cm", "60"]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A log of one 500 Hz trial on a.png (still for 200 ms at x = 200, 500, 800 px; y = 400) and its stimulus."""
    import cv2

    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "a.png"), np.full((800, 1000, 3), 128, np.uint8))
    t = np.arange(300) * 2.0
    x = np.select([t < 200, t < 400], [200.0, 500.0], 800.0)
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time_ms": t, "x": x, "y": 400.0}).to_csv(
        tmp_path / "log.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _argv(command, *extra):
    if command == "detect":
        return ["detect", "log.csv", "--out", "OUT", "--quiet", *GEOM, *extra]
    return ["ingest", "log.csv", "--stimuli", "stim", "--out", "OUT", "--quiet", "--no-ioc", *GEOM, *extra]


@pytest.mark.parametrize("command", ["detect", "ingest"])
@pytest.mark.parametrize("extra, named, bound", [
    (["--merge-ms", "75", "--merge-deg", "1e6"], "argument --merge-deg: '1e6'", "at most 180 deg"),
    (["--merge-ms", "75", "--merge-deg", "180.5"], "argument --merge-deg: '180.5'", "at most 180 deg"),
    (["--detector", "idt", "--dispersion-threshold", "200"], "argument --dispersion-threshold: '200'",
     "above 0 and at most 180 deg"),
    (["--detector", "idt", "--threshold", "181"], "--threshold 181: a dispersion threshold for --detector idt",
     "above 0 and at most 180 deg"),
    (["--detector", "ivt", "--velocity-threshold", "1e12"], "argument --velocity-threshold: '1e12'",
     "above 0 and at most 1000 deg/s"),
    (["--detector", "ivt", "--threshold", "1e12"], "--threshold 1e+12: a velocity threshold for --detector ivt",
     "above 0 and at most 1000 deg/s"),
    (["--detector", "tobii-ivt", "--threshold", "1000.5"],
     "--threshold 1000.5: a velocity threshold for --detector tobii-ivt", "above 0 and at most 1000 deg/s"),
])
def test_an_angle_above_180_or_a_velocity_above_1000_is_refused(tree, capsys, command, extra, named, bound):
    line = refusal(*run_cli(capsys, _argv(command, *extra)))
    assert line.startswith(f"saliency {command}: error: ") and named in line and bound in line, line
    assert not (tree / "OUT").exists()


def test_the_largest_merge_angle_is_taken_and_merges_across_the_saccades(tree, capsys):
    """180 deg is allowed (the bound is inclusive): the three fixations ~11 deg apart become one; 0.5 keeps 3."""
    counts = {}
    for deg in ("0.5", "180"):
        rc, _, err = run_cli(capsys, ["detect", "log.csv", "--out", f"D{deg}", "--quiet", *GEOM, "--detector",
                                      "ivt", "--merge-ms", "75", "--merge-deg", deg])
        assert rc == 0, err
        counts[deg] = json.loads((tree / f"D{deg}" / "detection.json").read_text())["counts"]["fixations"]
    assert counts == {"0.5": 3, "180": 1}


@pytest.mark.parametrize("command", ["detect", "ingest"])
@pytest.mark.parametrize("extra", [["--detector", "ivt", "--threshold", "1000"],
                                   ["--detector", "tobii-ivt", "--velocity-threshold", "1000"],
                                   ["--detector", "idt", "--threshold", "180"],
                                   ["--detector", "idt", "--dispersion-threshold", "180"]])
def test_the_bounds_themselves_are_taken(tree, capsys, command, extra):
    rc, _, err = run_cli(capsys, _argv(command, *extra))
    assert rc == 0, err


def test_the_velocity_bound_is_the_speed_nh_treats_as_noise():
    from saliency.data_tools.choices import DEG_MAX, VELOCITY_MAX
    from saliency.data_tools.detection import nh

    assert VELOCITY_MAX == inspect.signature(nh).parameters["max_speed"].default == 1000.0
    assert DEG_MAX == 180.0


@pytest.mark.parametrize("command", ["detect", "ingest"])
def test_the_help_states_the_bounds(capsys, command):
    rc, out, _ = run_cli(capsys, [command, "--help"])
    text = " ".join(out.split())
    assert rc == 0
    assert "dispersion threshold in deg, above 0 and at most 180" in text
    assert "velocity threshold in deg/s, above 0 and at most 1000" in text
    assert "others 0 = off; at most 180)" in text

"""detection.json is strict JSON: a trial without valid gaze has no thresholds, written null, never a bare NaN.

Oracle: Python's json parser told to refuse the non-standard constants NaN/Infinity (as jq and JSON.parse do),
and the hand-made input: 50 samples of one trial, none with gaze.
"""

from __future__ import annotations

import json

from cli_fakes import run_cli

from saliency.base.fsutil import json_text

GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65"]


def _strict(text: str):
    def refuse(c):
        raise AssertionError(f"not JSON: {c}")
    return json.loads(text, parse_constant=refuse)


def test_a_trial_without_gaze_writes_null_thresholds(tmp_path, capsys):
    log = tmp_path / "allmiss.csv"
    log.write_text("time,x,y\n" + "".join(f"{1000 + 2 * i},,\n" for i in range(50)))
    code, _, err = run_cli(capsys, ["detect", str(log), *GEOM, "--out", str(tmp_path / "x"), "--quiet"])
    assert code == 0, err
    doc = _strict((tmp_path / "x" / "detection.json").read_text())
    trials = [v for v in _walk(doc) if isinstance(v, dict) and "peak_threshold" in v]
    assert trials and all(t["peak_threshold"] is None and t["onset_threshold"] is None for t in trials)


def _walk(obj):
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def test_json_text_writes_non_finite_numbers_as_null():
    got = _strict(json_text({"a": float("nan"), "b": [1.5, float("inf"), (float("-inf"), 2)], "c": "NaN"}))
    assert got == {"a": None, "b": [1.5, None, [None, 2]], "c": "NaN"}

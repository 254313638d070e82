"""Tests of the synthetic study generator (data_tools.synth, scenes, observers).

Oracles: the generator's documented parameters (rate, probabilities, display
geometry) and closed forms (binomial spread of a share, the fit placement of
a 640x480 stimulus on a 1920x1080 screen), never the generator's own earlier
output.
"""

from __future__ import annotations

import hashlib
import json
import math

import cv2
import numpy as np
import pandas as pd
import pytest

from saliency.data_tools.geometry import ScreenGeometry
from saliency.data_tools.observers import ObserverModel
from saliency.data_tools.synth import SynthConfig, generate


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    cfg = SynthConfig(scenes=12, subjects=6, width=320, height=240, seed=3)
    generate(out, cfg, workers=1, progress=False)
    return out, cfg


def test_same_seed_identical_files_any_workers(tmp_path):
    cfg = SynthConfig(scenes=4, subjects=2, width=160, height=120, seed=1)
    generate(tmp_path / "a", cfg, workers=1, progress=False)
    generate(tmp_path / "b", cfg, workers=2, progress=False)
    generate(tmp_path / "c", SynthConfig(scenes=4, subjects=2, width=160, height=120, seed=2), workers=1,
             progress=False)
    a, b, c = (_digest(tmp_path / k) for k in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert a["logs/samples.csv"] != c["logs/samples.csv"]
    assert a["stimuli/s0001.png"] != c["stimuli/s0001.png"]


def test_layout_and_screen_json(study):
    out, cfg = study
    for sub in ("stimuli", "masks"):
        assert sorted(p.name for p in (out / sub).iterdir()) == [f"s{i:04d}.png" for i in range(1, 13)]
    screen = json.loads((out / "screen.json").read_text())
    assert screen["screen_px"] == [1920, 1080] and screen["display"] == "fit"
    assert screen["sampling_rate_hz"] == 500
    # MIT computeDegVisAngle: ppd = res / size * d * tan(1 deg)
    expect = 0.5 * (1920 / 53.1 + 1080 / 29.9) * 65 * math.tan(math.radians(1))
    assert screen["ppd"] == pytest.approx(expect, abs=1e-3)
    study_json = json.loads((out / "study.json").read_text())
    assert study_json["seed"] == 3 and study_json["observer"]["p_object"] == 0.7


def test_masks_binary_and_cover_every_object(study):
    out, _ = study
    objects = pd.read_csv(out / "truth" / "objects.csv")
    assert objects.groupby("stimulus").size().between(1, 3).all()
    for sid, objs in objects.groupby("stimulus"):
        mask = cv2.imread(str(out / "masks" / f"{sid}.png"), cv2.IMREAD_UNCHANGED)
        img = cv2.imread(str(out / "stimuli" / f"{sid}.png"))
        assert mask.dtype == np.uint8 and mask.shape == img.shape[:2] == (240, 320)
        assert set(np.unique(mask)) <= {0, 255}
        assert (objs["area_px"] > 0).all()
        assert (mask == 255).sum() == objs["area_px"].sum()  # the mask is the union of the visible objects
        for o in objs.itertuples():
            # every shape contains its own centre; an occluder there is an object too
            assert mask[int(round(o.cy)), int(round(o.cx))] == 255, (sid, o.object)
        # objects are saturated, the background muted: the mask is where colour stands out
        sat = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 1].astype(float)
        assert sat[mask == 255].mean() > sat[mask == 0].mean() + 60


def test_samples_at_announced_rate(study):
    out, cfg = study
    s = pd.read_csv(out / "logs" / "samples.csv")
    assert list(s.columns) == ["subject", "stimulus", "time_ms", "x", "y", "valid"]
    per_trial = s.groupby(["subject", "stimulus"])
    assert per_trial.size().eq(int(cfg.observer.viewing_ms * cfg.rate_hz / 1000)).all()
    steps = per_trial["time_ms"].diff().dropna()
    np.testing.assert_allclose(steps, 1000.0 / cfg.rate_hz, atol=1e-3)
    # missing samples (blinks) are empty cells with valid == 0, and only those
    assert (s["x"].isna() == (s["valid"] == 0)).all()
    assert 0.9 < s["valid"].mean() < 1.0
    # a few valid samples fall off the screen (tracker glitches)
    off = (s["valid"] == 1) & ((s["x"] < 0) | (s["x"] >= 1920) | (s["y"] < 0) | (s["y"] >= 1080))
    assert 0 < off.sum() < 0.01 * len(s)


def test_first_fixation_at_screen_centre_and_durations(study):
    out, cfg = study
    truth = pd.read_csv(out / "truth" / "fixations.csv")
    first = truth[truth["index"] == 1]
    assert (first["target"] == "start").all()
    ppd_stim = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0).ppd / (1080 / 240)
    d = np.hypot(first["x"] - (320 - 1) / 2, first["y"] - (240 - 1) / 2) / ppd_stim
    assert (d < 1.5).all()  # 5 sd of the 0.3 deg jitter around the marker
    last = truth.groupby(["subject", "stimulus"])["index"].transform("max") == truth["index"]
    inner = truth[~last]
    assert inner["duration_ms"].between(cfg.observer.dur_min_ms, cfg.observer.dur_max_ms).all()
    assert 200 < inner["duration_ms"].mean() < 320


@pytest.mark.parametrize("p_object", [0.7, 0.3])
def test_share_of_fixations_on_objects(tmp_path, p_object):
    cfg = SynthConfig(scenes=10, subjects=8, width=320, height=240, seed=5,
                      observer=ObserverModel(p_object=p_object))
    generate(tmp_path, cfg, workers=1, progress=False)
    truth = pd.read_csv(tmp_path / "truth" / "fixations.csv")
    later = truth[truth["index"] > 1]
    n = len(later)
    share = (later["target"] == "object").mean()
    assert abs(share - p_object) < 4 * math.sqrt(p_object * (1 - p_object) / n)
    # object-directed fixations land on their object's pixels
    on_mask = []
    for row in later.itertuples():
        mask = cv2.imread(str(tmp_path / "masks" / f"{row.stimulus}.png"), cv2.IMREAD_UNCHANGED)
        on_mask.append(mask[int(round(row.y)), int(round(row.x))] == 255)
    on_mask = np.array(on_mask)
    assert on_mask[(later["target"] == "object").to_numpy()].all()
    assert on_mask.mean() >= share  # the others may land on objects by chance


def test_exports_carry_vendor_columns(study):
    out, cfg = study
    el = pd.read_csv(out / "logs" / "eyelink_fixations.csv", na_values=".")
    assert {"RECORDING_SESSION_LABEL", "TRIAL_INDEX", "CURRENT_FIX_INDEX", "CURRENT_FIX_START", "CURRENT_FIX_END",
            "CURRENT_FIX_DURATION", "CURRENT_FIX_X", "CURRENT_FIX_Y"} <= set(el.columns)
    raw = (out / "logs" / "eyelink_fixations.csv").read_text().splitlines()
    assert any(line.endswith(",.") for line in raw[1:])  # Data Viewer writes '.' for missing values
    assert (el["CURRENT_FIX_END"] >= el["CURRENT_FIX_START"]).all()
    trials = pd.read_csv(out / "logs" / "trials.csv")
    assert list(trials.columns) == ["subject", "trial", "stimulus"]
    assert len(trials) == cfg.scenes * cfg.subjects
    assert set(zip(el["RECORDING_SESSION_LABEL"], el["TRIAL_INDEX"])) <= set(zip(trials["subject"], trials["trial"]))

    tb = pd.read_csv(out / "logs" / "tobii.tsv", sep="\t")
    for col in ("Recording timestamp [μs]", "Participant name", "Recording name", "Presented Media name",
                "Gaze point X [DACS px]", "Gaze point Y [DACS px]", "Validity left", "Validity right",
                "Eye movement type", "Gaze event duration [ms]", "Eye movement type index",
                "Fixation point X [DACS px]", "Fixation point Y [DACS px]"):
        assert col in tb.columns
    assert set(tb["Validity left"]) <= {"Valid", "Invalid"}
    assert set(tb["Eye movement type"]) <= {"Fixation", "Saccade", "EyesNotFound", "Unclassified"}
    s = pd.read_csv(out / "logs" / "samples.csv")
    np.testing.assert_allclose(tb["Recording timestamp [μs]"].to_numpy() / 1000.0, s["time_ms"].to_numpy(), atol=1e-3)
    fix = tb[tb["Eye movement type"] == "Fixation"]
    assert fix["Fixation point X [DACS px]"].notna().all()
    assert tb.loc[tb["Eye movement type"] != "Fixation", "Fixation point X [DACS px]"].isna().all()


def test_tracker_fixations_sit_on_true_fixations(study):
    """EyeLink-reported fixations, mapped back to the stimulus, lie within 1 deg of a true fixation."""
    out, cfg = study
    geom = ScreenGeometry.load(out / "screen.json")
    placement = geom.placement(cfg.width, cfg.height)
    el = pd.read_csv(out / "logs" / "eyelink_fixations.csv", na_values=".")
    trials = pd.read_csv(out / "logs" / "trials.csv")
    el = el.merge(trials, left_on=["RECORDING_SESSION_LABEL", "TRIAL_INDEX"], right_on=["subject", "trial"])
    truth = pd.read_csv(out / "truth" / "fixations.csv")
    xs, ys = placement.screen_to_stimulus(el["CURRENT_FIX_X"].to_numpy(), el["CURRENT_FIX_Y"].to_numpy())
    ppd_stim = geom.ppd / placement.scale[0]
    groups = {k: g for k, g in truth.groupby(["subject", "stimulus"])}
    dist = []
    for x, y, subj, stim in zip(xs, ys, el["subject"], el["stimulus"]):
        g = groups[(subj, stim)]
        dist.append(np.hypot(g["x"] - x, g["y"] - y).min() / ppd_stim)
    assert np.mean(np.array(dist) < 1.0) > 0.97

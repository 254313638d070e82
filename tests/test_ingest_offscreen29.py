"""Ingest follow-up of review R12: a glance off the screen is never bridged into a fixation.

``saliency ingest`` set samples measured off the screen missing (quarantined ``off_screen``) but did not tell the
detector they were measured, so ``--max-gap`` (and tobii-ivt's default 75 ms) filled them in: fixations joined
across a glance off the screen, as ``saliency detect`` never does (it passes ``offscreen``). Ingest's fixations now
equal detect's on the same samples.

Oracles: a hand-worked still gaze with a 30 ms glance off the screen (two fixations, edges from tobii-ivt's
velocity window); ``saliency detect`` run on the same file.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_fakes import run_cli

W, H = 1920, 1080
GEOM = ["--screen-px", f"{W}x{H}", "--screen-cm", "53x30", "--distance-cm", "65"]


def _stimuli(root):
    import cv2

    d = root / "stim"
    if not d.exists():
        d.mkdir()
        cv2.imwrite(str(d / "img0.png"), np.zeros((H, W, 3), np.uint8))  # the screen's size: stimulus px = screen px
    return d


def _ingest(capsys, tmp_path, log, *extra, out="i"):
    rc, o, err = run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--sigma-px", "20", "--no-ioc",
                                  *GEOM, "--out", tmp_path / out, "--quiet", *extra])
    assert rc == 0, err
    return pd.read_csv(tmp_path / out / "fixations.csv"), json.loads((tmp_path / out / "dataset.json").read_text())


def _detect(capsys, tmp_path, log, *extra, out="d"):
    rc, o, err = run_cli(capsys, ["detect", log, *GEOM, "--out", tmp_path / out, "--quiet", *extra])
    assert rc == 0, err
    return pd.read_csv(tmp_path / out / "fixations.csv"), json.loads((tmp_path / out / "detection.json").read_text())


def _glance(path):
    """500 Hz, gaze still at (900, 540): 0-398 ms on the screen, 400-428 ms (15 samples) measured at x = -40 (off
    the screen, valid), 430-828 ms back at (900, 540)."""
    t = np.arange(415) * 2.0
    x = np.where((t >= 400) & (t <= 428), -40.0, 900.0)
    rows = [f"p1,img0,{ti:.1f},{xi:.2f},540.00,1" for ti, xi in zip(t, x)]
    path.write_text("subject,stimulus,time_ms,x,y,valid\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_glance_off_the_screen_splits_the_fixation_hand_worked(tmp_path, capsys):
    """tobii-ivt (max_gap 75 ms > the 30 ms glance): two fixations, not one of 0-828 ms.

    Its 20 ms velocity window at 500 Hz is 5 samples each side, so a speed exists 10 ms inside each on-screen
    run: fixation 1 is 10-388 ms (378 ms), fixation 2 is 440-818 ms (378 ms); both at (900, 540)."""
    fix, info = _ingest(capsys, tmp_path, _glance(tmp_path / "glance.csv"), "--detector", "tobii-ivt")
    fix = fix.sort_values("t_start_ms").reset_index(drop=True)
    assert fix["t_start_ms"].tolist() == [10.0, 440.0]
    assert fix["duration_ms"].tolist() == [378.0, 378.0]
    assert np.allclose(fix[["x", "y"]].to_numpy(), [[900, 540], [900, 540]])
    assert info["counts"]["quarantine_by_reason"] == {"off_screen": 15}


def _mixed(path, seed=3):
    """Two subjects x two trials at 500 Hz: still spells at places 3-8 deg apart with small noise, between them
    off-screen glances (valid, x or y past the edge) of 10-60 ms and tracker losses (valid 0) of 10-60 ms, both
    within every --max-gap below, and saccades."""
    rng = np.random.default_rng(seed)
    rows = []
    for subj in ("p1", "p2"):
        for trial in (1, 2):
            t, t0 = 0.0, 10000.0 * trial  # trials apart in time: ingest lists no trial
            for k in range(8):
                cx, cy = rng.uniform(300, W - 300), rng.uniform(200, H - 200)
                for _ in range(int(rng.integers(90, 160))):  # 180-320 ms still
                    rows.append((subj, trial, t0 + t, cx + rng.normal(0, 0.6), cy + rng.normal(0, 0.6), 1))
                    t += 2.0
                kind = ("off", "lost", "off", "lost")[k % 4]
                n = int(rng.integers(5, 30))
                for _ in range(n):
                    if kind == "off":  # measured, past the left or the bottom edge
                        xo, yo = (-55.0, cy) if k % 2 else (cx, H + 30.0)
                        rows.append((subj, trial, t0 + t, xo, yo, 1))
                    else:
                        rows.append((subj, trial, t0 + t, np.nan, np.nan, 0))
                    t += 2.0
                if k % 3 == 2:  # a saccade on the screen to the next place
                    for j in range(12):
                        rows.append((subj, trial, t0 + t, cx + 30.0 * j, cy, 1))
                        t += 2.0
    lines = ["subject,stimulus,trial,time_ms,x,y,valid"]
    lines += [f"{s},img0,{tr},{ti:.1f},{'' if np.isnan(x) else f'{x:.2f}'},{'' if np.isnan(y) else f'{y:.2f}'},{v}"
              for s, tr, ti, x, y, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("extra", [("--detector", "tobii-ivt"), ("--detector", "idt", "--max-gap", "200"),
                                   ("--detector", "ivt", "--max-gap", "100"), ("--detector", "nh", "--max-gap", "80")],
                         ids=["tobii-ivt", "idt", "ivt", "nh"])
def test_ingest_fixations_equal_detects_across_off_screen_glances(tmp_path, capsys, extra):
    log = _mixed(tmp_path / "mixed.csv")
    d, _ = _detect(capsys, tmp_path, log, *extra)
    i, _ = _ingest(capsys, tmp_path, log, *extra)
    d = d.sort_values(["subject", "trial", "onset_ms"]).reset_index(drop=True)
    i = i.sort_values(["subject", "t_start_ms"]).reset_index(drop=True)
    assert len(d) > 20
    assert len(i) == len(d), (len(i), len(d))
    assert i["subject"].tolist() == d["subject"].tolist()
    assert np.allclose(i["t_start_ms"], d["onset_ms"]) and np.allclose(i["duration_ms"], d["duration_ms"])
    assert np.allclose(i["x"], d["x"]) and np.allclose(i["y"], d["y"])


@pytest.mark.parametrize("workers", [1, 2])
def test_off_screen_mask_travels_with_a_trial_split_across_chunks(tmp_path, capsys, workers):
    """Read 97 rows at a time (a trial carried from chunk to chunk), in a pool or not: the same fixations as
    ``saliency detect`` (tobii-ivt, whose 75 ms default would bridge every glance of the file)."""
    from saliency.data_tools import ingest as ing
    from saliency.data_tools.geometry import ScreenGeometry

    log = _mixed(tmp_path / "mixed.csv", seed=4)
    d, _ = _detect(capsys, tmp_path, log, "--detector", "tobii-ivt")
    g = ScreenGeometry(screen_px=(W, H), screen_cm=(53.0, 30.0), distance_cm=65.0)
    ing.ingest([log], _stimuli(tmp_path), tmp_path / "c", ing.IngestOptions(
        geometry=g, detector="tobii-ivt", sigma_px=20.0, ioc=False, progress=False, chunk_rows=97, workers=workers))
    i = pd.read_csv(tmp_path / "c" / "fixations.csv").sort_values(["subject", "t_start_ms"]).reset_index(drop=True)
    d = d.sort_values(["subject", "trial", "onset_ms"]).reset_index(drop=True)
    assert len(i) == len(d) > 20
    assert np.allclose(i["t_start_ms"], d["onset_ms"]) and np.allclose(i["duration_ms"], d["duration_ms"])
@pytest.mark.parametrize("extra, expect", [
    (("--detector", "tobii-ivt"), {"velocity_threshold": 30.0, "dispersion_threshold": None, "max_gap_ms": 75.0,
                                   "merge_ms": 75.0, "merge_deg": 0.5, "smooth_ms": 20.0}),
    (("--detector", "idt", "--max-gap", "200"), {"velocity_threshold": None, "dispersion_threshold": 1.0,
                                                 "max_gap_ms": 200.0, "merge_ms": 0.0, "merge_deg": 0.0,
                                                 "smooth_ms": None}),
    (("--detector", "nh", "--merge-ms", "50", "--merge-deg", "1"),
     {"velocity_threshold": "per-trial", "dispersion_threshold": None, "max_gap_ms": 0.0, "merge_ms": 50.0,
      "merge_deg": 1.0, "smooth_ms": 6.0}),
], ids=["tobii-ivt", "idt", "nh"])
def test_policies_record_the_detection_values_applied(tmp_path, capsys, extra, expect):
    log = _glance(tmp_path / "glance.csv")
    _, info = _ingest(capsys, tmp_path, log, *extra)
    pol = info["policies"]
    assert {k: pol[k] for k in expect} == expect
    _, dj = _detect(capsys, tmp_path, log, *extra)  # the same values as detect's trial params (None: left out)
    p = dj["trials"][0]["params"]
    thr = pol["dispersion_threshold"] if extra[1] == "idt" else pol["velocity_threshold"]
    assert (p.get("threshold"), p["max_gap_ms"], p["merge_ms"], p["merge_deg"]) == \
        (None if thr == "per-trial" else thr, pol["max_gap_ms"], pol["merge_ms"], pol["merge_deg"])
    assert p.get("window_ms") == (pol["smooth_ms"] if extra[1] != "idt" else None)


def test_policies_record_no_detection_values_for_fixation_lists(tmp_path, capsys):
    """A fixation list is taken as given: no detector option acted, all null as before."""
    log = tmp_path / "fix.csv"
    log.write_text("subject,stimulus,x,y,duration_ms\np1,img0,900,540,200\np1,img0,300,300,250\n", encoding="utf-8")
    _, info = _ingest(capsys, tmp_path, log)
    pol = info["policies"]
    assert [pol[k] for k in ("velocity_threshold", "dispersion_threshold", "max_gap_ms", "merge_ms", "merge_deg",
                             "smooth_ms")] == [None] * 6



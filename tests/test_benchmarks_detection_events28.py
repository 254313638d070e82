"""Review 28 (F14): benchmarks/detection.py took a detector's fixations as runs of fixation samples in its labels,
so two fixations back to back (I-DT starts the next one on the sample after the last one ended) were one event:
`idt` had 260 fixations on the Lund trials but 165 were counted. A detector's events are now its own (our
fixation tables, pymovements' event frame); the coder's stay runs of their labels.

Oracle, worked by hand: gaze still at A for 400 ms, then in one sample at B, still for 400 ms. I-DT (1 deg, 100 ms)
grows its window at A until B's first sample breaks the dispersion, ends the fixation on the sample before and
starts the next window on B's first sample: two fixations, no sample between them, onsets 0 and 400 ms.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io as sio

from tests.bench_fakes import load

pytest.importorskip("pymovements")


def _trial(path, labels, seed):
    """A ``lund2013_dev``-like file: 500 Hz, 1024x768 px on 38 x 30 cm at 67 cm; A=(300, 384) then B=(700, 384)."""
    n = len(labels)
    rng = np.random.default_rng(seed)
    x = np.where(np.arange(n) < n // 2, 300.0, 700.0) + rng.normal(0, 0.3, n)  # 0.3 px: well inside 1 deg (31 px)
    y = 384.0 + rng.normal(0, 0.3, n)
    pos = np.zeros((n, 6))
    pos[:, 0] = 1e6 + np.arange(n) * 2000.0  # microseconds, 2 ms apart
    pos[:, 3], pos[:, 4], pos[:, 5] = x, y, labels
    e = {"pos": pos, "sampFreq": 500.0, "screenRes": np.array([1024.0, 768.0]),
         "screenDim": np.array([0.38, 0.30]), "viewDist": 0.67}
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.savemat(str(path), {"ETdata": e})


def test_lund_counts_two_touching_idt_fixations_as_two_events(tmp_path):
    # the coder: fixation 0-396 ms, a 4-sample saccade, fixation from 404 ms (onsets 0 and 404 ms)
    coder = np.ones(400, dtype=np.int64)
    coder[198:202] = 2
    for k, name in enumerate(("TH38_img_Europe", "TH46_img_Rome")):  # one tuned-on trial, one held out
        _trial(tmp_path / "images" / f"{name}_labelled_RA.mat", coder, k)
    _trial(tmp_path / "video" / "TT02_video_test_labelled_RA.mat", coder, 2)  # the coder-vs-coder pair
    _trial(tmp_path / "video" / "TT02_video_test_labelled_MN.mat", coder, 2)
    rows = load("detection", "bench_f14").lund_benchmark(str(tmp_path))
    for m in ("idt", "pymovements idt"):
        # per trial two detected (0 and 400 ms), two coded (0 and 404 ms), both matched within 20 ms: F1 1
        # (the old count: one run of labels, 1 detected per trial, F1 2*1/(2+1) = 0.667)
        got = {k: (rows[m][k]["n_fix"], rows[m][k]["n_fix_coder"], rows[m][k]["f1_fix"]) for k in
               ("all", "tuned", "held_out")}
        assert got == {"all": (4, 4, 1.0), "tuned": (2, 2, 1.0), "held_out": (2, 2, 1.0)}, (m, got)
    # the coder's events are runs of their labels: two, 4 samples apart
    assert rows["coder MN vs RA (dots, video)"]["all"]["n_fix_coder"] == 2


def test_synthetic_pymovements_idt_fixations_are_its_events(tmp_path):
    study = tmp_path / "study"
    (study / "logs").mkdir(parents=True)
    (study / "screen.json").write_text(json.dumps({"screen_px": [1440, 1080], "screen_cm": [53.0, 30.0],
                                                   "distance_cm": 70.0, "display": "fit"}))
    # a 640x480 stimulus fit to 1440x1080: scale 2.25; stimulus (200, 240) is screen (200.5*2.25-0.5, ...)
    n = 200  # 500 Hz: 100 samples (200 ms) at A, then 100 at B
    sx = np.where(np.arange(n) < n // 2, 200.5 * 2.25 - 0.5, 400.5 * 2.25 - 0.5)
    lines = ["subject,stimulus,time_ms,x,y,valid"] + [f"s1,im1,{2.0 * i},{sx[i]},{240.5 * 2.25 - 0.5},1"
                                                      for i in range(n)]
    (study / "logs" / "samples.csv").write_text("\n".join(lines) + "\n")
    det = load("detection", "bench_f14b").pymovements_fixations(study, "idt")
    # pymovements 0.28's I-DT (events/detection/idt.py) grows the window until the dispersion is reached and
    # reports it up to win_end - 1, B's first sample included: event 1 is samples 0-100, and the next window
    # starts on sample 101: event 2 is 101-199. As labels that is one run 0-199 (the old count: one fixation)
    assert len(det) == 2, det
    assert det["t_start_ms"].tolist() == [0.0, 202.0]
    assert det["duration_ms"].tolist() == [200.0, 196.0]
    # positions: each event's sample mean; event 1 holds 100 samples at A and one at B
    assert np.allclose(det["x"], [(100 * 200.0 + 400.0) / 101, 400.0]) and np.allclose(det["y"], [240.0, 240.0])

"""``saliency detect --eye``: the same reader choice as ingest (issue 12, deliverable 1), end to end.

Oracle: a hand-written binocular EyeLink ASC whose left and right eyes fixate
two places 200 px apart in x; the fixation centroid in ``fixations.csv`` must
be each eye's own position (left, right) or their mean (average).
"""

from __future__ import annotations

import pandas as pd
import pytest

from saliency.cli import main


def _asc(path, n=300):
    lines = ["** CONVERTED FROM sub01.edf using edf2asc", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00",
             "MSG\t1000 TRIALID 1", "MSG\t1000 !V IMGLOAD FILL img1.png",
             "START\t1000 \tLEFT\tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRIGHT\tRATE\t 500.00"]
    for i in range(n):  # 600 ms of steady gaze: the left eye at (800, 500), the right at (1000, 500)
        lines.append(f"{1000 + 2 * i}\t800.0\t500.0\t900.0\t1000.0\t500.0\t900.0\t.....")
    lines.append("MSG\t1700 TRIAL_RESULT 0")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("eye,x", [("average", 900.0), ("left", 800.0), ("right", 1000.0)])
def test_detect_uses_the_chosen_eye(tmp_path, capsys, eye, x):
    log = _asc(tmp_path / "sub01.asc")
    out = tmp_path / f"ev_{eye}"
    rc = main(["detect", str(log), "--screen-px", "1920x1080", "--screen-cm", "52.7x29.6", "--distance-cm", "60",
               "--eye", eye, "--out", str(out), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    fix = pd.read_csv(out / "fixations.csv")
    assert len(fix) == 1
    assert fix["x"].iloc[0] == pytest.approx(x, abs=1e-6) and fix["y"].iloc[0] == pytest.approx(500.0, abs=1e-6)


def test_detect_refuses_an_eye_the_format_does_not_separate(tmp_path, capsys):
    log = tmp_path / "s.csv"
    log.write_text("time_ms,x,y\n" + "".join(f"{2 * i},10,10\n" for i in range(50)))
    rc = main(["detect", str(log), "--screen-px", "100x100", "--screen-cm", "30x30", "--distance-cm", "60",
               "--eye", "left", "--out", str(tmp_path / "ev"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--eye" in err[0], err
    assert not (tmp_path / "ev").exists()


def test_nh_on_noise_free_gaze_is_one_fixation():
    """A constant position (no noise): the adaptive threshold would converge on rounding errors (~1e-13 deg/s)
    and call every sample a saccade; the 10 deg/s floor keeps it a fixation (hand-worked: no movement at all)."""
    import numpy as np

    from saliency.data_tools import detection

    t = np.arange(300) * 2.0
    for x0 in (3.7, 12.345678, -8.1):
        r = detection.nh(t, np.full(300, x0), np.full(300, 1.25))
        assert not np.any(r.labels == detection.SACCADE) and r.peak_threshold == 10.0

"""QC review 22: the valid share counts unreadable samples; the consistency figure averages per stimulus first.

Each test runs a tiny hand-made table through ``saliency ingest`` and checks
the result against counts worked out here by hand, or scores computed here
with scipy, never against the toolkit's own earlier output:

- a quarantined sample row of a known subject and stimulus (``#N/A`` gaze,
  a time that is no number, a point off the screen) counts in ``qc.csv``
  ``samples`` and not in ``valid_samples``; rows that name no usable
  stimulus are not counted; the row book is unchanged;
- ``dataset.json`` ``inter_observer``: mean over each stimulus' observers,
  then over stimuli, std over the per-stimulus means; the stimuli left out
  (fewer than 2 observers with kept fixations) are counted and named;
- when no stimulus can be scored, ``inter_observer`` is null and a warning
  line says why.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from tests.ingest_fakes import grey_stimuli

GEO = ["--screen-px", "800x600", "--screen-cm", "40x30", "--distance-cm", "60"]


def _stimuli(tmp_path, sizes: dict) -> str:
    """Mid-grey stimuli of the given sizes ({name: (W, H)}) in tmp_path/stim (ingest_fakes.grey_stimuli)."""
    for name, size in sizes.items():
        d = grey_stimuli(tmp_path, (name,), size)
    return str(d)


def _ingest_fixations(tmp_path, capsys, rows, stim):
    """``saliency ingest`` of a stimulus-pixel fixation table (tracker's fixations, sigma 4 px): its dataset.json."""
    log = tmp_path / "fix.csv"
    log.write_text("\n".join([HEADER, *rows]) + "\n")
    out = tmp_path / "d"
    rc = main(["ingest", str(log), "--stimuli", stim, "--out", str(out), "--quiet", "--detector", "tracker",
               "--coords", "stimulus", "--sigma-px", "4"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    return out, cap, json.loads((out / "dataset.json").read_text())


def _samples_table(tmp_path) -> str:
    """p1 on img0: 1500 samples at 500 Hz, of which 600 ``#N/A``, 50 ``-``, 10 off the screen, 5 with time
    ``abc``; p2 on img0: 20 samples, all ``#N/A``; rows that name no usable stimulus; one malformed row."""
    rows = []
    for i in range(1500):
        fx, fy = [(200, 150), (600, 450), (400, 300)][i // 500]  # three 1 s fixations
        t, x, y = str(2 * i), f"{fx + 0.3 * (i % 3):.1f}", f"{fy + 0.2 * (i % 2):.1f}"
        if 100 <= i < 700:
            x = y = "#N/A"  # Excel's missing value: not a missing marker, quarantined non_numeric
        elif 800 <= i < 850:
            x = y = "-"  # a missing marker: kept, invalid
        elif 900 <= i < 910:
            x = "5000"  # off the 800 px screen: quarantined off_screen, invalid
        elif 1000 <= i < 1005:
            t = "abc"  # quarantined bad_time
        rows.append(f"p1,img0,{t},{x},{y}")
    rows += [f"p2,img0,{5000 + 2 * i},#N/A,#N/A" for i in range(20)]  # a trial with no readable sample
    rows += [f"p1,nope,{9000 + 2 * i},400,300" for i in range(3)]  # unknown_stimulus
    rows += [f"p1,nope,{9100 + 2 * i},#N/A,#N/A" for i in range(2)]  # non_numeric, no image: not attributable
    rows += [f"p1,,{9200 + 2 * i},#N/A,#N/A" for i in range(2)]  # non_numeric, no stimulus: not attributable
    rows += ["p1,img0,9300,1,2,3,4"]  # more fields than the header: malformed_row (no subject recorded)
    p = tmp_path / "gap.csv"
    p.write_text("subject,stimulus,time_ms,x,y\n" + "\n".join(rows) + "\n")
    return str(p)


def test_unreadable_samples_count_against_the_valid_share(tmp_path, capsys):
    stim = _stimuli(tmp_path, {"img0": (800, 600)})
    log = _samples_table(tmp_path)
    out = tmp_path / "d"
    rc = main(["ingest", log, "--stimuli", stim, "--out", str(out), "--quiet", *GEO, "--sigma-px", "3",
               "--no-ioc", "--format", "samples"])
    assert rc == 0, capsys.readouterr().err
    qc = pd.read_csv(out / "qc.csv", keep_default_na=False, dtype={"subject": str, "stimulus": str})
    # only pairs of a known subject and image: nothing for "nope" or the rows without a stimulus
    assert sorted(zip(qc["subject"], qc["stimulus"])) == [("p1", "img0"), ("p2", "img0")]
    p1 = qc.set_index("subject").loc["p1"]
    # 1500 samples of the trial; valid: 1500 - 600 #N/A - 50 "-" - 10 off screen - 5 bad time = 835
    assert (p1["samples"], p1["valid_samples"]) == (1500, 835)
    assert p1["valid_share"] == pytest.approx(835 / 1500, abs=5e-5)  # 0.5567, below the 0.8 default
    assert "low_valid_share" in p1["flags"].split(";")
    p2 = qc.set_index("subject").loc["p2"]
    assert (p2["samples"], p2["valid_samples"], p2["fixations"]) == (20, 0, 0)
    assert p2["valid_share"] == 0 and set(p2["flags"].split(";")) == {"low_valid_share", "few_fixations"}
    # the row book and the quarantine are as before: every row kept, quarantined or counted once
    m = json.loads((out / "dataset.json").read_text())
    r = m["inputs"][0]["rows"]
    assert r["read"] == 1500 + 20 + 3 + 2 + 2 + 1
    assert r["quarantined"] == {"non_numeric": 600 + 20 + 2 + 2, "bad_time": 5, "off_screen": 10,
                                "unknown_stimulus": 3, "malformed_row": 1}
    assert r["kept"] == 1500 - 600 - 5 - 10 and "unaccounted" not in r
    q = pd.read_csv(out / "quarantine.csv", keep_default_na=False)
    fix_reasons = sum(m["inputs"][0]["rows"]["fixations"]["quarantined"].values())
    assert len(q) == sum(r["quarantined"].values()) + fix_reasons


def _nss_oracle(stims: dict, fx: pd.DataFrame, sigma: float) -> dict:
    """Per stimulus, the NSS of each subject against the others' map (scipy blur; stimuli under 128 px: the
    scores' grid is the stimulus itself)."""
    from scipy.ndimage import gaussian_filter

    out = {}
    for st, d in fx.groupby("stimulus"):
        w, h = stims[st]
        c = np.clip(np.floor(d["x"].to_numpy() + 0.5), 0, w - 1).astype(int)
        r = np.clip(np.floor(d["y"].to_numpy() + 0.5), 0, h - 1).astype(int)
        subj = d["subject"].to_numpy()
        out[st] = []
        for s in sorted(set(subj)):
            o = subj != s
            F = np.zeros((h, w))
            np.add.at(F, (r[o], c[o]), 1.0)
            M = gaussian_filter(F, sigma, mode="constant", truncate=4.0)
            rr, cc = np.divmod(np.unique(r[~o] * w + c[~o]), w)
            out[st].append(float(((M[rr, cc] - M.mean()) / M.std(ddof=1)).mean()))
    return out


HEADER = "subject,stimulus,x,y,t_start_ms,duration_ms"


def test_consistency_is_averaged_per_stimulus_then_over_stimuli(tmp_path, capsys):
    stims = {"A": (64, 48), "B": (64, 48), "C": (64, 48), "D": (64, 48)}
    stim = _stimuli(tmp_path, stims)
    rows = [  # A: 3 observers close together; B: 2 observers apart; C: 1 observer; D: 2, both off the image
        "s1,A,20,20,0,300", "s1,A,40,30,400,300", "s2,A,22,21,0,300", "s2,A,38,28,400,300",
        "s3,A,21,24,0,300", "s3,A,44,33,400,300",
        "s1,B,10,10,0,300", "s1,B,50,40,400,300", "s2,B,30,12,0,300", "s2,B,12,38,400,300",
        "s1,C,30,30,0,300", "s1,C,35,20,400,300",
        "s1,D,500,20,0,300", "s2,D,20,500,0,300"]
    out, cap, m = _ingest_fixations(tmp_path, capsys, rows, stim)
    io = m["inter_observer"]
    fx = pd.read_csv(out / "fixations.csv", dtype={"subject": str, "stimulus": str})
    per = _nss_oracle(stims, fx[fx["stimulus"].isin(["A", "B"])], 4.0)
    assert [len(per["A"]), len(per["B"])] == [3, 2]
    means = [np.mean(per["A"]), np.mean(per["B"])]
    pooled = np.mean(per["A"] + per["B"])
    assert abs(np.mean(means) - pooled) > 0.05  # the case tells the two aggregations apart
    assert io["nss"]["mean"] == pytest.approx(np.mean(means), abs=2e-6)
    assert io["nss"]["std"] == pytest.approx(np.std(means, ddof=1), abs=2e-6)
    assert (io["nss"]["n"], io["nss"]["stimuli"], io["stimuli_scored"]) == (5, 2, 2)
    assert (io["auc_judd"]["n"], io["auc_judd"]["stimuli"]) == (5, 2)
    assert "per stimulus" in io["aggregation"] and "per-stimulus means" in io["aggregation"]
    # C has one observer, D none with a kept fixation: both left out, counted and named
    assert io["left_out"] == {"stimuli": 2, "first": ["C", "D"],
                              "reason": "fewer than 2 observers with kept fixations"}
    line = next(ln for ln in cap.out.splitlines() if "stimuli left out" in ln)
    assert line.split() == ["stimuli", "left", "out", "2", "(fewer", "than", "2", "observers", "with", "kept",
                            "fixations:", "C,", "D)"]
    assert "(n=5, 2 stimuli)" in cap.out
    assert m["warnings"] == []


def test_no_stimulus_to_score_is_said_not_left_silent(tmp_path, capsys):
    stim = _stimuli(tmp_path, {"A": (64, 48), "B": (64, 48)})
    _, cap, m = _ingest_fixations(tmp_path, capsys, ["s1,A,20,20,0,300", "s1,A,30,25,400,300", "s2,B,10,10,0,300"],
                                  stim)
    log = tmp_path / "fix.csv"
    line = ("inter-observer consistency: no stimulus could be scored: all 2 stimuli have fewer than 2 observers "
            "with kept fixations (A, B); dataset.json inter_observer is null")
    assert m["inter_observer"] is None and m["warnings"] == [line]
    assert cap.err.splitlines() == [f"saliency ingest: warning: {line}"]
    # turned off on purpose (--no-ioc): null, no warning
    rc = main(["ingest", str(log), "--stimuli", stim, "--out", str(tmp_path / "e"), "--quiet", "--detector",
               "tracker", "--coords", "stimulus", "--sigma-px", "4", "--no-ioc"])
    cap = capsys.readouterr()
    assert rc == 0 and cap.err == ""
    m = json.loads((tmp_path / "e" / "dataset.json").read_text())
    assert m["inter_observer"] is None and m["warnings"] == []


def test_report_shows_a_consistency_without_a_spread(tmp_path):
    """Regression: one scored stimulus has no std (null); saliency report refused the whole folder for it."""
    import json

    from saliency.report import study_summary

    d = tmp_path / "dataset.json"
    d.write_text(json.dumps({"inter_observer": {
        "nss": {"mean": 2.5, "std": None, "n": 4, "stimuli": 1},
        "auc_judd": {"mean": None, "std": None, "n": 0, "stimuli": 0}}}))
    rows = dict(study_summary(d))
    assert rows["inter-observer nss (each subject vs the others)"] == "2.500 (n=4, 1 stimuli)"
    assert rows["inter-observer auc_judd (each subject vs the others)"] == "n/a (n=0, 0 stimuli)"

"""Review stop 28 (R17): QC and inter-observer records say what acted and who was left out.

- ``--qc-min-valid`` on fixation lists (no raw samples) was accepted and recorded although ``valid_share`` is empty
  in every qc.csv row, so it could flag nothing: now refused in one line (exit 2, nothing written), as detection
  options are; left at its default, ``qc.thresholds.min_valid_share`` (and its policy) is recorded as null.
- an observer whose every row on a stimulus was quarantined was left out of that stimulus' inter-observer scores
  without a word: ``inter_observer.left_out.observers`` now counts and names such (subject, stimulus) pairs on the
  scored stimuli, and the printed summary says so; the scores themselves are as before.

Hand-worked case: 320x240 stimuli shown on a 1920x1080 screen with ``--display fit``: scaled by 1080 / 240 = 4.5 to
1440x1080, placed at x 240..1680, y 0..1080. In FIX below B's two rows on s0002 fall off it (x 50: left of the
stimulus; x 2000: off the screen), every other subject keeps fixations on both stimuli: 6 pairs with rows, A and C
scored on s0002, A, B and C on s0001: n = 5, and B/s0002 the one observer left out.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from PIL import Image

from cli_fakes import refusal, run_cli
from ingest_fakes import study  # noqa: F401 (a module fixture: a small synthetic study)

FIX = """subject,stimulus,x,y,duration
A,s0001,960,540,200
A,s0001,1000,500,250
A,s0001,100,540,300
A,s0001,1000,1200,300
A,s0002,960,540,200
A,s0002,1200,600,200
B,s0001,900,520,200
B,s0001,950,600,220
B,s0001,1690,540,200
B,s0002,50,50,200
B,s0002,2000,50,200
C,s0001,940,560,180
C,s0001,980,530,240
C,s0002,1000,540,200
C,s0002,1010,545,200
C,s0002,30,545,200
"""
REASON = "rows for the stimulus but no kept fixation on it"


def _stimuli(tmp_path, names=("s0001", "s0002")):
    d = tmp_path / "stim"
    d.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for n in names:
        Image.fromarray(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)).save(d / f"{n}.png")
    return d


def _ingest(capsys, tmp_path, text, *extra, names=("s0001", "s0002")):
    log = tmp_path / "fix.csv"
    log.write_text(text, "utf-8")
    out = tmp_path / "out"
    rc, stdout, err = run_cli(capsys, ["ingest", log, "--screen-px", "1920x1080", "--stimuli",
                                       _stimuli(tmp_path, names), "--sigma-px", "10", "--out", out, "--quiet",
                                       *extra])
    return out, rc, stdout, err


def _manifest(out):
    return json.loads((out / "dataset.json").read_text("utf-8"))


# ------------------------------------------------------------------ --qc-min-valid without raw samples

def test_qc_min_valid_on_fixation_lists_is_refused_and_nothing_written(tmp_path, capsys):
    out, *res = _ingest(capsys, tmp_path, FIX, "--qc-min-valid", "0.95")
    line = refusal(*res)
    assert line.startswith("saliency ingest: error: --qc-min-valid 0.95: not used: no input holds raw samples"), line
    assert line.endswith("leave it out"), line
    assert not out.exists()


def test_default_min_valid_share_is_recorded_null_without_samples(tmp_path, capsys):
    out, rc, _, err = _ingest(capsys, tmp_path, FIX)
    assert rc == 0, err
    qc = pd.read_csv(out / "qc.csv")
    assert len(qc) == 6 and qc["valid_share"].isna().all() and (qc["samples"] == 0).all()
    assert not qc["flags"].fillna("").str.contains("low_valid_share").any()
    m = _manifest(out)
    assert m["qc"]["thresholds"] == {"min_valid_share": None, "min_fixations": 2, "max_off_share": 0.25}
    assert m["policies"]["qc_min_valid_share"] is None


def test_qc_min_valid_with_raw_samples_is_kept_and_flags(study, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "s"
    rc, _, err = run_cli(capsys, ["ingest", study / "logs/samples.csv", "--stimuli", study / "stimuli",
                                  "--geometry", study / "screen.json", "--out", out, "--quiet", "--no-ioc",
                                  "--qc-min-valid", "0.999"])
    assert rc == 0, err
    m = _manifest(out)
    assert m["qc"]["thresholds"]["min_valid_share"] == 0.999 and m["policies"]["qc_min_valid_share"] == 0.999
    qc = pd.read_csv(out / "qc.csv")
    share = qc["valid_samples"] / qc["samples"]  # every pair of raw samples has samples
    low = qc["flags"].fillna("").str.contains("low_valid_share")
    assert (low == (share < 0.999)).all() and low.any()


# ------------------------------------------------------------------ observers left out of the consistency scores

def test_observer_with_every_row_quarantined_is_counted_and_said(tmp_path, capsys):
    out, rc, stdout, err = _ingest(capsys, tmp_path, FIX)
    assert rc == 0, err
    io = _manifest(out)["inter_observer"]
    assert (io["nss"]["n"], io["auc_judd"]["n"], io["stimuli_scored"]) == (5, 5, 2)
    assert io["left_out"] == {"stimuli": 0, "first": [], "reason": "fewer than 2 observers with kept fixations",
                              "observers": {"count": 1, "first": ["B/s0002"], "reason": REASON}}
    line = next(ln for ln in stdout.splitlines() if "observers left out" in ln)
    assert line.split() == ["observers", "left", "out", "1", "(rows", "for", "the", "stimulus", "but", "no", "kept",
                            "fixation", "on", "it:", "B/s0002)"]
    assert "stimuli left out" not in stdout


def test_observers_left_out_only_on_scored_stimuli_and_by_resolved_name(tmp_path, capsys):
    # D: one unreadable row naming s0002 by its file name (quarantined as the log names it); s0003: A kept one
    # fixation, B's one row fell off: one observer, the stimulus is not scored, so B/s0003 is no observer left out
    text = FIX + "D,s0002.png,abc,540,200\nA,s0003,960,540,200\nB,s0003,100,540,200\n"
    out, rc, stdout, err = _ingest(capsys, tmp_path, text, names=("s0001", "s0002", "s0003"))
    assert rc == 0, err
    io = _manifest(out)["inter_observer"]
    assert io["nss"]["n"] == 5 and io["stimuli_scored"] == 2
    assert io["left_out"] == {"stimuli": 1, "first": ["s0003"],
                              "reason": "fewer than 2 observers with kept fixations",
                              "observers": {"count": 2, "first": ["B/s0002", "D/s0002"], "reason": REASON}}
    assert f"observers left out             2  ({REASON}: B/s0002, D/s0002)" in stdout


def test_more_than_five_observers_left_out_are_elided(tmp_path, capsys):
    rows = [f"K{k},s0001,{900 + 10 * k},540,200" for k in range(2)]  # two observers kept: s0001 scored
    rows += [f"Z{k},s0001,100,540,200" for k in range(6)]  # each one row, off the stimulus
    out, rc, stdout, err = _ingest(capsys, tmp_path, "subject,stimulus,x,y,duration\n" + "\n".join(rows) + "\n",
                                   names=("s0001",))
    assert rc == 0, err
    obs = _manifest(out)["inter_observer"]["left_out"]["observers"]
    assert obs == {"count": 6, "first": [f"Z{k}/s0001" for k in range(5)], "reason": REASON}
    assert f"observers left out             6  ({REASON}: Z0/s0001, Z1/s0001, Z2/s0001, Z3/s0001, " \
           "Z4/s0001 ...)" in stdout


def test_qc_min_valid_typed_at_its_default_on_fixation_lists_is_refused_too(tmp_path, capsys):
    """--qc-min-valid 0.7 (the default value, typed) is refused like any other value: the user gave it."""
    out, *res = _ingest(capsys, tmp_path, FIX, "--qc-min-valid", "0.7")
    line = refusal(*res)
    assert line.startswith("saliency ingest: error: --qc-min-valid 0.7: not used: no input holds raw samples"), line
    assert not out.exists()

"""Follow-ups of the blank-subject quarantine and of the one-path ``inputs``.

1. ``input_paths`` takes the caller's parameter name: ``detect_logs`` refuses naming ``logs`` by asking for it,
   not by rewriting ingest's ``inputs`` line after the fact.
2. A row quarantined ``no_subject`` (a blank subject cell) is no observer. Hand-worked: observers A and B each
   keep three fixations on img0 and line 5 has a blank subject cell; img0 has 2 observers (A, B), both with kept
   fixations, so no observer is left out of the consistency scores. Before, the blank cell was counted as the
   observer "" with rows on img0 but no kept fixation: "observers left out 1 (... /img0)". A real observer C whose
   only row is unreadable (bad_coordinates) is still left out: exactly one, C/img0.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_fakes import run_cli
from saliency.base.errors import UserError

W, H = 1920, 1080
REASON = "rows for the stimulus but no kept fixation on it"

# observers A and B, three fixations each on img0; line 5 (the header is line 1) has a blank subject
FIXATIONS = ("subject,stimulus,x,y,duration_ms\n"
             "A,img0,100,100,250\nA,img0,900,500,250\nA,img0,1500,800,250\n"
             ",img0,1000,500,250\n"
             "B,img0,120,110,250\nB,img0,910,520,250\nB,img0,1490,790,250\n")


# ------------------------------------------------------------------ 1. input_paths names the caller's parameter

def test_input_paths_refusal_names_the_given_parameter():
    from saliency.data_tools.ingest import input_paths

    with pytest.raises(UserError) as exc:
        input_paths(None, param="logs")
    assert exc.value.args[0] == "`logs` None: give a log file path (str or Path) or a list of them"
    with pytest.raises(UserError) as exc:
        input_paths(["a.csv", 3], param="logs")
    assert exc.value.args[0] == "`logs` holds 3: give a log file path (str or Path) or a list of them"
    with pytest.raises(UserError) as exc:  # ingest's own name by default
        input_paths(3)
    assert exc.value.args[0].startswith("`inputs` 3: ")


# ------------------------------------------------------------------ 2. a no_subject row is no observer

def _stimuli(root):
    import cv2

    d = root / "stim"
    d.mkdir()
    cv2.imwrite(str(d / "img0.png"), np.zeros((H, W, 3), np.uint8))
    return d


def _ingest(capsys, tmp_path, log, *extra):
    stim = _stimuli(tmp_path)
    rc, out, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--screen-px", f"{W}x{H}", "--sigma-px", "20",
                                    "--out", tmp_path / "o", "--workers", "1", *extra])
    assert rc == 0 and "Traceback" not in err, err
    o = tmp_path / "o"
    return json.loads((o / "dataset.json").read_text()), out, pd.read_csv(o / "qc.csv", keep_default_na=False)


def test_a_blank_subject_cell_is_no_observer_left_out(tmp_path, capsys):
    log = tmp_path / "study1.csv"
    log.write_text(FIXATIONS)
    ds, out, qc = _ingest(capsys, tmp_path, log)
    assert ds["counts"]["quarantine_by_reason"] == {"no_subject": 1}
    io = ds["inter_observer"]
    assert (io["nss"]["n"], io["stimuli_scored"]) == (2, 1)  # A and B on img0
    assert io["left_out"] == {"stimuli": 0, "first": [], "reason": "fewer than 2 observers with kept fixations"}
    assert "observers left out" not in out
    assert ds["counts"]["subjects"] == 2
    assert qc[["subject", "stimulus"]].values.tolist() == [["A", "img0"], ["B", "img0"]]


def test_a_real_observer_with_only_unreadable_rows_is_still_the_one_left_out(tmp_path, capsys):
    log = tmp_path / "study1.csv"
    log.write_text(FIXATIONS + "C,img0,abc,500,250\n")
    ds, out, _ = _ingest(capsys, tmp_path, log)
    assert ds["counts"]["quarantine_by_reason"] == {"no_subject": 1, "bad_coordinates": 1}
    assert ds["inter_observer"]["left_out"]["observers"] == {"count": 1, "first": ["C/img0"], "reason": REASON}
    assert f"observers left out             1  ({REASON}: C/img0)" in out


def test_a_blank_subject_sample_row_is_no_observer_nor_a_qc_pair(tmp_path, capsys):
    # raw samples at 500 Hz, A and B one trial of 300 each (fixations at x = 500, 800, 1100); A's line 152 blank
    rows = ["subject,stimulus,trial,time_ms,x,y"]
    for subj in ("A", "B"):
        for i in range(300):
            s = "" if (subj, i) == ("A", 150) else subj
            rows.append(f"{s},img0,1,{2 * i}.0,{500 + 300 * (i // 100)}.0,400.0")
    log = tmp_path / "samples.csv"
    log.write_text("\n".join(rows) + "\n")
    ds, out, qc = _ingest(capsys, tmp_path, log, "--screen-cm", "53.1x29.9", "--distance-cm", "65")
    assert ds["counts"]["quarantine_by_reason"] == {"no_subject": 1}
    assert ds["inter_observer"]["nss"]["n"] == 2 and "observers" not in ds["inter_observer"]["left_out"]
    assert "observers left out" not in out
    # QC: the two observers' pairs only; the blank row is no one's sample (A read 299, B 300)
    assert qc[["subject", "stimulus", "samples"]].values.tolist() == [["A", "img0", 299], ["B", "img0", 300]]

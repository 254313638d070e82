"""Ingest follow-ups of review R9: time stamps a spreadsheet rounded, a '[?s]' unit, a point under --decimal comma.

- A 16-digit µs time column written ``1.70000E+15`` gives every sample of a trial one stamp: ingest named the
  detector options as the cause of "no usable fixations"; now the refusal (and, when the run goes on, a warning)
  names the repeated stamps, as ``saliency detect`` does.
- A Pro Lab ``Recording timestamp [?s]`` (a re-save lost the 'μ') states no unit: ``--time-unit`` applies, so a
  rate refusal offers the unit that fits instead of saying the header states it.
- Under ``--decimal comma`` a semicolon table's point values (``1.234``) are quarantined: the warning no longer
  says the option had no effect, but counts those rows with their reasons.

Oracles are hand-worked: 1500 samples on one stamp are 1499 repeats; 8333 µs steps read as ms are 0.12 Hz, as µs
120 Hz; the semicolon table's rows are counted by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from cli_fakes import refusal, run_cli

W, H = 1920, 1080
GEOM = ["--screen-px", f"{W}x{H}", "--screen-cm", "53x30", "--distance-cm", "65"]
REPEAT = "1499 of 1500 samples repeat the previous time stamp"


def _stimuli(root):
    import cv2

    d = root / "stim"
    if not d.exists():
        d.mkdir()
        cv2.imwrite(str(d / "img0.png"), np.zeros((H, W, 3), np.uint8))
    return d


def _ingest(capsys, tmp_path, log, *extra, out="o"):
    return run_cli(capsys, ["ingest", log, "--stimuli", _stimuli(tmp_path), "--sigma-px", "20", "--no-ioc",
                            "--out", tmp_path / out, "--quiet", *extra])


def _excel_rounded(path, good_trial: bool):
    """Trial 1: 1500 samples at 500 Hz whose µs times a spreadsheet wrote as 1.70000E+15 (one stamp); with
    ``good_trial`` a trial 2 of 600 samples 2000 µs apart, gaze still (fixations)."""
    rng = np.random.default_rng(0)
    lines = ["subject,stimulus,trial,time_us,x,y"]
    lines += [f"p1,img0,1,1.70000E+15,{960 + rng.normal(0, 2):.1f},{540 + rng.normal(0, 2):.1f}"
              for _ in range(1500)]
    if good_trial:
        t0 = 1_700_000_000_000_000
        lines += [f"p1,img0,2,{t0 + 2000 * i},{(600 if i < 300 else 1200) + rng.normal(0, 1):.1f},500.0"
                  for i in range(600)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_no_usable_fixations_names_the_repeated_time_stamps(tmp_path, capsys):
    log = _excel_rounded(tmp_path / "excel_us.csv", good_trial=False)
    line = refusal(*_ingest(capsys, tmp_path, log, *GEOM))
    assert line.startswith("saliency ingest: error: no usable fixations in the 1500 rows read"), line
    assert REPEAT in line and "excel_us.csv" in line and "trial '1'" in line, line
    assert "1.70000E+15" in line and "export times in full" in line, line
    assert "check the detector options" not in line, line  # the detector is not the cause
    assert not (tmp_path / "o").exists()


def test_a_run_that_goes_on_warns_of_the_repeated_time_stamps_once(tmp_path, capsys):
    log = _excel_rounded(tmp_path / "excel_us.csv", good_trial=True)
    rc, _, err = _ingest(capsys, tmp_path, log, *GEOM)
    assert rc == 0, err
    said = [ln for ln in err.splitlines() if "repeat the previous time stamp" in ln]
    assert len(said) == 1 and said[0].startswith("saliency ingest: warning: ") and REPEAT in said[0], err
    assert "excel_us.csv" in said[0] and "trial '1'" in said[0] and "trial '2'" not in said[0], said
    m = json.loads((tmp_path / "o" / "dataset.json").read_text())
    rec = [w for w in m["warnings"] if "repeat the previous time stamp" in w]
    assert len(rec) == 1 and REPEAT in rec[0] and "trial '1'" in rec[0], m["warnings"]
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert len(fix) and (fix["line"] > 1501).all()  # trial 2 (file lines 1502-2101): the rounded trial gave none


PROLAB = ["Recording timestamp [?s]", "Participant name", "Recording name", "Presented Media name",
          "Gaze point X [DACS px]", "Gaze point Y [DACS px]", "Validity left", "Validity right"]


def test_a_rate_refusal_under_an_unreadable_unit_offers_the_time_unit(tmp_path, capsys):
    # 8333 µs steps (120 Hz) under '[?s]' with --time-unit ms: 8333 ms apart, 0.12 Hz; in us they are 120 Hz
    rows = ["\t".join(PROLAB)]
    rows += ["\t".join([str(1_000_000 + 8333 * k), "P9", "Rec 1", "img0.png", f"{400 + k % 7}.5",
                        f"{300 + k % 5}.25", "Valid", "Valid"]) for k in range(120)]
    p = tmp_path / "prolab.tsv"
    p.write_bytes(("\n".join(rows) + "\n").encode("cp1252"))
    line = refusal(*_ingest(capsys, tmp_path, p, *GEOM, "--time-unit", "ms"))
    assert "prolab.tsv: consecutive samples are 8333 ms apart" in line, line
    assert line.endswith("with --time-unit us they would be 120 Hz"), line
    assert "states their unit" not in line, line
    assert not (tmp_path / "o").exists()


def test_decimal_comma_warning_counts_the_point_values_it_quarantined(tmp_path, capsys):
    log = tmp_path / "pt.csv"
    log.write_text("stimulus;x;y;duration_ms\n"
                   "img0;1.234;500;250\n"       # German Excel's 1234: bad_coordinates
                   "img0;900;300;1.250\n"       # 1250 ms: bad_duration
                   "img0.png;abc;300;250\n"     # not a number, no point value (the name's point is no number)
                   "img0;99;300;300\n"
                   "img0;100;200;.\n")          # '.' alone: missing, kept
    rc, _, err = _ingest(capsys, tmp_path, log, "--screen-px", f"{W}x{H}", "--decimal", "comma")
    assert rc == 0, err
    q = pd.read_csv(tmp_path / "o" / "quarantine.csv").sort_values("line")
    assert q[["line", "reason"]].to_numpy().tolist() == [[2, "bad_coordinates"], [3, "bad_duration"],
                                                         [4, "bad_coordinates"]]
    said = [ln for ln in err.splitlines() if "--decimal comma" in ln]
    assert len(said) == 1 and "pt.csv" in said[0], err
    assert "had no effect" not in said[0] and "read as it does without it" not in said[0], said
    assert "2 rows holding a number written with a point (1.234) were quarantined" in said[0], said
    assert "(bad_coordinates 1, bad_duration 1)" in said[0] and "leave --decimal comma out" in said[0], said


def test_decimal_comma_warning_without_point_values_still_says_no_effect(tmp_path, capsys):
    log = tmp_path / "whole.csv"
    log.write_text("stimulus;x;y;duration_ms\nimg0;900;300;250\nimg0;99;300;300\n")
    rc, _, err = _ingest(capsys, tmp_path, log, "--screen-px", f"{W}x{H}", "--decimal", "comma")
    assert rc == 0, err
    assert "whole.csv: --decimal comma had no effect on this file" in err, err

"""Review stop 26: "no usable fixations" says that the samples kept gave none, also beside rows counted by design.

Found in review on pymovements' BeGaze fixture: 11 samples (1 kHz, 14 ms) and 14 message rows ->
"no usable fixations in the 25 rows read (reasons: not used by design: message_row 14)", which reads as if the
message rows were the cause; the explanation "the samples gave no fixation (check the detector options)" was given
only when no row was quarantined or counted. Oracle: the row counts of the file written here, by hand.
"""

from __future__ import annotations

import cv2
import numpy as np

from cli_fakes import refusal, run_cli

HEADER = ("## [BeGaze]\n## Sample Rate:\t1000\n## [Run]\n## Subject:\tP01\n## [Calibration]\n"
          "## Calibration Area:\t1680\t1050\n##\n"
          "Time\tType\tTrial\tL POR X [px]\tL POR Y [px]\tL Pupil Diameter [mm]\tTiming\tPupil Confidence\t"
          "L Plane\tL Event Info\tStimulus\n")


def _ingest_refused(tmp_path, capsys, extra: str = "") -> str:
    """``saliency ingest`` of a BeGaze log of 6 samples over 10 ms at one place (under every detector's minimum
    duration), each followed by a message row, then ``extra`` rows: the one refusal line (nothing written)."""
    rows = []
    for i in range(6):
        rows.append(f"{10_000_000_000 + 2000 * i}\tSMP\t1\t850.71\t717.53\t4.0\t0\t1\t1\tFixation\timg.png\n")
        rows.append(f"{10_000_000_000 + 2000 * i + 500}\tMSG\t1\t# Message: M{i}\n")
    log = tmp_path / "log.txt"
    log.write_text(HEADER + "".join(rows) + extra)
    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "img.png"), np.zeros((1050, 1680), np.uint8))
    line = refusal(*run_cli(capsys, ["ingest", log, "--format", "begaze", "--stimuli", tmp_path / "stim",
                                     "--stimulus", "img.png", "--screen-cm", "47.4x29.7", "--distance-cm", "70",
                                     "--out", tmp_path / "o", "--quiet", "--no-ioc"]))
    assert not (tmp_path / "o").exists()
    return line


def test_samples_that_gave_no_fixation_are_said_beside_counted_message_rows(tmp_path, capsys):
    line = _ingest_refused(tmp_path, capsys)
    assert line == ("saliency ingest: error: no usable fixations in the 12 rows read (reasons: not used by design: "
                    "message_row 6; 6 samples kept gave no fixation (check the detector options))")


def test_a_few_quarantined_rows_do_not_hide_that_the_kept_samples_gave_no_fixation(tmp_path, capsys):
    """Review: one row quarantined (x 'abc') hid the reason again and brought an unrelated decimal-comma hint."""
    line = _ingest_refused(tmp_path, capsys, f"{10_000_000_000 + 13000}\tSMP\t1\tabc\t717.53\t4.0\t0\t1\t1\t"
                                             "Fixation\timg.png\n")
    assert "6 samples kept gave no fixation (check the detector options)" in line, line
    assert line.startswith("saliency ingest: error: no usable fixations in the 13 rows read (reasons: "), line

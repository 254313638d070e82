"""The Tobii Pro Lab reader names a missing column as Pro Lab's header writes it ('Recording timestamp', not the
lower-cased 'recording timestamp' it matches by), so that a user finds it in the header."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli

GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65", "--sigma-px", "3"]

# Pro Lab's data export columns as its user manual spells them (written by hand, the oracle of the spelling)
PRO_LAB = ["Recording timestamp [μs]", "Participant name", "Recording name", "Presented Media name",
           "Gaze point X [DACS px]", "Gaze point Y [DACS px]", "Validity left", "Validity right",
           "Eye movement type", "Gaze event duration [ms]", "Eye movement type index",
           "Fixation point X [DACS px]", "Fixation point Y [DACS px]"]
ROW = ["1000000", "p1", "rec1", "img0.png", "960", "540", "Valid", "Valid", "Fixation", "250", "1", "960", "540"]


def _file(tmp_path, drop=(), head=None, row=None):
    """A one-row Pro Lab export without the columns whose names start with one of ``drop``."""
    (tmp_path / "stim").mkdir(exist_ok=True)
    Image.fromarray(np.zeros((1080, 1920, 3), np.uint8)).save(tmp_path / "stim" / "img0.png")
    head, row = head or PRO_LAB, row or ROW
    keep = [k for k, h in enumerate(head) if not h.startswith(tuple(drop))] if drop else range(len(head))
    p = tmp_path / "t.tsv"
    p.write_text("\t".join(head[k] for k in keep) + "\n" + "\t".join(row[k] for k in keep) + "\n", encoding="utf-8")
    return p


def _refused(tmp_path, capsys, p, *extra):
    line = refusal(*run_cli(capsys, ["ingest", p, "--stimuli", tmp_path / "stim", "--out", tmp_path / "o",
                                     "--no-ioc", "--quiet", *GEOM, *extra]))
    assert not (tmp_path / "o").exists()
    return line


def test_a_tobii_studio_file_under_format_tobii_names_the_time_column_as_pro_lab_writes_it(tmp_path, capsys):
    # a Tobii Studio 3.x export (RecordingTimestamp, no space) forced through the Pro Lab reader
    (tmp_path / "stim").mkdir()
    Image.fromarray(np.zeros((1080, 1920, 3), np.uint8)).save(tmp_path / "stim" / "img0.png")
    p = tmp_path / "studio.tsv"
    p.write_text("ParticipantName\tMediaName\tRecordingTimestamp\tGazePointX (ADCSpx)\tGazePointY (ADCSpx)\n"
                 "P1\timg0.png\t0\t960\t540\n", encoding="utf-8")
    line = _refused(tmp_path, capsys, p, "--format", "tobii")
    assert line == (f"saliency ingest: error: {p}: line 1 (the header): Tobii Pro Lab export without a "
                    f"'Recording timestamp' column")


@pytest.mark.parametrize("drop, extra, name", [
    (("Recording timestamp",), ["--format", "tobii"], "Recording timestamp"),
    (("Gaze point", "Fixation point"), ["--format", "tobii"], "Gaze point X"),
    (("Eye movement type",), ["--detector", "tracker"], "Eye movement type"),
    (("Eye movement type index",), ["--detector", "tracker"], "Eye movement type index"),
    (("Gaze event duration",), ["--detector", "tracker"], "Gaze event duration"),
    (("Fixation point",), ["--detector", "tracker"], "Fixation point X"),
])
def test_a_missing_pro_lab_column_is_named_in_pro_labs_spelling(tmp_path, capsys, drop, extra, name):
    line = _refused(tmp_path, capsys, _file(tmp_path, drop), *extra)
    assert line.endswith(f": line 1 (the header): Tobii Pro Lab export without a '{name}' column"), line
    # the quoted name is how the full export's header starts one of its columns: a user searching finds it
    assert any(h.startswith(name) for h in PRO_LAB)

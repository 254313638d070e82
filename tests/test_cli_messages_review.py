"""Refusals and warnings a user meets, from a walk through the README as written (stop 19).

Each names the file or option and the fix: a screen given too small when a
few gaze points lie a little left of it (tracker noise), a file read with the
wrong ``--format``, a mistyped ``--model`` (checked before any data is read).
"""

from __future__ import annotations

import pandas as pd

from saliency.cli import main
from test_ingest_real_cases import _run, _stimuli
from test_reliability_inputs import one_line


def test_a_screen_given_too_small_is_named_even_with_a_point_left_of_the_screen(tmp_path, capsys):
    # recorded on 1920x1080, given as 960x540; one point 100 px left of the screen (noise) made the warning
    # say "the coordinate space is not screen pixels (check --columns and --coords)"
    _stimuli(tmp_path)
    p = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": "img1", "x": [1500, 1600, 1700, 1800, 100, -100], "y": [900, 950, 1000, 1050, 100, 200],
                  "duration_ms": 200}).to_csv(p, index=False)
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3", "--screen-px", "960x540")
    assert rc == 0
    assert "5 of 6 points lie off the 960x540 screen" in err and "is --screen-px 960x540 the recording" in err, err


def test_a_file_read_with_the_wrong_format_is_named_with_the_format_it_looks_like(tmp_path, capsys):
    _stimuli(tmp_path)
    p = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": "img1", "x": [100, 200, 300], "y": [100, 200, 300],
                  "duration_ms": 200}).to_csv(p, index=False)
    rc = main(["ingest", str(p), "--format", "eyelink-asc", "--stimuli", str(tmp_path / "stim"), "--sigma-px", "3",
               "--screen-px", "1920x1080", "--screen-cm", "53x30", "--distance-cm", "60",
               "--out", str(tmp_path / "d"), "--no-ioc", "--quiet"])
    line = one_line(capsys, 2, rc)
    assert f"{p}: none of its" in line and "--format eyelink-asc" in line and "leave out --format" in line, line
    assert not (tmp_path / "d").exists()


def test_a_mistyped_model_is_refused_before_the_data_is_read(tmp_path, capsys):
    # the data folder does not exist: the model name is judged first (it was judged after caching the data)
    rc = main(["train", "--data", str(tmp_path / "absent"), "--task", "sod", "--out", str(tmp_path / "r"),
               "--model", "unet_tiny_cbam_sdo", "--quiet"])
    line = one_line(capsys, 2, rc)
    assert "--model 'unet_tiny_cbam_sdo': no such model; did you mean unet_tiny_cbam_sod?" in line, line


def test_an_exported_onnx_file_given_as_checkpoint_says_what_to_give(tmp_path, capsys):
    # the advice was "give a file that saliency train or export wrote", and export writes this very file
    import cv2
    import numpy as np

    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"\x08\x07\x12\x07pytorch")  # an ONNX protobuf's first bytes: no torch checkpoint
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "a.png"), np.full((8, 8, 3), 100, np.uint8))
    rc = main(["predict", "--checkpoint", str(onnx), "--images", str(tmp_path / "img"), "--out", str(tmp_path / "o")])
    line = one_line(capsys, 2, rc)
    assert "an ONNX model, not a checkpoint" in line and "checkpoints/best.pt" in line and "export wrote" not in line

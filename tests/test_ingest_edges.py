"""Ingest cases found by a read-through against the references: each a wrong map that ran without a word.

- ``--drop-first`` drops each scanpath's first fixation as recorded (MIT1003
  drops ``Fix(1)`` before any other filter), not the first one left after
  quarantines;
- two stimulus files with one stem (``a.jpg``, ``a.png``) are refused, not
  pooled into one map;
- a blur below a pixel is the centre tap (scipy's limit), one above the
  largest is refused, not a NaN map or an exception;
- ``eval --metric-maps`` on an ingest folder blurs with the folder's sigma.
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest

from saliency.cli import main


def _cli(*args):
    try:
        return main(list(args))
    except SystemExit as exc:
        return exc.code


def _stim(folder, name, w, h):
    folder.mkdir(exist_ok=True)
    cv2.imwrite(str(folder / name), np.full((h, w, 3), 128, np.uint8))


def test_drop_first_drops_the_recorded_first_fixation(tmp_path):
    _stim(tmp_path / "stim", "a.png", 40, 30)
    p = tmp_path / "f.csv"
    p.write_text("subject,stimulus,t_start_ms,x,y,duration_ms\n"
                 "s1,a.png,0,20,15,30\n"      # line 2: first, and short: quarantined as short
                 "s1,a.png,100,5,5,200\n"     # line 3: second: kept
                 "s1,a.png,400,30,20,200\n"   # line 4
                 "s2,a.png,0,-5,15,300\n"     # line 5: first, and off the stimulus
                 "s2,a.png,400,6,6,200\n"     # line 6: second: kept
                 "s2,a.png,700,33,22,200\n"   # line 7
                 "s3,a.png,50,10,10,200\n"    # line 8: first and usable: dropped as first_fixation
                 "s3,a.png,300,12,12,200\n")  # line 9
    assert _cli("ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--coords",
                "stimulus", "--sigma-px", "3", "--drop-first", "--quiet") == 0
    kept = pd.read_csv(tmp_path / "d" / "fixations.csv")["line"].tolist()
    q = pd.read_csv(tmp_path / "d" / "quarantine.csv").set_index("line")["reason"].to_dict()
    assert sorted(kept) == [3, 4, 6, 7, 9]
    assert q == {2: "short_fixation", 5: "off_stimulus", 8: "first_fixation"}


def test_two_files_with_one_stem_are_refused(tmp_path, capsys):
    _stim(tmp_path / "stim", "a.png", 40, 30)
    _stim(tmp_path / "stim", "a.jpg", 80, 60)
    _stim(tmp_path / "stim", "b.png", 40, 30)
    p = tmp_path / "f.csv"
    p.write_text("subject,stimulus,x,y,duration_ms\ns1,b.png,5,5,200\ns3,a.png,6,6,200\n")
    rc = _cli("ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--coords",
              "stimulus", "--sigma-px", "3", "--quiet")
    err = capsys.readouterr().err
    assert rc == 2 and "a.jpg and a.png" in err and "--stimuli" in err and err.count("\n") == 1
    assert not (tmp_path / "d").exists()
    p.write_text("subject,stimulus,x,y,duration_ms\ns1,b.png,5,5,200\n")  # the shared stem unused: fine
    assert _cli("ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--coords",
                "stimulus", "--sigma-px", "3", "--quiet") == 0


@pytest.mark.parametrize("sigma", [1e-300, 1e-160, 0.1])
def test_a_blur_below_a_pixel_is_the_centre_tap(sigma):
    from scipy.ndimage import gaussian_filter

    from saliency.data_tools.maps import gaussian_kernel1d

    assert gaussian_kernel1d(sigma).tolist() == [1.0]
    img = np.zeros((5, 7))
    img[2, 3] = 1.0
    if sigma >= 0.1:  # scipy itself divides by sigma**2; at 0.1 its kernel is the centre tap too
        np.testing.assert_array_equal(gaussian_filter(img, sigma, mode="constant"), img)


def test_a_blur_above_the_largest_is_one_line(tmp_path, capsys):
    _stim(tmp_path / "stim", "a.png", 40, 30)
    p = tmp_path / "f.csv"
    p.write_text("subject,stimulus,x,y,duration_ms\ns1,a.png,5,5,200\n")
    rc = _cli("ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--coords",
              "stimulus", "--sigma-px", "1e6", "--quiet")
    err = capsys.readouterr().err
    assert rc == 2 and "--sigma-px" in err and "1024" in err and err.count("\n") == 1


def test_metric_maps_of_an_ingest_folder_use_its_sigma(tmp_path):
    from saliency.eval.datasets import fixation_folder

    study = tmp_path / "S"
    assert main(["synth", "--scenes", "3", "--subjects", "3", "--size", "160x120", "--out", str(study),
                 "--quiet"]) == 0
    ds = tmp_path / "D"
    assert main(["ingest", str(study / "logs" / "samples.csv"), "--stimuli", str(study / "stimuli"), "--geometry",
                 str(study / "screen.json"), "--sigma-px", "7.5", "--out", str(ds), "--quiet"]) == 0
    gt = fixation_folder(ds)
    assert gt.sigma_px == 7.5 and not gt.notes


def test_drop_first_on_salicon_and_on_each_eye(tmp_path):
    """A SALICON annotation holds a whole scanpath on one line: --drop-first, matching (source, line), dropped
    every point (73,630 of the shared file). A binocular export has a scanpath per eye: the other eye's copy of
    the first fixation stayed in the map. Oracle: the first point of each annotation, the first row of each eye."""
    import json

    _stim(tmp_path / "stim", "a.png", 40, 30)
    js = tmp_path / "fixations_train.json"
    js.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
        "annotations": [{"image_id": 1, "worker_id": 1, "fixations": [[15, 20], [5, 5], [20, 30]]},
                        {"image_id": 1, "worker_id": 2, "fixations": [[14, 19], [25, 35]]}]}))
    assert _cli("ingest", str(js), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "s"),
                "--sigma-px", "3", "--drop-first", "--quiet") == 0
    q = pd.read_csv(tmp_path / "s" / "quarantine.csv")
    kept = pd.read_csv(tmp_path / "s" / "fixations.csv")
    assert q["reason"].tolist() == ["first_fixation"] * 2 and len(kept) == 3
    assert sorted(zip(q["x"], q["y"])) == [(18.0, 13.0), (19.0, 14.0)]  # [row, col] 1-based: (col-1, row-1)
    p = tmp_path / "eyes.csv"
    p.write_text("subject,stimulus,t_start_ms,x,y,duration_ms,eye\n"
                 "s1,a.png,0,20,15,200,L\n"    # line 2: first of the left eye
                 "s1,a.png,0,21,15,200,R\n"    # line 3: first of the right eye
                 "s1,a.png,300,5,5,200,L\n"    # line 4
                 "s1,a.png,300,6,5,200,R\n")   # line 5
    assert _cli("ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "e"), "--coords",
                "stimulus", "--sigma-px", "3", "--drop-first", "--quiet") == 0
    q = pd.read_csv(tmp_path / "e" / "quarantine.csv").set_index("line")["reason"].to_dict()
    assert q == {2: "first_fixation", 3: "first_fixation"}
    assert sorted(pd.read_csv(tmp_path / "e" / "fixations.csv")["line"]) == [4, 5]

"""``saliency ingest``: cases found by a review on real data (stop 18).

- a pair (subject x stimulus) whose every fixation was set aside (the first
  fixation dropped, a short one) vanished from ``qc.csv`` instead of showing
  0 fixations and the ``few_fixations`` flag (OSIE with ``--drop-first``: 6 of
  10,500 pairs missing);
- ``--overwrite`` deleted a ``--geometry`` file lying inside ``--out``;
- a SALICON point of four numbers was read as two fixations, and a JSON of the
  wrong shape (an unhashable ``image_id``, ``images`` not a list) ended in a
  traceback (exit 1).

Oracles: counts worked out from the files written here.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from test_reliability_inputs import one_line  # the in-process command's one stderr line, no traceback


def _stimuli(root, names=("a", "b")):
    d = root / "stim"
    d.mkdir()
    for n in names:
        cv2.imwrite(str(d / f"{n}.png"), np.zeros((60, 80, 3), np.uint8))
    return d



def test_a_pair_left_without_fixations_stays_in_qc(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    rows = [("s1", "a", 0, 200), ("s1", "a", 300, 200), ("s1", "a", 600, 200),  # 3 fixations, 2 after the first
            ("s1", "b", 0, 200),  # 1 fixation: none left after --drop-first
            ("s2", "a", 0, 200), ("s2", "a", 300, 20)]  # the second one is short: dropped by --min-duration
    pd.DataFrame([{"subject": s, "stimulus": st, "x": 40, "y": 30, "start_ms": t, "duration_ms": d}
                  for s, st, t, d in rows]).to_csv(tmp_path / "fix.csv", index=False)
    rc = main(["ingest", str(tmp_path / "fix.csv"), "--stimuli", str(stim), "--out", str(tmp_path / "o"),
               "--sigma-px", "5", "--drop-first", "--min-duration", "50", "--quiet"])
    assert rc == 0, capsys.readouterr().err
    qc = pd.read_csv(tmp_path / "o" / "qc.csv", dtype={"subject": str, "stimulus": str}, keep_default_na=False)
    got = {(r.subject, r.stimulus): int(r.fixations) for r in qc.itertuples()}
    assert got == {("s1", "a"): 2, ("s1", "b"): 0, ("s2", "a"): 0}
    flags = dict(zip(zip(qc["subject"], qc["stimulus"]), qc["flags"]))
    assert "few_fixations" in flags[("s1", "b")] and "few_fixations" in flags[("s2", "a")]
    m = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert m["qc"]["pairs"] == 3


def test_overwrite_never_deletes_a_geometry_file_inside_out(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    pd.DataFrame({"subject": "s1", "stimulus": "a", "x": [40], "y": [30], "start_ms": [0],
                  "duration_ms": [200]}).to_csv(tmp_path / "fix.csv", index=False)
    proj = tmp_path / "proj"
    proj.mkdir()
    screen = proj / "screen.json"
    screen.write_text(json.dumps({"screen_px": [80, 60], "screen_cm": [40, 30], "distance_cm": 60}))
    before = screen.read_bytes()
    for argv in (["ingest", str(tmp_path / "fix.csv"), "--stimuli", str(stim)],
                 ["detect", str(tmp_path / "fix.csv")]):
        rc = main([*argv, "--geometry", str(screen), "--out", str(proj), "--overwrite", "--quiet"])
        err = one_line(capsys, 2, rc)
        assert "--geometry" in err and "--out" in err
        assert screen.read_bytes() == before


def _salicon(path, fixations, image_id=1, images=None):
    images = [{"id": 1, "file_name": "a.png"}] if images is None else images
    path.write_text(json.dumps({"images": images, "annotations": [
        {"image_id": 1, "worker_id": 7, "fixations": [[10, 20], [30, 40]]},
        {"image_id": image_id, "worker_id": 8, "fixations": fixations}]}))
    return path


@pytest.mark.parametrize("fixations", [[[10, 20, 30, 40]], [[1, 2, 3]], [10, 20]])
def test_salicon_point_that_is_not_row_col_is_quarantined(tmp_path, capsys, fixations):
    stim = _stimuli(tmp_path)
    log = _salicon(tmp_path / "fixations.json", fixations)
    rc = main(["ingest", str(log), "--stimuli", str(stim), "--out", str(tmp_path / "o"), "--sigma-px", "5",
               "--quiet"])
    assert rc == 0, capsys.readouterr().err
    m = json.loads((tmp_path / "o" / "dataset.json").read_text())
    rows = m["inputs"][0]["rows"]
    # annotation 1: two points kept; annotation 2: one malformed annotation, quarantined whole
    assert rows["read"] == 3 and rows["kept"] == 2 and rows["quarantined"] == {"malformed_annotation": 1}


@pytest.mark.parametrize("kind", ["list_id", "dict_id", "images_text", "image_entry_text", "float_ids"])
def test_salicon_json_of_the_wrong_shape_is_one_line_or_quarantined(tmp_path, capsys, kind):
    stim = _stimuli(tmp_path)
    log = tmp_path / "fixations.json"
    if kind == "list_id":
        _salicon(log, [[5, 5]], image_id=[1])
    elif kind == "dict_id":
        _salicon(log, [[5, 5]], image_id={"a": 1})
    elif kind == "images_text":
        _salicon(log, [[5, 5]], images="x")
    elif kind == "image_entry_text":  # an entry naming no image; the file's other entry still names a.png
        _salicon(log, [[5, 5]], images=["x", {"id": 1, "file_name": "a.png"}])
    else:  # ids re-saved as whole-number floats are the same ids (review of stop 18: they were refused)
        _salicon(log, [[5, 5]], image_id=1.0, images=[{"id": 1.0, "file_name": "a.png"}, {"file_name": "b.png"}])
    rc = main(["ingest", str(log), "--stimuli", str(stim), "--out", str(tmp_path / "o"), "--sigma-px", "5",
               "--quiet"])
    if kind.endswith("_id"):  # one annotation of the wrong shape: quarantined, the rest kept
        assert rc == 0, capsys.readouterr().err
        rows = json.loads((tmp_path / "o" / "dataset.json").read_text())["inputs"][0]["rows"]
        assert rows["kept"] == 2 and rows["quarantined"] == {"malformed_annotation": 1}
    elif kind == "images_text":  # the image table itself: one line naming the file
        err = one_line(capsys, 2, rc)
        assert "fixations.json" in err and "images" in err
    else:  # every point kept, on a.png
        assert rc == 0, capsys.readouterr().err
        m = json.loads((tmp_path / "o" / "dataset.json").read_text())
        assert m["inputs"][0]["rows"]["kept"] == 3 and m["inputs"][0]["rows"]["quarantined"] == {}

"""Review 25: what a dataset leaves out is recorded in ``--json``, not only printed; option errors name the cause.

The notes under eval's table (a human map without fixation points, stray
files of a ground-truth folder, OSIE fixations with a non-finite coordinate,
the IG baseline) were printed and lost from the JSON a lab archives.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from saliency.cli import main


def _ingest_like(root):
    """An ingest-layout folder: a, b with fixations and maps, c with a map only, d.gif a stray file."""
    for sub in ("fixations", "maps"):
        (root / sub).mkdir(parents=True)
    for k in ("a", "b"):
        fx = np.zeros((12, 16), np.uint8)
        fx[6, 8] = 255
        cv2.imwrite(str(root / "fixations" / f"{k}.png"), fx)
    for k in ("a", "b", "c"):
        yy, xx = np.mgrid[:12, :16]
        cv2.imwrite(str(root / "maps" / f"{k}.png"), (255 * np.exp(-((yy - 6) ** 2 + (xx - 8) ** 2) / 8)).astype(np.uint8))
    (root / "fixations" / "d.gif").write_bytes(b"GIF89a")
    return root


def test_json_records_the_notes_printed_under_the_table(tmp_path, capsys):
    gt = _ingest_like(tmp_path / "gt")
    pred = tmp_path / "pred"
    pred.mkdir()
    for k in ("a", "b", "c"):
        cv2.imwrite(str(pred / f"{k}.png"), cv2.imread(str(gt / "maps" / f"{k}.png"), cv2.IMREAD_GRAYSCALE))
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={pred}", "--metrics", "CC,NSS",
                 "--json", str(out), "--quiet"]) == 0
    printed = [line[2:] for line in capsys.readouterr().out.splitlines() if line.startswith("- ")]
    doc = json.loads(out.read_text())
    # the method's own line ("M: 3 images, NSS left out ...") is in its result (`excluded`); the rest as printed
    assert printed[0] == "M: 3 images, NSS left out on 1 image(s)" and doc["results"][0]["excluded"] == {"NSS": 1}
    assert doc["notes"] == printed[1:]
    assert f"gt: {gt / 'fixations'}: 1 file(s) left out: not an image extension (.gif; e.g. d.gif); " in \
        " ".join(doc["notes"])
    assert any("1 image(s) have a human map but no fixation points (e.g. c)" in n for n in doc["notes"])
    assert doc["results"][0]["metrics"]["CC"] == 1.0  # the prediction is the human map (closed form)


def test_center_bias_folder_is_named_as_a_folder(tmp_path, capsys):
    gt = _ingest_like(tmp_path / "gt")
    assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={gt / 'maps'}", "--center-bias",
                 str(tmp_path), "--quiet"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"saliency eval: error: --center-bias {tmp_path}: is a folder; give the file of a centre-bias map"]


def test_json_records_the_seed_of_the_random_negatives_only_when_drawn(tmp_path):
    gt = _ingest_like(tmp_path / "gt")
    seeds = {}
    for name, extra in (("drawn", ["--metrics", "sAUC,NSS", "--seed", "7"]), ("default", ["--metrics", "AUC_Borji"]),
                        ("none", ["--metrics", "NSS"])):
        out = tmp_path / f"{name}.json"
        assert main(["eval", "--task", "fixation", "--gt", str(gt), "--pred", f"M={gt / 'maps'}", *extra,
                     "--json", str(out), "--quiet"]) == 0
        seeds[name] = json.loads(out.read_text())["seed"]
    assert seeds == {"drawn": 7, "default": 0, "none": None}

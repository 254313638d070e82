"""``saliency ingest`` measures a TIFF with an orientation tag 5-8 as stored, as every other command reads it.

Pillow opens such a TIFF with width and height swapped (and loads it turned): ingest took the turned size, so
fixations really on the image were quarantined off_stimulus and its map was turned against ``predict``'s.
"""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest
from cli_fakes import run_cli
from PIL import Image

from saliency.data_tools.stimuli import decoded_size

W, H = 80, 60  # the TIFF as stored: 80 wide, 60 tall


def _tiff(path, tag: int) -> None:
    ex = Image.Exif()
    ex[0x0112] = tag
    Image.fromarray(np.full((H, W, 3), 90, np.uint8)).save(path, "TIFF", exif=ex.tobytes())


@pytest.mark.parametrize("tag", [5, 6, 8])
def test_ingest_keeps_fixations_and_maps_a_tagged_tiff_as_stored(tmp_path, capsys, tag):
    (tmp_path / "stim").mkdir()
    _tiff(tmp_path / "stim" / "t.tif", tag)
    with Image.open(tmp_path / "stim" / "t.tif") as im:  # the Pillow behaviour the fix works around
        assert im.size == (H, W)
    log = tmp_path / "fix.csv"
    log.write_text("subject,stimulus,x,y,duration_ms\n"
                   + "".join(f"s{i},t.tif,{x},30,250\n" for i in (1, 2) for x in (20, 70)))
    rc, out, err = run_cli(capsys, [
        "ingest", log, "--format", "fixations", "--coords", "stimulus", "--screen-px", "1920x1080",
        "--screen-cm", "53.1x29.9", "--distance-cm", "65", "--sigma-px", "5", "--stimuli", tmp_path / "stim",
        "--out", tmp_path / "ds", "--quiet"])
    assert rc == 0, err
    # x=70 lies on an 80-wide image: no row is quarantined (with the turned 60x80 size, both x=70 rows were)
    with open(tmp_path / "ds" / "quarantine.csv", newline="") as fh:
        assert list(csv.DictReader(fh)) == []
    m = cv2.imread(str(tmp_path / "ds" / "maps" / "t.png"), cv2.IMREAD_UNCHANGED)
    assert m.shape == (H, W)  # 60 rows x 80 columns, as decode and predict read the image
    # the two fixation spots sit on row 30 at columns 20 and 70 of the stored pixels
    cols = m[30].astype(float)
    assert abs(int(np.argmax(cols[:45])) - 20) <= 1 and abs(45 + int(np.argmax(cols[45:])) - 70) <= 1
    assert m[30, 20] == m[:, 20].max() > m[:, 20].min() and m[30, 70] == m[:, 70].max() > m[:, 70].min()


@pytest.mark.parametrize("tag", [1, 3, 5, 6, 7, 8])
def test_decoded_size_is_the_stored_size_whatever_the_tag(tmp_path, tag):
    _tiff(tmp_path / "t.tif", tag)
    assert decoded_size(tmp_path / "t.tif") == (W, H)

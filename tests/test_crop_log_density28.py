"""crop --maps reads the log-density .npy that `saliency predict --log-density` writes (eval reads them too): the
crop of a log-density is the crop of its density. It was refused as 'contains negative values'.

Oracle: the same map given as its density (exp of the log-density, a plain non-negative .npy): identical boxes.
"""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from cli_fakes import run_cli


def test_crop_of_a_log_density_is_the_crop_of_its_density(tmp_path, capsys):
    h, w = 60, 120
    images, ld, dens = tmp_path / "img", tmp_path / "ld", tmp_path / "dens"
    for d in (images, ld, dens):
        d.mkdir()
    Image.fromarray(np.full((h, w, 3), 90, np.uint8)).save(images / "a.png")
    yy, xx = np.mgrid[0:h, 0:w]
    logp = -((xx - 95.0) ** 2 + (yy - 30.0) ** 2) / (2 * 8.0 ** 2)  # a spot near the right edge
    logp -= np.log(np.exp(logp).sum())
    np.save(ld / "a.npy", logp)
    np.save(dens / "a.npy", np.exp(logp))
    boxes = []
    for maps in (ld, dens):
        out = tmp_path / f"crop_{maps.name}"
        rc, _, err = run_cli(capsys, ["crop", "--images", images, "--maps", maps, "--aspect", "1:1", "--out", out,
                                      "--quiet"])
        assert rc == 0, err
        boxes.append(json.loads((out / "crops.json").read_text()))
    a, b = (x["boxes"]["a"]["crop"] for x in boxes)
    assert a == b and a["x"] == 60  # the square holding the spot at x 95: the right half

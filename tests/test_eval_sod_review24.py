"""A 1-pixel SOD mask: refused in one line, or skipped with its reason under --allow-missing.

Fan et al. (IJCAI 2018) define the E-measure as a mean of enhanced alignment
values in [0, 1]; PySODMetrics 1.6.2 divides by ``pixels - 1 + eps``, so a
1x1 mask scored about 2.25e15 and outweighed every other image in Emax/Emean.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from saliency.cli import main
from tests.image_fakes import sod_folders


def _pairs(tmp_path):
    box = np.zeros((40, 60), np.uint8)
    box[10:30, 20:40] = 255
    return sod_folders(tmp_path, {"a": box, "b": np.full((1, 1), 255, np.uint8)})


def test_a_one_pixel_mask_is_refused_in_one_line(tmp_path, capsys):
    gt, pr = _pairs(tmp_path)
    assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", f"A={pr}", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"saliency eval: error: {gt / 'b.png'}: a mask of 1x1 pixel has no meaningful E-measure "
                   "(PySODMetrics scores a 1-pixel image ~1e15, outside [0, 1]); leave it out, or give "
                   "--allow-missing to skip it"]


def test_allow_missing_skips_it_and_the_e_measure_stays_in_its_range(tmp_path):
    gt, pr = _pairs(tmp_path)
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", f"A={pr}", "--allow-missing",
                 "--json", str(out), "--quiet"]) == 0
    (res,) = json.loads(out.read_text())["results"]
    m = res["metrics"]
    # the perfect prediction of the one scored 40x60 image, by PySODMetrics' closed form: every pixel aligns
    # (value 1), summed over n pixels and divided by n - 1 (eps 2.2e-16 below the tolerance): 2400 / 2399
    assert m["Emax"] == pytest.approx(2400 / 2399, rel=1e-12) and m["MAE"] == 0.0
    assert [s["image"] for s in res["skipped_images"]] == ["b"]


def test_the_skip_reason_gives_no_advice_to_give_the_option_given(tmp_path):
    """Review 26: the recorded reason said "give allow_missing to skip it" (the option given, in its library name)."""
    gt, pr = _pairs(tmp_path)
    out = tmp_path / "r.json"
    assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", f"A={pr}", "--allow-missing",
                 "--json", str(out), "--quiet"]) == 0
    (res,) = json.loads(out.read_text())["results"]
    assert res["skipped_images"] == [{"image": "b", "reason": f"{gt / 'b.png'}: a mask of 1x1 pixel has no "
                                      "meaningful E-measure (PySODMetrics scores a 1-pixel image ~1e15, outside "
                                      "[0, 1])"}]

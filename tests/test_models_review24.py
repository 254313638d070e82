"""Review 24: `saliency export` checks a coarse-to-fine model at a second size with enough cells."""

from __future__ import annotations

import pytest

from saliency.models import export as ex

pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("size, second", [
    # 70 wide, 80 high: ceil(70/64) x ceil(80/64) = 2 x 2 cells = top_k 4; 51 wide would leave 1 x 2 = 2 cells,
    # so the check runs 19 px wider (89: 2 columns) and 37 px taller (117: 2 rows)
    ((80, 70), (117, 89)),
    # 320 x 320: 5 x 5 cells; 301 wide keeps 5 columns: the usual narrower check size
    ((320, 320), (357, 301)),
])
def test_c2f_export_checks_a_second_size_with_enough_cells(tmp_path, monkeypatch, size, second):
    seen = {}

    def fake_export(model, path, height, width, opset=17):  # the graph itself is another test's (test_models_onnx)
        open(path, "wb").close()
        return path

    def fake_check(model, path, sizes, seed=0):
        seen["sizes"] = tuple(sizes)
        for h, w in sizes:  # every size the check runs at must be one the traced graph can take
            ex.check_fixed_cells(model, h, w)
        return 0.0

    monkeypatch.setattr(ex, "export_onnx", fake_export)
    monkeypatch.setattr(ex, "check_onnx", fake_check)
    h, w = size
    res = ex.export_checkpoint(tmp_path / "c.onnx", model="c2f_tiny_cbam_sod", height=h, width=w)
    assert seen["sizes"] == (size, second) == res.check_sizes

"""Fresh-clone CI (stop 29): on a CUDA build of torch without triton, importing ``torch.utils.flop_counter`` logs
"triton not found; flop counting will not work for triton kernels" on stderr; the models imported it at import, so
``saliency predict`` printed that line beside its own message (test_interrupt saw two lines). It is imported only
when MACs are counted, its warning silenced."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_models_and_predict_does_not_import_the_flop_counter():
    code = ("import sys, saliency.models, saliency.predict, saliency.models.coarse_to_fine; "
            "print('torch.utils.flop_counter' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
    assert "triton not found" not in out.stderr, out.stderr


def test_macs_are_still_counted():
    import torch

    from saliency.models.macs import count_macs

    conv = torch.nn.Conv2d(3, 4, 3, padding=1, bias=False)
    # hand-worked: each of the 4 x 8 x 8 outputs takes 3 x 3 x 3 multiply-adds
    assert count_macs(conv, 8, 8) == 4 * 8 * 8 * 27

"""Packaging and the error boundary (review 22 of the house rules).

1. ``saliency export`` without the optional ``onnx`` package: PyTorch's exporter raised its own
   OnnxExporterError, printed as "unexpected ... report it", exit 1; now one line saying what to install, exit 2.
2. ``python -m saliency`` from a checkout that was never installed: every command said "unexpected
   ModuleNotFoundError: No module named 'saliency.eval' ... report it"; the folders eval/, data_tools/, models/
   become saliency.* only on installation, so the line now says to install, exit 2.

Oracles: the exact lines and exit codes, and that nothing is written.
"""

from __future__ import annotations

import importlib.util

import pytest

from saliency.cli import classify, main


def test_export_without_the_onnx_package_is_one_line_naming_what_to_install(tmp_path, capsys, monkeypatch):
    import sys

    for name in [m for m in sys.modules if m == "onnx" or m.startswith("onnx.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ModuleNotFoundError, as when not installed
    out = tmp_path / "m.onnx"
    code = main(["export", "--model", "unet_tiny_cbam_sod", "--onnx", str(out), "--no-check"])
    err = capsys.readouterr().err
    assert code == 2 and err == ("saliency export: error: ONNX export needs the onnx package, which is not installed: "
                                 "pip install onnx (or pip install -e .[onnx])\n")
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["saliency.eval", "saliency.data_tools.readers", "saliency.models"])
def test_a_checkout_run_without_installing_is_told_to_install(name):
    code, line = classify(ModuleNotFoundError(f"No module named {name!r}", name=name), str)
    assert code == 2 and line == (
        f"no module {name}: the toolkit is not installed (its eval/, data_tools/ and models/ folders become "
        "saliency.eval, .data_tools, .models on installation); run make install, or pip install -e .")


def test_another_missing_module_is_still_unexpected():
    code, line = classify(ModuleNotFoundError("No module named 'foo'", name="foo"), str)
    assert code == 1 and line.startswith("unexpected ModuleNotFoundError: No module named 'foo'")

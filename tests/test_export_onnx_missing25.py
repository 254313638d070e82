"""Review 25: an onnx package that is installed but fails to import stops ``saliency export`` in one line, exit 2.

``importlib.util.find_spec`` saw the package and the export went on to
PyTorch's exporter, whose own error reached the user as "unexpected
OnnxExporterError ... report it", exit 1.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

from saliency.cli import main


class _Broken(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``onnx`` and fails while executing it, as a package with a broken dependency does."""

    def find_spec(self, name, path=None, target=None):
        return importlib.machinery.ModuleSpec(name, self) if name == "onnx" else None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise ImportError("libprotobuf.so.32: cannot open shared object file")


def _hide_onnx(monkeypatch):
    for name in [m for m in sys.modules if m == "onnx" or m.startswith("onnx.")]:
        monkeypatch.delitem(sys.modules, name)


def test_an_onnx_that_fails_to_import_is_one_line(tmp_path, monkeypatch, capsys):
    _hide_onnx(monkeypatch)
    monkeypatch.setattr(sys, "meta_path", [_Broken(), *sys.meta_path])
    out = tmp_path / "m.onnx"
    assert main(["export", "--model", "unet_tiny_cbam_sod", "--onnx", str(out), "--size", "64"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "saliency export: error: ONNX export needs the onnx package, which fails to import (libprotobuf.so.32: "
        "cannot open shared object file): pip install onnx (or pip install -e .[onnx])"]
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_missing_onnx_is_named_as_not_installed(tmp_path, monkeypatch, capsys):
    _hide_onnx(monkeypatch)
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ModuleNotFoundError, name 'onnx'
    out = tmp_path / "m.onnx"
    assert main(["export", "--model", "unet_tiny_cbam_sod", "--onnx", str(out), "--size", "64"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "saliency export: error: ONNX export needs the onnx package, which is not installed: pip install onnx "
        "(or pip install -e .[onnx])"]
    assert not out.exists()


class _BrokenOrt(_Broken):
    """Finds ``onnxruntime`` and fails while executing it."""

    def find_spec(self, name, path=None, target=None):
        return importlib.machinery.ModuleSpec(name, self) if name == "onnxruntime" else None

    def exec_module(self, module):
        raise ImportError("libonnxruntime.so.1: cannot open shared object file")


def test_an_onnxruntime_that_fails_to_import_is_named_not_called_missing(tmp_path, monkeypatch, capsys):
    from saliency.onnx_runtime import _ort
    from saliency.base.errors import UserError

    for name in [m for m in sys.modules if m == "onnxruntime" or m.startswith("onnxruntime.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_BrokenOrt(), *sys.meta_path])
    out = tmp_path / "m.onnx"
    assert main(["export", "--model", "unet_tiny_cbam_sod", "--onnx", str(out), "--size", "64"]) == 0
    assert capsys.readouterr().err.strip().endswith(
        "; not checked: onnxruntime fails to import (libonnxruntime.so.1: cannot open shared object file)")
    assert out.is_file()
    try:
        _ort()
        raise AssertionError("no UserError")
    except UserError as exc:
        assert str(exc) == ("runtime onnx needs the onnxruntime package, which fails to import (libonnxruntime.so.1: "
                            "cannot open shared object file): pip install onnxruntime")

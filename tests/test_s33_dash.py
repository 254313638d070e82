"""``-`` as a file output is standard output to a Unix user, and no file output of ours goes there.

Before, ``saliency models --out -`` and ``saliency export --onnx -`` wrote a
file named ``-`` in the current folder, unsaid (``eval --json -`` was already
refused). Now every file output refuses ``-`` in one line, exit 2, and
``./-`` still names a file called ``-``.
"""

from __future__ import annotations

import pytest
from cli_fakes import refusal, run_cli

from saliency.base.errors import UserError
from saliency.base.fsutil import check_out_file


@pytest.mark.parametrize("argv,flag", [
    (["models", "--names-only", "--out", "-"], "--out"),
    (["export", "--model", "unet_tiny_none_sod", "--size", "32", "--onnx", "-"], "--onnx"),
])
def test_file_outputs_refuse_dash(tmp_path, capsys, monkeypatch, argv, flag):
    monkeypatch.chdir(tmp_path)
    line = refusal(*run_cli(capsys, argv))
    assert line.startswith(f"saliency {argv[0]}: error: {flag} -: standard output is not a file output"), line
    assert "./-" in line, line
    assert list(tmp_path.iterdir()) == []


def test_dot_slash_dash_is_a_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(capsys, ["models", "--names-only", "--out", "./-"])
    assert rc == 0, err
    assert (tmp_path / "-").read_text(encoding="utf-8").split() == out.split()


def test_library_names_the_parameter():
    with pytest.raises(UserError, match=r"^`?onnx`? -: standard output"):
        check_out_file("-", "onnx")
    assert check_out_file("./-").name == "-"


def test_export_dot_slash_dash_is_a_file(tmp_path, capsys, monkeypatch):
    """``./-`` reaches the writer as ``Path("./-")``, which prints as ``-``: still a file, not standard output."""
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(capsys, ["export", "--model", "unet_tiny_none_sod", "--size", "32", "--no-check",
                                    "--onnx", "./-"])
    assert rc == 0, err
    assert (tmp_path / "-").read_bytes()[:1] == b"\x08"  # an ONNX ModelProto: field 1 (ir_version), varint
    assert "wrote -" in out

"""Review stop 26: a bad folder in an ``eval --config`` entry is named as the file's entry, not as an option.

Found in review: ``datasets: {mine: {gt: nowhere}}`` was refused as ``--gt nowhere: folder not found`` (and a
published ``root`` as ``--root``): options the user never typed, with neither the file nor the entry named.
Oracle: the one-line convention, the message written out by hand.
"""

from __future__ import annotations

import pytest

from cli_fakes import refusal, run_cli


@pytest.mark.parametrize("task, entry, line", [
    ("fixation", "{mine: {gt: nowhere}}", "dataset mine: gt {d}/nowhere: folder not found"),
    ("sod", "{m: {gt: nowhere}}", "dataset m: gt {d}/nowhere: folder not found"),
    ("fixation", "{OSIE: {root: nowhere}}", "dataset OSIE: root {d}/nowhere: folder not found"),
], ids=["fixation-gt", "sod-gt", "published-root"])
def test_a_config_entry_folder_is_named_as_the_entry(tmp_path, capsys, task, entry, line):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"task: {task}\ndatasets: {entry}\nmethods: {{G: pred}}\n")
    (tmp_path / "pred").mkdir()
    got = refusal(*run_cli(capsys, ["eval", "--config", cfg]))
    assert got == f"saliency eval: error: --config {cfg}: " + line.format(d=tmp_path)


def test_a_mask_entry_is_named_mask(tmp_path, capsys):
    """``mask:`` is read as ``gt:``; its error named ``gt``, a key the file does not have."""
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("task: sod\ndatasets: {m: {mask: nowhere}}\nmethods: {G: pred}\n")
    (tmp_path / "pred").mkdir()
    got = refusal(*run_cli(capsys, ["eval", "--config", cfg]))
    assert got == f"saliency eval: error: --config {cfg}: dataset m: mask {tmp_path}/nowhere: folder not found"

"""Review R10: a file output is checked again at its rename, never replaced when it appeared or changed meanwhile.

``atomic_path`` and ``atomic_files`` renamed onto whatever was at the target by then: a user's file written by
hand while ``saliency export --onnx m2.onnx`` or ``saliency eval --json e2.json`` ran was replaced (exit 0,
"wrote m2.onnx"), and two exports to one new file both "wrote" it. Now the state found at the start (or by the
command's own ``check_replaceable``) must still be there at the rename; a target absent at the start is placed
through a hard link, which fails when a file appeared in between.

Oracles: the user's bytes read back, the exact one-line message, what is (not) on disk, exit codes.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from cli_fakes import refusal, run_cli
from saliency.base import fsutil
from saliency.base.errors import UserError
from saliency.base.fsutil import atomic_files, atomic_path, check_replaceable

MINE = b"my own model notes\n"


def _msg(target, why: str) -> str:
    return (f"{target}: {why} while this command ran (another run with the same output, or a person); nothing was "
            "replaced and this run's result was not kept; run again (with overwrite to replace it)")


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------ atomic_path
def test_a_file_appearing_during_the_write_is_kept(tmp_path):
    target = tmp_path / "m2.onnx"
    with pytest.raises(UserError) as exc:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"the model")
            target.write_bytes(MINE)  # a person, while the command runs
    assert str(exc.value) == _msg(target, "appeared")
    assert target.read_bytes() == MINE and _names(tmp_path) == ["m2.onnx"]  # no temporary file left


def test_a_file_changed_during_the_write_is_kept(tmp_path):
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old model, same size")
    with pytest.raises(UserError) as exc:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"the model")
            target.write_bytes(MINE)
    assert str(exc.value) == _msg(target, "changed")
    assert target.read_bytes() == MINE and _names(tmp_path) == ["m.onnx"]


def test_a_file_put_in_place_of_the_old_one_is_kept(tmp_path):
    """Same size and content, another file (inode): not what was checked."""
    target = tmp_path / "m.onnx"
    target.write_bytes(MINE)
    with pytest.raises(UserError, match="changed while this command ran"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"the model")
            other = tmp_path / "other"
            other.write_bytes(MINE)
            os.replace(other, target)
    assert target.read_bytes() == MINE and _names(tmp_path) == ["m.onnx"]


def test_two_writers_of_one_new_file_the_second_is_refused(tmp_path):
    """Two exports to one new file at once: the first to finish writes it, the other says so and writes nothing."""
    target = tmp_path / "m.onnx"
    with pytest.raises(UserError) as exc:
        with atomic_path(target) as tmp_a:
            tmp_a.write_bytes(b"A")
            with atomic_path(target) as tmp_b:
                tmp_b.write_bytes(b"B")
    assert str(exc.value) == _msg(target, "appeared")
    assert target.read_bytes() == b"B" and _names(tmp_path) == ["m.onnx"]


def test_a_file_appearing_right_before_the_link_is_kept(tmp_path, monkeypatch):
    """The last check passed (nothing there), then a file appears before the placing: the hard link fails."""
    target = tmp_path / "e.json"
    link = os.link

    def late_person(src, dst, *a, **k):
        Path(dst).write_bytes(MINE)
        return link(src, dst, *a, **k)

    monkeypatch.setattr(fsutil.os, "link", late_person)
    with pytest.raises(UserError, match="appeared while this command ran"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"{}")
    assert target.read_bytes() == MINE and _names(tmp_path) == ["e.json"]


def test_normal_writes_are_unchanged(tmp_path):
    target = tmp_path / "sub" / "t.txt"
    with atomic_path(target) as tmp:  # absent: written, folders made
        tmp.write_text("one")
    assert target.read_text() == "one" and _names(target.parent) == ["t.txt"]
    assert target.stat().st_nlink == 1 and target.stat().st_mode & 0o777 == 0o666 & ~fsutil._umask()
    with atomic_path(target) as tmp:  # existing and untouched meanwhile: replaced
        tmp.write_text("two")
    assert target.read_text() == "two" and _names(target.parent) == ["t.txt"]


def test_no_hard_links_falls_back_to_a_rename(tmp_path, monkeypatch):
    def no_links(src, dst, *a, **k):
        raise OSError(errno.EPERM, "Operation not permitted", src, None, dst)  # as on FAT

    monkeypatch.setattr(fsutil.os, "link", no_links)
    target = tmp_path / "t.txt"
    fsutil.write_text(target, "hello")
    assert target.read_text() == "hello" and _names(tmp_path) == ["t.txt"]


def test_checked_state_is_what_the_rename_expects(tmp_path):
    """A command's check at its start (check_replaceable) is the state the later write may replace."""
    target = tmp_path / "t.md"
    check_replaceable(target, "out", lambda p: True, "a table")  # absent at the start of the command
    target.write_bytes(MINE)  # the long part of the command runs; a person writes the file
    with pytest.raises(UserError, match="appeared while this command ran"):
        fsutil.write_text(target, "table")
    assert target.read_bytes() == MINE
    fsutil.write_text(target, "table")  # the check was used once: a later write of this process proceeds
    assert target.read_text() == "table"


# ------------------------------------------------------------------ atomic_files
def test_atomic_files_one_written_meanwhile_keeps_all(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.json"
    with pytest.raises(UserError) as exc:
        with atomic_files() as path:
            path(a).write_text("new a")
            path(b).write_text("new b")
            b.write_bytes(MINE)
    assert str(exc.value) == _msg(b, "appeared")
    assert b.read_bytes() == MINE and _names(tmp_path) == ["b.json"]  # a.csv not placed either


def test_atomic_files_a_link_taken_back_when_a_later_one_fails(tmp_path, monkeypatch):
    """The first new file is placed, the second meets a file appearing at its link: the first is taken back."""
    a, b = tmp_path / "a.csv", tmp_path / "b.json"
    link = os.link

    def late_person(src, dst, *args, **k):
        if str(dst).endswith("b.json"):
            Path(dst).write_bytes(MINE)
        return link(src, dst, *args, **k)

    monkeypatch.setattr(fsutil.os, "link", late_person)
    with pytest.raises(UserError, match="appeared while this command ran"):
        with atomic_files() as path:
            path(a).write_text("new a")
            path(b).write_text("new b")
    assert b.read_bytes() == MINE and _names(tmp_path) == ["b.json"]


def test_atomic_files_normal(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.json"
    b.write_text("old b")
    with atomic_files() as path:
        path(a).write_text("new a")
        path(b).write_text("new b")
    assert a.read_text() == "new a" and b.read_text() == "new b" and _names(tmp_path) == ["a.csv", "b.json"]


# ------------------------------------------------------------------ the command line: eval --json
def _data(tmp_path):
    import cv2
    import numpy as np

    gt, pred = tmp_path / "gt", tmp_path / "p"
    gt.mkdir()
    pred.mkdir()
    for i in range(2):
        m = np.zeros((20, 24), np.uint8)
        m[5:15, 6 + i:18] = 255
        cv2.imwrite(str(gt / f"im{i}.png"), m)
        cv2.imwrite(str(pred / f"im{i}.png"), cv2.GaussianBlur(m, (0, 0), 2))
    return gt, pred


def _eval_writing_by_hand(tmp_path, capsys, monkeypatch, out: Path, *extra):
    """``saliency eval --json OUT`` while a person writes OUT during the scoring."""
    from saliency.eval import benchmark

    gt, pred = _data(tmp_path)
    scored = benchmark.run

    def person_meanwhile(*a, **k):
        out.write_bytes(MINE)
        return scored(*a, **k)

    monkeypatch.setattr(benchmark, "run", person_meanwhile)
    return run_cli(capsys, ["eval", "--quiet", "--task", "sod", "--metrics", "Fmax", "--gt", gt, "--name", "ds",
                            "--pred", f"m={pred}", "--json", out, *extra])


def test_eval_json_written_by_hand_mid_run_is_kept(tmp_path, capsys, monkeypatch):
    out = tmp_path / "e2.json"
    rc, _, err = _eval_writing_by_hand(tmp_path, capsys, monkeypatch, out)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and "Traceback" not in err
    assert lines[0] == "saliency eval: error: " + _msg(out, "appeared").replace("with overwrite", "with --overwrite")
    assert out.read_bytes() == MINE


def test_eval_json_changed_mid_run_is_kept_even_with_overwrite(tmp_path, capsys, monkeypatch):
    out = tmp_path / "e2.json"
    out.write_text("an older file of the user's\n")
    rc, _, err = _eval_writing_by_hand(tmp_path, capsys, monkeypatch, out, "--overwrite")
    assert rc == 2 and "changed while this command ran" in err and out.read_bytes() == MINE


def test_eval_json_existing_with_overwrite_is_replaced(tmp_path, capsys):
    import json

    gt, pred = _data(tmp_path)
    out = tmp_path / "e.json"
    out.write_bytes(MINE)
    argv = ["eval", "--quiet", "--task", "sod", "--metrics", "Fmax", "--gt", gt, "--name", "ds", "--pred",
            f"m={pred}", "--json", out]
    line = refusal(*run_cli(capsys, argv))  # not its own output: refused at the start as before
    assert "exists and is not" in line and out.read_bytes() == MINE
    rc, _, err = run_cli(capsys, argv + ["--overwrite"])
    assert rc == 0, err
    assert "Fmax" in json.dumps(json.loads(out.read_text()))


def test_export_onnx_written_by_hand_while_the_network_loads_is_kept(tmp_path, capsys, monkeypatch):
    # export checks its --onnx before loading the network; a file written in that gap counted as "there at the
    # start" of the write and was replaced (left undone above, closed by fsutil.note_checked)
    from cli_fakes import refusal, run_cli
    from saliency.models import registry

    out = tmp_path / "m.onnx"
    real = registry.create_model

    def slow_create(*args, **kwargs):
        out.write_text("my own model notes")  # a person (or another export) writes the file meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(registry, "create_model", slow_create)
    line = refusal(*run_cli(capsys, ["export", "--model", "unet_tiny_cbam_sod", "--onnx", out, "--no-check"]))
    assert "appeared" in line and str(out) in line, line
    assert out.read_text() == "my own model notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no temp file left


def test_two_outputs_alike_as_text_after_dotdot_are_two_files(tmp_path, capsys, monkeypatch):
    # regression review RR6: the recorded states were keyed by os.path.abspath, which takes `lnk/../r.json` as
    # `r.json`; with lnk a link to realdir/sub, --json lnk/../r.json (realdir/r.json) and --csv r.json (./r.json)
    # shared one key, and a rerun onto both existing files was refused "changed while this command ran", even with
    # --overwrite
    import cv2
    import numpy as np

    from cli_fakes import run_cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "realdir" / "sub").mkdir(parents=True)
    (tmp_path / "lnk").symlink_to(tmp_path / "realdir" / "sub")
    for folder in ("gt", "pred"):
        (tmp_path / folder).mkdir()
        mask = np.zeros((8, 8), np.uint8)
        mask[2:6, 2:6] = 255
        assert cv2.imwrite(str(tmp_path / folder / "a.png"), mask)
    argv = ["eval", "--task", "sod", "--pred", "m=pred", "--gt", "gt", "--metrics", "MAE", "--no-progress",
            "--quiet", "--json", "lnk/../r.json", "--csv", "r.json"]
    for extra in ([], [], ["--overwrite"]):  # the first run writes both; the reruns replace their own outputs
        rc, _, err = run_cli(capsys, argv + extra)
        assert rc == 0, err
    assert (tmp_path / "realdir" / "r.json").read_text().lstrip().startswith("{")  # the JSON, in realdir
    assert not (tmp_path / "r.json").read_text().lstrip().startswith("{")  # the CSV, here

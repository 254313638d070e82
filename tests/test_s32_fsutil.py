"""Review s32 (fsutil): a replaced output keeps its mode and group; a mount point is refused before the work; a file
output given with a trailing separator (a folder's name) is refused, not written as a plain file."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from cli_fakes import refusal, run_cli
from saliency.base import fsutil
from saliency.base.errors import UserError

SYNTH = ["synth", "--scenes", "2", "--subjects", "1", "--size", "160x120", "--seed", "1", "--quiet"]


def _other_group() -> int | None:
    """A group, not this process's own, that it may give its files (root: any; else a supplementary one)."""
    mine = os.getegid()
    if os.geteuid() == 0:
        return 1 if mine != 1 else 2
    return next((g for g in os.getgroups() if g != mine), None)


def _share(path: Path, mode: int) -> int:
    """Give ``path`` ``mode`` and (where this user may) another group, as a person sharing it would; its gid."""
    gid = _other_group()
    if gid is not None:
        os.chown(path, -1, gid)
    os.chmod(path, mode)
    return path.stat().st_gid


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------ 1. a replaced output keeps its mode and group
def test_synth_into_a_shared_empty_folder_keeps_its_mode_and_group(tmp_path, capsys):
    # `chmod 2770; chgrp daemon` on an empty --out: the folder swapped in was drwxr-xr-x in root's group
    out = tmp_path / "shared1"
    out.mkdir()
    gid = _share(out, 0o2770)
    rc, _, err = run_cli(capsys, SYNTH + ["--out", out])
    assert rc == 0, err
    assert _mode(out) == 0o2770 and out.stat().st_gid == gid
    assert (out / "study.json").stat().st_gid == gid  # made inside a set-group-ID folder: its group
    assert (out / "logs").stat().st_gid == gid and _mode(out / "logs") & stat.S_ISGID
    rc, _, err = run_cli(capsys, SYNTH + ["--out", out, "--overwrite"])  # its own output, replaced: the same
    assert rc == 0, err
    assert _mode(out) == 0o2770 and out.stat().st_gid == gid
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing left beside it


def test_a_new_folder_output_is_an_ordinary_folder(tmp_path, capsys):
    out = tmp_path / "new"
    rc, _, err = run_cli(capsys, SYNTH + ["--out", out])
    assert rc == 0, err
    assert _mode(out) == 0o777 & ~fsutil._umask() and out.stat().st_gid == os.getegid()


def test_models_out_rewritten_keeps_a_private_mode_and_group(tmp_path, capsys):
    # a report made 600 (or 640) came back 644 in root's group: a private output world-readable
    out = tmp_path / "t.md"
    argv = ["models", "--names-only", "--out", out]
    assert run_cli(capsys, argv)[0] == 0
    assert _mode(out) == 0o666 & ~fsutil._umask()  # a new file: an ordinary one, as before
    for mode in (0o600, 0o640):
        gid = _share(out, mode)
        rc, _, err = run_cli(capsys, argv)
        assert rc == 0, err
        assert _mode(out) == mode and out.stat().st_gid == gid


def _eval_data(tmp_path):
    import cv2
    import numpy as np

    gt, pred = tmp_path / "gt", tmp_path / "p"
    for folder in (gt, pred):
        folder.mkdir()
        m = np.zeros((20, 24), np.uint8)
        m[5:15, 6:18] = 255
        assert cv2.imwrite(str(folder / "im0.png"), m)
    return ["eval", "--quiet", "--task", "sod", "--metrics", "MAE", "--gt", gt, "--name", "ds", "--pred",
            f"m={pred}"]


def test_eval_json_and_csv_replaced_keep_their_mode_and_group(tmp_path, capsys):
    argv = _eval_data(tmp_path)
    j, c = tmp_path / "e1.json", tmp_path / "e1.csv"
    j.write_text("{}")
    c.write_text("mine\n")
    gj, gc = _share(j, 0o600), _share(c, 0o640)
    rc, _, err = run_cli(capsys, argv + ["--json", j, "--csv", c, "--overwrite"])
    assert rc == 0, err
    assert "MAE" in json.dumps(json.loads(j.read_text()))  # replaced ...
    assert (_mode(j), j.stat().st_gid, _mode(c), c.stat().st_gid) == (0o600, gj, 0o640, gc)  # ... kept private


def test_move_aside_leaves_a_folder_with_the_old_mode_and_group(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "a.txt").write_text("x")
    gid = _share(run, 0o2750)
    aside = fsutil.move_aside(run)
    assert list(run.iterdir()) == [] and (aside / "a.txt").read_text() == "x"
    assert _mode(run) == 0o2750 and run.stat().st_gid == gid


# ------------------------------------------------------------------ 2. a mount point is refused up front
@pytest.fixture
def mount_point(tmp_path, monkeypatch):
    """An empty folder ``wmnt`` that ``os.path.ismount`` takes for a mount point (nothing is mounted)."""
    wmnt = tmp_path / "wmnt"
    wmnt.mkdir()
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: os.path.realpath(p) == str(wmnt.resolve()) or real(p))
    return wmnt


def test_synth_out_a_mount_point_is_refused_before_the_work(tmp_path, capsys, monkeypatch, mount_point):
    monkeypatch.chdir(tmp_path)
    before = os.stat(mount_point).st_ino
    line = refusal(*run_cli(capsys, SYNTH + ["--out", "wmnt"]))
    assert line == ("saliency synth: error: --out wmnt: is a mount point, which cannot be replaced; give a folder "
                    "inside it")
    assert os.stat(mount_point).st_ino == before and list(mount_point.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wmnt"]  # no staging folder left
    rc, _, err = run_cli(capsys, SYNTH + ["--out", "wmnt/study"])  # a folder inside it is fine
    assert rc == 0, err
    assert (mount_point / "study" / "study.json").is_file()


def test_library_mount_point_checks(mount_point):
    with pytest.raises(UserError, match=r"^out .*wmnt: is a mount point"):
        fsutil.check_out_dir(mount_point, overwrite=False)
    with pytest.raises(UserError, match=r"^log_density .*wmnt: is a mount point"):
        with fsutil.staged_dir(mount_point, "log_density"):
            pytest.fail("the work started")
    # train (own_only=False) fills an empty run folder in place, which a mount point allows ...
    assert fsutil.check_out_dir(mount_point, overwrite=True, own_only=False) == mount_point
    # ... but sets a non-empty one aside by renaming it: refused before training
    (mount_point / "config.yaml").write_text("a: 1\n")
    with pytest.raises(UserError, match="is a mount point"):
        fsutil.check_out_dir(mount_point, overwrite=True, own_only=False)
    with pytest.raises(UserError, match=r"^folder .*wmnt: is a mount point"):
        fsutil.move_aside(mount_point)
    assert [p.name for p in mount_point.iterdir()] == ["config.yaml"]


# ------------------------------------------------------------------ 3. a file output ending in a separator
def test_models_out_with_a_trailing_slash_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = refusal(*run_cli(capsys, ["models", "--names-only", "--out", "mout/"]))
    assert line == "saliency models: error: --out mout/: names a folder (it ends in /); give a file name"
    assert list(tmp_path.iterdir()) == []  # no file `mout`


@pytest.mark.parametrize("param", ["json", "csv", "latex"])
def test_eval_file_output_with_a_trailing_slash_is_refused(tmp_path, capsys, monkeypatch, param):
    argv = _eval_data(tmp_path)
    monkeypatch.chdir(tmp_path)
    line = refusal(*run_cli(capsys, argv + [f"--{param}", "results/"]))
    assert line == f"saliency eval: error: --{param} results/: names a folder (it ends in /); give a file name"
    assert not (tmp_path / "results").exists()


def test_library_writers_refuse_a_trailing_separator(tmp_path):
    target = str(tmp_path / "results") + os.sep
    with pytest.raises(UserError, match=r"names a folder \(it ends in .\); give a file name$"):
        fsutil.write_text(target, "x")
    with pytest.raises(UserError, match=r"^onnx .*results.: names a folder"):
        fsutil.check_out_file(target, "onnx")
    assert list(tmp_path.iterdir()) == []
    fsutil.write_text(tmp_path / "results", "x")  # the same name without it: a file, as before
    assert (tmp_path / "results").read_text() == "x"


@pytest.mark.parametrize("tail", [".", ".."])
def test_a_file_output_ending_in_a_dot_component_names_a_folder(tmp_path, capsys, tail):
    """`--json results/.` wrote a plain file `results` (Path drops the dot); `nd/..` failed as 'appeared while this
    command ran'. Both name a folder: refused in one line before anything is written (review RR2)."""
    raw = os.path.join(str(tmp_path / "results"), tail)
    with pytest.raises(UserError, match=rf"names a folder \(it ends in {re.escape(tail)}\); give a file name$"):
        fsutil.write_text(raw, "x")
    assert list(tmp_path.iterdir()) == []
    line = refusal(*run_cli(capsys, ["models", "--names-only", "--out", raw]))
    assert line.endswith(f"names a folder (it ends in {tail}); give a file name"), line
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "sub").mkdir()  # a dot component inside the path, not at its end, is fine
    fsutil.write_text(os.path.join(str(tmp_path / "sub"), "..", "kept.txt"), "x")
    assert (tmp_path / "kept.txt").read_text() == "x"

"""Review s32 leftovers (F8).

1. ``export --onnx onnxdir/`` wrote a plain file ``onnxdir`` (exit 0): the argument became a ``Path`` (the
   trailing separator dropped) before ``check_out_file`` saw it. Oracle: the refusal line every other file output
   gives, exit 2, nothing written.
2. ``train --overwrite`` over a run folder the user made private or shared (``chmod 2750``, another group) gave the
   new run folder the umask's mode (0755 in the user's group). Oracle: the mode and group set by hand before.
3. ``demo --seed`` help said it seeds "the split"; the held-out split is train's fixed one (data.split_seed 0).
"""

from __future__ import annotations

import os
import stat

import pytest

from cli_fakes import refusal, run_cli
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (autouse fixture)


def _other_group() -> int | None:
    """A group, not this process's own, that it may give its files (root: any; else a supplementary one)."""
    mine = os.getegid()
    if os.geteuid() == 0:
        return 1 if mine != 1 else 2
    return next((g for g in os.getgroups() if g != mine), None)


# ------------------------------------------------------------------ 1. export --onnx ending in a separator
def test_export_onnx_with_a_trailing_slash_is_refused_and_nothing_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = refusal(*run_cli(capsys, ["export", "--model", "unet_tiny_cbam_sod", "--no-check", "--size", "64",
                                     "--onnx", "onnxdir/", "--quiet"]))
    assert line == "saliency export: error: --onnx onnxdir/: names a folder (it ends in /); give a file name"
    assert list(tmp_path.iterdir()) == []  # no file `onnxdir`, no temporary left


# ------------------------------------------------------------------ 2. train --overwrite keeps the run's mode/group
def _train(data, run, *extra):
    return ["train", "--data", data, "--task", "sod", "--epochs", "1", "--out", run, "--set", "train.threads=1",
            *TINY_ARGS, *extra]


@pytest.mark.parametrize("mode", [0o2750, 0o700])
def test_train_overwrite_keeps_the_old_run_folders_mode(tmp_path, capsys, mode):
    data, run = make_sod(tmp_path / "d", n=6, seed=0), tmp_path / "run"
    rc, _, err = run_cli(capsys, _train(data, run))
    assert rc == 0, err
    assert stat.S_IMODE(run.stat().st_mode) != mode  # an ordinary folder: the set mode is the user's own
    os.chmod(run, mode)
    rc, _, err = run_cli(capsys, _train(data, run, "--overwrite"))
    assert rc == 0, err
    assert stat.S_IMODE(run.stat().st_mode) == mode, oct(run.stat().st_mode)
    assert (run / "metrics.csv").is_file()  # a new run in it
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # the old run set aside is gone


def test_train_overwrite_keeps_the_old_run_folders_group(tmp_path, capsys):
    gid = _other_group()
    if gid is None:
        pytest.skip("this user belongs to no group but its own")
    data, run = make_sod(tmp_path / "d", n=6, seed=0), tmp_path / "run"
    rc, _, err = run_cli(capsys, _train(data, run))
    assert rc == 0, err
    os.chown(run, -1, gid)  # before chmod: a chown by a user clears the set-group-ID bit
    os.chmod(run, 0o2770)
    rc, _, err = run_cli(capsys, _train(data, run, "--overwrite"))
    assert rc == 0, err
    assert run.stat().st_gid == gid and stat.S_IMODE(run.stat().st_mode) == 0o2770
    assert (run / "metrics.csv").stat().st_gid == gid  # made inside a set-group-ID folder: its group


# ------------------------------------------------------------------ 3. demo --seed does not reseed the split
def test_demo_seed_help_says_the_split_is_fixed(capsys):
    rc, out, err = run_cli(capsys, ["demo", "--help"])
    assert rc == 0, err
    text = " ".join(out.split())
    assert "the study, the split and the training" not in text
    assert "--seed SEED seed of the study and the training (default 1); the held-out split stays train's fixed " \
           "one (data.split_seed 0)" in text


def test_export_loser_of_an_overwrite_race_is_not_told_to_overwrite(tmp_path, monkeypatch):
    """`export --onnx m.onnx --overwrite` whose file another export replaced meanwhile: refused, the old advice 'run
    again (with `overwrite` ...)' was wrong for a run asked to overwrite (review F15)."""
    import pytest as _pytest

    from saliency.base.errors import UserError
    from saliency.models import export, registry

    out = tmp_path / "m.onnx"
    out.write_bytes(b"old")
    real = registry.create_model

    def racing(name):  # another export writes the file while this one builds its network
        out.write_bytes(b"another run's")
        return real(name)

    monkeypatch.setattr(registry, "create_model", racing)
    with _pytest.raises(UserError) as e:
        export.export_checkpoint(out, model="unet_tiny_cbam_sod", overwrite=True, check=False)
    assert "changed while this command ran" in str(e.value) and "overwrite" not in str(e.value), str(e.value)
    assert out.read_bytes() == b"another run's"  # nothing replaced

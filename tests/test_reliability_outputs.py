"""Issue 16: never destroy a user's files (links, inputs as outputs, --overwrite, interruption debris).

Every case runs the real command (in-process through ``saliency.cli.main``, or
as a subprocess with a real signal) on a small synthetic study.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from saliency.cli import main

from ingest_fakes import study  # noqa: F401 (a module fixture: a small synthetic study)

REPO = Path(__file__).resolve().parents[1]


def _one_line_error(capsys, code, rc):
    err = capsys.readouterr().err
    assert rc == code, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _copy_tree(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _old_run(folder: Path) -> dict:
    (folder / "checkpoints").mkdir(parents=True)
    for name in ("checkpoints/best.pt", "checkpoints/last.pt", "metrics.csv", "config.yaml"):
        (folder / name).write_text(f"old {name}\n")
    return _snapshot(folder)


def _debris(parent: Path) -> list[str]:
    # the mark a folder output carries (review finding 1: .saliency-output.json) is the output's, not debris
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".") and p.name != ".saliency-output.json")


# ------------------------------------------------------------------ links


def test_train_overwrite_through_a_linked_out_is_refused(study, tmp_path, capsys):
    """Finding 1: ``--out run --overwrite`` with ``run -> thesis/`` deleted the thesis; now one line, nothing touched."""
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "thesis.tex").write_text("\\chapter{mine}\n")
    (tmp_path / "run").symlink_to(thesis, target_is_directory=True)
    rc = main(["train", "--data", str(study), "--out", str(tmp_path / "run"), "--overwrite", "--epochs", "1",
               "--quiet", "--set", "data.size=[64,64]", "--device", "cpu"])  # 32x32 is refused as too small first
    err = _one_line_error(capsys, 2, rc)
    assert "--out" in err and "link" in err
    assert sorted(p.name for p in thesis.iterdir()) == ["thesis.tex"]
    assert (tmp_path / "run").is_symlink()


def test_synth_into_a_dangling_link_is_one_line_and_leaves_no_staging(tmp_path, capsys):
    """Finding 6: a dangling-link ``--out`` gave a traceback and left a staging folder."""
    (tmp_path / "out").symlink_to(tmp_path / "nowhere")
    rc = main(["synth", "--scenes", "2", "--subjects", "1", "--size", "160x120", "--out", str(tmp_path / "out"),
               "--quiet"])
    err = _one_line_error(capsys, 2, rc)
    assert "--out" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and not (tmp_path / "nowhere").exists()


def _checkpoint(tmp_path):
    import torch

    from saliency import models
    from saliency.checkpoint import save

    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_sod").eval()
    path = tmp_path / "sod.pt"
    save(path, {"config": m.config, "state_dict": m.state_dict(), "train_config": {"data": {"size": [32, 32]}}})
    return path


def test_predict_overwrite_replaces_out_whole_and_never_writes_through_links(study, tmp_path, capsys):
    """Finding 5/6: predict wrote straight into --out (old maps mixed in) and through a linked subfolder."""
    ck = _checkpoint(tmp_path)
    images = _copy_tree(study / "stimuli", tmp_path / "images")
    out = tmp_path / "out"
    argv = ["predict", "--checkpoint", str(ck), "--images", str(images), "--out", str(out), "--device", "cpu",
            "--quiet", "--overwrite"]
    # the stale map is predict's own earlier output, of an image since removed (review finding 1: a map put there
    # by hand, which --overwrite deleted, is now refused: tests/test_overwrite_ownership.py)
    (images / "gone.png").write_bytes((images / sorted(os.listdir(images))[0]).read_bytes())
    assert main(argv) == 0 and (out / "gone.png").is_file()
    (images / "gone.png").unlink()
    assert main(argv) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == sorted([".saliency-output.json",
                                                            *(p.stem + ".png" for p in images.iterdir())])
    assert _debris(tmp_path) == []
    # a linked subfolder inside --out: refused, its target untouched
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)
    err = _one_line_error(capsys, 2, main(argv))
    assert "--out" in err and "link" in err
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"] and (out / "sub").is_symlink()


def test_predict_runs_out_of_images_leaves_old_out_untouched(tmp_path, capsys):
    """predict stages: a run that fails (no decodable image) leaves the old --out as it was, and no debris."""
    ck = _checkpoint(tmp_path)
    images = tmp_path / "images"
    images.mkdir()
    (images / "bad.png").write_bytes(b"not a png")
    out = tmp_path / "out"
    # predict's own earlier output (marked): a folder of a.png alone is now refused before any work (review
    # finding 1), which would leave this test's failing run untried
    from saliency.base.fsutil import staged_dir

    with staged_dir(out) as stage:
        (stage / "a.png").write_bytes(b"old")
    before = _snapshot(out)
    rc = main(["predict", "--checkpoint", str(ck), "--images", str(images), "--out", str(out), "--device", "cpu",
               "--quiet", "--overwrite"])
    assert rc == 2
    assert "did not write" not in capsys.readouterr().err  # refused for its images, not for the folder
    assert _snapshot(out) == before and (out / "a.png").read_bytes() == b"old" and _debris(tmp_path) == []


def test_report_refuses_a_plot_linked_outside_the_plots_folder(tmp_path, capsys):
    """Finding 6 / deliverable 5: ``P/x.png -> secret.txt`` was copied into the report and embedded in the page."""
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    plots = tmp_path / "plots"
    plots.mkdir()
    ok, buf = cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))
    (plots / "pr.png").write_bytes(buf.tobytes())
    (plots / "x.png").symlink_to(secret)
    out = tmp_path / "report"
    err = _one_line_error(capsys, 2, main(["report", "--plots", str(plots), "--out", str(out)]))
    assert "--plots" in err and "x.png" in err
    assert not out.exists() or not any("hunter2" in p.read_text(errors="ignore") for p in out.rglob("*")
                                       if p.is_file())


def test_report_into_a_dangling_link_is_one_line(tmp_path, capsys):
    (tmp_path / "out").symlink_to(tmp_path / "nowhere")
    err = _one_line_error(capsys, 2, main(["report", "--out", str(tmp_path / "out")]))
    assert "--out" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ------------------------------------------------------------------ inputs as outputs


def test_ingest_out_equal_to_stimuli_is_refused(study, tmp_path, capsys):
    """Finding 3: ``ingest --stimuli D --out D --overwrite`` deleted the stimuli."""
    s = _copy_tree(study, tmp_path / "S")
    before = _snapshot(s)
    for out in (s / "stimuli", s, s / "stimuli" / "sub"):
        rc = main(["ingest", str(s / "logs" / "samples.csv"), "--stimuli", str(s / "stimuli"), "--geometry",
                   str(s / "screen.json"), "--out", str(out), "--overwrite", "--quiet"])
        err = _one_line_error(capsys, 2, rc)
        assert "--out" in err and "--stimuli" in err
    assert _snapshot(s) == before and _debris(s) == [] and _debris(s / "stimuli") == []


def test_predict_out_equal_to_images_is_refused(study, tmp_path, capsys):
    """Finding 3: ``predict --images D --out D --overwrite`` replaced every image by its map."""
    ck = _checkpoint(tmp_path)
    images = _copy_tree(study / "stimuli", tmp_path / "images")
    before = _snapshot(images)
    rc = main(["predict", "--checkpoint", str(ck), "--images", str(images), "--out", str(images), "--device", "cpu",
               "--quiet", "--overwrite"])
    err = _one_line_error(capsys, 2, rc)
    assert "--out" in err and "--images" in err
    assert _snapshot(images) == before


def test_crop_out_equal_to_images_is_refused(study, tmp_path, capsys):
    """Finding 3: ``crop --images D --out D --overwrite`` replaced the originals by crops."""
    images = _copy_tree(study / "stimuli", tmp_path / "images")
    before = _snapshot(images)
    rc = main(["crop", "--images", str(images), "--maps", str(study / "masks"), "--aspect", "1:1",
               "--out", str(images), "--overwrite", "--quiet"])
    err = _one_line_error(capsys, 2, rc)
    assert "--out" in err and "--images" in err
    assert _snapshot(images) == before


@pytest.mark.parametrize("command", ["predict", "crop"])
def test_overwrite_never_deletes_a_file_an_input_links_to(study, tmp_path, capsys, command):
    """Review (stop 18): ``--images`` holding a link to a file inside ``--out``: ``--overwrite`` deleted that file."""
    victim = tmp_path / "store" / "victim"
    victim.mkdir(parents=True)
    precious = victim / "precious.png"
    cv2.imwrite(str(precious), np.full((20, 30, 3), 100, np.uint8))
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.png").symlink_to(precious)
    before = precious.read_bytes()
    if command == "predict":
        argv = ["predict", "--baseline", "gaussian-centre"]
    else:
        argv = ["crop", "--maps", str(study / "masks"), "--aspect", "1:1"]
    rc = main(argv + ["--images", str(images), "--out", str(victim), "--overwrite", "--quiet"])
    err = _one_line_error(capsys, 2, rc)
    assert "--out" in err and str(images / "a.png") in err and "--images" in err
    assert precious.read_bytes() == before and sorted(os.listdir(victim)) == ["precious.png"]
    # a linked sub-folder holding the output: read as input through the link, refused the same way
    (images / "a.png").unlink()
    (images / "sub").symlink_to(tmp_path / "store", target_is_directory=True)
    rc = main(argv + ["--images", str(images), "--out", str(victim), "--overwrite", "--quiet"])
    assert "lies inside" in _one_line_error(capsys, 2, rc) and precious.read_bytes() == before
    (images / "sub").unlink()
    (images / "a.png").symlink_to(precious)
    # a link to a file elsewhere is an ordinary input (the check names only targets inside the output)
    (images / "a.png").unlink()
    first = sorted(os.listdir(study / "stimuli"))[0]
    (images / first).symlink_to(study / "stimuli" / first)
    rc = main(argv + ["--images", str(images), "--out", str(tmp_path / "o"), "--quiet"])
    assert rc == 0, capsys.readouterr().err


def test_train_out_inside_data_is_refused(study, tmp_path, capsys):
    s = _copy_tree(study, tmp_path / "S")
    before = _snapshot(s)
    rc = main(["train", "--data", str(s), "--out", str(s), "--overwrite", "--quiet"])
    err = _one_line_error(capsys, 2, rc)
    assert "--out" in err and "--data" in err
    assert _snapshot(s) == before


# ------------------------------------------------------------------ train --overwrite keeps the old run


@pytest.mark.parametrize("extra", [[], ["--data", "{study}", "--set", "model=no_such_model"]],
                         ids=["missing-data", "bad-model"])
def test_train_overwrite_keeps_the_old_run_when_the_new_one_cannot_start(study, tmp_path, capsys, extra):
    """Finding 2: a missing --data or a bad model emptied the old run before failing."""
    run = tmp_path / "run"
    before = _old_run(run)
    argv = ["train", "--out", str(run), "--overwrite", "--quiet", "--device", "cpu"]
    rc = main(argv + [a.format(study=study) for a in extra])
    _one_line_error(capsys, 2, rc)
    assert _snapshot(run) == before and _debris(tmp_path) == []


def _env(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def _wait_for(pred, proc, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("signum,delay", [(signal.SIGTERM, 0.0), (signal.SIGTERM, 1.0), (signal.SIGINT, 0.3)],
                         ids=["term-at-once", "term-later", "int"])
def test_train_overwrite_sigterm_during_start_up_keeps_the_old_run(study, tmp_path, signum, delay):
    """Finding 2: SIGTERM or Ctrl-C during start-up of ``train --overwrite`` lost best.pt/last.pt/metrics.csv."""
    run = tmp_path / "run"
    before = _old_run(run)
    proc = subprocess.Popen([sys.executable, "-m", "saliency", "train", "--data", str(study), "--out", str(run),
                             "--overwrite", "--epochs", "1", "--quiet", "--device", "cpu"],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    started = _wait_for(lambda: any(p.name.startswith(".run.") for p in tmp_path.iterdir())
                        or not (run / "checkpoints" / "last.pt").exists(), proc)
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert started, err.decode()
    assert b"Traceback" not in err, err.decode()
    assert _snapshot(run) == before  # an unfinished run never replaces a finished one
    assert _debris(tmp_path) == [], err.decode()


# ------------------------------------------------------------------ interruption debris


def _staging_debris(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.endswith(".partial") or ".old-" in p.name
                  or p.name.startswith(".saliency-crop-"))  # crop's --checkpoint maps, beside --out since 7dcd72e


@pytest.mark.parametrize("command", ["synth", "ingest", "crop"])
def test_sigterm_leaves_no_staging_folder(study, tmp_path, command):
    """Finding 5: SIGTERM left ``.out.*.partial`` staging folders (and ``saliency-crop-*`` in the temp folder)."""
    out = tmp_path / "out"
    py = [sys.executable, "-m", "saliency"]
    argv = {
        "synth": ["synth", "--scenes", "40", "--subjects", "2", "--size", "160x120", "--workers", "1"],
        "ingest": ["ingest", str(study / "logs" / "samples.csv"), "--stimuli", str(study / "stimuli"), "--geometry",
                   str(study / "screen.json"), "--workers", "1"],
        "crop": ["crop", "--images", str(study / "stimuli"), "--checkpoint", str(_checkpoint(tmp_path)),
                 "--aspect", "1:1", "--device", "cpu"],
    }[command]
    proc = subprocess.Popen(py + argv + ["--out", str(out), "--quiet"], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tmp = tmp_path / "tmp"
    seen = _wait_for(lambda: bool(_staging_debris(tmp_path)) or any(tmp.iterdir()), proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    if not seen:
        pytest.skip(f"{command} finished before a staging folder was seen: {err.decode()[-300:]}")
    assert _staging_debris(tmp_path) == [], err.decode()
    assert list(tmp.iterdir()) == []
    assert not out.exists()
    assert proc.returncode != 0


def test_eval_outputs_apart_from_its_inputs_and_not_through_links(study, tmp_path, capsys):
    """eval writes no table into a folder it reads, and no plots through a linked --plot-dir."""
    masks = _copy_tree(study / "masks", tmp_path / "masks")
    before = _snapshot(masks)
    base = ["eval", "--task", "sod", "--pred", f"m={masks}", "--gt", str(masks), "--quiet"]
    err = _one_line_error(capsys, 2, main(base + ["--json", str(masks / "r.json")]))
    assert "--json" in err and "--pred" in err
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "plots").symlink_to(elsewhere, target_is_directory=True)
    err = _one_line_error(capsys, 2, main(base + ["--plot-dir", str(tmp_path / "plots")]))
    assert "--plot-dir" in err and "link" in err
    assert _snapshot(masks) == before and list(elsewhere.iterdir()) == []


def test_demo_into_a_link_is_refused(tmp_path, capsys):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "mine.txt").write_text("mine")
    (tmp_path / "demo").symlink_to(keep, target_is_directory=True)
    err = _one_line_error(capsys, 2, main(["demo", "--quick", "--out", str(tmp_path / "demo"), "--fresh"]))
    assert "--out" in err and "link" in err
    assert sorted(p.name for p in keep.iterdir()) == ["mine.txt"]


def test_train_resume_through_a_link_is_refused(tmp_path, capsys):
    """A run is never continued (written) through a link."""
    real = tmp_path / "real"
    before = _old_run(real)
    (tmp_path / "run").symlink_to(real, target_is_directory=True)
    err = _one_line_error(capsys, 2, main(["train", "--resume", str(tmp_path / "run"), "--epochs", "2"]))
    assert "--resume" in err and "link" in err
    assert _snapshot(real) == before


# ------------------------------------------------------------------ file outputs: links, devices, inputs

@pytest.mark.parametrize("kind", ["link", "dangling", "device", "folder", "under_a_file"])
def test_eval_table_files_refuse_links_folders_and_devices_before_scoring(study, tmp_path, capsys, kind):
    """``--json LINK`` replaced the link with a file (a dangling one too); ``--json /dev/null`` run as root
    replaced the device. Now one line naming the option, before any scoring, and nothing touched."""
    target = tmp_path / "target.json"
    target.write_text("keep")
    out = tmp_path / "r.json"
    if kind == "link":
        out.symlink_to(target)
    elif kind == "dangling":
        out.symlink_to(tmp_path / "nowhere" / "x.json")
    elif kind == "device":
        out = Path(os.devnull)
    elif kind == "folder":
        out.mkdir()
    else:
        out = target / "r.json"
    masks = study / "masks"
    rc = main(["eval", "--task", "sod", "--pred", f"m={masks}", "--gt", str(masks), "--quiet", "--json", str(out)])
    err = _one_line_error(capsys, 2, rc)
    assert "--json" in err and capsys.readouterr().out == ""  # refused before the table was printed
    assert target.read_text() == "keep"
    if kind in ("link", "dangling"):
        assert out.is_symlink()
    if kind == "device":
        assert not Path(os.devnull).is_file()


def test_models_out_link_is_refused(tmp_path, capsys):
    target = tmp_path / "t.md"
    target.write_text("keep")
    (tmp_path / "l.md").symlink_to(target)
    err = _one_line_error(capsys, 2, main(["models", "--names-only", "--out", str(tmp_path / "l.md")]))
    assert "--out" in err and "link" in err
    assert (tmp_path / "l.md").is_symlink() and target.read_text() == "keep"


def test_export_never_replaces_its_checkpoint_or_a_link(tmp_path, capsys):
    """``export --checkpoint ck.pt --onnx ck.pt --overwrite`` turned the checkpoint into the ONNX file."""
    ck = _checkpoint(tmp_path)
    before = ck.read_bytes()
    err = _one_line_error(capsys, 2, main(["export", "--checkpoint", str(ck), "--onnx", str(ck), "--overwrite",
                                          "--size", "32x32", "--no-check"]))
    assert "--onnx" in err and "--checkpoint" in err and ck.read_bytes() == before
    (tmp_path / "d.onnx").symlink_to(tmp_path / "nowhere.onnx")
    err = _one_line_error(capsys, 2, main(["export", "--checkpoint", str(ck), "--onnx", str(tmp_path / "d.onnx"),
                                          "--size", "32x32", "--no-check"]))
    assert "--onnx" in err and "link" in err and (tmp_path / "d.onnx").is_symlink()


def _png(path: Path):
    ok, buf = cv2.imencode(".png", np.full((8, 8, 3), 128, np.uint8))
    path.write_bytes(buf.tobytes())


def test_report_never_writes_through_a_link_in_its_assets(tmp_path, capsys):
    """A link ``OUT/assets/curve_pr.png -> victim`` had the victim overwritten with the PNG's bytes."""
    plots = tmp_path / "plots"
    plots.mkdir()
    _png(plots / "pr.png")
    victim = tmp_path / "victim.txt"
    victim.write_text("VICTIM")
    out = tmp_path / "rep"
    (out / "assets").mkdir(parents=True)
    (out / "assets" / "curve_pr.png").symlink_to(victim)
    err = _one_line_error(capsys, 2, main(["report", "--plots", str(plots), "--out", str(out)]))
    assert "--out" in err and "link" in err
    assert victim.read_text() == "VICTIM" and not (out / "report.md").exists()


def test_report_two_runs_of_one_name_keep_both_curves_and_an_empty_log_is_a_note(tmp_path, capsys):
    runs = []
    for parent, loss in (("a", [1.0, 0.5]), ("b", [3.0, 2.0])):
        run = tmp_path / parent / "run"
        run.mkdir(parents=True)
        (run / "metrics.csv").write_text("epoch,train_loss\n" + "".join(f"{k + 1},{v}\n" for k, v in enumerate(loss)))
        runs.append(str(run))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "metrics.csv").write_text("")  # a run stopped before its first epoch ended (was exit 1)
    out = tmp_path / "rep"
    assert main(["report", *runs, str(empty), "--out", str(out)]) == 0
    pngs = sorted(p.name for p in (out / "assets").glob("training_*.png"))
    assert pngs == ["training_run.png", "training_run_2.png"]
    assert (out / "assets" / pngs[0]).read_bytes() != (out / "assets" / pngs[1]).read_bytes()
    md = (out / "report.md").read_text()
    assert "assets/training_run_2.png" in md and "no rows in it" in md


def test_eval_plot_dir_that_is_a_file_is_refused_before_scoring(study, tmp_path, capsys):
    """``--plot-dir FILE`` scored everything, wrote --json, then failed with "FILE: already exists"."""
    (tmp_path / "afile").write_text("x")
    masks = study / "masks"
    rc = main(["eval", "--task", "sod", "--pred", f"m={masks}", "--gt", str(masks), "--quiet",
               "--json", str(tmp_path / "r.json"), "--plot-dir", str(tmp_path / "afile")])
    err = _one_line_error(capsys, 2, rc)
    assert "--plot-dir" in err and not (tmp_path / "r.json").exists()

"""saliency eval refuses an input folder replaced (or a listed file gone) while it reads it (F19).

Each folder is indexed once and its files are read by path: a folder renamed onto the same path in between (a
staged ``predict``/``synth --overwrite`` output) was scored as a mix of two folders, exit 0, no word. The hooks
below swap a folder right after it was indexed, before any image is read: deterministic, no sleeps. The
expectations are hand-worked: the predictions equal to the masks score MAE 0, their inverses MAE 1, a mix between.
"""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli

N = 8


def _masks(folder, n=N, invert=False, seed=0):
    """``n`` binary masks s0000.png ... (0/255), the same for one seed; ``invert``: each one's inverse."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        m = np.zeros((24, 32), np.uint8)
        y, x = rng.integers(2, 12), rng.integers(2, 16)
        m[y:y + 10, x:x + 12] = 255
        cv2.imwrite(str(folder / f"s{i:04d}.png"), 255 - m if invert else m)
    return folder


@pytest.fixture
def sod(tmp_path):
    gt = _masks(tmp_path / "A" / "masks")
    pr = _masks(tmp_path / "PR")            # MAE 0 against gt
    other = _masks(tmp_path / "PRB", invert=True)  # MAE 1 against gt
    return tmp_path, gt, pr, other


def _swap_after_index(monkeypatch, module, attr, folder, other, when=lambda *a, **k: True):
    """Wrap ``module.attr`` (an indexer): after its first call that ``when`` accepts, ``other`` is renamed onto
    ``folder`` (the old one kept beside it), as a staged output is renamed onto its place."""
    real = getattr(module, attr)
    done = []

    def hooked(*args, **kw):
        out = real(*args, **kw)
        if not done and when(*args, **kw):
            done.append(1)
            os.rename(folder, f"{folder}.old")
            os.rename(other, folder)
        return out

    monkeypatch.setattr(module, attr, hooked)
    return done


def _eval(capsys, *argv):
    return run_cli(capsys, ["eval", "--quiet", *argv])


def test_ordinary_runs_score_as_before(sod, capsys):
    tmp, gt, pr, other = sod
    for w in (1, 2):
        for folder, mae in ((pr, 0.0), (other, 1.0)):
            out_json = tmp / f"r{w}{mae}.json"
            rc, _, err = _eval(capsys, "--task", "sod", "--gt", gt, "--pred", f"M={folder}", "--metrics", "MAE",
                               "--workers", w, "--json", out_json)
            assert rc == 0, err
            assert json.loads(out_json.read_text())["results"][0]["metrics"]["MAE"] == pytest.approx(mae, abs=1e-12)


@pytest.mark.parametrize("workers", [1, 2])
def test_prediction_folder_replaced_after_indexing_is_refused(sod, capsys, monkeypatch, workers):
    from saliency.eval import runner

    tmp, gt, pr, other = sod
    done = _swap_after_index(monkeypatch, runner, "index_folder", pr, other, lambda *a, **k: k.get("param") == "pred")
    rc, out, err = _eval(capsys, "--task", "sod", "--gt", gt, "--pred", f"M={pr}", "--metrics", "MAE",
                         "--workers", workers, "--json", tmp / "mix.json")
    line = refusal(rc, out, err)
    assert done and f"--pred M={pr}: was replaced while this command read it" in line, line
    assert "run again when it is finished" in line
    assert not (tmp / "mix.json").exists()  # no result of a mix written


@pytest.mark.parametrize("workers", [1, 2])
def test_replacement_with_fewer_files_says_the_folder_changed(sod, capsys, monkeypatch, workers):
    """The new folder lacks files the old one listed: it said "PR/s0005.png: file not found"."""
    from saliency.eval import runner

    tmp, gt, pr, _ = sod
    fewer = _masks(tmp / "PRF", n=3, invert=True)
    _swap_after_index(monkeypatch, runner, "index_folder", pr, fewer, lambda *a, **k: k.get("param") == "pred")
    rc, out, err = _eval(capsys, "--task", "sod", "--gt", gt, "--pred", f"M={pr}", "--workers", workers)
    line = refusal(rc, out, err)
    assert f"--pred M={pr}: was replaced while this command read it" in line and "not found" not in line, line


def test_a_listed_prediction_removed_mid_run_names_the_folder(sod, capsys, monkeypatch):
    from saliency.eval import runner

    tmp, gt, pr, _ = sod
    real = runner.index_folder

    def hooked(*args, **kw):
        out = real(*args, **kw)
        if kw.get("param") == "pred":
            (pr / "s0005.png").unlink()
        return out

    monkeypatch.setattr(runner, "index_folder", hooked)
    rc, out, err = _eval(capsys, "--task", "sod", "--gt", gt, "--pred", f"M={pr}")
    line = refusal(rc, out, err)
    assert f"--pred M={pr}: was replaced while this command read it" in line, line


@pytest.mark.parametrize("workers", [1, 2])
def test_ground_truth_folder_replaced_after_indexing_is_refused(sod, capsys, monkeypatch, workers):
    from saliency.eval import datasets as D

    tmp, gt, pr, _ = sod
    new = _masks(tmp / "B" / "masks", invert=True)
    done = _swap_after_index(monkeypatch, D, "sod_folder", gt, new)
    rc, out, err = _eval(capsys, "--task", "sod", "--gt", gt, "--pred", f"M={pr}", "--workers", workers)
    line = refusal(rc, out, err)
    assert done and f"--gt {gt}: was replaced while this command read it" in line, line


def test_config_dataset_replaced_is_named_by_the_config(sod, capsys, monkeypatch):
    from saliency.eval import datasets as D

    tmp, gt, pr, _ = sod
    new = _masks(tmp / "B" / "masks", invert=True)
    cfg = tmp / "bench.json"
    cfg.write_text(json.dumps({"task": "sod", "datasets": {"mine": {"gt": str(gt)}}, "methods": {"M": str(pr)}}))
    _swap_after_index(monkeypatch, D, "sod_folder", gt, new)
    rc, out, err = _eval(capsys, "--config", cfg)
    line = refusal(rc, out, err)
    assert f"--config {cfg}: dataset mine: was replaced while this command read it" in line, line


def test_the_api_refuses_a_prediction_folder_replaced(sod, monkeypatch):
    """evaluate_dataset without the plan's sources takes the ground truth's folders itself."""
    from saliency.base.errors import UserError
    from saliency.eval import datasets as D
    from saliency.eval import runner

    tmp, gt, pr, other = sod
    ds = D.sod_folder(gt)
    _swap_after_index(monkeypatch, runner, "index_folder", pr, other, lambda *a, **k: k.get("param") == "pred")
    with pytest.raises(UserError) as exc:
        runner.evaluate_dataset(ds, [("M", str(pr))], metrics=("MAE",), progress=False)
    assert exc.value.args[0].startswith(f"`pred` M={pr}: was replaced while this command read it"), exc.value.args


def _fixation(d, shift=0):
    """An ingest-like fixation folder: fixations/ and maps/ of 4 images."""
    for sub in ("fixations", "maps"):
        (d / sub).mkdir(parents=True)
    for i in range(4):
        fix = np.zeros((24, 32), np.uint8)
        fix[[4 + shift, 12, 18], [5, 16 + shift, 27]] = 255
        cv2.imwrite(str(d / "fixations" / f"s{i:04d}.png"), fix)
        cv2.imwrite(str(d / "maps" / f"s{i:04d}.png"), cv2.GaussianBlur(fix, (0, 0), 3))
    return d


@pytest.mark.parametrize("workers", [1, 2])
def test_fixation_dataset_replaced_after_indexing_is_refused(tmp_path, capsys, monkeypatch, workers):
    from saliency.eval import datasets as D

    d = _fixation(tmp_path / "D")
    new = _fixation(tmp_path / "D2", shift=2)
    pred = _masks(tmp_path / "P", n=4)
    done = _swap_after_index(monkeypatch, D, "fixation_folder", d, new)
    rc, out, err = _eval(capsys, "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--metrics", "NSS,CC",
                         "--workers", workers)
    line = refusal(rc, out, err)
    assert done and f"--gt {d}: was replaced while this command read it" in line, line


def test_center_bias_file_replaced_while_read_is_refused(tmp_path, capsys, monkeypatch):
    from saliency.eval import runner

    d = _fixation(tmp_path / "D")
    pred = _masks(tmp_path / "P", n=4)
    cb = tmp_path / "cb.png"
    cv2.imwrite(str(cb), np.full((24, 32), 128, np.uint8))
    cv2.imwrite(str(tmp_path / "cb2.png"), np.full((24, 32), 30, np.uint8))
    real = runner.read_prediction
    done = []

    def hooked(path):
        out = real(path)
        if not done:  # plan's check of the file read it: another file is renamed onto it
            done.append(1)
            os.replace(tmp_path / "cb2.png", cb)
        return out

    monkeypatch.setattr(runner, "read_prediction", hooked)
    rc, out, err = _eval(capsys, "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--metrics", "IG",
                         "--center-bias", cb)
    line = refusal(rc, out, err)
    assert done and f"--center-bias {cb}: was replaced while this command read it" in line, line

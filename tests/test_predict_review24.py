"""``saliency predict`` review 24: ``--out`` and ``--log-density`` written all or nothing; fixation maps of small
images.

1. The two folders were swapped in by two nested staging contexts: the log-density folder first, then ``--out``,
   whose own checks (a folder or file that appeared there while the run wrote) could still refuse, or a Ctrl-C
   could land between the two. The run then said "this run's result was not kept" while ``--log-density`` had
   been written (or, with ``--overwrite``, replaced by the new run's: the two folders from different runs).
   Oracle: the project's rule, written out by hand: the outputs of a run are all old or all new, and the one
   line says what happened.
2. Fixation PNGs of images smaller than the network input did not reach 255 (the help: "fixation: predicted
   density scaled to max 255"): the map was shrunk bilinearly, which misses a peak between samples (a 2x3
   image peaked at 156), and the log-density was point-sampled the same way. Oracle: block means of a known
   map worked out with numpy (area shrinking, an integer factor), the help's max 255, and closed-form sums.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from saliency.base import fsutil
from saliency.cli import main

NOT_KEPT_APPEARED = ("appeared while this run was writing (another run with the same output, or a person); it was "
                     "left as it is and this run's result was not kept; run again with another output folder")


def _images(folder: Path, sizes: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(sizes))
    for name, (w, h) in sizes.items():
        cv2.imwrite(str(folder / f"{name}.png"), rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return folder


def _snapshot(folder: Path) -> dict:
    """Every file and folder under ``folder`` (hidden ones included) with its bytes (None for a folder)."""
    return {p.relative_to(folder).as_posix(): (None if p.is_dir() else p.read_bytes())
            for p in sorted(folder.rglob("*"))}


def _debris(parent: Path) -> list[str]:
    """Staging or set-aside folders left in ``parent`` (fsutil's hidden names)."""
    return sorted(p.name for p in parent.iterdir() if fsutil.STAGING_NAME.fullmatch(p.name))


def _argv(tmp_path: Path, overwrite: bool = False) -> list[str]:
    return (["predict", "--baseline", "gaussian-centre", "--images", str(tmp_path / "im"), "--out",
             str(tmp_path / "O"), "--log-density", str(tmp_path / "L"), "--quiet"]
            + (["--overwrite"] if overwrite else []))


def _after_predicting(monkeypatch, action) -> None:
    """Run ``action()`` once the maps are written into the stages (another run or a person acting meanwhile)."""
    import saliency.predict as P

    real = P.predict_baseline_folder

    def wrapped(*args, **kwargs):
        res = real(*args, **kwargs)
        action()
        return res

    monkeypatch.setattr(P, "predict_baseline_folder", wrapped)


# ------------------------------------------------------------------ 1. --out and --log-density: all or nothing


def test_a_refused_out_leaves_no_log_density_folder(tmp_path, capsys, monkeypatch):
    """Reviewer's repro_ld_half.py: a folder appearing at --out meanwhile; exit 2, and --log-density was written."""
    _images(tmp_path / "im", {"a": (24, 16), "b": (20, 20)})
    out, ld = tmp_path / "O", tmp_path / "L"

    def someone():
        out.mkdir()
        (out / "someone_elses.txt").write_text("x")

    _after_predicting(monkeypatch, someone)
    rc = main(_argv(tmp_path))
    err = capsys.readouterr().err
    assert rc == 2 and err == f"saliency predict: error: --out {out}: {NOT_KEPT_APPEARED}\n"
    assert not ld.exists(), sorted(os.listdir(ld))
    assert _snapshot(out) == {"someone_elses.txt": b"x"} and _debris(tmp_path) == []


@pytest.mark.parametrize("where", ["O", "L"])
def test_a_file_added_under_overwrite_keeps_both_old_folders(tmp_path, capsys, monkeypatch, where):
    """Reviewer's repro_ld_half_overwrite.py: --overwrite, a person's file dropped into --out meanwhile: --out
    kept, but --log-density replaced by the new run's. Both must stay as they were (also when the file lands
    in --log-density)."""
    images = _images(tmp_path / "im", {"a": (24, 16), "b": (20, 20)})
    out, ld = tmp_path / "O", tmp_path / "L"
    assert main(_argv(tmp_path)) == 0
    capsys.readouterr()
    before = {"O": _snapshot(out), "L": _snapshot(ld)}
    _images(images, {"c": (16, 24)})  # the new run has one map more in each folder
    target = tmp_path / where
    _after_predicting(monkeypatch, lambda: (target / "notes.txt").write_text("mine"))
    rc = main(_argv(tmp_path, overwrite=True))
    err = capsys.readouterr().err
    flag = "--out" if where == "O" else "--log-density"
    assert rc == 2 and err == (f"saliency predict: error: {flag} {target}: holds 1 entry saliency did not write "
                               f"({target}/notes.txt), put there while this run was writing; it was left as it "
                               "is and this run's result was not kept; move it out and run again, or choose "
                               "another folder\n")
    before[where]["notes.txt"] = b"mine"
    assert _snapshot(out) == before["O"] and _snapshot(ld) == before["L"]
    assert _debris(tmp_path) == []


def _second_run(tmp_path, capsys):
    """A first run's O and L, their snapshots, and one image more for the second run."""
    images = _images(tmp_path / "im", {"a": (24, 16), "b": (20, 20)})
    assert main(_argv(tmp_path)) == 0
    capsys.readouterr()
    before = (_snapshot(tmp_path / "O"), _snapshot(tmp_path / "L"))
    _images(images, {"c": (16, 24)})
    return before


def _on_swap(monkeypatch, nth: int, action):
    """Call ``action(src, dst, real_replace)`` instead of the ``nth`` (1-based) rename of a stage into place."""
    real = os.replace
    seen = []

    def replace(src, dst, *args, **kwargs):
        if str(src).endswith(".partial"):
            seen.append(dst)
            if len(seen) == nth:
                return action(src, dst, real)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(fsutil.os, "replace", replace)
    return seen


def test_ctrl_c_at_the_second_swap_keeps_both_old(tmp_path, capsys, monkeypatch):
    """A KeyboardInterrupt as the second folder is renamed into place: the first is taken back, both old."""
    before = _second_run(tmp_path, capsys)

    def interrupt(src, dst, real):
        raise KeyboardInterrupt

    seen = _on_swap(monkeypatch, 2, interrupt)
    rc = main(_argv(tmp_path, overwrite=True))
    monkeypatch.undo()
    assert rc == 130 and capsys.readouterr().err == "saliency predict: interrupted\n"
    assert len(seen) == 2
    assert (_snapshot(tmp_path / "O"), _snapshot(tmp_path / "L")) == before and _debris(tmp_path) == []


def test_a_signal_during_the_swaps_takes_effect_once_both_are_made(tmp_path, capsys, monkeypatch):
    """A real Ctrl-C (SIGINT) as the first folder is swapped in: held until the second is too, then exit 130."""
    _second_run(tmp_path, capsys)

    def sigint(src, dst, real):
        os.kill(os.getpid(), signal.SIGINT)
        return real(src, dst)

    _on_swap(monkeypatch, 1, sigint)
    rc = main(_argv(tmp_path, overwrite=True))
    monkeypatch.undo()
    assert rc == 130 and capsys.readouterr().err == "saliency predict: interrupted\n"
    assert sorted(p.name for p in (tmp_path / "O").glob("*.png")) == ["a.png", "b.png", "c.png"]
    assert sorted(p.name for p in (tmp_path / "L").glob("*.npy")) == ["a.npy", "b.npy", "c.npy"]
    assert _debris(tmp_path) == []


def test_a_failed_second_swap_puts_the_first_back(tmp_path, capsys, monkeypatch):
    """Another run places its folder at the second output just before this run's rename: that one is kept and
    named with where the old content is (as for one folder), and the first folder is put back as it was."""
    before = dict(zip("OL", _second_run(tmp_path, capsys)))

    def theirs(src, dst, real):
        Path(dst).mkdir()
        (Path(dst) / "theirs.txt").write_text("theirs")
        return real(src, dst)  # fails: the folder is not empty

    seen = _on_swap(monkeypatch, 2, theirs)
    rc = main(_argv(tmp_path, overwrite=True))
    monkeypatch.undo()
    err = capsys.readouterr().err
    hit = Path(seen[1])
    other = ({"O", "L"} - {hit.name}).pop()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(f".{hit.name}.old-")]
    flag = "--out" if hit.name == "O" else "--log-density"
    assert rc == 2 and len(aside) == 1, err
    assert err == (f"saliency predict: error: {flag} {hit}: another run placed its result there while this one was "
                   f"finishing; this run's result was not kept, and what {hit} held before is in {aside[0]}\n")
    assert _snapshot(hit) == {"theirs.txt": b"theirs"} and _snapshot(aside[0]) == before[hit.name]
    assert _snapshot(tmp_path / other) == before[other]  # the first swap taken back
    assert _debris(tmp_path) == [aside[0].name]


# ------------------------------------------------------------------ 2. fixation maps of small images

NET = (32, 32)  # (h, w): --size 32x32


def _fixation_checkpoint(tmp_path) -> Path:
    from saliency import models

    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_fixation").eval()
    path = tmp_path / "fix.pt"
    torch.save({"config": m.config, "state_dict": m.state_dict()}, path)
    return path


def _known_map() -> np.ndarray:
    """A network-size density scaled to max 1: 0.01 everywhere, 1 at row 4, column 7 (between bilinear samples)."""
    m = np.full(NET, 0.01, np.float32)
    m[4, 7] = 1.0
    return m


def test_small_fixation_maps_peak_at_255_and_log_density_keeps_the_mass(tmp_path, monkeypatch):
    """8x8 image, network 32x32: each output pixel covers a 4x4 block. Oracle: numpy block means."""
    import saliency.predict as P

    monkeypatch.setattr(P, "_run", lambda model, x, *a: torch.from_numpy(np.stack([_known_map()] * len(x))))
    images = _images(tmp_path / "im", {"e8": (8, 8), "s2x3": (2, 3), "big": (48, 40)})
    out, ld = tmp_path / "O", tmp_path / "L"
    assert main(["predict", "--checkpoint", str(_fixation_checkpoint(tmp_path)), "--images", str(images), "--out",
                 str(out), "--log-density", str(ld), "--size", "32x32", "--device", "cpu", "--quiet"]) == 0
    blocks = _known_map().astype(np.float64).reshape(8, 4, 8, 4).mean(axis=(1, 3))
    # PNG: the block means scaled to max 1, then 8 bits: the peak's block 255, the rest 0.01 / 0.071875 * 255 -> 35
    assert blocks[1, 1] == pytest.approx((15 * 0.01 + 1) / 16)
    want = np.rint(blocks / blocks.max() * 255).astype(np.uint8)
    got = cv2.imread(str(out / "e8.png"), cv2.IMREAD_UNCHANGED)
    assert got.shape == (8, 8) and np.array_equal(got, want), got  # was 3 everywhere: the peak never sampled
    # log-density: each pixel the mass of its block, normalised over the image
    logp = np.load(ld / "e8.npy")
    assert logp.dtype == np.float32 and logp.shape == (8, 8)
    np.testing.assert_allclose(np.exp(logp.astype(np.float64)), blocks / blocks.sum(), rtol=1e-5)
    # any size, shrunk or grown: the help's "scaled to max 255"; the log-density sums to 1
    for name, hw in (("s2x3", (3, 2)), ("big", (40, 48))):
        png = cv2.imread(str(out / f"{name}.png"), cv2.IMREAD_UNCHANGED)
        assert png.shape == hw and png.max() == 255, (name, png.max())
        assert np.exp(np.load(ld / f"{name}.npy").astype(np.float64)).sum() == pytest.approx(1.0, abs=1e-5)


def test_resize_map_shrinks_by_area_and_grows_bilinearly():
    """Rows r**2 (6 rows) -> 2 rows: block means 5/3 and 50/3 (bilinear read rows 1 and 4: 1 and 16); the columns,
    constant, grow 4 -> 8 unchanged. An integer shrink is the mean of each block."""
    from saliency.validate import resize_map

    m = np.repeat((np.arange(6, dtype=np.float32) ** 2)[:, None], 4, axis=1)
    got = resize_map(m, (2, 8))
    np.testing.assert_allclose(got, np.repeat([[5 / 3], [50 / 3]], 8, axis=1), rtol=1e-6)
    sq = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_allclose(resize_map(sq, (2, 2)), [[2.5, 4.5], [10.5, 12.5]])
    assert resize_map(sq, (4, 4)) is sq


def _real_run(tmp_path, runtime: str) -> dict:
    """The reviewer's repro_max255.sh with the tiny untrained model: {stem: (PNG, log-density)}."""
    ck = _fixation_checkpoint(tmp_path)
    images = _images(tmp_path / "im", {"s2x3": (2, 3), "s5x4": (5, 4), "s20x15": (20, 15)})
    out, ld = tmp_path / f"O_{runtime}", tmp_path / f"L_{runtime}"
    assert main(["predict", "--checkpoint", str(ck), "--images", str(images), "--out", str(out), "--log-density",
                 str(ld), "--size", "32x32", "--device", "cpu", "--runtime", runtime, "--quiet"]) == 0
    got = {p.stem: (cv2.imread(str(p), cv2.IMREAD_UNCHANGED), np.load(ld / f"{p.stem}.npy"))
           for p in sorted(out.glob("*.png"))}
    assert sorted(got) == ["s20x15", "s2x3", "s5x4"]
    for name, (png, logp) in got.items():
        assert png.max() == 255, (name, png.max())  # 2x3 peaked at 156, 5x4 at 228, 20x15 at 254
        assert np.exp(logp.astype(np.float64)).sum() == pytest.approx(1.0, abs=1e-5)
    return got


def test_real_model_small_images_reach_255(tmp_path):
    """Every PNG of the real (tiny, untrained) model peaks at 255, and each log-density sums to 1."""
    _real_run(tmp_path, "torch")


@pytest.mark.slow
def test_onnx_runtime_small_images_at_parity(tmp_path):
    """ONNX Runtime gives the same maps: within one level and float32 rounding (an ONNX export: slow)."""
    pytest.importorskip("onnxruntime")
    eager, onnx = _real_run(tmp_path, "torch"), _real_run(tmp_path, "onnx")
    for name, (png, logp) in eager.items():
        png_o, logp_o = onnx[name]
        assert np.abs(png.astype(int) - png_o.astype(int)).max() <= 1, name
        np.testing.assert_allclose(logp, logp_o, atol=1e-4)

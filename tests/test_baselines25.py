"""Review 25 of the classic models (eval/baselines.py) and of ``predict --baseline``'s messages.

Oracles: a uniform image has no contrast, so every centre-surround difference
of Itti-Koch is zero in exact arithmetic and its map must be all zero (closed
form); the spectral residual's working size worked by hand (64 columns,
round(64 * h / w) rows, held within 8 .. 512); the same pipeline written out
here for a 600 x 800 image (48 rows: unchanged by the bound); the exact
one-line messages of ``saliency predict``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from saliency.eval import baselines as B

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


# ------------------------------------------------------------------ 1. spectral residual on long thin images

@pytest.mark.parametrize("h, w, rows", [
    (600, 800, 48),     # 64 * 600 / 800 = 48 exactly
    (1024, 768, 85),    # 85.33: round (SR.m's imresize gives the ceiling, 86)
    (800, 100, 512),    # 8:1, the bound itself: unchanged
    (100, 800, 8),      # 1:8: unchanged
    (900, 100, 512),    # 9:1 (576 rows) squeezed to 8:1
    (8000, 1, 512),     # a column (512,000 rows) squeezed to 8:1
    (1, 8000, 8),       # a row: at least 8 rows, as before
])
def test_sr_working_size_by_hand(h, w, rows):
    assert B._sr_working_size(h, w) == (rows, 64)


def test_sr_column_image_works_on_a_bounded_array(monkeypatch):
    """A 1 x 8000 px column: the FFT sees 512 x 64, not 512,000 x 64 (3 GB, 20 s before)."""
    real_fft2 = np.fft.fft2
    seen = []

    def fft2(a, *args, **kw):
        seen.append(np.shape(a))
        assert np.size(a) <= 512 * 64, f"working array {np.shape(a)}"  # refuse before the big transform
        return real_fft2(a, *args, **kw)

    monkeypatch.setattr(np.fft, "fft2", fft2)
    img = np.random.default_rng(1).integers(0, 255, (8000, 1, 3), dtype=np.uint8)
    m = B.spectral_residual(img)
    assert seen == [(512, 64)]
    assert m.shape == (8000, 1) and m.dtype == np.float64 and np.isfinite(m).all() and (m >= 0).all()


def test_sr_600x800_map_is_the_unbounded_formula():
    """Within 1:8 .. 8:1 the bound changes nothing: the pipeline written out at 48 x 64 gives the same map."""
    import cv2

    img = np.random.default_rng(25).integers(0, 256, (600, 800, 3), dtype=np.uint8)
    grey = (img.astype(np.float32) / 255.0).mean(axis=2)
    small = cv2.resize(grey, (64, 48), interpolation=cv2.INTER_AREA).astype(np.float64)
    f = np.fft.fft2(small)
    amp = np.log(np.abs(f) + 1e-12)
    resid = amp - cv2.blur(amp, (3, 3), borderType=cv2.BORDER_REPLICATE)
    sal = np.abs(np.fft.ifft2(np.exp(resid + 1j * np.angle(f)))) ** 2
    sal = cv2.filter2D(sal, -1, B.matlab_gaussian(10, 2.5), anchor=(4, 4), borderType=cv2.BORDER_CONSTANT)
    want = np.clip(cv2.resize(sal.astype(np.float32), (800, 600), interpolation=cv2.INTER_LINEAR), 0, None)
    np.testing.assert_array_equal(B.spectral_residual(img), want.astype(np.float64))


# ------------------------------------------------------------------ 2. Itti-Koch on a uniform image

@pytest.mark.parametrize("shape, colour", [
    ((600, 800), (128, 128, 128)),   # mid grey, photo-sized: 0.027 range before (PNG: full 0..255)
    ((60, 80), (77, 77, 77)),
    ((60, 80), (255, 255, 255)),
    ((60, 80), (200, 30, 90)),       # uniform colour: the opponency channels are constant too
    ((60, 80), (0, 0, 0)),           # black: zero before as well
])
def test_itti_uniform_image_gives_an_all_zero_map(shape, colour):
    img = np.empty(shape + (3,), np.uint8)
    img[:] = colour
    m = B.itti_koch(img)
    assert m.shape == shape and m.dtype == np.float64
    assert np.count_nonzero(m) == 0, (m.min(), m.max())


def test_itti_uniform_float_image_gives_an_all_zero_map():
    m = B.itti_koch(np.full((48, 64, 3), 0.3, np.float32))
    assert np.count_nonzero(m) == 0


def _plain_centre_surround(centre, surround):
    return np.abs(centre - B._resize(surround, centre.shape[:2]))


def test_itti_one_grey_level_of_contrast_is_kept(monkeypatch):
    """A step of one grey level (1/255, far above float32 rounding) is contrast: the map is not zero, and it is
    the plain |centre - surround| pipeline's."""
    img = np.full((120, 160, 3), 100, np.uint8)
    img[:, 80:] = 101
    m = B.itti_koch(img)
    assert m.max() > 0
    monkeypatch.setattr(B, "_centre_surround", _plain_centre_surround)
    np.testing.assert_array_equal(m, B.itti_koch(img))


@pytest.mark.real_data
def test_itti_maps_of_real_photos_are_unchanged(monkeypatch):
    """On real photos the tolerance never bites: the map equals the plain |centre - surround| pipeline's."""
    import cv2

    files = sorted((SHARED / "mit1003_subset100" / "stimuli").glob("*.jp*g"))[:2]
    if not files:
        pytest.skip("no shared MIT1003 subset")
    for f in files:
        rgb = cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB)
        new = B.itti_koch(rgb)
        with monkeypatch.context() as mp:
            mp.setattr(B, "_centre_surround", _plain_centre_surround)
            plain = B.itti_koch(rgb)
        assert plain.max() > 0
        np.testing.assert_array_equal(new, plain)


def test_itti_docstring_states_the_gabor_dc_response():
    sums = [round(float(k.sum()), 3) for k in B._gabor_kernels()]
    assert sums == [0.909, 3.66, 0.909, 3.66]
    doc = " ".join(B.itti_koch.__doc__.split())
    assert "0.909 at 0 and 90 degrees and 3.66 at 45 and 135 degrees" in doc
    assert "psi 0" in doc and "makeGaborFilter.m" in doc


def test_sr_docstring_states_the_working_height():
    doc = " ".join(B.spectral_residual.__doc__.split())
    assert "round(width * h / w)" in doc and "ceiling" in doc


# ------------------------------------------------------------------ 5. predict --baseline centre-bias messages

def _images(tmp_path):
    import cv2

    imgs = tmp_path / "imgs"
    imgs.mkdir()
    cv2.imwrite(str(imgs / "a.png"), np.full((30, 40, 3), 90, np.uint8))
    return imgs


@pytest.mark.parametrize("name", ["MIT1003", "cat2000"])
def test_centre_bias_on_a_dataset_without_split(tmp_path, capsys, name):
    from saliency.cli import main

    imgs, out = _images(tmp_path), tmp_path / "out"
    rc = main(["predict", "--baseline", "centre-bias", "--dataset", name, "--root", str(tmp_path / "root"),
               "--images", str(imgs), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err == (f"saliency predict: error: --dataset {name}: centre-bias is fitted to a documented training "
                   "split; only OSIE has one\n")
    assert not out.exists()


def test_centre_bias_unknown_dataset_still_lists_the_known_ones(tmp_path, capsys):
    from saliency.cli import main

    imgs = _images(tmp_path)
    rc = main(["predict", "--baseline", "centre-bias", "--dataset", "nope", "--root", str(tmp_path / "root"),
               "--images", str(imgs), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("saliency predict: error: --dataset nope: unknown dataset; choose from ")
    assert err.count("\n") == 1


# ------------------------------------------------------------------ out-of-memory line of predict --baseline

def test_out_of_memory_line_names_no_option_predict_baseline_refuses(tmp_path, capsys, monkeypatch):
    from saliency.cli import main

    def boom(*a, **k):
        raise MemoryError()

    monkeypatch.setattr(B, "compute_baseline", boom)
    imgs, out = _images(tmp_path), tmp_path / "out"
    rc = main(["predict", "--baseline", "itti-koch", "--images", str(imgs), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err == "saliency predict: error: out of memory; use smaller images or a larger machine\n"
    assert not out.exists()


def test_out_of_memory_line_still_names_the_options_that_apply():
    from saliency.cli import classify

    ckpt = argparse.Namespace(command="predict", checkpoint="c.pt", baseline=None, size=None, batch_size=8,
                              workers=0)
    assert classify(MemoryError(), str, ckpt)[1] == ("out of memory; use smaller images, --batch-size, --size or "
                                                     "--workers, or a larger machine")
    # eval's --baseline is an IG baseline map, not a classic model: its --workers is still named
    ev = argparse.Namespace(command="eval", baseline="cb.png", workers=1)
    assert classify(MemoryError(), str, ev)[1] == "out of memory; use smaller images, --workers, or a larger machine"

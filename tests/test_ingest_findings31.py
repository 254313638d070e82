"""Findings of review 31 on ``saliency ingest``.

1. A stimulus over ``--max-pixels`` is its own quarantine reason, ``stimulus_too_large`` (before: the
   ``bad_stimulus_image`` of an unreadable file, with no word of the limit); one warning names the image, its
   pixel count and the limit, and ``dataset.json`` ``policies.max_pixels`` records the limit. Hand-worked:
   big.png is 640x480 = 307,200 pixels, above 100,000; ok.png is 320x240 = 76,800, within it; bad.png is not an
   image. A's and B's two fixations on each give 2 rows per reason.
   Review of that fix (F18): a ``--max-pixels`` above Pillow's own bomb limit (178,956,970 pixels) did nothing (Pillow
   refused the image, read as unreadable: ``bad_stimulus_image``); an image too large only for a side above 65,535
   was told to raise ``--max-pixels``, which cannot help; the library's line said "raise max_pixels", a name
   IngestOptions lacks; "1 rows".
2. ingest kept the detector's trial warnings that ``saliency detect`` prints (a ``tobii-ivt`` / ``nh`` velocity
   window longer than the trial, nh's long minimum duration) to itself: ``detection.detect`` classifies and
   returns only the fixations. They are now one line per input and kind, on stderr and in ``dataset.json``
   ``warnings`` (and in the refusal when no trial gives a fixation); the fixations are unchanged.
3. Under ``--stimulus`` (every row's stimulus) a row quarantined by a reader names that stimulus in
   ``quarantine.csv`` as the rows ingest quarantines later do (before: the file's own name, blank without a
   stimulus column).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from cli_fakes import refusal, run_cli

W, H = 640, 480


def _stimuli(root, sizes: dict):
    """A ``stim`` folder of black PNGs ``NAME.png`` of the (w, h) in ``sizes``, and an unreadable ``bad.png``."""
    import cv2

    d = root / "stim"
    d.mkdir()
    for name, (w, h) in sizes.items():
        cv2.imwrite(str(d / f"{name}.png"), np.zeros((h, w, 3), np.uint8))
    (d / "bad.png").write_bytes(b"not an image at all")
    return d


def _fixations(root, stimuli) -> str:
    log = root / "fix.csv"
    rows = ["subject,stimulus,x,y,duration_ms"]
    for s in ("A", "B"):
        for st in stimuli:
            rows.append(f"{s},{st},320,240,250")
    log.write_text("\n".join(rows) + "\n")
    return log


def _ingest(capsys, tmp_path, log, stim, *extra):
    return run_cli(capsys, ["ingest", log, "--stimuli", stim, "--screen-px", f"{W}x{H}", "--sigma-px", "10",
                            "--out", tmp_path / "o", "--workers", "1", "--quiet", *extra])


# ------------------------------------------------------------------ 1. a stimulus over --max-pixels

def test_a_stimulus_over_max_pixels_has_its_own_reason_warning_and_recorded_limit(tmp_path, capsys):
    stim = _stimuli(tmp_path, {"ok": (320, 240), "big": (640, 480)})
    log = _fixations(tmp_path, ["ok", "big", "bad"])
    rc, out, err = _ingest(capsys, tmp_path, log, stim, "--max-pixels", "100000")
    assert rc == 0 and "Traceback" not in err, err
    ds = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert ds["counts"]["quarantine_by_reason"] == {"stimulus_too_large": 2, "bad_stimulus_image": 2}
    q = pd.read_csv(tmp_path / "o" / "quarantine.csv", keep_default_na=False)
    assert sorted(zip(q["stimulus"], q["reason"])) == [("bad", "bad_stimulus_image")] * 2 + \
        [("big", "stimulus_too_large")] * 2
    assert ds["policies"]["max_pixels"] == 100_000
    lines = [ln for ln in err.splitlines() if "pixel limit" in ln]
    assert lines == [f"saliency ingest: warning: --stimuli {stim}: 1 stimulus above the pixel limit of 100,000: "
                     "big.png (640x480 = 307,200 pixels); the 2 rows naming it are quarantined as "
                     f"stimulus_too_large; shrink the image or raise the limit ({RAISE})"], err
    # the library's own line: the ways to raise the limit written out (IngestOptions has no max_pixels)
    assert [w for w in ds["warnings"] if "pixel limit" in w] == [
        f"`stimuli` {stim}: 1 stimulus above the pixel limit of 100,000: big.png (640x480 = 307,200 pixels); the 2 "
        f"rows naming it are quarantined as stimulus_too_large; shrink the image or raise the limit ({RAISE})"]
    assert ds["counts"]["per_stimulus"] == {"ok": 2}


def test_the_default_limit_is_recorded_and_no_image_is_too_large(tmp_path, capsys):
    stim = _stimuli(tmp_path, {"ok": (320, 240), "big": (640, 480)})
    rc, out, err = _ingest(capsys, tmp_path, _fixations(tmp_path, ["ok", "big"]), stim)
    assert rc == 0 and "pixel limit" not in err, err
    ds = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert ds["policies"]["max_pixels"] == 100_000_000 and ds["counts"]["quarantine_by_reason"] == {}


def test_every_stimulus_over_max_pixels_the_refusal_names_the_limit(tmp_path, capsys):
    stim = _stimuli(tmp_path, {"a": (640, 480), "b": (400, 300), "c": (320, 240), "d": (300, 300)})
    rc, out, err = _ingest(capsys, tmp_path, _fixations(tmp_path, ["a", "b", "c", "d"]), stim, "--max-pixels",
                           "50000")
    line = refusal(rc, out, err)
    assert line == (f"saliency ingest: error: no usable fixations in the 8 rows read (reasons: stimulus_too_large 8); "
                    f"--stimuli {stim}: 4 stimuli above the pixel limit of 50,000: a.png (640x480 = "
                    "307,200 pixels), b.png (400x300 = 120,000 pixels), c.png (320x240 = 76,800 pixels) and 1 more; "
                    f"the 8 rows naming them are quarantined as stimulus_too_large; shrink the images or raise the "
                    f"limit ({RAISE})")


RAISE = "--max-pixels; from Python saliency.base.images.pixel_limit(n) or SALIENCY_MAX_PIXELS"


def _wide(stim, name="wide.png", w=70_000):
    """A grey PNG ``w`` x 1 (a few hundred bytes): a side above 65,535 from 70,000 up, 70,000 pixels in all."""
    from PIL import Image

    Image.fromarray(np.zeros((1, w), np.uint8)).save(stim / name)


def test_a_side_above_the_bound_is_said_with_the_bound_and_no_limit_to_raise(tmp_path, capsys):
    # the reviewer's M: 70000x1 is 70,000 pixels, far under the default 100,000,000; only its side is too long
    stim = _stimuli(tmp_path, {"ok": (320, 240)})
    _wide(stim)
    log = tmp_path / "one.csv"
    log.write_text("subject,stimulus,x,y,duration_ms\nA,ok,320,240,250\nA,wide,320,240,250\n")
    rc, out, err = _ingest(capsys, tmp_path, log, stim)
    assert rc == 0 and "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if "stimulus_too_large" in ln]
    assert lines == [f"saliency ingest: warning: --stimuli {stim}: 1 stimulus with a side above 65,535 pixels, the "
                     "most any image may have: wide.png (70000x1); the 1 row naming it is quarantined as "
                     "stimulus_too_large; shrink the image to at most 65,535 pixels a side"], err


def test_images_above_the_pixel_limit_and_above_the_side_bound_are_said_apart(tmp_path, capsys):
    stim = _stimuli(tmp_path, {"ok": (320, 240), "big": (640, 480)})
    _wide(stim)
    rc, out, err = _ingest(capsys, tmp_path, _fixations(tmp_path, ["ok", "big", "wide"]), stim, "--max-pixels",
                           "100000")
    assert rc == 0 and "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if "stimulus_too_large" in ln]
    assert lines == [f"saliency ingest: warning: --stimuli {stim}: 1 stimulus above the pixel limit of 100,000: "
                     "big.png (640x480 = 307,200 pixels); 1 stimulus with a side above 65,535 pixels, the most any "
                     "image may have: wide.png (70000x1); the 4 rows naming them are quarantined as "
                     "stimulus_too_large; shrink the images (at most 65,535 pixels a side), or, for the 1 above the "
                     f"pixel limit, raise it ({RAISE})"], err


def test_the_library_refusal_names_ways_python_has(tmp_path):
    import pytest

    from saliency.base.errors import UserError
    from saliency.base.images import pixel_limit
    from saliency.data_tools.ingest import IngestOptions, ingest

    stim = _stimuli(tmp_path, {"a": (640, 480)})
    opts = IngestOptions(sigma_px=10.0, sigma_deg=None, ioc=False, coords="stimulus", detector="tracker")
    with pixel_limit(50_000), pytest.raises(UserError) as exc:
        ingest([_fixations(tmp_path, ["a"])], stim, tmp_path / "o", opts)
    assert str(exc.value).endswith(f"shrink the image or raise the limit ({RAISE})"), str(exc.value)
    assert "max_pixels" not in str(exc.value)  # not a parameter of IngestOptions nor of ingest


def test_max_pixels_above_pillows_own_limit_is_the_limit_in_force(tmp_path, capsys, monkeypatch):
    # the reviewer's H: a 20000x9000 PNG (180,000,000 pixels, above Pillow's 178,956,970) under --max-pixels
    # 300,000,000 was quarantined bad_stimulus_image, without a word. Pillow's limit is lowered here to 10,000 (it
    # refuses from twice that) so that 320x240 = 76,800 pixels stands for the large image
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    stim = _stimuli(tmp_path, {"ok": (320, 240)})
    rc, out, err = _ingest(capsys, tmp_path, _fixations(tmp_path, ["ok"]), stim)
    assert rc == 0 and "Traceback" not in err, err
    ds = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert ds["counts"]["quarantine_by_reason"] == {} and ds["counts"]["per_stimulus"] == {"ok": 2}
    assert Image.MAX_IMAGE_PIXELS == 10_000  # put back


def test_a_size_read_by_pillow_is_held_to_the_toolkits_limit_not_pillows(tmp_path, monkeypatch):
    # declared_too_large asks Pillow for a header its own reader does not parse: Pillow's bomb limit (10,000 here,
    # refusing from 20,000) made a 70000x1 image "no size" (bad_stimulus_image) instead of a side above 65,535
    from PIL import Image

    import saliency.base.images as images
    from saliency.data_tools.stimuli import declared_too_large

    stim = tmp_path / "stim"
    stim.mkdir()
    _wide(stim)
    _wide(stim, "fine.png", 30_000)
    monkeypatch.setattr(images, "image_size", lambda path: None)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    assert declared_too_large(stim / "wide.png") == (70_000, 1)
    assert declared_too_large(stim / "fine.png") is None


# ------------------------------------------------------------------ 2. the detector's trial warnings

def _samples(root, short_trials=1, long=True) -> str:
    """Subject A at 500 Hz on img0: trial 1 (``long``), 300 samples, still at x = 500, 800, 1100 (100 samples each,
    y = 400); then ``short_trials`` trials of 40 samples (78 ms) still at x = 500."""
    rows = ["subject,stimulus,trial,time_ms,x,y"]
    rows += [f"A,img0,1,{2 * i}.0,{500 + 300 * (i // 100)}.0,400.0" for i in range(300 if long else 0)]
    for k in range(short_trials):
        rows += [f"A,img0,{2 + k},{1000 * (k + 1) + 2 * i}.0,500.0,400.0" for i in range(40)]
    log = root / "samples.csv"
    log.write_text("\n".join(rows) + "\n")
    return log


def _ingest_samples(capsys, tmp_path, log, *extra):
    import cv2

    stim = tmp_path / "stim"
    stim.mkdir()
    cv2.imwrite(str(stim / "img0.png"), np.zeros((1080, 1920, 3), np.uint8))
    return run_cli(capsys, ["ingest", log, "--stimuli", stim, "--screen-px", "1920x1080", "--screen-cm", "53.1x29.9",
                            "--distance-cm", "65", "--sigma-px", "20", "--out", tmp_path / "o", "--workers", "1",
                            "--no-ioc", "--quiet", *extra])


WINDOW = ("--smooth-ms 100: its window (100 ms) fits around only 0 of the 40 samples with gaze of this trial (78 ms "
          "long, longest run of gaze 78 ms; a 3-sample window fits 38), and a sample without a speed is neither "
          "fixation nor saccade; give a --smooth-ms well under the trial's length")


def test_tobii_ivt_window_longer_than_a_trial_is_warned_and_fixations_unchanged(tmp_path, capsys):
    rc, out, err = _ingest_samples(capsys, tmp_path, _samples(tmp_path, short_trials=2), "--detector", "tobii-ivt",
                                   "--smooth-ms", "100")
    assert rc == 0 and "Traceback" not in err, err
    # one line for the input, its first short trial named and the other counted, as `saliency detect` sums up
    line = f"{tmp_path / 'samples.csv'}: trial (subject 'A', trial '2', stimulus 'img0') and 1 more of its trials: "
    assert [ln for ln in err.splitlines() if "window" in ln] == ["saliency ingest: warning: " + line + WINDOW], err
    ds = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert [w for w in ds["warnings"] if "window" in w] == [line + WINDOW.replace("--smooth-ms", "`window_ms`")]
    # hand-worked: a 100 ms window (25 samples each side) gives every sample within 25 of a jump (at 100, 200) a
    # speed of 7.3 deg/s / 0.1 s > 30 deg/s, and none to the 25 at either end: fixations on samples 25-74, 125-174,
    # 225-274 (98 ms each), at the still positions
    fx = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert fx[["x", "y", "t_start_ms", "duration_ms"]].values.tolist() == [
        [500.0, 400.0, 50.0, 98.0], [800.0, 400.0, 250.0, 98.0], [1100.0, 400.0, 450.0, 98.0]]
    assert fx["line"].tolist() == [27, 127, 227]  # the file line of each first sample (the header is line 1)


def test_the_window_warning_is_in_the_refusal_when_no_trial_gives_a_fixation(tmp_path, capsys):
    rc, out, err = _ingest_samples(capsys, tmp_path, _samples(tmp_path, short_trials=2, long=False), "--detector",
                                   "tobii-ivt", "--smooth-ms", "100")
    line = refusal(rc, out, err)
    assert f"{tmp_path / 'samples.csv'}: trial (subject 'A', trial '2', stimulus 'img0') and 1 more of its " \
           f"trials: {WINDOW}" in line, line


# ------------------------------------------------------------------ 3. `--stimulus` names reader-quarantined rows

def test_stimulus_option_names_the_rows_a_reader_quarantined(tmp_path, capsys):
    """A fixation list without a stimulus column under ``--stimulus``: line 3 (x = nan) is quarantined by the reader
    (bad_coordinates), line 6 (x = 5000 on a 640x480 screen) by ingest (off_screen); both name the stimulus s1, as
    the option gives it (before: line 3's cell was blank). Given as s1.png, both name its stem s1."""
    import cv2

    stim = tmp_path / "stim"
    stim.mkdir()
    cv2.imwrite(str(stim / "s1.png"), np.zeros((480, 640, 3), np.uint8))
    log = tmp_path / "fix.csv"
    log.write_text("subject,x,y,duration_ms\nA,100,100,250\nA,nan,200,250\nA,300,300,250\n"
                   "B,100,120,250\nB,5000,100,250\nB,310,290,250\n")
    for given in ("s1", "s1.png"):
        out = tmp_path / f"o_{given}"
        rc, _, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--screen-px", f"{W}x{H}", "--sigma-px", "10",
                                      "--stimulus", given, "--out", out, "--workers", "1", "--quiet"])
        assert rc == 0 and "Traceback" not in err, err
        q = pd.read_csv(out / "quarantine.csv", keep_default_na=False)
        assert q[["line", "reason", "subject", "stimulus"]].values.tolist() == [
            [3, "bad_coordinates", "A", "s1"], [6, "off_screen", "B", "s1"]], given

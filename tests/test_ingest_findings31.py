"""Findings of review 31 on ``saliency ingest``.

1. A stimulus over ``--max-pixels`` is its own quarantine reason, ``stimulus_too_large`` (before: the
   ``bad_stimulus_image`` of an unreadable file, with no word of the limit); one warning names the image, its
   pixel count and the limit, and ``dataset.json`` ``policies.max_pixels`` records the limit. Hand-worked:
   big.png is 640x480 = 307,200 pixels, above 100,000; ok.png is 320x240 = 76,800, within it; bad.png is not an
   image. A's and B's two fixations on each give 2 rows per reason.
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
    assert lines == [f"saliency ingest: warning: --stimuli {stim}: 1 stimulus above the pixel limit (--max-pixels "
                     "100,000): big.png (640x480 = 307,200 pixels); the 2 rows naming it are quarantined as "
                     "stimulus_too_large; raise --max-pixels or shrink the image"], err
    assert [w for w in ds["warnings"] if "pixel limit" in w] == [
        f"`stimuli` {stim}: 1 stimulus above the pixel limit (`max_pixels` 100,000): big.png (640x480 = 307,200 "
        "pixels); the 2 rows naming it are quarantined as stimulus_too_large; raise `max_pixels` or shrink the image"]
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
                    f"--stimuli {stim}: 4 stimuli above the pixel limit (--max-pixels 50,000): a.png (640x480 = "
                    "307,200 pixels), b.png (400x300 = 120,000 pixels), c.png (320x240 = 76,800 pixels) and 1 more; "
                    "the 8 rows naming them are quarantined as stimulus_too_large; raise --max-pixels or shrink the "
                    "images")

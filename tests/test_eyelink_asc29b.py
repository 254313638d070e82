"""Review RR1 of today's EyeLink ASC changes: inputs the older reader read and the new checks refused.

1. ``!V IMGLOAD FILL img0.png`` (scripts send FILL while drawing the image at its own size) with a `display` the
   user states: the user's mapping is kept with one warning; left at the default, the placement is still refused.
2. Samples-only monocular lines of the EyeLink Remote with velocities and resolution (8 numeric fields) carry 5 CR
   flags and the target fields: read as monocular, not refused as ``edf2asc -input``.

Oracles: small hand-written ASC files whose stimulus coordinates are worked out by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_fakes import refusal, run_cli

HEAD = ["** CONVERTED FROM s.edf using edf2asc", "**", "MSG\t900 DISPLAY_COORDS 0 0 1919 1079",
        "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00", "MSG\t1000 TRIALID 1"]
START = ["START\t1000 \tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tRIGHT\tRATE\t 500.00\tTRACKING\tCR"]
PTS = [(600, 300), (960, 540), (1300, 700)]
TAIL = ["MSG\t2200 TRIAL_RESULT 0"]


def _efix(pts=PTS):
    return [f"EFIX R\t{1010 + 400 * i}\t{1380 + 400 * i}\t371\t{x:7.1f}\t{y:7.1f}\t1000" for i, (x, y) in
            enumerate(pts)]


def _stim(tmp_path, size=(800, 600)):
    import cv2

    d = tmp_path / "stim"
    d.mkdir(exist_ok=True)
    assert cv2.imwrite(str(d / "img0.png"), np.zeros((size[1], size[0]), np.uint8))
    return d


def _asc(tmp_path, lines):
    p = tmp_path / "s.asc"
    p.write_text("\n".join(HEAD + lines) + "\n")
    return p


def _ingest(capsys, tmp_path, log, stim, *extra, detector="tracker"):
    out = tmp_path / "o"
    res = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--out", out, "--sigma-px", "20", "--detector",
                           detector, "--quiet", *extra])
    return res, out


def _xy(out):
    return pd.read_csv(out / "fixations.csv")[["x", "y"]].round(4).values.tolist()


# ------------------------------------------------------------------ 1. FILL with a stated `display`

# 800x600 on 1920x1080. native: drawn at 560,240 at its size; fit: at 240,0, 1.8 screen px per image px
# (pixel centres: image x = (screen x + 0.5 - left) / 1.8 - 0.5)
NATIVE = [[40.0, 60.0], [400.0, 300.0], [740.0, 460.0]]
FIT = [[round((x + 0.5 - 240) / 1.8 - 0.5, 4), round((y + 0.5) / 1.8 - 0.5, 4)] for x, y in PTS]
FILL_RECT = "left 0, top 0, 1920x1080"


@pytest.mark.parametrize("how, mode, xy, rect", [
    (["--display", "native"], "native", NATIVE, "left 560, top 240, 800x600"),
    (["--display", "fit"], "fit", FIT, "left 240, top 0, 1440x1080"),
    ({"screen_px": [1920, 1080], "screen_cm": [53, 30], "distance_cm": 60, "display": "native"}, "native", NATIVE,
     "left 560, top 240, 800x600")])
def test_imgload_fill_with_a_stated_display_keeps_the_user_s_mapping_with_one_warning(capsys, tmp_path, how, mode,
                                                                                      xy, rect):
    log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD FILL img0.png"] + START + _efix()
               + ["MSG\t1100 !V IMGLOAD FILL img0.png"] + TAIL)
    if isinstance(how, dict):
        (tmp_path / "screen.json").write_text(json.dumps(how))
        how = ["--geometry", tmp_path / "screen.json"]
    (rc, _, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path), *how)
    assert rc == 0, err
    assert _xy(o) == xy  # the stated display's mapping, never stretch's
    lines = [ln for ln in err.splitlines() if "IMGLOAD" in ln]
    assert len(lines) == 1, err  # one warning for the file, though two messages say FILL
    line = lines[0]
    assert line.startswith("saliency ingest: warning: ")
    assert f"{log}: line 6: `!V IMGLOAD FILL img0.png`" in line and FILL_RECT in line and rect in line
    assert f"--display {mode}" in line and "1 more" in line and "Traceback" not in err
    (w,) = [w for w in json.loads((o / "dataset.json").read_text())["warnings"] if "IMGLOAD" in w]
    assert FILL_RECT in w and rect in w and "`display` stretch" in w  # the parameter, as library lines name it


@pytest.mark.parametrize("how", [[], ["--screen-px", "1920x1080"], "geometry file without display"])
def test_imgload_fill_with_the_default_display_is_still_refused_saying_a_stated_display_is_kept(capsys, tmp_path,
                                                                                               how):
    log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD FILL img0.png"] + START + _efix() + TAIL)
    if isinstance(how, str):  # no "display" key: the default fit, not a stated one
        (tmp_path / "screen.json").write_text(json.dumps({"screen_px": [1920, 1080], "screen_cm": [53, 30],
                                                          "distance_cm": 60}))
        how = ["--geometry", tmp_path / "screen.json"]
    (rc, out, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path), *how)
    line = refusal(rc, out, err)
    assert f"{log}: line 6: `!V IMGLOAD FILL img0.png`" in line and FILL_RECT in line
    assert "--display stretch places it so; pass it, or pass the --display the screen really showed" in line
    assert not o.exists()


# ------------------------------------------------------------------ 2. the Remote's monocular VEL+RES lines

GEO = ["--screen-cm", "53x30", "--distance-cm", "60", "--display", "native"]
REMOTE = "\t  -68\t  -49\t  583.7\t............."  # target x, y, distance, then its 13 flags


def _samples(x, tail, n=300):
    # time x y pupil xv yv xr yr: 8 numeric fields; 5 CR flags (the Remote's), then the target fields
    return [f"{1000 + k}\t{x:.1f}\t300.0\t1000.0\t1.0\t2.0\t38.0\t35.0\t.....{tail}" for k in range(n)]


def test_remote_monocular_lines_with_velocity_resolution_and_five_flags_are_read_as_monocular(capsys, tmp_path):
    stim = _stim(tmp_path, size=(1920, 1080))
    for head in ([], START):  # samples-only (the shape decides the eyes), and with the START line naming them
        log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD FILL img0.png"] + head + _samples(600.0, REMOTE) + TAIL)
        (rc, _, err), o = _ingest(capsys, tmp_path, log, stim, *GEO, "--overwrite", detector="ivt")
        assert rc == 0, err
        # one fixation at the x, y fields (never the pupil or velocities as an eye): 600, 300 on a full-screen image
        assert _xy(o) == [[600.0, 300.0]]
    # without the target fields, 8 fields and 5 flags are also binocular + INPUT (xl yl pl xr yr pr input): refused
    log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD FILL img0.png"] + _samples(600.0, "") + TAIL)
    (rc, out, err), _ = _ingest(capsys, tmp_path, log, stim, *GEO, "--overwrite", detector="ivt")
    line = refusal(rc, out, err)
    assert f"{log}: line 7: 8 numeric fields" in line and "-input" in line

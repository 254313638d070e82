"""Review 29 of the EyeLink ASC reader: where ``!V IMGLOAD`` draws the image, names with spaces, samples-only files
with an INPUT column, and the sampling rates recorded.

Oracles: small hand-written ASC files (edf2asc layout) whose placements and values are worked out by hand.
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


def _efix(pts=PTS):
    return [f"EFIX R\t{1010 + 400 * i}\t{1380 + 400 * i}\t371\t{x:7.1f}\t{y:7.1f}\t1000" for i, (x, y) in
            enumerate(pts)]


def _stim(tmp_path, names=("img0.png",), size=(800, 600)):
    import cv2

    d = tmp_path / "stim"
    d.mkdir(exist_ok=True)
    for n in names:
        assert cv2.imwrite(str(d / n), np.zeros((size[1], size[0]), np.uint8))
    return d


def _asc(tmp_path, lines, name="s.asc"):
    p = tmp_path / name
    p.write_text("\n".join(HEAD + lines) + "\n")
    return p


def _ingest(capsys, tmp_path, log, stim, *extra, detector="tracker"):
    out = tmp_path / "o"
    res = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--out", out, "--sigma-px", "20", "--detector",
                           detector, "--quiet", *extra])
    return res, out


def _fix(out):
    return pd.read_csv(out / "fixations.csv")


# ------------------------------------------------------------------ 1. IMGLOAD placement

@pytest.mark.parametrize("msg, mode", [("CENTER img0.png 960 540", "native"), ("FILL img0.png", "stretch"),
                                       ("TOP_LEFT img0.png 560 240", "native"),
                                       ("CENTER img0.png 960 540 800 600", "native")])
def test_an_imgload_placing_the_image_elsewhere_than_display_fit_is_refused_naming_the_display_that_fits(
        capsys, tmp_path, msg, mode):
    # 800x600 on 1920x1080: fit draws it at 240,0 1440x1080; CENTER 960 540 at 560,240 800x600 (native's)
    log = _asc(tmp_path, [f"MSG\t1001 !V IMGLOAD {msg}"] + START + _efix())
    (rc, out, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path))
    line = refusal(rc, out, err)
    assert f"{log}: line 6: `!V IMGLOAD {msg}`" in line and "left 240, top 0, 1440x1080" in line
    assert f"--display {mode} places it so; pass it" in line
    assert not o.exists()  # nothing written


def test_with_the_display_the_refusal_names_the_fixations_land_where_the_imgload_drew_the_image(capsys, tmp_path):
    log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD CENTER img0.png 960 540"] + START + _efix())
    (rc, _, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path), "--display", "native")
    assert rc == 0, err
    f = _fix(o)
    # screen point - the image's corner (560,240), native size: (40,60), (400,300), (740,460)
    assert f[["x", "y"]].round(2).values.tolist() == [[40.0, 60.0], [400.0, 300.0], [740.0, 460.0]]


@pytest.mark.parametrize("msg", ["CENTER img0.png 700 400 800 600", "TOP_LEFT img0.png 100 50 800 600",
                                 "CENTER img0.png 960 540 400 300"])
def test_a_placement_no_display_gives_is_refused_with_what_to_do_instead(capsys, tmp_path, msg):
    log = _asc(tmp_path, [f"MSG\t1001 !V IMGLOAD {msg}"] + START + _efix())
    for display in ("fit", "native", "stretch"):
        (rc, out, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path), "--display", display)
        line = refusal(rc, out, err)
        assert f"`!V IMGLOAD {msg}`" in line and "cannot be read" in line and "--format fixations" in line
        assert not o.exists()


@pytest.mark.parametrize("msg, size, display, rect", [
    ("TOP_LEFT img0.png 0 0", (1920, 1080), "fit", (0, 0, 1, 1)),
    ("FILL img0.png", (1920, 1080), "fit", (0, 0, 1, 1)),
    ("FILL img0.png", (960, 540), "fit", (0, 0, 2, 2)),
    ("FILL img0.png", (800, 600), "stretch", (0, 0, 2.4, 1.8)),
    ("CENTER img0.png 960 540", (800, 600), "native", (560, 240, 1, 1)),
    ("CENTER img0.png 960", (800, 600), "fit", (240, 0, 1.8, 1.8))])  # no numbers read: the name only, as before
def test_an_imgload_that_agrees_with_the_display_passes_as_before(capsys, tmp_path, msg, size, display, rect):
    log = _asc(tmp_path, [f"MSG\t1001 !V IMGLOAD {msg}"] + START + _efix([(960, 540)]))
    (rc, _, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path, size=size), "--display", display)
    assert rc == 0, err
    # screen pixel 960 (edges 960..961) in an image drawn from `left` at `sx` screen pixels per image pixel
    left, top, sx, sy = rect
    assert _fix(o)[["x", "y"]].values.tolist() == [[pytest.approx((960.5 - left) / sx - 0.5),
                                                    pytest.approx((540.5 - top) / sy - 0.5)]]


# ------------------------------------------------------------------ 2. stimulus names with spaces

@pytest.mark.parametrize("msg, display", [("!V IMGLOAD FILL images/cat 01.png", "fit"),
                                          ("!V IMGLOAD CENTER images/cat 01.png 960 540", "native"),
                                          ("!V IMGLOAD TOP_LEFT cat 01.png 0 0 1920 1080", "fit"),
                                          ("!V TRIAL_VAR image cat 01.png", "fit")])
def test_a_stimulus_name_with_a_space_is_read_whole_never_pooled_into_its_first_word(capsys, tmp_path, msg,
                                                                                     display):
    stim = _stim(tmp_path, ("cat 01.png", "cat.png"), size=(1920, 1080))
    log = _asc(tmp_path, [f"MSG\t1001 {msg}"] + START + _efix())
    (rc, _, err), o = _ingest(capsys, tmp_path, log, stim, "--display", display)
    assert rc == 0, err
    f = _fix(o)
    assert f["stimulus"].tolist() == ["cat 01"] * 3 and f["x"].tolist() == [600, 960, 1300]


def test_a_message_name_that_finds_no_file_is_matched_by_its_last_image_word_with_a_warning(capsys, tmp_path):
    stim = _stim(tmp_path, ("beach.png", "cat.png"), size=(1920, 1080))
    log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD FILL Trial 3 beach.png"] + START + _efix())
    (rc, _, err), o = _ingest(capsys, tmp_path, log, stim)
    assert rc == 0, err
    assert _fix(o)["stimulus"].tolist() == ["beach"] * 3
    assert "'Trial 3 beach.png'" in err and "beach.png" in err
    ds = json.loads((o / "dataset.json").read_text())
    assert ds["stimuli"]["matched_by_last_word"] == {"Trial 3 beach.png": "beach.png"}


# ------------------------------------------------------------------ 3. samples-only files with an INPUT field

GEO = ["--screen-cm", "53x30", "--distance-cm", "60", "--display", "native"]
TAIL = ["MSG\t2200 TRIAL_RESULT 0"]


def _samples(fields, flags, n=300):
    # one fixation: the left eye at 595, the right at 605 (mean 600), y 300; pupils 1000; one line per ms
    return [f"{1000 + k}\t" + "\t".join(fields) + f"\t{flags}" for k in range(n)]


MONO_RES_IN = ["600.0", "300.0", "1000.0", "38.0", "35.0", "127.0"]  # x y p xr yr input: 7 fields with time
BINO_IN = ["595.0", "300.0", "1000.0", "605.0", "300.0", "1000.0", "127.0"]  # xl yl pl xr yr pr input: 8
MONO_IN = ["600.0", "300.0", "1000.0", "127.0"]  # 5


@pytest.mark.parametrize("fields, flags, n", [(MONO_RES_IN, "...", 7), (BINO_IN, ".....", 8),
                                              (MONO_IN, "...", 5), (BINO_IN + ["38.0", "35.0"], "", 10)])
def test_a_samples_only_file_with_an_input_field_is_refused_never_read_with_shifted_fields(
        capsys, tmp_path, fields, flags, n):
    log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD FILL img0.png"] + _samples(fields, flags) + TAIL)
    (rc, out, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path, size=(1920, 1080)), *GEO,
                                detector="ivt")
    line = refusal(rc, out, err)
    assert f"{log}: line 7: {n} numeric fields" in line and "-input" in line and "START and SAMPLES" in line
    assert not o.exists()


@pytest.mark.parametrize("fields, flags, x", [(BINO_IN[:6], ".....", 600.0), (MONO_RES_IN[:5], "...", 600.0)])
def test_samples_only_files_without_input_still_read_by_their_shape(capsys, tmp_path, fields, flags, x):
    # binocular 7 fields (the eyes averaged: 600), monocular + resolution 6 fields
    log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD FILL img0.png"] + _samples(fields, flags) + TAIL)
    (rc, _, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path, size=(1920, 1080)), *GEO, detector="ivt")
    assert rc == 0, err
    assert _fix(o)[["x", "y"]].values.tolist() == [[x, 300.0]]


def test_a_binocular_input_file_with_its_samples_line_reads_both_eyes(capsys, tmp_path):
    head = ["START\t1000 \tLEFT\tRIGHT\tSAMPLES\tEVENTS",
            "SAMPLES\tGAZE\tLEFT\tRIGHT\tRATE\t1000.00\tTRACKING\tCR\tFILTER\t2\tINPUT"]
    log = _asc(tmp_path, ["MSG\t1001 !V IMGLOAD FILL img0.png"] + head + _samples(BINO_IN, ".....") + TAIL)
    (rc, _, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path, size=(1920, 1080)), *GEO, detector="ivt")
    assert rc == 0, err
    assert _fix(o)[["x", "y"]].values.tolist() == [[600.0, 300.0]]


# ------------------------------------------------------------------ 4. the declared sampling rates

def _block(eye, rate, t0, n, dt, x):
    return [f"START\t{t0} \t{eye}\tSAMPLES\tEVENTS", f"SAMPLES\tGAZE\t{eye}\tRATE\t{rate:7.2f}\tTRACKING\tCR"] + \
        [f"{t0 + dt * k}\t{x:.1f}\t300.0\t1000.0\t..." for k in range(n)] + [f"END\t{t0 + dt * n} \tSAMPLES\tEVENTS"]


@pytest.mark.parametrize("rates, recorded", [((500, 1000), [500.0, 1000.0]), ((1000, 500), [500.0, 1000.0]),
                                             ((500, 500), 500.0)])
def test_declared_rate_records_every_block_s_rate_never_the_first_only(capsys, tmp_path, rates, recorded):
    lines = ["MSG\t1001 !V IMGLOAD FILL img0.png"]
    lines += _block("LEFT", rates[0], 1000, 300 * rates[0] // 1000, 1000 // rates[0], 600)
    lines += ["MSG\t1500 TRIAL_RESULT 0", "MSG\t2000 TRIALID 2", "MSG\t2001 !V IMGLOAD FILL img0.png"]
    lines += _block("RIGHT", rates[1], 2000, 300 * rates[1] // 1000, 1000 // rates[1], 900)
    log = _asc(tmp_path, lines + ["MSG\t2500 TRIAL_RESULT 0"])
    (rc, _, err), o = _ingest(capsys, tmp_path, log, _stim(tmp_path, size=(1920, 1080)), *GEO, detector="ivt")
    assert rc == 0, err
    assert sorted(_fix(o)["x"].tolist()) == [600.0, 900.0]  # both blocks read
    (inp,) = json.loads((o / "dataset.json").read_text())["inputs"]
    assert inp["declared_rate_hz"] == recorded

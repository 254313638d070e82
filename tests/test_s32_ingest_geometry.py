"""Review s32: impossible screen geometries, `--display native` on every path, float TIFF stimuli, GIF stimuli."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli
from saliency.base.errors import UserError
from saliency.data_tools.geometry import ScreenGeometry

GEO = ["--screen-px", "1365x767", "--distance-cm", "61.5"]


def _fixations(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"])
        w.writerows(rows)


def _study(tmp_path, sizes):
    """A stimuli folder with one random RGB PNG per (name, (w, h)) and a fixation list naming each twice."""
    stim = tmp_path / "stim"
    stim.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for name, (w, h) in sizes.items():
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(stim / f"{name}.png")
        rows += [("s1", f"{name}.png", w // 2, h // 2, 0, 200), ("s2", f"{name}.png", w // 3, h // 3, 0, 200)]
    _fixations(tmp_path / "fix.csv", rows)
    return stim


@pytest.mark.parametrize("cm, dist, words", [
    ("26.9x47.3", "61.5", "W x H order?"),  # width and height swapped: 54.5 px/deg across, 17.4 down
    ("473x269", "61.5", "cm vs mm?"),  # mm typed as cm: 2 atan(236.5 / 61.5) = 151 deg across
    ("47.3x26.9", "0.615", "distance in cm?"),  # a distance in m: 177 deg
])
def test_an_impossible_screen_geometry_is_refused_in_one_line(tmp_path, capsys, cm, dist, words):
    stim = _study(tmp_path, {"a": (801, 599)})
    line = refusal(*run_cli(capsys, ["ingest", tmp_path / "fix.csv", "--format", "fixations", "--stimuli", stim,
                                     "--screen-px", "1365x767", "--screen-cm", cm, "--distance-cm", dist,
                                     "--out", tmp_path / "o", "--no-ioc"]))
    assert words in line and f"--screen-cm {cm}" in line, line
    assert not (tmp_path / "o").exists()
    if words == "W x H order?":  # both ppd values, as worked by hand: 1365 / 26.9 * 61.5 * tan(1 deg) ...
        t = math.tan(math.radians(1))
        assert f"{1365 / 26.9 * 61.5 * t:.1f}" == "54.5" and "54.5" in line
        assert f"{767 / 47.3 * 61.5 * t:.1f}" == "17.4" and "17.4" in line


def test_the_geometry_file_and_the_library_refuse_the_same_geometries():
    with pytest.raises(UserError, match=r"^screen.json: screen_cm 26.9x47.3 with screen_px 1365x767 .*W x H order"):
        ScreenGeometry.from_dict({"screen_px": [1365, 767], "screen_cm": [26.9, 47.3], "distance_cm": 61.5},
                                 "screen.json")
    with pytest.raises(UserError, match=r"^`?screen_cm`? 473x269 at `?distance_cm`? 61.5 spans 151 x 131 degrees"):
        ScreenGeometry((1365, 767), (473.0, 269.0), 61.5)
    # a real set-up passes (1920x1080 on 53.1x29.9 cm at 65 cm; the Lund 2013 1024x768 on 38x30 cm at 67 cm)
    assert ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0).has_degrees
    assert ScreenGeometry((1024, 768), (38.0, 30.0), 67.0).has_degrees
    # a resolution read from a log later is held to the same check
    with pytest.raises(UserError, match="W x H order"):
        ScreenGeometry(None, (26.9, 47.3), 61.5).with_screen_px((1365, 767))


def test_display_native_refuses_an_oversized_stimulus_for_stimulus_coordinates_too(tmp_path, capsys):
    stim = _study(tmp_path, {"a": (801, 599), "b": (2001, 401)})
    base = ["ingest", tmp_path / "fix.csv", "--format", "fixations", "--stimuli", stim, *GEO, "--screen-cm",
            "47.3x26.9", "--display", "native", "--no-ioc", "--quiet"]
    want = "saliency ingest: error: --display native: a 2001x401 stimulus does not fit the 1365x767 screen; " \
           "use --display fit"
    assert refusal(*run_cli(capsys, [*base, "--out", tmp_path / "o1"])) == want  # screen coordinates: as before
    assert refusal(*run_cli(capsys, [*base, "--coords", "stimulus", "--out", tmp_path / "o2"])) == want
    assert not (tmp_path / "o2").exists()


def test_a_float_tiff_stimulus_is_quarantined_with_its_sample_format(tmp_path, capsys):
    stim = _study(tmp_path, {"b": (64, 48)})
    g8 = (np.mgrid[0:48, 0:64][1] * 4).astype(np.uint8)
    Image.fromarray(g8.astype(np.float32) / 255).save(stim / "a_f32.tif")  # PIL mode F: SampleFormat 3
    with open(tmp_path / "fix.csv", "a", newline="") as f:
        csv.writer(f).writerows([("s1", "a_f32.tif", 10, 20, 0, 200), ("s2", "a_f32.tif", 12, 20, 0, 200)])
    rc, out, err = run_cli(capsys, ["ingest", tmp_path / "fix.csv", "--format", "fixations", "--stimuli", stim,
                                    "--coords", "stimulus", "--sigma-px", "5", "--out", tmp_path / "o", "--no-ioc"])
    assert rc == 0, err
    with open(tmp_path / "o" / "quarantine.csv") as f:
        reasons = {(r["stimulus"], r["reason"]) for r in csv.DictReader(f)}
    assert reasons == {("a_f32.tif", "bad_stimulus_image")}
    assert sorted(p.name for p in (tmp_path / "o" / "maps").iterdir()) == ["b.png"]
    assert "a_f32.tif: float32" in err and "not read as a photo" in err and "8- or 16-bit" in err, err


def test_a_gif_stimulus_is_said_to_be_there_but_not_read(tmp_path, capsys):
    stim = _study(tmp_path, {"b": (64, 48)})
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(stim / "a.gif")
    with open(tmp_path / "fix.csv", "a", newline="") as f:
        csv.writer(f).writerows([("s1", "a.gif", 10, 10, 0, 200), ("s2", "a.gif", 12, 10, 0, 200)])
    rc, out, err = run_cli(capsys, ["ingest", tmp_path / "fix.csv", "--format", "fixations", "--stimuli", stim,
                                    "--coords", "stimulus", "--sigma-px", "5", "--out", tmp_path / "o", "--no-ioc"])
    assert rc == 0, err
    line = next(ln for ln in err.splitlines() if "'a.gif'" in ln)
    assert "not in " not in line and "'a.gif' is there, but .gif is not read: convert it to PNG" in line, line


# ---------------------------------------------------------------- regression review RR1 of the above (F12)

def test_display_native_refuses_an_oversized_stimulus_for_stimulus_coordinates_with_sigma_px(tmp_path, capsys):
    # --sigma-px needs no placement for the blur: the size check is made for every stimulus all the same
    stim = _study(tmp_path, {"a": (801, 599), "b": (2001, 401)})
    line = refusal(*run_cli(capsys, ["ingest", tmp_path / "fix.csv", "--format", "fixations", "--coords", "stimulus",
                                     "--sigma-px", "5", "--stimuli", stim, *GEO, "--screen-cm", "47.3x26.9",
                                     "--display", "native", "--no-ioc", "--quiet", "--out", tmp_path / "o"]))
    assert line == ("saliency ingest: error: --display native: a 2001x401 stimulus does not fit the 1365x767 "
                    "screen; use --display fit"), line
    assert not (tmp_path / "o").exists()
    # every stimulus that fits (801x599 and 640x480 on 1365x767): accepted as before
    (tmp_path / "fits").mkdir()
    stim2 = _study(tmp_path / "fits", {"a": (801, 599), "b": (640, 480)})
    rc, out, err = run_cli(capsys, ["ingest", tmp_path / "fits" / "fix.csv", "--format", "fixations", "--coords",
                                    "stimulus", "--sigma-px", "5", "--stimuli", stim2, *GEO, "--screen-cm",
                                    "47.3x26.9", "--display", "native", "--no-ioc", "--quiet",
                                    "--out", tmp_path / "o2"])
    assert rc == 0, err


def test_a_sidecar_file_that_is_no_image_is_not_offered_as_an_unread_stimulus(tmp_path, capsys):
    stim = _study(tmp_path, {"a": (64, 48), "b": (64, 48)})
    (stim / "c.json").write_text('{"note": "annotations"}')
    (stim / "notes.txt").write_text("hello")
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(stim / "d", format="PNG")  # an image without an extension
    with open(tmp_path / "fix.csv", "a", newline="") as f:
        csv.writer(f).writerows([("s1", "c.jpg", 10, 10, 0, 200), ("s2", "notes", 10, 10, 0, 200),
                                 ("s1", "d.png", 10, 10, 0, 200)])
    rc, out, err = run_cli(capsys, ["ingest", tmp_path / "fix.csv", "--format", "fixations", "--stimuli", stim,
                                    "--coords", "stimulus", "--sigma-px", "5", "--out", tmp_path / "o", "--no-ioc"])
    assert rc == 0, err
    line = next(ln for ln in err.splitlines() if "'c.jpg'" in ln)
    assert "c.json" not in line and "notes.txt" not in line, line
    assert "'notes', 'c.jpg'" in line or "'c.jpg', 'notes'" in line, line
    # the extensionless PNG is an image the toolkit does not read: said to be there
    assert "'d.png' ('d' is there, but a file without an extension is not read: convert it to PNG)" in line, line
    # and without it among the names, the plain wording: the names are 'not in' the folder
    _fixations(tmp_path / "fix2.csv", [("s1", "a.png", 10, 10, 0, 200), ("s1", "c.jpg", 10, 10, 0, 200),
                                       ("s2", "notes", 10, 10, 0, 200)])
    rc, out, err = run_cli(capsys, ["ingest", tmp_path / "fix2.csv", "--format", "fixations", "--stimuli", stim,
                                    "--coords", "stimulus", "--sigma-px", "5", "--out", tmp_path / "o2", "--no-ioc"])
    assert rc == 0, err
    line = next(ln for ln in err.splitlines() if "'c.jpg'" in ln)
    assert f"2 rows name a stimulus not in {stim}: looked for " in line and " is there" not in line, line


def test_a_gif_named_by_the_stimulus_option_is_said_to_be_there_but_not_read(tmp_path, capsys):
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(stim / "a.gif")
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(stim / "b.png")
    with open(tmp_path / "fix.csv", "w", newline="") as f:
        csv.writer(f).writerows([("subject", "x", "y", "t_start_ms", "duration_ms"), ("s1", 10, 10, 0, 200)])
    base = ["ingest", tmp_path / "fix.csv", "--format", "fixations", "--stimuli", stim, "--coords", "stimulus",
            "--sigma-px", "5", "--out", tmp_path / "o", "--quiet"]
    line = refusal(*run_cli(capsys, [*base, "--stimulus", "a.gif"]))
    assert line == (f"saliency ingest: error: --stimulus 'a.gif' ('a.gif' is there, but .gif is not read: convert it "
                    f"to PNG): not among the images read in {stim} (available: b.png)"), line
    line = refusal(*run_cli(capsys, [*base, "--stimulus", "zz.png"]))  # a name of nothing: as before
    assert line == f"saliency ingest: error: --stimulus 'zz.png': no such image in {stim} (available: b.png)", line


ASC = """** CONVERTED FROM s.edf using edf2asc
MSG\t900 DISPLAY_COORDS 0 0 1919 1079
MSG\t1000 TRIALID 1
MSG\t1001 !V IMGLOAD CENTER img0.png 960 540
START\t1000 \tRIGHT\tSAMPLES\tEVENTS
SAMPLES\tGAZE\tRIGHT\tRATE\t 500.00\tTRACKING\tCR
EFIX R\t1010\t1380\t371\t  600.0\t  300.0\t1000
EFIX R\t1410\t1780\t371\t  960.0\t  540.0\t1000
MSG\t2200 TRIAL_RESULT 0
"""


@pytest.mark.parametrize("command", ["ingest", "detect"])
def test_an_impossible_screen_names_the_log_that_declared_its_resolution(tmp_path, capsys, command):
    (tmp_path / "s.asc").write_text(ASC)
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(stim / "img0.png")
    args = ["--stimuli", stim, "--detector", "tracker"] if command == "ingest" else []
    line = refusal(*run_cli(capsys, [command, tmp_path / "s.asc", *args, "--out", tmp_path / "o", "--quiet",
                                     "--screen-cm", "30x53", "--distance-cm", "60"]))
    t = math.tan(math.radians(1))  # by hand: 1920 / 30 * 60 * tan(1 deg) across, 1080 / 53 * 60 * tan(1 deg) down
    assert (f"{1920 / 30 * 60 * t:.1f}", f"{1080 / 53 * 60 * t:.1f}") == ("67.0", "21.3")
    assert line == (f"saliency {command}: error: --screen-cm 30x53 with the 1920x1080 screen that {tmp_path / 's.asc'} "
                    "declares gives 67.0 pixels per degree across but 21.3 down (a real screen's pixels are square "
                    "within a few %); W x H order? give --screen-cm as width x height"), line
    assert "--screen-px" not in line and not (tmp_path / "o").exists()


def test_sigma_for_without_a_screen_resolution_is_one_line_not_a_type_error():
    """The native-size check read `screen_px` before placement's own refusal of a geometry without it: a TypeError
    traceback from the public sigma_for (read-through RT1)."""
    from saliency.data_tools.ingest import IngestOptions, sigma_for

    with pytest.raises(UserError, match="needs the screen resolution"):
        sigma_for((100, 100), IngestOptions(geometry=ScreenGeometry(None, (50.0, 30.0), 60.0)))

"""Maps review: what ``saliency ingest`` prints, records and refuses about its maps.

Each test runs a tiny hand-made fixation table through the command line and
checks the result against numbers worked out here by hand or with scipy, not
against the toolkit's own earlier output:

- the printed sigma shows both axes when they differ (``--display stretch``);
- ``--display`` with no screen to place the stimuli on is refused, one line;
- ``--weight duration`` with a fixation lacking a duration names its file, line, subject and stimulus;
- ``fixations.csv`` holds the numbers that put each fixation on the pixel of ``fixations/<stem>.png``;
- ``dataset.json`` records the inter-observer scores' reduced grid and the centre bias' canvas and sigma.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main

HEADER = "subject,stimulus,x,y,t_start_ms,duration_ms"


def _stimuli(tmp_path, sizes: dict) -> str:
    import cv2

    d = tmp_path / "stim"
    d.mkdir(exist_ok=True)
    for name, (w, h) in sizes.items():
        cv2.imwrite(str(d / f"{name}.png"), np.full((h, w), 128, np.uint8))
    return str(d)


def _table(tmp_path, rows: list[str], name="fix.csv") -> str:
    p = tmp_path / name
    p.write_text("\n".join([HEADER, *rows]) + "\n")
    return str(p)


def _ingest(tmp_path, capsys, log, stim, *extra, out="d"):
    rc = main(["ingest", log, "--stimuli", stim, "--out", str(tmp_path / out), "--quiet", "--detector", "tracker",
               *extra])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_summary_prints_both_sigma_axes_when_they_differ(tmp_path, capsys):
    # a 40x80 stimulus stretched over a 100x100 screen: 2.5 screen px per stimulus px across, 1.25 down
    stim = _stimuli(tmp_path, {"tall": (40, 80)})
    log = _table(tmp_path, ["s1,tall,50,50,0,300", "s2,tall,20,70,0,300"])
    geo = ["--screen-px", "100x100", "--screen-cm", "30x30", "--distance-cm", "60"]
    rc, out, err = _ingest(tmp_path, capsys, log, stim, *geo, "--display", "stretch", "--no-ioc")
    assert rc == 0, err
    ppd = 100 / 30 * 60 * math.tan(math.radians(1))  # the MIT formula, the same on both axes here
    sx, sy = ppd / 2.5, ppd / 1.25  # 1 deg in stimulus pixels on each axis
    line = next(ln for ln in out.splitlines() if ln.startswith("sigma"))
    assert f"40x80: {sx:.2f}x{sy:.2f} px" in line, line
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert m["sigma"]["px_by_stimulus_size"]["40x80"] == pytest.approx([sx, sy], abs=1e-6)
    # equal axes: one value
    rc, out, err = _ingest(tmp_path, capsys, log, stim, "--sigma-px", "3", "--no-ioc", out="e")
    assert rc == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("sigma"))
    assert "40x80: 3.00 px" in line and "3.00x" not in line, line


def test_display_without_a_screen_is_refused(tmp_path, capsys):
    stim = _stimuli(tmp_path, {"wide": (64, 48)})
    log = _table(tmp_path, ["s1,wide,10,10,0,300", "s2,wide,50,40,0,300"])
    # fixations in stimulus pixels, the blur in pixels: no screen, so a display mode has nothing to act on
    rc, _, err = _ingest(tmp_path, capsys, log, stim, "--sigma-px", "5", "--display", "stretch", out="refused")
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and "--display stretch" in err and "leave it out" in err, err
    assert "`" not in err  # the parameter is spelled as its flag
    assert not (tmp_path / "refused").exists()
    # without --display (the command's default) the same run goes through, as does the library's default
    rc, _, err = _ingest(tmp_path, capsys, log, stim, "--sigma-px", "5", out="ok")
    assert rc == 0, err
    from saliency.data_tools.ingest import IngestOptions, ingest

    m = ingest([log], stim, tmp_path / "lib", IngestOptions(sigma_px=5.0, detector="tracker"))
    assert m["geometry"] is None and m["counts"]["fixations"] == 2
    # with a screen, --display is used and recorded
    rc, _, err = _ingest(tmp_path, capsys, log, stim, "--sigma-px", "5", "--screen-px", "64x48", "--display",
                         "native", out="screen")
    assert rc == 0, err
    assert json.loads((tmp_path / "screen" / "dataset.json").read_text())["geometry"]["display"] == "native"


def test_display_with_a_resolution_the_file_declares_is_used(tmp_path, capsys):
    from test_ingest_real_cases import _asc

    _stimuli(tmp_path, {"img1": (1920, 1080)})
    p = _asc(tmp_path)  # GAZE_COORDS 0 0 1920 1080: the screen comes from the file
    rc, _, err = _ingest(tmp_path, capsys, str(p), str(tmp_path / "stim"), "--sigma-px", "10", "--display",
                         "native", "--no-ioc")
    assert rc == 0, err
    g = json.loads((tmp_path / "d" / "dataset.json").read_text())["geometry"]
    assert g["screen_px"] == [1920, 1080] and g["display"] == "native"


def test_weight_duration_error_names_the_file_and_first_row(tmp_path, capsys):
    stim = _stimuli(tmp_path, {"img": (200, 150)})
    log = _table(tmp_path, [
        "s1,img,500,500,0,",  # line 2: off the stimulus, quarantined before the maps: not counted
        "s1,img,10,10,400,300",  # line 3
        "s2,img,20,20,0,",  # line 4: the first kept fixation without a duration
        "s2,img,30,30,400,",  # line 5
    ])
    rc, _, err = _ingest(tmp_path, capsys, log, stim, "--sigma-px", "3", "--weight", "duration", out="refused")
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert f"{log} line 4" in err and "2 of the 3 fixations" in err, err
    assert "'s2'" in err and "'img'" in err and "--weight none" in err, err
    assert not (tmp_path / "refused").exists()


def test_fixation_weights_error_names_count_and_first_fixation():
    from saliency.base.errors import UserError
    from saliency.data_tools.maps import MapPolicy, fixation_weights

    pol = MapPolicy((2.0, 2.0), weight="duration")
    with pytest.raises(UserError) as e:
        fixation_weights(["a", "b", "c"], [100.0, float("nan"), float("inf")], pol)
    msg = str(e.value)
    assert "2 of the 3 fixations" in msg and "fixation 2" in msg and "'b'" in msg, msg
    assert fixation_weights(["a", "b"], [100.0, 300.0], pol).tolist() == [100.0, 300.0]


def test_fixations_csv_reproduces_the_fixation_png(tmp_path, capsys):
    import cv2

    stim = _stimuli(tmp_path, {"img": (200, 150)})
    pts = [("s1", 100.25, 98.4999999), ("s1", 20.0, 30.5), ("s2", 150.7, 10.4999999999), ("s2", 3.4999999, 7.0)]
    log = _table(tmp_path, [f"{s},img,{x!r},{y!r},0,300" for s, x, y in pts])
    rc, _, err = _ingest(tmp_path, capsys, log, stim, "--sigma-px", "3", "--no-ioc")
    assert rc == 0, err
    png = cv2.imread(str(tmp_path / "d" / "fixations" / "img.png"), cv2.IMREAD_UNCHANGED)
    # pixel centres at integers: the pixel of (x, y) is (floor(y + 0.5), floor(x + 0.5)), from the inputs
    expect = {(math.floor(y + 0.5), math.floor(x + 0.5)) for _, x, y in pts}
    assert expect == {(98, 100), (31, 20), (10, 151), (7, 3)}
    assert set(map(tuple, np.argwhere(png == 255).tolist())) == expect
    fx = pd.read_csv(tmp_path / "d" / "fixations.csv")
    from_table = set(zip(np.floor(fx["y"] + 0.5).astype(int), np.floor(fx["x"] + 0.5).astype(int)))
    assert from_table == expect
    assert sorted(zip(fx["x"], fx["y"])) == sorted((x, y) for _, x, y in pts)  # the very numbers read


def _ioc_nss_oracle(stims: dict, fx: pd.DataFrame, sigma: float, grid: dict) -> list[float]:
    """NSS of each subject against the others' map, blurred by scipy on the grid that dataset.json names."""
    from scipy.ndimage import gaussian_filter

    out = []
    for st, d in fx.groupby("stimulus"):
        w, h = stims[st]
        sw, sh = grid[f"{w}x{h}"]
        ax, ay = sw / w, sh / h
        c = np.clip(np.floor((d["x"].to_numpy() + 0.5) * ax - 0.5 + 0.5), 0, sw - 1).astype(int)
        r = np.clip(np.floor((d["y"].to_numpy() + 0.5) * ay - 0.5 + 0.5), 0, sh - 1).astype(int)
        subj = d["subject"].to_numpy()
        for s in sorted(set(subj)):
            o = subj != s
            F = np.zeros((sh, sw))
            np.add.at(F, (r[o], c[o]), 1.0)
            M = gaussian_filter(F, (sigma * ay, sigma * ax), mode="constant", truncate=4.0)
            rr, cc = np.divmod(np.unique(r[~o] * sw + c[~o]), sw)
            out.append(float(((M[rr, cc] - M.mean()) / M.std(ddof=1)).mean()))
    return out


def test_dataset_json_records_ioc_grid_and_center_bias(tmp_path, capsys):
    import cv2
    from scipy.ndimage import gaussian_filter

    stims = {"big": (300, 200), "small": (64, 32)}
    stim = _stimuli(tmp_path, stims)
    rows = ["s1,big,40,50,0,300", "s1,big,250,150,400,300", "s2,big,60,60,0,300", "s2,big,150,100,400,300",
            "s3,big,280,20,0,300", "s1,small,10,10,0,300", "s2,small,50,20,0,300"]
    log = _table(tmp_path, rows)
    rc, _, err = _ingest(tmp_path, capsys, log, stim, "--sigma-px", "6")
    assert rc == 0, err
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    io = m["qc"]["inter_observer"]
    # 300x200 shrunk to 128 px on the long side: 128 x round(200 * 128 / 300) = 128 x 85, sigma scaled alike;
    # 64x32 is under 128 px: kept as is
    assert io["max_side_px"] == 128
    assert io["grid_by_stimulus_size"] == {"300x200": [128, 85], "64x32": [64, 32]}
    assert io["sigma_px_by_stimulus_size"]["300x200"] == pytest.approx([6 * 128 / 300, 6 * 85 / 200], abs=1e-6)
    assert io["sigma_px_by_stimulus_size"]["64x32"] == pytest.approx([6.0, 6.0], abs=1e-6)
    cb = m["qc"]["center_bias"]
    # 5 of the 7 fixations lie on the 300x200 stimulus: its size is the canvas
    assert cb["canvas_px"] == [300, 200] and cb["sigma_px"] == pytest.approx(6.0) and cb["border"] == "constant"
    # the recorded grid and sigma are the ones the scores were computed on
    fx = pd.read_csv(tmp_path / "d" / "fixations.csv")
    nss = _ioc_nss_oracle(stims, fx, 6.0, io["grid_by_stimulus_size"])
    assert m["inter_observer"]["nss"]["n"] == len(nss) == 5
    # per stimulus first ("big": 3 observers, "small": 2), then over stimuli (stop 22)
    assert m["inter_observer"]["nss"]["mean"] == pytest.approx(np.mean([np.mean(nss[:3]), np.mean(nss[3:])]), abs=2e-6)
    # the recorded canvas and sigma are the ones center_bias.png was blurred with
    cw, ch = cb["canvas_px"]
    W = fx["stimulus"].map(lambda s: stims[s][0]).to_numpy(float)
    H = fx["stimulus"].map(lambda s: stims[s][1]).to_numpy(float)
    c = np.clip(np.floor((fx["x"].to_numpy() + 0.5) / W * cw), 0, cw - 1).astype(int)
    r = np.clip(np.floor((fx["y"].to_numpy() + 0.5) / H * ch), 0, ch - 1).astype(int)
    F = np.zeros((ch, cw))
    np.add.at(F, (r, c), 1.0)
    M = gaussian_filter(F, cb["sigma_px"], mode=cb["border"], truncate=4.0)
    M = (M - M.min()) / (M.max() - M.min())
    got = cv2.imread(str(tmp_path / "d" / "center_bias.png"), cv2.IMREAD_UNCHANGED).astype(float)
    assert got.shape == (ch, cw) and np.abs(got - M * 255).max() <= 0.5 + 1e-6

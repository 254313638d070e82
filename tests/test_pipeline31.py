"""Pipeline review 31 (task F20): the centre bias at float precision as the IG baseline, an ingest folder given to
``eval --task sod``, the stimuli no row names, and the advice of an image with a side too long."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_fakes import refusal, run_cli
from PIL import Image

EPS = np.finfo(np.float64).eps  # MATLAB's eps, added before the log (MIT's InfoGain.m)


def _log2_density(m: np.ndarray) -> np.ndarray:
    """By hand, MIT's conversion of a plain map: min-max, sum to 1, plus eps, log2."""
    m = m.astype(np.float64)
    m = (m - m.min()) / (m.max() - m.min())
    return np.log2(m / m.sum() + EPS)


def _ingest_like(d, cb_float: np.ndarray, fix_rc: list[tuple[int, int]]) -> None:
    """An ingest folder of one image ``a`` (fixations/ + maps/ + center_bias.png, 8 bits, as ingest writes it)."""
    h, w = cb_float.shape
    (d / "fixations").mkdir(parents=True)
    (d / "maps").mkdir()
    f = np.zeros((h, w), np.uint8)
    for r, c in fix_rc:
        f[r, c] = 255
    Image.fromarray(f).save(d / "fixations" / "a.png")
    Image.fromarray(np.full((h, w), 128, np.uint8)).save(d / "maps" / "a.png")
    Image.fromarray(np.rint(cb_float / cb_float.max() * 255).astype(np.uint8)).save(d / "center_bias.png")
    (d / "dataset.json").write_text("{}")


def _eval_ig(tmp_path, capsys, gt, pred) -> float:
    """IG of the prediction ``pred`` (saved as p/a.png) scored by ``saliency eval`` against the folder ``gt``."""
    (tmp_path / "p").mkdir()
    Image.fromarray(pred).save(tmp_path / "p" / "a.png")
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--pred", f"P={tmp_path / 'p'}", "--gt", gt,
                                    "--metrics", "IG", "--json", tmp_path / "r.json"])
    assert rc == 0, err
    return json.loads((tmp_path / "r.json").read_text())["results"][0]["metrics"]["IG"]


def test_ig_baseline_is_the_float_centre_bias_where_its_8_bit_png_rounds_to_0(tmp_path, capsys):
    # a 4x6 centre bias, 1 in the middle, 0.001 at the left edge: 0.255 of 255, 0 in the PNG
    cb = np.array([[0.001, 0.2, 0.6, 0.6, 0.2, 0.0],
                   [0.001, 0.4, 1.0, 1.0, 0.4, 0.0],
                   [0.001, 0.4, 1.0, 1.0, 0.4, 0.0],
                   [0.001, 0.2, 0.6, 0.6, 0.2, 0.0]], dtype=np.float32)
    fix = [(1, 0), (2, 2), (1, 3)]  # (1, 0): on a pixel 0 in the 8-bit PNG, 0.001 in the float map
    d = tmp_path / "ds"
    _ingest_like(d, cb, fix)
    np.save(d / "center_bias.npy", cb)
    pred = np.array([[1, 2, 3, 3, 2, 1], [5, 6, 9, 9, 6, 1], [2, 6, 9, 9, 6, 1], [1, 2, 3, 3, 2, 1]], np.uint8) * 20
    ig = _eval_ig(tmp_path, capsys, d, pred)
    rows, cols = zip(*fix)
    lp, lb = _log2_density(pred), _log2_density(cb.astype(np.float64))
    oracle = float(np.mean(lp[rows, cols] - lb[rows, cols]))
    # the 8-bit PNG as the baseline: the edge fixation at log2(eps) = -52 bits gave over 10 bits more per fixation
    lb8 = _log2_density(np.asarray(Image.open(d / "center_bias.png")))
    assert lb8[1, 0] < -51.9 and float(np.mean(lp[rows, cols] - lb8[rows, cols])) > oracle + 10
    assert abs(ig - oracle) < 1e-6, (ig, oracle)


def test_a_folder_without_the_npy_keeps_its_png_baseline(tmp_path, capsys):
    cb = np.array([[0.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 0.0]], dtype=np.float32)
    fix = [(1, 1), (0, 1)]
    d = tmp_path / "ds"
    _ingest_like(d, cb, fix)
    pred = np.array([[10, 50, 10], [50, 200, 50], [10, 90, 10]], np.uint8)
    ig = _eval_ig(tmp_path, capsys, d, pred)
    rows, cols = zip(*fix)
    png = np.asarray(Image.open(d / "center_bias.png"))  # 0, 128, 255
    oracle = float(np.mean(_log2_density(pred)[rows, cols] - _log2_density(png)[rows, cols]))
    assert abs(ig - oracle) < 1e-6, (ig, oracle)


def test_eval_sod_refuses_an_ingest_folder_in_one_line_naming_task_fixation(tmp_path, capsys):
    d = tmp_path / "ing"
    _ingest_like(d, np.array([[0.0, 1.0], [1.0, 0.5]], dtype=np.float32), [(0, 1)])
    (tmp_path / "p").mkdir()
    Image.fromarray(np.full((2, 2), 200, np.uint8)).save(tmp_path / "p" / "a.png")
    line = refusal(*run_cli(capsys, ["eval", "--task", "sod", "--pred", f"M={tmp_path / 'p'}", "--gt", d]))
    assert line == (f"saliency eval: error: --gt {d}: a fixation dataset written by saliency ingest (dataset.json, "
                    "fixations/, maps/), not a folder of SOD masks; evaluate it with --task fixation"), line
    # a masks folder that merely holds a maps/ sub-folder is still read as masks
    m = tmp_path / "masks"
    (m / "maps").mkdir(parents=True)
    Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8)).save(m / "a.png")
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--pred", f"M={tmp_path / 'p'}", "--gt", m,
                                    "--metrics", "MAE"])
    assert rc == 0, err


def test_stimuli_no_row_names_are_counted_in_dataset_json_and_the_summary(tmp_path, capsys):
    stim = tmp_path / "stim"
    stim.mkdir()
    for name in ("a", "b", "c", "d", "e"):
        Image.fromarray(np.zeros((240, 320), np.uint8)).save(stim / f"{name}.png")
    log = tmp_path / "fix.csv"
    # a and b: kept fixations; c: named by one row only, its x not a number (quarantined by the reader, in no qc.csv
    # pair); d and e: named by no row
    rows = ["subject,stimulus,x,y,duration_ms"] + [f"{s},{st},320,240,250" for s in ("A", "B") for st in "ab"]
    log.write_text("\n".join(rows + ["A,c,#N/A,240,250"]) + "\n")
    rc, out, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--screen-px", "640x480", "--sigma-px", "10",
                                    "--out", tmp_path / "o", "--workers", "1", "--no-ioc"])
    assert rc == 0, err
    ds = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert ds["counts"]["quarantine_by_reason"] == {"bad_coordinates": 1}
    assert ds["stimuli"]["count"] == 2 and ds["stimuli"]["unnamed"] == {"count": 2, "first": ["d.png", "e.png"]}
    lines = out.splitlines()
    at = lines.index(f"{'stimuli with maps':<24}{2:>10}")
    assert lines[at + 1] == (f"{'stimuli named by no row':<24}{2:>10}  "
                             "(in the stimuli folder, no map: e.g. d.png, e.png)")
    assert sorted(p.name for p in (tmp_path / "o" / "maps").iterdir()) == ["a.png", "b.png"]


def test_a_quarantined_row_names_the_stimulus_its_trial_gives(tmp_path, capsys):
    """Review RR13: under --trials a reader's quarantined row (x not a number) had a blank stimulus in
    quarantine.csv, and the stimulus its (subject, trial) names in the table was counted as named by no row; the
    same row naming c directly counted c as named. Hand-worked: the table maps A/3 to c; trial 9 has no entry."""
    import csv as _csv

    stim = tmp_path / "stim"
    stim.mkdir()
    for name in ("a", "b", "c", "e"):
        Image.fromarray(np.zeros((240, 320), np.uint8)).save(stim / f"{name}.png")
    log, trials = tmp_path / "fix.csv", tmp_path / "trials.csv"
    log.write_text("subject,trial,x,y,duration_ms\nA,1,100,100,250\nB,1,100,100,250\nA,2,100,100,250\n"
                   "A,3,#N/A,100,250\nA,9,100,100,250\n")
    trials.write_text("subject,trial,stimulus\nA,1,a.png\nB,1,a.png\nA,2,b\nA,3,c.png\n")  # c.png: named as its stem
    rc, out, err = run_cli(capsys, ["ingest", log, "--trials", trials, "--stimuli", stim, "--screen-px", "320x240",
                                    "--sigma-px", "10", "--out", tmp_path / "o", "--workers", "1", "--no-ioc"])
    assert rc == 0, err
    with open(tmp_path / "o" / "quarantine.csv", newline="") as fh:
        rows = {r["line"]: (r["reason"], r["stimulus"]) for r in _csv.DictReader(fh)}
    assert rows == {"5": ("bad_coordinates", "c"), "6": ("no_stimulus", "")}
    ds = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert ds["stimuli"]["unnamed"] == {"count": 1, "first": ["e.png"]}


def test_an_image_with_a_side_above_65535_is_told_to_shrink_not_to_raise_the_pixel_limit(tmp_path, capsys):
    from saliency.base.errors import UserError, cli_flag
    from saliency.base.images import check_image_size, pixel_limit

    imgs, maps = tmp_path / "imgs", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    Image.fromarray(np.zeros((1, 70000), np.uint8)).save(imgs / "wide.png")  # 70,000 pixels: under any pixel limit
    Image.fromarray(np.zeros((1, 70000), np.uint8)).save(maps / "wide.png")
    line = refusal(*run_cli(capsys, ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1",
                                     "--out", tmp_path / "o"]))
    assert line.startswith("saliency crop: error: ") and "wide.png: image declares 70000x1" in line, line
    assert line.endswith("a side above the limit of 65,535 pixels; shrink it to at most 65,535 pixels a side, "
                         "or remove it"), line
    # above the pixel limit only: raising the limit is still the advice
    Image.fromarray(np.zeros((300, 300), np.uint8)).save(maps / "sq.png")
    with pixel_limit(50_000), pytest.raises(UserError) as exc:
        check_image_size(maps / "sq.png")
    msg = exc.value.render(cli_flag)
    assert msg.endswith("image declares 300x300 = 90,000 pixels, above the limit of 50,000; shrink or remove it, or "
                        "raise --max-pixels"), msg


def test_ingest_writes_the_float_centre_bias_that_eval_reads(tmp_path, capsys):
    """Review R5 item 1, the ingest half: ingest writes center_bias.npy (float32) beside its 8-bit PNG, and the npy
    is the centre bias itself. Oracle: scipy's gaussian_filter (constant border, truncate 4) of the fixation counts
    at each fixation's pixel (floor(x + 0.5)) on the stimulus canvas (all synth stimuli share one size), min-max
    scaled; 1e-5 allows float32 storage (6e-8) and the exact blur's difference from scipy's (3e-8)."""
    import pandas as pd
    from scipy.ndimage import gaussian_filter

    s, d = tmp_path / "s", tmp_path / "d"
    rc, _, err = run_cli(capsys, ["synth", "--out", s, "--scenes", "4", "--subjects", "3", "--size", "80x60",
                                  "--quiet"])
    assert rc == 0, err
    rc, _, err = run_cli(capsys, ["ingest", s / "logs" / "samples.csv", "--geometry", s / "screen.json",
                                  "--stimuli", s / "stimuli", "--out", d, "--quiet"])
    assert rc == 0, err
    info = json.loads((d / "dataset.json").read_text())["qc"]["center_bias"]
    assert info["canvas_px"] == [80, 60]
    fix = pd.read_csv(d / "fixations.csv")
    hits = np.zeros((60, 80))
    rows = np.floor(fix["y"] + 0.5).astype(int).clip(0, 59)
    cols = np.floor(fix["x"] + 0.5).astype(int).clip(0, 79)
    np.add.at(hits, (rows, cols), 1.0)
    want = gaussian_filter(hits, info["sigma_px"], mode="constant", truncate=4.0)
    want = (want - want.min()) / (want.max() - want.min())
    got = np.load(d / "center_bias.npy")
    assert got.dtype == np.float32 and got.shape == (60, 80)
    assert np.abs(got - want).max() < 1e-5
    png = np.asarray(Image.open(d / "center_bias.png"))
    # the PNG is that map in 8 bits (rounded from float64 as before the npy: within half a level of the float32 copy)
    assert png.dtype == np.uint8 and np.abs(png - got.astype(np.float64) * 255).max() <= 0.5 + 1e-4


def test_an_image_over_both_limits_is_told_both(monkeypatch):
    """Review RR13: 70000x3000 is above 65,535 a side and above 100 M pixels; shrinking to 65,535 a side alone
    leaves 196 M pixels, so the advice names both bounds (the header's size is faked: no 210 MP file is written)."""
    import saliency.base.images as images
    from saliency.base.errors import UserError

    monkeypatch.setattr(images, "image_size", lambda path: (70000, 3000))
    with pytest.raises(UserError) as e:
        images.check_image_size("big.png", 100_000_000)
    assert str(e.value) == ("big.png: image declares 70000x3000 = 210,000,000 pixels, above the limit of 100,000,000; "
                            "shrink it to at most 65,535 pixels a side and 100,000,000 pixels in all (or raise "
                            "max_pixels), or remove it"), str(e.value)


def test_a_centre_bias_png_replaced_by_hand_wins_over_a_stale_npy(tmp_path, capsys):
    """Review RR13: a lab replaced center_bias.png with its own baseline; the npy ingest wrote beside it no longer
    matches and must not silently win. Oracle: IG against the PNG the lab wrote, by hand (_log2_density)."""
    d = tmp_path / "d"
    cb_float = np.linspace(0.001, 1.0, 24).reshape(4, 6)
    _ingest_like(d, cb_float, [(1, 1), (2, 4)])
    np.save(d / "center_bias.npy", cb_float.astype(np.float32))  # as ingest writes it beside the PNG
    lab = np.full((4, 6), 200, np.uint8)
    lab[0, 0] = 20
    Image.fromarray(lab).save(d / "center_bias.png")
    pred = tmp_path / "p"
    pred.mkdir()
    p = np.arange(24, dtype=np.uint8).reshape(4, 6) * 10 + 5
    Image.fromarray(p).save(pred / "a.png")
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--metrics", "IG",
                                    "--json", tmp_path / "r.json", "--quiet"])
    assert rc == 0, err
    got = json.loads((tmp_path / "r.json").read_text())["results"][0]["metrics"]["IG"]
    lp, lb = _log2_density(p.astype(np.float64)), _log2_density(lab.astype(np.float64))
    want = float(np.mean([lp[r, c] - lb[r, c] for r, c in [(1, 1), (2, 4)]]))
    assert abs(got - want) < 1e-9, (got, want)

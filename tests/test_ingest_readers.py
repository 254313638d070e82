"""Readers: generic tables (any column order, missing values, units), vendor formats, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saliency.data_tools.readers import detect_format, open_log, parse_columns
from saliency.cli import main
from saliency.base.errors import UserError


def _collect(rd):
    chunks = list(rd.chunks())
    df = pd.concat([c.df for c in chunks], ignore_index=True)
    q = pd.concat([c.quarantine for c in chunks], ignore_index=True)
    return chunks, df, q


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(perm=st.permutations(["subject", "stimulus", "time", "x", "y", "valid"]),
       unit=st.sampled_from([("ms", 1.0), ("s", 1e-3), ("us", 1e3)]),
       n=st.integers(1, 40), seed=st.integers(0, 1000), chunk=st.integers(1, 50))
def test_generic_samples_any_order_missing_and_units(tmp_path, perm, unit, n, seed, chunk):
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 2.0 + 1000
    x = rng.uniform(0, 1920, n).round(2)
    y = rng.uniform(0, 1080, n).round(2)
    miss = rng.random(n) < 0.2
    garbage = (rng.random(n) < 0.1) & ~miss
    cols = {"subject": ["p1"] * n, "stimulus": ["img1"] * n, "time": [f"{v * unit[1]:.6f}" for v in t],
            "x": ["" if m else ("abc" if g else f"{v}") for v, m, g in zip(x, miss, garbage)],
            "y": ["" if m else f"{v}" for v, m in zip(y, miss)], "valid": ["0" if m else "1" for m in miss]}
    name = {"time": f"time [{unit[0]}]"}
    p = tmp_path / f"s{seed}_{n}.csv"
    pd.DataFrame({name.get(k, k): cols[k] for k in perm}).to_csv(p, index=False)
    assert detect_format(p) == "samples"
    _, df, q = _collect(open_log(p, chunk_rows=chunk))
    assert len(df) + len(q) == n
    assert (q["reason"] == "non_numeric").sum() == garbage.sum()
    keep = ~garbage
    np.testing.assert_allclose(df["time_ms"], t[keep], rtol=1e-9)
    np.testing.assert_array_equal(df["valid"], ~miss[keep])
    np.testing.assert_allclose(df["x"][df["valid"]], x[keep & ~miss])
    assert (df["line"].to_numpy() == np.flatnonzero(keep) + 2).all()  # header is line 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(perm=st.permutations(["participant", "image", "start", "duration", "x", "y"]), n=st.integers(1, 30),
       seed=st.integers(0, 1000))
def test_generic_fixations_with_mapping(tmp_path, perm, n, seed):
    rng = np.random.default_rng(seed)
    dur = rng.uniform(-50, 400, n).round(1)
    x = rng.uniform(0, 100, n).round(2)
    names = {"participant": "Who", "image": "Pic", "start": "Onset", "duration": "Dur", "x": "FixX", "y": "FixY"}
    data = {"participant": ["p"] * n, "image": ["a.jpg"] * n, "start": np.arange(n) * 500.0, "duration": dur,
            "x": x, "y": x + 1}
    p = tmp_path / f"f{seed}.tsv"
    pd.DataFrame({names[k]: data[k] for k in perm}).to_csv(p, index=False, sep="\t")
    spec = "subject=Who,stimulus=Pic,t_start_ms=Onset,duration_ms=Dur,x=FixX,y=FixY"
    _, df, q = _collect(open_log(p, "fixations", parse_columns(spec)))
    good = dur > 0
    assert len(df) == good.sum() and (q["reason"] == "bad_duration").sum() == (~good).sum()
    np.testing.assert_allclose(df["x"], x[good])
    assert set(df["stimulus"]) <= {"a.jpg"} and set(df["subject"]) <= {"p"}


ASC = """** CONVERTED FROM sub07.edf
MSG\t1000 DISPLAY_COORDS 0 0 1919 1079
MSG\t1000 GAZE_COORDS 0.00 0.00 1919.00 1079.00
MSG\t1005 TRIALID 3
MSG\t1006 !V IMGLOAD FILL images/img1.jpg
START\t1010 \tRIGHT\tSAMPLES\tEVENTS
SAMPLES\tGAZE\tRIGHT\tRATE\t500.00
1010\t  960.0\t  540.0\t 1000.0\t...
1012\t  961.0\t  541.0\t 1000.0\t...
1014\t   .\t   .\t    0.0\t...
SFIX R 1010
EFIX R   1010\t1212\t204\t  960.5\t  540.5\t   1000
END\t1300 \tSAMPLES\tEVENTS\tRES\t 38.00\t 38.00
"""


def test_eyelink_asc(tmp_path):
    p = tmp_path / "sub07.asc"
    p.write_text(ASC)
    rd = open_log(p)
    assert rd.format == "eyelink-asc" and rd.screen_px == (1920, 1080)
    _, df, _ = _collect(rd)
    assert df["time_ms"].tolist() == [1010, 1012, 1014] and df["valid"].tolist() == [True, True, False]
    assert set(df["subject"]) == {"sub07"} and set(df["stimulus"]) == {"img1.jpg"} and set(df["trial"]) == {"3"}
    assert df["line"].tolist() == [8, 9, 10]
    _, fx, _ = _collect(open_log(p, tracker_events=True))
    assert fx[["x", "y", "t_start_ms", "duration_ms", "eye"]].values.tolist() == [[960.5, 540.5, 1010.0, 204.0, "R"]]


def test_pupil_bottom_left_origin_and_confidence(tmp_path):
    p = tmp_path / "rec1" / "fixations.csv"
    p.parent.mkdir()
    pd.DataFrame({"id": [1, 2], "start_timestamp": [10.0, 10.5], "duration": [200.0, 150.0],
                  "norm_pos_x": [0.25, 0.5], "norm_pos_y": [0.25, 0.5], "dispersion": [1, 1],
                  "confidence": [0.9, 0.3], "stimulus": ["img1", "img1"]}).to_csv(p, index=False)
    assert detect_format(p) == "pupil"
    chunks, df, q = _collect(open_log(p))
    assert chunks[0].space == "screen_norm" and set(df["subject"]) == {"rec1"}
    assert df[["x", "y", "t_start_ms"]].values.tolist() == [[0.25, 0.75, 10000.0]]
    assert q["reason"].tolist() == ["low_confidence"]


def test_tobii_samples_and_fixations(tmp_path):
    p = tmp_path / "t.tsv"
    head = ["Recording timestamp [ms]", "Participant name", "Recording name", "Presented Media name",
            "Gaze point X", "Gaze point Y", "Validity left", "Validity right", "Eye movement type",
            "Gaze event duration [ms]", "Eye movement type index", "Fixation point X", "Fixation point Y"]
    rows = [[0, "p", "r", "", "", "", "Invalid", "Invalid", "EyesNotFound", 10, 1, "", ""],
            [10, "p", "r", "a.png", 100, 200, "Valid", "Invalid", "Fixation", 120, 1, 101, 201],
            [20, "p", "r", "a.png", 102, 202, "Valid", "Valid", "Fixation", 120, 1, 101, 201],
            [30, "p", "r", "a.png", "", "", "Invalid", "Invalid", "EyesNotFound", 10, 2, "", ""]]
    p.write_text("\t".join(head) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows) + "\n")
    assert detect_format(p) == "tobii"
    _, df, _ = _collect(open_log(p))
    # the row outside any media stays, with no trial and no stimulus (the ingest quarantines it: outside_trial)
    assert df["time_ms"].tolist() == [0.0, 10.0, 20.0, 30.0] and df["valid"].tolist() == [False, True, True, False]
    assert df["trial"].tolist() == ["", "r", "r", "r"] and df["stimulus"].tolist() == ["", "a.png", "a.png", "a.png"]
    chunks, fx, _ = _collect(open_log(p, tracker_events=True))
    assert fx[["x", "y", "t_start_ms", "duration_ms"]].values.tolist() == [[101.0, 201.0, 10.0, 120.0]]
    # 4 rows: 1 fixation kept (line 3), its second row counted, 2 EyesNotFound rows counted
    assert chunks[0].rows_read == 4 and chunks[0].counted == {"fixation_sample": 1, "not_fixation": 2}


def _stimuli(tmp_path):
    import cv2

    d = tmp_path / "stim"
    d.mkdir()
    cv2.imwrite(str(d / "img1.jpg"), np.full((48, 64, 3), 128, np.uint8))
    (d / "broken.png").write_bytes(b"not an image")
    return d


def test_cli_quarantine_and_name_matching(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    log = tmp_path / "fix.csv"
    pd.DataFrame({"subject": ["a", "a", "b", "b", "b", "b"],
                  "stimulus": ["img1", "img1.jpg", "nope", "broken", "img1", "img1"],
                  "x": [10, 20, 5, 5, "x?", 100], "y": [10, 20, 5, 5, 3, 3],
                  "duration_ms": [200, 300, 200, 200, 200, 200]}).to_csv(log, index=False)
    out = tmp_path / "d"
    assert main(["ingest", str(log), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "3"]) == 0
    q = pd.read_csv(out / "quarantine.csv")
    assert sorted(q["reason"]) == ["bad_coordinates", "bad_stimulus_image", "off_stimulus", "unknown_stimulus"]
    assert sorted(q["line"]) == [4, 5, 6, 7]
    fx = pd.read_csv(out / "fixations.csv")
    assert fx["stimulus"].tolist() == ["img1", "img1"] and (out / "maps" / "img1.png").is_file()
    assert "inter-observer" not in capsys.readouterr().out  # one subject left: no IOC


@pytest.mark.parametrize("argv_extra, content, message", [
    ([], "a,b,c\n1,2,3\n", "unknown format"),
    (["--format", "samples"], "subject,x,y\n1,2,3\n", "no column for time"),
    (["--format", "salicon"], "{not json", "not valid JSON"),
])
def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, argv_extra, content, message):
    stim = _stimuli(tmp_path)
    log = tmp_path / "log.csv"
    log.write_text(content)
    out = tmp_path / "d"
    rc = main(["ingest", str(log), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "3", *argv_extra])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1 and str(log) in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".d.")]


def test_cli_refuses_non_empty_out_and_missing_geometry(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    log = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": ["img1"], "x": [1], "y": [1], "duration_ms": [200]}).to_csv(log, index=False)
    out = tmp_path / "d"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["ingest", str(log), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "3"]) == 2
    assert (out / "keep.txt").read_text() == "x"
    assert main(["ingest", str(log), "--stimuli", str(stim), "--out", str(tmp_path / "e")]) == 2
    assert "--sigma-px" in capsys.readouterr().err
    # --overwrite no longer deletes a file ingest did not write (review finding 1; was: exit 0, keep.txt gone)
    assert main(["ingest", str(log), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "3",
                 "--overwrite"]) == 2
    assert capsys.readouterr().err == (
        f"saliency ingest: error: --out {out}: holds 1 entry saliency did not write ({out}/keep.txt) and no mark of "
        "a saliency output (.saliency-output.json; outputs of earlier versions of saliency carry none and must be "
        "removed by hand once); move it out or choose another folder\n")
    assert (out / "keep.txt").read_text() == "x"
    (out / "keep.txt").unlink()
    for _ in range(2):  # written, then its own output replaced
        assert main(["ingest", str(log), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "3",
                     "--overwrite"]) == 0
    assert json.loads((out / "dataset.json").read_text())["counts"]["fixations"] == 1

"""The cases of issue 11 that lost or refused data, each rebuilt as a file and run through ``saliency ingest``.

Oracles: hand-worked counts of the rows each file holds, and the identity
mapping of a 1920x1080 stimulus shown on a 1920x1080 screen (stimulus pixel =
screen pixel), which a half-pixel shift of the screen would break.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from saliency.data_tools.readers import open_log
from tests.ingest_fakes import assert_rows_accounted, grey_stimuli


_stimuli = grey_stimuli


def _run(tmp_path, capsys, logs, *extra, out="d"):
    rc = main(["ingest", *map(str, logs), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / out),
               "--no-ioc", "--quiet", *extra])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _asc(tmp_path, coords="0.00 0.00 1920.00 1080.00", n_before=206, n_in=162, binocular=True,
         efix=((1500, 1545, 45, 100.0, 200.0), (1600, 1644.5, 44.5, 300.0, 400.0), (1700, 1900, 200, 960, 540)),
         msg_after=False, name="sub07.asc"):
    """A binocular ASC: ``n_before`` samples before the TRIALID, ``n_in`` in trial 3 (image img1), EFIX events."""
    t0 = 1000 - 2 * n_before
    head = ["** CONVERTED FROM sub07.edf using edf2asc", f"MSG\t{t0 - 10} GAZE_COORDS {coords}",
            f"START\t{t0} \tLEFT\tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRIGHT\tRATE\t 500.00"]
    msgs = ["MSG\t1000 TRIALID 3", "MSG\t1000 !V IMGLOAD FILL pics/img1.png"]
    lines = head + ([] if msg_after else msgs)
    eye = "\t100.0\t200.0\t1000.0\t102.0\t202.0\t1000.0" if binocular else "\t101.0\t201.0\t1000.0"
    for k in range(n_before + n_in):
        lines.append(f"{t0 + 2 * k}{eye}\t.....")
    for s, e, d, x, y in efix:
        lines.append(f"EFIX R   {s}\t{e}\t{d}\t  {x}\t  {y}\t   1000")
    if msg_after:  # written late in the file, time-stamped before the samples it starts
        lines += msgs
    lines.append(f"END\t{t0 + 2 * (n_before + n_in)} \tSAMPLES\tEVENTS\tRES\t 38.00\t 38.00")
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


GEOM = ["--screen-cm", "53.1x29.9", "--distance-cm", "65"]


@pytest.mark.parametrize("coords", ["0.00 0.00 1920.00 1080.00", "0.00 0.00 1919.00 1079.00"])
def test_gaze_coords_index_or_count_is_the_same_screen(tmp_path, capsys, coords):
    _stimuli(tmp_path)
    p = _asc(tmp_path, coords)
    assert open_log(p).screen_px == (1920, 1080)
    rc, out, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--screen-px", "1920x1080", *GEOM)
    assert rc == 0, err
    fx = pd.read_csv(tmp_path / "d" / "fixations.csv")
    # stimulus = screen: the EFIX positions come through unshifted
    assert fx[["x", "y"]].values.tolist() == [[100.0, 200.0], [300.0, 400.0], [960.0, 540.0]]
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert m["geometry"]["screen_px"] == [1920, 1080]
    assert m["inputs"][0]["declared_coords"]["values"] == [float(v) for v in coords.split()]
    # one pixel off the file's reading is the same screen: accepted, recorded
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--screen-px", "1921x1081", *GEOM,
                      out="e")
    assert rc == 0, err
    assert json.loads((tmp_path / "e" / "dataset.json").read_text())["geometry_source"]["one_pixel_apart"] == [str(p)]
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--screen-px", "1280x1024", *GEOM, out="f")
    assert rc == 2 and "1920x1080" in err and "--screen-px" in err


def test_screen_from_the_file_when_the_user_gives_none(tmp_path, capsys):
    _stimuli(tmp_path)
    p = _asc(tmp_path)
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--sigma-px", "10")
    assert rc == 0, err
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert m["geometry"]["screen_px"] == [1920, 1080] and m["geometry_source"]["screen_px_from"] == "files"
    assert pd.read_csv(tmp_path / "d" / "fixations.csv")["x"].tolist() == [100.0, 300.0, 960.0]
    # degrees need the physical size and distance: the error says so, and names --sigma-px
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", out="e")
    assert rc == 2 and "--screen-cm" in err and "--distance-cm" in err and "--sigma-px" in err
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "ivt", "--sigma-px", "10", out="f")
    assert rc == 2 and "--screen-cm" in err and "declare the resolution" in err
    assert len(err.strip().splitlines()) == 1


def test_samples_before_the_first_trialid_are_quarantined(tmp_path, capsys):
    _stimuli(tmp_path)
    p = _asc(tmp_path, efix=((500, 700, 200, 100.0, 200.0), (1100, 1300, 200, 960.0, 540.0)))
    rc = assert_rows_accounted(p, 368)
    assert rc.kept == 368  # the reader keeps them all, with an empty trial for the 206 before TRIALID
    rc, out, err = _run(tmp_path, capsys, [p], "--detector", "ivt", "--screen-px", "1920x1080", *GEOM)
    assert rc == 0, err
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    r = m["inputs"][0]["rows"]
    assert (r["read"], r["kept"], r["quarantined"], r["counted"]) == (368, 162, {"outside_trial": 206}, {})
    q = pd.read_csv(tmp_path / "d" / "quarantine.csv")
    assert (q["reason"] == "outside_trial").sum() == 206 and q["line"].min() == 7  # lines 1-6: header, messages
    qc = pd.read_csv(tmp_path / "d" / "qc.csv")
    assert qc["samples"].sum() == 162
    assert "368" in out and "206" in out  # the summary's per-input line
    # the EFIX of the same stretch is quarantined the same way, not kept under an empty trial
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--screen-px", "1920x1080", *GEOM, out="e")
    assert rc == 0, err
    r = json.loads((tmp_path / "e" / "dataset.json").read_text())["inputs"][0]["rows"]
    assert (r["read"], r["kept"], r["quarantined"]) == (2, 1, {"outside_trial": 1})


def test_trials_follow_message_timestamps_for_samples_and_events(tmp_path):
    # TRIALID / IMGLOAD written at the end of the file but time-stamped 1000: samples from 1000 on are in trial 3
    p = _asc(tmp_path, n_before=5, n_in=10, efix=((990, 996, 6, 1.0, 1.0), (1002, 1010, 8, 2.0, 2.0)),
             msg_after=True)
    s = pd.concat([c.df for c in open_log(p).chunks()])
    assert s.loc[s["time_ms"] >= 1000, "trial"].eq("3").all() and s.loc[s["time_ms"] < 1000, "trial"].eq("").all()
    assert s.loc[s["time_ms"] >= 1000, "stimulus"].eq("img1.png").all()
    e = pd.concat([c.df for c in open_log(p, tracker_events=True).chunks()])
    assert e["trial"].tolist() == ["", "3"] and e["stimulus"].tolist() == ["", "img1.png"]


def test_trial_ends_at_trial_result_and_trial_var_names_the_stimulus(tmp_path):
    lines = ["** CONVERTED FROM s.edf", "MSG\t100 TRIALID 1", "MSG\t300 TRIAL_RESULT 0",
             "MSG\t301 !V TRIAL_VAR image pic_a.jpg",  # Experiment Builder writes trial variables at the end
             "MSG\t400 TRIALID 2", "MSG\t450 !V IMGLOAD CENTER pic_b.jpg"]
    lines += [f"{t}\t10.0\t10.0\t1000.0" for t in (150, 299, 300, 350, 420, 460)]
    p = tmp_path / "s.asc"
    p.write_text("\n".join(lines) + "\n")
    s = pd.concat([c.df for c in open_log(p).chunks()])
    assert s["trial"].tolist() == ["1", "1", "", "", "2", "2"]
    assert s["stimulus"].tolist() == ["pic_a.jpg", "pic_a.jpg", "", "", "", "pic_b.jpg"]


def test_tracker_events_kept_as_reported_unless_min_duration_is_given(tmp_path, capsys):
    _stimuli(tmp_path)
    p = _asc(tmp_path)
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--sigma-px", "10")
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "d" / "fixations.csv")["duration_ms"].tolist() == [45.0, 44.5, 200.0]
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--sigma-px", "10", "--min-duration", "0",
                      out="e")
    assert rc == 0, err
    assert len(pd.read_csv(tmp_path / "e" / "fixations.csv")) == 3
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--sigma-px", "10", "--min-duration", "45",
                      out="f")
    assert rc == 0, err
    q = pd.read_csv(tmp_path / "f" / "quarantine.csv")
    assert q[["line", "reason"]].values.tolist() == [[376, "short_fixation"]]  # 44.5 ms < 45; 45 stays
    with pytest.raises(SystemExit) as e:  # refused by the option's type, before anything runs
        _run(tmp_path, capsys, [p], "--detector", "tracker", "--min-duration", "-1", out="g")
    assert e.value.code == 2 and not (tmp_path / "g").exists()


def test_help_says_which_options_apply_to_which_detector(capsys):
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--detector tracker" in out and "kept as reported" in out and "--stimulus" in out


def _tobii_events(tmp_path, media=("a.png", "b.png", "c.png"), per_media=16, rows_per_fix=3):
    head = ["Recording timestamp [μs]", "Participant name", "Recording name", "Presented Media name",
            "Gaze point X", "Gaze point Y", "Validity left", "Validity right", "Eye movement type",
            "Gaze event duration [ms]", "Eye movement type index", "Fixation point X", "Fixation point Y"]
    rows, t = [], 0
    for mi, m in enumerate(media):
        for i in range(per_media):
            for _ in range(rows_per_fix):
                rows.append([t, "P1", "Rec1", m, 500, 500, "Valid", "Valid", "Fixation", 150, i + 1,
                             100 + 10 * i + mi, 200 + 5 * i])
                t += 8333
            rows.append([t, "P1", "Rec1", m, 600, 600, "Valid", "Valid", "Saccade", 30, i + 1, "", ""])
            t += 8333
    p = tmp_path / "tobii.tsv"
    p.write_text("\t".join(head) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return p, len(rows)


@pytest.mark.parametrize("chunk_rows", [500_000, 7])
def test_tobii_index_restarting_per_media_keeps_every_fixation(tmp_path, chunk_rows):
    p, n = _tobii_events(tmp_path)
    rc = assert_rows_accounted(p, n, tracker_events=True, chunk_rows=chunk_rows)
    assert rc.kept == 48 and rc.counted == {"fixation_sample": 96, "not_fixation": 48}
    fx = pd.concat([c.df for c in open_log(p, tracker_events=True, chunk_rows=chunk_rows).chunks()])
    assert sorted(map(tuple, fx[["stimulus", "x"]].values.tolist())) == sorted(
        (m, 100.0 + 10 * i + mi) for mi, m in enumerate(("a.png", "b.png", "c.png")) for i in range(16))


def test_tobii_through_ingest_48_of_48(tmp_path, capsys):
    _stimuli(tmp_path, ("a", "b", "c"))
    p, n = _tobii_events(tmp_path)
    rc, out, err = _run(tmp_path, capsys, [p], "--detector", "tracker", "--screen-px", "1920x1080",
                        "--sigma-px", "5")
    assert rc == 0, err
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert m["counts"]["fixations"] == 48
    assert m["inputs"][0]["rows"] == {"read": n, "kept": 48, "quarantined": {},
                                      "counted": {"fixation_sample": 96, "not_fixation": 48}}


def _samples_csv(tmp_path, n=400, unit_col="time_ms", scale=1.0, stim="img1"):
    rng = np.random.default_rng(1)
    t = np.arange(n) * 2.0 * scale
    x = 960 + rng.normal(0, 2, n)
    y = 540 + rng.normal(0, 2, n)
    cols = {"subject": "s1", unit_col: t, "x": x.round(2), "y": y.round(2)}
    if stim is not None:
        cols["stimulus"] = stim
    p = tmp_path / "samples.csv"
    pd.DataFrame(cols).to_csv(p, index=False)
    return p


def test_wrong_time_unit_is_named_with_the_fix(tmp_path, capsys):
    _stimuli(tmp_path)
    p = _samples_csv(tmp_path, unit_col="time")  # 500 Hz in ms
    rc, _, err = _run(tmp_path, capsys, [p], "--time-unit", "us", "--screen-px", "1920x1080", *GEOM)
    assert rc == 2 and "500000 Hz" in err and "--time-unit ms" in err and "500 Hz" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "d").exists()
    rc, _, err = _run(tmp_path, capsys, [p], "--time-unit", "s", "--screen-px", "1920x1080", *GEOM)
    assert rc == 2 and "0.5 Hz" in err and "--time-unit ms" in err


def test_hour_long_fixations_name_the_unit(tmp_path, capsys):
    _stimuli(tmp_path)
    p = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": "img1", "x": [10, 20, 30], "y": [10, 20, 30],
                  "start": [0, 300_000, 600_000], "duration": [250_000, 180_000, 300_000]}).to_csv(p, index=False)
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3")
    assert rc == 2 and "250 s (median)" in err and "--time-unit us" in err
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3", "--time-unit", "us")
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "d" / "fixations.csv")["duration_ms"].tolist() == [250.0, 180.0, 300.0]


def test_most_points_off_screen_name_the_cause(tmp_path, capsys):
    _stimuli(tmp_path)
    p = tmp_path / "fix.csv"  # recorded on 3840x2160, given as 1920x1080
    pd.DataFrame({"stimulus": "img1", "x": [3000, 3100, 3200, 3300, 100], "y": [2000, 1900, 1800, 1700, 100],
                  "duration_ms": 200}).to_csv(p, index=False)
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3", "--screen-px", "1920x1080")
    assert rc == 0
    assert "4 of 5 points lie off the 1920x1080 screen" in err and "--screen-px" in err
    pd.DataFrame({"stimulus": "img1", "x": [3000, 3100], "y": [2000, 1900], "duration_ms": 200}).to_csv(p, index=False)
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3", "--screen-px", "1920x1080", out="e")
    assert rc == 2 and "off_screen 2" in err and "--screen-px" in err and "see the reasons: )" not in err


def test_no_usable_fixations_always_lists_reasons(tmp_path, capsys):
    _stimuli(tmp_path)
    p = tmp_path / "empty.csv"
    p.write_text("stimulus,x,y,duration_ms\n")
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3")
    assert rc == 2 and "no data rows" in err
    p, n = _tobii_events(tmp_path)
    txt = p.read_text(encoding="utf-8").replace("\tFixation\t", "\tSaccade\t")
    p.write_text(txt, encoding="utf-8")
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3", "--detector", "tracker", "--screen-px",
                      "1920x1080")
    assert rc == 2 and f"not_fixation {n}" in err and "reasons: )" not in err


def test_unknown_stimulus_names_what_was_looked_for(tmp_path, capsys):
    _stimuli(tmp_path, ("img1", "img2"))
    p = _asc(tmp_path, n_before=0).read_text().replace("pics/img1.png", "pics/cat.bmp")
    (tmp_path / "sub07.asc").write_text(p)
    rc, _, err = _run(tmp_path, capsys, [tmp_path / "sub07.asc"], "--detector", "tracker", "--sigma-px", "3")
    assert rc == 2 and "unknown_stimulus 3" in err and "'cat.bmp'" in err and "'img1'" in err and "'img2'" in err


def test_one_stimulus_for_every_row(tmp_path, capsys):
    _stimuli(tmp_path, ("img1", "img2"))
    p = _samples_csv(tmp_path, stim=None)
    rc, _, err = _run(tmp_path, capsys, [p], "--screen-px", "1920x1080", *GEOM, "--detector", "ivt")
    assert rc == 2 and "no_stimulus 400" in err and "--stimulus" in err
    rc, _, err = _run(tmp_path, capsys, [p], "--screen-px", "1920x1080", *GEOM, "--detector", "ivt",
                      "--stimulus", "img2.png")
    assert rc == 0, err
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert m["inputs"][0]["rows"]["kept"] == 400 and set(m["counts"]["per_stimulus"]) == {"img2"}
    rc, _, err = _run(tmp_path, capsys, [p], "--screen-px", "1920x1080", *GEOM, "--stimulus", "nope", out="e")
    assert rc == 2 and "'nope'" in err and "img1.png" in err
    # every row, ASC samples outside any trial included
    a = _asc(tmp_path, n_before=20, n_in=30)
    rc, _, err = _run(tmp_path, capsys, [a], "--detector", "tracker", "--sigma-px", "3", "--stimulus", "img1",
                      out="f")
    assert rc == 0, err
    r = json.loads((tmp_path / "f" / "dataset.json").read_text())["inputs"][0]["rows"]
    assert r["kept"] == 3 and r["quarantined"] == {}


def test_ingest_help_imports_neither_pandas_nor_numpy():
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "saliency.cli", "ingest", "--help"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--stimulus" in r.stdout
    mods = {ln.split("|")[-1].strip() for ln in r.stderr.splitlines() if ln.startswith("import time:")}
    assert not {"numpy", "pandas"} & mods


def test_a_vendor_file_missing_a_column_names_vendor_line_and_column(tmp_path, capsys):
    _stimuli(tmp_path)
    p = tmp_path / "t.tsv"
    p.write_text("Recording timestamp [ms]\tParticipant name\tGaze point X\n0\tp\t10\n")
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3", *GEOM, "--screen-px", "1920x1080")
    assert rc == 2 and "line 1 (the header): Tobii Pro Lab export without a 'Gaze point Y' column" in err
    assert not (tmp_path / "d").exists()


def test_normalised_coordinates_given_as_pixels_are_named(tmp_path, capsys):
    _stimuli(tmp_path)
    p = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": "img1", "x": [0.2, 0.5, 0.7, 0.9, 0.3], "y": [0.1, 0.4, 0.6, 0.8, 0.2],
                  "duration_ms": 200}).to_csv(p, index=False)
    rc, _, err = _run(tmp_path, capsys, [p], "--sigma-px", "3", "--screen-px", "1920x1080")
    assert rc == 0 and "all 5 points lie within 1.5 px" in err and "normalised" in err and "--format" in err


def test_samples_in_screen_fractions_are_detected_on_the_screen(tmp_path, monkeypatch):
    """A sample reader may give fractions of the screen (Gazepoint, Tobii Pro SDK): the ingest scales them
    to screen pixels before detection; a 1920x1080 stimulus on a 1920x1080 screen gets them back 1:1."""
    import types

    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.data_tools.ingest import IngestOptions, ingest
    from saliency.data_tools.readers import Chunk, LogReader, registry

    _stimuli(tmp_path)
    n = 300
    x = np.where(np.arange(n) < 150, 0.25, 0.75)
    df = pd.DataFrame({"subject": "s", "stimulus": "img1", "trial": "1", "time_ms": np.arange(n) * 2.0, "x": x,
                       "y": 0.5, "valid": True, "line": np.arange(n) + 2})
    q = pd.DataFrame(columns=["line", "reason", "subject", "stimulus", "x", "y"])
    fake = types.ModuleType("saliency.data_tools.readers.normgaze")
    fake.DETECT_RANK, fake.SUFFIXES, fake.sniff = 15, (), (lambda probe: False)
    fake.read = lambda path, opts: LogReader(path, "normgaze", "samples",
                                             lambda: iter([Chunk("samples", "screen_norm", df, q, rows_read=n)]))
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY + ("normgaze",))
    monkeypatch.setattr(registry, "FORMATS", registry.FORMATS + ("normgaze",))
    p = tmp_path / "g.csv"
    p.write_text("x\n")
    m = ingest([p], tmp_path / "stim", tmp_path / "d", IngestOptions(
        format="normgaze", geometry=ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0), detector="ivt",
        sigma_px=5.0, ioc=False))
    fx = pd.read_csv(tmp_path / "d" / "fixations.csv")
    # 0.25 of 1920 px is the pixel edge 480: with pixel centres at integers it is x = 479.5
    np.testing.assert_allclose(fx["x"], [0.25 * 1920 - 0.5, 0.75 * 1920 - 0.5], atol=1e-6)
    np.testing.assert_allclose(fx["y"], [0.5 * 1080 - 0.5] * 2, atol=1e-6)
    assert m["inputs"][0]["rows"]["read"] == n and m["inputs"][0]["rows"]["kept"] == n


@pytest.mark.parametrize("x1, count", [(1919, 1920), (1920, 1920), (1023, 1024), (1024, 1024), (799, 800),
                                       (1279, 1280), (1080, 1080), (1079, 1080)])
def test_gaze_coords_last_index_or_count_hand_worked(x1, count):
    from saliency.data_tools.readers.eyelink_asc import screen_from_coords

    assert screen_from_coords(0, 0, x1, x1) == (count, count)


def test_a_resolution_alone_places_stimuli_but_gives_no_degrees():
    from saliency.base.errors import UserError
    from saliency.data_tools.geometry import ScreenGeometry

    g = ScreenGeometry((1920, 1080))
    assert not g.has_degrees and g.missing_for_degrees() == ["screen_cm", "distance_cm"]
    assert g.placement(960, 540).scale == (2.0, 2.0) and g.to_dict()["ppd"] is None
    with pytest.raises(UserError, match="missing: screen_cm, distance_cm"):  # str() drops the backticks
        g.ppd  # noqa: B018
    full = ScreenGeometry(None, (53.1, 29.9), 65.0).with_screen_px((1920, 1080))
    assert full.has_degrees and full.ppd == pytest.approx(ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0).ppd)

"""Review 24 of ingest and detect: sampling rates judged per trial, decimal-comma advice, --coords, the IOC line.

1. The sampling-rate check (10 Hz..5 kHz) and nh's under-200 Hz warning took
   one median interval pooled over a file's first chunk: a 500 kHz trial (a
   wrong unit) after a 500 Hz one passed and came out all 'undefined' unsaid;
   a 60 Hz trial after a 500 Hz one was not warned. Each trial with 10
   intervals or more is judged on its own and warned; the unit refusal stays
   the input's (a time unit belongs to the column): a regression review
   (review_reg1 r2) found one sparse trial (a valid-only export, 150 ms
   apart) refusing a 48-trial study.
2. Intervals were taken across quarantined rows: a decimal-comma Pro Lab
   export (120 Hz) was refused as a 4 Hz recording with advice (`--time-unit
   ns`) that the header's own unit then refuses. Quarantined rows are gaps, the
   decimal-comma line comes first, and a header that states the unit is named
   instead of `--time-unit`.
3. The "--decimal comma" advice was given for EyeLink ASC files, which ignore it.
4. `--coords` was recorded as "screen" for OSIE files, whose points are always
   stimulus pixels, and `--coords screen` was accepted without effect.
5. The summary printed "+- 0.000" for an inter-observer std that is null.

Oracles: hand-worked rates and file lines, the project's own sentences
(:func:`data_tools.detectors.rate_warning`), the exact one-line messages.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from saliency.data_tools.detectors import rate_warning
from tests.ingest_fakes import gaze_trial, grey_stimuli

GEOM = ["--screen-px", "1024x768", "--screen-cm", "38x30", "--distance-cm", "67"]


def _trial(name: str, t: np.ndarray) -> pd.DataFrame:
    """One still-ish trial (x 300 then 600) of subject p1 on stimulus s at times ``t`` (ms)."""
    n = len(t)
    x = np.where(np.arange(n) < n // 2, 300.0, 600.0)
    return pd.DataFrame({"subject": "p1", "trial": name, "stimulus": "s", "time": t, "x": x, "y": 384.0,
                         "valid": 1})


def _rates_file(tmp_path, second: str) -> str:
    """300 samples at 500 Hz (lines 2-301), then a second trial from line 302: 120 rows at 60 Hz, or 200 rows
    0.002 ms apart (fewer than the first's: the input's median interval stays 2 ms)."""
    fast = _trial("fast500", np.arange(300) * 2.0)
    slow = _trial("slow60", np.arange(120) * 1000.0 / 60.0) if second == "slow60" else \
        _trial("us_as_ms", 1000.0 + np.arange(200) * 0.002)
    p = tmp_path / f"rates_{second}.csv"
    pd.concat([fast, slow]).to_csv(p, index=False)
    return str(p)


def _err_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def _odd_rate(dt_ms: float, input_dt_ms: float) -> str:
    """The sentence for a trial whose own rate is implausible while the input's is not (hand-written)."""
    return (f"its consecutive samples are {dt_ms:.6g} ms apart, a {1000 / dt_ms:.6g} Hz sampling rate, outside "
            f"10 Hz..5 kHz while the input's are {input_dt_ms:.6g} ms apart ({1000 / input_dt_ms:.6g} Hz): rows "
            f"left out of the export (track loss) or time stamps in another unit; detected as stamped, check "
            f"its time stamps")


def _run(command, tmp_path, p, out, *extra):
    if command == "detect":
        return main(["detect", str(p), "--out", str(tmp_path / out), "--quiet", *GEOM, *extra])
    return main(["ingest", str(p), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / out), "--quiet",
                 "--no-ioc", "--sigma-px", "3", *GEOM, *extra])


@pytest.mark.parametrize("command", ["detect", "ingest"])
def test_a_wrong_unit_trial_after_a_good_one_is_warned(tmp_path, capsys, command):
    p = _rates_file(tmp_path, "us_as_ms")
    grey_stimuli(tmp_path, ("s",), (1024, 768))
    # 0.002 ms apart = 500 kHz, the input's median (299 intervals of 2 ms, 199 of 0.002) 2 ms = 500 Hz: the
    # time column's unit is right, one trial is not; it starts on line 302
    keys = "subject 'p1', trial 'us_as_ms', stimulus 's'" if command == "detect" else \
        "subject 'p1', stimulus 's', trial 'us_as_ms'"  # each command's trial keys, in its order
    want = f"{p}: the trial from line 302 ({keys}), 1 of its 2 trials: {_odd_rate(0.002, 2.0)}"
    assert _run(command, tmp_path, p, "o") == 0
    assert f"saliency {command}: warning: {want}\n" in capsys.readouterr().err
    record = "detection.json" if command == "detect" else "dataset.json"
    assert want in json.loads((tmp_path / "o" / record).read_text())["warnings"]


@pytest.mark.parametrize("command", ["detect", "ingest"])
def test_a_wrong_time_unit_is_refused_for_the_input(tmp_path, capsys, command):
    # both trials 0.002 ms apart (seconds read as ms): the input's rate is 500 kHz; no trial is named
    p = tmp_path / "secs.csv"
    pd.concat([_trial("a", np.arange(300) * 0.002), _trial("b", 1.0 + np.arange(300) * 0.002)]).to_csv(p,
                                                                                                       index=False)
    grey_stimuli(tmp_path, ("s",), (1024, 768))
    assert _run(command, tmp_path, p, "o") == 2
    assert _err_line(capsys) == (f"saliency {command}: error: {p}: consecutive samples are 0.002 ms apart, a "
                                 f"500000 Hz sampling rate, outside 10 Hz..5 kHz: the time stamps' unit is likely "
                                 f"wrong; with --time-unit s they would be 500 Hz")
    assert not (tmp_path / "o").exists()


def _study(rng) -> pd.DataFrame:
    """48 trials (subjects p1-p4 x stimuli s00-s11) of ingest_fakes.gaze_trial at 500 Hz, 10 fixations each."""
    rows = []
    for subj in ("p1", "p2", "p3", "p4"):
        for k in range(12):
            t, x, y, _ = gaze_trial(rng, n_fix=10, screen=(1024, 768), noise_px=1.0, blink_prob=0.0)
            rows.append(pd.DataFrame({"subject": subj, "stimulus": f"s{k:02d}", "time_ms": np.round(t, 3),
                                      "x": np.round(x, 2), "y": np.round(y, 2), "valid": 1}))
    return pd.concat(rows, ignore_index=True)


FIX_COLS = ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"]


def test_one_sparse_trial_is_warned_not_refused(tmp_path, capsys):
    """Regression review r2: one trial of 48 kept only every 75th row (150 ms apart, as a valid-only export
    with heavy track loss leaves it): the input is 500 Hz, so it is ingested; the trial is warned."""
    full = _study(np.random.default_rng(24))
    sparse = (full["subject"] == "p2") & (full["stimulus"] == "s05")
    keep = full.index[sparse][::75][:20]
    thin = full.loc[~sparse | full.index.isin(keep)]
    assert len(keep) >= 14 and np.all(np.diff(thin.loc[keep, "time_ms"]) == 150.0)  # >= 13 intervals of 150 ms
    line = int(np.flatnonzero(thin.index == keep[0])[0]) + 2  # the file line of its first row (after the header)
    grey_stimuli(tmp_path, [f"s{k:02d}" for k in range(12)], (1024, 768))
    full.to_csv(tmp_path / "full.csv", index=False)
    thin.to_csv(tmp_path / "thin.csv", index=False)
    assert _run("ingest", tmp_path, tmp_path / "full.csv", "a", "--workers", "1") == 0
    capsys.readouterr()
    assert _run("ingest", tmp_path, tmp_path / "thin.csv", "b", "--workers", "1") == 0
    want = (f"{tmp_path / 'thin.csv'}: the trial from line {line} (subject 'p2', stimulus 's05'), 1 of its 48 "
            f"trials: {_odd_rate(150.0, 2.0)}")
    assert f"saliency ingest: warning: {want}\n" in capsys.readouterr().err
    assert want in json.loads((tmp_path / "b" / "dataset.json").read_text())["warnings"]
    a, b = (pd.read_csv(tmp_path / d / "fixations.csv") for d in ("a", "b"))
    other = ~((a["subject"] == "p2") & (a["stimulus"] == "s05"))
    assert other.sum() > 400 and a[other]["subject"].nunique() == 4
    pd.testing.assert_frame_equal(a.loc[other, FIX_COLS].reset_index(drop=True),
                                  b.loc[~((b["subject"] == "p2") & (b["stimulus"] == "s05")), FIX_COLS]
                                  .reset_index(drop=True))


@pytest.mark.parametrize("command", ["detect", "ingest"])
def test_a_short_sparse_trial_is_not_judged(tmp_path, capsys, command):
    # a 5-row trial 150 ms apart (4 intervals) after a 500 Hz one: too few intervals to judge it by
    p = tmp_path / "short.csv"
    pd.concat([_trial("fast500", np.arange(300) * 2.0), _trial("few", 1000.0 + np.arange(5) * 150.0)]) \
        .to_csv(p, index=False)
    grey_stimuli(tmp_path, ("s",), (1024, 768))
    assert _run(command, tmp_path, p, "o", "--detector", "ivt") == 0
    assert "warning" not in capsys.readouterr().err
    record = "detection.json" if command == "detect" else "dataset.json"
    assert not [w for w in json.loads((tmp_path / "o" / record).read_text())["warnings"] if "Hz" in w]


def test_a_trial_split_between_chunks_is_judged_once_whole():
    """RateCheck given a 60 Hz trial in two pieces (4 and 115 intervals, as chunks cut it): one trial judged."""
    from saliency.data_tools.ingest import RateCheck

    df = pd.concat([_trial("fast500", np.arange(300) * 2.0), _trial("slow60", np.arange(120) * 1000.0 / 60.0)],
                   ignore_index=True).rename(columns={"time": "time_ms"})
    df["line"] = np.arange(len(df)) + 2
    rc = RateCheck("f.csv", "samples", "nh")
    rc.check(df.iloc[:305], ["subject", "trial"])
    rc.check(df.iloc[305:].reset_index(drop=True), ["subject", "trial"])
    assert rc.finish() == [f"f.csv: the trial from line 302 (subject 'p1', trial 'slow60'), 1 of its 2 trials: "
                           f"{rate_warning('nh', 60.0)}"]
    assert rc.judged == 2


def test_a_60_hz_trial_beside_a_500_hz_one_is_warned(tmp_path, capsys):
    p = _rates_file(tmp_path, "slow60")
    want = (f"{p}: the trial from line 302 (subject 'p1', trial 'slow60', stimulus 's'), 1 of its 2 trials: "
            f"{rate_warning('nh', 60.0)}")
    assert main(["detect", p, "--out", str(tmp_path / "a"), "--quiet", *GEOM]) == 0
    assert capsys.readouterr().err == f"saliency detect: warning: {want}\n"
    assert json.loads((tmp_path / "a" / "detection.json").read_text())["warnings"] == [want]
    grey_stimuli(tmp_path, ("s",), (1024, 768))
    assert main(["ingest", p, "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / "d"), "--quiet",
                 "--no-ioc", "--sigma-px", "3", *GEOM]) == 0
    warnings = json.loads((tmp_path / "d" / "dataset.json").read_text())["warnings"]
    assert [w for w in warnings if "nh detector" in w] == [want.replace(
        "(subject 'p1', trial 'slow60', stimulus 's')", "(subject 'p1', stimulus 's', trial 'slow60')")]


PROLAB = ["Recording timestamp [μs]", "Participant name", "Recording name", "Presented Media name",
          "Gaze point X [DACS px]", "Gaze point Y [DACS px]", "Validity left", "Validity right"]


def _prolab(tmp_path, n=120, comma=True, step_us=8333) -> str:
    """A Pro Lab export at 120 Hz (8333 us steps), gaze in screen px with a decimal comma (or point); one lost
    sample (empty gaze, Invalid) every 30 rows."""
    rows = ["\t".join(PROLAB)]
    for k in range(n):
        lost = k % 30 == 0
        x, y = (f"{400 + k % 7}{',' if comma else '.'}5", f"{300 + k % 5}{',' if comma else '.'}25")
        x, y = ("", "") if lost else (x, y)
        v = "Invalid" if lost else "Valid"
        rows.append("\t".join([str(1_000_000 + step_us * k), "P9", "Rec 1", "img0.png", x, y, v, v]))
    p = tmp_path / "prolab.tsv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(p)


def test_decimal_comma_prolab_is_named_not_taken_for_a_wrong_time_unit(tmp_path, capsys):
    p = _prolab(tmp_path)  # 120 rows: 4 lost (kept, invalid), 116 whose gaze does not parse with a point
    grey_stimuli(tmp_path, ("img0",), (1024, 768))
    ing = ["ingest", p, "--stimuli", str(tmp_path / "stim"), "--quiet", "--sigma-px", "3", *GEOM]
    assert main([*ing, "--out", str(tmp_path / "d1")]) == 2
    # the 4 lost rows are the only ones kept, 30 rows (250 ms) apart: 8.33 ms per file line, 120 Hz, plausible
    assert _err_line(capsys) == ("saliency ingest: error: no usable fixations in the 120 rows read (reasons: "
                                 "non_numeric 116); if the numbers are written with a decimal comma (500,13), "
                                 "give --decimal comma")
    assert main(["detect", p, "--out", str(tmp_path / "e1"), "--quiet", *GEOM]) == 2
    assert _err_line(capsys) == (f"saliency detect: error: {p}: 116 of the 120 rows read hold numbers that do not "
                                 f"parse (non_numeric 116); if the numbers are written with a decimal comma "
                                 f"(500,13), give --decimal comma")
    assert main([*ing, "--out", str(tmp_path / "d2"), "--decimal", "comma", "--detector", "idt"]) == 0
    m = json.loads((tmp_path / "d2" / "dataset.json").read_text())
    assert m["inputs"][0]["rows"]["read"] == 120 and m["inputs"][0]["rows"]["kept"] == 120


def test_a_header_that_states_the_unit_is_named_instead_of_time_unit(tmp_path, capsys):
    # nanoseconds under a [μs] header: 8,333,333 "us" = 8.33 s apart = 0.12 Hz; read as ns: 8.333 ms = 120 Hz
    p = _prolab(tmp_path, comma=False, step_us=8_333_333)
    assert main(["detect", p, "--out", str(tmp_path / "e"), "--quiet", *GEOM]) == 2
    err = _err_line(capsys)
    assert "--time-unit" not in err.replace("(--time-unit does not override it)", ""), err
    assert err.endswith("the time stamps' unit is likely wrong; the header's time column 'Recording timestamp [μs]' "
                        "states their unit (--time-unit does not override it): in ns they would be 120 Hz; check "
                        "the export, or correct the unit in that column's name"), err
    assert f"{p}: consecutive samples are 8333.33 ms apart, a 0.12 Hz sampling rate" in err, err


ASC_HEAD = "** CONVERTED\nMSG\t1 TRIALID 1\nSAMPLES\tGAZE\tLEFT\tRATE\t500\n"


def test_asc_gets_no_decimal_comma_advice(tmp_path, capsys):
    p = tmp_path / "comma.asc"
    p.write_text(ASC_HEAD + "1000\t1,5\t2\t3\t...\n")
    grey_stimuli(tmp_path, ("img0",), (1920, 1080))
    assert main(["ingest", str(p), "--stimulus", "img0.png", "--stimuli", str(tmp_path / "stim"), "--out",
                 str(tmp_path / "d"), "--quiet", "--detector", "ivt", "--screen-px", "1920x1080", "--screen-cm",
                 "53x30", "--distance-cm", "60"]) == 2
    assert _err_line(capsys) == "saliency ingest: error: no usable fixations in the 1 rows read (reasons: " \
                                "non_numeric 1)"
    assert main(["detect", str(p), "--out", str(tmp_path / "e"), "--quiet", "--screen-px", "1920x1080",
                 "--screen-cm", "53x30", "--distance-cm", "60"]) == 2
    assert _err_line(capsys) == f"saliency detect: error: no raw samples in {p}; nothing to detect"


def test_asc_rate_refusal_does_not_offer_time_unit(tmp_path, capsys):
    p = tmp_path / "slow.asc"  # samples 200 ms apart: 5 Hz; the ASC reader has its own unit (ms)
    p.write_text(ASC_HEAD + "".join(f"{1000 + 200 * k}\t{500 + k}.0\t400.0\t3.0\t...\n" for k in range(10)))
    assert main(["detect", str(p), "--out", str(tmp_path / "e"), "--quiet", "--screen-px", "1920x1080",
                 "--screen-cm", "53x30", "--distance-cm", "60"]) == 2
    assert _err_line(capsys).endswith(
        "consecutive samples are 200 ms apart, a 5 Hz sampling rate, outside 10 Hz..5 kHz: the time stamps' unit "
        "is likely wrong; the eyelink-asc format has its own time unit (--time-unit does not apply to it): check "
        "the file's time stamps")


def _osie(tmp_path):
    """A small OSIE-layout fixations.mat (images 1001-1003.jpg, 800x600) and its stimuli folder."""
    from saliency.base.images import write_image
    from saliency.data_tools.readers.osie import example_file

    mat = tmp_path / "fixations.mat"
    example_file(mat, np.random.default_rng(3), 60)
    stim = tmp_path / "ostim"
    stim.mkdir()
    for i in (1001, 1002, 1003):
        write_image(stim / f"{i}.jpg", np.full((600, 800, 3), 128, np.uint8))
    return mat, stim


def test_coords_is_not_recorded_as_screen_for_osie(tmp_path, capsys):
    mat, stim = _osie(tmp_path)
    base = ["ingest", str(mat), "--stimuli", str(stim), "--detector", "tracker", "--sigma-px", "24", "--no-ioc",
            "--quiet", "--screen-px", "1024x768", "--display", "fit"]
    assert main([*base, "--out", str(tmp_path / "auto")]) == 0
    assert json.loads((tmp_path / "auto" / "dataset.json").read_text())["policies"]["coords"] == "stimulus"
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "scr"), "--coords", "screen"]) == 2
    assert _err_line(capsys) == (f"saliency ingest: error: {mat}: --coords screen: a file in the osie format "
                                 f"gives stimulus pixels, never screen coordinates; leave --coords out")
    assert not (tmp_path / "scr").exists()


def test_mixed_inputs_record_coords_per_input(tmp_path, capsys):
    mat, stim = _osie(tmp_path)
    fix = tmp_path / "fix.csv"  # screen pixels of a 1024x768 screen: 800x600 shown fit -> scale 1.28
    pd.DataFrame({"subject": "g1", "stimulus": "1001.jpg", "x": [512.0, 400.0], "y": [384.0, 300.0],
                  "duration_ms": 200.0}).to_csv(fix, index=False)
    assert main(["ingest", str(mat), str(fix), "--stimuli", str(stim), "--detector", "tracker", "--sigma-px", "24",
                 "--no-ioc", "--quiet", "--screen-px", "1024x768", "--display", "fit",
                 "--out", str(tmp_path / "d")]) == 0
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert m["policies"]["coords"] == "screen"
    assert [r["coords"] for r in m["inputs"]] == ["stimulus", "screen"]
    g1 = pd.read_csv(tmp_path / "d" / "fixations.csv").query("subject == 'g1'")
    # the screen centre (511.5, 383.5 as pixel centres) is the stimulus centre (399.5, 299.5): (512+.5)/1.28-.5
    assert g1["x"].tolist() == pytest.approx([(512 + 0.5) / 1.28 - 0.5, (400 + 0.5) / 1.28 - 0.5])


def test_summary_prints_n_a_for_an_undefined_spread():
    from saliency.data_tools.ingest import summary_text

    m = {"counts": {"stimuli": 1, "subjects": 2, "fixations": 5, "quarantined": 0, "quarantine_by_reason": {}},
         "sigma": {"deg": None, "px_by_stimulus_size": {"800x600": [24.0, 24.0]}},
         "qc": {"flagged": 0, "pairs": 2}, "inputs": [],
         "inter_observer": {"nss": {"mean": 0.0, "std": None, "n": 2, "stimuli": 1},
                            "auc_judd": {"mean": 0.91, "std": 0.0, "n": 2, "stimuli": 1}, "stimuli_scored": 1}}
    lines = summary_text(m).splitlines()
    assert lines[-2] == f"{'inter-observer NSS':<24}{'0.000':>10} +- n/a (n=2, 1 stimuli)"
    assert lines[-1] == f"{'inter-observer AUC-Judd':<24}{'0.910':>10} +- 0.000"


@pytest.mark.parametrize("command", ["detect", "ingest"])
def test_a_rate_change_within_trials_is_said_once_per_input_by_both_commands(tmp_path, capsys, command):
    # two trials of 150 samples at 500 Hz then 150 at 250 Hz (from 300 ms): every 4 ms interval of the second half
    # is a gap (> 1.5 x the 2 ms median), so that half has no event; hand-counted as in test_detection_review24
    t = np.concatenate([np.arange(150) * 2.0, 300 + np.arange(150) * 4.0])
    x = np.where(t < 400, 300.0, 600.0)
    frames = [pd.DataFrame({"subject": "p1", "trial": name, "stimulus": "s", "time_ms": t, "x": x, "y": 384.0,
                            "valid": 1}) for name in ("a", "b")]
    p = tmp_path / "rc.csv"
    pd.concat(frames).to_csv(p, index=False)
    grey_stimuli(tmp_path, ("s",), (1024, 768))
    assert _run(command, tmp_path, p, "o", "--detector", "ivt") == 0
    line = ("the sampling rate changes within the trial: 149 of 299 intervals (50 %) are 4 ms against a median of 2 "
            "ms (250 Hz against 500 Hz), and each is read as rows absent from the log, which no event spans; split "
            "the trial where the interval changes (first at 300 ms) or check the time unit")
    want = f"{p}: trial (subject 'p1', trial 'a', stimulus 's') and 1 more of its trials: {line}"
    manifest = "detection.json" if command == "detect" else "dataset.json"
    assert json.loads((tmp_path / "o" / manifest).read_text())["warnings"] == [want]
    assert f"warning: {want}" in capsys.readouterr().err


def _wrong_unit_lossy(tmp_path, lost) -> str:
    """Two trials of 500 Hz gaze stamped in seconds under a ms `time` column; rows with x = 'n/a' where ``lost(k)``."""
    rng = np.random.default_rng(3)
    rows = ["subject,trial,stimulus,time,x,y,valid"]
    for tr in range(2):
        for k in range(600):
            x = "n/a" if lost(k, rng) else f"{500 + rng.normal():.2f}"
            rows.append(f"p1,t{tr},s,{(1000 + 4000 * tr + 2 * k) / 1000.0:.3f},{x},{384 + rng.normal():.2f},1")
    p = tmp_path / "w.csv"
    p.write_text("\n".join(rows) + "\n")
    return str(p)


@pytest.mark.parametrize("lost", ["random 60 %", "every other row"])
@pytest.mark.parametrize("command", ["detect", "ingest"])
def test_a_wrong_unit_with_many_lost_rows_is_refused_for_its_unit(tmp_path, capsys, command, lost):
    # 0.002 'ms' apart: a wrong unit, whatever share of rows reads n/a (points written with '.', not a decimal
    # comma); every other row lost left no interval between kept rows that no quarantined row splits
    rule = (lambda k, rng: rng.random() < 0.6) if lost.startswith("random") else (lambda k, rng: k % 2 == 1)
    p = _wrong_unit_lossy(tmp_path, rule)
    grey_stimuli(tmp_path, ("s",), (1024, 768))
    assert _run(command, tmp_path, p, "o", "--workers", "1") == 2
    err = _err_line(capsys)
    # the unit, and no decimal comma: the gaze read has fractions (500.35), so the rows that do not parse are n/a
    assert "with --time-unit s they would be" in err
    assert "decimal comma" not in err
    assert not (tmp_path / "o").exists()


def _lossy60(tmp_path):
    """60 Hz stamped in ms (right), tracking lost (x = n/a) on 7 of every 8 rows, 2 trials of 600 rows."""
    rows = ["subject,trial,stimulus,time,x,y,valid"]
    rng = np.random.default_rng(1)
    for tr in range(2):
        for k in range(600):
            x = f"{500 + rng.normal():.2f}" if k % 8 == 0 else "n/a"
            rows.append(f"p1,t{tr},s,{1000 + 20000 * tr + k * 1000 / 60:.3f},{x},{384 + rng.normal():.2f},1")
    p = tmp_path / "lossy60.csv"
    p.write_text("\n".join(rows) + "\n")
    grey_stimuli(tmp_path, ("s",), (1024, 768))
    return p


@pytest.mark.parametrize("chunk_rows", [7, 500_000])
def test_a_chunk_with_no_kept_row_still_parts_the_rows_either_side(tmp_path, chunk_rows):
    # at 7 rows a chunk, some chunks hold only n/a rows: their lines are still gaps, so the next chunk's first
    # interval (133 ms across 7 lost rows) is not taken for one sampling interval (review 24: refused at 7)
    from saliency.data_tools.choices import IngestOptions
    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.data_tools.ingest import ingest
    from saliency.detect import DetectOptions, detect_logs

    p = _lossy60(tmp_path)
    g = ScreenGeometry((1024, 768), (38.0, 30.0), 67.0)
    ingest([p], tmp_path / "stim", tmp_path / "i", IngestOptions(geometry=g, detector="idt", chunk_rows=chunk_rows,
                                                                 ioc=False, sigma_px=3, sigma_deg=None,
                                                                 progress=False))
    detect_logs([p], tmp_path / "d", DetectOptions(geometry=g, detector="idt", chunk_rows=chunk_rows,
                                                   progress=False))
    for f in (tmp_path / "i" / "dataset.json", tmp_path / "d" / "detection.json"):
        assert json.loads(f.read_text())["inputs"][0]["rows"]["read"] == 1200


@pytest.mark.parametrize("command", ["detect", "ingest"])
def test_a_decimal_comma_export_whose_whole_numbers_parsed_is_warned(tmp_path, capsys, command):
    # a Pro Lab export with a decimal comma: 1 row in 25 holds whole numbers (parse), 576 of 600 do not; the rate
    # is plausible (8.33 ms per line), so the run goes on, and says why most rows are gone (review 24)
    rows = ["\t".join(PROLAB)]
    for k in range(600):
        x, y = (f"{400 + k % 7}", f"{300 + k % 5}") if k % 25 == 0 else (f"{400 + k % 7},5", f"{300 + k % 5},25")
        rows.append("\t".join([str(1_000_000 + 8333 * k), "P9", "Rec 1", "img0.png", x, y, "Valid", "Valid"]))
    p = tmp_path / "comma.tsv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    grey_stimuli(tmp_path, ("img0",), (1024, 768))
    assert _run(command, tmp_path, p, "o", "--detector", "idt") == 0
    want = (f"{p}: 576 of the 600 rows read hold numbers that do not parse (non_numeric 576); if the numbers are "
            "written with a decimal comma (500,13), give `decimal` comma")
    manifest = "detection.json" if command == "detect" else "dataset.json"
    assert want in json.loads((tmp_path / "o" / manifest).read_text())["warnings"]
    assert want.replace("`decimal`", "--decimal") in capsys.readouterr().err


@pytest.mark.parametrize("command", ["detect", "ingest"])
def test_a_lossy_recording_at_its_right_unit_is_not_refused(tmp_path, capsys, command):
    # every kept row sits between quarantined ones; its kept rows are 133 ms apart, 16.7 ms per file line between
    # them (review 24)
    p = _lossy60(tmp_path)
    assert _run(command, tmp_path, p, "o", "--workers", "1", "--detector", "idt") == 0
    name = "detection.json" if command == "detect" else "dataset.json"
    m = json.loads((tmp_path / "o" / name).read_text())
    rows_in = m["inputs"][0]["rows"]
    assert rows_in["read"] == 1200 and rows_in["quarantined"] == {"non_numeric": 1050}
    # its gaze is written with a point (500.35): 1050 rows of n/a are lost samples, not a decimal comma
    assert not [w for w in m["warnings"] if "decimal comma" in w]
    assert "decimal comma" not in capsys.readouterr().err


def test_the_warning_counts_the_trials_it_judged_apart_from_all(tmp_path, capsys):
    # 2 trials of 300 samples at 500 Hz, 1 at 100 Hz (nh below 200 Hz), 4 of 6 samples (5 intervals: not judged)
    frames = [_trial(f"fast{i}", np.arange(300) * 2.0 + 10_000 * i) for i in range(2)]
    frames.append(_trial("slow", np.arange(300) * 10.0 + 50_000))
    frames += [_trial(f"short{i}", np.arange(6) * 2.0 + 100_000 + 1000 * i) for i in range(4)]
    p = tmp_path / "c.csv"
    pd.concat(frames).to_csv(p, index=False)
    assert main(["detect", str(p), "--out", str(tmp_path / "o"), "--quiet", *GEOM]) == 0
    (w,) = json.loads((tmp_path / "o" / "detection.json").read_text())["warnings"]
    assert ", 1 of the 3 of its 7 trials judged (10 or more intervals between adjacent kept rows): " in w


def test_gaze_counts_takes_a_two_eye_mean_of_whole_numbers_for_whole():
    # a decimal-comma BeGaze export read with a point: its whole-number rows parse, and the reader averages the eyes
    # (L 1042, R 1045 -> 1043.5); only a fraction other than .5 shows numbers written with a point (500.35)
    from saliency.data_tools.ingest import gaze_counts

    df = pd.DataFrame({"x": [1043.5, 1042.0, np.nan, 500.35, 7.0], "y": [300.0, 301.5, 300.0, 384.0, 8.25],
                       "valid": [True, True, True, True, False]})
    assert gaze_counts(df) == (3, 1)  # rows 0, 1, 3 valid and finite; only 500.35 has a non-half fraction
    assert gaze_counts(df.iloc[:2]) == (2, 0)

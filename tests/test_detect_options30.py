"""Stop 30 (detection-options audit): a velocity window too long for the trial, and nh's large ``--min-duration``,
are said in the trial's warnings instead of passing without a word.

``--smooth-ms 5000`` on a 1 s trial gave "0 fixations, 0 saccades" with tobii-ivt (every sample undefined) and lost
the saccade with nh, exit 0, the window recorded as applied. ``--min-duration 400`` with nh also sizes the glissade
search (2 x 400 ms, as Nystrom & Holmqvist's code ties them): 380 ms "glissades" and no fixation on a Lund trial.
Both keep their labels; ``detect`` prints one warning line each and ``detection.json`` records it for the trial.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_fakes import refusal, run_cli

GEOM_ARGS = ["--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65"]
DT = 2.0  # 500 Hz


def _px(deg):
    """Degrees along x -> screen pixels (the geometry's per-axis conversion, inverted)."""
    return (1920 - 1) / 2 + 65.0 * 1920 / 53.1 * np.tan(np.radians(deg))


def _short():
    """31 samples, 60 ms: a still gaze (0.01 deg noise)."""
    return np.arange(31) * DT, np.random.default_rng(30).normal(0, 0.01, 31)


def _long():
    """501 samples, 1 s: 200 ms at 0 deg, a 6.6 deg saccade over 20 ms, the rest at 6.6 deg (0.01 deg noise)."""
    prof = [0.0, 0.1, 0.5, 1.3, 2.5, 3.9, 5.1, 5.9, 6.3, 6.5, 6.6]
    rng = np.random.default_rng(31)
    x = np.concatenate([rng.normal(0, 0.01, 100), prof, 6.6 + rng.normal(0, 0.01, 390)])
    return np.arange(len(x)) * DT, x


def _detect(tmp_path, capsys, trace, *extra):
    t, x = trace
    log = tmp_path / "samples.csv"
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time_ms": t, "x": _px(x), "y": (1080 - 1) / 2}).to_csv(
        log, index=False, float_format="%.10f")
    out = tmp_path / "E"
    rc, stdout, err = run_cli(capsys, ["detect", log, "--out", out, "--overwrite", *GEOM_ARGS, *extra])
    assert rc == 0 and "Traceback" not in err, err
    warned = [line for line in err.splitlines() if "warning" in line]
    trials = json.loads((out / "detection.json").read_text())["trials"]
    assert len(trials) == 1
    return stdout, warned, trials[0]["params"].get("warnings", [])


# ------------------------------------------------------------------ 1. a window longer than the trial

@pytest.mark.parametrize("detector, k, consequence", [
    # tobii-ivt: h = round(100 / 2 / 2) = 25 samples each side, 2 h >= 31: no sample has a speed
    ("tobii-ivt", 0, "a sample without a speed is neither fixation nor saccade"),
    # nh: 51 samples, shrunk to the run's 31 (h = 15): only the middle sample is centred
    ("nh", 1, "no saccade starts at a sample without one"),
])
def test_a_window_longer_than_the_trial_is_warned(tmp_path, capsys, detector, k, consequence):
    stdout, warned, recorded = _detect(tmp_path, capsys, _short(), "--detector", detector, "--smooth-ms", "100")
    assert len(warned) == 1 and len(recorded) == 1, (warned, recorded)
    line = warned[0]
    assert line.startswith("saliency detect: warning: ") and "trial (subject 's1'" in line, line
    assert "--smooth-ms 100: its window" in line and f"only {k} of the 31 samples with gaze" in line, line
    # the shortest window (3 samples: nh's minimum, tobii-ivt's h = 1) measures all but the 2 end samples
    assert "(60 ms long, longest run of gaze 60 ms; a 3-sample window fits 29)" in line and consequence in line, line
    assert "give a --smooth-ms well under the trial's length" in line, line
    assert recorded[0].startswith("`window_ms` 100: ") and f"only {k} of the 31" in recorded[0]


@pytest.mark.parametrize("detector", ["tobii-ivt", "nh"])
def test_the_default_window_says_nothing(tmp_path, capsys, detector):
    """tobii-ivt 20 ms: h = 5, 21 of 31 samples measured; nh 6 ms: 3 samples, 29 of 31: more than half."""
    for trace in (_short(), _long()):
        _, warned, recorded = _detect(tmp_path, capsys, trace, "--detector", detector)
        assert warned == [] and recorded == []


@pytest.mark.parametrize("command", ["detect", "ingest"])
@pytest.mark.parametrize("value", ["5000", "100.5"])
def test_a_smoothing_window_above_100_ms_is_refused_at_parse_time(tmp_path, capsys, monkeypatch, command, value):
    """The audit's --smooth-ms 5000 gave 0 fixations and 0 saccades on a 1 s trial, exit 0; nothing is written."""
    monkeypatch.chdir(tmp_path)
    argv = [command, "log.csv", "--out", "o", *GEOM_ARGS, "--detector", "tobii-ivt", "--smooth-ms", value]
    if command == "ingest":
        argv[2:2] = ["--stimuli", "s"]
    line = refusal(*run_cli(capsys, argv))
    assert line.startswith(f"saliency {command}: error: argument --smooth-ms: '{value}': must be above 0 and at "
                           f"most 100 ms (velocity filters span about 4-40 ms; "), line
    assert not any(tmp_path.iterdir())


def test_a_smoothing_window_of_100_ms_is_taken(tmp_path, capsys):
    _, warned, recorded = _detect(tmp_path, capsys, _long(), "--detector", "tobii-ivt", "--smooth-ms", "100")
    assert warned == [] and recorded == []  # h = 25 of 501 samples: 451 measured


# ------------------------------------------------------------------ 2. nh's min-duration sizes its glissade search

def test_nh_min_duration_above_100_ms_says_it_sizes_the_glissade_search(tmp_path, capsys):
    _, warned, recorded = _detect(tmp_path, capsys, _long(), "--detector", "nh", "--min-duration", "400")
    assert len(warned) == 1 and len(recorded) == 1, (warned, recorded)
    line = warned[0]
    assert "--min-duration 400: with nh it also sizes the glissade search" in line, line
    assert "up to 2 x 400 = 800 ms" in line and "nh's default is 40 ms" in line, line


@pytest.mark.parametrize("detector, extra", [("nh", []), ("nh", ["--min-duration", "100"]),
                                           ("ivt", ["--min-duration", "400"])])
def test_nh_min_duration_up_to_100_ms_and_other_detectors_say_nothing(tmp_path, capsys, detector, extra):
    stdout, warned, recorded = _detect(tmp_path, capsys, _long(), "--detector", detector, *extra)
    assert warned == [] and recorded == []
    if not extra:  # the default run: the saccade and the two fixations around it
        assert "2 fixations, 1 saccades" in stdout, stdout


# ------------------------------------------------------------------ 3. detect sums up each kind of warning apart

RATE = "the sampling rate changes within the trial"


def _thinned(n_fast, n_slow, seed):
    """``n_fast`` samples 2 ms apart (500 Hz), then ``n_slow`` more 4 ms apart (thinned to 250 Hz): a still gaze.

    The median interval stays 2 ms, so every 4 ms interval is a gap (a third of them): the rate changes."""
    t = np.concatenate([np.arange(n_fast) * DT, (n_fast - 1) * DT + np.arange(1, n_slow + 1) * 2 * DT])
    return t, np.random.default_rng(seed).normal(0, 0.01, len(t))


def _detect_trials(tmp_path, capsys, trials, *extra):
    """``detect`` on one log holding ``trials`` (stimulus -> (t, x)); (detect's warning lines on stderr, the
    top-level warnings of detection.json, each trial's own warnings by stimulus)."""
    parts = [pd.DataFrame({"subject": "s1", "stimulus": stim, "time_ms": t, "x": _px(x), "y": (1080 - 1) / 2})
             for stim, (t, x) in trials.items()]
    log = tmp_path / "samples.csv"
    pd.concat(parts).to_csv(log, index=False, float_format="%.10f")
    out = tmp_path / "E"
    rc, _, err = run_cli(capsys, ["detect", log, "--out", out, "--overwrite", *GEOM_ARGS, *extra])
    assert rc == 0 and "Traceback" not in err, err
    summary = json.loads((out / "detection.json").read_text())
    own = {t["stimulus"]: t["params"].get("warnings", []) for t in summary["trials"]}
    return [line for line in err.splitlines() if "warning" in line], summary["warnings"], own


def _one(lines, words):
    """The one line holding ``words``."""
    hits = [line for line in lines if words in line]
    assert len(hits) == 1, (words, lines)
    return hits[0]


def test_rate_change_and_window_warnings_each_have_their_line_counting_trials(tmp_path, capsys):
    """--smooth-ms 100 with tobii-ivt (25 samples each side at 500 Hz):
    a.png: 31 samples at 500 Hz then 15 at 250 Hz: rate change (15 of 45 intervals are 4 ms), and no sample
        measured (the 31-sample run is shorter than the 51-sample window; each slower sample is a run of one);
    b.png: 31 samples at 500 Hz: the window only;
    c.png: 501 samples at 500 Hz then 250 at 250 Hz: rate change only (451 of the 751 samples measured, over half).
    The old code put every line but a repeated-times one in one bucket: one line, a.png's rate change, "and 3 more
    of its trials" (4 lines of 3 trials), and nothing said of the window."""
    trials = {"a.png": _thinned(31, 15, 1), "b.png": _short(), "c.png": _thinned(501, 250, 2)}
    warned, top, own = _detect_trials(tmp_path, capsys, trials, "--detector", "tobii-ivt", "--smooth-ms", "100")
    # each trial's entry keeps its own lines, whole
    assert [w.split(":")[0] for w in own["a.png"]] == [RATE, "`window_ms` 100"], own["a.png"]
    assert [w.split(":")[0] for w in own["b.png"]] == ["`window_ms` 100"], own["b.png"]
    assert [w.split(":")[0] for w in own["c.png"]] == [RATE], own["c.png"]
    # one line per kind, naming the first trial of that kind and how many more trials (not lines) have it
    for lines in (warned, top):
        assert len(lines) == 2, lines
        rate = _one(lines, RATE)
        assert "samples.csv: trial (subject 's1', stimulus 'a.png') and 1 more of its trials: " + RATE in rate, rate
        assert "15 of 45 intervals (33 %) are 4 ms" in rate, rate  # a.png's own line
        window = _one(lines, "its window (100 ms) fits around only 0 of the 46 samples with gaze")
        assert "samples.csv: trial (subject 's1', stimulus 'a.png') and 1 more of its trials: " in window, window
    assert all(line.startswith("saliency detect: warning: ") for line in warned), warned
    assert "--smooth-ms 100: its window" in _one(warned, "its window")
    assert "`window_ms` 100: its window" in _one(top, "its window")


def test_nh_min_duration_warning_has_its_own_line_beside_a_rate_change(tmp_path, capsys):
    """nh --min-duration 150 warns on every trial: a.png (rate change too), b.png and c.png; the rate change is
    a.png's alone. The old code gave one line, a.png's rate change "and 3 more of its trials" (4 lines, 3 trials),
    and said nothing of the minimum duration."""
    trials = {"a.png": _thinned(301, 150, 3), "b.png": _long(), "c.png": _long()}
    warned, top, own = _detect_trials(tmp_path, capsys, trials, "--detector", "nh", "--min-duration", "150")
    assert [w.split(":")[0] for w in own["a.png"]] == [RATE, "`min_duration_ms` 150"], own["a.png"]
    assert [w.split(":")[0] for w in own["b.png"]] == ["`min_duration_ms` 150"] == \
        [w.split(":")[0] for w in own["c.png"]], own
    for lines in (warned, top):
        assert len(lines) == 2, lines
        rate = _one(lines, RATE)
        assert "samples.csv: trial (subject 's1', stimulus 'a.png'): " + RATE in rate, rate  # no "more"
        md = _one(lines, "150: with nh it also sizes the glissade search")
        assert "samples.csv: trial (subject 's1', stimulus 'a.png') and 2 more of its trials: " in md, md
        assert "up to 2 x 150 = 300 ms" in md, md
    assert "--min-duration 150: with nh" in _one(warned, "glissade")


# ------------------------------------------------------------------ 4. a window the runs of gaze are too short for

def _holed():
    """501 samples, 1 s at 500 Hz, a still gaze; every 8th sample (index 7, 15, ..., 495: 62 of them) is a hole:
    62 runs of 7 samples (12 ms) and a last run of 5 (8 ms), 439 samples with gaze."""
    t, x = np.arange(501) * DT, np.random.default_rng(32).normal(0, 0.01, 501)
    return t, x, np.arange(501) % 8 == 7


WITHOUT = "a sample without a speed is neither fixation nor saccade"


def test_a_default_window_longer_than_the_runs_of_gaze_says_so_not_the_trials_length(tmp_path, capsys):
    """The 62 rows are absent from the log (an export that leaves out invalid samples). tobii-ivt's default 20 ms
    (h = 5: an 11-sample window) fits in no 7-sample run: 0 of 439 measured; 3 samples fit 5 of each 7 and 3 of the
    last 5: 62 x 5 + 3 = 313. The old line said "--smooth-ms 20" as if given, "(1000 ms long, ...)" and "give a
    --smooth-ms well under the trial's length", a window 50 times shorter than the trial."""
    t, x, hole = _holed()
    _, warned, recorded = _detect(tmp_path, capsys, (t[~hole], x[~hole]), "--detector", "tobii-ivt")
    assert len(warned) == 1 and len(recorded) == 1, (warned, recorded)
    line = warned[0]
    assert line.startswith("saliency detect: warning: ") and "trial (subject 's1', stimulus 'a.png'): " in line
    assert line.endswith(
        "the window (--smooth-ms 20, default for this detector; 20 ms applied) fits around only 0 of the 439 "
        f"samples with gaze of this trial (a 3-sample window fits 313), and {WITHOUT}: the trial's runs of gaze "
        "are short for it (longest 12 ms, half of the samples with gaze in runs of 12 ms or less), broken at 62 "
        "places where rows are missing from the log; give a window well under those runs, or an export that keeps "
        "the samples left out as rows (gaze empty), so that --max-gap can bridge them"), line
    assert "trial's length" not in line and "1000 ms" not in line
    assert recorded[0].startswith("the window (`window_ms` 20, default for this detector; 20 ms applied) fits ")


def test_the_same_holes_marked_invalid_are_bridged_by_default_and_named_when_not(tmp_path, capsys):
    """The 62 holes as rows without gaze: tobii-ivt's default --max-gap 75 bridges them (no warning, as the
    advice says); with --max-gap 0 they break the runs as absent rows did, and the line names them, with no
    export advice (the rows are there)."""
    t, x, hole = _holed()
    x = np.where(hole, np.nan, x)
    _, warned, recorded = _detect(tmp_path, capsys, (t, x), "--detector", "tobii-ivt")
    assert warned == [] and recorded == []
    _, warned, _ = _detect(tmp_path, capsys, (t, x), "--detector", "tobii-ivt", "--max-gap", "0")
    assert len(warned) == 1, warned
    assert warned[0].endswith(
        "(longest 12 ms, half of the samples with gaze in runs of 12 ms or less), broken at 62 runs of samples "
        "marked invalid; give a window well under those runs"), warned[0]
    assert "the window (--smooth-ms 20, default for this detector; 20 ms applied) fits around only 0 of the 439 "\
           "samples" in warned[0]


def test_a_given_window_longer_than_the_runs_is_named_as_given(tmp_path, capsys):
    """nh --smooth-ms 20 (11 samples, 22 ms at 500 Hz), shrunk to each run: only each run's middle sample is
    centred, 63 of 439, under half the 313 of a 3-sample window."""
    t, x, hole = _holed()
    _, warned, _ = _detect(tmp_path, capsys, (t[~hole], x[~hole]), "--detector", "nh", "--smooth-ms", "20")
    assert len(warned) == 1, warned
    line = warned[0]
    assert "the window (--smooth-ms 20; 22 ms applied) fits around only 63 of the 439 samples with gaze of this " \
           "trial (a 3-sample window fits 313), and no saccade starts at a sample without one: the trial's runs " \
           "of gaze are short for it (longest 12 ms," in line, line
    assert "default" not in line and "trial's length" not in line, line


def test_a_default_window_longer_than_a_short_trial_keeps_the_trial_sentence_saying_default(tmp_path, capsys):
    """11 samples, 20 ms, unbroken: tobii-ivt's default h = 5 measures the middle sample only (3 samples: 9).
    The window is longer than half the trial: the trial's sentence, saying the window was the default."""
    t, x = _short()
    _, warned, recorded = _detect(tmp_path, capsys, (t[:11], x[:11]), "--detector", "tobii-ivt")
    assert len(warned) == 1, warned
    assert "--smooth-ms 20 (default for this detector): its window (20 ms) fits around only 1 of the 11 samples " \
           "with gaze of this trial (20 ms long, longest run of gaze 20 ms; a 3-sample window fits 9)" in warned[0]
    assert warned[0].endswith("give a --smooth-ms well under the trial's length"), warned[0]
    assert recorded[0].startswith("`window_ms` 20 (default for this detector): its window")


def test_a_short_runs_window_line_is_summed_up_as_a_window_warning_beside_a_rate_change(tmp_path, capsys):
    """Two trials, tobii-ivt defaults: a.png with every 8th row absent (the window fits no run of gaze: the
    "the window (`window_ms` ..." sentence of 1562278), b.png thinned to 250 Hz in its second half (a rate change).
    Each kind has its own summary line naming its trial; the short-runs sentence was of kind "other" (detect only
    knew the "`window_ms` ..." opening), and is now a window warning (hand-checked with trial_warning_kind)."""
    from saliency.detect import trial_warning_kind

    t, x, hole = _holed()
    lines, top, own = _detect_trials(tmp_path, capsys, {"a.png": (t[~hole], x[~hole]), "b.png": _thinned(300, 150, 3)},
                                     "--detector", "tobii-ivt")
    assert [trial_warning_kind(w) for w in own["a.png"]] == ["window"], own["a.png"]
    assert "rate" in [trial_warning_kind(w) for w in own["b.png"]], own["b.png"]
    window = _one(lines, "the window (--smooth-ms 20, default for this detector")
    rate = _one(lines, "the sampling rate changes within the trial")
    assert "stimulus 'a.png'" in window and "more of its trials" not in window
    assert "stimulus 'b.png'" in rate and "more of its trials" not in rate
    assert len(top) == 2, top

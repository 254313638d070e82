"""Task F5: a trial warning's kind is data, one size range for --size, sampling rates, SIGTERM in benchmarks.

1. ``saliency detect`` summed a trial's warnings per (input, kind) by reading the kind back from each line's
   opening words: a reworded line was filed under another kind (or ``other``). :func:`data_tools.detection.classify`
   now gives each line its kind (:class:`TrialWarning`, a ``str`` with ``.kind``), which ``detect`` sums by.
2. ``saliency predict --size`` wrote 16..4096 again beside :data:`saliency.predict.SIZE_RANGE`; it reads that range.
3. Sampling rates: the rate is never given, always estimated from the time stamps; the command line refuses an
   input whose rate is implausible in one line (exit 2), and warns of a single trial's (checked here, unchanged).
4. A benchmark given SIGTERM died silently (status -15) leaving its temporary folder, or printed the traceback of
   a failed check when an in-process command caught the signal; it is now ``SCRIPT.py: terminated``, exit 143.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from cli_fakes import refusal, run_cli
from saliency.data_tools import detection as det
from saliency.data_tools.geometry import ScreenGeometry

GEOM_ARGS = ["--screen-px", "1920x1080", "--screen-cm", "53.1x29.9", "--distance-cm", "65"]
GEOM = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0)
DT = 2.0  # 500 Hz
RATE_WORDS = "the sampling rate changes within the trial"


def _px(deg):
    """Degrees along x -> screen pixels (the geometry's per-axis conversion, inverted)."""
    return (1920 - 1) / 2 + 65.0 * 1920 / 53.1 * np.tan(np.radians(deg))


def _holed():
    """501 samples at 500 Hz of a still gaze with every 8th row absent: runs of 7 samples (12 ms), shorter than
    tobii-ivt's default 20 ms window (11 samples): no sample gets a speed, a window warning."""
    t, x = np.arange(501) * DT, np.random.default_rng(32).normal(0, 0.01, 501)
    keep = np.arange(501) % 8 != 7
    return t[keep], x[keep]


def _thinned():
    """300 samples 2 ms apart then 150 more 4 ms apart (500 Hz thinned to 250 Hz): 150 of 449 intervals are one
    gap length, a rate change."""
    t = np.concatenate([np.arange(300) * DT, 299 * DT + np.arange(1, 151) * 2 * DT])
    return t, np.random.default_rng(3).normal(0, 0.01, len(t))


def _detect(tmp_path, capsys, trials, *extra):
    """``saliency detect`` on one log of ``trials`` (stimulus -> (t, x)); its warning lines on stderr."""
    parts = [pd.DataFrame({"subject": "s1", "stimulus": stim, "time_ms": t, "x": _px(x), "y": (1080 - 1) / 2})
             for stim, (t, x) in trials.items()]
    log = tmp_path / "samples.csv"
    pd.concat(parts).to_csv(log, index=False, float_format="%.10f")
    rc, _, err = run_cli(capsys, ["detect", log, "--out", tmp_path / "E", "--overwrite", *GEOM_ARGS, *extra])
    assert rc == 0 and "Traceback" not in err, err
    return [line for line in err.splitlines() if "warning" in line]


def _only(lines, words):
    hits = [line for line in lines if words in line]
    assert len(hits) == 1, (words, lines)
    return hits[0]


# ------------------------------------------------------------------ 1. the kind is data, not wording


def test_classify_gives_each_warning_its_kind_and_the_same_text(tmp_path):
    """Hand-made trials, one per kind; the text is what detection.json stores (a plain JSON string) and the kind
    crosses a process pool (pickle)."""
    t, x = _thinned()
    rate = det.classify(t, _px(x), np.full(len(t), 539.5), GEOM, "ivt").params["warnings"]
    t, x = _holed()
    window = det.classify(t, _px(x), np.full(len(t), 539.5), GEOM, "tobii-ivt").params["warnings"]
    t = np.arange(400) * DT
    x = np.random.default_rng(5).normal(0, 0.01, 400)
    md = det.classify(t, _px(x), np.full(400, 539.5), GEOM, "nh", min_duration_ms=400).params["warnings"]
    t = np.repeat(np.arange(100) * DT, 3)  # 200 of 300 rows repeat the previous stamp
    rep = det.classify(t, _px(np.zeros(300)), np.full(300, 539.5), GEOM, "ivt").params["warnings"]
    assert [w.kind for w in rate] == ["rate"] and rate[0].startswith(RATE_WORDS), rate
    assert [w.kind for w in window] == ["window"] and "`window_ms` 20" in window[0], window
    assert [w.kind for w in md] == ["min_duration"] and md[0].startswith("`min_duration_ms` 400: "), md
    assert rep[0].kind == "repeated" and rep[0].startswith("200 of 300 samples repeat"), rep
    for w in (*rate, *window, *md, *rep):
        assert json.dumps(w) == json.dumps(str(w))
        back = pickle.loads(pickle.dumps(w))
        assert (back, back.kind) == (w, w.kind)


def test_a_reworded_warning_is_still_summed_under_its_own_kind(tmp_path, capsys, monkeypatch):
    """The window line reworded to open with the rate line's words: detect filed it as a rate change, so a.png's
    window line stood for b.png's rate change ("and 1 more of its trials") and b.png's own line was never printed.
    Summed by kind, each trial keeps its line."""
    window_warning = det.window_warning

    def reworded(*a, **k):
        line = window_warning(*a, **k)
        return None if line is None else f"{RATE_WORDS}? no: {line}"

    monkeypatch.setattr(det, "window_warning", reworded)
    lines = _detect(tmp_path, capsys, {"a.png": _holed(), "b.png": _thinned()}, "--detector", "tobii-ivt")
    window = _only(lines, "stimulus 'a.png'")
    rate = _only(lines, "stimulus 'b.png'")
    assert f"{RATE_WORDS}? no: the window (--smooth-ms 20" in window and "more of its trials" not in window
    assert f"): {RATE_WORDS}: " in rate and "more of its trials" not in rate


def test_the_kinds_cross_the_worker_pool(tmp_path, capsys):
    """``--workers 2``: the trials come back from worker processes, each warning with its kind: one line per kind,
    each naming its own trial (a lost kind would sum both as ``other``: one line, "and 1 more")."""
    lines = _detect(tmp_path, capsys, {"a.png": _holed(), "b.png": _thinned()}, "--detector", "tobii-ivt",
                    "--workers", "2")
    assert "the window (--smooth-ms 20" in _only(lines, "stimulus 'a.png'")
    assert RATE_WORDS in _only(lines, "stimulus 'b.png'")
    assert not any("more of its trials" in line for line in lines), lines


# ------------------------------------------------------------------ 2. one size range


def test_predict_size_reads_the_range_of_saliency_predict(tmp_path, capsys, monkeypatch):
    """The message is unchanged at 16..4096; with the range narrowed, --size follows it (it held 4096 apart). The
    range lives in ``saliency.base.images`` (standard library only, so help screens import no numpy) and
    ``saliency.predict.SIZE_RANGE`` is that same range."""
    import saliency.base.images
    import saliency.predict

    assert saliency.predict.SIZE_RANGE is saliency.base.images.NETWORK_SIZE_RANGE

    argv = ["predict", "--images", tmp_path, "--out", tmp_path / "o", "--size"]
    line = refusal(*run_cli(capsys, [*argv, "8x8"]))
    assert line == ("saliency predict: error: argument --size: '8x8': width and height must be between 16 and 4096 "
                    "(see 'saliency predict --help')"), line
    monkeypatch.setattr(saliency.base.images, "NETWORK_SIZE_RANGE", (16, 2048))
    line = refusal(*run_cli(capsys, [*argv, "3000x3000"]))
    assert "'3000x3000': width and height must be between 16 and 2048" in line, line


# ------------------------------------------------------------------ 3. sampling rates (a check: unchanged)


@pytest.mark.parametrize("dt, hz", [(2000.0, "0.5 Hz"), (0.001, "1e+06 Hz")])
def test_an_input_at_an_implausible_rate_is_one_line_exit_2(tmp_path, capsys, dt, hz):
    log = tmp_path / "samples.csv"
    t = np.arange(300) * dt
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time_ms": t, "x": 960.0, "y": 540.0}).to_csv(log,
                                                                                                     index=False)
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "E", *GEOM_ARGS, "--quiet"]))
    assert f"a {hz} sampling rate, outside 10 Hz..5 kHz" in line, line


def test_a_time_unit_giving_an_implausible_rate_is_one_line_exit_2(tmp_path, capsys):
    """``--time-unit`` is the rate the user sets: us on 2 ms stamps is 500 kHz, refused, naming the unit to use."""
    log = tmp_path / "samples.csv"
    pd.DataFrame({"subject": "s1", "stimulus": "a.png", "time": np.arange(300) * 2.0, "x": 960.0,
                  "y": 540.0}).to_csv(log, index=False)
    line = refusal(*run_cli(capsys, ["detect", log, "--out", tmp_path / "E", *GEOM_ARGS, "--time-unit", "us"]))
    assert "a 500000 Hz sampling rate" in line and "with --time-unit ms they would be 500 Hz" in line, line


def test_one_trial_at_an_implausible_rate_is_warned_not_refused(tmp_path, capsys):
    """Per trial, as before: the input goes on, the trial named in a warning."""
    lines = _detect(tmp_path, capsys, {"a.png": (np.arange(300) * DT, np.zeros(300)),
                                       "b.png": (1000 + np.arange(300) * 0.001, np.zeros(300))}, "--quiet")
    line = _only(lines, "outside 10 Hz..5 kHz")
    assert "stimulus 'b.png'" in line and "a 1e+06 Hz sampling rate" in line, line


# ------------------------------------------------------------------ 4. SIGTERM in a benchmark

ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", CUDA_VISIBLE_DEVICES="")


def test_benchmark_sigterm_is_one_line_143_and_its_temporary_folder_removed(tmp_path):
    """synth.py times ``saliency synth`` runs into a temporary folder; SIGTERM while one runs. Oracle: Ctrl-C's
    convention (one line, 128 + the signal) and ``saliency <cmd>: terminated``; the folder removed as on Ctrl-C."""
    from bench_fakes import BENCH

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = subprocess.Popen([sys.executable, str(BENCH / "synth.py"), "--scenes", "2", "--subjects", "1", "--size",
                          "64x48", "--repeats", "1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(ENV, TMPDIR=str(tmp)), start_new_session=True)
    try:
        t0 = time.monotonic()
        while p.poll() is None and not list(tmp.glob("*/run1")) and time.monotonic() - t0 < 120:
            time.sleep(0.02)  # a run has finished and the next one is under way
        assert p.poll() is None and list(tmp.iterdir()), p.communicate()
        kids = []  # the next run's `saliency synth` (--out .../run2), running: the SIGTERM finds it mid-run
        while p.poll() is None and not kids and time.monotonic() - t0 < 120:
            try:
                pids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
                kids = [c for c in pids if b"/run2\0" in open(f"/proc/{c}/cmdline", "rb").read()]
            except OSError:
                pass
            time.sleep(0.01)
        time.sleep(0.5)
        os.kill(p.pid, signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
    # the running `saliency synth` is ended too (F12: it ran on as an orphan); its own line is not shown (F19)
    assert (p.returncode, err) == (143, "synth.py: terminated\n"), (p.returncode, err[-2000:])
    assert not list(tmp.iterdir()), list(tmp.iterdir())


def test_run_main_a_failed_check_after_a_caught_sigterm_is_the_terminated_line(monkeypatch, capsys):
    """A command run in-process (detection.py's ``assert main([...]) == 0``) catches SIGTERM and returns 143; the
    check then raised AssertionError, a traceback. run_main sees the signal was received: one line, 143."""
    from bench_fakes import BENCH  # noqa: F401 - puts benchmarks/ on sys.path
    from saliency.base.fsutil import Terminated, terminate_raises
    from scratch import run_main

    def command():  # as saliency.cli.main: SIGTERM caught inside, status 143
        try:
            with terminate_raises():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(10)
        except Terminated:
            return 143
        return 0

    def main():
        assert command() == 0

    monkeypatch.setattr(sys, "argv", ["/x/benchmarks/detection.py"])
    before = signal.getsignal(signal.SIGTERM)
    assert run_main(main) == 143
    assert capsys.readouterr() == ("", "detection.py: terminated\n")
    assert signal.getsignal(signal.SIGTERM) is before  # the handler put back

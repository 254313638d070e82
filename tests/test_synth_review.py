"""Review of the synthetic study generator (data_tools.observers, data_tools.synth, saliency synth).

1. The simulated drift is Brownian: its spread after T ms is
   ``drift_sd_deg * sqrt(T / dt_ref)`` (``dt_ref = 1000 / drift_reference_hz``)
   at any sampling rate, not a per-sample random walk that grew with the rate.
2. A study too large for memory is refused at once (one line, exit 2), and the
   out-of-memory line names only options the running command has.
3. The truth lists no fixation without samples: a last fixation that would be
   shorter than ``dur_min_ms`` is not made (a 3 ms one had no sample at 120 Hz).
4. A trial of one sample (``--rate 10 --viewing-ms 100``) is refused at synth's option check.

Oracles: closed forms (the chi-square spread of a Brownian motion's sample
variance), counts read back from the written files, the documented limits.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from saliency.cli import classify, main
from saliency.data_tools.geometry import ScreenGeometry
from saliency.data_tools.observers import Fixation, ObserverModel, record, scanpath
from saliency.data_tools.synth import SynthConfig, generate

GEOM = ScreenGeometry((1920, 1080), (53.1, 29.9), 65.0, "fit")


# ------------------------------------------------------------------ 1. drift spread independent of the rate

@pytest.mark.parametrize("rate", [60.0, 500.0, 2000.0])
def test_drift_spread_grows_with_sqrt_time_at_any_rate(rate):
    """One 1500 ms fixation, no noise, blinks, glitches or calibration offset: only the drift moves the gaze.

    A fixation's walk starts with its first sample's step, so its m-th sample carries m steps of T = m * dt
    ms. Over N observers the mean square of the x and y displacements (2N independent values, true mean 0)
    times 2N / sigma^2 is chi-square with 2N degrees of freedom: the test accepts the two-sided 1e-4
    quantiles (N = 400: sd within about -9 % / +10 % of the closed form). The old per-sample walk gave
    0.35 x the closed form at 60 Hz and 2 x at 2000 Hz.
    """
    from scipy.stats import chi2

    model = replace(ObserverModel(viewing_ms=1500.0), noise_sd_deg=0.0, blink_rate_hz=0.0, glitch_prob=0.0)
    pl = GEOM.placement(640, 480)
    ex, ey = pl.stimulus_to_screen(320.0, 240.0)
    fixes = [Fixation(320.0, 240.0, 0.0, 1500.0, "start", -1)]
    dt = 1000.0 / rate
    dt_ref = 1000.0 / getattr(model, "drift_reference_hz", 500.0)
    assert dt_ref == 2.0  # the reference is synth's default rate, 500 Hz
    n_obs = 400
    for T in (300.0, 1200.0):
        m = int(round(T / dt))
        assert m * dt == pytest.approx(T)
        d = []
        for seed in range(n_obs):
            r = record(np.random.default_rng(seed), fixes, pl, GEOM.screen_px, GEOM.ppd, rate, model, (0.0, 0.0))
            d += [(r.x[m - 1] - ex) / GEOM.ppd, (r.y[m - 1] - ey) / GEOM.ppd]
        d = np.asarray(d)
        sigma = model.drift_sd_deg * math.sqrt(T / dt_ref)  # 0.0735 deg after 300 ms, 0.147 after 1200 ms
        k = len(d)
        lo, hi = chi2.ppf(0.5e-4, k) / k, chi2.ppf(1 - 0.5e-4, k) / k
        ratio = float(np.mean(d ** 2)) / sigma ** 2
        assert lo < ratio < hi, (rate, T, math.sqrt(ratio))


def test_drift_reference_is_recorded_in_study_json(tmp_path):
    import json

    generate(tmp_path / "s", SynthConfig(scenes=1, subjects=1, width=64, height=48, rate_hz=120.0,
                                         observer=ObserverModel(viewing_ms=300.0)), progress=False)
    obs = json.loads((tmp_path / "s" / "study.json").read_text())["observer"]
    assert obs["drift_sd_deg"] == 0.006 and obs["drift_reference_hz"] == 500.0


# ------------------------------------------------------------------ 2. total size, out-of-memory line

def test_check_config_limit_is_on_the_total_number_of_samples():
    from saliency.data_tools.synth import MAX_SAMPLES, check_config

    per_trial = 1500  # 3000 ms at 500 Hz
    check_config(SynthConfig(scenes=MAX_SAMPLES // per_trial, subjects=1))  # exactly the limit
    check_config(SynthConfig(scenes=450, subjects=15))  # 10.1 M samples, the documented ingestion benchmark
    with pytest.raises(Exception, match="= 12,001,500 samples, more than the 12,000,000") as err:
        check_config(SynthConfig(scenes=MAX_SAMPLES // per_trial + 1, subjects=1))
    assert type(err.value).__name__ == "UserError"


def _no_generation(monkeypatch):
    """Fail at once if a scene starts being generated (without the check a refused study ran for minutes)."""
    import saliency.data_tools.synth as synth_mod

    def started(*a, **k):
        raise AssertionError("generation started: the study was not refused")

    monkeypatch.setattr(synth_mod, "_scene_task", started)


def test_too_large_study_refused_at_once_one_line(tmp_path, capsys, monkeypatch):
    _no_generation(monkeypatch)
    out = tmp_path / "big"
    rc = main(["synth", "--out", str(out), "--scenes", "1", "--subjects", "1000", "--viewing-ms", "600000",
               "--rate", "5000", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count("\n") == 0 and "Traceback" not in err
    for flag in ("--scenes 1", "--subjects 1000", "--viewing-ms 600000", "--rate 5000", "3,000,000,000",
                 "12,000,000"):
        assert flag in err, (flag, err)
    assert not out.exists() and not list(tmp_path.iterdir())  # nothing written, no staging folder


def test_library_generate_refuses_before_writing(tmp_path, monkeypatch):
    from saliency.base.errors import UserError

    _no_generation(monkeypatch)
    with pytest.raises(UserError, match="scenes 9000 x subjects 1 x 1,500 samples per trial"):
        generate(tmp_path / "s", SynthConfig(scenes=9000, subjects=1), progress=False)
    assert not (tmp_path / "s").exists()


def test_help_states_the_limit():
    from saliency.commands import synth as cmd
    from saliency.data_tools.synth import MAX_SAMPLES

    assert f"{MAX_SAMPLES / 1e6:g} million" in cmd.DESCRIPTION


def test_out_of_memory_line_names_only_the_commands_options(tmp_path, capsys, monkeypatch):
    import saliency.data_tools.synth as synth_mod

    def boom(*a, **k):
        raise MemoryError()

    monkeypatch.setattr(synth_mod, "generate", boom)
    rc = main(["synth", "--out", str(tmp_path / "o"), "--scenes", "2", "--subjects", "1", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and err.startswith("saliency synth: error: out of memory") and err.count("\n") == 0
    assert "--batch-size" not in err and "--size" not in err and "--workers" not in err
    for flag in ("--scenes", "--subjects", "--viewing-ms", "--rate"):
        assert flag in err
    # other commands: the generic options they have, and only those
    from saliency.cli import command_modules

    for mod in command_modules():
        if mod.NAME == "synth":
            continue
        p = argparse.ArgumentParser()
        mod.add_arguments(p)
        dests = {a.dest for a in p._actions}
        ns = argparse.Namespace(**{d: None for d in dests}, command=mod.NAME, _run=mod.run)
        code, line = classify(MemoryError(), str, ns)
        assert code == 1 and line.startswith("out of memory")
        for flag, dest in (("--batch-size", "batch_size"), ("--size", "size"), ("--workers", "workers")):
            assert (flag in line) == (dest in dests), (mod.NAME, flag, line)
    assert "--batch-size" in classify(MemoryError(), str)[1]  # command unknown: all of them, as before


# ------------------------------------------------------------------ 3. every true fixation has samples

def test_short_last_fixation_is_not_made():
    """Over 400 trials: every fixation lasts at least dur_min_ms, the last ends at the trial end, and the
    saccades between fixations keep the main sequence (the merged fixation absorbed its saccade)."""
    model = ObserverModel()
    labels = np.zeros((48, 64), np.int32)
    labels[10:30, 10:30] = 1
    ppd_stim = 10.0
    n_last_extended = 0
    for seed in range(400):
        fixes = scanpath(np.random.default_rng(seed), labels, [400], model, ppd_stim)
        assert min(f.duration_ms for f in fixes) >= model.dur_min_ms, seed
        assert fixes[-1].t_start_ms + fixes[-1].duration_ms == pytest.approx(model.viewing_ms)
        n_last_extended += fixes[-1].duration_ms > model.dur_max_ms
        for a, b in zip(fixes[:-1], fixes[1:]):
            amp = math.hypot(b.x - a.x, b.y - a.y) / ppd_stim
            gap = b.t_start_ms - (a.t_start_ms + a.duration_ms)
            assert gap == pytest.approx(model.saccade_base_ms + model.saccade_ms_per_deg * amp)
    assert n_last_extended > 0  # the rule was exercised


def test_every_truth_fixation_has_samples(tmp_path):
    """check_truth's logic on the reviewer's study (seed 3, 6 scenes x 4 subjects) at 120 Hz, where two true
    fixations (3.2 and 6.2 ms, the last of their trials) had no sample: each now holds at least 2."""
    out = tmp_path / "s"
    generate(out, SynthConfig(scenes=6, subjects=4, seed=3, rate_hz=120.0), workers=1, progress=False)
    s = pd.read_csv(out / "logs" / "samples.csv")
    tf = pd.read_csv(out / "truth" / "fixations.csv")
    by_trial = {k: g.time_ms.to_numpy() for k, g in s.groupby(["subject", "stimulus"], sort=False)}
    counts = []
    for r in tf.itertuples():
        t = by_trial[(r.subject, r.stimulus)]
        counts.append(int(((t >= r.t_start_ms - 1e-3) & (t < r.t_start_ms + r.duration_ms - 1e-3)).sum()))
    counts = np.asarray(counts)
    assert (counts >= 2).all(), tf[counts < 2]
    assert tf.duration_ms.min() >= ObserverModel().dur_min_ms


# ------------------------------------------------------------------ 4. at least two samples per trial

def test_one_sample_trials_refused_at_option_check(tmp_path, capsys):
    from saliency.data_tools.synth import check_config

    out = tmp_path / "o"
    rc = main(["synth", "--out", str(out), "--rate", "10", "--viewing-ms", "100", "--scenes", "1",
               "--subjects", "1", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count("\n") == 0
    assert "--viewing-ms 100" in err and "--rate 10" in err and "1 sample per trial" in err and "two" in err
    assert not out.exists()
    check_config(SynthConfig(rate_hz=10.0, observer=ObserverModel(viewing_ms=150.0)))  # two samples: accepted
    with pytest.raises(Exception, match="1 sample per trial"):
        check_config(SynthConfig(rate_hz=10.0, observer=ObserverModel(viewing_ms=100.0)))

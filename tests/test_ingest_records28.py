"""Review stop 28 (R9): what ``dataset.json`` records is what the run used.

- ``--decimal comma`` on a log whose numbers all use a decimal point read it exactly as without the option, yet was
  recorded as applied with no word: now one warning line names the file and ``--decimal comma`` (also in
  ``dataset.json`` ``warnings``) and the input's record says ``decimal_comma_applied: false``.
- a geometry file's stated ``ppd`` was silently replaced by the computed one, and keys the geometry does not use
  (``sampling_rate_hz``) were copied into the recorded geometry as facts: a ppd more than 1 % off is refused, one
  within 1 % accepted, unused keys recorded apart under ``unused_keys``; synth's own screen.json stays silent.
- the ``--trials`` table was recorded by path only: now with its sha256.
- ``sigma.px_by_stimulus_size`` was rounded to 6 decimals: now the full float the maps are built with.

Oracles: the MIT ``computeDegVisAngle`` formula the README documents, worked here with ``math`` (1920 px over
53.1 cm and 1080 px over 29.9 cm at 65 cm: ppd 41.0243 and 40.9815, mean 41.0029); ``hashlib`` on the file.
"""

from __future__ import annotations

import hashlib
import json
import math

import pandas as pd

from cli_fakes import refusal, run_cli
from ingest_fakes import study  # noqa: F401 (a module fixture: a small synthetic study)

TAN1 = math.tan(math.radians(1.0))
PPD_X = 1920 / 53.1 * 65 * TAN1  # 41.0243
PPD_Y = 1080 / 29.9 * 65 * TAN1  # 40.9815
PPD = (PPD_X + PPD_Y) / 2  # 41.0029


def _ingest(capsys, study, out, *extra, log="logs/samples.csv"):  # noqa: F811
    rc, stdout, err = run_cli(capsys, ["ingest", study / log, "--stimuli", study / "stimuli", "--out", out,
                                       "--quiet", "--no-ioc", *extra])
    return rc, stdout, err


def _manifest(out):
    return json.loads((out / "dataset.json").read_text("utf-8"))


def test_hand_worked_ppd_matches_the_documented_formula():
    assert round(PPD_X, 4) == 41.0243 and round(PPD_Y, 4) == 40.9815 and round(PPD, 4) == 41.0029


# ------------------------------------------------------------------ --decimal comma without a decimal comma

def test_decimal_comma_on_a_point_decimal_log_is_said_and_recorded(study, tmp_path, capsys):  # noqa: F811
    rc, _, err = _ingest(capsys, study, tmp_path / "dc", "--geometry", study / "screen.json",
                         "--decimal", "comma")
    assert rc == 0, err
    src = str(study / "logs/samples.csv")
    said = [ln for ln in err.splitlines() if "--decimal comma" in ln]
    assert len(said) == 1 and src in said[0] and "no effect" in said[0], err
    m = _manifest(tmp_path / "dc")
    rec = [w for w in m["warnings"] if "`decimal` comma" in w]
    assert len(rec) == 1 and rec[0].startswith(f"{src}: ") and "no number in it is written with a decimal comma" \
        in rec[0], m["warnings"]
    assert m["inputs"][0]["decimal_comma_applied"] is False


def test_decimal_comma_on_a_decimal_comma_log_is_silent_and_reads_the_same_numbers(study, tmp_path,  # noqa: F811
                                                                                   capsys):
    # the same log written as a European-locale export: ';' between fields, ',' as the decimal mark
    df = pd.read_csv(study / "logs/samples.csv", dtype=str, keep_default_na=False)
    comma = tmp_path / "samples_comma.csv"
    df.apply(lambda c: c.str.replace(".", ",", regex=False)).to_csv(comma, sep=";", index=False)
    rc, _, err = run_cli(capsys, ["ingest", comma, "--stimuli", study / "stimuli", "--out", tmp_path / "c",
                                  "--geometry", study / "screen.json", "--decimal", "comma", "--quiet", "--no-ioc"])
    assert rc == 0, err
    assert "decimal" not in err, err
    m = _manifest(tmp_path / "c")
    assert not [w for w in m["warnings"] if "decimal" in w] and m["inputs"][0]["decimal_comma_applied"] is True
    rc, _, err = _ingest(capsys, study, tmp_path / "p", "--geometry", study / "screen.json")
    assert rc == 0, err
    cols = ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"]
    a = pd.read_csv(tmp_path / "c" / "fixations.csv")[cols]
    b = pd.read_csv(tmp_path / "p" / "fixations.csv")[cols]
    assert len(a) > 10 and a.equals(b)


def test_point_decimal_run_records_no_decimal_comma_key(study, tmp_path, capsys):  # noqa: F811
    rc, _, err = _ingest(capsys, study, tmp_path / "p", "--geometry", study / "screen.json")
    assert rc == 0 and "decimal" not in err, err
    assert "decimal_comma_applied" not in _manifest(tmp_path / "p")["inputs"][0]


# ------------------------------------------------------------------ a geometry file's ppd and unused keys

def _geometry(tmp_path, **extra):
    g = {"screen_px": [1920, 1080], "screen_cm": [53.1, 29.9], "distance_cm": 65, **extra}
    p = tmp_path / "g.json"
    p.write_text(json.dumps(g))
    return p


def test_a_stated_ppd_far_from_the_computed_one_is_refused(study, tmp_path, capsys):  # noqa: F811
    g = _geometry(tmp_path, ppd=35, sampling_rate_hz=1000)
    line = refusal(*_ingest(capsys, study, tmp_path / "o", "--geometry", g))
    assert line.startswith(f"saliency ingest: error: {g}: ppd 35 "), line
    assert f"{PPD:.4f}" in line and "remove ppd" in line and "screen_cm" in line and "distance_cm" in line, line
    assert not (tmp_path / "o").exists()


def test_a_stated_ppd_just_over_1_percent_off_is_refused(study, tmp_path, capsys):  # noqa: F811
    g = _geometry(tmp_path, ppd=round(PPD * 1.012, 3))  # 41.495: 1.2 % over
    line = refusal(*_ingest(capsys, study, tmp_path / "o", "--geometry", g))
    assert "ppd 41.495" in line and f"{PPD:.4f}" in line, line


def test_a_stated_ppd_within_1_percent_is_accepted_and_unused_keys_are_not_recorded_as_facts(  # noqa: F811
        study, tmp_path, capsys):
    g = _geometry(tmp_path, ppd=round(PPD * 0.992, 3), sampling_rate_hz=1000)  # 40.675: 0.8 % under
    rc, _, err = _ingest(capsys, study, tmp_path / "o", "--geometry", g)
    assert rc == 0, err
    m = _manifest(tmp_path / "o")
    geo = m["geometry"]
    assert "sampling_rate_hz" not in geo and geo["unused_keys"] == {"sampling_rate_hz": 1000}, geo
    assert geo["ppd"] == round(PPD, 4) == 41.0029 and abs(m["ppd"] - PPD) < 1e-6
    # the recorded geometry reads back as a geometry file, its unused keys kept apart (not nested)
    back = tmp_path / "back.json"
    back.write_text(json.dumps(geo))
    rc, _, err = _ingest(capsys, study, tmp_path / "o2", "--geometry", back)
    assert rc == 0, err
    assert _manifest(tmp_path / "o2")["geometry"] == geo


def test_synth_geometry_is_ingested_silently(study, tmp_path, capsys):  # noqa: F811
    screen = json.loads((study / "screen.json").read_text())
    assert screen["ppd"] == 41.0029 and screen["sampling_rate_hz"] == 500  # what synth writes
    rc, _, err = _ingest(capsys, study, tmp_path / "o", "--geometry", study / "screen.json")
    assert rc == 0 and err == "", err
    geo = _manifest(tmp_path / "o")["geometry"]
    assert "sampling_rate_hz" not in geo and geo["unused_keys"] == {"sampling_rate_hz": 500}


# ------------------------------------------------------------------ --trials sha256, sigma in full

def test_the_trials_table_is_recorded_with_its_sha256(study, tmp_path, capsys):  # noqa: F811
    trials = study / "logs/trials.csv"
    rc, _, err = _ingest(capsys, study, tmp_path / "o", "--geometry", study / "screen.json", "--trials", trials,
                         log="logs/eyelink_fixations.csv")
    assert rc == 0, err
    m = _manifest(tmp_path / "o")
    assert m["trials_table"] == {"path": str(trials), "sha256": hashlib.sha256(trials.read_bytes()).hexdigest()}
    assert m["policies"]["trials"] == str(trials)


def test_sigma_px_by_stimulus_size_is_the_full_float(study, tmp_path, capsys):  # noqa: F811
    rc, _, err = _ingest(capsys, study, tmp_path / "o", "--geometry", study / "screen.json", "--sigma-deg", "1")
    assert rc == 0, err
    sig = _manifest(tmp_path / "o")["sigma"]["px_by_stimulus_size"]
    # 160x120 stimuli fit on 1920x1080 by min(1920/160, 1080/120) = 9: 1 deg is ppd_x / 9, ppd_y / 9 stimulus px
    assert set(sig) == {"160x120"}
    sx, sy = sig["160x120"]
    assert math.isclose(sx, PPD_X / 9, rel_tol=1e-14) and math.isclose(sy, PPD_Y / 9, rel_tol=1e-14), (sx, sy)
    assert round(sx, 6) != sx and round(sy, 6) != sy  # more than 6 decimals kept

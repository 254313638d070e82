"""A 5 kHz recording, the top of the accepted sampling rates, is read (review 27, the synthetic study).

Oracle: the study's own rate. `saliency synth --rate 5000` (its help: 10 to 5000 Hz, the range ingest and detect
accept) wrote samples 0.2 ms apart; their median interval in float ms is 0.1999999999998 ms, 5000.0000000045 Hz,
and ingest refused it as 'outside 10 Hz..5 kHz: the time stamps' unit is likely wrong'.
"""
import json

from cli_fakes import run_cli


def test_a_5000_hz_study_is_ingested_and_detected(tmp_path, capsys):
    s = tmp_path / "S"
    rc, out, err = run_cli(capsys, ["synth", "--out", s, "--scenes", "3", "--subjects", "2", "--seed", "3",
                                    "--rate", "5000", "--quiet"])
    assert rc == 0, err
    rc, out, err = run_cli(capsys, ["ingest", s / "logs" / "samples.csv", "--stimuli", s / "stimuli", "--geometry",
                                    s / "screen.json", "--detector", "idt", "--out", tmp_path / "X", "--quiet",
                                    "--no-ioc"])
    assert rc == 0, err
    (inp,) = json.loads((tmp_path / "X" / "dataset.json").read_text())["inputs"]
    assert inp["rows"]["read"] > 0
    rc, out, err = run_cli(capsys, ["detect", s / "logs" / "samples.csv", "--geometry", s / "screen.json",
                                    "--detector", "idt", "--out", tmp_path / "D", "--quiet"])
    assert rc == 0, err


def test_rates_just_outside_the_range_are_still_refused():
    from saliency.data_tools.ingest import in_rate_range

    assert in_rate_range(5000.0000000045) and in_rate_range(10.0) and in_rate_range(9.99999999)
    assert not in_rate_range(5001.0) and not in_rate_range(9.99)

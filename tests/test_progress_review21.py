"""Plain progress lines where the size of the work is unknown, and synth's log-writing step (progress review).

Found by the progress review of this stop: reading a log counted 500,000-row chunks with no total, and a
plain line came only every 100 chunks, so ``saliency ingest`` of 10.2 M rows printed nothing to its log for
130 s (``detect`` 273 s); ``synth`` printed nothing while it wrote its two sample-level exports (82 of 103 s
at 5.1 M samples). Oracle: a fake clock, hand-counted lines.
"""

from __future__ import annotations

import io

from saliency.base import progress as P


def test_unknown_size_prints_a_line_every_interval(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(P.time, "monotonic", lambda: now[0])
    out = io.StringIO()
    bar = P.PlainProgress(desc="read big.csv", unit=" rows", stream=out)
    for _ in range(12):  # a 500,000-row chunk every 4 s: 48 s of reading
        now[0] += 4.0
        bar.update(500_000)
    bar.close()
    lines = out.getvalue().splitlines()
    # lines when 10 s have passed since the last one: at 12 s, 24 s, 36 s, 48 s; then the final count
    assert lines == ["read big.csv: 1500000 rows (12.0 s)", "read big.csv: 3000000 rows (24.0 s)",
                     "read big.csv: 4500000 rows (36.0 s)", "read big.csv: 6000000 rows (48.0 s)",
                     "read big.csv: 6000000 rows (48.0 s)"]


def test_a_known_total_still_prints_per_tenth(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(P.time, "monotonic", lambda: now[0])
    out = io.StringIO()
    bar = P.PlainProgress(total=20, desc="maps", unit="maps", stream=out)
    for _ in range(20):
        now[0] += 30.0  # slow items do not add lines: the tenths decide
        bar.update(1)
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and lines[0] == "maps: 2/20 maps (60.0 s)" and lines[-1] == "maps: 20/20 maps (600.0 s)"


def test_synth_says_when_it_writes_the_sample_exports(tmp_path, capsys):
    from saliency.cli import main

    assert main(["synth", "--out", str(tmp_path / "s"), "--scenes", "2", "--subjects", "2", "--size", "160x120"]) == 0
    err = capsys.readouterr().err.splitlines()
    # 2 subjects x 2 scenes x 3 s at 500 Hz = 6,000 samples, each written to samples.csv and tobii.tsv
    assert "synth logs: writing logs/samples.csv and logs/tobii.tsv (6,000 rows each)" in err
    assert err[-1].startswith("synth logs: 5/5 step (")

"""Tobii Studio 3.x Data Export: sample times come from ``EyeTrackerTimestamp`` (µs), not ``RecordingTimestamp``.

Studio writes ``RecordingTimestamp`` in whole milliseconds: at 1200 Hz (a period of 0.8333 ms) one sample in six
shared its stamp with the one before and was merged (``duplicate_times``), and durations came out whole ms. The
same export carries ``EyeTrackerTimestamp``, the tracker's clock in µs. Times are now that clock, in ms, anchored so
that each recording's first row with both stamps is at its ``RecordingTimestamp`` (ms from the recording start).
Without the column the reader falls back to ``RecordingTimestamp``.

Every file is written here in Studio's layout; the expected values are worked out by hand from the lines written.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from saliency.data_tools.readers import open_log

from cli_fakes import run_cli

HEAD = ["ExportDate", "StudioVersionRec", "ParticipantName", "RecordingName", "RecordingResolution", "MediaName",
        "RecordingTimestamp", "EyeTrackerTimestamp", "StudioEvent", "GazePointIndex", "GazePointX (ADCSpx)",
        "GazePointY (ADCSpx)", "ValidityLeft", "ValidityRight"]


def row(rt, et, x, event="", rec="Rec 01", subject="P01"):
    gx, gy, v = ("", "", "") if event else (x, 540, 0)
    return ["1/1/2020", "3.4.8", subject, rec, "1920 x 1080", "img.jpg", rt, et, event, "", gx, gy, v, v]


def write(path, rows, head=HEAD):
    keep = [i for i, h in enumerate(HEAD) if h in head]
    path.write_text("\n".join("\t".join(str(r[i]) for i in keep) for r in [HEAD] + rows) + "\n", encoding="utf-8")


def read(path, **kw):
    rd = open_log(path, **kw)
    chunks = list(rd.chunks())
    df = pd.concat([c.df for c in chunks], ignore_index=True)
    q = pd.concat([c.quarantine for c in chunks], ignore_index=True)
    return rd, df, q


def studio_1200(n=288, jump=144):
    """1200 Hz: sample i at i * 2500/3 µs on the tracker's clock (Tobii writes whole µs: rounded), 7 s into it;
    Studio's RecordingTimestamp 10 + floor(i * 5/6) ms (whole ms, the recording started 10 ms before sample 0).
    Gaze still at x 400 for samples 0..143, then at x 800 for 144..287."""
    return [row(10 + i * 5 // 6, 7_000_000 + round(i * 2500 / 3), 400 if i < jump else 800) for i in range(n)]


def test_1200hz_fixations_on_the_tracker_clock(tmp_path, capsys):
    p = tmp_path / "s3_1200.tsv"
    write(p, studio_1200())
    out = tmp_path / "o"
    rc, _, err = run_cli(capsys, ["detect", p, "--screen-px", "1920x1080", "--screen-cm", "53x30",
                                  "--distance-cm", "60", "--detector", "idt", "--out", out])
    assert rc == 0, err
    fx = pd.read_csv(out / "fixations.csv")
    # I-DT: the jump at sample 144 breaks the first fixation; sample i is at 10 + round(i * 2500/3) / 1000 ms:
    # fixation 1 = samples 0..143: onset 10.0, duration round(143 * 2500/3) / 1000 = 119.167 ms;
    # fixation 2 = samples 144..287: onset 10 + 120.000 = 130.0, duration (239167 - 120000) / 1000 = 119.167 ms
    # (on the whole-ms RecordingTimestamp: 119 and 119 ms, and 48 of the 288 samples merged as duplicates)
    assert fx["onset_ms"].tolist() == pytest.approx([10.0, 130.0], abs=1e-6)
    assert fx["duration_ms"].tolist() == pytest.approx([119.167, 119.167], abs=1e-6)
    assert fx["samples"].tolist() == [144, 144]
    summary = json.loads((out / "detection.json").read_text())
    assert summary["counts"]["duplicate_times"] == 0 and summary["counts"]["samples"] == 288


@pytest.mark.parametrize("chunk_rows", [500_000, 2])
def test_times_anchored_per_recording_and_bad_stamps_quarantined(tmp_path, chunk_rows):
    rows = [row(0, "", "", event="ImageStart"),     # 2: an event row (no tracker stamp): counted, not a sample
            row(3, 123_456_000, 100),                # 3: Rec 01's anchor: 3 ms
            row(4, 123_456_833, 101),                # 4: 3 + 0.833
            row(5, "", 102),                         # 5: no tracker stamp: bad_time
            row(5, "12x", 103),                      # 6: not a number: bad_time
            row(5, "inf", 104),                      # 7: non_finite_time
            row(6, 123_459_167, 105),                # 8: 3 + 3.167
            row(0, 900_000_417, 200, rec="Rec 02"),  # 9: Rec 02 starts over: its own anchor, 0 ms
            row(1, 900_001_250, 201, rec="Rec 02")]  # 10: 0 + 0.833
    p = tmp_path / "two recordings.tsv"
    write(p, rows)
    rd, df, q = read(p, chunk_rows=chunk_rows)
    assert df["line"].tolist() == [3, 4, 8, 9, 10]
    assert df["time_ms"].tolist() == pytest.approx([3.0, 3.833, 6.167, 0.0, 0.833], abs=1e-9)
    assert rd.kind == "samples" and rd.notes["time_column"] == "EyeTrackerTimestamp"
    assert df["trial"].tolist() == ["Rec 01"] * 3 + ["Rec 02"] * 2
    assert q.sort_values("line")[["line", "reason"]].values.tolist() == [
        [5, "bad_time"], [6, "bad_time"], [7, "non_finite_time"]]


def test_without_tracker_stamps_recording_timestamp_is_used(tmp_path):
    p = tmp_path / "s3_1200_rt.tsv"
    write(p, studio_1200(n=12), head=[h for h in HEAD if h != "EyeTrackerTimestamp"])
    rd, df, q = read(p)
    # RecordingTimestamp as written, whole ms: 10 + floor(i * 5/6)
    assert rd.notes["time_column"] == "RecordingTimestamp" and len(q) == 0
    assert df["time_ms"].tolist() == [10.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 15.0, 16.0, 17.0, 18.0, 19.0]


def test_studio_fixations_keep_recording_timestamp(tmp_path):
    head = HEAD + ["FixationIndex", "GazeEventType", "GazeEventDuration", "FixationPointX (MCSpx)",
                   "FixationPointY (MCSpx)"]
    lines = ["\t".join(head),
             "\t".join(map(str, row(17, 5_017_000, 400) + [1, "Fixation", 51, 400, 300])),
             "\t".join(map(str, row(18, 5_017_833, 400) + [1, "Fixation", 51, 400, 300]))]
    p = tmp_path / "fix.tsv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rd, df, _ = read(p, tracker_events=True)
    # Studio's fixation: its first row's RecordingTimestamp, its GazeEventDuration (both whole ms)
    assert rd.notes["time_column"] == "RecordingTimestamp"
    assert df[["t_start_ms", "duration_ms"]].values.tolist() == [[17.0, 51.0]]

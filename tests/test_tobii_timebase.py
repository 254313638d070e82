"""Tobii Studio sample times: ``MicroSecondTimestamp`` (1.x-2.x All-Data export), and a µs column left empty.

- A Studio 1.x-2.x All-Data export carries ``Timestamp`` (whole ms from the recording start) and
  ``MicroSecondTimestamp`` (µs). The reader used ``Timestamp`` only: at 1200 Hz (0.8333 ms apart) one sample in six
  shared its stamp and was merged (``duplicate_times``). Samples now take ``MicroSecondTimestamp``, anchored as the
  3.x ``EyeTrackerTimestamp`` is (the file's first row with both stamps at its ``Timestamp``).
- A 3.x Data Export whose ``EyeTrackerTimestamp`` column is there but empty on every row (a header only) made every
  sample ``bad_time``; the reader now passes over a µs column empty on every sample row of a recording
  (``EyeTrackerTimestamp``, then ``MicroSecondTimestamp``, then ``RecordingTimestamp``), and says so in its notes.
- That choice was made on the first chunk read only, so the times depended on ``chunk_rows`` (memory only): it is
  now made per recording from all of its sample rows, the same at every chunk size.
- A row that stops before its µs field (Studio leaves trailing empty fields off) was ``malformed_row``: it reads
  that stamp blank.

Every file is written in Studio's layout (tab-separated, the export's column names; 1.x-2.x: the ``Data
properties:`` block, lines ending with a tab). Expected values are worked out by hand from the stamps written.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from saliency.data_tools.readers import open_log

from cli_fakes import run_cli

# ---------------------------------------------------------------- Studio 1.x-2.x All-Data export

BLOCK = ("Data properties:\n\nRecording date: 3/21/2011\nRecording time: 13:32:49:000 (corresponds to time 0)\n"
         "Study: Pilot6\nSubject: P08\nRecording: Rec 07\nScreen resolution: 1920 x 1080\nCoordinate unit: Pixels\n\n\n"
         "Filter settings:\n\nEye: Average\nValidity: Normal\nFixation filter: Tobii fixation filter\n"
         "Fixation radius: 35\n\n")
ALL_DATA = (
    "Timestamp DateTimeStamp DateTimeStampStartOffset Number GazePointXLeft GazePointYLeft CamXLeft CamYLeft "
    "DistanceLeft PupilLeft ValidityLeft GazePointXRight GazePointYRight CamXRight CamYRight DistanceRight "
    "PupilRight ValidityRight FixationIndex GazePointX GazePointY Event EventKey Data1 Data2 Descriptor "
    "StimuliName StimuliID MediaWidth MediaHeight MediaPosX MediaPosY MappedFixationPointX MappedFixationPointY "
    "FixationDuration AoiIds AoiNames WebGroupImage MappedGazeDataPointX MappedGazeDataPointY MicroSecondTimestamp "
    "AbsoluteMicroSecondTimestamp").split()


def all_data_row(ts, us, x, event=""):
    cells = dict.fromkeys(ALL_DATA, "")
    cells.update(Timestamp=ts, StimuliName="img.jpg", StimuliID=1, MicroSecondTimestamp=us)
    if event:
        cells.update(Event=event)
    else:
        for k in ("GazePointXLeft", "GazePointXRight", "GazePointX"):
            cells[k] = x
        for k in ("GazePointYLeft", "GazePointYRight", "GazePointY"):
            cells[k] = 540
        cells.update(ValidityLeft=0, ValidityRight=0)
    return [cells[c] for c in ALL_DATA]


def write_all_data(path, rows):
    lines = [ALL_DATA] + rows
    path.write_text(BLOCK + "".join("\t".join(map(str, r)) + "\t\n" for r in lines), encoding="utf-8")


def all_data_1200(n=288, jump=144, us=True):
    """1200 Hz: sample i at 10_000 + round(i * 2500/3) µs (whole µs), Timestamp 10 + floor(i * 5/6) (whole ms);
    gaze still at x 400 for samples 0..143, then at x 800."""
    return [all_data_row(10 + i * 5 // 6, 10_000 + round(i * 2500 / 3) if us else "", 400 if i < jump else 800)
            for i in range(n)]


def read(path, **kw):
    rd = open_log(path, **kw)
    chunks = list(rd.chunks())
    df = pd.concat([c.df for c in chunks], ignore_index=True)
    q = pd.concat([c.quarantine for c in chunks], ignore_index=True)
    return rd, df, q


def detect(capsys, tmp_path, p):
    out = tmp_path / "o"
    rc, _, err = run_cli(capsys, ["detect", p, "--screen-px", "1920x1080", "--screen-cm", "53x30",
                                  "--distance-cm", "60", "--detector", "idt", "--out", out])
    assert rc == 0, err
    return pd.read_csv(out / "fixations.csv"), json.loads((out / "detection.json").read_text())


def test_all_data_1200hz_samples_on_microsecond_timestamp(tmp_path, capsys):
    p = tmp_path / "P08-All-Data.tsv"
    write_all_data(p, all_data_1200())
    fx, summary = detect(capsys, tmp_path, p)
    # sample i at 10 + round(i * 2500/3) / 1000 ms: fixation 1 = samples 0..143, onset 10.0, duration
    # 119167 / 1000 = 119.167 ms; fixation 2 = samples 144..287, onset 10 + 120000 / 1000 = 130.0, duration
    # (239167 - 120000) / 1000 = 119.167 ms. On the whole-ms Timestamp: 119 and 119 ms, 48 samples merged.
    assert fx["onset_ms"].tolist() == pytest.approx([10.0, 130.0], abs=1e-6)
    assert fx["duration_ms"].tolist() == pytest.approx([119.167, 119.167], abs=1e-6)
    assert fx["samples"].tolist() == [144, 144]
    assert summary["counts"]["duplicate_times"] == 0 and summary["counts"]["samples"] == 288


@pytest.mark.parametrize("chunk_rows", [500_000, 1, 2])
def test_all_data_anchor_is_the_first_row_with_both_stamps(tmp_path, chunk_rows):
    rows = [all_data_row(0, "", "", event="ImageStart"),  # line 20: an event row, no µs stamp: counted
            all_data_row(7, 7_250, 100),                  # 21: the anchor, 7 ms
            all_data_row(8, 8_083, 101),                  # 22: 7 + 0.833
            all_data_row(8, 8_917, 102),                  # 23: 7 + 1.667 (Timestamp 8 as the row before)
            all_data_row(9, "", 103),                     # 24: a sample without its µs stamp: bad_time
            all_data_row(10, 10_583, 104)]                # 25: 7 + 3.333
    p = tmp_path / "anchor.tsv"
    write_all_data(p, rows)
    rd, df, q = read(p, chunk_rows=chunk_rows)
    assert rd.kind == "samples" and rd.notes["time_column"] == "MicroSecondTimestamp"
    assert "time_column_blank" not in rd.notes
    assert df["line"].tolist() == [21, 22, 23, 25]
    assert df["time_ms"].tolist() == pytest.approx([7.0, 7.833, 8.667, 10.333], abs=1e-9)
    assert q[["line", "reason"]].values.tolist() == [[24, "bad_time"]]


def test_all_data_with_an_empty_microsecond_column_keeps_timestamp(tmp_path):
    p = tmp_path / "header only.tsv"
    write_all_data(p, all_data_1200(n=12, us=False))
    rd, df, q = read(p)
    # Timestamp as written, whole ms: 10 + floor(i * 5/6); the empty column is said, no row is lost
    assert df["time_ms"].tolist() == [10.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 15.0, 16.0, 17.0, 18.0, 19.0]
    assert len(q) == 0 and rd.notes["time_column"] == "Timestamp"
    assert rd.notes["time_column_blank"] == ("column 'MicroSecondTimestamp' blank on every sample row (lines "
                                             "20-31): sample times from 'Timestamp'")


CUT = ALL_DATA.index("StimuliID") + 1  # Studio leaves trailing empty fields off: the row stops after StimuliID


@pytest.mark.parametrize("chunk_rows", [500_000, 1])
def test_a_row_stopping_before_an_unused_microsecond_field_is_kept(tmp_path, chunk_rows):
    rows = all_data_1200(n=6, us=False)
    rows[2] = rows[2][:CUT]  # line 22: no MicroSecondTimestamp field at all; the column is blank anyway
    p = tmp_path / "short row.tsv"
    write_all_data(p, rows)
    rd, df, q = read(p, chunk_rows=chunk_rows)
    # was quarantined malformed_row: the reader asked for every field up to MicroSecondTimestamp
    assert len(q) == 0 and df["line"].tolist() == [20, 21, 22, 23, 24, 25]
    assert df["time_ms"].tolist() == [10.0, 10.0, 11.0, 12.0, 13.0, 14.0]  # Timestamp as written
    assert rd.notes["time_column"] == "Timestamp"


def test_a_row_stopping_before_the_microsecond_field_in_use_is_bad_time(tmp_path):
    rows = all_data_1200(n=6)
    rows[2] = rows[2][:CUT]  # line 22: its µs stamp left off: a sample without a time, as an empty cell
    rows[4] = rows[4][:ALL_DATA.index("GazePointY")]  # line 24: stops before a column read for the gaze: cut short
    p = tmp_path / "short rows.tsv"
    write_all_data(p, rows)
    rd, df, q = read(p)
    assert rd.notes["time_column"] == "MicroSecondTimestamp"
    assert q[["line", "reason"]].values.tolist() == [[22, "bad_time"], [24, "malformed_row"]]
    # 10 + (10_000 + round(i * 2500/3) - 10_000) / 1000 for i = 0, 1, 3, 5
    assert df["time_ms"].tolist() == pytest.approx([10.0, 10.833, 12.5, 14.167], abs=1e-9)


def test_detect_keeps_a_short_row_of_a_studio_export(tmp_path, capsys):
    rows = all_data_1200(n=6, us=False)
    rows[2] = rows[2][:CUT]
    p = tmp_path / "P08-All-Data.tsv"
    write_all_data(p, rows)
    _, summary = detect(capsys, tmp_path, p)
    assert summary["counts"]["samples"] == 6


# ---------------------------------------------------------------- Studio 3.x Data Export

HEAD = ["ExportDate", "StudioVersionRec", "ParticipantName", "RecordingName", "RecordingResolution", "MediaName",
        "RecordingTimestamp", "EyeTrackerTimestamp", "MicroSecondTimestamp", "StudioEvent", "GazePointIndex",
        "GazePointX (ADCSpx)", "GazePointY (ADCSpx)", "ValidityLeft", "ValidityRight"]


def row(rt, et, us, x, event="", rec="Rec 01"):
    gx, gy, v = ("", "", "") if event else (x, 540, 0)
    return ["1/1/2020", "3.4.8", "P01", rec, "1920 x 1080", "img.jpg", rt, et, us, event, "", gx, gy, v, v]


def write(path, rows, head=HEAD):
    keep = [i for i, h in enumerate(HEAD) if h in head]
    path.write_text("\n".join("\t".join(str(r[i]) for i in keep) for r in [HEAD] + rows) + "\n", encoding="utf-8")


def export_1200(n=288, jump=144, et=True, us=True):
    """1200 Hz: RecordingTimestamp 10 + floor(i * 5/6) (whole ms); the tracker's clock 7_000_000 + round(i *
    2500/3) µs, MicroSecondTimestamp 10_000 + round(i * 2500/3) µs, each written or left empty."""
    return [row(10 + i * 5 // 6, 7_000_000 + round(i * 2500 / 3) if et else "",
                10_000 + round(i * 2500 / 3) if us else "", 400 if i < jump else 800) for i in range(n)]


def test_an_empty_eye_tracker_column_falls_back_to_recording_timestamp(tmp_path):
    p = tmp_path / "et empty.tsv"
    write(p, export_1200(n=12, et=False), head=[h for h in HEAD if h != "MicroSecondTimestamp"])
    rd, df, q = read(p)
    # every row was bad_time; now RecordingTimestamp as written (whole ms): 10 + floor(i * 5/6)
    assert len(q) == 0
    assert df["time_ms"].tolist() == [10.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 15.0, 16.0, 17.0, 18.0, 19.0]
    assert rd.notes["time_column"] == "RecordingTimestamp"
    assert rd.notes["time_column_blank"] == ("recording 'P01/Rec 01': column 'EyeTrackerTimestamp' blank on every "
                                             "sample row (lines 2-13): sample times from 'RecordingTimestamp'")


def test_an_empty_eye_tracker_column_falls_back_to_microsecond_timestamp(tmp_path, capsys):
    p = tmp_path / "et empty us.tsv"
    write(p, export_1200(et=False))
    rd, df, q = read(p)
    assert len(q) == 0 and rd.notes["time_column"] == "MicroSecondTimestamp"
    assert rd.notes["time_column_blank"] == ("recording 'P01/Rec 01': column 'EyeTrackerTimestamp' blank on every "
                                             "sample row (lines 2-289): sample times from 'MicroSecondTimestamp'")
    # sample i at 10 + round(i * 2500/3) / 1000 ms: spaced 1/1200 s within a microsecond, no two alike
    assert df["time_ms"].diff().dropna().to_numpy() == pytest.approx(1000 / 1200, abs=1.001e-3)
    assert df["time_ms"].iloc[[0, 1, 6, 287]].tolist() == pytest.approx([10.0, 10.833, 15.0, 249.167], abs=1e-9)
    fx, summary = detect(capsys, tmp_path, p)
    assert fx["onset_ms"].tolist() == pytest.approx([10.0, 130.0], abs=1e-6)
    assert fx["duration_ms"].tolist() == pytest.approx([119.167, 119.167], abs=1e-6)
    assert summary["counts"]["duplicate_times"] == 0 and summary["counts"]["samples"] == 288


def test_both_microsecond_columns_empty_fall_back_to_recording_timestamp(tmp_path):
    p = tmp_path / "both empty.tsv"
    write(p, export_1200(n=3, et=False, us=False))
    rd, df, q = read(p)
    assert len(q) == 0 and df["time_ms"].tolist() == [10.0, 10.0, 11.0]
    assert rd.notes["time_column"] == "RecordingTimestamp"
    assert rd.notes["time_column_blank"] == (
        "recording 'P01/Rec 01': columns 'EyeTrackerTimestamp' and 'MicroSecondTimestamp' blank on every sample row "
        "(lines 2-4): sample times from 'RecordingTimestamp'")


@pytest.mark.parametrize("chunk_rows", [500_000, 1])
def test_a_column_empty_on_some_rows_keeps_quarantining_them(tmp_path, chunk_rows):
    rows = [row(0, "", "", "", event="ImageStart"),  # 2: an event row (no stamps): counted, does not decide
            row(3, 123_456_000, "", 100),             # 3: the anchor, 3 ms
            row(4, "", "", 101),                      # 4: no tracker stamp: bad_time, as before
            row(4, 123_456_833, "", 102)]             # 5: 3 + 0.833
    p = tmp_path / "some empty.tsv"
    write(p, rows)
    rd, df, q = read(p, chunk_rows=chunk_rows)
    assert rd.notes["time_column"] == "EyeTrackerTimestamp" and "time_column_blank" not in rd.notes
    assert df["line"].tolist() == [3, 5]
    assert df["time_ms"].tolist() == pytest.approx([3.0, 3.833], abs=1e-9)
    assert q[["line", "reason"]].values.tolist() == [[4, "bad_time"]]


# ---------------------------------------------------------------- the time column, whatever the chunks

CHUNKS = [1, 7, 500_000]


@pytest.mark.parametrize("chunk_rows", CHUNKS)
def test_all_data_whose_first_sample_lacks_its_microsecond_stamp(tmp_path, chunk_rows):
    rows = all_data_1200(n=24)
    rows[0][ALL_DATA.index("MicroSecondTimestamp")] = ""  # line 20
    p = tmp_path / "first us blank.tsv"
    write_all_data(p, rows)
    rd, df, q = read(p, chunk_rows=chunk_rows)
    # chunk_rows 1 read the whole-ms Timestamp (line 20 alone decided); now the column filled on the file's samples
    assert rd.notes["time_column"] == "MicroSecondTimestamp" and "time_column_blank" not in rd.notes
    assert q[["line", "reason"]].values.tolist() == [[20, "bad_time"]]
    # anchor: line 21 (i = 1), Timestamp 10, µs 10_833; sample i at 10 + (round(i * 2500/3) - 833) / 1000
    assert df["line"].tolist() == list(range(21, 44))
    assert df["time_ms"].tolist() == pytest.approx([10 + (round(i * 2500 / 3) - 833) / 1000 for i in range(1, 24)],
                                                   abs=1e-9)


def two_recordings():
    """Rec A: no µs stamp on any row (lines 2-7); Rec B: the tracker's clock 5 s + round(i * 2500/3) µs."""
    a = [row(100 + i * 5 // 6, "", "", 400, rec="Rec A") for i in range(6)]
    b = [row(100 + i * 5 // 6, 5_000_000 + round(i * 2500 / 3), "", 400, rec="Rec B") for i in range(6)]
    return a, b


A_MS = [100.0, 100.0, 101.0, 102.0, 103.0, 104.0]  # RecordingTimestamp as written: 100 + floor(i * 5/6)
B_MS = [100.0, 100.833, 101.667, 102.5, 103.333, 104.167]  # 100 + round(i * 2500/3) / 1000


@pytest.mark.parametrize("chunk_rows", CHUNKS)
@pytest.mark.parametrize("b_first", [False, True])
def test_each_recording_takes_its_own_time_column(tmp_path, chunk_rows, b_first):
    a, b = two_recordings()
    p = tmp_path / "two recordings.tsv"
    write(p, b + a if b_first else a + b)
    rd, df, q = read(p, chunk_rows=chunk_rows)
    # Rec A was quarantined bad_time whole at the default chunk size (the chunk's Rec B rows chose the tracker's
    # clock for the file), or Rec B read on whole ms at chunk_rows 1
    assert len(q) == 0
    got = {t: df.loc[df["trial"] == t, "time_ms"].tolist() for t in ("Rec A", "Rec B")}
    assert got["Rec A"] == A_MS and got["Rec B"] == pytest.approx(B_MS, abs=1e-9)
    assert rd.notes["time_column"] == {"P01/Rec A": "RecordingTimestamp", "P01/Rec B": "EyeTrackerTimestamp"}
    lines = "8-13" if b_first else "2-7"
    assert rd.notes["time_column_blank"] == (
        f"recording 'P01/Rec A': columns 'EyeTrackerTimestamp' and 'MicroSecondTimestamp' blank on every sample row "
        f"(lines {lines}): sample times from 'RecordingTimestamp'")


def test_detect_reads_each_recording_on_its_own_time_column(tmp_path, capsys):
    a, b = two_recordings()
    p = tmp_path / "two recordings.tsv"
    write(p, a + b)
    _, summary = detect(capsys, tmp_path, p)
    assert summary["counts"]["samples"] == 12  # Rec A's 6 rows were bad_time


def _some_empty():
    return [row(0, "", "", "", event="ImageStart"), row(3, 123_456_000, "", 100), row(4, "", "", 101),
            row(4, 123_456_833, "", 102)]


FIXTURES = {  # the files of the tests above: (writer, rows)
    "all_data_1200": (write_all_data, lambda: all_data_1200(n=40, jump=20)),
    "all_data_no_us": (write_all_data, lambda: all_data_1200(n=12, us=False)),
    "export_et_empty": (write, lambda: export_1200(n=40, jump=20, et=False)),
    "export_both_empty": (write, lambda: export_1200(n=12, et=False, us=False)),
    "export_some_empty": (write, _some_empty),
    "two_recordings": (write, lambda: sum(two_recordings(), [])),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_chunk_rows_changes_nothing_but_memory(tmp_path, name):
    writer, rows = FIXTURES[name]
    p = tmp_path / f"{name}.tsv"
    writer(p, rows())
    got = []
    for chunk_rows in CHUNKS:
        rd, df, q = read(p, chunk_rows=chunk_rows)
        got.append((df.to_csv(index=False), q.to_csv(index=False), rd.notes))
    assert got[0] == got[1] == got[2]


# ---------------------------------------------------------------- a recording opened by an event row (review RR16)

def event_first():
    """An event row with both stamps (RecordingTimestamp 3, the tracker's clock 6_997_600 µs), then 4 samples at
    RecordingTimestamp 5 + floor(i * 5/6), the tracker's clock 7_000_000 + round(i * 2500/3) µs."""
    return [row(3, 6_997_600, "", "", event="ImageStart")] + \
        [row(5 + i * 5 // 6, 7_000_000 + round(i * 2500 / 3), "", 400) for i in range(4)]


@pytest.mark.parametrize("chunk_rows", CHUNKS)
def test_an_event_row_with_both_stamps_anchors_its_recording_at_every_chunk_size(tmp_path, chunk_rows):
    p = tmp_path / "event first.tsv"
    write(p, event_first())
    rd, df, q = read(p, chunk_rows=chunk_rows)
    # anchor: the event row (line 2), 3 ms at 6_997_600 µs: sample i at 3 + (2_400 + round(i * 2500/3)) / 1000.
    # chunk_rows 1 anchored on the first sample instead (5.0, 5.833, ...): the event row's chunk had no sample row
    assert len(q) == 0 and df["line"].tolist() == [3, 4, 5, 6]
    assert df["time_ms"].tolist() == pytest.approx([5.4, 6.233, 7.067, 7.9], abs=1e-9)
    assert rd.notes["time_column"] == "EyeTrackerTimestamp" and "time_column_blank" not in rd.notes


@pytest.mark.parametrize("chunk_rows", [7, 500_000])
def test_a_filled_export_is_decided_without_reading_it_ahead(tmp_path, monkeypatch, chunk_rows):
    import saliency.data_tools.readers.tobii_studio as ts
    calls = []

    class Counting(ts._TimeColumns):
        def __init__(self, stamps, fallback, notes, per_recording, frames, *rest):
            def counted():
                calls.append(1)
                return frames()
            super().__init__(stamps, fallback, notes, per_recording, counted, *rest)

    monkeypatch.setattr(ts, "_TimeColumns", Counting)
    p = tmp_path / "filled.tsv"
    # an event row (no stamps) opening each recording, the tracker's clock on every sample row
    rec_b = [r[:3] + ["Rec 02"] + r[4:] for r in export_1200(n=20)]
    write(p, [row(0, "", "", "", event="ImageStart")] + export_1200(n=20)
          + [row(0, "", "", "", event="ImageStart", rec="Rec 02")] + rec_b)
    rd, df, q = read(p, chunk_rows=chunk_rows)
    assert len(df) == 40 and len(q) == 0 and rd.notes["time_column"] == "EyeTrackerTimestamp"
    assert calls == []  # the file was read once: every recording decided from the chunk holding its samples

"""Shared pieces of data_tools: sample chunks, unique pixels, one image-extension list, progress lines."""

from __future__ import annotations

import numpy as np
import pytest

from saliency.data_tools.maps import unique_pixels
from saliency.data_tools.readers import sample_chunk


def test_sample_chunk_quarantines_bad_time_and_non_numeric_keeps_invalid():
    lines = np.array([2, 3, 4, 5, 6])
    subj = np.array(["s"] * 5, dtype=object)
    stim = np.array(["a", "a", "a", "a", ""], dtype=object)
    t = np.array([0.0, np.nan, 4.0, 6.0, 8.0])
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    valid = np.array([True, True, False, False, True])
    bad_time = np.array([False, True, False, False, False])
    non_numeric = np.array([False, False, True, False, False])
    ch = sample_chunk(lines, subj, stim, stim, t, x, y, valid, bad_time, non_numeric)
    assert ch.kind == "samples" and ch.space == "screen"
    assert ch.quarantine["line"].tolist() == [3, 4] and ch.quarantine["reason"].tolist() == ["bad_time", "non_numeric"]
    # line 5 is an invalid sample: kept with NaN coordinates; line 6 has no stimulus: kept for the ingest to judge
    assert ch.df["line"].tolist() == [2, 5, 6] and ch.df["valid"].tolist() == [True, False, True]
    assert ch.rows_read == 5 and ch.balance() == 0
    assert ch.df["x"].tolist()[0] == 1.0 and np.isnan(ch.df["x"].tolist()[1])
    assert list(ch.df.columns) == ["subject", "stimulus", "trial", "time_ms", "x", "y", "valid", "line"]


def test_unique_pixels_hand_worked():
    r, c = unique_pixels([1, 0, 1, 2], [2, 3, 2, 0], 4)
    assert r.tolist() == [0, 1, 2] and c.tolist() == [3, 2, 0]
    r, c = unique_pixels([], [], 4)
    assert r.size == 0 and c.size == 0


def test_stimuli_use_the_one_image_extension_list(tmp_path):
    import cv2

    from saliency.base import images
    from saliency.data_tools import stimuli

    assert stimuli.IMAGE_EXTS is images.IMAGE_EXTS
    cv2.imwrite(str(tmp_path / "scan.ppm"), np.zeros((6, 8, 3), np.uint8))
    (tmp_path / "notes.txt").write_text("x")
    index = stimuli.StimulusIndex(tmp_path)
    assert index.resolve("scan") == "scan" and index.size("scan") == (8, 6) and index.resolve("notes") is None


@pytest.mark.parametrize("enabled", [True, False])
def test_synth_progress_is_plain_lines_off_a_terminal(tmp_path, capsys, enabled):
    from saliency.data_tools.synth import SynthConfig, generate

    generate(tmp_path, SynthConfig(scenes=2, subjects=1, width=64, height=48, seed=1), workers=1, progress=enabled)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.strip().splitlines()
    assert (any(x.startswith("synth scenes: 2/2 scene") for x in lines)
            and lines[-1].startswith("synth logs: 4/4 step") if enabled else err == "")


def test_ingest_progress_lines_for_reading_and_maps(tmp_path, capsys):
    import cv2
    import pandas as pd

    from saliency.data_tools.ingest import IngestOptions, ingest

    stim = tmp_path / "stim"
    stim.mkdir()
    cv2.imwrite(str(stim / "img1.png"), np.full((24, 32, 3), 128, np.uint8))
    log = tmp_path / "fix.csv"
    pd.DataFrame({"stimulus": ["img1"] * 2, "x": [3, 9], "y": [4, 5], "duration_ms": [200, 300]}).to_csv(log, index=False)
    ingest([log], stim, tmp_path / "d", IngestOptions(sigma_px=2.0, progress=True, ioc=False))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("read fix.csv: 2 rows (") and lines[1].startswith("maps: 1/1 maps (")
    ingest([log], stim, tmp_path / "e", IngestOptions(sigma_px=2.0, progress=False, ioc=False))
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("ends", [[b"\r\r\n"] * 4, [b"\r\n", b"\r", b"\r\n", b"\r\n"], [b"\r"] * 4])
def test_csv_rows_carry_the_line_numbers_of_universal_newlines(tmp_path, monkeypatch, ends):
    """``\\r\\r\\n`` (a CRLF file saved again in Windows text mode) put rows on lines 4, 7, 10, and a lone ``\\r``
    in a CRLF file folded the next row into a malformed one (a row off the books). Oracle: Python's text
    mode (universal newlines) and ``count_data_lines``; a 7-byte read block cuts ``\\r\\n`` pairs apart."""
    from saliency.data_tools.readers import base, chunks

    rows = [b"t,x", b"1,10", b"2,abc", b"3,30"]
    data = b"".join(r + e for r, e in zip(rows, ends))
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    with open(p, newline=None) as fh:  # universal newlines
        text = fh.read().split("\n")
    want = [k + 1 for k, ln in enumerate(text) if ln in ("1,10", "2,abc", "3,30")]
    monkeypatch.setattr(chunks, "_BLOCK", 7)
    got = [(df["x"].tolist(), lines.tolist(), bad.tolist()) for df, lines, bad in chunks.csv_chunks(p, ",", ["x"])]
    assert [x for g in got for x in g[0]] == ["10", "abc", "30"]
    assert [n for g in got for n in g[1]] == want and not [n for g in got for n in g[2]]
    assert base.count_data_lines(p, sep=",") == 3

"""Damaged rows and files, review 27 (F15).

- BeGaze: a ``Fixation`` row with fewer fields than its table's column line
  (cut inside ``Location Y``: ``52`` of ``521.06``) is ``malformed_row``, not
  kept padded with empty fields; and a file whose last line has no line end
  (BeGaze ends every line: a file cut while it was written) has that line
  ``malformed_row`` whatever it holds, in event and sample exports alike;
  the books balance (read = kept + quarantined + counted).
- An empty (0-byte) log is refused as ``<path>: the file is empty``, by
  ``saliency ingest`` and ``saliency detect``, ``format`` auto or given.
- A MATLAB file cut short (its ``MATLAB 5.0 MAT-file`` header, then bytes
  scipy cannot read) is refused as ``<path>: a MATLAB file cut short or
  damaged (<scipy's reason>); copy it again``, ``format`` auto or given.

All inputs are written here; the oracles are hand-worked rows, reasons and
exact messages.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from cli_fakes import refusal, run_cli
from PIL import Image

from saliency.base.errors import UserError
from saliency.base.fsutil import read_json
from saliency.data_tools.readers import account_rows, open_log
from saliency.data_tools.readers import REGISTRY, figrim, mit1003, osie

GEOM = ["--screen-px", "800x600", "--screen-cm", "53x30", "--distance-cm", "60"]

EVENTS = ("[BeGaze]\nSubject:\tP07\nCalibration Area:\t800\t600\n\n"
          "Table Header for Fixations:\n"
          "Event Type\tTrial\tNumber\tStart\tEnd\tDuration\tLocation X\tLocation Y\tDispersion X\tDispersion Y\t"
          "Plane\tAvg. Pupil Size X\tAvg. Pupil Size Y\n\n"
          "Table Header for User Events:\nEvent Type\tTrial\tNumber\tStart\tDescription\n\n"
          "UserEvent\t1\t1\t1000000\t# Message: img1.jpg\n"  # line 11
          "Fixation L\t1\t1\t1000000\t1300000\t300000\t400.00\t300.00\t22\t69\t-1\t17.16\t17.16\n"  # line 12
          "Fixation L\t1\t2\t1400000\t1700000\t300000\t410.00\t520.00\t22\t69\t-1\t17.16\t17.16\n")  # line 13
LAST = "Fixation L\t1\t3\t1800000\t2100000\t300000\t100.00\t521.06\t22\t69\t-1\t17.16\t17.16"  # line 14


def _read(p, **kw):
    rd = open_log(p, **kw)
    chunks = list(rd.chunks())
    df = pd.concat([c.df for c in chunks], ignore_index=True)
    q = pd.concat([c.quarantine for c in chunks], ignore_index=True)
    assert sum(c.balance() for c in chunks) == 0  # read = kept + quarantined + counted
    return df, q, sum(c.rows_read for c in chunks)


def test_begaze_whole_event_file_keeps_its_three_fixations(tmp_path):
    p = tmp_path / "ev.txt"
    p.write_text(EVENTS + LAST + "\n", encoding="utf-8")
    df, q, read = _read(p, tracker_events=True)
    assert df["y"].tolist() == [300.0, 520.0, 521.06] and len(q) == 0 and read == 4


@pytest.mark.parametrize("cut", ["100.00\t52", "100.00\t8", "100.00\t521.0", "100.00\t521.06\t22\t69\t-1\t17.16\t17.1",
                                 "100.00\t521.06\t22\t69\t-1\t17.16\t17.16\t", "1"])
def test_begaze_event_file_cut_inside_its_last_fixation_quarantines_it(tmp_path, cut):
    """No line end after line 14: cut short, whatever it holds (even every field, the last one cut)."""
    p = tmp_path / "ev.txt"
    head = LAST[:LAST.index("100.00")]
    p.write_text(EVENTS + head + cut if cut != "1" else EVENTS + "Fixation L\t1", encoding="utf-8")
    df, q, read = _read(p, tracker_events=True)
    assert df["y"].tolist() == [300.0, 520.0] and df["line"].tolist() == [12, 13]
    assert q[["line", "reason"]].values.tolist() == [[14, "malformed_row"]]
    assert read == 4  # the user event counted, two kept, one quarantined
    books = account_rows(open_log(p, tracker_events=True))  # the books as the ingest keeps them
    assert books.balanced and (books.read, books.kept, books.quarantined) == (4, 2, {"malformed_row": 1})


def test_begaze_short_fixation_row_with_its_line_end_is_malformed(tmp_path):
    """A Fixation row of 8 fields under a 13-column line (cut, then the next row written): not padded and kept."""
    p = tmp_path / "ev.txt"
    p.write_text(EVENTS + "Fixation L\t1\t3\t1800000\t2100000\t300000\t100.00\t52\n"
                 "Fixation R\t1\t4\t2200000\t2500000\t300000\t200.00\t250.00\t22\t69\t-1\t17.16\t17.16\n",
                 encoding="utf-8")
    df, q, read = _read(p, tracker_events=True)
    assert df["y"].tolist() == [300.0, 520.0, 250.0] and df["line"].tolist() == [12, 13, 15]
    assert q[["line", "reason"]].values.tolist() == [[14, "malformed_row"]]
    assert read == 5


SAMPLES = ("## [BeGaze]\n## Sample Rate:\t500\n## Subject:\tP07\n## Calibration Area:\t800\t600\n##\n"
           "Time\tType\tTrial\tL POR X [px]\tL POR Y [px]\tR POR X [px]\tR POR Y [px]\tL Event Info\tR Event Info\t"
           "Stimulus\n"
           "10000000000\tMSG\t1\t# Message: img1.jpg\n"  # line 7
           "10000002000\tSMP\t1\t300.0\t300.0\t300.0\t300.0\tFixation\tFixation\timg1.jpg\n"  # line 8
           "10000004000\tSMP\t1\t310.0\t300.0\t310.0\t300.0\tFixation\tFixation\timg1.jpg\n")  # line 9
SMP = "10000006000\tSMP\t1\t320.0\t300.0\t320.0\t300.0\tBlink\tBlink\timg1.jpg"  # line 10


@pytest.mark.parametrize("cut", [len(SMP) - 2, SMP.index("Blink\tBlink") + 2, SMP.index("\tBlink\t") + 8,
                                 SMP.index("320.0") + 2, 3])
def test_begaze_sample_file_cut_inside_its_last_line_quarantines_it(tmp_path, cut):
    """'Blink' cut to 'Bl' read a valid sample; 'img1.jp' a stimulus of its own; '32' of 320.0 an x of 32."""
    p = tmp_path / "s.txt"
    p.write_text(SAMPLES + SMP[:cut], encoding="utf-8")
    df, q, read = _read(p)
    assert df["line"].tolist() == [8, 9] and df["x"].tolist() == [300.0, 310.0]
    assert q[["line", "reason"]].values.tolist() == [[10, "malformed_row"]]
    assert read == 4  # the message counted


def test_begaze_sample_file_whole_keeps_its_blink_as_invalid(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text(SAMPLES + SMP + "\n", encoding="utf-8")
    df, q, read = _read(p)
    assert df["line"].tolist() == [8, 9, 10] and df["valid"].tolist() == [True, True, False]
    assert len(q) == 0 and read == 4


def test_begaze_cut_event_file_through_the_cli(tmp_path, capsys):
    p = tmp_path / "ev.txt"
    p.write_text(EVENTS + "Fixation L\t1\t3\t1800000\t2100000\t300000\t100.00\t52", encoding="utf-8")
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.full((600, 800), 128, np.uint8)).save(stim / "img1.jpg")
    out = tmp_path / "D"
    rc, _, err = run_cli(capsys, ["ingest", p, "--stimuli", stim, "--out", out, *GEOM[2:], "--sigma-px", "20",
                                  "--detector", "tracker", "--quiet"])
    assert rc == 0, err
    fx = pd.read_csv(out / "fixations.csv")
    assert sorted(fx["y"].round(2).tolist()) == [300.0, 520.0]  # never y = 52
    qc = pd.read_csv(out / "quarantine.csv")
    assert qc[["line", "reason"]].values.tolist() == [[14, "malformed_row"]]
    rows = read_json(out / "dataset.json")["inputs"][0]["rows"]
    assert (rows["read"], rows["kept"], rows["quarantined"], rows["counted"]) == (
        4, 2, {"malformed_row": 1}, {"message_row": 1})


# ---------------------------------------------------------------- empty files

@pytest.mark.parametrize("name", ["empty.csv", "empty.asc", "empty.json", "empty.mat", "empty.txt"])
def test_an_empty_log_is_called_empty_for_every_format(tmp_path, capsys, name):
    p = tmp_path / name
    p.write_bytes(b"")
    for fmt in ("auto", *REGISTRY):
        with pytest.raises(UserError) as e:
            open_log(p, fmt)
        assert str(e.value) == f"{p}: the file is empty", fmt
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.full((600, 800), 128, np.uint8)).save(stim / "img1.jpg")
    for cmd in ("ingest", "detect"):
        for i, given in enumerate(([], ["--format", "samples"], ["--format", "begaze"], ["--format", "osie"])):
            o = tmp_path / f"o_{cmd}_{i}"
            extra = ["--stimuli", stim, "--sigma-px", "20"] if cmd == "ingest" else []
            line = refusal(*run_cli(capsys, [cmd, p, "--out", o, *GEOM, *extra, "--quiet", *given]))
            assert line == f"saliency {cmd}: error: {p}: the file is empty", (cmd, given)
            assert not o.exists()


# ---------------------------------------------------------------- MATLAB files cut short

CUT_MSG = re.compile(r"(?P<p>.+): a MATLAB file cut short or damaged \((?P<why>[A-Za-z]+: .+)\); copy it again")


@pytest.mark.parametrize("mod, name", [(osie, "fixations.mat"), (mit1003, "i05.mat"),
                                       (figrim, "allImages_release.mat")])
def test_a_mat_file_cut_at_any_byte_is_called_cut_short(tmp_path, mod, name):
    src = tmp_path / "whole" / name
    src.parent.mkdir()
    mod.example_file(src, np.random.default_rng(0), 30)
    full = src.read_bytes()
    assert full.startswith(b"MATLAB 5.0 MAT-file") and len(full) > 400
    fmt = mod.__name__.rsplit(".", 1)[1]
    assert len(_read(src)[0]) > 0  # the whole file reads, under auto
    p = tmp_path / name
    for cut in (5, 19, 60, 127, 129, 200, len(full) // 2, len(full) - 1):
        p.write_bytes(full[:cut])
        for f in ("auto", fmt):
            with pytest.raises(UserError) as e:
                list(open_log(p, f).chunks())
            m = CUT_MSG.fullmatch(str(e.value))
            assert m and m["p"] == str(p), (cut, f, str(e.value))


def test_a_mat_file_of_its_header_only_is_not_an_unknown_format(tmp_path):
    src = tmp_path / "whole.mat"
    osie.example_file(src, np.random.default_rng(0), 30)
    p = tmp_path / "fixations.mat"
    p.write_bytes(src.read_bytes()[:128])
    with pytest.raises(UserError) as e:
        open_log(p)
    assert str(e.value) == (f"{p}: a MATLAB file with no variables (cut short after its header, or saved empty); "
                            "copy it again")


def test_a_cut_mat_file_through_the_cli(tmp_path, capsys):
    src = tmp_path / "whole.mat"
    osie.example_file(src, np.random.default_rng(0), 30)
    p = tmp_path / "fixations.mat"
    p.write_bytes(src.read_bytes()[:300])
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.full((600, 800), 128, np.uint8)).save(stim / "1001.jpg")
    for given in ([], ["--format", "osie"]):
        o = tmp_path / f"o{len(given)}"
        line = refusal(*run_cli(capsys, ["ingest", p, "--stimuli", stim, "--out", o, *GEOM, "--sigma-px", "20",
                                         "--quiet", *given]))
        m = CUT_MSG.fullmatch(line.removeprefix("saliency ingest: error: "))
        assert m and m["p"] == str(p), line
        assert not o.exists()


def test_a_mat_file_that_is_no_mat_file_keeps_its_message(tmp_path):
    """Bytes without the MATLAB header under format osie: not called cut short (nothing says it was a MAT file)."""
    p = tmp_path / "fixations.mat"
    p.write_bytes(b"not a matlab file at all, just some text\n" * 10)
    with pytest.raises(UserError) as e:
        list(open_log(p, "osie").chunks())
    assert str(e.value).startswith(f"{p}: cannot read as a MATLAB file (")

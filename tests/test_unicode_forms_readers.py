"""The Tobii Pro Lab and Pupil readers read a ``--columns`` column by the header's own spelling.

A header saved decomposed (NFD: ``pose\\u0301_x``, as macOS writes it) and a name typed composed (NFC:
``posé_x``) are one column (``resolve_columns``); these two readers then read the table by the name as typed,
which the header lacks: Pupil said "Pupil Labs export without column posé_x", Tobii "cannot parse as a
tab-separated table (Usecols do not match columns ...)".

Oracles: positions, subjects, stimuli and confidences written by hand into the tables, and the readers'
documented placement (Tobii DACS px on a screen the stimulus's size: as written; Pupil normalised, origin
bottom-left: x * 640 - 0.5, (1 - y) * 480 - 0.5 at the pixel centres).
"""

from __future__ import annotations

import csv
import unicodedata

import pytest
from PIL import Image

from cli_fakes import run_cli

GEOM = ["--screen-px", "640x480", "--screen-cm", "53x30", "--distance-cm", "65"]


def nfc(s):
    return unicodedata.normalize("NFC", s)


def nfd(s):
    return unicodedata.normalize("NFD", s)


FORMS = pytest.mark.parametrize("header_form,typed_form", [(nfd, nfc), (nfc, nfd)],
                                ids=["nfd-header", "nfd-typed"])


def _stimuli(tmp_path):
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.new("RGB", (640, 480)).save(stim / "img1.png")
    return stim


def _ingest(capsys, tmp_path, log, fmt, columns):
    out = tmp_path / "D"
    rc, _, err = run_cli(capsys, ["ingest", log, "--format", fmt, "--stimuli", _stimuli(tmp_path), *GEOM,
                                  "--out", out, "--quiet", "--columns", columns])
    assert rc == 0, err
    with open(out / "fixations.csv", encoding="utf-8") as fh:
        fixations = list(csv.DictReader(fh))
    with open(out / "quarantine.csv", encoding="utf-8") as fh:
        quarantined = list(csv.DictReader(fh))
    return fixations, quarantined


@FORMS
def test_pupil_reads_mapped_columns_in_the_other_unicode_form(capsys, tmp_path, header_form, typed_form):
    names = {"x": "posé_x", "y": "posé_y", "confidence": "fiabilité", "stimulus": "médium", "subject": "sujét"}
    assert all(header_form(v) != typed_form(v) for v in names.values())
    # (norm x, norm y, confidence): the third is below the 0.6 default and is quarantined as low_confidence
    rows = [(0.25, 0.75, 0.9), (0.5, 0.5, 0.95), (0.75, 0.25, 0.3), (0.125, 0.875, 0.8)]
    log = tmp_path / "fixations.csv"
    head = ",".join(header_form(names[k]) for k in ("x", "y", "confidence", "stimulus", "subject"))
    log.write_text(f"id,start_timestamp,duration,{head}\n" + "".join(
        f"{i},{10 + 0.5 * i},200,{x},{y},{c},img1.png,P7\n" for i, (x, y, c) in enumerate(rows)), encoding="utf-8")
    typed = ",".join(f"{k}={typed_form(v)}" for k, v in names.items())
    fixations, quarantined = _ingest(capsys, tmp_path, log, "pupil", typed)
    assert [(float(r["x"]), float(r["y"])) for r in fixations] == [(159.5, 119.5), (319.5, 239.5), (79.5, 59.5)]
    assert {(r["subject"], r["stimulus"]) for r in fixations} == {("P7", "img1")}
    assert [(int(r["line"]), r["reason"]) for r in quarantined] == [(4, "low_confidence")]


@FORMS
def test_tobii_reads_mapped_columns_in_the_other_unicode_form(capsys, tmp_path, header_form, typed_form):
    names = {"subject": "sujét", "stimulus": "médium", "x": "pointé X", "y": "pointé Y"}
    assert all(header_form(v) != typed_form(v) for v in names.values())
    head = ["Recording timestamp [μs]", "Participant name", "Recording name", "Presented Media name", "Gaze point X",
            "Gaze point Y", "Validity left", "Validity right"] + [header_form(names[k]) for k in names]
    lines = []
    for k in range(60):  # 120 Hz, three still 20-sample (~160 ms) gazes in the mapped columns, none in Pro Lab's
        lines.append("\t".join(map(str, [1_000_000 + 8333 * k, "p1", "rec1", "shown.png", 5 + 9 * k, 5 + 7 * k,
                                         "Valid", "Valid", "P9", "img1.png", 100 + 150 * (k // 20),
                                         120 + 100 * (k // 20)])))
    log = tmp_path / "export.tsv"
    log.write_text("\t".join(head) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    typed = ",".join(f"{k}={typed_form(v)}" for k, v in names.items())
    fixations, _ = _ingest(capsys, tmp_path, log, "tobii", typed)
    assert [(float(r["x"]), float(r["y"])) for r in fixations] == [(100, 120), (250, 220), (400, 320)]
    assert {(r["subject"], r["stimulus"]) for r in fixations} == {("P9", "img1")}

"""``--columns`` names are compared with the header in one Unicode form (NFC).

A header saved decomposed (NFD: ``Dure\\u0301e``, as macOS and some exports write it) and a name typed
composed (NFC: ``Durée``) are the same column; compared as raw strings they were not, and ``saliency ingest
--columns duration_ms=Durée`` was refused with "no such column; the file has ..., Durée". The column is read
by the header's own spelling.

Oracles: the durations written by hand into the table, and the header's own text.
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from cli_fakes import refusal, run_cli
from saliency.data_tools.readers.base import resolve_columns

NFC = unicodedata.normalize("NFC", "Durée")
NFD = unicodedata.normalize("NFD", "Durée")
DURATIONS = [180, 220, 260, 300, 340, 380]
GEOM = ["--screen-px", "640x480", "--screen-cm", "53x30", "--distance-cm", "65"]


def _fixation_table(path: Path, duration_col: str) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(f"subject,stimulus,x,y,t_start_ms,{duration_col}\n")
        for i, d in enumerate(DURATIONS):
            fh.write(f"s1,img1.png,{100 + 40 * i},{120 + 30 * i},{i * 400},{d}\n")
    return path


def _ingest(capsys, tmp_path, header_form, typed_form):
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.new("RGB", (640, 480)).save(stim / "img1.png")
    log = _fixation_table(tmp_path / "fix.csv", header_form)
    out = tmp_path / "D"
    return run_cli(capsys, ["ingest", log, "--stimuli", stim, *GEOM, "--out", out, "--quiet",
                            "--columns", f"duration_ms={typed_form}"]), out


@pytest.mark.parametrize("header_form,typed_form", [(NFD, NFC), (NFC, NFD)], ids=["nfd-header", "nfd-typed"])
def test_ingest_reads_a_mapped_column_in_the_other_unicode_form(capsys, tmp_path, header_form, typed_form):
    assert header_form != typed_form
    (rc, _, err), out = _ingest(capsys, tmp_path, header_form, typed_form)
    assert rc == 0, err
    with open(out / "fixations.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["duration_ms"]) for r in rows] == [float(d) for d in DURATIONS]


def test_a_column_the_header_lacks_is_still_refused(capsys, tmp_path):
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.new("RGB", (640, 480)).save(stim / "img1.png")
    log = _fixation_table(tmp_path / "fix.csv", NFD)
    line = refusal(*run_cli(capsys, ["ingest", log, "--stimuli", stim, *GEOM, "--out", tmp_path / "D", "--quiet",
                                     "--columns", "duration_ms=Durees"]))
    assert line == (f"saliency ingest: error: {log}: --columns duration_ms=Durees: no such column; the file has "
                    f"subject, stimulus, x, y, t_start_ms, {NFD}")
    assert not (tmp_path / "D").exists()


def test_resolve_columns_returns_the_headers_own_spelling():
    header = ["subject", "t_start_ms", NFD, "Zeit [ms]"]
    found = resolve_columns(header, {"duration_ms": NFC, "time": "Zeit [ms]"}, Path("f.csv"))
    assert found["duration_ms"] == (NFD, None)
    assert found["duration_ms"][0] in header
    assert found["time"] == ("Zeit [ms]", "ms")


def test_the_same_text_is_preferred_over_another_form():
    """A header holding both forms (two columns): the name typed picks its own, never the other one."""
    header = [NFC, NFD]
    assert resolve_columns(header, {"duration_ms": NFD}, Path("f.csv"))["duration_ms"][0] == NFD
    assert resolve_columns(header, {"duration_ms": NFC}, Path("f.csv"))["duration_ms"][0] == NFC

"""Encodings review 22: byte-order marks, UTF-16, gzip, control characters in messages.

- a repeat of the column line that carries a UTF-8 byte-order mark (two
  exports, each with its mark, concatenated) is ``malformed_row``, as the
  repeat without the mark is: it no longer splits a Gazepoint fixation in two
  (``tracker_events``), nor is it quarantined ``bad_time`` (Gazepoint and
  Tobii samples);
- a UTF-16 (byte-order mark, LE or BE, or NULs at every other byte), UTF-32
  or gzip-compressed log is refused in one line naming the file and what to
  do, exit 2, by ``saliency ingest`` and ``saliency detect``, ``format`` auto
  or given, for every text format (EyeLink ASC, SALICON JSON included); a
  ``.mat`` file, binary by design, is not taken for one;
- messages that quote a file's column line escape its control characters;
- a JSON input with a UTF-8 byte-order mark (SALICON fixations, a
  ``--geometry`` file saved by Windows Notepad) is read as without it.

All inputs are written here; the oracles are hand-worked lines, reasons,
values and exact messages, and the same file without the mark.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.io import savemat

from saliency.base.errors import UserError
from saliency.base.fsutil import read_json
from saliency.cli import main
from saliency.data_tools.readers import account_rows, open_log
from saliency.data_tools.readers import begaze, eyelink_asc, gazepoint, salicon, samples, tobii
from saliency.data_tools.readers.base import resolve_columns
from saliency.data_tools.readers.chunks import _split_rows
from saliency.data_tools.readers.registry import check_log_path
from saliency.data_tools.readers.vendor import require_columns

BOM = b"\xef\xbb\xbf"
GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53x30", "--distance-cm", "60"]


def _err_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in err), repr(err)  # no raw control character
    return err


def _read(path, **kw):
    """(kept rows, quarantine) of every chunk of ``path``, concatenated."""
    rd = open_log(path, **kw)
    chs = list(rd.chunks())
    return (pd.concat([c.df for c in chs], ignore_index=True),
            pd.concat([c.quarantine for c in chs], ignore_index=True))


# ------------------------------------------------------------------ 1. a repeated column line with a BOM

def test_split_rows_takes_a_bom_repeat_of_the_column_line_as_malformed():
    block = b"1,2\n" + BOM + b"a,b\n3,4\n" + BOM + b"a,b\r\n\"5\",6\n" + BOM + b"\"a\",b\n"
    kept, ok, bad = _split_rows(block, ",", 2, 0, b"a,b\n")
    assert kept == b"1,2\n3,4\n\"5\",6\n" + BOM + b"\"a\",b\n"  # a quoted "a" is another line: kept, as without BOM
    assert ok.tolist() == [0, 2, 4, 5] and bad.tolist() == [1, 3]
    # the header given with its mark (a caller that did not strip it) finds the repeat without one too
    assert _split_rows(b"1,2\na,b\n", ",", 2, 0, BOM + b"a,b\n")[2].tolist() == [1]


def _concat_gazepoint(tmp_path, mark: bytes):
    """Two Gazepoint exports concatenated: the 300-row example cut after 155 rows by its column line."""
    src = tmp_path / "src.csv"
    gazepoint.example_file(src, np.random.default_rng(0), 300)
    lines = src.read_bytes().split(b"\n")
    head, rows = lines[0], lines[1:]
    p = tmp_path / ("bom" if mark else "plain") / "gp.csv"
    p.parent.mkdir(exist_ok=True)
    p.write_bytes(mark + head + b"\n" + b"\n".join(rows[:155]) + b"\n" + mark + head + b"\n" + b"\n".join(rows[155:]))
    return p


@pytest.mark.parametrize("events", [True, False])
def test_gazepoint_bom_repeat_is_one_malformed_row(tmp_path, events):
    plain, marked = _concat_gazepoint(tmp_path, b""), _concat_gazepoint(tmp_path, BOM)
    df0, q0 = _read(plain, tracker_events=events)
    df1, q1 = _read(marked, tracker_events=events)
    # line 1 the column line, lines 2-156 the first 155 rows, line 157 the repeated column line
    assert q1[["line", "reason"]].values.tolist() == [[157, "malformed_row"]]
    assert q0[["line", "reason"]].values.tolist() == [[157, "malformed_row"]]
    books = account_rows(open_log(marked, tracker_events=events))
    assert books.read == 301 and books.balanced and books.quarantined == {"malformed_row": 1}
    if events:  # 300 rows: 10 media of 30 rows, each two fixations (15 samples, 3 saccade samples)
        assert len(df1) == 20
    else:
        assert len(df1) == 300
    pd.testing.assert_frame_equal(df1, df0)  # value by value as the file without the marks


def test_gazepoint_bom_repeat_ingest_tracker_keeps_twenty_fixations(tmp_path, capsys):
    stim = tmp_path / "stim"
    stim.mkdir()
    for k in range(1, 11):
        Image.fromarray(np.full((1080, 1920), 128, np.uint8)).save(stim / f"img{k}.png")
    out = {}
    for mark in (b"", BOM):
        p = _concat_gazepoint(tmp_path, mark)
        o = tmp_path / f"out_{len(mark)}"
        rc = main(["ingest", str(p), "--stimuli", str(stim), "--out", str(o), *GEOM, "--sigma-px", "20",
                   "--quiet", "--detector", "tracker"])
        capsys.readouterr()
        assert rc == 0
        out[mark] = (pd.read_csv(o / "fixations.csv"), pd.read_csv(o / "quarantine.csv"))
    f1, q1 = out[BOM]
    assert len(f1) == 20
    assert q1[["line", "reason"]].values.tolist() == [[157, "malformed_row"]]
    pd.testing.assert_frame_equal(f1.drop(columns="source"), out[b""][0].drop(columns="source"))


def test_tobii_bom_repeat_is_malformed_not_bad_time(tmp_path):
    src = tmp_path / "t.tsv"
    tobii.example_file(src, np.random.default_rng(0), 40)
    lines = src.read_bytes().split(b"\n")
    p = tmp_path / "cat.tsv"
    p.write_bytes(BOM + lines[0] + b"\n" + b"\n".join(lines[1:21]) + b"\n" + BOM + lines[0] + b"\n" +
                  b"\n".join(lines[21:]))
    df, q = _read(p)
    df0, _ = _read(src)
    assert q[["line", "reason"]].values.tolist() == [[22, "malformed_row"]]  # lines 2-21 the first 20 rows
    assert account_rows(open_log(p)).read == 41
    pd.testing.assert_frame_equal(df.drop(columns="line"), df0.drop(columns="line"))
    assert df["line"].tolist() == list(range(2, 22)) + list(range(23, 43))


# ------------------------------------------------------------------ 2 + 3. UTF-16, UTF-32, gzip: one line, exit 2

def _utf8_example(tmp_path, fmt):
    mod, name = {"eyelink-asc": (eyelink_asc, "log.asc"), "tobii": (tobii, "log.tsv"),
                 "begaze": (begaze, "log.txt"), "samples": (samples, "log.csv"),
                 "gazepoint": (gazepoint, "log.csv"), "salicon": (salicon, "log.json")}[fmt]
    p = tmp_path / "utf8" / name
    p.parent.mkdir(exist_ok=True)
    mod.example_file(p, np.random.default_rng(0), 60)
    return p


ENCODINGS = {
    "utf16le_bom": lambda t: ("\ufeff" + t).encode("utf-16-le"),
    "utf16be_bom": lambda t: ("\ufeff" + t).encode("utf-16-be"),
    "utf16le": lambda t: t.encode("utf-16-le"),  # no mark: NULs at every other byte
    "utf16be": lambda t: t.encode("utf-16-be"),
    "utf32": lambda t: ("\ufeff" + t).encode("utf-32-le"),
    "gzip": lambda t: gzip.compress(t.encode("utf-8")),
}


def _expected(p, enc):
    if enc == "gzip":
        return f"{p}: gzip-compressed; decompress it first (gunzip {p})"
    kind = "UTF-32" if enc == "utf32" else "UTF-16"
    return f"{p}: {kind} text; save it as UTF-8 (or Windows-1252) and read it again"


@pytest.mark.parametrize("fmt", ["eyelink-asc", "tobii", "begaze", "samples", "gazepoint", "salicon"])
@pytest.mark.parametrize("enc", list(ENCODINGS))
def test_utf16_and_gzip_are_refused_in_one_line(tmp_path, capsys, fmt, enc):
    src = _utf8_example(tmp_path, fmt)
    p = tmp_path / (src.name + (".gz" if enc == "gzip" else ""))
    p.write_bytes(ENCODINGS[enc](src.read_text("utf-8")))
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.full((108, 192), 128, np.uint8)).save(stim / "img0.png")
    want = _expected(p, enc)
    for cmd in ("ingest", "detect"):
        for given in ([], ["--format", fmt]):
            o = tmp_path / f"out_{cmd}_{len(given)}"
            extra = ["--stimuli", str(stim), "--sigma-px", "20"] if cmd == "ingest" else []
            rc = main([cmd, str(p), "--out", str(o), *GEOM, *extra, "--quiet", *given])
            err = _err_line(capsys)
            assert (rc, err) == (2, f"saliency {cmd}: error: {want}"), (cmd, given)
            assert not o.exists()
    with pytest.raises(UserError) as e:  # the reader API too, events or samples
        open_log(p, fmt=fmt, tracker_events=True)
    assert str(e.value) == want
    with pytest.raises(UserError) as e:
        open_log(p)
    assert str(e.value) == want


def test_tracker_events_of_a_utf16_asc_are_refused_not_no_data_rows(tmp_path, capsys):
    src = tmp_path / "ev_utf8.asc"
    eyelink_asc.example_events_file(src, np.random.default_rng(0), 60)
    p = tmp_path / "ev.asc"
    p.write_bytes(("\ufeff" + src.read_text("utf-8")).encode("utf-16-le"))
    stim = tmp_path / "stim"
    stim.mkdir()
    Image.fromarray(np.full((108, 192), 128, np.uint8)).save(stim / "img0.png")
    rc = main(["ingest", str(p), "--stimuli", str(stim), "--out", str(tmp_path / "o"), *GEOM, "--sigma-px", "20",
               "--quiet", "--detector", "tracker"])
    assert (rc, _err_line(capsys)) == (2, f"saliency ingest: error: {p}: UTF-16 text; save it as UTF-8 (or "
                                          f"Windows-1252) and read it again")


def test_text_in_utf8_or_cp1252_and_mat_files_pass_the_check(tmp_path):
    from saliency.data_tools.readers.base import check_text  # new in review 22

    for data in (b"time,x,y\n1,2,3\n", BOM + b"time,x,y\n", "J\xf6rg,x\n".encode("cp1252"), b"", b"a",
                 "t,x\n\u00e9,1\n".encode("utf-8")):
        check_text(tmp_path / "f.csv", data)  # no error
    # MATLAB v4 (no text header: int32 fields full of NUL bytes) and v5 files are binary by design
    for fmt in ("4", "5"):
        m = tmp_path / f"v{fmt}.mat"
        savemat(m, {"fix": np.array([[1.0, 2.0], [3.0, 4.0]])}, format=fmt)
        check_log_path(m)
        check_text(m)  # not taken for UTF-16 either: NULs at both parities
    # a .mat file is not checked at all, whatever its first bytes
    g = tmp_path / "x.mat"
    g.write_bytes(b"\x1f\x8b" + b"\x00" * 30)
    check_log_path(g)


# ------------------------------------------------------------------ control characters in messages

def test_require_columns_escapes_control_characters(tmp_path):
    p = tmp_path / "x.txt"
    with pytest.raises(UserError) as e:
        require_columns("SMI BeGaze", p, 1, ["\xff\xfe#\x00#\x00", "Ti\x1bme"], {"Time": "µs"})
    assert str(e.value) == (f"{p}: read as a SMI BeGaze export, but its column line 1 lacks 'Time' (µs); "
                            f"the line has: \xff\xfe#\\x00#\\x00, Ti\\x1bme")


def test_resolve_columns_escapes_control_characters(tmp_path):
    p = tmp_path / "x.csv"
    with pytest.raises(UserError) as e:
        resolve_columns(["a\x00", "b\tc"], {"x": "X"}, p)
    assert str(e.value) == f"{p}: columns x=X: no such column; the file has a\\x00, b\\tc"


# ------------------------------------------------------------------ 4. JSON with a UTF-8 BOM

def test_salicon_json_with_bom_reads_as_without(tmp_path):
    src = tmp_path / "plain.json"
    salicon.example_file(src, np.random.default_rng(0), 40)
    p = tmp_path / "bom.json"
    p.write_bytes(BOM + src.read_bytes())
    df1, q1 = _read(p)
    df0, q0 = _read(src)
    d = json.loads(src.read_text("utf-8"))
    pts = [(a["worker_id"], fx) for a in d["annotations"] for fx in a["fixations"]]
    assert len(df1) == len(pts) == 40 and len(q1) == len(q0) == 0
    pd.testing.assert_frame_equal(df1, df0)


def test_geometry_json_with_bom(tmp_path, capsys):
    g = tmp_path / "screen.json"
    g.write_bytes(BOM + b'{"screen_px": [1920, 1080], "screen_cm": [53, 30], "distance_cm": 60}\r\n')
    assert read_json(g) == {"screen_px": [1920, 1080], "screen_cm": [53, 30], "distance_cm": 60}
    src = tmp_path / "log.asc"
    eyelink_asc.example_file(src, np.random.default_rng(0), 60)
    stim = tmp_path / "stim"
    stim.mkdir()
    for k in range(2):
        Image.fromarray(np.full((1080, 1920), 128, np.uint8)).save(stim / f"img{k}.png")
    rc = main(["ingest", str(src), "--stimuli", str(stim), "--out", str(tmp_path / "o"), "--geometry", str(g),
               "--quiet"])
    err = capsys.readouterr().err
    assert rc == 0, err
    geo = json.loads((tmp_path / "o" / "dataset.json").read_text("utf-8"))["geometry"]
    assert (geo["screen_px"], geo["screen_cm"], geo["distance_cm"]) == ([1920, 1080], [53.0, 30.0], 60.0)
    t1 = np.tan(np.radians(1.0))  # ppd = px / cm * distance * tan(1 deg), mean of x and y: 37.9401, 37.7029
    assert geo["ppd"] == pytest.approx((1920 / 53 + 1080 / 30) / 2 * 60 * t1, abs=1e-4)


def test_a_utf16_trials_table_is_refused_in_one_line(tmp_path):
    """The --trials table takes the logs' text check too (it was read as garbage)."""
    import pytest as _pytest

    from saliency.base.errors import UserError
    from saliency.data_tools.stimuli import load_trials

    p = tmp_path / "trials.csv"
    p.write_bytes("subject,trial,stimulus\np1,1,img1\n".encode("utf-16"))
    with _pytest.raises(UserError) as err:
        load_trials(p)
    assert str(err.value) == f"{p}: UTF-16 text; save it as UTF-8 (or Windows-1252) and read it again"

"""`open_log` and `ingest` called from a notebook: `chunk_rows` that is not a whole number >= 1, and one log path
given as a plain str or Path.

Review R6 (t11.py): with 300 fixation rows, ``IngestOptions(chunk_rows=-5)`` read and kept 590 (rows read
twice), ``open_log(..., chunk_rows=-5)`` gave 590 rows, 0 blamed the file ("cannot parse as a ','-separated
table (slice step cannot be zero)") and 2.5 was a bare TypeError. ``ingest("fixlist.csv", ...)`` iterated the
name's characters ("f: no such file") and ``ingest(Path(...))`` was a TypeError.

Oracle: tables the tests write themselves, with a known number of rows and known values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest_fakes import grey_stimuli
from saliency.base.errors import UserError
from saliency.data_tools.ingest import IngestOptions, ingest, open_inputs
from saliency.data_tools.readers import open_log
from saliency.data_tools.readers.base import ReadOptions
from saliency.data_tools.readers.registry import format_module

N = 300
BAD_CHUNK_ROWS = [-5, -1, 0, 2.5, 100.0, True, "7", None]


def _samples(tmp_path: Path) -> Path:
    """300 samples of one trial: time 0, 2, 4, ... ms, x = 100 + row index, y = 400."""
    p = tmp_path / "samples.csv"
    p.write_text("subject,stimulus,time,x,y\n"
                 + "".join(f"s1,img1.png,{2 * i},{100 + i},400\n" for i in range(N)))
    return p


def _fixations(tmp_path: Path) -> Path:
    """300 fixations of 250 ms, each inside a 1920x1080 img1.png (x 100..399, y 200)."""
    p = tmp_path / "fixlist.csv"
    p.write_text("subject,stimulus,x,y,duration\n"
                 + "".join(f"s{i % 3},img1.png,{100 + i},200,250\n" for i in range(N)))
    return p


def _x_read(rd) -> np.ndarray:
    return np.concatenate([ch.df["x"].to_numpy(float) for ch in rd.chunks()])


def _assert_names_chunk_rows(exc: pytest.ExceptionInfo):
    msg = exc.value.args[0]  # as raised: the parameter in backticks (str() shows it bare, the CLI as a flag)
    assert msg.startswith("`chunk_rows`") and "\n" not in msg
    assert "--chunk" not in msg and "cannot parse" not in msg  # the parameter, not a flag or the file


@pytest.mark.parametrize("chunk_rows", [1, 7, 299, 300, 500_000, np.int64(7)])
def test_open_log_reads_each_row_once_at_any_chunk_size(tmp_path, chunk_rows):
    x = _x_read(open_log(_samples(tmp_path), chunk_rows=chunk_rows))
    np.testing.assert_array_equal(x, 100 + np.arange(N))


@pytest.mark.parametrize("chunk_rows", BAD_CHUNK_ROWS)
def test_open_log_refuses_a_chunk_rows_that_is_no_whole_number_from_1(tmp_path, chunk_rows):
    p = _samples(tmp_path)
    with pytest.raises(UserError) as exc:
        _x_read(open_log(p, chunk_rows=chunk_rows))
    _assert_names_chunk_rows(exc)


def test_a_format_read_with_read_options_refuses_a_negative_chunk_rows(tmp_path):
    rd = format_module("samples").read(_samples(tmp_path), ReadOptions(chunk_rows=-5))
    with pytest.raises(UserError) as exc:
        _x_read(rd)  # it read 590 rows
    _assert_names_chunk_rows(exc)


def _opts(**kw) -> IngestOptions:
    return IngestOptions(sigma_px=10.0, sigma_deg=None, ioc=False, **kw)


@pytest.mark.parametrize("chunk_rows", BAD_CHUNK_ROWS)
def test_ingest_refuses_a_bad_chunk_rows_before_writing(tmp_path, chunk_rows):
    log, stim = _fixations(tmp_path), grey_stimuli(tmp_path)
    with pytest.raises(UserError) as exc:
        ingest([log], stim, tmp_path / "ds", _opts(chunk_rows=chunk_rows))
    _assert_names_chunk_rows(exc)
    assert not (tmp_path / "ds").exists()


def test_ingest_at_a_small_chunk_size_keeps_every_fixation_once(tmp_path):
    log, stim = _fixations(tmp_path), grey_stimuli(tmp_path)
    m = ingest([log], stim, tmp_path / "ds", _opts(chunk_rows=7))
    assert (m["inputs"][0]["rows"]["read"], m["inputs"][0]["rows"]["kept"]) == (N, N)


@pytest.mark.parametrize("as_given", [str, Path])
def test_ingest_takes_one_log_path_as_one_input(tmp_path, as_given):
    log, stim = _fixations(tmp_path), grey_stimuli(tmp_path)
    m = ingest(as_given(log), stim, tmp_path / "ds", _opts())
    assert len(m["inputs"]) == 1
    assert (m["inputs"][0]["rows"]["read"], m["inputs"][0]["rows"]["kept"]) == (N, N)


@pytest.mark.parametrize("as_given", [str, Path])
def test_open_inputs_takes_one_log_path_as_one_input(tmp_path, as_given):
    log = _fixations(tmp_path)
    opened = open_inputs(as_given(log), _opts())
    assert [path for path, *_ in opened] == [log]


@pytest.mark.parametrize("inputs", [None, 5, [None]])
def test_ingest_refuses_inputs_that_are_no_paths_naming_inputs(tmp_path, inputs):
    stim = grey_stimuli(tmp_path)
    with pytest.raises(UserError) as exc:
        ingest(inputs, stim, tmp_path / "ds", _opts())
    assert exc.value.args[0].startswith("`inputs`") and "\n" not in exc.value.args[0]

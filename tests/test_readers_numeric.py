"""The readers' column parsers against their definitions: ``numeric`` (pandas.to_numeric on stripped strings,
Python's float as the oracle for the values), ``text`` (the whole-number regex over every row) and the blank-row
check (every column empty or spaces), on the fast paths and the fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from saliency.data_tools.readers import chunks
from saliency.data_tools.readers.base import MISSING

SPELLINGS = ["inf", "-inf", "+inf", "Infinity", "-Infinity", "1e999", "-1e999", "1e-400", "nan", "NaN", "NAN", "-nan",
             "+nan", "0x10", "1_000", " 5", "5 ", "\t7\t", "", ".", "-", "NA", "N/A", "null", "None", "1e", "e5", "--5",
             "5-", "\u0661\u0662", "1,5", "1d5", "True", "+.5", "-.5e-3", "0e0", "00012", "1.5f", "1.", ".5", "+5",
             "-0", "1E5", "12345678901234567890", "123456789012345678901234567890", "\u00a08\u00a0", "\u20039"]


def _reference(values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``numeric``'s definition, with pandas' parser: stripped text, missing markers, ``to_numeric(coerce)``."""
    txt = pd.Series(values, dtype=object).fillna("").astype(str).str.strip()
    empty = txt.isin(MISSING).to_numpy()
    vals = pd.to_numeric(txt.where(~empty, None), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return vals, empty, np.isnan(vals) & ~empty


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def _fuzz_strings(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    v = np.concatenate([rng.uniform(-2000, 2000, n), rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n)])
    out = [repr(float(x)) for x in v] + [f"{x:.3f}" for x in v[:n]] + [f"{x:.25g}" for x in v[:n // 4]]
    out += [str(int(x)) for x in rng.integers(-2**63, 2**63 - 1, n // 4, dtype=np.int64)]
    return out


@pytest.mark.parametrize("backing", ["str", "object"])
def test_numeric_fast_path_equals_to_numeric_and_python_float(backing):
    strs = _fuzz_strings(20_000, 0)
    s = pd.Series(strs, dtype=backing)
    assert chunks._arrow_floats(s.str.strip(), np.zeros(len(s), bool)) is not None  # the fast path is taken
    vals, empty, bad = chunks.numeric(s)
    assert vals.flags.writeable  # readers write into the parsed columns
    ref = _reference(strs)
    assert _same(vals, ref[0]) and np.array_equal(empty, ref[1]) and np.array_equal(bad, ref[2])
    # the oracle for the numbers themselves: Python's correctly rounded float (exact equality, no tolerance)
    assert np.array_equal(vals, np.array([float(x) for x in strs]))


@pytest.mark.parametrize("backing", ["str", "object"])
def test_numeric_every_spelling_alone_and_among_numbers(backing):
    for word in SPELLINGS:
        for values in ([word], ["1.5", word, "2"], [word, None, "3"]):
            vals, empty, bad = chunks.numeric(pd.Series(values, dtype=backing))
            ref = _reference(values)
            assert _same(vals, ref[0]), (word, values, vals, ref[0])
            assert np.array_equal(empty, ref[1]) and np.array_equal(bad, ref[2]), (word, values)


def test_numeric_falls_back_when_a_value_is_not_a_plain_number():
    s = pd.Series(["1.5", "0x10", " 2 ", "."], dtype="str")
    assert chunks._arrow_floats(s.str.strip(), np.zeros(4, bool)) is None  # Arrow refuses 0x10: to_numeric decides
    vals, empty, bad = chunks.numeric(s)
    assert _same(vals, np.array([1.5, np.nan, 2.0, np.nan]))
    assert empty.tolist() == [False, False, False, True] and bad.tolist() == [False, True, False, False]


def _text_reference(s: pd.Series, default: str) -> np.ndarray:
    v = s.fillna("").astype(str).str.strip()
    v = v.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return v.where(~v.isin(MISSING), default).to_numpy(dtype=object)


def test_text_equals_the_regex_over_every_row():
    rng = np.random.default_rng(3)
    words = ["3.0", " 12.00 ", "a.0", "-4.0", "x10", "1.50", "", "NA", None, "10", "7.", "-0.0", "s01", "10.0.0",
             "2.000x", "1.0 ", "--1.0", "im001.png", ".0", "0.0", "100", "trial 10", "\u0663.0"]
    vals = [words[i] for i in rng.integers(0, len(words), 5_000)]
    for backing in ("str", "object"):
        s = pd.Series(vals, dtype=backing)
        got = chunks.text(s, len(s), "D")
        assert got.dtype == object and got.tolist() == _text_reference(s, "D").tolist()
    assert chunks.text(pd.Series(["3.0", "4.00", "-5.0"]), 3).tolist() == ["3", "4", "-5"]


def test_blank_rows_need_every_column_blank():
    df = pd.DataFrame({"a": ["", " ", "x", "", None, " "], "b": ["", "y", "", " ", "", None],
                       "c": [" ", "", "", "", "", ""]}, dtype="str")
    ref = df.fillna("").astype(str).apply(lambda c: c.str.strip() == "").all(axis=1).to_numpy()
    assert chunks._blank_rows(df).tolist() == ref.tolist() == [True, False, False, True, True, True]
    assert chunks._blank_rows(df.iloc[:, :0]).tolist() == [True] * 6  # no columns read: nothing but blanks

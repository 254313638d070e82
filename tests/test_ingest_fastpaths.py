"""The fast paths of ingest's map workers and tables against independent oracles (issue 15).

- inter-observer consistency (batched leave-one-subject-out maps): against
  ``scipy.ndimage.gaussian_filter`` of each subject's others-only fixation map
  and NSS / AUC-Judd written from their definitions, tolerance 1e-9 (the two
  blurs sum the same products in different orders: float64 rounding, ~1e-15
  of the map, far below 1e-9; positions are continuous, so no two map values
  at fixated pixels are within rounding of each other);
- AUC-Judd's three ways of counting the pixels above each threshold, against
  a plain loop, to 1e-12 (the counts are integers: the areas agree exactly up
  to the trapezoid's rounding);
- the tiled sparse blur against scipy, to 1e-12 of the map's maximum;
- ``write_table``'s comma-joined fast path against ``pandas.DataFrame.to_csv``,
  byte for byte, including the cases it must hand to the csv writer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import gaussian_filter

from saliency.base.errors import UserError
from saliency.data_tools import ingest as ing
from saliency.data_tools import qc
from saliency.data_tools.maps import MapPolicy, blur_points, pixel_index
from test_ingest_speed_parity import _auc_brute as _auc_def  # AUC-Judd by its definition, a plain loop


def _nss_def(m, rows, cols):
    z = (m - m.mean()) / m.std(ddof=1)
    return float(z[rows, cols].mean())


def _ioc_oracle(size, x, y, subjects, durations, policy):
    """Leave-one-subject-out scores built the slow, obvious way (scipy blur of a dense count map)."""
    w, h = size
    f = min(1.0, qc.IOC_SIDE / max(w, h))
    sw, sh = max(1, int(round(w * f))), max(1, int(round(h * f)))
    xs = (np.asarray(x) + 0.5) * (sw / w) - 0.5
    ys = (np.asarray(y) + 0.5) * (sh / h) - 0.5
    sig = (policy.sigma_px[1] * sh / h, policy.sigma_px[0] * sw / w)
    r, c = pixel_index(xs, ys, (sw, sh))
    out = []
    for s in sorted(set(subjects)):
        me = np.asarray(subjects) == s
        F = np.zeros((sh, sw))
        for rr, cc, d in zip(r[~me], c[~me], np.asarray(durations)[~me]):
            if policy.binary:
                F[rr, cc] = 1.0
            else:
                F[rr, cc] += d if policy.weight == "duration" else 1.0
        m = gaussian_filter(F, sig, mode=policy.border, truncate=4.0)
        own = sorted({(int(a), int(b)) for a, b in zip(r[me], c[me])})
        rows, cols = np.array([a for a, _ in own]), np.array([b for _, b in own])
        out.append((s, _nss_def(m, rows, cols), _auc_def(m, rows, cols)))
    return out


@pytest.mark.parametrize("kw", [{}, {"binary": True}, {"weight": "duration"}, {"border": "reflect"},
                                {"border": "nearest"}])
def test_ioc_scores_against_scipy_and_definitions(kw):
    rng = np.random.default_rng(11)
    size = (400, 300)
    n_subj, per = 5, 9
    subjects = np.repeat([f"p{i}" for i in range(n_subj)], per)
    hot = rng.uniform([60, 60], [340, 240], (3, 2))
    xy = hot[rng.integers(0, 3, n_subj * per)] + rng.normal(0, 25, (n_subj * per, 2))
    x, y = np.clip(xy[:, 0], 0, 399), np.clip(xy[:, 1], 0, 299)
    x[:2] = [5.2, 5.9]  # two fixations on one pixel of the reduced map (binary counts it once)
    y[:2] = [7.1, 7.6]
    durations = rng.uniform(100, 400, n_subj * per)
    policy = MapPolicy((12.0, 10.0), **kw)
    got = qc.ioc_scores(size, x, y, subjects, durations, policy)
    want = _ioc_oracle(size, x, y, subjects, durations, policy)
    assert [g[0] for g in got] == [w_[0] for w_ in want]
    for g, w_ in zip(got, want):
        assert g[1] == pytest.approx(w_[1], abs=1e-9) and g[2] == pytest.approx(w_[2], abs=1e-9)


@pytest.mark.parametrize("size, axis", [((4086, 300), 0), ((300, 4086), 1), ((210, 50), 0), ((50, 210), 1)])
def test_ioc_scores_of_a_point_that_scales_onto_the_reduced_maps_edge(size, axis):
    # a point ingest keeps, one rounding step below w - 0.5, lands on the reduced map's last pixel (not past it:
    # x = nextafter(4085.5, -inf) on 4086 pixels scaled to 128 was 127.5, off the reduced map); the oracle
    # clips it to that pixel itself
    w, h = size
    edge = np.nextafter(size[axis] - 0.5, -np.inf)
    x, y = np.array([0.31, 0.52, 0.67, 0.23]) * w, np.array([0.37, 0.55, 0.41, 0.73]) * h  # no mirror ties
    (x if axis == 0 else y)[[0, 2]] = edge  # one point of subject a and one of b on the far edge
    subjects = ["a", "a", "b", "c"]
    got = qc.ioc_scores(size, x, y, subjects, [200.0] * 4, MapPolicy((25.0, 25.0)))
    want = _ioc_oracle(size, x, y, subjects, [200.0] * 4, MapPolicy((25.0, 25.0)))
    assert [g[0] for g in got] == [w_[0] for w_ in want] == ["a", "b", "c"]
    for g, w_ in zip(got, want):
        for a, b in zip(g[1:], w_[1:]):
            assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-9), (g, w_)


@pytest.mark.parametrize("xs, ys, first", [
    ([10.0, 399.5], [5.0, 5.0], "`x`: 1 of the 2 fixations lie off the 400x300 map (the first: fixation 2"),
    ([10.0, 20.0], [-0.75, 5.0], "`y`: 1 of the 2 fixations lie off the 400x300 map (the first: fixation 1"),
])
def test_ioc_scores_refuse_fixations_off_the_stimulus(xs, ys, first):
    # they were moved onto the edge of the reduced map, or refused by density() naming that map instead
    with pytest.raises(UserError) as e:
        qc.ioc_scores((400, 300), xs, ys, ["a", "b"], [200.0, 200.0], MapPolicy((5.0, 5.0)))
    raw = e.value.args[0]
    assert raw.startswith(first) and "off_stimulus" in raw and "\n" not in raw, raw


def test_ioc_scores_one_subject_and_a_zero_map():
    p = MapPolicy((3.0, 3.0))
    assert qc.ioc_scores((50, 40), [10.0, 20.0], [5.0, 6.0], ["a", "a"], [1.0, 1.0], p) == []
    # far-apart subjects: each one's fixation sits where the others' map is exactly zero, so the one
    # threshold is the map's minimum: every pixel is above it, the ROC runs (0, 0) -> (1, 1), area 1/2
    got = qc.ioc_scores((500, 400), [10.0, 480.0], [10.0, 380.0], ["a", "b"], [1.0, 1.0], MapPolicy((1.0, 1.0)))
    assert [g[0] for g in got] == ["a", "b"]
    for _, nss, auc in got:
        assert nss < 0 and auc == 0.5


@pytest.mark.parametrize("path", ["compare", "bin", "sort"])
def test_auc_judd_counting_paths_agree_with_a_loop(monkeypatch, path):
    if path == "bin":
        monkeypatch.setattr(qc, "COMPARE_THRESHOLDS", 0)
    elif path == "sort":
        monkeypatch.setattr(qc, "COUNT_THRESHOLDS", 0)
    rng = np.random.default_rng(2)
    for n_fix in (1, 7, 20):
        m = np.round(rng.random((24, 32)), 2)  # ties on purpose
        rc = np.unique(rng.integers(0, 24 * 32, n_fix))
        rows, cols = rc // 32, rc % 32
        assert qc.auc_judd(m, rows, cols) == pytest.approx(_auc_def(m, rows, cols), abs=1e-12)


@pytest.mark.parametrize("border", ["constant", "reflect", "nearest"])
def test_tiled_blur_against_scipy(border):
    rng = np.random.default_rng(4)
    H, W, n = 300, 420, 60  # below H + W distinct pixels: the tiled sparse product
    r, c = rng.integers(0, H, n), rng.integers(0, W, n)
    wts = rng.uniform(0.5, 2.0, n)
    F = np.zeros((H, W))
    np.add.at(F, (r, c), wts)
    ref = gaussian_filter(F, (9.5, 12.0), mode=border, truncate=4.0)
    got = blur_points((H, W), r, c, wts, (12.0, 9.5), border)
    assert np.abs(got - ref).max() <= 1e-12 * ref.max()


FAST_FRAMES = [
    pd.DataFrame({"s": ["", "a", None]}),  # one column: an empty field is quoted, so the csv writer writes it
    pd.DataFrame({"s": ["a\rb", "x\x00y", "c", "d"], "v": [1.0, 2.0, np.nan, -3.25]}),
    pd.DataFrame({"s": np.array(["a", "b"], dtype=object), "t": [np.str_("x"), "y"], "n": [1, 2]}),
    pd.DataFrame({"s": ["a", "b"], "n": [1, 2]}).iloc[0:0],
    pd.DataFrame({"s": ["plain", "plain", "has,comma", "plain"], "x": [0.1, 0.2, 0.3, 0.4]}),
]


@pytest.mark.parametrize("k", range(len(FAST_FRAMES)))
@pytest.mark.parametrize("block", [1, 2, 1 << 16])
def test_write_table_fast_path_is_pandas_to_csv(tmp_path, k, block):
    df = FAST_FRAMES[k]
    df.to_csv(tmp_path / "pandas.csv", index=False, float_format="%.3f")
    ing.write_table(df, tmp_path / "ours.csv", "%.3f", block=block)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def _ioc_plain(size, x, y, subjects, durations, policy, max_side=qc.IOC_SIDE):
    """Leave-one-subject-out scores composed from the building blocks, one subject at a time."""
    from saliency.data_tools.maps import density, unique_pixels

    (sw, sh), xs, ys, pol = qc.ioc_grid(size, x, y, policy, max_side)  # the grid is not what is tested here
    subjects = np.asarray(subjects).astype(str)
    durations = np.asarray(durations, dtype=np.float64)
    out = []
    for s in np.unique(subjects):
        me = subjects == s
        m = density((sw, sh), xs[~me], ys[~me], subjects[~me], durations[~me], pol)
        r, c = unique_pixels(*pixel_index(xs[me], ys[me], (sw, sh)), sw)
        out.append((str(s), qc.nss(m, r, c), qc.auc_judd(m, r, c)))
    return out


def test_ioc_scores_equal_the_plain_composition_bit_for_bit():
    """The batched path promises the very numbers of density() + nss() + auc_judd() per subject."""
    rng = np.random.default_rng(21)
    for case in range(150):
        w, h = [(1, 7), (3, 2), (40, 30), (129, 64), (400, 300), (1024, 768)][case % 6]
        n_subj, n_fix = int(rng.integers(2, 9)), int(rng.integers(2, 90))
        subjects = [f"s{k}" for k in rng.integers(0, n_subj, n_fix)]
        if len(set(subjects)) < 2:
            continue
        x, y = rng.uniform(-0.5, w - 0.5, n_fix), rng.uniform(-0.5, h - 0.5, n_fix)  # on the map, as ingest keeps
        binary = case % 4 == 0
        policy = MapPolicy((float(rng.choice([1.0, 5.0, 30.0])),) * 2, ["constant", "reflect", "nearest"][case % 3],
                           binary, "none" if binary or case % 2 else "duration", (not binary) and case % 5 == 1)
        durations = rng.uniform(50, 500, n_fix)
        max_side = int(rng.choice([128, 32, 7]))
        got = qc.ioc_scores((w, h), x, y, subjects, durations, policy, max_side)
        want = _ioc_plain((w, h), x, y, subjects, durations, policy, max_side)
        assert len(got) == len(want)
        for g, w_ in zip(got, want):
            assert g[0] == w_[0]
            for a, b in zip(g[1:], w_[1:]):
                assert (np.isnan(a) and np.isnan(b)) or a == b, (case, g, w_)


REPR_FLOATS = np.concatenate([np.random.default_rng(4).standard_normal(3000) * 10.0 ** np.random.default_rng(5)
                              .integers(-20, 20, 3000), [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e16, 1e-5, 0.1 + 0.2,
                                                         1000.0, 5e-324, 123456789012345678.0]])


@pytest.mark.parametrize("k", range(len(FAST_FRAMES) + 1))
def test_write_table_without_a_float_format_appends_what_to_csv_appends(tmp_path, k):
    """``float_format=None`` (pandas' own float text), an open file, no header: ``saliency detect``'s samples."""
    df = FAST_FRAMES[k] if k < len(FAST_FRAMES) else pd.DataFrame(
        {"s": np.repeat(np.array(["sub01", "s,2"], dtype=object), len(REPR_FLOATS) // 2 + 1)[:len(REPR_FLOATS)],
         "t": REPR_FLOATS, "label": "fixation", "line": np.arange(len(REPR_FLOATS))})
    with open(tmp_path / "pandas.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write("head\n")
        df.to_csv(fh, index=False, header=False)
        df.to_csv(fh, index=False, header=False)
    with open(tmp_path / "ours.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write("head\n")
        ing.write_table(df, fh, None, block=1000, header=False)
        ing.write_table(df, fh, None, header=False)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()

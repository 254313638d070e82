"""Issue 15.3: the faster ingest writes what an independent computation says it should.

Oracles: ``scipy.ndimage.gaussian_filter`` for every map (8-bit levels equal
wherever the exact value is not within 1e-6 of a rounding boundary, and never
more than one level apart), pandas' own ``DataFrame.to_csv`` for the tables
(byte for byte, on frames with the awkward values: NaN, infinities, -0.0,
quotes, separators, line breaks, empty and missing text), brute-force
counting for AUC-Judd and ``scipy.stats.zscore`` for NSS, and
``collections.Counter`` for the centre-bias canvas. ``--workers 1`` and
``--workers 2`` write identical folders (the parallel decoding of stimuli and
building of maps change nothing).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import gaussian_filter
from scipy.stats import zscore

from saliency.data_tools import ingest as ing
from saliency.data_tools import qc
from saliency.data_tools.geometry import ScreenGeometry
from saliency.data_tools.maps import MapPolicy, pixel_index, quantized_map


def _oracle_levels(size, x, y, sigma, border, bits=8, how="minmax"):
    w, h = size
    r, c = pixel_index(x, y, size)
    F = np.zeros((h, w))
    np.add.at(F, (r, c), 1.0)
    m = gaussian_filter(F, (sigma[1], sigma[0]), mode=border)
    m = (m - m.min()) / (m.max() - m.min()) if how == "minmax" else m / m.max()
    return m * (2 ** bits - 1)


@pytest.mark.parametrize("border,bits,how", [("constant", 8, "minmax"), ("reflect", 16, "minmax"),
                                             ("nearest", 8, "max")])
def test_quantized_map_against_scipy(border, bits, how):
    rng = np.random.default_rng(3)
    size, n = (160, 120), 40
    x, y = rng.uniform(-0.5, 159.4, n), rng.uniform(-0.5, 119.4, n)
    q = quantized_map(size, x, y, np.zeros(n, str), np.ones(n), MapPolicy((6.5, 5.0), border, normalize=how), bits)
    ref = _oracle_levels(size, x, y, (6.5, 5.0), border, bits, how)
    assert q.dtype == (np.uint8 if bits == 8 else np.uint16) and q.shape == (120, 160)
    clear = np.abs(ref - np.floor(ref) - 0.5) > 1e-6  # away from a rounding boundary: one right answer
    assert np.array_equal(q[clear], np.rint(ref[clear]))
    assert np.abs(q.astype(float) - ref).max() <= 0.5 + 1e-6
    empty = quantized_map(size, [], [], [], [], MapPolicy((6.5, 5.0), border, normalize=how), bits)
    assert not empty.any()


FRAMES = [
    pd.DataFrame({"subject": ["a", "b,c", 'q"uote', "", "line\nbreak"], "x": [1.23456, np.nan, -0.0, np.inf, -1e9],
                  "y": [0.0005, 0.0015, -0.0004, 2.5, 1e-12], "line": [1, 2, 3, 4, 5],
                  "eye": ["L", None, "R", "", " "]}),
    pd.DataFrame({"source": pd.array(["f.csv", None, "g h"], dtype="string"), "v": [1.0, 2.0, np.nan],
                  "n": np.array([7, -8, 9], dtype=np.int32)}),
    pd.DataFrame({"mixed": [1, "a", 2.5], "b": [True, False, True]}),  # handed to pandas
    pd.DataFrame({"x": pd.Series([], dtype=float), "s": pd.Series([], dtype=object)}),
]


@pytest.mark.parametrize("k", range(len(FRAMES)))
@pytest.mark.parametrize("fmt", ["%.3f", "%.4f"])
def test_write_table_is_pandas_to_csv(tmp_path, k, fmt):
    df = FRAMES[k]
    df.to_csv(tmp_path / "pandas.csv", index=False, float_format=fmt)
    ing.write_table(df, tmp_path / "ours.csv", fmt, block=2)  # several blocks
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def _auc_brute(m, rows, cols):
    """AUC-Judd by the definition: thresholds at the fixated values, counts by a plain loop."""
    lo, hi = m.min(), m.max()
    m = (m - lo) / (hi - lo)
    thr = sorted(m[rows, cols].tolist(), reverse=True)
    n_fix, n_pix = len(thr), m.size
    tp, fp = [0.0], [0.0]
    for i, t in enumerate(thr, start=1):
        tp.append(i / n_fix)
        fp.append((int((m >= t).sum()) - i) / (n_pix - n_fix))
    tp.append(1.0)
    fp.append(1.0)
    return float(np.trapezoid(tp, fp))


@pytest.mark.parametrize("cells", [qc.COUNT_THRESHOLDS, 1])  # binning, and the sorting path
def test_auc_judd_and_nss_against_brute_force(monkeypatch, cells):
    monkeypatch.setattr(qc, "COUNT_THRESHOLDS", cells)
    rng = np.random.default_rng(5)
    m = np.round(rng.random((30, 40)), 2)  # ties on purpose
    rows, cols = rng.integers(0, 30, 12), rng.integers(0, 40, 12)
    rc = np.unique(rows * 40 + cols)
    rows, cols = rc // 40, rc % 40
    assert qc.auc_judd(m, rows, cols) == pytest.approx(_auc_brute(m, rows, cols), abs=1e-12)
    assert qc.nss(m, rows, cols) == pytest.approx(float(zscore(m, axis=None, ddof=1)[rows, cols].mean()), abs=1e-12)


def test_most_common_size_is_counters_choice():
    rng = np.random.default_rng(0)
    sizes = np.array([[640, 480], [800, 600], [640, 480], [1024, 768]], dtype=float)
    for _ in range(20):
        codes = rng.integers(0, 4, rng.integers(1, 12))
        want = Counter(map(tuple, sizes[codes].astype(int).tolist())).most_common(1)[0][0]
        assert ing._most_common_size(codes, sizes) == want


def _study(tmp_path, n_stim=6, n_subj=4, per=6, bad=True):
    import cv2

    rng = np.random.default_rng(1)
    stim = tmp_path / "stim"
    stim.mkdir()
    for i in range(n_stim):
        cv2.imwrite(str(stim / f"im{i}.png"), rng.integers(0, 255, (90 + 10 * (i % 2), 120, 3), dtype=np.uint8))
    if bad:  # a stimulus whose data is cut short: its rows are quarantined, whoever decodes it
        data = (stim / "im0.png").read_bytes()
        (stim / "im0.png").write_bytes(data[: len(data) // 2])
    rows = []
    for i in range(n_stim):
        for s in range(n_subj):
            for k in range(per):
                rows.append((f"s{s}", f"im{i}", rng.uniform(-5, 125), rng.uniform(-5, 105), 1000.0 * k, 200.0))
    log = tmp_path / "fix.csv"
    pd.DataFrame(rows, columns=["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"]).to_csv(log, index=False)
    return log, stim


def _digest(folder):
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "dataset.json":
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_ingest_outputs_against_oracles_and_workers(tmp_path):
    import cv2

    log, stim = _study(tmp_path)
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"d{workers}"
        ing.ingest([log], stim, out, ing.IngestOptions(sigma_px=4.0, coords="stimulus", workers=workers))
        runs[workers] = out
    assert _digest(runs[1]) == _digest(runs[2])
    m1 = json.loads((runs[1] / "dataset.json").read_text())
    m2 = json.loads((runs[2] / "dataset.json").read_text())
    assert m1["inter_observer"] == m2["inter_observer"] and m1["counts"] == m2["counts"]
    d = runs[2]
    q = pd.read_csv(d / "quarantine.csv")
    assert (q["reason"] == "bad_stimulus_image").sum() == 24  # 4 subjects x 6 fixations on im0
    fx = pd.read_csv(d / "fixations.csv", keep_default_na=False)
    assert set(fx["stimulus"]) == {f"im{i}" for i in range(1, 6)}
    # the table is what pandas writes for the same rows
    re = fx.copy()
    re.to_csv(tmp_path / "again.csv", index=False)
    assert (tmp_path / "again.csv").read_bytes() == (d / "fixations.csv").read_bytes()
    # every map against scipy's blur of the kept fixations (x, y as the table holds them, exact)
    for stem, g in fx.groupby("stimulus"):
        png = cv2.imread(str(d / "maps" / f"{stem}.png"), cv2.IMREAD_UNCHANGED)
        ref = _oracle_levels((png.shape[1], png.shape[0]), g["x"].to_numpy(), g["y"].to_numpy(), (4.0, 4.0),
                             "constant")
        clear = np.abs(ref - np.floor(ref) - 0.5) > 1e-3
        assert np.array_equal(png[clear], np.rint(ref[clear])), stem
        assert np.abs(png - ref).max() <= 0.5 + 1e-3
    stages = ing.LAST_STAGES
    assert {"read, detect", "tables", "worker: map", "worker: encode", "worker: ioc"} <= set(stages)


def test_geometry_study_through_the_command(tmp_path, capsys):
    from saliency.cli import main

    log, stim = _study(tmp_path, n_stim=3, bad=False)
    g = tmp_path / "screen.json"
    g.write_text(json.dumps({"screen_px": [120, 100], "screen_cm": [30.0, 25.0], "distance_cm": 60.0}))
    rc = main(["ingest", str(log), "--stimuli", str(stim), "--geometry", str(g), "--out", str(tmp_path / "d"),
               "--quiet", "--workers", "2"])
    assert rc == 0, capsys.readouterr().err
    sig = ScreenGeometry.load(g).ppd_xy
    m = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert m["sigma"]["px_by_stimulus_size"]["120x100"][0] == pytest.approx(sig[0], rel=1e-6)

"""Acceptance on the synthetic study: three exports -> same maps; detected fixations match the truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from saliency.data_tools.events import matched_share

pytest.importorskip("saliency.data_tools.synth", reason="the synthetic study generator is not available")

EXPORTS = {"samples": "samples.csv", "eyelink": "eyelink_fixations.csv", "tobii": "tobii.tsv"}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    s = root / "S"
    assert main(["synth", "--out", str(s), "--scenes", "6", "--subjects", "4", "--seed", "3"]) == 0
    outs = {}
    for name, f in EXPORTS.items():
        d = root / name
        # the EyeLink report has no stimulus column: the trials table names its rows' stimuli (the other exports
        # name them on every row, where --trials is refused as unused)
        trials = ["--trials", str(s / "logs" / "trials.csv")] if name == "eyelink" else []
        rc = main(["ingest", str(s / "logs" / f), *trials, "--stimuli",
                   str(s / "stimuli"), "--geometry", str(s / "screen.json"), "--out", str(d), "--map-format", "npy"])
        assert rc == 0
        outs[name] = d
    return s, outs


def test_three_exports_give_the_same_maps(study):
    s, outs = study
    stems = sorted(p.stem for p in (s / "stimuli").glob("*.png"))
    for stem in stems:
        maps = {k: np.load(d / "maps" / f"{stem}.npy") for k, d in outs.items()}
        for m in maps.values():
            assert m.dtype == np.float32 and m.min() == 0 and m.max() == pytest.approx(1.0)
        for a, b in (("samples", "eyelink"), ("samples", "tobii"), ("eyelink", "tobii")):
            r = np.corrcoef(maps[a].ravel(), maps[b].ravel())[0, 1]
            assert r >= 0.99, (stem, a, b, r)




@pytest.mark.parametrize("detector", ["ivt", "idt"])
def test_detected_fixations_match_truth(study, tmp_path, detector):
    s, outs = study
    if detector == "ivt":
        d = outs["samples"]
    else:
        d = tmp_path / "idt"
        assert main(["ingest", str(s / "logs" / "samples.csv"), "--stimuli", str(s / "stimuli"), "--geometry",
                     str(s / "screen.json"), "--out", str(d), "--detector", "idt", "--no-ioc"]) == 0
    truth = pd.read_csv(s / "truth" / "fixations.csv")
    det = pd.read_csv(d / "fixations.csv")
    man = json.loads((d / "dataset.json").read_text())
    scale = 1080 / 480  # fit: 640x480 shown at 1440x1080
    one_deg = man["ppd"] / scale
    assert matched_share(truth, det, one_deg) >= 0.90


def test_manifest_and_files(study):
    s, outs = study
    d = outs["samples"]
    man = json.loads((d / "dataset.json").read_text())
    g = json.loads((s / "screen.json").read_text())
    ppd = np.mean([g["screen_px"][i] / g["screen_cm"][i] * g["distance_cm"] * np.tan(np.radians(1)) for i in (0, 1)])
    assert man["ppd"] == pytest.approx(ppd, rel=1e-6)
    sig = man["sigma"]["px_by_stimulus_size"]["640x480"]
    ppd_x = g["screen_px"][0] / g["screen_cm"][0] * g["distance_cm"] * np.tan(np.radians(1))
    assert sig[0] == pytest.approx(ppd_x / 2.25, rel=1e-5)  # sigma_x = 1 deg of the x axis, in stimulus px
    assert man["inputs"][0]["sha256"] and len(man["inputs"][0]["sha256"]) == 64
    assert man["counts"]["subjects"] == 4 and man["counts"]["stimuli"] == 6
    tab = pd.read_csv(d / "fixations.csv")
    assert list(tab.columns) == ["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms", "eye", "source", "line"]
    q = pd.read_csv(d / "quarantine.csv")
    assert {"source", "line", "reason"} <= set(q.columns)
    assert len(q) == man["counts"]["quarantined"]
    # every quarantined off-screen sample really is off the screen
    off = q[q["reason"] == "off_screen"]
    W, H = g["screen_px"]
    assert ((off.x < -0.5) | (off.x >= W - 0.5) | (off.y < -0.5) | (off.y >= H - 0.5)).all()
    fx = __import__("cv2").imread(str(d / "fixations" / "s0001.png"), 0)
    assert fx.shape == (480, 640) and set(np.unique(fx)) <= {0, 255}
    assert (d / "center_bias.png").is_file() and (d / "stimuli" / "s0001.png").is_file()
    io = man["inter_observer"]
    assert io["nss"]["mean"] > 1.0 and 0.6 < io["auc_judd"]["mean"] <= 1.0


def test_workers_give_identical_results(study, tmp_path):
    s, outs = study
    d = tmp_path / "w2"
    assert main(["ingest", str(s / "logs" / "samples.csv"), "--stimuli", str(s / "stimuli"), "--geometry",
                 str(s / "screen.json"), "--out", str(d), "--map-format", "npy", "--workers", "2"]) == 0
    for p in (outs["samples"] / "maps").glob("*.npy"):
        np.testing.assert_array_equal(np.load(p), np.load(d / "maps" / p.name))
    assert (d / "fixations.csv").read_text() == (outs["samples"] / "fixations.csv").read_text()
    a = json.loads((d / "dataset.json").read_text())
    b = json.loads((outs["samples"] / "dataset.json").read_text())
    assert a["inter_observer"] == b["inter_observer"] and a["counts"] == b["counts"]


def test_pool_reads_detects_and_checks_like_one_process(study, tmp_path, monkeypatch):
    """Samples and a fixation list in one run, small chunks and detection batches: the pool changes nothing.

    With ``workers`` > 1 the stimulus check and the detection of each chunk's trials run in the pool while
    the main process reads on; the serial run (``workers=1``, everything in this process) is the reference.
    """
    from saliency.data_tools import ingest as ing
    from saliency.data_tools.geometry import ScreenGeometry

    s, _ = study
    monkeypatch.setattr(ing, "DETECT_BATCH", 2_000)  # several batches per chunk (whole trials each)
    logs = [s / "logs" / "samples.csv", s / "logs" / "eyelink_fixations.csv", s / "logs" / "tobii.tsv"]
    outs = {}
    for w in (1, 2):
        opts = ing.IngestOptions(geometry=ScreenGeometry.load(s / "screen.json"), workers=w, chunk_rows=7_000,
                                 trials=str(s / "logs" / "trials.csv"), map_format="npy")
        outs[w] = tmp_path / f"w{w}"
        man = ing.ingest(logs, s / "stimuli", outs[w], opts)
        assert sum(r["rows"]["fixations"]["detected"] for r in man["inputs"] if r["kind"] == "samples") > 100
    for name in ("fixations.csv", "quarantine.csv", "qc.csv"):
        assert (outs[1] / name).read_bytes() == (outs[2] / name).read_bytes(), name
    for p in (outs[1] / "maps").glob("*.npy"):
        np.testing.assert_array_equal(np.load(p), np.load(outs[2] / "maps" / p.name))
    a, b = (json.loads((outs[w] / "dataset.json").read_text()) for w in (1, 2))
    assert a["inputs"] == b["inputs"] and a["counts"] == b["counts"] and a["inter_observer"] == b["inter_observer"]
    fx = pd.read_csv(outs[2] / "fixations.csv")
    assert {"samples.csv", "eyelink_fixations.csv", "tobii.tsv"} <= {p.rsplit("/", 1)[-1] for p in fx["source"]}

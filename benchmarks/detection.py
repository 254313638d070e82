"""Benchmark of fixation detection against human coders (issue 12) and the synthetic study's truth.

    python benchmarks/detection.py [--lund ../shared/data/lund2013_dev] [--synth-scenes 6] [--json out.json]

1. Hand-labelled gaze of Andersson, Larsson, Holmqvist, Stridh & Nyström (BRM 2017;
   ``lund2013_dev``, see ../shared/data/README.md): the six free-viewing trials of
   photographs labelled by coder RA. For every detector of ours and for
   pymovements' I-VT and I-DT (its defaults) on the same samples: per-sample
   Cohen's kappa, fixation vs not and over all classes (our track loss counted
   as undefined), event-level fixation F1 (onsets matched within 20 ms), the
   number of fixations against the coder's; pooled over trials, for the four
   trials the defaults were tuned on, the two held out, and, as a second
   figure, without the samples the coder labelled smooth pursuit. Only the row
   "nh + pursuit split" has a pursuit class (``classify(..., pursuit=True)``,
   after Larsson et al. 2015); it counts as "not fixation". Ceiling: coder RA against coder MN on the
   moving-dot and video trials they both labelled (the image trials have one
   coder only). Samples off the screen are made missing and marked off-screen, as
   ``saliency detect`` reads them (68 of the six trials' 23,941 samples).
   Time stamps: the files' microsecond column; two trials (TL48) were recorded
   at 200 Hz although their header says 500 Hz.
2. The synthetic study (``saliency synth``: 500 Hz, 120 Hz, and 120 Hz with Tobii-like
   noise of 0.15 deg instead of 0.01): share of true
   fixations matched by a detected one (same subject and stimulus, overlapping
   in time, within 1 degree; as tests/test_ingest_synth.py counts), through
   ``saliency ingest`` with each detector, and pymovements' I-VT and I-DT on
   the same samples (its fixations' sample means mapped into the stimulus).
"""

from __future__ import annotations

import glob
import json
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from saliency.data_tools import detection as D  # noqa: E402
from saliency.data_tools import events as ev  # noqa: E402
from saliency.data_tools.detectors import DETECTORS, FIXATION, PURSUIT, TRACK_LOSS, UNDEFINED  # noqa: E402
from saliency.data_tools.geometry import ScreenGeometry  # noqa: E402

TUNED = ("TH38_img_Europe", "TH50_img_vy", "TL44_img_konijntjes", "TL48_img_Rome")
HELD_OUT = ("TH46_img_Rome", "TL48_img_Europe")


def load_lund(path: str):
    """(t ms, x px, y px, coder labels, geometry) of one ``lund2013_dev`` file; x = y = 0 (track loss) -> NaN."""
    import scipy.io as sio

    e = sio.loadmat(path, squeeze_me=True, struct_as_record=False)["ETdata"]
    pos = np.asarray(e.pos, dtype=np.float64)
    x, y = pos[:, 3].copy(), pos[:, 4].copy()
    lost = (x == 0) & (y == 0)
    x[lost] = np.nan
    y[lost] = np.nan
    if np.isfinite(pos[:, 0]).all():
        t = (pos[:, 0] - pos[0, 0]) / 1000.0
    else:
        t = np.arange(len(x)) * 1000.0 / float(e.sampFreq)
    res = [int(v) for v in np.atleast_1d(e.screenRes)]
    dim = [float(v) * 100 for v in np.atleast_1d(e.screenDim)]
    geom = ScreenGeometry((res[0], res[1]), (dim[0], dim[1]), float(e.viewDist) * 100)
    return t, x, y, pos[:, 5].astype(np.int64), geom


def as_detect_reads(x, y, geom):
    """``(x, y, offscreen)``: samples measured off the screen made missing and marked, as ``saliency detect`` does.

    A valid gaze outside the screen is track loss, never bridged by gap fill-in and a blink only next to one
    (``saliency.detect.classify_trial``); the benchmark scores what the command does.
    """
    W, H = geom.screen_px
    with np.errstate(invalid="ignore"):
        off = np.isfinite(x) & np.isfinite(y) & ((x < -0.5) | (x >= W - 0.5) | (y < -0.5) | (y >= H - 0.5))
    return np.where(off, np.nan, x), np.where(off, np.nan, y), off


def pymovements_labels(t, x, y, geom, method: str) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Per-sample fixation labels from pymovements' ``ivt``/``idt`` with its defaults (1 fixation, 6 otherwise),
    and its fixation events as inclusive ``(first, last)`` sample index ranges.

    Time stamps are given as whole-millisecond even steps (its I-DT refuses uneven or fractional
    ones): at 120 Hz 8 ms instead of 8.33 (speeds 4 % high), and I-DT's 100 ms minimum becomes
    the nearest multiple of the step (104 ms), which its I-DT requires. Labels and events go back
    to the samples by index. The events come from its event frame, not from runs of the labels:
    its I-DT often starts a fixation on the sample after the last one ended, and two such
    fixations are one run of labels.
    """
    import pymovements as pm

    rate = 1000.0 / D.sample_period(t)
    exp = pm.Experiment(geom.screen_px[0], geom.screen_px[1], geom.screen_cm[0], geom.screen_cm[1],
                        geom.distance_cm, "upper left", rate)
    step = int(round(D.sample_period(t)))
    ti = np.arange(len(t), dtype=np.int64) * step  # its I-DT needs even integer steps
    kw = {} if method == "ivt" or 100 % step == 0 else {"minimum_duration": int(round(100 / step)) * step}
    gaze = pm.gaze.from_numpy(time=ti, pixel=np.vstack([x, y]), experiment=exp)
    gaze.pix2deg()
    if method == "ivt":
        gaze.pos2vel(method="fivepoint")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gaze.detect(method, **kw)
    lab = np.full(len(t), UNDEFINED, dtype=np.int64)
    events = []
    f = gaze.events.frame
    for on, off in zip(f["onset"].to_numpy(), f["offset"].to_numpy()):
        lab[(ti >= on) & (ti <= off)] = FIXATION
        i, j = int(np.searchsorted(ti, on, "left")), int(np.searchsorted(ti, off, "right")) - 1
        if i <= j:
            events.append((i, j))
    return lab, sorted(events)


def lund_benchmark(root: str, tol_ms: float = 20.0) -> dict:
    """Scores of every detector on the image trials, and the coder-vs-coder ceiling."""
    files = sorted(glob.glob(str(Path(root) / "images" / "*.mat")))
    if not files:
        raise SystemExit(f"no lund2013_dev image trials under {root}")
    trials = [(Path(f).name.split("_labelled")[0], *load_lund(f)) for f in files]
    rows = {}
    methods = [*DETECTORS, "nh (published 20 ms window)", "nh + pursuit split (Larsson 2015)", "pymovements ivt",
               "pymovements idt"]
    for m in methods:
        per = {}
        for name, t, x, y, coder, geom in trials:
            x, y, off = as_detect_reads(x, y, geom)  # the same samples for every method, pymovements' too
            # a detector's fixation events are its own (the fixation table ``saliency detect`` writes;
            # pymovements' event frame), never runs of its labels: back-to-back fixations are one run
            if m.startswith("pymovements"):
                lab, fix = pymovements_labels(t, x, y, geom, m.split()[1])
            else:
                kw = {"window_ms": 20.0} if m.startswith("nh (") else {"pursuit": True} if m.startswith("nh +") else {}
                c = D.classify(t, x, y, geom, m.split()[0], offscreen=off, **kw)
                lab, fix = c.labels.astype(np.int64), list(c.fixations)
            lab = np.where(lab == TRACK_LOSS, UNDEFINED, lab)
            per[name] = (lab, coder, t, np.array([a for a, _ in fix], dtype=np.int64))
        rows[m] = {split: _split_scores([per[k] for k in per if k in names or names == "all"], tol_ms)
                   for split, names in (("all", "all"), ("tuned", TUNED), ("held_out", HELD_OUT))}
        rows[m]["per_trial_kappa_fix"] = {k: round(ev.cohen_kappa(v[0], v[1], FIXATION), 3) for k, v in per.items()}
    pairs = []
    for f in sorted(glob.glob(str(Path(root) / "*" / "*_RA.mat"))):
        g = f.replace("_RA.mat", "_MN.mat")
        if Path(g).is_file():
            t, _, _, ra, _ = load_lund(f)
            mn = load_lund(g)[3]
            n = min(len(ra), len(mn))  # a few pairs differ by a trailing sample
            pairs.append((mn[:n], ra[:n], t[:n], ev.label_runs(mn[:n], FIXATION)[0]))  # a coder's: label runs
    rows["coder MN vs RA (dots, video)"] = {"all": _split_scores(pairs, tol_ms)}
    return rows


def _split_scores(items, tol_ms) -> dict:
    """Kappas and onset F1 of ``(labels, coder labels, t, first sample of each detected fixation)`` per trial."""
    a = np.concatenate([i[0] for i in items])
    b = np.concatenate([i[1] for i in items])
    keep = b != PURSUIT
    m = r = d = 0
    for lab, coder, t, first in items:
        # the coder's events are runs of their labels (the labels are the coder's only record: two fixations
        # coded back to back are one); a detector's are its own events (``first``), not runs of its labels
        ro = t[ev.label_runs(coder, FIXATION)[0]]
        do = t[first]
        m += ev.match_onsets(ro, do, tol_ms)
        r += len(ro)
        d += len(do)
    return {"kappa_fix": round(ev.cohen_kappa(a, b, FIXATION), 3), "kappa_all": round(ev.cohen_kappa(a, b), 3),
            "kappa_fix_no_pursuit": round(ev.cohen_kappa(a[keep], b[keep], FIXATION), 3),
            "f1_fix": round(2 * m / (r + d), 3) if r + d else float("nan"), "n_fix": d, "n_fix_coder": r}


CONDITIONS = {"500 Hz": (500.0, None), "120 Hz": (120.0, None), "120 Hz, noise 0.15 deg": (120.0, 0.15)}
"""Synthetic studies: rate, and white measurement noise (SD, deg; None: the generator's EyeLink-like 0.01)."""


def synth_benchmark(scenes: int, subjects: int, seed: int = 3) -> dict:
    """Matched share of true fixations per detector, via ``saliency ingest``, on synthetic studies."""
    import contextlib
    import io

    import pandas as pd

    from saliency.cli import main as cli_main

    def main(argv):
        """``saliency`` with its printed summaries swallowed (they would bury the tables)."""
        with contextlib.redirect_stdout(io.StringIO()):
            return cli_main(argv)

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        from saliency.data_tools.observers import ObserverModel
        from saliency.data_tools.synth import SynthConfig, generate

        for k, (cond, (rate, noise)) in enumerate(CONDITIONS.items()):
            s = Path(tmp) / f"S{k}"
            obs = ObserverModel() if noise is None else ObserverModel(noise_sd_deg=noise)
            s.mkdir()
            generate(s, SynthConfig(scenes=scenes, subjects=subjects, seed=seed, rate_hz=rate, observer=obs),
                     workers=1, progress=False)
            truth = pd.read_csv(s / "truth" / "fixations.csv")
            for m in DETECTORS:
                d = Path(tmp) / f"{m}{k}"
                assert main(["ingest", str(s / "logs" / "samples.csv"), "--stimuli", str(s / "stimuli"),
                             "--geometry", str(s / "screen.json"), "--out", str(d), "--detector", m, "--no-ioc",
                             "--quiet"]) == 0
                det = pd.read_csv(d / "fixations.csv")
                man = json.loads((d / "dataset.json").read_text())
                one_deg = man["ppd"] / (1080 / 480)  # 640x480 shown at 1440x1080
                out[f"{m} @ {cond}"] = {"matched": round(ev.matched_share(truth, det, one_deg), 3),
                                           "detected": len(det), "true": len(truth)}
            for m in ("ivt", "idt"):
                det = pymovements_fixations(s, m)
                out[f"pymovements {m} @ {cond}"] = {"matched": round(ev.matched_share(truth, det, one_deg), 3),
                                                    "detected": len(det), "true": len(truth)}
    return out


def pymovements_fixations(study: Path, method: str):
    """pymovements' fixations (its defaults) of every trial of a synthetic study, in stimulus pixels."""
    import pandas as pd

    from saliency.data_tools.geometry import ScreenGeometry

    g = json.loads((study / "screen.json").read_text())
    geom = ScreenGeometry(tuple(g["screen_px"]), tuple(g["screen_cm"]), g["distance_cm"])
    place = geom.placement(640, 480, g.get("display", "fit"))
    df = pd.read_csv(study / "logs" / "samples.csv")
    bad = df["valid"].to_numpy() == 0
    df.loc[bad, ["x", "y"]] = np.nan
    rows = []
    for (subj, stim), tr in df.groupby(["subject", "stimulus"], sort=False):
        t = tr["time_ms"].to_numpy(np.float64)
        x, y = tr["x"].to_numpy(np.float64), tr["y"].to_numpy(np.float64)
        for i, j in pymovements_labels(t, x, y, geom, method)[1]:  # its events, not runs of its labels
            sx, sy = place.screen_to_stimulus(np.nanmean(x[i:j + 1]), np.nanmean(y[i:j + 1]))
            rows.append({"subject": subj, "stimulus": stim, "x": float(sx), "y": float(sy),
                         "t_start_ms": t[i], "duration_ms": t[j] - t[i]})
    return pd.DataFrame(rows, columns=["subject", "stimulus", "x", "y", "t_start_ms", "duration_ms"])




RULES = [(r / 100, d, m) for r in range(60, 130, 5) for d in (0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 1.01, 2.0)
         for m in (0.0, 100.0, 150.0, 200.0)]
"""Pursuit rules searched by :func:`pursuit_learnability`: (range > deg, dispersion ratio < d, duration >= ms)."""


def pursuit_learnability(root: str) -> dict:
    """Can the coder's pursuit on still photographs be learnt from the shape of our intersaccadic intervals?

    Every ``nh`` fixation interval gets Larsson et al.'s range and dispersion
    ratio (raw gaze, :func:`data_tools.detection.interval_shape`) and its
    duration. Reported, as pooled fixation kappa over the six trials: the
    oracle (an interval is pursuit when the coder labelled most of it so),
    the best rule of :data:`RULES` chosen on all six trials (in-sample), and
    the same choice made leave-one-trial-out (rule picked on five trials,
    applied to the sixth; an honest estimate).
    """
    files = sorted(glob.glob(str(Path(root) / "images" / "*.mat")))
    trials = []
    for f in files:
        t, x, y, coder, geom = load_lund(f)
        x, y, off = as_detect_reads(x, y, geom)
        lab = D.classify(t, x, y, geom, "nh", offscreen=off).labels.astype(np.int64)
        xd, yd = geom.pixels_to_degrees(x, y)
        ivs = list(zip(*ev.label_runs(lab, FIXATION)))
        feats = []
        for a, b in ivs:
            sh = D.interval_shape(xd[a:b + 1], yd[a:b + 1])
            feats.append((sh["range"], sh["dispersion"], t[b] - t[a], float(np.mean(coder[a:b + 1] == PURSUIT))))
        trials.append((Path(f).name.split("_labelled")[0], lab, coder, ivs, feats))

    def relabel(trial, rule):
        _, lab, _, ivs, feats = trial
        out = lab.copy()
        for (a, b), f in zip(ivs, feats):
            if rule(f):
                out[a:b + 1] = PURSUIT
        return out

    def pooled(pairs):
        return ev.cohen_kappa(np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs]), FIXATION)

    def rule_of(g):
        return lambda f: f[0] > g[0] and f[1] < g[1] and f[2] >= g[2]

    def best(ts):
        return max(RULES, key=lambda g: pooled([(relabel(tr, rule_of(g)), tr[2]) for tr in ts]))

    g_all = best(trials)
    loto, chosen = [], {}
    for i, tr in enumerate(trials):
        g = best(trials[:i] + trials[i + 1:])
        chosen[tr[0]] = g
        loto.append((relabel(tr, rule_of(g)), tr[2]))
    n_purs = sum(f[3] > 0.5 for tr in trials for f in tr[4])
    return {"intervals": sum(len(tr[3]) for tr in trials), "coder_pursuit_intervals": n_purs,
            "none": round(pooled([(tr[1], tr[2]) for tr in trials]), 3),
            "oracle": round(pooled([(relabel(tr, lambda f: f[3] > 0.5), tr[2]) for tr in trials]), 3),
            "in_sample": round(pooled([(relabel(tr, rule_of(g_all)), tr[2]) for tr in trials]), 3),
            "in_sample_rule": g_all, "leave_one_trial_out": round(pooled(loto), 3),
            "loto_rules": chosen}


def main_cli(argv: list[str] | None = None) -> None:
    """Run both parts and print markdown tables; bad options are one line and exit status 2, before either part."""
    from saliency.commands._args import positive_int

    from scratch import ArgumentParser

    ap = ArgumentParser(description=__doc__.split("\n")[0])  # a bad value: one usage line, exit 2, nothing run
    ap.add_argument("--lund", default=str(ROOT.parent / "shared" / "data" / "lund2013_dev"),
                    help="folder of the hand-labelled Lund 2013 trials (default ../shared/data/lund2013_dev)")
    ap.add_argument("--synth-scenes", type=positive_int, default=None, help="scenes of the synthetic study (default 6)")
    ap.add_argument("--synth-subjects", type=positive_int, default=None,
                    help="subjects of the synthetic study (default 4)")
    ap.add_argument("--skip-synth", action="store_true", help="human-labelled data only (no synthetic study)")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    ap.add_argument("--pursuit-cv", action="store_true",
                    help="also: can the coder's pursuit be learnt from interval shape (oracle, in-sample, "
                         "leave-one-trial-out)?")
    a = ap.parse_args(argv)
    given = [f"--{k.replace('_', '-')}" for k in ("synth_scenes", "synth_subjects") if getattr(a, k) is not None]
    if a.skip_synth and given:  # it would be ignored: refused instead
        ap.error(f"{given[0]}: a synthetic-study option; leave it out with --skip-synth (no synthetic study is run)")
    a.synth_scenes = 6 if a.synth_scenes is None else a.synth_scenes
    a.synth_subjects = 4 if a.synth_subjects is None else a.synth_subjects
    from saliency.base.errors import UserError, cli_flag
    from saliency.base.fsutil import check_out_file, write_json

    from scratch import refuse

    if not glob.glob(str(Path(a.lund) / "images" / "*.mat")):
        refuse(f"--lund {a.lund}: {'folder not found' if not Path(a.lund).is_dir() else 'no images/*.mat in it'}; "
               "give the folder of the hand-labelled Lund 2013 trials (lund2013_dev)")
    if a.json:  # before the minutes of work, not after
        try:  # a link (never followed), a folder, a device, a path under a file: one line naming --json
            check_out_file(a.json, "json")
        except UserError as exc:
            refuse(exc.render(cli_flag))
        if not Path(a.json).resolve().parent.is_dir():
            refuse(f"--json {a.json}: folder {Path(a.json).parent} not found; create it or give another path")
    res = {"lund": lund_benchmark(a.lund)}
    if a.pursuit_cv:
        res["pursuit_cv"] = pursuit_learnability(a.lund)
        print("pursuit learnability (pooled fixation kappa):", json.dumps(res["pursuit_cv"]))
    print("| detector | kappa fix (all 6) | tuned 4 | held-out 2 | kappa fix, no pursuit | kappa all classes "
          "| fixation F1 (20 ms) | fixations (coder) |")
    print("|---|---|---|---|---|---|---|---|")
    for m, r in res["lund"].items():
        al, tu, ho = r["all"], r.get("tuned", {}), r.get("held_out", {})
        print(f"| {m} | {al['kappa_fix']:.3f} | {tu.get('kappa_fix', float('nan')):.3f} | "
              f"{ho.get('kappa_fix', float('nan')):.3f} | {al['kappa_fix_no_pursuit']:.3f} | {al['kappa_all']:.3f} "
              f"| {al['f1_fix']:.3f} | {al['n_fix']} ({al['n_fix_coder']}) |")
    if not a.skip_synth:
        res["synth"] = synth_benchmark(a.synth_scenes, a.synth_subjects)
        print("\n| detector | matched true fixations | detected / true |")
        print("|---|---|---|")
        for m, r in res["synth"].items():
            print(f"| {m} | {r['matched']:.1%} | {r['detected']} / {r['true']} |")
    if a.json:
        try:  # written to a temporary file beside it, then renamed (strict JSON: a NaN is null)
            write_json(a.json, res)
        except UserError as exc:  # it became a folder or a link meanwhile
            refuse(exc.render(cli_flag))


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main_cli))

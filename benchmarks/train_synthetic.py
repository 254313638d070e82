"""Acceptance benchmark of ``saliency train``: the default CPU recipe on the synthetic study.

Runs, as a user would type them (each a ``python -m saliency`` subprocess):

  saliency synth --out W/study --scenes 300
  saliency train --data W/study --task sod --out W/run_sod --device cpu        (no other option)
  saliency predict --checkpoint W/run_sod/checkpoints/best.pt --images W/study/stimuli \\
      --list W/run_sod/split.json --out W/pred_sod
  saliency eval --task sod --pred W/pred_sod --gt W/heldout_masks               (held-out scenes only)

and the same for the fixation task on the ingested study
(``saliency ingest W/study/logs/samples.csv ...``), where the trained model is
compared with the dataset's centre-bias map (``D/center_bias.png`` used as the
prediction of every held-out image). Prints the wall time of every step and
the scores; exits 1 when an acceptance threshold is missed (SOD: Fmax >= 0.90,
MAE <= 0.05, training <= 600 s; fixation: CC and NSS above the centre bias).

  python benchmarks/train_synthetic.py --work /tmp/train_bench [--study DIR] [--skip-fixation]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def sh(args: list[str], log: list) -> float:
    """Run ``python -m saliency ARGS``; return its wall time (s)."""
    cmd = [sys.executable, "-m", "saliency", *args]
    print("$ saliency " + " ".join(args), flush=True)
    t0 = time.perf_counter()
    from scratch import run_child

    p = run_child(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise SystemExit(f"step failed ({p.returncode}): saliency {' '.join(args)}")
    tail = [ln for ln in p.stdout.splitlines() if ln.strip()]
    for ln in tail[-14:]:
        print("    " + ln)
    log.append({"cmd": "saliency " + " ".join(args), "seconds": round(dt, 1)})
    print(f"    [{dt:.1f} s]", flush=True)
    return dt


def link_subset(src: Path, dst: Path, stems: list[str]) -> None:
    """dst/<stem>.<ext> -> src files of ``stems`` (symlinks)."""
    dst.mkdir(parents=True, exist_ok=True)
    for s in stems:
        hits = sorted(src.glob(f"{s}.*"))
        if hits:
            os.symlink(hits[0].resolve(), dst / hits[0].name)


def eval_json(pred: Path, gt: Path, task: str, out: Path, log: list) -> dict:
    """Scores of ``pred`` against ``gt`` from ``saliency eval --json``."""
    metrics = "MAE,Fmax,Smeasure,Emax" if task == "sod" else "CC,NSS,KLD,SIM,AUC_Judd"
    sh(["eval", "--task", task, "--pred", str(pred), "--gt", str(gt), "--metrics", metrics, "--json", str(out),
        "--quiet"], log)
    data = json.loads(out.read_text())
    return _first_metrics(data)


def _first_metrics(data) -> dict:
    """The metric dict of the only (dataset, method) pair in an eval JSON."""
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    if isinstance(data, list):
        data = data[0]
    if "metrics" in data:
        data = data["metrics"]
    return {k: v for k, v in data.items() if isinstance(v, (int, float))}


def check_inputs(args) -> None:
    """Refuse a missing ``--study`` or ``--fix-data`` (one line, status 2) before ``--work`` is touched.

    What the steps read: ``--study`` a ``saliency synth`` folder (its ``study.json``), ``--fix-data`` a
    ``saliency ingest`` folder (its ``dataset.json``).
    """
    from scratch import refuse

    for option, path, record, what in (("--study", args.study, "study.json", "a saliency synth folder"),
                                       ("--fix-data", args.fix_data, "dataset.json", "a saliency ingest folder")):
        if path and not (Path(path) / record).is_file():
            refuse(f"{option} {path}: {'folder not found' if not Path(path).is_dir() else f'no {record} in it'}; "
                   f"give {what}, or leave {option} out to write one into --work")


def main() -> int:
    """Run every step of the acceptance benchmark, print and record the scores; 1 when a threshold is missed."""
    from saliency.commands._args import positive_int

    from scratch import ArgumentParser

    ap = ArgumentParser(description=__doc__.splitlines()[0])  # a usage error: one line, exit 2, nothing run
    ap.add_argument("--work", required=True,
                    help="scratch folder (made, or replaced when a benchmark made it; never inside the inputs)")
    ap.add_argument("--study", help="reuse an existing saliency synth folder (300 scenes) instead of generating one")
    ap.add_argument("--fix-data", help="reuse an existing saliency ingest folder of that study")
    ap.add_argument("--scenes", type=positive_int, default=None,
                    help="scenes to generate (default 300; not with --study)")
    ap.add_argument("--skip-fixation", action="store_true", help="SOD only")
    ap.add_argument("--skip-sod", action="store_true", help="fixation only")
    args = ap.parse_args()
    if args.skip_sod and args.skip_fixation:  # ran nothing, checked nothing, and passed
        ap.error("--skip-sod with --skip-fixation: nothing left to run; leave one of them out")
    check_inputs(args)  # the data first: a wrong path stops here, before --work is made or replaced
    if args.study and args.scenes is not None:  # ignored: the study given is used as it is
        ap.error("--scenes: it makes a new study; leave it out with --study (that study is used as it is)")
    if args.fix_data and args.skip_fixation:  # ignored: only the fixation part reads it
        ap.error("--fix-data: the fixation part's data; leave it out with --skip-fixation")
    if args.scenes is None:
        args.scenes = 300
    from scratch import fresh_work

    work = fresh_work(args.work, {"--study": args.study, "--fix-data": args.fix_data})
    log: list = []
    study = Path(args.study) if args.study else work / "study"
    if not args.study:
        sh(["synth", "--out", str(study), "--scenes", str(args.scenes), "--quiet"], log)
    ok = True
    report = {"machine": f"{os.cpu_count()}-core CPU, Python {sys.version.split()[0]}, no GPU", "steps": log}

    if not args.skip_sod:
        run = work / "run_sod"
        t_train = sh(["train", "--data", str(study), "--task", "sod", "--out", str(run), "--device", "cpu"], log)
        split = json.loads((run / "split.json").read_text())
        sh(["predict", "--checkpoint", str(run / "checkpoints" / "best.pt"), "--images", str(study / "stimuli"),
            "--list", str(run / "split.json"), "--out", str(work / "pred_sod"), "--quiet"], log)
        link_subset(study / "masks", work / "heldout_masks", split["val"])
        sod = eval_json(work / "pred_sod", work / "heldout_masks", "sod", work / "sod.json", log)
        good = sod["Fmax"] >= 0.90 and sod["MAE"] <= 0.05 and t_train <= 600
        ok &= good
        report["sod"] = {"train_s": round(t_train, 1), "heldout": len(split["val"]), "train": len(split["train"]),
                         **sod, "pass": good}
        shown = ", ".join(f"{k} {v:.4f}" for k, v in sod.items() if k != "n_images")
        print(f"SOD: train {t_train:.0f} s, held-out {len(split['val'])}: {shown}  -> {'PASS' if good else 'FAIL'}")

    if not args.skip_fixation:
        fix = Path(args.fix_data) if args.fix_data else work / "fix"
        if not args.fix_data:
            sh(["ingest", str(study / "logs" / "samples.csv"), "--stimuli", str(study / "stimuli"),
                "--geometry", str(study / "screen.json"), "--out", str(fix)], log)
        run = work / "run_fix"
        t_train = sh(["train", "--data", str(fix), "--task", "fixation", "--out", str(run), "--device", "cpu"], log)
        split = json.loads((run / "split.json").read_text())
        sh(["predict", "--checkpoint", str(run / "checkpoints" / "best.pt"), "--images", str(fix / "stimuli"),
            "--list", str(run / "split.json"), "--out", str(work / "pred_fix"), "--quiet"], log)
        gt = work / "heldout_fix"
        for sub in ("fixations", "maps"):
            link_subset(fix / sub, gt / sub, split["val"])
        shutil.copy(fix / "center_bias.png", gt / "center_bias.png")
        if (fix / "center_bias.npy").is_file():  # eval's IG baseline, float (ingest writes it beside the PNG)
            shutil.copy(fix / "center_bias.npy", gt / "center_bias.npy")
        cb = work / "pred_centerbias"
        cb.mkdir()
        for s in split["val"]:
            os.symlink((fix / "center_bias.png").resolve(), cb / f"{s}.png")
        model = eval_json(work / "pred_fix", gt, "fixation", work / "fix.json", log)
        base = eval_json(cb, gt, "fixation", work / "fix_cb.json", log)
        good = model["CC"] > base["CC"] and model["NSS"] > base["NSS"]
        ok &= good
        report["fixation"] = {"train_s": round(t_train, 1), "heldout": len(split["val"]), "model": model,
                              "center_bias": base, "pass": good}
        print(f"fixation: train {t_train:.0f} s, held-out {len(split['val'])}")
        for name, m in (("model", model), ("centre bias", base)):
            print(f"  {name:12s} " + ", ".join(f"{k} {v:.4f}" for k, v in m.items() if k != "n_images"))
        print(f"  -> {'PASS' if good else 'FAIL'}")
    (work / "report.json").write_text(json.dumps(report, indent=2))
    print(f"report: {work / 'report.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    from scratch import run_main

    sys.exit(run_main(main))

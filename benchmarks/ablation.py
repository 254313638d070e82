"""Attention ablation: the default SOD recipe with no attention, SE, CBAM and SK, several seeds each.

Each run is ``saliency train --data STUDY --task sod --model unet_tiny_<att>_sod
--seed S --device cpu`` (plus ``--epochs`` when given) on a synthetic study;
the score is the last epoch's validation on the held-out split (MAE, Fmax,
S-measure from :mod:`eval`, identical to ``saliency predict`` + ``saliency
eval`` on those scenes -- see tests/test_train_run.py). The weight
initialisation and the augmentation draw change with the seed; the split
(``data.split_seed``) stays fixed, so the spread is that of training alone.
Prints a markdown table: mean and sample standard deviation over seeds.

The study is either given (``--study S``) or written into the work folder:
``saliency synth --scenes N`` (textured clouds), or with ``--backgrounds DIR``
the same objects rendered onto real photographs (``saliency synth
--backgrounds``, e.g. the OSIE stimuli), where colour contrast alone no
longer finds the object. With ``--real DIR`` (images/ + masks/, e.g.
``../shared/data/sod_real18``) every run's best checkpoint is also scored on
real photographs with real masks (``saliency predict`` + ``saliency eval``),
beside the frequency-tuned contrast method (Achanta, Hemami, Estrada &
Süsstrunk, CVPR 2009; ``saliency.eval.baselines``) on the same images.

The work folder is kept: a run with ``done.json`` is not trained again and a
scored run is not scored again, so an interrupted ablation resumes, and the
table can be printed again at no cost. It records the options and the
contents of ``--study``, ``--backgrounds`` and ``--real`` (a digest): another
input, also one replaced at the same path, is refused with one line. Ctrl-C
ends the running step as its own Ctrl-C does, then the script in one line
(exit status 130); the same command resumes.

  python benchmarks/ablation.py --study S [--epochs E] [--seeds 0,1,2] [--work DIR]
  python benchmarks/ablation.py --backgrounds ../shared/data/osie/stimuli --scenes 600 \\
      --real ../shared/data/sod_real18 --work /tmp/sod_photo

CPU budget of the second form: 4 variants x 3 seeds = 12 trainings of the
default recipe on 600 scenes (12 epochs at 144 x 192, about 5 min each on two
free cores), 30 s of synthesis and a few seconds of scoring per run: about
1 h on 2 cores.
"""

from __future__ import annotations

import csv
import json
import signal
import sys
import time
from pathlib import Path

import numpy as np

from scratch import content_digest, run_child  # the digest --work records of each input (osie.py's too)

REPO = Path(__file__).resolve().parents[1]
KEYS = ("Fmax", "MAE", "Smeasure")


def sh(args: list[str]) -> None:
    """Run ``python -m saliency ARGS`` from the repository; stop with its stderr on failure."""
    print(f"[{time.strftime('%H:%M:%S')}] $ saliency " + " ".join(args), flush=True)
    # Ctrl-C: the command ends as on its own Ctrl-C (Ctrl-C in a terminal reached it too; a `kill -INT` of this
    # script alone is passed on after 10 s), keeping its last checkpoint for the resume; SIGTERM is passed on at
    # once; then this script, in one line (the end of this file)
    p = run_child([sys.executable, "-m", "saliency", *args], cwd=REPO, capture_output=True, text=True, grace=10)
    err = p.stderr
    if p.returncode in (130, -signal.SIGINT):  # the command alone was interrupted: so is the ablation
        raise KeyboardInterrupt
    if p.returncode != 0:
        sys.stderr.write(err[-4000:])
        raise SystemExit(f"step failed ({p.returncode}): saliency {' '.join(args)}")


def real_scores(pred: Path, real: Path, out_json: Path) -> dict:
    """Fmax, MAE and S-measure of ``pred`` against ``real/masks`` (``saliency eval --json``), cached."""
    if not out_json.is_file():
        sh(["eval", "--task", "sod", "--pred", str(pred), "--gt", str(real / "masks"), "--metrics", ",".join(KEYS),
            "--json", str(out_json), "--quiet"])
    doc = json.loads(out_json.read_text())
    return doc["results"][0]["metrics"]


def frequency_tuned(real: Path, out: Path) -> Path:
    """Frequency-tuned saliency maps (Achanta et al. 2009) of ``real/images`` as 8-bit PNGs; skipped when done."""
    import cv2

    from saliency.base.fsutil import staged_dir
    from saliency.eval.baselines import compute_baseline

    if out.is_dir():
        return out
    with staged_dir(out) as stage:
        for p in sorted((real / "images").iterdir()):
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if img is None:
                continue
            m = compute_baseline("frequency-tuned", cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
            m = m / m.max() if m.max() > 0 else m
            cv2.imwrite(str(stage / f"{p.stem}.png"), np.round(m * 255).astype(np.uint8))
    return out


# what the cached steps read of each input: `saliency train --task sod` a synth folder's stimuli/ + masks/ (the split
# from their names; study.json the generator's record), `saliency synth --backgrounds` every photograph in the
# folder, the real-photograph scoring images/ + masks/
READ = {"study": ("study.json", "stimuli", "masks"), "backgrounds": (".",), "real": ("images", "masks")}


def cell(v: list[float]) -> str:
    """``mean ± sample std`` of a list (``± 0`` for one value)."""
    return f"{np.mean(v):.4f} ± {np.std(v, ddof=1) if len(v) > 1 else 0:.4f}"


def check_inputs(args) -> None:
    """Refuse a missing ``--study``, ``--backgrounds`` or ``--real``, or a ``--set`` of a key each run sets itself
    (one line, status 2), before anything is written.

    What the runs read: ``--study`` a ``saliency synth`` folder (its ``study.json``), ``--backgrounds`` a folder
    of photographs, ``--real`` ``images/`` + ``masks/``. Checked before ``--work`` records them as settings.
    """
    from scratch import refuse

    from saliency.base.images import is_image

    if args.study:
        study = Path(args.study)
        if not (study / "study.json").is_file():
            refuse(f"--study {args.study}: {'folder not found' if not study.is_dir() else 'no study.json in it'}; "
                   "give a saliency synth folder, or leave --study out to write one into --work")
    if args.backgrounds:
        bg = Path(args.backgrounds)
        if not (bg.is_dir() and any(p.is_file() and is_image(p.name) for p in bg.iterdir())):
            refuse(f"--backgrounds {args.backgrounds}: "
                   f"{'folder not found' if not bg.is_dir() else 'no image files (png, jpg, ...) in it'}; "
                   "give a folder of photographs (e.g. ../shared/data/osie/stimuli)")
    # the keys every run's `saliency train` command sets itself: a --set of one of them (or of its section) would
    # be refused by each run after the study is written (a key set twice); refused here, before any work
    own = {"data.root": "--study", "task": "the task (sod)", "model": "--attentions", "train.seed": "--seeds",
           "train.device": "the device (cpu)"}
    if getattr(args, "epochs", None):
        own["train.epochs"] = "--epochs"
    for kv in getattr(args, "set", None) or []:
        key = kv.split("=", 1)[0].strip()
        if "=" not in kv or not key:
            refuse(f"--set {kv}: give KEY=VALUE (a saliency train config key), e.g. --set optim.lr=0.001")
        hit = next((k for k in own if k == key or k.startswith(key + ".")), None)
        if hit:
            refuse(f"--set {kv}: every run sets {hit} itself (from {own[hit]}); leave it out"
                   + (" and use --epochs" if hit == "train.epochs" else ""))
    if args.real:
        real = Path(args.real)
        if not ((real / "images").is_dir() and (real / "masks").is_dir()):
            refuse(f"--real {args.real}: {'folder not found' if not real.is_dir() else 'needs images/ and masks/'}; "
                   "give a folder of photographs and their masks (e.g. ../shared/data/sod_real18)")


def main(argv: list[str] | None = None) -> int:
    """Train (or resume) every variant and seed, score them, print the table."""
    from saliency.commands._args import positive_int

    from scratch import ArgumentParser, attention_list, attentions_of, seed_list, seeds_of

    ap = ArgumentParser(description=__doc__.splitlines()[0])  # a bad value: one usage line, exit 2, nothing run
    ap.add_argument("--study", help="saliency synth folder (default: write one into the work folder)")
    ap.add_argument("--scenes", type=positive_int, default=None,
                    help="scenes of the study written here (default: 300; not with --study)")
    ap.add_argument("--backgrounds", help="render the study's objects onto these photographs (saliency synth "
                                          "--backgrounds; not with --study)")
    ap.add_argument("--real", help="also score every run on these real photographs (images/ + masks/)")
    ap.add_argument("--work", default="/tmp/saliency_ablation", help="work folder (kept; finished runs are skipped)")
    ap.add_argument("--epochs", type=positive_int, help="epochs per run (default: the recipe's)")
    ap.add_argument("--seeds", type=seed_list, default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    ap.add_argument("--attentions", type=attention_list, default="none,se,cbam,sk",
                    help="attention variants, each a model unet_tiny_<att>_sod (default none,se,cbam,sk)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="extra saliency train --set overrides for every run (repeatable)")
    args = ap.parse_args(argv)
    check_inputs(args)  # the data first: a wrong path stops here, before --work records it as a setting
    # the options that build the study would be ignored with --study (its header even named the backgrounds)
    given = [f"--{k}" for k in ("scenes", "backgrounds") if getattr(args, k) is not None]
    if args.study and given:
        ap.error(f"{given[0]}: it makes a new study; leave it out with --study (that study is used as it is)")
    if args.scenes is None:
        args.scenes = 300
    for name in ("study", "backgrounds", "real", "work"):  # the commands run in the repository: absolute paths
        if getattr(args, name):
            setattr(args, name, str(Path(getattr(args, name)).resolve()))
    from scratch import resumable_work

    # what the cached study and runs depend on (attentions and seeds only add runs of their own names)
    # the inputs' contents too: a study replaced at the same path reused the old study's runs under its name
    settings = {"study": args.study, "scenes": None if args.study else args.scenes, "backgrounds": args.backgrounds,
                "epochs": args.epochs, "set": args.set, "real": args.real}
    settings.update({f"{k}_sha256": content_digest(Path(getattr(args, k)), parts) if getattr(args, k) else None
                     for k, parts in READ.items()})
    work = resumable_work(args.work, settings)
    study = Path(args.study) if args.study else work / "study"
    if not args.study and not (study / "study.json").is_file():
        cmd = ["synth", "--out", str(study), "--scenes", str(args.scenes), "--subjects", "1", "--quiet",
               "--overwrite"]
        if args.backgrounds:
            cmd += ["--backgrounds", args.backgrounds]
        sh(cmd)
    real = Path(args.real) if args.real else None
    seeds = seeds_of(args.seeds)
    table, real_table = {}, {}
    for att in attentions_of(args.attentions):
        vals = {k: [] for k in KEYS}
        rvals = {k: [] for k in KEYS}
        secs = []
        for seed in seeds:
            run = work / f"{att}_s{seed}"
            done = run / "done.json"
            if not done.is_file():
                cmd = ["train", "--data", str(study), "--task", "sod", "--model", f"unet_tiny_{att}_sod", "--seed",
                       str(seed), "--out", str(run), "--device", "cpu", "--quiet", "--overwrite"]
                if not any(kv.split("=", 1)[0].strip() == "train.grid_images" for kv in args.set):
                    cmd += ["--set", "train.grid_images=0"]  # no sample grids, unless asked (a key once: --set)
                if args.epochs:
                    cmd += ["--epochs", str(args.epochs)]
                for kv in args.set:
                    cmd += ["--set", kv]
                if (run / "checkpoints" / "last.pt").is_file():  # an interrupted run: continue it
                    cmd = ["train", "--resume", str(run), "--quiet"] + (["--epochs", str(args.epochs)] if args.epochs
                                                                         else [])
                t0 = time.perf_counter()
                sh(cmd)
                done.write_text(json.dumps({"train_s": round(time.perf_counter() - t0, 1)}) + "\n")
            secs.append(json.loads(done.read_text())["train_s"])
            with open(run / "metrics.csv", newline="") as fh:
                last = list(csv.DictReader(fh))[-1]
            for k in KEYS:
                vals[k].append(float(last[k]))
            line = f"{att} seed {seed}: " + ", ".join(f"{k} {vals[k][-1]:.4f}" for k in KEYS)
            if real is not None:
                pred = work / "pred_real" / run.name
                if not pred.is_dir():
                    sh(["predict", "--checkpoint", str(run / "checkpoints" / "best.pt"), "--images",
                        str(real / "images"), "--out", str(pred), "--device", "cpu", "--quiet"])
                got = real_scores(pred, real, work / "eval_real" / f"{run.name}.json")
                for k in KEYS:
                    rvals[k].append(float(got[k]))
                line += f"; real: " + ", ".join(f"{k} {rvals[k][-1]:.4f}" for k in KEYS)
            print(line + f" ({secs[-1]:.0f} s)", flush=True)
        table[att] = (vals, float(np.mean(secs)))
        real_table[att] = rvals
    try:  # the study's own record, also for a study passed with --study
        bg = json.loads((study / "study.json").read_text(encoding="utf-8")).get("backgrounds")
    except (OSError, ValueError):
        bg = args.backgrounds
    kind = f"objects on photographs from {bg}" if bg else "textured clouds"
    print(f"\nstudy: {study} ({kind}); held-out split of the study, last epoch")
    print(f"\n| attention | " + " | ".join(KEYS) + " | train s/run |")
    print("|---|" + "---:|" * (len(KEYS) + 1))
    for att, (vals, sec) in table.items():
        print(f"| {att} | " + " | ".join(cell(v) for v in vals.values()) + f" | {sec:.0f} |")
    print(f"\nmean ± sample std over seeds {args.seeds}")
    if real is not None:
        ft = real_scores(frequency_tuned(real, work / "pred_real" / "frequency_tuned"), real,
                         work / "eval_real" / "frequency_tuned.json")
        n = len(list((real / "masks").iterdir()))
        print(f"\nreal photographs: {real} ({n} images), best checkpoint of each run")
        print("\n| method | " + " | ".join(KEYS) + " |")
        print("|---|" + "---:|" * len(KEYS))
        print("| frequency-tuned (Achanta et al. 2009) | " + " | ".join(f"{ft[k]:.4f}" for k in KEYS) + " |")
        for att, rvals in real_table.items():
            print(f"| unet_tiny_{att}_sod | " + " | ".join(cell(v) for v in rvals.values()) + " |")
    return 0


if __name__ == "__main__":
    from scratch import run_main

    # Ctrl-C ends as the toolkit's commands do: one line, exit status 130
    sys.exit(run_main(main, interrupted="finished runs stay in --work (the same command resumes)"))

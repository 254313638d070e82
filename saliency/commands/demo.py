"""``saliency demo``: synth -> ingest -> train -> predict -> eval -> report, in one command."""

from __future__ import annotations

from saliency.commands._args import add_quiet, positive_int
from saliency.commands import _args

NAME = "demo"
ORDER = 5
HELP = "the whole path on a synthetic study: synth, ingest, train, predict, eval, report (what `make demo` runs)"
DESCRIPTION = """The whole path, from raw gaze to benchmark table, on a fresh synthetic study.

  saliency demo                      (into runs/demo/; under 10 minutes on 2 CPU cores)
  saliency demo --quick              (a smaller study and shorter training: under 2 minutes)
  saliency demo --out my_demo --device cuda

Stages, each the subcommand a user would type (printed as it runs; the report
is built by the library call behind saliency report, with the demo's summary):
  synth     a free-viewing study: scenes, SOD masks, raw samples, EyeLink and Tobii exports
  ingest    the three exports to fixation datasets (raw samples with the default nh detector), and a check
            that their maps agree (Pearson CC per stimulus)
  train     a small SOD model (scenes + masks) and a small fixation model (ingested maps),
            on CPU, or on the GPU when there is one
  predict   maps of the held-out scenes (train's fixed 20 % split, data.split_seed 0: neither run trained on them)
  eval      SOD and fixation metrics of the held-out scenes, the dataset's centre-bias map
            alongside as the baseline
  report    OUT/report/report.md and a self-contained OUT/report/report.html

It ends with the key figures, the report's path and the `saliency eval` commands
that reproduce the tables. Finished stages are recorded in OUT/demo.json:
after Ctrl-C, the same command continues where it stopped (an interrupted
training run resumes from its last.pt); --fresh starts over."""


def add_arguments(p) -> None:
    """Options of ``saliency demo``."""
    p.add_argument("--out", default="runs/demo", metavar="DIR", help="demo folder (default: runs/demo)")
    p.add_argument("--quick", action="store_true",
                   help="smaller study (64 scenes, 8 observers, 400x300) and 7 epochs: a first look in under 2 minutes")
    p.add_argument("--fresh", action="store_true", help="discard the finished stages in --out and start over")
    p.add_argument("--device", type=_args.device, default="auto", metavar="DEV",
                   help="auto (the GPU when there is one), cpu, cuda, cuda:N or mps (default auto)")
    g = p.add_argument_group("size of the demo (override the profile; a changed size needs --fresh)")
    g.add_argument("--scenes", type=_args.int_range(1, _args.SCENES_MAX), metavar="N",
                   help="scenes in the study (default 200; --quick 64)")
    g.add_argument("--subjects", type=_args.int_range(1, _args.SUBJECTS_MAX), metavar="K",
                   help="observers (default 12; --quick 8)")
    g.add_argument("--epochs", type=positive_int, metavar="E", help="training epochs of each model (default 8; "
                                                                      "--quick 7)")
    g.add_argument("--seed", type=_args.seed, help="seed of the study and the training (default 1); the held-out "
                   "split stays train's fixed one (data.split_seed 0)")
    add_quiet(p, "no progress output from the stages (their commands run with --quiet)")


def call(command: str, argv: list[str]) -> int:
    """Run ``saliency COMMAND ARGV`` in this process, parsed by that command's own parser."""
    import argparse
    import importlib

    from saliency.base.errors import UserError

    mod = importlib.import_module(f"saliency.commands.{command}")
    parser = argparse.ArgumentParser(prog=f"saliency {command}")
    mod.add_arguments(parser)
    args = parser.parse_args(argv)
    args.command = command
    try:
        return int(mod.run(args) or 0)
    except UserError as exc:  # spell the stage's own renamed flags now; the rest as saliency.cli does
        flags = getattr(mod, "PARAM_FLAGS", None)
        if not flags:
            raise
        raise UserError(exc.render(lambda param: flags.get(param, f"`{param}`"))) from exc


def run(args) -> int:
    """Run the stages that are not done yet and print the key figures."""
    import time
    from pathlib import Path

    from saliency.demo import Demo, make_profile

    profile = make_profile(args.quick, scenes=args.scenes, subjects=args.subjects, epochs=args.epochs, seed=args.seed)
    out = Path(args.out)
    t0 = time.perf_counter()
    demo = Demo(out, profile, device=args.device, fresh=args.fresh, log=lambda s: print(s, flush=True),
                call=lambda command, argv: call(command, argv), quiet=args.quiet, claim=True)
    try:  # the folder is this demo's until it ends: a second demo into it is refused (Demo._claim)
        return _run(demo, out, profile, args, t0)
    finally:
        demo.release()


def _header(profile, device: str, out) -> str:
    """The demo's first line: the study and training it runs, counted in correct English (``1 epoch``)."""
    from saliency.eval.tables import counted

    return (f"saliency demo: {counted(profile.scenes, 'scene')}, {counted(profile.subjects, 'observer')}, "
            f"{profile.width}x{profile.height}, {counted(profile.epochs, 'epoch')} per model, device {device}, "
            f"into {out}/")


def _run(demo, out, profile, args, t0) -> int:
    """The claimed demo: clear a killed run's staging, run the stages, print the key figures."""
    import shlex
    import sys
    import time

    from saliency.demo import Interrupted, clear_partials, device_label

    clear_partials(out)  # only under the folder's lock: a live demo's staging folders are not a killed run's
    print(_header(profile, device_label(args.device), out), flush=True)
    try:
        state = demo.run()
    except Interrupted as exc:
        print(f"saliency demo: interrupted during stage {exc.stage}; the finished stages are kept in {out}/. "
              "Run the same command again to continue.", file=sys.stderr)
        return exc.code
    took = time.perf_counter() - t0
    total = sum(v.get("seconds", 0) for v in state["stages"].values())
    print()
    reused = [k for k, v in state["stages"].items() if v.get("run") != demo.run_id]
    again = f"; {len(reused)} stages reused from an earlier run ({total:.0f} s of stages in all)" if reused else ""
    print(f"saliency demo: done in {took:.0f} s{again}; everything is in {out}/")
    for line in demo.summary_lines():
        print("  " + line)
    print(f"  Report: {out / 'report' / 'report.html'} (and report.md)")
    print("  The tables above, reproduced:")
    for task in ("sod", "fixation"):
        print("    saliency eval " + shlex.join(demo.eval_argv(task)))
    return 0

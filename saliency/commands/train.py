"""``saliency train``: train a saliency network on an SOD or fixation dataset."""

from __future__ import annotations

from saliency.base.errors import UserError
from saliency.commands._args import add_quiet, positive_int
from saliency.commands import _args

NAME = "train"
ORDER = 30
#: library parameters whose flag is not their cli_flag spelling (saliency.config, saliency.train.prepare_run)
PARAM_FLAGS = {"config_file": "--config", "overrides": "--set"}
#: options that read a folder: a file given there is refused as one (saliency.cli)
FOLDERS = ("data", "root", "resume")
HELP = "train a network (SOD or fixation) on CPU or GPU; resumable, DDP with torchrun"
DESCRIPTION = """Train a registered network on a dataset folder; write a run folder.

  saliency train --data S --task sod --out runs/sod            (S from saliency synth)
  saliency train --data D --task fixation --out runs/fix       (D from saliency ingest)
  saliency train --dataset OSIE --root ../shared/data --task fixation --out runs/osie
                                                               (OSIE's 500 training images, maps from raw fixations)
  saliency train --data DUTS --task sod --model unet_resnet50_cbam_sod --pretrained \\
      --epochs 30 --batch-size 12 --set data.size=[320,320] --out runs/duts --device cuda
  torchrun --nproc_per_node 4 -m saliency train --config recipe.yaml --out runs/ddp
  saliency train --resume runs/sod --epochs 20                 (continue, to 20 epochs)

--data: SOD = stimuli/ + masks/ (synth), images/ + masks/, or a published layout
(DUTS-TR, ECSSD, ...); fixation = a saliency ingest folder, MIT1003, CAT2000,
SALICON (images/train + maps/train) or stimuli/ + maps/. Without a validation
folder (data.val) a seeded share (data.val_fraction) is held out; the ids are in
RUN/split.json. The defaults are the small-model CPU recipe: see
--print-config for every key and its default; change keys with --config FILE
and --set KEY=VALUE (e.g. --set optim.lr=3e-4 --set sched.name=poly).

RUN/config.yaml (resolved), RUN/metrics.csv (per epoch), RUN/checkpoints/last.pt
and best.pt, RUN/grids/epoch_NNN.png (input | truth | prediction), RUN/tensorboard/
when tensorboard is installed. Ctrl-C or SIGTERM writes last.pt and stops (exit
130/143); a NaN/inf loss stops with exit code 3 naming the step and the last good
checkpoint; a new run that fails before its first checkpoint removes what it wrote. --deterministic: bit-identical reruns and resumes on CPU."""


def add_arguments(p) -> None:
    """Options of ``saliency train``."""
    from saliency.config import WORKERS_MAX  # data.workers' ceiling, so --force-workers and the config agree

    p.add_argument("--data", metavar="DIR", help="training dataset folder (data.root)")
    p.add_argument("--dataset", metavar="NAME", help="a published dataset under --root, e.g. OSIE (maps built "
                                                     "from its raw fixations; data.dataset); see "
                                                     "saliency eval --list-datasets")
    p.add_argument("--root", metavar="DIR", help="with --dataset: the folder holding the dataset's folder as "
                                                 "distributed, or that folder itself (data.root)")
    p.add_argument("--split", choices=["train", "test"],
                   help="with --dataset: the part of its documented split to train on (data.split; OSIE: "
                        "eval/splits/osie.json, default train)")
    p.add_argument("--task", choices=["sod", "fixation"], help="what to train (task; default sod)")
    p.add_argument("--model", metavar="NAME", help="registered model (default: unet_tiny_cbam_<task>); "
                                                   "see --list-models")
    p.add_argument("--pretrained", action="store_true", default=None,
                   help="load ImageNet encoder weights (timm encoders; pretrained)")
    p.add_argument("--pretrained-file", metavar="FILE",
                   help="with or without --pretrained: the encoder's ImageNet weights from this timm "
                        ".safetensors/.pth file instead of the Hugging Face hub, e.g. offline (pretrained_file)")
    p.add_argument("--epochs", type=positive_int, metavar="E", help="epochs (train.epochs; with --resume: "
                                                                      "the new total)")
    p.add_argument("--batch-size", type=positive_int, metavar="B", help="images per step and process "
                                                                         "(train.batch_size)")
    p.add_argument("--lr", type=_args.finite_positive_float, metavar="LR", help="peak learning rate (optim.lr)")
    p.add_argument("--device", type=_args.device, metavar="DEV", help="auto, cpu, cuda, cuda:N or mps (train.device)")
    p.add_argument("--workers", type=_args.int_range(0, WORKERS_MAX, "workers"), metavar="N",
                   help="DataLoader worker processes (data.workers; at most the number of CPUs unless --force-workers)")
    _args.add_force_workers(p)
    _args.add_max_pixels(p)
    p.add_argument("--seed", type=_args.seed, help="random seed (train.seed)")
    p.add_argument("--deterministic", action="store_true", default=None,
                   help="deterministic algorithms and seeded workers (train.deterministic)")
    p.add_argument("--out", metavar="RUN", help="run folder to create")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a non-empty --out folder once the new run has finished; stopped before "
                        "(Ctrl-C, an error), the old run is put back and nothing of the new one is kept")
    p.add_argument("--resume", metavar="RUN", help="continue the run in RUN from its checkpoints/last.pt")
    p.add_argument("--config", metavar="FILE", help="YAML file with config keys (see --print-config)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="set one config key, dotted (repeatable), e.g. --set optim.lr=3e-4; a key also given "
                        "by its flag (--lr) or another --set is refused")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved config (or, alone, every key with its default) and exit")
    p.add_argument("--list-models", action="store_true", help="list the registered models and exit")
    add_quiet(p, "no progress bar or per-epoch lines")


def _flags(args) -> dict:
    if args.data and args.root:
        raise UserError("give --data DIR (a dataset folder) or --dataset NAME --root DIR, not both --data and --root")
    return {"data.root": args.data or args.root, "data.dataset": args.dataset, "data.split": args.split,
            "task": args.task, "model": args.model,
            # --pretrained as typed: --pretrained-file alone sets it too (saliency.config.build_config), and a
            # refusal of both names both
            "pretrained": args.pretrained, "pretrained_file": args.pretrained_file,
            "train.epochs": args.epochs, "train.batch_size": args.batch_size, "optim.lr": args.lr,
            "train.device": args.device, "data.workers": args.workers, "train.seed": args.seed,
            "train.deterministic": args.deterministic}


def _check_workers(cfg: dict, args) -> None:
    """``data.workers`` from a config file or ``--set`` capped at the CPUs as ``--workers`` is (unless --force-workers).

    The flag is checked as it is parsed; a value from elsewhere was taken up to
    the config's ceiling, 1024 DataLoader processes on a 2-CPU machine. Room for the workers' open files is made
    (:func:`saliency.runtime.open_files_short`), or refused naming ``--workers`` or ``data.workers`` as given.
    """
    from saliency.runtime import open_files_refusal, open_files_short

    origin = "(data.workers from the config: --config, --set or the resumed run's)"
    why = _args.workers_over_cap(cfg["data"]["workers"], args.force_workers) if args.workers is None else None
    if why:
        raise UserError(f"data.workers {why} {origin}")
    if args.workers is None and args.force_workers and cfg["data"]["workers"] <= _args.max_workers():
        # the bare flag was left to this check (commands._args.WORKERS_FROM_CONFIG): it lifts nothing here
        raise UserError(f"--force-workers: data.workers {cfg['data']['workers']} (from the config: --config, --set "
                        f"or the resumed run's) is within this machine's cap of {_args.max_workers()}; leave it out")
    n = cfg["data"]["workers"]
    short = open_files_short(n)  # before the data is read (OSIE's maps take a minute), named as it was given
    if short is not None:
        name = "--workers" if args.workers is not None else "data.workers"
        head = f"--workers {n}" if args.workers is not None else f"data.workers {n} {origin}"
        raise UserError(open_files_refusal(head, name, n, short))


#: what --list-models and --print-config accept beside them: --quiet (taken by every command) and the top-level
#: parser's own (as predict --list-baselines does)
_INFO_ALONE_EXCEPT = ("quiet", "debug", "command")
#: what --print-config does not use: the run folder's options and the limits of a run (it reads no image and
#: starts no worker); every other option changes the config it prints (--resume: the run's config is printed)
_NOT_PRINTED = ("out", "overwrite", "max_pixels", "force_workers", "list_models")


def _typed(k: str, v) -> list[str]:
    """Option ``k`` (its dest) with value ``v`` as typed: ``--epochs 3``, ``--overwrite``, one ``--set X`` each."""
    flag = {"overrides": "--set"}.get(k, f"--{k.replace('_', '-')}")
    if v is True:
        return [flag]
    return [f"{flag} {x}" for x in v] if isinstance(v, list) else [f"{flag} {v}"]


def _unused_with(args, mode: str) -> list[str]:
    """The options given with ``--list-models`` or ``--print-config`` (``mode``) that it does not use.

    Every option of the command defaults to None, False or [] (``--set``), so any other value was typed.
    ``--force-workers`` counts with --print-config only as a bare flag: beside a ``--workers`` above the CPUs it
    lets that count be printed.
    """
    keys = [k for k in vars(args) if not k.startswith("_") and k not in _INFO_ALONE_EXCEPT and k != mode]
    if mode == "print_config":
        keys = [k for k in keys if k in _NOT_PRINTED and not (k == "force_workers" and args.workers is not None)]
    # `is not False`, not `not in (None, False, [])`: a typed 0 (--seed 0, --workers 0) equals False
    return [t for k in keys if _given(getattr(args, k)) for t in _typed(k, getattr(args, k))]


def _given(v) -> bool:
    """Whether an option's value was typed: its default is None, False or [] (``--set``)."""
    return v is not None and v is not False and not (isinstance(v, list) and not v)


def _refuse_unused(args) -> None:
    """Refuse in one line the options ``--list-models`` or ``--print-config`` would take and ignore."""
    mode = "list_models" if args.list_models else "print_config" if args.print_config else None
    given = _unused_with(args, mode) if mode else []
    if given:
        it = "it" if len(given) == 1 else "them"
        does = ("it only prints the registered model names" if mode == "list_models"
                else "it only prints the config; nothing is trained or written")
        raise UserError(f"{', '.join(given)}: not used with --{mode.replace('_', '-')} ({does}); leave {it} out")


def run(args) -> int:
    """Run ``saliency train``: resolve the config and run folder (:func:`saliency.train.prepare_run`), train, print."""
    import sys

    _refuse_unused(args)
    if args.list_models:
        from saliency import models
        print("\n".join(models.list_models()))
        return 0
    from saliency import config as C
    from saliency.base.fsutil import terminate_raises
    from saliency.train import Interrupted, Trainer, prepare_run, release_run, restore_replaced

    # --overwrite sets the old run aside; any failure or SIGTERM before the new run's first checkpoint puts it back
    with terminate_raises():
        try:
            cfg, run_dir = prepare_run(_flags(args), config_file=args.config, overrides=args.overrides,
                                       out=args.out, resume=args.resume, overwrite=args.overwrite,
                                       create=not args.print_config, check=lambda c: _check_workers(c, args),
                                       data_param="root" if args.root else "data" if args.data else None)
            if args.print_config:
                # the commented defaults when nothing changed them (every flag counts: --epochs, --lr, ...)
                defaults_only = not args.resume and cfg == C.validate(C.default_config())
                sys.stdout.write(C.DEFAULT_YAML if defaults_only else C.dump_yaml(cfg))
                return 0
            trainer = Trainer(cfg, run_dir, resume=bool(args.resume), progress=not args.quiet)
            summary = trainer.fit()
        except Interrupted as exc:
            print(f"saliency train: {exc}", file=sys.stderr)
            return 128 + int(exc.signum)
        finally:
            release_run(args.resume or args.out)  # a no-op once the trainer released it
            if args.out and not args.resume:
                restore_replaced(args.out)  # a no-op once the trainer took the old run over
    if trainer.info.is_main:  # the results, --quiet or not (it silences the progress: _args.add_quiet)
        best = summary["best_value"]
        from saliency.eval.tables import counted

        print(f"trained {counted(summary['epochs'], 'epoch')} ({counted(summary['steps'], 'step')}) on "
              f"{counted(summary['train_images'], 'image')} [{summary['layout']}], "
              f"validated on {summary['val_images']}")
        for n in summary["notes"]:
            print(f"  note: {n}")
        if best is not None:
            print(f"best {summary['best_metric']} {best:.4f} at epoch {summary['best_epoch']}: "
                  f"{run_dir / 'checkpoints' / 'best.pt'}")
        print(f"run folder: {run_dir}/")
    return 0

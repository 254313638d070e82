"""The training loop behind ``saliency train``.

After torchvision's ``references/segmentation/train.py`` (``get_dataset``,
``train_one_epoch``, ``evaluate``, a complete checkpoint), with what a lab
needs on top:

- one YAML config (:mod:`saliency.config`), written resolved to the run;
- AdamW/SGD, warm-up + cosine/poly (:mod:`saliency.optim`), gradient
  accumulation and clipping, optional EMA of the weights;
- on CUDA: bf16 autocast (no GradScaler needed; float32 on a GPU without bf16), channels_last,
  ``cudnn.benchmark``, optional ``torch.compile``; on CPU float32 (bf16
  autocast on request); torch's process-wide settings (threads, cudnn,
  TF32, deterministic algorithms) hold only for the run
  (:func:`saliency.runtime.torch_settings` restores them);
- DDP under torchrun (:mod:`saliency.distributed`; NCCL on GPUs, gloo on CPU);
  only rank 0 writes; BatchNorm statistics are averaged over the ranks at the
  end of each epoch (and when an interrupted run saves), not broadcast from
  rank 0 at every step, so a resumed run continues as an uninterrupted one;
- validation each epoch with ``eval`` (:mod:`saliency.validate`), best
  checkpoint by a chosen metric, ``metrics.csv``, a PNG grid per epoch,
  TensorBoard events when tensorboard is installed;
- exact resume (model, optimiser, scheduler, EMA, RNG states, the position
  inside an interrupted epoch); SIGINT/SIGTERM write ``last.pt`` at the next
  optimiser step and stop (one found once the last epoch is saved lets the run
  finish: it is complete); a NaN/inf loss stops naming the step and the last
  good checkpoint.

Run folder::

    RUN/config.yaml  RUN/split.json  RUN/metrics.csv  RUN/grids/epoch_NNN.png
    RUN/checkpoints/last.pt  RUN/checkpoints/best.pt  RUN/tensorboard/
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import time
from pathlib import Path

import numpy as np

from saliency import __version__
from saliency.base import runlock
from saliency.base.errors import UserError
from saliency.runtime import (MetricsLog, Signals, clean_error, cpu_threads, data_names, inference_bf16, make_loader,
                              open_tensorboard, precision_plan, prepare_data, resolve_device, seed_all, threads_note,
                              train_settings)

__all__ = ["Trainer", "TrainingStopped", "Interrupted", "precision_plan", "resolve_device", "cpu_threads",
           "prepare_run", "restore_replaced", "RESUME_KEYS"]

CKPT_DIR = runlock.CKPT_DIR

#: Config keys a resumed run may change (with ``overrides``); everything else is the run's own config.
#: ``train.deterministic`` (``--deterministic``) only chooses torch's algorithms and threads, no state of the
#: checkpoint, so the flag is taken on resume as ``--set train.deterministic=true`` is.
RESUME_KEYS = ("train.epochs", "train.device", "data.workers", "data.root", "train.deterministic")

#: Config keys ``overrides`` may change on resume: where and how the run computes, not what it trains
#: (the model, optimiser, schedule shape, loss, data split, size and augmentation are the checkpoint's:
#: changing them would train on with the old state while config.yaml said otherwise).
RESUME_CHANGEABLE = RESUME_KEYS + ("train.amp", "train.channels_last", "train.compile", "train.threads",
                                   "train.tensorboard", "train.grid_images", "train.val_every", "train.best_metric",
                                   "sched.epochs", "data.val", "data.cache")


#: the last.pt :func:`_checkpoint_own` read for ``prepare_run(resume=RUN, create=True)``, kept for the
#: :class:`Trainer` of that run to restore from rather than read (hundreds of MB for a ResNet-50 run) a second time:
#: ``{resolved path: (_file_key, checkpoint)}``, one at most. ``Trainer.setup`` takes it out (whether it uses it or
#: not: a file changed since is read again); a refused resume, :func:`release_run` and :func:`restore_replaced` (a
#: run given up before its Trainer) drop it.
_HELD_CKPT: dict[Path, tuple[tuple, dict]] = {}


def _file_key(path: Path) -> tuple | None:
    """``(st_mtime_ns, st_ctime_ns, st_size, st_ino, st_dev)`` of ``path``, or None when it cannot be stat'ed: the
    ctime moves on any write or ``os.utime``, so a file rewritten in place with its old mtime put back (``cp -p``
    onto it) is a changed file (review RR3)."""
    import os

    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


def _held_key(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def _take_held(path: Path) -> dict | None:
    """The checkpoint :func:`_checkpoint_own` read at ``path``, if the file is unchanged since; else None. Nothing
    is kept either way."""
    held = _HELD_CKPT.pop(_held_key(path), None)
    _HELD_CKPT.clear()
    if held is None or held[0] != _file_key(path):
        return None
    return held[1]


def _drop_held(run) -> None:
    """Forget the last.pt :func:`_checkpoint_own` kept for ``run``: no Trainer of it will take it."""
    if run is not None:
        _HELD_CKPT.pop(_held_key(Path(run) / CKPT_DIR / "last.pt"), None)


def _new_partial() -> dict:
    """The running sums of an epoch that ``last.pt`` carries across an interruption: loss, images, seconds; and
    ``lr``, the rate of the epoch's last optimiser step so far (metrics.csv's lr)."""
    return {"loss_sum": 0.0, "n": 0, "seconds": 0.0, "images": 0, "lr": None}


def _flat(cfg: dict, prefix: str = "") -> dict:
    """``{"a.b": value}`` of a nested config."""
    out = {}
    for k, v in cfg.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def prepare_run(flags: dict | None = None, *, config_file: str | None = None, overrides=(), out=None,
                resume=None, overwrite: bool = False, create: bool = True,
                check=None, data_param: str | None = None) -> tuple[dict, Path | None]:
    """The resolved config and the run folder of one training run (what ``saliency train`` does before training).

    ``flags`` maps dotted config keys to values (None = unset), as
    :func:`saliency.config.build_config` takes them. A new run: the config is
    defaults <- ``config_file`` <- ``flags`` and ``overrides`` (a key set by
    both, or by two overrides, is refused), and with
    ``create`` the folder ``out`` is checked (a non-empty one is refused
    unless ``overwrite``; a link, a folder holding links, or one that is,
    holds or lies inside ``data`` is always refused; only process rank 0
    touches it under torchrun). ``overwrite`` claims the old run first, then
    moves it aside to a hidden sibling and leaves ``out`` holding only this
    process's lock (:func:`_set_aside_claimed`): the :class:`Trainer` of ``out``
    deletes the old run once the new one has finished, and puts it back if
    the new run fails or is interrupted before that (an unfinished run never
    replaces a finished one). ``resume``: the run folder to continue in place; its
    ``config.yaml`` is the base, and only :data:`RESUME_KEYS` and
    ``overrides`` of :data:`RESUME_CHANGEABLE` may change (anything else is
    refused before the run is touched), compared with the config ``last.pt``
    trained with: a hand edit of config.yaml to another key is refused too. ``create=False`` (print the config only)
    checks and writes nothing of ``out``, nor that the data folders exist.
    ``check``, when given, is called with the resolved config before the run
    folder is touched (``saliency train``: the CPU cap of ``data.workers``). Errors name the parameters in
    backticks (``saliency train`` spells ``config_file`` ``--config`` and
    ``overrides`` ``--set``). ``data_param``: the parameter that gave ``flags``' ``data.root`` as the caller
    typed it (``data`` or ``root``), named by a refusal of that folder; None: ``root`` when the resolved config names
    a published dataset, else ``data``.
    """
    import os

    from saliency import config as C

    flags = dict(flags or {})
    if resume:
        from saliency.base.fsutil import check_not_link

        run_dir = check_not_link(resume, "resume")  # a run is never continued (written) through a link
        if out and Path(out) != run_dir:
            raise UserError("`resume` RUN continues RUN in place; leave out `out`")
        if overwrite:  # it replaces an `out` folder; a resumed run is continued, never replaced
            raise UserError("`overwrite` is not used with `resume` (RUN is continued in place, nothing is "
                            "replaced); leave it out, or start a new run with `out` RUN and `overwrite`")
        if not (run_dir / "config.yaml").is_file():
            raise UserError(f"`resume` {run_dir}: not a run folder (no config.yaml){_aside_note(run_dir)}")
        if not (run_dir / CKPT_DIR / "last.pt").is_file():
            # killed (SIGKILL, power) before its first epoch's last.pt was complete: nothing to continue from
            raise UserError(f"`resume` {run_dir}: no {CKPT_DIR}/last.pt (the run stopped before its first "
                            f"epoch's checkpoint was complete); start it again with the same options and "
                            f"`out` {run_dir} with `overwrite`{_aside_note(run_dir)}")
        given = [k for k, v in flags.items() if v is not None and k not in RESUME_KEYS]
        # as typed: the flag's parameter (`lr`: --lr), `overrides` KEY (--set KEY) for a key that has no flag
        typed = [f"`{C.FLAG_PARAMS[k]}`" if k in C.FLAG_PARAMS else f"`overrides` {k}" for k in given]
        if typed or config_file:
            raise UserError(f"`resume`: the run's config is fixed; only `epochs`, `device`, `workers`, `data`, "
                            f"`deterministic` and `overrides` may change (got {', '.join(typed) or '`config_file`'})")
        kept = {k: v for k, v in flags.items() if k in RESUME_KEYS}
        cfg = C.build_config(str(run_dir / "config.yaml"), kept, overrides, check_folders=create, resumed=True)
        own = _flat(C.build_config(str(run_dir / "config.yaml"), {}, [], check_folders=False, resumed=True))
        # compared with what last.pt trained with, not the editable file; kept for the Trainer (create) when read
        try:
            ran = _checkpoint_own(run_dir, own, keep=create)
            changed = sorted(k for k, v in _flat(cfg).items() if ran.get(k) != v and k not in RESUME_CHANGEABLE)
            if changed:
                raise UserError(f"`resume` {run_dir}: {', '.join(changed)} cannot change on resume (the "
                                "checkpoint's model, optimiser, schedule and data split continue as they were); "
                                "start a new run with `out` for other settings")
            _check_resumed_warmup(run_dir, cfg, own)
            if check is not None and create:
                check(cfg)
            if int(os.environ.get("RANK", "0")) == 0:
                claim_run(run_dir, "resume")
        except BaseException:
            _HELD_CKPT.clear()  # refused: no Trainer will take it
            raise
        if create:
            _DATA_NAMES[_run_key(run_dir)] = _data_names(run_dir / "config.yaml", kept, overrides, cfg, data_param)
        return cfg, run_dir
    # printing the config (not ``create``) reads no data: a config for another machine's folders prints
    cfg = C.build_config(config_file, flags, overrides, check_folders=create)
    if not create:
        return cfg, (Path(out) if out else None)
    if check is not None:  # the caller's own check of the resolved config, before the run folder is touched
        check(cfg)
    if not out:
        raise UserError("`out` RUN is required (the run folder to create)")
    from saliency.base.fsutil import check_out_dir, holds_user_entries, make_folders

    if int(os.environ.get("RANK", "0")) == 0:
        inputs = {"root" if cfg["data"]["dataset"] else "data": cfg["data"]["root"], "data.val": cfg["data"]["val"],
                  "config_file": config_file, "pretrained_file": cfg.get("pretrained_file")}
        _check_unclaimed(Path(out), "out")  # before --overwrite could set a running run aside
        checked = check_out_dir(out, overwrite, inputs=inputs, own_only=False)  # a run has no mark: its layout
        made: list[Path] = []  # exactly the folders made for the run (each listed as it is made): removed on failure
        if overwrite and checked.is_dir() and holds_user_entries(checked):  # a file browser's .DS_Store: empty
            # the old run is claimed before it is checked and set aside, and its place is never left unclaimed: a
            # `train --out` of the same folder meanwhile is refused, never handed the emptied folder (review R10)
            claim_run(checked, "out")
            try:
                check_own_run(checked, "out")
                _set_aside_claimed(checked)  # records it in _REPLACED itself, before a held signal is delivered
            except BaseException:
                release_run(checked)
                raise
            _FRESH[_run_key(checked)] = made
        else:
            _FRESH[_run_key(checked)] = made
            make_folders(checked, made, "out")
            claim_run(checked, "out")
    _DATA_NAMES[_run_key(out)] = _data_names(config_file, flags, overrides, cfg, data_param)
    return cfg, Path(out)


def _checkpoint_own(run_dir: Path, own: dict, keep: bool = False) -> dict:
    """The run's own config (flat) a resume is compared with: the one ``last.pt`` trained with (its
    ``train_config``), not the editable ``config.yaml`` (``own``, its flat resolved config). A hand edit of
    config.yaml to a key that cannot change on resume (not in :data:`RESUME_CHANGEABLE`) is refused naming each
    such key, as the flag or ``overrides`` would be: it was applied silently and written back as the record. A key
    the checkpoint does not hold (an older last.pt, a key added since), or a last.pt that cannot be read (Trainer.setup
    names why), keeps config.yaml's value. The held config is resolved as config.yaml's is (:func:`_as_built`): a
    run recorded before a value got a new spelling (``model: null``) is no edit. ``keep``: the checkpoint read is
    kept in :data:`_HELD_CKPT` for the Trainer of the run (read once), unless the file changed while it was read."""
    from saliency.checkpoint import load

    last = run_dir / CKPT_DIR / "last.pt"
    _HELD_CKPT.clear()
    before = _file_key(last)
    try:
        ck = load(last)
        held = ck.get("train_config")
    except (UserError, OSError, KeyError, RuntimeError, ValueError, EOFError):
        return own
    if keep and before is not None and _file_key(last) == before and _held_key(last) is not None:
        _HELD_CKPT[_held_key(last)] = (before, ck)
    del ck
    if not isinstance(held, dict):
        return own
    held = {k: v for k, v in _as_built(held).items() if k in own}
    edited = [k for k in sorted(held) if held[k] != own[k] and k not in RESUME_CHANGEABLE]
    if edited:
        shown = ", ".join(f"{k} {_yaml_value(own[k])} (trained with {_yaml_value(held[k])})" for k in edited)
        raise UserError(f"`resume` {run_dir}: config.yaml was edited: {shown} cannot change on resume (the "
                        f"checkpoint's model, optimiser, schedule and data split continue as they were); put "
                        f"{'it' if len(edited) == 1 else 'them'} back in {run_dir / 'config.yaml'}, or start a new "
                        f"run with `out` for other settings")
    return {**own, **held}


def _as_built(held: dict) -> dict:
    """``held`` (last.pt's ``train_config``), flat, resolved as :func:`saliency.config.build_config` resolves the
    config.yaml it is compared with: merged onto the defaults and validated (``model: null``, recorded before
    803a423, is the task's default network by name; YAML's ``off`` read as false is ``off``; a ``data.size`` of one
    number is [n, n]). Only the keys ``held`` holds are returned (a key added since keeps config.yaml's value), and a
    key no longer known is left out. A config the checks now refuse is taken as held, its model resolved."""
    import copy

    from saliency import config as C

    def known(node: dict, ref: dict) -> dict:
        return {k: known(v, ref[k]) if isinstance(ref[k], dict) and isinstance(v, dict) else v
                for k, v in node.items() if k in ref}

    held = known(held, C.DEFAULTS)
    cfg = C.default_config()
    try:
        C._merge(cfg, copy.deepcopy(held), "", C.DEFAULTS)
        C.validate(cfg)
    except (UserError, TypeError, ValueError):
        cfg = copy.deepcopy(held)
        if "model" in cfg and not cfg["model"] and isinstance(cfg.get("task"), str):
            cfg["model"] = C.resolved_model(cfg)
        return _flat(cfg)
    return {k: v for k, v in _flat(cfg).items() if k in _flat(held)}


def _yaml_value(v) -> str:
    """A config value as config.yaml writes it (``[96, 128]``, ``0.01``, ``true``)."""
    import yaml

    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("\n...").strip()


def _aside_note(run_dir: Path) -> str:
    """``; the run set aside by an interrupted `overwrite` is in .RUN.old-XXXX; ...`` for a ``--resume RUN``
    refused as no run (or no checkpoint), when such a sibling holding a run (config.yaml) lies beside ``run_dir``;
    else ''. A ``train --overwrite`` killed outright (SIGKILL, power cut) before its first checkpoint left the old
    run there, intact."""
    from saliency.base.fsutil import aside_prefix, real_place

    try:
        real = real_place(run_dir)
        prefix = aside_prefix(real.name)
        found = [p for p in real.parent.iterdir()
                 if p.name.startswith(prefix) and not p.is_symlink() and (p / "config.yaml").is_file()]
        found.sort(key=lambda p: p.stat().st_ctime)  # the rename that set it aside is its last change
    except OSError:
        return ""
    if not found:
        return ""
    shown = [str(run_dir.parent / p.name) for p in found]
    # RUN itself may still be there (the stale lock of the killed run in it): a rename onto it would move the old
    # run inside it, so it is moved away first
    away = f"move {run_dir} out of the way (it holds no run to continue), then " if run_dir.exists() else ""
    if len(shown) > 1:
        return (f"; runs set aside by interrupted `overwrite` runs are in {', '.join(shown)} (the latest last); "
                f"{away}rename the one to continue back to {run_dir} to resume it")
    return (f"; the run set aside by an interrupted `overwrite` is in {shown[0]}; {away}rename it back to "
            f"{run_dir} to resume it")


def _check_resumed_warmup(run_dir: Path, cfg: dict, own: dict) -> None:
    """Refuse a resume whose new schedule length (``epochs`` or ``sched.epochs``) is no longer than the run's
    ``sched.warmup_epochs`` while the run's own was: the decay would be cut away (see
    :func:`saliency.config.check_warmup`). A run already planned so (started before that check) resumes as before.
    """
    from saliency import config as C

    s = cfg["sched"]
    key, length = C.schedule_length(cfg)
    was = own["sched.epochs"] if own["sched.epochs"] is not None else own["train.epochs"]
    w = s["warmup_epochs"]
    if s["name"] == "constant" or w < length or w >= was:
        return
    # more epochs already trained than the new train.epochs: that refusal first (its advice, more `epochs`, is the
    # one to follow; this one's, a longer schedule, led to it); last.pt is read only on the way to a refusal
    from saliency.checkpoint import load

    try:
        done = load(run_dir / CKPT_DIR / "last.pt")["epoch"]
    except (UserError, OSError, KeyError):  # unreadable: Trainer.setup names why; this refusal stands
        done = None
    if isinstance(done, int) and done > cfg["train"]["epochs"]:
        raise _already_trained(run_dir, done, cfg["train"]["epochs"])
    flag = "`epochs` " if key == "train.epochs" else "`overrides` sched.epochs="
    raise UserError(f"`resume` {run_dir}: {flag}{length} makes the {s['name']} schedule {length} epoch(s), not "
                    f"longer than the run's sched.warmup_epochs={C._shown(w)}, so it would never decay to "
                    f"sched.min_lr; give {'`epochs`' if key == 'train.epochs' else 'a sched.epochs'} above "
                    f"{C._shown(w)}, or `overrides` sched.epochs={was} to keep the run's schedule")


def _already_trained(run_dir: Path, done: int, epochs: int) -> UserError:
    """The refusal of a resume to fewer epochs (``train.epochs``) than ``last.pt`` has already trained."""
    return UserError(f"`resume` {run_dir}: {done} epoch(s) are already trained, more than train.epochs {epochs}; "
                     f"give `epochs` {done} or more (a finished run resumes as a no-op)")


#: the lock file by which one ``saliency train`` claims its run folder (``PID HOST START COMMAND`` inside:
#: :mod:`saliency.base.runlock`)
LOCK_NAME = runlock.LOCK_NAME
#: what a run folder holds (the module docstring's layout): files at its top, and the folders whose files are
#: the run's (grids/epoch_NNN.png, checkpoints/last.pt and best.pt, tensorboard/events.out.tfevents.*: the event
#: files of the SummaryWriter, which writes nothing else there, since the run calls only its add_scalar)
RUN_FILES = runlock.RUN_FILES
RUN_FOLDERS = {"grids": re.compile(r"epoch_\d{3,}\.png"), CKPT_DIR: re.compile(r"(last|best)\.pt"),
               "tensorboard": re.compile(r"events\.out\.tfevents\..+")}


def foreign_run_entries(run: Path) -> list[str]:
    """What in the run folder ``run`` a training run does not write (relative paths, sorted; links always).

    The run's own: :data:`RUN_FILES` at the top, the files of :data:`RUN_FOLDERS` that match their names (in
    tensorboard/ only TensorBoard's event files: a user's file there, or one of a run with tensorboard off, is
    the user's), the hidden temporary files of an interrupted write, and a report that
    ``saliency report RUN`` wrote into it (its marked report.md, report.html, assets/), and a file browser's
    files (Finder's .DS_Store, Explorer's Thumbs.db in their own formats: ``fsutil.os_metadata_file``); anything
    else (a user's notes, an unrelated folder) is named, outermost first.
    """
    from saliency.base.fsutil import STAGING_NAME, os_metadata_file
    from saliency.report import REPORT_ENTRIES, foreign_assets, own_report_entry

    found = []
    for e in sorted(run.iterdir(), key=lambda p: p.name):
        if e.is_symlink():
            found.append(e.name)
        elif os_metadata_file(e):  # the system's, not a person's: it goes with the old run
            continue
        elif e.is_file() and (e.name in RUN_FILES or STAGING_NAME.fullmatch(e.name)):
            continue
        elif e.name in REPORT_ENTRIES and own_report_entry(e):  # saliency report's default --out is the run
            if e.name == "assets":  # its own pictures only: a file a user put into assets/ is the user's
                found += [f"{e.name}/{n}" for n in foreign_assets(e)]
            continue
        elif e.is_dir() and e.name in RUN_FOLDERS:
            staged = e.name != "tensorboard"  # TensorBoard writes its event files in place, never staged
            for f in sorted(e.iterdir(), key=lambda p: p.name):
                if os_metadata_file(f):
                    continue
                if f.is_symlink() or not f.is_file() or not (RUN_FOLDERS[e.name].fullmatch(f.name)
                                                             or (staged and STAGING_NAME.fullmatch(f.name))):
                    found.append(f"{e.name}/{f.name}")
        else:
            found.append(e.name)
    return found


def check_own_run(run: Path, param: str) -> None:
    """Refuse replacing a run folder (``--overwrite``) that holds anything a training run does not write.

    One line names the count and the first three entries (:func:`foreign_run_entries`); nothing is touched.
    """
    from saliency.base.fsutil import foreign_entries_text

    foreign = foreign_run_entries(run)
    if foreign:
        raise UserError(f"`{param}` {run}: {foreign_entries_text(run, foreign, 'saliency train')}; move "
                        f"{'it' if len(foreign) == 1 else 'them'} out or choose another folder")


def _check_unclaimed(run: Path, param: str) -> None:
    """Refuse ``run`` while another live ``saliency train`` holds it; a stale lock (its process gone) is removed."""
    runlock.check_unclaimed(run, param, "train")


def claim_run(run: Path, param: str) -> None:
    """Claim the run folder ``run`` for this process (an ``O_EXCL`` lock file), or refuse it in one line.

    Two runs into one folder, started together, both found it empty; the one
    that then failed deleted the other's files as its own. Released by
    :func:`release_run` when the run ends; a run killed outright leaves a lock
    that the next run finds stale and takes over (:func:`saliency.base.runlock.claim`).
    """
    runlock.claim(run, param, "train")


def release_run(run) -> None:
    """Remove the lock file by which this process claimed ``run`` (a no-op if it did not, or if the lock there is
    another process's now). The last.pt ``prepare_run(resume=run)`` kept for its Trainer is dropped (a caller
    that gives the run up before it has one)."""
    _drop_held(run)
    runlock.release(run)


#: old run folders set aside by ``prepare_run(overwrite=True)``, by run folder: the Trainer discards or restores them
_REPLACED: dict[str, Path] = {}
#: new run folders checked by ``prepare_run`` (absent or empty then, or emptied by ``overwrite``), by run folder:
#: the folders of its path that did not exist yet, deepest first (empty: it existed). A run that fails before
#: its first checkpoint removes what it wrote there, and those folders.
_FRESH: dict[str, list] = {}
#: how a refusal names the data folders of a run ``prepare_run`` checked (:func:`_data_names`), by run folder: taken
#: by its Trainer (``saliency.runtime.data_names``)
_DATA_NAMES: dict[str, dict] = {}


def _data_names(config_file, flags: dict, overrides, cfg: dict, data_param: str | None = None) -> dict:
    """How a refusal names ``data.root`` (label ``data``) and ``data.val`` of the resolved ``cfg`` by where each came
    from, as the other refusals of a key do (:func:`saliency.config._who`): the flag (``data_param`` as typed; else
    ```data```, or with a ``data.dataset`` in ``cfg``, ```root```),
    ```overrides` KEY`` (``--set``) or ``FILE: KEY`` (``--config``, or the run's config.yaml on resume): the last of
    file, flag and override that sets it, as :func:`saliency.config.build_config` (which took them) resolves it."""
    from saliency import config as C

    origin: dict = {}
    doc = C.load_config_file(config_file) if config_file else {}
    data = doc.get("data") if isinstance(doc, dict) else None
    for key in ("root", "val"):
        if isinstance(data, dict) and key in data:
            origin[f"data.{key}"] = ("file", str(config_file))
    if flags.get("data.root") is not None:  # the parameter as typed (--data R --set data.dataset=X says --data,
        # --root R with the dataset from a file says --root: reviews RR10, RR11); without it, by the resolved config
        origin["data.root"] = ("flag", data_param or ("root" if cfg["data"]["dataset"] else C.FLAG_PARAMS["data.root"]))
    for text in overrides:
        path, value = C.parse_override(text)
        C.apply_override(C.default_config(), path, value, origin)
    return {"data": C._who(origin, "data.root"), "data.val": C._who(origin, "data.val")}


def _from_worker(exc: BaseException) -> bool:
    """Whether ``exc`` is torch's re-raise of a DataLoader worker's error (its text: the worker's traceback)."""
    text = str(exc.args[0]) if exc.args else ""
    return text.startswith(f"Caught {type(exc).__name__} in DataLoader worker") and "\nOriginal Traceback" in text


def _run_key(run) -> str:
    import os

    return os.path.abspath(run)


def restore_replaced(run) -> bool:
    """Put back the old run that ``prepare_run(overwrite=True)`` set aside for ``run``, if no Trainer took it.

    For a caller that fails between :func:`prepare_run` and :meth:`Trainer.fit`
    (``saliency train`` calls it on every failure); returns whether a run was put back.
    """
    from saliency.base.fsutil import remove_empty_folders, signals_held

    _drop_held(run)
    with signals_held():
        aside = _REPLACED.pop(_run_key(run), None) if run is not None else None
        if run is not None:  # nothing was written into it before the Trainer: the folders made for it go
            remove_empty_folders(_FRESH.pop(_run_key(run), None) or ())
            _DATA_NAMES.pop(_run_key(run), None)
        if aside is None:
            return False
        run = Path(run)
        if not runlock.claimed(run):  # released already (``saliency train`` releases first): claimed again
            try:
                claim_run(run, "out")
            except (UserError, OSError):
                pass
        # nothing but this process's lock in it: it is still the folder this process put there, so it goes
        ours = run.is_dir() and not run.is_symlink() and runlock.holds(run) and \
            [p.name for p in run.iterdir()] == [LOCK_NAME]
        back = _put_back(run, aside, ours)
        release_run(run)  # the lock the old run came back with (or the one taken again above)
    return back


def _set_aside_claimed(run: Path) -> Path:
    """``overwrite``: rename the old run at ``run`` (claimed: this process's lock is in it) to a hidden sibling
    ``.RUN.old-XXXX`` and put in its place a folder that already holds this process's lock; return the sibling.

    :func:`saliency.base.fsutil.move_aside` left an empty, unclaimed folder in
    its place: a ``train --out RUN`` started then took it, and the clean-up of
    this run, refused, deleted that run's folder and put the old run back under
    it (review R10). The lock travels with the old run (put back claimed, then
    released); one that another process made in the instant between the two
    renames is replaced while still empty (the rename of a folder onto an empty
    one), and one it had claimed already stays its: this run is refused naming
    where the old run is. The sibling is named as the user named ``run``.
    """
    import os
    import shutil
    import tempfile

    from saliency.base.fsutil import _named_error, aside_prefix, real_place, short_name, signals_held, take_mode

    real = real_place(run)
    with signals_held():
        try:
            aside = Path(tempfile.mkdtemp(prefix=aside_prefix(run.name), dir=real.parent))
            try:
                new = Path(tempfile.mkdtemp(prefix=f".{short_name(run.name)}.", suffix=".partial", dir=real.parent))
            except OSError:
                aside.rmdir()
                raise
        except OSError as exc:  # a read-only parent folder: name the folder, not the hidden name tried
            raise _named_error(exc, run) from exc
        try:
            # the old run's mode and group (a private or shared run folder stays so; a set-group-ID folder's group
            # for what is made inside, the lock included); the owner keeps writing into it as the run trains
            take_mode(new, os.lstat(real), 0o777, folder=True, writable=True)
            (new / LOCK_NAME).write_text(runlock.lock_text(), encoding="utf-8")
            os.replace(real, aside)  # the old run, its lock inside, onto the empty sibling
        except OSError as exc:  # nothing was moved
            shutil.rmtree(new, ignore_errors=True)
            aside.rmdir()
            raise _named_error(exc, run) from exc
        try:
            os.rename(new, real)
        except OSError:  # another process made and claimed `run` in the instant between: it is that run's now
            shutil.rmtree(new, ignore_errors=True)
            (aside / LOCK_NAME).unlink(missing_ok=True)
            runlock.forget(run)
            raise UserError(f"`out` {run}: another saliency train took this folder while the old run was set "
                            f"aside; the old run is in {run.parent / aside.name}: rename it back to {run} once "
                            "that run has ended") from None
        # recorded while signals are still held: a SIGTERM held during the swap is delivered as this block ends,
        # and the clean-up it starts (restore_replaced) must already know where the old run is (it was left
        # set aside, unrestored, when the caller recorded it after the return)
        _REPLACED[_run_key(run)] = run.parent / aside.name
    return run.parent / aside.name


def _put_back(run: Path, aside: Path, ours: bool) -> bool:
    """Put the old run ``aside`` back at ``run`` when ``run`` is still this process's (``ours``); else leave both
    and say on stderr where the old run is (another run holds ``run``: deleting it deleted that run). Whether the
    old run was put back."""
    import sys

    from saliency.base.fsutil import restore_aside

    if ours or not (run.exists() or run.is_symlink()):  # (a folder deleted meanwhile: the old run is renamed back)
        try:
            restore_aside(run, aside)  # it comes back with this process's lock, then released
            return True
        except OSError:  # another process made and claimed it in the instant between: it is that run's
            pass
    lock = aside / LOCK_NAME
    if runlock.holds(aside):  # the old run's claim, taken before it was set aside: it is left unclaimed
        lock.unlink(missing_ok=True)
    try:
        print(f"saliency: warning: {run}: another run holds this folder now, so the old run set aside for this "
              f"one was not put back; it is in {aside}: rename it back to {run} once that run has ended",
              file=sys.stderr, flush=True)
    except (OSError, ValueError):  # pragma: no cover - stderr gone
        pass
    return False


class TrainingStopped(UserError):
    """Training stopped on a non-finite loss (exit code 3)."""

    exit_code = 3


class Interrupted(Exception):
    """SIGINT/SIGTERM arrived; ``last.pt`` was written."""

    def __init__(self, signum: int, message: str):
        super().__init__(message)
        self.signum = signum


# ------------------------------------------------------------------ the trainer


def _unreadable_reason(exc: UserError, path: Path, limit: int = 120) -> str:
    """Why the checkpoint reader refused ``path`` (its :class:`UserError` ``exc``), short and cut at a boundary.

    torch's own message (the error the reader caught) gives its first sentence, cut at a word (``...``) beyond
    ``limit`` characters; the reader's own refusals (not a dict, no weights) their reason without their advice.
    """
    from saliency.models.errors import first_sentence

    inner = exc.__context__  # the reader raises ``from None``: torch's error stays its context
    if inner is None:
        text = str(exc)
        return text[len(str(path)) + 2:].split("; ")[0] if text.startswith(f"{path}: ") else text.split("; ")[0]
    if isinstance(inner, EOFError):
        return "the file is empty" if path.is_file() and path.stat().st_size == 0 else "the file is cut short"
    first = first_sentence(inner, limit)
    if not first:
        return type(inner).__name__
    if first.lower().startswith("weights only load failed"):
        return "torch's safe reader refused it: it holds more than tensors and plain values"
    return first


def _stored_best(path: Path, metric: str, ck: dict | None = None) -> tuple[float | None, int | None]:
    """The value of ``metric`` that the checkpoint ``path`` (or its loaded dict ``ck``) recorded, and its epoch.

    Used when a resumed run chooses best.pt by another metric: best.pt and
    last.pt are then measured by the new metric from the validation metrics
    they store. ``(None, None)``: no file, or the metric not recorded (an
    epoch not validated, an interrupted one) or not a finite number.
    """
    import math

    from saliency.checkpoint import load

    if ck is None:
        if not path.is_file():
            return None, None
        ck = load(path)
    v = (ck.get("metrics") or {}).get(metric)
    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)):
        return None, None
    return float(v), ck.get("epoch")


def _csv_best(path: Path, metric: str, last_epoch: int) -> tuple[float, int] | None:
    """The best value of ``metric`` in the run's ``metrics.csv`` (epochs up to ``last_epoch``) and its epoch, or None.

    Rows after ``last_epoch`` (written before a kill that left no checkpoint) are redone by the resumed run and
    not counted; ties keep the earlier epoch, as training does.
    """
    import csv
    import math

    from saliency.validate import is_better

    if not path.is_file():
        return None
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    best = None
    for row in rows:
        try:
            epoch, value = int(row.get("epoch") or ""), float(row.get(metric) or "")
        except ValueError:
            continue
        if epoch <= last_epoch and math.isfinite(value) and is_better(metric, value, best and best[0]):
            best = (value, epoch)
    return best


class Trainer:
    """One training run: ``Trainer(cfg, run_dir, resume=False).fit()``."""

    def __init__(self, cfg: dict, run: str | Path, resume: bool = False, progress: bool = True):
        self.cfg = cfg
        self.run = Path(run)
        self.resume = resume
        self.progress = progress
        self._settings = contextlib.ExitStack()  # torch's global settings of this run, restored by close()
        self.tb = None
        # the old run that --overwrite set aside (prepare_run): fit() takes it over, keeps it until the new run ends
        self._replaced = None
        # a new run folder checked by prepare_run: the folders of its path it had to make (empty: it existed);
        # None once a checkpoint is written
        self._fresh = None
        self.late_signal = None  # a signal found after the last epoch's checkpoint: a note, the run finishes
        # how a refusal names the data folders (saliency.runtime.data_names); set up from prepare_run's (_DATA_NAMES)
        self._data_names = data_names(cfg)

    def _settle_replaced(self, keep_new: bool) -> None:
        """Delete the old run set aside (``keep_new``: the new run has finished) or put it back in place."""
        if self._replaced is None:
            return
        from saliency.base.fsutil import discard_aside, signals_held

        with signals_held():
            aside, self._replaced = self._replaced, None
            if keep_new:
                discard_aside(aside)
            else:  # only into the folder this run still holds (its lock): never over another run's
                _put_back(self.run, aside, self.run.is_dir() and not self.run.is_symlink() and runlock.holds(self.run))

    def _settle_fresh(self, keep_new: bool) -> None:
        """A new run without a checkpoint (``keep_new`` False): remove what it wrote, so the same command can run again.

        The folder was absent or empty when :func:`prepare_run` checked it, so
        everything in it is this run's (config.yaml, split.json, metrics.csv,
        grids/): removed, links never followed, and the folder too if this run
        made it, with the empty folders above it that it made. With a
        checkpoint (``keep_new``) the run is kept: it resumes.
        """
        missing, self._fresh = self._fresh, None
        info = getattr(self, "info", None)  # unset when setup() failed early; prepare_run registers rank 0 only
        if missing is None or keep_new or (info is not None and not info.is_main):
            return
        from saliency.base.fsutil import clear_dir, remove_empty_folders, signals_held

        with signals_held():
            if self.run.is_symlink() or not self.run.is_dir():
                return
            with contextlib.suppress(OSError):  # clean-up on the way out: never hides the run's own error
                clear_dir(self.run)
            remove_empty_folders(missing)  # this run's folder and those above it, if it made them

    # -- model / step helpers
    def _forward_loss(self, batch):
        import torch

        from saliency.models.losses import deep_supervision

        x = batch["image"].to(self.device, non_blocking=True)
        t = batch["target"].to(self.device, non_blocking=True)
        if self.plan["channels_last"]:
            x = x.contiguous(memory_format=torch.channels_last)
        kw = {}
        if self.task == "fixation":
            kw["fixations"] = batch["fixations"].to(self.device, non_blocking=True)
        ctx = (torch.autocast(self.device.type, dtype=self.plan["autocast"]) if self.plan["autocast"] is not None
               else _null())
        with ctx:
            main, sides = self.net(x)
        weights = [1.0] + [self.cfg["loss"]["side_weight"]] * len(sides)
        loss = deep_supervision(self.loss_fn, (main, sides), t, weights, **kw)
        return loss, x.shape[0]

    def _eval_model(self):
        """The module to validate / save for inference: the EMA copy when EMA is on."""
        if self.ema is None:
            return self.model
        self.eval_model.load_state_dict(self.ema.shadow)
        return self.eval_model

    def _payload(self, epoch: int, batch_in_epoch: int, partial: dict, metrics: dict | None) -> dict:
        import torch

        from saliency.checkpoint import FORMAT, rng_state

        inf = self._eval_model()
        return {
            "format": FORMAT, "version": __version__,
            "config": dict(self.model.config), "state_dict": inf.state_dict(),
            "model": self.model.state_dict(), "ema": self.ema.state_dict() if self.ema else None,
            "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
            "epoch": epoch, "batch_in_epoch": batch_in_epoch, "step": self.step, "partial": partial,
            "world_size": self.info.world,
            "rng": rng_state(), "train_config": self.cfg, "metrics": metrics or {},
            "best": {"metric": self.best_metric, "value": self.best_value, "epoch": self.best_epoch},
            # what `auto` resolved to, kept with the weights: a seeded CPU run repeats only at the same thread count
            "ran_on": {"device": str(self.device), "cpu_threads": torch.get_num_threads(),
                       "threads_note": self.threads_note},
        }

    def _save(self, name: str, payload: dict) -> Path:
        from saliency.checkpoint import save

        path = self.run / CKPT_DIR / name
        if self.info.is_main:
            save(path, payload)
            if name == "last.pt":
                self._fresh = None  # a checkpoint: the run is kept, it can be resumed
        return path

    # -- validation
    def validate(self, epoch: int) -> tuple[dict, np.ndarray | None]:
        """Validation metrics (every rank gets them) and rank 0's grid image."""
        import torch

        from saliency import distributed as dist
        from saliency.base.progress import progress
        from saliency.validate import aggregate, grid_png, left_out_note, score_image, to_map

        model = self._eval_model()
        model.eval()
        ds = self.val_ds
        idx = dist.shard(len(ds), self.info)
        scores, grid = [], ([], [], [])
        n_grid = self.cfg["train"]["grid_images"] if self.info.is_main else 0
        bs = self.cfg["train"]["batch_size"]
        # the pass can take as long as a short epoch: shown as the epoch's bar is (rank 0's share, its batches)
        bar = progress(total=-(-len(idx) // bs), desc=f"validation {epoch + 1}/{self.cfg['train']['epochs']}",
                       enabled=self.progress and self.info.is_main, leave=False, unit="batch")
        with torch.no_grad(), bar:
            for s in range(0, len(idx), bs):
                chunk = idx[s:s + bs]
                items = [ds[i] for i in chunk]
                x = torch.stack([it["image"] for it in items]).to(self.device)
                if self.plan["channels_last"]:
                    x = x.contiguous(memory_format=torch.channels_last)
                # the precision saliency predict uses here (not the training's): validation scores what eval would
                ctx = torch.autocast(self.device.type, dtype=torch.bfloat16) if inference_bf16(self.device) else _null()
                with ctx:
                    out = model(x)
                maps = to_map(out, self.task).cpu().numpy()
                for j, i in enumerate(chunk):
                    scores.append((i, score_image(maps[j], ds.records[i], self.task, i, ds.top)))
                    if len(grid[0]) < n_grid:
                        img, t, _ = ds.load(i)
                        grid[0].append(img)
                        grid[1].append(t.astype(np.float32) / (255.0 if t.dtype == np.uint8 else 1.0))
                        grid[2].append(maps[j])
                bar.update(1)
        allsc = [p for part in dist.gather_objects(self.info, scores) for p in part]
        allsc.sort(key=lambda p: p[0])
        metrics = aggregate(self.task, [p[1] for p in allsc])
        note = left_out_note(self.task, [(ds.records[i].key, sc) for i, sc in allsc])
        if note and note not in self.val_notes:  # said once, not once per validated epoch
            self.val_notes.append(note)
        img = grid_png(*grid) if grid[0] else None
        return metrics, img

    # -- main
    def setup(self) -> None:
        """Device, data, model, optimiser, scheduler, EMA; restores ``last.pt`` when resuming.

        Torch's process-wide settings (threads, determinism, cudnn, TF32) hold
        from here until :meth:`close` (which :meth:`fit` calls), and are put
        back as they were then -- also when set-up fails.
        """
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Restore torch's process-wide settings changed by :meth:`setup` (idempotent)."""
        self._settings.close()

    def _setup(self) -> None:
        import torch

        from saliency import models
        from saliency import distributed as dist
        from saliency.checkpoint import load, set_rng_state
        from saliency import config as C
        from saliency.config import check_input_size, dump_yaml, resolved_loss, resolved_model
        from saliency.distributed import SeededSampler
        from saliency.base.fsutil import write_json, write_text
        from saliency.optim import EMA, create_optimizer, create_scheduler

        cfg, t = self.cfg, self.cfg["train"]
        last = self.run / CKPT_DIR / "last.pt"
        # the last.pt prepare_run read (onto the CPU), when the file is unchanged since: taken out (freed once set-up
        # ends) whether it is used or not
        ck = _take_held(last)
        if not self.resume:
            ck = None
        self.task = cfg["task"]
        self.device = resolve_device(t["device"])
        self.info = dist.init(self.device.type)
        if self.device.type == "cuda" and self.info.enabled:
            self.device = torch.device("cuda", self.info.local_rank)
        if self.resume:  # read first: a last.pt that cannot continue here is refused before any data is read
            try:
                # onto the CPU: the RNG states must stay there (set_rng_state), and the model, EMA and optimiser
                # copy theirs to the parameters' device as they load them
                if ck is None:
                    ck = load(last, map_location="cpu")
            except UserError as exc:  # its advice (give RUN/checkpoints/best.pt) is no option of --resume
                raise UserError(f"`resume` {self.run}: {last} cannot be read ({_unreadable_reason(exc, last)}); "
                                f"start the run again with the same options and `out` {self.run} with "
                                f"`overwrite`, or put back an intact copy of {last}") from None
            written = ck.get("world_size")  # None: an older last.pt, which did not record it: resumed as before
            if isinstance(written, int) and written != self.info.world:
                # the steps per epoch (so the schedule) and each process's share of an epoch follow the number of
                # processes: resumed with another, the run re-planned its learning rates and re-trained images
                how = (f"{written} processes (e.g. torchrun --nproc_per_node {written} -m saliency train --resume "
                       f"{self.run})" if written > 1 else
                       f"one process (saliency train --resume {self.run}, without torchrun)")
                raise UserError(f"`resume` {self.run}: {last} was written by {written} "
                                f"process{'es' if written > 1 else ''} and this run has {self.info.world}; the "
                                f"learning-rate schedule and each process's share of an epoch follow that number: "
                                f"resume with {how}")
            if ck["epoch"] > t["epochs"]:  # before any data is read or config.yaml rewritten: the record stays true
                raise _already_trained(self.run, ck["epoch"], t["epochs"])
        self.threads = cpu_threads(t, self.device)
        self.threads_note = threads_note(t, self.device, self.threads)
        seed_all(t["seed"])
        self.plan = precision_plan(cfg, self.device)
        self._settings.enter_context(train_settings(cfg, self.device, self.threads, self.plan))

        self._data_names = data_names(cfg, _DATA_NAMES.pop(_run_key(self.run), None))
        self.train_ds, self.val_ds, split = prepare_data(cfg, self.run, self.resume, self.info, self.progress,
                                                         self._data_names)
        self.split = split
        name = resolved_model(cfg)
        # ImageNet weights for a new run only: a resumed one loads all its weights from last.pt
        pretrained = cfg["pretrained"] and not self.resume
        self.model = models.create_model(name, pretrained=pretrained,  # unknown names: UserError
                                         pretrained_file=cfg["pretrained_file"] if pretrained else None)
        if self.model.task != self.task:
            raise UserError(f"`model` {name} is a {self.model.task} model but `task` is {self.task}; "
                            f"pick a *_{self.task} model (saliency train --list-models)")
        check_input_size(self.model, cfg["data"]["size"], name)
        from saliency.models.losses import SOD_LOSSES, get_loss, list_losses

        loss_name = resolved_loss(cfg)
        self.loss_fn = get_loss(loss_name)
        if (loss_name in SOD_LOSSES) != (self.task == "sod"):  # a SOD loss cannot score a density, nor the reverse
            kind = "an SOD" if loss_name in SOD_LOSSES else "a fixation"
            fits = [n for n in list_losses() if (n in SOD_LOSSES) == (self.task == "sod")]
            raise UserError(f"config loss.name: {loss_name} is {kind} loss but `task` is {self.task}; choose one "
                            f"of {', '.join(fits)} (or auto)")
        self.model.to(self.device)
        if self.plan["channels_last"]:
            self.model.to(memory_format=torch.channels_last)
        self.ema = EMA(self.model, t["ema"]) if t["ema"] > 0 else None
        self.eval_model = None
        if self.ema is not None:
            import copy

            self.eval_model = copy.deepcopy(self.model)
        self.net = self.model
        if self.info.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            # no broadcast of rank 0's buffers at every forward: each rank's BatchNorm statistics follow its own
            # shard and dist.average_buffers makes them one at the end of an epoch (and before an interrupted run
            # saves); with the broadcast, that mid-epoch average changed the statistics a resumed run ended with
            import inspect

            # torch >= 2.14 names it forward_sync_buffers (broadcast_buffers warns as deprecated); it still syncs
            # the buffers once when DDP is built
            no_sync = ({"forward_sync_buffers": False} if "forward_sync_buffers" in inspect.signature(DDP).parameters
                       else {"broadcast_buffers": False})
            self.net = DDP(self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                           **no_sync)
        if self.plan["compile"]:
            if self.device.type == "cpu":
                # on a machine without CUDA, compiling imports torch.utils.cpp_extension (at the first step), which
                # logs "No CUDA runtime is found, using CUDA_HOME=..." on stderr: nothing a CPU run needs, silenced
                # until close() (as models/macs.py silences flop_counter's triton warning)
                import logging

                log = logging.getLogger("torch.utils.cpp_extension")
                self._settings.callback(log.setLevel, log.level)
                log.setLevel(logging.ERROR)
            self.net = torch.compile(self.net)

        self.sampler = SeededSampler(len(self.train_ds), t["seed"], self.info.rank, self.info.world)
        # an epoch's last batch of one image is left out (a different image each epoch, the order being
        # shuffled): batch norm over pooled features (SK, residual attention) cannot train on one value
        n_share = len(self.sampler.base)
        self.drop_single = n_share > t["batch_size"] and n_share % t["batch_size"] == 1
        self.loader = make_loader(self.train_ds, self.sampler, t["batch_size"], cfg["data"]["workers"],
                                  self.device, t["seed"], drop_last=self.drop_single)
        micro = n_share // t["batch_size"] if self.drop_single else -(-n_share // t["batch_size"])
        self.steps_per_epoch = -(-micro // t["accumulate"])
        self.micro_per_epoch = micro
        self.optimizer = create_optimizer(self.model, cfg)
        self.scheduler = create_scheduler(self.optimizer, cfg, self.steps_per_epoch)
        self.step, self.start_epoch, self.start_batch = 0, 0, 0
        self.partial = _new_partial()
        self.best_metric = t["best_metric"] if t["best_metric"] != "auto" else ("Fmax" if self.task == "sod" else "CC")
        from saliency.validate import val_metric_names

        if self.best_metric not in val_metric_names(self.task):
            raise UserError(f"train.best_metric {self.best_metric}: not a validation metric of `task` {self.task}; "
                            f"choose from {', '.join(val_metric_names(self.task))}")
        self.best_value, self.best_epoch = None, None
        self.best_from_last = False  # best_metric changed on resume and last.pt is the better: it becomes best.pt
        self.best_notes: list[str] = []
        self.val_notes: list[str] = []  # images a validation metric left out of its mean (validate), each once
        self.last_good = None
        if self.resume:
            try:  # a last.pt copied from another run: name both models, not torch's key list
                self.model.load_state_dict(ck["model"])
                if self.ema is not None and ck.get("ema"):
                    self.ema.load_state_dict(ck["ema"])
                self.optimizer.load_state_dict(ck["optimizer"])
            except (RuntimeError, ValueError, KeyError) as exc:
                held = (ck.get("config") or {}).get("name", "an unnamed model")
                raise UserError(f"`resume` {self.run}: {last} holds the weights of {held}, which do not fit the "
                                f"run's model {self.model.config.get('name')} ({type(exc).__name__}); resume the run "
                                "that wrote it, or start a new run with `out`") from None
            sched_state = dict(ck["scheduler"])
            self.scheduler.load_state_dict(sched_state)
            self.step = ck["step"]
            self.start_epoch, self.start_batch = ck["epoch"], ck["batch_in_epoch"]  # epochs: checked above
            self.partial = dict(ck.get("partial") or self.partial)
            self.partial.setdefault("images", None)  # a last.pt of before stop 20: the epoch's images unknown
            if not self.info.is_main:  # last.pt holds the sums over every rank (_interrupt): rank 0 carries them
                self.partial.update(loss_sum=0.0, n=0, images=None if self.partial["images"] is None else 0)
            b = ck.get("best") or {}
            if b.get("metric") == self.best_metric:
                self.best_value, self.best_epoch = b.get("value"), b.get("epoch")
            elif b:  # best_metric changed on resume
                self._rescore_best(ck, b.get("metric"))
            set_rng_state(ck["rng"])
            self.last_good = (self.run / CKPT_DIR / "last.pt", ck["epoch"], ck["step"])
            if self.partial.get("lr") is None and self.step > 0:
                # a last.pt written before it recorded the rate of the epoch's last step so far (metrics.csv's lr):
                # that step's rate under the schedule it ran under (its train_config, else config.yaml not yet
                # rewritten), not under the re-planned one below (another `epochs` moves every decaying step)
                ran = ck.get("train_config") or C.build_config(str(self.run / "config.yaml"), {}, [],
                                                               check_folders=False, resumed=True)
                probe = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
                was = create_scheduler(probe, ran, self.steps_per_epoch).lr_lambdas[0]
                self.partial["lr"] = self.scheduler.base_lrs[0] * was(self.step - 1)
            # the schedule follows the (possibly longer) new plan from the current step
            for g, lr0 in zip(self.optimizer.param_groups, self.scheduler.base_lrs):
                g["lr"] = lr0 * self.scheduler.lr_lambdas[0](self.step)
            self.scheduler._last_lr = [g["lr"] for g in self.optimizer.param_groups]
        if self.info.is_main:
            self.run.mkdir(parents=True, exist_ok=True)
            write_text(self.run / "config.yaml", dump_yaml(cfg))
            if self.best_from_last:  # after config.yaml: best.pt is chosen by the metric the run now records
                self._best_from_last()
            kept = self.run / "split.json"
            # a resumed run keeps its split.json; a data root (moved: --data) or data.val changed on resume (held
            # out: prepare_data) is recorded with the same ids, so split.json names the folders, as config.yaml does;
            # a split.json without val_layout (written before it was recorded) gets it, for the next resume to check
            old = json.loads(kept.read_text(encoding="utf-8")) if self.resume and kept.is_file() else None
            if not isinstance(old, dict) or any(old.get(k) != split[k]
                                                for k in ("root", "layout", "val_root", "val_layout")):
                write_json(kept, split)
        self.metrics_log = MetricsLog(self.run / "metrics.csv", self.resume) if self.info.is_main else None
        self.tb = open_tensorboard(self.run, t["tensorboard"]) if self.info.is_main else None

    def _rescore_best(self, ck: dict, old_metric) -> None:
        """``train.best_metric`` changed on resume: the best so far is the better of best.pt and last.pt by it.

        Both are measured from the validation metrics they store (best.pt was
        the best by the old metric, last.pt may be better by the new one), so
        an epoch worse by the new metric never replaces best.pt; when last.pt
        is the better, setup copies it to best.pt. An epoch that metrics.csv
        shows better still, whose weights neither file holds, is named in a
        note rather than claimed.
        """
        from saliency.validate import is_better

        metric = self.best_metric
        value, epoch = _stored_best(self.run / CKPT_DIR / "best.pt", metric)
        last_value, last_epoch = _stored_best(self.run / CKPT_DIR / "last.pt", metric, ck)
        if last_value is not None and is_better(metric, last_value, value):
            value, epoch, self.best_from_last = last_value, last_epoch, True
        self.best_value, self.best_epoch = value, (epoch if value is not None else None)
        if not self.info.is_main:
            return
        logged = _csv_best(self.run / "metrics.csv", metric, ck["epoch"])
        # metrics.csv holds 6 decimals: the kept value is rounded so, lest an equal epoch be called better
        if logged is not None and logged[1] != self.best_epoch and \
                is_better(metric, logged[0], None if value is None else round(value, 6)):
            now = (f"best.pt is epoch {self.best_epoch} ({metric} {value:.4f}), the best of the kept weights"
                   if value is not None else "no kept weights record it: the next validated epoch becomes best.pt")
            self.best_notes.append(f"train.best_metric {metric} (was {old_metric}): epoch {logged[1]} has the best "
                                   f"{metric} in metrics.csv ({logged[0]:.4f}), but its weights were not kept "
                                   f"(best.pt held the best by {old_metric}); {now}")

    def _best_from_last(self) -> None:
        """Copy ``last.pt`` to ``best.pt`` (a temporary file, then renamed), recording the new best metric."""
        from saliency.checkpoint import load, save

        ck = load(self.run / CKPT_DIR / "last.pt")
        ck["best"] = {"metric": self.best_metric, "value": self.best_value, "epoch": self.best_epoch}
        save(self.run / CKPT_DIR / "best.pt", ck)
        self.best_from_last = False

    def fit(self) -> dict:
        """Train to ``train.epochs``; returns a summary (best metric, paths)."""
        try:
            from saliency.base.fsutil import signals_held, terminate_raises

            with terminate_raises():  # SIGTERM during start-up raises, so the old run is put back (issue 16)
                if not self.resume:
                    with signals_held():
                        self._replaced = _REPLACED.pop(_run_key(self.run), None)
                        self._fresh = _FRESH.pop(_run_key(self.run), None) if self._replaced is None else None
                from saliency import distributed as dist

                self.setup()
                try:
                    with Signals() as sig:
                        self._loop(sig)
                finally:
                    try:
                        if self.tb is not None:
                            self.tb.close()
                        dist.shutdown(self.info)
                    finally:
                        self.close()
        except BaseException as exc:
            self._settle_replaced(keep_new=False)  # the new run did not finish: the old run comes back
            self._settle_fresh(keep_new=False)  # or, for a new folder, this run's files go
            release_run(self.run)
            raise
        self._settle_replaced(keep_new=True)
        self._fresh = None
        release_run(self.run)
        return {"run": str(self.run), "best_metric": self.best_metric, "best_value": self.best_value,
                "best_epoch": self.best_epoch, "epochs": self.cfg["train"]["epochs"], "steps": self.step,
                "train_images": len(self.train_ds), "val_images": len(self.val_ds), "layout": self.split["layout"],
                "notes": self.split["notes"] + self.val_notes + ([self.threads_note] if self.threads_note else [])
                + self.best_notes
                + ([self.late_signal] if self.late_signal else [])}

    def _loop(self, sig) -> None:
        from saliency import distributed as dist
        from saliency.base.progress import progress
        from saliency.validate import is_better, write_png

        t = self.cfg["train"]
        acc = t["accumulate"]
        epochs = t["epochs"]
        if self.start_epoch >= epochs:
            return
        for epoch in range(self.start_epoch, epochs):
            self.sampler.set_epoch(epoch)
            start_batch = self.start_batch if epoch == self.start_epoch else 0
            if epoch != self.start_epoch:
                self.partial = _new_partial()
            self.sampler.set_start(start_batch * t["batch_size"])
            self.model.train()
            bar = progress(total=self.micro_per_epoch, initial=start_batch, desc=f"epoch {epoch + 1}/{epochs}",
                           enabled=self.progress and self.info.is_main, leave=False, unit="batch")
            t0 = time.perf_counter()
            n_epoch_imgs = 0
            batch_i = start_batch
            group = []
            it = iter(self.loader)
            while True:
                try:
                    batch = next(it)
                except StopIteration:
                    batch = None
                except UserError as exc:  # raised here (workers 0): as it is, its parameter spelled by the CLI
                    if not _from_worker(exc):
                        raise
                    # a worker's traceback: its last line, or (its folder replaced, a file of it gone) the dataset's
                    # refusal raised here, naming the folder by where it came from (a worker's text lost that)
                    self.train_ds.check_files()
                    raise UserError(clean_error(exc)) from None
                if batch is not None:
                    group.append(batch)
                    batch_i += 1
                if group and (len(group) == acc or batch is None):
                    try:
                        self._optimizer_step(group, epoch, batch_i)
                    except ValueError as exc:  # torch's batch norm met a single value per channel
                        if "more than 1 value per channel" not in str(exc):
                            raise
                        from saliency.config import resolved_model

                        raise UserError(f"model {resolved_model(self.cfg)} normalises pooled features with batch "
                                        f"norm, which cannot train on a batch of one image; give `batch_size` 2 or "
                                        f"more (now {t['batch_size']})") from None
                    n_group = sum(int(b["image"].shape[0]) for b in group)
                    n_epoch_imgs += n_group
                    if self.partial["images"] is not None:
                        self.partial["images"] += n_group
                    group = []
                    el = time.perf_counter() - t0
                    bar.update(batch_i - bar.n)
                    bar.set_postfix_str(f"loss={self.partial['loss_sum'] / max(1, self.partial['n']):.4f}, "
                                        f"img_s={n_epoch_imgs * self.info.world / max(el, 1e-9):.1f}")
                    if dist.any_true(self.info, sig.signum is not None, self.device):
                        bar.close()
                        dist.average_buffers(self.info, self.model, self.ema.shadow if self.ema else None)
                        self.partial["seconds"] += time.perf_counter() - t0
                        self._interrupt(sig.signum or signal.SIGTERM, epoch, batch_i)
                if batch is None:
                    break
            bar.close()
            dist.average_buffers(self.info, self.model, self.ema.shadow if self.ema else None)
            self._check_finite(epoch)  # before validation and saving: a checkpoint is always a usable one
            elapsed = time.perf_counter() - t0
            self.partial["seconds"] += elapsed
            done = epoch + 1
            if self.partial["images"] is not None:  # the whole epoch's images over its seconds, a resume included
                rate = dist.mean_scalar(self.info, self.partial["images"], self.device) * self.info.world \
                    / max(self.partial["seconds"], 1e-9)
            else:  # resumed from a last.pt that did not count them: the rate since the resume
                rate = dist.mean_scalar(self.info, n_epoch_imgs / max(elapsed, 1e-9), self.device) * self.info.world
            # the loss over every rank's images (torchrun: each rank saw its shard), not rank 0's alone
            n_all = dist.mean_scalar(self.info, self.partial["n"], self.device)
            loss = dist.mean_scalar(self.info, self.partial["loss_sum"], self.device) / n_all if n_all else 0.0
            # the rate the epoch's last optimiser step ran at (the optimiser's rate now is the next step's);
            # (for a last.pt that did not record it, setup worked it out from the schedule the step ran under)
            lr = self.partial.get("lr")
            if lr is None:
                lr = self.scheduler.base_lrs[0] * self.scheduler.lr_lambdas[0](max(0, self.step - 1))
            row = {"epoch": done, "step": self.step, "lr": f"{lr:.6g}",
                   "loss": f"{loss:.6f}",
                   "images_per_s": f"{rate:.2f}",
                   "epoch_s": f"{self.partial['seconds']:.1f}"}
            metrics = None
            if done % t["val_every"] == 0 or done == epochs:
                tv = time.perf_counter()
                metrics, grid = self.validate(epoch)
                row.update({k: f"{v:.6f}" for k, v in metrics.items()})
                row["val_s"] = f"{time.perf_counter() - tv:.1f}"
                if grid is not None and self.info.is_main:
                    write_png(self.run / "grids" / f"epoch_{done:03d}.png", grid)
            self._check_data()  # before the epoch's row and checkpoint claim the data it read
            improved = metrics is not None and is_better(self.best_metric, metrics[self.best_metric], self.best_value)
            if improved:
                self.best_value, self.best_epoch = metrics[self.best_metric], done
            row["best"] = int(improved)
            if self.info.is_main:
                # the row before its checkpoint: a kill between the two leaves a row that the resumed run,
                # redoing this epoch from the previous last.pt, replaces (MetricsLog.add); the other order
                # lost the row for good
                self.metrics_log.add(row, done)
            payload = self._payload(done, 0, {"loss_sum": 0.0, "n": 0, "seconds": 0.0}, metrics)
            if improved:
                self._save("best.pt", payload)
            self._save("last.pt", payload)
            self.last_good = (self.run / CKPT_DIR / "last.pt", done, self.step)
            if self.info.is_main:
                if self.tb is not None:
                    self.tb.add_scalar("train/loss", float(row["loss"]), done)
                    self.tb.add_scalar("train/lr", float(row["lr"]), done)
                    for k, v in (metrics or {}).items():
                        self.tb.add_scalar(f"val/{k}", v, done)
                if self.progress:
                    shown = " ".join(f"{k} {v:.4f}" for k, v in (metrics or {}).items())
                    bar.write(f"epoch {done}/{epochs}: loss {float(row['loss']):.4f}  {shown}  "
                              f"({row['epoch_s']} s, {row['images_per_s']} img/s)")
            if sig.signum is not None and done < epochs:
                self._interrupt(sig.signum, done, 0, saved=True)
            elif sig.signum is not None:  # the last epoch is validated and saved: the run is complete, kept as one
                self.late_signal = (f"{signal.Signals(sig.signum).name} came after the last epoch was saved; "
                                    "the run is complete")

    def _optimizer_step(self, group: list, epoch: int, batch_i: int) -> None:
        import torch

        from saliency import distributed as dist

        n_micro = len(group)
        total_loss = 0.0
        for k, batch in enumerate(group):
            sync = (k == n_micro - 1) or not self.info.enabled
            ctx = self.net.no_sync() if (not sync and hasattr(self.net, "no_sync")) else _null()
            with ctx:
                loss, n = self._forward_loss(batch)
                finite = bool(torch.isfinite(loss).item())
                if not dist.all_true(self.info, finite, self.device):
                    self._nan_stop(loss, epoch, batch_i - n_micro + k + 1)
                (loss / n_micro).backward()
            total_loss += float(loss.item()) * n
            self.partial["n"] += n
        self.partial["loss_sum"] += total_loss
        clip = self.cfg["train"]["clip_grad"]
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
        self.partial["lr"] = self.optimizer.param_groups[0]["lr"]  # this step's rate, before the next is set
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        self.step += 1
        if self.ema is not None:
            self.ema.update(self.model)

    def _check_finite(self, epoch: int) -> None:
        """Stop (exit 3) when a weight or buffer is NaN or infinite at the end of an epoch.

        A finite loss does not prove finite weights: a huge learning rate can
        leave batch norm's running variance infinite while the loss stays a
        (huge) number, and such a model predicts black maps. Checked on the
        trained weights and the EMA copy before anything is validated or
        saved, so the last good checkpoint named is always finite.
        """
        import torch

        states = [("", self.model.state_dict())] + ([("ema ", self.ema.shadow)] if self.ema is not None else [])
        bad = [f"{tag}{k}" for tag, sd in states for k, v in sd.items()
               if torch.is_tensor(v) and v.is_floating_point() and not bool(torch.isfinite(v).all())]
        if not bad:
            return
        raise TrainingStopped(f"{len(bad)} weight tensor(s) hold NaN or infinite values after epoch {epoch + 1} "
                              f"(e.g. {bad[0]}), though the loss stayed finite; training stopped, nothing of this "
                              f"epoch saved; {self._last_good_text()}; lower optim.lr or set train.clip_grad")

    def _last_good_text(self) -> str:
        """Where a stopped run can be taken up: its last good checkpoint, named for the stop message."""
        if self._replaced is not None:
            return f"the run it was to replace is put back in {self.run} (nothing of this run is kept)"
        if self.last_good is None:
            return "no checkpoint was written yet"
        return f"last good checkpoint: {self.last_good[0]} (epoch {self.last_good[1]}, step {self.last_good[2]})"

    def _nan_stop(self, loss, epoch: int, batch_i: int):
        raise TrainingStopped(f"loss is {float(loss.item())} at step {self.step + 1} (epoch {epoch + 1}, batch "
                              f"{batch_i}); training stopped; {self._last_good_text()}; lower optim.lr or set "
                              "train.clip_grad")

    def _check_data(self) -> None:
        """Refuse (UserError, on every rank) when a dataset read lazily (``data.cache`` false: its files are read
        again each epoch) had its folder replaced since it was indexed (``SaliencyDataset.check_source``): the
        epoch read two datasets. A cached one was read whole at set-up (checked there: ``prepare_data``)."""
        from saliency import distributed as dist

        lazy = [ds for ds in (self.train_ds, self.val_ds) if ds.cache is None]
        if not lazy:  # the same on every rank (one config)
            return
        err = None
        for ds in lazy:
            try:
                ds.check_source()
            except UserError as exc:
                err = err or exc
        if dist.any_true(self.info, err is not None, self.device):
            if err is not None:
                raise err from None
            from saliency.base.fsutil import replaced_error

            source = self.train_ds.source
            raise replaced_error(source[0][0][0] if source else self.cfg["data"]["root"], "data",
                                 self._data_names["data"])

    def _interrupt(self, signum: int, epoch: int, batch_i: int, saved: bool = False):
        from saliency import distributed as dist

        where = (f"{signal.Signals(signum).name}: stopped at step {self.step} (epoch {epoch + (0 if saved else 1)}, "
                 f"batch {batch_i})")
        partial = dict(self.partial)
        if not saved:  # every rank (a collective): the epoch's loss so far over all ranks' images, not rank 0's
            images = -1.0 if partial.get("images") is None else partial["images"]
            loss_sum, n, images = dist.sum_scalars(self.info, [partial["loss_sum"], partial["n"], images],
                                                   self.device)
            partial.update(loss_sum=loss_sum, n=int(round(n)),
                           images=None if partial.get("images") is None else int(round(images)))
        if self._replaced is not None:  # an unfinished run never replaces a finished one: fit() puts it back
            dist.barrier(self.info)
            raise Interrupted(signum, f"{where} before the run finished; {self._last_good_text()}")
        if not saved:
            self._check_data()  # the part of the epoch read: no checkpoint of a mix
            self._save("last.pt", self._payload(epoch, batch_i, partial, None))
        dist.barrier(self.info)
        raise Interrupted(signum, f"{where}; wrote {self.run / CKPT_DIR / 'last.pt'}; continue with: saliency train "
                                  f"--resume {self.run}")


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

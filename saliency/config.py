"""Training configuration: one YAML document, every default documented, dotted overrides.

The defaults below are the small-model CPU recipe: the built-in tiny U-Net
(``unet_tiny_cbam_<task>``, about 0.7 M parameters, trained from scratch),
inputs resized to 144 x 192 and cached in memory, AdamW with a short linear
warm-up and a cosine decay. They train the synthetic study to Fmax > 0.9 in a
few minutes on two CPU cores (``docs/BENCHMARKS.md``, section Training). The
GPU recipes of the reference models (``../shared/REFERENCES.md`` section 5)
are a ``--config`` file away: e.g. ``model: unet_resnet50_cbam_sod``,
``pretrained: true``, ``data.size: [320, 320]``, ``train.batch_size: 12``.

Precedence (lowest first): :data:`DEFAULT_YAML`, ``--config FILE``, then the
command line: the plain flags (``--epochs``, ``--batch-size``, ...) and ``--set
KEY=VALUE`` (repeatable; VALUE is parsed as YAML, so ``--set
data.size=[256,256]`` and ``--set train.ema=0.999`` work). An unknown key is
an error that lists the valid keys of its section (and the closest key, when one is close), never a warning; a key
given twice on the command line (twice among the ``--set`` overrides, or by
its flag and a ``--set``: ``--lr 0.01 --set optim.lr=0.02``, also through a
section, ``--set optim={lr: 0.1}``) is an error naming both (the last one was
kept silently).

Every error about a value names where the value came from: ``FILE: key``
for a ``--config`` file (or a resumed run's ``config.yaml``), the flag for a
flag (``--lr``), ``--set key`` for an override (``origin`` of
:func:`build_config`; library messages name ``flags`` entries by their
parameter in backticks, see :data:`FLAG_PARAMS`).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

from saliency.base.errors import UserError

DEFAULT_YAML = """\
# saliency train configuration (every key, with its default).
task: sod                 # sod | fixation
model: null               # registered model name (models.list_models()); null = unet_tiny_cbam_<task>
pretrained: false         # load the encoder's ImageNet weights (timm encoders only)
pretrained_file: null     # with pretrained: those weights from this .safetensors/.pth file, not the hub

data:
  root: null              # dataset folder (--data): SOD images+masks, or a fixation dataset (see saliency train -h)
  dataset: null           # a published dataset under root (--dataset, e.g. OSIE: maps built from its raw fixations)
  split: null             # part of data.dataset's documented split to train on (--split; OSIE default: train)
  val: null               # optional separate validation folder (same layout rules); null = seeded split of root
  val_fraction: 0.2       # share of root held out for validation when data.val is null
  split_seed: 0           # seed of that split (the ids are written to RUN/split.json)
  size: [144, 192]        # network input [height, width]; images are resized to it (and cached)
  cache: true             # keep resized samples in memory (decoded once, before the first epoch)
  workers: 0              # DataLoader worker processes (0 = load in the main process)
  fixation_top: 0.02      # fixation data without binary fixations: fixated = this top fraction of map pixels
  augment:
    hflip: 0.5            # probability of a horizontal flip
    crop_scale: [0.6, 1.0]  # random resized crop: area range (relative); [1, 1] disables it
    crop_p: 0.5           # probability of the random crop
    rotate: 10.0          # maximum rotation in degrees (0 disables)
    rotate_p: 0.3         # probability of a rotation
    color_jitter: 0.2     # brightness/contrast/saturation jitter amplitude (0 disables)
    color_p: 0.5          # probability of colour jitter

train:
  epochs: 12              # number of epochs
  batch_size: 16          # images per optimiser step per process (before accumulation)
  accumulate: 1           # gradient accumulation steps per optimiser step
  clip_grad: 1.0          # max global gradient norm (0 = no clipping)
  ema: 0.0                # EMA decay of the weights, e.g. 0.999 (0 = off); validation and best.pt use the EMA
  seed: 0                 # seed of weights, sampling and augmentation
  deterministic: false    # torch.use_deterministic_algorithms + seeded workers: bit-identical reruns and resumes
  device: auto            # auto | cpu | cuda | cuda:N | mps
  amp: auto               # auto (bf16 on a CUDA GPU that has it, else float32) | bf16 | off
  channels_last: auto     # auto (on CUDA) | true | false
  compile: false          # torch.compile the model (CUDA; fixed input size)
  threads: auto           # torch CPU threads: auto (CPU: 1 when the machine is busy or --deterministic, else
                          #   torch's default), or a number
  val_every: 1            # validate every N epochs (and after the last)
  best_metric: auto       # metric choosing best.pt: auto (sod: Fmax, fixation: CC) or any validation metric
  grid_images: 8          # validation images in the per-epoch PNG grid (0 = no grid)
  tensorboard: auto       # auto (when tensorboard is installed) | true | false

optim:
  name: adamw             # adamw | sgd
  lr: 0.003               # peak learning rate
  weight_decay: 0.0001    # decoupled weight decay (not applied to biases and norm parameters)
  momentum: 0.9           # SGD momentum (AdamW: beta1)
  nesterov: false         # SGD Nesterov momentum

sched:
  name: cosine            # cosine | poly | constant (after the warm-up)
  warmup_epochs: 0.5      # linear warm-up length in epochs (fractions allowed; shorter than a cosine/poly schedule)
  min_lr: 0.00003         # final learning rate (cosine, poly); at most optim.lr
  power: 0.9              # poly exponent
  epochs: null            # cosine/poly schedule length in epochs; null = train.epochs (to plan a run to --resume)

loss:
  name: auto              # auto (sod: structure, fixation: fixation_unisal) or a models.losses name
  side_weight: 0.5        # weight of each deep-supervision side output (main output: 1)
"""

DEFAULTS: dict = None  # filled below
CHOICES = {
    "task": ("sod", "fixation"),
    "optim.name": ("adamw", "sgd"),
    "sched.name": ("cosine", "poly", "constant"),
    "train.amp": ("auto", "bf16", "off"),
}


WORKERS_MAX = 1024
"""Most ``data.workers`` (the ceiling of ``saliency train --workers`` with ``--force-workers``, the same number)."""

#: The parameter (the command line's flag, ``cli_flag``) that sets each dotted key of :func:`build_config`'s
#: ``flags``; ``data.root`` is ``root`` when ``data.dataset`` is given too (``--dataset NAME --root DIR``).
FLAG_PARAMS = {"data.root": "data", "data.dataset": "dataset", "data.split": "split", "task": "task",
               "model": "model", "pretrained": "pretrained", "pretrained_file": "pretrained_file",
               "train.epochs": "epochs", "train.batch_size": "batch_size", "optim.lr": "lr",
               "train.device": "device", "data.workers": "workers", "train.seed": "seed",
               "train.deterministic": "deterministic"}

_NO_VALUE = object()


def _who(origin: dict | None, key: str, value=_NO_VALUE) -> str:
    """How an error names the dotted ``key`` (and its ``value``) by where it came from (see :func:`build_config`).

    Default: ``config key=value``; a file: ``FILE: key=value``; a flag: ```param` value`` (the command line
    shows ``--param value``); an override: ```overrides` key=value`` (``--set key=value``).
    """
    src = (origin or {}).get(key)
    shown = "" if value is _NO_VALUE else repr(value)
    if src and src[0] == "flag":
        return f"`{src[1]}`" + (f" {shown}" if shown else "")
    eq = f"={shown}" if shown else ""
    if src and src[0] == "file":
        return f"{src[1]}: {key}{eq}"
    if src and src[0] == "set":
        return f"`overrides` {key}{eq}"
    return f"config {key}{eq}"


def _load_defaults() -> dict:
    import yaml

    return yaml.safe_load(DEFAULT_YAML)


DEFAULTS = _load_defaults()


def default_config() -> dict:
    """A fresh copy of the documented defaults."""
    return copy.deepcopy(DEFAULTS)


def _merge(base: dict, new: dict, where: str, ref: dict, origin: dict | None = None, src=None) -> None:
    """Merge ``new`` into ``base`` (keys checked against ``ref``); ``origin[key] = src`` for each value set."""
    for k, v in new.items():
        key = f"{where}{k}"
        head = _who({key: src}, key)
        if k not in ref:
            valid = ", ".join(f"{where}{x}" for x in ref)
            raise UserError(f"{head}: unknown key; valid keys here: {valid}{_did_you_mean(key)}")
        if isinstance(ref[k], dict):
            if not isinstance(v, dict):
                raise UserError(f"{head}: must be a mapping of {', '.join(ref[k])} (a section), not {v!r}")
            _merge(base[k], v, key + ".", ref[k], origin, src)
        else:
            base[k] = v
            if origin is not None:
                origin[key] = src


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter inserted, deleted or replaced (not the first), or two neighbours
    swapped (a Damerau-Levenshtein distance of exactly 1)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        # a replaced first letter is another word more often than a slip (vflip is no hflip): not one edit here
        return (len(diff) == 1 and diff[0] > 0) or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    k = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[k:] == long_[k + 1:]


def _did_you_mean(typed: str) -> str:
    """``; did you mean optim.lr?`` for an unknown dotted key (``optim.lrr``, ``optm.lr``, ``train.amo``); else ''.
    Each unknown segment is compared with the keys of its own section only (a segment that more segments follow,
    with the section names there), and a key is named only when it is the one key of that section one edit away
    (:func:`_one_edit_apart`: a letter added, dropped or replaced, or two swapped). A looser similarity named keys of
    another meaning: ``optim.wd`` -> ``optim.lr``, ``data.augment.rotate_deg`` -> ``rotate_p``, ``train.log_every``
    -> ``val_every`` (reviews RR3, RR7); a one-letter slip is what a hint can tell safely, and the valid keys are
    listed beside it. The key is written bare, as config keys are in these messages (backticks name a library
    parameter, which the command line spells as its flag)."""
    parts, node, fixed = typed.split("."), DEFAULTS, False
    for i, part in enumerate(parts):
        if not isinstance(node, dict):
            return ""
        if part not in node:
            more = i < len(parts) - 1
            close = [k for k, v in node.items() if (isinstance(v, dict) or not more) and _one_edit_apart(part, k)]
            if len(close) != 1:
                return ""
            parts[i], fixed = close[0], True
        node = node[parts[i]]
    return f"; did you mean {'.'.join(parts)}?" if fixed else ""


def load_config_file(path: str | Path) -> dict:
    """Parse a YAML config file (partial: only the keys it changes)."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise UserError(f"`config_file` {p}: file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"`config_file` {p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"`config_file` {p}: expected a mapping of config keys")
    return data


def parse_override(text: str) -> tuple[list[str], object]:
    """``'optim.lr=3e-4'`` -> (['optim', 'lr'], 0.0003); the value is parsed as YAML."""
    import yaml

    if "=" not in text:
        raise UserError(f"`overrides` {text}: expected KEY=VALUE, e.g. `overrides` optim.lr=3e-4")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise UserError(f"`overrides` {text}: empty key")
    if not raw.strip():  # empty (as an unset shell variable gives): null, which only a key whose default is null takes
        default = _default_of(key.split("."))
        if default is not None and not isinstance(default, dict):  # a section or an unknown key: apply_override says
            raise UserError(f"`overrides` {key}=: empty value; {key} cannot be null (its default is {default!r}): "
                            "give a value or leave it out")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    if isinstance(value, str) and _looks_numeric(value):
        value = float(value)  # YAML 1.1 reads '3e-4' as a string
    return key.split("."), value


def _default_of(path: list[str]):
    """The default of the dotted ``path`` (a value, or a section's dict); None where it has none or no such key."""
    node = DEFAULTS
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _looks_numeric(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def apply_override(cfg: dict, path: list[str], value, origin: dict | None = None, src=("set",)) -> None:
    """Set ``cfg[path[0]][path[1]]... = value``; unknown keys are errors; ``origin[key] = src`` for each value set."""
    node, ref = cfg, DEFAULTS
    for i, part in enumerate(path):
        dotted = ".".join(path[: i + 1])
        if not isinstance(ref, dict):
            parent = ".".join(path[:i])
            raise UserError(f"`overrides` {'.'.join(path)}: {parent} is a single value with no sub-keys; "
                            f"set it as {parent}=VALUE")
        if part not in ref:
            parent = ".".join(path[:i])
            valid = ", ".join((f"{parent}." if parent else "") + k for k in ref)
            raise UserError(f"`overrides` {'.'.join(path)}: unknown key {dotted!r}; valid: {valid}"
                            f"{_did_you_mean('.'.join(path))}")
        if i == len(path) - 1:
            if isinstance(ref[part], dict):
                if not isinstance(value, dict):
                    raise UserError(f"`overrides` {dotted}: is a section; set one of its keys, e.g. {dotted}."
                                    f"{next(iter(ref[part]))}=...")
                _merge(node[part], value, dotted + ".", ref[part], origin, src)
            else:
                node[part] = value
                if origin is not None:
                    origin[dotted] = src
        else:
            node, ref = node[part], ref[part]


def _override_shown(text: str, key: str) -> str:
    """An override as a repeated-key error shows it: its value as typed when it names ``key`` itself, else whole
    (``optim={lr: 0.1}`` sets ``optim.lr`` too)."""
    name, _, raw = text.partition("=")
    if name.strip() != key:
        return text
    return raw.strip() or '""'


def _flag_shown(flags: dict, key: str, param: str, by_file: bool = False) -> str:
    """The flag that set ``key`` as an error shows it: ```param` value``, a switch (``--deterministic``) alone;
    ``pretrained`` set by ``pretrained_file`` (``by_file``: ``--pretrained-file FILE`` loads the weights) names that
    file."""
    if key == "pretrained" and by_file:
        return f"`pretrained_file` {flags['pretrained_file']}"
    value = flags[key]
    return f"`{param}`" if value is True else f"`{param}` {value}"


def build_config(config_file: str | None = None, flags: dict | None = None, overrides=(), *,
                 check_folders: bool = True, resumed: bool = False) -> dict:
    """Defaults <- ``config_file`` <- ``flags`` (dotted key -> value, None = unset) <- ``overrides``.

    An error names each bad value by its origin: ``FILE: key`` (``config_file``), the flag's parameter
    (:data:`FLAG_PARAMS`) or ```overrides` key``. A key that two ``overrides`` set (the same key twice, or a
    section and one of its keys), or that a flag and an override both set, is refused naming both (never the
    last one kept silently). A ``data.root`` or ``data.val`` folder given by the file
    or an override must exist (a flag's folder is checked, and named, when the data is read); ``check_folders=False``
    leaves that out (a resumed run's own config, only compared with the new one: its data may have moved).
    A ``sched.min_lr`` given (file or override) above ``optim.lr`` is refused (the schedule cannot end above its
    peak) when ``--set`` gives it, or a file gives another value than the default (a run's config.yaml and
    ``--print-config`` write the default out: it ends at a smaller ``optim.lr``), unless the schedule is
    constant (it is not used). A ``sched.warmup_epochs`` not shorter than the schedule (``sched.epochs``, else
    ``train.epochs``) of a decaying schedule is refused (:func:`check_warmup`). An ``optim.nesterov`` true or a
    ``sched.power`` given (a flag or override, or a file's value other than the default) that the optimiser or
    schedule would ignore is refused (SGD with momentum only; the poly schedule only). ``resumed``: ``config_file``
    is a resumed run's own config.yaml, whose schedule was accepted when it started and cannot change, so those
    checks are left out. A ``pretrained_file`` flag without a ``pretrained`` one sets ``pretrained`` too (the file's
    weights are loaded); both given, each is the user's own (a refusal names both).
    """
    cfg = default_config()
    origin: dict = {}
    weights: dict = {k: [] for k in _WEIGHT_KEYS}  # every layer that set them, not only the last: _check_model
    if config_file:
        _merge(cfg, load_config_file(config_file), "", DEFAULTS, origin, ("file", str(config_file)))
        _note_weights(weights, cfg, origin)
    flags = dict(flags or {})
    # `pretrained_file` given as a flag loads its weights: it sets `pretrained` too, named as the file's flag; a
    # `pretrained` flag given beside it (--pretrained --pretrained-file F) is the user's own, named as typed
    by_file = flags.get("pretrained_file") is not None and flags.get("pretrained") is None
    if by_file:
        flags["pretrained"] = True
    for key, value in flags.items():
        if value is not None:
            param = FLAG_PARAMS.get(key, key.rpartition(".")[2])
            if key == "data.root" and flags.get("data.dataset"):
                param = "root"
            apply_override(cfg, key.split("."), value, origin, ("flag", param))
            if not (key == "pretrained" and by_file):
                _note_weights(weights, cfg, {key: ("flag", param)})
    given: dict[str, str] = {}  # key -> the override that set it: a second one is refused, never the last kept
    for text in overrides:
        path, value = parse_override(text)
        now: dict = {}
        apply_override(cfg, path, value, now)
        for key in now:
            if key in given:
                first, second = (_override_shown(t, key) for t in (given[key], text))
                raise UserError(f"`overrides` {key} given twice ({first} and {second}); give it once")
            src = origin.get(key)
            if src and src[0] == "flag":  # `lr` 0.01 and `overrides` optim.lr=0.02: the override won silently
                shown = _flag_shown(flags, key, src[1], by_file)
                raise UserError(f"{shown} and `overrides` {text.strip()} both set {key}; give one")
            given[key] = text
        origin.update(now)
        _note_weights(weights, cfg, now)
    validate(cfg, origin)
    if not resumed:
        _check_dataset(cfg, origin)
        _check_unused(cfg, origin)
    lr, min_lr = cfg["optim"]["lr"], cfg["sched"]["min_lr"]
    # a min_lr someone chose (not the default, which every config.yaml and --print-config writes out) above the
    # peak was clamped to it silently; a constant schedule does not use it
    if not resumed and _chosen(origin, "sched.min_lr", min_lr) and cfg["sched"]["name"] != "constant" and min_lr > lr:
        raise UserError(f"{_who(origin, 'sched.min_lr', min_lr)}: is above {_who(origin, 'optim.lr', lr)}; "
                        f"sched.min_lr is the final learning rate, optim.lr the peak: give a sched.min_lr of at "
                        f"most {lr:g}, or a higher optim.lr")
    if resumed:  # sched.epochs may change on resume; a constant schedule still has no length
        _check_constant_length(cfg, origin, resumed=True)
    if check_folders:  # like the device: `--print-config` prints a config for another machine
        _check_tensorboard(cfg, origin)
    if not resumed:
        check_warmup(cfg, origin)
        _check_model(cfg, origin, weights, check_files=check_folders)
        if check_folders:  # `--print-config` (check_folders False) prints a config for another machine's GPU too
            _check_device(cfg, origin)
    for key in ("data.root", "data.val") if check_folders else ():
        v = cfg["data"][key[5:]]
        src = (origin.get(key) or ("",))[0]
        if v is not None and src in ("file", "set") and not Path(v).is_dir():
            fix = "correct it" if src == "set" else "correct it in the file or give " + (
                "`overrides` data.val=DIR" if key == "data.val" else "`root` DIR" if cfg["data"]["dataset"]
                else "`data` DIR")
            raise UserError(f"{_who(origin, key)} {v}: folder not found (a relative path is read from the "
                            f"current folder, {Path.cwd()}); {fix}")
    return cfg


def schedule_length(cfg: dict) -> tuple[str, int]:
    """The dotted key that sets the schedule's length in epochs, and the length (``sched.epochs`` when set, else
    ``train.epochs``, as :func:`saliency.optim.create_scheduler` reads them)."""
    if cfg["sched"]["epochs"] is not None:
        return "sched.epochs", cfg["sched"]["epochs"]
    return "train.epochs", cfg["train"]["epochs"]


def _shown(v):
    """A float as it was typed: a whole one below 1e15 as an int (``3.0``: ``3``), any other as Python writes it
    (``2.5``, ``1e+30``: not its 31 digits)."""
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 else v


def check_warmup(cfg: dict, origin: dict | None = None) -> None:
    """Refuse a ``sched.warmup_epochs`` as long as the decaying schedule (cosine, poly) or longer.

    The schedule was cut to one step after the warm-up: no decay, ``sched.min_lr`` never reached, the run ending at
    the peak rate. A constant schedule has no decay to lose.
    """
    s = cfg["sched"]
    if s["name"] == "constant":
        return
    key, length = schedule_length(cfg)
    w = s["warmup_epochs"]
    if w >= length:
        o = origin or {}
        more = "more `epochs`" if key == "train.epochs" else "a longer sched.epochs"
        raise UserError(f"{_who(o, 'sched.warmup_epochs', _shown(w))}: is not shorter than {_who(o, key, length)}, "
                        f"the length of the {s['name']} schedule, which would never decay to sched.min_lr (the run "
                        f"would end at the peak optim.lr); give a sched.warmup_epochs below {length}, or {more}")


def _chosen(origin: dict, key: str, value) -> bool:
    """Whether the user chose ``key``: an override or flag set it, or a file gave another value than the default
    (a run's config.yaml and ``--print-config`` write every default out)."""
    src = (origin.get(key) or ("",))[0]
    return src in ("set", "flag") or (src == "file" and value != _default_of(key.split(".")))


def _check_unused(cfg: dict, origin: dict) -> None:
    """Refuse an optimiser or schedule key the user chose that the chosen optimiser or schedule does not use.

    ``optim.nesterov`` true is SGD's (and needs ``optim.momentum`` above 0: torch's SGD has no Nesterov step
    without momentum); ``sched.power`` is the poly schedule's exponent. Both were taken, recorded in config.yaml
    and ignored. (``optim.momentum`` is AdamW's beta1, ``optim.weight_decay`` and ``sched.warmup_epochs`` serve
    every choice.) ``sched.epochs`` is a decaying schedule's length (a constant one has none); a transform's
    amplitude (``crop_scale``, ``rotate``, ``color_jitter``) is never applied at a probability of 0, and its
    probability not with the transform off.
    """
    o, s = cfg["optim"], cfg["sched"]
    if o["nesterov"] and _chosen(origin, "optim.nesterov", True):
        if o["name"] != "sgd":
            raise UserError(f"{_who(origin, 'optim.nesterov', True)}: Nesterov momentum is SGD's, and "
                            f"{_who(origin, 'optim.name', o['name'])} is not sgd (it would be ignored); set "
                            "optim.name=sgd too, or leave optim.nesterov out")
        if o["momentum"] == 0:
            raise UserError(f"{_who(origin, 'optim.nesterov', True)}: Nesterov momentum needs momentum, and "
                            f"{_who(origin, 'optim.momentum', o['momentum'])} has none; give an optim.momentum "
                            "above 0, or leave optim.nesterov out")
    _check_constant_length(cfg, origin)
    if s["name"] != "poly" and _chosen(origin, "sched.power", s["power"]):
        raise UserError(f"{_who(origin, 'sched.power', s['power'])}: is the poly schedule's exponent, and "
                        f"{_who(origin, 'sched.name', s['name'])} does not use it; set sched.name=poly too, or "
                        "leave sched.power out")
    d = cfg["data"]
    if d["val"] is not None:  # a separate validation folder: no share of data.root is held out
        for key in ("data.val_fraction", "data.split_seed"):
            if _chosen(origin, key, d[key[5:]]):
                raise UserError(f"{_who(origin, key, d[key[5:]])}: sets the held-out share of data.root, and "
                                f"{_who(origin, 'data.val')} {d['val']} is a separate validation folder (nothing "
                                f"is held out); leave {key} out, or data.val")
    if cfg["task"] == "sod" and _chosen(origin, "data.fixation_top", d["fixation_top"]):
        raise UserError(f"{_who(origin, 'data.fixation_top', d['fixation_top'])}: is for fixation data, and "
                        f"{_who(origin, 'task', 'sod')} does not use it; leave data.fixation_top out")
    aug = d["augment"]
    for key, off, why, what in (("crop_p", aug["crop_scale"][0] >= 1.0, "crop_scale", "[1, 1] disables the crop"),
                                ("rotate_p", aug["rotate"] == 0, "rotate", "0 disables the rotation"),
                                ("color_p", aug["color_jitter"] == 0, "color_jitter", "0 disables the jitter")):
        if off and _chosen(origin, f"data.augment.{key}", aug[key]):
            shown = aug[why] if why != "crop_scale" else [_shown(x) for x in aug[why]]
            raise UserError(f"{_who(origin, f'data.augment.{key}', aug[key])}: is a probability of a transform "
                            f"that {_who(origin, f'data.augment.{why}', shown)} turns off ({what}); give "
                            f"data.augment.{why} too, or leave data.augment.{key} out")
    # the reverse: an amplitude chosen for a transform whose probability is 0 was taken and never applied
    for key, on, p in (("crop_scale", aug["crop_scale"][0] < 1.0, "crop_p"), ("rotate", aug["rotate"] != 0, "rotate_p"),
                       ("color_jitter", aug["color_jitter"] != 0, "color_p")):
        if on and aug[p] == 0 and _chosen(origin, f"data.augment.{key}", aug[key]):
            shown = _shown(aug[key]) if key != "crop_scale" else [_shown(x) for x in aug[key]]
            raise UserError(f"{_who(origin, f'data.augment.{key}', shown)}: is an amplitude of a transform that "
                            f"{_who(origin, f'data.augment.{p}', _shown(aug[p]))} turns off (a probability of 0 "
                            f"never applies it); give data.augment.{p} above 0 too, or leave data.augment.{key} out")


def _check_constant_length(cfg: dict, origin: dict, resumed: bool = False) -> None:
    """Refuse a ``sched.epochs`` the user chose with a constant schedule, which has no length: its warm-up runs
    ``sched.warmup_epochs``, then the peak rate, however long the run (:func:`saliency.optim.create_scheduler`).
    It was taken and did nothing (or, below the warm-up, cut it). ``resumed``: only an override counts (a resumed
    run's own config.yaml was accepted when the run began)."""
    s = cfg["sched"]
    if s["name"] != "constant" or s["epochs"] is None:
        return
    src = (origin.get("sched.epochs") or ("",))[0]
    if src in ("set", "flag") if resumed else _chosen(origin, "sched.epochs", s["epochs"]):
        raise UserError(f"{_who(origin, 'sched.epochs', s['epochs'])}: is the length of a cosine or poly schedule, "
                        f"and {_who(origin, 'sched.name', s['name'])} has none (its warm-up of "
                        "sched.warmup_epochs runs, then the peak optim.lr, however many epochs the run trains); "
                        "set sched.name=cosine or poly too, or leave sched.epochs out")


_WEIGHT_KEYS = ("pretrained", "pretrained_file")
_LAYERS = {"file": 0, "flag": 1, "set": 2}  # the order build_config applies them


def _note_weights(weights: dict, cfg: dict, srcs: dict) -> None:
    """Add to ``weights[key]`` (``pretrained``, ``pretrained_file``) the source in ``srcs`` that has just set it,
    and whether its value (now in ``cfg``) turns the pretrained weights on."""
    for key, src in srcs.items():
        if key in weights:
            weights[key].append((src, cfg[key] is True if key == "pretrained" else cfg[key] is not None))


def _weights_to_drop(weights: dict, key: str) -> str:
    """What to leave out to train without pretrained weights: each setting of ``pretrained`` or
    ``pretrained_file`` that turns them on and that no later one turns off (leaving out only the last, as the
    refusal said, let the one below it - the config file's ``pretrained: true`` under ``--pretrained-file`` - turn
    them on again, and a second refusal named it), a config file's keys together: ``pretrained and pretrained_file
    from FILE``. ``weights``: build_config's record (:func:`_note_weights`); ``key`` when it names none."""
    on = []
    for k in _WEIGHT_KEYS:
        layers = weights.get(k, [])
        last_off = max((i for i, (_, is_on) in enumerate(layers) if not is_on), default=-1)
        on += [(k, src) for src, _ in layers[last_off + 1:]]
    on.sort(key=lambda e: _LAYERS.get(e[1][0], len(_LAYERS)))  # stable: pretrained before pretrained_file
    in_file = [k for k, src in on if src[0] == "file"]
    parts = [f"{' and '.join(in_file)} from {on[0][1][1]}"] if in_file else []
    parts += [_who({k: src}, k) if src[0] else k for k, src in on if src[0] != "file"]
    if not parts:
        return key
    if len(parts) == 1:
        return parts[0]
    last = " and " if len(parts) == 2 and len(in_file) < 2 else ", and "
    return ", ".join(parts[:-1]) + last + parts[-1]


def _check_model(cfg: dict, origin: dict, weights: dict, check_files: bool = True) -> None:
    """Refuse, before any data is read, what building the model would refuse after it is read and cached.

    ``pretrained`` with a model whose encoder is built in (no ImageNet weights), a ``pretrained_file`` that is not
    a file (only with ``check_files``: ``--print-config`` prints a config naming another machine's file), a
    ``data.size`` too small for the model (:func:`check_input_size`), each named by where
    it came from (they named the flag, or ``config data.size``, whatever gave them). ``weights``: build_config's
    record of each setting of ``pretrained`` and ``pretrained_file`` (:func:`_weights_to_drop`).
    """
    import torch

    from saliency import models
    from saliency.models.encoders import BUILTIN_ENCODERS
    from saliency.models.zoo import MODELS

    name = cfg["model"]
    spec = MODELS[name]
    if cfg["pretrained"]:
        enc = spec["encoder"] if spec["arch"] == "unet" else spec["coarse"]["encoder"]
        pf = cfg["pretrained_file"]
        key = "pretrained_file" if pf is not None else "pretrained"
        if enc in BUILTIN_ENCODERS:
            drop = _weights_to_drop(weights, key)  # as given: the flag, the override, the file's key
            raise UserError(f"{_who(origin, key)}{f' {pf}' if pf is not None else ''}: {name} has the built-in "
                            f"encoder {enc!r}, which has no pretrained weights; leave out {drop}, or choose a model "
                            "with a timm encoder (saliency train --list-models)")
        if check_files and pf is not None and not Path(pf).is_file():
            raise UserError(f"{_who(origin, key)} {pf}: no such file (a relative path is read from the current "
                            f"folder, {Path.cwd()}); give the timm ImageNet weights of {enc!r} (.safetensors or .pth)")
    with torch.device("meta"):  # its shape only: no memory, no weights
        model = models.create_model(name)
    try:
        check_input_size(model, cfg["data"]["size"], name)
    except UserError as exc:
        text, head = str(exc.args[0]), "config data.size"
        if text.startswith(head):
            text = _who(origin, "data.size") + text[len(head):]
        raise UserError(text) from None


def _check_tensorboard(cfg: dict, origin: dict) -> None:
    """Refuse ``train.tensorboard`` true where tensorboard is not installed, by where it came from (it was refused
    after the data was indexed and cached and the model built). Looked up, not imported (it is slow to import)."""
    if cfg["train"]["tensorboard"] is not True:
        return
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        raise UserError(f"{_who(origin, 'train.tensorboard', True)}: tensorboard is not installed; pip install "
                        "tensorboard, or set train.tensorboard to auto (events when it is installed) or false")


def _check_device(cfg: dict, origin: dict) -> None:
    """Refuse a ``train.device`` this machine lacks (:func:`saliency.runtime.resolve_device`) by where it came from
    (it named the flag ``device`` whatever gave it); torch is imported only for a device other than auto or cpu."""
    dev = cfg["train"]["device"]
    if dev in ("auto", "cpu"):
        return
    from saliency.runtime import resolve_device

    try:
        resolve_device(dev)
    except UserError as exc:
        if (origin.get("train.device") or ("",))[0] == "flag":  # it names the flag already
            raise
        text, head = str(exc.args[0]), f"`device` {dev}"
        if text.startswith(head):
            text = _who(origin, "train.device", dev) + text[len(head):]
        raise UserError(text.replace("; use `device` cpu", "; give cpu or auto")) from None


def _check_dataset(cfg: dict, origin: dict) -> None:
    """Refuse a ``data.dataset`` that is not a published dataset, or not one of the task, by where it came from."""
    name = cfg["data"]["dataset"]
    if not name:
        return
    from saliency.eval import datasets as E

    key, task = E.canonical_name(name), cfg["task"]
    if key is None:
        raise UserError(f"{_who(origin, 'data.dataset', name)}: is not a published dataset; choose from "
                        f"{', '.join(E.PUBLISHED)} (saliency eval --list-datasets), or give `data` DIR instead")
    made_for = E.PUBLISHED[key][0]
    if made_for != task:
        raise UserError(f"{_who(origin, 'data.dataset', name)}: {key} is a {made_for} dataset but the task is "
                        f"{task} ({_who(origin, 'task', task)}); give `task` {made_for}")


SEED_MAX = 2 ** 32 - 1
"""Largest seed (``train.seed``, ``data.split_seed``): NumPy's and torch's seeding take ``[0, 2**32 - 1]``."""


def _num(cfg, key, kind=float, lo=None, hi=None, allow_none=False, origin=None, above=None):
    """Check the number at the dotted ``key``: a finite ``kind`` in ``[lo, hi]`` (``above``: greater than it).

    UserError naming the key by its origin (:func:`_who`).
    """
    sec, _, name = key.rpartition(".")
    node = cfg
    for part in sec.split(".") if sec else []:
        node = node[part]
    v = node[name]
    if v is None and allow_none:
        return
    what = "a whole number" if kind is int else "a finite number"
    if above is not None:
        what += f" above {above:g}"
    elif lo is not None:
        what += f" between {lo} and {hi}" if hi is not None else f" at least {lo}"
    try:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise TypeError
        cv = float(v)
        if not math.isfinite(cv):
            raise ValueError
        if kind is int:
            if cv != int(cv) and not isinstance(v, int):
                raise ValueError
            cv = int(v) if isinstance(v, int) else int(cv)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{_who(origin, key, v)}: must be {what}") from None
    if (lo is not None and cv < lo) or (hi is not None and cv > hi) or (above is not None and not cv > above):
        raise UserError(f"{_who(origin, key, v)}: must be {what}")
    node[name] = cv


def _bool(cfg, key, allow_auto=False, origin=None):
    sec, _, name = key.rpartition(".")
    node = cfg[sec] if sec else cfg
    v = node[name]
    if allow_auto and v == "auto":
        return
    if not isinstance(v, bool):
        raise UserError(f"{_who(origin, key, v)}: must be true or false{' or auto' if allow_auto else ''}")


def _name(cfg, key, names, what, origin, extra=()):
    """Check the name at ``key``: a string in ``names`` or ``extra`` (UserError listing them, with a close match)."""
    sec, _, name = key.rpartition(".")
    v = (cfg[sec] if sec else cfg)[name]
    if isinstance(v, str) and (v in names or v in extra):
        return
    import difflib

    close = difflib.get_close_matches(v, list(names), n=1) if isinstance(v, str) else []
    if not isinstance(v, str):
        what = "must be a name (a string)"
    raise UserError(f"{_who(origin, key, v)}: {what}" + (f"; did you mean {close[0]}?" if close else "") +
                    f"; choose {' or '.join(extra) + ' or ' if extra else ''}one of {', '.join(names)}")


def validate(cfg: dict, origin: dict | None = None) -> dict:
    """Check types and ranges of every key (raises UserError naming the key); returns ``cfg``.

    ``origin`` (dotted key -> where its value came from, see :func:`build_config`) words the errors.
    """
    import functools

    o = origin or {}
    num = functools.partial(_num, origin=o)
    boolean = functools.partial(_bool, origin=o)
    for key, choices in CHOICES.items():
        sec, _, name = key.rpartition(".")
        node = cfg[sec] if sec else cfg
        if node[name] is False and "off" in choices:  # YAML 1.1 reads a bare `off` (the documented value) as False
            node[name] = "off"
        if node[name] not in choices:
            raise UserError(f"{_who(o, key, node[name])}: must be one of {', '.join(choices)}")
    size = cfg["data"]["size"]
    if isinstance(size, int):
        size = [size, size]
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and 16 <= s <= 4096 for s in size)):
        raise UserError(f"{_who(o, 'data.size', cfg['data']['size'])}: must be [height, width], integers 16..4096")
    cfg["data"]["size"] = [int(size[0]), int(size[1])]
    num(cfg, "data.val_fraction", float, 0.0, 0.9)
    if cfg["data"]["val"] is None and not cfg["data"]["val_fraction"] > 0:  # refused here, before any data is read
        raise UserError(f"{_who(o, 'data.val_fraction', _shown(cfg['data']['val_fraction']))}: holds out no "
                        "validation image and data.val names no folder; validation scores every epoch and picks "
                        "best.pt: give a share above 0 (default 0.2) or a separate data.val folder")
    num(cfg, "data.split_seed", int, 0, SEED_MAX)
    num(cfg, "data.workers", int, 0, WORKERS_MAX)
    num(cfg, "data.fixation_top", float, 1e-5, 0.5)
    boolean(cfg, "data.cache")
    aug = cfg["data"]["augment"]
    for k in ("hflip", "crop_p", "rotate_p", "color_p"):
        num(cfg, f"data.augment.{k}", float, 0.0, 1.0)
    num(cfg, "data.augment.rotate", float, 0.0, 90.0)
    num(cfg, "data.augment.color_jitter", float, 0.0, 1.0)
    cs = aug["crop_scale"]
    if (not isinstance(cs, (list, tuple)) or len(cs) != 2
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in cs)  # [0.5, true]: no number
            or not 0.05 <= cs[0] <= cs[1] <= 1.0):
        raise UserError(f"{_who(o, 'data.augment.crop_scale', cs)}: must be [low, high] with "
                        "0.05 <= low <= high <= 1")
    aug["crop_scale"] = [float(cs[0]), float(cs[1])]
    num(cfg, "train.epochs", int, 1, 100000)
    num(cfg, "train.batch_size", int, 1, 65536)
    num(cfg, "train.accumulate", int, 1, 1024)
    num(cfg, "train.clip_grad", float, 0.0)
    num(cfg, "train.ema", float, 0.0, 0.999999)
    num(cfg, "train.seed", int, 0, SEED_MAX)
    if cfg["train"]["threads"] != "auto":
        num(cfg, "train.threads", int, 1, 1024)
    num(cfg, "train.val_every", int, 1)
    num(cfg, "train.grid_images", int, 0, 64)
    boolean(cfg, "train.deterministic")
    boolean(cfg, "train.compile")
    boolean(cfg, "train.channels_last", allow_auto=True)
    boolean(cfg, "train.tensorboard", allow_auto=True)
    dev = str(cfg["train"]["device"])
    if not (dev in ("auto", "cpu", "cuda", "mps") or (dev.startswith("cuda:") and dev[5:].isdigit())):
        raise UserError(f"{_who(o, 'train.device', cfg['train']['device'])}: must be auto, cpu, cuda, cuda:N or mps")
    cfg["train"]["device"] = dev
    num(cfg, "optim.lr", float, above=0.0)  # 0 would train nothing (as --lr 0 is refused)
    num(cfg, "optim.weight_decay", float, 0.0)
    num(cfg, "optim.momentum", float, 0.0, 0.999999)
    boolean(cfg, "optim.nesterov")
    num(cfg, "sched.warmup_epochs", float, 0.0)
    num(cfg, "sched.min_lr", float, 0.0)
    num(cfg, "sched.power", float, 0.0)
    num(cfg, "sched.epochs", int, 1, allow_none=True)
    num(cfg, "loss.side_weight", float, 0.0)
    boolean(cfg, "pretrained")
    split = cfg["data"]["split"]
    if split is not None and split not in ("train", "test"):
        raise UserError(f"{_who(o, 'data.split', split)}: must be train, test or null")
    if split is not None and not cfg["data"]["dataset"]:
        raise UserError(f"{_who(o, 'data.split', split)}: only a named data.dataset has a documented split "
                        "(data.split); give --dataset too")
    if cfg["pretrained_file"] is not None and not cfg["pretrained"]:
        raise UserError(f"{_who(o, 'pretrained_file', cfg['pretrained_file'])}: set pretrained: true too (the file "
                        "holds the encoder's ImageNet weights)")
    for key in ("model", "pretrained_file", "data.root", "data.val", "data.dataset"):
        sec, _, name = key.rpartition(".")
        node = cfg[sec] if sec else cfg
        if node[name] is not None and not isinstance(node[name], str):
            raise UserError(f"{_who(o, key, node[name])}: must be a string or null")
    task = cfg["task"]
    # names checked before any data is read or cached
    if cfg["train"]["best_metric"] != "auto":
        from saliency.validate import val_metric_names

        _name(cfg, "train.best_metric", val_metric_names(task), f"not a validation metric of task {task}", o,
              ("auto",))
    loss = cfg["loss"]["name"]
    if loss != "auto":  # the names are models.losses' (which imports torch, as the model check below does)
        from saliency.models.losses import SOD_LOSSES, list_losses

        fits = [n for n in list_losses() if (n in SOD_LOSSES) == (task == "sod")]
        if isinstance(loss, str) and loss in list_losses() and loss not in fits:
            kind = "an SOD" if loss in SOD_LOSSES else "a fixation"
            raise UserError(f"{_who(o, 'loss.name', loss)}: is {kind} loss but task is {task}; choose auto "
                            f"or one of {', '.join(fits)}")
        _name(cfg, "loss.name", fits, f"no such loss of task {task}", o, ("auto",))
    if cfg["model"] is not None:
        from saliency.models.zoo import MODELS

        if cfg["model"] not in MODELS:
            import difflib

            close = difflib.get_close_matches(cfg["model"], list(MODELS), n=1)
            raise UserError(f"{_who(o, 'model', cfg['model'])}: no such model" +
                            (f"; did you mean {close[0]}?" if close else "") +
                            "; saliency models --names-only (or saliency train --list-models) lists them")
        made_for = MODELS[cfg["model"]]["task"]
        if made_for != task:  # each named by where it came from (a run's config.yaml reused with another task)
            raise UserError(f"{_who(o, 'model', cfg['model'])}: is a {made_for} model but task is {task} "
                            f"({_who(o, 'task', task)}); give a *_{task} model, e.g. unet_tiny_cbam_{task} "
                            "(saliency train --list-models lists them)")
    else:  # recorded as trained (config.yaml, checkpoints): the task's default network, by name, not null
        cfg["model"] = resolved_model(cfg)
    return cfg


def resolved_model(cfg: dict) -> str:
    """The model name the config trains (the default tiny network of its task when unset)."""
    return cfg["model"] or f"unet_tiny_cbam_{cfg['task']}"


def resolved_loss(cfg: dict) -> str:
    """The loss name (``auto``: structure loss for SOD, UNISAL's KLD - 0.1 CC - 0.1 NSS for fixation)."""
    name = cfg["loss"]["name"]
    if name == "auto":
        return "structure" if cfg["task"] == "sod" else "fixation_unisal"
    return name


def dump_yaml(cfg: dict) -> str:
    """The resolved config as YAML text (keys in the documented order)."""
    import yaml

    return yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None)


def check_input_size(model, size, name: str) -> None:
    """Refuse a ``data.size`` whose deepest feature map is 1 x 1.

    Training batch norm needs more than one value per channel; at 1 x 1 a
    batch of one image (the last, short batch of an epoch) has exactly one,
    and torch stops with a ValueError mid-epoch. The deepest map is
    ``ceil(H / s) x ceil(W / s)`` for the encoder's largest stride ``s``.
    """
    enc, scale = getattr(model, "encoder", None), 1.0
    if enc is None and hasattr(model, "coarse"):  # coarse-to-fine: its coarse branch sees the input downscaled
        enc, scale = getattr(model.coarse, "encoder", None), float(getattr(model, "coarse_scale", 1.0))
    stride = max(getattr(enc, "reductions", None) or [32])
    h, w = size
    hs, ws = int(h * scale), int(w * scale)  # floor, as F.interpolate with a scale factor
    if -(-hs // stride) * -(-ws // stride) < 2:
        need = int(-(-2 * stride // scale))
        where = "" if scale == 1 else f" (its coarse branch sees the input at {scale:g} of its size)"
        raise UserError(f"config data.size: {[h, w]} is too small for {name}{where}: its deepest features are "
                        f"1/{stride} of what the encoder sees, 1 x 1 at this size, and batch norm needs more; make "
                        f"one side at least {need} (e.g. data.size=[{max(h, need)}, {max(w, need)}])")

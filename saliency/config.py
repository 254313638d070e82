"""Training configuration: one YAML document, every default documented, dotted overrides.

The defaults below are the small-model CPU recipe: the built-in tiny U-Net
(``unet_tiny_cbam_<task>``, about 0.7 M parameters, trained from scratch),
inputs resized to 144 x 192 and cached in memory, AdamW with a short linear
warm-up and a cosine decay. They train the synthetic study to Fmax > 0.9 in a
few minutes on two CPU cores (``docs/BENCHMARKS.md``, section Training). The
GPU recipes of the reference models (``../shared/REFERENCES.md`` section 5)
are a ``--config`` file away: e.g. ``model: unet_resnet50_cbam_sod``,
``pretrained: true``, ``data.size: [320, 320]``, ``train.batch_size: 12``.

Precedence (lowest first): :data:`DEFAULT_YAML`, ``--config FILE``, the plain
command-line flags (``--epochs``, ``--batch-size``, ...), then ``--set
KEY=VALUE`` (repeatable; VALUE is parsed as YAML, so ``--set
data.size=[256,256]`` and ``--set train.ema=0.999`` work). An unknown key is
an error that lists the valid keys of its section, never a warning.
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
  warmup_epochs: 0.5      # linear warm-up length in epochs (fractions allowed)
  min_lr: 0.00003         # final learning rate (cosine, poly)
  power: 0.9              # poly exponent
  epochs: null            # schedule length in epochs; null = train.epochs (set it to plan a run you will --resume)

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


def _load_defaults() -> dict:
    import yaml

    return yaml.safe_load(DEFAULT_YAML)


DEFAULTS = _load_defaults()


def default_config() -> dict:
    """A fresh copy of the documented defaults."""
    return copy.deepcopy(DEFAULTS)


def _merge(base: dict, new: dict, where: str, ref: dict) -> None:
    for k, v in new.items():
        key = f"{where}{k}"
        if k not in ref:
            valid = ", ".join(f"{where}{x}" for x in ref)
            raise UserError(f"config key {key!r} is unknown; valid keys here: {valid}")
        if isinstance(ref[k], dict):
            if not isinstance(v, dict):
                raise UserError(f"config key {key!r} must be a mapping of {', '.join(ref[k])}")
            _merge(base[k], v, key + ".", ref[k])
        else:
            base[k] = v


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
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    if isinstance(value, str) and _looks_numeric(value):
        value = float(value)  # YAML 1.1 reads '3e-4' as a string
    return key.split("."), value


def _looks_numeric(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def apply_override(cfg: dict, path: list[str], value) -> None:
    """Set ``cfg[path[0]][path[1]]... = value``; unknown keys are errors."""
    node, ref = cfg, DEFAULTS
    for i, part in enumerate(path):
        dotted = ".".join(path[: i + 1])
        if not isinstance(ref, dict) or part not in ref:
            parent = ".".join(path[:i])
            valid = ", ".join((f"{parent}." if parent else "") + k for k in (ref if isinstance(ref, dict) else {}))
            raise UserError(f"`overrides` {'.'.join(path)}: unknown key {dotted!r}; valid: {valid}")
        if i == len(path) - 1:
            if isinstance(ref[part], dict):
                if not isinstance(value, dict):
                    raise UserError(f"`overrides` {dotted}: is a section; set one of its keys, e.g. {dotted}."
                                    f"{next(iter(ref[part]))}=...")
                _merge(node[part], value, dotted + ".", ref[part])
            else:
                node[part] = value
        else:
            node, ref = node[part], ref[part]


def build_config(config_file: str | None = None, flags: dict | None = None, overrides=()) -> dict:
    """Defaults <- ``config_file`` <- ``flags`` (dotted key -> value, None = unset) <- ``overrides``."""
    cfg = default_config()
    if config_file:
        _merge(cfg, load_config_file(config_file), "", DEFAULTS)
    for key, value in (flags or {}).items():
        if value is not None:
            apply_override(cfg, key.split("."), value)
    for text in overrides:
        apply_override(cfg, *parse_override(text))
    return validate(cfg)


SEED_MAX = 2 ** 32 - 1
"""Largest seed (``train.seed``, ``data.split_seed``): NumPy's and torch's seeding take ``[0, 2**32 - 1]``."""


def _num(cfg, key, kind=float, lo=None, hi=None, allow_none=False):
    """Check the number at the dotted ``key``: a finite ``kind`` in ``[lo, hi]`` (UserError naming the key)."""
    sec, _, name = key.rpartition(".")
    node = cfg
    for part in sec.split(".") if sec else []:
        node = node[part]
    v = node[name]
    if v is None and allow_none:
        return
    what = "a whole number" if kind is int else "a finite number"
    if lo is not None:
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
        raise UserError(f"config {key}={v!r}: must be {what}") from None
    if (lo is not None and cv < lo) or (hi is not None and cv > hi):
        raise UserError(f"config {key}={v!r}: must be {what}")
    node[name] = cv


def _bool(cfg, key, allow_auto=False):
    sec, _, name = key.rpartition(".")
    node = cfg[sec] if sec else cfg
    v = node[name]
    if allow_auto and v == "auto":
        return
    if not isinstance(v, bool):
        raise UserError(f"config {key}: {v!r} must be true or false{' or auto' if allow_auto else ''}")


def validate(cfg: dict) -> dict:
    """Check types and ranges of every key (raises UserError naming the key); returns ``cfg``."""
    for key, choices in CHOICES.items():
        sec, _, name = key.rpartition(".")
        node = cfg[sec] if sec else cfg
        if node[name] is False and "off" in choices:  # YAML 1.1 reads a bare `off` (the documented value) as False
            node[name] = "off"
        if node[name] not in choices:
            raise UserError(f"config {key}: {node[name]!r} is not one of {', '.join(choices)}")
    size = cfg["data"]["size"]
    if isinstance(size, int):
        size = [size, size]
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and 16 <= s <= 4096 for s in size)):
        raise UserError(f"config data.size: {size!r} must be [height, width], integers 16..4096")
    cfg["data"]["size"] = [int(size[0]), int(size[1])]
    _num(cfg, "data.val_fraction", float, 0.0, 0.9)
    _num(cfg, "data.split_seed", int, 0, SEED_MAX)
    _num(cfg, "data.workers", int, 0, 64)
    _num(cfg, "data.fixation_top", float, 1e-5, 0.5)
    _bool(cfg, "data.cache")
    aug = cfg["data"]["augment"]
    for k in ("hflip", "crop_p", "rotate_p", "color_p"):
        _num(cfg, f"data.augment.{k}", float, 0.0, 1.0)
    _num(cfg, "data.augment.rotate", float, 0.0, 90.0)
    _num(cfg, "data.augment.color_jitter", float, 0.0, 1.0)
    cs = aug["crop_scale"]
    if (not isinstance(cs, (list, tuple)) or len(cs) != 2 or not all(isinstance(x, (int, float)) for x in cs)
            or not 0.05 <= cs[0] <= cs[1] <= 1.0):
        raise UserError(f"config data.augment.crop_scale: {cs!r} must be [low, high] with 0.05 <= low <= high <= 1")
    aug["crop_scale"] = [float(cs[0]), float(cs[1])]
    _num(cfg, "train.epochs", int, 1, 100000)
    _num(cfg, "train.batch_size", int, 1, 65536)
    _num(cfg, "train.accumulate", int, 1, 1024)
    _num(cfg, "train.clip_grad", float, 0.0)
    _num(cfg, "train.ema", float, 0.0, 0.999999)
    _num(cfg, "train.seed", int, 0, SEED_MAX)
    if cfg["train"]["threads"] != "auto":
        _num(cfg, "train.threads", int, 1, 1024)
    _num(cfg, "train.val_every", int, 1)
    _num(cfg, "train.grid_images", int, 0, 64)
    _bool(cfg, "train.deterministic")
    _bool(cfg, "train.compile")
    _bool(cfg, "train.channels_last", allow_auto=True)
    _bool(cfg, "train.tensorboard", allow_auto=True)
    dev = str(cfg["train"]["device"])
    if not (dev in ("auto", "cpu", "cuda", "mps") or (dev.startswith("cuda:") and dev[5:].isdigit())):
        raise UserError(f"config train.device: {dev!r} must be auto, cpu, cuda, cuda:N or mps")
    cfg["train"]["device"] = dev
    _num(cfg, "optim.lr", float, 0.0)
    _num(cfg, "optim.weight_decay", float, 0.0)
    _num(cfg, "optim.momentum", float, 0.0, 0.999999)
    _bool(cfg, "optim.nesterov")
    _num(cfg, "sched.warmup_epochs", float, 0.0)
    _num(cfg, "sched.min_lr", float, 0.0)
    _num(cfg, "sched.power", float, 0.0)
    _num(cfg, "sched.epochs", int, 1, allow_none=True)
    _num(cfg, "loss.side_weight", float, 0.0)
    _bool(cfg, "pretrained")
    split = cfg["data"]["split"]
    if split is not None and split not in ("train", "test"):
        raise UserError(f"config data.split: {split!r} must be train, test or null")
    if split is not None and not cfg["data"]["dataset"]:
        raise UserError("config data.split: only a named data.dataset has a documented split; give --dataset too")
    if cfg["pretrained_file"] is not None and not cfg["pretrained"]:
        raise UserError("config pretrained_file: set pretrained: true too (the file holds the encoder's "
                        "ImageNet weights)")
    for key in ("model", "pretrained_file", "data.root", "data.val", "data.dataset"):
        sec, _, name = key.rpartition(".")
        node = cfg[sec] if sec else cfg
        if node[name] is not None and not isinstance(node[name], str):
            raise UserError(f"config {key}: {node[name]!r} must be a string or null")
    if cfg["model"] is not None:  # checked before any data is read or cached
        from saliency.models.zoo import MODELS

        if cfg["model"] not in MODELS:
            import difflib

            close = difflib.get_close_matches(cfg["model"], list(MODELS), n=1)
            raise UserError(f"`model` {cfg['model']!r}: no such model" +
                            (f"; did you mean {close[0]}?" if close else "") + "; saliency models --list shows them")
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

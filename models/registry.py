"""Model registry: ``create_model(name)``, ``list_models()``, ``create_model_from_config``.

After timm's ``models/_registry.py`` and segmentation_models_pytorch's
encoder registry: a name maps to a JSON-able config; the config, stored with
a checkpoint, rebuilds the same architecture. An unknown name raises an error
that lists the valid names.

Names read ``<arch>_<encoder>_<attention>_<task>``:

- ``unet_tiny_<att>_<task>``: the built-in tiny encoder (from scratch, CPU);
  ``unet_tiny_cbam_sod`` / ``unet_tiny_cbam_fixation`` are the CPU defaults;
- ``unet_resnet50_<att>_<task>``: timm ResNet-50 encoder (ImageNet weights
  with ``pretrained=True``);
- ``unet_mobilenetv3_cbam_<task>``: timm MobileNetV3-Large 1.0 encoder;
- ``unet_tiny_stnin_<task>``: tiny, no skip attention, STN stage on the input;
- ``c2f_tiny_cbam_<task>``: coarse-to-fine attention (:mod:`models.coarse_to_fine`);

with ``<att>`` in ``none`` (ablation baseline), ``se``, ``cbam``, ``sk``,
``stn``, ``residual``, ``scse`` and ``<task>`` in ``sod``, ``fixation``.
Any timm backbone works through keyword overrides, e.g.
``create_model("unet_resnet50_cbam_sod", encoder="convnext_tiny")``.

Checkpoints: :func:`checkpoint_payload` gives ``{"config", "state_dict"}``;
:func:`load_checkpoint` reads a file holding those keys (``model`` or
``model_state`` are accepted for the state dict, ``model_config`` for the
config) and returns the rebuilt model.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch

from saliency.models.coarse_to_fine import CoarseToFine
from saliency.models.errors import UnknownNameError
from saliency.models.networks import UNetSaliency
from saliency.base.errors import UserError

ATTENTIONS = ("none", "se", "cbam", "sk", "stn", "residual", "scse")
TASKS = ("sod", "fixation")
TIMM_ENCODERS = {"resnet50": "resnet50", "mobilenetv3": "mobilenetv3_large_100"}
# Tiny channel counts are small; the paper's r = 16 would leave 1-channel bottlenecks.
TINY_ATTENTION_KWARGS = {"se": {"reduction": 4}, "cbam": {"reduction": 4}}
UNET_KEYS = {"arch", "task", "encoder", "encoder_kwargs", "attention", "attention_kwargs", "decoder_channels",
             "input_stn", "head", "name"}
C2F_KEYS = {"arch", "task", "coarse", "fine", "coarse_scale", "patch_size", "context", "top_k", "select", "head",
            "name"}


def _head(task: str) -> dict:
    return {"num_gaussians": 3} if task == "fixation" else {}


def _unet(name, task, encoder, attention, attention_kwargs=None, input_stn=False) -> dict:
    return {"name": name, "arch": "unet", "task": task, "encoder": encoder, "encoder_kwargs": {},
            "attention": attention, "attention_kwargs": dict(attention_kwargs or {}), "decoder_channels": None,
            "input_stn": input_stn, "head": _head(task)}


def _build_registry() -> dict[str, dict]:
    reg = {}
    for task in TASKS:
        for att in ATTENTIONS:
            n = f"unet_tiny_{att}_{task}"
            reg[n] = _unet(n, task, "tiny", att, TINY_ATTENTION_KWARGS.get(att))
        for att in ATTENTIONS:
            n = f"unet_resnet50_{att}_{task}"
            reg[n] = _unet(n, task, TIMM_ENCODERS["resnet50"], att)
        n = f"unet_mobilenetv3_cbam_{task}"
        reg[n] = _unet(n, task, TIMM_ENCODERS["mobilenetv3"], "cbam")
        n = f"unet_tiny_stnin_{task}"
        reg[n] = _unet(n, task, "tiny", "none", input_stn=True)
        n = f"c2f_tiny_cbam_{task}"
        reg[n] = {
            "name": n, "arch": "c2f", "task": task,
            "coarse": {"encoder": "tiny", "attention": "cbam", "attention_kwargs": {"reduction": 4},
                       "decoder_channels": None},
            "fine": {"encoder": "tiny", "encoder_kwargs": {"channels": [24, 32, 48, 80, 128]},
                     "attention": "cbam", "attention_kwargs": {"reduction": 4},
                     "decoder_channels": [24, 32, 48, 64, 96]},
            "coarse_scale": 0.5, "patch_size": 64, "context": 8, "top_k": 4, "select": "salient",
            "head": _head(task),
        }
    return reg


_REGISTRY = _build_registry()


def list_models(pattern: str | None = None) -> list[str]:
    """Registered model names (sorted), optionally filtered by a shell-style ``pattern``."""
    import fnmatch

    names = sorted(_REGISTRY)
    return [n for n in names if fnmatch.fnmatch(n, pattern)] if pattern else names


def model_config(name: str) -> dict:
    """A copy of the registered config of ``name``."""
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown model {name!r}; valid: {', '.join(list_models())}")
    return copy.deepcopy(_REGISTRY[name])


def create_model(name: str, pretrained: bool = False, pretrained_file: str | None = None, **overrides):
    """Build the registered model ``name``; keyword arguments override config keys.

    ``pretrained=True`` loads timm's ImageNet weights into the encoder (the
    coarse encoder of a coarse-to-fine model); see :mod:`models.encoders`
    for how to provide them offline.
    """
    config = model_config(name)
    valid = UNET_KEYS if config["arch"] == "unet" else C2F_KEYS
    bad = sorted(set(overrides) - valid)
    if bad:
        raise TypeError(f"create_model({name!r}): unknown option(s) {bad}; valid: {sorted(valid - {'name', 'arch'})}")
    config.update(copy.deepcopy(overrides))
    if overrides:
        config["name"] = f"{name} ({', '.join(f'{k}={v}' for k, v in sorted(overrides.items()))})"
    return create_model_from_config(config, pretrained=pretrained, pretrained_file=pretrained_file)


def create_model_from_config(config: dict, pretrained: bool = False, pretrained_file: str | None = None):
    """Rebuild a model from its ``model.config`` (e.g. read from a checkpoint)."""
    if not isinstance(config, dict) or "arch" not in config or "task" not in config:
        raise UserError("model config: needs at least 'arch' and 'task'; pass the dict saved as model.config")
    arch = config["arch"]
    if config["task"] not in TASKS:
        raise UserError(f"model config: task {config['task']!r} is not one of {', '.join(TASKS)}")
    if arch == "unet":
        bad = sorted(set(config) - UNET_KEYS)
        if bad:
            raise UserError(f"model config: unknown key(s) {bad} for arch 'unet'")
        return UNetSaliency(config, pretrained=pretrained, pretrained_file=pretrained_file)
    if arch == "c2f":
        bad = sorted(set(config) - C2F_KEYS)
        if bad:
            raise UserError(f"model config: unknown key(s) {bad} for arch 'c2f'")
        return CoarseToFine(config, pretrained=pretrained, pretrained_file=pretrained_file)
    raise UserError(f"model config: unknown arch {arch!r}; valid: unet, c2f")


def describe(name: str) -> dict:
    """Task, attention and encoder of a registered model, from its config."""
    c = model_config(name)
    if c["arch"] == "c2f":
        return {"task": c["task"], "attention": f"{c['coarse']['attention']} + coarse-to-fine",
                "encoder": f"{c['coarse']['encoder']} / {c['fine']['encoder']}"}
    att = c["attention"] if not c.get("input_stn") else "stn (input)"
    return {"task": c["task"], "attention": att, "encoder": c["encoder"]}


def checkpoint_payload(model) -> dict:
    """``{"config": model.config, "state_dict": ...}``: what a checkpoint needs to rebuild ``model``."""
    return {"config": copy.deepcopy(model.config), "state_dict": model.state_dict()}


def load_checkpoint(path: str | Path, map_location: str = "cpu"):
    """Rebuild the model stored in the checkpoint ``path`` (eval mode)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--checkpoint {path}: no such file")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserError(f"--checkpoint {path}: cannot read it as a torch checkpoint ({exc})"[:300]) from exc
    if not isinstance(ckpt, dict):
        raise UserError(f"--checkpoint {path}: expected a dict with 'config' and 'state_dict'")
    config = ckpt.get("config", ckpt.get("model_config"))
    state = ckpt.get("state_dict", ckpt.get("model", ckpt.get("model_state")))
    if config is None or state is None:
        raise UserError(f"--checkpoint {path}: needs keys 'config' (model.config) and 'state_dict'; "
                        f"found {sorted(ckpt)}")
    model = create_model_from_config(config)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise UserError(f"--checkpoint {path}: weights do not fit the config ({str(exc)[:200]})") from exc
    return model.eval()

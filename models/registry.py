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

The table itself is data in :mod:`saliency.models.zoo` (so that the
profiler and the coarse-to-fine model never import this module back).

Checkpoints: :func:`checkpoint_payload` gives ``{"config", "state_dict"}``;
:func:`read_checkpoint` is the one reader of checkpoint files (``model`` or
``model_state`` are accepted for the state dict, ``model_config`` for the
config); :func:`load_checkpoint` returns the rebuilt model. Training resume
(:mod:`saliency.checkpoint`) and inference (:mod:`saliency.predict`) build on
them.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import torch

from saliency.base.errors import UserError
from saliency.models.attention import attention_options, create_attention
from saliency.models.coarse_to_fine import CoarseToFine
from saliency.models.errors import UnknownNameError, first_sentence, foreign_message as _foreign
from saliency.models.networks import UNetSaliency
from saliency.models.zoo import (ATTENTIONS, C2F_KEYS, MODELS, TASKS, TIMM_ENCODERS, TINY_ATTENTION_KWARGS,
                                 UNET_KEYS)

__all__ = ["ATTENTIONS", "TASKS", "TIMM_ENCODERS", "TINY_ATTENTION_KWARGS", "UNET_KEYS", "C2F_KEYS",
           "list_models", "model_config", "create_model", "create_model_from_config", "describe",
           "checkpoint_payload", "CONFIG_KEYS", "WEIGHT_KEYS", "read_checkpoint", "model_from_checkpoint",
           "load_checkpoint"]

_REGISTRY = MODELS  # the table lives in models.zoo (data only); this module hands out copies


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
    for how to provide them offline. ``pretrained_file=PATH`` loads them from
    that file and implies ``pretrained=True``. Overriding ``attention``
    alone keeps only the registered ``attention_kwargs`` the new attention
    takes (``"none"`` takes none); ``attention_kwargs`` for ``"none"`` are refused.
    """
    config = model_config(name)
    valid = UNET_KEYS if config["arch"] == "unet" else C2F_KEYS
    bad = sorted(set(overrides) - valid)
    if bad:
        raise TypeError(f"create_model({name!r}): unknown option(s) {bad}; valid: {sorted(valid - {'name', 'arch'})}")
    registered_kwargs = config.get("attention_kwargs") or {}
    config.update(copy.deepcopy(overrides))
    if "attention" in overrides and "attention_kwargs" not in overrides:
        # The registered attention_kwargs were chosen for the registered attention: the new one keeps only those it
        # takes (so attention="se" on a tiny model keeps reduction=4, the same network as before; "none" takes none).
        keep = attention_options(config["attention"])
        config["attention_kwargs"] = {k: v for k, v in registered_kwargs.items() if k in keep}
    elif overrides.get("attention_kwargs") and config.get("attention") in (None, "none"):
        create_attention(config["attention"], 1, **config["attention_kwargs"])  # "none" with options: refused
    if overrides:
        config["name"] = f"{name} ({', '.join(f'{k}={v}' for k, v in sorted(overrides.items()))})"
    return create_model_from_config(config, pretrained=pretrained, pretrained_file=pretrained_file)


def _without_none_attention_kwargs(config: dict) -> dict:
    """``config`` with no ``attention_kwargs`` where its attention is ``"none"`` (a copy where any were dropped).

    A stored config may pair attention "none" with options (create_model(..., attention="none") kept the registered
    ones until it dropped them): "none" ignored them when that model was trained, so the network is the same without
    them; they are dropped, and the rebuilt model's config records what it was built with. create_attention itself
    still refuses options for "none".
    """
    def drop(part):
        if (isinstance(part, dict) and part.get("attention") in (None, "none") and part.get("attention_kwargs")
                and isinstance(part["attention_kwargs"], dict)):
            return {**part, "attention_kwargs": {}}
        return part

    out = drop(config)
    if config.get("arch") == "c2f":
        for branch in ("coarse", "fine"):
            if isinstance(config.get(branch), dict):
                part = drop(config[branch])
                if part is not config[branch]:
                    out = {**out, branch: part}
    return out


def create_model_from_config(config: dict, pretrained: bool = False, pretrained_file: str | None = None):
    """Rebuild a model from its ``model.config`` (e.g. read from a checkpoint)."""
    if not isinstance(config, dict) or "arch" not in config or "task" not in config:
        raise UserError("model config: needs at least 'arch' and 'task'; pass the dict saved as model.config")
    config = _without_none_attention_kwargs(config)
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


#: Accepted keys of a checkpoint file, in order of preference: the model config and the weights to predict with.
CONFIG_KEYS = ("config", "model_config")
WEIGHT_KEYS = ("state_dict", "model", "model_state")


def _where(path, param: str | None) -> str:
    return f"`{param}` {path}" if param else str(path)




def read_checkpoint(path: str | Path, map_location="cpu", *, param: str | None = "checkpoint") -> dict:
    """The dict saved in the checkpoint file ``path``, read with ``torch.load(weights_only=True)``.

    The one reader of checkpoint files (inference, export and training
    resume all build on it). Accepted layouts: a dict holding the model
    config under one of :data:`CONFIG_KEYS` and the weights under one of
    :data:`WEIGHT_KEYS`; the returned copy also holds them under ``config``
    and ``state_dict``. A missing, unreadable or foreign file raises a
    :class:`UserError` naming the file (after the parameter ``param``, when
    given).
    """
    path = Path(path)
    where = _where(path, param)
    if path.is_dir():  # a run folder: its checkpoints are files inside it
        raise UserError(f"{where}: is a folder; give the checkpoint file (e.g. RUN/checkpoints/best.pt)")
    if not path.is_file():
        raise UserError(f"{where}: no such file")
    try:
        with warnings.catch_warnings():  # torch warns about odd pickle protocols of foreign files before failing
            warnings.simplefilter("ignore")
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        first = first_sentence(exc) or type(exc).__name__
        if "weights only load failed" in first.lower():  # torch's advice (weights_only=False) runs the file's code
            first = "torch's safe reader refused it: it is no checkpoint, or holds more than tensors and plain values"
        if path.suffix.lower() == ".onnx":  # what saliency export writes: an inference graph, not a checkpoint
            raise UserError(f"{where}: an ONNX model, not a checkpoint; give the training checkpoint it was exported "
                            "from (RUN/checkpoints/best.pt): saliency predict runs it in ONNX Runtime with `runtime` "
                            "onnx") from None
        raise UserError(f"{where}: cannot read it as a torch checkpoint ({first}); give a checkpoint that "
                        "saliency train wrote (RUN/checkpoints/best.pt)") from None
    if not isinstance(ckpt, dict):
        raise UserError(f"{where}: expected a dict with 'config' and 'state_dict'")
    config = next((ckpt[k] for k in CONFIG_KEYS if ckpt.get(k) is not None), None)
    state = next((ckpt[k] for k in WEIGHT_KEYS if ckpt.get(k) is not None), None)
    if config is None or state is None:
        if ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):  # torch.save(model.state_dict())
            raise UserError(f"{where}: a bare state_dict ({len(ckpt)} tensors, no model config), as "
                            "torch.save(model.state_dict()) writes; save saliency.models.registry.checkpoint_payload(model) "
                            "instead, or give a checkpoint that saliency train wrote (RUN/checkpoints/best.pt)")
        keys = sorted(map(str, ckpt))  # a few, so that a large dict never makes a line of thousands of characters
        found = ", ".join(map(repr, keys[:5])) + (f", ... ({len(keys)} keys)" if len(keys) > 5 else "")
        raise UserError(f"{where}: needs keys 'config' (model.config) and 'state_dict'; found [{found}]")
    for key, value, what in (("config", config, "a dict (model.config)"),
                             ("state_dict", state, "a dict of parameter names to tensors")):
        if not isinstance(value, dict):
            raise UserError(f"{where}: its '{key}' is a {type(value).__name__}, not {what}; "
                            "replace the checkpoint by one that saliency train wrote (RUN/checkpoints/best.pt)")
    return {**ckpt, "config": config, "state_dict": state}


def model_from_checkpoint(ckpt: dict, path: str | Path | None = None, *, param: str | None = "checkpoint"):
    """The model (eval mode) rebuilt from a dict of :func:`read_checkpoint`; ``path`` names it in errors."""
    try:
        model = create_model_from_config(ckpt["config"])
    except UserError as exc:
        raise UserError(f"{_where(path, param)}: {exc}") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:  # a config of the wrong types
        raise UserError(f"{_where(path, param)}: its model config does not build a model ({type(exc).__name__}: "
                        f"{_foreign(exc)}); replace the checkpoint by one that saliency train "
                        "wrote (RUN/checkpoints/best.pt)") from None
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as exc:
        raise UserError(f"{_where(path, param)}: weights do not fit the config "
                        f"({_foreign(exc)})") from None
    return model.eval()


def load_checkpoint(path: str | Path, map_location="cpu", *, param: str | None = "checkpoint"):
    """Rebuild the model stored in the checkpoint ``path`` (eval mode); see :func:`read_checkpoint`."""
    return model_from_checkpoint(read_checkpoint(path, map_location, param=param), path, param=param)

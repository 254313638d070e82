"""Encoders: any timm backbone with ``features_only=True``, or a built-in tiny one.

Every encoder returns a list of feature maps, finest first, and describes them
with ``channels`` and ``reductions`` (the stride of each map), read from
timm's ``feature_info`` for timm models (Wightman, "PyTorch Image Models",
https://github.com/huggingface/pytorch-image-models), so a decoder never
hard-codes channel counts and any timm backbone plugs in.

Pretrained weights: ``pretrained=True`` calls
``timm.create_model(name, pretrained=True, features_only=True)`` (every
tensor of the encoder must come from the weights: a file that leaves any at
its random start, such as one without ``layer4`` or with every key prefixed
``backbone.``, is refused in one line; timm only logged it), which reads
the Hugging Face hub cache (``~/.cache/huggingface``, or ``HF_HOME``) and
downloads when online. Offline, provide the weights as a file:

- set ``SALIENCY_PRETRAINED_DIR`` to a folder holding
  ``<timm name>.safetensors`` (or ``.pth``/``.bin``), e.g.
  ``resnet50.safetensors``; or
- pass ``pretrained_file=PATH`` to :func:`models.create_model` (this
  implies ``pretrained=True``, as ``saliency train --pretrained-file PATH``
  does); both go to timm as
  ``pretrained_cfg_overlay=dict(file=PATH)``; or
- copy a populated Hugging Face cache and set ``HF_HUB_OFFLINE=1``.

The built-in :class:`TinyEncoder` (about 0.48 M parameters) trains from
scratch on a CPU in minutes; it has no pretrained weights.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import torch
import torch.nn as nn

from saliency.base.errors import UserError
from saliency.models.errors import foreign_message as _foreign

PRETRAINED_ENV = "SALIENCY_PRETRAINED_DIR"
BUILTIN_ENCODERS = ("tiny",)


def conv_bn_act(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """Conv (no bias) -> BatchNorm -> ReLU."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class BasicBlock(nn.Module):
    """ResNet basic block (He et al. 2016) with an optional strided 1x1 projection."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = conv_bn_act(cin, cout, 3, stride)
        self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """relu(x' + f(x))."""
        skip = x if self.proj is None else self.proj(x)
        return self.act(self.conv2(self.conv1(x)) + skip)


class TinyEncoder(nn.Module):
    """Five-stage residual encoder, strides 2..32, for from-scratch CPU training."""

    def __init__(self, channels=(16, 24, 40, 64, 96), in_chans: int = 3):
        super().__init__()
        if len(channels) != 5:
            raise ValueError(f"TinyEncoder needs 5 stage widths, got {channels}")
        c = list(channels)
        self.stem = conv_bn_act(in_chans, c[0], 3, 2)
        self.stages = nn.ModuleList([
            nn.Sequential(conv_bn_act(c[0], c[0], 3)),
            BasicBlock(c[0], c[1], 2),
            BasicBlock(c[1], c[2], 2),
            nn.Sequential(BasicBlock(c[2], c[3], 2), BasicBlock(c[3], c[3])),
            nn.Sequential(BasicBlock(c[3], c[4], 2), BasicBlock(c[4], c[4])),
        ])
        self.channels = c
        self.reductions = [2, 4, 8, 16, 32]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps at strides 2, 4, 8, 16, 32."""
        feats = []
        h = self.stem(x)
        for stage in self.stages:
            h = stage(h)
            feats.append(h)
        return feats


class TimmEncoder(nn.Module):
    """A timm backbone in ``features_only`` mode; channels/strides from ``feature_info``."""

    def __init__(self, name: str, pretrained: bool = False, out_indices=None, in_chans: int = 3,
                 pretrained_file: str | None = None):
        super().__init__()
        import timm

        if not timm.is_model(name.split(".")[0]):
            raise UserError(f"encoder {name!r}: not a timm model; see timm.list_models() or use 'tiny'")
        kw = dict(features_only=True, in_chans=in_chans)
        if out_indices is not None:
            kw["out_indices"] = tuple(out_indices)
        file = None  # the weights file given (or found by $SALIENCY_PRETRAINED_DIR); None: timm's hub cache
        pretrained = pretrained or pretrained_file is not None  # a file given means its weights (as the CLI does)
        if pretrained:
            if pretrained_file is not None and not Path(pretrained_file).is_file():
                raise UserError(f"`pretrained_file` {pretrained_file}: no such file; give the timm ImageNet "
                                f"weights of {name!r} (.safetensors or .pth)")
            file = pretrained_file or _pretrained_file_from_env(name)
            if file is not None:
                kw["pretrained_cfg_overlay"] = dict(file=str(file))
        loads: list = []
        try:
            with _hub_quiet(), _loads_recorded(loads):  # one load at a time: the recorder patches timm
                self.model = timm.create_model(name, pretrained=pretrained, **kw)
        except Exception as exc:  # noqa: BLE001 - any failure to read the user's file is that file's fault
            # (an empty or garbage .safetensors: SafetensorError; a .pth holding a list: AttributeError)
            if (not pretrained or isinstance(exc, MemoryError)  # out of memory is the machine's, not the file's
                    or (file is None and not isinstance(exc, (OSError, RuntimeError, ValueError)))):
                raise
            if file is not None:  # the user's file was read: it does not hold this network's weights
                raise UserError(f"encoder {name!r}: {file}: not loadable as the weights of {name!r} "
                                f"({type(exc).__name__}: {_mismatch(exc)}); give the timm ImageNet weights of "
                                f"{name!r} or leave out `pretrained`") from exc
            raise UserError(
                f"encoder {name!r}: could not load ImageNet weights ({type(exc).__name__}: {_foreign(exc, 160)}); "
                f"offline, give the file as `pretrained_file` FILE, put {name}.safetensors in the folder named "
                f"by ${PRETRAINED_ENV}, or copy a Hugging Face cache and set HF_HUB_OFFLINE=1; or leave out "
                f"`pretrained`") from exc
        if pretrained:
            _check_complete(name, loads, file, in_chans)
        self.channels = list(self.model.feature_info.channels())
        self.reductions = list(self.model.feature_info.reduction())

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps of the selected stages, finest first."""
        return list(self.model(x))


@contextlib.contextmanager
def _loads_recorded(loads: list):
    """Record what timm's ``load_pretrained`` put into the network: ``(missing, unexpected, classifier names)``.

    With ``features_only`` timm loads ImageNet weights with ``strict=False``
    (the classifier is dropped) and only logs the keys it did not find, at
    INFO level: a file holding part of the network (no ``layer4``), or none
    of it (every key prefixed ``backbone.``), trained a half-random or random
    encoder without a word. The keys are checked by :func:`_check_complete`.
    Held under a lock (the patch is process-wide: two threads loading at once
    removed each other's recorder) and always undone.
    """
    from timm.models import _builder

    def load_pretrained(model, pretrained_cfg=None, *args, **kwargs):
        real = model.load_state_dict

        def load_state_dict(state_dict, strict=True, **kw):
            result = real(state_dict, strict=False, **kw)
            heads = (pretrained_cfg or getattr(model, "pretrained_cfg", {}) or {}).get("classifier") or ()
            loads.append((list(result.missing_keys), list(result.unexpected_keys),
                          (heads,) if isinstance(heads, str) else tuple(heads)))
            return result

        model.load_state_dict = load_state_dict
        try:
            return original(model, pretrained_cfg, *args, **kwargs)
        finally:
            del model.load_state_dict  # the instance attribute: the class's method is back

    import logging

    log = logging.getLogger(_builder.__name__)  # its key lists (15 KB on one line) are replaced by our one line
    with _PATCH_LOCK:
        original = _builder.load_pretrained
        level = log.level
        log.setLevel(logging.ERROR)
        _builder.load_pretrained = load_pretrained
        try:
            yield
        finally:
            _builder.load_pretrained = original
            log.setLevel(level)


_PATCH_LOCK = threading.RLock()


def _check_complete(name: str, loads: list, file, in_chans: int = 3) -> None:
    """Refuse pretrained weights that left part of the encoder at its random start (see :func:`_loads_recorded`).

    Every tensor of the network timm loaded into must come from the weights,
    except its classifier (timm's ``pretrained_cfg["classifier"]``, e.g.
    ``fc``). Tensors of the file that the network lacks are expected where
    ``features_only`` builds a network without the last layers (MobileNet and
    EfficientNet drop ``conv_head`` and ``bn2``, HRNet its head): they are
    refused only when the classification network of that name lacks them too
    (weights of another network whose shapes happen to fit, e.g. resnet34's
    into resnet18).
    """
    def outside_head(keys, heads):
        return [k for k in keys if not any(k == h or k.startswith(h + ".") for h in heads)]

    src = f"{file}" if file else "the ImageNet weights"
    for missing, unexpected, heads in loads:
        missing, unexpected = outside_head(missing, heads), outside_head(unexpected, heads)
        known = _classifier_keys(name, in_chans) if unexpected else set()  # one build (0.4 s for hrnet_w64)
        foreign = [] if known is None else [k for k in unexpected if k not in known]
        if missing or foreign:
            said = [f"{len(missing)} of the network's tensors not in the file (first: {missing[0]})"] if missing else []
            said += [f"{len(foreign)} tensors of the file not in the network (first: {foreign[0]})"] if foreign else []
            raise UserError(f"encoder {name!r}: {src}: does not fit {name!r}: {'; '.join(said)}; give the timm "
                            f"ImageNet weights of {name!r} (keys as timm names them; a 'module.' prefix is "
                            f"removed) or leave out `pretrained`")


def _classifier_keys(name: str, in_chans: int) -> set | None:
    """The state-dict keys of timm's classification network ``name``, built on the meta device (no memory);
    None when it cannot be built there (its left-over keys are then not judged)."""
    import timm

    try:
        with torch.device("meta"):
            return set(timm.create_model(name, pretrained=False, in_chans=in_chans).state_dict())
    except Exception:  # noqa: BLE001 - any failure of a meta build only means: not judged
        return None


def _mismatch(exc) -> str:
    """The first line of torch's ``load_state_dict`` error that names a tensor, else its text, as one line."""
    for line in str(exc).splitlines():
        if "size mismatch for" in line:
            return _foreign(line.strip(), 200)
    return _foreign(exc, 200)


@contextlib.contextmanager
def _hub_quiet():
    """Hugging Face hub's log warnings held back while timm downloads: offline, its "Retrying in 1s" lines
    (about a dozen) buried the one error line that says what to do."""
    import logging

    log = logging.getLogger("huggingface_hub")
    with _PATCH_LOCK:  # two threads at once left the hub's logger at ERROR (each restored the other's level)
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            yield
        finally:
            log.setLevel(level)


def _pretrained_file_from_env(name: str) -> Path | None:
    folder = os.environ.get(PRETRAINED_ENV)
    if not folder:
        return None
    for ext in (".safetensors", ".pth", ".bin", ".pt"):
        p = Path(folder) / f"{name}{ext}"
        if p.is_file():
            return p
    raise UserError(f"${PRETRAINED_ENV}={folder}: no {name}.safetensors/.pth/.bin there; "
                    f"put the timm ImageNet weights of {name!r} there or unset the variable")


def create_encoder(name: str, pretrained: bool = False, in_chans: int = 3, **kwargs) -> nn.Module:
    """Build the encoder ``name``: ``"tiny"`` or any timm model name."""
    if name == "tiny":
        if kwargs.pop("pretrained_file", None) is not None:
            raise UserError("encoder 'tiny' has no pretrained weights; leave out `pretrained_file` (or choose a "
                            "model with a timm encoder)")
        if pretrained:
            raise UserError("encoder 'tiny' has no pretrained weights; leave out `pretrained`")
        return TinyEncoder(in_chans=in_chans, **kwargs)
    return TimmEncoder(name, pretrained=pretrained, in_chans=in_chans, **kwargs)

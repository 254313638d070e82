"""The model table: registered names and their JSON-able configs (data only).

After timm's ``models/_registry.py``: a name maps to a config that, stored
with a checkpoint, rebuilds the same architecture. This module holds only the
table and the constants it is built from; it imports no network code, so the
registry (:mod:`saliency.models.registry`), the profiler and the command line
can all read it without importing each other.

Names read ``<arch>_<encoder>_<attention>_<task>`` (see
:mod:`saliency.models.registry` for the list).
"""

from __future__ import annotations

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


def _build() -> dict[str, dict]:
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


#: name -> config of every registered model (read through the registry, which hands out copies).
MODELS: dict[str, dict] = _build()

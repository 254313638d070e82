"""Pretrained encoder weights from a file: all of the encoder or a refusal (the encoder review of this stop).

timm loads ImageNet weights non-strictly under ``features_only`` (the classifier is dropped) and logged the
keys it did not find at INFO level: a file without ``layer4`` trained a half-random encoder, one with every
key prefixed ``backbone.`` a wholly random one, both with exit 0. Oracle: the tensors of the file itself
(a network built by timm with random weights, saved as a user's file would be).
"""

from __future__ import annotations

import pytest
import torch

from saliency.base.errors import UserError
from saliency.models.encoders import TimmEncoder


@pytest.fixture(scope="module")
def r18():
    import timm

    torch.manual_seed(3)
    return timm.create_model("resnet18").state_dict()


def _save(path, sd):
    torch.save(sd, path)
    return path


def test_a_whole_file_lands_in_every_tensor(tmp_path, r18):
    for name, sd in (("full.pth", r18), ("no_head.pth", {k: v for k, v in r18.items() if not k.startswith("fc.")}),
                     ("wrapped.pth", {"state_dict": {f"module.{k}": v for k, v in r18.items()}})):
        enc = TimmEncoder("resnet18", pretrained=True, pretrained_file=str(_save(tmp_path / name, sd)))
        got = enc.model.state_dict()
        assert set(got) == {k for k in r18 if not k.startswith("fc.")}, name
        for k, v in got.items():
            assert torch.equal(v, r18[k]), (name, k)


@pytest.mark.parametrize("case", ["no_layer4", "prefixed", "extra_block"])
def test_a_file_that_leaves_tensors_random_is_refused(tmp_path, r18, case):
    # the classifier is not the encoder's; torch does not report a BatchNorm's num_batches_tracked as missing
    # (it fills it in, for files older than the counter)
    body = [k for k in r18 if not k.startswith("fc.") and not k.endswith("num_batches_tracked")]
    if case == "no_layer4":
        sd = {k: v for k, v in r18.items() if not k.startswith("layer4.")}
        words = (f"{sum(k.startswith('layer4.') for k in body)} of the network's tensors not in the file (first: "
                 "layer4.0.conv1.weight)")
    elif case == "prefixed":  # as detection and segmentation checkpoints name their backbone
        sd = {f"backbone.{k}": v for k, v in r18.items()}
        words = (f"{len(body)} of the network's tensors not in the file (first: conv1.weight); {len(r18)} tensors "
                 "of the file not in the network (first: backbone.conv1.weight)")
    else:  # resnet34's layer1 has a third block of the same shapes: not a size mismatch, a left-over
        extra = {k.replace("layer1.1.", "layer1.2."): v for k, v in r18.items() if k.startswith("layer1.1.")}
        sd = dict(r18, **extra)
        words = f"{len(extra)} tensors of the file not in the network (first: layer1.2.conv1.weight)"
    f = _save(tmp_path / f"{case}.pth", sd)
    with pytest.raises(UserError) as exc:
        TimmEncoder("resnet18", pretrained=True, pretrained_file=str(f))
    msg = str(exc.value)
    assert msg.startswith(f"encoder 'resnet18': {f}: does not fit 'resnet18': ") and words in msg
    assert "\n" not in msg


def test_another_architecture_is_one_line_naming_the_tensor(tmp_path):
    import timm

    f = _save(tmp_path / "mnv3.pth", timm.create_model("mobilenetv3_small_050").state_dict())
    with pytest.raises(UserError) as exc:
        TimmEncoder("resnet18", pretrained=True, pretrained_file=str(f))
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"encoder 'resnet18': {f}: not loadable as the weights of 'resnet18' "
                                              "(RuntimeError: size mismatch for ")
    assert "offline" not in msg  # the file was found and read: the offline advice was wrong here


def test_features_only_networks_without_the_last_layers_load_their_whole_file(tmp_path):
    """MobileNet/EfficientNet under features_only have no conv_head/bn2: the file's copies are no reason to refuse
    (the first version of the check refused every such ImageNet file, the built-in unet_mobilenetv3 models' too)."""
    import timm

    torch.manual_seed(4)
    sd = timm.create_model("mobilenetv3_small_050").state_dict()
    assert any(k.startswith("conv_head.") for k in sd)
    enc = TimmEncoder("mobilenetv3_small_050", pretrained=True,
                      pretrained_file=str(_save(tmp_path / "mnv3.pth", sd)))
    got = enc.model.state_dict()
    assert got and all(torch.equal(v, sd[k]) for k, v in got.items())


def test_two_threads_load_at_once_and_timm_is_left_as_it_was(tmp_path, r18):
    """The recorder patches timm process-wide: two threads removed each other's (AttributeError, and timm left
    patched for the rest of the process); the hub's logger level is process-wide too."""
    import threading

    from timm.models import _builder

    import logging

    original = _builder.load_pretrained
    hub = logging.getLogger("huggingface_hub")
    level = hub.level
    f = str(_save(tmp_path / "full.pth", r18))
    errors = []

    def build():
        try:
            for _ in range(2):
                TimmEncoder("resnet18", pretrained=True, pretrained_file=f)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(exc))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and _builder.load_pretrained is original
    assert hub.level == level  # each thread put back the level the other had set (left at ERROR)


def test_the_classification_network_is_listed_once_per_load(tmp_path, monkeypatch):
    """It was built on the meta device once per left-over key (28 builds, 15 s for hrnet_w64's own file)."""
    import timm

    from saliency.models import encoders

    calls = []
    real = encoders._classifier_keys
    monkeypatch.setattr(encoders, "_classifier_keys", lambda *a: calls.append(a) or real(*a))
    sd = timm.create_model("mobilenetv3_small_050").state_dict()
    TimmEncoder("mobilenetv3_small_050", pretrained=True, pretrained_file=str(_save(tmp_path / "m.pth", sd)))
    assert calls == [("mobilenetv3_small_050", 3)]

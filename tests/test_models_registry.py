"""Every registered model against the toolkit's model contract (one base test, parametrised).

After segmentation_models_pytorch ``tests/models/base.py``: odd input sizes
give N x 1 x H x W outputs; train mode gives (main, [sides]) of the same
shape; backward reaches every parameter; no NaN; the state dict and the JSON
config rebuild the same model; eval mode is deterministic; a fixation model
outputs a log-density (exp sums to 1 per image, checked in float64).
timm-encoder models run at 65 x 49 to keep the suite fast; built-in ones at
1 x 3 x 317 x 241 (eval) and 2 x 3 x 129 x 97 (train).
"""

from __future__ import annotations

import functools
import io
import json

import pytest
import torch

from saliency import models
from saliency.models.errors import UnknownNameError
from saliency.base.errors import UserError

ALL = models.list_models()


def _size(name: str, train: bool = False) -> tuple[int, int]:
    if "resnet" in name or "mobilenet" in name:
        return (65, 49)
    return (129, 97) if train else (317, 241)


@functools.lru_cache(maxsize=None)
def _model(name: str):
    torch.manual_seed(0)
    return models.create_model(name)


def _input(name: str, n: int = 1, train: bool = False) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.rand(n, 3, *_size(name, train), generator=g)


@pytest.mark.parametrize("name", ALL)
class TestModelContract:
    def test_eval_output(self, name):
        m = _model(name).eval()
        x = _input(name)
        with torch.no_grad():
            y = m(x)
            y2 = m(x)
        assert torch.is_tensor(y) and y.shape == (1, 1, *x.shape[-2:])
        assert torch.isfinite(y).all()
        assert torch.equal(y, y2), "eval mode must be deterministic"
        assert m.task in ("sod", "fixation")
        if m.task == "fixation":
            mass = y.double().exp().flatten(1).sum(1)
            assert torch.allclose(mass, torch.ones(1, dtype=torch.float64), atol=1e-5)

    def test_train_outputs_and_backward(self, name):
        m = _model(name).train()
        x = _input(name, 2, train=True)
        main, sides = m(x)
        assert main.shape == (2, 1, *x.shape[-2:]) and len(sides) >= 1
        for s in sides:
            assert s.shape == main.shape and torch.isfinite(s).all()
        loss = main.float().square().mean() + sum(s.float().square().mean() for s in sides)
        m.zero_grad(set_to_none=True)
        loss.backward()
        missing = [k for k, p in m.named_parameters() if p.grad is None]
        assert not missing, f"no gradient reaches {missing[:5]}"
        assert all(torch.isfinite(p.grad).all() for p in m.parameters())
        assert sum(float(p.grad.abs().sum()) for p in m.parameters()) > 0
        m.zero_grad(set_to_none=True)
        m.eval()

    def test_checkpoint_round_trip(self, name):
        m = _model(name).eval()
        cfg = json.loads(json.dumps(m.config))  # JSON-able, as stored with a checkpoint
        buf = io.BytesIO()
        torch.save(models.checkpoint_payload(m), buf)
        buf.seek(0)
        payload = torch.load(buf, weights_only=True)
        torch.manual_seed(123)  # a different init: the weights must come from the state dict
        m2 = models.create_model_from_config(cfg)
        m2.load_state_dict(payload["state_dict"])
        m2.eval()
        x = _input(name, 1)
        with torch.no_grad():
            assert torch.equal(m(x), m2(x))
        assert m2.task == m.task and m2.config == m.config


def test_registry_covers_the_issue():
    for task in ("sod", "fixation"):
        for att in ["none"] + models.list_attention():
            assert f"unet_tiny_{att}_{task}" in ALL
            assert f"unet_resnet50_{att}_{task}" in ALL
        assert f"c2f_tiny_cbam_{task}" in ALL


def test_unknown_names_list_valid_ones():
    with pytest.raises(UnknownNameError, match="unet_tiny_cbam_sod"):
        models.create_model("unet_nope_sod")
    with pytest.raises(UserError):
        models.create_model("nope")
    with pytest.raises(TypeError, match="valid"):
        models.create_model("unet_tiny_cbam_sod", decoder_chanels=[1])
    with pytest.raises(UnknownNameError, match="cbam"):
        models.create_attention("cbma", 8)


def test_any_timm_backbone_plugs_in():
    m = models.create_model("unet_resnet50_se_sod", encoder="resnet18").eval()
    assert m.core.encoder.channels == [64, 64, 128, 256, 512]
    with torch.no_grad():
        assert m(torch.rand(1, 3, 49, 65)).shape == (1, 1, 49, 65)


def test_smallest_model_budget():
    from saliency.models.profile import count_macs, count_params

    m = models.create_model("unet_tiny_cbam_sod")
    assert count_params(m) <= 2_000_000
    assert count_macs(m, 320, 320) <= 5e9


def test_pretrained_from_file_and_offline_error(tmp_path, monkeypatch):
    import timm

    ref = timm.create_model("resnet18")
    torch.save(ref.state_dict(), tmp_path / "resnet18.pth")
    monkeypatch.setenv("SALIENCY_PRETRAINED_DIR", str(tmp_path))
    m = models.create_model("unet_resnet50_none_sod", encoder="resnet18", pretrained=True)
    assert torch.equal(m.core.encoder.model.conv1.weight, ref.conv1.weight)
    monkeypatch.setenv("SALIENCY_PRETRAINED_DIR", str(tmp_path / "empty"))
    with pytest.raises(UserError, match="SALIENCY_PRETRAINED_DIR"):
        models.create_model("unet_resnet50_none_sod", encoder="resnet34", pretrained=True)
    monkeypatch.delenv("SALIENCY_PRETRAINED_DIR")

    def offline(*a, **kw):
        raise OSError("cannot reach huggingface.co")

    monkeypatch.setattr(timm, "create_model", offline)
    with pytest.raises(UserError, match="HF_HUB_OFFLINE"):
        models.create_model("unet_resnet50_none_sod", pretrained=True)


def test_load_checkpoint_file(tmp_path):
    m = _model("unet_tiny_se_sod").eval()
    torch.save({"model": m.state_dict(), "model_config": m.config, "epoch": 3}, tmp_path / "c.pt")
    m2 = models.load_checkpoint(tmp_path / "c.pt")
    x = torch.rand(1, 3, 64, 80)
    with torch.no_grad():
        assert torch.equal(m(x), m2(x))
    torch.save({"weights": 1}, tmp_path / "bad.pt")
    with pytest.raises(UserError, match="config"):
        models.load_checkpoint(tmp_path / "bad.pt")


def test_input_stn_is_aligned_with_the_input():
    """A warping input STN maps its logits back: a shift of the input shifts the output."""
    m = models.create_model("unet_tiny_stnin_sod").eval()
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        base = m(x)
        m.core.stn.theta_head.bias.copy_(torch.tensor([0.5, 0.0, 0.0, 0.0, 0.5, 0.0]))  # zoom x2 on the centre
        zoomed = m(x)
    assert zoomed.shape == base.shape
    assert not torch.allclose(zoomed, base)


def test_coarse_to_fine_replaces_top_k_cells():
    """The fine branch's output replaces exactly the top-k coarse cells."""
    m = models.create_model("c2f_tiny_cbam_sod").eval()
    x = torch.rand(1, 3, 130, 200)  # padded to 192 x 256: 3 x 4 = 12 cells of 64
    with torch.no_grad():
        out = m.logits(x)[0]
        coarse, _ = m.coarse_logits(m.normalize(x))
    changed = (out != coarse)
    P = m.patch_size
    cells = torch.nn.functional.pad(changed.float(), (0, 256 - 200, 0, 192 - 130))
    per_cell = torch.nn.functional.max_pool2d(cells, P).flatten()
    assert int(per_cell.sum()) == m.top_k
    scores = m.cell_scores(coarse, 192 - 130, 256 - 200).flatten()
    assert set(per_cell.nonzero().flatten().tolist()) == set(scores.topk(m.top_k).indices.tolist())


def test_hub_retry_warnings_are_held_back_while_loading_weights(caplog):
    """Offline, ``--pretrained`` printed about 12 "Retrying in 1s" lines of huggingface_hub before its one line."""
    import logging

    from saliency.models.encoders import _hub_quiet

    log = logging.getLogger("huggingface_hub")
    with _hub_quiet():
        log.warning("Retrying in 1s [Retry 1/5].")
    assert [r.getMessage() for r in caplog.records] == []
    log.warning("after")  # the level is put back
    assert [r.getMessage() for r in caplog.records] == ["after"]

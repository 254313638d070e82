"""models/ API bad inputs (review R9, a researcher's notebook calls): each refused with one exception naming the
parameter in backticks, where it gave NaN maps, negative losses, an int loss or a deep torch error; valid inputs
unchanged."""

import math

import cv2
import numpy as np
import pytest
import torch

from cli_fakes import run_cli
from saliency import models
from saliency.models import losses as L
from saliency.models.attention import CBAM, create_attention
from saliency.models.attention.sk import SKConv


# ---------------------------------------------------------------- 1. uint8 image
@pytest.mark.parametrize("name", ["unet_tiny_cbam_sod", "c2f_tiny_cbam_sod"])
def test_uint8_image_is_refused_not_nan(name):
    net = models.create_model(name).eval()
    xu = torch.randint(0, 256, (1, 3, 64, 64), dtype=torch.uint8)  # what torchvision.io.read_image gives
    with pytest.raises(TypeError, match=r"`x`.*\[0, 1\].*uint8.*/ 255"):
        with torch.no_grad():
            net(xu)
    with torch.no_grad():  # the advised conversion works and gives a finite map
        assert torch.isfinite(net(xu.float() / 255)).all()


def test_float_input_normalised_as_imagenet():
    net = models.create_model("unet_tiny_none_sod").eval()
    x = torch.rand(2, 3, 5, 7)
    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    assert torch.allclose(net.normalize(x), (x - mean) / std)


# ---------------------------------------------------------------- 2. options for "none"
@pytest.mark.parametrize("name", ["none", None])
def test_none_attention_refuses_options(name):
    with pytest.raises(TypeError, match=r"'none'.*bogus.*`attention_kwargs`"):
        create_attention(name, 64, reduction=8, bogus=1)
    assert isinstance(create_attention(name, 64), torch.nn.Identity)


def test_none_model_refuses_attention_kwargs():
    with pytest.raises(TypeError, match=r"'none'.*\['bogus'\]"):
        models.create_model("unet_tiny_none_sod", attention_kwargs={"bogus": 1})
    # the registered "none" models (ablation baseline, input STN) pass none and still build
    models.create_model("unet_tiny_none_sod")
    models.create_model("unet_tiny_stnin_sod")


# ---------------------------------------------------------------- 3. SK reduction
@pytest.mark.parametrize("reduction", [0, -4, 0.0])
def test_sk_reduction_checked_as_se(reduction):
    with pytest.raises(ValueError, match=r"reduction must be > 0") as sk:
        SKConv(64, reduction=reduction)
    with pytest.raises(ValueError) as se:
        create_attention("se", 64, reduction=reduction)
    assert str(sk.value) == str(se.value)


def test_sk_valid_reduction_width():
    # d = max(int(C / r), L = 32): 64 / 16 -> 4 -> 32; 64 / 1 -> 64
    assert SKConv(64, reduction=16).fuse[0].out_channels == 32
    assert SKConv(64, reduction=1).fuse[0].out_channels == 64


# ---------------------------------------------------------------- 4. SOD targets, deep supervision
SOD = ["bce", "iou", "ssim", "hybrid", "structure"]


@pytest.mark.parametrize("name", SOD)
def test_sod_loss_refuses_0_255_mask(name):
    logits = torch.randn(2, 1, 20, 30)
    mask = torch.full((2, 1, 20, 30), 255, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"`target`.*\[0, 1\].*max 255"):
        L.get_loss(name)(logits, mask)


@pytest.mark.parametrize("name", SOD)
@pytest.mark.parametrize("bad", [1.5, -0.25, float("nan")])
def test_sod_loss_refuses_target_outside_unit(name, bad):
    t = torch.zeros(1, 1, 16, 16)
    t[0, 0, 3, 4] = bad
    with pytest.raises(ValueError, match=r"`target`"):
        L.get_loss(name)(torch.zeros(1, 1, 16, 16), t)


def test_sod_loss_valid_targets_unchanged():
    # logits 0: p = 1/2, BCE = ln 2 for any 0/1 target; IoU on an all-ones 4x4 mask: 1 - (8 + 1) / (16 + 1)
    z = torch.zeros(1, 1, 4, 4)
    t = torch.ones(1, 1, 4, 4)
    assert L.bce_loss(z, t).item() == pytest.approx(math.log(2))
    assert L.iou_loss(z, t).item() == pytest.approx(1 - 9 / 17)
    assert L.bce_loss(z, t.bool()).item() == pytest.approx(math.log(2))  # a bool / 0-1 integer mask is in [0, 1]
    assert L.bce_loss(z, t.to(torch.uint8)).item() == pytest.approx(math.log(2))
    # hybrid = its three terms, structure = weighted BCE + weighted IoU
    g = (torch.rand(2, 1, 24, 24) > 0.5).float()
    lg = torch.randn(2, 1, 24, 24)
    parts = L.bce_loss(lg, g) + L.ssim_loss(lg, g) + L.iou_loss(lg, g)
    assert L.hybrid_loss(lg, g).item() == pytest.approx(parts.item(), rel=1e-6)
    w = L.structure_weight(g)
    parts = L.bce_loss(lg, g, weight=w) + L.iou_loss(lg, g, weight=w)
    assert L.structure_loss(lg, g).item() == pytest.approx(parts.item(), rel=1e-6)


def test_deep_supervision_all_zero_weights_refused():
    lg = torch.zeros(1, 1, 8, 8)
    t = torch.ones(1, 1, 8, 8)
    with pytest.raises(ValueError, match=r"`weights`.*0"):
        L.deep_supervision(L.bce_loss, (lg, [lg]), t, weights=[0, 0])
    got = L.deep_supervision(L.bce_loss, (lg, [lg]), t, weights=[1.0, 0])
    assert torch.is_tensor(got) and got.item() == pytest.approx(math.log(2))


# ---------------------------------------------------------------- 5. coarse-to-fine input size
def test_c2f_small_coarse_scale_named():
    net = models.create_model("c2f_tiny_cbam_sod", coarse_scale=0.01).eval()
    with pytest.raises(ValueError, match=r"64x64.*`coarse_scale`=0\.01.*at least 100 pixels"):
        with torch.no_grad():
            net(torch.rand(1, 3, 64, 64))
    with torch.no_grad():  # 100 * 0.01 = 1 pixel: enough
        assert net(torch.rand(1, 3, 100, 100)).shape == (1, 1, 100, 100)


def test_c2f_default_thin_input_named():
    net = models.create_model("c2f_tiny_cbam_sod").eval()
    with pytest.raises(ValueError, match=r"1x64.*`coarse_scale`=0\.5.*0x32.*at least 2 pixels"):
        with torch.no_grad():
            net(torch.rand(1, 3, 1, 64))
    with torch.no_grad():
        assert net(torch.rand(1, 3, 2, 64)).shape == (1, 1, 2, 64)


# ---------------------------------------------------------------- 6. attention overridden to "none" (regression)
def _shapes(net):
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


def test_attention_none_override_builds_and_records_no_options():
    net = models.create_model("unet_tiny_cbam_sod", attention="none")
    assert net.config["attention"] == "none" and net.config["attention_kwargs"] == {}
    assert models.checkpoint_payload(net)["config"]["attention_kwargs"] == {}
    assert _shapes(net) == _shapes(models.create_model("unet_tiny_none_sod"))  # the registered baseline's network
    # options given for "none" by the caller are still refused
    with pytest.raises(TypeError, match=r"'none'.*\['reduction'\]"):
        models.create_model("unet_tiny_cbam_sod", attention="none", attention_kwargs={"reduction": 4})


def test_attention_override_keeps_the_options_the_new_attention_takes():
    net = models.create_model("unet_tiny_cbam_sod", attention="se")
    assert net.config["attention_kwargs"] == {"reduction": 4}
    assert _shapes(net) == _shapes(models.create_model("unet_tiny_se_sod"))  # registered with reduction 4 too


def test_create_attention_none_still_refuses_reduction():
    with pytest.raises(TypeError, match=r"'none'.*\['reduction'\]"):
        create_attention("none", 64, reduction=8)


@pytest.mark.parametrize("arch", ["unet", "c2f"])
def test_stored_none_config_with_options_builds_without_them(arch):
    if arch == "unet":
        config = {**models.create_model("unet_tiny_none_sod").config, "attention_kwargs": {"reduction": 4}}
        before = {**config}
        net = models.create_model_from_config(config)
        assert net.config["attention_kwargs"] == {} and config == before  # the caller's dict is left as it was
    else:
        base = models.create_model("c2f_tiny_cbam_sod").config
        config = {**base, "coarse": {**base["coarse"], "attention": "none"},
                  "fine": {**base["fine"], "attention": "none"}}
        assert config["coarse"]["attention_kwargs"] == {"reduction": 4}
        net = models.create_model_from_config(config)
        assert net.config["coarse"]["attention_kwargs"] == {} and net.config["fine"]["attention_kwargs"] == {}
    assert not any(isinstance(m, CBAM) for m in net.modules())


def test_checkpoint_with_none_and_options_predicts_through_the_cli(tmp_path, capsys):
    """A checkpoint trained before 'none' refused options: its config holds 'none' + {'reduction': 4}."""
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    cv2.imwrite(str(imgs / "a.png"), np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8))
    torch.manual_seed(0)
    payload = models.checkpoint_payload(models.create_model("unet_tiny_none_sod"))
    torch.save(payload, tmp_path / "clean.pt")
    payload["config"]["attention_kwargs"] = {"reduction": 4}
    torch.save(payload, tmp_path / "old.pt")
    maps = {}
    for ck in ("clean", "old"):
        rc, out, err = run_cli(capsys, ["predict", "--checkpoint", tmp_path / f"{ck}.pt", "--images", imgs,
                                        "--out", tmp_path / ck, "--device", "cpu", "--size", "64x48", "--quiet"])
        assert rc == 0 and err == "", (rc, out, err)
        maps[ck] = cv2.imread(str(tmp_path / ck / "a.png"), cv2.IMREAD_UNCHANGED)
    assert maps["old"].shape == (48, 64) and np.array_equal(maps["old"], maps["clean"])  # the same network

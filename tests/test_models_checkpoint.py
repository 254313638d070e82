"""The one checkpoint reader: accepted layouts, one message per failure naming the file, and its three users.

``saliency.models.registry.read_checkpoint`` reads every checkpoint file;
``models.load_checkpoint`` (export), ``saliency.predict.load_model`` and
``saliency.checkpoint.load`` (training resume) build on it, so they accept the
same files and fail with the same messages. Oracle: a model saved by hand with
``torch.save`` and its own output on a fixed input.
"""

from __future__ import annotations

import pytest
import torch

from saliency import models
from saliency.base.errors import UserError, cli_flag
from saliency.models.registry import read_checkpoint


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return models.create_model("unet_tiny_se_sod").eval()


def _same(a, b):
    x = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return torch.equal(a(x), b(x))


LAYOUTS = [("config", "state_dict"), ("model_config", "model"), ("model_config", "model_state"),
           ("config", "model")]


@pytest.mark.parametrize("ckey,wkey", LAYOUTS)
def test_every_accepted_layout_loads_through_every_user(model, tmp_path, ckey, wkey):
    from saliency.checkpoint import load
    from saliency.predict import load_model

    path = tmp_path / "c.pt"
    torch.save({ckey: model.config, wkey: model.state_dict(), "train_config": {"data": {"size": [48, 64]}},
                "epoch": 3}, path)
    assert _same(model, models.load_checkpoint(path))
    m2, tcfg = load_model(path, torch.device("cpu"))
    assert _same(model, m2) and not m2.training and tcfg == {"data": {"size": [48, 64]}}
    ck = load(path)
    assert ck["config"] == model.config and ck["epoch"] == 3
    assert all(torch.equal(v, ck["state_dict"][k]) for k, v in model.state_dict().items())


def test_state_dict_is_preferred_to_the_raw_training_weights(model, tmp_path):
    """A training checkpoint holds the EMA weights (state_dict) and the raw ones (model): predict uses the EMA."""
    torch.manual_seed(5)
    other = models.create_model("unet_tiny_se_sod").eval()
    path = tmp_path / "c.pt"
    torch.save({"config": model.config, "state_dict": model.state_dict(), "model": other.state_dict()}, path)
    assert _same(model, models.load_checkpoint(path))


def _error(fn, *args, **kw) -> UserError:
    with pytest.raises(UserError) as info:
        fn(*args, **kw)
    return info.value


def test_messages_name_the_parameter_and_the_file(model, tmp_path):
    missing = tmp_path / "missing.pt"
    err = _error(read_checkpoint, missing)
    assert str(err) == f"checkpoint {missing}: no such file"
    assert err.render(cli_flag) == f"--checkpoint {missing}: no such file"

    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"nope")
    msg = str(_error(read_checkpoint, junk))
    assert msg.startswith(f"checkpoint {junk}: cannot read it as a torch checkpoint (") and "\n" not in msg

    listed = tmp_path / "list.pt"
    torch.save([1, 2], listed)
    assert str(_error(read_checkpoint, listed)) == \
        f"checkpoint {listed}: expected a dict with 'config' and 'state_dict'"

    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": 1, "epoch": 2}, foreign)
    assert str(_error(read_checkpoint, foreign)) == \
        f"checkpoint {foreign}: needs keys 'config' (model.config) and 'state_dict'; found ['epoch', 'weights']"

    # training resume names the file only (its option is --resume RUN, not the file)
    assert str(_error(read_checkpoint, missing, param=None)) == f"{missing}: no such file"
    from saliency.checkpoint import load
    assert str(_error(load, foreign)).startswith(f"{foreign}: needs keys 'config'")

    # weights of another architecture
    torch.manual_seed(0)
    cbam = models.create_model("unet_tiny_cbam_sod")
    mismatch = tmp_path / "mismatch.pt"
    torch.save({"config": model.config, "state_dict": cbam.state_dict()}, mismatch)
    from saliency.predict import load_model

    for fn in (models.load_checkpoint, lambda p: load_model(p, torch.device("cpu"))):
        msg = _error(fn, mismatch).render(cli_flag)
        assert msg.startswith(f"--checkpoint {mismatch}: weights do not fit the config (")


def test_predict_command_prints_the_flag_and_the_file(tmp_path, capsys):
    from saliency.cli import main

    imgs = tmp_path / "imgs"
    imgs.mkdir()
    missing = tmp_path / "missing.pt"
    assert main(["predict", "--checkpoint", str(missing), "--images", str(imgs), "--out", str(tmp_path / "o")]) == 2
    assert f"--checkpoint {missing}: no such file" in capsys.readouterr().err

"""Pretrained weights from a file (review R6 of stop 29): a corrupt file is one refusal, and a file given is used.

1. An empty or garbage ``.safetensors`` (SafetensorError) and a ``.pth`` holding a list (AttributeError) ended in
   "unexpected ..." (exit 1), whereas a garbage ``.pth`` (RuntimeError) gave the one-line refusal, exit 2.
2. ``create_model(..., pretrained_file=PATH)`` without ``pretrained=True`` built random weights without a word,
   even for a missing PATH; the CLI's ``--pretrained-file`` turns pretrained on, and so does the library now.

No download: the weights are a resnet18 built by timm with random weights, saved as a user's file would be.
"""

from __future__ import annotations

import pytest
import torch

from cli_fakes import refusal, run_cli
from saliency.base.errors import UserError
from saliency.models import create_model
from saliency.models.encoders import PRETRAINED_ENV, TimmEncoder
from train_fakes import make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

BASE = ["--device", "cpu", "--quiet", "--set", "data.size=[48,64]", "--set", "train.grid_images=0",
        "--set", "train.tensorboard=false"]

# (file name, bytes or a torch-saved object, the exception class the message names)
CORRUPT = [
    ("empty.safetensors", b"", "SafetensorError"),  # header too small
    ("garbage.safetensors", b"\xff" * 64, "SafetensorError"),  # header length 2**64-1: header too large
    ("list.pth", [torch.zeros(2), torch.ones(3)], "AttributeError"),  # 'list' object has no attribute 'items'
]


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    return path


@pytest.mark.parametrize("fname,content,cls", CORRUPT, ids=[c[0] for c in CORRUPT])
def test_a_corrupt_file_is_one_refusal_naming_it(tmp_path, fname, content, cls):
    f = _write(tmp_path / fname, content)
    with pytest.raises(UserError) as exc:
        TimmEncoder("resnet18", pretrained=True, pretrained_file=str(f))
    msg = str(exc.value)
    assert msg.startswith(f"encoder 'resnet18': {f}: not loadable as the weights of 'resnet18' ({cls}: "), msg
    assert msg.endswith("give the timm ImageNet weights of 'resnet18' or leave out pretrained") and "\n" not in msg


@pytest.mark.parametrize("fname,content,cls", CORRUPT, ids=[c[0] for c in CORRUPT])
def test_a_corrupt_file_in_the_pretrained_dir_is_one_refusal_naming_it(tmp_path, monkeypatch, fname, content, cls):
    ext = fname.split(".", 1)[1]
    f = _write(tmp_path / f"resnet18.{ext}", content)
    monkeypatch.setenv(PRETRAINED_ENV, str(tmp_path))
    with pytest.raises(UserError) as exc:
        TimmEncoder("resnet18", pretrained=True)
    assert str(exc.value).startswith(f"encoder 'resnet18': {f}: not loadable as the weights of 'resnet18' ({cls}: ")


@pytest.mark.parametrize("fname,content,cls", CORRUPT, ids=[c[0] for c in CORRUPT])
def test_train_with_a_corrupt_file_exits_2_in_one_line(tmp_path_factory, tmp_path, capsys, fname, content, cls):
    sod = make_sod(tmp_path_factory.mktemp("sod") / "S")
    f = _write(tmp_path / fname, content)
    out = tmp_path / "run"
    line = refusal(*run_cli(capsys, ["train", "--data", sod, "--task", "sod", "--out", out, "--epochs", "1",
                                     "--model", "unet_resnet50_none_sod", "--pretrained-file", f, *BASE]))
    assert f"{f}: not loadable as the weights of 'resnet50' ({cls}: " in line and "unexpected" not in line, line
    assert not out.exists()


def test_a_pretrained_file_without_pretrained_loads_it(tmp_path):
    import timm

    torch.manual_seed(29)
    ref = timm.create_model("resnet18").state_dict()
    f = tmp_path / "r18.pth"
    torch.save(ref, f)
    model = create_model("unet_resnet50_none_sod", encoder="resnet18", pretrained_file=str(f))
    got = model.core.encoder.model.state_dict()
    assert set(got) == {k for k in ref if not k.startswith("fc.")}
    for k, v in got.items():
        assert torch.equal(v, ref[k]), k  # the file's tensors, not a random start


def test_a_missing_pretrained_file_without_pretrained_is_refused(tmp_path):
    with pytest.raises(UserError) as exc:
        create_model("unet_resnet50_none_sod", encoder="resnet18", pretrained_file=str(tmp_path / "nope.pth"))
    assert str(exc.value).startswith(f"pretrained_file {tmp_path / 'nope.pth'}: no such file")


def test_running_out_of_memory_while_loading_is_not_blamed_on_the_file(tmp_path, monkeypatch):
    # review RR2: `except Exception` turned a MemoryError into "not loadable as the weights", telling the user a good
    # file was bad; it propagates as itself (the machine's limit, not the file's fault)
    import timm

    f = tmp_path / "w.safetensors"
    _write(f, b"any bytes: the load is interrupted before they are read")

    def oom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(timm, "create_model", oom)
    with pytest.raises(MemoryError):
        TimmEncoder("resnet18", pretrained_file=str(f))

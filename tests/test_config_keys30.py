"""Config keys the chosen setup does not use, and model/device/dataset checks, refused before any data is read,
in one line naming where each value came from (review R12)."""

from __future__ import annotations

import pytest
from cli_fakes import refusal, run_cli

from saliency import config as C

# a --data folder that is not there: a refusal naming the key (not the folder) shows the config was refused first
BASE = ["train", "--task", "sod", "--device", "cpu", "--quiet"]


def _train(capsys, tmp_path, *args):
    argv = BASE + ["--data", tmp_path / "no-such-data", "--out", tmp_path / "run", *args]
    return refusal(*run_cli(capsys, argv))


@pytest.mark.parametrize("args, expect", [
    (["--set", "data.val=VAL", "--set", "data.val_fraction=0.3"],
     ["--set data.val_fraction=0.3:", "--set data.val VAL", "leave data.val_fraction out"]),
    (["--set", "data.val=VAL", "--set", "data.split_seed=3"], ["--set data.split_seed=3:", "--set data.val VAL"]),
    (["--set", "data.fixation_top=0.05"], ["--set data.fixation_top=0.05:", "--task 'sod' does not use it"]),
    (["--set", "data.augment.crop_scale=[1,1]", "--set", "data.augment.crop_p=0.9"],
     ["--set data.augment.crop_p=0.9:", "--set data.augment.crop_scale=[1, 1] turns off"]),
    (["--set", "data.augment.rotate=0", "--set", "data.augment.rotate_p=0.9"],
     ["--set data.augment.rotate_p=0.9:", "--set data.augment.rotate=0"]),
    (["--set", "data.augment.color_jitter=0", "--set", "data.augment.color_p=0.9"],
     ["--set data.augment.color_p=0.9:", "--set data.augment.color_jitter=0"]),
])
def test_unused_keys_refused(capsys, tmp_path, monkeypatch, args, expect):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "VAL").mkdir()
    line = _train(capsys, tmp_path, *args)
    for part in expect:
        assert part in line, line
    assert "no-such-data" not in line


def test_unused_keys_from_a_file_name_it(capsys, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data:\n  augment:\n    rotate: 0\n    rotate_p: 0.9\n")
    line = _train(capsys, tmp_path, "--config", cfg)
    assert line.startswith(f"saliency train: error: {cfg}: data.augment.rotate_p=0.9:"), line


def test_defaults_unused_are_not_choices(tmp_path):
    """A config.yaml holding every default (as a run writes it) with a constant schedule, a data.val folder, the
    transforms off: the defaults of the keys they leave unused are no choice, and pass."""
    (tmp_path / "VAL").mkdir()
    cfg = C.default_config()
    cfg["sched"]["name"] = "constant"
    cfg["data"]["val"] = str(tmp_path / "VAL")
    cfg["data"]["augment"].update(crop_scale=[1.0, 1.0], rotate=0.0, color_jitter=0.0)
    f = tmp_path / "config.yaml"
    f.write_text(C.dump_yaml(cfg))
    out = C.build_config(str(f), {"task": "sod"})
    assert out["sched"]["min_lr"] == 0.00003 and out["data"]["val_fraction"] == 0.2


@pytest.mark.parametrize("args, expect", [
    (["--set", "pretrained=true"], "--set pretrained: unet_tiny_cbam_sod has the built-in encoder 'tiny'"),
    (["--pretrained"], "--pretrained: unet_tiny_cbam_sod has the built-in encoder 'tiny'"),
    (["--model", "unet_resnet50_cbam_sod", "--set", "pretrained=true", "--set", "pretrained_file=/nonexist.pth"],
     "--set pretrained_file /nonexist.pth: no such file"),
    (["--set", "model=c2f_tiny_cbam_sod", "--set", "data.size=[48,64]"],
     "--set data.size: [48, 64] is too small for c2f_tiny_cbam_sod"),
])
def test_model_checks_before_data(capsys, tmp_path, args, expect):
    line = _train(capsys, tmp_path, *args)
    assert line == f"saliency train: error: {expect}" + line[len("saliency train: error: ") + len(expect):], line
    assert "no-such-data" not in line


def test_device_from_set_named(capsys, tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    argv = ["train", "--task", "sod", "--set", "train.device=cuda", "--data", tmp_path / "x", "--out", tmp_path / "r"]
    line = refusal(*run_cli(capsys, argv))
    assert line.startswith("saliency train: error: --set train.device='cuda': CUDA is not available"), line


def test_device_flag_still_named(capsys, tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    argv = ["train", "--task", "sod", "--device", "cuda", "--data", tmp_path / "x", "--out", tmp_path / "r"]
    line = refusal(*run_cli(capsys, argv))
    assert line.startswith("saliency train: error: --device cuda: CUDA is not available"), line


@pytest.mark.parametrize("name, expect", [
    ("foo", "--dataset 'foo': is not a published dataset"),
    ("OSIE", "--dataset 'OSIE': OSIE is a fixation dataset but the task is sod (--task 'sod'); give --task fixation"),
])
def test_dataset_named_by_its_flag(capsys, tmp_path, name, expect):
    argv = ["train", "--task", "sod", "--dataset", name, "--root", tmp_path, "--out", tmp_path / "r"]
    line = refusal(*run_cli(capsys, argv))
    assert line.startswith(f"saliency train: error: {expect}"), line


@pytest.mark.parametrize("extra", [["--device", "cuda"], ["--set", "train.device=cuda:1"],
                                   ["--model", "unet_resnet50_cbam_sod", "--set", "pretrained=true",
                                    "--set", "pretrained_file=/cluster/w.safetensors"]])
def test_print_config_prints_a_config_for_another_machine(capsys, extra, monkeypatch):
    """``--print-config`` reads no data and prints configs for other machines (a cluster's folders print): a GPU
    device on this CPU machine (CUDA faked absent) and a weights file on the cluster printed before 3ace620 and print
    again; the same options still refuse a real run before any data is read (the tests above)."""
    import torch

    from saliency.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["train", "--print-config", *extra]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert ("cuda" in out) if "cuda" in " ".join(extra) else ("/cluster/w.safetensors" in out)

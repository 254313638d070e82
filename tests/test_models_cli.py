"""`saliency models` and `saliency export` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from saliency import models
from saliency.models.profile import count_params
from saliency.cli import main


def test_models_table(capsys, tmp_path):
    out = tmp_path / "t.json"
    rc = main(["models", "--filter", "unet_tiny_s*_sod", "--no-latency", "--format", "json", "--size", "64",
               "--out", str(out)])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in rows] == ["unet_tiny_scse_sod", "unet_tiny_se_sod", "unet_tiny_sk_sod",
                                          "unet_tiny_stn_sod", "unet_tiny_stnin_sod"]
    for r in rows:
        assert r["params_m"] == pytest.approx(count_params(models.create_model(r["model"])) / 1e6)
        assert r["task"] == "sod" and r["gmac"] > 0 and r["latency_ms"] is None
    assert json.loads(out.read_text()) == rows
    assert main(["models", "--filter", "zzz*"]) == 2
    assert "matches no model" in capsys.readouterr().err


def test_models_out_replaces_its_own_tables_only(capsys, tmp_path):
    """`--out notes.md` replaced a user's file with the table."""
    notes = tmp_path / "notes.md"
    notes.write_text("precious\n")
    base = ["models", "--filter", "unet_tiny_se_sod", "--no-latency", "--size", "64", "--quiet"]
    assert main([*base, "--out", str(notes)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists and is not a saliency models table" in err and "--overwrite" in err
    assert notes.read_text() == "precious\n"
    for fmt in ("markdown", "tsv", "json"):  # re-run into the same file: its own table is replaced
        out = tmp_path / f"t.{fmt}"
        assert main([*base, "--format", fmt, "--out", str(out)]) == 0
        assert main([*base, "--format", fmt, "--out", str(out)]) == 0
    names = ["models", "--filter", "unet_tiny_se_sod", "--quiet", "--names-only"]  # no table options (refused)
    assert main([*names, "--out", str(tmp_path / "n.txt")]) == 0
    assert main([*names, "--out", str(tmp_path / "n.txt")]) == 0
    assert main([*base, "--out", str(notes), "--overwrite"]) == 0
    assert notes.read_text().startswith("| model | task |")
    mine = tmp_path / "annotations.json"  # any JSON array begins with "[": not taken for a table by that alone
    mine.write_text('[\n  {"subject": 1, "notes": "my annotations"}\n]\n')
    assert main([*base, "--out", str(mine)]) == 2
    assert "annotations" in mine.read_text()


def test_export_checkpoint_and_errors(tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(3)
    m = models.create_model("unet_tiny_sk_fixation").eval()
    ckpt = tmp_path / "best.pt"
    torch.save(models.checkpoint_payload(m), ckpt)
    onnx_path = tmp_path / "m.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--onnx", str(onnx_path), "--size", "128x96"]) == 0
    printed = capsys.readouterr().out
    assert "max |diff|" in printed and "at 128x96 and 109x133" in printed  # WxH: 128 - 19 wide, 96 + 37 high
    x = np.random.default_rng(0).random((1, 3, 97, 131), dtype=np.float32)
    y = ort.InferenceSession(str(onnx_path)).run(None, {"image": x})[0]
    with torch.no_grad():
        np.testing.assert_allclose(y, m(torch.from_numpy(x)).numpy(), atol=1e-4)
    assert main(["export", "--model", "unet_tiny_se_sod", "--onnx", str(onnx_path)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", "--model", "nope", "--onnx", str(tmp_path / "n.onnx")]) == 2
    assert "unet_tiny_cbam_sod" in capsys.readouterr().err
    assert main(["export", "--checkpoint", str(tmp_path / "missing.pt"), "--onnx", str(tmp_path / "n.onnx")]) == 2
    assert not (tmp_path / "n.onnx").exists()


def test_an_export_interrupted_or_failing_its_check_keeps_the_old_file(tmp_path, capsys, monkeypatch):
    """The new file was renamed into place before onnxruntime checked it: Ctrl-C during the check (about a
    second) exited 130 with the old model already gone, and a failed check left the new file too."""
    pytest.importorskip("onnxruntime")
    from saliency.models import export as E

    out = tmp_path / "m.onnx"
    out.write_bytes(b"the old model")
    base = ["export", "--model", "unet_tiny_se_sod", "--onnx", str(out), "--size", "64", "--overwrite"]

    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(E, "check_onnx", interrupted)
    assert main(base) == 130
    assert out.read_bytes() == b"the old model" and sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]
    monkeypatch.setattr(E, "check_onnx", lambda *a, **kw: 1.0)  # far over the tolerance
    capsys.readouterr()
    assert main(base) == 2
    assert "not written: onnxruntime differs" in capsys.readouterr().err
    assert out.read_bytes() == b"the old model" and sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]

    def full(net, path, *a, **kw):  # the writer's own temporary file, as torch names it on a full disk
        import errno

        raise OSError(errno.ENOSPC, "No space left on device", f"{path}.x")

    monkeypatch.setattr(E, "export_onnx", full)
    capsys.readouterr()
    assert main(base) == 2
    err = capsys.readouterr().err
    assert f"{out}: no space left" in err.lower() and ".tmp" not in err, err


def test_rows_to_tsv_hand_worked():
    from saliency.models.profile import rows_to_tsv

    rows = [{"model": "a", "gmac": 1.23456, "latency_ms": None, "n": 3},
            {"model": "b", "gmac": 20.0, "latency_ms": 0.5, "n": 4}]
    assert rows_to_tsv(rows) == "model\tgmac\tlatency_ms\tn\na\t1.235\t\t3\nb\t20\t0.5\t4\n"
    assert rows_to_tsv([]) == ""


def test_export_checkpoint_library(tmp_path, capsys):
    """``export_checkpoint`` seeds an untrained model without touching torch's global RNG; errors name parameters."""
    from saliency.base.errors import UserError
    from saliency.models.export import export_checkpoint

    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(123)
    before = torch.get_rng_state()
    path = tmp_path / "se.onnx"
    res = export_checkpoint(path, model="unet_tiny_se_sod", height=64, width=96, seed=5)
    assert torch.equal(torch.get_rng_state(), before)  # global random state untouched
    assert res.path == path and res.name == "unet_tiny_se_sod" and res.task == "sod"
    assert res.check_sizes == ((64, 96), (101, 77)) and res.max_diff < 1e-3 and not res.ort_missing
    torch.manual_seed(5)  # what `saliency export --seed 5` always meant: these weights
    ref = models.create_model("unet_tiny_se_sod").eval()
    x = np.random.default_rng(1).random((1, 3, 64, 96), dtype=np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(ort.InferenceSession(str(path)).run(None, {"image": x})[0],
                                   ref(torch.from_numpy(x)).numpy(), atol=1e-4)
    with pytest.raises(UserError) as exc:
        export_checkpoint(path, model="unet_tiny_se_sod", check=False)
    assert str(exc.value) == f"onnx {path}: exists; pass overwrite to replace it"
    assert main(["export", "--model", "unet_tiny_se_sod", "--onnx", str(path)]) == 2
    assert capsys.readouterr().err == f"saliency export: error: --onnx {path}: exists; pass --overwrite to replace it\n"
    with pytest.raises(SystemExit) as exc:  # one message below and above the range, at parse time (review 23)
        main(["export", "--model", "unet_tiny_se_sod", "--onnx", str(tmp_path / "o.onnx"), "--opset", "15"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == ("saliency export: error: argument --opset: '15': must be between 16 and 20 "
                                       "(see 'saliency export --help')\n")
    assert main(["export", "--model", "unet_tiny_se_sod", "--onnx", str(tmp_path / "n.onnx"), "--no-check",
                 "--size", "64"]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'n.onnx'} (unet_tiny_se_sod, task sod, dynamic N/H/W)\n"

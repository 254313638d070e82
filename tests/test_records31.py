"""What the outputs record of the options that made them (options audit, F11).

1. crops.json did not record ``--scale`` nor the network ``--size`` of a ``--checkpoint``: runs with and without
   ``--scale 0.1`` wrote the same crops.json though the crops were 300x300 vs 30x30. Now the header holds ``scale``
   and ``size`` and each image's record ``out_size`` (oracle: the crop files' own sizes, read back with OpenCV,
   and the sizes worked by hand).
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from cli_fakes import run_cli


def _image_and_map(tmp_path, h=300, w=400):
    """imgs/a.png (w x h) and maps/a.png, saliency in a block so the 1:1 window is the full height."""
    imgs, maps = tmp_path / "imgs", tmp_path / "maps"
    imgs.mkdir()
    maps.mkdir()
    cv2.imwrite(str(imgs / "a.png"), np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8))
    sal = np.zeros((h, w), np.uint8)
    sal[100:200, 150:250] = 255
    cv2.imwrite(str(maps / "a.png"), sal)
    return imgs, maps


def _crops(folder):
    return json.loads((folder / "crops.json").read_text())


def test_crops_json_records_scale_and_each_crop_written_size(tmp_path, capsys):
    imgs, maps = _image_and_map(tmp_path)
    base = ["crop", "--images", imgs, "--maps", maps, "--aspect", "1:1", "--quiet"]
    assert run_cli(capsys, base + ["--out", tmp_path / "full"])[0] == 0
    assert run_cli(capsys, base + ["--scale", "0.1", "--out", tmp_path / "tenth"])[0] == 0
    assert run_cli(capsys, base + ["--scale", "64x64", "--out", tmp_path / "px"])[0] == 0
    full, tenth, px = _crops(tmp_path / "full"), _crops(tmp_path / "tenth"), _crops(tmp_path / "px")
    # the largest 1:1 window of 400x300 is 300x300; a tenth of it 30x30
    assert full["scale"] is None and tenth["scale"] == 0.1 and px["scale"] == [64, 64]
    assert full["size"] is None and tenth["size"] is None  # maps: no network ran
    for data, folder, want in ((full, "full", [300, 300]), (tenth, "tenth", [30, 30]), (px, "px", [64, 64])):
        box = data["boxes"]["a"]
        assert box["crop"]["w"] == 300 and box["crop"]["h"] == 300  # in the original's pixels, whatever scale
        written = cv2.imread(str(tmp_path / folder / "a.png"))
        assert box["out_size"] == want == [written.shape[1], written.shape[0]], folder
    assert full != tenth


def _sod_checkpoint(path, size_hw=(32, 48)):
    import torch

    from saliency import models
    from saliency.checkpoint import save

    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_sod").eval()
    save(path, {"config": m.config, "state_dict": m.state_dict(),
                "train_config": {"data": {"size": list(size_hw)}}})
    return path


def test_crops_json_records_the_network_size_of_a_checkpoint(tmp_path, capsys):
    imgs, _ = _image_and_map(tmp_path, 60, 80)
    ck = _sod_checkpoint(tmp_path / "sod.pt", (32, 48))  # trained at height 32, width 48
    base = ["crop", "--images", imgs, "--checkpoint", ck, "--aspect", "1:1", "--device", "cpu", "--quiet"]
    assert run_cli(capsys, base + ["--out", tmp_path / "trained"])[0] == 0
    assert run_cli(capsys, base + ["--size", "64x32", "--out", tmp_path / "given"])[0] == 0
    assert _crops(tmp_path / "trained")["size"] == [48, 32]  # [w, h], as --size WxH is typed
    assert _crops(tmp_path / "given")["size"] == [64, 32]
    assert _crops(tmp_path / "given")["boxes"]["a"]["out_size"] == [60, 60]


# ------------------------------------------------------------------ 2. saliency models: what a row was measured at
# json and tsv rows did not say which --size the GMACs and latency were measured at (markdown's header does:
# "GMAC @64x32"), nor the --threads and --runs of the latency.


def test_models_json_rows_name_the_size_threads_and_runs(tmp_path, capsys):
    argv = ["models", "--filter", "unet_tiny_none_sod", "--size", "64x32", "--quiet", "--format", "json"]
    rc, out, err = run_cli(capsys, argv + ["--runs", "2", "--threads", "1"])
    assert rc == 0, err
    (row,) = json.loads(out)
    assert (row["width"], row["height"], row["threads"], row["runs"]) == (64, 32, 1, 2)
    assert row["latency_ms"] > 0
    rc, out, err = run_cli(capsys, argv + ["--no-latency"])
    (row,) = json.loads(out)
    assert (row["width"], row["height"], row["latency_ms"]) == (64, 32, None)
    assert (row["threads"], row["runs"]) == (None, None)  # nothing was timed


@pytest.mark.parametrize("timed", [True, False])
def test_models_tsv_keeps_the_old_columns_in_their_places(capsys, timed):
    """Scripts read the TSV by position: the seven columns of before stay first, ``latency_ms`` the 7th, and the
    columns are the same whether latency is timed or not (review RR8: width/height went before latency_ms)."""
    argv = ["models", "--filter", "unet_tiny_none_sod", "--size", "48", "--quiet", "--format", "tsv"]
    rc, out, err = run_cli(capsys, argv + (["--runs", "1", "--threads", "1"] if timed else ["--no-latency"]))
    assert rc == 0, err
    head, row = out.splitlines()
    assert head.split("\t") == ["model", "task", "attention", "encoder", "params_m", "gmac", "latency_ms", "width",
                                "height", "threads", "runs"]
    cells = row.split("\t")
    assert (cells[6] != "") is timed and cells[7:9] == ["48", "48"]


def test_models_tsv_rows_name_the_size_threads_and_runs(capsys):
    rc, out, err = run_cli(capsys, ["models", "--filter", "unet_tiny_none_sod", "--size", "48", "--quiet",
                                    "--format", "tsv", "--runs", "1", "--threads", "1"])
    assert rc == 0, err
    head, row, *rest = out.splitlines()
    cells = dict(zip(head.split("\t"), row.split("\t")))
    assert not rest and (cells["width"], cells["height"], cells["threads"], cells["runs"]) == ("48", "48", "1", "1")


# ------------------------------------------------------------------ 3. report --gallery 0
# "--gallery 0 --images imgs --pred p0" wrote "No gallery was given." and read no --pred: now the section says the
# gallery was left out, and a --gt or --pred nothing reads (no gallery, no --dataset for NSS) is refused.
# Review of f3e81e3: --gallery 0 alone was refused ("needs --images"), --gt looped between "needs --images" and "not
# used", --images was accepted and did nothing: --gallery 0 needs no --images and refuses it as unused, in one line.


def _folders(tmp_path, *names):
    for n in names:
        (tmp_path / n).mkdir()
        cv2.imwrite(str(tmp_path / n / "a.png"), np.full((8, 8), 128, np.uint8))
    return [tmp_path / n for n in names]


def test_report_gallery_0_says_the_gallery_was_left_out(tmp_path, capsys):
    rc, out, err = run_cli(capsys, ["report", "--gallery", "0", "--out", tmp_path / "r"])
    assert rc == 0, err
    md = (tmp_path / "r" / "report.md").read_text()
    assert "Gallery left out (saliency report --gallery 0)." in md and "No gallery was given." not in md
    html = (tmp_path / "r" / "report.html").read_text()
    assert "<p>Gallery left out (saliency report --gallery 0).</p>" in html


def test_report_gallery_0_refuses_the_gallery_maps_it_would_not_read(tmp_path, capsys):
    from cli_fakes import refusal

    imgs, pred, gt = _folders(tmp_path, "imgs", "p0", "gt")
    base = ["report", "--gallery", "0", "--out", tmp_path / "r"]
    line = refusal(*run_cli(capsys, base + ["--pred", pred]))
    assert line == (f"saliency report: error: --pred {pred}: not used with --gallery 0 (no gallery rows, and no "
                    "--dataset for the per-image NSS); leave it out, or give --gallery a number of rows")
    line = refusal(*run_cli(capsys, base + ["--gt", gt, "--pred", pred]))
    assert line.startswith(f"saliency report: error: --gt {gt}, --pred {pred}: not used with --gallery 0 ")
    assert line.endswith("leave them out, or give --gallery a number of rows")
    line = refusal(*run_cli(capsys, base + ["--gt", gt]))  # was "--gt: the gallery also needs --images; give it"
    assert line == (f"saliency report: error: --gt {gt}: not used with --gallery 0 (no gallery rows); leave it out, "
                    "or give --gallery a number of rows")
    line = refusal(*run_cli(capsys, base + ["--images", imgs]))  # was accepted, and --images did nothing
    assert line == (f"saliency report: error: --images {imgs}: not used with --gallery 0 (no gallery rows); leave it "
                    "out, or give --gallery a number of rows")
    line = refusal(*run_cli(capsys, base + ["--images", imgs, "--gt", gt]))  # was "--gt: not used": a loop
    assert line == (f"saliency report: error: --images {imgs}, --gt {gt}: not used with --gallery 0 (no gallery "
                    "rows); leave them out, or give --gallery a number of rows")
    assert not (tmp_path / "r").exists()


def test_report_gallery_0_reads_pred_with_dataset_for_the_per_image_nss(tmp_path, capsys):
    """--gallery 0 --pred P --dataset D was refused ("--gallery 0 needs --images"; with --images, over a gallery
    mismatch): the per-image NSS reads --pred. Hand-worked NSS: map [[0, 0], [0, 255]] z-scored with ddof=1 (mean
    63.75, sd 127.5), fixation at (1, 1): (255 - 63.75) / 127.5 = 1.5."""
    ds, pred = tmp_path / "ds", tmp_path / "p"
    (ds / "fixations").mkdir(parents=True)
    pred.mkdir()
    (ds / "dataset.json").write_text(json.dumps({"counts": {"stimuli": 1, "subjects": 1, "fixations": 1}}))
    cv2.imwrite(str(ds / "fixations" / "a.png"), np.array([[0, 0], [0, 255]], np.uint8))
    cv2.imwrite(str(pred / "a.png"), np.array([[0, 0], [0, 255]], np.uint8))
    cv2.imwrite(str(pred / "zz.png"), np.zeros((2, 2), np.uint8))  # no image, no fixations: read by no gallery
    rc, out, err = run_cli(capsys, ["report", "--gallery", "0", "--pred", pred, "--dataset", ds,
                                    "--out", tmp_path / "r"])
    assert rc == 0, err
    md = (tmp_path / "r" / "report.md").read_text()
    assert "Gallery left out (saliency report --gallery 0)." in md
    assert "| mean | 1.500 |" in md, md
    # the section names what it read: there is no gallery's prediction here (review RR12)
    assert "NSS of the --pred prediction on each image with fixations" in md and "gallery's prediction" not in md

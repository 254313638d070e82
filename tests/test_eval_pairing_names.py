"""``saliency eval``: which prediction file scores which ground truth, and names that tables and curves must keep apart.

Oracles are hand-worked: a prediction that is the GT's inverse has MAE 1, an
exact one MAE 0; a GitHub-markdown row has one cell per ``|`` not escaped;
competition ranking (the "1224" of sports tables) of hand-picked values.
"""

from __future__ import annotations

import cv2
import numpy as np

from saliency.cli import main
from saliency.eval.runner import MethodResult
from saliency.eval.tables import markdown, ranks
from tests.test_reliability_inputs import one_line


def _mask(path, invert=False):
    g = np.zeros((20, 20), np.uint8)
    g[5:15, 5:15] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), 255 - g if invert else g)


def test_gt_without_prediction_is_not_paired_with_a_subfolder_file_another_gt_names(tmp_path, capsys):
    # GT x.png and sub/x.png; the predictions hold only sub/x.png (exact for sub/x). Before: GT x was scored
    # against pred/sub/x.png through its bare-stem alias (MAE 1.0) and no missing prediction was reported.
    _mask(tmp_path / "gt" / "x.png")
    _mask(tmp_path / "gt" / "sub" / "x.png", invert=True)
    _mask(tmp_path / "pred" / "sub" / "x.png", invert=True)
    args = ["eval", "--no-progress", "--task", "sod", "--gt", str(tmp_path / "gt"), "--metrics", "MAE",
            "--pred", f"M={tmp_path / 'pred'}"]
    line = one_line(capsys, 2, main(args))
    assert "1 of 2" in line and "(e.g. x)" in line
    assert main([*args, "--allow-missing", "--json", str(tmp_path / "r.json")]) == 0
    import json

    r = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert r["n_images"] == 1 and r["n_missing"] == 1 and r["metrics"]["MAE"] == 0.0


def test_flat_gt_still_finds_a_nested_prediction_by_its_unique_stem(tmp_path, capsys):
    _mask(tmp_path / "gt" / "x.png")
    _mask(tmp_path / "pred" / "run1" / "x.png")
    code = main(["eval", "--no-progress", "--task", "sod", "--gt", str(tmp_path / "gt"), "--metrics", "MAE",
                 "--pred", f"M={tmp_path / 'pred'}", "--json", str(tmp_path / "r.json")])
    assert code == 0, capsys.readouterr().err
    import json

    assert json.loads((tmp_path / "r.json").read_text())["results"][0]["metrics"]["MAE"] == 0.0


def test_two_datasets_of_one_name_are_refused_not_merged(tmp_path, capsys):
    _mask(tmp_path / "g1" / "x.png")
    _mask(tmp_path / "g2" / "x.png", invert=True)
    _mask(tmp_path / "p" / "x.png")
    cfg = tmp_path / "b.yaml"
    cfg.write_text("task: sod\ndatasets: {X: {gt: g1}}\nmethods: {M: p}\n")
    line = one_line(capsys, 2, main(["eval", "--no-progress", "--config", str(cfg), "--gt", str(tmp_path / "g2"),
                                     "--name", "X", "--metrics", "MAE"]))
    assert "X given twice" in line


def test_datasets_whose_curve_files_would_collide_are_refused_before_anything_is_written(tmp_path, capsys):
    for d in ("ga", "gb", "p"):
        _mask(tmp_path / d / "x.png")
    cfg = tmp_path / "b.yaml"
    cfg.write_text("task: sod\ndatasets: {'a b': {gt: ga}, 'a_b': {gt: gb}}\nmethods: {M: p}\n")
    plots = tmp_path / "plots"
    line = one_line(capsys, 2, main(["eval", "--no-progress", "--config", str(cfg), "--plot-dir", str(plots),
                                     "--json", str(tmp_path / "r.json")]))
    assert "a b and a_b" in line and "--plot-dir" in line
    assert not plots.exists() and not (tmp_path / "r.json").exists()


def _res(method, mae):
    return MethodResult(dataset="D", method=method, n_images=1, metrics={"MAE": mae})


def test_markdown_row_keeps_its_cells_when_a_method_name_holds_a_pipe():
    md = markdown([_res("A|B", 0.1), _res("C", 0.2)], ["MAE"])
    row = next(line for line in md.splitlines() if line.startswith("| A"))
    unescaped = row.replace("\\|", "")
    assert unescaped.count("|") == 3 and "A\\|B" in row  # | name | value |


def test_ranks_are_competition_ranks_so_ties_do_not_promote_the_next_method():
    rs = [_res("a", 0.042), _res("b", 0.042), _res("c", 0.043), _res("d", 0.200)]
    assert ranks(rs, "MAE", 3) == {"a": 0, "b": 0, "c": 2, "d": 3}


def test_osie_benchmark_split_folder_records_its_blur_so_eval_reads_it_back(tmp_path):
    # benchmarks/osie.py writes W/data/{train,test} as a `saliency ingest`-style folder; its dataset.json held
    # only sigma.px, which `saliency eval --gt` does not read (sigma 0: --metric-maps used the unblurred density)
    import sys
    from pathlib import Path

    from saliency.eval import datasets as D

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from osie import write_split_folder

    stim = tmp_path / "stimuli"
    stim.mkdir()
    items = []
    for key in ("1001", "1002"):
        cv2.imwrite(str(stim / f"{key}.jpg"), np.zeros((60, 80, 3), np.uint8))
        items.append(D.GTItem(key=key, points=((10, 20), (30, 40)), size=(60, 80), subjects=(((10, 20),), ((30, 40),)),
                              sigma_px=D.OSIE_SIGMA_PX))
    ds = D.GTDataset("OSIE", "fixation", items, layout="OSIE", sigma_px=D.OSIE_SIGMA_PX)
    write_split_folder(ds, stim, tmp_path / "test")
    back = D.fixation_folder(tmp_path / "test", "t")
    assert back.sigma_px == D.OSIE_SIGMA_PX and back.blur is None  # None: the default (OSIE's own) construction


def test_hidden_staging_folders_a_killed_command_left_are_not_read_as_images(tmp_path):
    # a SIGKILLed `crop --out photos/thumbs` leaves photos/.thumbs.XXXX.partial/; predict --images photos then
    # predicted the half-made thumbnails, and eval paired them by bare name
    from saliency.eval.io import index_folder

    _mask(tmp_path / "photos" / "2023" / "a.png")
    _mask(tmp_path / "photos" / ".thumbs.f0c6pm48.partial" / "s0001.png")
    _mask(tmp_path / "photos" / ".preds.old-x1y2" / "b.png")
    assert sorted(index_folder(tmp_path / "photos")) == ["2023/a", "a"]

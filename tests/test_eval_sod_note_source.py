"""The SOD ground truth's left-out-files note names the folder, not an option the user did not give (review 27).

Oracle: hand-worked. With `--dataset ECSSD --root R` the masks folder R/ECSSD/ground_truth_mask was introduced as
"--gt R/ECSSD/ground_truth_mask:", naming --gt, which the run never took.
"""
import cv2
import numpy as np

from cli_fakes import run_cli


def test_dataset_root_run_names_the_masks_folder_without_gt(tmp_path, capsys):
    base = tmp_path / "data" / "ECSSD"
    img, gt, pred = base / "images", base / "ground_truth_mask", tmp_path / "pred"
    for d in (img, gt, pred):
        d.mkdir(parents=True)
    m = np.zeros((20, 30), np.uint8)
    m[5:10, 5:15] = 255
    for i in range(2):
        assert cv2.imwrite(str(img / f"{i}.jpg"), np.dstack([m] * 3))
        assert cv2.imwrite(str(gt / f"{i}.png"), m) and cv2.imwrite(str(pred / f"{i}.png"), m)
    (gt / "readme.txt").write_text("notes")
    rc, out, err = run_cli(capsys, ["eval", "--dataset", "ECSSD", "--root", tmp_path / "data",
                                    "--pred", f"m={pred}", "--metrics", "MAE", "--no-progress"])
    assert rc == 0, err
    note = [ln for ln in out.splitlines() if "readme.txt" in ln]
    assert len(note) == 1 and "--gt" not in note[0], out
    assert note[0].startswith(f"- ECSSD: {gt}: 1 file(s) left out: not an image extension (.txt; e.g. readme.txt)")


def test_a_gt_folder_named_as_its_dataset_is_not_named_twice(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gt, pred = tmp_path / "gtm", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    m = np.zeros((20, 30), np.uint8)
    m[5:10, 5:15] = 255
    assert cv2.imwrite(str(gt / "0.png"), m) and cv2.imwrite(str(pred / "0.png"), m)
    (gt / "readme.txt").write_text("notes")
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", "gtm", "--pred", f"m={pred}", "--metrics", "MAE",
                                    "--no-progress"])
    assert rc == 0, err
    assert "- gtm: 1 file(s) left out: not an image extension (.txt; e.g. readme.txt)" in out, out

"""Review 28 of ``saliency eval --task sod`` names and pixel refusals: a prediction whose name differs from its mask's
only in case is named (never matched), the missing-prediction line reads "N of M images in FOLDER", and a 16-bit
mask or prediction is refused with what to do.

Oracles: exit codes, exact one-line messages written by hand, and JSON counts and entries with hand-known names.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli


def _mask(value=255, dtype=np.uint8) -> np.ndarray:
    m = np.zeros((20, 24), dtype)
    m[5:15, 6:18] = value
    return m


def _folders(tmp_path, gt_names, pred_names):
    """tmp_path/masks holding ``gt_names`` and tmp_path/preds holding ``pred_names`` (stems; .png, 20x24)."""
    gt, preds = tmp_path / "masks", tmp_path / "preds"
    gt.mkdir()
    preds.mkdir()
    for n in gt_names:
        (gt / f"{n}.png").parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(gt / f"{n}.png"), _mask())
    for n in pred_names:
        (preds / f"{n}.png").parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(preds / f"{n}.png"), _mask(200))
    if len({p.name for p in preds.rglob("*.png")}) != len(set(pred_names)):
        pytest.skip("this file system does not tell names apart by case")
    return gt, preds


def _eval(capsys, gt, preds, *more):
    return run_cli(capsys, ["eval", "--quiet", "--task", "sod", "--gt", gt, "--pred", f"M={preds}",
                            "--metrics", "MAE", *more])


def test_a_prediction_differing_only_in_case_is_named_not_advised_away(tmp_path, capsys):
    """Was: "1 of 2 masks images have no prediction (e.g. Img); pass --allow-missing ..." - advice that drops
    an image whose prediction is there, under a name that differs only in case."""
    gt, preds = _folders(tmp_path, ["Img", "ok"], ["img", "ok"])
    line = refusal(*_eval(capsys, gt, preds))
    assert line == (f"saliency eval: error: --pred M={preds}: 1 of 2 images in masks have no prediction (e.g. Img); "
                    "Img: found img.png, which differs only in case; rename it to match")


def test_case_twin_beside_a_truly_missing_image_keeps_the_allow_missing_advice(tmp_path, capsys):
    gt, preds = _folders(tmp_path, ["Img", "b", "ok"], ["sub/img", "ok"])
    line = refusal(*_eval(capsys, gt, preds))
    assert line == (f"saliency eval: error: --pred M={preds}: 2 of 3 images in masks have no prediction (e.g. Img, b); "
                    "Img: found sub/img.png, which differs only in case; rename it to match; pass --allow-missing "
                    "to evaluate the intersection")


def test_a_truly_missing_image_is_said_in_plain_words(tmp_path, capsys):
    """Was "1 of 3 masks images" (the folder name used as an adjective)."""
    gt, preds = _folders(tmp_path, ["a", "b", "ok"], ["a", "ok"])
    line = refusal(*_eval(capsys, gt, preds))
    assert line == (f"saliency eval: error: --pred M={preds}: 1 of 3 images in masks have no prediction (e.g. b); "
                    "pass --allow-missing to evaluate the intersection")


def test_allow_missing_names_the_case_twin_in_the_json_and_does_not_match_it(tmp_path, capsys):
    gt, preds = _folders(tmp_path, ["Img", "ok"], ["img", "ok"])
    out_json = tmp_path / "r.json"
    rc, out, err = _eval(capsys, gt, preds, "--allow-missing", "--json", out_json)
    assert (rc, err) == (0, ""), err
    (r,) = json.loads(out_json.read_text())["results"]
    assert (r["n_images"], r["n_missing"], r["n_skipped"]) == (1, 1, 0)  # counted as before: not paired by case
    assert r["skipped_images"] == [{"image": "Img", "reason": "no prediction; found img.png, which differs only "
                                                              "in case; rename it to match"}]
    assert r["extra_predictions"] == ["img.png"]


def test_allow_missing_with_only_case_twins_names_them(tmp_path, capsys):
    gt, preds = _folders(tmp_path, ["Img"], ["img"])
    line = refusal(*_eval(capsys, gt, preds, "--allow-missing"))
    assert line == (f"saliency eval: error: --pred M={preds}: no file matches a ground-truth stem of masks (e.g. Img); "
                    "predictions must be named <stem>.png; Img: found img.png, which differs only in case; rename "
                    "it to match")


def test_two_files_differing_only_in_case_are_each_paired_exactly(tmp_path, capsys):
    """Both names exist: each mask takes its own file, and no case hint is given."""
    gt, preds = _folders(tmp_path, ["Img", "img"], ["Img", "img"])
    out_json = tmp_path / "r.json"
    rc, out, err = _eval(capsys, gt, preds, "--json", out_json)
    assert (rc, err) == (0, ""), err
    (r,) = json.loads(out_json.read_text())["results"]
    assert (r["n_images"], r["n_missing"], r["skipped_images"], r["extra_predictions"]) == (2, 0, [], [])


def test_a_16_bit_mask_is_refused_with_what_to_do(tmp_path, capsys):
    gt, preds = _folders(tmp_path, ["ok"], ["ok"])
    assert cv2.imwrite(str(gt / "ok.png"), _mask(65535, np.uint16))
    line = refusal(*_eval(capsys, gt, preds))
    assert line == (f"saliency eval: error: {gt / 'ok.png'}: ground truth is uint16; an 8-bit image is expected: "
                    "save it as an 8-bit PNG (masks 0/255)")


def test_a_16_bit_prediction_is_refused_with_what_to_do(tmp_path, capsys):
    gt, preds = _folders(tmp_path, ["ok"], ["ok"])
    assert cv2.imwrite(str(preds / "ok.png"), _mask(65535, np.uint16))
    line = refusal(*_eval(capsys, gt, preds))
    assert line == (f"saliency eval: error: {preds / 'ok.png'}: prediction is uint16; SOD predictions must be 8-bit "
                    "grey images: save it as an 8-bit grey PNG (0-255)")

"""Review stop 26: a 0/1 SOD mask saved as JPEG is refused in one line, as the lossless one is.

Found in review: a 0/1 mask written as JPEG (quality 95) decodes to values 0..2; the lossless check
(``max() == 1``, lossless formats only) let it through and eval scored it as an all-background mask:
Fmax 0.000, wF 0.000, AUC n/a, exit 0. Oracle: the decoded values (OpenCV) and the one-line convention.
"""

from __future__ import annotations

import cv2
import numpy as np

from cli_fakes import refusal, run_cli


def test_a_lossy_01_mask_is_refused_and_a_0_255_one_scores(tmp_path, capsys):
    m = np.zeros((40, 50), np.uint8)
    m[10:30, 12:40] = 1
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    cv2.imwrite(str(tmp_path / "gt" / "a.jpg"), m, [cv2.IMWRITE_JPEG_QUALITY, 95])
    cv2.imwrite(str(tmp_path / "pred" / "a.png"), m * 200)
    top = int(cv2.imread(str(tmp_path / "gt" / "a.jpg"), cv2.IMREAD_GRAYSCALE).max())
    assert 1 <= top <= 8  # the case: JPEG ringing of a 0/1 mask
    line = refusal(*run_cli(capsys, ["eval", "--task", "sod", "--pred", f"M={tmp_path / 'pred'}",
                                     "--gt", tmp_path / "gt"]))
    assert line == (f"saliency eval: error: {tmp_path / 'gt' / 'a.jpg'}: its values are 0 to {top} (a 0/1 mask saved "
                    "lossy?); SOD masks are 0/255 (binarised at > 128), so every pixel would be background: save it "
                    "as 0/255, preferably as PNG")
    cv2.imwrite(str(tmp_path / "gt" / "a.jpg"), m * 255, [cv2.IMWRITE_JPEG_QUALITY, 95])  # the right scale
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--pred", f"M={tmp_path / 'pred'}",
                                    "--gt", tmp_path / "gt", "--metrics", "MAE"])
    assert rc == 0, err


def test_an_empty_mask_saved_as_jpeg_is_kept_as_empty(tmp_path, capsys):
    """Review: an empty mask saved as JPEG decodes to one value of 1-3 at many qualities (OpenCV, quality 70: 1);
    the lossy 0/1 check refused it. Constant, it is an empty mask (PySODMetrics scores it so)."""
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    box = np.zeros((40, 50), np.uint8)
    box[10:30, 12:40] = 255
    cv2.imwrite(str(tmp_path / "gt" / "a.jpg"), np.zeros((40, 50), np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 70])
    cv2.imwrite(str(tmp_path / "gt" / "b.jpg"), box, [cv2.IMWRITE_JPEG_QUALITY, 70])
    for n in "ab":
        cv2.imwrite(str(tmp_path / "pred" / f"{n}.png"), box // 2)
    got = cv2.imread(str(tmp_path / "gt" / "a.jpg"), cv2.IMREAD_GRAYSCALE)
    assert got.min() == got.max() and 1 <= got.max() <= 3  # the case
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--pred", f"M={tmp_path / 'pred'}",
                                    "--gt", tmp_path / "gt", "--metrics", "MAE", "--json", tmp_path / "r.json"])
    assert rc == 0, err
    import json

    assert json.loads((tmp_path / "r.json").read_text())["results"][0]["n_images"] == 2  # both scored

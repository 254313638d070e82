"""``saliency report``'s per-image NSS reads the fixation maps ``saliency eval`` reads, and says which it does not.

Its fixation folder took .png .jpg .jpeg .bmp .mat only, while eval reads an
ingest folder's ``fixations/`` with every image extension (.tif, .webp, ...)
and leaves .mat out: with 3 of 6 maps as .tif the report showed 3 images and
another mean, unsaid; with all 6 as .tif it failed ("no image files").
The oracle is NSS by hand (z-score with ddof=1, mean at the fixated pixels;
predictions of the fixation maps' size, so nothing is resized) and eval's own
NSS and note.
"""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest
import scipy.io

from cli_fakes import run_cli
from saliency.base.images import IMAGE_EXTS

NAMES = [f"s000{i}" for i in range(1, 7)]
LEFT_OUT_TAIL = "accepted: " + " ".join(IMAGE_EXTS)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A 6-scene study ingested once (synth + ingest), and one random prediction per scene of its size."""
    from saliency.cli import main

    root = tmp_path_factory.mktemp("study")
    assert main(["synth", "--out", str(root / "S"), "--scenes", "6", "--subjects", "3", "--size", "64x48",
                 "--seed", "3", "--quiet"]) == 0
    s = root / "S"
    assert main(["ingest", str(s / "logs" / "samples.csv"), "--stimuli", str(s / "stimuli"), "--geometry",
                 str(s / "screen.json"), "--out", str(root / "ds"), "--quiet"]) == 0
    rng = np.random.default_rng(0)
    (root / "pred").mkdir()
    for n in NAMES:
        fix = cv2.imread(str(root / "ds" / "fixations" / f"{n}.png"), cv2.IMREAD_GRAYSCALE)
        assert fix is not None and (fix > 0).any()
        cv2.imwrite(str(root / "pred" / f"{n}.png"), rng.integers(0, 256, fix.shape, dtype=np.uint8))
    return root


def _nss_by_hand(root, names) -> dict:
    out = {}
    for n in names:
        p = cv2.imread(str(root / "pred" / f"{n}.png"), cv2.IMREAD_GRAYSCALE).astype(np.float64)
        fix = cv2.imread(str(root / "ds" / "fixations" / f"{n}.png"), cv2.IMREAD_GRAYSCALE) > 0
        out[n] = float(((p - p.mean()) / p.std(ddof=1))[fix].mean())
    return out


def _copy(study, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(study / "ds", tmp_path / "ds")
    shutil.copytree(study / "pred", tmp_path / "pred")
    return tmp_path / "ds" / "fixations"


def _as(fix_dir, name, ext):
    """Rewrite fixations/<name>.png as <name><ext> (same pixels; .mat: a 'fixationPts' array eval could read)."""
    src = fix_dir / f"{name}.png"
    m = cv2.imread(str(src), cv2.IMREAD_GRAYSCALE)
    if ext == ".mat":
        scipy.io.savemat(str(fix_dir / f"{name}.mat"), {"fixationPts": (m > 0).astype(np.uint8)})
    else:
        assert cv2.imwrite(str(fix_dir / f"{name}{ext}"), m)
    src.unlink()


def _eval(capsys):
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", "ds", "--pred", "pred", "--metrics", "NSS",
                                    "--json", "eval.json", "--quiet"])
    assert rc == 0, err
    return json.loads(open("eval.json").read())


def _report(capsys):
    rc, out, err = run_cli(capsys, ["report", "--pred", "pred", "--dataset", "ds", "--out", "rep"])
    assert rc == 0 and "Traceback" not in err, (out, err)
    md = open("rep/report.md", encoding="utf-8").read()
    return md.split("## Per-image NSS", 1)[1].split("## Gallery", 1)[0] if "## Per-image NSS" in md else ""


@pytest.mark.parametrize("n_tif", [3, 6])
def test_tif_fixation_maps_are_in_the_per_image_nss_as_in_eval(study, tmp_path, monkeypatch, capsys, n_tif):
    """3 (then all 6) of 6 fixation maps as .tif: the report's NSS counts 6 images, with eval's mean."""
    fix_dir = _copy(study, tmp_path, monkeypatch)
    hand = _nss_by_hand(tmp_path, NAMES)
    for n in NAMES[:n_tif]:
        _as(fix_dir, n, ".tif")
    mean = float(np.mean(list(hand.values())))
    ev = _eval(capsys)["results"][0]
    assert ev["n_images"] == 6 and ev["metrics"]["NSS"] == pytest.approx(mean, abs=1e-9)
    section = _report(capsys)
    assert "| images | 6 |" in section and f"| mean | {mean:.3f} |" in section
    assert "left out" not in section


def test_files_eval_does_not_read_are_left_out_and_named_as_eval_names_them(study, tmp_path, monkeypatch,
                                                                          capsys):
    """fixations/ with s0006 as .mat only and a stray .gif: neither is scored (eval reads image extensions
    there, not .mat), the mean is over the 5 others, and the report's note is eval's line."""
    fix_dir = _copy(study, tmp_path, monkeypatch)
    hand = _nss_by_hand(tmp_path, NAMES[:5])
    _as(fix_dir, "s0006", ".mat")
    shutil.copy(fix_dir / "s0002.png", fix_dir / "s0002.gif")
    mean = float(np.mean(list(hand.values())))
    doc = _eval(capsys)
    assert doc["results"][0]["metrics"]["NSS"] == pytest.approx(mean, abs=1e-9)
    line = f"{fix_dir.relative_to(tmp_path)}: 2 file(s) left out: not an image extension (.gif, .mat; e.g. " \
           f"s0002.gif); {LEFT_OUT_TAIL}"
    assert f"ds: {line}" in doc["notes"]  # eval's wording, named by its dataset
    section = _report(capsys)
    assert "| images | 5 |" in section and f"| mean | {mean:.3f} |" in section
    assert f"- {line}" in section


def test_fixations_only_as_mat_give_no_nss_and_say_why(study, tmp_path, monkeypatch, capsys):
    """Every fixation map as .mat: eval scores no NSS (n/a); the report shows none either (it scored the .mat
    files), and names the files left out."""
    fix_dir = _copy(study, tmp_path, monkeypatch)
    for n in NAMES:
        _as(fix_dir, n, ".mat")
    assert _eval(capsys)["results"][0]["metrics"]["NSS"] is None
    section = _report(capsys)
    assert "| images |" not in section
    assert "No image has both a prediction and a fixation map that saliency eval reads." in section
    assert f"- ds/fixations: 6 file(s) left out: not an image extension (.mat; e.g. s0001.mat); {LEFT_OUT_TAIL}" \
        in section

"""``saliency eval --task fixation`` on an ingest folder whose human maps have no one sigma (``--display stretch``:
8.205 x 10.93 px): the note says so, and says that CC/KLD/SIM metric maps use the unblurred density only when
``--metric-maps`` scores them (it said so with the JSON's ``metric_maps`` false; review R7, ev_s06.json)."""

from __future__ import annotations

import json

import cv2
import numpy as np
from cli_fakes import run_cli

AXES = "gt: the blur of its human maps differs between the axes (dataset.json: 1.5 x 2 px)"
UNBLURRED = "CC/KLD/SIM metric maps use the unblurred density"


def _ingest_like(root, sigmas=((1.5, 2.0),)):
    """fixations/ + maps/ + dataset.json as ``saliency ingest --out`` writes them (one sigma pair per size)."""
    (root / "fixations").mkdir(parents=True)
    (root / "maps").mkdir()
    fix = np.zeros((8, 10), np.uint8)
    fix[2, 3] = fix[5, 7] = 255
    for i in range(2):
        cv2.imwrite(str(root / "fixations" / f"im{i}.png"), fix)
        cv2.imwrite(str(root / "maps" / f"im{i}.png"), cv2.GaussianBlur(fix, (0, 0), 1.5, sigmaY=2.0))
    sizes = {f"{10 + k}x8": list(s) for k, s in enumerate(sigmas)}
    (root / "dataset.json").write_text(json.dumps({"sigma": {"px_by_stimulus_size": sizes}}))
    return root


def _notes(tmp_path, capsys, gt, *flags):
    pred = tmp_path / "pred"
    if not pred.exists():
        pred.mkdir()
        for i in range(2):
            cv2.imwrite(str(pred / f"im{i}.png"), np.full((8, 10), 128, np.uint8))
    out_json = tmp_path / f"ev{len(flags)}.json"
    rc, out, err = run_cli(capsys, ["eval", "--no-progress", "--task", "fixation", "--pred", f"P={pred}", "--gt", gt,
                                    "--metrics", "CC,NSS", "--json", out_json, *flags])
    assert rc == 0 and "Traceback" not in err, (rc, err)
    doc = json.loads(out_json.read_text())
    assert doc["metric_maps"] is bool(flags)
    return doc["notes"], out


def test_without_metric_maps_the_note_keeps_the_axes_and_drops_the_metric_maps_clause(tmp_path, capsys):
    notes, out = _notes(tmp_path, capsys, _ingest_like(tmp_path / "gt"))
    assert AXES in notes and f"- {AXES}" in out  # true whatever is scored: the human maps were built so
    assert not [n for n in notes + out.splitlines() if "metric maps" in n or "unblurred" in n], notes


def test_with_metric_maps_the_note_says_they_use_the_unblurred_density(tmp_path, capsys):
    notes, out = _notes(tmp_path, capsys, _ingest_like(tmp_path / "gt"), "--metric-maps")
    assert AXES in notes
    said = [n for n in notes if UNBLURRED in n]
    assert len(said) == 1 and said[0].startswith("gt: "), notes
    assert not [n for n in notes if "not known" in n], notes  # the blur is known, just not one sigma


def test_sigmas_differing_between_sizes_are_said_alike(tmp_path, capsys):
    gt = _ingest_like(tmp_path / "gt", sigmas=((1.5, 1.5), (2.0, 2.0)))
    sizes = "gt: the blur of its human maps differs between stimulus sizes (dataset.json: 2 sigmas)"
    notes, _ = _notes(tmp_path, capsys, gt)
    assert sizes in notes and not [n for n in notes if "unblurred" in n], notes
    notes, _ = _notes(tmp_path, capsys, gt, "--metric-maps")
    assert sizes in notes and len([n for n in notes if UNBLURRED in n]) == 1, notes


def test_an_unknown_blur_is_still_said_with_metric_maps_only(tmp_path, capsys):
    gt = _ingest_like(tmp_path / "gt")
    (gt / "dataset.json").unlink()
    notes, _ = _notes(tmp_path, capsys, gt)
    assert not [n for n in notes if "blur" in n], notes
    notes, _ = _notes(tmp_path, capsys, gt, "--metric-maps")
    assert "gt: the blur of its human maps is not known; CC/KLD/SIM maps are the unblurred density" in notes, notes

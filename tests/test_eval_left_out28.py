"""Review 28 (R19): what eval leaves out of an OSIE run is said by its reason and named.

- the gold standard's reason for an image whose observers have no fixations was
  "fewer than two observers" (it had 15), and the note called every such image
  "unreadable or refused": the reason now says "with fixations", and the note
  counts these apart from the unreadable;
- an image without fixations was counted in a method's ``n_images`` and left out
  of every metric without being named: the JSON now lists it in
  ``left_out_images`` (reason "no fixations") and the note names it;
- ``--center-bias`` refused as read by no score forgot ``--gold-standard``,
  which reads it (and then is accepted).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io
from PIL import Image

from cli_fakes import refusal, run_cli

H, W = 30, 40
# per image, per observer: its fixations as (x, y), 1-based as OSIE writes them
OBSERVERS = {
    "1001": [[(5.0, 5.0), (30.0, 20.0)], [(32.0, 21.0)], [(10.0, 12.0), (20.0, 25.0)]],
    "1002": [[(12.0, 8.0), (25.0, 15.0)]],  # one observer: no other to score against
    "1003": [[], [], []],                  # three observers, none with a fixation
    "1004": [[(8.0, 22.0)], [(35.0, 6.0), (18.0, 18.0)]],
}


def _osie(root):
    """An OSIE-layout folder (eye/fixations.mat in OSIE's cell-of-structs layout, stimuli/*.jpg) of OBSERVERS."""
    (root / "eye").mkdir(parents=True)
    (root / "stimuli").mkdir()
    ent = np.zeros(len(OBSERVERS), dtype=[("img", "O"), ("subjects", "O")])
    for i, (stem, obs) in enumerate(OBSERVERS.items()):
        Image.fromarray(np.full((H, W, 3), 128, np.uint8)).save(root / "stimuli" / f"{stem}.jpg")
        subs = np.zeros(len(obs), dtype=[("fix_x", "O"), ("fix_y", "O"), ("fix_duration", "O")])
        for j, pts in enumerate(obs):
            xy = np.array(pts, dtype=np.float64).reshape(-1, 2)
            subs[j] = (xy[:, 0].reshape(1, -1), xy[:, 1].reshape(1, -1), np.full((1, len(xy)), 200.0))
        ent[i] = (f"{stem}.jpg", subs)
    scipy.io.savemat(root / "eye" / "fixations.mat", {"fixations": ent})
    return root


def _preds(folder, stems):
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        a = np.random.default_rng(int(stem)).integers(0, 256, (H, W)).astype(np.uint8)
        Image.fromarray(a).save(folder / f"{stem}.png")
    return folder


def _eval(capsys, tmp_path, root, *extra):
    out = tmp_path / "r.json"
    if out.exists():
        out.unlink()
    rc, text, err = run_cli(capsys, ["eval", "--dataset", "OSIE", "--root", root, "--quiet", "--json", out,
                                     "--metrics", "NSS,CC", *extra])
    assert rc == 0, err
    return text, json.loads(out.read_text())["results"]


def test_gold_standard_says_why_an_image_is_left_out(tmp_path, capsys):
    root = _osie(tmp_path / "osie")
    text, res = _eval(capsys, tmp_path, root, "--gold-standard")
    (gs,) = res
    # 1001 and 1004 have two observers or more with fixations; 1002 one observer, 1003 three without fixations
    assert gs["n_images"] == 2 and gs["n_skipped"] == 2
    assert gs["skipped_images"] == [
        {"image": "1002", "reason": "1002: fewer than two observers with fixations"},
        {"image": "1003", "reason": "1003: fewer than two observers with fixations"}]
    assert "- gold standard: 2 images, 2 with fewer than two observers with fixations left out\n" in text, text
    assert "unreadable" not in text


def test_an_image_without_fixations_is_named_and_the_means_kept(tmp_path, capsys):
    root = _osie(tmp_path / "osie")
    pr = _preds(tmp_path / "pr", OBSERVERS)
    text, (r,) = _eval(capsys, tmp_path, root, "--pred", f"M={pr}")
    assert r["n_images"] == 4 and r["excluded"] == {"NSS": 1, "CC": 1} and r["skipped_images"] == []
    assert r["left_out_images"] == [{"image": "1003", "reason": "no fixations"}]
    assert ("- M: 4 images, 1 image without fixations left out of every metric (1003), "
            "NSS left out on 1 image(s), CC left out on 1 image(s)\n") in text, text
    # the means are those of the three images with fixations: as a run that has no prediction for 1003 gives
    pr3 = _preds(tmp_path / "pr3", [s for s in OBSERVERS if s != "1003"])
    text3, (r3,) = _eval(capsys, tmp_path, root, "--pred", f"M={pr3}", "--allow-missing")
    assert r3["n_images"] == 3 and r3["left_out_images"] == [] and "without fixations" not in text3
    assert r["metrics"] == pytest.approx(r3["metrics"], abs=1e-12)
    assert all(np.isfinite(v) for v in r["metrics"].values())


def test_center_bias_refusal_names_the_gold_standard_that_reads_it(tmp_path, capsys):
    root = _osie(tmp_path / "osie")
    cb = tmp_path / "cb.png"
    Image.fromarray(np.full((H, W), 128, np.uint8)).save(cb)
    pr = _preds(tmp_path / "pr", OBSERVERS)
    args = ["eval", "--dataset", "OSIE", "--root", root, "--quiet", "--metrics", "NSS,CC", "--pred", f"M={pr}",
            "--center-bias", cb]
    line = refusal(*run_cli(capsys, args))
    assert line == (f"saliency eval: error: --center-bias {cb}: not used: no metric of this run reads the IG "
                    "baseline (only IG does, sAUC with --metric-maps and the --gold-standard row); leave it out")
    # what the message offers is taken: with --gold-standard the same run reads the map
    rc, out, err = run_cli(capsys, [*args, "--gold-standard"])
    assert rc == 0 and f"IG baseline = centre bias from {cb}" in out, (rc, err)


def test_report_notes_say_the_same_as_eval(tmp_path, capsys):
    """saliency report rebuilds eval's note from its JSON: the gold standard's reason and the images without
    fixations are said there as eval says them (it said '2 unreadable or refused skipped' and named nothing)."""
    from saliency.report import count_notes

    root = _osie(tmp_path / "osie")
    pr = _preds(tmp_path / "pr", OBSERVERS)
    out = tmp_path / "both.json"
    rc, text, err = run_cli(capsys, ["eval", "--dataset", "OSIE", "--root", root, "--quiet", "--json", out,
                                     "--metrics", "NSS,CC", "--gold-standard", "--pred", f"M={pr}"])
    assert rc == 0, err
    notes = count_notes(json.loads(out.read_text()))
    gold = [n for n in notes if "gold standard" in n]
    assert len(gold) == 1 and gold[0].endswith(": 2 images, 2 with fewer than two observers with fixations left out")
    m = [n for n in notes if n.split(": ", 1)[0].endswith("/ M")]
    assert len(m) == 1 and "1 image without fixations left out of every metric (1003)" in m[0], notes
    for line in notes:  # the same words as eval's own notes under its table
        assert f"- {line.split(' / ', 1)[1]}\n" in text, (line, text)

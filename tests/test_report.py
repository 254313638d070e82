"""Reports (saliency.report, saliency report): every section present, pictures embedded, tables right."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from saliency.report import metric_table


def _run(*args):
    return subprocess.run([sys.executable, "-m", "saliency", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    study, ds = tmp / "study", tmp / "ds"
    assert _run("synth", "--out", str(study), "--scenes", "3", "--subjects", "3", "--size", "160x120",
                "--quiet").returncode == 0
    r = _run("ingest", str(study / "logs" / "samples.csv"), "--stimuli", str(study / "stimuli"), "--geometry",
             str(study / "screen.json"), "--out", str(ds))
    assert r.returncode == 0, r.stderr
    run = tmp / "run"
    run.mkdir()
    (run / "metrics.csv").write_text("epoch,train_loss,val_loss,val_MAE,val_Fmax\n1,0.6,0.5,0.2,0.5\n"
                                     "2,0.4,0.35,0.1,0.8\n3,0.3,0.3,0.05,0.9\n")
    ev = {"task": "sod", "version": "0.1.0", "results": [
        {"dataset": "synthetic", "method": "a", "n_images": 3, "metrics": {"MAE": 0.05, "Fmax": 0.91}},
        {"dataset": "synthetic", "method": "b", "n_images": 3, "metrics": {"MAE": 0.08, "Fmax": 0.95}}]}
    (tmp / "eval.json").write_text(json.dumps(ev))
    plots = tmp / "plots"
    plots.mkdir()
    cv2.imwrite(str(plots / "synthetic_pr.png"), np.full((50, 80, 3), 200, np.uint8))
    pred = tmp / "pred"
    pred.mkdir()
    for p in (study / "masks").iterdir():  # a "prediction": the blurred mask
        cv2.imwrite(str(pred / p.name), cv2.GaussianBlur(cv2.imread(str(p), 0), (9, 9), 3))
    return dict(tmp=tmp, study=study, ds=ds, run=run, eval=tmp / "eval.json", plots=plots, pred=pred)


def test_metric_table_bold_best_with_direction():
    header, rows = metric_table({"results": [
        {"dataset": "d", "method": "a", "n_images": 1, "metrics": {"MAE": 0.1, "Fmax": 0.9, "KLD": 1.0}},
        {"dataset": "d", "method": "b", "n_images": 1, "metrics": {"MAE": 0.2, "Fmax": 0.95, "KLD": 0.5}}]})
    assert header == ["dataset", "method", "images", "MAE", "Fmax", "KLD"]
    assert rows[0][3] == "**0.100**" and rows[1][3] == "0.200"  # lower MAE is better
    assert rows[1][4] == "**0.950**" and rows[1][5] == "**0.500**"


def test_report_command_writes_every_section(inputs):
    out = inputs["tmp"] / "out"
    r = _run("report", str(inputs["run"]), "--eval", str(inputs["eval"]), "--plots", str(inputs["plots"]),
             "--dataset", str(inputs["ds"]), "--images", str(inputs["study"] / "stimuli"), "--pred",
             str(inputs["pred"]), "--gt", str(inputs["study"] / "masks"), "--out", str(out), "--title", "T")
    assert r.returncode == 0, r.stderr
    page = (out / "report.html").read_text()
    for anchor in ("study", "training", "metrics", "curves", "per-image-nss", "gallery"):
        assert f'id="{anchor}"' in page
    assert "<b>0.050</b>" in page and "<b>0.950</b>" in page
    assert "inter-observer" in page and "subjects" in page
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(uris) == 1 + 1 + 1 + 3  # training curves, one curve, the NSS histogram, three gallery rows
    for u in uris:
        img = cv2.imdecode(np.frombuffer(base64.b64decode(u), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.size > 0
    assert "src=\"assets" not in page  # self-contained
    md = (out / "report.md").read_text()
    for link in re.findall(r"\]\((assets/[^)]+)\)", md):
        assert (out / link).is_file()
    gallery = cv2.imread(str(out / "assets" / "gallery_s0001.png"))
    assert gallery.shape[1] == 4 * 256 + 3 * 4  # image | gt | prediction | fixations


def test_report_bad_input_one_line(inputs, tmp_path):
    r = _run("report", str(inputs["run"]), "--eval", str(tmp_path / "nope.json"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "nope.json" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_report_renders_in_headless_chromium(inputs, tmp_path):
    out = tmp_path / "r"
    assert _run("report", str(inputs["run"]), "--eval", str(inputs["eval"]), "--dataset", str(inputs["ds"]),
                "--images", str(inputs["study"] / "stimuli"), "--pred", str(inputs["pred"]),
                "--out", str(out)).returncode == 0
    shot = tmp_path / "shot.png"
    r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,3000",
                        f"--screenshot={shot}", (out / "report.html").as_uri()],
                       capture_output=True, text=True, timeout=120)
    img = cv2.imread(str(shot))
    assert img is not None, r.stderr[-500:]
    # a rendered page is not blank: text, tables and pictures make many distinct colours
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 500


def test_gallery_items_match_by_stem(tmp_path):
    """``saliency.report.gallery_items``: images with a prediction, by name, with the dataset's maps attached."""
    from saliency.report import gallery_items

    for folder, names in (("img", "abc"), ("pred", "ac"), ("gt", "abc"), ("ds/maps", "c"), ("ds/fixations", "a")):
        (tmp_path / folder).mkdir(parents=True)
        for n in names:
            cv2.imwrite(str(tmp_path / folder / f"{n}.png"), np.zeros((4, 4), np.uint8))
    rows = gallery_items(tmp_path / "img", tmp_path / "pred", tmp_path / "gt", tmp_path / "ds")
    assert [r.name for r in rows] == ["a", "c"]
    assert rows[0].pred == tmp_path / "pred" / "a.png" and rows[0].gt == tmp_path / "gt" / "a.png"
    assert rows[0].fix_map is None and rows[0].fix_points == tmp_path / "ds" / "fixations" / "a.png"
    assert rows[1].fix_map == tmp_path / "ds" / "maps" / "c.png" and rows[1].fix_points is None
    assert [r.name for r in gallery_items(tmp_path / "img", limit=2)] == ["a", "b"]  # no predictions: every image
    # --gallery 0 is no gallery, not "no file matches" (review, stop 18)
    assert gallery_items(tmp_path / "img", tmp_path / "pred", limit=0) == []


def test_metric_table_ranks_as_eval_does():
    """Review (stop 18): the gold standard took the bold (eval no longer ranks it), and values equal as printed
    (0.83144, 0.83124 -> 0.831) got one bold, not two as in eval's own table."""
    header, rows = metric_table({"results": [
        {"dataset": "d", "method": "gold standard", "n_images": 1, "metrics": {"CC": 0.95, "KLD": 0.1}},
        {"dataset": "d", "method": "a", "n_images": 1, "metrics": {"CC": 0.83144, "KLD": 0.9}},
        {"dataset": "d", "method": "b", "n_images": 1, "metrics": {"CC": 0.83124, "KLD": 0.5}},
        {"dataset": "e", "method": "a", "n_images": 1, "metrics": {"CC": 0.2, "KLD": 0.5}}]})
    assert rows[0][3:] == ["0.950", "0.100"]  # the ceiling: shown, never ranked
    assert rows[1][3] == "**0.831**" and rows[2][3] == "**0.831**" and rows[2][4] == "**0.500**"
    assert rows[1][4] == "0.900" and rows[3][3:] == ["0.200", "0.500"]  # one method in its dataset: no bold


def test_report_pred_without_images_is_refused(tmp_path, capsys):
    from saliency.cli import main

    (tmp_path / "p").mkdir()
    rc = main(["report", "--pred", str(tmp_path / "p"), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 2 and "--pred" in err and "--images" in err and err.count("\n") == 1


def test_per_image_nss_against_hand_worked_values(tmp_path):
    """``per_image_nss``: NSS by hand (z-score with ddof=1, mean at fixated pixels) on tiny maps."""
    from saliency.report import per_image_nss

    (tmp_path / "pred").mkdir()
    (tmp_path / "ds" / "fixations").mkdir(parents=True)
    # a: map [[0, 255], [0, 0]] (mean 63.75, sample sd 127.5), fixation on the 255 -> (255 - 63.75) / 127.5 = 1.5
    cv2.imwrite(str(tmp_path / "pred" / "a.png"), np.array([[0, 255], [0, 0]], np.uint8))
    cv2.imwrite(str(tmp_path / "ds" / "fixations" / "a.png"), np.array([[0, 255], [0, 0]], np.uint8))
    # b: the same map, fixation on a 0 -> -63.75 / 127.5 = -0.5; c: no fixation -> left out; d: no prediction
    cv2.imwrite(str(tmp_path / "pred" / "b.png"), np.array([[0, 255], [0, 0]], np.uint8))
    cv2.imwrite(str(tmp_path / "ds" / "fixations" / "b.png"), np.array([[0, 0], [255, 0]], np.uint8))
    cv2.imwrite(str(tmp_path / "pred" / "c.png"), np.array([[0, 255], [0, 0]], np.uint8))
    cv2.imwrite(str(tmp_path / "ds" / "fixations" / "c.png"), np.zeros((2, 2), np.uint8))
    cv2.imwrite(str(tmp_path / "ds" / "fixations" / "d.png"), np.array([[0, 255], [0, 0]], np.uint8))
    got = per_image_nss(tmp_path / "pred", tmp_path / "ds")
    assert list(got) == ["a", "b"]
    assert got["a"] == pytest.approx(1.5, abs=1e-12) and got["b"] == pytest.approx(-0.5, abs=1e-12)


def test_osie_style_table_shows_the_spread_over_seeds(tmp_path):
    """A benchmarks/osie.py results file: mean ± std per cell (the gold standard shown, not ranked: one model
    left, no bold); a bad std is refused."""
    from saliency.base.errors import UserError
    from saliency.report import read_eval_json

    doc = {"task": "fixation", "results": [
        {"dataset": "OSIE (test)", "method": "gold standard", "n_images": 200, "metrics": {"NSS": 2.5, "KLD": 0.6},
         "std": {"NSS": None, "KLD": None}},
        {"dataset": "OSIE (test)", "method": "unet_tiny_cbam", "n_images": 200, "metrics": {"NSS": 1.75, "KLD": 0.9},
         "std": {"NSS": 0.0125, "KLD": 0.05}}]}
    path = tmp_path / "osie_results.json"
    path.write_text(json.dumps(doc))
    header, rows = metric_table(read_eval_json(path))
    assert header == ["dataset", "method", "images", "NSS", "KLD"]
    assert rows[0][3] == "2.500" and rows[1][3] == "1.750 ± 0.013" and rows[1][4] == "0.900 ± 0.050"
    doc["results"][1]["std"]["NSS"] = "wide"
    path.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=r"results\[1\]\.std\.NSS is 'wide', not a number"):
        read_eval_json(path)


def test_a_nan_prediction_in_the_gallery_is_one_line(tmp_path, capsys):
    """A .npy prediction holding NaN was drawn black; eval and crop refuse it, and so does the report now."""
    import cv2

    from saliency.cli import main

    (tmp_path / "img").mkdir()
    (tmp_path / "pred").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "a.png"), np.full((24, 32, 3), 90, np.uint8))
    m = np.ones((24, 32), np.float32)
    m[3, 4] = np.nan
    np.save(tmp_path / "pred" / "a.npy", m)
    rc = main(["report", "--images", str(tmp_path / "img"), "--pred", str(tmp_path / "pred"),
               "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 2 and "a.npy" in err and "NaN" in err and err.count("\n") == 1


# ------------------------------------------------ the output folder: only our own report is replaced, and whole


def _tree(path) -> dict:
    """{relative name: bytes, or None for a folder} of everything under ``path``, hidden entries included."""
    return {p.relative_to(path).as_posix(): (None if p.is_dir() else p.read_bytes()) for p in sorted(path.rglob("*"))}


def _gallery_args(inputs, pred=None, n=3):
    return [str(inputs["run"]), "--images", str(inputs["study"] / "stimuli"), "--pred", str(pred or inputs["pred"]),
            "--gallery", str(n)]


def _corrupt_pred(inputs, folder):
    """A copy of the predictions with s0001 changed (its gallery row differs) and s0002 truncated (unreadable)."""
    shutil.copytree(inputs["pred"], folder)
    cv2.imwrite(str(folder / "s0001.png"), 255 - cv2.imread(str(inputs["pred"] / "s0001.png"), 0))
    (folder / "s0002.png").write_bytes((inputs["pred"] / "s0002.png").read_bytes()[:100])
    return folder


@pytest.mark.parametrize("mine", ["report.md", "assets/gallery_s0001.png"])
def test_report_refuses_to_replace_what_it_did_not_write_unless_overwrite(inputs, tmp_path, capsys, mine):
    """A user's notes/report.md (or notes/assets/...) was silently replaced; now refused, unless --overwrite."""
    from saliency.cli import main

    out = tmp_path / "notes"
    (out / "assets").mkdir(parents=True)
    if mine == "report.md":
        (out / mine).write_text("# my notes\n")
    else:
        (out / mine).write_bytes((inputs["study"] / "stimuli" / "s0001.png").read_bytes())
    before = _tree(out)
    rc = main(["report", *_gallery_args(inputs), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert mine.split("/")[0] in err and "--overwrite" in err and "--out" in err
    assert _tree(out) == before  # byte-identical, no staging folder
    assert main(["report", *_gallery_args(inputs), "--out", str(out), "--overwrite"]) == 0
    assert (out / "report.md").read_text().splitlines()[1] == "# Saliency report"
    assert (out / mine).read_bytes() != before[mine]  # replaced
    assert sorted(p.name for p in out.iterdir()) == ["assets", "report.html", "report.md"]


def test_report_rerun_into_its_own_folder_replaces_the_whole_report(inputs, tmp_path, capsys):
    """Its own earlier report is recognised (no --overwrite needed) and replaced whole: no stale pictures."""
    from saliency.cli import main

    out = tmp_path / "r"
    assert main(["report", *_gallery_args(inputs, n=3), "--out", str(out), "--title", "OLD"]) == 0
    assert main(["report", *_gallery_args(inputs, n=1), "--out", str(out), "--title", "NEW"]) == 0
    assert "# NEW" in (out / "report.md").read_text() and "<title>NEW</title>" in (out / "report.html").read_text()
    assert sorted(p.name for p in (out / "assets").glob("gallery_*")) == ["gallery_s0001.png"]  # none of OLD's
    assert sorted(p.name for p in out.iterdir()) == ["assets", "report.html", "report.md"]
    from saliency.report import ASSETS_MARK, HTML_MARK, MD_MARK

    assert (out / "report.md").read_text().splitlines()[0] == MD_MARK and HTML_MARK in (out / "report.html").read_text()
    assert (out / "assets" / ASSETS_MARK).is_file()


def test_report_error_midway_leaves_the_old_report_whole(inputs, tmp_path, capsys):
    """A corrupt prediction (the second gallery row) failed the report after the first row was replaced."""
    from saliency.cli import main

    out = tmp_path / "r"
    assert main(["report", *_gallery_args(inputs), "--out", str(out), "--title", "OLD"]) == 0
    before = _tree(out)
    capsys.readouterr()
    rc = main(["report", *_gallery_args(inputs, _corrupt_pred(inputs, tmp_path / "bad")), "--out", str(out),
               "--title", "NEW"])
    err = capsys.readouterr().err
    assert rc == 2 and "s0002.png" in err and err.count("\n") == 1, err
    assert _tree(out) == before  # the old report byte for byte, and no staging folder inside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "r"]


def test_report_interrupted_midway_leaves_the_old_report_whole(inputs, tmp_path, capsys, monkeypatch):
    """Ctrl-C during the gallery left the old report.md with the new model's pictures."""
    import saliency.report as report
    from saliency.cli import main

    out = tmp_path / "r"
    assert main(["report", *_gallery_args(inputs), "--out", str(out), "--title", "OLD"]) == 0
    before = _tree(out)
    real, calls = report._save_png, []

    def save_png(path, rgb):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(path, 255 - rgb)  # another model's pictures

    monkeypatch.setattr(report, "_save_png", save_png)
    assert main(["report", *_gallery_args(inputs), "--out", str(out), "--title", "NEW"]) == 130
    assert len(calls) == 3
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    fresh = tmp_path / "fresh"  # a new folder: nothing at all is left
    calls.clear()
    assert main(["report", *_gallery_args(inputs), "--out", str(fresh)]) == 130
    assert not fresh.exists()


def test_report_into_a_run_folder_touches_nothing_else(inputs, tmp_path, capsys):
    """The default output is the first RUN: its checkpoints stay; a failed report leaves the run as it was."""
    from saliency.cli import main

    run = tmp_path / "run"
    shutil.copytree(inputs["run"], run)
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "best.pt").write_bytes(b"weights")
    (run / "config.yaml").write_text("model: x\n")
    pristine = _tree(run)
    args = [str(run), "--images", str(inputs["study"] / "stimuli"), "--gallery", "3"]
    rc = main(["report", *args, "--pred", str(_corrupt_pred(inputs, tmp_path / "bad"))])
    assert rc == 2 and _tree(run) == pristine  # no assets/ with a few pictures left in the run
    assert main(["report", *args, "--pred", str(inputs["pred"])]) == 0
    now = _tree(run)
    assert {k: v for k, v in now.items() if not k.startswith(("report.", "assets"))} == pristine
    assert {"report.md", "report.html", "assets", "assets/gallery_s0003.png"} <= set(now)
    assert main(["report", *args, "--pred", str(inputs["pred"]), "--title", "again"]) == 0
    assert {k: v for k, v in _tree(run).items() if not k.startswith(("report.", "assets"))} == pristine


def test_a_report_written_before_the_marks_is_still_its_own(inputs, tmp_path, capsys):
    """Reports from before the marks (the same version number) were refused as "not written by saliency
    report" when re-run into a run folder, the documented default. Their exact head and style sheet, as the
    earlier build() wrote them (commit 077640d), identify them; a user's page of the same names does not."""
    from saliency.cli import main

    out = tmp_path / "old"
    (out / "assets").mkdir(parents=True)
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
             "text-align:right}th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}"
             "img{max-width:100%}figure{margin:1em 0}figcaption{color:#666;font-size:0.9em}")
    (out / "report.html").write_text(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Old'
                                     f"</title><style>{style}</style></head><body><h1>Old</h1></body></html>\n")
    (out / "report.md").write_text("# Old\n\n")
    (out / "assets" / "gallery_s0009.png").write_bytes((inputs["study"] / "stimuli" / "s0001.png").read_bytes())
    assert main(["report", *_gallery_args(inputs), "--out", str(out)]) == 0
    assert (out / "report.md").read_text().splitlines()[1] == "# Saliency report"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.html").write_text("<!DOCTYPE html><html><head><title>my page</title></head></html>\n")
    assert main(["report", *_gallery_args(inputs), "--out", str(mine)]) == 2
    assert "report.html: exists and was not written by saliency report" in capsys.readouterr().err

"""Names that differ only in case are one name on macOS and Windows file systems (review 31, F13).

A lab shares its datasets across systems; on a file system that ignores case the second of ``Img.png`` and
``img.png`` written replaces the first, and a map is lost in silence. Refused, both files named:

1. ingest: stimuli whose stems are equal ignoring case (after NFC), as stimuli of one stem are.
2. the folders of predict (``--images``: its maps are named by key) and eval (``--pred``, ``--gt``): files whose
   keys are equal ignoring case; matching a mask to its prediction is still by the exact key.
3. ``eval --plot-dir``: datasets whose curve files' names are equal ignoring case (``ECSSD`` and ``ecssd``).

Oracles: the messages whole, written out by hand; the folders the reviewer's runs produced (two maps whose names
differ only in case) told apart from what a user expects (no output at all).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from cli_fakes import refusal, run_cli


def _image(path: Path, w: int = 40, h: int = 30) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 128, np.uint8)).save(path)


# ---------------------------------------------------------------- 1. ingest: stimuli of one stem ignoring case

def _ingest(capsys, tmp_path: Path, stimuli: list[str], named: list[str]):
    for n in stimuli:
        _image(tmp_path / "stim" / n)
    fix = tmp_path / "fix.csv"
    fix.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                   + "".join(f"s1,{n},10,10,{250 * i},200\n" for i, n in enumerate(named)))
    return run_cli(capsys, ["ingest", fix, "--stimuli", tmp_path / "stim", "--out", tmp_path / "o", "--quiet",
                            "--detector", "tracker", "--coords", "stimulus", "--sigma-px", "1"])


def _case_line(tmp_path: Path, names: str, name: str) -> str:
    return (f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: {names} have stems that differ only in case, "
            f"and the logs name {name!r}; maps are named by stem, and a file system that ignores case (macOS, "
            f"Windows) keeps one map of the two: rename one of the files")


def test_stimuli_whose_stems_differ_in_case_and_extension_are_refused(tmp_path, capsys):
    # the reviewer's T12: Img.png and img.jpg, each named exactly by its rows; before, maps/Img.png and maps/img.png
    line = refusal(*_ingest(capsys, tmp_path, ["Img.png", "img.jpg", "cat.png"], ["Img.png", "img.jpg", "cat"]))
    assert line == _case_line(tmp_path, "Img.png and img.jpg", "Img.png")
    assert not (tmp_path / "o").exists()


def test_stimuli_whose_names_differ_only_in_case_are_refused_even_when_named_exactly(tmp_path, capsys):
    line = refusal(*_ingest(capsys, tmp_path, ["Img.png", "img.png"], ["img"]))
    assert line == _case_line(tmp_path, "Img.png and img.png", "img")
    assert not (tmp_path / "o").exists()


def test_case_twins_are_compared_after_nfc(tmp_path, capsys):
    nfd = unicodedata.normalize("NFD", "Café.png")  # as macOS writes it; the log's name is composed
    line = refusal(*_ingest(capsys, tmp_path, [nfd, "café.jpg"], ["café"]))
    assert line.startswith(f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: ")
    assert "have stems that differ only in case" in line and line.endswith("rename one of the files")
    assert not (tmp_path / "o").exists()


def test_a_folder_with_case_twins_still_ingests_rows_that_name_neither(tmp_path, capsys):
    # as for a.jpg and a.png: the refusal is of a name that finds them, not of the folder
    rc, out, err = _ingest(capsys, tmp_path, ["Img.png", "img.jpg", "cat.png"], ["cat", "cat.png"])
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "o" / "fixations.csv")["stimulus"].tolist() == ["cat", "cat"]
    assert sorted(p.name for p in (tmp_path / "o" / "maps").iterdir()) == ["cat.png"]


def test_exact_stem_twins_keep_their_own_message(tmp_path, capsys):
    line = refusal(*_ingest(capsys, tmp_path, ["a.jpg", "a.png"], ["a"]))
    assert line == (f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: a.jpg and a.png share the stem 'a', and "
                    f"the logs name 'a'; maps and tables are named by stem, so keep one of the files in the folder")


# ---------------------------------------------------------------- 2. predict/eval folders: keys alike but for case

def _masks(folder: Path, names) -> None:
    for n in names:
        folder.joinpath(n).parent.mkdir(parents=True, exist_ok=True)
        g = np.zeros((20, 20), np.uint8)
        g[5:15, 5:15] = 255
        Image.fromarray(g).save(folder / n)


def _index_line(param: str, folder: Path, a: str, b: str, cmd: str = "eval") -> str:
    return (f"saliency {cmd} error: --{param} {folder}: {a} and {b} have names that differ only in case, which a "
            f"file system that ignores case (macOS, Windows) holds as one file; rename one of them")


def test_predict_refuses_images_whose_names_differ_only_in_case(tmp_path, capsys):
    # before: maps Img.png and img.png written side by side, one map on macOS
    images = tmp_path / "im"
    for n in ("Img.png", "img.jpg", "ok.png"):
        _image(images / n)
    line = refusal(*run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images,
                                     "--out", tmp_path / "o", "--quiet"]))
    assert line == _index_line("images", images, "Img.png", "img.jpg", "predict:")
    assert not (tmp_path / "o").exists()


def _eval(capsys, gt: Path, pred: Path, *more):
    return run_cli(capsys, ["eval", "--quiet", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--metrics", "MAE",
                            *more])


def test_eval_refuses_predictions_whose_names_differ_only_in_case(tmp_path, capsys):
    _masks(tmp_path / "gt", ["Img.png", "ok.png"])
    _masks(tmp_path / "p", ["Img.png", "img.png", "ok.png"])  # before: Img scored, img an extra prediction
    line = refusal(*_eval(capsys, tmp_path / "gt", tmp_path / "p"))
    assert line == _index_line("pred", f"M={tmp_path / 'p'}", "Img.png", "img.png", "eval:")


def test_eval_refuses_masks_in_folders_whose_names_differ_only_in_case(tmp_path, capsys):
    _masks(tmp_path / "gt", ["A/x.png", "a/x.png"])  # on macOS one folder, one x.png
    _masks(tmp_path / "p", ["A/x.png", "a/x.png"])
    line = refusal(*_eval(capsys, tmp_path / "gt", tmp_path / "p"))
    assert line == _index_line("gt", tmp_path / "gt", "A/x.png", "a/x.png", "eval:")


def test_eval_matching_is_still_by_the_exact_name(tmp_path, capsys):
    import json

    # one file per name ignoring case: Cat.png is no prediction of the mask cat (as before), and a flat mask X
    # still finds sub/X.png by its bare stem
    _masks(tmp_path / "gt", ["cat.png", "X.png", "ok.png"])
    _masks(tmp_path / "p", ["Cat.png", "sub/X.png", "ok.png"])
    out = tmp_path / "r.json"
    rc, _, err = _eval(capsys, tmp_path / "gt", tmp_path / "p", "--allow-missing", "--json", out)
    assert rc == 0, err
    (r,) = json.loads(out.read_text())["results"]
    assert (r["n_images"], r["n_missing"], r["metrics"]["MAE"]) == (2, 1, 0.0)
    assert [s["image"] for s in r["skipped_images"]] == ["cat"]


# ---------------------------------------------------------------- 3. eval --plot-dir: curve files alike but for case

def _bench(tmp_path: Path, names: tuple[str, str]) -> Path:
    for d in ("g1", "g2", "p"):
        _masks(tmp_path / d, ["x.png"])
    cfg = tmp_path / "bench.yaml"
    cfg.write_text(f"task: sod\ndatasets: {{'{names[0]}': {{gt: g1}}, '{names[1]}': {{gt: g2}}}}\nmethods: {{M: p}}\n")
    return cfg


def test_plot_dir_refuses_datasets_whose_curve_files_differ_only_in_case(tmp_path, capsys):
    # the reviewer's T4: ECSSD and ecssd wrote ECSSD_pr.png and ecssd_pr.png, one file on macOS
    cfg = _bench(tmp_path, ("ECSSD", "ecssd"))
    plots, out = tmp_path / "curves", tmp_path / "r.json"
    line = refusal(*run_cli(capsys, ["eval", "--quiet", "--config", cfg, "--plot-dir", plots, "--json", out]))
    assert line == ("saliency eval: error: --plot-dir: datasets ECSSD and ecssd would write the same curve files "
                    "(ECSSD_pr.png and ecssd_pr.png): names that differ only in case are one file on a file system "
                    "that ignores case, as macOS's and Windows'; rename one")
    assert not plots.exists() and not out.exists()


def test_plot_dir_compares_curve_names_ignoring_case_after_their_characters_are_replaced(tmp_path, capsys):
    cfg = _bench(tmp_path, ("Sal set", "sal_SET"))  # curve stems Sal_set and sal_SET
    line = refusal(*run_cli(capsys, ["eval", "--quiet", "--config", cfg, "--plot-dir", tmp_path / "c"]))
    assert "datasets Sal set and sal_SET would write the same curve files (Sal_set_pr.png and sal_SET_pr.png)" in line
    cfg = _bench(tmp_path, ("a b", "a_b"))  # an exact clash is said as before: one file name
    line = refusal(*run_cli(capsys, ["eval", "--quiet", "--config", cfg, "--plot-dir", tmp_path / "c"]))
    assert line == ("saliency eval: error: --plot-dir: datasets a b and a_b would write the same curve files "
                    "(a_b_pr.png); rename one")

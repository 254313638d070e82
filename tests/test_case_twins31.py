"""Names that differ only in case are one name on macOS and Windows file systems (review 31, F13; narrowed, F18).

A lab shares its datasets across systems; on a file system that ignores case the second of ``Img.png`` and
``img.png`` written replaces the first, and a map is lost in silence. The danger is an output collision the toolkit
makes: ``Img.png`` and ``img.jpg`` are two files on macOS, their maps ``Img.png`` and ``img.png`` one. Files whose
whole names differ only in case (``Dog.png`` and ``DOG.png``, ``A/x.png`` and ``a/x.png``) coexist only where case
counts, and outputs that mirror them lose nothing more: accepted, as before (exact match wins). Refused, both named:

1. ingest: a named stimulus whose stem equals another's ignoring case (after NFC) while their names differ beyond
   case; stimuli of one stem keep their own message.
2. the folder of predict (``--images``: maps named by key; among the images ``--list`` keeps): files whose keys
   are equal ignoring case while their names differ beyond it. crop keeps each input's file name: it accepts
   them. eval (``--pred``, ``--gt``) writes nothing per key: it accepts them all, matching by the exact key.
3. ``eval --plot-dir``: datasets whose curve files' names are equal ignoring case (``ECSSD`` and ``ecssd``).

Oracles: the messages whole, written out by hand; the folders the reviewer's runs produced (two maps whose names
differ only in case) told apart from what a user expects (no output at all).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
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


def test_stimuli_whose_names_differ_only_in_case_are_accepted_when_named_exactly(tmp_path, capsys):
    # two files only where case counts: their maps mirror them (as test_ingest_unordered25 decided)
    for n, w in (("Img.png", 40), ("img.png", 24)):
        _image(tmp_path / "stim" / n, w, 30)
    fix = tmp_path / "fix.csv"
    fix.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\ns1,img,10,10,0,200\ns1,Img.png,12,12,250,200\n")
    rc, _, err = run_cli(capsys, ["ingest", fix, "--stimuli", tmp_path / "stim", "--out", tmp_path / "o",
                                  "--quiet", "--detector", "tracker", "--coords", "stimulus", "--sigma-px", "1"])
    assert rc == 0, err
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert sorted(zip(fix["stimulus"], fix["x"])) == [("Img", 12), ("img", 10)]  # each row its own file
    maps = tmp_path / "o" / "maps"
    assert sorted(p.name for p in maps.iterdir()) == ["Img.png", "img.png"]
    for n, w in (("Img.png", 40), ("img.png", 24)):  # each map has its own image's size
        with Image.open(maps / n) as im:
            assert im.size == (w, 30)


def test_three_files_one_stem_ignoring_case_are_refused_when_one_name_differs_beyond_case(tmp_path, capsys):
    # Img.png and img.png mirror each other, but img.jpg's map img.png is Img.png's on macOS
    line = refusal(*_ingest(capsys, tmp_path, ["Img.png", "img.png", "img.jpg"], ["Img"]))
    assert line == _case_line(tmp_path, "Img.png and img.jpg and img.png", "Img")
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


# ---------------------------------------------------------------- 2. predict/crop folders refuse, eval accepts

def _masks(folder: Path, names) -> None:
    for n in names:
        folder.joinpath(n).parent.mkdir(parents=True, exist_ok=True)
        g = np.zeros((20, 20), np.uint8)
        g[5:15, 5:15] = 255
        Image.fromarray(g).save(folder / n)


def _index_line(folder: Path, a: str, b: str, cmd: str) -> str:
    return (f"saliency {cmd}: error: --images {folder}: {a} and {b} have names that differ only in case once the "
            f"extension is dropped; outputs are named so, and a file system that ignores case (macOS, Windows) "
            f"holds their two outputs as one file; rename one of them")


def _predict(capsys, images: Path, out: Path):
    return run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--out", out, "--quiet"])


def _crop(capsys, images: Path, out: Path):
    maps = images.parent / "maps"  # a flat map per image: the crop is the centred largest 1:1 window
    for p in images.rglob("*.*"):
        with Image.open(p) as im:
            w, h = im.size
        q = (maps / p.relative_to(images)).with_suffix(".npy")
        q.parent.mkdir(parents=True, exist_ok=True)
        np.save(q, np.ones((h, w)))
    return run_cli(capsys, ["crop", "--images", images, "--maps", maps, "--aspect", "1:1", "--out", out, "--quiet"])


def test_predict_refuses_images_whose_stems_differ_only_in_case(tmp_path, capsys):
    # before: maps Img.png and img.png written side by side, one map on macOS (where Img.png and img.jpg are two)
    images = tmp_path / "im"
    for n in ("Img.png", "img.jpg", "ok.png"):
        _image(images / n)
    line = refusal(*_predict(capsys, images, tmp_path / "o"))
    assert line == _index_line(images, "Img.png", "img.jpg", "predict")
    assert not (tmp_path / "o").exists()


def test_crop_accepts_images_whose_stems_differ_only_in_case(tmp_path, capsys):
    # review RR12: crops keep each input's own file name (A/x.png and a/x.jpg stay two files on macOS), so crop
    # does not refuse them as predict does (its maps are named by key)
    images = tmp_path / "im"
    _image(images / "A" / "x.png", 40, 30)
    _image(images / "a" / "x.jpg", 24, 16)
    rc, _, err = _crop(capsys, images, tmp_path / "o")
    assert rc == 0, err
    for n, side in (("A/x.png", 30), ("a/x.jpg", 16)):  # the largest square of each image, its own
        with Image.open(tmp_path / "o" / n) as im:
            assert im.size == (side, side)


@pytest.mark.parametrize("listed", ["cat", "Img"])
def test_predict_list_leaving_a_twin_out_writes_what_it_lists(tmp_path, capsys, listed):
    # review RR12: the twins were refused over the whole folder before --list chose; a list writing one map of the
    # two (or neither) has nothing to collide
    images = tmp_path / "im"
    for n in ("Img.png", "img.jpg", "cat.png"):
        _image(images / n)
    (tmp_path / "list.txt").write_text(listed + "\n")
    rc, _, err = run_cli(capsys, ["predict", "--baseline", "gaussian-centre", "--images", images, "--list",
                                  tmp_path / "list.txt", "--out", tmp_path / "o", "--quiet"])
    assert rc == 0, err
    assert sorted(p.name for p in (tmp_path / "o").glob("*.png")) == [f"{listed}.png"]


def test_predict_accepts_images_whose_names_differ_only_in_case(tmp_path, capsys):
    # Cat.png and CAT.png exist together only where case counts; their maps mirror them there
    images = tmp_path / "im"
    _image(images / "Cat.png", 40, 30)
    _image(images / "CAT.png", 24, 16)
    rc, _, err = _predict(capsys, images, tmp_path / "o")
    assert rc == 0, err
    maps = sorted((tmp_path / "o").glob("*.png"))
    assert [p.name for p in maps] == ["CAT.png", "Cat.png"]
    for p, size in zip(maps, [(24, 16), (40, 30)]):
        with Image.open(p) as im:
            assert im.size == size


def test_crop_accepts_images_whose_names_differ_only_in_case(tmp_path, capsys):
    images = tmp_path / "im"
    _image(images / "Cat.png", 40, 30)
    _image(images / "CAT.png", 24, 16)
    rc, _, err = _crop(capsys, images, tmp_path / "o")
    assert rc == 0, err
    for n, side in (("Cat.png", 30), ("CAT.png", 16)):  # the largest square of each image, its own
        with Image.open(tmp_path / "o" / n) as im:
            assert im.size == (side, side)


def _eval(capsys, gt: Path, pred: Path, *more):
    return run_cli(capsys, ["eval", "--quiet", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--metrics", "MAE",
                            *more])


def test_eval_accepts_predictions_whose_names_differ_only_in_case(tmp_path, capsys):
    import json

    # eval writes nothing per key: Img scored by its exact name, img an extra prediction (as before F13)
    _masks(tmp_path / "gt", ["Img.png", "ok.png"])
    _masks(tmp_path / "p", ["Img.png", "img.png", "ok.png"])
    out = tmp_path / "r.json"
    rc, _, err = _eval(capsys, tmp_path / "gt", tmp_path / "p", "--json", out)
    assert rc == 0, err
    (r,) = json.loads(out.read_text())["results"]
    assert (r["n_images"], r["n_missing"], r["metrics"]["MAE"]) == (2, 0, 0.0)
    assert r["extra_predictions"] == ["img.png"]


def test_eval_accepts_predictions_whose_stems_differ_only_in_case(tmp_path, capsys):
    import json

    _masks(tmp_path / "gt", ["Img.png", "img.png"])
    _masks(tmp_path / "p", ["Img.png", "img.jpg"])  # exact keys Img and img: each mask finds its own
    out = tmp_path / "r.json"
    rc, _, err = _eval(capsys, tmp_path / "gt", tmp_path / "p", "--json", out)
    assert rc == 0, err
    (r,) = json.loads(out.read_text())["results"]
    assert (r["n_images"], r["n_missing"]) == (2, 0)


def test_eval_accepts_masks_in_folders_whose_names_differ_only_in_case(tmp_path, capsys):
    import json

    _masks(tmp_path / "gt", ["A/x.png", "a/x.png"])  # each mask paired with its own prediction
    _masks(tmp_path / "p", ["A/x.png", "a/x.png"])
    out = tmp_path / "r.json"
    rc, _, err = _eval(capsys, tmp_path / "gt", tmp_path / "p", "--json", out)
    assert rc == 0, err
    (r,) = json.loads(out.read_text())["results"]
    assert (r["n_images"], r["n_missing"], r["metrics"]["MAE"]) == (2, 0, 0.0)


def test_eval_matching_is_still_by_the_exact_name(tmp_path, capsys):
    import json

    # Cat.png is no prediction of the mask cat (as before), and a flat mask X still finds sub/X.png by its bare stem
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


# ---------------------------------------------------------------- crop --checkpoint: its temporary maps (review RR14)

@pytest.fixture(scope="module")
def sod_checkpoint(tmp_path_factory) -> Path:
    import torch

    from saliency import models
    from saliency.checkpoint import save

    n = torch.get_num_threads()
    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_sod").eval()
    path = tmp_path_factory.mktemp("ck") / "sod.pt"
    save(path, {"config": m.config, "state_dict": m.state_dict(), "train_config": {"data": {"size": [32, 32]}}})
    torch.set_num_threads(n)
    return path


def _noise(path: Path, w: int, h: int, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)


@pytest.mark.parametrize("names", [("Img.png", "img.jpg"), ("Cat.png", "CAT.png")], ids=["stems", "names"])
def test_crop_checkpoint_accepts_names_equal_ignoring_case(tmp_path, capsys, sod_checkpoint, names):
    """crop --checkpoint refused Img.png + img.jpg with predict's message ("outputs are named so"), false for crop:
    its maps are temporary, its crops keep each input's name. Now each image is cropped, at the box `saliency
    predict` of that image alone and `crop --maps` give (crop's documented "exactly as saliency predict writes
    it"), under its own name."""
    import json

    images = tmp_path / "im"
    for (n, (w, h)), seed in zip(zip(names, [(40, 30), (24, 16)]), (1, 2)):
        _noise(images / n, w, h, seed)
    rc, _, err = run_cli(capsys, ["crop", "--images", images, "--checkpoint", sod_checkpoint, "--aspect", "1:1",
                                  "--keep", "0.5", "--device", "cpu", "--out", tmp_path / "o", "--quiet"])
    # the --min-size warning of these small images is crop's own line on stderr (warnings print under --quiet)
    assert rc == 0 and all(ln.startswith("saliency crop: ") for ln in err.splitlines()), err
    got = json.loads((tmp_path / "o" / "crops.json").read_text())["boxes"]
    for n in names:  # the oracle: predict that image alone (no twin beside it), crop by its map
        alone = tmp_path / "alone" / n
        alone.mkdir(parents=True)
        (alone / n).write_bytes((images / n).read_bytes())
        rc, _, err = run_cli(capsys, ["predict", "--checkpoint", sod_checkpoint, "--images", alone, "--device", "cpu",
                                      "--out", tmp_path / "maps" / n, "--quiet"])
        assert rc == 0, err
        rc, _, err = run_cli(capsys, ["crop", "--images", alone, "--maps", tmp_path / "maps" / n, "--aspect", "1:1",
                                      "--keep", "0.5", "--out", tmp_path / "c" / n, "--quiet"])
        assert rc == 0, err
        want = json.loads((tmp_path / "c" / n / "crops.json").read_text())["boxes"]
        key = next(iter(want))
        box = next(v for k, v in got.items() if Path(v["image"]).name == n)
        assert box["crop"] == want[key]["crop"]
        with Image.open(tmp_path / "o" / n) as im:  # the crop, under its input's own name
            assert im.size == (box["crop"]["w"], box["crop"]["h"]) and box["crop"]["w"] == box["crop"]["h"]

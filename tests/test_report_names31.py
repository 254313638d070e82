"""report's asset names, as a file system keeps them.

1. Names that differ only in case or in Unicode form (runs a/Run and b/run, café in NFC and in NFD, --plots curves
   X_pr.png and x_pr.png, gallery rows A and a) are one file on macOS (APFS) and Windows (NTFS): the
   second picture replaced the first. Each now gets a name of its own by NFC + casefold, as exact duplicates do.
2. A run folder or --plots PNG whose name is 242-255 bytes (85 CJK characters) is valid, but training_/curve_ in
   front of it passed the file system's 255 bytes: the report was refused ("choose a shorter path"). Such names are
   now cut as gallery names are: 191 bytes of whole characters, "~" and 8 hex digits of the name's SHA-1. Only
   those: a name whose asset file name, _N included, fits in 255 bytes keeps it (review of 74a5d8b: names of
   228-245 bytes were hashed at > 240, renaming assets that outside links point to); gallery rows keep their rule.

Oracle: hand-worked names; "one file on a case-insensitive file system" is modelled as the same
``unicodedata.normalize("NFC", name).casefold()``, computed here independently of report.py.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import numpy as np
from PIL import Image

from cli_fakes import run_cli

ROWS = "epoch,step,lr,loss,images_per_s,epoch_s,MAE,Fmax,val_s,best\n1,4,0.003,0.9,10,1,0.3,0.5,0.1,1\n" \
       "2,8,0.002,0.7,10,1,0.2,0.6,0.1,1\n"


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _pictures(rep: Path, prefix: str) -> list[str]:
    """The asset names report.md links under ``prefix``, in order; each must be a file of assets/."""
    md = (rep / "report.md").read_text(encoding="utf-8")
    links = [unquote(ln[ln.rindex("](") + 2:-1]) for ln in md.splitlines() if ln.startswith("![")]
    names = [link[len("assets/"):] for link in links if link.startswith(f"assets/{prefix}")]
    assert all((rep / "assets" / n).is_file() for n in names), names
    return names


def _runs(tmp_path: Path, *paths: str) -> list[Path]:
    out = []
    for p in paths:
        run = tmp_path / p
        run.mkdir(parents=True)
        (run / "metrics.csv").write_text(ROWS)
        out.append(run)
    return out


def test_runs_whose_names_differ_in_case_get_two_asset_files(tmp_path, capsys):
    runs = _runs(tmp_path, "a/Run", "b/run")
    rc, _, err = run_cli(capsys, ["report", *runs, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    names = _pictures(tmp_path / "rep", "training_")
    assert names == ["training_Run.png", "training_run_2.png"], names
    assert len({_folded(n) for n in names}) == 2


def test_runs_whose_names_differ_in_unicode_form_get_two_asset_files(tmp_path, capsys):
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    runs = _runs(tmp_path, f"a/{nfc}", f"b/{nfd}")
    rc, _, err = run_cli(capsys, ["report", *runs, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    names = _pictures(tmp_path / "rep", "training_")
    assert names == [f"training_{nfc}.png", f"training_{nfd}_2.png"], names
    assert len({_folded(n) for n in names}) == 2


def test_plots_curves_whose_names_differ_in_case_get_two_asset_files(tmp_path, capsys):
    plots = tmp_path / "plots"
    plots.mkdir()
    red, blue = np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8)
    red[..., 0], blue[..., 2] = 255, 255
    Image.fromarray(red).save(plots / "X_pr.png")
    Image.fromarray(blue).save(plots / "x_pr.png")
    rc, _, err = run_cli(capsys, ["report", "--plots", plots, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    names = _pictures(tmp_path / "rep", "curve_")
    assert sorted(names) == ["curve_X_pr.png", "curve_x_pr_2.png"], names
    assert len({_folded(n) for n in names}) == 2
    # each copy is its own curve: X_pr.png's red, x_pr.png's blue
    assets = tmp_path / "rep" / "assets"
    assert (assets / "curve_X_pr.png").read_bytes() == (plots / "X_pr.png").read_bytes()
    assert (assets / "curve_x_pr_2.png").read_bytes() == (plots / "x_pr.png").read_bytes()


def test_gallery_rows_whose_names_differ_in_case_get_two_asset_files(tmp_path):
    # --images refuses A.png beside a.png (index_folder); a caller of build() may still pass both rows
    from saliency.report import GalleryItem, ReportInputs, build

    for name in ("A", "a"):
        Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(tmp_path / f"{name}.png")
    rows = [GalleryItem("A", tmp_path / "A.png"), GalleryItem("a", tmp_path / "a.png")]
    build(tmp_path / "rep", ReportInputs(gallery=rows))
    names = _pictures(tmp_path / "rep", "gallery_")
    assert names == ["gallery_A.png", "gallery_a_2.png"], names
    assert len({_folded(n) for n in names}) == 2


def _cut(name: str) -> str:
    """The hand-worked short form: whole characters of the first 191 UTF-8 bytes, ~, the SHA-1's first 8 hex."""
    raw = name.encode("utf-8")
    return raw[:191].decode("utf-8", "ignore") + "~" + hashlib.sha1(raw).hexdigest()[:8]


def test_runs_of_long_names_get_short_asset_names_that_differ(tmp_path, capsys):
    word = "\u8a9e"  # 3 UTF-8 bytes
    long_a, long_b, cjk = "r" * 244 + "a", "r" * 244 + "b", word * 85  # 245, 245 and 255 bytes
    assert len(cjk.encode("utf-8")) == 255
    runs = _runs(tmp_path, f"x/{long_a}", f"x/{long_b}", f"y/{long_a}", f"x/{cjk}")
    rc, _, err = run_cli(capsys, ["report", *runs, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    names = _pictures(tmp_path / "rep", "training_")
    assert names == [f"training_{_cut(long_a)}.png", f"training_{_cut(long_b)}.png",
                     f"training_{_cut(long_a)}_2.png", f"training_{word * 63}~{_cut(cjk)[-8:]}.png"], names
    assert all(len(n.encode("utf-8")) <= 255 for n in names)


def test_plots_curve_of_a_long_name_gets_a_short_asset_name(tmp_path, capsys):
    plots = tmp_path / "plots"
    plots.mkdir()
    stem = "c" * 246  # 250 bytes with .png: curve_ made it 256
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(plots / f"{stem}.png")
    rc, _, err = run_cli(capsys, ["report", "--plots", plots, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    names = _pictures(tmp_path / "rep", "curve_")
    assert names == [f"curve_{_cut(stem)}.png"], names
    assert (tmp_path / "rep" / "assets" / names[0]).read_bytes() == (plots / f"{stem}.png").read_bytes()


def test_long_names_that_fit_keep_their_asset_names(tmp_path, capsys):
    """Review of 74a5d8b: ASCII run and curve names of 228-245 bytes fit in 255 bytes with training_/curve_ and
    .png, and kept their names before; they were hashed (cut at > 240 bytes). Only a name whose file, _N included,
    would pass 255 bytes is cut: the second run of a 242-byte name (training_..._2.png: 257 bytes)."""
    r228, s242, c231, d245 = "r" * 228, "s" * 241 + "t", "c" * 231, "d" * 245
    runs = _runs(tmp_path, f"x/{r228}", f"x/{s242}", f"y/{s242}")
    plots = tmp_path / "plots"
    plots.mkdir()
    for stem in (c231, d245):
        Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(plots / f"{stem}.png")
    rc, _, err = run_cli(capsys, ["report", *runs, "--plots", plots, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    names = _pictures(tmp_path / "rep", "training_")
    assert names == [f"training_{r228}.png", f"training_{s242}.png", f"training_{_cut(s242)}.png"], names
    assert len(names[1]) == 255
    names = _pictures(tmp_path / "rep", "curve_")
    assert names == [f"curve_{c231}.png", f"curve_{d245}.png"], names
    assert len(names[1]) == 255


def test_gallery_rows_of_long_names_keep_the_gallery_rule(tmp_path, capsys):
    """The gallery's rule of before 74a5d8b is kept: gallery_NAME.png of more than 240 bytes is cut (here 245)."""
    images = tmp_path / "imgs"
    images.mkdir()
    g233 = "g" * 233
    for stem in (g233, "h" * 228):  # gallery_ + 228 + .png: 240 bytes, kept
        Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(images / f"{stem}.png")
    rc, _, err = run_cli(capsys, ["report", "--images", images, "--out", tmp_path / "rep", "--quiet"])
    assert rc == 0, err
    assert _pictures(tmp_path / "rep", "gallery_") == [f"gallery_{_cut(g233)}.png", f"gallery_{'h' * 228}.png"]

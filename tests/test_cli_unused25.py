"""Review 25: an option that the rest of the command line leaves unused is refused in one line, never ignored.

``saliency train --resume RUN --overwrite``: a resumed run is continued in
place and nothing is replaced, so ``--overwrite`` did nothing. ``saliency
report --gallery N`` without ``--images``: no gallery is drawn, whatever N says.
"""

from __future__ import annotations

import pytest

from saliency.cli import main
from train_fakes import make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)

BASE = ["--device", "cpu", "--quiet", "--set", "data.size=[48,64]", "--set", "train.grid_images=0",
        "--set", "train.tensorboard=false"]


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_train_resume_with_overwrite_is_refused_and_the_run_untouched(tmp_path, capsys):
    sod = make_sod(tmp_path / "S")
    run = tmp_path / "r"
    assert main(["train", "--data", str(sod), "--task", "sod", "--out", str(run), "--epochs", "1",
                 "--batch-size", "3", *BASE]) == 0
    before = _tree(run)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2", "--overwrite", "--device", "cpu", "--quiet"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "saliency train: error: --overwrite is not used with --resume (RUN is continued in place, nothing is "
        "replaced); leave it out, or start a new run with --out RUN and --overwrite"]
    assert _tree(run) == before


@pytest.mark.parametrize("n", ["3", "0"])
def test_report_gallery_without_images_is_refused(tmp_path, capsys, n):
    out = tmp_path / "rep"
    if n == "0":  # --gallery 0 leaves the gallery out: it needs no --images, and is accepted alone (review of f3e81e3)
        assert main(["report", "--gallery", n, "--out", str(out)]) == 0
        assert "Gallery left out (saliency report --gallery 0)." in (out / "report.md").read_text()
    else:
        assert main(["report", "--gallery", n, "--out", str(out)]) == 2
        assert capsys.readouterr().err.strip().splitlines() == [
            f"saliency report: error: --gallery {n}: the number of gallery rows needs --images (the pictures of the "
            "gallery); give it, or leave --gallery out"]
        assert not out.exists()
    # without --gallery the same report is written (no gallery section to fill)
    assert main(["report", "--out", str(out)]) == 0
    assert "No gallery was given." in (out / "report.md").read_text()

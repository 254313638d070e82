"""Review stop 26 of ``saliency report``: the gallery is not called "held-out" when it need not be.

Found in review: ``saliency report RUN --images TRAINING_IMAGES --pred P --gallery 2`` showed training images
(not in the run's ``split.json`` validation ids) under "Gallery of held-out scenes". The report cannot know
which images were held out, so the section says which folder the images came from instead.
Oracle: the report's own text against the folder given.
"""

from __future__ import annotations

import cv2
import numpy as np

from saliency.cli import main


def test_gallery_names_its_folder_and_claims_no_held_out(tmp_path, capsys):
    (tmp_path / "img").mkdir()
    (tmp_path / "pred").mkdir()
    for n in ("a", "b", "c"):
        cv2.imwrite(str(tmp_path / "img" / f"{n}.png"), np.full((24, 32, 3), 90, np.uint8))
        cv2.imwrite(str(tmp_path / "pred" / f"{n}.png"), np.full((24, 32), 128, np.uint8))
    rc = main(["report", "--images", str(tmp_path / "img"), "--pred", str(tmp_path / "pred"), "--gallery", "2",
               "--out", str(tmp_path / "r")])
    assert rc == 0, capsys.readouterr().err
    md = (tmp_path / "r" / "report.md").read_text()
    assert "held-out" not in md and "held out" not in md
    assert f"The first 2 images of {tmp_path / 'img'} with a prediction, by name." in md
    assert "## Gallery" in md


def test_report_through_a_link_and_dotdot_lands_where_the_os_resolves_it(tmp_path, monkeypatch, capsys):
    """``--out lnk/../x/rep`` with ``lnk -> t/tgt`` is ``t/x/rep``; Python 3.12's mkdtemp took ``lnk/..`` as text.

    ``tempfile.mkdtemp`` of 3.12 and later returns ``os.path.abspath`` of what it made, reproduced here on older
    Pythons: the staging folder was then looked for in ``./x/rep`` (missing: the report failed), or a ``./x/rep``
    beside the link received the report.
    """
    import os
    import tempfile

    made = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: os.path.abspath(made(*a, **k)))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t" / "tgt").mkdir(parents=True)
    (tmp_path / "t" / "x").mkdir()
    (tmp_path / "lnk").symlink_to("t/tgt")
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "a.png"), np.full((24, 32, 3), 90, np.uint8))
    rc = main(["report", "--images", "img", "--out", "lnk/../x/rep"])
    assert rc == 0, capsys.readouterr().err
    assert (tmp_path / "t" / "x" / "rep" / "report.md").is_file()
    assert not (tmp_path / "x").exists() and not list((tmp_path / "t" / "x" / "rep").glob(".report.*"))


def test_gallery_note_names_the_images_folder_as_given_and_claims_a_prediction_only_with_pred(tmp_path, capsys,
                                                                                             monkeypatch):
    """Review: without --pred the note said "that have a prediction"; an image in a sub-folder (a row through its
    bare-stem name) made it name the sub-folder; a folder name with Markdown marks was set in italics."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "*imgs*" / "sub").mkdir(parents=True)
    (tmp_path / "pred").mkdir()
    cv2.imwrite(str(tmp_path / "*imgs*" / "sub" / "b.png"), np.full((24, 32, 3), 90, np.uint8))
    cv2.imwrite(str(tmp_path / "pred" / "b.png"), np.full((24, 32), 128, np.uint8))
    for extra, out, which in (((), "r1", ""), (("--pred", "pred"), "r2", " with a prediction")):
        rc = main(["report", "--images", "*imgs*", *extra, "--out", out])
        assert rc == 0, capsys.readouterr().err
        md = (tmp_path / out / "report.md").read_text()
        html_text = (tmp_path / out / "report.html").read_text()
        # the sub-folder's image is a row (by its bare stem): the note still names --images, escaped in Markdown
        assert f"The first image of \\*imgs\\*{which}, by name." in md
        assert f"The first image of *imgs*{which}, by name." in html_text
        assert "*imgs*/sub" not in md and "imgs\\*/sub" not in md


def test_gallery_note_says_which_panels_are_grey(tmp_path, capsys):
    """Review: with --images alone the note described ground truth, prediction and fixations panels that were grey."""
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "a.png"), np.full((24, 32, 3), 90, np.uint8))
    assert main(["report", "--images", str(tmp_path / "img"), "--out", str(tmp_path / "r")]) == 0
    md = (tmp_path / "r" / "report.md").read_text()
    assert ("No ground truth (--gt), no prediction (--pred), no fixations (--dataset) was given: those panels are "
            "grey.") in md
    (tmp_path / "pred").mkdir()
    cv2.imwrite(str(tmp_path / "pred" / "a.png"), np.full((24, 32), 128, np.uint8))
    assert main(["report", "--images", str(tmp_path / "img"), "--pred", str(tmp_path / "pred"),
                 "--out", str(tmp_path / "r2")]) == 0
    md = (tmp_path / "r2" / "report.md").read_text()
    assert "No ground truth (--gt), no fixations (--dataset) was given: those panels are grey." in md

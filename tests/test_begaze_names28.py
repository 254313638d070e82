"""A stimulus name with words before the file's name (review 28, R20).

``# Message: Trial 3 beach.jpg`` is taken whole by the BeGaze reader (so that ``cat 01.jpg``, a file name with a
space, is found); only the stimulus folder can tell the two apart. When no file has the whole name, the name's
last word that is an image file name finds the stimulus (``beach.jpg``), with one warning line; a file with the
whole name wins; a last word that finds nothing leaves the rows ``unknown_stimulus``, and so does a stimulus column's
name (only a message's free text falls back). Expectations are worked by
hand: the fixations are the mean of 200 samples at x, x + 0.3, x + 0.6 (screen = stimulus size, 1680x1050).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli

GEOM = ["--screen-cm", "47.4x29.7", "--distance-cm", "70"]
HEAD = ("## [BeGaze]\n## Sample Rate:\t500\n## [Run]\n## Subject:\t{subject}\n## [Calibration]\n"
        "## Calibration Area:\t1680\t1050\n##\nTime\tType\tTrial\tL POR X [px]\tL POR Y [px]\tL Event Info\n")


def _stimuli(folder, names):
    folder.mkdir()
    for name in names:
        Image.new("RGB", (1680, 1050), (90, 120, 150)).save(folder / name)
    return folder


def _log(path, message, subject="P07"):
    """A BeGaze sample export (as the review's mk_begaze.py): one message, then 200 samples at each of two points."""
    rows, t = [], 1_000_000
    for x, y in [(400, 500), (1200, 500)]:
        for k in range(200):
            t += 2000
            rows.append(f"{t}\tSMP\t1\t{x + 0.3 * (k % 3):.2f}\t{y:.2f}\tFixation")
    path.write_text(HEAD.format(subject=subject) + f"1000000\tMSG\t1\t# Message: {message}\n" + "\n".join(rows)
                    + "\n")
    return path


def _ingest(capsys, logs, stim, out, *extra):
    return run_cli(capsys, ["ingest", *logs, "--stimuli", stim, *GEOM, "--out", out, "--no-ioc", "--quiet", *extra])


def _last_word_lines(text):
    return [ln for ln in text.splitlines() if "matched by its last word" in ln]


def test_words_before_the_file_name_find_it_by_the_last_word_with_a_warning(tmp_path, capsys):
    # the review's repro: every row was quarantined unknown_stimulus and the file refused
    stim = _stimuli(tmp_path / "stim", ["beach.jpg", "cat01.jpg"])
    log = _log(tmp_path / "P07.txt", "Trial 3 beach.jpg")
    rc, out, err = _ingest(capsys, [log], stim, tmp_path / "o")
    assert rc == 0, err
    fx = pd.read_csv(tmp_path / "o" / "fixations.csv", keep_default_na=False)
    assert list(fx["stimulus"]) == ["beach", "beach"]
    assert fx["x"].tolist() == pytest.approx([400.3, 1200.3], abs=0.01)
    assert fx["y"].tolist() == pytest.approx([500.0, 500.0], abs=0.01)
    said = _last_word_lines(err)
    assert len(said) == 1 and "'Trial 3 beach.jpg'" in said[0] and "beach.jpg" in said[0]
    warnings = json.loads((tmp_path / "o" / "dataset.json").read_text())["warnings"]
    assert len(_last_word_lines("\n".join(warnings))) == 1


def test_several_such_names_give_one_warning_line(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stim", ["beach.jpg", "cat01.jpg"])
    logs = [_log(tmp_path / "P07.txt", "Trial 3 beach.jpg", "P07"), _log(tmp_path / "P08.txt", "show cat01.jpg", "P08"),
            _log(tmp_path / "P09.txt", "IMAGE_ON beach.jpg", "P09")]
    rc, out, err = _ingest(capsys, logs, stim, tmp_path / "o")
    assert rc == 0, err
    fx = pd.read_csv(tmp_path / "o" / "fixations.csv", keep_default_na=False)
    assert dict(zip(fx["subject"], fx["stimulus"])) == {"P07": "beach", "P08": "cat01", "P09": "beach"}
    said = _last_word_lines(err)
    # sorted: 'IMAGE_ON beach.jpg' < 'Trial 3 beach.jpg' < 'show cat01.jpg'
    assert len(said) == 1 and "'IMAGE_ON beach.jpg' (and 2 other names)" in said[0], said


def test_the_whole_name_wins_when_a_file_has_it(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stim", ["01.jpg", "cat 01.jpg"])
    log = _log(tmp_path / "P07.txt", "cat 01.jpg")
    rc, out, err = _ingest(capsys, [log], stim, tmp_path / "o")
    assert rc == 0, err
    fx = pd.read_csv(tmp_path / "o" / "fixations.csv", keep_default_na=False)
    assert list(fx["stimulus"]) == ["cat 01", "cat 01"]
    assert not _last_word_lines(err)


def test_a_last_word_that_finds_nothing_is_still_unknown(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stim", ["beach.jpg", "cat01.jpg"])
    log = _log(tmp_path / "P07.txt", "Trial 3 dog.jpg")
    line = refusal(*_ingest(capsys, [log], stim, tmp_path / "o"))
    assert "unknown_stimulus 400" in line and "'Trial 3 dog.jpg'" in line


def test_a_csv_stimulus_column_is_matched_as_written(tmp_path, capsys):
    # only a message's free text falls back on its last image word (review R27): a stimulus column names its file
    stim = _stimuli(tmp_path / "stim", ["beach.jpg", "cat01.jpg"])
    log = tmp_path / "f.csv"
    log.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                   "s1,Trial 3 beach.jpg,100,200,0,200\n"
                   "s1,Trial 4 dog.jpg,300,400,300,200\n"
                   "s1,cat01.jpg,500,600,600,200\n")
    rc, out, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, "--out", tmp_path / "o", "--sigma-px", "2",
                                    "--no-ioc"])
    assert rc == 0, err
    fx = pd.read_csv(tmp_path / "o" / "fixations.csv", keep_default_na=False)
    assert list(zip(fx["stimulus"], fx["x"], fx["y"])) == [("cat01", 500, 600)]
    quar = pd.read_csv(tmp_path / "o" / "quarantine.csv", keep_default_na=False)
    assert list(zip(quar["reason"], quar["stimulus"])) == [("unknown_stimulus", "Trial 3 beach.jpg"),
                                                           ("unknown_stimulus", "Trial 4 dog.jpg")]
    assert not _last_word_lines(err)

"""How `saliency ingest` finds stimuli and uses --trials (review 27, F14).

Each case is a small folder built here; the expectations are worked by hand from the README's rules: a
--trials row needs a trial and a stimulus, one (subject, trial) names one stimulus, a name's folder part is
dropped only when it cannot pool two images, a linked stimulus is copied as the image it points at, a trial
value is read the same from a log and from the table, and a turned photo is said.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli


def _img(path, w=64, h=48, value=128, exif=None):
    im = Image.fromarray(np.full((h, w, 3), value, np.uint8))
    if exif:
        e = Image.Exif()
        e[0x0112] = exif
        im.save(path, exif=e)
    else:
        im.save(path)


def _ingest(capsys, log, stim, out, *extra):
    return run_cli(capsys, ["ingest", log, "--stimuli", stim, "--out", out, "--sigma-px", "2", "--no-ioc",
                            "--quiet", *extra])


def _trial_case(tmp_path, table: str):
    stim = tmp_path / "stim"
    stim.mkdir()
    _img(stim / "a.png")
    _img(stim / "b.png")
    _img(stim / "my pic.png")
    log = tmp_path / "fix.csv"
    log.write_text("subject,trial,x,y,t_start_ms,duration_ms\ns1,1,10,10,0,200\ns1,2,20,20,0,200\n"
                   "s1,,30,30,0,200\n")
    trials = tmp_path / "trials.csv"
    trials.write_text(table)
    return log, stim, trials


def test_a_trials_row_without_a_trial_is_refused(tmp_path, capsys):
    # the blank row gave the third log row (no trial: between trials) the stimulus 'my pic'
    log, stim, trials = _trial_case(tmp_path, "subject,trial,stimulus\ns1,1,a\ns1,2,b\ns1,,my pic\n")
    line = refusal(*_ingest(capsys, log, stim, tmp_path / "out", "--trials", trials))
    assert "trials.csv" in line and "row 3" in line and "no trial value" in line
    assert not (tmp_path / "out").exists()


def test_a_trials_row_without_a_stimulus_is_refused(tmp_path, capsys):
    log, stim, trials = _trial_case(tmp_path, "subject,trial,stimulus\ns1,1,a\ns1,2,\n")
    line = refusal(*_ingest(capsys, log, stim, tmp_path / "out", "--trials", trials))
    assert "row 2" in line and "no stimulus value" in line and "subject column" not in line


def test_one_trial_listed_with_two_stimuli_is_refused(tmp_path, capsys):
    log, stim, trials = _trial_case(tmp_path, "subject,trial,stimulus\ns1,1,a\ns1,2,b\ns1,1,b\n")
    line = refusal(*_ingest(capsys, log, stim, tmp_path / "out", "--trials", trials))
    assert "rows 1 and 3" in line and "'a'" in line and "'b'" in line


def test_one_trial_listed_twice_with_the_same_stimulus_is_used(tmp_path, capsys):
    log, stim, trials = _trial_case(tmp_path, "subject,trial,stimulus\ns1,1,a\ns1,2,b\ns1,1,a.png\n")
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "out", "--trials", trials)
    assert rc == 0, err
    kept = pd.read_csv(tmp_path / "out" / "fixations.csv")
    assert kept.sort_values("x")["stimulus"].tolist() == ["a", "b"]
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv")
    assert quar["reason"].tolist() == ["no_stimulus"]  # the row without a trial


def test_a_name_from_trials_is_listed_in_the_quarantine(tmp_path, capsys):
    log, stim, trials = _trial_case(tmp_path, "subject,trial,stimulus\ns1,1,a\ns1,2,nothere.jpg\n")
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "out", "--trials", trials)
    assert rc == 0, err
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", keep_default_na=False)
    got = dict(zip(quar["reason"], quar["stimulus"]))
    assert got == {"unknown_stimulus": "nothere.jpg", "no_stimulus": ""}


def _folders_case(tmp_path, names):
    stim = tmp_path / "Action"
    stim.mkdir()
    _img(stim / "001.jpg")
    log = tmp_path / "f.csv"
    rows = "".join(f"s{i},{n},10,10,0,200\n" for i, n in enumerate(names))
    log.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n" + rows)
    return log, stim


def test_names_from_two_folders_are_not_pooled_into_one_stimulus(tmp_path, capsys):
    log, stim = _folders_case(tmp_path, ["Action/001.jpg", "Affective/001.jpg", "Affective/001.jpg"])
    line = refusal(*_ingest(capsys, log, stim, tmp_path / "out"))
    assert "'Action/001.jpg'" in line and "'Affective/001.jpg'" in line and "one folder" in line


def test_a_folder_part_still_finds_the_file(tmp_path, capsys):
    # README: `pics/img1.jpg` finds `img1.jpg`; so do a Windows path to the same folder and the bare name
    log, stim = _folders_case(tmp_path, ["pics/001.jpg", "C:\\exp\\pics\\001.jpg", "001", "PICS/001.JPG"])
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "out")
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "out" / "fixations.csv", dtype=str)["stimulus"].tolist() == ["001"] * 4


def test_a_folder_of_sub_folders_says_they_are_not_read(tmp_path, capsys):
    top = tmp_path / "Stimuli"
    for sub in ("Action", "Affective"):
        (top / sub).mkdir(parents=True)
        _img(top / sub / "001.jpg")
    log = tmp_path / "f.csv"
    log.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\ns1,001,10,10,0,200\n")
    line = refusal(*_ingest(capsys, log, top, tmp_path / "out"))
    assert "sub-folders" in line and "Action" in line and "Affective" in line


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_a_linked_stimulus_is_copied_as_its_image(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _img(elsewhere / "real.png", value=200)
    stim = tmp_path / "stim"
    stim.mkdir()
    _img(stim / "good.png")
    (stim / "linked.png").symlink_to("../elsewhere/real.png")
    (stim / "dangling.png").symlink_to("../elsewhere/missing.png")
    log = tmp_path / "fix.csv"
    log.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\ns1,good,10,10,0,200\ns1,linked,10,10,0,200\n"
                   "s1,dangling,10,10,0,200\n")
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "out")
    assert rc == 0, err
    copied = tmp_path / "out" / "stimuli" / "linked.png"
    assert not copied.is_symlink() and copied.read_bytes() == (elsewhere / "real.png").read_bytes()
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv")
    assert quar[["stimulus", "reason"]].values.tolist() == [["dangling", "bad_stimulus_image"]]
    assert "broken link" in err and "dangling.png" in err and "not in" not in err


ASC = """** CONVERTED FROM sub08.edf using edf2asc
MSG\t100 GAZE_COORDS 0.00 0.00 1023.00 767.00
START\t100 \tLEFT\tSAMPLES\tEVENTS
SFIX L   200
EFIX L   200\t600\t400\t  100.0\t  100.0\t 1000
MSG\t1000 TRIALID {t1}
SFIX L   1100
EFIX L   1100\t1400\t300\t  512.0\t  384.0\t 1000
MSG\t1500 TRIAL_RESULT 0
MSG\t1600 TRIALID 2
SFIX L   1700
EFIX L   1700\t2000\t300\t  300.0\t  300.0\t 1000
MSG\t2100 TRIAL_RESULT 0
END\t2200
"""


@pytest.mark.parametrize("in_log, in_table", [("1.0", "1.0"), ("1.0", "1"), ("1", "1.0")])
def test_a_trial_value_is_read_alike_in_an_asc_and_in_trials(tmp_path, capsys, in_log, in_table):
    stim = tmp_path / "stim"
    stim.mkdir()
    _img(stim / "a.png")
    _img(stim / "b.png")
    asc = tmp_path / "sub08.asc"
    asc.write_text(ASC.format(t1=in_log))
    trials = tmp_path / "trials.csv"
    trials.write_text(f"subject,trial,stimulus\nsub08,{in_table},a\nsub08,2,b\n")
    rc, out, err = _ingest(capsys, asc, stim, tmp_path / "out", "--trials", trials, "--detector", "tracker")
    assert rc == 0, err
    assert sorted(pd.read_csv(tmp_path / "out" / "fixations.csv")["stimulus"]) == ["a", "b"]
    assert pd.read_csv(tmp_path / "out" / "quarantine.csv")["reason"].tolist() == ["outside_trial"]


def test_a_turned_photo_is_said(tmp_path, capsys):
    stim = tmp_path / "stim"
    stim.mkdir()
    _img(stim / "r6.jpg", exif=6)
    _img(stim / "r8.jpg", exif=8)
    _img(stim / "up.jpg", exif=1)
    _img(stim / "plain.jpg")
    log = tmp_path / "fix.csv"
    log.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                   + "".join(f"s1,{s},10,10,0,200\n" for s in ("r6", "r8", "up", "plain")))
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "out")
    assert rc == 0, err
    warnings = json.loads((tmp_path / "out" / "dataset.json").read_text())["warnings"]
    turned = [w for w in warnings if "EXIF orientation" in w]
    assert len(turned) == 1 and turned[0].startswith("2 stimuli carry an EXIF orientation tag (e.g. r6.jpg: 6)")
    assert "EXIF orientation" in err


def test_excel_blank_rows_below_the_trials_table_are_no_rows(tmp_path, capsys):
    # Excel writes ',,' rows where cells below a table were once touched (with a BOM and CRLF): no row, as the
    # log readers skip a line of separators; a half-filled row is still refused (test above)
    log, stim, trials = _trial_case(tmp_path, "")
    trials.write_bytes("\ufeffsubject,trial,stimulus\r\ns1,1,a\r\ns1,2,b\r\n,,\r\n , ,\r\n".encode())
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "out", "--trials", trials)
    assert rc == 0, err
    kept = pd.read_csv(tmp_path / "out" / "fixations.csv")
    assert kept["stimulus"].tolist() == ["a", "b"]
    q = pd.read_csv(tmp_path / "out" / "quarantine.csv")
    assert q["line"].tolist() == [4]  # the log's row outside any trial


def test_a_png_with_an_exif_tag_is_said_too(tmp_path, capsys):
    # PIL decodes a whole PNG to find its eXIf chunk; the chunk is found by walking the chunk headers
    stim = tmp_path / "stim"
    stim.mkdir()
    _img(stim / "r6.png", exif=6)
    _img(stim / "plain.png")
    log = tmp_path / "fix.csv"
    log.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\ns1,r6,10,10,0,200\ns1,plain,10,10,0,200\n")
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "out")
    assert rc == 0, err
    warnings = json.loads((tmp_path / "out" / "dataset.json").read_text())["warnings"]
    assert [w for w in warnings if "EXIF" in w][0].startswith("1 stimulus carries an EXIF orientation tag (e.g. "
                                                              "r6.png: 6)")


def test_a_jpeg_named_png_with_an_exif_tag_is_said(tmp_path, capsys):
    # the file is read by its content, and a viewer shows it turned by its tag whatever its name
    stim = tmp_path / "stim"
    stim.mkdir()
    e = Image.Exif()
    e[0x0112] = 6
    Image.fromarray(np.full((48, 64, 3), 128, np.uint8)).save(stim / "r6.png", "JPEG", exif=e)
    log = tmp_path / "fix.csv"
    log.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\ns1,r6,10,10,0,200\n")
    rc, out, err = _ingest(capsys, log, stim, tmp_path / "out")
    assert rc == 0, err
    warnings = json.loads((tmp_path / "out" / "dataset.json").read_text())["warnings"]
    assert any(w.startswith("1 stimulus carries an EXIF orientation tag (e.g. r6.png: 6)") for w in warnings)

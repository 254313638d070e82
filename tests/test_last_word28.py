"""Only a free-text message's name falls back on its last image word (review R27 of 59721f5).

A BeGaze message ``# Message: Trial 3 beach.jpg`` is free text: when no stimulus file has the whole name, its last
image-file word finds the file (``beach.jpg``), as BeGaze message parsing did before 68fa6b0, with a warning and
every name -> file pair in dataset.json (``stimuli.matched_by_last_word``); a file with the whole name wins
(``cat 01.jpg``). A name from a stimulus column (generic CSV or a BeGaze ``Image`` column), ``--trials`` or
``--stimulus`` is matched as written, as before 59721f5: ``a b.jpg`` (a stimulus missing from the folder) and
``c.jpg (practice)`` are ``unknown_stimulus``, never pooled into b's or c's map. Expectations are worked by hand
(the review's lw/ repro: its fixations and quarantine before 59721f5; a BeGaze fixation at the mean of 200 samples
at x, x + 0.3, x + 0.6 on a 1680x1050 screen the size of the stimulus).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli

GEOM = ["--screen-cm", "47.4x29.7", "--distance-cm", "70"]
HEAD = ("## [BeGaze]\n## Sample Rate:\t500\n## [Run]\n## Subject:\t{subject}\n## [Calibration]\n"
        "## Calibration Area:\t1680\t1050\n##\nTime\tType\tTrial\tL POR X [px]\tL POR Y [px]\tL Event Info{extra}\n")
# the review's lw/fix.csv: b.jpg and c.jpg in the folder, no 'a b.jpg'; a practice trial after c's name
FIX_CSV = ("subject,stimulus,x,y,duration\n"
           "A,b.jpg,100,100,200\nA,b.jpg,120,100,200\nA,a b.jpg,300,200,200\nA,a b.jpg,310,200,200\n"
           "B,b.jpg,100,110,200\nB,b.jpg,110,100,200\nB,a b.jpg,300,210,200\nB,c.jpg (practice),50,50,200\n")


def _stimuli(folder, names, size=(1680, 1050)):
    folder.mkdir()
    for name in names:
        Image.new("RGB", size, (90, 120, 150)).save(folder / name)
    return folder


def _begaze(path, message, subject="P07", stimulus_column=None):
    """A BeGaze sample export: one message, then 200 samples at each of two points (a Stimulus column when
    ``stimulus_column`` is given, every sample naming it)."""
    rows, t = [], 1_000_000
    tail = f"\t{stimulus_column}" if stimulus_column is not None else ""
    for x, y in [(400, 500), (1200, 500)]:
        for k in range(200):
            t += 2000
            rows.append(f"{t}\tSMP\t1\t{x + 0.3 * (k % 3):.2f}\t{y:.2f}\tFixation{tail}")
    extra = "\tStimulus" if stimulus_column is not None else ""
    path.write_text(HEAD.format(subject=subject, extra=extra) + f"1000000\tMSG\t1\t# Message: {message}\n"
                    + "\n".join(rows) + "\n")
    return path


def _ingest(capsys, logs, stim, out, *extra):
    return run_cli(capsys, ["ingest", *logs, "--stimuli", stim, *GEOM, "--out", out, "--no-ioc", "--quiet", *extra])


def _said(err):
    return [ln for ln in err.splitlines() if "last word" in ln]


def _manifest(out):
    return json.loads((out / "dataset.json").read_text())


def _rows(path, *cols):
    df = pd.read_csv(path, keep_default_na=False)
    return [tuple(r) for r in df[list(cols)].itertuples(index=False)]


def test_generic_csv_names_with_spaces_are_quarantined_not_pooled(tmp_path, capsys):
    # the review's lw/ repro (o1): 59721f5 pooled 'a b.jpg' into b's map and 'c.jpg (practice)' into c's
    stim = _stimuli(tmp_path / "stim", ["b.jpg", "c.jpg"], (320, 240))
    (tmp_path / "fix.csv").write_text(FIX_CSV)
    rc, out, err = run_cli(capsys, ["ingest", tmp_path / "fix.csv", "--stimuli", stim, "--out", tmp_path / "o",
                                    "--sigma-px", "10", "--quiet"])  # IOC on: quarantined names resolved too
    assert rc == 0, err
    assert _rows(tmp_path / "o" / "fixations.csv", "subject", "stimulus", "x", "y") == [
        ("A", "b", 100, 100), ("A", "b", 120, 100), ("B", "b", 100, 110), ("B", "b", 110, 100)]
    assert _rows(tmp_path / "o" / "quarantine.csv", "line", "reason", "stimulus") == [
        (4, "unknown_stimulus", "a b.jpg"), (5, "unknown_stimulus", "a b.jpg"), (8, "unknown_stimulus", "a b.jpg"),
        (9, "unknown_stimulus", "c.jpg (practice)")]
    assert sorted(p.name for p in (tmp_path / "o" / "maps").iterdir()) == ["b.png"]
    assert not _said(err)
    man = _manifest(tmp_path / "o")
    assert "matched_by_last_word" not in man["stimuli"] and not _said("\n".join(man["warnings"]))


def test_a_trials_name_is_matched_as_written(tmp_path, capsys):
    # the review's lw/ repro (o2): trial 2 named 'Trial 2 b.jpg' in --trials; the warning said "give `trials`"
    stim = _stimuli(tmp_path / "stim", ["b.jpg", "c.jpg"], (320, 240))
    (tmp_path / "fixt.csv").write_text("subject,trial,x,y,duration\nA,1,100,100,200\nA,1,120,100,200\n"
                                       "A,2,300,200,200\nB,1,100,110,200\nB,2,300,210,200\n")
    (tmp_path / "trials.csv").write_text("subject,trial,stimulus\n*,1,c.jpg\n*,2,Trial 2 b.jpg\n")
    rc, out, err = run_cli(capsys, ["ingest", tmp_path / "fixt.csv", "--trials", tmp_path / "trials.csv",
                                    "--stimuli", stim, "--out", tmp_path / "o", "--sigma-px", "10", "--quiet"])
    assert rc == 0, err
    assert _rows(tmp_path / "o" / "fixations.csv", "subject", "stimulus") == [("A", "c"), ("A", "c"), ("B", "c")]
    assert _rows(tmp_path / "o" / "quarantine.csv", "line", "reason", "stimulus") == [
        (4, "unknown_stimulus", "Trial 2 b.jpg"), (6, "unknown_stimulus", "Trial 2 b.jpg")]
    assert not _said(err) and "give `trials`" not in err


def test_a_stimulus_option_is_matched_as_written(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stim", ["b.jpg", "c.jpg"], (320, 240))
    (tmp_path / "fix.csv").write_text("x,y,duration\n100,100,200\n120,100,200\n")
    line = refusal(*run_cli(capsys, ["ingest", tmp_path / "fix.csv", "--stimulus", "Trial 2 b.jpg", "--stimuli",
                                     stim, "--out", tmp_path / "o", "--sigma-px", "10", "--quiet"]))
    assert "Trial 2 b.jpg" in line
    assert not (tmp_path / "o").exists()


def test_a_begaze_message_finds_its_last_word_with_the_pair_recorded(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stim", ["beach.jpg", "cat01.jpg"])
    log = _begaze(tmp_path / "P07.txt", "Trial 3 beach.jpg")
    rc, out, err = _ingest(capsys, [log], stim, tmp_path / "o")
    assert rc == 0, err
    assert _rows(tmp_path / "o" / "fixations.csv", "stimulus") == [("beach",), ("beach",)]
    fx = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert fx["x"].tolist() == pytest.approx([400.3, 1200.3], abs=0.01)
    said = _said(err)
    assert len(said) == 1 and "'Trial 3 beach.jpg'" in said[0] and "beach.jpg" in said[0]
    assert "`trials`" not in said[0]
    man = _manifest(tmp_path / "o")
    assert man["stimuli"]["matched_by_last_word"] == {"Trial 3 beach.jpg": "beach.jpg"}
    assert len(_said("\n".join(man["warnings"]))) == 1


def test_a_file_with_the_whole_message_name_wins(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stim", ["01.jpg", "cat 01.jpg"])
    log = _begaze(tmp_path / "P07.txt", "cat 01.jpg")
    rc, out, err = _ingest(capsys, [log], stim, tmp_path / "o")
    assert rc == 0, err
    assert _rows(tmp_path / "o" / "fixations.csv", "stimulus") == [("cat 01",), ("cat 01",)]
    assert not _said(err) and "matched_by_last_word" not in _manifest(tmp_path / "o")["stimuli"]


def test_every_pair_is_recorded_and_the_line_names_the_first_three(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stim", ["beach.jpg", "cat01.jpg"])
    messages = {"P01": "A beach.jpg", "P02": "B cat01.jpg", "P03": "C beach.jpg", "P04": "D cat01.jpg",
                "P05": "E beach.jpg"}
    logs = [_begaze(tmp_path / f"{s}.txt", m, s) for s, m in messages.items()]
    rc, out, err = _ingest(capsys, logs, stim, tmp_path / "o")
    assert rc == 0, err
    assert dict(_rows(tmp_path / "o" / "fixations.csv", "subject", "stimulus")) == {
        "P01": "beach", "P02": "cat01", "P03": "beach", "P04": "cat01", "P05": "beach"}
    assert _manifest(tmp_path / "o")["stimuli"]["matched_by_last_word"] == {
        "A beach.jpg": "beach.jpg", "B cat01.jpg": "cat01.jpg", "C beach.jpg": "beach.jpg",
        "D cat01.jpg": "cat01.jpg", "E beach.jpg": "beach.jpg"}
    said = _said(err)
    assert len(said) == 1
    assert "'A beach.jpg' -> beach.jpg, 'B cat01.jpg' -> cat01.jpg, 'C beach.jpg' -> beach.jpg (and 2 more;" \
        in said[0], said
    assert "'D cat01.jpg'" not in said[0] and "stimuli.matched_by_last_word" in said[0]


def test_a_begaze_stimulus_column_is_matched_as_written(tmp_path, capsys):
    # a Stimulus column names the stimulus (the message is not read): its name is no free text
    stim = _stimuli(tmp_path / "stim", ["beach.jpg", "cat01.jpg"])
    log = _begaze(tmp_path / "P07.txt", "cat01.jpg", stimulus_column="Trial 3 beach.jpg")
    line = refusal(*_ingest(capsys, [log], stim, tmp_path / "o"))
    assert "unknown_stimulus 400" in line and "'Trial 3 beach.jpg'" in line


EVENT_HEAD = ("[BeGaze]\n[Run]\nSubject:\tP08\n[Calibration]\nCalibration Area:\t1680\t1050\n\n"
              "Table Header for Fixations:\nEvent Type\tTrial\tNumber\tStart\tEnd\tDuration\tLocation X\tLocation Y\t"
              "Dispersion X\tDispersion Y\tImage\tPlane\tAvg. Pupil Size X\tAvg. Pupil Size Y\n\n"
              "Table Header for User Events:\nEvent Type\tTrial\tNumber\tStart\tDescription\n\n")


def test_an_event_export_image_column_exact_its_user_event_by_last_word(tmp_path, capsys):
    # trial 1: the Image column names 'Trial 1 beach.jpg' (no such file): unknown_stimulus; trial 2: no Image,
    # the user event's 'Trial 2 cat01.jpg' finds cat01.jpg by its last word
    stim = _stimuli(tmp_path / "stim", ["beach.jpg", "cat01.jpg"])
    log = tmp_path / "P08_Events.txt"
    log.write_text(EVENT_HEAD
                   + "Fixation L\t1\t1\t1100000\t1400000\t300000\t400\t500\t20\t20\tTrial 1 beach.jpg\t-1\t17\t17\n"
                   + "UserEvent\t2\t1\t2000000\t# Message: Trial 2 cat01.jpg\n"
                   + "Fixation L\t2\t2\t2100000\t2350000\t250000\t1200\t600\t20\t20\t\t-1\t17\t17\n")
    rc, out, err = _ingest(capsys, [log], stim, tmp_path / "o")
    assert rc == 0, err
    assert _rows(tmp_path / "o" / "fixations.csv", "stimulus", "x", "y") == [("cat01", 1200, 600)]
    assert _rows(tmp_path / "o" / "quarantine.csv", "reason", "stimulus") == [
        ("unknown_stimulus", "Trial 1 beach.jpg")]
    assert _manifest(tmp_path / "o")["stimuli"]["matched_by_last_word"] == {"Trial 2 cat01.jpg": "cat01.jpg"}

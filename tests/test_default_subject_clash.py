"""Review 27 (R3): two inputs with the same file stem and no subject column became one observer without a word.

A file without a subject column names its rows after its stem (``samples.csv`` / ``fixations*.csv``: after its
folder): ``ss/s1/fix.csv`` and ``ss/s2/fix.csv`` were pooled as one subject ``fix`` (``subjects 1``, inter-observer
consistency impossible, ``--per-subject`` weighing two people as one). Splitting one person's recording into
several files is sometimes meant, so it is not refused: ``saliency ingest`` and ``saliency detect`` print one
warning line naming the subject and the files and saying how to keep them apart, and record it in ``warnings``
(``dataset.json``, ``detection.json``). No line when the files carry a subject column (by name or mapped with
``--columns subject=``), when the stems differ, or when one input is a byte-for-byte repeat (read once).

Oracles: the lines written out by hand from the file names; the subject counts from the hand-made tables.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
from PIL import Image

from cli_fakes import run_cli

INGEST = ["--sigma-px", "2", "--quiet"]
GEOMETRY = ["--screen-px", "1920x1080", "--screen-cm", "52.7x29.6", "--distance-cm", "60", "--quiet"]
ADVICE = "give each a subject column (--columns subject=COLUMN) or rename the files"


def _stimuli(root):
    (root / "stim").mkdir(parents=True)
    for name in ("a", "b"):
        Image.fromarray(np.full((20, 30, 3), 128, np.uint8)).save(root / "stim" / f"{name}.png")
    return root / "stim"


def _fixations(path, rows, header="stimulus,x,y,t_start_ms,duration_ms"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return path


def _pair(root, subject_col=None):
    """Two sessions' fixation tables of the same stem, different content; with ``subject_col``, a column of that
    name holding ann / bob."""
    out = []
    for sess, who, x in (("s1", "ann", 5), ("s2", "bob", 20)):
        if subject_col:
            rows = [f"{who},a,{x},5,0,100", f"{who},a,{x + 1},6,200,100"]
            out.append(_fixations(root / sess / "fix.csv", rows, f"{subject_col},stimulus,x,y,t_start_ms,duration_ms"))
        else:
            out.append(_fixations(root / sess / "fix.csv", [f"a,{x},5,0,100", f"a,{x + 1},6,200,100"]))
    return out


def _pooled_lines(err):
    return [line for line in err.splitlines() if "pooled as one observer" in line]


def test_ingest_warns_when_two_files_share_their_default_subject(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    a, b = _pair(tmp_path)
    rc, out, err = run_cli(capsys, ["ingest", a, b, "--stimuli", stim, "--out", tmp_path / "D", *INGEST])
    assert rc == 0, err
    want = (f"subject 'fix': 2 different inputs without a subject column are named after their file ({a}, {b}) "
            f"and pooled as one observer; if they are different people, ")
    assert _pooled_lines(err) == [f"saliency ingest: warning: {want}{ADVICE}"]
    man = json.loads((tmp_path / "D" / "dataset.json").read_text())
    assert f"{want}give each a subject column (`columns` subject=COLUMN) or rename the files" in man["warnings"]
    assert man["counts"]["subjects"] == 1  # pooled as before (not refused): one person's sessions may be meant


def test_ingest_names_the_first_three_files_and_counts_the_rest(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    logs = [_fixations(tmp_path / f"s{i}" / "fix.csv", [f"a,{i},5,0,100"]) for i in range(1, 6)]
    rc, out, err = run_cli(capsys, ["ingest", *logs, "--stimuli", stim, "--out", tmp_path / "D", *INGEST])
    assert rc == 0, err
    [line] = _pooled_lines(err)
    assert f"subject 'fix': 5 different inputs without a subject column are named after their file ({logs[0]}, " \
           f"{logs[1]}, {logs[2]} and 2 more) and pooled as one observer" in line


def test_ingest_says_nothing_when_the_files_name_their_subjects(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    a, b = _pair(tmp_path / "named", "subject")  # a subject column found by its name
    rc, out, err = run_cli(capsys, ["ingest", a, b, "--stimuli", stim, "--out", tmp_path / "D1", *INGEST])
    assert rc == 0 and _pooled_lines(err) == [], err
    assert json.loads((tmp_path / "D1" / "dataset.json").read_text())["counts"]["subjects"] == 2
    a, b = _pair(tmp_path / "mapped", "who")  # a column the user maps
    rc, out, err = run_cli(capsys, ["ingest", a, b, "--stimuli", stim, "--out", tmp_path / "D2", "--columns",
                                    "subject=who", *INGEST])
    assert rc == 0 and _pooled_lines(err) == [], err
    man = json.loads((tmp_path / "D2" / "dataset.json").read_text())
    assert man["counts"]["subjects"] == 2 and not [w for w in man["warnings"] if "pooled" in w]


def test_ingest_says_nothing_for_different_stems_or_a_repeated_file(tmp_path, capsys):
    stim = _stimuli(tmp_path)
    a = _fixations(tmp_path / "s1" / "p01.csv", ["a,5,5,0,100"])
    b = _fixations(tmp_path / "s2" / "p02.csv", ["a,9,5,0,100"])
    rc, out, err = run_cli(capsys, ["ingest", a, b, "--stimuli", stim, "--out", tmp_path / "D1", *INGEST])
    assert rc == 0 and _pooled_lines(err) == [], err
    copy = tmp_path / "s3" / "p01.csv"  # the same bytes: read once, said by the SHA-256 line alone
    copy.parent.mkdir()
    shutil.copyfile(a, copy)
    rc, out, err = run_cli(capsys, ["ingest", a, copy, "--stimuli", stim, "--out", tmp_path / "D2", *INGEST])
    assert rc == 0 and _pooled_lines(err) == [], err
    assert f"{copy} has the same content (sha256) as {a}; read once" in err


def _samples(path, x0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("stimulus,time_ms,x,y\n" + "".join(f"a,{2 * i},{x0 + (i >= 150) * 500},500\n" for i in range(300)))
    return path


def test_detect_warns_too_and_names_the_folder_for_a_samples_csv(tmp_path, capsys):
    """``samples.csv`` takes its folder's name: ``sess1/p01/samples.csv`` and ``sess2/p01/samples.csv`` are 'p01'."""
    a, b = _samples(tmp_path / "sess1" / "p01" / "samples.csv", 400), _samples(tmp_path / "sess2" / "p01" /
                                                                                "samples.csv", 420)
    rc, out, err = run_cli(capsys, ["detect", a, b, "--out", tmp_path / "E", *GEOMETRY])
    assert rc == 0, err
    want = (f"subject 'p01': 2 different inputs without a subject column are named after their folder ({a}, {b}) "
            f"and pooled as one observer; if they are different people, give each a subject column "
            f"(`columns` subject=COLUMN) or rename their folders")
    assert _pooled_lines(err) == ["saliency detect: warning: " + want.replace("`columns`", "--columns")]
    assert want in json.loads((tmp_path / "E" / "detection.json").read_text())["warnings"]
    c = _samples(tmp_path / "sess1" / "p02" / "samples.csv", 400)  # another folder: another subject
    rc, out, err = run_cli(capsys, ["detect", a, c, "--out", tmp_path / "F", *GEOMETRY])
    assert rc == 0 and _pooled_lines(err) == [], err


def _asc(path, x):
    lines = ["** CONVERTED FROM sub01.edf using edf2asc", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00",
             "MSG\t1000 TRIALID 1", "MSG\t1000 !V IMGLOAD FILL a.png",
             "START\t1000 \tLEFT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRATE\t 500.00"]
    lines += [f"{1000 + 2 * i}\t{x}.0\t500.0\t900.0\t..." for i in range(300)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines + ["MSG\t1700 TRIAL_RESULT 0"]) + "\n")
    return path


def test_a_format_without_subject_columns_is_told_to_rename_only(tmp_path, capsys):
    """EyeLink ASC files have no subject column to give: the advice is the renaming alone."""
    a, b = _asc(tmp_path / "s1" / "sub01.asc", 800), _asc(tmp_path / "s2" / "sub01.asc", 900)
    rc, out, err = run_cli(capsys, ["detect", a, b, "--out", tmp_path / "E", *GEOMETRY])
    assert rc == 0, err
    assert _pooled_lines(err) == [
        f"saliency detect: warning: subject 'sub01': 2 different inputs without a subject column are named after "
        f"their file ({a}, {b}) and pooled as one observer; if they are different people, rename the files"]

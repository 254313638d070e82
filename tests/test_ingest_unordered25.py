"""Options that an input cannot honour are refused, and a stimulus name is never pooled into one of two files
(review 25, maps).

1. ``--drop-first`` on a ``fixlocs`` map (FIXATIONLOCS: every observer pooled,
   without order or times) quarantined one arbitrary fixated pixel as
   ``first_fixation`` and recorded ``policies.drop_first`` true;
   ``--per-subject`` was recorded although the map holds one subject
   (``pooled``). Both are refused in one line when every input is such a map;
   beside an input with scanpaths, ``--drop-first`` drops only that input's
   first fixations, and each input's record says ``drop_first_applied``.
2. A stimulus name matched only ignoring case, with two candidate files
   (``Dog.png`` and ``DOG.png``, the log names ``dog``), was pooled into one of
   them in silence: refused in one line naming both; an exact match still wins.
3. ``--columns time=a,time=b`` kept the last mapping in silence: refused. A Pro
   Lab export read with ``--detector tracker`` (its own fixations, of both eyes
   together) accepted ``--eye left`` and ignored it: refused; and its x/y
   refusal no longer advises ``--eye left/right``.

Oracles: the messages whole, written out by hand; which fixations a person
reading the tiny files expects to be dropped or kept; the real i210 map's
fixated pixels counted by an independent ``loadmat``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.io import loadmat, savemat

from ingest_fakes import study  # noqa: F401 (a module fixture: a small synthetic study)
from saliency.base.errors import UserError
from saliency.cli import main

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POOLED = "the fixlocs inputs pool all observers' fixations"


def _image(path, w, h):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 128, np.uint8)).save(path)


def _ingest(capsys, logs, stim, out, *extra):
    """``saliency ingest`` in-process; (exit code, stderr)."""
    try:
        rc = main(["ingest", *map(str, logs), "--stimuli", str(stim), "--out", str(out), "--quiet", "--no-ioc",
                   *map(str, extra)])
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


def _one_line(rc, err):
    """Exit 2 with one stderr line, no traceback; the line."""
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and "Traceback" not in err, err[-2000:]
    return lines[0]


def _fixlocs(tmp_path):
    """An 8x6 map ``pic.mat`` with 3 fixated pixels, and its stimulus ``stim/pic.png``."""
    m = np.zeros((6, 8))
    m[1, 2] = m[4, 6] = m[0, 7] = 1
    savemat(tmp_path / "pic.mat", {"fixLocs": m})
    _image(tmp_path / "stim" / "pic.png", 8, 6)
    return tmp_path / "pic.mat"


# ---------------------------------------------------------------- 1. drop_first / per_subject on pooled maps

@pytest.mark.parametrize("flags,msg", [
    (["--drop-first"], f"--drop-first: not used: no input has ordered fixations ({POOLED} without order or times, "
                       f"so none is first); leave it out"),
    (["--per-subject"], f"--per-subject: not used: no input tells its subjects apart ({POOLED} under one subject, "
                        f"'pooled'); leave it out"),
    (["--per-subject", "--drop-first"],
     f"--drop-first, --per-subject: not used: no input has ordered fixations or tells its subjects apart ({POOLED} "
     f"under one subject, 'pooled', without order or times, so none is first); leave them out")],
    ids=["drop_first", "per_subject", "both"])
def test_fixlocs_map_alone_refuses_drop_first_and_per_subject(tmp_path, capsys, flags, msg):
    p = _fixlocs(tmp_path)
    rc, err = _ingest(capsys, [p], tmp_path / "stim", tmp_path / "o", "--sigma-px", "1", *flags)
    assert _one_line(rc, err) == f"saliency ingest: error: {msg}"
    assert not (tmp_path / "o").exists()
    assert sorted(q.name for q in tmp_path.iterdir()) == ["pic.mat", "stim"]  # no staging folder left


@pytest.mark.real_data
def test_real_i210_map_refuses_drop_first(tmp_path, capsys):
    d = SHARED / "mit_i210"
    if not (d / "FIXATIONLOCS" / "i210.mat").is_file() or not (d / "ALLSTIMULI").is_dir():
        pytest.skip("../shared/data is absent")
    mat = d / "FIXATIONLOCS" / "i210.mat"
    rc, err = _ingest(capsys, [mat], d / "ALLSTIMULI", tmp_path / "o", "--sigma-px", "24", "--drop-first")
    assert _one_line(rc, err) == (f"saliency ingest: error: --drop-first: not used: no input has ordered fixations "
                                  f"({POOLED} without order or times, so none is first); leave it out")
    assert not (tmp_path / "o").exists()
    # without it every fixated pixel stays (an independent read of the matrix)
    rc, err = _ingest(capsys, [mat], d / "ALLSTIMULI", tmp_path / "o", "--sigma-px", "24")
    assert rc == 0, err
    m = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert m["counts"]["fixations"] == int((loadmat(mat)["fixations"] > 0).sum()) == 259
    assert m["policies"]["drop_first"] is False and m["counts"]["quarantined"] == 0


def test_mixed_inputs_drop_first_only_from_scanpaths(tmp_path, capsys):
    p = _fixlocs(tmp_path)
    csv = tmp_path / "fix.csv"  # s1: two fixations (the first at 0 ms), s2: one; stimulus pixels
    csv.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                   "s1,pic,5,3,300,200\ns1,pic,1,1,0,200\ns2,pic,3,2,0,200\n")
    rc, err = _ingest(capsys, [p, csv], tmp_path / "stim", tmp_path / "o", "--sigma-px", "1", "--detector",
                      "tracker", "--coords", "stimulus", "--drop-first")
    assert rc == 0, err
    out = tmp_path / "o"
    q = pd.read_csv(out / "quarantine.csv")
    # each scanpath's first: s1 at 0 ms (line 3 of the file), s2's only one (line 4); no pixel of the map
    assert sorted(zip(q["source"], q["line"], q["reason"], q["subject"])) == [
        (str(csv), 3, "first_fixation", "s1"), (str(csv), 4, "first_fixation", "s2")]
    fix = pd.read_csv(out / "fixations.csv")
    assert sorted(zip(fix["subject"], fix["x"], fix["y"])) == [
        ("pooled", 2.0, 1.0), ("pooled", 6.0, 4.0), ("pooled", 7.0, 0.0), ("s1", 5.0, 3.0)]
    m = json.loads((out / "dataset.json").read_text())
    assert [(r["format"], r["drop_first_applied"]) for r in m["inputs"]] == [("fixlocs", False), ("fixations", True)]
    assert m["inputs"][0]["pooled"] is True and m["inputs"][0]["rows"]["kept"] == 3
    assert m["policies"]["drop_first"] is True


# ---------------------------------------------------------------- 2. case-only stimulus match, two files

def _dogs(tmp_path, name):
    _image(tmp_path / "stim" / "Dog.png", 800, 600)
    _image(tmp_path / "stim" / "DOG.png", 200, 100)
    p = tmp_path / "fix.csv"
    p.write_text(f"subject,stimulus,x,y,t_start_ms,duration_ms\ns1,{name},50,50,0,200\ns2,{name},150,80,0,200\n")
    return p


def test_case_only_match_of_two_files_is_refused(tmp_path, capsys):
    p = _dogs(tmp_path, "dog")
    rc, err = _ingest(capsys, [p], tmp_path / "stim", tmp_path / "o", "--detector", "tracker", "--coords",
                      "stimulus", "--sigma-px", "5")
    assert _one_line(rc, err) == (
        f"saliency ingest: error: --stimuli {tmp_path / 'stim'}: DOG.png and Dog.png differ only in case, and the "
        f"logs name 'dog', which matches neither exactly; name the stimulus as its file is named, or keep one of "
        f"the files in the folder")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("name,size", [("Dog", (800, 600)), ("DOG.png", (200, 100))])
def test_exact_match_still_wins_beside_a_case_twin(tmp_path, capsys, name, size):
    p = _dogs(tmp_path, name)
    rc, err = _ingest(capsys, [p], tmp_path / "stim", tmp_path / "o", "--detector", "tracker", "--coords",
                      "stimulus", "--sigma-px", "5")
    assert rc == 0, err
    stem = Path(name).stem
    fix = pd.read_csv(tmp_path / "o" / "fixations.csv")
    assert fix["stimulus"].tolist() == [stem, stem]
    assert sorted(q.name for q in (tmp_path / "o" / "maps").iterdir()) == [f"{stem}.png"]
    with Image.open(tmp_path / "o" / "maps" / f"{stem}.png") as im:
        assert im.size == size


def test_case_only_match_of_one_file_still_found(tmp_path, capsys):
    _image(tmp_path / "stim" / "Dog.png", 80, 60)
    p = tmp_path / "fix.csv"
    p.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\ns1,dog,5,5,0,200\n")
    rc, err = _ingest(capsys, [p], tmp_path / "stim", tmp_path / "o", "--detector", "tracker", "--coords",
                      "stimulus", "--sigma-px", "5")
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "o" / "fixations.csv")["stimulus"].tolist() == ["Dog"]


# ---------------------------------------------------------------- 3. --columns key twice; Pro Lab fixations and eye

def test_columns_key_given_twice_is_refused(tmp_path, capsys):
    p = _dogs(tmp_path, "Dog")
    rc, err = _ingest(capsys, [p], tmp_path / "stim", tmp_path / "o", "--detector", "tracker", "--coords",
                      "stimulus", "--sigma-px", "5", "--columns", "x=x,stimulus=stimulus,x=y")
    # (before: the last mapping kept in silence, every x read from the y column)
    assert _one_line(rc, err) == ("saliency ingest: error: --columns: key 'x' given twice (x, y); give each key "
                                  "once")
    assert not (tmp_path / "o").exists()
    from saliency.data_tools.readers import parse_columns

    with pytest.raises(UserError) as exc:
        parse_columns("time=a,x=gx,time=b,time=c")
    assert str(exc.value) == "columns: key 'time' given 3 times (a, b, c); give each key once"
    assert parse_columns("time=a, x=gx") == {"time": "a", "x": "gx"}


def _study_ingest(study, capsys, out, *extra):
    return _ingest(capsys, [study / "logs" / "tobii.tsv"], study / "stimuli", out, "--geometry",
                   study / "screen.json", *extra)


def test_prolab_tracker_fixations_refuse_an_eye(study, tmp_path, capsys):
    log = study / "logs" / "tobii.tsv"
    rc, err = _study_ingest(study, capsys, tmp_path / "o", "--detector", "tracker", "--eye", "left")
    assert _one_line(rc, err) == (f"saliency ingest: error: {log}: --eye left: Tobii Pro Lab's fixations (Fixation "
                                  f"point X/Y) are of both eyes together, with no eye to choose; use --eye average")
    assert not (tmp_path / "o").exists()


def test_prolab_tracker_xy_refusal_gives_no_eye_advice(study, tmp_path, capsys):
    log = study / "logs" / "tobii.tsv"
    rc, err = _study_ingest(study, capsys, tmp_path / "o", "--detector", "tracker", "--columns",
                            "x=Gaze point X [DACS px],y=Gaze point Y [DACS px]")
    assert _one_line(rc, err) == (f"saliency ingest: error: {log}: --columns x/y: the tobii reader reads the "
                                  f"format's own columns")
    assert not (tmp_path / "o").exists()

"""Tidy-ups of ingest (data_tools/ingest.py, data_tools/stimuli.py, data_tools/readers/).

1. ``StimulusIndex.resolve(..., record=False)`` resolves a name as a kept row's name resolves, but records nothing:
   ingest's quarantined rows use it instead of copying and restoring the index's own tables. Hand-worked: a folder
   of ``beach.png`` and ``1.png``; the message text ``Trial 3 beach.jpg`` finds ``beach`` by its last word and
   ``1.0`` finds ``1``, each recorded only with ``record=True``; ``A/1.png`` resolved without recording binds no
   folder, so ``B/1.png`` is then accepted, while after ``A/1.png`` recorded it is refused (different folders).
"""

from __future__ import annotations

import numpy as np
import pytest

from saliency.base.errors import UserError


def _folder(tmp_path, names=("beach", "1")):
    import cv2

    d = tmp_path / "stim"
    d.mkdir()
    for nm in names:
        cv2.imwrite(str(d / f"{nm}.png"), np.full((8, 8), 128, np.uint8))
    return d


# ------------------------------------------------------------------ 1. resolve without recording

def test_resolve_without_recording_leaves_the_index_as_it_was(tmp_path):
    from saliency.data_tools.stimuli import StimulusIndex

    index = StimulusIndex(_folder(tmp_path))
    assert index.resolve("Trial 3 beach.jpg", last_word=True, record=False) == "beach"
    assert index.resolve("1.0", record=False) == "1"
    assert index.resolve("A/1.png", record=False) == "1"
    assert (index.by_last_word, index.by_whole_number) == ({}, {})
    assert index.resolve("B/1.png") == "1"  # nothing bound A's folder: B's is the first recorded
    with pytest.raises(UserError, match="in different folders"):  # compared against what was recorded
        index.resolve("A/1.png", record=False)
    # recorded as before when asked to (the default)
    assert index.resolve("Trial 3 beach.jpg", last_word=True) == "beach"
    assert index.resolve("1.0") == "1"
    assert (index.by_last_word, index.by_whole_number) == ({"Trial 3 beach.jpg": "beach"}, {"1.0": "1"})


# ------------------------------------------------------------------ 2. the file-named groups found once per run

def test_inputs_named_after_their_file_are_grouped_once_per_run(tmp_path, capsys, monkeypatch):
    """Two inputs without a subject column, ``s1/fix.csv`` and ``s2/fix.csv``, are both subject ``fix``: the run
    warns once that they are pooled, having looked for such inputs (each one's header read) once, not once for
    that warning and again for the (subject, stimulus) one."""
    from saliency.data_tools import ingest as ing
    from cli_fakes import run_cli

    calls = []
    real = ing._file_named_groups
    monkeypatch.setattr(ing, "_file_named_groups", lambda *a, **k: calls.append(1) or real(*a, **k))
    stim = _folder(tmp_path, ("img0",))
    logs = []
    for s, x in (("s1", 2), ("s2", 3)):  # different content: not one input given twice
        (tmp_path / s).mkdir()
        logs.append(tmp_path / s / "fix.csv")
        logs[-1].write_text(f"stimulus,x,y,duration_ms\nimg0,{x},2,250\nimg0,5,5,250\n")
    rc, out, err = run_cli(capsys, ["ingest", *logs, "--stimuli", stim, "--screen-px", "8x8", "--sigma-px", "1",
                                    "--out", tmp_path / "o", "--workers", "1"])
    assert rc == 0 and "Traceback" not in err, err
    pooled = [ln for ln in err.splitlines() if "subject 'fix': 2 different inputs without a subject column" in ln]
    assert len(pooled) == 1, err
    assert len(calls) == 1


# ------------------------------------------------------------------ 3. one --trials lookup

def test_trial_stimulus_is_the_one_trials_lookup(tmp_path):
    """Hand-worked on a table with a row for subject s1's trial 1 and rows for any subject's trials 1 and 2
    (a blank subject cell): s1's trial 1 is its own row's, s2's the any-subject row's; trial ``1.0`` (an ASC's
    ``TRIALID 1.0``) is trial 1; a trial the table lacks has no name."""
    from saliency.data_tools.stimuli import load_trials, trial_stimulus

    path = tmp_path / "trials.csv"
    path.write_text("subject,trial,stimulus\ns1,1,a.png\n,1,b.png\n,2,c.png\n")
    trials = load_trials(path)
    assert trial_stimulus(trials, "s1", "1") == "a.png"
    assert trial_stimulus(trials, "s2", "1") == "b.png"
    assert trial_stimulus(trials, "s1", " 1.0 ") == "a.png"
    assert trial_stimulus(trials, "s1", "2") == "c.png"
    assert trial_stimulus(trials, "s1", "3") == ""


# ------------------------------------------------------------------ 4. one rule for a long name in a message

LONG = "P" * 100  # a name longer than a message shows


def test_a_long_name_is_cut_to_80_characters_then_dots_in_every_message(tmp_path, capsys):
    """The rule: the name's first 80 characters quoted, then ``...`` outside the quotes. The subject-column
    refusal (readers/chunks.py) cut at 77 characters with the dots inside the quotes, as if part of the name;
    it now reads as the unknown-stimulus warning of ingest does."""
    from cli_fakes import run_cli
    from saliency.data_tools.geometry import ScreenGeometry
    from saliency.data_tools.ingest import IngestOptions, ingest

    cut = "'" + "P" * 80 + "'..."
    stim = _folder(tmp_path, ("img",))
    # the subject column is blank on the first chunk (lines 2-101), then line 152 names the long subject
    log = tmp_path / "p01.csv"
    log.write_text("subject,stimulus,time,x,y\n" + "".join(
        f"{LONG if i + 2 == 152 else ''},img.png,{4 * i},4,4\n" for i in range(300)))
    with pytest.raises(UserError) as exc:
        ingest([log], stim, tmp_path / "o", IngestOptions(geometry=ScreenGeometry((8, 8), (40.0, 30.0), 60.0),
                                                           sigma_px=1.0, sigma_deg=None, ioc=False, chunk_rows=100))
    assert f"column 'subject' names subject {cut}, but it is blank on lines 2-101" in exc.value.args[0]
    # the unknown-stimulus warning, as before
    fix = tmp_path / "fix.csv"
    fix.write_text(f"subject,stimulus,x,y,duration_ms\nA,img,2,2,250\nA,{LONG},2,2,250\n")
    rc, out, err = run_cli(capsys, ["ingest", fix, "--stimuli", stim, "--screen-px", "8x8", "--sigma-px", "1",
                                    "--out", tmp_path / "o2", "--workers", "1"])
    assert rc == 0, err
    assert f"1 rows name a stimulus not in {stim}: looked for {cut}; available: 'img'" in err

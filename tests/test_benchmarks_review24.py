"""Review stop 24 of ``benchmarks/``: a missing input folder stops ``ablation.py`` and ``train_synthetic.py`` at once.

Found in review: ``ablation.py --real /nonexistent`` (also ``--study``,
``--backgrounds``) and ``train_synthetic.py --study /nonexistent`` (also
``--fix-data``) wrote ``--work``, synthesised and trained for 20 s, then
failed with two lines and exit status 1; ``ablation.py`` had recorded the bad
path in ``--work``'s settings, so the corrected command in the same ``--work``
was refused. docs/BENCHMARKS.md promises one line naming the option and exit
status 2.

Oracles: the exact line and status of the project's convention (one line on
stderr, status 2, no traceback), and the ``--work`` folder absent, or byte for
byte as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.bench_fakes import MARK, load, refused as _refused, script as _script, tree as _tree


def _load(name: str):
    """``benchmarks/NAME.py`` as a module."""
    return load(name, "bench_review24")


NONE = "/nonexistent/saliency-review24"

STUDY_HINT = "give a saliency synth folder, or leave --study out to write one into --work"
BG_HINT = "give a folder of photographs (e.g. ../shared/data/osie/stimuli)"
REAL_HINT = "give a folder of photographs and their masks (e.g. ../shared/data/sod_real18)"
FIX_HINT = "give a saliency ingest folder, or leave --fix-data out to write one into --work"


def _not_a_dataset(tmp_path: Path) -> Path:
    """A folder that exists but holds none of what the options need (a text file only)."""
    d = tmp_path / "somefolder"
    d.mkdir()
    (d / "notes.txt").write_text("not data\n")
    return d


# a few scenes and one epoch: the old scripts fail fast enough too (they synthesised before failing)
SMALL = ("--scenes", "4", "--epochs", "1", "--seeds", "0", "--attentions", "none")


@pytest.mark.parametrize("option, hint", [("--real", REAL_HINT), ("--study", STUDY_HINT),
                                          ("--backgrounds", BG_HINT)], ids=["real", "study", "backgrounds"])
def test_ablation_missing_folder_is_one_line_and_work_not_made(tmp_path, option, hint):
    work = tmp_path / "w"
    _refused(_script("ablation", option, NONE, "--work", work, *SMALL),
             f"error: {option} {NONE}: folder not found; {hint}")
    assert not work.exists()  # nothing recorded: the corrected command may use the same --work


@pytest.mark.parametrize("option, what, hint", [("--real", "needs images/ and masks/", REAL_HINT),
                                                ("--study", "no study.json in it", STUDY_HINT),
                                                ("--backgrounds", "no image files (png, jpg, ...) in it", BG_HINT)],
                         ids=["real", "study", "backgrounds"])
def test_ablation_folder_without_its_data_is_one_line(tmp_path, option, what, hint):
    d = _not_a_dataset(tmp_path)
    work = tmp_path / "w"
    _refused(_script("ablation", option, d, "--work", work, *SMALL), f"error: {option} {d}: {what}; {hint}")
    assert not work.exists()


def test_ablation_bad_real_leaves_a_resumed_work_untouched(tmp_path):
    """A --work of an earlier ablation (its settings, a finished run) is not rewritten by a typo in --real."""
    work = tmp_path / "w"
    (work / "none_s0").mkdir(parents=True)
    settings = {"backgrounds": None, "epochs": 1, "real": None, "scenes": 4, "set": [], "study": None}
    (work / "benchmark-settings.json").write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n")
    (work / "none_s0" / "done.json").write_text('{"train_s": 1.0}\n')
    before = _tree(work)
    _refused(_script("ablation", "--real", NONE, "--work", work, *SMALL),
             f"error: --real {NONE}: folder not found; {REAL_HINT}")
    assert _tree(work) == before


def test_ablation_good_folders_pass_the_check(tmp_path):
    """The layouts the runs read are accepted (study.json; an image file; images/ + masks/)."""
    ablation = _load("ablation")
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "study.json").write_text("{}\n")
    (tmp_path / "bg").mkdir()
    (tmp_path / "bg" / "a.JPG").write_bytes(b"")
    for sub in ("images", "masks"):
        (tmp_path / "real" / sub).mkdir(parents=True)
    ablation.check_inputs(SimpleNamespace(study=str(tmp_path / "study"), backgrounds=str(tmp_path / "bg"),
                                          real=str(tmp_path / "real")))
    ablation.check_inputs(SimpleNamespace(study=None, backgrounds=None, real=None))


@pytest.mark.parametrize("option, hint", [("--study", STUDY_HINT), ("--fix-data", FIX_HINT)], ids=["study", "fix-data"])
def test_train_synthetic_missing_folder_is_one_line_and_work_not_made(tmp_path, option, hint):
    work = tmp_path / "w"
    _refused(_script("train_synthetic", option, NONE, "--work", work, "--scenes", "4", "--skip-sod"),
             f"error: {option} {NONE}: folder not found; {hint}")
    assert not work.exists()


@pytest.mark.parametrize("option, what, hint", [("--study", "no study.json in it", STUDY_HINT),
                                                ("--fix-data", "no dataset.json in it", FIX_HINT)],
                         ids=["study", "fix-data"])
def test_train_synthetic_bad_input_keeps_its_own_scratch_folder(tmp_path, option, what, hint):
    """A scratch --work of an earlier run (its mark, a report) is not replaced before the input is checked."""
    d = _not_a_dataset(tmp_path)
    work = tmp_path / "w"
    work.mkdir()
    (work / MARK).write_text("made by a saliency benchmark; replaced by the next run\n")
    (work / "report.json").write_text('{"steps": []}\n')
    before = _tree(work)
    _refused(_script("train_synthetic", option, d, "--work", work, "--scenes", "4", "--skip-sod"),
             f"error: {option} {d}: {what}; {hint}")
    assert _tree(work) == before


def test_train_synthetic_good_folders_pass_the_check(tmp_path):
    train_synthetic = _load("train_synthetic")
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "study.json").write_text("{}\n")
    (tmp_path / "fix").mkdir()
    (tmp_path / "fix" / "dataset.json").write_text("{}\n")
    train_synthetic.check_inputs(SimpleNamespace(study=str(tmp_path / "study"), fix_data=str(tmp_path / "fix")))
    train_synthetic.check_inputs(SimpleNamespace(study=None, fix_data=None))

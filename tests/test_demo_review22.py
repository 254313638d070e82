"""Review 22: ``demo --fresh`` never deletes a user's file inside the demo's folders; quarantine counts labelled.

1. ``saliency demo --fresh`` removed every folder of ``OWN_ENTRIES`` whole,
   so a user's ``runs/my_own_run/best.pt`` or ``eval/my_results.json`` was
   deleted with the demo's outputs. Now anything the demo did not write
   stops it, in one line naming the entry, before anything is removed.
2. The demo's summary and the report's study table called
   ``counts.quarantined`` (input rows + detected fixations, e.g. 445 + 2)
   "rows quarantined".

Every folder here is built by hand (a whole demo takes minutes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from saliency.demo import LAYOUT_VERSION, Demo, foreign_entries, make_profile
from saliency.report import study_summary


def _never_called(command, argv):  # opening the folder runs no stage
    raise AssertionError(f"a stage ran: {command} {argv}")


def _record(out, quick=True):
    """A demo's demo.json (the settings of ``--quick``, one finished stage)."""
    settings = {"layout": LAYOUT_VERSION, "profile": asdict(make_profile(quick=quick))}
    (out / "demo.json").write_text(json.dumps({"settings": settings, "stages": {"study": {"seconds": 1.0}}}))


def _write(out, rel, data=b"x"):
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _hashes(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


DEMO_FILES = ("study/study.json", "study/screen.json", "study/stimuli/s0001.png", "study/masks/s0001.png",
              "study/logs/samples.csv", "study/logs/trials.csv", "study/truth/objects.csv",
              "fix_samples/dataset.json", "fix_samples/quarantine.csv", "fix_samples/maps/s0001.png",
              "fix_samples/stimuli/s0001.png", "fix_tobii/center_bias.png", "fix_eyelink/fixations/s0001.png",
              "runs/sod/config.yaml", "runs/sod/split.json", "runs/sod/metrics.csv", "runs/sod/checkpoints/best.pt",
              "runs/sod/checkpoints/last.pt", "runs/sod/grids/epoch_001.png",
              "runs/fixation/checkpoints/.last.pt.abc123.tmp",  # a killed checkpoint write
              "runs/fixation/config.yaml", "runs/fixation/checkpoints/last.pt",
              "heldout/images/s0001.png", "heldout/masks/s0001.png", "heldout/center_bias/s0001.png",
              "heldout/fixation/center_bias.png", "heldout/fixation/maps/s0001.png",
              "preds/sod/s0001.png", "preds/fixation/s0001.png",
              "eval/sod.json", "eval/fixation.json", "eval/curves/heldout_pr.png", "eval/curves/heldout_fm.pdf",
              "report/report.md", "report/report.html", "report/assets/training_sod.png")


def _demo_folder(out):
    """A demo folder as the demo leaves it (one file of each kind it writes) and a user's notes beside it."""
    out.mkdir()
    _record(out)
    for rel in DEMO_FILES:
        _write(out, rel)
    _write(out, "report/assets/.saliency-report", b'saliency report\nfiles: ["training_sod.png"]\n')
    _write(out, "NOTES.txt", b"mine\n")


def test_fresh_refuses_a_users_files_inside_the_demos_folders_and_removes_nothing(tmp_path, capsys):
    out = tmp_path / "demo"
    _demo_folder(out)
    _write(out, "runs/my_own_run/best.pt", b"my checkpoint\n")
    _write(out, "eval/my_results.json", b'{"mine": 1}\n')
    before = _hashes(out)
    assert main(["demo", "--quick", "--fresh", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"saliency demo: error: --out {out}/runs/my_own_run (and 1 more entry): not written "
                            f"by saliency demo, which removes {out}/runs whole with --fresh; nothing was removed: "
                            f"move it out of {out}/runs (or choose another --out)\n")
    assert captured.out == ""  # refused before the demo started
    assert _hashes(out) == before  # every file still there, byte for byte
    assert foreign_entries(out) == [out / "runs" / "my_own_run", out / "eval" / "my_results.json"]


def test_a_foreign_entry_deeper_down_or_in_the_reports_assets_is_named(tmp_path):
    """A user's file beside a command's own outputs (a run's checkpoints, the report's pictures) is the user's."""
    out = tmp_path / "demo"
    _demo_folder(out)
    _write(out, "runs/sod/checkpoints/epoch_5_mine.pt")
    _write(out, "report/assets/my_figure.png")
    (out / "preds" / "sod" / "s0002.png").mkdir()  # a folder where the demo writes a file
    before = _hashes(out)
    assert foreign_entries(out) == [out / "runs" / "sod" / "checkpoints" / "epoch_5_mine.pt",
                                    out / "preds" / "sod" / "s0002.png", out / "report" / "assets" / "my_figure.png"]
    with pytest.raises(UserError) as err:
        Demo(out, make_profile(quick=True), device="cpu", fresh=True, log=lambda *a: None, call=_never_called)
    assert str(err.value).startswith(f"out {out}/runs/sod/checkpoints/epoch_5_mine.pt (and 2 more entries): not "
                                     f"written by saliency demo, which removes {out}/runs whole with fresh; nothing "
                                     "was removed")
    assert _hashes(out) == before


def test_fresh_still_clears_a_folder_holding_only_what_the_demo_wrote(tmp_path):
    out = tmp_path / "demo"
    _demo_folder(out)
    (out / "figures").mkdir()  # the user's, beside the demo's folders: kept
    _write(out, "figures/fig1.png", b"mine")
    assert foreign_entries(out) == []
    demo = Demo(out, make_profile(quick=True), device="cpu", fresh=True, log=lambda *a: None, call=_never_called)
    assert sorted(p.name for p in out.iterdir()) == ["NOTES.txt", "demo.json", "figures"]
    assert (out / "NOTES.txt").read_bytes() == b"mine\n" and (out / "figures" / "fig1.png").read_bytes() == b"mine"
    assert demo.state["stages"] == {}


# ---------------------------------------------------------------- 2: quarantine counts

#: 3 + 2 sample rows and 4 detected fixations quarantined: 9 in all (worked by hand)
DATASET = {"counts": {"stimuli": 2, "subjects": 1, "fixations": 20, "quarantined": 9,
                      "quarantine_by_reason": {"off_screen": 3, "non_numeric": 2, "off_stimulus": 4}},
           "inputs": [{"path": "a.csv", "kind": "samples",
                       "rows": {"read": 105, "kept": 100, "quarantined": {"off_screen": 3, "non_numeric": 2},
                                "counted": {}, "fixations": {"detected": 24, "kept": 20,
                                                             "quarantined": {"off_stimulus": 4}}}}]}


def test_the_reports_study_table_tells_rows_from_detected_fixations(tmp_path):
    ds = tmp_path / "dataset.json"
    ds.write_text(json.dumps(DATASET))
    rows = study_summary(ds)
    assert rows[:6] == [("stimuli", "2"), ("subjects", "1"), ("fixations kept", "20"),
                        ("quarantined (rows and detected fixations)", "9"), ("input rows quarantined", "5"),
                        ("detected fixations quarantined", "4")]
    assert "rows quarantined" not in dict(rows)
    # a fixation list (no detection): its rows are the fixations; no inputs at all: the total alone
    fixlist = {"counts": {"quarantined": 7}, "inputs": [{"rows": {"quarantined": {"short_fixation": 7}}}]}
    ds.write_text(json.dumps(fixlist))
    assert study_summary(ds) == [("quarantined (rows and detected fixations)", "7"), ("input rows quarantined", "7"),
                                 ("detected fixations quarantined", "0")]
    ds.write_text(json.dumps({"counts": {"quarantined": 7}}))
    assert study_summary(ds) == [("quarantined (rows and detected fixations)", "7")]


def test_the_demo_summary_line_tells_rows_from_detected_fixations(tmp_path):
    out = tmp_path / "demo"
    calls = []
    demo = Demo(out, make_profile(quick=True), device="cpu", log=lambda *a: None,
                call=lambda command, argv: calls.append(command) or 0)
    _write(out, "fix_samples/dataset.json", json.dumps(DATASET).encode())
    info = demo._ingest("samples", ["samples.csv"], [])
    assert calls == ["ingest"]
    assert (info["quarantined"], info["rows_quarantined"], info["fixations_quarantined"]) == (9, 5, 4)
    demo.state["stages"]["ingest_samples"] = info
    assert demo.summary_lines()[0] == ("Study: 64 synthetic scenes, 1 observers; 20 fixations detected by nh "
                                       "(Nystrom & Holmqvist 2010) in the raw samples, 5 sample rows and 4 detected "
                                       "fixations quarantined.")
    # a demo.json written before the split was recorded: the total, labelled as what it is
    demo.state["stages"]["ingest_samples"] = {"subjects": 8, "fixations": 5177, "quarantined": 447}
    assert demo.summary_lines()[0].endswith("in the raw samples, 447 quarantined (rows and detected fixations).")

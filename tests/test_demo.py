"""``saliency demo``: the whole path on a tiny synthetic study, its figures against ``saliency eval``, resumption.

The demo here is shrunk (12 scenes, 3 observers, 1 epoch) so that it runs in
seconds; its size changes what it scores, not what it does. The full-size run
and its timing are in docs/BENCHMARKS.md (section Demo), never in this suite.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

import saliency.commands.demo as demo_cmd

TINY = ["--scenes", "12", "--subjects", "3", "--epochs", "1", "--quick", "--device", "cpu"]
STAGES = ["study", "ingest_samples", "ingest_eyelink", "ingest_tobii", "agree", "train_sod", "train_fixation",
          "heldout", "predict_sod", "predict_fixation", "eval_sod", "eval_fixation", "report"]


def saliency(*args):
    """``python -m saliency ARGS`` in a subprocess, as a user types it."""
    return subprocess.run([sys.executable, "-m", "saliency", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "d"
    r = saliency("demo", "--out", str(out), *TINY)
    assert r.returncode == 0, r.stderr[-3000:]
    return out, r.stdout


def test_every_stage_ran_and_wrote_its_outputs(demo):
    out, stdout = demo
    state = json.loads((out / "demo.json").read_text())
    assert list(state["stages"]) == STAGES
    for path in ("study/stimuli", "study/logs/samples.csv", "fix_samples/dataset.json", "fix_eyelink/maps",
                 "fix_tobii/maps", "runs/sod/checkpoints/best.pt", "runs/fixation/checkpoints/best.pt",
                 "eval/sod.json", "eval/fixation.json", "report/report.md", "report/report.html"):
        assert (out / path).exists(), path
    held = sorted(p.stem for p in (out / "heldout" / "images").iterdir())
    # held out = the validation split of both runs; never trained on
    for task in ("sod", "fixation"):
        split = json.loads((out / "runs" / task / "split.json").read_text())
        assert sorted(split["val"]) == held and not set(split["train"]) & set(held)
    # the hidden mark of a folder output (.saliency-output.json, review finding 1) is no prediction
    assert sorted(p.stem for p in (out / "preds" / "sod").iterdir() if not p.name.startswith(".")) == held
    # no staging leftovers
    assert not list(out.rglob("*.partial")) and not list(out.rglob(".*.tmp"))
    # everything written is in the demo's LAYOUT, so `--fresh` on a real demo folder never refuses
    from saliency.demo import foreign_entries

    assert foreign_entries(out) == []
    page = (out / "report" / "report.html").read_text()
    for anchor in ("key-figures", "study", "training", "metrics", "curves", "gallery"):
        assert f'id="{anchor}"' in page
    assert "Report: " in stdout and "report.html" in stdout


def test_the_three_exports_agree(demo):
    out, _ = demo
    pairs = json.loads((out / "demo.json").read_text())["stages"]["agree"]["pairs"]
    assert set(pairs) == {"samples~eyelink", "samples~tobii", "eyelink~tobii"}
    assert all(v["mean_cc"] >= 0.99 for v in pairs.values())


def test_printed_figures_are_those_of_saliency_eval(demo, tmp_path):
    """The summary's Fmax and CC equal a separate `saliency eval` run on the same files (to the printed digits)."""
    out, stdout = demo
    for task, key in (("sod", "Fmax"), ("fixation", "CC")):
        line = next(ln for ln in stdout.splitlines() if ln.strip().startswith("saliency eval --task " + task))
        argv = line.split()[2:]
        js = tmp_path / f"{task}.json"
        r = saliency("eval", *argv, "--json", str(js), "--quiet")
        assert r.returncode == 0, r.stderr
        results = {x["method"]: x["metrics"] for x in json.loads(js.read_text())["results"]}
        model = f"unet_tiny_cbam_{task}"
        assert set(results) == {model, "CenterBias"}
        label = "SOD" if task == "sod" else "Fixation"
        printed = re.search(rf"{label}, \d+ held-out scenes, {model}: .*?{key} ([0-9.]+)", stdout)
        assert printed, stdout[-2000:]
        assert float(printed.group(1)) == pytest.approx(results[model][key], abs=5e-4)  # printed to 3 decimals
        base = re.search(rf"{label}, \d+ held-out scenes, centre-bias baseline: .*?{key} ([0-9.]+)", stdout)
        assert float(base.group(1)) == pytest.approx(results["CenterBias"][key], abs=5e-4)
        # and the demo's own JSON holds the very same numbers
        mine = {x["method"]: x["metrics"] for x in json.loads((out / "eval" / f"{task}.json").read_text())["results"]}
        assert mine == results


def test_interrupted_demo_resumes_without_redoing_finished_stages(demo, tmp_path, monkeypatch, capsys):
    from saliency.cli import main

    src, _ = demo
    out = tmp_path / "d"
    shutil.copytree(src, out, symlinks=True)
    state = json.loads((out / "demo.json").read_text())
    # as if Ctrl-C had hit the fixation training: the later stages are not recorded
    for s in STAGES[STAGES.index("train_fixation"):]:
        del state["stages"][s]
    (out / "demo.json").write_text(json.dumps(state))
    shutil.rmtree(out / "report")
    kept = {p: (out / p).stat().st_mtime_ns for p in ("study/study.json", "fix_samples/dataset.json",
                                                       "runs/sod/checkpoints/best.pt")}
    calls = []
    real = demo_cmd.call

    def interrupt_training(command, argv):
        calls.append((command, argv))
        if command == "train":
            raise KeyboardInterrupt
        return real(command, argv)

    monkeypatch.setattr(demo_cmd, "call", interrupt_training)
    assert main(["demo", "--out", str(out), *TINY]) == 130
    err = capsys.readouterr().err
    assert "interrupted during stage train_fixation" in err and len(err.strip().splitlines()) == 1
    assert [c for c, _ in calls] == ["train"]
    # the fixation run has its last.pt (from the copied run): the demo resumes it instead of starting over
    assert calls[0][1][:2] == ["--resume", str(out / "runs" / "fixation")]

    calls.clear()

    def spy(command, argv):
        calls.append((command, argv))
        return real(command, argv)

    monkeypatch.setattr(demo_cmd, "call", spy)
    assert main(["demo", "--out", str(out), *TINY]) == 0
    stdout = capsys.readouterr().out
    assert [c for c, _ in calls] == ["train", "predict", "predict", "eval", "eval"]
    # the commands printed are the ones a user would type: predict wrote into a hidden staging folder
    assert [a[a.index("--out") + 1] for c, a in calls if c == "predict"] == [str(out / "preds" / t)
                                                                          for t in ("sod", "fixation")]
    assert ".partial" not in stdout
    assert "1/7 synthetic study (saliency synth): done earlier, reused" in stdout
    assert {p: (out / p).stat().st_mtime_ns for p in kept} == kept
    assert list(json.loads((out / "demo.json").read_text())["stages"]) == STAGES
    assert (out / "report" / "report.html").is_file()


def test_other_settings_or_foreign_folder_refused(demo, tmp_path):
    out, _ = demo
    before = (out / "demo.json").read_bytes()
    r = saliency("demo", "--out", str(out), "--quick", "--scenes", "14", "--subjects", "3", "--epochs", "1")
    assert r.returncode == 2 and "--fresh" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr and (out / "demo.json").read_bytes() == before
    foreign = tmp_path / "f"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    r = saliency("demo", "--out", str(foreign), *TINY)
    assert r.returncode == 2 and "demo.json" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert [p.name for p in foreign.iterdir()] == ["thesis.tex"]
    r = saliency("demo", "--out", str(tmp_path / "g"), "--scenes", "5")
    assert r.returncode == 2 and "--scenes 5" in r.stderr and not (tmp_path / "g").exists()

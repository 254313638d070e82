"""Review stop 28 of ``benchmarks/``: options that were ignored, unchecked or ended in a traceback are refused.

Found in review: ``eval_speed.py`` ran as if ``--cli-n``, ``--cli-repeats``,
``--skip-in-process`` or ``--one-thread-baseline`` were absent when their part
was skipped (``--one-thread-baseline --skip-in-process`` even printed "JSON
identical ... in process and fresh" with nothing run in process);
``predict_speed.py --n 5000 --skip-cli`` likewise; ``train_throughput.py``
ended ``--device foo`` and ``--models foo`` in tracebacks, silently replaced
``--batch``/``--size``/``--images`` under ``--quick``, printed 0.0 img/s for
``--batch 0``, refused a user's ``--work`` only after the model timings, and
wrote its no-CUDA refusal to stdout; ``mit1003_subset.py --top 0``, ``--top
1.5`` and ``--seed -1`` ended in tracebacks and ``--epochs 0`` silently ran
the recipe's epochs; ``models.py --runs 0`` printed NaN latencies (and would
have written them into docs/BENCHMARKS.md), and its usage errors were four
lines. docs/BENCHMARKS.md's coarse-to-fine table and Machine sentence
differed from what ``models.py`` writes.

Oracles: the one-line refusals of the project's convention written out here
by hand (stderr, exit status 2, nothing run: each case is refused before any
timing, so the old scripts, which went on to the work, fail fast on a missing
input or a different message), and for ``models.py`` the lines of
docs/BENCHMARKS.md's ``## Models`` section.
"""

from __future__ import annotations

import re
import sys

import pytest

from tests.bench_fakes import REPO, load, refused, script


def _usage(name: str, why: str) -> str:
    """The one usage line of ``benchmarks/NAME.py`` (scratch.ArgumentParser)."""
    return f"{name}.py: error: {why} (see '{name}.py --help')"


# ---------------------------------------------------------------- 1: eval_speed.py

SKIPPED_CLI = "an option of the end-to-end part; leave it out with --skip-cli (that part is skipped)"


@pytest.mark.parametrize("args, option", [
    (("--cli-n", "5", "--skip-cli"), "--cli-n"),
    (("--cli-repeats", "2", "--skip-cli"), "--cli-repeats"),
    (("--skip-in-process", "--skip-cli"), "--skip-in-process"),
    (("--one-thread-baseline", "--skip-cli"), "--one-thread-baseline"),
], ids=["cli-n", "cli-repeats", "skip-in-process", "one-thread-baseline"])
def test_eval_speed_option_of_skipped_end_to_end_part_is_refused(args, option):
    # --n 2 --repeats 1: what the old script ran instead stays small
    p = script("eval_speed", "--n", "2", "--repeats", "1", *args)
    refused(p, _usage("eval_speed", f"{option}: {SKIPPED_CLI}"))
    assert p.stdout == ""


def test_eval_speed_one_thread_baseline_with_skip_in_process_is_refused():
    p = script("eval_speed", "--n", "2", "--repeats", "1", "--cli-repeats", "1", "--one-thread-baseline",
               "--skip-in-process")
    refused(p, _usage("eval_speed", "--one-thread-baseline: an in-process timing; leave it out with "
                                    "--skip-in-process (only fresh processes are timed)"))
    assert p.stdout == ""


def test_eval_speed_skip_in_process_claims_only_fresh_processes():
    p = script("eval_speed", "--n", "2", "--repeats", "1", "--cli-repeats", "1", "--skip-in-process")
    assert p.returncode == 0, p.stderr[-2000:]
    assert "in this process" not in p.stdout
    assert p.stdout.splitlines()[-1] == "JSON identical for 1 and 2 workers, fresh: True"


# ---------------------------------------------------------------- 2: predict_speed.py

def test_predict_speed_n_with_skip_cli_is_refused(tmp_path):
    # one photo: the old script, which took --n, went on to time the network only
    (tmp_path / "a.png").write_bytes(b"")
    p = script("predict_speed", "--skip-cli", "--n", "5000", "--images", tmp_path, "--repeats", "1")
    refused(p, _usage("predict_speed", "--n: an option of the saliency predict part; leave it out with --skip-cli "
                                       "(that part is skipped)"))
    assert p.stdout == ""


# ---------------------------------------------------------------- 3: train_throughput.py

def test_train_throughput_bad_values_are_one_usage_line(tmp_path):
    work = tmp_path / "w"
    cases = [
        (("--device", "foo"), "argument --device: 'foo': choose cuda, cuda:N or cpu"),
        (("--device", "cpu", "--quick", "--models", "foo"),
         "argument --models: 'foo': 'foo' is not a registered SOD model; give comma-separated names of "
         "'saliency models --filter \"*_sod\" --names-only'"),
        (("--device", "cpu", "--quick", "--models", "unet_tiny_cbam_fixation"),
         "argument --models: 'unet_tiny_cbam_fixation': 'unet_tiny_cbam_fixation' is not a registered SOD model; "
         "give comma-separated names of 'saliency models --filter \"*_sod\" --names-only'"),
        (("--device", "cpu", "--batch", "0", "--skip-epoch"), "argument --batch: '0': must be at least 1"),
        (("--device", "cpu", "--quick", "--batch", "64", "--size", "320", "--images", "5000"),
         "--batch: --quick sets batch 2, 64x64, 40 images, 1 worker; leave it out with --quick"),
        (("--device", "cpu", "--quick", "--size", "320"),
         "--size: --quick sets batch 2, 64x64, 40 images, 1 worker; leave it out with --quick"),
        (("--device", "cpu", "--quick", "--skip-epoch", "--images", "80"),
         "--images: an option of the epoch run; leave it out with --skip-epoch (that run is skipped)"),
    ]
    for args, why in cases:
        p = script("train_throughput", "--work", work, *args) if "--skip-epoch" not in args else \
            script("train_throughput", *args)
        refused(p, _usage("train_throughput", why))
        assert p.stdout == ""
    assert not work.exists()


def test_train_throughput_no_cuda_is_one_line_on_stderr(tmp_path):
    p = script("train_throughput", "--work", tmp_path / "w")  # the helper hides every GPU (CUDA_VISIBLE_DEVICES="")
    refused(p, "error: --device cuda: no CUDA device; this benchmark needs a GPU (use --device cpu --quick for a "
               "smoke run)")
    assert p.stdout == ""
    assert not (tmp_path / "w").exists()


def test_train_throughput_user_folder_is_refused_before_the_model_timings(tmp_path):
    user = tmp_path / "userdir"
    user.mkdir()
    (user / "notes.txt").write_text("mine\n")
    p = script("train_throughput", "--device", "cpu", "--quick", "--work", user)
    refused(p, f"error: --work {user}: exists and is not a scratch folder a benchmark made (no "
               ".saliency-benchmark-scratch); give a new path or empty it yourself")
    assert p.stdout == ""  # no model timed (the old script printed the table first)
    assert [f.name for f in user.iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------- 4: mit1003_subset.py

TOP = "must be between 1e-05 and 0.5 (saliency train's data.fixation_top)"


@pytest.mark.parametrize("option, value, why", [
    ("--top", "0", f"'0': {TOP}"),
    ("--top", "1.5", f"'1.5': {TOP}"),
    ("--top", "0.6", f"'0.6': {TOP}"),
    ("--seed", "-1", "'-1': must be between 0 and 4294967295"),
    ("--epochs", "0", "'0': must be at least 1"),
], ids=["top-0", "top-1.5", "top-0.6", "seed-neg", "epochs-0"])
def test_mit1003_subset_bad_value_is_one_usage_line(tmp_path, option, value, why):
    # --data missing: the old script, which took the value, stopped there with another line (nothing trained)
    work = tmp_path / "w"
    p = script("mit1003_subset", "--work", work, "--data", tmp_path / "nope", option, value)
    refused(p, _usage("mit1003_subset", f"argument {option}: {why}"))
    assert not work.exists()


def test_mit1003_subset_usage_error_is_one_line():
    refused(script("mit1003_subset"), _usage("mit1003_subset", "the following arguments are required: --work"))


# ---------------------------------------------------------------- 5: models.py

@pytest.mark.parametrize("option, value, why", [
    ("--runs", "0", "'0': must be at least 1"),
    ("--runs", "-1", "'-1': must be at least 1"),
    ("--c2f-steps", "0", "'0': must be at least 1"),
    ("--train-seconds", "-5", "'-5': must be positive"),
    ("--fixation-seconds", "nan", "'nan': must be a finite number"),
], ids=["runs-0", "runs-neg", "c2f-steps-0", "train-seconds-neg", "fixation-seconds-nan"])
def test_models_bad_value_is_one_usage_line(monkeypatch, capsys, option, value, why):
    # in this process, measurement stubbed out: the old script went on with the value (and would have written
    # the doc without --no-write)
    mod = load("models", "bench_review28b")
    for fn in ("model_rows", "c2f_speed", "c2f_main", "train_check", "fixation_check", "write_section"):
        monkeypatch.setattr(mod, fn, lambda *a, **k: pytest.fail("measured or wrote despite a bad value"))
    monkeypatch.setattr(sys, "argv", ["models.py"])
    with pytest.raises(SystemExit) as e:
        mod.main(["--no-write", option, value])
    assert (e.value.code, capsys.readouterr().err) == (2, _usage("models", f"argument {option}: {why}") + "\n")


@pytest.mark.parametrize("option, value, why", [
    ("--runs", "0", "'0': must be at least 1"),
    ("--train-seconds", "-5", "'-5': must be positive"),
], ids=["runs-0", "train-seconds-neg"])
def test_models_bad_value_refused_as_a_user_types_it(option, value, why):
    refused(script("models", "--c2f", "--no-train", option, value), _usage("models", f"argument {option}: {why}"))


def _models_section() -> list[str]:
    """The non-empty lines of docs/BENCHMARKS.md's ``## Models`` section."""
    text = (REPO / "docs" / "BENCHMARKS.md").read_text(encoding="utf-8")
    sec = re.search(r"^## Models\n.*?(?=^## )", text, re.S | re.M).group(0)
    return [ln for ln in sec.splitlines() if ln.strip()]


def test_models_writes_the_coarse_to_fine_table_and_machine_sentence_the_doc_holds(monkeypatch, capsys):
    """The script's template (measurements stubbed) against the lines of the doc's Models section."""
    mod = load("models", "bench_review28b")
    row = {"model": "unet_tiny_cbam_sod", "task": "sod", "attention": "cbam", "encoder": "tiny", "params_m": 0.69,
           "gmac": 0.67, "latency_ms": 29.0}
    monkeypatch.setattr(mod, "model_rows", lambda *a, **k: [row])
    monkeypatch.setattr(mod, "c2f_speed", lambda pairs, **k: [
        {"c2f": c, "dense": d, "batch": b, "threads": 2, "c2f_ms": 10.0, "dense_ms": 20.0}
        for c, d in pairs for b in (1, 8)])
    monkeypatch.setattr(mod, "compute_savings", lambda *a, **k: {
        "coarse_gmac": 0.17, "c2f_gmac": 0.5, "fine_everywhere_gmac": 1.46, "saved_fraction": 0.66})
    monkeypatch.setattr(mod.models, "create_model", lambda name: None)
    monkeypatch.setattr(mod, "train_step_ms", lambda *a, **k: 48.0)
    monkeypatch.setattr(mod, "train_check", lambda *a, **k: {"steps": 1, "images": 8, "maxF": 0.9, "MAE": 0.01})
    monkeypatch.setattr(mod, "fixation_check", lambda *a, **k: {
        "steps": 1, "before": {"CC": 0.1, "NSS": 0.4, "KLD": 2.5}, "after": {"CC": 0.8, "NSS": 5.0, "KLD": 0.3}})
    monkeypatch.setattr(mod.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    monkeypatch.setattr(mod, "write_section", lambda text: pytest.fail("--no-write wrote the doc"))
    assert mod.main(["--no-write"]) == 0
    out = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    doc = _models_section()
    # the Machine sentence after the machine's own description (which the doc records for its machine)
    tail = re.compile(r"^Machine: .*? \(torch threads: \d+\); ")
    assert [tail.sub("", ln) for ln in out if ln.startswith("Machine: ")] == \
        [tail.sub("", ln) for ln in doc if ln.startswith("Machine: ")]
    # the coarse-to-fine heading, the table's header and alignment row, its row shape, and the note below it
    h_out, h_doc = out.index(next(ln for ln in out if ln.startswith("### Coarse"))), \
        doc.index(next(ln for ln in doc if ln.startswith("### Coarse")))
    assert out[h_out:h_out + 3] == doc[h_doc:h_doc + 3]
    assert [ln.count("|") for ln in out[h_out + 3:h_out + 5]] == [ln.count("|") for ln in doc[h_doc + 3:h_doc + 5]]
    assert out[h_out + 5] == doc[h_doc + 5]


def test_predict_speed_images_with_skip_cli_is_refused(tmp_path):
    # the network-latency part never reads the photos: --images with --skip-cli was required to exist and ignored
    (tmp_path / "a.png").write_bytes(b"")
    p = script("predict_speed", "--skip-cli", "--images", tmp_path, "--repeats", "1")
    refused(p, _usage("predict_speed", "--images: an option of the saliency predict part; leave it out with "
                                       "--skip-cli (that part is skipped)"))
    assert p.stdout == ""

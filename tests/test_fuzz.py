"""Issue 16, deliverable 6: the fuzz suite. Mutated inputs of every command keep the promise.

The promise, per case (``benchmarks/fuzz.py``, :func:`run_case`): exit 0 with
outputs that exist and parse, or exit 2 (1 for a stated machine failure) with
exactly one stderr line and no traceback; no staging debris; inputs, and a
pre-existing output unless the command succeeded, byte-identical.

The mutation driver runs here for a fixed seed and a few cases per command; the
figures of docs/RELIABILITY.md come from ``python benchmarks/fuzz.py
--cases-per-command 60 --seed 0``. A hypothesis test feeds any text to the
number and size options of a few commands; those invocations fail fast on a
missing input, so only parsing is exercised.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_spec = importlib.util.spec_from_file_location("saliency_fuzz", Path(__file__).parents[1] / "benchmarks" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fuzz
_spec.loader.exec_module(fuzz)

CASES_PER_COMMAND = 8
SEED = 0


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The valid study, dataset, 1-epoch checkpoint, predictions and eval JSON every case mutates."""
    return fuzz.build_baseline(tmp_path_factory.mktemp("fuzz-baseline"))


def _explain(r) -> str:
    return (f"{r.command} seed={r.seed} {r.mutation!r} exit={r.code}: {'; '.join(r.problems)}\n"
            f"saliency {' '.join(map(str, r.argv))}\n{r.stderr[-3000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("command", fuzz.COMMANDS)
def test_mutations_keep_the_promise(baseline, command):
    for seed in range(SEED, SEED + CASES_PER_COMMAND):
        r = fuzz.run_case(command, seed, baseline)
        assert r.kept, _explain(r)


# ------------------------------------------------------------------ named regressions (found by the driver)


def test_synth_refuses_a_huge_subject_count_at_parse_time(tmp_path):
    """``--subjects 99999999999999999999`` ran until killed; now a parse-time range check."""
    for opt in ("--subjects", "--scenes"):
        code, _, err = fuzz.invoke(["synth", opt, "99999999999999999999", "--out", str(tmp_path / "s")])
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and opt in lines[0] and "Traceback" not in err, err
    assert not (tmp_path / "s").exists()


def test_checkpoint_weights_of_the_wrong_shape_are_one_line(baseline, tmp_path):
    """torch's size-mismatch message spans lines; the error quoting it must stay one line."""
    import torch

    ck = torch.load(baseline / "run/checkpoints/best.pt", map_location="cpu", weights_only=True)
    key = sorted(ck["state_dict"])[-1]
    ck["state_dict"][key] = torch.zeros(1)
    path = tmp_path / "bad.pt"
    torch.save(ck, path)
    code, _, err = fuzz.invoke(["predict", "--checkpoint", str(path), "--images", str(baseline / "study/stimuli"),
                                "--out", str(tmp_path / "maps"), "--device", "cpu", "--quiet"])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "weights do not fit" in lines[0], err
    assert not (tmp_path / "maps").exists()


def test_checkpoint_config_of_the_wrong_types_is_one_line(baseline, tmp_path):
    """A model config with a bool where a string goes was an unexpected AttributeError (exit 1)."""
    import torch

    ck = torch.load(baseline / "run/checkpoints/best.pt", map_location="cpu", weights_only=True)
    ck["config"]["attention"] = True  # the model config (model.config): a name is expected
    path = tmp_path / "bad.pt"
    torch.save(ck, path)
    code, _, err = fuzz.invoke(["export", "--checkpoint", str(path), "--onnx", str(tmp_path / "m.onnx"),
                                "--size", "32x32", "--no-check", "--quiet"])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "unexpected" not in lines[0] and "--checkpoint" in lines[0], err
    assert not (tmp_path / "m.onnx").exists()


def test_trials_with_an_extra_field_is_one_line(baseline, tmp_path):
    """pandas' tokenizing error ends in a newline; quoted in the error it made two stderr lines."""
    s = baseline / "study"
    rows = (s / "logs/trials.csv").read_text().splitlines()
    rows[3] += ",extra"
    trials = tmp_path / "trials.csv"
    trials.write_text("\n".join(rows) + "\n")
    code, _, err = fuzz.invoke(["ingest", str(s / "logs/tobii.tsv"), "--trials", str(trials), "--stimuli",
                                str(s / "stimuli"), "--geometry", str(s / "screen.json"), "--out", str(tmp_path / "ds"),
                                "--quiet"])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "--trials" in lines[0], err
    assert not (tmp_path / "ds").exists()


def test_corrupt_png_is_one_line_without_libpng_noise(baseline, tmp_path):
    """libpng printed "libpng error: ..." on file descriptor 2 beside the toolkit's own line."""
    import shutil

    pred = shutil.copytree(baseline / "preds", tmp_path / "preds")
    p = sorted(pred.glob("*.png"))[0]
    data = bytearray(p.read_bytes())
    data[60:80] = bytes(range(200, 220))  # inside the compressed pixel data
    p.write_bytes(bytes(data))
    code, _, err = fuzz.invoke(["eval", "--task", "fixation", "--pred", str(pred), "--gt", str(baseline / "ds"),
                                "--json", str(tmp_path / "r.json"), "--quiet"])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "libpng" not in err and p.name in lines[0], err


def test_a_foreign_pickle_checkpoint_is_one_line(tmp_path):
    """torch warned (two lines) about the pickle protocol of random bytes before the error line."""
    path = tmp_path / "bad.pt"
    path.write_bytes(b"\x80\x22" + bytes(range(256)) * 4)  # PROTO 34, then junk
    code, _, err = fuzz.invoke(["export", "--checkpoint", str(path), "--onnx", str(tmp_path / "m.onnx"),
                                "--no-check", "--quiet"])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "--checkpoint" in lines[0], err


def test_predict_with_no_decodable_image_is_one_line(baseline, tmp_path):
    """Every image refused (``--max-pixels 12``) printed a line per image, then the error."""
    code, _, err = fuzz.invoke(["predict", "--checkpoint", str(baseline / "run/checkpoints/best.pt"), "--images",
                                str(baseline / "study/stimuli"), "--out", str(tmp_path / "maps"), "--device", "cpu",
                                "--max-pixels", "12", "--quiet"])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "6 skipped" in lines[0] and "limit of 12" in lines[0], err
    assert not (tmp_path / "maps").exists()


# ------------------------------------------------------------------ option values (hypothesis)

_numbers = st.one_of(
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["inf", "-inf", "nan", "1e999", "-0", "0x0", "1e5x1e5", "inf:1", "1:0", "١٢", "3.5", " 7 "]),
)
_sizes = st.one_of(_numbers, st.tuples(_numbers, _numbers).map(lambda t: f"{t[0]}x{t[1]}"))
_aspects = st.one_of(_numbers, st.tuples(_numbers, _numbers).map(lambda t: f"{t[0]}:{t[1]}"))


def _one_line_exit_2(argv):
    code, _, err = fuzz.invoke(argv)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, (argv, code, err)


_fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_fast
@given(sigma=_numbers, workers=_numbers, seed=_numbers)
def test_ingest_options_any_text(sigma, workers, seed):
    """--sigma-px and --workers: a parse error, or the missing log; one line either way."""
    _one_line_exit_2(["ingest", "/nonexistent/fuzz/log.csv", "--stimuli", "/nonexistent/fuzz/stim",
                      "--out", "/nonexistent/fuzz/out", "--sigma-px", sigma, "--workers", workers, "--quiet"])


@_fast
@given(size=_sizes, seed=_numbers, scenes=_numbers)
def test_synth_options_any_text(tmp_path_factory, size, seed, scenes):
    """--size, --seed, --scenes: parse errors, or the --out that is a file."""
    blocker = tmp_path_factory.getbasetemp() / "synth-out-is-a-file"
    blocker.write_text("a file\n")
    _one_line_exit_2(["synth", "--size", size, "--seed", seed, "--scenes", scenes, "--out", str(blocker),
                      "--quiet"])


@_fast
@given(aspect=_aspects, size=_sizes)
def test_crop_and_predict_options_any_text(aspect, size):
    """crop --aspect and predict --size: parse errors, or the missing folders."""
    _one_line_exit_2(["crop", "--images", "/nonexistent/fuzz/i", "--maps", "/nonexistent/fuzz/m", "--aspect", aspect,
                      "--out", "/nonexistent/fuzz/o", "--quiet"])
    _one_line_exit_2(["predict", "--checkpoint", "/nonexistent/fuzz/c.pt", "--images", "/nonexistent/fuzz/i",
                      "--out", "/nonexistent/fuzz/o", "--size", size, "--quiet"])


def test_a_sigterm_the_command_caught_stops_the_fuzz_run(monkeypatch):
    """SIGTERM to the fuzz script while a case runs: the command catches it (its 'terminated' line, exit 143) and
    the run stops as for Ctrl-C (exit 130 raises KeyboardInterrupt), instead of filing a failed case and going on."""
    import signal

    import saliency.base.fsutil as fsutil
    import saliency.cli as cli

    def caught(argv):
        print("saliency ingest: terminated", file=sys.stderr)
        return 143

    monkeypatch.setattr(cli, "main", caught)
    monkeypatch.setattr(fsutil, "interrupted_by", lambda: signal.SIGTERM)
    with pytest.raises(fsutil.Terminated):
        fuzz.invoke(["ingest", "x"])

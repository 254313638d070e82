"""`benchmark.evaluate`/`plan` and `detect_logs` called from a notebook: one path given as a plain str or Path.

Review R6 (t9.py): ``evaluate(pred="Judd=preds/judd")`` iterated the spec's characters ("pred =: expected
NAME=DIR or DIR"; a bare "preds/judd": "pred: empty folder name"), ``pred=[Path(...)]`` and ``pred=Path(...)``
were TypeErrors, and a lone ``dataset="ECSSD"`` was read as the datasets E, C, S, ... ``detect_logs("s.csv")``
iterated the name ("/: a folder, not a log file"), ``detect_logs(Path)`` was a TypeError, and a
``DetectOptions.chunk_rows`` of -5, 0, 2.5 or None ran an EyeLink ASC (which is not read in chunks) and was
recorded in detection.json as applied.

Oracles: SOD masks written by hand, so that a method of white masks scores MAE 0 against white ground truth and
one of black masks MAE 1; a hand-written ASC and CSV of 300 samples with one gaze position per half.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.data_tools.geometry import ScreenGeometry
from saliency.detect import DetectOptions, detect_logs
from saliency.eval import benchmark as B


def _mask(path: Path, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((12, 16), value, np.uint8))


@pytest.fixture
def sod(tmp_path):
    """gt/ and ECSSD/ground_truth_mask/ (white masks), good/ and lr=0.1/ (white: MAE 0), bad/ (black: MAE 1)."""
    for k in ("a", "b"):
        for folder in ("gt", "ECSSD/ground_truth_mask", "good", "lr=0.1", "x/good"):
            _mask(tmp_path / folder / f"{k}.png", 255)
        _mask(tmp_path / "bad" / f"{k}.png", 0)
    return tmp_path


def _mae(bench) -> dict:
    assert all(r.n_images == 2 for r in bench.results)
    return {r.method: r.metrics["MAE"] for r in bench.results}


def _evaluate(**kw):
    return B.evaluate(task="sod", metrics="MAE", progress=False, **kw)


def _refused_naming(exc: pytest.ExceptionInfo, param: str) -> str:
    msg = exc.value.args[0]  # as raised: the parameter in backticks, never a command-line flag
    assert msg.startswith(f"`{param}`") and "\n" not in msg and "--" not in msg, msg
    return msg


def test_one_pred_spec_as_a_str_is_one_method(sod):
    assert _mae(_evaluate(pred=f"M={sod / 'good'}", gt=sod / "gt")) == {"M": 0.0}
    assert _mae(_evaluate(pred=str(sod / "bad"), gt=str(sod / "gt"))) == {"bad": 1.0}


def test_pred_paths_are_folders_alone_or_in_a_list(sod):
    assert _mae(_evaluate(pred=sod / "good", gt=sod / "gt")) == {"good": 0.0}
    assert _mae(_evaluate(pred=[sod / "good", f"B={sod / 'bad'}"], gt=sod / "gt")) == {"good": 0.0, "B": 1.0}


def test_a_pred_path_holding_an_equals_sign_is_a_folder_never_a_name(sod):
    # as a str "…/lr=0.1" splits at '=' (NAME=DIR); a Path is the folder itself, named by its name
    assert _mae(_evaluate(pred=[sod / "lr=0.1"], gt=sod / "gt")) == {"lr=0.1": 0.0}


def test_two_pred_paths_of_one_name_are_told_to_be_named(sod):
    with pytest.raises(UserError) as exc:
        B.plan(task="sod", pred=[sod / "good", sod / "x" / "good"], gt=sod / "gt")
    assert _refused_naming(exc, "pred") == "`pred`: method name(s) good given twice; use NAME=DIR to name them"


@pytest.mark.parametrize("pred", [[("M", "good")], {"M": "good"}, 5, [None], b"good", [b"good"]],
                         ids=["tuple-item", "mapping", "int", "none-item", "bytes", "bytes-item"])
def test_a_pred_of_another_type_is_refused_naming_pred(sod, pred):
    with pytest.raises(UserError) as exc:
        B.plan(task="sod", pred=pred, gt=sod / "gt")
    assert "[NAME=]DIR spec (str) or a folder (Path)" in _refused_naming(exc, "pred")


def test_one_published_dataset_name_as_a_str_is_one_dataset(sod):
    bench = _evaluate(pred=sod / "good", dataset="ECSSD", root=sod)
    assert [d.name for d in bench.datasets] == ["ECSSD"]
    assert _mae(bench) == {"good": 0.0}


def test_a_dataset_name_of_another_type_is_refused_naming_dataset(sod):
    with pytest.raises(UserError) as exc:
        B.plan(task="sod", pred=sod / "good", dataset=[Path("ECSSD")], root=sod)
    assert "published dataset name (str)" in _refused_naming(exc, "dataset")


G = ScreenGeometry((1920, 1080), (52.7, 29.6), 60.0)
N = 300


def _csv(tmp_path: Path) -> Path:
    """300 samples at 500 Hz: x 500 for 300 ms, then x 800 (a ~6 deg jump): two fixations."""
    p = tmp_path / "s.csv"
    p.write_text("subject,trial,stimulus,time_ms,x,y\n"
                 + "".join(f"p1,1,s,{2 * i},{500 if i < N // 2 else 800},400\n" for i in range(N)))
    return p


def _asc(tmp_path: Path) -> Path:
    """An EyeLink ASC of 300 samples at 500 Hz, steady at (800, 500): one fixation."""
    lines = ["** CONVERTED FROM sub01.edf using edf2asc", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00",
             "MSG\t1000 TRIALID 1", "MSG\t1000 !V IMGLOAD FILL img1.png",
             "START\t1000 \tLEFT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tLEFT\tRATE\t 500.00"]
    lines += [f"{1000 + 2 * i}\t800.0\t500.0\t900.0\t..." for i in range(N)]
    p = tmp_path / "sub01.asc"
    p.write_text("\n".join(lines + ["MSG\t1700 TRIAL_RESULT 0"]) + "\n")
    return p


def _opts(**kw) -> DetectOptions:
    return DetectOptions(geometry=G, detector="ivt", **kw)


@pytest.mark.parametrize("as_given", [str, Path])
@pytest.mark.parametrize("log,fixations", [(_csv, 2), (_asc, 1)], ids=["csv", "asc"])
def test_detect_takes_one_log_path_as_one_input(tmp_path, as_given, log, fixations):
    path = log(tmp_path)
    summary = detect_logs(as_given(path), tmp_path / "out", _opts())
    inputs = json.loads((tmp_path / "out" / "detection.json").read_text())["inputs"]
    assert len(inputs) == 1 and inputs[0]["rows"]["read"] == N
    assert len(summary["inputs"]) == 1
    fix = (tmp_path / "out" / "fixations.csv").read_text().strip().splitlines()
    assert len(fix) == 1 + fixations


@pytest.mark.parametrize("logs", [None, 5, [None]], ids=["none", "int", "none-item"])
def test_detect_refuses_logs_that_are_no_paths_naming_logs(tmp_path, logs):
    with pytest.raises(UserError) as exc:
        detect_logs(logs, tmp_path / "out", _opts())
    assert "log file path (str or Path)" in _refused_naming(exc, "logs")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("chunk_rows", [-5, 0, 2.5, True, "7", None])
@pytest.mark.parametrize("log", [_csv, _asc], ids=["csv", "asc"])
def test_detect_refuses_a_bad_chunk_rows_before_writing_whatever_the_format(tmp_path, log, chunk_rows):
    path = log(tmp_path)
    with pytest.raises(UserError) as exc:
        detect_logs([path], tmp_path / "out", _opts(chunk_rows=chunk_rows))
    _refused_naming(exc, "chunk_rows")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing written beside the log


def test_detect_at_a_small_chunk_size_reads_every_sample_once(tmp_path):
    detect_logs([_csv(tmp_path)], tmp_path / "out", _opts(chunk_rows=7))
    inputs = json.loads((tmp_path / "out" / "detection.json").read_text())["inputs"]
    assert inputs[0]["rows"]["read"] == N

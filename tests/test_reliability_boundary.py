"""Issue 16, deliverables 2 and 3: one error boundary, options checked at parse time, bounded images.

Every failure a user can cause is one line on stderr, exit 2, no traceback
(exit 1, one line, for a failure of the machine or an unexpected one); a
traceback only with ``saliency --debug`` or ``SALIENCY_DEBUG=1``. Images
whose declared size exceeds the pixel limit are refused before decoding.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from saliency.cli import main
from image_fakes import png_header


def saliency(*args, cwd=None, env=None):
    """``python -m saliency ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "saliency", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env=env)


def one_line(r, code=2):
    """The run ended with ``code`` and exactly one stderr line, no traceback; return that line."""
    lines = r.stderr.strip().splitlines()
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    return lines[0]




# ------------------------------------------------------------------ options at parse time


@pytest.mark.parametrize("args, flag", [
    (["ingest", "x.csv", "--stimuli", "s", "--out", "o", "--sigma-px", "inf"], "--sigma-px"),
    (["ingest", "x.csv", "--stimuli", "s", "--out", "o", "--sigma-deg", "nan"], "--sigma-deg"),
    (["ingest", "x.csv", "--stimuli", "s", "--out", "o", "--workers", "100000"], "--workers"),
    (["ingest", "x.csv", "--stimuli", "s", "--out", "o", "--distance-cm", "inf"], "--distance-cm"),
    (["ingest", "x.csv", "--stimuli", "s", "--out", "o", "--qc-max-off", "nan"], "--qc-max-off"),
    (["crop", "--images", "i", "--maps", "m", "--out", "o", "--aspect", "inf:1"], "--aspect"),
    (["crop", "--images", "i", "--maps", "m", "--out", "o", "--aspect", "1:0"], "--aspect"),
    (["crop", "--images", "i", "--maps", "m", "--out", "o", "--aspect", "1:1", "--keep", "nan"], "--keep"),
    (["crop", "--images", "i", "--checkpoint", "c", "--out", "o", "--aspect", "1:1", "--device", "tpu"],
     "--device"),
    (["predict", "--checkpoint", "c", "--images", "i", "--out", "o", "--device", "tpu"], "--device"),
    (["predict", "--checkpoint", "c", "--images", "i", "--out", "o", "--workers", "100000"], "--workers"),
    (["predict", "--checkpoint", "c", "--images", "i", "--out", "o", "--workers", "-1"], "--workers"),
    (["train", "--data", "d", "--out", "o", "--device", "tpu"], "--device"),
    (["train", "--data", "d", "--out", "o", "--seed", "1e30"], "--seed"),
    (["train", "--data", "d", "--out", "o", "--seed", str(2 ** 40)], "--seed"),
    (["train", "--data", "d", "--out", "o", "--lr", "inf"], "--lr"),
    (["train", "--data", "d", "--out", "o", "--workers", "100000"], "--workers"),
    (["demo", "--out", "o", "--device", "tpu"], "--device"),
    (["demo", "--out", "o", "--seed", "-1"], "--seed"),
    (["synth", "--out", "o", "--seed", str(2 ** 33)], "--seed"),
    (["synth", "--out", "o", "--rate", "inf"], "--rate"),
    (["synth", "--out", "o", "--viewing-ms", "nan"], "--viewing-ms"),
    (["synth", "--out", "o", "--workers", "100000"], "--workers"),
    (["synth", "--out", "o", "--size", "1000000x480"], "--size"),
    (["export", "--model", "m", "--onnx", "o.onnx", "--opset", "99"], "--opset"),
    (["export", "--model", "m", "--onnx", "o.onnx", "--seed", "-5"], "--seed"),
    (["eval", "--gt", "g", "--pred", "p", "--seed", "1e30"], "--seed"),
    (["eval", "--gt", "g", "--pred", "p", "--workers", "100000"], "--workers"),
    (["eval", "--gt", "g", "--pred", "p", "--max-pixels", "0"], "--max-pixels"),
    (["models", "--runs", "0"], "--runs"),
    (["models", "--threads", "100000"], "--threads"),
    (["report", "--gallery", "-3"], "--gallery"),
])
def test_bad_numbers_and_names_are_one_line_at_parse_time(args, flag, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative outputs ("o") land here if a value slipped through
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert flag in err, err
    assert not any(tmp_path.iterdir())  # nothing written


def test_force_workers_allows_more_than_the_cpus(capsys):
    from saliency.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    parser = sub.choices["ingest"].ensure_arguments()
    n = max(2, len(os.sched_getaffinity(0))) + 3
    args = parser.parse_args(["x.csv", "--stimuli", "s", "--out", "o", "--workers", str(n), "--force-workers"])
    assert args.workers == n


def test_valid_values_still_parse():
    from saliency.commands import _args

    assert _args.seed("0") == 0 and _args.seed(str(2 ** 32 - 1)) == 2 ** 32 - 1
    assert _args.finite_positive_float("2.5") == 2.5
    assert _args.device("cuda:1") == "cuda:1" and _args.device("AUTO") == "auto"
    assert _args.aspect("16:9") == "16:9" and _args.aspect("1.5") == "1.5"
    assert _args.opset("17") == 17


# ------------------------------------------------------------------ the boundary


def test_output_under_a_file_is_one_line_naming_the_path(tmp_path):
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "table.md"
    line = one_line(saliency("models", "--names-only", "--out", target))
    assert str(tmp_path / "afile") in line and line.startswith("saliency models: error:")


def test_output_that_is_a_folder_is_one_line_naming_the_path(tmp_path):
    (tmp_path / "table.md").mkdir()
    line = one_line(saliency("models", "--names-only", "--out", tmp_path / "table.md"))
    assert "table.md" in line


def test_non_utf8_config_is_one_line(tmp_path):
    cfg = tmp_path / "bench.yaml"
    cfg.write_bytes(b"datasets:\n  - name: caf\xe9\xff\xfe\n")
    line = one_line(saliency("eval", "--config", cfg, "--quiet"))
    assert "bench.yaml" in line and "UTF-8" in line


def test_unexpected_error_is_one_line_exit_1_and_debug_shows_the_traceback(monkeypatch, capsys):
    import saliency.commands.models as models

    def boom(args):
        raise RuntimeError("something broke")

    monkeypatch.setattr(models, "run", boom)
    assert main(["models"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "RuntimeError" in err and "--debug" in err
    with pytest.raises(RuntimeError):
        main(["--debug", "models"])
    monkeypatch.setenv("SALIENCY_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["models"])


def test_user_error_under_debug_is_raised(monkeypatch):
    from saliency.base.errors import UserError
    import saliency.commands.models as models

    def bad(args):
        raise UserError("`filter` x: bad")

    monkeypatch.setattr(models, "run", bad)
    with pytest.raises(UserError):
        main(["--debug", "models"])


def test_ctrl_c_while_the_arguments_are_built_is_one_line_130(monkeypatch, capsys):
    import saliency.commands.ingest as ingest

    def interrupted(parser):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest, "add_arguments", interrupted)
    assert main(["ingest", "x.csv"]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["saliency: interrupted"]


@pytest.mark.parametrize("delay", [0.15, 0.35, 0.6])
def test_ctrl_c_during_start_up_prints_one_line(tmp_path, delay):
    p = subprocess.Popen([sys.executable, "-m", "saliency", "ingest", "x.csv", "--stimuli", str(tmp_path),
                          "--out", str(tmp_path / "o")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    if "Fatal Python error: init_import_site" in err:
        # on a loaded machine the signal can land while the interpreter itself still starts (its site module,
        # before any line of saliency runs): Python's own fatal error, which no program can catch; not ours
        pytest.skip("SIGINT landed during the interpreter's own start-up (machine under load)")
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) <= 1, err
    # 130, or killed by the SIGINT it re-raises (-2; a shell shows 130 either way); 2 if it finished first
    assert p.returncode in (130, -signal.SIGINT, 2), (p.returncode, err)


def test_opencv_warnings_stay_off_stderr(tmp_path):
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    import cv2

    cv2.imwrite(str(gt / "a.png"), np.full((20, 20), 255, np.uint8))
    (pred / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # corrupt: OpenCV logs "[ERROR:0@...]"
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    r = saliency("eval", "--task", "sod", "--gt", gt, "--pred", pred, "--quiet", env=env)
    line = one_line(r)
    assert "a.png" in line


# ------------------------------------------------------------------ bounded images


def test_image_size_reads_headers_without_decoding(tmp_path):
    import cv2

    from saliency.base.images import image_size

    img = np.zeros((7, 11, 3), np.uint8)
    for ext in (".png", ".jpg", ".bmp", ".tif", ".webp", ".ppm"):
        cv2.imwrite(str(tmp_path / f"a{ext}"), img)
        assert image_size(tmp_path / f"a{ext}") == (11, 7), ext
    cv2.imwrite(str(tmp_path / "g.pgm"), img[..., 0])
    assert image_size(tmp_path / "g.pgm") == (11, 7)
    (tmp_path / "big.png").write_bytes(png_header(50000, 50000))
    assert image_size(tmp_path / "big.png") == (50000, 50000)
    (tmp_path / "junk.png").write_bytes(b"hello")
    assert image_size(tmp_path / "junk.png") is None


def test_bomb_is_refused_before_decoding(tmp_path):
    from saliency.base.errors import UserError, cli_flag
    from saliency.base.images import check_image_size, pixel_limit

    (tmp_path / "big.png").write_bytes(png_header(50000, 50000))
    with pytest.raises(UserError, match="big.png.*50000x50000"):
        check_image_size(tmp_path / "big.png")
    (tmp_path / "wide.png").write_bytes(png_header(100000, 1))
    with pytest.raises(UserError, match="wide.png"):
        check_image_size(tmp_path / "wide.png")
    (tmp_path / "ok.png").write_bytes(png_header(100, 100))
    check_image_size(tmp_path / "ok.png")
    with pixel_limit(50):
        with pytest.raises(UserError) as exc:
            check_image_size(tmp_path / "ok.png")
    assert "--max-pixels" in exc.value.render(cli_flag)


def test_eval_refuses_a_declared_50000x50000_png_in_one_line(tmp_path):
    import cv2

    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    cv2.imwrite(str(gt / "a.png"), np.full((20, 20), 255, np.uint8))
    (pred / "a.png").write_bytes(png_header(50000, 50000))
    line = one_line(saliency("eval", "--task", "sod", "--gt", gt, "--pred", pred, "--quiet"))
    assert "a.png" in line and "50000x50000" in line


def test_max_pixels_option_lowers_the_limit(tmp_path, capsys):
    import cv2

    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    cv2.imwrite(str(gt / "a.png"), np.full((20, 20), 255, np.uint8))
    cv2.imwrite(str(pred / "a.png"), np.full((20, 20), 200, np.uint8))
    assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", str(pred), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", str(pred), "--quiet",
                 "--max-pixels", "100"]) == 2
    err = capsys.readouterr().err
    assert "a.png" in err and "--max-pixels" in err and len(err.strip().splitlines()) == 1
    from saliency.base import images

    assert images.max_pixels() == images.DEFAULT_MAX_PIXELS  # the option does not outlive the command


def test_read_rgb_refuses_a_bomb(tmp_path):
    from saliency.base.errors import UserError
    from saliency.datasets import read_rgb

    (tmp_path / "big.png").write_bytes(png_header(20000, 20000))
    with pytest.raises(UserError, match="big.png: image declares 20000x20000"):  # refused, not decoded
        read_rgb(str(tmp_path / "big.png"))


def test_stimulus_index_quarantines_a_bomb_without_decoding(tmp_path):
    import cv2

    from saliency.data_tools.stimuli import StimulusIndex

    cv2.imwrite(str(tmp_path / "ok.png"), np.zeros((7, 11), np.uint8))
    cv2.imwrite(str(tmp_path / "wide.png"), np.zeros((1, 100000), np.uint8))  # a real, decodable 100000x1 PNG
    (tmp_path / "big.png").write_bytes(png_header(50000, 50000))
    idx = StimulusIndex(tmp_path)
    assert idx.size("ok") == (11, 7)
    assert idx.size("wide") is None and idx.size("big") is None


# ------------------------------------------------------------------ worker pools end with the main process

_POOL_SCRIPT = """
import sys, time
from saliency.base.workers import process_pool

pool = process_pool(2)
futures = [pool.submit(time.sleep, 60) for _ in range(2)]
time.sleep(1.0)
print(" ".join(str(p) for p in pool._processes), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_pool_workers_do_not_outlive_the_main_process(sig):
    p = subprocess.Popen([sys.executable, "-c", _POOL_SCRIPT], stdout=subprocess.PIPE, text=True)
    pids = [int(v) for v in p.stdout.readline().split()]
    assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    p.send_signal(sig)
    p.wait(timeout=30)
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    survivors = [pid for pid in pids if _alive(pid)]
    for pid in survivors:  # clean up what the test started
        os.kill(pid, signal.SIGKILL)
    assert not survivors


def test_pool_left_on_an_exception_drops_its_queued_tasks(tmp_path):
    """An interrupted or failed run does not go on with the work it queued (only what was running finishes)."""
    from saliency.base.workers import process_pool

    futures = []
    with pytest.raises(KeyboardInterrupt):
        with process_pool(1) as pool:
            futures = [pool.submit(time.sleep, 0.2) for _ in range(20)]
            futures[0].result()
            raise KeyboardInterrupt
    assert all(f.done() for f in futures)
    ran = [f for f in futures if not f.cancelled()]
    assert len(ran) <= 4 and sum(f.cancelled() for f in futures) >= 16  # the executor feeds at most a few ahead
    with process_pool(1) as pool:  # on a normal exit every task still runs
        normal = [pool.submit(abs, -k) for k in range(20)]
    assert [f.result() for f in normal] == list(range(20))


# ------------------------------------------------------------------ which errors are whose


@pytest.mark.parametrize("err, code, needle", [
    (OSError(28, "No space left on device", "/data/out/x.png"), 2, "/data/out/x.png: no space left"),
    (OSError(30, "Read-only file system", "/ro/out"), 2, "/ro/out: the file system is read-only"),
    (OSError(21, "Is a directory", "/tmp/.x.tmp", None, "/tmp/table.md"), 2, "/tmp/table.md: is a folder"),
    (OSError(20, "Not a directory", "/tmp/f/x"), 2, "/tmp/f/x: a part of the path is a file"),
    (OSError(13, "Permission denied", "/etc/x"), 2, "/etc/x: permission denied"),
    (OSError(5, "Input/output error", "/dev/sdz"), 1, "/dev/sdz: Input/output error"),
    (MemoryError(), 1, "out of memory"),
    (ZeroDivisionError("division by zero"), 1, "unexpected ZeroDivisionError"),
])
def test_classify_user_and_machine_errors(err, code, needle):
    from saliency.cli import classify

    got, message = classify(err, lambda p: "--" + p)
    assert got == code and needle in message and "\n" not in message


def test_expect_type_names_the_file():
    from saliency.base.errors import UserError, expect_type

    assert expect_type({"a": 1}, dict, "s.json", "a JSON object") == {"a": 1}
    with pytest.raises(UserError, match="screen.json: expected a JSON object, found a list"):
        expect_type([1, 2], dict, "screen.json", "a JSON object")
    with pytest.raises(UserError, match="found true/false"):
        expect_type(True, int, "c.yaml: train.epochs", "an integer")


@pytest.mark.parametrize("unbuffered", [None, "1"])
def test_output_read_by_a_closed_pipe_is_quiet(tmp_path, unbuffered):
    """``saliency predict --list-baselines | head -1`` printed "error: Broken pipe (a failure of the system)";
    with a buffered stdout (PYTHONUNBUFFERED unset, the default) it printed "Exception ignored ... BrokenPipeError"
    at shutdown and exited 120 (the test passed only where the environment set PYTHONUNBUFFERED=1)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered is not None:
        env["PYTHONUNBUFFERED"] = unbuffered
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the command writes: its first line meets EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "saliency", "predict", "--list-baselines"], stdout=w,
                              stderr=subprocess.PIPE, timeout=120, cwd=tmp_path, env=env)
    finally:
        os.close(w)
    assert proc.returncode == 141 and proc.stderr == b"", proc.stderr.decode()

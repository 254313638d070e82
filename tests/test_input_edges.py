"""Edge-case inputs found by review: each is one line and exit 2, or works, never a crash.

- A: images written into a folder whose name holds a byte that is not UTF-8
  (``cv2.imwrite`` crashed the process with SIGSEGV there): synth, ingest and
  crop now encode in memory and write with Python (``saliency.base.images.write_image``),
  the same bytes as ``cv2.imencode``.
- B: an empty or complex-valued ``.npy`` map (eval predictions, ``--center-bias``, crop ``--maps``).
- C: a background photograph 1 pixel high or wide for ``synth --backgrounds``.
- D: dataset and method names of a benchmark config that YAML reads as numbers, null or booleans.
- E: ``--device mps`` without MPS, ``cuda:N`` beyond the CUDA devices present.
- (with A) a log whose file name is not UTF-8: named as such, not as a file whose text is not UTF-8.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from test_reliability_inputs import one_line  # the in-process command's one stderr line, no traceback


def write_png(path: Path, img: np.ndarray) -> Path:
    """A real PNG (encoded in memory: the test's own paths are plain ASCII anyway)."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cv2.imencode(".png", img)[1].tobytes())
    return path


# ------------------------------------------------------------------ A: paths that are not UTF-8

# Runs in a child: before the fix, cv2.imwrite killed the process (SIGSEGV), which would take pytest with it.
_WRITER = r"""
import os, shutil, sys
from saliency.cli import main
root, plain = sys.argv[1], sys.argv[2]  # root: a str holding a surrogate-escaped byte (os.fsdecode)
study, ds, crops = (os.path.join(root, n) for n in ("study", "ds", "crops"))
codes = [main(["synth", "--out", study, "--scenes", "2", "--subjects", "2", "--size", "96x64", "--quiet"])]
# ingest reads its log from a plain path (a log path that is not UTF-8 is another matter) and writes into root
for name in ("screen.json", os.path.join("logs", "samples.csv")):
    shutil.copy(os.path.join(study, name), plain)
codes.append(main(["ingest", "--stimuli", os.path.join(study, "stimuli"), "--out", ds, "--geometry",
                   os.path.join(plain, "screen.json"), "--quiet", os.path.join(plain, "samples.csv")]))
codes.append(main(["crop", "--images", os.path.join(study, "stimuli"), "--maps", os.path.join(ds, "maps"),
                   "--out", crops, "--aspect", "1:1", "--quiet"]))
codes.append(main(["report", "--images", os.path.join(study, "stimuli"), "--pred", os.path.join(ds, "maps"),
                   "--dataset", ds, "--out", os.path.join(root, "report")]))
print(codes)
sys.exit(max(codes))
"""


def _reencoded(data: bytes) -> bytes:
    """The PNG bytes that cv2.imencode gives for the image that ``data`` decodes to."""
    import cv2

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None
    return cv2.imencode(".png", img)[1].tobytes()


def test_images_written_into_a_folder_that_is_not_utf8(tmp_path):
    root = os.fsencode(tmp_path) + b"/caf\xe9"  # Latin-1 'café': not UTF-8
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = subprocess.run([sys.executable, "-c", _WRITER, root, os.fsencode(plain)], capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, (proc.returncode, proc.stdout[-1500:], proc.stderr[-1500:])
    written = {
        "synth stimuli": sorted(os.listdir(root + b"/study/stimuli")),
        "synth masks": sorted(os.listdir(root + b"/study/masks")),
        "ingest maps": sorted(os.listdir(root + b"/ds/maps")),
        "ingest fixations": sorted(os.listdir(root + b"/ds/fixations")),
        "crops": sorted(n for n in os.listdir(root + b"/crops") if n.endswith(b".png")),
        "report gallery": sorted(n for n in os.listdir(root + b"/report/assets") if n.startswith(b"gallery_")),
    }
    assert all(len(v) == 2 for v in written.values()), written
    sub = {"synth stimuli": b"/study/stimuli/", "synth masks": b"/study/masks/", "ingest maps": b"/ds/maps/",
           "ingest fixations": b"/ds/fixations/", "crops": b"/crops/", "report gallery": b"/report/assets/"}
    files = [root + sub[k] + n for k, names in written.items() for n in names] + [root + b"/ds/center_bias.png"]
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f
        assert data == _reencoded(data), f  # what cv2.imencode writes (and cv2.imwrite wrote on a plain path)


_LOG_NAMED = r"""
import os, sys
from saliency.cli import main
log, stimuli, out = sys.argv[1], sys.argv[2], sys.argv[3]  # log: a str holding a surrogate-escaped byte
sys.exit(main(["ingest", log, "--stimuli", stimuli, "--out", out, "--screen-px", "100x80", "--screen-cm",
               "40x32", "--distance-cm", "60", "--quiet"]))
"""


def test_a_log_whose_name_is_not_utf8_is_named_as_such(tmp_path):
    """Its UTF-8 content was reported as 'not UTF-8 text; save it as UTF-8': the name, written into the
    fixation table's source column, was what failed. One line naming the file by its bytes, exit 2."""
    write_png(tmp_path / "stim" / "a.png", np.zeros((80, 100, 3), np.uint8))
    log = os.fsencode(tmp_path) + b"/sub\xe9.csv"
    with open(log, "w", encoding="utf-8") as fh:
        fh.write("subject,stimulus,x,y,duration\ns1,a.png,10,10,200\n")
    proc = subprocess.run([sys.executable, "-c", _LOG_NAMED, log, tmp_path / "stim", tmp_path / "out"],
                          capture_output=True, timeout=120, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{tmp_path}/sub\\xe9.csv: the name is not UTF-8 (byte 0xe9)" in proc.stderr
    assert "rename" in proc.stderr and "save it as UTF-8" not in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("ext, shape, dtype", [(".png", (20, 30, 3), np.uint8), (".png", (20, 30), np.uint16),
                                               (".jpg", (20, 30, 3), np.uint8), (".tif", (20, 30), np.uint8),
                                               (".PNG", (20, 30), np.uint8)])
def test_write_image_gives_the_bytes_of_imwrite(tmp_path, ext, shape, dtype):
    import cv2

    from saliency.base.images import write_image

    img = np.random.default_rng(0).integers(0, np.iinfo(dtype).max, shape).astype(dtype)
    cv2.imwrite(str(tmp_path / f"a{ext}"), img)
    write_image(tmp_path / f"b{ext}", img)
    assert (tmp_path / f"b{ext}").read_bytes() == (tmp_path / f"a{ext}").read_bytes()


def test_write_image_refuses_what_the_format_cannot_hold(tmp_path):
    from saliency.base.images import write_image

    with pytest.raises(UserError) as info:
        write_image(tmp_path / "c.pgm", np.zeros((4, 5, 3), np.uint8))  # colour as a grey-only format
    assert "c.pgm" in str(info.value) and ".pgm" in str(info.value)
    assert not (tmp_path / "c.pgm").exists()


def test_crop_of_a_pgm_stays_a_pgm(tmp_path, capsys):
    """A grey .pgm (read as colour) is written back grey: imwrite refused colour .pgm ("could not write the crop")."""
    import cv2

    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (40, 60), dtype=np.uint8)
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.pgm").write_bytes(cv2.imencode(".pgm", grey)[1].tobytes())
    write_png(tmp_path / "maps" / "a.png", rng.integers(0, 256, (40, 60), dtype=np.uint8))
    out = tmp_path / "out"
    assert main(["crop", "--images", str(tmp_path / "img"), "--maps", str(tmp_path / "maps"), "--out", str(out),
                 "--aspect", "1:1", "--quiet"]) == 0, capsys.readouterr().err
    box = json.loads((out / "crops.json").read_text())["boxes"]["a"]["crop"]
    got = cv2.imdecode(np.fromfile(str(out / "a.pgm"), np.uint8), cv2.IMREAD_UNCHANGED)
    assert got.ndim == 2 and np.array_equal(got, grey[box["y"]:box["y"] + box["h"], box["x"]:box["x"] + box["w"]])


# ------------------------------------------------------------------ B: empty and complex .npy maps


@pytest.fixture
def fixation_gt(tmp_path) -> Path:
    """A two-image fixation ground truth in the ingest layout (fixations/ + maps/)."""
    rng = np.random.default_rng(2)
    gt = tmp_path / "gt"
    for k in ("a", "b"):
        fix = np.zeros((24, 32), np.uint8)
        fix[rng.integers(0, 24, 6), rng.integers(0, 32, 6)] = 255
        write_png(gt / "fixations" / f"{k}.png", fix)
        write_png(gt / "maps" / f"{k}.png", rng.integers(0, 256, (24, 32), dtype=np.uint8))
    return gt


def _npy_folder(folder: Path, arr: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k in ("a", "b"):
        np.save(folder / f"{k}.npy", arr)
    return folder


BAD_MAPS = {
    "empty": (np.ones((0, 64), np.float32), "empty"),
    "empty-cols": (np.ones((24, 0), np.float64), "empty"),
    "complex": (np.ones((24, 32), np.complex64), "complex64"),
}


@pytest.mark.parametrize("kind", sorted(BAD_MAPS))
def test_eval_refuses_an_empty_or_complex_npy_prediction(tmp_path, capsys, fixation_gt, kind):
    arr, word = BAD_MAPS[kind]
    pred = _npy_folder(tmp_path / "pred", arr)
    code = main(["eval", "--task", "fixation", "--gt", str(fixation_gt), "--pred", str(pred), "--quiet"])
    line = one_line(capsys, 2, code)
    assert ".npy" in line and word in line and "unexpected" not in line, line


@pytest.mark.parametrize("kind", sorted(BAD_MAPS))
def test_eval_refuses_an_empty_or_complex_center_bias(tmp_path, capsys, fixation_gt, kind):
    arr, word = BAD_MAPS[kind]
    pred = fixation_gt / "maps"  # a valid prediction: the human maps themselves
    cb = _npy_folder(tmp_path / "cb", arr) / "a.npy"
    code = main(["eval", "--task", "fixation", "--gt", str(fixation_gt), "--pred", f"M={pred}",
                 "--center-bias", str(cb), "--quiet"])
    line = one_line(capsys, 2, code)
    assert "a.npy" in line and word in line and "unexpected" not in line, line


@pytest.mark.parametrize("kind", sorted(BAD_MAPS))
def test_crop_refuses_an_empty_or_complex_npy_map(tmp_path, capsys, kind):
    arr, word = BAD_MAPS[kind]
    write_png(tmp_path / "img" / "a.png", np.full((24, 32, 3), 100, np.uint8))
    maps = _npy_folder(tmp_path / "maps", arr)
    code = main(["crop", "--images", str(tmp_path / "img"), "--maps", str(maps), "--out", str(tmp_path / "out"),
                 "--aspect", "1:1", "--quiet"])
    line = one_line(capsys, 2, code)
    assert "a.npy" in line and word in line and "unexpected" not in line, line
    assert not (tmp_path / "out").exists()


def test_read_map_still_takes_integer_and_float_arrays(tmp_path):
    from saliency.eval.io import read_map

    for dt in (np.uint8, np.int64, np.float16, np.float32):
        np.save(tmp_path / "m.npy", np.arange(12, dtype=dt).reshape(3, 4))
        m = read_map(tmp_path / "m.npy")
        assert m.dtype == np.float64 and m.shape == (3, 4) and m[2, 3] == 11


# ------------------------------------------------------------------ C: tiny background photographs


@pytest.mark.parametrize("h, w", [(1, 300), (200, 1), (1, 1)])
def test_synth_with_a_background_photo_one_pixel_thin(tmp_path, capsys, h, w):
    import cv2

    rng = np.random.default_rng(3)
    write_png(tmp_path / "bg" / "thin.png", rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    out = tmp_path / "study"
    code = main(["synth", "--out", str(out), "--backgrounds", str(tmp_path / "bg"), "--scenes", "2",
                 "--subjects", "1", "--size", "96x64", "--quiet"])
    err = capsys.readouterr().err
    assert code == 0, err
    img = cv2.imdecode(np.fromfile(str(out / "stimuli" / "s0001.png"), np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (64, 96, 3)


def test_photo_window_unchanged_for_photos_of_two_pixels_or_more():
    """The clamp to the photo only changes windows that used to be larger than it (a crash)."""
    import cv2

    from saliency.data_tools import scenes

    def old(photo, w, h, rng, min_share):  # the window before the fix
        ph, pw = photo.shape[:2]
        share = rng.uniform(min_share, 1.0)
        cw = max(2, int(min(pw, ph * w / h) * share))
        ch = max(2, int(min(ph, cw * h / w)))
        x0 = int(rng.integers(0, pw - cw + 1))
        y0 = int(rng.integers(0, ph - ch + 1))
        win = photo[y0:y0 + ch, x0:x0 + cw]
        return cv2.resize(win, (w, h), interpolation=cv2.INTER_AREA if cw > w else cv2.INTER_LINEAR
                          ).astype(np.float32)

    draw = np.random.default_rng(4)
    for _ in range(200):
        ph, pw, h, w = (int(v) for v in draw.integers(2, 40, 4))
        photo = draw.integers(0, 256, (ph, pw, 3), dtype=np.uint8)
        seed = int(draw.integers(1 << 30))
        a = scenes._photo_window(photo, w, h, np.random.default_rng(seed), 0.2)
        b = old(photo, w, h, np.random.default_rng(seed), 0.2)
        assert np.array_equal(a, b)


# ------------------------------------------------------------------ D: config names that are not text


@pytest.fixture
def sod_folders(tmp_path) -> Path:
    rng = np.random.default_rng(5)
    for k in ("a", "b"):
        mask = np.zeros((24, 32), np.uint8)
        mask[6:18, 8:24] = 255
        write_png(tmp_path / "gt" / f"{k}.png", mask)
        write_png(tmp_path / "pred" / f"{k}.png", rng.integers(0, 256, (24, 32), dtype=np.uint8))
        write_png(tmp_path / "2012" / f"{k}.png", rng.integers(0, 256, (24, 32), dtype=np.uint8))
    return tmp_path


@pytest.mark.parametrize("methods", ["{M: pred}", "{M: '{dataset}'}", "{M: {2012: pred}}"])
def test_a_numeric_dataset_name_is_its_text(sod_folders, capsys, methods):
    cfg = sod_folders / "c.yaml"
    cfg.write_text(f"task: sod\ndatasets: {{2012: {{gt: gt}}}}\nmethods: {methods}\n")
    js = sod_folders / "r.json"
    code = main(["eval", "--config", str(cfg), "--metrics", "mae", "--json", str(js), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert "2012" in js.read_text()


@pytest.mark.parametrize("body, words", [
    ("datasets: {mine: {gt: gt}}\nmethods: {null: pred}\n", ["method name null"]),
    ("datasets: {mine: {gt: gt}}\nmethods: {~: pred}\n", ["method name null"]),
    ("datasets: {null: {gt: gt}}\nmethods: {M: pred}\n", ["dataset name null"]),
    ("datasets: {yes: {gt: gt}}\nmethods: {M: pred}\n", ["dataset name True"]),
    ("datasets: {1.10: {gt: gt}}\nmethods: {M: pred}\n", ["dataset name 1.1"]),
    ("datasets: {'': {gt: gt}}\nmethods: {M: pred}\n", ["dataset name", "empty"]),
    ("datasets: {mine: {gt: gt}}\nmethods: {M: }\n", ["method M", "folder"]),
    ("datasets: {mine: {gt: gt}}\nmethods: {M: {null: pred}}\n", ["method M: dataset name null"]),
    ("datasets: {mine: {root: gt, dataset: 5}}\nmethods: {M: pred}\n", ["dataset mine", "'dataset' 5"]),
])
def test_config_names_that_are_not_text_are_refused(sod_folders, capsys, body, words):
    cfg = sod_folders / "c.yaml"
    cfg.write_text("task: sod\n" + body)
    line = one_line(capsys, 2, main(["eval", "--config", str(cfg), "--quiet"]))
    assert "--config" in line and "c.yaml" in line, line
    assert all(w in line for w in words), line


# ------------------------------------------------------------------ E: devices that are not there


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A real (untrained) checkpoint: with a dummy file the checkpoint error would come first."""
    import torch

    from saliency import models
    from saliency.checkpoint import save

    torch.manual_seed(0)
    m = models.create_model("unet_tiny_none_sod").eval()
    path = tmp_path_factory.mktemp("ck") / "sod.pt"
    save(path, {"config": m.config, "state_dict": m.state_dict(), "train_config": {"data": {"size": [32, 48]}}})
    return path


@pytest.mark.parametrize("command", ["predict", "crop"])
def test_device_mps_without_mps_is_the_users(tmp_path, capsys, command, tiny_checkpoint):
    import torch

    if torch.backends.mps.is_available():  # pragma: no cover - an Apple machine
        pytest.skip("MPS is available here")
    write_png(tmp_path / "img" / "a.png", np.full((24, 32, 3), 100, np.uint8))
    ck = tiny_checkpoint
    args = [command, "--checkpoint", str(ck), "--images", str(tmp_path / "img"), "--out", str(tmp_path / "out"),
            "--device", "mps", "--quiet"] + (["--aspect", "1:1"] if command == "crop" else [])
    line = one_line(capsys, 2, main(args))
    assert "--device mps" in line and "MPS" in line and "--device cpu" in line, line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["train", "demo"])
def test_device_mps_for_train_and_demo_is_the_machines_question(tmp_path, capsys, command):
    """The parser took --device mps, then the config refused it ("must be auto, cpu, cuda or cuda:N"): the
    demo ran its synth and three ingests (2.5 minutes) before saying so. Now MPS is a device like CUDA: where
    the machine lacks it, both stop at once, naming it, and the demo writes nothing."""
    import torch

    from saliency import config as C

    assert C.validate({**C.default_config(), "train": {**C.default_config()["train"], "device": "mps"}})
    if torch.backends.mps.is_available():  # pragma: no cover - an Apple machine
        pytest.skip("MPS is available here")
    args = {"train": ["train", "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "out")],
            "demo": ["demo", "--out", str(tmp_path / "out")]}[command]
    line = one_line(capsys, 2, main([*args, "--device", "mps", "--quiet"]))
    assert "--device mps" in line and "MPS" in line, line
    assert not (tmp_path / "out").exists()


def test_cuda_index_beyond_the_devices_present(monkeypatch):
    import torch

    from saliency.runtime import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("cuda:0") == torch.device("cuda:0")
    assert resolve_device("cuda") == torch.device("cuda")
    with pytest.raises(UserError) as info:
        resolve_device("cuda:1")
    msg = str(info.value)
    assert "device cuda:1" in msg and "1 CUDA device" in msg and "cuda:0" in msg, msg
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    with pytest.raises(UserError) as info:
        resolve_device("cuda:7")
    assert "cuda:0 .. cuda:3" in str(info.value)


def test_device_without_cuda_still_names_cpu(monkeypatch):
    import torch

    from saliency.runtime import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(UserError) as info:
        resolve_device("cuda:0")
    assert "CUDA is not available" in str(info.value)

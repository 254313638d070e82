"""eval's image reading after review s32 (F2).

1. A float32 TIFF was "not a readable image (corrupt or unsupported)" to every reader but predict's, which named its
   sample format: :func:`saliency.eval.io.read_image` says it now, so train's stimulus reader (and report's) do.
2. A multi-page TIFF was scored by its first page without a word in eval, and used so in training: eval notes the
   ground-truth files and, per method, the predictions of several frames, in predict's words; training's dataset
   index carries the same note (printed with its other notes). Oracle: files written here by PIL with 2 pages.
3. A palette (mode P) mask in VOC colours (index 1 = (128, 0, 0)) was refused as "3 channels that differ; save it as
   a single-channel image", which it already is: it is named a palette image now.
4. ``eval --workers 2``: the bar advanced only as results came back in order, while the pool worked from the end
   of the list (OSIE test: 100/200 at 97 s, then 120..200/200 at once); it counts chunks as they finish now.
5. (F14) The ground-truth frames note named base names only (maps/b.png and fixations/b.png both "b.png"): each
   is named relative to the dataset's folder now. A `--center-bias` map (or the dataset's center_bias.png) of
   several frames was read by its first frame with no note, and so was an image's own baseline
   (FIXATIONHISTOGRAM/): both are noted. A float TIFF read in grey (report's prediction reader) "cannot be read
   as a photo": it is "an image" now; a stimulus, read in colour, is still "a photo".
"""

from __future__ import annotations

import json
from concurrent.futures import Future

import cv2
import numpy as np
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli


def _mask(h=48, w=64) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[10:30, 20:40] = 255  # 400 of 3072 pixels
    return m


def _notes(out: str) -> list[str]:
    return [ln[2:] for ln in out.splitlines() if ln.startswith("- ")]


def _pages(path, *frames) -> None:
    """A TIFF of several pages, ``frames`` in order (PIL writes each as a page)."""
    Image.fromarray(frames[0]).save(path, save_all=True, append_images=[Image.fromarray(f) for f in frames[1:]])


# ----------------------------------------------------------------------------- 1. float32 TIFF


F32 = ("its samples are float32, a sample format that cannot be read as a photo (8- or 16-bit unsigned integers); "
       "save it as an 8- or 16-bit image")


def test_float32_tiff_is_named_by_the_one_reader_train_and_predict(tmp_path):
    from saliency.base.errors import UserError
    from saliency.datasets import read_rgb
    from saliency.eval.io import read_image
    from saliency.predict import read_photo

    path = tmp_path / "f.tif"
    Image.fromarray(np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64)).save(path)
    for read in (lambda p: read_image(p, cv2.IMREAD_COLOR), read_rgb, read_photo):  # stimuli: photos
        with pytest.raises(UserError) as err:
            read(str(path))
        assert str(err.value) == f"{path}: {F32}"
    # read in grey (report's prediction reader), it is a map, not a photo (F14)
    with pytest.raises(UserError) as err:
        read_image(str(path), cv2.IMREAD_GRAYSCALE)
    assert str(err.value) == f"{path}: {F32.replace('as a photo', 'as an image')}"
    # a file OpenCV cannot read for another reason keeps its own words
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00" + b"\x00" * 12)
    with pytest.raises(UserError, match="not a readable image"):
        read_rgb(str(bad))


# ----------------------------------------------------------------------------- 2. several frames


def _multi_page_sod(tmp_path):
    """The review's repro: gt a.tif one page, b.tif two; pred a.tif two (zeros, then the mask), b.tif one."""
    gt, pred = tmp_path / "mg", tmp_path / "mp"
    gt.mkdir()
    pred.mkdir()
    m = _mask()
    Image.fromarray(m).save(gt / "a.tif")
    _pages(gt / "b.tif", m, 255 - m)
    _pages(pred / "a.tif", np.zeros_like(m), m)
    Image.fromarray(m).save(pred / "b.tif")
    return gt, pred


def test_eval_notes_files_of_several_frames(tmp_path, capsys):
    gt, pred = _multi_page_sod(tmp_path)
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--metrics", "MAE",
                                    "--no-progress", "--json", tmp_path / "r.json"])
    assert rc == 0, err
    # first pages read: a is all zeros against the mask (400 of 3072 pixels wrong), b is the mask itself
    assert [ln.replace("*", "") for ln in out.splitlines() if ln.startswith("| M |")] == ["| M | 0.065 |"], out
    want = ["mg: 1 ground-truth file has several frames (TIFF pages, animation frames): the first was used: "
            "b.tif (2 frames)",
            "mg: M: 1 prediction has several frames (TIFF pages, animation frames): the first was used: "
            "a.tif (2 frames)"]
    assert [n for n in _notes(out) if "frames" in n] == want, out
    assert [n for n in json.loads((tmp_path / "r.json").read_text())["notes"] if "frames" in n] == want
    assert abs(400 / 3072 / 2 - 0.065) < 1e-3  # the hand-worked mean MAE above


def test_eval_says_nothing_of_frames_for_still_files(tmp_path, capsys):
    gt, pred = tmp_path / "g", tmp_path / "p"
    gt.mkdir()
    pred.mkdir()
    cv2.imwrite(str(gt / "a.png"), _mask())
    Image.fromarray(_mask()).save(pred / "a.tif")
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--metrics", "MAE",
                                    "--no-progress"])
    assert rc == 0, err
    assert not [n for n in _notes(out) if "frames" in n], out


def test_eval_fixation_prediction_of_several_pages_is_noted(tmp_path, capsys):
    d = tmp_path / "D"
    for sub in ("fixations", "maps"):
        (d / sub).mkdir(parents=True)
    pred = tmp_path / "pred"
    pred.mkdir()
    rng = np.random.default_rng(3)
    for i in range(3):
        fix = np.zeros((48, 64), np.uint8)
        fix[rng.integers(5, 43, 10), rng.integers(5, 59, 10)] = 255
        m = cv2.GaussianBlur(fix.astype(float), (0, 0), 4)
        m = (255 * m / m.max()).astype(np.uint8)
        cv2.imwrite(str(d / "fixations" / f"s{i}.png"), fix)
        cv2.imwrite(str(d / "maps" / f"s{i}.png"), m)
        if i == 1:
            _pages(pred / f"s{i}.tif", m, m, m)
        else:
            cv2.imwrite(str(pred / f"s{i}.png"), m)
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--no-progress",
                                    "--metrics", "NSS,CC"])
    assert rc == 0, err
    assert ("D: M: 1 prediction has several frames (TIFF pages, animation frames): the first was used: "
            "s1.tif (3 frames)") in _notes(out), out


def _fixation_folder(d, multi=("b",)):
    """An ingest folder of 3 images (fixations/ + maps/, 48x64); those of ``multi`` as 2-frame APNGs (their first
    frame the real one)."""
    for sub in ("fixations", "maps", "pred"):
        (d / sub).mkdir(parents=True)
    rng = np.random.default_rng(5)
    for k in "abc":
        fix = np.zeros((48, 64), np.uint8)
        fix[rng.integers(5, 43, 10), rng.integers(5, 59, 10)] = 255
        m = cv2.GaussianBlur(fix.astype(float), (0, 0), 4)
        m = (255 * m / m.max()).astype(np.uint8)
        for sub, a in (("fixations", fix), ("maps", m)):
            if k in multi:
                Image.fromarray(a).save(d / sub / f"{k}.png", save_all=True, append_images=[Image.fromarray(255 - a)])
            else:
                Image.fromarray(a).save(d / sub / f"{k}.png")
        Image.fromarray(m).save(d / "pred" / f"{k}.png")
    return d / "pred"


def _centre(h=48, w=64) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return (255 * np.exp(-((yy - h / 2) ** 2 + (xx - w / 2) ** 2) / 600)).astype(np.uint8)


FRAMES = "several frames (TIFF pages, animation frames): the first was used: "


def test_ground_truth_frames_are_named_by_their_path_in_the_dataset(tmp_path, capsys):
    d = tmp_path / "D"
    pred = _fixation_folder(d)
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--no-progress",
                                    "--metrics", "NSS,CC"])
    assert rc == 0, err
    # two files of one name, told apart (the old note: "b.png (2 frames), b.png (2 frames)")
    assert [n for n in _notes(out) if "frames" in n] == [
        f"D: 2 ground-truth files have {FRAMES}fixations/b.png (2 frames), maps/b.png (2 frames)"], out


def test_centre_bias_of_several_frames_is_noted(tmp_path, capsys):
    d = tmp_path / "D"
    pred = _fixation_folder(d, multi=())
    cb = tmp_path / "cb.png"
    Image.fromarray(_centre()).save(cb, save_all=True, append_images=[Image.fromarray(255 - _centre())])
    base = ["eval", "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--no-progress"]
    rc, out, err = run_cli(capsys, [*base, "--metrics", "IG", "--center-bias", cb])
    assert rc == 0, err
    assert [n for n in _notes(out) if "frames" in n] == [f"D: 1 IG baseline map has {FRAMES}{cb} (2 frames)"], out
    # the dataset's own center_bias.png: the same, said only where a score reads the baseline (as its IG note)
    Image.fromarray(_centre()).save(d / "center_bias.png", save_all=True,
                                    append_images=[Image.fromarray(255 - _centre())])
    rc, out, err = run_cli(capsys, [*base, "--metrics", "IG"])
    assert rc == 0, err
    assert [n for n in _notes(out) if "frames" in n] == [
        f"D: 1 IG baseline map has {FRAMES}{d / 'center_bias.png'} (2 frames)"], out
    rc, out, err = run_cli(capsys, [*base, "--metrics", "CC"])
    assert rc == 0, err
    assert not [n for n in _notes(out) if "frames" in n], out
    # a still baseline: no note
    Image.fromarray(_centre()).save(d / "center_bias.png")
    rc, out, err = run_cli(capsys, [*base, "--metrics", "IG"])
    assert rc == 0, err
    assert not [n for n in _notes(out) if "frames" in n], out


def test_an_images_own_baseline_of_several_frames_is_noted(tmp_path, capsys):
    from scipy.io import savemat

    base = tmp_path / "MIT" / "trainSet"
    for sub in ("FIXATIONLOCS", "FIXATIONMAPS", "FIXATIONHISTOGRAM"):
        (base / sub).mkdir(parents=True)
    pred = tmp_path / "pred"
    pred.mkdir()
    rng = np.random.default_rng(7)
    for k in "ab":
        fix = np.zeros((48, 64), np.uint8)
        fix[rng.integers(5, 43, 10), rng.integers(5, 59, 10)] = 1
        savemat(base / "FIXATIONLOCS" / f"{k}.mat", {"fixLocs": fix})
        m = cv2.GaussianBlur(fix.astype(float), (0, 0), 4)
        m = (255 * m / m.max()).astype(np.uint8)
        Image.fromarray(m).save(base / "FIXATIONMAPS" / f"{k}.png")
        Image.fromarray(m).save(pred / f"{k}.png")
        h = Image.fromarray(_centre())
        if k == "a":
            h.save(base / "FIXATIONHISTOGRAM" / f"{k}.png", save_all=True, append_images=[Image.fromarray(m)])
        else:
            h.save(base / "FIXATIONHISTOGRAM" / f"{k}.png")
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", tmp_path / "MIT", "--pred", f"M={pred}",
                                    "--no-progress", "--metrics", "IG"])
    assert rc == 0, err
    assert [n for n in _notes(out) if "frames" in n] == [
        f"MIT: 1 ground-truth file has {FRAMES}FIXATIONHISTOGRAM/a.png (2 frames)"], out


def test_frame_count_of_each_kind(tmp_path):
    from saliency.base.images import read_header
    from saliency.eval.io import frame_count

    g = _mask()
    _pages(tmp_path / "p.tif", g, g, g)
    Image.fromarray(g).save(tmp_path / "apng.png", save_all=True, append_images=[Image.fromarray(255 - g)])
    Image.fromarray(g).save(tmp_path / "anim.webp", save_all=True, append_images=[Image.fromarray(255 - g)],
                            lossless=True)
    Image.fromarray(g).save(tmp_path / "still.png")
    Image.fromarray(g).save(tmp_path / "still.webp", lossless=True)
    Image.fromarray(g).save(tmp_path / "still.tif")
    Image.fromarray(g).save(tmp_path / "still.jpg")
    np.save(tmp_path / "a.npy", g)
    want = {"p.tif": 3, "apng.png": 2, "anim.webp": 2, "still.png": 1, "still.webp": 1, "still.tif": 1,
            "still.jpg": 1, "a.npy": 1, "gone.png": 1}
    assert {k: frame_count(tmp_path / k) for k in want} == want
    for k in ("p.tif", "apng.png", "anim.webp"):  # PIL's own count, the oracle
        with Image.open(tmp_path / k) as im:
            assert im.n_frames == want[k] == read_header(tmp_path / k).frames


def test_training_index_notes_files_of_several_frames(tmp_path):
    from saliency.datasets import find_dataset

    root = tmp_path / "sod"
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True)
    rgb = np.dstack([_mask()] * 3)
    _pages(root / "images" / "a.tif", rgb, 255 - rgb)
    cv2.imwrite(str(root / "images" / "b.png"), rgb)
    for k in "ab":
        cv2.imwrite(str(root / "masks" / f"{k}.png"), _mask())
    index = find_dataset(root, "sod")
    assert [n for n in index.notes if "frames" in n] == [
        "1 file has several frames (TIFF pages, animation frames): the first was used: images/a.tif (2 frames)"]
    (root / "images" / "a.tif").unlink()
    cv2.imwrite(str(root / "images" / "a.png"), rgb)
    assert not [n for n in find_dataset(root, "sod").notes if "frames" in n]


# ----------------------------------------------------------------------------- 3. palette masks


def _palette(path, colours) -> None:
    p = Image.fromarray((_mask() > 0).astype(np.uint8), "P")
    p.putpalette(colours + [0] * (768 - len(colours)))
    p.save(path)


def test_palette_mask_in_voc_colours_is_named_a_palette_image(tmp_path, capsys):
    gt, pred = tmp_path / "g", tmp_path / "p"
    gt.mkdir()
    pred.mkdir()
    _palette(gt / "a.png", [0, 0, 0, 128, 0, 0])
    cv2.imwrite(str(pred / "a.png"), _mask())
    line = refusal(*run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--metrics", "MAE",
                                     "--no-progress"]))
    assert line == (f"saliency eval: error: {gt / 'a.png'}: ground truth is a palette image whose colours are not "
                    "grey; save it as 8-bit grey with 0 and 255")


def test_palette_mask_in_grey_is_read_and_train_reader_says_the_same(tmp_path):
    from saliency.base.errors import UserError
    from saliency.eval.io import read_mask

    _palette(tmp_path / "bw.png", [0, 0, 0, 255, 255, 255])
    assert np.array_equal(read_mask(tmp_path / "bw.png"), _mask())  # a grey palette is grey: read as before
    _palette(tmp_path / "voc.png", [0, 0, 0, 128, 0, 0])
    with pytest.raises(UserError, match="a palette image whose colours are not grey"):
        read_mask(tmp_path / "voc.png")
    rgb = np.dstack([_mask(), np.zeros_like(_mask()), _mask()])  # a true colour mask keeps its advice
    cv2.imwrite(str(tmp_path / "rgb.png"), rgb)
    with pytest.raises(UserError, match="3 channels that differ; save it as a single-channel"):
        read_mask(tmp_path / "rgb.png")


# ----------------------------------------------------------------------------- 4. progress with a pool


class _DonePool:
    """A pool whose every chunk is finished as it is handed out (the pool far ahead of this process)."""

    def submit(self, fn, *args):
        fut = Future()
        fut.set_result(fn(*args))
        return fut


class _Bar:
    def __init__(self, **kw):
        self.n, self.total = 0, kw["total"]

    def update(self, k=1):
        self.n += k

    def close(self):
        pass


def test_bar_counts_chunks_as_they_finish_not_as_handed_back(monkeypatch):
    from saliency.eval import runner

    bar = {}
    monkeypatch.setattr(runner, "progress_bar", lambda **kw: bar.setdefault("b", _Bar(**kw)))
    finished = []
    tasks = list(range(64))  # chunks of 4; the pool takes them from the end, this process from the front
    seen = []
    for r in runner._map(lambda t: finished.append(t) or t * t, tasks, 2, "x", True, _DonePool()):
        b = bar["b"]
        seen.append(r)
        # never ahead of the work done, never behind the results handed back
        assert len(seen) <= b.n <= len(finished)
        if len(seen) == 1:
            # by hand: this process finished chunk 0 while the pool had finished chunks 60 and 56, so 12 are
            # done when the first result comes back (the old bar said 1)
            assert b.n >= 12, b.n
    assert seen == [t * t for t in tasks] and bar["b"].n == 64 == len(finished)


def test_workers_1_and_2_give_the_same_json(tmp_path, capsys):
    gt, pred = _multi_page_sod(tmp_path)
    for k in range(20):
        m = np.roll(_mask(), k, axis=1)
        cv2.imwrite(str(gt / f"c{k}.png"), m)
        cv2.imwrite(str(pred / f"c{k}.png"), cv2.GaussianBlur(m, (0, 0), 2))
    docs = []
    for w in ("1", "2"):
        rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--workers", w,
                                        "--no-progress", "--json", tmp_path / f"w{w}.json"])
        assert rc == 0, err
        docs.append(json.loads((tmp_path / f"w{w}.json").read_text()))
    assert docs[0] == docs[1] and docs[0]["notes"]

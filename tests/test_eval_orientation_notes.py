"""``saliency eval`` says what it used to do silently: a prediction of another aspect ratio than its ground truth
(a map turned 90 degrees was stretched onto it, one note "1 prediction resized to the GT"), and ground-truth files
that carry an EXIF orientation tag (read as stored, as the README says; ingest warns for stimuli in the same words).

Oracles: the aspect rule is training's (:func:`saliency.datasets.check_map_shape`, which refuses what eval notes);
the tags are written by PIL; the notes are worked by hand from the files made here.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from PIL import Image

from cli_fakes import run_cli
from image_fakes import png_header


def _mask(h=60, w=80) -> np.ndarray:
    """A 0/255 mask with an off-centre object (so a turned copy is another picture)."""
    m = np.zeros((h, w), np.uint8)
    m[5:h // 2, 10:w // 2 + 5] = 255
    return m


def _exif(tag: int) -> Image.Exif:
    ex = Image.Exif()
    ex[0x0112] = tag
    return ex


def _notes(out: str) -> list[str]:
    return [ln[2:] for ln in out.splitlines() if ln.startswith("- ")]


# ----------------------------------------------------------------------------- the aspect rule


@pytest.mark.parametrize("pred_hw, gt_hw", [
    ((80, 60), (60, 80)),      # turned 90 degrees
    ((30, 40), (60, 80)),      # half size, same picture
    ((60, 80), (60, 80)),      # the same size
    ((100, 101), (100, 100)),  # 1 % wider: a rounded size
    ((100, 102), (100, 100)),  # 2 % wider
    ((61, 80), (60, 80)),      # 1.6 % taller
    ((599, 800), (300, 400)),  # rounded half of an odd size
    ((1, 500), (2, 500)),
])
def test_other_aspect_is_the_rule_train_refuses_by(pred_hw, gt_hw):
    """Eval (a layer that may not import saliency.datasets) notes exactly the shapes training refuses."""
    from saliency.base.errors import UserError
    from saliency.datasets import check_map_shape
    from saliency.eval.io import other_aspect

    rec = SimpleNamespace(image="img.jpg", density="map.png", fixations=None)
    try:
        check_map_shape(pred_hw, gt_hw, rec)
        refused = False
    except UserError:
        refused = True
    assert other_aspect(pred_hw, gt_hw) is refused


# ----------------------------------------------------------------------------- SOD: a turned prediction


def test_sod_prediction_turned_90_degrees_is_noted_with_file_and_shapes(tmp_path, capsys):
    """A perfect mask turned 90 degrees scored Fmax 0.513 with only "1 prediction resized"; now a note names the
    count, the file and both shapes. A half-size copy (same aspect) is resized without that note."""
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    (pred / "sub").mkdir(parents=True)
    m = _mask()
    for k in ("a", "b", "c"):
        cv2.imwrite(str(gt / f"{k}.png"), m)
    cv2.imwrite(str(pred / "sub" / "a.png"), np.ascontiguousarray(np.rot90(m)))  # 60 wide, 80 high
    cv2.imwrite(str(pred / "b.png"), cv2.resize(m, (40, 30), interpolation=cv2.INTER_NEAREST))
    cv2.imwrite(str(pred / "c.png"), m)
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--no-progress",
                                    "--json", tmp_path / "r.json"])
    assert rc == 0, err
    want = ("gt: M: 1 prediction of another aspect ratio than its ground truth stretched onto it (e.g. sub/a.png is "
            "60x80, its ground truth 80x60); such a map may be turned 90 degrees or of another picture: check it")
    assert want in _notes(out)
    assert "M: 3 images, 2 predictions resized to the GT (bilinear)" in _notes(out)  # still resized and counted
    assert json.loads((tmp_path / "r.json").read_text())["notes"] == [want]


def test_sod_predictions_of_the_same_aspect_get_no_turn_note(tmp_path, capsys):
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    m = _mask(300, 400)
    cv2.imwrite(str(gt / "a.png"), m)
    cv2.imwrite(str(pred / "a.png"), cv2.resize(m, (201, 150)))  # 0.5 % wider: a rounded size
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--no-progress"])
    assert rc == 0, err
    assert not any("aspect ratio" in n or "orientation" in n for n in _notes(out)), out


def test_sod_turned_note_counts_several_per_method(tmp_path, capsys):
    gt, p1, p2 = tmp_path / "gt", tmp_path / "p1", tmp_path / "p2"
    for d in (gt, p1, p2):
        d.mkdir()
    m = _mask()
    turned = np.ascontiguousarray(np.rot90(m, -1))
    for k in ("a", "b"):
        cv2.imwrite(str(gt / f"{k}.png"), m)
        cv2.imwrite(str(p1 / f"{k}.png"), turned)
        cv2.imwrite(str(p2 / f"{k}.png"), m)
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"A={p1}", "--pred", f"B={p2}",
                                    "--no-progress"])
    assert rc == 0, err
    notes = [n for n in _notes(out) if "aspect ratio" in n]
    assert notes == ["gt: A: 2 predictions of another aspect ratio than their ground truth stretched onto it (e.g. "
                     "a.png is 60x80, its ground truth 80x60); such a map may be turned 90 degrees or of another "
                     "picture: check it"]


# ----------------------------------------------------------------------------- fixation: a turned prediction


def _fixation_gt(root, n=3, map_exif=None):
    """root/D with fixations/ and maps/ (48x64); map ``map_exif`` = (index, tag, format) saved with that tag."""
    d = root / "D"
    for sub in ("fixations", "maps"):
        (d / sub).mkdir(parents=True)
    rng = np.random.default_rng(3)
    dens = []
    for i in range(n):
        fix = np.zeros((48, 64), np.uint8)
        fix[rng.integers(5, 43, 10), rng.integers(5, 59, 10)] = 255
        m = cv2.GaussianBlur(fix.astype(float), (0, 0), 4)
        m = (255 * m / m.max()).astype(np.uint8)
        cv2.imwrite(str(d / "fixations" / f"s{i}.png"), fix)
        if map_exif and map_exif[0] == i:
            Image.fromarray(m).save(d / "maps" / f"s{i}.{map_exif[2]}", exif=_exif(map_exif[1]), quality=95)
        else:
            cv2.imwrite(str(d / "maps" / f"s{i}.png"), m)
        dens.append(m)
    return d, dens


def test_fixation_prediction_turned_is_noted(tmp_path, capsys):
    d, dens = _fixation_gt(tmp_path)
    pred = tmp_path / "pred"
    pred.mkdir()
    for i, m in enumerate(dens):
        cv2.imwrite(str(pred / f"s{i}.png"), np.ascontiguousarray(np.rot90(m)) if i == 2 else m)
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--no-progress",
                                    "--metrics", "NSS,CC"])
    assert rc == 0, err
    assert ("D: M: 1 prediction of another aspect ratio than its ground truth stretched onto it (e.g. s2.png is "
            "48x64, its ground truth 64x48); such a map may be turned 90 degrees or of another picture: check it"
            in _notes(out)), out


# ----------------------------------------------------------------------------- EXIF orientation of the GT


def test_sod_ground_truth_with_orientation_tags_is_noted_once_and_read_as_stored(tmp_path, capsys):
    """The reviewer's case: a tag-6 JPEG mask and its prediction saved as stored scored perfect without a word on
    the tag. Read as stored (scores unchanged: Fmax 1, MAE 0), one note per dataset in ingest's words."""
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    m = _mask()
    Image.fromarray(m).save(gt / "a.jpg", exif=_exif(6), quality=100)
    Image.fromarray(m).save(gt / "b.png", exif=_exif(8))
    cv2.imwrite(str(gt / "c.png"), m)
    Image.fromarray(m).save(gt / "d.tif", exif=_exif(1))  # upright: no tag to say
    for k in "abcd":
        stored = cv2.imread(str(next(gt.glob(f"{k}.*"))), cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
        cv2.imwrite(str(pred / f"{k}.png"), stored)
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--no-progress",
                                    "--metrics", "MAE,Fmax", "--json", tmp_path / "r.json"])
    assert rc == 0, err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["notes"] == ["gt: 2 ground-truth files carry an EXIF orientation tag (e.g. a.jpg: 6); read as stored"]
    r = doc["results"][0]
    # as stored: the tag-6 mask is not turned to 60x80 (nothing resized) and matches its stored copy (JPEG ringing)
    assert r["n_resized"] == 0 and r["metrics"]["MAE"] < 1e-3 and r["metrics"]["Fmax"] > 0.999


def test_one_tagged_mask_is_said_in_the_singular(tmp_path, capsys):
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    m = _mask()
    Image.fromarray(m).save(gt / "x.webp", exif=_exif(3), lossless=True)
    cv2.imwrite(str(pred / "x.png"), m)
    rc, out, err = run_cli(capsys, ["eval", "--task", "sod", "--gt", gt, "--pred", f"M={pred}", "--no-progress"])
    assert rc == 0, err
    assert "gt: 1 ground-truth file carries an EXIF orientation tag (e.g. x.webp: 3); read as stored" in _notes(out)


def test_fixation_human_map_with_orientation_tag_is_noted(tmp_path, capsys):
    d, dens = _fixation_gt(tmp_path, map_exif=(1, 6, "jpg"))
    pred = tmp_path / "pred"
    pred.mkdir()
    for i, m in enumerate(dens):
        cv2.imwrite(str(pred / f"s{i}.png"), m)
    rc, out, err = run_cli(capsys, ["eval", "--task", "fixation", "--gt", d, "--pred", f"M={pred}", "--no-progress",
                                    "--metrics", "NSS,CC"])
    assert rc == 0, err
    assert "D: 1 ground-truth file carries an EXIF orientation tag (e.g. s1.jpg: 6); read as stored" in _notes(out)


def test_orientation_tag_reads_headers_only(tmp_path):
    """No pixel is decoded: a JPEG cut after its header, a PNG declaring 100000 x 100000 pixels with a stub pixel
    stream (its eXIf after IDAT, where PIL would decode the image), and a WebP whose EXIF chunk is read by a walk."""
    from saliency.eval.io import orientation_tag

    buf = tmp_path / "full.jpg"
    Image.fromarray(_mask()).save(buf, exif=_exif(6))
    data = buf.read_bytes()
    sos = data.index(b"\xff\xda")  # start of scan: its header, then the compressed pixels, cut off here
    (tmp_path / "cut.jpg").write_bytes(data[:sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")])
    assert orientation_tag(tmp_path / "cut.jpg") == 6

    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    head = png_header(100000, 100000)
    block = _exif(5).tobytes()
    iend = head.index(b"IEND") - 4
    (tmp_path / "huge.png").write_bytes(head[:iend] + chunk(b"eXIf", block) + head[iend:])
    assert orientation_tag(tmp_path / "huge.png") == 5
    (tmp_path / "plain.png").write_bytes(head)
    assert orientation_tag(tmp_path / "plain.png") == 1
    (tmp_path / "named.png").write_bytes(data)  # a JPEG named .png: told by its bytes
    assert orientation_tag(tmp_path / "named.png") == 6
    cv2.imwrite(str(tmp_path / "m.bmp"), _mask())
    assert orientation_tag(tmp_path / "m.bmp") == 1
    Image.fromarray(_mask()).save(tmp_path / "w.webp", exif=_exif(7))
    assert orientation_tag(tmp_path / "w.webp") == 7


def test_evaluate_dataset_twice_keeps_the_callers_dataset_and_no_stale_note(tmp_path):
    """Hand-worked: B's one prediction is A's turned 90 degrees (80x60 of a 60x80 GT), A's are the GT itself."""
    from saliency.eval.datasets import sod_folder
    from saliency.eval.runner import evaluate_dataset

    for d in ("gt", "A", "B"):
        (tmp_path / d).mkdir()
    for k in ("a", "b"):
        cv2.imwrite(str(tmp_path / "gt" / f"{k}.png"), _mask())
        cv2.imwrite(str(tmp_path / "A" / f"{k}.png"), _mask())
    cv2.imwrite(str(tmp_path / "B" / "a.png"), np.ascontiguousarray(np.rot90(_mask())))
    cv2.imwrite(str(tmp_path / "B" / "b.png"), _mask())
    ds = sod_folder(tmp_path / "gt")
    before = list(ds.notes)
    rb = evaluate_dataset(ds, [("B", str(tmp_path / "B"))], progress=False)
    assert ds.notes == before
    assert [n for n in rb[0].notes if n.startswith("B: 1 prediction of another aspect ratio")]
    assert "a.png is 60x80, its ground truth 80x60" in rb[0].notes[0]
    ra = evaluate_dataset(ds, [("A", str(tmp_path / "A"))], progress=False)
    assert ds.notes == before
    assert not any(n.startswith("B:") for n in ra[0].notes + ds.notes)

"""What a network is trained and scored on, found by a read-through of the training data pipeline.

Each case paired an image with the wrong target without a word:

- a phone photo's EXIF rotation tag: OpenCV turned the photo (``IMREAD_COLOR``) but not its mask or human map
  (``IMREAD_UNCHANGED``), nor ``ingest``'s stimulus size (PIL): every decode now takes the pixels as stored;
  a human map of another shape than its image is refused;
- two files of one stem (``a.jpg`` and ``a.png``): one was kept (the ``.png``), paired with the other's mask,
  or left out of ``predict`` unsaid; now refused, both named;
- ``data.val`` holding the training images: validated on what it trained on;
- a random crop enlarged SOD masks with ``INTER_NEAREST``, half a pixel down and right of the bilinear image.
"""

from __future__ import annotations

import numpy as np
import pytest

from saliency.base.errors import UserError
from saliency.cli import main
from test_reliability_inputs import one_line  # the in-process command's one stderr line, no traceback
from train_fakes import make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture: active here)


def _tagged_jpeg(path, img_rgb, orientation=6):
    """A JPEG of ``img_rgb`` as stored, with an EXIF orientation tag (6: "rotate 90 clockwise to show")."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img_rgb).save(path, quality=95, exif=exif)
    return path


def _marker_scene(h=60, w=80, at=(12, 15)):
    """A grey picture with a red square whose top-left corner is at ``at`` (row, col), stored orientation."""
    img = np.full((h, w, 3), 90, np.uint8)
    r, c = at
    img[r:r + 8, c:c + 8] = (230, 20, 20)
    return img


def _red_centre(rgb):
    ys, xs = np.nonzero((rgb[..., 0] > 160) & (rgb[..., 1] < 90))
    return ys.mean(), xs.mean()


def test_an_exif_rotation_tag_is_ignored_everywhere(tmp_path):
    """Oracle: PIL's decoding as stored (no ``exif_transpose``), the orientation of masks, maps and ingest."""
    from PIL import Image

    from saliency.datasets import read_rgb
    from saliency.eval.io import read_image, read_map

    scene = _marker_scene()
    path = _tagged_jpeg(tmp_path / "phone.jpg", scene)
    with Image.open(path) as im:
        assert im.getexif()[0x0112] == 6
        stored = np.asarray(im.convert("RGB"))
    rgb = read_rgb(path)
    assert rgb.shape == stored.shape == (60, 80, 3)
    assert np.abs(rgb.astype(int) - stored).max() <= 8  # two JPEG decoders: a few levels apart
    assert np.allclose(_red_centre(rgb), (15.5, 18.5), atol=0.5)
    import cv2

    assert read_image(path, cv2.IMREAD_GRAYSCALE).shape == (60, 80)
    grey = _tagged_jpeg(tmp_path / "map.jpg", scene[..., 1])  # a JPEG human map (MIT1003's are JPEG)
    assert read_map(grey).shape == read_image(grey).shape == (60, 80)


def test_a_tagged_stimulus_trains_on_its_own_map(tmp_path):
    """The map is built where the marker is stored; the dataset must show the marker under the map's peak."""
    import cv2

    from saliency.datasets import SaliencyDataset, find_dataset

    root = tmp_path / "fix"
    _tagged_jpeg(root / "stimuli" / "a.jpg", _marker_scene())
    dens = np.zeros((60, 80), np.float64)
    dens[15, 18] = 1.0  # the marker: rows 12-19, columns 15-22
    dens = cv2.GaussianBlur(dens, (0, 0), 3.0)
    (root / "maps").mkdir()
    cv2.imwrite(str(root / "maps" / "a.png"), np.rint(255 * dens / dens.max()).astype(np.uint8))
    ds = SaliencyDataset(find_dataset(root, "fixation").records, "fixation", (60, 80))
    s = ds[0]
    img = (s["image"].numpy().transpose(1, 2, 0) * 255).astype(np.uint8)
    peak = np.unravel_index(int(s["target"][0].argmax()), (60, 80))
    assert np.allclose(_red_centre(img), peak, atol=1.0)


def test_a_human_map_of_another_shape_is_refused(tmp_path):
    import cv2

    from saliency.datasets import SaliencyDataset, find_dataset

    root = tmp_path / "fix"
    (root / "stimuli").mkdir(parents=True)
    (root / "maps").mkdir()
    cv2.imwrite(str(root / "stimuli" / "a.png"), _marker_scene())       # 80 x 60
    cv2.imwrite(str(root / "maps" / "a.png"), np.full((80, 60), 9, np.uint8))  # 60 x 80: turned
    cv2.imwrite(str(root / "stimuli" / "b.png"), _marker_scene())
    cv2.imwrite(str(root / "maps" / "b.png"), np.full((30, 40), 9, np.uint8))  # half size: scaled, accepted
    ds = SaliencyDataset(find_dataset(root, "fixation").records, "fixation", (30, 40))
    with pytest.raises(UserError, match=r"human map is 60x80 but its image .*a\.png is 80x60"):
        ds[0]
    assert ds[1]["target"].shape == (1, 30, 40)


def test_two_files_of_one_stem_are_refused(tmp_path, capsys):
    import cv2

    from saliency.eval.io import index_folder

    (tmp_path / "imgs").mkdir()
    for name in ("a.jpg", "a.png", "b.png"):
        cv2.imwrite(str(tmp_path / "imgs" / name), _marker_scene())
    with pytest.raises(UserError, match=r"a\.jpg and a\.png share the name 'a'"):
        index_folder(tmp_path / "imgs", param="images")
    # eval scored a.png against the GT a and never named a.jpg
    (tmp_path / "gt").mkdir()
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(tmp_path / "gt" / name), np.where(_marker_scene()[..., 0] > 150, 255, 0).astype(np.uint8))
    rc = main(["eval", "--task", "sod", "--pred", str(tmp_path / "imgs"), "--gt", str(tmp_path / "gt"), "--quiet",
               "--json", str(tmp_path / "e.json")])
    err = one_line(capsys, 2, rc)
    assert "--pred" in err and "a.jpg and a.png" in err and not (tmp_path / "e.json").exists()


def test_a_validation_folder_of_training_images_is_refused(tmp_path, capsys):
    sod = make_sod(tmp_path / "S")
    base = ["train", "--data", str(sod), "--task", "sod", "--epochs", "1", "--device", "cpu", "--quiet",
            "--set", "data.size=[48,64]", "--set", "train.grid_images=0", "--set", "train.tensorboard=false"]
    rc = main([*base, "--out", str(tmp_path / "r1"), "--set", f"data.val={sod}"])
    err = one_line(capsys, 2, rc)
    assert "data.val" in err and "8 of its 8 images are training images too" in err
    assert not (tmp_path / "r1").exists()
    (tmp_path / "V" / "stimuli").mkdir(parents=True)  # a part of them, by links
    (tmp_path / "V" / "masks").mkdir()
    for sub in ("stimuli", "masks"):
        (tmp_path / "V" / sub / "s0001.png").symlink_to(sod / sub / "s0001.png")
    rc = main([*base, "--out", str(tmp_path / "r2"), "--set", f"data.val={tmp_path / 'V'}"])
    assert "its 1 image is a training image too (e.g." in one_line(capsys, 2, rc)
    # a validation folder that is not there is named as data.val, not as --data (review, stop 18)
    rc = main([*base, "--out", str(tmp_path / "r3"), "--set", f"data.val={tmp_path / 'nope'}"])
    err = one_line(capsys, 2, rc)
    assert f"data.val {tmp_path / 'nope'}: folder not found" in err and "--data" not in err


def test_a_cropped_mask_stays_on_its_image():
    """Oracle: the disc's centroid in the bilinear-resized image. 300 crops of a 300 x 400 scene to 96 x 128."""
    import cv2

    from saliency.config import default_config
    from saliency.transforms import augment, build_train_transform

    img = np.full((300, 400, 3), 60, np.uint8)
    mask = np.zeros((300, 400), np.uint8)
    cv2.circle(img, (200, 150), 40, (250, 250, 250), -1)
    cv2.circle(mask, (200, 150), 40, 255, -1)
    aug = dict(default_config()["data"]["augment"])
    aug.update(hflip=0.0, crop_p=1.0, rotate_p=0.0, color_p=0.0)
    tf = build_train_transform("sod", (96, 128), aug)
    d = []
    for seed in range(300):
        im, m, _ = augment(tf, seed, img, mask)
        yi, xi = np.nonzero(im[..., 0] > 155)
        ym, xm = np.nonzero(m > 128)
        if len(xi) > 50 and len(xm) > 50 and xi.min() > 0 and xi.max() < 127 and yi.min() > 0 and yi.max() < 95:
            d.append((xm.mean() - xi.mean(), ym.mean() - yi.mean()))
    d = np.array(d)
    assert len(d) > 100
    # INTER_NEAREST: +0.49 and +0.46 px; sampling noise of the mean over >100 crops is about 0.02 px
    assert np.abs(d.mean(0)).max() < 0.1, d.mean(0)


def test_a_cropped_fixation_point_stays_on_its_pixel():
    """albumentations scales cropped keypoints as (x - x0) s, pixel corners; the image moves pixel centres.

    Oracle: the centroid of the single fixated pixel drawn into the image, as cv2 resamples it. Zooming in
    (crop scale 0.2-0.4) put the point 0.41 px up-left on average (worst 0.72) and on another pixel in most
    crops; bilinear spreading leaves the centroid within about 0.1 px of the true position.
    """
    from saliency.config import default_config
    from saliency.transforms import augment, build_train_transform, rasterise_points

    h, w = 72, 96
    aug = dict(default_config()["data"]["augment"])
    aug.update(hflip=0.0, crop_p=1.0, crop_scale=[0.2, 0.4], rotate_p=0.0, color_p=0.0)
    tf = build_train_transform("fixation", (h, w), aug)
    rng = np.random.default_rng(0)
    d, wrong = [], 0
    ys, xs = np.mgrid[:h, :w]
    for seed in range(80):
        x, y = int(rng.integers(15, w - 15)), int(rng.integers(15, h - 15))
        img = np.zeros((h, w, 3), np.float32)
        img[y, x] = 1.0
        dens = img[..., 0].copy()
        im, _, pts = augment(tf, seed, img, dens, np.array([[x, y]], np.float32))
        a = im[..., 0].astype(np.float64)
        if len(pts) != 1 or a.sum() == 0 or a[0].any() or a[-1].any() or a[:, 0].any() or a[:, -1].any():
            continue
        c = np.array([(a * xs).sum() / a.sum(), (a * ys).sum() / a.sum()])
        d.append(pts[0] - c)
        if np.all(np.abs(c % 1 - 0.5) > 0.05):  # content not on a pixel border: its pixel is the point's
            ix, iy = np.floor(c + 0.5).astype(int)
            wrong += int(rasterise_points(pts, (h, w))[iy, ix] == 0)
    d = np.array(d)
    assert len(d) > 20
    assert np.abs(d).max() < 0.15 and wrong == 0, (d.mean(0), np.abs(d).max(), wrong)

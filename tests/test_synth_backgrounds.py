"""Salient objects rendered onto real photographs (``saliency synth --backgrounds``, scenes.render_photo_scene).

Oracles: background photographs of known flat colours (away from the objects
and their shadows every pixel is one of those colours, up to the documented
grain and blur), the masks' documented construction (the union of the
objects' visible pixels), and the documented object sizes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import cv2
import numpy as np
import pandas as pd
import pytest

from saliency.data_tools.scenes import render_photo_scene
from saliency.data_tools.synth import SynthConfig, generate

COLOURS = ((200, 40, 40), (40, 160, 60), (30, 60, 200))  # RGB of the flat "photographs"


@pytest.fixture()
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, rgb in enumerate(COLOURS):
        img = np.zeros((90, 120, 3), np.uint8)
        img[:] = rgb[::-1]  # BGR on disk
        cv2.imwrite(str(folder / f"p{i}.png"), img)
    (folder / "notes.txt").write_text("not an image: ignored")
    return folder


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "study.json"}


def test_background_is_one_of_the_photographs(photos):
    flat = [np.full((90, 120, 3), c, np.uint8) for c in COLOURS]
    for seed in range(8):
        image, mask, labels, objects = render_photo_scene(np.random.default_rng(seed), 160, 120, flat)
        assert 1 <= len(objects) <= 3
        assert set(np.unique(mask)) <= {0, 255}
        assert ((labels > 0) == (mask == 255)).all()
        assert sum(o.area_px for o in objects) == (mask == 255).sum()
        for o in objects:  # every outline used (blob, star, polygon...) contains its centre
            assert mask[int(round(o.cy)), int(round(o.cx))] == 255
        # far from every object (beyond its radius and shadow) the pixel is the background photograph's colour,
        # plus the sensor grain (sd 2): within 10 grey levels
        far = np.ones(mask.shape, bool)
        yy, xx = np.mgrid[0:120, 0:160]
        for o in objects:
            far &= np.hypot(xx - o.cx, yy - o.cy) > 1.6 * o.radius + 6
        if far.sum() < 50:
            continue
        px = image[far].astype(int)
        dist = [np.abs(px - np.array(c)).max(axis=1) for c in COLOURS]
        best = int(np.argmin([np.median(d) for d in dist]))
        assert (dist[best] <= 10).mean() > 0.99, seed


def test_objects_are_large_and_central_as_in_sod_photographs():
    flat = [np.full((60, 80, 3), 128, np.uint8)]
    shares, centres = [], []
    for seed in range(30):
        _, mask, _, objects = render_photo_scene(np.random.default_rng(seed), 160, 120, flat)
        shares.append((mask > 0).mean())
        centres.append((objects[0].cx / 160, objects[0].cy / 120))
    # documented: radius 0.2-0.4 of the shorter side -> a disc of 4-16 % of a 4:3 image, blobs and several
    # objects more; the SOD benchmarks' photographs have 10-45 %
    assert 0.08 < np.mean(shares) < 0.45
    c = np.array(centres)
    assert np.abs(c.mean(axis=0) - 0.5).max() < 0.08  # centred on average (normal around the centre, sd 0.18)


def test_study_on_photographs_is_deterministic_and_recorded(photos, tmp_path):
    cfg = SynthConfig(scenes=3, subjects=1, width=96, height=72, seed=4, backgrounds=str(photos))
    generate(tmp_path / "a", cfg, workers=1, progress=False)
    generate(tmp_path / "b", cfg, workers=2, progress=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    plain = SynthConfig(scenes=3, subjects=1, width=96, height=72, seed=4)
    generate(tmp_path / "c", plain, workers=1, progress=False)
    assert _digest(tmp_path / "a")["stimuli/s0001.png"] != _digest(tmp_path / "c")["stimuli/s0001.png"]
    study = json.loads((tmp_path / "a" / "study.json").read_text())
    assert study["backgrounds"] == str(photos) and study["background_photos"] == 3
    assert "background_photos" not in json.loads((tmp_path / "c" / "study.json").read_text())
    objects = pd.read_csv(tmp_path / "a" / "truth" / "objects.csv")
    for sid, objs in objects.groupby("stimulus"):
        mask = cv2.imread(str(tmp_path / "a" / "masks" / f"{sid}.png"), cv2.IMREAD_UNCHANGED)
        assert (mask == 255).sum() == objs["area_px"].sum()


def _synth(*args):
    return subprocess.run([sys.executable, "-m", "saliency", "synth", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_backgrounds(photos, tmp_path):
    r = _synth("--out", str(tmp_path / "s"), "--scenes", "2", "--subjects", "1", "--size", "64x48",
               "--backgrounds", str(photos), "--quiet")
    assert r.returncode == 0, r.stderr
    assert f"on photographs from {photos}" in r.stdout
    assert sorted(p.name for p in (tmp_path / "s" / "stimuli").iterdir()) == ["s0001.png", "s0002.png"]
    for bad, message in ((tmp_path / "none", "--backgrounds"), (tmp_path / "s" / "logs", "no image files")):
        r = _synth("--out", str(tmp_path / "t"), "--scenes", "1", "--backgrounds", str(bad))
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "t").exists()
    r = _synth("--out", str(photos / "inside"), "--scenes", "1", "--backgrounds", str(photos))
    assert r.returncode == 2 and "--backgrounds" in r.stderr and not (photos / "inside").exists()

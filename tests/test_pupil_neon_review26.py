"""Review stop 26: Pupil Labs Neon / Pupil Cloud exports are named and refused, not called an unknown format.

Found in review: a Neon / Pupil Cloud "Timeseries" gaze.csv (``timestamp [ns]``, ``gaze x [px]``, ...: scene-camera
pixels) was "unknown format ... pass --format samples"; following that advice read scene-camera pixels as screen
pixels (8 fixations, exit 0, no word). The layout is Pupil Labs' published one (Neon / Pupil Cloud documentation,
"Timeseries Data"). Oracle: the one-line convention and docs/FORMATS.md's rule for Pupil gaze (refused, with what
to give instead).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cli_fakes import refusal, run_cli

GAZE = ("section id,recording id,timestamp [ns],gaze x [px],gaze y [px],worn,fixation id,blink id,azimuth [deg],"
        "elevation [deg]\n")
FIX = ("section id,recording id,fixation id,start timestamp [ns],end timestamp [ns],duration [ms],fixation x [px],"
       "fixation y [px],azimuth [deg],elevation [deg]\n")
GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53x30", "--distance-cm", "65"]


def _gaze(path):
    rows = [f"s1,r1,{1_700_000_000_000_000_000 + 5_000_000 * i},{800 + i % 3},{600 + i % 2},1,{1 + i // 40},,"
            f"1.0,2.0\n" for i in range(200)]
    path.write_text(GAZE + "".join(rows))
    return path


def _fix(path):
    rows = [f"s1,r1,{i + 1},{1_700_000_000_000_000_000 + 300_000_000 * i},"
            f"{1_700_000_000_000_000_000 + 300_000_000 * i + 250_000_000},250,{700 + 40 * i},{500 + 20 * i},1.0,2.0\n"
            for i in range(5)]
    path.write_text(FIX + "".join(rows))
    return path


WHAT = {"gaze": "gaze export (columns timestamp [ns], gaze x [px], gaze y [px])",
        "fixation": "fixation export (columns start timestamp [ns], fixation x [px], fixation y [px])"}


@pytest.mark.parametrize("kind", ["gaze", "fixation"])
def test_neon_exports_are_named_and_refused_by_detect_and_ingest(tmp_path, capsys, kind):
    log = (_gaze if kind == "gaze" else _fix)(tmp_path / f"{kind}.csv")
    head = (f"{log}: a Pupil Labs Neon / Pupil Cloud {WHAT[kind]}: its positions are pixels of the scene camera, "
            "not of the screen, and the toolkit has no reader for them; ")
    line = refusal(*run_cli(capsys, ["detect", log, *GEOM, "--out", tmp_path / "d"]))
    assert line == ("saliency detect: error: " + head + "saliency detect needs raw samples in screen pixels "
                    "(--format samples would read scene-camera pixels as screen pixels)")
    (tmp_path / "st").mkdir()
    cv2.imwrite(str(tmp_path / "st" / "a.png"), np.zeros((1080, 1920), np.uint8))
    line = refusal(*run_cli(capsys, ["ingest", log, "--stimuli", tmp_path / "st", "--stimulus", "a.png", *GEOM,
                                     "--out", tmp_path / "i"]))
    assert line == ("saliency ingest: error: " + head + "map them onto the stimulus first (Pupil Cloud's Marker "
                    "Mapper or Reference Image Mapper) and give those fixations as a fixation table (--format "
                    "fixations with --columns)")
    assert not (tmp_path / "d").exists() and not (tmp_path / "i").exists()


def test_a_users_own_table_of_the_same_names_without_recording_id_stays_generic(tmp_path, capsys):
    """Only a header with ``recording id`` (every Neon / Cloud export has it) is claimed as Pupil's."""
    from saliency.data_tools.readers.base import Probe
    from saliency.data_tools.readers.pupil import sniff

    own = tmp_path / "own.csv"
    own.write_text("timestamp [ns],gaze x [px],gaze y [px]\n1,2,3\n")
    assert not sniff(Probe(own))
    assert sniff(Probe(_gaze(tmp_path / "gaze.csv"))) and sniff(Probe(_fix(tmp_path / "fix.csv")))

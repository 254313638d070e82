"""benchmarks/osie.py stops when a row was scored on fewer test images than the others (review 27, OSIE).

Oracle: hand-worked. A prediction folder missing one image (``saliency predict`` skips an image it cannot
decode; a folder from an earlier run is taken as finished) was scored with ``allow_missing`` and its row printed
beside the others, under the one image count of the header, and bolded as a column's best.
"""
import json
from types import SimpleNamespace

import pytest

from tests.bench_fakes import load


def _ds(n):
    return SimpleNamespace(items=[SimpleNamespace(key=str(1001 + i)) for i in range(n)])


def test_a_cached_score_of_fewer_images_stops_the_table(tmp_path, capsys):
    osie = load("osie")
    folder = tmp_path / "pred" / "baseline_gbvs"
    folder.mkdir(parents=True)
    (tmp_path / "eval").mkdir()
    cached = tmp_path / "eval" / "baseline_gbvs.json"
    cached.write_text(json.dumps({"method": "baseline_gbvs", "folder": str(folder), "n_images": 19,
                                  "metrics": {}}))
    with pytest.raises(SystemExit) as info:
        osie.score(_ds(20), "baseline_gbvs", folder, tmp_path)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: baseline_gbvs: scored on 19 of the 20 test images: every row of the table is scored on "
                   f"the same images; remove {folder} and {cached} to have it predicted and scored again"]


def test_a_fresh_score_names_the_images_skipped(capsys):
    osie = load("osie")
    with pytest.raises(SystemExit):
        osie._check_all_scored(_ds(3), "none_s0", "W/pred/none_s0", 2, None, [("1003", "no prediction")])
    assert capsys.readouterr().err == ("error: none_s0: scored on 2 of the 3 test images (1003: no prediction): "
                                       "every row of the table is scored on the same images; remove W/pred/none_s0 "
                                       "to have it predicted and scored again\n")


def test_a_complete_score_passes(tmp_path):
    osie = load("osie")
    folder = tmp_path / "p"
    (tmp_path / "eval").mkdir()
    doc = {"method": "x", "folder": str(folder), "n_images": 4, "metrics": {"NSS": 1.5}}
    (tmp_path / "eval" / "x.json").write_text(json.dumps(doc))
    assert osie.score(_ds(4), "x", folder, tmp_path) == doc

"""Every row accounted for: rows read = kept + quarantined + counted, per chunk, per reader, per input file.

The oracle is the number of data rows the test itself wrote (each format's
``example_file`` returns it; corruption never makes a row blank), not the
readers' own counts. Every format of the registry that has an
``example_file`` is covered, so formats added later join automatically.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saliency.cli import main
from saliency.data_tools.readers import count_data_lines, open_log, registry
from tests.ingest_fakes import assert_rows_accounted, corrupt_lines

NOT_LINES = (".mat", ".json", ".npz", ".h5")  # files whose rows are not lines: no line corruption

CASES = []
for _name in registry.REGISTRY:
    _mod = registry.format_module(_name)
    for _attr, _events in (("example_file", False), ("example_events_file", True)):
        if hasattr(_mod, _attr):
            CASES.append(pytest.param(_name, _attr, _events, id=f"{_name}{'-events' if _events else ''}"))


def _suffix(name: str) -> str:
    mod = registry.format_module(name)
    return mod.SUFFIXES[0] if mod.SUFFIXES else (".tsv" if name in ("tobii", "eyelink-report") else ".csv")


@pytest.mark.parametrize("name, attr, events", CASES)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), share=st.sampled_from([0.0, 0.2, 0.6]),
       chunk=st.integers(1, 40))
def test_row_identity_under_corruption(tmp_path_factory, name, attr, events, seed, n, share, chunk):
    rng = np.random.default_rng(seed)
    d = tmp_path_factory.mktemp(name)
    path = d / f"sub01{_suffix(name)}"
    k = getattr(registry.format_module(name), attr)(path, rng, n)
    if path.is_dir() or not path.exists():  # a dataset folder: the module wrote its own layout
        pytest.skip(f"{name}: example is not a single file")
    if path.suffix.lower() not in NOT_LINES:
        corrupt_lines(path, k, rng, share)
    rc = assert_rows_accounted(path, k, name, tracker_events=events, chunk_rows=chunk)
    if share == 0.0 and path.suffix.lower() not in NOT_LINES:
        assert not {r for r in rc.quarantined if r in ("malformed_row", "non_numeric", "bad_time")}


def test_count_data_lines_hand_worked(tmp_path):
    p = tmp_path / "t.csv"
    p.write_bytes(b"a,b\r\n1,2\r\n\r\n,\r\n  \r\n3,4\r\n\"\",\"\"\r\n5,6")
    assert count_data_lines(p) == 3  # rows 1,2 / 3,4 / 5,6; blank, separator-only and empty-quote lines are not rows


def test_tobii_events_accounting_hand_worked(tmp_path):
    """The protocol's example: 10 lines = 2 fixations kept + 1 quarantined + 5 fixation samples + 2 saccade rows."""
    head = ["Recording timestamp [ms]", "Participant name", "Recording name", "Presented Media name",
            "Gaze point X", "Gaze point Y", "Eye movement type", "Gaze event duration [ms]",
            "Eye movement type index", "Fixation point X", "Fixation point Y"]
    typ = ["Fixation"] * 4 + ["Saccade"] * 2 + ["Fixation"] * 4
    idx = [1] * 4 + [1] * 2 + [2] * 4
    ts = [str(10 * i) for i in range(10)]
    ts[6] = "abc"  # line 8: the first row of the second fixation has no usable time stamp
    rows = ["\t".join([ts[i], "p", "r", "a.png", "1", "2", typ[i], "40", str(idx[i]), "5", "6"]) for i in range(10)]
    p = tmp_path / "t.tsv"
    p.write_text("\t".join(head) + "\n" + "\n".join(rows) + "\n")
    rc = assert_rows_accounted(p, 10, "tobii", tracker_events=True)
    assert (rc.kept, rc.quarantined, rc.counted) == (2, {"bad_time": 1}, {"fixation_sample": 5, "not_fixation": 2})


def _stimuli(tmp_path, names=("img0",), size=(1920, 1080)):
    import cv2

    d = tmp_path / "stim"
    d.mkdir(exist_ok=True)
    for nm in names:
        cv2.imwrite(str(d / f"{nm}.png"), np.full((size[1], size[0], 3), 128, np.uint8))
    return d


@pytest.mark.parametrize("name, events, extra", [
    ("fixations", False, ["--coords", "stimulus"]),
    ("eyelink-report", False, ["--coords", "stimulus"]),
    ("tobii", True, ["--detector", "tracker", "--screen-px", "1920x1080"]),
    ("eyelink-asc", False, ["--screen-cm", "53x30", "--distance-cm", "65", "--detector", "ivt", "--max-gap", "0"]),
    ("eyelink-asc", True, ["--detector", "tracker"]),
    ("pupil", False, ["--screen-px", "1920x1080"]),
])
def test_dataset_json_rows_add_up_per_input(tmp_path, capsys, name, events, extra):
    """Through the whole ingest: each input's rows read = kept + quarantined + counted, and the quarantine
    reasons booked per input are exactly the rows of that input in quarantine.csv."""
    import pandas as pd

    rng = np.random.default_rng(7)
    stim = _stimuli(tmp_path)
    mod = registry.format_module(name)
    path = tmp_path / f"sub01{_suffix(name)}"
    k = (mod.example_events_file if events else mod.example_file)(path, rng, 300)
    kind = open_log(path, name, tracker_events=events).kind
    if kind == "samples":  # a detector needs runs of good samples: longer file, fewer corrupt lines
        k = mod.example_file(path, rng, 1500)
    corrupt_lines(path, k, rng, 0.01 if kind == "samples" else 0.1)
    out = tmp_path / "d"
    rc = main(["ingest", str(path), "--stimuli", str(stim), "--out", str(out), "--sigma-px", "3", "--no-ioc",
               "--quiet", "--stimulus", "img0", *extra])
    assert rc == 0, capsys.readouterr().err
    m = json.loads((out / "dataset.json").read_text())
    r = m["inputs"][0]["rows"]
    assert r["read"] == k
    assert r["read"] == r["kept"] + sum(r["quarantined"].values()) + sum(r["counted"].values())
    assert "unaccounted" not in r
    q = pd.read_csv(out / "quarantine.csv", keep_default_na=False)
    fx = pd.read_csv(out / "fixations.csv")
    if m["inputs"][0]["kind"] == "fixations":
        assert r["kept"] == len(fx)
        assert r["quarantined"] == q["reason"].value_counts().to_dict()
    else:  # raw samples: the sample-level reasons are the file's rows; fixation-level ones are booked apart
        f = r["fixations"]
        assert f["kept"] == len(fx)
        both = dict(q["reason"].value_counts())
        for reason, v in f["quarantined"].items():
            both[reason] -= v
        assert {a: b for a, b in both.items() if b} == r["quarantined"]
    assert "rows per input" in capsys.readouterr().out


def test_choices_mirror_the_modules_that_use_them():
    """data_tools.choices (cheap, for --help) holds the same names as the modules that define the behaviour."""
    from saliency.data_tools import choices, geometry, ingest, maps

    assert (choices.BORDERS, choices.NORMALIZATIONS, choices.WEIGHTS) == (maps.BORDERS, maps.NORMALIZATIONS,
                                                                          maps.WEIGHTS)
    assert geometry.DISPLAY_MODES == choices.DISPLAY_MODES and ingest.MAP_FORMATS == choices.MAP_FORMATS


def test_a_row_cut_short_or_a_repeated_header_is_quarantined_and_splits_nothing(tmp_path):
    """A row cut before the columns read (an export copied while still being written) was booked as a saccade
    row (`not_fixation`) with no quarantine entry, and with a repeated header line it split the fixation run
    around it: one fixation kept twice. Hand-worked: 2 fixations, the cut row and the header line quarantined."""
    head = ["Recording timestamp [ms]", "Participant name", "Recording name", "Presented Media name",
            "Gaze point X", "Gaze point Y", "Eye movement type", "Gaze event duration [ms]",
            "Eye movement type index", "Fixation point X", "Fixation point Y"]
    typ = ["Fixation"] * 4 + ["Saccade"] * 2 + ["Fixation"] * 4
    idx = [1] * 4 + [1] * 2 + [2] * 4
    rows = ["\t".join([str(10 * i), "p", "r", "a.png", "1", "2", typ[i], "40", str(idx[i]), "5", "6"])
            for i in range(10)]
    rows.insert(2, "\t".join(head))      # line 4: the column line again, inside fixation 1
    rows.insert(9, "90\tp\tr\ta.png\t1")  # line 11: cut after the gaze x, inside fixation 2
    p = tmp_path / "t.tsv"
    p.write_text("\t".join(head) + "\n" + "\n".join(rows) + "\n")
    rc = assert_rows_accounted(p, 12, "tobii", tracker_events=True)
    assert (rc.kept, rc.quarantined, rc.counted) == (2, {"malformed_row": 2},
                                                     {"fixation_sample": 6, "not_fixation": 2})

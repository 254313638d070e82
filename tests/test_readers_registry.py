"""The readers package: one registry of format modules, detection order, cheap listing, lazy builders."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from saliency.base.errors import UserError, cli_flag
from saliency.data_tools import readers
from saliency.data_tools.readers import registry


def test_every_registered_format_is_a_module_with_the_protocol():
    base = ("auto", "samples", "fixations", "eyelink-report", "eyelink-asc", "tobii", "pupil", "salicon")
    assert readers.FORMATS[:len(base)] == base and len(set(readers.FORMATS)) == len(readers.FORMATS)
    for name in registry.REGISTRY:
        mod = registry.format_module(name)
        assert mod.__name__ == f"saliency.data_tools.readers.{name.replace('-', '_')}"
        assert callable(mod.sniff) and callable(mod.read)
        assert isinstance(mod.DETECT_RANK, int) and isinstance(mod.SUFFIXES, tuple)


def test_detection_order_vendor_signatures_before_generic_columns():
    order = [name for name, _ in registry.detection_order()]
    mine = ["eyelink-asc", "salicon", "eyelink-report", "tobii", "pupil", "fixations", "samples"]
    assert [n for n in order if n in mine] == mine
    assert order[-2:] == ["fixations", "samples"]  # the generic formats accept almost any table: last
    ranks = [registry.format_module(n).DETECT_RANK for n in order]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize("name, content, expected", [
    # the name claims the format before any content is read
    ("a.json", "MSG\t1000 TRIALID 1\n", "salicon"),
    ("a.ASC", "x,y,time\n1,2,3\n", "eyelink-asc"),
    # first-line signatures come before column names
    ("a.txt", "MSG,recording_session_label,current_fix_x\n", "eyelink-asc"),
    ("a.txt", '  {"annotations": []}\n', "salicon"),
    # vendor column names before the generic aliases (CURRENT_FIX_X is no alias of x)
    ("a.csv", "RECORDING_SESSION_LABEL,CURRENT_FIX_X,CURRENT_FIX_Y,x,y,duration\n", "eyelink-report"),
    ("a.tsv", "Recording timestamp [ms]\tGaze point X\tGaze point Y\n", "tobii"),
    ("a.csv", "start_timestamp,norm_pos_x,norm_pos_y,x,y,time\n", "pupil"),
    # generic: a start or duration makes a fixation list, even with a time column
    ("a.csv", "time,x,y,duration\n", "fixations"),
    ("a.csv", "time [s];gaze_x;gaze_y\n", "samples"),
])
def test_detect_format_hand_worked(tmp_path, name, content, expected):
    p = tmp_path / name
    p.write_text(content)
    assert readers.detect_format(p) == expected


def test_unknown_format_names_parameters_and_the_cli_its_flags(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(UserError) as exc:
        readers.open_log(p)
    assert f"{p}: unknown format (header 'a,b'); pass format samples|fixations|" in str(exc.value)
    assert f"pass --format {'|'.join(registry.REGISTRY)} and --columns if needed" in exc.value.render(cli_flag)
    with pytest.raises(UserError) as exc:
        readers.open_log(p, "csv")
    assert str(exc.value).startswith("format 'csv': choose one of auto, samples")
    assert exc.value.render(cli_flag).startswith("--format 'csv': choose one of auto, samples")
    with pytest.raises(UserError) as exc:
        readers.parse_columns("time")
    assert exc.value.render(cli_flag) == "--columns 'time': each item must be KEY=COLUMN (e.g. time=TIMESTAMP)"


def test_a_new_format_is_one_module_and_one_registry_line(tmp_path, monkeypatch):
    """A format module found through the registry: sniffed at its rank, read through ``open_log``."""
    fake = types.ModuleType("saliency.data_tools.readers.gazelog")
    fake.DETECT_RANK = 15  # after the first-line signatures, before vendor columns
    fake.SUFFIXES = (".gaze",)
    fake.sniff = lambda probe: probe.first.startswith("#gazelog")
    seen = {}

    def read(path, opts):
        seen["opts"] = opts
        return readers.LogReader(path, "gazelog", "fixations", lambda: iter(()))

    fake.read = read
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY + ("gazelog",))
    monkeypatch.setattr(registry, "FORMATS", registry.FORMATS + ("gazelog",))
    a = tmp_path / "a.csv"
    a.write_text("#gazelog v1,x,y,duration\n")
    b = tmp_path / "b.gaze"
    b.write_text("x,y,duration\n")
    assert readers.detect_format(a) == "gazelog" and readers.detect_format(b) == "gazelog"
    order = [n for n, _ in registry.detection_order()]
    ranks = [registry.format_module(n).DETECT_RANK for n in order]
    assert order.index("gazelog") == sum(r <= 15 for r in ranks) - 1  # after every rank <= 15, before the rest
    rd = readers.open_log(a, min_confidence=0.9, chunk_rows=7)
    assert rd.format == "gazelog" and seen["opts"].min_confidence == 0.9 and seen["opts"].chunk_rows == 7


def test_listing_formats_and_parsing_columns_import_no_pandas():
    code = ("import sys; from saliency.data_tools.readers import FORMATS, parse_columns; "
            "assert parse_columns('x=GX') == {'x': 'GX'}; "
            "print('pandas' in sys.modules, 'numpy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["False", "False"]


def test_frame_builders_are_importable_from_the_package():
    from saliency.data_tools.readers import Chunk, chunks, quarantine_frame, text

    assert quarantine_frame is chunks.quarantine_frame and text is chunks.text and Chunk is readers.base.Chunk
    assert "quarantine_frame" in dir(readers)
    with pytest.raises(AttributeError):
        readers.no_such_name  # noqa: B018

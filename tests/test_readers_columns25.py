"""``--columns`` keys: checked against the header, and refused where no reader takes them (review 25).

1. The Tobii Pro Lab reader used ``columns`` subject/stimulus/x/y without
   looking them up in the header: a name the export lacks failed in pandas
   (``cannot parse as a tab-separated table (Usecols do not match columns,
   ...)``). Now it says what the generic reader says: ``<file>: --columns
   x=x: no such column; the file has ...``.
2. A key a reader does not read (Pro Lab's ``time``, ``valid``, ``trial``,
   ``eye``; anything but subject/stimulus/trial for Tobii Pro SDK; any key
   for BeGaze) was accepted, ignored and recorded in ``policies.columns`` as
   if applied. Each reader module now declares its keys (``COLUMN_KEYS``,
   found by reading its code) and a key no input's reader takes is refused in
   one line, exit 2, nothing written; x/y keep their own line.

Oracles: the messages whole, the header as the file's first line split by
hand, and the subject ids of a run mapping ``subject=Recording name`` equal to
the recording names the export holds (read with the csv module).
"""

from __future__ import annotations

import csv
import json

import pytest

from ingest_fakes import study  # noqa: F401 (a module fixture: a small synthetic study)
from saliency.base.errors import UserError
from saliency.cli import main
from saliency.data_tools.ingest import COLUMNS_XY, check_columns_used, open_reader
from saliency.data_tools.readers import ReadOptions, parse_columns, registry
from test_reliability_inputs import one_line  # the in-process command's one stderr line, no traceback
from test_vendor_eyes_review21 import GEOM, _trace, begaze, titta

PROLAB_KEYS = "subject, stimulus, x, y"


def _ingest(study, out, *logs_and_options):
    """``saliency ingest`` in-process on the study's stimuli and screen; the exit code."""
    try:
        return main(["ingest", *map(str, logs_and_options), "--stimuli", str(study / "stimuli"), "--geometry",
                     str(study / "screen.json"), "--out", str(out), "--quiet"])
    except SystemExit as exc:
        return exc.code


def _detect(log, out, *extra):
    try:
        return main(["detect", str(log), "--out", str(out), "--quiet", *GEOM, *extra])
    except SystemExit as exc:
        return exc.code


def _header(path):
    with open(path, encoding="utf-8") as fh:
        return fh.readline().rstrip("\n").split("\t")


# ---------------------------------------------------------------- 1. Pro Lab: a mapped column the header lacks

@pytest.mark.parametrize("spec,named", [("x=x,y=y", "x=x"), ("subject=Participant", "subject=Participant"),
                                        ("stimulus=Media", "stimulus=Media")])
def test_prolab_column_the_header_lacks_is_named_in_one_line(study, tmp_path, capsys, spec, named):
    log = study / "logs" / "tobii.tsv"
    code = _ingest(study, tmp_path / "o", log, "--columns", spec)
    assert one_line(capsys, 2, code) == (f"saliency ingest: error: {log}: --columns {named}: no such column; the "
                                         f"file has {', '.join(_header(log))}")
    assert not (tmp_path / "o").exists()


def test_prolab_tracker_events_check_the_subject_column_too(study, tmp_path, capsys):
    log = study / "logs" / "tobii.tsv"
    code = _ingest(study, tmp_path / "o", log, "--detector", "tracker", "--columns", "subject=Nope")
    assert one_line(capsys, 2, code) == (f"saliency ingest: error: {log}: --columns subject=Nope: no such column; "
                                         f"the file has {', '.join(_header(log))}")


# ---------------------------------------------------------------- 2. keys no reader takes are refused

@pytest.mark.parametrize("key,col", [("time", "Recording timestamp [μs]"), ("valid", "Validity left"),
                                     ("trial", "Recording name"), ("eye", "Validity right")])
def test_prolab_keys_its_reader_does_not_read_are_refused(study, tmp_path, capsys, key, col):
    log = study / "logs" / "tobii.tsv"
    code = _ingest(study, tmp_path / "o", log, "--columns", f"{key}={col}")
    assert one_line(capsys, 2, code) == (f"saliency ingest: error: {log}: --columns {key}: not used: the tobii "
                                         f"reader takes only {PROLAB_KEYS} from --columns; leave it out")
    assert not (tmp_path / "o").exists()


def test_prolab_several_unused_keys_in_one_line(study, tmp_path, capsys):
    log = study / "logs" / "tobii.tsv"
    code = _ingest(study, tmp_path / "o", log, "--columns", "valid=Validity left,subject=Recording name,"
                                                              "trial=Recording name")
    assert one_line(capsys, 2, code) == (f"saliency ingest: error: {log}: --columns valid, trial: not used: the tobii "
                                         f"reader takes only {PROLAB_KEYS} from --columns; leave them out")


def test_prolab_tracker_fixations_do_not_place_x_y(study, tmp_path, capsys):
    # Tobii's own fixations are read from 'Fixation point X/Y': a gaze-point mapping was ignored, recorded applied
    log = study / "logs" / "tobii.tsv"
    code = _ingest(study, tmp_path / "o", log, "--detector", "tracker", "--columns",
                   "x=Gaze point X [DACS px],y=Gaze point Y [DACS px]")
    # no eye advice: Pro Lab's own fixations take no eye (--eye is refused there)
    assert one_line(capsys, 2, code) == (f"saliency ingest: error: {log}: --columns x/y: the tobii reader reads the "
                                         f"format's own columns")


def test_prolab_subject_mapping_still_applies(study, tmp_path, capsys):
    log = study / "logs" / "tobii.tsv"
    with open(log, encoding="utf-8", newline="") as fh:
        recordings = {row["Recording name"] for row in csv.DictReader(fh, delimiter="\t")}
    assert len(recordings) == 2
    out = tmp_path / "o"
    code = _ingest(study, out, log, "--columns", "subject=Recording name")
    assert code == 0, capsys.readouterr().err[-2000:]
    with open(out / "fixations.csv", encoding="utf-8", newline="") as fh:
        subjects = {row["subject"] for row in csv.DictReader(fh)}
    assert subjects == recordings
    info = json.loads((out / "dataset.json").read_text())
    assert info["policies"]["columns"] == {"subject": "Recording name"}


def test_generic_tables_refuse_the_keys_of_the_other_kind(study, tmp_path, capsys):
    samples, report = study / "logs" / "samples.csv", study / "logs" / "eyelink_fixations.csv"
    code = _ingest(study, tmp_path / "o", samples, "--columns", "confidence=valid")
    assert one_line(capsys, 2, code) == (f"saliency ingest: error: {samples}: --columns confidence: not used: the "
                                         f"samples reader takes only subject, stimulus, trial, time, x, y, valid "
                                         f"from --columns; leave it out")
    code = _ingest(study, tmp_path / "o", report, "--trials", study / "logs" / "trials.csv", "--columns",
                   "valid=CURRENT_FIX_PUPIL")
    assert one_line(capsys, 2, code) == (f"saliency ingest: error: {report}: --columns valid: not used: the "
                                         f"eyelink-report reader takes only subject, stimulus, trial, x, y, "
                                         f"t_start_ms, t_end_ms, duration_ms, eye from --columns; leave it out")


def test_mixed_inputs_refuse_a_key_no_input_takes(study, tmp_path, capsys):
    samples, log = study / "logs" / "samples.csv", study / "logs" / "tobii.tsv"
    code = _ingest(study, tmp_path / "o", samples, log, "--columns", "confidence=valid")
    assert one_line(capsys, 2, code) == (
        f"saliency ingest: error: {samples}: --columns confidence: not used: no input's reader takes it (the "
        f"samples reader takes subject, stimulus, trial, time, x, y, valid; the tobii reader takes {PROLAB_KEYS}); "
        f"leave it out")
    # a key one input takes is kept: the others do not look it up in their files
    readers = [open_reader(p, "auto", ReadOptions(columns={"valid": "valid"})) for p in (samples, log)]
    check_columns_used([samples, log], readers, {"valid": "valid"})


def test_vendor_sample_readers_refuse_keys_under_detect(tmp_path, capsys):
    tr = _trace()
    log = titta(tmp_path, tr)
    code = _detect(log, tmp_path / "o1", "--columns", "time=system_time_stamp")
    assert one_line(capsys, 2, code) == (f"saliency detect: error: {log}: --columns time: not used: the tobii-sdk "
                                         f"reader takes only subject, stimulus, trial from --columns; leave it out")
    assert not (tmp_path / "o1").exists()
    log = begaze(tmp_path, tr)
    code = _detect(log, tmp_path / "o2", "--columns", "stimulus=Stimulus,trial=Trial")
    assert one_line(capsys, 2, code) == (f"saliency detect: error: {log}: --columns stimulus, trial: not used: the "
                                         f"begaze reader reads the format's own columns and takes none from "
                                         f"--columns; leave them out")
    assert not (tmp_path / "o2").exists()
    code = _detect(log, tmp_path / "o3", "--columns", "x=L POR X [px],y=L POR Y [px]")  # x/y: the line as before
    assert one_line(capsys, 2, code) == (f"saliency detect: error: {log}: --columns x/y: the begaze reader reads the "
                                         f"format's own columns; use --eye left/right to choose an eye")


def test_pupil_refuses_keys_it_does_not_read(tmp_path):
    import numpy as np

    from saliency.data_tools.readers import pupil

    log = tmp_path / "rec" / "exports" / "000" / "fixations.csv"
    log.parent.mkdir(parents=True)
    pupil.example_file(log, np.random.default_rng(0), 6)  # columns: id, start_timestamp, duration, ... stimulus
    cols = {"time": "start_timestamp", "duration_ms": "duration"}
    rd = open_reader(log, "auto", ReadOptions(columns=cols))
    with pytest.raises(UserError) as exc:
        check_columns_used([log], [rd], cols)
    assert str(exc.value) == (f"{log}: columns time, duration_ms: not used: the pupil reader takes only subject, "
                              f"stimulus, trial, x, y, confidence from columns; leave them out")


def test_every_reader_declares_keys_the_command_line_accepts():
    accepted = set(parse_columns(",".join(f"{k}=c" for k in
                                          ("subject", "stimulus", "trial", "time", "x", "y", "valid", "t_start_ms",
                                           "t_end_ms", "duration_ms", "eye", "pupil", "confidence"))))
    with_xy = []
    for name in registry.REGISTRY:
        keys = registry.format_module(name).COLUMN_KEYS
        kinds = keys.values() if isinstance(keys, dict) else [keys]
        assert all(set(k) <= accepted for k in kinds), name
        if any("x" in k for k in kinds):
            with_xy.append(name)
    assert sorted(with_xy) == sorted(COLUMNS_XY)


def _help_keys(command: str) -> dict[str, tuple[str, ...]]:
    """format -> the keys the --columns help of ``command`` lists for it ("a and b: k1, k2; c: k3; ...")."""
    import argparse
    import re

    from saliency.commands import detect, ingest

    p = argparse.ArgumentParser()
    (ingest if command == "ingest" else detect).add_arguments(p)
    text = next(a.help for a in p._actions if "--columns" in a.option_strings)
    own = text.split("each format takes its own: ", 1)[1].split("; other vendor formats", 1)[0]
    out = {}
    for part in own.split("; "):
        names, keys = part.split(": ", 1)
        keys = re.sub(r" \(.*\)$", "", keys)
        for name in names.split(" and "):
            out[name] = tuple(k.strip() for k in keys.split(","))
    return out


def test_the_columns_help_lists_each_readers_keys_as_it_declares_them():
    from saliency.data_tools.readers import registry

    for command in ("ingest", "detect"):
        for fmt, keys in _help_keys(command).items():
            declared = registry.format_module(fmt).COLUMN_KEYS
            declared = declared["samples"] if isinstance(declared, dict) else declared
            assert keys == tuple(declared), (command, fmt)
    assert set(_help_keys("ingest")) == {"samples", "fixations", "eyelink-report", "pupil", "tobii", "tobii-sdk"}


def test_mixed_inputs_a_key_of_one_reader_is_not_looked_up_in_the_others_file(study, tmp_path, capsys):
    # duration_ms is the EyeLink report's key (its CURRENT_FIX_DURATION); the generic samples table has no such
    # column and was refused "no such column" while sniffing or reading it (review 25)
    samples, report = study / "logs" / "samples.csv", study / "logs" / "eyelink_fixations.csv"
    out = tmp_path / "o"
    assert _ingest(study, out, samples, report, "--trials", study / "logs" / "trials.csv", "--columns",
                   "duration_ms=CURRENT_FIX_DURATION") == 0
    # one recording in two formats: the same subjects on the same stimuli, pooled as one observer's, and said so
    assert "(subject, stimulus) pairs" in capsys.readouterr().err
    with open(samples, newline="") as fh:
        n_samples = sum(1 for _ in csv.reader(fh)) - 1
    with open(report, newline="") as fh:
        n_report = sum(1 for _ in csv.reader(fh)) - 1
    inputs = json.loads((out / "dataset.json").read_text())["inputs"]
    assert [(i["format"], i["rows"]["read"]) for i in inputs] == [("samples", n_samples), ("eyelink-report", n_report)]
    # alone, the samples table names the column it lacks, refuses a key it does not take (its column there) as
    # not used, and names a typo'd key of its own
    assert _ingest(study, tmp_path / "o2", samples, "--columns", "duration_ms=CURRENT_FIX_DURATION") == 2
    assert capsys.readouterr().err.strip() == (f"saliency ingest: error: {samples}: --columns duration_ms="
                                               "CURRENT_FIX_DURATION: no such column; the file has subject, "
                                               "stimulus, time_ms, x, y, valid")
    assert _ingest(study, tmp_path / "o2", samples, "--columns", "eye=valid") == 2
    assert capsys.readouterr().err.strip().endswith(
        "--columns eye: not used: the samples reader takes only subject, stimulus, trial, time, x, y, valid "
        "from --columns; leave it out")
    assert _ingest(study, tmp_path / "o3", samples, "--columns", "x=Gazex") == 2
    assert capsys.readouterr().err.strip() == (f"saliency ingest: error: {samples}: --columns x=Gazex: no such "
                                               "column; the file has subject, stimulus, time_ms, x, y, valid")


def test_a_typo_in_a_fixation_tables_mapping_is_named_as_a_missing_column(tmp_path, capsys):
    # review 25 (reg4): duration_ms=fixdru made the table sniff as samples, whose reader does not take the key,
    # and it was refused as "not used: leave it out", which read the fixations as gaze samples
    import cv2
    import numpy as np

    (tmp_path / "stim").mkdir()
    cv2.imwrite(str(tmp_path / "stim" / "img1.png"), np.full((150, 200, 3), 128, np.uint8))
    rows = ["subject,stimulus,timestamp,x,y,fixdur"] + [f"s1,img1,{i * 250},{20 + i * 10},{30 + i * 8},{200 + i}"
                                                        for i in range(12)]
    log = tmp_path / "fix.csv"
    log.write_text("\n".join(rows) + "\n")
    code = main(["ingest", str(log), "--stimuli", str(tmp_path / "stim"), "--sigma-px", "5", "--out",
                 str(tmp_path / "o"), "--columns", "duration_ms=fixdru", "--quiet"])
    assert one_line(capsys, 2, code) == (f"saliency ingest: error: {log}: --columns duration_ms=fixdru: no such "
                                         "column; the file has subject, stimulus, timestamp, x, y, fixdur")
    assert not (tmp_path / "o").exists()
    assert main(["ingest", str(log), "--stimuli", str(tmp_path / "stim"), "--sigma-px", "5", "--out",
                 str(tmp_path / "o"), "--columns", "duration_ms=fixdur,t_start_ms=timestamp", "--quiet"]) == 0
    assert json.loads((tmp_path / "o" / "dataset.json").read_text())["inputs"][0]["format"] == "fixations"

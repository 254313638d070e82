"""Review 21 of ``saliency ingest`` option checking: options nothing would use stop the run, never recorded.

The project's rule: an option that the inputs or the chosen detector would
not use stops the run with one line naming it (exit 2, no traceback, nothing
written), and ``dataset.json`` ``policies`` records only what was applied.

1. A merge setting that merges nothing (one of ``--merge-ms``/``--merge-deg``
   above 0, the other 0, given or the detector's default) is refused when an
   input holds raw samples, with the line ``saliency detect`` prints for it
   (one shared check, :func:`data_tools.detectors.check_merge`).
2. ``--min-duration`` and an explicitly chosen ``--detector`` are refused when
   no input holds raw samples and no fixation has a duration (SALICON points, a
   fixation list with only start times): no minimum could act on a row. The
   default detector is not refused there, and ``policies`` then records no
   detector.
3. ``saliency ingest --help`` shows the QC thresholds' defaults.

Inputs are tiny hand-made files; oracles are the hand-written error lines and
what the options can possibly act on.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from saliency.cli import main
from tests.ingest_fakes import grey_stimuli

SIZE = (64, 48)  # stimulus = screen: stimulus pixel = screen pixel
SCREEN = ["--screen-px", f"{SIZE[0]}x{SIZE[1]}"]
DEGREES = ["--screen-cm", "40x30", "--distance-cm", "60"]
MERGE_TAIL = ("fixations are merged only when both are above 0, so this would merge nothing; give both above 0, "
              "or both 0 to turn merging off")
NO_DURATION_TAIL = ("not used: no input holds raw samples (nothing to detect) and no fixation read has a duration "
                    "(inputs: {fmt}), so no minimum duration can act on them; leave {it} out")


def _stimuli(tmp_path, names=("img1", "img2")):
    return grey_stimuli(tmp_path, names, SIZE)


def _run(tmp_path, capsys, logs, *extra, out="d"):
    try:
        rc = main(["ingest", *map(str, logs), "--stimuli", str(tmp_path / "stim"), "--out", str(tmp_path / out),
                   "--no-ioc", "--quiet", "--sigma-px", "3", *extra])
    except SystemExit as exc:  # argparse
        rc = exc.code
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _refused(tmp_path, capsys, logs, *extra, line: str):
    """Exit 2, exactly ``line`` on stderr, no --out folder and no staging folder left."""
    rc, out, err = _run(tmp_path, capsys, logs, *extra, out="refused")
    assert rc == 2, err
    assert err == line + "\n", err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "refused").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".refused")]  # the stage is gone too


def _policies(tmp_path, out="d"):
    return json.loads((tmp_path / out / "dataset.json").read_text())["policies"]


def _samples(tmp_path, name="samples.csv"):
    """Raw samples (docs/FORMATS.md generic table), 500 Hz: 600 ms at x=20, then 600 ms at x=40 (two fixations)."""
    t = np.arange(0, 1200, 2.0)
    x = np.where(t < 600, 20.0, 40.0)
    p = tmp_path / name
    pd.DataFrame({"subject": "s3", "stimulus": "img1", "time_ms": t, "x": x, "y": 20.0}).to_csv(p, index=False)
    return p


def _salicon(tmp_path, name="fix.json"):
    """A SALICON-style fixations JSON: points ([row, col], 1-based) without any time or duration."""
    images = [{"id": i, "file_name": f"img{i}.png", "width": SIZE[0], "height": SIZE[1]} for i in (1, 2)]
    anns = [{"image_id": 1, "worker_id": 5, "fixations": [[20, 30], [10, 5], [40, 60]]},
            {"image_id": 2, "worker_id": 6, "fixations": [[30, 20], [25, 25]]}]
    p = tmp_path / name
    p.write_text(json.dumps({"images": images, "annotations": anns}))
    return p


def _starts_only(tmp_path, name="starts.csv"):
    """A fixation list with start times but no duration (nor end) column: durations unknown."""
    p = tmp_path / name
    p.write_text("subject,stimulus,x,y,t_start_ms\ns1,img1,10,10,0\ns1,img1,40,30,300\ns2,img2,30,20,0\n")
    return p


def _timed(tmp_path, name="timed.csv"):
    """A fixation list with durations 200, 60 (short for ivt's 100 ms and the 80 given below) and 250 ms."""
    p = tmp_path / name
    p.write_text("subject,stimulus,x,y,t_start_ms,duration_ms\n"
                 "s1,img1,10,10,0,200\ns1,img1,40,30,300,60\ns2,img1,30,20,0,250\n")
    return p


# ---------------------------------------------------------------- 1: a merge setting that merges nothing

@pytest.mark.parametrize("extra, said", [
    (["--detector", "ivt", "--merge-ms", "75"], "--merge-ms 75 with --merge-deg 0 (the ivt default)"),
    (["--detector", "idt", "--merge-deg", "0.5"], "--merge-ms 0 (the idt default) with --merge-deg 0.5"),
    (["--detector", "tobii-ivt", "--merge-deg", "0"], "--merge-ms 75 (the tobii-ivt default) with --merge-deg 0"),
    (["--merge-ms", "0", "--merge-deg", "0.5"], "--merge-ms 0 with --merge-deg 0.5"),  # nh, the default
])
def test_half_merge_is_refused_when_an_input_holds_samples(tmp_path, capsys, extra, said):
    _stimuli(tmp_path)
    logs = [_samples(tmp_path), _timed(tmp_path)]  # a fixation list beside the samples changes nothing
    _refused(tmp_path, capsys, logs, *extra, *SCREEN, *DEGREES,
             line=f"saliency ingest: error: {said}: {MERGE_TAIL}")


def test_half_merge_line_is_the_one_saliency_detect_prints(tmp_path, capsys):
    """One shared check: ``saliency detect`` refuses the same options with the same words."""
    _stimuli(tmp_path)
    smp = _samples(tmp_path)
    rc = main(["detect", str(smp), "--out", str(tmp_path / "det"), "--quiet", *SCREEN, *DEGREES,
               "--detector", "ivt", "--merge-ms", "75"])
    err = capsys.readouterr().err
    assert rc == 2 and err == f"saliency detect: error: --merge-ms 75 with --merge-deg 0 (the ivt default): " \
                              f"{MERGE_TAIL}\n", err
    assert not (tmp_path / "det").exists()


@pytest.mark.parametrize("extra, merge", [
    (["--detector", "ivt", "--merge-ms", "75", "--merge-deg", "0.5"], (75.0, 0.5)),
    (["--detector", "tobii-ivt", "--merge-ms", "0", "--merge-deg", "0"], (0.0, 0.0)),  # merging turned off
    (["--detector", "tobii-ivt", "--merge-ms", "50"], (50.0, 0.5)),  # with the default 0.5 deg (recorded): merges
])
def test_merge_settings_that_merge_run_and_are_recorded(tmp_path, capsys, extra, merge):
    _stimuli(tmp_path)
    rc, _, err = _run(tmp_path, capsys, [_samples(tmp_path)], *extra, *SCREEN, *DEGREES)
    assert rc == 0, err
    pol = _policies(tmp_path)
    assert (pol["merge_ms"], pol["merge_deg"]) == merge and pol["detector"] == extra[1]


def test_half_merge_on_fixation_lists_only_is_refused_as_unused(tmp_path, capsys):
    """No raw samples: the merge options are unused whatever their values (the existing refusal names them)."""
    _stimuli(tmp_path)
    _refused(tmp_path, capsys, [_timed(tmp_path)], "--detector", "ivt", "--merge-ms", "75", *SCREEN,
             line="saliency ingest: error: --merge-ms 75: fixation detection options, but no input holds raw "
                  "samples (the inputs are fixation lists, taken as the files give them); leave it out")


# ---------------------------------------------------------------- 2: no samples and no durations

@pytest.mark.parametrize("make, fmt", [(_salicon, "salicon"), (_starts_only, "fixations")])
@pytest.mark.parametrize("extra, named", [
    (["--min-duration", "50"], "--min-duration 50"),
    (["--min-duration", "0"], "--min-duration 0"),
    (["--detector", "ivt"], "--detector ivt"),
    (["--detector", "idt"], "--detector idt"),
    (["--detector", "nh"], "--detector nh"),  # given explicitly: it would act on nothing either
    (["--detector", "tobii-ivt", "--min-duration", "80"], "--detector tobii-ivt, --min-duration 80"),
    (["--detector", "tracker", "--min-duration", "50"], "--min-duration 50"),
])
def test_duration_options_refused_without_samples_or_durations(tmp_path, capsys, make, fmt, extra, named):
    _stimuli(tmp_path)
    it = "them" if ", " in named else "it"
    _refused(tmp_path, capsys, [make(tmp_path)], *extra,
             line=f"saliency ingest: error: {named}: " + NO_DURATION_TAIL.format(fmt=fmt, it=it))


@pytest.mark.parametrize("make", [_salicon, _starts_only])
def test_default_detector_without_samples_or_durations_runs_and_claims_no_detector(tmp_path, capsys, make):
    _stimuli(tmp_path)
    p = make(tmp_path)
    rc, _, err = _run(tmp_path, capsys, [p])
    assert rc == 0, err
    pol = _policies(tmp_path)
    assert pol["detector"] is None and pol["detector_min_duration_ms"] is None and pol["min_duration_ms"] is None
    rc, _, err = _run(tmp_path, capsys, [p], "--detector", "tracker", out="t")  # kept as the file gives them
    assert rc == 0, err
    pol = _policies(tmp_path, "t")
    assert pol["detector"] == "tracker" and pol["detector_min_duration_ms"] is None


@pytest.mark.real_data
def test_real_salicon_examples_refuse_min_duration(tmp_path, capsys):
    """The reviewers' command on the shared SALICON examples."""
    from pathlib import Path

    data = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "salicon_examples"
    if not (data / "fixations_train2014examples.json").exists():
        pytest.skip("shared SALICON examples not present")
    rc = main(["ingest", str(data / "fixations_train2014examples.json"), "--stimuli", str(data / "images"),
               "--sigma-px", "19", "--out", str(tmp_path / "o"), "--min-duration", "50", "--no-ioc", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err == "saliency ingest: error: --min-duration 50: " + NO_DURATION_TAIL.format(
        fmt="salicon", it="it") + "\n", err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra, detector, minimum, kept", [
    ([], "nh", 40.0, 3),  # the default detector's minimum holds fixation lists (60 ms >= 40)
    (["--detector", "ivt"], "ivt", 100.0, 2),  # the 60 ms fixation is short for I-VT's 100 ms
    (["--min-duration", "80"], "nh", 80.0, 2),
    (["--detector", "tracker", "--min-duration", "80"], "tracker", None, 2),
])
def test_fixation_durations_let_the_detector_minimum_act(tmp_path, capsys, extra, detector, minimum, kept):
    """Fixation lists with durations are held to the detector's minimum (README): the options act, and are kept."""
    _stimuli(tmp_path)
    rc, _, err = _run(tmp_path, capsys, [_timed(tmp_path)], *extra)
    assert rc == 0, err
    pol = _policies(tmp_path)
    assert pol["detector"] == detector and pol["detector_min_duration_ms"] == minimum
    assert len(pd.read_csv(tmp_path / "d" / "fixations.csv")) == kept


def test_min_duration_kept_when_an_input_holds_samples(tmp_path, capsys):
    """SALICON points beside raw samples: the detector makes the samples' durations, so the minimum acts."""
    _stimuli(tmp_path)
    rc, _, err = _run(tmp_path, capsys, [_salicon(tmp_path), _samples(tmp_path)], "--detector", "ivt",
                      "--min-duration", "50", *SCREEN, *DEGREES)
    assert rc == 0, err
    pol = _policies(tmp_path)
    assert pol["detector"] == "ivt" and pol["min_duration_ms"] == 50.0 and pol["detector_min_duration_ms"] == 50.0


def test_library_detector_given_follows_the_default(tmp_path):
    """The library cannot tell IngestOptions' default from a chosen nh: only another detector counts as chosen."""
    from saliency.base.errors import UserError
    from saliency.data_tools.ingest import IngestOptions, ingest

    _stimuli(tmp_path)
    p = _salicon(tmp_path)
    m = ingest([p], tmp_path / "stim", tmp_path / "a", IngestOptions(sigma_px=3.0, ioc=False, progress=False))
    assert m["policies"]["detector"] is None
    with pytest.raises(UserError, match="^detector ivt: not used"):
        ingest([p], tmp_path / "stim", tmp_path / "b", IngestOptions(sigma_px=3.0, detector="ivt", ioc=False,
                                                                       progress=False))
    assert not (tmp_path / "b").exists()
    with pytest.raises(UserError, match="^detector nh: not used"):
        ingest([p], tmp_path / "stim", tmp_path / "c", IngestOptions(sigma_px=3.0, ioc=False, progress=False),
               detector_given=True)


# ---------------------------------------------------------------- 3: --help shows the QC defaults

def test_help_shows_the_qc_defaults(capsys):
    with pytest.raises(SystemExit) as e:
        main(["ingest", "--help"])
    assert e.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for part in ("below this valid-sample share (default 0.7)", "with fewer fixations (default 2)",
                 "above this off-stimulus share (default 0.25)", "(default nh)"):
        assert part in text, part

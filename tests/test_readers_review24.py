"""Review 24, readers: ASC files without TRIALID, headers with spaces around the column names.

- An EyeLink ASC file without any TRIALID starts a trial at each stimulus
  message (``eyelink_asc`` docstring, rule 2); each such trial has its own id
  (``1``, ``2``, ... in time order), so two presentations of one image are two
  trials (was: every trial's id ``""``, both presentations merged into one:
  ``detect`` said 1 trial, ``ingest --drop-first`` dropped 1 first fixation).
  Only an ``!V IMGLOAD`` (a new display) or a ``!V TRIAL_VAR`` naming another
  image than the current trial's starts one: a ``TRIAL_VAR`` naming the image
  on show labels its trial (was: split it in two, a fixation cut in two
  pieces, ``--drop-first`` dropping twice as many), an ``IMGLOAD`` of the
  image a ``TRIAL_VAR`` just announced joins that trial.
- A header with spaces around its names (``time, x, y``, a Tobii Pro Lab cell
  `` Gaze point X``) is found by the stripped names and read by the header's
  own spelling (was: refused, "Usecols do not match columns").

Oracles are the files' hand-designed content: gaze rests at known points for
known sample counts; row counts are the lines written.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from saliency.cli import main
from saliency.data_tools.readers import ReadOptions, chunks, eyelink_asc

GEOM = ["--screen-px", "1920x1080", "--screen-cm", "53x30", "--distance-cm", "60"]
# per recording block: (start time, two resting points of 150 samples each at 500 Hz = 300 ms each)
BLOCKS = [(1000, (500, 300), (900, 500)), (2000, (1500, 800), (1100, 600))]


def _asc(tmp_path, trialid: bool):
    """Two recording blocks, each showing img0.png (``!V IMGLOAD``), with or without a TRIALID message."""
    lines = ["** CONVERTED FROM N.EDF using edf2asc", "**", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00"]
    for k, (t0, a, b) in enumerate(BLOCKS):
        lines += [f"START\t{t0} \tRIGHT\tSAMPLES\tEVENTS",
                  "SAMPLES\tGAZE\tRIGHT\tRATE\t 500.00\tTRACKING\tCR\tFILTER\t2"]
        lines += [f"MSG\t{t0} TRIALID {k + 1}"] if trialid else []
        lines += [f"MSG\t{t0} !V IMGLOAD FILL img0.png"]
        for i in range(300):
            x, y = a if i < 150 else b
            lines.append(f"{t0 + 2 * i}\t  {x:.1f}\t  {y:.1f}\t 1000.0\t...")
        lines.append(f"END\t{t0 + 600} \tSAMPLES\tEVENTS\tRES\t  38.00\t  36.50")
    p = tmp_path / ("with.asc" if trialid else "without.asc")
    p.write_text("\n".join(lines) + "\n")
    return p


def _stim(tmp_path, w=192, h=108, names=("img0.png",)):
    import cv2

    d = tmp_path / "stim"
    d.mkdir(exist_ok=True)
    for nm in names:
        cv2.imwrite(str(d / nm), np.full((h, w, 3), 128, np.uint8))
    return d


def test_asc_without_trialid_gives_each_stimulus_message_its_own_trial(tmp_path):
    p = _asc(tmp_path, trialid=False)
    rd = eyelink_asc.read(p, ReadOptions())
    df = pd.concat([c.df for c in rd.chunks()], ignore_index=True)
    assert rd.notes["trials"] == 2
    # samples of block 1 (times 1000..1598) in trial "1", of block 2 (2000..2598) in trial "2"
    assert df.groupby("trial")["time_ms"].agg(["min", "max", "size"]).values.tolist() == [
        [1000.0, 1598.0, 300], [2000.0, 2598.0, 300]]
    assert df.groupby("trial").size().index.tolist() == ["1", "2"]
    assert set(df["stimulus"]) == {"img0.png"}


def test_detect_and_drop_first_without_trialid_as_with_it(tmp_path, capsys):
    stim = _stim(tmp_path)
    for trialid in (False, True):
        p = _asc(tmp_path, trialid)
        d = tmp_path / f"d_{trialid}"
        assert main(["detect", str(p), "--detector", "ivt", "--out", str(d), *GEOM]) == 0
        assert "2 trials, 600 samples" in capsys.readouterr().out
        assert json.loads((d / "detection.json").read_text())["counts"]["trials"] == 2
        o = tmp_path / f"o_{trialid}"
        assert main(["ingest", str(p), "--drop-first", "--detector", "ivt", "--stimuli", str(stim),
                     "--out", str(o), *GEOM, "--quiet"]) == 0
        q = pd.read_csv(o / "quarantine.csv")
        assert (q["reason"] == "first_fixation").sum() == 2  # one per presentation (was 1 without TRIALID)
        fx = pd.read_csv(o / "fixations.csv")
        # the second rest of each block stays: it starts 300 ms into the block (give or take the saccade)
        assert len(fx) == 2
        starts = sorted(fx["t_start_ms"].tolist())
        assert 1290 <= starts[0] <= 1310 and 2290 <= starts[1] <= 2310


def test_csv_chunks_reads_names_written_with_spaces(tmp_path):
    p = tmp_path / "sp.csv"
    p.write_text("time, x, y ,stimulus\n0, 100, 200 ,img0.png\n10, 101, 201 ,img0.png\n")
    got = list(chunks.csv_chunks(p, ",", ["time", "x", "y"]))
    assert len(got) == 1
    df, lines, bad = got[0]
    assert sorted(df.columns) == ["time", "x", "y"]
    assert df["x"].str.strip().tolist() == ["100", "101"] and df["y"].str.strip().tolist() == ["200", "201"]
    assert lines.tolist() == [2, 3] and bad.tolist() == []
    # a name written exactly as asked wins over one that only matches once stripped
    q = tmp_path / "both.csv"
    q.write_text("x, x,y\n1,2,3\n")
    df = next(chunks.csv_chunks(q, ",", ["x", "y"]))[0]
    assert df[["x", "y"]].values.tolist() == [["1", "3"]]


def _rest(n, a, b):
    """n samples at 500 Hz, the first half resting at ``a``, the rest at ``b`` (two fixations)."""
    return [(2 * i, *(a if i < n // 2 else b)) for i in range(n)]


def test_ingest_headers_with_spaces_around_names(tmp_path, capsys):
    stim = _stim(tmp_path, 64, 48)
    rows = _rest(300, (100, 100), (400, 100))
    sp = tmp_path / "sp.csv"
    sp.write_text("time, x, y, stimulus\n" + "".join(f"{t}, {x}, {y}, img0.png\n" for t, x, y in rows))
    tob = tmp_path / "sp_tobii.tsv"
    tob.write_text("Recording timestamp [ms]\t Gaze point X\tGaze point Y \tPresented Media name\n"
                   + "".join(f"{t}\t{x}\t{y}\timg0.png\n" for t, x, y in rows))
    for p, fmt in ((sp, "samples"), (tob, "tobii")):
        n = len(p.read_text().splitlines()) - 1  # data rows: the lines after the header
        assert n == 300
        o = tmp_path / f"o_{p.stem}"
        rc = main(["ingest", str(p), "--detector", "ivt", "--stimuli", str(stim), "--out", str(o),
                   "--screen-px", "640x480", "--screen-cm", "53x30", "--distance-cm", "60", "--quiet"])
        assert rc == 0, capsys.readouterr().err
        (inp,) = json.loads((o / "dataset.json").read_text())["inputs"]
        assert inp["format"] == fmt
        assert inp["rows"]["read"] == n and inp["rows"]["kept"] == n and inp["rows"]["quarantined"] == {}
        fx = pd.read_csv(o / "fixations.csv")
        assert fx[["x", "y"]].round().values.tolist() == [[10.0, 10.0], [40.0, 10.0]]  # 640x480 -> 64x48


def _asc_msgs(tmp_path, name, msgs, samples):
    """One recording block without TRIALID: ``msgs`` (time, text) and ``samples`` (time, x, y), sorted by time."""
    body = [(t, 0, f"MSG\t{t} {m}") for t, m in msgs]
    body += [(t, 1, f"{t}\t  {x:.1f}\t  {y:.1f}\t 1000.0\t...") for t, x, y in samples]
    t0 = min(t for t, _, _ in body)
    lines = ["** CONVERTED FROM N.EDF using edf2asc", "**", "MSG\t900 GAZE_COORDS 0.00 0.00 1919.00 1079.00",
             f"START\t{t0} \tRIGHT\tSAMPLES\tEVENTS", "SAMPLES\tGAZE\tRIGHT\tRATE\t 500.00\tTRACKING\tCR"]
    lines += [ln for _, _, ln in sorted(body)]
    lines.append(f"END\t{max(t for t, _, _ in body) + 2} \tSAMPLES\tEVENTS\tRES\t  38.00\t  36.50")
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def _trials(p):
    """The reader's trial count and, per trial id, [stimuli, first time, last time, samples]."""
    rd = eyelink_asc.read(p, ReadOptions())
    df = pd.concat([c.df for c in rd.chunks()], ignore_index=True)
    per = {tr: [sorted(set(g["stimulus"])), g["time_ms"].min(), g["time_ms"].max(), len(g)]
           for tr, g in df.groupby("trial")}
    return rd.notes["trials"], per


def _samples(t0, n, a=(500, 300), b=None):
    """``n`` samples at 500 Hz from ``t0``, resting at ``a`` (then at ``b`` from the middle on, if given)."""
    return [(t0 + 2 * i, *(a if b is None or i < n // 2 else b)) for i in range(n)]


def test_asc_without_trialid_two_imgloads_of_one_image_are_two_trials(tmp_path):
    # (a) IMGLOAD img0 at 1000 and again at 1200, in one recording block: two displays, two trials
    p = _asc_msgs(tmp_path, "a.asc", [(1000, "!V IMGLOAD FILL img0.png"), (1200, "!V IMGLOAD FILL img0.png")],
                  _samples(1000, 200))
    assert _trials(p) == (2, {"1": [["img0.png"], 1000.0, 1198.0, 100], "2": [["img0.png"], 1200.0, 1398.0, 100]})


def test_asc_without_trialid_trial_var_of_the_image_on_show_does_not_split_its_trial(tmp_path):
    # (b) IMGLOAD at each onset, TRIAL_VAR image <same> written mid-presentation (1100, 1300) while samples go on
    msgs = [(1000, "!V IMGLOAD FILL img0.png"), (1100, "!V TRIAL_VAR image img0.png"),
            (1200, "!V IMGLOAD FILL img1.png"), (1300, "!V TRIAL_VAR image img1.png")]
    p = _asc_msgs(tmp_path, "b.asc", msgs, _samples(1000, 200))
    # was: 4 trials (1000-1098, 1100-1198, 1200-1298, 1300-1398), 50 samples each
    assert _trials(p) == (2, {"1": [["img0.png"], 1000.0, 1198.0, 100], "2": [["img1.png"], 1200.0, 1398.0, 100]})


def test_asc_without_trialid_imgload_after_trial_var_of_the_same_image_joins_its_trial(tmp_path):
    # TRIAL_VAR image img0 at 1000 announces the trial, its IMGLOAD follows at 1010: one trial from 1000
    msgs = [(1000, "!V TRIAL_VAR image img0.png"), (1010, "!V IMGLOAD FILL img0.png"),
            (1200, "!V TRIAL_VAR image img1.png"), (1210, "!V IMGLOAD CENTER img1.png 960 540")]
    p = _asc_msgs(tmp_path, "j.asc", msgs, _samples(1000, 200))
    # was: 4 trials (1000-1008: 5 samples, 1010-1198: 95, 1200-1208: 5, 1210-1398: 95)
    assert _trials(p) == (2, {"1": [["img0.png"], 1000.0, 1198.0, 100], "2": [["img1.png"], 1200.0, 1398.0, 100]})


def test_asc_without_trialid_trial_var_only_starts_a_trial_at_each_new_image(tmp_path):
    # (c) no IMGLOAD: img0 (repeated at 1100: same image, no new trial), img1 at 1200, img0 again at 1300
    msgs = [(1000, "!V TRIAL_VAR image img0.png"), (1100, "!V TRIAL_VAR image img0.png"),
            (1200, "!V TRIAL_VAR stimulus img1.png"), (1300, "!V TRIAL_VAR image img0.png")]
    p = _asc_msgs(tmp_path, "c.asc", msgs, _samples(1000, 200))
    assert _trials(p) == (3, {"1": [["img0.png"], 1000.0, 1198.0, 100], "2": [["img1.png"], 1200.0, 1298.0, 50],
                              "3": [["img0.png"], 1300.0, 1398.0, 50]})


def test_detect_and_drop_first_with_trial_var_mid_presentation(tmp_path, capsys):
    # the reviewer's case: per image an IMGLOAD at onset and a TRIAL_VAR 400 ms in, inside the second rest
    # (each image 600 ms: rest 300 ms at one point, then 300 ms at another)
    msgs = [(1000, "!V IMGLOAD FILL img0.png"), (1400, "!V TRIAL_VAR image img0.png"),
            (1600, "!V IMGLOAD FILL img1.png"), (2000, "!V TRIAL_VAR image img1.png")]
    samples = _samples(1000, 300, (500, 300), (900, 500)) + _samples(1600, 300, (1500, 800), (1100, 600))
    p = _asc_msgs(tmp_path, "r.asc", msgs, samples)
    stim = _stim(tmp_path, names=("img0.png", "img1.png"))
    d = tmp_path / "d"
    assert main(["detect", str(p), "--detector", "ivt", "--out", str(d), *GEOM]) == 0
    assert "2 trials, 600 samples" in capsys.readouterr().out  # was: 4 trials
    o = tmp_path / "o"
    assert main(["ingest", str(p), "--drop-first", "--detector", "ivt", "--stimuli", str(stim),
                 "--out", str(o), *GEOM, "--quiet"]) == 0
    q = pd.read_csv(o / "quarantine.csv")
    assert (q["reason"] == "first_fixation").sum() == 2  # one per presentation (was 4)
    fx = pd.read_csv(o / "fixations.csv")
    # kept: each image's second rest, whole (300 ms from 300 ms in, give or take the saccade)
    assert len(fx) == 2
    starts = sorted(fx["t_start_ms"].tolist())
    assert 1290 <= starts[0] <= 1310 and 1890 <= starts[1] <= 1910
    assert all(280 <= d <= 310 for d in fx["duration_ms"])


def test_asc_without_trialid_trial_var_naming_the_image_without_extension_does_not_split(tmp_path):
    # Experiment Builder writes `TRIAL_VAR image img0` (no extension, or another case: its PC ignores case) for the
    # img0.png on show:
    # the stimulus index takes both for one image, so the reader does too (review 24: a fixation was cut in two)
    msgs = [(1000, "!V IMGLOAD FILL images/img0.png"), (1100, "!V TRIAL_VAR image img0"),
            (1200, "!V IMGLOAD FILL images/img1.png"), (1300, "!V TRIAL_VAR image IMG1.PNG")]
    p = _asc_msgs(tmp_path, "e.asc", msgs, _samples(1000, 200))
    n, trials = _trials(p)
    assert n == 2
    assert [(v[1], v[2], v[3]) for v in trials.values()] == [(1000.0, 1198.0, 100), (1200.0, 1398.0, 100)]


def test_asc_without_trialid_two_images_that_differ_beyond_an_extension_are_two_trials(tmp_path):
    # beach and beach.v2 (beach.v2.png), Cat.png and cat.png: other files, as the stimulus index keeps them apart
    # (a.png and a.jpg are one name for the index, which refuses a folder holding both: one image here too)
    for k, (a, b) in enumerate((("beach", "beach.v2"), ("Cat.png", "cat.png"))):
        msgs = [(1000, f"!V TRIAL_VAR image {a}"), (1200, f"!V TRIAL_VAR image {b}")]
        p = _asc_msgs(tmp_path, f"d{k}.asc", msgs, _samples(1000, 200))
        n, trials = _trials(p)
        assert n == 2, (a, b)
        assert [(v[1], v[2], v[3]) for v in trials.values()] == [(1000.0, 1198.0, 100), (1200.0, 1398.0, 100)]

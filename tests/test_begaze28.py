"""BeGaze (review 28): a stimulus file name with a space in a message, the IDF Converter ``## [iView]`` header
under ``--format auto``, and BeGaze's Raw Data / Event Statistics exports refused with advice that works."""

from __future__ import annotations

import shlex

import pandas as pd
import pytest
from PIL import Image

from cli_fakes import refusal, run_cli
from saliency.data_tools.readers.vendor import image_in

GEOM = ["--screen-cm", "47.4x29.7", "--distance-cm", "70"]


def _stimuli(folder, names, size=(1680, 1050)):
    folder.mkdir()
    for name in names:
        Image.new("RGB", size, (90, 120, 150)).save(folder / name)
    return folder


def _samples(points, per_point=200, t0=1_000_000):
    """SMP rows, 500 Hz (Time in µs), ``per_point`` samples at each (x, y) with 0 / 0.3 / 0.6 px jitter in x."""
    rows, t = [], t0
    for x, y in points:
        for k in range(per_point):
            t += 2000
            rows.append(f"{t}\tSMP\t1\t{x + 0.3 * (k % 3):.2f}\t{y:.2f}\tFixation")
    return rows


def _fix(out):
    return pd.read_csv(out / "fixations.csv", keep_default_na=False)


# ---------------------------------------------------------------- F1: a stimulus name with a space

SAMPLE_HEAD = ("## [BeGaze]\n## Sample Rate:\t500\n## [Run]\n## Subject:\tP07\n## [Calibration]\n"
               "## Calibration Area:\t1680\t1050\n##\nTime\tType\tTrial\tL POR X [px]\tL POR Y [px]\tL Event Info\n")


def test_sample_message_with_a_space_names_the_whole_file(tmp_path, capsys):
    # `01.jpg` exists too: the old reader cut the message to it and sent every fixation there, silently
    stim = _stimuli(tmp_path / "stim", ["01.jpg", "cat 01.jpg"])
    log = tmp_path / "P07.txt"
    log.write_text(SAMPLE_HEAD + "1000000\tMSG\t1\t# Message: cat 01.jpg\n"
                   + "\n".join(_samples([(400, 500), (1200, 500)])) + "\n")
    rc, out, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, *GEOM, "--out", tmp_path / "o"])
    assert rc == 0, err
    fx = _fix(tmp_path / "o")
    assert list(fx["stimulus"]) == ["cat 01", "cat 01"]
    # each fixation: the mean of 400 / 400.3 / 400.6 (screen = stimulus size: positions unchanged)
    assert fx["x"].tolist() == pytest.approx([400.3, 1200.3], abs=0.2)
    assert fx["y"].tolist() == pytest.approx([500.0, 500.0], abs=0.01)


EVENT_HEAD = ("[BeGaze]\n[Run]\nSubject:\tP08\n[Calibration]\nCalibration Area:\t1680\t1050\n\n"
              "Table Header for Fixations:\nEvent Type\tTrial\tNumber\tStart\tEnd\tDuration\tLocation X\tLocation Y\t"
              "Dispersion X\tDispersion Y\tPlane\tAvg. Pupil Size X\tAvg. Pupil Size Y\n\n"
              "Table Header for User Events:\nEvent Type\tTrial\tNumber\tStart\tDescription\n\n")


def test_user_event_path_with_a_space_names_the_whole_file(tmp_path, capsys):
    stim = _stimuli(tmp_path / "stim", ["01.jpg", "cat 01.jpg"])
    log = tmp_path / "P08_Events.txt"
    log.write_text(EVENT_HEAD
                   + "UserEvent\t1\t1\t1000000\t# Message: C:\\stimuli\\cat 01.jpg\n"
                   + "Fixation L\t1\t1\t1100000\t1400000\t300000\t400\t500\t20\t20\t-1\t17\t17\n"
                   + "Fixation L\t1\t2\t1500000\t1750000\t250000\t1200\t600\t20\t20\t-1\t17\t17\n")
    rc, out, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, *GEOM, "--out", tmp_path / "o"])
    assert rc == 0, err
    fx = _fix(tmp_path / "o")
    assert list(fx["stimulus"]) == ["cat 01", "cat 01"]
    assert fx["x"].tolist() == pytest.approx([400, 1200], abs=0.5)
    assert fx["duration_ms"].tolist() == [300.0, 250.0]  # µs in the file


def test_names_without_a_space_are_read_as_before():
    assert image_in("# Message: img1.jpg") == "img1.jpg"
    assert image_in("# Message: C:\\data\\stim/img2.PNG") == "img2.PNG"
    assert image_in("# Message: img3.jpg shown") == "img3.jpg"  # text after the name: the word
    assert image_in("# Message: UE-keypress A") == ""
    assert image_in("# Message: cat 01.jpg") == "cat 01.jpg"


# ---------------------------------------------------------------- F2: IDF Converter `## [iView]` header

def _iview(first: str) -> str:
    return (first + "## Converted from:\tC:\\data\\P01.idf\n## Date:\t08.03.2023 09:25:20\n"
            "## Version:\tIDF Converter 3.0.8\n## Sample Rate:\t500\n## [Run]\n## Subject:\tP09\n"
            "## [Calibration]\n## Calibration Area:\t1680\t1050\n##\n"
            "Time\tType\tTrial\tL POR X [px]\tL POR Y [px]\tL Event Info\n"
            "1000000\tMSG\t1\t# Message: img1.jpg\n" + "\n".join(_samples([(400, 500), (1200, 600)])) + "\n")


@pytest.mark.parametrize("first", ["## [iView]\n", ""], ids=["iview", "converted-from-first"])
def test_idf_converter_header_is_detected(tmp_path, capsys, first):
    stim = _stimuli(tmp_path / "stim", ["img1.jpg"])
    log = tmp_path / "P09 iview.txt"
    log.write_text(_iview(first))
    rc, out, err = run_cli(capsys, ["ingest", log, "--stimuli", stim, *GEOM, "--out", tmp_path / "o"])
    assert rc == 0, err
    fx = _fix(tmp_path / "o")
    assert list(fx["subject"]) == ["P09", "P09"] and list(fx["stimulus"]) == ["img1", "img1"]
    assert fx["x"].tolist() == pytest.approx([400.3, 1200.3], abs=0.2)
    assert fx["y"].tolist() == pytest.approx([500.0, 600.0], abs=0.01)


# ---------------------------------------------------------------- F3: Raw Data / Event Statistics exports

RAW_COLS = ["RecordingTime [ms]", "Time of Day [h:m:s:ms]", "Trial", "Stimulus", "Export Start Trial Time [ms]",
            "Export End Trial Time [ms]", "Participant", "Color", "Tracking Ratio [%]", "Category Group",
            "Category Binocular", "Index Binocular", "Pupil Size Right X [px]", "Point of Regard Binocular X [px]",
            "Point of Regard Binocular Y [px]", "AOI Name Binocular"]


def _raw(path):
    rows = []
    for i in range(400):
        x, y = (400.0, 300.0) if i < 200 else (1200.0, 900.0)
        rows.append(f"{1000 + 2 * i:.1f}\t10:00:00:{i}\tTrial001\timg1.jpg\t0\t800\tP01\tColor\t99\tEye\tFixation\t"
                    f"1\t12.0\t{x + 0.3 * (i % 3):.1f}\t{y}\t-")
    path.write_text("\t".join(RAW_COLS) + "\n" + "\n".join(rows) + "\n")


EVSTATS = ("Trial\tStimulus\tExport Start Trial Time [ms]\tExport End Trial Time [ms]\tParticipant\tColor\tEye L/R\t"
           "Category\tIndex\tEvent Start Trial Time [ms]\tEvent End Trial Time [ms]\tEvent Duration [ms]\t"
           "Fixation Position X [px]\tFixation Position Y [px]\tFixation Average Pupil Size X [px]\n"
           "Trial001\timg1.jpg\t0\t5000\tP01\tColor\tRight\tFixation\t1\t100.0\t350.0\t250.0\t400.0\t300.0\t12\n"
           "Trial001\timg1.jpg\t0\t5000\tP01\tColor\tRight\tSaccade\t1\t350.0\t380.0\t30.0\t-\t-\t-\n"
           "Trial001\timg1.jpg\t0\t5000\tP01\tColor\tRight\tFixation\t2\t500.0\t800.0\t300.0\t1200.0\t900.0\t12\n")


def _advised(line: str) -> list[str]:
    """The options the refusal advises (``--format ... --columns "..."``), as a shell would split them."""
    tail = line[line.index("--format "):]
    return shlex.split(tail[:tail.index('"', tail.index('"') + 1) + 1])


@pytest.mark.parametrize("fmt", ["auto", "begaze"])
def test_raw_data_export_refused_with_working_advice(tmp_path, capsys, fmt):
    stim = _stimuli(tmp_path / "stim", ["img1.jpg"], size=(1600, 1200))
    log = tmp_path / "raw.txt"
    _raw(log)
    geom = ["--screen-px", "1600x1200", "--screen-cm", "40x30", "--distance-cm", "60"]
    line = refusal(*run_cli(capsys, ["ingest", log, "--format", fmt, "--stimuli", stim, *geom,
                                     "--out", tmp_path / "o"]))
    assert "a BeGaze Raw Data export" in line and "is not read" in line and "IDF Converter" in line
    assert "'Export Raw Data to File'" in line
    advice = _advised(line)
    assert advice == ["--format", "samples", "--columns", "time=RecordingTime [ms],x=Point of Regard Binocular X "
                      "[px],y=Point of Regard Binocular Y [px]"]
    assert not (tmp_path / "o").exists()
    rc, out, err = run_cli(capsys, ["ingest", log, *advice, "--stimuli", stim, *geom, "--out", tmp_path / "o2"])
    assert rc == 0, err
    fx = _fix(tmp_path / "o2")
    assert list(fx["subject"]) == ["P01", "P01"] and list(fx["stimulus"]) == ["img1", "img1"]
    # 1000 ms + 2 ms a sample (the time unit from `[ms]`): the second point starts at 1400 ms
    assert fx["t_start_ms"].iloc[1] == pytest.approx(1400, abs=25)


@pytest.mark.parametrize("fmt", ["auto", "begaze"])
def test_event_statistics_export_refused_with_working_advice(tmp_path, capsys, fmt):
    stim = _stimuli(tmp_path / "stim", ["img1.jpg"], size=(1600, 1200))
    log = tmp_path / "evstats.txt"
    log.write_text(EVSTATS)
    geom = ["--screen-px", "1600x1200", "--screen-cm", "40x30", "--distance-cm", "60"]
    line = refusal(*run_cli(capsys, ["ingest", log, "--format", fmt, "--stimuli", stim, *geom,
                                     "--out", tmp_path / "o"]))
    assert "a BeGaze Event Statistics export" in line and "is not read" in line
    advice = _advised(line)
    assert advice == ["--format", "fixations", "--columns", "t_start_ms=Event Start Trial Time [ms],"
                      "duration_ms=Event Duration [ms],x=Fixation Position X [px],y=Fixation Position Y [px]"]
    rc, out, err = run_cli(capsys, ["ingest", log, *advice, "--stimuli", stim, *geom, "--out", tmp_path / "o2"])
    assert rc == 0, err
    fx = _fix(tmp_path / "o2")
    assert fx["t_start_ms"].tolist() == [100.0, 500.0] and fx["duration_ms"].tolist() == [250.0, 300.0]
    assert list(fx["stimulus"]) == ["img1", "img1"]

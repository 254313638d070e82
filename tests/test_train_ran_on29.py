"""Review R17 (stop 29): README says a seeded CPU run repeats exactly only at the same thread count and that the
run's notes say what ``train.threads: auto`` chose, but that note went to stdout only: config.yaml keeps ``auto``,
and nothing in the run folder held the number. Every checkpoint now keeps it (``ran_on``)."""

from __future__ import annotations

import torch

from cli_fakes import run_cli
from train_fakes import TINY_ARGS, make_sod, restore_torch_globals  # noqa: F401 (an autouse fixture)


def test_checkpoints_keep_the_device_and_the_cpu_thread_count(tmp_path, capsys):
    data = make_sod(tmp_path / "S")
    run = tmp_path / "run"
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--out", run, "--epochs", "1",
                                    *[a for a in TINY_ARGS if a != "--deterministic"],
                                    "--set", "train.threads=2"])
    assert rc == 0, err
    for name in ("last.pt", "best.pt"):
        ck = torch.load(run / "checkpoints" / name, map_location="cpu", weights_only=True)
        # a number given: used as given (the oracle: the option itself), and no note of a choice made by auto
        assert ck["ran_on"] == {"device": "cpu", "cpu_threads": 2, "threads_note": None}, ck["ran_on"]


def test_auto_records_the_count_its_note_names(tmp_path, capsys):
    import re

    data = make_sod(tmp_path / "S")
    run = tmp_path / "run"
    rc, out, err = run_cli(capsys, ["train", "--data", data, "--task", "sod", "--out", run, "--epochs", "1",
                                    *TINY_ARGS])
    assert rc == 0, err
    ran = torch.load(run / "checkpoints" / "last.pt", map_location="cpu", weights_only=True)["ran_on"]
    note = ran["threads_note"]
    assert note and note.startswith("train.threads auto: "), ran
    assert f"note: {note}" in out  # the note printed is the one kept
    assert int(re.match(r"train\.threads auto: (\d+) CPU thread", note).group(1)) == ran["cpu_threads"], ran

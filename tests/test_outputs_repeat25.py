"""Review 25: the same results give the same bytes, and a note never names a cause that did not apply.

``saliency eval --plot-dir`` PDFs carried Matplotlib's creation date, so a
rerun (after Ctrl-C, or on another day) never reproduced them byte for byte
while its PNGs did. ``train --deterministic`` runs on one CPU thread whatever
the load, and its note said the load chose it and told the user to fix it.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch

from saliency.cli import main
from saliency.runtime import cpu_threads, threads_note
from tests.image_fakes import sod_folders


def test_curve_pdfs_of_two_runs_are_byte_identical(tmp_path, monkeypatch):
    m = np.zeros((20, 30), np.uint8)
    m[5:15, 10:20] = 255
    gt, pr = sod_folders(tmp_path, {"a": m})
    files = {}
    for i, t in enumerate((1.0e9, 1.5e9)):  # two clocks years apart: a date in the file would differ
        monkeypatch.setattr(time, "time", lambda t=t: t)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(t)))  # Matplotlib dates a PDF from this when set
        out = tmp_path / f"p{i}"
        assert main(["eval", "--task", "sod", "--gt", str(gt), "--pred", f"A={pr}", "--plot-dir", str(out),
                     "--quiet"]) == 0
        files[i] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert sorted(files[0]) == sorted(files[1]) and any(n.endswith(".pdf") for n in files[0])
    for name, data in files[0].items():
        assert data == files[1][name], name
        if name.endswith(".pdf"):
            assert b"/CreationDate" not in data


def test_deterministic_run_notes_its_one_thread_without_the_load(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (18.3, 18.3, 18.3))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    t = {"threads": "auto", "deterministic": True}
    cpu = torch.device("cpu")
    assert cpu_threads(t, cpu) == 1
    assert threads_note(t, cpu, 1) == "train.threads auto: 1 CPU thread (train.deterministic runs on one)"

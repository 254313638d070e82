"""What ``train.threads: auto`` chose is said in the run's notes (review 22, reproducibility of the docs' figures).

The reviewer re-ran the seeded ``saliency demo --quick`` and got other fixation figures than the docs: ``auto``
takes one CPU thread when the machine is busy, and a CPU run's floating-point sums depend on the thread count
(two one-thread runs bit-identical, a two-thread run different from the first epoch). Nothing said which count a
run had used. Oracle: the hand-written note, and None where no choice was made.
"""

from __future__ import annotations

import os

import torch

from saliency.runtime import cpu_threads, threads_note


def test_auto_on_a_cpu_names_the_thread_count_and_how_to_fix_it(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (4.0, 4.0, 4.0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    t = {"threads": "auto", "deterministic": False}
    cpu = torch.device("cpu")
    n = cpu_threads(t, cpu)
    assert n == 1  # busy: load 4.0 above 2 - 1
    assert threads_note(t, cpu, n) == (
        "train.threads auto: 1 CPU thread (load 4.0 on 2 cores); a seeded CPU run repeats exactly only at the same "
        "thread count: set train.threads (e.g. --set train.threads=1) to fix it")


def test_no_note_when_the_count_was_given_or_the_run_is_not_on_a_cpu():
    assert threads_note({"threads": 2, "deterministic": False}, torch.device("cpu"), 2) is None
    assert threads_note({"threads": "auto", "deterministic": False}, torch.device("cuda"), None) is None

"""Review 25: the last line of a command starts a line of its own when a progress bar is still open.

On a terminal, Ctrl-C during ``saliency predict`` or ``ingest`` printed
``predict:  53%|...| 16/30 [00:03<00:02, 5.19img/s]saliency predict: interrupted``:
the bar closed only after the message (the traceback kept its frame alive).
"""

from __future__ import annotations

import sys

from tqdm import tqdm

from saliency import cli


def test_the_interrupted_line_follows_the_bar_on_a_line_of_its_own(capsys):
    bar = tqdm(total=30, desc="predict", unit="img", leave=False, file=sys.stderr)
    bar.update(16)
    bar.refresh()
    cli._say("saliency predict: interrupted")
    err = capsys.readouterr().err
    before, sep, after = err.rpartition("saliency predict: interrupted")
    assert sep and after == "\n"
    assert before.endswith(("\r", "\n")), repr(before[-40:])  # the bar's line cleared or ended first
    assert bar not in tqdm._instances  # closed

"""Review stop 26: a Ctrl-C that a library caught and dropped still ends the command as an interruption.

Found in review: a SIGINT landing in torch's optional ``import triton`` (torch.utils.flop_counter) became an
ImportError that torch handled ("triton not found"); ``saliency crop`` ran on and exited 0 (1 of 14 runs).
docs/RELIABILITY.md promises exit 130 for a Ctrl-C at any moment. Simulated here: the command's run receives a
real SIGINT through the command line's handler, and swallows the KeyboardInterrupt as such a library does.
Oracle: the documented exit statuses (130 Ctrl-C, 143 SIGTERM) and the one-line convention.
"""

from __future__ import annotations

import os
import signal

import pytest

import saliency.cli as cli


@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_a_signal_a_library_dropped_still_ends_as_an_interruption(monkeypatch, capsys, sig, code, word):
    def run_swallowing(parser, args):
        try:
            os.kill(os.getpid(), sig)  # delivered to the command line's handler, which raises
            for _ in range(1000):  # the handler runs between bytecodes
                pass
        except KeyboardInterrupt:  # what torch's `try: import triton / except ImportError` amounted to
            pass
        return 0

    monkeypatch.setattr(cli, "_run_command", run_swallowing)
    rc = cli.main(["models", "--names-only"])
    err = capsys.readouterr().err
    assert rc == code
    assert err == (f"saliency models: {word} (a library caught the signal and the command ran on to its end: its "
                   "output is complete)\n")


def test_a_command_without_a_signal_keeps_its_code(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_run_command", lambda parser, args: 0)
    assert cli.main(["models", "--names-only"]) == 0 and capsys.readouterr().err == ""

"""Every ``saliency COMMAND --help`` shows at least one example command line (README: "with examples").

``saliency crop --help``, ``saliency report --help`` and ``saliency synth --help`` had none.
"""

from __future__ import annotations

import pytest

from cli_fakes import run_cli
from saliency.cli import command_modules

COMMANDS = [m.NAME for m in command_modules()]


def test_every_registered_command_is_listed():
    """The parametrised test below sees the commands of ``saliency --help`` (the three that lacked examples too)."""
    assert {"crop", "report", "synth", "eval", "ingest"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_shows_an_example_command_line(capsys, name):
    rc, out, err = run_cli(capsys, [name, "--help"])
    assert rc == 0 and err == ""
    examples = [line.strip() for line in out.splitlines() if line.strip().startswith(f"saliency {name} ")]
    assert examples, f"saliency {name} --help shows no example line 'saliency {name} ...'"

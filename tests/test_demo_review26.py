"""Review stop 26: a SIGTERM during a demo stage other than training exits 143, as documented (was 130).

``Demo._stage`` turned every KeyboardInterrupt into ``Interrupted(stage)``, code 130; SIGTERM arrives as
``fsutil.Terminated`` (a KeyboardInterrupt whose exit code is 143). Oracle: the documented exit statuses.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from saliency.base.fsutil import Terminated
from saliency.demo import Demo, Interrupted


@pytest.mark.parametrize("exc, code", [(KeyboardInterrupt(), 130), (Terminated(), 143)], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_stage_keeps_the_signal_exit_code(exc, code):
    def fn():
        raise exc

    host = SimpleNamespace(done=lambda stage: False, log=lambda text: None)
    with pytest.raises(Interrupted) as got:
        Demo._stage(host, "ingest_samples", "2/7 ingest", fn)
    assert (got.value.stage, got.value.code) == ("ingest_samples", code)

"""``python -m saliency`` runs the command line.

Ctrl-C or SIGTERM while it loads: one line, exit 130 or 143. SIGTERM raises
(:func:`saliency.base.fsutil.terminate_raises`) from here on, so that it ends
every command cleanly, imports included; before this module runs (the
interpreter's own first milliseconds) it kills as usual.
"""

import os
import sys

try:
    from saliency.base.fsutil import terminate_raises

    with terminate_raises():
        from saliency.cli import main

        code = main()
except KeyboardInterrupt as exc:  # pragma: no cover - a signal in the first milliseconds
    code = getattr(exc, "exit_code", 130)
    try:
        print(f"saliency: {'terminated' if code == 143 else 'interrupted'}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    os._exit(code)  # nothing is open yet; a plain exit would report death by SIGINT (-2) to the shell

import signal  # noqa: E402

for _sig in (signal.SIGINT, signal.SIGTERM):  # the command is over: a late signal cannot change its outcome
    signal.signal(_sig, signal.SIG_IGN)
if code in (130, 143):  # interrupted: a plain exit may report death by SIGINT (-2) when an import saw it
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
sys.exit(code)

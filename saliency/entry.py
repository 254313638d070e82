"""The process entry of the ``saliency`` console script and of ``python -m saliency``.

Ctrl-C or SIGTERM while the command line loads: one line, exit 130 or 143,
never an import traceback. SIGTERM raises
(:func:`saliency.base.fsutil.terminate_raises`) from the first import of the
command line on, so that it ends every command cleanly, imports included; the
first milliseconds (the interpreter's start-up and the import of the ``saliency``
package and this module, before :func:`console` runs) kill as usual,
and so does a SIGTERM reaching a torchrun rank other than 0 while it waits for
the others to join (:func:`saliency.distributed.init`: a handler cannot run
inside that wait, and the rank has written nothing).
A finished command exits with its code; an interrupted one with 130/143 through
``os._exit`` once its streams are flushed, because a plain exit may report
death by SIGINT (-2) to the shell when an import saw the signal.
"""

import os
import sys


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def console() -> None:
    """Run ``saliency`` with ``sys.argv`` and exit with its code (the console script's target)."""
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
        os._exit(code)  # nothing is open yet

    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):  # the command is over: a late signal cannot change its outcome
        signal.signal(sig, signal.SIG_IGN)
    if code in (130, 143):
        _flush()
        os._exit(code)
    sys.exit(code)

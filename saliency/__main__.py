"""``python -m saliency`` runs the command line (Ctrl-C while it loads: one line, exit 130)."""

import sys

try:
    from saliency.cli import main
except KeyboardInterrupt:  # pragma: no cover - a Ctrl-C in the first milliseconds
    print("saliency: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())

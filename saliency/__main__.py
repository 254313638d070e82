"""``python -m saliency`` runs the command line."""

import sys

from saliency.cli import main

sys.exit(main())

"""``python -m saliency`` runs the command line (see :mod:`saliency.entry` for signals and exit codes)."""

from saliency.entry import console

console()

"""Subcommands of ``saliency``; each module is found by :mod:`saliency.cli`."""

"""saliency: visual saliency from raw gaze to benchmark table.

The import package stays light (no torch at import time): the command line,
``data_tools`` and ``eval`` start fast; torch is imported only by the parts that
train or run networks.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

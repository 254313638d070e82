"""saliency: visual saliency from raw gaze to benchmark table.

The installed package holds every part of the toolkit under one name:
``saliency.base`` (errors, atomic writes, the version), ``saliency.data_tools``
(eye-tracker ingestion, fixation detection, maps), ``saliency.models`` (attention
networks), ``saliency.eval`` (metrics, benchmark runner) and the top layer here
(command line, training, inference, reports). The repository keeps
``data_tools/``, ``models/`` and ``eval/`` as top-level folders; setup.cfg maps
them under ``saliency.`` so that they never collide with a user's own ``models``
or ``eval``. The import package stays light (no torch at import time).
"""

from saliency.base import __version__

__all__ = ["__version__"]

"""The base layer: what every part of the toolkit may import, and which imports none of them.

``saliency.base`` holds the version, the errors a user can fix
(:mod:`saliency.base.errors`), atomic writes and staged folders
(:mod:`saliency.base.fsutil`), the image extensions every reader accepts
(:mod:`saliency.base.images`), process-pool set-up (:mod:`saliency.base.workers`),
progress reporting (:mod:`saliency.base.progress`) and the lock a command
claims its output folder with (:mod:`saliency.base.runlock`: train's run, a
demo's folder). It imports only the
standard library (and, lazily, tqdm/OpenCV/threadpoolctl inside functions), so
``data_tools``, ``eval``, ``models`` and the command line all build on it.
See ``docs/ARCHITECTURE.md`` for the allowed import directions.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

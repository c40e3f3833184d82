"""Where the directory is searched: the store interface (:class:`Store`, :func:`open_store`), the
in-memory store over ``facilities.csv`` (:mod:`.memory`) and the PostGIS store (:mod:`.postgis`).
"""

from .base import Store, open_store

__all__ = ["Store", "open_store"]

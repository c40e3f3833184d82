"""The PostGIS store: :mod:`.connect` (connections and the shared tables), :mod:`.schema` (the
facilities table and its keys), :mod:`.load` (loading a facilities file), :mod:`.search` (the search
SQL), :mod:`.store` (:class:`PostgisStore`, the store interface) and :mod:`.corrections` (maintainers'
corrections written to the database).
"""

from .load import load, status
from .store import PostgisStore

__all__ = ["PostgisStore", "load", "status"]

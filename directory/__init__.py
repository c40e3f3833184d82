"""Treatment-facility directory: import, taxonomy, geocoding, geosearch and exports.

Everything here is plain Python, usable without Streamlit; the CLI and the app
are thin adapters over it.

>>> from directory import Directory, Query
>>> store = Directory.load()
>>> store.search(Query(near="Tampa, FL", services=("detox",))).describe().startswith("Detox within 25 miles")
True
"""

from .core.errors import DirectoryError
from .core.facility import Facility
from .core.filters import FILTERS, Filter
from .core.taxonomy import Taxonomy
from .search import Query, SearchResult
from .stores.base import Store, open_store
from .stores.memory import Directory

__all__ = [
    "FILTERS",
    "Directory",
    "DirectoryError",
    "Facility",
    "Filter",
    "Query",
    "SearchResult",
    "Store",
    "Taxonomy",
    "open_store",
]
__version__ = "0.1.0"

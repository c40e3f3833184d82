"""Treatment-facility directory: import, taxonomy, geocoding, geosearch and exports.

Everything here is plain Python, usable without Streamlit; the CLI and the app
are thin adapters over it.

>>> from directory import Directory, Query
>>> store = Directory.load()
>>> store.search(Query(near="Tampa, FL", services=("detox",))).describe().startswith("Detox within 25 miles")
True
"""

from .errors import DirectoryError
from .facility import Facility
from .filters import FILTERS, Filter
from .search import Directory, Query, SearchResult
from .store import Store, open_store
from .taxonomy import Taxonomy

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

"""Treatment-facility directory: import, taxonomy, geocoding, geosearch and exports.

Everything here is plain Python, usable without Streamlit; the CLI and the app
are thin adapters over it.
"""

from .errors import DirectoryError
from .taxonomy import Taxonomy

__all__ = ["DirectoryError", "Taxonomy"]
__version__ = "0.1.0"

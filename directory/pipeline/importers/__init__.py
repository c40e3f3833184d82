"""Importers: one adapter per source format, a registry, and :func:`import_file`.

>>> sorted(ADAPTERS)
['colorado-bha', 'findtreatment', 'findtreatment-listing', 'mapped', 'nssats']
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ...core import paths
from ...core.errors import InputFileError, UnknownNameError
from ...core.tables import SourceTable, concat_tables, read_table
from ...core.taxonomy import Taxonomy
from .base import REJECT_REASONS, Adapter, Candidate, ImportResult, Locator, import_table
from .colorado import ColoradoAdapter
from .findtreatment import FindTreatmentAdapter
from .listing import ListingAdapter
from .mapped import MappedAdapter, Mapping
from .nssats import NssatsAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    "findtreatment": FindTreatmentAdapter,
    "findtreatment-listing": ListingAdapter,
    "nssats": NssatsAdapter,
    "mapped": MappedAdapter,
    "colorado-bha": ColoradoAdapter,
}
#: The Colorado adapter's value map (``mapping =`` in the manifest names another).
COLORADO_VALUES = paths.SOURCES_DIR / "colorado_bha.toml"

__all__ = [
    "ADAPTERS",
    "REJECT_REASONS",
    "Adapter",
    "Candidate",
    "ImportResult",
    "Mapping",
    "detect_adapter",
    "get_adapter",
    "import_file",
    "import_table",
]


def detect_adapter(table: SourceTable) -> str:
    """The name of the adapter whose format the file's header matches."""
    for name, cls in ADAPTERS.items():
        if cls.matches(table.header):
            return name
    shown = ", ".join(table.header[:8]) + (" …" if len(table.header) > 8 else "")
    raise InputFileError(
        f"{table.path}: could not recognise the format from its header ({shown}); "
        "pass --adapter findtreatment|nssats, or --adapter mapped --mapping FILE"
    )


def get_adapter(name: str, mapping: Mapping | str | Path | None = None) -> Adapter:
    """An adapter instance by name; ``mapped`` needs a mapping (a :class:`Mapping` or a TOML path)."""
    if name not in ADAPTERS:
        from rapidfuzz import process

        close = [c for c, s, _ in process.extract(name, list(ADAPTERS), limit=2) if s >= 60]
        raise UnknownNameError("adapter", name, close)
    if name == "mapped":
        if mapping is None:
            raise InputFileError("the mapped adapter needs a mapping file (--mapping FILE)")
        return MappedAdapter(mapping if isinstance(mapping, Mapping) else Mapping.load(mapping))
    if name == "colorado-bha":
        return ColoradoAdapter(mapping if isinstance(mapping, (str, Path)) else COLORADO_VALUES)
    return ADAPTERS[name]()


def import_file(
    path: str | Path | list[str | Path] | tuple[str | Path, ...],
    *,
    adapter: str | None = None,
    mapping: Mapping | str | Path | None = None,
    source_id: str | None = None,
    source_date: str | None = None,
    taxonomy: Taxonomy | None = None,
    locate: Locator | None = None,
) -> ImportResult:
    """Import one file into the facilities schema.

    The adapter is recognised from the header when not given (a mapping implies
    ``mapped``). ``source_id`` defaults to the file's stem, ``source_date`` to today. A list of paths
    is one source in several files with the same columns (read as one table, see :func:`concat_tables`).
    """

    def ours(header: list[str]) -> bool:  # the sheet of a workbook that holds the facilities
        if mapping is not None or adapter == "mapped":
            return True
        return any(cls.matches(header) for name, cls in ADAPTERS.items() if adapter in (None, name))

    if isinstance(path, (list, tuple)):
        table = concat_tables([read_table(p, ours) for p in path])
        path = path[0]
    else:
        table = read_table(path, ours)
    name = adapter or ("mapped" if mapping is not None else detect_adapter(table))
    return import_table(
        table,
        get_adapter(name, mapping),
        source_id=source_id or Path(path).stem,
        source_date=source_date or dt.date.today().isoformat(),
        taxonomy=taxonomy,
        locate=locate,
    )

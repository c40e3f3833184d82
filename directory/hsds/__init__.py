"""Open Referral HSDS 3.0: :mod:`.mapping` (the one mapping of a site onto HSDS tables, with reversible
entity ids), :mod:`.package` (the HSDS package export: CSV tables and a Frictionless datapackage.json)
and :mod:`.hsda` (the HSDA API's document, bodies and selections, served by :mod:`directory.http.hsda`).
"""

from .mapping import (
    ATTRIBUTION,
    NAMESPACE,
    TABLES,
    TAXONOMY_NAME,
    build_tables,
    entity_id,
    field_names,
    parse_id,
    site_tables,
    spec,
    taxonomy_row,
    term_row,
    typed,
    uid,
)
from .package import descriptor, package_zip, to_csv_text, write_package

__all__ = [
    "ATTRIBUTION",
    "NAMESPACE",
    "TABLES",
    "TAXONOMY_NAME",
    "build_tables",
    "descriptor",
    "entity_id",
    "field_names",
    "package_zip",
    "parse_id",
    "site_tables",
    "spec",
    "taxonomy_row",
    "term_row",
    "to_csv_text",
    "typed",
    "uid",
    "write_package",
]
